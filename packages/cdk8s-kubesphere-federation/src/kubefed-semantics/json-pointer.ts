/**
 * JSON pointers (RFC 6901) and the three JSON Patch (RFC 6902) operations KubeFed
 * overrides may use, with the semantics of the library KubeFed v0.8.1 applies them with:
 * evanphx/json-patch v4 (`patch.go`). All functions are pure: inputs are never mutated.
 */

/** A JSON Patch operation could not be applied; `reason` says why. */
export class JsonPatchError extends Error {
  public readonly reason: string;

  constructor(reason: string) {
    super(reason);
    this.name = 'JsonPatchError';
    this.reason = reason;
  }
}

/** Escapes one reference token: `~` becomes `~0`, `/` becomes `~1` (RFC 6901 §3). */
export function escapeToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Decodes one reference token: `~1` to `/` first, then `~0` to `~` (RFC 6901 §4). */
export function unescapeToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/**
 * Why `path` is not a syntactically valid JSON pointer, or undefined.
 * The empty string is a valid pointer (the whole document).
 */
export function pointerProblem(path: unknown): string | undefined {
  if (typeof path !== 'string') return `a JSON pointer must be a string, got ${typeof path}`;
  if (path === '') return undefined;
  if (!path.startsWith('/')) return `a JSON pointer must be empty or start with "/", got ${JSON.stringify(path)}`;
  const badEscape = /~(?![01])/.exec(path);
  if (badEscape) {
    return `"~" at offset ${badEscape.index} is not followed by 0 or 1; write "~0" for a literal "~" and "~1" for a "/" inside a key`;
  }
  return undefined;
}

/** Splits a JSON pointer into decoded reference tokens. Throws JsonPatchError if it is malformed. */
export function parsePointer(path: string): string[] {
  const problem = pointerProblem(path);
  if (problem) throw new JsonPatchError(problem);
  if (path === '') return [];
  return path.slice(1).split('/').map(unescapeToken);
}

/** Builds a JSON pointer from unescaped reference tokens. */
export function formatPointer(tokens: readonly string[]): string {
  return tokens.map((t) => '/' + escapeToken(t)).join('');
}

/** Deep copy of a JSON-like value; object keys whose value is `undefined` are dropped, as JSON does. */
export function deepCopy<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => deepCopy(v)) as unknown as T;
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) setOwn(out, k, deepCopy(v));
    }
    return out as T;
  }
  return value;
}

/**
 * The value at `path`, or undefined when any step is missing (no throw for absent values).
 * Array steps accept the indices evanphx/json-patch accepts (see {@link addValue}).
 */
export function getValue(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const token of parsePointer(path)) {
    if (Array.isArray(cur)) {
      const idx = arrayIndex(token, cur.length, false);
      if (typeof idx !== 'number') return undefined;
      cur = cur[idx];
    } else if (isObject(cur)) {
      if (!hasOwn(cur, token)) return undefined;
      cur = cur[token];
    } else {
      return undefined;
    }
  }
  return cur;
}

/**
 * RFC 6902 "add". Objects: sets the member, overwriting an existing one. Arrays: inserts before
 * the index, `-` appends, index == length appends, a larger index fails.
 * Quirk kept from evanphx/json-patch v4 (`partialArray.add`, `SupportNegativeIndices = true`):
 * a negative index `-n` counts from the end of the array *after* insertion.
 */
export function addValue(doc: unknown, path: string, value: unknown): unknown {
  return mutate(doc, path, 'add', (parent, key) => {
    if (Array.isArray(parent)) {
      if (key === '-') {
        parent.push(deepCopy(value));
        return;
      }
      const idx = arrayIndex(key, parent.length + 1, true);
      if (typeof idx !== 'number') throw new JsonPatchError(idx);
      parent.splice(idx, 0, deepCopy(value));
      return;
    }
    setOwn(parent, key, deepCopy(value));
  });
}

/** RFC 6902 "remove": fails when the member or index does not exist (`partialDoc.remove`, `partialArray.remove`). */
export function removeValue(doc: unknown, path: string): unknown {
  return mutate(doc, path, 'remove', (parent, key) => {
    if (Array.isArray(parent)) {
      const idx = arrayIndex(key, parent.length, false);
      if (typeof idx !== 'number') throw new JsonPatchError(idx);
      parent.splice(idx, 1);
      return;
    }
    if (!hasOwn(parent, key)) throw new JsonPatchError(`there is no member ${JSON.stringify(key)} to remove`);
    delete parent[key];
  });
}

/**
 * RFC 6902 "replace" as evanphx/json-patch v4 implements it (`Patch.replace`): the parent must
 * exist and an array index must be in range, but a *missing member of an existing object is
 * created* (v4's `partialDoc.get` never reports a missing key), unlike RFC 6902 which fails.
 * A negative array index is refused: v4's `partialArray.get` indexes the Go slice with it and panics.
 */
export function replaceValue(doc: unknown, path: string, value: unknown): unknown {
  return mutate(doc, path, 'replace', (parent, key) => {
    if (Array.isArray(parent)) {
      const negative = negativeIndexProblem(key, path);
      if (negative) throw new JsonPatchError(`replace: ${negative}`);
      const idx = arrayIndex(key, parent.length, false);
      if (typeof idx !== 'number') throw new JsonPatchError(idx);
      parent[idx] = deepCopy(value);
      return;
    }
    setOwn(parent, key, deepCopy(value));
  });
}

type Container = Record<string, unknown> | unknown[];

function mutate(doc: unknown, path: string, op: string, apply: (parent: Container, key: string) => void): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) {
    // evanphx/json-patch `findObject` needs at least one token; whole-document operations are not supported.
    throw new JsonPatchError(`${op} of the whole document (empty path) is not supported`);
  }
  const root = deepCopy(doc);
  if (!isContainer(root)) throw new JsonPatchError('the document is not an object or an array');
  const parent = walkToParent(root, tokens, op);
  apply(parent, tokens[tokens.length - 1]);
  return root;
}

// evanphx/json-patch v4 `findObject`: every token but the last must name an existing object or
// array; a missing member, a null value, a scalar or a bad index means "doc is missing path".
// A negative index into an array on the way panics in `partialArray.get`, so it is refused.
function walkToParent(root: Container, tokens: string[], op: string): Container {
  let cur: Container = root;
  for (let i = 0; i < tokens.length - 1; i++) {
    const token = tokens[i];
    const where = formatPointer(tokens.slice(0, i + 1));
    let next: unknown;
    if (Array.isArray(cur)) {
      const negative = negativeIndexProblem(token, where);
      if (negative) throw new JsonPatchError(`${op}: ${negative}`);
      const idx = arrayIndex(token, cur.length, false);
      if (typeof idx !== 'number') throw new JsonPatchError(`${op}: cannot step into ${where}: ${idx}`);
      next = cur[idx];
    } else {
      next = hasOwn(cur, token) ? cur[token] : undefined;
    }
    if (next === undefined || next === null) {
      throw new JsonPatchError(`${op}: the parent ${where} does not exist (add it first, or add the whole parent object)`);
    }
    if (!isContainer(next)) {
      throw new JsonPatchError(`${op}: ${where} is a ${typeof next}, not an object or array, so it has no children`);
    }
    cur = next;
  }
  return cur;
}

/**
 * Resolves an array reference token the way evanphx/json-patch v4 does (Go `strconv.Atoi`:
 * optional sign, decimal digits, leading zeros allowed; negative counts from the end).
 * `size` is the number of valid positions. Returns the index, or a reason string.
 */
function arrayIndex(token: string, size: number, forInsert: boolean): number | string {
  if (!/^[+-]?\d+$/.test(token)) {
    return `${JSON.stringify(token)} is not an array index (use a number${forInsert ? ', or "-" to append' : ''})`;
  }
  let idx = Number(token);
  if (idx < 0) {
    if (idx < -size) return `index ${token} is out of range for an array of ${forInsert ? size - 1 : size} element(s)`;
    idx += size;
  }
  if (idx >= size) return `index ${token} is out of range for an array of ${forInsert ? size - 1 : size} element(s)`;
  return idx;
}

// evanphx/json-patch v4 `partialArray.get` checks only `idx >= len`, so a negative index (as Go
// strconv.Atoi reads it: "-0" is 0) makes the Go slice access panic, which crashes the
// kubefed-controller-manager process (the sync goroutine has no recover).
function negativeIndexProblem(token: string, where: string): string | undefined {
  if (!/^-\d+$/.test(token) || Number(token) === 0) return undefined;
  return `the negative index at ${where} makes KubeFed's JSON-patch library (evanphx/json-patch v4) panic, which crashes kubefed-controller-manager; count from the start of the array instead`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isContainer(v: unknown): v is Container {
  return typeof v === 'object' && v !== null;
}

function hasOwn(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

// defineProperty, not assignment: a key such as "__proto__" must become a plain member.
function setOwn(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
}
