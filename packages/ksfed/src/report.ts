import { readableChange } from './diff';
import type { Finding } from './doctor-checks';
import type { JoinFinding } from './join-diagnosis';

/** What happened to one object. */
export type ObjectOutcome = 'created' | 'configured' | 'unchanged' | 'failed' | 'pruned' | 'kept' | 'timed-out' | 'skipped';

/** The result of one object. */
export interface ObjectResult {
  readonly cluster: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  /** File in the cluster's folder (absent for pruned objects). */
  readonly file?: string;
  readonly phase?: string;
  /** The construct that produced it (from federation.json). */
  readonly constructPath?: string;
  readonly result: ObjectOutcome;
  /** Why it failed, timed out, was skipped or kept (not pruned); or a note. */
  readonly message?: string;
  /** For diff and dry runs: the changes, as `path: before -> after` (values of secrets never shown). */
  readonly changes?: string[];
  /** Field-manager conflicts of a failed server-side apply. */
  readonly conflicts?: { manager: string; field: string }[];
}

/** How a cluster's run ended. */
export type ClusterStatus = 'succeeded' | 'failed' | 'timed-out' | 'skipped' | 'aborted';

/** The result of one cluster. */
export interface ClusterReport {
  readonly name: string;
  readonly role: string;
  readonly context?: string;
  status: ClusterStatus;
  /** Why it did not succeed. */
  error?: string;
  /** Why a member did not join (its `Cluster` on the host not Ready in time): each cause, what was seen, the fix. */
  join?: JoinFinding[];
  /** What prune did: `pruned N`, `not requested`, or why it was skipped. */
  prune?: string;
  durationMs: number;
  readonly objects: ObjectResult[];
}

/**
 * A cluster that an earlier apply recorded on the host and that the folder no longer holds: what is left of ksfed's
 * objects there, and what its clean-up (`pruneRemovedClusters`) did.
 */
export interface RemovedClusterReport {
  readonly name: string;
  /** The kubeconfig context of its clean-up. */
  readonly context?: string;
  /**
   * `left`: its objects stay (no clean-up asked, or a dry run: `objects` then says what it would prune);
   * `cleaned`: ksfed's ApplySet there is pruned and the host's record forgets it; `partly-cleaned`: some objects
   * are kept (see `objects`) and it stays recorded; `failed`: not cleaned (unreachable, refused) and still recorded;
   * `skipped`: not cleaned because the host's run did not succeed or is not part of this run.
   */
  status: 'left' | 'cleaned' | 'partly-cleaned' | 'failed' | 'skipped';
  /** What happened, and what to do. */
  message: string;
  readonly objects: ObjectResult[];
}

/** The result of `apply` or `diff`. */
export interface ApplyReport {
  readonly command: 'apply' | 'diff';
  readonly dist: string;
  readonly dryRun: boolean;
  readonly prune: boolean;
  /** True when every cluster succeeded. */
  readonly success: boolean;
  readonly durationMs: number;
  readonly clusters: ClusterReport[];
  /** Clusters the host's record names that the folder no longer holds (see RemovedClusterReport). */
  readonly removedClusters?: RemovedClusterReport[];
  /** The findings of apply's preflight that refused the run (then nothing was written). */
  readonly preflight?: Finding[];
}

/** Progress events, for live output. Every message is already redacted. */
export type ApplyEvent =
  | { readonly type: 'cluster-start'; readonly cluster: string; readonly objects: number }
  | { readonly type: 'phase'; readonly cluster: string; readonly phase: string; readonly objects: number }
  | { readonly type: 'object'; readonly cluster: string; readonly result: ObjectResult }
  | { readonly type: 'wait'; readonly cluster: string; readonly object: string; readonly message: string }
  | { readonly type: 'retry'; readonly cluster: string; readonly message: string }
  | { readonly type: 'info'; readonly cluster: string; readonly message: string }
  | { readonly type: 'cluster-done'; readonly cluster: string; readonly report: ClusterReport };

/** Counts of outcomes. */
export function countsOf(objects: ObjectResult[]): { [outcome in ObjectOutcome]: number } {
  const counts = { 'created': 0, 'configured': 0, 'unchanged': 0, 'failed': 0, 'pruned': 0, 'kept': 0, 'timed-out': 0, 'skipped': 0 };
  for (const o of objects) counts[o.result]++;
  return counts;
}

/** `Kind namespace/name`. */
export function objectName(o: { kind: string; namespace?: string; name: string }): string {
  return `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
}

/** One line for an object result. */
export function formatObjectLine(o: ObjectResult, width = 0, dryRun = false): string {
  const verb = dryRun && ['created', 'configured', 'pruned'].includes(o.result) ? `${o.result} (dry run)` : o.result;
  let line = `${o.cluster.padEnd(width)}  ${verb.padEnd(dryRun ? 20 : 10)}  ${objectName(o)}`;
  if (o.result === 'failed' || o.result === 'timed-out' || o.result === 'skipped') {
    line += `${o.constructPath ? ` [${o.constructPath}]` : ''}: ${o.message ?? ''}`;
  } else if (o.message) {
    line += ` (${o.message})`;
  }
  return line;
}

/** The summary table of a report. */
export function formatSummary(report: ApplyReport): string {
  const header = ['CLUSTER', 'STATUS', 'CREATED', 'CONFIGURED', 'UNCHANGED', 'PRUNED', 'FAILED', 'TIME'];
  const rows = report.clusters.map(c => {
    const n = countsOf(c.objects);
    return [c.name, c.status, String(n.created), String(n.configured), String(n.unchanged), String(n.pruned), String(n.failed + n['timed-out']), `${(c.durationMs / 1000).toFixed(1)}s`];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
  const lines = [header, ...rows].map(r => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd());
  for (const c of report.clusters) {
    if (c.error) lines.push(`${c.name}: ${c.error}`);
    if (c.prune && /^(skipped|interrupted)|kept/.test(c.prune) && c.status !== 'skipped') lines.push(`${c.name}: prune ${c.prune}`);
    for (const o of c.objects) if (o.result === 'kept') lines.push(`${c.name}: kept ${objectName(o)}: ${o.message ?? ''}`);
  }
  for (const r of report.removedClusters ?? []) {
    lines.push(`removed cluster ${r.name}: ${r.status}: ${r.message}`);
    for (const o of r.objects) if (o.result === 'kept') lines.push(`${r.name}: kept ${objectName(o)}: ${o.message ?? ''}`);
  }
  const ok = report.clusters.filter(c => c.status === 'succeeded').length;
  const what = report.command === 'diff' ? 'diff' : report.dryRun ? 'dry run' : 'apply';
  if (report.preflight && report.preflight.length > 0) {
    lines.push(`${what}: refused by the preflight in ${(report.durationMs / 1000).toFixed(1)}s, nothing written (rerun with --skip-preflight to apply anyway, or run ksfed doctor for every finding)`);
    return lines.join('\n');
  }
  lines.push(`${what}: ${ok}/${report.clusters.length} clusters succeeded in ${(report.durationMs / 1000).toFixed(1)}s`);
  return lines.join('\n');
}

/**
 * The diff view of a report: one block per changed object, then unchanged counts. Paths read as
 * `metadata.labels["app.kubernetes.io/name"]` (see readablePath); the report itself keeps JSON pointers.
 */
export function formatDiff(report: ApplyReport): string {
  const lines: string[] = [];
  for (const c of report.clusters) {
    const n = countsOf(c.objects);
    lines.push(`${c.name}: ${n.created} to create, ${n.configured} to change, ${n.unchanged} unchanged${report.prune ? `, ${n.pruned} to prune${n.kept > 0 ? `, ${n.kept} kept` : ''}` : ''}${c.status !== 'succeeded' ? ` (${c.status}${c.error ? `: ${c.error}` : ''})` : ''}`);
    for (const o of c.objects) {
      if (o.result === 'unchanged') continue;
      const sign = o.result === 'created' ? '+' : o.result === 'pruned' ? '-' : o.result === 'configured' ? '~' : o.result === 'kept' ? '=' : '!';
      lines.push(`  ${sign} ${objectName(o)}${o.result === 'failed' || o.result === 'timed-out' || o.result === 'skipped' ? `: ${o.message ?? o.result}` : o.message ? ` (${o.message})` : ''}`);
      for (const change of o.changes ?? []) lines.push(`      ${readableChange(change)}`);
    }
  }
  for (const r of report.removedClusters ?? []) {
    lines.push(`${r.name} (removed from the program): ${r.status}: ${r.message}`);
    for (const o of r.objects) lines.push(`  ${o.result === 'kept' ? '=' : '-'} ${objectName(o)}${o.message ? ` (${o.message})` : ''}`);
  }
  return lines.join('\n');
}

/** Plain progress lines (for logs and non-terminals): one line per event worth telling. */
export function formatEvent(e: ApplyEvent, width: number, dryRun: boolean): string | undefined {
  const name = e.cluster.padEnd(width);
  switch (e.type) {
    case 'cluster-start': return `${name}  start (${e.objects} objects)`;
    case 'object': return formatObjectLine(e.result, width, dryRun);
    case 'wait': return `${name}  waiting   ${e.object}: ${e.message}`;
    case 'retry': return `${name}  retry     ${e.message}`;
    case 'info': return `${name}  ${e.message}`;
    case 'cluster-done': return `${name}  ${e.report.status}${e.report.error ? `: ${e.report.error}` : ''}`;
    default: return undefined;
  }
}
