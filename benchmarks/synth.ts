// Synth benchmark: 1 host + N members (half direct, half agent), synthesized to a temporary folder.
// Each size runs in a fresh child process, so peak memory (maxRSS) is that size's alone.
// Usage: npm run bench:synth [-- 10 100 1000]
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Connection, FederationApp, Host, Member } from '../src';

function buildAndSynth(members: number): { ms: number; files: number; maxRssMiB: number } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ksfed-bench-'));
  const start = process.hrtime.bigint();
  const app = new FederationApp({ outdir });
  const host = new Host(app, 'host', { name: 'host', capacity: { nodes: 3 } });
  for (let i = 0; i < members; i++) {
    new Member(app, `m${i}`, {
      host,
      name: `member-${i}`,
      region: `region-${i % 5}`,
      group: i % 2 === 0 ? 'production' : 'development',
      connection: i % 2 === 0 ? Connection.direct() : Connection.agent(),
    });
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

if (process.env.KSFED_BENCH_CHILD) {
  const result = buildAndSynth(Number(process.env.KSFED_BENCH_CHILD));
  process.stdout.write(JSON.stringify(result));
} else {
  const sizes = process.argv.slice(2).map(Number).filter(n => n > 0);
  const runs = sizes.length > 0 ? sizes : [10, 100, 1000];
  console.log(`machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
  console.log('members  clusters  files   synth ms  ms/cluster  peak RSS MiB');
  let previous: { members: number; ms: number } | undefined;
  for (const members of runs) {
    // best of 3 runs, each in a fresh process
    const results = [0, 1, 2].map(() => JSON.parse(execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', __filename], {
      env: { ...process.env, KSFED_BENCH_CHILD: String(members), TS_NODE_PROJECT: path.join(__dirname, '..', 'examples', 'tsconfig.json') },
      encoding: 'utf8',
    })));
    const best = results.reduce((a, b) => (b.ms < a.ms ? b : a));
    const rss = Math.max(...results.map(r => r.maxRssMiB));
    const growth = previous ? `  (x${(best.ms / previous.ms).toFixed(1)} time for x${members / previous.members} clusters)` : '';
    console.log(`${String(members).padStart(7)}  ${String(members + 1).padStart(8)}  ${String(best.files).padStart(5)}  ${best.ms.toFixed(0).padStart(9)}  ${(best.ms / (members + 1)).toFixed(2).padStart(10)}  ${rss.toFixed(0).padStart(12)}${growth}`);
    previous = { members, ms: best.ms };
  }
}
