import { zeroObject } from '../src/defaults';
import { listTypeResolver, mapTypeResolver } from '../src/list-types';
import {
  describePath, FieldSet, fieldSetOf, readManagedFields, removeAt, sameAt, updateOwnership, valueAt, writeManagedFields,
} from '../src/managed-fields';
import { builtinTypes, ResourceType } from '../src/resource-types';

const deploy = builtinTypes().find((t) => t.kind === 'Deployment')!;
const resolver = listTypeResolver(deploy);

describe('field sets', () => {
  const obj = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'd', uid: 'u', labels: { app: 'web' }, finalizers: ['a'] },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: {},
      template: { spec: { containers: [{ name: 'main', image: 'x', args: ['-v'], env: [{ name: 'A', value: '1' }] }], tolerations: [{ key: 'k' }] } },
    },
    status: { replicas: 2 },
  };

  test('leaves, associative items (k: with "."), sets (v:), atomic lists; identity metadata stripped', () => {
    const fs = fieldSetOf(obj, { resolver, scope: 'main', statusSubresource: true });
    expect(fs.toFieldsV1()).toEqual({
      'f:metadata': { 'f:finalizers': { 'v:"a"': {} }, 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:selector': { 'f:matchLabels': { 'f:app': {} } },
        'f:strategy': {},
        'f:template': {
          'f:spec': {
            'f:containers': {
              'k:{"name":"main"}': {
                '.': {}, 'f:args': {}, 'f:env': { 'k:{"name":"A"}': { '.': {}, 'f:name': {}, 'f:value': {} } }, 'f:image': {}, 'f:name': {},
              },
            },
            'f:tolerations': {},
          },
        },
      },
    });
    expect(fieldSetOf(obj, { resolver, scope: 'status', statusSubresource: true }).toFieldsV1()).toEqual({ 'f:status': { 'f:replicas': {} } });
    expect(fieldSetOf(obj, { resolver }).toFieldsV1()['f:status']).toEqual({ 'f:replicas': {} });
  });

  test('fieldsV1 round trip, set algebra', () => {
    const fs = fieldSetOf(obj, { resolver, scope: 'main', statusSubresource: true });
    const back = FieldSet.fromFieldsV1(fs.toFieldsV1());
    expect(back.equals(fs)).toBe(true);
    const a = new FieldSet([['f:a'], ['f:b', 'f:c']]);
    const b = new FieldSet([['f:b', 'f:c']]);
    expect(a.minus(b).paths()).toEqual([['f:a']]);
    expect(a.union(b).size).toBe(2);
    expect(a.hasDescendant(['f:b'])).toBe(true);
    expect(a.hasDescendant(['f:a'])).toBe(false);
  });

  test('navigation, removal, comparison and conflict-path notation', () => {
    const item = ['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"main"}'];
    expect(valueAt(obj, [...item, 'f:image'])).toEqual({ found: true, value: 'x' });
    expect(valueAt(obj, [...item.slice(0, -1), 'k:{"name":"nope"}']).found).toBe(false);
    expect(describePath([...item, 'f:image'])).toBe('.spec.template.spec.containers[name="main"].image');
    expect(describePath(['f:metadata', 'f:finalizers', 'v:"a"'])).toBe('.metadata.finalizers[="a"]');
    const copy = JSON.parse(JSON.stringify(obj));
    copy.spec.template.spec.containers[0].image = 'y';
    expect(sameAt(obj, copy, [...item, 'f:image'])).toBe(false);
    expect(sameAt(obj, copy, item)).toBe(true);
    expect(removeAt(copy, [...item, 'f:env', 'k:{"name":"A"}'])).toBe(true);
    expect(copy.spec.template.spec.containers[0].env).toEqual([]);
    expect(removeAt(copy, ['f:nothing', 'f:here'])).toBe(false);
  });
});

describe('managedFields entries', () => {
  test('read and write keep manager, operation, subresource; empty entries are dropped', () => {
    const entries = readManagedFields({
      metadata: {
        managedFields: [
          { manager: 'a', operation: 'Apply', apiVersion: 'v1', time: 't', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:x': {} } } },
          { manager: 'b', operation: 'Update', apiVersion: 'v1', time: 't', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': { '.': {}, 'f:y': {} } }, subresource: 'status' },
        ],
      },
    });
    expect(entries.map((e) => [e.manager, e.operation, e.subresource, e.fields.size])).toEqual([['a', 'Apply', undefined, 1], ['b', 'Update', 'status', 2]]);
    entries[0].fields = new FieldSet();
    expect(writeManagedFields(entries).map((e) => e.manager)).toEqual(['b']);
  });

  test('entries are written in the API server\'s order: Apply first, then by time, manager, apiVersion, subresource', () => {
    const fields = new FieldSet([['f:x']]);
    const e = (manager: string, operation: 'Apply' | 'Update', time: string, subresource?: string) =>
      ({ manager, operation, apiVersion: 'v1', time, subresource, fields });
    const written = writeManagedFields([
      e('u', 'Update', '2024-01-01T00:00:02Z', 'status'), e('u', 'Update', '2024-01-01T00:00:02Z'), e('b', 'Update', '2024-01-01T00:00:01Z'),
      e('z', 'Apply', '2024-01-01T00:00:09Z'), e('a', 'Apply', '2024-01-01T00:00:09Z'),
    ]);
    expect(written.map((w) => `${w.operation}/${w.manager}/${w.subresource ?? ''}`)).toEqual(['Apply/a/', 'Apply/z/', 'Update/b/', 'Update/u/', 'Update/u/status']);
  });

  test('updateOwnership: the writer takes changed fields from others; removed fields leave everyone', () => {
    const cm = builtinTypes().find((t) => t.kind === 'ConfigMap')!;
    const opts = { resolver: listTypeResolver(cm) };
    const before = { metadata: { name: 'x' }, data: { a: '1', b: '1', c: '1' } };
    const after = { metadata: { name: 'x' }, data: { a: '2', b: '1', d: '1' } };
    const entries = [{ manager: 'owner', operation: 'Apply' as const, apiVersion: 'v1', time: 't', fields: new FieldSet([['f:data', 'f:a'], ['f:data', 'f:b'], ['f:data', 'f:c']]) }];
    const out = updateOwnership(entries, before, after, { manager: 'editor', apiVersion: 'v1' }, opts);
    expect(out.map((e) => [e.manager, e.operation, e.fields.paths().map((p) => p.join('.'))])).toEqual([
      ['owner', 'Apply', ['f:data.f:b']],
      ['editor', 'Update', ['f:data.f:a', 'f:data.f:d']],
    ]);
  });
});

describe('map types (as kube-apiserver v1.34 records them)', () => {
  const base = builtinTypes()[0];
  const open: ResourceType = {
    ...base,
    group: 'x.io',
    kind: 'Config',
    plural: 'configs',
    crd: 'configs.x.io',
    schema: { type: 'object', properties: { spec: { 'type': 'object', 'x-kubernetes-preserve-unknown-fields': true } } },
  };

  test('schemaless maps below preserve-unknown-fields are members themselves; atomic maps are leaves', () => {
    const opts = { resolver: listTypeResolver(open), mapType: mapTypeResolver(open) };
    expect(fieldSetOf({ spec: { multicluster: { clusterRole: 'host' }, x: 1 } }, opts).toFieldsV1())
      .toEqual({ 'f:spec': { 'f:multicluster': { '.': {}, 'f:clusterRole': {} }, 'f:x': {} } });
    const svc = builtinTypes().find((t) => t.kind === 'Service')!;
    expect(fieldSetOf({ spec: { selector: { app: 'a' } } }, { resolver: listTypeResolver(svc), mapType: mapTypeResolver(svc) }).toFieldsV1())
      .toEqual({ 'f:spec': { 'f:selector': {} } });
  });
});

describe('Update managers own the maps they create', () => {
  test('a create owns new maps with `.`, but not the maps every object of the kind has', () => {
    const cm = builtinTypes().find((t) => t.kind === 'ConfigMap')!;
    const created = updateOwnership([], undefined, { metadata: { name: 'x', labels: { a: '1' } }, data: { k: 'v' } },
      { manager: 'm', apiVersion: 'v1' }, { resolver: listTypeResolver(cm) }, { metadata: {} });
    expect(created[0].fields.toFieldsV1()).toEqual({ 'f:data': { '.': {}, 'f:k': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:a': {} } } });
    const deployCreated = updateOwnership([], undefined, { spec: { replicas: 1, template: { metadata: { labels: { a: '1' } } } } },
      { manager: 'm', apiVersion: 'apps/v1' }, { resolver }, { metadata: {}, spec: { template: { metadata: {}, spec: {} } } });
    expect(deployCreated[0].fields.toFieldsV1()).toEqual({ 'f:spec': { 'f:replicas': {}, 'f:template': { 'f:metadata': { 'f:labels': { '.': {}, 'f:a': {} } } } } });
  });

  test('new associative lists are owned with `.` too; atomic maps stay leaves', () => {
    const created = updateOwnership([], undefined, {
      spec: { selector: { matchLabels: { a: '1' } }, template: { spec: { containers: [{ name: 'c', env: [{ name: 'E', value: '1' }] }], volumes: [{ name: 'v' }] } } },
    }, { manager: 'm', apiVersion: 'apps/v1' }, { resolver, mapType: mapTypeResolver(deploy) }, zeroObject('Deployment'));
    expect(created[0].fields.toFieldsV1()).toEqual({
      'f:spec': {
        'f:selector': {},
        'f:template': {
          'f:spec': {
            'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:env': { '.': {}, 'k:{"name":"E"}': { '.': {}, 'f:name': {}, 'f:value': {} } }, 'f:name': {} } },
            'f:volumes': { '.': {}, 'k:{"name":"v"}': { '.': {}, 'f:name': {} } },
          },
        },
      },
    });
  });

  test('an update owns a map it adds, not one that was there', () => {
    const cm = builtinTypes().find((t) => t.kind === 'ConfigMap')!;
    const before = { metadata: { name: 'x' }, data: { k: 'v' } };
    const after = { metadata: { name: 'x', labels: { a: '1' } }, data: { k: 'v', j: 'w' } };
    const out = updateOwnership([], before, after, { manager: 'm', apiVersion: 'v1' }, { resolver: listTypeResolver(cm) });
    expect(out[0].fields.toFieldsV1()).toEqual({ 'f:data': { 'f:j': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:a': {} } } });
  });
});
