import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gitopsArgoCd } from '../../../../examples/gitops-argocd/main';
import { gitopsFlux } from '../../../../examples/gitops-flux/main';
import { multiRegionShop } from '../../../../examples/multi-region-shop/main';
import { quickstart } from '../../../../examples/quickstart/main';
import { FederationApp } from '../../src';
import {
  APPLY_PHASES, ClusterRole, CONNECTION_TYPES, FEDERATION_API_VERSION, FEDERATION_FILE, FEDERATION_KIND, FederationJson, FederationJsonCapacity,
  FederationJsonCluster, FederationJsonObject, FederationJsonPlaceholder, findPlaceholders, mayHoldPlaceholder, ObjectPointer,
  PLACEHOLDER_ENCODINGS, PLACEHOLDER_ID, PLACEHOLDER_PATTERN, PLACEHOLDER_SOURCE_TYPES, PlaceholderOccurrence, PlaceholderSource,
  placeholderToken, pointerOf, WAIT_FOR_RULES,
} from '../../src/contract/federation-json';
import { validateAgainstSchema } from '../util/schema';

const SCHEMA_FILE = path.join(__dirname, '..', '..', 'schemas', 'federation.schema.json');
const SCHEMA = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8'));
const EXAMPLES = path.join(__dirname, '..', '..', '..', '..', 'examples');

/** Every example, by folder name, and the function that builds it into an app. */
const EXAMPLE_BUILDERS: { [example: string]: (app: FederationApp) => unknown } = {
  'gitops-argocd': gitopsArgoCd,
  'gitops-flux': gitopsFlux,
  'multi-region-shop': multiRegionShop,
  'quickstart': quickstart,
};

/** The federation.json an example synthesizes (what `npx cdk8s synth` writes, without the child process). */
function synthesized(example: string): any {
  const app = new FederationApp({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'ksfed-contract-')), printWarnings: false });
  EXAMPLE_BUILDERS[example](app);
  app.synth();
  return JSON.parse(fs.readFileSync(path.join(app.outdir, FEDERATION_FILE), 'utf8'));
}

const QUICKSTART = synthesized('quickstart');

/** The schema's errors for a copy of the quickstart's federation.json changed by `change`. */
function errorsAfter(change: (m: any) => void): string[] {
  const copy = JSON.parse(JSON.stringify(QUICKSTART));
  change(copy);
  return validateAgainstSchema(SCHEMA, copy);
}

/** Each key of `T`, and whether it is required or optional: the compiler checks both against the type. */
type KeyTable<T> = { readonly [K in keyof T]-?: {} extends Pick<T, K> ? 'optional' : 'required' };

/** The properties a schema object declares and the ones it requires, in the form of a KeyTable. */
function schemaKeys(schema: any): { [key: string]: 'optional' | 'required' } {
  const required = new Set<string>(schema.required ?? []);
  return Object.fromEntries(Object.keys(schema.properties).map(k => [k, required.has(k) ? 'required' : 'optional']));
}

const FEDERATION_KEYS: KeyTable<FederationJson> = {
  apiVersion: 'required',
  kind: 'required',
  generator: 'required',
  kubesphereVersion: 'required',
  host: 'required',
  phases: 'required',
  clusters: 'required',
  placeholders: 'required',
};
const CLUSTER_KEYS: KeyTable<FederationJsonCluster> = {
  name: 'required',
  role: 'required',
  folder: 'required',
  context: 'required',
  connection: 'optional',
  dependsOn: 'required',
  host: 'optional',
  labels: 'required',
  componentOwner: 'optional',
  capacity: 'optional',
  constructPath: 'required',
  phases: 'required',
  federatedNamespaces: 'optional',
  objects: 'required',
};
const CAPACITY_KEYS: KeyTable<FederationJsonCapacity> = { nodes: 'optional', cpu: 'optional', memory: 'optional' };
const OBJECT_KEYS: KeyTable<FederationJsonObject> = {
  file: 'required',
  phase: 'required',
  apiVersion: 'required',
  kind: 'required',
  namespace: 'optional',
  name: 'required',
  waitFor: 'optional',
  constructPath: 'required',
};
const PLACEHOLDER_KEYS: KeyTable<FederationJsonPlaceholder> = {
  id: 'required',
  kind: 'required',
  description: 'required',
  encoding: 'required',
  secret: 'required',
  source: 'required',
  requires: 'required',
  occurrences: 'required',
};
const OCCURRENCE_KEYS: KeyTable<PlaceholderOccurrence> = { cluster: 'required', file: 'required', pointer: 'required' };
const OBJECT_POINTER_KEYS: KeyTable<ObjectPointer> = {
  cluster: 'optional', apiVersion: 'required', kind: 'required', namespace: 'optional', name: 'required', pointer: 'required',
};
/** Every source type's keys, in the order of PLACEHOLDER_SOURCE_TYPES. */
const SOURCE_KEYS: { [T in PlaceholderSource['type']]: KeyTable<Extract<PlaceholderSource, { type: T }>> } = {
  'env': { type: 'required', name: 'required', context: 'optional', member: 'optional' },
  'file': { type: 'required', path: 'required', context: 'optional', member: 'optional' },
  'context': { type: 'required', context: 'optional', member: 'optional' },
  'host-secret': { type: 'required', cluster: 'optional', namespace: 'required', name: 'required', key: 'required' },
  'generate': { type: 'required', bytes: 'optional', format: 'optional', reuse: 'optional' },
  'read-object': { type: 'required', wait: 'optional', ...OBJECT_POINTER_KEYS },
  'service-address': {
    type: 'required', cluster: 'optional', namespace: 'required', name: 'required', port: 'required', scheme: 'optional',
  },
  'webhook-certificate': {
    type: 'required',
    cluster: 'optional',
    namespace: 'required',
    secret: 'required',
    part: 'required',
    dnsNames: 'required',
    validDays: 'optional',
    renewBeforeDays: 'optional',
  },
};

describe('the contract module', () => {
  test('the placeholder token: {{ksfed:<id>}}, found by PLACEHOLDER_PATTERN, its id checked by PLACEHOLDER_ID', () => {
    expect(placeholderToken('kubeconfig/edge-1')).toBe('{{ksfed:kubeconfig/edge-1}}');
    const text = `url: ${placeholderToken('proxy-address')}/x and ${placeholderToken('jwt-secret')}, not {{ksfed:Upper}} nor {{other:x}}`;
    expect([...text.matchAll(PLACEHOLDER_PATTERN)].map(m => m[1])).toEqual(['proxy-address', 'jwt-secret']);
    expect(text.replace(PLACEHOLDER_PATTERN, '<$1>')).toBe('url: <proxy-address>/x and <jwt-secret>, not {{ksfed:Upper}} nor {{other:x}}');
    expect(['jwt-secret', 'kubefed-webhook/tls.key', 'a_b'].every(id => PLACEHOLDER_ID.test(id))).toBe(true);
    expect(['', '-a', 'A', 'a b', 'a}}'].some(id => PLACEHOLDER_ID.test(id))).toBe(false);
    expect(mayHoldPlaceholder('x {{ksfed:')).toBe(true);
    expect(mayHoldPlaceholder('{{ ksfed:a}}')).toBe(false);
  });

  test('findPlaceholders reports each token with the JSON pointer of its string, keys escaped', () => {
    const found: [string, string][] = [];
    findPlaceholders({ data: { 'a/b': placeholderToken('x'), 'c~d': [0, `${placeholderToken('y')}${placeholderToken('z')}`] }, n: null },
      (id, pointer) => found.push([id, pointer]));
    expect(found).toEqual([['x', '/data/a~1b'], ['y', '/data/c~0d/1'], ['z', '/data/c~0d/1']]);
    expect(pointerOf(['spec', 'a/b', '~'])).toBe('/spec/a~1b/~0');
  });

  test('the writer uses it: FederationApp writes FEDERATION_FILE with the contract\'s apiVersion, kind and phases', () => {
    expect(FederationApp.MANIFEST_FILE).toBe(FEDERATION_FILE);
    expect(QUICKSTART).toMatchObject({ apiVersion: FEDERATION_API_VERSION, kind: FEDERATION_KIND, phases: [...APPLY_PHASES] });
  });
});

describe('schemas/federation.schema.json', () => {
  test('every example is checked here', () => {
    // (the TypeScript ones: examples/quickstart-{python,java,go} write the quickstart's files, test/e2e/languages proves it)
    const examples = fs.readdirSync(EXAMPLES).filter(name => fs.existsSync(path.join(EXAMPLES, name, 'main.ts'))).sort();
    expect(Object.keys(EXAMPLE_BUILDERS).sort()).toEqual(examples);
  });

  test.each(Object.keys(EXAMPLE_BUILDERS))('the federation.json of example %s is valid', example => {
    const manifest = example === 'quickstart' ? QUICKSTART : synthesized(example);
    expect(validateAgainstSchema(SCHEMA, manifest)).toEqual([]);
  });

  test.each<[string, (m: any) => void, RegExp]>([
    ['a missing field', m => delete m.host, /^host: Required value$/],
    ['a missing field of a cluster', m => delete m.clusters[1].context, /^clusters\[1\]\.context: Required value$/],
    ['a missing field of an object', m => delete m.clusters[0].objects[0].file, /^clusters\[0\]\.objects\[0\]\.file: Required value$/],
    ['a field of the wrong type', m => m.clusters[0].dependsOn = 'edge-1', /^clusters\[0\]\.dependsOn: must be of type array, got string/],
    ['a number for a string', m => m.placeholders[0].description = 3, /^placeholders\[0\]\.description: must be of type string, got integer/],
    ['an unknown phase of the federation', m => m.phases.push('later'), /^phases\[7\]: "later" is not one of \["crds",/],
    ['an unknown phase of an object', m => m.clusters[0].objects[0].phase = 'crd', /^clusters\[0\]\.objects\[0\]\.phase: "crd" is not one of/],
    ['another apiVersion', m => m.apiVersion = 'ksfed.kubesphere-federation/v2', /^apiVersion: "ksfed\.kubesphere-federation\/v2" is not "ksfed\.kubesphere-federation\/v1"$/],
    ['an unknown role', m => m.clusters[1].role = 'hub', /^clusters\[1\]\.role: "hub" is not one of \["host","member"\]$/],
    ['an unknown connection', m => m.clusters[1].connection = 'vpn', /^clusters\[1\]\.connection: "vpn" is not one of \["direct","proxy"\]$/],
    ['an unknown wait', m => m.clusters[0].objects[0].waitFor = 'ready', /^clusters\[0\]\.objects\[0\]\.waitFor: "ready" is not one of/],
    ['a field the contract does not have', m => m.clusters[0].region = 'eu', /^clusters\[0\]\.region: field not allowed/],
    ['a cluster name that is not a DNS label', m => m.clusters[1].name = 'Edge_1', /^clusters\[1\]\.name: "Edge_1" does not match pattern/],
    ['a folder that is a path', m => m.clusters[1].folder = '../edge-1', /^clusters\[1\]\.folder: "\.\.\/edge-1" does not match pattern/],
    ['a placeholder id with capitals', m => m.placeholders[0].id = 'JWT', /^placeholders\[0\]\.id: "JWT" does not match pattern/],
    ['an unknown encoding', m => m.placeholders[0].encoding = 'hex', /^placeholders\[0\]\.encoding: "hex" is not one of \["raw","base64"\]$/],
    ['an unknown source type', m => m.placeholders[0].source = { type: 'vault', path: 'x' }, /^placeholders\[0\]\.source\.type: "vault" is not one of/],
    ['a source without the field its type needs', m => m.placeholders[0].source = { type: 'env' }, /^placeholders\[0\]\.source: .* matches 0 of oneOf/],
    ['a source with a field of another type', m => m.placeholders[0].source = { type: 'env', name: 'X', path: 'f' }, /^placeholders\[0\]\.source: .* matches 0 of oneOf/],
    ['an occurrence pointer that is not a JSON pointer', m => m.placeholders[0].occurrences[0].pointer = 'data.token', /^placeholders\[0\]\.occurrences\[0\]\.pointer: "data\.token" does not match pattern/],
    ['no cluster', m => m.clusters = [], /^clusters: has 0 items, fewer than minItems 1$/],
  ])('refuses %s', (_what, change, error) => {
    expect(errorsAfter(change)).toContainEqual(expect.stringMatching(error));
  });

  test('a broken file gets one error per problem, and none for what is right', () => {
    expect(errorsAfter(m => {
      delete m.host;
      m.clusters[0].objects[0].phase = 'crd';
    })).toEqual([
      expect.stringMatching(/^clusters\[0\]\.objects\[0\]\.phase: "crd" is not one of/),
      'host: Required value',
    ]);
  });

  test('it says what the types say: the same fields, required where the types require them', () => {
    const defs = SCHEMA.$defs;
    expect(schemaKeys(SCHEMA)).toEqual(FEDERATION_KEYS);
    expect(schemaKeys(defs.cluster)).toEqual(CLUSTER_KEYS);
    expect(schemaKeys(defs.cluster.properties.capacity)).toEqual(CAPACITY_KEYS);
    expect(schemaKeys(defs.object)).toEqual(OBJECT_KEYS);
    expect(schemaKeys(defs.placeholder)).toEqual(PLACEHOLDER_KEYS);
    expect(schemaKeys(defs.occurrence)).toEqual(OCCURRENCE_KEYS);
    expect(schemaKeys(defs.objectPointer)).toEqual(OBJECT_POINTER_KEYS);
    const variants = defs.source.oneOf.map((ref: any) => defs[ref.$ref.split('/').pop()]);
    expect(variants.map((v: any) => v.properties.type.const)).toEqual(PLACEHOLDER_SOURCE_TYPES);
    expect(Object.keys(SOURCE_KEYS)).toEqual(PLACEHOLDER_SOURCE_TYPES);
    for (const variant of variants) expect(schemaKeys(variant)).toEqual(SOURCE_KEYS[variant.properties.type.const as PlaceholderSource['type']]);
  });

  test('its constants and lists are the contract\'s', () => {
    const defs = SCHEMA.$defs;
    expect(SCHEMA.properties.apiVersion.const).toBe(FEDERATION_API_VERSION);
    expect(SCHEMA.properties.kind.const).toBe(FEDERATION_KIND);
    expect(defs.phase.enum).toEqual(APPLY_PHASES);
    expect(defs.cluster.properties.role.enum).toEqual(Object.values(ClusterRole));
    expect(defs.cluster.properties.connection.enum).toEqual(CONNECTION_TYPES);
    expect(defs.object.properties.waitFor.enum).toEqual(WAIT_FOR_RULES);
    expect(defs.placeholder.properties.encoding.enum).toEqual(PLACEHOLDER_ENCODINGS);
    expect(defs.placeholder.properties.id.pattern).toBe(PLACEHOLDER_ID.source);
    expect(defs.source.properties.type.enum).toEqual(PLACEHOLDER_SOURCE_TYPES);
  });
});
