import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, Duration } from 'cdk8s';
import { parse } from 'yaml';
import { everything, fleet, gitOpsObjects, REPO, validateGitOps } from './fleet';
import {
  ArgoCdDestination, ArgoCdMode, FederationApp, GitOpsApiVersions, GitOpsCredentials, GitOpsDelivery, GitOpsEngine, GitRevision,
} from '../../src';

const secret = () => GitOpsCredentials.fromSecret({ secretName: 'ksfed-credentials' });

interface Props { credentials?: GitOpsCredentials; clusters?: string[]; revision?: GitRevision }

function argo(options: Parameters<typeof GitOpsEngine.argoCd>[0] = {}, props: Props = {}): FederationApp {
  const { app } = fleet();
  new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.argoCd(options), repoUrl: REPO, credentials: props.credentials ?? secret(), clusters: props.clusters, revision: props.revision });
  return app;
}

function appSet(app: FederationApp): any {
  return gitOpsObjects(app, 'host', 'ApplicationSet')[0];
}

describe('Argo CD: ApplicationSet (default)', () => {
  test('one ApplicationSet with one list element per cluster folder, and the plugin ConfigMap (snapshot)', () => {
    const app = argo();
    const argoObjects = app.manifests('host').filter(o => o.metadata.namespace === 'argocd');
    expect(argoObjects.map(o => `${o.kind}/${o.metadata.name}`)).toEqual(['ConfigMap/ksfed-envsubst', 'ApplicationSet/ksfed-federation']);
    expect(argoObjects).toMatchSnapshot();
  });

  test('every emitted Argo CD object is valid against our schemas, pinned to argoproj.io/v1alpha1', () => {
    for (const app of [argo(), argo({ mode: ArgoCdMode.APPLICATIONS }), argo({}, { credentials: GitOpsCredentials.argoCdVaultPlugin({ path: 'secret/data/ksfed' }) })]) {
      const objects = app.manifests('host').filter(o => o.metadata.namespace === 'argocd');
      expect(objects.length).toBeGreaterThan(0);
      for (const object of objects) {
        expect(validateGitOps(object)).toEqual([]);
        if (object.kind !== 'ConfigMap') expect(object.apiVersion).toBe(GitOpsApiVersions.ARGO_CD);
      }
    }
  });

  test('elements: cluster, Application name, folder path, wave, destination and the Secret keys the folder needs', () => {
    const elements = appSet(argo()).spec.generators[0].list.elements;
    expect(elements).toEqual([
      {
        cluster: 'host',
        name: 'ksfed-host',
        path: 'dist/host',
        wave: '0',
        destinationName: 'in-cluster',
        secretKeys: 'KSFED_AGENT_TOKEN_BRANCH_7,KSFED_KUBECONFIG_EDGE_1,KSFED_KUBEFED_WEBHOOK_CA_CRT,KSFED_KUBEFED_WEBHOOK_TLS_CRT,KSFED_KUBEFED_WEBHOOK_TLS_KEY',
      },
      { cluster: 'edge-1', name: 'ksfed-edge-1', path: 'dist/edge-1', wave: '1', destinationName: 'edge-1', secretKeys: 'KSFED_JWT_SECRET' },
      { cluster: 'branch-7', name: 'ksfed-branch-7', path: 'dist/branch-7', wave: '1', destinationName: 'branch-7', secretKeys: 'KSFED_AGENT_TOKEN_BRANCH_7,KSFED_JWT_SECRET,KSFED_PROXY_ADDRESS' },
    ]);
    const template = appSet(argo()).spec.template;
    expect(template.metadata.name).toBe('{{.name}}');
    expect(template.spec.source).toEqual({ repoURL: REPO, targetRevision: 'main', path: '{{.path}}', plugin: { name: 'ksfed-envsubst' } });
    expect(template.spec.destination).toEqual({ name: '{{.destinationName}}' });
  });

  test('a RollingSync strategy syncs the host\'s Application before the members\'', () => {
    expect(appSet(argo()).spec.strategy).toEqual({
      type: 'RollingSync',
      rollingSync: {
        steps: [
          { matchExpressions: [{ key: 'ksfed.kubesphere-federation/wave', operator: 'In', values: ['0'] }] },
          { matchExpressions: [{ key: 'ksfed.kubesphere-federation/wave', operator: 'In', values: ['1'] }] },
        ],
      },
    });
    expect(appSet(argo({ progressiveSync: false })).spec.strategy).toBeUndefined();
    // Without the host in the delivery there is nothing to wait for.
    expect(appSet(argo({}, { clusters: ['host'] })).spec.strategy).toBeUndefined();
    expect(appSet(argo({}, { clusters: ['edge-1', 'branch-7'] })).spec.generators[0].list.elements.map((e: any) => e.wave)).toEqual(['0', '0']);
  });

  test('deleting the ApplicationSet never deletes what the Applications deployed', () => {
    const set = appSet(argo());
    expect(set.spec.syncPolicy).toEqual({ preserveResourcesOnDeletion: true });
    expect(set.spec.template.metadata.finalizers).toBeUndefined();
    expect(set.metadata.annotations['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');
  });

  test('destinations by name or by server: mixed forms give both template keys, the unused one empty', () => {
    const app = argo({ destinations: { 'edge-1': ArgoCdDestination.serverUrl('https://10.0.0.10:6443'), 'branch-7': ArgoCdDestination.clusterName('branch-seven') } });
    const set = appSet(app);
    expect(set.spec.template.spec.destination).toEqual({ name: '{{.destinationName}}', server: '{{.destinationServer}}' });
    expect(set.spec.generators[0].list.elements.map((e: any) => [e.destinationName, e.destinationServer])).toEqual([
      ['in-cluster', ''], ['', 'https://10.0.0.10:6443'], ['branch-seven', ''],
    ]);
    const allServers = appSet(argo({ destinations: { 'host': ArgoCdDestination.serverUrl('https://kubernetes.default.svc'), 'edge-1': ArgoCdDestination.serverUrl('https://e1:6443'), 'branch-7': ArgoCdDestination.serverUrl('https://b7:6443') } }));
    expect(allServers.spec.template.spec.destination).toEqual({ server: '{{.destinationServer}}' });
    expect(allServers.spec.generators[0].list.elements[0].destinationName).toBeUndefined();
  });

  test('sync policy: automated, prune, self-heal, server-side apply and retries are typed', () => {
    expect(appSet(argo()).spec.template.spec.syncPolicy).toEqual({
      automated: { prune: true, selfHeal: true },
      syncOptions: ['ServerSideApply=true', 'SkipDryRunOnMissingResource=true'],
      retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
    });
    const manual = appSet(argo({
      syncPolicy: { automated: false, serverSideApply: false, retryLimit: 0, retryBackoff: Duration.seconds(90), retryMaxBackoff: Duration.hours(1) },
    }));
    expect(manual.spec.template.spec.syncPolicy).toEqual({
      syncOptions: ['SkipDryRunOnMissingResource=true'],
      retry: { limit: 0, backoff: { duration: '1m30s', factor: 2, maxDuration: '1h' } },
    });
    const noPrune = appSet(argo({ syncPolicy: { prune: false, selfHeal: false } }));
    expect(noPrune.spec.template.spec.syncPolicy.automated).toEqual({ prune: false, selfHeal: false });
  });

  test('project, namespace, ApplicationSet name and revision', () => {
    const set = appSet(argo({ namespace: 'gitops', project: 'platform', applicationSetName: 'fleet' }, { revision: GitRevision.commit('0123456789abcdef0123456789abcdef01234567') }));
    expect(set.metadata).toMatchObject({ name: 'fleet', namespace: 'gitops' });
    expect(set.spec.template.spec.project).toBe('platform');
    expect(set.spec.template.spec.source.targetRevision).toBe('0123456789abcdef0123456789abcdef01234567');
  });
});

describe('Argo CD: one Application per cluster', () => {
  test('one Application per folder, ordered by sync waves after the management cluster\'s own objects (snapshot)', () => {
    const app = argo({ mode: ArgoCdMode.APPLICATIONS });
    const applications = gitOpsObjects(app, 'host', 'Application');
    expect(applications.map(a => [a.metadata.name, a.metadata.annotations['argocd.argoproj.io/sync-wave'], a.spec.destination])).toEqual([
      ['ksfed-host', '7', { name: 'in-cluster' }],
      ['ksfed-edge-1', '8', { name: 'edge-1' }],
      ['ksfed-branch-7', '8', { name: 'branch-7' }],
    ]);
    expect(applications[1].metadata.annotations['ksfed.kubesphere-federation/secret-keys']).toBe('KSFED_JWT_SECRET');
    expect(applications).toMatchSnapshot();
  });

  test('a server destination', () => {
    const app = argo({ mode: ArgoCdMode.APPLICATIONS, destinations: { 'edge-1': ArgoCdDestination.serverUrl('https://10.0.0.10:6443') } });
    expect(gitOpsObjects(app, 'host', 'Application')[1].spec.destination).toEqual({ server: 'https://10.0.0.10:6443' });
  });
});

describe('Argo CD: sync waves follow the apply order', () => {
  test('every delivered object carries the sync wave of its apply phase: CRDs 0 ... custom resources 6', () => {
    const app = argo();
    const waves = ['crds', 'namespaces', 'rbac', 'config', 'workloads', 'webhooks', 'custom-resources'];
    for (const cluster of app.clusterNames) {
      for (const object of app.synthesizedObjects(cluster)) {
        if (object.manifest.metadata.namespace === 'argocd') continue;
        expect([object.file, object.manifest.metadata.annotations?.['argocd.argoproj.io/sync-wave']]).toEqual([object.file, String(waves.indexOf(object.phase))]);
      }
    }
    const crd = app.manifests('host').find(o => o.kind === 'CustomResourceDefinition');
    expect(crd.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('0');
    const webhook = app.manifests('host').find(o => o.kind === 'ValidatingWebhookConfiguration');
    expect(webhook.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('5');
    const cluster = app.manifests('host').find(o => o.kind === 'Cluster' && o.metadata.name === 'branch-7');
    expect(cluster.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('6');
  });

  test('a sync wave set by the user is kept; clusters left to ksfed get none', () => {
    const { app, edge } = fleet();
    new ApiObject(edge, 'Early', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'early', namespace: 'default', annotations: { 'argocd.argoproj.io/sync-wave': '-5' } }, data: {} });
    new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.argoCd(), repoUrl: REPO, clusters: ['host', 'edge-1'], credentials: secret() });
    expect(app.manifests('edge-1').find(o => o.metadata.name === 'early').metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('-5');
    expect(app.manifests('branch-7').every(o => o.metadata.annotations?.['argocd.argoproj.io/sync-wave'] === undefined)).toBe(true);
  });

  test('Flux deliveries get no Argo CD annotations', () => {
    const { app } = fleet();
    new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.flux(), repoUrl: REPO, credentials: secret() });
    expect(JSON.stringify(everything(app))).not.toContain('argocd.argoproj.io');
  });
});

describe('Argo CD: credentials routes', () => {
  test('argocd-vault-plugin: the Applications render through the plugin; no envsubst ConfigMap', () => {
    const app = argo({}, { credentials: GitOpsCredentials.argoCdVaultPlugin({ path: 'secret/data/ksfed', pluginName: 'avp' }) });
    expect(appSet(app).spec.template.spec.source.plugin).toEqual({ name: 'avp' });
    expect(app.manifests('host').filter(o => o.kind === 'ConfigMap' && o.metadata.namespace === 'argocd')).toEqual([]);
  });

  test('keepPlaceholders: plain directory Applications, no plugin', () => {
    const app = argo({}, { credentials: GitOpsCredentials.keepPlaceholders() });
    expect(appSet(app).spec.template.spec.source.plugin).toBeUndefined();
    expect(app.manifests('host').filter(o => o.kind === 'ConfigMap' && o.metadata.namespace === 'argocd')).toEqual([]);
  });

  const shell = spawnSync('sh', ['-c', 'command -v awk'], { encoding: 'utf8' }).status === 0;
  (shell ? test : test.skip)('the envsubst plugin renders a synthesized folder from its environment and fails on a missing key', () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'ksfed-argo-plugin-'));
    const app = new FederationApp({ outdir: path.join(repo, 'dist') });
    fleet(app);
    new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.argoCd(), repoUrl: REPO, credentials: secret() });
    app.synth();
    const pluginMap = app.manifests('host').find(o => o.kind === 'ConfigMap' && o.metadata.name === 'ksfed-envsubst');
    const plugin = parse(pluginMap.data['plugin.yaml']);
    const [command, flag] = plugin.spec.generate.command;
    const script = plugin.spec.generate.args[0];
    const folder = path.join(repo, 'dist', 'branch-7');
    const env = {
      PATH: process.env.PATH,
      KSFED_JWT_SECRET: 'jwt-abcdef',
      KSFED_AGENT_TOKEN_BRANCH_7: 'a1b2c3',
      KSFED_PROXY_ADDRESS: 'http://203.0.113.10:8080',
      KSFED_UNUSED: 'x',
    };
    const out = execFileSync(command, [flag, script], { cwd: folder, env, encoding: 'utf8' });
    const docs = out.split(/^---$/m).map(d => d.trim()).filter(d => d).map(d => parse(d));
    expect(docs.map(d => d.kind)).toEqual(['Secret', 'Deployment', 'ClusterConfiguration']);
    expect(docs[0].stringData.token).toBe('a1b2c3');
    expect(docs[1].spec.template.spec.containers[0].command).toContain('--proxy-server=http://203.0.113.10:8080');
    expect(docs[1].spec.template.spec.containers[0].command).toContain('--token=$(KS_AGENT_TOKEN)');
    expect(docs[2].spec.authentication.jwtSecret).toBe('jwt-abcdef');
    expect(out).not.toContain('KSFED_');

    const missing = spawnSync(command, [flag, script], { cwd: folder, env: { ...env, KSFED_JWT_SECRET: undefined }, encoding: 'utf8' });
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain('ksfed-envsubst: KSFED_JWT_SECRET is not set: add it to the Secret mounted into this plugin');
  });
});

describe('Argo CD: validation', () => {
  test('invalid options name the prop, the value and the fix', () => {
    expect(() => GitOpsEngine.argoCd({ namespace: 'Argo CD' })).toThrow(/^\[GitOpsEngine\.argoCd\] namespace "Argo CD": it must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit\. Fix: use a name like "argocd"$/);
    expect(() => GitOpsEngine.argoCd({ project: 'My Project' })).toThrow(/^\[GitOpsEngine\.argoCd\] project "My Project": it is not an AppProject name: it must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '\.'\. Fix: use "default" or the name of your AppProject$/);
    expect(() => GitOpsEngine.argoCd({ mode: ArgoCdMode.APPLICATIONS, applicationSetName: 'x' })).toThrow(/^\[GitOpsEngine\.argoCd\] applicationSetName "x": there is no ApplicationSet in ArgoCdMode\.APPLICATIONS\. Fix: drop applicationSetName, or use ArgoCdMode\.APPLICATION_SET$/);
    expect(() => GitOpsEngine.argoCd({ mode: ArgoCdMode.APPLICATIONS, progressiveSync: true })).toThrow(/^\[GitOpsEngine\.argoCd\] progressiveSync true: progressive syncs order the Applications of an ApplicationSet; in ArgoCdMode\.APPLICATIONS the order follows sync waves\. Fix: drop progressiveSync, or use ArgoCdMode\.APPLICATION_SET$/);
    expect(() => GitOpsEngine.argoCd({ syncPolicy: { automated: false, prune: true } })).toThrow(/^\[GitOpsEngine\.argoCd\] syncPolicy\.automated false: prune and selfHeal only apply to automated sync\. Fix: drop prune and selfHeal, or keep automated sync on$/);
    expect(() => GitOpsEngine.argoCd({ syncPolicy: { retryLimit: -1 } })).toThrow(/^\[GitOpsEngine\.argoCd\] syncPolicy\.retryLimit -1: it must be a whole number of 0 or more\. Fix: use e\.g\. 5 \(0 disables retries\)$/);
    expect(() => GitOpsEngine.argoCd({ syncPolicy: { retryBackoff: Duration.millis(0) } })).toThrow(/^\[GitOpsEngine\.argoCd\] syncPolicy\.retryBackoff 0: it must be a positive whole number of milliseconds\. Fix: use Duration\.seconds\(30\), Duration\.minutes\(5\)\.\.\.$/);
    expect(() => GitOpsEngine.argoCd({ destinations: { 'edge-1': 'edge-1' as any } })).toThrow(/^\[GitOpsEngine\.argoCd\] destinations\["edge-1"\] "edge-1": it is not an ArgoCdDestination\. Fix: use ArgoCdDestination\.clusterName\(name\), \.serverUrl\(url\) or \.inCluster\(\)$/);
  });

  test('destinations', () => {
    expect(ArgoCdDestination.inCluster()).toMatchObject({ name: 'in-cluster', server: undefined });
    expect(() => ArgoCdDestination.clusterName(' ')).toThrow(/^\[ArgoCdDestination\.clusterName\] name " ": it is empty or has surrounding spaces\. Fix: give the name Argo CD knows the cluster by \(`argocd cluster list`\)$/);
    expect(() => ArgoCdDestination.serverUrl('10.0.0.10:6443')).toThrow(/^\[ArgoCdDestination\.serverUrl\] url "10\.0\.0\.10:6443": it is not an http\(s\) URL\. Fix: write it like "https:\/\/10\.0\.0\.10:6443"$/);
  });

  test('a destination for a cluster that is not delivered', () => {
    const { app } = fleet();
    expect(() => new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.argoCd({ destinations: { 'edge-9': ArgoCdDestination.inCluster() } }), repoUrl: REPO }))
      .toThrow(/^\[GitOps\] engine destinations\["edge-9"\] "edge-9": no cluster of this federation has that name \(known: host, edge-1, branch-7\)\. Fix: use the cluster names of the Host and Members$/);
  });
});
