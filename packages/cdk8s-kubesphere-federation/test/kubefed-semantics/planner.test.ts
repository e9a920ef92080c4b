import { OverrideError } from '../../src/kubefed-semantics/overrides';
import { ClusterInfo } from '../../src/kubefed-semantics/placement';
import {
  ClusterPreference, effectiveClusterPreferences, fnv1Hash32, planReplicas, scheduleFederated, scheduleReplicas,
  schedulingCandidates, SchedulingError, SchedulingPreference, schedulingKey, schedulingProblems,
} from '../../src/kubefed-semantics/planner';

type Prefs = Record<string, ClusterPreference>;
const rsp = (totalReplicas: number, clusters?: Prefs, extra: Partial<SchedulingPreference> = {}): SchedulingPreference =>
  ({ totalReplicas, clusters, ...extra });

describe('hash and key', () => {
  test.each([
    ['', 0x811c9dc5],
    ['a', 0x050c5d7e],
    ['foobar', 0x31f0b262],
  ])('FNV-1 32 of %j', (text, expected) => {
    expect(fnv1Hash32(text)).toBe(expected);
  });

  test('hashes UTF-8 bytes', () => {
    expect(fnv1Hash32('é')).not.toBe(fnv1Hash32('e'));
    expect(fnv1Hash32('é')).toBe(fnv1Hash32('\u00e9'));
  });

  test('key is namespace/name, or name for cluster-scoped objects', () => {
    expect(schedulingKey('shop', 'web')).toBe('shop/web');
    expect(schedulingKey(undefined, 'web')).toBe('web');
    expect(schedulingKey('', 'web')).toBe('web');
  });
});

// Expected plans from kubefed pkg/controller/util/planner/planner_test.go (key "", no rebalance unless stated).
describe('planReplicas matches the upstream planner tests', () => {
  const max = (n: number) => n;
  test.each<[string, Prefs, number, string[], Record<string, number>]>([
    ['TestEqual 50/3', { '*': { weight: 1 } }, 50, ['A', 'B', 'C'], { A: 16, B: 17, C: 17 }],
    ['TestEqual 50/2', { '*': { weight: 1 } }, 50, ['A', 'B'], { A: 25, B: 25 }],
    ['TestEqual 1/2', { '*': { weight: 1 } }, 1, ['A', 'B'], { A: 0, B: 1 }],
    ['TestEqual 1/4', { '*': { weight: 1 } }, 1, ['A', 'B', 'C', 'D'], { A: 0, B: 0, C: 0, D: 1 }],
    ['TestEqual 1/1', { '*': { weight: 1 } }, 1, ['A'], { A: 1 }],
    ['TestEqual no clusters', { '*': { weight: 1 } }, 1, [], {}],
    ['TestMin 2 each', { '*': { minReplicas: 2, weight: 0 } }, 50, ['A', 'B', 'C'], { A: 2, B: 2, C: 2 }],
    ['TestMin over total', { '*': { minReplicas: 20, weight: 0 } }, 50, ['A', 'B', 'C'], { A: 10, B: 20, C: 20 }],
    ['TestMin own beats *', { '*': { minReplicas: 20, weight: 0 }, 'A': { minReplicas: 100, weight: 1 } }, 50, ['A', 'B', 'C'], { A: 50, B: 0, C: 0 }],
    ['TestMin with max', { '*': { minReplicas: 10, weight: 1, maxReplicas: max(12) } }, 50, ['A', 'B', 'C'], { A: 12, B: 12, C: 12 }],
    ['TestMax', { '*': { weight: 1, maxReplicas: 2 } }, 50, ['A', 'B', 'C'], { A: 2, B: 2, C: 2 }],
    ['TestMax weight 0', { '*': { weight: 0, maxReplicas: 2 } }, 50, ['A', 'B', 'C'], { A: 0, B: 0, C: 0 }],
    ['TestWeight 1:2', { A: { weight: 1 }, B: { weight: 2 } }, 60, ['A', 'B', 'C'], { A: 20, B: 40, C: 0 }],
    ['TestWeight heavy A', { A: { weight: 10000 }, B: { weight: 1 } }, 50, ['A', 'B', 'C'], { A: 50, B: 0, C: 0 }],
    ['TestWeight A unavailable', { A: { weight: 10000 }, B: { weight: 1 } }, 50, ['B', 'C'], { B: 50, C: 0 }],
    ['TestWeight A capped', { A: { weight: 10000, maxReplicas: 10 }, B: { weight: 1 }, C: { weight: 1 } }, 50, ['A', 'B', 'C'], { A: 10, B: 20, C: 20 }],
    ['TestWeight A, C capped', { A: { weight: 10000, maxReplicas: 10 }, B: { weight: 1 }, C: { weight: 1, maxReplicas: 10 } }, 50, ['A', 'B', 'C'],
      { A: 10, B: 30, C: 10 }],
    ['TestWeight 4 clusters', {
      A: { weight: 10000, maxReplicas: 10 }, B: { weight: 1 }, C: { weight: 1, maxReplicas: 21 }, D: { weight: 1, maxReplicas: 10 },
    }, 71, ['A', 'B', 'C', 'D'], { A: 10, B: 30, C: 21, D: 10 }],
    ['TestWeight 5 clusters', {
      A: { weight: 10000, maxReplicas: 10 }, B: { weight: 1 }, C: { weight: 1, maxReplicas: 21 }, D: { weight: 1, maxReplicas: 10 }, E: { weight: 1 },
    }, 91, ['A', 'B', 'C', 'D', 'E'], { A: 10, B: 25, C: 21, D: 10, E: 25 }],
  ])('%s', (_name, prefs, total, clusters, expected) => {
    const { plan, overflow } = planReplicas(rsp(total, prefs), clusters, '');
    expect(plan).toEqual(expected);
    expect(overflow).toEqual({});
  });

  test.each<[Record<string, number>, number, string[], Record<string, number>]>([
    [{ C: 30 }, 50, ['A', 'B', 'C'], { A: 10, B: 10, C: 30 }],
    [{ A: 30 }, 50, ['A', 'B'], { A: 30, B: 20 }],
    [{ A: 0, B: 8 }, 15, ['A', 'B'], { A: 7, B: 8 }],
    [{ A: 1, B: 8 }, 15, ['A', 'B'], { A: 7, B: 8 }],
    [{ A: 6, B: 8 }, 15, ['A', 'B'], { A: 7, B: 8 }],
    [{ A: 300000 }, 500000, ['A', 'B'], { A: 300000, B: 200000 }],
    [{ A: 10 }, 50, ['A', 'B'], { A: 25, B: 25 }],
    [{ A: 10, B: 70 }, 50, ['A', 'B'], { A: 0, B: 50 }],
    [{ A: 30 }, 1, ['A', 'B'], { A: 1, B: 0 }],
    [{ A: 10, B: 20 }, 50, ['A', 'B'], { A: 25, B: 25 }],
  ])('TestEqualWithExisting current %j, total %d', (current, total, clusters, expected) => {
    const { plan } = planReplicas(rsp(total, { '*': { weight: 1 } }), clusters, '', { currentReplicas: current });
    expect(plan).toEqual(expected);
  });

  test.each<[boolean, Prefs, number, string[], Record<string, number>, Record<string, number>, Record<string, number>]>([
    [true, { '*': { weight: 1 } }, 50, ['A', 'B', 'C'], { C: 10 }, { A: 20, B: 20, C: 10 }, { C: 7 }],
    [true, { A: { weight: 10000 }, B: { weight: 1 } }, 50, ['B', 'C'], { B: 10 }, { B: 10, C: 0 }, { B: 40 }],
    [true, { A: { weight: 1 }, B: { weight: 2 } }, 60, ['A', 'B', 'C'], { B: 10 }, { A: 50, B: 10, C: 0 }, { B: 30 }],
    [true, { A: { weight: 10000, maxReplicas: 10 }, B: { weight: 1 }, C: { weight: 1, maxReplicas: 21 }, D: { weight: 1, maxReplicas: 10 } }, 71,
      ['A', 'B', 'C', 'D'], { C: 10 }, { A: 10, B: 41, C: 10, D: 10 }, { C: 11 }],
    [false, { A: { weight: 1 }, B: { weight: 1 } }, 60, ['A', 'B', 'C'], { A: 10, B: 10 }, { A: 10, B: 10, C: 0 }, { A: 20, B: 20 }],
    [false, { A: { weight: 1 }, B: { weight: 5 } }, 60, ['A', 'B', 'C'], { B: 10 }, { A: 50, B: 10, C: 0 }, {}],
    [false, { '*': { minReplicas: 20, weight: 0 } }, 50, ['A', 'B', 'C'], { B: 10 }, { A: 20, B: 10, C: 20 }, {}],
    [true, { '*': { minReplicas: 20, weight: 1 } }, 60, ['A', 'B'], { B: 10 }, { A: 50, B: 10 }, { B: 15 }],
  ])('TestWithExistingAndCapacity rebalance=%s %j', (rebalance, prefs, total, clusters, capacity, expected, expectedOverflow) => {
    const { plan, overflow } = planReplicas(rsp(total, prefs, { rebalance }), clusters, '', { estimatedCapacity: capacity });
    expect(plan).toEqual(expected);
    expect(overflow).toEqual(expectedOverflow);
  });
});

// Worked by hand from planner.go (and cross-checked with an independent script): key "shop-prod/web" ranks
// equal-weight clusters host (0x0d841eb8) < branch-7 (0x16d3e78e) < edge-1 (0x83463df9).
describe('planReplicas, hand-computed', () => {
  const key = 'shop-prod/web';
  const three = ['edge-1', 'branch-7', 'host'];
  test.each<[string, SchedulingPreference, string[], Record<string, number>]>([
    ['no clusters means "*" weight 1; remainders go in hash order', rsp(10), three, { 'branch-7': 4, 'edge-1': 2, 'host': 4 }],
    ['empty clusters map is defaulted too', rsp(10, {}), three, { 'branch-7': 4, 'edge-1': 2, 'host': 4 }],
    ['weights 3:1 round up for the heavier cluster; unlisted cluster gets 0', rsp(10, { 'edge-1': { weight: 3 }, 'branch-7': { weight: 1 } }), three,
      { 'branch-7': 2, 'edge-1': 8, 'host': 0 }],
    ['odd total, equal weights: hash order decides', rsp(5), ['edge-1', 'branch-7'], { 'branch-7': 3, 'edge-1': 2 }],
    ['min first, then weights, "*" with max', rsp(20, { '*': { weight: 1, maxReplicas: 3 }, 'edge-1': { weight: 2, minReplicas: 2 } }), three,
      { 'branch-7': 3, 'edge-1': 14, 'host': 3 }],
    ['weight 0 gets only its minimum', rsp(7, { 'edge-1': { weight: 0, minReplicas: 2 }, 'branch-7': { weight: 1 } }), three,
      { 'branch-7': 5, 'edge-1': 2, 'host': 0 }],
    ['max below min: ends at max', rsp(10, { 'edge-1': { weight: 1, minReplicas: 6, maxReplicas: 4 }, 'branch-7': { weight: 1 } }), ['edge-1', 'branch-7'],
      { 'branch-7': 6, 'edge-1': 4 }],
    ['all capped: the rest is not placed', rsp(10, { '*': { weight: 1, maxReplicas: 2 } }), three, { 'branch-7': 2, 'edge-1': 2, 'host': 2 }],
    ['total 0', rsp(0, { '*': { weight: 1, minReplicas: 1 } }), three, { 'branch-7': 0, 'edge-1': 0, 'host': 0 }],
  ])('%s', (_name, pref, clusters, expected) => {
    expect(planReplicas(pref, clusters, key).plan).toEqual(expected);
  });

  test('the key changes who gets the remainder', () => {
    expect(planReplicas(rsp(1), ['edge-1', 'branch-7'], '').plan).toEqual({ 'branch-7': 0, 'edge-1': 1 });
    expect(planReplicas(rsp(1), ['edge-1', 'branch-7'], key).plan).toEqual({ 'branch-7': 1, 'edge-1': 0 });
  });

  test('rebalance makes no difference without live state', () => {
    const pref = rsp(11, { '*': { weight: 2 }, 'host': { weight: 1, minReplicas: 1 } });
    expect(planReplicas({ ...pref, rebalance: true }, three, key)).toEqual(planReplicas({ ...pref, rebalance: false }, three, key));
  });

  test('without rebalance, running replicas stay where they are (up to max)', () => {
    const pref = rsp(10, { '*': { weight: 1 }, 'edge-1': { weight: 1, maxReplicas: 5 } });
    const state = { currentReplicas: { 'edge-1': 8, 'branch-7': 1 } };
    expect(planReplicas(pref, ['edge-1', 'branch-7'], key, state).plan).toEqual({ 'branch-7': 5, 'edge-1': 5 });
    expect(planReplicas({ ...pref, rebalance: true }, ['edge-1', 'branch-7'], key, state).plan).toEqual({ 'branch-7': 5, 'edge-1': 5 });
    const keep = rsp(10, { '*': { weight: 1 } });
    expect(planReplicas(keep, ['edge-1', 'branch-7'], key, { currentReplicas: { 'edge-1': 8 } }).plan).toEqual({ 'branch-7': 2, 'edge-1': 8 });
    expect(planReplicas({ ...keep, rebalance: true }, ['edge-1', 'branch-7'], key, { currentReplicas: { 'edge-1': 8 } }).plan)
      .toEqual({ 'branch-7': 5, 'edge-1': 5 });
  });

  test.each<[string, SchedulingPreference]>([
    ['negative total', rsp(-1)],
    ['fractional total', rsp(1.5)],
    ['negative weight', rsp(3, { a: { weight: -1 } })],
    ['negative min', rsp(3, { a: { weight: 1, minReplicas: -2 } })],
    ['fractional max', rsp(3, { a: { weight: 1, maxReplicas: 0.5 } })],
  ])('refuses %s', (_name, pref) => {
    expect(() => planReplicas(pref, ['a'], '')).toThrow(SchedulingError);
  });

  test('large weights: exact integer arithmetic as in Go int64 (products past 2^53)', () => {
    // Same plan as kubefed v0.8.1 planner.Plan computes for this input.
    const pref = rsp(2147483647, { a: { weight: 2 ** 30 + 1 }, b: { weight: 2 ** 31 + 7 } });
    expect(planReplicas(pref, ['a', 'b'], key).plan).toEqual({ a: 715827881, b: 1431655766 });
  });

  test('weights whose product with the total overflows Go int64 are refused (KubeFed would plan 0 everywhere)', () => {
    const pref = rsp(2147483647, { a: { weight: 2 ** 32 - 1 }, b: { weight: 2 ** 32 - 1 } });
    expect(() => planReplicas(pref, ['a', 'b'], key)).toThrow(
      /cannot plan replicas: totalReplicas 2147483647 times weight 4294967295 exceeds the 64-bit integers KubeFed's planner computes with.*use smaller weights \(only their ratios matter\)/);
    expect(schedulingProblems(pref, ['a', 'b'])).toEqual([expect.stringMatching(/times weight 4294967295 exceeds the 64-bit integers/)]);
    expect(schedulingProblems(rsp(2147483647, { a: { weight: 2 ** 31 + 7 } }), ['a'])).toEqual([]);
  });

  test('does not mutate the preference', () => {
    const pref = Object.freeze(rsp(5, Object.freeze({ a: Object.freeze({ weight: 1 }) })));
    expect(() => planReplicas(pref, ['a', 'b'], key)).not.toThrow();
    expect(pref.clusters).toEqual({ a: { weight: 1 } });
    expect(effectiveClusterPreferences(rsp(1))).toEqual({ '*': { weight: 1 } });
  });
});

describe('planReplicas properties (seeded random preferences)', () => {
  // Park-Miller minimal standard generator: deterministic, no bitwise operations.
  function rng(seed: number) {
    return () => {
      seed = (seed * 48271) % 2147483647;
      return (seed - 1) / 2147483646;
    };
  }

  test('sum = min(total, capacity), min <= plan <= max, independent of cluster order', () => {
    const rand = rng(20240601);
    const int = (n: number) => Math.floor(rand() * n);
    for (let run = 0; run < 1500; run++) {
      const names = Array.from({ length: 1 + int(6) }, (_, i) => `c${i}`);
      const prefs: Prefs = {};
      const pick = (): ClusterPreference => {
        const min = int(4) === 0 ? int(6) : 0;
        const max = int(3) === 0 ? min + int(8) : undefined;
        return { weight: int(4) === 0 ? 0 : 1 + int(10), minReplicas: min, maxReplicas: max };
      };
      for (const n of names) if (rand() < 0.6) prefs[n] = pick();
      if (rand() < 0.5) prefs['*'] = pick();
      const total = int(60);
      const pref = rsp(total, prefs, { rebalance: rand() < 0.5 });
      const key = `ns/app-${run}`;
      const { plan, overflow } = planReplicas(pref, names, key);

      const effective = effectiveClusterPreferences(pref);
      const prefOf = (n: string) => effective[n] ?? effective['*'];
      let capacity = 0;
      let sumMin = 0;
      for (const n of names) {
        const p = prefOf(n);
        if (!p) continue;
        sumMin += p.minReplicas ?? 0;
        capacity += (p.weight ?? 0) > 0 ? (p.maxReplicas ?? Infinity) : (p.minReplicas ?? 0);
      }
      const sum = Object.values(plan).reduce((s, v) => s + v, 0);
      expect(Object.keys(plan).sort()).toEqual([...names].sort());
      expect(sum).toBe(Math.min(total, capacity));
      expect(overflow).toEqual({});
      for (const n of names) {
        const p = prefOf(n);
        if (!p) {
          expect(plan[n]).toBe(0);
          continue;
        }
        if (p.maxReplicas !== undefined) expect(plan[n]).toBeLessThanOrEqual(p.maxReplicas);
        if (sumMin <= total) expect(plan[n]).toBeGreaterThanOrEqual(p.minReplicas ?? 0);
      }
      expect(planReplicas(pref, [...names].reverse(), key)).toEqual({ plan, overflow });
      expect(planReplicas({ ...pref, rebalance: !pref.rebalance }, names, key).plan).toEqual(plan);
    }
  });
});

describe('scheduleReplicas', () => {
  test('clusters holding the object start at 0; overflow is added to the plan', () => {
    const result = scheduleReplicas(rsp(50, { '*': { weight: 1 } }, { rebalance: true }), ['A', 'B', 'C'], '', { estimatedCapacity: { C: 10 } });
    expect(result).toEqual({ A: 20, B: 20, C: 17 });
    expect(scheduleReplicas(rsp(2, { A: { weight: 1 } }), ['A', 'B'], '', { currentReplicas: { B: 3, Z: 1 } })).toEqual({ A: 2, B: 0 });
  });
});

describe('schedulingProblems', () => {
  const available = ['branch-7', 'edge-1', 'host'];
  test('a satisfiable preference has no problems', () => {
    expect(schedulingProblems(rsp(10, { 'edge-1': { weight: 3 }, 'branch-7': { weight: 1, minReplicas: 1, maxReplicas: 5 } }), available)).toEqual([]);
    expect(schedulingProblems(rsp(10), available)).toEqual([]);
    expect(schedulingProblems(rsp(0, {}), [])).toEqual([]);
  });

  test.each<[string, SchedulingPreference, RegExp]>([
    ['bad total', rsp(-3), /totalReplicas -3 must be an integer/],
    ['negative weight', rsp(3, { 'edge-1': { weight: -1 } }), /weight -1 must be a whole number/],
    ['min above max', rsp(3, { 'edge-1': { weight: 1, minReplicas: 4, maxReplicas: 2 } }), /minReplicas 4 above maxReplicas 2; make minReplicas <= maxReplicas/],
    ['unknown cluster', rsp(3, { 'ghost': { weight: 1 }, 'edge-1': { weight: 1 } }), /clusters\["ghost"\] is not an available cluster.*remove it or join/],
    ['nobody has a preference', rsp(3, { ghost: { weight: 1 } }), /is not an available cluster/],
    ['minimums over the total', rsp(5, { '*': { weight: 1, minReplicas: 2 } }), /minReplicas add up to 6, more than totalReplicas 5.*raise totalReplicas to 6/],
    ['maximums under the total', rsp(10, { '*': { weight: 1, maxReplicas: 3 } }), /at most 9 of 10 replicas can be placed.*raise maxReplicas/],
    ['all weights zero', rsp(10, { '*': { minReplicas: 1 } }), /all weights are 0, so only the minReplicas \(3\) of the 10 replicas are placed/],
  ])('%s', (_name, pref, message) => {
    expect(schedulingProblems(pref, available).join('\n')).toMatch(message);
  });

  test('no available cluster has a preference', () => {
    expect(schedulingProblems(rsp(4, { 'edge-1': { weight: 1 } }), ['host'])).toEqual([
      expect.stringMatching(/clusters\["edge-1"\] is not an available cluster/),
    ]);
    const problems = schedulingProblems(rsp(4, { 'edge-1': { weight: 1 } }), ['edge-1', 'host'], { propagatedClusters: ['edge-1'] });
    expect(problems).toEqual([]);
  });

  test('replicas planned for clusters the object does not reach are reported', () => {
    const problems = schedulingProblems(rsp(9), available, { key: 'shop-prod/web', propagatedClusters: ['edge-1', 'branch-7'] });
    expect(problems).toEqual([expect.stringMatching(
      /3 of 9 replicas are planned for clusters the object is not propagated to \(host: 3\), so they never run; give those clusters weight 0 or no preference \(avoid "\*"\), or, with cluster selectors placing both the object and its namespace, set intersectWithClusterSelector$/)]);
  });
});

describe('scheduleFederated (what the RSP controller writes)', () => {
  const clusters: ClusterInfo[] = [
    { name: 'host' },
    { name: 'edge-1', labels: { tier: 'edge', region: 'eu' } },
    { name: 'branch-7', labels: { tier: 'edge', region: 'us' } },
  ];
  const fdeploy = () => Object.freeze({
    apiVersion: 'types.kubefed.io/v1beta1',
    kind: 'FederatedDeployment',
    metadata: { name: 'web', namespace: 'shop-prod' },
    spec: {
      template: { spec: { replicas: 3 } },
      placement: { clusters: [{ name: 'edge-1' }], clusterSelector: { matchLabels: { tier: 'edge' } } },
      overrides: [
        { clusterName: 'branch-7', clusterOverrides: [{ op: 'add', path: '/spec/replicas', value: 99 }, { path: '/spec/template/x', value: 1 }] },
        { clusterName: 'gone', clusterOverrides: [{ path: '/spec/replicas', value: 5 }, { path: '/metadata/labels/x', value: 'y' }] },
      ],
    },
  });
  const weights = rsp(10, { 'edge-1': { weight: 3 }, 'branch-7': { weight: 1 } });

  test('places every available cluster and owns /spec/replicas overrides', () => {
    const input = fdeploy();
    const before = JSON.stringify(input);
    const out: any = scheduleFederated(input, weights, clusters);
    expect(JSON.stringify(input)).toBe(before);
    expect(out.spec.placement).toEqual({
      clusters: [{ name: 'branch-7' }, { name: 'edge-1' }, { name: 'host' }],
      clusterSelector: { matchLabels: { tier: 'edge' } },
    });
    expect(out.spec.overrides).toEqual([
      { clusterName: 'branch-7', clusterOverrides: [{ op: 'add', path: '/spec/replicas', value: 2 }, { path: '/spec/template/x', value: 1 }] },
      { clusterName: 'gone', clusterOverrides: [{ path: '/metadata/labels/x', value: 'y' }] },
      { clusterName: 'edge-1', clusterOverrides: [{ path: '/spec/replicas', value: 8 }] },
      { clusterName: 'host', clusterOverrides: [{ path: '/spec/replicas', value: 0 }] },
    ]);
    expect(out.spec.template).toEqual({ spec: { replicas: 3 } });
  });

  // Outcomes of kubefed test/e2e/scheduling.go, two clusters.
  test.each<[string, SchedulingPreference, Record<string, number>]>([
    ['no preferences: spread equally', rsp(4, {}), { c1: 2, c2: 2 }],
    ['weights 2:1', rsp(6, { c1: { weight: 2 }, c2: { weight: 1 } }), { c1: 4, c2: 2 }],
    ['minimums first', rsp(6, { c1: { weight: 2, minReplicas: 3 }, c2: { weight: 1, minReplicas: 3 } }), { c1: 3, c2: 3 }],
  ])('upstream e2e: %s', (_name, pref, expected) => {
    const obj = { kind: 'FederatedReplicaSet', metadata: { name: 'rs', namespace: 'ns' }, spec: {} };
    const out: any = scheduleFederated(obj, pref, [{ name: 'c1' }, { name: 'c2' }]);
    const replicas = Object.fromEntries(out.spec.overrides.map((o: any) => [o.clusterName, o.clusterOverrides[0].value]));
    expect(replicas).toEqual(expected);
    expect(out.spec.placement.clusters.map((c: any) => c.name)).toEqual(Object.keys(expected));
  });

  test('intersectWithClusterSelector schedules only over the selector (the clusters list is ignored)', () => {
    const out: any = scheduleFederated(fdeploy(), { ...weights, intersectWithClusterSelector: true }, clusters);
    expect(out.spec.placement.clusters).toEqual([{ name: 'branch-7' }, { name: 'edge-1' }]);
    expect(out.spec.overrides.map((o: any) => o.clusterName)).toEqual(['branch-7', 'gone', 'edge-1']);
  });

  test('intersection with the FederatedNamespace selector (upstream e2e: all replicas on the one cluster left)', () => {
    const pref = rsp(6, { 'edge-1': { weight: 2, minReplicas: 3 }, 'branch-7': { weight: 1, minReplicas: 3 } }, { intersectWithClusterSelector: true });
    const out: any = scheduleFederated(fdeploy(), pref, clusters, { namespacePlacement: { clusterSelector: { matchLabels: { region: 'eu' } } } });
    expect(out.spec.placement.clusters).toEqual([{ name: 'edge-1' }]);
    expect(out.spec.overrides.find((o: any) => o.clusterName === 'edge-1').clusterOverrides).toEqual([{ path: '/spec/replicas', value: 6 }]);
  });

  test.each<[string, any, object]>([
    ['no candidate cluster', { ...fdeploy(), spec: { ...fdeploy().spec, placement: { clusters: [{ name: 'edge-1' }] } } }, {}],
    ['FederatedNamespace placed by list only (selector-only evaluation selects nothing)', fdeploy(), { namespacePlacement: { clusters: [{ name: 'edge-1' }] } }],
    ['no FederatedNamespace', fdeploy(), { namespacePlacement: null }],
  ])('with intersection, %s leaves the object unchanged', (_name, obj, options) => {
    expect(scheduleFederated(obj, { ...weights, intersectWithClusterSelector: true }, clusters, options)).toEqual(obj);
  });

  test('schedulingCandidates: every joined cluster, or with intersection those both selectors match', () => {
    expect(schedulingCandidates(fdeploy(), weights, clusters)).toEqual(['branch-7', 'edge-1', 'host']);
    const intersect = { ...weights, intersectWithClusterSelector: true };
    expect(schedulingCandidates(fdeploy(), intersect, clusters, { namespacePlacement: { clusterSelector: { matchLabels: { region: 'us' } } } })).toEqual(['branch-7']);
    expect(schedulingCandidates(fdeploy(), intersect, clusters, { namespacePlacement: { clusters: [{ name: 'edge-1' }] } })).toEqual([]);
    expect(schedulingCandidates(fdeploy(), intersect, clusters, { namespacePlacement: null })).toEqual([]);
  });

  test('schedulingProblems words unknown clusters after an intersection', () => {
    expect(schedulingProblems(rsp(3, { 'host': { weight: 1 }, 'edge-1': { weight: 1 } }), ['edge-1'], { intersected: true })).toEqual([
      expect.stringMatching(/^clusters\["host"\] is not among the clusters KubeFed plans over with intersectWithClusterSelector \(edge-1: those both cluster selectors match\), so KubeFed ignores it; remove it or widen the selectors$/),
    ]);
  });

  test('no joined clusters: unchanged', () => {
    expect(scheduleFederated(fdeploy(), weights, [])).toEqual(fdeploy());
  });

  test('refuses kinds an RSP cannot target', () => {
    expect(() => scheduleFederated({ ...fdeploy(), kind: 'FederatedStatefulSet' }, weights, clusters)).toThrow(/FederatedDeployment or FederatedReplicaSet/);
  });

  test('existing overrides KubeFed rejects stop the controller', () => {
    const bad = { ...fdeploy(), spec: { ...fdeploy().spec, overrides: [{ clusterName: 'a' }, { clusterName: 'a' }] } };
    expect(() => scheduleFederated(bad, weights, clusters)).toThrow(OverrideError);
  });

  test('cluster-scoped key is the bare name', () => {
    const one = (name: string, namespace?: string) => scheduleFederated({ kind: 'FederatedDeployment', metadata: { name, namespace } }, rsp(1), clusters) as any;
    const winner = (o: any) => o.spec.overrides.find((x: any) => x.clusterOverrides[0].value === 1).clusterName;
    const expected = planReplicas(rsp(1), ['host', 'edge-1', 'branch-7'], 'web');
    expect(winner(one('web'))).toBe(Object.entries(expected.plan).find(([, v]) => v === 1)![0]);
  });
});
