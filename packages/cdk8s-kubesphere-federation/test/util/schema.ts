/**
 * Test helpers around CustomResourceDefinitions:
 *
 * - `validateAgainstCrd(crd, obj)`: a small OpenAPI v3 structural-schema validator that
 *   answers "would the API server accept this object for this CRD?" and, in strict mode
 *   (the default), also "would it keep every field?" (unknown fields and non-nullable
 *   nulls are silently dropped by the API server; we report them).
 * - `validateAgainstSchema(schema, value)`: the same validator on one schema node; it also
 *   takes plain JSON Schemas such as schemas/federation.schema.json (`const`, `$ref` to the
 *   schema's own `$defs`, `additionalProperties: false` inside `oneOf` branches).
 * - `structuralErrors(crd)`: the structural rules the API server enforces on a v1 CRD.
 * - `crdIdentity(crd)` / `compareSchemas(ours, theirs)`: compare our CRDs with upstream ones.
 * - `loadUpstreamCrd(file)` / `loadUpstreamDocs(file)` / `UPSTREAM_CRDS_DIR` /
 *   `describeWithUpstream(...)`: read KubeSphere's real CRDs (reference data, outside the repo).
 *
 * Error format: `<field path>: <message>`, the path in Kubernetes field-path style
 * (`spec.overrides[0].clusterOverrides[1].op`, map entries as `spec.clusters[edge-1]`,
 * the object itself as `<root>`).
 *
 * Not implemented (documented limits): CEL rules (`x-kubernetes-validations`), defaulting
 * (a property with a `default` satisfies `required`, nothing more), string formats other
 * than byte, date-time, date, uuid, ipv4, ipv6 (others are accepted), and the
 * admission webhooks KubeSphere/KubeFed run on top of the schemas.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Yaml } from 'cdk8s';

// ---------------------------------------------------------------------------
// Upstream reference CRDs
// ---------------------------------------------------------------------------

/** Where KubeSphere's real CRDs are kept (the repo root's sibling `shared/`); may be absent. */
export const UPSTREAM_CRDS_DIR = path.resolve(__dirname, '../../../../../shared/upstream-crds');

let upstreamCache: Map<string, any[]> | undefined;

function listYamlFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) {
      out.push(...listYamlFiles(path.join(dir, e.name), rel));
    } else if (/\.ya?ml$/.test(e.name)) {
      out.push(rel);
    }
  }
  return out;
}

/**
 * Parses every upstream YAML file once per test file. cdk8s' `Yaml.load` spawns a process
 * per call, so all files are concatenated (with a marker document before each) and parsed
 * in one call.
 */
function upstreamDocs(): Map<string, any[]> {
  if (upstreamCache) {
    return upstreamCache;
  }
  const result = new Map<string, any[]>();
  if (!fs.existsSync(UPSTREAM_CRDS_DIR)) {
    upstreamCache = result;
    return result;
  }
  const files = listYamlFiles(UPSTREAM_CRDS_DIR);
  const text = files
    .map(f => `---\n__upstreamFile: ${JSON.stringify(f)}\n${fs.readFileSync(path.join(UPSTREAM_CRDS_DIR, f), 'utf-8')}\n`)
    .join('');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'upstream-crds-'));
  try {
    const file = path.join(tmp, 'all.yaml');
    fs.writeFileSync(file, text);
    let current: any[] | undefined;
    for (const doc of Yaml.load(file)) {
      if (doc && typeof doc === 'object' && '__upstreamFile' in doc) {
        current = [];
        result.set(doc.__upstreamFile, current);
      } else if (current) {
        current.push(doc);
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  upstreamCache = result;
  return result;
}

/** Whether the upstream reference folder is present. */
export function upstreamAvailable(): boolean {
  return fs.existsSync(UPSTREAM_CRDS_DIR);
}

/** All YAML documents of an upstream file (path relative to `UPSTREAM_CRDS_DIR`), or `undefined` when absent. */
export function loadUpstreamDocs(fileName: string): any[] | undefined {
  return upstreamDocs().get(fileName);
}

/** The (first) document of an upstream file, e.g. `clusters.cluster.kubesphere.io.yaml`, or `undefined` when absent. */
export function loadUpstreamCrd(fileName: string): any | undefined {
  const docs = loadUpstreamDocs(fileName);
  return docs && docs.length > 0 ? docs[0] : undefined;
}

/** `describe` when the upstream folder exists, otherwise `describe.skip` with the reason in the title. */
export function describeWithUpstream(name: string, fn: () => void): void {
  if (upstreamAvailable()) {
    describe(name, fn);
  } else {
    describe.skip(`${name} [skipped: upstream CRDs not found at ${UPSTREAM_CRDS_DIR}]`, fn);
  }
}

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

/** Options of `validateAgainstCrd` / `validateAgainstSchema`. */
export interface ValidateOptions {
  /**
   * Also report what the API server accepts but silently drops: unknown fields (pruning),
   * `null` for non-nullable fields, unknown ObjectMeta fields, and a namespace on a
   * cluster-scoped object. Default true.
   */
  readonly strict?: boolean;
}

interface Ctx {
  readonly errors: string[];
  readonly strict: boolean;
  /** Inside allOf/anyOf/oneOf/not: value checks only (no pruning reports). */
  readonly valueOnly: boolean;
  /** The schema `$ref`s (`#/$defs/name`, `#/definitions/name`) are resolved in. */
  readonly root?: Schema;
}

type Schema = Record<string, any>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Like `isObject` but without narrowing (for `any` values we keep indexing freely). */
const isMap = (v: unknown): boolean => isObject(v);

function field(p: string, key: string): string {
  return p ? `${p}.${key}` : key;
}

function show(p: string): string {
  return p || '<root>';
}

function typeOf(v: unknown): string {
  if (v === null) {
    return 'null';
  }
  if (Array.isArray(v)) {
    return 'array';
  }
  if (typeof v === 'number') {
    return Number.isInteger(v) ? 'integer' : 'number';
  }
  return typeof v;
}

function brief(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** JSON with sorted keys, for equality of values. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) {
    return `[${v.map(canonical).join(',')}]`;
  }
  if (isObject(v)) {
    return `{${Object.keys(v).sort().map(k => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:?\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const UUID = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function formatError(format: string, s: string): string | undefined {
  switch (format) {
    case 'byte':
      return BASE64.test(s.replace(/[\r\n]/g, '')) ? undefined : 'is not valid base64 (format byte)';
    case 'date-time':
    case 'datetime':
      return DATE_TIME.test(s) && !isNaN(Date.parse(s.replace(' ', 'T'))) ? undefined : 'is not an RFC 3339 date-time';
    case 'date':
      return DATE.test(s) && !isNaN(Date.parse(s)) ? undefined : 'is not a full-date (YYYY-MM-DD)';
    case 'uuid':
      return UUID.test(s) ? undefined : 'is not a UUID';
    case 'ipv4':
      return IPV4.test(s) ? undefined : 'is not an IPv4 address';
    case 'ipv6':
      return s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s) ? undefined : 'is not an IPv6 address';
    default:
      return undefined;
  }
}

const patternCache = new Map<string, RegExp | null>();

/** OpenAPI patterns are unanchored ECMA/RE2 regexes. */
function compilePattern(p: string): RegExp | null {
  if (!patternCache.has(p)) {
    let re: RegExp | null;
    try {
      re = new RegExp(p, 'u');
    } catch {
      try {
        re = new RegExp(p);
      } catch {
        re = null;
      }
    }
    patternCache.set(p, re);
  }
  return patternCache.get(p)!;
}

function push(ctx: Ctx, p: string, msg: string): void {
  ctx.errors.push(`${show(p)}: ${msg}`);
}

/** The schema a local `$ref` (`#/$defs/x`, any JSON pointer into the root) points to. */
function resolveRef(ref: string, ctx: Ctx): Schema {
  if (!ref.startsWith('#')) {
    throw new Error(`$ref ${ref}: only references inside the schema ("#/...") are supported`);
  }
  let node: any = ctx.root;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    node = node?.[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  if (!isMap(node)) {
    throw new Error(`$ref ${ref}: no such schema`);
  }
  return node as Schema;
}

/** Validates `value` (never `undefined`) against `schema` at path `p`. */
function validateNode(schema: Schema | undefined, value: unknown, p: string, ctx: Ctx): void {
  if (!schema) {
    return;
  }
  if (typeof schema.$ref === 'string') {
    // JSON Schema 2019+: the referenced schema applies, and so do the keywords beside `$ref` (as value checks: they
    // do not declare the object's fields).
    validateNode(resolveRef(schema.$ref, ctx), value, p, ctx);
    validateNode(Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$ref')), value, p, { ...ctx, valueOnly: true });
    return;
  }
  if (value === null) {
    if (schema.nullable || (!schema.type && !schema['x-kubernetes-int-or-string'])) {
      return; // nullable, or untyped (preserve-unknown): null is a value like any other
    }
    push(ctx, p, `must be of type ${schema.type ?? 'integer or string'}, got null`);
    return;
  }

  if (schema.const !== undefined && canonical(value) !== canonical(schema.const)) {
    push(ctx, p, `${brief(value)} is not ${brief(schema.const)}`);
  }

  if (schema.enum !== undefined) {
    const c = canonical(value);
    if (!(schema.enum as unknown[]).some(e => canonical(e) === c)) {
      push(ctx, p, `${brief(value)} is not one of ${brief(schema.enum)}`);
    }
  }

  const actual = typeOf(value);
  if (schema['x-kubernetes-int-or-string']) {
    if (actual !== 'integer' && actual !== 'string') {
      push(ctx, p, `must be an integer or a string, got ${actual} (${brief(value)})`);
      return;
    }
  } else if (schema.type) {
    const ok = schema.type === actual || (schema.type === 'number' && actual === 'integer');
    if (!ok) {
      push(ctx, p, `must be of type ${schema.type}, got ${actual} (${brief(value)})`);
      return;
    }
  }

  if (typeof value === 'string') {
    validateString(schema, value, p, ctx);
  } else if (typeof value === 'number') {
    validateNumber(schema, value, p, ctx);
  } else if (Array.isArray(value)) {
    validateArray(schema, value, p, ctx);
  } else if (isObject(value)) {
    validateObject(schema, value, p, ctx);
  }

  validateCombinators(schema, value, p, ctx);
}

function validateString(schema: Schema, s: string, p: string, ctx: Ctx): void {
  const length = [...s].length;
  if (schema.minLength !== undefined && length < schema.minLength) {
    push(ctx, p, `${brief(s)} is shorter than minLength ${schema.minLength}`);
  }
  if (schema.maxLength !== undefined && length > schema.maxLength) {
    push(ctx, p, `${brief(s)} is longer than maxLength ${schema.maxLength}`);
  }
  if (schema.pattern !== undefined) {
    const re = compilePattern(schema.pattern);
    if (!re) {
      push(ctx, p, `schema pattern ${schema.pattern} does not compile`);
    } else if (!re.test(s)) {
      push(ctx, p, `${brief(s)} does not match pattern ${schema.pattern}`);
    }
  }
  if (schema.format && schema.type === 'string') {
    const err = formatError(schema.format, s);
    if (err) {
      push(ctx, p, `${brief(s)} ${err}`);
    }
  }
}

const INT_RANGES: Record<string, [number, number]> = {
  int32: [-2147483648, 2147483647],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

function validateNumber(schema: Schema, n: number, p: string, ctx: Ctx): void {
  if (!Number.isFinite(n)) {
    push(ctx, p, `${n} is not a finite number`);
    return;
  }
  if (schema.minimum !== undefined) {
    if (schema.exclusiveMinimum === true ? n <= schema.minimum : n < schema.minimum) {
      push(ctx, p, `${n} is less than ${schema.exclusiveMinimum === true ? 'or equal to ' : ''}minimum ${schema.minimum}`);
    }
  }
  if (schema.maximum !== undefined) {
    if (schema.exclusiveMaximum === true ? n >= schema.maximum : n > schema.maximum) {
      push(ctx, p, `${n} is greater than ${schema.exclusiveMaximum === true ? 'or equal to ' : ''}maximum ${schema.maximum}`);
    }
  }
  if (schema.multipleOf !== undefined && schema.multipleOf > 0) {
    const q = n / schema.multipleOf;
    if (Math.abs(q - Math.round(q)) > 1e-9) {
      push(ctx, p, `${n} is not a multiple of ${schema.multipleOf}`);
    }
  }
  const range = schema.type === 'integer' && schema.format ? INT_RANGES[schema.format] : undefined;
  if (range && (n < range[0] || n > range[1])) {
    push(ctx, p, `${n} is out of range for ${schema.format}`);
  }
}

function validateArray(schema: Schema, a: unknown[], p: string, ctx: Ctx): void {
  if (schema.minItems !== undefined && a.length < schema.minItems) {
    push(ctx, p, `has ${a.length} items, fewer than minItems ${schema.minItems}`);
  }
  if (schema.maxItems !== undefined && a.length > schema.maxItems) {
    push(ctx, p, `has ${a.length} items, more than maxItems ${schema.maxItems}`);
  }
  a.forEach((item, i) => {
    const ip = `${p}[${i}]`;
    if (item === undefined) {
      push(ctx, ip, 'undefined is not a JSON value');
    } else {
      validateNode(schema.items, item, ip, ctx);
    }
  });
  const listType = schema['x-kubernetes-list-type'];
  if (listType === 'map') {
    const keys: string[] = schema['x-kubernetes-list-map-keys'] ?? [];
    const seen = new Set<string>();
    a.forEach((item, i) => {
      if (!isObject(item)) {
        return;
      }
      const key = canonical(Object.fromEntries(keys.map(k => [k, item[k] ?? schema.items?.properties?.[k]?.default ?? null])));
      if (seen.has(key)) {
        push(ctx, `${p}[${i}]`, `Duplicate value: ${key}`);
      }
      seen.add(key);
    });
  } else if (listType === 'set' || schema.uniqueItems === true) {
    const seen = new Set<string>();
    a.forEach((item, i) => {
      const key = canonical(item);
      if (seen.has(key)) {
        push(ctx, `${p}[${i}]`, `Duplicate value: ${brief(item)}`);
      }
      seen.add(key);
    });
  }
}

function validateObject(schema: Schema, o: Record<string, unknown>, p: string, ctx: Ctx): void {
  const props: Record<string, Schema> = schema.properties ?? {};
  const additional = schema.additionalProperties;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const embedded = schema['x-kubernetes-embedded-resource'] === true;
  const present = new Set<string>();

  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) {
      continue; // JSON.stringify drops it
    }
    const kp = field(p, k);
    const sub: Schema | undefined = props[k] ?? (isObject(additional) ? additional : undefined);
    if (embedded && k === 'metadata') {
      present.add(k);
      validateObjectMeta(v, kp, ctx, props.metadata);
      continue;
    }
    if (v === null && sub && !sub.nullable && sub.default === undefined) {
      // The API server prunes non-nullable nulls before validation.
      if (ctx.strict && !ctx.valueOnly) {
        push(ctx, kp, 'null is dropped by the API server (field is not nullable)');
      }
      continue;
    }
    present.add(k);
    if (props[k]) {
      validateNode(props[k], v, kp, ctx);
    } else if (isObject(additional)) {
      validateNode(additional, v, `${p}[${k}]`, ctx);
    } else if (additional === false) {
      push(ctx, kp, 'field not allowed (additionalProperties: false)');
    } else if (additional === true || preserve || (embedded && (k === 'apiVersion' || k === 'kind'))) {
      // kept as is
    } else if (ctx.strict && !ctx.valueOnly) {
      push(ctx, kp, 'unknown field (pruned by the API server)');
    }
  }

  for (const r of (schema.required ?? []) as string[]) {
    if (!present.has(r) && props[r]?.default === undefined) {
      push(ctx, field(p, r), 'Required value');
    }
  }
  if (embedded) {
    for (const r of ['apiVersion', 'kind']) {
      if (typeof o[r] !== 'string' || o[r] === '') {
        push(ctx, field(p, r), 'Required value (embedded resource)');
      }
    }
  }
  const count = present.size;
  if (schema.minProperties !== undefined && count < schema.minProperties) {
    push(ctx, p, `has ${count} properties, fewer than minProperties ${schema.minProperties}`);
  }
  if (schema.maxProperties !== undefined && count > schema.maxProperties) {
    push(ctx, p, `has ${count} properties, more than maxProperties ${schema.maxProperties}`);
  }
}

function validateCombinators(schema: Schema, value: unknown, p: string, ctx: Ctx): void {
  const sub = (s: Schema): string[] => {
    const c: Ctx = { errors: [], strict: false, valueOnly: true, root: ctx.root };
    validateNode(s, value, p, c);
    return c.errors;
  };
  for (const s of (schema.allOf ?? []) as Schema[]) {
    ctx.errors.push(...sub(s));
  }
  if (Array.isArray(schema.anyOf) && !schema.anyOf.some((s: Schema) => sub(s).length === 0)) {
    push(ctx, p, `${brief(value)} matches none of anyOf`);
  }
  if (Array.isArray(schema.oneOf)) {
    const n = schema.oneOf.filter((s: Schema) => sub(s).length === 0).length;
    if (n !== 1) {
      push(ctx, p, `${brief(value)} matches ${n} of oneOf (exactly 1 required)`);
    }
  }
  if (isObject(schema.not) && sub(schema.not).length === 0) {
    push(ctx, p, `${brief(value)} must not match the "not" schema`);
  }
}

// --- ObjectMeta (validated by the API server itself, not by the CRD schema) ---

const OBJECT_META_FIELDS = new Set([
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
]);
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function qualifiedNameError(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) {
    return 'a qualified name has at most one "/"';
  }
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  if (prefix !== undefined && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
    return `prefix "${prefix}" must be a DNS-1123 subdomain`;
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return `name part "${name}" must be 1-63 alphanumerics, "-", "_" or ".", starting and ending with an alphanumeric`;
  }
  return undefined;
}

function validateStringMap(v: unknown, p: string, ctx: Ctx, isLabels: boolean): void {
  if (!isObject(v)) {
    push(ctx, p, `must be of type object, got ${typeOf(v)}`);
    return;
  }
  for (const [k, val] of Object.entries(v)) {
    const kp = `${p}[${k}]`;
    const keyErr = qualifiedNameError(k);
    if (keyErr) {
      push(ctx, kp, `invalid key: ${keyErr}`);
    }
    if (typeof val !== 'string') {
      push(ctx, kp, `must be of type string, got ${typeOf(val)}`);
    } else if (isLabels && (val.length > 63 || !LABEL_VALUE.test(val))) {
      push(ctx, kp, `invalid label value ${brief(val)}`);
    }
  }
}

function validateObjectMeta(meta: unknown, p: string, ctx: Ctx, schema?: Schema, opts: { nameRequired?: boolean } = {}): void {
  if (!isObject(meta)) {
    push(ctx, p, `must be of type object, got ${typeOf(meta)}`);
    return;
  }
  for (const [k, v] of Object.entries(meta)) {
    if (v === undefined) {
      continue;
    }
    const kp = field(p, k);
    if (!OBJECT_META_FIELDS.has(k)) {
      if (ctx.strict) {
        push(ctx, kp, 'unknown ObjectMeta field');
      }
      continue;
    }
    switch (k) {
      case 'name':
      case 'generateName':
      case 'namespace':
        if (typeof v !== 'string') {
          push(ctx, kp, `must be of type string, got ${typeOf(v)}`);
        } else if (k === 'namespace' && (v.length > 63 || !DNS1123_LABEL.test(v))) {
          push(ctx, kp, `${brief(v)} is not a DNS-1123 label`);
        } else if (k === 'name' && (v.length > 253 || !DNS1123_SUBDOMAIN.test(v))) {
          push(ctx, kp, `${brief(v)} is not a DNS-1123 subdomain`);
        }
        break;
      case 'labels':
      case 'annotations':
        validateStringMap(v, kp, ctx, k === 'labels');
        break;
      case 'finalizers':
        if (!Array.isArray(v) || v.some(x => typeof x !== 'string')) {
          push(ctx, kp, 'must be a list of strings');
        }
        break;
      case 'ownerReferences':
        if (!Array.isArray(v)) {
          push(ctx, kp, 'must be a list');
        } else {
          v.forEach((ref, i) => {
            for (const r of ['apiVersion', 'kind', 'name', 'uid']) {
              if (!isObject(ref) || typeof ref[r] !== 'string' || ref[r] === '') {
                push(ctx, `${kp}[${i}].${r}`, 'Required value');
              }
            }
          });
        }
        break;
      default:
        break;
    }
  }
  // A CRD may restrict metadata.name / generateName (the only ObjectMeta fields it may declare).
  for (const k of ['name', 'generateName']) {
    const s = schema?.properties?.[k];
    if (s && typeof meta[k] === 'string') {
      validateNode(s, meta[k], field(p, k), ctx);
    }
  }
  if (opts.nameRequired && typeof meta.name !== 'string' && typeof meta.generateName !== 'string') {
    push(ctx, field(p, 'name'), 'Required value: name or generateName is required');
  }
}

/**
 * Validates `value` against one schema node (for example a CRD version's `openAPIV3Schema`).
 * No root handling (apiVersion/kind/metadata): see `validateAgainstCrd` for that.
 */
export function validateAgainstSchema(schema: any, value: unknown, options: ValidateOptions & { path?: string } = {}): string[] {
  const ctx: Ctx = { errors: [], strict: options.strict ?? true, valueOnly: false, root: schema };
  if (value === undefined) {
    return [`${show(options.path ?? '')}: Required value`];
  }
  validateNode(schema, value, options.path ?? '', ctx);
  return ctx.errors;
}

/**
 * Validates a whole object against a CRD: picks the CRD version named by `obj.apiVersion`
 * (group must match, version must exist and be served), checks `kind`, ObjectMeta and
 * scope, then the version's `openAPIV3Schema`. Returns `[]` when the object is accepted.
 */
export function validateAgainstCrd(crd: any, obj: any, options: ValidateOptions = {}): string[] {
  const strict = options.strict ?? true;
  const ctx: Ctx = { errors: [], strict, valueOnly: false };
  if (!isMap(crd) || crd.kind !== 'CustomResourceDefinition' || !isMap(crd.spec)) {
    return ['<crd>: not a CustomResourceDefinition'];
  }
  if (!isMap(obj)) {
    return [`<root>: must be of type object, got ${typeOf(obj)}`];
  }
  const spec = crd.spec as any;
  if (typeof obj.apiVersion !== 'string') {
    return ['apiVersion: Required value'];
  }
  const slash = obj.apiVersion.lastIndexOf('/');
  const group = slash < 0 ? '' : obj.apiVersion.slice(0, slash);
  const versionName = obj.apiVersion.slice(slash + 1);
  if (group !== spec.group) {
    return [`apiVersion: group "${group}" of ${obj.apiVersion} is not the CRD group "${spec.group}"`];
  }
  const version = (spec.versions ?? []).find((v: any) => v.name === versionName);
  if (!version) {
    return [`apiVersion: version "${versionName}" is not defined by ${crd.metadata?.name} (has ${(spec.versions ?? []).map((v: any) => v.name).join(', ')})`];
  }
  if (!version.served) {
    return [`apiVersion: version "${versionName}" of ${crd.metadata?.name} is not served`];
  }
  if (obj.kind !== spec.names?.kind) {
    push(ctx, 'kind', `${brief(obj.kind)} is not the CRD kind "${spec.names?.kind}"`);
  }
  const schema: Schema = version.schema?.openAPIV3Schema ?? spec.validation?.openAPIV3Schema ?? { 'type': 'object', 'x-kubernetes-preserve-unknown-fields': true };

  if (obj.metadata === undefined) {
    push(ctx, 'metadata', 'Required value');
  } else {
    validateObjectMeta(obj.metadata, 'metadata', ctx, schema.properties?.metadata, { nameRequired: true });
    if (spec.scope === 'Cluster' && isMap(obj.metadata) && obj.metadata.namespace !== undefined && strict) {
      push(ctx, 'metadata.namespace', `${spec.names?.kind} is cluster-scoped: a namespace is ignored by the API server`);
    }
  }

  // The root: apiVersion, kind and metadata are handled above, whatever the schema says.
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k !== 'apiVersion' && k !== 'kind' && k !== 'metadata') {
      rest[k] = v;
    }
  }
  const rootSchema: Schema = { ...schema, properties: { ...(schema.properties ?? {}) } };
  delete rootSchema.properties.apiVersion;
  delete rootSchema.properties.kind;
  delete rootSchema.properties.metadata;
  rootSchema.required = ((schema.required ?? []) as string[]).filter(r => !['apiVersion', 'kind', 'metadata'].includes(r));
  validateNode(rootSchema, rest, '', ctx);
  return ctx.errors;
}

// ---------------------------------------------------------------------------
// Structural-schema rules for CRDs
// ---------------------------------------------------------------------------

const PRINTER_TYPES = new Set(['integer', 'number', 'string', 'boolean', 'date']);
const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);

function structuralNode(s: any, p: string, errors: string[], root: boolean): void {
  if (!isMap(s)) {
    errors.push(`${show(p)}: schema must be an object`);
    return;
  }
  const preserve = s['x-kubernetes-preserve-unknown-fields'];
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  if (preserve !== undefined && preserve !== true) {
    errors.push(`${show(p)}: x-kubernetes-preserve-unknown-fields must be true or absent`);
  }
  if (s.$ref !== undefined) {
    errors.push(`${show(p)}: $ref is not allowed`);
  }
  if (s.uniqueItems === true) {
    errors.push(`${show(p)}: uniqueItems: true is not allowed`);
  }
  if (intOrString && s.type !== undefined) {
    errors.push(`${show(p)}: x-kubernetes-int-or-string forbids a type`);
  }
  if (s.type === undefined && !intOrString && preserve !== true) {
    errors.push(`${show(p)}: type is required (or x-kubernetes-preserve-unknown-fields / x-kubernetes-int-or-string)`);
  }
  if (s.type !== undefined && !TYPES.has(s.type)) {
    errors.push(`${show(p)}: unknown type ${brief(s.type)}`);
  }
  if (root && s.type !== 'object') {
    errors.push('<root>: the root schema must be of type object');
  }
  if (s.properties !== undefined && s.additionalProperties !== undefined) {
    errors.push(`${show(p)}: properties and additionalProperties are mutually exclusive`);
  }
  if (s.additionalProperties === false) {
    errors.push(`${show(p)}: additionalProperties: false is not allowed`);
  }
  if ((s.properties !== undefined || isMap(s.additionalProperties)) && s.type !== 'object') {
    errors.push(`${show(p)}: properties/additionalProperties need type object`);
  }
  if (s.type === 'array' && !isMap(s.items)) {
    errors.push(`${show(p)}: arrays must declare items`);
  }
  if (s.items !== undefined && s.type !== 'array') {
    errors.push(`${show(p)}: items needs type array`);
  }
  for (const r of (s.required ?? []) as string[]) {
    if (!(r in (s.properties ?? {})) && !isMap(s.additionalProperties) && preserve !== true) {
      errors.push(`${show(p)}: required field "${r}" is not declared`);
    }
  }
  const listType = s['x-kubernetes-list-type'];
  if (listType !== undefined && s.type !== 'array') {
    errors.push(`${show(p)}: x-kubernetes-list-type needs type array`);
  }
  if (listType === 'map') {
    const keys = s['x-kubernetes-list-map-keys'];
    if (!Array.isArray(keys) || keys.length === 0) {
      errors.push(`${show(p)}: list-type map needs x-kubernetes-list-map-keys`);
    } else if (s.items?.type !== 'object') {
      errors.push(`${show(p)}: list-type map needs object items`);
    } else {
      for (const k of keys) {
        const ks = s.items.properties?.[k];
        if (!ks) {
          errors.push(`${show(p)}: list-map key "${k}" is not an item property`);
        } else if (!(s.items.required ?? []).includes(k) && ks.default === undefined) {
          errors.push(`${show(p)}: list-map key "${k}" must be required or defaulted`);
        }
      }
    }
  } else if (s['x-kubernetes-list-map-keys'] !== undefined) {
    errors.push(`${show(p)}: x-kubernetes-list-map-keys needs list-type map`);
  }
  if (listType === 'set' && s.items && !['string', 'integer', 'number', 'boolean'].includes(s.items.type) && !s.items['x-kubernetes-int-or-string']) {
    errors.push(`${show(p)}: list-type set needs scalar items`);
  }
  for (const [k, sub] of Object.entries((s.properties ?? {}) as Record<string, unknown>)) {
    const kp = field(p, k);
    if (root && k === 'metadata') {
      const props = Object.keys((sub as any)?.properties ?? {});
      if ((sub as any)?.type !== 'object' || props.some(x => x !== 'name' && x !== 'generateName')) {
        errors.push('metadata: at the root only type object and name/generateName restrictions are allowed');
      }
      continue;
    }
    structuralNode(sub, kp, errors, false);
  }
  if (isMap(s.additionalProperties)) {
    structuralNode(s.additionalProperties, `${p}[*]`, errors, false);
  }
  if (isMap(s.items)) {
    structuralNode(s.items, `${p}[*]`, errors, false);
  }
}

/** The API server's structural rules (and a few CRD-level ones) that `crd` breaks; `[]` when it would be accepted. */
export function structuralErrors(crd: any): string[] {
  const errors: string[] = [];
  if (crd?.apiVersion !== 'apiextensions.k8s.io/v1' || crd?.kind !== 'CustomResourceDefinition') {
    return ['<crd>: not an apiextensions.k8s.io/v1 CustomResourceDefinition'];
  }
  const spec = crd.spec ?? {};
  const names = spec.names ?? {};
  if (crd.metadata?.name !== `${names.plural}.${spec.group}`) {
    errors.push(`metadata.name: must be <plural>.<group> = ${names.plural}.${spec.group}, got ${crd.metadata?.name}`);
  }
  for (const k of ['plural', 'singular']) {
    if (names[k] !== undefined && !DNS1123_LABEL.test(names[k])) {
      errors.push(`spec.names.${k}: ${brief(names[k])} must be a lower-case DNS label`);
    }
  }
  if (typeof names.kind !== 'string' || names.kind === '') {
    errors.push('spec.names.kind: Required value');
  }
  for (const sn of (names.shortNames ?? []) as string[]) {
    if (!DNS1123_LABEL.test(sn)) {
      errors.push(`spec.names.shortNames: ${brief(sn)} must be a lower-case DNS label`);
    }
  }
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') {
    errors.push(`spec.scope: must be Namespaced or Cluster, got ${brief(spec.scope)}`);
  }
  const versions: any[] = spec.versions ?? [];
  if (versions.length === 0) {
    errors.push('spec.versions: at least one version is required');
  }
  if (versions.filter(v => v.storage === true).length !== 1) {
    errors.push('spec.versions: exactly one version must be the storage version');
  }
  if (new Set(versions.map(v => v.name)).size !== versions.length) {
    errors.push('spec.versions: version names must be unique');
  }
  versions.forEach((v, i) => {
    const vp = `spec.versions[${i}]`;
    const schema = v.schema?.openAPIV3Schema;
    if (!schema) {
      errors.push(`${vp}.schema.openAPIV3Schema: Required value`);
    } else {
      const before = errors.length;
      structuralNode(schema, '', errors, true);
      for (let j = before; j < errors.length; j++) {
        errors[j] = `${vp}.schema.openAPIV3Schema: ${errors[j]}`;
      }
    }
    for (const k of Object.keys(v.subresources ?? {})) {
      if (k !== 'status' && k !== 'scale') {
        errors.push(`${vp}.subresources.${k}: unknown subresource`);
      }
    }
    ((v.additionalPrinterColumns ?? []) as any[]).forEach((c, j) => {
      if (!PRINTER_TYPES.has(c.type)) {
        errors.push(`${vp}.additionalPrinterColumns[${j}].type: ${brief(c.type)} is not a printer column type`);
      }
      if (typeof c.jsonPath !== 'string' || !c.jsonPath.startsWith('.')) {
        errors.push(`${vp}.additionalPrinterColumns[${j}].jsonPath: must start with "."`);
      }
      if (typeof c.name !== 'string' || c.name === '') {
        errors.push(`${vp}.additionalPrinterColumns[${j}].name: Required value`);
      }
    });
  });
  return errors;
}

// ---------------------------------------------------------------------------
// Comparing our CRDs with upstream ones
// ---------------------------------------------------------------------------

/** The identity of a CRD, with the API server's defaults applied (singular, listKind). */
export function crdIdentity(crd: any): any {
  const spec = crd.spec ?? {};
  const names = spec.names ?? {};
  return {
    name: crd.metadata?.name,
    group: spec.group,
    kind: names.kind,
    plural: names.plural,
    singular: names.singular || String(names.kind ?? '').toLowerCase(),
    listKind: names.listKind || `${names.kind}List`,
    shortNames: [...(names.shortNames ?? [])].sort(),
    categories: [...(names.categories ?? [])].sort(),
    scope: spec.scope,
    versions: ((spec.versions ?? []) as any[]).map(v => ({
      name: v.name,
      served: v.served === true,
      storage: v.storage === true,
      statusSubresource: v.subresources?.status !== undefined,
      scaleSubresource: v.subresources?.scale !== undefined,
      rootRequired: [...(v.schema?.openAPIV3Schema?.required ?? [])].sort(),
      specRequired: [...(v.schema?.openAPIV3Schema?.properties?.spec?.required ?? [])].sort(),
    })),
  };
}

/** The `openAPIV3Schema` of a CRD version (the first one when `version` is not given). */
export function crdSchema(crd: any, version?: string): any {
  const versions: any[] = crd?.spec?.versions ?? [];
  const v = version ? versions.find(x => x.name === version) : versions[0];
  return v?.schema?.openAPIV3Schema;
}

/**
 * Differences where `ours` is not a subset of `theirs`: a property `theirs` does not declare
 * (unless `theirs` keeps unknown fields there), a different type or format, and every
 * constraint `ours` adds that `theirs` lacks (required, pattern, enum, length, list-type,
 * format). Where `ours` is looser (preserve-unknown, no format) nothing is reported.
 * One line per difference: `<path>: <what>`.
 */
export function compareSchemas(ours: any, theirs: any, p = ''): string[] {
  const out: string[] = [];
  if (!isMap(ours) || !isMap(theirs)) {
    return out;
  }
  const at = show(p);
  const theirsOpen = theirs['x-kubernetes-preserve-unknown-fields'] === true;
  const theirsTyped = theirs.type !== undefined || theirs['x-kubernetes-int-or-string'] === true;
  if (ours.type !== undefined) {
    if (theirs.type !== undefined && theirs.type !== ours.type) {
      out.push(`${at}: type ${ours.type} (upstream: ${theirs.type})`);
      return out;
    }
    if (theirs.type === undefined && theirs['x-kubernetes-int-or-string'] === true && ours.type !== 'integer' && ours.type !== 'string') {
      out.push(`${at}: type ${ours.type} (upstream: int-or-string)`);
      return out;
    }
  } else if (ours['x-kubernetes-int-or-string'] === true && theirs.type !== undefined) {
    out.push(`${at}: int-or-string (upstream: ${theirs.type})`);
  }
  if (ours.format !== undefined && ours.format !== theirs.format) {
    out.push(`${at}: format ${ours.format} (upstream: ${theirs.format ?? 'none'})`);
  }
  if (ours.pattern !== undefined && theirs.pattern === undefined) {
    out.push(`${at}: pattern ${ours.pattern} (upstream: none)`);
  }
  if (ours.enum !== undefined && canonical(ours.enum) !== canonical(theirs.enum)) {
    out.push(`${at}: enum ${brief(ours.enum)} (upstream: ${brief(theirs.enum) ?? 'none'})`);
  }
  for (const k of ['minLength', 'maxLength', 'minimum', 'maximum', 'minItems', 'maxItems']) {
    if (ours[k] !== undefined && ours[k] !== theirs[k]) {
      out.push(`${at}: ${k} ${ours[k]} (upstream: ${theirs[k] ?? 'none'})`);
    }
  }
  if (theirs.nullable === true && ours.nullable !== true) {
    out.push(`${at}: not nullable (upstream: nullable)`);
  }
  const oursList = ours['x-kubernetes-list-type'];
  const theirsList = theirs['x-kubernetes-list-type'];
  if (oursList !== undefined && oursList !== 'atomic' && oursList !== theirsList) {
    const keys = oursList === 'map' ? ` keyed by ${(ours['x-kubernetes-list-map-keys'] ?? []).join(',')}` : '';
    out.push(`${at}: x-kubernetes-list-type ${oursList}${keys} (upstream: ${theirsList ?? 'none'})`);
  }
  const oursMapType = ours['x-kubernetes-map-type'];
  if (oursMapType !== undefined && oursMapType !== (theirs['x-kubernetes-map-type'] ?? 'granular')) {
    out.push(`${at}: x-kubernetes-map-type ${oursMapType} (upstream: ${theirs['x-kubernetes-map-type'] ?? 'none'})`);
  }
  const theirsRequired = new Set<string>(theirs.required ?? []);
  for (const r of (ours.required ?? []) as string[]) {
    if (!theirsRequired.has(r)) {
      out.push(`${field(p, r)}: required (upstream: optional)`);
    }
  }
  if (theirsOpen && !theirsTyped) {
    return out; // upstream keeps anything here: whatever we declare is accepted
  }
  for (const [k, sub] of Object.entries((ours.properties ?? {}) as Record<string, unknown>)) {
    const kp = field(p, k);
    const theirsSub = theirs.properties?.[k] ?? (isMap(theirs.additionalProperties) ? theirs.additionalProperties : undefined);
    if (theirsSub === undefined) {
      if (p === '' && ['apiVersion', 'kind', 'metadata'].includes(k)) {
        continue; // always accepted at the root, declared or not
      }
      if (!theirsOpen) {
        out.push(`${kp}: not declared upstream`);
      }
      continue;
    }
    out.push(...compareSchemas(sub, theirsSub, kp));
  }
  if (isMap(ours.additionalProperties)) {
    if (isMap(theirs.additionalProperties)) {
      out.push(...compareSchemas(ours.additionalProperties, theirs.additionalProperties, `${p}[*]`));
    } else if (!theirsOpen) {
      out.push(`${at}: map values (upstream: ${theirs.properties ? 'fixed properties' : 'no values kept'})`);
    }
  }
  if (isMap(ours.items) && isMap(theirs.items)) {
    out.push(...compareSchemas(ours.items, theirs.items, `${p}[*]`));
  }
  return out;
}
