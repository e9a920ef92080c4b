import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, Chart } from 'cdk8s';
import { synth, tmpdir } from './fixtures';
import { quickstart } from '../../examples/quickstart/main';
import { UsageError } from '../../src/applier/errors';
import { describeObject, groupOf, loadFederation, loadObjects, loadObjectsInSlices, readFederationIndex } from '../../src/applier/federation';

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
    expect(loadError(d)).toMatch(/not a plain folder name/);
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
