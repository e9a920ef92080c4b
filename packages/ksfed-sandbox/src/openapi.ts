import { createHash } from 'crypto';
import { isPlainObject, JsonObject } from './json';
import { groupVersion, ResourceType, ResourceTypes } from './resource-types';

/**
 * OpenAPI v3 documents, one per group/version, with what kubectl needs to run its default (strict) field
 * validation server-side: every PATCH operation carries `x-kubernetes-group-version-kind` and a `fieldValidation`
 * query parameter, so kubectl sends `fieldValidation=Strict` instead of downloading OpenAPI v2 for client-side
 * validation. Schemas: a CRD version's `openAPIV3Schema`; for built-in kinds an open object (the sandbox does not
 * ship the Kubernetes schemas, so `kubectl explain` shows little).
 */

/** `GET /openapi/v3`: group/version paths and their current document URLs (the hash changes with the document). */
export function openApiIndex(types: ResourceTypes): JsonObject {
  const paths: JsonObject = {};
  const gvs = new Set(types.all().map((t) => groupVersion(t.group, t.version)));
  for (const gv of [...gvs].sort()) {
    const path = gv.includes('/') ? `apis/${gv}` : `api/${gv}`;
    const doc = openApiDocument(types, gv)!;
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hashOf(doc)}` };
  }
  return { paths };
}

/** The document for one group/version (`v1` or `apps/v1`), or undefined when not served. */
export function openApiDocument(types: ResourceTypes, gv: string): JsonObject | undefined {
  const served = types.all().filter((t) => groupVersion(t.group, t.version) === gv);
  if (served.length === 0) return undefined;
  const paths: JsonObject = {};
  const schemas: JsonObject = {
    [OBJECT_META]: {
      'type': 'object',
      'properties': {
        name: { type: 'string' },
        namespace: { type: 'string' },
        generateName: { type: 'string' },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        annotations: { type: 'object', additionalProperties: { type: 'string' } },
        finalizers: { type: 'array', items: { type: 'string' } },
        ownerReferences: { type: 'array', items: { 'type': 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
      'x-kubernetes-preserve-unknown-fields': true,
    },
    [STATUS]: { 'type': 'object', 'x-kubernetes-preserve-unknown-fields': true },
    [PATCH]: { type: 'object' },
  };
  for (const t of served) {
    const name = schemaName(t);
    schemas[name] = kindSchema(t);
    schemas[`${name}List`] = {
      'type': 'object',
      'properties': { apiVersion: { type: 'string' }, kind: { type: 'string' }, items: { type: 'array', items: ref(name) } },
      'x-kubernetes-group-version-kind': [{ group: t.group, version: t.version, kind: t.listKind }],
    };
    const base = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
    const collection = t.namespaced ? `${base}/namespaces/{namespace}/${t.plural}` : `${base}/${t.plural}`;
    const scope = t.namespaced ? [param('namespace', 'path')] : [];
    paths[collection] = {
      get: op(t, 'list', `${name}List`, LIST_PARAMS),
      post: op(t, 'post', name, WRITE_PARAMS, true),
      delete: op(t, 'deletecollection', STATUS, LIST_PARAMS),
      parameters: scope,
    };
    if (t.namespaced) paths[`${base}/${t.plural}`] = { get: op(t, 'list', `${name}List`, LIST_PARAMS) };
    paths[`${collection}/{name}`] = item(t, name, [param('name', 'path'), ...scope]);
    if (t.statusSubresource) paths[`${collection}/{name}/status`] = item(t, name, [param('name', 'path'), ...scope], false);
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.26.15' },
    paths,
    components: { schemas },
  };
}

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const STATUS = 'io.k8s.apimachinery.pkg.apis.meta.v1.Status';
const PATCH = 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch';
const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'pretty'];
const LIST_PARAMS = ['continue', 'fieldSelector', 'labelSelector', 'limit', 'resourceVersion', 'timeoutSeconds', 'watch', 'pretty'];

function hashOf(doc: JsonObject): string {
  return createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
}

function ref(name: string): JsonObject {
  return { $ref: `#/components/schemas/${name}` };
}

function param(name: string, where: 'path' | 'query', type = 'string'): JsonObject {
  const p: JsonObject = { name, in: where, schema: { type, uniqueItems: true } };
  if (where === 'path') p.required = true;
  return p;
}

function schemaName(t: ResourceType): string {
  if (t.crd) return `${t.group.split('.').reverse().join('.')}.${t.version}.${t.kind}`;
  const short = t.group === '' ? 'core' : t.group.replace(/\.k8s\.io$/, '').replace(/\.authorization$/, '');
  const pkg = t.group === 'apiextensions.k8s.io' ? 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions' : `io.k8s.api.${short}`;
  return `${pkg}.${t.version}.${t.kind}`;
}

function kindSchema(t: ResourceType): JsonObject {
  const gvk = [{ group: t.group, version: t.version, kind: t.kind }];
  if (t.schema) {
    const props: JsonObject = isPlainObject(t.schema.properties) ? { ...t.schema.properties } : {};
    props.metadata = ref(OBJECT_META);
    return { ...t.schema, 'type': 'object', 'properties': props, 'x-kubernetes-group-version-kind': gvk };
  }
  return {
    'type': 'object',
    'properties': { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: ref(OBJECT_META) },
    'x-kubernetes-preserve-unknown-fields': true,
    'x-kubernetes-group-version-kind': gvk,
  };
}

function op(t: ResourceType, action: string, responseSchema: string, query: string[], withBody = false): JsonObject {
  const o: JsonObject = {
    'operationId': `${action}${t.kind}`,
    'parameters': query.map((q) => param(q, 'query', q === 'limit' || q === 'timeoutSeconds' ? 'integer' : q === 'watch' ? 'boolean' : 'string')),
    'responses': { 200: { description: 'OK', content: { 'application/json': { schema: ref(responseSchema) } } } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: t.group, version: t.version, kind: t.kind },
  };
  if (withBody) o.requestBody = { content: { 'application/json': { schema: ref(schemaName(t)) } }, required: true };
  return o;
}

function item(t: ResourceType, name: string, scope: JsonObject[], withDelete = true): JsonObject {
  const patchTypes = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json'];
  if (!t.crd) patchTypes.push('application/strategic-merge-patch+json');
  const patch = op(t, 'patch', name, [...WRITE_PARAMS, 'force']);
  patch.parameters.find((p: JsonObject) => p.name === 'force').schema.type = 'boolean';
  patch.requestBody = { content: Object.fromEntries(patchTypes.map((m) => [m, { schema: ref(PATCH) }])), required: true };
  const out: JsonObject = {
    get: op(t, 'get', name, ['pretty']),
    put: op(t, 'put', name, WRITE_PARAMS, true),
    patch,
    parameters: scope,
  };
  if (withDelete) out.delete = op(t, 'delete', STATUS, ['dryRun', 'gracePeriodSeconds', 'propagationPolicy', 'pretty']);
  return out;
}
