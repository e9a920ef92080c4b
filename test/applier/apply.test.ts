import * as fs from 'fs';
import * as path from 'path';
import { KubeConfig, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { ApiObject, Chart } from 'cdk8s';
import { FAST, Fleet, mutations, resourceVersions, startFleet, synth } from './fixtures';
import { quickstart } from '../../examples/quickstart/main';
import { FederationApp } from '../../src';
import { apply, diff } from '../../src/applier/apply';
import { APPLYSET_PARENT, APPLYSET_PART_OF_LABEL, KSFED_APPLYSET_ID } from '../../src/applier/applyset';
import { comparable } from '../../src/applier/diff';
import { UsageError } from '../../src/applier/errors';
import { ApplyEvent, ApplyReport } from '../../src/applier/report';

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
    // THEN no mutating request at all: every object compared with the ApplySet snapshot was already as applied
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
          if (e.type === 'object' && ++seen === 40) controller.abort();
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
