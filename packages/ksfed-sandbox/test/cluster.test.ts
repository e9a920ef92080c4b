import { apply, clientFor, configMap, http } from './helpers';
import { Sandbox, SandboxCluster } from '../src';

describe('SandboxCluster', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await Sandbox.start({ clusters: ['c'], kubesphere: false });
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  test('bootstrap: the four namespaces and the kubernetes Service, as on a fresh cluster', () => {
    const c = sandbox.cluster('c');
    expect(c.list('v1', 'Namespace').map((n) => n.metadata.name)).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    expect(c.get('v1', 'Service', 'kubernetes', 'default').spec.clusterIP).toBe('10.96.0.1');
    expect(c.kubernetesVersion).toBe('v1.26.15');
  });

  test('a Ready node with 8 CPUs and 16Gi allocatable; none on a cluster that emulates no readiness', async () => {
    const c = sandbox.cluster('c');
    const node = c.get('v1', 'Node', c.nodeName);
    expect(node.status.allocatable).toMatchObject({ cpu: '8', memory: '16Gi' });
    expect(node.status.conditions).toEqual([expect.objectContaining({ type: 'Ready', status: 'True' })]);
    expect(node.status.nodeInfo.kubeletVersion).toBe('v1.26.15');
    const bare = await Sandbox.start({ clusters: ['bare'], kubesphere: false, readiness: false });
    try {
      expect(bare.cluster('bare').list('v1', 'Node')).toEqual([]);
    } finally {
      await bare.stop();
    }
  });

  test('setKubernetesVersion changes /version and the node\'s kubelet; a malformed version is refused', async () => {
    const c = sandbox.cluster('c');
    c.setKubernetesVersion('v1.18.20');
    try {
      const res = await http(sandbox, 'c', '/version');
      expect(res.body).toMatchObject({ major: '1', minor: '18', gitVersion: 'v1.18.20' });
      expect(c.kubernetesVersion).toBe('v1.18.20');
      expect(c.get('v1', 'Node', c.nodeName).status.nodeInfo.kubeletVersion).toBe('v1.18.20');
      expect(() => c.setKubernetesVersion('1.18')).toThrow(/"1\.18" is not a version like v1\.26\.15/);
    } finally {
      c.setKubernetesVersion('v1.26.15');
    }
  });

  test('advertisedUrl: the same port under <name>.sandbox.test', () => {
    const c = sandbox.cluster('c');
    expect(c.advertisedUrl).toBe(c.url.replace('127.0.0.1', 'c.sandbox.test'));
  });

  test('get and list return deep copies with apiVersion and kind; unknown kinds give undefined / []', async () => {
    const c = sandbox.cluster('c');
    await apply(clientFor(sandbox, 'c'), configMap('copy', { a: '1' }));
    const first = c.get('v1', 'ConfigMap', 'copy', 'default');
    first.data.a = 'changed';
    expect(c.get('v1', 'ConfigMap', 'copy', 'default').data.a).toBe('1');
    const items = c.list('v1', 'ConfigMap', 'default');
    expect(items.find((i) => i.metadata.name === 'copy')).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap' });
    expect(c.get('example.com/v1', 'Nothing', 'x')).toBeUndefined();
    expect(c.list('example.com/v1', 'Nothing')).toEqual([]);
  });

  test('setDown drops open connections and refuses new ones; requests can be cleared', async () => {
    const c = sandbox.cluster('c');
    c.setDown(true);
    await expect(http(sandbox, 'c', '/version')).rejects.toThrow();
    c.setDown(false);
    expect((await http(sandbox, 'c', '/version')).status).toBe(200);
    c.clearRequests();
    expect(c.requests).toEqual([]);
  });

  test('a cluster can run on its own, and stop is idempotent enough to call after start', async () => {
    const solo = new SandboxCluster({ name: 'solo', index: 3, establishDelayMs: 1, rolloutDelayMs: 1, faults: {} });
    await solo.start(0);
    expect(solo.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${solo.url}/api/v1/namespaces/default`, { headers: { authorization: `Bearer ${solo.token}` } });
    expect(res.status).toBe(200);
    await solo.stop();
  });
});
