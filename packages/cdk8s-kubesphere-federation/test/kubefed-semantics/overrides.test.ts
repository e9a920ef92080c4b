import {
  applyOverrides, ClusterOverride, FORBIDDEN_OVERRIDE_PATHS, OverrideError,
  overridePathProblem, overrideProblem, overridesForCluster, validateOverrides,
} from '../../src/kubefed-semantics/overrides';

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const child of Object.values(v)) deepFreeze(child);
    Object.freeze(v);
  }
  return v;
}

const deployment = () => deepFreeze({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
  spec: {
    replicas: 3,
    template: { spec: { containers: [{ name: 'web', image: 'nginx:1.25', env: [{ name: 'A', value: '1' }] }] } },
  },
});

describe('overridePathProblem', () => {
  test.each([
    '/spec/replicas',
    '/spec/template/spec/containers/0/image',
    '/spec/template/spec/containers/0/env/-',
    '/metadata/labels/app.kubernetes.io~1name',
    '/metadata/annotations',
    '/apiVersion', // allowed upstream on purpose (Ingress group migration)
    '/metadata/name/extra',
  ])('%j is usable', (path) => {
    expect(overridePathProblem(path)).toBeUndefined();
  });

  test.each([
    ['', /whole object/],
    ['spec/replicas', /not a JSON pointer/],
    ['/spec/a~2', /not a JSON pointer/],
    ['/metadata/name', /may not be overridden/],
    ['/metadata/namespace', /may not be overridden/],
    ['/metadata/generateName', /may not be overridden/],
    ['/kind', /may not be overridden/],
    ['/metadata', /as a whole/],
    ['/metadata/labels/kubefed.io~1managed', /no effect/],
  ])('%j: %s', (path, message) => {
    expect(overridePathProblem(path)).toMatch(message);
  });

  test('the forbidden list is exactly KubeFed invalidPaths', () => {
    expect([...FORBIDDEN_OVERRIDE_PATHS].sort()).toEqual(['/kind', '/metadata/generateName', '/metadata/name', '/metadata/namespace']);
  });
});

describe('overrideProblem', () => {
  test.each<[ClusterOverride, RegExp | undefined]>([
    [{ path: '/spec/replicas', value: 1 }, undefined],
    [{ op: '', path: '/spec/replicas', value: 1 }, undefined],
    [{ op: 'add', path: '/metadata/annotations', value: { a: 'b' } }, undefined],
    [{ op: 'remove', path: '/spec/replicas' }, undefined],
    [{ op: 'move' as any, path: '/spec/replicas', value: 1 }, /not supported/],
    [{ op: 'remove', path: '/spec/replicas', value: 1 }, /takes no value/],
    [{ op: 'add', path: '/spec/replicas' }, /needs a value/],
    [{ path: '/spec/replicas' }, /"replace" needs a value/],
    [{ path: '/kind', value: 'X' }, /may not be overridden/],
  ])('%j', (o, message) => {
    if (message) expect(overrideProblem(o)).toMatch(message);
    else expect(overrideProblem(o)).toBeUndefined();
  });
});

describe('validateOverrides', () => {
  test('a clean list has no problems', () => {
    expect(validateOverrides([
      { clusterName: 'a', clusterOverrides: [{ path: '/spec/replicas', value: 1 }] },
      { clusterName: 'b', clusterOverrides: [{ path: '/spec/replicas', value: 2 }, { op: 'add', path: '/metadata/labels/x', value: 'y' }] },
    ])).toEqual([]);
    expect(validateOverrides(undefined)).toEqual([]);
  });

  test.each([
    ['duplicate cluster', [{ clusterName: 'a' }, { clusterName: 'a' }], /cluster "a" appears more than once.*merge/],
    ['missing cluster name', [{ clusterName: '' }], /has no clusterName/],
    ['duplicate path', [{ clusterName: 'a', clusterOverrides: [{ path: '/spec/replicas', value: 1 }, { path: '/spec/replicas', value: 2 }] }],
      /override\[1\] for cluster "a".*appears more than once.*keep one/],
    ['bad op', [{ clusterName: 'a', clusterOverrides: [{ op: 'copy', path: '/spec/x', value: 1 }] }], /override\[0\] for cluster "a".*not supported/],
    ['forbidden path', [{ clusterName: 'a', clusterOverrides: [{ path: '/metadata/name', value: 'x' }] }], /may not be overridden/],
    ['not a pointer', [{ clusterName: 'a', clusterOverrides: [{ path: 'spec.replicas', value: 1 }] }], /not a JSON pointer/],
  ])('%s', (_name, overrides: any, message) => {
    const problems = validateOverrides(overrides);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  test('reports every problem, not only the first', () => {
    expect(validateOverrides([
      { clusterName: 'a', clusterOverrides: [{ path: '/kind', value: 'X' }, { path: 'x', value: 1 }] },
      { clusterName: 'a' },
    ])).toHaveLength(3);
  });
});

describe('overridesForCluster (KubeFed GetOverrides checks)', () => {
  const list = [
    { clusterName: 'a', clusterOverrides: [{ path: '/spec/replicas', value: 1 }] },
    { clusterName: 'b', clusterOverrides: [{ path: '/spec/replicas', value: 2 }] },
  ];

  test('returns the cluster overrides, or none', () => {
    expect(overridesForCluster(list, 'b')).toEqual([{ path: '/spec/replicas', value: 2 }]);
    expect(overridesForCluster(list, 'c')).toEqual([]);
    expect(overridesForCluster(undefined, 'a')).toEqual([]);
  });

  test.each([
    ['a cluster listed twice', [...list, { clusterName: 'b' }], /cluster "b" appears more than once/],
    ['a forbidden path on another cluster', [...list, { clusterName: 'z', clusterOverrides: [{ path: '/metadata/namespace', value: 'x' }] }], /may not be overridden/],
    ['a path repeated on another cluster', [...list, {
      clusterName: 'z', clusterOverrides: [{ path: '/x', value: 1 }, { path: '/x', value: 2 }],
    }], /appears more than once/],
  ])('fails the object for every cluster on %s', (_name, overrides, message) => {
    expect(() => overridesForCluster(overrides, 'a')).toThrow(OverrideError);
    expect(() => overridesForCluster(overrides, 'a')).toThrow(message);
  });
});

describe('applyOverrides', () => {
  test.each<[string, ClusterOverride[], (d: any) => void]>([
    ['default op is replace', [{ path: '/spec/replicas', value: 5 }], (d) => expect(d.spec.replicas).toBe(5)],
    ['replace a container image', [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'mirror/nginx:1.25' }],
      (d) => expect(d.spec.template.spec.containers[0].image).toBe('mirror/nginx:1.25')],
    ['append an env var with "-"', [{ op: 'add', path: '/spec/template/spec/containers/0/env/-', value: { name: 'B', value: '2' } }],
      (d) => expect(d.spec.template.spec.containers[0].env).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: '2' }])],
    ['insert an env var at index 0', [{ op: 'add', path: '/spec/template/spec/containers/0/env/0', value: { name: 'Z' } }],
      (d) => expect(d.spec.template.spec.containers[0].env.map((e: any) => e.name)).toEqual(['Z', 'A'])],
    ['remove a label', [{ op: 'remove', path: '/metadata/labels/app' }], (d) => expect(d.metadata.labels).toEqual({})],
    ['add annotations as a whole map', [{ op: 'add', path: '/metadata/annotations', value: { team: 'shop' } }],
      (d) => expect(d.metadata.annotations).toEqual({ team: 'shop' })],
    ['add an escaped label key', [{ op: 'add', path: '/metadata/labels/app.kubernetes.io~1part-of', value: 'shop' }],
      (d) => expect(d.metadata.labels['app.kubernetes.io/part-of']).toBe('shop')],
    ['replace of a missing member in an existing object creates it', [{ path: '/spec/paused', value: true }], (d) => expect(d.spec.paused).toBe(true)],
    ['a missing value is written as null', [{ op: 'add', path: '/spec/paused' }], (d) => expect(d.spec.paused).toBeNull()],
    ['ops apply in order', [{ op: 'add', path: '/metadata/annotations', value: {} }, { op: 'add', path: '/metadata/annotations/a', value: 'b' }],
      (d) => expect(d.metadata.annotations).toEqual({ a: 'b' })],
    ['/apiVersion may change', [{ path: '/apiVersion', value: 'apps/v1beta2' }], (d) => expect(d.apiVersion).toBe('apps/v1beta2')],
  ])('%s', (_name, ops, check) => {
    check(applyOverrides(deployment(), ops));
  });

  test.each<[string, ClusterOverride[], number, RegExp]>([
    ['add into a missing parent', [{ op: 'add', path: '/metadata/annotations/a', value: 'b' }], 0, /parent \/metadata\/annotations does not exist/],
    ['replace below a missing parent', [{ path: '/spec/strategy/type', value: 'Recreate' }], 0, /parent \/spec\/strategy does not exist/],
    ['remove a missing member', [{ op: 'remove', path: '/spec/paused' }], 0, /no member "paused"/],
    ['replace an index out of range', [{ path: '/spec/template/spec/containers/1/image', value: 'x' }], 0, /cannot step into/],
    ['the second op fails', [{ path: '/spec/replicas', value: 1 }, { op: 'remove', path: '/metadata/labels/nope' }], 1, /no member "nope"/],
    ['forbidden path', [{ path: '/metadata/name', value: 'other' }], 0, /may not be overridden/],
    ['replacing /metadata', [{ path: '/metadata', value: {} }], 0, /as a whole/],
    ['empty path', [{ path: '', value: {} }], 0, /whole object/],
    ['not a pointer', [{ path: 'spec/replicas', value: 1 }], 0, /not a JSON pointer/],
    ['unsupported op', [{ op: 'test' as any, path: '/spec/replicas', value: 3 }], 0, /not supported/],
    ['duplicate path', [{ path: '/spec/replicas', value: 1 }, { path: '/spec/replicas', value: 2 }], 1, /more than once/],
  ])('fails like KubeFed: %s', (_name, ops, index, message) => {
    let error: unknown;
    try {
      applyOverrides(deployment(), ops);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OverrideError);
    const oe = error as OverrideError;
    expect(oe.index).toBe(index);
    expect(oe.override).toBe(ops[index]);
    expect(oe.reason).toMatch(message);
    expect(oe.message).toContain(`override[${index}]`);
  });

  test('does not mutate its input', () => {
    const input = deployment();
    const before = JSON.stringify(input);
    const out: any = applyOverrides(input, [{ path: '/spec/replicas', value: 9 }, { op: 'remove', path: '/metadata/labels/app' }]);
    expect(JSON.stringify(input)).toBe(before);
    expect(out.spec.replicas).toBe(9);
    expect(applyOverrides(input, [])).toEqual(input);
    expect(applyOverrides(input, [])).not.toBe(input);
  });
});
