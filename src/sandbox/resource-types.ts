import { GroupResource } from './errors';
import { JsonObject } from './json';

/** A kind the sandbox serves at one group/version. */
export interface ResourceType extends GroupResource {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly listKind: string;
  readonly namespaced: boolean;
  readonly shortNames: string[];
  readonly categories: string[];
  /** Whether `/status` is a subresource (then writes to the main resource ignore `status`, and vice versa). */
  readonly statusSubresource: boolean;
  /** Whether `metadata.generation` is kept and bumped on changes outside metadata and status. */
  readonly generation: boolean;
  /** Name of the CustomResourceDefinition that defines this kind (custom resources only). */
  readonly crd?: string;
  /** The CRD version's `openAPIV3Schema` (custom resources only). */
  readonly schema?: JsonObject;
  /** The version objects are stored in, when the kind is served at several versions (custom resources). */
  readonly storageVersion?: string;
}

/** The verbs every sandbox resource supports. */
export const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** `group/version`, or just `version` for the core group. */
export function groupVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** Splits an apiVersion into group and version. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** Storage key shared by every version of a resource: `group/plural`. */
export function storageKey(r: GroupResource): string {
  return `${r.group}/${r.plural}`;
}

/**
 * Orders Kubernetes versions the way the API server prefers them:
 * GA before beta before alpha, higher numbers first, then anything else alphabetically.
 */
export function compareKubeVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number, string] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [3, 0, 0, v];
    const level = m[2] === undefined ? 0 : m[2] === 'beta' ? 1 : 2;
    return [level, -Number(m[1]), -Number(m[3] ?? 0), v];
  };
  const ra = rank(a);
  const rb = rank(b);
  for (let i = 0; i < 3; i++) if (ra[i] !== rb[i]) return (ra[i] as number) - (rb[i] as number);
  return ra[3].localeCompare(rb[3]);
}

interface BuiltinSpec {
  readonly gv: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
  readonly short?: string[];
  readonly status?: boolean;
  readonly generation?: boolean;
  readonly all?: boolean;
}

const BUILTINS: BuiltinSpec[] = [
  { gv: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false, short: ['ns'], status: true },
  { gv: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, short: ['cm'] },
  { gv: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  { gv: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true, short: ['sa'] },
  { gv: 'v1', kind: 'Service', plural: 'services', namespaced: true, short: ['svc'], status: true, all: true },
  { gv: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', namespaced: true, short: ['pvc'], status: true },
  { gv: 'v1', kind: 'LimitRange', plural: 'limitranges', namespaced: true, short: ['limits'] },
  { gv: 'v1', kind: 'ResourceQuota', plural: 'resourcequotas', namespaced: true, short: ['quota'], status: true },
  { gv: 'v1', kind: 'Event', plural: 'events', namespaced: true, short: ['ev'] },
  { gv: 'v1', kind: 'Node', plural: 'nodes', namespaced: false, short: ['no'], status: true },
  { gv: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true, short: ['deploy'], status: true, generation: true, all: true },
  { gv: 'apps/v1', kind: 'StatefulSet', plural: 'statefulsets', namespaced: true, short: ['sts'], status: true, generation: true, all: true },
  { gv: 'apps/v1', kind: 'ReplicaSet', plural: 'replicasets', namespaced: true, short: ['rs'], status: true, generation: true, all: true },
  { gv: 'apps/v1', kind: 'DaemonSet', plural: 'daemonsets', namespaced: true, short: ['ds'], status: true, generation: true, all: true },
  { gv: 'batch/v1', kind: 'Job', plural: 'jobs', namespaced: true, status: true, generation: true, all: true },
  { gv: 'batch/v1', kind: 'CronJob', plural: 'cronjobs', namespaced: true, short: ['cj'], status: true, generation: true, all: true },
  { gv: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', namespaced: true, short: ['hpa'], status: true, all: true },
  { gv: 'policy/v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true, short: ['pdb'], status: true, generation: true },
  { gv: 'rbac.authorization.k8s.io/v1', kind: 'Role', plural: 'roles', namespaced: true },
  { gv: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', plural: 'rolebindings', namespaced: true },
  { gv: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', plural: 'clusterroles', namespaced: false },
  { gv: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false },
  { gv: 'networking.k8s.io/v1', kind: 'Ingress', plural: 'ingresses', namespaced: true, short: ['ing'], status: true, generation: true },
  { gv: 'networking.k8s.io/v1', kind: 'NetworkPolicy', plural: 'networkpolicies', namespaced: true, short: ['netpol'], generation: true },
  {
    gv: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    plural: 'customresourcedefinitions',
    namespaced: false,
    short: ['crd', 'crds'],
    status: true,
    generation: true,
  },
  {
    gv: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    plural: 'validatingwebhookconfigurations',
    namespaced: false,
    generation: true,
  },
  {
    gv: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    plural: 'mutatingwebhookconfigurations',
    namespaced: false,
    generation: true,
  },
  { gv: 'coordination.k8s.io/v1', kind: 'Lease', plural: 'leases', namespaced: true },
];

/** The built-in kinds of the sandbox, in discovery order. */
export function builtinTypes(): ResourceType[] {
  return BUILTINS.map((b) => {
    const { group, version } = parseApiVersion(b.gv);
    return {
      group,
      version,
      kind: b.kind,
      plural: b.plural,
      singular: b.kind.toLowerCase(),
      listKind: `${b.kind}List`,
      namespaced: b.namespaced,
      shortNames: b.short ?? [],
      categories: b.all ? ['all'] : [],
      statusSubresource: b.status ?? false,
      generation: b.generation ?? false,
    };
  });
}

/** Order of the built-in groups in `/apis` (CRD groups follow, alphabetically). */
const BUILTIN_GROUP_ORDER = [
  'apps', 'batch', 'autoscaling', 'policy', 'rbac.authorization.k8s.io', 'networking.k8s.io',
  'apiextensions.k8s.io', 'admissionregistration.k8s.io', 'coordination.k8s.io',
];

/** The set of kinds a sandbox cluster currently serves: the built-ins plus the established CRDs. */
export class ResourceTypes {
  private readonly types: ResourceType[] = [];

  constructor(initial: ResourceType[] = builtinTypes()) {
    this.types.push(...initial);
  }

  /** Every served type. */
  public all(): ResourceType[] {
    return [...this.types];
  }

  /** Types served at a group/version, in registration order. */
  public inGroupVersion(group: string, version: string): ResourceType[] {
    return this.types.filter((t) => t.group === group && t.version === version);
  }

  /** The type for a plural resource name at a group/version. */
  public byResource(group: string, version: string, plural: string): ResourceType | undefined {
    return this.types.find((t) => t.group === group && t.version === version && t.plural === plural);
  }

  /** The type for a kind at an apiVersion. */
  public byKind(apiVersion: string, kind: string): ResourceType | undefined {
    const { group, version } = parseApiVersion(apiVersion);
    return this.types.find((t) => t.group === group && t.version === version && t.kind === kind);
  }

  /** Any served version of a group/resource (for storage-level operations). */
  public anyVersion(group: string, plural: string): ResourceType | undefined {
    return this.types.find((t) => t.group === group && t.plural === plural);
  }

  /** Whether the group/version is served at all. */
  public servesGroupVersion(group: string, version: string): boolean {
    return this.types.some((t) => t.group === group && t.version === version);
  }

  /** Served groups (core excluded) with their versions, preferred first. */
  public groups(): Array<{ name: string; versions: string[] }> {
    const byGroup = new Map<string, Set<string>>();
    for (const t of this.types) {
      if (!t.group) continue;
      if (!byGroup.has(t.group)) byGroup.set(t.group, new Set());
      byGroup.get(t.group)!.add(t.version);
    }
    const order = (g: string) => {
      const i = BUILTIN_GROUP_ORDER.indexOf(g);
      return i < 0 ? BUILTIN_GROUP_ORDER.length : i;
    };
    return [...byGroup.keys()]
      .sort((a, b) => order(a) - order(b) || a.localeCompare(b))
      .map((name) => ({ name, versions: [...byGroup.get(name)!].sort(compareKubeVersions) }));
  }

  /** Replaces every type a CRD defines (an empty list unregisters it). */
  public setCrdTypes(crdName: string, types: ResourceType[]): void {
    for (let i = this.types.length - 1; i >= 0; i--) {
      if (this.types[i].crd === crdName) this.types.splice(i, 1);
    }
    this.types.push(...types);
  }
}
