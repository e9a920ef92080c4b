import { ApiObject, Chart } from 'cdk8s';
import { FAST, startFleet, synth } from './fixtures';
import { quickstart } from '../../examples/quickstart/main';
import { FederationApp } from '../../src';
import { apply } from '../../src/applier/apply';
import { formatStatus, status } from '../../src/applier/status';

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
    expect(host.federated).toEqual([{ name: 'FederatedConfigMap kube-federation-system/web', ready: false, conditions: [] }]);
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
