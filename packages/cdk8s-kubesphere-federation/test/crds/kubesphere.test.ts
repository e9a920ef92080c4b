import { federatedCrd, federatedTypeByKind } from '../../src/crds/federated-types';
import {
  clusterConfigurationCrd,
  clusterCrd,
  kubesphereCrds,
  userCrd,
  USER_PASSWORD_PATTERN,
  workspaceCrd,
  workspaceRoleBindingCrd,
  workspaceRoleCrd,
  workspaceTemplateCrd,
} from '../../src/crds/kubesphere';
import {
  compareSchemas, crdIdentity, crdSchema, describeWithUpstream, loadUpstreamCrd, structuralErrors, validateAgainstCrd,
} from '../util/schema';

const ALT = 'alt-kubesphere-repo-v3.4.1';

/** Our CRD builder, the installed upstream copy, the deliberate differences compareSchemas reports. */
const PAIRS: Array<[string, () => any, string, string[]]> = [
  ['Cluster', clusterCrd, 'clusters.cluster.kubesphere.io.yaml', []],
  ['ClusterConfiguration', clusterConfigurationCrd, 'clusterconfigurations.installer.kubesphere.io.yaml', []],
  // Placement is the FederatedWorkspace placement: list-map clusters and an atomic selector, as in the
  // kubesphere/kubesphere repo copy (alt-kubesphere-repo-v3.4.1/) but not the installed copy.
  ['WorkspaceTemplate', workspaceTemplateCrd, 'workspacetemplates.tenant.kubesphere.io.yaml', [
    'spec.placement.clusterSelector: x-kubernetes-map-type atomic (upstream: none)',
    'spec.placement.clusters: x-kubernetes-list-type map keyed by name (upstream: none)',
  ]],
  ['Workspace', workspaceCrd, 'workspaces.tenant.kubesphere.io.yaml', []],
  ['WorkspaceRole', workspaceRoleCrd, 'workspaceroles.iam.kubesphere.io.yaml', []],
  ['WorkspaceRoleBinding', workspaceRoleBindingCrd, 'workspacerolebindings.iam.kubesphere.io.yaml', []],
  ['User', userCrd, 'users.iam.kubesphere.io.yaml', []],
];

const KUBECONFIG = Buffer.from([
  'apiVersion: v1',
  'kind: Config',
  'clusters: [{name: edge-1, cluster: {server: "https://10.0.1.1:6443"}}]',
].join('\n')).toString('base64');

/** A member joined directly (facts §1: direct minimal spec + labels). */
function directCluster(): any {
  return {
    apiVersion: 'cluster.kubesphere.io/v1alpha1',
    kind: 'Cluster',
    metadata: {
      name: 'edge-1',
      labels: { 'cluster.kubesphere.io/region': 'eu-west', 'cluster.kubesphere.io/group': 'production', 'cluster.kubesphere.io/visibility': 'public' },
      annotations: { 'kubesphere.io/description': 'Edge cluster 1' },
    },
    spec: { joinFederation: true, enable: true, provider: 'Amazon EKS', connection: { type: 'direct', kubeconfig: KUBECONFIG } },
  };
}

/** A member joined through the agent, as tower leaves it once connected (facts §1, §4.1). */
function proxyCluster(): any {
  return {
    apiVersion: 'cluster.kubesphere.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'branch-7', finalizers: ['finalizer.cluster.kubesphere.io'] },
    spec: {
      joinFederation: true,
      connection: {
        type: 'proxy',
        token: 'a'.repeat(64),
        kubeconfig: KUBECONFIG,
        kubernetesAPIEndpoint: 'https://10.96.0.10:6443',
        kubesphereAPIEndpoint: 'http://10.96.0.10:80',
        kubernetesAPIServerPort: 6123,
        kubesphereAPIServerPort: 16123,
      },
    },
    status: {
      conditions: [
        { type: 'Initialized', status: 'True', lastUpdateTime: '2024-01-01T00:00:00Z', lastTransitionTime: '2024-01-01T00:00:00Z', reason: 'Initialized' },
        { type: 'AgentAvailable', status: 'True', message: 'connected' },
        { type: 'Ready', status: 'True' },
      ],
      kubernetesVersion: 'v1.26.5',
      kubeSphereVersion: 'v3.4.1',
      nodeCount: 3,
      zones: ['a', 'b'],
      region: 'eu-west',
      configz: { openpitrix: false, monitoring: true },
      uid: '8b1f5f6e-0000-4000-8000-000000000001',
    },
  };
}

/** The host's ks-installer ClusterConfiguration (facts §2). */
function hostClusterConfiguration(): any {
  return {
    apiVersion: 'installer.kubesphere.io/v1alpha1',
    kind: 'ClusterConfiguration',
    metadata: { name: 'ks-installer', namespace: 'kubesphere-system', labels: { version: 'v3.4.1' } },
    spec: {
      multicluster: { clusterRole: 'host', hostClusterName: 'host', proxyPublishAddress: 'http://1.2.3.4:30721' },
      authentication: { jwtSecret: 'placeholder' },
      openpitrix: { store: { enabled: true } },
    },
    status: { multicluster: { status: 'enabled' } },
  };
}

/** A workspace placed on two members, with one per-cluster override (facts §5.1). */
function workspaceTemplate(): any {
  return {
    apiVersion: 'tenant.kubesphere.io/v1alpha2',
    kind: 'WorkspaceTemplate',
    metadata: { name: 'shop', labels: { 'kubefed.io/managed': 'false' } },
    spec: {
      template: { spec: { manager: 'alice', networkIsolation: false } },
      placement: { clusters: [{ name: 'edge-1' }, { name: 'branch-7' }] },
      overrides: [{ clusterName: 'branch-7', clusterOverrides: [{ op: 'replace', path: '/spec/networkIsolation', value: true }] }],
    },
  };
}

const workspace = (): any => ({ apiVersion: 'tenant.kubesphere.io/v1alpha1', kind: 'Workspace', metadata: { name: 'shop' }, spec: { manager: 'alice' } });

const workspaceRole = (): any => ({
  apiVersion: 'iam.kubesphere.io/v1alpha2',
  kind: 'WorkspaceRole',
  metadata: { name: 'shop-viewer', labels: { 'kubesphere.io/workspace': 'shop' }, annotations: { 'kubesphere.io/alias-name': 'Viewer' } },
  rules: [{ apiGroups: ['*'], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] }],
});

const workspaceRoleBinding = (): any => ({
  apiVersion: 'iam.kubesphere.io/v1alpha2',
  kind: 'WorkspaceRoleBinding',
  metadata: { name: 'bob-shop-viewer', labels: { 'kubesphere.io/workspace': 'shop', 'iam.kubesphere.io/user-ref': 'bob' } },
  roleRef: { apiGroup: 'iam.kubesphere.io', kind: 'WorkspaceRole', name: 'shop-viewer' },
  subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'bob' }],
});

const BCRYPT = '$2a$10$' + 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0'; // 60 characters

const user = (password?: string): any => ({
  apiVersion: 'iam.kubesphere.io/v1alpha2',
  kind: 'User',
  metadata: { name: 'alice' },
  spec: { email: 'alice@example.com', lang: 'en', groups: ['dev'], ...(password === undefined ? {} : { password }) },
  status: { state: 'Active', lastLoginTime: '2024-01-01T00:00:00Z' },
});

describe('kubesphereCrds', () => {
  test('the KubeSphere CRDs the sandbox installs, in a stable order', () => {
    expect(kubesphereCrds().map(c => c.metadata.name)).toEqual([
      'clusterconfigurations.installer.kubesphere.io',
      'clusters.cluster.kubesphere.io',
      'workspacetemplates.tenant.kubesphere.io',
      'workspaces.tenant.kubesphere.io',
      'workspaceroles.iam.kubesphere.io',
      'workspacerolebindings.iam.kubesphere.io',
      'users.iam.kubesphere.io',
    ]);
  });

  test.each(PAIRS)('%s is structural', (_kind, build) => {
    expect(structuralErrors(build())).toEqual([]);
  });

  test('facts §1: Cluster is cluster-scoped, has no status subresource and four printer columns', () => {
    const c = clusterCrd();
    expect(c.spec.scope).toBe('Cluster');
    expect(c.spec.versions[0].subresources).toEqual({});
    expect(c.spec.versions[0].additionalPrinterColumns.map((x: any) => `${x.name}=${x.jsonPath}`)).toEqual([
      'Federated=.spec.joinFederation', 'Provider=.spec.provider', 'Active=.spec.enable', 'Version=.status.kubernetesVersion',
    ]);
    expect(crdSchema(c).properties.spec.required).toBeUndefined();
    expect(crdSchema(c).properties.spec.properties.connection.properties.kubeconfig.format).toBe('byte');
  });

  test('facts §2: ClusterConfiguration is namespaced, short name cc, schemaless', () => {
    expect(crdIdentity(clusterConfigurationCrd())).toMatchObject({ scope: 'Namespaced', shortNames: ['cc'], versions: [{ name: 'v1alpha1' }] });
    expect(validateAgainstCrd(clusterConfigurationCrd(), hostClusterConfiguration())).toEqual([]);
  });

  test('facts §5.1: required fields', () => {
    const req = (c: any) => ({ root: crdIdentity(c).versions[0].rootRequired, spec: crdIdentity(c).versions[0].specRequired });
    expect(req(workspaceTemplateCrd())).toEqual({ root: [], spec: ['placement', 'template'] });
    expect(req(workspaceRoleBindingCrd())).toEqual({ root: ['roleRef'], spec: [] });
    expect(req(userCrd())).toEqual({ root: ['spec'], spec: ['email'] });
    expect(req(workspaceCrd())).toEqual({ root: [], spec: [] });
  });

  test('samples validate against our CRDs', () => {
    expect(validateAgainstCrd(clusterCrd(), directCluster())).toEqual([]);
    expect(validateAgainstCrd(clusterCrd(), proxyCluster())).toEqual([]);
    expect(validateAgainstCrd(workspaceTemplateCrd(), workspaceTemplate())).toEqual([]);
    expect(validateAgainstCrd(workspaceCrd(), workspace())).toEqual([]);
    expect(validateAgainstCrd(workspaceRoleCrd(), workspaceRole())).toEqual([]);
    expect(validateAgainstCrd(workspaceRoleBindingCrd(), workspaceRoleBinding())).toEqual([]);
    expect(validateAgainstCrd(userCrd(), user(BCRYPT))).toEqual([]);
  });

  test('WorkspaceTemplate spec is the FederatedWorkspace spec (facts §5.1)', () => {
    const fw = { ...workspaceTemplate(), apiVersion: 'types.kubefed.io/v1beta1', kind: 'FederatedWorkspace' };
    expect(validateAgainstCrd(federatedCrd(federatedTypeByKind('FederatedWorkspace')!), fw)).toEqual([]);
  });

  test('the password pattern is RE2-safe (no look-around, no back-references)', () => {
    expect(USER_PASSWORD_PATTERN).not.toMatch(/\(\?[=!<]|\\[1-9]/);
  });

  test('snapshot', () => {
    expect(kubesphereCrds()).toMatchSnapshot();
  });
});

describeWithUpstream('KubeSphere CRDs against upstream (kubesphere/ks-installer@v3.4.1 ks-core copies)', () => {
  test.each(PAIRS)('%s: identity equals upstream', (_kind, build, file) => {
    expect(crdIdentity(build())).toEqual(crdIdentity(loadUpstreamCrd(file)));
  });

  // Ours is a subset with compatible types; deliberately looser (not reported): Workspace.status
  // and User.status keep unknown fields (upstream: empty object / four typed fields).
  test.each(PAIRS)('%s: our schema is a compatible subset of upstream, with the documented differences', (_kind, build, file, differences) => {
    expect(compareSchemas(crdSchema(build()), crdSchema(loadUpstreamCrd(file))).sort()).toEqual(differences);
  });

  test('Cluster and WorkspaceTemplate: same schemas as the kubesphere/kubesphere repo copies, except the op pattern', () => {
    expect(compareSchemas(crdSchema(clusterCrd()), crdSchema(loadUpstreamCrd(`${ALT}/cluster.kubesphere.io_clusters.yaml`)))).toEqual([]);
    expect(compareSchemas(crdSchema(workspaceTemplateCrd()), crdSchema(loadUpstreamCrd(`${ALT}/tenant.kubesphere.io_workspacetemplates.yaml`)))).toEqual([
      'spec.overrides[*].clusterOverrides[*].op: pattern ^(add|remove|replace)?$ (upstream: none)',
    ]);
  });

  test('printer columns equal upstream where we declare them (facts §1, §5.1)', () => {
    const cols = (c: any) => (c.spec.versions[0].additionalPrinterColumns ?? [])
      .map((x: any) => ({ name: x.name, type: x.type, jsonPath: x.jsonPath }));
    expect(cols(clusterCrd())).toEqual(cols(loadUpstreamCrd('clusters.cluster.kubesphere.io.yaml')));
    expect(cols(workspaceRoleCrd())).toEqual(cols(loadUpstreamCrd('workspaceroles.iam.kubesphere.io.yaml')));
  });

  test('samples validate against the upstream CRDs', () => {
    const cases: Array<[string, any]> = [
      ['clusters.cluster.kubesphere.io.yaml', directCluster()],
      ['clusters.cluster.kubesphere.io.yaml', proxyCluster()],
      [`${ALT}/cluster.kubesphere.io_clusters.yaml`, proxyCluster()],
      ['clusterconfigurations.installer.kubesphere.io.yaml', hostClusterConfiguration()],
      ['workspacetemplates.tenant.kubesphere.io.yaml', workspaceTemplate()],
      ['workspaces.tenant.kubesphere.io.yaml', workspace()],
      ['workspaceroles.iam.kubesphere.io.yaml', workspaceRole()],
      ['workspacerolebindings.iam.kubesphere.io.yaml', workspaceRoleBinding()],
      ['users.iam.kubesphere.io.yaml', user(BCRYPT)],
      ['users.iam.kubesphere.io.yaml', user()],
    ];
    for (const [file, o] of cases) {
      expect([file, o.metadata.name, validateAgainstCrd(loadUpstreamCrd(file), o)]).toEqual([file, o.metadata.name, []]);
    }
  });

  test('invalid objects are rejected by both', () => {
    const cases: Array<[() => any, string, any, string[]]> = [
      [clusterCrd, 'clusters.cluster.kubesphere.io.yaml',
        (() => { const o = directCluster(); o.spec.connection.kubeconfig = 'apiVersion: v1'; o.spec.joinFederation = 'true'; return o; })(),
        ['spec.connection.kubeconfig: "apiVersion: v1" is not valid base64 (format byte)', 'spec.joinFederation: must be of type boolean, got string ("true")']],
      [clusterCrd, 'clusters.cluster.kubesphere.io.yaml',
        (() => { const o = proxyCluster(); o.status.conditions.push({ type: 'Federated' }); o.metadata.namespace = 'kubesphere-system'; return o; })(),
        ['metadata.namespace: Cluster is cluster-scoped: a namespace is ignored by the API server', 'status.conditions[3].status: Required value']],
      [workspaceTemplateCrd, 'workspacetemplates.tenant.kubesphere.io.yaml',
        (() => { const o = workspaceTemplate(); o.spec.overrides[0].clusterOverrides[0].op = 'merge'; delete o.spec.overrides[0].clusterName; return o; })(),
        ['spec.overrides[0].clusterName: Required value', 'spec.overrides[0].clusterOverrides[0].op: "merge" does not match pattern *']],
      [workspaceTemplateCrd, 'workspacetemplates.tenant.kubesphere.io.yaml',
        (() => { const o = workspaceTemplate(); delete o.spec.placement; return o; })(),
        ['spec.placement: Required value']],
      [workspaceRoleCrd, 'workspaceroles.iam.kubesphere.io.yaml',
        (() => { const o = workspaceRole(); delete o.rules[0].verbs; return o; })(),
        ['rules[0].verbs: Required value']],
      [workspaceRoleBindingCrd, 'workspacerolebindings.iam.kubesphere.io.yaml',
        (() => { const o = workspaceRoleBinding(); delete o.roleRef; o.subjects[0] = { kind: 'User' }; return o; })(),
        ['roleRef: Required value', 'subjects[0].name: Required value']],
      [userCrd, 'users.iam.kubesphere.io.yaml',
        (() => { const o = user('short'); delete o.spec.email; return o; })(),
        ['spec.email: Required value', 'spec.password: "short" does not match pattern *', 'spec.password: "short" is shorter than minLength 8']],
    ];
    for (const [ours, file, o, expected] of cases) {
      // The pattern text differs (ours is generated), so compare pattern errors up to the pattern.
      const norm = (errs: string[]) => errs.map(e => e.replace(/does not match pattern .*/, 'does not match pattern *')).sort();
      expect(norm(validateAgainstCrd(ours(), o))).toEqual(expected);
      expect(norm(validateAgainstCrd(loadUpstreamCrd(file), o))).toEqual(expected);
    }
  });

  test('the User password pattern decides exactly like upstream', () => {
    const theirs = loadUpstreamCrd('users.iam.kubesphere.io.yaml');
    const passwords = [
      'Passw0rd', '0Passwor', 'pASSW0RD', 'password', 'PASSWORD1', 'password1', 'Password', '12345678aB', 'Ab1', 'Aa1' + 'x'.repeat(61),
      BCRYPT, BCRYPT.replace('$2a$', '$2b$'), BCRYPT.replace('$2a$', '$2y$'), BCRYPT.replace('$2a$', '$2x$'), BCRYPT.slice(0, 59),
      'Ünïcödé1a', 'aB1\nxxxxx',
    ];
    const decide = (crd: any) => passwords.map(p => [p, validateAgainstCrd(crd, user(p)).length === 0]);
    const ours = decide(userCrd());
    expect(ours).toEqual(decide(theirs));
    expect(ours.filter(([, ok]) => ok).length).toBeGreaterThanOrEqual(6);
    expect(ours.filter(([, ok]) => !ok).length).toBeGreaterThanOrEqual(6);
  });

  test('override values: scalars accepted by ours and the installed copy; the repo copy types them as objects', () => {
    const o = workspaceTemplate(); // value: true
    expect(validateAgainstCrd(workspaceTemplateCrd(), o)).toEqual([]);
    expect(validateAgainstCrd(loadUpstreamCrd('workspacetemplates.tenant.kubesphere.io.yaml'), o)).toEqual([]);
    expect(validateAgainstCrd(loadUpstreamCrd(`${ALT}/tenant.kubesphere.io_workspacetemplates.yaml`), o)).toEqual([
      'spec.overrides[0].clusterOverrides[0].value: must be of type object, got boolean (true)',
    ]);
  });

  test('WorkspaceTemplate spec.template.metadata keeps nothing, in ours as in upstream (labels are pruned)', () => {
    const o = workspaceTemplate();
    o.spec.template.metadata = { labels: { a: 'b' } };
    const expected = ['spec.template.metadata.labels: unknown field (pruned by the API server)'];
    expect(validateAgainstCrd(workspaceTemplateCrd(), o)).toEqual(expected);
    expect(validateAgainstCrd(loadUpstreamCrd('workspacetemplates.tenant.kubesphere.io.yaml'), o)).toEqual(expected);
  });
});
