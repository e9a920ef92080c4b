import { defaultCrdSpec } from './defaults';
import { ApiError, StatusCause } from './errors';
import { isPlainObject, JsonObject, nowRfc3339 } from './json';
import { ObjectApi } from './object-api';
import { ResourceType } from './resource-types';
import { Scheduler } from './scheduler';
import { StoreEvent } from './store';

const CRD_RESOURCE = 'apiextensions.k8s.io/customresourcedefinitions';

/**
 * The apiextensions part of the API server: validates CustomResourceDefinitions, and after `establishDelayMs`
 * serves their kinds (discovery and paths, one type per served version) and sets the `NamesAccepted` and
 * `Established` conditions (the CRD is stored with `names.listKind`, `conversion.strategy: None` and an initial
 * status holding its storage version). Until then requests for the new kind get 404, as before a real CRD is established.
 * With `serveLagMs`, a new CRD's kind is served that long after it is Established (its requests and discovery get
 * 404 meanwhile), as on a real API server, whose CRD handler and discovery learn an Established CRD from an
 * informer a moment later (on an HA control plane, each instance on its own).
 * Deleting a CRD marks it Terminating (finalizer `customresourcecleanup.apiextensions.k8s.io`), deletes its objects
 * (waiting for their finalizers), then removes it, which stops serving the kind.
 */
export class CrdController {
  private unsubscribe?: () => void;

  constructor(
    private readonly api: ObjectApi,
    private readonly scheduler: Scheduler,
    private readonly establishDelayMs: number,
    private readonly serveLagMs = 0,
  ) {
    api.addHooks(CRD_RESOURCE, {
      admit: ({ object, old, operation }) => {
        if (isPlainObject(object.spec)) defaultCrdSpec(object.spec);
        validateCrd(object, old);
        // What the API server stores with a new CRD, before the apiextensions controllers set the conditions.
        if (operation === 'create') object.status = { conditions: null, acceptedNames: { plural: '', kind: '' }, storedVersions: storageVersions(object) };
      },
      markDeleted: (_type, crd) => markTerminating(crd),
      removed: (_type, crd) => this.removed(crd),
    });
  }

  /** Starts watching CRDs. */
  public start(): void {
    this.unsubscribe = this.api.store.subscribe((e) => this.onEvent(e));
  }

  /** Stops watching. */
  public stop(): void {
    this.unsubscribe?.();
  }

  /** Creates a CRD and establishes it at once (for pre-installed CRDs). */
  public install(crd: JsonObject, manager: string): void {
    const type = this.api.typeOf('apiextensions.k8s.io/v1', 'CustomResourceDefinition');
    this.api.create(type, undefined, crd, { fieldManager: manager });
    this.scheduler.cancel(`crd/${crd.metadata.name}`);
    this.establish(crd.metadata.name, 0);
  }

  private onEvent(e: StoreEvent): void {
    if (e.resource !== CRD_RESOURCE || e.type === 'DELETED') return;
    const name = e.object.metadata.name;
    if (e.object.metadata.deletionTimestamp && (e.object.metadata.finalizers ?? []).includes(CLEANUP_FINALIZER) && !this.scheduler.pending(`crd-cleanup/${name}`)) {
      this.scheduler.schedule(`crd-cleanup/${name}`, this.establishDelayMs, () => this.cleanup(name));
    }
    if (isEstablished(e.object)) {
      // (a kind whose serving lags its Established condition is served by its timer)
      if (!this.scheduler.pending(`serve/${name}`)) this.api.types.setCrdTypes(name, typesOf(e.object));
    } else if (!this.scheduler.pending(`crd/${name}`)) {
      this.scheduler.schedule(`crd/${name}`, this.establishDelayMs, () => this.establish(name));
    }
  }

  private establish(name: string, serveLagMs = this.serveLagMs): void {
    const type = this.api.typeOf('apiextensions.k8s.io/v1', 'CustomResourceDefinition');
    const crd = this.api.peek(type, undefined, name);
    if (!crd || crd.metadata.deletionTimestamp) return;
    if (serveLagMs > 0) {
      this.scheduler.schedule(`serve/${name}`, serveLagMs, () => this.serve(name));
    } else {
      this.api.types.setCrdTypes(name, typesOf(crd));
    }
    const now = nowRfc3339();
    const storage = (crd.spec.versions as JsonObject[]).find((v) => v.storage)?.name;
    const stored: string[] = Array.isArray(crd.status?.storedVersions) ? [...crd.status.storedVersions] : [];
    if (storage && !stored.includes(storage)) stored.push(storage);
    const names = crd.spec.names;
    this.api.writeStatus(type, undefined, name, {
      acceptedNames: {
        kind: names.kind,
        listKind: names.listKind ?? `${names.kind}List`,
        plural: names.plural,
        singular: names.singular ?? names.kind.toLowerCase(),
        ...(names.shortNames ? { shortNames: [...names.shortNames] } : {}),
        ...(names.categories ? { categories: [...names.categories] } : {}),
      },
      conditions: [
        { type: 'NamesAccepted', status: 'True', lastTransitionTime: now, reason: 'NoConflicts', message: 'no conflicts found' },
        { type: 'Established', status: 'True', lastTransitionTime: now, reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
      ],
      storedVersions: stored,
    }, 'kube-apiserver');
  }

  /** Serves the kinds of an Established CRD (after `serveLagMs`). */
  private serve(name: string): void {
    const crd = this.api.peek(this.api.typeOf('apiextensions.k8s.io/v1', 'CustomResourceDefinition'), undefined, name);
    if (crd && !crd.metadata.deletionTimestamp) this.api.types.setCrdTypes(name, typesOf(crd));
  }

  /** The finalizing controller: deletes the CRD's objects, then (once none is left) releases the CRD. */
  private cleanup(name: string): void {
    const crdType = this.api.typeOf('apiextensions.k8s.io/v1', 'CustomResourceDefinition');
    const crd = this.api.peek(crdType, undefined, name);
    if (!crd?.metadata.deletionTimestamp) return;
    const type = this.api.types.all().find((t) => t.crd === name);
    const left = type ? this.api.peekAll(type) : [];
    for (const obj of left) {
      if (!obj.metadata.deletionTimestamp) this.api.delete(type!, obj.metadata.namespace, obj.metadata.name);
    }
    if (type && this.api.peekAll(type).length > 0) {
      this.scheduler.schedule(`crd-cleanup/${name}`, this.establishDelayMs, () => this.cleanup(name));
      return;
    }
    const finalizers = (crd.metadata.finalizers as string[]).filter((f) => f !== CLEANUP_FINALIZER);
    this.api.mergePatch(crdType, undefined, name, { metadata: { finalizers } }, 'kube-apiserver');
  }

  private removed(crd: JsonObject): void {
    const name = crd.metadata.name;
    this.scheduler.cancel(`crd/${name}`);
    this.scheduler.cancel(`serve/${name}`);
    const served = this.api.types.all().filter((t) => t.crd === name);
    this.api.types.setCrdTypes(name, []);
    const any = served[0];
    if (!any) return;
    for (const obj of this.api.store.list(`${any.group}/${any.plural}`)) this.api.purge(any, obj);
  }
}

/** The finalizer with which the API server deletes a CRD's objects before the CRD itself. */
const CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

/** What a DELETE makes of a CRD: marked for deletion with the cleanup finalizer and the Terminating condition. */
function markTerminating(crd: JsonObject): JsonObject {
  crd.metadata.deletionTimestamp = nowRfc3339();
  crd.metadata.finalizers = [...(crd.metadata.finalizers ?? []), CLEANUP_FINALIZER];
  const conditions: JsonObject[] = Array.isArray(crd.status?.conditions) ? crd.status.conditions : [];
  crd.status = {
    ...(crd.status ?? {}),
    conditions: [...conditions, {
      type: 'Terminating',
      status: 'True',
      lastTransitionTime: nowRfc3339(),
      reason: 'InstanceDeletionPending',
      message: 'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon',
    }],
  };
  return crd;
}

function storageVersions(crd: JsonObject): string[] {
  const versions: JsonObject[] = Array.isArray(crd.spec?.versions) ? crd.spec.versions : [];
  return versions.filter((v) => v.storage === true).map((v) => String(v.name));
}

function isEstablished(crd: JsonObject): boolean {
  return Array.isArray(crd.status?.conditions)
    && crd.status.conditions.some((c: JsonObject) => c.type === 'Established' && c.status === 'True');
}

/** The types a CRD serves: one per served version. */
export function typesOf(crd: JsonObject): ResourceType[] {
  const spec = crd.spec;
  const names = spec.names;
  const storage = (spec.versions as JsonObject[]).find((v) => v.storage)?.name;
  return (spec.versions as JsonObject[]).filter((v) => v.served !== false).map((v) => ({
    group: spec.group,
    version: v.name,
    kind: names.kind,
    plural: names.plural,
    singular: names.singular ?? names.kind.toLowerCase(),
    listKind: names.listKind ?? `${names.kind}List`,
    namespaced: spec.scope === 'Namespaced',
    shortNames: [...(names.shortNames ?? [])],
    categories: [...(names.categories ?? [])],
    statusSubresource: isPlainObject(v.subresources?.status),
    generation: true,
    crd: crd.metadata.name,
    schema: v.schema?.openAPIV3Schema,
    storageVersion: storage,
  }));
}

function validateCrd(crd: JsonObject, old: JsonObject | undefined): void {
  const causes: StatusCause[] = [];
  const req = (field: string) => causes.push({ reason: 'FieldValueRequired', field, message: 'Required value' });
  const spec = isPlainObject(crd.spec) ? crd.spec : {};
  const names = isPlainObject(spec.names) ? spec.names : {};
  if (!spec.group) {
    req('spec.group');
  } else if (!String(spec.group).includes('.')) {
    causes.push({ field: 'spec.group', message: `Invalid value: ${JSON.stringify(spec.group)}: should be a domain with at least one dot` });
  }
  if (!names.plural) {
    req('spec.names.plural');
  } else if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(names.plural)) {
    causes.push({
      field: 'spec.names.plural',
      message: `Invalid value: ${JSON.stringify(names.plural)}: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'`,
    });
  }
  if (!names.kind) req('spec.names.kind');
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') {
    causes.push({ reason: 'FieldValueNotSupported', field: 'spec.scope', message: `Unsupported value: ${JSON.stringify(spec.scope ?? '')}: supported values: "Cluster", "Namespaced"` });
  }
  if (names.plural && spec.group && crd.metadata.name !== `${names.plural}.${spec.group}`) {
    causes.push({ field: 'metadata.name', message: `Invalid value: ${JSON.stringify(crd.metadata.name)}: must be spec.names.plural+"."+spec.group` });
  }
  const versions: JsonObject[] = Array.isArray(spec.versions) ? spec.versions : [];
  if (versions.length === 0) req('spec.versions');
  if (versions.length > 0 && versions.filter((v) => v.storage === true).length !== 1) {
    causes.push({ field: 'spec.versions', message: 'Invalid value: must have exactly one version marked as storage version' });
  }
  versions.forEach((v, i) => {
    if (!v.name) req(`spec.versions[${i}].name`);
    if (!isPlainObject(v.schema?.openAPIV3Schema)) {
      causes.push({ reason: 'FieldValueRequired', field: `spec.versions[${i}].schema.openAPIV3Schema`, message: 'Required value: schemas are required' });
    }
  });
  if (old && old.spec?.scope !== spec.scope) {
    causes.push({ field: 'spec.scope', message: `Invalid value: ${JSON.stringify(spec.scope)}: field is immutable` });
  }
  if (causes.length > 0) throw ApiError.invalid('CustomResourceDefinition', 'apiextensions.k8s.io', crd.metadata.name, causes);
}
