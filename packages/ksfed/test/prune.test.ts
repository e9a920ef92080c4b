import { ApiObject, Chart } from 'cdk8s';
import { FederatedApp, FederationApp } from 'cdk8s-kubesphere-federation';
import { FakeClient, FAKE_JWT_SECRET, FAST, Fleet, startFleet, synth } from './fixtures';
import { multiRegionShop } from '../../../examples/multi-region-shop/main';
import { quickstart } from '../../../examples/quickstart/main';
import { apply, diff } from '../src/apply';
import { APPLYSET_PART_OF_LABEL, KSFED_APPLYSET_ID, memberKey, parentManifest, PRUNE_ANNOTATION, stateOf } from '../src/applyset';
import { KubeApiError } from '../src/errors';
import { cleanRemovedCluster, describeContents, executePrune, pruneCandidates } from '../src/prune';
import { ApplyReport, formatDiff, formatSummary } from '../src/report';

jest.setTimeout(90_000);

type More = { annotations?: any; uid?: string; ownerReferences?: any[] };
const member = (apiVersion: string, kind: string, name: string, namespace?: string, more: More = {}) => ({
  apiVersion,
  kind,
  metadata: {
    name,
    ...(namespace ? { namespace } : {}),
    labels: { [APPLYSET_PART_OF_LABEL]: KSFED_APPLYSET_ID },
    ...(more.annotations ? { annotations: more.annotations } : {}),
    ...(more.uid ? { uid: more.uid } : {}),
    ...(more.ownerReferences ? { ownerReferences: more.ownerReferences } : {}),
  },
});
const foreign = (apiVersion: string, kind: string, name: string, namespace: string, more: object = {}) => ({
  apiVersion, kind, metadata: { name, namespace, ...more },
});
const names = (list: { kind: string; namespace?: string; name: string }[]) => list.map(c => `${c.kind} ${c.namespace ?? ''}/${c.name}`);
const NS = stateOf([{ apiVersion: 'v1', kind: 'Namespace' }, { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'app' }]);

describe('pruneCandidates', () => {
  test('members not in the new set, in deletion order; never-annotated ones kept; others untouched', async () => {
    // GIVEN live members of the ApplySet, an unlabelled object and one of another set
    const client = new FakeClient();
    client.put(member('v1', 'ConfigMap', 'keep', 'a'));
    client.put(member('v1', 'ConfigMap', 'stale', 'a'));
    client.put(member('v1', 'ConfigMap', 'stale-b', 'b'));
    client.put(member('v1', 'Namespace', 'b'));
    client.put(member('v1', 'Namespace', 'kube-federation-system', undefined, { annotations: { [PRUNE_ANNOTATION]: 'never' } }));
    client.put(member('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'olds.example.com'));
    client.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'not-ours', namespace: 'a' } });
    client.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other-set', namespace: 'a', labels: { [APPLYSET_PART_OF_LABEL]: 'applyset-other-v1' } } });
    const recorded = stateOf([
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'a' }, { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'b' },
      { apiVersion: 'v1', kind: 'Namespace' }, { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' },
    ]);
    const keep = new Set([memberKey({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'a', name: 'keep' })]);
    // WHEN
    const found = await pruneCandidates(client, recorded, { keep });
    // THEN
    expect(names(found.candidates)).toEqual(['ConfigMap a/stale', 'ConfigMap b/stale-b', 'Namespace /b', 'CustomResourceDefinition /olds.example.com']);
    expect(found.kept.map(p => [p.name, p.reason])).toEqual([['kube-federation-system', 'prune-never']]);
    // lists by label, per namespace for namespaced kinds, once for cluster-scoped kinds; then what Namespace b holds
    const scan = client.calls.slice(0, client.calls.indexOf('discovery'));
    expect(scan.filter(c => c.startsWith('list'))).toEqual(['list ConfigMap a', 'list ConfigMap b', 'list CustomResourceDefinition *', 'list Namespace *']);
  });

  test('kinds no longer served are skipped; kinds without a recorded version are reported', async () => {
    const client = new FakeClient();
    client.unserved.add('example.com/v1/Widget');
    const recorded = stateOf([{ apiVersion: 'example.com/v1', kind: 'Widget', namespace: 'a' }]);
    recorded.groupKinds.set('Gadget.example.com', '');
    const found = await pruneCandidates(client, recorded, { keep: new Set() });
    expect(found.candidates).toEqual([]);
    expect(found.unknown).toEqual(['Gadget.example.com']);
  });

  test('a Namespace the program still declares on the cluster is kept, with the reason; what is in it is still pruned', async () => {
    const client = new FakeClient();
    client.put(member('v1', 'Namespace', 'app'));
    client.put(member('v1', 'ConfigMap', 'stale', 'app'));
    const found = await pruneCandidates(client, NS, { keep: new Set(), declaredNamespaces: new Set(['app']) });
    expect(names(found.candidates)).toEqual(['ConfigMap app/stale']);
    expect(found.kept).toEqual([expect.objectContaining({ kind: 'Namespace', name: 'app', reason: 'declared', message: expect.stringMatching(/project of the program still places this namespace/) })]);
  });

  test('a Namespace holding objects the prune does not delete is kept, saying what it holds; deleted with the flag, saying what goes with it', async () => {
    // GIVEN a stale namespace with a stale member, and what Kubernetes puts there, and two objects ksfed did not create
    const client = new FakeClient();
    client.put(member('v1', 'Namespace', 'app'));
    client.put(member('v1', 'ConfigMap', 'stale', 'app'));
    client.put(foreign('v1', 'ServiceAccount', 'default', 'app'));
    client.put(foreign('v1', 'ConfigMap', 'kube-root-ca.crt', 'app'));
    client.put(foreign('v1', 'ConfigMap', 'notes', 'app'));
    client.put(foreign('v1', 'Secret', 'db-password', 'app'));
    // WHEN
    const found = await pruneCandidates(client, NS, { keep: new Set() });
    // THEN
    expect(names(found.candidates)).toEqual(['ConfigMap app/stale']);
    expect(found.kept).toEqual([expect.objectContaining({ name: 'app', reason: 'not-empty', holds: { ConfigMap: ['notes'], Secret: ['db-password'] } })]);
    expect(found.kept[0].message).toBe('it holds objects ksfed did not create: 1 ConfigMap (notes), 1 Secret (db-password). Fix: move or delete them, or rerun with --prune-nonempty-namespaces to delete the namespace with everything in it');

    const forced = await pruneCandidates(client, NS, { keep: new Set(), nonEmptyNamespaces: true });
    expect(names(forced.candidates)).toEqual(['ConfigMap app/stale', 'Namespace /app']);
    expect(forced.candidates[1].holds).toEqual({ ConfigMap: ['notes'], Secret: ['db-password'] });
    expect(forced.kept).toEqual([]);
  });

  test('what goes with the prune does not count: dependents of what goes (owner chains), its Endpoints and token Secrets, Events', async () => {
    const client = new FakeClient();
    client.put(member('v1', 'Namespace', 'app'));
    client.put(member('apps/v1', 'Deployment', 'web', 'app', { uid: 'u-web' }));
    client.put(member('v1', 'Service', 'web', 'app', { uid: 'u-svc' }));
    client.put(member('v1', 'ServiceAccount', 'runner', 'app', { uid: 'u-sa' }));
    client.put(foreign('apps/v1', 'ReplicaSet', 'web-1', 'app', { uid: 'u-rs', ownerReferences: [{ uid: 'u-web' }] }));
    client.put(foreign('v1', 'Pod', 'web-1-x', 'app', { uid: 'u-pod', ownerReferences: [{ uid: 'u-rs' }] }));
    client.put(foreign('v1', 'Endpoints', 'web', 'app'));
    client.put({ ...foreign('v1', 'Secret', 'runner-token', 'app', { annotations: { 'kubernetes.io/service-account.name': 'runner' } }), type: 'kubernetes.io/service-account-token' });
    client.put(foreign('v1', 'Event', 'web.1', 'app'));
    const recorded = stateOf([{ apiVersion: 'v1', kind: 'Namespace' }, ...['Service', 'ServiceAccount'].map(kind => ({ apiVersion: 'v1', kind, namespace: 'app' })), { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'app' }]);
    const found = await pruneCandidates(client, recorded, { keep: new Set() });
    expect(found.kept).toEqual([]);
    expect(names(found.candidates)).toContain('Namespace /app');

    // a Pod with a second owner that stays keeps the namespace
    client.put(foreign('v1', 'Pod', 'web-1-x', 'app', { uid: 'u-pod', ownerReferences: [{ uid: 'u-rs' }, { uid: 'u-elsewhere' }] }));
    const again = await pruneCandidates(client, recorded, { keep: new Set() });
    expect(again.kept.map(k => [k.name, k.holds])).toEqual([['app', { Pod: ['web-1-x'] }]]);
  });

  test('when what a namespace holds cannot be checked it is kept, saying why', async () => {
    const client = new FakeClient();
    client.put(member('v1', 'Namespace', 'app'));
    client.failWith = call => call === 'discovery' ? new KubeApiError(503, 'ServiceUnavailable', 'metrics.k8s.io/v1beta1 is unavailable') : undefined;
    const found = await pruneCandidates(client, NS, { keep: new Set() });
    expect(found.candidates).toEqual([]);
    expect(found.kept[0].message).toMatch(/^what it holds could not be checked: the kinds the cluster serves could not be listed \(metrics.k8s.io\/v1beta1 is unavailable\)\. Fix: .*--prune-nonempty-namespaces/);
  });
});

describe('describeContents', () => {
  test('counts and the first names of each kind', () => {
    expect(describeContents({ 'Secret': ['s'], 'ConfigMap': ['a', 'b', 'c'], 'Role.rbac.authorization.k8s.io': ['admin'] }, 2)).toBe('3 ConfigMap (a, b, ...), 1 Role.rbac.authorization.k8s.io (admin), 1 Secret (s)');
    expect(describeContents({})).toBe('nothing');
  });
});

describe('executePrune', () => {
  test('deletes in order, releases ks-installer\'s ClusterConfiguration instead of deleting it, reports what it kept', async () => {
    const client = new FakeClient();
    const cc = member('installer.kubesphere.io/v1alpha1', 'ClusterConfiguration', 'ks-installer', 'kubesphere-system');
    client.put({ ...cc, spec: { multicluster: { clusterRole: 'member' } } });
    client.put(member('v1', 'Secret', 'token', 'kubesphere-system'));
    const recorded = stateOf([{ apiVersion: 'installer.kubesphere.io/v1alpha1', kind: 'ClusterConfiguration', namespace: 'kubesphere-system' }, { apiVersion: 'v1', kind: 'Secret', namespace: 'kubesphere-system' }]);
    const scan = await pruneCandidates(client, recorded, { keep: new Set() });
    const results: string[] = [];
    const outcome = await executePrune(client, 'edge', { ...scan, kept: [{ apiVersion: 'v1', kind: 'Namespace', name: 'app', reason: 'declared', message: 'why' }] }, { dryRun: false, onResult: r => results.push(`${r.result} ${r.kind} ${r.message ?? ''}`) });
    expect(outcome.pruned).toBe(2);
    expect(results).toEqual([
      'pruned ClusterConfiguration removed ksfed\'s fields and ApplySet label; the object stays (it is ks-installer\'s configuration)',
      'pruned Secret ',
      'kept Namespace why',
    ]);
    // the ClusterConfiguration got an apply of its name alone (which removes the fields ksfed owned), not a DELETE
    expect(client.calls.filter(c => /^(apply|delete)/.test(c))).toEqual(['apply ClusterConfiguration ks-installer', 'delete Secret token']);
  });
});

describe('cleanRemovedCluster', () => {
  const parentOf = (objects: { apiVersion: string; kind: string; namespace?: string }[]) => parentManifest(stateOf(objects));

  test('prunes every member, then the parent', async () => {
    const client = new FakeClient();
    client.put(parentOf([{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'kubesphere-system' }]));
    client.put(member('apps/v1', 'Deployment', 'cluster-agent', 'kubesphere-system'));
    const done = await cleanRemovedCluster(client, 'gone', { dryRun: false });
    expect(done).toEqual(expect.objectContaining({ status: 'cleaned', message: 'pruned 1 and its ApplySet parent' }));
    expect(client.calls.filter(c => c.startsWith('delete'))).toEqual(['delete Deployment cluster-agent', 'delete Secret ksfed-applyset']);
  });

  test('a dry run deletes nothing; a kept Namespace leaves the parent recording it; a refused parent or an unreachable cluster fails', async () => {
    const client = new FakeClient();
    client.put(parentOf([{ apiVersion: 'v1', kind: 'Namespace' }]));
    client.put(member('v1', 'Namespace', 'app'));
    client.put(foreign('v1', 'ConfigMap', 'notes', 'app'));
    expect(await cleanRemovedCluster(client, 'gone', { dryRun: true })).toEqual(expect.objectContaining({ status: 'left', message: 'would prune 0, kept 1' }));
    expect(client.calls.filter(c => /^(apply|delete)/.test(c))).toEqual([]);
    const partly = await cleanRemovedCluster(client, 'gone', { dryRun: false });
    expect(partly.status).toBe('partly-cleaned');
    expect(partly.results.map(r => `${r.result} ${r.kind} ${r.name}`)).toEqual(['kept Namespace app']);
    expect(client.calls.filter(c => /^(apply|delete)/.test(c))).toEqual(['apply Secret ksfed-applyset']);
    expect(await cleanRemovedCluster(client, 'gone', { dryRun: false, nonEmptyNamespaces: true })).toEqual(expect.objectContaining({ status: 'cleaned' }));

    // a kind the parent records without its apiVersion cannot be listed: the parent stays as it is
    const unknown = new FakeClient();
    const recordedWithout = parentOf([{ apiVersion: 'example.com/v1', kind: 'Widget', namespace: 'a' }]);
    delete recordedWithout.metadata.annotations['ksfed.kubesphere-federation/group-kind-versions'];
    unknown.put(recordedWithout);
    expect(await cleanRemovedCluster(unknown, 'gone', { dryRun: false })).toEqual(expect.objectContaining({
      status: 'partly-cleaned', message: 'pruned 0; cannot list Widget.example.com (the parent does not record their apiVersion): it stays recorded until they are gone',
    }));
    expect(unknown.calls.filter(c => /^(apply|delete)/.test(c))).toEqual([]);

    const other = new FakeClient();
    other.put({ ...parentOf([]), metadata: { ...parentOf([]).metadata, annotations: { 'applyset.kubernetes.io/tooling': 'kubectl/v1.29' } } });
    expect(await cleanRemovedCluster(other, 'gone', { dryRun: false })).toEqual(expect.objectContaining({ status: 'failed', message: expect.stringMatching(/managed by "kubectl\/v1.29"/) }));
    const down = new FakeClient();
    down.failWith = () => new KubeApiError(0, 'ECONNREFUSED', 'connection refused (is the API server up and the address right?)');
    expect(await cleanRemovedCluster(down, 'gone', { dryRun: false })).toEqual(expect.objectContaining({ status: 'failed', message: 'not cleaned: connection refused (is the API server up and the address right?)' }));
  });
});

/** The multi-region shop, without its rendered-mode app when `rendered` is false. */
function shop(rendered: boolean): (app: FederationApp) => void {
  return app => {
    multiRegionShop(app);
    if (rendered) return;
    const app2 = app.node.findAll().find(c => c instanceof FederatedApp && c.node.id === 'web-pull')!;
    app2.node.scope!.node.tryRemoveChild(app2.node.id);
  };
}

const results = (report: ApplyReport, cluster: string) => report.clusters.find(c => c.name === cluster)!.objects.filter(o => o.result === 'pruned' || o.result === 'kept').map(o => `${o.result} ${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`);
const MEMBERS = ['eu-west-1', 'eu-west-2', 'ap-south-1'];

describe('the multi-region shop against a sandbox', () => {
  const SHOP = synth(shop(true));
  const WITHOUT_RENDERED = synth(shop(false));
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet({ clusters: ['host', ...MEMBERS] });
  });
  afterAll(() => fleet.stop());
  const options = (extra: object = {}) => ({ kubeconfig: fleet.kubeconfig, env: { KS_JWT_SECRET: FAKE_JWT_SECRET }, ...FAST, ...extra });

  test('removing the rendered app prunes only its objects: its project\'s Namespace stays on every member, reported as kept', async () => {
    // GIVEN the shop applied with prune
    expect((await apply(SHOP, options({ prune: true }))).success).toBe(true);
    for (const m of MEMBERS) expect(fleet.sandbox.cluster(m).get('apps/v1', 'Deployment', 'web-pull', 'shop-prod')).toBeDefined();
    // WHEN the rendered app is removed from the program and the fleet applied with prune again
    const report = await apply(WITHOUT_RENDERED, options({ prune: true }));
    // THEN only the app's objects are pruned; the Namespace stays (its FederatedNamespace still places it there)
    expect(report.success).toBe(true);
    for (const m of MEMBERS) {
      expect(results(report, m)).toEqual([
        'pruned ConfigMap shop-prod/web-pull-config', 'pruned Deployment shop-prod/web-pull', 'pruned Service shop-prod/web-pull', 'kept Namespace shop-prod',
      ]);
      expect(fleet.sandbox.cluster(m).get('v1', 'Namespace', 'shop-prod')).toBeDefined();
      expect(fleet.sandbox.cluster(m).get('apps/v1', 'Deployment', 'web-pull', 'shop-prod')).toBeUndefined();
    }
    expect(results(report, 'host')).toEqual([]);
    expect(formatSummary(report)).toContain('eu-west-1: kept Namespace shop-prod: a project of the program still places this namespace on this cluster (its FederatedNamespace): it stays');

    // and so on every later run (the parent still records the kept Namespace), diff included
    const again = await diff(WITHOUT_RENDERED, options({ prune: true }));
    expect(MEMBERS.map(m => results(again, m))).toEqual(MEMBERS.map(() => ['kept Namespace shop-prod']));
    expect(formatDiff(again)).toContain('  = Namespace shop-prod (a project of the program still places this namespace');
  });
});

/** The quickstart plus, on edge-1, Namespaces `scratch` and `tidy` with a ConfigMap each (when `extra`). */
function withScratch(extra: boolean): (app: FederationApp) => void {
  return app => {
    quickstart(app);
    if (!extra) return;
    const edge = app.node.findChild('edge-1') as Chart;
    for (const ns of ['scratch', 'tidy']) {
      new ApiObject(edge, `${ns}-ns`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      new ApiObject(edge, `${ns}-cm`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ksfed-cm', namespace: ns }, data: { a: '1' } });
    }
  };
}

describe('a Namespace dropped from the program against a sandbox', () => {
  const WITH = synth(withScratch(true));
  const WITHOUT = synth(withScratch(false));
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet();
  });
  afterAll(() => fleet.stop());
  const options = (extra: object = {}) => ({ kubeconfig: fleet.kubeconfig, ...FAST, ...extra });

  test('one holding an object ksfed did not create is kept and reported with what it holds; the explicit flag deletes it, saying so', async () => {
    // GIVEN both namespaces applied, and someone's ConfigMap in scratch
    expect((await apply(WITH, options({ prune: true }))).success).toBe(true);
    const edge = fleet.sandbox.cluster('edge-1');
    edge.api.create(edge.api.typeOf('v1', 'ConfigMap'), 'scratch', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'notes', namespace: 'scratch' }, data: { x: 'y' } });

    // WHEN a dry run and an apply of the program without them
    const dry = await apply(WITHOUT, options({ prune: true, dryRun: true }));
    const report = await apply(WITHOUT, options({ prune: true }));

    // THEN tidy (only ksfed's objects and what Kubernetes puts in every namespace) goes; scratch stays, reported
    const kept = 'kept Namespace scratch: it holds objects ksfed did not create: 1 ConfigMap (notes). Fix: move or delete them, or rerun with --prune-nonempty-namespaces to delete the namespace with everything in it';
    for (const r of [dry, report]) {
      expect(r.success).toBe(true);
      expect(results(r, 'edge-1')).toEqual(['pruned ConfigMap scratch/ksfed-cm', 'pruned ConfigMap tidy/ksfed-cm', 'pruned Namespace tidy', 'kept Namespace scratch']);
      expect(formatSummary(r)).toContain(`edge-1: ${kept}`);
      expect(JSON.parse(JSON.stringify(r)).clusters[1].objects).toContainEqual(expect.objectContaining({ kind: 'Namespace', name: 'scratch', result: 'kept', message: kept.slice('kept Namespace scratch: '.length) }));
    }
    expect(edge.get('v1', 'Namespace', 'tidy')).toBeUndefined();
    expect(edge.get('v1', 'ConfigMap', 'notes', 'scratch')).toBeDefined();

    // WHEN the user asks for it explicitly: a diff says what would go, the apply deletes it
    const preview = await diff(WITHOUT, options({ prune: true, pruneNonEmptyNamespaces: true }));
    expect(formatDiff(preview)).toContain('  - Namespace scratch (would delete with what it held: 1 ConfigMap (notes))');
    expect(edge.get('v1', 'Namespace', 'scratch')).toBeDefined();
    const forced = await apply(WITHOUT, options({ prune: true, pruneNonEmptyNamespaces: true }));
    expect(forced.success).toBe(true);
    expect(forced.clusters[1].objects.filter(o => o.result === 'pruned')).toEqual([expect.objectContaining({ kind: 'Namespace', name: 'scratch', message: 'deleted with what it held: 1 ConfigMap (notes)' })]);
    const scratch = edge.get('v1', 'Namespace', 'scratch');
    expect(scratch === undefined || scratch.metadata.deletionTimestamp !== undefined).toBe(true);
  });

  test('the flag needs --prune', async () => {
    await expect(apply(WITHOUT, options({ pruneNonEmptyNamespaces: true }))).rejects.toThrow(/^--prune-nonempty-namespaces works only with --prune\. Fix: add --prune$/);
  });
});
