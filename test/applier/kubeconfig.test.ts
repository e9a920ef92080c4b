import * as fs from 'fs';
import * as path from 'path';
import { KubeConfig } from '@kubernetes/client-node';
import { Yaml } from 'cdk8s';
import { tmpdir } from './fixtures';
import { UsageError } from '../../src/applier/errors';
import { credentialsOf, loadKubeConfig, reduceKubeconfig, resolveContexts } from '../../src/applier/kubeconfig';

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
