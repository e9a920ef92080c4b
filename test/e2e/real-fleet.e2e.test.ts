import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { RealFleet, realBinariesAvailable } from '../../src/real-fleet';

jest.setTimeout(300_000);

/** PIDs of running processes whose command line mentions `text` (the fleet's workDir is in every one's flags). */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const state = /^State:\s+(\S)/m.exec(fs.readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1];
      if (cmdline.includes(text) && state !== 'Z') pids.push(Number(entry));
    } catch {
      // the process went away while we looked
    }
  }
  return pids;
}

function coreApi(kubeconfigYaml: string, context: string): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigYaml);
  kc.setCurrentContext(context);
  return kc.makeApiClient(CoreV1Api);
}

async function eventually<T>(fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('the binaries of e2e/build.sh are there (npm run e2e builds them first)', () => {
  expect(realBinariesAvailable()).toBe(true);
  expect(realBinariesAvailable('/nonexistent')).toBe(false);
});

describe('RealFleet core: 2 clusters, controller-managers, no KubeSphere', () => {
  let fleet: RealFleet;
  let workDir: string;
  beforeAll(async () => {
    fleet = await RealFleet.start({ clusters: ['host', 'member-1'], kubesphere: false });
    workDir = fleet.workDir;
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  test('kubeconfig: one context per cluster, named like it, with CA data and the admin token', () => {
    const kc = fleet.kubeconfig();
    expect(kc.contexts.map((c: any) => c.name)).toEqual(['host', 'member-1']);
    expect(kc['current-context']).toBe('host');
    for (const c of kc.clusters) {
      expect(c.cluster.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(c.cluster['certificate-authority-data']).toBeTruthy();
      expect(c.cluster['insecure-skip-tls-verify']).toBeUndefined();
    }
    expect(fleet.server('host')).not.toBe(fleet.server('member-1'));
    expect(fs.readFileSync(fleet.kubeconfigPath, 'utf8')).toBe(fleet.kubeconfigYaml());
  });

  test('client-node lists the namespaces of each cluster with TLS verified', async () => {
    for (const cluster of fleet.clusters) {
      const list = await coreApi(fleet.kubeconfigYaml(), cluster).listNamespace();
      expect(list.items.map((n) => n.metadata!.name)).toEqual(expect.arrayContaining(['default', 'kube-public', 'kube-system']));
    }
    // Verification is really on: member-1's certificate is not signed by the host's CA.
    const swapped = fleet.kubeconfigYaml().replace(
      Buffer.from(fleet.caPem('member-1')).toString('base64'), Buffer.from(fleet.caPem('host')).toString('base64'));
    await expect(coreApi(swapped, 'member-1').listNamespace()).rejects.toThrow(/certificate/i);
  });

  test('kubectl reads each cluster through the kubeconfig', () => {
    for (const cluster of fleet.clusters) {
      const out = execFileSync('kubectl', ['--kubeconfig', fleet.kubeconfigPath, '--context', cluster, 'get', 'ns', '-o', 'name'], { encoding: 'utf8' });
      expect(out).toContain('namespace/kube-system');
    }
  });

  test('objects of one cluster are invisible in the other', async () => {
    const host = coreApi(fleet.kubeconfigYaml(), 'host');
    const member = coreApi(fleet.kubeconfigYaml(), 'member-1');
    await host.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'only-on-host' }, data: { a: '1' } } });
    expect((await host.readNamespacedConfigMap({ namespace: 'default', name: 'only-on-host' })).data).toEqual({ a: '1' });
    await expect(member.readNamespacedConfigMap({ namespace: 'default', name: 'only-on-host' })).rejects.toMatchObject({ code: 404 });
  });

  test('kube-controller-manager runs per cluster: a new namespace gets its default ServiceAccount', async () => {
    const member = coreApi(fleet.kubeconfigYaml(), 'member-1');
    await member.createNamespace({ body: { metadata: { name: 'gets-a-sa' } } });
    const sa = await eventually(() => member.readNamespacedServiceAccount({ namespace: 'gets-a-sa', name: 'default' }));
    expect(sa.metadata!.name).toBe('default');
  });

  test('stop() leaves no process and removes the work dir', async () => {
    expect(processesMentioning(workDir).length).toBeGreaterThanOrEqual(5); // etcd, 2 apiservers, 2 controller-managers
    await fleet.stop();
    expect(processesMentioning(workDir)).toEqual([]);
    expect(fs.existsSync(workDir)).toBe(false);
  });
});

test('RealFleet.start validates its options before starting anything', async () => {
  await expect(RealFleet.start({ clusters: [] })).rejects.toThrow(/clusters is empty/);
  await expect(RealFleet.start({ clusters: ['Host'] })).rejects.toThrow(/"Host" is not a DNS-1123 label/);
  await expect(RealFleet.start({ clusters: ['a', 'a'] })).rejects.toThrow(/duplicate cluster names/);
  await expect(RealFleet.start({ clusters: ['a'], host: 'b' })).rejects.toThrow(/host "b" is not one of the clusters/);
  await expect(RealFleet.start({ clusters: ['a'], binDir: '/nonexistent' })).rejects.toThrow(/etcd-lite, kube-apiserver, kube-controller-manager not found in \/nonexistent/);
});

test('a test process killed with SIGKILL takes its fleet with it', async () => {
  const script = `
    require('ts-node').register({ transpileOnly: true });
    const { RealFleet } = require(${JSON.stringify(path.resolve(__dirname, '../../src/real-fleet'))});
    RealFleet.start({ clusters: ['solo'], kubesphere: false }).then((f) => console.log('WORKDIR ' + f.workDir));
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  const workDir = await eventually(async () => /WORKDIR (\S+)/.exec(out)?.[1], 120_000);
  expect(processesMentioning(workDir).length).toBeGreaterThanOrEqual(3); // etcd, apiserver, controller-manager
  child.kill('SIGKILL');
  await eventually(async () => processesMentioning(workDir).length === 0 || undefined, 10_000);
  await eventually(async () => !fs.existsSync(workDir) || undefined, 10_000);
});
