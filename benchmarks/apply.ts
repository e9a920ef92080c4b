// Apply benchmark (design §8, issue #4): a 10-member fleet (5 direct, 5 agent) applied to sandbox clusters that
// all answer with the same injected latency, measured in one run for
//   1. ksfed apply (first apply),
//   2. ksfed apply again with nothing changed,
//   3. kubectl apply --server-side of the same folders, one cluster after another (placeholders pre-filled, since
//      kubectl cannot fill them; each folder re-applied until it succeeds, as CRDs need a moment to be served),
// and compared with the round-trip bound: objects on the critical path (the host, then the busiest member)
// x latency / concurrency.
// Usage: npm run bench:apply [-- <latency ms> <concurrency>]   (defaults 20 ms, 8)
import { ChildProcess, execFile, fork } from 'child_process';
import { promisify } from 'util';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Connection, FederationApp, Host, Member } from '../src';
import { apply } from '../src/applier';
import { SandboxOptions } from '../src/sandbox';

const latencyMs = Number(process.argv[2] ?? 20);
const concurrency = Number(process.argv[3] ?? 8);
const MEMBERS = 10;

function fleet(outdir: string): FederationApp {
  const app = new FederationApp({ outdir });
  const host = new Host(app, 'host', { name: 'host', capacity: { nodes: 3 } });
  for (let i = 0; i < MEMBERS; i++) {
    new Member(app, `m${i}`, { host, name: `member-${i}`, connection: i % 2 === 0 ? Connection.direct() : Connection.agent() });
  }
  app.synth();
  return app;
}

/** A copy of dist with every placeholder replaced by a value of the right shape, for kubectl. */
function filledCopy(dist: string): string {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ksfed-bench-kubectl-'));
  const b64 = Buffer.from('placeholder').toString('base64');
  for (const cluster of fs.readdirSync(dist, { withFileTypes: true }).filter(e => e.isDirectory())) {
    fs.mkdirSync(path.join(out, cluster.name));
    for (const file of fs.readdirSync(path.join(dist, cluster.name))) {
      const text = fs.readFileSync(path.join(dist, cluster.name, file), 'utf8').replace(/\{\{ksfed:[^}]+\}\}/g, b64);
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

async function main(): Promise<void> {
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'ksfed-bench-apply-'));
  const app = fleet(dist);
  const names = app.clusterNames;
  const options: SandboxOptions = { clusters: names, faults: { latencyMs }, establishDelayMs: 0, rolloutDelayMs: 0, kubesphereDelayMs: 0 };
  const objects = new Map(names.map(n => [n, app.synthesizedObjects(n).length]));
  console.log(`machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
  console.log(`fleet: 1 host + ${MEMBERS} members (${objects.get('host')} host objects), latency ${latencyMs} ms per request, ksfed concurrency ${concurrency}`);

  // 1 + 2: ksfed, first apply and re-apply
  let sandbox = await SandboxProcess.start(options);
  let kubeconfig = path.join(dist, 'sandbox.kubeconfig');
  fs.writeFileSync(kubeconfig, sandbox.kubeconfigYaml, { mode: 0o600 });
  // `concurrency` requests in flight per cluster, like the bound below assumes (and like kubectl, one process per
  // cluster); the overall cap is set so it never binds: with it at `concurrency` too, the ten members could not
  // run side by side as the bound's "busiest member" term assumes.
  const ksfedOptions = { kubeconfig, concurrency: concurrency * names.length, perClusterConcurrency: concurrency, pollIntervalMs: 20 };
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
  const versionsMoved = again.clusters.flatMap(c => c.objects).filter(o => o.result !== 'unchanged').length;
  await sandbox.stop();

  // 3: kubectl, one cluster after another, on fresh sandbox clusters
  sandbox = await SandboxProcess.start({ ...options, anonymous: true });
  kubeconfig = path.join(dist, 'sandbox-kubectl.kubeconfig');
  fs.writeFileSync(kubeconfig, sandbox.kubeconfigYaml, { mode: 0o600 });
  const filled = filledCopy(dist);
  start = Date.now();
  for (const name of names) await kubectlApply(kubeconfig, path.join(filled, name), name);
  const kubectlMs = Date.now() - start;
  await sandbox.stop();

  // The bound (design section 8): objects on the critical path x latency / concurrency. The critical path is the
  // host's folder, then the largest member folder (a member's join needs the host's state).
  const hostObjects = objects.get('host') ?? 0;
  const busiestMember = Math.max(...names.filter(n => n !== 'host').map(n => objects.get(n) ?? 0));
  const boundMs = (Math.ceil(hostObjects / concurrency) + Math.ceil(busiestMember / concurrency)) * latencyMs;
  const total = (r: { counts: { [c: string]: number } }) => Object.values(r.counts).reduce((a, b) => a + b, 0);
  const ms = (c: NodeJS.CpuUsage) => Math.round((c.user + c.system) / 1000);

  console.log('');
  console.log(`ksfed apply (first)          ${String(firstMs).padStart(7)} ms   ${total(firstRequests)} requests (host ${firstRequests.counts.host}), CPU: ksfed ${ms(firstCpu)} ms, sandbox ${firstRequests.cpuMs - idle.cpuMs} ms`);
  console.log(`ksfed apply (nothing changed)${String(againMs).padStart(7)} ms   ${total(againRequests)} requests (host ${againRequests.counts.host}), ${againRequests.mutating} mutating, ${versionsMoved} objects changed, CPU: ksfed ${ms(againCpu)} ms, sandbox ${againRequests.cpuMs - between.cpuMs} ms`);
  console.log(`kubectl, cluster by cluster  ${String(kubectlMs).padStart(7)} ms`);
  console.log(`round-trip bound             ${String(boundMs).padStart(7)} ms   (ceil(${hostObjects}/${concurrency}) + ceil(${busiestMember}/${concurrency})) x ${latencyMs} ms`);
  console.log('');
  console.log(`speed-up over kubectl: x${(kubectlMs / firstMs).toFixed(1)} (target >= 5)`);
  console.log(`first apply / bound:   x${(firstMs / boundMs).toFixed(2)} (target <= 1.5)`);
  console.log(`re-apply / first:      x${(againMs / firstMs).toFixed(2)}`);
  fs.rmSync(dist, { recursive: true, force: true });
  fs.rmSync(filled, { recursive: true, force: true });
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
