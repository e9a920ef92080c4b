import { BUILTIN_GROUPS, builtinKind } from '../../src/contract/kinds';
import {
  FEDERATED_TYPES,
  federatedApiVersion,
  federatedCrd,
  federatedCrds,
  federatedTypeByFtcName,
  federatedTypeByKind,
  federatedTypeConfig,
  federatedTypeConfigs,
  federatedTypeForTarget,
  FederatedTypeInfo,
  hasRetainReplicas,
  KUBEFED_NAMESPACE,
  parseApiVersion,
  targetApiVersion,
} from '../../src/crds/federated-types';
import { federatedTypeConfigCrd } from '../../src/crds/kubefed';
import {
  compareSchemas, crdIdentity, crdSchema, describeWithUpstream, loadUpstreamCrd, loadUpstreamDocs, structuralErrors, validateAgainstCrd,
} from '../util/schema';

const byKind = (kind: string): FederatedTypeInfo => {
  const t = federatedTypeByKind(kind);
  if (!t) {
    throw new Error(`no federated type ${kind}`);
  }
  return t;
};

/** Upstream Federated CRD copies (facts §3.6: types.kubefed.io CRDs from federatedcrds/). */
const UPSTREAM_FEDERATED: Array<[string, string]> = [
  ['FederatedDeployment', 'federateddeployments.types.kubefed.io.yaml'],
  ['FederatedService', 'federatedservices.types.kubefed.io.yaml'],
  ['FederatedConfigMap', 'federatedconfigmaps.types.kubefed.io.yaml'],
  ['FederatedSecret', 'federatedsecrets.types.kubefed.io.yaml'],
  ['FederatedNamespace', 'federatednamespaces.types.kubefed.io.yaml'],
  ['FederatedWorkspace', 'federatedworkspaces.types.kubefed.io.yaml'],
  ['FederatedUser', 'federatedusers.types.kubefed.io.yaml'],
  ['FederatedStatefulSet', 'federatedstatefulsets.types.kubefed.io.yaml'],
  ['FederatedIngress', 'federatedingresses.types.kubefed.io.yaml'],
];

/**
 * Deliberate differences from the upstream Federated CRDs (facts §3.8): the cluster list is a
 * list-map keyed by name (so server-side apply merges per cluster and duplicates are rejected),
 * and the selector is atomic like a built-in LabelSelector.
 */
const FEDERATED_DIFFERENCES = [
  'spec.placement.clusterSelector: x-kubernetes-map-type atomic (upstream: none)',
  'spec.placement.clusters: x-kubernetes-list-type map keyed by name (upstream: none)',
];

/** A FederatedDeployment with template, placement and overrides (design §2). */
function federatedDeployment(): any {
  return {
    apiVersion: 'types.kubefed.io/v1beta1',
    kind: 'FederatedDeployment',
    metadata: { name: 'web', namespace: 'shop-prod', labels: { 'kubesphere.io/workspace': 'shop' } },
    spec: {
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'main', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }] },
          },
        },
      },
      placement: { clusters: [{ name: 'edge-1' }, { name: 'branch-7' }] },
      overrides: [
        {
          clusterName: 'branch-7',
          clusterOverrides: [
            { path: '/spec/replicas', value: 1 },
            { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'mirror.local/nginx:1.25' },
            { op: 'add', path: '/metadata/labels/tier', value: 'edge' },
            { op: 'remove', path: '/metadata/annotations' },
            { op: 'add', path: '/spec/template/spec/containers/0/env', value: [{ name: 'A', value: 'b' }] },
          ],
        },
      ],
      retainReplicas: false,
    },
  };
}

/** A multi-cluster project: FederatedNamespace named like its namespace, selector placement (facts §5.5). */
function federatedNamespace(): any {
  return {
    apiVersion: 'types.kubefed.io/v1beta1',
    kind: 'FederatedNamespace',
    metadata: { name: 'shop-prod', namespace: 'shop-prod', labels: { 'kubesphere.io/workspace': 'shop' } },
    spec: {
      template: { metadata: { labels: { 'kubesphere.io/workspace': 'shop' } } },
      placement: { clusterSelector: { matchLabels: { 'cluster.kubesphere.io/group': 'production' }, matchExpressions: [{ key: 'cluster.kubesphere.io/region', operator: 'In', values: ['eu-west'] }] } },
    },
  };
}

/** A cluster-scoped FederatedUser as the host user controller writes it (facts §6). */
function federatedUser(): any {
  return {
    apiVersion: 'types.kubefed.io/v1beta1',
    kind: 'FederatedUser',
    metadata: { name: 'alice' },
    spec: { template: { spec: { email: 'alice@example.com' } }, placement: { clusterSelector: {} } },
    status: {
      observedGeneration: 2,
      conditions: [{ type: 'Propagation', status: 'True', lastUpdateTime: '2024-01-01T00:00:00Z', lastTransitionTime: '2024-01-01T00:00:00Z' }],
      clusters: [{ name: 'edge-1', status: 'OK' }],
    },
  };
}

describe('FEDERATED_TYPES (facts §3.7)', () => {
  test('28 types with unique names, sorted by FTC name', () => {
    expect(FEDERATED_TYPES).toHaveLength(28);
    const names = FEDERATED_TYPES.map(t => t.ftcName);
    expect(new Set(names).size).toBe(28);
    expect(new Set(FEDERATED_TYPES.map(t => t.federatedKind)).size).toBe(28);
    expect(new Set(FEDERATED_TYPES.map(t => t.federatedPlural)).size).toBe(28);
    expect([...names].sort()).toEqual(names);
  });

  test('the targets of built-in kinds take their version, plural and scope from the table of kinds', () => {
    const targets = FEDERATED_TYPES.map(t => t.target).filter(t => BUILTIN_GROUPS.includes(t.group));
    expect(targets.map(t => t.kind).sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'Ingress', 'Job', 'LimitRange',
      'Namespace', 'PersistentVolumeClaim', 'ReplicaSet', 'Secret', 'Service', 'ServiceAccount', 'StatefulSet']);
    for (const t of targets) {
      const k = builtinKind(t.group ? `${t.group}/${t.version}` : t.version, t.kind)!;
      expect(t).toEqual({ group: k.group, version: k.version, kind: k.kind, plural: k.plural, scope: k.namespaced ? 'Namespaced' : 'Cluster' });
    }
  });

  test.each(FEDERATED_TYPES.map(t => [t.ftcName, t]))('%s: naming rules', (_name, t) => {
    expect(t.ftcName).toBe(t.target.group ? `${t.target.plural}.${t.target.group}` : t.target.plural);
    expect(t.federatedKind).toMatch(/^Federated[A-Z]/);
    expect(t.federatedPlural).toBe(`${t.federatedKind.toLowerCase()}${t.federatedKind.endsWith('s') ? 'es' : 's'}`);
    // Federated types are namespaced exactly when their target is, except FederatedNamespace (facts §3.7).
    expect(t.federatedScope).toBe(t.federatedKind === 'FederatedNamespace' ? 'Namespaced' : t.target.scope);
    expect(t.federatedVersion).toBe(t.target.group === 'notification.kubesphere.io' ? 'v1beta2' : 'v1beta1');
  });

  test('the facts table: groups, versions and scopes', () => {
    const row = (kind: string) => {
      const t = byKind(kind);
      return `${t.federatedScope} ${targetApiVersion(t)} ${t.target.kind} ${t.target.scope}`;
    };
    expect(row('FederatedNamespace')).toBe('Namespaced v1 Namespace Cluster');
    expect(row('FederatedDeployment')).toBe('Namespaced apps/v1 Deployment Namespaced');
    expect(row('FederatedJob')).toBe('Namespaced batch/v1 Job Namespaced');
    expect(row('FederatedIngress')).toBe('Namespaced networking.k8s.io/v1 Ingress Namespaced');
    expect(row('FederatedApplication')).toBe('Namespaced app.k8s.io/v1beta1 Application Namespaced');
    expect(row('FederatedClusterRoleBinding')).toBe('Cluster rbac.authorization.k8s.io/v1 ClusterRoleBinding Cluster');
    expect(row('FederatedWorkspaceRoleBinding')).toBe('Cluster iam.kubesphere.io/v1alpha2 WorkspaceRoleBinding Cluster');
    expect(row('FederatedWorkspace')).toBe('Cluster tenant.kubesphere.io/v1alpha1 Workspace Cluster');
    expect(row('FederatedNotificationManager')).toBe('Cluster notification.kubesphere.io/v2beta2 NotificationManager Cluster');
    expect(federatedApiVersion(byKind('FederatedNotificationSilence'))).toBe('types.kubefed.io/v1beta2');
    expect(FEDERATED_TYPES.filter(t => t.target.group === '').map(t => t.target.kind).sort()).toEqual([
      'ConfigMap', 'LimitRange', 'Namespace', 'PersistentVolumeClaim', 'Secret', 'Service', 'ServiceAccount',
    ]);
    expect(FEDERATED_TYPES.filter(t => t.target.group === 'iam.kubesphere.io')).toHaveLength(7);
    expect(FEDERATED_TYPES.filter(t => t.target.group === 'notification.kubesphere.io')).toHaveLength(5);
  });

  test('short names: fdeploy, fsvc, fcm, fns (facts), fsts, fing (upstream CRDs), none elsewhere', () => {
    expect(FEDERATED_TYPES.filter(t => t.shortNames).map(t => `${t.federatedKind}=${t.shortNames!.join(',')}`)).toEqual([
      'FederatedConfigMap=fcm',
      'FederatedDeployment=fdeploy',
      'FederatedIngress=fing',
      'FederatedNamespace=fns',
      'FederatedService=fsvc',
      'FederatedStatefulSet=fsts',
    ]);
  });
});

describe('lookups', () => {
  test('federatedTypeForTarget matches group, version and kind exactly', () => {
    expect(federatedTypeForTarget('apps/v1', 'Deployment')?.federatedKind).toBe('FederatedDeployment');
    expect(federatedTypeForTarget('v1', 'Namespace')?.federatedKind).toBe('FederatedNamespace');
    expect(federatedTypeForTarget('v1', 'Service')?.ftcName).toBe('services');
    expect(federatedTypeForTarget('networking.k8s.io/v1', 'Ingress')?.ftcName).toBe('ingresses.networking.k8s.io');
    expect(federatedTypeForTarget('notification.kubesphere.io/v2beta2', 'Config')?.federatedKind).toBe('FederatedNotificationConfig');
    // Not federated by KubeSphere v3.4.1 (facts §3.7): DaemonSet, CronJob, HPA, StorageClass; other versions.
    expect(federatedTypeForTarget('apps/v1', 'DaemonSet')).toBeUndefined();
    expect(federatedTypeForTarget('batch/v1', 'CronJob')).toBeUndefined();
    expect(federatedTypeForTarget('autoscaling/v2', 'HorizontalPodAutoscaler')).toBeUndefined();
    expect(federatedTypeForTarget('storage.k8s.io/v1', 'StorageClass')).toBeUndefined();
    expect(federatedTypeForTarget('networking.k8s.io/v1beta1', 'Ingress')).toBeUndefined();
    expect(federatedTypeForTarget('apps/v1', 'deployment')).toBeUndefined();
  });

  test('byKind, byFtcName, parseApiVersion', () => {
    expect(federatedTypeByKind('FederatedSecret')?.target.kind).toBe('Secret');
    expect(federatedTypeByKind('Secret')).toBeUndefined();
    expect(federatedTypeByFtcName('jobs.batch')?.federatedKind).toBe('FederatedJob');
    expect(federatedTypeByFtcName('jobs')).toBeUndefined();
    expect(parseApiVersion('v1')).toEqual({ group: '', version: 'v1' });
    expect(parseApiVersion('rbac.authorization.k8s.io/v1')).toEqual({ group: 'rbac.authorization.k8s.io', version: 'v1' });
  });

  test('retainReplicas exactly for Deployment, StatefulSet, ReplicaSet (facts §3.8)', () => {
    expect(FEDERATED_TYPES.filter(hasRetainReplicas).map(t => t.federatedKind)).toEqual([
      'FederatedDeployment', 'FederatedReplicaSet', 'FederatedStatefulSet',
    ]);
  });
});

describe('federatedCrd', () => {
  test.each(FEDERATED_TYPES.map(t => [t.federatedKind, t]))('%s: structural, named and scoped from the table', (_kind, t) => {
    const c = federatedCrd(t);
    expect(structuralErrors(c)).toEqual([]);
    expect(crdIdentity(c)).toMatchObject({
      name: `${t.federatedPlural}.types.kubefed.io`,
      group: 'types.kubefed.io',
      kind: t.federatedKind,
      plural: t.federatedPlural,
      shortNames: [...(t.shortNames ?? [])],
      scope: t.federatedScope,
      versions: [{ name: t.federatedVersion, served: true, storage: true, statusSubresource: true, rootRequired: ['spec'], specRequired: [] }],
    });
    const spec = crdSchema(c).properties.spec.properties;
    expect(Object.keys(spec)).toEqual(hasRetainReplicas(t) ? ['overrides', 'placement', 'retainReplicas', 'template'] : ['overrides', 'placement', 'template']);
  });

  test('facts §3.8 schema: template preserve, placement list-map + selector, override op pattern', () => {
    const spec = crdSchema(federatedCrd(byKind('FederatedDeployment'))).properties.spec.properties;
    expect(spec.template['x-kubernetes-preserve-unknown-fields']).toBe(true);
    expect(spec.placement.properties.clusters['x-kubernetes-list-map-keys']).toEqual(['name']);
    expect(Object.keys(spec.placement.properties.clusterSelector.properties)).toEqual(['matchExpressions', 'matchLabels']);
    expect(spec.overrides.items.properties.clusterOverrides.items.properties.op.pattern).toBe('^(add|remove|replace)?$');
    expect(spec.overrides.items.properties.clusterOverrides.items.required).toEqual(['path']);
  });

  test('samples validate against our CRDs; invalid ones are rejected', () => {
    expect(validateAgainstCrd(federatedCrd(byKind('FederatedDeployment')), federatedDeployment())).toEqual([]);
    expect(validateAgainstCrd(federatedCrd(byKind('FederatedNamespace')), federatedNamespace())).toEqual([]);
    expect(validateAgainstCrd(federatedCrd(byKind('FederatedUser')), federatedUser())).toEqual([]);
    // retainReplicas only where KubeFed defines it
    const cm = { ...federatedDeployment(), kind: 'FederatedConfigMap' };
    expect(validateAgainstCrd(federatedCrd(byKind('FederatedConfigMap')), cm)).toEqual(['spec.retainReplicas: unknown field (pruned by the API server)']);
  });

  test('federatedCrds() covers the table in order', () => {
    expect(federatedCrds().map(c => c.spec.names.kind)).toEqual(FEDERATED_TYPES.map(t => t.federatedKind));
  });

  test('snapshot: three representative CRDs and a summary of all 28', () => {
    expect([
      federatedCrd(byKind('FederatedDeployment')),
      federatedCrd(byKind('FederatedNamespace')),
      federatedCrd(byKind('FederatedNotificationConfig')),
    ]).toMatchSnapshot();
    expect(federatedCrds().map(c => [c.metadata.name, c.spec.scope, c.spec.versions[0].name, (c.spec.names.shortNames ?? []).join(',')].join(' ').trim())).toMatchSnapshot();
  });
});

describe('federatedTypeConfig', () => {
  test('the FTC object (core group without group key)', () => {
    expect(federatedTypeConfig(byKind('FederatedService'))).toEqual({
      apiVersion: 'core.kubefed.io/v1beta1',
      kind: 'FederatedTypeConfig',
      metadata: { name: 'services', namespace: 'kube-federation-system' },
      spec: {
        federatedType: { group: 'types.kubefed.io', kind: 'FederatedService', pluralName: 'federatedservices', scope: 'Namespaced', version: 'v1beta1' },
        propagation: 'Enabled',
        targetType: { kind: 'Service', pluralName: 'services', scope: 'Namespaced', version: 'v1' },
      },
    });
    expect(federatedTypeConfig(byKind('FederatedDeployment'), 'other').metadata.namespace).toBe('other');
    expect(federatedTypeConfig(byKind('FederatedDeployment')).spec.targetType.group).toBe('apps');
    expect(KUBEFED_NAMESPACE).toBe('kube-federation-system');
  });

  test.each(FEDERATED_TYPES.map(t => [t.ftcName, t]))('%s validates against our FederatedTypeConfig CRD', (_name, t) => {
    expect(validateAgainstCrd(federatedTypeConfigCrd(), federatedTypeConfig(t))).toEqual([]);
  });

  test('snapshot', () => {
    expect(federatedTypeConfigs()).toMatchSnapshot();
  });
});

describeWithUpstream('federated types against upstream (kubesphere/ks-installer@v3.4.1 federatedcrds/)', () => {
  const upstreamFtcs = (): any[] => loadUpstreamDocs('_federatedtypeconfigs.ks-v3.4.1.yaml') ?? [];

  test('the 28 FTCs equal upstream in name and spec', () => {
    const theirs = new Map(upstreamFtcs().map(o => [o.metadata.name, o]));
    expect(theirs.size).toBe(28);
    expect(FEDERATED_TYPES.map(t => t.ftcName).sort()).toEqual([...theirs.keys()].sort());
    for (const ours of federatedTypeConfigs()) {
      const t = theirs.get(ours.metadata.name);
      expect({ name: ours.metadata.name, apiVersion: ours.apiVersion, kind: ours.kind, spec: ours.spec })
        .toEqual({ name: t.metadata.name, apiVersion: t.apiVersion, kind: t.kind, spec: t.spec });
    }
  });

  test('upstream FTCs live in kube-federation-system (explicit, or applied with -n)', () => {
    for (const t of upstreamFtcs()) {
      expect([t.metadata.name, t.metadata.namespace ?? KUBEFED_NAMESPACE]).toEqual([t.metadata.name, KUBEFED_NAMESPACE]);
    }
  });

  test.each(FEDERATED_TYPES.map(t => [t.ftcName, t]))('%s validates against the upstream FederatedTypeConfig CRD', (_name, t) => {
    expect(validateAgainstCrd(loadUpstreamCrd('federatedtypeconfigs.core.kubefed.io.yaml'), federatedTypeConfig(t))).toEqual([]);
  });

  test.each(UPSTREAM_FEDERATED)('%s: identity equals upstream', (kind, file) => {
    expect(crdIdentity(federatedCrd(byKind(kind)))).toEqual(crdIdentity(loadUpstreamCrd(file)));
  });

  test.each(UPSTREAM_FEDERATED)('%s: our schema is a compatible subset of upstream, with the documented differences', (kind, file) => {
    expect(compareSchemas(crdSchema(federatedCrd(byKind(kind))), crdSchema(loadUpstreamCrd(file))).sort()).toEqual(FEDERATED_DIFFERENCES);
  });

  test('samples validate against the upstream CRDs', () => {
    expect(validateAgainstCrd(loadUpstreamCrd('federateddeployments.types.kubefed.io.yaml'), federatedDeployment())).toEqual([]);
    expect(validateAgainstCrd(loadUpstreamCrd('federatednamespaces.types.kubefed.io.yaml'), federatedNamespace())).toEqual([]);
    expect(validateAgainstCrd(loadUpstreamCrd('federatedusers.types.kubefed.io.yaml'), federatedUser())).toEqual([]);
  });

  test('invalid objects are rejected by both', () => {
    const ours = federatedCrd(byKind('FederatedDeployment'));
    const theirs = loadUpstreamCrd('federateddeployments.types.kubefed.io.yaml');
    const badOp = federatedDeployment();
    badOp.spec.overrides[0].clusterOverrides[0].op = 'patch';
    delete badOp.spec.overrides[0].clusterOverrides[1].path;
    badOp.spec.placement.clusterSelector = { matchExpressions: [{ key: 'a' }] };
    const expected = [
      'spec.overrides[0].clusterOverrides[0].op: "patch" does not match pattern ^(add|remove|replace)?$',
      'spec.overrides[0].clusterOverrides[1].path: Required value',
      'spec.placement.clusterSelector.matchExpressions[0].operator: Required value',
    ];
    expect(validateAgainstCrd(ours, badOp).sort()).toEqual(expected);
    expect(validateAgainstCrd(theirs, badOp).sort()).toEqual(expected);

    const noSpec = federatedDeployment();
    delete noSpec.spec;
    expect(validateAgainstCrd(ours, noSpec)).toEqual(['spec: Required value']);
    expect(validateAgainstCrd(theirs, noSpec)).toEqual(['spec: Required value']);

    const cm = federatedDeployment();
    cm.spec.retainReplicas = 'yes';
    expect(validateAgainstCrd(ours, cm)).toEqual(['spec.retainReplicas: must be of type boolean, got string ("yes")']);
    expect(validateAgainstCrd(theirs, cm)).toEqual(['spec.retainReplicas: must be of type boolean, got string ("yes")']);
  });

  test('documented difference: a duplicate placement cluster is rejected by ours only (list-map)', () => {
    const dup = federatedDeployment();
    dup.spec.placement.clusters.push({ name: 'edge-1' });
    expect(validateAgainstCrd(federatedCrd(byKind('FederatedDeployment')), dup)).toEqual(['spec.placement.clusters[2]: Duplicate value: {"name":"edge-1"}']);
    expect(validateAgainstCrd(loadUpstreamCrd('federateddeployments.types.kubefed.io.yaml'), dup)).toEqual([]);
  });
});
