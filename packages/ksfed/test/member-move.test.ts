import * as fs from 'fs';
import * as path from 'path';
import { kubeFedClusterCrd } from 'cdk8s-kubesphere-federation/lib/crds/kubefed';
import { Sandbox } from 'ksfed-sandbox';
import { mutations, tmpdir } from './fixtures';
import { KubeApiError, UsageError } from '../src/errors';
import { ClientNodeKubeClient } from '../src/kube-client';
import { loadKubeConfig } from '../src/kubeconfig';
import {
  formatMove, MOVE_FIELD_MANAGER, MOVING_FROM_ANNOTATION, MOVING_TO_ANNOTATION, moveMember, MoveMemberOptions, MoveReport, WORKSPACE_LABEL,
} from '../src/member-move';

jest.setTimeout(30_000);

const WS = 'tenant.kubesphere.io/v1alpha1';
const WST = 'tenant.kubesphere.io/v1alpha2';

/**
 * A member that was joined to an old host: its Workspace "shop" (propagated there by the old host's KubeFed) and a
 * WorkspaceTemplate "shop" (made on the member itself), projects shop-web and shop-db bound to it as KubeSphere
 * binds them (label and ownerReference), team-b with its own project, and the new host's workspace "shop-eu".
 */
function seedMember(sandbox: Sandbox): void {
  const edge = sandbox.cluster('edge-1');
  const create = (apiVersion: string, kind: string, obj: any, namespace?: string) =>
    edge.api.create(edge.api.typeOf(apiVersion, kind), namespace, { apiVersion, kind, ...obj }, { fieldManager: 'kubesphere' }).body;
  const shop = create(WS, 'Workspace', { metadata: { name: 'shop', labels: { 'kubefed.io/managed': 'true' } } });
  create(WST, 'WorkspaceTemplate', { metadata: { name: 'shop' }, spec: { template: { spec: {} }, placement: { clusters: [{ name: 'edge-1' }] } } });
  const teamB = create(WS, 'Workspace', { metadata: { name: 'team-b' } });
  create(WS, 'Workspace', { metadata: { name: 'shop-eu', labels: { 'kubefed.io/managed': 'true' } } });
  const owner = (w: any) => [{ apiVersion: WS, kind: 'Workspace', name: w.metadata.name, uid: w.metadata.uid }];
  for (const name of ['shop-web', 'shop-db']) {
    create('v1', 'Namespace', { metadata: { name, labels: { [WORKSPACE_LABEL]: 'shop', 'kubesphere.io/namespace': name }, ownerReferences: owner(shop) } });
  }
  create('v1', 'Namespace', { metadata: { name: 'team-b-app', labels: { [WORKSPACE_LABEL]: 'team-b' }, ownerReferences: owner(teamB) } });
  create('v1', 'ConfigMap', { metadata: { name: 'orders', namespace: 'shop-db' }, data: { rows: '42' } }, 'shop-db');
}

describe('moveMember on the sandbox', () => {
  let sandbox: Sandbox;
  let kubeconfig: string;
  beforeEach(async () => {
    sandbox = await Sandbox.start({ clusters: ['new-host', 'edge-1', 'old-host'], establishDelayMs: 5, rolloutDelayMs: 5, kubesphereDelayMs: 5 });
    kubeconfig = path.join(tmpdir('ksfed-move-'), 'kubeconfig');
    fs.writeFileSync(kubeconfig, sandbox.kubeconfigYaml());
    seedMember(sandbox);
  });
  afterEach(() => sandbox.stop());

  const edge = () => sandbox.cluster('edge-1');
  const ns = (name: string) => edge().get('v1', 'Namespace', name);
  const writes = () => mutations(sandbox).length;
  const move = (extra: Partial<MoveMemberOptions> = {}) => moveMember({ kubeconfig, context: 'edge-1', workspace: 'shop-eu', from: ['shop'], oldHostRemoved: true, ...extra });

  test('dry run: every namespace and workspace it would touch, nothing changed', async () => {
    const report = await move({ dryRun: true });
    expect(report).toMatchObject({ outcome: 'would-move', from: ['shop'], refusals: [], deletes: ['WorkspaceTemplate shop', 'Workspace shop'] });
    expect(report.namespaces).toEqual([
      { name: 'shop-db', from: 'shop', steps: ['unbind', 'bind'] },
      { name: 'shop-web', from: 'shop', steps: ['unbind', 'bind'] },
    ]);
    expect(writes()).toBe(0);
    expect(formatMove(report)).toBe([
      'move-member edge-1 (context edge-1): shop -> shop-eu (dry run)',
      'NAMESPACE  FROM  STEPS',
      'shop-db    shop  unbind, bind',
      'shop-web   shop  unbind, bind',
      'deletes on the member: WorkspaceTemplate shop, Workspace shop',
      'would move 2 namespaces into workspace shop-eu; nothing was changed',
    ].join('\n'));
  });

  test('the move: projects unbound, the old workspace deleted, projects bound to the new one, their content kept; a re-run has nothing to do', async () => {
    // WHEN
    const report = await move();
    // THEN
    expect(report.outcome).toBe('moved');
    expect(report.namespaces.map(n => n.name)).toEqual(['shop-db', 'shop-web']);
    for (const name of ['shop-db', 'shop-web']) {
      const meta = ns(name).metadata;
      expect(meta.labels[WORKSPACE_LABEL]).toBe('shop-eu');
      expect(meta.ownerReferences).toBeUndefined();
      expect(meta.annotations?.[MOVING_TO_ANNOTATION]).toBeUndefined();
      expect(meta.annotations?.[MOVING_FROM_ANNOTATION]).toBeUndefined();
      expect(meta.managedFields.some((m: any) => m.manager === MOVE_FIELD_MANAGER)).toBe(true);
    }
    expect(edge().get(WS, 'Workspace', 'shop')).toBeUndefined();
    expect(edge().get(WST, 'WorkspaceTemplate', 'shop')).toBeUndefined();
    expect(edge().get('v1', 'ConfigMap', 'orders', 'shop-db').data).toEqual({ rows: '42' });
    expect(ns('team-b-app').metadata.labels[WORKSPACE_LABEL]).toBe('team-b');
    expect(formatMove(report)).toMatch(/^NAMESPACE {2}FROM {2}DONE$/m);
    expect(formatMove(report)).toMatch(/moved 2 namespaces into workspace shop-eu$/);
    // AND a re-run changes nothing
    const before = writes();
    expect((await move()).outcome).toBe('nothing-to-do');
    expect(writes()).toBe(before);
  });

  test('the sandbox collects what a deleted Workspace owns: without the unbinding, its project goes with it', async () => {
    // (the control of the test above: deleting the team-b Workspace as is deletes its bound namespace)
    edge().api.delete(edge().api.typeOf(WS, 'Workspace'), undefined, 'team-b');
    for (let i = 0; i < 100 && ns('team-b-app') && !ns('team-b-app').metadata.deletionTimestamp; i++) await new Promise(r => setTimeout(r, 10));
    expect(ns('team-b-app') === undefined || ns('team-b-app').metadata.deletionTimestamp !== undefined).toBe(true);
  });

  test('an interrupted move (the deletion failed) is finished by running it again', async () => {
    // GIVEN the deletion of the old workspace fails once
    const kc = loadKubeConfig(kubeconfig);
    let failures = 1;
    const clientFactory = (context: string) => {
      const real = new ClientNodeKubeClient({ cluster: context, kubeConfig: kc, context });
      return {
        get: real.get.bind(real),
        list: real.list.bind(real),
        mergePatch: real.mergePatch.bind(real),
        delete: async (ref: any) => {
          if (failures-- > 0) throw new KubeApiError(0, 'ECONNRESET', 'connection reset');
          return real.delete(ref);
        },
      };
    };
    const first = await move({ clientFactory });
    expect(first.outcome).toBe('failed');
    expect(first.error).toBe('connection reset. Fix: run the same move again: it finishes what was started');
    expect(formatMove(first)).toMatch(/stopped part-way: run the same move again to finish it$/);
    // (unbound, and each says where it goes)
    expect(ns('shop-web').metadata.labels[WORKSPACE_LABEL]).toBeUndefined();
    expect(ns('shop-web').metadata.annotations).toMatchObject({ [MOVING_TO_ANNOTATION]: 'shop-eu', [MOVING_FROM_ANNOTATION]: 'shop' });
    // WHEN run again
    const second = await move({ clientFactory });
    // THEN
    expect(second.outcome).toBe('moved');
    expect(second.namespaces).toEqual([{ name: 'shop-db', from: 'shop', steps: ['bind'] }, { name: 'shop-web', from: 'shop', steps: ['bind'] }]);
    expect(ns('shop-web').metadata.labels[WORKSPACE_LABEL]).toBe('shop-eu');
    expect(edge().get(WS, 'Workspace', 'shop')).toBeUndefined();
    expect((await move({ clientFactory })).outcome).toBe('nothing-to-do');
  });

  describe('refusals: before any write, each naming the fix', () => {
    const refused = async (report: MoveReport, pattern: RegExp) => {
      expect(report.outcome).toBe('refused');
      expect(report.refusals.join('\n')).toMatch(pattern);
      expect(writes()).toBe(0);
      expect(formatMove(report)).toMatch(/^refused: .*\nrefused: nothing was changed$|refused: nothing was changed$/s);
    };

    test('the target workspace does not exist on the member', async () => {
      await refused(await move({ workspace: 'shop-us' }),
        /^workspace shop-us does not exist on edge-1: its projects would be bound to nothing\. Fix: join the member to the new host, place shop-us on it there/);
    });

    test('the target workspace was made on the member itself, not propagated by a host', async () => {
      await refused(await move({ workspace: 'team-b', from: ['shop'] }),
        /^workspace team-b on edge-1 was not made by a host \(it is not labelled kubefed\.io\/managed=true, as KubeFed labels what it propagates\): the new host would not see the projects bound to it\. Fix: place team-b on the member from the new host/);
    });

    test('a namespace of a workspace that does not move is owned by the Workspace the move deletes', async () => {
      edge().api.mergePatch(edge().api.typeOf('v1', 'Namespace'), undefined, 'team-b-app', {
        metadata: { ownerReferences: [{ apiVersion: WS, kind: 'Workspace', name: 'shop', uid: edge().get(WS, 'Workspace', 'shop').metadata.uid }] },
      }, 'kubectl');
      sandbox.cluster('edge-1').requests.length = 0;
      await refused(await move(), /^namespace team-b-app is in workspace team-b, which does not move, but is owned by Workspace shop, which the move deletes: the garbage collector would delete team-b-app with it\. Fix: add --from team-b/);
    });

    test('a namespace labelled with one workspace and owned by another', async () => {
      edge().api.mergePatch(edge().api.typeOf('v1', 'Namespace'), undefined, 'shop-web', {
        metadata: { ownerReferences: [{ apiVersion: WS, kind: 'Workspace', name: 'team-b', uid: edge().get(WS, 'Workspace', 'team-b').metadata.uid }] },
      }, 'kubectl');
      sandbox.cluster('edge-1').requests.length = 0;
      await refused(await move(), /^namespace shop-web is labelled workspace shop but owned by Workspace team-b: which workspace it belongs to is ambiguous/);
    });

    test('the member is still joined to its old host (its Cluster, or its KubeFedCluster, is still there), or the old host cannot be asked', async () => {
      const old = sandbox.cluster('old-host');
      old.api.create(old.api.typeOf('cluster.kubesphere.io/v1alpha1', 'Cluster'), undefined,
        { apiVersion: 'cluster.kubesphere.io/v1alpha1', kind: 'Cluster', metadata: { name: 'edge-1' }, spec: { joinFederation: true } }, { fieldManager: 'kubectl' });
      await refused(await move({ oldHostRemoved: undefined, oldHostContext: 'old-host' }),
        /^the old host \(context old-host\) still has Cluster edge-1: it still joins the member, and its KubeFed would put the old workspace back and delete what moved\. Fix: remove the member there first \(kubectl --context old-host delete cluster edge-1\)/);
      old.api.delete(old.api.typeOf('cluster.kubesphere.io/v1alpha1', 'Cluster'), undefined, 'edge-1');
      old.crds.install(kubeFedClusterCrd(), 'ksfed');
      old.api.create(old.api.typeOf('v1', 'Namespace'), undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-federation-system' } }, { fieldManager: 'kubefed' });
      old.api.create(old.api.typeOf('core.kubefed.io/v1beta1', 'KubeFedCluster'), 'kube-federation-system', {
        apiVersion: 'core.kubefed.io/v1beta1', kind: 'KubeFedCluster', metadata: { name: 'edge-1', namespace: 'kube-federation-system' }, spec: { apiEndpoint: 'https://10.0.0.5:6443', secretRef: { name: 'edge-1-secret' } },
      }, { fieldManager: 'kubefed' });
      await refused(await move({ oldHostRemoved: undefined, oldHostContext: 'old-host' }), /^the old host \(context old-host\) still has KubeFedCluster kube-federation-system\/edge-1/);
      old.setDown(true);
      await refused(await move({ oldHostRemoved: undefined, oldHostContext: 'old-host' }), /^the old host \(context old-host\) cannot be asked whether it still joins edge-1: .*\. Fix: make it reachable, or pass --old-host-removed/);
    });

    test('what moves was propagated by a host, and neither the old host\'s context nor --old-host-removed is given', async () => {
      await refused(await move({ oldHostRemoved: undefined }),
        /^the old workspace or its projects were propagated by a host's KubeFed \(labelled kubefed\.io\/managed=true\): while that host still joins edge-1, it would put them back and delete what moved\. Fix: pass --old-host-context CONTEXT/);
    });

    test('the target among --from, KubeSphere\'s own workspace, a namespace half-way to another workspace', async () => {
      await refused(await move({ from: ['shop', 'shop-eu'] }), /^--from shop-eu is the target workspace/);
      await refused(await move({ from: ['system-workspace'] }), /^--from system-workspace: that is KubeSphere's own workspace/);
      edge().api.mergePatch(edge().api.typeOf('v1', 'Namespace'), undefined, 'shop-web', { metadata: { annotations: { [MOVING_TO_ANNOTATION]: 'shop-us' } } }, 'kubectl');
      sandbox.cluster('edge-1').requests.length = 0;
      await refused(await move(), /^namespace shop-web is half-way to workspace shop-us \(an earlier move stopped after unbinding it\)\. Fix: finish that move first \(--workspace shop-us\)/);
    });
  });

  test('bad input is a UsageError', async () => {
    await expect(move({ workspace: 'Shop EU' })).rejects.toThrow(UsageError);
    await expect(move({ workspace: 'Shop EU' })).rejects.toThrow(/^--workspace "Shop EU": not a workspace name \(a DNS-1123 label: lower-case letters, digits and '-'\)\. Fix: /);
    await expect(move({ from: [] })).rejects.toThrow(/^--from is missing: name the workspace\(s\) whose projects move\. Fix: pass --from WORKSPACE/);
    await expect(move({ context: 'nowhere' })).rejects.toThrow(/^--context nowhere: no such context in the kubeconfig; it has: new-host, edge-1, old-host\. Fix: pass one of them$/);
    await expect(move({ oldHostRemoved: undefined, oldHostContext: 'edge-1' })).rejects.toThrow(/^--old-host-context edge-1 is the member's own context\. Fix: /);
    await expect(move({ oldHostContext: 'old-host' })).rejects.toThrow(/^--old-host-context and --old-host-removed exclude each other\. Fix: /);
    expect(writes()).toBe(0);
  });

  test('a member that cannot be read: failed, naming the context and the fix', async () => {
    edge().setDown(true);
    const report = await move();
    expect(report.outcome).toBe('failed');
    expect(report.error).toMatch(/^reading edge-1: .*\. Fix: check the context reaches the member, then run again$/);
  });
});
