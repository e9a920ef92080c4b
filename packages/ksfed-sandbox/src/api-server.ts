import * as http from 'http';
import * as net from 'net';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from './discovery';
import { ApiError } from './errors';
import { FaultInjector } from './faults';
import { decodeJson, isPlainObject, JsonObject } from './json';
import { ApiResult, DeleteOptions, ObjectApi, present, WriteOptions } from './object-api';
import { openApiDocument, openApiIndex } from './openapi';
import { ResourceType, storageKey } from './resource-types';
import { FieldSelector, LabelSelector } from './selectors';
import { StoreEvent } from './store';
import { parseJsonOrYaml } from './yaml';

/** One request the server received, for tests that count or inspect traffic. */
export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  /** HTTP status answered; 0 when the connection was reset instead. */
  status: number;
  readonly fieldManager?: string;
  readonly dryRun: boolean;
  readonly contentType?: string;
  /** The injected fault, if any: `429`, `500`, `503`, `reset`, `reset-after-commit`. */
  fault?: string;
  /** When it arrived (ms since epoch). */
  readonly time: number;
  /** The request body as received (only when the sandbox records bodies: `SandboxOptions.recordBodies`). */
  body?: string;
}

/** Paths an anonymous client may read (a request with a wrong token is still refused). */
const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);
const MAX_BODY = 16 * 1024 * 1024;
const MAX_RECORDS = 50_000;

/**
 * The HTTP face of one sandbox cluster on 127.0.0.1 (plain HTTP): bearer-token auth, fault injection, discovery,
 * OpenAPI v3, and the REST paths of every served kind, including `?watch=true` streams.
 */
export class ApiServer {
  /** Every request received, oldest first (bounded). */
  public readonly requests: RequestRecord[] = [];
  private readonly server: http.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly watches = new Set<() => void>();
  private down = false;
  private port = 0;

  /**
   * @param anonymous accept requests that carry no credentials at all (kubectl never sends a bearer token over plain
   *   HTTP); a wrong token is refused either way.
   * @param recordBodies keep each request's body in its record (for tests that replay traffic).
   * @param gitVersion the Kubernetes version `/version` reports (asked on every request: it can change at run time).
   */
  constructor(
    private readonly api: ObjectApi,
    private readonly token: string,
    private readonly faults: FaultInjector,
    private readonly anonymous = false,
    private readonly recordBodies = false,
    private readonly gitVersion: () => string = () => versionInfo().gitVersion as string,
  ) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch(() => destroy(req.socket));
    });
    this.server.on('connection', (socket: net.Socket) => {
      if (this.down) {
        destroy(socket);
        return;
      }
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server.keepAliveTimeout = 5000;
  }

  /** Listens on 127.0.0.1; port 0 picks a free port. Resolves to the port. */
  public async listen(port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** `http://127.0.0.1:<port>`. */
  public get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** While down, every connection is reset as soon as it is accepted, and open ones are dropped. */
  public setDown(down: boolean): void {
    this.down = down;
    if (down) {
      for (const stop of [...this.watches]) stop();
      for (const socket of [...this.sockets]) destroy(socket);
    }
  }

  /** Ends watches, drops connections, stops listening. */
  public async close(): Promise<void> {
    for (const stop of [...this.watches]) stop();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    for (const socket of [...this.sockets]) socket.destroy();
    await closed;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const arrived = performance.now();
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const query = Object.fromEntries(url.searchParams.entries());
    const method = (req.method ?? 'GET').toUpperCase();
    const record: RequestRecord = {
      method,
      path: url.pathname,
      query,
      status: 0,
      fieldManager: query.fieldManager,
      dryRun: query.dryRun === 'All',
      contentType: req.headers['content-type'],
      time: Date.now(),
    };
    this.requests.push(record);
    if (this.requests.length > MAX_RECORDS) this.requests.splice(0, this.requests.length - MAX_RECORDS);

    const body = await readBody(req);
    if (this.recordBodies && body !== undefined && body.length > 0) record.body = body;
    const decision = this.faults.decide();
    // The injected latency is the time from a request's arrival to its answer, as a client measures a round trip
    // (the server's own work is part of it): the request is served at once and its answer held back for the rest
    // of the latency (one whose work takes longer is answered when done). Faults decided before processing, a
    // cluster that is down and watches wait the whole latency first.
    const hold = async (): Promise<void> => {
      const left = decision.latencyMs - (performance.now() - arrived);
      if (left > 0) await sleep(left);
    };
    const watch = query.watch === 'true' || query.watch === '1';
    if (decision.latencyMs > 0 && (this.down || decision.before !== 'none' || watch)) await sleep(decision.latencyMs);
    if (this.down || decision.before === 'reset') {
      record.fault = this.down ? undefined : 'reset';
      destroy(req.socket);
      return;
    }
    if (decision.before !== 'none') {
      record.fault = decision.before;
      const error = decision.before === '429' ? ApiError.tooManyRequests(decision.retryAfterSeconds)
        : decision.before === '500' ? ApiError.internal('injected fault') : ApiError.unavailable('injected fault: the server is currently unable to handle the request');
      this.sendError(res, record, error);
      return;
    }

    const auth = this.authenticate(req.headers.authorization, url.pathname);
    if (auth) {
      await hold();
      this.sendError(res, record, auth);
      return;
    }

    if (body === undefined) {
      await hold();
      this.sendError(res, record, new ApiError(413, 'RequestEntityTooLarge', 'the request body is too large'));
      return;
    }

    let result: ApiResult | 'streamed' | { text: string; code: number };
    try {
      result = this.route(method, url, query, body, req, res);
    } catch (e) {
      await hold();
      this.sendError(res, record, e instanceof ApiError ? e : ApiError.internal((e as Error).message ?? String(e)));
      return;
    }
    if (result === 'streamed') {
      record.status = 200;
      return;
    }
    // (serialized now: the answer is the state this request saw, whatever happens while it is held back)
    const text = 'text' in result ? result.text : JSON.stringify(result.body);
    // (a cluster taken down meanwhile has dropped the connection: the answer goes nowhere, the write stays)
    await hold();
    const mutating = method !== 'GET' && method !== 'HEAD';
    if ('text' in result) {
      record.status = result.code;
      res.writeHead(result.code, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(text);
      return;
    }
    if (mutating && decision.resetAfterCommit && result.code < 400) {
      record.fault = 'reset-after-commit';
      destroy(req.socket);
      return;
    }
    record.status = result.code;
    const headers: http.OutgoingHttpHeaders = { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' };
    if (result.warnings.length > 0) headers.Warning = result.warnings.map((w) => `299 - ${JSON.stringify(w)}`);
    res.writeHead(result.code, headers);
    res.end(text);
  }

  private authenticate(header: string | undefined, path: string): ApiError | undefined {
    if (header === undefined) return this.anonymous || PUBLIC_PATHS.has(path) ? undefined : ApiError.unauthorized();
    const m = /^Bearer\s+(.+)$/i.exec(header.trim());
    return m && m[1] === this.token ? undefined : ApiError.unauthorized();
  }

  private sendError(res: http.ServerResponse, record: RequestRecord, error: ApiError): void {
    record.status = error.code;
    res.writeHead(error.code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', ...error.headers });
    res.end(JSON.stringify(error.toStatus()));
  }

  private route(
    method: string, url: URL, query: Record<string, string>, body: string, req: http.IncomingMessage, res: http.ServerResponse,
  ): ApiResult | 'streamed' | { text: string; code: number } {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const types = this.api.types;
    const ok = (b: JsonObject | undefined): ApiResult => {
      if (!b) throw ApiError.noSuchResource();
      if (method !== 'GET') throw ApiError.methodNotAllowed();
      return { code: 200, body: b, warnings: [] };
    };
    if (path === '/healthz' || path === '/livez' || path === '/readyz') return { text: 'ok', code: 200 };
    if (path === '/version') return ok(versionInfo(this.gitVersion()));
    if (path === '/api') return ok(apiVersions(`127.0.0.1:${this.port}`));
    if (path === '/apis') return ok(apiGroupList(types));
    if (path === '/openapi/v3') return ok(openApiIndex(types));
    if (path.startsWith('/openapi/v3/')) {
      const rest = path.slice('/openapi/v3/'.length);
      const gv = rest.startsWith('api/') ? rest.slice(4) : rest.startsWith('apis/') ? rest.slice(5) : '';
      return ok(gv ? openApiDocument(types, gv) : undefined);
    }
    const segs = path.split('/').filter((s) => s.length > 0).map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (segs[0] === 'api' && segs.length >= 2) {
      [group, version, rest] = ['', segs[1], segs.slice(2)];
    } else if (segs[0] === 'apis' && segs.length >= 2) {
      // A group no version of which is served has no handler at all: the API server's plain-text 404.
      if (!types.groups().some((g) => g.name === segs[1])) return { text: '404 page not found\n', code: 404 };
      if (segs.length === 2) return ok(apiGroup(types, segs[1]));
      [group, version, rest] = [segs[1], segs[2], segs.slice(3)];
    } else {
      throw ApiError.noSuchResource();
    }
    if (rest.length === 0) return ok(apiResourceList(types, group, version));
    if (!types.servesGroupVersion(group, version)) throw ApiError.noSuchResource();

    let namespace: string | undefined;
    const namespaceSubresource = group === '' && rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize');
    if (rest[0] === 'namespaces' && rest.length >= 3 && !namespaceSubresource) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const [plural, name, subresource] = rest;
    const type = types.byResource(group, version, plural);
    if (!type || rest.length > 3) throw ApiError.noSuchResource();
    if (namespace !== undefined && !type.namespaced) throw ApiError.noSuchResource();
    if (name !== undefined && type.namespaced && namespace === undefined) throw ApiError.noSuchResource();
    if (subresource !== undefined && !(subresource === 'status' && type.statusSubresource)) throw ApiError.noSuchResource();

    const write = writeOptions(query, req, subresource);
    if (name === undefined) {
      switch (method) {
        case 'GET':
          if (query.watch === 'true' || query.watch === '1') {
            this.watch(type, namespace, query, req, res);
            return 'streamed';
          }
          return {
            code: 200,
            warnings: [],
            body: this.api.list(type, namespace, {
              labelSelector: query.labelSelector,
              fieldSelector: query.fieldSelector,
              limit: query.limit ? Number(query.limit) : undefined,
              continueToken: query.continue,
            }),
          };
        case 'POST':
          if (type.namespaced && namespace === undefined) throw ApiError.noSuchResource();
          return this.api.create(type, namespace, ...parseBody(body, req, write));
        case 'DELETE':
          return this.api.deleteCollection(type, namespace, { labelSelector: query.labelSelector, fieldSelector: query.fieldSelector },
            deleteOptions(query, body));
        default:
          throw ApiError.methodNotAllowed();
      }
    }
    switch (method) {
      case 'GET':
        return { code: 200, body: this.api.get(type, namespace, name), warnings: [] };
      case 'PUT':
        return this.api.replace(type, namespace, name, ...parseBody(body, req, write));
      case 'PATCH':
        return this.api.patch(type, namespace, name, req.headers['content-type'] ?? '', body, write);
      case 'DELETE':
        if (subresource) throw ApiError.methodNotAllowed();
        return this.api.delete(type, namespace, name, deleteOptions(query, body));
      default:
        throw ApiError.methodNotAllowed();
    }
  }

  /** A watch stream: newline-delimited `{type, object}` events until the client leaves, timeoutSeconds, or close(). */
  private watch(
    type: ResourceType, namespace: string | undefined, query: Record<string, string>, req: http.IncomingMessage, res: http.ServerResponse,
  ): void {
    const labels = LabelSelector.parse(query.labelSelector);
    const fields = FieldSelector.parse(query.fieldSelector);
    const resource = storageKey(type);
    const matches = (obj: JsonObject) => (!type.namespaced || namespace === undefined || obj.metadata?.namespace === namespace)
      && labels.matches(obj.metadata?.labels) && fields.matches(obj);
    const store = this.api.store;
    const rv = query.resourceVersion;
    let backlog: StoreEvent[] | undefined = [];
    if (rv && rv !== '0') {
      if (!/^\d+$/.test(rv)) throw ApiError.badRequest(`invalid resource version "${rv}"`);
      backlog = store.eventsSince(Number(rv));
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    // Headers go out at once, as from the API server: client-go blocks in the watch call until they arrive.
    res.flushHeaders();
    const send = (type_: string, object: JsonObject) => res.write(`${JSON.stringify({ type: type_, object })}\n`);
    if (backlog === undefined) {
      send('ERROR', ApiError.expired(`too old resource version: ${rv} (${store.resourceVersion})`).toStatus());
      res.end();
      return;
    }
    if (!rv || rv === '0') {
      for (const obj of store.list(resource, type.namespaced ? namespace : undefined)) if (matches(obj)) send('ADDED', present(type, obj));
    } else {
      for (const e of backlog) if (e.resource === resource && matches(e.object)) send(e.type, present(type, e.object));
    }
    if (query.sendInitialEvents === 'true') {
      send('BOOKMARK', {
        kind: type.kind,
        apiVersion: present(type, { metadata: {} }).apiVersion,
        metadata: { resourceVersion: String(store.resourceVersion), annotations: { 'k8s.io/initial-events-end': 'true' } },
      });
    }
    const unsubscribe = store.subscribe((e) => {
      if (e.resource === resource && matches(e.object)) send(e.type, present(type, e.object));
    });
    let timer: NodeJS.Timeout | undefined;
    const stop = () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
      this.watches.delete(stop);
      res.end();
    };
    this.watches.add(stop);
    const timeout = Number(query.timeoutSeconds ?? 1800);
    timer = setTimeout(stop, Math.max(0, timeout) * 1000);
    timer.unref();
    req.on('close', stop);
  }
}

function writeOptions(query: Record<string, string>, req: http.IncomingMessage, subresource: string | undefined): WriteOptions {
  if (query.dryRun !== undefined && query.dryRun !== '' && query.dryRun !== 'All') {
    throw ApiError.badRequest(`Invalid dry run value: ${JSON.stringify(query.dryRun)}: supported values: "All"`);
  }
  const validation = query.fieldValidation;
  if (validation !== undefined && validation !== '' && !['Ignore', 'Warn', 'Strict'].includes(validation)) {
    throw ApiError.badRequest(`fieldValidation: Unsupported value: ${JSON.stringify(validation)}: supported values: "Ignore", "Strict", "Warn"`);
  }
  return {
    fieldManager: query.fieldManager || undefined,
    dryRun: query.dryRun === 'All',
    force: query.force === undefined ? undefined : query.force === 'true',
    subresource: subresource === 'status' ? 'status' : undefined,
    fieldValidation: validation || undefined,
    userAgent: req.headers['user-agent'],
  };
}

function deleteOptions(query: Record<string, string>, body: string): DeleteOptions {
  let opts: JsonObject = {};
  if (body.trim().length > 0) {
    try {
      const parsed = JSON.parse(body);
      if (isPlainObject(parsed)) opts = parsed;
    } catch {
      throw ApiError.badRequest('the body of a DELETE must be DeleteOptions in JSON');
    }
  }
  const dryRun = query.dryRun === 'All' || (Array.isArray(opts.dryRun) && opts.dryRun.includes('All'));
  return {
    dryRun,
    propagationPolicy: query.propagationPolicy ?? opts.propagationPolicy,
    preconditions: isPlainObject(opts.preconditions) ? opts.preconditions : undefined,
  };
}

/**
 * The object of a POST or PUT body, and the write options with the fields a JSON body sets twice (decoded as the
 * API server decodes them: see `decodeJson`).
 */
function parseBody(body: string, req: http.IncomingMessage, write: WriteOptions): [unknown, WriteOptions] {
  const ct = (req.headers['content-type'] ?? 'application/json').split(';')[0].trim().toLowerCase();
  if (ct !== 'application/json' && ct !== 'application/yaml' && ct !== '*/*') throw ApiError.unsupportedMediaType(ct);
  let parsed: unknown;
  try {
    parsed = parseJsonOrYaml(body);
  } catch (e) {
    throw ApiError.badRequest(`error decoding the request body: ${(e as Error).message}`);
  }
  if (!body.trimStart().startsWith('{')) return [parsed, write];
  const decoded = decodeJson(body);
  return [decoded.value, { ...write, duplicateFields: decoded.duplicates }];
}

async function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function destroy(socket: net.Socket): void {
  const s = socket as net.Socket & { resetAndDestroy?: () => void };
  if (typeof s.resetAndDestroy === 'function' && !s.destroyed) s.resetAndDestroy();
  else socket.destroy();
}
