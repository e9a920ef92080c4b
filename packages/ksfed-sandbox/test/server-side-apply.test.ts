import { apply, clientFor, configMap, deployment, eventually, failure, mutating } from './helpers';
import { Sandbox } from '../src';
import { listTypeResolver } from '../src/list-types';
import { FieldSet, readManagedFields } from '../src/managed-fields';
import { builtinTypes } from '../src/resource-types';
import { mergeInto, serverSideApply } from '../src/server-side-apply';

describe('serverSideApply (unit)', () => {
  const cmType = builtinTypes().find((t) => t.kind === 'ConfigMap')!;
  const opts = { resolver: listTypeResolver(cmType), scope: 'main' as const, statusSubresource: false };
  const base = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'd' } };

  test('first apply creates ownership of exactly the leaves sent', () => {
    const out = serverSideApply({
      base, config: { ...base, data: { a: '1', b: '2' } }, manager: 'm', apiVersion: 'v1', force: false, fieldSetOptions: opts, entries: [],
    });
    expect(out.object.data).toEqual({ a: '1', b: '2' });
    expect(out.entries).toHaveLength(1);
    expect(out.entries[0]).toMatchObject({ manager: 'm', operation: 'Apply', apiVersion: 'v1' });
    expect(out.entries[0].fields.toFieldsV1()).toEqual({ 'f:data': { 'f:a': {}, 'f:b': {} } });
  });

  test('conflict names the other manager and the field; force moves ownership', () => {
    const live = { ...base, data: { a: '1' } };
    const entries = [{ manager: 'other', operation: 'Apply' as const, apiVersion: 'v1', time: 't', fields: new FieldSet([['f:data', 'f:a']]) }];
    const req = { live, base: live, config: { ...base, data: { a: '2' } }, manager: 'm', apiVersion: 'v1', force: false, fieldSetOptions: opts, entries };
    expect(() => serverSideApply(req)).toThrow('Apply failed with 1 conflict: conflict with "other": .data.a');
    const forced = serverSideApply({ ...req, force: true });
    expect(forced.object.data).toEqual({ a: '2' });
    expect(forced.entries.map((e) => e.manager)).toEqual(['m']);
    expect(entries[0].fields.size).toBe(1);
  });

  test('several conflicts are grouped by manager, like the API server words them', () => {
    const live = { ...base, data: { a: '1', b: '1', c: '1' } };
    const entries = [
      { manager: 'x', operation: 'Apply' as const, apiVersion: 'v1', time: 't', fields: new FieldSet([['f:data', 'f:a'], ['f:data', 'f:b']]) },
      { manager: 'ctl', operation: 'Update' as const, apiVersion: 'v1', time: '2024-01-01T00:00:00Z', fields: new FieldSet([['f:data', 'f:c']]) },
    ];
    const req = { live, base: live, config: { ...base, data: { a: '2', b: '2', c: '2' } }, manager: 'm', apiVersion: 'v1', force: false, fieldSetOptions: opts, entries };
    expect(() => serverSideApply(req)).toThrow('Apply failed with 3 conflicts: conflicts with "ctl" using v1 at 2024-01-01T00:00:00Z:\n- .data.c\n'
      + 'conflicts with "x":\n- .data.a\n- .data.b');
  });

  test('associative lists merge by name; other managers keep their items', () => {
    const merged = mergeInto(
      { containers: [{ name: 'a', image: '1' }, { name: 'b', image: '1' }] },
      { containers: [{ name: 'b', image: '2' }, { name: 'c', image: '3' }] },
      listTypeResolver(builtinTypes().find((t) => t.kind === 'Deployment')!),
    );
    expect(merged).toEqual({ containers: [{ name: 'a', image: '1' }, { name: 'b', image: '2' }, { name: 'c', image: '3' }] });
  });
});

describe('server-side apply over the wire (client-node)', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await Sandbox.start({ clusters: ['c'], kubesphere: false, rolloutDelayMs: 10 });
  });
  afterAll(async () => {
    await sandbox.stop();
  });
  const client = () => clientFor(sandbox, 'c');
  const stored = (name: string) => sandbox.cluster('c').get('v1', 'ConfigMap', name, 'default');
  const rolledOut = (name: string) => eventually(() => {
    const d = sandbox.cluster('c').get('apps/v1', 'Deployment', name, 'default');
    return d?.status?.observedGeneration === d?.metadata.generation && d;
  });

  test('create-if-missing, then update; managedFields in the real fieldsV1 format', async () => {
    const created = await apply(client(), configMap('ssa-1', { a: '1' }, 'default', { app: 'x' }));
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(stored('ssa-1').metadata.managedFields).toEqual([{
      manager: 'ksfed',
      operation: 'Apply',
      apiVersion: 'v1',
      time: expect.stringMatching(/Z$/),
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:data': { 'f:a': {} }, 'f:metadata': { 'f:labels': { 'f:app': {} } } },
    }]);
    const rv1 = stored('ssa-1').metadata.resourceVersion;
    await apply(client(), configMap('ssa-1', { a: '2' }, 'default', { app: 'x' }));
    expect(stored('ssa-1').data).toEqual({ a: '2' });
    expect(Number(stored('ssa-1').metadata.resourceVersion)).toBeGreaterThan(Number(rv1));
  });

  test('a no-op apply changes nothing: same resourceVersion, same managedFields time', async () => {
    await apply(client(), deployment('noop'));
    const before = await rolledOut('noop');
    await apply(client(), deployment('noop'));
    const after = sandbox.cluster('c').get('apps/v1', 'Deployment', 'noop', 'default');
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(after.metadata.generation).toBe(1);
    expect(after.metadata.managedFields).toEqual(before.metadata.managedFields);
  });

  test('conflict: 409 Status with reason Conflict and causes naming manager and field', async () => {
    await apply(client(), configMap('ssa-2', { a: '1', b: '1' }));
    const err = await failure(apply(client(), configMap('ssa-2', { a: '9' }), 'other'));
    expect(err.code).toBe(409);
    expect(err.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Conflict',
      code: 409,
      message: 'Apply failed with 1 conflict: conflict with "ksfed": .data.a',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "ksfed"', field: '.data.a' }] },
    });
    expect(stored('ssa-2').data.a).toBe('1');
  });

  test('same value is shared ownership; the field survives when one owner drops it', async () => {
    await apply(client(), configMap('ssa-3', { a: '1', b: '1' }));
    await apply(client(), configMap('ssa-3', { a: '1' }), 'other');
    const mf = readManagedFields(stored('ssa-3'));
    expect(mf.map((e) => [e.manager, e.fields.paths().map((p) => p.join('.'))])).toEqual([
      ['ksfed', ['f:data.f:a', 'f:data.f:b']], ['other', ['f:data.f:a']],
    ]);
    await apply(client(), configMap('ssa-3', { b: '1' }));
    expect(stored('ssa-3').data).toEqual({ a: '1', b: '1' });
    await apply(client(), configMap('ssa-3', {}), 'other');
    expect(stored('ssa-3').data).toEqual({ b: '1' });
  });

  test('force takes ownership away from the other manager', async () => {
    await apply(client(), configMap('ssa-4', { a: '1' }));
    await apply(client(), configMap('ssa-4', { a: '2' }), 'other', true);
    expect(stored('ssa-4').data.a).toBe('2');
    expect(stored('ssa-4').metadata.managedFields.map((e: any) => e.manager)).toEqual(['other']);
  });

  test('fields the manager stops applying are removed; list items by name too', async () => {
    const d = deployment('prune', 'default', { container: { env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] } });
    await apply(client(), d);
    d.spec.template.spec.containers[0].env = [{ name: 'B', value: '2' }];
    d.metadata.labels = undefined;
    await apply(client(), d);
    const live = sandbox.cluster('c').get('apps/v1', 'Deployment', 'prune', 'default');
    expect(live.spec.template.spec.containers[0].env).toEqual([{ name: 'B', value: '2' }]);
    expect(live.metadata.generation).toBe(2);
    const fields = live.metadata.managedFields.find((e: any) => e.manager === 'ksfed').fieldsV1;
    expect(fields['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"main"}']).toMatchObject({
      '.': {}, 'f:name': {}, 'f:image': {}, 'f:env': { 'k:{"name":"B"}': { '.': {}, 'f:name': {}, 'f:value': {} } },
    });
  });

  test('another manager keeps its own container in the same list', async () => {
    const d = deployment('two-managers');
    await apply(client(), d);
    const sidecar = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'two-managers', namespace: 'default' },
      spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'envoy:1' }] } } },
    };
    await apply(client(), sidecar, 'mesh');
    await apply(client(), deployment('two-managers', 'default', { image: 'nginx:1.26' }));
    const live = sandbox.cluster('c').get('apps/v1', 'Deployment', 'two-managers', 'default');
    expect(live.spec.template.spec.containers.map((c: any) => [c.name, c.image])).toEqual([['main', 'nginx:1.26'], ['sidecar', 'envoy:1']]);
  });

  test('dryRun=All validates and answers without storing', async () => {
    const out = await apply(client(), configMap('dry', { a: '1' }), 'ksfed', false, 'All');
    expect(out.data).toEqual({ a: '1' });
    expect(stored('dry')).toBeUndefined();
    const rec = sandbox.cluster('c').requests.filter((r) => r.path.endsWith('/configmaps/dry'));
    expect(rec[rec.length - 1]).toMatchObject({ method: 'PATCH', dryRun: true, fieldManager: 'ksfed', status: 201 });
    await apply(client(), configMap('dry', { a: '1' }));
    const conflict = await failure(apply(client(), configMap('dry', { a: '2' }), 'x', false, 'All'));
    expect(conflict.code).toBe(409);
  });

  test('apply requires a fieldManager and a matching kind (answered as kube-apiserver v1.34 does)', async () => {
    const c = sandbox.cluster('c');
    const res = await fetch(`${c.url}/api/v1/namespaces/default/configmaps/nomgr`, {
      method: 'PATCH',
      headers: { 'authorization': `Bearer ${c.token}`, 'content-type': 'application/apply-patch+yaml' },
      body: JSON.stringify(configMap('nomgr', {})),
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as any).message).toBe('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    const wrongKind = await fetch(`${c.url}/api/v1/namespaces/default/configmaps/nomgr?fieldManager=m`, {
      method: 'PATCH',
      headers: { 'authorization': `Bearer ${c.token}`, 'content-type': 'application/apply-patch+yaml' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'nomgr' } }),
    });
    expect(wrongKind.status).toBe(400);
    expect(((await wrongKind.json()) as any).message).toBe('invalid object type: /v1, Kind=Secret');
  });

  test('a YAML apply body works too', async () => {
    const c = sandbox.cluster('c');
    const res = await fetch(`${c.url}/api/v1/namespaces/default/configmaps/yaml-body?fieldManager=m`, {
      method: 'PATCH',
      headers: { 'authorization': `Bearer ${c.token}`, 'content-type': 'application/apply-patch+yaml' },
      body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yaml-body\ndata:\n  k: v\n',
    });
    expect(res.status).toBe(201);
    expect(stored('yaml-body').data).toEqual({ k: 'v' });
  });

  test('a YAML key set twice: the last value wins with a warning, Strict refuses it (as kube-apiserver v1.34)', async () => {
    const c = sandbox.cluster('c');
    const body = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup-yaml\ndata:\n  a: "1"\n  a: "2"\n';
    const send = (query: string) => fetch(`${c.url}/api/v1/namespaces/default/configmaps/dup-yaml?fieldManager=m${query}`, {
      method: 'PATCH', headers: { 'authorization': `Bearer ${c.token}`, 'content-type': 'application/apply-patch+yaml' }, body,
    });
    const strict = await send('&fieldValidation=Strict');
    expect([strict.status, ((await strict.json()) as any).message]).toEqual([400,
      'error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n  line 7: key "a" already set in map']);
    const warn = await send('');
    expect([warn.status, warn.headers.get('warning')]).toEqual([201, '299 - "line 7: key \\"a\\" already set in map"']);
    expect(stored('dup-yaml').data).toEqual({ a: '2' });
  });

  test('re-applying everything unchanged sends PATCHes that change nothing', async () => {
    const objs = [configMap('idem-1', { a: '1' }), configMap('idem-2', { b: '2' }), deployment('idem-3')];
    for (const o of objs) await apply(client(), o);
    await rolledOut('idem-3');
    const rv = objs.map((o) => sandbox.cluster('c').get(o.apiVersion, o.kind, o.metadata.name, 'default').metadata.resourceVersion);
    const before = mutating(sandbox, 'c').length;
    for (const o of objs) await apply(client(), o);
    expect(mutating(sandbox, 'c').length - before).toBe(3);
    expect(objs.map((o) => sandbox.cluster('c').get(o.apiVersion, o.kind, o.metadata.name, 'default').metadata.resourceVersion)).toEqual(rv);
  });

  test('status is ignored on the main resource of kinds with a status subresource', async () => {
    const d = { ...deployment('with-status'), status: { replicas: 99 } };
    await apply(client(), d);
    const live = sandbox.cluster('c').get('apps/v1', 'Deployment', 'with-status', 'default');
    expect(live.status?.replicas).not.toBe(99);
    // (the applier owns no status field; the emulated controller may have written its own by now)
    expect(JSON.stringify(live.metadata.managedFields.filter((e: any) => e.manager === 'ksfed'))).not.toContain('f:status');
  });

  // The next tests pin answers of a real kube-apiserver v1.34.4 (found by test/e2e/sandbox-differential.e2e.test.ts).
  test('container ports are keyed by containerPort+protocol, a missing protocol keys as TCP', async () => {
    const ports = [{ name: 'http', containerPort: 80 }, { name: 'dns', containerPort: 53, protocol: 'UDP' }];
    const res = await apply(client(), deployment('ports', 'default', { container: { ports } }));
    const main = res.metadata.managedFields[0].fieldsV1['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"main"}'];
    expect(main['f:ports']).toEqual({
      'k:{"containerPort":53,"protocol":"UDP"}': { '.': {}, 'f:containerPort': {}, 'f:name': {}, 'f:protocol': {} },
      'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:name': {} },
    });
    // another manager adds 53/TCP: a different item than 53/UDP, both kept
    await apply(client(), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'ports', namespace: 'default' },
      spec: { template: { spec: { containers: [{ name: 'main', ports: [{ containerPort: 53, protocol: 'TCP', name: 'dns-tcp' }] }] } } },
    }, 'other');
    const live = sandbox.cluster('c').get('apps/v1', 'Deployment', 'ports', 'default');
    expect(live.spec.template.spec.containers[0].ports).toEqual([
      { name: 'http', containerPort: 80, protocol: 'TCP' }, { name: 'dns', containerPort: 53, protocol: 'UDP' },
      { containerPort: 53, protocol: 'TCP', name: 'dns-tcp' },
    ]);
    // and renaming 80 (no protocol given: TCP) conflicts with the first manager's name
    const conflict = await failure(apply(client(), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'ports', namespace: 'default' },
      spec: { template: { spec: { containers: [{ name: 'main', ports: [{ containerPort: 80, name: 'web' }] }] } } },
    }, 'other'));
    expect(conflict.code).toBe(409);
    expect(conflict.body.message).toBe('Apply failed with 1 conflict: conflict with "ksfed": .spec.template.spec.containers[name="main"].ports[containerPort=80,protocol="TCP"].name');
  });

  test('Service ports are keyed by port+protocol', async () => {
    const svc = (manager: string, ports: any[]) => apply(client(), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'dns', namespace: 'default' },
      spec: { ports },
    }, manager);
    await svc('ksfed', [{ name: 'dns-tcp', port: 53 }, { name: 'dns-udp', port: 53, protocol: 'UDP', targetPort: 5353 }]);
    const conflict = await failure(svc('other', [{ name: 'dns-udp', port: 53, protocol: 'UDP', targetPort: 5354 }]));
    expect(conflict.body.details.causes.map((c: any) => c.field)).toEqual(['.spec.ports[port=53,protocol="UDP"].targetPort']);
  });

  test('selectors are atomic maps: owned whole, a different one conflicts on the map itself', async () => {
    const res = await apply(client(), deployment('sel'));
    expect(res.metadata.managedFields[0].fieldsV1['f:spec']['f:selector']).toEqual({});
    await apply(client(), { apiVersion: 'v1', kind: 'Service', metadata: { name: 'sel', namespace: 'default' }, spec: { selector: { app: 'sel' }, ports: [{ port: 80 }] } });
    const conflict = await failure(apply(client(), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'sel', namespace: 'default' },
      spec: { selector: { app: 'sel', extra: 'x' } },
    }, 'other'));
    expect(conflict.body.details.causes.map((c: any) => c.field)).toEqual(['.spec.selector']);
  });
});
