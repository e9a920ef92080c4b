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
  /** The node the cluster starts with (when it emulates readiness): `<name>-node-1`. */
  public readonly nodeName: string;
  /** @internal */
  public readonly api: ObjectApi;
  /** @internal */
  public readonly crds: CrdController;
  /** @internal */
  public readonly scheduler = new Scheduler();
  private readonly faults: FaultInjector;
  private readonly server: ApiServer;
  private readonly controllers: Array<{ start(): void; stop(): void }>;
  private readonly readiness: boolean;
  private started = false;
  private version: string = KUBERNETES_VERSION.gitVersion;

  constructor(settings: ClusterSettings) {
    this.name = settings.name;
    this.nodeName = `${settings.name}-node-1`;
    this.readiness = settings.readiness ?? true;
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
    this.server = new ApiServer(this.api, this.token, this.faults, settings.anonymous ?? false, settings.recordBodies ?? false, () => this.version);
  }

  /** `http://127.0.0.1:<port>` (after start). */
  public get url(): string {
    return this.server.url;
  }

  /**
   * The address the other clusters' emulated KubeSphere controllers also reach this cluster at:
   * `http://<name>.sandbox.test:<port>`, as a host's KubeSphere reaches a member under a name routable from the host's
   * pods. Nothing outside the sandbox resolves it (`.test` is reserved): give it to a host (a direct member's
   * kubeconfig), and use `url` to talk to the cluster yourself.
   */
  public get advertisedUrl(): string {
    return this.server.url.replace('//127.0.0.1:', `//${this.name}.sandbox.test:`);
  }

  /** The Kubernetes version `/version` reports (default v1.26.15, the newest KubeSphere 3.4 supports). */
  public get kubernetesVersion(): string {
    return this.version;
  }

  /** Makes `/version` (and the node's kubelet) report another Kubernetes version from now on, e.g. `v1.18.20`. */
  public setKubernetesVersion(gitVersion: string): void {
    if (!/^v\d+\.\d+\.\d+/.test(gitVersion)) throw new Error(`SandboxCluster.setKubernetesVersion: ${JSON.stringify(gitVersion)} is not a version like v1.26.15`);
    this.version = gitVersion;
    const type = this.api.typeOf('v1', 'Node');
    const live = this.api.peek(type, undefined, this.nodeName);
    if (live) this.api.writeStatus(type, undefined, this.nodeName, { ...live.status, nodeInfo: { ...live.status?.nodeInfo, kubeletVersion: gitVersion } }, 'kubelet');
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
    if (this.readiness) {
      const type = this.api.typeOf('v1', 'Node');
      const { status, ...object } = node(this.nodeName, this.version);
      this.api.create(type, undefined, object, { fieldManager: 'kubelet' });
      this.api.writeStatus(type, undefined, this.nodeName, status, 'kubelet');
    }
  }
}

/**
 * A Ready node with 8 CPUs and 16Gi of memory allocatable (what the kubelet registers; change it with a status patch
 * to model a smaller cluster).
 */
function node(name: string, kubeletVersion: string): JsonObject {
  const resources = { 'cpu': '8', 'memory': '16Gi', 'pods': '110', 'ephemeral-storage': '100Gi' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' } },
    spec: {},
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }],
      nodeInfo: { kubeletVersion, operatingSystem: 'linux', architecture: 'amd64', containerRuntimeVersion: 'containerd://1.7.13' },
    },
  };
}
