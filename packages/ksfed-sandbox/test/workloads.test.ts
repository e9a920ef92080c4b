import { apply, clientFor, deployment, eventually } from './helpers';
import { Sandbox } from '../src';
import { readyStatus } from '../src/workloads';

describe('workload readiness', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await Sandbox.start({ clusters: ['c'], kubesphere: false, rolloutDelayMs: 60 });
  });
  afterAll(async () => {
    await sandbox.stop();
  });
  const get = (kind: string, name: string, apiVersion = 'apps/v1') => sandbox.cluster('c').get(apiVersion, kind, name, 'default');

  test('a Deployment becomes available after the delay, written on /status by kube-controller-manager', async () => {
    await apply(clientFor(sandbox, 'c'), deployment('web', 'default', { replicas: 3 }));
    // (created with an empty status, as the real API server answers it)
    expect(get('Deployment', 'web').status).toEqual({});
    const live = await eventually(() => get('Deployment', 'web').status?.observedGeneration === 1 && get('Deployment', 'web'));
    expect(live.status).toMatchObject({ replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
    expect(live.status.conditions.map((c: any) => `${c.type}=${c.status}`)).toEqual(['Available=True', 'Progressing=True']);
    expect(live.metadata.managedFields.find((e: any) => e.manager === 'kube-controller-manager')).toMatchObject({ operation: 'Update', subresource: 'status' });
  });

  test('a spec change makes the status stale until the delay passes again', async () => {
    await apply(clientFor(sandbox, 'c'), deployment('web', 'default', { replicas: 3, image: 'nginx:2' }));
    const stale = get('Deployment', 'web');
    expect(stale.metadata.generation).toBe(2);
    expect(stale.status.observedGeneration).toBe(1);
    await eventually(() => get('Deployment', 'web').status.observedGeneration === 2);
  });

  test('StatefulSet, ReplicaSet, DaemonSet and Job get their own ready status', async () => {
    const tpl = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'x', image: 'x' }] } };
    const c = clientFor(sandbox, 'c');
    await apply(c, { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'sts', namespace: 'default' }, spec: { replicas: 2, serviceName: 'sts', selector: { matchLabels: { app: 'x' } }, template: tpl } });
    await apply(c, { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'x' } }, template: tpl } });
    await apply(c, { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'ds', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'x' } }, template: tpl } });
    await apply(c, { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'job', namespace: 'default' }, spec: { completions: 2, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'x', image: 'x' }] } } } });
    await eventually(() => get('Job', 'job', 'batch/v1').status?.succeeded === 2);
    expect(get('StatefulSet', 'sts').status).toMatchObject({ observedGeneration: 1, replicas: 2, readyReplicas: 2, availableReplicas: 2 });
    expect(get('ReplicaSet', 'rs').status).toMatchObject({ replicas: 1, availableReplicas: 1 });
    expect(get('DaemonSet', 'ds').status).toMatchObject({ desiredNumberScheduled: 1, numberAvailable: 1, updatedNumberScheduled: 1 });
    expect(get('Job', 'job', 'batch/v1').status.conditions[0]).toMatchObject({ type: 'Complete', status: 'True' });
  });

  test('readyStatus leaves zero counters out for zero replicas', () => {
    expect(readyStatus('Deployment', { metadata: { name: 'z', generation: 4 }, spec: { replicas: 0 } })).toMatchObject({ observedGeneration: 4 });
    expect(readyStatus('Deployment', { metadata: { name: 'z', generation: 4 }, spec: { replicas: 0 } }).availableReplicas).toBeUndefined();
  });
});

describe('readiness: false (a cluster without nodes or load balancer, like the real fleet of the e2e tests)', () => {
  test('workloads keep their empty status and LoadBalancer Services get no address', async () => {
    const sandbox = await Sandbox.start({ clusters: ['c'], kubesphere: false, rolloutDelayMs: 1, readiness: false });
    try {
      const c = clientFor(sandbox, 'c');
      await apply(c, deployment('web'));
      await apply(c, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'lb', namespace: 'default' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } });
      await new Promise((r) => setTimeout(r, 50));
      expect(sandbox.cluster('c').get('apps/v1', 'Deployment', 'web', 'default').status).toEqual({});
      expect(sandbox.cluster('c').get('v1', 'Service', 'lb', 'default').status).toEqual({ loadBalancer: {} });
    } finally {
      await sandbox.stop();
    }
  });
});
