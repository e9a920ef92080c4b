/** One `matchExpressions` entry of a Kubernetes LabelSelector. */
export interface LabelSelectorRequirement {
  readonly key: string;
  /** `In`, `NotIn`, `Exists` or `DoesNotExist`. */
  readonly operator: string;
  readonly values?: readonly string[];
}

/** A Kubernetes LabelSelector (matchLabels and matchExpressions are ANDed). */
export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly LabelSelectorRequirement[];
}

/** A member cluster as KubeFed sees it: the KubeFedCluster name and its labels (copied from the KubeSphere Cluster). */
export interface ClusterInfo {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** `spec.placement` of a federated object. */
export interface PlacementSpec {
  readonly clusters?: readonly { readonly name: string }[] | null;
  readonly clusterSelector?: LabelSelector | null;
}

/** A placement or selector KubeFed cannot evaluate (it fails the object's reconcile). */
export class PlacementError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlacementError';
  }
}

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];
const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * Why a selector cannot be turned into a label selector by Kubernetes (apimachinery
 * `metav1.LabelSelectorAsSelector` + `labels.NewRequirement`): unknown operator, values on
 * Exists/DoesNotExist, no values on In/NotIn, invalid label keys or values. Empty when valid.
 */
export function selectorProblems(selector: LabelSelector | null | undefined): string[] {
  if (!selector) return [];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) problems.push(`matchLabels key ${JSON.stringify(key)}: ${keyProblem}`);
    const valueProblem = labelValueProblem(value);
    if (valueProblem) problems.push(`matchLabels[${JSON.stringify(key)}] value ${JSON.stringify(value)}: ${valueProblem}`);
  }
  for (const [i, expr] of (selector.matchExpressions ?? []).entries()) {
    const where = `matchExpressions[${i}] (key ${JSON.stringify(expr.key)})`;
    const keyProblem = labelKeyProblem(expr.key);
    if (keyProblem) problems.push(`${where}: ${keyProblem}`);
    const values = expr.values ?? [];
    if (!OPERATORS.includes(expr.operator)) {
      problems.push(`${where}: operator ${JSON.stringify(expr.operator)} is not valid; use In, NotIn, Exists or DoesNotExist`);
    } else if ((expr.operator === 'In' || expr.operator === 'NotIn') && values.length === 0) {
      problems.push(`${where}: operator ${expr.operator} needs at least one value; add values or use Exists/DoesNotExist`);
    } else if ((expr.operator === 'Exists' || expr.operator === 'DoesNotExist') && values.length > 0) {
      problems.push(`${where}: operator ${expr.operator} takes no values; remove them or use In/NotIn`);
    }
    for (const v of values) {
      const valueProblem = labelValueProblem(v);
      if (valueProblem) problems.push(`${where} value ${JSON.stringify(v)}: ${valueProblem}`);
    }
  }
  return problems;
}

/**
 * Whether a selector matches a label set, with apimachinery semantics: a missing (null/undefined)
 * selector matches nothing, an empty selector matches everything, `NotIn` also matches when the
 * key is absent. Throws PlacementError for a selector Kubernetes would reject.
 */
export function selectorMatches(selector: LabelSelector | null | undefined, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (selector === null || selector === undefined) return false;
  const problems = selectorProblems(selector);
  if (problems.length > 0) throw new PlacementError(`invalid cluster selector: ${problems.join('; ')}`);
  const set = labels ?? {};
  const has = (k: string) => Object.prototype.hasOwnProperty.call(set, k);
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (!has(key) || set[key] !== value) return false;
  }
  for (const expr of selector.matchExpressions ?? []) {
    const values = expr.values ?? [];
    switch (expr.operator) {
      case 'In':
        if (!has(expr.key) || !values.includes(set[expr.key])) return false;
        break;
      case 'NotIn':
        if (has(expr.key) && values.includes(set[expr.key])) return false;
        break;
      case 'Exists':
        if (!has(expr.key)) return false;
        break;
      default: // DoesNotExist (validated above)
        if (has(expr.key)) return false;
    }
  }
  return true;
}

/** Options for placement resolution. */
export interface ResolveOptions {
  /**
   * Ignore `clusters` and evaluate only `clusterSelector`, as the RSP controller does for
   * `intersectWithClusterSelector` (kubefed pkg/controller/util/placement.go `selectorOnly`).
   * @default false
   */
  readonly selectorOnly?: boolean;
}

/**
 * The clusters a placement selects among `clusters`, sorted by name
 * (kubefed pkg/controller/util/placement.go `ComputePlacement`):
 * - `clusters` present (even an empty list) wins and the selector is ignored; an empty list selects none;
 * - otherwise `clusterSelector` is used: `{}` selects every cluster, absent selects none;
 * - names that are not known clusters are dropped (placement is intersected with the joined clusters).
 */
export function resolvePlacement(
  placement: PlacementSpec | null | undefined,
  clusters: readonly ClusterInfo[],
  options: ResolveOptions = {},
): string[] {
  const known = new Map(clusters.map((c) => [c.name, c]));
  const selected = new Set<string>();
  const list = placement?.clusters;
  if (!options.selectorOnly && list !== undefined && list !== null) {
    for (const ref of list) if (known.has(ref.name)) selected.add(ref.name);
  } else {
    const selector = placement?.clusterSelector;
    for (const c of known.values()) if (selectorMatches(selector, c.labels)) selected.add(c.name);
  }
  return [...selected].sort();
}

/**
 * Where KubeFed propagates a federated object (kubefed pkg/controller/util/placement.go
 * `ComputeNamespacedPlacement`, cluster-scoped KubeFed as KubeSphere installs it):
 * cluster-scoped types use their own placement; namespaced types get the intersection of their
 * placement with their FederatedNamespace's, and nothing at all when there is no FederatedNamespace
 * (`namespacePlacement` undefined or null).
 */
export function effectivePlacement(
  objectPlacement: PlacementSpec | null | undefined,
  namespacePlacement: PlacementSpec | null | undefined,
  clusters: readonly ClusterInfo[],
  namespaced: boolean,
  options: ResolveOptions = {},
): string[] {
  const own = resolvePlacement(objectPlacement, clusters, options);
  if (!namespaced) return own;
  if (namespacePlacement === undefined || namespacePlacement === null) return [];
  const ns = new Set(resolvePlacement(namespacePlacement, clusters, options));
  return own.filter((c) => ns.has(c));
}

/** Why a placement is unusable (invalid selector, duplicate or empty cluster names), each with a fix. */
export function placementProblems(placement: PlacementSpec | null | undefined): string[] {
  const problems = selectorProblems(placement?.clusterSelector).map((p) => `placement.clusterSelector ${p}`);
  const seen = new Set<string>();
  for (const [i, ref] of (placement?.clusters ?? []).entries()) {
    if (typeof ref.name !== 'string' || ref.name === '') {
      problems.push(`placement.clusters[${i}] has no name; name a member cluster`);
    } else if (seen.has(ref.name)) {
      problems.push(`placement.clusters lists ${JSON.stringify(ref.name)} twice; list each cluster once`);
    }
    seen.add(ref.name);
  }
  return problems;
}

// apimachinery validation.IsQualifiedName: [prefix/]name, prefix a DNS-1123 subdomain (<= 253), name <= 63.
function labelKeyProblem(key: string): string | undefined {
  if (typeof key !== 'string' || key === '') return 'a label key must not be empty';
  const parts = key.split('/');
  if (parts.length > 2) return 'a label key has at most one "/" (prefix/name)';
  const name = parts[parts.length - 1];
  if (parts.length === 2) {
    const prefix = parts[0];
    if (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) {
      return 'the prefix must be a DNS subdomain of at most 253 characters (lowercase letters, digits, "-", ".")';
    }
  }
  if (name.length === 0 || name.length > 63 || !NAME_PART.test(name)) {
    return 'the name part must be 1-63 characters of letters, digits, "-", "_", "." and start and end with a letter or digit';
  }
  return undefined;
}

// apimachinery validation.IsValidLabelValue: empty, or <= 63 characters of the same alphabet.
function labelValueProblem(value: string): string | undefined {
  if (typeof value !== 'string') return 'a label value must be a string';
  if (value.length > 63 || !LABEL_VALUE.test(value)) {
    return 'a label value must be empty or 1-63 characters of letters, digits, "-", "_", "." starting and ending with a letter or digit';
  }
  return undefined;
}
