/** A JSON object as stored by the sandbox. */
export type JsonObject = Record<string, any>;

/** True for a plain JSON object (not an array, not null). */
export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Deep copy of a JSON value with the JSON round trip's result, exactly what a client would see on the wire:
 * `undefined` members are dropped and `undefined` array items become null. (A recursive copy: several times
 * faster than `JSON.parse(JSON.stringify(...))`, which dominated the sandbox's CPU time.)
 */
export function clone<T>(value: T): T {
  return value === undefined ? value : copyJson(value) as T;
}

function copyJson(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : copyJson(item)));
  const out: JsonObject = {};
  for (const key of Object.keys(value)) {
    const item = (value as JsonObject)[key];
    if (item !== undefined) out[key] = copyJson(item);
  }
  return out;
}

/** Structural equality of two JSON values; object key order does not matter. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** JSON text with object keys sorted, so equal values give equal strings. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Removes `null` members of objects, recursively (an apply configuration's `null` means "not set"). */
export function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (isPlainObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== null && v !== undefined) out[k] = dropNulls(v);
    }
    return out;
  }
  return value;
}

/** RFC 3339 timestamp at second precision, the way Kubernetes writes metadata times. */
export function nowRfc3339(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * Decodes a JSON text the way the API server's Go decoder does, and reports the keys an object sets twice
 * (`data`, `spec.replicas`): a repeated key's value is decoded into the first one, so two objects merge (deeply)
 * and anything else takes the last value. The text must be valid JSON.
 */
export function decodeJson(text: string): { value: unknown; duplicates: string[] } {
  const duplicates: string[] = [];
  let i = 0;
  const space = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  const str = (): string => {
    const start = i;
    i++;
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i));
  };
  const value = (path: string): unknown => {
    space();
    if (text[i] === '{') {
      i++;
      const out: JsonObject = {};
      space();
      if (text[i] === '}') {
        i++;
        return out;
      }
      for (;;) {
        space();
        const key = str();
        const child = path ? `${path}.${key}` : key;
        space();
        i++; // ':'
        const v = value(child);
        if (Object.prototype.hasOwnProperty.call(out, key)) {
          duplicates.push(child);
          out[key] = goMerge(out[key], v);
        } else {
          out[key] = v;
        }
        space();
        if (text[i++] === '}') return out;
      }
    }
    if (text[i] === '[') {
      i++;
      const out: unknown[] = [];
      space();
      if (text[i] === ']') {
        i++;
        return out;
      }
      for (;;) {
        out.push(value(path));
        space();
        if (text[i++] === ']') return out;
      }
    }
    if (text[i] === '"') return str();
    const start = i;
    while (i < text.length && !',}] \t\r\n'.includes(text[i])) i++;
    return JSON.parse(text.slice(start, i));
  };
  return { value: value(''), duplicates };
}

/** Decoding a second value into a first: objects merge key by key, anything else is replaced. */
function goMerge(first: unknown, second: unknown): unknown {
  if (!isPlainObject(first) || !isPlainObject(second)) return second;
  const out: JsonObject = { ...first };
  for (const [k, v] of Object.entries(second)) out[k] = k in out ? goMerge(out[k], v) : v;
  return out;
}
