/**
 * The built-in Kubernetes kinds the project knows, in one table: what synth needs (the apply phase and the
 * readiness rule written to federation.json), what `ksfed` needs (REST names without a discovery request, what to
 * wait for) and what the sandbox serves (scope, short names, subresources).
 *
 * Like federation-json.ts, beside it, this module imports nothing at run time.
 */
import type { PhaseName, WaitFor } from './federation-json';

/** One built-in kind at the group/version the project writes and the sandbox serves. */
export interface BuiltinKind {
  /** The API group; `''` for the core group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** The resource name in REST paths. */
  readonly plural: string;
  /** Namespaced (true) or cluster-scoped. */
  readonly namespaced: boolean;
  /** The apply phase of its objects. */
  readonly phase: PhaseName;
  /** What `ksfed` waits for once one is applied. */
  readonly readiness?: WaitFor;
  /** The Kubernetes minor release from which on this group/version serves the kind (`19` for 1.19). */
  readonly servedSince: number;
  readonly shortNames?: readonly string[];
  /** `all` for the kinds `kubectl get all` lists. */
  readonly categories?: readonly string[];
  /** Whether `/status` is a subresource. */
  readonly statusSubresource?: boolean;
  /** Whether `metadata.generation` is bumped on changes outside metadata and status. */
  readonly generation?: boolean;
}

/** The API groups of Kubernetes itself: every kind of another group is a custom resource. */
export const BUILTIN_GROUPS: readonly string[] = [
  '', 'apps', 'batch', 'rbac.authorization.k8s.io', 'networking.k8s.io', 'policy', 'autoscaling', 'storage.k8s.io',
  'scheduling.k8s.io', 'coordination.k8s.io', 'apiextensions.k8s.io', 'admissionregistration.k8s.io', 'apiregistration.k8s.io',
  'discovery.k8s.io', 'node.k8s.io', 'certificates.k8s.io',
];

const NS = true;
const CLUSTER = false;
const ALL = { categories: ['all'] };
const STATUS = { statusSubresource: true };
const STATUS_GENERATION = { statusSubresource: true, generation: true };
const ADMISSION = 'admissionregistration.k8s.io/v1';

/** The built-in kinds, in the sandbox's discovery order (groups in order of first appearance). */
export const BUILTIN_KINDS: readonly BuiltinKind[] = [
  row('v1', 'Namespace', 'namespaces', CLUSTER, 'namespaces', 0, { shortNames: ['ns'], ...STATUS }),
  row('v1', 'ConfigMap', 'configmaps', NS, 'config', 0, { shortNames: ['cm'] }),
  row('v1', 'Secret', 'secrets', NS, 'config', 0),
  row('v1', 'ServiceAccount', 'serviceaccounts', NS, 'config', 0, { shortNames: ['sa'] }),
  row('v1', 'Service', 'services', NS, 'workloads', 0, { shortNames: ['svc'], ...STATUS, ...ALL }),
  row('v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', NS, 'config', 0, { shortNames: ['pvc'], ...STATUS }),
  row('v1', 'LimitRange', 'limitranges', NS, 'config', 0, { shortNames: ['limits'] }),
  row('v1', 'ResourceQuota', 'resourcequotas', NS, 'config', 0, { shortNames: ['quota'], ...STATUS }),
  row('v1', 'Event', 'events', NS, 'workloads', 0, { shortNames: ['ev'] }),
  row('v1', 'Node', 'nodes', CLUSTER, 'config', 0, { shortNames: ['no'], ...STATUS }),
  row('apps/v1', 'Deployment', 'deployments', NS, 'workloads', 9, { readiness: 'rollout', shortNames: ['deploy'], ...STATUS_GENERATION, ...ALL }),
  row('apps/v1', 'StatefulSet', 'statefulsets', NS, 'workloads', 9, { readiness: 'rollout', shortNames: ['sts'], ...STATUS_GENERATION, ...ALL }),
  row('apps/v1', 'ReplicaSet', 'replicasets', NS, 'workloads', 9, { shortNames: ['rs'], ...STATUS_GENERATION, ...ALL }),
  row('apps/v1', 'DaemonSet', 'daemonsets', NS, 'workloads', 9, { readiness: 'rollout', shortNames: ['ds'], ...STATUS_GENERATION, ...ALL }),
  row('batch/v1', 'Job', 'jobs', NS, 'workloads', 2, { ...STATUS_GENERATION, ...ALL }),
  row('batch/v1', 'CronJob', 'cronjobs', NS, 'workloads', 21, { shortNames: ['cj'], ...STATUS_GENERATION, ...ALL }),
  row('autoscaling/v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', NS, 'workloads', 23, { shortNames: ['hpa'], ...STATUS, ...ALL }),
  row('policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets', NS, 'workloads', 21, { shortNames: ['pdb'], ...STATUS_GENERATION }),
  row('rbac.authorization.k8s.io/v1', 'Role', 'roles', NS, 'rbac', 8),
  row('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings', NS, 'rbac', 8),
  row('rbac.authorization.k8s.io/v1', 'ClusterRole', 'clusterroles', CLUSTER, 'rbac', 8),
  row('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'clusterrolebindings', CLUSTER, 'rbac', 8),
  row('networking.k8s.io/v1', 'Ingress', 'ingresses', NS, 'workloads', 19, { shortNames: ['ing'], ...STATUS_GENERATION }),
  row('networking.k8s.io/v1', 'NetworkPolicy', 'networkpolicies', NS, 'config', 7, { shortNames: ['netpol'], generation: true }),
  row('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'customresourcedefinitions', CLUSTER, 'crds', 16,
    { readiness: 'established', shortNames: ['crd', 'crds'], ...STATUS_GENERATION }),
  row(ADMISSION, 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', CLUSTER, 'webhooks', 16, { generation: true }),
  row(ADMISSION, 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', CLUSTER, 'webhooks', 16, { generation: true }),
  row('coordination.k8s.io/v1', 'Lease', 'leases', NS, 'workloads', 14),
  row('scheduling.k8s.io/v1', 'PriorityClass', 'priorityclasses', CLUSTER, 'config', 14, { shortNames: ['pc'] }),
  row('storage.k8s.io/v1', 'StorageClass', 'storageclasses', CLUSTER, 'config', 6, { shortNames: ['sc'] }),
  row('apiregistration.k8s.io/v1', 'APIService', 'apiservices', CLUSTER, 'webhooks', 10, STATUS),
];

/** One row of the table: the columns every kind has, then the rest. */
function row(
  groupVersion: string, kind: string, plural: string, namespaced: boolean, phase: PhaseName, servedSince: number,
  more: Pick<BuiltinKind, 'readiness' | 'shortNames' | 'categories' | 'statusSubresource' | 'generation'> = {},
): BuiltinKind {
  const i = groupVersion.indexOf('/');
  const [group, version] = i < 0 ? ['', groupVersion] : [groupVersion.slice(0, i), groupVersion.slice(i + 1)];
  return { group, version, kind, plural, namespaced, phase, servedSince, ...more };
}

/** The API group of an apiVersion (`''` for the core group). */
export function apiGroupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

const BY_GROUP_KIND = new Map(BUILTIN_KINDS.map(k => [`${k.group}/${k.kind}`, k]));

/** The built-in kind of an object (any version of its group), if the table has it. */
export function builtinKind(apiVersion: string, kind: string): BuiltinKind | undefined {
  return BY_GROUP_KIND.get(`${apiGroupOf(apiVersion)}/${kind}`);
}

/**
 * The apply phase of an object: its kind's in the table; other kinds of a built-in group are workloads; kinds of
 * every other group are custom resources.
 */
export function phaseOf(apiVersion: string, kind: string): PhaseName {
  if (!BUILTIN_GROUPS.includes(apiGroupOf(apiVersion))) return 'custom-resources';
  return builtinKind(apiVersion, kind)?.phase ?? 'workloads';
}

/** What `ksfed` waits for once an object of this kind is applied, if anything. */
export function readinessOf(apiVersion: string, kind: string): WaitFor | undefined {
  return builtinKind(apiVersion, kind)?.readiness;
}
