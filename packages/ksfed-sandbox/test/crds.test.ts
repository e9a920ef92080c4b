import { apply, applyRaw, clientFor, eventually, failure, http, widgetCrd } from './helpers';
import { Sandbox } from '../src';
import { typesOf } from '../src/crds';

describe('CustomResourceDefinitions', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    // (long enough that the checks of a CRD not yet Established run before it is, even on a loaded machine)
    sandbox = await Sandbox.start({ clusters: ['c'], kubesphere: false, establishDelayMs: 400 });
  });
  afterAll(async () => {
    await sandbox.stop();
  });
  const client = () => clientFor(sandbox, 'c');
  const cluster = () => sandbox.cluster('c');
  const widget = (name: string, spec: any = { size: 2 }) => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name, namespace: 'default' }, spec });

  test('client-node 1.4.0 drops `default` and `x-kubernetes-*` from CRDs it serializes (why applyRaw exists)', async () => {
    const crd = widgetCrd();
    crd.metadata.name = 'probes.example.com';
    crd.spec.names = { kind: 'Probe', plural: 'probes' };
    await apply(client(), crd);
    const stored = JSON.stringify(cluster().get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'probes.example.com').spec);
    expect(stored).not.toContain('x-kubernetes-list-type');
    await client().delete({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'probes.example.com' } });
  });

  test('a new CRD is served only once Established, with NamesAccepted', async () => {
    const created = await applyRaw(sandbox, 'c', widgetCrd());
    // stored with the API server's defaults and its initial status (conditions come from its controllers)
    expect(created.spec.names.listKind).toBe('WidgetList');
    expect(created.spec.conversion).toEqual({ strategy: 'None' });
    expect(created.status).toEqual({ conditions: null, acceptedNames: { plural: '', kind: '' }, storedVersions: ['v1'] });
    const early = await http(sandbox, 'c', '/apis/example.com/v1/namespaces/default/widgets');
    expect(early.status).toBe(404);
    expect((await http(sandbox, 'c', '/apis')).body.groups.map((g: any) => g.name)).not.toContain('example.com');
    expect(cluster().scheduler.pending('crd/widgets.example.com')).toBe(true); // (the checks above saw it not Established)
    const crd = await eventually(() => {
      const c = cluster().get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com');
      return c.status?.conditions?.some((x: any) => x.type === 'Established' && x.status === 'True') && c;
    });
    expect(crd.status.conditions.map((c: any) => `${c.type}=${c.status}`)).toEqual(['NamesAccepted=True', 'Established=True']);
    expect(crd.status.acceptedNames).toMatchObject({ kind: 'Widget', plural: 'widgets', listKind: 'WidgetList' });
    expect(crd.status.storedVersions).toEqual(['v1']);
    const list = (await http(sandbox, 'c', '/apis/example.com/v1')).body;
    expect(list.resources.map((r: any) => r.name)).toEqual(['widgets', 'widgets/status']);
    expect(list.resources[0]).toMatchObject({ kind: 'Widget', namespaced: true, shortNames: ['wg'], singularName: 'widget' });
  });

  test('custom resources: apply, schema defaults, pruning with a warning, validation, status subresource', async () => {
    const created = await apply(client(), widget('w1', { color: 'red' }));
    expect(created.spec).toEqual({ color: 'red', size: 1 });
    expect(cluster().get('example.com/v1', 'Widget', 'w1', 'default').spec).toEqual({ color: 'red', size: 1 });
    const invalid = await failure(apply(client(), widget('w2', { color: 'green', size: -1 })));
    expect(invalid.code).toBe(422);
    expect(invalid.body.message).toContain('spec.color: Unsupported value: "green": supported values: "red", "blue"');
    expect(invalid.body.details.causes.map((c: any) => c.field).sort()).toEqual(['spec.color', 'spec.size']);
    // A POST prunes unknown fields: refused with Strict, a warning by default (Warn)
    const strict = await http(sandbox, 'c', '/apis/example.com/v1/namespaces/default/widgets?fieldValidation=Strict', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(widget('w3', { bogus: 1 })),
    });
    expect(strict.status).toBe(400);
    expect(strict.body.message).toContain('unknown field "spec.bogus"');
    const warn = await http(sandbox, 'c', '/apis/example.com/v1/namespaces/default/widgets', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(widget('w3', { bogus: 1 })),
    });
    expect(warn.status).toBe(201);
    expect(warn.headers.get('warning')).toContain('unknown field \\"spec.bogus\\"');
    expect(warn.body.spec).toEqual({ size: 1 });
    // A server-side apply cannot build its typed patch: 500 whatever fieldValidation says (as kube-apiserver v1.34)
    for (const query of ['', '&fieldValidation=Strict', '&fieldValidation=Ignore']) {
      const ssa = await http(sandbox, 'c', `/apis/example.com/v1/namespaces/default/widgets/w4?fieldManager=m${query}`, {
        method: 'PATCH', headers: { 'content-type': 'application/apply-patch+yaml' }, body: JSON.stringify(widget('w4', { bogus: 1 })),
      });
      expect([ssa.status, ssa.body.message]).toEqual([500,
        'failed to create typed patch object (default/w4; example.com/v1, Kind=Widget): .spec.bogus: field not declared in schema']);
      expect(ssa.body.reason).toBeUndefined();
    }
    const status = await http(sandbox, 'c', '/apis/example.com/v1/namespaces/default/widgets/w1/status?fieldManager=ctl', {
      method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ status: { phase: 'Ready' } }),
    });
    expect(status.status).toBe(200);
    await apply(client(), { ...widget('w1', { color: 'red' }), status: { phase: 'ignored' } });
    expect(cluster().get('example.com/v1', 'Widget', 'w1', 'default').status).toEqual({ phase: 'Ready' });
    const smp = await http(sandbox, 'c', '/apis/example.com/v1/namespaces/default/widgets/w1', {
      method: 'PATCH', headers: { 'content-type': 'application/strategic-merge-patch+json' }, body: '{}',
    });
    expect(smp.status).toBe(415);
  });

  test('list-type map from the schema drives server-side apply of custom resources', async () => {
    await apply(client(), widget('lists', { ports: [{ name: 'a', port: 1 }], tags: ['x'] }), 'one');
    await apply(client(), widget('lists', { ports: [{ name: 'b', port: 2 }] }), 'two');
    const live = cluster().get('example.com/v1', 'Widget', 'lists', 'default');
    expect(live.spec.ports).toEqual([{ name: 'a', port: 1 }, { name: 'b', port: 2 }]);
    const conflict = await failure(apply(client(), widget('lists', { tags: ['y'] }), 'two'));
    expect(conflict.body.message).toBe('Apply failed with 1 conflict: conflict with "one": .spec.tags');
  });

  test('cluster-scoped CRDs use cluster paths; namespaced paths for them are 404', async () => {
    await applyRaw(sandbox, 'c', widgetCrd({ cluster: true }));
    await eventually(async () => (await http(sandbox, 'c', '/apis/example.com/v1/gadgets')).status === 200);
    const g = await apply(client(), { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g1' }, spec: { size: 3 } });
    expect(g.metadata.namespace).toBeUndefined();
    expect((await http(sandbox, 'c', '/apis/example.com/v1/namespaces/default/gadgets/g1')).status).toBe(404);
    expect((await http(sandbox, 'c', '/apis/example.com/v1/gadgets/g1')).body.spec.size).toBe(3);
  });

  test('invalid CRDs are refused with 422', async () => {
    const bad = widgetCrd();
    bad.metadata.name = 'wrong.example.com';
    const err = await failure(applyRaw(sandbox, 'c', bad));
    expect(err.code).toBe(422);
    expect(err.body.message).toContain('must be spec.names.plural+"."+spec.group');
    const noSchema = widgetCrd();
    noSchema.metadata.name = 'things.example.com';
    noSchema.spec.names = { kind: 'Thing', plural: 'things' };
    delete noSchema.spec.versions[0].schema;
    expect((await failure(applyRaw(sandbox, 'c', noSchema))).body.message).toContain('schemas are required');
  });

  test('deleting the CRD marks it Terminating, deletes its objects, then stops serving the kind', async () => {
    expect(cluster().list('example.com/v1', 'Widget').length).toBeGreaterThan(0);
    // as kube-apiserver v1.34 answers the DELETE: the CRD, with the cleanup finalizer and the Terminating condition
    const marked = await http(sandbox, 'c', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com', { method: 'DELETE' });
    expect(marked.body.metadata).toMatchObject({ finalizers: ['customresourcecleanup.apiextensions.k8s.io'], generation: 1 });
    expect(marked.body.metadata.deletionTimestamp).toBeDefined();
    expect(marked.body.status.conditions.map((c: any) => `${c.type}=${c.status}/${c.reason}`))
      .toEqual(['NamesAccepted=True/NoConflicts', 'Established=True/InitialNamesAccepted', 'Terminating=True/InstanceDeletionPending']);
    await eventually(() => !cluster().get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com'));
    expect(cluster().list('example.com/v1', 'Widget')).toEqual([]);
    expect((await http(sandbox, 'c', '/apis/example.com/v1/namespaces/default/widgets')).status).toBe(404);
    expect((await http(sandbox, 'c', '/apis/example.com/v1')).body.resources.map((r: any) => r.name)).toEqual(['gadgets', 'gadgets/status']);
    await applyRaw(sandbox, 'c', widgetCrd());
    await eventually(async () => (await http(sandbox, 'c', '/apis/example.com/v1/namespaces/default/widgets')).status === 200);
    expect((await http(sandbox, 'c', '/apis/example.com/v1/namespaces/default/widgets')).body.items).toEqual([]);
  });
});

describe('crdServeLagMs', () => {
  test('a new CRD says Established before its kind is served: 404 and not in discovery until the lag has passed', async () => {
    // (a lag long enough that the checks below run inside it, even on a loaded machine)
    const sandbox = await Sandbox.start({ clusters: ['l'], kubesphere: false, establishDelayMs: 1, crdServeLagMs: 400 });
    try {
      await applyRaw(sandbox, 'l', widgetCrd());
      const established = () => sandbox.cluster('l').get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com')
        ?.status?.conditions?.some((c: any) => c.type === 'Established' && c.status === 'True');
      await eventually(established);
      expect(sandbox.cluster('l').scheduler.pending('serve/widgets.example.com')).toBe(true); // (the checks below run inside the lag)
      const early = await http(sandbox, 'l', '/apis/example.com/v1/namespaces/default/widgets');
      expect(early.status).toBe(404);
      // (a group no handler serves yet: the API server's mux answers in plain text, as kube-apiserver v1.34 does)
      expect(early.text).toBe('404 page not found\n');
      expect((await http(sandbox, 'l', '/apis/example.com/v1')).status).toBe(404);
      await eventually(async () => (await http(sandbox, 'l', '/apis/example.com/v1/namespaces/default/widgets')).status === 200);
      expect((await http(sandbox, 'l', '/apis/example.com/v1')).body.resources.map((r: any) => r.name)).toEqual(['widgets', 'widgets/status']);
    } finally {
      await sandbox.stop();
    }
  });
});

describe('typesOf', () => {
  test('one type per served version, storage version recorded', () => {
    const crd = widgetCrd({ versions: ['v2', 'v1beta1'] });
    crd.spec.versions[1].served = true;
    const types = typesOf(crd);
    expect(types.map((t) => t.version)).toEqual(['v2', 'v1beta1']);
    expect(types.every((t) => t.storageVersion === 'v2' && t.statusSubresource && t.crd === 'widgets.example.com')).toBe(true);
    crd.spec.versions[1].served = false;
    expect(typesOf(crd).map((t) => t.version)).toEqual(['v2']);
  });

  test('objects written at one version are served at the other', async () => {
    const sandbox = await Sandbox.start({ clusters: ['m'], kubesphere: false, establishDelayMs: 1 });
    try {
      await applyRaw(sandbox, 'm', widgetCrd({ versions: ['v2', 'v1'] }));
      await eventually(async () => (await http(sandbox, 'm', '/apis/example.com/v1/namespaces/default/widgets')).status === 200);
      await apply(clientFor(sandbox, 'm'), { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'x', namespace: 'default' }, spec: { size: 1 } });
      const at2 = await http(sandbox, 'm', '/apis/example.com/v2/namespaces/default/widgets/x');
      expect(at2.body).toMatchObject({ apiVersion: 'example.com/v2', spec: { size: 1 } });
      expect((await http(sandbox, 'm', '/apis/example.com')).body.preferredVersion.version).toBe('v2');
    } finally {
      await sandbox.stop();
    }
  });
});
