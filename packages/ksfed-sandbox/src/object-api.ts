import { randomUUID } from 'crypto';
import { applySchemaDefaults, pruneUnknownFields, validateAgainstSchema } from './crd-schema';
import { zeroObject } from './defaults';
import { ApiError, StatusCause, successStatus } from './errors';
import { clone, deepEqual, dropNulls, isPlainObject, JsonObject, nowRfc3339 } from './json';
import { listTypeResolver, mapTypeResolver } from './list-types';
import {
  FieldSetOptions, ManagerEntry, readManagedFields, updateOwnership, WriteScope, writeManagedFields,
} from './managed-fields';
import { jsonPatch, mergePatch, strategicMergePatch } from './patches';
import { groupVersion, parseApiVersion, ResourceType, ResourceTypes, storageKey } from './resource-types';
import { FieldSelector, LabelSelector } from './selectors';
import { serverSideApply } from './server-side-apply';
import { ObjectStore } from './store';
import { parseApplyBody, YamlDuplicate } from './yaml';

/** Options of a write, from the request's query string and headers. */
export interface WriteOptions {
  /** `fieldManager`; required for apply. Other writes default to the User-Agent's product name, like the API server. */
  readonly fieldManager?: string;
  /** `dryRun=All`: everything is checked, nothing is stored. */
  readonly dryRun?: boolean;
  /** `force` (apply only): take ownership of conflicting fields. */
  readonly force?: boolean;
  /** `status` for writes to the status subresource. */
  readonly subresource?: 'status';
  /** `fieldValidation`: Ignore, Warn (default) or Strict; checked against CRD schemas (built-in kinds are not checked). */
  readonly fieldValidation?: string;
  /** Fields the request body sets twice (JSON bodies of POST and PUT): refused with Strict, a warning with Warn. */
  readonly duplicateFields?: string[];
  readonly userAgent?: string;
}

/** Options of a delete (query string or DeleteOptions body). */
export interface DeleteOptions {
  readonly dryRun?: boolean;
  readonly propagationPolicy?: string;
  readonly preconditions?: { uid?: string; resourceVersion?: string };
}

/** Options of a list. */
export interface ListOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
  readonly continueToken?: string;
}

/** The answer to a request that succeeded: HTTP code, body, warnings (sent as `Warning` headers). */
export interface ApiResult {
  readonly code: number;
  readonly body: JsonObject;
  readonly warnings: string[];
}

/** What an admission hook sees. */
export interface AdmissionContext {
  readonly type: ResourceType;
  readonly operation: 'create' | 'update';
  /** The object about to be stored; hooks may change it. */
  readonly object: JsonObject;
  readonly old?: JsonObject;
  readonly subresource?: string;
  readonly warnings: string[];
}

/** Per-resource behaviour: defaulting/validation before a write, and a hook after an object is gone. */
export interface AdmissionHooks {
  admit?(ctx: AdmissionContext): void;
  /**
   * On a DELETE of an object not yet marked: the object to store instead of deleting it (marked for deletion, with
   * the finalizer of the controller that cleans up), or undefined to delete as usual.
   */
  markDeleted?(type: ResourceType, live: JsonObject): JsonObject | undefined;
  removed?(type: ResourceType, obj: JsonObject): void;
}

const SYSTEM_METADATA = [
  'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds',
  'managedFields', 'selfLink',
];

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The REST semantics of one sandbox cluster over its store: create, get, list, replace, patch (merge, JSON,
 * strategic, apply), delete, with namespaces, finalizers, owner-reference garbage collection, the status
 * subresource, generation and resourceVersion bookkeeping and managedFields. Used by the HTTP server and,
 * in-process, by the emulated controllers.
 */
export class ObjectApi {
  private readonly hooks = new Map<string, AdmissionHooks[]>();

  constructor(
    public readonly store: ObjectStore,
    public readonly types: ResourceTypes,
    private readonly nameSuffix: () => string,
  ) {}

  /** Registers hooks for one resource (`group/plural`). */
  public addHooks(resource: string, hooks: AdmissionHooks): void {
    if (!this.hooks.has(resource)) this.hooks.set(resource, []);
    this.hooks.get(resource)!.push(hooks);
  }

  /** The type for an apiVersion/kind, or a 404. */
  public typeOf(apiVersion: string, kind: string): ResourceType {
    const t = this.types.byKind(apiVersion, kind);
    if (!t) throw ApiError.noSuchResource();
    return t;
  }

  /** The stored object as the client sees it at the type's version. */
  public get(type: ResourceType, namespace: string | undefined, name: string): JsonObject {
    const obj = this.raw(type, namespace, name);
    if (!obj) throw ApiError.notFound(type, name);
    return present(type, obj);
  }

  /** The stored object, or undefined. */
  public find(type: ResourceType, namespace: string | undefined, name: string): JsonObject | undefined {
    const obj = this.raw(type, namespace, name);
    return obj ? present(type, obj) : undefined;
  }

  /**
   * The stored object itself (at the storage version), or undefined: for the emulated controllers, which read
   * often and write rarely. No copy is made, so the caller must never change it (`find` returns a copy).
   */
  public peek(type: ResourceType, namespace: string | undefined, name: string): Readonly<JsonObject> | undefined {
    return this.raw(type, namespace, name);
  }

  /** The stored objects of a type (in one namespace, or all), in list order; read-only like `peek`. */
  public peekAll(type: ResourceType, namespace?: string): ReadonlyArray<Readonly<JsonObject>> {
    return this.store.list(storageKey(type), type.namespaced ? namespace : undefined);
  }

  /** A list object (`<Kind>List`), filtered and paginated. Built-in list items carry no apiVersion/kind, as on the wire. */
  public list(type: ResourceType, namespace: string | undefined, options: ListOptions = {}): JsonObject {
    const labels = LabelSelector.parse(options.labelSelector);
    const fields = FieldSelector.parse(options.fieldSelector);
    let items = this.store.list(storageKey(type), type.namespaced ? namespace : undefined)
      .filter((o) => labels.matches(o.metadata?.labels) && fields.matches(o));
    if (options.continueToken) {
      const after = decodeContinue(options.continueToken);
      items = items.filter((o) => itemKey(o) > after);
    }
    const metadata: JsonObject = { resourceVersion: String(this.store.resourceVersion) };
    if (options.limit && options.limit > 0 && items.length > options.limit) {
      const remaining = items.length - options.limit;
      items = items.slice(0, options.limit);
      metadata.continue = Buffer.from(JSON.stringify({ k: itemKey(items[items.length - 1]) })).toString('base64url');
      // (the API server counts the rest only when no selector filters it)
      if (!options.labelSelector && !options.fieldSelector) metadata.remainingItemCount = remaining;
    } else if (type.crd) {
      // (a custom resource list always carries `continue`, empty on the last page)
      metadata.continue = '';
    }
    return {
      apiVersion: groupVersion(type.group, type.version),
      kind: type.listKind,
      metadata,
      items: items.map((o) => {
        const p = present(type, o);
        if (!type.crd) {
          delete p.apiVersion;
          delete p.kind;
        }
        return p;
      }),
    };
  }

  /** POST: creates an object. */
  public create(type: ResourceType, namespace: string | undefined, body: unknown, options: WriteOptions = {}): ApiResult {
    const warnings: string[] = [];
    checkDuplicates(type, options, warnings);
    const obj = this.incoming(type, body, namespace, undefined);
    if (!obj.metadata.name) {
      if (!obj.metadata.generateName) {
        throw ApiError.invalid(type.kind, type.group, '', [{ field: 'metadata.name', reason: 'FieldValueRequired', message: 'Required value: name or generateName is required' }]);
      }
      obj.metadata.name = `${obj.metadata.generateName}${this.nameSuffix()}`;
    }
    if (this.raw(type, obj.metadata.namespace, obj.metadata.name)) throw ApiError.alreadyExists(type, obj.metadata.name);
    this.checkCustomFields(type, obj, options, warnings);
    return this.finishCreate(type, obj, options, warnings, undefined);
  }

  /** PUT: replaces an object (or its status). */
  public replace(type: ResourceType, namespace: string | undefined, name: string, body: unknown, options: WriteOptions = {}): ApiResult {
    const warnings: string[] = [];
    checkDuplicates(type, options, warnings);
    const live = this.mustExist(type, namespace, name);
    const obj = this.incoming(type, body, namespace, name);
    // Custom resources allow no unconditional update (built-in kinds do): a PUT must name the resourceVersion.
    if (type.crd && !obj.metadata.resourceVersion) {
      throw ApiError.invalid(type.plural, type.group, name, [{ field: 'metadata.resourceVersion', message: 'Invalid value: 0: must be specified for an update' }]);
    }
    this.checkResourceVersion(type, live, obj);
    this.checkCustomFields(type, obj, options, warnings);
    return this.commitUpdate(type, live, this.scoped(type, live, obj, options.subresource), options, warnings, undefined);
  }

  /** PATCH with any supported content type; `application/apply-patch+yaml` is server-side apply. */
  public patch(
    type: ResourceType, namespace: string | undefined, name: string, contentType: string, body: string, options: WriteOptions = {},
  ): ApiResult {
    const ct = contentType.split(';')[0].trim().toLowerCase();
    if (ct === 'application/apply-patch+yaml') return this.apply(type, namespace, name, body, options);
    if (options.force !== undefined) throw ApiError.badRequest('force may not be set for non-apply patch types');
    let patch: unknown;
    try {
      patch = JSON.parse(body);
    } catch (e) {
      throw ApiError.badRequest(`error decoding patch: ${(e as Error).message}`);
    }
    const live = this.mustExist(type, namespace, name);
    const current = present(type, live);
    let patched: unknown;
    switch (ct) {
      case 'application/merge-patch+json':
        patched = mergePatch(current, patch);
        break;
      case 'application/json-patch+json':
        patched = jsonPatch(current, patch);
        break;
      case 'application/strategic-merge-patch+json':
        if (type.crd) throw ApiError.unsupportedMediaType(ct, false);
        patched = strategicMergePatch(current, patch);
        break;
      default:
        throw ApiError.unsupportedMediaType(ct);
    }
    const warnings: string[] = [];
    const obj = this.incoming(type, patched, namespace, name);
    this.checkResourceVersion(type, live, obj);
    this.checkCustomFields(type, obj, options, warnings);
    return this.commitUpdate(type, live, this.scoped(type, live, obj, options.subresource), options, warnings, undefined);
  }

  /** Server-side apply (create-if-missing, ownership, conflicts). */
  public apply(type: ResourceType, namespace: string | undefined, name: string, body: string, options: WriteOptions = {}): ApiResult {
    if (!options.fieldManager) {
      throw ApiError.invalid('PatchOptions', 'meta.k8s.io', '', [{ reason: 'FieldValueRequired', field: 'fieldManager', message: 'Required value: is required for apply patch' }]);
    }
    if (options.fieldManager.length > 128) throw ApiError.badRequest('fieldManager: Too long: must have at most 128 bytes');
    let parsed: unknown;
    let duplicates: YamlDuplicate[];
    try {
      ({ value: parsed, duplicates } = parseApplyBody(body));
    } catch (e) {
      throw ApiError.badRequest(`error decoding YAML: ${(e as Error).message}`);
    }
    // A repeated YAML key: the last value wins, with a warning; refused with Strict.
    const repeated = duplicates.map((d) => `line ${d.line}: key ${JSON.stringify(d.key)} already set in map`);
    if (repeated.length > 0 && options.fieldValidation === 'Strict') {
      throw ApiError.badRequest(`error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n  ${repeated.join('\n  ')}`);
    }
    if (!isPlainObject(parsed)) throw ApiError.badRequest('the apply configuration must be an object');
    const config = dropNulls(parsed) as JsonObject;
    const gv = groupVersion(type.group, type.version);
    if (config.apiVersion !== gv) {
      throw ApiError.badRequest(`the API version in the data (${config.apiVersion ?? ''}) does not match the expected API version (${gv})`);
    }
    if (config.kind !== type.kind) throw ApiError.badRequest(`invalid object type: ${type.group}/${type.version}, Kind=${config.kind ?? ''}`);
    const obj = this.incoming(type, config, namespace, name);
    const warnings: string[] = options.fieldValidation === 'Ignore' ? [] : repeated;
    const live = this.raw(type, namespace, name);
    if (live) this.checkResourceVersion(type, live, obj);
    else if (options.subresource) throw ApiError.notFound(type, name);
    for (const key of SYSTEM_METADATA) delete obj.metadata[key];
    // As on a real API server, ownership is computed on the configuration as applied: a Secret's `stringData` is
    // owned as `f:stringData` and only turned into `data` when the result is stored (finishCreate/commitUpdate).
    // A field the schema does not declare fails the typed patch whatever `fieldValidation` says.
    if (type.schema) {
      const unknown = pruneUnknownFields(clone(obj), type.schema);
      if (unknown.length > 0) {
        throw new ApiError(500, '', `failed to create typed patch object (${namespace ?? ''}/${name}; ${type.group}/${type.version}, Kind=${type.kind}): `
          + unknown.map((f) => `.${f}: field not declared in schema`).join('\n'));
      }
    }
    if (type.statusSubresource) {
      if (options.subresource === 'status') {
        for (const key of Object.keys(obj)) if (!['apiVersion', 'kind', 'metadata', 'status'].includes(key)) delete obj[key];
        obj.metadata = { name: obj.metadata.name, namespace: obj.metadata.namespace };
      } else {
        delete obj.status;
      }
    }
    if (!live) {
      this.checkName(type, name);
      if (type.namespaced) this.ensureNamespaceWritable(type, namespace!, name);
    }
    const base: JsonObject = live ? clone(live) : { apiVersion: gv, kind: type.kind, metadata: identity(obj) };
    base.apiVersion = gv;
    const outcome = serverSideApply({
      live,
      base,
      config: obj,
      manager: options.fieldManager,
      apiVersion: gv,
      force: options.force === true,
      subresource: options.subresource,
      fieldSetOptions: this.fieldSetOptions(type, options.subresource),
      entries: readManagedFields(live),
    });
    if (!live) return this.finishCreate(type, outcome.object, options, warnings, outcome.entries);
    return this.commitUpdate(type, live, outcome.object, options, warnings, outcome.entries);
  }

  /** DELETE: removes an object, or marks it for deletion while finalizers remain. */
  public delete(type: ResourceType, namespace: string | undefined, name: string, options: DeleteOptions = {}): ApiResult {
    const live = this.mustExist(type, namespace, name);
    const pre = options.preconditions ?? {};
    // (these conflicts name the kind, not the resource, as the API server's do)
    const byKind = { group: type.group, plural: type.kind };
    if (pre.uid && pre.uid !== live.metadata.uid) {
      throw ApiError.conflict(byKind, name, `the UID in the precondition (${pre.uid}) does not match the UID in record (${live.metadata.uid}). `
        + 'The object might have been deleted and then recreated');
    }
    if (pre.resourceVersion && pre.resourceVersion !== live.metadata.resourceVersion) {
      throw ApiError.conflict(byKind, name, `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record `
        + `(${live.metadata.resourceVersion}). The object might have been modified`);
    }
    if (options.dryRun) return { code: 200, body: present(type, live), warnings: [] };
    if (type.group === '' && type.plural === 'namespaces') return { code: 200, body: this.deleteNamespace(type, live), warnings: [] };
    for (const h of this.hooks.get(storageKey(type)) ?? []) {
      if (live.metadata.deletionTimestamp) break;
      const marked = h.markDeleted?.(type, clone(live));
      if (!marked) continue;
      marked.metadata.resourceVersion = String(this.store.nextResourceVersion());
      this.store.put(storageKey(type), marked, 'MODIFIED');
      return { code: 200, body: present(type, marked), warnings: [] };
    }
    const gone = this.deleteObject(type, live, options.propagationPolicy);
    if (!gone) return { code: 200, body: present(type, this.raw(type, namespace, name)!), warnings: [] };
    return { code: 200, body: successStatus(type, name, live.metadata.uid), warnings: [] };
  }

  /** DELETE on a collection: deletes every matching object; answers the list of them (as they were deleted). */
  public deleteCollection(type: ResourceType, namespace: string | undefined, list: ListOptions, options: DeleteOptions = {}): ApiResult {
    const answer = this.list(type, namespace, { labelSelector: list.labelSelector, fieldSelector: list.fieldSelector });
    for (const item of answer.items as JsonObject[]) {
      if (options.dryRun) continue;
      const live = this.raw(type, item.metadata.namespace, item.metadata.name);
      if (live) this.deleteObject(type, live, options.propagationPolicy);
    }
    return { code: 200, body: answer, warnings: [] };
  }

  /**
   * Controller helper: replaces the status of an object with `manager` as the field manager (operation Update).
   * Nothing is returned (no copy of the result is made for an answer nobody reads).
   */
  public writeStatus(type: ResourceType, namespace: string | undefined, name: string, status: JsonObject, manager: string): void {
    const live = this.mustExist(type, namespace, name);
    // (a status write copies the live object itself, see `scoped`)
    const next = type.statusSubresource ? { ...live, status } : { ...clone(live), status };
    const opts: WriteOptions = { fieldManager: manager, subresource: type.statusSubresource ? 'status' : undefined };
    this.commitUpdate(type, live, this.scoped(type, live, next, opts.subresource), opts, [], undefined, false);
  }

  /** Controller helper: JSON merge patch of the main resource with `manager` as the field manager. */
  public mergePatch(type: ResourceType, namespace: string | undefined, name: string, patch: JsonObject, manager: string): JsonObject {
    return this.patch(type, namespace, name, 'application/merge-patch+json', JSON.stringify(patch), { fieldManager: manager }).body;
  }

  /** Removes an object without finalizers or garbage collection (used when a CRD disappears). */
  public purge(type: ResourceType, obj: JsonObject): void {
    this.store.remove(storageKey(type), obj.metadata.namespace, obj.metadata.name);
  }

  private raw(type: ResourceType, namespace: string | undefined, name: string): JsonObject | undefined {
    return this.store.get(storageKey(type), type.namespaced ? namespace : undefined, name);
  }

  private mustExist(type: ResourceType, namespace: string | undefined, name: string): JsonObject {
    const live = this.raw(type, namespace, name);
    if (!live) throw ApiError.notFound(type, name);
    return live;
  }

  /** Checks a request body's identity against the URL and returns a normalized copy. */
  private incoming(type: ResourceType, body: unknown, namespace: string | undefined, name: string | undefined): JsonObject {
    if (!isPlainObject(body)) throw ApiError.badRequest('the request body must be a JSON object');
    const obj = clone(body);
    const gv = groupVersion(type.group, type.version);
    if (obj.kind !== undefined && obj.kind !== type.kind) {
      throw ApiError.badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${type.kind})`);
    }
    if (obj.apiVersion !== undefined && parseApiVersion(String(obj.apiVersion)).group !== type.group) {
      throw ApiError.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${gv})`);
    }
    obj.apiVersion = gv;
    obj.kind = type.kind;
    if (obj.metadata === undefined) obj.metadata = {};
    if (!isPlainObject(obj.metadata)) throw ApiError.badRequest('metadata must be an object');
    const meta = obj.metadata;
    if (name !== undefined) {
      if (meta.name !== undefined && meta.name !== name) {
        throw ApiError.badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
      }
      meta.name = name;
    }
    if (type.namespaced) {
      if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== namespace) {
        throw ApiError.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace;
    } else {
      delete meta.namespace;
    }
    for (const field of ['labels', 'annotations']) {
      const map = meta[field];
      if (map === undefined || map === null) continue;
      if (!isPlainObject(map) || Object.values(map).some((v) => typeof v !== 'string')) {
        throw ApiError.badRequest(`json: cannot unmarshal into Go struct field ObjectMeta.metadata.${field} of type string`);
      }
    }
    return obj;
  }

  private checkName(type: ResourceType, name: string): void {
    let problem: string | undefined;
    if (type.group === 'rbac.authorization.k8s.io') {
      if (name === '.' || name === '..' || /[/%]/.test(name)) problem = 'may not contain \'/\' or \'%\' and may not be \'.\' or \'..\'';
    } else if (type.group === '' && (type.plural === 'namespaces' || type.plural === 'services')) {
      if (!LABEL.test(name) || name.length > 63) {
        problem = 'a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character'
          + ' (e.g. \'my-name\', or \'123-abc\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?\')';
      }
    } else if (!SUBDOMAIN.test(name) || name.length > 253) {
      problem = 'a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character'
        + ' (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')';
    }
    if (problem) throw ApiError.invalid(type.kind, type.group, name, [{ field: 'metadata.name', message: `Invalid value: ${JSON.stringify(name)}: ${problem}` }]);
  }

  private ensureNamespaceWritable(type: ResourceType, namespace: string, name: string): void {
    const ns = this.store.get('/namespaces', undefined, namespace);
    if (!ns) throw ApiError.notFound({ group: '', plural: 'namespaces' }, namespace);
    if (ns.metadata.deletionTimestamp) {
      const what = type.group ? `${type.plural}.${type.group}` : type.plural;
      throw ApiError.forbidden(
        `${what} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        { name, group: type.group || undefined, kind: type.plural, causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }] },
      );
    }
  }

  private checkResourceVersion(type: ResourceType, live: JsonObject, obj: JsonObject): void {
    const rv = obj.metadata.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== live.metadata.resourceVersion) {
      throw ApiError.conflict(type, live.metadata.name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
  }

  /** Prunes fields unknown to a CRD schema, by `fieldValidation`: Strict rejects, Warn warns, Ignore drops silently. */
  private checkCustomFields(type: ResourceType, obj: JsonObject, options: WriteOptions, warnings: string[]): void {
    if (!type.schema) return;
    const unknown = pruneUnknownFields(obj, type.schema);
    if (unknown.length === 0) return;
    const mode = options.fieldValidation ?? 'Warn';
    if (mode === 'Strict') {
      throw ApiError.badRequest(`${type.kind} in version ${JSON.stringify(type.version)} cannot be handled as a ${type.kind}: strict decoding error: `
        + unknown.map((f) => `unknown field "${f}"`).join(', '));
    }
    if (mode !== 'Ignore') warnings.push(...unknown.map((f) => `unknown field "${f}"`));
  }

  /** For kinds with a status subresource: a main write keeps the live status, a status write keeps everything else. */
  private scoped(type: ResourceType, live: JsonObject, obj: JsonObject, subresource: string | undefined): JsonObject {
    if (!type.statusSubresource) return obj;
    if (subresource === 'status') {
      const out = clone(live);
      if (obj.status === undefined) delete out.status;
      else out.status = obj.status;
      out.apiVersion = obj.apiVersion;
      return out;
    }
    if (live.status === undefined) delete obj.status;
    else obj.status = clone(live.status);
    return obj;
  }

  private fieldSetOptions(type: ResourceType, subresource: string | undefined): FieldSetOptions {
    const scope: WriteScope = subresource === 'status' ? 'status' : 'main';
    return { resolver: listTypeResolver(type), mapType: mapTypeResolver(type), scope, statusSubresource: type.statusSubresource };
  }

  private admit(ctx: AdmissionContext): void {
    checkFinalizers(ctx);
    for (const h of this.hooks.get(storageKey(ctx.type)) ?? []) h.admit?.(ctx);
    if (ctx.type.schema) {
      applySchemaDefaults(ctx.object, ctx.type.schema);
      const causes: StatusCause[] = validateAgainstSchema(ctx.object, ctx.type.schema);
      if (causes.length > 0) throw ApiError.invalid(ctx.type.kind, ctx.type.group, ctx.object.metadata.name, causes);
    }
  }

  private finishCreate(
    type: ResourceType, obj: JsonObject, options: WriteOptions, warnings: string[], entries: ManagerEntry[] | undefined,
  ): ApiResult {
    this.checkName(type, obj.metadata.name);
    if (type.namespaced) this.ensureNamespaceWritable(type, obj.metadata.namespace, obj.metadata.name);
    for (const key of SYSTEM_METADATA) delete obj.metadata[key];
    if (type.statusSubresource) delete obj.status;
    normalizeForType(type, obj);
    this.admit({ type, operation: 'create', object: obj, warnings });
    const manager = options.fieldManager ?? defaultManager(options.userAgent);
    const owners = entries ?? updateOwnership([], undefined, obj, { manager, apiVersion: obj.apiVersion }, this.fieldSetOptions(type, undefined),
      type.crd ? { metadata: {} } : zeroObject(type.kind));
    const meta = obj.metadata;
    meta.uid = randomUUID();
    meta.creationTimestamp = nowRfc3339();
    if (type.generation) meta.generation = 1;
    setManagedFields(meta, owners);
    if (options.dryRun) return { code: 201, body: present(type, orderObject(obj)), warnings };
    meta.resourceVersion = String(this.store.nextResourceVersion());
    const stored = toStorage(type, orderObject(obj));
    this.store.put(storageKey(type), stored, 'ADDED');
    return { code: 201, body: present(type, stored), warnings };
  }

  /** Stores an update; the answer's body is a copy of the result, or empty when `answer` is false. */
  private commitUpdate(
    type: ResourceType, live: JsonObject, candidate: JsonObject, options: WriteOptions, warnings: string[],
    entries: ManagerEntry[] | undefined, answer = true,
  ): ApiResult {
    const meta = candidate.metadata;
    for (const key of SYSTEM_METADATA) {
      if (key === 'managedFields') continue;
      if (live.metadata[key] === undefined) delete meta[key];
      else meta[key] = live.metadata[key];
    }
    meta.name = live.metadata.name;
    if (type.namespaced) meta.namespace = live.metadata.namespace;
    normalizeForType(type, candidate);
    const old = present(type, live);
    this.admit({ type, operation: 'update', object: candidate, old, subresource: options.subresource, warnings });
    const manager = options.fieldManager ?? defaultManager(options.userAgent);
    const gv = groupVersion(type.group, type.version);
    const owners = entries ?? updateOwnership(readManagedFields(live), old, candidate,
      { manager, apiVersion: gv, subresource: options.subresource }, this.fieldSetOptions(type, options.subresource));
    setManagedFields(meta, owners);
    if (type.generation && specChanged(live, candidate)) meta.generation = (live.metadata.generation ?? 0) + 1;
    const ordered = orderObject(candidate);
    if (sameIgnoringTimes(live, ordered)) return { code: 200, body: answer ? present(type, live) : {}, warnings };
    if (options.dryRun) return { code: 200, body: present(type, ordered), warnings };
    ordered.metadata.resourceVersion = String(this.store.nextResourceVersion());
    const stored = toStorage(type, ordered);
    this.store.put(storageKey(type), stored, 'MODIFIED');
    if (stored.metadata.deletionTimestamp && !(stored.metadata.finalizers?.length > 0)) {
      this.remove(type, stored, undefined);
      // (the API server answers the object as it deleted it, at the resourceVersion it had)
      const gone = present(type, stored);
      gone.metadata.resourceVersion = live.metadata.resourceVersion;
      return { code: 200, body: answer ? gone : {}, warnings };
    }
    return { code: 200, body: answer ? present(type, stored) : {}, warnings };
  }

  /** Deletes, or marks for deletion when finalizers remain. Returns the removed object, or undefined when only marked. */
  private deleteObject(type: ResourceType, live: JsonObject, policy: string | undefined): JsonObject | undefined {
    const finalizers: string[] = Array.isArray(live.metadata.finalizers) ? [...live.metadata.finalizers] : [];
    if (policy === 'Orphan' && !finalizers.includes('orphan')) this.orphanDependents(live);
    if (finalizers.length > 0) {
      if (!live.metadata.deletionTimestamp) {
        const next = clone(live);
        next.metadata.deletionTimestamp = nowRfc3339();
        next.metadata.deletionGracePeriodSeconds = 0;
        // (as the API server does when it marks an object for deletion: a new generation for those that have one)
        if (typeof next.metadata.generation === 'number') next.metadata.generation += 1;
        next.metadata.resourceVersion = String(this.store.nextResourceVersion());
        this.store.put(storageKey(type), next, 'MODIFIED');
      }
      return undefined;
    }
    return this.remove(type, live, policy);
  }

  private remove(type: ResourceType, live: JsonObject, policy: string | undefined): JsonObject | undefined {
    const gone = this.store.remove(storageKey(type), live.metadata.namespace, live.metadata.name);
    if (!gone) return undefined;
    for (const h of this.hooks.get(storageKey(type)) ?? []) h.removed?.(type, gone);
    if (policy !== 'Orphan') this.collectDependents(live.metadata.uid);
    if (type.namespaced) this.finalizeNamespaceIfEmpty(live.metadata.namespace);
    return gone;
  }

  /** Background garbage collection: deletes objects whose ownerReferences name the removed object. */
  private collectDependents(uid: string): void {
    for (const { type, obj } of this.dependentsOf(uid)) {
      const current = this.raw(type, obj.metadata.namespace, obj.metadata.name);
      if (!current) continue;
      const remaining = (current.metadata.ownerReferences as JsonObject[]).filter((r) => r.uid !== uid);
      if (remaining.length > 0) {
        this.setOwnerReferences(type, current, remaining);
      } else {
        this.deleteObject(type, current, 'Background');
      }
    }
  }

  private orphanDependents(owner: JsonObject): void {
    for (const { type, obj } of this.dependentsOf(owner.metadata.uid)) {
      this.setOwnerReferences(type, obj, (obj.metadata.ownerReferences as JsonObject[]).filter((r) => r.uid !== owner.metadata.uid));
    }
  }

  private setOwnerReferences(type: ResourceType, obj: JsonObject, refs: JsonObject[]): void {
    const next = clone(obj);
    if (refs.length > 0) next.metadata.ownerReferences = refs;
    else delete next.metadata.ownerReferences;
    next.metadata.resourceVersion = String(this.store.nextResourceVersion());
    this.store.put(storageKey(type), next, 'MODIFIED');
  }

  private dependentsOf(uid: string): Array<{ type: ResourceType; obj: JsonObject }> {
    const out: Array<{ type: ResourceType; obj: JsonObject }> = [];
    for (const resource of this.store.resources()) {
      const [group, plural] = splitStorageKey(resource);
      const type = this.types.anyVersion(group, plural);
      if (!type) continue;
      for (const obj of this.store.list(resource)) {
        if (Array.isArray(obj.metadata.ownerReferences) && obj.metadata.ownerReferences.some((r: JsonObject) => r?.uid === uid)) {
          out.push({ type, obj });
        }
      }
    }
    return out;
  }

  /** Namespace deletion, first step: mark it Terminating (the namespace controller then empties and removes it). */
  private deleteNamespace(type: ResourceType, live: JsonObject): JsonObject {
    if (!live.metadata.deletionTimestamp) {
      const next = clone(live);
      next.metadata.deletionTimestamp = nowRfc3339();
      next.status = { ...(next.status ?? {}), phase: 'Terminating' };
      next.metadata.resourceVersion = String(this.store.nextResourceVersion());
      this.store.put(storageKey(type), next, 'MODIFIED');
    }
    return present(type, this.raw(type, undefined, live.metadata.name)!);
  }

  /**
   * Namespace deletion, second step (the namespace controller's job): deletes everything in a terminating namespace
   * (objects with finalizers wait for them) and removes the namespace once it is empty and has no finalizers.
   */
  public emptyTerminatingNamespace(name: string): void {
    const ns = this.store.get('/namespaces', undefined, name);
    if (!ns?.metadata.deletionTimestamp) return;
    for (const resource of this.store.resources()) {
      const [group, plural] = splitStorageKey(resource);
      const contentType = this.types.anyVersion(group, plural);
      if (!contentType?.namespaced) continue;
      for (const obj of this.store.list(resource, name)) {
        const current = this.raw(contentType, name, obj.metadata.name);
        if (current) this.deleteObject(contentType, current, 'Background');
      }
    }
    this.finalizeNamespaceIfEmpty(name);
  }

  private finalizeNamespaceIfEmpty(namespace: string | undefined): void {
    if (!namespace) return;
    const ns = this.store.get('/namespaces', undefined, namespace);
    if (!ns?.metadata.deletionTimestamp || ns.metadata.finalizers?.length > 0) return;
    const occupied = this.store.resources().some((resource) => {
      const [group, plural] = splitStorageKey(resource);
      return this.types.anyVersion(group, plural)?.namespaced && this.store.list(resource, namespace).length > 0;
    });
    if (!occupied) this.store.remove('/namespaces', undefined, namespace);
  }
}

/** Fields a body sets twice, by `fieldValidation`: Strict refuses the request, Warn (the default) warns. */
function checkDuplicates(type: ResourceType, options: WriteOptions, warnings: string[]): void {
  const duplicates = options.duplicateFields ?? [];
  if (duplicates.length === 0 || options.fieldValidation === 'Ignore') return;
  const fields = duplicates.map((f) => `duplicate field ${JSON.stringify(f)}`);
  if (options.fieldValidation === 'Strict') {
    throw ApiError.badRequest(`${type.kind} in version ${JSON.stringify(type.version)} cannot be handled as a ${type.kind}: strict decoding error: ${fields.join(', ')}`);
  }
  warnings.push(...fields);
}

/** Finalizers the API server knows without a domain. */
const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

/**
 * The API server's finalizer rules: a built-in kind's finalizers are standard or domain-qualified (`example.com/x`)
 * (a custom resource gets a warning), and an object marked for deletion takes no new finalizer (it may only lose some).
 */
function checkFinalizers(ctx: AdmissionContext): void {
  const finalizers: unknown[] = Array.isArray(ctx.object.metadata.finalizers) ? ctx.object.metadata.finalizers : [];
  const causes: StatusCause[] = [];
  finalizers.forEach((f, i) => {
    if (typeof f !== 'string' || STANDARD_FINALIZERS.has(f) || f.includes('/')) return;
    if (ctx.type.crd) {
      // (custom resources get a warning instead)
      ctx.warnings.push(`metadata.finalizers: ${JSON.stringify(f)}: prefer a domain-qualified finalizer name to avoid accidental conflicts with other finalizer writers`);
    } else {
      causes.push({ field: `metadata.finalizers[${i}]`, message: `Invalid value: ${JSON.stringify(f)}: name is neither a standard finalizer name nor is it fully qualified` });
    }
  });
  if (ctx.old?.metadata?.deletionTimestamp) {
    const before = new Set(Array.isArray(ctx.old.metadata.finalizers) ? ctx.old.metadata.finalizers : []);
    const added = finalizers.filter((f) => !before.has(f));
    if (added.length > 0) {
      const cause: StatusCause = {
        reason: 'FieldValueForbidden',
        field: 'metadata.finalizers',
        message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`,
      };
      // (the API server checks object metadata twice on an update, and reports this error from both checks)
      causes.push(cause, cause);
    }
  }
  if (causes.length > 0) throw ApiError.invalid(ctx.type.kind, ctx.type.group, ctx.object.metadata.name, causes);
}

/** Writes `metadata.managedFields`; none at all when no manager owns a field (as the API server stores it). */
function setManagedFields(meta: JsonObject, owners: ManagerEntry[]): void {
  const fields = writeManagedFields(owners);
  if (fields.length > 0) meta.managedFields = fields;
  else delete meta.managedFields;
}

/** Identity metadata of an object (name, namespace). */
function identity(obj: JsonObject): JsonObject {
  const out: JsonObject = { name: obj.metadata.name };
  if (obj.metadata.namespace !== undefined) out.namespace = obj.metadata.namespace;
  return out;
}

/** The field manager the API server derives from a User-Agent when none is given: the product name. */
export function defaultManager(userAgent: string | undefined): string {
  const product = (userAgent ?? '').split('/')[0].trim();
  return product.length > 0 ? product.slice(0, 128) : 'unknown';
}

/** Kind-specific normalization of an object about to be stored (a Secret's `stringData` merged into `data`). */
function normalizeForType(type: ResourceType, obj: JsonObject): void {
  if (type.group === '' && type.plural === 'secrets' && isPlainObject(obj.stringData)) {
    obj.data = { ...(isPlainObject(obj.data) ? obj.data : {}) };
    for (const [k, v] of Object.entries(obj.stringData)) obj.data[k] = Buffer.from(String(v), 'utf8').toString('base64');
    delete obj.stringData;
  }
}

function specChanged(a: JsonObject, b: JsonObject): boolean {
  const strip = (o: JsonObject) => {
    const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
    return rest;
  };
  return !deepEqual(strip(a), strip(b));
}

/** Whether storing `candidate` would change nothing but times (apiVersion, resourceVersion, managedFields times). */
function sameIgnoringTimes(live: JsonObject, candidate: JsonObject): boolean {
  // (shallow copies only: the objects can be large CRDs, and this runs on every update)
  const { apiVersion: _liveVersion, metadata: liveMeta, ...liveRest } = live;
  const { apiVersion: _candidateVersion, metadata: candidateMeta, ...candidateRest } = candidate;
  if (!deepEqual(liveRest, candidateRest)) return false;
  const { resourceVersion: _liveRv, managedFields: liveFields, ...liveOther } = liveMeta;
  const { resourceVersion: _candidateRv, managedFields: candidateFields, ...candidateOther } = candidateMeta;
  const untimed = (fields: unknown) => (Array.isArray(fields) ? fields : []).map(({ time: _time, ...entry }: JsonObject) => entry);
  return deepEqual(liveOther, candidateOther) && deepEqual(untimed(liveFields), untimed(candidateFields));
}

/** The object as served at the type's version (no conversion: versions of a CRD share one schema-less storage). */
export function present(type: ResourceType, obj: JsonObject): JsonObject {
  const out = clone(obj);
  out.apiVersion = groupVersion(type.group, type.version);
  out.kind = type.kind;
  return out;
}

function toStorage(type: ResourceType, obj: JsonObject): JsonObject {
  return { ...obj, apiVersion: groupVersion(type.group, type.storageVersion ?? type.version) };
}

/** apiVersion, kind, metadata first, then the rest in their order (how the API server serializes). */
function orderObject(obj: JsonObject): JsonObject {
  const { apiVersion, kind, metadata, ...rest } = obj;
  const meta: JsonObject = {};
  const order = ['name', 'generateName', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
    'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields'];
  for (const k of order) if (metadata[k] !== undefined) meta[k] = metadata[k];
  for (const k of Object.keys(metadata)) if (!(k in meta) && metadata[k] !== undefined) meta[k] = metadata[k];
  return { apiVersion, kind, metadata: meta, ...rest };
}

function itemKey(o: JsonObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;
}

function decodeContinue(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof parsed.k === 'string') return parsed.k;
  } catch {
    // fall through
  }
  throw ApiError.badRequest('continue key is not valid: illegal base64 data');
}

function splitStorageKey(key: string): [string, string] {
  const i = key.lastIndexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}
