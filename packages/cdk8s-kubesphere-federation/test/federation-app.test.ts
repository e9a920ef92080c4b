import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, JsonPatch, YamlOutputType } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import {
  AgentToken, ApplyPhase, ComponentSize, Connection, FederatedApp, FederationApp, FederationMode, GitOpsCredentials, GitOpsDelivery, GitOpsEngine,
  Host, JwtSecret, Kubeconfig, Member, OverrideOperation, Placement, SelectorOperator, User, Workspace,
} from '../src';
import { testApp } from './util/fleet';

function quickFleet(app: FederationApp) {
  const host = new Host(app, 'host', { name: 'host' });
  new Member(app, 'edge-1', { host, name: 'edge-1', connection: Connection.direct() });
  new Member(app, 'branch-7', { host, name: 'branch-7', connection: Connection.agent() });
  return host;
}

function loadYaml(file: string): any[] {
  return parseAllDocuments(fs.readFileSync(file, 'utf8')).map(d => d.toJSON());
}

function listTree(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => e.isDirectory() ? listTree(path.join(dir, e.name)).map(f => `${e.name}/${f}`) : [e.name]).sort();
}

/** A copy of `value` with the keys of every plain object in reverse order (arrays keep theirs). */
function reverseKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reverseKeys) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reverseKeys(v)])) as T;
  }
  return value;
}

/** A fleet that passes every kind of struct and map the API takes, each through `order`. */
function richFleet(app: FederationApp, order: <T>(value: T) => T, engine: GitOpsEngine): void {
  const host = new Host(app, 'host', order({
    name: 'host',
    region: 'eu-central',
    group: 'core',
    labels: { 'team': 'platform', 'env': 'prod', 'a.example.com/tier': 'gold' },
    capacity: { nodes: 3, cpu: '16', memory: '64Gi' },
    components: { logging: true, alerting: true, devops: false },
    sizes: { tower: ComponentSize.of({ cpuRequest: '100m', memoryRequest: '128Mi' }) },
    description: 'the host',
  }));
  const edge = new Member(app, 'edge-1', order({
    host,
    name: 'edge-1',
    region: 'eu-west',
    group: 'production',
    labels: { zone: 'b', env: 'prod' },
    capacity: { nodes: 2, memory: '8Gi', cpu: '4' },
    connection: Connection.direct(),
  }));
  const branch = new Member(app, 'branch-7', order({
    host,
    name: 'branch-7',
    region: 'eu-west',
    group: 'development',
    labels: { zone: 'a', env: 'prod' },
    connection: Connection.agent(),
    components: { metricsServer: true, events: true },
  }));
  new User(host, 'alice', order({ name: 'alice', email: 'alice@example.com', displayName: 'Alice', description: 'admin' }));
  const workspace = new Workspace(host, 'shop', order({
    name: 'shop',
    manager: 'alice',
    displayName: 'Shop',
    description: 'the shop',
    placement: Placement.selector(order({
      matchLabels: { 'env': 'prod', 'cluster.kubesphere.io/region': 'eu-west' },
      matchExpressions: [order({ key: 'zone', operator: SelectorOperator.IN, values: ['b', 'a'] })],
    })),
  }));
  workspace.addRole('deployer', order({ displayName: 'Deployer', rules: [order({ verbs: ['get', 'patch'], resources: ['deployments'], apiGroups: ['apps'] })] }));
  const project = workspace.addProject('web', order({ labels: { tier: 'web', app: 'shop' }, displayName: 'Web', placement: Placement.clusters(edge, branch) }));
  const web = new FederatedApp(project, 'web', order({ placement: Placement.clusters(edge, branch) }));
  const deployment = new ApiObject(web.template, 'deployment', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } },
    },
  });
  web.override(edge, deployment, order({ image: 'mirror/nginx:1.25', env: { REGION: 'eu-west', MODE: 'edge', A_FIRST: '1' }, labels: { lane: 'fast', edge: 'yes' }, annotations: { note: 'x', owner: 'y' } }));
  web.addOverride(branch, deployment, OverrideOperation.add('/spec/template/metadata/annotations', order({ zeta: '1', alpha: '2', nested: order({ b: 1, a: [order({ y: 1, x: 2 })] }) })));
  web.scheduleReplicas(order({
    totalReplicas: 5,
    clusters: [order({ cluster: edge, weight: 2, minReplicas: 1, maxReplicas: 4 }), order({ cluster: branch, weight: 1 })],
  }));
  new GitOpsDelivery(app, 'delivery', order({
    engine,
    repoUrl: 'https://git.example.com/fleet.git',
    clusters: ['edge-1', 'branch-7'],
    credentials: GitOpsCredentials.keepPlaceholders(),
    applicationNames: { 'edge-1': 'edge', 'branch-7': 'branch' },
  }));
}

describe('FederationApp', () => {
  test('synth writes one folder per cluster, named by the cluster, and federation.json', () => {
    const app = testApp();
    quickFleet(app);
    app.synth();
    expect(fs.readdirSync(app.outdir).sort()).toEqual(['branch-7', 'edge-1', 'federation.json', 'host']);
    expect(fs.readdirSync(path.join(app.outdir, 'edge-1'))).toEqual(['0000-clusterconfiguration-kubesphere-system-ks-installer.yaml']);
    expect(fs.readdirSync(path.join(app.outdir, 'branch-7'))).toEqual([
      '0000-secret-kubesphere-system-cluster-agent-token.yaml',
      '0001-deployment-kubesphere-system-cluster-agent.yaml',
      '0002-clusterconfiguration-kubesphere-system-ks-installer.yaml',
    ]);
    // every file holds exactly the object manifests() returns, in the same order
    const files = fs.readdirSync(path.join(app.outdir, 'host')).sort();
    const manifests = app.manifests('host');
    expect(files.length).toBe(manifests.length);
    files.forEach((file, i) => expect(loadYaml(path.join(app.outdir, 'host', file))).toEqual([manifests[i]]));
  });

  test('files are in apply order: CRDs, Namespaces, RBAC, config, workloads, webhooks, custom resources', () => {
    const app = testApp();
    quickFleet(app);
    const objects = app.synthesizedObjects('host');
    const order = [
      ApplyPhase.CRDS, ApplyPhase.NAMESPACES, ApplyPhase.RBAC, ApplyPhase.CONFIG,
      ApplyPhase.WORKLOADS, ApplyPhase.WEBHOOKS, ApplyPhase.CUSTOM_RESOURCES,
    ];
    const ranks = objects.map(o => order.indexOf(o.phase));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    const kindsByPhase = (phase: ApplyPhase) =>
      [...new Set(objects.filter(o => o.phase === phase).map(o => o.manifest.kind))].sort();
    expect(kindsByPhase(ApplyPhase.CRDS)).toEqual(['CustomResourceDefinition']);
    expect(kindsByPhase(ApplyPhase.NAMESPACES)).toEqual(['Namespace']);
    expect(kindsByPhase(ApplyPhase.RBAC)).toEqual(['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);
    expect(kindsByPhase(ApplyPhase.CONFIG)).toEqual(['Secret', 'ServiceAccount']);
    expect(kindsByPhase(ApplyPhase.WORKLOADS)).toEqual(['Deployment', 'Service']);
    expect(kindsByPhase(ApplyPhase.WEBHOOKS)).toEqual(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);
    expect(kindsByPhase(ApplyPhase.CUSTOM_RESOURCES)).toEqual(['Cluster', 'ClusterConfiguration', 'FederatedTypeConfig', 'KubeFedConfig']);
    objects.forEach((o, i) => expect(o.file.startsWith(String(i).padStart(4, '0') + '-')).toBe(true));
    // each FTC comes after its Federated CRD
    const position = (kind: string, name: string) => objects.findIndex(o => o.manifest.kind === kind && o.manifest.metadata.name === name);
    expect(position('CustomResourceDefinition', 'federateddeployments.types.kubefed.io')).toBeLessThan(position('FederatedTypeConfig', 'deployments.apps'));
  });

  test('federation.json describes clusters, roles, connections, contexts, phases and placeholders (snapshot)', () => {
    const app = testApp();
    quickFleet(app);
    app.synth();
    const manifest = JSON.parse(fs.readFileSync(path.join(app.outdir, FederationApp.MANIFEST_FILE), 'utf8'));
    expect(manifest).toEqual(app.federationManifest());
    expect(manifest).toMatchSnapshot();
    expect(manifest.host).toBe('host');
    expect(manifest.clusters.map((c: any) => [c.name, c.role, c.connection, c.context, c.dependsOn])).toEqual([
      ['host', 'host', undefined, 'host', []],
      ['edge-1', 'member', 'direct', 'edge-1', ['host']],
      ['branch-7', 'member', 'proxy', 'branch-7', ['host']],
    ]);
    const edge = manifest.clusters[1];
    expect(edge.objects).toEqual([{
      file: '0000-clusterconfiguration-kubesphere-system-ks-installer.yaml',
      phase: 'custom-resources',
      apiVersion: 'installer.kubesphere.io/v1alpha1',
      kind: 'ClusterConfiguration',
      namespace: 'kubesphere-system',
      name: 'ks-installer',
      constructPath: 'edge-1/ClusterConfiguration',
    }]);
    // every placeholder occurrence points at a real file and JSON pointer holding the token
    for (const p of manifest.placeholders) {
      expect(p.occurrences.length).toBeGreaterThan(0);
      for (const o of p.occurrences) {
        const [object] = loadYaml(path.join(app.outdir, o.file));
        const value = o.pointer.split('/').slice(1).reduce((v: any, k: string) => v[k.replace(/~1/g, '/').replace(/~0/g, '~')], object);
        expect(value).toContain(`{{ksfed:${p.id}}}`);
      }
    }
  });

  test('federation.json lists, per cluster, the namespaces a multi-cluster project\'s FederatedNamespace places there (prune keeps them)', () => {
    const app = testApp();
    const host = quickFleet(app);
    const team = new Workspace(host, 'team', { name: 'team', placement: Placement.members() });
    const [edge, branch] = ['edge-1', 'branch-7'].map(n => app.node.findChild(n) as Member);
    team.addProject('web', { placement: Placement.members() });
    team.addProject('shared', { placement: Placement.clusters(branch, edge) });
    team.addProject('edge-only', { placement: Placement.clusters(edge) });
    const manifest = app.federationManifest();
    expect(manifest.clusters.map((c: any) => [c.name, c.federatedNamespaces])).toEqual([
      ['host', undefined],
      ['edge-1', ['shared', 'web']],
      ['branch-7', ['shared', 'web']],
    ]);
    // (a single-cluster project is a plain Namespace in its member's folder instead)
    expect(app.manifests('edge-1').filter(o => o.kind === 'Namespace').map(o => o.metadata.name)).toEqual(['edge-only']);
  });

  test('deterministic: two synths of the same program are byte-identical', () => {
    const a = testApp();
    quickFleet(a);
    a.synth();
    const b = testApp();
    quickFleet(b);
    b.synth();
    const filesA = listTree(a.outdir);
    expect(filesA).toEqual(listTree(b.outdir));
    for (const f of filesA) expect(fs.readFileSync(path.join(a.outdir, f))).toEqual(fs.readFileSync(path.join(b.outdir, f)));
  });

  test('deterministic in every language: the output does not depend on the key order of props, maps and override values', () => {
    // Python, Java and Go hand structs over in their own field order and maps in theirs (a Java Map.of or a Go map
    // has no fixed order at all): the same program must write the same bytes whatever order its keys arrive in.
    const synthWith = (order: <T>(value: T) => T, engine: GitOpsEngine) => {
      const app = testApp();
      richFleet(app, order, engine);
      app.synth();
      return Object.fromEntries(listTree(app.outdir).map(f => [f, fs.readFileSync(path.join(app.outdir, f), 'utf8')]));
    };
    for (const engine of [GitOpsEngine.argoCd({ syncPolicy: { prune: true, selfHeal: true, retryLimit: 3 } }), GitOpsEngine.flux({ kubeConfigSecrets: { 'edge-1': 'edge-kc', 'branch-7': 'branch-kc' } })]) {
      const asWritten = synthWith(value => value, engine);
      const reversed = synthWith(reverseKeys, engine);
      expect(Object.keys(reversed)).toEqual(Object.keys(asWritten));
      expect(Object.keys(asWritten).filter(file => reversed[file] !== asWritten[file])).toEqual([]);
    }
  });

  test('synthesizing again removes the folder of a cluster that is gone, and leaves unrelated files', () => {
    const outdir = testApp().outdir;
    const first = new FederationApp({ outdir });
    quickFleet(first);
    first.synth();
    fs.writeFileSync(path.join(outdir, 'README.md'), 'mine');
    const second = new FederationApp({ outdir });
    new Host(second, 'host', { name: 'host' });
    second.synth();
    expect(fs.readdirSync(outdir).sort()).toEqual(['README.md', 'federation.json', 'host']);
  });

  test('no credential reaches dist/ by default, even with realistic credentials around', () => {
    const secrets = {
      KS_JWT_SECRET: 'jwt-Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA',
      B_TOKEN: '4f3c2a1b0e9d8c7b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa',
      EDGE_KUBECONFIG: 'apiVersion: v1\nclusters:\n- cluster: {server: https://10.1.2.3:6443, certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t}\n  name: edge\nusers:\n- name: admin\n  user: {token: eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3QifQ.secret-part}\n',
    };
    const saved = { ...process.env };
    Object.assign(process.env, secrets);
    try {
      const app = testApp();
      const host = new Host(app, 'host', { name: 'host', jwtSecret: JwtSecret.fromEnv('KS_JWT_SECRET') });
      new Member(app, 'edge', { host, name: 'edge', connection: Connection.direct({ kubeconfig: Kubeconfig.fromEnv('EDGE_KUBECONFIG') }) });
      new Member(app, 'b', { host, name: 'b', connection: Connection.agent({ token: AgentToken.fromEnv('B_TOKEN') }) });
      new Member(app, 'f', { host, name: 'f', connection: Connection.direct({ kubeconfig: Kubeconfig.fromFile('/etc/kube/f.yaml') }) });
      app.synth();
      const all = listTree(app.outdir).map(f => fs.readFileSync(path.join(app.outdir, f), 'utf8')).join('\n');
      expect(all).not.toContain(secrets.KS_JWT_SECRET);
      expect(all).not.toContain(secrets.B_TOKEN);
      expect(all).not.toContain('eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3QifQ');
      expect(all).not.toContain(Buffer.from(secrets.EDGE_KUBECONFIG).toString('base64').slice(0, 40));
      expect(all).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY/);
      // ...and the places where they belong hold placeholders
      expect(all).toContain('{{ksfed:jwt-secret}}');
      expect(all).toContain('{{ksfed:agent-token/b}}');
      expect(all).toContain('{{ksfed:kubeconfig/edge}}');
      expect(all).toContain('{{ksfed:kubefed-webhook/tls.key}}');
    } finally {
      process.env = saved;
    }
  });

  test('synth prints the warnings to stderr, one line each, unless printWarnings is false', () => {
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const app = testApp(true);
      quickFleet(app);
      expect(app.warnings()).toHaveLength(1);
      app.synth();
      expect(write.mock.calls.map(c => c[0])).toEqual([`Warning: ${app.warnings()[0]}\n`]);
      write.mockClear();
      const quiet = new FederationApp({ outdir: testApp().outdir, printWarnings: false });
      quickFleet(quiet);
      quiet.synth();
      expect(quiet.warnings()).toHaveLength(1);
      expect(write).not.toHaveBeenCalled();
    } finally {
      write.mockRestore();
    }
  });

  describe('cdk8s AppProps', () => {
    const outdir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ksfed-test-'));

    test('outputFileExtension names the object files, and federation.json lists them so', () => {
      const app = new FederationApp({ outdir: outdir(), printWarnings: false, outputFileExtension: '.k8s.yaml' });
      quickFleet(app);
      app.synth();
      expect(app.outputFileExtension).toBe('.k8s.yaml');
      expect(fs.readdirSync(path.join(app.outdir, 'edge-1'))).toEqual(['0000-clusterconfiguration-kubesphere-system-ks-installer.k8s.yaml']);
      const manifest = JSON.parse(fs.readFileSync(path.join(app.outdir, FederationApp.MANIFEST_FILE), 'utf8'));
      for (const cluster of manifest.clusters) {
        expect(cluster.objects.length).toBeGreaterThan(0);
        expect(fs.readdirSync(path.join(app.outdir, cluster.folder)).sort()).toEqual(cluster.objects.map((o: any) => o.file).sort());
        expect(cluster.objects.every((o: any) => o.file.endsWith('.k8s.yaml'))).toBe(true);
      }
    });

    test('without outputFileExtension the files end in .yaml (not cdk8s\'s .k8s.yaml)', () => {
      const app = testApp();
      expect(app.outputFileExtension).toBe('.yaml');
    });

    test.each(['.json', 'yaml', '.k8s.YAML', '.a/b.yaml'])('outputFileExtension %j is refused', extension => {
      expect(() => new FederationApp({ outdir: outdir(), outputFileExtension: extension })).toThrow(
        new RegExp(`^\\[FederationApp\\] outputFileExtension ${JSON.stringify(extension).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: the object files hold YAML.*Fix: use an extension that starts with "\\." and ends in "\\.yaml" or "\\.yml"`));
    });

    test.each(['FILE_PER_APP', 'FILE_PER_CHART', 'FILE_PER_RESOURCE'] as const)('yamlOutputType %s is refused', layout => {
      expect(() => new FederationApp({ outdir: outdir(), yamlOutputType: YamlOutputType[layout] })).toThrow(
        new RegExp(`^\\[FederationApp\\] yamlOutputType "YamlOutputType\\.${layout}": a FederationApp always writes one folder per cluster with one file per object.*Fix: remove yamlOutputType`));
    });

    test('yamlOutputType FOLDER_PER_CHART_FILE_PER_RESOURCE, the layout it writes, is accepted', () => {
      const app = new FederationApp({ outdir: outdir(), printWarnings: false, yamlOutputType: YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE });
      quickFleet(app);
      app.synth();
      expect(fs.readdirSync(app.outdir).sort()).toEqual(['branch-7', 'edge-1', 'federation.json', 'host']);
    });
  });

  describe('validation', () => {
    test('no host', () => {
      const app = testApp();
      expect(() => app.synth()).toThrow(/\[FederationApp\] the federation has no Host. Fix: add `new Host\(app, 'host', \{ name: 'host' \}\)`/);
    });

    test('an unknown cluster name', () => {
      const app = testApp();
      quickFleet(app);
      expect(() => app.manifests('nope')).toThrow(/no cluster named "nope" in this federation. Known clusters: host, edge-1, branch-7/);
    });

    test('validations of all constructs are reported together, with construct paths', () => {
      const app = testApp();
      const host = quickFleet(app);
      host.node.addValidation({ validate: () => ['first problem'] });
      app.node.findChild('edge-1').node.addValidation({ validate: () => ['second problem'] });
      expect(() => app.synth()).toThrow(/Validation failed with the following errors:\n {2}\[host\] first problem\n {2}\[edge-1\] second problem/);
    });

    test('an object emitted twice into one cluster', () => {
      const app = testApp();
      const host = quickFleet(app);
      new ApiObject(host, 'again', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'tower', namespace: 'kubesphere-system' } });
      expect(() => app.manifests('host')).toThrow(/\[host\/again\] ServiceAccount "kubesphere-system\/tower" is emitted twice into cluster "host" \(also by host\/Tower\/ServiceAccount\)/);
    });

    describe('a hand-written placeholder is refused, known ids included: ksfed would fill it with a credential', () => {
      const cm = (scope: any, id: string, extra: any) => new ApiObject(scope, id, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' }, ...extra });
      test.each<[string, (app: FederationApp, host: Host) => void, RegExp]>([
        ['the JWT secret in a ConfigMap value', (_app, host) => cm(host, 'cm', { data: { a: 'secret={{ksfed:jwt-secret}}' } }),
          /^\[host\/cm\] \/data\/a "secret=\{\{ksfed:jwt-secret\}\}": ConfigMap "default\/x" in cluster "host" holds the placeholder \{\{ksfed:jwt-secret\}\} \(a credential: KubeSphere's JWT secret.*\), which this library did not write there; ksfed apply would fill it in. Fix: remove the "\{\{ksfed:...\}\}" string/],
        ['another cluster\'s agent token in an annotation on a member', app => cm(app.node.findChild('edge-1'), 'cm', { metadata: { name: 'x', namespace: 'default', annotations: { note: '{{ksfed:agent-token/branch-7}}' } } }),
          /^\[edge-1\/cm\] \/metadata\/annotations\/note "\{\{ksfed:agent-token\/branch-7\}\}": ConfigMap "default\/x" in cluster "edge-1" holds the placeholder \{\{ksfed:agent-token\/branch-7\}\} \(a credential: Token the agent of branch-7/],
        ['a kubeconfig in a label of the host\'s object', (_app, host) => cm(host, 'cm', { metadata: { name: 'x', namespace: 'default', labels: { k: '{{ksfed:kubeconfig/edge-1}}' } } }),
          /^\[host\/cm\] \/metadata\/labels\/k "\{\{ksfed:kubeconfig\/edge-1\}\}": .* holds the placeholder \{\{ksfed:kubeconfig\/edge-1\}\}/],
        ['the webhook key on a member, whose chart never gets it', app => cm(app.node.findChild('branch-7'), 'cm', { data: { key: '{{ksfed:kubefed-webhook/tls.key}}' } }),
          /^\[branch-7\/cm\] \/data\/key .* in cluster "branch-7" holds the placeholder \{\{ksfed:kubefed-webhook\/tls.key\}\}/],
        ['an unknown id', (_app, host) => cm(host, 'cm', { data: { a: '{{ksfed:made-up}}' } }),
          /^\[host\/cm\] \/data\/a "\{\{ksfed:made-up\}\}": ConfigMap "default\/x" in cluster "host" holds the placeholder \{\{ksfed:made-up\}\} \(an id this federation does not declare\)/],
        ['the JWT secret added to a library object with addJsonPatch', app => (app.node.findChild('edge-1') as Member).clusterConfiguration.addJsonPatch(JsonPatch.add('/metadata/annotations', { copy: '{{ksfed:jwt-secret}}' })),
          /^\[edge-1\/ClusterConfiguration\] \/metadata\/annotations\/copy "\{\{ksfed:jwt-secret\}\}": ClusterConfiguration "kubesphere-system\/ks-installer" in cluster "edge-1"/],
        ['a token moved inside the object the library put it in', (_app, host) => host.clusterObject.addJsonPatch(JsonPatch.add('/spec/connection/kubeconfig', '{{ksfed:proxy-address}}')),
          /^\[host\/Cluster\] \/spec\/connection\/kubeconfig "\{\{ksfed:proxy-address\}\}": Cluster "host" in cluster "host" holds the placeholder \{\{ksfed:proxy-address\}\}/],
      ])('%s', (_name, add, message) => {
        const app = testApp();
        const host = quickFleet(app);
        add(app, host);
        expect(() => app.synth()).toThrow(message);
        expect(() => app.federationManifest()).toThrow(message);
      });

      test('in a FederatedApp template, federated and rendered mode (the copies are refused too)', () => {
        for (const mode of [FederationMode.FEDERATED, FederationMode.RENDERED]) {
          const app = testApp();
          const host = quickFleet(app);
          const project = new Workspace(host, 'shop', { name: 'shop', placement: Placement.members() }).addProject('shop-prod');
          const web = new FederatedApp(project, 'web', { mode });
          cm(web.template, 'cm', { metadata: { name: 'settings' }, data: { token: '{{ksfed:agent-token/branch-7}}' } });
          const where = mode === FederationMode.FEDERATED ? /^\[host\/shop\/Project-shop-prod\/web\/FederatedConfigMap-settings\] \/spec\/template\/data\/token/ : /^\[edge-1\/Rendered-shop-shop-prod-web-ConfigMap-settings\] \/data\/token/;
          expect(() => app.synth()).toThrow(where);
          expect(() => app.synth()).toThrow(/holds the placeholder \{\{ksfed:agent-token\/branch-7\}\}/);
        }
      });
    });
  });
});
