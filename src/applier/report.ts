import type { Finding } from './doctor-checks';

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

/** The diff view of a report: one block per changed object, then unchanged counts. */
export function formatDiff(report: ApplyReport): string {
  const lines: string[] = [];
  for (const c of report.clusters) {
    const n = countsOf(c.objects);
    lines.push(`${c.name}: ${n.created} to create, ${n.configured} to change, ${n.unchanged} unchanged${report.prune ? `, ${n.pruned} to prune${n.kept > 0 ? `, ${n.kept} kept` : ''}` : ''}${c.status !== 'succeeded' ? ` (${c.status}${c.error ? `: ${c.error}` : ''})` : ''}`);
    for (const o of c.objects) {
      if (o.result === 'unchanged') continue;
      const sign = o.result === 'created' ? '+' : o.result === 'pruned' ? '-' : o.result === 'configured' ? '~' : o.result === 'kept' ? '=' : '!';
      lines.push(`  ${sign} ${objectName(o)}${o.result === 'failed' || o.result === 'timed-out' || o.result === 'skipped' ? `: ${o.message ?? o.result}` : o.message ? ` (${o.message})` : ''}`);
      for (const change of o.changes ?? []) lines.push(`      ${change}`);
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

/** Where the live display draws: a terminal stream (`process.stdout`); its size is read again on each redraw. */
export interface ProgressStream {
  /** Width in characters (default 120). */
  readonly columns?: number;
  /** Height in lines (default: no limit). */
  readonly rows?: number;
  write(text: string): unknown;
}

/** Options of the live display. */
export interface TerminalProgressOptions {
  /** Least time between two redraws, in ms (default 50); 0 redraws on every event. `finish()` always draws. */
  readonly intervalMs?: number;
  /** What the clusters do with their objects, for the label (default `applying`). */
  readonly verb?: string;
  /** Results are of a dry run. */
  readonly dryRun?: boolean;
}

type LiveState = 'pending' | 'started' | 'done';

interface LiveCluster {
  state: LiveState;
  /** Objects in the cluster's folder (from `cluster-start`). */
  total?: number;
  /** Objects finished (any outcome but pruned): only goes up. */
  finished: number;
  failed: number;
  pruned: number;
  /** Whether applying began (a phase or object event came). */
  applying: boolean;
  /** The latest thing that happened (object, wait, retry, note). */
  detail?: string;
  /** The last line, once done. */
  final?: string;
}

const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';

/**
 * Live progress on a terminal: one line per cluster, rewritten in place (`host  applying 54/95 objects  created
 * Deployment x/y`). Call `event()` for each event, `above()` to print a line while it is live, and `finish()` at the
 * end (also on errors: it restores the cursor). Redraws at most once per `intervalMs`, never more lines than the
 * terminal has rows (the rest as `… N more clusters`), and hides the cursor while live.
 */
export class TerminalProgress {
  /** Shows the cursor again on every display still live: for process exit and fatal signals. Idempotent. */
  public static restoreCursors(): void {
    for (const p of [...TerminalProgress.live]) p.showCursor();
  }

  /** Displays that hid the cursor and have not finished (for `restoreCursors` at process exit). */
  private static readonly live = new Set<TerminalProgress>();

  private readonly clusters: string[];
  private readonly out: ProgressStream;
  private readonly states = new Map<string, LiveCluster>();
  private readonly intervalMs: number;
  private readonly verb: string;
  private readonly dryRun: boolean;
  /** Lengths of the lines drawn last, to clear them (counting the rows they wrap to after a resize). */
  private drawn: number[] = [];
  private lastDraw: number;
  private timer?: ReturnType<typeof setTimeout>;
  private cursorHidden = false;
  private finished = false;

  constructor(clusters: string[], out: ProgressStream | ((text: string) => void), options: TerminalProgressOptions = {}) {
    this.clusters = [...clusters];
    this.out = typeof out === 'function' ? { write: out } : out;
    this.intervalMs = options.intervalMs ?? 50;
    this.verb = options.verb ?? 'applying';
    this.dryRun = options.dryRun ?? false;
    for (const c of clusters) this.states.set(c, { state: 'pending', finished: 0, failed: 0, pruned: 0, applying: false });
    // The first draw waits one interval, so that clusters starting together show up together.
    this.lastDraw = Date.now();
  }

  public event(e: ApplyEvent): void {
    if (this.finished) return;
    let s = this.states.get(e.cluster);
    if (!s) {
      s = { state: 'pending', finished: 0, failed: 0, pruned: 0, applying: false };
      this.states.set(e.cluster, s);
      this.clusters.push(e.cluster);
    }
    switch (e.type) {
      case 'cluster-start':
        s.state = 'started';
        s.total = e.objects;
        break;
      case 'phase':
        s.state = 'started';
        s.applying = true;
        break;
      case 'object': {
        s.state = s.state === 'done' ? 'done' : 'started';
        s.applying = true;
        const o = e.result;
        if (o.result === 'pruned') s.pruned++;
        else if (o.result !== 'kept') s.finished++;
        if (o.result === 'failed' || o.result === 'timed-out') s.failed++;
        const verb = this.dryRun && ['created', 'configured', 'pruned'].includes(o.result) ? `${o.result} (dry run)` : o.result;
        s.detail = `${verb} ${objectName(o)}`;
        break;
      }
      case 'wait':
        s.detail = `waiting ${e.object}: ${e.message}`;
        break;
      case 'retry':
        s.detail = `retry: ${e.message}`;
        break;
      case 'info':
        s.detail = e.message;
        break;
      case 'cluster-done':
        s.state = 'done';
        s.final = `${e.report.status}${e.report.error ? `: ${e.report.error}` : ''} (${(e.report.durationMs / 1000).toFixed(1)}s)`;
        break;
    }
    this.schedule();
  }

  /**
   * Prints `text` above the live lines: clears them, writes the text (with `write`, e.g. to stderr on the same
   * terminal; default: the display's stream), and draws them again below it. After `finish()`, just writes it.
   */
  public above(text: string, write: (text: string) => void = t => this.out.write(t)): void {
    const line = text.endsWith('\n') ? text : `${text}\n`;
    if (this.finished || this.drawn.length === 0) {
      write(line);
      return;
    }
    this.out.write(this.clear(true));
    write(line);
    this.draw();
  }

  /** Draws the last state, leaves it on screen and shows the cursor again. Idempotent. */
  public finish(): void {
    if (this.finished) return;
    this.cancel();
    this.draw(false);
    this.finished = true;
    this.drawn = [];
    this.showCursor();
  }

  /** The label of a cluster: stable while it runs, with counts that only go up. */
  private label(name: string): string {
    const s = this.states.get(name)!;
    if (s.state === 'done') return s.final ?? 'done';
    const total = s.total ?? '?';
    const objects = s.total === 1 ? 'object' : 'objects';
    let head: string;
    if (s.applying) {
      head = `${this.verb} ${s.finished}/${total} ${objects}${s.failed > 0 ? `, ${s.failed} failed` : ''}${s.pruned > 0 ? `, ${s.pruned} pruned` : ''}`;
    } else if (s.state === 'started') {
      head = `starting (${total} ${objects})`;
    } else {
      head = 'pending';
    }
    return s.detail ? `${head}  ${s.detail}` : head;
  }

  private schedule(): void {
    if (this.intervalMs <= 0) {
      this.draw();
      return;
    }
    if (this.timer) return;
    const wait = Math.max(0, this.lastDraw + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.finished) this.draw();
    }, wait);
    (this.timer as any).unref?.();
  }

  private cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The lines that fit the terminal: every cluster, or the running ones first and `… N more clusters`. */
  private lines(columns: number, rows: number | undefined): string[] {
    const width = Math.max(0, ...this.clusters.map(c => c.length));
    const fit = (text: string) => text.length > columns - 1 ? `${text.slice(0, Math.max(0, columns - 2))}…` : text;
    const line = (c: string) => fit(`${c.padEnd(width)}  ${this.label(c)}`);
    // The block plus the line the cursor rests on must fit, or every redraw scrolls.
    const room = rows === undefined || rows <= 0 ? Infinity : rows - 1;
    if (this.clusters.length <= room) return this.clusters.map(line);
    if (room < 1) return [];
    const rank: { [state in LiveState]: number } = { started: 0, pending: 1, done: 2 };
    const chosen = new Set([...this.clusters].sort((a, b) => rank[this.states.get(a)!.state] - rank[this.states.get(b)!.state]).slice(0, room - 1));
    const rest = this.clusters.filter(c => !chosen.has(c));
    const tally = (state: LiveState, word: string) => {
      const n = rest.filter(c => this.states.get(c)!.state === state).length;
      return n > 0 ? [`${n} ${word}`] : [];
    };
    const more = `… ${rest.length} more cluster${rest.length === 1 ? '' : 's'} (${[...tally('started', 'running'), ...tally('pending', 'pending'), ...tally('done', 'done')].join(', ')})`;
    return [...this.clusters.filter(c => chosen.has(c)).map(line), fit(more)];
  }

  /**
   * Moves up over the lines drawn last (as many rows as they take at the current width); with `blank`, also blanks
   * them, leaving the cursor at their top. Never erases to the end of the screen from its top-left corner: tmux keeps
   * a copy of the screen in the scrollback then, so each redraw of a block at the top would flood it.
   */
  private clear(blank: boolean): string {
    const columns = this.columns();
    const up = this.drawn.reduce((sum, length) => sum + Math.max(1, Math.ceil(length / columns)), 0);
    this.drawn = [];
    if (up === 0) return '';
    return blank ? `\r\x1b[${up}A${'\x1b[2K\n'.repeat(up)}\x1b[${up}A` : `\r\x1b[${up}A`;
  }

  private columns(): number {
    const columns = this.out.columns;
    return columns !== undefined && columns > 0 ? columns : 120;
  }

  private draw(hideCursor = true): void {
    this.cancel();
    this.lastDraw = Date.now();
    const lines = this.lines(this.columns(), this.out.rows);
    // Overwrite the old lines in place, then erase what is left of them below (a block that got shorter, or lines
    // that wrapped after a resize).
    let text = this.clear(lines.length === 0);
    if (hideCursor && !this.cursorHidden) {
      text = HIDE_CURSOR + text;
      this.cursorHidden = true;
      TerminalProgress.live.add(this);
    }
    for (const l of lines) text += `\x1b[2K${l}\n`;
    if (lines.length > 0) text += '\x1b[J';
    this.drawn = lines.map(l => l.length);
    if (text) this.out.write(text);
  }

  private showCursor(): void {
    TerminalProgress.live.delete(this);
    if (!this.cursorHidden) return;
    this.cursorHidden = false;
    this.out.write(SHOW_CURSOR);
  }
}
