import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as kplus from 'cdk8s-plus-27';
import * as ts from 'typescript';
import * as library from '../src';

const EXAMPLES = path.join(__dirname, '..', '..', '..', 'examples');
// The TypeScript examples; the quickstart in Python, Java and Go is proven byte-identical by test/e2e/languages.e2e.test.ts.
const examples = fs.readdirSync(EXAMPLES)
  .filter(name => fs.existsSync(path.join(EXAMPLES, name, 'cdk8s.yaml')))
  .filter(name => /^language: typescript$/m.test(fs.readFileSync(path.join(EXAMPLES, name, 'cdk8s.yaml'), 'utf8')))
  .sort();

function tree(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true })
    .flatMap(e => e.isDirectory() ? tree(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`])
    .sort();
}

describe('examples', () => {
  test('there are examples, each a cdk8s app with main.ts', () => {
    expect(examples).toContain('quickstart');
    for (const name of examples) expect(fs.existsSync(path.join(EXAMPLES, name, 'main.ts'))).toBe(true);
  });

  test.each(examples)('%s: `npx cdk8s synth` from its folder writes its dist/ (snapshot)', name => {
    const folder = path.join(EXAMPLES, name);
    const dist = path.join(folder, 'dist');
    fs.rmSync(dist, { recursive: true, force: true });
    execFileSync('npx', ['cdk8s', 'synth'], { cwd: folder, stdio: 'pipe', env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' } });
    const files = tree(dist);
    expect(files).toContain('federation.json');
    const manifest = JSON.parse(fs.readFileSync(path.join(dist, 'federation.json'), 'utf8'));
    for (const cluster of manifest.clusters) {
      expect(fs.readdirSync(path.join(dist, cluster.folder)).sort()).toEqual(cluster.objects.map((o: any) => o.file).sort());
    }
    // CRD bodies are covered by the CRD tests; here a digest keeps the snapshot readable.
    const content: { [file: string]: string } = {};
    for (const file of files) {
      const text = fs.readFileSync(path.join(dist, file), 'utf8');
      content[file] = file.includes('-customresourcedefinition-') ? `sha256:${createHash('sha256').update(text).digest('hex')}` : text;
    }
    expect(content).toMatchSnapshot();
  });
});

describe("README's tour of the constructs", () => {
  const README = path.join(EXAMPLES, '..', 'README.md');

  /** The tour's TypeScript snippets, in order: one program that goes on from snippet to snippet. */
  function tourSnippets(): string[] {
    const text = fs.readFileSync(README, 'utf8');
    const tour = text.slice(text.indexOf('## A tour of the constructs'), text.indexOf('\n## ', text.indexOf('## A tour of the constructs') + 1));
    return [...tour.matchAll(/```ts\n([\s\S]*?)```/g)].map(m => m[1]);
  }

  test('its snippets, run one after another as one program, synthesize the fleet they describe', () => {
    const snippets = tourSnippets();
    expect(snippets.length).toBeGreaterThanOrEqual(3);
    // Each snippet imports what it uses: nothing is in scope that a snippet did not import (or an earlier one declare).
    const imports = new Map<string, string>();
    const body: string[] = [];
    for (const snippet of snippets) {
      for (const line of snippet.split('\n')) {
        const named = /^import \{ ([^}]+) \} from '([^']+)';$/.exec(line);
        const star = /^import \* as (\w+) from '([^']+)';$/.exec(line);
        if (named) named[1].split(',').map(s => s.trim()).forEach(n => imports.set(n, `require(${JSON.stringify(named[2])}).${n}`));
        else if (star) imports.set(star[1], `require(${JSON.stringify(star[2])})`);
        else body.push(line);
      }
    }
    // The first snippet synthesizes; here that waits until every snippet has added its part.
    const program = body.filter(l => l.trim() !== 'app.synth();').join('\n')
      .replace("new FederationApp({ outdir: 'dist' })", 'new FederationApp({ outdir: OUTDIR })');
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-tour-'));
    const js = ts.transpileModule(`${program}\napp.synth();`, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
    const names = [...imports.keys()];
    const modules: { [name: string]: unknown } = { 'cdk8s-kubesphere-federation': library, 'cdk8s-plus-27': kplus };
    const load = (spec: string) => modules[spec] ?? (() => { throw new Error(`the tour imports ${spec}`); })();
    const values = names.map(n => new Function('require', `return ${imports.get(n)};`)(load));
    // (a well-formed bcrypt hash made here: the README reads it from the environment, as a user would)
    const saved = process.env.ALICE_PASSWORD_HASH;
    process.env.ALICE_PASSWORD_HASH = `$2a$10$${'x'.repeat(53)}`;
    try {
      new Function('OUTDIR', ...names, js)(outdir, ...values);
      const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'federation.json'), 'utf8'));
      expect(manifest.clusters.map((c: any) => c.name).sort()).toEqual(['branch-7', 'edge-1', 'host']);
      const hostFiles = fs.readdirSync(path.join(outdir, 'host')).join('\n');
      expect(hostFiles).toMatch(/-user-alice\.yaml/);
      expect(hostFiles).toMatch(/-workspacetemplate-shop\.yaml/);
      expect(hostFiles).toMatch(/-federateddeployment-shop-prod-web\.yaml/);
    } finally {
      if (saved === undefined) delete process.env.ALICE_PASSWORD_HASH;
      else process.env.ALICE_PASSWORD_HASH = saved;
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});
