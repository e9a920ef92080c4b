import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

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
