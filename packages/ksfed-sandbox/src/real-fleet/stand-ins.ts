// Stand-ins for what a bare kube-apiserver fleet lacks and ksfed waits for: workload status (kubelet + the workload
// controllers), load-balancer addresses (a cloud controller), KubeSphere's tower and cluster controller, and the
// route from the API server to KubeFed's real admission webhook (kube-proxy). Each is a small controller over
// list/watch and patches against the real API servers. What is real and what is a stand-in: src/real-fleet/README.md.
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { BUILTIN_KINDS } from 'cdk8s-kubesphere-federation/lib/contract/kinds';
import { EgressProxy, egressSelectorConfiguration } from './egress-proxy';
import { Endpoint, freePorts, request, sleep } from './http';
import { Informer, InformerEvent } from './informer';
import { applyObject, getObject } from './objects';
import { FleetProcess, Processes, tail } from './processes';
import { WorkQueue } from './work-queue';
import {
  agentOf, AgentSeen, ClusterFacts, decodeKubeconfig, endpointPatch, handshake, joinKind, KUBESPHERE_SYSTEM,
  kubeconfigServer, notReadyPatch, placeholderKubeconfig, proxyService, proxyServiceName, proxyServiceOwner,
  readyPatch, staleProxyService, towerPatch, towerPort,
} from '../kubesphere';
import { readyStatus } from '../workloads';
import { parseJsonOrYaml, toYaml } from '../yaml';

/** The field managers the stand-ins write with: the component each stands in for, prefixed `stand-in-`. */
export const STAND_IN_MANAGERS = {
  workloads: 'stand-in-kube-controller-manager',
  loadBalancer: 'stand-in-cloud-controller-manager',
  tower: 'stand-in-tower',
  clusterController: 'stand-in-ks-controller-manager',
} as const;

/** The range load-balancer addresses come from: TEST-NET-1 (RFC 5737), reserved for documentation, never routed. */
export const LOAD_BALANCER_RANGE = '192.0.2.0/24';

/** The webhook binary (e2e/build.sh builds it). */
export const KUBEFED_WEBHOOK_BINARY = 'kubefed-webhook';

const KUBEFED_NS = 'kube-federation-system';
const WEBHOOK_DEPLOYMENT = 'kubefed-admission-webhook';
const WEBHOOK_SECRET = 'kubefed-admission-webhook-serving-cert';
const CLUSTERS_PATH = '/apis/cluster.kubesphere.io/v1alpha1/clusters';
/** The apps/v1 workloads whose status the stand-ins write, by kind: their plurals (the rollouts ksfed waits for). */
const WORKLOADS: Record<string, string> = Object.fromEntries(BUILTIN_KINDS.filter(k => k.readiness === 'rollout').map(k => [k.kind, k.plural]));
const RESYNC_MS = 5_000;
/** Workers of the cluster controller: KubeSphere's ks-controller-manager runs its cluster controller with 3. */
export const CLUSTER_WORKERS = 3;
/** The work-queue key of tower's clean-up of stale `mc-<cluster>` Services (Cluster names are DNS labels: never empty). */
const CLEANUP = '';

/** What the stand-ins need of the fleet. */
export interface StandInFleet {
  readonly clusters: string[];
  readonly host: string;
  readonly binDir: string;
  readonly workDir: string;
  endpoint(cluster: string): Endpoint;
  kubeconfig(current?: string, only?: string[]): any;
}

/** Per-cluster watches and the egress proxy. */
interface ClusterState {
  readonly name: string;
  readonly endpoint: Endpoint;
  readonly socketPath: string;
  readonly workloads: Map<string, Informer>;
  readonly services: Informer;
  /** Secrets and ConfigMaps of kubesphere-system (what an agent's `$(VAR)` references). */
  readonly ksSecrets: Informer;
  readonly ksConfigMaps: Informer;
  proxy?: EgressProxy;
}

/** The local KubeFed webhook: its process and the pod it plays. */
interface WebhookPod {
  readonly process: FleetProcess;
  readonly port: number;
  readonly remove: () => void;
  ready: boolean;
}

/**
 * The stand-ins of one fleet. `apiServerArgs` gives each kube-apiserver its egress configuration (before they
 * start); `start` starts the controllers once they serve; `stop` stops them and the webhook process.
 */
export class StandIns {
  /** What the stand-ins did or could not do, newest last (for test failures and the README's claims). */
  public readonly log: string[] = [];
  private readonly states = new Map<string, ClusterState>();
  private readonly inflight = new Set<string>();
  private readonly processes: Processes;
  private hostClusters?: Informer;
  private webhookSecrets?: Informer;
  private webhook?: WebhookPod;
  private webhookStarting = false;
  private nextIp = 10;
  private resync?: NodeJS.Timeout;
  private stopped = false;
  /** tower's ports handed out, by Cluster (reconciles run in parallel: two must not pick the same free port). */
  private readonly towerPorts = new Map<string, number>();
  /**
   * What reaching a member found (its facts; for a direct member, with the kubeconfig that reached it), by server or
   * by kubeconfig, kept for RESYNC_MS: a Cluster is reconciled on each of its own changes, and reading a member's
   * version and kube-system namespace again every time would only add load to the fleet. A failure is not kept.
   */
  private readonly reached = new Map<string, { at: number; endpoint: Endpoint; facts: ClusterFacts }>();
  /** The Cluster objects as the stand-ins' own last patch returned them (the watch may not have brought it yet). */
  private readonly written = new Map<string, any>();
  /** One reconcile per Cluster at a time, CLUSTER_WORKERS at once (`CLEANUP`: tower's clean-up). */
  private readonly queue = new WorkQueue(CLUSTER_WORKERS, (key) => this.reconcile(key), (key, e) => this.note(`host: Cluster ${key}: ${(e as Error).message}`));

  constructor(private readonly fleet: StandInFleet, private readonly options: { readonly kubefed: boolean }) {
    this.processes = new Processes(undefined);
  }

  /** kube-apiserver flags for `cluster`: its `cluster` egress goes through this fleet's proxy for that cluster. */
  public apiServerArgs(cluster: string): string[] {
    const dir = path.join(this.fleet.workDir, cluster);
    fs.mkdirSync(dir, { recursive: true });
    const config = path.join(dir, 'egress-selector.yaml');
    fs.writeFileSync(config, toYaml(egressSelectorConfiguration(this.socketPath(cluster))));
    return [`--egress-selector-config-file=${config}`];
  }

  /** The CONNECTs the egress proxy of `cluster` routed or refused (`ip:port: port N` or the reason). */
  public egressLog(cluster: string): string[] {
    return this.states.get(cluster)?.proxy?.log ?? [];
  }

  /** Starts every controller and waits for their first lists. */
  public async start(): Promise<void> {
    const webhookBin = path.join(this.fleet.binDir, KUBEFED_WEBHOOK_BINARY);
    if (!fs.existsSync(webhookBin)) {
      throw new Error(`RealFleet stand-ins: ${KUBEFED_WEBHOOK_BINARY} not found in ${this.fleet.binDir}. Fix: run 'bash e2e/build.sh ${KUBEFED_WEBHOOK_BINARY}' or set KSFED_E2E_BIN`);
    }
    const informers: Informer[] = [];
    for (const name of this.fleet.clusters) {
      const endpoint = this.fleet.endpoint(name);
      const workloads = new Map<string, Informer>();
      for (const [kind, plural] of Object.entries(WORKLOADS)) {
        workloads.set(kind, new Informer(endpoint, `/apis/apps/v1/${plural}`, (type, obj) => this.onWorkload(name, kind, type, obj)));
      }
      const state: ClusterState = {
        name,
        endpoint,
        socketPath: this.socketPath(name),
        workloads,
        services: new Informer(endpoint, '/api/v1/services', (type, obj) => this.onService(name, type, obj)),
        // (what an agent's `$(VAR)` references: tower's handshakes read them)
        ksSecrets: new Informer(endpoint, `/api/v1/namespaces/${KUBESPHERE_SYSTEM}/secrets`, () => this.enqueueProxies()),
        ksConfigMaps: new Informer(endpoint, `/api/v1/namespaces/${KUBESPHERE_SYSTEM}/configmaps`, () => this.enqueueProxies()),
      };
      this.states.set(name, state);
      informers.push(...workloads.values(), state.services, state.ksSecrets, state.ksConfigMaps);
      state.proxy = await EgressProxy.start(state.socketPath, () => state.services.list());
    }
    const host = this.fleet.endpoint(this.fleet.host);
    this.hostClusters = new Informer(host, CLUSTERS_PATH, (_type, obj) => {
      this.queue.add(obj.metadata.name);
      this.queue.add(CLEANUP);
    });
    this.webhookSecrets = new Informer(host, `/api/v1/namespaces/${KUBEFED_NS}/secrets`, (_type, obj) => {
      if (obj?.metadata?.name === WEBHOOK_SECRET) this.ensureWebhook();
    });
    informers.push(this.webhookSecrets);
    for (const i of [...informers, this.hostClusters]) i.start();
    // (the Cluster kind is served only once KubeSphere's CRDs are installed: that list may come later)
    await Promise.all(informers.map((i) => i.synced));
    this.resync = setInterval(() => this.enqueueAll(), RESYNC_MS);
    this.enqueueAll();
  }

  /** Stops the controllers, the egress proxies and the webhook process. */
  public async stop(): Promise<void> {
    this.stopped = true;
    this.queue.stop();
    if (this.resync) clearInterval(this.resync);
    this.hostClusters?.stop();
    this.webhookSecrets?.stop();
    for (const s of this.states.values()) {
      for (const i of [...s.workloads.values(), s.services, s.ksSecrets, s.ksConfigMaps]) i.stop();
      await s.proxy?.stop();
    }
    this.webhook?.remove();
    await this.processes.stopAll([], 5_000);
  }

  private socketPath(cluster: string): string {
    return path.join(this.fleet.workDir, cluster, 'egress.sock');
  }

  private note(message: string): void {
    this.log.push(`${new Date().toISOString()} ${message}`);
    if (this.log.length > 500) this.log.splice(0, this.log.length - 500);
  }

  // --- 1. workloads: the status kubelet and the workload controllers would report ---------------------------

  private onWorkload(cluster: string, kind: string, type: InformerEvent, obj: any): void {
    const { namespace, name } = obj.metadata;
    // (an agent's Deployment turning available is tower's cue)
    if (namespace === KUBESPHERE_SYSTEM) this.enqueueProxies();
    if (cluster === this.fleet.host && kind === 'Deployment' && namespace === KUBEFED_NS && name === WEBHOOK_DEPLOYMENT) this.ensureWebhook();
    if (type === 'DELETED' || obj.metadata.deletionTimestamp || obj.status?.observedGeneration === obj.metadata.generation) return;
    // The webhook's Deployment is available once the local webhook serves, as a pod's readiness probe would say.
    if (cluster === this.fleet.host && kind === 'Deployment' && namespace === KUBEFED_NS && name === WEBHOOK_DEPLOYMENT && !this.webhook?.ready) return;
    const key = `${cluster}/${kind}/${obj.metadata.uid}/${obj.metadata.generation}`;
    if (this.inflight.has(key)) return;
    this.inflight.add(key);
    const at = `/apis/apps/v1/namespaces/${namespace}/${WORKLOADS[kind]}/${name}/status`;
    void this.patch(cluster, at, { status: readyStatus(kind, obj) }, STAND_IN_MANAGERS.workloads)
      .then(() => this.note(`${cluster}: ${kind} ${namespace}/${name} generation ${obj.metadata.generation} reported available`))
      .catch((e) => this.note(`${cluster}: ${kind} ${namespace}/${name}: status not written: ${(e as Error).message}`))
      .finally(() => this.inflight.delete(key));
  }

  // --- 2. load balancers: an address from the documentation range --------------------------------------------

  private onService(cluster: string, type: InformerEvent, svc: any): void {
    if (cluster === this.fleet.host && svc.metadata.namespace === KUBESPHERE_SYSTEM) {
      this.enqueueProxies();
      this.queue.add(CLEANUP);
    }
    if (type === 'DELETED' || svc.spec?.type !== 'LoadBalancer' || (svc.status?.loadBalancer?.ingress ?? []).length > 0) return;
    const key = `${cluster}/lb/${svc.metadata.uid}`;
    if (this.inflight.has(key)) return;
    this.inflight.add(key);
    const ip = `192.0.2.${this.nextIp++ % 245 + 10}`;
    const at = `/api/v1/namespaces/${svc.metadata.namespace}/services/${svc.metadata.name}/status`;
    void this.patch(cluster, at, { status: { loadBalancer: { ingress: [{ ip }] } } }, STAND_IN_MANAGERS.loadBalancer)
      .then(() => this.note(`${cluster}: Service ${svc.metadata.namespace}/${svc.metadata.name} got load-balancer address ${ip}`))
      .catch((e) => {
        this.inflight.delete(key);
        this.note(`${cluster}: Service ${svc.metadata.namespace}/${svc.metadata.name}: no address written: ${(e as Error).message}`);
      });
  }

  // --- 3. KubeSphere: tower and the cluster controller, on the host ------------------------------------------

  // As KubeSphere's controllers do, each Cluster is reconciled on its own when something it depends on changes (its
  // own object; for agent Clusters, the agents and tower's Services), by CLUSTER_WORKERS workers, and every Cluster
  // again every RESYNC_MS.

  /** Every Cluster, and tower's clean-up. */
  private enqueueAll(): void {
    for (const c of this.hostClusters?.list() ?? []) this.queue.add(c.metadata.name);
    this.queue.add(CLEANUP);
  }

  /** The agent (proxy) Clusters: what tower's handshakes read changed. */
  private enqueueProxies(): void {
    for (const c of this.hostClusters?.list() ?? []) if (joinKind(c) === 'proxy') this.queue.add(c.metadata.name);
  }

  private async reconcile(key: string): Promise<void> {
    if (key === CLEANUP) {
      await this.cleanupProxyServices();
      return;
    }
    const seen = this.hostClusters?.get(undefined, key);
    if (!seen) {
      this.towerPorts.delete(key);
      this.written.delete(key);
      return;
    }
    // (a reconcile must not act on a state older than its own last write: tower would hand out a second token)
    const mine = this.written.get(key);
    const fresher = mine?.metadata?.uid === seen.metadata?.uid && Number(mine.metadata.resourceVersion) > Number(seen.metadata?.resourceVersion);
    await this.reconcileCluster(fresher ? mine : seen);
  }

  private async reconcileCluster(cluster: any): Promise<void> {
    const name: string = cluster.metadata.name;
    const host = this.states.get(this.fleet.host)!;
    const labels = cluster.metadata.labels ?? {};
    const managedHost = labels['cluster-role.kubesphere.io/host'] === '' && labels['kubesphere.io/managed'] === 'true';
    switch (joinKind(cluster)) {
      case 'proxy': {
        // tower: the mc-<cluster> Service, token, endpoints, ports, Initialized
        const handedOut = [...this.towerPorts].filter(([n]) => n !== name).map(([, p]) => ({ spec: { connection: { kubernetesAPIServerPort: p } } }));
        const port = towerPort(cluster, [...this.hostClusters!.list(), ...handedOut], (n) => Math.floor(Math.random() * n));
        this.towerPorts.set(name, port);
        let svc = host.services.get(KUBESPHERE_SYSTEM, proxyServiceName(name));
        if (!svc) svc = await this.create(this.fleet.host, `/api/v1/namespaces/${KUBESPHERE_SYSTEM}/services`, proxyService(name, port), STAND_IN_MANAGERS.tower);
        const init = towerPatch(cluster, svc.spec.clusterIP, port, () => randomBytes(32).toString('hex'));
        if (init) cluster = await this.patchCluster(name, init, STAND_IN_MANAGERS.tower);
        // tower's handshake with the agents running on the members (no tunnel: see the README)
        const agents: AgentSeen[] = [];
        for (const s of this.states.values()) {
          if (s.name === this.fleet.host) continue;
          const deploy = s.workloads.get('Deployment')!.get(KUBESPHERE_SYSTEM, 'cluster-agent');
          const agent = deploy && agentOf(deploy, {
            secret: (n) => s.ksSecrets.get(KUBESPHERE_SYSTEM, n),
            configMap: (n) => s.ksConfigMaps.get(KUBESPHERE_SYSTEM, n),
          });
          if (agent) agents.push({ cluster: s.name, agent });
        }
        const outcome = handshake(cluster, agents, (server) => placeholderKubeconfig(name, server, `stand-in-tower-placeholder-${randomBytes(8).toString('hex')}`));
        if (outcome.patch) cluster = await this.patchCluster(name, outcome.patch, STAND_IN_MANAGERS.tower);
        if (outcome.connected) {
          const member = this.fleet.endpoint(outcome.connected);
          await this.markReady(cluster, await this.facts(member), member);
        } else if (outcome.disconnected) {
          await this.markNotReady(cluster, outcome.disconnected);
        }
        return;
      }
      case 'managed-host':
      case 'direct': {
        if (managedHost) {
          // The host's own Cluster: ks-controller-manager writes its in-cluster kubeconfig and reads the facts in-cluster.
          if (!cluster.spec?.connection?.kubeconfig) {
            const kubernetes = host.services.get('default', 'kubernetes');
            const server = `https://${kubernetes?.spec?.clusterIP ?? '10.96.0.1'}:443`;
            cluster = await this.patchCluster(name, {
              spec: { connection: { kubeconfig: placeholderKubeconfig(name, server, `stand-in-in-cluster-placeholder-${randomBytes(8).toString('hex')}`) } },
            }, STAND_IN_MANAGERS.clusterController);
          }
          const self = this.fleet.endpoint(this.fleet.host);
          await this.markReady(cluster, await this.facts(self), self);
          return;
        }
        const text = decodeKubeconfig(cluster);
        if (text === undefined) return;
        const reached = await this.reachWithKubeconfig(text);
        if ('problem' in reached) {
          await this.markNotReady(cluster, reached.problem);
          return;
        }
        const endpoint = endpointPatch(cluster, reached.endpoint.server);
        if (endpoint) cluster = await this.patchCluster(name, endpoint, STAND_IN_MANAGERS.clusterController);
        await this.markReady(cluster, reached.facts, reached.endpoint);
        return;
      }
      default:
    }
  }

  private async markReady(cluster: any, facts: ClusterFacts, member: Endpoint): Promise<void> {
    const patch = readyPatch(cluster, facts);
    if (patch) cluster = await this.patchCluster(cluster.metadata.name, patch, STAND_IN_MANAGERS.clusterController);
    if (this.options.kubefed) await this.joinKubeFed(cluster, member);
  }

  private async markNotReady(cluster: any, message: string): Promise<void> {
    const patch = notReadyPatch(cluster, message);
    if (patch) await this.patchCluster(cluster.metadata.name, patch, STAND_IN_MANAGERS.clusterController);
  }

  /** The member's Kubernetes version and kube-system uid, read through `endpoint` (or as read less than RESYNC_MS ago). */
  private async facts(endpoint: Endpoint): Promise<ClusterFacts> {
    const known = this.recall(`server ${endpoint.server}`);
    if (known) return known.facts;
    const version = JSON.parse((await this.mustGet(endpoint, '/version')).body);
    const kubeSystem = JSON.parse((await this.mustGet(endpoint, '/api/v1/namespaces/kube-system')).body);
    const facts = { kubernetesVersion: version.gitVersion, uid: kubeSystem.metadata.uid };
    this.reached.set(`server ${endpoint.server}`, { at: Date.now(), endpoint, facts });
    return facts;
  }

  /** What reaching a member found less than RESYNC_MS ago under `key`, if anything. */
  private recall(key: string): { endpoint: Endpoint; facts: ClusterFacts } | undefined {
    const known = this.reached.get(key);
    return known && Date.now() - known.at < RESYNC_MS ? known : undefined;
  }

  private async mustGet(endpoint: Endpoint, at: string): Promise<{ status: number; body: string }> {
    const reply = await request(endpoint, 'GET', at);
    if (reply.status !== 200) throw new Error(`GET ${endpoint.server}${at}: HTTP ${reply.status}`);
    return reply;
  }

  /**
   * The cluster controller's check of a direct member: the kubeconfig's own server, CA and token, used for real
   * (`/version` and the kube-system namespace). A refusal or an unreachable server is the problem `Ready` reports.
   */
  private async reachWithKubeconfig(text: string): Promise<{ endpoint: Endpoint; facts: ClusterFacts } | { problem: string }> {
    const known = this.recall(`kubeconfig ${text}`);
    if (known) return known;
    let kc: any;
    try {
      kc = parseJsonOrYaml(text);
    } catch (e) {
      return { problem: `the kubeconfig cannot be parsed: ${(e as Error).message}` };
    }
    const context = (kc?.contexts ?? []).find((c: any) => c.name === kc['current-context']) ?? kc?.contexts?.[0];
    const cluster = (kc?.clusters ?? []).find((c: any) => c.name === context?.context?.cluster)?.cluster ?? kc?.clusters?.[0]?.cluster;
    const user = (kc?.users ?? []).find((u: any) => u.name === context?.context?.user)?.user ?? kc?.users?.[0]?.user ?? {};
    const server: string | undefined = cluster?.server ?? kubeconfigServer(text);
    if (!server) return { problem: 'the kubeconfig names no server' };
    const endpoint: Endpoint = {
      server,
      ca: cluster?.['certificate-authority-data'] ? Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8') : '',
      token: user.token ?? '',
    };
    try {
      const version = await request(endpoint, 'GET', '/version');
      if (version.status === 401) return { problem: `Unauthorized: the kubeconfig's credentials are not accepted by ${server}` };
      if (version.status !== 200) return { problem: `GET ${server}/version: HTTP ${version.status}` };
      const ns = await request(endpoint, 'GET', '/api/v1/namespaces/kube-system');
      if (ns.status === 401 || ns.status === 403) return { problem: `Unauthorized: the kubeconfig's credentials may not read kube-system on ${server} (HTTP ${ns.status})` };
      if (ns.status !== 200) return { problem: `GET ${server}/api/v1/namespaces/kube-system: HTTP ${ns.status}` };
      const facts = { kubernetesVersion: JSON.parse(version.body).gitVersion, uid: JSON.parse(ns.body).metadata.uid };
      this.reached.set(`kubeconfig ${text}`, { at: Date.now(), endpoint, facts });
      return { endpoint, facts };
    } catch (e) {
      return { problem: `cannot reach ${server}: ${(e as Error).message}` };
    }
  }

  /**
   * KubeSphere's join (only when KubeFed runs): a KubeFedCluster `<cluster>` (server, CA, the Cluster's labels) and
   * its Secret `<cluster>-secret` in kube-federation-system on the host. One the launcher joined already (it joins
   * every fleet cluster with a member ServiceAccount's token, as KubeSphere does) only gets the Cluster's labels;
   * a new one gets the credentials that reached the member (KubeSphere would make a ServiceAccount there).
   */
  private async joinKubeFed(cluster: any, member: Endpoint): Promise<void> {
    const name: string = cluster.metadata.name;
    const host = this.fleet.endpoint(this.fleet.host);
    const at = `/apis/core.kubefed.io/v1beta1/namespaces/${KUBEFED_NS}/kubefedclusters/${name}`;
    const labels = cluster.metadata.labels ?? {};
    const existing = await getObject(host, at);
    if (existing) {
      if (JSON.stringify(existing.metadata.labels ?? {}) !== JSON.stringify(labels)) {
        const body = { metadata: { labels: { ...nulls(existing.metadata.labels), ...labels } } };
        await this.patch(this.fleet.host, at, body, STAND_IN_MANAGERS.clusterController);
      }
      return;
    }
    await applyObject(host, {
      apiVersion: 'v1', kind: 'Secret', metadata: { name: `${name}-secret`, namespace: KUBEFED_NS }, stringData: { token: member.token },
    }, STAND_IN_MANAGERS.clusterController);
    await applyObject(host, {
      apiVersion: 'core.kubefed.io/v1beta1',
      kind: 'KubeFedCluster',
      metadata: { name, namespace: KUBEFED_NS, labels },
      spec: { apiEndpoint: member.server, caBundle: Buffer.from(member.ca).toString('base64'), secretRef: { name: `${name}-secret` } },
    }, STAND_IN_MANAGERS.clusterController);
    this.note(`host: KubeFedCluster ${name} joined (${member.server})`);
  }

  /** tower deletes `mc-<cluster>` when its Cluster is gone or no longer a joined proxy cluster. */
  private async cleanupProxyServices(): Promise<void> {
    const host = this.states.get(this.fleet.host)!;
    if (!this.hostClusters) return;
    for (const svc of host.services.list()) {
      const owner = svc.metadata.namespace === KUBESPHERE_SYSTEM ? proxyServiceOwner(svc) : undefined;
      if (owner === undefined || !staleProxyService(this.hostClusters.get(undefined, owner))) continue;
      await request(this.fleet.endpoint(this.fleet.host), 'DELETE', `/api/v1/namespaces/${KUBESPHERE_SYSTEM}/services/${svc.metadata.name}`);
      this.note(`host: tower deleted Service ${KUBESPHERE_SYSTEM}/${svc.metadata.name}`);
    }
  }

  // --- 4. KubeFed's admission webhook: the real one, run locally, reached through the egress proxy -------------

  /**
   * When the host has the webhook's Deployment and its serving-cert Secret: writes the certificate where the
   * webhook reads it (kept current), starts KubeFed's webhook on a local port once, and makes it the pod behind
   * the Service (the egress proxy routes the Service's ClusterIP to it). Stops it when the Deployment goes.
   */
  private ensureWebhook(): void {
    const host = this.states.get(this.fleet.host);
    if (!host || this.stopped) return;
    const deploy = host.workloads.get('Deployment')!.get(KUBEFED_NS, WEBHOOK_DEPLOYMENT);
    const secret = this.webhookSecrets?.get(KUBEFED_NS, WEBHOOK_SECRET);
    const certDir = path.join(this.fleet.workDir, this.fleet.host, 'kubefed-webhook-certs');
    if (!deploy || deploy.metadata.deletionTimestamp) {
      if (this.webhook) {
        this.webhook.remove();
        this.webhook.process.child.kill('SIGTERM');
        this.webhook = undefined;
        this.note('host: KubeFed webhook stopped (its Deployment is gone)');
      }
      return;
    }
    const crt = secret?.data?.['tls.crt'];
    const key = secret?.data?.['tls.key'];
    if (typeof crt !== 'string' || typeof key !== 'string') return;
    fs.mkdirSync(certDir, { recursive: true });
    for (const [file, data] of [['tls.crt', crt], ['tls.key', key]]) {
      const text = Buffer.from(data, 'base64').toString('utf8');
      const target = path.join(certDir, file);
      if (!fs.existsSync(target) || fs.readFileSync(target, 'utf8') !== text) fs.writeFileSync(target, text, { mode: 0o600 });
    }
    if (this.webhook || this.webhookStarting) return;
    this.webhookStarting = true;
    void this.startWebhook(deploy, certDir).finally(() => this.webhookStarting = false);
  }

  private async startWebhook(deploy: any, certDir: string): Promise<void> {
    const [port] = await freePorts(1);
    const kubeconfig = path.join(this.fleet.workDir, this.fleet.host, 'kubefed-webhook.kubeconfig');
    fs.writeFileSync(kubeconfig, toYaml(this.fleet.kubeconfig(this.fleet.host, [this.fleet.host])), { mode: 0o600 });
    const logFile = path.join(this.fleet.workDir, 'logs', `${this.fleet.host}.kubefed-webhook.log`);
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
    const proc = this.processes.spawn(`${this.fleet.host}/kubefed-webhook`, path.join(this.fleet.binDir, KUBEFED_WEBHOOK_BINARY), [
      `--kubeconfig=${kubeconfig}`, `--cert-dir=${certDir}`, '--host=127.0.0.1', `--secure-port=${port}`, '-v=2',
    ], logFile);
    // The pod the Service selects: its template's labels, its container ports served by the local port.
    const ports: Record<string, number> = {};
    for (const c of deploy.spec?.template?.spec?.containers ?? []) {
      for (const p of c.ports ?? []) {
        ports[String(p.containerPort)] = port;
        if (p.name) ports[p.name] = port;
      }
    }
    const remove = this.states.get(this.fleet.host)!.proxy!.addPod({
      namespace: KUBEFED_NS, labels: deploy.spec?.template?.metadata?.labels ?? {}, ports,
    });
    const pod: WebhookPod = { process: proc, port, remove, ready: false };
    this.webhook = pod;
    this.note(`host: KubeFed webhook starting on 127.0.0.1:${port}`);
    const deadline = Date.now() + 60_000;
    while (!this.stopped && Date.now() < deadline) {
      if (!proc.alive()) {
        this.note(`host: KubeFed webhook exited (${await proc.exited}): ${tail(logFile, 10)}`);
        remove();
        if (this.webhook === pod) this.webhook = undefined;
        return;
      }
      if (await serves(port)) {
        pod.ready = true;
        this.note(`host: KubeFed webhook serving on 127.0.0.1:${port}`);
        const live = this.states.get(this.fleet.host)!.workloads.get('Deployment')!.get(KUBEFED_NS, WEBHOOK_DEPLOYMENT);
        if (live) this.onWorkload(this.fleet.host, 'Deployment', 'MODIFIED', live);
        return;
      }
      await sleep(100);
    }
  }

  // --- requests ----------------------------------------------------------------------------------------------

  private async patch(cluster: string, at: string, body: any, manager: string): Promise<any> {
    const reply = await request(this.fleet.endpoint(cluster), 'PATCH', `${at}?fieldManager=${manager}`, JSON.stringify(body), 'application/merge-patch+json');
    if (reply.status !== 200) throw new Error(`PATCH ${at}: HTTP ${reply.status}: ${serverMessage(reply.body)}`);
    return JSON.parse(reply.body);
  }

  private async patchCluster(name: string, body: any, manager: string): Promise<any> {
    const updated = await this.patch(this.fleet.host, `${CLUSTERS_PATH}/${name}`, body, manager);
    this.written.set(name, updated);
    this.note(`host: Cluster ${name} patched by ${manager}: ${summarize(body)}`);
    return updated;
  }

  private async create(cluster: string, at: string, body: any, manager: string): Promise<any> {
    const reply = await request(this.fleet.endpoint(cluster), 'POST', `${at}?fieldManager=${manager}`, JSON.stringify(body));
    if (reply.status !== 201) throw new Error(`POST ${at}: HTTP ${reply.status}: ${serverMessage(reply.body)}`);
    this.note(`${cluster}: ${body.kind} ${body.metadata.namespace ?? ''}/${body.metadata.name} created by ${manager}`);
    return JSON.parse(reply.body);
  }
}

/** Every key of `labels` set to null (a merge patch that removes them, unless set again). */
function nulls(labels: Record<string, string> | undefined): Record<string, null> {
  return Object.fromEntries(Object.keys(labels ?? {}).map((k) => [k, null]));
}

function serverMessage(body: string): string {
  try {
    return JSON.parse(body).message ?? body;
  } catch {
    return body;
  }
}

/** The condition types and spec fields a patch sets (no values: kubeconfigs and tokens stay out of the log). */
function summarize(body: any): string {
  const parts = [
    ...Object.keys(body.spec?.connection ?? {}).map((k) => `spec.connection.${k}`),
    ...(body.status?.conditions ?? []).map((c: any) => `${c.type}=${c.status}`),
  ];
  return parts.join(', ') || 'status';
}

/** Whether a TLS server accepts connections on 127.0.0.1:port (a handshake, not a certificate check). */
function serves(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
    socket.setTimeout(500, () => {
      socket.destroy();
      resolve(false);
    });
  });
}
