// Apply benchmark on real API servers (issue #16 item 4): `npm run bench:apply -- --real [latency] [concurrency] [runs]`
// (benchmarks/apply.ts hands `--real` over to this file). The 10-member fleet of benchmarks/apply.ts, applied to a
// RealFleet (src/real-fleet: one real kube-apiserver v1.34.4 per cluster, with its stand-ins for what a bare API
// server lacks), each API server behind a latency proxy of our own (LatencyProxy below). Each run measures, each
// on a fresh fleet:
//   1. ksfed apply (first apply), in a fresh process, then ksfed apply again with nothing changed (same process),
//   2. kubectl apply --server-side on all clusters in parallel (one kubectl process per cluster at once),
//   3. kubectl apply --server-side cluster by cluster,
// and compares them with the round-trip bound of benchmarks/apply.ts: objects on the critical path x latency /
// concurrency. With a latency above 0, each run also measures ksfed's first apply on a fresh fleet with no latency:
// the reaction floor (the fleet's reactions and the servers' and ksfed's own work, which no ordering of requests
// hides), and the first apply beyond that floor against the bound. Defaults: 50 ms, concurrency 8, 5 runs.
import { ChildProcess, execFile, fork } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { FEDERATION_FILE, FederationJson, FederationJsonPlaceholder, PLACEHOLDER_PATTERN } from 'cdk8s-kubesphere-federation/lib/contract/federation-json';
import * as yaml from 'js-yaml';
import { apply } from 'ksfed';
import { selfSignedCertificate } from 'ksfed/lib/x509';
import { RealFleet } from 'ksfed-sandbox/lib/real-fleet';
import { fleet, MEMBERS } from './fleet';

/**
 * A copy of dist with every placeholder replaced by a value of the right shape, for kubectl (as benchmarks/apply.ts),
 * except KubeFed's webhook certificate: a real API server calls the webhook, so it gets a real self-signed
 * certificate for the webhook Service's names (what a kubectl user would have to generate).
 */
function filledCopy(dist: string): string {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ksfed-bench-real-kubectl-'));
  const b64 = Buffer.from('placeholder').toString('base64');
  const placeholders: FederationJsonPlaceholder[] = (JSON.parse(fs.readFileSync(path.join(dist, FEDERATION_FILE), 'utf8')) as FederationJson).placeholders;
  const webhooks = placeholders.flatMap(p => p.source.type === 'webhook-certificate' ? [{ id: p.id, source: p.source }] : []);
  const cert = webhooks.length > 0 ? selfSignedCertificate({ dnsNames: webhooks[0].source.dnsNames, validDays: 365 }) : undefined;
  const values = new Map<string, string>();
  for (const p of webhooks) {
    values.set(p.id, Buffer.from(p.source.part === 'key' ? cert!.keyPem : cert!.certPem).toString('base64'));
  }
  for (const cluster of fs.readdirSync(dist, { withFileTypes: true }).filter(e => e.isDirectory())) {
    fs.mkdirSync(path.join(out, cluster.name));
    for (const file of fs.readdirSync(path.join(dist, cluster.name))) {
      const text = fs.readFileSync(path.join(dist, cluster.name, file), 'utf8').replace(PLACEHOLDER_PATTERN, (_, id) => values.get(id) ?? b64);
      fs.writeFileSync(path.join(out, cluster.name, file), text);
    }
  }
  return out;
}

/**
 * A TCP proxy on 127.0.0.1 in front of one API server. It terminates nothing (TLS passes through; the server's
 * certificate, whose SANs hold 127.0.0.1, still verifies) and delays every chunk of bytes, in each direction, by
 * half the round trip, keeping their order. So a request and its answer take one round trip more than the server
 * needs, requests on one connection pipeline as on a real link (bandwidth is not limited), and a TLS handshake
 * costs its real round trips. The TCP handshake itself is not delayed (the client connects to the local proxy).
 */
class LatencyProxy {
  public static async start(target: number, latencyMs: number): Promise<LatencyProxy> {
    const proxy = new LatencyProxy(target, latencyMs / 2);
    await new Promise<void>(resolve => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  public connections = 0;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  private constructor(target: number, private readonly halfMs: number) {
    this.server = net.createServer(client => {
      this.connections++;
      const upstream = net.connect(target, '127.0.0.1');
      for (const s of [client, upstream]) {
        s.setNoDelay(true);
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => { client.destroy(); upstream.destroy(); });
      }
      this.pipe(client, upstream);
      this.pipe(upstream, client);
    });
  }

  public get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  public async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise(resolve => this.server.close(resolve));
  }

  /** from -> to, each chunk (and the end) half a round trip later; equal timeouts fire in the order set. */
  private pipe(from: net.Socket, to: net.Socket): void {
    const later = (f: () => void) => (this.halfMs > 0 ? setTimeout(f, this.halfMs) : setImmediate(f));
    from.on('data', chunk => later(() => { if (!to.destroyed) to.write(chunk); }));
    from.on('end', () => later(() => { if (!to.destroyed) to.end(); }));
  }
}

/** A fresh RealFleet with a LatencyProxy in front of each API server, and a kubeconfig that points at the proxies. */
class ProxiedFleet {
  public static async start(names: string[], latencyMs: number): Promise<ProxiedFleet> {
    const real = await RealFleet.start({ clusters: names, standIns: true });
    const proxies = new Map<string, LatencyProxy>();
    for (const n of names) proxies.set(n, await LatencyProxy.start(Number(new URL(real.server(n)).port), latencyMs));
    const config = real.kubeconfig();
    for (const c of config.clusters) c.cluster.server = `https://127.0.0.1:${proxies.get(c.name)!.port}`;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ksfed-bench-real-kc-'));
    const kubeconfig = path.join(dir, 'proxied.kubeconfig');
    fs.writeFileSync(kubeconfig, yaml.dump(config), { mode: 0o600 });
    return new ProxiedFleet(real, proxies, kubeconfig);
  }

  private constructor(public readonly real: RealFleet, private readonly proxies: Map<string, LatencyProxy>, public readonly kubeconfig: string) {}

  /** TCP connections opened through the proxies so far. */
  public get connections(): number {
    return [...this.proxies.values()].reduce((a, p) => a + p.connections, 0);
  }

  public async stop(): Promise<void> {
    for (const p of this.proxies.values()) await p.stop();
    await this.real.stop();
    fs.rmSync(path.dirname(this.kubeconfig), { recursive: true, force: true });
  }
}

const run = promisify(execFile);

/** kubectl apply --server-side of one folder, re-applied until it succeeds (CRDs need a moment to be served). */
async function kubectlApply(kubeconfig: string, folder: string, context: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      await run('kubectl', ['--kubeconfig', kubeconfig, '--context', context, 'apply', '--server-side', '--force-conflicts', '--validate=false', '-f', folder],
        { maxBuffer: 64 * 1024 * 1024 });
      return attempt;
    } catch (e) {
      if (attempt >= 20) throw e;
    }
  }
}

/** One ksfed run: first apply and re-apply with nothing changed. */
interface KsfedRun {
  readonly firstMs: number;
  readonly againMs: number;
  readonly objectsChanged: number;
  readonly firstCpuMs: number;
  readonly retries: string[];
  /** The first apply's waits and cluster completions, in ms since its start. */
  readonly timeline: string[];
}

/** In a fresh process (forked by ksfedRun): a first apply and a re-apply, timed here. */
async function childRun(): Promise<void> {
  const { dist, kubeconfig, concurrency, clusters } = JSON.parse(process.argv[3]);
  const retries: string[] = [];
  const timeline: string[] = [];
  let start = Date.now();
  let firstRun = true;
  const options = {
    kubeconfig,
    concurrency: concurrency * clusters,
    perClusterConcurrency: concurrency,
    pollIntervalMs: 20,
    output: (e: any) => {
      if (e.type === 'retry') retries.push(`${e.cluster}: ${e.message}`);
      // Where a first apply's time goes: when each wait starts and when each cluster is done.
      if (firstRun && e.type === 'wait') timeline.push(`${Date.now() - start} ms ${e.cluster} waits: ${e.object} ${e.message}`);
      if (firstRun && e.type === 'cluster-done') timeline.push(`${Date.now() - start} ms ${e.cluster} done`);
    },
  };
  start = Date.now();
  const cpu = process.cpuUsage();
  const first = await apply(dist, options);
  const firstMs = Date.now() - start;
  const used = process.cpuUsage(cpu);
  firstRun = false;
  if (!first.success) throw new Error(`first apply failed: ${JSON.stringify(first.clusters.map(c => [c.name, c.status, c.error]))}`);
  start = Date.now();
  const again = await apply(dist, options);
  const againMs = Date.now() - start;
  if (!again.success) throw new Error(`re-apply failed: ${JSON.stringify(again.clusters.map(c => [c.name, c.status, c.error]))}`);
  const objectsChanged = again.clusters.flatMap(c => c.objects).filter(o => o.result !== 'unchanged').length;
  const result: KsfedRun = { firstMs, againMs, objectsChanged, firstCpuMs: Math.round((used.user + used.system) / 1000), retries, timeline };
  process.send!(result);
  process.disconnect();
}

function ksfedRun(dist: string, kubeconfig: string, concurrency: number, clusters: number): Promise<KsfedRun> {
  const child: ChildProcess = fork(__filename, ['--ksfed-run', JSON.stringify({ dist, kubeconfig, concurrency, clusters })], {
    execArgv: ['-r', 'ts-node/register/transpile-only'],
    env: { ...process.env, TS_NODE_PROJECT: process.env.TS_NODE_PROJECT ?? 'examples/tsconfig.json' },
  });
  return new Promise((resolve, reject) => {
    child.once('message', m => resolve(m as KsfedRun));
    child.once('exit', code => reject(new Error(`the ksfed run exited (${code}) without a result`)));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const range = (xs: number[]) => `${Math.min(...xs)}-${Math.max(...xs)}`;
const load = () => os.loadavg().map(l => l.toFixed(2)).join(' ');

/** `--real [latency ms] [concurrency] [runs]` (argv after `--real`). */
export async function realMain(argv: string[]): Promise<void> {
  const latencyMs = Number(argv[0] ?? 50);
  const concurrency = Number(argv[1] ?? 8);
  const runs = Math.max(1, Number(argv[2] ?? 5));
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'ksfed-bench-real-'));
  const app = fleet(dist);
  const names = app.clusterNames;
  const objects = new Map(names.map(n => [n, app.synthesizedObjects(n).length]));
  const filled = filledCopy(dist);
  console.log(`machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}, load average ${load()}`);
  console.log(`real API servers (kube-apiserver v1.34.4, stand-ins on): 1 host + ${MEMBERS} members (${objects.get('host')} host objects), ` +
    `latency proxy ${latencyMs} ms round trip (${latencyMs / 2} ms per chunk each way), concurrency ${concurrency}, ${runs} runs`);

  const ksfed: KsfedRun[] = [];
  const floors: KsfedRun[] = [];
  const parallel: number[] = [];
  const sequential: number[] = [];
  for (let i = 0; i < runs; i++) {
    let f = await ProxiedFleet.start(names, latencyMs);
    const k = await ksfedRun(dist, f.kubeconfig, concurrency, names.length);
    const ksfedConnections = f.connections;
    await f.stop();
    ksfed.push(k);

    if (latencyMs > 0) {
      f = await ProxiedFleet.start(names, 0);
      floors.push(await ksfedRun(dist, f.kubeconfig, concurrency, names.length));
      await f.stop();
    }

    f = await ProxiedFleet.start(names, latencyMs);
    let start = Date.now();
    const attempts = await Promise.all(names.map(n => kubectlApply(f.kubeconfig, path.join(filled, n), n)));
    parallel.push(Date.now() - start);
    await f.stop();

    f = await ProxiedFleet.start(names, latencyMs);
    start = Date.now();
    const seqAttempts: number[] = [];
    for (const n of names) seqAttempts.push(await kubectlApply(f.kubeconfig, path.join(filled, n), n));
    sequential.push(Date.now() - start);
    await f.stop();

    console.log(`run ${i + 1}: ksfed first ${k.firstMs} ms (CPU ${k.firstCpuMs} ms, ${ksfedConnections} TCP connections for both applies), ` +
      `re-apply ${k.againMs} ms (${k.objectsChanged} objects changed); kubectl parallel ${parallel[i]} ms ` +
      `(${attempts.reduce((a, b) => a + b, 0)} kubectl runs), cluster by cluster ${sequential[i]} ms ` +
      `(${seqAttempts.reduce((a, b) => a + b, 0)} kubectl runs); load average ${load()}`);
    const floor = floors[i];
    if (floor) console.log(`run ${i + 1}: reaction floor (ksfed first apply at 0 ms) ${floor.firstMs} ms (CPU ${floor.firstCpuMs} ms); load average ${load()}`);
    for (const r of [...k.retries, ...floor?.retries ?? []]) console.log(`run ${i + 1}: retry: ${r}`);
    if (process.env.KSFED_BENCH_TIMELINE === '1') {
      for (const t of k.timeline) console.log(`run ${i + 1}: ${t}`);
      for (const t of floor?.timeline ?? []) console.log(`run ${i + 1} at 0 ms: ${t}`);
    }
  }

  const hostObjects = objects.get('host') ?? 0;
  const busiestMember = Math.max(...names.filter(n => n !== 'host').map(n => objects.get(n) ?? 0));
  const boundMs = (Math.ceil(hostObjects / concurrency) + Math.ceil(busiestMember / concurrency)) * latencyMs;
  const firstMs = median(ksfed.map(r => r.firstMs));
  const againMs = median(ksfed.map(r => r.againMs));
  const parMs = median(parallel);
  const seqMs = median(sequential);
  const m = runs > 1 ? `median of ${runs}, ` : '';
  console.log('');
  console.log(`ksfed apply (first)            ${String(firstMs).padStart(7)} ms   (${m}${range(ksfed.map(r => r.firstMs))} ms)`);
  console.log(`ksfed apply (nothing changed)  ${String(againMs).padStart(7)} ms   (${m}${range(ksfed.map(r => r.againMs))} ms)`);
  console.log(`kubectl, all clusters parallel ${String(parMs).padStart(7)} ms   (${m}${range(parallel)} ms)`);
  console.log(`kubectl, cluster by cluster    ${String(seqMs).padStart(7)} ms   (${m}${range(sequential)} ms)`);
  console.log(`round-trip bound               ${String(boundMs).padStart(7)} ms   (ceil(${hostObjects}/${concurrency}) + ceil(${busiestMember}/${concurrency})) x ${latencyMs} ms`);
  const floorMs = floors.length > 0 ? median(floors.map(r => r.firstMs)) : undefined;
  if (floorMs !== undefined) {
    console.log(`reaction floor                 ${String(floorMs).padStart(7)} ms   (${m}${range(floors.map(r => r.firstMs))} ms: ksfed's first apply at 0 ms, each on a fresh fleet)`);
  }
  console.log('');
  console.log(`speed-up over kubectl in parallel:      x${(parMs / firstMs).toFixed(1)} (target >= 5)`);
  console.log(`speed-up over kubectl cluster by cluster: x${(seqMs / firstMs).toFixed(1)}`);
  if (boundMs > 0) {
    console.log(`first apply / bound:                    x${(firstMs / boundMs).toFixed(2)} (target <= 1.2); per run ${ksfed.map(r => 'x' + (r.firstMs / boundMs).toFixed(2)).join(' ')}`);
  } else {
    console.log('first apply / bound:                    (no bound at 0 ms: this first apply is the reaction floor)');
  }
  if (floorMs !== undefined) {
    // (paired per run: each first apply with the floor run right after it, on the machine as it was then)
    const beyond = ksfed.map((r, i) => (r.firstMs - floors[i].firstMs) / boundMs);
    console.log(`floor / bound:                          x${(floorMs / boundMs).toFixed(2)}: the fleet's reactions and the servers' own work, which the bound does not count`);
    console.log(`(first apply - floor) / bound:          x${median(beyond).toFixed(2)} (median of the runs' pairs; per run ${beyond.map(b => 'x' + b.toFixed(2)).join(' ')}): what the latency adds, against the rounds the bound counts`);
  }
  console.log(`re-apply / first:                       x${(againMs / firstMs).toFixed(2)}`);
  fs.rmSync(dist, { recursive: true, force: true });
  fs.rmSync(filled, { recursive: true, force: true });
}

if (require.main === module && process.argv[2] === '--ksfed-run') {
  childRun().catch(e => {
    console.error(e);
    process.exit(1);
  });
}
