import { StatusCause } from './errors';
import { clone, deepEqual, isPlainObject, JsonObject } from './json';
import { ListType } from './managed-fields';

/**
 * What the API server does with a custom resource and its CRD version's structural `openAPIV3Schema`:
 * prune unknown fields, apply defaults, validate types/required/enum/pattern/bounds, and read list types
 * (`x-kubernetes-list-type`) for server-side apply. CEL rules, formats and `oneOf`/`anyOf`/`allOf` are not evaluated.
 */

const PRESERVE = 'x-kubernetes-preserve-unknown-fields';

/** Removes fields the schema does not declare; returns their paths (`spec.foo`), for warnings or strict errors. */
export function pruneUnknownFields(obj: JsonObject, schema: JsonObject | undefined): string[] {
  const pruned: string[] = [];
  if (!schema) return pruned;
  const walk = (value: unknown, s: JsonObject | undefined, path: string, root: boolean) => {
    if (!s) return;
    if (Array.isArray(value)) {
      if (isPlainObject(s.items)) value.forEach((item, i) => walk(item, s.items, `${path}[${i}]`, false));
      return;
    }
    if (!isPlainObject(value)) return;
    const props: JsonObject = isPlainObject(s.properties) ? s.properties : {};
    const additional = s.additionalProperties;
    const embedded = s['x-kubernetes-embedded-resource'] === true;
    for (const key of Object.keys(value)) {
      const child = path ? `${path}.${key}` : key;
      if ((root || embedded) && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) continue;
      if (isPlainObject(props[key])) {
        walk(value[key], props[key], child, false);
      } else if (isPlainObject(additional)) {
        walk(value[key], additional, child, false);
      } else if (additional !== true && s[PRESERVE] !== true) {
        delete value[key];
        pruned.push(child);
      }
    }
  };
  walk(obj, schema, '', true);
  return pruned;
}

/** Fills schema `default`s for missing fields, recursively (inside objects that exist). */
export function applySchemaDefaults(obj: JsonObject, schema: JsonObject | undefined): void {
  const walk = (value: unknown, s: JsonObject | undefined) => {
    if (!s) return;
    if (Array.isArray(value)) {
      if (isPlainObject(s.items)) value.forEach((item) => walk(item, s.items));
      return;
    }
    if (!isPlainObject(value)) return;
    const props: JsonObject = isPlainObject(s.properties) ? s.properties : {};
    for (const [key, ps] of Object.entries(props)) {
      if (!isPlainObject(ps)) continue;
      if (value[key] === undefined && ps.default !== undefined) value[key] = clone(ps.default);
      walk(value[key], ps);
    }
    if (isPlainObject(s.additionalProperties)) {
      for (const key of Object.keys(value)) if (!(key in props)) walk(value[key], s.additionalProperties);
    }
  };
  walk(obj, schema);
}

/** Validation errors of an object against the schema, worded like the API server's. */
export function validateAgainstSchema(obj: JsonObject, schema: JsonObject | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!schema) return causes;
  const invalid = (field: string, value: unknown, why: string) =>
    causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${render(value)}: ${why}` });
  const walk = (value: unknown, s: JsonObject, path: string, root: boolean) => {
    const at = path || '<root>';
    if (value === null) {
      if (!s.nullable) invalid(at, value, `${at} in body must be of type ${s.type ?? 'object'}: "null"`);
      return;
    }
    if (s['x-kubernetes-int-or-string'] === true) {
      if (!(typeof value === 'string' || Number.isInteger(value))) {
        invalid(at, typeName(value), `${at} in body must be of type integer,string: ${render(typeName(value))}`);
      }
    } else if (typeof s.type === 'string' && !hasType(value, s.type)) {
      // As the API server does, a type error shows the type of the value, not the value.
      invalid(at, typeName(value), `${at} in body must be of type ${s.type}: ${render(typeName(value))}`);
      return;
    }
    if (Array.isArray(s.enum) && !s.enum.some((e: unknown) => deepEqual(e, value))) {
      causes.push({
        reason: 'FieldValueNotSupported',
        field: at,
        message: `Unsupported value: ${render(value)}: supported values: ${s.enum.map((e: unknown) => render(e)).join(', ')}`,
      });
    }
    if (typeof value === 'string') {
      if (typeof s.pattern === 'string' && !safeRegExp(s.pattern)?.test(value)) invalid(at, value, `${at} in body should match '${s.pattern}'`);
      if (typeof s.maxLength === 'number' && value.length > s.maxLength) {
        causes.push({ reason: 'FieldValueTooLong', field: at, message: `Too long: may not be longer than ${s.maxLength}` });
      }
      if (typeof s.minLength === 'number' && value.length < s.minLength) invalid(at, value, `${at} in body should be at least ${s.minLength} chars long`);
    }
    if (typeof value === 'number') {
      if (typeof s.minimum === 'number' && value < s.minimum) invalid(at, value, `${at} in body should be greater than or equal to ${s.minimum}`);
      if (typeof s.maximum === 'number' && value > s.maximum) invalid(at, value, `${at} in body should be less than or equal to ${s.maximum}`);
    }
    if (Array.isArray(value)) {
      if (typeof s.maxItems === 'number' && value.length > s.maxItems) {
        causes.push({ reason: 'FieldValueTooMany', field: at, message: `Too many: ${value.length}: must have at most ${s.maxItems} items` });
      }
      if (typeof s.minItems === 'number' && value.length < s.minItems) invalid(at, value, `${at} in body should have at least ${s.minItems} items`);
      if (isPlainObject(s.items)) value.forEach((item, i) => walk(item, s.items, `${path}[${i}]`, false));
      return;
    }
    if (!isPlainObject(value)) return;
    const props: JsonObject = isPlainObject(s.properties) ? s.properties : {};
    if (Array.isArray(s.required)) {
      for (const r of s.required) {
        if (value[r] === undefined) causes.push({ reason: 'FieldValueRequired', field: path ? `${path}.${r}` : r, message: 'Required value' });
      }
    }
    for (const [key, v] of Object.entries(value)) {
      if (root && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) continue;
      const child = path ? `${path}.${key}` : key;
      if (isPlainObject(props[key])) walk(v, props[key], child, false);
      else if (isPlainObject(s.additionalProperties)) walk(v, s.additionalProperties, child, false);
    }
  };
  walk(obj, schema, '', true);
  return causes;
}

/** The list type the schema declares for the list at a field path; undefined when the schema does not reach it. */
export function schemaListType(schema: JsonObject | undefined, names: string[]): ListType | undefined {
  let s: JsonObject | undefined = schema;
  for (const name of names) {
    while (s && s.type === 'array' && isPlainObject(s.items)) s = s.items;
    if (!s) return undefined;
    if (isPlainObject(s.properties) && isPlainObject(s.properties[name])) s = s.properties[name];
    else if (isPlainObject(s.additionalProperties)) s = s.additionalProperties;
    else return undefined;
  }
  if (!s) return undefined;
  const listType = s['x-kubernetes-list-type'];
  if (listType === 'map' && Array.isArray(s['x-kubernetes-list-map-keys'])) return { type: 'map', keys: s['x-kubernetes-list-map-keys'] };
  if (listType === 'set') return { type: 'set' };
  return { type: 'atomic' };
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'object': return isPlainObject(value);
    case 'array': return Array.isArray(value);
    case 'string': return typeof value === 'string';
    case 'integer': return Number.isInteger(value);
    case 'number': return typeof value === 'number';
    case 'boolean': return typeof value === 'boolean';
    default: return true;
  }
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (isPlainObject(value)) return 'object';
  if (Number.isInteger(value)) return 'integer';
  return typeof value;
}

function render(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (isPlainObject(value) || Array.isArray(value)) return `"${typeName(value)}"`;
  return JSON.stringify(String(value));
}

function safeRegExp(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    return undefined;
  }
}
