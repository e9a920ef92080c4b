/** What happened to one object. */
export type ObjectOutcome = 'created' | 'configured' | 'unchanged' | 'failed' | 'pruned' | 'timed-out' | 'skipped';

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
  /** Why it failed, timed out or was skipped; or a note. */
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
  /** What prune did: `pruned N`, `not requested`, or why it was skipped. */
  prune?: string;
  durationMs: number;
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
}

/** Progress events, for live output. Every message is already redacted. */
export type ApplyEvent =
  | { readonly type: 'cluster-start'; readonly cluster: string; readonly objects: number }
  | { readonly type: 'cluster-waiting'; readonly cluster: string; readonly on: string[] }
  | { readonly type: 'phase'; readonly cluster: string; readonly phase: string; readonly objects: number }
  | { readonly type: 'object'; readonly cluster: string; readonly result: ObjectResult }
  | { readonly type: 'wait'; readonly cluster: string; readonly object: string; readonly message: string }
  | { readonly type: 'retry'; readonly cluster: string; readonly message: string }
  | { readonly type: 'info'; readonly cluster: string; readonly message: string }
  | { readonly type: 'cluster-done'; readonly cluster: string; readonly report: ClusterReport };

/** Counts of outcomes. */
export function countsOf(objects: ObjectResult[]): { [outcome in ObjectOutcome]: number } {
  const counts = { 'created': 0, 'configured': 0, 'unchanged': 0, 'failed': 0, 'pruned': 0, 'timed-out': 0, 'skipped': 0 };
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
  }
  const ok = report.clusters.filter(c => c.status === 'succeeded').length;
  const what = report.command === 'diff' ? 'diff' : report.dryRun ? 'dry run' : 'apply';
  lines.push(`${what}: ${ok}/${report.clusters.length} clusters succeeded in ${(report.durationMs / 1000).toFixed(1)}s`);
  return lines.join('\n');
}

/** The diff view of a report: one block per changed object, then unchanged counts. */
export function formatDiff(report: ApplyReport): string {
  const lines: string[] = [];
  for (const c of report.clusters) {
    const n = countsOf(c.objects);
    lines.push(`${c.name}: ${n.created} to create, ${n.configured} to change, ${n.unchanged} unchanged${report.prune ? `, ${n.pruned} to prune` : ''}${c.status !== 'succeeded' ? ` (${c.status}${c.error ? `: ${c.error}` : ''})` : ''}`);
    for (const o of c.objects) {
      if (o.result === 'unchanged') continue;
      const sign = o.result === 'created' ? '+' : o.result === 'pruned' ? '-' : o.result === 'configured' ? '~' : '!';
      lines.push(`  ${sign} ${objectName(o)}${o.result === 'failed' || o.result === 'timed-out' || o.result === 'skipped' ? `: ${o.message ?? o.result}` : o.message ? ` (${o.message})` : ''}`);
      for (const change of o.changes ?? []) lines.push(`      ${change}`);
    }
  }
  return lines.join('\n');
}

/** Plain progress lines (for logs and non-terminals): one line per event worth telling. */
export function formatEvent(e: ApplyEvent, width: number, dryRun: boolean): string | undefined {
  const name = e.cluster.padEnd(width);
  switch (e.type) {
    case 'cluster-start': return `${name}  start (${e.objects} objects)`;
    case 'cluster-waiting': return `${name}  waiting for ${e.on.join(', ')}`;
    case 'object': return formatObjectLine(e.result, width, dryRun);
    case 'wait': return `${name}  waiting   ${e.object}: ${e.message}`;
    case 'retry': return `${name}  retry     ${e.message}`;
    case 'info': return `${name}  ${e.message}`;
    case 'cluster-done': return `${name}  ${e.report.status}${e.report.error ? `: ${e.report.error}` : ''}`;
    default: return undefined;
  }
}

/**
 * Live progress on a terminal: one line per cluster, rewritten in place (`host  workloads 54/95 ...`). Call
 * `event()` for each event and `finish()` at the end.
 */
export class TerminalProgress {
  private readonly lines = new Map<string, string>();
  private readonly done = new Map<string, number>();
  private readonly totals = new Map<string, number>();
  private drawn = 0;

  constructor(private readonly clusters: string[], private readonly write: (text: string) => void) {
    for (const c of clusters) this.lines.set(c, 'pending');
  }

  public event(e: ApplyEvent): void {
    const c = e.cluster;
    switch (e.type) {
      case 'cluster-start':
        this.totals.set(c, e.objects);
        this.done.set(c, 0);
        this.lines.set(c, `starting (${e.objects} objects)`);
        break;
      case 'cluster-waiting':
        this.lines.set(c, `waiting for ${e.on.join(', ')}`);
        break;
      case 'phase':
        this.lines.set(c, `${e.phase} ${this.progress(c)}`);
        break;
      case 'object':
        if (e.result.result !== 'pruned') this.done.set(c, (this.done.get(c) ?? 0) + 1);
        this.lines.set(c, `${e.result.phase ?? 'prune'} ${this.progress(c)} ${e.result.result} ${objectName(e.result)}`);
        break;
      case 'wait':
        this.lines.set(c, `waiting ${e.object}: ${e.message}`);
        break;
      case 'retry':
        this.lines.set(c, `retrying: ${e.message}`);
        break;
      case 'info':
        this.lines.set(c, e.message);
        break;
      case 'cluster-done':
        this.lines.set(c, `${e.report.status}${e.report.error ? `: ${e.report.error}` : ''} (${(e.report.durationMs / 1000).toFixed(1)}s)`);
        break;
    }
    this.draw();
  }

  /** Leaves the last state on screen. */
  public finish(): void {
    this.draw();
    this.drawn = 0;
  }

  private progress(c: string): string {
    return `${this.done.get(c) ?? 0}/${this.totals.get(c) ?? '?'}`;
  }

  private draw(): void {
    const width = Math.max(...this.clusters.map(c => c.length));
    const columns = process.stdout.columns ?? 120;
    let out = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const c of this.clusters) {
      const text = `${c.padEnd(width)}  ${this.lines.get(c)}`;
      out += `\x1b[2K${text.length > columns - 1 ? text.slice(0, columns - 2) + '…' : text}\n`;
    }
    this.drawn = this.clusters.length;
    this.write(out);
  }
}
