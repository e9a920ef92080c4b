import { placeholderToken } from 'cdk8s-kubesphere-federation/lib/contract/federation-json';
import { UsageError } from './errors';
import { FederationIndex, groupOf } from './federation';
import { KubeClient, ObjectRef, READ_PRIORITY } from './kube-client';
import { sourceObject } from './placeholders';

/** The namespace of KubeSphere's components and of ks-installer's ClusterConfiguration (facts sheet §2). */
export const KUBESPHERE_SYSTEM = 'kubesphere-system';

/** What a run needs KubeSphere to have installed on one cluster, and what needs it (for the message). */
export interface KubeSphereNeeds {
  readonly cluster: string;
  /** Kinds of KubeSphere's API groups (`*.kubesphere.io`) the run uses there that no CRD of the folder defines. */
  readonly kinds: { readonly apiVersion: string; readonly kind: string }[];
  /** Whether the run needs `kubesphere-system` there (objects or values in it) and the folder does not create it. */
  readonly namespace: boolean;
  /** The objects and values that need them, e.g. `ClusterConfiguration kubesphere-system/ks-installer`. */
  readonly users: string[];
}

/** Whether an API group is KubeSphere's (`installer.kubesphere.io`, `cluster.kubesphere.io`, ...). */
function isKubeSphereGroup(group: string): boolean {
  return group === 'kubesphere.io' || group.endsWith('.kubesphere.io');
}

/** The name of the CRD of a KubeSphere kind: its lowercase plural and group (`clusters.cluster.kubesphere.io`). */
export function crdNameOf(apiVersion: string, kind: string): string {
  const k = kind.toLowerCase();
  const plural = /(s|x|ch|sh)$/.test(k) ? `${k}es` : /[^aeiou]y$/.test(k) ? `${k.slice(0, -1)}ies` : `${k}s`;
  return `${plural}.${groupOf(apiVersion)}`;
}

/**
 * What the selected clusters' folders, and the values of their placeholders (`ids`), need KubeSphere to have put
 * on each cluster the run talks to: the KubeSphere kinds they apply or read (ClusterConfiguration, Cluster, ...)
 * and the namespace `kubesphere-system` (the ClusterConfiguration `ks-installer`, tower, the agent, the host's
 * `kubesphere-secret` the jwtSecret comes from). What a selected folder creates itself (a CRD of the group, the
 * Namespace) is not needed from KubeSphere. Read from federation.json alone (no file is needed); clusters that
 * need nothing are left out.
 */
export function kubesphereNeeds(index: Pick<FederationIndex, 'clusters' | 'placeholders' | 'host'>, selected: Set<string>, ids: Set<string>): KubeSphereNeeds[] {
  const byName = new Map<string, { kinds: Map<string, string>; namespace: boolean; users: Set<string>; namespaceUsers: Set<string> }>();
  const creates = (cluster: string) => {
    const entries = selected.has(cluster) ? index.clusters.find(c => c.name === cluster)?.entries ?? [] : [];
    return {
      groups: new Set(entries.filter(o => o?.kind === 'CustomResourceDefinition' && typeof o.name === 'string').map(o => String(o.name).slice(String(o.name).indexOf('.') + 1))),
      namespace: entries.some(o => o?.kind === 'Namespace' && o.apiVersion === 'v1' && o.name === KUBESPHERE_SYSTEM),
    };
  };
  const need = (cluster: string, ref: ObjectRef, user: string) => {
    const made = creates(cluster);
    const group = groupOf(ref.apiVersion);
    const kind = isKubeSphereGroup(group) && !made.groups.has(group);
    const namespace = ref.namespace === KUBESPHERE_SYSTEM && !made.namespace;
    if (!kind && !namespace) return;
    let n = byName.get(cluster);
    if (!n) byName.set(cluster, n = { kinds: new Map(), namespace: false, users: new Set(), namespaceUsers: new Set() });
    if (kind && !n.kinds.has(ref.apiVersion)) n.kinds.set(ref.apiVersion, ref.kind);
    n.namespace ||= namespace;
    // (users of KubeSphere's kinds first: they say best what the folder wants from KubeSphere)
    (kind ? n.users : n.namespaceUsers).add(user);
  };
  for (const c of index.clusters.filter(x => selected.has(x.name))) {
    for (const o of c.entries) {
      if (typeof o?.apiVersion !== 'string' || typeof o?.kind !== 'string') continue;
      need(c.name, { apiVersion: o.apiVersion, kind: o.kind, namespace: o.namespace || undefined, name: String(o.name) },
        `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`);
    }
  }
  for (const p of index.placeholders.filter(x => ids.has(x.id))) {
    const reuse = p.source.type === 'generate' ? p.source.reuse : undefined;
    const from = sourceObject(p.source, index.host) ?? (reuse ? {
      cluster: String(reuse.cluster ?? index.host),
      ref: { apiVersion: reuse.apiVersion, kind: reuse.kind, namespace: reuse.namespace, name: reuse.name },
    } : undefined);
    if (from) need(from.cluster, from.ref, `${placeholderToken(p.id)} (read from ${from.ref.kind} ${from.ref.namespace ? `${from.ref.namespace}/` : ''}${from.ref.name})`);
  }
  return index.clusters.filter(c => byName.has(c.name)).map(c => {
    const n = byName.get(c.name)!;
    const kinds = [...n.kinds].map(([apiVersion, kind]) => ({ apiVersion, kind }));
    return { cluster: c.name, kinds, namespace: n.namespace, users: [...n.users, ...n.namespaceUsers] };
  });
}

/** What the check found missing on one cluster, and whether a question went unanswered (unreachable, forbidden). */
interface Missing {
  readonly crds: string[];
  readonly namespace: boolean;
  readonly unanswered: boolean;
}

/** A cluster where KubeSphere is not installed as a run needs it. */
export interface KubeSphereProblem {
  readonly cluster: string;
  /** What is missing: `CRD clusters.cluster.kubesphere.io is not served and namespace kubesphere-system does not exist`. */
  readonly what: string;
  /** The objects and values that need it (at most three, then `...`). */
  readonly users: string;
  /** One line naming the cluster, its context, what is missing and what needs it. */
  readonly line: string;
}

/**
 * Starts checking, on every cluster of `needs` at once, that KubeSphere is installed as the run needs: one discovery
 * request per KubeSphere apiVersion and one read of Namespace `kubesphere-system`, each sent once (no retry). The
 * returned function waits for the answers (asking once more, with retries, where a request failed on a cluster
 * whose ApplySet parent could be read) and resolves with one problem for every cluster where something is missing.
 * Where the check cannot tell, nothing is reported.
 */
export function probeKubeSphere(
  needs: KubeSphereNeeds[], client: (cluster: string) => KubeClient, context: (cluster: string) => string | undefined,
): (reachable: (cluster: string) => boolean) => Promise<KubeSphereProblem[]> {
  const probe = async (n: KubeSphereNeeds, attempts?: number): Promise<Missing> => {
    let c: KubeClient;
    try {
      c = client(n.cluster);
    } catch {
      return { crds: [], namespace: false, unanswered: true };
    }
    // (undefined: no answer; a UsageError, e.g. a kubeconfig that cannot work, is the session's to throw)
    const answer = <T>(p: Promise<T>) => p.catch(e => {
      if (e instanceof UsageError) throw e;
      return undefined;
    });
    const [served, namespace] = await Promise.all([
      Promise.all(n.kinds.map(k => answer(c.served(k.apiVersion, k.kind, { attempts })))),
      n.namespace ? answer(c.get({ apiVersion: 'v1', kind: 'Namespace', name: KUBESPHERE_SYSTEM }, { attempts, priority: READ_PRIORITY }).then(ns => ns !== undefined)) : true,
    ]);
    return {
      crds: n.kinds.filter((_, i) => served[i] === false).map(k => crdNameOf(k.apiVersion, k.kind)),
      namespace: namespace === false,
      unanswered: served.includes(undefined) || namespace === undefined,
    };
  };
  const first = needs.map(n => {
    const p = probe(n, 1);
    p.catch(() => undefined); // (awaited by the returned function; a UsageError must not go unhandled meanwhile)
    return p;
  });
  return async reachable => {
    const found = await Promise.all(needs.map(async (n, i) => {
      const m = await first[i];
      return m.unanswered && m.crds.length === 0 && !m.namespace && reachable(n.cluster) ? probe(n) : m;
    }));
    return needs.flatMap((n, i) => {
      const m = found[i];
      if (m.crds.length === 0 && !m.namespace) return [];
      const what = [
        ...(m.crds.length > 0 ? [`CRD${m.crds.length > 1 ? 's' : ''} ${m.crds.join(', ')} ${m.crds.length > 1 ? 'are' : 'is'} not served`] : []),
        ...(m.namespace ? [`namespace ${KUBESPHERE_SYSTEM} does not exist`] : []),
      ].join(' and ');
      const users = `${n.users.slice(0, 3).join(', ')}${n.users.length > 3 ? ', ...' : ''}`;
      return [{ cluster: n.cluster, what, users, line: `cluster "${n.cluster}" (context ${context(n.cluster)}): KubeSphere is not installed there: ${what}, which ${users} need${n.users.length > 1 ? '' : 's'}` }];
    });
  };
}

/** The fix of a KubeSphere that is missing on `clusters`. */
export function installKubeSphereFix(clusters: string[]): string {
  return `install KubeSphere v3.4 with ks-installer on ${clusters.join(', ')} (kubesphere-installer.yaml, then cluster-configuration.yaml) and wait for it to finish, or point --context ${clusters[0]}=CONTEXT at a cluster that runs KubeSphere`;
}

/**
 * `probeKubeSphere`, as a check before anything is written: the returned function throws a UsageError, one line for
 * every cluster where something is missing, saying what and what to install. Where the check cannot tell, the
 * cluster's run goes on and reports what it meets.
 */
export function checkKubeSphere(
  needs: KubeSphereNeeds[], client: (cluster: string) => KubeClient, context: (cluster: string) => string | undefined,
): (reachable: (cluster: string) => boolean) => Promise<void> {
  const problems = probeKubeSphere(needs, client, context);
  return async reachable => {
    const found = await problems(reachable);
    if (found.length === 0) return;
    throw new UsageError(`${found.map(p => p.line).join('; ')}. Fix: ${installKubeSphereFix(found.map(p => p.cluster))}`);
  };
}
