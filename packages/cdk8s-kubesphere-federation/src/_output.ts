import { Chart } from 'cdk8s';

/**
 * The apply phases, in order. Each synthesized object belongs to exactly one.
 */
export enum ApplyPhase {
  /** CustomResourceDefinitions; `ksfed` waits for them to be Established. */
  CRDS = 'crds',
  /** Namespaces. */
  NAMESPACES = 'namespaces',
  /** ClusterRoles, ClusterRoleBindings, Roles and RoleBindings. */
  RBAC = 'rbac',
  /** ServiceAccounts, ConfigMaps, Secrets and other configuration. */
  CONFIG = 'config',
  /** Deployments, StatefulSets, Services and other workloads; `ksfed` waits for rollouts. */
  WORKLOADS = 'workloads',
  /** Admission webhook configurations, once the webhook servers run. */
  WEBHOOKS = 'webhooks',
  /** Every other custom resource. */
  CUSTOM_RESOURCES = 'custom-resources',
}

export const PHASE_ORDER = [
  ApplyPhase.CRDS, ApplyPhase.NAMESPACES, ApplyPhase.RBAC, ApplyPhase.CONFIG, ApplyPhase.WORKLOADS, ApplyPhase.WEBHOOKS, ApplyPhase.CUSTOM_RESOURCES,
];

const BUILTIN_GROUPS = new Set([
  '', 'apps', 'batch', 'rbac.authorization.k8s.io', 'networking.k8s.io', 'policy', 'autoscaling', 'storage.k8s.io',
  'scheduling.k8s.io', 'coordination.k8s.io', 'apiextensions.k8s.io', 'admissionregistration.k8s.io', 'apiregistration.k8s.io',
  'discovery.k8s.io', 'node.k8s.io', 'certificates.k8s.io',
]);

const KIND_PHASE: { [kind: string]: ApplyPhase } = {
  CustomResourceDefinition: ApplyPhase.CRDS,
  Namespace: ApplyPhase.NAMESPACES,
  ClusterRole: ApplyPhase.RBAC,
  ClusterRoleBinding: ApplyPhase.RBAC,
  Role: ApplyPhase.RBAC,
  RoleBinding: ApplyPhase.RBAC,
  ServiceAccount: ApplyPhase.CONFIG,
  ConfigMap: ApplyPhase.CONFIG,
  Secret: ApplyPhase.CONFIG,
  LimitRange: ApplyPhase.CONFIG,
  ResourceQuota: ApplyPhase.CONFIG,
  PersistentVolumeClaim: ApplyPhase.CONFIG,
  PriorityClass: ApplyPhase.CONFIG,
  StorageClass: ApplyPhase.CONFIG,
  NetworkPolicy: ApplyPhase.CONFIG,
  ValidatingWebhookConfiguration: ApplyPhase.WEBHOOKS,
  MutatingWebhookConfiguration: ApplyPhase.WEBHOOKS,
  APIService: ApplyPhase.WEBHOOKS,
};

/**
 * The apply phase of an object, from its apiVersion and kind.
 */
export function phaseOf(apiVersion: string, kind: string): ApplyPhase {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  if (!BUILTIN_GROUPS.has(group)) return ApplyPhase.CUSTOM_RESOURCES;
  return KIND_PHASE[kind] ?? ApplyPhase.WORKLOADS;
}

export const WAIT_FOR: { [kind: string]: string } = {
  CustomResourceDefinition: 'established',
  Deployment: 'rollout',
  StatefulSet: 'rollout',
  DaemonSet: 'rollout',
};

/** The role of a cluster in the federation. */
export enum ClusterRole {
  /** The cluster with the central control plane (KubeFed, tower). */
  HOST = 'host',
  /** A cluster managed by the host. */
  MEMBER = 'member',
}

/**
 * What every cluster chart tells the app about itself.
 */
export interface ClusterRegistration {
  readonly chart: Chart;
  readonly clusterName: string;
  readonly role: ClusterRole;
  readonly context: string;
  readonly connection?: string;
  /** JSON-able details written to federation.json (region, group, capacity...). */
  readonly details: () => { [key: string]: unknown };
}

