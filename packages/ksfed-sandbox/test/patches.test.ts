import { ApiError } from '../src/errors';
import { jsonPatch, mergePatch, strategicMergePatch } from '../src/patches';

describe('patches', () => {
  test('merge patch: maps merge, null deletes, lists replace', () => {
    expect(mergePatch({ a: { b: 1, c: 2 }, l: [1, 2], x: 1 }, { a: { b: null, d: 3 }, l: [3], x: null })).toEqual({ a: { c: 2, d: 3 }, l: [3] });
    expect(mergePatch({ a: 1 }, 'scalar')).toBe('scalar');
  });

  test('strategic merge patch: named lists merge by name, $patch: delete removes an item', () => {
    const target = { containers: [{ name: 'a', image: '1' }, { name: 'b', image: '1' }], args: ['x'] };
    expect(strategicMergePatch(target, { containers: [{ name: 'b', image: '2' }, { name: 'c', image: '3' }], args: ['y'] })).toEqual({
      containers: [{ name: 'a', image: '1' }, { name: 'b', image: '2' }, { name: 'c', image: '3' }], args: ['y'],
    });
    expect(strategicMergePatch(target, { containers: [{ name: 'a', $patch: 'delete' }], $setElementOrder: {} })).toEqual({
      containers: [{ name: 'b', image: '1' }], args: ['x'],
    });
  });

  test('strategic merge patch orders a merged list as kube-apiserver v1.34 does: new patch items before live-only ones', () => {
    const live = { containers: [{ name: 'main', image: '1' }] };
    expect(strategicMergePatch(live, { containers: [{ name: 'side', image: '2' }] })).toEqual({ containers: [{ name: 'side', image: '2' }, { name: 'main', image: '1' }] });
    const three = { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] };
    expect((strategicMergePatch(three, { containers: [{ name: 'c', image: 'x' }, { name: 'new' }] }) as any).containers.map((x: any) => x.name))
      .toEqual(['a', 'b', 'c', 'new']);
  });

  test('a failed JSON patch is the API server\'s terse 422', () => {
    let caught: any;
    try {
      jsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]);
    } catch (e) {
      caught = e;
    }
    expect(caught.toStatus()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server rejected our request due to an error in our request',
      reason: 'Invalid',
      details: {},
      code: 422,
    });
  });

  test('JSON patch operations and failures', () => {
    const doc = { a: { b: [1, 2] }, c: 'x' };
    expect(jsonPatch(doc, [
      { op: 'add', path: '/a/b/-', value: 3 },
      { op: 'replace', path: '/c', value: 'y' },
      { op: 'copy', from: '/c', path: '/d' },
      { op: 'move', from: '/d', path: '/e~1f' },
      { op: 'remove', path: '/a/b/0' },
      { op: 'test', path: '/c', value: 'y' },
    ])).toEqual({ 'a': { b: [2, 3] }, 'c': 'y', 'e/f': 'y' });
    expect(doc.a.b).toEqual([1, 2]);
    const code = (ops: unknown) => {
      try {
        jsonPatch(doc, ops);
      } catch (e) {
        return (e as ApiError).code;
      }
      return 0;
    };
    expect(code([{ op: 'test', path: '/c', value: 'nope' }])).toBe(422);
    expect(code([{ op: 'replace', path: '/missing', value: 1 }])).toBe(422);
    expect(code([{ op: 'remove', path: '/a/b/9' }])).toBe(422);
    expect(code([{ op: 'frobnicate', path: '/c' }])).toBe(400);
    expect(code({})).toBe(400);
  });
});
