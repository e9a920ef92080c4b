import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { KubeConfig } from '@kubernetes/client-node';
import { FakeClient, tmpdir } from './fixtures';
import { UpstreamError } from '../src/cross-cluster';
import { KubeApiError, TimeoutError, UsageError } from '../src/errors';
import { Federation, PlaceholderEntry } from '../src/federation';
import * as kubeconfigModule from '../src/kubeconfig';
import {
  pendingValue, PlaceholderEnvironment, PlaceholderError, PlaceholderResolver, placeholderIdsIn, placeholderPointers, readPointer, redactLiveValues,
  secretPointers, substitute,
} from '../src/placeholders';
import { Redactor } from '../src/redact';
import { Clock } from '../src/retry';
import { selfSignedCertificate } from '../src/x509';

const DNS = ['kubefed-admission-webhook', 'kubefed-admission-webhook.kube-federation-system.svc'];

function entry(id: string, source: any, extra: Partial<PlaceholderEntry> = {}): PlaceholderEntry {
  return { id, kind: id.split('/')[0], description: id, encoding: 'raw', secret: true, source, requires: [], occurrences: [], ...extra };
}

const ENTRIES: PlaceholderEntry[] = [
  entry('jwt-secret', { type: 'env', name: 'KS_JWT_SECRET' }),
  entry('jwt-file', { type: 'file', path: '' }),
  entry('host-jwt', { type: 'host-secret', cluster: 'host', namespace: 'kubesphere-system', name: 'kubesphere-secret', key: 'secret' }),
  entry('agent-token/b', { type: 'generate', bytes: 4, format: 'hex', reuse: { cluster: 'host', apiVersion: 'cluster.kubesphere.io/v1alpha1', kind: 'Cluster', name: 'b', pointer: '/spec/connection/token' } }),
  entry('tower-token/b', { type: 'read-object', cluster: 'host', apiVersion: 'cluster.kubesphere.io/v1alpha1', kind: 'Cluster', name: 'b', pointer: '/spec/connection/token', wait: true }),
  entry('proxy-address', { type: 'service-address', cluster: 'host', namespace: 'kubesphere-system', name: 'tower', port: 8080, scheme: 'http' }, { secret: false }),
  entry('kubeconfig/edge-1', { type: 'context', context: 'edge-1', member: 'edge-1' }, { encoding: 'base64' }),
  ...['ca', 'cert', 'key'].map(part => entry(`webhook/${part}`, { type: 'webhook-certificate', cluster: 'host', namespace: 'kube-federation-system', secret: 'serving-cert', dnsNames: DNS, validDays: 365, renewBeforeDays: 30, part }, { encoding: 'base64' })),
];

function federation(entries = ENTRIES): Federation {
  return {
    dir: '/dist',
    host: 'host',
    phases: [],
    placeholders: entries,
    clusters: [
      { name: 'host', role: 'host', folder: 'host', context: 'host', dependsOn: [], labels: {}, constructPath: 'host', phases: [], objects: [] },
      { name: 'edge-1', role: 'member', folder: 'edge-1', context: 'edge-1', dependsOn: [], labels: {}, constructPath: 'edge-1', phases: [], objects: [] },
    ],
  };
}

function fakeClock(): Clock & { t: number } {
  const c = { t: 0, now: () => c.t, sleep: async (ms: number) => { c.t += ms; } };
  return c;
}

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'e', server: 'https://198.51.100.7:6443', skipTLSVerify: false, caData: 'Q0E=' }, { name: 'k', server: 'https://k', skipTLSVerify: false }],
    users: [{ name: 'eu', token: 'edge-token-123456' }, { name: 'ku', token: 'kind-token-abcdef' }],
    contexts: [{ name: 'edge-1', cluster: 'e', user: 'eu' }, { name: 'kind-edge', cluster: 'k', user: 'ku' }],
    currentContext: 'edge-1',
  });
  return kc;
}

/** A kubeconfig with two contexts (current: edge-1), as a user would export it into an environment variable. */
const TWO_CONTEXTS = `apiVersion: v1
kind: Config
clusters:
- name: e
  cluster:
    server: https://198.51.100.7:6443
    certificate-authority-data: Q0E=
- name: k
  cluster:
    server: https://k:6443
users:
- name: eu
  user:
    token: edge-token-123456
- name: ku
  user:
    token: kind-token-abcdef
contexts:
- name: edge-1
  context:
    cluster: e
    user: eu
- name: kind-edge
  context:
    cluster: k
    user: ku
current-context: edge-1
`;

function envKubeconfig(source: any = { type: 'env', name: 'EDGE_KUBECONFIG', member: 'edge-1' }): PlaceholderEntry {
  return entry('kubeconfig/edge-1', source, { kind: 'kubeconfig', encoding: 'base64' });
}

function resolver(overrides: Partial<PlaceholderEnvironment> = {}, host = new FakeClient('host')): { r: PlaceholderResolver; host: FakeClient; redactor: Redactor; clock: Clock & { t: number } } {
  const redactor = new Redactor();
  const clock = fakeClock();
  const r = new PlaceholderResolver({
    federation: federation(),
    client: () => host,
    kubeConfig: kubeConfig(),
    env: {},
    clock,
    waitTimeoutMs: 1_000,
    pollIntervalMs: 100,
    randomBytes: n => Buffer.alloc(n, 0xab),
    redactor,
    ...overrides,
  });
  return { r, host, redactor, clock };
}

describe('sources', () => {
  test('env', async () => {
    const { r, redactor } = resolver({ env: { KS_JWT_SECRET: 'jwt-from-env-0123' } });
    await expect(r.value('jwt-secret')).resolves.toBe('jwt-from-env-0123');
    expect(redactor.redact('x jwt-from-env-0123')).toBe('x {{ksfed:jwt-secret}}');
  });

  test('env kubeconfig: reduced to its current-context, with only that cluster and user', async () => {
    // GIVEN a kubeconfig with two contexts, as YAML or as base64 of it
    for (const value of [TWO_CONTEXTS, Buffer.from(TWO_CONTEXTS).toString('base64')]) {
      const { r, host } = resolver({ federation: federation([envKubeconfig()]), env: { EDGE_KUBECONFIG: value } });
      // WHEN
      const text = await r.value('kubeconfig/edge-1');
      // THEN
      const kc = new KubeConfig();
      kc.loadFromString(text);
      expect(kc.getCurrentContext()).toBe('edge-1');
      expect(kc.getContexts().map(c => c.name)).toEqual(['edge-1']);
      expect(kc.getClusters().map(c => [c.name, c.server, c.caData])).toEqual([['e', 'https://198.51.100.7:6443', 'Q0E=']]);
      expect(kc.getUsers().map(u => [u.name, u.token])).toEqual([['eu', 'edge-token-123456']]);
      expect(text).not.toContain('kind-token-abcdef');
      expect(host.calls).toEqual([]);
    }
  });

  test('env kubeconfig: reduced to the context the source names', async () => {
    const { r } = resolver({ federation: federation([envKubeconfig({ type: 'env', name: 'EDGE_KUBECONFIG', context: 'kind-edge' })]), env: { EDGE_KUBECONFIG: TWO_CONTEXTS } });
    const text = await r.value('kubeconfig/edge-1');
    expect(text).toContain('current-context: kind-edge');
    expect(text).toContain('server: https://k:6443');
    expect(text).toContain('kind-token-abcdef');
    expect(text).not.toContain('edge-token-123456');
    expect(text).not.toContain('198.51.100.7');
  });

  test('env kubeconfig: the value, the reduced text and every credential in it are redacted', async () => {
    const encoded = Buffer.from(TWO_CONTEXTS).toString('base64');
    for (const value of [TWO_CONTEXTS, encoded]) {
      const { r, redactor } = resolver({ federation: federation([envKubeconfig()]), env: { EDGE_KUBECONFIG: value } });
      const text = await r.value('kubeconfig/edge-1');
      const written = await r.encoded('kubeconfig/edge-1');
      const out = redactor.redact(`env=${value}\nreduced=${text}\nwritten=${written}\nother=kind-token-abcdef\nmine=edge-token-123456`);
      expect(out).toBe('env={{ksfed:kubeconfig/edge-1}}\nreduced={{ksfed:kubeconfig/edge-1}}\nwritten={{ksfed:kubeconfig/edge-1}}\nother=<redacted:credential>\nmine=<redacted:credential>');
    }
  });

  test('env kubeconfig: a value that is not a kubeconfig is a PlaceholderError that does not quote it', async () => {
    const cases: [string, RegExp][] = [
      ['not-a-kubeconfig-but-a-secret', /^placeholder kubeconfig\/edge-1: the value of environment variable EDGE_KUBECONFIG is not a kubeconfig \(no "clusters:"\)$/],
      ['clusters: [ {secret-ish: x', /^placeholder kubeconfig\/edge-1: the value of environment variable EDGE_KUBECONFIG is not a kubeconfig \(it cannot be parsed\)$/],
      ['clusters: []\nusers: []\ncontexts: []\n', /^placeholder kubeconfig\/edge-1: the value of environment variable EDGE_KUBECONFIG is not a kubeconfig \(it lists no clusters\)$/],
      [TWO_CONTEXTS.replace('current-context: edge-1\n', ''), /^placeholder kubeconfig\/edge-1: the kubeconfig in environment variable EDGE_KUBECONFIG has no current-context to reduce it to$/],
    ];
    for (const [value, message] of cases) {
      const { r } = resolver({ federation: federation([envKubeconfig()]), env: { EDGE_KUBECONFIG: value } });
      const err = await r.value('kubeconfig/edge-1').then(() => undefined, e => e);
      expect(err).toBeInstanceOf(PlaceholderError);
      expect(err.message).toMatch(message);
      expect(err.message).not.toContain(value);
    }
  });

  test('file, trailing newlines dropped', async () => {
    const file = path.join(tmpdir(), 'jwt');
    fs.writeFileSync(file, 'jwt-from-file\n\n');
    const { r } = resolver({ federation: federation([entry('jwt-file', { type: 'file', path: file })]) });
    await expect(r.value('jwt-file')).resolves.toBe('jwt-from-file');
  });

  test('host-secret waits for ks-installer to write it, then decodes it', async () => {
    // GIVEN the Secret appears on the third poll
    const { r, host, clock } = resolver();
    let polls = 0;
    host.failWith = call => {
      if (call === 'get Secret kubesphere-secret' && ++polls === 3) {
        host.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'kubesphere-secret', namespace: 'kubesphere-system' }, data: { secret: Buffer.from('host-jwt-value').toString('base64') } });
      }
      return undefined;
    };
    // THEN
    await expect(r.value('host-jwt')).resolves.toBe('host-jwt-value');
    expect(polls).toBe(3);
    expect(clock.t).toBe(25 + 50); // quick polls first, doubling
  });

  test('generate: reuses the value on the object, else generates once', async () => {
    const { r, host } = resolver();
    await expect(r.value('agent-token/b')).resolves.toBe('abababab');
    const again = resolver({}, host);
    host.put({ apiVersion: 'cluster.kubesphere.io/v1alpha1', kind: 'Cluster', metadata: { name: 'b' }, spec: { connection: { token: 'existing-token' } } });
    await expect(again.r.value('agent-token/b')).resolves.toBe('existing-token');
    // the same resolver returns the same value to every cluster
    await expect(r.value('agent-token/b')).resolves.toBe('abababab');
  });

  test('generate: several tokens reused from one kind on one cluster share one LIST (GETs where listing is forbidden)', async () => {
    // GIVEN three agent tokens reused from the host's Clusters, two of which exist
    const token = (name: string) => entry(`agent-token/${name}`, { type: 'generate', bytes: 4, format: 'hex', reuse: { cluster: 'host', apiVersion: 'cluster.kubesphere.io/v1alpha1', kind: 'Cluster', name, pointer: '/spec/connection/token' } });
    const entries = [token('b'), token('c'), token('d')];
    const cluster = (name: string) => ({ apiVersion: 'cluster.kubesphere.io/v1alpha1', kind: 'Cluster', metadata: { name }, spec: { connection: { token: `existing-${name}` } } });
    const { r, host } = resolver({ federation: federation(entries) });
    host.put(cluster('b'));
    host.put(cluster('c'));
    // WHEN
    const values = await Promise.all(['b', 'c', 'd'].map(n => r.value(`agent-token/${n}`)));
    // THEN
    expect(values).toEqual(['existing-b', 'existing-c', 'abababab']);
    expect(host.calls).toEqual(['list Cluster *']);

    // GIVEN listing is forbidden
    const { r: r2, host: h2 } = resolver({ federation: federation(entries) });
    h2.put(cluster('b'));
    h2.failWith = call => call.startsWith('list') ? new KubeApiError(403, 'Forbidden', 'clusters is forbidden') : undefined;
    // THEN each one is read
    await expect(Promise.all(['b', 'd'].map(n => r2.value(`agent-token/${n}`)))).resolves.toEqual(['existing-b', 'abababab']);
    expect(h2.calls.sort()).toEqual(['get Cluster b', 'get Cluster d', 'list Cluster *']);

    // GIVEN the cluster cannot be reached: every token that reads from it fails with that error
    const { r: r3, host: h3 } = resolver({ federation: federation(entries) });
    h3.failWith = () => new KubeApiError(0, 'ECONNREFUSED', 'connection refused');
    await expect(r3.value('agent-token/b')).rejects.toThrow(/connection refused/);
    await expect(r3.value('agent-token/c')).rejects.toThrow(/connection refused/);
  });

  test('read-object waits for tower to write the token, with a timeout', async () => {
    const { r, host, clock } = resolver();
    host.put({ apiVersion: 'cluster.kubesphere.io/v1alpha1', kind: 'Cluster', metadata: { name: 'b' }, spec: { connection: { token: '' } } });
    await expect(r.value('tower-token/b')).rejects.toBeInstanceOf(TimeoutError);
    expect(clock.t).toBeGreaterThanOrEqual(900);
    const { r: r2, host: h2 } = resolver();
    let polls = 0;
    h2.failWith = call => {
      if (call.startsWith('get Cluster') && ++polls === 3) h2.put({ apiVersion: 'cluster.kubesphere.io/v1alpha1', kind: 'Cluster', metadata: { name: 'b' }, spec: { connection: { token: 'tower-wrote-this' } } });
      return undefined;
    };
    await expect(r2.value('tower-token/b')).resolves.toBe('tower-wrote-this');
  });

  test('service-address from the load balancer', async () => {
    const { r, host } = resolver();
    host.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'tower', namespace: 'kubesphere-system' }, status: { loadBalancer: { ingress: [{ ip: '172.31.0.10' }] } } });
    await expect(r.value('proxy-address')).resolves.toBe('http://172.31.0.10:8080');
  });

  test('service-address: a tower address that never comes says why (no load balancer) and the fix (proxyPublishAddress)', async () => {
    // GIVEN the tower Service on the host without an external address, for the whole wait
    const { r, host, clock } = resolver();
    host.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'tower', namespace: 'kubesphere-system' }, spec: { type: 'LoadBalancer' }, status: { loadBalancer: {} } });
    // THEN the timeout says what agents need, not just that time ran out
    const error = await r.value('proxy-address').then(() => undefined, e => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.message).toBe('placeholder proxy-address: timed out after 1s waiting for the load balancer address of Service kubesphere-system/tower on host:'
      + ' agent members dial tower there, and the tower LoadBalancer Service got no external address (no load-balancer controller on host?).'
      + ' Fix: give the host a load balancer (a cloud one, or MetalLB on bare metal), or set proxyPublishAddress on the Host to the address'
      + ' agents reach tower at (e.g. towerServiceType NodePort and "http://<node-ip>:<nodePort>")');
    expect(clock.t).toBeGreaterThanOrEqual(900);
    // and another Service's address says the same cause, without the tower's fix
    const other = entry('web-address', { type: 'service-address', cluster: 'host', namespace: 'shop', name: 'web', port: 80 }, { secret: false });
    const { r: r2 } = resolver({ federation: federation([other]) });
    await expect(r2.value('web-address')).rejects.toThrow(/^placeholder web-address: timed out after 1s waiting for the load balancer address of Service shop\/web on host: the Service got no external address \(is there a load-balancer controller on host\?\)$/);
  });

  test('a dry run does not wait: it uses a stand-in', async () => {
    const { r } = resolver({ dryRun: true });
    await expect(r.value('proxy-address')).resolves.toBe(pendingValue('proxy-address'));
    await expect(r.value('tower-token/b')).resolves.toBe('ksfed-pending-tower-token-b');
  });

  test('context: that context reduced to one cluster and user, base64 when encoded', async () => {
    const { r, redactor } = resolver();
    const text = await r.value('kubeconfig/edge-1');
    expect(text).toContain('server: https://198.51.100.7:6443');
    expect(text).toContain('edge-token-123456');
    expect(text).not.toContain('kind-token');
    const encoded = await r.encoded('kubeconfig/edge-1');
    expect(Buffer.from(encoded, 'base64').toString()).toBe(text);
    expect(redactor.redact(`x ${encoded} y`)).toBe('x {{ksfed:kubeconfig/edge-1}} y');
  });

  test('context: the value the preflight made (checking the context) is the one the run uses, made once', async () => {
    const { r, redactor } = resolver();
    const made = jest.spyOn(kubeconfigModule, 'reduceKubeconfig');
    try {
      r.preflight(['kubeconfig/edge-1']);
      expect(made).toHaveBeenCalledTimes(1);
      const text = await r.value('kubeconfig/edge-1');
      expect(text).toContain('edge-token-123456');
      expect(Buffer.from(await r.encoded('kubeconfig/edge-1'), 'base64').toString()).toBe(text);
      expect(made).toHaveBeenCalledTimes(1);
      expect(redactor.redact(`x ${Buffer.from(text).toString('base64')} y`)).toBe('x {{ksfed:kubeconfig/edge-1}} y');
    } finally {
      made.mockRestore();
    }
  });

  test('context follows --context for the member', async () => {
    const { r } = resolver({ contextOverrides: { 'edge-1': 'kind-edge' } });
    expect(await r.value('kubeconfig/edge-1')).toContain('kind-token-abcdef');
  });

  test('webhook-certificate: one self-signed pair for all parts, ca = cert', async () => {
    const { r } = resolver();
    const [ca, cert, key] = await Promise.all([r.value('webhook/ca'), r.value('webhook/cert'), r.value('webhook/key')]);
    expect(ca).toBe(cert);
    const x = new crypto.X509Certificate(cert);
    expect(x.checkHost(DNS[1])).toBe(DNS[1]);
    expect(x.checkPrivateKey(crypto.createPrivateKey(key))).toBe(true);
  });

  test('webhook-certificate: reuses a valid Secret, renews one about to expire', async () => {
    const host = new FakeClient('host');
    const valid = selfSignedCertificate({ dnsNames: DNS, validDays: 365 });
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    host.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'serving-cert', namespace: 'kube-federation-system' }, data: { 'ca.crt': b64(valid.certPem), 'tls.crt': b64(valid.certPem), 'tls.key': b64(valid.keyPem) } });
    const { r } = resolver({}, host);
    expect(await r.value('webhook/key')).toBe(valid.keyPem);
    expect(await r.encoded('webhook/cert')).toBe(b64(valid.certPem));

    const expiring = selfSignedCertificate({ dnsNames: DNS, validDays: 10 });
    host.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'serving-cert', namespace: 'kube-federation-system' }, data: { 'ca.crt': b64(expiring.certPem), 'tls.crt': b64(expiring.certPem), 'tls.key': b64(expiring.keyPem) } });
    const { r: renewed } = resolver({}, host);
    expect(await renewed.value('webhook/cert')).not.toBe(expiring.certPem);
  });
});

describe('cross-cluster hooks', () => {
  test('a value the source run will not provide rejects at once with an UpstreamError; a dry run consults neither hook', async () => {
    const tower = { apiVersion: 'v1', kind: 'Service', namespace: 'kubesphere-system', name: 'tower' };
    const where = 'the load balancer address of Service kubesphere-system/tower on host';

    // GIVEN the host's run ended without applying the tower Service
    const awaitSource = jest.fn(async (cluster: string, _ref: any, what: string) => {
      throw new UpstreamError(cluster, 'failed', `${what} was not applied: the run of ${cluster} ended failed`);
    });
    const first = resolver({ awaitSource });
    // THEN the placeholder says so, without reading the host
    const upstream = await first.r.value('proxy-address').then(() => undefined, e => e);
    expect(upstream).toBeInstanceOf(UpstreamError);
    expect(upstream.message).toBe(`placeholder proxy-address: ${where} was not applied: the run of host ended failed`);
    expect(upstream.cluster).toBe('host');
    expect(upstream.status).toBe('failed');
    expect(awaitSource).toHaveBeenCalledWith('host', tower, where);
    expect(first.host.calls).toEqual([]);

    // GIVEN the Service was applied but has no address, and the host's run ended failed
    const second = resolver({ awaitSource: async () => undefined, runStatus: cluster => cluster === 'host' ? 'failed' : undefined });
    second.host.put({ ...tower, metadata: { name: 'tower', namespace: 'kubesphere-system' }, status: {} });
    // THEN the placeholder fails at once instead of waiting for the timeout
    const missing = await second.r.value('proxy-address').then(() => undefined, e => e);
    expect(missing).toBeInstanceOf(UpstreamError);
    expect(missing.message).toBe(`placeholder proxy-address: ${where} is missing and the run of host ended failed`);
    expect(missing.status).toBe('failed');
    expect(second.clock.t).toBe(0);

    // GIVEN a dry run, with hooks that would reject
    const third = resolver({ dryRun: true, awaitSource, runStatus: () => 'failed' });
    awaitSource.mockClear();
    // THEN it takes a stand-in
    await expect(third.r.value('proxy-address')).resolves.toBe(pendingValue('proxy-address'));
    expect(awaitSource).not.toHaveBeenCalled();
  });
});

describe('preflight', () => {
  test('missing environment variables, files and contexts are bad input', () => {
    const { r } = resolver();
    expect(() => r.preflight(['jwt-secret'])).toThrow(UsageError);
    expect(() => r.preflight(['jwt-secret'])).toThrow(/environment variable KS_JWT_SECRET is not set/);
    const { r: r2 } = resolver({ federation: federation([entry('f', { type: 'file', path: '/nonexistent' })]) });
    expect(() => r2.preflight(['f'])).toThrow(/file \/nonexistent does not exist/);
    const { r: r3 } = resolver({ contextOverrides: { 'edge-1': 'nope' } });
    expect(() => r3.preflight(['kubeconfig/edge-1'])).toThrow(/no context "nope"/);
    const { r: r4 } = resolver({ federation: federation([entry('x', { type: 'magic' })]) });
    expect(() => r4.preflight(['x'])).toThrow(/unknown source type "magic"/);
  });

  test('an env kubeconfig that is missing or not a kubeconfig is bad input, found before any cluster is touched', () => {
    const cases: [string | undefined, RegExp][] = [
      [undefined, /^placeholder kubeconfig\/edge-1: environment variable EDGE_KUBECONFIG is not set/],
      ['just-a-token-0123456789', /^placeholder kubeconfig\/edge-1: the value of environment variable EDGE_KUBECONFIG is not a kubeconfig \(no "clusters:"\) \(kubeconfig\/edge-1\)\. Fix: export EDGE_KUBECONFIG with the text of a kubeconfig file, or base64 of it$/],
      ['clusters: [', /^placeholder kubeconfig\/edge-1: the value of environment variable EDGE_KUBECONFIG is not a kubeconfig \(it cannot be parsed\)/],
    ];
    for (const [value, message] of cases) {
      const { r, host } = resolver({ federation: federation([envKubeconfig()]), env: { EDGE_KUBECONFIG: value } });
      expect(() => r.preflight(['kubeconfig/edge-1'])).toThrow(UsageError);
      expect(() => r.preflight(['kubeconfig/edge-1'])).toThrow(message);
      expect(host.calls).toEqual([]);
    }
    // a context the kubeconfig does not have, too
    const { r } = resolver({ federation: federation([envKubeconfig({ type: 'env', name: 'EDGE_KUBECONFIG', context: 'nope' })]), env: { EDGE_KUBECONFIG: TWO_CONTEXTS } });
    expect(() => r.preflight(['kubeconfig/edge-1'])).toThrow(/^placeholder kubeconfig\/edge-1 \(environment variable EDGE_KUBECONFIG\): no context "nope" in the kubeconfig$/);
    // and a good one passes
    const { r: good } = resolver({ federation: federation([envKubeconfig()]), env: { EDGE_KUBECONFIG: TWO_CONTEXTS } });
    expect(() => good.preflight(['kubeconfig/edge-1'])).not.toThrow();
  });
});

describe('rendering', () => {
  test('replaces whole and embedded tokens and keeps typed prototypes', async () => {
    class Typed {
      public spec: any;
    }
    const obj = new Typed();
    obj.spec = { token: '{{ksfed:jwt-secret}}', args: ['--proxy-server={{ksfed:proxy-address}}', 'plain'], n: 3 };
    const { r, host } = resolver({ env: { KS_JWT_SECRET: 'the-jwt-secret' } });
    host.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'tower', namespace: 'kubesphere-system' }, status: { loadBalancer: { ingress: [{ hostname: 'tower.example.com' }] } } });
    const out = await r.render(obj);
    expect(out).toBeInstanceOf(Typed);
    expect(out.spec).toEqual({ token: 'the-jwt-secret', args: ['--proxy-server=http://tower.example.com:8080', 'plain'], n: 3 });
    expect(obj.spec.token).toBe('{{ksfed:jwt-secret}}');
  });

  test('helpers', () => {
    expect(placeholderIdsIn({ a: ['{{ksfed:b}} {{ksfed:a}}'], c: '{{ksfed:b}}' })).toEqual(['a', 'b']);
    expect(substitute('x{{ksfed:unknown}}', new Map())).toBe('x{{ksfed:unknown}}');
    expect(readPointer({ a: { 'b/c': [1, { d: 2 }] } }, '/a/b~1c/1/d')).toBe(2);
    expect(readPointer(undefined, '/a')).toBeUndefined();
  });
});

describe('live values', () => {
  const manifest = {
    kind: 'Deployment',
    spec: { token: '{{ksfed:jwt-secret}}', args: ['--proxy-server={{ksfed:proxy-address}}/x', 'plain'], kc: '{{ksfed:kubeconfig/edge-1}}', other: 'plain text' },
  };

  test('what an earlier apply filled in where the manifest has placeholders is redacted: just its part, and base64 decoded', () => {
    const redactor = new Redactor();
    const kubeconfig = 'apiVersion: v1\nclusters: [old-cluster-credentials]\n';
    redactLiveValues(redactor, manifest, {
      kind: 'Deployment',
      spec: { token: 'live-secret-A-0123456789', args: ['--proxy-server=http://10.1.2.3:8080/x', 'plain'], kc: Buffer.from(kubeconfig).toString('base64'), other: 'plain text' },
    });
    expect(redactor.redact('was live-secret-A-0123456789, dials http://10.1.2.3:8080 with --proxy-server= set')).toBe('was {{ksfed:jwt-secret}}, dials {{ksfed:proxy-address}} with --proxy-server= set');
    expect(redactor.redact(`config ${kubeconfig}`)).toBe('config {{ksfed:kubeconfig/edge-1}}');
    expect(redactor.redact('plain text')).toBe('plain text');
  });

  test('where the text around a placeholder changed, the whole live string is redacted; nothing for an object that is not there', () => {
    const redactor = new Redactor();
    redactLiveValues(redactor, manifest, { spec: { args: ['--server=http://10.9.9.9:8080'] } });
    expect(redactor.redact('arg --server=http://10.9.9.9:8080')).toBe('arg {{ksfed:proxy-address}}');
    redactLiveValues(redactor, manifest, undefined);
    expect(placeholderPointers(manifest)).toEqual(new Map([
      ['/spec/token', '{{ksfed:jwt-secret}}'], ['/spec/args/0', '--proxy-server={{ksfed:proxy-address}}/x'], ['/spec/kc', '{{ksfed:kubeconfig/edge-1}}'],
    ]));
  });

  test('secretPointers: where placeholders stand in any object of the kind, in any cluster', () => {
    const object = (cluster: string, kind: string, m: any, ids: string[]) => ({ cluster, file: 'f', phase: 'p', apiVersion: 'installer.kubesphere.io/v1alpha1', kind, name: 'ks-installer', constructPath: 'c', manifest: m, placeholders: ids });
    const member = object('edge-1', 'ClusterConfiguration', { spec: { authentication: { jwtSecret: '{{ksfed:jwt-secret}}' } } }, ['jwt-secret']);
    // (the host's, which JwtSecret.fromHostCluster() leaves without: its live object may still hold an earlier one)
    const host = object('host', 'ClusterConfiguration', { spec: {} }, []);
    const other = object('host', 'Other', { spec: {} }, []);
    const fed = { clusters: [{ objects: [host, other] }, { objects: [member] }] };
    expect(secretPointers(fed, host)).toEqual(['/spec/authentication/jwtSecret']);
    expect(secretPointers(fed, member)).toEqual(['/spec/authentication/jwtSecret']);
    expect(secretPointers(fed, other)).toEqual([]);
  });
});
