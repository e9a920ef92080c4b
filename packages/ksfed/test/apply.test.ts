import * as fs from 'fs';
import * as path from 'path';
import { KubeConfig, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { ApiObject, Chart } from 'cdk8s';
import { Connection, FederationApp, Host, Member } from 'cdk8s-kubesphere-federation';
import { configSettings } from 'ksfed-sandbox/lib/kubesphere';
import { FAST, Fleet, mutations, resourceVersions, startFleet, synth } from './fixtures';
import { quickstart } from '../../../examples/quickstart/main';
import { apply, diff } from '../src/apply';
import { APPLYSET_PARENT, APPLYSET_PART_OF_LABEL, KSFED_APPLYSET_ID } from '../src/applyset';
import { comparable } from '../src/diff';
import { UsageError } from '../src/errors';
import { ApplyEvent, ApplyReport, formatDiff, formatSummary } from '../src/report';

jest.setTimeout(60_000);

/** The quickstart plus two ConfigMaps on the host: `ksfed-keep` (data a=`keep`) and, when `extra`, `ksfed-extra`. */
function program(keep: string, extra: boolean): (app: FederationApp) => void {
  return app => {
    quickstart(app);
    const host = app.node.findChild('host') as Chart;
    new ApiObject(host, 'Keep', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ksfed-keep', namespace: 'kube-federation-system' }, data: { a: keep } });
    if (extra) new ApiObject(host, 'Extra', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ksfed-extra', namespace: 'kube-federation-system' }, data: { b: '1' } });
  };
}

const DIST = synth();
const DIST_A = synth(program('1', true));
const DIST_B = synth(program('2', false));
const BYTES = (n: number) => Buffer.alloc(n, 0x5a);

function options(fleet: Fleet, extra: object = {}) {
  return { kubeconfig: fleet.kubeconfig, randomBytes: BYTES, ...FAST, ...extra };
}

function results(report: ApplyReport, cluster: string): { [outcome: string]: number } {
  const out: { [outcome: string]: number } = {};
  for (const o of report.clusters.find(c => c.name === cluster)!.objects) out[o.result] = (out[o.result] ?? 0) + 1;
  return out;
}

/** The state of every object of the dist folders, without what differs between sandboxes (ports, tokens, keys, times). */
function state(fleet: Fleet, dist: string): { [key: string]: any } {
  const fed = JSON.parse(fs.readFileSync(path.join(dist, 'federation.json'), 'utf8'));
  const out: { [key: string]: any } = {};
  for (const c of fed.clusters) {
    for (const o of c.objects) {
      const live = fleet.sandbox.cluster(c.name).get(o.apiVersion, o.kind, o.name, o.namespace);
      const s = live ? comparable(live) : null;
      if (s?.kind === 'Cluster') {
        const conn = s.spec.connection;
        s.spec.connection = { type: conn.type, token: conn.token, kubeconfig: conn.kubeconfig ? '<set>' : undefined };
        s.status = (live.status?.conditions ?? []).map((x: any) => `${x.type}=${x.status}`).sort();
      }
      if (s?.kind === 'Secret' && s.metadata.name === 'kubefed-admission-webhook-serving-cert') s.data = Object.keys(s.data).sort();
      if (s?.webhooks) for (const w of s.webhooks) w.clientConfig.caBundle = '<pem>';
      // ClusterIPs are handed out in the order Services arrive, which concurrency may change.
      if (s?.kind === 'Service') s.spec = { ...s.spec, clusterIP: '<ip>', clusterIPs: ['<ip>'] };
      out[`${c.name}/${o.kind}/${o.namespace ?? ''}/${o.name}`] = s;
    }
  }
  return out;
}

describe('first apply, re-apply, change and prune', () => {
  let fleet: Fleet;
  let first: ApplyReport;
  const events: ApplyEvent[] = [];

  beforeAll(async () => {
    fleet = await startFleet();
    first = await apply(DIST_A, options(fleet, { prune: true, output: (e: ApplyEvent) => events.push(e) }));
  });
  afterAll(() => fleet.stop());

  test('applies everything, host first, and joins both members', () => {
    expect(first.success).toBe(true);
    expect(first.clusters.map(c => [c.name, c.status])).toEqual([['host', 'succeeded'], ['edge-1', 'succeeded'], ['branch-7', 'succeeded']]);
    expect(results(first, 'host')).toEqual({ created: 97 });
    expect(results(first, 'branch-7')).toEqual({ created: 3 });
    // every cluster started at once; the agent went out only once the host's tower Service (whose address it
    // dials) was applied, and each member finished only after its Cluster object on the host was applied
    const starts = events.filter(e => e.type === 'cluster-start').map(e => e.cluster);
    const firstDone = events.findIndex(e => e.type === 'cluster-done');
    expect(events.findIndex(e => e.type === 'cluster-start' && e.cluster === 'branch-7')).toBeLessThan(firstDone);
    expect(starts.sort()).toEqual(['branch-7', 'edge-1', 'host']);
    const at = (cluster: string, url: string) => fleet.sandbox.cluster(cluster).requests.find(r => r.method === 'PATCH' && r.path === url)!.time;
    expect(at('branch-7', '/apis/apps/v1/namespaces/kubesphere-system/deployments/cluster-agent'))
      .toBeGreaterThanOrEqual(at('host', '/api/v1/namespaces/kubesphere-system/services/tower'));
    const objectDone = (cluster: string, name: string) => events.findIndex(e => e.type === 'object' && e.cluster === cluster && e.result.name === name);
    for (const member of ['edge-1', 'branch-7']) {
      expect(events.findIndex(e => e.type === 'cluster-done' && e.cluster === member)).toBeGreaterThan(objectDone('host', member));
    }
    // the agent handshake and the direct join happened
    const host = fleet.sandbox.cluster('host');
    const cond = (name: string) => (host.get('cluster.kubesphere.io/v1alpha1', 'Cluster', name).status.conditions as any[]).filter(c => c.status === 'True').map(c => c.type).sort();
    expect(cond('branch-7')).toEqual(['AgentAvailable', 'Federated', 'Initialized', 'Ready']);
    expect(cond('edge-1')).toEqual(['Federated', 'Ready']);
  });

  test('server-side apply with field manager ksfed; CRDs before custom resources; every object labelled into the ApplySet', () => {
    const host = fleet.sandbox.cluster('host');
    const patches = host.requests.filter(r => r.method === 'PATCH');
    expect(new Set(patches.map(r => r.fieldManager))).toEqual(new Set(['ksfed']));
    expect(new Set(patches.map(r => r.contentType))).toEqual(new Set(['application/apply-patch+yaml']));
    const lastCrd = Math.max(...patches.map((r, i) => r.path.includes('customresourcedefinitions') ? i : -1));
    const firstCr = patches.findIndex(r => r.path.includes('/apis/core.kubefed.io/'));
    expect(firstCr).toBeGreaterThan(lastCrd);
    const deployment = host.get('apps/v1', 'Deployment', 'tower', 'kubesphere-system');
    expect(deployment.metadata.labels[APPLYSET_PART_OF_LABEL]).toBe(KSFED_APPLYSET_ID);
    const parent = host.get('v1', 'Secret', APPLYSET_PARENT.name, APPLYSET_PARENT.namespace);
    expect(parent.metadata.labels['applyset.kubernetes.io/id']).toBe(KSFED_APPLYSET_ID);
    expect(parent.metadata.annotations['applyset.kubernetes.io/tooling']).toMatch(/^ksfed\//);
    expect(parent.metadata.annotations['applyset.kubernetes.io/contains-group-kinds']).toContain('Deployment.apps');
  });

  test('placeholders were filled in memory: the agent got the token pre-set on the host Cluster', () => {
    const token = fleet.sandbox.cluster('host').get('cluster.kubesphere.io/v1alpha1', 'Cluster', 'branch-7').spec.connection.token;
    expect(token).toBe('5a'.repeat(32));
    const secret = fleet.sandbox.cluster('branch-7').get('v1', 'Secret', 'cluster-agent-token', 'kubesphere-system');
    expect(Buffer.from(secret.data.token, 'base64').toString()).toBe(token);
    const cc = fleet.sandbox.cluster('edge-1').get('installer.kubesphere.io/v1alpha1', 'ClusterConfiguration', 'ks-installer', 'kubesphere-system');
    expect(cc.spec.authentication.jwtSecret).not.toContain('{{ksfed:');
  });

  test('re-apply changes nothing: no resourceVersion moves, everything unchanged', async () => {
    // GIVEN
    const before = resourceVersions(fleet.sandbox, DIST_A);
    const parentBefore = fleet.sandbox.cluster('host').get('v1', 'Secret', 'ksfed-applyset', 'kube-system').metadata.resourceVersion;
    for (const c of fleet.sandbox.clusters) c.clearRequests();
    // WHEN
    const again = await apply(DIST_A, options(fleet, { prune: true }));
    // THEN no mutating request at all: every object compared with the ApplySet snapshot was already as applied (the
    // webhook configurations' atomic `rules` lists included: the library writes the `scope: '*'` the server defaults)
    expect(again.success).toBe(true);
    expect(mutations(fleet.sandbox)).toEqual([]);
    expect(results(again, 'host')).toEqual({ unchanged: 97 });
    expect(resourceVersions(fleet.sandbox, DIST_A)).toEqual(before);
    expect(fleet.sandbox.cluster('host').get('v1', 'Secret', 'ksfed-applyset', 'kube-system').metadata.resourceVersion).toBe(parentBefore);
    expect(again.clusters.map(c => c.prune)).toEqual(['pruned 0', 'pruned 0', 'pruned 0']);
  });

  test('re-apply after drift sends one PATCH, for the object someone deleted, and recreates it', async () => {
    // GIVEN someone deletes one object ksfed applied
    const kc = new KubeConfig();
    kc.loadFromFile(fleet.kubeconfig);
    kc.setCurrentContext('host');
    await KubernetesObjectApi.makeApiClient(kc).delete({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ksfed-keep', namespace: 'kube-federation-system' } } as any);
    for (const c of fleet.sandbox.clusters) c.clearRequests();
    // WHEN
    const again = await apply(DIST_A, options(fleet, { prune: true }));
    // THEN only that object is sent
    expect(again.success).toBe(true);
    expect(mutations(fleet.sandbox).map(m => `${m.cluster} ${m.method} ${m.path}`)).toEqual(['host PATCH /api/v1/namespaces/kube-federation-system/configmaps/ksfed-keep']);
    expect(results(again, 'host')).toEqual({ created: 1, unchanged: 96 });
    expect(fleet.sandbox.cluster('host').get('v1', 'ConfigMap', 'ksfed-keep', 'kube-federation-system').data).toEqual({ a: '1' });
  });

  test('diff of a changed program shows the change and the prune, and touches nothing', async () => {
    // GIVEN
    const before = resourceVersions(fleet.sandbox, DIST_A);
    for (const c of fleet.sandbox.clusters) c.clearRequests();
    // WHEN
    const report = await diff(DIST_B, options(fleet, { prune: true }));
    // THEN
    const host = report.clusters.find(c => c.name === 'host')!;
    expect(host.objects.filter(o => o.result !== 'unchanged').map(o => [o.result, o.name, o.changes])).toEqual([
      ['configured', 'ksfed-keep', ['/data/a: "1" -> "2"']],
      ['pruned', 'ksfed-extra', undefined],
    ]);
    expect(mutations(fleet.sandbox).filter(m => !m.dryRun)).toEqual([]);
    expect(resourceVersions(fleet.sandbox, DIST_A)).toEqual(before);
  });

  test('applying the changed program updates one object and prunes the removed one, nothing else', async () => {
    for (const c of fleet.sandbox.clusters) c.clearRequests();
    const report = await apply(DIST_B, options(fleet, { prune: true }));
    expect(report.success).toBe(true);
    expect(results(report, 'host')).toEqual({ configured: 1, unchanged: 95, pruned: 1 });
    const deletes = mutations(fleet.sandbox).filter(m => m.method === 'DELETE');
    expect(deletes.map(d => `${d.cluster} ${d.path}`)).toEqual(['host /api/v1/namespaces/kube-federation-system/configmaps/ksfed-extra']);
    const host = fleet.sandbox.cluster('host');
    expect(host.get('v1', 'ConfigMap', 'ksfed-extra', 'kube-federation-system')).toBeUndefined();
    expect(host.get('v1', 'ConfigMap', 'ksfed-keep', 'kube-federation-system').data).toEqual({ a: '2' });
    expect(host.get('v1', 'Namespace', 'kube-federation-system')).toBeDefined();
    expect(report.clusters[0].prune).toBe('pruned 1');
  });

  test('a conflict with another field manager fails that object, is never pruned over, and is taken over only when forced', async () => {
    // GIVEN another manager takes over /data/a
    const kc = new KubeConfig();
    kc.loadFromFile(fleet.kubeconfig);
    kc.setCurrentContext('host');
    const other = KubernetesObjectApi.makeApiClient(kc);
    await other.patch({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ksfed-keep', namespace: 'kube-federation-system' }, data: { a: 'edited' } } as any,
      undefined, undefined, 'kubectl-edit', true, PatchStrategy.ServerSideApply);
    for (const c of fleet.sandbox.clusters) c.clearRequests();
    // WHEN
    const conflicted = await apply(DIST_B, options(fleet, { prune: true }));
    // THEN
    expect(conflicted.success).toBe(false);
    const host = conflicted.clusters.find(c => c.name === 'host')!;
    expect(host.status).toBe('failed');
    const failed = host.objects.find(o => o.result === 'failed')!;
    expect(failed).toMatchObject({ name: 'ksfed-keep', constructPath: 'host/Keep' });
    expect(failed.message).toMatch(/conflict: .*"kubectl-edit".*--force-conflicts/);
    expect(host.prune).toMatch(/skipped/);
    expect(mutations(fleet.sandbox, 'host').filter(m => m.method === 'DELETE')).toEqual([]);
    // the members need only the host state they read (its Secret, tower, their Cluster objects): they still join
    expect(conflicted.clusters.filter(c => c.name !== 'host').map(c => c.status)).toEqual(['succeeded', 'succeeded']);
    expect(fleet.sandbox.cluster('host').get('v1', 'ConfigMap', 'ksfed-keep', 'kube-federation-system').data).toEqual({ a: 'edited' });

    // WHEN forced
    const forced = await apply(DIST_B, options(fleet, { prune: true, forceConflicts: true }));
    expect(forced.success).toBe(true);
    expect(fleet.sandbox.cluster('host').get('v1', 'ConfigMap', 'ksfed-keep', 'kube-federation-system').data).toEqual({ a: '2' });
  });
});

describe('dry run', () => {
  test('on an empty fleet: every request is a dry run, nothing is created, the report says what would be', async () => {
    const fleet = await startFleet();
    try {
      const report = await apply(DIST, options(fleet, { dryRun: true, prune: true }));
      expect(report.clusters.map(c => c.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
      expect(results(report, 'host')).toEqual({ created: 95 });
      expect(mutations(fleet.sandbox).filter(m => !m.dryRun)).toEqual([]);
      expect(fleet.sandbox.cluster('host').get('v1', 'Namespace', 'kube-federation-system')).toBeUndefined();
      expect(fleet.sandbox.cluster('host').get('v1', 'Secret', 'ksfed-applyset', 'kube-system')).toBeUndefined();
      expect(fleet.sandbox.cluster('branch-7').get('apps/v1', 'Deployment', 'cluster-agent', 'kubesphere-system')).toBeUndefined();
    } finally {
      await fleet.stop();
    }
  });
});

describe('faults', () => {
  test('one unreachable cluster fails alone; the others finish; no prune there', async () => {
    const fleet = await startFleet();
    try {
      fleet.sandbox.cluster('edge-1').setDown(true);
      const report = await apply(DIST, options(fleet, { prune: true, retry: { ...FAST.retry, maxAttempts: 3 } }));
      expect(report.success).toBe(false);
      expect(report.clusters.map(c => [c.name, c.status])).toEqual([['host', 'succeeded'], ['edge-1', 'failed'], ['branch-7', 'succeeded']]);
      const edge = report.clusters.find(c => c.name === 'edge-1')!;
      expect(edge.error).toMatch(/connection reset|connection refused|socket hang up|ECONNRESET/);
      expect(edge.prune).toMatch(/skipped/);
    } finally {
      await fleet.stop();
    }
  });

  test('a host that cannot be reached stops its members at once: what needs the host is not applied, nothing hangs', async () => {
    const fleet = await startFleet();
    try {
      // GIVEN the host goes down after the credentials check
      const report = await apply(DIST, options(fleet, {
        retry: { ...FAST.retry, maxAttempts: 2 },
        waitTimeoutMs: 60_000,
        output: (e: ApplyEvent) => {
          if (e.type === 'cluster-start' && e.cluster === 'host') fleet.sandbox.cluster('host').setDown(true);
        },
      }));
      // THEN
      expect(report.success).toBe(false);
      const [host, edge, branch] = report.clusters;
      expect(host.status).toBe('failed');
      expect(report.durationMs).toBeLessThan(10_000);
      // edge-1 reads the jwtSecret from the host: it fails on that read, alone
      expect(edge.status).toBe('failed');
      expect(edge.error).toMatch(/ks-installer/);
      // branch-7's agent token is reused from the host (unreadable), so the agent that needs it is not applied
      expect(branch.status).toBe('failed');
      expect(branch.objects.find(o => o.kind === 'Secret' && o.name === 'cluster-agent-token')!.result).toBe('failed');
      expect(branch.objects.find(o => o.kind === 'Deployment' && o.name === 'cluster-agent')).toMatchObject({
        result: 'skipped',
        message: 'not applied: it needs Secret kubesphere-system/cluster-agent-token (failed) first',
      });
    } finally {
      await fleet.stop();
    }
  });

  test('rejected credentials are bad input before anything is applied', async () => {
    const fleet = await startFleet();
    try {
      const kc = fs.readFileSync(fleet.kubeconfig, 'utf8').replace(fleet.sandbox.cluster('edge-1').token, 'expired0000000000000000000000000000000000000000');
      const file = path.join(path.dirname(fleet.kubeconfig), 'expired.kubeconfig');
      fs.writeFileSync(file, kc);
      await expect(apply(DIST, options(fleet, { kubeconfig: file }))).rejects.toThrow(UsageError);
      await expect(apply(DIST, options(fleet, { kubeconfig: file }))).rejects.toThrow(/cluster "edge-1" \(context edge-1\): the API server rejected the credentials \(401 Unauthorized\)/);
      expect(mutations(fleet.sandbox).filter(m => !m.dryRun)).toEqual([]);
    } finally {
      await fleet.stop();
    }
  });

  test('an abort stops between requests, and a re-run converges', async () => {
    const fleet = await startFleet();
    try {
      const controller = new AbortController();
      let seen = 0;
      const aborted = await apply(DIST, options(fleet, {
        signal: controller.signal,
        output: (e: ApplyEvent) => {
          if (e.type === 'object' && e.cluster === 'host' && ++seen === 40) controller.abort();
        },
      }));
      expect(aborted.success).toBe(false);
      // the host is aborted mid-way; the members (three objects each, all at once with the host) may have
      // finished before the abort, or are aborted too
      expect(aborted.clusters[0].status).toBe('aborted');
      for (const m of aborted.clusters.slice(1)) expect(['aborted', 'succeeded', 'skipped']).toContain(m.status);
      const applied = aborted.clusters[0].objects.length;
      expect(applied).toBeGreaterThanOrEqual(40);
      expect(applied).toBeLessThan(95);
      const again = await apply(DIST, options(fleet));
      expect(again.success).toBe(true);
      expect(Object.values(resourceVersions(fleet.sandbox, DIST)).every(rv => rv !== undefined)).toBe(true);
    } finally {
      await fleet.stop();
    }
  });

  test('injected 429s, 5xx, resets, lost responses and latency over 100 seeds end in the fault-free state, nothing lost, nothing wrongly pruned', async () => {
    // GIVEN the fault-free result
    const clean = await startFleet();
    let expected: { [key: string]: any };
    try {
      expect((await apply(DIST, options(clean, { prune: true }))).success).toBe(true);
      expected = state(clean, DIST);
    } finally {
      await clean.stop();
    }
    const seeds = Number(process.env.KSFED_FAULT_SEEDS ?? 100);
    for (let seed = 1; seed <= seeds; seed++) {
      // each seed draws its own faults and a latency of 0-3 ms per request
      const injected = { rate429: 0.05, retryAfterSeconds: 0, rate5xx: 0.05, rateReset: 0.04, resetAfterCommitRate: 0.04, latencyMs: seed % 4, seed };
      const fleet = await startFleet({ faults: injected });
      try {
        const report = await apply(DIST, options(fleet, { prune: true }));
        const faults = fleet.sandbox.clusters.flatMap(c => c.requests.filter(r => r.fault)).length;
        const errors = report.clusters.map(c => c.error).filter(e => e);
        expect({ seed, success: report.success, errors }).toEqual({ seed, success: true, errors: [] });
        expect({ seed, prune: report.clusters.map(c => c.prune) }).toEqual({ seed, prune: report.clusters.map(() => 'pruned 0') });
        expect(faults).toBeGreaterThan(0);
        expect(state(fleet, DIST)).toEqual(expected);
      } finally {
        await fleet.stop();
      }
    }
  }, 300_000);
});

describe('preflight', () => {
  test('a blocking finding refuses the run within seconds, before any write, naming it; --skip-preflight applies anyway', async () => {
    const fleet = await startFleet();
    try {
      // GIVEN edge-1 runs Kubernetes v1.18, which ks-installer v3.4.1 refuses
      fleet.sandbox.cluster('edge-1').setKubernetesVersion('v1.18.20');
      const events: ApplyEvent[] = [];
      const started = Date.now();
      // WHEN applied with a long wait timeout
      const report = await apply(DIST, options(fleet, { prune: true, waitTimeoutMs: 60_000, output: (e: ApplyEvent) => events.push(e) }));
      // THEN nothing was written and the run ended in well under the wait timeout, naming the finding and its fix
      expect(mutations(fleet.sandbox)).toEqual([]);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(report.success).toBe(false);
      expect(report.preflight!.map(f => `${f.severity} ${f.cluster} ${f.check}`)).toEqual(['error edge-1 kubernetes-version-unsupported']);
      expect(report.clusters.map(c => [c.name, c.status, c.objects.length, c.prune])).toEqual([
        ['host', 'skipped', 0, 'skipped: the cluster was not applied'], ['edge-1', 'skipped', 0, 'skipped: the cluster was not applied'],
        ['branch-7', 'skipped', 0, 'skipped: the cluster was not applied'],
      ]);
      expect(report.clusters[1].error).toBe('refused by the preflight, nothing written: kubernetes-version-unsupported: Kubernetes v1.18.20: ks-installer v3.4.1 refuses versions below v1.19. Fix: upgrade edge-1 to Kubernetes v1.20-v1.26');
      expect(report.clusters[0].error).toBe('not applied: the preflight found an error on edge-1 (kubernetes-version-unsupported); nothing written');
      expect(formatSummary(report)).toMatch(/\napply: refused by the preflight in \d+\.\ds, nothing written \(rerun with --skip-preflight to apply anyway, or run ksfed doctor for every finding\)$/);
      expect(events.filter(e => e.type === 'cluster-done').map(e => e.cluster)).toEqual(['host', 'edge-1', 'branch-7']);
      // AND with skipPreflight the run goes on
      expect((await apply(DIST, options(fleet, { skipPreflight: true }))).success).toBe(true);
    } finally {
      await fleet.stop();
    }
  });

  test('a host turned member is refused; allowRoleChange lets it through', async () => {
    const fleet = await startFleet();
    try {
      // GIVEN the host runs as a member (its kubesphere-config says so; edited once ks-installer is done with it)
      await new Promise(r => setTimeout(r, 100));
      const host = fleet.sandbox.cluster('host');
      const settings = configSettings(host.get('v1', 'ConfigMap', 'kubesphere-config', 'kubesphere-system'))!;
      host.api.mergePatch(host.api.typeOf('v1', 'ConfigMap'), 'kubesphere-system', 'kubesphere-config',
        { data: { 'kubesphere.yaml': JSON.stringify({ ...settings, multicluster: { clusterRole: 'member' } }) } }, 'kubectl-edit');
      // WHEN / THEN
      const refused = await apply(DIST, options(fleet));
      expect(refused.preflight!.map(f => `${f.severity} ${f.cluster} ${f.check}`)).toEqual(['error host cluster-role-change']);
      expect(mutations(fleet.sandbox)).toEqual([]);
      expect((await apply(DIST, options(fleet, { allowRoleChange: true }))).success).toBe(true);
    } finally {
      await fleet.stop();
    }
  });

  test('a clean apply pays the preflight with reads only, a few per cluster, each once', async () => {
    const fleet = await startFleet();
    try {
      const with_ = await apply(DIST, options(fleet));
      const reads = (c: string) => fleet.sandbox.cluster(c).requests.filter(r => r.method === 'GET').map(r => r.path);
      expect(with_.success).toBe(true);
      // the preflight's reads of a member: /version, kube-system, kubesphere-config, the ClusterConfiguration, ks-apiserver,
      // its Service, the nodes, Workspaces, kube-federation-system's ServiceAccounts
      expect(reads('edge-1').filter(p => p === '/version' || p.endsWith('/services/ks-apiserver') || p === '/api/v1/nodes')).toEqual(['/version', '/api/v1/namespaces/kubesphere-system/services/ks-apiserver', '/api/v1/nodes']);
    } finally {
      await fleet.stop();
    }
  });
});

describe('selection', () => {
  test('--only applies one member, reading host state for its placeholders', async () => {
    const fleet = await startFleet();
    try {
      expect((await apply(DIST, options(fleet, { only: ['host'] }))).success).toBe(true);
      for (const c of fleet.sandbox.clusters) c.clearRequests();
      const report = await apply(DIST, options(fleet, { only: ['branch-7'] }));
      expect(report.clusters.map(c => [c.name, c.status])).toEqual([['branch-7', 'succeeded']]);
      expect(mutations(fleet.sandbox, 'host')).toEqual([]);
      expect(mutations(fleet.sandbox, 'edge-1')).toEqual([]);
      await expect(apply(DIST, options(fleet, { only: ['nope'] }))).rejects.toThrow(/unknown cluster "nope"; the federation has: host, edge-1, branch-7/);
      await expect(apply(DIST, options(fleet, { contexts: { 'edge-1': 'missing' } }))).rejects.toThrow(/no context "missing"/);
    } finally {
      await fleet.stop();
    }
  });
});

describe('clusters removed from the program', () => {
  /** The quickstart without branch-7. */
  const withoutBranch = (app: FederationApp) => {
    const host = new Host(app, 'host', { name: 'host', region: 'eu-central', capacity: { nodes: 3, cpu: '4', memory: '8Gi' } });
    new Member(app, 'edge-1', { host, name: 'edge-1', region: 'eu-west', group: 'production', connection: Connection.direct() });
  };
  const WITHOUT_BRANCH = synth(withoutBranch);
  const recorded = (fleet: Fleet) => fleet.sandbox.cluster('host').get('v1', 'Secret', 'ksfed-applyset', 'kube-system')?.metadata?.annotations?.['ksfed.kubesphere-federation/clusters'];
  const agent = (fleet: Fleet) => fleet.sandbox.cluster('branch-7').get('apps/v1', 'Deployment', 'cluster-agent', 'kubesphere-system');

  test('are reported with what to do; --prune-removed-clusters prunes ksfed\'s objects there and the host\'s record forgets them', async () => {
    const fleet = await startFleet();
    try {
      // GIVEN the quickstart applied: the host's parent records its clusters
      expect(JSON.parse(fs.readFileSync(path.join(WITHOUT_BRANCH, 'federation.json'), 'utf8')).clusters.map((c: any) => c.name)).toEqual(['host', 'edge-1']);
      expect((await apply(DIST, options(fleet, { prune: true }))).success).toBe(true);
      expect(recorded(fleet)).toBe('branch-7,edge-1,host');

      // WHEN branch-7 leaves the program: apply --prune
      const report = await apply(WITHOUT_BRANCH, options(fleet, { prune: true }));
      // THEN its Cluster on the host goes; its objects stay, reported with the fix; it stays recorded
      expect(report.success).toBe(true);
      expect(report.clusters.find(c => c.name === 'host')!.objects.filter(o => o.result === 'pruned').map(o => `${o.kind} ${o.name}`)).toEqual(['Cluster branch-7']);
      expect(fleet.sandbox.cluster('host').get('cluster.kubesphere.io/v1alpha1', 'Cluster', 'branch-7')).toBeUndefined();
      expect(report.removedClusters).toEqual([expect.objectContaining({ name: 'branch-7', status: 'left', objects: [] })]);
      const line = formatSummary(report).split('\n').find(l => l.startsWith('removed cluster branch-7'));
      expect(line).toBe('removed cluster branch-7: left: applied before (the host\'s ApplySet parent records it) but no longer in the folder: ksfed\'s objects are still on it (agent, token, ClusterConfiguration changes...). Fix: rerun with --prune --prune-removed-clusters to prune them there (context "branch-7", or --context branch-7=CONTEXT), or, if the cluster is gone for good, forget it: kubectl --context host -n kube-system annotate secret ksfed-applyset --overwrite ksfed.kubesphere-federation/clusters=edge-1,host');
      expect(agent(fleet)).toBeDefined();
      expect(recorded(fleet)).toBe('branch-7,edge-1,host');

      // WHEN a diff with the flag: what it would prune there, nothing changed
      const preview = await diff(WITHOUT_BRANCH, options(fleet, { prune: true, pruneRemovedClusters: true }));
      expect(preview.removedClusters!.map(r => [r.status, r.message, r.objects.map(o => `${o.result} ${o.kind} ${o.name}`)])).toEqual([['left', 'would prune 3 and its ApplySet parent', [
        'pruned ClusterConfiguration ks-installer', 'pruned Deployment cluster-agent', 'pruned Secret cluster-agent-token',
      ]]]);
      expect(formatDiff(preview)).toContain('branch-7 (removed from the program): left: would prune 3 and its ApplySet parent\n  - ClusterConfiguration kubesphere-system/ks-installer (would remove ksfed\'s fields');
      expect(agent(fleet)).toBeDefined();

      // WHEN the user asks for it
      const cleaned = await apply(WITHOUT_BRANCH, options(fleet, { prune: true, pruneRemovedClusters: true }));
      // THEN everything ksfed applied on branch-7 is pruned (the ClusterConfiguration only loses ksfed's fields), its
      // parent is gone, and the host's record no longer names it
      expect(cleaned.success).toBe(true);
      expect(cleaned.removedClusters).toEqual([expect.objectContaining({ name: 'branch-7', context: 'branch-7', status: 'cleaned', message: 'pruned 3 and its ApplySet parent; the host\'s record forgets it' })]);
      const branch = fleet.sandbox.cluster('branch-7');
      expect(agent(fleet)).toBeUndefined();
      expect(branch.get('v1', 'Secret', 'cluster-agent-token', 'kubesphere-system')).toBeUndefined();
      expect(branch.get('v1', 'Secret', 'ksfed-applyset', 'kube-system')).toBeUndefined();
      const cc = branch.get('installer.kubesphere.io/v1alpha1', 'ClusterConfiguration', 'ks-installer', 'kubesphere-system');
      expect(cc.metadata.labels?.[APPLYSET_PART_OF_LABEL]).toBeUndefined();
      expect(cc.spec?.multicluster).toBeUndefined();
      expect(recorded(fleet)).toBe('edge-1,host');
      // the next run has nothing to report
      expect((await apply(WITHOUT_BRANCH, options(fleet, { prune: true }))).removedClusters).toEqual([]);
    } finally {
      await fleet.stop();
    }
  });

  test('an unreachable removed cluster fails the run and stays recorded; a later run cleans it', async () => {
    const fleet = await startFleet();
    try {
      expect((await apply(DIST, options(fleet, { prune: true }))).success).toBe(true);
      fleet.sandbox.cluster('branch-7').setDown(true);
      const retry = { ...FAST.retry, maxAttempts: 2 };
      const report = await apply(WITHOUT_BRANCH, options(fleet, { prune: true, pruneRemovedClusters: true, retry }));
      expect(report.success).toBe(false);
      expect(report.clusters.every(c => c.status === 'succeeded')).toBe(true);
      expect(report.removedClusters).toEqual([expect.objectContaining({ name: 'branch-7', status: 'failed', message: expect.stringMatching(/^not cleaned: .*(refused|reset|hang up).*; it stays recorded, run again to clean it$/) })]);
      expect(recorded(fleet)).toBe('branch-7,edge-1,host');

      fleet.sandbox.cluster('branch-7').setDown(false);
      const again = await apply(WITHOUT_BRANCH, options(fleet, { prune: true, pruneRemovedClusters: true }));
      expect(again.success).toBe(true);
      expect(again.removedClusters!.map(r => r.status)).toEqual(['cleaned']);
      expect(agent(fleet)).toBeUndefined();
      expect(recorded(fleet)).toBe('edge-1,host');
    } finally {
      await fleet.stop();
    }
  });

  test('a context that reaches a cluster of the folder, a missing one, or one for an unknown cluster is bad input before any write', async () => {
    const fleet = await startFleet();
    try {
      expect((await apply(DIST, options(fleet, { prune: true }))).success).toBe(true);
      for (const c of fleet.sandbox.clusters) c.clearRequests();
      const go = (extra: object) => apply(WITHOUT_BRANCH, options(fleet, { prune: true, pruneRemovedClusters: true, ...extra }));
      await expect(go({ contexts: { 'branch-7': 'edge-1' } })).rejects.toThrow(/^--context branch-7=edge-1 reaches cluster "edge-1" of the folder \(context edge-1\); pruning removed cluster "branch-7" there would delete edge-1's objects\. Fix: pass --context branch-7=<the removed cluster's own context>$/);
      await expect(go({ contexts: { 'branch-7': 'missing' } })).rejects.toThrow(/^no context "missing" in the kubeconfig \(--context branch-7=missing\) to prune removed cluster "branch-7"\. Fix: pass --context branch-7=<context>, or, if the cluster is gone for good, forget it: kubectl --context host -n kube-system annotate secret ksfed-applyset --overwrite ksfed.kubesphere-federation\/clusters=edge-1,host$/);
      await expect(go({ contexts: { nope: 'edge-1' } })).rejects.toThrow(/^--context nope=edge-1: unknown cluster "nope"; the federation has: host, edge-1; removed clusters the host records: branch-7$/);
      await expect(apply(WITHOUT_BRANCH, options(fleet, { pruneRemovedClusters: true }))).rejects.toThrow(/^--prune-removed-clusters works only with --prune\. Fix: add --prune$/);
      expect(mutations(fleet.sandbox).filter(m => !m.dryRun)).toEqual([]);
      expect(agent(fleet)).toBeDefined();
    } finally {
      await fleet.stop();
    }
  });
});
