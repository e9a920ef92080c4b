import { Host, KubeFedControlPlane, WebhookCertificate } from '../../src';
import { objectOf, objectsOf, testApp } from '../util/fleet';
import { describeWithUpstream, loadUpstreamCrd, validateAgainstCrd } from '../util/schema';

function hostApp() {
  const app = testApp();
  const host = new Host(app, 'host', { name: 'host' });
  return { app, host, kubefed: host.kubefed as KubeFedControlPlane };
}

describe('KubeFedControlPlane', () => {
  test('the workloads as KubeSphere runs them (snapshot)', () => {
    const { app } = hostApp();
    expect(objectOf(app, 'host', 'Deployment', 'kubefed-controller-manager')).toMatchSnapshot();
    expect(objectOf(app, 'host', 'Deployment', 'kubefed-admission-webhook')).toMatchSnapshot();
    expect(objectOf(app, 'host', 'ValidatingWebhookConfiguration', 'validations.core.kubefed.io')).toMatchSnapshot();
  });

  test('CRDs: the 7 KubeFed CRDs and 28 Federated CRDs, each FTC matching a Federated CRD', () => {
    const { app } = hostApp();
    const crds = objectsOf(app, 'host', 'CustomResourceDefinition').map(c => c.metadata.name);
    expect(crds.length).toBe(35);
    const ftcs = objectsOf(app, 'host', 'FederatedTypeConfig');
    expect(ftcs.length).toBe(28);
    for (const ftc of ftcs) {
      expect(ftc.metadata.namespace).toBe('kube-federation-system');
      expect(crds).toContain(`${ftc.spec.federatedType.pluralName}.${ftc.spec.federatedType.group}`);
    }
    expect(ftcs.map(f => f.metadata.name)).toEqual(expect.arrayContaining(['deployments.apps', 'namespaces', 'workspaces.tenant.kubesphere.io', 'ingresses.networking.k8s.io']));
  });

  test('the webhook serving certificate comes from apply-time placeholders; no key in the output', () => {
    const { app } = hostApp();
    const secret = objectOf(app, 'host', 'Secret', 'kubefed-admission-webhook-serving-cert');
    expect(secret.type).toBe('kubernetes.io/tls');
    expect(secret.data).toEqual({ 'ca.crt': '{{ksfed:kubefed-webhook/ca.crt}}', 'tls.crt': '{{ksfed:kubefed-webhook/tls.crt}}', 'tls.key': '{{ksfed:kubefed-webhook/tls.key}}' });
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
      for (const hook of objectsOf(app, 'host', kind)[0].webhooks) {
        expect(hook.clientConfig).toMatchObject({ caBundle: '{{ksfed:kubefed-webhook/ca.crt}}', service: { name: 'kubefed-admission-webhook', namespace: 'kube-federation-system' } });
        expect(hook.failurePolicy).toBe('Fail');
      }
    }
    const key = app.federationManifest().placeholders.find((p: any) => p.id === 'kubefed-webhook/tls.key');
    expect(key).toMatchObject({ secret: true, encoding: 'base64', source: { type: 'webhook-certificate', part: 'key', cluster: 'host' } });
    expect(key.source.dnsNames).toEqual(['kubefed-admission-webhook', 'kubefed-admission-webhook.kube-federation-system', 'kubefed-admission-webhook.kube-federation-system.svc']);
  });

  test('webhook paths and rules', () => {
    const { app } = hostApp();
    const validating = objectOf(app, 'host', 'ValidatingWebhookConfiguration', 'validations.core.kubefed.io');
    expect(validating.webhooks.map((w: any) => [w.name, w.clientConfig.service.path])).toEqual([
      ['federatedtypeconfigs.core.kubefed.io', '/validate-federatedtypeconfigs'],
      ['kubefedclusters.core.kubefed.io', '/validate-kubefedcluster'],
      ['kubefedconfigs.core.kubefed.io', '/validate-kubefedconfig'],
    ]);
    const mutating = objectOf(app, 'host', 'MutatingWebhookConfiguration', 'mutation.core.kubefed.io');
    expect(mutating.webhooks[0]).toMatchObject({ name: 'kubefedconfigs.core.kubefed.io', clientConfig: { service: { path: '/default-kubefedconfig' } }, rules: [{ operations: ['CREATE'] }] });
  });

  test('the namespace is protected from pruning and labelled into the system workspace', () => {
    const { app } = hostApp();
    const ns = objectOf(app, 'host', 'Namespace', 'kube-federation-system');
    expect(ns.metadata.labels['kubesphere.io/workspace']).toBe('system-workspace');
    expect(ns.metadata.annotations['ksfed.kubesphere-federation/prune']).toBe('never');
  });

  test('KubeFedConfig per the facts sheet', () => {
    const { app } = hostApp();
    const config = objectOf(app, 'host', 'KubeFedConfig', 'kubefed');
    expect(config.spec.scope).toBe('Cluster');
    expect(config.spec.featureGates).toContainEqual({ name: 'SchedulerPreferences', configuration: 'Enabled' });
    expect(config.spec.syncController).toEqual({ maxConcurrentReconciles: 1, adoptResources: 'Enabled' });
  });

  test('validation: imageRegistry without trailing slash', () => {
    const { host } = hostApp();
    expect(() => new KubeFedControlPlane(host, 'kubefed2', { imageRegistry: 'mirror.local/' })).toThrow(/\[host\/kubefed2\] imageRegistry "mirror.local\/": it ends with "\/".*Fix: drop the trailing "\/": "mirror.local"/);
  });

  test('validation: cert-manager issuer', () => {
    expect(() => WebhookCertificate.certManager({ issuerName: '' })).toThrow(/\[WebhookCertificate.certManager\] issuerName "": it is empty/);
    expect(() => WebhookCertificate.certManager({ issuerName: 'x', issuerKind: 'Vault' })).toThrow(/issuerKind "Vault": cert-manager issuers are of kind Issuer or ClusterIssuer/);
  });
});

describeWithUpstream('KubeFedControlPlane output against the upstream CRDs', () => {
  test('KubeFedConfig, FederatedTypeConfigs, Cluster and ClusterConfiguration objects are accepted by the real schemas', () => {
    const { app } = hostApp();
    const check = (file: string, objects: any[]) => {
      const crd = loadUpstreamCrd(file);
      expect(crd).toBeDefined();
      for (const o of objects) expect(validateAgainstCrd(crd, o)).toEqual([]);
    };
    check('kubefedconfigs.core.kubefed.io.yaml', objectsOf(app, 'host', 'KubeFedConfig'));
    check('federatedtypeconfigs.core.kubefed.io.yaml', objectsOf(app, 'host', 'FederatedTypeConfig'));
    check('clusters.cluster.kubesphere.io.yaml', objectsOf(app, 'host', 'Cluster'));
    check('clusterconfigurations.installer.kubesphere.io.yaml', objectsOf(app, 'host', 'ClusterConfiguration'));
  });
});
