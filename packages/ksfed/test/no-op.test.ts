import { Sandbox } from 'ksfed-sandbox';
import { applyRaw, eventually, http, widgetCrd } from '../../ksfed-sandbox/test/helpers';
import { isNoOpApply } from '../src/no-op';

jest.setTimeout(30_000);

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/** A Deployment with every kind of field: scalars, maps, an empty map, a set, atomic and associative lists. */
function deploymentManifest(name = 'web', namespace = 'default'): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name }, finalizers: ['example.com/a', 'example.com/b'] },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{
            name: 'web',
            image: 'nginx:1.25',
            args: ['--a', '--b'],
            env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }],
            resources: { limits: { cpu: '1' }, requests: { cpu: '100m' } },
          }],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    },
  };
}

/** The fieldsV1 of ksfed's Apply entry for `deploymentManifest()` (what the sandbox records, checked below). */
function deploymentFields(): any {
  const item = { '.': {}, 'f:name': {}, 'f:value': {} };
  return {
    'f:metadata': { 'f:finalizers': { 'v:"example.com/a"': {}, 'v:"example.com/b"': {} }, 'f:labels': { 'f:app': {} } },
    'f:spec': {
      'f:replicas': {},
      // (a label selector is an atomic map: owned as a whole)
      'f:selector': {},
      'f:template': {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': {
          'f:containers': {
            'k:{"name":"web"}': {
              '.': {},
              'f:args': {},
              'f:env': { 'k:{"name":"A"}': item, 'k:{"name":"B"}': item },
              'f:image': {},
              'f:name': {},
              'f:resources': { 'f:limits': { 'f:cpu': {} }, 'f:requests': { 'f:cpu': {} } },
            },
          },
          'f:volumes': { 'k:{"name":"tmp"}': { '.': {}, 'f:emptyDir': {}, 'f:name': {} } },
        },
      },
    },
  };
}

const entry = (manager: string, operation: string, fieldsV1: any, extra: any = {}) => ({
  manager, operation, apiVersion: 'apps/v1', time: '2024-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1, ...extra,
});

/** The stored Deployment: the manifest plus server defaults, status and managedFields (ksfed Apply + a controller). */
function deploymentLive(manifest: any = deploymentManifest(), entries?: any[]): any {
  const live = clone(manifest);
  Object.assign(live.metadata, { uid: '0b0e8a0c-0000-4000-8000-000000000001', resourceVersion: '42', generation: 1, creationTimestamp: '2024-01-01T00:00:00Z' });
  live.spec.strategy = { type: 'RollingUpdate' };
  live.spec.template.spec.containers[0].imagePullPolicy = 'IfNotPresent';
  live.status = { replicas: 2, readyReplicas: 2, observedGeneration: 1 };
  live.metadata.managedFields = entries ?? [
    entry('ksfed', 'Apply', deploymentFields()),
    entry('kube-controller-manager', 'Update', { 'f:status': { 'f:readyReplicas': {}, 'f:replicas': {}, 'f:observedGeneration': {} } }, { subresource: 'status' }),
  ];
  return live;
}

const container = (o: any) => o.spec.template.spec.containers[0];

describe('isNoOpApply (hand-written live objects)', () => {
  test('unchanged manifest against its own live object is a no-op', () => {
    expect(isNoOpApply(deploymentManifest(), deploymentLive(), 'ksfed')).toBe(true);
  });

  test('a changed scalar is not a no-op', () => {
    const m = deploymentManifest();
    container(m).image = 'nginx:1.26';
    expect(isNoOpApply(m, deploymentLive(), 'ksfed')).toBe(false);
  });

  test('a number and its string differ ("2" != 2)', () => {
    const m = deploymentManifest();
    m.spec.replicas = '2';
    expect(isNoOpApply(m, deploymentLive(), 'ksfed')).toBe(false);
  });

  test('dropping a label ksfed owns is not a no-op although the values are a subset of live', () => {
    const m = deploymentManifest();
    delete m.metadata.labels;
    expect(isNoOpApply(m, deploymentLive(), 'ksfed')).toBe(false);
  });

  test('dropping resources.limits inside a container is not a no-op', () => {
    const m = deploymentManifest();
    delete container(m).resources.limits;
    expect(isNoOpApply(m, deploymentLive(), 'ksfed')).toBe(false);
  });

  test('fields of other managers (defaults, controller status) do not matter when ksfed does not set them', () => {
    const live = deploymentLive();
    live.metadata.labels.team = 'ops';
    live.metadata.managedFields.push(entry('kubectl', 'Update', { 'f:metadata': { 'f:labels': { 'f:team': {} } } }));
    expect(isNoOpApply(deploymentManifest(), live, 'ksfed')).toBe(true);
  });

  test('shared ownership of a field with the same value is still a no-op', () => {
    const live = deploymentLive();
    live.metadata.managedFields.push(entry('kubectl', 'Apply', { 'f:spec': { 'f:replicas': {} } }));
    expect(isNoOpApply(deploymentManifest(), live, 'ksfed')).toBe(true);
  });

  test('another manager changed a value ksfed still owns: value equality governs, not a no-op', () => {
    const live = deploymentLive();
    live.spec.replicas = 5;
    live.metadata.managedFields.push(entry('hpa', 'Update', { 'f:spec': { 'f:replicas': {} } }));
    expect(isNoOpApply(deploymentManifest(), live, 'ksfed')).toBe(false);
  });

  test('a container added to the manifest is not a no-op', () => {
    const m = deploymentManifest();
    m.spec.template.spec.containers.push({ name: 'sidecar', image: 'busybox' });
    expect(isNoOpApply(m, deploymentLive(), 'ksfed')).toBe(false);
  });

  test('a container removed from the manifest is not a no-op', () => {
    const m = deploymentManifest();
    const live = deploymentLive(m);
    m.spec.template.spec.containers = [];
    expect(isNoOpApply(m, live, 'ksfed')).toBe(false);
  });

  test('an env item added or removed is not a no-op', () => {
    const added = deploymentManifest();
    container(added).env.push({ name: 'C', value: '3' });
    expect(isNoOpApply(added, deploymentLive(), 'ksfed')).toBe(false);
    const removed = deploymentManifest();
    container(removed).env.pop();
    expect(isNoOpApply(removed, deploymentLive(), 'ksfed')).toBe(false);
  });

  test('a live container owned by another manager does not matter', () => {
    const live = deploymentLive();
    live.spec.template.spec.containers.push({ name: 'istio-proxy', image: 'proxy' });
    live.metadata.managedFields.push(entry('istio', 'Update', {
      'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"istio-proxy"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } } },
    }));
    expect(isNoOpApply(deploymentManifest(), live, 'ksfed')).toBe(true);
  });

  test('associative list items in another relative order than live are not a no-op (the merge would reorder)', () => {
    const m = deploymentManifest();
    container(m).env.reverse();
    expect(isNoOpApply(m, deploymentLive(), 'ksfed')).toBe(false);
  });

  test('an atomic list in another order is not a no-op', () => {
    const m = deploymentManifest();
    container(m).args.reverse();
    expect(isNoOpApply(m, deploymentLive(), 'ksfed')).toBe(false);
  });

  test('a set (finalizers) with the same members is a no-op; a missing or extra member is not', () => {
    expect(isNoOpApply(deploymentManifest(), deploymentLive(), 'ksfed')).toBe(true);
    const fewer = deploymentManifest();
    fewer.metadata.finalizers.pop();
    expect(isNoOpApply(fewer, deploymentLive(), 'ksfed')).toBe(false);
    const more = deploymentManifest();
    more.metadata.finalizers.push('example.com/c');
    expect(isNoOpApply(more, deploymentLive(), 'ksfed')).toBe(false);
    const dup = deploymentManifest();
    dup.metadata.finalizers = ['example.com/a', 'example.com/a'];
    expect(isNoOpApply(dup, deploymentLive(), 'ksfed')).toBe(false);
  });

  test('a set member live also holds from another manager does not matter', () => {
    const live = deploymentLive();
    live.metadata.finalizers.push('other.io/x');
    expect(isNoOpApply(deploymentManifest(), live, 'ksfed')).toBe(true);
  });

  test('the entry recorded at another apiVersion is not a no-op', () => {
    const live = deploymentLive();
    live.metadata.managedFields[0].apiVersion = 'apps/v1beta2';
    expect(isNoOpApply(deploymentManifest(), live, 'ksfed')).toBe(false);
  });

  test('no Apply entry for the manager is not a no-op (an Update entry of the same name does not count)', () => {
    const live = deploymentLive();
    live.metadata.managedFields[0].operation = 'Update';
    expect(isNoOpApply(deploymentManifest(), live, 'ksfed')).toBe(false);
    expect(isNoOpApply(deploymentManifest(), deploymentLive(), 'someone-else')).toBe(false);
    const none = deploymentLive();
    delete none.metadata.managedFields;
    expect(isNoOpApply(deploymentManifest(), none, 'ksfed')).toBe(false);
  });

  test('two Apply entries of the manager are not a no-op; one on the status subresource is ignored', () => {
    const two = deploymentLive();
    two.metadata.managedFields.push(entry('ksfed', 'Apply', { 'f:spec': { 'f:replicas': {} } }));
    expect(isNoOpApply(deploymentManifest(), two, 'ksfed')).toBe(false);
    const status = deploymentLive();
    status.metadata.managedFields.push(entry('ksfed', 'Apply', { 'f:status': { 'f:replicas': {} } }, { subresource: 'status' }));
    expect(isNoOpApply(deploymentManifest(), status, 'ksfed')).toBe(true);
  });

  test('fieldsType other than FieldsV1 is not a no-op', () => {
    const live = deploymentLive();
    live.metadata.managedFields[0].fieldsType = 'FieldsV2';
    expect(isNoOpApply(deploymentManifest(), live, 'ksfed')).toBe(false);
  });

  test('a missing live object, or another kind or apiVersion, is not a no-op', () => {
    expect(isNoOpApply(deploymentManifest(), undefined, 'ksfed')).toBe(false);
    expect(isNoOpApply(deploymentManifest(), { ...deploymentLive(), kind: 'StatefulSet' }, 'ksfed')).toBe(false);
    expect(isNoOpApply(deploymentManifest(), { ...deploymentLive(), apiVersion: 'apps/v1beta2' }, 'ksfed')).toBe(false);
    expect(isNoOpApply(deploymentManifest(), { ...deploymentLive(), metadata: { ...deploymentLive().metadata, name: 'other' } }, 'ksfed')).toBe(false);
  });

  test('identity fields may or may not be recorded (f:apiVersion, f:kind, f:metadata.f:name/namespace)', () => {
    const fields = deploymentFields();
    Object.assign(fields, { 'f:apiVersion': {}, 'f:kind': {} });
    Object.assign(fields['f:metadata'], { 'f:name': {}, 'f:namespace': {} });
    const live = deploymentLive(deploymentManifest(), [entry('ksfed', 'Apply', fields)]);
    expect(isNoOpApply(deploymentManifest(), live, 'ksfed')).toBe(true);
  });

  test('metadata holding only identity fields needs no f:metadata node', () => {
    const m = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, data: { a: '1' } };
    const live = { ...clone(m), metadata: { ...m.metadata, resourceVersion: '1', managedFields: [{ ...entry('ksfed', 'Apply', { 'f:data': { 'f:a': {} } }), apiVersion: 'v1' }] } };
    expect(isNoOpApply(m, live, 'ksfed')).toBe(true);
  });

  test('server-owned metadata in the manifest (resourceVersion) is not a no-op', () => {
    const m = deploymentManifest();
    m.metadata.resourceVersion = '42';
    expect(isNoOpApply(m, deploymentLive(), 'ksfed')).toBe(false);
  });

  test('an empty map recorded as a leaf is a no-op; not recorded at all (real API, typed struct) is not', () => {
    expect(isNoOpApply(deploymentManifest(), deploymentLive(), 'ksfed')).toBe(true);
    const fields = deploymentFields();
    delete fields['f:spec']['f:template']['f:spec']['f:volumes']['k:{"name":"tmp"}']['f:emptyDir'];
    expect(isNoOpApply(deploymentManifest(), deploymentLive(deploymentManifest(), [entry('ksfed', 'Apply', fields)]), 'ksfed')).toBe(false);
  });

  test('a map recorded as a leaf is atomic: only an identical live map is a no-op', () => {
    const fields = deploymentFields();
    fields['f:spec']['f:selector'] = {};
    const live = deploymentLive(deploymentManifest(), [entry('ksfed', 'Apply', fields)]);
    expect(isNoOpApply(deploymentManifest(), live, 'ksfed')).toBe(true);
    live.spec.selector.matchLabels.extra = 'x';
    expect(isNoOpApply(deploymentManifest(), live, 'ksfed')).toBe(false);
  });

  test('a "." marker on a map node (a non-struct map entry) is accepted', () => {
    const fields = deploymentFields();
    fields['f:metadata']['f:labels']['.'] = {};
    const live = deploymentLive(deploymentManifest(), [entry('ksfed', 'Apply', fields)]);
    expect(isNoOpApply(deploymentManifest(), live, 'ksfed')).toBe(true);
  });

  test('unexpected shapes are not a no-op: null, list vs map node, positional i:, malformed or ambiguous k:', () => {
    const withNull = deploymentManifest();
    withNull.spec.paused = null;
    expect(isNoOpApply(withNull, deploymentLive(), 'ksfed')).toBe(false);

    const listForMap = deploymentManifest();
    listForMap.metadata.labels = ['app'];
    expect(isNoOpApply(listForMap, deploymentLive(deploymentManifest()), 'ksfed')).toBe(false);

    const mapForSet = deploymentManifest();
    mapForSet.metadata.finalizers = { a: 'example.com/a', b: 'example.com/b' };
    expect(isNoOpApply(mapForSet, deploymentLive(deploymentManifest()), 'ksfed')).toBe(false);

    const positional = deploymentFields();
    positional['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"web"}']['f:args'] = { 'i:0': {}, 'i:1': {} };
    expect(isNoOpApply(deploymentManifest(), deploymentLive(deploymentManifest(), [entry('ksfed', 'Apply', positional)]), 'ksfed')).toBe(false);

    const malformed = deploymentFields();
    const volumes = malformed['f:spec']['f:template']['f:spec']['f:volumes'];
    volumes['k:{name:tmp}'] = volumes['k:{"name":"tmp"}'];
    delete volumes['k:{"name":"tmp"}'];
    expect(isNoOpApply(deploymentManifest(), deploymentLive(deploymentManifest(), [entry('ksfed', 'Apply', malformed)]), 'ksfed')).toBe(false);

    // two live items with the same key: which one the server would merge into is unclear
    const dupLive = deploymentLive();
    dupLive.spec.template.spec.volumes.push({ name: 'tmp', hostPath: { path: '/tmp' } });
    expect(isNoOpApply(deploymentManifest(), dupLive, 'ksfed')).toBe(false);

    const noDot = deploymentFields();
    delete noDot['f:spec']['f:template']['f:spec']['f:volumes']['k:{"name":"tmp"}']['.'];
    expect(isNoOpApply(deploymentManifest(), deploymentLive(deploymentManifest(), [entry('ksfed', 'Apply', noDot)]), 'ksfed')).toBe(false);
  });
});

/** The API path of an object (plural = lowercased kind + s, enough for the kinds used here). */
function pathOf(obj: any): string {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const scope = obj.metadata.namespace ? `/namespaces/${obj.metadata.namespace}` : '';
  return `${base}${scope}/${obj.kind.toLowerCase()}s/${obj.metadata.name}`;
}

const ksfedEntry = (obj: any) => (obj.metadata.managedFields ?? []).find((e: any) => e.manager === 'ksfed' && e.operation === 'Apply');

/** Whether an apply changed the object: a new resourceVersion, or another field set for ksfed. */
function changed(before: any, after: any): boolean {
  return before.metadata.resourceVersion !== after.metadata.resourceVersion
    || JSON.stringify(ksfedEntry(before)?.fieldsV1) !== JSON.stringify(ksfedEntry(after)?.fieldsV1);
}

function service(name: string): any {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', labels: { app: 'web' }, annotations: { 'example.com/owner': 'team-a' } },
    spec: {
      selector: { app: 'web' },
      ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'https', port: 443, targetPort: 8443 }],
    },
  };
}

function configMap(name: string): any {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels: { app: 'web' } }, data: { a: '1', b: '2' } };
}

function widget(name: string): any {
  return {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name, namespace: 'default', labels: { app: 'web' } },
    spec: { size: 3, color: 'red', ports: [{ name: 'a', port: 1 }, { name: 'b', port: 2 }], tags: ['x', 'y'] },
  };
}

function crd(): any {
  return widgetCrd();
}

describe('isNoOpApply against the sandbox', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await Sandbox.start({ clusters: ['c'], kubesphere: false, rolloutDelayMs: 1, establishDelayMs: 1 });
    await applyRaw(sandbox, 'c', crd());
    await eventually(async () => (await http(sandbox, 'c', '/apis/example.com/v1')).status === 200);
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  const get = async (obj: any): Promise<any> => {
    const res = await http(sandbox, 'c', pathOf(obj));
    expect(res.status).toBe(200);
    return res.body;
  };
  /** Applies with ksfed and waits until the sandbox's controllers are done with the object. */
  const applySettled = async (obj: any, manager = 'ksfed', force = false): Promise<any> => {
    await applyRaw(sandbox, 'c', obj, manager, force);
    if (obj.kind === 'Deployment') {
      return eventually(async () => {
        const d = await get(obj);
        return d.status?.observedGeneration === d.metadata.generation && d;
      });
    }
    if (obj.kind === 'CustomResourceDefinition') {
      return eventually(async () => {
        const d = await get(obj);
        return (d.status?.conditions ?? []).some((c: any) => c.type === 'Established' && c.status === 'True') && d;
      });
    }
    return get(obj);
  };

  test('the sandbox records ksfed\'s fields as the hand-written fixture: no identity fields, empty map as a leaf', async () => {
    const live = await applySettled(deploymentManifest('fixture'));
    const fields = ksfedEntry(live).fieldsV1;
    expect(fields).toEqual(deploymentFields());
    expect(fields['f:apiVersion']).toBeUndefined();
    expect(fields['f:kind']).toBeUndefined();
    expect(fields['f:metadata']['f:name']).toBeUndefined();
    expect(fields['f:metadata']['f:namespace']).toBeUndefined();
    expect(fields['f:spec']['f:template']['f:spec']['f:volumes']['k:{"name":"tmp"}']['f:emptyDir']).toEqual({});
  });

  const bases: { [kind: string]: (name: string) => any } = {
    Deployment: name => deploymentManifest(name),
    Service: service,
    ConfigMap: configMap,
    CustomResourceDefinition: () => crd(),
    Widget: widget,
  };

  test.each(Object.keys(bases))('%s: re-applying the unchanged manifest is a no-op, and isNoOpApply says so', async kind => {
    const manifest = bases[kind](`same-${kind.toLowerCase()}`);
    const live = await applySettled(manifest);
    expect(isNoOpApply(manifest, live, 'ksfed')).toBe(true);
    const after = await applyRaw(sandbox, 'c', manifest);
    expect(changed(live, after)).toBe(false);
  });

  /** `real`: whether the sandbox's apply of the mutated manifest changes the object. */
  const mutations: { name: string; kind: string; mutate: (m: any) => void; real: boolean }[] = [
    { name: 'image changed', kind: 'Deployment', mutate: m => { container(m).image = 'nginx:1.26'; }, real: true },
    { name: 'replicas as a string', kind: 'Deployment', mutate: m => { m.spec.replicas = '2'; }, real: true },
    { name: 'replicas removed', kind: 'Deployment', mutate: m => { delete m.spec.replicas; }, real: true },
    { name: 'container added', kind: 'Deployment', mutate: m => { m.spec.template.spec.containers.push({ name: 'sidecar', image: 'busybox' }); }, real: true },
    { name: 'env item removed', kind: 'Deployment', mutate: m => { container(m).env.pop(); }, real: true },
    { name: 'env item added', kind: 'Deployment', mutate: m => { container(m).env.push({ name: 'C', value: '3' }); }, real: true },
    { name: 'label removed', kind: 'Deployment', mutate: m => { delete m.metadata.labels; }, real: true },
    { name: 'resources.limits removed', kind: 'Deployment', mutate: m => { delete container(m).resources.limits; }, real: true },
    { name: 'finalizer removed', kind: 'Deployment', mutate: m => { m.metadata.finalizers.pop(); }, real: true },
    { name: 'args reordered (atomic list)', kind: 'Deployment', mutate: m => { container(m).args.reverse(); }, real: true },
    // The sandbox keeps the live order of associative lists; a real API server follows the applied order.
    { name: 'env reordered (associative list)', kind: 'Deployment', mutate: m => { container(m).env.reverse(); }, real: false },
    { name: 'port changed', kind: 'Service', mutate: m => { m.spec.ports[0].targetPort = 8081; }, real: true },
    { name: 'annotation removed', kind: 'Service', mutate: m => { delete m.metadata.annotations; }, real: true },
    { name: 'port removed', kind: 'Service', mutate: m => { m.spec.ports.pop(); }, real: true },
    { name: 'ports reordered (associative list)', kind: 'Service', mutate: m => { m.spec.ports.reverse(); }, real: false },
    { name: 'value changed', kind: 'ConfigMap', mutate: m => { m.data.a = '9'; }, real: true },
    { name: 'key removed', kind: 'ConfigMap', mutate: m => { delete m.data.b; }, real: true },
    { name: 'key added', kind: 'ConfigMap', mutate: m => { m.data.c = '3'; }, real: true },
    { name: 'label removed', kind: 'ConfigMap', mutate: m => { delete m.metadata.labels; }, real: true },
    { name: 'shortNames changed', kind: 'CustomResourceDefinition', mutate: m => { m.spec.names.shortNames = ['wg', 'wdg']; }, real: true },
    { name: 'schema property added', kind: 'CustomResourceDefinition', mutate: m => { m.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.owner = { type: 'string' }; }, real: true },
    { name: 'size changed', kind: 'Widget', mutate: m => { m.spec.size = 4; }, real: true },
    { name: 'color removed', kind: 'Widget', mutate: m => { delete m.spec.color; }, real: true },
    { name: 'port item removed (map list)', kind: 'Widget', mutate: m => { m.spec.ports.pop(); }, real: true },
    { name: 'port item added (map list)', kind: 'Widget', mutate: m => { m.spec.ports.push({ name: 'c', port: 3 }); }, real: true },
    { name: 'tags reordered (atomic list)', kind: 'Widget', mutate: m => { m.spec.tags.reverse(); }, real: true },
    { name: 'ports reordered (map list)', kind: 'Widget', mutate: m => { m.spec.ports.reverse(); }, real: false },
  ];

  let counter = 0;
  test.each(mutations)('$kind, $name: isNoOpApply is false; the real apply changes the object: $real', async ({ kind, mutate, real }) => {
    // A fresh object per case (the CRD is the one Widget needs: it is put back afterwards).
    const base = bases[kind](`mut-${kind.toLowerCase()}-${counter++}`);
    const live = await applySettled(base);
    expect(isNoOpApply(base, live, 'ksfed')).toBe(true);
    const mutated = clone(base);
    mutate(mutated);
    expect(isNoOpApply(mutated, live, 'ksfed')).toBe(false);
    const after = await applyRaw(sandbox, 'c', mutated);
    expect(changed(live, after)).toBe(real);
    // Put the shared CRD back.
    if (kind === 'CustomResourceDefinition') await applySettled(base);
  });

  test('a field ksfed owns changed by kubectl (Update, merge patch) makes the original manifest not a no-op', async () => {
    const manifest = configMap('taken-update');
    await applySettled(manifest);
    const res = await http(sandbox, 'c', `${pathOf(manifest)}?fieldManager=kubectl`, {
      method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ data: { a: 'changed' } }),
    });
    expect(res.status).toBe(200);
    const live = await get(manifest);
    expect(isNoOpApply(manifest, live, 'ksfed')).toBe(false);
    const after = await applyRaw(sandbox, 'c', manifest, 'ksfed', true);
    expect(changed(live, after)).toBe(true);
  });

  test('a field ksfed owns taken by kubectl (Apply with force) makes the original manifest not a no-op', async () => {
    const manifest = deploymentManifest('taken-apply');
    await applySettled(manifest);
    const theirs = clone(manifest);
    theirs.metadata = { name: theirs.metadata.name, namespace: theirs.metadata.namespace };
    theirs.spec = { replicas: 3, selector: theirs.spec.selector, template: { metadata: theirs.spec.template.metadata, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } } };
    const live = await applySettled(theirs, 'kubectl', true);
    expect(live.spec.replicas).toBe(3);
    expect(isNoOpApply(manifest, live, 'ksfed')).toBe(false);
    const after = await applyRaw(sandbox, 'c', manifest, 'ksfed', true);
    expect(changed(live, after)).toBe(true);
  });

  test('kubectl sharing a field with the same value, or adding its own label, leaves the manifest a no-op', async () => {
    const manifest = configMap('shared');
    await applySettled(manifest);
    await applySettled({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared', namespace: 'default', labels: { team: 'ops' } }, data: { a: '1' } }, 'kubectl');
    const live = await get(manifest);
    expect(live.metadata.labels).toEqual({ app: 'web', team: 'ops' });
    expect(isNoOpApply(manifest, live, 'ksfed')).toBe(true);
    const after = await applyRaw(sandbox, 'c', manifest);
    expect(changed(live, after)).toBe(false);
  });
});
