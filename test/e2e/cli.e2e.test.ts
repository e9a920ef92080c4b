import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from 'ksfed/lib/cli';

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
