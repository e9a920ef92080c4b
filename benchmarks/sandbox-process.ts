// The sandbox clusters of the apply benchmark, in a process of their own, so that the applier being measured and
// the API servers it talks to do not share one CPU (a real API server runs elsewhere too). Started by
// benchmarks/apply.ts with child_process.fork; talks over the IPC channel:
//   parent -> child  { type: 'requests' } | { type: 'records' } | { type: 'clear' } | { type: 'stop' }
//   child -> parent  { type: 'ready', kubeconfig } | { type: 'requests', counts, mutating, cpuMs } | { type: 'records', records }
// argv[2] is the JSON of the SandboxOptions.
import { Sandbox, SandboxOptions } from 'ksfed-sandbox';

async function main(): Promise<void> {
  const options: SandboxOptions = JSON.parse(process.argv[2]);
  const sandbox = await Sandbox.start(options);
  process.on('message', async (m: any) => {
    if (m?.type === 'requests') {
      const counts: { [cluster: string]: number } = {};
      let mutating = 0;
      for (const c of sandbox.clusters) {
        counts[c.name] = c.requests.length;
        mutating += c.requests.filter(r => r.method !== 'GET' && !r.dryRun).length;
      }
      const cpu = process.cpuUsage();
      process.send!({ type: 'requests', counts, mutating, cpuMs: Math.round((cpu.user + cpu.system) / 1000) });
    } else if (m?.type === 'records') {
      process.send!({ type: 'records', records: Object.fromEntries(sandbox.clusters.map(c => [c.name, c.requests])) });
    } else if (m?.type === 'clear') {
      sandbox.clusters.forEach(c => c.clearRequests());
      process.send!({ type: 'cleared' });
    } else if (m?.type === 'stop') {
      await sandbox.stop();
      process.disconnect();
    }
  });
  process.send!({ type: 'ready', kubeconfig: sandbox.kubeconfigYaml() });
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
