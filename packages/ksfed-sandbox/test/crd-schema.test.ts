import { applySchemaDefaults, pruneUnknownFields, schemaListType, validateAgainstSchema } from '../src/crd-schema';

const schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', pattern: '^[a-z]+$', maxLength: 5 },
        replicas: { type: 'integer', minimum: 1, default: 1 },
        mode: { type: 'string', enum: ['a', 'b'] },
        port: { 'x-kubernetes-int-or-string': true },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        free: { 'type': 'object', 'x-kubernetes-preserve-unknown-fields': true },
        items: { 'type': 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['id'], 'items': { type: 'object', properties: { id: { type: 'string' }, on: { type: 'boolean', default: true } } } },
        tags: { 'type': 'array', 'x-kubernetes-list-type': 'set', 'items': { type: 'string' } },
        plain: { type: 'array', items: { type: 'string' } },
        nothing: { type: 'object' },
      },
    },
  },
};

describe('CRD structural schema', () => {
  test('pruning drops undeclared fields and reports their paths; preserve-unknown and additionalProperties keep', () => {
    const obj: any = {
      apiVersion: 'x/v1',
      kind: 'X',
      metadata: { name: 'n', anything: 1 },
      top: 1,
      spec: { name: 'a', bogus: 2, labels: { k: 'v' }, free: { any: { thing: 1 } }, items: [{ id: 'a', junk: 1 }], nothing: { gone: 1 } },
    };
    expect(pruneUnknownFields(obj, schema).sort()).toEqual(['spec.bogus', 'spec.items[0].junk', 'spec.nothing.gone', 'top']);
    expect(obj.spec).toEqual({ name: 'a', labels: { k: 'v' }, free: { any: { thing: 1 } }, items: [{ id: 'a' }], nothing: {} });
    expect(obj.metadata).toEqual({ name: 'n', anything: 1 });
    expect(pruneUnknownFields({ a: 1 }, undefined)).toEqual([]);
  });

  test('defaults fill missing fields inside existing objects and list items', () => {
    const obj: any = { spec: { name: 'a', items: [{ id: 'x' }, { id: 'y', on: false }] } };
    applySchemaDefaults(obj, schema);
    expect(obj.spec.replicas).toBe(1);
    expect(obj.spec.items).toEqual([{ id: 'x', on: true }, { id: 'y', on: false }]);
    const empty: any = {};
    applySchemaDefaults(empty, schema);
    expect(empty).toEqual({});
  });

  test('validation: required, type, enum, pattern, bounds, int-or-string', () => {
    const causes = validateAgainstSchema({ spec: { replicas: 'two', mode: 'c', port: 1.5, labels: { k: 1 } } }, schema);
    expect(causes.map((c) => `${c.field}|${c.reason}`).sort()).toEqual([
      'spec.labels.k|FieldValueInvalid', 'spec.mode|FieldValueNotSupported', 'spec.name|FieldValueRequired',
      'spec.port|FieldValueInvalid', 'spec.replicas|FieldValueInvalid',
    ]);
    expect(causes.find((c) => c.field === 'spec.replicas')!.message).toBe('Invalid value: "string": spec.replicas in body must be of type integer: "string"');
    const more = validateAgainstSchema({ spec: { name: 'ABCDEFG', replicas: 0, port: 'http' } }, schema);
    expect(more.map((c) => c.field).sort()).toEqual(['spec.name', 'spec.name', 'spec.replicas']);
    expect(validateAgainstSchema({ spec: { name: 'ok', port: 80 } }, schema)).toEqual([]);
  });

  test('list types come from x-kubernetes-list-type (atomic by default)', () => {
    expect(schemaListType(schema, ['spec', 'items'])).toEqual({ type: 'map', keys: ['id'] });
    expect(schemaListType(schema, ['spec', 'tags'])).toEqual({ type: 'set' });
    expect(schemaListType(schema, ['spec', 'plain'])).toEqual({ type: 'atomic' });
    expect(schemaListType(schema, ['spec', 'free', 'deep'])).toBeUndefined();
  });
});
