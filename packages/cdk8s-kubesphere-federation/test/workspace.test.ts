import { BuiltInWorkspaceRole, Connection, Host, Member, Placement, Workspace, WorkspaceDeletionPolicy } from '../src';
import { dnsLabelProblem } from '../src/_util';
import { objectOf, objectsOf, testApp } from './util/fleet';
import { describeWithUpstream, loadUpstreamCrd, validateAgainstCrd } from './util/schema';

function fleet() {
  const app = testApp();
  const host = new Host(app, 'host', { name: 'host' });
  const a = new Member(app, 'a', { host, name: 'a', region: 'eu', connection: Connection.direct() });
  const b = new Member(app, 'b', { host, name: 'b', region: 'us', connection: Connection.agent() });
  const c = new Member(app, 'c', { host, name: 'c', region: 'us', connection: Connection.direct() });
  return { app, host, a, b, c };
}

describe('Workspace', () => {
  test('WorkspaceTemplate placed on its clusters, orphan finalizer by default (snapshot)', () => {
    const { app, host, a, b } = fleet();
    new Workspace(host, 'shop', { name: 'shop', manager: 'alice', placement: Placement.clusters(a, b), displayName: 'Shop', description: 'The shop' });
    const wt = objectOf(app, 'host', 'WorkspaceTemplate', 'shop');
    expect(wt).toMatchSnapshot();
    expect(wt.metadata.finalizers).toEqual(['orphan.finalizers.kubesphere.io']);
    expect(wt.metadata.labels).toEqual({ 'kubefed.io/managed': 'false' });
    expect(wt.spec).toEqual({ template: { spec: { manager: 'alice', networkIsolation: false } }, placement: { clusters: [{ name: 'a' }, { name: 'b' }] } });
  });

  test('WorkspaceDeletionPolicy.DELETE drops the finalizer; selector placement', () => {
    const { app, host } = fleet();
    new Workspace(host, 'ws', { name: 'ws', placement: Placement.members(), deletionPolicy: WorkspaceDeletionPolicy.DELETE, networkIsolation: true });
    const wt = objectOf(app, 'host', 'WorkspaceTemplate', 'ws');
    expect(wt.metadata.finalizers).toBeUndefined();
    expect(wt.spec.placement).toEqual({ clusterSelector: { matchExpressions: [{ key: 'cluster-role.kubesphere.io/host', operator: 'DoesNotExist' }] } });
    expect(wt.spec.template.spec.networkIsolation).toBe(true);
  });

  test('members and roles: KubeSphere\'s binding names and labels', () => {
    const { app, host } = fleet();
    const ws = new Workspace(host, 'shop', { name: 'shop', placement: Placement.members() });
    ws.addMember('bob', BuiltInWorkspaceRole.VIEWER);
    const role = ws.addRole('deployer', { displayName: 'Deployer', rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'] }] });
    expect(role.objectName).toBe('shop-deployer');
    ws.addMemberWithRole('carol', role);
    expect(objectOf(app, 'host', 'WorkspaceRoleBinding', 'bob-shop-viewer')).toEqual({
      apiVersion: 'iam.kubesphere.io/v1alpha2',
      kind: 'WorkspaceRoleBinding',
      metadata: { name: 'bob-shop-viewer', labels: { 'iam.kubesphere.io/user-ref': 'bob', 'kubesphere.io/workspace': 'shop', 'kubefed.io/managed': 'false' } },
      roleRef: { apiGroup: 'iam.kubesphere.io', kind: 'WorkspaceRole', name: 'shop-viewer' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'bob' }],
    });
    expect(objectOf(app, 'host', 'WorkspaceRoleBinding', 'carol-shop-deployer').roleRef.name).toBe('shop-deployer');
    const wr = objectOf(app, 'host', 'WorkspaceRole', 'shop-deployer');
    expect(wr.metadata).toEqual({ name: 'shop-deployer', labels: { 'kubesphere.io/workspace': 'shop', 'kubefed.io/managed': 'false' }, annotations: { 'kubesphere.io/alias-name': 'Deployer' } });
    expect(wr.rules).toEqual([{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'] }]);
  });

  test('single-cluster project: a plain Namespace in that member\'s folder', () => {
    const { app, host, a } = fleet();
    const ws = new Workspace(host, 'shop', { name: 'shop', placement: Placement.members() });
    const project = ws.addProject('shop-dev', { placement: Placement.clusters(a), displayName: 'Dev' });
    expect(project.singleCluster).toBe(a);
    expect(objectOf(app, 'a', 'Namespace', 'shop-dev').metadata).toEqual({ name: 'shop-dev', labels: { 'kubesphere.io/workspace': 'shop' }, annotations: { 'kubesphere.io/alias-name': 'Dev' } });
    expect(objectsOf(app, 'host', 'Namespace', 'shop-dev')).toEqual([]);
    expect(objectsOf(app, 'host', 'FederatedNamespace')).toEqual([]);
  });

  test('multi-cluster project: host Namespace with the console\'s labels + FederatedNamespace (snapshot)', () => {
    const { app, host, a, b } = fleet();
    const ws = new Workspace(host, 'shop', { name: 'shop', placement: Placement.members() });
    const project = ws.addProject('shop-prod', { placement: Placement.clusters(a, b), labels: { team: 'web' } });
    expect(project.clusterNames).toEqual(['a', 'b']);
    expect(objectOf(app, 'host', 'Namespace', 'shop-prod').metadata.labels).toEqual({
      'team': 'web', 'kubesphere.io/workspace': 'shop', 'kubesphere.io/kubefed-host-namespace': 'true', 'kubefed.io/managed': 'false',
    });
    const fns = objectOf(app, 'host', 'FederatedNamespace', 'shop-prod');
    expect(fns).toMatchSnapshot();
    expect(fns.metadata.namespace).toBe('shop-prod');
    expect(fns.spec.placement).toEqual({ clusters: [{ name: 'a' }, { name: 'b' }] });
    expect(fns.spec.template.metadata.labels['kubesphere.io/workspace']).toBe('shop');
    // a project defaults to its workspace's placement
    expect(ws.addProject('shop-all').clusterNames).toEqual(['a', 'b', 'c']);
  });

  describe('validation', () => {
    test('project placement outside the workspace\'s', () => {
      const { host, a, c } = fleet();
      const ws = new Workspace(host, 'shop', { name: 'shop', placement: Placement.clusters(a) });
      expect(() => ws.addProject('p', { placement: Placement.clusters(a, c) })).toThrow(
        /\[host\/shop\/Project-p\] placement "clusters a, c": clusters c are outside workspace "shop"'s placement \(a\). Fix: place the project within its workspace's clusters/);
    });

    test('placement naming a member of another host', () => {
      const { host } = fleet();
      const other = fleet();
      expect(() => new Workspace(host, 'shop', { name: 'shop', placement: Placement.clusters(other.a) })).toThrow(
        /\[host\/shop\] placement "a": a is not a member of host host. Fix: place only onto members of this federation's host/);
    });

    test('duplicate workspace, project, role and binding names', () => {
      const { host, a } = fleet();
      const ws = new Workspace(host, 'shop', { name: 'shop', placement: Placement.members() });
      expect(() => new Workspace(host, 'shop2', { name: 'shop', placement: Placement.members() })).toThrow(/\[host\/shop2\] name "shop": workspace name already used by host\/shop/);
      ws.addProject('p', { placement: Placement.clusters(a) });
      const ws2 = new Workspace(host, 'other', { name: 'other', placement: Placement.members() });
      expect(() => ws2.addProject('p')).toThrow(/\[host\/other\] addProject name "p": project name already used by host\/shop\/Project-p/);
      ws.addRole('r', { rules: [{ resources: ['pods'], verbs: ['get'] }] });
      expect(() => ws.addRole('r', { rules: [{ resources: ['pods'], verbs: ['get'] }] })).toThrow(/addRole name "r": the workspace already has a role of that name/);
      ws.addMember('bob', BuiltInWorkspaceRole.ADMIN);
      expect(() => ws.addMember('bob', BuiltInWorkspaceRole.ADMIN)).toThrow(/user "bob": the user is already bound to shop-admin/);
    });

    test('names and rules', () => {
      const { host } = fleet();
      expect(() => new Workspace(host, 'w', { name: 'My Shop', placement: Placement.members() })).toThrow(/\[host\/w\] name "My Shop": it must be a DNS-1123 label.*Fix: use a name like "my-shop"/);
      const ws = new Workspace(host, 'shop', { name: 'shop', placement: Placement.members() });
      expect(() => ws.addProject('kube-things')).toThrow(/name "kube-things": it is a system namespace name/);
      expect(() => ws.addRole('admin', { rules: [{ resources: ['pods'], verbs: ['get'] }] })).toThrow(/addRole name "admin": it is the name of a built-in workspace role/);
      expect(() => ws.addRole('x', { rules: [] })).toThrow(/addRole\("x"\) rules \[\]: a role without rules grants nothing/);
      expect(() => ws.addRole('y', { rules: [{ resources: ['pods'], verbs: ['read'] }] })).toThrow(/addRole\("y"\) rules\[0\].verbs \["read"\]: unknown verbs read/);
      expect(() => ws.addMember('Bob', BuiltInWorkspaceRole.ADMIN)).toThrow(/user "Bob": not a KubeSphere user name/);
      expect(() => ws.addMember('bob', 'owner' as any)).toThrow(/addMember role "owner": it is not a built-in workspace role/);
      const other = new Workspace(host, 'o', { name: 'o', placement: Placement.members() });
      const role = other.addRole('r', { rules: [{ resources: ['pods'], verbs: ['get'] }] });
      expect(() => ws.addMemberWithRole('bob', role)).toThrow(/addMemberWithRole role "o-r": the role belongs to workspace "o"/);
    });
  });
});

describe('name suggestions are themselves valid', () => {
  const suggestionOf = (build: () => unknown, max: number): string => {
    let message = 'accepted';
    try {
      build();
    } catch (e) {
      message = (e as Error).message;
    }
    const match = /Fix: use a (?:namespace )?name like "([^"]*)"$/.exec(message);
    expect(match).not.toBeNull();
    expect(dnsLabelProblem(match![1], max)).toBeUndefined();
    return match![1];
  };
  const rules = [{ resources: ['pods'], verbs: ['get'] }];
  const long = `${'a'.repeat(62)}-b`;

  test('workspace and project names too long, with a "-" at the limit', () => {
    const { host } = fleet();
    expect(suggestionOf(() => new Workspace(host, 'w', { name: long, placement: Placement.members() }), 63)).toBe('a'.repeat(62));
    const ws = new Workspace(host, 'shop', { name: 'shop', placement: Placement.members() });
    expect(() => ws.addProject(long)).toThrow(/\[host\/shop\/Project-a+-b\] name "a+-b": it is 64 characters long, more than 63. Fix: use a namespace name like "a{62}"$/);
    suggestionOf(() => ws.addProject(`Shop_${'P'.repeat(70)}`), 63);
  });

  test('a role name within what the workspace name leaves ("<workspace>-<role>" at most 63 characters)', () => {
    const { host } = fleet();
    const ws = new Workspace(host, 'shop', { name: 'shop', placement: Placement.members() });
    expect(() => ws.addRole('r'.repeat(60), { rules })).toThrow(
      /\[host\/shop\] addRole name "r{60}": it is 60 characters long, more than 58 \(the WorkspaceRole is named "shop-<name>", at most 63 characters\). Fix: use a name like "r{58}"$/);
    expect(suggestionOf(() => ws.addRole(`Deploy_${'x'.repeat(60)}`, { rules }), 58)).toHaveLength(58);
    const wide = new Workspace(host, 'wide', { name: 'w'.repeat(62), placement: Placement.members() });
    expect(() => wide.addRole('r', { rules })).toThrow(/addRole name "r": the WorkspaceRole is named "w{62}-<name>", and the workspace name leaves no room within 63 characters. Fix: give the workspace a name of at most 61 characters/);
  });
});

describeWithUpstream('Workspace output against the upstream CRDs', () => {
  test('WorkspaceTemplate, WorkspaceRole, WorkspaceRoleBinding and FederatedNamespace are accepted', () => {
    const { app, host, a, b } = fleet();
    const ws = new Workspace(host, 'shop', { name: 'shop', manager: 'alice', placement: Placement.members() });
    ws.addMember('bob', BuiltInWorkspaceRole.REGULAR);
    ws.addRole('deployer', { rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] }] });
    ws.addProject('shop-prod', { placement: Placement.clusters(a, b) });
    const check = (file: string, kind: string) => {
      const crd = loadUpstreamCrd(file);
      const objects = objectsOf(app, 'host', kind);
      expect(objects.length).toBeGreaterThan(0);
      for (const o of objects) expect(validateAgainstCrd(crd, o)).toEqual([]);
    };
    check('workspacetemplates.tenant.kubesphere.io.yaml', 'WorkspaceTemplate');
    check('workspaceroles.iam.kubesphere.io.yaml', 'WorkspaceRole');
    check('workspacerolebindings.iam.kubesphere.io.yaml', 'WorkspaceRoleBinding');
    check('federatednamespaces.types.kubefed.io.yaml', 'FederatedNamespace');
  });
});
