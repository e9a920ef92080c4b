import { listTypeResolver } from '../../src/sandbox/list-types';
import { builtinTypes, ResourceType } from '../../src/sandbox/resource-types';

describe('listTypeResolver', () => {
  const deploy = listTypeResolver(builtinTypes().find((t) => t.kind === 'Deployment')!);

  test('built-ins: lists of uniquely named objects are maps by name, other lists atomic', () => {
    expect(deploy(['spec', 'template', 'spec', 'containers'], [{ name: 'a' }, { name: 'b' }])).toEqual({ type: 'map', keys: ['name'] });
    expect(deploy(['spec', 'template', 'spec', 'containers'], [{ name: 'a' }, { name: 'a' }])).toEqual({ type: 'atomic' });
    expect(deploy(['spec', 'template', 'spec', 'tolerations'], [{ key: 'a' }])).toEqual({ type: 'atomic' });
    expect(deploy(['spec', 'args'], ['x'])).toEqual({ type: 'atomic' });
    expect(deploy(['spec', 'template', 'spec', 'containers', 'volumeMounts'], [{ name: 'v', mountPath: '/a' }, { name: 'v', mountPath: '/b' }]))
      .toEqual({ type: 'map', keys: ['mountPath'] });
  });

  test('metadata: finalizers are a set, ownerReferences a map by uid, for every kind', () => {
    expect(deploy(['metadata', 'finalizers'], ['a'])).toEqual({ type: 'set' });
    expect(deploy(['metadata', 'ownerReferences'], [{ uid: 'u', name: 'n' }])).toEqual({ type: 'map', keys: ['uid'] });
  });

  test('custom resources follow their schema and are atomic without one', () => {
    const base = builtinTypes()[0];
    const cr: ResourceType = {
      ...base,
      group: 'x.io',
      kind: 'X',
      plural: 'xs',
      crd: 'xs.x.io',
      schema: { type: 'object', properties: { spec: { type: 'object', properties: { ports: { 'type': 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['port'] } } } } },
    };
    const r = listTypeResolver(cr);
    expect(r(['spec', 'ports'], [{ port: 1 }])).toEqual({ type: 'map', keys: ['port'] });
    expect(r(['spec', 'ports'], [{ name: 'missing-key' }])).toEqual({ type: 'atomic' });
    expect(r(['spec', 'containers'], [{ name: 'a' }])).toEqual({ type: 'atomic' });
  });
});
