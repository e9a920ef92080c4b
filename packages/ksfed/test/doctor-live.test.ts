import { FakeClient, synth, withKubeSphere } from './fixtures';
import { gatherLive, GatherMode, LiveCluster, settingsOf } from '../src/doctor-live';
import { KubeApiError } from '../src/errors';
import { readFederationIndex } from '../src/federation';
import { KubeClient, RequestOptions } from '../src/kube-client';

const INDEX = readFederationIndex(synth());
const ALL = ['host', 'edge-1', 'branch-7'];

/** A FakeClient that also records the attempts each read was given. */
class Recorder extends FakeClient {
  public readonly attempts: (number | undefined)[] = [];
  public async get(ref: any, options: RequestOptions = {}): Promise<any> {
    this.attempts.push(options.attempts);
    return super.get(ref);
  }
  public async list(apiVersion: string, kind: string, options: any = {}): Promise<any[]> {
    this.attempts.push(options.attempts);
    return super.list(apiVersion, kind, options);
  }
}

async function gather(mode: GatherMode, clients: Map<string, KubeClient>, selected = ALL): Promise<Map<string, LiveCluster>> {
  const live = gatherLive({
    host: 'host',
    clusters: INDEX.clusters,
    selected: new Set(selected),
    talkTo: [...clients.keys()],
    client: c => {
      const client = clients.get(c);
      if (!client) throw new Error(`no client for ${c}`);
      return client;
    },
  }, mode);
  return new Map(await Promise.all([...live].map(async ([k, p]) => [k, await p] as const)));
}

describe('gatherLive', () => {
  test('full: what each role is read for; a missing object is null, a read that fails undefined; settings and the jwtSecret decoded', async () => {
    const host = withKubeSphere(new Recorder('host'));
    host.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kubesphere-config', namespace: 'kubesphere-system' }, data: { 'kubesphere.yaml': 'multicluster:\n  clusterRole: host\nauthentication:\n  oauthOptions:\n    accessTokenMaxAge: 0\n' } });
    const edge = new Recorder('edge-1');
    edge.failWith = call => (call.startsWith('list Node') ? new KubeApiError(500, 'InternalError', 'etcd timeout') : undefined);
    const live = await gather('full', new Map<string, KubeClient>([['host', host], ['edge-1', edge]]));
    const h = live.get('host')!;
    expect(h.config).toEqual({ multicluster: { clusterRole: 'host' }, authentication: { oauthOptions: { accessTokenMaxAge: 0 } } });
    expect(h.secret).toBe('kQ7vR2mXz9LpA4sT8wYc3NbH6eJ1uFgD');
    expect(h.ksApiServer?.metadata.labels.version).toBe('v3.4.1');
    expect([h.clusterConfiguration, h.kubeSystemUid, h.towerService]).toEqual([null, null, null]);
    expect(h.clusters).toEqual([]);
    // the host's folder installs KubeFed and tower: their live copies are read with their namespaces' Deployments (none here)
    expect([...h.components.keys()].sort()).toEqual(['kube-federation-system/kubefed-admission-webhook', 'kube-federation-system/kubefed-controller-manager', 'kubesphere-system/tower']);
    expect([...h.components.values()]).toEqual([null, null, null]);
    // (member-only reads are not made on the host)
    expect([h.ksApiServerService, h.workspaces, h.kubefedServiceAccounts]).toEqual([undefined, undefined, undefined]);
    const e = live.get('edge-1')!;
    expect(e.nodes).toBeUndefined();
    expect([e.config, e.ksApiServer, e.ksApiServerService]).toEqual([null, null, null]);
    expect([e.workspaces, e.workspaceTemplates, e.kubefedServiceAccounts]).toEqual([[], [], []]);
    expect(Array.isArray(e.workspaceNamespaces)).toBe(true);
    expect([e.secret, e.clusters, e.towerService]).toEqual([undefined, undefined, undefined]);
    expect(e.version).toEqual({ major: '1', minor: '26', gitVersion: 'v1.26.15' });
    expect(new Set(edge.attempts)).toEqual(new Set([3]));
  });

  test('preflight reads less (no tower Service, no member WorkspaceTemplates or namespaces), each once; clusters outside the selection only what others need', async () => {
    const host = new Recorder('host');
    const edge = new Recorder('edge-1');
    const live = await gather('preflight', new Map<string, KubeClient>([['host', host], ['edge-1', edge]]), ['edge-1']);
    expect(edge.calls.sort()).toEqual([
      'get ClusterConfiguration ks-installer', 'get ConfigMap kubesphere-config', 'get Namespace kube-system', 'get Service ks-apiserver',
      'list Deployment kubesphere-system', 'list Node *', 'list ServiceAccount kube-federation-system', 'list Workspace *', 'version',
    ]);
    expect(new Set(edge.attempts)).toEqual(new Set([1]));
    // the host is not selected: its Cluster objects, WorkspaceTemplates and jwtSecret, not its nodes or components
    expect(host.calls.sort()).toEqual([
      'get ClusterConfiguration ks-installer', 'get ConfigMap kubesphere-config', 'get Namespace kube-system', 'get Secret kubesphere-secret',
      'list Cluster *', 'list Deployment kubesphere-system', 'list WorkspaceTemplate *', 'version',
    ]);
    expect(live.get('host')!.towerService).toBeUndefined();
  });

  test('a cluster whose client cannot be made: everything unknown, nothing thrown', async () => {
    const live = await gather('full', new Map<string, KubeClient>([['host', new FakeClient('host')]]));
    const clients = new Map<string, KubeClient>([['host', new FakeClient('host')]]);
    const missing = gatherLive({
      host: 'host',
      clusters: INDEX.clusters,
      selected: new Set(ALL),
      talkTo: ['edge-1'],
      client: c => clients.get(c)! ?? (() => {
        throw new Error('no client');
      })(),
    }, 'full');
    const e = await missing.get('edge-1')!;
    expect([e.version, e.kubeSystemUid, e.config, e.ksApiServer, e.nodes, e.workspaces].every(v => v === undefined)).toBe(true);
    expect(live.get('host')!.version).toBeDefined();
  });
});

test('settingsOf: kubesphere.yaml parsed; null without it or when it is not a mapping; undefined when the ConfigMap could not be read', () => {
  expect(settingsOf({ data: { 'kubesphere.yaml': 'authentication:\n  jwtSecret: abc\n' } })).toEqual({ authentication: { jwtSecret: 'abc' } });
  expect(settingsOf({ data: {} })).toBeNull();
  expect(settingsOf({ data: { 'kubesphere.yaml': '- a list' } })).toBeNull();
  expect(settingsOf({ data: { 'kubesphere.yaml': 'a: [' } })).toBeNull();
  expect(settingsOf(null)).toBeNull();
  expect(settingsOf(undefined)).toBeUndefined();
});
