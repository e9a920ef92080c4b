import { deepCopy } from './json-pointer';
import { ClusterOverride, ClusterOverrides, overridesForCluster } from './overrides';
import { ClusterInfo, effectivePlacement, PlacementSpec } from './placement';

/** Per-cluster preferences of a ReplicaSchedulingPreference (all default to 0 / unbounded). */
export interface ClusterPreference {
  /** Share of the replicas left after minimums. @default 0 */
  readonly weight?: number;
  /** @default 0 */
  readonly minReplicas?: number;
  /** @default - unbounded */
  readonly maxReplicas?: number;
}

/** The spec of a ReplicaSchedulingPreference (scheduling.kubefed.io/v1alpha1). */
export interface SchedulingPreference {
  readonly totalReplicas: number;
  /** Keyed by cluster name; `"*"` applies to clusters without their own entry. @default {"*": {weight: 1}} */
  readonly clusters?: Readonly<Record<string, ClusterPreference>>;
  /** @default false */
  readonly rebalance?: boolean;
  /** @default false */
  readonly intersectWithClusterSelector?: boolean;
}

/** Live state the planner can take into account; a synthesized program has none. */
export interface ReplicaState {
  /** Replicas running and ready per cluster (counted only for available clusters that hold the object). */
  readonly currentReplicas?: Readonly<Record<string, number>>;
  /** Estimated capacity per cluster (from unschedulable pods). */
  readonly estimatedCapacity?: Readonly<Record<string, number>>;
}

/** The planner's answer: replicas per cluster, and extra replicas a cluster could take if it had capacity. */
export interface ReplicaPlan {
  readonly plan: Record<string, number>;
  readonly overflow: Record<string, number>;
}

/** The override path the RSP controller owns (kubefed pkg/schedulingtypes/plugin.go `replicasPath`). */
export const REPLICAS_PATH = '/spec/replicas';

/** Federated kinds an RSP can target (kubefed pkg/schedulingtypes/replicascheduler.go). */
export const SCHEDULABLE_KINDS: readonly string[] = ['FederatedDeployment', 'FederatedReplicaSet'];

/** Input the planner cannot work with (KubeFed would produce a meaningless plan). */
export class SchedulingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchedulingError';
  }
}

const INT32_MAX = 2147483647;

/** The key KubeFed hashes for a federated object: `namespace/name`, or `name` when cluster-scoped (util.QualifiedName). */
export function schedulingKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** 32-bit FNV-1 (Go `hash/fnv.New32`, multiply then xor) of the UTF-8 bytes of `text`. */
export function fnv1Hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    /* eslint-disable no-bitwise */
    hash = Math.imul(hash, 0x01000193) >>> 0;
    hash = (hash ^ byte) >>> 0;
    /* eslint-enable no-bitwise */
  }
  return hash;
}

/** The preferences KubeFed plans with: an RSP without clusters means `{"*": {weight: 1}}` (replicascheduler.go). */
export function effectiveClusterPreferences(pref: SchedulingPreference): Record<string, ClusterPreference> {
  const clusters = pref.clusters ?? {};
  return Object.keys(clusters).length === 0 ? { '*': { weight: 1 } } : { ...clusters };
}

interface Ranked {
  readonly name: string;
  readonly hash: number;
  readonly weight: number;
  readonly min: number;
  readonly max?: number;
}

/**
 * Divides `totalReplicas` among `availableClusters` exactly as KubeFed's planner does
 * (kubefed pkg/controller/util/planner/planner.go `Plan`):
 * 1. each cluster takes its own preference, else `"*"`, else gets 0 replicas (but stays in the plan);
 * 2. clusters are ranked by weight (descending), then by FNV-1 32 hash of `clusterName + key` (ascending);
 * 3. in rank order each cluster receives its minReplicas while replicas remain;
 * 4. without `rebalance`, clusters keep up to their current replicas (only with live state);
 * 5. the rest is dealt in rounds: each cluster gets ceil(left * weight / weightSum), capped by what is
 *    still left, by maxReplicas and by capacity; capped clusters drop out; rounds stop when nothing moves.
 *    Rounding up in rank order is what decides which clusters get the remainder.
 * An RSP without clusters plans with `{"*": {weight: 1}}`, as the RSP controller defaults it.
 */
export function planReplicas(pref: SchedulingPreference, availableClusters: readonly string[], key: string, state: ReplicaState = {}): ReplicaPlan {
  const numeric = numericProblems(pref, false);
  if (numeric.length > 0) throw new SchedulingError(`cannot plan replicas: ${numeric.join('; ')}`);
  const prefs = effectiveClusterPreferences(pref);
  const capacity = state.estimatedCapacity ?? {};
  const current = state.currentReplicas ?? {};
  const plan = new Map<string, number>();
  const overflow = new Map<string, number>();

  let ranked: Ranked[] = [];
  for (const name of new Set(availableClusters)) {
    const p = own(prefs, name) ?? own(prefs, '*');
    if (!p) {
      plan.set(name, 0);
      continue;
    }
    ranked.push({ name, hash: fnv1Hash32(name + key), weight: p.weight ?? 0, min: p.minReplicas ?? 0, max: p.maxReplicas });
  }
  ranked.sort((a, b) => b.weight - a.weight || a.hash - b.hash || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const overflowProblem = int64OverflowProblem(pref.totalReplicas, ranked.map(c => c.weight));
  if (overflowProblem) throw new SchedulingError(`cannot plan replicas: ${overflowProblem}`);

  let remaining = pref.totalReplicas;
  for (const c of ranked) {
    let min = Math.min(c.min, remaining);
    if (own(capacity, c.name) !== undefined) min = Math.min(min, capacity[c.name]);
    remaining -= min;
    plan.set(c.name, min);
  }

  const preallocated = new Map<string, number>();
  if (!pref.rebalance) {
    for (const c of ranked) {
      const planned = plan.get(c.name) ?? 0;
      const count = own(current, c.name);
      if (count === undefined || count <= planned) continue;
      let target = count;
      if (c.max !== undefined) target = Math.min(c.max, target);
      if (own(capacity, c.name) !== undefined) target = Math.min(capacity[c.name], target);
      const extra = Math.max(0, Math.min(target - planned, remaining));
      remaining -= extra;
      preallocated.set(c.name, extra);
      plan.set(c.name, planned + extra);
    }
  }

  let moved = true;
  while (moved && remaining > 0) {
    moved = false;
    const weightSum = ranked.reduce((s, c) => s + c.weight, 0);
    if (weightSum <= 0) break;
    const toDeal = remaining;
    const stillOpen: Ranked[] = [];
    for (const c of ranked) {
      const start = plan.get(c.name) ?? 0;
      let extra = Math.min(ceilDiv(toDeal, c.weight, weightSum), remaining);
      const prealloc = preallocated.get(c.name) ?? 0;
      const usedPrealloc = Math.min(extra, prealloc);
      preallocated.set(c.name, prealloc - usedPrealloc);
      extra -= usedPrealloc;
      if (usedPrealloc > 0) moved = true;
      let total = start + extra;
      let full = false;
      if (c.max !== undefined && total > c.max) {
        total = c.max;
        full = true;
      }
      const cap = own(capacity, c.name);
      if (cap !== undefined && total > cap) {
        overflow.set(c.name, total - cap);
        total = cap;
        full = true;
      }
      if (!full) stillOpen.push(c);
      remaining -= total - start;
      plan.set(c.name, total);
      if (total > start) moved = true;
    }
    ranked = stillOpen;
  }

  if (!pref.rebalance) {
    // Without rebalance the overflow is trimmed to the replicas that found no place at all.
    for (const [name, value] of [...overflow]) {
      const trimmed = Math.min(value, remaining);
      if (trimmed > 0) overflow.set(name, trimmed);
      else overflow.delete(name);
    }
  }
  return { plan: sortedRecord(plan), overflow: sortedRecord(overflow) };
}

/**
 * The replicas per cluster the RSP controller writes (kubefed pkg/schedulingtypes/replicascheduler.go
 * `schedule`): clusters holding the object start at 0, then the plan, plus any overflow.
 */
export function scheduleReplicas(
  pref: SchedulingPreference,
  availableClusters: readonly string[],
  key: string,
  state: ReplicaState = {},
): Record<string, number> {
  const { plan, overflow } = planReplicas(pref, availableClusters, key, state);
  const result = new Map<string, number>();
  const available = new Set(availableClusters);
  for (const name of Object.keys(state.currentReplicas ?? {})) if (available.has(name)) result.set(name, 0);
  for (const [name, n] of Object.entries(plan)) result.set(name, n);
  for (const [name, n] of Object.entries(overflow)) result.set(name, (result.get(name) ?? 0) + n);
  return sortedRecord(result);
}

/** Options for {@link schedulingProblems}. */
export interface SchedulingProblemOptions {
  /** The hash key (`namespace/name`) used to compute the plan for `propagatedClusters`. @default "" */
  readonly key?: string;
  /**
   * Clusters the object actually reaches (e.g. its FederatedNamespace placement). Replicas the
   * RSP plans for other available clusters are never run; that is reported.
   * @default - not checked
   */
  readonly propagatedClusters?: readonly string[];
  /**
   * The available clusters are the ones `intersectWithClusterSelector` leaves (both cluster selectors match);
   * only changes the wording of messages.
   * @default false
   */
  readonly intersected?: boolean;
}

/**
 * Why a preference cannot be satisfied or does not do what it seems to, each with a fix:
 * bad numbers (negative, fractional, min > max), keys that are not available clusters,
 * no cluster with a preference, minimums over the total, maximums (or zero weights) under the
 * total, and replicas planned for clusters the object does not reach. Empty when all is well.
 */
export function schedulingProblems(
  pref: SchedulingPreference,
  availableClusters: readonly string[],
  options: SchedulingProblemOptions = {},
): string[] {
  const problems = numericProblems(pref, true);
  const available = [...new Set(availableClusters)].sort();
  const prefs = effectiveClusterPreferences(pref);
  for (const name of Object.keys(prefs).sort()) {
    if (name !== '*' && !available.includes(name)) {
      const list = available.join(', ') || 'none';
      problems.push(options.intersected
        ? `clusters[${JSON.stringify(name)}] is not among the clusters KubeFed plans over with intersectWithClusterSelector (${list}: those both cluster selectors match), so KubeFed ignores it; remove it or widen the selectors`
        : `clusters[${JSON.stringify(name)}] is not an available cluster (available: ${list}), so KubeFed ignores it; remove it or join that cluster`);
    }
  }
  if (problems.length > 0) return problems;

  const effective = available.map((name) => ({ name, p: own(prefs, name) ?? own(prefs, '*') }));
  const withPref = effective.filter((e) => e.p !== undefined) as { name: string; p: ClusterPreference }[];
  const total = pref.totalReplicas;
  if (withPref.length === 0) {
    if (total > 0) {
      problems.push(`no available cluster has a preference and there is no "*" entry, so every cluster gets 0 of ${total} replicas; add a weight for at least one cluster or a "*" entry`);
    }
    return problems;
  }
  const overflow = int64OverflowProblem(total, withPref.map(e => e.p.weight ?? 0));
  if (overflow) problems.push(overflow);
  const sumMin = withPref.reduce((s, e) => s + (e.p.minReplicas ?? 0), 0);
  if (sumMin > total) {
    problems.push(`minReplicas add up to ${sumMin}, more than totalReplicas ${total}: KubeFed fills minimums in weight order and the last clusters get less than their minimum; raise totalReplicas to ${sumMin} or lower minReplicas`);
  }
  let cap = 0;
  let unbounded = false;
  for (const e of withPref) {
    const w = e.p.weight ?? 0;
    const min = e.p.minReplicas ?? 0;
    const max = e.p.maxReplicas;
    if (w > 0 && max === undefined) unbounded = true;
    else cap += w > 0 ? (max as number) : Math.min(min, max ?? min);
  }
  if (!unbounded && cap < total && sumMin <= total) {
    if (withPref.every((e) => (e.p.weight ?? 0) === 0)) {
      problems.push(`all weights are 0, so only the minReplicas (${cap}) of the ${total} replicas are placed; give at least one cluster a weight above 0`);
    } else {
      problems.push(`at most ${cap} of ${total} replicas can be placed: every cluster with a weight above 0 reaches its maxReplicas; raise maxReplicas, add a cluster, or lower totalReplicas to ${cap}`);
    }
  }
  if (options.propagatedClusters) {
    const reached = new Set(options.propagatedClusters);
    const { plan } = planReplicas(pref, available, options.key ?? '');
    const lost = Object.entries(plan).filter(([name, n]) => !reached.has(name) && n > 0);
    if (lost.length > 0) {
      const n = lost.reduce((s, [, v]) => s + v, 0);
      const where = lost.map(([name, v]) => `${name}: ${v}`).join(', ');
      problems.push(`${n} of ${total} replicas are planned for clusters the object is not propagated to (${where}), so they never run; give those clusters weight 0 or no preference (avoid "*"), or, with cluster selectors placing both the object and its namespace, set intersectWithClusterSelector`);
    }
  }
  return problems;
}

/** Options for {@link scheduleFederated}. */
export interface ScheduleOptions {
  /**
   * Placement of the object's FederatedNamespace; only used with `intersectWithClusterSelector`.
   * null: no FederatedNamespace exists (the controller then leaves the object alone).
   * @default - the namespace is not taken into account
   */
  readonly namespacePlacement?: PlacementSpec | null;
  /** Whether the federated type is namespaced. @default - true when metadata.namespace is set */
  readonly namespaced?: boolean;
  /** Live replica state. @default - none */
  readonly state?: ReplicaState;
}

/**
 * The clusters the RSP controller plans over, sorted (kubefed pkg/schedulingtypes/replicascheduler.go
 * `Reconcile`, plugin.go `GetResourceClusters`): every available cluster; with `intersectWithClusterSelector`
 * only those that the object's `clusterSelector` and, for a namespaced object, its FederatedNamespace's
 * `clusterSelector` both match (`clusters` lists are ignored, and a missing selector matches nothing).
 * Empty means the controller leaves the object alone (no placement or replicas written).
 */
export function schedulingCandidates(
  fedObj: any, pref: SchedulingPreference, clusters: readonly ClusterInfo[], options: ScheduleOptions = {},
): string[] {
  const all = [...new Set(clusters.map((c) => c.name))].sort();
  if (!pref.intersectWithClusterSelector || all.length === 0) return all;
  const namespaced = options.namespaced ?? Boolean(fedObj?.metadata?.namespace);
  if (namespaced && options.namespacePlacement === null) return []; // the controller cannot read the FederatedNamespace
  return options.namespacePlacement === undefined
    ? effectivePlacement(fedObj?.spec?.placement, undefined, clusters, false, { selectorOnly: true })
    : effectivePlacement(fedObj?.spec?.placement, options.namespacePlacement, clusters, namespaced, { selectorOnly: true });
}

/**
 * What the RSP controller makes of a FederatedDeployment/FederatedReplicaSet (kubefed
 * pkg/schedulingtypes/replicascheduler.go `Reconcile`, plugin.go `Reconcile`):
 * - candidate clusters: every available cluster; with `intersectWithClusterSelector` only those
 *   matching the object's `clusterSelector` (its `clusters` list is ignored) and, for a namespaced
 *   object, its FederatedNamespace's selector; no candidate leaves the object untouched;
 * - `placement.clusters` becomes every planned cluster, including clusters planned 0 replicas;
 * - each planned cluster gets a `/spec/replicas` override (an existing one keeps its op and gets the
 *   new value, otherwise one is appended without op, i.e. replace); clusters no longer planned lose it;
 * - other placement fields and overrides are kept.
 * Returns a new object; throws SchedulingError for a kind the RSP cannot target and OverrideError when
 * the existing overrides are ones KubeFed rejects (the controller then changes nothing).
 */
export function scheduleFederated<T>(fedObj: T, pref: SchedulingPreference, clusters: readonly ClusterInfo[], options: ScheduleOptions = {}): T {
  const obj = deepCopy(fedObj) as any;
  const kind = obj?.kind;
  if (!SCHEDULABLE_KINDS.includes(kind)) {
    throw new SchedulingError(`a ReplicaSchedulingPreference can only target ${SCHEDULABLE_KINDS.join(' or ')}, not ${JSON.stringify(kind)}`);
  }
  const meta = obj.metadata ?? {};
  const key = schedulingKey(meta.namespace, meta.name);
  const candidates = schedulingCandidates(obj, pref, clusters, options);
  if (candidates.length === 0) return obj;
  const result = scheduleReplicas(pref, candidates, key, options.state);

  const existing: ClusterOverrides[] = obj.spec?.overrides ?? [];
  for (const item of existing) overridesForCluster(existing, item.clusterName); // KubeFed's GetOverrides checks

  obj.spec = obj.spec ?? {};
  obj.spec.placement = { ...(obj.spec.placement ?? {}), clusters: Object.keys(result).map((name) => ({ name })) };

  const updated: ClusterOverrides[] = existing.map((item) => {
    const list: ClusterOverride[] = [...(item.clusterOverrides ?? [])];
    const idx = list.findIndex((o) => o.path === REPLICAS_PATH);
    if (own(result, item.clusterName) !== undefined) {
      if (idx >= 0) list[idx] = { ...list[idx], value: result[item.clusterName] };
      else list.push({ path: REPLICAS_PATH, value: result[item.clusterName] });
    } else if (idx >= 0) {
      list.splice(idx, 1);
    }
    return { ...item, clusterOverrides: list };
  });
  const listed = new Set(existing.map((item) => item.clusterName));
  for (const [name, replicas] of Object.entries(result)) {
    if (!listed.has(name)) updated.push({ clusterName: name, clusterOverrides: [{ path: REPLICAS_PATH, value: replicas }] });
  }
  obj.spec.overrides = updated;
  return obj;
}

// Integer and range checks on the RSP numbers; KubeFed's CRD accepts any int, but negative or
// fractional values make the planner's arithmetic meaningless. min > max is well defined for the
// planner (the cluster ends at its max), so it is only reported when `withMinMax` is set.
function numericProblems(pref: SchedulingPreference, withMinMax: boolean): string[] {
  const problems: string[] = [];
  const total = pref.totalReplicas;
  if (!Number.isInteger(total) || total < 0 || total > INT32_MAX) {
    problems.push(`totalReplicas ${JSON.stringify(total)} must be an integer from 0 to ${INT32_MAX}`);
  }
  for (const [name, p] of Object.entries(pref.clusters ?? {})) {
    for (const field of ['weight', 'minReplicas', 'maxReplicas'] as const) {
      const v = p[field];
      if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) {
        problems.push(`clusters[${JSON.stringify(name)}].${field} ${JSON.stringify(v)} must be a whole number of at least 0`);
      }
    }
    if (withMinMax && p.maxReplicas !== undefined && (p.minReplicas ?? 0) > p.maxReplicas) {
      problems.push(`clusters[${JSON.stringify(name)}] has minReplicas ${p.minReplicas} above maxReplicas ${p.maxReplicas}; make minReplicas <= maxReplicas`);
    }
  }
  return problems;
}

const INT64_MAX = 2n ** 63n - 1n;

// KubeFed's planner computes (left * weight + weightSum - 1) / weightSum in Go int64 (planner.go `Plan`);
// past 2^63 it wraps around and plans nonsense (e.g. 0 replicas everywhere), so such weights are refused.
function int64OverflowProblem(total: number, weights: readonly number[]): string | undefined {
  if (weights.length === 0 || !Number.isSafeInteger(total) || weights.some(w => !Number.isSafeInteger(w) || w < 0)) return undefined;
  const sum = weights.reduce((s, w) => s + BigInt(w), 0n);
  const max = weights.reduce((m, w) => (BigInt(w) > m ? BigInt(w) : m), 0n);
  if (sum <= INT64_MAX && BigInt(total) * max + sum - 1n <= INT64_MAX) return undefined;
  return `totalReplicas ${total} times weight ${max} exceeds the 64-bit integers KubeFed's planner computes with, so its arithmetic overflows and the plan is wrong; use smaller weights (only their ratios matter)`;
}

// ceil(a * w / sum) with exact integer arithmetic (Go: (a*w + sum - 1) / sum on int64, which cannot overflow here).
function ceilDiv(a: number, w: number, sum: number): number {
  const big = (BigInt(a) * BigInt(w) + BigInt(sum) - 1n) / BigInt(sum);
  return Number(big);
}

function own<V>(record: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

function sortedRecord(map: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of [...map.keys()].sort()) {
    Object.defineProperty(out, k, { value: map.get(k), writable: true, enumerable: true, configurable: true });
  }
  return out;
}
