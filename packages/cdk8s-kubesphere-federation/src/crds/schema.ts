/**
 * Small builders for OpenAPI v3 *structural* schemas and for
 * `apiextensions.k8s.io/v1` CustomResourceDefinition objects.
 *
 * Everything returned here is plain JSON (no classes, no undefined values),
 * built with a fixed key order so that synthesized YAML is byte-stable.
 *
 * Internal module: not exported from the package entry point.
 */

/** A (subset of an) OpenAPI v3 schema node, as accepted by apiextensions.k8s.io/v1. */
export interface JsonSchema {
  'type'?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  'format'?: string;
  'description'?: string;
  'enum'?: unknown[];
  'pattern'?: string;
  'minLength'?: number;
  'maxLength'?: number;
  'minimum'?: number;
  'maximum'?: number;
  'minItems'?: number;
  'maxItems'?: number;
  'nullable'?: boolean;
  'properties'?: Record<string, JsonSchema>;
  'required'?: string[];
  'additionalProperties'?: JsonSchema;
  'items'?: JsonSchema;
  'x-kubernetes-preserve-unknown-fields'?: true;
  'x-kubernetes-int-or-string'?: true;
  'x-kubernetes-embedded-resource'?: true;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
}

/** Options shared by the scalar builders. */
export interface ScalarOptions {
  readonly description?: string;
  readonly format?: string;
  readonly enum?: unknown[];
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly nullable?: boolean;
}

/** Canonical key order of a schema node (anything else is appended, sorted). */
const KEY_ORDER = [
  'type',
  'format',
  'description',
  'enum',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'minItems',
  'maxItems',
  'nullable',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-list-type',
  'x-kubernetes-map-type',
  'x-kubernetes-preserve-unknown-fields',
];

/** Returns a copy of `s` with its keys in canonical order and undefined values dropped. */
function ordered(s: Record<string, unknown>): JsonSchema {
  const out: Record<string, unknown> = {};
  const keys = Object.keys(s).filter(k => s[k] !== undefined);
  const known = KEY_ORDER.filter(k => keys.includes(k));
  const rest = keys.filter(k => !KEY_ORDER.includes(k)).sort();
  for (const k of [...known, ...rest]) {
    out[k] = s[k];
  }
  return out as JsonSchema;
}

/** Drops undefined values, keeping insertion order. */
function compact(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

function scalar(type: JsonSchema['type'], opts: ScalarOptions = {}): JsonSchema {
  return ordered({
    type,
    format: opts.format,
    description: opts.description,
    enum: opts.enum ? [...opts.enum] : undefined,
    pattern: opts.pattern,
    minLength: opts.minLength,
    maxLength: opts.maxLength,
    minimum: opts.minimum,
    maximum: opts.maximum,
    nullable: opts.nullable,
  });
}

/** A string. */
export function str(opts: ScalarOptions = {}): JsonSchema {
  return scalar('string', opts);
}

/** A base64 string (`format: byte`): Go `[]byte` fields. */
export function bytes(opts: ScalarOptions = {}): JsonSchema {
  return scalar('string', { ...opts, format: 'byte' });
}

/** An RFC 3339 timestamp (`metav1.Time`). */
export function time(opts: ScalarOptions = {}): JsonSchema {
  return scalar('string', { ...opts, format: 'date-time' });
}

/** A boolean. */
export function bool(opts: ScalarOptions = {}): JsonSchema {
  return scalar('boolean', opts);
}

/** An integer (optionally with `format: int32|int64`). */
export function int(opts: ScalarOptions = {}): JsonSchema {
  return scalar('integer', opts);
}

/** Options of `obj()`. */
export interface ObjectOptions {
  readonly description?: string;
  /** Keep fields that are not declared in `props` (`x-kubernetes-preserve-unknown-fields`). */
  readonly preserveUnknown?: boolean;
  /** `x-kubernetes-map-type` (`atomic` replaces the whole object on server-side apply). */
  readonly mapType?: 'atomic' | 'granular';
  readonly nullable?: boolean;
}

/**
 * An object with declared properties (emitted in alphabetical order).
 * `required` is kept in the given order.
 */
export function obj(props: Record<string, JsonSchema>, required: readonly string[] = [], opts: ObjectOptions = {}): JsonSchema {
  for (const r of required) {
    if (!(r in props)) {
      throw new Error(`obj(): required field "${r}" is not a declared property`);
    }
  }
  const properties: Record<string, JsonSchema> = {};
  for (const k of Object.keys(props).sort()) {
    properties[k] = props[k];
  }
  return ordered({
    'type': 'object',
    'description': opts.description,
    'nullable': opts.nullable,
    'properties': Object.keys(properties).length > 0 ? properties : undefined,
    'required': required.length > 0 ? [...required] : undefined,
    'x-kubernetes-map-type': opts.mapType,
    'x-kubernetes-preserve-unknown-fields': opts.preserveUnknown ? true : undefined,
  });
}

/** Options of `arr()`. */
export interface ArrayOptions {
  readonly description?: string;
  readonly minItems?: number;
  readonly maxItems?: number;
  /** `x-kubernetes-list-type`. `map` needs `mapKeys`. */
  readonly listType?: 'atomic' | 'set' | 'map';
  /** `x-kubernetes-list-map-keys` (each key must be a required property of the items). */
  readonly mapKeys?: readonly string[];
  readonly nullable?: boolean;
}

/** An array of `items`. */
export function arr(items: JsonSchema, opts: ArrayOptions = {}): JsonSchema {
  if (opts.listType === 'map') {
    const keys = opts.mapKeys ?? [];
    if (keys.length === 0) {
      throw new Error('arr(): listType "map" needs mapKeys');
    }
    for (const k of keys) {
      if (!(items.required ?? []).includes(k)) {
        throw new Error(`arr(): list-map key "${k}" must be a required property of the items`);
      }
    }
  } else if (opts.mapKeys) {
    throw new Error('arr(): mapKeys is only valid with listType "map"');
  }
  return ordered({
    'type': 'array',
    'description': opts.description,
    'minItems': opts.minItems,
    'maxItems': opts.maxItems,
    'nullable': opts.nullable,
    items,
    'x-kubernetes-list-map-keys': opts.mapKeys ? [...opts.mapKeys] : undefined,
    'x-kubernetes-list-type': opts.listType,
  });
}

/** A list of `{ <key>: string, ... }` objects keyed (list-map) by `key`. */
export function listMap(key: string, props: Record<string, JsonSchema>, opts: Omit<ArrayOptions, 'listType' | 'mapKeys'> = {}): JsonSchema {
  return arr(obj(props, [key]), { ...opts, listType: 'map', mapKeys: [key] });
}

/** A string-keyed map whose values follow `values` (`additionalProperties`). */
export function map(values: JsonSchema, opts: { readonly description?: string } = {}): JsonSchema {
  return ordered({ type: 'object', description: opts.description, additionalProperties: values });
}

/** An object whose content we deliberately do not model: anything is kept. */
export function preserve(opts: { readonly description?: string } = {}): JsonSchema {
  return ordered({ 'type': 'object', 'description': opts.description, 'x-kubernetes-preserve-unknown-fields': true });
}

/** Any JSON value (scalar, list or object), kept as is. */
export function anyValue(opts: { readonly description?: string } = {}): JsonSchema {
  return ordered({ 'description': opts.description, 'x-kubernetes-preserve-unknown-fields': true });
}

/** An integer or a string (`intstr.IntOrString`). */
export function intOrString(opts: { readonly description?: string } = {}): JsonSchema {
  return ordered({ 'description': opts.description, 'x-kubernetes-int-or-string': true });
}

/** Returns `s` with a description set (our own words, kept short). */
export function withDescription(s: JsonSchema, description: string): JsonSchema {
  return ordered({ ...s, description });
}

/**
 * A Kubernetes `metav1.LabelSelector`: `matchLabels` plus `matchExpressions`
 * (`key`, `operator`, `values`). Atomic for server-side apply, like the built-in type.
 */
export function labelSelector(opts: { readonly description?: string } = {}): JsonSchema {
  return obj({
    matchLabels: map(str()),
    matchExpressions: arr(obj({ key: str(), operator: str(), values: arr(str()) }, ['key', 'operator'])),
  }, [], { description: opts.description, mapType: 'atomic' });
}

/**
 * The root schema of a custom resource: `apiVersion`, `kind`, `metadata`
 * plus the given top-level properties.
 */
export function resource(props: Record<string, JsonSchema>, required: readonly string[] = [], opts: ObjectOptions = {}): JsonSchema {
  return obj({ apiVersion: str(), kind: str(), metadata: { type: 'object' }, ...props }, required, opts);
}

/** An additional printer column (`kubectl get`). */
export interface PrinterColumn {
  readonly name: string;
  readonly type: 'integer' | 'number' | 'string' | 'boolean' | 'date';
  readonly jsonPath: string;
  readonly description?: string;
  readonly format?: string;
  readonly priority?: number;
}

/** Subresources of a CRD version. */
export interface Subresources {
  /** Enable `/status`. */
  readonly status?: boolean;
  /** Enable `/scale` with these paths. */
  readonly scale?: { readonly specReplicasPath: string; readonly statusReplicasPath: string; readonly labelSelectorPath?: string };
}

/** One served version of a CRD. */
export interface CrdVersion {
  readonly name: string;
  readonly served?: boolean;
  readonly storage?: boolean;
  /** The `openAPIV3Schema` (use `resource()` to build it). */
  readonly schema: JsonSchema;
  /**
   * Subresources. `undefined` leaves the key out; `{}` writes an explicit empty
   * `subresources: {}` (no status, no scale).
   */
  readonly subresources?: Subresources;
  readonly printerColumns?: readonly PrinterColumn[];
  readonly deprecated?: boolean;
}

/** What `crd()` needs. */
export interface CrdOptions {
  readonly group: string;
  readonly kind: string;
  readonly plural: string;
  /** Defaults to the lower-cased kind (as the API server does). */
  readonly singular?: string;
  /** Defaults to `<kind>List` (as the API server does). */
  readonly listKind?: string;
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  readonly scope: 'Namespaced' | 'Cluster';
  readonly versions: readonly CrdVersion[];
  /** Extra labels on the CRD object. */
  readonly labels?: Readonly<Record<string, string>>;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Builds a plain `apiextensions.k8s.io/v1` CustomResourceDefinition object. */
export function crd(o: CrdOptions): any {
  if (!DNS_LABEL.test(o.plural)) {
    throw new Error(`crd(): plural "${o.plural}" must be a lower-case DNS label`);
  }
  if (o.versions.length === 0) {
    throw new Error(`crd(${o.plural}.${o.group}): at least one version is required`);
  }
  const storage = o.versions.filter(v => v.storage ?? o.versions.length === 1);
  if (storage.length !== 1) {
    throw new Error(`crd(${o.plural}.${o.group}): exactly one storage version is required, got ${storage.length}`);
  }
  const names: Record<string, unknown> = {
    kind: o.kind,
    listKind: o.listKind ?? `${o.kind}List`,
    plural: o.plural,
    singular: o.singular ?? o.kind.toLowerCase(),
  };
  if (o.shortNames && o.shortNames.length > 0) {
    names.shortNames = [...o.shortNames];
  }
  if (o.categories && o.categories.length > 0) {
    names.categories = [...o.categories];
  }
  const metadata: Record<string, unknown> = { name: `${o.plural}.${o.group}` };
  if (o.labels && Object.keys(o.labels).length > 0) {
    metadata.labels = Object.fromEntries(Object.keys(o.labels).sort().map(k => [k, o.labels![k]]));
  }
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata,
    spec: {
      group: o.group,
      names,
      scope: o.scope,
      versions: o.versions.map(v => crdVersion(v, o.versions.length === 1)),
    },
  };
}

function crdVersion(v: CrdVersion, only: boolean): any {
  if (v.schema.type !== 'object') {
    throw new Error(`crd(): version ${v.name}: the root schema must be of type object`);
  }
  const out: Record<string, unknown> = {
    name: v.name,
    served: v.served ?? true,
    storage: v.storage ?? only,
  };
  if (v.deprecated) {
    out.deprecated = true;
  }
  out.schema = { openAPIV3Schema: v.schema };
  if (v.subresources) {
    const sub: Record<string, unknown> = {};
    if (v.subresources.status) {
      sub.status = {};
    }
    if (v.subresources.scale) {
      const s = v.subresources.scale;
      sub.scale = s.labelSelectorPath
        ? { labelSelectorPath: s.labelSelectorPath, specReplicasPath: s.specReplicasPath, statusReplicasPath: s.statusReplicasPath }
        : { specReplicasPath: s.specReplicasPath, statusReplicasPath: s.statusReplicasPath };
    }
    out.subresources = sub;
  }
  if (v.printerColumns && v.printerColumns.length > 0) {
    out.additionalPrinterColumns = v.printerColumns.map(c => compact({
      name: c.name,
      type: c.type,
      format: c.format,
      description: c.description,
      jsonPath: c.jsonPath,
      priority: c.priority,
    }));
  }
  return out;
}
