/**
 * Deciding, without a request and without a schema, that a server-side apply would change nothing.
 *
 * The applied field set is derived by walking the manifest together with the applier's `fieldsV1` entry: the entry's
 * nodes tell how the server tracked each place (a leaf `{}`, a map of `f:` fields, an associative list of `k:` items,
 * a set of `v:` values). Anything the walk cannot account for answers false: the caller then sends the PATCH anyway.
 */

/** Top-level fields the server never records in managedFields (they identify the type). */
const TYPE_FIELDS = new Set(['apiVersion', 'kind']);
/** Identity metadata: checked by value, allowed to be recorded or not. */
const IDENTITY_METADATA = new Set(['name', 'namespace']);
/** Server-owned metadata: a manifest that sets one of these is not a plain apply configuration. */
const SERVER_METADATA = new Set([
  'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds',
  'managedFields', 'selfLink',
]);

type JsonMap = { [key: string]: any };

/**
 * Whether a server-side apply of `manifest` by `fieldManager` would certainly change nothing on `live`: every
 * value the manifest sets is already there, and the set of fields `fieldManager` owns (its one `Apply` entry in
 * `live.metadata.managedFields`, at the manifest's apiVersion) is exactly the set the manifest sets.
 *
 * Conservative: any doubt (no or several entries, nulls, unknown path elements, positional `i:` lists, reordered
 * list items, empty maps or lists the entry does not record) answers false.
 *
 * @param manifest the apply configuration, wire (JSON) form
 * @param live the object as stored, wire form with `metadata.managedFields`, or undefined when it does not exist
 * @param fieldManager the field manager the apply would use
 */
export function isNoOpApply(manifest: any, live: any | undefined, fieldManager: string): boolean {
  try {
    if (!isMap(manifest) || !isMap(live) || !isMap(manifest.metadata) || !wellFormed(manifest)) return false;
    if (typeof manifest.apiVersion !== 'string' || manifest.apiVersion !== live.apiVersion) return false;
    if (typeof manifest.kind !== 'string' || manifest.kind !== live.kind) return false;
    const fields = appliedFields(live, fieldManager, manifest.apiVersion);
    return fields !== undefined && matchRoot(manifest, fields, withWriteOnlyFields(manifest, live));
  } catch {
    // malformed `k:`/`v:` JSON and the like
    return false;
  }
}

/**
 * `live` with the write-only fields the manifest sets put back as the server understood them: a v1 Secret stores
 * `stringData` as base64 `data` and never returns it, so `stringData` is read back from `data` (and only when the
 * manifest does not also set `data` for that key).
 */
function withWriteOnlyFields(manifest: JsonMap, live: JsonMap): JsonMap {
  if (manifest.apiVersion !== 'v1' || manifest.kind !== 'Secret' || !isMap(manifest.stringData) || live.stringData !== undefined) return live;
  const data = isMap(live.data) ? live.data : {};
  const stringData: JsonMap = {};
  for (const key of Object.keys(manifest.stringData)) {
    if (isMap(manifest.data) && hasOwn(manifest.data, key)) return live;
    if (typeof data[key] !== 'string') return live;
    stringData[key] = Buffer.from(data[key], 'base64').toString('utf8');
  }
  return { ...live, stringData };
}

/** The `fieldsV1` of the manager's single Apply entry (main resource, same apiVersion), or undefined. */
function appliedFields(live: JsonMap, fieldManager: string, apiVersion: string): JsonMap | undefined {
  const entries = live.metadata?.managedFields;
  if (!Array.isArray(entries)) return undefined;
  const mine = entries.filter(e => isMap(e) && e.manager === fieldManager && e.operation === 'Apply'
    && (e.subresource === undefined || e.subresource === ''));
  if (mine.length !== 1) return undefined;
  const entry = mine[0];
  if (entry.apiVersion !== apiVersion || entry.fieldsType !== 'FieldsV1' || !isMap(entry.fieldsV1)) return undefined;
  return entry.fieldsV1;
}

function matchRoot(manifest: JsonMap, node: JsonMap, live: JsonMap): boolean {
  for (const key of Object.keys(node)) {
    const name = fieldName(key);
    if (name === undefined) return false;
    if (TYPE_FIELDS.has(name)) {
      if (!isLeaf(node[key])) return false;
    } else if (!has(manifest, name)) {
      return false;
    }
  }
  for (const name of keysOf(manifest)) {
    if (TYPE_FIELDS.has(name)) continue;
    if (name === 'metadata') {
      if (!matchMetadata(manifest.metadata, node['f:metadata'], live.metadata)) return false;
    } else if (!hasOwn(node, `f:${name}`) || !has(live, name) || !matchValue(manifest[name], node[`f:${name}`], live[name])) {
      return false;
    }
  }
  return true;
}

/** metadata: name/namespace compare by value only; `f:metadata` is absent when nothing else is set. */
function matchMetadata(m: unknown, node: unknown, live: unknown): boolean {
  if (!isMap(m) || !isMap(live)) return false;
  if (typeof m.name !== 'string' || m.name !== live.name) return false;
  if (has(m, 'namespace') && m.namespace !== live.namespace) return false;
  const keys = keysOf(m);
  if (keys.some(k => SERVER_METADATA.has(k))) return false;
  const rest = keys.filter(k => !IDENTITY_METADATA.has(k));
  if (node === undefined) return rest.length === 0;
  if (!isMap(node) || isLeaf(node)) return false;
  for (const key of Object.keys(node)) {
    const name = fieldName(key);
    if (name === undefined || !has(m, name)) return false;
    if (IDENTITY_METADATA.has(name) && !isLeaf(node[key])) return false;
  }
  return rest.every(k => hasOwn(node, `f:${k}`) && has(live, k) && matchValue(m[k], node[`f:${k}`], live[k]));
}

function matchValue(m: unknown, node: unknown, live: unknown): boolean {
  if (!isMap(node)) return false;
  if (Array.isArray(m)) return matchList(m, node, live);
  if (isMap(m)) return matchMap(m, node, live);
  return isLeaf(node) && m === live;
}

function matchMap(m: JsonMap, node: JsonMap, live: unknown): boolean {
  if (!isMap(live)) return false;
  const keys = keysOf(m);
  // A leaf: an empty map (merging it changes nothing), or an atomic map, replaced as a whole.
  if (isLeaf(node)) return keys.length === 0 || deepEqual(m, live);
  if (keys.length === 0) return false;
  return matchFields(m, keys, node, live);
}

/** The node holds exactly one `f:` child per key of `m` (and maybe `.`, the map itself), each matching. */
function matchFields(m: JsonMap, keys: string[], node: JsonMap, live: JsonMap): boolean {
  for (const key of Object.keys(node)) {
    if (key === '.') {
      if (!isLeaf(node[key])) return false;
      continue;
    }
    const name = fieldName(key);
    if (name === undefined || !has(m, name)) return false;
  }
  return keys.every(k => hasOwn(node, `f:${k}`) && has(live, k) && matchValue(m[k], node[`f:${k}`], live[k]));
}

function matchList(m: unknown[], node: JsonMap, live: unknown): boolean {
  if (!Array.isArray(live)) return false;
  const children = Object.keys(node);
  // Atomic (or empty) list: owned as a whole.
  if (children.length === 0) return deepEqual(m, live);
  if (children.length !== m.length) return false;
  if (children.every(k => k.startsWith('k:'))) return matchAssociative(m, node, live);
  if (children.every(k => k.startsWith('v:'))) return matchSet(m, node, live);
  return false;
}

/**
 * Associative list: each item matches exactly one `k:` child and exactly one live item by the key's fields; the
 * items keep their relative order in the live list (the merge would reorder them otherwise).
 */
function matchAssociative(m: unknown[], node: JsonMap, live: unknown[]): boolean {
  const children = Object.keys(node).map(k => ({ name: k, key: JSON.parse(k.slice(2)) }));
  if (children.some(c => !isMap(c.key) || keysOf(c.key).length === 0)) return false;
  const used = new Set<string>();
  let last = -1;
  for (const item of m) {
    if (!isMap(item)) return false;
    const hits = children.filter(c => keyMatches(item, c.key));
    if (hits.length !== 1 || used.has(hits[0].name)) return false;
    used.add(hits[0].name);
    const liveHits = live.flatMap((x, i) => (isMap(x) && keyMatches(x, hits[0].key) ? [i] : []));
    if (liveHits.length !== 1 || liveHits[0] <= last) return false;
    last = liveHits[0];
    const itemNode = node[hits[0].name];
    // The item itself is a member (`.`), next to its fields.
    if (!isMap(itemNode) || !hasOwn(itemNode, '.')) return false;
    if (!matchFields(item, keysOf(item), itemNode, live[last] as JsonMap)) return false;
  }
  return true;
}

/** Set: the items are the `v:` values, without duplicates, in the live list's relative order. */
function matchSet(m: unknown[], node: JsonMap, live: unknown[]): boolean {
  const children = Object.keys(node);
  if (children.some(k => !isLeaf(node[k]))) return false;
  const values = children.map(k => JSON.parse(k.slice(2)));
  const used = new Set<number>();
  let last = -1;
  for (const item of m) {
    const hits = values.flatMap((v, i) => (deepEqual(v, item) ? [i] : []));
    if (hits.length !== 1 || used.has(hits[0])) return false;
    used.add(hits[0]);
    const liveHits = live.flatMap((x, i) => (deepEqual(x, item) ? [i] : []));
    if (liveHits.length !== 1 || liveHits[0] <= last) return false;
    last = liveHits[0];
  }
  return true;
}

/**
 * Whether an item has the key's values. A `protocol` the item leaves out is `TCP`: the API server keys the lists
 * that use it (container ports, Service ports) with the schema's default, `k:{"containerPort":80,"protocol":"TCP"}`.
 */
function keyMatches(item: JsonMap, key: JsonMap): boolean {
  return keysOf(key).every(k => (has(item, k) ? deepEqual(item[k], key[k]) : k === 'protocol' && key[k] === 'TCP'));
}

/** `f:x` -> `x`; undefined for any other path element. */
function fieldName(key: string): string | undefined {
  return key.startsWith('f:') ? key.slice(2) : undefined;
}

function isMap(v: unknown): v is JsonMap {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function isLeaf(node: unknown): boolean {
  return isMap(node) && Object.keys(node).length === 0;
}

function hasOwn(obj: JsonMap, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** A key with a value (undefined counts as absent, as in JSON). */
function has(obj: JsonMap, key: string): boolean {
  return hasOwn(obj, key) && obj[key] !== undefined;
}

function keysOf(obj: JsonMap): string[] {
  return Object.keys(obj).filter(k => obj[k] !== undefined);
}

/** Plain JSON without nulls: strings, finite numbers, booleans, arrays (no holes or undefined), plain objects. */
function wellFormed(v: unknown): boolean {
  if (typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return Object.keys(v).length === v.length && v.every(x => x !== undefined && wellFormed(x));
  if (isMap(v)) return Object.values(v).every(x => x === undefined || wellFormed(x));
  return false;
}

/** Structural equality of JSON values; `"1"` and `1` differ, object key order does not matter. */
function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (!isMap(a) || !isMap(b)) return false;
  const ka = keysOf(a);
  const kb = keysOf(b);
  return ka.length === kb.length && ka.every(k => has(b, k) && deepEqual(a[k], b[k]));
}
