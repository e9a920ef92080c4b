// Apply benchmark (design §8, issue #4): a 10-member fleet (5 direct, 5 agent) applied to sandbox clusters that
// all answer with the same injected latency, measured in one run for
//   1. ksfed apply (first apply),
//   2. ksfed apply again with nothing changed,
//   3. kubectl apply --server-side of the same folders, one cluster after another (placeholders pre-filled, since
//      kubectl cannot fill them; each folder re-applied until it succeeds, as CRDs need a moment to be served),
// and compared with the round-trip bound: objects on the critical path (the host, then the busiest member)
// x latency / concurrency. Each ksfed run is paired with the same first apply at 0 ms injected latency: the
// no-latency floor, the part of a first apply that is the two processes' own work, which no scheduling hides.
// Usage: npm run bench:apply [-- <latency ms> <concurrency> <runs>]   (defaults 50 ms, 8, 1)
// On real API servers: npm run bench:apply -- --real [<latency ms> <concurrency> <runs>]   (benchmarks/apply-real.ts)
// ksfed runs in a fresh process of its own each time (like the `ksfed` CLI: nothing compiled or warmed up by an
// earlier run), against fresh sandbox clusters. With several runs, its first apply and re-apply are measured that
// many times (kubectl once) and given per run and as the median: the machines these run on are noisy.
import { ChildProcess, execFile, fork } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { PLACEHOLDER_PATTERN } from 'cdk8s-kubesphere-federation/lib/contract/federation-json';
import { apply, ApplyEvent } from 'ksfed';
import { SandboxOptions } from 'ksfed-sandbox';
import { fleet, MEMBERS } from './fleet';

/** A copy of dist with every placeholder replaced by a value of the right shape, for kubectl. */
function filledCopy(dist: string): string {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ksfed-bench-kubectl-'));
  const b64 = Buffer.from('placeholder').toString('base64');
  for (const cluster of fs.readdirSync(dist, { withFileTypes: true }).filter(e => e.isDirectory())) {
    fs.mkdirSync(path.join(out, cluster.name));
    for (const file of fs.readdirSync(path.join(dist, cluster.name))) {
      const text = fs.readFileSync(path.join(dist, cluster.name, file), 'utf8').replace(PLACEHOLDER_PATTERN, b64);
      fs.writeFileSync(path.join(out, cluster.name, file), text);
    }
  }
  return out;
}

const run = promisify(execFile);

async function kubectlApply(kubeconfig: string, folder: string, context: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await run('kubectl', ['--kubeconfig', kubeconfig, '--context', context, 'apply', '--server-side', '--force-conflicts', '--validate=false', '-f', folder]);
      return;
    } catch (e) {
      if (attempt >= 20) throw e;
    }
  }
}

/** Sandbox clusters in a child process (benchmarks/sandbox-process.ts), so they do not share the applier's CPU. */
class SandboxProcess {
  public static async start(options: SandboxOptions): Promise<SandboxProcess> {
    const child = fork(path.join(__dirname, 'sandbox-process.ts'), [JSON.stringify(options)], {
      execArgv: ['-r', 'ts-node/register/transpile-only'],
      env: { ...process.env, TS_NODE_PROJECT: process.env.TS_NODE_PROJECT ?? 'examples/tsconfig.json' },
    });
    const sandbox = new SandboxProcess(child);
    const ready = await sandbox.next('ready');
    sandbox.kubeconfigYaml = ready.kubeconfig;
    return sandbox;
  }

  public kubeconfigYaml = '';

  private constructor(private readonly child: ChildProcess) {
    child.on('exit', code => {
      if (code) console.error(`the sandbox process exited with ${code}`);
    });
  }

  /** Requests per cluster since the last clear, and how many of them were mutating (not dry-run, not GET). */
  public async requests(): Promise<{ counts: { [cluster: string]: number }; mutating: number; cpuMs: number }> {
    const answer = this.next('requests');
    this.child.send({ type: 'requests' });
    return answer;
  }

  public async clear(): Promise<void> {
    const answer = this.next('cleared');
    this.child.send({ type: 'clear' });
    await answer;
  }

  public async stop(): Promise<void> {
    const exited = new Promise(resolve => this.child.once('exit', resolve));
    this.child.send({ type: 'stop' });
    await exited;
  }

  private next(type: string): Promise<any> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: any) => {
        if (m?.type !== type) return;
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        resolve(m);
      };
      const onExit = (code: number) => reject(new Error(`the sandbox process exited (${code}) before answering ${type}`));
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
    });
  }
}

/** One ksfed first apply and re-apply, on fresh sandbox clusters (measured by measureKsfed). */
interface KsfedRun {
  readonly firstMs: number;
  readonly firstRequests: number;
  readonly firstHostRequests: number;
  readonly firstCpuMs: number;
  readonly firstSandboxCpuMs: number;
  readonly againMs: number;
  readonly againRequests: number;
  readonly againHostRequests: number;
  readonly againMutating: number;
  readonly versionsMoved: number;
  readonly againCpuMs: number;
  readonly againSandboxCpuMs: number;
  /** The retries of both applies, as ksfed reported them (cluster: message). */
  readonly retries: string[];
}

/** A first apply and a re-apply with nothing changed, on fresh sandbox clusters, timed in this process. */
async function measureKsfed(dist: string, options: SandboxOptions, concurrency: number, clusters: number): Promise<KsfedRun> {
  const sandbox = await SandboxProcess.start(options);
  // (outside dist: ksfed refuses a file there that federation.json does not list)
  const kubeconfig = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ksfed-bench-kc-')), 'sandbox.kubeconfig');
  fs.writeFileSync(kubeconfig, sandbox.kubeconfigYaml, { mode: 0o600 });
  // `concurrency` requests in flight per cluster, like the bound below assumes (and like kubectl, one process per
  // cluster); the overall cap is set so it never binds: with it at `concurrency` too, the ten members could not
  // run side by side as the bound's "busiest member" term assumes.
  const retries: string[] = [];
  const ksfedOptions = {
    kubeconfig,
    concurrency: concurrency * clusters,
    perClusterConcurrency: concurrency,
    pollIntervalMs: 20,
    output: (e: ApplyEvent) => {
      if (e.type === 'retry') retries.push(`${e.cluster}: ${e.message}`);
    },
  };
  const total = (r: { counts: { [c: string]: number } }) => Object.values(r.counts).reduce((a, b) => a + b, 0);
  const ms = (c: NodeJS.CpuUsage) => Math.round((c.user + c.system) / 1000);
  const idle = await sandbox.requests();
  let start = Date.now();
  let cpu = process.cpuUsage();
  const first = await apply(dist, ksfedOptions);
  const firstMs = Date.now() - start;
  const firstCpu = process.cpuUsage(cpu);
  if (!first.success) throw new Error(`first apply failed: ${JSON.stringify(first.clusters.map(c => [c.name, c.status, c.error]))}`);
  const firstRequests = await sandbox.requests();
  await sandbox.clear();
  const between = await sandbox.requests();
  start = Date.now();
  cpu = process.cpuUsage();
  const again = await apply(dist, ksfedOptions);
  const againMs = Date.now() - start;
  const againCpu = process.cpuUsage(cpu);
  if (!again.success) throw new Error(`re-apply failed: ${JSON.stringify(again.clusters.map(c => [c.name, c.status, c.error]))}`);
  const againRequests = await sandbox.requests();
  await sandbox.stop();
  return {
    firstMs,
    firstRequests: total(firstRequests),
    firstHostRequests: firstRequests.counts.host,
    firstCpuMs: ms(firstCpu),
    firstSandboxCpuMs: firstRequests.cpuMs - idle.cpuMs,
    againMs,
    againRequests: total(againRequests),
    againHostRequests: againRequests.counts.host,
    againMutating: againRequests.mutating,
    versionsMoved: again.clusters.flatMap(c => c.objects).filter(o => o.result !== 'unchanged').length,
    againCpuMs: ms(againCpu),
    againSandboxCpuMs: againRequests.cpuMs - between.cpuMs,
    retries,
  };
}

/** The ksfed side of one run, in a fresh process (see ksfedRun); answers with its KsfedRun over IPC. */
async function childRun(): Promise<void> {
  const { dist, options, concurrency, clusters } = JSON.parse(process.argv[3]);
  process.send!(await measureKsfed(dist, options, concurrency, clusters));
  process.disconnect();
}

/** Runs measureKsfed in a fresh process. */
async function ksfedRun(dist: string, options: SandboxOptions, concurrency: number, clusters: number): Promise<KsfedRun> {
  const child = fork(__filename, ['--ksfed-run', JSON.stringify({ dist, options, concurrency, clusters })], {
    execArgv: ['-r', 'ts-node/register/transpile-only'],
    env: { ...process.env, TS_NODE_PROJECT: process.env.TS_NODE_PROJECT ?? 'examples/tsconfig.json' },
  });
  return new Promise((resolve, reject) => {
    child.once('message', m => resolve(m as KsfedRun));
    child.once('exit', code => reject(new Error(`the ksfed run exited (${code}) without a result`)));
  });
}

async function main(): Promise<void> {
  const latencyMs = Number(process.argv[2] ?? 50);
  const concurrency = Number(process.argv[3] ?? 8);
  const runs = Math.max(1, Number(process.argv[4] ?? 1));
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'ksfed-bench-apply-'));
  const app = fleet(dist);
  const names = app.clusterNames;
  const options: SandboxOptions = { clusters: names, faults: { latencyMs }, establishDelayMs: 0, rolloutDelayMs: 0, kubesphereDelayMs: 0 };
  const objects = new Map(names.map(n => [n, app.synthesizedObjects(n).length]));
  console.log(`machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
  console.log(`fleet: 1 host + ${MEMBERS} members (${objects.get('host')} host objects), latency ${latencyMs} ms per request, ksfed concurrency ${concurrency}`);

  // 1 + 2: ksfed, first apply and re-apply, on fresh sandbox clusters each run; each paired with the same at 0 ms
  const measured: KsfedRun[] = [];
  const floors: KsfedRun[] = [];
  for (let i = 0; i < runs; i++) {
    measured.push(await ksfedRun(dist, options, concurrency, names.length));
    floors.push(await ksfedRun(dist, { ...options, faults: { latencyMs: 0 } }, concurrency, names.length));
  }

  // 3: kubectl, one cluster after another, on fresh sandbox clusters
  const sandbox = await SandboxProcess.start({ ...options, anonymous: true });
  const kubeconfig = path.join(dist, 'sandbox-kubectl.kubeconfig');
  fs.writeFileSync(kubeconfig, sandbox.kubeconfigYaml, { mode: 0o600 });
  const filled = filledCopy(dist);
  const start = Date.now();
  for (const name of names) await kubectlApply(kubeconfig, path.join(filled, name), name);
  const kubectlMs = Date.now() - start;
  await sandbox.stop();

  // The bound (design section 8): objects on the critical path x latency / concurrency. The critical path is the
  // host's folder, then the largest member folder (a member's join needs the host's state).
  const hostObjects = objects.get('host') ?? 0;
  const busiestMember = Math.max(...names.filter(n => n !== 'host').map(n => objects.get(n) ?? 0));
  const boundMs = (Math.ceil(hostObjects / concurrency) + Math.ceil(busiestMember / concurrency)) * latencyMs;

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  console.log('');
  for (const [i, r] of measured.entries()) {
    const label = runs > 1 ? `run ${i + 1}: ` : '';
    console.log(`${label}ksfed apply (first)          ${String(r.firstMs).padStart(7)} ms   ${r.firstRequests} requests (host ${r.firstHostRequests}), CPU: ksfed ${r.firstCpuMs} ms, sandbox ${r.firstSandboxCpuMs} ms`);
    console.log(`${label}ksfed apply (nothing changed)${String(r.againMs).padStart(7)} ms   ${r.againRequests} requests (host ${r.againHostRequests}), ${r.againMutating} mutating, ${r.versionsMoved} objects changed, CPU: ksfed ${r.againCpuMs} ms, sandbox ${r.againSandboxCpuMs} ms`);
    for (const retry of [...r.retries, ...floors[i].retries]) console.log(`${label}retry: ${retry}`);
  }
  const firstMs = median(measured.map(r => r.firstMs));
  const againMs = median(measured.map(r => r.againMs));
  const floorMs = median(floors.map(r => r.firstMs));
  const range = (xs: number[]) => `${Math.min(...xs)}-${Math.max(...xs)} ms`;
  if (runs > 1) {
    console.log(`median of ${runs}: first apply ${firstMs} ms (${range(measured.map(r => r.firstMs))}), re-apply ${againMs} ms (${range(measured.map(r => r.againMs))})`);
  }
  console.log(`no-latency floor             ${String(floorMs).padStart(7)} ms   (the same first apply at 0 ms${runs > 1 ? `, median; ${range(floors.map(r => r.firstMs))}` : ''}; CPU: ksfed ${median(floors.map(r => r.firstCpuMs))} ms, sandbox ${median(floors.map(r => r.firstSandboxCpuMs))} ms)`);
  console.log(`kubectl, cluster by cluster  ${String(kubectlMs).padStart(7)} ms`);
  console.log(`round-trip bound             ${String(boundMs).padStart(7)} ms   (ceil(${hostObjects}/${concurrency}) + ceil(${busiestMember}/${concurrency})) x ${latencyMs} ms`);
  console.log('');
  const of = runs > 1 ? ' (median)' : '';
  console.log(`speed-up over kubectl: x${(kubectlMs / firstMs).toFixed(1)}${of} (target >= 5)`);
  console.log(`first apply / bound:   x${(firstMs / boundMs).toFixed(2)}${of} (target <= 1.5)${runs > 1 ? `; per run ${measured.map(r => 'x' + (r.firstMs / boundMs).toFixed(2)).join(' ')}` : ''}`);
  console.log(`re-apply / first:      x${(againMs / firstMs).toFixed(2)}${of}`);
  // What the target leaves for waiting on the network once the work that does not wait on it is done.
  const left = Math.round(1.5 * boundMs - floorMs);
  console.log(`floor / bound:         x${(floorMs / boundMs).toFixed(2)}: the target leaves ${left} ms beyond the floor for the ${Math.round(boundMs / latencyMs)} rounds of ${latencyMs} ms the bound counts (${boundMs} ms)`);
  fs.rmSync(dist, { recursive: true, force: true });
  fs.rmSync(filled, { recursive: true, force: true });
}

/** `--real`: the same fleet on real API servers behind latency proxies (benchmarks/apply-real.ts). */
function realRun(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./apply-real').realMain(process.argv.slice(3));
}

(process.argv[2] === '--ksfed-run' ? childRun() : process.argv[2] === '--real' ? realRun() : main()).catch(e => {
  console.error(e);
  process.exit(1);
});
