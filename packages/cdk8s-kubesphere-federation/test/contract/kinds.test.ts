import { ApplyPhase } from '../../src';
import { APPLY_PHASES } from '../../src/contract/federation-json';
import { apiGroupOf, BUILTIN_GROUPS, BUILTIN_KINDS, builtinKind, phaseOf, readinessOf } from '../../src/contract/kinds';

/** The usual English plural of a kind, lowercased (what every built-in kind's resource name is). */
function englishPlural(kind: string): string {
  const k = kind.toLowerCase();
  if (/(s|x|ch|sh)$/.test(k)) return `${k}es`;
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  return `${k}s`;
}

describe('the table of kinds', () => {
  test('one row per group and kind, each in a built-in group, with its resource name and a known phase', () => {
    const keys = BUILTIN_KINDS.map(k => `${k.group}/${k.kind}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const k of BUILTIN_KINDS) {
      expect([k.kind, BUILTIN_GROUPS.includes(k.group)]).toEqual([k.kind, true]);
      expect([k.kind, k.plural]).toEqual([k.kind, englishPlural(k.kind)]);
      expect(APPLY_PHASES).toContain(k.phase);
    }
  });

  test('phaseOf: the row\'s phase, by group and kind; other kinds of a built-in group are workloads; other groups custom resources', () => {
    expect(phaseOf('apiextensions.k8s.io/v1', 'CustomResourceDefinition')).toBe(ApplyPhase.CRDS);
    expect(phaseOf('v1', 'Namespace')).toBe(ApplyPhase.NAMESPACES);
    expect(phaseOf('rbac.authorization.k8s.io/v1beta1', 'ClusterRole')).toBe(ApplyPhase.RBAC);
    expect(phaseOf('scheduling.k8s.io/v1', 'PriorityClass')).toBe(ApplyPhase.CONFIG);
    expect(phaseOf('apps/v1', 'Deployment')).toBe(ApplyPhase.WORKLOADS);
    expect(phaseOf('discovery.k8s.io/v1', 'EndpointSlice')).toBe(ApplyPhase.WORKLOADS);
    expect(phaseOf('apiregistration.k8s.io/v1', 'APIService')).toBe(ApplyPhase.WEBHOOKS);
    expect(phaseOf('cluster.kubesphere.io/v1alpha1', 'Cluster')).toBe(ApplyPhase.CUSTOM_RESOURCES);
    // a kind is known in its own group only
    expect(phaseOf('types.kubefed.io/v1beta1', 'Namespace')).toBe(ApplyPhase.CUSTOM_RESOURCES);
    expect(phaseOf('apps/v1', 'Secret')).toBe(ApplyPhase.WORKLOADS);
  });

  test('readinessOf: CRDs are Established, apps/v1 Deployments, StatefulSets and DaemonSets roll out; nothing else waits', () => {
    const waiting = BUILTIN_KINDS.filter(k => k.readiness).map(k => `${k.group}/${k.kind}=${k.readiness}`);
    expect(waiting).toEqual(['apps/Deployment=rollout', 'apps/StatefulSet=rollout', 'apps/DaemonSet=rollout', 'apiextensions.k8s.io/CustomResourceDefinition=established']);
    expect(readinessOf('apps/v1', 'ReplicaSet')).toBeUndefined();
    expect(readinessOf('example.com/v1', 'Deployment')).toBeUndefined();
    expect(builtinKind('apps/v1beta2', 'StatefulSet')?.plural).toBe('statefulsets');
    expect(apiGroupOf('v1')).toBe('');
    expect(apiGroupOf('networking.k8s.io/v1')).toBe('networking.k8s.io');
  });
});
