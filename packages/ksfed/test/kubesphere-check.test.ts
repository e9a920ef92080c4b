import { ApiObject, Chart } from 'cdk8s';
import { FakeClient, FAST, mutations, startFleet, synth } from './fixtures';
import { quickstart } from '../../../examples/quickstart/main';
import { apply, diff } from '../src/apply';
import { KubeApiError, UsageError } from '../src/errors';
import { readFederationIndex } from '../src/federation';
import { checkKubeSphere, crdNameOf, kubesphereNeeds } from '../src/kubesphere-check';
import { placeholdersOf } from '../src/session';

jest.setTimeout(60_000);

const DIST = synth();
const INDEX = readFederationIndex(DIST);

/** What the check needs on each cluster when `selected` are applied. */
function needs(selected: string[], index = INDEX) {
  const names = new Set(selected);
  return kubesphereNeeds(index, names, placeholdersOf(index, names));
}

describe('kubesphereNeeds', () => {
  test('every folder of the quickstart needs KubeSphere: its kinds and kubesphere-system', () => {
    const all = needs(['host', 'edge-1', 'branch-7']);
    expect(all.map(n => [n.cluster, n.kinds.map(k => `${k.apiVersion}/${k.kind}`), n.namespace])).toEqual([
      ['host', ['installer.kubesphere.io/v1alpha1/ClusterConfiguration', 'cluster.kubesphere.io/v1alpha1/Cluster'], true],
      ['edge-1', ['installer.kubesphere.io/v1alpha1/ClusterConfiguration'], true],
      ['branch-7', ['installer.kubesphere.io/v1alpha1/ClusterConfiguration'], true],
    ]);
    // what needs it, the KubeSphere kinds first
    expect(all[0].users.slice(0, 2)).toEqual(['ClusterConfiguration kubesphere-system/ks-installer', 'Cluster host']);
    expect(all[2].users).toEqual(['ClusterConfiguration kubesphere-system/ks-installer', 'Secret kubesphere-system/cluster-agent-token', 'Deployment kubesphere-system/cluster-agent']);
  });

  test('a host outside --only is needed for the values read there: the jwtSecret (kubesphere-system) and the agent token (Cluster)', () => {
    expect(needs(['edge-1']).map(n => [n.cluster, n.kinds.map(k => k.kind), n.namespace, n.users])).toEqual([
      ['host', [], true, ['{{ksfed:jwt-secret}} (read from Secret kubesphere-system/kubesphere-secret)']],
      ['edge-1', ['ClusterConfiguration'], true, ['ClusterConfiguration kubesphere-system/ks-installer']],
    ]);
    const host = needs(['branch-7']).find(n => n.cluster === 'host')!;
    expect(host.kinds.map(k => k.kind)).toEqual(['Cluster']);
    expect(host.users).toContain('{{ksfed:agent-token/branch-7}} (read from Cluster branch-7)');
    expect(host.users).toContain('{{ksfed:proxy-address}} (read from Service kubesphere-system/tower)');
  });

  test('what a folder creates itself (a CRD of the group, the Namespace) is not needed from KubeSphere', () => {
    const dist = synth(app => {
      quickstart(app);
      const edge = app.node.findChild('edge-1') as Chart;
      new ApiObject(edge, 'Ns', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kubesphere-system' } });
      new ApiObject(edge, 'Crd', {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'clusterconfigurations.installer.kubesphere.io' },
        spec: { group: 'installer.kubesphere.io', names: { kind: 'ClusterConfiguration', plural: 'clusterconfigurations' }, scope: 'Namespaced', versions: [] },
      });
    });
    expect(needs(['edge-1'], readFederationIndex(dist)).map(n => n.cluster)).toEqual(['host']);
  });

  test('crdNameOf: the plural and group of a kind', () => {
    expect(crdNameOf('cluster.kubesphere.io/v1alpha1', 'Cluster')).toBe('clusters.cluster.kubesphere.io');
    expect(crdNameOf('installer.kubesphere.io/v1alpha1', 'ClusterConfiguration')).toBe('clusterconfigurations.installer.kubesphere.io');
    expect(crdNameOf('x.kubesphere.io/v1', 'Policy')).toBe('policies.x.kubesphere.io');
    expect(crdNameOf('x.kubesphere.io/v1', 'Mesh')).toBe('meshes.x.kubesphere.io');
  });
});

describe('checkKubeSphere', () => {
  const edge = needs(['edge-1']).filter(n => n.cluster === 'edge-1');

  test('a kind that is not served and a missing namespace: one line naming the cluster, what is missing, what needs it and the fix', async () => {
    const client = new FakeClient('edge-1');
    client.unserved.add('installer.kubesphere.io/v1alpha1/ClusterConfiguration');
    client.objects.clear();
    const verdict = checkKubeSphere(edge, () => client, () => 'kind-edge');
    await expect(verdict(() => true)).rejects.toThrow(UsageError);
    await expect(verdict(() => true)).rejects.toThrow('cluster "edge-1" (context kind-edge): KubeSphere is not installed there: '
      + 'CRD clusterconfigurations.installer.kubesphere.io is not served and namespace kubesphere-system does not exist, '
      + 'which ClusterConfiguration kubesphere-system/ks-installer needs. '
      + 'Fix: install KubeSphere v3.4 with ks-installer on edge-1 (kubesphere-installer.yaml, then cluster-configuration.yaml) and wait for it to finish, '
      + 'or point --context edge-1=CONTEXT at a cluster that runs KubeSphere');
    // a question that gets no answer (reading the Namespace forbidden) does not hide the answer of the other
    client.failWith = call => call === 'get Namespace kubesphere-system' ? new KubeApiError(403, 'Forbidden', 'namespaces "kubesphere-system" is forbidden') : undefined;
    await expect(checkKubeSphere(edge, () => client, () => 'edge-1')(() => true))
      .rejects.toThrow(/^cluster "edge-1" \(context edge-1\): KubeSphere is not installed there: CRD clusterconfigurations.installer.kubesphere.io is not served, which/);
  });

  test('KubeSphere in place: passes; a check that cannot be answered is left to the run, asked again only where the cluster answered', async () => {
    await expect(checkKubeSphere(edge, () => new FakeClient('edge-1'), () => 'edge-1')(() => true)).resolves.toBeUndefined();
    // GIVEN a cluster whose first answers fail
    const flaky = new FakeClient('edge-1');
    flaky.objects.clear();
    let calls = 0;
    const failing = Object.assign(Object.create(flaky), {
      get: (...args: Parameters<FakeClient['get']>) => ++calls === 1 ? Promise.reject(new Error('connection reset')) : flaky.get(...args),
    });
    // THEN where the cluster could not be reached, the run is left to report it; where it could, the check asks again
    await expect(checkKubeSphere(edge, () => failing, () => 'edge-1')(() => false)).resolves.toBeUndefined();
    calls = 0;
    await expect(checkKubeSphere(edge, () => failing, () => 'edge-1')(() => true)).rejects.toThrow(/namespace kubesphere-system does not exist/);
    expect(calls).toBe(2);
    // and a client that cannot be made is the run's to report too
    await expect(checkKubeSphere(edge, () => {
      throw new Error('no client');
    }, () => 'edge-1')(() => true)).resolves.toBeUndefined();
  });
});

describe('against a sandbox cluster without KubeSphere', () => {
  test('apply and diff stop before any write, at once, with the one line; a long wait timeout is not waited for', async () => {
    // GIVEN edge-1 is a plain Kubernetes cluster
    const fleet = await startFleet({ sandbox: { withoutKubeSphere: ['edge-1'] } });
    try {
      const options = { ...FAST, kubeconfig: fleet.kubeconfig, waitTimeoutMs: 3_600_000, timeoutMs: 3_600_000 };
      // WHEN
      const error = await apply(DIST, options).then(() => undefined, e => e);
      // THEN
      expect(error).toBeInstanceOf(UsageError);
      expect(error.message).toMatch(/^cluster "edge-1" \(context edge-1\): KubeSphere is not installed there: CRD clusterconfigurations.installer.kubesphere.io is not served and namespace kubesphere-system does not exist, which ClusterConfiguration kubesphere-system\/ks-installer needs\. Fix: install KubeSphere v3\.4 with ks-installer on edge-1/);
      expect(mutations(fleet.sandbox)).toEqual([]);
      // a handful of reads, not a poll: the parent, the discovery of its group and the namespace, per cluster; and the
      // preflight's reads, each once (the group the CRD is missing from is asked once or twice, by the check and by the
      // read of the ClusterConfiguration, depending on which answer comes first)
      const requests = fleet.sandbox.cluster('edge-1').requests.map(r => `${r.method} ${r.path}`).sort();
      const installer = requests.filter(r => r.includes('/installer.kubesphere.io/'));
      expect(installer.length).toBeLessThanOrEqual(2);
      expect(installer.every(r => r === 'GET /apis/installer.kubesphere.io/v1alpha1' || r.endsWith('/clusterconfigurations/ks-installer'))).toBe(true);
      expect(requests.filter(r => !r.includes('/installer.kubesphere.io/'))).toEqual([
        'GET /api/v1/namespaces/kube-federation-system/serviceaccounts', 'GET /api/v1/namespaces/kube-system',
        'GET /api/v1/namespaces/kube-system/secrets/ksfed-applyset', 'GET /api/v1/namespaces/kubesphere-system',
        'GET /api/v1/namespaces/kubesphere-system/configmaps/kubesphere-config', 'GET /api/v1/namespaces/kubesphere-system/services/ks-apiserver',
        'GET /api/v1/nodes', 'GET /apis/apps/v1/namespaces/kubesphere-system/deployments', 'GET /apis/tenant.kubesphere.io/v1alpha1/workspaces', 'GET /version',
      ]);
      await expect(diff(DIST, options)).rejects.toThrow(/^cluster "edge-1" \(context edge-1\): KubeSphere is not installed there/);
      expect(mutations(fleet.sandbox)).toEqual([]);
    } finally {
      await fleet.stop();
    }
  });
});
