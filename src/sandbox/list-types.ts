import { schemaListType } from './crd-schema';
import { isPlainObject, JsonObject } from './json';
import { ListType, ListTypeResolver } from './managed-fields';
import { ResourceType } from './resource-types';

/** Built-in lists whose merge key is not `name` (after the Kubernetes API types). */
const BUILTIN_KEYS: Record<string, string> = {
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
};

const ATOMIC: ListType = { type: 'atomic' };

/**
 * The list types server-side apply uses for a kind:
 * - `metadata.finalizers` is a set and `metadata.ownerReferences` a map keyed by uid, for every kind;
 * - custom resources follow their schema (`x-kubernetes-list-type`; atomic when unset, like the API server);
 * - built-in kinds: lists of objects that all carry a unique `name` (containers, env, ports, volumes...) are maps
 *   keyed by name (`volumeMounts` by mountPath), other lists are atomic. The real API uses per-field keys, some of
 *   them composite (container ports: containerPort+protocol); this is the documented approximation.
 */
export function listTypeResolver(type: ResourceType): ListTypeResolver {
  return (names, items) => {
    if (names.length === 2 && names[0] === 'metadata') {
      if (names[1] === 'finalizers') return items.every((i) => typeof i === 'string') ? { type: 'set' } : ATOMIC;
      if (names[1] === 'ownerReferences') return keyed(items, ['uid']) ? { type: 'map', keys: ['uid'] } : ATOMIC;
    }
    if (type.crd !== undefined) {
      const lt = schemaListType(type.schema, names);
      if (lt?.type === 'map') return keyed(items, lt.keys) ? lt : ATOMIC;
      if (lt?.type === 'set') return items.every((i) => !isPlainObject(i) && !Array.isArray(i)) ? lt : ATOMIC;
      return ATOMIC;
    }
    const key = BUILTIN_KEYS[names[names.length - 1]] ?? 'name';
    return keyed(items, [key]) ? { type: 'map', keys: [key] } : ATOMIC;
  };
}

/** Whether every item is an object holding the keys, and no two items share a key. */
function keyed(items: unknown[], keys: string[]): boolean {
  const seen = new Set<string>();
  for (const item of items) {
    if (!isPlainObject(item)) return false;
    const values = keys.map((k) => (item as JsonObject)[k]);
    if (values.some((v) => v === undefined || v === null || isPlainObject(v) || Array.isArray(v))) return false;
    const id = JSON.stringify(values);
    if (seen.has(id)) return false;
    seen.add(id);
  }
  return items.length > 0;
}
