import { deepEqual, isPlainObject, JsonObject, nowRfc3339, stableStringify } from './json';

/**
 * How a list is merged and tracked: `map` lists are associative by their key fields (`k:{...}` path elements),
 * `set` lists hold unique scalars (`v:...`), `atomic` lists are owned and replaced as a whole.
 */
export type ListType =
  | {
    readonly type: 'map';
    readonly keys: string[];
    /** Items are owned and replaced whole (`x-kubernetes-map-type: atomic` items, e.g. ownerReferences). */
    readonly atomicItems?: boolean;
    /** Values of key fields an item may leave out (a container port's `protocol` is `TCP`). */
    readonly defaults?: JsonObject;
  }
  | { readonly type: 'set' }
  | { readonly type: 'atomic' };

/** Decides the list type of the list at a field path (field names only, list positions left out). */
export type ListTypeResolver = (fieldPath: string[], items: unknown[]) => ListType;

/**
 * How a map is tracked: `granular` (its fields are members), `atomic` (the map is one member, replaced whole) or
 * `deduced` (schemaless: the map is a member itself, `.`, and so are its fields).
 */
export type MapType = 'granular' | 'atomic' | 'deduced';

/** Decides the map type of the map at a field path. */
export type MapTypeResolver = (fieldPath: string[]) => MapType;

/** A path in fieldsV1 notation: `f:spec`, `k:{"name":"web"}`, `v:"x"`. */
export type FieldPath = string[];

const SEP = '\u0000';

/** A set of field paths, convertible to and from the API's `fieldsV1` format. */
export class FieldSet {
  /** Parses a `fieldsV1` object. */
  public static fromFieldsV1(fields: unknown): FieldSet {
    const set = new FieldSet();
    const walk = (node: unknown, path: FieldPath) => {
      if (!isPlainObject(node)) return;
      const keys = Object.keys(node);
      if (keys.length === 0 && path.length > 0) set.insert(path);
      for (const key of keys) {
        if (key === '.') set.insert(path);
        else walk(node[key], [...path, key]);
      }
    };
    walk(fields, []);
    return set;
  }

  private readonly keys = new Set<string>();

  constructor(paths: Iterable<FieldPath> = []) {
    for (const p of paths) this.insert(p);
  }

  /** Number of member paths. */
  public get size(): number {
    return this.keys.size;
  }

  /** Adds a path. */
  public insert(path: FieldPath): void {
    this.keys.add(path.join(SEP));
  }

  /** Removes a path. */
  public delete(path: FieldPath): void {
    this.keys.delete(path.join(SEP));
  }

  /** Whether the path is a member. */
  public has(path: FieldPath): boolean {
    return this.keys.has(path.join(SEP));
  }

  /** Whether some member lies strictly below the path. */
  public hasDescendant(path: FieldPath): boolean {
    const prefix = path.join(SEP) + SEP;
    for (const k of this.keys) if (k.startsWith(prefix)) return true;
    return false;
  }

  /** Member paths. */
  public paths(): FieldPath[] {
    return [...this.keys].map((k) => k.split(SEP));
  }

  /** An independent copy. */
  public copy(): FieldSet {
    const out = new FieldSet();
    for (const k of this.keys) out.keys.add(k);
    return out;
  }

  /** Members of this set that are not in `other`. */
  public minus(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const k of this.keys) if (!other.keys.has(k)) out.keys.add(k);
    return out;
  }

  /** Members of either set. */
  public union(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const k of this.keys) out.keys.add(k);
    for (const k of other.keys) out.keys.add(k);
    return out;
  }

  /** Whether both sets hold the same members. */
  public equals(other: FieldSet): boolean {
    return this.keys.size === other.keys.size && [...this.keys].every((k) => other.keys.has(k));
  }

  /** The `fieldsV1` object: `{}` for a leaf member, `".": {}` for a member that also has members below it. */
  public toFieldsV1(): JsonObject {
    const root: JsonObject = {};
    for (const path of this.paths()) {
      let node = root;
      for (const el of path) node = node[el] ??= {};
      node['.'] = {};
    }
    const finish = (node: JsonObject): JsonObject => {
      const keys = Object.keys(node).filter((k) => k !== '.').sort();
      if (keys.length === 0) return {};
      const out: JsonObject = {};
      if (node['.']) out['.'] = {};
      for (const k of keys) out[k] = finish(node[k]);
      return out;
    };
    return finish(root);
  }
}

/** Field paths that never count as owned: identity and server-managed metadata. */
const STRIPPED_METADATA = new Set([
  'name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp',
  'deletionGracePeriodSeconds', 'managedFields', 'selfLink',
]);

/** Which part of an object a write may touch. */
export type WriteScope = 'main' | 'status';

/** Options for computing the fields an object sets. */
export interface FieldSetOptions {
  readonly resolver: ListTypeResolver;
  /** Map types by field path (atomic and deduced maps). Default: every map is granular. */
  readonly mapType?: MapTypeResolver;
  /** For kinds with a status subresource: `main` leaves `status` out, `status` keeps only `status`. */
  readonly scope?: WriteScope;
  readonly statusSubresource?: boolean;
}

/** Whether a top-level field takes part in a write of the given scope. */
export function inScope(field: string, options: Pick<FieldSetOptions, 'scope' | 'statusSubresource'>): boolean {
  if (field === 'apiVersion' || field === 'kind') return false;
  if (!options.statusSubresource) return true;
  return (options.scope ?? 'main') === 'status' ? field === 'status' : field !== 'status';
}

/**
 * The set of fields an object sets, at leaf granularity: scalars, empty maps and atomic lists are leaves;
 * items of associative lists are members themselves (`.`) and hold their fields.
 */
export function fieldSetOf(obj: JsonObject, options: FieldSetOptions): FieldSet {
  const set = new FieldSet();
  const mapType = options.mapType ?? (() => 'granular');
  const walk = (value: unknown, path: FieldPath, names: string[]) => {
    if (isPlainObject(value)) {
      const keys = Object.keys(value).filter((k) => value[k] !== undefined);
      const kind = names.length > 0 ? mapType(names) : 'granular';
      if (keys.length === 0 || kind === 'atomic') {
        set.insert(path);
        return;
      }
      if (kind === 'deduced') set.insert(path);
      for (const k of keys) {
        if (names.length === 0 && !inScope(k, options)) continue;
        if (names.length === 1 && names[0] === 'metadata' && STRIPPED_METADATA.has(k)) continue;
        walk(value[k], [...path, `f:${k}`], [...names, k]);
      }
      return;
    }
    if (Array.isArray(value) && value.length > 0) {
      const lt = options.resolver(names, value);
      if (lt.type === 'map') {
        for (const item of value) {
          const el = keyElement(item as JsonObject, lt.keys, lt.defaults);
          set.insert([...path, el]);
          if (lt.atomicItems) continue;
          for (const [k, v] of Object.entries(item as JsonObject)) {
            if (v !== undefined) walk(v, [...path, el, `f:${k}`], [...names, k]);
          }
        }
        return;
      }
      if (lt.type === 'set') {
        for (const item of value) set.insert([...path, `v:${JSON.stringify(item)}`]);
        return;
      }
    }
    set.insert(path);
  };
  walk(obj, [], []);
  return set;
}

/** The `k:` element of an associative list item (a key field the item leaves out takes its default). */
export function keyElement(item: JsonObject, keys: string[], defaults: JsonObject = {}): string {
  const key: JsonObject = {};
  for (const k of [...keys].sort()) key[k] = item[k] ?? defaults[k];
  return `k:${stableStringify(key)}`;
}

/** The value at a path, and whether it exists. */
export function valueAt(obj: unknown, path: FieldPath): { found: boolean; value?: unknown } {
  let cur: unknown = obj;
  for (const el of path) {
    const next = step(cur, el);
    if (!next.found) return { found: false };
    cur = next.value;
  }
  return { found: true, value: cur };
}

function step(cur: unknown, el: string): { found: boolean; value?: unknown; index?: number } {
  if (el.startsWith('f:')) {
    const name = el.slice(2);
    if (isPlainObject(cur) && Object.prototype.hasOwnProperty.call(cur, name) && cur[name] !== undefined) {
      return { found: true, value: cur[name] };
    }
    return { found: false };
  }
  if (!Array.isArray(cur)) return { found: false };
  const index = findItem(cur, el);
  return index < 0 ? { found: false } : { found: true, value: cur[index], index };
}

function findItem(list: unknown[], el: string): number {
  if (el.startsWith('k:')) {
    const key = JSON.parse(el.slice(2)) as JsonObject;
    return list.findIndex((item) => isPlainObject(item) && Object.keys(key).every((k) => deepEqual(item[k], key[k])));
  }
  if (el.startsWith('v:')) {
    const v = JSON.parse(el.slice(2));
    return list.findIndex((item) => deepEqual(item, v));
  }
  if (el.startsWith('i:')) {
    const i = Number(el.slice(2));
    return i < list.length ? i : -1;
  }
  return -1;
}

/** Removes the value at a path (a map member or a list item). Returns whether something was removed. */
export function removeAt(obj: unknown, path: FieldPath): boolean {
  if (path.length === 0) return false;
  const parent = valueAt(obj, path.slice(0, -1));
  if (!parent.found) return false;
  const last = path[path.length - 1];
  if (last.startsWith('f:')) {
    if (!isPlainObject(parent.value) || !(last.slice(2) in parent.value)) return false;
    delete parent.value[last.slice(2)];
    return true;
  }
  if (!Array.isArray(parent.value)) return false;
  const index = findItem(parent.value, last);
  if (index < 0) return false;
  parent.value.splice(index, 1);
  return true;
}

/**
 * Whether a path has "the same value" in two objects: list items (`k:`, `v:`) compare by existence,
 * everything else by value.
 */
export function sameAt(a: unknown, b: unknown, path: FieldPath): boolean {
  const va = valueAt(a, path);
  const vb = valueAt(b, path);
  if (!va.found || !vb.found) return va.found === vb.found;
  const last = path[path.length - 1] ?? '';
  if (last.startsWith('k:') || last.startsWith('v:')) return true;
  return deepEqual(va.value, vb.value);
}

/** `.spec.containers[name="web"].image`: the path notation of conflict messages. */
export function describePath(path: FieldPath): string {
  return path.map((el) => {
    if (el.startsWith('f:')) return `.${el.slice(2)}`;
    if (el.startsWith('k:')) {
      const key = JSON.parse(el.slice(2)) as JsonObject;
      return `[${Object.keys(key).map((k) => `${k}=${JSON.stringify(key[k])}`).join(',')}]`;
    }
    if (el.startsWith('v:')) return `[=${el.slice(2)}]`;
    if (el.startsWith('i:')) return `[${el.slice(2)}]`;
    return el;
  }).join('');
}

/** One `metadata.managedFields` entry, with its field set decoded. */
export interface ManagerEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  subresource?: string;
  fields: FieldSet;
}

/** Decodes `metadata.managedFields`. */
export function readManagedFields(obj: JsonObject | undefined): ManagerEntry[] {
  const raw = obj?.metadata?.managedFields;
  if (!Array.isArray(raw)) return [];
  return raw.filter(isPlainObject).map((e) => ({
    manager: String(e.manager ?? ''),
    operation: e.operation === 'Apply' ? 'Apply' : 'Update',
    apiVersion: String(e.apiVersion ?? ''),
    time: String(e.time ?? ''),
    subresource: e.subresource ? String(e.subresource) : undefined,
    fields: FieldSet.fromFieldsV1(e.fieldsV1),
  }));
}

/**
 * Encodes entries into `metadata.managedFields` (entries with no fields are dropped), in the API server's order:
 * Apply before Update, then by time (seconds), manager, apiVersion and subresource.
 */
export function writeManagedFields(entries: ManagerEntry[]): JsonObject[] {
  const key = (e: ManagerEntry) => [e.operation, e.time, e.manager, e.apiVersion, e.subresource ?? ''];
  const order = (a: ManagerEntry, b: ManagerEntry) => {
    const [ka, kb] = [key(a), key(b)];
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    return 0;
  };
  return entries.filter((e) => e.fields.size > 0).sort(order).map((e) => {
    const out: JsonObject = {
      manager: e.manager,
      operation: e.operation,
      apiVersion: e.apiVersion,
      time: e.time,
      fieldsType: 'FieldsV1',
      fieldsV1: e.fields.toFieldsV1(),
    };
    if (e.subresource) out.subresource = e.subresource;
    return out;
  });
}

/**
 * Paths of the non-empty granular maps and associative lists of `after` that `before` does not have (in the scope
 * of the write); atomic maps and lists are leaves.
 */
function createdMaps(before: JsonObject, after: JsonObject, options: FieldSetOptions): FieldSet {
  const set = new FieldSet();
  const mapType = options.mapType ?? (() => 'granular');
  const walk = (value: unknown, path: FieldPath, names: string[]) => {
    if (isPlainObject(value)) {
      if (names.length > 0 && mapType(names) === 'atomic') return;
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined) continue;
        if (names.length === 0 && !inScope(k, options)) continue;
        if (names.length === 1 && names[0] === 'metadata' && STRIPPED_METADATA.has(k)) continue;
        walk(v, [...path, `f:${k}`], [...names, k]);
      }
      if (names.length > 0 && Object.keys(value).length > 0 && !valueAt(before, path).found) set.insert(path);
      return;
    }
    if (Array.isArray(value) && value.length > 0) {
      const lt = options.resolver(names, value);
      if (lt.type === 'atomic') return;
      if (!valueAt(before, path).found) set.insert(path);
      if (lt.type !== 'map' || lt.atomicItems) return;
      for (const item of value) {
        const el = keyElement(item as JsonObject, lt.keys, lt.defaults);
        for (const [k, v] of Object.entries(item as JsonObject)) if (v !== undefined) walk(v, [...path, el, `f:${k}`], [...names, k]);
      }
    }
  };
  walk(after, [], []);
  return set;
}

/** Whether an entry belongs to the given manager identity (manager name, operation and subresource). */
export function isEntryOf(e: ManagerEntry, manager: string, operation: 'Apply' | 'Update', subresource?: string): boolean {
  return e.manager === manager && e.operation === operation && (e.subresource ?? '') === (subresource ?? '');
}

/**
 * Ownership after a non-apply write (create, update, merge/JSON patch): the writer takes every field whose value it
 * changed or added, and every map the write created (`.`, as the API server records maps that were absent before:
 * for a create, absent from `zero`, the kind's empty object); other managers lose those, and removed fields leave
 * every manager. Never a conflict.
 */
export function updateOwnership(
  entries: ManagerEntry[], before: JsonObject | undefined, after: JsonObject,
  writer: { manager: string; apiVersion: string; subresource?: string }, options: FieldSetOptions, zero: JsonObject = {},
): ManagerEntry[] {
  const newSet = fieldSetOf(after, options);
  const oldSet = before ? fieldSetOf(before, options) : new FieldSet();
  const changed = new FieldSet(newSet.paths().filter((p) => !before || !sameAt(before, after, p))).union(createdMaps(before ?? zero, after, options));
  const removed = oldSet.minus(newSet);
  const now = nowRfc3339();
  const out: ManagerEntry[] = [];
  let mine: ManagerEntry | undefined;
  for (const e of entries) {
    if (isEntryOf(e, writer.manager, 'Update', writer.subresource)) {
      mine = { ...e, fields: e.fields.minus(removed).union(changed) };
      if (!mine.fields.equals(e.fields)) mine.time = now;
      mine.apiVersion = writer.apiVersion;
      out.push(mine);
    } else {
      const fields = e.fields.minus(changed).minus(removed);
      out.push(fields.equals(e.fields) ? e : { ...e, fields });
    }
  }
  if (!mine && changed.size > 0) {
    out.push({ manager: writer.manager, operation: 'Update', apiVersion: writer.apiVersion, time: now, subresource: writer.subresource, fields: changed });
  }
  return out.filter((e) => e.fields.size > 0);
}
