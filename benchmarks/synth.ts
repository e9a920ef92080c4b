// Synth benchmarks, each size in a fresh child process so peak memory (maxRSS) is that size's alone:
//  - members: 1 host + N members (half direct, half agent);
//  - fleet: 1 host + N members + N/2 workspaces + 2N federated apps (Deployment + Service + ConfigMap each,
//    one per-cluster override, weighted replicas; every fourth app rendered into the members' folders).
// Usage: npm run bench:synth [-- 10 100 1000]   (member counts; the fleet runs at 100 and 200 members)
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Connection, FederatedApp, FederationApp, FederationMode, Host, Member, Placement, Workspace } from 'cdk8s-kubesphere-federation';
import * as kplus from 'cdk8s-plus-27';

function buildAndSynth(members: number, fleet: boolean): { ms: number; files: number; maxRssMiB: number } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ksfed-bench-'));
  const start = process.hrtime.bigint();
  const app = new FederationApp({ outdir });
  const host = new Host(app, 'host', { name: 'host', capacity: { nodes: 3 } });
  const all: Member[] = [];
  for (let i = 0; i < members; i++) {
    all.push(new Member(app, `m${i}`, {
      host,
      name: `member-${i}`,
      region: `region-${i % 5}`,
      group: i % 2 === 0 ? 'production' : 'development',
      connection: i % 2 === 0 ? Connection.direct() : Connection.agent(),
    }));
  }
  if (fleet) {
    const workspaces = members / 2;
    for (let w = 0; w < workspaces; w++) {
      // each workspace spans four consecutive members; each of its four apps sits on three of them
      const clusters = [0, 1, 2, 3].map(k => all[(w * 2 + k) % members]);
      const ws = new Workspace(host, `ws${w}`, { name: `ws-${w}`, placement: Placement.clusters(...clusters), manager: `user-${w}` });
      const project = ws.addProject(`ws-${w}-prod`);
      for (let a = 0; a < 4; a++) {
        const placed = clusters.filter((_, k) => k !== a);
        const web = new FederatedApp(project, `app${a}`, {
          placement: Placement.clusters(...placed),
          mode: a === 3 ? FederationMode.RENDERED : FederationMode.FEDERATED,
        });
        const config = new kplus.ConfigMap(web.template, `app-${a}-config`, { data: { APP: String(a) } });
        const deployment = new kplus.Deployment(web.template, `app-${a}`, {
          containers: [{ name: 'web', image: 'nginx:1.25', portNumber: 8080, envFrom: [kplus.Env.fromConfigMap(config)] }],
        });
        deployment.exposeViaService({ name: `app-${a}`, ports: [{ port: 80, targetPort: 8080 }] });
        web.override(placed[0], deployment, { image: 'mirror.local/nginx:1.25' });
        web.scheduleReplicas({ totalReplicas: 6, clusters: placed.map((cluster, k) => ({ cluster, weight: k + 1 })) });
      }
    }
  }
  app.synth();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  let files = 0;
  for (const entry of fs.readdirSync(outdir, { withFileTypes: true })) {
    files += entry.isDirectory() ? fs.readdirSync(path.join(outdir, entry.name)).length : 1;
  }
  fs.rmSync(outdir, { recursive: true, force: true });
  return { ms, files, maxRssMiB: process.resourceUsage().maxRSS / 1024 };
}

function measure(members: number, fleet: boolean): { ms: number; files: number; maxRssMiB: number } {
  // best of 3 runs, each in a fresh process
  const results = [0, 1, 2].map(() => JSON.parse(execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', __filename], {
    env: { ...process.env, KSFED_BENCH_CHILD: `${fleet ? 'fleet' : 'members'}:${members}`, TS_NODE_PROJECT: path.join(__dirname, '..', 'examples', 'tsconfig.json') },
    encoding: 'utf8',
  })));
  const best = results.reduce((a, b) => (b.ms < a.ms ? b : a));
  return { ...best, maxRssMiB: Math.max(...results.map(r => r.maxRssMiB)) };
}

if (process.env.KSFED_BENCH_CHILD) {
  const [kind, count] = process.env.KSFED_BENCH_CHILD.split(':');
  process.stdout.write(JSON.stringify(buildAndSynth(Number(count), kind === 'fleet')));
} else {
  const sizes = process.argv.slice(2).map(Number).filter(n => n > 0);
  const runs = sizes.length > 0 ? sizes : [10, 100, 1000];
  console.log(`machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
  console.log('members  clusters  files   synth ms  ms/cluster  peak RSS MiB');
  let previous: { members: number; ms: number } | undefined;
  for (const members of runs) {
    const best = measure(members, false);
    const rss = best.maxRssMiB;
    const growth = previous ? `  (x${(best.ms / previous.ms).toFixed(1)} time for x${members / previous.members} clusters)` : '';
    console.log(`${String(members).padStart(7)}  ${String(members + 1).padStart(8)}  ${String(best.files).padStart(5)}  ${best.ms.toFixed(0).padStart(9)}  ${(best.ms / (members + 1)).toFixed(2).padStart(10)}  ${rss.toFixed(0).padStart(12)}${growth}`);
    previous = { members, ms: best.ms };
  }
  console.log('');
  console.log('fleet: members  workspaces  apps   files   synth ms  peak RSS MiB');
  let last: { ms: number; rss: number } | undefined;
  for (const members of [100, 200]) {
    const r = measure(members, true);
    const growth = last ? `  (x${(r.ms / last.ms).toFixed(2)} time, x${(r.maxRssMiB / last.rss).toFixed(2)} memory for x2 fleet)` : '';
    console.log(`       ${String(members).padStart(7)}  ${String(members / 2).padStart(10)}  ${String(members * 2).padStart(4)}  ${String(r.files).padStart(6)}  ${r.ms.toFixed(0).padStart(9)}  ${r.maxRssMiB.toFixed(0).padStart(12)}${growth}`);
    last = { ms: r.ms, rss: r.maxRssMiB };
  }
}
