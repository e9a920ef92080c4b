import { clone, deepEqual, dropNulls, decodeJson, isPlainObject, nowRfc3339, stableStringify } from '../src/json';

describe('json helpers', () => {
  test('deepEqual ignores key order and undefined members, not array order', () => {
    expect(deepEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(deepEqual({ a: 1, x: undefined }, { a: 1 })).toBe(true);
    expect(deepEqual([1, 2], [2, 1])).toBe(false);
    expect(deepEqual({ a: 1 }, { a: '1' })).toBe(false);
    expect(deepEqual(null, {})).toBe(false);
  });

  test('stableStringify sorts keys', () => {
    expect(stableStringify({ b: 1, a: { d: 1, c: [2, 1] } })).toBe('{"a":{"c":[2,1],"d":1},"b":1}');
  });

  test('clone is deep and JSON-shaped; dropNulls removes nulls recursively', () => {
    const src = { a: { b: [1] }, u: undefined };
    const c = clone(src);
    c.a.b.push(2);
    expect(src.a.b).toEqual([1]);
    expect('u' in c).toBe(false);
    // the same result as the JSON round trip, for every JSON shape
    const shapes = { s: 'x', n: 1.5, t: true, z: null, e: {}, l: [], nested: [{ a: [undefined, { b: undefined, c: 'd' }] }], u: undefined };
    expect(clone(shapes)).toEqual(JSON.parse(JSON.stringify(shapes)));
    expect(JSON.stringify(clone(shapes))).toBe(JSON.stringify(shapes));
    expect(dropNulls({ a: null, b: { c: null, d: 1 }, e: [null, { f: null }] })).toEqual({ b: { d: 1 }, e: [null, {}] });
  });

  test('isPlainObject and RFC 3339 times at second precision', () => {
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject([])).toBe(false);
    expect(isPlainObject(null)).toBe(false);
    expect(nowRfc3339()).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });
});

describe('decodeJson (as the API server\'s Go decoder)', () => {
  test('reports keys set twice, with their path; a repeated object merges into the first, anything else is replaced', () => {
    expect(decodeJson('{"a":1,"data":{"x":"1"},"data":{"y":"2"}}')).toEqual({ value: { a: 1, data: { x: '1', y: '2' } }, duplicates: ['data'] });
    expect(decodeJson('{"spec":{"r":1,"t":{"s":"}\\"{"},"r":2},"l":[{"k":1,"k":2}]}'))
      .toEqual({ value: { spec: { r: 2, t: { s: '}"{' } }, l: [{ k: 2 }] }, duplicates: ['spec.r', 'l.k'] });
    expect(decodeJson(' { "a" : [ ] , "b" : { } , "c" : "a,b", "d": [1, null, true, -2.5e3] } '))
      .toEqual({ value: { a: [], b: {}, c: 'a,b', d: [1, null, true, -2500] }, duplicates: [] });
  });
});
