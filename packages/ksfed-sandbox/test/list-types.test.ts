import { mapTypeResolver, listTypeResolver } from '../src/list-types';
import { builtinTypes, ResourceType } from '../src/resource-types';

describe('listTypeResolver', () => {
  const deploy = listTypeResolver(builtinTypes().find((t) => t.kind === 'Deployment')!);

  const kind = (k: string) => builtinTypes().find((t) => t.kind === k)!;

  test('built-ins: the API\'s own keys (kube-apiserver v1.34 OpenAPI), other lists atomic', () => {
    expect(deploy(['spec', 'template', 'spec', 'containers'], [{ name: 'a' }, { name: 'b' }])).toEqual({ type: 'map', keys: ['name'] });
    expect(deploy(['spec', 'template', 'spec', 'containers'], [{ name: 'a' }, { name: 'a' }])).toEqual({ type: 'atomic' });
    expect(deploy(['spec', 'template', 'spec', 'tolerations'], [{ key: 'a' }])).toEqual({ type: 'atomic' });
    expect(deploy(['spec', 'args'], ['x'])).toEqual({ type: 'atomic' });
    expect(deploy(['spec', 'template', 'spec', 'containers', 'volumeMounts'], [{ name: 'v', mountPath: '/a' }, { name: 'v', mountPath: '/b' }]))
      .toEqual({ type: 'map', keys: ['mountPath'] });
  });

  test('built-ins: keys made of several fields, with the schema\'s default for a missing protocol (as the real API)', () => {
    const tcp = { protocol: 'TCP' };
    expect(deploy(['spec', 'template', 'spec', 'containers', 'ports'], [{ containerPort: 80 }, { containerPort: 80, protocol: 'UDP' }]))
      .toEqual({ type: 'map', keys: ['containerPort', 'protocol'], defaults: tcp });
    // two ports of the same number and protocol are not a valid map: atomic, like a list with a duplicate name
    expect(deploy(['spec', 'template', 'spec', 'containers', 'ports'], [{ containerPort: 80 }, { containerPort: 80, protocol: 'TCP' }])).toEqual({ type: 'atomic' });
    expect(listTypeResolver(kind('Service'))(['spec', 'ports'], [{ port: 53 }, { port: 53, protocol: 'UDP' }]))
      .toEqual({ type: 'map', keys: ['port', 'protocol'], defaults: tcp });
    expect(listTypeResolver(kind('NetworkPolicy'))(['spec', 'ingress', 'ports'], [{ port: 53 }])).toEqual({ type: 'atomic' });
    expect(deploy(['spec', 'template', 'spec', 'topologySpreadConstraints'], [{ topologyKey: 'z', whenUnsatisfiable: 'DoNotSchedule' }]))
      .toEqual({ type: 'map', keys: ['topologyKey', 'whenUnsatisfiable'] });
  });

  test('built-ins: lists of named objects that the API declares atomic stay atomic', () => {
    expect(listTypeResolver(kind('RoleBinding'))(['subjects'], [{ kind: 'User', name: 'a' }])).toEqual({ type: 'atomic' });
    expect(listTypeResolver(kind('CustomResourceDefinition'))(['spec', 'versions'], [{ name: 'v1' }])).toEqual({ type: 'atomic' });
    expect(listTypeResolver(kind('ServiceAccount'))(['imagePullSecrets'], [{ name: 'a' }])).toEqual({ type: 'atomic' });
    expect(deploy(['spec', 'template', 'spec', 'imagePullSecrets'], [{ name: 'a' }])).toEqual({ type: 'map', keys: ['name'], atomicItems: true });
    expect(listTypeResolver(kind('ValidatingWebhookConfiguration'))(['webhooks'], [{ name: 'a' }])).toEqual({ type: 'map', keys: ['name'] });
  });

  test('built-ins: selectors, node selectors and references are atomic maps; metadata never is', () => {
    const atomic = (names: string[]) => mapTypeResolver(kind('Deployment'))(names) === 'atomic';
    expect(atomic(['spec', 'selector'])).toBe(true);
    expect(atomic(['spec', 'template', 'spec', 'nodeSelector'])).toBe(true);
    expect(atomic(['spec', 'template', 'spec', 'containers', 'env', 'valueFrom', 'fieldRef'])).toBe(true);
    expect(atomic(['spec', 'template', 'metadata', 'labels'])).toBe(false);
    expect(atomic(['spec', 'strategy'])).toBe(false);
    expect(mapTypeResolver(kind('Service'))(['spec', 'selector'])).toBe('atomic');
    expect(mapTypeResolver(kind('RoleBinding'))(['roleRef'])).toBe('atomic');
  });

  test('metadata: finalizers are a set, ownerReferences a map by uid, for every kind', () => {
    expect(deploy(['metadata', 'finalizers'], ['a'])).toEqual({ type: 'set' });
    expect(deploy(['metadata', 'ownerReferences'], [{ uid: 'u', name: 'n' }])).toEqual({ type: 'map', keys: ['uid'], atomicItems: true });
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
    const withAtomic: ResourceType = { ...cr, schema: { type: 'object', properties: { spec: { 'type': 'object', 'x-kubernetes-map-type': 'atomic' } } } };
    expect(mapTypeResolver(withAtomic)(['spec'])).toBe('atomic');
    expect(mapTypeResolver(cr)(['spec'])).toBe('granular');
    // below a preserve-unknown-fields node the schema does not describe, maps are deduced (owned with `.`)
    const open: ResourceType = { ...cr, schema: { type: 'object', properties: { spec: { 'type': 'object', 'x-kubernetes-preserve-unknown-fields': true } } } };
    expect(['spec', 'spec.a', 'spec.a.b', 'metadata.labels'].map((p) => mapTypeResolver(open)(p.split('.')))).toEqual(['granular', 'deduced', 'deduced', 'granular']);
  });
});
