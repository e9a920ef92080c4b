// `moveMember` (src/applier/member-move.ts) on real kube-apiservers: a member that an old host joined, with two
// projects bound to its workspace as KubeSphere binds them (label and ownerReference), a new host whose real KubeFed
// propagates the target workspace to it, and the real garbage collector of kube-controller-manager, which deletes
// whatever the old Workspace still owns when it goes. The projects must come through with their content.
import { MOVE_FIELD_MANAGER, MOVING_TO_ANNOTATION, moveMember, WORKSPACE_LABEL } from 'ksfed/lib/member-move';
import { RealFleet } from 'ksfed-sandbox/lib/real-fleet';
import { Endpoint, request } from 'ksfed-sandbox/lib/real-fleet/http';
import { applyObject, getObject, resourcePath } from 'ksfed-sandbox/lib/real-fleet/objects';

jest.setTimeout(300_000);

const WS = 'tenant.kubesphere.io/v1alpha1';
let fleet: RealFleet;

beforeAll(async () => {
  // KubeFed on new-host, every cluster joined to it (the launcher joins them as KubeSphere's cluster controller does)
  fleet = await RealFleet.start({ clusters: ['new-host', 'edge-1', 'old-host'], kubefed: true });
});
afterAll(async () => {
  await fleet?.stop();
});

async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise(r => setTimeout(r, 200));
  }
}

const put = (e: Endpoint, obj: any, manager = 'kubesphere') => applyObject(e, obj, manager);
const get = (e: Endpoint, obj: any) => getObject(e, resourcePath(obj));
const ref = (apiVersion: string, kind: string, name: string, namespace?: string) => ({
  apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) },
});

test('a member moves its projects to the new host\'s workspace: refused while the old host still has it, then moved, content kept, old workspace gone', async () => {
  const edge = fleet.endpoint('edge-1');
  const oldHost = fleet.endpoint('old-host');
  const newHost = fleet.endpoint('new-host');

  // GIVEN what the old host left on edge-1: its Workspace "shop" (propagated by KubeFed), a WorkspaceTemplate "shop",
  // and two projects bound to it, one holding data; plus a ConfigMap the Workspace owns (the garbage collector's witness)
  const shop = await put(edge, { ...ref(WS, 'Workspace', 'shop'), metadata: { name: 'shop', labels: { 'kubefed.io/managed': 'true' } }, spec: {} });
  await put(edge, { ...ref('tenant.kubesphere.io/v1alpha2', 'WorkspaceTemplate', 'shop'), spec: { template: { spec: {} }, placement: { clusters: [{ name: 'edge-1' }] } } });
  const owner = [{ apiVersion: WS, kind: 'Workspace', name: 'shop', uid: shop.metadata.uid }];
  for (const name of ['shop-web', 'shop-db']) {
    await put(edge, { ...ref('v1', 'Namespace', name), metadata: { name, labels: { [WORKSPACE_LABEL]: 'shop', 'kubesphere.io/namespace': name }, ownerReferences: owner } });
  }
  await put(edge, { ...ref('v1', 'ConfigMap', 'orders', 'shop-db'), data: { rows: '42' } });
  await put(edge, { ...ref('v1', 'ConfigMap', 'witness', 'default'), metadata: { name: 'witness', namespace: 'default', ownerReferences: owner }, data: {} });
  // the old host still has its Cluster for edge-1
  await put(oldHost, { ...ref('cluster.kubesphere.io/v1alpha1', 'Cluster', 'edge-1'), spec: { joinFederation: true, connection: { type: 'direct' } } });
  // the new host places its workspace "shop-eu" on edge-1: its real KubeFed makes Workspace shop-eu there
  await put(newHost, {
    ...ref('types.kubefed.io/v1beta1', 'FederatedWorkspace', 'shop-eu'),
    spec: { template: { spec: {} }, placement: { clusters: [{ name: 'edge-1' }] } },
  }, 'ks-controller-manager');
  const target = await eventually('KubeFed propagating Workspace shop-eu to edge-1', () => get(edge, ref(WS, 'Workspace', 'shop-eu')));
  expect(target.metadata.labels['kubefed.io/managed']).toBe('true');
  const options = { kubeconfig: fleet.kubeconfigPath, context: 'edge-1', workspace: 'shop-eu', from: ['shop'], oldHostContext: 'old-host' };
  const versions = async () => Promise.all(['shop-web', 'shop-db'].map(async n => (await get(edge, ref('v1', 'Namespace', n))).metadata.resourceVersion));
  const before = await versions();

  // WHEN the old host still has it: refused, nothing changed
  const refused = await moveMember(options);
  expect(refused.outcome).toBe('refused');
  expect(refused.refusals).toEqual([expect.stringMatching(/^the old host \(context old-host\) still has Cluster edge-1: /)]);
  expect(await versions()).toEqual(before);

  // WHEN the member is removed from the old host, and the move runs
  const gone = await request(oldHost, 'DELETE', resourcePath(ref('cluster.kubesphere.io/v1alpha1', 'Cluster', 'edge-1')));
  expect(gone.status).toBe(200);
  const report = await moveMember(options);

  // THEN the projects are bound to shop-eu, owned by nothing, and hold their data
  expect(report).toMatchObject({ outcome: 'moved', from: ['shop'], deletes: ['WorkspaceTemplate shop', 'Workspace shop'] });
  expect(report.namespaces.map(n => `${n.name}:${n.steps.join('+')}`)).toEqual(['shop-db:unbind+bind', 'shop-web:unbind+bind']);
  // the old Workspace is gone, and the garbage collector took what it still owned (its witness), not the projects
  await eventually('the old Workspace gone', async () => (await get(edge, ref(WS, 'Workspace', 'shop'))) === undefined);
  await eventually('the garbage collector deleting what Workspace shop owned', async () => (await get(edge, ref('v1', 'ConfigMap', 'witness', 'default'))) === undefined);
  expect(await get(edge, ref('tenant.kubesphere.io/v1alpha2', 'WorkspaceTemplate', 'shop'))).toBeUndefined();
  for (const name of ['shop-web', 'shop-db']) {
    const ns = await get(edge, ref('v1', 'Namespace', name));
    expect(ns.status.phase).toBe('Active');
    expect(ns.metadata.deletionTimestamp).toBeUndefined();
    expect(ns.metadata.labels[WORKSPACE_LABEL]).toBe('shop-eu');
    expect(ns.metadata.ownerReferences).toBeUndefined();
    expect(ns.metadata.annotations?.[MOVING_TO_ANNOTATION]).toBeUndefined();
    expect(ns.metadata.managedFields.map((m: any) => m.manager)).toContain(MOVE_FIELD_MANAGER);
  }
  expect((await get(edge, ref('v1', 'ConfigMap', 'orders', 'shop-db'))).data).toEqual({ rows: '42' });
  // the new host's workspace is untouched
  expect((await get(edge, ref(WS, 'Workspace', 'shop-eu'))).metadata.uid).toBe(target.metadata.uid);

  // AND a re-run has nothing to do
  expect((await moveMember(options)).outcome).toBe('nothing-to-do');
});
