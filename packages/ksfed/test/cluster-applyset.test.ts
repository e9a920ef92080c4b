import { FakeClient } from './fixtures';
import {
  APPLYSET_GROUP_KINDS_ANNOTATION, APPLYSET_PART_OF_LABEL, APPLYSET_TOOLING_ANNOTATION, CLUSTERS_ANNOTATION, KSFED_APPLYSET_ID, parentManifest,
  stateOf,
} from '../src/applyset';
import { ApplySet, ApplySetOptions } from '../src/cluster-applyset';
import { AbortedError, KubeApiError } from '../src/errors';
import { FederationObject } from '../src/federation';
import { Redactor } from '../src/redact';
import { ObjectResult } from '../src/report';

/** A folder object (`manifest` as loaded). */
function object(kind: string, name: string, namespace?: string, extra: object = {}): FederationObject {
  const apiVersion = kind === 'Deployment' ? 'apps/v1' : 'v1';
  return {
    cluster: 'c1',
    file: `${kind}.${name}.yaml`,
    phase: 'workloads',
    apiVersion,
    kind,
    name,
    constructPath: `app/${name}`,
    placeholders: [],
    ...(namespace ? { namespace } : {}),
    manifest: { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } },
    ...extra,
  };
}

/** A live member of ksfed's ApplySet. */
function member(kind: string, name: string, namespace?: string, data: object = {}): any {
  return { apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1', kind, metadata: { name, namespace, labels: { [APPLYSET_PART_OF_LABEL]: KSFED_APPLYSET_ID } }, ...data };
}

const parentKey = 'v1/Secret/kube-system/ksfed-applyset';

function options(client: FakeClient, objects: FederationObject[], extra: Partial<ApplySetOptions> = {}): ApplySetOptions {
  return { client, cluster: 'c1', objects, redactor: new Redactor(), concurrency: 2, ...extra };
}

describe('ApplySet.read', () => {
  test('without a parent: nothing recorded, the new set is the superset, and the parent must be written', async () => {
    const client = new FakeClient('c1');
    const set = await ApplySet.read(options(client, [object('ConfigMap', 'a', 'web')]));
    expect(client.calls).toEqual(['get Secret ksfed-applyset']);
    expect(set.exists).toBe(false);
    expect(set.problem).toBeUndefined();
    expect(set.recorded.groupKinds.size).toBe(0);
    expect([...set.superset.groupKinds.keys()]).toEqual(['ConfigMap']);
    expect(set.needsWrite).toBe(true);
  });

  test('a parent the preflight read is used without a request; the superset keeps what it records', async () => {
    const client = new FakeClient('c1');
    const parent = parentManifest(stateOf([{ apiVersion: 'v1', kind: 'Secret', namespace: 'old' }]));
    const set = await ApplySet.read(options(client, [object('ConfigMap', 'a', 'web')]), { parent });
    expect(client.calls).toEqual([]);
    expect(set.exists).toBe(true);
    expect([...set.superset.groupKinds.keys()].sort()).toEqual(['ConfigMap', 'Secret']);
    expect([...set.superset.namespaces].sort()).toEqual(['kube-system', 'old', 'web']);
    expect([...set.desired.groupKinds.keys()]).toEqual(['ConfigMap']);
    expect(set.needsWrite).toBe(true);
  });

  test('the parent is written only when its record lacks part of the superset or another ksfed version wrote it', async () => {
    const objects = [object('ConfigMap', 'a', 'web')];
    const current = parentManifest(stateOf(objects));
    expect((await ApplySet.read(options(new FakeClient(), objects), { parent: current })).needsWrite).toBe(false);
    const older = parentManifest(stateOf(objects), '0.0.1-older');
    expect((await ApplySet.read(options(new FakeClient(), objects), { parent: older })).needsWrite).toBe(true);
  });

  test('another tool\'s parent is a problem, not an exception', async () => {
    const parent = { metadata: { annotations: { [APPLYSET_TOOLING_ANNOTATION]: 'kubectl/v1.29' } } };
    const set = await ApplySet.read(options(new FakeClient(), [object('ConfigMap', 'a', 'web')]), { parent });
    expect(set.problem).toMatch(/managed by "kubectl\/v1.29", not ksfed; refusing to take it over. Fix: /);
  });

  test('the host\'s parent records the federation\'s clusters, the ones recorded before included', async () => {
    const parent = parentManifest({ ...stateOf([]), clusters: ['gone', 'host'] });
    const set = await ApplySet.read(options(new FakeClient(), [object('ConfigMap', 'a', 'web')], { clusters: ['host', 'edge-1'] }), { parent });
    expect(set.superset.clusters).toEqual(['edge-1', 'gone', 'host']);
    expect((await ApplySet.read(options(new FakeClient(), [object('ConfigMap', 'a', 'web')]), { parent: undefined })).superset.clusters).toBeUndefined();
  });

  test('writeSuperset applies the parent with the superset, forced, at the given priority', async () => {
    const client = new FakeClient('c1');
    const set = await ApplySet.read(options(client, [object('ConfigMap', 'a', 'web')], { clusters: ['host'] }), { parent: undefined });
    const sent: any[] = [];
    const apply = client.apply.bind(client);
    client.apply = async (obj, o) => {
      sent.push(o);
      return apply(obj, o);
    };
    await set.writeSuperset(7);
    expect(sent).toEqual([{ force: true, priority: 7 }]);
    expect(client.objects.get(parentKey).metadata.annotations[APPLYSET_GROUP_KINDS_ANNOTATION]).toBe('ConfigMap');
    expect(client.objects.get(parentKey).metadata.annotations[CLUSTERS_ANNOTATION]).toBe('host');
  });
});

describe('ApplySet.stamp', () => {
  test('labels a copy of the labels with the ApplySet id', async () => {
    const set = await ApplySet.read(options(new FakeClient(), []), { parent: undefined });
    const labels = { app: 'a' };
    const stamped = set.stamp(object('ConfigMap', 'a', 'web'), { metadata: { labels } });
    expect(stamped.metadata.labels).toEqual({ app: 'a', [APPLYSET_PART_OF_LABEL]: KSFED_APPLYSET_ID });
    expect(labels).toEqual({ app: 'a' });
    expect(set.stamp(object('ConfigMap', 'b', 'web'), {}).metadata.labels).toEqual({ [APPLYSET_PART_OF_LABEL]: KSFED_APPLYSET_ID });
  });

  test('refuses an object the folder puts in another ApplySet, naming its file', async () => {
    const set = await ApplySet.read(options(new FakeClient(), []), { parent: undefined });
    expect(() => set.stamp(object('ConfigMap', 'a', 'web'), { metadata: { labels: { [APPLYSET_PART_OF_LABEL]: 'applyset-other-v1' } } }))
      .toThrow(/^ConfigMap.a.yaml: label applyset.kubernetes.io\/part-of is already set to another ApplySet \(applyset-other-v1\)$/);
  });
});

describe('ApplySet.snapshot', () => {
  test('lists the members of the folder\'s kinds with one LIST per kind, by the ApplySet label', async () => {
    const client = new FakeClient('c1');
    client.put(member('ConfigMap', 'a', 'web'));
    client.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'web' } });
    const objects = [object('ConfigMap', 'a', 'web'), object('ConfigMap', 'b', 'web'), object('Deployment', 'd', 'web')];
    const set = await ApplySet.read(options(client, objects), { parent: parentManifest(stateOf(objects)) });
    await set.snapshot();
    expect(client.calls.sort()).toEqual(['list ConfigMap *', 'list Deployment *']);
    expect(set.member(objects[0])?.metadata.name).toBe('a');
    expect(set.member(objects[1])).toBeUndefined();
  });

  test('lists per namespace where a cluster-wide LIST is forbidden; a kind not served has no members', async () => {
    const client = new FakeClient('c1');
    client.put(member('ConfigMap', 'a', 'web'));
    client.failWith = call => call === 'list ConfigMap *' ? new KubeApiError(403, 'Forbidden', 'configmaps is forbidden') : undefined;
    client.unserved.add('apps/v1/Deployment');
    const objects = [object('ConfigMap', 'a', 'web'), object('Deployment', 'd', 'web')];
    const set = await ApplySet.read(options(client, objects), { parent: parentManifest(stateOf(objects)) });
    await set.snapshot();
    expect(client.calls).toContain('list ConfigMap web');
    expect(set.member(objects[0])?.metadata.name).toBe('a');
  });

  test('hides what an earlier apply filled in where the folder has a placeholder', async () => {
    const client = new FakeClient('c1');
    client.put(member('ConfigMap', 'a', 'web', { data: { token: 'live-value-0123456789' } }));
    const o = object('ConfigMap', 'a', 'web', { placeholders: ['tok'] });
    o.manifest.data = { token: '{{ksfed:tok}}' };
    const redactor = new Redactor();
    const set = await ApplySet.read(options(client, [o], { redactor }), { parent: parentManifest(stateOf([o])) });
    await set.snapshot();
    expect(redactor.redact('was live-value-0123456789')).toBe('was {{ksfed:tok}}');
  });
});

describe('ApplySet.prune', () => {
  test('deletes the members the new set no longer holds, then shrinks the parent', async () => {
    // GIVEN a parent that records ConfigMaps in web and old, and a stale member in old
    const client = new FakeClient('c1');
    const keep = object('ConfigMap', 'a', 'web');
    client.put(member('ConfigMap', 'a', 'web'));
    client.put(member('ConfigMap', 'stale', 'old'));
    const recorded = parentManifest(stateOf([{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'web' }, { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'old' }]));
    client.put(recorded);
    const set = await ApplySet.read(options(client, [keep]));
    const results: ObjectResult[] = [];
    // WHEN
    const summary = await set.prune({ dryRun: false, onResult: r => results.push(r) });
    // THEN
    expect(summary).toBe('pruned 1');
    expect(results.map(r => `${r.cluster} ${r.name} ${r.result}`)).toEqual(['c1 stale pruned']);
    expect(client.objects.has('v1/ConfigMap/old/stale')).toBe(false);
    expect(client.objects.get(parentKey).metadata.annotations['applyset.kubernetes.io/additional-namespaces']).toBe('web');
  });

  test('a dry run deletes nothing and leaves the parent', async () => {
    const client = new FakeClient('c1');
    client.put(member('ConfigMap', 'stale', 'old'));
    client.put(parentManifest(stateOf([{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'old' }])));
    const set = await ApplySet.read(options(client, [object('ConfigMap', 'a', 'web')]));
    const before = client.objects.get(parentKey);
    expect(await set.prune({ dryRun: true })).toBe('would prune 1');
    expect(client.objects.has('v1/ConfigMap/old/stale')).toBe(true);
    expect(client.objects.get(parentKey)).toBe(before);
  });

  test('an abort stops it between deletions with the summary, and the parent keeps the superset', async () => {
    const client = new FakeClient('c1');
    client.put(member('ConfigMap', 's1', 'old'));
    client.put(member('ConfigMap', 's2', 'old'));
    client.put(parentManifest(stateOf([{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'old' }])));
    const set = await ApplySet.read(options(client, [object('ConfigMap', 'a', 'web')]));
    const before = client.objects.get(parentKey);
    const controller = new AbortController();
    let interrupted: string | undefined;
    const pruning = set.prune({ dryRun: false, signal: controller.signal, onResult: () => controller.abort(), onInterrupted: s => interrupted = s });
    await expect(pruning).rejects.toThrow(AbortedError);
    expect(interrupted).toBe('interrupted after 1 of 2; run again to finish');
    expect(client.objects.get(parentKey)).toBe(before);
  });

  test('a group-kind whose apiVersion the parent does not record is named, and the parent is not shrunk', async () => {
    const client = new FakeClient('c1');
    const parent = parentManifest(stateOf([{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'old' }]));
    parent.metadata.annotations[APPLYSET_GROUP_KINDS_ANNOTATION] = 'ConfigMap,Widget.example.io';
    client.put(parent);
    const set = await ApplySet.read(options(client, [object('ConfigMap', 'a', 'web')]));
    const notes: string[] = [];
    expect(await set.prune({ dryRun: false, onNote: n => notes.push(n) })).toBe('pruned 0');
    expect(notes).toEqual(['cannot prune Widget.example.io: the ApplySet parent does not record its apiVersion']);
    expect(client.objects.get(parentKey)).toBe(parent);
  });
});
