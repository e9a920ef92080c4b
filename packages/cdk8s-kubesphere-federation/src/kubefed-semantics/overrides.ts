import { addValue, deepCopy, JsonPatchError, pointerProblem, removeValue, replaceValue } from './json-pointer';

/** The JSON Patch operations a KubeFed override may use (CRD pattern `^(add|remove|replace)?$`). */
export type OverrideOp = 'add' | 'remove' | 'replace';

/** One entry of `spec.overrides[].clusterOverrides[]`. `op` defaults to `replace`. */
export interface ClusterOverride {
  readonly op?: OverrideOp | '';
  readonly path: string;
  readonly value?: unknown;
}

/** One entry of `spec.overrides[]`. */
export interface ClusterOverrides {
  readonly clusterName: string;
  readonly clusterOverrides?: readonly ClusterOverride[];
}

/**
 * Paths KubeFed refuses (kubefed pkg/controller/util/overrides.go `invalidPaths`, exact string
 * match): name and namespace tie the member object to its federated object, kind comes from
 * the FederatedTypeConfig. `/apiVersion` is deliberately allowed upstream (e.g. Ingress groups).
 */
export const FORBIDDEN_OVERRIDE_PATHS: readonly string[] = ['/metadata/namespace', '/metadata/name', '/metadata/generateName', '/kind'];

/** Label KubeFed puts on every member object it manages (kubefed pkg/controller/util/managedlabel.go). */
export const MANAGED_LABEL_KEY = 'kubefed.io/managed';

const OPS: readonly string[] = ['add', 'remove', 'replace'];

/** An override that KubeFed would reject or fail to apply, so propagation of the object would fail. */
export class OverrideError extends Error {
  /** Position of the override in its cluster's list. */
  public readonly index: number;
  /** The offending override. */
  public readonly override: ClusterOverride;
  /** Why it fails. */
  public readonly reason: string;
  /** The cluster the override is for, when known. */
  public readonly clusterName?: string;

  constructor(index: number, override: ClusterOverride, reason: string, clusterName?: string) {
    const where = clusterName === undefined ? '' : ` for cluster ${JSON.stringify(clusterName)}`;
    super(`override[${index}]${where} (${override.op || 'replace'} ${JSON.stringify(override.path)}): ${reason}`);
    this.name = 'OverrideError';
    this.index = index;
    this.override = override;
    this.reason = reason;
    this.clusterName = clusterName;
  }
}

/**
 * Why `path` cannot be used as an override path, or undefined. Covers: not a JSON pointer,
 * the whole object, KubeFed's forbidden paths, `/metadata` (replacing it drops the name and
 * namespace KubeFed sets) and the managed label (KubeFed re-adds it after overrides, so an
 * override of it has no effect).
 */
export function overridePathProblem(path: string): string | undefined {
  const syntax = pointerProblem(path);
  if (syntax) return `path is not a JSON pointer: ${syntax}`;
  return hardPathProblem(path) ?? (isManagedLabelPath(path)
    ? `${MANAGED_LABEL_KEY} is set by KubeFed after overrides are applied, so this override has no effect; remove it`
    : undefined);
}

/** Why an override is unusable (op, path, value), or undefined. */
export function overrideProblem(override: ClusterOverride): string | undefined {
  const op = override.op ?? '';
  if (!['', ...OPS].includes(op)) return `op ${JSON.stringify(op)} is not supported; use "add", "remove" or "replace" (the default)`;
  const pathProblem = overridePathProblem(override.path);
  if (pathProblem) return pathProblem;
  if (op === 'remove' && override.value !== undefined) return 'op "remove" takes no value; drop the value, or use "add"/"replace" to set one';
  if (op !== 'remove' && override.value === undefined) {
    return `op "${op || 'replace'}" needs a value (KubeFed would write null); set a value, or use op "remove" to delete the field`;
  }
  return undefined;
}

/**
 * Problems in a federated object's `spec.overrides`: a cluster listed twice, an empty cluster name,
 * a path used twice for one cluster, unsupported ops, bad paths and missing values. Each message
 * names the cluster and the override and says how to fix it. Empty when all is well.
 */
export function validateOverrides(overrides: readonly ClusterOverrides[] | undefined): string[] {
  const problems: string[] = [];
  const seenClusters = new Set<string>();
  for (const [i, item] of (overrides ?? []).entries()) {
    const cluster = item.clusterName;
    if (typeof cluster !== 'string' || cluster === '') {
      problems.push(`overrides[${i}] has no clusterName; name the cluster the overrides are for`);
      continue;
    }
    if (seenClusters.has(cluster)) {
      problems.push(`cluster ${JSON.stringify(cluster)} appears more than once in overrides (KubeFed rejects the object); merge its overrides into one entry`);
      continue;
    }
    seenClusters.add(cluster);
    const seenPaths = new Set<string>();
    for (const [j, o] of (item.clusterOverrides ?? []).entries()) {
      const label = `override[${j}] for cluster ${JSON.stringify(cluster)} (${o.op || 'replace'} ${JSON.stringify(o.path)})`;
      const problem = overrideProblem(o);
      if (problem) problems.push(`${label}: ${problem}`);
      if (seenPaths.has(o.path)) {
        problems.push(`${label}: path ${JSON.stringify(o.path)} appears more than once for this cluster (KubeFed rejects the object); keep one override per path`);
      }
      seenPaths.add(o.path);
    }
  }
  return problems;
}

/**
 * The overrides KubeFed would use for `clusterName`, after the checks KubeFed's `GetOverrides`
 * makes on the whole list (kubefed pkg/controller/util/overrides.go): a cluster listed twice, a
 * forbidden path or a path repeated for a cluster fails the object for every cluster, so this
 * throws OverrideError for any of them, not only for `clusterName`'s.
 */
export function overridesForCluster(overrides: readonly ClusterOverrides[] | undefined, clusterName: string): ClusterOverride[] {
  const seenClusters = new Set<string>();
  let result: ClusterOverride[] = [];
  for (const item of overrides ?? []) {
    if (seenClusters.has(item.clusterName)) {
      throw new OverrideError(0, (item.clusterOverrides ?? [])[0] ?? { path: '' },
        `cluster ${JSON.stringify(item.clusterName)} appears more than once in spec.overrides; merge its entries`, item.clusterName);
    }
    seenClusters.add(item.clusterName);
    const paths = new Set<string>();
    for (const [i, o] of (item.clusterOverrides ?? []).entries()) {
      if (FORBIDDEN_OVERRIDE_PATHS.includes(o.path)) {
        throw new OverrideError(i, o, 'this path may not be overridden (KubeFed keeps name, namespace and kind fixed)', item.clusterName);
      }
      if (paths.has(o.path)) throw new OverrideError(i, o, 'the path appears more than once for this cluster', item.clusterName);
      paths.add(o.path);
    }
    if (item.clusterName === clusterName) result = [...(item.clusterOverrides ?? [])];
  }
  return result;
}

/**
 * Applies one cluster's overrides to a member object, in order, as KubeFed's `ApplyJsonPatch`
 * does (kubefed pkg/controller/util/overrides.go; evanphx/json-patch v4): an empty op means
 * `replace`, a missing value is written as null, and the first failing operation fails the
 * whole object. Returns a new object; throws OverrideError (index, override, reason).
 *
 * Stricter than KubeFed, to fail at synth time rather than at propagation: paths that are not
 * RFC 6901 pointers, the empty path and `/metadata` are rejected, as are forbidden and repeated paths.
 */
export function applyOverrides<T>(obj: T, overrides: readonly ClusterOverride[]): T {
  let doc: unknown = deepCopy(obj);
  const paths = new Set<string>();
  for (const [i, o] of overrides.entries()) {
    const op = o.op || 'replace';
    if (!OPS.includes(op)) throw new OverrideError(i, o, `op ${JSON.stringify(o.op)} is not supported; use "add", "remove" or "replace"`);
    const syntax = pointerProblem(o.path);
    if (syntax) throw new OverrideError(i, o, `path is not a JSON pointer: ${syntax}`);
    const hard = hardPathProblem(o.path);
    if (hard) throw new OverrideError(i, o, hard);
    if (paths.has(o.path)) throw new OverrideError(i, o, 'the path appears more than once for this cluster');
    paths.add(o.path);
    const value = o.value === undefined ? null : o.value;
    try {
      if (op === 'add') doc = addValue(doc, o.path, value);
      else if (op === 'remove') doc = removeValue(doc, o.path);
      else doc = replaceValue(doc, o.path, value);
    } catch (e) {
      if (e instanceof JsonPatchError) throw new OverrideError(i, o, e.reason);
      throw e;
    }
  }
  return doc as T;
}

// Paths that break propagation outright (KubeFed's invalidPaths, plus the whole object and /metadata,
// whose replacement would drop the name and namespace set by the sync controller).
function hardPathProblem(path: string): string | undefined {
  if (path === '') return 'the empty path would replace the whole object; override a field below it instead';
  if (FORBIDDEN_OVERRIDE_PATHS.includes(path)) {
    return `${path} may not be overridden: KubeFed takes the name and namespace from the federated object and the kind from its type config`;
  }
  if (path === '/metadata') {
    return '/metadata may not be overridden as a whole (it would drop the name and namespace KubeFed sets); override /metadata/labels or /metadata/annotations instead';
  }
  return undefined;
}

function isManagedLabelPath(path: string): boolean {
  return path === '/metadata/labels/kubefed.io~1managed';
}
