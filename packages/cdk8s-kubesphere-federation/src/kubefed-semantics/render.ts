import { deepCopy } from './json-pointer';
import { applyOverrides, ClusterOverrides, MANAGED_LABEL_KEY, OverrideError, overridesForCluster } from './overrides';
import { ClusterInfo, effectivePlacement, PlacementSpec, resolvePlacement } from './placement';
import { ReplicaState, SCHEDULABLE_KINDS, scheduleFederated, SchedulingError, SchedulingPreference } from './planner';

/** The type a federated type propagates (FederatedTypeConfig `spec.targetType`), as apiVersion and kind. */
export interface TargetType {
  readonly apiVersion: string;
  readonly kind: string;
}

/** What the engine needs to know beyond the federated object itself. */
export interface RenderOptions {
  /**
   * The joined clusters with their labels, needed to evaluate `clusterSelector` and to drop
   * placement entries that are not clusters. Required with a scheduling preference.
   * @default - renderForCluster: only the cluster being rendered, without labels; placedClusters and renderAll: none
   */
  readonly clusters?: readonly ClusterInfo[];
  /**
   * Whether the federated type is namespaced (KubeFed takes it from the FederatedTypeConfig).
   * @default - true when `metadata.namespace` is set and the target is not a Namespace
   */
  readonly namespaced?: boolean;
  /**
   * Placement of the FederatedNamespace of a namespaced object; the object only reaches the
   * clusters both select. null: there is no FederatedNamespace, so KubeFed propagates the object nowhere.
   * @default - the namespace placement is not taken into account
   */
  readonly namespacePlacement?: PlacementSpec | null;
  /** A ReplicaSchedulingPreference with the object's namespace and name. @default - none */
  readonly schedulingPreference?: SchedulingPreference;
  /** Live replica state for the scheduler. @default - none */
  readonly replicaState?: ReplicaState;
}

/**
 * The clusters KubeFed propagates the object to, sorted: the RSP's rewrite of the placement first
 * (when a preference is given), then the placement rules of {@link effectivePlacement}.
 * A FederatedNamespace (target kind Namespace) is only subject to its own placement.
 */
export function placedClusters(fedObj: any, target: TargetType, options: RenderOptions = {}): string[] {
  const obj = scheduled(fedObj, options);
  const clusters = options.clusters ?? [];
  const namespaced = isNamespaced(fedObj, target, options);
  const placement: PlacementSpec | undefined = obj?.spec?.placement;
  if (!namespaced || options.namespacePlacement === undefined) return resolvePlacement(placement, clusters);
  return effectivePlacement(placement, options.namespacePlacement, clusters, true);
}

/**
 * The object KubeFed v0.8.1 creates in `cluster`, or undefined when the object is not placed there
 * (kubefed pkg/controller/sync/resource.go `ObjectForCluster` + `ApplyOverrides`):
 * - the body is `spec.template` (an empty object when absent);
 * - template `metadata.annotations` and `metadata.finalizers` are dropped (KubeFed reports
 *   AnnotationsNotSupported / FinalizersNotSupported; only overrides can set them);
 * - `metadata.name` and, unless the target is a Namespace, `metadata.namespace` come from the federated object;
 * - `kind` is the target kind; `apiVersion` is the template's when set, else the target's;
 * - with a scheduling preference, the RSP's placement and `/spec/replicas` overrides are applied first;
 * - the cluster's overrides are applied as JSON Patch, then label `kubefed.io/managed: "true"` is set
 *   (on the labels as they are, or alone when they are not all strings, as apimachinery's GetLabels reads them).
 * Throws OverrideError for overrides KubeFed rejects or cannot apply (propagation would fail).
 */
export function renderForCluster(fedObj: any, target: TargetType, cluster: string, options: RenderOptions = {}): any | undefined {
  const obj = scheduled(fedObj, options);
  const clusters = options.clusters ?? [{ name: cluster }];
  if (!placedClusters(obj, target, { ...options, clusters, schedulingPreference: undefined }).includes(cluster)) return undefined;
  return memberObject(obj, target, cluster);
}

/** {@link renderForCluster} for every cluster the object is placed on, keyed by cluster name. */
export function renderAll(fedObj: any, target: TargetType, options: RenderOptions = {}): Record<string, any> {
  const obj = scheduled(fedObj, options);
  const out: Record<string, any> = {};
  for (const cluster of placedClusters(obj, target, { ...options, schedulingPreference: undefined })) {
    out[cluster] = memberObject(obj, target, cluster);
  }
  return out;
}

/**
 * The member object for `cluster` regardless of placement (template, identity, overrides,
 * managed label), as {@link renderForCluster} describes.
 */
export function memberObject(fedObj: any, target: TargetType, cluster: string): any {
  const template = fedObj?.spec?.template;
  const { apiVersion, kind: _kind, metadata: rawMeta, ...rest } = isPlainObject(template) ? deepCopy(template) : ({} as any);
  const metadata: any = isPlainObject(rawMeta) ? rawMeta : {};
  // resource.go drops non-empty annotations and finalizers (AnnotationsNotSupported / FinalizersNotSupported).
  if (isPlainObject(metadata.annotations) && Object.keys(metadata.annotations).length > 0) delete metadata.annotations;
  if (Array.isArray(metadata.finalizers) && metadata.finalizers.length > 0) delete metadata.finalizers;
  metadata.name = fedObj?.metadata?.name;
  if (target.kind !== 'Namespace') {
    // SetNamespace: the federated object's namespace, or none for a cluster-scoped object.
    const ns = fedObj?.metadata?.namespace;
    if (typeof ns === 'string' && ns !== '') metadata.namespace = ns;
    else delete metadata.namespace;
  }
  const obj: any = {
    // The template's apiVersion wins; the FederatedTypeConfig's target version is the default.
    apiVersion: typeof apiVersion === 'string' && apiVersion !== '' ? apiVersion : target.apiVersion,
    kind: target.kind,
    metadata,
    ...rest,
  };

  const overrides: ClusterOverrides[] | undefined = fedObj?.spec?.overrides;
  const mine = overridesForCluster(overrides, cluster);
  let patched: any;
  try {
    patched = applyOverrides(obj, mine);
  } catch (e) {
    if (e instanceof OverrideError) throw new OverrideError(e.index, e.override, e.reason, cluster);
    throw e;
  }
  if (!isPlainObject(patched.metadata)) patched.metadata = {};
  // AddManagedLabel reads the labels with GetLabels, which gives none when any value is not a string: the
  // labels are then replaced by the managed label alone.
  const current = patched.metadata.labels;
  const labels = isPlainObject(current) && Object.values(current).every(v => typeof v === 'string') ? current : {};
  labels[MANAGED_LABEL_KEY] = 'true';
  patched.metadata.labels = labels;
  return patched;
}

/**
 * Template fields KubeFed silently drops (annotations, finalizers) and template identity fields it
 * replaces (name, namespace, kind), each with the fix. Empty when the template is clean.
 */
export function templateProblems(fedObj: any): string[] {
  const problems: string[] = [];
  const meta = fedObj?.spec?.template?.metadata ?? {};
  if (meta.annotations && Object.keys(meta.annotations).length > 0) {
    problems.push('spec.template.metadata.annotations are dropped by KubeFed; set annotations per cluster with an override: op "add", path "/metadata/annotations", value {...}');
  }
  if (Array.isArray(meta.finalizers) && meta.finalizers.length > 0) {
    problems.push('spec.template.metadata.finalizers are dropped by KubeFed; add them per cluster with an override on "/metadata/finalizers"');
  }
  for (const field of ['name', 'namespace', 'generateName']) {
    if (meta[field] !== undefined) {
      problems.push(`spec.template.metadata.${field} is ignored: KubeFed uses the federated object's name and namespace; remove it from the template`);
    }
  }
  return problems;
}

function scheduled(fedObj: any, options: RenderOptions): any {
  const pref = options.schedulingPreference;
  if (!pref || !SCHEDULABLE_KINDS.includes(fedObj?.kind)) return fedObj;
  if (!options.clusters) {
    throw new SchedulingError('replica scheduling divides replicas among all joined clusters: pass options.clusters to render with a scheduling preference');
  }
  return scheduleFederated(fedObj, pref, options.clusters ?? [], {
    namespacePlacement: options.namespacePlacement,
    namespaced: options.namespaced,
    state: options.replicaState,
  });
}

function isNamespaced(fedObj: any, target: TargetType, options: RenderOptions): boolean {
  if (target.kind === 'Namespace') return false; // a FederatedNamespace is its own namespace placement
  return options.namespaced ?? Boolean(fedObj?.metadata?.namespace);
}

function isPlainObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
