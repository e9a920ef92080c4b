import { randomBytes } from 'crypto';
import { installBuiltinAdmission } from './admission';
import { ApiServer, RequestRecord } from './api-server';
import { CrdController } from './crds';
import { KUBERNETES_VERSION } from './discovery';
import { FaultInjector, FaultOptions } from './faults';
import { JsonObject } from './json';
import { LoadBalancerController } from './load-balancer';
import { NamespaceController } from './namespaces';
import { ObjectApi } from './object-api';
import { Random } from './random';
import { ResourceTypes } from './resource-types';
import { Scheduler } from './scheduler';
import { ObjectStore } from './store';
import { WorkloadController } from './workloads';

/** How one sandbox cluster is set up. */
export interface ClusterSettings {
  readonly name: string;
  /** Position of the cluster in the sandbox (spreads fake load-balancer addresses). */
  readonly index: number;
  readonly establishDelayMs: number;
  /** How long a new CRD's kind is still not served once it is Established (default 0; see `SandboxOptions.crdServeLagMs`). */
  readonly crdServeLagMs?: number;
  readonly rolloutDelayMs: number;
  /** Whether a load-balancer controller gives LoadBalancer Services an address (default true). */
  readonly loadBalancer?: boolean;
  readonly faults: FaultOptions;
  /** Accept requests without credentials (see `SandboxOptions.anonymous`). */
  readonly anonymous?: boolean;
  /** Emulate workload readiness and load-balancer addresses (default true; see `SandboxOptions.readiness`). */
  readonly readiness?: boolean;
  /** Keep request bodies in `requests` (see `SandboxOptions.recordBodies`). */
  readonly recordBodies?: boolean;
  /** How many changes watches can resume from (default 2000); older resourceVersions get 410 Expired. */
  readonly historyLimit?: number;
}

/**
 * One emulated cluster: an in-memory API server on its own 127.0.0.1 port, with its own bearer token, store,
 * controllers (CRDs, workload readiness, namespace defaults, load balancers) and fault injection.
 */
export class SandboxCluster {
  /** The cluster name (also its kubeconfig context name). */
  public readonly name: string;
  /** The bearer token the API server accepts. */
  public readonly token: string;
  /** The Kubernetes version reported by `/version`. */
  public readonly kubernetesVersion = KUBERNETES_VERSION.gitVersion;
  /** @internal */
  public readonly api: ObjectApi;
  /** @internal */
  public readonly crds: CrdController;
  /** @internal */
  public readonly scheduler = new Scheduler();
  private readonly faults: FaultInjector;
  private readonly server: ApiServer;
  private readonly controllers: Array<{ start(): void; stop(): void }>;
  private started = false;

  constructor(settings: ClusterSettings) {
    this.name = settings.name;
    this.token = randomBytes(24).toString('hex');
    const names = new Random(Random.seedOf(`names/${settings.name}`));
    this.api = new ObjectApi(new ObjectStore(settings.historyLimit), new ResourceTypes(), () => names.nameSuffix(5));
    let serviceIp = 10;
    installBuiltinAdmission(this.api, () => {
      const n = serviceIp++;
      return `10.96.${Math.floor(n / 256)}.${n % 256}`;
    });
    let lbIp = 10;
    this.crds = new CrdController(this.api, this.scheduler, settings.establishDelayMs, settings.crdServeLagMs ?? 0);
    this.controllers = [this.crds, new NamespaceController(this.api, this.scheduler, settings.rolloutDelayMs)];
    if (settings.readiness ?? true) {
      this.controllers.push(new WorkloadController(this.api, this.scheduler, settings.rolloutDelayMs));
      if (settings.loadBalancer ?? true) {
        this.controllers.push(new LoadBalancerController(this.api, this.scheduler, settings.rolloutDelayMs, () => `172.31.${settings.index % 256}.${lbIp++ % 256}`));
      }
    }
    this.faults = new FaultInjector(settings.faults);
    this.server = new ApiServer(this.api, this.token, this.faults, settings.anonymous ?? false, settings.recordBodies ?? false);
  }

  /** `http://127.0.0.1:<port>` (after start). */
  public get url(): string {
    return this.server.url;
  }

  /** Every request received so far, oldest first (method, path, query, status, fieldManager, dryRun, fault; body when recorded). */
  public get requests(): RequestRecord[] {
    return this.server.requests;
  }

  /** Forgets the recorded requests. */
  public clearRequests(): void {
    this.server.requests.length = 0;
  }

  /** The stored object (a deep copy), or undefined when it or its kind does not exist. */
  public get(apiVersion: string, kind: string, name: string, namespace?: string): any | undefined {
    const type = this.api.types.byKind(apiVersion, kind);
    return type ? this.api.find(type, namespace, name) : undefined;
  }

  /** Stored objects of a kind (deep copies, with apiVersion and kind), optionally in one namespace. */
  public list(apiVersion: string, kind: string, namespace?: string): any[] {
    const type = this.api.types.byKind(apiVersion, kind);
    if (!type) return [];
    return (this.api.list(type, namespace).items as JsonObject[]).map((o) => ({ apiVersion: type.group ? `${type.group}/${type.version}` : type.version, kind: type.kind, ...o }));
  }

  /** Replaces the fault options of this cluster (the PRNG restarts from their seed). */
  public setFaults(faults: FaultOptions): void {
    this.faults.set(faults);
  }

  /** Takes the cluster off the network (connections are reset) or brings it back. */
  public setDown(down: boolean): void {
    this.server.setDown(down);
  }

  /** @internal Bootstraps the built-in objects and starts listening. */
  public async start(port: number): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const c of this.controllers) c.start();
    this.bootstrap();
    await this.server.listen(port);
  }

  /** @internal Stops controllers, timers and the server. */
  public async stop(): Promise<void> {
    this.scheduler.stop();
    for (const c of this.controllers) c.stop();
    await this.server.close();
  }

  /** What every cluster has before anyone applies anything. */
  private bootstrap(): void {
    const nsType = this.api.typeOf('v1', 'Namespace');
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      this.api.create(nsType, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, { fieldManager: 'kube-apiserver' });
    }
    this.api.create(this.api.typeOf('v1', 'Service'), 'default', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: { type: 'ClusterIP', clusterIP: '10.96.0.1', ports: [{ name: 'https', protocol: 'TCP', port: 443, targetPort: 6443 }] },
    }, { fieldManager: 'kube-apiserver' });
  }
}
