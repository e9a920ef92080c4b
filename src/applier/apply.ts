import { runCluster } from './cluster-run';
import { clusterOrder } from './ordering';
import { ApplyReport, ClusterReport } from './report';
import { ConnectOptions, openSession, Session } from './session';

/** Options of `apply`. */
export interface ApplyOptions extends ConnectOptions {
  /** Delete objects applied before that the folders no longer hold (kubectl-compatible ApplySet). */
  readonly prune?: boolean;
  /** Take over fields another field manager owns. */
  readonly forceConflicts?: boolean;
}

/**
 * Applies a synthesized federation (`dist/`, the output of `FederationApp.synth()`): each cluster's folder with
 * server-side apply (field manager `ksfed`), each object as soon as what it depends on is applied and ready
 * (its Namespace, its CRD Established, the rollout behind a webhook; see `objectDependencies`, which falls back to
 * the phase order of federation.json), the host before the members whose placeholders need its state, unrelated
 * clusters in parallel; then prunes (with `prune`).
 * Resolves with the report; `report.success` is true only when every cluster succeeded. Bad input rejects
 * with a UsageError.
 */
export async function apply(dist: string, options: ApplyOptions = {}): Promise<ApplyReport> {
  return run('apply', dist, options);
}

/**
 * What `apply` would change, per cluster and object: a server dry-run apply compared with the live objects
 * (server-owned metadata and status ignored, values of Secrets never shown). With `prune`, also what would be
 * pruned. Changes nothing.
 */
export async function diff(dist: string, options: Omit<ApplyOptions, 'dryRun'> = {}): Promise<ApplyReport> {
  return run('diff', dist, { ...options, dryRun: true });
}

async function run(command: 'apply' | 'diff', dist: string, options: ApplyOptions): Promise<ApplyReport> {
  const session = await openSession(dist, options);
  const started = session.clock.now();
  const order = clusterOrder(session.federation.clusters, session.selected.map(c => c.name));
  const runs = new Map<string, Promise<ClusterReport>>();
  const runOne = (name: string): Promise<ClusterReport> => {
    let p = runs.get(name);
    if (!p) {
      p = startCluster(session, name, order.find(o => o.name === name)!.waitsFor, runOne, command, options);
      runs.set(name, p);
    }
    return p;
  };
  const clusters = await Promise.all(order.map(o => runOne(o.name)));
  return {
    command,
    dist,
    dryRun: options.dryRun ?? false,
    prune: options.prune ?? false,
    success: clusters.every(c => c.status === 'succeeded'),
    durationMs: session.clock.now() - started,
    clusters,
  };
}

async function startCluster(session: Session, name: string, waitsFor: string[], runOne: (name: string) => Promise<ClusterReport>, command: 'apply' | 'diff', options: ApplyOptions): Promise<ClusterReport> {
  const cluster = session.federation.clusters.find(c => c.name === name)!;
  if (waitsFor.length > 0) session.emit({ type: 'cluster-waiting', cluster: name, on: waitsFor });
  const deps = await Promise.all(waitsFor.map(runOne));
  const failed = deps.filter(d => d.status !== 'succeeded');
  if (failed.length > 0 || options.signal?.aborted) {
    const report: ClusterReport = {
      name,
      role: cluster.role,
      context: session.contexts.get(name),
      status: options.signal?.aborted ? 'aborted' : 'skipped',
      error: options.signal?.aborted ? 'aborted before it started' : `not applied: it needs ${failed.map(f => `${f.name} (${f.status})`).join(', ')} to succeed first`,
      durationMs: 0,
      objects: [],
      ...(options.prune ? { prune: 'skipped: the cluster was not applied' } : {}),
    };
    session.emit({ type: 'cluster-done', cluster: name, report });
    return report;
  }
  return runCluster(session, cluster, {
    mode: command,
    dryRun: options.dryRun ?? false,
    prune: options.prune ?? false,
    forceConflicts: options.forceConflicts ?? false,
    signal: options.signal,
  });
}
