import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  Connection, FederatedApp, FederationApp, FederationMode, Host, Member, OverrideOperation, Placement, Project, SelectorOperator, Workspace,
} from '../src';
import { renderForCluster, scheduleFederated } from '../src/kubefed-semantics';
import { objectOf, objectsOf, testApp } from './util/fleet';
import { describeWithUpstream, loadUpstreamCrd, validateAgainstCrd } from './util/schema';

interface Fleet { app: FederationApp; host: Host; a: Member; b: Member; c: Member; project: Project; ws: Workspace }

function fleet(): Fleet {
  const app = testApp();
  const host = new Host(app, 'host', { name: 'host' });
  const a = new Member(app, 'a', { host, name: 'a', region: 'eu', group: 'production', connection: Connection.direct() });
  const b = new Member(app, 'b', { host, name: 'b', region: 'eu', group: 'production', connection: Connection.agent() });
  const c = new Member(app, 'c', { host, name: 'c', region: 'us', group: 'testing', connection: Connection.direct() });
  const ws = new Workspace(host, 'shop', { name: 'shop', placement: Placement.members() });
  const project = ws.addProject('shop-prod', { placement: Placement.clusters(a, b, c) });
  return { app, host, a, b, c, project, ws };
}

/** A web tier: ConfigMap + Deployment (3 replicas) + Service. */
function webTier(web: FederatedApp) {
  const config = new kplus.ConfigMap(web.template, 'config', { data: { MODE: 'prod' } });
  const deployment = new kplus.Deployment(web.template, 'web', {
    replicas: 3,
    containers: [{ name: 'web', image: 'nginx:1.25', portNumber: 8080, envVariables: { LOG: kplus.EnvValue.fromValue('info') } }, { name: 'sidecar', image: 'busybox:1.36' }],
  });
  const service = deployment.exposeViaService({ name: 'web', ports: [{ port: 80, targetPort: 8080 }] });
  return { config, deployment, service };
}

const withoutManagedLabel = (o: any) => {
  const copy = JSON.parse(JSON.stringify(o));
  if (!copy.metadata.labels) return copy;
  delete copy.metadata.labels['kubefed.io/managed'];
  if (Object.keys(copy.metadata.labels).length === 0) delete copy.metadata.labels;
  return copy;
};

describe('FederatedApp', () => {
  test('federated mode: one Federated<Kind> per resource in the host folder (snapshot)', () => {
    const { app, project, a, b } = fleet();
    const web = new FederatedApp(project, 'web', { placement: Placement.clusters(a, b) });
    const { deployment } = webTier(web);
    web.override(b, deployment, { image: 'mirror.local/nginx:1.25', replicas: 1 });
    const federated = app.manifests('host').filter(o => o.apiVersion === 'types.kubefed.io/v1beta1' && o.kind !== 'FederatedNamespace');
    expect(federated).toMatchSnapshot();
    expect(federated.map(o => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'FederatedConfigMap/shop-prod/config', 'FederatedDeployment/shop-prod/web', 'FederatedService/shop-prod/web',
    ]);
    const fd = federated[1];
    expect(fd.spec.placement).toEqual({ clusters: [{ name: 'a' }, { name: 'b' }] });
    expect(fd.spec.template.apiVersion).toBeUndefined();
    expect(fd.spec.template.metadata).toBeUndefined();
    expect(fd.spec.overrides).toEqual([{
      clusterName: 'b',
      clusterOverrides: [
        { op: 'replace', path: '/spec/replicas', value: 1 },
        { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'mirror.local/nginx:1.25' },
      ],
    }]);
    // nothing reaches the members' folders in federated mode
    expect(objectsOf(app, 'a', 'Deployment')).toEqual([]);
  });

  test('template objects are named after their construct ids, never hashed', () => {
    const { app, project } = fleet();
    const web = new FederatedApp(project, 'web');
    new ApiObject(web.template, 'SettingsMap', { apiVersion: 'v1', kind: 'ConfigMap', data: { a: '1' } });
    new ApiObject(web.template, 'explicit', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'given-name' } });
    expect(objectsOf(app, 'host', 'FederatedConfigMap').map(o => o.metadata.name)).toEqual(['settings-map', 'given-name']);
  });

  test('rendered mode: what each member receives, written to its folder (snapshot)', () => {
    const { app, project, a, b, c } = fleet();
    const web = new FederatedApp(project, 'web', { mode: FederationMode.RENDERED });
    const { deployment } = webTier(web);
    web.override(c, deployment, { image: 'mirror.us/nginx:1.25', env: { REGION: 'us', LOG: 'debug' } });
    web.scheduleReplicas({
      totalReplicas: 10,
      clusters: [{ cluster: a, weight: 3 }, { cluster: b, weight: 2 }, { cluster: c, weight: 1, minReplicas: 1 }],
    });
    expect(app.manifests('c')).toMatchSnapshot();
    expect(objectsOf(app, 'host', 'FederatedDeployment')).toEqual([]);
    expect(objectsOf(app, 'host', 'ReplicaSchedulingPreference')).toEqual([]);
    const replicas = (cluster: string) => objectOf(app, cluster, 'Deployment', 'web').spec.replicas;
    expect([replicas('a'), replicas('b'), replicas('c')]).toEqual([5, 3, 2]);
    const container = (cluster: string) => objectOf(app, cluster, 'Deployment', 'web').spec.template.spec.containers[0];
    expect(container('a').image).toBe('nginx:1.25');
    expect(container('c').image).toBe('mirror.us/nginx:1.25');
    expect(container('c').env).toEqual([{ name: 'LOG', value: 'debug' }, { name: 'REGION', value: 'us' }]);
    // no KubeFed in the path: no managed label; the namespace comes along
    expect(objectOf(app, 'a', 'Deployment', 'web').metadata.labels?.['kubefed.io/managed']).toBeUndefined();
    expect(objectOf(app, 'a', 'Namespace', 'shop-prod').metadata.labels).toEqual({ 'kubesphere.io/workspace': 'shop' });
  });

  test('single-cluster project: rendered by default, into that member only', () => {
    const { app, ws, a } = fleet();
    const dev = ws.addProject('shop-dev', { placement: Placement.clusters(a) });
    const app1 = new FederatedApp(dev, 'web');
    expect(app1.mode).toBe(FederationMode.RENDERED);
    new kplus.ConfigMap(app1.template, 'config', { data: { x: '1' } });
    expect(objectOf(app, 'a', 'ConfigMap', 'config').metadata.namespace).toBe('shop-dev');
    expect(objectsOf(app, 'a', 'Namespace').map(n => n.metadata.name)).toEqual(['shop-dev']);
    expect(objectsOf(app, 'b', 'ConfigMap')).toEqual([]);
  });

  test('preview: what a cluster receives in either mode', () => {
    const federated = fleet();
    const web = new FederatedApp(federated.project, 'web');
    const { deployment } = webTier(web);
    web.override(federated.b, deployment, { replicas: 7 });
    const preview = FederatedApp.previewCluster(federated.b);
    expect(preview.map(o => `${o.kind}/${o.metadata.name}`)).toEqual(['ConfigMap/config', 'Deployment/web', 'Service/web']);
    expect(preview[1].spec.replicas).toBe(7);
    expect(preview[1].metadata.labels['kubefed.io/managed']).toBe('true');
    expect(web.preview(federated.host)).toEqual([]);

    const rendered = fleet();
    const web2 = new FederatedApp(rendered.project, 'web', { mode: FederationMode.RENDERED });
    const tier = webTier(web2);
    web2.override(rendered.b, tier.deployment, { replicas: 7 });
    const folder = rendered.app.manifests('b').filter(o => o.metadata.namespace === 'shop-prod');
    expect(FederatedApp.previewCluster(rendered.b)).toEqual(folder);
    expect(FederatedApp.previewCluster(rendered.b).map(withoutManagedLabel)).toEqual(preview.map(withoutManagedLabel));
  });

  /**
   * The same program in both modes: what the rendered folders hold must equal what the federated objects in the
   * host folder propagate (computed from the synthesized Federated<Kind> + RSP as KubeFed would), and match a
   * hand-computed expectation.
   */
  describe('rendered equals what the federated objects propagate', () => {
    interface Case {
      readonly name: string;
      readonly build: (f: Fleet, web: FederatedApp, tier: ReturnType<typeof webTier>) => void;
      readonly placement?: (f: Fleet) => Placement;
      readonly expect: (get: (cluster: string) => any | undefined) => void;
    }
    const cases: Case[] = [
      {
        name: 'image and env overrides (replace, add to an existing list)',
        build: (f, web, t) => web.override(f.b, t.deployment, { image: 'mirror/nginx:1', env: { LOG: 'warn', NEW: 'x' }, container: 'web' }),
        expect: get => {
          expect(get('b').spec.template.spec.containers[0].image).toBe('mirror/nginx:1');
          expect(get('b').spec.template.spec.containers[0].env).toEqual([{ name: 'LOG', value: 'warn' }, { name: 'NEW', value: 'x' }]);
          expect(get('a').spec.template.spec.containers[0].env).toEqual([{ name: 'LOG', value: 'info' }]);
        },
      },
      {
        name: 'sidecar image by container name, labels and annotations',
        build: (f, web, t) => web.override(f.c, t.deployment, { image: 'busybox:1.37', container: 'sidecar', labels: { tier: 'canary' }, annotations: { note: 'c only' } }),
        expect: get => {
          expect(get('c').spec.template.spec.containers[1].image).toBe('busybox:1.37');
          expect(get('c').metadata.labels.tier).toBe('canary');
          expect(get('c').metadata.annotations).toEqual({ note: 'c only' });
          expect(get('a').metadata.annotations).toBeUndefined();
        },
      },
      {
        name: 'raw ops: add into arrays by index and "-", remove, replace nested',
        build: (f, web, t) => {
          web.addOverride(f.a, t.deployment, OverrideOperation.add('/spec/template/spec/containers/0/args', ['--verbose']));
          web.addOverride(f.a, t.deployment, OverrideOperation.add('/spec/template/spec/containers/0/ports/0', { containerPort: 9090, name: 'metrics' }));
          web.addOverride(f.a, t.deployment, OverrideOperation.add('/spec/template/spec/tolerations', []));
          web.addOverride(f.a, t.deployment, OverrideOperation.add('/spec/template/spec/tolerations/-', { key: 'edge', operator: 'Exists' }));
          web.addOverride(f.b, t.deployment, OverrideOperation.remove('/spec/template/spec/containers/1'));
          web.addOverride(f.b, t.deployment, OverrideOperation.replace('/spec/strategy/rollingUpdate/maxSurge', 1));
          web.addOverride(f.c, t.service, OverrideOperation.replace('/spec/type', 'NodePort'));
          web.addOverride(f.c, t.config, OverrideOperation.add('/data/a~1b', 'escaped'));
        },
        expect: get => {
          const a = get('a').spec.template.spec;
          expect(a.containers[0].args).toEqual(['--verbose']);
          expect(a.containers[0].ports).toEqual([{ containerPort: 9090, name: 'metrics' }, { containerPort: 8080 }]);
          expect(a.tolerations).toEqual([{ key: 'edge', operator: 'Exists' }]);
          expect(get('b').spec.template.spec.containers.map((c: any) => c.name)).toEqual(['web']);
          expect(get('b').spec.strategy.rollingUpdate.maxSurge).toBe(1);
        },
      },
      {
        name: 'selector placement: only the production clusters',
        placement: () => Placement.selector({ matchLabels: { 'cluster.kubesphere.io/group': 'production' } }),
        build: () => undefined,
        expect: get => {
          expect(get('a')).toBeDefined();
          expect(get('b')).toBeDefined();
          expect(get('c')).toBeUndefined();
        },
      },
      {
        name: 'selector with expressions: region NotIn eu (also matches the label-less host, which the project excludes)',
        placement: () => Placement.selector({ matchExpressions: [{ key: 'cluster.kubesphere.io/region', operator: SelectorOperator.NOT_IN, values: ['eu'] }] }),
        build: () => undefined,
        expect: get => {
          expect(get('a')).toBeUndefined();
          expect(get('c')).toBeDefined();
        },
      },
      {
        name: 'weights with rounding: 7 over 1:1:1 (KubeFed rounds up greedily in hash order: 3, 3, 1)',
        build: (f, web) => web.scheduleReplicas({
          totalReplicas: 7,
          clusters: [{ cluster: f.a, weight: 1 }, { cluster: f.b, weight: 1 }, { cluster: f.c, weight: 1 }],
        }),
        expect: get => {
          const r = ['a', 'b', 'c'].map(c => get(c).spec.replicas);
          expect(r.reduce((x, y) => x + y, 0)).toBe(7);
          expect([...r].sort()).toEqual([1, 3, 3]);
        },
      },
      {
        name: 'weights with min and max: 10 over a(w1,max 2) b(w1) c(w0,min 3)',
        build: (f, web) => web.scheduleReplicas({
          totalReplicas: 10,
          clusters: [{ cluster: f.a, weight: 1, maxReplicas: 2 }, { cluster: f.b, weight: 1 }, { cluster: f.c, weight: 0, minReplicas: 3 }],
        }),
        expect: get => expect(['a', 'b', 'c'].map(c => get(c).spec.replicas)).toEqual([2, 5, 3]),
      },
      {
        name: 'scheduled on fewer clusters than the project: the cluster planned 0 replicas receives the Deployment scaled to 0',
        placement: f => Placement.clusters(f.a, f.b),
        build: (f, web) => web.scheduleReplicas({ totalReplicas: 5, clusters: [{ cluster: f.a, weight: 1 }, { cluster: f.b, weight: 1 }] }),
        expect: get => expect(['a', 'b', 'c'].map(c => get(c).spec.replicas)).toEqual([3, 2, 0]),
      },
      {
        name: 'replicas override without scheduling, on one cluster',
        build: (f, web, t) => web.override(f.a, t.deployment, { replicas: 0 }),
        expect: get => expect(['a', 'b', 'c'].map(c => get(c).spec.replicas)).toEqual([0, 3, 3]),
      },
    ];

    test.each(cases.map(c => [c.name, c] as [string, Case]))('%s', (_name, testCase) => {
      const build = (mode: FederationMode) => {
        const f = fleet();
        const web = new FederatedApp(f.project, 'web', { mode, placement: testCase.placement?.(f) });
        testCase.build(f, web, webTier(web));
        return f;
      };
      const federated = build(FederationMode.FEDERATED);
      const rendered = build(FederationMode.RENDERED);
      const host = federated.app.manifests('host');
      const rsps = host.filter(o => o.kind === 'ReplicaSchedulingPreference');
      const clusters = ['host', 'a', 'b', 'c'].map(name => ({ name, labels: name === 'host' ? { 'cluster-role.kubesphere.io/host': '' } : (federated.app.node.findChild(name) as Member).clusterLabels }));
      const nsPlacement = objectOf(federated.app, 'host', 'FederatedNamespace', 'shop-prod').spec.placement;
      for (const cluster of ['a', 'b', 'c']) {
        const inFolder = rendered.app.manifests(cluster).filter(o => o.metadata.namespace === 'shop-prod');
        const propagated = host.filter(o => o.apiVersion === 'types.kubefed.io/v1beta1' && o.kind !== 'FederatedNamespace').map(fed => {
          const targetKind = fed.kind.replace(/^Federated/, '');
          const rsp = rsps.find(r => r.metadata.name === fed.metadata.name && r.spec.targetKind === fed.kind);
          return renderForCluster(fed, { apiVersion: targetKind === 'Deployment' ? 'apps/v1' : 'v1', kind: targetKind }, cluster, {
            clusters, namespacePlacement: nsPlacement, schedulingPreference: rsp?.spec,
          });
        }).filter(o => o !== undefined).map(withoutManagedLabel);
        expect(inFolder).toEqual(propagated);
      }
      testCase.expect(cluster => rendered.app.manifests(cluster).find(o => o.kind === 'Deployment' && o.metadata.name === 'web'));
    });
  });

  /** What KubeFed v0.8.1 does, from its source (docs/federated-vs-rendered.md), in both modes. */
  describe('KubeFed semantics', () => {
    const bothModes = (build: (f: Fleet, mode: FederationMode) => FederatedApp) => [FederationMode.FEDERATED, FederationMode.RENDERED].map(mode => {
      const f = fleet();
      return { f, mode, app: build(f, mode) };
    });
    const deploymentIn = (web: FederatedApp, cluster: Member | Host) => web.preview(cluster).find(o => o.kind === 'Deployment');

    test('F1: two override() calls on different containers each apply to their own container, in one override list', () => {
      for (const { f, app: web, mode } of bothModes((g, m) => {
        const app = new FederatedApp(g.project, 'web', { mode: m });
        const { deployment } = webTier(app);
        app.override(g.a, deployment, { image: 'mirror/nginx:2', env: { REGION: 'eu' } });
        app.override(g.a, deployment, { container: 'sidecar', image: 'mirror/busybox:2' });
        app.override(g.a, deployment, { env: { TIER: 'front' } });
        return app;
      })) {
        const [main, sidecar] = deploymentIn(web, f.a).spec.template.spec.containers;
        expect([main.name, main.image, main.env]).toEqual(['web', 'mirror/nginx:2', [{ name: 'LOG', value: 'info' }, { name: 'REGION', value: 'eu' }, { name: 'TIER', value: 'front' }]]);
        expect([sidecar.name, sidecar.image, sidecar.env]).toEqual(['sidecar', 'mirror/busybox:2', undefined]);
        if (mode === FederationMode.FEDERATED) {
          // KubeFed's GetOverrides refuses a cluster listed twice or a path repeated for one cluster.
          expect(objectOf(f.app, 'host', 'FederatedDeployment', 'web').spec.overrides).toEqual([{
            clusterName: 'a',
            clusterOverrides: [
              { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'mirror/nginx:2' },
              { op: 'replace', path: '/spec/template/spec/containers/0/env', value: [{ name: 'LOG', value: 'info' }, { name: 'REGION', value: 'eu' }, { name: 'TIER', value: 'front' }] },
              { op: 'replace', path: '/spec/template/spec/containers/1/image', value: 'mirror/busybox:2' },
            ],
          }]);
        }
      }
    });

    test('override() image and env on an init container, by name', () => {
      const f = fleet();
      const web = new FederatedApp(f.project, 'web');
      const deployment = new kplus.Deployment(web.template, 'web', {
        initContainers: [{ name: 'migrate', image: 'migrate:1' }],
        containers: [{ name: 'web', image: 'nginx:1.25', portNumber: 8080 }],
      });
      web.override(f.b, deployment, { container: 'migrate', image: 'mirror/migrate:1', env: { DRY_RUN: 'false' } });
      const spec = deploymentIn(web, f.b).spec.template.spec;
      expect([spec.initContainers[0].image, spec.initContainers[0].env]).toEqual(['mirror/migrate:1', [{ name: 'DRY_RUN', value: 'false' }]]);
      expect(spec.containers[0].image).toBe('nginx:1.25');
      const g = fleet();
      const web2 = new FederatedApp(g.project, 'web');
      const d2 = new kplus.Deployment(web2.template, 'web', { initContainers: [{ name: 'migrate', image: 'migrate:1' }], containers: [{ name: 'web', image: 'nginx:1.25', portNumber: 8080 }] });
      web2.override(g.b, d2, { container: 'nope', image: 'x:1' });
      expect(() => g.app.synth()).toThrow(/override\(b, Deployment "web"\) container "nope": no such container \(containers: web, migrate \(init\)\)\. Fix: name one of the template's containers or init containers/);
    });

    test('F2: intersectWithClusterSelector in a selector-placed project plans over the clusters both selectors match', () => {
      const previews = bothModes((f, mode) => {
        const eu = f.ws.addProject('shop-eu', { placement: Placement.selector({ matchLabels: { 'cluster.kubesphere.io/region': 'eu' } }) });
        const web = new FederatedApp(eu, 'web', { mode });
        webTier(web);
        web.scheduleReplicas({ totalReplicas: 5, defaultWeight: 1, intersectWithClusterSelector: true });
        return web;
      }).map(({ f, app: web }) => [f.a, f.b, f.c].map(c => deploymentIn(web, c)?.spec.replicas));
      // 5 over a:b = 1:1, rounded up in KubeFed's hash order; c (region us) and the host are not planned at all.
      expect(previews).toEqual([[2, 3, undefined], [2, 3, undefined]]);
    });

    test('F2: intersectWithClusterSelector without cluster selectors on both the app and its project is refused (KubeFed would not schedule)', () => {
      const f = fleet();
      const web = new FederatedApp(f.project, 'web', { placement: Placement.selector({ matchLabels: { 'cluster.kubesphere.io/region': 'eu' } }) });
      webTier(web);
      web.scheduleReplicas({ totalReplicas: 4, defaultWeight: 1, intersectWithClusterSelector: true });
      expect(() => f.app.synth()).toThrow(
        /\[host\/shop\/Project-shop-prod\/web\] scheduleReplicas "4 replicas of Deployment \\"web\\"": with intersectWithClusterSelector KubeFed's scheduler plans only over the clusters that both the app's and its project's cluster selectors match \(it ignores cluster lists\); here there are none \(app placement: selector .*; project placement: clusters a, b, c\), so it would leave the replicas unscheduled\. Fix: place the app and its project with Placement\.selector/);
    });

    test('F3: the scheduler places the Deployment on every planned cluster of the project, 0 replicas included, beyond the app placement', () => {
      for (const { f, app: web, mode } of bothModes((g, m) => {
        const app = new FederatedApp(g.project, 'web', { mode: m, placement: Placement.clusters(g.a, g.b) });
        webTier(app);
        app.scheduleReplicas({ totalReplicas: 5, clusters: [{ cluster: g.a, weight: 1 }, { cluster: g.b, weight: 1 }] });
        return app;
      })) {
        expect([f.a, f.b, f.c].map(c => deploymentIn(web, c)?.spec.replicas)).toEqual([3, 2, 0]);
        expect(web.preview(f.c).map(o => o.kind)).toEqual(['Deployment']);
        if (mode === FederationMode.RENDERED) {
          expect(f.app.manifests('c').map(o => `${o.kind}/${o.metadata.name}`)).toEqual(expect.arrayContaining(['Namespace/shop-prod', 'Deployment/web']));
          expect(objectsOf(f.app, 'c', 'ConfigMap')).toEqual([]);
        }
      }
    });

    test('F3: a default weight gives replicas to project clusters outside the app placement, and overrides may target them', () => {
      for (const { f, app: web } of bothModes((g, m) => {
        const app = new FederatedApp(g.project, 'web', { mode: m, placement: Placement.clusters(g.a) });
        const { deployment } = webTier(app);
        app.scheduleReplicas({ totalReplicas: 6, clusters: [{ cluster: g.host, weight: 0 }], defaultWeight: 1 });
        app.override(g.c, deployment, { image: 'mirror.us/nginx:1.25' });
        return app;
      })) {
        expect([f.a, f.b, f.c].map(c => deploymentIn(web, c)?.spec.replicas)).toEqual([2, 2, 2]);
        expect(deploymentIn(web, f.c).spec.template.spec.containers[0].image).toBe('mirror.us/nginx:1.25');
        expect(web.preview(f.b).map(o => o.kind)).toEqual(['Deployment']);
      }
    });

    test('a scheduled Deployment reaching the host through the project placement needs allowHost', () => {
      const build = (allowHost: boolean) => {
        const app = testApp();
        const host = new Host(app, 'host', { name: 'host' });
        const m = new Member(app, 'm', { host, name: 'm', connection: Connection.direct() });
        const ws = new Workspace(host, 'ops', { name: 'ops', placement: Placement.all() });
        const project = ws.addProject('ops-tools', { placement: Placement.clusters(host, m) });
        const tools = new FederatedApp(project, 'tools', { placement: Placement.clusters(m), allowHost });
        new kplus.Deployment(tools.template, 'api', { containers: [{ image: 'api:1', portNumber: 8080 }] });
        tools.scheduleReplicas({ totalReplicas: 3, clusters: [{ cluster: m, weight: 1 }] });
        return { app, host, m, tools };
      };
      const refused = build(false);
      expect(() => refused.app.synth()).toThrow(
        /\[host\/ops\/Project-ops-tools\/tools\] scheduleReplicas "3 replicas of Deployment \\"api\\"": KubeFed's scheduler places the Deployment on every cluster it plans for \(host, m\), and it reaches those in project "ops-tools"'s placement, which include the host cluster "host"\. Fix: keep the host out of the project's placement/);
      const allowed = build(true);
      expect(allowed.tools.preview(allowed.host).map(o => [o.kind, o.spec.replicas])).toEqual([['Deployment', 0]]);
      expect(allowed.tools.preview(allowed.m).map(o => [o.kind, o.spec.replicas])).toEqual([['Deployment', 3]]);
    });

    test('a cluster-scoped resource follows the app placement alone, beyond the project (no FederatedNamespace intersection)', () => {
      for (const { f, app: web, mode } of bothModes((g, m) => {
        const small = g.ws.addProject('small', { placement: Placement.clusters(g.a, g.b) });
        const app = new FederatedApp(small, 'web', { mode: m, placement: Placement.members() });
        new ApiObject(app.template, 'viewer', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', rules: [] });
        new kplus.ConfigMap(app.template, 'cfg', { data: { a: 'b' } });
        return app;
      })) {
        expect([f.a, f.b, f.c].map(c => web.preview(c).map(o => o.kind))).toEqual([['ClusterRole', 'ConfigMap'], ['ClusterRole', 'ConfigMap'], ['ClusterRole']]);
        if (mode === FederationMode.RENDERED) {
          // c is outside the project: it gets the ClusterRole, not the project's Namespace.
          expect(f.app.manifests('c').filter(o => ['ClusterRole', 'Namespace'].includes(o.kind)).map(o => `${o.kind}/${o.metadata.name}`)).toEqual(['ClusterRole/viewer']);
        }
      }
      const g = fleet();
      const small = g.ws.addProject('small', { placement: Placement.clusters(g.a, g.b) });
      const all = new FederatedApp(small, 'web', { placement: Placement.all() });
      new ApiObject(all.template, 'viewer', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', rules: [] });
      expect(() => g.app.synth()).toThrow(
        /\[host\/shop\/Project-small\/web\] placement "every cluster": the cluster-scoped ClusterRole "viewer" is placed by the app's placement alone \(KubeFed does not limit it to the project's clusters\), which includes the host cluster "host"\. Fix: place the app on members only/);
    });

    test('federated mode writes a scheduled FederatedDeployment as KubeFed\'s scheduler leaves it, so the scheduler has nothing to rewrite', () => {
      const f = fleet();
      const web = new FederatedApp(f.project, 'web', { placement: Placement.clusters(f.a, f.b) });
      const { deployment } = webTier(web);
      web.override(f.b, deployment, { image: 'mirror/nginx:1' });
      web.scheduleReplicas({ totalReplicas: 5, clusters: [{ cluster: f.a, weight: 1 }, { cluster: f.b, weight: 1 }] });
      const fd = objectOf(f.app, 'host', 'FederatedDeployment', 'web');
      expect(fd.spec.placement).toEqual({ clusters: [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'host' }] });
      expect(fd.spec.overrides).toEqual([
        { clusterName: 'b', clusterOverrides: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'mirror/nginx:1' }, { path: '/spec/replicas', value: 2 }] },
        { clusterName: 'a', clusterOverrides: [{ path: '/spec/replicas', value: 3 }] },
        { clusterName: 'c', clusterOverrides: [{ path: '/spec/replicas', value: 0 }] },
        { clusterName: 'host', clusterOverrides: [{ path: '/spec/replicas', value: 0 }] },
      ]);
      const rsp = objectOf(f.app, 'host', 'ReplicaSchedulingPreference', 'web');
      const clusters = ['host', 'a', 'b', 'c'].map(name => ({ name, labels: name === 'host' ? { 'cluster-role.kubesphere.io/host': '' } : (f.app.node.findChild(name) as Member).clusterLabels }));
      expect(scheduleFederated(fd, rsp.spec, clusters, { namespacePlacement: objectOf(f.app, 'host', 'FederatedNamespace', 'shop-prod').spec.placement })).toEqual(fd);
    });

    test('a raw /spec/replicas override on a scheduled resource is refused (the scheduler sets its value)', () => {
      const f = fleet();
      const web = new FederatedApp(f.project, 'web', { placement: Placement.clusters(f.a, f.b) });
      const { deployment } = webTier(web);
      web.scheduleReplicas({ totalReplicas: 4, clusters: [{ cluster: f.a, weight: 1 }, { cluster: f.b, weight: 1 }] });
      web.addOverride(f.b, deployment, OverrideOperation.remove('/spec/replicas'));
      expect(() => f.app.synth()).toThrow(/override replicas "b": the replicas of Deployment "web" are scheduled by scheduleReplicas, whose scheduler owns \/spec\/replicas \(it sets the value of any override on that path\)/);
    });

    test('retainReplicas: set on the Federated<Kind>; what KubeFed creates is unchanged, a replicas override still wins', () => {
      const f = fleet();
      const web = new FederatedApp(f.project, 'web');
      const { deployment, config } = webTier(web);
      web.retainReplicas(deployment);
      web.override(f.b, deployment, { replicas: 1 });
      expect(() => web.retainReplicas(config)).toThrow(/retainReplicas resource "ConfigMap config": KubeFed retains replicas of Deployments, StatefulSets and ReplicaSets only. Fix: pass a Deployment, StatefulSet or ReplicaSet/);
      expect(objectOf(f.app, 'host', 'FederatedDeployment', 'web').spec.retainReplicas).toBe(true);
      expect(objectOf(f.app, 'host', 'FederatedConfigMap', 'config').spec.retainReplicas).toBeUndefined();
      expect([f.a, f.b, f.c].map(c => deploymentIn(web, c).spec.replicas)).toEqual([3, 1, 3]);
    });

    test('retainReplicas is refused in rendered mode and with scheduleReplicas', () => {
      const f = fleet();
      const pull = new FederatedApp(f.project, 'pull', { mode: FederationMode.RENDERED });
      const { deployment } = webTier(pull);
      expect(() => pull.retainReplicas(deployment)).toThrow(
        /\[host\/shop\/Project-shop-prod\/pull\] retainReplicas "Deployment web": keeping the member's replicas on updates is done by KubeFed's sync controller, which rendered mode leaves out.*Fix: use FederationMode.FEDERATED/);
      const g = fleet();
      const web = new FederatedApp(g.project, 'web', { placement: Placement.clusters(g.a, g.b) });
      const tier = webTier(web);
      web.retainReplicas(tier.deployment);
      web.scheduleReplicas({ totalReplicas: 4, clusters: [{ cluster: g.a, weight: 1 }, { cluster: g.b, weight: 1 }] });
      expect(() => g.app.synth()).toThrow(/retainReplicas "Deployment \\"web\\"": its replicas are scheduled by scheduleReplicas, whose \/spec\/replicas overrides KubeFed applies after retaining the member's replicas.*Fix: drop retainReplicas/);
    });
  });

  test('allowHost lets an app onto the host', () => {
    const app = testApp();
    const host = new Host(app, 'host', { name: 'host' });
    const m = new Member(app, 'm', { host, name: 'm', connection: Connection.direct() });
    const ws = new Workspace(host, 'ops', { name: 'ops', placement: Placement.all() });
    const project = ws.addProject('ops-tools', { placement: Placement.clusters(host, m) });
    const tools = new FederatedApp(project, 'tools', { allowHost: true, mode: FederationMode.RENDERED });
    new kplus.ConfigMap(tools.template, 'cfg', { data: { a: 'b' } });
    expect(objectOf(app, 'host', 'ConfigMap', 'cfg').metadata.namespace).toBe('ops-tools');
    expect(objectOf(app, 'm', 'ConfigMap', 'cfg')).toBeDefined();
  });

  describe('validation', () => {
    test('a kind KubeFed cannot federate names the alternatives', () => {
      const { app, project } = fleet();
      const web = new FederatedApp(project, 'web');
      new ApiObject(web.template, 'agent', { apiVersion: 'apps/v1', kind: 'DaemonSet', spec: {} });
      expect(() => app.synth()).toThrow(
        /\[host\/shop\/Project-shop-prod\/web\/template\/agent\] kind "apps\/v1 DaemonSet": KubeFed \(as KubeSphere v3.4 configures it\) cannot federate DaemonSet; it federates .*Deployment.*. Fix: use a Deployment with pod anti-affinity, or create the DaemonSet per member with the Member as its scope/);
      const other = fleet();
      const web2 = new FederatedApp(other.project, 'web');
      new ApiObject(web2.template, 'job', { apiVersion: 'batch/v1', kind: 'CronJob', spec: {} });
      expect(() => other.app.synth()).toThrow(/cannot federate CronJob.*Fix: create the CronJob per member/);
    });

    test('app placement outside its project\'s, and onto the host without opt-in', () => {
      const f = fleet();
      const p2 = f.ws.addProject('small', { placement: Placement.clusters(f.a, f.b) });
      const web = new FederatedApp(p2, 'web', { placement: Placement.clusters(f.a, f.c) });
      new kplus.ConfigMap(web.template, 'cfg');
      expect(() => f.app.synth()).toThrow(/\[host\/shop\/Project-small\/web\] placement "clusters a, c": clusters c are outside project "small"'s placement \(a, b\)/);

      const g = testApp();
      const host = new Host(g, 'host', { name: 'host' });
      const m = new Member(g, 'm', { host, name: 'm', connection: Connection.direct() });
      const ws = new Workspace(host, 'ops', { name: 'ops', placement: Placement.all() });
      const project = ws.addProject('ops-tools', { placement: Placement.all() });
      new FederatedApp(project, 'tools');
      void m;
      expect(() => g.synth()).toThrow(/\[host\/ops\/Project-ops-tools\/tools\] placement "every cluster": it places the app on the host cluster "host", which KubeSphere advises to keep free of workloads. Fix: place it on members only/);
    });

    test('placement naming a member of another host', () => {
      const f = fleet();
      const other = fleet();
      expect(() => new FederatedApp(f.project, 'web', { placement: Placement.clusters(other.a) })).toThrow(
        /\[host\/shop\/Project-shop-prod\/web\] placement "a": a is not a member of host host. Fix: place only onto members of this federation's host/);
    });

    test('override for a cluster outside the placement', () => {
      const { app, project, a, c } = fleet();
      const web = new FederatedApp(project, 'web', { placement: Placement.clusters(a) });
      const t = webTier(web);
      web.override(c, t.deployment, { replicas: 2 });
      expect(() => app.synth()).toThrow(/\[host\/shop\/Project-shop-prod\/web\] override cluster "c": the app is not placed on it \(placement: a\). Fix: override only clusters the app is placed on/);
    });

    test('forbidden and malformed override paths', () => {
      expect(() => OverrideOperation.replace('/metadata/name', 'x')).toThrow(/\[OverrideOperation.replace\] path "\/metadata\/name": .*KubeFed/);
      expect(() => OverrideOperation.replace('/kind', 'x')).toThrow(/path "\/kind"/);
      expect(() => OverrideOperation.add('/metadata/namespace', 'x')).toThrow(/path "\/metadata\/namespace"/);
      expect(() => OverrideOperation.remove('/metadata/generateName')).toThrow(/path "\/metadata\/generateName"/);
      expect(() => OverrideOperation.replace('spec/replicas', 1)).toThrow(/\[OverrideOperation.replace\] path "spec\/replicas": .*Fix: write a JSON pointer/);
    });

    test('duplicate override path per cluster', () => {
      const { app, project, a } = fleet();
      const web = new FederatedApp(project, 'web');
      const t = webTier(web);
      web.override(a, t.deployment, { replicas: 2 });
      web.addOverride(a, t.deployment, OverrideOperation.replace('/spec/replicas', 4));
      expect(() => app.synth()).toThrow(/\[host\/shop\/Project-shop-prod\/web\/template\/web\/Resource\] overrides "Deployment \\"web\\"": .*\/spec\/replicas.*/);
    });

    test('an override KubeFed cannot apply', () => {
      const { app, project, a } = fleet();
      const web = new FederatedApp(project, 'web');
      const t = webTier(web);
      web.addOverride(a, t.deployment, OverrideOperation.replace('/spec/nope/deeper', 1));
      expect(() => app.manifests('host') && web.preview(a)).toThrow(/override of Deployment "web" for cluster a "\/spec\/nope\/deeper": KubeFed cannot apply it/);
    });

    describe('an override KubeFed cannot apply is refused at synth in both modes, with the same message', () => {
      const synthOf = (mode: FederationMode, op: OverrideOperation, schedule: boolean) => {
        const f = fleet();
        const web = new FederatedApp(f.project, 'web', { mode });
        const t = webTier(web);
        if (schedule) web.scheduleReplicas({ totalReplicas: 4, clusters: [f.a, f.b, f.c].map(cluster => ({ cluster, weight: 1 })) });
        web.addOverride(f.b, t.deployment, op);
        return () => f.app.synth();
      };
      const messageOf = (run: () => void): string => {
        try {
          run();
        } catch (e) {
          return (e as Error).message;
        }
        return 'accepted';
      };
      test.each([
        ['remove of a missing key', () => OverrideOperation.remove('/spec/template/spec/nope'), false,
          /\[host\/shop\/Project-shop-prod\/web\] override of Deployment "web" for cluster b "\/spec\/template\/spec\/nope": KubeFed cannot apply it \(op "remove"\): there is no member "nope" to remove\. Fix: remove only a path the template has/],
        ['remove of an index out of range', () => OverrideOperation.remove('/spec/template/spec/containers/2'), false,
          /for cluster b "\/spec\/template\/spec\/containers\/2": KubeFed cannot apply it \(op "remove"\): index 2 is out of range for an array of 2 element\(s\)\. Fix: remove only/],
        ['replace under a missing parent', () => OverrideOperation.replace('/spec/nope/deeper', 1), false,
          /for cluster b "\/spec\/nope\/deeper": KubeFed cannot apply it \(op "replace"\): replace: the parent \/spec\/nope does not exist.*Fix: point the override at a path whose parent exists/],
        ['replace of an index out of range', () => OverrideOperation.replace('/spec/template/spec/containers/5/image', 'x'), false,
          /"\/spec\/template\/spec\/containers\/5\/image": KubeFed cannot apply it \(op "replace"\): replace: cannot step into \/spec\/template\/spec\/containers\/5: index 5 is out of range/],
        ['add under a missing parent', () => OverrideOperation.add('/metadata/annotations/team', 'shop'), false,
          /"\/metadata\/annotations\/team": KubeFed cannot apply it \(op "add"\): add: the parent \/metadata\/annotations does not exist/],
        ['add past the end of an array', () => OverrideOperation.add('/spec/template/spec/containers/3', { name: 'x', image: 'x:1' }), false,
          /"\/spec\/template\/spec\/containers\/3": KubeFed cannot apply it \(op "add"\): index 3 is out of range for an array of 2 element\(s\)/],
        ['remove of a missing key, with scheduled replicas', () => OverrideOperation.remove('/spec/template/spec/nope'), true,
          /for cluster b "\/spec\/template\/spec\/nope": KubeFed cannot apply it \(op "remove"\)/],
      ])('%s', (_name, op, schedule, message) => {
        expect(synthOf(FederationMode.FEDERATED, op(), schedule)).toThrow(message);
        expect(synthOf(FederationMode.RENDERED, op(), schedule)).toThrow(message);
        expect(messageOf(synthOf(FederationMode.FEDERATED, op(), schedule))).toBe(messageOf(synthOf(FederationMode.RENDERED, op(), schedule)));
      });
    });

    test('environment variable names Kubernetes rejects, in override env and in the template', () => {
      const { project, a } = fleet();
      const web = new FederatedApp(project, 'web');
      const t = webTier(web);
      expect(() => web.override(a, t.deployment, { env: { '1ST_REGION': 'eu' } })).toThrow(
        /\[host\/shop\/Project-shop-prod\/web\] override env name "1ST_REGION": Kubernetes accepts environment variable names of letters, digits, '_', '-' and '.' that do not start with a digit. Fix: use letters, digits/);
      expect(() => web.override(a, t.deployment, { env: { 'LOG LEVEL': 'x' } })).toThrow(/override env name "LOG LEVEL": Kubernetes accepts/);
      expect(() => web.override(a, t.deployment, { env: { '..cfg': 'x' } })).toThrow(/override env name "..cfg": Kubernetes refuses an environment variable name that is "." or starts with ".."/);
      web.override(a, t.deployment, { env: { 'my.env-name': 'ok', '_X': 'ok' } });

      const g = fleet();
      const bad = new FederatedApp(g.project, 'bad', { mode: FederationMode.RENDERED });
      new kplus.Deployment(bad.template, 'api', { containers: [{ name: 'api', image: 'api:1', envVariables: { 'API-KEY=': kplus.EnvValue.fromValue('x') } }] });
      expect(() => g.app.synth()).toThrow(/\[host\/shop\/Project-shop-prod\/bad\/template\/api\/Resource\] containers "api" env name "API-KEY=": Kubernetes accepts/);
      const h = fleet();
      const prefixed = new FederatedApp(h.project, 'prefixed');
      const cfg = new kplus.ConfigMap(prefixed.template, 'cfg', { data: { A: 'b' } });
      const d = new kplus.Deployment(prefixed.template, 'api', { containers: [{ name: 'api', image: 'api:1' }] });
      d.containers[0].env.copyFrom(kplus.Env.fromConfigMap(cfg, '9_'));
      expect(() => h.app.synth()).toThrow(/containers "api" envFrom prefix "9_": Kubernetes accepts/);
    });

    test('a resource name KubeFed cannot use gets a suggestion that is itself valid', () => {
      const { app, project } = fleet();
      const web = new FederatedApp(project, 'web');
      new ApiObject(web.template, 'cfg', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${'A'.repeat(62)}_b` } });
      expect(() => app.synth()).toThrow(/metadata.name "A+_b": it must be a DNS-1123 label.*Fix: name it like "a{62}"$/);
    });

    test('weights, minimums and maximums that cannot be satisfied', () => {
      const f = fleet();
      const web = new FederatedApp(f.project, 'web');
      webTier(web);
      web.scheduleReplicas({
        totalReplicas: 3,
        clusters: [{ cluster: f.a, weight: 1, minReplicas: 2 }, { cluster: f.b, weight: 1, minReplicas: 2 }],
      });
      expect(() => f.app.synth()).toThrow(/scheduleReplicas "3 replicas of Deployment \\"web\\"": minReplicas add up to 4, more than totalReplicas 3/);
      const g = fleet();
      const web2 = new FederatedApp(g.project, 'web');
      webTier(web2);
      web2.scheduleReplicas({
        totalReplicas: 10,
        clusters: [{ cluster: g.a, weight: 1, maxReplicas: 2 }, { cluster: g.b, weight: 1, maxReplicas: 3 }],
      });
      expect(() => g.app.synth()).toThrow(/at most 5 of 10 replicas can be placed/);
    });

    test('replicas override with scheduled replicas, and scheduling the wrong resource', () => {
      const f = fleet();
      const web = new FederatedApp(f.project, 'web');
      const t = webTier(web);
      web.scheduleReplicas({ totalReplicas: 4 });
      web.override(f.a, t.deployment, { replicas: 1 });
      expect(() => f.app.synth()).toThrow(/override replicas "a": the replicas of Deployment "web" are scheduled by scheduleReplicas, whose scheduler owns \/spec\/replicas/);
      expect(() => web.scheduleReplicas({ totalReplicas: 4, resource: t.service })).toThrow(/scheduleReplicas resource "Service web": KubeFed schedules replicas of Deployments and ReplicaSets only/);
      const g = fleet();
      const two = new FederatedApp(g.project, 'two');
      new kplus.Deployment(two.template, 'x', { containers: [{ image: 'a:1' }] });
      new kplus.Deployment(two.template, 'y', { containers: [{ image: 'a:1' }] });
      expect(() => two.scheduleReplicas({ totalReplicas: 2 })).toThrow(/scheduleReplicas resource \(unset\): the app has 2 Deployments\/ReplicaSets. Fix: name the one to scale/);
    });

    test('federated mode in a single-cluster project', () => {
      const { ws, a } = fleet();
      const dev = ws.addProject('dev', { placement: Placement.clusters(a) });
      expect(() => new FederatedApp(dev, 'web', { mode: FederationMode.FEDERATED })).toThrow(
        /\[host\/shop\/Project-dev\/web\] mode "federated": project "dev" is a single-cluster project \(a plain Namespace on a\).*Fix: use FederationMode.RENDERED/);
    });

    test('template annotations KubeFed would drop', () => {
      const { app, project } = fleet();
      const web = new FederatedApp(project, 'web');
      new ApiObject(web.template, 'cfg', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { annotations: { a: 'b' } } });
      expect(() => app.synth()).toThrow(/annotations are dropped by KubeFed/);
    });

    test('a resource outside the template, and changes after synth', () => {
      const { app, project, a } = fleet();
      const web = new FederatedApp(project, 'web');
      const other = new FederatedApp(project, 'other');
      const cfg = new kplus.ConfigMap(other.template, 'cfg');
      expect(() => web.override(a, cfg, { labels: { x: 'y' } })).toThrow(/\[host\/shop\/Project-shop-prod\/web\] override resource ".*other\/template\/cfg": it is not a resource of this app's template/);
      const t = webTier(web);
      app.synth();
      expect(() => web.override(a, t.deployment, { replicas: 1 })).toThrow(/override \(unset\): the app was already synthesized or previewed/);
    });
  });
});

describeWithUpstream('FederatedApp output against the upstream CRDs', () => {
  test('FederatedDeployment, FederatedService, FederatedConfigMap and the RSP are accepted', () => {
    const f = fleet();
    const web = new FederatedApp(f.project, 'web');
    const t = webTier(web);
    web.override(f.b, t.deployment, { image: 'mirror/nginx:1', labels: { x: 'y' } });
    web.scheduleReplicas({ totalReplicas: 6, clusters: [{ cluster: f.a, weight: 1 }, { cluster: f.b, weight: 2 }] });
    const check = (file: string, kind: string) => {
      const objects = objectsOf(f.app, 'host', kind);
      expect(objects.length).toBe(1);
      expect(validateAgainstCrd(loadUpstreamCrd(file), objects[0])).toEqual([]);
    };
    check('federateddeployments.types.kubefed.io.yaml', 'FederatedDeployment');
    check('federatedservices.types.kubefed.io.yaml', 'FederatedService');
    check('federatedconfigmaps.types.kubefed.io.yaml', 'FederatedConfigMap');
    check('replicaschedulingpreferences.scheduling.kubefed.io.yaml', 'ReplicaSchedulingPreference');
  });
});
