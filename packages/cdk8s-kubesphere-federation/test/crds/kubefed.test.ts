import {
  clusterPropagatedVersionCrd,
  federatedServiceStatusCrd,
  federatedTypeConfigCrd,
  kubefedCoreCrds,
  kubeFedClusterCrd,
  kubeFedConfig,
  kubeFedConfigCrd,
  propagatedVersionCrd,
  replicaSchedulingPreferenceCrd,
} from '../../src/crds/kubefed';
import {
  compareSchemas, crdIdentity, crdSchema, describeWithUpstream, loadUpstreamCrd, structuralErrors, validateAgainstCrd,
} from '../util/schema';

/** Our CRD builder, the upstream file it mirrors. */
const PAIRS: Array<[string, () => any, string]> = [
  ['KubeFedCluster', kubeFedClusterCrd, 'kubefedclusters.core.kubefed.io.yaml'],
  ['KubeFedConfig', kubeFedConfigCrd, 'kubefedconfigs.core.kubefed.io.yaml'],
  ['FederatedTypeConfig', federatedTypeConfigCrd, 'federatedtypeconfigs.core.kubefed.io.yaml'],
  ['ReplicaSchedulingPreference', replicaSchedulingPreferenceCrd, 'replicaschedulingpreferences.scheduling.kubefed.io.yaml'],
  ['PropagatedVersion', propagatedVersionCrd, 'propagatedversions.core.kubefed.io.yaml'],
  ['ClusterPropagatedVersion', clusterPropagatedVersionCrd, 'clusterpropagatedversions.core.kubefed.io.yaml'],
  ['FederatedServiceStatus', federatedServiceStatusCrd, 'federatedservicestatuses.core.kubefed.io.yaml'],
];

/** A weighted RSP for FederatedDeployment web (facts §3.6, §3.8). */
function rsp(): any {
  return {
    apiVersion: 'scheduling.kubefed.io/v1alpha1',
    kind: 'ReplicaSchedulingPreference',
    metadata: { name: 'web', namespace: 'shop-prod' },
    spec: {
      targetKind: 'FederatedDeployment',
      totalReplicas: 10,
      clusters: { 'edge-1': { weight: 3, minReplicas: 1 }, 'branch-7': { weight: 1, maxReplicas: 4 }, '*': { weight: 1 } },
      rebalance: true,
    },
  };
}

/** A KubeFedCluster as the KubeSphere join creates it (facts §3.9). */
function kubeFedCluster(): any {
  return {
    apiVersion: 'core.kubefed.io/v1beta1',
    kind: 'KubeFedCluster',
    metadata: { name: 'edge-1', namespace: 'kube-federation-system', labels: { 'cluster.kubesphere.io/region': 'eu-west' } },
    spec: {
      apiEndpoint: 'https://10.0.0.1:6443',
      caBundle: Buffer.from('-----BEGIN CERTIFICATE-----').toString('base64'),
      secretRef: { name: 'edge-1-secret' },
      disabledTLSValidations: ['*'],
    },
    status: { conditions: [{ type: 'Ready', status: 'True', lastProbeTime: '2024-01-01T00:00:00Z' }] },
  };
}

/** A PropagatedVersion as KubeFed writes it (we keep whatever it writes). */
function propagatedVersion(kind = 'PropagatedVersion'): any {
  return {
    apiVersion: 'core.kubefed.io/v1alpha1',
    kind,
    metadata: kind === 'PropagatedVersion' ? { name: 'deployment-web', namespace: 'shop-prod' } : { name: 'clusterrole-x' },
    status: { templateVersion: 'abc', overridesVersion: 'def', clusterVersions: [{ clusterName: 'edge-1', version: 'gen:1' }] },
  };
}

describe('kubefedCoreCrds', () => {
  test('the seven core KubeFed CRDs, in a stable order', () => {
    expect(kubefedCoreCrds().map(c => c.metadata.name)).toEqual([
      'kubefedclusters.core.kubefed.io',
      'kubefedconfigs.core.kubefed.io',
      'federatedtypeconfigs.core.kubefed.io',
      'replicaschedulingpreferences.scheduling.kubefed.io',
      'propagatedversions.core.kubefed.io',
      'clusterpropagatedversions.core.kubefed.io',
      'federatedservicestatuses.core.kubefed.io',
    ]);
  });

  test.each(PAIRS)('%s is structural', (_kind, build) => {
    expect(structuralErrors(build())).toEqual([]);
  });

  test('facts §3.6: scopes, versions, short names, required spec fields', () => {
    const byKind = Object.fromEntries(kubefedCoreCrds().map(c => [c.spec.names.kind, crdIdentity(c)]));
    expect(byKind.KubeFedCluster).toMatchObject({ scope: 'Namespaced', versions: [{ name: 'v1beta1', statusSubresource: true, specRequired: ['apiEndpoint', 'secretRef'] }] });
    expect(byKind.KubeFedConfig).toMatchObject({ scope: 'Namespaced', versions: [{ name: 'v1beta1', specRequired: ['scope'] }] });
    expect(byKind.FederatedTypeConfig).toMatchObject({ scope: 'Namespaced', versions: [{ name: 'v1beta1', statusSubresource: true, specRequired: ['federatedType', 'propagation', 'targetType'] }] });
    expect(byKind.ReplicaSchedulingPreference).toMatchObject({ group: 'scheduling.kubefed.io', shortNames: ['rsp'], versions: [{ name: 'v1alpha1', specRequired: ['targetKind', 'totalReplicas'] }] });
    expect(byKind.ClusterPropagatedVersion.scope).toBe('Cluster');
    expect(byKind.PropagatedVersion.scope).toBe('Namespaced');
    expect(byKind.FederatedServiceStatus.versions[0].name).toBe('v1alpha1');
  });

  test('samples validate against our CRDs', () => {
    expect(validateAgainstCrd(kubeFedConfigCrd(), kubeFedConfig())).toEqual([]);
    expect(validateAgainstCrd(replicaSchedulingPreferenceCrd(), rsp())).toEqual([]);
    expect(validateAgainstCrd(kubeFedClusterCrd(), kubeFedCluster())).toEqual([]);
    expect(validateAgainstCrd(propagatedVersionCrd(), propagatedVersion())).toEqual([]);
    expect(validateAgainstCrd(clusterPropagatedVersionCrd(), propagatedVersion('ClusterPropagatedVersion'))).toEqual([]);
    expect(validateAgainstCrd(federatedServiceStatusCrd(), {
      apiVersion: 'core.kubefed.io/v1alpha1', kind: 'FederatedServiceStatus', metadata: { name: 'web', namespace: 'shop-prod' }, anything: [{ a: 1 }],
    })).toEqual([]);
  });

  test('snapshot', () => {
    expect(kubefedCoreCrds()).toMatchSnapshot();
  });
});

describeWithUpstream('kubefed CRDs against upstream (kubesphere/ks-installer@v3.4.1 chart copies)', () => {
  test.each(PAIRS)('%s: identity equals upstream', (_kind, build, file) => {
    expect(crdIdentity(build())).toEqual(crdIdentity(loadUpstreamCrd(file)));
  });

  // Every property we declare exists upstream at the same path with a compatible type, and we add
  // no constraint upstream lacks. We are deliberately looser in places (status subtrees kept as
  // preserve-unknown, FederatedServiceStatus entirely preserve-unknown, no int formats); compareSchemas
  // does not report looser.
  test.each(PAIRS)('%s: our schema is a compatible subset of upstream', (_kind, build, file) => {
    expect(compareSchemas(crdSchema(build()), crdSchema(loadUpstreamCrd(file)))).toEqual([]);
  });

  test('KubeFedConfig (facts §3.5), RSP, KubeFedCluster and PropagatedVersions validate against upstream', () => {
    expect(validateAgainstCrd(loadUpstreamCrd('kubefedconfigs.core.kubefed.io.yaml'), kubeFedConfig())).toEqual([]);
    expect(validateAgainstCrd(loadUpstreamCrd('replicaschedulingpreferences.scheduling.kubefed.io.yaml'), rsp())).toEqual([]);
    expect(validateAgainstCrd(loadUpstreamCrd('kubefedclusters.core.kubefed.io.yaml'), kubeFedCluster())).toEqual([]);
    expect(validateAgainstCrd(loadUpstreamCrd('propagatedversions.core.kubefed.io.yaml'), propagatedVersion())).toEqual([]);
    expect(validateAgainstCrd(loadUpstreamCrd('clusterpropagatedversions.core.kubefed.io.yaml'), propagatedVersion('ClusterPropagatedVersion'))).toEqual([]);
  });

  test('invalid objects are rejected by both', () => {
    const cases: Array<[() => any, string, any, string[]]> = [
      [replicaSchedulingPreferenceCrd, 'replicaschedulingpreferences.scheduling.kubefed.io.yaml',
        (() => { const o = rsp(); delete o.spec.totalReplicas; o.spec.clusters['edge-1'].weight = 'heavy'; return o; })(),
        ['spec.clusters[edge-1].weight: must be of type integer, got string ("heavy")', 'spec.totalReplicas: Required value']],
      [kubeFedConfigCrd, 'kubefedconfigs.core.kubefed.io.yaml',
        (() => { const o = kubeFedConfig(); delete o.spec.scope; o.spec.featureGates.push({ name: 'X' }); return o; })(),
        ['spec.featureGates[3].configuration: Required value', 'spec.scope: Required value']],
      [kubeFedClusterCrd, 'kubefedclusters.core.kubefed.io.yaml',
        (() => { const o = kubeFedCluster(); o.spec.secretRef = {}; o.spec.caBundle = 'not base64'; return o; })(),
        ['spec.caBundle: "not base64" is not valid base64 (format byte)', 'spec.secretRef.name: Required value']],
      [federatedTypeConfigCrd, 'federatedtypeconfigs.core.kubefed.io.yaml',
        { apiVersion: 'core.kubefed.io/v1beta1', kind: 'FederatedTypeConfig', metadata: { name: 'x', namespace: 'kube-federation-system' }, spec: { targetType: { kind: 'X' } } },
        ['spec.federatedType: Required value', 'spec.propagation: Required value', 'spec.targetType.pluralName: Required value',
          'spec.targetType.scope: Required value', 'spec.targetType.version: Required value']],
    ];
    for (const [ours, file, o, expected] of cases) {
      expect(validateAgainstCrd(ours(), o).sort()).toEqual(expected);
      expect(validateAgainstCrd(loadUpstreamCrd(file), o).sort()).toEqual(expected);
    }
  });
});

describe('kubeFedConfig', () => {
  test('is complete: every field KubeFed v0.8.1\'s defaulting webhook fills, and a valid KubeFedConfig', () => {
    const config = kubeFedConfig();
    expect(config.metadata).toEqual({ name: 'kubefed', namespace: 'kube-federation-system' });
    expect(Object.keys(config.spec).sort()).toEqual(
      ['clusterHealthCheck', 'controllerDuration', 'featureGates', 'leaderElect', 'scope', 'statusController', 'syncController']);
    // KubeFed's default feature gates (pkg/features): one entry each.
    expect(config.spec.featureGates.map((g: any) => g.name).sort()).toEqual(['PushReconciler', 'RawResourceStatusCollection', 'SchedulerPreferences']);
    expect(config.spec.controllerDuration.availableDelay).toBe('20s');
    expect(kubeFedConfig('ns', '1s').spec.controllerDuration).toEqual({ availableDelay: '1s', unavailableDelay: '1m0s' });
    expect(validateAgainstCrd(kubeFedConfigCrd(), config)).toEqual([]);
  });

  test('is in the form KubeFed\'s webhook stores it: durations as Go prints them, feature gates by name', () => {
    // KubeFed v0.8.1's defaulter (pkg/apis/core/v1beta1/defaults) sorts featureGates by name, and the webhook's
    // answer re-prints each metav1.Duration (time.Duration.String()): a folder in another spelling is stored
    // differently, and every re-apply would write it back.
    const spec = kubeFedConfig().spec;
    expect(spec.controllerDuration).toEqual({ availableDelay: '20s', unavailableDelay: '1m0s' });
    expect(spec.featureGates.map((g: any) => g.name)).toEqual(['PushReconciler', 'RawResourceStatusCollection', 'SchedulerPreferences']);
    const durations = [spec.controllerDuration, spec.leaderElect, spec.clusterHealthCheck]
      .flatMap((o: any) => Object.values(o)).filter((v): v is string => typeof v === 'string' && /^\d/.test(v));
    // Go's time.Duration.String() for whole seconds: 3s, 1m0s, 1h0m0s
    const goString = (seconds: number): string => seconds >= 3600 ? `${Math.floor(seconds / 3600)}h${goString(seconds % 3600).replace(/^0s$/, '0m0s')}`
      : seconds >= 60 ? `${Math.floor(seconds / 60)}m${seconds % 60}s` : `${seconds}s`;
    const seconds = (d: string) => [...d.matchAll(/(\d+)([hms])/g)].reduce((n, [, v, u]) => n + Number(v) * ({ h: 3600, m: 60, s: 1 } as any)[u], 0);
    expect(durations.length).toBe(7);
    for (const d of durations) expect(d).toBe(goString(seconds(d)));
  });
});
