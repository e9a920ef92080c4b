// A fleet of real Kubernetes API servers on 127.0.0.1 for end-to-end tests and `ksfed sandbox --real` (internal
// module: not exported from src/index.ts). The binaries come from e2e/build.sh; see src/real-fleet/README.md.
import { generateKeyPairSync, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { federatedCrds, federatedTypeConfigs, KUBEFED_NAMESPACE, kubeFedConfig, kubefedCoreCrds } from 'cdk8s-kubesphere-federation/lib/crds';
import { Endpoint, freePorts, mustRequest, request, sleep } from './http';
import { applyObject, conditionTrue, createObject, getObject, installCrds, poll } from './objects';
import { FleetProcess, Processes, tail } from './processes';
import { StandIns } from './stand-ins';
import { KS_CONTROLLER_MANAGER, KS_INSTALLER, kubesphereInstallation } from '../kubesphere';
import { toYaml } from '../yaml';

/** How to start a real fleet. */
export interface RealFleetOptions {
  /** Cluster names (DNS-1123 labels); one kube-apiserver each, all on one etcd (`--etcd-prefix /<name>`). */
  readonly clusters: string[];
  /** The cluster that plays the KubeSphere host. Default: the first. */
  readonly host?: string;
  /** Folder with the binaries of e2e/build.sh. Default: `$KSFED_E2E_BIN`, else `<repo>/.cache/e2e-bin`. */
  readonly binDir?: string;
  /** KubeSphere's CRDs, namespace kubesphere-system and the host's Secret kubesphere-secret. Default true. */
  readonly kubesphere?: boolean;
  /** KubeFed v0.8.1 on the host (CRDs, KubeFedConfig, FederatedTypeConfigs, controller-manager), every member joined. Default false. */
  readonly kubefed?: boolean;
  /** A kube-controller-manager per cluster (namespace deletion, garbage collection, ServiceAccounts). Default true. */
  readonly controllerManager?: boolean;
  /** Working folder (certificates, etcd data, logs). Default: a fresh temp folder, removed by `stop()`. */
  readonly workDir?: string;
  /**
   * Stand-ins for what no real component runs here (workload status, load-balancer addresses, KubeSphere's tower
   * and cluster controller, the route to KubeFed's real admission webhook): see src/real-fleet/stand-ins.ts.
   * Default false.
   */
  readonly standIns?: boolean;
  /** Extra kube-apiserver flags for one cluster (appended after the launcher's own); `workDir` is the fleet's. */
  readonly apiServerArgs?: (cluster: string, workDir: string) => string[];
}

/** The binaries a fleet runs. */
export const REAL_FLEET_BINARIES = ['etcd-lite', 'kube-apiserver', 'kube-controller-manager', 'kubefed-controller-manager'];

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const READY_TIMEOUT_MS = 120_000;
const HOST_LABEL = 'cluster-role.kubesphere.io/host';
/**
 * `controllerDuration.availableDelay` of the fleet's KubeFedConfig. KubeSphere's is 20s: KubeFed's sync controller
 * then holds propagation to a newly Ready cluster back for 20 s, which every test would wait for.
 */
export const KUBEFED_AVAILABLE_DELAY = '1s';

/** `$KSFED_E2E_BIN`, else `<repo>/.cache/e2e-bin` (where e2e/build.sh writes). */
export function defaultBinDir(): string {
  return process.env.KSFED_E2E_BIN || path.resolve(__dirname, '..', '..', '..', '..', '.cache', 'e2e-bin');
}

/** True when every binary a fleet runs is present and executable in `binDir` (default: `defaultBinDir()`). */
export function realBinariesAvailable(binDir: string = defaultBinDir()): boolean {
  return REAL_FLEET_BINARIES.every((b) => executable(path.join(binDir, b)));
}

function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** One cluster of the fleet: its API server, serving CA and controller-manager. */
interface RealCluster {
  readonly name: string;
  readonly port: number;
  readonly dir: string;
  readonly apiserver: FleetProcess;
  ca: string;
  controllerManager?: FleetProcess;
}

/**
 * Real kube-apiservers (v1.34.4, built from source by e2e/build.sh) on 127.0.0.1, one per cluster, sharing one
 * etcd; TLS with each server's self-signed chain (verified: the kubeconfig carries it), one admin bearer token in
 * `system:masters`, RBAC on. Optionally a kube-controller-manager per cluster, KubeSphere's CRDs as ks-installer
 * leaves them, and KubeFed v0.8.1 on the host with every member joined.
 */
export class RealFleet {
  /** Starts the fleet; resolves when every API server answers /readyz and the options' extras are in place. */
  public static async start(options: RealFleetOptions): Promise<RealFleet> {
    const names = options.clusters;
    if (names.length === 0) throw new Error('RealFleet: clusters is empty. Fix: name at least one cluster, e.g. clusters: [\'host\']');
    for (const n of names) {
      if (!DNS_LABEL.test(n) || n.length > 63) {
        throw new Error(`RealFleet: cluster name ${JSON.stringify(n)} is not a DNS-1123 label. Fix: use lower-case letters, digits and '-'`);
      }
    }
    if (new Set(names).size !== names.length) throw new Error(`RealFleet: duplicate cluster names in ${names.join(',')}. Fix: name each cluster once`);
    const host = options.host ?? names[0];
    if (!names.includes(host)) throw new Error(`RealFleet: host ${JSON.stringify(host)} is not one of the clusters (${names.join(', ')}). Fix: pick one of them`);
    const binDir = path.resolve(options.binDir ?? defaultBinDir());
    const needed = REAL_FLEET_BINARIES.filter((b) => (b === 'kubefed-controller-manager' ? options.kubefed === true : true))
      .filter((b) => (b === 'kube-controller-manager' ? options.controllerManager ?? true : true));
    const missing = needed.filter((b) => !executable(path.join(binDir, b)));
    if (missing.length > 0) {
      throw new Error(`RealFleet: ${missing.join(', ')} not found in ${binDir}. Fix: run 'bash e2e/build.sh' (needs Go 1.26) or set KSFED_E2E_BIN`);
    }
    const ownWorkDir = options.workDir === undefined;
    const workDir = ownWorkDir ? fs.mkdtempSync(path.join(os.tmpdir(), 'ksfed-real-')) : path.resolve(options.workDir!);
    fs.mkdirSync(workDir, { recursive: true });
    const fleet = new RealFleet(names, host, binDir, workDir, ownWorkDir);
    try {
      await fleet.boot(options);
    } catch (e) {
      await fleet.stop();
      throw e;
    }
    return fleet;
  }

  /** Cluster names, in the order given. */
  public readonly clusters: string[];
  /** The cluster that plays the KubeSphere host. */
  public readonly host: string;
  /** The kubeconfig file: one context per cluster (named like it), CA data, the admin token; current context: the host. */
  public readonly kubeconfigPath: string;
  /** Admin bearer token, accepted by every API server (group `system:masters`). */
  public readonly token: string;
  /** Folder of the binaries. */
  public readonly binDir: string;
  /** Working folder: certificates, etcd data, one log file per process. */
  public readonly workDir: string;

  private readonly ownWorkDir: boolean;
  private readonly processes: Processes;
  private readonly members = new Map<string, RealCluster>();
  private etcd?: FleetProcess;
  private kubefed?: FleetProcess;
  private stopped = false;
  /** The stand-ins, when `standIns` is set. */
  public standIns?: StandIns;

  private constructor(clusters: string[], host: string, binDir: string, workDir: string, ownWorkDir: boolean) {
    this.clusters = [...clusters];
    this.host = host;
    this.binDir = binDir;
    this.workDir = workDir;
    this.ownWorkDir = ownWorkDir;
    this.kubeconfigPath = path.join(workDir, 'fleet.kubeconfig');
    this.token = randomBytes(24).toString('hex');
    this.processes = new Processes(ownWorkDir ? workDir : undefined);
  }

  /** `https://127.0.0.1:PORT` of a cluster's API server. */
  public server(cluster: string): string {
    return `https://127.0.0.1:${this.cluster(cluster).port}`;
  }

  /** PEM of the CA chain a cluster's API server presents (what the kubeconfig carries as certificate-authority-data). */
  public caPem(cluster: string): string {
    return this.cluster(cluster).ca;
  }

  /** Server, CA and token of a cluster, for raw HTTPS requests. */
  public endpoint(cluster: string): Endpoint {
    return { server: this.server(cluster), ca: this.caPem(cluster), token: this.token };
  }

  /** The log file of a process: `etcd`, `<cluster>/kube-apiserver`, `<cluster>/kube-controller-manager`, `kubefed`. */
  public logFile(name: string): string {
    return path.join(this.workDir, 'logs', `${name.replace('/', '.')}.log`);
  }

  /** The kubeconfig: one context per cluster (named like it), verified TLS, current context `current` (default: the host). */
  public kubeconfig(current: string = this.host, only?: string[]): any {
    const names = only ?? this.clusters;
    return {
      'apiVersion': 'v1',
      'kind': 'Config',
      'clusters': names.map((n) => ({
        name: n,
        cluster: { 'server': this.server(n), 'certificate-authority-data': Buffer.from(this.caPem(n)).toString('base64') },
      })),
      'users': names.map((n) => ({ name: `${n}-admin`, user: { token: this.token } })),
      'contexts': names.map((n) => ({ name: n, context: { cluster: n, user: `${n}-admin` } })),
      'current-context': current,
      'preferences': {},
    };
  }

  /** The kubeconfig as YAML (the content of `kubeconfigPath`). */
  public kubeconfigYaml(): string {
    return toYaml(this.kubeconfig());
  }

  /**
   * Copies the labels of each host `Cluster` (cluster.kubesphere.io/v1alpha1) onto the KubeFedCluster of the same
   * name, as KubeSphere's cluster controller does on every sync (clusterSelector placements match these labels).
   * Clusters without a `Cluster` object keep their labels. Returns the names of the KubeFedClusters changed.
   */
  public async syncKubeFedClusterLabels(): Promise<string[]> {
    const host = this.endpoint(this.host);
    const changed: string[] = [];
    for (const name of this.clusters) {
      const cluster = await getObject(host, `/apis/cluster.kubesphere.io/v1alpha1/clusters/${name}`);
      const path_ = `/apis/core.kubefed.io/v1beta1/namespaces/${KUBEFED_NAMESPACE}/kubefedclusters/${name}`;
      const kfc = cluster && await getObject(host, path_);
      if (!kfc) continue;
      const want: Record<string, string> = cluster.metadata.labels ?? {};
      const have: Record<string, string> = kfc.metadata.labels ?? {};
      const patch: Record<string, string | null> = {};
      for (const k of Object.keys(have)) if (!(k in want)) patch[k] = null;
      for (const [k, v] of Object.entries(want)) if (have[k] !== v) patch[k] = v;
      if (Object.keys(patch).length === 0) continue;
      await mustRequest(host, 'PATCH', `${path_}?fieldManager=${KS_CONTROLLER_MANAGER}`, JSON.stringify({ metadata: { labels: patch } }),
        'application/merge-patch+json');
      changed.push(name);
    }
    return changed;
  }

  /**
   * Stops every process it started (controllers, then API servers, then etcd) and removes the working folder when
   * the fleet created it. Safe to call twice.
   */
  public async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.standIns?.stop();
    const isApiServer = (p: FleetProcess) => p.name.endsWith('/kube-apiserver');
    await this.processes.stopAll([isApiServer, (p) => p === this.etcd]);
    if (this.ownWorkDir && process.env.KSFED_E2E_KEEP !== '1') fs.rmSync(this.workDir, { recursive: true, force: true });
  }

  private cluster(name: string): RealCluster {
    const c = this.members.get(name);
    if (!c) throw new Error(`RealFleet has no cluster ${JSON.stringify(name)} (clusters: ${this.clusters.join(', ')})`);
    return c;
  }

  private async boot(options: RealFleetOptions): Promise<void> {
    fs.mkdirSync(path.join(this.workDir, 'logs'), { recursive: true });
    const etcdUrl = await this.startEtcd();
    // Shared credentials: the admin token (system:masters) and one service-account key pair.
    const tokens = path.join(this.workDir, 'tokens.csv');
    fs.writeFileSync(tokens, `${this.token},ksfed-admin,ksfed-admin,"system:masters"\n`, { mode: 0o600 });
    const keys = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    fs.writeFileSync(path.join(this.workDir, 'sa.key'), keys.privateKey, { mode: 0o600 });
    fs.writeFileSync(path.join(this.workDir, 'sa.pub'), keys.publicKey);

    if (options.standIns) this.standIns = new StandIns(this, { kubefed: options.kubefed === true });
    await Promise.all(this.clusters.map((name) => this.startApiServer(name, etcdUrl, options)));
    fs.writeFileSync(this.kubeconfigPath, this.kubeconfigYaml(), { mode: 0o600 });
    const controllerManager = options.controllerManager ?? true;
    if (controllerManager) {
      for (const name of this.clusters) this.startControllerManager(name);
    }
    if (options.kubesphere ?? true) {
      await Promise.all(this.clusters.map((name) => this.installKubeSphere(name)));
    }
    if (options.kubefed) {
      await this.startKubeFed(controllerManager);
    }
    await this.standIns?.start();
  }

  /** What ks-installer leaves on a cluster (the sandbox's list: src/sandbox/kubesphere.ts `kubesphereInstallation`). */
  private async installKubeSphere(name: string): Promise<void> {
    const endpoint = this.endpoint(name);
    const installation = kubesphereInstallation();
    await installCrds(endpoint, installation.crds, KS_INSTALLER);
    for (const obj of installation.objects) await applyObject(endpoint, obj, KS_INSTALLER);
  }

  /**
   * KubeFed v0.8.1 on the host as ks-installer sets it up (facts §3.1, from the project's own definitions in
   * src/crds): namespace kube-federation-system, the core and the 28 Federated CRDs, the KubeFedConfig, the 28
   * FederatedTypeConfigs; then the real controller-manager; then every cluster (the host too, as KubeSphere's
   * cluster controller joins its own host Cluster) joined, and each KubeFedCluster Ready.
   */
  private async startKubeFed(controllerManager: boolean): Promise<void> {
    const host = this.endpoint(this.host);
    await applyObject(host, {
      apiVersion: 'v1', kind: 'Namespace', metadata: { name: KUBEFED_NAMESPACE, labels: { 'kubesphere.io/workspace': 'system-workspace' } },
    }, KS_INSTALLER);
    await installCrds(host, [...kubefedCoreCrds(), ...federatedCrds()], KS_INSTALLER);
    await applyObject(host, kubeFedConfig(KUBEFED_NAMESPACE, KUBEFED_AVAILABLE_DELAY), KS_INSTALLER);
    for (const ftc of federatedTypeConfigs(KUBEFED_NAMESPACE)) await applyObject(host, ftc, KS_INSTALLER);

    const [healthz, metrics] = await freePorts(2);
    this.kubefed = this.processes.spawn('kubefed', path.join(this.binDir, 'kubefed-controller-manager'), [
      `--kubeconfig=${this.writeSingleKubeconfig(this.host)}`,
      `--kubefed-namespace=${KUBEFED_NAMESPACE}`,
      `--healthz-addr=127.0.0.1:${healthz}`,
      `--metrics-addr=127.0.0.1:${metrics}`,
      // At the default 5 QPS, discovery against a 1.34 API server takes some 12 s before the controllers start.
      '--rest-config-qps=50',
      '--rest-config-burst=100',
      '-v=2',
    ], this.logFile('kubefed'));

    await Promise.all(this.clusters.map((name) => this.joinKubeFed(name, controllerManager)));
    const kubefed = this.kubefed;
    await Promise.all(this.clusters.map((name) => poll(
      async () => (conditionTrue(await getObject(host, `/apis/core.kubefed.io/v1beta1/namespaces/${KUBEFED_NAMESPACE}/kubefedclusters/${name}`), 'Ready')
        ? true : undefined),
      READY_TIMEOUT_MS,
      () => `RealFleet: KubeFedCluster ${name} not Ready in ${READY_TIMEOUT_MS / 1000} s:\n${tail(kubefed.logFile)}`,
      async () => {
        if (!kubefed.alive()) throw new Error(`RealFleet: kubefed-controller-manager exited (${await kubefed.exited}):\n${tail(kubefed.logFile)}`);
      },
      250,
    )));
  }

  /**
   * Joins one cluster as KubeSphere v3.4.1's cluster controller does (facts §3.9): on the cluster, namespace
   * kube-federation-system, ServiceAccount `<cluster>-kubesphere`, a ClusterRole and ClusterRoleBinding
   * `kubefed-controller-manager:<cluster>-kubesphere` (all verbs on everything, GET on every non-resource URL) and a
   * service-account token Secret `<cluster>-kubesphere-token-xxxxx`; on the host, Secret `<cluster>-secret` with that
   * token and KubeFedCluster `<cluster>` (apiEndpoint, caBundle, labels of KubeSphere's host Cluster on the host).
   * Without kube-controller-manager nothing fills the token Secret: the admin token is used instead.
   */
  private async joinKubeFed(name: string, controllerManager: boolean): Promise<void> {
    const member = this.endpoint(name);
    const host = this.endpoint(this.host);
    const sa = `${name}-kubesphere`;
    const role = `kubefed-controller-manager:${sa}`;
    await applyObject(member, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: KUBEFED_NAMESPACE } }, KS_CONTROLLER_MANAGER);
    await applyObject(member, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: KUBEFED_NAMESPACE } }, KS_CONTROLLER_MANAGER);
    await applyObject(member, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: role },
      rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['get'] }],
    }, KS_CONTROLLER_MANAGER);
    await applyObject(member, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: role },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace: KUBEFED_NAMESPACE }],
    }, KS_CONTROLLER_MANAGER);
    let token = this.token;
    if (controllerManager) {
      const secret = await createObject(member, {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/service-account-token',
        metadata: { generateName: `${sa}-token-`, namespace: KUBEFED_NAMESPACE, annotations: { 'kubernetes.io/service-account.name': sa } },
      }, KS_CONTROLLER_MANAGER);
      const path_ = `/api/v1/namespaces/${KUBEFED_NAMESPACE}/secrets/${secret.metadata.name}`;
      const data = await poll(
        async () => (await getObject(member, path_))?.data?.token as string | undefined,
        READY_TIMEOUT_MS,
        () => `RealFleet: kube-controller-manager of ${name} did not fill the token Secret ${secret.metadata.name} in ${READY_TIMEOUT_MS / 1000} s`,
      );
      token = Buffer.from(data, 'base64').toString('utf8');
    }
    await applyObject(host, {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: `${name}-secret`, namespace: KUBEFED_NAMESPACE },
      data: { token: Buffer.from(token).toString('base64') },
    }, KS_CONTROLLER_MANAGER);
    await applyObject(host, {
      apiVersion: 'core.kubefed.io/v1beta1',
      kind: 'KubeFedCluster',
      metadata: {
        name,
        namespace: KUBEFED_NAMESPACE,
        // KubeSphere copies the Cluster's labels; its own host Cluster is labelled like this.
        ...(name === this.host ? { labels: { [HOST_LABEL]: '', 'kubesphere.io/managed': 'true' } } : {}),
      },
      spec: {
        apiEndpoint: this.server(name),
        caBundle: Buffer.from(this.caPem(name)).toString('base64'),
        secretRef: { name: `${name}-secret` },
      },
    }, KS_CONTROLLER_MANAGER);
  }

  /** Writes (once) a kubeconfig holding only `name`, for that cluster's controllers; returns its path. */
  private writeSingleKubeconfig(name: string): string {
    const file = path.join(this.workDir, name, 'admin.kubeconfig');
    if (!fs.existsSync(file)) fs.writeFileSync(file, toYaml(this.kubeconfig(name, [name])), { mode: 0o600 });
    return file;
  }

  private async startEtcd(): Promise<string> {
    const urlFile = path.join(this.workDir, 'etcd.url');
    const etcd = this.processes.spawn('etcd', path.join(this.binDir, 'etcd-lite'), [
      '--data-dir', path.join(this.workDir, 'etcd'),
      '--listen-client-url', 'http://127.0.0.1:0',
      '--client-url-file', urlFile,
    ], this.logFile('etcd'));
    this.etcd = etcd;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (fs.existsSync(urlFile)) {
        const url = fs.readFileSync(urlFile, 'utf8').trim();
        if (url) return url;
      }
      if (!etcd.alive()) throw new Error(`RealFleet: etcd-lite exited (${await etcd.exited}):\n${tail(etcd.logFile)}`);
      await sleep(50);
    }
    throw new Error(`RealFleet: etcd-lite not ready in 30 s:\n${tail(etcd.logFile)}`);
  }

  private async startApiServer(name: string, etcdUrl: string, options: RealFleetOptions): Promise<void> {
    const dir = path.join(this.workDir, name);
    fs.mkdirSync(dir, { recursive: true });
    // A free port can be taken by someone else between our probe and the server's bind: try again then.
    for (let attempt = 1; ; attempt++) {
      const [port] = await freePorts(1);
      const logName = `${name}/kube-apiserver`;
      const proc = this.processes.spawn(logName, path.join(this.binDir, 'kube-apiserver'), [
        `--etcd-servers=${etcdUrl}`,
        `--etcd-prefix=/${name}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${port}`,
        `--cert-dir=${path.join(dir, 'pki')}`,
        `--token-auth-file=${path.join(this.workDir, 'tokens.csv')}`,
        '--authorization-mode=RBAC',
        `--service-account-issuer=https://${name}.ksfed.invalid`,
        `--service-account-key-file=${path.join(this.workDir, 'sa.pub')}`,
        `--service-account-signing-key-file=${path.join(this.workDir, 'sa.key')}`,
        '--service-cluster-ip-range=10.96.0.0/16',
        '--profiling=false',
        // The default reconciler writes 127.0.0.1 into Endpoints default/kubernetes, which validation refuses (loopback).
        '--endpoint-reconciler-type=none',
        ...(this.standIns?.apiServerArgs(name) ?? []),
        ...(options.apiServerArgs?.(name, this.workDir) ?? []),
      ], this.logFile(logName));
      const cluster: RealCluster = { name, port, dir, apiserver: proc, ca: '' };
      this.members.set(name, cluster);
      try {
        await this.waitReady(cluster);
        return;
      } catch (e) {
        const inUse = /address already in use/.test(tail(proc.logFile, 50));
        if (!inUse || attempt >= 3) throw e;
        if (proc.alive()) proc.child.kill('SIGKILL');
        await proc.exited;
      }
    }
  }

  /** Waits for the serving certificate, then for an authenticated, verified `GET /readyz` answering 200. */
  private async waitReady(c: RealCluster): Promise<void> {
    const certFile = path.join(c.dir, 'pki', 'apiserver.crt');
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (!c.apiserver.alive()) {
        throw new Error(`RealFleet: kube-apiserver of ${c.name} exited (${await c.apiserver.exited}):\n${tail(c.apiserver.logFile)}`);
      }
      if (!c.ca && fs.existsSync(certFile)) {
        const pem = fs.readFileSync(certFile, 'utf8');
        if (/-----END CERTIFICATE-----\s*$/.test(pem)) c.ca = pem;
      }
      if (c.ca) {
        try {
          const reply = await request({ server: `https://127.0.0.1:${c.port}`, ca: c.ca, token: this.token }, 'GET', '/readyz');
          if (reply.status === 200) return;
          last = `HTTP ${reply.status}: ${reply.body.split('\n').filter((l) => l.startsWith('[-]')).join('; ')}`;
        } catch (e) {
          last = (e as Error).message;
        }
      }
      await sleep(100);
    }
    throw new Error(`RealFleet: kube-apiserver of ${c.name} not ready in ${READY_TIMEOUT_MS / 1000} s (${last}):\n${tail(c.apiserver.logFile)}`);
  }

  private startControllerManager(name: string): void {
    const c = this.cluster(name);
    const kubeconfig = this.writeSingleKubeconfig(name);
    const logName = `${name}/kube-controller-manager`;
    c.controllerManager = this.processes.spawn(logName, path.join(this.binDir, 'kube-controller-manager'), [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--authentication-skip-lookup',
      '--bind-address=127.0.0.1',
      '--secure-port=0',
      `--cert-dir=${path.join(c.dir, 'kcm-pki')}`,
      '--leader-elect=false',
      `--service-account-private-key-file=${path.join(this.workDir, 'sa.key')}`,
      `--root-ca-file=${path.join(c.dir, 'pki', 'apiserver.crt')}`,
      '--controllers=namespace-controller,garbage-collector-controller,serviceaccount-controller,'
        + 'serviceaccount-token-controller,root-ca-certificate-publisher-controller',
    ], this.logFile(logName));
  }
}
