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
 * the phase order of federation.json), every cluster at once, a member's objects that hold values from the host
 * once the host objects those come from are applied; then prunes (with `prune`).
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
  try {
    return await runClusters(session, command, dist, options);
  } finally {
    session.close();
  }
}

async function runClusters(session: Session, command: 'apply' | 'diff', dist: string, options: ApplyOptions): Promise<ApplyReport> {
  const started = session.clock.now();
  // Checks the clusters' dependencies for cycles. Every cluster starts at once: a member waits inside its run for
  // exactly the host objects its values come from (see ClusterBoard), not for the host's whole folder.
  clusterOrder(session.federation.clusters, session.selected.map(c => c.name));
  const clusters = await Promise.all(session.selected.map(async c => {
    const report = options.signal?.aborted ? aborted(session, c.name, options) : await runCluster(session, c, {
      mode: command,
      dryRun: options.dryRun ?? false,
      prune: options.prune ?? false,
      forceConflicts: options.forceConflicts ?? false,
      signal: options.signal,
    });
    return report;
  }));
  // (redacted again at the end: values learnt during the run, e.g. live ones, are hidden in earlier messages too)
  return session.redactor.redactDeep({
    command,
    dist,
    dryRun: options.dryRun ?? false,
    prune: options.prune ?? false,
    success: clusters.every(c => c.status === 'succeeded'),
    durationMs: session.clock.now() - started,
    clusters,
  });
}

function aborted(session: Session, name: string, options: ApplyOptions): ClusterReport {
  const cluster = session.federation.clusters.find(c => c.name === name)!;
  const report: ClusterReport = {
    name,
    role: cluster.role,
    context: session.contexts.get(name),
    status: 'aborted',
    error: 'aborted before it started',
    durationMs: 0,
    objects: [],
    ...(options.prune ? { prune: 'skipped: the cluster was not applied' } : {}),
  };
  session.board.end(name, report.status);
  session.emit({ type: 'cluster-done', cluster: name, report });
  return report;
}
