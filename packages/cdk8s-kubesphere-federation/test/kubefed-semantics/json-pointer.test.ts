import {
  addValue, deepCopy, escapeToken, formatPointer, getValue, JsonPatchError, parsePointer, pointerProblem, removeValue, replaceValue, unescapeToken,
} from '../../src/kubefed-semantics/json-pointer';

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const child of Object.values(v)) deepFreeze(child);
    Object.freeze(v);
  }
  return v;
}

const doc = () => deepFreeze({
  metadata: { name: 'web', labels: { 'app.kubernetes.io/name': 'web', 'a~b': 'tilde' } },
  spec: { replicas: 2, list: ['a', 'b', 'c'], empty: null as null, scalar: 'x', nested: [{ k: 1 }] },
});

describe('tokens', () => {
  test.each([
    ['a/b', 'a~1b'],
    ['a~b', 'a~0b'],
    ['~/', '~0~1'],
    ['plain', 'plain'],
    ['', ''],
  ])('escape %j <-> %j', (raw, escaped) => {
    expect(escapeToken(raw)).toBe(escaped);
    expect(unescapeToken(escaped)).toBe(raw);
  });

  test('~01 decodes to ~1, not to / (~1 is decoded first)', () => {
    expect(unescapeToken('~01')).toBe('~1');
  });
});

describe('pointerProblem / parsePointer / formatPointer', () => {
  test.each([
    ['', []],
    ['/', ['']],
    ['//', ['', '']],
    ['/a/b', ['a', 'b']],
    ['/a~1b/~0', ['a/b', '~']],
    ['/metadata/labels/app.kubernetes.io~1name', ['metadata', 'labels', 'app.kubernetes.io/name']],
    ['/spec/list/-', ['spec', 'list', '-']],
  ])('%j parses to %j and formats back', (path, tokens) => {
    expect(pointerProblem(path)).toBeUndefined();
    expect(parsePointer(path)).toEqual(tokens);
    expect(formatPointer(tokens)).toBe(path);
  });

  test.each([
    ['spec/replicas', /start with "\/"/],
    ['/a~2b', /not followed by 0 or 1/],
    ['/a~', /not followed by 0 or 1/],
    [42, /must be a string/],
  ])('%j is malformed', (path, message) => {
    expect(pointerProblem(path)).toMatch(message);
    if (typeof path === 'string') expect(() => parsePointer(path)).toThrow(JsonPatchError);
  });
});

describe('getValue', () => {
  test.each([
    ['', doc()],
    ['/spec/replicas', 2],
    ['/spec/list/1', 'b'],
    ['/spec/list/-1', 'c'],
    ['/spec/nested/0/k', 1],
    ['/metadata/labels/app.kubernetes.io~1name', 'web'],
    ['/metadata/labels/a~0b', 'tilde'],
    ['/spec/empty', null],
    ['/spec/missing', undefined],
    ['/spec/list/3', undefined],
    ['/spec/list/-', undefined],
    ['/spec/scalar/x', undefined],
    ['/nope/deeper', undefined],
  ])('%j -> %j', (path, expected) => {
    expect(getValue(doc(), path)).toEqual(expected);
  });
});

describe('add', () => {
  test.each([
    ['new member', '/spec/paused', true, (d: any) => expect(d.spec.paused).toBe(true)],
    ['overwrites an existing member', '/spec/replicas', 5, (d: any) => expect(d.spec.replicas).toBe(5)],
    ['escaped key', '/metadata/labels/team~1owner', 'x', (d: any) => expect(d.metadata.labels['team/owner']).toBe('x')],
    ['insert at 0', '/spec/list/0', 'z', (d: any) => expect(d.spec.list).toEqual(['z', 'a', 'b', 'c'])],
    ['insert in the middle', '/spec/list/1', 'z', (d: any) => expect(d.spec.list).toEqual(['a', 'z', 'b', 'c'])],
    ['index == length appends', '/spec/list/3', 'z', (d: any) => expect(d.spec.list).toEqual(['a', 'b', 'c', 'z'])],
    ['"-" appends', '/spec/list/-', 'z', (d: any) => expect(d.spec.list).toEqual(['a', 'b', 'c', 'z'])],
    ['-1 counts from the end after insertion (evanphx quirk)', '/spec/list/-1', 'z', (d: any) => expect(d.spec.list).toEqual(['a', 'b', 'c', 'z'])],
    ['-4 inserts at the front', '/spec/list/-4', 'z', (d: any) => expect(d.spec.list).toEqual(['z', 'a', 'b', 'c'])],
    ['leading zero is accepted like Go Atoi', '/spec/list/01', 'z', (d: any) => expect(d.spec.list).toEqual(['a', 'z', 'b', 'c'])],
    ['nested in an array element', '/spec/nested/0/v', 2, (d: any) => expect(d.spec.nested[0]).toEqual({ k: 1, v: 2 })],
    ['object value is copied', '/metadata/annotations', { a: '1' }, (d: any) => expect(d.metadata.annotations).toEqual({ a: '1' })],
    ['__proto__ is a plain member', '/spec/__proto__', 1, (d: any) => {
      expect(Object.keys(d.spec)).toContain('__proto__');
      expect(Object.getPrototypeOf(d.spec)).toBe(Object.prototype);
    }],
  ])('%s', (_name, path, value, check) => {
    check(addValue(doc(), path, value));
  });

  test.each([
    ['/spec/list/4', /out of range/],
    ['/spec/list/-5', /out of range/],
    ['/spec/list/x', /not an array index/],
    ['/spec/list/', /not an array index/],
    ['/spec/missing/child', /parent \/spec\/missing does not exist/],
    ['/spec/empty/child', /parent \/spec\/empty does not exist/],
    ['/spec/scalar/child', /is a string, not an object or array/],
    ['/spec/list/7/child', /cannot step into \/spec\/list\/7/],
    ['', /whole document/],
  ])('%j fails: %s', (path, message) => {
    expect(() => addValue(doc(), path, 1)).toThrow(message);
  });
});

describe('remove', () => {
  test.each([
    ['member', '/spec/replicas', (d: any) => expect(d.spec).not.toHaveProperty('replicas')],
    ['null-valued member', '/spec/empty', (d: any) => expect(d.spec).not.toHaveProperty('empty')],
    ['escaped key', '/metadata/labels/app.kubernetes.io~1name', (d: any) => expect(d.metadata.labels).toEqual({ 'a~b': 'tilde' })],
    ['array element', '/spec/list/1', (d: any) => expect(d.spec.list).toEqual(['a', 'c'])],
    ['negative index removes from the end', '/spec/list/-1', (d: any) => expect(d.spec.list).toEqual(['a', 'b'])],
  ])('%s', (_name, path, check) => {
    check(removeValue(doc(), path));
  });

  test.each([
    ['/spec/missing', /no member "missing" to remove/],
    ['/spec/list/3', /out of range/],
    ['/spec/list/-4', /out of range/],
    ['/spec/list/-', /not an array index/],
    ['/nope/x', /parent \/nope does not exist/],
    ['', /whole document/],
  ])('%j fails: %s', (path, message) => {
    expect(() => removeValue(doc(), path)).toThrow(message);
  });
});

describe('replace', () => {
  test.each([
    ['existing member', '/spec/replicas', 7, (d: any) => expect(d.spec.replicas).toBe(7)],
    ['missing member of an existing object is created (evanphx v4)', '/spec/paused', true, (d: any) => expect(d.spec.paused).toBe(true)],
    ['array element', '/spec/list/0', 'z', (d: any) => expect(d.spec.list).toEqual(['z', 'b', 'c'])],
    ['"-0" is index 0 (Go strconv.Atoi)', '/spec/list/-0', 'z', (d: any) => expect(d.spec.list).toEqual(['z', 'b', 'c'])],
    ['whole subtree', '/spec/nested', [], (d: any) => expect(d.spec.nested).toEqual([])],
  ])('%s', (_name, path, value, check) => {
    check(replaceValue(doc(), path, value));
  });

  test.each([
    ['/spec/list/3', /out of range/],
    ['/spec/list/-', /not an array index/],
    ['/spec/missing/x', /parent \/spec\/missing does not exist/],
    ['', /whole document/],
    // evanphx/json-patch v4.11.0 panics here (index out of range [-1]): KubeFed's controller-manager would crash.
    ['/spec/list/-1', /replace: the negative index at \/spec\/list\/-1 makes KubeFed's JSON-patch library \(evanphx\/json-patch v4\) panic/],
    ['/spec/list/-01', /negative index at \/spec\/list\/-01/],
  ])('%j fails: %s', (path, message) => {
    expect(() => replaceValue(doc(), path, 1)).toThrow(message);
  });
});

describe('a negative index on the way to the target panics in evanphx/json-patch v4, so every op refuses it', () => {
  test.each([
    ['add', () => addValue(doc(), '/spec/nested/-1/v', 2)],
    ['remove', () => removeValue(doc(), '/spec/nested/-1/k')],
    ['replace', () => replaceValue(doc(), '/spec/nested/-1/k', 2)],
  ])('%s', (op, run) => {
    expect(run).toThrow(new RegExp(`^${op}: the negative index at /spec/nested/-1 makes KubeFed's JSON-patch library .* crashes kubefed-controller-manager; count from the start`));
  });

  test('"-0" on the way is index 0, and a negative key of an object is just a key', () => {
    expect((addValue(doc(), '/spec/nested/-0/v', 2) as any).spec.nested[0]).toEqual({ k: 1, v: 2 });
    expect((replaceValue({ m: { '-1': { x: 1 } } }, '/m/-1/x', 2) as any).m['-1'].x).toBe(2);
  });
});

describe('purity', () => {
  test('inputs are never mutated and results do not share structure', () => {
    const input = doc();
    const before = JSON.stringify(input);
    const value = { deep: { x: 1 } };
    const out: any = addValue(input, '/spec/value', value);
    value.deep.x = 2;
    expect(out.spec.value.deep.x).toBe(1);
    removeValue(input, '/spec/list/0');
    replaceValue(input, '/spec/replicas', 1);
    expect(JSON.stringify(input)).toBe(before);
    expect(out.spec.list).not.toBe(input.spec.list);
  });

  test('deepCopy drops undefined members like JSON', () => {
    expect(deepCopy({ a: 1, b: undefined, c: [1, { d: undefined }] })).toEqual({ a: 1, c: [1, {}] });
    expect(Object.keys(deepCopy({ a: 1, b: undefined }))).toEqual(['a']);
  });
});
