import { ObjectStore, StoreEvent } from '../src/store';

const obj = (name: string, rv: number, namespace?: string) => ({ metadata: { name, namespace, resourceVersion: String(rv) } });

describe('ObjectStore', () => {
  test('cluster-wide resourceVersion counter; list in key order, by namespace', () => {
    const s = new ObjectStore(10, 100);
    expect(s.resourceVersion).toBe(100);
    s.put('/configmaps', obj('b', s.nextResourceVersion(), 'ns1'), 'ADDED');
    s.put('/configmaps', obj('a', s.nextResourceVersion(), 'ns2'), 'ADDED');
    s.put('apps/deployments', obj('a', s.nextResourceVersion(), 'ns1'), 'ADDED');
    expect(s.resourceVersion).toBe(103);
    expect(s.list('/configmaps').map((o) => o.metadata.name)).toEqual(['b', 'a']);
    expect(s.list('/configmaps', 'ns2').map((o) => o.metadata.name)).toEqual(['a']);
    expect(s.get('/configmaps', 'ns1', 'b')).toBeDefined();
    expect(s.get('/configmaps', 'ns2', 'b')).toBeUndefined();
    expect(s.resources().sort()).toEqual(['/configmaps', 'apps/deployments']);
  });

  test('events reach listeners; DELETED carries a new resourceVersion; a failing listener does not break writes', () => {
    const s = new ObjectStore();
    const seen: StoreEvent[] = [];
    s.subscribe(() => {
      throw new Error('bad listener');
    });
    const off = s.subscribe((e) => seen.push(e));
    s.put('/configmaps', obj('x', s.nextResourceVersion(), 'd'), 'ADDED');
    const removed = s.remove('/configmaps', 'd', 'x');
    expect(removed!.metadata.resourceVersion).toBe(String(s.resourceVersion));
    expect(seen.map((e) => e.type)).toEqual(['ADDED', 'DELETED']);
    expect(s.remove('/configmaps', 'd', 'x')).toBeUndefined();
    off();
    s.put('/configmaps', obj('y', s.nextResourceVersion(), 'd'), 'ADDED');
    expect(seen).toHaveLength(2);
  });

  test('history: events since a resourceVersion, undefined once it fell out of the window', () => {
    const s = new ObjectStore(3, 0);
    for (const n of ['a', 'b', 'c', 'd', 'e']) s.put('/configmaps', obj(n, s.nextResourceVersion(), 'd'), 'ADDED');
    expect(s.eventsSince(3)!.map((e) => e.object.metadata.name)).toEqual(['d', 'e']);
    expect(s.eventsSince(5)).toEqual([]);
    expect(s.eventsSince(1)).toBeUndefined();
  });
});
