import { SandboxCluster } from './cluster';
import { FaultOptions } from './faults';
import { KubeSphereEmulator, preinstallKubeSphere } from './kubesphere';
import { Scheduler } from './scheduler';
import { toYaml } from './yaml';

/** How to start a sandbox. */
export interface SandboxOptions {
  /** Cluster names, e.g. `['host', 'edge-1', 'branch-7']`; each gets its own API server. */
  readonly clusters: string[];
  /** The cluster that plays the KubeSphere host (tower). Default: the first. */
  readonly host?: string;
  /** First port; cluster i listens on port+i. 0 or unset: random free ports. */
  readonly port?: number;
  /** Pre-install KubeSphere's CRDs and namespaces and emulate its controllers. Default true. */
  readonly kubesphere?: boolean;
  /**
   * Clusters that start without KubeSphere (no KubeSphere CRDs, no `kubesphere-system`, no `kubesphere-secret`), as a
   * plain Kubernetes cluster: what ksfed meets when KubeSphere was never installed there. Default: none.
   */
  readonly withoutKubeSphere?: string[];
  /** Delay before a new CRD is Established and served. Default 50 ms. */
  readonly establishDelayMs?: number;
  /**
   * How long a new CRD's kind is still not served (404, and missing from discovery) once the CRD says Established,
   * as on a real API server, whose CRD handler and discovery learn of it a moment later (on an HA control plane,
   * each instance on its own). Default 0: served as it is Established.
   */
  readonly crdServeLagMs?: number;
  /** Delay before workloads report ready (and LoadBalancer Services get an address). Default 50 ms. */
  readonly rolloutDelayMs?: number;
  /**
   * Clusters whose LoadBalancer Services never get an address, as on a cluster without a cloud load-balancer
   * controller (bare metal without MetalLB, kind): the tower Service there stays `<pending>`. Default: none.
   */
  readonly withoutLoadBalancer?: string[];
  /**
   * Clusters whose pods cannot reach the host's tower: their `cluster-agent` runs but never connects (no
   * `AgentAvailable`), as behind a firewall or with a tower address not routable from there. Default: none.
   */
  readonly towerUnreachableFrom?: string[];
  /**
   * Clusters whose API server the host's KubeSphere cannot reach (ksfed still can): a direct `Cluster` pointing there
   * gets `Federated` False with a dial timeout as its reason. Default: none.
   */
  readonly unreachableFromHost?: string[];
  /** Delay of the KubeSphere reactions (tower, agent handshake, cluster controller, installer). Default 50 ms. */
  readonly kubesphereDelayMs?: number;
  /** Fault injection applied to every cluster (change per cluster with `SandboxCluster.setFaults`). */
  readonly faults?: FaultOptions;
  /**
   * Accept requests that carry no credentials. kubectl (client-go) sends bearer tokens only over TLS, so kubectl
   * against the plain-HTTP sandbox needs this; a wrong token is still refused with 401. Default false: a request
   * without `Authorization: Bearer <the cluster's token>` gets 401 (except /version and the health checks).
   */
  readonly anonymous?: boolean;
  /**
   * Emulate what nodes and a cloud provider do: workloads report ready after `rolloutDelayMs`, LoadBalancer Services
   * get an address. Default true. false: like a cluster without nodes or load balancer (the real fleet of the e2e
   * tests) — workloads keep the empty status they are created with, LoadBalancer Services get no address.
   */
  readonly readiness?: boolean;
  /** Keep each request's body in `SandboxCluster.requests` (for tests that replay or inspect traffic). Default false. */
  readonly recordBodies?: boolean;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * An in-memory emulator of the Kubernetes API: one plain-HTTP endpoint per cluster on 127.0.0.1, faithful on the
 * wire for what `ksfed` (client-node) and `kubectl apply --server-side`/`get`/`delete` use, plus the parts of
 * KubeSphere a federation applier depends on. It is a documented test double, not a cluster: no Pods, no
 * scheduling, no admission webhooks, no authorization beyond one bearer token per cluster.
 */
export class Sandbox {
  /** Starts every cluster; resolves when all of them listen. */
  public static async start(options: SandboxOptions): Promise<Sandbox> {
    const names = options.clusters;
    if (names.length === 0) throw new Error('Sandbox: at least one cluster name is required');
    for (const n of names) {
      if (!DNS_LABEL.test(n) || n.length > 63) throw new Error(`Sandbox: cluster name ${JSON.stringify(n)} is not a DNS-1123 label`);
    }
    if (new Set(names).size !== names.length) throw new Error(`Sandbox: duplicate cluster names in ${names.join(',')}`);
    const host = options.host ?? names[0];
    if (!names.includes(host)) throw new Error(`Sandbox: host ${JSON.stringify(host)} is not one of the clusters (${names.join(', ')})`);
    for (const [option, list] of [
      ['withoutKubeSphere', options.withoutKubeSphere], ['withoutLoadBalancer', options.withoutLoadBalancer],
      ['towerUnreachableFrom', options.towerUnreachableFrom], ['unreachableFromHost', options.unreachableFromHost],
    ] as const) {
      const unknown = (list ?? []).filter((n) => !names.includes(n));
      if (unknown.length > 0) throw new Error(`Sandbox: ${option} names ${unknown.join(', ')}, not one of the clusters (${names.join(', ')})`);
    }
    const clusters = names.map((name, index) => new SandboxCluster({
      name,
      index,
      establishDelayMs: options.establishDelayMs ?? 50,
      crdServeLagMs: options.crdServeLagMs,
      rolloutDelayMs: options.rolloutDelayMs ?? 50,
      loadBalancer: !(options.withoutLoadBalancer ?? []).includes(name),
      faults: options.faults ?? {},
      anonymous: options.anonymous ?? false,
      recordBodies: options.recordBodies ?? false,
      readiness: options.readiness ?? true,
    }));
    const sandbox = new Sandbox(clusters, host, options);
    try {
      for (let i = 0; i < clusters.length; i++) {
        await clusters[i].start(options.port ? options.port + i : 0);
        if ((options.kubesphere ?? true) && !(options.withoutKubeSphere ?? []).includes(clusters[i].name)) preinstallKubeSphere(clusters[i]);
      }
      sandbox.kubesphere?.start();
    } catch (e) {
      await sandbox.stop();
      throw e;
    }
    return sandbox;
  }

  /** The clusters, in the order given. */
  public readonly clusters: SandboxCluster[];
  /** The name of the cluster that plays the KubeSphere host. */
  public readonly host: string;
  private readonly scheduler = new Scheduler();
  private readonly kubesphere?: KubeSphereEmulator;

  private constructor(clusters: SandboxCluster[], host: string, options: SandboxOptions) {
    this.clusters = clusters;
    this.host = host;
    if (options.kubesphere ?? true) {
      const hostCluster = clusters.find((c) => c.name === host)!;
      this.kubesphere = new KubeSphereEmulator(hostCluster, clusters, this.scheduler, options.kubesphereDelayMs ?? 50, {
        towerUnreachableFrom: options.towerUnreachableFrom,
        unreachableFromHost: options.unreachableFromHost,
      });
    }
  }

  /** The cluster with that name (throws when there is none). */
  public cluster(name: string): SandboxCluster {
    const c = this.clusters.find((x) => x.name === name);
    if (!c) throw new Error(`Sandbox has no cluster ${JSON.stringify(name)} (clusters: ${this.clusters.map((x) => x.name).join(', ')})`);
    return c;
  }

  /**
   * A kubeconfig with one context per cluster (context name = cluster name), each with its own user and bearer
   * token; `insecure-skip-tls-verify` is set because the endpoints are plain HTTP (client-node 1.x requires it).
   * The current context is the host.
   */
  public kubeconfig(): any {
    return {
      'apiVersion': 'v1',
      'kind': 'Config',
      'clusters': this.clusters.map((c) => ({ name: c.name, cluster: { 'server': c.url, 'insecure-skip-tls-verify': true } })),
      'users': this.clusters.map((c) => ({ name: `${c.name}-admin`, user: { token: c.token } })),
      'contexts': this.clusters.map((c) => ({ name: c.name, context: { cluster: c.name, user: `${c.name}-admin` } })),
      'current-context': this.host,
      'preferences': {},
    };
  }

  /** The kubeconfig as YAML. */
  public kubeconfigYaml(): string {
    return toYaml(this.kubeconfig());
  }

  /** Stops every cluster and timer; nothing keeps the process alive afterwards. */
  public async stop(): Promise<void> {
    this.kubesphere?.stop();
    this.scheduler.stop();
    await Promise.all(this.clusters.map((c) => c.stop()));
  }
}
