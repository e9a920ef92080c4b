import { schemaListType } from './crd-schema';
import { isPlainObject, JsonObject } from './json';
import { ListType, ListTypeResolver, MapType, MapTypeResolver } from './managed-fields';
import { ResourceType } from './resource-types';

const ATOMIC: ListType = { type: 'atomic' };
const byName = (atomicItems = false): ListType => ({ type: 'map', keys: ['name'], ...(atomicItems ? { atomicItems } : {}) });

/**
 * The associative lists of the built-in kinds the sandbox serves, by field name, as kube-apiserver v1.34's OpenAPI
 * declares them (`x-kubernetes-list-type: map` and its keys; `protocol` keys default to TCP, as the schema says).
 * Every other built-in list is atomic. `LIST_CONTEXT` below refines names whose list type depends on where they are.
 */
const BUILTIN_LISTS: Record<string, ListType> = {
  containers: byName(),
  initContainers: byName(),
  ephemeralContainers: byName(),
  env: byName(),
  volumes: byName(),
  resourceClaims: byName(),
  schedulingGates: byName(),
  claims: byName(),
  webhooks: byName(),
  matchConditions: byName(),
  imagePullSecrets: byName(true),
  volumeMounts: { type: 'map', keys: ['mountPath'] },
  volumeDevices: { type: 'map', keys: ['devicePath'] },
  hostAliases: { type: 'map', keys: ['ip'] },
  topologySpreadConstraints: { type: 'map', keys: ['topologyKey', 'whenUnsatisfiable'] },
  conditions: { type: 'map', keys: ['type'] },
  ports: { type: 'map', keys: ['containerPort', 'protocol'], defaults: { protocol: 'TCP' } },
};

/** Field names whose list type depends on the kind or the parent field. */
function inContext(kind: string, names: string[]): ListType | undefined {
  const last = names[names.length - 1];
  const parent = names[names.length - 2];
  if (last === 'ports') {
    if (kind === 'Service' && names.length === 2) return { type: 'map', keys: ['port', 'protocol'], defaults: { protocol: 'TCP' } };
    if (kind === 'NetworkPolicy') return ATOMIC;
  }
  if (last === 'imagePullSecrets' && kind === 'ServiceAccount' && names.length === 1) return ATOMIC;
  if (last === 'secrets' && kind === 'ServiceAccount' && names.length === 1) return byName();
  if (last === 'values' && (parent === 'exitCodes' || parent === 'onExitCodes')) return { type: 'set' };
  if (last === 'x-kubernetes-validations') return { type: 'map', keys: ['rule'] };
  return undefined;
}

/**
 * Built-in maps and structs that are atomic (`x-kubernetes-map-type: atomic`), by field name: label selectors,
 * node selectors, object references of env sources and volumes, `roleRef`, and the like. Replaced and owned whole.
 */
const ATOMIC_MAPS = new Set([
  'selector', 'nodeSelector', 'labelSelector', 'namespaceSelector', 'podSelector', 'objectSelector', 'scopeSelector',
  'roleRef', 'secretKeyRef', 'configMapKeyRef', 'fieldRef', 'resourceFieldRef', 'fileKeyRef', 'secretRef',
  'nodePublishSecretRef', 'dataSource', 'involvedObject', 'related', 'preference',
]);

/**
 * The list types server-side apply uses for a kind:
 * - `metadata.finalizers` is a set and `metadata.ownerReferences` a map keyed by uid (items atomic), for every kind;
 * - custom resources follow their schema (`x-kubernetes-list-type`; atomic when unset, like the API server);
 * - built-in kinds follow the API's own declarations (`BUILTIN_LISTS`): containers, env, volumes by name, container
 *   ports by containerPort+protocol, Service ports by port+protocol, volumeMounts by mountPath...; other lists
 *   (tolerations, args, rules, subjects, CRD versions) are atomic.
 * A list whose items lack a key (and the key has no default) or repeat one is treated as atomic.
 */
export function listTypeResolver(type: ResourceType): ListTypeResolver {
  return (names, items) => {
    if (names.length === 2 && names[0] === 'metadata') {
      if (names[1] === 'finalizers') return items.every((i) => typeof i === 'string') ? { type: 'set' } : ATOMIC;
      if (names[1] === 'ownerReferences') return keyed(items, ['uid']) ? { type: 'map', keys: ['uid'], atomicItems: true } : ATOMIC;
    }
    let lt: ListType | undefined;
    if (type.crd !== undefined) {
      lt = schemaListType(type.schema, names);
    } else {
      lt = inContext(type.kind, names) ?? BUILTIN_LISTS[names[names.length - 1]];
    }
    if (lt?.type === 'map') return keyed(items, lt.keys, lt.defaults) ? lt : ATOMIC;
    if (lt?.type === 'set') return items.every((i) => !isPlainObject(i) && !Array.isArray(i)) ? lt : ATOMIC;
    return ATOMIC;
  };
}

/**
 * How a kind's maps are tracked: `atomic` (owned and replaced whole) for built-in kinds' `ATOMIC_MAPS` (outside
 * metadata) and custom resources' `x-kubernetes-map-type: atomic`; `deduced` for a custom resource's maps below a
 * `x-kubernetes-preserve-unknown-fields` node the schema does not describe (the API server owns such a map itself,
 * `.`, besides its fields); `granular` otherwise.
 */
export function mapTypeResolver(type: ResourceType): MapTypeResolver {
  if (type.crd !== undefined) return (names) => schemaMapType(type.schema, names);
  return (names) => (names.length > 0 && names[0] !== 'metadata' && ATOMIC_MAPS.has(names[names.length - 1]) ? 'atomic' : 'granular');
}

function schemaMapType(schema: JsonObject | undefined, names: string[]): MapType {
  if (names.length > 0 && names[0] === 'metadata') return 'granular';
  let s: JsonObject | undefined = schema;
  for (const name of names) {
    while (s && s.type === 'array' && isPlainObject(s.items)) s = s.items;
    if (!s) return 'granular';
    if (isPlainObject(s.properties) && isPlainObject(s.properties[name])) s = s.properties[name];
    else if (isPlainObject(s.additionalProperties)) s = s.additionalProperties;
    else return s['x-kubernetes-preserve-unknown-fields'] === true ? 'deduced' : 'granular';
  }
  return s?.['x-kubernetes-map-type'] === 'atomic' ? 'atomic' : 'granular';
}

/** Whether every item is an object holding the keys (or their defaults), and no two items share a key. */
function keyed(items: unknown[], keys: string[], defaults: JsonObject = {}): boolean {
  const seen = new Set<string>();
  for (const item of items) {
    if (!isPlainObject(item)) return false;
    const values = keys.map((k) => (item as JsonObject)[k] ?? defaults[k]);
    if (values.some((v) => v === undefined || v === null || isPlainObject(v) || Array.isArray(v))) return false;
    const id = JSON.stringify(values);
    if (seen.has(id)) return false;
    seen.add(id);
  }
  return items.length > 0;
}
