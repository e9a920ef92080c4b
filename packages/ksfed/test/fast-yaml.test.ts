import * as fs from 'fs';
import * as path from 'path';
import { Connection, FederatedApp, FederationMode, Host, Member, Placement, Workspace } from 'cdk8s-kubesphere-federation';
import * as kplus from 'cdk8s-plus-27';
import * as yaml from 'js-yaml';
import * as YAML from 'yaml';
import { testApp } from '../../cdk8s-kubesphere-federation/test/util/fleet';
import { readPlainYaml } from '../src/fast-yaml';

/** What the applier would load without the fast path. */
function reference(text: string): unknown {
  return yaml.load(text, { schema: yaml.CORE_SCHEMA });
}

/** A fleet with every kind of file ksfed applies: CRDs, RBAC, workloads, tenancy, federated and rendered apps. */
function synthesizedFiles(): { file: string; text: string }[] {
  const app = testApp();
  const host = new Host(app, 'host', { name: 'host', capacity: { nodes: 3 } });
  const members = [0, 1, 2, 3].map(i => new Member(app, `m${i}`, {
    host, name: `member-${i}`, region: `region-${i % 2}`, connection: i % 2 === 0 ? Connection.direct() : Connection.agent(),
  }));
  const ws = new Workspace(host, 'ws', { name: 'ws', placement: Placement.clusters(...members), manager: 'alice' });
  const project = ws.addProject('ws-prod');
  [FederationMode.FEDERATED, FederationMode.RENDERED].forEach((mode, a) => {
    const web = new FederatedApp(project, `app${a}`, { placement: Placement.clusters(...members.slice(0, 3)), mode });
    const config = new kplus.ConfigMap(web.template, `app-${a}-config`, { data: { 'APP': String(a), 'multi-line': 'one\ntwo\n', 'quoted': 'yes' } });
    const deployment = new kplus.Deployment(web.template, `app-${a}`, {
      containers: [{ name: 'web', image: 'nginx:1.25', portNumber: 8080, envFrom: [kplus.Env.fromConfigMap(config)] }],
    });
    deployment.exposeViaService({ name: `app-${a}`, ports: [{ port: 80, targetPort: 8080 }] });
    web.override(members[0], deployment, { image: 'mirror.local/nginx:1.25' });
  });
  app.synth();
  const out: { file: string; text: string }[] = [];
  for (const folder of fs.readdirSync(app.outdir, { withFileTypes: true }).filter(e => e.isDirectory())) {
    for (const file of fs.readdirSync(path.join(app.outdir, folder.name))) {
      out.push({ file: `${folder.name}/${file}`, text: fs.readFileSync(path.join(app.outdir, folder.name, file), 'utf8') });
    }
  }
  fs.rmSync(app.outdir, { recursive: true, force: true });
  return out;
}

describe('readPlainYaml on synthesized folders', () => {
  const files = synthesizedFiles();

  test('reads every file exactly as js-yaml does', () => {
    expect(files.length).toBeGreaterThan(100);
    for (const { file, text } of files) {
      const fast = readPlainYaml(text);
      if (fast !== undefined) expect({ file, value: fast }).toEqual({ file, value: reference(text) });
    }
  });

  test('answers for all of them but those with a multi-line string (js-yaml reads those)', () => {
    const left = files.filter(f => readPlainYaml(f.text) === undefined);
    for (const { text } of left) expect(text).toMatch(/: [|>]/);
    expect(left.length).toBeLessThanOrEqual(files.length / 20);
  });
});

describe('readPlainYaml', () => {
  test.each([
    ['nested maps and lists', 'a:\n  b:\n    - x\n    - y: 1\n      z: "q"\n  c: []\n  d: {}\n'],
    ['list of lists', 'a:\n  -\n    - 1\n'],
    ['empty value is null', 'a:\nb: 2\n'],
    ['core words', 'a: true\nb: False\nc: NULL\nd: ~\ne: null\n'],
    ['integers', 'a: 0\nb: -12\nc: 123456789012345\n'],
    ['flags and quantities', 'a: --v=2\nb: -q\nc: 500m\nd: 512Mi\ne: 25%\nf: 10s\n'],
    ['Go durations', 'a: 1m0s\nb: 1h30m\nc: 2h0m0.5s\nd: 1e5s\n'],
    ['strings with colons and hashes', 'a: nginx:1.25\nb: http://x/y\nc: a#b\nd: ^(add|remove)?$\n'],
    ['double-quoted escapes', 'a: "x \\" y \\\\ z \\n \\u00e9"\n"b c": "1"\n'],
    ['single-quoted', 'a: \'it\'\'s\'\nb: \'\'\n'],
    ['dotted and slashed keys', '.dockerconfigjson: x\napp.kubernetes.io/name: y\n_k: z\n'],
    ['a list item holding a map', 'items:\n  - name: a\n    value: b\n  - name: c\n'],
  ])('%s: the same as js-yaml', (_name, text) => {
    const fast = readPlainYaml(text);
    expect(fast).toBeDefined();
    expect(fast).toEqual(reference(text));
  });

  test.each([
    ['a comment', 'a: 1 # one\n'],
    ['a comment line', '# head\na: 1\n'],
    ['an anchor and alias', 'a: &x 1\nb: *x\n'],
    ['a tag', 'a: !!str 1\n'],
    ['a block scalar', 'a: |\n  x\n'],
    ['a folded scalar', 'a: >-\n  x\n'],
    ['a flow map with items', 'a: {b: 1}\n'],
    ['a flow list with items', 'a: [1, 2]\n'],
    ['a multi-line plain scalar', 'a: one\n  two\n'],
    ['a float', 'a: 1.5\n'],
    ['an exponent', 'a: 1e3\n'],
    ['an exponent with a unit-like tail', 'a: 1e3m5\n'],
    ['a hexadecimal', 'a: 0xff\n'],
    ['an octal-looking number', 'a: 012\n'],
    ['an infinity', 'a: .inf\n'],
    ['a number with underscores', 'a: 1_000\n'],
    ['a key YAML reads as a boolean', 'True: 1\n'],
    ['a number-like key', '1e3: 1\n'],
    ['a merge key', '<<: 1\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a __proto__ key', '__proto__: 1\n'],
    ['a sequence at its key\'s indentation', 'a:\n- 1\n'],
    ['a tab', 'a:\t1\n'],
    ['a carriage return', 'a: 1\r\n'],
    ['a trailing space', 'a: 1 \n'],
    ['a blank line inside', 'a: 1\n\nb: 2\n'],
    ['two documents', 'a: 1\n---\nb: 2\n'],
    ['a document start', '---\na: 1\n'],
    ['a non-JSON escape', 'a: "\\x41"\n'],
    ['an unterminated quote', 'a: "x\n'],
    ['a value with ": " inside', 'a: b: c\n'],
    ['a value ending with ":"', 'a: b:\n'],
    ['a deeper line after a scalar', 'a: 1\n    b: 2\n'],
    ['a line between two levels', 'a:\n    b: 1\n  c: 2\n'],
    ['two spaces after the colon', 'a:  1\n'],
    ['a nested item on an item line', '- - 1\n'],
    ['a scalar document', 'hello\n'],
    ['an empty text', ''],
  ])('leaves %s to js-yaml', (_name, text) => {
    expect(readPlainYaml(text)).toBeUndefined();
  });

  test('agrees with js-yaml on random documents written by the yaml library (as cdk8s writes) and by js-yaml', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
    const words = ['a', 'name', 'x-kubernetes-int-or-string', '.hidden', 'true', 'null', 'yes', 'no', 'on', 'off', '~', '1', '01', '1.0', '1e3', '0x1f', '-1',
      '--flag=1', '500m', '25%', 'a: b', 'a #b', '#x', '- x', 'é', 'x\ny', ' lead', 'trail ', '"q"', '\'s\'', '', '*a', '&a', '!t', '|', '>', '@a', '`a', '%a',
      'http://h:1/p', 'k=v', 'a,b', '[x]', '{x}', '?x', '2024-01-01', '.inf', '<<', 'x:y', '\\', 'tab\there'];
    const value = (depth: number): unknown => {
      const r = random();
      if (depth > 3 || r < 0.45) {
        return pick<unknown>([pick(words), Math.floor(random() * 2000) - 1000, random() * 10, true, false, null]);
      }
      if (r < 0.7) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      const out: { [k: string]: unknown } = {};
      for (let i = Math.floor(random() * 4); i > 0; i--) out[pick(words)] = value(depth + 1);
      return out;
    };
    let answered = 0;
    for (let i = 0; i < 400; i++) {
      const doc: { [k: string]: unknown } = { apiVersion: 'v1', kind: 'ConfigMap', data: value(0), spec: value(0) };
      for (const text of [YAML.stringify(doc, { lineWidth: 0, version: '1.1' }), yaml.dump(doc, { lineWidth: -1 })]) {
        const fast = readPlainYaml(text);
        if (fast === undefined) continue;
        answered++;
        expect({ text, value: fast }).toEqual({ text, value: reference(text) });
      }
    }
    // The random documents stay mostly inside the subset, so the comparison above is not empty.
    expect(answered).toBeGreaterThan(200);
  });
});
