import {
  APPLYSET_GROUP_KINDS_ANNOTATION, APPLYSET_ID_LABEL, APPLYSET_NAMESPACES_ANNOTATION, APPLYSET_TOOLING_ANNOTATION, applySetId,
  groupKindOf, KSFED_APPLYSET_ID, memberKey, parentManifest, parentProblem, parseParent, pruneRank, sameState, stateOf, unionOf,
} from '../../src/applier/applyset';

describe('ApplySet id', () => {
  test('matches kubectl for the Secret my-set in namespace test (kubectl apply_test.go)', () => {
    // GIVEN kubectl's formula base64url(sha256(<name>.<namespace>.<kind>.<group>)), pinned by kubectl's own test
    // THEN
    expect(applySetId({ name: 'my-set', namespace: 'test', kind: 'Secret', group: '' })).toBe('applyset-0eFHV8ySqp7XoShsGvyWFQD3s96yqwHmzc4e0HR1dsY-v1');
  });

  test('ksfed parent is the Secret kube-system/ksfed-applyset', () => {
    expect(KSFED_APPLYSET_ID).toBe(applySetId({ name: 'ksfed-applyset', namespace: 'kube-system', kind: 'Secret', group: '' }));
    expect(KSFED_APPLYSET_ID).toMatch(/^applyset-[A-Za-z0-9_-]{43}-v1$/);
  });

  test('cluster-scoped parents have an empty namespace part', () => {
    expect(applySetId({ name: 'x', kind: 'ClusterApplySet', group: 'example.com' })).toBe(applySetId({ name: 'x', namespace: '', kind: 'ClusterApplySet', group: 'example.com' }));
    expect(applySetId({ name: 'x', kind: 'A', group: 'g' })).not.toBe(applySetId({ name: 'x', kind: 'A', group: 'h' }));
  });
});

describe('group-kinds and state', () => {
  test('Kind.group, Kind for core', () => {
    expect(groupKindOf('apps/v1', 'Deployment')).toBe('Deployment.apps');
    expect(groupKindOf('v1', 'ConfigMap')).toBe('ConfigMap');
    expect(memberKey({ apiVersion: 'apps/v1beta1', kind: 'Deployment', namespace: 'a', name: 'b' })).toBe(memberKey({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'a', name: 'b' }));
  });

  test('parent manifest round-trips and excludes its own namespace from additional-namespaces', () => {
    // GIVEN
    const state = stateOf([
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'web' },
      { apiVersion: 'v1', kind: 'Namespace' },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', namespace: 'kube-system' },
    ]);
    // WHEN
    const parent = parentManifest(state, '1.2.3');
    // THEN
    expect(parent.metadata.labels[APPLYSET_ID_LABEL]).toBe(KSFED_APPLYSET_ID);
    expect(parent.metadata.annotations[APPLYSET_TOOLING_ANNOTATION]).toBe('ksfed/1.2.3');
    expect(parent.metadata.annotations[APPLYSET_GROUP_KINDS_ANNOTATION]).toBe('Deployment.apps,Namespace,RoleBinding.rbac.authorization.k8s.io');
    expect(parent.metadata.annotations[APPLYSET_NAMESPACES_ANNOTATION]).toBe('web');
    const parsed = parseParent(parent);
    expect(sameState(parsed, { ...state, namespaces: new Set([...state.namespaces, 'kube-system']) })).toBe(true);
    expect(parsed.groupKinds.get('Deployment.apps')).toBe('apps/v1');
  });

  test('union keeps old kinds and namespaces (the superset recorded before applying)', () => {
    const old = stateOf([{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'a' }]);
    const now = stateOf([{ apiVersion: 'v1', kind: 'Secret', namespace: 'b' }]);
    const u = unionOf(old, now);
    expect([...u.groupKinds.keys()].sort()).toEqual(['ConfigMap', 'Secret']);
    expect([...u.namespaces].sort()).toEqual(['a', 'b']);
    expect(sameState(u, now)).toBe(false);
  });
});

describe('parent ownership', () => {
  test('no parent, or ksfed\'s own, is fine', () => {
    expect(parentProblem(undefined)).toBeUndefined();
    expect(parentProblem(parentManifest(stateOf([])))).toBeUndefined();
  });

  test('refuses a parent of other tooling', () => {
    const other = parentManifest(stateOf([]));
    other.metadata.annotations[APPLYSET_TOOLING_ANNOTATION] = 'kubectl/v1.29';
    expect(parentProblem(other)).toMatch(/managed by "kubectl\/v1.29", not ksfed/);
  });

  test('refuses a plain Secret with that name, and a foreign id', () => {
    expect(parentProblem({ metadata: { name: 'ksfed-applyset' } })).toMatch(/not an ApplySet parent/);
    expect(parentProblem({ metadata: { labels: { [APPLYSET_ID_LABEL]: 'applyset-x-v1' }, annotations: { [APPLYSET_TOOLING_ANNOTATION]: 'ksfed/0' } } })).toMatch(/refusing/);
  });
});

test('prune order: namespaced, cluster-scoped, Namespaces, CRDs last', () => {
  const objs = [
    { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' },
    { apiVersion: 'v1', kind: 'Namespace' },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' },
    { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'a' },
  ];
  expect([...objs].sort((a, b) => pruneRank(a) - pruneRank(b)).map(o => o.kind)).toEqual(['ConfigMap', 'ClusterRole', 'Namespace', 'CustomResourceDefinition']);
});
