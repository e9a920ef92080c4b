// `npm run quickstart`: synthesize the quickstart fleet into examples/quickstart/dist and summarize each folder.
import * as path from 'path';
import { quickstart } from './main';
import { FederationApp } from '../../src';

const outdir = path.join(__dirname, 'dist');
const app = new FederationApp({ outdir });
quickstart(app);
app.synth();

const manifest = app.federationManifest();
console.log(`Synthesized ${manifest.clusters.length} clusters into ${path.relative(process.cwd(), outdir) || '.'}/`);
console.log('');
const rows = manifest.clusters.map((c: any) => [c.name, c.role, c.connection ?? '-', String(c.objects.length), c.dependsOn.join(',') || '-', c.context]);
const header = ['CLUSTER', 'ROLE', 'CONNECTION', 'OBJECTS', 'NEEDS', 'CONTEXT'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r: string[]) => r[i].length)));
for (const row of [header, ...rows]) console.log(row.map((cell: string, i: number) => cell.padEnd(widths[i])).join('  ').trimEnd());
console.log('');
console.log(`Filled in at apply time by ksfed (never written to dist/): ${manifest.placeholders.map((p: any) => p.id).join(', ')}`);
