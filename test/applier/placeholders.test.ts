import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { KubeConfig } from '@kubernetes/client-node';
import { FakeClient, tmpdir } from './fixtures';
import { TimeoutError, UsageError } from '../../src/applier/errors';
import { Federation, PlaceholderEntry } from '../../src/applier/federation';
import { pendingValue, PlaceholderEnvironment, PlaceholderResolver, placeholderIdsIn, readPointer, substitute } from '../../src/applier/placeholders';
import { Redactor } from '../../src/applier/redact';
import { Clock } from '../../src/applier/retry';
import { selfSignedCertificate } from '../../src/applier/x509';

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
