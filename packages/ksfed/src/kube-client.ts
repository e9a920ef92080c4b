import * as http from 'http';
import * as https from 'https';
import { HttpMethod, KubeConfig, KubernetesObjectApi, Observable, PatchStrategy, RequestContext, ResponseContext } from '@kubernetes/client-node';
import { BUILTIN_KINDS } from 'cdk8s-kubesphere-federation/lib/contract/kinds';
import { AbortedError, KubeApiError, UsageError } from './errors';
import { Limiter, PriorityLimiter } from './limiter';
import { Clock, DEFAULT_RETRY_POLICY, Random, REAL_CLOCK, RetryPolicy, withRetry } from './retry';

/** The field manager of every server-side apply. */
export const FIELD_MANAGER = 'ksfed';

/**
 * The priority of reads (waits, lookups, values other clusters need): they go before queued applies, because
 * something already waits for each of them. Applies are queued with the priority the scheduler gives them
 * (how much work waits for them), always below this.
 */
export const READ_PRIORITY = 1_000_000;

/** Per-request options: retries and the place in the cluster's queue. */
export interface RequestOptions {
  /** `1` sends the request once (no retry). */
  readonly attempts?: number;
  /** Higher goes first when the cluster's requests queue (default READ_PRIORITY). */
  readonly priority?: number;
}

/** Names an object. */
export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

/**
 * What the engine needs from a cluster's API. Objects are plain JSON in the API's own spelling (the wire form),
 * sent and returned as they are. Errors are KubeApiErrors; a kind the server does not serve (yet) is a
 * KubeApiError with reason `NotServed`.
 */
export interface KubeClient {
  /** The cluster's name in the federation. */
  readonly cluster: string;
  /** Server-side apply with the client's field manager (default `ksfed`); `created` tells a 201 from a 200. */
  apply(obj: any, options?: { dryRun?: boolean; force?: boolean; priority?: number }): Promise<{ object: any; created: boolean }>;
  /** The object, or undefined when it does not exist. */
  get(ref: ObjectRef, options?: RequestOptions): Promise<any | undefined>;
  /** Whether a kind is namespaced; undefined when the server does not serve it. */
  namespaced(apiVersion: string, kind: string, options?: RequestOptions): Promise<boolean | undefined>;
  /** Every object of a kind (in a namespace, or cluster-wide), optionally filtered by a label selector. */
  list(
    apiVersion: string, kind: string, options?: { namespace?: string; labelSelector?: string; priority?: number; attempts?: number },
  ): Promise<any[]>;
  /** Deletes the object; false when it was already gone. */
  delete(ref: ObjectRef, options?: { dryRun?: boolean }): Promise<boolean>;
  /**
   * Every namespaced kind the server serves that can be listed, in each group's preferred version (discovery:
   * `/api/v1`, `/apis` and one request per group). Rejects when a group's discovery fails.
   */
  namespacedKinds(): Promise<{ apiVersion: string; kind: string }[]>;
  /**
   * Records the kinds a CustomResourceDefinition serves (its served versions, plural and scope), once it is
   * Established with the names it asks for: requests for them then need no discovery request first.
   */
  learnKinds(crd: any): void;
  /**
   * Whether the server's discovery lists the kind now: asks with a discovery request of its group version sent after
   * this call (calls made while one is out share the next one, sent with the options of the first); the answer
   * is kept for later requests.
   */
  served(apiVersion: string, kind: string, options?: RequestOptions): Promise<boolean>;
  /** The server's `/version` (`major`, `minor`, `gitVersion`...). */
  serverVersion(options?: RequestOptions): Promise<{ major?: string; minor?: string; gitVersion?: string }>;
  /**
   * Optional: watches a kind over the whole cluster, narrowed by `labelSelector`. `onEvent` gets every matching
   * object first (as `ADDED`), then each change as the server reports it. Resolves when `signal` aborts or the server
   * ends the watch; rejects with a KubeApiError when it cannot start (a kind not served yet is `NotServed`) or breaks.
   * It holds a connection of its own while it lasts, outside the request limiters.
   */
  watch?(
    apiVersion: string, kind: string, options: { labelSelector?: string }, onEvent: (event: WatchEvent) => void, signal: AbortSignal,
  ): Promise<void>;
}

/** A change a watch reports: the object as it is after it. */
export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: any;
}

/** Options of a client-node backed KubeClient. */
export interface KubeClientOptions {
  readonly cluster: string;
  /** The loaded kubeconfig. */
  readonly kubeConfig: KubeConfig;
  /** The context to use. */
  readonly context: string;
  readonly retry?: RetryPolicy;
  readonly clock?: Clock;
  readonly random?: Random;
  /** Aborting stops between requests (a request in flight completes). */
  readonly signal?: AbortSignal;
  /** Bounds requests in flight over all clusters. */
  readonly globalLimiter?: Limiter;
  /** Bounds requests in flight to this cluster (a PriorityLimiter serves them by priority). */
  readonly clusterLimiter?: Limiter | PriorityLimiter;
  /** Timeout of one HTTP request. */
  readonly requestTimeoutMs?: number;
  /** No retry starts after this epoch ms. */
  readonly deadline?: number;
  /** Called before each retry (for progress output). */
  readonly onRetry?: (e: KubeApiError, retry: number, delayMs: number) => void;
  /** The field manager of server-side applies (default FIELD_MANAGER). */
  readonly fieldManager?: string;
}

/** The kubeconfig reduced to one current context, sharing the clusters and users of `kc`. */
export function withContext(kc: KubeConfig, context: string): KubeConfig {
  if (!kc.getContextObject(context)) throw new UsageError(`no context "${context}" in the kubeconfig`);
  const out = new KubeConfig();
  out.loadFromOptions({ clusters: kc.clusters, users: kc.users, contexts: kc.contexts, currentContext: context });
  return out;
}

/**
 * A KubeClient over client-node's `KubernetesObjectApi`: `patch(obj, undefined, dryRun ? 'All' : undefined,
 * 'ksfed', force, PatchStrategy.ServerSideApply)`, `read`, `list`, `delete`, with its discovery cache (a kind
 * missing from the cache is looked up again, so kinds become usable once their CRD is served). Every request
 * is bounded by the limiters, timed out, and retried on 429/5xx/resets/timeouts.
 */
export class ClientNodeKubeClient implements KubeClient {
  public readonly cluster: string;
  private readonly api: ObjectApi;
  private readonly options: KubeClientOptions;
  /** The keep-alive agent of this cluster and the TLS options it was made with. */
  private agent?: { fingerprint: string; agent: http.Agent };
  /** Discovery requests for `served`, per apiVersion: the one out, and the one every later call waits for. */
  private readonly rounds = new Map<string, { out?: Promise<unknown>; next?: Promise<unknown> }>();

  constructor(options: KubeClientOptions) {
    this.cluster = options.cluster;
    this.options = options;
    // Every request is timed out by the HTTP library (see NodeHttpLibrary): a hung connection fails (and is
    // retried) instead of hanging.
    this.api = ObjectApi.create(withContext(options.kubeConfig, options.context), options.requestTimeoutMs ?? 30_000);
    // client-node makes a new Agent for every request, so each one would open a new connection (and, over TLS,
    // do a new handshake); one keep-alive agent per cluster, made with the same options, reuses connections.
    this.api.addMiddleware({
      pre: (ctx: any) => {
        const agent = this.keepAlive(ctx.getAgent());
        if (agent) ctx.setAgent(agent);
        return new Observable(Promise.resolve(ctx));
      },
      post: (rsp: any) => new Observable(Promise.resolve(rsp)),
    });
  }

  /** Frees the kept-alive connections. */
  public close(): void {
    this.agent?.agent.destroy();
    this.agent = undefined;
  }

  /**
   * The keep-alive agent to use instead of `made` (a fresh plain HTTP(S) agent client-node made for one
   * request), or undefined to keep `made` (proxy agents). A new one is made when the TLS options change (a
   * rotated client certificate).
   */
  private keepAlive(made: unknown): http.Agent | undefined {
    if (!(made instanceof http.Agent) || (made.constructor !== http.Agent && made.constructor !== https.Agent)) return undefined;
    const options: { [key: string]: unknown } = { ...(made as any).options };
    const fingerprint = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername']
      .map(k => String(options[k] ?? '')).join('\u0000') + (made instanceof https.Agent ? 'https' : 'http');
    if (this.agent?.fingerprint !== fingerprint) {
      this.agent?.agent.destroy();
      const Agent = made instanceof https.Agent ? https.Agent : http.Agent;
      this.agent = { fingerprint, agent: new Agent({ ...options, keepAlive: true }) };
    }
    return this.agent.agent;
  }

  public async apply(obj: any, options: { dryRun?: boolean; force?: boolean; priority?: number } = {}): Promise<{ object: any; created: boolean }> {
    const fieldManager = this.options.fieldManager ?? FIELD_MANAGER;
    const object = await this.call(() => this.api.apply(obj, options.dryRun ?? false, options.force ?? false, fieldManager),
      { priority: options.priority }, kindOf(obj));
    return { object, created: object?.[HTTP_STATUS] === 201 };
  }

  public async get(ref: ObjectRef, options: RequestOptions = {}): Promise<any | undefined> {
    try {
      return await this.call(() => this.api.read(header(ref)), options, kindOf(ref));
    } catch (e) {
      if (e instanceof KubeApiError && e.code === 404 && !e.notServed) return undefined;
      throw e;
    }
  }

  public async namespaced(apiVersion: string, kind: string, options: RequestOptions = {}): Promise<boolean | undefined> {
    try {
      const resource = await this.call(() => this.api.resourceOf(apiVersion, kind), options);
      return resource ? resource.namespaced : undefined;
    } catch (e) {
      if (e instanceof KubeApiError && e.code === 404) return undefined;
      throw e;
    }
  }

  public async list(
    apiVersion: string, kind: string, options: { namespace?: string; labelSelector?: string; priority?: number; attempts?: number } = {},
  ): Promise<any[]> {
    const items: any[] = [];
    let token: string | undefined;
    do {
      const page: any = await this.call(() => this.api.list(apiVersion, kind, options.namespace,
        undefined, undefined, undefined, undefined, options.labelSelector, 500, token),
      { priority: options.priority, attempts: options.attempts }, kindOf({ apiVersion, kind }));
      items.push(...(page?.items ?? []));
      token = page?.metadata?._continue ?? page?.metadata?.continue ?? undefined;
    } while (token);
    // List items carry no apiVersion/kind on the wire; restore them so they can be named and deleted.
    return items.map(i => ({ ...i, apiVersion: i.apiVersion ?? apiVersion, kind: i.kind ?? kind }));
  }

  public async delete(ref: ObjectRef, options: { dryRun?: boolean } = {}): Promise<boolean> {
    try {
      await this.call(() => this.api.delete(header(ref),
        undefined, options.dryRun ? 'All' : undefined, undefined, undefined, 'Background'), {}, kindOf(ref));
      return true;
    } catch (e) {
      if (e instanceof KubeApiError && e.code === 404 && !e.notServed) return false;
      throw e;
    }
  }

  /**
   * A JSON merge patch (RFC 7386) of an existing object with field manager `fieldManager`: unlike a server-side
   * apply, it can remove fields other managers own (a label, an ownerReference). Resolves with the object after it.
   */
  public async mergePatch(ref: ObjectRef, patch: any, options: { fieldManager: string; dryRun?: boolean }): Promise<any> {
    return this.call(() => this.api.mergePatch(header(ref), patch, options.fieldManager, options.dryRun ?? false), {}, kindOf(ref));
  }

  public learnKinds(crd: any): void {
    this.api.learnKinds(crd);
  }

  public async namespacedKinds(): Promise<{ apiVersion: string; kind: string }[]> {
    const groups: any = await this.call(() => this.api.getJson('/apis'));
    const versions = ['v1', ...(Array.isArray(groups?.groups) ? groups.groups : [])
      .map((g: any) => g?.preferredVersion?.groupVersion ?? g?.versions?.[0]?.groupVersion)
      .filter((v: unknown): v is string => typeof v === 'string')];
    const lists = await Promise.all(versions.map(async v => {
      try {
        return await this.call(() => this.api.getJson(v === 'v1' ? '/api/v1' : `/apis/${v}`)) as any;
      } catch (e) {
        throw e instanceof KubeApiError ? new KubeApiError(e.code, e.reason, `discovery of ${v}: ${e.message}`) : e;
      }
    }));
    const out: { apiVersion: string; kind: string }[] = [];
    lists.forEach((list, i) => {
      this.api.remember(versions[i], list);
      for (const r of Array.isArray(list?.resources) ? list.resources : []) {
        if (r?.namespaced !== true || typeof r.name !== 'string' || r.name.includes('/') || !Array.isArray(r.verbs) || !r.verbs.includes('list')) continue;
        out.push({ apiVersion: versions[i], kind: r.kind });
      }
    });
    return out;
  }

  public served(apiVersion: string, kind: string, options: RequestOptions = {}): Promise<boolean> {
    let round = this.rounds.get(apiVersion);
    if (!round) this.rounds.set(apiVersion, round = {});
    const r = round;
    if (!r.next) {
      // The next request goes out once the one out (sent before this call, so maybe before the kind was served) is
      // answered; every call until then shares it.
      r.next = (r.out ?? Promise.resolve()).catch(() => undefined).then(() => {
        r.next = undefined;
        const out = this.call(() => this.api.discover(apiVersion), options);
        r.out = out;
        out.catch(() => undefined).finally(() => {
          if (r.out === out) r.out = undefined;
        });
        return out;
      });
    }
    return r.next.then(() => this.api.knows(apiVersion, kind));
  }

  public async serverVersion(options: RequestOptions = {}): Promise<{ major?: string; minor?: string; gitVersion?: string }> {
    const v: any = await this.call(() => this.api.getJson('/version'), options);
    return v && typeof v === 'object' ? v : {};
  }

  public async watch(
    apiVersion: string, kind: string, options: { labelSelector?: string }, onEvent: (event: WatchEvent) => void, signal: AbortSignal,
  ): Promise<void> {
    if (signal.aborted) return;
    const what = kindOf({ apiVersion, kind });
    try {
      const resource = await this.call(() => this.api.resourceOf(apiVersion, kind), {}, what) as { name?: string } | undefined;
      if (!resource?.name) throw new KubeApiError(404, 'NotServed', `the server does not serve ${what} (yet)`);
      await this.api.watchLines(`${this.api.pathOf(apiVersion)}/${resource.name}`, options.labelSelector, signal, line => {
        const event = JSON.parse(line);
        if (event?.type === 'ERROR') throw toKubeApiError({ code: Number(event.object?.code) || 500, body: event.object, message: 'watch' }, what);
        if (['ADDED', 'MODIFIED', 'DELETED'].includes(event?.type) && event.object) {
          const object = { ...event.object, apiVersion: event.object.apiVersion ?? apiVersion, kind: event.object.kind ?? kind };
          onEvent({ type: event.type, object });
        }
      });
    } catch (e) {
      if (signal.aborted) return;
      throw toKubeApiError(e, what);
    }
  }

  private call<T>(fn: () => Promise<T>, request: RequestOptions = {}, what?: string): Promise<T> {
    const o = this.options;
    const policy = o.retry ?? DEFAULT_RETRY_POLICY;
    const priority = request.priority ?? READ_PRIORITY;
    const limiter = o.clusterLimiter;
    const once = async (): Promise<T> => {
      // Queued requests check for an abort once they get their slot: after Ctrl-C nothing new is sent.
      const send = () => {
        if (o.signal?.aborted) return Promise.reject(new AbortedError());
        return fn().catch(e => {
          throw toKubeApiError(e, what);
        });
      };
      // A cluster slot first, then an overall one: a request queued behind its own cluster holds no overall slot.
      const run = o.globalLimiter ? () => o.globalLimiter!.run(send) : send;
      return limiter instanceof PriorityLimiter ? limiter.run(priority, run) : limiter ? limiter.run(run) : run();
    };
    return withRetry(once, {
      policy: request.attempts ? { ...policy, maxAttempts: request.attempts } : policy,
      clock: o.clock ?? REAL_CLOCK,
      random: o.random ?? Math.random,
      signal: o.signal,
      deadline: o.deadline,
      onRetry: o.onRetry,
    });
  }
}

/** `apiVersion/kind` of an object or reference, for messages. */
function kindOf(o: { apiVersion?: string; kind?: string }): string {
  return `${o.apiVersion}/${o.kind}`;
}

/** The object header client-node's read/delete take. */
function header(ref: ObjectRef): { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } {
  return { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) } };
}

/** The oldest Kubernetes minor release KubeSphere v3.4 supports (1.19). */
const OLDEST_SUPPORTED_MINOR = 19;

/**
 * The REST names of built-in kinds (kind, resource, namespaced) whose apiVersion every Kubernetes release
 * KubeSphere v3.4 supports (1.19 and later) serves, from the table of kinds (src/contract/kinds.ts): knowing them
 * saves the discovery request per group version that client-node would otherwise send before the first request of
 * each.
 */
export const BUILT_IN_RESOURCES: { readonly [groupVersion: string]: ReadonlyArray<readonly [string, string, boolean]> } = (() => {
  const byGroupVersion: { [groupVersion: string]: [string, string, boolean][] } = {};
  for (const k of BUILTIN_KINDS.filter(x => x.servedSince <= OLDEST_SUPPORTED_MINOR)) {
    const groupVersion = k.group ? `${k.group}/${k.version}` : k.version;
    (byGroupVersion[groupVersion] ??= []).push([k.kind, k.plural, k.namespaced]);
  }
  return byGroupVersion;
})();

const RESOURCE_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** The HTTP status of the response an object came in (a non-enumerable property of answers). */
const HTTP_STATUS = Symbol('ksfed.httpStatus');

/**
 * client-node's object API, with its discovery lookup and middleware list reachable, and the wire form kept as
 * it is both ways: objects are sent as given (client-node's typed serializer would drop fields its model does not
 * know, and costs time for nothing here) and answers are parsed JSON, not typed models.
 */
class ObjectApi extends KubernetesObjectApi {
  public static create(kc: KubeConfig, timeoutMs: number): ObjectApi {
    const api = kc.makeApiClient(ObjectApi);
    api.setDefaultNamespace(kc);
    (api.configuration as unknown as { httpApi: NodeHttpLibrary }).httpApi = new NodeHttpLibrary(timeoutMs);
    // Built-in kinds are known without discovery (see BUILT_IN_RESOURCES): the first request of a run (reading
    // the ApplySet parent) and the first apply of each such kind go out at once. A kind missing from an entry is
    // looked up, which replaces the entry with the server's full list.
    const cache = (api as unknown as { apiVersionResourceCache: { [v: string]: unknown } }).apiVersionResourceCache;
    for (const [groupVersion, resources] of Object.entries(BUILT_IN_RESOURCES)) {
      cache[groupVersion] = {
        groupVersion,
        resources: resources.map(([kind, name, namespaced]) => ({ kind, name, namespaced, singularName: kind.toLowerCase(), verbs: RESOURCE_VERBS })),
      };
    }
    return api;
  }

  /** Discovery lookups in flight, by apiVersion: concurrent misses share one request. */
  private readonly discovering = new Map<string, Promise<unknown>>();

  /** Adds a CRD's served kinds to the discovery cache (see KubeClient.learnKinds). */
  public learnKinds(crd: any): void {
    const spec = crd?.spec ?? {};
    const names = spec.names ?? {};
    if (typeof spec.group !== 'string' || typeof names.kind !== 'string' || typeof names.plural !== 'string' || !Array.isArray(spec.versions)) return;
    type Cache = { [v: string]: { groupVersion: string; resources: any[] } };
    const cache = (this as unknown as { apiVersionResourceCache: Cache }).apiVersionResourceCache;
    for (const v of spec.versions) {
      if (v?.served !== true || typeof v.name !== 'string') continue;
      const groupVersion = `${spec.group}/${v.name}`;
      const entry = cache[groupVersion] ?? (cache[groupVersion] = { groupVersion, resources: [] });
      entry.resources = [
        ...entry.resources.filter(r => r.kind !== names.kind),
        { kind: names.kind, name: names.plural, singularName: names.singular ?? names.kind.toLowerCase(), namespaced: spec.scope === 'Namespaced', verbs: RESOURCE_VERBS },
      ];
    }
  }

  /**
   * Asks the server which resources `apiVersion` serves now (undefined: none, 404) and keeps the answer, as a lookup
   * on a miss does; lookups of a kind missing from the cache meanwhile share it.
   */
  public discover(apiVersion: string): Promise<unknown[] | undefined> {
    const asked = this.askDiscovery(apiVersion);
    this.discovering.set(apiVersion, asked);
    asked.catch(() => undefined).finally(() => {
      if (this.discovering.get(apiVersion) === asked) this.discovering.delete(apiVersion);
    });
    return asked;
  }

  private async askDiscovery(apiVersion: string): Promise<unknown[] | undefined> {
    const request = this.configuration.baseServer.makeRequestContext(this.apiVersionPath(apiVersion), HttpMethod.GET);
    request.setHeaderParam('Accept', 'application/json, */*;q=0.8');
    const cache = (this as unknown as { apiVersionResourceCache: { [v: string]: unknown } }).apiVersionResourceCache;
    let list: any;
    try {
      list = await this.requestPromise(request);
    } catch (e) {
      if ((e as { code?: unknown })?.code !== 404) throw e;
      delete cache[apiVersion];
      return undefined;
    }
    const resources: unknown[] = Array.isArray(list?.resources) ? list.resources : [];
    cache[apiVersion] = { ...list, resources };
    return resources;
  }

  /** Whether the kept discovery answer of `apiVersion` lists the kind. */
  public knows(apiVersion: string, kind: string): boolean {
    const cache = (this as unknown as { apiVersionResourceCache: { [v: string]: { resources: { kind: string }[] } } }).apiVersionResourceCache;
    return cache[apiVersion]?.resources.some(r => r.kind === kind) ?? false;
  }

  /** The discovery entry of a kind (cached; looked up again on a miss). */
  public resourceOf(apiVersion: string, kind: string): Promise<{ namespaced: boolean } | undefined> {
    return this.resource(apiVersion, kind);
  }

  /**
   * client-node's lookup, with concurrent misses of one apiVersion sharing one discovery request (without this,
   * every object of a new group applied in parallel fetches the group's discovery document itself).
   */
  public async resource(apiVersion: string, kind: string, options?: any): Promise<any> {
    const cache = (this as unknown as { apiVersionResourceCache: { [v: string]: { resources: { kind: string }[] } } }).apiVersionResourceCache;
    const hit = cache[apiVersion]?.resources.find(r => r.kind === kind);
    if (hit) return hit;
    let pending = this.discovering.get(apiVersion);
    if (!pending) {
      pending = super.resource(apiVersion, kind, options).finally(() => this.discovering.delete(apiVersion));
      this.discovering.set(apiVersion, pending);
      return pending;
    }
    await pending;
    // The shared lookup may have been sent before this kind was served: ask once more on a miss.
    return cache[apiVersion]?.resources.find(r => r.kind === kind) ?? super.resource(apiVersion, kind, options);
  }

  /**
   * Server-side apply of a wire-form object: what `patch(obj, undefined, dryRun, fieldManager, force,
   * PatchStrategy.ServerSideApply)` sends, with the body serialized as given.
   */
  public async apply(obj: any, dryRun: boolean, force: boolean, fieldManager: string): Promise<any> {
    const request = this.configuration.baseServer.makeRequestContext(await this.specUriPath(obj, 'patch'), HttpMethod.PATCH);
    request.setHeaderParam('Accept', 'application/json, */*;q=0.8');
    request.setHeaderParam('Content-Type', PatchStrategy.ServerSideApply);
    if (dryRun) request.setQueryParam('dryRun', 'All');
    request.setQueryParam('fieldManager', fieldManager);
    request.setQueryParam('force', String(force));
    request.setBody(JSON.stringify(obj));
    return this.requestPromise(request);
  }

  /** A JSON merge patch of the object `target` names, with the body as given. */
  public async mergePatch(target: any, patch: any, fieldManager: string, dryRun: boolean): Promise<any> {
    const request = this.configuration.baseServer.makeRequestContext(await this.specUriPath(target, 'patch'), HttpMethod.PATCH);
    request.setHeaderParam('Accept', 'application/json, */*;q=0.8');
    request.setHeaderParam('Content-Type', PatchStrategy.MergePatch);
    if (dryRun) request.setQueryParam('dryRun', 'All');
    request.setQueryParam('fieldManager', fieldManager);
    request.setBody(JSON.stringify(patch));
    return this.requestPromise(request);
  }

  /** Successful answers as parsed JSON (with the HTTP status attached); errors as client-node reports them. */
  protected async processResponse(response: ResponseContext, type?: string): Promise<any> {
    if (response.httpStatusCode < 200 || response.httpStatusCode > 299) return super.processResponse(response, type);
    const text = await response.body.text();
    const data = text.length > 0 ? JSON.parse(text) : undefined;
    if (data && typeof data === 'object') Object.defineProperty(data, HTTP_STATUS, { value: response.httpStatusCode });
    return data;
  }

  /** Keeps a group version's discovery document (as a lookup that missed would): lists of its kinds need none. */
  public remember(groupVersion: string, list: any): void {
    if (!Array.isArray(list?.resources)) return;
    (this as unknown as { apiVersionResourceCache: { [v: string]: unknown } }).apiVersionResourceCache[groupVersion] = list;
  }

  /** The path of an apiVersion's resources (`/api/v1`, `/apis/<group>/<version>`). */
  public pathOf(apiVersion: string): string {
    return this.apiVersionPath(apiVersion);
  }

  /**
   * A watch of a collection (`?watch=true`, narrowed by a label selector), sent as every request is (authentication,
   * the middleware: the kept-alive agent): `onLine` gets each line of the stream until `signal` aborts or the server
   * ends it. A non-200 answer is thrown as client-node reports one (code, body, headers).
   */
  public async watchLines(path: string, labelSelector: string | undefined, signal: AbortSignal, onLine: (line: string) => void): Promise<void> {
    let request = this.configuration.baseServer.makeRequestContext(path, HttpMethod.GET);
    request.setHeaderParam('Accept', 'application/json');
    request.setQueryParam('watch', 'true');
    if (labelSelector) request.setQueryParam('labelSelector', labelSelector);
    type Auth = { applySecurityAuthentication?: (r: RequestContext) => Promise<void> } | undefined;
    const auth = this.configuration.authMethods as { [name: string]: Auth };
    await auth.BearerToken?.applySecurityAuthentication?.(request);
    await auth.default?.applySecurityAuthentication?.(request);
    for (const middleware of (this.configuration as unknown as { middleware: { pre(r: RequestContext): Observable<RequestContext> }[] }).middleware) {
      request = await middleware.pre(request).toPromise();
    }
    await (this.configuration as unknown as { httpApi: NodeHttpLibrary }).httpApi.stream(request, signal, onLine);
  }

  /** GET of a path of the API server (discovery), as parsed JSON. */
  public async getJson(path: string): Promise<any> {
    const request = this.configuration.baseServer.makeRequestContext(path, HttpMethod.GET);
    request.setHeaderParam('Accept', 'application/json');
    return this.requestPromise(request);
  }

  public addMiddleware(middleware: unknown): void {
    (this.configuration as unknown as { middleware: unknown[] }).middleware.push(middleware);
  }
}

/**
 * client-node's HTTP library, with Node's own http/https in place of node-fetch: the same request (URL, headers and
 * auth from client-node, the agent the middleware set), about a sixth less CPU per request. It follows no
 * redirects and asks for no compression (an API server needs neither). A request not answered in full within
 * `timeoutMs` is destroyed with a `TimeoutError` (a plain timer: an abort signal per request costs more).
 */
class NodeHttpLibrary {
  constructor(private readonly timeoutMs: number) {}

  public send(request: RequestContext): Observable<ResponseContext> {
    return new Observable(new Promise<ResponseContext>((resolve, reject) => {
      const url = new URL(request.getUrl());
      const body = request.getBody() as string | undefined;
      const headers: { [k: string]: string | number } = { ...request.getHeaders() };
      if (body !== undefined) headers['Content-Length'] = Buffer.byteLength(body);
      if (!Object.keys(headers).some(k => k.toLowerCase() === 'user-agent')) headers['User-Agent'] = FIELD_MANAGER;
      const fail = (e: Error) => {
        clearTimeout(timer);
        reject(e);
      };
      const req = (url.protocol === 'https:' ? https : http).request(url, {
        method: request.getHttpMethod().toString(),
        headers,
        agent: request.getAgent() as http.Agent | undefined,
        signal: request.getSignal() as AbortSignal | undefined,
      }, res => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', fail);
        res.on('end', () => {
          clearTimeout(timer);
          const data = Buffer.concat(chunks);
          const h: { [k: string]: string } = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h[k] = Array.isArray(v) ? v.join(', ') : v;
          resolve(new ResponseContext(res.statusCode ?? 0, h, { text: async () => data.toString('utf8'), binary: async () => data }));
        });
      });
      const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${this.timeoutMs} ms`), { name: 'TimeoutError' })), this.timeoutMs);
      req.on('error', fail);
      req.end(body);
    }));
  }

  /**
   * A GET whose answer is a stream of lines (a watch): `onLine` gets each one as it arrives; resolves when the
   * server ends the stream or `signal` aborts. The answer's headers must come within `timeoutMs` (the stream itself
   * may last). A non-200 answer rejects as client-node reports one: `{ code, body, headers }`. An `onLine` that
   * throws ends the stream with that error.
   */
  public stream(request: RequestContext, signal: AbortSignal, onLine: (line: string) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const url = new URL(request.getUrl());
      const headers: { [k: string]: string | number } = { ...request.getHeaders() };
      if (!Object.keys(headers).some(k => k.toLowerCase() === 'user-agent')) headers['User-Agent'] = FIELD_MANAGER;
      let settled = false;
      const end = (e?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', abort);
        if (e === undefined || signal.aborted) resolve();
        else reject(e);
      };
      const req = (url.protocol === 'https:' ? https : http).request(url, {
        method: 'GET', headers, agent: request.getAgent() as http.Agent | undefined,
      }, res => {
        clearTimeout(timer);
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          buffer += chunk;
          if (res.statusCode !== 200) return;
          for (let i = buffer.indexOf('\n'); i >= 0 && !settled; i = buffer.indexOf('\n')) {
            const line = buffer.slice(0, i).trim();
            buffer = buffer.slice(i + 1);
            if (line.length === 0) continue;
            try {
              onLine(line);
            } catch (e) {
              req.destroy();
              end(e);
            }
          }
        });
        res.on('error', end);
        res.on('end', () => end(res.statusCode === 200 ? undefined : { code: res.statusCode ?? 0, body: buffer, headers: res.headers, message: `HTTP ${res.statusCode}` }));
      });
      const abort = () => {
        req.destroy();
        end();
      };
      const timer = setTimeout(() => {
        req.destroy();
        end(Object.assign(new Error(`no answer within ${this.timeoutMs} ms`), { name: 'TimeoutError' }));
      }, this.timeoutMs);
      signal.addEventListener('abort', abort, { once: true });
      req.on('error', end);
      req.end();
    });
  }
}

/**
 * Turns whatever client-node threw into a KubeApiError (or a UsageError for a kubeconfig that cannot work). A 404
 * for a path the server does not serve (a Status without the name of a missing object: a kind whose CRD is not
 * served, or not served yet) is `NotServed`, like a kind discovery does not list; `what` names the kind.
 */
export function toKubeApiError(e: unknown, what?: string): Error {
  if (e instanceof KubeApiError || e instanceof UsageError) return e;
  const err = e as any;
  const message: string = typeof err?.message === 'string' ? err.message : String(e);
  if (message.includes('HTTP protocol is not allowed')) {
    return new UsageError(`${message}. Fix: use https, or set insecure-skip-tls-verify: true on the cluster in the kubeconfig`);
  }
  if (message.startsWith('Unrecognized API version and kind')) {
    return new KubeApiError(404, 'NotServed', message.replace('Unrecognized API version and kind', 'the server does not serve'));
  }
  if (typeof err?.code === 'number' && 'body' in err) {
    let body: any = err.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        // keep the text
      }
    }
    const headers: { [k: string]: string } = err.headers ?? {};
    const retryAfterHeader = headers['retry-after'] ?? headers['Retry-After'];
    const retryAfterSeconds = retryAfterHeader !== undefined && /^\d+$/.test(String(retryAfterHeader).trim())
      ? Number(retryAfterHeader)
      : body?.details?.retryAfterSeconds;
    const status = typeof body === 'object' && body ? body : {};
    const text = typeof status.message === 'string' ? status.message : typeof body === 'string' && body.length > 0 ? body.slice(0, 300) : `HTTP ${err.code}`;
    const discovery = message.startsWith('Failed to fetch resource metadata');
    if (discovery && err.code === 404) {
      const kind = /Failed to fetch resource metadata for ([^:]+):/.exec(message)?.[1] ?? 'this kind';
      return new KubeApiError(404, 'NotServed', `the server does not serve ${kind} (yet)`);
    }
    // A plain-text 404 comes from the API server's mux (no handler for the group or version yet); a missing object or
    // namespace always gets a Status.
    if (err.code === 404 && ((status.reason === 'NotFound' && !status.details?.name) || typeof body === 'string')) {
      return new KubeApiError(404, 'NotServed', `the server does not serve ${what ?? 'this kind'} (yet): ${text}`);
    }
    return new KubeApiError(err.code, typeof status.reason === 'string' ? status.reason : httpReason(err.code), text, {
      retryAfterSeconds,
      causes: Array.isArray(status.details?.causes) ? status.details.causes : [],
    });
  }
  if (err?.name === 'AbortError' || err?.type === 'aborted' || err?.name === 'TimeoutError') {
    return new KubeApiError(0, 'RequestTimeout', 'the request timed out');
  }
  if (typeof err?.code === 'string') {
    return new KubeApiError(0, err.code, networkMessage(err.code, message));
  }
  return new KubeApiError(0, 'Error', message.split('\n')[0]);
}

function httpReason(code: number): string {
  switch (code) {
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'NotFound';
    case 409: return 'Conflict';
    case 429: return 'TooManyRequests';
    case 500: return 'InternalError';
    case 503: return 'ServiceUnavailable';
    case 504: return 'Timeout';
    default: return `HTTP${code}`;
  }
}

function networkMessage(code: string, message: string): string {
  const reason = /reason: (.*)$/.exec(message.split('\n')[0])?.[1];
  switch (code) {
    case 'ECONNREFUSED': return 'connection refused (is the API server up and the address right?)';
    case 'ECONNRESET': return `connection reset${reason ? ` (${reason})` : ''}`;
    case 'ENOTFOUND': return 'host not found (check the server address in the kubeconfig)';
    case 'ETIMEDOUT': return 'connection timed out';
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return `the server's certificate is not signed by an authority the kubeconfig trusts (${message.split('\n')[0]}). Fix: set the cluster's certificate-authority(-data) in the kubeconfig to the API server's CA`;
    case 'CERT_HAS_EXPIRED': return 'the server\'s certificate has expired';
    case 'ERR_TLS_CERT_ALTNAME_INVALID': return `the server's certificate is not valid for this address (${message.split('\n')[0]}). Fix: use a server address the certificate names, or set tls-server-name in the kubeconfig`;
    default: return reason ? `${code}: ${reason}` : `${code}: ${message.split('\n')[0]}`;
  }
}
