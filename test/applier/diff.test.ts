import { changes, comparable, deepEqual, describeChange, printable } from '../../src/applier/diff';

describe('comparable', () => {
  test('drops server-owned metadata and status', () => {
    const live = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'a', uid: 'u', resourceVersion: '7', generation: 2, creationTimestamp: 't', managedFields: [{}], annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
      data: { a: '1' },
      status: { x: 1 },
    };
    expect(comparable(live)).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { a: '1' } });
  });
});

describe('changes', () => {
  test('JSON-pointer paths of what differs', () => {
    const before = { spec: { replicas: 1, template: { image: 'a' }, ports: [1, 2] }, metadata: { labels: { 'a/b': 'x' } } };
    const after = { spec: { replicas: 2, template: { image: 'a' }, ports: [1, 3] }, metadata: { labels: { 'a/b': 'y' } } };
    expect(changes(before, after).map(c => c.path)).toEqual(['/metadata/labels/a~1b', '/spec/ports/1', '/spec/replicas']);
  });

  test('arrays of another length differ as a whole; equal values have no changes', () => {
    expect(changes({ a: [1] }, { a: [1, 2] })).toEqual([{ path: '/a', before: [1], after: [1, 2] }]);
    expect(changes({ a: { b: undefined } }, { a: {} })).toEqual([]);
    expect(deepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
  });

  test('values of Secrets are never printable', () => {
    const change = { path: '/data/tls.key', before: 'old', after: 'new' };
    expect(printable('Secret', change)).toBe(false);
    expect(describeChange('Secret', change)).toBe('/data/tls.key');
    expect(describeChange('Deployment', { path: '/spec/replicas', before: 1, after: 2 })).toBe('/spec/replicas: 1 -> 2');
    expect(describeChange('ConfigMap', { path: '/data/big', before: 'x'.repeat(100), after: 'y' })).toBe('/data/big');
  });
});
