import { ClusterBoard, UpstreamError } from '../src/cross-cluster';
import { FederationCluster, FederationObject } from '../src/federation';
import { ObjectRef } from '../src/kube-client';

const TOWER: ObjectRef = { apiVersion: 'v1', kind: 'Service', namespace: 'kubesphere-system', name: 'tower' };
const EDGE: ObjectRef = { apiVersion: 'cluster.kubesphere.io/v1alpha1', kind: 'Cluster', name: 'edge-1' };
const AGENT: ObjectRef = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'kubesphere-system', name: 'cluster-agent' };

function object(clusterName: string, ref: ObjectRef): FederationObject {
  return {
    cluster: clusterName,
    file: `${ref.kind}.${ref.name}.yaml`,
    phase: 'workloads',
    ...ref,
    constructPath: `${clusterName}/${ref.name}`,
    manifest: { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } },
    placeholders: [],
  };
}

function cluster(name: string, refs: ObjectRef[]): FederationCluster {
  return {
    name,
    role: name === 'host' ? 'host' : 'member',
    folder: name,
    context: name,
    dependsOn: [],
    labels: {},
    constructPath: name,
    phases: [],
    objects: refs.map(r => object(name, r)),
  };
}

/** host applies the tower Service and edge-1's Cluster object; edge-1 applies its agent. */
function board(): ClusterBoard {
  return new ClusterBoard([cluster('host', [TOWER, EDGE]), cluster('edge-1', [AGENT])]);
}

/** Whether a promise has settled, once pending callbacks have run. */
async function state(p: Promise<unknown>): Promise<'pending' | 'resolved' | 'rejected'> {
  let s: 'pending' | 'resolved' | 'rejected' = 'pending';
  p.then(() => { s = 'resolved'; }, () => { s = 'rejected'; });
  await new Promise(r => setImmediate(r));
  return s;
}

/** The UpstreamError `applied` rejects with. */
async function upstream(p: Promise<void>): Promise<UpstreamError> {
  const err = await p.then(() => undefined, e => e);
  expect(err).toBeInstanceOf(UpstreamError);
  return err as UpstreamError;
}

describe('holds', () => {
  test('holds exactly the objects of each cluster\'s folder, whatever their version', () => {
    const b = board();
    expect(b.holds('host', TOWER)).toBe(true);
    expect(b.holds('host', EDGE)).toBe(true);
    expect(b.holds('host', { ...EDGE, apiVersion: 'cluster.kubesphere.io/v1beta1' })).toBe(true);
    expect(b.holds('host', AGENT)).toBe(false);
    expect(b.holds('edge-1', TOWER)).toBe(false);
    expect(b.holds('host', { ...TOWER, namespace: 'default' })).toBe(false);
    expect(b.holds('branch-7', TOWER)).toBe(false);
  });
});

describe('applied', () => {
  test('resolves at once for an object the run does not apply, or a cluster not in the run', async () => {
    const b = board();
    expect(await state(b.applied('host', AGENT, 'Deployment kubesphere-system/cluster-agent'))).toBe('resolved');
    expect(await state(b.applied('branch-7', TOWER, 'Service kubesphere-system/tower'))).toBe('resolved');
  });

  test('waits until the object is settled as applied, then resolves', async () => {
    // GIVEN a member waiting for the host's tower Service
    const b = board();
    const waiting = b.applied('host', TOWER, 'Service kubesphere-system/tower');
    expect(await state(waiting)).toBe('pending');
    // WHEN another object of the host is applied, it still waits
    b.settle('host', EDGE, true);
    expect(await state(waiting)).toBe('pending');
    // WHEN the Service is applied
    b.settle('host', TOWER, true);
    // THEN
    expect(await state(waiting)).toBe('resolved');
    // and later callers resolve at once, even after the run ended unsuccessfully
    b.end('host', 'failed');
    expect(await state(b.applied('host', TOWER, 'Service kubesphere-system/tower'))).toBe('resolved');
  });

  test('rejects naming the object and how the run ended when it ended unsuccessfully without it', async () => {
    // GIVEN a waiter registered before the end
    const b = board();
    const waiting = b.applied('host', TOWER, 'Service kubesphere-system/tower');
    // WHEN the host's run times out
    b.end('host', 'timed-out');
    // THEN
    const err = await upstream(waiting);
    expect(err.message).toBe('Service kubesphere-system/tower was not applied: the run of host ended timed-out');
    expect(err.cluster).toBe('host');
    expect(err.status).toBe('timed-out');
    // and a caller after the end gets the same answer
    const late = await upstream(b.applied('host', EDGE, 'Cluster edge-1'));
    expect(late.message).toBe('Cluster edge-1 was not applied: the run of host ended timed-out');
  });

  test('rejects with "did not apply it" when the run succeeded without the object', async () => {
    const b = board();
    b.settle('host', EDGE, true);
    b.end('host', 'succeeded');
    const err = await upstream(b.applied('host', TOWER, 'Service kubesphere-system/tower'));
    expect(err.message).toBe('Service kubesphere-system/tower was not applied: the run of host did not apply it');
    expect(err.status).toBe('succeeded');
    await expect(b.applied('host', EDGE, 'Cluster edge-1')).resolves.toBeUndefined();
  });

  test('rejects as soon as the apply of the object failed, before the run ends', async () => {
    const b = board();
    const waiting = b.applied('host', TOWER, 'Service kubesphere-system/tower');
    b.settle('host', TOWER, false);
    expect(b.status('host')).toBeUndefined();
    const err = await upstream(waiting);
    // (the run has not ended yet: the message says the apply failed, the status counts as failed)
    expect(err.message).toBe('Service kubesphere-system/tower was not applied: its apply on host failed');
    expect(err.status).toBe('failed');
  });
});

describe('settle', () => {
  test('the first outcome counts', async () => {
    const b = board();
    b.settle('host', TOWER, false);
    b.settle('host', TOWER, true);
    await upstream(b.applied('host', TOWER, 'Service kubesphere-system/tower'));
    b.settle('host', EDGE, true);
    b.settle('host', EDGE, false);
    await expect(b.applied('host', EDGE, 'Cluster edge-1')).resolves.toBeUndefined();
  });

  test('ignores objects and clusters the run does not apply', async () => {
    const b = board();
    expect(() => b.settle('host', AGENT, false)).not.toThrow();
    expect(() => b.settle('branch-7', TOWER, false)).not.toThrow();
    await expect(b.applied('host', AGENT, 'Deployment kubesphere-system/cluster-agent')).resolves.toBeUndefined();
  });
});

describe('end', () => {
  test('settles the unsettled objects of that cluster only as not applied, and keeps those applied', async () => {
    // GIVEN the host applied its Cluster object, not yet its Service
    const b = board();
    b.settle('host', EDGE, true);
    const agent = b.applied('edge-1', AGENT, 'Deployment kubesphere-system/cluster-agent');
    // WHEN the host's run is aborted
    b.end('host', 'aborted');
    // THEN the Service will not come, the Cluster object stays applied, edge-1 is still running
    expect((await upstream(b.applied('host', TOWER, 'Service kubesphere-system/tower'))).status).toBe('aborted');
    await expect(b.applied('host', EDGE, 'Cluster edge-1')).resolves.toBeUndefined();
    expect(await state(agent)).toBe('pending');
    // an outcome after the end does not change anything
    b.settle('host', TOWER, true);
    await upstream(b.applied('host', TOWER, 'Service kubesphere-system/tower'));
  });

  test('status: how a run ended, undefined while it runs or when it is not in the run', () => {
    const b = board();
    expect(b.status('host')).toBeUndefined();
    b.end('host', 'succeeded');
    b.end('edge-1', 'skipped');
    expect(b.status('host')).toBe('succeeded');
    expect(b.status('edge-1')).toBe('skipped');
    expect(b.status('branch-7')).toBeUndefined();
  });
});

describe('UpstreamError', () => {
  test('carries the cluster and its status, and names itself', () => {
    const err = new UpstreamError('host', 'failed', 'it did not come');
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('UpstreamError');
    expect(err.message).toBe('it did not come');
    expect(err.cluster).toBe('host');
    expect(err.status).toBe('failed');
  });
});
