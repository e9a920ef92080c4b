import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { UsageError } from './errors';
import { readPlainYaml } from './fast-yaml';

/** The name of the file `FederationApp.synth()` writes next to the cluster folders. */
export const MANIFEST_FILE = 'federation.json';
const MANIFEST_API_VERSION = 'ksfed.kubesphere-federation/v1';
const PLACEHOLDER = /\{\{ksfed:([a-z0-9][a-z0-9./_-]*)\}\}/g;

/** One object of a cluster's folder, as federation.json lists it, with its manifest loaded. */
export interface FederationObject {
  readonly cluster: string;
  /** File name inside the cluster's folder. */
  readonly file: string;
  readonly phase: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  /** `established` | `rollout` | undefined. */
  readonly waitFor?: string;
  readonly constructPath: string;
  /** The object as plain JSON in the API's spelling (the wire form), with placeholders still in it. */
  readonly manifest: any;
  /** Ids of the placeholders the manifest holds. */
  readonly placeholders: string[];
}

/** One cluster of the federation. */
export interface FederationCluster {
  readonly name: string;
  readonly role: 'host' | 'member';
  readonly folder: string;
  /** The default kubeconfig context. */
  readonly context: string;
  /** `direct` | `proxy` for members. */
  readonly connection?: string;
  /** Clusters whose apply must finish first (their state fills this cluster's placeholders). */
  readonly dependsOn: string[];
  readonly host?: string;
  readonly labels: { [key: string]: string };
  readonly constructPath: string;
  readonly phases: string[];
  /** Namespaces a project's FederatedNamespace places on this cluster (KubeFed makes them; prune keeps them). */
  readonly federatedNamespaces?: string[];
  readonly objects: FederationObject[];
}

/** Where a placeholder's value comes from (federation.json `placeholders[].source`). */
export interface PlaceholderSourceSpec {
  readonly type: string;
  readonly [key: string]: any;
}

/** One placeholder of federation.json. */
export interface PlaceholderEntry {
  readonly id: string;
  readonly kind: string;
  readonly description: string;
  readonly encoding: 'raw' | 'base64';
  readonly secret: boolean;
  readonly source: PlaceholderSourceSpec;
  readonly requires: string[];
  readonly occurrences: { cluster: string; file: string; pointer: string }[];
}

/** A synthesized federation, loaded and checked. */
export interface Federation {
  /** The dist folder (absolute). */
  readonly dir: string;
  readonly host: string;
  readonly kubesphereVersion?: string;
  readonly phases: string[];
  readonly clusters: FederationCluster[];
  readonly placeholders: PlaceholderEntry[];
}

/** A cluster of federation.json before its files are read: what it lists of each object. */
export interface FederationIndexCluster extends Omit<FederationCluster, 'objects'> {
  /** The object entries of federation.json (file, apiVersion, kind, namespace, name, phase...), unchecked. */
  readonly entries: any[];
}

/** federation.json read and checked, every cluster folder present; the objects' files not read yet. */
export interface FederationIndex extends Omit<Federation, 'clusters'> {
  /** The folder as given (for messages). */
  readonly dist: string;
  readonly clusters: FederationIndexCluster[];
}

/**
 * Reads `<dist>/federation.json` and every file it lists, and checks them. Throws a UsageError with one clear
 * line on bad input: a missing or malformed folder, a file that is not the Kubernetes object federation.json
 * says it is, a placeholder that federation.json does not declare for that file.
 */
export function loadFederation(dist: string): Federation {
  return loadObjects(readFederationIndex(dist));
}

/**
 * Reads and checks `<dist>/federation.json` alone (a fraction of a millisecond): the clusters, their contexts and
 * the placeholders, enough to contact the clusters while `loadObjects` reads and parses the files.
 */
export function readFederationIndex(dist: string): FederationIndex {
  const dir = path.resolve(dist);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new UsageError(`${dist}: no such folder. Fix: synthesize first (cdk8s synth or app.synth()) and pass the output folder`);
  }
  const manifestPath = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(manifestPath)) {
    throw new UsageError(`${path.join(dist, MANIFEST_FILE)}: not found; ${dist} is not the output of a FederationApp. Fix: pass the folder that holds federation.json`);
  }
  let raw: any;
  try {
    raw = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  } catch (e) {
    throw new UsageError(`${path.join(dist, MANIFEST_FILE)}: not valid JSON (${(e as Error).message}). Fix: synthesize again`);
  }
  const where = path.join(dist, MANIFEST_FILE);
  if (!raw || typeof raw !== 'object' || raw.apiVersion !== MANIFEST_API_VERSION || raw.kind !== 'Federation') {
    throw new UsageError(`${where}: expected apiVersion "${MANIFEST_API_VERSION}" and kind "Federation", got ${JSON.stringify(raw?.apiVersion)} / ${JSON.stringify(raw?.kind)}. Fix: synthesize again with this version of cdk8s-kubesphere-federation`);
  }
  if (!Array.isArray(raw.clusters) || raw.clusters.length === 0) {
    throw new UsageError(`${where}: "clusters" is missing or empty`);
  }
  if (typeof raw.host !== 'string' || !raw.clusters.some((c: any) => c?.name === raw.host)) {
    throw new UsageError(`${where}: "host" ${JSON.stringify(raw.host)} is not one of the clusters`);
  }

  const rawPlaceholders: any[] = Array.isArray(raw.placeholders) ? raw.placeholders : [];
  const placeholders = rawPlaceholders.map((p, i) => checkPlaceholder(where, p, i));
  const names = new Set<string>();
  const clusters: FederationIndexCluster[] = raw.clusters.map((c: any, i: number) => {
    const cw = `${where}: clusters[${i}]`;
    for (const key of ['name', 'role', 'folder', 'context']) {
      if (typeof c?.[key] !== 'string' || c[key].length === 0) throw new UsageError(`${cw}: "${key}" is missing`);
    }
    if (names.has(c.name)) throw new UsageError(`${cw}: cluster "${c.name}" is listed twice`);
    names.add(c.name);
    if (c.folder.includes('/') || c.folder.includes('\\') || c.folder.startsWith('.')) {
      throw new UsageError(`${cw}: folder ${JSON.stringify(c.folder)} is not a plain folder name`);
    }
    const folder = path.join(dir, c.folder);
    if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) {
      throw new UsageError(`${path.join(dist, c.folder)}: folder of cluster "${c.name}" is missing. Fix: synthesize again; do not edit the output by hand`);
    }
    if (!Array.isArray(c.objects)) throw new UsageError(`${cw}: "objects" is missing`);
    return {
      name: c.name,
      role: c.role === 'host' ? 'host' : 'member',
      folder: c.folder,
      context: c.context,
      connection: typeof c.connection === 'string' ? c.connection : undefined,
      dependsOn: Array.isArray(c.dependsOn) ? c.dependsOn.filter((d: any) => typeof d === 'string') : [],
      host: typeof c.host === 'string' ? c.host : undefined,
      labels: c.labels && typeof c.labels === 'object' ? c.labels : {},
      constructPath: typeof c.constructPath === 'string' ? c.constructPath : c.name,
      phases: Array.isArray(c.phases) ? c.phases : [],
      federatedNamespaces: Array.isArray(c.federatedNamespaces) ? c.federatedNamespaces.filter((n: any) => typeof n === 'string') : [],
      entries: c.objects,
    } as FederationIndexCluster;
  });
  for (const c of clusters) {
    for (const d of c.dependsOn) {
      if (!names.has(d)) throw new UsageError(`${where}: cluster "${c.name}" depends on unknown cluster "${d}"`);
    }
  }
  for (const p of placeholders) {
    for (const r of p.requires) {
      if (!names.has(r)) throw new UsageError(`${where}: placeholder "${p.id}" requires unknown cluster "${r}"`);
    }
  }
  return {
    dir,
    dist,
    host: raw.host,
    kubesphereVersion: typeof raw.kubesphereVersion === 'string' ? raw.kubesphereVersion : undefined,
    phases: Array.isArray(raw.phases) ? raw.phases : [],
    clusters,
    placeholders,
  };
}

/** Reads, parses and checks every file the index lists (see `loadFederation`). */
export function loadObjects(index: FederationIndex): Federation {
  const steps = loadSteps(index);
  let step = steps.next();
  while (!step.done) step = steps.next();
  return step.value;
}

/**
 * `loadObjects` in slices of a few milliseconds with a turn of the event loop between them, so that requests
 * already sent make progress (connections, TLS handshakes, answers) while the files are parsed.
 */
export async function loadObjectsInSlices(index: FederationIndex, sliceMs = 4): Promise<Federation> {
  const steps = loadSteps(index);
  let started = Date.now();
  let step = steps.next();
  while (!step.done) {
    if (Date.now() - started >= sliceMs) {
      await new Promise(resolve => setImmediate(resolve));
      started = Date.now();
    }
    step = steps.next();
  }
  return step.value;
}

/** Loads the objects one file per step. */
function* loadSteps(index: FederationIndex): Generator<void, Federation> {
  // Placeholder id -> the files (folder/file) federation.json lists it in.
  const listed = new Map(index.placeholders.map(p => [p.id, new Set(p.occurrences.map(o => o.file))]));
  const clusters: FederationCluster[] = [];
  for (const { entries, ...c } of index.clusters) {
    const objects: FederationObject[] = [];
    for (const o of entries) {
      objects.push(loadObject(index.dist, c, o, listed));
      yield;
    }
    clusters.push({ ...c, objects });
  }
  const { dist, ...rest } = index;
  return { ...rest, clusters };
}

function checkPlaceholder(where: string, p: any, i: number): PlaceholderEntry {
  if (!p || typeof p.id !== 'string' || !p.source || typeof p.source.type !== 'string') {
    throw new UsageError(`${where}: placeholders[${i}] needs an "id" and a "source" with a "type"`);
  }
  return {
    id: p.id,
    kind: typeof p.kind === 'string' ? p.kind : p.id,
    description: typeof p.description === 'string' ? p.description : p.id,
    encoding: p.encoding === 'base64' ? 'base64' : 'raw',
    secret: p.secret !== false,
    source: p.source,
    requires: Array.isArray(p.requires) ? p.requires : [],
    occurrences: Array.isArray(p.occurrences) ? p.occurrences : [],
  };
}

function loadObject(dist: string, cluster: Omit<FederationIndexCluster, 'entries'>, o: any, listed: Map<string, Set<string>>): FederationObject {
  const file = o?.file;
  if (typeof file !== 'string' || file.includes('/') || file.includes('\\') || file.startsWith('.')) {
    throw new UsageError(`${path.join(dist, MANIFEST_FILE)}: cluster "${cluster.name}" lists an object without a plain file name (${JSON.stringify(file)})`);
  }
  const rel = path.join(dist, cluster.folder, file);
  let text: string;
  try {
    text = fs.readFileSync(rel, 'utf8');
  } catch {
    throw new UsageError(`${rel}: listed in federation.json but missing. Fix: synthesize again; do not edit the output by hand`);
  }
  let docs: any[];
  try {
    // Plain block YAML (what cdk8s writes) is read by readPlainYaml, several times faster in a fresh process;
    // anything else by js-yaml, with the same result.
    const plain = readPlainYaml(text);
    docs = plain ? [plain] : yaml.loadAll(text, undefined, { schema: yaml.CORE_SCHEMA }).filter(d => d !== null && d !== undefined);
  } catch (e) {
    const what = (e as Error).name === 'YAMLException' ? 'not valid YAML' : 'not a Kubernetes object';
    throw new UsageError(`${rel}: ${what} (${firstLine((e as Error).message)})`);
  }
  if (docs.length !== 1) {
    throw new UsageError(`${rel}: holds ${docs.length} YAML documents; each file must hold exactly one Kubernetes object`);
  }
  const manifest = docs[0];
  if (!manifest || typeof manifest !== 'object' || typeof manifest.apiVersion !== 'string' || typeof manifest.kind !== 'string'
    || !manifest.metadata || typeof manifest.metadata.name !== 'string' || manifest.metadata.name.length === 0) {
    throw new UsageError(`${rel}: not a Kubernetes object (it needs apiVersion, kind and metadata.name)`);
  }
  const expected = `${o.apiVersion} ${o.kind} ${o.namespace ? o.namespace + '/' : ''}${o.name}`;
  const actual = `${manifest.apiVersion} ${manifest.kind} ${manifest.metadata.namespace ? manifest.metadata.namespace + '/' : ''}${manifest.metadata.name}`;
  if (expected !== actual) {
    throw new UsageError(`${rel}: federation.json says it holds ${expected}, but it holds ${actual}. Fix: synthesize again`);
  }
  const placeholders = new Set<string>();
  for (const id of text.matchAll(PLACEHOLDER)) {
    const files = listed.get(id[1]);
    if (!files) {
      throw new UsageError(`${rel}: holds placeholder {{ksfed:${id[1]}}}, which federation.json does not declare. Fix: synthesize again`);
    }
    // (which clusters a run contacts is worked out from these lists before the files are read)
    if (!files.has(`${cluster.folder}/${file}`)) {
      throw new UsageError(`${rel}: holds placeholder {{ksfed:${id[1]}}}, which federation.json does not list for this file. Fix: synthesize again`);
    }
    placeholders.add(id[1]);
  }
  return {
    cluster: cluster.name,
    file,
    phase: typeof o.phase === 'string' ? o.phase : 'custom-resources',
    apiVersion: manifest.apiVersion,
    kind: manifest.kind,
    namespace: manifest.metadata.namespace,
    name: manifest.metadata.name,
    waitFor: typeof o.waitFor === 'string' ? o.waitFor : undefined,
    constructPath: typeof o.constructPath === 'string' ? o.constructPath : `${cluster.name}/${file}`,
    manifest,
    placeholders: [...placeholders].sort(),
  };
}

function firstLine(text: string): string {
  return text.split('\n')[0];
}

/** `Kind namespace/name` for messages. */
export function describeObject(o: { kind: string; namespace?: string; name: string }): string {
  return `${o.kind} ${o.namespace ? o.namespace + '/' : ''}${o.name}`;
}

/** The API group of an apiVersion (`''` for the core group). */
export function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}
