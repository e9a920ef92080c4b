import { APPLYSET_PARENT, CLUSTERS_ANNOTATION, parentManifest, parseParent } from './applyset';
import { runCluster } from './cluster-run';
import { findingsOf, gatherContext } from './doctor';
import { checkInfo } from './doctor-checks';
import { gatherLive, LiveCluster } from './doctor-live';
import { AbortedError, messageOf, UsageError } from './errors';
import { readFederationIndex } from './federation';
import { credentialsOf } from './kubeconfig';
import { clusterOrder } from './ordering';
import { cleanRemovedCluster, NONEMPTY_NAMESPACES_FLAG } from './prune';
import { ApplyReport, ClusterReport, RemovedClusterReport } from './report';
import { ConnectOptions, openSession, Session, SessionStart } from './session';

/** Options of `apply`. */
export interface ApplyOptions extends ConnectOptions {
  /** Delete objects applied before that the folders no longer hold (kubectl-compatible ApplySet). */
  readonly prune?: boolean;
  /**
   * With `prune`: also delete a Namespace that holds objects ksfed did not create, with everything in it (the
   * report says what). Without it such a Namespace is kept and reported.
   */
  readonly pruneNonEmptyNamespaces?: boolean;
  /**
   * With `prune`: on each cluster the host's record names that the folder no longer holds, prune ksfed's whole
   * ApplySet (its context: `contexts[name]`, else the context named like the cluster), then forget it. Without
   * it such clusters are reported.
   */
  readonly pruneRemovedClusters?: boolean;
  /** Take over fields another field manager owns. */
  readonly forceConflicts?: boolean;
  /**
   * Apply without the preflight: by default `apply` first runs doctor's checks that can refuse a run (read-only, on
   * every cluster at once) and, when one finds an error, writes nothing and returns a failed report naming the
   * findings (`--skip-preflight`).
   */
  readonly skipPreflight?: boolean;
  /** Let the preflight accept a cluster whose live role (host or member) the folder changes (`--allow-role-change`). */
  readonly allowRoleChange?: boolean;
}

/**
 * Applies a synthesized federation (`dist/`, the output of `FederationApp.synth()`): each cluster's folder with
 * server-side apply (field manager `ksfed`, or `fieldManager`), each object as soon as what it depends on is applied and ready
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

/** The flag that cleans clusters removed from the program. */
const REMOVED_CLUSTERS_FLAG = '--prune-removed-clusters';

async function run(command: 'apply' | 'diff', dist: string, options: ApplyOptions): Promise<ApplyReport> {
  const needPrune = [[NONEMPTY_NAMESPACES_FLAG, options.pruneNonEmptyNamespaces], [REMOVED_CLUSTERS_FLAG, options.pruneRemovedClusters]] as const;
  for (const [flag, set] of needPrune) {
    if (set && !options.prune) throw new UsageError(`${flag} works only with --prune. Fix: add --prune`);
  }
  // Contexts of clusters the folder no longer holds are for their clean-up (checked against the host's record).
  const extra: { [cluster: string]: string } = {};
  let contexts = options.contexts;
  if (options.pruneRemovedClusters && options.contexts) {
    const names = new Set(readFederationIndex(dist).clusters.map(c => c.name));
    contexts = {};
    for (const [name, context] of Object.entries(options.contexts)) {
      if (names.has(name)) contexts[name] = context;
      else extra[name] = context;
    }
  }
  const started = Date.now();
  let gathered: Map<string, Promise<LiveCluster>> | undefined;
  // The preflight's reads go out with the session's first requests, and are answered while the files are read.
  const alongside = command === 'apply' && !options.skipPreflight ? (s: SessionStart) => {
    gathered = gatherLive(gatherContext(s), 'preflight');
    return Promise.all(gathered.values());
  } : undefined;
  const session = await openSession(dist, { ...options, contexts }, { contact: true, placeholders: true, alongside });
  try {
    const removed = removedClusters(session, options, extra);
    const refused = gathered ? await preflight(session, gathered, dist, options, started) : undefined;
    if (refused) return refused;
    const report = await runClusters(session, command, dist, options);
    const removedReports = await cleanRemoved(session, removed, report, options);
    return { ...report, success: report.success && removedReports.every(r => r.status !== 'failed'), removedClusters: removedReports };
  } finally {
    session.close();
  }
}

/**
 * The clusters the host's record (its ApplySet parent, read by the preflight) names that the folder no longer
 * holds, with the context of their clean-up. With `pruneRemovedClusters`, checks those contexts before anything is
 * written: each exists, and none reaches a cluster of the folder (its context or its server); a `--context` for a
 * cluster neither in the folder nor removed is refused.
 */
function removedClusters(session: Session, options: ApplyOptions, extra: { [cluster: string]: string }): { name: string; context: string }[] {
  const { federation, kubeConfig } = session;
  const host = session.preflight.get(federation.host);
  const known = host !== undefined && !host.error;
  const names = new Set(federation.clusters.map(c => c.name));
  const recorded = known ? parseParent(host.parent).clusters ?? [] : [];
  const removed = recorded.filter(n => !names.has(n)).map(name => ({ name, context: extra[name] ?? name }));
  if (!options.pruneRemovedClusters) return removed;
  for (const name of Object.keys(extra)) {
    if (known && !removed.some(r => r.name === name)) {
      throw new UsageError(`--context ${name}=${extra[name]}: unknown cluster "${name}"; the federation has: ${[...names].join(', ')}; removed clusters the host records: ${removed.map(r => r.name).join(', ') || 'none'}`);
    }
  }
  if (!kubeConfig) return removed;
  const serverOf = (context: string) => {
    const ctx = kubeConfig.getContextObject(context);
    return ctx ? kubeConfig.getCluster(ctx.cluster)?.server : undefined;
  };
  const inFolder = federation.clusters.map(c => ({ name: c.name, context: session.contexts.get(c.name) ?? options.contexts?.[c.name] ?? c.context }));
  for (const r of removed) {
    const how = extra[r.name] ? `--context ${r.name}=${r.context}` : `the default context of removed cluster "${r.name}"`;
    if (!kubeConfig.getContextObject(r.context)) {
      throw new UsageError(`no context "${r.context}" in the kubeconfig (${how}) to prune removed cluster "${r.name}". Fix: pass --context ${r.name}=<context>, or, if the cluster is gone for good, ${forgetHint(session, removed.filter(x => x.name !== r.name).map(x => x.name))}`);
    }
    const same = inFolder.find(c => c.context === r.context || (serverOf(c.context) !== undefined && serverOf(c.context) === serverOf(r.context)));
    if (same) {
      throw new UsageError(`${how} reaches cluster "${same.name}" of the folder (${same.context === r.context ? `context ${r.context}` : `server ${serverOf(r.context)}`}); pruning removed cluster "${r.name}" there would delete ${same.name}'s objects. Fix: pass --context ${r.name}=<the removed cluster's own context>`);
    }
  }
  return removed;
}

/** How to drop clusters from the host's record by hand (the record keeps `keep` besides the folder's clusters). */
function forgetHint(session: Session, keep: string[]): string {
  const clusters = [...new Set([...session.federation.clusters.map(c => c.name), ...keep])].sort().join(',');
  return `forget it: kubectl --context ${session.contexts.get(session.federation.host) ?? session.federation.host} -n ${APPLYSET_PARENT.namespace} annotate secret ${APPLYSET_PARENT.name} --overwrite ${CLUSTERS_ANNOTATION}=${clusters}`;
}

/**
 * Reports the removed clusters; with `pruneRemovedClusters` (and once the host's run succeeded), prunes ksfed's
 * ApplySet on each (see cleanRemovedCluster), then forgets the cleaned ones from the host's record (not in a dry run).
 */
async function cleanRemoved(
  session: Session, removed: { name: string; context: string }[], report: ApplyReport, options: ApplyOptions,
): Promise<RemovedClusterReport[]> {
  const host = report.clusters.find(c => c.name === session.federation.host);
  const reports = await Promise.all(removed.map(async ({ name, context }): Promise<RemovedClusterReport> => {
    const others = removed.filter(r => r.name !== name).map(r => r.name);
    if (!options.pruneRemovedClusters) {
      return {
        name,
        status: 'left',
        message: `applied before (the host's ApplySet parent records it) but no longer in the folder: ksfed's objects are still on it (agent, token, ClusterConfiguration changes...). Fix: rerun with --prune ${REMOVED_CLUSTERS_FLAG} to prune them there (context "${name}", or --context ${name}=CONTEXT), or, if the cluster is gone for good, ${forgetHint(session, others)}`,
        objects: [],
      };
    }
    if (options.signal?.aborted) return { name, context, status: 'skipped', message: 'not cleaned: the run was aborted; it stays recorded', objects: [] };
    if (host?.status !== 'succeeded') {
      return { name, context, status: 'skipped', message: `not cleaned: the host's run ${host ? `did not succeed (${host.status})` : 'is not part of this run'}; it stays recorded`, objects: [] };
    }
    const objects: RemovedClusterReport['objects'] = [];
    try {
      session.contexts.set(name, context);
      if (session.kubeConfig) for (const credential of credentialsOf(session.kubeConfig, [context])) session.redactor.add(credential, '<redacted:credential>');
      session.emit({ type: 'info', cluster: name, message: `removed from the program: ${options.dryRun ? 'what pruning' : 'pruning'} ksfed's ApplySet there${options.dryRun ? ' would do' : ''}` });
      const done = await cleanRemovedCluster(session.client(name), name, {
        dryRun: options.dryRun ?? false,
        signal: options.signal,
        nonEmptyNamespaces: options.pruneNonEmptyNamespaces,
        onResult: result => {
          const redacted = session.redactor.redactDeep(result);
          objects.push(redacted);
          session.emit({ type: 'object', cluster: name, result: redacted });
        },
      });
      return { name, context, status: done.status, message: session.redactor.redact(done.status === 'failed' ? `${done.message}; it stays recorded, run again to clean it` : done.message), objects };
    } catch (e) {
      if (e instanceof AbortedError) return { name, context, status: 'skipped', message: 'interrupted: run again to finish; it stays recorded', objects };
      if (e instanceof UsageError) throw e;
      return { name, context, status: 'failed', message: session.redactor.redact(`not cleaned: ${messageOf(e).split('\n')[0]}; it stays recorded, run again to clean it`), objects };
    }
  }));
  const cleaned = reports.filter(r => r.status === 'cleaned').map(r => r.name);
  if (cleaned.length > 0 && !options.dryRun) {
    try {
      const client = session.client(session.federation.host);
      const parent = await client.get(APPLYSET_PARENT);
      const state = parseParent(parent);
      await client.apply(parentManifest({ ...state, clusters: (state.clusters ?? []).filter(n => !cleaned.includes(n)) }), { force: true });
      for (const r of reports) if (r.status === 'cleaned') r.message += '; the host\'s record forgets it';
    } catch (e) {
      for (const r of reports.filter(x => x.status === 'cleaned')) {
        r.status = 'failed';
        r.message += `; but the host's record could not forget it (${session.redactor.redact(messageOf(e).split('\n')[0])}): run again`;
      }
    }
  }
  for (const r of reports) session.emit({ type: 'info', cluster: r.name, message: `removed cluster: ${r.status}: ${r.message}` });
  return reports;
}

/**
 * The preflight of `apply`: doctor's checks that can refuse a run (`CheckInfo.preflight`), on what `gatherLive` read.
 * Resolves with the failed report when one finds an error (nothing is written: every cluster is `skipped`, its error
 * names its findings, `preflight` lists them all), else undefined.
 */
async function preflight(
  session: Session, gathered: Map<string, Promise<LiveCluster>>, dist: string, options: ApplyOptions, started: number,
): Promise<ApplyReport | undefined> {
  const findings = await findingsOf(session, gathered, { mode: 'preflight', allowRoleChange: options.allowRoleChange ?? false, now: new Date() });
  const blocking = findings.filter(f => f.severity === 'error' && checkInfo(f.check).preflight);
  if (blocking.length === 0) return undefined;
  const where = [...new Set(blocking.map(f => f.cluster))];
  const clusters: ClusterReport[] = session.selected.map(c => {
    const own = blocking.filter(f => f.cluster === c.name);
    const report: ClusterReport = {
      name: c.name,
      role: c.role,
      context: session.contexts.get(c.name),
      status: 'skipped',
      error: own.length > 0
        ? `refused by the preflight, nothing written: ${own.map(f => `${f.check}: ${f.seen}. Fix: ${f.fix}`).join('; ')}`
        : `not applied: the preflight found ${blocking.length === 1 ? 'an error' : 'errors'} on ${where.join(', ')} (${[...new Set(blocking.map(f => f.check))].join(', ')}); nothing written`,
      durationMs: 0,
      objects: [],
      ...(options.prune ? { prune: 'skipped: the cluster was not applied' } : {}),
    };
    session.emit({ type: 'cluster-done', cluster: c.name, report });
    return report;
  });
  return session.redactor.redactDeep({
    command: 'apply',
    dist,
    dryRun: options.dryRun ?? false,
    prune: options.prune ?? false,
    success: false,
    durationMs: Date.now() - started,
    clusters,
    preflight: blocking,
  });
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
      pruneNonEmptyNamespaces: options.pruneNonEmptyNamespaces ?? false,
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
