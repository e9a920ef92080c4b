import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App } from 'cdk8s';
import { everything, fleet, gitOpsObjects, REPO } from './fleet';
import { gitopsArgoCd } from '../../../../examples/gitops-argocd/main';
import { gitopsFlux } from '../../../../examples/gitops-flux/main';
import {
  AgentToken, ArgoCdMode, Connection, FederationApp, FluxTopology, GitOpsCredentials, GitOpsDelivery, GitOpsEngine, GitRevision,
  GitOpsDeliveryProps, Host, JwtSecret, Kubeconfig, Member, WebhookCertificate,
} from '../../src';
import { testApp } from '../util/fleet';

const secret = () => GitOpsCredentials.fromSecret({ secretName: 'ksfed-credentials' });

/** Creates a delivery on a fresh quickstart fleet (a failed constructor leaves its node in the tree). */
function deliver(props: Partial<GitOpsDeliveryProps> = {}): () => GitOpsDelivery {
  return () => new GitOpsDelivery(fleet().app, 'GitOps', { engine: GitOpsEngine.flux(), repoUrl: REPO, ...props });
}

/** Every string of the delivered folders. */
function texts(app: FederationApp, clusters: string[]): string {
  return clusters.map(c => JSON.stringify(app.manifests(c))).join('\n');
}

describe('GitOpsDelivery: paths', () => {
  const engines: [string, () => GitOpsEngine][] = [
    ['Argo CD ApplicationSet', () => GitOpsEngine.argoCd()],
    ['Argo CD Applications', () => GitOpsEngine.argoCd({ mode: ArgoCdMode.APPLICATIONS })],
    ['Flux hub', () => GitOpsEngine.flux()],
    ['Flux per cluster', () => GitOpsEngine.flux({ topology: FluxTopology.PER_CLUSTER })],
  ];

  test.each(engines)('%s: every generated path is a folder synth writes, holding the files federation.json lists', (_name, engine) => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'ksfed-gitops-repo-'));
    const app = new FederationApp({ outdir: path.join(repo, 'clusters', 'prod', 'dist') });
    fleet(app);
    const delivery = new GitOpsDelivery(app, 'GitOps', { engine: engine(), repoUrl: REPO, pathPrefix: 'clusters/prod/dist', credentials: secret() });
    app.synth();

    const paths = new Set<string>();
    for (const { object } of everything(app)) {
      if (object.kind === 'Kustomization') paths.add(object.spec.path);
      if (object.kind === 'Application') paths.add(object.spec.source.path);
      if (object.kind === 'ApplicationSet') for (const e of object.spec.generators[0].list.elements) paths.add(e.path);
    }
    expect([...paths].map(p => p.replace(/^\.\//, '')).sort()).toEqual(['clusters/prod/dist/branch-7', 'clusters/prod/dist/edge-1', 'clusters/prod/dist/host']);
    const manifest = JSON.parse(fs.readFileSync(path.join(app.outdir, 'federation.json'), 'utf8'));
    for (const p of paths) {
      const folder = path.join(repo, p);
      expect(fs.statSync(folder).isDirectory()).toBe(true);
      const cluster = manifest.clusters.find((c: any) => `clusters/prod/dist/${c.folder}` === p.replace(/^\.\//, ''));
      expect(fs.readdirSync(folder).sort()).toEqual(cluster.objects.map((o: any) => o.file).sort());
    }
    expect(delivery.clusterNames.map(c => delivery.pathOf(c))).toEqual(['clusters/prod/dist/host', 'clusters/prod/dist/edge-1', 'clusters/prod/dist/branch-7']);
  });

  test.each([['gitops-argocd', gitopsArgoCd], ['gitops-flux', gitopsFlux]] as const)('examples/%s: its paths are the folders it synthesizes, relative to the repository root', (_name, build) => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'ksfed-gitops-example-'));
    const probe = build(new FederationApp({ outdir: path.join(repo, 'probe') }));
    const app = new FederationApp({ outdir: path.join(repo, probe.pathPrefix) });
    const delivery = build(app);
    app.synth();
    const generated = everything(app).flatMap(({ object }) => [
      ...(object.kind === 'Kustomization' ? [object.spec.path] : []),
      ...(object.kind === 'ApplicationSet' ? object.spec.generators[0].list.elements.map((e: any) => e.path) : []),
    ]);
    expect(generated.length).toBe(delivery.clusterNames.length);
    for (const p of generated) expect(fs.readdirSync(path.join(repo, p)).length).toBeGreaterThan(0);
    expect(delivery.clusterNames.map(c => fs.existsSync(path.join(repo, delivery.pathOf(c))))).toEqual([true, true, true]);
  });

  test('pathPrefix is normalized ("./dist/" gives dist/<cluster>; "" and "." give <cluster>)', () => {
    for (const [prefix, expected] of [['./dist/', 'dist/edge-1'], ['', 'edge-1'], ['.', 'edge-1'], ['a/b', 'a/b/edge-1']]) {
      const { app } = fleet();
      const delivery = new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.flux(), repoUrl: REPO, pathPrefix: prefix, credentials: secret() });
      expect(delivery.pathOf('edge-1')).toBe(expected);
    }
  });

  test('the engine objects land in the management cluster\'s folder, in the custom-resources phase, after the host\'s own objects', () => {
    const { app } = fleet();
    new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.flux(), repoUrl: REPO, credentials: secret() });
    const objects = app.synthesizedObjects('host');
    const flux = objects.filter(o => o.manifest.apiVersion.includes('fluxcd.io'));
    expect(flux.map(o => o.file)).toEqual([
      '0095-gitrepository-flux-system-ksfed-federation.yaml',
      '0096-kustomization-flux-system-ksfed-host.yaml',
      '0097-kustomization-flux-system-ksfed-edge-1.yaml',
      '0098-kustomization-flux-system-ksfed-branch-7.yaml',
    ]);
    expect(flux.every(o => o.phase === 'custom-resources')).toBe(true);
    expect(flux.map(o => o.constructPath)).toContain('host/GitOps-Kustomization-edge-1');
    expect(gitOpsObjects(app, 'edge-1', 'Kustomization')).toEqual([]);
  });

  test('managementCluster puts the engine objects into another cluster\'s folder, and that cluster is delivered in-cluster', () => {
    const { app } = fleet();
    new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.flux(), repoUrl: REPO, managementCluster: 'edge-1', credentials: secret() });
    expect(gitOpsObjects(app, 'host', 'Kustomization')).toEqual([]);
    const kustomizations = gitOpsObjects(app, 'edge-1', 'Kustomization');
    expect(kustomizations.map(k => [k.metadata.name, k.spec.kubeConfig?.secretRef.name ?? '(in-cluster)'])).toEqual([
      ['ksfed-host', 'host-kubeconfig'],
      ['ksfed-edge-1', '(in-cluster)'],
      ['ksfed-branch-7', 'branch-7-kubeconfig'],
    ]);
  });
});

describe('GitOpsDelivery: placeholders', () => {
  test('fromSecret: every placeholder of the delivered folders becomes ${KSFED_<ID>}, and none is left for ksfed', () => {
    const { app } = fleet();
    new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.flux(), repoUrl: REPO, credentials: secret() });
    const all = texts(app, app.clusterNames);
    expect(all).not.toContain('{{ksfed:');
    expect(app.manifests('edge-1')[0].spec.authentication.jwtSecret).toBe('${KSFED_JWT_SECRET}');
    const cluster = app.manifests('host').find(o => o.kind === 'Cluster' && o.metadata.name === 'edge-1');
    expect(cluster.spec.connection.kubeconfig).toBe('${KSFED_KUBECONFIG_EDGE_1}');
    const agent = app.manifests('branch-7').find(o => o.kind === 'Deployment');
    expect(agent.spec.template.spec.containers[0].command).toContain('--proxy-server=${KSFED_PROXY_ADDRESS}');
    expect(app.federationManifest().placeholders).toEqual([]);
  });

  test('a hand-written placeholder in a delivered folder is not turned into ${KSFED_<ID>} (the engine would fill it): synth refuses it', () => {
    const { app } = fleet();
    const delivery = new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.flux(), repoUrl: REPO, credentials: secret() });
    new ApiObject(app.node.findChild('edge-1'), 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' }, data: { kc: '{{ksfed:kubeconfig/edge-1}}' } });
    expect(() => app.synth()).toThrow(/^\[edge-1\/cm\] \/data\/kc "\{\{ksfed:kubeconfig\/edge-1\}\}": ConfigMap "default\/x" in cluster "edge-1" holds the placeholder \{\{ksfed:kubeconfig\/edge-1\}\} .*which this library did not write there/);
    // the engine's Secret is asked for the kubeconfig on the host only, where the library writes it
    expect(delivery.secretKeys().find(k => k.key === 'KSFED_KUBECONFIG_EDGE_1')!.clusters).toEqual(['host']);
  });

  test('argoCdVaultPlugin: placeholders become argocd-vault-plugin inline paths', () => {
    const { app } = fleet();
    new GitOpsDelivery(app, 'GitOps', {
      engine: GitOpsEngine.argoCd(),
      repoUrl: REPO,
      credentials: GitOpsCredentials.argoCdVaultPlugin({ path: 'secret/data/ksfed' }),
    });
    expect(app.manifests('edge-1')[0].spec.authentication.jwtSecret).toBe('<path:secret/data/ksfed#KSFED_JWT_SECRET>');
    const token = app.manifests('branch-7').find(o => o.kind === 'Secret');
    expect(token.stringData.token).toBe('<path:secret/data/ksfed#KSFED_AGENT_TOKEN_BRANCH_7>');
    expect(texts(app, app.clusterNames)).not.toContain('{{ksfed:');
  });

  test('keepPlaceholders: the {{ksfed:...}} placeholders stay, and federation.json still lists them', () => {
    const { app } = fleet();
    new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.flux(), repoUrl: REPO, credentials: GitOpsCredentials.keepPlaceholders() });
    expect(app.manifests('edge-1')[0].spec.authentication.jwtSecret).toBe('{{ksfed:jwt-secret}}');
    expect(app.federationManifest().placeholders.map((p: any) => p.id)).toContain('jwt-secret');
    const kustomization = gitOpsObjects(app, 'host', 'Kustomization')[1];
    expect(kustomization.spec.postBuild).toBeUndefined();
  });

  test('clusters left to ksfed keep their placeholders (mixed push and pull)', () => {
    const { app } = fleet();
    new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.flux(), repoUrl: REPO, clusters: ['host', 'edge-1'], credentials: secret() });
    expect(texts(app, ['host', 'edge-1'])).not.toContain('{{ksfed:');
    expect(app.manifests('branch-7').find(o => o.kind === 'Secret').stringData.token).toBe('{{ksfed:agent-token/branch-7}}');
    const placeholders = app.federationManifest().placeholders;
    expect(placeholders.map((p: any) => p.id)).toEqual(['agent-token/branch-7', 'jwt-secret', 'proxy-address']);
    expect(placeholders.flatMap((p: any) => p.occurrences.map((o: any) => o.cluster))).toEqual(['branch-7', 'branch-7', 'branch-7']);
    expect(gitOpsObjects(app, 'host', 'Kustomization').map(k => k.metadata.name)).toEqual(['ksfed-host', 'ksfed-edge-1']);
  });

  test('secretKeys(): one key per placeholder, with its encoding and the clusters that use it', () => {
    const { app } = fleet();
    const delivery = new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.flux(), repoUrl: REPO, credentials: secret() });
    const keys = delivery.secretKeys();
    expect(keys.map(k => k.key)).toEqual([
      'KSFED_AGENT_TOKEN_BRANCH_7', 'KSFED_JWT_SECRET', 'KSFED_KUBECONFIG_EDGE_1', 'KSFED_KUBEFED_WEBHOOK_CA_CRT',
      'KSFED_KUBEFED_WEBHOOK_TLS_CRT', 'KSFED_KUBEFED_WEBHOOK_TLS_KEY', 'KSFED_PROXY_ADDRESS',
    ]);
    expect(keys.find(k => k.key === 'KSFED_KUBECONFIG_EDGE_1')).toMatchObject({ placeholder: 'kubeconfig/edge-1', encoding: 'base64', secret: true, clusters: ['host'] });
    expect(keys.find(k => k.key === 'KSFED_AGENT_TOKEN_BRANCH_7')).toMatchObject({ encoding: 'raw', secret: true, clusters: ['host', 'branch-7'] });
    expect(keys.find(k => k.key === 'KSFED_KUBEFED_WEBHOOK_CA_CRT')!.secret).toBe(false);
    expect(keys.find(k => k.key === 'KSFED_PROXY_ADDRESS')).toMatchObject({ secret: false, clusters: ['branch-7'] });
  });

  test('cert-manager and an explicit proxyPublishAddress remove those placeholders (and their keys)', () => {
    const app = testApp();
    const host = new Host(app, 'host', {
      name: 'host',
      proxyPublishAddress: 'http://203.0.113.10:8080',
      webhookCertificate: WebhookCertificate.certManager({ issuerName: 'selfsigned' }),
    });
    new Member(app, 'branch-7', { host, name: 'branch-7', connection: Connection.agent() });
    const delivery = new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.flux(), repoUrl: REPO, credentials: secret() });
    expect(delivery.secretKeys().map(k => k.key)).toEqual(['KSFED_AGENT_TOKEN_BRANCH_7', 'KSFED_JWT_SECRET']);
  });

  test('a federation without placeholders needs no credentials', () => {
    const app = testApp();
    new Host(app, 'host', { name: 'host', webhookCertificate: WebhookCertificate.certManager({ issuerName: 'selfsigned' }) });
    const delivery = new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.argoCd(), repoUrl: REPO });
    expect(() => app.synth()).not.toThrow();
    expect(delivery.secretKeys()).toEqual([]);
  });

  test('synth is deterministic: the same program gives the same files', () => {
    const run = () => {
      const { app } = fleet();
      new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.argoCd(), repoUrl: REPO, credentials: secret() });
      return JSON.stringify(everything(app));
    };
    expect(run()).toBe(run());
  });
});

describe('GitOpsDelivery: validation', () => {
  test('a placeholder no engine can resolve: synth names each placeholder, its clusters, and the routes', () => {
    const { app } = fleet();
    new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.flux(), repoUrl: REPO });
    expect(() => app.synth()).toThrow(/\[GitOps\] credentials \(unset\): the delivered folders hold apply-time placeholders that ksfed apply fills but a GitOps engine cannot: agent-token\/branch-7 \(host, branch-7\), jwt-secret \(edge-1, branch-7\), kubeconfig\/edge-1 \(host\), kubefed-webhook\/ca\.crt \(host\), kubefed-webhook\/tls\.crt \(host\), kubefed-webhook\/tls\.key \(host\), proxy-address \(branch-7\)\. Fix: keep the values in a Secret you manage \(External Secrets, SOPS\) and name it: credentials: GitOpsCredentials\.fromSecret\(\{ secretName: "ksfed-credentials" \}\) with the keys KSFED_AGENT_TOKEN_BRANCH_7, KSFED_JWT_SECRET, KSFED_KUBECONFIG_EDGE_1, KSFED_KUBEFED_WEBHOOK_CA_CRT, KSFED_KUBEFED_WEBHOOK_TLS_CRT, KSFED_KUBEFED_WEBHOOK_TLS_KEY, KSFED_PROXY_ADDRESS; or remove the placeholders \(WebhookCertificate\.certManager, Host proxyPublishAddress\); GitOpsCredentials\.keepPlaceholders\(\) opts out \(see docs\/push-to-pull\.md\)/);
  });

  test('with Argo CD the message also offers argocd-vault-plugin', () => {
    const { app } = fleet();
    new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.argoCd(), repoUrl: REPO });
    expect(() => app.manifests('host')).toThrow(/KSFED_PROXY_ADDRESS, or GitOpsCredentials\.argoCdVaultPlugin\(\{ path: "secret\/data\/ksfed" \}\); or remove the placeholders/);
  });

  test('a delivery pointing at a cluster that does not exist', () => {
    const { app } = fleet();
    expect(() => new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.flux(), repoUrl: REPO, clusters: ['host', 'edge-9'] }))
      .toThrow(/^\[GitOps\] clusters "edge-9": no cluster of this federation has that name \(known: host, edge-1, branch-7\)\. Fix: check the name, and create the GitOpsDelivery after the Host and every Member it delivers$/);
  });

  test('a management cluster that does not exist', () => {
    const { app } = fleet();
    expect(() => new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.argoCd(), repoUrl: REPO, managementCluster: 'mgmt' }))
      .toThrow(/^\[GitOps\] managementCluster "mgmt": no cluster of this federation has that name \(known: host, edge-1, branch-7\)\. Fix: name the cluster Argo CD or Flux runs in, or omit it to use the host$/);
  });

  test('per-cluster maps naming a cluster that does not exist, or one that is not delivered', () => {
    expect(deliver({ applicationNames: { 'edge-9': 'x' } }))
      .toThrow(/^\[GitOps\] applicationNames\["edge-9"\] "edge-9": no cluster of this federation has that name \(known: host, edge-1, branch-7\)\. Fix: use the cluster names of the Host and Members$/);
    expect(deliver({ engine: GitOpsEngine.flux({ kubeConfigSecrets: { 'branch-7': 'b7' } }), clusters: ['host', 'edge-1'] }))
      .toThrow(/^\[GitOps\] engine kubeConfigSecrets\["branch-7"\] "branch-7": this cluster is not delivered by the GitOpsDelivery\. Fix: add it to clusters, or drop the entry \(delivered: host, edge-1\)$/);
  });

  test('clusters created after the delivery are reported at synth', () => {
    const { app, host } = fleet();
    new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.flux(), repoUrl: REPO, credentials: secret() });
    new Member(app, 'late-1', { host, name: 'late-1', connection: Connection.direct() });
    expect(() => app.synth()).toThrow(/\[GitOps\] clusters \["late-1"\]: these clusters were created after the GitOpsDelivery, so no engine would deliver their folders\. Fix: create the GitOpsDelivery after the last Member, or list the clusters it delivers in clusters \(the others stay with ksfed apply\)/);
  });

  test('an explicit cluster list leaves later clusters to ksfed without complaint', () => {
    const { app, host } = fleet();
    new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.flux(), repoUrl: REPO, clusters: ['host'], credentials: secret() });
    new Member(app, 'late-1', { host, name: 'late-1', connection: Connection.direct() });
    expect(() => app.federationManifest()).not.toThrow();
  });

  test('duplicate application names', () => {
    expect(deliver({ engine: GitOpsEngine.argoCd(), applicationNames: { 'edge-1': 'ksfed-host' } }))
      .toThrow(/^\[GitOps\] applicationNames\["edge-1"\] "ksfed-host": the Application name is already used for cluster "host"\. Fix: give every delivered cluster its own application name$/);
    expect(deliver({ applicationNames: { 'edge-1': 'fleet', 'branch-7': 'fleet' } }))
      .toThrow(/^\[GitOps\] applicationNames\["branch-7"\] "fleet": the Kustomization name is already used for cluster "edge-1"\. Fix: give every delivered cluster its own application name$/);
  });

  test('application names must be DNS labels of at most 63 characters', () => {
    const app = testApp();
    const host = new Host(app, 'host', { name: 'host' });
    const long = 'a'.repeat(60);
    new Member(app, long, { host, name: long, connection: Connection.direct() });
    expect(() => new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.flux(), repoUrl: REPO }))
      .toThrow(/^\[GitOps\] namePrefix "ksfed-a{60}": it is 66 characters long, more than 63\. Fix: use a name like "ksfed-a{57}"$/);
    expect(deliver({ applicationNames: { host: 'Host' } }))
      .toThrow(/^\[GitOps\] applicationNames\["host"\] "Host": it must be a DNS-1123 label/);
    expect(deliver({ namePrefix: 'Fleet_' }))
      .toThrow(/^\[GitOps\] namePrefix "Fleet_": it must be empty or start with a lowercase letter or digit, hold only lowercase letters, digits and '-', and be at most 40 characters\. Fix: use a prefix like "ksfed-"$/);
  });

  test('an invalid repository URL', () => {
    const make = (repoUrl: string, engine = GitOpsEngine.argoCd()) => deliver({ engine, repoUrl });
    expect(make('not a url')).toThrow(/repoUrl "not a url": it is not a Git repository URL \(http, https or ssh, or scp-like git@host:org\/repo\.git, with a repository path\)\. Fix: write it like "https:\/\/git\.example\.com\/platform\/fleet\.git"$/);
    expect(make('ftp://git.example.com/fleet.git')).toThrow(/repoUrl "ftp:\/\/git\.example\.com\/fleet\.git": it is not a Git repository URL/);
    expect(make('https://git.example.com')).toThrow(/repoUrl "https:\/\/git\.example\.com": it is not a Git repository URL/);
    expect(make('https://bot:s3cr3t@git.example.com/fleet.git')).toThrow(/repoUrl "https:\/\/\*\*\*@git\.example\.com\/fleet\.git": it holds credentials, which would be committed in plain text\. Fix: drop them from the URL and register the repository's credentials in Argo CD \(a repository Secret\)$/);
    expect(make('https://bot:s3cr3t@git.example.com/fleet.git')).not.toThrow(/s3cr3t/);
    expect(make(' https://git.example.com/fleet.git')).toThrow(/repoUrl " https:\/\/git\.example\.com\/fleet\.git": it is empty or has surrounding spaces/);
    expect(make('git@github.com:org/fleet.git', GitOpsEngine.flux())).toThrow(/repoUrl "git@github\.com:org\/fleet\.git": Flux does not accept scp-like Git addresses\. Fix: write it as an ssh:\/\/ URL: "ssh:\/\/git@github\.com\/org\/fleet\.git"$/);
    expect(make('git@github.com:org/fleet.git')).not.toThrow();
    expect(make('ssh://git@github.com/org/fleet.git', GitOpsEngine.flux())).not.toThrow();
  });

  test('an invalid path prefix', () => {
    for (const prefix of ['/abs/dist', '../dist', 'a/../dist', 'dist dir']) {
      expect(deliver({ pathPrefix: prefix }))
        .toThrow(new RegExp(`^\\[GitOps\\] pathPrefix "${prefix.replace(/[.]/g, '\\.')}": it must be a relative path inside the repository, without "\\.\\.", made of letters, digits, '\\.', '_' and '-'\\. Fix: give the outdir's path from the repository root, e\\.g\\. "dist" or "clusters\\/prod\\/dist"$`));
    }
  });

  test('one delivery per federation', () => {
    const { app } = fleet();
    new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.flux(), repoUrl: REPO, clusters: ['host'] });
    expect(() => new GitOpsDelivery(app, 'More', { engine: GitOpsEngine.argoCd(), repoUrl: REPO, clusters: ['edge-1'] }))
      .toThrow(/^\[More\] GitOpsDelivery "More": this federation already has a GitOpsDelivery \(GitOps\); both would rewrite the same folders\. Fix: deliver every cluster with one GitOpsDelivery \(use clusters to choose them\), or put the second federation in its own FederationApp$/);
  });

  test('cluster lists: duplicates, empty, no host yet', () => {
    expect(deliver({ clusters: ['host', 'host'] }))
      .toThrow(/^\[GitOps\] clusters \["host","host"\]: a cluster is listed twice\. Fix: list each cluster once$/);
    expect(deliver({ clusters: [] }))
      .toThrow(/^\[GitOps\] clusters \[\]: no cluster to deliver\. Fix: list at least one cluster, or omit clusters to deliver them all$/);
    expect(() => new GitOpsDelivery(testApp(), 'GitOps', { engine: GitOpsEngine.flux(), repoUrl: REPO }))
      .toThrow(/^\[GitOps\] GitOpsDelivery "GitOps": the federation has no Host yet\. Fix: create the Host and the Members before the GitOpsDelivery$/);
  });

  test('plain-text credentials would end up in Git: refused unless allowed explicitly', () => {
    const app = testApp();
    const host = new Host(app, 'host', { name: 'host', jwtSecret: JwtSecret.unsafePlainText('0123456789abcdef') });
    new Member(app, 'edge-1', { host, name: 'edge-1', connection: Connection.direct() });
    expect(() => new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.flux(), repoUrl: REPO, credentials: secret() }))
      .toThrow(/^\[GitOps\] allowPlainTextCredentials false: the jwtSecret of host is JwtSecret\.unsafePlainText, so every delivered ClusterConfiguration would carry it in plain text in Git\. Fix: use JwtSecret\.fromHostCluster\(\) or fromEnv\(\.\.\.\) and credentials: GitOpsCredentials\.fromSecret\(\.\.\.\), or set allowPlainTextCredentials: true if the repository is as protected as the secret$/);
    const allowed = testApp();
    const allowedHost = new Host(allowed, 'host', { name: 'host', jwtSecret: JwtSecret.unsafePlainText('0123456789abcdef') });
    new Member(allowed, 'edge-1', { host: allowedHost, name: 'edge-1', connection: Connection.direct() });
    new GitOpsDelivery(allowed, 'GitOps', { engine: GitOpsEngine.flux(), repoUrl: REPO, credentials: secret(), allowPlainTextCredentials: true });
    expect(allowed.manifests('edge-1')[0].spec.authentication.jwtSecret).toBe('0123456789abcdef');

    const app2 = testApp();
    const host2 = new Host(app2, 'host', { name: 'host' });
    new Member(app2, 'edge-1', { host: host2, name: 'edge-1', connection: Connection.direct({ kubeconfig: Kubeconfig.unsafeInline('apiVersion: v1\nclusters: []\n') }) });
    expect(() => new GitOpsDelivery(app2, 'GitOps', { engine: GitOpsEngine.flux(), repoUrl: REPO, credentials: secret() }))
      .toThrow(/^\[GitOps\] allowPlainTextCredentials false: the kubeconfig of edge-1 is Kubeconfig\.unsafeInline, so the host's Cluster object would carry it in plain text in Git\. Fix: use Kubeconfig\.fromContext\(\) \(or fromFile\/fromEnv\) and credentials: GitOpsCredentials\.fromSecret\(\.\.\.\), or set allowPlainTextCredentials: true$/);
    // The host's folder stays with ksfed: the inline kubeconfig never reaches Git.
    const app3 = testApp();
    const host3 = new Host(app3, 'host', { name: 'host' });
    new Member(app3, 'edge-1', { host: host3, name: 'edge-1', connection: Connection.direct({ kubeconfig: Kubeconfig.unsafeInline('apiVersion: v1\nclusters: []\n') }) });
    expect(() => new GitOpsDelivery(app3, 'Members', { engine: GitOpsEngine.flux(), repoUrl: REPO, clusters: ['edge-1'], credentials: secret() })).not.toThrow();
  });

  test('AgentToken.fromTower cannot be delivered by an engine that resolves placeholders', () => {
    const app = testApp();
    const host = new Host(app, 'host', { name: 'host' });
    new Member(app, 'branch-7', { host, name: 'branch-7', connection: Connection.agent({ token: AgentToken.fromTower() }) });
    expect(() => new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.argoCd(), repoUrl: REPO, credentials: secret() }))
      .toThrow(/^\[GitOps\] clusters "branch-7": member branch-7 uses AgentToken\.fromTower\(\): tower writes the token into the host's Cluster at run time and only ksfed can hand it to the agent, which a GitOps engine cannot do\. Fix: use Connection\.agent\(\{ token: AgentToken\.generated\(\) \}\) \(the token then comes from your Secret and is pre-set on the Cluster\), or leave this member to ksfed apply$/);
    const app2 = testApp();
    const host2 = new Host(app2, 'host', { name: 'host' });
    new Member(app2, 'branch-7', { host: host2, name: 'branch-7', connection: Connection.agent({ token: AgentToken.fromTower() }) });
    expect(() => new GitOpsDelivery(app2, 'HostOnly', { engine: GitOpsEngine.argoCd(), repoUrl: REPO, clusters: ['host'], credentials: secret() })).not.toThrow();
  });

  test('argocd-vault-plugin with Flux', () => {
    const { app } = fleet();
    expect(() => new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.flux(), repoUrl: REPO, credentials: GitOpsCredentials.argoCdVaultPlugin({ path: 'secret/data/ksfed' }) }))
      .toThrow(/^\[GitOps\] credentials "GitOpsCredentials\.argoCdVaultPlugin": Flux has no config management plugins to run argocd-vault-plugin\. Fix: use GitOpsCredentials\.fromSecret\(\{ secretName: "ksfed-credentials" \}\) and fill that Secret from secret\/data\/ksfed with External Secrets$/);
  });

  test('managementCluster with Flux per-cluster topology', () => {
    const { app } = fleet();
    expect(() => new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.flux({ topology: FluxTopology.PER_CLUSTER }), repoUrl: REPO, managementCluster: 'host' }))
      .toThrow(/^\[GitOps\] managementCluster "host": with FluxTopology\.PER_CLUSTER every cluster runs its own Flux and gets its own GitRepository and Kustomization\. Fix: drop managementCluster, or use FluxTopology\.HUB$/);
  });

  test('a plain cdk8s App is refused', () => {
    expect(() => new GitOpsDelivery(new App(), 'GitOps', { engine: GitOpsEngine.flux(), repoUrl: REPO }))
      .toThrow(/^\[GitOps\] must be created in a FederationApp, not a plain cdk8s App/);
  });

  test('accessors name delivered clusters only', () => {
    const { app } = fleet();
    const delivery = new GitOpsDelivery(app, 'GitOps', { engine: GitOpsEngine.flux(), repoUrl: REPO, clusters: ['host'], revision: GitRevision.tag('fleet-v1') });
    expect(delivery.applicationNameOf('host')).toBe('ksfed-host');
    expect(delivery.managementCluster).toBe('host');
    expect(delivery.revision.value).toBe('fleet-v1');
    expect(() => delivery.pathOf('edge-1')).toThrow(/^\[GitOps\] no delivered cluster named "edge-1" \(delivered: host\)$/);
    expect(GitOpsDelivery.isGitOpsDelivery(delivery)).toBe(true);
    expect(GitOpsDelivery.isGitOpsDelivery(app)).toBe(false);
  });
});
