import { ApiError } from './errors';
import { clone, deepEqual, isPlainObject, JsonObject, nowRfc3339 } from './json';
import {
  describePath, FieldPath, FieldSet, fieldSetOf, FieldSetOptions, isEntryOf, keyElement, ListTypeResolver, ManagerEntry, MapTypeResolver,
  removeAt, sameAt, valueAt,
} from './managed-fields';

/** What one apply request asks for. */
export interface ApplyRequest {
  /** The current object, or undefined when the apply creates it. */
  readonly live?: JsonObject;
  /** The object to merge into: the live object, or a skeleton with identity and system metadata for a create. */
  readonly base: JsonObject;
  /** The applied configuration (nulls dropped, already normalized). */
  readonly config: JsonObject;
  readonly manager: string;
  readonly apiVersion: string;
  readonly force: boolean;
  readonly subresource?: string;
  readonly fieldSetOptions: FieldSetOptions;
  /** Current managers of the live object. */
  readonly entries: ManagerEntry[];
}

/** The merged object and the managers after the apply. */
export interface ApplyOutcome {
  readonly object: JsonObject;
  readonly entries: ManagerEntry[];
}

interface Conflict {
  readonly entry: ManagerEntry;
  readonly path: FieldPath;
}

/**
 * Server-side apply, after the semantics of structured-merge-diff:
 * - the applier's fields are merged into the live object (maps by key, associative lists by item key, everything
 *   else replaced);
 * - setting a field another manager owns to a different value is a conflict (409) unless `force`, which moves
 *   ownership; the same value is shared ownership;
 * - fields the applier owned before and no longer sets are removed, unless another manager owns them;
 * - the applier's entry (operation Apply) becomes exactly the set of fields it sent.
 */
export function serverSideApply(req: ApplyRequest): ApplyOutcome {
  const opts = req.fieldSetOptions;
  const applied = fieldSetOf(req.config, opts);
  const self = req.entries.find((e) => isEntryOf(e, req.manager, 'Apply', req.subresource));
  // Copies of the other managers' entries: a forced apply takes fields away from them.
  const copies = req.entries.map((e) => (e === self ? e : { ...e, fields: e.fields.copy() }));
  const others = copies.filter((e) => e !== self);
  const before = req.live ?? req.base;

  // Fields whose value the merge changes (compared live against merged, as structured-merge-diff does: merging
  // an empty map into a full one changes nothing).
  // Only fields other managers own can conflict, so only those are compared.
  const merged = mergeInto(clone(req.base), req.config, opts.resolver, [], opts.mapType) as JsonObject;
  const fields = others.some((e) => e.fields.size > 0) ? fieldSetOf(merged, opts).union(fieldSetOf(before, opts)) : new FieldSet();
  const conflicts = findConflicts(others, (p) => fields.has(p) && !sameAt(before, merged, p));
  if (conflicts.length > 0 && !req.force) throw conflictError(conflicts);
  for (const c of conflicts) c.entry.fields.delete(c.path);

  // Remove what this manager stopped applying, unless someone else still owns it.
  const othersOwn = others.reduce((acc, e) => acc.union(e.fields), new FieldSet());
  const previous = self?.fields ?? new FieldSet();
  for (const path of previous.minus(applied).paths()) {
    if (othersOwn.has(path) || othersOwn.hasDescendant(path)) continue;
    if (removeAt(merged, path)) pruneEmptyParents(merged, path, othersOwn.union(applied));
  }

  const now = nowRfc3339();
  const entries: ManagerEntry[] = [];
  req.entries.forEach((e, i) => {
    if (e === self) {
      const unchanged = e.fields.equals(applied) && e.apiVersion === req.apiVersion;
      entries.push({ ...e, apiVersion: req.apiVersion, time: unchanged ? e.time : now, fields: applied });
    } else {
      entries.push(copies[i].fields.equals(e.fields) ? e : copies[i]);
    }
  });
  if (!self) {
    entries.push({ manager: req.manager, operation: 'Apply', apiVersion: req.apiVersion, time: now, subresource: req.subresource, fields: applied });
  }
  return { object: merged, entries: entries.filter((e) => e.fields.size > 0) };
}

/** Fields other managers own whose value the apply changes (exact paths: ownership is per leaf and per list item). */
function findConflicts(others: ManagerEntry[], changed: (path: FieldPath) => boolean): Conflict[] {
  const out: Conflict[] = [];
  for (const entry of others) {
    for (const owned of entry.fields.paths()) if (changed(owned)) out.push({ entry, path: owned });
  }
  return out;
}

function printManager(e: ManagerEntry): string {
  let s = JSON.stringify(e.manager);
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') s += ` using ${e.apiVersion}${e.time ? ` at ${e.time}` : ''}`;
  return s;
}

/** The 409 the API server answers for apply conflicts, with one cause per conflicting field. */
function conflictError(conflicts: Conflict[]): ApiError {
  const causes = conflicts.map((c) => ({
    reason: 'FieldManagerConflict', message: `conflict with ${printManager(c.entry)}`, field: describePath(c.path),
  }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0].entry)}: ${describePath(conflicts[0].path)}`;
  } else {
    const byManager = new Map<string, Conflict[]>();
    for (const c of conflicts) {
      const key = printManager(c.entry);
      if (!byManager.has(key)) byManager.set(key, []);
      byManager.get(key)!.push(c);
    }
    const lines: string[] = [];
    for (const key of [...byManager.keys()].sort()) {
      lines.push(`conflicts with ${key}:`);
      for (const c of byManager.get(key)!) lines.push(`- ${describePath(c.path)}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, { causes });
}

/**
 * Merges an applied value into a live one (both already copies; returns the result). Atomic maps (`atomicMap`) and
 * atomic list items are replaced whole; a new item of an associative list gets the defaults of its key fields.
 */
export function mergeInto(
  live: unknown, applied: unknown, resolver: ListTypeResolver, names: string[] = [], mapType: MapTypeResolver = () => 'granular',
): unknown {
  if (isPlainObject(applied)) {
    if (!isPlainObject(live) || (names.length > 0 && mapType(names) === 'atomic')) return clone(applied);
    for (const [k, v] of Object.entries(applied)) {
      if (v === undefined) continue;
      live[k] = mergeInto(live[k], v, resolver, [...names, k], mapType);
    }
    return live;
  }
  if (Array.isArray(applied)) {
    const lt = resolver(names, applied);
    if (Array.isArray(live) && lt.type === 'map') {
      const liveType = live.length === 0 ? lt : resolver(names, live);
      if (liveType.type === 'map' && deepEqual(liveType.keys, lt.keys)) {
        for (const item of applied) {
          const el = keyElement(item as JsonObject, lt.keys, lt.defaults);
          const index = live.findIndex((x) => isPlainObject(x) && keyElement(x, lt.keys, lt.defaults) === el);
          if (index < 0) live.push(withKeyDefaults(clone(item) as JsonObject, lt.defaults));
          else live[index] = lt.atomicItems ? clone(item) : mergeInto(live[index], item, resolver, names, mapType);
        }
        return live;
      }
    }
    if (Array.isArray(live) && lt.type === 'set') {
      for (const item of applied) if (!live.some((x) => deepEqual(x, item))) live.push(clone(item));
      return live;
    }
    if (lt.type === 'map' && lt.defaults) return (clone(applied) as JsonObject[]).map((item) => withKeyDefaults(item, lt.defaults));
    return clone(applied);
  }
  return applied;
}

/** The item with its missing key fields set to their defaults (as the API server's defaulting would). */
function withKeyDefaults(item: JsonObject, defaults: JsonObject | undefined): JsonObject {
  if (!defaults || !isPlainObject(item)) return item;
  for (const [k, v] of Object.entries(defaults)) if (item[k] === undefined) item[k] = v;
  return item;
}

/** After a removal, drops maps and lists that became empty, unless someone owns them. */
function pruneEmptyParents(obj: JsonObject, removedPath: FieldPath, owned: FieldSet): void {
  for (let n = removedPath.length - 1; n >= 1; n--) {
    const parentPath = removedPath.slice(0, n);
    if (owned.has(parentPath) || (parentPath.length === 1 && parentPath[0] === 'f:metadata')) return;
    const v = valueAt(obj, parentPath);
    const empty = v.found && ((isPlainObject(v.value) && Object.keys(v.value).length === 0) || (Array.isArray(v.value) && v.value.length === 0));
    if (!empty) return;
    removeAt(obj, parentPath);
  }
}
