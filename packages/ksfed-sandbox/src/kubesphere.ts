import { randomBytes } from 'crypto';
import { kubesphereCrds } from 'cdk8s-kubesphere-federation/lib/crds/kubesphere';
import { CrdController } from './crds';
import { clone, deepEqual, isPlainObject, JsonObject, nowRfc3339, stableStringify } from './json';
import { ObjectApi } from './object-api';
import { Random } from './random';
import { ResourceType } from './resource-types';
import { Scheduler } from './scheduler';
import { StoreEvent } from './store';
import { parseJsonOrYaml, toYaml } from './yaml';

/** The namespace KubeSphere's own components live in. */
export const KUBESPHERE_SYSTEM = 'kubesphere-system';
/** Field manager of the emulated tower proxy. */
export const TOWER = 'tower';
/** Field manager of the emulated ks-controller-manager (cluster controller). */
export const KS_CONTROLLER_MANAGER = 'ks-controller-manager';
/** Field manager of the emulated ks-installer. */
export const KS_INSTALLER = 'ks-installer';

/** The ConfigMap KubeSphere's components run with (data key `kubesphere.yaml`), rendered by ks-installer. */
export const KUBESPHERE_CONFIG = 'kubesphere-config';
/** The KubeSphere version the sandbox's installation reports (ks-apiserver's image tag and `version` label). */
export const KUBESPHERE_VERSION = 'v3.4.1';

const HOST_LABEL = 'cluster-role.kubesphere.io/host';
const MANAGED_LABEL = 'kubesphere.io/managed';
const CLUSTER_API = 'cluster.kubesphere.io/v1alpha1';

/** What the KubeSphere emulation needs of a sandbox cluster. */
export interface KubeSphereCluster {
  readonly name: string;
  readonly url: string;
  /** Another address the host's controllers reach the cluster at (the sandbox's `advertisedUrl`). */
  readonly advertisedUrl?: string;
  readonly token: string;
  readonly api: ObjectApi;
  readonly crds: CrdController;
  readonly kubernetesVersion: string;
}

/**
 * What a KubeSphere v3.4 installation (ks-installer) leaves on every cluster before anything is applied: its CRDs
 * (the library's own definitions), namespaces `kubesphere-system` and `kubesphere-controls-system` (labelled into the
 * system workspace), ServiceAccount `kubesphere` in `kubesphere-system`, the Secret `kubesphere-secret` in
 * `kubesphere-system` holding the cluster's random JWT secret (key `secret`: what ks-installer generates when the
 * ClusterConfiguration leaves `authentication.jwtSecret` empty, and what `JwtSecret.fromHostCluster()` reads), and
 * KubeSphere's API server: Deployment and Service `ks-apiserver` in `kubesphere-system` (image and `version` label
 * v3.4.1; a direct member's host reaches it through the member's kube-apiserver service proxy). The sandbox and the
 * real fleet (src/real-fleet) both install this, with field manager `ks-installer`.
 */
export function kubesphereInstallation(): { readonly crds: any[]; readonly objects: JsonObject[] } {
  const namespaces = [KUBESPHERE_SYSTEM, 'kubesphere-controls-system'].map((name) => ({
    apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubesphere.io/workspace': 'system-workspace' } },
  }));
  return {
    crds: kubesphereCrds(),
    objects: [
      ...namespaces,
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'kubesphere', namespace: KUBESPHERE_SYSTEM } },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'Opaque',
        metadata: { name: 'kubesphere-secret', namespace: KUBESPHERE_SYSTEM },
        data: { secret: Buffer.from(randomBytes(24).toString('base64url')).toString('base64') },
      },
      ...ksApiServer(),
    ],
  };
}

/** ks-installer's `ks-apiserver` Deployment and Service (roles/ks-core/ks-core/files/ks-core/templates/ks-apiserver.yml). */
function ksApiServer(): JsonObject[] {
  const labels = { app: 'ks-apiserver', tier: 'backend' };
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'ks-apiserver', namespace: KUBESPHERE_SYSTEM, labels: { ...labels, version: KUBESPHERE_VERSION } },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: 'kubesphere',
            containers: [{
              name: 'ks-apiserver',
              image: `kubesphere/ks-apiserver:${KUBESPHERE_VERSION}`,
              command: ['ks-apiserver', '--logtostderr=true'],
              ports: [{ containerPort: 9090, protocol: 'TCP' }],
              resources: { requests: { cpu: '20m', memory: '100Mi' }, limits: { cpu: '1', memory: '1Gi' } },
            }],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'ks-apiserver', namespace: KUBESPHERE_SYSTEM, labels: { ...labels, version: KUBESPHERE_VERSION } },
      spec: { type: 'ClusterIP', selector: labels, ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 9090 }] },
    },
  ];
}

/**
 * The `kubesphere-config` ConfigMap ks-installer renders (data `kubesphere.yaml`), reduced to what a federation
 * depends on: `authentication.jwtSecret` (the value of `kubesphere-secret`), `authentication.oauthOptions`
 * (`accessTokenMaxAge: 0` on a member) and `multicluster` (`clusterRole`, `enable`, the host's
 * `proxyPublishAddress` and `hostClusterName`, and `clusterName`, which the host's cluster controller writes).
 * From kubesphere/ks-installer@v3.4.1:roles/ks-core/config/templates/kubesphere-config.yaml.j2.
 */
export function kubesphereConfig(settings: JsonObject): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: KUBESPHERE_CONFIG, namespace: KUBESPHERE_SYSTEM },
    data: { 'kubesphere.yaml': toYaml(settings) },
  };
}

/** The settings of a `kubesphere-config` ConfigMap (`kubesphere.yaml` parsed), or undefined when it has none. */
export function configSettings(cm: JsonObject | undefined): JsonObject | undefined {
  const text = cm?.data?.['kubesphere.yaml'];
  if (typeof text !== 'string') return undefined;
  try {
    const parsed = parseJsonOrYaml(text);
    return isPlainObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Installs `kubesphereInstallation()` into a sandbox cluster (CRDs established at once), and the `kubesphere-config`
 * ks-installer renders for a cluster not yet in a federation (`clusterRole: none`, the jwtSecret of its
 * `kubesphere-secret`). The real fleet leaves the ConfigMap out: nothing there re-renders it as ks-installer does (the
 * sandbox's emulated ks-installer does, see `installerConfig`).
 */
export function preinstallKubeSphere(cluster: KubeSphereCluster): void {
  const installation = kubesphereInstallation();
  for (const crd of installation.crds) cluster.crds.install(crd, KS_INSTALLER);
  for (const obj of installation.objects) {
    cluster.api.create(cluster.api.typeOf(obj.apiVersion, obj.kind), obj.metadata.namespace, obj, { fieldManager: KS_INSTALLER });
  }
  const secret = installation.objects.find((o) => o.kind === 'Secret')!;
  const settings = { authentication: { jwtSecret: Buffer.from(secret.data.secret, 'base64').toString('utf8') }, multicluster: { clusterRole: 'none' } };
  cluster.api.create(cluster.api.typeOf('v1', 'ConfigMap'), KUBESPHERE_SYSTEM, kubesphereConfig(settings), { fieldManager: KS_INSTALLER });
}

/** What keeps KubeSphere from joining some members: parts of the network that do not get through. */
export interface KubeSphereNetwork {
  /**
   * Clusters whose pods cannot reach the host's tower (egress blocked, a tower address not routable from there): their
   * `cluster-agent` runs, but never connects, so their proxy `Cluster` gets no `AgentAvailable` (as with real tower,
   * which writes the condition only once an agent has connected).
   */
  readonly towerUnreachableFrom?: string[];
  /**
   * Clusters whose API server the host's KubeSphere cannot reach (an address only the workstation reaches, a
   * firewall): a direct `Cluster` pointing there gets `Federated` False with the dial error as its reason, as the
   * cluster controller of v3.4.1 writes a failed join.
   */
  readonly unreachableFromHost?: string[];
}

/**
 * KubeSphere's controllers, as far as a federation applier depends on them. Every reaction comes `delayMs` after the
 * change that triggers it, and is written with the field manager of the component that owns it in KubeSphere.
 *
 * On the host cluster:
 * - tower, for each `Cluster` with `connection.type: proxy` and `joinFederation: true`: generates a 64-hex token when
 *   `connection.token` is empty, allocates ports (6000-7000, +10000), creates Service `mc-<cluster>` in
 *   kubesphere-system and sets the endpoints to its ClusterIP, and condition `Initialized`; deletes `mc-<cluster>`
 *   when the Cluster goes away or stops being a joined proxy cluster;
 * - tower, agent handshake: when a member cluster runs an available Deployment `cluster-agent` in kubesphere-system
 *   whose container command/args hold `--name=<cluster>` and `--token=<T>` (T literal or `$(VAR)` from the
 *   container's env: `value`, or `valueFrom.secretKeyRef`/`configMapKeyRef` in the same namespace), and the host
 *   `Cluster` has that token: `connection.kubeconfig` (a fake kubeconfig, base64), `AgentAvailable`; a wrong token
 *   sets `AgentAvailable` False with the reason in its message; an agent that goes away sets it False again;
 * - ks-controller-manager: `Federated` and `Ready` True, `kubernetesVersion`, `kubeSphereVersion`, `nodeCount`, `uid`
 *   for connected proxy clusters and for direct clusters with `joinFederation: true` and a base64 kubeconfig (when
 *   that kubeconfig points at a sandbox cluster, its token must be that cluster's, else `Ready` is False with
 *   `Unauthorized`; a cluster of `unreachableFromHost` gets `Federated` False with a dial error); a Cluster labelled
 *   host and `kubesphere.io/managed: "true"` gets an in-cluster kubeconfig. Its join pre-check: a member holding a
 *   KubeFed-managed Workspace that the host's FederatedWorkspace of the same name does not place there is not
 *   joined (`Federated` False, see workspaceConflicts).
 * - ks-controller-manager also writes the name of a Cluster it made Ready into `multicluster.clusterName` of that
 *   cluster's `kubesphere-config` (a member's, or the host's own for the managed host Cluster).
 * On every cluster:
 * - ks-installer: a ClusterConfiguration `ks-installer` in kubesphere-system gets `status.core.status: enabled`, and
 *   `status.multicluster.status: enabled` when `spec.multicluster.clusterRole` is `host`; whenever the
 *   ClusterConfiguration's spec changes (not when `kubesphere-secret` alone does), it sets `kubesphere-secret` to the
 *   jwtSecret the spec asks for and renders `kubesphere-config` from both (`installerConfig`). A cluster without a
 *   ClusterConfiguration counts as one with an empty spec (ks-installer's defaults, `clusterRole: none`). A change
 *   made to `kubesphere-config` by hand stays until an input changes, as on a real cluster.
 *
 * Conditions live in `status` (the Cluster CRD has no status subresource in v3.4.1).
 */
export class KubeSphereEmulator {
  private readonly unsubscribe: Array<() => void> = [];
  private readonly random: Random;
  /** Per cluster, the ClusterConfiguration spec ks-installer last ran for. */
  private readonly rendered = new Map<string, string>();

  constructor(
    private readonly host: KubeSphereCluster,
    private readonly clusters: KubeSphereCluster[],
    private readonly scheduler: Scheduler,
    private readonly delayMs: number,
    private readonly network: KubeSphereNetwork = {},
  ) {
    this.random = new Random(Random.seedOf(`kubesphere/${host.name}`));
  }

  /** Starts reacting to changes in every cluster. */
  public start(): void {
    for (const c of this.clusters) {
      this.unsubscribe.push(c.api.store.subscribe((e) => {
        if (this.relevant(c, e)) this.scheduler.schedule('kubesphere', this.delayMs, () => this.reconcile());
      }));
    }
  }

  /** Stops reacting. */
  public stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }

  private relevant(c: KubeSphereCluster, e: StoreEvent): boolean {
    if (e.resource === 'installer.kubesphere.io/clusterconfigurations') return true;
    if (c === this.host && ['cluster.kubesphere.io/clusters', 'types.kubefed.io/federatedworkspaces'].includes(e.resource)) return true;
    if (e.resource === 'tenant.kubesphere.io/workspaces') return true;
    const ns = e.object.metadata?.namespace;
    return ns === KUBESPHERE_SYSTEM && ['apps/deployments', '/secrets', '/configmaps', '/services'].includes(e.resource);
  }

  /** One pass over everything; each write triggers another pass, which finds nothing left to do. */
  private reconcile(): void {
    for (const c of this.clusters) this.attempt(() => this.reconcileInstaller(c));
    const clusterType = this.host.api.types.byKind(CLUSTER_API, 'Cluster');
    if (!clusterType) return;
    for (const cluster of this.host.api.peekAll(clusterType)) {
      this.attempt(() => this.reconcileCluster(clusterType, cluster.metadata.name));
    }
    this.attempt(() => this.cleanupProxyServices(clusterType));
  }

  private attempt(fn: () => void): void {
    try {
      fn();
    } catch {
      // The object changed or vanished under us, or its namespace is gone: the next event retries.
    }
  }

  private reconcileInstaller(c: KubeSphereCluster): void {
    const type = c.api.types.byKind('installer.kubesphere.io/v1alpha1', 'ClusterConfiguration');
    const cc = type && c.api.peek(type, KUBESPHERE_SYSTEM, 'ks-installer');
    const status = cc && installerStatus(cc);
    if (type && status) writeStatus(c.api, type, KUBESPHERE_SYSTEM, 'ks-installer', status, KS_INSTALLER);
    this.renderConfig(c, cc ?? { spec: {} });
  }

  /** ks-installer's jwtSecret and kubesphere-config, when the ClusterConfiguration's spec or kubesphere-secret changed. */
  private renderConfig(c: KubeSphereCluster, cc: JsonObject): void {
    const secretType = c.api.typeOf('v1', 'Secret');
    const cmType = c.api.typeOf('v1', 'ConfigMap');
    const secret = c.api.peek(secretType, KUBESPHERE_SYSTEM, 'kubesphere-secret');
    const cm = c.api.peek(cmType, KUBESPHERE_SYSTEM, KUBESPHERE_CONFIG);
    if (!cm) return;
    const value = typeof secret?.data?.secret === 'string' ? Buffer.from(secret.data.secret, 'base64').toString('utf8') : undefined;
    // ks-installer runs when its ClusterConfiguration changes, not when kubesphere-secret alone does.
    const inputs = stableStringify(cc.spec ?? {});
    if (this.rendered.get(c.name) === inputs) return;
    const out = installerConfig(cc, value, configSettings(cm));
    if (out.secret !== undefined && secret) {
      c.api.mergePatch(secretType, KUBESPHERE_SYSTEM, 'kubesphere-secret', { data: { secret: Buffer.from(out.secret).toString('base64') } }, KS_INSTALLER);
    }
    if (out.settings) c.api.mergePatch(cmType, KUBESPHERE_SYSTEM, KUBESPHERE_CONFIG, { data: { 'kubesphere.yaml': toYaml(out.settings) } }, KS_INSTALLER);
    this.rendered.set(c.name, inputs);
  }

  /** The cluster controller writes the Cluster's name into the cluster's kubesphere-config (`multicluster.clusterName`). */
  private writeClusterName(c: KubeSphereCluster, name: string): void {
    const cmType = c.api.typeOf('v1', 'ConfigMap');
    const settings = configSettings(c.api.peek(cmType, KUBESPHERE_SYSTEM, KUBESPHERE_CONFIG));
    if (!settings || settings.multicluster?.clusterName === name) return;
    const next = { ...settings, multicluster: { ...(isPlainObject(settings.multicluster) ? settings.multicluster : {}), clusterName: name } };
    c.api.mergePatch(cmType, KUBESPHERE_SYSTEM, KUBESPHERE_CONFIG, { data: { 'kubesphere.yaml': toYaml(next) } }, KS_CONTROLLER_MANAGER);
  }

  private reconcileCluster(type: ResourceType, name: string): void {
    const cluster = this.host.api.peek(type, undefined, name);
    if (!cluster) return;
    switch (joinKind(cluster)) {
      case 'proxy':
        this.initializeProxy(type, cluster);
        this.handshake(type, name);
        break;
      case 'managed-host':
        if (!cluster.spec.connection?.kubeconfig) {
          this.host.api.mergePatch(type, undefined, name, {
            spec: { connection: { kubeconfig: placeholderKubeconfig(name, 'https://10.96.0.1:443', `sandbox-placeholder-${this.random.hex(16)}`) } },
          }, KS_CONTROLLER_MANAGER);
        }
        this.reconcileDirect(type, name);
        this.attempt(() => this.writeClusterName(this.host, name));
        break;
      case 'direct':
        this.reconcileDirect(type, name);
        break;
      default:
    }
  }

  /** tower's addCluster: token, ports, mc-<cluster> Service, endpoints, Initialized. */
  private initializeProxy(type: ResourceType, cluster: JsonObject): void {
    const name = cluster.metadata.name;
    const svcType = this.host.api.typeOf('v1', 'Service');
    const port = towerPort(cluster, this.host.api.peekAll(type), (n) => this.random.int(n));
    let svc = this.host.api.peek(svcType, KUBESPHERE_SYSTEM, proxyServiceName(name));
    if (!svc) svc = this.host.api.create(svcType, KUBESPHERE_SYSTEM, proxyService(name, port), { fieldManager: TOWER }).body;
    const patch = towerPatch(cluster, svc.spec.clusterIP, port, () => this.random.hex(64));
    if (patch) this.host.api.mergePatch(type, undefined, name, patch, TOWER);
  }

  /** tower's agent handshake for one proxy Cluster, then the cluster controller's Federated/Ready. */
  private handshake(type: ResourceType, name: string): void {
    const cluster = this.host.api.peek(type, undefined, name);
    if (!cluster) return;
    const agents: AgentSeen[] = [];
    // (agents that cannot reach tower never connect: tower does not learn of them)
    const cut = new Set(this.network.towerUnreachableFrom ?? []);
    for (const c of this.clusters.filter((x) => x !== this.host && !cut.has(x.name))) {
      const agent = readAgent(c);
      if (agent) agents.push({ cluster: c.name, agent });
    }
    const outcome = handshake(cluster, agents, (server) => placeholderKubeconfig(name, server, `sandbox-placeholder-${this.random.hex(16)}`));
    if (outcome.patch) this.host.api.mergePatch(type, undefined, name, outcome.patch, TOWER);
    if (outcome.connected) this.join(type, name, this.clusters.find((c) => c.name === outcome.connected));
    if (outcome.disconnected) this.markNotReady(type, name, outcome.disconnected);
  }

  /** The cluster controller on a direct Cluster: join when the kubeconfig is there, then Ready. */
  private reconcileDirect(type: ResourceType, name: string): void {
    const cluster = this.host.api.peek(type, undefined, name);
    const kubeconfig = cluster && decodeKubeconfig(cluster);
    if (!cluster || kubeconfig === undefined) return;
    const server = kubeconfigServer(kubeconfig);
    const reaches = (c: KubeSphereCluster) => server !== undefined
      && (sameUrl(c.url, server) || (c.advertisedUrl !== undefined && sameUrl(c.advertisedUrl, server)));
    const target = this.clusters.find(reaches);
    if (target && (this.network.unreachableFromHost ?? []).includes(target.name)) {
      this.markNotFederated(type, name, `Get "${server}/api/v1/namespaces/kube-federation-system": dial tcp ${hostPortOf(server!)}: i/o timeout`);
      return;
    }
    if (target && !kubeconfig.includes(target.token)) {
      this.markNotReady(type, name, `Unauthorized: the kubeconfig's credentials are not accepted by ${server}`);
      return;
    }
    const endpoint = server && endpointPatch(cluster, server);
    if (endpoint) this.host.api.mergePatch(type, undefined, name, endpoint, KS_CONTROLLER_MANAGER);
    this.join(type, name, target);
  }

  /** The join once the member is reached: refused by the pre-check (see workspaceConflicts), else Ready. */
  private join(type: ResourceType, name: string, member: KubeSphereCluster | undefined): void {
    const wsType = member?.api.types.byKind('tenant.kubesphere.io/v1alpha1', 'Workspace');
    const fwType = this.host.api.types.byKind('types.kubefed.io/v1beta1', 'FederatedWorkspace');
    const conflicts = member && wsType && fwType ? workspaceConflicts(member.api.peekAll(wsType), this.host.api.peekAll(fwType), name) : [];
    if (conflicts.length > 0) {
      this.markNotFederated(type, name, `workspace ${JSON.stringify(conflicts[0])} already exists in cluster ${JSON.stringify(name)}, managed by KubeFed, and this host does not place it there`);
      return;
    }
    this.markReady(type, name, member);
  }

  private markNotFederated(type: ResourceType, name: string, reason: string): void {
    const patch = notFederatedPatch(this.host.api.peek(type, undefined, name)!, reason);
    if (patch) this.host.api.mergePatch(type, undefined, name, patch, KS_CONTROLLER_MANAGER);
  }

  private markReady(type: ResourceType, name: string, member: KubeSphereCluster | undefined): void {
    const cluster = this.host.api.peek(type, undefined, name)!;
    const kubeSystem = member?.api.peek(member.api.typeOf('v1', 'Namespace'), undefined, 'kube-system');
    const patch = readyPatch(cluster, { kubernetesVersion: member?.kubernetesVersion ?? this.host.kubernetesVersion, uid: kubeSystem?.metadata.uid });
    if (patch) this.host.api.mergePatch(type, undefined, name, patch, KS_CONTROLLER_MANAGER);
    if (member) this.attempt(() => this.writeClusterName(member, name));
  }

  private markNotReady(type: ResourceType, name: string, message: string): void {
    const patch = notReadyPatch(this.host.api.peek(type, undefined, name)!, message);
    if (patch) this.host.api.mergePatch(type, undefined, name, patch, KS_CONTROLLER_MANAGER);
  }

  /** tower deletes `mc-<cluster>` when its Cluster is gone or no longer a joined proxy cluster. */
  private cleanupProxyServices(type: ResourceType): void {
    const svcType = this.host.api.typeOf('v1', 'Service');
    for (const svc of this.host.api.peekAll(svcType, KUBESPHERE_SYSTEM)) {
      const owner = proxyServiceOwner(svc);
      if (owner !== undefined && staleProxyService(this.host.api.peek(type, undefined, owner))) {
        this.host.api.delete(svcType, KUBESPHERE_SYSTEM, svc.metadata.name);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// KubeSphere's decisions, free of any store: the sandbox's emulator above and the real fleet's stand-ins
// (src/real-fleet/stand-ins.ts) both act on them, each reading and writing its own way.

/** What a `cluster-agent` Deployment runs: its `--name`, its `--token` resolved, and whether it is available. */
export interface AgentInfo {
  readonly name?: string;
  readonly token?: string;
  readonly available: boolean;
  readonly problem?: string;
}

/** Finds the Secrets and ConfigMaps of kubesphere-system that an agent's `$(VAR)` references name. */
export interface AgentLookup {
  secret(name: string): JsonObject | undefined;
  configMap(name: string): JsonObject | undefined;
}

/** An agent found on a member cluster. */
export interface AgentSeen {
  /** The cluster it runs on. */
  readonly cluster: string;
  readonly agent: AgentInfo;
}

/** What tower's handshake decides for one proxy Cluster. */
export interface HandshakeOutcome {
  /** tower's merge patch of the Cluster (kubeconfig, AgentAvailable), when something changes. */
  readonly patch?: JsonObject;
  /** The cluster whose agent presented the right token: the cluster controller then makes the Cluster Ready. */
  readonly connected?: string;
  /** Set when an agent that was connected is gone or refused: Ready turns False with this message. */
  readonly disconnected?: string;
}

/** What the cluster controller reads from a member it reached. */
export interface ClusterFacts {
  readonly kubernetesVersion: string;
  /** The uid of the member's kube-system namespace. */
  readonly uid?: string;
}

/** Reads the `cluster-agent` Deployment of a member: its `--name`/`--token` flags, resolved, and whether it is available. */
export function readAgent(c: KubeSphereCluster): AgentInfo | undefined {
  const deployType = c.api.types.byKind('apps/v1', 'Deployment');
  const deploy = deployType && c.api.peek(deployType, KUBESPHERE_SYSTEM, 'cluster-agent');
  if (!deploy) return undefined;
  return agentOf(deploy, {
    secret: (name) => c.api.peek(c.api.typeOf('v1', 'Secret'), KUBESPHERE_SYSTEM, name),
    configMap: (name) => c.api.peek(c.api.typeOf('v1', 'ConfigMap'), KUBESPHERE_SYSTEM, name),
  });
}

/** The agent a `cluster-agent` Deployment runs (see readAgent), its `$(VAR)` references resolved through `lookup`. */
export function agentOf(deploy: JsonObject, lookup: AgentLookup): AgentInfo | undefined {
  const status = deploy.status ?? {};
  const available = (status.availableReplicas ?? 0) >= 1 && status.observedGeneration === deploy.metadata.generation;
  for (const container of (deploy.spec?.template?.spec?.containers ?? []) as JsonObject[]) {
    const argv: string[] = [...(container.command ?? []), ...(container.args ?? [])].map(String);
    const name = flag(argv, 'name');
    if (name === undefined) continue;
    const raw = flag(argv, 'token');
    if (raw === undefined) return { name, available, problem: 'agent has no --token flag' };
    const resolved = expandEnv(lookup, raw, container);
    return typeof resolved === 'string' ? { name, token: resolved, available } : { name, available, problem: resolved.problem };
  }
  return undefined;
}

/** How KubeSphere joins a Cluster: through tower (`proxy`), the host's own in-cluster config, `direct`, or not at all. */
export function joinKind(cluster: JsonObject): 'proxy' | 'managed-host' | 'direct' | undefined {
  const spec = cluster.spec ?? {};
  const connection = spec.connection ?? {};
  if (cluster.metadata?.deletionTimestamp || spec.joinFederation !== true) return undefined;
  if (connection.type === 'proxy') return 'proxy';
  if (cluster.metadata?.labels?.[HOST_LABEL] === '' && cluster.metadata?.labels?.[MANAGED_LABEL] === 'true' && !connection.kubeconfig) return 'managed-host';
  if (connection.type === 'direct' || connection.type === undefined) return 'direct';
  return undefined;
}

/** The name of the Service tower creates for a proxy Cluster. */
export function proxyServiceName(cluster: string): string {
  return `mc-${cluster}`;
}

/** The proxy Cluster a tower Service `mc-<cluster>` belongs to, or undefined when it is not one. */
export function proxyServiceOwner(svc: JsonObject): string | undefined {
  const name: string = svc.metadata?.name ?? '';
  return name.startsWith('mc-') && svc.metadata?.labels?.app === name ? name.slice(3) : undefined;
}

/** Whether tower deletes the Service of this Cluster (gone, or no longer a joined proxy cluster). */
export function staleProxyService(cluster: JsonObject | undefined): boolean {
  return !cluster || cluster.spec?.connection?.type !== 'proxy' || cluster.spec?.joinFederation !== true;
}

/** The Service `mc-<cluster>` tower creates in kubesphere-system: 6443 to tower's port P, 80 to P+10000. */
export function proxyService(cluster: string, port: number): JsonObject {
  const name = proxyServiceName(cluster);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: KUBESPHERE_SYSTEM, labels: { 'app': name, 'app.kubernetes.io/name': name } },
    spec: {
      type: 'ClusterIP',
      selector: { 'app': 'tower', 'app.kubernetes.io/name': 'tower' },
      ports: [
        { name: 'kubernetes', protocol: 'TCP', port: 6443, targetPort: port },
        { name: 'kubesphere', protocol: 'TCP', port: 80, targetPort: port + 10000 },
      ],
    },
  };
}

/** The Cluster's tower port: the one it has (6000-6999), else a free one there (`int(n)`: a random integer below n). */
export function towerPort(cluster: JsonObject, all: readonly JsonObject[], int: (n: number) => number): number {
  const port = cluster.spec?.connection?.kubernetesAPIServerPort;
  if (typeof port === 'number' && port >= 6000 && port < 7000) return port;
  const used = new Set(all.map((c) => c.spec?.connection?.kubernetesAPIServerPort).filter((p) => typeof p === 'number'));
  for (;;) {
    const p = 6000 + int(1000);
    if (!used.has(p)) return p;
  }
}

/**
 * tower's addCluster on a proxy Cluster whose Service has ClusterIP `ip`: a token when it has none, the endpoints,
 * the ports and `Initialized`. The merge patch, or undefined when everything is in place.
 */
export function towerPatch(cluster: JsonObject, ip: string, port: number, newToken: () => string): JsonObject | undefined {
  const connection = cluster.spec?.connection ?? {};
  const patch: JsonObject = {};
  if (!connection.token) patch.token = newToken();
  const wanted: JsonObject = {
    kubernetesAPIEndpoint: `https://${ip}:6443`,
    kubesphereAPIEndpoint: `http://${ip}:80`,
    kubernetesAPIServerPort: port,
    kubesphereAPIServerPort: port + 10000,
  };
  for (const [k, v] of Object.entries(wanted)) if (connection[k] !== v) patch[k] = v;
  const conditions = setCondition(cluster.status?.conditions, {
    type: 'Initialized', status: 'True', reason: '', message: 'Cluster has been initialized',
  });
  if (Object.keys(patch).length === 0 && !conditions) return undefined;
  const body: JsonObject = {};
  if (Object.keys(patch).length > 0) body.spec = { connection: patch };
  if (conditions) body.status = { conditions };
  return body;
}

/**
 * tower's handshake for one proxy Cluster, given the agents running on the members: an available agent of this
 * Cluster with its token connects (kubeconfig from `kubeconfig(endpoint)` when the Cluster has none,
 * `AgentAvailable`); a wrong token or a misconfigured agent sets `AgentAvailable` False with the reason; an agent
 * that was connected and is gone sets it False and takes Ready away.
 */
export function handshake(cluster: JsonObject, agents: AgentSeen[], kubeconfig: (server: string) => string): HandshakeOutcome {
  const connection = cluster.spec?.connection ?? {};
  if (!connection.token) return {};
  const mine = agents.filter((a) => a.agent.name === cluster.metadata.name);
  const running = mine.filter((a) => a.agent.available && a.agent.token !== undefined);
  const good = running.find((a) => a.agent.token === connection.token);
  const conditions = cluster.status?.conditions;
  if (good) {
    const body: JsonObject = {};
    if (!connection.kubeconfig) body.spec = { connection: { kubeconfig: kubeconfig(connection.kubernetesAPIEndpoint) } };
    const next = setCondition(conditions, { type: 'AgentAvailable', status: 'True', reason: '', message: 'Cluster agent is available now.' });
    if (next) body.status = { conditions: next };
    return { ...(Object.keys(body).length > 0 ? { patch: body } : {}), connected: good.cluster };
  }
  const wrong = running[0];
  const misconfigured = mine.find((a) => a.agent.available && a.agent.token === undefined);
  let problem: { reason: string; message: string } | undefined;
  if (wrong) {
    problem = {
      reason: 'TokenMismatch',
      message: `agent on cluster ${JSON.stringify(wrong.cluster)} presented a token that does not match spec.connection.token`,
    };
  } else if (misconfigured) {
    problem = { reason: 'AgentConfigError', message: misconfigured.agent.problem ?? 'agent has no --token' };
  }
  const wasAvailable = (conditions ?? []).some((c: JsonObject) => c.type === 'AgentAvailable' && c.status === 'True');
  if (!problem && !wasAvailable) return {};
  const next = setCondition(conditions, {
    type: 'AgentAvailable',
    status: 'False',
    reason: problem?.reason ?? 'Disconnected',
    message: problem?.message ?? 'Cluster agent is not connected',
  });
  return { ...(next ? { patch: { status: { conditions: next } } } : {}), ...(wasAvailable ? { disconnected: 'Cluster agent is not connected' } : {}) };
}

/** The Cluster's `spec.connection.kubeconfig` decoded, or undefined when it has none (or it is not base64). */
export function decodeKubeconfig(cluster: JsonObject): string | undefined {
  const kubeconfig: unknown = cluster.spec?.connection?.kubeconfig;
  if (typeof kubeconfig !== 'string' || !isBase64(kubeconfig)) return undefined;
  return Buffer.from(kubeconfig, 'base64').toString('utf8');
}

/** The `server` a kubeconfig (YAML or JSON text) names first. */
export function kubeconfigServer(text: string): string | undefined {
  return /server"?\s*:\s*"?([^\s"',}]+)/.exec(text)?.[1];
}

/** The cluster controller fills `kubernetesAPIEndpoint` from the kubeconfig's server when it is empty. */
export function endpointPatch(cluster: JsonObject, server: string): JsonObject | undefined {
  return cluster.spec?.connection?.kubernetesAPIEndpoint ? undefined : { spec: { connection: { kubernetesAPIEndpoint: server } } };
}

/** The cluster controller's merge patch once it reached the member: Federated, Ready and the facts; undefined when all is so. */
export function readyPatch(cluster: JsonObject, facts: ClusterFacts): JsonObject | undefined {
  let conditions = cluster.status?.conditions;
  let changed = false;
  for (const c of [
    { type: 'Federated', status: 'True', reason: '', message: 'Cluster has joined federation control plane successfully' },
    { type: 'Ready', status: 'True', reason: '', message: 'Cluster is available now' },
  ]) {
    const next = setCondition(conditions, c);
    if (next) {
      conditions = next;
      changed = true;
    }
  }
  const status: JsonObject = { kubernetesVersion: facts.kubernetesVersion, kubeSphereVersion: KUBESPHERE_VERSION, nodeCount: 1 };
  if (facts.uid) status.uid = facts.uid;
  for (const [k, v] of Object.entries(status)) if (cluster.status?.[k] !== v) changed = true;
  return changed ? { status: { ...status, conditions } } : undefined;
}

/** The cluster controller's merge patch when it cannot reach the member: Ready False with `message`. */
export function notReadyPatch(cluster: JsonObject, message: string): JsonObject | undefined {
  const next = setCondition(cluster.status?.conditions, { type: 'Ready', status: 'False', reason: 'NotReady', message });
  return next ? { status: { conditions: next } } : undefined;
}

/**
 * The cluster controller's merge patch of a failed join (v3.4.1 writes the error as the reason): `Federated` False;
 * undefined when it says so already.
 */
export function notFederatedPatch(cluster: JsonObject, reason: string): JsonObject | undefined {
  const next = setCondition(cluster.status?.conditions, { type: 'Federated', status: 'False', reason, message: 'Cluster can not join federation control plane' });
  return next ? { status: { conditions: next } } : undefined;
}

/**
 * The join pre-check of KubeSphere's cluster controller: the names of the member's Workspaces labelled
 * `kubefed.io/managed: "true"` whose FederatedWorkspace of the same name on the host does not place them on the
 * member (KubeFed would delete them, and the projects they own, once joined). A placement by `clusterSelector` is
 * taken to place them.
 */
export function workspaceConflicts(
  memberWorkspaces: readonly JsonObject[], hostFederatedWorkspaces: readonly JsonObject[], cluster: string,
): string[] {
  return memberWorkspaces
    .filter((w) => w.metadata?.labels?.['kubefed.io/managed'] === 'true')
    .map((w) => String(w.metadata.name))
    .filter((name) => {
      const placement = hostFederatedWorkspaces.find((f) => f.metadata?.name === name)?.spec?.placement;
      if (!placement) return false;
      if (Array.isArray(placement.clusters)) return !placement.clusters.some((c: JsonObject) => c?.name === cluster);
      return placement.clusterSelector === undefined;
    })
    .sort();
}

/**
 * ks-installer on a ClusterConfiguration `ks-installer`: `status.core.status: enabled`, and
 * `status.multicluster.status: enabled` on a host; the new status, or undefined when it is so already.
 */
export function installerStatus(cc: JsonObject): JsonObject | undefined {
  const status: JsonObject = isPlainObject(cc.status) ? clone(cc.status) : {};
  const now = nowRfc3339();
  let changed = false;
  if (status.core?.status !== 'enabled') {
    status.core = { status: 'enabled', enabledTime: now };
    changed = true;
  }
  if (cc.spec?.multicluster?.clusterRole === 'host' && status.multicluster?.status !== 'enabled') {
    status.multicluster = { status: 'enabled', enabledTime: now };
    changed = true;
  }
  return changed ? status : undefined;
}

/**
 * ks-installer's init-token and config roles on a ClusterConfiguration (kubesphere/ks-installer@v3.4.1:
 * roles/ks-core/init-token/tasks/main.yaml, roles/ks-core/config/templates/kubesphere-config.yaml.j2): the jwtSecret
 * is the one `spec.authentication.jwtSecret` asks for, else the one `kubesphere-secret` holds (`secret`); the
 * settings of `kubesphere-config` get that jwtSecret, `authentication.oauthOptions` from the spec (with
 * `accessTokenMaxAge: 0` on a member) and `multicluster` from the spec (`clusterRole`, default `none`; `enable: false`
 * on a member; `enable: true` with `proxyPublishAddress` and `hostClusterName` on a host), keeping the `clusterName`
 * the host's cluster controller wrote and everything else of `current`. Returns the new jwtSecret when it changes,
 * and the new settings when they change.
 */
export function installerConfig(
  cc: JsonObject, secret: string | undefined, current: JsonObject | undefined,
): { secret?: string; settings?: JsonObject } {
  const spec = isPlainObject(cc.spec) ? cc.spec : {};
  const asked = spec.authentication?.jwtSecret;
  const jwtSecret = typeof asked === 'string' && asked.length > 0 ? asked : secret;
  const role = typeof spec.multicluster?.clusterRole === 'string' ? spec.multicluster.clusterRole : 'none';
  const settings: JsonObject = clone(current ?? {});
  const authentication: JsonObject = isPlainObject(settings.authentication) ? settings.authentication : {};
  if (jwtSecret !== undefined) authentication.jwtSecret = jwtSecret;
  const oauth = { ...(isPlainObject(spec.authentication?.oauthOptions) ? spec.authentication.oauthOptions : {}), ...(role === 'member' ? { accessTokenMaxAge: 0 } : {}) };
  if (Object.keys(oauth).length > 0) authentication.oauthOptions = oauth;
  else delete authentication.oauthOptions;
  settings.authentication = authentication;
  const previous = isPlainObject(settings.multicluster) ? settings.multicluster : {};
  const mc = spec.multicluster ?? {};
  settings.multicluster = {
    clusterRole: role,
    ...(role === 'member' ? { enable: false } : {}),
    ...(role === 'host' ? { enable: true } : {}),
    ...(role === 'host' && typeof mc.proxyPublishAddress === 'string' && mc.proxyPublishAddress ? { proxyPublishAddress: mc.proxyPublishAddress } : {}),
    ...(role === 'host' && typeof mc.hostClusterName === 'string' && mc.hostClusterName ? { hostClusterName: mc.hostClusterName } : {}),
    ...(typeof previous.clusterName === 'string' ? { clusterName: previous.clusterName } : {}),
  };
  return {
    ...(jwtSecret !== undefined && jwtSecret !== secret ? { secret: jwtSecret } : {}),
    ...(deepEqual(settings, current ?? {}) ? {} : { settings }),
  };
}

function flag(argv: string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith(`--${name}=`)) return argv[i].slice(name.length + 3);
    if (argv[i] === `--${name}` && i + 1 < argv.length) return argv[i + 1];
  }
  return undefined;
}

/** Expands `$(VAR)` the way the kubelet does, from the container's env (value, secretKeyRef, configMapKeyRef). */
function expandEnv(lookup: AgentLookup, text: string, container: JsonObject): string | { problem: string } {
  let problem: string | undefined;
  const out = text.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, varName: string) => {
    const env = ((container.env ?? []) as JsonObject[]).find((e) => e.name === varName);
    if (!env) return whole;
    if (typeof env.value === 'string') return env.value;
    const secretRef = env.valueFrom?.secretKeyRef;
    const cmRef = env.valueFrom?.configMapKeyRef;
    if (secretRef) {
      const data = lookup.secret(secretRef.name)?.data?.[secretRef.key];
      if (typeof data === 'string') return Buffer.from(data, 'base64').toString('utf8');
      problem = `secret ${JSON.stringify(secretRef.name)} (key ${JSON.stringify(secretRef.key)}) not found in ${KUBESPHERE_SYSTEM}`;
      return whole;
    }
    if (cmRef) {
      const data = lookup.configMap(cmRef.name)?.data?.[cmRef.key];
      if (typeof data === 'string') return data;
      problem = `configmap ${JSON.stringify(cmRef.name)} (key ${JSON.stringify(cmRef.key)}) not found in ${KUBESPHERE_SYSTEM}`;
      return whole;
    }
    return '';
  });
  return problem ? { problem } : out;
}

interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

/** Upserts a condition; returns the new list, or undefined when nothing changes (timestamps kept when unchanged). */
export function setCondition(current: unknown, c: Condition): JsonObject[] | undefined {
  const list: JsonObject[] = Array.isArray(current) ? clone(current) : [];
  const now = nowRfc3339();
  const i = list.findIndex((x) => x.type === c.type);
  if (i >= 0) {
    const old = list[i];
    if (old.status === c.status && (old.reason ?? '') === c.reason && (old.message ?? '') === c.message) return undefined;
    list[i] = { ...c, lastUpdateTime: now, lastTransitionTime: old.status === c.status ? old.lastTransitionTime ?? now : now };
  } else {
    list.push({ ...c, lastUpdateTime: now, lastTransitionTime: now });
  }
  return list;
}

function writeStatus(api: ObjectApi, type: ResourceType, namespace: string | undefined, name: string, status: JsonObject, manager: string): void {
  if (type.statusSubresource) api.writeStatus(type, namespace, name, status, manager);
  else api.mergePatch(type, namespace, name, { status }, manager);
}

/**
 * A placeholder kubeconfig (base64) as tower or the cluster controller issue one: it names the endpoint but holds no
 * usable credential (`token` says what it is, e.g. `sandbox-placeholder-<random hex>`).
 */
export function placeholderKubeconfig(cluster: string, server: string, token: string): string {
  const text = toYaml({
    'apiVersion': 'v1',
    'kind': 'Config',
    'clusters': [{ name: cluster, cluster: { 'server': server, 'insecure-skip-tls-verify': true } }],
    'contexts': [{ name: `kubernetes-admin@${cluster}`, context: { cluster, user: 'kubernetes-admin' } }],
    'current-context': `kubernetes-admin@${cluster}`,
    'users': [{ name: 'kubernetes-admin', user: { token } }],
  });
  return Buffer.from(text, 'utf8').toString('base64');
}

function isBase64(s: string): boolean {
  return s.length > 0 && s.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(s);
}

/** `host:port` of a URL (the port its scheme implies when it has none). */
function hostPortOf(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
}

function sameUrl(a: string, b: string): boolean {
  const norm = (u: string) => u.replace(/\/+$/, '').replace('://localhost', '://127.0.0.1');
  return norm(a) === norm(b);
}
