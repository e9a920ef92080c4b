import { describeError } from './cluster-run';
import { KubeApiError } from './errors';
import { FederationCluster, groupOf } from './federation';
import { mapLimit } from './ordering';
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

/** The health of one cluster. */
export interface ClusterHealth {
  readonly name: string;
  readonly role: string;
  readonly context?: string;
  readonly reachable: boolean;
  readonly error?: string;
  /** The conditions of the cluster's `Cluster` object on the host (undefined when there is none). */
  readonly conditions?: ConditionView[];
  /** Deployments, StatefulSets and DaemonSets of the folder. */
  readonly workloads: { name: string; ready: boolean; state: string }[];
  /** Federated (types.kubefed.io) objects of the folder and their propagation. */
  readonly federated: { name: string; ready: boolean; conditions: ConditionView[] }[];
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
  const clusterObject = host.objects.find(o => o.kind === 'Cluster' && groupOf(o.apiVersion) === 'cluster.kubesphere.io' && o.name === c.name);
  const hostReachable = !session.preflight.get(host.name)?.error;
  if (clusterObject && hostReachable) {
    try {
      const obj = await session.client(host.name).get(clusterObject);
      redactLiveValues(session.redactor, clusterObject.manifest, obj);
      conditions = obj ? (obj.status?.conditions ?? []).map(view) : [];
    } catch {
      conditions = undefined;
    }
  }
  const pre = session.preflight.get(c.name);
  if (pre?.error) {
    return { ...base, reachable: false, error: describeError(pre.error), conditions, workloads: [], federated: [], healthy: false };
  }
  const client = session.client(c.name);
  const workloads: ClusterHealth['workloads'] = [];
  const federated: ClusterHealth['federated'] = [];
  let error: string | undefined;
  try {
    for (const o of c.objects) {
      if (groupOf(o.apiVersion) === 'apps' && ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind)) {
        const obj = await client.get(o);
        redactLiveValues(session.redactor, o.manifest, obj);
        const r = obj ? rolloutReadiness({ ...obj, kind: o.kind }) : { ready: false, message: 'not found' };
        workloads.push({ name: objectName(o), ready: r.ready, state: r.message });
      } else if (groupOf(o.apiVersion) === 'types.kubefed.io') {
        const obj = await getOrUndefined(() => client.get(o));
        const list: ConditionView[] = obj ? (obj.status?.conditions ?? []).map(view) : [];
        const propagation = list.find(x => x.type === 'Propagation');
        federated.push({ name: objectName(o), ready: !!obj && (propagation ? propagation.status === 'True' : list.length > 0 && list.every(x => x.status === 'True')), conditions: obj ? list : [{ type: 'Exists', status: 'False' }] });
      }
    }
  } catch (e) {
    error = describeError(e);
  }
  const clusterOk = !clusterObject || (conditions !== undefined && conditions.some(x => x.type === 'Ready' && x.status === 'True')
    && (c.connection !== 'proxy' || conditions.some(x => x.type === 'AgentAvailable' && x.status === 'True')));
  const healthy = !error && clusterOk && workloads.every(w => w.ready) && federated.every(f => f.ready);
  return { ...base, reachable: true, ...(error ? { error } : {}), conditions, workloads, federated, healthy };
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

/** The status as one table, then a line per problem. */
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
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
  const lines = [header, ...rows].map(r => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd());
  for (const c of report.clusters) {
    if (c.error) lines.push(`${c.name}: ${c.error}`);
    for (const x of c.conditions ?? []) if (x.status !== 'True' && x.message) lines.push(`${c.name}: ${x.type}=${x.status}: ${x.message}`);
    for (const w of c.workloads) if (!w.ready) lines.push(`${c.name}: ${w.name}: ${w.state}`);
    for (const f of c.federated) if (!f.ready) lines.push(`${c.name}: ${f.name}: ${f.conditions.map(x => `${x.type}=${x.status}${x.message ? ` (${x.message})` : ''}`).join(', ') || 'no conditions yet'}`);
  }
  return lines.join('\n');
}
