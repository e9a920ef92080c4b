import { apply, clientFor, deployment, failure } from './helpers';
import { Sandbox } from '../src';

describe('built-in admission (defaulting and validation)', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await Sandbox.start({ clusters: ['c'], kubesphere: false, rolloutDelayMs: 5 });
  });
  afterAll(async () => {
    await sandbox.stop();
  });
  const client = () => clientFor(sandbox, 'c');
  const get = (apiVersion: string, kind: string, name: string, ns?: string) => sandbox.cluster('c').get(apiVersion, kind, name, ns);

  test('Namespace: metadata.name label, spec.finalizers, status Active', async () => {
    await apply(client(), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'adm' } });
    expect(get('v1', 'Namespace', 'adm')).toMatchObject({
      metadata: { labels: { 'kubernetes.io/metadata.name': 'adm' } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' },
    });
  });

  test('Service: type, allocated clusterIP (immutable), port defaults', async () => {
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] } };
    await apply(client(), svc);
    const live = get('v1', 'Service', 'web', 'default');
    expect(live.spec.type).toBe('ClusterIP');
    expect(live.spec.clusterIP).toMatch(/^10\.96\.\d+\.\d+$/);
    expect(live.spec.clusterIPs).toEqual([live.spec.clusterIP]);
    expect(live.spec.ports).toEqual([{ name: 'http', port: 80, protocol: 'TCP', targetPort: 80 }]);
    const rv = live.metadata.resourceVersion;
    await apply(client(), svc);
    expect(get('v1', 'Service', 'web', 'default').metadata.resourceVersion).toBe(rv);
    const change = await failure(apply(client(), { ...svc, spec: { ...svc.spec, clusterIP: '10.0.0.1' } }));
    expect(change.code).toBe(422);
    expect(change.body.message).toContain('spec.clusterIP: Invalid value: "10.0.0.1": field is immutable');
    expect(get('v1', 'Service', 'kubernetes', 'default').spec.clusterIP).toBe('10.96.0.1');
  });

  test('workloads: replicas default 1, selector immutable', async () => {
    await apply(client(), deployment('imm'));
    expect(get('apps/v1', 'Deployment', 'imm', 'default').spec.replicas).toBe(1);
    const d = deployment('imm');
    d.spec.selector = { matchLabels: { app: 'other' } };
    const err = await failure(apply(client(), d));
    expect(err).toMatchObject({ code: 422, body: { reason: 'Invalid', details: { causes: [{ field: 'spec.selector' }] } } });
  });

  test('StatefulSet: only the allowed spec fields may change', async () => {
    const sts = (serviceName: string, image: string) => ({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'default' },
      spec: { serviceName, selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image }] } } },
    });
    await apply(client(), sts('db', 'pg:15'));
    await apply(client(), sts('db', 'pg:16'));
    const err = await failure(apply(client(), sts('other', 'pg:16')));
    expect(err.code).toBe(422);
    expect(err.body.message).toContain('updates to statefulset spec for fields other than');
  });

  test('Job template is immutable; ConfigMap with immutable: true refuses data changes', async () => {
    const job = (image: string) => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'once', namespace: 'default' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'j', image }] } } },
    });
    await apply(client(), job('a'));
    expect((await failure(apply(client(), job('b')))).code).toBe(422);
    const cm = (v: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'frozen', namespace: 'default' }, immutable: true, data: { v } });
    await apply(client(), cm('1'));
    expect((await failure(apply(client(), cm('2')))).body.message).toContain('field is immutable when `immutable` is set');
  });

  test('Secret type is immutable', async () => {
    await apply(client(), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'typed', namespace: 'default' }, type: 'kubernetes.io/tls', data: {} });
    const err = await failure(apply(client(), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'typed', namespace: 'default' }, type: 'Opaque' }, 'ksfed', true));
    expect(err.code).toBe(422);
  });

  test('workloads are stored with their defaults and an empty status; Services with status.loadBalancer', async () => {
    const res = await apply(client(), deployment('defaulted'));
    expect(res.status).toEqual({});
    const sts = await apply(client(), {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'zero', namespace: 'default' },
      spec: { serviceName: 'zero', selector: { matchLabels: { app: 'z' } }, template: { metadata: { labels: { app: 'z' } }, spec: { containers: [{ name: 'z', image: 'z' }] } } },
    });
    expect(sts.status).toEqual({ replicas: 0, availableReplicas: 0 });
    expect(res.spec).toMatchObject({ replicas: 1, revisionHistoryLimit: 10, progressDeadlineSeconds: 600, template: { spec: { dnsPolicy: 'ClusterFirst' } } });
    // defaulted fields belong to no manager: the applier owns only what it sent
    expect(JSON.stringify(res.metadata.managedFields)).not.toContain('progressDeadlineSeconds');
    const svc = await apply(client(), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'lb', namespace: 'default' },
      spec: { type: 'LoadBalancer', ports: [{ port: 53 }, { port: 53, protocol: 'UDP' }] },
    });
    expect(svc.status).toEqual({ loadBalancer: {} });
    const nodePorts = svc.spec.ports.map((p: any) => p.nodePort);
    expect(nodePorts.every((p: any) => typeof p === 'number' && p >= 30000 && p <= 32767)).toBe(true);
    const again = await apply(client(), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'lb', namespace: 'default' },
      spec: { type: 'LoadBalancer', ports: [{ port: 53 }, { port: 53, protocol: 'UDP' }] },
    });
    expect(again.spec.ports.map((p: any) => p.nodePort)).toEqual(nodePorts);
  });

  test('deleting an object with finalizers bumps its generation', async () => {
    await apply(client(), { ...deployment('held'), metadata: { name: 'held', namespace: 'default', finalizers: ['example.com/hold'] } });
    const c = sandbox.cluster('c');
    c.api.delete(c.api.typeOf('apps/v1', 'Deployment'), 'default', 'held');
    expect(get('apps/v1', 'Deployment', 'held', 'default').metadata.generation).toBe(2);
  });
});
