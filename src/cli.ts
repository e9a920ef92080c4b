#!/usr/bin/env node
import * as fs from 'fs';
import * as path from 'path';
import { apply, ApplyEvent, ApplyReport, ConnectOptions, diff, formatDiff, formatEvent, formatPlan, formatStatus, formatSummary, parseDuration, plan, status, TerminalProgress, UsageError } from './applier';
import { FEDERATION_FILE } from './contract/federation-json';
import { RealFleet } from './real-fleet';
import { Sandbox } from './sandbox';

const HELP = `ksfed: apply a synthesized KubeSphere federation (the output of FederationApp.synth()) to its clusters.

Usage:
  ksfed apply  <dist> [options]   server-side apply every cluster's folder, in order, wait, prune, report
  ksfed diff   <dist> [options]   what apply would change, per cluster and object (server dry-run)
  ksfed status <dist> [options]   per-cluster health: Cluster conditions, workloads, federated objects
  ksfed plan   <dist> [options]   the ordered phases and objects, without contacting any cluster
  ksfed sandbox [--clusters host,edge-1,branch-7] [--port N] [--kubeconfig-out F]
                                  local in-memory Kubernetes API endpoints, one per cluster (a test double)
  ksfed sandbox --real [--kubefed] [--clusters ...] [--kubeconfig-out F]
                                  real kube-apiservers on 127.0.0.1 instead, one per cluster, with KubeSphere's
                                  CRDs; --kubefed: KubeFed on the host, every cluster joined (needs the binaries
                                  of e2e/build.sh, built with Go: see the README, "Real engines")

Options:
  --kubeconfig F              kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)
  --context CLUSTER=CONTEXT   kubeconfig context of a cluster (default: the context named like the cluster); repeatable
  --only CLUSTER              only this cluster (repeatable, or comma-separated)
  --dry-run                   server dry-run: validate everything, change nothing (apply)
  --prune                     delete objects ksfed applied before that the folders no longer hold (ApplySet);
                              keeps Namespaces the program still places and ones holding objects ksfed did not create
  --prune-nonempty-namespaces with --prune: delete such Namespaces too, with everything in them (reported)
  --prune-removed-clusters    with --prune: prune ksfed's objects on clusters removed from the program (their
                              context: named like the cluster, or --context NAME=CONTEXT), then forget them
  --force-conflicts           take over fields another field manager owns
  --concurrency N             requests in flight over all clusters (default 4)
  --timeout DURATION          whole run (default 15m), e.g. 90s, 5m, 1h
  --wait-timeout DURATION     one wait: a CRD, a rollout, a join, a token (default 5m)
  --output text|json          text (live progress, summary) or one JSON report on stdout
  -h, --help                  this help
  --version                   the version

Exit codes: 0 every cluster succeeded; 1 a cluster failed, timed out or was skipped; 2 bad input;
130 interrupted. Placeholders ({{ksfed:...}}) are filled in memory and never printed or written.`;

/** Where the CLI writes, and what it reads from its environment (injectable for tests). */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Whether stdout is a terminal (live progress lines). */
  readonly isTTY: boolean;
  readonly env: { [key: string]: string | undefined };
  /** Aborts a running command (Ctrl-C). */
  readonly signal?: AbortSignal;
  /** Resolves when the sandbox command should stop (default: SIGINT/SIGTERM). */
  readonly untilStopped?: () => Promise<void>;
  /** Engine options that win over the command line's (tests: fast retries and polls). */
  readonly overrides?: Partial<ConnectOptions>;
  /** The terminal's current size, read on each redraw of the live progress (default: 120 columns, no row limit). */
  readonly terminalSize?: () => { readonly columns?: number; readonly rows?: number };
}

/** What the CLI prints when its run is aborted (Ctrl-C). */
export const STOP_MESSAGE = 'ksfed: stopping after the requests in flight (Ctrl-C again to quit now; a re-run converges)';

/** The live progress of a run, if one is on screen: messages go above it. */
interface Live {
  progress?: TerminalProgress;
}

interface Parsed {
  command: string;
  positional: string[];
  kubeconfig?: string;
  contexts: { [cluster: string]: string };
  only: string[];
  dryRun: boolean;
  prune: boolean;
  pruneNonEmptyNamespaces: boolean;
  pruneRemovedClusters: boolean;
  forceConflicts: boolean;
  concurrency?: number;
  timeoutMs?: number;
  waitTimeoutMs?: number;
  output: 'text' | 'json';
  clusters?: string[];
  port?: number;
  kubeconfigOut?: string;
  real: boolean;
  kubefed: boolean;
  help: boolean;
  version: boolean;
}

const VALUE_FLAGS = new Set(['--kubeconfig', '--context', '--only', '--concurrency', '--timeout', '--wait-timeout', '--output', '--clusters', '--port', '--kubeconfig-out']);
/** The commands ksfed knows. */
const COMMANDS = ['apply', 'diff', 'status', 'plan', 'sandbox'];
const BOOLEAN_FLAGS = new Set(['--dry-run', '--prune', '--prune-nonempty-namespaces', '--prune-removed-clusters', '--force-conflicts', '--real', '--kubefed', '--help', '-h', '--version']);

/** Parses the command line (hand-rolled: no dependencies). Throws a UsageError on anything it does not know. */
export function parseArgs(argv: string[]): Parsed {
  const p: Parsed = { command: '', positional: [], contexts: {}, only: [], dryRun: false, prune: false, pruneNonEmptyNamespaces: false, pruneRemovedClusters: false, forceConflicts: false, output: 'text', real: false, kubefed: false, help: false, version: false };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value: string | undefined;
    if (arg.startsWith('--') && arg.includes('=')) {
      value = arg.slice(arg.indexOf('=') + 1);
      arg = arg.slice(0, arg.indexOf('='));
    }
    if (VALUE_FLAGS.has(arg)) {
      if (value === undefined) {
        if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) throw new UsageError(`${arg} needs a value`);
        value = argv[++i];
      }
      applyValue(p, arg, value);
    } else if (BOOLEAN_FLAGS.has(arg)) {
      if (value !== undefined) throw new UsageError(`${arg} takes no value`);
      if (arg === '--dry-run') p.dryRun = true;
      if (arg === '--prune') p.prune = true;
      if (arg === '--prune-nonempty-namespaces') p.pruneNonEmptyNamespaces = true;
      if (arg === '--prune-removed-clusters') p.pruneRemovedClusters = true;
      if (arg === '--force-conflicts') p.forceConflicts = true;
      if (arg === '--real') p.real = true;
      if (arg === '--kubefed') p.kubefed = true;
      if (arg === '--help' || arg === '-h') p.help = true;
      if (arg === '--version') p.version = true;
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unknown option ${arg} (see ksfed --help)`);
    } else if (!p.command) {
      p.command = arg;
    } else {
      p.positional.push(arg);
    }
  }
  return p;
}

function applyValue(p: Parsed, flag: string, value: string): void {
  switch (flag) {
    case '--kubeconfig': p.kubeconfig = value; break;
    case '--context': {
      const i = value.indexOf('=');
      if (i <= 0 || i === value.length - 1) throw new UsageError(`--context ${value}: write it as CLUSTER=CONTEXT`);
      p.contexts[value.slice(0, i)] = value.slice(i + 1);
      break;
    }
    case '--only': p.only.push(...value.split(',').map(s => s.trim()).filter(s => s)); break;
    case '--concurrency': {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(`--concurrency ${value}: give a whole number from 1 to 256`);
      p.concurrency = n;
      break;
    }
    case '--timeout': p.timeoutMs = parseDuration(value, '--timeout'); break;
    case '--wait-timeout': p.waitTimeoutMs = parseDuration(value, '--wait-timeout'); break;
    case '--output':
      if (value !== 'text' && value !== 'json') throw new UsageError(`--output ${value}: use text or json`);
      p.output = value;
      break;
    case '--clusters': p.clusters = value.split(',').map(s => s.trim()).filter(s => s); break;
    case '--port': {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port ${value}: give a port number`);
      p.port = n;
      break;
    }
    case '--kubeconfig-out': p.kubeconfigOut = value; break;
  }
}

function version(): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).version;
  } catch {
    return '0.0.0';
  }
}

/** Runs the CLI; resolves with the exit code. Never throws. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    io.stderr(`ksfed: ${(e as Error).message}\n`);
    return 2;
  }
  if (parsed.version) {
    io.stdout(`${version()}\n`);
    return 0;
  }
  if (!parsed.command && !parsed.help) {
    // No command is bad input: the usage goes to stderr, exit 2.
    io.stderr(`${HELP}\n`);
    return 2;
  }
  if ((parsed.help && (!parsed.command || COMMANDS.includes(parsed.command))) || parsed.command === 'help') {
    // `ksfed --help`, `ksfed help` and `ksfed <command> --help`, like kubectl: the usage on stdout, exit 0.
    io.stdout(`${HELP}\n`);
    return 0;
  }
  // Ctrl-C: tell that the run stops (above the live progress, if any, so that its redraws do not overwrite it).
  const live: Live = {};
  const onAbort = () => {
    if (live.progress) live.progress.above(STOP_MESSAGE, io.stderr);
    else io.stderr(`\n${STOP_MESSAGE}\n`);
  };
  if (parsed.command !== 'sandbox') io.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    switch (parsed.command) {
      case 'apply':
      case 'diff':
        return await runApply(parsed, io, live);
      case 'status':
        return await runStatus(parsed, io);
      case 'plan':
        return runPlan(parsed, io);
      case 'sandbox':
        return await runSandbox(parsed, io);
      default:
        throw new UsageError(`unknown command "${parsed.command}" (use apply, diff, status, plan or sandbox; see ksfed --help)`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`ksfed: ${e.message}\n`);
      return 2;
    }
    io.stderr(`ksfed: ${(e as Error)?.message?.split('\n')[0] ?? String(e)}\n`);
    return 1;
  } finally {
    io.signal?.removeEventListener('abort', onAbort);
  }
}

function dist(parsed: Parsed): string {
  if (parsed.positional.length !== 1) {
    throw new UsageError(`ksfed ${parsed.command} needs exactly one folder (the synth output with federation.json), got ${parsed.positional.length}`);
  }
  return parsed.positional[0];
}

function checkFlags(parsed: Parsed, allowed: string[]): void {
  const used: [string, boolean][] = [
    ['--dry-run', parsed.dryRun], ['--prune', parsed.prune], ['--force-conflicts', parsed.forceConflicts],
    ['--prune-nonempty-namespaces', parsed.pruneNonEmptyNamespaces], ['--prune-removed-clusters', parsed.pruneRemovedClusters],
    ['--clusters', parsed.clusters !== undefined], ['--port', parsed.port !== undefined], ['--kubeconfig-out', parsed.kubeconfigOut !== undefined],
    ['--real', parsed.real], ['--kubefed', parsed.kubefed],
  ];
  for (const [flag, set] of used) {
    if (set && !allowed.includes(flag)) throw new UsageError(`${flag} does not apply to ksfed ${parsed.command}`);
  }
}

async function runApply(parsed: Parsed, io: CliIo, live: Live): Promise<number> {
  const pruneFlags = ['--prune', '--prune-nonempty-namespaces', '--prune-removed-clusters'];
  checkFlags(parsed, parsed.command === 'apply' ? ['--dry-run', ...pruneFlags, '--force-conflicts'] : [...pruneFlags, '--force-conflicts']);
  const folder = dist(parsed);
  const json = parsed.output === 'json';
  const events: ApplyEvent[] = [];
  const output = json ? undefined : (e: ApplyEvent) => {
    if (io.isTTY) {
      if (!live.progress) {
        const stream = {
          get columns() { return io.terminalSize?.().columns; },
          get rows() { return io.terminalSize?.().rows; },
          write: (text: string) => io.stdout(text),
        };
        const diffing = parsed.command === 'diff';
        live.progress = new TerminalProgress(clusterNames(folder, parsed.only), stream, { verb: diffing ? 'comparing' : 'applying', dryRun: diffing || parsed.dryRun });
      }
      live.progress.event(e);
    } else {
      // A diff prints its result at the end; apply tells as it goes.
      const line = parsed.command === 'diff' ? undefined : formatEvent(e, 8, parsed.dryRun);
      if (line) io.stdout(`${line}\n`);
    }
    events.push(e);
  };
  const options = {
    kubeconfig: parsed.kubeconfig,
    contexts: parsed.contexts,
    only: parsed.only,
    prune: parsed.prune,
    pruneNonEmptyNamespaces: parsed.pruneNonEmptyNamespaces,
    pruneRemovedClusters: parsed.pruneRemovedClusters,
    forceConflicts: parsed.forceConflicts,
    concurrency: parsed.concurrency,
    timeoutMs: parsed.timeoutMs,
    waitTimeoutMs: parsed.waitTimeoutMs,
    env: io.env,
    signal: io.signal,
    output,
    ...io.overrides,
  };
  let report: ApplyReport;
  try {
    report = parsed.command === 'diff' ? await diff(folder, options) : await apply(folder, { ...options, dryRun: parsed.dryRun });
  } finally {
    // The last state stays on screen, the cursor comes back (on errors too); later messages print plainly.
    live.progress?.finish();
    live.progress = undefined;
  }
  if (json) {
    io.stdout(`${JSON.stringify(report, undefined, 2)}\n`);
  } else {
    if (parsed.command === 'diff') {
      io.stdout(`${formatDiff(report)}\n`);
    } else if (io.isTTY) {
      // The live lines showed progress; list what needs attention.
      for (const c of report.clusters) {
        for (const o of c.objects) if (['failed', 'timed-out', 'skipped'].includes(o.result)) io.stdout(`${formatEventLine(o)}\n`);
      }
    }
    io.stdout(`\n${formatSummary(report)}\n`);
  }
  if (io.signal?.aborted) return 130;
  return report.success ? 0 : 1;
}

function formatEventLine(o: ApplyReport['clusters'][number]['objects'][number]): string {
  return formatEvent({ type: 'object', cluster: o.cluster, result: o }, 8, false) ?? '';
}

function clusterNames(folder: string, only: string[]): string[] {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(folder, FEDERATION_FILE), 'utf8'));
    const names: string[] = manifest.clusters.map((c: any) => c.name);
    return only.length > 0 ? names.filter(n => only.includes(n)) : names;
  } catch {
    return only;
  }
}

async function runStatus(parsed: Parsed, io: CliIo): Promise<number> {
  checkFlags(parsed, []);
  const report = await status(dist(parsed), {
    kubeconfig: parsed.kubeconfig,
    contexts: parsed.contexts,
    only: parsed.only,
    concurrency: parsed.concurrency,
    timeoutMs: parsed.timeoutMs,
    env: io.env,
    signal: io.signal,
  });
  io.stdout(parsed.output === 'json' ? `${JSON.stringify(report, undefined, 2)}\n` : `${formatStatus(report)}\n`);
  return report.healthy ? 0 : 1;
}

function runPlan(parsed: Parsed, io: CliIo): number {
  checkFlags(parsed, []);
  const report = plan(dist(parsed), { only: parsed.only, contexts: parsed.contexts });
  io.stdout(parsed.output === 'json' ? `${JSON.stringify(report, undefined, 2)}\n` : `${formatPlan(report)}\n`);
  return 0;
}

async function runSandbox(parsed: Parsed, io: CliIo): Promise<number> {
  if (parsed.real) {
    if (parsed.port !== undefined) throw new UsageError('--port does not apply to ksfed sandbox --real (each real API server takes a free port)');
  } else if (parsed.kubefed) {
    throw new UsageError('--kubefed needs --real (the in-memory sandbox emulates KubeSphere, not KubeFed): use ksfed sandbox --real --kubefed');
  }
  checkFlags(parsed, ['--clusters', '--port', '--kubeconfig-out', '--real', '--kubefed']);
  if (parsed.positional.length > 0) throw new UsageError('ksfed sandbox takes no folder');
  const clusters = parsed.clusters ?? ['host', 'edge-1', 'branch-7'];
  if (parsed.real) return runRealSandbox(parsed, clusters, io);
  let sandbox: Sandbox;
  try {
    // anonymous: kubectl (client-go) never sends a bearer token over plain HTTP; a wrong token is still refused.
    sandbox = await Sandbox.start({ clusters, port: parsed.port, kubesphere: true, anonymous: true });
  } catch (e) {
    throw new UsageError(`cannot start the sandbox: ${(e as Error).message}`);
  }
  const out = path.resolve(parsed.kubeconfigOut ?? 'ksfed-sandbox.kubeconfig');
  try {
    fs.writeFileSync(out, sandbox.kubeconfigYaml(), { mode: 0o600 });
  } catch (e) {
    await sandbox.stop();
    throw new UsageError(`cannot write ${out}: ${(e as Error).message}`);
  }
  io.stdout('Sandbox running (an in-memory test double of the Kubernetes API, not a cluster):\n');
  for (const c of sandbox.clusters) io.stdout(`  context ${c.name.padEnd(12)} ${c.url}${c.name === sandbox.host ? '  (KubeSphere host)' : ''}\n`);
  io.stdout(`Kubeconfig: ${out}\n  export KUBECONFIG=${out}\n  ksfed apply <dist> --kubeconfig ${out}\nPress Ctrl-C to stop.\n`);
  await (io.untilStopped ?? waitForSignal)();
  await sandbox.stop();
  io.stdout('Sandbox stopped.\n');
  return 0;
}

/** `ksfed sandbox --real`: a RealFleet (src/real-fleet) instead of the in-memory sandbox; the same kind of output. */
async function runRealSandbox(parsed: Parsed, clusters: string[], io: CliIo): Promise<number> {
  const started = Date.now();
  let fleet: RealFleet;
  try {
    fleet = await RealFleet.start({ clusters, kubefed: parsed.kubefed, binDir: io.env.KSFED_E2E_BIN || undefined });
  } catch (e) {
    throw new UsageError(`cannot start the real fleet: ${(e as Error).message.split('\n')[0]}`);
  }
  const out = path.resolve(parsed.kubeconfigOut ?? 'ksfed-sandbox.kubeconfig');
  try {
    fs.writeFileSync(out, fleet.kubeconfigYaml(), { mode: 0o600 });
  } catch (e) {
    await fleet.stop();
    throw new UsageError(`cannot write ${out}: ${(e as Error).message}`);
  }
  const what = parsed.kubefed ? 'KubeSphere\'s CRDs, KubeFed v0.8.1 on the host with every cluster joined' : 'KubeSphere\'s CRDs';
  io.stdout(`Real fleet running (kube-apiserver v1.34.4 and kube-controller-manager per cluster, one etcd; ${what}), `
    + `up in ${((Date.now() - started) / 1000).toFixed(1)} s:\n`);
  for (const c of fleet.clusters) io.stdout(`  context ${c.padEnd(12)} ${fleet.server(c)}${c === fleet.host ? '  (KubeSphere host)' : ''}\n`);
  io.stdout(`Kubeconfig: ${out}\n  export KUBECONFIG=${out}\n  ksfed apply <dist> --kubeconfig ${out}\n`
    + `Logs: ${path.join(fleet.workDir, 'logs')} (removed on stop)\nPress Ctrl-C to stop.\n`);
  await (io.untilStopped ?? waitForSignal)();
  await fleet.stop();
  io.stdout('Real fleet stopped.\n');
  return 0;
}

function waitForSignal(): Promise<void> {
  return new Promise(resolve => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

if (require.main === module) {
  const controller = new AbortController();
  const command = process.argv[2];
  if (command !== 'sandbox') {
    let interrupts = 0;
    process.on('SIGINT', () => {
      interrupts++;
      // The first aborts the run; main() prints the message (above the live progress, if any).
      if (interrupts === 1) controller.abort();
      else process.exit(130);
    });
    // Killed: show the cursor again, then die of the signal as before.
    const onTerm = () => {
      TerminalProgress.restoreCursors();
      process.off('SIGTERM', onTerm);
      process.kill(process.pid, 'SIGTERM');
    };
    process.on('SIGTERM', onTerm);
  }
  // Whatever ends the process (a second Ctrl-C, an uncaught error), the live progress must not leave the cursor hidden.
  process.on('exit', () => TerminalProgress.restoreCursors());
  main(process.argv.slice(2), {
    stdout: text => process.stdout.write(text),
    stderr: text => process.stderr.write(text),
    isTTY: process.stdout.isTTY === true,
    terminalSize: () => ({ columns: process.stdout.columns, rows: process.stdout.rows }),
    env: process.env,
    signal: controller.signal,
  }).then(code => {
    process.exitCode = code;
  }, () => {
    process.exitCode = 1;
  });
}
