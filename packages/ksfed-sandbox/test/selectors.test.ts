import { ApiError } from '../src/errors';
import { FieldSelector, LabelSelector } from '../src/selectors';

describe('LabelSelector', () => {
  const labels = { app: 'web', tier: 'front', n: '5' };
  const m = (s: string, l: Record<string, string> = labels) => LabelSelector.parse(s).matches(l);

  test('equality, inequality and existence', () => {
    expect(m('')).toBe(true);
    expect(m('app=web')).toBe(true);
    expect(m('app==web')).toBe(true);
    expect(m('app=db')).toBe(false);
    expect(m('app!=db')).toBe(true);
    expect(m('missing!=x')).toBe(true);
    expect(m('app')).toBe(true);
    expect(m('!app')).toBe(false);
    expect(m('!missing')).toBe(true);
    expect(m('empty=', { empty: '' })).toBe(true);
  });

  test('set-based and numeric requirements, combined with commas', () => {
    expect(m('app in (web,db)')).toBe(true);
    expect(m('app in (db)')).toBe(false);
    expect(m('app notin (db, cache)')).toBe(true);
    expect(m('missing notin (x)')).toBe(true);
    expect(m('missing in (x)')).toBe(false);
    expect(m('app in (web),tier=front,!missing')).toBe(true);
    expect(m('app in (web),tier=back')).toBe(false);
    expect(m('n>3,n<6')).toBe(true);
    expect(m('n>5')).toBe(false);
    expect(LabelSelector.parse(' app in ( web , db ) ').requirements).toEqual([{ key: 'app', operator: 'in', values: ['web', 'db'] }]);
    expect(LabelSelector.parse('example.com/role=x').requirements[0].key).toBe('example.com/role');
  });

  test('syntax errors are 400 ApiErrors, worded like the API server', () => {
    expect(() => LabelSelector.parse('tier in (')).toThrow(/^unable to parse requirement: found '', expected: ',', '\)' or identifier$/);
    for (const bad of ['app in web', 'app in (web', '=x', 'app=x=y', 'app=x,', 'bad key=x', 'app=-x-', 'n>x']) {
      let caught: unknown;
      try {
        LabelSelector.parse(bad);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(ApiError);
      expect((caught as ApiError).code).toBe(400);
    }
  });
});

describe('FieldSelector', () => {
  const obj = { metadata: { name: 'a', namespace: 'ns' } };

  test('metadata.name and metadata.namespace with =, ==, !=', () => {
    expect(FieldSelector.parse('metadata.name=a').matches(obj)).toBe(true);
    expect(FieldSelector.parse('metadata.name==b').matches(obj)).toBe(false);
    expect(FieldSelector.parse('metadata.name!=b,metadata.namespace=ns').matches(obj)).toBe(true);
    expect(FieldSelector.parse('').matches(obj)).toBe(true);
  });

  test('unsupported fields are refused like the API server does', () => {
    expect(() => FieldSelector.parse('spec.nodeName=x')).toThrow('"spec.nodeName" is not a known field selector: only "metadata.name", "metadata.namespace"');
    expect(() => FieldSelector.parse('metadata.name')).toThrow(/invalid selector/);
  });
});
