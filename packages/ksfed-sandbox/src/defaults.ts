import { isPlainObject, JsonObject } from './json';

/**
 * The defaults kube-apiserver v1.34 fills in built-in kinds (its `SetDefaults_*` functions), for the kinds and fields
 * an applier sends: pod templates of workloads, workload specs, Services, admission webhook configurations. Each
 * function changes the object in place and only sets what is missing.
 */

/** Sets `obj[key]` to `value` when it is missing. */
function fill(obj: JsonObject, key: string, value: unknown): void {
  if (obj[key] === undefined) obj[key] = value;
}

/** The object at `obj[key]`, created empty when missing (undefined when something else is there). */
function child(obj: JsonObject, key: string): JsonObject | undefined {
  if (obj[key] === undefined) obj[key] = {};
  return isPlainObject(obj[key]) ? obj[key] : undefined;
}

function objects(list: unknown): JsonObject[] {
  return Array.isArray(list) ? list.filter(isPlainObject) : [];
}

/** `Always` for an image without a tag or with `:latest` (and no digest), else `IfNotPresent`. */
export function defaultPullPolicy(image: unknown): string {
  if (typeof image !== 'string' || image.includes('@')) return 'IfNotPresent';
  const name = image.slice(image.lastIndexOf('/') + 1);
  const colon = name.lastIndexOf(':');
  return colon < 0 || name.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(probe: unknown): void {
  if (!isPlainObject(probe)) return;
  if (isPlainObject(probe.httpGet)) fill(probe.httpGet, 'scheme', 'HTTP');
  fill(probe, 'timeoutSeconds', 1);
  fill(probe, 'periodSeconds', 10);
  fill(probe, 'successThreshold', 1);
  fill(probe, 'failureThreshold', 3);
}

function defaultContainer(c: JsonObject): void {
  for (const p of objects(c.ports)) fill(p, 'protocol', 'TCP');
  for (const e of objects(c.env)) {
    if (isPlainObject(e.valueFrom?.fieldRef)) fill(e.valueFrom.fieldRef, 'apiVersion', 'v1');
  }
  fill(c, 'resources', {});
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) defaultProbe(c[probe]);
  for (const hook of ['postStart', 'preStop']) {
    const handler = c.lifecycle?.[hook];
    if (isPlainObject(handler?.httpGet)) fill(handler.httpGet, 'scheme', 'HTTP');
  }
  fill(c, 'terminationMessagePath', '/dev/termination-log');
  fill(c, 'terminationMessagePolicy', 'File');
  fill(c, 'imagePullPolicy', defaultPullPolicy(c.image));
}

/** Defaults of a PodSpec (as in a workload's `spec.template.spec`). */
export function defaultPodSpec(spec: JsonObject): void {
  for (const v of objects(spec.volumes)) {
    for (const source of ['configMap', 'secret', 'downwardAPI', 'projected']) {
      if (isPlainObject(v[source])) fill(v[source], 'defaultMode', 420);
    }
  }
  for (const list of ['initContainers', 'containers']) for (const c of objects(spec[list])) defaultContainer(c);
  fill(spec, 'restartPolicy', 'Always');
  fill(spec, 'terminationGracePeriodSeconds', 30);
  fill(spec, 'dnsPolicy', 'ClusterFirst');
  if (typeof spec.serviceAccountName === 'string' && spec.serviceAccountName !== '') fill(spec, 'serviceAccount', spec.serviceAccountName);
  fill(spec, 'securityContext', {});
  fill(spec, 'schedulerName', 'default-scheduler');
}

/** Defaults of a workload kind's spec (Deployment, StatefulSet, DaemonSet, ReplicaSet), its pod template included. */
export function defaultWorkloadSpec(kind: string, spec: JsonObject): void {
  const podSpec = isPlainObject(spec.template) ? child(spec.template, 'spec') : undefined;
  if (podSpec) defaultPodSpec(podSpec);
  if (kind !== 'DaemonSet') fill(spec, 'replicas', 1);
  switch (kind) {
    case 'Deployment': {
      const strategy = child(spec, 'strategy');
      if (strategy) {
        fill(strategy, 'type', 'RollingUpdate');
        if (strategy.type === 'RollingUpdate') {
          const ru = child(strategy, 'rollingUpdate');
          if (ru) {
            fill(ru, 'maxUnavailable', '25%');
            fill(ru, 'maxSurge', '25%');
          }
        }
      }
      fill(spec, 'revisionHistoryLimit', 10);
      fill(spec, 'progressDeadlineSeconds', 600);
      break;
    }
    case 'StatefulSet': {
      fill(spec, 'podManagementPolicy', 'OrderedReady');
      const strategy = child(spec, 'updateStrategy');
      if (strategy) {
        fill(strategy, 'type', 'RollingUpdate');
        if (strategy.type === 'RollingUpdate') {
          const ru = child(strategy, 'rollingUpdate');
          if (ru) fill(ru, 'partition', 0);
        }
      }
      fill(spec, 'revisionHistoryLimit', 10);
      const retention = child(spec, 'persistentVolumeClaimRetentionPolicy');
      if (retention) {
        fill(retention, 'whenDeleted', 'Retain');
        fill(retention, 'whenScaled', 'Retain');
      }
      break;
    }
    case 'DaemonSet': {
      const strategy = child(spec, 'updateStrategy');
      if (strategy) {
        fill(strategy, 'type', 'RollingUpdate');
        if (strategy.type === 'RollingUpdate') {
          const ru = child(strategy, 'rollingUpdate');
          if (ru) {
            fill(ru, 'maxUnavailable', 1);
            fill(ru, 'maxSurge', 0);
          }
        }
      }
      fill(spec, 'revisionHistoryLimit', 10);
      break;
    }
    default:
      break;
  }
}

/**
 * Defaults of a Service spec besides the allocated addresses: `type`, `sessionAffinity`, ports' `protocol` and
 * `targetPort`, and for every type but ExternalName the IP family fields and `internalTrafficPolicy`; NodePort and
 * LoadBalancer Services also get `externalTrafficPolicy`, LoadBalancer ones `allocateLoadBalancerNodePorts`.
 */
export function defaultServiceSpec(spec: JsonObject): void {
  fill(spec, 'type', 'ClusterIP');
  fill(spec, 'sessionAffinity', 'None');
  for (const p of objects(spec.ports)) {
    fill(p, 'protocol', 'TCP');
    fill(p, 'targetPort', p.port);
  }
  if (spec.type === 'ExternalName') return;
  fill(spec, 'ipFamilies', ['IPv4']);
  fill(spec, 'ipFamilyPolicy', 'SingleStack');
  fill(spec, 'internalTrafficPolicy', 'Cluster');
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') fill(spec, 'externalTrafficPolicy', 'Cluster');
  if (spec.type === 'LoadBalancer') fill(spec, 'allocateLoadBalancerNodePorts', true);
}

/** Defaults of each webhook of a Validating/MutatingWebhookConfiguration. */
export function defaultWebhooks(obj: JsonObject, mutating: boolean): void {
  for (const w of objects(obj.webhooks)) {
    fill(w, 'failurePolicy', 'Fail');
    fill(w, 'matchPolicy', 'Equivalent');
    fill(w, 'namespaceSelector', {});
    fill(w, 'objectSelector', {});
    fill(w, 'timeoutSeconds', 10);
    if (mutating) fill(w, 'reinvocationPolicy', 'Never');
    if (isPlainObject(w.clientConfig?.service)) fill(w.clientConfig.service, 'port', 443);
    for (const r of objects(w.rules)) fill(r, 'scope', '*');
  }
}

/** The status a workload is created with: its counters that are never omitted, at zero. */
export function initialWorkloadStatus(kind: string): JsonObject {
  switch (kind) {
    case 'StatefulSet': return { replicas: 0, availableReplicas: 0 };
    case 'ReplicaSet': return { replicas: 0 };
    case 'DaemonSet': return { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
    default: return {};
  }
}

/** Defaults of a CustomResourceDefinition's spec: `names.listKind` and `conversion.strategy: None`. */
export function defaultCrdSpec(spec: JsonObject): void {
  if (isPlainObject(spec.names) && typeof spec.names.kind === 'string') fill(spec.names, 'listKind', `${spec.names.kind}List`);
  const conversion = child(spec, 'conversion');
  if (conversion) fill(conversion, 'strategy', 'None');
}

// (`containers` is not omitted when empty: it is null in an empty pod spec)
const POD_TEMPLATE = { metadata: {}, spec: { containers: null } };

/**
 * The maps a built-in kind's empty object has in the API server's own types (structs that are values, not pointers,
 * so they exist in every object): a create does not "create" them. Custom resources have none.
 */
export function zeroObject(kind: string): JsonObject {
  switch (kind) {
    case 'Deployment': return { metadata: {}, spec: { template: POD_TEMPLATE, strategy: {} }, status: {} };
    case 'StatefulSet':
    case 'DaemonSet': return { metadata: {}, spec: { template: POD_TEMPLATE, updateStrategy: {} }, status: {} };
    case 'ReplicaSet':
    case 'Job': return { metadata: {}, spec: { template: POD_TEMPLATE }, status: {} };
    case 'CronJob': return { metadata: {}, spec: { jobTemplate: { metadata: {}, spec: { template: POD_TEMPLATE } } }, status: {} };
    case 'Service':
    case 'Ingress': return { metadata: {}, spec: {}, status: { loadBalancer: {} } };
    case 'Namespace':
    case 'PodDisruptionBudget': return { metadata: {}, spec: {}, status: {} };
    case 'PersistentVolumeClaim': return { metadata: {}, spec: { resources: {} }, status: {} };
    case 'NetworkPolicy': return { metadata: {}, spec: { podSelector: {} } };
    case 'HorizontalPodAutoscaler': return { metadata: {}, spec: { scaleTargetRef: {} }, status: {} };
    case 'CustomResourceDefinition': return { metadata: {}, spec: { names: {} }, status: { acceptedNames: {} } };
    case 'RoleBinding':
    case 'ClusterRoleBinding': return { metadata: {}, roleRef: {} };
    case 'Lease':
    case 'LimitRange':
    case 'ResourceQuota': return { metadata: {}, spec: {} };
    default: return { metadata: {} };
  }
}
