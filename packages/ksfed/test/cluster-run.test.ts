import * as fs from 'fs';
import * as path from 'path';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiObject, Chart } from 'cdk8s';
import { ComponentOwner, Connection, FederationApp, Host, JwtSecret, Kubeconfig, Member } from 'cdk8s-kubesphere-federation';
import { FakeClient, FAST, Fleet, mutations, startFleet, synth, tmpdir } from './fixtures';
import { quickstart } from '../../../examples/quickstart/main';
import { apply, diff } from '../src/apply';
import { APPLYSET_GROUP_KINDS_ANNOTATION, APPLYSET_TOOLING_ANNOTATION } from '../src/applyset';
import { describeError } from '../src/cluster-run';
import { KubeApiError } from '../src/errors';
import { ApplyEvent } from '../src/report';

jest.setTimeout(60_000);

/** The quickstart plus host ConfigMap `ksfed-keep`, and optionally `ksfed-extra` and LimitRange `ksfed-limits`. */
function withExtras(extras: boolean): (app: FederationApp) => void {
  return app => {
    quickstart(app);
    const host = app.node.findChild('host') as Chart;
    const ns = 'kube-federation-system';
    new ApiObject(host, 'Keep', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ksfed-keep', namespace: ns }, data: { a: '1' } });
    if (extras) {
      new ApiObject(host, 'Extra', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ksfed-extra', namespace: ns }, data: { b: '1' } });
      new ApiObject(host, 'Limits', { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'ksfed-limits', namespace: ns }, spec: { limits: [{ type: 'Container', max: { cpu: '2' } }] } });
    }
  };
}

const opts = (fleet: Fleet, extra: object = {}) => ({ kubeconfig: fleet.kubeconfig, ...FAST, ...extra });

describe('against a sandbox', () => {
  let fleet: Fleet;
  beforeEach(async () => {
    fleet = await startFleet();
  });
  afterEach(() => fleet.stop());

  test('an interrupted prune leaves the superset on the parent; the next run finishes and shrinks it', async () => {
  // GIVEN
    const a = synth(withExtras(true));
    const b = synth(withExtras(false));
    expect((await apply(a, opts(fleet))).success).toBe(true);
    const parent = () => fleet.sandbox.cluster('host').get('v1', 'Secret', 'ksfed-applyset', 'kube-system').metadata.annotations[APPLYSET_GROUP_KINDS_ANNOTATION];
    expect(parent()).toContain('LimitRange');
    // WHEN Ctrl-C arrives right after the first deletion
    const controller = new AbortController();
    const interrupted = await apply(b, opts(fleet, {
      prune: true,
      signal: controller.signal,
      output: (e: ApplyEvent) => {
        if (e.type === 'object' && e.result.result === 'pruned') controller.abort();
      },
    }));
    // THEN one object is gone, the other is still there and still recorded
    const host = interrupted.clusters.find(c => c.name === 'host')!;
    expect(host.status).toBe('aborted');
    expect(host.prune).toBe('interrupted after 1 of 2; run again to finish');
    expect(fleet.sandbox.cluster('host').get('v1', 'ConfigMap', 'ksfed-extra', 'kube-federation-system')).toBeUndefined();
    expect(fleet.sandbox.cluster('host').get('v1', 'LimitRange', 'ksfed-limits', 'kube-federation-system')).toBeDefined();
    expect(parent()).toContain('LimitRange');
    // WHEN run again
    const again = await apply(b, opts(fleet, { prune: true }));
    expect(again.success).toBe(true);
    expect(again.clusters[0].prune).toBe('pruned 1');
    expect(fleet.sandbox.cluster('host').get('v1', 'LimitRange', 'ksfed-limits', 'kube-federation-system')).toBeUndefined();
    expect(parent()).not.toContain('LimitRange');
  });

  test('prune refuses an empty set', async () => {
  // GIVEN a federation.json whose edge-1 folder holds nothing
    const dist = synth();
    const manifest = JSON.parse(fs.readFileSync(path.join(dist, 'federation.json'), 'utf8'));
    manifest.clusters.find((c: any) => c.name === 'edge-1').objects = [];
    for (const p of manifest.placeholders) p.occurrences = p.occurrences.filter((o: any) => o.cluster !== 'edge-1');
    fs.writeFileSync(path.join(dist, 'federation.json'), JSON.stringify(manifest));
    for (const f of fs.readdirSync(path.join(dist, 'edge-1'))) fs.rmSync(path.join(dist, 'edge-1', f));
    // WHEN
    const report = await apply(dist, opts(fleet, { prune: true }));
    // THEN
    const edge = report.clusters.find(c => c.name === 'edge-1')!;
    expect(edge.status).toBe('failed');
    expect(edge.error).toMatch(/refusing to prune: the folder of edge-1 holds no objects/);
    expect(mutations(fleet.sandbox, 'edge-1')).toEqual([]);
  });

  test('a parent owned by other tooling is refused, and nothing is applied there', async () => {
    const edge = fleet.sandbox.cluster('edge-1');
    edge.api.create(edge.api.typeOf('v1', 'Secret'), 'kube-system', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'ksfed-applyset', namespace: 'kube-system', annotations: { [APPLYSET_TOOLING_ANNOTATION]: 'kubectl/v1.29' } },
    }, { fieldManager: 'kubectl' });
    const report = await apply(synth(), opts(fleet));
    const r = report.clusters.find(c => c.name === 'edge-1')!;
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/managed by "kubectl\/v1.29", not ksfed; refusing/);
    expect(mutations(fleet.sandbox, 'edge-1')).toEqual([]);
    expect(report.clusters.find(c => c.name === 'branch-7')!.status).toBe('succeeded');
  });

  test('a kind that is never served times out, named with its construct path', async () => {
    const dist = synth(app => {
      quickstart(app);
      new ApiObject(app.node.findChild('edge-1') as Chart, 'Widget', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'default' } });
    });
    const report = await apply(dist, opts(fleet, { waitTimeoutMs: 300 }));
    const edge = report.clusters.find(c => c.name === 'edge-1')!;
    expect(edge.status).toBe('timed-out');
    expect(edge.error).toBe('1 object timed out: Widget default/w');
    expect(edge.objects.find(o => o.kind === 'Widget')).toMatchObject({ result: 'timed-out', constructPath: 'edge-1/Widget', message: expect.stringMatching(/does not serve example.com\/v1\/Widget/) });
    expect(report.success).toBe(false);
  });

  test('a dry run of a kind nobody will serve fails; one whose CRD is in the folder would be created', async () => {
    const dist = synth(app => {
      quickstart(app);
      new ApiObject(app.node.findChild('edge-1') as Chart, 'Widget', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'default' } });
    });
    const report = await apply(dist, opts(fleet, { dryRun: true }));
    expect(report.clusters.find(c => c.name === 'edge-1')!.objects.find(o => o.kind === 'Widget')).toMatchObject({ result: 'failed' });
    expect(report.clusters.find(c => c.name === 'host')!.objects.find(o => o.kind === 'KubeFedConfig')).toMatchObject({ result: 'created', message: expect.stringMatching(/CRD from this folder/) });
  });

  test('an agent member whose tower address never comes (no load balancer on the host) says why and the fix, not just a timeout', async () => {
    // GIVEN a host whose LoadBalancer Services get no address, and the default LoadBalancer tower without proxyPublishAddress
    await fleet.stop();
    fleet = await startFleet({ sandbox: { withoutLoadBalancer: ['host'] } });
    // WHEN
    const report = await apply(synth(), opts(fleet, { waitTimeoutMs: 300 }));
    // THEN the agent member times out naming the cause and both fixes; the others are not held up
    const branch = report.clusters.find(c => c.name === 'branch-7')!;
    expect(branch.status).toBe('timed-out');
    expect(branch.objects.find(o => o.name === 'cluster-agent')).toMatchObject({
      result: 'timed-out',
      message: expect.stringMatching(/^placeholder proxy-address: timed out after 0\.3s waiting for the load balancer address of Service kubesphere-system\/tower on host: agent members dial tower there, and the tower LoadBalancer Service got no external address .* Fix: give the host a load balancer .*, or set proxyPublishAddress on the Host/),
    });
    expect(report.clusters.filter(c => c.name !== 'branch-7').map(c => c.status)).toEqual(['succeeded', 'succeeded']);
  });

  test('a member the host cannot reach is not joined: the report says why', async () => {
  // GIVEN edge-1's Cluster gets a kubeconfig file whose token edge-1 refuses
    const file = path.join(tmpdir(), 'edge-1.kubeconfig');
    fs.writeFileSync(file, fs.readFileSync(fleet.kubeconfig, 'utf8').replace(fleet.sandbox.cluster('edge-1').token, 'f'.repeat(48)).replace('current-context: host', 'current-context: edge-1'));
    const dist = synth(app => {
      const host = new Host(app, 'host', { name: 'host' });
      new Member(app, 'edge-1', { host, name: 'edge-1', connection: Connection.direct({ kubeconfig: Kubeconfig.fromFile(file) }) });
    });
    // WHEN
    const report = await apply(dist, opts(fleet, { waitTimeoutMs: 500 }));
    // THEN
    const edge = report.clusters.find(c => c.name === 'edge-1')!;
    expect(edge.status).toBe('timed-out');
    expect(edge.error).toMatch(/^not joined: Cluster edge-1 on host: timed out after 0.5s: waiting for condition Ready \(Ready=False: Unauthorized: /);
    expect(edge.error).not.toContain('f'.repeat(48));
  });

  test('objects other clusters wait for go first, after the start of a longer chain of the folder\'s own', async () => {
    // WHEN the host's objects go out one at a time
    const report = await apply(synth(), opts(fleet, { perClusterConcurrency: 1 }));
    expect(report.success).toBe(true);
    // THEN the webhook's chain (Namespace, ServiceAccount and Secret, Deployment: its rollout gates what the webhook
    // admits) starts first, then what the members wait for (their Clusters, the tower Service), then the rest
    const order = fleet.sandbox.cluster('host').requests.filter(r => r.method === 'PATCH' && !r.path.endsWith('/ksfed-applyset'))
      .map(r => r.path.replace(/^.*\/(namespaces|services|clusters|serviceaccounts|secrets|deployments|customresourcedefinitions)\//, '$1/'));
    expect(order.slice(0, 4).sort()).toEqual([
      'deployments/kubefed-admission-webhook', 'namespaces/kube-federation-system', 'secrets/kubefed-admission-webhook-serving-cert',
      'serviceaccounts/kubefed-admission-webhook',
    ]);
    expect(order.slice(4, 7).sort()).toEqual(['clusters/branch-7', 'clusters/edge-1', 'services/tower']);
  });

  describe('waits', () => {
    test('a rollout that does not finish times out; dependents are skipped', async () => {
      await fleet.stop();
      fleet = await startFleet({ rolloutDelayMs: 60_000 });
      const report = await apply(synth(), opts(fleet, { waitTimeoutMs: 300 }));
      const host = report.clusters[0];
      expect(host.status).toBe('timed-out');
      expect(host.objects.filter(o => o.result === 'timed-out').map(o => o.name)).toEqual(['kubefed-controller-manager', 'kubefed-admission-webhook', 'tower']);
      expect(host.objects.find(o => o.kind === 'Deployment' && o.name === 'tower')!.message).toMatch(/^created, but timed out after 0.3s: /);
      // edge-1 (direct) needs nothing the timed-out rollouts hold and joins; branch-7's agent goes out once the
      // tower Service has its address, and its own rollout times out the same way
      expect(report.clusters.slice(1).map(c => [c.status, c.error])).toEqual([
        ['succeeded', undefined],
        ['timed-out', '1 object timed out: Deployment kubesphere-system/cluster-agent'],
      ]);
    });

    test('the global timeout ends the run', async () => {
      await fleet.stop();
      fleet = await startFleet({ rolloutDelayMs: 60_000 });
      const started = Date.now();
      const report = await apply(synth(), opts(fleet, { waitTimeoutMs: 60_000, timeoutMs: 400 }));
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(report.clusters[0].status).toBe('timed-out');
    });
  });

});

describe('under faults', () => {
  test('30% injected faults, CRDs served a moment after they say Established: 20 seeds each succeed on the first try, no custom resource sent before its kind is served', async () => {
    // GIVEN 429s, 5xx and resets before a request is processed (10% each) and lost answers to writes (5%), on clusters
    // whose new CRDs are served 300 ms after they say Established (as a real API server serves them a moment later)
    const dist = synth();
    const failed: { seed: number; errors: (string | undefined)[]; notServed: string[] }[] = [];
    let faulted = 0;
    let sent = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const faults = { rate429: 0.1, retryAfterSeconds: 0, rate5xx: 0.1, rateReset: 0.1, resetAfterCommitRate: 0.05, seed };
      const fleet = await startFleet({ faults, sandbox: { crdServeLagMs: 300 } });
      try {
        // WHEN applied once (at 30% faults, 8 attempts of one request all fail about once in 20 runs: 12 keep that
        // out of this test, which is about the order of CRDs and their objects)
        const report = await apply(dist, opts(fleet, { retry: { ...FAST.retry, maxAttempts: 12 } }));
        // THEN it succeeded, and no apply was answered 404 (what a custom resource gets before its kind is served)
        const requests = fleet.sandbox.clusters.flatMap(c => c.requests);
        const notServed = requests.filter(r => r.method === 'PATCH' && r.status === 404).map(r => r.path);
        if (!report.success || notServed.length > 0) failed.push({ seed, errors: report.clusters.map(c => c.error).filter(e => e), notServed });
        faulted += requests.filter(r => r.fault).length;
        sent += requests.length;
      } finally {
        await fleet.stop();
      }
    }
    expect(failed).toEqual([]);
    expect(faulted / sent).toBeGreaterThan(0.25);
  }, 180_000);
});

describe('with a scripted client', () => {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'e', server: 'https://198.51.100.9:6443', skipTLSVerify: false }],
    users: [{ name: 'u', token: 'edge-token-for-tests' }],
    contexts: [{ name: 'edge-1', cluster: 'e', user: 'u' }, { name: 'host', cluster: 'e', user: 'u' }],
    currentContext: 'host',
  });
  const dist = synth(app => {
    const host = new Host(app, 'host', { name: 'host', componentOwner: ComponentOwner.INSTALLER, jwtSecret: JwtSecret.fromEnv('KS_JWT_SECRET') });
    new Member(app, 'edge-1', { host, name: 'edge-1', connection: Connection.direct() });
  });

  test('an admission webhook that is not serving yet is retried until it is', async () => {
    // GIVEN the webhook fails the first two applies of the ClusterConfiguration
    const client = new FakeClient('host');
    let failures = 0;
    client.failWith = call => call.startsWith('apply ClusterConfiguration') && failures++ < 2
      ? new KubeApiError(500, 'InternalError', 'Internal error occurred: failed calling webhook "validations.example.io": no endpoints available')
      : undefined;
    const events: ApplyEvent[] = [];
    // WHEN
    const report = await apply(dist, { kubeConfig, clientFactory: () => client, only: ['host'], env: { KS_JWT_SECRET: 'x'.repeat(32) }, ...FAST, output: e => events.push(e) });
    // THEN
    expect(report.success).toBe(true);
    expect(failures).toBe(3);
    expect(report.clusters[0].objects.map(o => `${o.kind} ${o.name} ${o.result}`).sort()).toEqual(['Cluster edge-1 created', 'Cluster host created', 'ClusterConfiguration ks-installer created']);
    expect(events.some(e => e.type === 'wait' && /failed calling webhook/.test(e.message))).toBe(true);
    // the member's kubeconfig went into its Cluster, base64, reduced to one context
    const cluster = client.objects.get('cluster.kubesphere.io/v1alpha1/Cluster//edge-1');
    expect(Buffer.from(cluster.spec.connection.kubeconfig, 'base64').toString()).toContain('edge-token-for-tests');
  });

  test('any other failure of one object fails the cluster, the rest is still applied', async () => {
    const client = new FakeClient('host');
    client.failWith = call => call === 'apply Cluster host' ? new KubeApiError(422, 'Invalid', 'Cluster.cluster.kubesphere.io "host" is invalid: spec.provider: Invalid value') : undefined;
    const report = await apply(dist, { kubeConfig, clientFactory: () => client, only: ['host'], env: { KS_JWT_SECRET: 'x'.repeat(32) }, ...FAST });
    expect(report.clusters[0].status).toBe('failed');
    expect(report.clusters[0].objects.map(o => `${o.name} ${o.result}`).sort()).toEqual(['edge-1 created', 'host failed', 'ks-installer created']);
    expect(report.clusters[0].objects.find(o => o.result === 'failed')!.message).toBe('422 Invalid: Cluster.cluster.kubesphere.io "host" is invalid: spec.provider: Invalid value');
  });

  test('after a rotation, the live value (which this run does not resolve) is hidden in a diff and in messages', async () => {
    // GIVEN the host applied with the JWT secret A
    const client = new FakeClient('host');
    const live = 'live-jwt-secret-A-0123456789abcdef';
    const options = { kubeConfig, clientFactory: () => client, only: ['host'], ...FAST };
    expect((await apply(dist, { ...options, env: { KS_JWT_SECRET: live } })).success).toBe(true);
    // WHEN it is rotated to B: a diff, and an apply whose failure message quotes the live value
    const rotated = { ...options, env: { KS_JWT_SECRET: 'new-jwt-secret-B-0123456789abcdef' } };
    const report = await diff(dist, rotated);
    client.failWith = call => call === 'apply ClusterConfiguration ks-installer'
      ? new KubeApiError(422, 'Invalid', `admission webhook denied the request: jwtSecret may not change from "${live}"`)
      : undefined;
    const events: ApplyEvent[] = [];
    const failed = await apply(dist, { ...rotated, output: e => events.push(e) });
    // THEN the change is told by its path only, and the message names the placeholder instead of the value
    expect(report.clusters[0].objects.find(o => o.kind === 'ClusterConfiguration')!.changes).toEqual(['/spec/authentication/jwtSecret']);
    expect(failed.clusters[0].objects.find(o => o.kind === 'ClusterConfiguration')!.message)
      .toBe('422 Invalid: admission webhook denied the request: jwtSecret may not change from "{{ksfed:jwt-secret}}"');
    expect(JSON.stringify([report, failed, events])).not.toContain(live);
  });

  test('a cluster whose API client cannot be made fails alone, with the reason', async () => {
    const clientFactory = (cluster: string) => {
      if (cluster === 'edge-1') throw new Error('cannot make a client for edge-1');
      return new FakeClient(cluster);
    };
    const report = await apply(dist, { kubeConfig, clientFactory, env: { KS_JWT_SECRET: 'x'.repeat(32) }, ...FAST, waitTimeoutMs: 200 });
    const edge = report.clusters.find(c => c.name === 'edge-1')!;
    expect(edge.status).toBe('failed');
    expect(edge.error).toMatch(/cannot make a client for edge-1/);
    expect(report.clusters.find(c => c.name === 'host')!.objects.length).toBeGreaterThan(0);
  });
});

test('describeError gives one line', () => {
  expect(describeError(new KubeApiError(403, 'Forbidden', 'secrets is forbidden'))).toBe('403 Forbidden: secrets is forbidden');
  expect(describeError(new KubeApiError(0, 'ECONNRESET', 'connection reset'))).toBe('connection reset');
  expect(describeError(new Error('a\n    at stack'))).toBe('a');
  expect(tmpdir()).toBeTruthy();
});
