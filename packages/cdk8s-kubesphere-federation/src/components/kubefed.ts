import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { checkImageRegistry, fail } from '../_util';
import { ClusterChart } from '../cluster-chart';
import { ComponentSize } from '../component-size';
import { PRUNE_ANNOTATION, WebhookCertificateSource } from '../contract/federation-json';
import { FEDERATED_TYPES, federatedCrd, federatedTypeConfig, KUBEFED_NAMESPACE as CRD_KUBEFED_NAMESPACE, kubeFedConfig, kubefedCoreCrds } from '../crds';
import { FederationApp } from '../federation-app';
import { Versions } from '../versions';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from './_security';

/** The namespace KubeFed runs in on the host (fixed by KubeSphere). */
export const KUBEFED_NAMESPACE = CRD_KUBEFED_NAMESPACE;
const WEBHOOK = 'kubefed-admission-webhook';
const WEBHOOK_SECRET = 'kubefed-admission-webhook-serving-cert';
const KUBEFED_UID = 1001;

/** Options of `WebhookCertificate.certManager`. */
export interface CertManagerWebhookCertificateOptions {
  /** The cert-manager issuer that signs the webhook's serving certificate. */
  readonly issuerName: string;
  /**
   * The issuer kind.
   * @default 'Issuer' (in kube-federation-system)
   */
  readonly issuerKind?: string;
}

/**
 * How the KubeFed admission webhook gets its serving certificate. The output never holds a private key.
 */
export class WebhookCertificate {
  /**
   * `ksfed` generates a self-signed serving certificate at apply time, stores it in the Secret
   * `kubefed-admission-webhook-serving-cert` on the host, writes its CA into the webhook configurations, and
   * reuses the stored one on later runs while it is valid for more than 30 days.
   */
  public static applyTime(): WebhookCertificate {
    return new WebhookCertificate('apply-time');
  }

  /**
   * cert-manager issues the certificate (a `Certificate` object is emitted) and its CA injector fills
   * `caBundle`. cert-manager must already run on the host.
   * @param options the cert-manager issuer
   */
  public static certManager(options: CertManagerWebhookCertificateOptions): WebhookCertificate {
    if (!options.issuerName) {
      fail('WebhookCertificate.certManager', 'issuerName', options.issuerName, 'it is empty', 'name the cert-manager Issuer or ClusterIssuer that signs the certificate');
    }
    const kind = options.issuerKind ?? 'Issuer';
    if (kind !== 'Issuer' && kind !== 'ClusterIssuer') {
      fail('WebhookCertificate.certManager', 'issuerKind', kind, 'cert-manager issuers are of kind Issuer or ClusterIssuer', 'use "Issuer" or "ClusterIssuer"');
    }
    return new WebhookCertificate('cert-manager', options.issuerName, kind);
  }

  private constructor(
    /** @internal */ public readonly _mode: 'apply-time' | 'cert-manager',
    /** @internal */ public readonly _issuerName?: string,
    /** @internal */ public readonly _issuerKind?: string,
  ) {}
}

/** Props of the KubeFed control plane. */
export interface KubeFedControlPlaneProps {
  /**
   * Controller-manager replicas.
   * @default 1
   */
  readonly controllerReplicas?: number;
  /**
   * Size of each controller-manager replica.
   * @default ComponentSize.KUBEFED_CONTROLLER_MANAGER
   */
  readonly controllerSize?: ComponentSize;
  /**
   * Size of the admission webhook.
   * @default ComponentSize.KUBEFED_ADMISSION_WEBHOOK
   */
  readonly webhookSize?: ComponentSize;
  /**
   * Registry prefix for the image: `host[:port][/path]` without scheme or trailing `/`.
   * @default - Docker Hub
   */
  readonly imageRegistry?: string;
  /**
   * How the admission webhook gets its serving certificate.
   * @default WebhookCertificate.applyTime()
   */
  readonly webhookCertificate?: WebhookCertificate;
}

/**
 * KubeFed as KubeSphere v3.4.1 runs it on the host (facts §3): the kube-federation-system namespace, the KubeFed
 * CRDs, controller-manager and admission webhook with their RBAC and Services, the webhook configurations, the
 * `KubeFedConfig` and the 28 `FederatedTypeConfig`s with their Federated CRDs.
 */
export class KubeFedControlPlane extends Construct {
  /** The controller-manager Deployment. */
  public readonly controllerManager: ApiObject;
  /** The admission webhook Deployment. */
  public readonly admissionWebhook: ApiObject;
  /** The `KubeFedConfig` named `kubefed`. */
  public readonly config: ApiObject;
  /** Controller-manager replicas. */
  public readonly controllerReplicas: number;
  /** Size of each controller-manager replica. */
  public readonly controllerSize: ComponentSize;
  /** Size of the admission webhook. */
  public readonly webhookSize: ComponentSize;

  /**
   * KubeFed's CRDs, controller-manager, admission webhook and configuration.
   * @param scope the host chart
   * @param id the construct id
   * @param props replicas, sizes, registry and webhook certificate
   */
  constructor(scope: Construct, id: string, props: KubeFedControlPlaneProps = {}) {
    super(scope, id);
    const replicas = props.controllerReplicas ?? 1;
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > 10) {
      fail(this, 'controllerReplicas', replicas, 'it must be a whole number from 1 to 10', 'use 1 on small clusters and 2 on clusters of 3 or more nodes');
    }
    this.controllerReplicas = replicas;
    this.controllerSize = props.controllerSize ?? ComponentSize.KUBEFED_CONTROLLER_MANAGER;
    this.webhookSize = props.webhookSize ?? ComponentSize.KUBEFED_ADMISSION_WEBHOOK;
    checkImageRegistry(this, 'imageRegistry', props.imageRegistry);
    const image = Versions.image(Versions.KUBEFED_IMAGE, props.imageRegistry);
    const certificate = props.webhookCertificate ?? WebhookCertificate.applyTime();
    const ns = KUBEFED_NAMESPACE;

    for (const crd of kubefedCoreCrds()) new ApiObject(this, `Crd-${crd.metadata.name}`, crd);
    for (const type of FEDERATED_TYPES) {
      const crd = federatedCrd(type);
      new ApiObject(this, `Crd-${crd.metadata.name}`, crd);
    }

    new ApiObject(this, 'Namespace', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: ns,
        // ks-installer labels it into the system workspace (facts §3.1 step 4).
        labels: { 'kubesphere.io/workspace': 'system-workspace', 'kubesphere.io/namespace': ns },
        // Never deleted by a prune: it holds every KubeFedCluster and its credentials.
        annotations: { [PRUNE_ANNOTATION]: 'never' },
      },
    });

    for (const sa of ['kubefed-controller', WEBHOOK]) {
      new ApiObject(this, `ServiceAccount-${sa}`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: ns } });
    }
    this.rbac(ns);

    this.controllerManager = new ApiObject(this, 'ControllerManager', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'kubefed-controller-manager', namespace: ns, labels: { 'kubefed-control-plane': 'controller-manager' } },
      spec: {
        replicas,
        selector: { matchLabels: { 'kubefed-control-plane': 'controller-manager' } },
        template: {
          metadata: { labels: { 'kubefed-control-plane': 'controller-manager' } },
          spec: {
            serviceAccountName: 'kubefed-controller',
            terminationGracePeriodSeconds: 10,
            securityContext: restrictedPodSecurityContext(KUBEFED_UID),
            containers: [{
              name: 'controller-manager',
              image,
              imagePullPolicy: 'IfNotPresent',
              command: ['/hyperfed/controller-manager', '--v=2', '--rest-config-qps=50', '--rest-config-burst=100'],
              ports: [{ name: 'metrics', containerPort: 9090 }],
              livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, initialDelaySeconds: 5, periodSeconds: 3, timeoutSeconds: 3 },
              resources: this.controllerSize._toKube(),
              securityContext: restrictedContainerSecurityContext(),
            }],
          },
        },
      },
    });

    this.admissionWebhook = new ApiObject(this, 'AdmissionWebhook', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: WEBHOOK, namespace: ns, labels: { 'kubefed-admission-webhook': 'true' } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { 'kubefed-admission-webhook': 'true' } },
        template: {
          metadata: { labels: { 'kubefed-admission-webhook': 'true' } },
          spec: {
            serviceAccountName: WEBHOOK,
            securityContext: restrictedPodSecurityContext(KUBEFED_UID),
            containers: [{
              name: 'admission-webhook',
              image,
              imagePullPolicy: 'IfNotPresent',
              command: ['/hyperfed/webhook', '--secure-port=8443', '--cert-dir=/var/serving-cert/', '--v=2'],
              ports: [{ name: 'https', containerPort: 8443 }],
              readinessProbe: { httpGet: { path: '/readyz/', port: 8443, scheme: 'HTTPS' }, initialDelaySeconds: 3, periodSeconds: 10 },
              volumeMounts: [{ name: 'serving-cert', mountPath: '/var/serving-cert', readOnly: true }],
              resources: this.webhookSize._toKube(),
              securityContext: restrictedContainerSecurityContext(),
            }],
            volumes: [{ name: 'serving-cert', secret: { secretName: WEBHOOK_SECRET, defaultMode: 0o440 } }],
          },
        },
      },
    });

    new ApiObject(this, 'WebhookService', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: WEBHOOK, namespace: ns },
      spec: { selector: { 'kubefed-admission-webhook': 'true' }, ports: [{ port: 443, targetPort: 8443, protocol: 'TCP' }] },
    });
    new ApiObject(this, 'MetricsService', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'kubefed-controller-manager-metrics-service',
        namespace: ns,
        labels: { 'kubefed-control-plane': 'controller-manager' },
        annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090', 'prometheus.io/scheme': 'http' },
      },
      spec: { selector: { 'kubefed-control-plane': 'controller-manager' }, ports: [{ name: 'metrics', port: 9090, targetPort: 'metrics', protocol: 'TCP' }] },
    });

    const caBundle = this.certificate(certificate, ns);
    this.webhookConfigurations(ns, certificate, caBundle);

    this.config = new ApiObject(this, 'KubeFedConfig', kubeFedConfig(ns));

    for (const type of FEDERATED_TYPES) {
      new ApiObject(this, `FederatedTypeConfig-${type.ftcName}`, federatedTypeConfig(type, ns));
    }
  }

  private rbac(ns: string): void {
    const kubefedGroups = ['scheduling.kubefed.io', 'multiclusterdns.kubefed.io', 'core.kubefed.io', 'types.kubefed.io'];
    const cluster = (id: string, name: string, rules: any[]) => new ApiObject(this, id, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules });
    const binding = (id: string, kind: 'ClusterRoleBinding' | 'RoleBinding', name: string, namespace: string | undefined, roleKind: string, role: string, subject: any) =>
      new ApiObject(this, id, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind,
        metadata: { name, ...(namespace ? { namespace } : {}) },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: role },
        subjects: [subject],
      });
    const sa = (name: string) => ({ kind: 'ServiceAccount', name, namespace: ns });

    cluster('ControllerClusterRole', 'kubefed-role', [
      { apiGroups: kubefedGroups, resources: ['*'], verbs: ['get', 'watch', 'list', 'create', 'update', 'patch', 'delete'] },
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'watch', 'list'] },
      { apiGroups: [''], resources: ['events'], verbs: ['get', 'create', 'update', 'patch'] },
    ]);
    binding('ControllerClusterRoleBinding', 'ClusterRoleBinding', 'kubefed-rolebinding', undefined, 'ClusterRole', 'kubefed-role', sa('kubefed-controller'));

    new ApiObject(this, 'ConfigRole', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'kubefed-config-role', namespace: ns },
      rules: [
        { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'create', 'update', 'patch'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
      ],
    });
    binding('ConfigRoleBinding', 'RoleBinding', 'kubefed-config-rolebinding', ns, 'Role', 'kubefed-config-role', sa('kubefed-controller'));

    new ApiObject(this, 'WebhookRole', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'kubefed-admission-webhook-role', namespace: ns },
      rules: [{ apiGroups: ['core.kubefed.io'], resources: ['federatedtypeconfigs', 'kubefedclusters', 'kubefedconfigs'], verbs: ['get', 'watch', 'list'] }],
    });
    binding('WebhookRoleBinding', 'RoleBinding', 'kubefed-admission-webhook-rolebinding', ns, 'Role', 'kubefed-admission-webhook-role', sa(WEBHOOK));
    binding('WebhookAuthDelegator', 'ClusterRoleBinding', 'kubefed-admission-webhook:auth-delegator', undefined, 'ClusterRole', 'system:auth-delegator', sa(WEBHOOK));
    binding('WebhookExtensionViewer', 'RoleBinding', 'kubefed-admission-webhook:apiextension-viewer', 'kube-system', 'Role', 'extension-apiserver-authentication-reader', sa(WEBHOOK));
    // The API server calls admission webhooks anonymously; this role only lets it submit admission reviews.
    cluster('AdmissionRequester', 'system:kubefed:admission-requester', [
      { apiGroups: ['validation.core.kubefed.io', 'mutation.core.kubefed.io'], resources: ['*'], verbs: ['create'] },
    ]);
    binding('AdmissionRequesterBinding', 'ClusterRoleBinding', 'kubefed-admission-webhook:anonymous-auth', undefined, 'ClusterRole', 'system:kubefed:admission-requester',
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'system:anonymous' });
  }

  /** Declares the serving certificate; returns the caBundle value for the webhook configurations. */
  private certificate(certificate: WebhookCertificate, ns: string): string | undefined {
    const dnsNames = [WEBHOOK, `${WEBHOOK}.${ns}`, `${WEBHOOK}.${ns}.svc`];
    if (certificate._mode === 'cert-manager') {
      new ApiObject(this, 'ServingCertificate', {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: WEBHOOK, namespace: ns },
        spec: {
          secretName: WEBHOOK_SECRET,
          dnsNames,
          duration: '8760h',
          issuerRef: { name: certificate._issuerName, kind: certificate._issuerKind, group: 'cert-manager.io' },
        },
      });
      return undefined;
    }
    const app = FederationApp.forScope(this);
    const host = ClusterChart.forScope(this).clusterName;
    const source: Omit<WebhookCertificateSource, 'part'> = {
      type: 'webhook-certificate', cluster: host, namespace: ns, secret: WEBHOOK_SECRET, dnsNames, validDays: 365, renewBeforeDays: 30,
    };
    const parts: [string, WebhookCertificateSource['part'], string][] = [['ca.crt', 'ca', 'the CA certificate'], ['tls.crt', 'cert', 'the serving certificate'], ['tls.key', 'key', 'the serving private key']];
    const values: { [key: string]: string } = {};
    for (const [key, part, what] of parts) {
      values[key] = app._registerPlaceholder({
        id: `kubefed-webhook/${key}`,
        kind: 'webhook-certificate',
        description: `KubeFed admission webhook: ${what} (PEM, base64), generated by ksfed at apply time`,
        encoding: 'base64',
        secret: part === 'key',
        source: { ...source, part },
        requires: [],
      });
    }
    new ApiObject(this, 'ServingCertSecret', {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: WEBHOOK_SECRET, namespace: ns },
      data: values,
    });
    return values['ca.crt'];
  }

  private webhookConfigurations(ns: string, certificate: WebhookCertificate, caBundle: string | undefined): void {
    const annotations = certificate._mode === 'cert-manager' ? { 'cert-manager.io/inject-ca-from': `${ns}/${WEBHOOK}` } : undefined;
    const hook = (name: string, path: string, resources: string[], operations: string[]) => ({
      name,
      admissionReviewVersions: ['v1beta1'],
      clientConfig: { service: { namespace: ns, name: WEBHOOK, path }, ...(caBundle ? { caBundle } : {}) },
      // scope '*' is what the API server defaults; written out, so a re-apply can tell this atomic list is unchanged.
      rules: [{ operations, apiGroups: ['core.kubefed.io'], apiVersions: ['v1beta1'], resources, scope: '*' }],
      failurePolicy: 'Fail',
      sideEffects: 'None',
    });
    new ApiObject(this, 'ValidatingWebhook', {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'validations.core.kubefed.io', ...(annotations ? { annotations } : {}) },
      webhooks: [
        hook('federatedtypeconfigs.core.kubefed.io', '/validate-federatedtypeconfigs', ['federatedtypeconfigs', 'federatedtypeconfigs/status'], ['CREATE', 'UPDATE']),
        hook('kubefedclusters.core.kubefed.io', '/validate-kubefedcluster', ['kubefedclusters', 'kubefedclusters/status'], ['CREATE', 'UPDATE']),
        hook('kubefedconfigs.core.kubefed.io', '/validate-kubefedconfig', ['kubefedconfigs'], ['CREATE', 'UPDATE']),
      ],
    });
    new ApiObject(this, 'MutatingWebhook', {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'mutation.core.kubefed.io', ...(annotations ? { annotations } : {}) },
      webhooks: [hook('kubefedconfigs.core.kubefed.io', '/default-kubefedconfig', ['kubefedconfigs'], ['CREATE'])],
    });
  }
}
