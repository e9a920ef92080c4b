import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PatchStrategy } from '@kubernetes/client-node';
import { Connection, Host, Member } from 'cdk8s-kubesphere-federation';
import { apply as applyFleet } from 'ksfed';
import { apply, applyRaw, clientFor, configMap, deployment, eventually, failure, http, widgetCrd } from './helpers';
import { testApp } from '../../cdk8s-kubesphere-federation/test/util/fleet';
import { Sandbox } from '../src';
import { ObjectStore } from '../src/store';

describe('ObjectApi over the wire', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await Sandbox.start({ clusters: ['c'], kubesphere: false, rolloutDelayMs: 20 });
  });
  afterAll(async () => {
    await sandbox.stop();
  });
  const client = () => clientFor(sandbox, 'c');
  const cluster = () => sandbox.cluster('c');
  const ns = async (name: string) => apply(client(), { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

  test('built-in namespaces exist at start; resourceVersion is a cluster-wide string counter', async () => {
    for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) expect(cluster().get('v1', 'Namespace', n)).toBeDefined();
    const a = await apply(client(), configMap('rv-a', {}));
    const b = await apply(client(), deployment('rv-b'));
    expect(typeof a.metadata.resourceVersion).toBe('string');
    expect(Number(b.metadata.resourceVersion)).toBeGreaterThan(Number(a.metadata.resourceVersion));
    expect(b.metadata.generation).toBe(1);
    expect(cluster().get('v1', 'Namespace', 'default').metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'default' });
  });

  test('404s: missing object, missing namespace on create, unknown kind', async () => {
    const missing = await failure(client().read(configMap('nope', {})));
    expect(missing).toMatchObject({ code: 404, body: { kind: 'Status', reason: 'NotFound', message: 'configmaps "nope" not found', details: { name: 'nope', kind: 'configmaps' } } });
    const noNs = await failure(apply(client(), configMap('x', {}, 'no-such-ns')));
    expect(noNs).toMatchObject({ code: 404, body: { reason: 'NotFound', message: 'namespaces "no-such-ns" not found' } });
    const noNsPost = await failure(client().create(configMap('x', {}, 'no-such-ns')));
    expect(noNsPost.code).toBe(404);
    const grouped = await failure(client().read(deployment('nope')));
    expect(grouped.body.message).toBe('deployments.apps "nope" not found');
    const unknown = await http(sandbox, 'c', '/apis/apps/v1/namespaces/default/widgets');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ kind: 'Status', reason: 'NotFound' });
  });

  test('POST create, 409 AlreadyExists, generateName, invalid names', async () => {
    const created = await client().create(configMap('posted', { a: '1' }));
    expect(created.metadata?.managedFields?.[0]).toMatchObject({ manager: expect.any(String), operation: 'Update' });
    const dup = await failure(client().create(configMap('posted', {})));
    expect(dup).toMatchObject({ code: 409, body: { reason: 'AlreadyExists', message: 'configmaps "posted" already exists' } });
    const gen: any = await client().create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-', namespace: 'default' } });
    expect(gen.metadata.name).toMatch(/^gen-[a-z0-9]{5}$/);
    const bad = await failure(client().create(configMap('Bad_Name', {})));
    expect(bad).toMatchObject({ code: 422, body: { reason: 'Invalid', details: { causes: [{ field: 'metadata.name' }] } } });
  });

  test('PUT replace with resourceVersion precondition', async () => {
    const cm: any = await apply(client(), configMap('put', { a: '1' }));
    const replaced: any = await client().replace({ ...configMap('put', { a: '2' }), metadata: { ...cm.metadata } });
    expect(replaced.data).toEqual({ a: '2' });
    const stale = await failure(client().replace({ ...configMap('put', { a: '3' }), metadata: { ...cm.metadata } }));
    expect(stale).toMatchObject({ code: 409, body: { reason: 'Conflict' } });
    expect(stale.body.message).toContain('the object has been modified');
  });

  test('merge patch, JSON patch and strategic merge patch', async () => {
    await apply(client(), deployment('patched'));
    const base = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'patched', namespace: 'default' } };
    await client().patch({ ...base, spec: { replicas: 3 } } as any, undefined, undefined, 'scaler', undefined, PatchStrategy.MergePatch);
    const scaled = cluster().get('apps/v1', 'Deployment', 'patched', 'default');
    expect(scaled.spec.replicas).toBe(3);
    expect(scaled.metadata.managedFields.find((e: any) => e.manager === 'scaler')).toMatchObject({
      operation: 'Update', fieldsV1: { 'f:spec': { 'f:replicas': {} } },
    });
    const jp = await http(sandbox, 'c', '/apis/apps/v1/namespaces/default/deployments/patched', {
      method: 'PATCH',
      headers: { 'content-type': 'application/json-patch+json' },
      body: JSON.stringify([{ op: 'replace', path: '/spec/replicas', value: 4 }, { op: 'add', path: '/metadata/labels', value: { x: 'y' } }]),
    });
    expect(jp.status).toBe(200);
    expect(jp.body.spec.replicas).toBe(4);
    await client().patch({ ...base, spec: { template: { spec: { containers: [{ name: 'side', image: 'busybox' }] } } } } as any);
    const live = cluster().get('apps/v1', 'Deployment', 'patched', 'default');
    // (the patch's new item goes first, as kube-apiserver orders a strategic merge)
    expect(live.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['side', 'main']);
    expect(live.metadata.generation).toBe(4);
    // The JSON patch (no fieldManager: the User-Agent's product name) took spec.replicas from the scaler.
    expect(live.metadata.managedFields.map((e: any) => e.manager)).not.toContain('scaler');
    expect(live.metadata.managedFields.find((e: any) => e.manager === 'node')?.fieldsV1['f:spec']).toEqual({ 'f:replicas': {} });
    const badTest = await http(sandbox, 'c', '/apis/apps/v1/namespaces/default/deployments/patched', {
      method: 'PATCH', headers: { 'content-type': 'application/json-patch+json' }, body: JSON.stringify([{ op: 'test', path: '/spec/replicas', value: 1 }]),
    });
    expect(badTest.status).toBe(422);
    const unknownType = await http(sandbox, 'c', '/apis/apps/v1/namespaces/default/deployments/patched', {
      method: 'PATCH', headers: { 'content-type': 'text/plain' }, body: '{}',
    });
    expect(unknownType.status).toBe(415);
  });

  test('LIST with label selectors (full syntax) and field selectors', async () => {
    await ns('sel');
    const mk = (name: string, labels: Record<string, string>) => apply(client(), configMap(name, {}, 'sel', labels));
    await mk('a', { tier: 'web', env: 'prod' });
    await mk('b', { tier: 'db', env: 'prod' });
    await mk('c', { tier: 'web' });
    const names = async (labelSelector?: string, fieldSelector?: string) => {
      const l: any = await client().list('v1', 'ConfigMap', 'sel', undefined, undefined, undefined, fieldSelector, labelSelector);
      return l.items.map((i: any) => i.metadata.name).filter((n: string) => n !== 'kube-root-ca.crt');
    };
    expect(await names('tier=web')).toEqual(['a', 'c']);
    expect(await names('tier==web,env=prod')).toEqual(['a']);
    expect(await names('tier!=web')).toEqual(['b']);
    expect(await names('tier in (db, web),env')).toEqual(['a', 'b']);
    expect(await names('tier notin (web)')).toEqual(['b']);
    expect(await names('!env')).toEqual(['c']);
    expect(await names(undefined, 'metadata.name=b')).toEqual(['b']);
    expect(await names(undefined, 'metadata.name!=b,metadata.namespace=sel')).toEqual(['a', 'c']);
    const bad = await failure(client().list('v1', 'ConfigMap', 'sel', undefined, undefined, undefined, 'spec.x=1'));
    expect(bad).toMatchObject({ code: 400, body: { message: '"spec.x" is not a known field selector: only "metadata.name", "metadata.namespace"' } });
    const badLabel = await failure(client().list('v1', 'ConfigMap', 'sel', undefined, undefined, undefined, undefined, 'a in b'));
    expect(badLabel.code).toBe(400);
  });

  test('lists: kind/apiVersion only on the list for built-ins, pagination with continue, all namespaces', async () => {
    const page1 = await http(sandbox, 'c', '/api/v1/namespaces/sel/configmaps?limit=2');
    expect(page1.body).toMatchObject({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { remainingItemCount: 2 } });
    expect(page1.body.items[0].kind).toBeUndefined();
    const page2 = await http(sandbox, 'c', `/api/v1/namespaces/sel/configmaps?limit=2&continue=${page1.body.metadata.continue}`);
    expect([...page1.body.items, ...page2.body.items].map((i: any) => i.metadata.name)).toEqual(['a', 'b', 'c', 'kube-root-ca.crt']);
    expect(page2.body.metadata.continue).toBeUndefined();
    const all = await http(sandbox, 'c', '/api/v1/configmaps');
    expect(new Set(all.body.items.map((i: any) => i.metadata.namespace))).toEqual(new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease', 'sel']));
    const missingNs = await http(sandbox, 'c', '/api/v1/namespaces/ghost/configmaps');
    expect(missingNs.status).toBe(200);
    expect(missingNs.body.items).toEqual([]);
  });

  test('DELETE: immediate, or deletionTimestamp while finalizers remain, gone once they are cleared', async () => {
    await apply(client(), configMap('plain', {}));
    const del: any = await client().delete(configMap('plain', {}));
    expect(del.status).toBe('Success');
    expect(cluster().get('v1', 'ConfigMap', 'plain', 'default')).toBeUndefined();

    await apply(client(), { ...configMap('fin', {}), metadata: { name: 'fin', namespace: 'default', finalizers: ['example.com/hold'] } });
    await client().delete(configMap('fin', {}));
    const terminating = cluster().get('v1', 'ConfigMap', 'fin', 'default');
    expect(terminating.metadata.deletionTimestamp).toBeDefined();
    await apply(client(), { ...configMap('fin', {}), metadata: { name: 'fin', namespace: 'default', finalizers: [] } });
    expect(cluster().get('v1', 'ConfigMap', 'fin', 'default')).toBeUndefined();
  });

  test('DELETE propagation: Background collects dependents, Orphan keeps them', async () => {
    const owner: any = await apply(client(), configMap('owner', {}));
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid };
    await apply(client(), { ...configMap('dep', {}), metadata: { name: 'dep', namespace: 'default', ownerReferences: [ref] } });
    await client().delete(configMap('owner', {}), undefined, undefined, undefined, undefined, 'Background');
    expect(cluster().get('v1', 'ConfigMap', 'dep', 'default')).toBeUndefined();

    const owner2: any = await apply(client(), configMap('owner2', {}));
    await apply(client(), { ...configMap('dep2', {}), metadata: { name: 'dep2', namespace: 'default', ownerReferences: [{ ...ref, name: 'owner2', uid: owner2.metadata.uid }] } });
    await client().delete(configMap('owner2', {}), undefined, undefined, undefined, undefined, 'Orphan');
    expect(cluster().get('v1', 'ConfigMap', 'dep2', 'default').metadata.ownerReferences).toBeUndefined();
  });

  test('deleting a namespace: Terminating, then its contents and itself are removed', async () => {
    await ns('doomed');
    await apply(client(), configMap('inside', {}, 'doomed'));
    await client().delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } });
    expect(cluster().get('v1', 'Namespace', 'doomed')?.status.phase).toBe('Terminating');
    const refused = await failure(apply(client(), configMap('late', {}, 'doomed')));
    expect(refused).toMatchObject({ code: 403, body: { reason: 'Forbidden' } });
    expect(refused.body.message).toContain('because it is being terminated');
    await eventually(() => cluster().get('v1', 'Namespace', 'doomed') === undefined);
    expect(cluster().list('v1', 'ConfigMap', 'doomed')).toEqual([]);
  });

  test('DELETE dryRun and preconditions', async () => {
    const cm: any = await apply(client(), configMap('keep', {}));
    await client().delete(configMap('keep', {}), undefined, 'All');
    expect(cluster().get('v1', 'ConfigMap', 'keep', 'default')).toBeDefined();
    const res = await http(sandbox, 'c', '/api/v1/namespaces/default/configmaps/keep', {
      method: 'DELETE', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ preconditions: { uid: 'other' } }),
    });
    expect(res.status).toBe(409);
    expect(cm.metadata.uid).toBe(cluster().get('v1', 'ConfigMap', 'keep', 'default').metadata.uid);
  });

  test('generation bumps on spec changes only; metadata changes keep it', async () => {
    await apply(client(), deployment('gen'));
    await apply(client(), { ...deployment('gen'), metadata: { name: 'gen', namespace: 'default', labels: { a: 'b' } } });
    expect(cluster().get('apps/v1', 'Deployment', 'gen', 'default').metadata.generation).toBe(1);
    await apply(client(), deployment('gen', 'default', { image: 'nginx:2' }));
    expect(cluster().get('apps/v1', 'Deployment', 'gen', 'default').metadata.generation).toBe(2);
  });

  test('the status subresource: /status writes change only status, with their own manager', async () => {
    await apply(client(), deployment('st'));
    const res = await http(sandbox, 'c', '/apis/apps/v1/namespaces/default/deployments/st/status?fieldManager=tester', {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ spec: { replicas: 7 }, status: { observedGeneration: 42 } }),
    });
    expect(res.status).toBe(200);
    const live = cluster().get('apps/v1', 'Deployment', 'st', 'default');
    expect(live.status.observedGeneration).toBe(42);
    expect(live.spec.replicas).toBe(1);
    expect(live.metadata.managedFields.find((e: any) => e.manager === 'tester')).toMatchObject({ subresource: 'status', operation: 'Update' });
    const noStatus = await http(sandbox, 'c', '/api/v1/namespaces/default/configmaps/keep/status');
    expect(noStatus.status).toBe(404);
  });

  test('Secrets: stringData is folded into base64 data; bad base64 is refused', async () => {
    await apply(client(), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' }, stringData: { token: 'hello' } });
    const s = cluster().get('v1', 'Secret', 's', 'default');
    expect(s.data).toEqual({ token: Buffer.from('hello').toString('base64') });
    expect(s.stringData).toBeUndefined();
    expect(s.type).toBe('Opaque');
    const rv = s.metadata.resourceVersion;
    await apply(client(), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' }, stringData: { token: 'hello' } });
    expect(cluster().get('v1', 'Secret', 's', 'default').metadata.resourceVersion).toBe(rv);
    const bad = await failure(apply(client(), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's2', namespace: 'default' }, data: { x: 'not base64!' } }));
    expect(bad.code).toBe(400);
  });

  test('deletecollection with a label selector', async () => {
    await ns('coll');
    await apply(client(), configMap('x1', {}, 'coll', { drop: 'yes' }));
    await apply(client(), configMap('x2', {}, 'coll', { drop: 'no' }));
    const res = await http(sandbox, 'c', '/api/v1/namespaces/coll/configmaps?labelSelector=drop%3Dyes', { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(cluster().list('v1', 'ConfigMap', 'coll').map((o) => o.metadata.name).sort()).toEqual(['kube-root-ca.crt', 'x2']);
  });
});

describe('stored objects are never changed in place', () => {
  // `peek` and `peekAll` hand the emulated controllers the stored objects themselves; every write must make a new
  // object. Freezing each object as it is stored turns any change in place into a TypeError.
  const put = ObjectStore.prototype.put;
  const deepFreeze = (value: any): any => {
    if (value && typeof value === 'object' && !Object.isFrozen(value)) {
      Object.freeze(value);
      for (const v of Object.values(value)) deepFreeze(v);
    }
    return value;
  };
  beforeAll(() => {
    ObjectStore.prototype.put = function (this: ObjectStore, resource: string, object: any, type: 'ADDED' | 'MODIFIED') {
      put.call(this, resource, deepFreeze(object), type);
    };
  });
  afterAll(() => {
    ObjectStore.prototype.put = put;
  });

  test('a fleet with a direct and an agent member applies and joins over frozen objects', async () => {
    const app = testApp();
    const host = new Host(app, 'host', { name: 'host', capacity: { nodes: 3 } });
    new Member(app, 'direct', { host, name: 'edge-1', connection: Connection.direct() });
    new Member(app, 'agent', { host, name: 'branch-7', connection: Connection.agent() });
    app.synth();
    const sandbox = await Sandbox.start({ clusters: app.clusterNames, rolloutDelayMs: 5, kubesphereDelayMs: 5, establishDelayMs: 5 });
    try {
      // Outside the output folder: ksfed refuses files federation.json does not list.
      const kubeconfig = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ksfed-kc-')), 'sandbox.kubeconfig');
      fs.writeFileSync(kubeconfig, sandbox.kubeconfigYaml(), { mode: 0o600 });
      const report = await applyFleet(app.outdir, { kubeconfig, prune: true, timeoutMs: 20_000 });
      expect(report.clusters.map(c => [c.name, c.status, c.error])).toEqual(app.clusterNames.map(n => [n, 'succeeded', undefined]));
      const ready = (name: string) => sandbox.cluster('host').get('cluster.kubesphere.io/v1alpha1', 'Cluster', name)
        ?.status?.conditions?.find((c: any) => c.type === 'Ready')?.status;
      expect([ready('edge-1'), ready('branch-7')]).toEqual(['True', 'True']);
    } finally {
      await sandbox.stop();
      fs.rmSync(app.outdir, { recursive: true, force: true });
    }
  }, 30_000);
});

// Answers pinned to what kube-apiserver v1.34.4 says for the same requests (test/e2e/sandbox-differential.e2e.test.ts).
describe('ObjectApi answers as kube-apiserver v1.34 does', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await Sandbox.start({ clusters: ['c'], kubesphere: false, establishDelayMs: 1 });
    await applyRaw(sandbox, 'c', widgetCrd());
    await eventually(async () => (await http(sandbox, 'c', '/apis/example.com/v1')).status === 200);
  });
  afterAll(async () => {
    await sandbox.stop();
  });
  const client = () => clientFor(sandbox, 'c');
  const send = (url: string, method: string, body?: unknown, type = 'application/json') =>
    http(sandbox, 'c', url, { method, headers: { 'content-type': type }, body: body === undefined ? undefined : JSON.stringify(body) });
  const held = (name: string, finalizers: string[]) => ({ ...configMap(name, {}), metadata: { name, namespace: 'default', finalizers } });

  test('an object no manager owns a field of has no managedFields at all', async () => {
    const ns = await apply(client(), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bare' } });
    expect(ns.metadata.managedFields).toBeUndefined();
  });

  test('deletecollection answers the list of what it deleted; a filtered page has no remainingItemCount', async () => {
    for (const n of ['d1', 'd2', 'd3']) await apply(client(), configMap(n, {}, 'default', { coll: 'yes' }));
    const page = await http(sandbox, 'c', '/api/v1/namespaces/default/configmaps?labelSelector=coll%3Dyes&limit=1');
    expect(page.body.metadata.continue).toBeDefined();
    expect(page.body.metadata.remainingItemCount).toBeUndefined();
    const res = await send('/api/v1/namespaces/default/configmaps?labelSelector=coll%3Dyes', 'DELETE');
    expect(res.body).toMatchObject({ kind: 'ConfigMapList', apiVersion: 'v1' });
    expect(res.body.items.map((i: any) => i.metadata.name)).toEqual(['d1', 'd2', 'd3']);
  });

  test('finalizers: built-in kinds take only standard or qualified names; nothing new once deleting; the release answers the old resourceVersion', async () => {
    const bad = await failure(apply(client(), held('unqualified', ['hold'])));
    expect(bad.code).toBe(422);
    expect(bad.body.message).toBe('ConfigMap "unqualified" is invalid: metadata.finalizers[0]: Invalid value: "hold": name is neither a standard finalizer name nor is it fully qualified');
    await apply(client(), held('held', ['example.com/hold']));
    await client().delete(configMap('held', {}));
    const terminating = sandbox.cluster('c').get('v1', 'ConfigMap', 'held', 'default');
    const more = await send('/api/v1/namespaces/default/configmaps/held', 'PATCH', { metadata: { finalizers: ['example.com/hold', 'example.com/more'] } },
      'application/merge-patch+json');
    expect(more.status).toBe(422);
    // (reported twice in the causes, once in the message, as kube-apiserver does)
    const cause = {
      reason: 'FieldValueForbidden',
      field: 'metadata.finalizers',
      message: 'Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/more"}',
    };
    expect(more.body.details.causes).toEqual([cause, cause]);
    expect(more.body.message).toBe(`ConfigMap "held" is invalid: metadata.finalizers: ${cause.message}`);
    const release = await send('/api/v1/namespaces/default/configmaps/held', 'PATCH', { metadata: { finalizers: null } }, 'application/merge-patch+json');
    expect(release.status).toBe(200);
    expect(release.body.metadata.resourceVersion).toBe(terminating.metadata.resourceVersion);
    expect(sandbox.cluster('c').get('v1', 'ConfigMap', 'held', 'default')).toBeUndefined();
  });

  test('custom resources: an unqualified finalizer is a warning; a delete answers a Status; Strict names the kind', async () => {
    const res = await http(sandbox, 'c', '/apis/example.com/v1/namespaces/default/widgets/fin?fieldManager=m', {
      method: 'PATCH',
      headers: { 'content-type': 'application/apply-patch+yaml' },
      body: JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'fin', namespace: 'default', finalizers: ['hold'] } }),
    });
    expect([res.status, res.headers.get('warning')]).toEqual([201,
      '299 - "metadata.finalizers: \\"hold\\": prefer a domain-qualified finalizer name to avoid accidental conflicts with other finalizer writers"']);
    await applyRaw(sandbox, 'c', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'gone', namespace: 'default' } });
    const list = await send('/apis/example.com/v1/namespaces/default/widgets?limit=500', 'GET');
    expect(list.body.metadata.continue).toBe(''); // (a custom resource list always carries it)
    const del = await send('/apis/example.com/v1/namespaces/default/widgets/gone', 'DELETE');
    expect(del.body).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'gone', group: 'example.com', kind: 'widgets' } });
    const strict = await send('/apis/example.com/v1/namespaces/default/widgets?fieldValidation=Strict', 'POST',
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 's' }, spec: { bogus: 1 } });
    expect(strict.body.message).toBe('Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec.bogus"');
  });

  test('custom resources: a PUT needs the resourceVersion; strategic merge patch is 415 without it in the list', async () => {
    const w = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'default' }, spec: { size: 1 } };
    await applyRaw(sandbox, 'c', w);
    const put = await send('/apis/example.com/v1/namespaces/default/widgets/w', 'PUT', w);
    expect(put.status).toBe(422);
    expect(put.body.message).toBe('widgets.example.com "w" is invalid: metadata.resourceVersion: Invalid value: 0: must be specified for an update');
    expect(put.body.details).toMatchObject({ name: 'w', group: 'example.com', kind: 'widgets' });
    const smp = await send('/apis/example.com/v1/namespaces/default/widgets/w', 'PATCH', { spec: { size: 2 } }, 'application/strategic-merge-patch+json');
    expect([smp.status, smp.body.message]).toEqual([415, 'the body of the request was in an unknown format - accepted media types include: '
      + 'application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml']);
  });

  test('conflicts and invalid names are worded like the API server', async () => {
    await apply(client(), configMap('pre', {}));
    const uid = sandbox.cluster('c').get('v1', 'ConfigMap', 'pre', 'default').metadata.uid;
    const pre = await send('/api/v1/namespaces/default/configmaps/pre', 'DELETE', { preconditions: { uid: 'other' } });
    expect(pre.body).toMatchObject({ code: 409, reason: 'Conflict', details: { name: 'pre', kind: 'ConfigMap' } });
    expect(pre.body.message).toBe(`Operation cannot be fulfilled on ConfigMap "pre": the UID in the precondition (other) does not match the UID in record (${uid}). `
      + 'The object might have been deleted and then recreated');
    const name = await send('/api/v1/namespaces/default/configmaps', 'POST', configMap('Not_Valid', {}));
    expect(name.body.message).toBe('ConfigMap "Not_Valid" is invalid: metadata.name: Invalid value: "Not_Valid": a lowercase RFC 1123 subdomain must consist of '
      + 'lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for '
      + 'validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')');
  });
});

describe('a field set twice in a JSON body (as kube-apiserver v1.34 decodes it)', () => {
  test('Strict refuses it, the default warns and merges the values, Ignore merges them silently', async () => {
    const sandbox = await Sandbox.start({ clusters: ['c'], kubesphere: false });
    try {
      const body = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"NAME"},"data":{"a":"1"},"data":{"b":"2"}}';
      const post = (name: string, query: string) => http(sandbox, 'c', `/api/v1/namespaces/default/configmaps${query}`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: body.replace('NAME', name),
      });
      const strict = await post('s', '?fieldValidation=Strict');
      expect([strict.status, strict.body.message]).toEqual([400, 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: duplicate field "data"']);
      const warn = await post('w', '');
      // (decoded into the same map twice: both keys stay)
      expect([warn.status, warn.headers.get('warning'), warn.body.data]).toEqual([201, '299 - "duplicate field \\"data\\""', { a: '1', b: '2' }]);
      const ignore = await post('i', '?fieldValidation=Ignore');
      expect([ignore.status, ignore.headers.get('warning')]).toEqual([201, null]);
    } finally {
      await sandbox.stop();
    }
  });
});
