import * as crypto from 'crypto';
import * as fs from 'fs';
import { KubeConfig } from '@kubernetes/client-node';
import {
  ContextSource, EnvSource, mayHoldPlaceholder, PLACEHOLDER_PATTERN, PLACEHOLDER_SOURCE_TYPES, placeholderToken, pointerOf, WebhookCertificateSource,
} from 'cdk8s-kubesphere-federation/lib/contract/federation-json';
import { UpstreamError } from './cross-cluster';
import { formatDuration } from './duration';
import { KubeApiError, TimeoutError, UsageError } from './errors';
import { Federation, FederationObject, groupOf, PlaceholderEntry, PlaceholderSourceSpec } from './federation';
import { KubeClient, ObjectRef } from './kube-client';
import { credentialsOf, reduceKubeconfig } from './kubeconfig';
import { pollDelay } from './ordering';
import { Redactor } from './redact';
import { ClusterStatus } from './report';
import { Clock, REAL_CLOCK } from './retry';
import { certificateProblem, selfSignedCertificate } from './x509';

/** What placeholder resolution needs from the run. */
export interface PlaceholderEnvironment {
  /** The host, the placeholders and each cluster's default context (federation.json is enough). */
  readonly federation: Pick<Federation, 'host' | 'placeholders'> & { readonly clusters: readonly { readonly name: string; readonly context: string }[] };
  /** The API client of a cluster, for values read from cluster state. */
  readonly client: (cluster: string) => KubeClient;
  /** The kubeconfig `ksfed` runs with (for `context` sources). */
  readonly kubeConfig?: KubeConfig;
  /** `--context CLUSTER=CONTEXT` overrides. */
  readonly contextOverrides?: { [cluster: string]: string };
  /** Environment variables (default: process.env). */
  readonly env?: { [key: string]: string | undefined };
  /** Server dry-run: values that only exist after an apply become stand-ins instead of being waited for. */
  readonly dryRun?: boolean;
  readonly clock?: Clock;
  readonly signal?: AbortSignal;
  /** How long to wait for a value another component writes (a token, an address). */
  readonly waitTimeoutMs?: number;
  readonly pollIntervalMs?: number;
  /** Random bytes (injectable for tests). */
  readonly randomBytes?: (n: number) => Buffer;
  readonly now?: () => Date;
  /** Every resolved value is registered here. */
  readonly redactor: Redactor;
  /** Told when resolution starts waiting for cluster state (`cluster`: the cluster whose objects need it). */
  readonly onWait?: (cluster: string, message: string) => void;
  /**
   * Resolves when the object a value is read from is applied, if this run applies it; rejects (an UpstreamError)
   * when the run of its cluster ends without it. Called before the first read.
   */
  readonly awaitSource?: (cluster: string, ref: ObjectRef, what: string) => Promise<void>;
  /** How the run of a cluster ended (undefined while it runs or when it is not part of this run). */
  readonly runStatus?: (cluster: string) => ClusterStatus | undefined;
}

/** Why a placeholder could not be resolved. */
export class PlaceholderError extends Error {
  constructor(public readonly id: string, message: string) {
    super(`placeholder ${id}: ${message}`);
    this.name = 'PlaceholderError';
  }
}

/** The value a dry run uses for something that only exists after a real apply. */
export function pendingValue(id: string): string {
  return `ksfed-pending-${id.replace(/[^a-z0-9]+/g, '-')}`;
}

/**
 * The object a placeholder's value is read from (`host-secret`, `read-object`, `service-address` sources), and
 * the cluster it lives on; undefined for values that come from elsewhere.
 */
export function sourceObject(s: PlaceholderSourceSpec, host: string): { cluster: string; ref: ObjectRef } | undefined {
  switch (s.type) {
    case 'host-secret': return { cluster: s.cluster ?? host, ref: { apiVersion: 'v1', kind: 'Secret', namespace: s.namespace, name: s.name } };
    case 'service-address': return { cluster: s.cluster ?? host, ref: { apiVersion: 'v1', kind: 'Service', namespace: s.namespace, name: s.name } };
    case 'read-object': return { cluster: s.cluster ?? host, ref: { apiVersion: s.apiVersion, kind: s.kind, namespace: s.namespace, name: s.name } };
    default: return undefined;
  }
}

/** Reads a JSON pointer (`/spec/connection/token`) out of an object. */
export function readPointer(obj: any, pointer: string): unknown {
  if (pointer === '') return obj;
  let cur = obj;
  for (const raw of pointer.replace(/^\//, '').split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || cur === undefined || typeof cur !== 'object') return undefined;
    cur = cur[key];
  }
  return cur;
}

/**
 * Resolves the placeholders of federation.json in memory, once each (every cluster that holds one gets the same
 * value), and renders manifests with them. Values are never written anywhere; each one is registered with the
 * redactor as soon as it is known.
 */
export class PlaceholderResolver {
  private readonly entries: Map<string, PlaceholderEntry>;
  private readonly values = new Map<string, Promise<string>>();
  private readonly certificates = new Map<string, Promise<{ ca: string; cert: string; key: string }>>();
  /** Shared LISTs of objects `generate` sources reuse values from (see `reused`). */
  private readonly reuseLists = new Map<string, Promise<Map<string, any> | undefined>>();

  constructor(private readonly environment: PlaceholderEnvironment) {
    this.entries = new Map(environment.federation.placeholders.map(p => [p.id, p]));
  }

  /** The declared placeholder. */
  public entry(id: string): PlaceholderEntry {
    const e = this.entries.get(id);
    if (!e) throw new PlaceholderError(id, 'not declared in federation.json');
    return e;
  }

  /**
   * Checks, before any cluster is touched, the sources that need nothing from a cluster (environment variables,
   * files, kubeconfig contexts): a missing one is bad input. Throws a UsageError.
   */
  public preflight(ids: Iterable<string>): void {
    for (const id of ids) {
      const e = this.entry(id);
      const s = e.source;
      if (s.type === 'env' && !this.env()[s.name]) {
        throw new UsageError(`placeholder ${id}: environment variable ${s.name} is not set (${e.description}). Fix: export ${s.name}=...`);
      }
      if (s.type === 'env' && e.kind === 'kubeconfig') {
        try {
          this.envKubeconfig(e, s, String(this.env()[s.name]));
        } catch (err) {
          if (!(err instanceof PlaceholderError)) throw err;
          throw new UsageError(`${err.message} (${e.description}). Fix: export ${s.name} with the text of a kubeconfig file, or base64 of it`);
        }
      }
      if (s.type === 'file' && !fs.existsSync(String(s.path))) {
        throw new UsageError(`placeholder ${id}: file ${s.path} does not exist (${e.description})`);
      }
      // (the value is kept: making it is the costly part, and the run needs it anyway)
      if (s.type === 'context' && !this.values.has(id)) void this.remember(id, Promise.resolve(this.contextValue(e, s)));
      if (!PLACEHOLDER_SOURCE_TYPES.includes(s.type)) {
        throw new UsageError(`placeholder ${id}: unknown source type "${s.type}". Fix: use the ksfed that matches the library version that synthesized the output`);
      }
    }
  }

  /** The raw value of a placeholder (resolved once); `requester` is the cluster that needs it (for progress). */
  public value(id: string, requester?: string): Promise<string> {
    return this.values.get(id) ?? this.remember(id, this.compute(this.entry(id), requester));
  }

  /** Keeps a value being made, its forms registered with the redactor once it is known. */
  private remember(id: string, made: Promise<string>): Promise<string> {
    const p = made.then(v => {
      this.environment.redactor.add(v, placeholderToken(id));
      if (this.entry(id).encoding === 'base64') this.environment.redactor.add(encode(v, 'base64'), placeholderToken(id));
      return v;
    });
    p.catch(() => undefined);
    this.values.set(id, p);
    return p;
  }

  /** The value as written into manifests (base64 when the placeholder says so). */
  public async encoded(id: string, requester?: string): Promise<string> {
    return encode(await this.value(id, requester), this.entry(id).encoding);
  }

  /** A copy of `manifest` with every placeholder replaced by its encoded value. */
  public async render(manifest: any, requester?: string): Promise<any> {
    const ids = new Set<string>();
    collect(manifest, ids);
    const values = new Map<string, string>();
    for (const id of ids) values.set(id, await this.encoded(id, requester));
    return substitute(manifest, values);
  }

  private env(): { [key: string]: string | undefined } {
    return this.environment.env ?? process.env;
  }

  private async compute(e: PlaceholderEntry, requester?: string): Promise<string> {
    const s = e.source;
    switch (s.type) {
      case 'env': {
        const v = this.env()[s.name];
        if (!v) throw new PlaceholderError(e.id, `environment variable ${s.name} is not set`);
        return e.kind === 'kubeconfig' ? this.envKubeconfig(e, s, v) : v;
      }
      case 'file': {
        let text: string;
        try {
          text = fs.readFileSync(String(s.path), 'utf8');
        } catch {
          throw new PlaceholderError(e.id, `cannot read file ${s.path}`);
        }
        if (e.kind === 'kubeconfig') {
          const kc = new KubeConfig();
          try {
            kc.loadFromString(text);
          } catch {
            throw new PlaceholderError(e.id, `file ${s.path} is not a kubeconfig`);
          }
          return reduceKubeconfig(kc, typeof s.context === 'string' ? s.context : kc.getCurrentContext(), `placeholder ${e.id} (file ${s.path})`);
        }
        return text.replace(/(\r?\n)+$/, '');
      }
      case 'context':
        return this.contextValue(e, s);
      case 'host-secret': {
        const { cluster, ref } = sourceObject(s, this.environment.federation.host)!;
        const where = `Secret ${s.namespace}/${s.name} on ${cluster}`;
        const v = await this.poll(e, cluster, ref, where, requester, async () => {
          const secret = await this.environment.client(cluster).get(ref);
          const data = secret?.data?.[s.key];
          if (typeof data === 'string' && data.length > 0) return Buffer.from(data, 'base64').toString('utf8');
          const text = secret?.stringData?.[s.key];
          return typeof text === 'string' && text.length > 0 ? text : undefined;
        });
        return v;
      }
      case 'generate': {
        if (s.reuse) {
          const r = s.reuse;
          const cluster = String(r.cluster ?? this.environment.federation.host);
          const existing = await this.reused({ cluster, apiVersion: r.apiVersion, kind: r.kind, namespace: r.namespace, name: r.name });
          const v = readPointer(existing, r.pointer);
          if (typeof v === 'string' && v.length > 0 && !mayHoldPlaceholder(v)) return v;
        }
        const bytes = (this.environment.randomBytes ?? crypto.randomBytes)(Number(s.bytes ?? 32));
        return s.format === 'base64' ? bytes.toString('base64') : bytes.toString('hex');
      }
      case 'read-object': {
        const { cluster, ref } = sourceObject(s, this.environment.federation.host)!;
        const where = `${s.pointer} of ${s.kind} ${s.namespace ? s.namespace + '/' : ''}${s.name} on ${cluster}`;
        return this.poll(e, cluster, ref, where, requester, async () => {
          const obj = await this.environment.client(cluster).get(ref);
          const v = readPointer(obj, s.pointer);
          return typeof v === 'string' && v.length > 0 ? v : undefined;
        });
      }
      case 'service-address': {
        const { cluster, ref } = sourceObject(s, this.environment.federation.host)!;
        const where = `the load balancer address of Service ${s.namespace}/${s.name} on ${cluster}`;
        return this.poll(e, cluster, ref, where, requester, async () => {
          const svc = await this.environment.client(cluster).get(ref);
          const ingress = svc?.status?.loadBalancer?.ingress?.[0];
          const addr = ingress?.ip || ingress?.hostname;
          return addr ? `${s.scheme ?? 'http'}://${addr}:${s.port}` : undefined;
        }, e.kind === 'proxy-address' ? towerAddressHint(cluster) : `: the Service got no external address (is there a load-balancer controller on ${cluster}?)`);
      }
      case 'webhook-certificate': {
        const pair = await this.certificate(s);
        return s.part === 'key' ? pair.key : s.part === 'ca' ? pair.ca : pair.cert;
      }
      default:
        throw new PlaceholderError(e.id, `unknown source type "${(s as { type: string }).type}"`);
    }
  }

  /**
   * The existing object a `generate` source reuses its value from. When several placeholders reuse objects of one
   * kind (and namespace) on one cluster (the agent tokens of every agent member, in the host's `Cluster`s), they
   * share one LIST instead of one GET each; where listing is forbidden, each one is read.
   */
  private async reused(ref: ObjectRef & { cluster: string }): Promise<any> {
    const client = this.environment.client(ref.cluster);
    const key = [ref.cluster, ref.apiVersion, ref.kind, ref.namespace ?? ''].join('|');
    const sameKind = (p: PlaceholderEntry) => {
      const r = p.source.type === 'generate' ? p.source.reuse : undefined;
      return r !== undefined && [String(r.cluster ?? this.environment.federation.host), r.apiVersion, r.kind, r.namespace ?? ''].join('|') === key;
    };
    if (this.environment.federation.placeholders.filter(sameKind).length > 1) {
      let list = this.reuseLists.get(key);
      if (!list) {
        list = client.list(ref.apiVersion, ref.kind, { namespace: ref.namespace })
          .then(items => new Map(items.map(i => [i.metadata?.name, i])))
          .catch(e => {
            if (e instanceof KubeApiError && e.code === 403) return undefined;
            throw e;
          });
        list.catch(() => undefined);
        this.reuseLists.set(key, list);
      }
      const byName = await list;
      if (byName) return byName.get(ref.name);
    }
    return client.get(ref);
  }

  private contextValue(e: PlaceholderEntry, s: ContextSource): string {
    const kc = this.environment.kubeConfig;
    if (!kc) throw new UsageError(`placeholder ${e.id}: needs a kubeconfig to read context ${s.context}`);
    const member = typeof s.member === 'string' ? this.environment.federation.clusters.find(c => c.name === s.member) : undefined;
    let context = String(s.context ?? member?.context);
    // The member's default context follows --context MEMBER=CONTEXT.
    const override = member ? this.environment.contextOverrides?.[member.name] : undefined;
    if (member && override && context === member.context) context = override;
    const text = reduceKubeconfig(kc, context, `placeholder ${e.id}`);
    this.environment.redactor.add(text, placeholderToken(e.id));
    return text;
  }

  /**
   * A kubeconfig from an environment variable (YAML, or base64 of it), reduced like a file's to one context: the
   * one the source names, else its current-context. Every form of the value and every credential in it is
   * registered with the redactor first; messages never quote the value (not even a parser's excerpt of it).
   */
  private envKubeconfig(e: PlaceholderEntry, s: EnvSource, value: string): string {
    const redactor = this.environment.redactor;
    const text = decodeMaybeBase64(value);
    redactor.add(value, placeholderToken(e.id));
    redactor.add(text, placeholderToken(e.id));
    const where = `environment variable ${s.name}`;
    if (!/\bclusters\s*:/.test(text)) throw new PlaceholderError(e.id, `the value of ${where} is not a kubeconfig (no "clusters:")`);
    const kc = new KubeConfig();
    try {
      kc.loadFromString(text);
    } catch {
      throw new PlaceholderError(e.id, `the value of ${where} is not a kubeconfig (it cannot be parsed)`);
    }
    for (const credential of credentialsOf(kc, kc.getContexts().map(c => c.name))) redactor.add(credential, '<redacted:credential>');
    if (kc.getClusters().length === 0) throw new PlaceholderError(e.id, `the value of ${where} is not a kubeconfig (it lists no clusters)`);
    const context = typeof s.context === 'string' ? s.context : kc.getCurrentContext();
    if (!context) throw new PlaceholderError(e.id, `the kubeconfig in ${where} has no current-context to reduce it to`);
    return reduceKubeconfig(kc, context, `placeholder ${e.id} (${where})`);
  }

  private certificate(s: WebhookCertificateSource): Promise<{ ca: string; cert: string; key: string }> {
    const cluster = String(s.cluster ?? this.environment.federation.host);
    const key = `${cluster}/${s.namespace}/${s.secret}`;
    let p = this.certificates.get(key);
    if (!p) {
      p = (async () => {
        const dnsNames: string[] = Array.isArray(s.dnsNames) ? s.dnsNames : [];
        const existing = await this.environment.client(cluster).get({ apiVersion: 'v1', kind: 'Secret', namespace: s.namespace, name: s.secret });
        const data = existing?.data ?? {};
        const decode = (k: string) => typeof data[k] === 'string' ? Buffer.from(data[k], 'base64').toString('utf8') : '';
        const cert = decode('tls.crt');
        const privateKey = decode('tls.key');
        const ca = decode('ca.crt') || cert;
        const now = (this.environment.now ?? (() => new Date()))();
        if (cert && privateKey && certificateProblem(cert, privateKey, dnsNames, Number(s.renewBeforeDays ?? 30), now) === undefined) {
          return { ca, cert, key: privateKey };
        }
        const generated = selfSignedCertificate({ dnsNames, validDays: Number(s.validDays ?? 365), now });
        return { ca: generated.certPem, cert: generated.certPem, key: generated.keyPem };
      })();
      p.catch(() => undefined);
      this.certificates.set(key, p);
    }
    return p;
  }

  /**
   * Polls `read` (the value in `ref` on `cluster`) until it yields a value; a dry run takes a stand-in instead of
   * waiting. When this run applies `ref`, the first read waits for that; when the run of `cluster` ends without
   * it, or ends unsuccessfully while the value is still missing, this rejects with an UpstreamError.
   */
  private async poll(
    e: PlaceholderEntry, cluster: string, ref: ObjectRef, where: string, requester: string | undefined, read: () => Promise<string | undefined>,
    /** Appended to the timeout message: why the value may never come, and the fix. */
    hint = '',
  ): Promise<string> {
    const clock = this.environment.clock ?? REAL_CLOCK;
    const timeout = this.environment.waitTimeoutMs ?? 300_000;
    const interval = this.environment.pollIntervalMs ?? 1_000;
    if (!this.environment.dryRun && this.environment.awaitSource) {
      try {
        await this.environment.awaitSource(cluster, ref, where);
      } catch (err) {
        if (err instanceof UpstreamError) throw new UpstreamError(err.cluster, err.status, `placeholder ${e.id}: ${err.message}`);
        throw err;
      }
    }
    const deadline = clock.now() + timeout;
    let told = false;
    for (let poll = 0; ; poll++) {
      const ended = this.environment.dryRun ? undefined : this.environment.runStatus?.(cluster);
      const v = await read();
      if (v !== undefined) return v;
      if (this.environment.dryRun) return pendingValue(e.id);
      if (ended !== undefined && ended !== 'succeeded') {
        throw new UpstreamError(cluster, ended, `placeholder ${e.id}: ${where} is missing and the run of ${cluster} ended ${ended}`);
      }
      const delay = pollDelay(poll, interval);
      if (clock.now() + delay > deadline) {
        throw new TimeoutError(`placeholder ${e.id}: timed out after ${formatDuration(timeout)} waiting for ${where}${hint}`);
      }
      if (!told) {
        this.environment.onWait?.(requester ?? this.environment.federation.host, `waiting for ${where} (${placeholderToken(e.id)})`);
        told = true;
      }
      await clock.sleep(delay, this.environment.signal);
    }
  }
}

/**
 * Why the tower address agents dial may never come (appended to the timeout of its wait): with the default
 * LoadBalancer tower and no `proxyPublishAddress`, the address is the Service's external one (facts sheet §4).
 */
function towerAddressHint(host: string): string {
  return `: agent members dial tower there, and the tower LoadBalancer Service got no external address (no load-balancer controller on ${host}?).`
    + ' Fix: give the host a load balancer (a cloud one, or MetalLB on bare metal), or set proxyPublishAddress on the Host to the address'
    + ' agents reach tower at (e.g. towerServiceType NodePort and "http://<node-ip>:<nodePort>")';
}

function encode(value: string, encoding: 'raw' | 'base64'): string {
  return encoding === 'base64' ? Buffer.from(value, 'utf8').toString('base64') : value;
}

function decodeMaybeBase64(v: string): string {
  const trimmed = v.trim();
  if (/^[A-Za-z0-9+/=\s]+$/.test(trimmed) && !trimmed.includes(':')) {
    const decoded = Buffer.from(trimmed, 'base64').toString('utf8');
    if (/\bclusters\s*:/.test(decoded)) return decoded;
  }
  return v;
}

function collect(value: any, ids: Set<string>): void {
  if (typeof value === 'string') {
    for (const m of value.matchAll(PLACEHOLDER_PATTERN)) ids.add(m[1]);
  } else if (Array.isArray(value)) {
    for (const v of value) collect(v, ids);
  } else if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    for (const v of Object.values(value)) collect(v, ids);
  }
}

/** A copy of a (typed or plain) object with placeholder tokens replaced; the prototype of each object is kept. */
export function substitute(value: any, values: Map<string, string>): any {
  if (typeof value === 'string') return value.replace(PLACEHOLDER_PATTERN, (m, id) => values.get(id) ?? m);
  if (Array.isArray(value)) return value.map(v => substitute(v, values));
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out = Object.create(Object.getPrototypeOf(value));
    for (const [k, v] of Object.entries(value)) out[k] = substitute(v, values);
    return out;
  }
  return value;
}

/** The placeholder ids a string or object holds. */
export function placeholderIdsIn(value: any): string[] {
  const ids = new Set<string>();
  collect(value, ids);
  return [...ids].sort();
}

/** The JSON pointers of the strings of a manifest that hold placeholders, with those strings. */
export function placeholderPointers(manifest: any, pointer = '', out = new Map<string, string>()): Map<string, string> {
  if (typeof manifest === 'string') {
    if (mayHoldPlaceholder(manifest)) out.set(pointer, manifest);
  } else if (Array.isArray(manifest)) {
    manifest.forEach((v, i) => placeholderPointers(v, `${pointer}/${i}`, out));
  } else if (manifest !== null && typeof manifest === 'object' && !(manifest instanceof Date)) {
    for (const [k, v] of Object.entries(manifest)) placeholderPointers(v, `${pointer}${pointerOf([k])}`, out);
  }
  return out;
}

const pointersByKind = new WeakMap<object, Map<string, Set<string>>>();

/** A cluster's objects (what `secretPointers` reads of a federation). */
interface ObjectsOf {
  readonly objects: readonly FederationObject[];
}

/**
 * Where a diff of `o` must not show values: the places placeholders stand in any object of its kind in the
 * federation (its own, and those of the same kind elsewhere, which its live object may still hold from an
 * earlier apply), as JSON pointers.
 */
export function secretPointers(federation: { readonly clusters: readonly ObjectsOf[] }, o: FederationObject): string[] {
  let byKind = pointersByKind.get(federation);
  if (!byKind) {
    byKind = new Map();
    for (const c of federation.clusters) {
      for (const x of c.objects) {
        if (x.placeholders.length === 0) continue;
        const key = `${groupOf(x.apiVersion)}/${x.kind}`;
        const set = byKind.get(key) ?? new Set<string>();
        for (const pointer of placeholderPointers(x.manifest).keys()) set.add(pointer);
        byKind.set(key, set);
      }
    }
    pointersByKind.set(federation, byKind);
  }
  return [...(byKind.get(`${groupOf(o.apiVersion)}/${o.kind}`) ?? [])];
}

/**
 * Registers with the redactor the values a live object holds where `manifest` has placeholders: what an earlier
 * apply filled in, which this run may not know (the secret before a rotation). Where the text around a
 * placeholder is as the manifest has it, just the placeholder's part; else the whole string.
 */
export function redactLiveValues(redactor: Redactor, manifest: any, live: any): void {
  if (!live || typeof live !== 'object') return;
  for (const [pointer, template] of placeholderPointers(manifest)) {
    const value = readPointer(live, pointer);
    if (typeof value !== 'string' || value.length === 0 || value === template) continue;
    const ids: string[] = [];
    const source = template.split(PLACEHOLDER_PATTERN).map((part, i) => {
      if (i % 2 === 0) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      ids.push(part);
      return '([\\s\\S]*)';
    }).join('');
    const match = new RegExp(`^${source}$`).exec(value);
    const parts = match ? ids.map((id, i) => [id, match[i + 1]]) : [[ids[0], value]];
    for (const [id, part] of parts) {
      redactor.add(part, placeholderToken(id));
      const decoded = Buffer.from(part, 'base64').toString('utf8');
      if (part.length >= 8 && Buffer.from(decoded, 'utf8').toString('base64') === part) redactor.add(decoded, placeholderToken(id));
    }
  }
}
