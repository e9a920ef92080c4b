import { ApiError } from './errors';
import { clone, deepEqual, isPlainObject, JsonObject } from './json';

/** RFC 7386 JSON merge patch: maps merge recursively, `null` deletes, everything else (lists too) replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  const out: JsonObject = isPlainObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * An approximation of strategic merge patch for built-in kinds: like a merge patch, except that lists whose items
 * all carry a `name` merge by name (as containers, env, volumes and ports do) and `$patch: delete` on such an item
 * removes it. The merged list is ordered as the API server orders it: the patch's items in the patch's order, the
 * other items inserted before the first patch item they preceded in the live list. Other directives
 * (`$setElementOrder`, `$retainKeys`, `$deleteFromPrimitiveList`) are ignored.
 */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (Array.isArray(patch) && Array.isArray(target) && namedItems(patch) && namedItems(target)) {
    const out = clone(target) as JsonObject[];
    for (const item of patch as JsonObject[]) {
      const i = out.findIndex((x) => x.name === item.name);
      if (item.$patch === 'delete') {
        if (i >= 0) out.splice(i, 1);
      } else if (i >= 0) {
        out[i] = strategicMergePatch(out[i], item) as JsonObject;
      } else {
        out.push(stripDirectives(item) as JsonObject);
      }
    }
    const patched = (patch as JsonObject[]).filter((p) => p.$patch !== 'delete').map((p) => p.name);
    const fromPatch = patched.map((n) => out.find((x) => x.name === n)!).filter((x) => x !== undefined);
    const serverOnly = out.filter((x) => !patched.includes(x.name));
    return interleave(serverOnly, fromPatch, (target as JsonObject[]).map((x) => x.name));
  }
  if (!isPlainObject(patch)) return stripDirectives(patch);
  if (patch.$patch === 'replace') return stripDirectives(patch);
  const out: JsonObject = isPlainObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) delete out[k];
    else out[k] = strategicMergePatch(out[k], v);
  }
  return out;
}

/**
 * Merges the live-only items into the patch's items, keeping the order of each: a live item goes first when both it
 * and the next patch item were in the live list and it came before; otherwise the patch item goes first.
 */
function interleave(serverOnly: JsonObject[], fromPatch: JsonObject[], liveOrder: string[]): JsonObject[] {
  const out: JsonObject[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < fromPatch.length) {
    if (j >= fromPatch.length) {
      out.push(serverOnly[i++]);
    } else if (i >= serverOnly.length) {
      out.push(fromPatch[j++]);
    } else {
      const li = liveOrder.indexOf(serverOnly[i].name);
      const ri = liveOrder.indexOf(fromPatch[j].name);
      out.push(li >= 0 && ri >= 0 && li < ri ? serverOnly[i++] : fromPatch[j++]);
    }
  }
  return out;
}

function namedItems(list: unknown[]): boolean {
  return list.every((x) => isPlainObject(x) && typeof x.name === 'string');
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isPlainObject(v)) return clone(v);
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) if (!k.startsWith('$') && x !== null) out[k] = stripDirectives(x);
  return out;
}

/** RFC 6902 JSON patch (add, remove, replace, move, copy, test). A failed operation is a 422, like the API server's. */
export function jsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw ApiError.badRequest('json patch must be a list of operations');
  let doc = clone(target);
  for (const op of operations) {
    if (!isPlainObject(op) || typeof op.op !== 'string') throw ApiError.badRequest(`invalid JSON patch operation: ${JSON.stringify(op)}`);
    const path = parsePointer(op.path);
    switch (op.op) {
      case 'add': doc = put(doc, path, clone(op.value), 'add'); break;
      case 'replace': doc = put(doc, path, clone(op.value), 'replace'); break;
      case 'remove': doc = take(doc, path).doc; break;
      case 'move': {
        const taken = take(doc, parsePointer(op.from));
        doc = put(taken.doc, path, taken.value, 'add');
        break;
      }
      case 'copy': doc = put(doc, path, clone(get(doc, parsePointer(op.from))), 'add'); break;
      case 'test':
        if (!deepEqual(get(doc, path), op.value)) fail(`testing value ${op.path} failed`);
        break;
      default: throw ApiError.badRequest(`unexpected JSON patch operation "${op.op}"`);
    }
  }
  return doc;
}

/** A failed JSON patch operation: the API server's 422 says only that (`_why` documents the cause here). */
function fail(_why: string): never {
  throw new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
}

function parsePointer(pointer: unknown): string[] {
  if (typeof pointer !== 'string' || (pointer !== '' && !pointer.startsWith('/'))) fail(`invalid JSON pointer ${JSON.stringify(pointer)}`);
  return (pointer as string) === '' ? [] : (pointer as string).slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function get(doc: unknown, path: string[]): unknown {
  let cur = doc;
  for (const seg of path) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, seg, false)];
    else if (isPlainObject(cur) && seg in cur) cur = cur[seg];
    else fail(`doc is missing path: /${path.join('/')}`);
  }
  return cur;
}

function arrayIndex(list: unknown[], seg: string, forAdd: boolean): number {
  if (forAdd && seg === '-') return list.length;
  const i = Number(seg);
  if (!/^\d+$/.test(seg) || i > list.length || (!forAdd && i === list.length)) fail(`index out of range: ${seg}`);
  return i;
}

function put(doc: unknown, path: string[], value: unknown, mode: 'add' | 'replace'): unknown {
  if (path.length === 0) return value;
  const parent = get(doc, path.slice(0, -1));
  const last = path[path.length - 1];
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, last, mode === 'add');
    if (mode === 'add') parent.splice(i, 0, value);
    else parent[i] = value;
  } else if (isPlainObject(parent)) {
    if (mode === 'replace' && !(last in parent)) fail(`replace operation does not apply: doc is missing key: /${path.join('/')}`);
    parent[last] = value;
  } else {
    fail(`doc is missing path: /${path.join('/')}`);
  }
  return doc;
}

function take(doc: unknown, path: string[]): { doc: unknown; value: unknown } {
  if (path.length === 0) fail('cannot remove the whole document');
  const parent = get(doc, path.slice(0, -1));
  const last = path[path.length - 1];
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, last, false);
    return { doc, value: parent.splice(i, 1)[0] };
  }
  if (isPlainObject(parent) && last in parent) {
    const value = parent[last];
    delete parent[last];
    return { doc, value };
  }
  return fail(`remove operation does not apply: doc is missing path: /${path.join('/')}`);
}
