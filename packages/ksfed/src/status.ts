import { readinessOf } from 'cdk8s-kubesphere-federation/lib/contract/kinds';
import { describeError } from './cluster-run';
import { KubeApiError } from './errors';
import { FederationCluster, FederationObject, groupOf } from './federation';
import { clusterJoined, explainJoin, JoinFinding } from './join-diagnosis';
import { KubeClient } from './kube-client';
import { mapLimit } from './limiter';
import { redactLiveValues } from './placeholders';
import { objectName } from './report';
import { ConnectOptions, openSession, Session } from './session';
import { rolloutReadiness } from './waits';

/** A condition, as shown by `status`. */
export interface ConditionView {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
}

/**
 * One cluster of a federated object, from KubeFed's sync controller: its entry of `status.clusters`, or a cluster
 * the object's own placement lists that KubeFed does not propagate it to.
 */
export interface FederatedClusterView {
  readonly cluster: string;
  /**
   * KubeFed's propagation status for the cluster: `OK` (KubeFed writes none), a failure such as `CreationFailed`,
   * `UpdateFailed`, `ApplyOverridesFailed`, `ClusterNotReady`, `ManagedLabelFalse`, `WaitingForRemoval`; or
   * `NotPlaced` (listed in the placement, but KubeFed does not place it there).
   */
  readonly status: string;
  /** Why: KubeFed's latest warning event about this cluster, or the reason it is not placed there. */
  readonly message?: string;
  /** True when the status is a failure that is expected (the host's project Namespace, which KubeSphere keeps unmanaged). */
  readonly expected?: boolean;
}

/** A federated (types.kubefed.io) object of a folder and its propagation, as KubeFed reports it. */
export interface FederatedHealth {
  readonly name: string;
  /** Propagated: KubeFed saw the current generation, and every cluster is OK (or an expected failure). */
  readonly ready: boolean;
  /** `status.conditions` (Propagation), or `Exists=False` when the object is missing. */
  readonly conditions: ConditionView[];
  /** Per cluster, sorted by name. */
  readonly clusters: FederatedClusterView[];
  /** Why the object as a whole is not propagated, when KubeFed says so (e.g. its namespace is not federated). */
  readonly message?: string;
}

/** The health of one cluster. */
export interface ClusterHealth {
  readonly name: string;
  readonly role: string;
  readonly context?: string;
  readonly reachable: boolean;
  readonly error?: string;
  /** The conditions of the cluster's `Cluster` object on the host (undefined when there is none). */
  readonly conditions?: ConditionView[];
  /** Why a member whose `Cluster` is not Ready does not join: each cause, what was seen, the fix (join-diagnosis.ts). */
  readonly join?: JoinFinding[];
  /** Deployments, StatefulSets and DaemonSets of the folder. */
  readonly workloads: { name: string; ready: boolean; state: string }[];
  /** Federated (types.kubefed.io) objects of the folder and their propagation per cluster. */
  readonly federated: FederatedHealth[];
  /** True when reachable, the Cluster is Ready (and AgentAvailable for agents), workloads ready, federated objects propagated. */
  readonly healthy: boolean;
}

/** The result of `status`. */
export interface StatusReport {
  readonly dist: string;
  readonly healthy: boolean;
  readonly clusters: ClusterHealth[];
}

/**
 * Per-cluster health: the conditions of each cluster's `Cluster` object (read from the host), the readiness of
 * the folder's workloads, and the propagation of its federated objects. Changes nothing.
 */
export async function status(dist: string, options: ConnectOptions = {}): Promise<StatusReport> {
  const session = await openSession(dist, options, { contact: true, placeholders: false });
  const host = session.federation.clusters.find(c => c.name === session.federation.host)!;
  try {
    const clusters = await mapLimit(session.selected, 4, c => health(session, c, host));
    // (conditions and errors come from the clusters: what an apply filled in is hidden there too)
    return session.redactor.redactDeep({ dist, healthy: clusters.every(c => c.healthy), clusters });
  } finally {
    session.close();
  }
}

async function health(session: Session, c: FederationCluster, host: FederationCluster): Promise<ClusterHealth> {
  const base = { name: c.name, role: c.role, context: session.contexts.get(c.name) };
  let conditions: ConditionView[] | undefined;
  let join: JoinFinding[] | undefined;
  const clusterObject = host.objects.find(o => o.kind === 'Cluster' && groupOf(o.apiVersion) === 'cluster.kubesphere.io' && o.name === c.name);
  const hostReachable = !session.preflight.get(host.name)?.error;
  const pre = session.preflight.get(c.name);
  if (clusterObject && hostReachable) {
    let obj: any;
    try {
      obj = await session.client(host.name).get(clusterObject);
      redactLiveValues(session.redactor, clusterObject.manifest, obj);
      conditions = obj ? (obj.status?.conditions ?? []).map(view) : [];
    } catch {
      conditions = undefined;
    }
    // A member that is not joined: why, from the Cluster's conditions and the member's own state.
    if (conditions !== undefined && c.role === 'member' && !clusterJoined(obj)) {
      join = await explainJoin({
        member: c.name,
        host: host.name,
        hostClient: session.client(host.name),
        cluster: obj ?? null,
        connection: c.connection,
        ...(pre?.error ? { memberError: describeError(pre.error) } : { memberClient: session.client(c.name) }),
      });
    }
  }
  const joinView = join ? { join } : {};
  if (pre?.error) {
    return { ...base, reachable: false, error: describeError(pre.error), conditions, ...joinView, workloads: [], federated: [], healthy: false };
  }
  const client = session.client(c.name);
  const workloads: ClusterHealth['workloads'] = [];
  const federated: ClusterHealth['federated'] = [];
  let error: string | undefined;
  try {
    for (const o of c.objects) {
      if (readinessOf(o.apiVersion, o.kind) === 'rollout') {
        const obj = await client.get(o);
        redactLiveValues(session.redactor, o.manifest, obj);
        const r = obj ? rolloutReadiness({ ...obj, kind: o.kind }) : { ready: false, message: 'not found' };
        workloads.push({ name: objectName(o), ready: r.ready, state: r.message });
      } else if (groupOf(o.apiVersion) === 'types.kubefed.io') {
        const obj = await getOrUndefined(() => client.get(o));
        redactLiveValues(session.redactor, o.manifest, obj);
        federated.push(await federatedHealth(client, c, o, obj, session.federation.host));
      }
    }
  } catch (e) {
    error = describeError(e);
  }
  const clusterOk = !clusterObject || (conditions !== undefined && conditions.some(x => x.type === 'Ready' && x.status === 'True')
    && (c.connection !== 'proxy' || conditions.some(x => x.type === 'AgentAvailable' && x.status === 'True')));
  const healthy = !error && clusterOk && workloads.every(w => w.ready) && federated.every(f => f.ready);
  return { ...base, reachable: true, ...(error ? { error } : {}), conditions, ...joinView, workloads, federated, healthy };
}

/** KubeFed's AggregateReason of a Propagation=False condition, explained. */
const AGGREGATE_REASONS: { [reason: string]: string } = {
  NamespaceNotFederated: 'its namespace has no FederatedNamespace, so KubeFed propagates it nowhere; Fix: create the project (FederatedNamespace) first',
  ComputePlacementFailed: 'KubeFed could not compute its placement',
  ClusterRetrievalFailed: 'KubeFed could not list its clusters',
};

/**
 * The propagation of one federated object from KubeFed's own status (kubefed pkg/controller/sync/status):
 * `status.clusters[]` (a cluster without `status` is OK), the Propagation condition and `observedGeneration`. For
 * failing clusters the reason is KubeFed's latest Warning event about that cluster (its sync controller records
 * `<Op>InClusterFailed` events reading `Failed to create ConfigMap "ns/name" in cluster "eu-1": <error>`). A
 * cluster the object's own cluster list names but KubeFed leaves out (KubeFed only propagates a namespaced object
 * where its FederatedNamespace places the namespace, and only to joined clusters) is `NotPlaced`, unless a ReplicaSchedulingPreference of the
 * folder drives the placement (the scheduler lists every cluster it plans for). A FederatedNamespace reported
 * `ManagedLabelFalse` on the host is expected: the project's host Namespace is labelled `kubefed.io/managed: "false"`
 * as KubeSphere's console makes it, and KubeFed leaves it alone.
 */
async function federatedHealth(
  client: KubeClient, folder: FederationCluster, o: FederationObject, obj: any, hostName: string,
): Promise<FederatedHealth> {
  const name = objectName(o);
  if (!obj) return { name, ready: false, conditions: [{ type: 'Exists', status: 'False' }], clusters: [] };
  const conditions: ConditionView[] = (obj.status?.conditions ?? []).map(view);
  const clusters: FederatedClusterView[] = (Array.isArray(obj.status?.clusters) ? obj.status.clusters : [])
    .map((x: any) => {
      const state = x?.status ? String(x.status) : 'OK';
      const expected = o.kind === 'FederatedNamespace' && x?.name === hostName && state === 'ManagedLabelFalse';
      return { cluster: String(x?.name), status: state, ...(expected ? { expected, message: 'the host\'s project Namespace is labelled kubefed.io/managed=false (as KubeSphere makes it), so KubeFed leaves it alone' } : {}) };
    });
  const reported = new Set(clusters.map(x => x.cluster));
  const listed: string[] = (Array.isArray(obj.spec?.placement?.clusters) ? obj.spec.placement.clusters : []).map((x: any) => String(x?.name));
  const scheduled = folder.objects.some(r => r.kind === 'ReplicaSchedulingPreference' && r.namespace === o.namespace && r.name === o.name);
  const propagation = conditions.find(x => x.type === 'Propagation');
  const notFederated = propagation?.reason === 'NamespaceNotFederated';
  const missing = listed.filter(n => !reported.has(n));
  if (missing.length > 0 && !scheduled && !notFederated && o.namespace && propagation) {
    const ns = await getOrUndefined(() => client.get({ apiVersion: 'types.kubefed.io/v1beta1', kind: 'FederatedNamespace', namespace: o.namespace, name: o.namespace! })).catch(() => undefined);
    const nsClusters = new Set<string>((ns?.status?.clusters ?? []).map((x: any) => String(x?.name)));
    for (const cluster of ns ? missing : []) {
      const message = !nsClusters.has(cluster)
        ? `namespace ${o.namespace} is not placed on ${cluster} (its FederatedNamespace reaches ${[...nsClusters].sort().join(', ') || 'no cluster'}), so KubeFed does not propagate the object there; Fix: add ${cluster} to the project's placement, or remove it from the object's`
        : `KubeFed does not propagate the object to ${cluster} (is it a joined KubeFedCluster?)`;
      clusters.push({ cluster, status: 'NotPlaced', message });
    }
  }
  clusters.sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0));

  const failing = clusters.filter(x => x.status !== 'OK' && !x.expected && !x.message);
  let message = propagation && propagation.status !== 'True' && propagation.reason ? AGGREGATE_REASONS[propagation.reason] : undefined;
  if (failing.length > 0 || (propagation && propagation.status !== 'True' && propagation.reason !== 'CheckClusters')) {
    const warnings = await kubefedWarnings(client, obj);
    for (const x of failing) {
      const event = warnings.find(e => String(e.message ?? '').includes(` in cluster ${JSON.stringify(x.cluster)}`));
      if (event) (x as { message?: string }).message = String(event.message);
    }
    const aggregate = propagation?.reason && warnings.find(e => e.reason === propagation.reason);
    if (aggregate) message = `${message ? `${message}: ` : ''}${aggregate.message}`;
  }
  const generation = obj.metadata?.generation;
  const observed = obj.status?.observedGeneration;
  const current = generation === undefined || observed === undefined || observed >= generation;
  if (!current) message = `KubeFed has not yet seen generation ${generation} (its status is of generation ${observed})${message ? `; ${message}` : ''}`;
  const clustersOk = clusters.every(x => x.status === 'OK' || x.expected);
  const ready = current && clustersOk && (propagation
    ? propagation.status === 'True' || propagation.reason === 'CheckClusters'
    : conditions.length > 0 && conditions.every(x => x.status === 'True'));
  return { name, ready, conditions, clusters, ...(message ? { message } : {}) };
}

/** KubeFed's Warning events about a federated object, newest first; none when events cannot be read. */
async function kubefedWarnings(client: KubeClient, obj: any): Promise<any[]> {
  let events: any[];
  try {
    events = await client.list('v1', 'Event', { namespace: obj.metadata?.namespace || 'default' });
  } catch {
    return [];
  }
  const uid = obj.metadata?.uid;
  const when = (e: any) => String(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? '');
  return events
    .filter(e => e.type === 'Warning' && e.involvedObject?.kind === obj.kind && e.involvedObject?.name === obj.metadata?.name
      && (!uid || !e.involvedObject?.uid || e.involvedObject.uid === uid))
    .sort((a, b) => (when(b) > when(a) ? 1 : when(b) < when(a) ? -1
      : Number(b.metadata?.resourceVersion ?? 0) - Number(a.metadata?.resourceVersion ?? 0)));
}

async function getOrUndefined<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof KubeApiError && e.notServed) return undefined;
    throw e;
  }
}

function view(c: any): ConditionView {
  return {
    type: String(c.type),
    status: String(c.status),
    ...(c.reason ? { reason: String(c.reason) } : {}),
    ...(c.message ? { message: String(c.message) } : {}),
  };
}

/**
 * The status as a table of clusters, a table of federated objects with their propagation per cluster (when the
 * folders hold any), then a line per problem: a cluster's error, a condition that is not True, each cause of a
 * member not joined (with its fix), a workload not ready, a federated object not propagated and each cluster KubeFed failed on, with KubeFed's reason.
 */
export function formatStatus(report: StatusReport): string {
  const header = ['CLUSTER', 'ROLE', 'REACHABLE', 'CONDITIONS (Cluster on host)', 'WORKLOADS', 'FEDERATED', 'HEALTHY'];
  const rows = report.clusters.map(c => [
    c.name,
    c.role,
    c.reachable ? 'yes' : 'no',
    c.conditions === undefined ? '-' : c.conditions.length === 0 ? '(none yet)' : c.conditions.map(x => `${x.type}=${x.status}`).join(' '),
    c.workloads.length === 0 ? '-' : `${c.workloads.filter(w => w.ready).length}/${c.workloads.length} ready`,
    c.federated.length === 0 ? '-' : `${c.federated.filter(f => f.ready).length}/${c.federated.length} propagated`,
    c.healthy ? 'yes' : 'no',
  ]);
  const lines = table(header, rows);
  // Each federated object's propagation per cluster, as KubeFed reports it (OK clusters by name alone).
  const federated = report.clusters.flatMap(c => c.federated.map(f => [
    f.name,
    c.name,
    f.conditions.map(x => `${x.type}=${x.status}${x.reason ? `(${x.reason})` : ''}`).join(' ') || '(none yet)',
    f.clusters.map(x => (x.status === 'OK' ? x.cluster : `${x.cluster}=${x.status}`)).join(' ') || '-',
  ]));
  if (federated.length > 0) lines.push('', ...table(['FEDERATED OBJECT', 'ON', 'CONDITIONS', 'CLUSTERS'], federated));
  for (const c of report.clusters) {
    if (c.error) lines.push(`${c.name}: ${c.error}`);
    for (const x of c.conditions ?? []) if (x.status !== 'True' && x.message) lines.push(`${c.name}: ${x.type}=${x.status}: ${x.message}`);
    for (const f of c.join ?? []) lines.push(`${c.name}: not joined: ${f.cause}: ${f.seen}. Fix: ${f.fix}`);
    for (const w of c.workloads) if (!w.ready) lines.push(`${c.name}: ${w.name}: ${w.state}`);
    for (const f of c.federated) {
      if (f.ready) continue;
      lines.push(`${c.name}: ${f.name}: ${f.conditions.map(x => `${x.type}=${x.status}${x.reason ? ` ${x.reason}` : ''}${x.message ? ` (${x.message})` : ''}`).join(', ') || 'no conditions yet'}${f.message ? `: ${f.message}` : ''}`);
      for (const x of f.clusters) if (x.status !== 'OK' && !x.expected) lines.push(`${c.name}: ${f.name}: ${x.cluster} ${x.status}${x.message ? `: ${x.message}` : ''}`);
    }
  }
  return lines.join('\n');
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
  return [header, ...rows].map(r => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd());
}
