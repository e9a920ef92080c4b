import { OverrideError } from '../../src/kubefed-semantics/overrides';
import { ClusterInfo } from '../../src/kubefed-semantics/placement';
import { SchedulingError } from '../../src/kubefed-semantics/planner';
import { memberObject, placedClusters, renderAll, renderForCluster, TargetType, templateProblems } from '../../src/kubefed-semantics/render';

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const child of Object.values(v)) deepFreeze(child);
    Object.freeze(v);
  }
  return v;
}

const DEPLOYMENT: TargetType = { apiVersion: 'apps/v1', kind: 'Deployment' };
const NAMESPACE: TargetType = { apiVersion: 'v1', kind: 'Namespace' };
const CLUSTER_ROLE: TargetType = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' };

const clusters: ClusterInfo[] = [
  { name: 'host' },
  { name: 'edge-1', labels: { tier: 'edge' } },
  { name: 'branch-7', labels: { tier: 'edge' } },
];
const projectPlacement = { clusters: [{ name: 'edge-1' }, { name: 'branch-7' }] };

const fdeploy = (spec: object = {}) => deepFreeze({
  apiVersion: 'types.kubefed.io/v1beta1',
  kind: 'FederatedDeployment',
  metadata: { name: 'web', namespace: 'shop-prod', labels: { 'on-the-federated-object': 'not-copied' } },
  spec: {
    template: {
      metadata: {
        labels: { app: 'web' },
        annotations: { dropped: 'yes' },
        finalizers: ['example.com/dropped'],
        name: 'ignored',
        namespace: 'ignored',
      },
      spec: { replicas: 3, template: { spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } } },
    },
    placement: { clusters: [{ name: 'edge-1' }, { name: 'branch-7' }] },
    overrides: [
      {
        clusterName: 'branch-7',
        clusterOverrides: [
          { path: '/spec/template/spec/containers/0/image', value: 'mirror.local/nginx:1.25' },
          { op: 'add', path: '/metadata/annotations', value: { region: 'us' } },
          { path: '/spec/replicas', value: 1 },
        ],
      },
    ],
    ...spec,
  },
});

describe('memberObject / renderForCluster', () => {
  test('builds the object KubeFed creates', () => {
    const input = fdeploy();
    const before = JSON.stringify(input);
    const out = renderForCluster(input, DEPLOYMENT, 'edge-1', { clusters, namespacePlacement: projectPlacement });
    expect(out).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop-prod', labels: { 'app': 'web', 'kubefed.io/managed': 'true' } },
      spec: { replicas: 3, template: { spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } } },
    });
    expect(Object.keys(out)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    expect(JSON.stringify(input)).toBe(before);
  });

  test('applies only the cluster own overrides; annotations come from overrides', () => {
    const out = renderForCluster(fdeploy(), DEPLOYMENT, 'branch-7', { clusters });
    expect(out.spec.replicas).toBe(1);
    expect(out.spec.template.spec.containers[0].image).toBe('mirror.local/nginx:1.25');
    expect(out.metadata.annotations).toEqual({ region: 'us' });
    expect(out.metadata.labels['kubefed.io/managed']).toBe('true');
  });

  test('the template apiVersion wins over the target version; kind always comes from the target', () => {
    const obj = fdeploy({ template: { apiVersion: 'apps/v1beta2', kind: 'Other', spec: {} } });
    const out = memberObject(obj, DEPLOYMENT, 'edge-1');
    expect(out.apiVersion).toBe('apps/v1beta2');
    expect(out.kind).toBe('Deployment');
  });

  test('an absent template gives an empty object with identity and the managed label', () => {
    const obj = { kind: 'FederatedNamespace', metadata: { name: 'shop-prod', namespace: 'shop-prod' }, spec: { placement: { clusterSelector: {} } } };
    expect(renderForCluster(obj, NAMESPACE, 'host', { clusters })).toEqual({
      apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop-prod', labels: { 'kubefed.io/managed': 'true' } },
    });
  });

  test('empty annotations and finalizers are kept, as KubeFed only drops non-empty ones', () => {
    const out = memberObject(fdeploy({ template: { metadata: { annotations: {}, finalizers: [] } } }), DEPLOYMENT, 'edge-1');
    expect(out.metadata.annotations).toEqual({});
    expect(out.metadata.finalizers).toEqual([]);
  });

  test('a cluster-scoped object gets no namespace, even from the template', () => {
    const role = { kind: 'FederatedClusterRole', metadata: { name: 'viewer' }, spec: { template: { metadata: { namespace: 'x' }, rules: [] }, placement: { clusterSelector: {} } } };
    const out = renderForCluster(role, CLUSTER_ROLE, 'edge-1', { clusters });
    expect(out.metadata).toEqual({ name: 'viewer', labels: { 'kubefed.io/managed': 'true' } });
    expect(out.rules).toEqual([]);
  });

  test('overrides cannot remove the managed label', () => {
    const obj = fdeploy({ overrides: [{ clusterName: 'edge-1', clusterOverrides: [{ op: 'add', path: '/metadata/labels/kubefed.io~1managed', value: 'false' }] }] });
    expect(memberObject(obj, DEPLOYMENT, 'edge-1').metadata.labels['kubefed.io/managed']).toBe('true');
    const noLabels = fdeploy({ overrides: [{ clusterName: 'edge-1', clusterOverrides: [{ op: 'remove', path: '/metadata/labels' }] }] });
    expect(memberObject(noLabels, DEPLOYMENT, 'edge-1').metadata.labels).toEqual({ 'kubefed.io/managed': 'true' });
  });

  test('labels with a value that is not a string are replaced by the managed label alone (apimachinery GetLabels gives none)', () => {
    const obj = fdeploy({ overrides: [{ clusterName: 'edge-1', clusterOverrides: [{ op: 'add', path: '/metadata/labels/tier', value: 1 }] }] });
    expect(memberObject(obj, DEPLOYMENT, 'edge-1').metadata.labels).toEqual({ 'kubefed.io/managed': 'true' });
    const strings = fdeploy({ overrides: [{ clusterName: 'edge-1', clusterOverrides: [{ op: 'add', path: '/metadata/labels/tier', value: '1' }] }] });
    expect(memberObject(strings, DEPLOYMENT, 'edge-1').metadata.labels).toEqual(expect.objectContaining({ 'tier': '1', 'kubefed.io/managed': 'true' }));
  });

  test('a failing override names the cluster and the override', () => {
    const obj = fdeploy({ overrides: [{ clusterName: 'edge-1', clusterOverrides: [{ op: 'remove', path: '/spec/strategy' }] }] });
    expect(() => renderForCluster(obj, DEPLOYMENT, 'edge-1', { clusters })).toThrow(OverrideError);
    expect(() => renderForCluster(obj, DEPLOYMENT, 'edge-1', { clusters })).toThrow(/override\[0\] for cluster "edge-1" \(remove "\/spec\/strategy"\)/);
  });

  test('overrides KubeFed rejects fail every cluster, not only the one they name', () => {
    const obj = fdeploy({ overrides: [{ clusterName: 'branch-7', clusterOverrides: [{ path: '/metadata/name', value: 'x' }] }] });
    expect(() => renderForCluster(obj, DEPLOYMENT, 'edge-1', { clusters })).toThrow(/may not be overridden/);
  });
});

describe('placement', () => {
  test.each<[string, object, string[]]>([
    ['own placement when the namespace is not modelled', {}, ['branch-7', 'edge-1']],
    ['intersection with the FederatedNamespace', { namespacePlacement: { clusters: [{ name: 'edge-1' }, { name: 'host' }] } }, ['edge-1']],
    ['no FederatedNamespace: nowhere', { namespacePlacement: null }, []],
    ['treated as cluster-scoped: namespace ignored', { namespaced: false, namespacePlacement: null }, ['branch-7', 'edge-1']],
  ])('%s', (_name, options, expected) => {
    expect(placedClusters(fdeploy(), DEPLOYMENT, { clusters, ...options })).toEqual(expected);
    for (const c of clusters) {
      const out = renderForCluster(fdeploy(), DEPLOYMENT, c.name, { clusters, ...options });
      expect(out === undefined).toBe(!expected.includes(c.name));
    }
  });

  test('a FederatedNamespace is placed by its own placement only', () => {
    const fns = { kind: 'FederatedNamespace', metadata: { name: 'p', namespace: 'p' }, spec: { placement: { clusters: [{ name: 'host' }] } } };
    expect(placedClusters(fns, NAMESPACE, { clusters, namespacePlacement: null })).toEqual(['host']);
  });

  test('without a cluster list, the rendered cluster is the only known cluster', () => {
    expect(renderForCluster(fdeploy(), DEPLOYMENT, 'edge-1')).toBeDefined();
    expect(renderForCluster(fdeploy(), DEPLOYMENT, 'host')).toBeUndefined();
    const bySelector = fdeploy({ placement: { clusterSelector: { matchLabels: { tier: 'edge' } } } });
    expect(renderForCluster(bySelector, DEPLOYMENT, 'edge-1')).toBeUndefined();
    expect(renderForCluster(bySelector, DEPLOYMENT, 'edge-1', { clusters })).toBeDefined();
  });
});

describe('with a ReplicaSchedulingPreference', () => {
  const pref = { totalReplicas: 10, clusters: { 'edge-1': { weight: 3 }, 'branch-7': { weight: 1 } } };

  test('replicas come from the scheduler and replace user /spec/replicas overrides', () => {
    const all = renderAll(fdeploy(), DEPLOYMENT, { clusters, namespacePlacement: projectPlacement, schedulingPreference: pref });
    expect(Object.keys(all)).toEqual(['branch-7', 'edge-1']);
    expect(all['edge-1'].spec.replicas).toBe(8);
    expect(all['branch-7'].spec.replicas).toBe(2);
    expect(all['branch-7'].spec.template.spec.containers[0].image).toBe('mirror.local/nginx:1.25');
  });

  test('clusters planned 0 replicas still receive the object, scaled to 0', () => {
    const all = renderAll(fdeploy(), DEPLOYMENT, { clusters, namespacePlacement: { clusterSelector: {} }, schedulingPreference: pref });
    expect(Object.keys(all)).toEqual(['branch-7', 'edge-1', 'host']);
    expect(all.host.spec.replicas).toBe(0);
  });

  test('renderForCluster agrees with renderAll', () => {
    const options = { clusters, namespacePlacement: projectPlacement, schedulingPreference: pref };
    expect(renderForCluster(fdeploy(), DEPLOYMENT, 'edge-1', options)).toEqual(renderAll(fdeploy(), DEPLOYMENT, options)['edge-1']);
    expect(renderForCluster(fdeploy(), DEPLOYMENT, 'host', options)).toBeUndefined();
  });

  test('needs the cluster list', () => {
    expect(() => renderForCluster(fdeploy(), DEPLOYMENT, 'edge-1', { schedulingPreference: pref })).toThrow(SchedulingError);
  });

  test('is ignored for kinds an RSP cannot target', () => {
    const sts = { ...fdeploy(), kind: 'FederatedStatefulSet' };
    expect(renderForCluster(sts, { apiVersion: 'apps/v1', kind: 'StatefulSet' }, 'edge-1', { clusters, schedulingPreference: pref }).spec.replicas).toBe(3);
  });
});

describe('templateProblems', () => {
  test('reports dropped and ignored template metadata with the fix', () => {
    const problems = templateProblems(fdeploy());
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(/annotations are dropped by KubeFed; set annotations per cluster with an override/);
    expect(problems.join('\n')).toMatch(/finalizers are dropped/);
    expect(problems.join('\n')).toMatch(/metadata.name is ignored/);
    expect(problems.join('\n')).toMatch(/metadata.namespace is ignored/);
    expect(templateProblems({ spec: { template: { metadata: { labels: { a: 'b' } } } } })).toEqual([]);
    expect(templateProblems({})).toEqual([]);
  });
});
