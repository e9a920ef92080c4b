import { BUILTIN_KINDS } from 'cdk8s-kubesphere-federation/lib/contract/kinds';
import { builtinTypes, compareKubeVersions, groupVersion, parseApiVersion, ResourceTypes, storageKey } from '../src/resource-types';

describe('resource types', () => {
  test('the built-in kinds the brief lists, with scope and status subresources', () => {
    const t = new ResourceTypes();
    const expectKind = (apiVersion: string, kind: string, namespaced: boolean) => {
      const found = t.byKind(apiVersion, kind);
      expect(found).toBeDefined();
      expect(found!.namespaced).toBe(namespaced);
    };
    for (const k of ['ConfigMap', 'Secret', 'ServiceAccount', 'Service', 'PersistentVolumeClaim', 'LimitRange', 'ResourceQuota', 'Event']) expectKind('v1', k, true);
    expectKind('v1', 'Namespace', false);
    for (const k of ['Deployment', 'StatefulSet', 'ReplicaSet', 'DaemonSet']) expectKind('apps/v1', k, true);
    expectKind('batch/v1', 'Job', true);
    expectKind('batch/v1', 'CronJob', true);
    expectKind('rbac.authorization.k8s.io/v1', 'Role', true);
    expectKind('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', false);
    expectKind('apiextensions.k8s.io/v1', 'CustomResourceDefinition', false);
    expectKind('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', false);
    expectKind('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', false);
    expectKind('networking.k8s.io/v1', 'Ingress', true);
    expectKind('networking.k8s.io/v1', 'NetworkPolicy', true);
    expectKind('policy/v1', 'PodDisruptionBudget', true);
    expectKind('autoscaling/v2', 'HorizontalPodAutoscaler', true);
    expectKind('coordination.k8s.io/v1', 'Lease', true);
    expect(t.byKind('apps/v1', 'Deployment')).toMatchObject({ plural: 'deployments', shortNames: ['deploy'], statusSubresource: true, generation: true });
    expect(t.byKind('v1', 'ConfigMap')).toMatchObject({ statusSubresource: false, generation: false });
    expect(t.byResource('', 'v1', 'services')!.kind).toBe('Service');
    expect(builtinTypes().every((x) => x.listKind === `${x.kind}List`)).toBe(true);
  });

  test('every kind of the table of kinds, with its scope, short names and subresources, in the table\'s order', () => {
    expect(builtinTypes().map((t) => [t.group, t.version, t.kind, t.plural, t.namespaced, t.shortNames, t.statusSubresource]))
      .toEqual(BUILTIN_KINDS.map((k) => [k.group, k.version, k.kind, k.plural, k.namespaced, k.shortNames ?? [], k.statusSubresource ?? false]));
    expect(new ResourceTypes().byKind('scheduling.k8s.io/v1', 'PriorityClass')).toMatchObject({ plural: 'priorityclasses', namespaced: false });
    expect(new ResourceTypes().groups().map((g) => g.name).slice(-3)).toEqual(['scheduling.k8s.io', 'storage.k8s.io', 'apiregistration.k8s.io']);
  });

  test('groups: built-ins in fixed order, then CRD groups; versions preferred first', () => {
    const t = new ResourceTypes();
    const base = builtinTypes()[0];
    t.setCrdTypes('things.b.io', [{ ...base, group: 'b.io', version: 'v1beta1', kind: 'Thing', plural: 'things', crd: 'things.b.io' },
      { ...base, group: 'b.io', version: 'v1', kind: 'Thing', plural: 'things', crd: 'things.b.io' }]);
    t.setCrdTypes('x.a.io', [{ ...base, group: 'a.io', version: 'v1alpha1', kind: 'X', plural: 'x', crd: 'x.a.io' }]);
    const groups = t.groups();
    expect(groups[0].name).toBe('apps');
    expect(groups.slice(-2)).toEqual([{ name: 'a.io', versions: ['v1alpha1'] }, { name: 'b.io', versions: ['v1', 'v1beta1'] }]);
    expect(t.servesGroupVersion('b.io', 'v1beta1')).toBe(true);
    t.setCrdTypes('things.b.io', []);
    expect(t.servesGroupVersion('b.io', 'v1')).toBe(false);
    expect(t.anyVersion('a.io', 'x')!.kind).toBe('X');
  });

  test('version ordering, apiVersion parsing, storage keys', () => {
    expect(['v1alpha1', 'v1', 'v2beta1', 'v1beta2', 'v2', 'foo'].sort(compareKubeVersions)).toEqual(['v2', 'v1', 'v2beta1', 'v1beta2', 'v1alpha1', 'foo']);
    expect(parseApiVersion('apps/v1')).toEqual({ group: 'apps', version: 'v1' });
    expect(parseApiVersion('v1')).toEqual({ group: '', version: 'v1' });
    expect(groupVersion('', 'v1')).toBe('v1');
    expect(storageKey({ group: 'apps', plural: 'deployments' })).toBe('apps/deployments');
  });
});
