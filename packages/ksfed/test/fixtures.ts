// Shared fixtures of the applier tests: the quickstart fleet synthesized into a temp folder, a sandbox with its
// kubeconfig, fast timings, and a fake KubeClient for unit tests.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FederationApp } from 'cdk8s-kubesphere-federation';
import { Sandbox, SandboxOptions } from 'ksfed-sandbox';
import { configSettings, KUBESPHERE_CONFIG } from 'ksfed-sandbox/lib/kubesphere';
import { quickstart } from '../../../examples/quickstart/main';
import { KubeApiError } from '../src/errors';
import { KubeClient, ObjectRef, RequestOptions, WatchEvent } from '../src/kube-client';

/** A fresh temp folder. */
export function tmpdir(prefix = 'ksfed-applier-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Synthesizes a program (the quickstart by default) into a temp folder; returns the folder. */
export function synth(program: (app: FederationApp) => void = quickstart, outdir = tmpdir()): string {
  const app = new FederationApp({ outdir, printWarnings: false });
  program(app);
  app.synth();
  return outdir;
}

/** A realistic-looking fake JWT secret (32 base64url characters). */
export const FAKE_JWT_SECRET = 'kQ7vR2mXz9LpA4sT8wYc3NbH6eJ1uFgD';

/** Timings that keep sandbox tests fast. */
export const FAST = {
  pollIntervalMs: 10,
  waitTimeoutMs: 4_000,
  timeoutMs: 30_000,
  requestTimeoutMs: 5_000,
  retry: { maxAttempts: 8, baseDelayMs: 1, maxDelayMs: 20, maxRetryAfterMs: 20 },
};

/** A started sandbox of the quickstart clusters, its kubeconfig file, and ks-installer's jwt Secret on the host. */
export interface Fleet {
  readonly sandbox: Sandbox;
  readonly kubeconfig: string;
  stop(): Promise<void>;
}

/** How to start a test fleet. */
export interface FleetOptions {
  readonly faults?: any;
  readonly clusters?: string[];
  /** The host's ks-installer jwt Secret; null: none. */
  readonly jwtSecret?: string | null;
  readonly rolloutDelayMs?: number;
  /** More sandbox options (clusters without KubeSphere or load balancer, a CRD serve lag). */
  readonly sandbox?: Partial<SandboxOptions>;
}

/** Starts the quickstart clusters in a sandbox with short controller delays. */
export async function startFleet(options: FleetOptions = {}): Promise<Fleet> {
  const sandbox = await Sandbox.start({
    clusters: options.clusters ?? ['host', 'edge-1', 'branch-7'],
    kubesphere: true,
    establishDelayMs: 5,
    rolloutDelayMs: options.rolloutDelayMs ?? 5,
    kubesphereDelayMs: 5,
    faults: options.faults,
    ...options.sandbox,
  });
  const kubeconfig = path.join(tmpdir('ksfed-kc-'), 'sandbox.kubeconfig');
  fs.writeFileSync(kubeconfig, sandbox.kubeconfigYaml());
  // The sandbox's ks-installer writes a random jwt Secret; tests pin a known value (to search outputs for it),
  // or remove it (null) to test a host without one.
  // (a host without KubeSphere has no jwt Secret to pin or remove)
  if (!options.sandbox?.withoutKubeSphere?.includes(sandbox.host)) {
    if (options.jwtSecret === null) removeJwtSecret(sandbox);
    else seedJwtSecret(sandbox, options.jwtSecret ?? FAKE_JWT_SECRET);
  }
  return { sandbox, kubeconfig, stop: () => sandbox.stop() };
}

/**
 * Sets the host's jwtSecret as ks-installer would have generated it: the value of `kubesphere-system/kubesphere-secret`
 * and the `authentication.jwtSecret` of `kubesphere-config` KubeSphere runs with (both made by the sandbox's
 * ks-installer).
 */
export function seedJwtSecret(sandbox: Sandbox, value: string): void {
  const host = sandbox.cluster(sandbox.host);
  host.api.mergePatch(host.api.typeOf('v1', 'Secret'), 'kubesphere-system', 'kubesphere-secret', { data: { secret: Buffer.from(value).toString('base64') } }, 'ks-installer');
  const settings = configSettings(host.get('v1', 'ConfigMap', KUBESPHERE_CONFIG, 'kubesphere-system'));
  if (settings) {
    const next = { ...settings, authentication: { ...settings.authentication, jwtSecret: value } };
    host.api.mergePatch(host.api.typeOf('v1', 'ConfigMap'), 'kubesphere-system', KUBESPHERE_CONFIG, { data: { 'kubesphere.yaml': JSON.stringify(next) } }, 'ks-installer');
  }
}

/** Deletes `kubesphere-system/kubesphere-secret` on the host. */
export function removeJwtSecret(sandbox: Sandbox): void {
  const host = sandbox.cluster(sandbox.host);
  host.api.delete(host.api.typeOf('v1', 'Secret'), 'kubesphere-system', 'kubesphere-secret');
}

/** Mutating requests (PATCH, POST, PUT, DELETE) recorded by a sandbox cluster. */
export function mutations(sandbox: Sandbox, cluster?: string): { cluster: string; method: string; path: string; dryRun: boolean; status: number }[] {
  const clusters = cluster ? [sandbox.cluster(cluster)] : sandbox.clusters;
  return clusters.flatMap(c => c.requests.filter(r => ['PATCH', 'POST', 'PUT', 'DELETE'].includes(r.method)).map(r => ({ cluster: c.name, method: r.method, path: r.path, dryRun: r.dryRun, status: r.status })));
}

/** resourceVersion of every object the dist folders list, per `cluster/kind/ns/name`. */
export function resourceVersions(sandbox: Sandbox, dist: string): Map<string, string> {
  const fed = JSON.parse(fs.readFileSync(path.join(dist, 'federation.json'), 'utf8'));
  const out = new Map<string, string>();
  for (const c of fed.clusters) {
    for (const o of c.objects) {
      const live = sandbox.cluster(c.name).get(o.apiVersion, o.kind, o.name, o.namespace);
      out.set(`${c.name}/${o.kind}/${o.namespace ?? ''}/${o.name}`, live?.metadata?.resourceVersion);
    }
  }
  return out;
}

/**
 * Puts into a FakeClient what a KubeSphere v3.4 cluster has that apply's preflight reads: Deployment (available) and
 * Service `ks-apiserver` in kubesphere-system, and Secret `kubesphere-secret` (the jwtSecret FAKE_JWT_SECRET).
 */
export function withKubeSphere(client: FakeClient): FakeClient {
  const labels = { app: 'ks-apiserver', tier: 'backend', version: 'v3.4.1' };
  client.put({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ks-apiserver', namespace: 'kubesphere-system', labels }, spec: { replicas: 1 }, status: { availableReplicas: 1 } });
  client.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'ks-apiserver', namespace: 'kubesphere-system', labels }, spec: { ports: [{ port: 80 }] } });
  client.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'kubesphere-secret', namespace: 'kubesphere-system' }, data: { secret: Buffer.from(FAKE_JWT_SECRET).toString('base64') } });
  return client;
}

/** A scriptable in-memory KubeClient for unit tests. */
export class FakeClient implements KubeClient {
  public readonly objects = new Map<string, any>();
  public readonly calls: string[] = [];
  /** Kinds that are not served: `apiVersion/kind`. */
  public readonly unserved = new Set<string>();
  /** Cluster-scoped kinds: `kind`. */
  public readonly clusterScoped = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'Cluster']);
  public failWith?: (call: string) => Error | undefined;
  /** Kinds recorded with learnKinds. */
  public readonly learned: string[] = [];
  /** The version `/version` reports (v1.26.15 unless a test sets another). */
  public version = { major: '1', minor: '26', gitVersion: 'v1.26.15' };

  constructor(public readonly cluster = 'fake') {
    // (a cluster with KubeSphere: ks-installer's namespace is there)
    this.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kubesphere-system' } });
  }

  public key(ref: ObjectRef): string {
    return `${ref.apiVersion}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
  }

  public put(obj: any): void {
    this.objects.set(this.key({ apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name }), obj);
  }

  public async apply(obj: any, options: { dryRun?: boolean; force?: boolean } = {}): Promise<{ object: any; created: boolean }> {
    this.check(`apply ${obj.kind} ${obj.metadata.name}${options.dryRun ? ' dry' : ''}`, obj);
    const key = this.key({ apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name });
    const created = !this.objects.has(key);
    const object = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(this.calls.length) } };
    if (!options.dryRun) this.objects.set(key, object);
    return { object, created };
  }

  public async get(ref: ObjectRef): Promise<any> {
    this.check(`get ${ref.kind} ${ref.name}`, ref);
    return this.objects.get(this.key(ref));
  }

  public async namespaced(apiVersion: string, kind: string): Promise<boolean | undefined> {
    if (this.unserved.has(`${apiVersion}/${kind}`)) return undefined;
    return !this.clusterScoped.has(kind);
  }

  public async list(apiVersion: string, kind: string, options: { namespace?: string; labelSelector?: string } = {}): Promise<any[]> {
    this.check(`list ${kind} ${options.namespace ?? '*'}`, { apiVersion, kind });
    const [k, v] = (options.labelSelector ?? '').split('=');
    return [...this.objects.values()].filter(o => o.apiVersion === apiVersion && o.kind === kind
      && (options.namespace === undefined || o.metadata.namespace === options.namespace)
      && (!k || o.metadata.labels?.[k] === v));
  }

  public async delete(ref: ObjectRef): Promise<boolean> {
    this.check(`delete ${ref.kind} ${ref.name}`, ref);
    return this.objects.delete(this.key(ref));
  }

  public learnKinds(crd: any): void {
    this.learned.push(crd?.spec?.names?.kind);
  }

  /** The namespaced kinds of the objects it holds, plus ConfigMap and Secret. */
  public async namespacedKinds(): Promise<{ apiVersion: string; kind: string }[]> {
    this.check('discovery', { apiVersion: 'v1', kind: 'APIResourceList' });
    const kinds = new Map([['v1/ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap' }], ['v1/Secret', { apiVersion: 'v1', kind: 'Secret' }]]);
    for (const o of this.objects.values()) if (!this.clusterScoped.has(o.kind)) kinds.set(`${o.apiVersion}/${o.kind}`, { apiVersion: o.apiVersion, kind: o.kind });
    return [...kinds.values()].sort((a, b) => `${a.apiVersion}/${a.kind}`.localeCompare(`${b.apiVersion}/${b.kind}`));
  }

  public async served(apiVersion: string, kind: string, _options?: RequestOptions): Promise<boolean> {
    return !this.unserved.has(`${apiVersion}/${kind}`);
  }

  public async serverVersion(): Promise<{ major?: string; minor?: string; gitVersion?: string }> {
    this.check('version', { apiVersion: 'v1', kind: 'Version' });
    return this.version;
  }

  private check(call: string, ref: { apiVersion: string; kind: string }): void {
    this.calls.push(call);
    if (this.unserved.has(`${ref.apiVersion}/${ref.kind}`)) throw new KubeApiError(404, 'NotServed', `the server does not serve ${ref.apiVersion}/${ref.kind}`);
    const e = this.failWith?.(call);
    if (e) throw e;
  }
}

/**
 * A FakeClient that can watch: a watch gets every object of the kind (matching the label selector) as ADDED, then
 * each `put` of one, until aborted or `end()`. `failWith` sees the LIST a watch starts with (recorded as `watch <Kind>`).
 */
export class WatchingFakeClient extends FakeClient {
  private readonly watchers = new Set<{ apiVersion: string; kind: string; selector?: string; onEvent: (e: WatchEvent) => void; end: () => void }>();

  public put(obj: any): void {
    const ref = { apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name };
    const existed = this.objects.has(this.key(ref));
    super.put(obj);
    this.notify(existed ? 'MODIFIED' : 'ADDED', obj);
  }

  /** Ends every open watch as a server would (they resolve). */
  public end(): void {
    for (const w of [...this.watchers]) w.end();
  }

  public async watch(
    apiVersion: string, kind: string, options: { labelSelector?: string }, onEvent: (e: WatchEvent) => void, signal: AbortSignal,
  ): Promise<void> {
    await this.list(apiVersion, kind, { labelSelector: options.labelSelector }); // (checks unserved kinds and failWith)
    this.calls[this.calls.length - 1] = `watch ${kind}`;
    return new Promise<void>(resolve => {
      const w = {
        apiVersion,
        kind,
        selector: options.labelSelector,
        onEvent,
        end: () => {
          this.watchers.delete(w);
          resolve();
        },
      };
      this.watchers.add(w);
      signal.addEventListener('abort', w.end, { once: true });
      if (signal.aborted) w.end();
      for (const o of [...this.objects.values()]) if (this.matches(w, o)) onEvent({ type: 'ADDED', object: o });
    });
  }

  private matches(w: { apiVersion: string; kind: string; selector?: string }, o: any): boolean {
    const [k, v] = (w.selector ?? '').split('=');
    return o.apiVersion === w.apiVersion && o.kind === w.kind && (!k || o.metadata.labels?.[k] === v);
  }

  private notify(type: WatchEvent['type'], obj: any): void {
    for (const w of [...(this.watchers ?? [])]) if (this.matches(w, obj)) w.onEvent({ type, object: obj });
  }
}
