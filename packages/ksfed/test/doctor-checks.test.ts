import * as fs from 'fs';
import * as path from 'path';
import { synth } from './fixtures';
import { quickstart } from '../../../examples/quickstart/main';
import { CheckInput, CHECKS, checkInfo, kubesphereVersionOf, parseQuantity, parseVersion, runChecks } from '../src/doctor-checks';
import { LiveCluster } from '../src/doctor-live';
import { loadFederation } from '../src/federation';

const FEDERATION = loadFederation(synth(quickstart));
const JWT = 'the-shared-jwt-secret-0123456789ab';
const SELECTED = new Set(['host', 'edge-1', 'branch-7']);

/** The live state of a quickstart cluster after a clean apply, with `over` on top. */
function live(name: string, over: Partial<LiveCluster> = {}): LiveCluster {
  const role = name === 'host' ? 'host' : 'member';
  return {
    name,
    version: { major: '1', minor: '26', gitVersion: 'v1.26.15' },
    kubeSystemUid: `uid-${name}`,
    config: {
      authentication: { jwtSecret: JWT, ...(role === 'member' ? { oauthOptions: { accessTokenMaxAge: 0 } } : {}) },
      multicluster: { clusterRole: role, clusterName: name },
    },
    secret: JWT,
    clusterConfiguration: { spec: { multicluster: { clusterRole: role }, ...(role === 'member' ? { authentication: { jwtSecret: JWT, oauthOptions: { accessTokenMaxAge: 0 } } } : {}) } },
    ksApiServer: { metadata: { labels: { version: 'v3.4.1' } }, spec: { replicas: 1 }, status: { availableReplicas: 1 } },
    ksApiServerService: role === 'member' ? { metadata: { name: 'ks-apiserver' } } : undefined,
    nodes: [{ status: { allocatable: { cpu: '8', memory: '16Gi' }, conditions: [{ type: 'Ready', status: 'True' }] } }],
    workspaces: role === 'member' ? [] : undefined,
    workspaceTemplates: [],
    workspaceNamespaces: [],
    kubefedServiceAccounts: role === 'member' ? [] : undefined,
    clusters: role === 'host' ? ['host', 'edge-1', 'branch-7'].map(n => ({ metadata: { name: n }, status: { uid: `uid-${n}` } })) : undefined,
    components: new Map(),
    towerService: undefined,
    ...over,
  };
}

/** Check input for the clean quickstart, with `over` on top. */
function input(over: Partial<CheckInput> = {}, lives: { [name: string]: Partial<LiveCluster> } = {}): CheckInput {
  return {
    federation: FEDERATION,
    selected: SELECTED,
    live: new Map(['host', 'edge-1', 'branch-7'].map(n => [n, live(n, lives[n])])),
    unreachable: new Map(),
    kubesphereMissing: new Map(),
    jwtSecret: { value: JWT, source: 'the kubesphere-secret Secret of host (key secret)', fromHost: true },
    kubeconfigs: new Map(),
    allowRoleChange: false,
    now: new Date('2025-06-01T00:00:00Z'),
    mode: 'full',
    ...over,
  };
}

const brief = (i: CheckInput) => runChecks(i).map(f => `${f.severity} ${f.cluster} ${f.check}`);

describe('CHECKS', () => {
  test('ids are unique kebab-case; each says what it detects, why (the issue where there is one) and the fix; the README lists every one', () => {
    const ids = CHECKS.map(c => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(20);
    for (const c of CHECKS) {
      expect(c.id).toMatch(/^[a-z]+(-[a-z0-9]+)+$/);
      expect([c.detects.length, c.why.length, c.fix.length].every(n => n > 10)).toBe(true);
      expect(c.severities.length).toBeGreaterThan(0);
    }
    expect(CHECKS.filter(c => /#\d+/.test(c.why)).length).toBeGreaterThanOrEqual(10);
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    expect(readme.indexOf('## When a member does not join')).toBeGreaterThan(0);
    const section = readme.slice(readme.indexOf('## When a member does not join'));
    expect(ids.filter(id => !section.includes(`\`${id}\``))).toEqual([]);
    expect(() => checkInfo('no-such-check')).toThrow(/unknown doctor check no-such-check/);
  });
});

describe('runChecks', () => {
  test('the clean quickstart gives nothing', () => {
    expect(runChecks(input())).toEqual([]);
  });

  test('an unreachable cluster gets that one finding; a cluster without KubeSphere only what needs no KubeSphere', () => {
    expect(brief(input({ unreachable: new Map([['edge-1', 'connection refused']]) }))).toEqual(['error edge-1 cluster-unreachable']);
    const missing = input({ kubesphereMissing: new Map([['branch-7', 'namespace kubesphere-system does not exist']]) }, {
      'branch-7': { version: { gitVersion: 'v1.18.3' }, config: null, ksApiServer: null, ksApiServerService: null },
    });
    expect(brief(missing)).toEqual(['error branch-7 kubesphere-not-installed', 'error branch-7 kubernetes-version-unsupported']);
  });

  test('findings are ordered by cluster (federation.json order), then by CHECKS', () => {
    const i = input({}, {
      'branch-7': { version: { gitVersion: 'v1.30.0' }, ksApiServerService: null },
      'host': { ksApiServer: { metadata: { labels: { version: 'v3.3.2' } } } },
    });
    expect(brief(i)).toEqual(['error host kubesphere-version-unsupported', 'warning branch-7 kubernetes-version-unsupported', 'error branch-7 member-no-ks-apiserver']);
  });

  test('jwtSecret: never shown; a host whose kubesphere-config disagrees with the members\' value is the one cause reported', () => {
    const other = 'hand-edited-secret-9876543210zyxw';
    const i = input({}, { host: { config: { authentication: { jwtSecret: other }, multicluster: { clusterRole: 'host' } } } });
    const found = runChecks(i);
    expect(found.map(f => `${f.severity} ${f.cluster} ${f.check}`)).toEqual(['error host jwt-secret-host-differs']);
    expect(found[0].fix).toMatch(/restart ks-installer on host/);
    expect(JSON.stringify(found)).not.toMatch(new RegExp(`${JWT}|${other}`));
  });

  test('jwtSecret: a member whose ClusterConfiguration this run changes is fine; one that already asks for it but runs another is not', () => {
    const stale = { config: { authentication: { jwtSecret: 'member-own-secret-00000000000000', oauthOptions: { accessTokenMaxAge: 0 } }, multicluster: { clusterRole: 'member' } } };
    // fresh member: its ClusterConfiguration does not have the host's value yet, the run sets it
    expect(brief(input({}, { 'edge-1': { ...stale, clusterConfiguration: { spec: { multicluster: { clusterRole: 'member' } } } } }))).toEqual([]);
    // ks-installer did not apply it
    const found = runChecks(input({}, { 'edge-1': stale }));
    expect(found.map(f => `${f.severity} ${f.cluster} ${f.check}`)).toEqual(['error edge-1 jwt-secret-mismatch']);
    expect(found[0].seen).toMatch(/although its ClusterConfiguration asks for the host's: ks-installer has not applied it/);
    // a member outside the run (--only host) is not checked
    expect(brief(input({ selected: new Set(['host']) }, { 'edge-1': stale }))).toEqual([]);
  });

  test('jwtSecret from an environment variable the host does not run with: apply rotates the host (warning); a value that cannot be had is an error', () => {
    const env = { value: 'rotated-0123456789abcdefghijklmn', source: 'environment variable KS_JWT_SECRET', fromHost: false };
    // (the quickstart's host folder leaves the secret to ks-installer: nothing in this run changes the host)
    expect(brief(input({ jwtSecret: env }))).toEqual(['error host jwt-secret-host-differs']);
    const unavailable = runChecks(input({ jwtSecret: { source: 'environment variable KS_JWT_SECRET', fromHost: false, problem: 'environment variable KS_JWT_SECRET is not set' } }));
    expect(unavailable.map(f => `${f.severity} ${f.cluster} ${f.check}`)).toEqual(['error edge-1 jwt-secret-unavailable']);
    expect(unavailable[0].seen).toBe('the jwtSecret (environment variable KS_JWT_SECRET) cannot be had: environment variable KS_JWT_SECRET is not set');
  });

  test('roles: host turned member is an error, a warning when allowed; none to host or member is a first install', () => {
    const turned = { host: { clusterConfiguration: { spec: { multicluster: { clusterRole: 'member' } } } } };
    expect(brief(input({}, turned))).toEqual(['error host cluster-role-change']);
    expect(brief(input({ allowRoleChange: true }, turned))).toEqual(['warning host cluster-role-change']);
    expect(brief(input({}, { 'edge-1': { clusterConfiguration: null, config: { authentication: { jwtSecret: JWT, oauthOptions: { accessTokenMaxAge: 0 } }, multicluster: { clusterRole: 'none' } } } }))).toEqual([]);
  });

  test('identity: the host knows the member as another Cluster, or its Cluster is another cluster\'s; a duplicate is reported once, as such', () => {
    expect(brief(input({}, { host: { clusters: [{ metadata: { name: 'old-edge' }, status: { uid: 'uid-edge-1' } }, { metadata: { name: 'branch-7' }, status: { uid: 'uid-branch-7' } }] } })))
      .toEqual(['error edge-1 member-renamed']);
    expect(brief(input({}, { 'edge-1': { kubeSystemUid: 'uid-rebuilt' } }))).toEqual(['error edge-1 member-cluster-swapped']);
    expect(brief(input({}, { 'branch-7': { kubeSystemUid: 'uid-edge-1' } }))).toEqual(['error branch-7 same-live-cluster']);
  });

  test('the kubeconfig of a direct member: an expired JWT, a private IPv6 address', () => {
    const jwt = (exp: number) => ['e30', Buffer.from(JSON.stringify({ exp })).toString('base64url'), 'sig'].join('.');
    const kubeconfig = (server: string, token: string) => JSON.stringify({
      'apiVersion': 'v1',
      'kind': 'Config',
      'current-context': 'c',
      'clusters': [{ name: 'k', cluster: { server } }],
      'users': [{ name: 'u', user: { token } }],
      'contexts': [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
    });
    const expired = jwt(Date.parse('2025-05-01T00:00:00Z') / 1000);
    const found = runChecks(input({ kubeconfigs: new Map([['edge-1', { source: 'context edge-1', text: kubeconfig('https://[fd00::5]:6443', expired) }]]) }));
    expect(found.map(f => `${f.severity} ${f.cluster} ${f.check}`)).toEqual([
      'info edge-1 direct-kubeconfig-server-private', 'warning edge-1 direct-kubeconfig-token-only', 'error edge-1 direct-kubeconfig-credential-expired',
    ]);
    expect(found[2].seen).toBe('the token of edge-1\'s kubeconfig (context edge-1) expired on 2025-05-01T00:00:00.000Z');
    expect(JSON.stringify(found)).not.toContain(expired);
  });

  test('capacity: a DaemonSet counts once per node; nodes that are not Ready do not count', () => {
    const tiny = { status: { allocatable: { cpu: '100m', memory: '64Mi' }, conditions: [{ type: 'Ready', status: 'True' }] } };
    const down = { status: { allocatable: { cpu: '64', memory: '256Gi' }, conditions: [{ type: 'Ready', status: 'False' }] } };
    const found = runChecks(input({}, { 'branch-7': { nodes: [tiny, down] } }));
    expect(found.map(f => `${f.severity} ${f.cluster} ${f.check}`)).toEqual(['error branch-7 node-allocatable-insufficient']);
    expect(found[0].seen).toBe('the 1 Ready node of branch-7 have 0.1 CPU and 64Mi allocatable; the folder\'s workloads request 95Mi; no node fits a pod of Deployment kubesphere-system/cluster-agent (0.1 CPU, 95Mi per pod)');
  });
});

describe('parsers', () => {
  test('parseQuantity: decimal and binary suffixes, millicores, exponents; not a quantity is undefined', () => {
    expect([parseQuantity('100m'), parseQuantity('1.5'), parseQuantity('64Mi'), parseQuantity('200M'), parseQuantity('1e3'), parseQuantity(2)]).toEqual([0.1, 1.5, 64 * 2 ** 20, 200e6, 1000, 2]);
    expect(parseQuantity('lots')).toBeUndefined();
    expect(parseQuantity('5Qi')).toBeUndefined();
  });

  test('parseVersion and kubesphereVersionOf: the version label, else the image tag (a digest or latest says nothing)', () => {
    expect(parseVersion('v1.26.15+k3s1')).toEqual([1, 26, 15]);
    expect(parseVersion('3.4')).toEqual([3, 4, 0]);
    expect(parseVersion('latest')).toBeUndefined();
    const deploy = (image: string, version?: string) => ({ metadata: { labels: version ? { version } : {} }, spec: { template: { spec: { containers: [{ name: 'ks-apiserver', image }] } } } });
    expect(kubesphereVersionOf(deploy('registry.example.com:5000/kubesphere/ks-apiserver:v3.3.2'))).toBe('v3.3.2');
    expect(kubesphereVersionOf(deploy('kubesphere/ks-apiserver:latest', 'v3.4.1'))).toBe('v3.4.1');
    expect(kubesphereVersionOf(deploy('kubesphere/ks-apiserver@sha256:abc'))).toBeUndefined();
  });
});
