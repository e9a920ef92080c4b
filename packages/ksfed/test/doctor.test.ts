import * as fs from 'fs';
import * as path from 'path';
import { Connection, FederationApp, Host, JwtSecret, Kubeconfig, Member, Placement, Workspace } from 'cdk8s-kubesphere-federation';
import { SandboxCluster } from 'ksfed-sandbox';
import { configSettings, KUBESPHERE_CONFIG } from 'ksfed-sandbox/lib/kubesphere';
import { readyStatus } from 'ksfed-sandbox/lib/workloads';
import { FAKE_JWT_SECRET, FAST, Fleet, mutations, startFleet, synth, tmpdir } from './fixtures';
import { apply } from '../src/apply';
import { CHECKS, doctor, DoctorReport, doctorExitCode, formatDoctor } from '../src/doctor';
import { Finding } from '../src/doctor-checks';
import { UsageError } from '../src/errors';
import { selfSignedCertificate } from '../src/x509';

jest.setTimeout(180_000);

/** The kubeconfig file the clean program hands the host for edge-1 (rewritten by the kubeconfig fixtures). */
const EDGE_KUBECONFIG = path.join(tmpdir('ksfed-doctor-'), 'edge-1-for-the-host.kubeconfig');

/**
 * The clean program: the quickstart's host, direct member edge-1 (whose Cluster gets EDGE_KUBECONFIG: the address the
 * host reaches it at, a client certificate and its token) and agent member branch-7, plus workspace shop on branch-7.
 */
function clean(extra?: (app: FederationApp, host: Host) => void, jwtSecret?: JwtSecret): (app: FederationApp) => void {
  return app => {
    const host = new Host(app, 'host', { name: 'host', region: 'eu-central', capacity: { nodes: 3, cpu: '4', memory: '8Gi' }, ...(jwtSecret ? { jwtSecret } : {}) });
    new Member(app, 'edge-1', { host, name: 'edge-1', region: 'eu-west', connection: Connection.direct({ kubeconfig: Kubeconfig.fromFile(EDGE_KUBECONFIG) }) });
    const branch = new Member(app, 'branch-7', { host, name: 'branch-7', region: 'eu-west', connection: Connection.agent() });
    new Workspace(host, 'shop', { name: 'shop', placement: Placement.clusters(branch) });
    extra?.(app, host);
  };
}

/** The clean program plus agent member edge-2 (its context is chosen per fixture). */
const withEdge2 = clean((app, host) => {
  new Member(app, 'edge-2', { host, name: 'edge-2', connection: Connection.agent() });
});

/** A certificate (PEM, base64) valid from `daysAgo` days ago for `validDays` days. */
function certificate(daysAgo: number, validDays: number): { cert: string; key: string } {
  const pair = selfSignedCertificate({ dnsNames: ['edge-1-admin'], validDays, now: new Date(Date.now() - daysAgo * 86_400_000) });
  return { cert: Buffer.from(pair.certPem).toString('base64'), key: Buffer.from(pair.keyPem).toString('base64') };
}

/** A kubeconfig for edge-1 with the given server and credentials. */
function edgeKubeconfig(fleet: Fleet, options: { server?: string; cert?: { cert: string; key: string } | null; context?: string } = {}): string {
  const edge = fleet.sandbox.cluster('edge-1');
  const cert = options.cert === undefined ? certificate(1, 365) : options.cert;
  return JSON.stringify({
    'apiVersion': 'v1',
    'kind': 'Config',
    'clusters': [{ name: 'edge-1', cluster: { 'server': options.server ?? edge.advertisedUrl, 'insecure-skip-tls-verify': true } }],
    'users': [{ name: 'edge-1-admin', user: { token: edge.token, ...(cert ? { 'client-certificate-data': cert.cert, 'client-key-data': cert.key } : {}) } }],
    'contexts': [{ name: 'edge-1', context: { cluster: 'edge-1', user: 'edge-1-admin' } }],
    'current-context': options.context ?? 'edge-1',
  });
}

/** Replaces an object's fields with a JSON merge patch as another field manager (kubectl edit). */
function patch(c: SandboxCluster, apiVersion: string, kind: string, name: string, namespace: string | undefined, body: any): void {
  c.api.mergePatch(c.api.typeOf(apiVersion, kind), namespace, name, body, 'kubectl-edit');
}

/** Edits kubesphere-config's settings by hand. */
function editConfig(c: SandboxCluster, edit: (settings: any) => void): void {
  const settings = configSettings(c.get('v1', 'ConfigMap', KUBESPHERE_CONFIG, 'kubesphere-system'))!;
  edit(settings);
  patch(c, 'v1', 'ConfigMap', KUBESPHERE_CONFIG, 'kubesphere-system', { data: { 'kubesphere.yaml': JSON.stringify(settings) } });
}

/** Lets the sandbox's controllers react to a change (installer, cluster controller: 5 ms). */
const settle = () => new Promise(r => setTimeout(r, 150));

const brief = (findings: Finding[]) => findings.map(f => `${f.severity} ${f.cluster} ${f.check}`);

/** What a fixture needs: the fleet, and the programs synthesized once. */
interface World {
  readonly fleet: Fleet;
  readonly dists: { clean: string; withEdge2: string; renamed: string; envJwt: string };
  readonly kubeconfigWithAlias: string;
}

/** A fixture: changes the clean fleet so that one check fires, and undoes the change. */
interface Fixture {
  readonly check: string;
  readonly severity: 'error' | 'warning' | 'info';
  readonly cluster: string;
  /** Which program doctor checks (default: the clean one). */
  readonly dist?: keyof World['dists'];
  readonly options?: (w: World) => object;
  readonly mutate?: (w: World) => void;
  readonly revert?: (w: World) => void;
}

const FIXTURES: Fixture[] = [
  {
    check: 'cluster-unreachable',
    severity: 'error',
    cluster: 'branch-7',
    mutate: w => w.fleet.sandbox.cluster('branch-7').setDown(true),
    revert: w => w.fleet.sandbox.cluster('branch-7').setDown(false),
  },
  {
    // edge-2 reaches branch-7 through another spelling of its address (localhost), which the kubeconfig check lets through
    check: 'same-live-cluster',
    severity: 'error',
    cluster: 'edge-2',
    dist: 'withEdge2',
    options: w => ({ kubeconfig: w.kubeconfigWithAlias, contexts: { 'edge-2': 'branch-7-alias' } }),
  },
  {
    check: 'kubesphere-not-installed',
    severity: 'error',
    cluster: 'edge-2',
    dist: 'withEdge2',
    options: () => ({ contexts: { 'edge-2': 'bare' } }),
  },
  {
    check: 'kubesphere-version-unsupported',
    severity: 'error',
    cluster: 'edge-1',
    mutate: w => patch(w.fleet.sandbox.cluster('edge-1'), 'apps/v1', 'Deployment', 'ks-apiserver', 'kubesphere-system', { metadata: { labels: { version: 'v3.3.2' } } }),
    revert: w => patch(w.fleet.sandbox.cluster('edge-1'), 'apps/v1', 'Deployment', 'ks-apiserver', 'kubesphere-system', { metadata: { labels: { version: 'v3.4.1' } } }),
  },
  {
    check: 'kubernetes-version-unsupported',
    severity: 'error',
    cluster: 'edge-1',
    mutate: w => w.fleet.sandbox.cluster('edge-1').setKubernetesVersion('v1.18.20'),
    revert: w => w.fleet.sandbox.cluster('edge-1').setKubernetesVersion('v1.26.15'),
  },
  {
    check: 'kubernetes-version-unsupported',
    severity: 'warning',
    cluster: 'host',
    mutate: w => w.fleet.sandbox.cluster('host').setKubernetesVersion('v1.30.2'),
    revert: w => w.fleet.sandbox.cluster('host').setKubernetesVersion('v1.26.15'),
  },
  {
    check: 'member-no-ks-apiserver',
    severity: 'error',
    cluster: 'branch-7',
    mutate: w => {
      const c = w.fleet.sandbox.cluster('branch-7');
      c.api.delete(c.api.typeOf('v1', 'Service'), 'kubesphere-system', 'ks-apiserver');
    },
    revert: w => {
      const c = w.fleet.sandbox.cluster('branch-7');
      const svc = w.fleet.sandbox.cluster('edge-1').get('v1', 'Service', 'ks-apiserver', 'kubesphere-system');
      c.api.create(c.api.typeOf('v1', 'Service'), 'kubesphere-system', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ks-apiserver', namespace: 'kubesphere-system', labels: svc.metadata.labels }, spec: { selector: svc.spec.selector, ports: svc.spec.ports } }, { fieldManager: 'ks-installer' });
    },
  },
  {
    check: 'member-no-ks-apiserver',
    severity: 'warning',
    cluster: 'edge-1',
    mutate: w => {
      const c = w.fleet.sandbox.cluster('edge-1');
      const live = c.get('apps/v1', 'Deployment', 'ks-apiserver', 'kubesphere-system');
      c.api.writeStatus(c.api.typeOf('apps/v1', 'Deployment'), 'kubesphere-system', 'ks-apiserver', { ...live.status, availableReplicas: 0, readyReplicas: 0 }, 'kube-controller-manager');
    },
    revert: w => {
      const c = w.fleet.sandbox.cluster('edge-1');
      const live = c.get('apps/v1', 'Deployment', 'ks-apiserver', 'kubesphere-system');
      c.api.writeStatus(c.api.typeOf('apps/v1', 'Deployment'), 'kubesphere-system', 'ks-apiserver', readyStatus('Deployment', live), 'kube-controller-manager');
    },
  },
  {
    // the member was turned into a host (its ClusterConfiguration edited): the folder would turn it back
    check: 'cluster-role-change',
    severity: 'error',
    cluster: 'edge-1',
    mutate: w => patch(w.fleet.sandbox.cluster('edge-1'), 'installer.kubesphere.io/v1alpha1', 'ClusterConfiguration', 'ks-installer', 'kubesphere-system', { spec: { multicluster: { clusterRole: 'host' } } }),
    revert: w => patch(w.fleet.sandbox.cluster('edge-1'), 'installer.kubesphere.io/v1alpha1', 'ClusterConfiguration', 'ks-installer', 'kubesphere-system', { spec: { multicluster: { clusterRole: 'member' } } }),
  },
  {
    check: 'cluster-role-change',
    severity: 'warning',
    cluster: 'edge-1',
    options: () => ({ allowRoleChange: true }),
    mutate: w => patch(w.fleet.sandbox.cluster('edge-1'), 'installer.kubesphere.io/v1alpha1', 'ClusterConfiguration', 'ks-installer', 'kubesphere-system', { spec: { multicluster: { clusterRole: 'host' } } }),
    revert: w => patch(w.fleet.sandbox.cluster('edge-1'), 'installer.kubesphere.io/v1alpha1', 'ClusterConfiguration', 'ks-installer', 'kubesphere-system', { spec: { multicluster: { clusterRole: 'member' } } }),
  },
  {
    check: 'jwt-secret-unavailable',
    severity: 'error',
    cluster: 'host',
    mutate: w => {
      const c = w.fleet.sandbox.cluster('host');
      c.api.delete(c.api.typeOf('v1', 'Secret'), 'kubesphere-system', 'kubesphere-secret');
    },
    revert: w => {
      const c = w.fleet.sandbox.cluster('host');
      c.api.create(c.api.typeOf('v1', 'Secret'), 'kubesphere-system', {
        apiVersion: 'v1', kind: 'Secret', metadata: { name: 'kubesphere-secret', namespace: 'kubesphere-system' }, data: { secret: Buffer.from(FAKE_JWT_SECRET).toString('base64') },
      }, { fieldManager: 'ks-installer' });
    },
  },
  {
    // kubesphere-config edited by hand: the host runs with another secret than kubesphere-secret, which the members get
    check: 'jwt-secret-host-differs',
    severity: 'error',
    cluster: 'host',
    mutate: w => editConfig(w.fleet.sandbox.cluster('host'), s => s.authentication.jwtSecret = 'edited-by-hand-0123456789abcdef'),
    revert: w => editConfig(w.fleet.sandbox.cluster('host'), s => s.authentication.jwtSecret = FAKE_JWT_SECRET),
  },
  {
    // a program whose jwtSecret comes from an environment variable with another value: apply would rotate the host's
    check: 'jwt-secret-host-differs',
    severity: 'warning',
    cluster: 'host',
    dist: 'envJwt',
    options: () => ({ env: { KS_JWT_SECRET: 'rotated-secret-0123456789abcdefgh' } }),
  },
  {
    check: 'jwt-secret-mismatch',
    severity: 'error',
    cluster: 'edge-1',
    mutate: w => editConfig(w.fleet.sandbox.cluster('edge-1'), s => s.authentication.jwtSecret = 'edited-by-hand-0123456789abcdef'),
    revert: w => editConfig(w.fleet.sandbox.cluster('edge-1'), s => s.authentication.jwtSecret = FAKE_JWT_SECRET),
  },
  {
    check: 'member-access-token-max-age',
    severity: 'warning',
    cluster: 'branch-7',
    mutate: w => editConfig(w.fleet.sandbox.cluster('branch-7'), s => s.authentication.oauthOptions.accessTokenMaxAge = 7200),
    revert: w => editConfig(w.fleet.sandbox.cluster('branch-7'), s => s.authentication.oauthOptions.accessTokenMaxAge = 0),
  },
  {
    // spare still holds the join ServiceAccount another host's KubeFed made
    check: 'member-managed-by-another-host',
    severity: 'error',
    cluster: 'edge-2',
    dist: 'withEdge2',
    options: () => ({ contexts: { 'edge-2': 'spare' } }),
    mutate: w => {
      const c = w.fleet.sandbox.cluster('spare');
      if (!c.get('v1', 'Namespace', 'kube-federation-system')) c.api.create(c.api.typeOf('v1', 'Namespace'), undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-federation-system' } }, { fieldManager: 'kubefed' });
      c.api.create(c.api.typeOf('v1', 'ServiceAccount'), 'kube-federation-system', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'edge-2-kubesphere', namespace: 'kube-federation-system' } }, { fieldManager: 'kubefed' });
    },
    revert: w => {
      const c = w.fleet.sandbox.cluster('spare');
      c.api.delete(c.api.typeOf('v1', 'ServiceAccount'), 'kube-federation-system', 'edge-2-kubesphere');
    },
  },
  {
    // spare was joined before under another name
    check: 'member-renamed',
    severity: 'error',
    cluster: 'edge-2',
    dist: 'withEdge2',
    options: () => ({ contexts: { 'edge-2': 'spare' } }),
    mutate: w => editConfig(w.fleet.sandbox.cluster('spare'), s => s.multicluster.clusterName = 'old-name'),
    revert: w => editConfig(w.fleet.sandbox.cluster('spare'), s => delete s.multicluster.clusterName),
  },
  {
    // the program names the member the host knows as edge-1 "edge-one"
    check: 'member-renamed',
    severity: 'error',
    cluster: 'edge-one',
    dist: 'renamed',
    options: () => ({ contexts: { 'edge-one': 'edge-1' } }),
  },
  {
    check: 'member-cluster-swapped',
    severity: 'error',
    cluster: 'edge-1',
    options: () => ({ contexts: { 'edge-1': 'spare' } }),
  },
  {
    check: 'member-workspace-conflict',
    severity: 'error',
    cluster: 'edge-1',
    mutate: w => {
      const c = w.fleet.sandbox.cluster('edge-1');
      c.api.create(c.api.typeOf('tenant.kubesphere.io/v1alpha1', 'Workspace'), undefined, { apiVersion: 'tenant.kubesphere.io/v1alpha1', kind: 'Workspace', metadata: { name: 'shop', labels: { 'kubefed.io/managed': 'true' } } }, { fieldManager: 'kubefed' });
    },
    revert: w => {
      const c = w.fleet.sandbox.cluster('edge-1');
      c.api.delete(c.api.typeOf('tenant.kubesphere.io/v1alpha1', 'Workspace'), undefined, 'shop');
    },
  },
  {
    check: 'member-not-clean',
    severity: 'warning',
    cluster: 'branch-7',
    mutate: w => {
      const c = w.fleet.sandbox.cluster('branch-7');
      c.api.create(c.api.typeOf('tenant.kubesphere.io/v1alpha1', 'Workspace'), undefined, { apiVersion: 'tenant.kubesphere.io/v1alpha1', kind: 'Workspace', metadata: { name: 'legacy' } }, { fieldManager: 'ks-console' });
    },
    revert: w => {
      const c = w.fleet.sandbox.cluster('branch-7');
      c.api.delete(c.api.typeOf('tenant.kubesphere.io/v1alpha1', 'Workspace'), undefined, 'legacy');
    },
  },
  {
    // the kubeconfig file names a current context it does not have
    check: 'direct-kubeconfig-unavailable',
    severity: 'error',
    cluster: 'edge-1',
    mutate: w => fs.writeFileSync(EDGE_KUBECONFIG, edgeKubeconfig(w.fleet, { context: 'edge-1-admin' })),
    revert: w => fs.writeFileSync(EDGE_KUBECONFIG, edgeKubeconfig(w.fleet)),
  },
  {
    check: 'direct-kubeconfig-server-loopback',
    severity: 'warning',
    cluster: 'edge-1',
    mutate: w => fs.writeFileSync(EDGE_KUBECONFIG, edgeKubeconfig(w.fleet, { server: w.fleet.sandbox.cluster('edge-1').url })),
    revert: w => fs.writeFileSync(EDGE_KUBECONFIG, edgeKubeconfig(w.fleet)),
  },
  {
    check: 'direct-kubeconfig-server-private',
    severity: 'info',
    cluster: 'edge-1',
    mutate: w => fs.writeFileSync(EDGE_KUBECONFIG, edgeKubeconfig(w.fleet, { server: 'https://10.20.0.5:6443' })),
    revert: w => fs.writeFileSync(EDGE_KUBECONFIG, edgeKubeconfig(w.fleet)),
  },
  {
    check: 'direct-kubeconfig-token-only',
    severity: 'warning',
    cluster: 'edge-1',
    mutate: w => fs.writeFileSync(EDGE_KUBECONFIG, edgeKubeconfig(w.fleet, { cert: null })),
    revert: w => fs.writeFileSync(EDGE_KUBECONFIG, edgeKubeconfig(w.fleet)),
  },
  {
    check: 'direct-kubeconfig-credential-expired',
    severity: 'error',
    cluster: 'edge-1',
    mutate: w => fs.writeFileSync(EDGE_KUBECONFIG, edgeKubeconfig(w.fleet, { cert: certificate(400, 30) })),
    revert: w => fs.writeFileSync(EDGE_KUBECONFIG, edgeKubeconfig(w.fleet)),
  },
  {
    check: 'direct-kubeconfig-credential-expiring',
    severity: 'warning',
    cluster: 'edge-1',
    mutate: w => fs.writeFileSync(EDGE_KUBECONFIG, edgeKubeconfig(w.fleet, { cert: certificate(1, 4) })),
    revert: w => fs.writeFileSync(EDGE_KUBECONFIG, edgeKubeconfig(w.fleet)),
  },
  {
    check: 'app-store-member-only',
    severity: 'warning',
    cluster: 'branch-7',
    mutate: w => patch(w.fleet.sandbox.cluster('branch-7'), 'installer.kubesphere.io/v1alpha1', 'ClusterConfiguration', 'ks-installer', 'kubesphere-system', { spec: { openpitrix: { store: { enabled: true } } } }),
    revert: w => patch(w.fleet.sandbox.cluster('branch-7'), 'installer.kubesphere.io/v1alpha1', 'ClusterConfiguration', 'ks-installer', 'kubesphere-system', { spec: { openpitrix: null } }),
  },
  {
    check: 'node-allocatable-insufficient',
    severity: 'error',
    cluster: 'branch-7',
    mutate: w => {
      const c = w.fleet.sandbox.cluster('branch-7');
      const node = c.get('v1', 'Node', c.nodeName);
      c.api.writeStatus(c.api.typeOf('v1', 'Node'), undefined, c.nodeName, { ...node.status, allocatable: { ...node.status.allocatable, cpu: '50m' } }, 'kubelet');
    },
    revert: w => {
      const c = w.fleet.sandbox.cluster('branch-7');
      const node = c.get('v1', 'Node', c.nodeName);
      c.api.writeStatus(c.api.typeOf('v1', 'Node'), undefined, c.nodeName, { ...node.status, allocatable: { ...node.status.allocatable, cpu: '8' } }, 'kubelet');
    },
  },
  {
    // tower as ks-installer's tower.yaml leaves it: not in ksfed's ApplySet
    check: 'components-two-owners',
    severity: 'error',
    cluster: 'host',
    mutate: w => patch(w.fleet.sandbox.cluster('host'), 'apps/v1', 'Deployment', 'tower', 'kubesphere-system', { metadata: { labels: { 'applyset.kubernetes.io/part-of': null } } }),
    revert: w => {
      const host = w.fleet.sandbox.cluster('host');
      const id = host.get('v1', 'Secret', 'ksfed-applyset', 'kube-system').metadata.labels['applyset.kubernetes.io/id'];
      patch(host, 'apps/v1', 'Deployment', 'tower', 'kubesphere-system', { metadata: { labels: { 'applyset.kubernetes.io/part-of': id } } });
    },
  },
];

describe('doctor on a sandbox fleet', () => {
  let world: World;
  let report: DoctorReport;
  const run = (dist: string, extra: object = {}) => doctor(dist, { kubeconfig: world.fleet.kubeconfig, ...FAST, ...extra });

  beforeAll(async () => {
    const fleet = await startFleet({ clusters: ['host', 'edge-1', 'branch-7', 'spare', 'bare'], sandbox: { withoutKubeSphere: ['bare'] } });
    fs.writeFileSync(EDGE_KUBECONFIG, edgeKubeconfig(fleet));
    const dists = {
      clean: synth(clean()),
      withEdge2: synth(withEdge2),
      renamed: synth(app => {
        const host = new Host(app, 'host', { name: 'host', capacity: { nodes: 3, cpu: '4', memory: '8Gi' } });
        new Member(app, 'edge-one', { host, name: 'edge-one', connection: Connection.agent() });
      }),
      envJwt: synth(clean(undefined, JwtSecret.fromEnv('KS_JWT_SECRET'))),
    };
    // a context that reaches branch-7 through another spelling of its address
    const kc = JSON.parse(JSON.stringify(fleet.sandbox.kubeconfig()));
    kc.clusters.push({ name: 'branch-7-alias', cluster: { 'server': fleet.sandbox.cluster('branch-7').url.replace('127.0.0.1', 'localhost'), 'insecure-skip-tls-verify': true } });
    kc.contexts.push({ name: 'branch-7-alias', context: { cluster: 'branch-7-alias', user: 'branch-7-admin' } });
    const kubeconfigWithAlias = path.join(path.dirname(fleet.kubeconfig), 'alias.kubeconfig');
    fs.writeFileSync(kubeconfigWithAlias, JSON.stringify(kc));
    world = { fleet, dists, kubeconfigWithAlias };
    const applied = await apply(dists.clean, { kubeconfig: fleet.kubeconfig, ...FAST });
    expect(applied.clusters.map(c => [c.name, c.status, c.error])).toEqual([['host', 'succeeded', undefined], ['edge-1', 'succeeded', undefined], ['branch-7', 'succeeded', undefined]]);
    await settle();
    report = await run(dists.clean);
  });
  afterAll(() => world?.fleet.stop());

  test('the clean fleet (the program applied) gives no finding; it changes nothing', async () => {
    expect(report.findings).toEqual([]);
    expect(report.clusters).toEqual(['host', 'edge-1', 'branch-7']);
    world.fleet.sandbox.clusters.forEach(c => c.clearRequests());
    expect((await run(world.dists.clean)).findings).toEqual([]);
    expect(mutations(world.fleet.sandbox)).toEqual([]);
  });

  test('every check has a fixture here (and each severity it reports)', () => {
    // (agent-no-tower-address needs a host without a load balancer: its own fleet, below)
    const covered = new Set([...FIXTURES.map(f => `${f.check} ${f.severity}`), 'agent-no-tower-address warning']);
    expect(CHECKS.flatMap(c => c.severities.map(s => `${c.id} ${s}`)).filter(k => !covered.has(k))).toEqual([]);
  });

  test.each(FIXTURES.map(f => [`${f.check} (${f.severity})`, f] as const))('%s fires alone on its fixture', async (_name, f) => {
    f.mutate?.(world);
    await settle();
    try {
      const found = await run(world.dists[f.dist ?? 'clean'], f.options?.(world) ?? {});
      expect(brief(found.findings)).toEqual([`${f.severity} ${f.cluster} ${f.check}`]);
      const finding = found.findings[0];
      expect(finding.seen.length).toBeGreaterThan(0);
      expect(finding.fix.length).toBeGreaterThan(0);
      expect(finding.why).toBe(CHECKS.find(c => c.id === f.check)!.why);
      // never a secret: neither the jwtSecret nor any token of the fleet
      const text = JSON.stringify(found);
      for (const secret of [FAKE_JWT_SECRET, 'rotated-secret-0123456789abcdefgh', ...world.fleet.sandbox.clusters.map(c => c.token)]) expect(text).not.toContain(secret);
    } finally {
      f.revert?.(world);
      await settle();
    }
  });

  test('after every fixture is undone, the fleet is clean again', async () => {
    expect((await run(world.dists.clean)).findings).toEqual([]);
  });

  test('the agent of a host without a load balancer (tower pending) is a warning', async () => {
    const fleet = await startFleet({ sandbox: { withoutLoadBalancer: ['host'] } });
    try {
      await apply(synth(), { kubeconfig: fleet.kubeconfig, ...FAST, waitTimeoutMs: 300 });
      const found = await doctor(synth(), { kubeconfig: fleet.kubeconfig, ...FAST, only: ['branch-7'] });
      expect(brief(found.findings)).toEqual(['warning branch-7 agent-no-tower-address']);
      expect(found.findings[0].seen).toMatch(/Service kubesphere-system\/tower on host, which has none \(LoadBalancer pending\)/);
    } finally {
      await fleet.stop();
    }
  });

  test('bad input is a UsageError, as for the other commands', async () => {
    await expect(run(world.dists.clean, { contexts: { nowhere: 'x' } })).rejects.toThrow(UsageError);
    await expect(run(world.dists.clean, { contexts: { nowhere: 'x' } })).rejects.toThrow(/unknown cluster "nowhere"/);
  });
});

describe('formatDoctor and doctorExitCode', () => {
  const finding = (severity: Finding['severity'], check: string): Finding => ({ severity, cluster: 'edge-1', check, seen: `seen ${check}`, why: `why ${check}`, fix: `fix ${check}` });

  test('no findings: one line, exit 0', () => {
    const report = { dist: 'dist', clusters: ['host', 'edge-1'], findings: [] };
    expect(formatDoctor(report)).toBe(`doctor: no findings on 2 clusters (host, edge-1); ${CHECKS.length} checks`);
    expect(doctorExitCode(report)).toBe(0);
  });

  test('a table of findings, each with its why and fix, and the counts; exit 1 on an error, 0 on warnings alone', () => {
    const report = { dist: 'dist', clusters: ['host', 'edge-1'], findings: [finding('error', 'member-renamed'), finding('warning', 'member-not-clean')] };
    expect(formatDoctor(report).split('\n')).toEqual([
      'SEVERITY  CLUSTER  CHECK             SEEN',
      'error     edge-1   member-renamed    seen member-renamed',
      '                                     why: why member-renamed',
      '                                     fix: fix member-renamed',
      'warning   edge-1   member-not-clean  seen member-not-clean',
      '                                     why: why member-not-clean',
      '                                     fix: fix member-not-clean',
      'doctor: 1 error, 1 warning on 2 clusters (host, edge-1)',
    ]);
    expect(doctorExitCode(report)).toBe(1);
    expect(doctorExitCode({ ...report, findings: [report.findings[1]] })).toBe(0);
  });

  test('the JSON form is the report itself: plain data', () => {
    const report = { dist: 'dist', clusters: ['edge-1'], findings: [finding('info', 'direct-kubeconfig-server-private')] };
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});
