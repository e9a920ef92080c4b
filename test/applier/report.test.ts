import { ApplyEvent, ApplyReport, ClusterReport, countsOf, formatDiff, formatEvent, formatObjectLine, formatSummary, ObjectResult, TerminalProgress } from '../../src/applier/report';

const report: ApplyReport = {
  command: 'apply',
  dist: 'dist',
  dryRun: false,
  prune: true,
  success: false,
  durationMs: 2500,
  clusters: [
    {
      name: 'host',
      role: 'host',
      status: 'succeeded',
      durationMs: 1500,
      prune: 'pruned 1',
      objects: [
        { cluster: 'host', apiVersion: 'v1', kind: 'Namespace', name: 'a', result: 'created' },
        { cluster: 'host', apiVersion: 'v1', kind: 'ConfigMap', namespace: 'a', name: 'b', result: 'unchanged' },
        { cluster: 'host', apiVersion: 'v1', kind: 'ConfigMap', namespace: 'a', name: 'old', result: 'pruned' },
      ],
    },
    {
      name: 'edge-1',
      role: 'member',
      status: 'failed',
      durationMs: 900,
      error: '1 object failed: Deployment x/y',
      objects: [{ cluster: 'edge-1', apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'x', name: 'y', result: 'failed', constructPath: 'edge-1/App', message: 'conflict: .spec.replicas is owned by "kubectl-edit"' }],
    },
  ],
};

test('counts', () => {
  expect(countsOf(report.clusters[0].objects)).toMatchObject({ created: 1, unchanged: 1, pruned: 1, failed: 0 });
});

test('summary table names every cluster with its counts and errors', () => {
  const text = formatSummary(report);
  expect(text.split('\n')[0]).toMatch(/^CLUSTER\s+STATUS\s+CREATED\s+CONFIGURED\s+UNCHANGED\s+PRUNED\s+FAILED\s+TIME$/);
  expect(text).toMatch(/host\s+succeeded\s+1\s+0\s+1\s+1\s+0\s+1.5s/);
  expect(text).toMatch(/edge-1\s+failed\s+0\s+0\s+0\s+0\s+1\s+0.9s/);
  expect(text).toContain('edge-1: 1 object failed: Deployment x/y');
  expect(text).toContain('apply: 1/2 clusters succeeded in 2.5s');
});

test('a run the preflight refused: the findings on each cluster, then why nothing was written', () => {
  const refused: ApplyReport = {
    ...report,
    durationMs: 300,
    clusters: [{ name: 'edge-1', role: 'member', status: 'skipped', durationMs: 0, objects: [], error: 'refused by the preflight, nothing written: member-renamed: seen. Fix: fix' }],
    preflight: [{ severity: 'error', cluster: 'edge-1', check: 'member-renamed', seen: 'seen', why: 'why', fix: 'fix' }],
  };
  expect(formatSummary(refused).split('\n').slice(2)).toEqual([
    'edge-1: refused by the preflight, nothing written: member-renamed: seen. Fix: fix',
    'apply: refused by the preflight in 0.3s, nothing written (rerun with --skip-preflight to apply anyway, or run ksfed doctor for every finding)',
  ]);
});

test('a failed object line carries its construct path and reason', () => {
  expect(formatObjectLine(report.clusters[1].objects[0], 8)).toBe('edge-1    failed      Deployment x/y [edge-1/App]: conflict: .spec.replicas is owned by "kubectl-edit"');
});

test('diff view', () => {
  const d: ApplyReport = {
    ...report,
    command: 'diff',
    dryRun: true,
    clusters: [{
      ...report.clusters[0],
      objects: [
        { cluster: 'host', apiVersion: 'v1', kind: 'ConfigMap', namespace: 'a', name: 'b', result: 'configured', changes: ['/data/x: "1" -> "2"'] },
        { cluster: 'host', apiVersion: 'v1', kind: 'ConfigMap', namespace: 'a', name: 'c', result: 'unchanged' },
        { cluster: 'host', apiVersion: 'v1', kind: 'ConfigMap', namespace: 'a', name: 'old', result: 'pruned' },
      ],
    }],
  };
  expect(formatDiff(d)).toBe(['host: 0 to create, 1 to change, 1 unchanged, 1 to prune', '  ~ ConfigMap a/b', '      /data/x: "1" -> "2"', '  - ConfigMap a/old'].join('\n'));
});

test('plain event lines', () => {
  expect(formatEvent({ type: 'wait', cluster: 'edge-1', object: 'Cluster edge-1 on host', message: 'waiting for condition Ready' }, 8, false))
    .toBe('edge-1    waiting   Cluster edge-1 on host: waiting for condition Ready');
  expect(formatEvent({ type: 'object', cluster: 'host', result: report.clusters[0].objects[0] }, 4, true)).toBe('host  created (dry run)     Namespace a');
});

test('the summary tells when a prune was skipped', () => {
  const r: ApplyReport = { ...report, clusters: [{ ...report.clusters[1], prune: 'skipped: the cluster did not succeed' }] };
  expect(formatSummary(r)).toContain('edge-1: prune skipped: the cluster did not succeed');
});

test('kept objects and removed clusters: a line each in the summary, = and a block in the diff', () => {
  const kept: ObjectResult = { cluster: 'edge-1', apiVersion: 'v1', kind: 'Namespace', name: 'scratch', result: 'kept', message: 'it holds objects ksfed did not create: 1 ConfigMap (notes)' };
  const r: ApplyReport = {
    ...report,
    command: 'diff',
    clusters: [{ name: 'edge-1', role: 'member', status: 'succeeded', durationMs: 1, prune: 'would prune 0, kept 1', objects: [kept] }],
    removedClusters: [{
      name: 'gone',
      context: 'gone',
      status: 'left',
      message: 'would prune 1 and its ApplySet parent',
      objects: [{ cluster: 'gone', apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'kubesphere-system', name: 'cluster-agent', result: 'pruned' }],
    }],
  };
  expect(countsOf([kept])).toMatchObject({ kept: 1, pruned: 0 });
  const summary = formatSummary(r).split('\n');
  expect(summary).toContain('edge-1: kept Namespace scratch: it holds objects ksfed did not create: 1 ConfigMap (notes)');
  expect(summary).toContain('removed cluster gone: left: would prune 1 and its ApplySet parent');
  expect(formatDiff(r).split('\n')).toEqual([
    'edge-1: 0 to create, 0 to change, 0 unchanged, 0 to prune, 1 kept',
    '  = Namespace scratch (it holds objects ksfed did not create: 1 ConfigMap (notes))',
    'gone (removed from the program): left: would prune 1 and its ApplySet parent',
    '  - Deployment kubesphere-system/cluster-agent',
  ]);
  // the live display does not count a kept object as one of the folder's
  const out: string[] = [];
  const progress = new TerminalProgress(['edge-1'], t => out.push(t), { intervalMs: 0 });
  progress.event({ type: 'cluster-start', cluster: 'edge-1', objects: 1 });
  progress.event({ type: 'object', cluster: 'edge-1', result: kept });
  expect(out.join('')).toContain('applying 0/1 object  kept Namespace scratch');
  progress.finish();
});

/**
 * Just enough of a VT100 for the live display: autowrap (deferred, like xterm), `\n` as CR+LF (the tty's onlcr),
 * scrolling into a scrollback, cursor up (`CSI n A`), erase below (`CSI J`, which tmux turns into "scroll the screen
 * into the scrollback" when the cursor is at the top-left corner), erase line (`CSI 2K`), cursor on/off.
 */
class FakeTerminal {
  public readonly scrollback: string[] = [];
  public screen: string[];
  public cursorVisible = true;
  private row = 0;
  private col = 0;

  constructor(public columns: number, public rows: number) {
    this.screen = new Array(rows).fill('');
  }

  public readonly write = (text: string): void => {
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch === '\x1b') {
        const m = /^\x1b\[(\??)(\d*)([A-Za-z])/.exec(text.slice(i));
        if (!m) throw new Error(`unknown escape at ${JSON.stringify(text.slice(i, i + 8))}`);
        i += m[0].length - 1;
        const n = m[2] === '' ? undefined : Number(m[2]);
        if (m[1] === '?' && n === 25) this.cursorVisible = m[3] === 'h';
        else if (m[3] === 'A') this.row = Math.max(0, this.row - (n ?? 1));
        else if (m[3] === 'J') this.eraseBelow();
        else if (m[3] === 'K' && n === 2) this.screen[this.row] = '';
        else throw new Error(`unknown escape ${JSON.stringify(m[0])}`);
        this.col = Math.min(this.col, this.columns);
      } else if (ch === '\r') {
        this.col = 0;
      } else if (ch === '\n') {
        this.lineFeed();
      } else {
        if (this.col >= this.columns) this.lineFeed();
        const line = this.screen[this.row].padEnd(this.col);
        this.screen[this.row] = line.slice(0, this.col) + ch + line.slice(this.col + 1);
        this.col++;
      }
    }
  };

  /** The lines with text, screen and scrollback. */
  public get text(): string[] {
    return [...this.scrollback, ...this.screen].map(l => l.trimEnd()).filter(l => l);
  }

  /** Like tmux: erasing the whole screen from its top-left corner keeps what was on it in the scrollback. */
  private eraseBelow(): void {
    if (this.row === 0 && this.col === 0) this.scrollback.push(...this.screen.filter(l => l.trim()));
    this.screen = this.screen.map((l, r) => r < this.row ? l : r === this.row ? l.slice(0, this.col) : '');
  }

  private lineFeed(): void {
    this.col = 0;
    if (this.row < this.rows - 1) {
      this.row++;
    } else {
      this.scrollback.push(this.screen.shift()!);
      this.screen.push('');
    }
  }
}

const start = (cluster: string, objects: number): ApplyEvent => ({ type: 'cluster-start', cluster, objects });
const obj = (cluster: string, name: string, phase: string, result: ObjectResult['result'] = 'created'): ApplyEvent =>
  ({ type: 'object', cluster, result: { cluster, apiVersion: 'v1', kind: 'ConfigMap', namespace: 'a', name, phase, result } });
const done = (cluster: string, status: ClusterReport['status'] = 'succeeded'): ApplyEvent =>
  ({ type: 'cluster-done', cluster, report: { name: cluster, role: 'member', status, durationMs: 1200, objects: [] } });

describe('terminal progress', () => {
  afterEach(() => jest.useRealTimers());

  test('rewrites one line per cluster in place', () => {
    const out: string[] = [];
    const p = new TerminalProgress(['host', 'edge-1'], t => out.push(t), { intervalMs: 0 });
    p.event({ type: 'cluster-start', cluster: 'host', objects: 2 });
    p.event({ type: 'object', cluster: 'host', result: { ...report.clusters[0].objects[0], phase: 'namespaces' } });
    p.finish();
    expect(out[0]).toContain('host    starting (2 objects)');
    expect(out[0]).toContain('edge-1  pending');
    expect(out[1].startsWith('\r\x1b[2A\x1b[2Khost ')).toBe(true);
    expect(out[1].endsWith('\n\x1b[J')).toBe(true);
    expect(out[1]).toContain('host    applying 1/2 objects  created Namespace a');
    expect(out[1]).toContain('edge-1  pending');
  });

  test('above() prints a line above the block: no block drawn over it, no duplicate block', () => {
    const term = new FakeTerminal(80, 24);
    const p = new TerminalProgress(['host', 'edge-1'], term, { intervalMs: 0 });
    term.write('$ ksfed apply dist\n');
    p.event(start('host', 2));
    p.event(start('edge-1', 1));
    p.event(obj('host', 'one', 'config'));
    term.write('^C'); // the tty's echo, where the cursor rests
    p.above('ksfed: stopping after the requests in flight', term.write);
    p.event(obj('edge-1', 'two', 'config'));
    p.event(done('edge-1', 'aborted'));
    p.above('a second\nmessage\n', term.write);
    p.event(done('host'));
    p.finish();
    expect(term.text).toEqual([
      '$ ksfed apply dist',
      'ksfed: stopping after the requests in flight',
      'a second',
      'message',
      'host    succeeded (1.2s)',
      'edge-1  aborted (1.2s)',
    ]);
    expect(term.cursorVisible).toBe(true);
    // after finish(), a message is just written
    const writes: string[] = [];
    p.above('later', t => writes.push(t));
    expect(writes).toEqual(['later\n']);
  });

  test('a block at the top of the screen (after `clear`): redraws and messages leave nothing in the scrollback', () => {
    const term = new FakeTerminal(80, 10);
    const p = new TerminalProgress(['host', 'edge-1'], term, { intervalMs: 0 });
    p.event(start('host', 20));
    for (let i = 0; i < 20; i++) p.event(obj('host', `cm-${i}`, 'config'));
    p.above('ksfed: stopping', term.write);
    p.event(done('host'));
    p.finish();
    expect(term.scrollback).toEqual([]);
    expect(term.text).toEqual(['ksfed: stopping', 'host    succeeded (1.2s)', 'edge-1  pending']);
  });

  test('above() before the first draw just writes the line', () => {
    jest.useFakeTimers();
    const term = new FakeTerminal(80, 24);
    const p = new TerminalProgress(['host'], term);
    p.event(start('host', 2));
    p.above('note', term.write);
    jest.advanceTimersByTime(50);
    p.finish();
    expect(term.text).toEqual(['note', 'host  starting (2 objects)']);
  });

  test('a terminal with fewer rows than clusters: draws what fits and "… N more clusters", never scrolls', () => {
    const term = new FakeTerminal(80, 4);
    const names = ['host', 'edge-1', 'edge-2', 'edge-3', 'edge-4'];
    const p = new TerminalProgress(names, term, { intervalMs: 0 });
    p.event(start('edge-3', 10));
    for (let i = 0; i < 10; i++) p.event(obj('edge-3', `cm-${i}`, 'config'));
    p.event(start('edge-4', 10));
    p.event(done('edge-3'));
    expect(term.scrollback).toEqual([]);
    // 3 lines and the cursor's: running first, then pending; shown in their order
    expect(term.text).toEqual([
      'host    pending',
      'edge-4  starting (10 objects)',
      '… 3 more clusters (2 pending, 1 done)',
    ]);
    // grows: everything
    term.rows = 24;
    term.screen.push(...new Array(20).fill(''));
    p.event(obj('edge-4', 'x', 'config'));
    expect(term.text).toEqual([
      'host    pending',
      'edge-1  pending',
      'edge-2  pending',
      'edge-3  succeeded (1.2s)',
      'edge-4  applying 1/10 objects  created ConfigMap a/x',
    ]);
    p.finish();
    expect(term.scrollback).toEqual([]);
    expect(term.cursorVisible).toBe(true);
  });

  test('one or two rows: no cluster lines, or only the "more" line', () => {
    const one = new FakeTerminal(80, 1);
    const p1 = new TerminalProgress(['a', 'b'], one, { intervalMs: 0 });
    for (let i = 0; i < 5; i++) p1.event(obj('a', `cm-${i}`, 'config'));
    p1.finish();
    expect(one.scrollback).toEqual([]);
    expect(one.text).toEqual([]);
    expect(one.cursorVisible).toBe(true);

    const two = new FakeTerminal(80, 2);
    const p2 = new TerminalProgress(['a', 'b'], two, { intervalMs: 0 });
    for (let i = 0; i < 5; i++) p2.event(obj('a', `cm-${i}`, 'config'));
    p2.finish();
    expect(two.scrollback).toEqual([]);
    expect(two.text).toEqual(['… 2 more clusters (1 running, 1 pending)']);
  });

  test('lines are cut to the width; after a resize, clears as many rows as the old lines wrap to', () => {
    const out: string[] = [];
    const stream = { columns: 40, rows: 24, write: (t: string) => out.push(t) };
    const p = new TerminalProgress(['host', 'edge-1'], stream, { intervalMs: 0 });
    p.event(start('host', 3));
    p.event(obj('host', 'a-configmap-with-a-very-long-name', 'config'));
    const lines = out[1].split('\n').filter(l => l.includes('\x1b[2K')).map(l => l.replace(/^[\s\S]*\x1b\[2K/, ''));
    expect(lines.map(l => l.length)).toEqual([39, 15]);
    expect(lines[0].endsWith('…')).toBe(true);
    // narrower: 39 characters now take 4 rows of 10, 15 take 2
    stream.columns = 10;
    p.event(obj('host', 'b', 'config'));
    expect(out[2].startsWith('\r\x1b[6A\x1b[2K')).toBe(true);
    expect(out[2].split('\n').filter(l => l.includes('\x1b[2K')).map(l => l.replace(/^[\s\S]*\x1b\[2K/, '').length)).toEqual([9, 9]);
    // wider again: each line took one row
    stream.columns = 100;
    p.event(done('host'));
    expect(out[3].startsWith('\r\x1b[2A\x1b[2K')).toBe(true);
    p.finish();
  });

  test('a stable label: objects finished of all, counts only go up, never the phase of the last object', () => {
    const out: string[] = [];
    const p = new TerminalProgress(['host', 'edge-1'], t => out.push(t), { intervalMs: 0 });
    p.event(start('host', 4));
    p.event({ type: 'phase', cluster: 'host', phase: 'crds', objects: 2 });
    p.event({ type: 'phase', cluster: 'host', phase: 'config', objects: 2 });
    p.event(obj('host', 'c1', 'config'));
    p.event({ type: 'wait', cluster: 'host', object: 'CustomResourceDefinition x', message: 'Established' });
    p.event(obj('host', 'd1', 'crds', 'failed'));
    p.event({ type: 'retry', cluster: 'host', message: 'ECONNRESET (retry 1 in 100 ms)' });
    p.event(obj('host', 'c2', 'config'));
    p.event(obj('host', 'old', 'prune', 'pruned'));
    const hostLines = out.map(t => t.split('\n').find(l => l.includes('host'))!.replace(/^[\s\S]*\x1b\[2K/, ''));
    expect(hostLines).toEqual([
      'host    starting (4 objects)',
      'host    applying 0/4 objects',
      'host    applying 0/4 objects',
      'host    applying 1/4 objects  created ConfigMap a/c1',
      'host    applying 1/4 objects  waiting CustomResourceDefinition x: Established',
      'host    applying 2/4 objects, 1 failed  failed ConfigMap a/d1',
      'host    applying 2/4 objects, 1 failed  retry: ECONNRESET (retry 1 in 100 ms)',
      'host    applying 3/4 objects, 1 failed  created ConfigMap a/c2',
      'host    applying 3/4 objects, 1 failed, 1 pruned  pruned ConfigMap a/old',
    ]);
    const counts = hostLines.slice(1).map(l => Number(/(\d+)\/4/.exec(l)![1]));
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(out.join('')).not.toMatch(/crds|config /);
    p.finish();
  });

  test('dry runs and diffs say so', () => {
    const out: string[] = [];
    const p = new TerminalProgress(['host'], t => out.push(t), { intervalMs: 0, verb: 'comparing', dryRun: true });
    p.event(start('host', 2));
    p.event(obj('host', 'a', 'config'));
    p.finish();
    expect(out.join('')).toContain('host  comparing 1/2 objects  created (dry run) ConfigMap a/a');
  });

  test('redraws at most once per interval, and once more at the end', () => {
    jest.useFakeTimers();
    const out: string[] = [];
    const p = new TerminalProgress(['host', 'edge-1'], t => out.push(t));
    // clusters that start together are drawn together: the first draw waits one interval
    p.event(start('host', 100));
    p.event(start('edge-1', 100));
    expect(out).toHaveLength(0);
    jest.advanceTimersByTime(50);
    expect(out).toHaveLength(1);
    expect(out[0]).toContain('host    starting (100 objects)');
    expect(out[0]).toContain('edge-1  starting (100 objects)');
    // 100 objects in a burst: one redraw
    for (let i = 0; i < 100; i++) p.event(obj('host', `cm-${i}`, 'config'));
    jest.advanceTimersByTime(50);
    expect(out).toHaveLength(2);
    expect(out[1]).toContain('applying 100/100 objects');
    // 100 objects over a second: about 20
    for (let i = 0; i < 100; i++) {
      p.event(obj('edge-1', `cm-${i}`, 'config'));
      jest.advanceTimersByTime(10);
    }
    expect(out.length - 2).toBeGreaterThanOrEqual(19);
    expect(out.length - 2).toBeLessThanOrEqual(21);
    // nothing to draw: no redraw
    const before = out.length;
    jest.advanceTimersByTime(500);
    expect(out).toHaveLength(before);
    // the end: drawn at once, with the final state, and no timer left behind
    p.event(done('edge-1'));
    p.finish();
    expect(out).toHaveLength(before + 2); // the last frame, then the cursor
    expect(out[before]).toContain('edge-1  succeeded (1.2s)');
    expect(jest.getTimerCount()).toBe(0);
    p.event(obj('host', 'late', 'config'));
    jest.advanceTimersByTime(100);
    expect(out).toHaveLength(before + 2);
  });

  test('hides the cursor while live; finish() and restoreCursors() show it again', () => {
    const term = new FakeTerminal(80, 24);
    const p = new TerminalProgress(['host'], term, { intervalMs: 0 });
    p.event(start('host', 1));
    expect(term.cursorVisible).toBe(false);
    p.finish();
    expect(term.cursorVisible).toBe(true);
    p.finish();
    expect(term.cursorVisible).toBe(true);

    // a process that exits (second Ctrl-C, a crash) while a display is live
    const writes: string[] = [];
    const q = new TerminalProgress(['host'], t => writes.push(t), { intervalMs: 0 });
    q.event(start('host', 1));
    expect(writes[0].startsWith('\x1b[?25l')).toBe(true);
    TerminalProgress.restoreCursors();
    expect(writes[writes.length - 1]).toBe('\x1b[?25h');
    TerminalProgress.restoreCursors();
    q.finish();
    expect(writes.filter(w => w.includes('\x1b[?25h'))).toHaveLength(1);
  });

  test('a cluster it was not told about gets a line too', () => {
    const term = new FakeTerminal(80, 24);
    const names = ['host'];
    const p = new TerminalProgress(names, term, { intervalMs: 0 });
    p.event(start('edge-9', 1));
    p.finish();
    expect(term.text).toEqual(['host    pending', 'edge-9  starting (1 object)']);
    expect(names).toEqual(['host']);
  });
});
