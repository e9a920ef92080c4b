import {
  anyValue, arr, bool, bytes, crd, int, intOrString, labelSelector, listMap, map, obj, preserve, resource, str, time, withDescription,
} from '../../src/crds/schema';
import { structuralErrors, validateAgainstCrd } from '../util/schema';

function sampleCrd(): any {
  return crd({
    group: 'example.com',
    kind: 'Gadget',
    plural: 'gadgets',
    shortNames: ['gd'],
    categories: ['toys'],
    scope: 'Namespaced',
    versions: [{
      name: 'v1',
      schema: resource({
        spec: obj({
          size: int({ minimum: 1 }),
          name: str({ pattern: '^[a-z]+$', maxLength: 8 }),
          on: bool(),
          blob: bytes(),
          at: time(),
          port: intOrString(),
          extra: preserve(),
          value: anyValue(),
          selector: labelSelector(),
          members: listMap('name', { name: str(), weight: int() }),
          weights: map(int()),
          tags: arr(str()),
        }, ['size']),
      }, ['spec']),
      subresources: { status: true },
      printerColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }],
    }],
  });
}

describe('schema builders', () => {
  test('scalars', () => {
    expect(str()).toEqual({ type: 'string' });
    expect(str({ pattern: '^a', description: 'd', maxLength: 3 })).toEqual({ type: 'string', description: 'd', pattern: '^a', maxLength: 3 });
    expect(bytes()).toEqual({ type: 'string', format: 'byte' });
    expect(time()).toEqual({ type: 'string', format: 'date-time' });
    expect(bool()).toEqual({ type: 'boolean' });
    expect(int({ format: 'int32' })).toEqual({ type: 'integer', format: 'int32' });
    expect(intOrString()).toEqual({ 'x-kubernetes-int-or-string': true });
    expect(anyValue()).toEqual({ 'x-kubernetes-preserve-unknown-fields': true });
    expect(preserve()).toEqual({ 'type': 'object', 'x-kubernetes-preserve-unknown-fields': true });
    expect(map(str())).toEqual({ type: 'object', additionalProperties: { type: 'string' } });
    expect(withDescription(str(), 'hi')).toEqual({ type: 'string', description: 'hi' });
  });

  test('obj sorts properties, keeps required order, rejects undeclared required', () => {
    const o = obj({ b: str(), a: int() }, ['b', 'a']);
    expect(Object.keys(o.properties!)).toEqual(['a', 'b']);
    expect(o.required).toEqual(['b', 'a']);
    expect(Object.keys(o)).toEqual(['type', 'properties', 'required']);
    expect(obj({})).toEqual({ type: 'object' });
    expect(() => obj({ a: str() }, ['b'])).toThrow(/required field "b" is not a declared property/);
    expect(obj({ a: str() }, [], { preserveUnknown: true, mapType: 'atomic' })).toEqual({
      'type': 'object',
      'properties': { a: { type: 'string' } },
      'x-kubernetes-map-type': 'atomic',
      'x-kubernetes-preserve-unknown-fields': true,
    });
  });

  test('arr / listMap enforce list-map rules', () => {
    expect(listMap('name', { name: str() })).toEqual({
      'type': 'array',
      'items': { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      'x-kubernetes-list-map-keys': ['name'],
      'x-kubernetes-list-type': 'map',
    });
    expect(() => arr(obj({ name: str() }), { listType: 'map', mapKeys: ['name'] })).toThrow(/must be a required property/);
    expect(() => arr(obj({ name: str() }, ['name']), { listType: 'map' })).toThrow(/needs mapKeys/);
    expect(() => arr(str(), { mapKeys: ['x'] })).toThrow(/only valid with listType "map"/);
  });

  test('labelSelector is an atomic matchLabels/matchExpressions object', () => {
    const s = labelSelector();
    expect(s['x-kubernetes-map-type']).toBe('atomic');
    expect(Object.keys(s.properties!)).toEqual(['matchExpressions', 'matchLabels']);
    expect(s.properties!.matchExpressions.items!.required).toEqual(['key', 'operator']);
  });
});

describe('crd()', () => {
  test('builds a structural apiextensions.k8s.io/v1 CRD with defaulted names', () => {
    const c = sampleCrd();
    expect(structuralErrors(c)).toEqual([]);
    expect(c.metadata).toEqual({ name: 'gadgets.example.com' });
    expect(c.spec.names).toEqual({ kind: 'Gadget', listKind: 'GadgetList', plural: 'gadgets', singular: 'gadget', shortNames: ['gd'], categories: ['toys'] });
    expect(c.spec.versions[0]).toMatchObject({ name: 'v1', served: true, storage: true, subresources: { status: {} } });
    expect(c.spec.versions[0].additionalPrinterColumns).toEqual([{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }]);
  });

  test('key order is fixed and output is deterministic', () => {
    const c = sampleCrd();
    expect(Object.keys(c)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    expect(Object.keys(c.spec)).toEqual(['group', 'names', 'scope', 'versions']);
    expect(Object.keys(c.spec.versions[0])).toEqual(['name', 'served', 'storage', 'schema', 'subresources', 'additionalPrinterColumns']);
    expect(JSON.stringify(sampleCrd())).toEqual(JSON.stringify(c));
    expect(JSON.stringify(c)).not.toContain('undefined');
  });

  test('subresources: absent, explicit empty, status, scale', () => {
    const v = (subresources?: any) => crd({ group: 'g.io', kind: 'K', plural: 'ks', scope: 'Cluster', versions: [{ name: 'v1', schema: resource({}), subresources }] }).spec.versions[0];
    expect(v()).not.toHaveProperty('subresources');
    expect(v({}).subresources).toEqual({});
    expect(v({ status: true }).subresources).toEqual({ status: {} });
    expect(v({ scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } }).subresources).toEqual({
      scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' },
    });
  });

  test('rejects bad input', () => {
    const base = { group: 'g.io', kind: 'K', plural: 'ks', scope: 'Cluster' as const };
    expect(() => crd({ ...base, plural: 'Ks', versions: [{ name: 'v1', schema: resource({}) }] })).toThrow(/lower-case DNS label/);
    expect(() => crd({ ...base, versions: [] })).toThrow(/at least one version/);
    expect(() => crd({ ...base, versions: [{ name: 'v1', schema: resource({}) }, { name: 'v2', schema: resource({}) }] })).toThrow(/exactly one storage version/);
    expect(() => crd({ ...base, versions: [{ name: 'v1', schema: str() }] })).toThrow(/root schema must be of type object/);
  });

  test('the built CRD validates objects as intended', () => {
    const c = sampleCrd();
    const g = (spec: any) => ({ apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g', namespace: 'ns' }, spec });
    expect(validateAgainstCrd(c, g({
      size: 2,
      name: 'abc',
      on: true,
      blob: 'YWJj',
      at: '2024-05-01T00:00:00Z',
      port: 'http',
      extra: { any: [1] },
      value: 3,
      selector: { matchLabels: { a: 'b' } },
      members: [{ name: 'x', weight: 1 }],
      weights: { x: 1 },
      tags: ['t'],
    }))).toEqual([]);
    expect(validateAgainstCrd(c, g({ size: 0, name: 'ABC', members: [{ name: 'x' }, { name: 'x' }], weights: { x: 'one' } }))).toEqual([
      'spec.size: 0 is less than minimum 1',
      'spec.name: "ABC" does not match pattern ^[a-z]+$',
      'spec.members[1]: Duplicate value: {"name":"x"}',
      'spec.weights[x]: must be of type integer, got string ("one")',
    ]);
  });

  test('snapshot', () => {
    expect(sampleCrd()).toMatchSnapshot();
  });
});
