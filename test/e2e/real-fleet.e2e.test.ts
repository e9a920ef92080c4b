import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { federatedTypeConfigs, kubeFedConfig } from 'cdk8s-kubesphere-federation/lib/crds';
import { kubesphereInstallation } from 'ksfed-sandbox/lib/kubesphere';
import { KUBEFED_AVAILABLE_DELAY, RealFleet, realBinariesAvailable } from 'ksfed-sandbox/lib/real-fleet';
import { applyObject, getObject } from 'ksfed-sandbox/lib/real-fleet/objects';

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

describe('RealFleet with KubeSphere (default) and KubeFed: 2 clusters', () => {
  let fleet: RealFleet;
  const kfcPath = (name: string) => `/apis/core.kubefed.io/v1beta1/namespaces/kube-federation-system/kubefedclusters/${name}`;
  beforeAll(async () => {
    fleet = await RealFleet.start({ clusters: ['host', 'member-1'], kubefed: true });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  test('every cluster has what ks-installer leaves: the project\'s KubeSphere CRDs established, namespaces, kubesphere-secret', async () => {
    const installation = kubesphereInstallation();
    for (const cluster of fleet.clusters) {
      const ep = fleet.endpoint(cluster);
      for (const crd of installation.crds) {
        const got = await getObject(ep, `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`);
        expect(got.status.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'Established', status: 'True' })]));
        expect(got.metadata.managedFields.map((f: any) => f.manager)).toContain('ks-installer');
      }
      for (const ns of ['kubesphere-system', 'kubesphere-controls-system']) {
        expect((await getObject(ep, `/api/v1/namespaces/${ns}`)).metadata.labels['kubesphere.io/workspace']).toBe('system-workspace');
      }
      const secret = await getObject(ep, '/api/v1/namespaces/kubesphere-system/secrets/kubesphere-secret');
      expect(Buffer.from(secret.data.secret, 'base64').toString().length).toBeGreaterThanOrEqual(32);
    }
    // A ClusterConfiguration is accepted (the CRD is served), as the program's first object on each cluster.
    await applyObject(fleet.endpoint('member-1'), {
      apiVersion: 'installer.kubesphere.io/v1alpha1',
      kind: 'ClusterConfiguration',
      metadata: { name: 'ks-installer', namespace: 'kubesphere-system' },
      spec: { multicluster: { clusterRole: 'member' } },
    }, 'e2e');
  });

  test('KubeFed runs on the host from the project\'s definitions, every cluster joined with its own service-account token', async () => {
    const host = fleet.endpoint('host');
    const config = await getObject(host, '/apis/core.kubefed.io/v1beta1/namespaces/kube-federation-system/kubefedconfigs/kubefed');
    expect(config.spec).toEqual(kubeFedConfig(undefined, KUBEFED_AVAILABLE_DELAY).spec);
    const ftcs = await getObject(host, '/apis/core.kubefed.io/v1beta1/namespaces/kube-federation-system/federatedtypeconfigs');
    expect(ftcs.items.map((f: any) => f.metadata.name).sort()).toEqual(federatedTypeConfigs().map((f) => f.metadata.name).sort());
    for (const name of fleet.clusters) {
      const kfc = await getObject(host, kfcPath(name));
      expect(kfc.spec.apiEndpoint).toBe(fleet.server(name));
      expect(Buffer.from(kfc.spec.caBundle, 'base64').toString()).toBe(fleet.caPem(name));
      expect(kfc.status.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'Ready', status: 'True' })]));
      const secret = await getObject(host, `/api/v1/namespaces/kube-federation-system/secrets/${kfc.spec.secretRef.name}`);
      const token = Buffer.from(secret.data.token, 'base64').toString();
      expect(token).not.toBe(fleet.token);
      expect(token.split('.')).toHaveLength(3); // a service-account JWT of the member
    }
    expect((await getObject(host, kfcPath('host'))).metadata.labels).toEqual({ 'cluster-role.kubesphere.io/host': '', 'kubesphere.io/managed': 'true' });
  });

  test('a FederatedConfigMap placed on the member shows up there (and not on the host)', async () => {
    const host = fleet.endpoint('host');
    await applyObject(host, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fed-e2e' } }, 'e2e');
    await applyObject(host, {
      apiVersion: 'types.kubefed.io/v1beta1',
      kind: 'FederatedNamespace',
      metadata: { name: 'fed-e2e', namespace: 'fed-e2e' },
      spec: { placement: { clusters: [{ name: 'host' }, { name: 'member-1' }] } },
    }, 'e2e');
    await applyObject(host, {
      apiVersion: 'types.kubefed.io/v1beta1',
      kind: 'FederatedConfigMap',
      metadata: { name: 'fed-cm', namespace: 'fed-e2e' },
      spec: { placement: { clusters: [{ name: 'member-1' }] }, template: { data: { propagated: 'yes' } } },
    }, 'e2e');
    const cm = await eventually(() => getObject(fleet.endpoint('member-1'), '/api/v1/namespaces/fed-e2e/configmaps/fed-cm'));
    expect(cm.data).toEqual({ propagated: 'yes' });
    expect(cm.metadata.labels['kubefed.io/managed']).toBe('true');
    expect(await getObject(host, '/api/v1/namespaces/fed-e2e/configmaps/fed-cm')).toBeUndefined();
  });

  test('syncKubeFedClusterLabels copies the host Cluster\'s labels, so a clusterSelector placement reaches the member', async () => {
    const host = fleet.endpoint('host');
    await applyObject(host, {
      apiVersion: 'cluster.kubesphere.io/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'member-1', labels: { region: 'eu' } },
      spec: { joinFederation: true, connection: { type: 'direct' } },
    }, 'e2e');
    expect(await fleet.syncKubeFedClusterLabels()).toEqual(['member-1']);
    expect((await getObject(host, kfcPath('member-1'))).metadata.labels).toEqual({ region: 'eu' });
    expect(await fleet.syncKubeFedClusterLabels()).toEqual([]);
    await applyObject(host, {
      apiVersion: 'types.kubefed.io/v1beta1',
      kind: 'FederatedConfigMap',
      metadata: { name: 'by-label', namespace: 'fed-e2e' },
      spec: { placement: { clusterSelector: { matchLabels: { region: 'eu' } } }, template: { data: { via: 'selector' } } },
    }, 'e2e');
    const cm = await eventually(() => getObject(fleet.endpoint('member-1'), '/api/v1/namespaces/fed-e2e/configmaps/by-label'));
    expect(cm.data).toEqual({ via: 'selector' });
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
    require('ts-node').register({ transpileOnly: true, project: ${JSON.stringify(path.join(__dirname, 'tsconfig.json'))} });
    const { RealFleet } = require(${JSON.stringify(path.resolve(__dirname, '../../packages/ksfed-sandbox/src/real-fleet'))});
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
