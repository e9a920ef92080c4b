import { BUILTIN_KINDS } from 'cdk8s-kubesphere-federation/lib/contract/kinds';
import { FakeClient } from './fixtures';
import { TimeoutError } from '../src/errors';
import { BatchWaiter, clusterReadiness, conditionOf, crdReadiness, readinessFor, rolloutReadiness } from '../src/waits';

const cond = (type: string, status: string, extra: any = {}) => ({ type, status, ...extra });

describe('readiness', () => {
  test('CRD: Established', () => {
    expect(crdReadiness({ status: { conditions: [cond('NamesAccepted', 'True')] } }).ready).toBe(false);
    expect(crdReadiness({ status: { conditions: [cond('Established', 'True')] } }).ready).toBe(true);
    expect(crdReadiness({ status: { conditions: [cond('NamesAccepted', 'False', { message: 'plural taken' })] } }).failed).toMatch(/plural taken/);
  });

  test('Deployment: observedGeneration, then updated and available replicas', () => {
    const d = (status: any, replicas = 2, generation = 3) => ({ kind: 'Deployment', metadata: { generation }, spec: { replicas }, status });
    expect(rolloutReadiness(d({ observedGeneration: 2, updatedReplicas: 2, availableReplicas: 2, replicas: 2 })).message).toMatch(/observe generation 3/);
    expect(rolloutReadiness(d({ observedGeneration: 3, updatedReplicas: 1, availableReplicas: 2, replicas: 3 })).ready).toBe(false);
    expect(rolloutReadiness(d({ observedGeneration: 3, updatedReplicas: 2, availableReplicas: 2, replicas: 2 })).ready).toBe(true);
    expect(rolloutReadiness(d({ observedGeneration: 3, updatedReplicas: 0, availableReplicas: 0, replicas: 0 }, 0)).ready).toBe(true);
    expect(rolloutReadiness({ kind: 'Deployment', metadata: { generation: 1 }, spec: {}, status: { observedGeneration: 1, updatedReplicas: 1, availableReplicas: 1 } }).ready).toBe(true);
    expect(rolloutReadiness(d({ observedGeneration: 3, conditions: [cond('Progressing', 'False', { reason: 'ProgressDeadlineExceeded', message: 'stuck' })] })).failed).toMatch(/stuck/);
  });

  test('StatefulSet uses readyReplicas; DaemonSet its scheduled numbers', () => {
    expect(rolloutReadiness({ kind: 'StatefulSet', metadata: { generation: 1 }, spec: { replicas: 1 }, status: { observedGeneration: 1, updatedReplicas: 1, readyReplicas: 1 } }).ready).toBe(true);
    expect(rolloutReadiness({ kind: 'DaemonSet', metadata: { generation: 1 }, status: { observedGeneration: 1, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 2 } }).ready).toBe(false);
  });

  test('Cluster: Ready, plus AgentAvailable for agent members', () => {
    expect(clusterReadiness(undefined).ready).toBe(false);
    expect(clusterReadiness({ spec: { connection: { type: 'direct' } }, status: { conditions: [cond('Ready', 'True')] } }).ready).toBe(true);
    const proxy = { spec: { connection: { type: 'proxy' } }, status: { conditions: [cond('Ready', 'True')] } };
    expect(clusterReadiness(proxy)).toMatchObject({ ready: false, message: 'waiting for condition AgentAvailable' });
    proxy.status.conditions.push(cond('AgentAvailable', 'False', { message: 'agent presented a token that does not match' }));
    expect(clusterReadiness(proxy).message).toBe('waiting for condition AgentAvailable (AgentAvailable=False: agent presented a token that does not match)');
    proxy.status.conditions[1] = cond('AgentAvailable', 'True');
    expect(clusterReadiness(proxy).ready).toBe(true);
  });

  test('Cluster: a failed join (Federated False, the error as its reason) is quoted while waiting for Ready', () => {
    const direct = { spec: { connection: { type: 'direct' } }, status: { conditions: [cond('Federated', 'False', { reason: 'dial tcp 10.0.0.5:6443: i/o timeout', message: 'Cluster can not join federation control plane' })] } };
    expect(clusterReadiness(direct).message).toBe('waiting for condition Ready (Federated=False: dial tcp 10.0.0.5:6443: i/o timeout: Cluster can not join federation control plane)');
  });

  test('which objects are waited for', () => {
    expect(readinessFor({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' })).toBe(crdReadiness);
    expect(readinessFor({ apiVersion: 'apps/v1', kind: 'Deployment' })).toBe(rolloutReadiness);
    expect(readinessFor({ apiVersion: 'v1', kind: 'ConfigMap' })).toBeUndefined();
    expect(conditionOf({}, 'Ready')).toBeUndefined();
  });

  test('the table of kinds says which built-in kinds are waited for; federation.json\'s waitFor says it for the others', () => {
    for (const k of BUILTIN_KINDS) {
      const check = readinessFor({ apiVersion: `${k.group ? `${k.group}/` : ''}${k.version}`, kind: k.kind });
      expect([k.kind, check]).toEqual([k.kind, k.readiness === 'rollout' ? rolloutReadiness : k.readiness === 'established' ? crdReadiness : undefined]);
    }
    expect(readinessFor({ apiVersion: 'apps/v1', kind: 'DaemonSet' })).toBe(rolloutReadiness);
    expect(readinessFor({ apiVersion: 'example.com/v1', kind: 'Deployment' })).toBeUndefined();
    expect(readinessFor({ apiVersion: 'example.com/v1', kind: 'Thing', waitFor: 'rollout' })).toBe(rolloutReadiness);
  });
});

describe('BatchWaiter, one object', () => {
  const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'a', name: 'web' };
  const clock = () => {
    const c = { t: 0, now: () => c.t, sleep: async (ms: number) => { c.t += ms; } };
    return c;
  };

  test('polls until ready and reports state changes', async () => {
    const client = new FakeClient();
    let polls = 0;
    client.failWith = () => {
      if (++polls === 3) client.put({ ...ref, metadata: { name: 'web', namespace: 'a', generation: 1 }, spec: { replicas: 1 }, status: { observedGeneration: 1, updatedReplicas: 1, availableReplicas: 1 } });
      return undefined;
    };
    const seen: string[] = [];
    const r = await new BatchWaiter(client, { pollIntervalMs: 100, clock: clock() }).wait(ref, rolloutReadiness, 1_000, undefined, m => seen.push(m));
    expect(r.ready).toBe(true);
    expect(polls).toBe(3);
    expect(seen).toEqual(['0/1 available, 0/1 updated']);
  });

  test('an object already ready in its apply answer is not polled', async () => {
    const client = new FakeClient();
    let polls = 0;
    client.failWith = () => {
      polls++;
      return undefined;
    };
    const answer = { ...ref, metadata: { name: 'web', namespace: 'a', generation: 1 }, spec: { replicas: 1 }, status: { observedGeneration: 1, updatedReplicas: 1, availableReplicas: 1 } };
    expect((await new BatchWaiter(client, { pollIntervalMs: 100, clock: clock() }).wait(ref, rolloutReadiness, 1_000, answer)).ready).toBe(true);
    expect(polls).toBe(0);
  });

  test('times out naming what it waited for', async () => {
    const client = new FakeClient();
    client.put({ ...ref, metadata: { name: 'web', namespace: 'a', generation: 1 }, spec: { replicas: 2 }, status: { observedGeneration: 1, updatedReplicas: 2, availableReplicas: 1 } });
    const waiter = new BatchWaiter(client, { pollIntervalMs: 100, clock: clock() });
    await expect(waiter.wait(ref, rolloutReadiness, 1_000)).rejects.toThrow(TimeoutError);
    await expect(waiter.wait(ref, rolloutReadiness, 1_000)).rejects.toThrow(/1\/2 available/);
  });

  test('the run deadline ends a wait early; a kind not served yet is waited for', async () => {
    const client = new FakeClient();
    client.unserved.add('apps/v1/Deployment');
    const c = clock();
    await expect(new BatchWaiter(client, { pollIntervalMs: 100, clock: c, deadline: 500 }).wait(ref, rolloutReadiness, 60_000)).rejects.toThrow(/not served yet/);
    expect(c.t).toBeLessThanOrEqual(500);
  });

  test('a failed state ends the wait at once', async () => {
    const client = new FakeClient();
    client.put({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'x' }, status: { conditions: [cond('NamesAccepted', 'False', { message: 'conflict' })] } });
    await expect(new BatchWaiter(client, { pollIntervalMs: 10, clock: clock() }).wait({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'x' }, crdReadiness, 1000))
      .rejects.toThrow(/names not accepted: conflict/);
  });
});

