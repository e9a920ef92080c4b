import { App } from 'cdk8s';
import { ComponentOwner, ComponentSize, Connection, FederationApp, Host, HostProps, JwtSecret, Member, TowerServiceType, Versions, WebhookCertificate } from '../src';
import { objectOf, objectsOf, testApp } from './util/fleet';

describe('Host', () => {
  test('defaults: host ClusterConfiguration, host Cluster, KubeFed and tower (snapshot)', () => {
    const app = testApp();
    new Host(app, 'host', { name: 'host' });
    expect(app.manifests('host')).toMatchSnapshot();
  });

  test('the ClusterConfiguration marks the host and keeps ks-installer from installing KubeFed twice', () => {
    const app = testApp();
    new Host(app, 'host', { name: 'prod-host', proxyPublishAddress: 'http://203.0.113.10:8080', appStore: true, components: { devops: true, networkPolicy: false } });
    const cc = objectOf(app, 'prod-host', 'ClusterConfiguration', 'ks-installer');
    expect(cc.metadata.namespace).toBe('kubesphere-system');
    expect(cc.spec.multicluster).toEqual({ clusterRole: 'host', hostClusterName: 'prod-host', proxyPublishAddress: 'http://203.0.113.10:8080' });
    expect(cc.spec.openpitrix).toEqual({ store: { enabled: true } });
    expect(cc.spec.devops).toEqual({ enabled: true });
    expect(cc.spec.network).toEqual({ networkpolicy: { enabled: false } });
    expect(cc.status).toEqual({ multicluster: { status: 'enabled' } });
    // The default jwtSecret is ks-installer's own: the host CC leaves it alone.
    expect(cc.spec.authentication).toBeUndefined();
  });

  test('the host Cluster carries the host role label and lets the controller manage its kubeconfig', () => {
    const app = testApp();
    new Host(app, 'host', { name: 'host', region: 'eu-central', group: 'production', labels: { tier: 'gold' }, description: 'the host' });
    const cluster = objectOf(app, 'host', 'Cluster', 'host');
    expect(cluster.metadata.labels).toEqual({
      'cluster-role.kubesphere.io/host': '',
      'kubesphere.io/managed': 'true',
      'cluster.kubesphere.io/region': 'eu-central',
      'cluster.kubesphere.io/group': 'production',
      'tier': 'gold',
    });
    expect(cluster.metadata.annotations).toEqual({ 'kubesphere.io/description': 'the host' });
    expect(cluster.spec).toEqual({ joinFederation: true, enable: true, provider: 'kubesphere', connection: { type: 'direct' } });
    expect(cluster.status).toBeUndefined();
  });

  test('controller-manager replicas follow ks-installer\'s rule: 2 from 3 nodes on, else 1', () => {
    const replicas = (nodes?: number) => {
      const app = testApp();
      new Host(app, 'host', { name: 'host', capacity: nodes === undefined ? undefined : { nodes } });
      return objectOf(app, 'host', 'Deployment', 'kubefed-controller-manager').spec.replicas;
    };
    expect(replicas()).toBe(1);
    expect(replicas(2)).toBe(1);
    expect(replicas(3)).toBe(2);
    expect(replicas(12)).toBe(2);
  });

  test('sizes and the registry prefix reach the workloads', () => {
    const app = testApp();
    const host = new Host(app, 'host', {
      name: 'host',
      imageRegistry: 'registry.local:5000',
      sizes: { tower: ComponentSize.of({ cpuRequest: '50m', memoryRequest: '64Mi' }) },
      kubefedControllerReplicas: 3,
    });
    expect(host.kubefedControllerReplicas).toBe(3);
    const tower = objectOf(app, 'host', 'Deployment', 'tower');
    expect(tower.spec.template.spec.containers[0].image).toBe(`registry.local:5000/${Versions.TOWER_IMAGE}`);
    expect(tower.spec.template.spec.containers[0].resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' } });
    const cm = objectOf(app, 'host', 'Deployment', 'kubefed-controller-manager');
    expect(cm.spec.replicas).toBe(3);
    expect(cm.spec.template.spec.containers[0].image).toBe(`registry.local:5000/${Versions.KUBEFED_IMAGE}`);
    expect(objectOf(app, 'host', 'ClusterConfiguration', 'ks-installer').spec.local_registry).toBe('registry.local:5000');
  });

  test('every generated workload runs hardened', () => {
    const app = testApp();
    new Host(app, 'host', { name: 'host' });
    const deployments = objectsOf(app, 'host', 'Deployment');
    expect(deployments.map(d => d.metadata.name).sort()).toEqual(['kubefed-admission-webhook', 'kubefed-controller-manager', 'tower']);
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      for (const c of pod.containers) {
        expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true });
        expect(c.image).toMatch(/:v\d+\.\d+\.\d+$/);
      }
    }
  });

  test('ComponentOwner.INSTALLER leaves KubeFed and tower to ks-installer', () => {
    const app = testApp();
    const host = new Host(app, 'host', { name: 'host', componentOwner: ComponentOwner.INSTALLER });
    expect(host.kubefed).toBeUndefined();
    expect(host.tower).toBeUndefined();
    expect(app.manifests('host').map(o => o.kind)).toEqual(['ClusterConfiguration', 'Cluster']);
    expect(objectOf(app, 'host', 'ClusterConfiguration', 'ks-installer').status).toBeUndefined();
  });

  test('tower service type and node port', () => {
    const app = testApp();
    new Host(app, 'host', { name: 'host', towerServiceType: TowerServiceType.NODE_PORT, towerNodePort: 30721, proxyPublishAddress: 'http://10.0.0.5:30721' });
    const svc = objectOf(app, 'host', 'Service', 'tower');
    expect(svc.spec.type).toBe('NodePort');
    expect(svc.spec.ports[0]).toMatchObject({ port: 8080, nodePort: 30721 });
  });

  test('cert-manager provides the webhook certificate: no Secret, CA injected', () => {
    const app = testApp();
    new Host(app, 'host', { name: 'host', webhookCertificate: WebhookCertificate.certManager({ issuerName: 'selfsigned', issuerKind: 'ClusterIssuer' }) });
    expect(objectsOf(app, 'host', 'Secret')).toEqual([]);
    const cert = objectOf(app, 'host', 'Certificate', 'kubefed-admission-webhook');
    expect(cert.spec.issuerRef).toEqual({ name: 'selfsigned', kind: 'ClusterIssuer', group: 'cert-manager.io' });
    const hook = objectOf(app, 'host', 'ValidatingWebhookConfiguration', 'validations.core.kubefed.io');
    expect(hook.metadata.annotations['cert-manager.io/inject-ca-from']).toBe('kube-federation-system/kubefed-admission-webhook');
    expect(hook.webhooks[0].clientConfig.caBundle).toBeUndefined();
  });

  test('an inline jwtSecret is written, and only then', () => {
    const app = testApp();
    new Host(app, 'host', { name: 'host', jwtSecret: JwtSecret.unsafePlainText('s3cr3t-value-for-test') });
    expect(objectOf(app, 'host', 'ClusterConfiguration', 'ks-installer').spec.authentication).toEqual({ jwtSecret: 's3cr3t-value-for-test' });
    const env = testApp();
    new Host(env, 'host', { name: 'host', jwtSecret: JwtSecret.fromEnv('KS_JWT_SECRET') });
    expect(objectOf(env, 'host', 'ClusterConfiguration', 'ks-installer').spec.authentication).toEqual({ jwtSecret: '{{ksfed:jwt-secret}}' });
    expect(env.federationManifest().placeholders.find((p: any) => p.id === 'jwt-secret').source).toEqual({ type: 'env', name: 'KS_JWT_SECRET' });
  });

  describe('validation', () => {
    test('two hosts in one federation', () => {
      const app = testApp();
      new Host(app, 'host', { name: 'host' });
      expect(() => new Host(app, 'host2', { name: 'host-2' })).toThrow(
        /\[host2\] Host "host-2": this federation already has a host, host \("host"\); KubeSphere allows exactly one. Fix: make this cluster a Member/);
    });

    test('invalid cluster names', () => {
      expect(() => new Host(testApp(), 'host', { name: 'Host_1' })).toThrow(/\[host\] name "Host_1": it must be a DNS-1123 label.*Fix: use a name like "host-1"/);
      expect(() => new Host(testApp(), 'host', { name: '' })).toThrow(/\[host\] name "": it is empty/);
      expect(() => new Host(testApp(), 'host', { name: 'a'.repeat(61) })).toThrow(/more than 60 \(at most 60, since tower names a Service "mc-<name>"\)/);
      expect(() => new Host(testApp(), 'host', { name: 'my.host' })).toThrow(/name "my.host": it must be a DNS-1123 label/);
    });

    test('a host must live in a FederationApp', () => {
      expect(() => new Host(new App(), 'host', { name: 'host' })).toThrow(/\[host\] must be created in a FederationApp, not a plain cdk8s App/);
    });

    test('invalid labels, region and group', () => {
      expect(() => new Host(testApp(), 'host', { name: 'host', region: 'eu west' })).toThrow(/\[host\] region "eu west": a label value may hold/);
      expect(() => new Host(testApp(), 'host', { name: 'host', labels: { 'bad key!': 'x' } })).toThrow(/\[host\] labels key "bad key!"/);
      expect(() => new Host(testApp(), 'host', { name: 'host', labels: { tier: '-gold' } })).toThrow(/\[host\] labels\["tier"\] "-gold"/);
    });

    test('proxy settings', () => {
      expect(() => new Host(testApp(), 'host', { name: 'host', proxyPublishAddress: '1.2.3.4:8080' })).toThrow(/\[host\] proxyPublishAddress "1.2.3.4:8080": it is not an http\(s\) URL/);
      expect(() => new Host(testApp(), 'host', { name: 'host', towerServiceType: TowerServiceType.CLUSTER_IP })).toThrow(
        /\[host\] proxyPublishAddress \(unset\): with towerServiceType ClusterIP there is no load balancer address.*Fix: set proxyPublishAddress/);
      expect(() => new Host(testApp(), 'host', { name: 'host', towerNodePort: 30001, proxyPublishAddress: 'http://x:30001' })).toThrow(
        /\[host\/Tower\] nodePort 30001: it only applies to TowerServiceType.NODE_PORT, not LoadBalancer/);
      expect(() => new Host(testApp(), 'host', { name: 'host', componentOwner: ComponentOwner.INSTALLER, webhookCertificate: WebhookCertificate.applyTime() })).toThrow(
        /\[host\] componentOwner "installer": webhookCertificate, towerServiceType and towerNodePort only apply when this library installs/);
    });

    test('imageRegistry is a registry host[:port][/path]: no scheme, trailing "/", spaces or tag', () => {
      const host = (imageRegistry: string) => new Host(testApp(), 'host', { name: 'host', imageRegistry });
      expect(() => host('https://registry.example.com')).toThrow(
        /\[host\] imageRegistry "https:\/\/registry.example.com": an image registry has no scheme \(images are pulled as <registry>\/kubesphere\/tower:v0.2.1\). Fix: drop the scheme: "registry.example.com"$/);
      expect(() => host('http://registry.local:5000/')).toThrow(/imageRegistry "http:\/\/registry.local:5000\/": an image registry has no scheme.*Fix: drop the scheme: "registry.local:5000"$/);
      expect(() => host('registry.example.com/')).toThrow(/\[host\] imageRegistry "registry.example.com\/": it ends with "\/".*Fix: drop the trailing "\/": "registry.example.com"$/);
      expect(() => host('registry.example.com /mirror')).toThrow(/imageRegistry "registry.example.com \/mirror": it holds spaces. Fix: remove them: "registry.example.com\/mirror"$/);
      expect(() => host('registry.example.com/Mirror')).toThrow(/imageRegistry "registry.example.com\/Mirror": it is not an image registry host\[:port\]\[\/path\].*Fix: write host\[:port\]\[\/path\]: "registry.example.com\/mirror"$/);
      expect(() => host('registry.example.com/mirror:v1')).toThrow(/imageRegistry "registry.example.com\/mirror:v1": it is not an image registry host\[:port\]\[\/path\]/);
      expect(() => host('')).toThrow(/\[host\] imageRegistry "": it is empty. Fix: omit imageRegistry to pull from Docker Hub/);
      for (const ok of ['registry.local:5000', 'Registry.Example.com/mirror/kubesphere-io', 'localhost:5000', '10.0.0.1:5000/a_b', '[fd00::1]:5000']) {
        const app = testApp();
        new Host(app, 'host', { name: 'host', imageRegistry: ok });
        expect(objectOf(app, 'host', 'Deployment', 'tower').spec.template.spec.containers[0].image).toBe(`${ok}/kubesphere/tower:v0.2.1`);
      }
    });

    test('capacity exceeded, with the shortfall', () => {
      expect(() => new Host(testApp(), 'host', { name: 'host', capacity: { cpu: '250m' } })).toThrow(
        /\[host\] capacity.cpu "250m": the federation components request 300m CPU \(kubefed-controller-manager 100m, kubefed-admission-webhook 100m, tower 100m\), 50m more than declared. Fix: declare the real allocatable CPU/);
      expect(() => new Host(testApp(), 'host', { name: 'host', capacity: { nodes: 3, memory: '256Mi' } })).toThrow(
        /\[host\] capacity.memory "256Mi": the federation components request 320Mi memory \(kubefed-controller-manager 2x64Mi, kubefed-admission-webhook 64Mi, tower 128Mi\), 64Mi more than declared/);
      expect(() => new Host(testApp(), 'host', { name: 'host', capacity: { cpu: '300m', memory: '256Mi' } })).not.toThrow();
    });

    test('invalid quantities and node counts', () => {
      expect(() => new Host(testApp(), 'host', { name: 'host', capacity: { cpu: 'four' } })).toThrow(/\[host\] capacity.cpu "four": it is not a positive Kubernetes quantity. Fix: write it like "4"/);
      expect(() => new Host(testApp(), 'host', { name: 'host', capacity: { memory: '8GB' } })).toThrow(/\[host\] capacity.memory "8GB": it is not a positive Kubernetes quantity/);
      expect(() => new Host(testApp(), 'host', { name: 'host', capacity: { nodes: 0 } })).toThrow(/\[host\] capacity.nodes 0: it must be a whole number of at least 1/);
      expect(() => new Host(testApp(), 'host', { name: 'host', kubefedControllerReplicas: 0 })).toThrow(/\[host\/KubeFed\] controllerReplicas 0: it must be a whole number from 1 to 10/);
    });
  });

  describe('warning: agent members and the LoadBalancer tower without proxyPublishAddress', () => {
    const fleet = (hostProps: Partial<HostProps>, members: [string, Connection][]) => {
      const app = testApp();
      const host = new Host(app, 'host', { name: 'host', ...hostProps });
      for (const [name, connection] of members) new Member(app, name, { host, name, connection });
      return app;
    };

    test('warned (not refused) with the default LoadBalancer tower and an agent member', () => {
      const app = fleet({}, [['edge-1', Connection.direct()], ['branch-7', Connection.agent()]]);
      expect(app.warnings()).toEqual([
        '[host] proxyPublishAddress (unset): agent member branch-7 dials tower at the external address of its LoadBalancer Service, which ksfed reads at apply time; '
        + 'on a cluster without a load-balancer controller (bare metal, kind) none arrives and the agents cannot connect. Fix: make sure the host gives LoadBalancer Services '
        + 'an external address, or set proxyPublishAddress (e.g. towerServiceType: TowerServiceType.NODE_PORT with "http://<node-ip>:<nodePort>"), or give the agent members '
        + 'Connection.agent({ proxyAddress })',
      ]);
      expect(() => app.synth()).not.toThrow();
      const many = fleet({ componentOwner: ComponentOwner.INSTALLER }, ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map(n => [n, Connection.agent()]));
      expect(many.warnings()).toEqual([expect.stringMatching(/^\[host\] proxyPublishAddress \(unset\): agent members a, b, c, d, e and 2 more dial tower at the external address/)]);
    });

    test('not warned without agent members, with proxyPublishAddress, or when each agent has its proxyAddress', () => {
      expect(fleet({}, [['edge-1', Connection.direct()]]).warnings()).toEqual([]);
      expect(fleet({ proxyPublishAddress: 'http://203.0.113.10:8080' }, [['branch-7', Connection.agent()]]).warnings()).toEqual([]);
      expect(fleet({ towerServiceType: TowerServiceType.NODE_PORT, proxyPublishAddress: 'http://10.0.0.5:30880' }, [['branch-7', Connection.agent()]]).warnings()).toEqual([]);
      expect(fleet({}, [['branch-7', Connection.agent({ proxyAddress: 'http://tower.example.com:8080' })]]).warnings()).toEqual([]);
    });
  });

  test('a member may not be created before the host exists in the app (host prop must be a Host)', () => {
    const app = new FederationApp({ outdir: testApp().outdir });
    expect(() => new Member(app, 'edge', { host: {} as any, name: 'edge', connection: Connection.direct() })).toThrow(/\[edge\] host "\[object Object\]": it is not a Host/);
  });
});
