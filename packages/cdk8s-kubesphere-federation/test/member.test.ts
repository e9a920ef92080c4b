import { AgentToken, ClusterVisibility, ComponentSize, Connection, Host, JwtSecret, Kubeconfig, Member } from '../src';
import { objectOf, objectsOf, testApp } from './util/fleet';
import { describeWithUpstream, loadUpstreamCrd, validateAgainstCrd } from './util/schema';

function fleet() {
  const app = testApp();
  const host = new Host(app, 'host', { name: 'host' });
  return { app, host };
}

describe('Member', () => {
  test('direct member: ClusterConfiguration in its folder, Cluster with a kubeconfig placeholder on the host (snapshot)', () => {
    const { app, host } = fleet();
    new Member(app, 'edge-1', { host, name: 'edge-1', region: 'eu-west', group: 'production', provider: 'Amazon EKS', connection: Connection.direct() });
    expect(app.manifests('edge-1')).toMatchSnapshot();
    expect(objectOf(app, 'host', 'Cluster', 'edge-1')).toMatchSnapshot();
  });

  test('direct member: the Cluster object joins the federation with labels and no status', () => {
    const { app, host } = fleet();
    new Member(app, 'edge-1', {
      host,
      name: 'edge-1',
      region: 'eu-west',
      group: 'production',
      visibility: ClusterVisibility.PUBLIC,
      labels: { tier: 'gold' },
      connection: Connection.direct({ context: 'admin@edge-1', kubesphereApiEndpoint: 'http://ks.edge-1.example.com' }),
    });
    const cluster = objectOf(app, 'host', 'Cluster', 'edge-1');
    expect(cluster.metadata.labels).toEqual({
      'tier': 'gold',
      'cluster.kubesphere.io/region': 'eu-west',
      'cluster.kubesphere.io/group': 'production',
      'cluster.kubesphere.io/visibility': 'public',
    });
    expect(cluster.spec).toEqual({
      joinFederation: true,
      enable: true,
      connection: { type: 'direct', kubeconfig: '{{ksfed:kubeconfig/edge-1}}', kubesphereAPIEndpoint: 'http://ks.edge-1.example.com' },
    });
    expect(cluster.status).toBeUndefined();
    const placeholder = app.federationManifest().placeholders.find((p: any) => p.id === 'kubeconfig/edge-1');
    expect(placeholder).toMatchObject({ kind: 'kubeconfig', encoding: 'base64', secret: true, source: { type: 'context', context: 'admin@edge-1', member: 'edge-1' } });
    // Nothing of the member lands in another member's folder.
    expect(objectsOf(app, 'edge-1', 'Cluster')).toEqual([]);
  });

  test('member ClusterConfiguration: member role, the federation\'s jwtSecret, accessTokenMaxAge 0', () => {
    const { app, host } = fleet();
    new Member(app, 'edge-1', { host, name: 'edge-1', connection: Connection.direct(), components: { logging: true } });
    const cc = objectOf(app, 'edge-1', 'ClusterConfiguration', 'ks-installer');
    expect(cc.spec).toEqual({
      authentication: { jwtSecret: '{{ksfed:jwt-secret}}', oauthOptions: { accessTokenMaxAge: 0 } },
      multicluster: { clusterRole: 'member' },
      logging: { enabled: true },
    });
    expect(cc.status).toBeUndefined();
    const jwt = app.federationManifest().placeholders.find((p: any) => p.id === 'jwt-secret');
    expect(jwt.source).toEqual({ type: 'host-secret', namespace: 'kubesphere-system', name: 'kubesphere-secret', key: 'secret', cluster: 'host' });
    expect(app.federationManifest().clusters.find((c: any) => c.name === 'edge-1').dependsOn).toEqual(['host']);
  });

  test('agent member: the cluster agent with the token in a Secret, the proxy Cluster pre-set with a generated token (snapshot)', () => {
    const { app, host } = fleet();
    new Member(app, 'branch-7', { host, name: 'branch-7', connection: Connection.agent() });
    expect(app.manifests('branch-7')).toMatchSnapshot();
    const cluster = objectOf(app, 'host', 'Cluster', 'branch-7');
    expect(cluster.spec.connection).toEqual({ type: 'proxy', token: '{{ksfed:agent-token/branch-7}}' });
    const agent = objectOf(app, 'branch-7', 'Deployment', 'cluster-agent');
    const container = agent.spec.template.spec.containers[0];
    expect(container.command).toContain('--name=branch-7');
    expect(container.command).toContain('--token=$(KS_AGENT_TOKEN)');
    expect(container.command).toContain('--proxy-server={{ksfed:proxy-address}}');
    expect(container.env).toEqual([{ name: 'KS_AGENT_TOKEN', valueFrom: { secretKeyRef: { name: 'cluster-agent-token', key: 'token' } } }]);
    expect(container.resources).toEqual({ requests: { cpu: '100m', memory: '100M' }, limits: { cpu: '1', memory: '200M' } });
    expect(objectOf(app, 'branch-7', 'Secret', 'cluster-agent-token').stringData).toEqual({ token: '{{ksfed:agent-token/branch-7}}' });
    const token = app.federationManifest().placeholders.find((p: any) => p.id === 'agent-token/branch-7');
    expect(token.source).toMatchObject({ type: 'generate', bytes: 32, reuse: { cluster: 'host', kind: 'Cluster', name: 'branch-7', pointer: '/spec/connection/token' } });
  });

  test('agent member: explicit proxy address, env token, tower token', () => {
    const { app, host } = fleet();
    new Member(app, 'b1', { host, name: 'b1', connection: Connection.agent({ proxyAddress: 'https://tower.example.com', token: AgentToken.fromEnv('B1_TOKEN') }) });
    new Member(app, 'b2', { host, name: 'b2', connection: Connection.agent({ token: AgentToken.fromTower() }) });
    expect(objectOf(app, 'b1', 'Deployment', 'cluster-agent').spec.template.spec.containers[0].command).toContain('--proxy-server=https://tower.example.com');
    expect(objectOf(app, 'host', 'Cluster', 'b2').spec.connection).toEqual({ type: 'proxy' });
    const manifest = app.federationManifest();
    expect(manifest.placeholders.find((p: any) => p.id === 'agent-token/b1').source).toEqual({ type: 'env', name: 'B1_TOKEN' });
    expect(manifest.placeholders.find((p: any) => p.id === 'agent-token/b2').source).toMatchObject({ type: 'read-object', wait: true, name: 'b2' });
  });

  test('a host proxyPublishAddress is used by agents directly', () => {
    const app = testApp();
    const host = new Host(app, 'host', { name: 'host', proxyPublishAddress: 'http://203.0.113.10:8080' });
    new Member(app, 'b1', { host, name: 'b1', connection: Connection.agent() });
    expect(objectOf(app, 'b1', 'Deployment', 'cluster-agent').spec.template.spec.containers[0].command).toContain('--proxy-server=http://203.0.113.10:8080');
    expect(app.federationManifest().placeholders.map((p: any) => p.id)).not.toContain('proxy-address');
  });

  test('inline kubeconfig is base64-encoded into the Cluster (explicit opt-in)', () => {
    const { app, host } = fleet();
    const text = 'apiVersion: v1\nclusters: []\n';
    new Member(app, 'edge-1', { host, name: 'edge-1', connection: Connection.direct({ kubeconfig: Kubeconfig.unsafeInline(text) }) });
    expect(objectOf(app, 'host', 'Cluster', 'edge-1').spec.connection.kubeconfig).toBe(Buffer.from(text).toString('base64'));
  });

  test('a member stating the host\'s jwtSecret explicitly is fine', () => {
    const app = testApp();
    const host = new Host(app, 'host', { name: 'host', jwtSecret: JwtSecret.fromEnv('KS_JWT') });
    expect(() => new Member(app, 'm', { host, name: 'm', jwtSecret: JwtSecret.fromEnv('KS_JWT'), connection: Connection.direct() })).not.toThrow();
  });

  describe('validation', () => {
    test('a member reusing the host\'s name', () => {
      const { app, host } = fleet();
      expect(() => new Member(app, 'again', { host, name: 'host', connection: Connection.direct() })).toThrow(
        /\[again\] name "host": it is the host's cluster name \(host\). Fix: give the member its own name/);
    });

    test('duplicate member names', () => {
      const { app, host } = fleet();
      new Member(app, 'a', { host, name: 'edge', connection: Connection.direct() });
      expect(() => new Member(app, 'b', { host, name: 'edge', connection: Connection.agent() })).toThrow(
        /\[b\] name "edge": cluster name already used by member a. Fix: give every cluster of the federation its own name/);
    });

    test('a member naming a host of another federation', () => {
      const other = fleet();
      const app = testApp();
      new Host(app, 'host', { name: 'host' });
      expect(() => new Member(app, 'edge', { host: other.host, name: 'edge', connection: Connection.direct() })).toThrow(
        /\[edge\] host "host": the host host belongs to another FederationApp \(another federation\)/);
    });

    test('differing jwtSecrets', () => {
      const app = testApp();
      const host = new Host(app, 'host', { name: 'host', jwtSecret: JwtSecret.fromEnv('KS_JWT') });
      expect(() => new Member(app, 'm', { host, name: 'm', jwtSecret: JwtSecret.fromEnv('OTHER'), connection: Connection.direct() })).toThrow(
        /\[m\] jwtSecret "environment variable OTHER": it differs from the host's jwtSecret \(environment variable KS_JWT\); KubeSphere refuses a member whose jwtSecret is not the host's. Fix: drop jwtSecret from the member/);
      const plain = testApp();
      const h2 = new Host(plain, 'host', { name: 'host', jwtSecret: JwtSecret.unsafePlainText('aaaaaaaaaaaa') });
      expect(() => new Member(plain, 'm', { host: h2, name: 'm', jwtSecret: JwtSecret.unsafePlainText('bbbbbbbbbbbb'), connection: Connection.direct() })).toThrow(/it differs from the host's jwtSecret/);
    });

    test('App Store on a member while off on the host', () => {
      const { app, host } = fleet();
      expect(() => new Member(app, 'm', { host, name: 'm', appStore: true, connection: Connection.direct() })).toThrow(
        /\[m\] appStore true: the App Store is enabled on this member while it is off on the host, which gives no App Store anywhere. Fix: enable it on the host instead \(appStore: true on host\)/);
    });

    test('agent capacity exceeded and agentSize on a direct member', () => {
      const { app, host } = fleet();
      expect(() => new Member(app, 'm', { host, name: 'm', connection: Connection.agent(), capacity: { memory: '64Mi' } })).toThrow(
        /\[m\] capacity.memory "64Mi": the federation components request 95.4Mi memory \(cluster-agent 100M\), 31.4Mi more than declared/);
      expect(() => new Member(app, 'd', { host, name: 'd', connection: Connection.direct(), agentSize: ComponentSize.CLUSTER_AGENT })).toThrow(
        /\[d\] agentSize "100m": a directly connected member runs no agent/);
    });

    test('invalid member names', () => {
      const { app, host } = fleet();
      expect(() => new Member(app, 'm', { host, name: 'Edge 1', connection: Connection.direct() })).toThrow(/\[m\] name "Edge 1": it must be a DNS-1123 label.*Fix: use a name like "edge-1"/);
    });
  });
});

describeWithUpstream('Member output against the upstream CRDs', () => {
  test('direct and proxy Cluster objects and member ClusterConfigurations are accepted once placeholders are filled', () => {
    const { app, host } = fleet();
    new Member(app, 'edge-1', { host, name: 'edge-1', region: 'eu', connection: Connection.direct() });
    new Member(app, 'branch-7', { host, name: 'branch-7', connection: Connection.agent() });
    // ksfed puts base64 (kubeconfig) and hex (token) values where the placeholders stand
    const fill = (o: any) => JSON.parse(JSON.stringify(o)
      .replace(/\{\{ksfed:kubeconfig\/[^}]+\}\}/g, Buffer.from('apiVersion: v1\nclusters: []\n').toString('base64'))
      .replace(/\{\{ksfed:[^}]+\}\}/g, 'a1b2c3'));
    const clusterCrd = loadUpstreamCrd('clusters.cluster.kubesphere.io.yaml');
    for (const cluster of objectsOf(app, 'host', 'Cluster')) expect(validateAgainstCrd(clusterCrd, fill(cluster))).toEqual([]);
    const ccCrd = loadUpstreamCrd('clusterconfigurations.installer.kubesphere.io.yaml');
    for (const name of ['edge-1', 'branch-7']) expect(validateAgainstCrd(ccCrd, fill(objectOf(app, name, 'ClusterConfiguration', 'ks-installer')))).toEqual([]);
  });
});
