/**
 * Our own definitions of the core KubeFed CRDs that KubeSphere v3.4.1 installs
 * on the host (facts sheet §3.6): KubeFedCluster, KubeFedConfig,
 * FederatedTypeConfig, ReplicaSchedulingPreference, PropagatedVersion,
 * ClusterPropagatedVersion and FederatedServiceStatus.
 *
 * Authored from the facts sheet. Subtrees we do not rely on are kept as
 * `x-kubernetes-preserve-unknown-fields` so that the controllers that write
 * them lose nothing when these CRDs are installed.
 */
import { KUBEFED_NAMESPACE } from './federated-types';
import { arr, bool, bytes, crd, int, JsonSchema, map, obj, preserve, resource, str } from './schema';

/** API group of the KubeFed core types. */
export const KUBEFED_CORE_GROUP = 'core.kubefed.io';
/** API group of the KubeFed scheduling types. */
export const KUBEFED_SCHEDULING_GROUP = 'scheduling.kubefed.io';

/** `group` (optional: empty = core), `kind`, `pluralName`, `scope`, `version` of an API resource. */
function apiResource(): JsonSchema {
  return obj({
    group: str({ description: 'API group; omitted for the core group.' }),
    kind: str(),
    pluralName: str(),
    scope: str({ description: 'Namespaced or Cluster.' }),
    version: str(),
  }, ['kind', 'pluralName', 'scope', 'version']);
}

/** KubeFedCluster (core.kubefed.io/v1beta1): how KubeFed reaches one member cluster. */
export function kubeFedClusterCrd(): any {
  return crd({
    group: KUBEFED_CORE_GROUP,
    kind: 'KubeFedCluster',
    plural: 'kubefedclusters',
    scope: 'Namespaced',
    versions: [{
      name: 'v1beta1',
      schema: resource({
        spec: obj({
          apiEndpoint: str({ description: 'URL of the member kube-apiserver.' }),
          // A Go []byte: base64 in YAML (format byte is taken from the upstream CRD, the facts sheet says "kubeconfig CA").
          caBundle: bytes(),
          disabledTLSValidations: arr(str({ description: '*, SubjectName or ValidityPeriod.' })),
          proxyURL: str(),
          secretRef: obj({ name: str() }, ['name']),
        }, ['apiEndpoint', 'secretRef']),
        // Written by the KubeFed cluster controller only; not modelled.
        status: preserve(),
      }, ['spec']),
      subresources: { status: true },
    }],
  });
}

/** KubeFedConfig (core.kubefed.io/v1beta1): the control-plane settings (facts §3.5). */
export function kubeFedConfigCrd(): any {
  return crd({
    group: KUBEFED_CORE_GROUP,
    kind: 'KubeFedConfig',
    plural: 'kubefedconfigs',
    scope: 'Namespaced',
    versions: [{
      name: 'v1beta1',
      schema: resource({
        spec: obj({
          scope: str({ description: 'Cluster or Namespaced.' }),
          controllerDuration: obj({ availableDelay: str(), unavailableDelay: str() }),
          // leaseDuration/renewDeadline/retryPeriod: field names taken from the upstream CRD (facts §3.5 gives the values only).
          leaderElect: obj({ leaseDuration: str(), renewDeadline: str(), retryPeriod: str(), resourceLock: str() }),
          clusterHealthCheck: obj({ period: str(), failureThreshold: int(), successThreshold: int(), timeout: str() }),
          syncController: obj({ maxConcurrentReconciles: int(), adoptResources: str() }),
          statusController: obj({ maxConcurrentReconciles: int() }),
          // Item field names (name, configuration) taken from the upstream CRD.
          featureGates: arr(obj({ name: str(), configuration: str({ description: 'Enabled or Disabled.' }) }, ['name', 'configuration'])),
        }, ['scope']),
      }, ['spec']),
    }],
  });
}

/** FederatedTypeConfig (core.kubefed.io/v1beta1, short name `ftc`): enables federation of one target type. */
export function federatedTypeConfigCrd(): any {
  return crd({
    group: KUBEFED_CORE_GROUP,
    kind: 'FederatedTypeConfig',
    plural: 'federatedtypeconfigs',
    // Short name taken from the upstream CRD (the facts sheet does not list it).
    shortNames: ['ftc'],
    scope: 'Namespaced',
    versions: [{
      name: 'v1beta1',
      schema: resource({
        spec: obj({
          federatedType: apiResource(),
          targetType: apiResource(),
          propagation: str({ description: 'Enabled or Disabled.' }),
          statusType: apiResource(),
          statusCollection: str(),
        }, ['federatedType', 'propagation', 'targetType']),
        status: preserve(),
      }, ['spec']),
      subresources: { status: true },
    }],
  });
}

/** ReplicaSchedulingPreference (scheduling.kubefed.io/v1alpha1, short name `rsp`): weighted replica spreading. */
export function replicaSchedulingPreferenceCrd(): any {
  return crd({
    group: KUBEFED_SCHEDULING_GROUP,
    kind: 'ReplicaSchedulingPreference',
    plural: 'replicaschedulingpreferences',
    shortNames: ['rsp'],
    scope: 'Namespaced',
    versions: [{
      name: 'v1alpha1',
      schema: resource({
        spec: obj({
          targetKind: str({ description: 'FederatedDeployment or FederatedReplicaSet (same namespace and name as this object).' }),
          totalReplicas: int(),
          clusters: map(obj({ weight: int(), minReplicas: int(), maxReplicas: int() }), {
            description: 'Per-cluster preferences by cluster name; "*" is the default for clusters not listed.',
          }),
          rebalance: bool(),
          intersectWithClusterSelector: bool(),
        }, ['targetKind', 'totalReplicas']),
        // Deliberately looser than upstream (which declares an empty object): kept as is.
        status: preserve(),
      }),
    }],
  });
}

/**
 * PropagatedVersion / ClusterPropagatedVersion (core.kubefed.io/v1alpha1):
 * KubeFed's internal bookkeeping, not modelled. The status subresource is
 * taken from the upstream CRDs (the facts sheet only says "internal bookkeeping").
 */
export function propagatedVersionCrd(): any {
  return crd({
    group: KUBEFED_CORE_GROUP,
    kind: 'PropagatedVersion',
    plural: 'propagatedversions',
    scope: 'Namespaced',
    versions: [{ name: 'v1alpha1', schema: resource({ status: preserve() }), subresources: { status: true } }],
  });
}

/** See `propagatedVersionCrd()`; the cluster-scoped twin. */
export function clusterPropagatedVersionCrd(): any {
  return crd({
    group: KUBEFED_CORE_GROUP,
    kind: 'ClusterPropagatedVersion',
    plural: 'clusterpropagatedversions',
    scope: 'Cluster',
    versions: [{ name: 'v1alpha1', schema: resource({ status: preserve() }), subresources: { status: true } }],
  });
}

/** FederatedServiceStatus (core.kubefed.io/v1alpha1): internal bookkeeping; the whole object is kept as is. */
export function federatedServiceStatusCrd(): any {
  return crd({
    group: KUBEFED_CORE_GROUP,
    kind: 'FederatedServiceStatus',
    plural: 'federatedservicestatuses',
    scope: 'Namespaced',
    versions: [{ name: 'v1alpha1', schema: resource({}, [], { preserveUnknown: true }) }],
  });
}

/** The core KubeFed CRDs KubeSphere v3.4.1 installs, in a stable order. */
export function kubefedCoreCrds(): any[] {
  return [
    kubeFedClusterCrd(),
    kubeFedConfigCrd(),
    federatedTypeConfigCrd(),
    replicaSchedulingPreferenceCrd(),
    propagatedVersionCrd(),
    clusterPropagatedVersionCrd(),
    federatedServiceStatusCrd(),
  ];
}

/**
 * The `KubeFedConfig` named `kubefed` as KubeSphere v3.4.1 installs it (facts §3.5): every field KubeFed v0.8.1's
 * defaulting webhook would otherwise fill, so the controller-manager accepts it without the webhook.
 * @param availableDelay `controllerDuration.availableDelay` (KubeSphere: 20s)
 */
export function kubeFedConfig(namespace: string = KUBEFED_NAMESPACE, availableDelay = '20s'): any {
  return {
    apiVersion: `${KUBEFED_CORE_GROUP}/v1beta1`,
    kind: 'KubeFedConfig',
    metadata: { name: 'kubefed', namespace },
    // Written as KubeFed's mutating webhook stores it (it re-prints every duration the way Go does, 60s as 1m0s,
    // and sorts the feature gates by name): in any other spelling the first apply is stored differently from the
    // folder, and every re-apply writes it back (seen against the real webhook, test/e2e/apply.e2e.test.ts).
    spec: {
      scope: 'Cluster',
      controllerDuration: { availableDelay, unavailableDelay: '1m0s' },
      leaderElect: { leaseDuration: '15s', renewDeadline: '10s', retryPeriod: '5s', resourceLock: 'configmaps' },
      clusterHealthCheck: { period: '10s', failureThreshold: 3, successThreshold: 1, timeout: '3s' },
      syncController: { maxConcurrentReconciles: 1, adoptResources: 'Enabled' },
      statusController: { maxConcurrentReconciles: 1 },
      featureGates: [
        { name: 'PushReconciler', configuration: 'Enabled' },
        { name: 'RawResourceStatusCollection', configuration: 'Disabled' },
        { name: 'SchedulerPreferences', configuration: 'Enabled' },
      ],
    },
  };
}
