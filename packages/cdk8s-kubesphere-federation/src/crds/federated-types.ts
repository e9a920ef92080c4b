/**
 * The 28 FederatedTypeConfigs KubeSphere v3.4.1 enables (facts sheet §3.7),
 * as typed data, plus generators for each type's `types.kubefed.io`
 * Federated CRD (facts §3.8) and its FederatedTypeConfig object.
 */
import { arr, bool, crd, int, JsonSchema, labelSelector, listMap, obj, preserve, resource, str, anyValue } from './schema';
import { builtinKind } from '../contract/kinds';

/** API group of every Federated<Kind> type. */
export const FEDERATED_TYPES_GROUP = 'types.kubefed.io';
/** Namespace of the KubeFed control plane (and of the FederatedTypeConfigs). */
export const KUBEFED_NAMESPACE = 'kube-federation-system';
/** KubeFed's pattern for an override `op` (empty means `replace`). */
export const OVERRIDE_OP_PATTERN = '^(add|remove|replace)?$';

export type Scope = 'Namespaced' | 'Cluster';

/** The target type a FederatedTypeConfig federates. */
export interface FederatedTarget {
  /** API group; `''` for the core group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly scope: Scope;
}

/** One federated type: its FederatedTypeConfig, its Federated CRD and its target. */
export interface FederatedTypeInfo {
  /** FederatedTypeConfig name: `<target plural>.<target group>` (core group: just the plural). */
  readonly ftcName: string;
  readonly federatedKind: string;
  readonly federatedPlural: string;
  readonly federatedVersion: string;
  readonly federatedScope: Scope;
  readonly target: FederatedTarget;
  /** Short names of the Federated CRD, where known. */
  readonly shortNames?: readonly string[];
}

function ft(
  federatedKind: string,
  federatedPlural: string,
  federatedVersion: string,
  federatedScope: Scope,
  target: FederatedTarget,
  shortNames?: readonly string[],
): FederatedTypeInfo {
  const ftcName = target.group ? `${target.plural}.${target.group}` : target.plural;
  return shortNames
    ? { ftcName, federatedKind, federatedPlural, federatedVersion, federatedScope, target, shortNames }
    : { ftcName, federatedKind, federatedPlural, federatedVersion, federatedScope, target };
}

const NS: Scope = 'Namespaced';
const CL: Scope = 'Cluster';

/** A built-in kind as a target: group, version, plural and scope from the table of kinds (src/contract/kinds.ts). */
function builtin(apiVersion: string, kind: string): FederatedTarget {
  const k = builtinKind(apiVersion, kind);
  if (!k) throw new Error(`${apiVersion} ${kind} is not in the table of kinds (src/contract/kinds.ts)`);
  return { group: k.group, version: k.version, kind: k.kind, plural: k.plural, scope: k.namespaced ? NS : CL };
}
const IAM = 'iam.kubesphere.io';
const NOTIFICATION = 'notification.kubesphere.io';

/**
 * The 28 federated types of KubeSphere v3.4.1, sorted by FTC name.
 *
 * Short names: `fdeploy`, `fsvc`, `fcm`, `fns` are from the facts sheet (§3.7);
 * `fsts` and `fing` are taken from the upstream Federated CRDs
 * (federatedstatefulsets / federatedingresses.types.kubefed.io.yaml). The other
 * types get none: we do not guess names that could clash.
 */
export const FEDERATED_TYPES: readonly FederatedTypeInfo[] = [
  ft('FederatedApplication', 'federatedapplications', 'v1beta1', NS,
    { group: 'app.k8s.io', version: 'v1beta1', kind: 'Application', plural: 'applications', scope: NS }),
  ft('FederatedClusterRoleBinding', 'federatedclusterrolebindings', 'v1beta1', CL,
    builtin('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding')),
  ft('FederatedClusterRole', 'federatedclusterroles', 'v1beta1', CL,
    builtin('rbac.authorization.k8s.io/v1', 'ClusterRole')),
  ft('FederatedConfigMap', 'federatedconfigmaps', 'v1beta1', NS,
    builtin('v1', 'ConfigMap'), ['fcm']),
  ft('FederatedNotificationConfig', 'federatednotificationconfigs', 'v1beta2', CL,
    { group: NOTIFICATION, version: 'v2beta2', kind: 'Config', plural: 'configs', scope: CL }),
  ft('FederatedDeployment', 'federateddeployments', 'v1beta1', NS,
    builtin('apps/v1', 'Deployment'), ['fdeploy']),
  ft('FederatedGlobalRoleBinding', 'federatedglobalrolebindings', 'v1beta1', CL,
    { group: IAM, version: 'v1alpha2', kind: 'GlobalRoleBinding', plural: 'globalrolebindings', scope: CL }),
  ft('FederatedGlobalRole', 'federatedglobalroles', 'v1beta1', CL,
    { group: IAM, version: 'v1alpha2', kind: 'GlobalRole', plural: 'globalroles', scope: CL }),
  ft('FederatedGroupBinding', 'federatedgroupbindings', 'v1beta1', CL,
    { group: IAM, version: 'v1alpha2', kind: 'GroupBinding', plural: 'groupbindings', scope: CL }),
  ft('FederatedGroup', 'federatedgroups', 'v1beta1', CL,
    { group: IAM, version: 'v1alpha2', kind: 'Group', plural: 'groups', scope: CL }),
  ft('FederatedIngress', 'federatedingresses', 'v1beta1', NS,
    builtin('networking.k8s.io/v1', 'Ingress'), ['fing']),
  ft('FederatedJob', 'federatedjobs', 'v1beta1', NS,
    builtin('batch/v1', 'Job')),
  ft('FederatedLimitRange', 'federatedlimitranges', 'v1beta1', NS,
    builtin('v1', 'LimitRange')),
  ft('FederatedNamespace', 'federatednamespaces', 'v1beta1', NS,
    builtin('v1', 'Namespace'), ['fns']),
  ft('FederatedNotificationManager', 'federatednotificationmanagers', 'v1beta2', CL,
    { group: NOTIFICATION, version: 'v2beta2', kind: 'NotificationManager', plural: 'notificationmanagers', scope: CL }),
  ft('FederatedPersistentVolumeClaim', 'federatedpersistentvolumeclaims', 'v1beta1', NS,
    builtin('v1', 'PersistentVolumeClaim')),
  ft('FederatedNotificationReceiver', 'federatednotificationreceivers', 'v1beta2', CL,
    { group: NOTIFICATION, version: 'v2beta2', kind: 'Receiver', plural: 'receivers', scope: CL }),
  ft('FederatedReplicaSet', 'federatedreplicasets', 'v1beta1', NS,
    builtin('apps/v1', 'ReplicaSet')),
  ft('FederatedNotificationRouter', 'federatednotificationrouters', 'v1beta2', CL,
    { group: NOTIFICATION, version: 'v2beta2', kind: 'Router', plural: 'routers', scope: CL }),
  ft('FederatedSecret', 'federatedsecrets', 'v1beta1', NS,
    builtin('v1', 'Secret')),
  ft('FederatedServiceAccount', 'federatedserviceaccounts', 'v1beta1', NS,
    builtin('v1', 'ServiceAccount')),
  ft('FederatedService', 'federatedservices', 'v1beta1', NS,
    builtin('v1', 'Service'), ['fsvc']),
  ft('FederatedNotificationSilence', 'federatednotificationsilences', 'v1beta2', CL,
    { group: NOTIFICATION, version: 'v2beta2', kind: 'Silence', plural: 'silences', scope: CL }),
  ft('FederatedStatefulSet', 'federatedstatefulsets', 'v1beta1', NS,
    builtin('apps/v1', 'StatefulSet'), ['fsts']),
  ft('FederatedUser', 'federatedusers', 'v1beta1', CL,
    { group: IAM, version: 'v1alpha2', kind: 'User', plural: 'users', scope: CL }),
  ft('FederatedWorkspaceRoleBinding', 'federatedworkspacerolebindings', 'v1beta1', CL,
    { group: IAM, version: 'v1alpha2', kind: 'WorkspaceRoleBinding', plural: 'workspacerolebindings', scope: CL }),
  ft('FederatedWorkspaceRole', 'federatedworkspaceroles', 'v1beta1', CL,
    { group: IAM, version: 'v1alpha2', kind: 'WorkspaceRole', plural: 'workspaceroles', scope: CL }),
  ft('FederatedWorkspace', 'federatedworkspaces', 'v1beta1', CL,
    { group: 'tenant.kubesphere.io', version: 'v1alpha1', kind: 'Workspace', plural: 'workspaces', scope: CL }),
];

/** Target kinds whose Federated type has `spec.retainReplicas` (facts §3.8). */
const RETAIN_REPLICAS_TARGETS: ReadonlySet<string> = new Set(['apps/Deployment', 'apps/StatefulSet', 'apps/ReplicaSet']);

/** Splits `apiVersion` into group (`''` for core) and version. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.lastIndexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** `apiVersion` of a federated type (`types.kubefed.io/<version>`). */
export function federatedApiVersion(t: FederatedTypeInfo): string {
  return `${FEDERATED_TYPES_GROUP}/${t.federatedVersion}`;
}

/** `apiVersion` of a federated type's target (`v1`, `apps/v1`, ...). */
export function targetApiVersion(t: FederatedTypeInfo): string {
  return t.target.group ? `${t.target.group}/${t.target.version}` : t.target.version;
}

/**
 * The federated type for a target object's `apiVersion` and `kind`
 * (exact group, version and kind), or `undefined` when KubeSphere does not federate it.
 */
export function federatedTypeForTarget(apiVersion: string, kind: string): FederatedTypeInfo | undefined {
  const { group, version } = parseApiVersion(apiVersion);
  return FEDERATED_TYPES.find(x => x.target.group === group && x.target.version === version && x.target.kind === kind);
}

/** The federated type with this Federated kind (e.g. `FederatedDeployment`), or `undefined`. */
export function federatedTypeByKind(federatedKind: string): FederatedTypeInfo | undefined {
  return FEDERATED_TYPES.find(x => x.federatedKind === federatedKind);
}

/** The federated type with this FederatedTypeConfig name (e.g. `deployments.apps`), or `undefined`. */
export function federatedTypeByFtcName(ftcName: string): FederatedTypeInfo | undefined {
  return FEDERATED_TYPES.find(x => x.ftcName === ftcName);
}

/** Whether the Federated type of `t` has `spec.retainReplicas`. */
export function hasRetainReplicas(t: FederatedTypeInfo): boolean {
  return RETAIN_REPLICAS_TARGETS.has(`${t.target.group}/${t.target.kind}`);
}

/** `spec.placement`: an explicit cluster list (wins when present) or a label selector over KubeFedCluster labels. */
export function placementSchema(): JsonSchema {
  return obj({
    clusters: listMap('name', { name: str() }, { description: 'Explicit cluster list; when present (even empty) the selector is ignored.' }),
    clusterSelector: labelSelector({ description: 'Used only when clusters is absent; {} selects every cluster.' }),
  });
}

/**
 * `spec.overrides`: per-cluster JSON-patch-like changes.
 * @param clusterNameRequired the installed WorkspaceTemplate CRD requires `clusterName`, the Federated CRDs do not
 */
export function overridesSchema(clusterNameRequired = false): JsonSchema {
  return arr(obj({
    clusterName: str(),
    clusterOverrides: arr(obj({
      op: str({ pattern: OVERRIDE_OP_PATTERN, description: 'add, remove or replace (default).' }),
      path: str({ description: 'JSON pointer into the target object.' }),
      value: anyValue(),
    }, ['path'])),
  }, clusterNameRequired ? ['clusterName'] : []));
}

/** `status` written by KubeFed on every Federated object. */
function federatedStatusSchema(): JsonSchema {
  return obj({
    observedGeneration: int(),
    // Condition items declare what we read (type, status); the rest is kept.
    conditions: arr(obj({ type: str(), status: str() }, [], { preserveUnknown: true })),
    clusters: arr(obj({ name: str(), status: str(), remoteStatus: preserve() })),
  });
}

/** The `types.kubefed.io` CRD of one federated type (facts §3.8). */
export function federatedCrd(t: FederatedTypeInfo): any {
  const spec: Record<string, JsonSchema> = {
    template: preserve({ description: `The ${t.target.kind} to propagate, without apiVersion, kind, name and namespace.` }),
    placement: placementSchema(),
    overrides: overridesSchema(),
  };
  if (hasRetainReplicas(t)) {
    spec.retainReplicas = bool();
  }
  return crd({
    group: FEDERATED_TYPES_GROUP,
    kind: t.federatedKind,
    plural: t.federatedPlural,
    shortNames: t.shortNames,
    scope: t.federatedScope,
    versions: [{
      name: t.federatedVersion,
      schema: resource({ spec: obj(spec), status: federatedStatusSchema() }, ['spec']),
      // The status subresource is taken from the upstream Federated CRDs (the facts sheet is silent).
      subresources: { status: true },
    }],
  });
}

/** The FederatedTypeConfig object that enables `t` (propagation Enabled). */
export function federatedTypeConfig(t: FederatedTypeInfo, namespace: string = KUBEFED_NAMESPACE): any {
  const target: Record<string, unknown> = {};
  if (t.target.group) {
    target.group = t.target.group;
  }
  Object.assign(target, { kind: t.target.kind, pluralName: t.target.plural, scope: t.target.scope, version: t.target.version });
  return {
    apiVersion: 'core.kubefed.io/v1beta1',
    kind: 'FederatedTypeConfig',
    metadata: { name: t.ftcName, namespace },
    spec: {
      federatedType: {
        group: FEDERATED_TYPES_GROUP,
        kind: t.federatedKind,
        pluralName: t.federatedPlural,
        scope: t.federatedScope,
        version: t.federatedVersion,
      },
      propagation: 'Enabled',
      targetType: target,
    },
  };
}

/** All 28 Federated CRDs, in `FEDERATED_TYPES` order. */
export function federatedCrds(): any[] {
  return FEDERATED_TYPES.map(federatedCrd);
}

/** All 28 FederatedTypeConfig objects, in `FEDERATED_TYPES` order. */
export function federatedTypeConfigs(namespace: string = KUBEFED_NAMESPACE): any[] {
  return FEDERATED_TYPES.map(x => federatedTypeConfig(x, namespace));
}
