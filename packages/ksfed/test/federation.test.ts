import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, Chart } from 'cdk8s';
import { FederationApp } from 'cdk8s-kubesphere-federation';
import { synth, tmpdir } from './fixtures';
import { gitopsArgoCd } from '../../../examples/gitops-argocd/main';
import { gitopsFlux } from '../../../examples/gitops-flux/main';
import { multiRegionShop } from '../../../examples/multi-region-shop/main';
import { quickstart } from '../../../examples/quickstart/main';
import { UsageError } from '../src/errors';
import { describeObject, groupOf, loadFederation, loadObjects, loadObjectsInSlices, readFederationIndex } from '../src/federation';

const dist = synth();

/** A copy of the quickstart output to break. */
function copy(): string {
  const to = tmpdir('ksfed-broken-');
  fs.cpSync(dist, to, { recursive: true });
  return to;
}

function loadError(dir: string): string {
  try {
    loadFederation(dir);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('loadFederation', () => {
  test('reads the quickstart: clusters, objects in file order, placeholders', () => {
    // WHEN
    const fed = loadFederation(dist);
    // THEN
    expect(fed.host).toBe('host');
    expect(fed.clusters.map(c => c.name)).toEqual(['host', 'edge-1', 'branch-7']);
    const host = fed.clusters[0];
    expect(host.objects).toHaveLength(95);
    expect(host.objects[0]).toMatchObject({ kind: 'CustomResourceDefinition', phase: 'crds', waitFor: 'established', constructPath: 'host/KubeFed/Crd-kubefedclusters.core.kubefed.io' });
    expect(fed.clusters[2].dependsOn).toEqual(['host']);
    const agent = fed.clusters[2].objects.find(o => o.kind === 'Deployment')!;
    expect(agent.placeholders).toEqual(['proxy-address']);
    expect(fed.placeholders.map(p => p.id)).toContain('jwt-secret');
  });

  test('reads object files of the extension the app was given (outputFileExtension ".yml")', () => {
    const out = tmpdir();
    const app = new FederationApp({ outdir: out, printWarnings: false, outputFileExtension: '.yml' });
    quickstart(app);
    app.synth();
    const edge = loadFederation(out).clusters.find(c => c.name === 'edge-1')!;
    expect(edge.objects.map(o => [o.file, o.kind])).toEqual([['0000-clusterconfiguration-kubesphere-system-ks-installer.yml', 'ClusterConfiguration']]);
  });

  test('reads the namespaces KubeFed places on each cluster (none when federation.json lists none)', () => {
    const shop = loadFederation(synth(multiRegionShop));
    expect(shop.clusters.map(c => [c.name, c.federatedNamespaces])).toEqual([['host', []], ['eu-west-1', ['shop-prod']], ['eu-west-2', ['shop-prod']], ['ap-south-1', ['shop-prod']]]);
    expect(loadFederation(dist).clusters.map(c => c.federatedNamespaces)).toEqual([[], [], []]);
  });

  test('manifests are plain JSON in the API spelling, every field kept', () => {
    const crd = loadFederation(dist).clusters[0].objects.find(o => o.name === 'federateddeployments.types.kubefed.io')!;
    expect(crd.manifest.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.template['x-kubernetes-preserve-unknown-fields']).toBe(true);
    expect(Object.getPrototypeOf(crd.manifest)).toBe(Object.prototype);
  });

  test('a missing folder', () => {
    expect(loadError(path.join(dist, 'nope'))).toMatch(/no such folder/);
  });

  test('a folder without federation.json', () => {
    expect(loadError(path.join(dist, 'host'))).toMatch(/federation.json: not found/);
  });

  test('malformed federation.json', () => {
    const d = copy();
    fs.writeFileSync(path.join(d, 'federation.json'), '{ not json');
    expect(loadError(d)).toMatch(/not valid JSON/);
    fs.writeFileSync(path.join(d, 'federation.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List' }));
    expect(loadError(d)).toMatch(/expected apiVersion "ksfed.kubesphere-federation\/v1"/);
  });

  test('a missing cluster folder or file', () => {
    const d = copy();
    fs.rmSync(path.join(d, 'edge-1'), { recursive: true });
    expect(loadError(d)).toMatch(/edge-1: folder of cluster "edge-1" is missing/);
    const e = copy();
    fs.rmSync(path.join(e, 'branch-7', '0000-secret-kubesphere-system-cluster-agent-token.yaml'));
    expect(loadError(e)).toMatch(/0000-secret-kubesphere-system-cluster-agent-token.yaml: listed in federation.json but missing/);
  });

  test('a file that is not a Kubernetes object', () => {
    const d = copy();
    const file = path.join(d, 'edge-1', '0000-clusterconfiguration-kubesphere-system-ks-installer.yaml');
    fs.writeFileSync(file, 'just: a map\n');
    expect(loadError(d)).toMatch(/not a Kubernetes object/);
    fs.writeFileSync(file, 'a: [1, 2\n');
    expect(loadError(d)).toMatch(/not valid YAML/);
    fs.writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n');
    expect(loadError(d)).toMatch(/holds 2 YAML documents/);
  });

  test('a file that holds another object than federation.json says', () => {
    const d = copy();
    fs.writeFileSync(path.join(d, 'edge-1', '0000-clusterconfiguration-kubesphere-system-ks-installer.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other, namespace: default}\n');
    expect(loadError(d)).toMatch(/says it holds installer.kubesphere.io\/v1alpha1 ClusterConfiguration kubesphere-system\/ks-installer, but it holds v1 ConfigMap default\/other/);
  });

  test('an undeclared placeholder', () => {
    const d = copy();
    const file = path.join(d, 'edge-1', '0000-clusterconfiguration-kubesphere-system-ks-installer.yaml');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('{{ksfed:jwt-secret}}', '{{ksfed:made-up}}'));
    expect(loadError(d)).toBe(`${file}: cluster "edge-1", /spec/authentication/jwtSecret: holds placeholder {{ksfed:made-up}}, which federation.json does not declare. Fix: synthesize again; never edit dist/ or write "{{ksfed:...}}" by hand`);
  });

  test('a placeholder federation.json declares but does not list for that file', () => {
    // GIVEN the host's jwt-secret written into a member file whose occurrence federation.json does not record
    const d = copy();
    const file = path.join(d, 'edge-1', '0000-clusterconfiguration-kubesphere-system-ks-installer.yaml');
    const manifest = JSON.parse(fs.readFileSync(path.join(d, 'federation.json'), 'utf8'));
    const jwt = manifest.placeholders.find((p: any) => p.id === 'jwt-secret');
    jwt.occurrences = jwt.occurrences.filter((o: any) => o.cluster !== 'edge-1');
    fs.writeFileSync(path.join(d, 'federation.json'), JSON.stringify(manifest));
    // THEN (which clusters a run contacts is worked out from those lists, so they must be right)
    expect(loadError(d)).toBe(`${file}: cluster "edge-1", /spec/authentication/jwtSecret: holds placeholder {{ksfed:jwt-secret}}, which federation.json does not list there (ksfed fills a placeholder only where the library wrote it). Fix: synthesize again; never edit dist/ or write "{{ksfed:...}}" by hand`);
  });

  describe('a placeholder anywhere federation.json does not list it (cluster, file and pointer) is refused', () => {
    // GIVEN a program with a ConfigMap of its own on edge-1, synthesized, then edited by hand
    const withSettings = synth(app => {
      quickstart(app);
      new ApiObject(app.node.findChild('edge-1') as Chart, 'settings', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'default' }, data: { note: 'hello' } });
    });
    const edit = (change: (d: string, manifest: any) => string): { dir: string; file: string } => {
      const d = tmpdir('ksfed-edited-');
      fs.cpSync(withSettings, d, { recursive: true });
      const manifest = JSON.parse(fs.readFileSync(path.join(d, 'federation.json'), 'utf8'));
      const file = change(d, manifest);
      fs.writeFileSync(path.join(d, 'federation.json'), JSON.stringify(manifest));
      return { dir: d, file };
    };
    const settingsFile = (d: string, manifest: any) => path.join(d, 'edge-1', manifest.clusters[1].objects.find((o: any) => o.kind === 'ConfigMap').file);
    const replace = (file: string, from: string, to: string) => fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(from, to));

    test.each<[string, (d: string, manifest: any) => string, string]>([
      ['the JWT secret copied into a ConfigMap', (d, m) => {
        const file = settingsFile(d, m);
        replace(file, 'note: hello', 'note: "{{ksfed:jwt-secret}}"');
        return file;
      }, 'cluster "edge-1", /data/note: holds placeholder {{ksfed:jwt-secret}}, which federation.json does not list there'],
      ['another cluster\'s agent token copied into a ConfigMap', (d, m) => {
        const file = settingsFile(d, m);
        replace(file, 'note: hello', 'note: "token {{ksfed:agent-token/branch-7}}"');
        return file;
      }, 'cluster "edge-1", /data/note: holds placeholder {{ksfed:agent-token/branch-7}}, which federation.json does not list there'],
      ['the JWT secret copied within a file that holds it (another pointer)', (d, m) => {
        const file = path.join(d, 'edge-1', m.clusters[1].objects.find((o: any) => o.kind === 'ClusterConfiguration').file);
        replace(file, 'metadata:\n', 'metadata:\n  annotations:\n    copy: "{{ksfed:jwt-secret}}"\n');
        return file;
      }, 'cluster "edge-1", /metadata/annotations/copy: holds placeholder {{ksfed:jwt-secret}}, which federation.json does not list there'],
      ['federation.json lists the file, at another pointer', (d, m) => {
        const file = settingsFile(d, m);
        replace(file, 'note: hello', 'note: "{{ksfed:jwt-secret}}"');
        m.placeholders.find((p: any) => p.id === 'jwt-secret').occurrences.push({ cluster: 'edge-1', file: `edge-1/${path.basename(file)}`, pointer: '/data/other' });
        return file;
      }, 'cluster "edge-1", /data/note: holds placeholder {{ksfed:jwt-secret}}, which federation.json does not list there'],
      ['federation.json lists the pointer, for another cluster', (d, m) => {
        const file = settingsFile(d, m);
        replace(file, 'note: hello', 'note: "{{ksfed:jwt-secret}}"');
        m.placeholders.find((p: any) => p.id === 'jwt-secret').occurrences.push({ cluster: 'branch-7', file: `edge-1/${path.basename(file)}`, pointer: '/data/note' });
        return file;
      }, 'cluster "edge-1", /data/note: holds placeholder {{ksfed:jwt-secret}}, which federation.json does not list there'],
    ])('%s', (_name, change, message) => {
      const { dir, file } = edit(change);
      expect(loadError(dir)).toBe(`${file}: ${message} (ksfed fills a placeholder only where the library wrote it). Fix: synthesize again; never edit dist/ or write "{{ksfed:...}}" by hand`);
    });

    test('where federation.json lists it, it loads', () => {
      const { dir } = edit((d, m) => {
        const file = settingsFile(d, m);
        replace(file, 'note: hello', 'note: "{{ksfed:jwt-secret}}"');
        m.placeholders.find((p: any) => p.id === 'jwt-secret').occurrences.push({ cluster: 'edge-1', file: `edge-1/${path.basename(file)}`, pointer: '/data/note' });
        return file;
      });
      expect(loadFederation(dir).clusters[1].objects.find(o => o.kind === 'ConfigMap')!.placeholders).toEqual(['jwt-secret']);
    });
  });

  test('a folder name that escapes dist', () => {
    const d = copy();
    const manifest = JSON.parse(fs.readFileSync(path.join(d, 'federation.json'), 'utf8'));
    manifest.clusters[1].folder = '../etc';
    fs.writeFileSync(path.join(d, 'federation.json'), JSON.stringify(manifest));
    expect(loadError(d)).toMatch(/clusters\[1\]\.folder \(cluster "edge-1"\) is "\.\.\/etc"; expected a plain folder name/);
  });
});

/** A copy of the quickstart output whose federation.json `edit` changed. */
function edited(edit: (manifest: any) => void): string {
  const d = copy();
  const file = path.join(d, 'federation.json');
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(manifest);
  fs.writeFileSync(file, JSON.stringify(manifest));
  return d;
}

const FIX = /\. Fix: synthesize again \(federation\.json is written by FederationApp\.synth\(\); do not edit it by hand\)$/;
const cluster = (m: any, name: string) => m.clusters.find((c: any) => c.name === name);
const placeholder = (m: any, id: string) => m.placeholders.find((p: any) => p.id === id);

describe('federation.json is checked field by field', () => {
  test.each<[string, (m: any) => void, RegExp]>([
    ['an unknown apiVersion', m => m.apiVersion = 'ksfed.kubesphere-federation/v2', /expected apiVersion "ksfed.kubesphere-federation\/v1" and kind "Federation", got "ksfed.kubesphere-federation\/v2"/],
    ['phases that are not a list', m => m.phases = 'crds', /: phases is "crds"; expected a list of strings/],
    ['no clusters', m => m.clusters = [], /: clusters is \[\]; expected a non-empty list of clusters/],
    ['a role that is neither host nor member (the host)', m => m.clusters[0].role = 'hostx', /: clusters\[0\]\.role \(cluster "host"\) is "hostx"; expected "host" or "member"/],
    ['a role that is neither host nor member (a member)', m => m.clusters[1].role = 'Member', /: clusters\[1\]\.role \(cluster "edge-1"\) is "Member"; expected "host" or "member"/],
    ['a missing role', m => delete m.clusters[2].role, /: clusters\[2\]\.role \(cluster "branch-7"\) is missing; expected "host" or "member"/],
    ['host naming a member', m => m.host = 'edge-1', /: host is "edge-1"; expected the cluster whose role is "host" \(host\)/],
    ['host naming no cluster', m => m.host = 'hub', /: host is "hub"; expected the name of the host cluster, one of: host, edge-1, branch-7/],
    ['host missing', m => delete m.host, /: host is missing; expected the name of the host cluster/],
    ['a second host', m => m.clusters[1].role = 'host', /: clusters\[1\]\.role \(cluster "edge-1"\) is "host"; expected "member": a federation has one host, "host"/],
    ['a member of another host', m => m.clusters[1].host = 'other', /: clusters\[1\]\.host \(cluster "edge-1"\) is "other"; expected the federation's host "host"/],
    ['a duplicated cluster name', m => m.clusters[2].name = 'edge-1', /: clusters\[2\]\.name is "edge-1"; expected a name no other cluster has \(it is listed twice\)/],
    ['a cluster name that is not a DNS-1123 label', m => m.clusters[1].name = 'Edge_1', /: clusters\[1\]\.name is "Edge_1"; expected a cluster name \(a DNS-1123 label\)/],
    ['two clusters in one folder', m => m.clusters[2].folder = 'edge-1', /: clusters\[2\]\.folder \(cluster "branch-7"\) is "edge-1"; expected a folder no other cluster has/],
    ['a context that is not a string', m => m.clusters[1].context = 42, /: clusters\[1\]\.context \(cluster "edge-1"\) is 42; expected a kubeconfig context name/],
    ['an unknown connection', m => m.clusters[2].connection = 'agent', /: clusters\[2\]\.connection \(cluster "branch-7"\) is "agent"; expected "direct" or "proxy"/],
    ['labels that are not strings', m => m.clusters[1].labels = { tier: 1 }, /: clusters\[1\]\.labels \(cluster "edge-1"\) is \{"tier":1\}; expected an object of string values/],
    ['dependsOn that is not a list', m => m.clusters[1].dependsOn = 'host', /: clusters\[1\]\.dependsOn \(cluster "edge-1"\) is "host"; expected a list of strings/],
    ['dependsOn naming an unknown cluster', m => m.clusters[1].dependsOn = ['hub'], /: clusters\[1\]\.dependsOn\[0\] \(cluster "edge-1"\) is "hub"; expected a cluster of the federation \(host, edge-1, branch-7\)/],
    ['dependsOn naming the cluster itself', m => m.clusters[1].dependsOn = ['host', 'edge-1'], /: clusters\[1\]\.dependsOn\[1\] \(cluster "edge-1"\) is "edge-1"; expected another cluster \(a cluster cannot depend on itself\)/],
    ['dependsOn in a cycle', m => m.clusters[0].dependsOn = ['branch-7'], /: the clusters' dependsOn form a cycle \(host -> branch-7 -> host\); no run could start/],
    ['objects missing', m => delete m.clusters[1].objects, /: clusters\[1\]\.objects \(cluster "edge-1"\) is missing; expected a list of objects/],
    ['an object in an unknown phase', m => m.clusters[0].objects[0].phase = 'crd', /: clusters\[0\]\.objects\[0\]\.phase \(cluster "host"\) is "crd"; expected one of the federation's phases \(crds, namespaces, rbac, config, workloads, webhooks, custom-resources\)/],
    ['a cluster phase that is not one of the federation\'s', m => m.clusters[1].phases = ['later'], /: clusters\[1\]\.phases \(cluster "edge-1"\) is "later"; expected one of the federation's phases/],
    ['federatedNamespaces that are not namespace names', m => m.clusters[1].federatedNamespaces = ['Shop Prod'], /: clusters\[1\]\.federatedNamespaces \(cluster "edge-1"\) is "Shop Prod"; expected a namespace name \(a DNS-1123 label\)/],
    ['an unknown wait', m => m.clusters[0].objects[0].waitFor = 'ready', /: clusters\[0\]\.objects\[0\]\.waitFor \(cluster "host"\) is "ready"; expected "established" or "rollout"/],
    ['an object without a kind', m => delete m.clusters[1].objects[0].kind, /: clusters\[1\]\.objects\[0\]\.kind \(cluster "edge-1"\) is missing; expected a non-empty string/],
    ['a file listed twice', m => m.clusters[2].objects[1].file = m.clusters[2].objects[0].file, /: clusters\[2\]\.objects\[1\]\.file \(cluster "branch-7"\) is "0000-secret-kubesphere-system-cluster-agent-token.yaml"; expected a file no other object of the cluster has/],
    ['a file name with a folder', m => m.clusters[1].objects[0].file = '../host/0000-x.yaml', /: clusters\[1\]\.objects\[0\]\.file \(cluster "edge-1"\) is "\.\.\/host\/0000-x.yaml"; expected a plain file name/],
    ['placeholders that are not a list', m => m.placeholders = {}, /: placeholders is \{\}; expected a list of placeholders/],
    ['a duplicated placeholder id', m => m.placeholders.push({ ...m.placeholders[0] }), /: placeholders\[\d+\]\.id is "agent-token\/branch-7"; expected an id no other placeholder has/],
    ['an unknown encoding', m => placeholder(m, 'jwt-secret').encoding = 'base46', /: placeholders\[\d+\]\.encoding \(placeholder "jwt-secret"\) is "base46"; expected "raw" or "base64"/],
    ['secret that is not a boolean', m => placeholder(m, 'jwt-secret').secret = 'yes', /: placeholders\[\d+\]\.secret \(placeholder "jwt-secret"\) is "yes"; expected true or false/],
    ['an unknown source type', m => placeholder(m, 'jwt-secret').source.type = 'vault', /: placeholders\[\d+\]\.source\.type \(placeholder "jwt-secret"\) is "vault"; expected one of: env, file, context, host-secret, generate, read-object, service-address, webhook-certificate/],
    ['a source without the field its type needs', m => delete placeholder(m, 'jwt-secret').source.key, /: placeholders\[\d+\]\.source\.key \(placeholder "jwt-secret"\) is missing; expected a non-empty string/],
    ['a source on an unknown cluster', m => placeholder(m, 'jwt-secret').source.cluster = 'hub', /: placeholders\[\d+\]\.source\.cluster \(placeholder "jwt-secret"\) is "hub"; expected a cluster of the federation/],
    ['requires naming an unknown cluster', m => placeholder(m, 'jwt-secret').requires = ['hub'], /: placeholders\[\d+\]\.requires\[0\] \(placeholder "jwt-secret"\) is "hub"; expected a cluster of the federation/],
    ['an occurrence on an unknown cluster', m => placeholder(m, 'jwt-secret').occurrences[0].cluster = 'hub', /: placeholders\[\d+\]\.occurrences\[0\]\.cluster \(placeholder "jwt-secret"\) is "hub"; expected a cluster of the federation/],
    ['an occurrence pointer that is not a JSON pointer', m => placeholder(m, 'jwt-secret').occurrences[0].pointer = 'spec.authentication', /: placeholders\[\d+\]\.occurrences\[0\]\.pointer \(placeholder "jwt-secret"\) is "spec.authentication"; expected a JSON pointer/],
  ])('%s is refused with one line naming the field, the value and the fix', (_name, edit, message) => {
    const d = edited(edit);
    expect(() => readFederationIndex(d)).toThrow(UsageError);
    expect(() => readFederationIndex(d)).toThrow(message);
    const text = loadError(d);
    expect(text.split('\n')).toHaveLength(1);
    if (!/apiVersion/.test(message.source)) expect(text).toMatch(FIX);
  });

  test('what synth writes passes, and so do the fields ksfed does not read', () => {
    const d = edited(m => {
      cluster(m, 'host').componentOwner = 'installer';
      m.annotations = { note: 'ignored' };
    });
    expect(() => loadFederation(d)).not.toThrow();
  });
});

describe('a file or folder that federation.json does not list is refused', () => {
  test.each<[string, (d: string) => void, RegExp]>([
    ['an extra YAML in a cluster\'s folder', d => fs.writeFileSync(path.join(d, 'edge-1', 'extra.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: default}\n'),
      /edge-1\/extra\.yaml: a file that federation\.json does not list for cluster "edge-1"; ksfed would not apply it\. Fix: remove it, or add the object to the program and synthesize again$/],
    ['a folder inside a cluster\'s folder', d => fs.mkdirSync(path.join(d, 'host', 'more')),
      /host\/more: a folder that federation\.json does not list for cluster "host"; ksfed would not apply it/],
    ['a README inside a cluster\'s folder', d => fs.writeFileSync(path.join(d, 'branch-7', 'README.md'), 'notes'),
      /branch-7\/README\.md: a file that federation\.json does not list for cluster "branch-7"/],
    ['a YAML file whose name starts with a dot', d => fs.writeFileSync(path.join(d, 'edge-1', '.extra.yaml'), 'a: b\n'),
      /edge-1\/\.extra\.yaml: a file that federation\.json does not list for cluster "edge-1"/],
    ['the folder of a cluster federation.json does not have', d => fs.cpSync(path.join(d, 'edge-1'), path.join(d, 'edge-2'), { recursive: true }),
      /edge-2: a folder of no cluster of federation\.json; ksfed would ignore it\. Fix: remove it \(or add it to the program and synthesize again\)$/],
    ['a stray file at the top', d => fs.writeFileSync(path.join(d, 'namespace.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: extra}\n'),
      /namespace\.yaml: a file that federation\.json does not list; ksfed would ignore it\. Fix: remove it/],
  ])('%s', (_name, add, message) => {
    const d = copy();
    add(d);
    expect(() => readFederationIndex(d)).toThrow(UsageError);
    expect(() => readFederationIndex(d)).toThrow(message);
    expect(() => loadFederation(d)).toThrow(message);
  });

  test('tolerated: dot-files and dot-folders that are not YAML or JSON, and a README next to federation.json', () => {
    const d = copy();
    fs.writeFileSync(path.join(d, '.DS_Store'), '');
    fs.writeFileSync(path.join(d, 'edge-1', '.DS_Store'), '');
    fs.writeFileSync(path.join(d, '.gitignore'), '*.tmp\n');
    fs.mkdirSync(path.join(d, '.git'));
    fs.writeFileSync(path.join(d, 'host', '.gitkeep'), '');
    fs.writeFileSync(path.join(d, 'README.md'), 'generated by cdk8s synth');
    expect(() => loadFederation(d)).not.toThrow();
  });

  test.each<[string, (app: FederationApp) => void]>([
    ['gitops-argocd', gitopsArgoCd], ['gitops-flux', gitopsFlux], ['multi-region-shop', multiRegionShop],
  ])('what synth writes is never refused: the %s example, synthesized twice into one folder', (_name, program) => {
    const out = synth(program);
    synth(program, out);
    expect(fs.readdirSync(out).sort()).toEqual([...loadFederation(out).clusters.map(c => c.folder), 'federation.json'].sort());
  });
});

describe('readFederationIndex and loadObjects', () => {
  test('the index is federation.json alone: clusters, contexts, placeholders and object entries, no file read', () => {
    // GIVEN a copy whose files are all broken
    const d = copy();
    for (const f of fs.readdirSync(path.join(d, 'host'))) fs.writeFileSync(path.join(d, 'host', f), ': not yaml :');
    // WHEN
    const index = readFederationIndex(d);
    // THEN the index reads, and the files fail only when loaded
    expect(index.clusters.map(c => [c.name, c.context, c.entries.length])).toEqual([['host', 'host', 95], ['edge-1', 'edge-1', 1], ['branch-7', 'branch-7', 3]]);
    expect(index.placeholders.map(p => p.id)).toContain('jwt-secret');
    expect(() => loadObjects(index)).toThrow(/not valid YAML/);
  });

  test('loading in slices gives what loading at once gives, and lets timers run in between', async () => {
    // GIVEN a timer due as soon as the event loop turns
    let turns = 0;
    const tick = setInterval(() => turns++, 0);
    try {
      // WHEN
      const sliced = await loadObjectsInSlices(readFederationIndex(dist), 0);
      // THEN
      expect(sliced).toEqual(loadFederation(dist));
      expect(turns).toBeGreaterThan(0);
    } finally {
      clearInterval(tick);
    }
  });

  test('loading in slices rejects with the same UsageError', async () => {
    const d = copy();
    fs.writeFileSync(path.join(d, 'edge-1', '0000-clusterconfiguration-kubesphere-system-ks-installer.yaml'), 'a: [');
    await expect(loadObjectsInSlices(readFederationIndex(d))).rejects.toThrow(UsageError);
    await expect(loadObjectsInSlices(readFederationIndex(d))).rejects.toThrow(/0000-clusterconfiguration-kubesphere-system-ks-installer.yaml: not valid YAML/);
  });
});

test('helpers', () => {
  expect(describeObject({ kind: 'Secret', namespace: 'a', name: 'b' })).toBe('Secret a/b');
  expect(groupOf('v1')).toBe('');
  expect(groupOf('apps/v1')).toBe('apps');
});
