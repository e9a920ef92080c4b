import * as yaml from 'js-yaml';
import { FederationIndexCluster, groupOf } from './federation';
import { KubeClient, ObjectRef, RequestOptions } from './kube-client';
import { KUBESPHERE_SYSTEM } from './kubesphere-check';

/** What one read found: the object, `null` when it does not exist, `undefined` when it could not be read. */
export type Read<T> = T | null | undefined;

/** The ConfigMap KubeSphere's components run with, rendered by ks-installer (data key `kubesphere.yaml`). */
export const KUBESPHERE_CONFIG = 'kubesphere-config';
/** The namespace of KubeFed, and of the join artifacts KubeSphere leaves on a member. */
export const KUBEFED_NAMESPACE = 'kube-federation-system';
/** The label of a namespace's (or a role's) workspace. */
export const WORKSPACE_LABEL = 'kubesphere.io/workspace';

/** The live state of one cluster that the checks read (secrets stay in memory: never put them into a finding). */
export interface LiveCluster {
  readonly name: string;
  /** `/version`. */
  readonly version: Read<{ major?: string; minor?: string; gitVersion?: string }>;
  /** The uid of the `kube-system` namespace: the cluster's identity, as KubeSphere tells clusters apart. */
  readonly kubeSystemUid: Read<string>;
  /** The settings KubeSphere runs with: `kubesphere.yaml` of ConfigMap kubesphere-system/kubesphere-config, parsed. */
  readonly config: Read<any>;
  /** The value of `kubesphere-secret` (key `secret`): the jwtSecret ks-installer keeps. */
  readonly secret: Read<string>;
  /** ks-installer's ClusterConfiguration kubesphere-system/ks-installer. */
  readonly clusterConfiguration: Read<any>;
  /** Deployment kubesphere-system/ks-apiserver. */
  readonly ksApiServer: Read<any>;
  /** Service kubesphere-system/ks-apiserver (members). */
  readonly ksApiServerService: Read<any>;
  /** Nodes (selected clusters). */
  readonly nodes: Read<any[]>;
  /** Workspaces (members). */
  readonly workspaces: Read<any[]>;
  /** WorkspaceTemplates (the host; members in a full check). */
  readonly workspaceTemplates: Read<any[]>;
  /** Namespaces labelled with a workspace (members, in a full check). */
  readonly workspaceNamespaces: Read<any[]>;
  /** Names of the ServiceAccounts in kube-federation-system (members): KubeSphere's join leaves `<cluster>-kubesphere`. */
  readonly kubefedServiceAccounts: Read<string[]>;
  /** The `Cluster` objects (the host). */
  readonly clusters: Read<any[]>;
  /** The live copies of the Deployments of the host's folder that install KubeFed and tower, by `namespace/name`. */
  readonly components: Map<string, Read<any>>;
  /** Service kubesphere-system/tower (the host, in a full check). */
  readonly towerService: Read<any>;
}

/** What to read: `full` for doctor, `preflight` for apply (only what checks that can refuse a run need). */
export type GatherMode = 'full' | 'preflight';

/** The Deployments a host folder may hold that install KubeFed and tower (ks-installer installs the same ones). */
export const COMPONENT_DEPLOYMENTS = [
  `${KUBEFED_NAMESPACE}/kubefed-controller-manager`, `${KUBEFED_NAMESPACE}/kubefed-admission-webhook`, `${KUBESPHERE_SYSTEM}/tower`,
];

/**
 * KubeSphere's kinds the checks read (plural and scope fixed by KubeSphere v3.4's CRDs, facts sheet §1, §2, §5.1):
 * taught to the clients so that their reads need no discovery request first. Where a kind is not served, its read
 * fails (NotServed) and says nothing.
 */
const KUBESPHERE_KINDS: [group: string, version: string, kind: string, plural: string, namespaced: boolean][] = [
  ['installer.kubesphere.io', 'v1alpha1', 'ClusterConfiguration', 'clusterconfigurations', true],
  ['cluster.kubesphere.io', 'v1alpha1', 'Cluster', 'clusters', false],
  ['tenant.kubesphere.io', 'v1alpha1', 'Workspace', 'workspaces', false],
  ['tenant.kubesphere.io', 'v1alpha2', 'WorkspaceTemplate', 'workspacetemplates', false],
];

/** What gatherLive reads from: federation.json and the clients of the clusters the run talks to. */
export interface GatherContext {
  readonly host: string;
  /** Every cluster of federation.json with the entries of its folder. */
  readonly clusters: FederationIndexCluster[];
  readonly selected: Set<string>;
  readonly talkTo: string[];
  readonly client: (cluster: string) => KubeClient;
}

/**
 * Starts reading, on every cluster the run talks to and all at once, what the checks need (see `LiveCluster`); each
 * cluster's promise resolves when its reads are answered. A read that fails leaves its field `undefined` (the checks
 * then say nothing about it); a missing object is `null`. Each read is tried three times at most; in `preflight`, which
 * also reads less (see `GatherMode`), once, like the session's first request, so that a cluster that does not answer
 * holds apply up no longer than that request does.
 */
export function gatherLive(ctx: GatherContext, mode: GatherMode): Map<string, Promise<LiveCluster>> {
  const out = new Map<string, Promise<LiveCluster>>();
  for (const name of ctx.talkTo) {
    const p = gatherCluster(ctx, name, mode);
    p.catch(() => undefined); // (it never rejects; awaited by the checks)
    out.set(name, p);
  }
  return out;
}

async function gatherCluster(ctx: GatherContext, name: string, mode: GatherMode): Promise<LiveCluster> {
  const cluster = ctx.clusters.find(c => c.name === name)!;
  const isHost = name === ctx.host;
  const member = cluster.role === 'member';
  const selected = ctx.selected.has(name);
  const full = mode === 'full';
  const options: RequestOptions = { attempts: full ? 3 : 1 };
  let client: KubeClient | undefined;
  try {
    client = ctx.client(name);
    for (const [group, version, kind, plural, namespaced] of KUBESPHERE_KINDS) {
      client.learnKinds({ spec: { group, names: { kind, plural }, scope: namespaced ? 'Namespaced' : 'Cluster', versions: [{ name: version, served: true }] } });
    }
  } catch {
    client = undefined;
  }
  // A read: the object (null when missing); undefined when it cannot be made or fails.
  const read = <T>(fn: (c: KubeClient) => Promise<T>, when = true): Promise<T | undefined> => {
    if (!client || !when) return Promise.resolve(undefined);
    return fn(client).catch(() => undefined);
  };
  const get = (ref: ObjectRef, when = true) => read(c => c.get(ref, options).then(o => o ?? null), when);
  const list = (apiVersion: string, kind: string, opts: { namespace?: string; labelSelector?: string }, when: boolean) =>
    read(c => c.list(apiVersion, kind, { ...opts, attempts: options.attempts }), when);
  const kubesphere = (kind: string, n: string) => ({ apiVersion: 'v1', kind, namespace: KUBESPHERE_SYSTEM, name: n });

  // The Deployments of the host's folder that install KubeFed and tower, read with the namespaces' Deployments (one
  // LIST per namespace: kubesphere-system's also gives ks-apiserver).
  const components = COMPONENT_DEPLOYMENTS.filter(key => selected && cluster.entries.some(o => o?.kind === 'Deployment'
    && groupOf(String(o?.apiVersion)) === 'apps' && `${o.namespace}/${o.name}` === key));
  const [version, kubeSystem, config, secret, cc, kubesphereDeployments, kubefedDeployments, ksApiServerService, nodes, workspaces,
    workspaceTemplates, workspaceNamespaces, serviceAccounts, clusters, towerService] = await Promise.all([
    read(c => c.serverVersion(options)),
    get({ apiVersion: 'v1', kind: 'Namespace', name: 'kube-system' }),
    get(kubesphere('ConfigMap', KUBESPHERE_CONFIG)),
    get(kubesphere('Secret', 'kubesphere-secret'), isHost),
    get({ apiVersion: 'installer.kubesphere.io/v1alpha1', kind: 'ClusterConfiguration', namespace: KUBESPHERE_SYSTEM, name: 'ks-installer' }),
    list('apps/v1', 'Deployment', { namespace: KUBESPHERE_SYSTEM }, true),
    list('apps/v1', 'Deployment', { namespace: KUBEFED_NAMESPACE }, components.some(key => key.startsWith(`${KUBEFED_NAMESPACE}/`))),
    get(kubesphere('Service', 'ks-apiserver'), member),
    list('v1', 'Node', {}, selected),
    list('tenant.kubesphere.io/v1alpha1', 'Workspace', {}, member && selected),
    list('tenant.kubesphere.io/v1alpha2', 'WorkspaceTemplate', {}, isHost || (full && member && selected)),
    list('v1', 'Namespace', { labelSelector: WORKSPACE_LABEL }, full && member && selected),
    list('v1', 'ServiceAccount', { namespace: KUBEFED_NAMESPACE }, member && selected),
    list('cluster.kubesphere.io/v1alpha1', 'Cluster', {}, isHost),
    get(kubesphere('Service', 'tower'), full && isHost),
  ]);
  const deployment = (items: any[] | undefined, n: string): Read<any> => (items ? items.find(d => d?.metadata?.name === n) ?? null : undefined);
  return {
    name,
    version: version ?? undefined,
    kubeSystemUid: kubeSystem === null ? null : kubeSystem?.metadata?.uid,
    config: settingsOf(config),
    secret: secret === null ? null : secret === undefined ? undefined : secretValue(secret),
    clusterConfiguration: cc,
    ksApiServer: deployment(kubesphereDeployments, 'ks-apiserver'),
    ksApiServerService,
    nodes,
    workspaces,
    workspaceTemplates,
    workspaceNamespaces,
    kubefedServiceAccounts: serviceAccounts?.map(sa => String(sa?.metadata?.name)),
    clusters,
    components: new Map(components.map(key => {
      const [namespace, n] = key.split('/');
      return [key, deployment(namespace === KUBEFED_NAMESPACE ? kubefedDeployments : kubesphereDeployments, n)];
    })),
    towerService,
  };
}

/** The settings of a kubesphere-config ConfigMap (`kubesphere.yaml` parsed); null when it is missing or has none. */
export function settingsOf(cm: Read<any>): Read<any> {
  if (cm === undefined) return undefined;
  const text = cm?.data?.['kubesphere.yaml'];
  if (typeof text !== 'string') return null;
  try {
    const parsed = yaml.load(text, { schema: yaml.CORE_SCHEMA });
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

/** The jwtSecret a kubesphere-secret holds (key `secret`), or null when it holds none. */
function secretValue(secret: any): string | null {
  const data = secret?.data?.secret;
  if (typeof data === 'string' && data.length > 0) return Buffer.from(data, 'base64').toString('utf8');
  const text = secret?.stringData?.secret;
  return typeof text === 'string' && text.length > 0 ? text : null;
}
