import * as fs from 'fs';
import * as path from 'path';
import { synth, tmpdir } from './fixtures';
import { multiRegionShop } from '../../examples/multi-region-shop/main';
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
    expect(loadError(d)).toMatch(/placeholder \{\{ksfed:made-up\}\}, which federation.json does not declare/);
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
    expect(loadError(d)).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: holds placeholder \\{\\{ksfed:jwt-secret\\}\\}, which federation.json does not list for this file. Fix: synthesize again`));
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
