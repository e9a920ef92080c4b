import * as fs from 'fs';
import * as path from 'path';
import { KubeConfig } from '@kubernetes/client-node';
import { Yaml } from 'cdk8s';
import { tmpdir } from './fixtures';
import { UsageError } from '../src/errors';
import { checkDistinctClusters, credentialsOf, loadKubeConfig, normalizeServer, reduceKubeconfig, resolveContexts } from '../src/kubeconfig';

const TOKEN = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImZha2UifQ.fake-edge-token';

function writeKubeconfig(dir: string): string {
  fs.writeFileSync(path.join(dir, 'ca.crt'), 'CA-PEM');
  fs.writeFileSync(path.join(dir, 'client.crt'), 'CERT-PEM');
  fs.writeFileSync(path.join(dir, 'client.key'), 'KEY-PEM');
  const file = path.join(dir, 'config');
  fs.writeFileSync(file, Yaml.stringify({
    'apiVersion': 'v1',
    'kind': 'Config',
    'clusters': [
      { name: 'edge', cluster: { 'server': 'https://203.0.113.5:6443', 'certificate-authority': 'ca.crt' } },
      { name: 'hostc', cluster: { 'server': 'http://127.0.0.1:1', 'insecure-skip-tls-verify': true } },
    ],
    'users': [
      { name: 'edge-admin', user: { 'client-certificate': 'client.crt', 'client-key': 'client.key' } },
      { name: 'tok', user: { token: TOKEN } },
      { name: 'plugin', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'aws' } } },
    ],
    'contexts': [
      { name: 'edge-1', context: { cluster: 'edge', user: 'edge-admin', namespace: 'apps' } },
      { name: 'host', context: { cluster: 'hostc', user: 'tok' } },
      { name: 'eks', context: { cluster: 'edge', user: 'plugin' } },
    ],
    'current-context': 'host',
  }));
  return file;
}

describe('loadKubeConfig', () => {
  test('--kubeconfig, with relative file references resolved', () => {
    const dir = tmpdir();
    const kc = loadKubeConfig(writeKubeconfig(dir), {});
    expect(kc.getContexts().map(c => c.name)).toEqual(['edge-1', 'host', 'eks']);
  });

  test('KUBECONFIG with several files merged', () => {
    const a = writeKubeconfig(tmpdir());
    const b = path.join(tmpdir(), 'b');
    fs.writeFileSync(b, Yaml.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'x', cluster: { server: 'https://x' } }], users: [{ name: 'u', user: { token: 't' } }], contexts: [{ name: 'lab', context: { cluster: 'x', user: 'u' } }] }));
    const kc = loadKubeConfig(undefined, { KUBECONFIG: `${a}${path.delimiter}${b}` });
    expect(kc.getContexts().map(c => c.name)).toContain('lab');
  });

  test('bad input is a UsageError', () => {
    expect(() => loadKubeConfig('/nonexistent/kubeconfig', {})).toThrow(/--kubeconfig \/nonexistent\/kubeconfig: no such file/);
    const junk = path.join(tmpdir(), 'junk');
    fs.writeFileSync(junk, ': : not yaml [');
    expect(() => loadKubeConfig(junk, {})).toThrow(UsageError);
    expect(() => loadKubeConfig(undefined, { HOME: tmpdir() })).toThrow(/no kubeconfig/);
    const empty = path.join(tmpdir(), 'empty');
    fs.writeFileSync(empty, 'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n');
    expect(() => loadKubeConfig(empty, {})).toThrow(/has no contexts/);
  });
});

describe('resolveContexts', () => {
  const kc = loadKubeConfig(writeKubeconfig(tmpdir()), {});

  test('default context is the cluster name; --context overrides', () => {
    const m = resolveContexts(kc, [{ name: 'host', context: 'host' }, { name: 'edge-1', context: 'edge-1' }, { name: 'aws', context: 'aws' }], { aws: 'eks' });
    expect([...m.entries()]).toEqual([['host', 'host'], ['edge-1', 'edge-1'], ['aws', 'eks']]);
  });

  test('a missing context names the ones there are', () => {
    expect(() => resolveContexts(kc, [{ name: 'branch-7', context: 'branch-7' }])).toThrow(/no context "branch-7" in the kubeconfig \(the default context of cluster "branch-7"\); it has: edge-1, host, eks. Fix: pass --context branch-7=<context>/);
    expect(() => resolveContexts(kc, [{ name: 'host', context: 'host' }], { host: 'typo' })).toThrow(/--context host=typo/);
  });

  test('credentials of the contexts in use, for redaction', () => {
    expect(credentialsOf(kc, ['host', 'edge-1'])).toEqual([TOKEN]);
  });
});

describe('checkDistinctClusters', () => {
  /** A kubeconfig with one context per entry: context name -> cluster entry. */
  function kubeconfigOf(clusters: { [context: string]: { server: string; tlsServerName?: string; proxyUrl?: string } }): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: Object.entries(clusters).map(([name, c]) => ({ name, skipTLSVerify: false, ...c })),
      users: [{ name: 'u', token: 't' }],
      contexts: Object.keys(clusters).map(name => ({ name, cluster: name, user: 'u' })),
      currentContext: Object.keys(clusters)[0],
    });
    return kc;
  }
  const fleet = [{ name: 'host', context: 'host' }, { name: 'edge-1', context: 'edge-1' }];
  const all = new Set(['host', 'edge-1']);

  test('one API server spelt two ways (host case, default port, trailing slash) is refused', () => {
    const kc = kubeconfigOf({ 'host': { server: 'https://API.example.com:443/' }, 'edge-1': { server: 'https://api.example.com' } });
    expect(() => checkDistinctClusters(fleet, all, {}, kc)).toThrow(
      /^clusters "host" \(context host\) and "edge-1" \(context edge-1\) both point to the API server https:\/\/api\.example\.com; ksfed would apply both folders to one cluster\. Fix: pass --context edge-1=<a context of edge-1's own API server>, or correct the kubeconfig$/);
    expect(() => checkDistinctClusters(fleet, all, {}, kubeconfigOf({ 'host': { server: 'http://10.0.0.1:80' }, 'edge-1': { server: 'HTTP://10.0.0.1/' } }))).toThrow(/both point to the API server http:\/\/10\.0\.0\.1;/);
  });

  test('the same address through another proxy or server name, another port or path, is another cluster', () => {
    for (const edge of [
      { server: 'https://10.0.0.1:6443', proxyUrl: 'socks5://bastion-b:1080' },
      { server: 'https://10.0.0.1:6443', tlsServerName: 'edge-1.internal' },
      { server: 'https://10.0.0.1:6444' },
      { server: 'https://10.0.0.1:6443/edge-1' },
    ]) {
      const kc = kubeconfigOf({ 'host': { server: 'https://10.0.0.1:6443', proxyUrl: edge.proxyUrl ? 'socks5://bastion-a:1080' : undefined }, 'edge-1': edge });
      expect(() => checkDistinctClusters(fleet, all, {}, kc)).not.toThrow();
    }
  });

  test('without a kubeconfig (a client factory decides), only the context names are compared', () => {
    expect(() => checkDistinctClusters(fleet, all, { 'edge-1': 'host' })).toThrow(/both resolve to kubeconfig context "host"/);
    expect(() => checkDistinctClusters(fleet, all)).not.toThrow();
  });

  test('a pair outside the run, or a context the kubeconfig lacks outside the run, is left alone', () => {
    const kc = kubeconfigOf({ host: { server: 'https://a' }, other: { server: 'https://b' } });
    const three = [...fleet, { name: 'branch-7', context: 'missing' }];
    expect(() => checkDistinctClusters(three, new Set(['host']), { 'edge-1': 'other', 'branch-7': 'other' }, kc)).not.toThrow();
    expect(() => checkDistinctClusters(three, all, { 'edge-1': 'other' }, kc)).not.toThrow();
    expect(() => checkDistinctClusters(three, all, { 'branch-7': 'other', 'edge-1': 'other' }, kc)).toThrow(
      /^clusters "edge-1" and "branch-7" both resolve to kubeconfig context "other" \(--context edge-1=other, --context branch-7=other\)/);
  });

  test('normalizeServer', () => {
    expect(normalizeServer('HTTPS://Api.Example.COM:443//')).toBe('https://api.example.com');
    expect(normalizeServer('api.example.com:6443')).toBe('https://api.example.com:6443');
    expect(normalizeServer('https://[::1]:6443/k8s/')).toBe('https://[::1]:6443/k8s');
  });
});

describe('reduceKubeconfig', () => {
  const kc = loadKubeConfig(writeKubeconfig(tmpdir()), {});

  test('one cluster, user and context, with files inlined', () => {
    // WHEN
    const text = reduceKubeconfig(kc, 'edge-1', 'test');
    // THEN
    const reduced = new KubeConfig();
    reduced.loadFromString(text);
    expect(reduced.getContexts()).toEqual([{ name: 'edge-1', cluster: 'edge', user: 'edge-admin', namespace: 'apps' }]);
    expect(reduced.getCurrentCluster()).toMatchObject({ server: 'https://203.0.113.5:6443', caData: Buffer.from('CA-PEM').toString('base64') });
    expect(reduced.getCurrentUser()).toMatchObject({ certData: Buffer.from('CERT-PEM').toString('base64'), keyData: Buffer.from('KEY-PEM').toString('base64') });
    expect(text).not.toContain('client.key');
    expect(reduced.clusters).toHaveLength(1);
    expect(reduced.users).toHaveLength(1);
  });

  test('tokens and insecure clusters carry over; output is deterministic', () => {
    const text = reduceKubeconfig(kc, 'host', 'test');
    expect(text).toContain(TOKEN);
    expect(text).toContain('insecure-skip-tls-verify: true');
    expect(reduceKubeconfig(kc, 'host', 'test')).toBe(text);
  });

  test('credential plugins cannot travel to the host', () => {
    expect(() => reduceKubeconfig(kc, 'eks', 'placeholder kubeconfig/aws')).toThrow(/credential plugin \(exec\), which the host cannot run/);
    expect(() => reduceKubeconfig(kc, 'missing', 'x')).toThrow(UsageError);
  });
});
