// The stand-ins of a real fleet (src/real-fleet/stand-ins.ts), each against real kube-apiservers: workload status,
// load-balancer addresses, KubeFed's real admission webhook reached through kube-apiserver's cluster egress, and
// KubeSphere's tower and cluster controller.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FederationApp, Host } from 'cdk8s-kubesphere-federation';
import { kubefedCoreCrds } from 'cdk8s-kubesphere-federation/lib/crds';
import * as yaml from 'js-yaml';
import { selfSignedCertificate } from 'ksfed/lib/x509';
import { RealFleet } from 'ksfed-sandbox/lib/real-fleet';
import { Endpoint, request } from 'ksfed-sandbox/lib/real-fleet/http';
import { applyObject, getObject, installCrds } from 'ksfed-sandbox/lib/real-fleet/objects';
import { STAND_IN_MANAGERS } from 'ksfed-sandbox/lib/real-fleet/stand-ins';

jest.setTimeout(300_000);

let fleet: RealFleet;
let dir: string;
beforeAll(async () => {
  fleet = await RealFleet.start({ clusters: ['host', 'edge', 'branch'], standIns: true });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ksfed-e2e-stand-ins-'));
});
afterAll(async () => {
  await fleet?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms; stand-ins:\n${fleet.standIns!.log.slice(-20).join('\n')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const ssa = (e: Endpoint, obj: any) => applyObject(e, obj, 'e2e');
const condition = (obj: any, type: string) => (obj?.status?.conditions ?? []).find((c: any) => c.type === type);
const clusterAt = (name: string) => `/apis/cluster.kubesphere.io/v1alpha1/clusters/${name}`;

function deployment(name: string, namespace: string, replicas: number, container: any = { name: 'main', image: 'nginx:1.25' }): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [container] } },
    },
  };
}

describe('1. workloads: the status kubelet and the workload controllers would report', () => {
  test('a Deployment, StatefulSet and DaemonSet become available; a new generation is observed again', async () => {
    const e = fleet.endpoint('edge');
    await ssa(e, deployment('web', 'default', 2));
    await ssa(e, {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'default' },
      spec: { replicas: 3, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'postgres:16' }] } } },
    });
    await ssa(e, {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image: 'busybox' }] } } },
    });
    const web = await eventually('Deployment web available', async () => {
      const d = await getObject(e, '/apis/apps/v1/namespaces/default/deployments/web');
      return d.status?.availableReplicas === 2 && d.status.observedGeneration === d.metadata.generation && d;
    });
    expect(condition(web, 'Available').status).toBe('True');
    expect(web.metadata.managedFields.find((m: any) => m.subresource === 'status').manager).toBe(STAND_IN_MANAGERS.workloads);
    const db = await eventually('StatefulSet db ready', async () => (await getObject(e, '/apis/apps/v1/namespaces/default/statefulsets/db')).status?.readyReplicas === 3);
    expect(db).toBe(true);
    const ds = await eventually('DaemonSet agent available', async () => (await getObject(e, '/apis/apps/v1/namespaces/default/daemonsets/agent')).status?.numberAvailable === 1);
    expect(ds).toBe(true);

    await ssa(e, deployment('web', 'default', 5));
    const scaled = await eventually('Deployment web generation 2 observed', async () => {
      const d = await getObject(e, '/apis/apps/v1/namespaces/default/deployments/web');
      return d.metadata.generation === 2 && d.status?.observedGeneration === 2 && d;
    });
    expect(scaled.status.availableReplicas).toBe(5);
  });
});

describe('2. load balancers', () => {
  test('a LoadBalancer Service gets an address from 192.0.2.0/24; a ClusterIP Service none', async () => {
    const e = fleet.endpoint('host');
    const svc = (name: string, type: string) => ({
      apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { type, selector: { app: name }, ports: [{ port: 8080 }] },
    });
    await ssa(e, svc('lb', 'LoadBalancer'));
    await ssa(e, svc('plain', 'ClusterIP'));
    const ip = await eventually('ingress IP', async () => (await getObject(e, '/api/v1/namespaces/default/services/lb')).status?.loadBalancer?.ingress?.[0]?.ip);
    expect(ip).toMatch(/^192\.0\.2\.\d+$/);
    expect((await getObject(e, '/api/v1/namespaces/default/services/plain')).status?.loadBalancer).toEqual({});
  });
});

describe('3. KubeFed\'s admission webhook, the real one, behind its Service', () => {
  const host = () => fleet.endpoint('host');
  const configAt = '/apis/core.kubefed.io/v1beta1/namespaces/kube-federation-system/kubefedconfigs/kubefed';

  beforeAll(async () => {
    // GIVEN the library's own webhook objects (Deployment, Service, serving-cert Secret, webhook configurations) on
    // the host, with a certificate for the Service's DNS names where ksfed would fill one in
    const app = new FederationApp({ outdir: path.join(dir, 'dist') });
    new Host(app, 'host', { name: 'host' });
    app.synth();
    const folder = path.join(dir, 'dist', 'host');
    const cert = selfSignedCertificate({ dnsNames: ['kubefed-admission-webhook', 'kubefed-admission-webhook.kube-federation-system', 'kubefed-admission-webhook.kube-federation-system.svc'], validDays: 1 });
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const fill = (text: string) => text.replace(/\{\{ksfed:kubefed-webhook\/ca\.crt\}\}/g, b64(cert.certPem))
      .replace(/\{\{ksfed:kubefed-webhook\/tls\.crt\}\}/g, b64(cert.certPem)).replace(/\{\{ksfed:kubefed-webhook\/tls\.key\}\}/g, b64(cert.keyPem));
    const file = (suffix: string) => yaml.load(fill(fs.readFileSync(path.join(folder, fs.readdirSync(folder).find((f) => f.endsWith(suffix))!), 'utf8')));
    await installCrds(host(), kubefedCoreCrds(), 'e2e');
    for (const suffix of [
      'namespace-kube-federation-system.yaml', 'secret-kube-federation-system-kubefed-admission-webhook-serving-cert.yaml',
      'deployment-kube-federation-system-kubefed-admission-webhook.yaml', 'service-kube-federation-system-kubefed-admission-webhook.yaml',
      'validatingwebhookconfiguration-validations.core.kubefed.io.yaml', 'mutatingwebhookconfiguration-mutation.core.kubefed.io.yaml',
    ]) {
      const obj: any = file(suffix);
      const plural = obj.kind === 'ValidatingWebhookConfiguration' ? 'validatingwebhookconfigurations' : obj.kind === 'MutatingWebhookConfiguration' ? 'mutatingwebhookconfigurations' : undefined;
      if (plural) {
        const r = await request(host(), 'PATCH', `/apis/admissionregistration.k8s.io/v1/${plural}/${obj.metadata.name}?fieldManager=e2e&force=true`, JSON.stringify(obj), 'application/apply-patch+yaml');
        expect(r.status).toBeLessThan(300);
      } else {
        await ssa(host(), obj);
      }
    }
    await eventually('webhook Deployment available', async () => {
      const w = await getObject(host(), '/apis/apps/v1/namespaces/kube-federation-system/deployments/kubefed-admission-webhook');
      return w.status?.availableReplicas === 1 && w.status.observedGeneration === w.metadata.generation;
    });
  });

  test('the webhook\'s Deployment turns available once KubeFed\'s webhook serves, not before', async () => {
    const log = fleet.standIns!.log;
    const serving = log.findIndex((l) => l.includes('host: KubeFed webhook serving on 127.0.0.1:'));
    const available = log.findIndex((l) => l.includes('host: Deployment kube-federation-system/kubefed-admission-webhook generation 1 reported available'));
    expect(serving).toBeGreaterThanOrEqual(0);
    expect(available).toBeGreaterThan(serving);
  });

  test('KubeFed\'s validation refuses a bad KubeFedConfig, with its own message; the API server reached it through the egress proxy', async () => {
    const body = { apiVersion: 'core.kubefed.io/v1beta1', kind: 'KubeFedConfig', metadata: { name: 'kubefed', namespace: 'kube-federation-system' }, spec: { scope: 'Bogus' } };
    const refused = await request(host(), 'PATCH', `${configAt}?fieldManager=e2e`, JSON.stringify(body), 'application/apply-patch+yaml');
    expect({ status: refused.status, message: JSON.parse(refused.body).message }).toEqual({
      status: 403,
      message: 'admission webhook "kubefedconfigs.core.kubefed.io" denied the request: spec.scope: Unsupported value: "Bogus": supported values: "Cluster", "Namespaced"',
    });
    const svc = await getObject(host(), '/api/v1/namespaces/kube-federation-system/services/kubefed-admission-webhook');
    expect(fleet.standIns!.egressLog('host')).toContainEqual(expect.stringMatching(new RegExp(`^${svc.spec.clusterIP.replace(/\./g, '\\.')}:443: port \\d+$`)));
  });

  test('KubeFed\'s defaulter fills a minimal KubeFedConfig (mutating webhook): its durations, feature gates sorted by name', async () => {
    const body = { apiVersion: 'core.kubefed.io/v1beta1', kind: 'KubeFedConfig', metadata: { name: 'kubefed', namespace: 'kube-federation-system' }, spec: { scope: 'Cluster' } };
    const created = await request(host(), 'PATCH', `${configAt}?fieldManager=e2e`, JSON.stringify(body), 'application/apply-patch+yaml');
    expect(created.status).toBe(201);
    const spec = JSON.parse(created.body).spec;
    expect(spec.controllerDuration).toEqual({ availableDelay: '20s', unavailableDelay: '1m0s' });
    expect(spec.featureGates.map((g: any) => `${g.name}=${g.configuration}`)).toEqual(['PushReconciler=Enabled', 'RawResourceStatusCollection=Disabled', 'SchedulerPreferences=Enabled']);
  });

  test('without the webhook\'s Deployment nothing serves the Service: writes fail, and the reason names it', async () => {
    const del = await request(host(), 'DELETE', '/apis/apps/v1/namespaces/kube-federation-system/deployments/kubefed-admission-webhook');
    expect(del.status).toBe(200);
    const body = { apiVersion: 'core.kubefed.io/v1beta1', kind: 'KubeFedConfig', metadata: { name: 'kubefed', namespace: 'kube-federation-system' }, spec: { scope: 'Namespaced' } };
    const refused = await eventually('write refused', async () => {
      const r = await request(host(), 'PATCH', `${configAt}?fieldManager=e2e`, JSON.stringify(body), 'application/apply-patch+yaml');
      // (until the stand-in sees the deletion, a write may still reach the webhook, or its dying process)
      return r.status >= 500 && /no endpoints/.test(r.body) && JSON.parse(r.body).message;
    });
    expect(refused).toMatch(/failed calling webhook "kubefedconfigs\.core\.kubefed\.io".*no endpoints for Service kube-federation-system\/kubefed-admission-webhook port 443/);
  });
});

describe('4. KubeSphere: tower and the cluster controller', () => {
  const host = () => fleet.endpoint('host');
  const cluster = (name: string, connection: any, labels: Record<string, string> = {}) => ({
    apiVersion: 'cluster.kubesphere.io/v1alpha1', kind: 'Cluster', metadata: { name, labels }, spec: { joinFederation: true, connection },
  });
  const kubeconfig = (member: string, token: string, server = fleet.server(member)) => Buffer.from(JSON.stringify({
    'apiVersion': 'v1',
    'kind': 'Config',
    'clusters': [{ name: member, cluster: { server, 'certificate-authority-data': Buffer.from(fleet.caPem(member)).toString('base64') } }],
    'users': [{ name: 'u', user: { token } }],
    'contexts': [{ name: member, context: { cluster: member, user: 'u' } }],
    'current-context': member,
  })).toString('base64');
  const uid = async (member: string) => (await getObject(fleet.endpoint(member), '/api/v1/namespaces/kube-system')).metadata.uid;

  test('a direct member: the kubeconfig is tried against the member\'s API server; Ready with its facts, or the refusal', async () => {
    await ssa(host(), cluster('edge', { type: 'direct', kubeconfig: kubeconfig('edge', fleet.token) }));
    const ready = await eventually('edge Ready', async () => {
      const c = await getObject(host(), clusterAt('edge'));
      return condition(c, 'Ready')?.status === 'True' && c;
    });
    expect(condition(ready, 'Federated').status).toBe('True');
    expect(ready.status).toMatchObject({ kubernetesVersion: 'v1.34.4', kubeSphereVersion: 'v3.4.1', uid: await uid('edge') });
    expect(ready.spec.connection.kubernetesAPIEndpoint).toBe(fleet.server('edge'));

    await ssa(host(), cluster('edge', { type: 'direct', kubeconfig: kubeconfig('edge', 'not-a-token') }));
    const refused = await eventually('edge not Ready', async () => {
      const c = await getObject(host(), clusterAt('edge'));
      return condition(c, 'Ready')?.status === 'False' && c;
    });
    expect(condition(refused, 'Ready').message).toBe(`Unauthorized: the kubeconfig's credentials are not accepted by ${fleet.server('edge')}`);

    await ssa(host(), cluster('gone', { type: 'direct', kubeconfig: kubeconfig('edge', fleet.token, 'https://127.0.0.1:1') }));
    const unreachable = await eventually('gone not Ready', async () => condition(await getObject(host(), clusterAt('gone')), 'Ready'));
    expect(unreachable).toMatchObject({ status: 'False', message: expect.stringMatching(/^cannot reach https:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/) });
  });

  test('a proxy member: tower\'s Service, token and endpoints; the agent\'s token decides AgentAvailable', async () => {
    const token = 'a'.repeat(64);
    await ssa(host(), cluster('branch', { type: 'proxy', token }));
    const initialized = await eventually('branch Initialized', async () => {
      const c = await getObject(host(), clusterAt('branch'));
      return condition(c, 'Initialized')?.status === 'True' && c;
    });
    const svc = await getObject(host(), '/api/v1/namespaces/kubesphere-system/services/mc-branch');
    expect(initialized.spec.connection).toMatchObject({ token, kubernetesAPIEndpoint: `https://${svc.spec.clusterIP}:6443`, kubesphereAPIEndpoint: `http://${svc.spec.clusterIP}:80` });
    expect(svc.metadata.managedFields[0].manager).toBe(STAND_IN_MANAGERS.tower);

    // the agent, as the library renders it: its token from a Secret through $(KS_AGENT_TOKEN)
    const member = fleet.endpoint('branch');
    const agent = (t: string) => [
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cluster-agent-token', namespace: 'kubesphere-system' }, stringData: { token: t } },
      deployment('cluster-agent', 'kubesphere-system', 1, {
        name: 'agent',
        image: 'kubesphere/tower:v0.2.1',
        command: ['/agent', '--name=branch', '--token=$(KS_AGENT_TOKEN)', '--proxy-server=http://192.0.2.10:8080'],
        env: [{ name: 'KS_AGENT_TOKEN', valueFrom: { secretKeyRef: { name: 'cluster-agent-token', key: 'token' } } }],
      }),
    ];
    for (const o of agent('b'.repeat(64))) await ssa(member, o);
    const mismatch = await eventually('TokenMismatch', async () => condition(await getObject(host(), clusterAt('branch')), 'AgentAvailable'));
    expect(mismatch).toMatchObject({ status: 'False', reason: 'TokenMismatch' });

    for (const o of agent(token)) await ssa(member, o);
    const ready = await eventually('branch Ready', async () => {
      const c = await getObject(host(), clusterAt('branch'));
      return condition(c, 'Ready')?.status === 'True' && c;
    });
    expect(condition(ready, 'AgentAvailable').status).toBe('True');
    expect(ready.status.uid).toBe(await uid('branch'));
    const issued = Buffer.from(ready.spec.connection.kubeconfig, 'base64').toString();
    expect(issued).toContain(`https://${svc.spec.clusterIP}:6443`);
    expect(issued).not.toContain(fleet.token);
  });

  test('the host\'s own managed Cluster gets an in-cluster kubeconfig and turns Ready', async () => {
    await ssa(host(), cluster('host', { type: 'direct' }, { 'cluster-role.kubesphere.io/host': '', 'kubesphere.io/managed': 'true' }));
    const ready = await eventually('host Ready', async () => {
      const c = await getObject(host(), clusterAt('host'));
      return condition(c, 'Ready')?.status === 'True' && c;
    });
    expect(Buffer.from(ready.spec.connection.kubeconfig, 'base64').toString()).toMatch(/server: https:\/\/10\.96\.0\.1:443/);
    expect(ready.status.uid).toBe(await uid('host'));
  });

  test('the stand-ins are quiet once everything is in place: no write in 6 s (a resync included)', async () => {
    const versions = async () => Promise.all(['host', 'edge', 'branch', 'gone'].map(async (n) => (await getObject(host(), clusterAt(n))).metadata.resourceVersion));
    const before = await versions();
    await new Promise((r) => setTimeout(r, 6_000));
    expect(await versions()).toEqual(before);
  });
});

describe('5. with KubeFed running (kubefed: true), a Ready Cluster is joined', () => {
  let kf: RealFleet;
  beforeAll(async () => {
    kf = await RealFleet.start({ clusters: ['host', 'edge'], kubefed: true, standIns: true });
  });
  afterAll(async () => {
    await kf?.stop();
  });

  test('a Cluster the launcher did not join gets its KubeFedCluster (labels, server, CA) and KubeFed makes it Ready; a joined one gets the labels', async () => {
    const host = kf.endpoint('host');
    const kubeconfig = Buffer.from(JSON.stringify({
      'apiVersion': 'v1',
      'kind': 'Config',
      'clusters': [{ name: 'edge', cluster: { 'server': kf.server('edge'), 'certificate-authority-data': Buffer.from(kf.caPem('edge')).toString('base64') } }],
      'users': [{ name: 'u', user: { token: kf.token } }],
      'contexts': [{ name: 'edge', context: { cluster: 'edge', user: 'u' } }],
      'current-context': 'edge',
    })).toString('base64');
    const cluster = (name: string) => ({
      apiVersion: 'cluster.kubesphere.io/v1alpha1',
      kind: 'Cluster',
      metadata: { name, labels: { 'cluster.kubesphere.io/group': 'production' } },
      spec: { joinFederation: true, connection: { type: 'direct', kubeconfig } },
    });
    await ssa(host, cluster('edge'));
    await ssa(host, cluster('edge-again'));
    const kfc = (name: string) => getObject(host, `/apis/core.kubefed.io/v1beta1/namespaces/kube-federation-system/kubefedclusters/${name}`);
    const joined = await eventually('KubeFedCluster edge-again Ready', async () => {
      const k = await kfc('edge-again');
      return condition(k, 'Ready')?.status === 'True' && k;
    }, 90_000);
    expect(joined.spec).toMatchObject({ apiEndpoint: kf.server('edge'), secretRef: { name: 'edge-again-secret' } });
    expect(joined.metadata.labels).toEqual({ 'cluster.kubesphere.io/group': 'production' });
    const relabelled = await eventually('KubeFedCluster edge labels', async () => {
      const k = await kfc('edge');
      return k.metadata.labels?.['cluster.kubesphere.io/group'] === 'production' && k;
    });
    expect(relabelled.metadata.managedFields.map((m: any) => m.manager)).toEqual(expect.arrayContaining([STAND_IN_MANAGERS.clusterController]));
  });
});
