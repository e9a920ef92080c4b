import * as fs from 'fs';
import * as path from 'path';
import {
  CONNECTION_TYPES, FEDERATION_API_VERSION, FEDERATION_FILE, FEDERATION_KIND, FederationJsonCluster, FederationJsonObject, FederationJsonPlaceholder,
  findPlaceholders, mayHoldPlaceholder, PLACEHOLDER_ENCODINGS, PLACEHOLDER_ID, PLACEHOLDER_SOURCE_TYPES, PlaceholderSource, PlaceholderSourceType,
  placeholderToken, WAIT_FOR_RULES,
} from 'cdk8s-kubesphere-federation/lib/contract/federation-json';
import { apiGroupOf } from 'cdk8s-kubesphere-federation/lib/contract/kinds';
import * as yaml from 'js-yaml';
import { UsageError } from './errors';
import { readPlainYaml } from './fast-yaml';

/** The name of the file `FederationApp.synth()` writes next to the cluster folders. */
export const MANIFEST_FILE = FEDERATION_FILE;

/**
 * One object of a cluster's folder, as federation.json lists it, with its manifest loaded. Its phase is one of
 * federation.json's `phases`, which may hold phases this ksfed does not know (they are applied last).
 */
export interface FederationObject extends Omit<FederationJsonObject, 'phase'> {
  readonly cluster: string;
  readonly phase: string;
  /** The object as plain JSON in the API's spelling (the wire form), with placeholders still in it. */
  readonly manifest: any;
  /** Ids of the placeholders the manifest holds. */
  readonly placeholders: string[];
}

/** One cluster of the federation, with its objects loaded. */
export interface FederationCluster extends Omit<FederationJsonCluster, 'phases' | 'objects'> {
  readonly phases: string[];
  readonly objects: FederationObject[];
}

/** Where a placeholder's value comes from (federation.json `placeholders[].source`). */
export type PlaceholderSourceSpec = PlaceholderSource;

/** One placeholder of federation.json. */
export type PlaceholderEntry = FederationJsonPlaceholder;

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
 * says it is, a placeholder at a place (cluster, file, pointer) federation.json does not list for it.
 */
export function loadFederation(dist: string): Federation {
  return loadObjects(readFederationIndex(dist));
}

/**
 * Reads and checks `<dist>/federation.json` alone (a fraction of a millisecond): the clusters, their contexts and
 * the placeholders, enough to contact the clusters while `loadObjects` reads and parses the files. Its structure
 * is checked (`checkFederationJson`), and so is the folder: no file or folder it does not list (`checkNoStrayEntries`).
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
  checkFederationJson(where, raw);

  const rawPlaceholders: any[] = Array.isArray(raw.placeholders) ? raw.placeholders : [];
  const placeholders = rawPlaceholders.map((p, i) => checkPlaceholder(where, p, i));
  const clusters: FederationIndexCluster[] = raw.clusters.map((c: any) => {
    const folder = path.join(dir, c.folder);
    if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) {
      throw new UsageError(`${path.join(dist, c.folder)}: folder of cluster "${c.name}" is missing. Fix: synthesize again; do not edit the output by hand`);
    }
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
      federatedNamespaces: c.federatedNamespaces ?? [],
      entries: c.objects,
    } as FederationIndexCluster;
  });
  checkNoStrayEntries(dir, dist, clusters);
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
  // Placeholder id -> the places (cluster, folder/file, pointer) federation.json lists it at.
  const listed = new Map(index.placeholders.map(p => [p.id, new Set(p.occurrences.map(o => placeKey(o.cluster, o.file, o.pointer)))]));
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
  // Only where federation.json lists it: a token anywhere else (a hand-edited file, a federation.json that
  // does not match the files) would be filled with a credential where nobody meant it to go.
  const placeholders = new Set<string>();
  if (mayHoldPlaceholder(text)) {
    findPlaceholders(manifest, (id, pointer) => {
      const places = listed.get(id);
      if (!places?.has(placeKey(cluster.name, `${cluster.folder}/${file}`, pointer))) {
        throw new UsageError(`${rel}: cluster "${cluster.name}", ${pointer}: holds placeholder ${placeholderToken(id)}, which federation.json ${places ? 'does not list there (ksfed fills a placeholder only where the library wrote it)' : 'does not declare'}. Fix: synthesize again; never edit dist/ or write "{{ksfed:...}}" by hand`);
      }
      placeholders.add(id);
    });
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

function placeKey(cluster: string, file: string, pointer: string): string {
  return `${cluster}\u0000${file}\u0000${pointer}`;
}

function firstLine(text: string): string {
  return text.split('\n')[0];
}

/** `Kind namespace/name` for messages. */
export function describeObject(o: { kind: string; namespace?: string; name: string }): string {
  return `${o.kind} ${o.namespace ? o.namespace + '/' : ''}${o.name}`;
}

/** The API group of an apiVersion (`''` for the core group). */
export const groupOf = apiGroupOf;

/** Throws the UsageError of a field of federation.json: its path, its value, what was expected. */
type Fail = (field: string, value: unknown, expected: string) => never;

const FIX_MANIFEST = 'Fix: synthesize again (federation.json is written by FederationApp.synth(); do not edit it by hand)';
const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** The placeholder source types ksfed resolves, and the string fields each one needs. */
const SOURCE_FIELDS: { readonly [type in PlaceholderSourceType]: string[] } = {
  'env': ['name'],
  'file': ['path'],
  'context': [],
  'host-secret': ['namespace', 'name', 'key'],
  'generate': [],
  'read-object': ['apiVersion', 'kind', 'name', 'pointer'],
  'service-address': ['namespace', 'name'],
  'webhook-certificate': ['namespace', 'secret', 'part'],
};

/**
 * Checks the structure of federation.json, the contract between synth and ksfed: every field ksfed reads has the
 * type and the values synth writes (fields it does not read are left alone); the host is the one cluster with role
 * `host`; names and folders are unique; `dependsOn`, `requires` and the placeholders' clusters name other clusters of
 * the federation, without a cycle. Throws a UsageError with one line naming the field, the value and the fix.
 */
function checkFederationJson(where: string, raw: any): void {
  if (!isObject(raw) || raw.apiVersion !== FEDERATION_API_VERSION || raw.kind !== FEDERATION_KIND) {
    throw new UsageError(`${where}: expected apiVersion "${FEDERATION_API_VERSION}" and kind "${FEDERATION_KIND}", got ${JSON.stringify(raw?.apiVersion)} / ${JSON.stringify(raw?.kind)}. Fix: synthesize again with this version of cdk8s-kubesphere-federation`);
  }
  const fail: Fail = (field, value, expected) => {
    throw new UsageError(`${where}: ${field} ${value === undefined ? 'is missing' : `is ${show(value)}`}; expected ${expected}. ${FIX_MANIFEST}`);
  };
  const optionalString = (field: string, value: unknown): void => {
    if (value !== undefined && typeof value !== 'string') fail(field, value, 'a string');
  };
  const stringList = (field: string, value: unknown): string[] => {
    if (value === undefined) return [];
    if (!Array.isArray(value)) return fail(field, value, 'a list of strings');
    value.forEach((v, i) => {
      if (typeof v !== 'string' || v.length === 0) fail(`${field}[${i}]`, v, 'a non-empty string');
    });
    return value;
  };
  optionalString('generator', raw.generator);
  optionalString('kubesphereVersion', raw.kubesphereVersion);
  const phases = stringList('phases', raw.phases);
  if (!Array.isArray(raw.clusters) || raw.clusters.length === 0) fail('clusters', raw.clusters, 'a non-empty list of clusters');

  const names = new Set<string>();
  const folders = new Set<string>();
  raw.clusters.forEach((c: any, i: number) => {
    const at = `clusters[${i}]`;
    if (!isObject(c)) fail(at, c, 'an object');
    if (typeof c.name !== 'string' || !CLUSTER_NAME.test(c.name) || c.name.length > 63) fail(`${at}.name`, c.name, 'a cluster name (a DNS-1123 label)');
    const of = ` (cluster "${c.name}")`;
    if (names.has(c.name)) fail(`${at}.name`, c.name, 'a name no other cluster has (it is listed twice)');
    names.add(c.name);
    if (c.role !== 'host' && c.role !== 'member') fail(`${at}.role${of}`, c.role, '"host" or "member"');
    if (typeof c.folder !== 'string' || c.folder.length === 0 || c.folder.includes('/') || c.folder.includes('\\') || c.folder.startsWith('.') || c.folder === MANIFEST_FILE) {
      fail(`${at}.folder${of}`, c.folder, 'a plain folder name inside the output folder');
    }
    if (folders.has(c.folder)) fail(`${at}.folder${of}`, c.folder, 'a folder no other cluster has');
    folders.add(c.folder);
    if (typeof c.context !== 'string' || c.context.length === 0) fail(`${at}.context${of}`, c.context, 'a kubeconfig context name');
    if (c.connection !== undefined && !CONNECTION_TYPES.includes(c.connection)) fail(`${at}.connection${of}`, c.connection, '"direct" or "proxy"');
    stringList(`${at}.dependsOn${of}`, c.dependsOn);
    optionalString(`${at}.host${of}`, c.host);
    optionalString(`${at}.constructPath${of}`, c.constructPath);
    if (c.labels !== undefined && (!isObject(c.labels) || Object.values(c.labels).some(v => typeof v !== 'string'))) fail(`${at}.labels${of}`, c.labels, 'an object of string values');
    for (const p of stringList(`${at}.phases${of}`, c.phases)) if (phases.length > 0 && !phases.includes(p)) fail(`${at}.phases${of}`, p, `one of the federation's phases (${phases.join(', ')})`);
    for (const n of stringList(`${at}.federatedNamespaces${of}`, c.federatedNamespaces)) if (!CLUSTER_NAME.test(n) || n.length > 63) fail(`${at}.federatedNamespaces${of}`, n, 'a namespace name (a DNS-1123 label)');
    if (!Array.isArray(c.objects)) fail(`${at}.objects${of}`, c.objects, 'a list of objects');
    checkObjectEntries(`${at}.objects`, of, c.objects, phases, fail);
  });

  const hosts = raw.clusters.filter((c: any) => c.role === 'host').map((c: any) => c.name);
  if (typeof raw.host !== 'string' || !names.has(raw.host)) fail('host', raw.host, `the name of the host cluster, one of: ${[...names].join(', ')}`);
  if (!hosts.includes(raw.host)) fail('host', raw.host, `the cluster whose role is "host" (${hosts.join(', ') || 'none has'})`);
  const second = raw.clusters.findIndex((c: any) => c.role === 'host' && c.name !== raw.host);
  if (second >= 0) fail(`clusters[${second}].role (cluster "${raw.clusters[second].name}")`, 'host', `"member": a federation has one host, "${raw.host}"`);
  raw.clusters.forEach((c: any, i: number) => {
    const of = ` (cluster "${c.name}")`;
    if (c.host !== undefined && c.host !== raw.host) fail(`clusters[${i}].host${of}`, c.host, `the federation's host "${raw.host}"`);
    (c.dependsOn ?? []).forEach((d: string, j: number) => {
      if (!names.has(d)) fail(`clusters[${i}].dependsOn[${j}]${of}`, d, `a cluster of the federation (${[...names].join(', ')})`);
      if (d === c.name) fail(`clusters[${i}].dependsOn[${j}]${of}`, d, 'another cluster (a cluster cannot depend on itself)');
    });
  });
  checkNoDependencyCycle(where, raw.clusters);

  if (raw.placeholders !== undefined && !Array.isArray(raw.placeholders)) fail('placeholders', raw.placeholders, 'a list of placeholders');
  const ids = new Set<string>();
  (raw.placeholders ?? []).forEach((p: any, i: number) => {
    const at = `placeholders[${i}]`;
    if (!isObject(p)) fail(at, p, 'an object');
    if (typeof p.id !== 'string' || !PLACEHOLDER_ID.test(p.id)) fail(`${at}.id`, p.id, 'a placeholder id (lowercase letters, digits, ".", "/", "_" and "-")');
    if (ids.has(p.id)) fail(`${at}.id`, p.id, 'an id no other placeholder has (it is listed twice)');
    ids.add(p.id);
    const of = ` (placeholder "${p.id}")`;
    optionalString(`${at}.kind${of}`, p.kind);
    optionalString(`${at}.description${of}`, p.description);
    if (p.encoding !== undefined && !PLACEHOLDER_ENCODINGS.includes(p.encoding)) fail(`${at}.encoding${of}`, p.encoding, '"raw" or "base64"');
    if (p.secret !== undefined && typeof p.secret !== 'boolean') fail(`${at}.secret${of}`, p.secret, 'true or false');
    const s = p.source;
    if (!isObject(s) || !Object.prototype.hasOwnProperty.call(SOURCE_FIELDS, s.type)) {
      fail(`${at}.source.type${of}`, s?.type, `one of: ${PLACEHOLDER_SOURCE_TYPES.join(', ')}`);
    }
    for (const key of SOURCE_FIELDS[s.type as PlaceholderSourceType]) if (typeof s[key] !== 'string' || s[key].length === 0) fail(`${at}.source.${key}${of}`, s[key], 'a non-empty string');
    for (const [field, value] of [['source.cluster', s.cluster], ['source.member', s.member], ['source.reuse.cluster', s.reuse?.cluster]]) {
      if (value !== undefined && !names.has(value)) fail(`${at}.${field}${of}`, value, `a cluster of the federation (${[...names].join(', ')})`);
    }
    stringList(`${at}.requires${of}`, p.requires).forEach((r, j) => {
      if (!names.has(r)) fail(`${at}.requires[${j}]${of}`, r, `a cluster of the federation (${[...names].join(', ')})`);
    });
    if (p.occurrences !== undefined && !Array.isArray(p.occurrences)) fail(`${at}.occurrences${of}`, p.occurrences, 'a list of {cluster, file, pointer}');
    (p.occurrences ?? []).forEach((o: any, j: number) => {
      const ow = `${at}.occurrences[${j}]`;
      if (!isObject(o)) fail(`${ow}${of}`, o, 'an object {cluster, file, pointer}');
      if (!names.has(o.cluster)) fail(`${ow}.cluster${of}`, o.cluster, `a cluster of the federation (${[...names].join(', ')})`);
      if (typeof o.file !== 'string' || o.file.length === 0) fail(`${ow}.file${of}`, o.file, 'a file path (<folder>/<file>)');
      if (typeof o.pointer !== 'string' || !o.pointer.startsWith('/')) fail(`${ow}.pointer${of}`, o.pointer, 'a JSON pointer');
    });
  });
}

/** Checks the object entries of one cluster of federation.json (see `checkFederationJson`). */
function checkObjectEntries(at: string, of: string, entries: any[], phases: string[], fail: Fail): void {
  const files = new Set<string>();
  entries.forEach((o, i) => {
    const ow = `${at}[${i}]`;
    if (!isObject(o)) fail(`${ow}${of}`, o, 'an object');
    if (typeof o.file !== 'string' || o.file.length === 0 || o.file.includes('/') || o.file.includes('\\') || o.file.startsWith('.')) {
      fail(`${ow}.file${of}`, o.file, 'a plain file name inside the cluster\'s folder');
    }
    if (files.has(o.file)) fail(`${ow}.file${of}`, o.file, 'a file no other object of the cluster has (it is listed twice)');
    files.add(o.file);
    for (const key of ['apiVersion', 'kind', 'name']) if (typeof o[key] !== 'string' || o[key].length === 0) fail(`${ow}.${key}${of}`, o[key], 'a non-empty string');
    if (o.namespace !== undefined && (typeof o.namespace !== 'string' || o.namespace.length === 0)) fail(`${ow}.namespace${of}`, o.namespace, 'a namespace name');
    if (o.phase !== undefined && (typeof o.phase !== 'string' || (phases.length > 0 && !phases.includes(o.phase)))) {
      fail(`${ow}.phase${of}`, o.phase, phases.length > 0 ? `one of the federation's phases (${phases.join(', ')})` : 'a phase name');
    }
    if (o.waitFor !== undefined && !WAIT_FOR_RULES.includes(o.waitFor)) fail(`${ow}.waitFor${of}`, o.waitFor, '"established" or "rollout"');
    if (o.constructPath !== undefined && typeof o.constructPath !== 'string') fail(`${ow}.constructPath${of}`, o.constructPath, 'a string');
  });
}

/** Throws a UsageError when the clusters' `dependsOn` form a cycle (every run would wait for itself). */
function checkNoDependencyCycle(where: string, clusters: { name: string; dependsOn?: string[] }[]): void {
  const edges = new Map(clusters.map(c => [c.name, c.dependsOn ?? []]));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(name)), name].join(' -> ');
      throw new UsageError(`${where}: the clusters' dependsOn form a cycle (${cycle}); no run could start. ${FIX_MANIFEST}`);
    }
    state.set(name, 'visiting');
    for (const d of edges.get(name) ?? []) visit(d, [...trail, name]);
    state.set(name, 'done');
  };
  for (const c of clusters) visit(c.name, []);
}

/** Names of the output folder that ksfed tolerates although federation.json does not list them. */
const TOLERATED_TOP_LEVEL = /^README(\.md)?$/i;
/** YAML and JSON files look like manifests: one not listed is refused even when its name starts with a dot. */
const MANIFEST_LIKE = /\.(ya?ml|json)$/i;

/**
 * Refuses a file or folder of the output folder that federation.json does not list: ksfed would silently leave it
 * out (an object added by hand, the folder of a cluster the program no longer has). Tolerated: names starting with a
 * dot that are not YAML or JSON (`.git`, `.gitignore`, `.gitkeep`, `.DS_Store`: version control and file managers
 * put them there), and a README or README.md next to federation.json (synth leaves unrelated files in the outdir).
 */
function checkNoStrayEntries(dir: string, dist: string, clusters: { name: string; folder: string; entries: any[] }[]): void {
  const tolerated = (name: string) => name.startsWith('.') && !MANIFEST_LIKE.test(name);
  const folders = new Map(clusters.map(c => [c.folder, c]));
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const readme = TOLERATED_TOP_LEVEL.test(entry.name) && !entry.isDirectory();
    if (entry.name === MANIFEST_FILE || folders.has(entry.name) || tolerated(entry.name) || readme) continue;
    const what = entry.isDirectory() ? 'a folder of no cluster of federation.json' : 'a file that federation.json does not list';
    throw new UsageError(`${path.join(dist, entry.name)}: ${what}; ksfed would ignore it. Fix: remove it (or add it to the program and synthesize again)`);
  }
  for (const [folder, c] of folders) {
    const listed = new Set(c.entries.map(o => o?.file));
    for (const entry of fs.readdirSync(path.join(dir, folder), { withFileTypes: true })) {
      if (listed.has(entry.name) || tolerated(entry.name)) continue;
      const what = entry.isDirectory() ? 'a folder' : 'a file';
      throw new UsageError(`${path.join(dist, folder, entry.name)}: ${what} that federation.json does not list for cluster "${c.name}"; ksfed would not apply it. Fix: remove it, or add the object to the program and synthesize again`);
    }
  }
}

function isObject(value: unknown): value is { [key: string]: any } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value for a message: JSON, cut short. */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
