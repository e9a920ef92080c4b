// The dependency-driven apply order: only real dependencies gate work (design: apply order of federation.json
// is the fallback), and the batched readiness waits.
import { FakeClient, FAST, startFleet, synth } from './fixtures';
import { apply } from '../src/apply';
import { FederationObject, loadFederation } from '../src/federation';
import { PriorityLimiter } from '../src/limiter';
import { objectDependencies, objectPriorities } from '../src/ordering';
import { ApplyEvent } from '../src/report';
import { BatchWaiter, crdReadiness, rolloutReadiness } from '../src/waits';

const DIST = synth();
const host = loadFederation(DIST).clusters.find(c => c.name === 'host')!;
const deps = objectDependencies(host.objects);
const on = (o: FederationObject) => (deps.get(o) ?? []).map(d => `${d.on.kind}/${d.on.name}`);
const find = (kind: string, name: string) => host.objects.find(o => o.kind === kind && o.name === name)!;

describe('object dependencies', () => {
  test('CRDs, RBAC and cluster-scoped objects wait for nothing', () => {
    for (const o of host.objects.filter(x => ['CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'Namespace'].includes(x.kind))) {
      expect(on(o)).toEqual([]);
    }
  });

  test('every namespaced object waits for its Namespace when the folder holds it', () => {
    const namespaces = new Set(host.objects.filter(o => o.kind === 'Namespace').map(o => o.name));
    for (const o of host.objects.filter(x => x.namespace && namespaces.has(x.namespace))) expect(on(o)).toContain(`Namespace/${o.namespace}`);
  });

  test('a custom resource waits for its own CRD, not for the others', () => {
    const config = find('KubeFedConfig', 'kubefed');
    expect(on(config)).toContain('CustomResourceDefinition/kubefedconfigs.core.kubefed.io');
    expect(on(config).filter(d => d.startsWith('CustomResourceDefinition/'))).toHaveLength(1);
  });

  test('webhook configurations wait for the Service and workload they call; what they intercept waits for them', () => {
    const validations = find('ValidatingWebhookConfiguration', 'validations.core.kubefed.io');
    expect(on(validations)).toEqual(expect.arrayContaining(['Service/kubefed-admission-webhook', 'Deployment/kubefed-admission-webhook']));
    expect(on(validations)).not.toContain('Deployment/tower');
    const typeConfig = host.objects.find(o => o.kind === 'FederatedTypeConfig')!;
    expect(on(typeConfig)).toContain('ValidatingWebhookConfiguration/validations.core.kubefed.io');
    expect(on(typeConfig)).toContain('CustomResourceDefinition/federatedtypeconfigs.core.kubefed.io');
  });

  test('workloads wait for the ServiceAccount their pods run as', () => {
    expect(on(find('Deployment', 'kubefed-admission-webhook'))).toContain('ServiceAccount/kubefed-admission-webhook');
  });

  test('phases it does not know fall back to the phase order of federation.json', () => {
    const a = { ...host.objects[0], phase: 'first' };
    const b = { ...host.objects[1], phase: 'second' };
    const fallback = objectDependencies([a, b], ['first', 'second']);
    expect(fallback.get(b)!.map(d => d.on)).toEqual([a]);
    expect(fallback.get(a)).toEqual([]);
  });

  test('what gates the most work comes first', () => {
    const priority = objectPriorities(host.objects, deps, o => o.kind === 'Deployment' || o.kind === 'CustomResourceDefinition');
    expect(priority.get(find('Namespace', 'kube-federation-system'))!).toBeGreaterThan(priority.get(find('ClusterRole', 'kubefed-role'))!);
    // a readiness check is a step of the run even when nothing in the folder waits for it
    expect(priority.get(find('Deployment', 'tower'))!).toBeGreaterThan(priority.get(find('ClusterRole', 'kubefed-role'))!);
  });
});

describe('priority limiter', () => {
  test('never more than its size at once; waiting holders of higher priority go first', async () => {
    const limiter = new PriorityLimiter(2);
    const order: number[] = [];
    let active = 0;
    let most = 0;
    const task = (p: number) => limiter.run(p, async () => {
      active++;
      most = Math.max(most, active);
      order.push(p);
      await new Promise(r => setTimeout(r, 5));
      active--;
    });
    await Promise.all([1, 2, 3, 9, 4].map(task));
    expect(most).toBe(2);
    expect(order.slice(0, 2)).toEqual([9, 4]);
  });
});

describe('batch waiter', () => {
  const crd = (name: string, established: boolean) => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name },
    status: { conditions: established ? [{ type: 'Established', status: 'True' }] : [] },
  });

  test('an object whose apply answer is ready already costs no request', async () => {
    const client = new FakeClient();
    const waiter = new BatchWaiter(client, { pollIntervalMs: 5 });
    await waiter.wait({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'a' }, crdReadiness, 1000, crd('a', true));
    expect(client.calls).toEqual([]);
  });

  test('many objects of one kind are read with one LIST per poll', async () => {
    const client = new FakeClient();
    for (const n of ['a', 'b', 'c']) client.put(crd(n, false));
    const waiter = new BatchWaiter(client, { pollIntervalMs: 5 });
    const waits = ['a', 'b', 'c'].map(n => waiter.wait({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: n }, crdReadiness, 2000, crd(n, false)));
    setTimeout(() => ['a', 'b', 'c'].forEach(n => client.put(crd(n, true))), 30);
    await Promise.all(waits);
    expect(client.calls.every(c => c === 'list CustomResourceDefinition *')).toBe(true);
    expect(client.calls.length).toBeLessThan(10);
  });

  test('times out with the last state', async () => {
    const client = new FakeClient();
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'n', generation: 1 }, spec: { replicas: 1 }, status: { observedGeneration: 1 } };
    client.put(deployment);
    const waiter = new BatchWaiter(client, { pollIntervalMs: 5 });
    await expect(waiter.wait({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'n', name: 'd' }, rolloutReadiness, 50, deployment))
      .rejects.toThrow(/^timed out after .*: 0\/1 available/);
  });
});

describe('against the sandbox', () => {
  test('no object is sent before its Namespace exists or before its CRD is established, and the report is in file order', async () => {
    const fleet = await startFleet();
    try {
      const events: ApplyEvent[] = [];
      const report = await apply(DIST, { ...FAST, kubeconfig: fleet.kubeconfig, output: e => events.push(e) });
      expect(report.success).toBe(true);
      // A custom resource sent before its CRD is established, or an object sent into a namespace that does
      // not exist yet, is answered 404: no apply got one.
      const notFound = fleet.sandbox.clusters.flatMap(c => c.requests.filter(r => r.method === 'PATCH' && r.status === 404).map(r => `${c.name} ${r.path}`));
      expect(notFound).toEqual([]);
      // and each one's apply is reported after its dependencies'
      const applied = events.filter((e): e is Extract<ApplyEvent, { type: 'object' }> => e.type === 'object' && e.cluster === 'host').map(e => `${e.result.kind}/${e.result.name}`);
      for (const o of host.objects) {
        for (const d of deps.get(o) ?? []) expect(applied.indexOf(`${d.on.kind}/${d.on.name}`)).toBeLessThan(applied.indexOf(`${o.kind}/${o.name}`));
      }
      const hostReport = report.clusters.find(c => c.name === 'host')!;
      expect(hostReport.objects.map(o => o.file)).toEqual(host.objects.map(o => o.file));
    } finally {
      await fleet.stop();
    }
  });

  test('readiness nothing waits for is followed by kind once the last object of the kind is applied, while the rest still goes out', async () => {
    // GIVEN workloads that become available at once, and the host's Deployments nothing in its folder waits for
    const fleet = await startFleet({ rolloutDelayMs: 0 });
    const gating = new Set([...deps.values()].flatMap(list => list.map(d => d.on)));
    const later = host.objects.filter(o => o.kind === 'Deployment' && !gating.has(o)).map(o => o.name);
    expect(later.length).toBeGreaterThan(1);
    try {
      // WHEN
      expect((await apply(DIST, { ...FAST, kubeconfig: fleet.kubeconfig, perClusterConcurrency: 2 })).success).toBe(true);
      // THEN they are followed with one watch of the kind (the one of the webhook's Deployment, which the webhook
      // configurations wait for, or one of their own), never object by object; none starts between the first and the
      // last of them applied, and the last object of the folder goes out after
      const requests = fleet.sandbox.cluster('host').requests;
      const patches = requests.map((r, i) => [r, i] as const).filter(([r]) => r.method === 'PATCH');
      const ofLater = patches.filter(([r]) => later.some(n => r.path.endsWith(`/deployments/${n}`))).map(([, i]) => i);
      const reads = requests.map((r, i) => [r, i] as const).filter(([r]) => r.method === 'GET' && r.path === '/apis/apps/v1/deployments');
      expect(reads.length).toBeGreaterThan(0);
      expect(reads.length).toBeLessThanOrEqual(2);
      expect(reads.every(([r]) => r.query.watch === 'true')).toBe(true);
      expect(reads.filter(([, i]) => i > Math.min(...ofLater) && i < Math.max(...ofLater))).toEqual([]);
      expect(reads[reads.length - 1][1]).toBeLessThan(patches[patches.length - 1][1]);
      expect(requests.filter(r => r.method === 'GET' && later.some(n => r.path.endsWith(`/deployments/${n}`)))).toEqual([]);
    } finally {
      await fleet.stop();
    }
  });
});
