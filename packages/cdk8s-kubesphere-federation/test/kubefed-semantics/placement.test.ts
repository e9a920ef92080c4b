import {
  ClusterInfo, effectivePlacement, LabelSelector, PlacementError, placementProblems, PlacementSpec,
  resolvePlacement, selectorMatches, selectorProblems,
} from '../../src/kubefed-semantics/placement';

const labels = { 'cluster.kubesphere.io/region': 'eu-west', 'cluster.kubesphere.io/group': 'production', 'tier': 'edge' };

describe('selectorMatches', () => {
  test.each<[string, LabelSelector | null | undefined, boolean]>([
    ['absent selector selects nothing', undefined, false],
    ['null selector selects nothing', null, false],
    ['empty selector selects everything', {}, true],
    ['empty lists select everything', { matchLabels: {}, matchExpressions: [] }, true],
    ['matchLabels hit', { matchLabels: { tier: 'edge' } }, true],
    ['matchLabels wrong value', { matchLabels: { tier: 'core' } }, false],
    ['matchLabels missing key', { matchLabels: { zone: 'a' } }, false],
    ['matchLabels are ANDed', { matchLabels: { 'tier': 'edge', 'cluster.kubesphere.io/group': 'staging' } }, false],
    ['In hit', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['core', 'edge'] }] }, true],
    ['In miss', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['core'] }] }, false],
    ['In on an absent key', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }, false],
    ['NotIn hit', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['core'] }] }, true],
    ['NotIn miss', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['edge'] }] }, false],
    ['NotIn matches an absent key', { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, true],
    ['Exists hit', { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, true],
    ['Exists miss', { matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, false],
    ['DoesNotExist hit', { matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, true],
    ['DoesNotExist miss', { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, false],
    ['labels and expressions are ANDed', { matchLabels: { tier: 'edge' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['edge'] }] }, false],
  ])('%s', (_name, selector, expected) => {
    expect(selectorMatches(selector, labels)).toBe(expected);
  });

  test('a cluster without labels matches only label-free selectors', () => {
    expect(selectorMatches({}, undefined)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, undefined)).toBe(true);
    expect(selectorMatches({ matchLabels: { a: 'b' } }, undefined)).toBe(false);
  });

  test.each<[string, LabelSelector, RegExp]>([
    ['unknown operator', { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['b'] }] }, /operator "Equals" is not valid/],
    ['In without values', { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, /needs at least one value/],
    ['NotIn without values', { matchExpressions: [{ key: 'a', operator: 'NotIn' }] }, /needs at least one value/],
    ['Exists with values', { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['b'] }] }, /takes no values/],
    ['DoesNotExist with values', { matchExpressions: [{ key: 'a', operator: 'DoesNotExist', values: ['b'] }] }, /takes no values/],
    ['bad key', { matchLabels: { '-bad': 'x' } }, /name part/],
    ['bad key prefix', { matchLabels: { 'Upper.io/x': 'x' } }, /prefix/],
    ['two slashes', { matchLabels: { 'a/b/c': 'x' } }, /at most one "\/"/],
    ['bad value', { matchLabels: { a: 'has space' } }, /label value/],
    ['bad expression value', { matchExpressions: [{ key: 'a', operator: 'In', values: ['x'.repeat(64)] }] }, /label value/],
  ])('rejects %s like Kubernetes', (_name, selector, message) => {
    expect(selectorProblems(selector).join('\n')).toMatch(message);
    expect(() => selectorMatches(selector, labels)).toThrow(PlacementError);
  });

  test('valid selectors have no problems', () => {
    expect(selectorProblems({ matchLabels: { 'kubesphere.io/workspace': 'shop', 'empty': '' } })).toEqual([]);
    expect(selectorProblems(undefined)).toEqual([]);
  });
});

describe('resolvePlacement', () => {
  const clusters: ClusterInfo[] = [
    { name: 'host', labels: { 'cluster-role.kubesphere.io/host': '' } },
    { name: 'edge-1', labels: { tier: 'edge', region: 'eu' } },
    { name: 'branch-7', labels: { tier: 'edge', region: 'us' } },
    { name: 'core', labels: { tier: 'core' } },
  ];

  test.each<[string, PlacementSpec | undefined, string[]]>([
    ['no placement: nothing', undefined, []],
    ['empty placement (no clusters, no selector): nothing', {}, []],
    ['explicit empty cluster list: nothing', { clusters: [] }, []],
    ['explicit empty list wins over a selector', { clusters: [], clusterSelector: {} }, []],
    ['cluster list, sorted', { clusters: [{ name: 'edge-1' }, { name: 'branch-7' }] }, ['branch-7', 'edge-1']],
    ['cluster list wins over the selector', { clusters: [{ name: 'core' }], clusterSelector: { matchLabels: { tier: 'edge' } } }, ['core']],
    ['names that are not clusters are dropped', { clusters: [{ name: 'ghost' }, { name: 'core' }] }, ['core']],
    ['duplicates collapse', { clusters: [{ name: 'core' }, { name: 'core' }] }, ['core']],
    ['null cluster list falls back to the selector', { clusters: null, clusterSelector: { matchLabels: { tier: 'edge' } } }, ['branch-7', 'edge-1']],
    ['empty selector: every cluster', { clusterSelector: {} }, ['branch-7', 'core', 'edge-1', 'host']],
    ['null selector: nothing', { clusterSelector: null }, []],
    ['expression selector', { clusterSelector: { matchExpressions: [{ key: 'region', operator: 'NotIn', values: ['us'] }] } }, ['core', 'edge-1', 'host']],
  ])('%s', (_name, placement, expected) => {
    expect(resolvePlacement(placement, clusters)).toEqual(expected);
  });

  test('selectorOnly ignores the cluster list (RSP intersectWithClusterSelector)', () => {
    const p = { clusters: [{ name: 'core' }], clusterSelector: { matchLabels: { tier: 'edge' } } };
    expect(resolvePlacement(p, clusters, { selectorOnly: true })).toEqual(['branch-7', 'edge-1']);
    expect(resolvePlacement({ clusters: [{ name: 'core' }] }, clusters, { selectorOnly: true })).toEqual([]);
  });

  test('an invalid selector fails placement', () => {
    expect(() => resolvePlacement({ clusterSelector: { matchExpressions: [{ key: 'a', operator: 'Gt' }] } }, clusters)).toThrow(PlacementError);
  });
});

describe('effectivePlacement', () => {
  const clusters: ClusterInfo[] = [{ name: 'a', labels: { x: '1' } }, { name: 'b', labels: { x: '1' } }, { name: 'c' }];
  const all = { clusterSelector: {} };

  test.each<[string, PlacementSpec | undefined, PlacementSpec | null | undefined, boolean, string[]]>([
    ['cluster-scoped: own placement, namespace ignored', all, { clusters: [] }, false, ['a', 'b', 'c']],
    ['namespaced without FederatedNamespace (undefined): nowhere', all, undefined, true, []],
    ['namespaced without FederatedNamespace (null): nowhere', all, null, true, []],
    ['namespaced: intersection', { clusters: [{ name: 'a' }, { name: 'c' }] }, { clusters: [{ name: 'a' }, { name: 'b' }] }, true, ['a']],
    ['namespace placed by selector', all, { clusterSelector: { matchLabels: { x: '1' } } }, true, ['a', 'b']],
    ['namespace placed nowhere', all, {}, true, []],
  ])('%s', (_name, own, ns, namespaced, expected) => {
    expect(effectivePlacement(own, ns, clusters, namespaced)).toEqual(expected);
  });
});

describe('placementProblems', () => {
  test('reports duplicates, empty names and bad selectors with fixes', () => {
    const problems = placementProblems({
      clusters: [{ name: 'a' }, { name: 'a' }, { name: '' }],
      clusterSelector: { matchExpressions: [{ key: 'k', operator: 'In' }] },
    });
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/clusterSelector matchExpressions\[0\]/);
    expect(problems.join('\n')).toMatch(/lists "a" twice; list each cluster once/);
    expect(problems.join('\n')).toMatch(/clusters\[2\] has no name/);
    expect(placementProblems({ clusters: [{ name: 'a' }] })).toEqual([]);
    expect(placementProblems(undefined)).toEqual([]);
  });
});
