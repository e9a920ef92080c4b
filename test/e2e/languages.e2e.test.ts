// The library from Python, Java and Go: `npm run package` builds the wheel, the Maven artifact and the Go module
// from the compiled library (`npm run e2e` builds it first), then each language's quickstart
// (examples/quickstart-python, -java, -go), installed the way a user of that language installs it, synthesizes
// the fleet of examples/quickstart, and every file it writes has the same sha256 as the TypeScript quickstart's.
// Needs python3 (venv), mvn with JDK 17 and go 1.26 on PATH, and PyPI, Maven Central and the Go module proxy.
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

jest.setTimeout(20 * 60_000);

const ROOT = path.resolve(__dirname, '..', '..');
const LIBRARY = path.join(ROOT, 'packages', 'cdk8s-kubesphere-federation');
const EXAMPLES = path.join(ROOT, 'examples');
const ENV = { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20', CDK8S_CHECK_UPGRADE: 'false' };

/** Runs a command, returns its stdout; on failure throws with the command, its exit code and the end of its output. */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = ENV): string {
  try {
    return execFileSync(command, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
  } catch (error: any) {
    const output = `${error.stdout ?? ''}${error.stderr ?? ''}`.trim().split('\n').slice(-40).join('\n');
    throw new Error(`${command} ${args.join(' ')} (in ${path.relative(ROOT, cwd) || '.'}) failed: ${error.status ?? error.code}\n${output}`);
  }
}

/** Runs `step`, logs how long it took and returns its result. */
function timed<T>(what: string, step: () => T): T {
  const start = Date.now();
  const result = step();
  console.log(`${what}: ${((Date.now() - start) / 1000).toFixed(1)} s`);
  return result;
}

/** The sha256 of every file under `dir`, by path relative to it. */
function digests(dir: string, prefix = ''): { [file: string]: string } {
  const out: { [file: string]: string } = {};
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) Object.assign(out, digests(full, `${prefix}${entry.name}/`));
    else out[`${prefix}${entry.name}`] = createHash('sha256').update(fs.readFileSync(full)).digest('hex');
  }
  return out;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ksfed-languages-'));
/** The folder a language's quickstart synthesizes into (CDK8S_OUTDIR, which every cdk8s App reads). */
const outdir = (language: string) => path.join(work, language);
let typescript: { [file: string]: string };

beforeAll(() => {
  timed('npm run package (wheel, Maven artifact, Go module)', () => run('npm', ['run', 'package', '-w', 'cdk8s-kubesphere-federation'], ROOT));
  timed('TypeScript quickstart', () => run(process.execPath, ['-r', 'ts-node/register/transpile-only', 'main.ts'], path.join(EXAMPLES, 'quickstart'),
    { ...ENV, TS_NODE_PROJECT: path.join(EXAMPLES, 'tsconfig.json'), CDK8S_OUTDIR: outdir('typescript') }));
  typescript = digests(outdir('typescript'));
});

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test('the TypeScript quickstart writes a folder per cluster and federation.json (the reference)', () => {
  expect(Object.keys(typescript)).toContain('federation.json');
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir('typescript'), 'federation.json'), 'utf8'));
  expect(manifest.clusters.map((c: any) => c.name)).toEqual(['host', 'edge-1', 'branch-7']);
  const files = manifest.clusters.flatMap((c: any) => c.objects.map((o: any) => `${c.folder}/${o.file}`));
  expect(Object.keys(typescript).sort()).toEqual([...files, 'federation.json'].sort());
});

test('Python: examples/quickstart-python (a venv with cdk8s & co from PyPI, the wheel from dist/python) writes the same bytes', () => {
  const folder = path.join(EXAMPLES, 'quickstart-python');
  const python = path.join(folder, '.venv', 'bin', 'python');
  const wheels = path.join(LIBRARY, 'dist', 'python');
  timed('Python: venv and pip install', () => {
    if (!fs.existsSync(python)) run('python3', ['-m', 'venv', '.venv'], folder);
    run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', 'requirements.txt', '--find-links', wheels], folder);
    // The version stays 0.0.0 from build to build: reinstall the wheel just built.
    const wheel = fs.readdirSync(wheels).find(f => f.endsWith('.whl'))!;
    run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--force-reinstall', '--no-deps', path.join(wheels, wheel)], folder);
  });
  timed('Python quickstart', () => run(python, ['main.py'], folder, { ...ENV, CDK8S_OUTDIR: outdir('python') }));
  expect(digests(outdir('python'))).toEqual(typescript);
});

test('Java: examples/quickstart-java (cdk8s & co from Maven Central, the jar from dist/java) writes the same bytes', () => {
  const folder = path.join(EXAMPLES, 'quickstart-java');
  timed('Java: mvn compile', () => {
    // The version stays 0.0.0 from build to build: drop the copy Maven cached from the previous build.
    run('mvn', ['--batch-mode', '--quiet', 'dependency:purge-local-repository', '-DmanualInclude=io.github.ksfed:cdk8s-kubesphere-federation', '-DreResolve=false'], folder);
    run('mvn', ['--batch-mode', '--quiet', 'compile'], folder);
  });
  timed('Java quickstart', () => run('mvn', ['--batch-mode', '--quiet', 'exec:java'], folder, { ...ENV, CDK8S_OUTDIR: outdir('java') }));
  expect(digests(outdir('java'))).toEqual(typescript);
});

test('Go: examples/quickstart-go (jsii runtime and constructs from the Go proxy, the module from dist/go) writes the same bytes', () => {
  const folder = path.join(EXAMPLES, 'quickstart-go');
  const binary = path.join(work, 'quickstart-go');
  timed('Go: go build', () => run('go', ['build', '-o', binary, '.'], folder));
  timed('Go quickstart', () => run(binary, [], folder, { ...ENV, CDK8S_OUTDIR: outdir('go') }));
  expect(digests(outdir('go'))).toEqual(typescript);
});
