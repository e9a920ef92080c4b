import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Host, Member, Connection } from 'cdk8s-kubesphere-federation';
import { main } from 'ksfed/lib/cli';
import { synth } from '../../packages/ksfed/test/fixtures';

jest.setTimeout(300_000);

test('ksfed sandbox --real --kubefed: real API servers, the kubeconfig for kubectl, KubeFed joined, all gone on stop', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ksfed-cli-e2e-'));
  const out = path.join(dir, 'real.kubeconfig');
  let stdout = '';
  let stderr = '';
  let seen: { namespaces: string; kubefedClusters: string; logs: string } | undefined;
  const code = await main(['sandbox', '--real', '--kubefed', '--clusters', 'host,edge-1', '--kubeconfig-out', out], {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    isTTY: false,
    env: process.env,
    // While it runs: kubectl reads both clusters through the kubeconfig (TLS verified), KubeFed has joined both.
    untilStopped: async () => {
      const kubectl = (...args: string[]) => execFileSync('kubectl', ['--kubeconfig', out, ...args], { encoding: 'utf8' });
      seen = {
        namespaces: kubectl('--context', 'edge-1', 'get', 'ns', '-o', 'name'),
        kubefedClusters: kubectl('--context', 'host', '-n', 'kube-federation-system', 'get', 'kubefedclusters',
          '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}'),
        logs: /Logs: (\S+)/.exec(stdout)![1],
      };
    },
  });
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout).toMatch(/^Real fleet running \(kube-apiserver v1\.34\.4 and kube-controller-manager per cluster, one etcd; KubeSphere's CRDs, KubeFed v0\.8\.1 on the host with every cluster joined\), up in [\d.]+ s:\n/);
  expect(stdout).toMatch(/context host\s+https:\/\/127\.0\.0\.1:\d+ {2}\(KubeSphere host\)/);
  expect(stdout).toMatch(/context edge-1\s+https:\/\/127\.0\.0\.1:\d+\n/);
  expect(stdout).toContain(`Kubeconfig: ${out}\n`);
  expect(stdout).toMatch(/Real fleet stopped\.\n$/);
  expect(seen!.namespaces).toContain('namespace/kubesphere-system');
  expect(seen!.kubefedClusters.trim().split(' ').sort()).toEqual(['edge-1=True', 'host=True']);
  const kubeconfig = fs.readFileSync(out, 'utf8');
  expect(kubeconfig).toContain('certificate-authority-data');
  expect(kubeconfig).not.toContain('insecure-skip-tls-verify');
  expect(stdout).not.toContain(/token: (\S+)/.exec(kubeconfig)![1]);
  // stop() removed the work dir (logs included) and every process with it.
  expect(fs.existsSync(seen!.logs)).toBe(false);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('ksfed sandbox DIST --real: the folder\'s clusters and contexts, its host (the cluster that holds the Cluster objects) wherever federation.json lists it', async () => {
  // GIVEN a federation whose host hq (context kind-hq) is listed last in federation.json
  const dist = synth(app => {
    const host = new Host(app, 'hq', { name: 'hq', context: 'kind-hq' });
    new Member(app, 'edge-1', { host, name: 'edge-1', connection: Connection.direct() });
  });
  const file = path.join(dist, 'federation.json');
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
  manifest.clusters.reverse();
  fs.writeFileSync(file, JSON.stringify(manifest));
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ksfed-cli-e2e-')), 'real.kubeconfig');
  let stdout = '';
  let stderr = '';
  let crds: { [context: string]: string } = {};
  // WHEN the real fleet starts from the folder, with KubeFed
  const code = await main(['sandbox', dist, '--real', '--kubefed', '--kubeconfig-out', out], {
    stdout: (t) => stdout += t,
    stderr: (t) => stderr += t,
    isTTY: false,
    env: process.env,
    // (KubeFed runs on the host only)
    untilStopped: async () => {
      const kubectl = (...args: string[]) => execFileSync('kubectl', ['--kubeconfig', out, ...args], { encoding: 'utf8' });
      crds = Object.fromEntries(['kind-hq', 'edge-1'].map((context) => [context, kubectl('--context', context, 'get', 'crds', '-o', 'name')]));
    },
  });
  // THEN hq is the host, under its own context
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout).toMatch(/^ {2}context edge-1 {7}https:\/\/127\.0\.0\.1:\d+\n {2}context kind-hq {6}https:\/\/127\.0\.0\.1:\d+ {2}\(cluster hq\) {2}\(KubeSphere host\)\n/m);
  expect(fs.readFileSync(out, 'utf8')).toMatch(/^current-context: kind-hq$/m);
  expect(crds['kind-hq']).toContain('customresourcedefinition.apiextensions.k8s.io/kubefedclusters.core.kubefed.io');
  expect(crds['edge-1']).not.toContain('kubefedclusters.core.kubefed.io');
});
