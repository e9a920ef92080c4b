import { ApiObject, Chart } from 'cdk8s';
import { FederationApp } from 'cdk8s-kubesphere-federation';
import { FAST, startFleet, synth } from './fixtures';
import { quickstart } from '../../../examples/quickstart/main';
import { apply } from '../src/apply';
import { formatStatus, status } from '../src/status';

jest.setTimeout(30_000);

const dist = synth();

test('status before and after an apply, and with a member down', async () => {
  const fleet = await startFleet();
  try {
    const opts = { kubeconfig: fleet.kubeconfig, ...FAST };
    // GIVEN nothing applied yet
    const before = await status(dist, opts);
    expect(before.healthy).toBe(false);
    expect(before.clusters.find(c => c.name === 'host')!.workloads.every(w => !w.ready)).toBe(true);
    expect(before.clusters.find(c => c.name === 'edge-1')!.conditions).toEqual([]);
    // WHEN applied
    expect((await apply(dist, opts)).success).toBe(true);
    const after = await status(dist, opts);
    // THEN
    expect(after.healthy).toBe(true);
    const branch = after.clusters.find(c => c.name === 'branch-7')!;
    expect(branch.conditions!.map(c => `${c.type}=${c.status}`)).toEqual(['Initialized=True', 'AgentAvailable=True', 'Federated=True', 'Ready=True']);
    expect(branch.workloads).toEqual([{ name: 'Deployment kubesphere-system/cluster-agent', ready: true, state: '1/1 available' }]);
    // AND with a member down
    fleet.sandbox.cluster('edge-1').setDown(true);
    const down = await status(dist, opts);
    const edge = down.clusters.find(c => c.name === 'edge-1')!;
    expect([down.healthy, edge.reachable, edge.healthy]).toEqual([false, false, false]);
    expect(edge.conditions!.map(c => c.type)).toContain('Ready');
    const text = formatStatus(down);
    expect(text.split('\n')[0]).toMatch(/^CLUSTER\s+ROLE\s+REACHABLE\s+CONDITIONS \(Cluster on host\)\s+WORKLOADS\s+FEDERATED\s+HEALTHY$/);
    expect(text).toMatch(/^edge-1\s+member\s+no\s+Federated=True Ready=True\s+-\s+-\s+no$/m);
    expect(text).toMatch(/^edge-1: connection (reset|refused)/m);
  } finally {
    await fleet.stop();
  }
});

test('federated objects report their propagation', async () => {
  const withFederated = synth((app: FederationApp) => {
    quickstart(app);
    new ApiObject(app.node.findChild('host') as Chart, 'Fcm', {
      apiVersion: 'types.kubefed.io/v1beta1',
      kind: 'FederatedConfigMap',
      metadata: { name: 'web', namespace: 'kube-federation-system' },
      spec: { template: { data: { a: '1' } }, placement: { clusters: [{ name: 'edge-1' }] } },
    });
  });
  const fleet = await startFleet();
  try {
    const opts = { kubeconfig: fleet.kubeconfig, ...FAST };
    expect((await apply(withFederated, opts)).success).toBe(true);
    // the sandbox runs no KubeFed controller: nobody reports propagation
    const report = await status(withFederated, opts);
    const host = report.clusters.find(c => c.name === 'host')!;
    expect(host.federated).toEqual([{ name: 'FederatedConfigMap kube-federation-system/web', ready: false, conditions: [], clusters: [] }]);
    expect(formatStatus(report)).toContain('host: FederatedConfigMap kube-federation-system/web: no conditions yet');
    // once KubeFed reports Propagation=True, it is healthy
    const h = fleet.sandbox.cluster('host');
    const type = h.api.types.byKind('types.kubefed.io/v1beta1', 'FederatedConfigMap')!;
    const body = JSON.stringify({ status: { conditions: [{ type: 'Propagation', status: 'True' }] } });
    h.api.patch(type, 'kube-federation-system', 'web', 'application/merge-patch+json', body, { fieldManager: 'kubefed', subresource: 'status' });
    const later = await status(withFederated, opts);
    expect(later.clusters.find(c => c.name === 'host')!.federated[0].ready).toBe(true);
  } finally {
    await fleet.stop();
  }
});

test('what an apply filled in is hidden where a cluster quotes it (a condition message with the agent token)', async () => {
  const fleet = await startFleet();
  try {
    const opts = { kubeconfig: fleet.kubeconfig, ...FAST };
    expect((await apply(dist, opts)).success).toBe(true);
    // GIVEN the host's Cluster of branch-7 with a condition that quotes its token (status resolves no placeholder)
    const host = fleet.sandbox.cluster('host');
    const cluster = host.get('cluster.kubesphere.io/v1alpha1', 'Cluster', 'branch-7');
    const token = cluster.spec.connection.token;
    const conditions = [...cluster.status.conditions, { type: 'TokenChecked', status: 'False', reason: 'Rejected', message: `token ${token} was rejected` }];
    host.api.writeStatus(host.api.typeOf('cluster.kubesphere.io/v1alpha1', 'Cluster'), undefined, 'branch-7', { ...cluster.status, conditions }, 'tower');
    // WHEN
    const report = await status(dist, opts);
    // THEN
    const text = formatStatus(report);
    expect(text).toContain('branch-7: TokenChecked=False: token {{ksfed:agent-token/branch-7}} was rejected');
    expect(token.length).toBeGreaterThan(20);
    expect(`${JSON.stringify(report)}\n${text}`).not.toContain(token);
  } finally {
    await fleet.stop();
  }
});

describe('federated objects: propagation per cluster from KubeFed\'s own status', () => {
  const fed = (kind: string, namespace: string, name: string, spec: any) => ({ apiVersion: 'types.kubefed.io/v1beta1', kind, metadata: { name, namespace }, spec });
  const kubefedDist = synth((app: FederationApp) => {
    quickstart(app);
    const host = app.node.findChild('host') as Chart;
    new ApiObject(host, 'NsJudge', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'judge', labels: { 'kubefed.io/managed': 'false' } } });
    new ApiObject(host, 'NsOrphan', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'orphan' } });
    new ApiObject(host, 'Fns', fed('FederatedNamespace', 'judge', 'judge', { placement: { clusters: [{ name: 'host' }, { name: 'edge-1' }] } }));
    new ApiObject(host, 'Broken', fed('FederatedConfigMap', 'judge', 'broken', {
      template: { data: { a: '1' } },
      placement: { clusters: [{ name: 'edge-1' }] },
      overrides: [{ clusterName: 'edge-1', clusterOverrides: [{ op: 'remove', path: '/data/missing' }] }],
    }));
    new ApiObject(host, 'Pinned', fed('FederatedConfigMap', 'judge', 'pinned', { template: { data: {} }, placement: { clusters: [{ name: 'edge-1' }, { name: 'branch-7' }] } }));
    new ApiObject(host, 'Sched', fed('FederatedDeployment', 'judge', 'sched', { template: {}, placement: { clusters: [{ name: 'edge-1' }, { name: 'branch-7' }] } }));
    new ApiObject(host, 'Rsp', {
      apiVersion: 'scheduling.kubefed.io/v1alpha1',
      kind: 'ReplicaSchedulingPreference',
      metadata: { name: 'sched', namespace: 'judge' },
      spec: { targetKind: 'FederatedDeployment', totalReplicas: 1 },
    });
    new ApiObject(host, 'Orphan', fed('FederatedConfigMap', 'orphan', 'x', { template: {}, placement: { clusters: [{ name: 'edge-1' }] } }));
  });

  test('names each failing cluster with KubeFed\'s reason, the clusters a FederatedNamespace leaves out, and KubeFed\'s aggregate reasons', async () => {
    const fleet = await startFleet();
    try {
      const opts = { kubeconfig: fleet.kubeconfig, ...FAST };
      expect((await apply(kubefedDist, opts)).success).toBe(true);
      // GIVEN the status KubeFed v0.8.1's sync controller writes (a cluster without status is OK) and its events
      const h = fleet.sandbox.cluster('host');
      const setStatus = (kind: string, ns: string, name: string, reason: string | undefined, clusters: any[]) => {
        const type = h.api.typeOf('types.kubefed.io/v1beta1', kind);
        const condition = { type: 'Propagation', status: reason ? 'False' : 'True', ...(reason ? { reason } : {}), lastTransitionTime: '2026-01-01T00:00:00Z' };
        h.api.writeStatus(type, ns, name, { observedGeneration: 1, conditions: [condition], ...(clusters.length ? { clusters } : {}) }, 'kubefed-controller-manager');
      };
      setStatus('FederatedNamespace', 'judge', 'judge', 'CheckClusters', [{ name: 'edge-1' }, { name: 'host', status: 'ManagedLabelFalse' }]);
      setStatus('FederatedConfigMap', 'judge', 'broken', 'CheckClusters', [{ name: 'edge-1', status: 'ApplyOverridesFailed' }]);
      setStatus('FederatedConfigMap', 'judge', 'pinned', undefined, [{ name: 'edge-1' }]);
      setStatus('FederatedDeployment', 'judge', 'sched', undefined, [{ name: 'edge-1' }]);
      setStatus('FederatedConfigMap', 'orphan', 'x', 'NamespaceNotFederated', []);
      const broken = h.get('types.kubefed.io/v1beta1', 'FederatedConfigMap', 'broken', 'judge');
      const event = (name: string, time: string, message: string) => h.api.create(h.api.typeOf('v1', 'Event'), 'judge', {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace: 'judge' },
        type: 'Warning',
        reason: 'CreateInClusterFailed',
        lastTimestamp: time,
        message,
        involvedObject: { apiVersion: 'types.kubefed.io/v1beta1', kind: 'FederatedConfigMap', namespace: 'judge', name: 'broken', uid: broken.metadata.uid },
      });
      event('broken.1', '2026-01-01T00:00:01Z', 'Failed to create ConfigMap "judge/broken" in cluster "edge-1": an older error');
      event('broken.2', '2026-01-01T00:00:09Z',
        'Failed to create ConfigMap "judge/broken" in cluster "edge-1": error in remove for path: \'/data/missing\': Unable to remove nonexistent key: missing: missing value');
      // WHEN
      const report = await status(kubefedDist, opts);
      // THEN
      const host = report.clusters.find(c => c.name === 'host')!;
      const byName = Object.fromEntries(host.federated.map(f => [f.name, f]));
      expect(byName['FederatedNamespace judge/judge']).toMatchObject({ ready: true, clusters: [{ cluster: 'edge-1', status: 'OK' }, { cluster: 'host', status: 'ManagedLabelFalse', expected: true }] });
      expect(byName['FederatedConfigMap judge/broken']).toMatchObject({
        ready: false,
        clusters: [{ cluster: 'edge-1', status: 'ApplyOverridesFailed', message: expect.stringMatching(/^Failed to create ConfigMap "judge\/broken" in cluster "edge-1": error in remove for path: '\/data\/missing'/) }],
      });
      expect(byName['FederatedConfigMap judge/pinned']).toMatchObject({
        ready: false,
        clusters: [{ cluster: 'branch-7', status: 'NotPlaced', message: expect.stringContaining('namespace judge is not placed on branch-7 (its FederatedNamespace reaches edge-1, host)') }, { cluster: 'edge-1', status: 'OK' }],
      });
      // the scheduler's placement lists every planned cluster: nothing is missing there
      expect(byName['FederatedDeployment judge/sched']).toMatchObject({ ready: true, clusters: [{ cluster: 'edge-1', status: 'OK' }] });
      expect(byName['FederatedConfigMap orphan/x']).toMatchObject({ ready: false, clusters: [], message: expect.stringContaining('its namespace has no FederatedNamespace') });
      const text = formatStatus(report);
      expect(text).toMatch(/^FEDERATED OBJECT\s+ON\s+CONDITIONS\s+CLUSTERS$/m);
      expect(text).toMatch(/^FederatedConfigMap judge\/pinned\s+host\s+Propagation=True\s+branch-7=NotPlaced edge-1$/m);
      expect(text).toMatch(/^FederatedNamespace judge\/judge\s+host\s+Propagation=False\(CheckClusters\)\s+edge-1 host=ManagedLabelFalse$/m);
      expect(text).toContain('host: FederatedConfigMap judge/broken: edge-1 ApplyOverridesFailed: Failed to create ConfigMap "judge/broken" in cluster "edge-1": error in remove');
      expect(text).not.toContain('an older error');
      expect(text).toContain('host: FederatedConfigMap judge/pinned: branch-7 NotPlaced: namespace judge is not placed on branch-7');
      expect(text).toContain('host: FederatedConfigMap orphan/x: Propagation=False NamespaceNotFederated: its namespace has no FederatedNamespace');
      expect(text).not.toMatch(/FederatedNamespace judge\/judge: /);
    } finally {
      await fleet.stop();
    }
  });

  test('a federated object KubeFed has not seen in its current generation is not propagated yet', async () => {
    const fleet = await startFleet();
    try {
      const opts = { kubeconfig: fleet.kubeconfig, ...FAST };
      expect((await apply(kubefedDist, opts)).success).toBe(true);
      const h = fleet.sandbox.cluster('host');
      const type = h.api.typeOf('types.kubefed.io/v1beta1', 'FederatedConfigMap');
      h.api.mergePatch(type, 'judge', 'pinned', { spec: { template: { data: { b: '2' } } } }, 'someone');
      h.api.writeStatus(type, 'judge', 'pinned', { observedGeneration: 1, conditions: [{ type: 'Propagation', status: 'True' }], clusters: [{ name: 'edge-1' }, { name: 'branch-7' }] }, 'kubefed-controller-manager');
      const report = await status(kubefedDist, opts);
      const pinned = report.clusters.find(c => c.name === 'host')!.federated.find(f => f.name === 'FederatedConfigMap judge/pinned')!;
      expect(pinned).toMatchObject({ ready: false, message: 'KubeFed has not yet seen generation 2 (its status is of generation 1)' });
    } finally {
      await fleet.stop();
    }
  });
});
