import { BUILTIN_KINDS } from 'cdk8s-kubesphere-federation/lib/contract/kinds';
import { FakeClient, WatchingFakeClient } from './fixtures';
import { AbortedError, KubeApiError, TimeoutError } from '../src/errors';
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

describe('BatchWaiter with a client that watches', () => {
  const crd = (name: string, established: boolean, labels: any = { set: 'a' }) => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name, labels },
    status: { conditions: established ? [cond('Established', 'True')] : [cond('Established', 'False')] },
  });
  const ref = (name: string) => ({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name });
  const tick = () => new Promise(r => setTimeout(r, 5));

  test('one watch per kind follows every pending object: each change is judged as it comes, nothing is polled', async () => {
    const client = new WatchingFakeClient();
    for (const n of ['a', 'b']) client.put(crd(n, false));
    client.put(crd('elsewhere', false, { set: 'other' }));
    const waiter = new BatchWaiter(client, { pollIntervalMs: 1_000, labelSelector: 'set=a' });
    const seen: string[] = [];
    const done: string[] = [];
    const waits = ['a', 'b'].map(n => waiter.wait(ref(n), crdReadiness, 60_000, undefined, m => seen.push(`${n}: ${m}`)).then(() => done.push(n)));
    await tick();
    client.put(crd('b', true));
    await tick();
    expect(done).toEqual(['b']);
    client.put(crd('a', true));
    await Promise.all(waits);
    expect(done).toEqual(['b', 'a']);
    expect(seen).toEqual(['a: waiting for condition Established', 'b: waiting for condition Established']);
    expect(client.calls).toEqual(['watch CustomResourceDefinition']);
  });

  test('a wait that joins a running watch is judged on the state it saw; the watch ends with the last wait', async () => {
    const client = new WatchingFakeClient();
    client.put(crd('a', false));
    client.put(crd('b', false));
    const waiter = new BatchWaiter(client, { pollIntervalMs: 1_000 });
    const first = waiter.wait(ref('a'), crdReadiness, 60_000);
    await tick();
    client.put(crd('b', true));
    await expect(waiter.wait(ref('b'), crdReadiness, 60_000)).resolves.toMatchObject({ ready: true });
    client.put(crd('a', true));
    await first;
    await tick();
    client.put(crd('c', false));
    const third = waiter.wait(ref('c'), crdReadiness, 60_000);
    await tick();
    client.put(crd('c', true));
    await third;
    // (a second watch: the first ended with its last wait)
    expect(client.calls).toEqual(['watch CustomResourceDefinition', 'watch CustomResourceDefinition']);
  });

  test('a watch the server ends is started again; one that cannot start falls back to polling', async () => {
    const client = new WatchingFakeClient();
    client.put(crd('a', false));
    const waiter = new BatchWaiter(client, { pollIntervalMs: 5 });
    const a = waiter.wait(ref('a'), crdReadiness, 60_000);
    await tick();
    await tick();
    client.end();
    await tick();
    client.put(crd('a', true));
    await a;
    expect(client.calls).toEqual(['watch CustomResourceDefinition', 'watch CustomResourceDefinition']);

    const refusing = new WatchingFakeClient();
    refusing.put(crd('x', false));
    refusing.failWith = call => (call.startsWith('list') && refusing.calls.length === 1 ? new KubeApiError(403, 'Forbidden', 'no watch for you') : undefined);
    const polled = new BatchWaiter(refusing, { pollIntervalMs: 5 }).wait(ref('x'), crdReadiness, 60_000);
    await tick();
    refusing.put(crd('x', true));
    await polled;
    expect(refusing.calls[0]).toBe('list CustomResourceDefinition *');
    expect(refusing.calls.slice(1).every(c => c === 'get CustomResourceDefinition x')).toBe(true);
  });

  test('times out with the last state it saw; an abort ends the watch and the waits', async () => {
    const client = new WatchingFakeClient();
    client.put(crd('slow', false));
    const waiter = new BatchWaiter(client, { pollIntervalMs: 10 });
    await expect(waiter.wait(ref('slow'), crdReadiness, 60)).rejects.toThrow(/^timed out after .*: waiting for condition Established$/);

    const stop = new AbortController();
    const aborting = new BatchWaiter(client, { pollIntervalMs: 1_000, signal: stop.signal });
    const w = aborting.wait(ref('slow'), crdReadiness, 60_000);
    await tick();
    stop.abort();
    await expect(w).rejects.toThrow(AbortedError);
    expect(client.calls).toEqual(['watch CustomResourceDefinition', 'watch CustomResourceDefinition']);
  });
});
