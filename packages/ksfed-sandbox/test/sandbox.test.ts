import { apply, clientFor, configMap, failure } from './helpers';
import { Sandbox } from '../src';

describe('Sandbox', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await Sandbox.start({ clusters: ['host', 'edge-1', 'branch-7'] });
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  test('one endpoint per cluster, each with its own token, host first by default', () => {
    expect(sandbox.clusters.map((c) => c.name)).toEqual(['host', 'edge-1', 'branch-7']);
    expect(sandbox.host).toBe('host');
    const urls = new Set(sandbox.clusters.map((c) => c.url));
    expect(urls.size).toBe(3);
    for (const url of urls) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(new Set(sandbox.clusters.map((c) => c.token)).size).toBe(3);
  });

  test('kubeconfig: one context per cluster with a bearer token and insecure-skip-tls-verify', () => {
    const kc = sandbox.kubeconfig();
    expect(kc['current-context']).toBe('host');
    expect(kc.contexts.map((c: any) => c.name)).toEqual(['host', 'edge-1', 'branch-7']);
    const edge = kc.contexts.find((c: any) => c.name === 'edge-1').context;
    expect(kc.users.find((u: any) => u.name === edge.user).user.token).toBe(sandbox.cluster('edge-1').token);
    expect(kc.clusters.find((c: any) => c.name === 'edge-1').cluster).toEqual({ 'server': sandbox.cluster('edge-1').url, 'insecure-skip-tls-verify': true });
    expect(sandbox.kubeconfigYaml()).toContain('insecure-skip-tls-verify: true');
  });

  test('client-node talks to every cluster through the kubeconfig, and clusters are independent', async () => {
    await apply(clientFor(sandbox, 'edge-1'), configMap('only-on-edge', { a: '1' }));
    expect(sandbox.cluster('edge-1').get('v1', 'ConfigMap', 'only-on-edge', 'default')?.data).toEqual({ a: '1' });
    expect(sandbox.cluster('branch-7').get('v1', 'ConfigMap', 'only-on-edge', 'default')).toBeUndefined();
    const err = await failure(clientFor(sandbox, 'branch-7').read(configMap('only-on-edge', {})));
    expect(err.code).toBe(404);
  });

  test('cluster() names the known clusters when asked for an unknown one', () => {
    expect(() => sandbox.cluster('nope')).toThrow(/no cluster "nope" \(clusters: host, edge-1, branch-7\)/);
  });
});

describe('Sandbox.start options', () => {
  test('rejects bad cluster lists', async () => {
    await expect(Sandbox.start({ clusters: [] })).rejects.toThrow(/at least one/);
    await expect(Sandbox.start({ clusters: ['Host'] })).rejects.toThrow(/DNS-1123/);
    await expect(Sandbox.start({ clusters: ['a', 'a'] })).rejects.toThrow(/duplicate/);
    await expect(Sandbox.start({ clusters: ['a'], host: 'b' })).rejects.toThrow(/host "b" is not one of the clusters/);
  });

  test('explicit host, consecutive ports from `port`, and kubesphere off', async () => {
    const probe = await Sandbox.start({ clusters: ['p'] });
    const free = Number(new URL(probe.cluster('p').url).port);
    await probe.stop();
    const sandbox = await Sandbox.start({ clusters: ['a', 'b'], host: 'b', port: free, kubesphere: false });
    try {
      expect(sandbox.host).toBe('b');
      expect(sandbox.kubeconfig()['current-context']).toBe('b');
      expect(sandbox.cluster('a').url).toBe(`http://127.0.0.1:${free}`);
      expect(sandbox.cluster('b').url).toBe(`http://127.0.0.1:${free + 1}`);
      expect(sandbox.cluster('a').get('v1', 'Namespace', 'kubesphere-system')).toBeUndefined();
      expect(sandbox.cluster('a').get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'clusters.cluster.kubesphere.io')).toBeUndefined();
    } finally {
      await sandbox.stop();
    }
  });

  test('withoutKubeSphere: those clusters start as plain Kubernetes, the others with KubeSphere', async () => {
    const sandbox = await Sandbox.start({ clusters: ['host', 'edge-1'], withoutKubeSphere: ['edge-1'] });
    try {
      const edge = sandbox.cluster('edge-1');
      expect(edge.get('v1', 'Namespace', 'kubesphere-system')).toBeUndefined();
      expect(edge.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'clusterconfigurations.installer.kubesphere.io')).toBeUndefined();
      expect(edge.api.types.byKind('installer.kubesphere.io/v1alpha1', 'ClusterConfiguration')).toBeUndefined();
      expect(edge.get('v1', 'Namespace', 'default')).toBeDefined();
      const host = sandbox.cluster('host');
      expect(host.get('v1', 'Secret', 'kubesphere-secret', 'kubesphere-system')).toBeDefined();
      expect(host.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'clusters.cluster.kubesphere.io')).toBeDefined();
    } finally {
      await sandbox.stop();
    }
  });

  test('withoutKubeSphere, withoutLoadBalancer, towerUnreachableFrom and unreachableFromHost must name clusters of the sandbox', async () => {
    await expect(Sandbox.start({ clusters: ['a'], withoutKubeSphere: ['b'] })).rejects.toThrow(/withoutKubeSphere names b, not one of the clusters \(a\)/);
    await expect(Sandbox.start({ clusters: ['a'], withoutLoadBalancer: ['c'] })).rejects.toThrow(/withoutLoadBalancer names c, not one of the clusters \(a\)/);
    await expect(Sandbox.start({ clusters: ['a'], towerUnreachableFrom: ['d'] })).rejects.toThrow(/towerUnreachableFrom names d, not one of the clusters \(a\)/);
    await expect(Sandbox.start({ clusters: ['a'], unreachableFromHost: ['e'] })).rejects.toThrow(/unreachableFromHost names e, not one of the clusters \(a\)/);
  });

  test('a port in use fails the start and leaves nothing running', async () => {
    const first = await Sandbox.start({ clusters: ['x'] });
    try {
      const port = Number(new URL(first.cluster('x').url).port);
      await expect(Sandbox.start({ clusters: ['y'], port })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.stop();
    }
  });

  test('stop() closes the endpoints', async () => {
    const sandbox = await Sandbox.start({ clusters: ['z'] });
    const url = sandbox.cluster('z').url;
    await sandbox.stop();
    await expect(fetch(`${url}/version`)).rejects.toThrow();
  });
});
