import { Endpoint, mustRequest, request, sleep } from './http';

/**
 * The REST path of an object (`withName`: of the object itself, else of its collection). Plurals are the kind in
 * lower case plus `s`, which holds for every kind the launcher writes (Namespace, Secret, ServiceAccount, ClusterRole,
 * ClusterRoleBinding, CustomResourceDefinition, KubeFedConfig, KubeFedCluster, FederatedTypeConfig, Cluster).
 */
export function resourcePath(obj: any, withName = true): string {
  const apiVersion: string = obj.apiVersion;
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const ns = obj.metadata?.namespace ? `/namespaces/${obj.metadata.namespace}` : '';
  const collection = `${base}${ns}/${String(obj.kind).toLowerCase()}s`;
  return withName ? `${collection}/${obj.metadata.name}` : collection;
}

/** Server-side apply of `obj` (JSON as is: no client-side model drops fields) with `fieldManager`, forcing conflicts. */
export function applyObject(endpoint: Endpoint, obj: any, fieldManager: string): Promise<any> {
  const query = `?fieldManager=${encodeURIComponent(fieldManager)}&force=true`;
  return mustRequest(endpoint, 'PATCH', resourcePath(obj) + query, JSON.stringify(obj), 'application/apply-patch+yaml');
}

/** POST of `obj` to its collection (for `generateName`); returns the created object. */
export function createObject(endpoint: Endpoint, obj: any, fieldManager: string): Promise<any> {
  return mustRequest(endpoint, 'POST', `${resourcePath(obj, false)}?fieldManager=${encodeURIComponent(fieldManager)}`, JSON.stringify(obj));
}

/** GET of a path: the object, or undefined on 404. */
export async function getObject(endpoint: Endpoint, path: string): Promise<any | undefined> {
  const reply = await request(endpoint, 'GET', path);
  if (reply.status === 404) return undefined;
  if (reply.status !== 200) throw new Error(`GET ${endpoint.server}${path}: HTTP ${reply.status}: ${reply.body}`);
  return JSON.parse(reply.body);
}

/** Whether `obj.status.conditions` holds `type` with status True. */
export function conditionTrue(obj: any, type: string): boolean {
  return (obj?.status?.conditions ?? []).some((c: any) => c.type === type && c.status === 'True');
}

/**
 * Polls `fn` every `intervalMs` until it returns a value other than undefined; throws `describe()` after `timeoutMs`.
 * `check` runs before each attempt (e.g. to fail at once when a process exited).
 */
export async function poll<T>(fn: () => Promise<T | undefined>, timeoutMs: number, describe: () => string,
  check: () => Promise<void> = async () => undefined, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await check();
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(describe());
    await sleep(intervalMs);
  }
}

/** Applies CRDs and waits until every one is Established. */
export async function installCrds(endpoint: Endpoint, crds: any[], fieldManager: string, timeoutMs = 120_000): Promise<void> {
  await Promise.all(crds.map((crd) => applyObject(endpoint, crd, fieldManager)));
  await Promise.all(crds.map((crd) => poll(
    async () => (conditionTrue(await getObject(endpoint, resourcePath(crd)), 'Established') ? true : undefined),
    timeoutMs,
    () => `RealFleet: CRD ${crd.metadata.name} not Established on ${endpoint.server} in ${timeoutMs / 1000} s`,
  )));
}
