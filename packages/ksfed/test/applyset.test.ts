import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ComponentOwner, FederationApp, Host } from 'cdk8s-kubesphere-federation';
import { Sandbox } from 'ksfed-sandbox';
import { FAST, tmpdir } from './fixtures';
import { hasKubectl } from '../../ksfed-sandbox/test/util/kubectl';
import { apply } from '../src';
import {
  APPLYSET_GROUP_KINDS_ANNOTATION, APPLYSET_ID_LABEL, APPLYSET_NAMESPACES_ANNOTATION, APPLYSET_TOOLING_ANNOTATION, applySetId,
  APPLYSET_PART_OF_LABEL, CLUSTERS_ANNOTATION, groupKindOf, KSFED_APPLYSET_ID, memberKey, parentManifest, parentProblem, parseParent, pruneRank,
  sameState, stateOf, unionOf,
} from '../src/applyset';

describe('ApplySet id', () => {
  test('matches kubectl for the Secret my-set in namespace test (kubectl apply_test.go)', () => {
    // GIVEN kubectl's formula base64url(sha256(<name>.<namespace>.<kind>.<group>)), pinned by kubectl's own test
    // THEN
    expect(applySetId({ name: 'my-set', namespace: 'test', kind: 'Secret', group: '' })).toBe('applyset-0eFHV8ySqp7XoShsGvyWFQD3s96yqwHmzc4e0HR1dsY-v1');
  });

  test('ksfed parent is the Secret kube-system/ksfed-applyset', () => {
    expect(KSFED_APPLYSET_ID).toBe(applySetId({ name: 'ksfed-applyset', namespace: 'kube-system', kind: 'Secret', group: '' }));
    expect(KSFED_APPLYSET_ID).toMatch(/^applyset-[A-Za-z0-9_-]{43}-v1$/);
  });

  test('cluster-scoped parents have an empty namespace part', () => {
    expect(applySetId({ name: 'x', kind: 'ClusterApplySet', group: 'example.com' })).toBe(applySetId({ name: 'x', namespace: '', kind: 'ClusterApplySet', group: 'example.com' }));
    expect(applySetId({ name: 'x', kind: 'A', group: 'g' })).not.toBe(applySetId({ name: 'x', kind: 'A', group: 'h' }));
  });
});

describe('group-kinds and state', () => {
  test('Kind.group, Kind for core', () => {
    expect(groupKindOf('apps/v1', 'Deployment')).toBe('Deployment.apps');
    expect(groupKindOf('v1', 'ConfigMap')).toBe('ConfigMap');
    expect(memberKey({ apiVersion: 'apps/v1beta1', kind: 'Deployment', namespace: 'a', name: 'b' })).toBe(memberKey({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'a', name: 'b' }));
  });

  test('parent manifest round-trips and excludes its own namespace from additional-namespaces', () => {
    // GIVEN
    const state = stateOf([
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'web' },
      { apiVersion: 'v1', kind: 'Namespace' },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', namespace: 'kube-system' },
    ]);
    // WHEN
    const parent = parentManifest(state, '1.2.3');
    // THEN
    expect(parent.metadata.labels[APPLYSET_ID_LABEL]).toBe(KSFED_APPLYSET_ID);
    expect(parent.metadata.annotations[APPLYSET_TOOLING_ANNOTATION]).toBe('ksfed/1.2.3');
    expect(parent.metadata.annotations[APPLYSET_GROUP_KINDS_ANNOTATION]).toBe('Deployment.apps,Namespace,RoleBinding.rbac.authorization.k8s.io');
    expect(parent.metadata.annotations[APPLYSET_NAMESPACES_ANNOTATION]).toBe('web');
    const parsed = parseParent(parent);
    expect(sameState(parsed, { ...state, namespaces: new Set([...state.namespaces, 'kube-system']) })).toBe(true);
    // the parent's own namespace is never listed, so a folder without objects there still records the same state
    // (else every prune would rewrite the parent)
    const elsewhere = stateOf([{ apiVersion: 'v1', kind: 'Secret', namespace: 'web' }]);
    expect(sameState(parseParent(parentManifest(elsewhere)), elsewhere)).toBe(true);
    expect(parsed.groupKinds.get('Deployment.apps')).toBe('apps/v1');
  });

  test('the host\'s record of the clusters round-trips, is merged by union and compared by sameState; members have none', () => {
    const state = { ...stateOf([{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'a' }]), clusters: ['host', 'edge-1'] };
    const parent = parentManifest(state, '1.2.3');
    expect(parent.metadata.annotations[CLUSTERS_ANNOTATION]).toBe('edge-1,host');
    expect(parseParent(parent).clusters).toEqual(['edge-1', 'host']);
    expect(parseParent(parentManifest(stateOf([]))).clusters).toBeUndefined();
    expect(parentManifest(stateOf([])).metadata.annotations[CLUSTERS_ANNOTATION]).toBeUndefined();
    // a removed cluster stays in the union until it is forgotten; a change of the record is a change of state
    const next = unionOf(parseParent(parent), { ...stateOf([{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'a' }]), clusters: ['host'] });
    expect(next.clusters).toEqual(['edge-1', 'host']);
    expect(sameState(next, parseParent(parent))).toBe(true);
    expect(sameState(next, { ...next, clusters: ['host'] })).toBe(false);
    expect(sameState(next, { ...next, clusters: undefined })).toBe(false);
  });

  test('union keeps old kinds and namespaces (the superset recorded before applying)', () => {
    const old = stateOf([{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'a' }]);
    const now = stateOf([{ apiVersion: 'v1', kind: 'Secret', namespace: 'b' }]);
    const u = unionOf(old, now);
    expect([...u.groupKinds.keys()].sort()).toEqual(['ConfigMap', 'Secret']);
    expect([...u.namespaces].sort()).toEqual(['a', 'b']);
    expect(sameState(u, now)).toBe(false);
  });
});

describe('parent ownership', () => {
  test('no parent, or ksfed\'s own, is fine', () => {
    expect(parentProblem(undefined)).toBeUndefined();
    expect(parentProblem(parentManifest(stateOf([])))).toBeUndefined();
  });

  test('refuses a parent of other tooling', () => {
    const other = parentManifest(stateOf([]));
    other.metadata.annotations[APPLYSET_TOOLING_ANNOTATION] = 'kubectl/v1.29';
    expect(parentProblem(other)).toMatch(/managed by "kubectl\/v1.29", not ksfed/);
  });

  test('refuses a plain Secret with that name, and a foreign id', () => {
    expect(parentProblem({ metadata: { name: 'ksfed-applyset' } })).toMatch(/not an ApplySet parent/);
    expect(parentProblem({ metadata: { labels: { [APPLYSET_ID_LABEL]: 'applyset-x-v1' }, annotations: { [APPLYSET_TOOLING_ANNOTATION]: 'ksfed/0' } } })).toMatch(/refusing/);
  });
});

test('prune order: namespaced, cluster-scoped, Namespaces, CRDs last', () => {
  const objs = [
    { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' },
    { apiVersion: 'v1', kind: 'Namespace' },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' },
    { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'a' },
  ];
  expect([...objs].sort((a, b) => pruneRank(a) - pruneRank(b)).map(o => o.kind)).toEqual(['ConfigMap', 'ClusterRole', 'Namespace', 'CustomResourceDefinition']);
});


const kubectlSuite = hasKubectl() ? describe : describe.skip;
if (!hasKubectl()) {
  // eslint-disable-next-line no-console
  console.warn('kubectl is not installed: skipping the test that kubectl reads ksfed\'s ApplySet parent');
}

// What kubectl 1.32 itself makes of the parent and members ksfed writes (kubectl's applyset.go, FetchParent).
// kubectl checks the parent in this order: the tooling annotation's base name must be "kubectl", THEN the
// `applyset.kubernetes.io/id` label must equal the id kubectl computes from `--applyset` and `-n`, THEN it reads
// contains-group-kinds and additional-namespaces. So kubectl's refusal of ksfed's own parent (tooling "ksfed")
// proves nothing about the id: kubectl stops before comparing it (shown below with a wrong id, same message).
// The proof is the hand-off: once only the tooling annotation says kubectl, kubectl (a) reports the id it computes
// for the parent and it is ours, (b) accepts our id label, and (c) prunes ksfed's members of kinds and in a
// namespace that only our annotations name (its manifest holds one ConfigMap in kube-system).
kubectlSuite('kubectl reads ksfed\'s ApplySet parent (skipped when kubectl is absent)', () => {
  jest.setTimeout(20000);
  const PROBE = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kubectl-probe, namespace: kube-system}\ndata: {a: b}\n';
  // kubectl 1.32 hides --applyset behind KUBECTL_APPLYSET=true (without it: "unknown flag: --applyset"); a
  // namespaced parent needs -n ("namespace is required to use namespace-scoped ApplySet"). `secret/NAME`,
  // `secrets/NAME` and a bare `NAME` (Secret is the default kind) name the same parent.
  const APPLYSET_ARGS = ['apply', '--server-side', '--prune', '--applyset=secret/ksfed-applyset', '-n', 'kube-system'];
  const PARENT = '"secrets./ksfed-applyset"'; // how kubectl 1.32 prints the parent reference
  let sandbox: Sandbox;
  let dir: string;
  let kubeconfig: string;
  let probe: string;

  const kubectl = (...args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', path.join(dir, 'cache'), '--context', 'host', ...args],
      { timeout: 20000, env: { ...process.env, KUBECTL_APPLYSET: 'true' } },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }));
  });
  const lines = (text: string) => text.split('\n').filter(Boolean);
  const host = () => sandbox.cluster('host');
  const parent = () => host().get('v1', 'Secret', 'ksfed-applyset', 'kube-system');
  const patchParent = (metadata: any) => host().api.mergePatch(host().api.typeOf('v1', 'Secret'), 'kube-system', 'ksfed-applyset', { metadata }, 'test');
  const members = () => [
    ...host().list('cluster.kubesphere.io/v1alpha1', 'Cluster').map((o: any) => `Cluster ${o.metadata.name}`),
    ...host().list('installer.kubesphere.io/v1alpha1', 'ClusterConfiguration').map((o: any) => `ClusterConfiguration ${o.metadata.namespace}/${o.metadata.name}`),
  ].sort();

  beforeAll(async () => {
    // GIVEN a host whose folder holds objects of two custom kinds, one of them in kubesphere-system, applied by
    // ksfed with --prune: ksfed writes the parent Secret and labels both objects part-of its id
    sandbox = await Sandbox.start({ clusters: ['host'], anonymous: true, establishDelayMs: 5, rolloutDelayMs: 5, kubesphereDelayMs: 5 });
    dir = tmpdir('ksfed-applyset-kubectl-');
    kubeconfig = path.join(dir, 'sandbox.kubeconfig');
    fs.writeFileSync(kubeconfig, sandbox.kubeconfigYaml());
    probe = path.join(dir, 'probe.yaml');
    fs.writeFileSync(probe, PROBE);
    const app = new FederationApp({ outdir: path.join(dir, 'dist') });
    new Host(app, 'host', { name: 'host', componentOwner: ComponentOwner.INSTALLER });
    app.synth();
    const report = await apply(path.join(dir, 'dist'), { kubeconfig, prune: true, ...FAST });
    expect(report.success).toBe(true);
    expect(members()).toEqual(['Cluster host', 'ClusterConfiguration kubesphere-system/ks-installer']);
    expect(parent().metadata.labels).toEqual({ 'applyset.kubernetes.io/id': KSFED_APPLYSET_ID });
    expect(parent().metadata.annotations).toMatchObject({
      [APPLYSET_TOOLING_ANNOTATION]: expect.stringMatching(/^ksfed\//),
      [APPLYSET_GROUP_KINDS_ANNOTATION]: 'Cluster.cluster.kubesphere.io,ClusterConfiguration.installer.kubesphere.io',
      [APPLYSET_NAMESPACES_ANNOTATION]: 'kubesphere-system',
      // the host's record of the federation's clusters travels on the same parent (kubectl ignores it, below)
      [CLUSTERS_ANNOTATION]: 'host',
    });
  });
  afterAll(async () => {
    await sandbox?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('kubectl refuses ksfed\'s parent because of the tooling annotation, before it compares the id label', async () => {
    const refusal = `error: ApplySet parent object ${PARENT} already exists and is managed by tooling "ksfed" instead of "kubectl"`;
    // WHEN kubectl is pointed at ksfed's parent
    const res = await kubectl(...APPLYSET_ARGS, '-f', probe);
    // THEN it refuses on the tooling, applies nothing and prunes nothing
    expect(res.code).toBe(1);
    expect(lines(res.stderr)).toEqual([refusal]);
    expect(res.stdout).toBe('');
    expect(host().get('v1', 'ConfigMap', 'kubectl-probe', 'kube-system')).toBeUndefined();
    expect(members()).toEqual(['Cluster host', 'ClusterConfiguration kubesphere-system/ks-installer']);

    // AND a wrong id label changes nothing in that message: the tooling check comes first
    patchParent({ labels: { [APPLYSET_ID_LABEL]: 'applyset-wrong-v1' } });
    try {
      expect(lines((await kubectl(...APPLYSET_ARGS, '--dry-run=server', '-f', probe)).stderr)).toEqual([refusal]);
    } finally {
      patchParent({ labels: { [APPLYSET_ID_LABEL]: KSFED_APPLYSET_ID } });
    }
  });

  test('handed to kubectl, the parent\'s id is the one kubectl computes, and kubectl prunes ksfed\'s members by our annotations', async () => {
    // GIVEN the parent handed over to kubectl: only the tooling annotation changes
    patchParent({ annotations: { [APPLYSET_TOOLING_ANNOTATION]: 'kubectl/v1.32.4' } });

    // WHEN the id label is wrong, THEN kubectl names the id it computes for secret kube-system/ksfed-applyset: ours
    patchParent({ labels: { [APPLYSET_ID_LABEL]: 'applyset-wrong-v1' } });
    const wrong = await kubectl(...APPLYSET_ARGS, '--dry-run=server', '-f', probe);
    expect(wrong.code).toBe(1);
    expect(lines(wrong.stderr)).toEqual([
      `error: ApplySet parent object ${PARENT} exists and has incorrect value for label "applyset.kubernetes.io/id" (got: applyset-wrong-v1, want: ${KSFED_APPLYSET_ID})`,
    ]);
    patchParent({ labels: { [APPLYSET_ID_LABEL]: KSFED_APPLYSET_ID } });

    // WHEN kubectl applies a set that no longer holds ksfed's two objects (server dry run)
    const dry = await kubectl(...APPLYSET_ARGS, '--dry-run=server', '-f', probe);
    // THEN it accepts our id label, and finds and would prune exactly ksfed's members: Cluster and
    // ClusterConfiguration are kinds only contains-group-kinds names, kubesphere-system a namespace only
    // additional-namespaces names (kubectl lists each recorded kind in each recorded namespace by our part-of label)
    expect(dry.code).toBe(0);
    // (kubectl prunes in parallel: the order of its lines varies)
    expect(lines(dry.stdout).sort()).toEqual([
      'cluster.cluster.kubesphere.io/host pruned (server dry run)',
      'clusterconfiguration.installer.kubesphere.io/ks-installer pruned (server dry run)',
      'configmap/kubectl-probe serverside-applied (server dry run)',
    ]);
    expect(members()).toEqual(['Cluster host', 'ClusterConfiguration kubesphere-system/ks-installer']);

    // WHEN it does so for real, THEN they are gone and kubectl labels its own member with our id
    const real = await kubectl(...APPLYSET_ARGS, '-f', probe);
    expect(real.code).toBe(0);
    expect(lines(real.stdout).sort()).toEqual([
      'cluster.cluster.kubesphere.io/host pruned',
      'clusterconfiguration.installer.kubesphere.io/ks-installer pruned',
      'configmap/kubectl-probe serverside-applied',
    ]);
    expect(members()).toEqual([]);
    expect(host().get('v1', 'ConfigMap', 'kubectl-probe', 'kube-system').metadata.labels).toEqual({ [APPLYSET_PART_OF_LABEL]: KSFED_APPLYSET_ID });
    // kubectl then rewrites the parent's ApplySet annotations (taking them over from the "ksfed" field manager,
    // which it reports as conflicts it forces on stderr); the id label stays ours
    expect(parent().metadata.labels[APPLYSET_ID_LABEL]).toBe(KSFED_APPLYSET_ID);
    expect(parent().metadata.annotations[APPLYSET_GROUP_KINDS_ANNOTATION]).toBe('ConfigMap');
  });
});
