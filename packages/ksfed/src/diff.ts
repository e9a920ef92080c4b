/** Metadata the server owns; never part of a diff. */
const IGNORED_METADATA = ['managedFields', 'resourceVersion', 'generation', 'uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink'];
const IGNORED_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration', 'deployment.kubernetes.io/revision'];

/** The part of an object (wire form) a diff compares: no server-owned metadata, no status. */
export function comparable(wire: any): any {
  if (!wire || typeof wire !== 'object') return wire;
  const out: any = { ...wire };
  delete out.status;
  if (out.metadata) {
    const metadata: any = { ...out.metadata };
    for (const key of IGNORED_METADATA) delete metadata[key];
    if (metadata.annotations) {
      const annotations = { ...metadata.annotations };
      for (const key of IGNORED_ANNOTATIONS) delete annotations[key];
      if (Object.keys(annotations).length === 0) delete metadata.annotations;
      else metadata.annotations = annotations;
    }
    out.metadata = metadata;
  }
  return out;
}

/** One difference between the live object and what an apply would make of it. */
export interface Change {
  /** JSON pointer. */
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

/** The JSON-pointer paths where two JSON values differ (arrays of different length differ as a whole). */
export function changes(before: any, after: any, path = ''): Change[] {
  if (deepEqual(before, after)) return [];
  const isObj = (v: any) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap(k => changes(before[k], after[k], `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((b, i) => changes(b, after[i], `${path}/${i}`));
  }
  return [{ path: path || '/', before, after }];
}

/** Structural equality of JSON values. */
export function deepEqual(a: any, b: any): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  const ka = Object.keys(a).filter(k => a[k] !== undefined);
  const kb = Object.keys(b).filter(k => b[k] !== undefined);
  return ka.length === kb.length && ka.every(k => deepEqual(a[k], b[k]));
}

/**
 * Whether a change's path is one of `pointers`, lies under one, or holds one (a parent object or array that
 * changed as a whole).
 */
export function touches(path: string, pointers: readonly string[]): boolean {
  if (path === '/' || path === '') return pointers.length > 0;
  return pointers.some(p => p === path || p.startsWith(`${path}/`) || path.startsWith(`${p}/`));
}

/**
 * Whether the values at a path may be printed: never for Secrets' data, never where a placeholder's value stands
 * (`secret`: JSON pointers; both sides, the live one too), never for objects or long text.
 */
export function printable(kind: string, change: Change, secret: readonly string[] = []): boolean {
  if (kind === 'Secret' && /^\/(data|stringData)(\/|$)/.test(change.path)) return false;
  if (touches(change.path, secret)) return false;
  const scalar = (v: unknown) => v === undefined || v === null || typeof v === 'number' || typeof v === 'boolean' || (typeof v === 'string' && v.length <= 80 && !v.includes('\n'));
  return scalar(change.before) && scalar(change.after);
}

/** `/spec/replicas: 1 -> 2`, or just the path when the values must not (see `printable`) or cannot be shown. */
export function describeChange(kind: string, change: Change, secret: readonly string[] = []): string {
  if (!printable(kind, change, secret)) return change.path;
  const show = (v: unknown) => v === undefined ? '(none)' : JSON.stringify(v);
  return `${change.path}: ${show(change.before)} -> ${show(change.after)}`;
}

/**
 * A JSON pointer as people read paths: `spec.template.spec.containers[0].image`, and keys that are not plain
 * identifiers quoted, `metadata.annotations["kubesphere.io/creator"]` (no `~0`/`~1` escapes); `/` is
 * `(the whole object)`. A key made of digits reads as an index (`[0]`): a pointer does not tell them apart.
 */
export function readablePath(pointer: string): string {
  if (pointer === '' || pointer === '/') return '(the whole object)';
  let out = '';
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(key)) out += `[${key}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

/** A change as `describeChange` wrote it (`/a/b: 1 -> 2`, or the pointer alone) with its path made readable. */
export function readableChange(change: string): string {
  if (!change.startsWith('/')) return change;
  // (the values follow the first ': ' that is followed by ' -> '; a key holding both is read as part of the values)
  const m = /^(\/.*?)(: .* -> .*)?$/s.exec(change)!;
  return `${readablePath(m[1])}${m[2] ?? ''}`;
}
