import { federatedCrds } from 'cdk8s-kubesphere-federation/lib/crds/federated-types';
import { apply, clientFor, eventually } from './helpers';
import { Sandbox } from '../src';
import {
  agentOf, AgentSeen, configSettings, decodeKubeconfig, endpointPatch, handshake, installerConfig, joinKind, kubeconfigServer, notFederatedPatch,
  notReadyPatch, placeholderKubeconfig, readAgent, readyPatch, setCondition, towerPatch, towerPort, workspaceConflicts,
} from '../src/kubesphere';

const CLUSTER = 'cluster.kubesphere.io/v1alpha1';

function cluster(name: string, connection: any, labels?: Record<string, string>): any {
  return { apiVersion: CLUSTER, kind: 'Cluster', metadata: { name, ...(labels ? { labels } : {}) }, spec: { joinFederation: true, connection } };
}

function agent(clusterName: string, token: string, env?: any[]): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'cluster-agent', namespace: 'kubesphere-system' },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: {
        metadata: { labels: { app: 'agent' } },
        spec: {
          serviceAccountName: 'kubesphere',
          containers: [{
            name: 'agent',
            image: 'kubesphere/tower:v0.2.1',
            command: ['/agent', `--name=${clusterName}`, `--token=${token}`, '--proxy-server=http://172.31.0.10:8080', '--keepalive=10s'],
            ...(env ? { env } : {}),
          }],
        },
      },
    },
  };
}

const condition = (obj: any, type: string) => obj?.status?.conditions?.find((c: any) => c.type === type);

describe('KubeSphere emulation', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await Sandbox.start({ clusters: ['host', 'edge-1', 'branch-7', 'branch-8'], rolloutDelayMs: 10, kubesphereDelayMs: 10 });
  });
  afterAll(async () => {
    await sandbox.stop();
  });
  const host = () => sandbox.cluster('host');
  const hostCluster = (name: string) => host().get(CLUSTER, 'Cluster', name);

  test('every cluster starts with KubeSphere\'s CRDs (established), namespaces and the kubesphere ServiceAccount and jwt Secret', () => {
    for (const c of sandbox.clusters) {
      for (const crd of ['clusters.cluster.kubesphere.io', 'clusterconfigurations.installer.kubesphere.io', 'workspacetemplates.tenant.kubesphere.io',
        'workspaces.tenant.kubesphere.io', 'workspaceroles.iam.kubesphere.io', 'workspacerolebindings.iam.kubesphere.io', 'users.iam.kubesphere.io']) {
        const obj = c.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', crd);
        expect(condition(obj, 'Established')?.status).toBe('True');
      }
      expect(c.get('v1', 'Namespace', 'kubesphere-system')).toBeDefined();
      expect(c.get('v1', 'Namespace', 'kubesphere-controls-system')).toBeDefined();
      expect(c.get('v1', 'ServiceAccount', 'kubesphere', 'kubesphere-system')).toBeDefined();
      const jwt = c.get('v1', 'Secret', 'kubesphere-secret', 'kubesphere-system');
      expect(Buffer.from(jwt.data.secret, 'base64').toString().length).toBeGreaterThanOrEqual(32);
    }
  });

  test('every cluster runs ks-apiserver v3.4.1 (Deployment, available, and Service) with a kubesphere-config of clusterRole none and its own jwtSecret', async () => {
    for (const c of sandbox.clusters) {
      const deploy = await eventually(() => c.get('apps/v1', 'Deployment', 'ks-apiserver', 'kubesphere-system')?.status?.availableReplicas === 1
        && c.get('apps/v1', 'Deployment', 'ks-apiserver', 'kubesphere-system'));
      expect(deploy.metadata.labels.version).toBe('v3.4.1');
      expect(deploy.spec.template.spec.containers[0].image).toBe('kubesphere/ks-apiserver:v3.4.1');
      expect(c.get('v1', 'Service', 'ks-apiserver', 'kubesphere-system').spec.ports[0]).toMatchObject({ port: 80, targetPort: 9090 });
      const secret = Buffer.from(c.get('v1', 'Secret', 'kubesphere-secret', 'kubesphere-system').data.secret, 'base64').toString();
      expect(configSettings(c.get('v1', 'ConfigMap', 'kubesphere-config', 'kubesphere-system'))).toEqual({
        authentication: { jwtSecret: secret },
        multicluster: { clusterRole: 'none' },
      });
    }
  });

  test('tower initializes a proxy Cluster: token, endpoints, ports, Initialized, mc- Service; owned by tower', async () => {
    await apply(clientFor(sandbox, 'host'), cluster('branch-7', { type: 'proxy' }));
    const c = await eventually(() => condition(hostCluster('branch-7'), 'Initialized')?.status === 'True' && hostCluster('branch-7'));
    const conn = c.spec.connection;
    expect(conn.token).toMatch(/^[0-9a-f]{64}$/);
    expect(conn.kubernetesAPIServerPort).toBeGreaterThanOrEqual(6000);
    expect(conn.kubernetesAPIServerPort).toBeLessThan(7000);
    expect(conn.kubesphereAPIServerPort).toBe(conn.kubernetesAPIServerPort + 10000);
    const svc = host().get('v1', 'Service', 'mc-branch-7', 'kubesphere-system');
    expect(svc.spec.ports.map((p: any) => [p.name, p.port, p.targetPort])).toEqual([
      ['kubernetes', 6443, conn.kubernetesAPIServerPort], ['kubesphere', 80, conn.kubesphereAPIServerPort],
    ]);
    expect(conn.kubernetesAPIEndpoint).toBe(`https://${svc.spec.clusterIP}:6443`);
    expect(conn.kubesphereAPIEndpoint).toBe(`http://${svc.spec.clusterIP}:80`);
    const tower = c.metadata.managedFields.find((e: any) => e.manager === 'tower');
    expect(Object.keys(tower.fieldsV1['f:spec']['f:connection'])).toEqual(expect.arrayContaining(['f:token', 'f:kubernetesAPIEndpoint']));

    // The applier re-applies its Cluster (no token): tower's fields stay, nothing conflicts, nothing changes.
    const rv = hostCluster('branch-7').metadata.resourceVersion;
    await apply(clientFor(sandbox, 'host'), cluster('branch-7', { type: 'proxy' }));
    expect(hostCluster('branch-7').metadata.resourceVersion).toBe(rv);
    expect(hostCluster('branch-7').spec.connection.token).toBe(conn.token);
  });

  test('a pre-set token is kept and stays owned by the applier', async () => {
    const token = 'a'.repeat(64);
    await apply(clientFor(sandbox, 'host'), cluster('branch-8', { type: 'proxy', token }));
    const c = await eventually(() => condition(hostCluster('branch-8'), 'Initialized') && hostCluster('branch-8'));
    expect(c.spec.connection.token).toBe(token);
    const tower = c.metadata.managedFields.find((e: any) => e.manager === 'tower');
    expect(tower.fieldsV1['f:spec']['f:connection']['f:token']).toBeUndefined();
  });

  test('the tower LoadBalancer Service gets an ingress IP', async () => {
    await apply(clientFor(sandbox, 'host'), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'tower', namespace: 'kubesphere-system' },
      spec: { type: 'LoadBalancer', selector: { app: 'tower' }, ports: [{ name: 'http', port: 8080, targetPort: 8080 }] },
    });
    const svc = await eventually(() => host().get('v1', 'Service', 'tower', 'kubesphere-system').status?.loadBalancer?.ingress?.[0]?.ip);
    expect(svc).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });

  test('agent handshake with a Secret-referenced token: kubeconfig, AgentAvailable, Federated, Ready', async () => {
    const token = hostCluster('branch-7').spec.connection.token;
    const member = clientFor(sandbox, 'branch-7');
    await apply(member, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'agent-token', namespace: 'kubesphere-system' }, stringData: { token } });
    await apply(member, agent('branch-7', '$(AGENT_TOKEN)', [{ name: 'AGENT_TOKEN', valueFrom: { secretKeyRef: { name: 'agent-token', key: 'token' } } }]));
    const c = await eventually(() => condition(hostCluster('branch-7'), 'Ready')?.status === 'True' && hostCluster('branch-7'));
    expect(condition(c, 'AgentAvailable').status).toBe('True');
    expect(condition(c, 'Federated').status).toBe('True');
    const kubeconfig = Buffer.from(c.spec.connection.kubeconfig, 'base64').toString();
    expect(kubeconfig).toContain(c.spec.connection.kubernetesAPIEndpoint);
    expect(kubeconfig).not.toContain(sandbox.cluster('branch-7').token);
    expect(c.status).toMatchObject({ kubernetesVersion: 'v1.26.15', kubeSphereVersion: 'v3.4.1', nodeCount: 1 });
    expect(c.status.uid).toBe(sandbox.cluster('branch-7').get('v1', 'Namespace', 'kube-system').metadata.uid);
    expect(c.metadata.managedFields.map((e: any) => e.manager)).toEqual(expect.arrayContaining(['ksfed', 'tower', 'ks-controller-manager']));
    expect(readAgent(sandbox.cluster('branch-7'))).toMatchObject({ name: 'branch-7', token, available: true });
  });

  test('readAgent resolves $(VAR) from configMapKeyRef and reports a missing Secret', async () => {
    const edge = sandbox.cluster('edge-1');
    const client = clientFor(sandbox, 'edge-1');
    await apply(client, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'agent', namespace: 'kubesphere-system' }, data: { t: 'from-cm' } });
    await apply(client, agent('edge-1', '$(T)', [{ name: 'T', valueFrom: { configMapKeyRef: { name: 'agent', key: 't' } } }]));
    expect(readAgent(edge)).toMatchObject({ name: 'edge-1', token: 'from-cm' });
    await apply(client, agent('edge-1', '$(T)', [{ name: 'T', valueFrom: { secretKeyRef: { name: 'absent', key: 't' } } }]), 'ksfed', true);
    const broken = readAgent(edge)!;
    expect(broken).toMatchObject({ name: 'edge-1', problem: 'secret "absent" (key "t") not found in kubesphere-system' });
    expect(broken.token).toBeUndefined();
    await client.delete(agent('edge-1', ''));
    expect(readAgent(edge)).toBeUndefined();
  });

  test('a wrong token: AgentAvailable False with the reason, no kubeconfig', async () => {
    await apply(clientFor(sandbox, 'branch-8'), agent('branch-8', 'f'.repeat(64)));
    const c = await eventually(() => condition(hostCluster('branch-8'), 'AgentAvailable') && hostCluster('branch-8'));
    expect(condition(c, 'AgentAvailable')).toMatchObject({ status: 'False', reason: 'TokenMismatch' });
    expect(condition(c, 'AgentAvailable').message).toContain('does not match spec.connection.token');
    expect(c.spec.connection.kubeconfig).toBeUndefined();
    expect(condition(c, 'Ready')).toBeUndefined();
  });

  test('an agent that goes away: AgentAvailable and Ready turn False', async () => {
    await clientFor(sandbox, 'branch-7').delete(agent('branch-7', ''));
    const c = await eventually(() => condition(hostCluster('branch-7'), 'AgentAvailable')?.status === 'False' && hostCluster('branch-7'));
    expect(condition(c, 'Ready').status).toBe('False');
  });

  test('direct Clusters: Ready with a kubeconfig that works, Unauthorized with a stale token, nothing without kubeconfig', async () => {
    const kc = (token: string) => Buffer.from(JSON.stringify({
      'apiVersion': 'v1',
      'kind': 'Config',
      'clusters': [{ name: 'edge-1', cluster: { server: sandbox.cluster('edge-1').url } }],
      'users': [{ name: 'u', user: { token } }],
      'contexts': [{ name: 'edge-1', context: { cluster: 'edge-1', user: 'u' } }],
      'current-context': 'edge-1',
    })).toString('base64');
    await apply(clientFor(sandbox, 'host'), cluster('edge-1', { type: 'direct', kubeconfig: kc(sandbox.cluster('edge-1').token) }));
    const c = await eventually(() => condition(hostCluster('edge-1'), 'Ready')?.status === 'True' && hostCluster('edge-1'));
    expect(condition(c, 'Federated').status).toBe('True');
    expect(c.spec.connection.kubernetesAPIEndpoint).toBe(sandbox.cluster('edge-1').url);
    expect(c.status.uid).toBe(sandbox.cluster('edge-1').get('v1', 'Namespace', 'kube-system').metadata.uid);

    await apply(clientFor(sandbox, 'host'), cluster('edge-1', { type: 'direct', kubeconfig: kc('expired') }));
    const stale = await eventually(() => condition(hostCluster('edge-1'), 'Ready')?.status === 'False' && hostCluster('edge-1'));
    expect(condition(stale, 'Ready').message).toContain('Unauthorized');

    await apply(clientFor(sandbox, 'host'), cluster('no-kubeconfig', { type: 'direct' }));
    await new Promise((r) => setTimeout(r, 60));
    expect(hostCluster('no-kubeconfig').status).toBeUndefined();
  });

  test('a host-labelled, KubeSphere-managed Cluster gets an in-cluster kubeconfig and becomes Ready', async () => {
    await apply(clientFor(sandbox, 'host'), cluster('host', { type: 'direct' }, { 'cluster-role.kubesphere.io/host': '', 'kubesphere.io/managed': 'true' }));
    const c = await eventually(() => condition(hostCluster('host'), 'Ready')?.status === 'True' && hostCluster('host'));
    expect(c.spec.connection.kubeconfig).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });

  test('ks-installer marks ClusterConfiguration ks-installer enabled (multicluster on hosts)', async () => {
    const cc = (role: string) => ({
      apiVersion: 'installer.kubesphere.io/v1alpha1',
      kind: 'ClusterConfiguration',
      metadata: { name: 'ks-installer', namespace: 'kubesphere-system' },
      spec: { multicluster: { clusterRole: role } },
    });
    await apply(clientFor(sandbox, 'host'), cc('host'));
    await apply(clientFor(sandbox, 'edge-1'), cc('member'));
    const hostCc = await eventually(() => host().get('installer.kubesphere.io/v1alpha1', 'ClusterConfiguration', 'ks-installer', 'kubesphere-system').status?.multicluster);
    expect(hostCc.status).toBe('enabled');
    const memberCc = await eventually(() => sandbox.cluster('edge-1').get('installer.kubesphere.io/v1alpha1', 'ClusterConfiguration', 'ks-installer', 'kubesphere-system').status?.core);
    expect(memberCc.status).toBe('enabled');
    expect(sandbox.cluster('edge-1').get('installer.kubesphere.io/v1alpha1', 'ClusterConfiguration', 'ks-installer', 'kubesphere-system').status.multicluster).toBeUndefined();
  });

  test('ks-installer renders kubesphere-config from the ClusterConfiguration and kubesphere-secret; the cluster controller writes clusterName', async () => {
    // edge-1 became a member above (ClusterConfiguration) and was joined directly (Cluster edge-1 Ready)
    const edge = sandbox.cluster('edge-1');
    const settings = () => configSettings(edge.get('v1', 'ConfigMap', 'kubesphere-config', 'kubesphere-system'))!;
    await eventually(() => settings().multicluster.clusterRole === 'member' && settings().multicluster.clusterName === 'edge-1');
    expect(settings().authentication.oauthOptions).toEqual({ accessTokenMaxAge: 0 });
    expect(settings().multicluster.enable).toBe(false);
    // a jwtSecret the ClusterConfiguration asks for replaces kubesphere-secret and the config's
    await apply(clientFor(sandbox, 'edge-1'), {
      apiVersion: 'installer.kubesphere.io/v1alpha1',
      kind: 'ClusterConfiguration',
      metadata: { name: 'ks-installer', namespace: 'kubesphere-system' },
      spec: { multicluster: { clusterRole: 'member' }, authentication: { jwtSecret: 'shared-jwt-secret-0123456789abcdef' } },
    });
    await eventually(() => settings().authentication.jwtSecret === 'shared-jwt-secret-0123456789abcdef');
    expect(Buffer.from(edge.get('v1', 'Secret', 'kubesphere-secret', 'kubesphere-system').data.secret, 'base64').toString()).toBe('shared-jwt-secret-0123456789abcdef');
    expect(settings().multicluster.clusterName).toBe('edge-1');
    // a change made to kubesphere-config by hand stays until an input changes
    const edited = { ...settings(), authentication: { ...settings().authentication, jwtSecret: 'edited-by-hand' } };
    edge.api.mergePatch(edge.api.typeOf('v1', 'ConfigMap'), 'kubesphere-system', 'kubesphere-config', { data: { 'kubesphere.yaml': JSON.stringify(edited) } }, 'kubectl-edit');
    await new Promise((r) => setTimeout(r, 60));
    expect(settings().authentication.jwtSecret).toBe('edited-by-hand');
  });

  test('deleting a proxy Cluster deletes its mc- Service', async () => {
    await clientFor(sandbox, 'host').delete(cluster('branch-8', {}));
    await eventually(() => host().get('v1', 'Service', 'mc-branch-8', 'kubesphere-system') === undefined);
    expect(host().get('v1', 'Service', 'mc-branch-7', 'kubesphere-system')).toBeDefined();
  });
});

describe('what keeps a join from completing', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await Sandbox.start({
      clusters: ['host', 'edge-1', 'edge-2', 'branch-7'],
      rolloutDelayMs: 5,
      kubesphereDelayMs: 5,
      towerUnreachableFrom: ['branch-7'],
      unreachableFromHost: ['edge-2'],
    });
    sandbox.cluster('host').crds.install(federatedCrds().find((c) => c.spec.names.kind === 'FederatedWorkspace'), 'ksfed');
  });
  afterAll(async () => {
    await sandbox.stop();
  });
  const hostCluster = (name: string) => sandbox.cluster('host').get(CLUSTER, 'Cluster', name);
  const kc = (name: string) => Buffer.from(JSON.stringify({
    clusters: [{ name, cluster: { server: sandbox.cluster(name).url } }],
    users: [{ name: 'u', user: { token: sandbox.cluster(name).token } }],
  })).toString('base64');

  test('ks-installer writes the ClusterConfiguration\'s jwtSecret into kubesphere-secret when it changes, not when the Secret alone does', async () => {
    const edge = sandbox.cluster('edge-1');
    const jwt = () => Buffer.from(edge.get('v1', 'Secret', 'kubesphere-secret', 'kubesphere-system').data.secret, 'base64').toString();
    const cc = (secret: string, role = 'member') => ({
      apiVersion: 'installer.kubesphere.io/v1alpha1',
      kind: 'ClusterConfiguration',
      metadata: { name: 'ks-installer', namespace: 'kubesphere-system' },
      spec: { authentication: { jwtSecret: secret }, multicluster: { clusterRole: role } },
    });
    await apply(clientFor(sandbox, 'edge-1'), cc('the-hosts-secret-0123456789abcdef'));
    await eventually(() => jwt() === 'the-hosts-secret-0123456789abcdef');
    // another writer changes the Secret: ks-installer runs only when its ClusterConfiguration changes
    edge.api.mergePatch(edge.api.typeOf('v1', 'Secret'), 'kubesphere-system', 'kubesphere-secret', { data: { secret: Buffer.from('tampered').toString('base64') } }, 'kubectl-edit');
    await apply(clientFor(sandbox, 'edge-1'), cc('the-hosts-secret-0123456789abcdef', 'member'));
    await new Promise((r) => setTimeout(r, 40));
    expect(jwt()).toBe('tampered');
    await apply(clientFor(sandbox, 'edge-1'), cc('a-new-secret-0123456789abcdef0123'));
    await eventually(() => jwt() === 'a-new-secret-0123456789abcdef0123');
  });

  test('towerUnreachableFrom: the agent runs with the right token and never connects: no AgentAvailable, no kubeconfig', async () => {
    await apply(clientFor(sandbox, 'host'), cluster('branch-7', { type: 'proxy', token: 'a'.repeat(64) }));
    await eventually(() => condition(hostCluster('branch-7'), 'Initialized'));
    await apply(clientFor(sandbox, 'branch-7'), agent('branch-7', 'a'.repeat(64)));
    await eventually(() => sandbox.cluster('branch-7').get('apps/v1', 'Deployment', 'cluster-agent', 'kubesphere-system')?.status?.availableReplicas === 1);
    await new Promise((r) => setTimeout(r, 60));
    expect(condition(hostCluster('branch-7'), 'AgentAvailable')).toBeUndefined();
    expect(hostCluster('branch-7').spec.connection.kubeconfig).toBeUndefined();
  });

  test('unreachableFromHost: a direct Cluster there gets Federated False with the dial error as its reason, never Ready', async () => {
    await apply(clientFor(sandbox, 'host'), cluster('edge-2', { type: 'direct', kubeconfig: kc('edge-2') }));
    const c = await eventually(() => condition(hostCluster('edge-2'), 'Federated') && hostCluster('edge-2'));
    expect(condition(c, 'Federated')).toMatchObject({ status: 'False', message: 'Cluster can not join federation control plane' });
    expect(condition(c, 'Federated').reason).toMatch(/^Get "http:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/kube-federation-system": dial tcp 127\.0\.0\.1:\d+: i\/o timeout$/);
    expect(condition(c, 'Ready')).toBeUndefined();
  });

  test('the join pre-check: a KubeFed-managed Workspace the host places elsewhere keeps the member out until it is placed there', async () => {
    const edge = sandbox.cluster('edge-1');
    edge.api.create(edge.api.typeOf('tenant.kubesphere.io/v1alpha1', 'Workspace'), undefined,
      { apiVersion: 'tenant.kubesphere.io/v1alpha1', kind: 'Workspace', metadata: { name: 'shop', labels: { 'kubefed.io/managed': 'true' } } }, { fieldManager: 'kubefed' });
    const fw = (clusters: string[]) => ({
      apiVersion: 'types.kubefed.io/v1beta1',
      kind: 'FederatedWorkspace',
      metadata: { name: 'shop' },
      spec: { template: { spec: {} }, placement: { clusters: clusters.map((name) => ({ name })) } },
    });
    await apply(clientFor(sandbox, 'host'), fw(['edge-2']));
    await apply(clientFor(sandbox, 'host'), cluster('edge-1', { type: 'direct', kubeconfig: kc('edge-1') }));
    const refused = await eventually(() => condition(hostCluster('edge-1'), 'Federated') && hostCluster('edge-1'));
    expect(condition(refused, 'Federated')).toMatchObject({ status: 'False', reason: 'workspace "shop" already exists in cluster "edge-1", managed by KubeFed, and this host does not place it there' });
    expect(condition(refused, 'Ready')).toBeUndefined();
    // WHEN the host places it there too, the member joins
    await apply(clientFor(sandbox, 'host'), fw(['edge-1', 'edge-2']));
    const joined = await eventually(() => condition(hostCluster('edge-1'), 'Ready')?.status === 'True' && hostCluster('edge-1'));
    expect(condition(joined, 'Federated').status).toBe('True');
  });
});

describe('setCondition', () => {
  test('adds, keeps timestamps when unchanged, moves lastTransitionTime only on a status flip', () => {
    const first = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'x', message: 'm' })!;
    expect(first).toHaveLength(1);
    expect(setCondition(first, { type: 'Ready', status: 'False', reason: 'x', message: 'm' })).toBeUndefined();
    const sameStatus = setCondition([{ ...first[0], lastTransitionTime: 'T0' }], { type: 'Ready', status: 'False', reason: 'y', message: 'm' })!;
    expect(sameStatus[0].lastTransitionTime).toBe('T0');
    const flipped = setCondition([{ ...first[0], lastTransitionTime: 'T0' }], { type: 'Ready', status: 'True', reason: '', message: '' })!;
    expect(flipped[0].lastTransitionTime).not.toBe('T0');
  });
});

// The decisions the sandbox's emulator and the real fleet's stand-ins share (src/real-fleet/stand-ins.ts).
describe('KubeSphere\'s decisions, free of any store', () => {
  const proxy = (extra: any = {}, status?: any) => ({ metadata: { name: 'branch-7' }, spec: { joinFederation: true, connection: { type: 'proxy', ...extra } }, ...(status ? { status } : {}) });
  const running = (token: string | undefined, on = 'branch-7'): AgentSeen => ({ cluster: on, agent: { name: 'branch-7', token, available: true } });

  test('joinKind: proxy, the managed host (until it has a kubeconfig), direct, or nothing', () => {
    expect(joinKind(proxy())).toBe('proxy');
    const labels = { 'cluster-role.kubesphere.io/host': '', 'kubesphere.io/managed': 'true' };
    expect(joinKind({ metadata: { name: 'host', labels }, spec: { joinFederation: true, connection: { type: 'direct' } } })).toBe('managed-host');
    expect(joinKind({ metadata: { name: 'host', labels }, spec: { joinFederation: true, connection: { type: 'direct', kubeconfig: 'eA==' } } })).toBe('direct');
    expect(joinKind({ metadata: { name: 'e' }, spec: { joinFederation: true } })).toBe('direct');
    expect(joinKind({ metadata: { name: 'e' }, spec: { joinFederation: false, connection: { type: 'proxy' } } })).toBeUndefined();
    expect(joinKind({ metadata: { name: 'e', deletionTimestamp: 'T' }, spec: { joinFederation: true } })).toBeUndefined();
  });

  test('towerPatch: a token only when there is none, endpoints from the Service IP, ports P and P+10000, Initialized; then nothing', () => {
    const patch = towerPatch(proxy(), '10.96.0.7', 6123, () => 'f'.repeat(64))!;
    expect(patch.spec.connection).toEqual({
      token: 'f'.repeat(64), kubernetesAPIEndpoint: 'https://10.96.0.7:6443', kubesphereAPIEndpoint: 'http://10.96.0.7:80', kubernetesAPIServerPort: 6123, kubesphereAPIServerPort: 16123,
    });
    expect(patch.status.conditions.map((c: any) => `${c.type}=${c.status}`)).toEqual(['Initialized=True']);
    expect(towerPatch(proxy({ ...patch.spec.connection }, patch.status), '10.96.0.7', 6123, () => 'x')).toBeUndefined();
    expect(towerPatch(proxy({ token: 'mine' }), '10.96.0.7', 6123, () => 'x')!.spec.connection.token).toBeUndefined();
    expect(towerPort(proxy({ kubernetesAPIServerPort: 6500 }), [], () => 0)).toBe(6500);
    expect(towerPort(proxy(), [proxy({ kubernetesAPIServerPort: 6000 })], (() => { let n = 0; return () => n++; })())).toBe(6001);
  });

  test('handshake: the right token connects (a kubeconfig once), a wrong one is TokenMismatch, a lost agent disconnects', () => {
    const obj = proxy({ token: 'T', kubernetesAPIEndpoint: 'https://10.96.0.7:6443' });
    const ok = handshake(obj, [running('T', 'member-a')], (server) => `kc for ${server}`);
    expect(ok.connected).toBe('member-a');
    expect(ok.patch!.spec.connection.kubeconfig).toBe('kc for https://10.96.0.7:6443');
    expect(ok.patch!.status.conditions[0]).toMatchObject({ type: 'AgentAvailable', status: 'True' });
    const connected = { ...obj, spec: { connection: { ...obj.spec.connection, kubeconfig: 'x' } }, status: ok.patch!.status };
    expect(handshake(connected, [running('T', 'member-a')], () => 'unused')).toEqual({ connected: 'member-a' });

    const wrong = handshake(obj, [running('W', 'member-b')], () => 'unused');
    expect(wrong.connected).toBeUndefined();
    expect(wrong.patch!.status.conditions[0]).toMatchObject({ status: 'False', reason: 'TokenMismatch', message: 'agent on cluster "member-b" presented a token that does not match spec.connection.token' });
    expect(handshake(obj, [], () => 'unused')).toEqual({});
    const lost = handshake(connected, [], () => 'unused');
    expect(lost.disconnected).toBe('Cluster agent is not connected');
    expect(lost.patch!.status.conditions[0]).toMatchObject({ status: 'False', reason: 'Disconnected' });
    expect(handshake(proxy(), [running('T')], () => 'unused')).toEqual({});
  });

  test('agentOf resolves --token through the lookup; readyPatch/notReadyPatch only when something changes', () => {
    const deploy = {
      metadata: { generation: 2 },
      status: { observedGeneration: 2, availableReplicas: 1 },
      spec: { template: { spec: { containers: [{ command: ['/agent', '--name=b', '--token=$(T)'], env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }] } } },
    };
    expect(agentOf(deploy, { secret: () => ({ data: { k: Buffer.from('tok').toString('base64') } }), configMap: () => undefined })).toEqual({ name: 'b', token: 'tok', available: true });
    expect(agentOf({ ...deploy, status: { observedGeneration: 1, availableReplicas: 1 } }, { secret: () => undefined, configMap: () => undefined }))
      .toEqual({ name: 'b', available: false, problem: 'secret "s" (key "k") not found in kubesphere-system' });

    const ready = readyPatch({ metadata: { name: 'e' } }, { kubernetesVersion: 'v1.34.4', uid: 'u1' })!;
    expect(ready.status).toMatchObject({ kubernetesVersion: 'v1.34.4', kubeSphereVersion: 'v3.4.1', nodeCount: 1, uid: 'u1' });
    expect(ready.status.conditions.map((c: any) => `${c.type}=${c.status}`)).toEqual(['Federated=True', 'Ready=True']);
    expect(readyPatch({ metadata: { name: 'e' }, status: ready.status }, { kubernetesVersion: 'v1.34.4', uid: 'u1' })).toBeUndefined();
    expect(readyPatch({ metadata: { name: 'e' }, status: ready.status }, { kubernetesVersion: 'v1.35.0', uid: 'u1' })!.status.kubernetesVersion).toBe('v1.35.0');
    const down = notReadyPatch({ status: ready.status }, 'Unauthorized')!;
    expect(down.status.conditions.find((c: any) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'NotReady', message: 'Unauthorized' });
    expect(notReadyPatch({ status: down.status }, 'Unauthorized')).toBeUndefined();
  });

  test('installerConfig: the asked jwtSecret wins over the secret; member and host multicluster settings; clusterName and other keys kept', () => {
    const member = { spec: { multicluster: { clusterRole: 'member' }, authentication: { jwtSecret: 'J', oauthOptions: { accessTokenMaxAge: 7200, extra: 1 } } } };
    const current = { authentication: { jwtSecret: 'old' }, multicluster: { clusterRole: 'none', clusterName: 'm1' }, monitoring: { endpoint: 'x' } };
    expect(installerConfig(member, 'old', current)).toEqual({
      secret: 'J',
      settings: {
        authentication: { jwtSecret: 'J', oauthOptions: { accessTokenMaxAge: 0, extra: 1 } },
        multicluster: { clusterRole: 'member', enable: false, clusterName: 'm1' },
        monitoring: { endpoint: 'x' },
      },
    });
    const host = { spec: { multicluster: { clusterRole: 'host', hostClusterName: 'h', proxyPublishAddress: 'http://203.0.113.10:8080' } } };
    expect(installerConfig(host, 'S', { authentication: { jwtSecret: 'S' } })).toEqual({
      settings: { authentication: { jwtSecret: 'S' }, multicluster: { clusterRole: 'host', enable: true, proxyPublishAddress: 'http://203.0.113.10:8080', hostClusterName: 'h' } },
    });
    // nothing to change: nothing returned
    expect(installerConfig({ spec: {} }, 'S', { authentication: { jwtSecret: 'S' }, multicluster: { clusterRole: 'none' } })).toEqual({});
  });

  test('kubeconfig helpers: decode, server, endpoint only when empty; placeholder kubeconfigs hold the given token only', () => {
    const text = placeholderKubeconfig('e', 'https://10.0.0.1:6443', 'placeholder-1');
    const obj = { spec: { connection: { kubeconfig: text } } };
    expect(kubeconfigServer(decodeKubeconfig(obj)!)).toBe('https://10.0.0.1:6443');
    expect(decodeKubeconfig(obj)).toContain('token: placeholder-1');
    expect(decodeKubeconfig({ spec: { connection: { kubeconfig: 'not base64!' } } })).toBeUndefined();
    expect(endpointPatch({ spec: { connection: {} } }, 'https://s')).toEqual({ spec: { connection: { kubernetesAPIEndpoint: 'https://s' } } });
    expect(endpointPatch({ spec: { connection: { kubernetesAPIEndpoint: 'https://t' } } }, 'https://s')).toBeUndefined();
  });

  test('workspaceConflicts: KubeFed-managed Workspaces whose host FederatedWorkspace places them elsewhere; notFederatedPatch', () => {
    const ws = (name: string, managed?: string) => ({ metadata: { name, ...(managed ? { labels: { 'kubefed.io/managed': managed } } : {}) } });
    const fw = (name: string, placement: any) => ({ metadata: { name }, spec: { placement } });
    const member = [ws('a', 'true'), ws('b', 'true'), ws('c', 'false'), ws('d'), ws('e', 'true'), ws('f', 'true')];
    const host = [fw('a', { clusters: [{ name: 'edge-2' }] }), fw('b', { clusters: [{ name: 'edge-1' }] }), fw('c', { clusters: [] }), fw('d', { clusters: [] }), fw('f', { clusterSelector: {} })];
    // (a: placed elsewhere; b: placed here; c, d: not managed by KubeFed; e: no FederatedWorkspace on the host; f: a selector)
    expect(workspaceConflicts(member, host, 'edge-1')).toEqual(['a']);
    const patch = notFederatedPatch({ status: { conditions: [] } }, 'dial tcp 10.0.0.5:6443: i/o timeout')!;
    expect(patch.status.conditions[0]).toMatchObject({ type: 'Federated', status: 'False', reason: 'dial tcp 10.0.0.5:6443: i/o timeout', message: 'Cluster can not join federation control plane' });
    expect(notFederatedPatch({ status: patch.status }, 'dial tcp 10.0.0.5:6443: i/o timeout')).toBeUndefined();
  });
});
