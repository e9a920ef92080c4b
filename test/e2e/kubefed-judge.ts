// The judge of the KubeFed e2e test: what to put on the host of a real fleet, and how to compare the objects the
// real KubeFed controller-manager creates on each member with what `preview()` and rendered mode say.
import { KubeConfig } from '@kubernetes/client-node';
import { ClusterChart, FederatedApp, FederationApp, FederationMode, Host } from 'cdk8s-kubesphere-federation';
import { federatedTypeByKind, targetApiVersion } from 'cdk8s-kubesphere-federation/lib/crds';
import { MANAGED_LABEL_KEY, renderForCluster } from 'cdk8s-kubesphere-federation/lib/kubefed-semantics';
import { KubeClient, ClientNodeKubeClient } from 'ksfed/lib/kube-client';

/** A plain object with its kind and place. */
export const keyOf = (o: any): string => `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;

/**
 * The part of a synthesized host folder that a test applies to a real host whose KubeFed was installed by the
 * launcher (as ks-installer would): the project Namespaces, the WorkspaceTemplates, the FederatedNamespaces, every
 * other federated object and the ReplicaSchedulingPreferences, in that order. Everything else is left out: the
 * CRDs, FederatedTypeConfigs and KubeFedConfig (the launcher installed KubeFed's), the Cluster objects and
 * ClusterConfiguration (no KubeSphere controller runs to act on them), the KubeSphere and KubeFed Deployments,
 * Services, RBAC and webhook configurations (no webhook server runs, so the webhook configurations would make
 * every write to the kinds they cover fail), and KubeSphere's IAM objects (Users, WorkspaceRoles, bindings: only
 * KubeSphere's controllers would federate them).
 */
export function hostObjectsToApply(host: any[]): any[] {
  const rank = (o: any): number => {
    if (o.apiVersion === 'v1' && o.kind === 'Namespace') return o.metadata.name === 'kube-federation-system' ? -1 : 0;
    if (o.apiVersion === 'tenant.kubesphere.io/v1alpha2' && o.kind === 'WorkspaceTemplate') return 1;
    if (o.apiVersion === 'types.kubefed.io/v1beta1') return o.kind === 'FederatedNamespace' ? 2 : 3;
    if (o.apiVersion === 'scheduling.kubefed.io/v1alpha1' && o.kind === 'ReplicaSchedulingPreference') return 4;
    return -1;
  };
  return host.map(o => ({ o, r: rank(o) })).filter(x => x.r >= 0).sort((a, b) => a.r - b.r).map(x => x.o);
}

/**
 * The labels of each cluster's `Cluster` object in a host folder: KubeSphere's cluster controller copies them to
 * the cluster's KubeFedCluster (join.go), and KubeFed's placement selectors match those.
 */
export function clusterLabelsOf(host: any[]): { [cluster: string]: { [key: string]: string } } {
  const out: { [cluster: string]: { [key: string]: string } } = {};
  for (const o of host) {
    if (o.kind === 'Cluster' && o.apiVersion === 'cluster.kubesphere.io/v1alpha1') out[o.metadata.name] = { ...(o.metadata.labels ?? {}) };
  }
  return out;
}

/**
 * Fields a server or a member's controller sets on an object, which neither preview() nor KubeFed decide:
 * metadata uid, resourceVersion, creationTimestamp, generation, managedFields, selfLink; status; a Service's
 * allocated cluster IPs and node ports; the Deployment controller's revision annotation. Values the server derived
 * from the uid (a Job's `controller-uid` labels and selector) become `<uid>`. Returns a copy.
 */
export function withoutServerFields(obj: any): any {
  // A value equal to the object's own uid was made from it by the server (a Job's controller-uid selector labels).
  const uid = obj?.metadata?.uid;
  const copy = JSON.parse(JSON.stringify(obj), (_k, v) => (uid && v === uid ? '<uid>' : v));
  delete copy.status;
  const meta = copy.metadata ?? {};
  for (const f of ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields', 'selfLink']) delete meta[f];
  if (meta.annotations) {
    delete meta.annotations['deployment.kubernetes.io/revision'];
    if (Object.keys(meta.annotations).length === 0) delete meta.annotations;
  }
  if (copy.kind === 'Service' && copy.spec) {
    delete copy.spec.clusterIP;
    delete copy.spec.clusterIPs;
    for (const p of copy.spec.ports ?? []) delete p.nodePort;
  }
  return copy;
}

/** JSON-pointer style differences between two JSON values, one line each; empty when equal. */
export function jsonDiff(expected: unknown, actual: unknown, path = ''): string[] {
  const show = (v: unknown) => (v === undefined ? '(absent)' : JSON.stringify(v));
  if (Array.isArray(expected) && Array.isArray(actual)) {
    const out: string[] = [];
    for (let i = 0; i < Math.max(expected.length, actual.length); i++) out.push(...jsonDiff(expected[i], actual[i], `${path}/${i}`));
    return out;
  }
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(expected) && isObj(actual)) {
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
    return keys.flatMap(k => jsonDiff(expected[k], actual[k], `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`));
  }
  if (JSON.stringify(expected) === JSON.stringify(actual)) return [];
  return [`${path || '/'}: expected ${show(expected)}, got ${show(actual)}`];
}

/** A KubeClient per cluster of a kubeconfig whose contexts are named like the clusters. */
export function clientsFor(kubeconfigPath: string, clusters: readonly string[]): Map<string, ClientNodeKubeClient> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return new Map(clusters.map(c => [c, new ClientNodeKubeClient({ cluster: c, kubeConfig: kc, context: c, requestTimeoutMs: 20_000 })]));
}

/** The key of the object a federated object propagates (its target kind; a FederatedNamespace's namespace). */
export function targetKeyOf(federated: any, targetKind: string): string {
  const name = federated.metadata.name;
  return keyOf({ kind: targetKind, metadata: targetKind === 'Namespace' ? { name } : { name, namespace: federated.metadata.namespace } });
}

/** The kinds KubeFed propagates objects of, for listing what it created on a member. */
export interface TargetKind {
  readonly apiVersion: string;
  readonly kind: string;
}

/** What a member holds, compared with what it should hold. */
export interface ClusterVerdict {
  readonly cluster: string;
  /** Objects expected and found equal (modulo server-set fields). */
  readonly equal: string[];
  /** One line per problem: missing, unexpected (not placed there but present), or a differing field. */
  readonly problems: string[];
  /** The resourceVersion of each live object compared, by key (to tell when the members are stable). */
  readonly versions: { [key: string]: string };
}

/**
 * Compares the KubeFed-managed objects (label `kubefed.io/managed=true`) of the given kinds on a member with the
 * expected ones. Each expected object is first sent to the same member as a server-side-apply dry run under
 * another name, so the member's own defaulting fills both sides alike; then both lose their server-set fields
 * ({@link withoutServerFields}) and must be equal, field for field. `dryRuns` caches the defaulted expectations.
 * `owned` (keys of the targets of the program's federated objects) leaves out what other programs propagate.
 */
export async function judgeCluster(
  client: KubeClient, expected: readonly any[], kinds: readonly TargetKind[], dryRuns: Map<string, any>, owned?: ReadonlySet<string>,
): Promise<ClusterVerdict> {
  const live = new Map<string, any>();
  for (const k of kinds) {
    for (const o of await client.list(k.apiVersion, k.kind, { labelSelector: `${MANAGED_LABEL_KEY}=true` })) {
      if (!owned || owned.has(keyOf(o))) live.set(keyOf(o), o);
    }
  }
  const problems: string[] = [];
  const equal: string[] = [];
  const versions = Object.fromEntries([...live].map(([k, o]) => [k, String(o.metadata?.resourceVersion)]));
  for (const want of expected) {
    const key = keyOf(want);
    const got = live.get(key);
    live.delete(key);
    if (!got) {
      problems.push(`${key}: missing`);
      continue;
    }
    const defaulted = await defaultedByServer(client, want, dryRuns);
    const diff = jsonDiff(withoutServerFields(defaulted), withoutServerFields(got));
    if (diff.length === 0) equal.push(key);
    else problems.push(...diff.map(d => `${key}: ${d}`));
  }
  for (const key of live.keys()) problems.push(`${key}: present but not expected there`);
  return { cluster: client.cluster, equal, problems, versions };
}

const DRY_RUN_SUFFIX = '-judge-dry-run';

async function defaultedByServer(client: KubeClient, obj: any, cache: Map<string, any>): Promise<any> {
  const key = `${client.cluster} ${keyOf(obj)}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const name = obj.metadata.name;
  const renamed = { ...obj, metadata: { ...obj.metadata, name: `${name}${DRY_RUN_SUFFIX}` } };
  const { object } = await client.apply(renamed, { dryRun: true });
  // Fields the server derives from the name (a Namespace's kubernetes.io/metadata.name label, a Job's job-name
  // labels) get the real name back.
  const out = JSON.parse(JSON.stringify(object), (_k, v) => (v === renamed.metadata.name ? name : v));
  cache.set(key, out);
  return out;
}

/**
 * Server-side-applies objects in order; a kind its CRD does not serve yet is retried for up to `timeoutMs`, except
 * WorkspaceTemplates, which are skipped when the host does not serve them. Returns the skipped objects' keys.
 */
export async function applyInOrder(client: KubeClient, objects: readonly any[], timeoutMs = 60_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  const skipped: string[] = [];
  for (const o of objects) {
    if (o.kind === 'WorkspaceTemplate' && await client.namespaced(o.apiVersion, o.kind) === undefined) {
      skipped.push(keyOf(o));
      continue;
    }
    for (;;) {
      try {
        await client.apply(o, { force: true });
        break;
      } catch (e: any) {
        if (!(e?.notServed) || Date.now() > deadline) throw new Error(`applying ${keyOf(o)} to ${client.cluster}: ${e?.message ?? e}`);
        await sleep(500);
      }
    }
  }
  return skipped;
}

/**
 * Why the federated objects are not (yet) propagated as expected, from KubeFed's own status on the host: the
 * Propagation condition must be True for the object's current generation (False with reason CheckClusters when an
 * expected failure is), and `status.clusters` must list exactly `reach[key]` (`name`, or `name=STATUS` for an
 * expected failure). Empty when all is so.
 */
export async function propagationProblems(
  host: KubeClient, federated: readonly any[], reach: ReadonlyMap<string, readonly string[]>,
): Promise<string[]> {
  const problems: string[] = [];
  for (const f of federated) {
    const key = keyOf(f);
    const live = await host.get({ apiVersion: f.apiVersion, kind: f.kind, namespace: f.metadata.namespace, name: f.metadata.name });
    if (!live) {
      problems.push(`${key}: not on the host`);
      continue;
    }
    const status = live.status ?? {};
    // An expected failure (the host's unmanaged project Namespace) makes KubeFed report Propagation=False CheckClusters.
    const want = [...(reach.get(key) ?? [])].sort();
    const condition = want.some(w => w.includes('=')) ? 'False CheckClusters' : 'True';
    const cond = (status.conditions ?? []).find((c: any) => c.type === 'Propagation');
    if (!cond) problems.push(`${key}: no Propagation condition yet`);
    else if (`${cond.status}${cond.reason ? ` ${cond.reason}` : ''}` !== condition) problems.push(`${key}: Propagation=${cond.status} ${cond.reason ?? ''}, expected ${condition}`);
    if (status.observedGeneration !== live.metadata.generation) problems.push(`${key}: observedGeneration ${status.observedGeneration} != generation ${live.metadata.generation}`);
    const clusters = (status.clusters ?? []).map((c: any) => `${c.name}${c.status ? `=${c.status}` : ''}`).sort();
    if (JSON.stringify(clusters) !== JSON.stringify(want)) problems.push(`${key}: status.clusters [${clusters.join(', ')}], expected [${want.join(', ')}]`);
  }
  return problems;
}

/** Polls `check` until it returns no problem, or fails after `timeoutMs` with the last problems and `what`. */
export async function until(what: string, timeoutMs: number, check: () => Promise<string[]>, intervalMs = 1000): Promise<number> {
  const start = Date.now();
  let last: string[] = [];
  for (;;) {
    last = await check();
    if (last.length === 0) return Date.now() - start;
    if (Date.now() - start > timeoutMs) {
      throw new Error(`${what}: still not so after ${Math.round(timeoutMs / 1000)} s:\n  ${last.slice(0, 40).join('\n  ')}${last.length > 40 ? `\n  ... ${last.length - 40} more` : ''}`);
    }
    await sleep(intervalMs);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise(r => setTimeout(r, ms));
}

/** What a synthesized program puts on a KubeFed fleet, and what each cluster should then hold. */
export interface Expectations {
  /** The host folder's objects. */
  readonly host: any[];
  /** Every cluster of the program (the host first), with the labels of its `Cluster` object. */
  readonly labels: { [cluster: string]: { [key: string]: string } };
  /** What to apply to the host ({@link hostObjectsToApply}). */
  readonly toApply: any[];
  /** The federated objects of `toApply`. */
  readonly federated: any[];
  /**
   * Per cluster: `preview(cluster)` of every app in FEDERATED mode, and the Namespace KubeFed makes from each
   * FederatedNamespace (the engine's `renderForCluster`), except on the host, whose project Namespace is the
   * program's own, labelled `kubefed.io/managed: "false"`, which KubeFed leaves alone.
   */
  readonly expected: Map<string, any[]>;
  /**
   * Per federated object (by key): the `status.clusters` entries KubeFed should report, `name` or
   * `name=STATUS` (a FederatedNamespace on the host: `host=ManagedLabelFalse`).
   */
  readonly reach: Map<string, string[]>;
  /** The target kinds of the federated objects. */
  readonly kinds: TargetKind[];
  /** The keys of the objects the federated objects propagate (anything else on a member belongs to someone else). */
  readonly owned: Set<string>;
}

/** The {@link Expectations} of a program built (not yet necessarily synthesized) into `app`. */
export function expectationsOf(app: FederationApp): Expectations {
  const host = app.manifests(app.node.findAll().find((c): c is Host => Host.isHost(c))!.clusterName);
  const labels = clusterLabelsOf(host);
  const clusterNames = Object.keys(labels);
  const infos = clusterNames.map(name => ({ name, labels: labels[name] }));
  const charts = new Map(app.node.findAll().filter((c): c is ClusterChart => ClusterChart.isClusterChart(c)).map(c => [c.clusterName, c]));
  const apps = app.node.findAll().filter((c): c is FederatedApp => c instanceof FederatedApp && c.mode === FederationMode.FEDERATED);
  const hostName = app.node.findAll().find((c): c is Host => Host.isHost(c))!.clusterName;
  const toApply = hostObjectsToApply(host);
  const federated = toApply.filter(o => o.apiVersion === 'types.kubefed.io/v1beta1');
  const namespaceOn = (fns: any, cluster: string) => renderForCluster(fns, { apiVersion: 'v1', kind: 'Namespace' }, cluster, { clusters: infos });
  const expected = new Map<string, any[]>();
  for (const c of clusterNames) {
    const objects = apps.flatMap(a => a.preview(charts.get(c)!));
    if (c !== hostName) for (const fns of federated.filter(f => f.kind === 'FederatedNamespace')) objects.push(...[namespaceOn(fns, c)].filter(o => o));
    expected.set(c, objects);
  }
  const reach = new Map<string, string[]>();
  const kinds = new Map<string, TargetKind>();
  const owned = new Set<string>();
  for (const f of federated) {
    const type = federatedTypeByKind(f.kind)!;
    kinds.set(type.target.kind, { apiVersion: targetApiVersion(type), kind: type.target.kind });
    const target = targetKeyOf(f, type.target.kind);
    owned.add(target);
    reach.set(keyOf(f), clusterNames.flatMap(c => {
      if (f.kind === 'FederatedNamespace' && c === hostName) return namespaceOn(f, c) ? [`${c}=ManagedLabelFalse`] : [];
      return expected.get(c)!.some(o => keyOf(o) === target) ? [c] : [];
    }).sort());
  }
  return { host, labels, toApply, federated, expected, reach, kinds: [...kinds.values()], owned };
}

/**
 * The host's `Cluster` objects of a folder as they carry the labels KubeFed's selectors match: name, labels and the
 * join flags, without the connection's credentials (no KubeSphere controller runs to use them).
 */
export function clusterObjectsOf(host: any[]): any[] {
  return host.filter(o => o.kind === 'Cluster' && o.apiVersion === 'cluster.kubesphere.io/v1alpha1').map(o => ({
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: { name: o.metadata.name, labels: o.metadata.labels ?? {} },
    spec: { joinFederation: o.spec?.joinFederation ?? true, connection: { type: o.spec?.connection?.type ?? 'direct' } },
  }));
}
