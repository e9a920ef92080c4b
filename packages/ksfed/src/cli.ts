#!/usr/bin/env node
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs as parseArgv } from 'util';
import { FEDERATION_FILE } from 'cdk8s-kubesphere-federation/lib/contract/federation-json';
import * as yaml from 'js-yaml';
import { FaultOptions, Sandbox } from 'ksfed-sandbox';
import { RealFleet } from 'ksfed-sandbox/lib/real-fleet';
import { apply, ApplyEvent, ApplyReport, ConnectOptions, diff, doctor, doctorExitCode, FIELD_MANAGER, formatDiff, formatDoctor, formatEvent, formatMove, formatPlan, formatStatus, formatSummary, moveMember, parseDuration, plan, status, TerminalProgress, UsageError } from '.';
import { readFederationIndex } from './federation';

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

/** Report formats of `--output`. */
type OutputFormat = 'text' | 'json' | 'yaml';

/** The command line, parsed and checked value by value (what a command does with it is checked by the command). */
export interface Parsed {
  command: string;
  positional: string[];
  help: boolean;
  version: boolean;
  kubeconfig?: string;
  /** `--context CLUSTER=CONTEXT`. */
  contexts: { [cluster: string]: string };
  /** `--context CONTEXT` alone: the context of the run's one cluster (see contextsOf). */
  context: string[];
  only: string[];
  dryRun: 'none' | 'server' | 'client';
  prune: boolean;
  pruneNonEmptyNamespaces: boolean;
  pruneRemovedClusters: boolean;
  forceConflicts: boolean;
  fieldManager?: string;
  concurrency?: number;
  timeoutMs?: number;
  waitTimeoutMs?: number;
  output: OutputFormat;
  clusters?: string[];
  host?: string;
  port?: number;
  kubeconfigOut?: string;
  real: boolean;
  kubefed: boolean;
  latencyMs?: number;
  faultRate?: number;
  workspace?: string;
  from: string[];
  oldHostContext?: string;
  oldHostRemoved: boolean;
  clusterName?: string;
  skipPreflight: boolean;
  allowRoleChange: boolean;
}

/** A flag: how it is parsed, and what the help says of it. */
interface Flag {
  /** `string` flags take a value: `--flag V`, `--flag=V` (and `-xV`, `-x V` with a short name). */
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** The value's name in the help. */
  readonly value?: string;
  /** The help text (lines after the first are indented under it). */
  readonly help: string;
  /** Checks the value and stores it. */
  readonly set: (p: Parsed, value: string) => void;
}

/** A flag that takes a value, named `value` in the help. */
function valueFlag(value: string, help: string, set: (p: Parsed, value: string) => void, short?: string): Flag {
  return { type: 'string', value, help, set, short };
}

/** A flag without a value. */
function switchFlag(help: string, set: (p: Parsed) => void, short?: string): Flag {
  return { type: 'boolean', help, set, short };
}

/** Every flag ksfed knows; a command lists the ones it takes. */
const FLAGS = {
  'kubeconfig': valueFlag('F', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)', (p, v) => p.kubeconfig = v),
  'context': valueFlag('CLUSTER=CONTEXT',
    'kubeconfig context of a cluster (default: the one named like the cluster); repeatable.\n'
    + '--context CONTEXT alone: the context of the run\'s one cluster (the folder has\n'
    + 'one, or --only names one)',
    (p, v) => {
      const i = v.indexOf('=');
      if (i < 0) {
        if (v.trim() === '') throw new UsageError('--context needs a value. Fix: --context CLUSTER=CONTEXT, or --context CONTEXT for the run\'s one cluster');
        p.context.push(v);
        return;
      }
      if (i === 0 || i === v.length - 1) throw new UsageError(`--context ${v}: write it as CLUSTER=CONTEXT`);
      p.contexts[v.slice(0, i)] = v.slice(i + 1);
    }),
  'only': valueFlag('CLUSTER', 'only this cluster (repeatable, or comma-separated)', (p, v) => p.only.push(...list(v))),
  'dry-run': valueFlag('[=server|client|none]',
    'server: the API servers check everything, change nothing (bare --dry-run: server);\n'
    + 'client: print the plan, contact no cluster; none: apply (the default)',
    (p, v) => {
      if (v !== 'server' && v !== 'client' && v !== 'none') throw new UsageError(`--dry-run=${v}: use --dry-run=server, --dry-run=client or --dry-run=none`);
      p.dryRun = v;
    }),
  'prune': switchFlag(
    'delete objects ksfed applied before that the folders no longer hold (ApplySet);\n'
    + 'keeps Namespaces the program still places, and ones holding objects ksfed did\n'
    + 'not create',
    p => p.prune = true),
  'prune-nonempty-namespaces': switchFlag('with --prune: delete such Namespaces too, with everything in them (reported)', p => p.pruneNonEmptyNamespaces = true),
  'prune-removed-clusters': switchFlag(
    'with --prune: prune ksfed\'s objects on clusters removed from the program (their\n'
    + 'context: named like the cluster, or --context NAME=CONTEXT), then forget them',
    p => p.pruneRemovedClusters = true),
  'force-conflicts': switchFlag('take over fields another field manager owns', p => p.forceConflicts = true),
  'field-manager': valueFlag('NAME',
    `the field manager of server-side apply, which owns the fields ksfed sets\n(default ${FIELD_MANAGER}); `
    + 'use the same one on every run: a field another manager\nstill owns stays when the folder drops it',
    (p, v) => {
      if (v.trim() === '' || v.length > 128 || /[\x00-\x1f\x7f]/.test(v)) {
        throw new UsageError(`--field-manager ${JSON.stringify(v)}: not a field manager name. Fix: give 1 to 128 printable characters, e.g. --field-manager ksfed-ci`);
      }
      p.fieldManager = v;
    }),
  'concurrency': valueFlag('N', 'requests in flight over all clusters together (default 4)', (p, v) => p.concurrency = wholeNumber('--concurrency', v, 1, 256)),
  'timeout': valueFlag('DURATION', 'whole run (default 15m), e.g. 90s, 5m, 1h', (p, v) => p.timeoutMs = parseDuration(v, '--timeout')),
  'wait-timeout': valueFlag('DURATION', 'one wait: a CRD, a rollout, a join, a token (default 5m)', (p, v) => p.waitTimeoutMs = parseDuration(v, '--wait-timeout')),
  'output': valueFlag('text|json|yaml', 'text, or one report on stdout as JSON or YAML (the same fields; no progress)', (p, v) => {
    if (v !== 'text' && v !== 'json' && v !== 'yaml') throw new UsageError(`--output ${v}: use text, json or yaml`);
    p.output = v;
  }, 'o'),
  'clusters': valueFlag('A,B,...', 'cluster names, without <dist> (default host,edge-1,branch-7)', (p, v) => p.clusters = list(v)),
  'host': valueFlag('NAME',
    'with --clusters: the cluster that plays the KubeSphere host (default: the one named host,\n'
    + 'or the only one; otherwise required)',
    (p, v) => p.host = v),
  'port': valueFlag('N', 'first port: cluster i listens on N+i (default: free ports)', (p, v) => p.port = wholeNumber('--port', v, 0, 65535)),
  'kubeconfig-out': valueFlag('F', 'where to write the kubeconfig (default ksfed-sandbox.kubeconfig)', (p, v) => p.kubeconfigOut = v),
  'latency-ms': valueFlag('N', 'answer every request N ms after it arrived (a round trip; default 0)', (p, v) => p.latencyMs = wholeNumber('--latency-ms', v, 0, 60_000)),
  'fault-rate': valueFlag('F',
    'share of requests (0 to 1) that fail with a fault a client retries: 429\n'
    + '(Retry-After 1s), 500/503 or a connection reset, about a third each (default 0)',
    (p, v) => {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`--fault-rate ${v}: give a number from 0 to 1, e.g. 0.05`);
      p.faultRate = n;
    }),
  'real': switchFlag(
    'real kube-apiservers on 127.0.0.1 instead, with KubeSphere\'s CRDs (needs the\n'
    + 'binaries of e2e/build.sh, built with Go: see the README, "Real engines")',
    p => p.real = true),
  'kubefed': switchFlag('with --real: KubeFed v0.8.1 on the host, every cluster joined', p => p.kubefed = true),
  'skip-preflight': switchFlag('apply without the preflight (the blocking checks of ksfed doctor)', p => p.skipPreflight = true),
  'allow-role-change': switchFlag('accept a cluster whose live clusterRole (host, member) the program changes', p => p.allowRoleChange = true),
  'workspace': valueFlag('NAME', 'the workspace of the new host that the projects join', (p, v) => p.workspace = v),
  'from': valueFlag('NAME', 'a workspace whose projects move (repeatable, or comma-separated)', (p, v) => p.from.push(...list(v))),
  'old-host-context': valueFlag('CONTEXT',
    'the old host\'s context: the move waits until it no longer has the member\'s Cluster', (p, v) => p.oldHostContext = v),
  'old-host-removed': switchFlag('the old host is gone (instead of --old-host-context)', p => p.oldHostRemoved = true),
  'cluster-name': valueFlag('NAME', 'the member\'s name on the old host (default: its context)', (p, v) => p.clusterName = v),
  'help': switchFlag('this help', p => p.help = true, 'h'),
  'version': switchFlag('the version', p => p.version = true),
} satisfies { [name: string]: Flag };

type FlagName = keyof typeof FLAGS;

/** Flags every command takes. */
const GLOBAL_FLAGS: FlagName[] = ['help', 'version'];

/** A command: what the help says of it, the flags it takes, and what runs it. */
interface Command {
  readonly name: string;
  /** One line, for `ksfed --help`. */
  readonly summary: string;
  /** What follows `ksfed <name>` in its usage line. */
  readonly args: string;
  /** The flags it takes (besides --help and --version), in the order its help lists them. */
  readonly flags: readonly FlagName[];
  /** Its exit codes and what each means, for its help. */
  readonly exitCodes: readonly (readonly [number, string])[];
  /** More help, after the flags. */
  readonly notes?: string;
  /** The exit code of a run that failed (default 1). */
  readonly errorExit?: number;
  /** Runs until stopped: Ctrl-C is how it ends, not an interruption. */
  readonly untilStopped?: boolean;
  /** Runs it; resolves with the exit code. Bad input throws a UsageError (exit 2). */
  readonly run: (p: Parsed, io: CliIo, live: Live) => Promise<number> | number;
}

const CONNECT_FLAGS: FlagName[] = ['kubeconfig', 'context', 'only'];
const APPLY_FLAGS: FlagName[] = ['prune', 'prune-nonempty-namespaces', 'prune-removed-clusters', 'force-conflicts', 'field-manager', 'concurrency', 'timeout', 'wait-timeout', 'output'];
const BAD_INPUT = [2, 'bad input (one line on stderr, nothing changed)'] as const;
const INTERRUPTED = [130, 'interrupted (Ctrl-C)'] as const;

/** The commands ksfed knows, in the order of its help. */
const COMMANDS: readonly Command[] = [
  {
    name: 'apply',
    summary: 'server-side apply every cluster\'s folder, in order, wait, prune, report',
    args: '<dist>',
    flags: [...CONNECT_FLAGS, 'dry-run', ...APPLY_FLAGS, 'skip-preflight', 'allow-role-change'],
    exitCodes: [[0, 'every cluster succeeded'], [1, 'a cluster failed, timed out or was skipped, or the preflight refused the run'], BAD_INPUT, INTERRUPTED],
    notes: 'Before its first write, apply runs the blocking checks of ksfed doctor and refuses in seconds, naming each\n'
      + 'finding; --skip-preflight applies anyway.',
    run: runApply,
  },
  {
    name: 'diff',
    summary: 'what apply would change, per cluster and object (server dry-run)',
    args: '<dist>',
    flags: [...CONNECT_FLAGS, ...APPLY_FLAGS],
    exitCodes: [
      [0, 'nothing would change'], [1, 'something would (create, change, prune)'], BAD_INPUT,
      [3, 'a cluster could not be compared (failed, timed out, skipped)'], INTERRUPTED,
    ],
    notes: 'As with kubectl diff, an exit code above 1 is an error.',
    errorExit: 3,
    run: runApply,
  },
  {
    name: 'status',
    summary: 'per-cluster health: Cluster conditions, workloads, federated objects',
    args: '<dist>',
    flags: [...CONNECT_FLAGS, 'concurrency', 'timeout', 'output'],
    exitCodes: [[0, 'every cluster is healthy'], [1, 'one is not, or cannot be reached'], BAD_INPUT],
    run: runStatus,
  },
  {
    name: 'doctor',
    summary: 'read-only checks of the live clusters: what makes members fail to join, with the fix',
    args: '<dist>',
    flags: [...CONNECT_FLAGS, 'allow-role-change', 'concurrency', 'timeout', 'output'],
    exitCodes: [[0, 'no error finding (warnings and infos may be listed)'], [1, 'an error finding, or a cluster that cannot be read'], BAD_INPUT],
    run: runDoctor,
  },
  {
    name: 'plan',
    summary: 'the ordered phases and objects, without contacting any cluster',
    args: '<dist>',
    flags: ['context', 'only', 'output'],
    exitCodes: [[0, 'planned'], BAD_INPUT],
    run: runPlan,
  },
  {
    name: 'move-member',
    summary: 'move a member\'s projects to a workspace of its new host (KubeSphere\'s guide, step by step)',
    args: '--context MEMBER --workspace NEW --from OLD',
    flags: ['kubeconfig', 'context', 'workspace', 'from', 'old-host-context', 'old-host-removed', 'cluster-name', 'dry-run', 'output'],
    notes: 'Unbinds each project of the --from workspaces from its workspace (label and owner references), deletes the\n'
      + 'member\'s WorkspaceTemplate and Workspace of those workspaces, then binds the projects to --workspace. Refuses\n'
      + 'before any write when it would lose data; --dry-run reports every namespace it would touch. A re-run finishes\n'
      + 'an interrupted move.',
    exitCodes: [[0, 'moved, would move (--dry-run), or nothing to do'], [1, 'refused or failed (the report says why)'], BAD_INPUT],
    run: runMoveMember,
  },
  {
    name: 'sandbox',
    summary: 'Kubernetes API endpoints on 127.0.0.1, one per cluster: in memory (a test double) or --real',
    args: '[<dist>]',
    flags: ['clusters', 'host', 'port', 'kubeconfig-out', 'latency-ms', 'fault-rate', 'real', 'kubefed'],
    notes: 'With <dist> (the synth output), the clusters, their kubeconfig contexts and the KubeSphere host (the cluster\n'
      + 'that holds the members\' Cluster objects) come from its federation.json; without it, from --clusters and --host.\n'
      + 'Writes a kubeconfig with a context per cluster and runs until Ctrl-C.',
    exitCodes: [[0, 'stopped (Ctrl-C)'], [2, 'bad input, or it could not start (one line on stderr)']],
    untilStopped: true,
    run: runSandbox,
  },
];

const OVERVIEW_HEAD = 'ksfed: apply a synthesized KubeSphere federation (the output of FederationApp.synth()) to its clusters.';

/** `ksfed --help`: the commands. */
function overview(): string {
  const width = Math.max(...COMMANDS.map(c => `${c.name} ${c.args}`.length));
  return [
    OVERVIEW_HEAD,
    '',
    'Usage:',
    ...COMMANDS.map(c => `  ksfed ${`${c.name} ${c.args}`.padEnd(width)}  ${c.summary}`),
    '',
    'Flags:',
    ...flagLines(GLOBAL_FLAGS),
    '',
    'Run ksfed <command> --help for a command\'s flags and exit codes. Placeholders ({{ksfed:...}}) are filled in memory',
    'and never printed or written.',
  ].join('\n');
}

/** `ksfed <command> --help`. */
function commandHelp(c: Command): string {
  return [
    `ksfed ${c.name}: ${c.summary}.`,
    '',
    'Usage:',
    `  ksfed ${c.name} ${c.args} [flags]`,
    '',
    'Flags:',
    ...flagLines([...c.flags, ...GLOBAL_FLAGS]),
    ...(c.notes ? ['', c.notes] : []),
    '',
    'Exit codes:',
    ...c.exitCodes.map(([code, meaning]) => `  ${String(code).padEnd(5)}${meaning}`),
  ].join('\n');
}

function flagLines(names: readonly FlagName[]): string[] {
  const left = (name: FlagName) => {
    const f: Flag = FLAGS[name];
    const value = f.value === undefined ? '' : f.value.startsWith('[') ? f.value : ` ${f.value}`;
    return `${f.short ? `-${f.short}, ` : ''}--${name}${value}`;
  };
  const width = Math.max(...names.map(n => left(n).length)) + 2;
  return names.flatMap(n => FLAGS[n].help.split('\n').map((line, i) => `  ${(i === 0 ? left(n) : '').padEnd(width)}${line}`));
}

/** A comma-separated list, trimmed, without empty items. */
function list(value: string): string[] {
  return value.split(',').map(s => s.trim()).filter(s => s);
}

function wholeNumber(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(flag === '--port' ? `--port ${value}: give a port number` : `${flag} ${value}: give a whole number from ${min} to ${max}`);
  }
  return n;
}

/** Edit distance of two strings (for "did you mean"). */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

/** The candidate closest to `typed`, if one is close: at most 2 edits away, or the only one it starts. */
function closest(typed: string, candidates: readonly string[]): string | undefined {
  const scored = candidates.map(c => ({ c, d: distance(typed, c) })).filter(x => x.d <= 2).sort((x, y) => x.d - y.d);
  if (scored.length > 0) return scored[0].c;
  const starts = candidates.filter(c => typed.length >= 2 && c.startsWith(typed));
  return starts.length === 1 ? starts[0] : undefined;
}

/**
 * Parses the command line with node's `util.parseArgs` (its tokens: each flag is then checked against the command's
 * own). Throws a UsageError (one line) on an unknown command or flag, a flag the command does not take, a missing
 * or unexpected value, or a value a flag refuses. A bare `--dry-run` is `--dry-run=server`.
 */
export function parseArgs(argv: string[]): Parsed {
  const p: Parsed = {
    command: '',
    positional: [],
    help: false,
    version: false,
    contexts: {},
    context: [],
    only: [],
    dryRun: 'none',
    prune: false,
    pruneNonEmptyNamespaces: false,
    pruneRemovedClusters: false,
    forceConflicts: false,
    output: 'text',
    real: false,
    kubefed: false,
    from: [],
    oldHostRemoved: false,
    skipPreflight: false,
    allowRoleChange: false,
  };
  const options: { [name: string]: { type: 'string' | 'boolean'; short?: string } } = {};
  for (const [name, f] of Object.entries(FLAGS) as [FlagName, Flag][]) options[name] = f.short ? { type: f.type, short: f.short } : { type: f.type };
  // (parseArgs has no optional values: a bare --dry-run would take the next word as its value)
  const args = argv.map(a => a === '--dry-run' ? '--dry-run=server' : a);
  const { tokens } = parseArgv({ args, options, strict: false, allowPositionals: true, tokens: true });
  const positionals = tokens.flatMap(t => t.kind === 'positional' ? [t.value] : []);
  p.command = positionals[0] ?? '';
  p.positional = positionals.slice(1);
  const command = COMMANDS.find(c => c.name === p.command);
  if (p.command && !command && p.command !== 'help') throw unknownCommand(p.command);
  const takes: string[] = command ? [...command.flags, ...GLOBAL_FLAGS] : Object.keys(FLAGS);
  const where = command ? `ksfed ${command.name}` : 'ksfed';
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const raw = t.rawName;
    const flag: Flag | undefined = (FLAGS as { [name: string]: Flag })[t.name];
    if (!flag) {
      const near = raw.startsWith('--') ? closest(raw.slice(2), takes) : undefined;
      throw new UsageError(`unknown flag ${raw} for ${where}. Fix: ${near ? `use --${near} (${where} --help lists its flags)` : `see ${where} --help for its flags`}`);
    }
    if (!takes.includes(t.name)) throw new UsageError(`${raw} does not apply to ${where} (see ${where} --help)`);
    if (flag.type === 'boolean') {
      if (t.value !== undefined) throw new UsageError(`${raw} takes no value (got ${JSON.stringify(t.value)}). Fix: write ${raw} alone`);
      flag.set(p, '');
    } else {
      if (t.value === undefined || (!t.inlineValue && t.value.startsWith('-'))) {
        throw new UsageError(`${raw} needs a value. Fix: ${raw} ${flag.value?.replace(/^\[=|\]$/g, '') ?? 'VALUE'}`);
      }
      flag.set(p, t.value);
    }
  }
  return p;
}

function unknownCommand(name: string): UsageError {
  const near = closest(name, COMMANDS.map(c => c.name));
  return new UsageError(`unknown command "${name}". Fix: ${near ? `use ${near}` : `use one of ${COMMANDS.map(c => c.name).join(', ')}`} (see ksfed --help)`);
}

function version(): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).version;
  } catch {
    return '0.0.0';
  }
}

/**
 * Runs the CLI; resolves with the exit code. Never throws. Results (reports, help asked for, the sandbox's contexts)
 * go to stdout, with the progress lines of apply; errors, the usage of a bare `ksfed` and Ctrl-C's message to stderr.
 */
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
  if (parsed.command === 'help') {
    // `ksfed help [command]`, like kubectl
    const of = parsed.positional[0];
    const about = COMMANDS.find(c => c.name === of);
    if (of !== undefined && !about) {
      io.stderr(`ksfed: ${unknownCommand(of).message}\n`);
      return 2;
    }
    io.stdout(`${about ? commandHelp(about) : overview()}\n`);
    return 0;
  }
  const command = COMMANDS.find(c => c.name === parsed.command);
  if (!command) {
    // `ksfed --help`: the overview on stdout, exit 0; no command is bad input: the overview on stderr, exit 2.
    if (parsed.help) io.stdout(`${overview()}\n`);
    else io.stderr(`${overview()}\n`);
    return parsed.help ? 0 : 2;
  }
  if (parsed.help) {
    io.stdout(`${commandHelp(command)}\n`);
    return 0;
  }
  // Ctrl-C: tell that the run stops (above the live progress, if any, so that its redraws do not overwrite it).
  const live: Live = {};
  const onAbort = () => {
    if (live.progress) live.progress.above(STOP_MESSAGE, io.stderr);
    else io.stderr(`\n${STOP_MESSAGE}\n`);
  };
  if (!command.untilStopped) io.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await command.run(parsed, io, live);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`ksfed: ${e.message}\n`);
      return 2;
    }
    io.stderr(`ksfed: ${(e as Error)?.message?.split('\n')[0] ?? String(e)}\n`);
    return command.errorExit ?? 1;
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

/**
 * The `--context` mappings, with a `--context CONTEXT` alone given to the run's one cluster: the one `--only` names,
 * or the folder's only cluster. Anything else is ambiguous (a UsageError with the fix).
 */
function contextsOf(parsed: Parsed, folder: string): { [cluster: string]: string } {
  if (parsed.context.length === 0) return parsed.contexts;
  if (parsed.context.length > 1) {
    throw new UsageError(`${parsed.context.map(c => `--context ${c}`).join(', ')}: a context alone is the context of the run's one cluster, and there can be only one. Fix: write each as --context CLUSTER=CONTEXT`);
  }
  const context = parsed.context[0];
  const only = [...new Set(parsed.only)];
  const names = only.length > 0 ? only : readFederationIndex(folder).clusters.map(c => c.name);
  if (names.length !== 1) {
    const what = only.length > 0 ? `--only names ${names.length} clusters` : `the folder has ${names.length} clusters`;
    throw new UsageError(`--context ${context}: ${what} (${names.join(', ')}); a context alone is the context of the run's one cluster. Fix: write --context CLUSTER=${context}, or add --only CLUSTER`);
  }
  const cluster = names[0];
  const mapped = parsed.contexts[cluster];
  if (mapped !== undefined && mapped !== context) {
    throw new UsageError(`--context ${context} and --context ${cluster}=${mapped} both set the context of cluster "${cluster}". Fix: keep one`);
  }
  return { ...parsed.contexts, [cluster]: context };
}

/** Prints a report: as text, or whole as JSON or YAML (the same fields). */
function printReport(io: CliIo, output: OutputFormat, report: object, text: () => string): void {
  if (output === 'json') io.stdout(`${JSON.stringify(report, undefined, 2)}\n`);
  // (through JSON: the same fields, no undefined values)
  else if (output === 'yaml') io.stdout(yaml.dump(JSON.parse(JSON.stringify(report)), { noRefs: true, lineWidth: -1 }));
  else io.stdout(`${text()}\n`);
}

/** Whether a diff (or dry run) report would create, change or prune anything. */
function hasChanges(report: ApplyReport): boolean {
  const changes = (objects: ApplyReport['clusters'][number]['objects']) => objects.some(o => o.result === 'created' || o.result === 'configured' || o.result === 'pruned');
  return report.clusters.some(c => changes(c.objects)) || (report.removedClusters ?? []).some(r => changes(r.objects));
}

async function runApply(parsed: Parsed, io: CliIo, live: Live): Promise<number> {
  const folder = dist(parsed);
  const contexts = contextsOf(parsed, folder);
  if (parsed.dryRun === 'client') {
    const prune = parsed.pruneRemovedClusters ? '--prune-removed-clusters' : parsed.pruneNonEmptyNamespaces ? '--prune-nonempty-namespaces' : parsed.prune ? '--prune' : undefined;
    if (prune) throw new UsageError(`${prune} needs the clusters, and --dry-run=client contacts none. Fix: use --dry-run=server to see what prune would delete`);
    return runPlan(parsed, io);
  }
  const dryRun = parsed.command === 'apply' && parsed.dryRun === 'server';
  const diffing = parsed.command === 'diff';
  const output = parsed.output !== 'text' ? undefined : (e: ApplyEvent) => {
    if (io.isTTY) {
      if (!live.progress) {
        const stream = {
          get columns() { return io.terminalSize?.().columns; },
          get rows() { return io.terminalSize?.().rows; },
          write: (text: string) => io.stdout(text),
        };
        live.progress = new TerminalProgress(clusterNames(folder, parsed.only), stream, { verb: diffing ? 'comparing' : 'applying', dryRun: diffing || dryRun });
      }
      live.progress.event(e);
    } else {
      // A diff prints its result at the end; apply tells as it goes.
      const line = diffing ? undefined : formatEvent(e, 8, dryRun);
      if (line) io.stdout(`${line}\n`);
    }
  };
  const options = {
    kubeconfig: parsed.kubeconfig,
    contexts,
    only: parsed.only,
    prune: parsed.prune,
    pruneNonEmptyNamespaces: parsed.pruneNonEmptyNamespaces,
    pruneRemovedClusters: parsed.pruneRemovedClusters,
    forceConflicts: parsed.forceConflicts,
    fieldManager: parsed.fieldManager,
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
    report = diffing
      ? await diff(folder, options)
      : await apply(folder, { ...options, dryRun, skipPreflight: parsed.skipPreflight, allowRoleChange: parsed.allowRoleChange });
  } finally {
    // The last state stays on screen, the cursor comes back (on errors too); later messages print plainly.
    live.progress?.finish();
    live.progress = undefined;
  }
  printReport(io, parsed.output, report, () => {
    const lines: string[] = [];
    if (diffing) {
      lines.push(formatDiff(report));
    } else if (io.isTTY) {
      // The live lines showed progress; list what needs attention.
      for (const c of report.clusters) {
        for (const o of c.objects) if (['failed', 'timed-out', 'skipped'].includes(o.result)) lines.push(formatEventLine(o));
      }
    }
    return `${lines.map(l => `${l}\n`).join('')}\n${formatSummary(report)}`;
  });
  if (io.signal?.aborted) return 130;
  if (diffing) return !report.success ? 3 : hasChanges(report) ? 1 : 0;
  return report.success ? 0 : 1;
}

function formatEventLine(o: ApplyReport['clusters'][number]['objects'][number]): string {
  return formatEvent({ type: 'object', cluster: o.cluster, result: o }, 8, false) ?? '';
}

function clusterNames(folder: string, only: string[]): string[] {
  try {
    const names = readFederationIndex(folder).clusters.map(c => c.name);
    return only.length > 0 ? names.filter(n => only.includes(n)) : names;
  } catch {
    return only;
  }
}

async function runStatus(parsed: Parsed, io: CliIo): Promise<number> {
  const folder = dist(parsed);
  const report = await status(folder, {
    kubeconfig: parsed.kubeconfig,
    contexts: contextsOf(parsed, folder),
    only: parsed.only,
    concurrency: parsed.concurrency,
    timeoutMs: parsed.timeoutMs,
    env: io.env,
    signal: io.signal,
  });
  printReport(io, parsed.output, report, () => formatStatus(report));
  return report.healthy ? 0 : 1;
}

async function runDoctor(parsed: Parsed, io: CliIo): Promise<number> {
  const folder = dist(parsed);
  const report = await doctor(folder, {
    kubeconfig: parsed.kubeconfig,
    contexts: contextsOf(parsed, folder),
    only: parsed.only,
    allowRoleChange: parsed.allowRoleChange,
    concurrency: parsed.concurrency,
    timeoutMs: parsed.timeoutMs,
    env: io.env,
    signal: io.signal,
    ...io.overrides,
  });
  printReport(io, parsed.output, report, () => formatDoctor(report));
  return doctorExitCode(report);
}

async function runMoveMember(parsed: Parsed, io: CliIo): Promise<number> {
  if (parsed.positional.length > 0) throw new UsageError(`ksfed move-member takes no folder (got ${parsed.positional.join(' ')}). Fix: name the member with --context`);
  if (parsed.context.length !== 1 || Object.keys(parsed.contexts).length > 0) {
    throw new UsageError('ksfed move-member needs the member\'s context, once. Fix: --context MEMBER_CONTEXT');
  }
  if (!parsed.workspace) throw new UsageError('ksfed move-member needs the target workspace. Fix: --workspace NAME (a workspace of the new host)');
  const report = await moveMember({
    context: parsed.context[0],
    workspace: parsed.workspace,
    from: parsed.from,
    oldHostContext: parsed.oldHostContext,
    oldHostRemoved: parsed.oldHostRemoved,
    clusterName: parsed.clusterName,
    dryRun: parsed.dryRun !== 'none',
    kubeconfig: parsed.kubeconfig,
    env: io.env,
  });
  printReport(io, parsed.output, report, () => formatMove(report));
  return report.outcome === 'refused' || report.outcome === 'failed' ? 1 : 0;
}

function runPlan(parsed: Parsed, io: CliIo): number {
  const folder = dist(parsed);
  const report = plan(folder, { only: parsed.only, contexts: contextsOf(parsed, folder) });
  printReport(io, parsed.output, report, () => formatPlan(report));
  return 0;
}

/** The clusters of a sandbox, its KubeSphere host, and each cluster's kubeconfig context. */
interface SandboxLayout {
  readonly clusters: string[];
  readonly host: string;
  readonly contexts: Map<string, string>;
}

/** A sandbox or real fleet, started. */
interface Running {
  /** What runs: the first line of the output. */
  readonly title: string;
  readonly servers: { readonly cluster: string; readonly url: string }[];
  /** The cluster that plays the KubeSphere host. */
  readonly host: string;
  /** Its kubeconfig, with a context per cluster named like it. */
  readonly kubeconfig: any;
  readonly kubeconfigYaml: string;
  /** Lines after the kubeconfig's. */
  readonly notes: string;
  /** What is printed once stopped. */
  readonly stopped: string;
  stop(): Promise<void>;
}

/** The default clusters of `ksfed sandbox`. */
const SANDBOX_CLUSTERS = ['host', 'edge-1', 'branch-7'];

/**
 * The sandbox's clusters: from `<dist>/federation.json` (the host: the cluster that holds the members' `Cluster`
 * objects, else federation.json's host), or from --clusters and --host.
 */
function sandboxLayout(parsed: Parsed): SandboxLayout {
  if (parsed.positional.length > 1) {
    throw new UsageError(`ksfed sandbox takes at most one folder (the synth output with federation.json), got ${parsed.positional.length}`);
  }
  const folder = parsed.positional[0];
  if (folder !== undefined) {
    const flag = parsed.clusters ? '--clusters' : parsed.host !== undefined ? '--host' : undefined;
    if (flag) throw new UsageError(`${flag} does not apply with a folder: ksfed sandbox ${folder} takes the clusters and the host from its federation.json. Fix: drop ${flag}, or the folder`);
    const index = readFederationIndex(folder);
    const holders = index.clusters.filter(c => c.entries.some(o => o?.kind === 'Cluster' && typeof o?.apiVersion === 'string' && o.apiVersion.startsWith('cluster.kubesphere.io/')));
    const host = holders.length === 1 ? holders[0].name : index.host;
    const contexts = new Map(index.clusters.map(c => [c.name, c.context]));
    const seen = new Map<string, string>();
    for (const [cluster, context] of contexts) {
      const other = seen.get(context);
      if (other) throw new UsageError(`${path.join(folder, FEDERATION_FILE)}: clusters "${other}" and "${cluster}" both use kubeconfig context "${context}"; the sandbox gives each cluster its own. Fix: give each cluster its own context (the context prop of Host and Member), then synthesize again`);
      seen.set(context, cluster);
    }
    return { clusters: index.clusters.map(c => c.name), host, contexts };
  }
  const clusters = parsed.clusters ?? SANDBOX_CLUSTERS;
  let host = parsed.host;
  if (host === undefined) {
    if (clusters.includes('host')) host = 'host';
    else if (clusters.length === 1) host = clusters[0];
    else throw new UsageError(`--clusters ${clusters.join(',')}: which cluster plays the KubeSphere host? Fix: add --host NAME, or start the sandbox from the synthesized folder: ksfed sandbox <dist>`);
  } else if (!clusters.includes(host)) {
    throw new UsageError(`--host ${host}: not one of the clusters (${clusters.join(', ')}). Fix: name one of them, or add it to --clusters`);
  }
  return { clusters, host, contexts: new Map(clusters.map(c => [c, c])) };
}

/** The sandbox's faults: --latency-ms, and --fault-rate split evenly (so that any one of them hits that share). */
function faultsOf(parsed: Parsed): FaultOptions | undefined {
  if (parsed.latencyMs === undefined && parsed.faultRate === undefined) return undefined;
  // (each request draws each fault on its own: three rates r give 1 - (1 - r)^3 of requests a fault)
  const each = 1 - Math.pow(1 - (parsed.faultRate ?? 0), 1 / 3);
  return { latencyMs: parsed.latencyMs, rate429: each, rate5xx: each, rateReset: each };
}

async function runSandbox(parsed: Parsed, io: CliIo): Promise<number> {
  if (parsed.real) {
    for (const [flag, set] of [['--port', parsed.port !== undefined], ['--latency-ms', parsed.latencyMs !== undefined], ['--fault-rate', parsed.faultRate !== undefined]] as const) {
      if (set) throw new UsageError(`${flag} does not apply to ksfed sandbox --real (${flag === '--port' ? 'each real API server takes a free port' : 'the real API servers inject no faults'})`);
    }
  } else if (parsed.kubefed) {
    throw new UsageError('--kubefed needs --real (the in-memory sandbox emulates KubeSphere, not KubeFed): use ksfed sandbox --real --kubefed');
  }
  const layout = sandboxLayout(parsed);
  const running = parsed.real ? await startReal(parsed, layout, io) : await startInMemory(parsed, layout);
  const out = path.resolve(parsed.kubeconfigOut ?? 'ksfed-sandbox.kubeconfig');
  try {
    fs.writeFileSync(out, kubeconfigWithContexts(running, layout.contexts), { mode: 0o600 });
  } catch (e) {
    await running.stop();
    throw new UsageError(`cannot write ${out}: ${(e as Error).message}`);
  }
  io.stdout(`${running.title}\n`);
  for (const s of running.servers) {
    const context = layout.contexts.get(s.cluster)!;
    io.stdout(`  context ${context.padEnd(12)} ${s.url}${context !== s.cluster ? `  (cluster ${s.cluster})` : ''}${s.cluster === running.host ? '  (KubeSphere host)' : ''}\n`);
  }
  io.stdout(`Kubeconfig: ${out}\n  export KUBECONFIG=${out}\n  ksfed apply ${parsed.positional[0] ?? '<dist>'} --kubeconfig ${out}\n${running.notes}Press Ctrl-C to stop.\n`);
  await (io.untilStopped ?? waitForSignal)();
  await running.stop();
  io.stdout(`${running.stopped}\n`);
  return 0;
}

/** The kubeconfig of a started fleet, its contexts renamed to the federation's (YAML). */
function kubeconfigWithContexts(running: Running, contexts: Map<string, string>): string {
  if ([...contexts].every(([cluster, context]) => cluster === context)) return running.kubeconfigYaml;
  const kc = running.kubeconfig;
  for (const c of kc.contexts) c.name = contexts.get(c.name) ?? c.name;
  kc['current-context'] = contexts.get(kc['current-context']) ?? kc['current-context'];
  return yaml.dump(kc, { noRefs: true, lineWidth: -1 });
}

async function startInMemory(parsed: Parsed, layout: SandboxLayout): Promise<Running> {
  let sandbox: Sandbox;
  const faults = faultsOf(parsed);
  try {
    // anonymous: kubectl (client-go) never sends a bearer token over plain HTTP; a wrong token is still refused.
    sandbox = await Sandbox.start({ clusters: layout.clusters, host: layout.host, port: parsed.port, kubesphere: true, anonymous: true, faults });
  } catch (e) {
    throw new UsageError(`cannot start the sandbox: ${(e as Error).message}`);
  }
  const injected = faults
    ? `Faults: every answer ${parsed.latencyMs ?? 0} ms after its request; ${((parsed.faultRate ?? 0) * 100).toFixed(1).replace(/\.0$/, '')}% of requests fail (429, 500/503, reset)\n`
    : '';
  return {
    title: 'Sandbox running (an in-memory test double of the Kubernetes API, not a cluster):',
    servers: sandbox.clusters.map(c => ({ cluster: c.name, url: c.url })),
    host: sandbox.host,
    kubeconfig: sandbox.kubeconfig(),
    kubeconfigYaml: sandbox.kubeconfigYaml(),
    notes: injected,
    stopped: 'Sandbox stopped.',
    stop: () => sandbox.stop(),
  };
}

/** `ksfed sandbox --real`: a RealFleet (src/real-fleet) instead of the in-memory sandbox; the same kind of output. */
async function startReal(parsed: Parsed, layout: SandboxLayout, io: CliIo): Promise<Running> {
  const started = Date.now();
  let fleet: RealFleet;
  try {
    const binDir = io.env.KSFED_E2E_BIN || undefined;
    fleet = await RealFleet.start({ clusters: layout.clusters, host: layout.host, kubefed: parsed.kubefed, binDir });
  } catch (e) {
    throw new UsageError(`cannot start the real fleet: ${(e as Error).message.split('\n')[0]}`);
  }
  const what = parsed.kubefed ? 'KubeSphere\'s CRDs, KubeFed v0.8.1 on the host with every cluster joined' : 'KubeSphere\'s CRDs';
  return {
    title: `Real fleet running (kube-apiserver v1.34.4 and kube-controller-manager per cluster, one etcd; ${what}), `
      + `up in ${((Date.now() - started) / 1000).toFixed(1)} s:`,
    servers: fleet.clusters.map(c => ({ cluster: c, url: fleet.server(c) })),
    host: fleet.host,
    kubeconfig: fleet.kubeconfig(),
    kubeconfigYaml: fleet.kubeconfigYaml(),
    notes: `Logs: ${path.join(fleet.workDir, 'logs')} (removed on stop)\n`,
    stopped: 'Real fleet stopped.',
    stop: () => fleet.stop(),
  };
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
  const command = COMMANDS.find(c => c.name === process.argv[2]);
  if (!command?.untilStopped) {
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
