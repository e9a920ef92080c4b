import { ApplyReport, countsOf, formatDiff, formatEvent, formatObjectLine, formatSummary, ObjectResult } from '../src/report';

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
  expect(formatDiff(d)).toBe(['host: 0 to create, 1 to change, 1 unchanged, 1 to prune', '  ~ ConfigMap a/b', '      data.x: "1" -> "2"', '  - ConfigMap a/old'].join('\n'));
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
});
