import { ApiObject, Duration } from 'cdk8s';
import { fleet, gitOpsObjects, REPO, validateGitOps } from './fleet';
import {
  Connection, FederationApp, FluxTopology, Host, JwtSecret, Member, GitOpsApiVersions, GitOpsCredentials, GitOpsDelivery, GitOpsEngine, GitRevision,
} from '../../src';
import { testApp } from '../util/fleet';

const secret = () => GitOpsCredentials.fromSecret({ secretName: 'ksfed-credentials' });

interface Props { credentials?: GitOpsCredentials; clusters?: string[]; revision?: GitRevision; pathPrefix?: string }

function flux(options: Parameters<typeof GitOpsEngine.flux>[0] = {}, props: Props = {}): FederationApp {
  const { app } = fleet();
  new GitOpsDelivery(app, 'GitOps', {
    engine: GitOpsEngine.flux(options),
    repoUrl: REPO,
    credentials: props.credentials ?? secret(),
    clusters: props.clusters,
    revision: props.revision,
    pathPrefix: props.pathPrefix,
  });
  return app;
}

const kustomizations = (app: FederationApp, cluster = 'host') => gitOpsObjects(app, cluster, 'Kustomization');

describe('Flux: hub (default)', () => {
  test('a GitRepository and one Kustomization per cluster folder in flux-system on the host (snapshot)', () => {
    const app = flux();
    const objects = app.manifests('host').filter(o => o.metadata.namespace === 'flux-system');
    expect(objects.map(o => `${o.kind}/${o.metadata.name}`)).toEqual([
      'GitRepository/ksfed-federation', 'Kustomization/ksfed-host', 'Kustomization/ksfed-edge-1', 'Kustomization/ksfed-branch-7',
    ]);
    expect(objects).toMatchSnapshot();
  });

  test('every emitted Flux object is valid against our schemas, pinned to the v1 APIs', () => {
    for (const app of [flux(), flux({ topology: FluxTopology.PER_CLUSTER }), flux({ gitSecretName: 'git', kubeConfigSecretKey: 'value.yaml' }, { revision: GitRevision.tag('v1') })]) {
      for (const cluster of app.clusterNames) {
        for (const object of app.manifests(cluster).filter(o => o.metadata.namespace === 'flux-system')) {
          expect(validateGitOps(object)).toEqual([]);
          expect(object.apiVersion).toBe(object.kind === 'GitRepository' ? GitOpsApiVersions.FLUX_SOURCE : GitOpsApiVersions.FLUX_KUSTOMIZE);
        }
      }
    }
  });

  test('members dependsOn the host\'s Kustomization and reach their cluster through kubeConfig.secretRef', () => {
    const [host, edge, branch] = kustomizations(flux());
    expect(host.spec.dependsOn).toBeUndefined();
    expect(host.spec.kubeConfig).toBeUndefined();
    expect(edge.spec.dependsOn).toEqual([{ name: 'ksfed-host' }]);
    expect(branch.spec.dependsOn).toEqual([{ name: 'ksfed-host' }]);
    expect(edge.spec.kubeConfig).toEqual({ secretRef: { name: 'edge-1-kubeconfig' } });
    const custom = kustomizations(flux({ kubeConfigSecrets: { 'edge-1': 'edge1-admin' }, kubeConfigSecretKey: 'value.yaml' }));
    expect(custom[1].spec.kubeConfig).toEqual({ secretRef: { name: 'edge1-admin', key: 'value.yaml' } });
    expect(custom[2].spec.kubeConfig).toEqual({ secretRef: { name: 'branch-7-kubeconfig', key: 'value.yaml' } });
  });

  test('prune, wait, timeout and intervals are typed', () => {
    expect(kustomizations(flux())[1].spec).toMatchObject({ interval: '10m', retryInterval: '2m', timeout: '5m', prune: true, wait: true, path: './dist/edge-1' });
    const tuned = kustomizations(flux({
      interval: Duration.hours(1), retryInterval: Duration.seconds(30), timeout: Duration.minutes(15), prune: false, wait: false,
    }))[1];
    expect(tuned.spec).toMatchObject({ interval: '1h', retryInterval: '30s', timeout: '15m', prune: false, wait: false });
    const repo = gitOpsObjects(flux({ sourceInterval: Duration.seconds(90) }), 'host', 'GitRepository')[0];
    expect(repo.spec.interval).toBe('1m30s');
  });

  test('postBuild.substituteFrom the user-managed Secret, only where the folder needs a key; the keys are listed on the Kustomization', () => {
    const [host, edge] = kustomizations(flux());
    expect(host.spec.postBuild).toEqual({ substituteFrom: [{ kind: 'Secret', name: 'ksfed-credentials' }] });
    expect(edge.spec.postBuild).toEqual({ substituteFrom: [{ kind: 'Secret', name: 'ksfed-credentials' }] });
    expect(edge.metadata.annotations['ksfed.kubesphere-federation/secret-keys']).toBe('KSFED_JWT_SECRET');
    const [cleanHost, clean] = kustomizations(testFleetWithCleanMember());
    expect(cleanHost.metadata.annotations['ksfed.kubesphere-federation/secret-keys']).toBe('KSFED_KUBECONFIG_EDGE_1,KSFED_KUBEFED_WEBHOOK_CA_CRT,KSFED_KUBEFED_WEBHOOK_TLS_CRT,KSFED_KUBEFED_WEBHOOK_TLS_KEY');
    expect(clean.metadata.name).toBe('ksfed-edge-1');
    expect(clean.spec.postBuild).toBeUndefined();
    expect(clean.metadata.annotations['ksfed.kubesphere-federation/secret-keys']).toBeUndefined();
    expect(kustomizations(flux({}, { credentials: GitOpsCredentials.keepPlaceholders() }))[1].spec.postBuild).toBeUndefined();
  });

  test('the GitRepository follows the revision and only keeps the path prefix in its artifact', () => {
    const repo = (app: FederationApp) => gitOpsObjects(app, 'host', 'GitRepository')[0].spec;
    expect(repo(flux())).toEqual({ interval: '1m', url: REPO, ref: { branch: 'main' }, ignore: '/*\n!/dist/\n' });
    expect(repo(flux({ gitSecretName: 'git-auth' }, { revision: GitRevision.tag('fleet-v3'), pathPrefix: 'clusters/prod/dist' }))).toEqual({
      interval: '1m',
      url: REPO,
      ref: { tag: 'fleet-v3' },
      secretRef: { name: 'git-auth' },
      ignore: '/*\n!/clusters/\n/clusters/*\n!/clusters/prod/\n/clusters/prod/*\n!/clusters/prod/dist/\n',
    });
    expect(repo(flux({}, { revision: GitRevision.commit('a'.repeat(40)), pathPrefix: '' }))).toEqual({ interval: '1m', url: REPO, ref: { commit: 'a'.repeat(40) } });
  });

  test('removing a cluster from the program orphans its Kustomization instead of wiping the cluster', () => {
    for (const object of flux().manifests('host').filter(o => o.metadata.namespace === 'flux-system')) {
      expect(object.metadata.annotations['kustomize.toolkit.fluxcd.io/prune']).toBe('disabled');
    }
  });
});

describe('Flux: one Flux per cluster', () => {
  test('each folder gets its own GitRepository and Kustomization, in-cluster, without cross-cluster dependsOn (snapshot)', () => {
    const app = flux({ topology: FluxTopology.PER_CLUSTER });
    for (const cluster of app.clusterNames) {
      const objects = app.manifests(cluster).filter(o => o.metadata.namespace === 'flux-system');
      expect(objects.map(o => `${o.kind}/${o.metadata.name}`)).toEqual(['GitRepository/ksfed-federation', `Kustomization/ksfed-${cluster}`]);
      const [, kustomization] = objects;
      expect(kustomization.spec.path).toBe(`./dist/${cluster}`);
      expect(kustomization.spec.kubeConfig).toBeUndefined();
      expect(kustomization.spec.dependsOn).toBeUndefined();
    }
    expect(app.manifests('branch-7').filter(o => o.metadata.namespace === 'flux-system')).toMatchSnapshot();
  });
});

describe('Flux: substitution safety', () => {
  test('a ${VAR} of yours in a substituted folder is reported: Flux would replace it', () => {
    const { app, edge } = fleet();
    new ApiObject(edge, 'Script', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'script', namespace: 'default' },
      data: { 'run.sh': 'echo "${HOME}"' },
    });
    new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.flux(), repoUrl: REPO, credentials: secret() });
    expect(() => app.synth()).toThrow(/\[edge-1\/Script\] manifest "\$\{HOME\}": ConfigMap "script" in cluster "edge-1" holds it at \/data\/run\.sh, and Flux's postBuild substitution \(enabled for this folder\) would replace it, with an empty string when no such variable exists\. Fix: write it as \$\$\{HOME\} \(Flux prints \$\{\.\.\.\} for \$\$\{\.\.\.\}\), or label or annotate the object with kustomize\.toolkit\.fluxcd\.io\/substitute: disabled/);
  });

  test('escaped, opted-out, unsubstituted and Argo CD folders are fine', () => {
    const build = (annotations: { [k: string]: string } | undefined, text: string, engine = GitOpsEngine.flux(), clusters?: string[]) => {
      const { app, edge } = fleet();
      new ApiObject(edge, 'Script', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'script', namespace: 'default', annotations }, data: { 'run.sh': text } });
      new GitOpsDelivery(app, 'GitOps', { engine, repoUrl: REPO, credentials: secret(), clusters });
      return app;
    };
    expect(() => build(undefined, 'echo "$${HOME}" $HOME').synth()).not.toThrow();
    expect(() => build({ 'kustomize.toolkit.fluxcd.io/substitute': 'disabled' }, 'echo "${HOME}"').synth()).not.toThrow();
    expect(() => build(undefined, 'echo "${HOME}"', GitOpsEngine.argoCd()).synth()).not.toThrow();
    expect(() => build(undefined, 'echo "${HOME}"', GitOpsEngine.flux(), ['host', 'branch-7']).synth()).not.toThrow();
  });
});

describe('Flux: validation', () => {
  test('invalid options name the prop, the value and the fix', () => {
    expect(() => GitOpsEngine.flux({ namespace: 'flux_system' })).toThrow(/^\[GitOpsEngine\.flux\] namespace "flux_system": it must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit\. Fix: use a name like "flux-system"$/);
    expect(() => GitOpsEngine.flux({ gitRepositoryName: '' })).toThrow(/^\[GitOpsEngine\.flux\] gitRepositoryName "": it is empty\. Fix: use a name like "ksfed-federation"$/);
    expect(() => GitOpsEngine.flux({ gitSecretName: 'Git Auth' })).toThrow(/^\[GitOpsEngine\.flux\] gitSecretName "Git Auth": it is not a Secret name: it must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '\.'\. Fix: give the name of a Secret in the Flux namespace$/);
    expect(() => GitOpsEngine.flux({ kubeConfigSecrets: { 'edge-1': 'Edge' } })).toThrow(/^\[GitOpsEngine\.flux\] kubeConfigSecrets\["edge-1"\] "Edge": it is not a Secret name/);
    expect(() => GitOpsEngine.flux({ kubeConfigSecretKey: 'value yaml' })).toThrow(/^\[GitOpsEngine\.flux\] kubeConfigSecretKey "value yaml": it is not a Secret key \(letters, digits, '-', '_' and '\.'\)\. Fix: omit it to let Flux read "value" or "value\.yaml"$/);
    expect(() => GitOpsEngine.flux({ topology: FluxTopology.PER_CLUSTER, kubeConfigSecrets: { 'edge-1': 'e1' } })).toThrow(/^\[GitOpsEngine\.flux\] kubeConfigSecrets \["edge-1"\]: with FluxTopology\.PER_CLUSTER every cluster reconciles its own folder, so no kubeconfig is used\. Fix: drop kubeConfigSecrets and kubeConfigSecretKey, or use FluxTopology\.HUB$/);
    expect(() => GitOpsEngine.flux({ interval: Duration.millis(0.5) })).toThrow(/^\[GitOpsEngine\.flux\] interval 0\.5: it must be a positive whole number of milliseconds\. Fix: use Duration\.seconds\(30\), Duration\.minutes\(5\)\.\.\.$/);
    expect(() => GitOpsEngine.flux({ timeout: Duration.minutes(0) })).toThrow(/^\[GitOpsEngine\.flux\] timeout 0: it must be a positive whole number of milliseconds/);
  });

  test('a kubeconfig Secret for a cluster that does not exist', () => {
    const { app } = fleet();
    expect(() => new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.flux({ kubeConfigSecrets: { 'edge-9': 'e9' } }), repoUrl: REPO }))
      .toThrow(/^\[GitOps\] engine kubeConfigSecrets\["edge-9"\] "edge-9": no cluster of this federation has that name \(known: host, edge-1, branch-7\)\. Fix: use the cluster names of the Host and Members$/);
  });
});

/** A host and a direct member whose folder holds no placeholder (the jwtSecret is inlined, explicitly allowed). */
function testFleetWithCleanMember(): FederationApp {
  const app = testApp();
  const host = new Host(app, 'host', { name: 'host', jwtSecret: JwtSecret.unsafePlainText('0123456789abcdef') });
  new Member(app, 'edge-1', { host, name: 'edge-1', connection: Connection.direct() });
  new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.flux(), repoUrl: REPO, credentials: secret(), allowPlainTextCredentials: true });
  return app;
}
