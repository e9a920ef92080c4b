// `npm run quickstart`: synthesize the quickstart fleet into examples/quickstart/dist, start sandbox clusters
// (in-memory Kubernetes API endpoints that play KubeSphere's part, a test double, not real clusters), apply every
// folder with ksfed, print the per-cluster report and the status table, and stop.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FederationApp } from 'cdk8s-kubesphere-federation';
import { apply, formatStatus, formatSummary, status } from 'ksfed';
import { Sandbox } from 'ksfed-sandbox';
import { quickstart } from './main';

async function main(): Promise<number> {
  const outdir = path.join(__dirname, 'dist');
  const app = new FederationApp({ outdir });
  quickstart(app);
  app.synth();

  const manifest = app.federationManifest();
  const where = path.relative(process.cwd(), outdir) || '.';
  console.log(`1. Synthesized ${manifest.clusters.length} clusters into ${where}/`);
  console.log('');
  const rows = manifest.clusters.map((c: any) => [c.name, c.role, c.connection ?? '-', String(c.objects.length), c.dependsOn.join(',') || '-']);
  const header = ['CLUSTER', 'ROLE', 'CONNECTION', 'OBJECTS', 'NEEDS'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r: string[]) => r[i].length)));
  for (const row of [header, ...rows]) console.log(`   ${row.map((cell: string, i: number) => cell.padEnd(widths[i])).join('  ').trimEnd()}`);
  console.log(`   filled in at apply time, never written to dist/: ${manifest.placeholders.map((p: any) => p.id).join(', ')}`);
  console.log('');

  const sandbox = await Sandbox.start({ clusters: app.clusterNames });
  const kubeconfig = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ksfed-quickstart-')), 'sandbox.kubeconfig');
  fs.writeFileSync(kubeconfig, sandbox.kubeconfigYaml(), { mode: 0o600 });
  try {
    console.log(`2. Started sandbox clusters ${sandbox.clusters.map(c => `${c.name} (${c.url})`).join(', ')}`);
    console.log('');
    console.log('3. ksfed apply examples/quickstart/dist --prune');
    const report = await apply(outdir, { kubeconfig, prune: true, pollIntervalMs: 100 });
    console.log(indent(formatSummary(report)));
    console.log('4. ksfed status examples/quickstart/dist');
    console.log(indent(formatStatus(await status(outdir, { kubeconfig }))));
    return report.success ? 0 : 1;
  } finally {
    await sandbox.stop();
    fs.rmSync(path.dirname(kubeconfig), { recursive: true, force: true });
  }
}

function indent(text: string): string {
  return text.trimEnd().split('\n').map(line => `   ${line}`).join('\n') + '\n';
}

main().then(code => process.exit(code), error => {
  console.error(`quickstart: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
