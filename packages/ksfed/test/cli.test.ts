import * as fs from 'fs';
import * as path from 'path';
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { Connection, Host, JwtSecret, Member } from 'cdk8s-kubesphere-federation';
import * as yaml from 'js-yaml';
import { Sandbox } from 'ksfed-sandbox';
import { FAST, FAKE_JWT_SECRET, Fleet, mutations, startFleet, synth, tmpdir } from './fixtures';
import { main, parseArgs, STOP_MESSAGE } from '../src/cli';
import { REAL_CLOCK } from '../src/retry';

jest.setTimeout(60_000);

interface Output {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in-process and captures its output. */
async function run(args: string[], env: { [k: string]: string | undefined } = {}, isTTY = false): Promise<Output> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: (t: string) => {
      stdout += t;
    },
    stderr: (t: string) => {
      stderr += t;
    },
    isTTY,
    env: { HOME: tmpdir(), ...env },
    overrides: FAST_CLI,
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

const DIST = synth();
/** The commands ksfed knows. */
const COMMAND_NAMES = ['apply', 'diff', 'status', 'doctor', 'plan', 'move-member', 'sandbox'];
/** What follows a command's name in its usage line. */
const ARGS = (command: string) => command === 'move-member' ? '--context MEMBER --workspace NEW --from OLD' : command === 'sandbox' ? '\\[<dist>\\]' : '<dist>';
const FAST_CLI = { ...FAST, timeoutMs: undefined, retry: { ...FAST.retry, maxAttempts: 3 } };

describe('argument parsing', () => {
  test('flags, repeatable and comma lists, --flag=value', () => {
    const p = parseArgs(['apply', 'dist', '--context', 'edge-1=kind-edge', '--context=host=kind-host', '--only', 'a,b', '--only', 'c', '--dry-run', '--prune', '--force-conflicts', '--concurrency', '8', '--timeout', '5m', '--output=json']);
    expect(p).toMatchObject({ command: 'apply', positional: ['dist'], contexts: { 'edge-1': 'kind-edge', 'host': 'kind-host' }, only: ['a', 'b', 'c'], dryRun: 'server', prune: true, forceConflicts: true, concurrency: 8, timeoutMs: 300_000, output: 'json' });
    expect(p).toMatchObject({ pruneNonEmptyNamespaces: false, pruneRemovedClusters: false, context: [] });
  });

  test('--dry-run: bare is server (before or after the folder); =server, =client, =none; -o in every spelling; a context alone', () => {
    expect(parseArgs(['apply', '--dry-run', 'dist']).dryRun).toBe('server');
    expect(parseArgs(['apply', 'dist', '--dry-run']).dryRun).toBe('server');
    expect(parseArgs(['apply', 'dist', '--dry-run=server']).dryRun).toBe('server');
    expect(parseArgs(['apply', 'dist', '--dry-run=client']).dryRun).toBe('client');
    expect(parseArgs(['apply', 'dist', '--dry-run=none']).dryRun).toBe('none');
    expect(parseArgs(['apply', 'dist']).dryRun).toBe('none');
    for (const args of [['-o', 'yaml'], ['-oyaml'], ['--output', 'yaml'], ['--output=yaml']]) expect(parseArgs(['diff', 'dist', ...args]).output).toBe('yaml');
    expect(parseArgs(['plan', 'dist', '--context', 'kind-edge', '--context', 'host=kind-host'])).toMatchObject({ context: ['kind-edge'], contexts: { host: 'kind-host' } });
    expect(parseArgs(['apply', 'dist', '--field-manager', 'ci-bot']).fieldManager).toBe('ci-bot');
    expect(parseArgs(['sandbox', 'dist', '--latency-ms', '50', '--fault-rate', '0.1', '--host', 'hq'])).toMatchObject({ positional: ['dist'], latencyMs: 50, faultRate: 0.1, host: 'hq' });
  });

  test('the prune flags', () => {
    const p = parseArgs(['apply', 'dist', '--prune', '--prune-nonempty-namespaces', '--prune-removed-clusters', '--context', 'gone=old-ctx']);
    expect(p).toMatchObject({ prune: true, pruneNonEmptyNamespaces: true, pruneRemovedClusters: true, contexts: { gone: 'old-ctx' } });
  });

  test.each([
    [['apply', 'd', '--bogus'], /^ksfed: unknown flag --bogus for ksfed apply\. Fix: see ksfed apply --help for its flags\n$/],
    [['apply', 'd', '--prun'], /^ksfed: unknown flag --prun for ksfed apply\. Fix: use --prune \(ksfed apply --help lists its flags\)\n$/],
    [['status', 'd', '--kube-config', 'k'], /unknown flag --kube-config for ksfed status\. Fix: use --kubeconfig/],
    [['apply', 'd', '-x'], /unknown flag -x for ksfed apply/],
    [['aply', 'd'], /^ksfed: unknown command "aply"\. Fix: use apply \(see ksfed --help\)\n$/],
    [['explode'], /^ksfed: unknown command "explode"\. Fix: use one of apply, diff, status, doctor, plan, move-member, sandbox \(see ksfed --help\)\n$/],
    [['help', 'explode'], /unknown command "explode"/],
    [['apply', 'd', '--context', 'nope='], /write it as CLUSTER=CONTEXT/],
    [['apply', 'd', '--concurrency', '0'], /--concurrency 0/],
    [['apply', 'd', '--timeout', 'soon'], /not a duration/],
    [['apply', 'd', '--output', 'xml'], /--output xml: use text, json or yaml/],
    [['apply', 'd', '-o'], /^ksfed: -o needs a value\. Fix: -o text\|json\|yaml\n$/],
    [['apply', 'd', '--only'], /--only needs a value/],
    [['apply', 'd', '--only', '--prune'], /--only needs a value/],
    [['apply', 'd', '--prune=yes'], /takes no value/],
    [['apply', 'd', '--prune-removed-clusters=yes'], /--prune-removed-clusters takes no value/],
    [['apply', 'd', '--dry-run=maybe'], /^ksfed: --dry-run=maybe: use --dry-run=server, --dry-run=client or --dry-run=none\n$/],
    [['apply', 'd', '--field-manager', ''], /^ksfed: --field-manager "": not a field manager name\. Fix: give 1 to 128 printable characters/],
    [['apply', 'd', `--field-manager=${'m'.repeat(129)}`], /not a field manager name/],
    [['diff', 'd', '--dry-run=server'], /--dry-run does not apply to ksfed diff/],
    [['plan', 'd', '--kubeconfig', 'k'], /^ksfed: --kubeconfig does not apply to ksfed plan \(see ksfed plan --help\)\n$/],
    [['status', 'd', '--wait-timeout', '1m'], /--wait-timeout does not apply to ksfed status/],
    [['sandbox', '--latency-ms=-5'], /^ksfed: --latency-ms -5: give a whole number from 0 to 60000\n$/],
    [['sandbox', '--fault-rate', '1.5'], /^ksfed: --fault-rate 1\.5: give a number from 0 to 1, e\.g\. 0\.05\n$/],
    [['sandbox', '--field-manager', 'x'], /--field-manager does not apply to ksfed sandbox/],
  ])('%j is bad input: one line on stderr, nothing on stdout, exit 2', async (args, message) => {
    const r = await run(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stderr.split('\n').filter(l => l)).toHaveLength(1);
    expect(r.stdout).toBe('');
  });

  test('ksfed --help, ksfed help: the overview (every command) on stdout, exit 0; --version', async () => {
    const help = await run(['--help']);
    expect([help.code, help.stderr]).toEqual([0, '']);
    expect(help.stdout).toMatch(/^ksfed: apply a synthesized KubeSphere federation .*\n\nUsage:\n/);
    for (const command of COMMAND_NAMES) expect(help.stdout).toMatch(new RegExp(`^  ksfed ${command} ${ARGS(command)} {2,}\\S`, 'm'));
    expect(help.stdout).toContain('Run ksfed <command> --help for a command\'s flags and exit codes.');
    expect(await run(['help'])).toEqual(help);
    expect(await run(['-h'])).toEqual(help);
    expect((await run(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+/);
    const bogus = await run(['explode', '--help']);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/unknown command "explode"/);
  });

  test.each(COMMAND_NAMES)('ksfed %s --help, -h, and ksfed help <command>: its own usage, flags and exit codes on stdout, exit 0', async command => {
    const help = await run([command, '--help']);
    expect([help.code, help.stderr]).toEqual([0, '']);
    expect(help.stdout).toMatch(new RegExp(`^ksfed ${command}: [^\\n]+\\.\\n\\nUsage:\\n  ksfed ${command} ${ARGS(command)} \\[flags\\]\\n\\nFlags:\\n`));
    expect(help.stdout).toMatch(/\n {2}-h, --help +this help\n/);
    expect(help.stdout).toMatch(/\nExit codes:\n {2}0 {4}\S.*\n(.*\n)* {2}2 {4}bad input/);
    expect(await run([command, '-h'])).toEqual(help);
    expect(await run(['help', command])).toEqual(help);
    // (the folder is not needed for the help, and the help wins over the run)
    expect(await run([command, DIST, '--help'])).toEqual(help);
  });

  test('each command\'s help lists the flags it takes, and only those', async () => {
    const help = async (command: string) => (await run([command, '--help'])).stdout;
    const flags = async (command: string) => [...(await help(command)).matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm)].map(m => m[1]);
    const apply = await flags('apply');
    expect(apply).toEqual(['--kubeconfig', '--context', '--only', '--dry-run', '--prune', '--prune-nonempty-namespaces', '--prune-removed-clusters', '--force-conflicts', '--field-manager', '--concurrency', '--timeout', '--wait-timeout', '--output', '--skip-preflight', '--allow-role-change', '--help', '--version']);
    expect(await flags('diff')).toEqual(apply.filter(f => !['--dry-run', '--skip-preflight', '--allow-role-change'].includes(f)));
    expect(await flags('doctor')).toEqual(['--kubeconfig', '--context', '--only', '--allow-role-change', '--concurrency', '--timeout', '--output', '--help', '--version']);
    expect(await flags('status')).toEqual(['--kubeconfig', '--context', '--only', '--concurrency', '--timeout', '--output', '--help', '--version']);
    expect(await flags('plan')).toEqual(['--context', '--only', '--output', '--help', '--version']);
    expect(await flags('sandbox')).toEqual(['--clusters', '--host', '--port', '--kubeconfig-out', '--latency-ms', '--fault-rate', '--real', '--kubefed', '--help', '--version']);
    expect(await help('apply')).toContain('  --dry-run[=server|client|none]  server: the API servers check everything, change nothing (bare --dry-run: server);\n');
    expect(await help('apply')).toContain('  -o, --output text|json|yaml     text, or one report on stdout as JSON or YAML');
    expect(await help('apply')).toContain('  --prune-nonempty-namespaces     with --prune: delete such Namespaces too, with everything in them (reported)\n');
    expect(await help('diff')).toContain('Exit codes:\n  0    nothing would change\n  1    something would (create, change, prune)\n  2    bad input');
    expect(await help('diff')).toContain('  3    a cluster could not be compared');
    // every flag a help lists is one the command takes
    for (const command of COMMAND_NAMES) {
      for (const flag of await flags(command)) {
        let error = '';
        try {
          parseArgs([command, flag, '1']);
        } catch (e) {
          error = (e as Error).message;
        }
        expect([command, flag, error]).not.toEqual([command, flag, expect.stringMatching(/unknown flag|does not apply/)]);
      }
    }
  });
});

test.each([[[]], [['--only', 'edge-1']]])('%j: no command is bad input: the usage on stderr, exit 2', async args => {
  const r = await run(args);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^ksfed: apply a synthesized KubeSphere federation/);
  expect(r.stderr).toContain('Usage:\n  ksfed apply <dist>');
  expect(r.stderr).toBe((await run(['--help'])).stdout);
});

/** A copy of DIST broken by `edit` (its folder). */
function broken(edit: (dir: string) => void): string {
  const dir = tmpdir('ksfed-cli-broken-');
  fs.cpSync(DIST, dir, { recursive: true });
  edit(dir);
  return dir;
}

/** A copy of DIST whose federation.json `edit` changed. */
function brokenManifest(edit: (manifest: any) => void): string {
  return broken(dir => {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'federation.json'), 'utf8'));
    edit(manifest);
    fs.writeFileSync(path.join(dir, 'federation.json'), JSON.stringify(manifest));
  });
}

describe('bad input: one line, exit 2, no stack trace', () => {
  test.each([
    [['apply', '/nonexistent/dist'], /no such folder/],
    [['apply'], /needs exactly one folder/],
    [['plan', DIST, '--only', 'nope'], /unknown cluster "nope"/],
    [['apply', DIST, '--kubeconfig', '/nonexistent/kc'], /--kubeconfig \/nonexistent\/kc: no such file/],
    [['status', DIST, '--prune'], /--prune does not apply to ksfed status/],
    [['diff', DIST, '--dry-run'], /--dry-run does not apply to ksfed diff/],
    [['apply', brokenManifest(m => m.clusters[0].role = 'hostx')], /federation\.json: clusters\[0\]\.role \(cluster "host"\) is "hostx"; expected "host" or "member"\. Fix: synthesize again/],
    [['apply', brokenManifest(m => m.host = 'edge-1')], /federation\.json: host is "edge-1"; expected the cluster whose role is "host" \(host\)\. Fix: synthesize again/],
    [['apply', brokenManifest(m => m.clusters[1].dependsOn = ['edge-1'])], /federation\.json: clusters\[1\]\.dependsOn\[0\] \(cluster "edge-1"\) is "edge-1"; expected another cluster/],
    [['apply', broken(d => fs.writeFileSync(path.join(d, 'edge-1', 'extra.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\n'))],
      /edge-1\/extra\.yaml: a file that federation\.json does not list for cluster "edge-1"; ksfed would not apply it\. Fix: remove it/],
    [['plan', broken(d => fs.mkdirSync(path.join(d, 'edge-2')))], /edge-2: a folder of no cluster of federation\.json; ksfed would ignore it\. Fix: remove it/],
    [['status', DIST, '--prune-removed-clusters'], /--prune-removed-clusters does not apply to ksfed status/],
    [['apply', DIST, '--prune-removed-clusters'], /^ksfed: --prune-removed-clusters works only with --prune\. Fix: add --prune\n$/],
    [['diff', DIST, '--prune-nonempty-namespaces'], /^ksfed: --prune-nonempty-namespaces works only with --prune\. Fix: add --prune\n$/],
    [['diff', '/nonexistent/dist'], /no such folder/],
    [['status', '/nonexistent/dist'], /no such folder/],
    [['plan', '/nonexistent/dist'], /no such folder/],
    [['sandbox', '/nonexistent/dist'], /no such folder/],
    [['apply', DIST, '--dry-run=client', '--prune'], /^ksfed: --prune needs the clusters, and --dry-run=client contacts none\. Fix: use --dry-run=server to see what prune would delete\n$/],
  ])('%j', async (args, message) => {
    const r = await run(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  });

  test('two clusters resolving to one context: refused before any request', async () => {
    const fleet = await startFleet();
    try {
      const r = await run(['apply', DIST, '--kubeconfig', fleet.kubeconfig, '--context', 'edge-1=host']);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe('ksfed: clusters "host" and "edge-1" both resolve to kubeconfig context "host" (the default context of "host", --context edge-1=host); ksfed would apply both folders to one cluster. Fix: pass --context edge-1=<the context of edge-1>\n');
      expect(fleet.sandbox.clusters.flatMap(c => c.requests)).toEqual([]);
    } finally {
      await fleet.stop();
    }
  });

  test('a missing context names the contexts there are', async () => {
    const fleet = await startFleet();
    try {
      const r = await run(['apply', DIST, '--kubeconfig', fleet.kubeconfig, '--context', 'edge-1=prod-edge']);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe('ksfed: no context "prod-edge" in the kubeconfig (--context edge-1=prod-edge); it has: host, edge-1, branch-7. Fix: pass --context edge-1=<context>\n');
    } finally {
      await fleet.stop();
    }
  });
});

test('a cluster without KubeSphere: exit 2 at once with one line saying what is missing and what to install; nothing written', async () => {
  // GIVEN the host is a plain Kubernetes cluster, and a wait timeout of an hour
  const fleet = await startFleet({ sandbox: { withoutKubeSphere: ['host'] } });
  try {
    let stdout = '';
    let stderr = '';
    let slept = 0;
    // (the test's clock: the time ksfed spends waiting)
    const clock = { now: () => Date.now(), sleep: (ms: number, signal?: AbortSignal) => (slept += ms, REAL_CLOCK.sleep(ms, signal)) };
    const { waitTimeoutMs: _fast, ...overrides } = FAST_CLI;
    // WHEN
    const code = await main(['apply', DIST, '--kubeconfig', fleet.kubeconfig, '--wait-timeout', '1h', '--timeout', '2h'], {
      stdout: t => (stdout += t), stderr: t => (stderr += t), isTTY: false, env: { HOME: tmpdir() }, overrides: { ...overrides, clock },
    });
    // THEN
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^ksfed: cluster "host" \(context host\): KubeSphere is not installed there: CRDs clusterconfigurations.installer.kubesphere.io, clusters.cluster.kubesphere.io are not served and namespace kubesphere-system does not exist, which ClusterConfiguration kubesphere-system\/ks-installer, Cluster host, Cluster edge-1, \.\.\. need\. Fix: install KubeSphere v3\.4 with ks-installer on host /);
    expect(stdout).toBe('');
    // it did not wait (for an hour, or at all) and wrote nothing
    expect(slept).toBeLessThan(1_000);
    expect(fleet.sandbox.clusters.flatMap(c => c.requests.filter(r => r.method !== 'GET'))).toEqual([]);
  } finally {
    await fleet.stop();
  }
});

test('plan needs no cluster', async () => {
  const r = await run(['plan', DIST]);
  expect(r.code).toBe(0);
  expect(r.stdout.split('\n')[0]).toBe('Clusters, all at once: host, edge-1, branch-7');
  expect(r.stdout).toContain('then wait: Cluster branch-7 on host AgentAvailable and Ready');
  const json = JSON.parse((await run(['plan', DIST, '--output', 'json'])).stdout);
  expect(json.clusters.map((c: any) => c.readsFrom)).toEqual([[], ['host'], ['host']]);
});

describe('against a sandbox', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet();
  });
  afterAll(() => fleet.stop());

  test('apply prints plain lines and a summary off a terminal; exit 0; then status and diff', async () => {
    const r = await run(['apply', DIST, '--kubeconfig', fleet.kubeconfig, '--wait-timeout', '4s', '--prune']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^host {6}created {5}CustomResourceDefinition kubefedclusters.core.kubefed.io$/m);
    expect(r.stdout).toMatch(/^branch-7  joined: Cluster branch-7 on host is AgentAvailable and Ready$/m);
    expect(r.stdout).toMatch(/^host\s+succeeded\s+95\s+0\s+0\s+0\s+0\s+\d+\.\ds$/m);
    expect(r.stdout).toMatch(/apply: 3\/3 clusters succeeded/);

    const s = await run(['status', DIST, '--kubeconfig', fleet.kubeconfig]);
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(/^branch-7\s+member\s+yes\s+Initialized=True AgentAvailable=True Federated=True Ready=True\s+1\/1 ready\s+-\s+yes$/m);
    expect(s.stdout).toMatch(/^host\s+host\s+yes\s+Federated=True Ready=True\s+3\/3 ready/m);

    const d = await run(['diff', DIST, '--kubeconfig', fleet.kubeconfig]);
    expect(d.code).toBe(0);
    expect(d.stdout).toContain('host: 0 to create, 0 to change, 95 unchanged');
  });

  test('a TTY gets live progress lines', async () => {
    const r = await run(['apply', DIST, '--kubeconfig', fleet.kubeconfig, '--only', 'host'], {}, true);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('\x1b[2K');
    expect(r.stdout).toMatch(/host {2}succeeded \(\d+\.\ds\)/);
    // 95 objects, throttled redraws; the cursor hidden while live, shown again before the summary
    expect(r.stdout.split('\x1b[2Khost ').length - 1).toBeLessThan(60);
    // (a run faster than one redraw interval draws once, at the end, and need not hide it)
    const hides = r.stdout.split('\x1b[?25l').length - 1;
    expect(r.stdout.split('\x1b[?25h').length - 1).toBe(hides);
    if (hides > 0) {
      expect(r.stdout.indexOf('\x1b[?25l')).toBe(0);
      expect(r.stdout.indexOf('\x1b[?25h')).toBeGreaterThan(r.stdout.lastIndexOf('\x1b[2K'));
      expect(r.stdout.indexOf('\x1b[?25h')).toBeLessThan(r.stdout.indexOf('apply: 1/1 clusters succeeded'));
    }
  });

  test('Ctrl-C on a TTY: the stop message goes above the live lines, the cursor comes back; exit 130', async () => {
    const controller = new AbortController();
    const transcript: [string, string][] = [];
    // slow enough for the live lines to be drawn (after one redraw interval) before it ends
    fleet.sandbox.cluster('edge-1').setFaults({ latencyMs: 40 });
    const code = await main(['apply', DIST, '--kubeconfig', fleet.kubeconfig, '--only', 'host,edge-1'], {
      stdout: t => {
        transcript.push(['out', t]);
        // Ctrl-C once the live lines are on screen
        if (t.includes('\x1b[2K')) controller.abort();
      },
      stderr: t => {
        transcript.push(['err', t]);
      },
      isTTY: true,
      terminalSize: () => ({ columns: 100, rows: 40 }),
      env: { HOME: tmpdir() },
      signal: controller.signal,
      overrides: FAST_CLI,
    }).finally(() => fleet.sandbox.cluster('edge-1').setFaults({}));
    expect(code).toBe(130);
    const errors = transcript.filter(([to]) => to === 'err');
    expect(errors).toEqual([['err', `${STOP_MESSAGE}\n`]]);
    const at = transcript.indexOf(errors[0]);
    // before it, the live lines are blanked (2 clusters, 1 row each at 100 columns); after it, drawn again
    expect(transcript[at - 1]).toEqual(['out', '\r\x1b[2A\x1b[2K\n\x1b[2K\n\x1b[2A']);
    expect(transcript[at + 1][1]).toMatch(/^\x1b\[2Khost .*\n\x1b\[2Kedge-1 .*\n\x1b\[J$/);
    const stdout = transcript.filter(([to]) => to === 'out').map(([, t]) => t).join('');
    expect(stdout.lastIndexOf('\x1b[?25h')).toBeGreaterThan(stdout.lastIndexOf('\x1b[?25l'));
    expect(stdout).toMatch(/edge-1 {2}aborted/);
  });

  test('Ctrl-C off a terminal: the stop message as before', async () => {
    const controller = new AbortController();
    let stderr = '';
    let stdout = '';
    const code = await main(['apply', DIST, '--kubeconfig', fleet.kubeconfig, '--only', 'host'], {
      stdout: t => {
        stdout += t;
        controller.abort();
      },
      stderr: t => {
        stderr += t;
      },
      isTTY: false,
      env: { HOME: tmpdir() },
      signal: controller.signal,
      overrides: FAST_CLI,
    });
    expect(code).toBe(130);
    expect(stderr).toBe(`\n${STOP_MESSAGE}\n`);
    expect(stdout).not.toContain('\x1b');
  });

  test('a placeholder hand-written into dist/ where federation.json does not list it: exit 2, one line, nothing written', async () => {
    // GIVEN the quickstart output with the JWT secret's placeholder copied into an annotation of edge-1's
    // ClusterConfiguration (a file that holds it, at another place)
    const d = tmpdir('ksfed-edited-');
    fs.cpSync(DIST, d, { recursive: true });
    const file = path.join(d, 'edge-1', '0000-clusterconfiguration-kubesphere-system-ks-installer.yaml');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('metadata:\n', 'metadata:\n  annotations:\n    copy: "{{ksfed:jwt-secret}}"\n'));
    for (const c of fleet.sandbox.clusters) c.clearRequests();
    // WHEN applied
    const r = await run(['apply', d, '--kubeconfig', fleet.kubeconfig]);
    // THEN refused in one line naming the file, cluster, pointer and id, before any write
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`ksfed: ${file}: cluster "edge-1", /metadata/annotations/copy: holds placeholder {{ksfed:jwt-secret}}, which federation.json does not list there (ksfed fills a placeholder only where the library wrote it). Fix: synthesize again; never edit dist/ or write "{{ksfed:...}}" by hand\n`);
    expect(fleet.sandbox.clusters.flatMap(c => c.requests.filter(q => q.method !== 'GET').map(q => `${c.name} ${q.method} ${q.path}`))).toEqual([]);
  });

  test('--output json is one JSON report; a down cluster gives exit 1', async () => {
    fleet.sandbox.cluster('edge-1').setDown(true);
    try {
      const r = await run(['apply', DIST, '--kubeconfig', fleet.kubeconfig, '--output', 'json', '--only', 'host,edge-1', '--timeout', '20s']);
      expect(r.code).toBe(1);
      // (a cluster that failed is a result: in the report on stdout, not an error on stderr)
      expect(r.stderr).toBe('');
      const report = JSON.parse(r.stdout);
      expect(report.clusters.map((c: any) => [c.name, c.status])).toEqual([['host', 'succeeded'], ['edge-1', 'failed']]);
    } finally {
      fleet.sandbox.cluster('edge-1').setDown(false);
    }
  });
});

test('secrets never reach any output', async () => {
  // GIVEN a fleet whose jwtSecret comes from the environment, realistic fake credentials, every command's output
  const dist = synth(app => {
    const host = new Host(app, 'host', { name: 'host', jwtSecret: JwtSecret.fromEnv('KS_JWT_SECRET') });
    new Member(app, 'edge-1', { host, name: 'edge-1', connection: Connection.direct() });
    new Member(app, 'branch-7', { host, name: 'branch-7', connection: Connection.agent() });
  });
  const jwt = 'Hq3v9TzL0x8WkPbR2sYdN6cJ4uMfA7eG';
  const fleet = await startFleet({ jwtSecret: FAKE_JWT_SECRET });
  const outputs: string[] = [];
  try {
    const env = { KS_JWT_SECRET: jwt };
    const kc = ['--kubeconfig', fleet.kubeconfig];
    for (const [args, code] of [
      // (diff: 1, everything is still to create)
      [['diff', dist, ...kc], 1], [['apply', dist, ...kc, '--dry-run'], 0], [['apply', dist, ...kc, '--prune'], 0], [['apply', dist, ...kc, '--output', 'json'], 0],
      [['diff', dist, ...kc, '--output', 'json'], 0], [['diff', dist, ...kc, '-o', 'yaml'], 0], [['apply', dist, ...kc, '-o', 'yaml'], 0], [['status', dist, ...kc], 0],
      [['status', dist, ...kc, '--output', 'json'], 0], [['status', dist, ...kc, '-o', 'yaml'], 0], [['plan', dist, '--output', 'json'], 0], [['plan', dist, '-o', 'yaml'], 0],
    ] as [string[], number][]) {
      const r = await run(args, env);
      outputs.push(r.stdout, r.stderr);
      expect({ args: args[0], code: r.code }).toEqual({ args: args[0], code });
    }
    // a failing apply with the secret in an error path
    fleet.sandbox.cluster('edge-1').setDown(true);
    const failing = await run(['apply', dist, ...kc, '--only', 'edge-1'], env);
    outputs.push(failing.stdout, failing.stderr);
    fleet.sandbox.cluster('edge-1').setDown(false);

    // THEN none of the credentials appears, in clear or base64
    const host = fleet.sandbox.cluster('host');
    const agentToken = host.get('cluster.kubesphere.io/v1alpha1', 'Cluster', 'branch-7').spec.connection.token;
    const kubeconfig = host.get('cluster.kubesphere.io/v1alpha1', 'Cluster', 'edge-1').spec.connection.kubeconfig;
    const tlsKey = Buffer.from(host.get('v1', 'Secret', 'kubefed-admission-webhook-serving-cert', 'kube-federation-system').data['tls.key'], 'base64').toString();
    expect(fleet.sandbox.cluster('edge-1').get('installer.kubesphere.io/v1alpha1', 'ClusterConfiguration', 'ks-installer', 'kubesphere-system').spec.authentication.jwtSecret).toBe(jwt);
    const secrets = [jwt, agentToken, kubeconfig, tlsKey.split('\n')[1], ...fleet.sandbox.clusters.map(c => c.token)];
    const all = outputs.join('\n');
    expect(all.length).toBeGreaterThan(1000);
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(20);
      expect(all.includes(secret)).toBe(false);
      expect(all.includes(Buffer.from(secret).toString('base64'))).toBe(false);
    }
    // and nothing was written into dist/
    const files = fs.readdirSync(dist, { recursive: true }).map(f => path.join(dist, String(f))).filter(f => fs.statSync(f).isFile());
    for (const f of files) for (const secret of secrets) expect(fs.readFileSync(f, 'utf8').includes(secret)).toBe(false);
  } finally {
    await fleet.stop();
  }
});

test('a rotated secret: neither the live value nor the new one reaches any output of any command', async () => {
  // GIVEN a fleet applied with KS_JWT_SECRET=A
  const dist = synth(app => {
    const host = new Host(app, 'host', { name: 'host', jwtSecret: JwtSecret.fromEnv('KS_JWT_SECRET') });
    new Member(app, 'edge-1', { host, name: 'edge-1', connection: Connection.direct() });
    new Member(app, 'branch-7', { host, name: 'branch-7', connection: Connection.agent() });
  });
  const before = 'Rt5vA8zKq2LmW9xPc4NbH7jD1sFgY3eU';
  const after = 'Zp8nQ3wEr6TyU1iOa5SdF9gHj2KlX4cV';
  const fleet = await startFleet();
  const outputs: string[] = [];
  try {
    const kc = ['--kubeconfig', fleet.kubeconfig];
    const first = await run(['apply', dist, ...kc], { KS_JWT_SECRET: before });
    expect(first.code).toBe(0);
    expect(fleet.sandbox.cluster('host').get('installer.kubesphere.io/v1alpha1', 'ClusterConfiguration', 'ks-installer', 'kubesphere-system').spec.authentication.jwtSecret).toBe(before);
    // WHEN it is rotated to B and every command runs, in text and JSON
    const results: { [command: string]: Output } = {};
    for (const args of [
      ['diff', dist, ...kc], ['diff', dist, ...kc, '--output', 'json'], ['diff', dist, ...kc, '-o', 'yaml'],
      ['apply', dist, ...kc, '--dry-run'], ['apply', dist, ...kc, '--dry-run', '--output', 'json'],
      ['apply', dist, ...kc], ['apply', dist, ...kc, '--output', 'json'],
      ['status', dist, ...kc], ['status', dist, ...kc, '--output', 'json'], ['plan', dist], ['plan', dist, '--output', 'json'],
    ]) {
      const r = await run(args, { KS_JWT_SECRET: after });
      results[args.filter(a => a !== dist && !kc.includes(a)).join(' ')] = r;
      outputs.push(r.stdout, r.stderr);
    }
    // THEN the change is told (where, not what), ...
    expect(results.diff.code).toBe(1);
    expect(results.diff.stdout).toMatch(/^ {2}~ ClusterConfiguration kubesphere-system\/ks-installer\n {6}spec\.authentication\.jwtSecret$/m);
    expect(JSON.parse(results['diff --output json'].stdout).clusters[1].objects.find((o: any) => o.kind === 'ClusterConfiguration').changes).toEqual(['/spec/authentication/jwtSecret']);
    expect(results['apply --dry-run'].stdout).toMatch(/configured \(dry run\) {2}ClusterConfiguration kubesphere-system\/ks-installer/);
    expect(fleet.sandbox.cluster('edge-1').get('installer.kubesphere.io/v1alpha1', 'ClusterConfiguration', 'ks-installer', 'kubesphere-system').spec.authentication.jwtSecret).toBe(after);
    // ... and neither value appears anywhere, in clear or base64
    const all = outputs.join('\n');
    for (const secret of [before, after]) {
      expect(all.includes(secret)).toBe(false);
      expect(all.includes(Buffer.from(secret).toString('base64'))).toBe(false);
    }
  } finally {
    await fleet.stop();
  }
});

describe('sandbox --real: argument parsing (the real start is in test/e2e/cli.e2e.test.ts)', () => {
  test('--real and --kubefed are flags of ksfed sandbox', () => {
    expect(parseArgs(['sandbox', '--real', '--kubefed', '--clusters', 'host,edge-1'])).toMatchObject({ command: 'sandbox', real: true, kubefed: true, clusters: ['host', 'edge-1'] });
    expect(parseArgs(['sandbox'])).toMatchObject({ real: false, kubefed: false });
  });

  test.each([
    [['sandbox', '--kubefed'], /^ksfed: --kubefed needs --real \(the in-memory sandbox emulates KubeSphere, not KubeFed\): use ksfed sandbox --real --kubefed\n$/],
    [['sandbox', '--real', '--port', '6443'], /^ksfed: --port does not apply to ksfed sandbox --real \(each real API server takes a free port\)\n$/],
    [['sandbox', '--real=yes'], /--real takes no value/],
    [['apply', DIST, '--real'], /--real does not apply to ksfed apply/],
    [['status', DIST, '--kubefed'], /--kubefed does not apply to ksfed status/],
    [['sandbox', '--real', '--clusters', 'Host'], /^ksfed: cannot start the real fleet: RealFleet: cluster name "Host" is not a DNS-1123 label\. Fix: /],
    [['sandbox', '--real', '--latency-ms', '10'], /^ksfed: --latency-ms does not apply to ksfed sandbox --real \(the real API servers inject no faults\)\n$/],
    [['sandbox', '--real', '--fault-rate', '0.1'], /^ksfed: --fault-rate does not apply to ksfed sandbox --real/],
    // with a folder, --real starts the folder's clusters (here it stops at the missing binaries)
    [['sandbox', DIST, '--real'], /^ksfed: cannot start the real fleet: RealFleet: etcd-lite, kube-apiserver, kube-controller-manager not found in /],
  ])('%j is bad input', async (args, message) => {
    const r = await run(args as string[], { KSFED_E2E_BIN: tmpdir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('without the binaries: exit 2, naming the folder and how to build them', async () => {
    const empty = tmpdir();
    const r = await run(['sandbox', '--real'], { KSFED_E2E_BIN: empty });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`ksfed: cannot start the real fleet: RealFleet: etcd-lite, kube-apiserver, kube-controller-manager not found in ${empty}. `
      + 'Fix: run \'bash e2e/build.sh\' (needs Go 1.26) or set KSFED_E2E_BIN\n');
    expect(r.stdout).toBe('');
  });

  test('the help names it', async () => {
    const help = (await run(['sandbox', '--help'])).stdout;
    expect(help).toContain('\n  --real              real kube-apiservers on 127.0.0.1 instead');
    expect(help).toContain('\n  --kubefed           with --real: KubeFed v0.8.1 on the host');
  });
});

test('sandbox command writes a kubeconfig, prints contexts, stops on request', async () => {
  const out = path.join(tmpdir(), 'sb.kubeconfig');
  let stdout = '';
  let jwt = '';
  const running = main(['sandbox', '--clusters', 'host,edge-1', '--kubeconfig-out', out], {
    stdout: t => {
      stdout += t;
    },
    stderr: () => undefined,
    isTTY: false,
    env: {},
    // while it runs: the kubeconfig works, and ks-installer's jwt Secret is there for JwtSecret.fromHostCluster()
    untilStopped: async () => {
      const kc = new KubeConfig();
      kc.loadFromFile(out);
      kc.setCurrentContext('host');
      const secret: any = await KubernetesObjectApi.makeApiClient(kc).read({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'kubesphere-secret', namespace: 'kubesphere-system' } });
      jwt = Buffer.from(secret.data.secret, 'base64').toString();
    },
  });
  expect(await running).toBe(0);
  expect(stdout).toMatch(/context host\s+http:\/\/127\.0\.0\.1:\d+ {2}\(KubeSphere host\)/);
  expect(stdout).toMatch(/context edge-1\s+http:\/\/127\.0\.0\.1:\d+/);
  expect(stdout).toContain('Sandbox stopped.');
  const kc = fs.readFileSync(out, 'utf8');
  expect(kc).toContain('current-context: host');
  expect(jwt).toHaveLength(32);
  // the tokens are in the kubeconfig file only, never printed
  const token = /token: (\S+)/.exec(kc)![1];
  expect(stdout).not.toContain(token);
  expect(stdout).not.toContain(jwt);
});

describe('a cluster removed from the program', () => {
  // The quickstart without branch-7.
  const WITHOUT_BRANCH = synth(app => {
    const host = new Host(app, 'host', { name: 'host', region: 'eu-central', capacity: { nodes: 3, cpu: '4', memory: '8Gi' } });
    new Member(app, 'edge-1', { host, name: 'edge-1', region: 'eu-west', group: 'production', connection: Connection.direct() });
  });

  test('is reported in text and JSON; --prune-removed-clusters cleans it (exit 0), or exits 1 when it cannot be reached', async () => {
    const fleet = await startFleet();
    try {
      const kc = ['--kubeconfig', fleet.kubeconfig];
      expect((await run(['apply', DIST, ...kc, '--prune'])).code).toBe(0);

      const json = await run(['apply', WITHOUT_BRANCH, ...kc, '--prune', '--output', 'json']);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout).removedClusters).toEqual([expect.objectContaining({ name: 'branch-7', status: 'left', message: expect.stringMatching(/Fix: rerun with --prune --prune-removed-clusters/) })]);
      const text = await run(['diff', WITHOUT_BRANCH, ...kc]);
      expect(text.stdout).toMatch(/^branch-7 \(removed from the program\): left: applied before/m);

      fleet.sandbox.cluster('branch-7').setDown(true);
      const down = await run(['apply', WITHOUT_BRANCH, ...kc, '--prune', '--prune-removed-clusters']);
      expect(down.code).toBe(1);
      expect(down.stdout).toMatch(/^removed cluster branch-7: failed: not cleaned: .*; it stays recorded, run again to clean it$/m);

      fleet.sandbox.cluster('branch-7').setDown(false);
      const cleaned = await run(['apply', WITHOUT_BRANCH, ...kc, '--prune', '--prune-removed-clusters']);
      expect(cleaned.code).toBe(0);
      expect(cleaned.stdout).toMatch(/^branch-7  pruned {4}  Deployment kubesphere-system\/cluster-agent$/m);
      expect(cleaned.stdout).toMatch(/^removed cluster branch-7: cleaned: pruned 3 and its ApplySet parent; the host's record forgets it$/m);
    } finally {
      await fleet.stop();
    }
  });
});

describe('diff exit codes, readable paths, report formats and dry runs, against a fresh sandbox', () => {
  let fleet: Fleet;
  let kc: string[];
  beforeAll(async () => {
    fleet = await startFleet();
    kc = ['--kubeconfig', fleet.kubeconfig];
  });
  afterAll(() => fleet.stop());

  test('diff exits 1 when something would change, 0 when nothing would, 3 when a cluster cannot be compared, 2 on bad input', async () => {
    const before = await run(['diff', DIST, ...kc]);
    expect([before.code, before.stderr]).toEqual([1, '']);
    expect(before.stdout).toMatch(/^host: 95 to create, 0 to change, 0 unchanged$/m);
    expect((await run(['apply', DIST, ...kc])).code).toBe(0);
    const after = await run(['diff', DIST, ...kc]);
    expect([after.code, after.stderr]).toEqual([0, '']);
    expect(after.stdout).toMatch(/^edge-1: 0 to create, 0 to change, 1 unchanged$/m);
    fleet.sandbox.cluster('edge-1').setDown(true);
    try {
      const down = await run(['diff', DIST, ...kc, '--timeout', '20s']);
      expect(down.code).toBe(3);
      expect(down.stdout).toMatch(/^edge-1: 0 to create, 0 to change, 0 unchanged \(failed: /m);
    } finally {
      fleet.sandbox.cluster('edge-1').setDown(false);
    }
    const bad = await run(['diff', DIST, ...kc, '--only', 'nope']);
    expect([bad.code, bad.stdout]).toEqual([2, '']);
  });

  test('diff paths read as metadata.labels["..."] in text, without ~1 escapes; JSON and YAML keep the exact pointers', async () => {
    expect((await run(['apply', DIST, ...kc])).code).toBe(0);
    // GIVEN edge-1 moved to another region in the program
    const moved = synth(app => {
      const host = new Host(app, 'host', { name: 'host', region: 'eu-central', capacity: { nodes: 3, cpu: '4', memory: '8Gi' } });
      new Member(app, 'edge-1', { host, name: 'edge-1', region: 'eu-north', group: 'production', connection: Connection.direct() });
      new Member(app, 'branch-7', { host, name: 'branch-7', region: 'eu-west', group: 'development', connection: Connection.agent() });
    });
    const text = await run(['diff', moved, ...kc]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('  ~ Cluster edge-1\n      metadata.labels["cluster.kubesphere.io/region"]: "eu-west" -> "eu-north"\n');
    expect(text.stdout).not.toMatch(/~[01]/);
    const pointer = '/metadata/labels/cluster.kubesphere.io~1region: "eu-west" -> "eu-north"';
    const json = await run(['diff', moved, ...kc, '-o', 'json']);
    expect(json.code).toBe(1);
    const cluster = (report: any) => report.clusters[0].objects.find((o: any) => o.kind === 'Cluster' && o.name === 'edge-1');
    expect(cluster(JSON.parse(json.stdout)).changes).toContain(pointer);
    expect(cluster(yaml.load((await run(['diff', moved, ...kc, '-o', 'yaml'])).stdout)).changes).toContain(pointer);
  });

  test('-o yaml is the -o json report as YAML, for apply, diff, status and plan (no progress lines); results on stdout, nothing on stderr', async () => {
    expect((await run(['apply', DIST, ...kc])).code).toBe(0);
    // (times differ from run to run)
    const timeless = (report: any): any => JSON.parse(JSON.stringify(report, (key, value) => key === 'durationMs' ? 0 : value));
    for (const [args, code] of [[['apply', DIST, ...kc], 0], [['diff', DIST, ...kc], 0], [['status', DIST, ...kc], 0], [['plan', DIST], 0], [['apply', DIST, '--dry-run=client'], 0]] as [string[], number][]) {
      const json = await run([...args, '--output', 'json']);
      const yamlOut = await run([...args, '-o', 'yaml']);
      expect([args[0], json.code, json.stderr, yamlOut.code, yamlOut.stderr]).toEqual([args[0], code, '', code, '']);
      const parsed = yaml.load(yamlOut.stdout);
      expect(timeless(parsed)).toEqual(timeless(JSON.parse(json.stdout)));
      expect((parsed as any).clusters.length).toBeGreaterThan(0);
      expect(yamlOut.stdout).not.toMatch(/^\{/);
      const textOut = await run(args);
      expect([args[0], textOut.code, textOut.stderr]).toEqual([args[0], code, '']);
      expect(textOut.stdout.length).toBeGreaterThan(0);
    }
  });

  test('--dry-run=server: checked by the servers, nothing written (bare --dry-run the same); =client: the plan, no cluster contacted; =none: applied', async () => {
    const moved = broken(d => {
      const file = path.join(d, 'host', '0058-deployment-kubesphere-system-tower.yaml');
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('replicas: 1', 'replicas: 2'));
    });
    const tower = () => fleet.sandbox.cluster('host').get('apps/v1', 'Deployment', 'tower', 'kubesphere-system').spec.replicas;
    expect((await run(['apply', DIST, ...kc])).code).toBe(0);
    for (const dryRun of ['--dry-run=server', '--dry-run']) {
      for (const c of fleet.sandbox.clusters) c.clearRequests();
      const r = await run(['apply', moved, ...kc, dryRun]);
      expect([dryRun, r.code, r.stderr]).toEqual([dryRun, 0, '']);
      expect(r.stdout).toMatch(/^host {6}configured \(dry run\) {2}Deployment kubesphere-system\/tower$/m);
      expect(r.stdout).toContain('dry run: 3/3 clusters succeeded');
      const sent = mutations(fleet.sandbox);
      expect(sent.length).toBeGreaterThan(0);
      expect(sent.filter(m => !m.dryRun)).toEqual([]);
      expect(tower()).toBe(1);
    }
    // client: what `plan` prints, without a kubeconfig (none is read, no cluster contacted)
    for (const c of fleet.sandbox.clusters) c.clearRequests();
    const client = await run(['apply', moved, '--kubeconfig', '/nonexistent/kc', '--dry-run=client']);
    expect([client.code, client.stderr]).toEqual([0, '']);
    expect(client.stdout).toBe((await run(['plan', moved])).stdout);
    expect(JSON.parse((await run(['apply', moved, '--dry-run=client', '-o', 'json'])).stdout)).toEqual(JSON.parse((await run(['plan', moved, '-o', 'json'])).stdout));
    expect(fleet.sandbox.clusters.flatMap(c => c.requests)).toEqual([]);
    // none: applied
    const none = await run(['apply', moved, ...kc, '--dry-run=none']);
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/^host {6}configured {2}Deployment kubesphere-system\/tower$/m);
    expect(tower()).toBe(2);
  });
});

describe('--field-manager', () => {
  test('objects are applied with that field manager, which the no-op check and conflict reports use', async () => {
    const fleet = await startFleet();
    try {
      const kc = ['--kubeconfig', fleet.kubeconfig, '--only', 'host'];
      const host = fleet.sandbox.cluster('host');
      const managers = () => host.get('apps/v1', 'Deployment', 'kubefed-controller-manager', 'kube-federation-system').metadata.managedFields
        .filter((f: any) => f.operation === 'Apply').map((f: any) => f.manager);
      // WHEN applied as ci-bot
      expect((await run(['apply', DIST, ...kc, '--field-manager', 'ci-bot'])).code).toBe(0);
      // THEN every server-side apply went as ci-bot, which owns the fields
      const patches = host.requests.filter(r => r.method === 'PATCH');
      expect(patches.length).toBeGreaterThan(90);
      expect([...new Set(patches.map(r => r.fieldManager))]).toEqual(['ci-bot']);
      expect(managers()).toEqual(['ci-bot']);
      expect(host.get('v1', 'Secret', 'ksfed-applyset', 'kube-system').metadata.managedFields.map((f: any) => f.manager)).toContain('ci-bot');
      // again as ci-bot: its fields are as the folder says, nothing is sent
      host.clearRequests();
      expect((await run(['apply', DIST, ...kc, '--field-manager', 'ci-bot'])).code).toBe(0);
      expect(mutations(fleet.sandbox, 'host')).toEqual([]);
      // a field ci-bot owns, set to another value by another manager: a conflict that names ci-bot
      const scaled = broken(d => {
        const file = path.join(d, 'host', '0054-deployment-kube-federation-system-kubefed-controller-manager.yaml');
        fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('replicas: 2', 'replicas: 3'));
      });
      const other = await run(['apply', scaled, ...kc, '--field-manager', 'other-bot']);
      expect(other.code).toBe(1);
      expect(other.stdout).toMatch(/^host +failed +Deployment kube-federation-system\/kubefed-controller-manager \[[^\]]+\]: conflict: \.spec\.replicas is owned by "ci-bot"\. Fix: rerun with --force-conflicts/m);
      // as ci-bot, the change is its own
      const same = await run(['apply', scaled, ...kc, '--field-manager', 'ci-bot']);
      expect(same.code).toBe(0);
      expect(host.get('apps/v1', 'Deployment', 'kubefed-controller-manager', 'kube-federation-system').spec.replicas).toBe(3);
    } finally {
      await fleet.stop();
    }
  });
});

describe('--context CONTEXT alone', () => {
  const ONE = synth(app => new Host(app, 'host', { name: 'host' }));
  const contexts = async (args: string[]) => {
    const r = await run([...args, '-o', 'json']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    return JSON.parse(r.stdout).clusters.map((c: any) => [c.name, c.context]);
  };

  test('is the context of the cluster --only names, or of the folder\'s only cluster', async () => {
    expect(await contexts(['plan', DIST, '--only', 'edge-1', '--context', 'kind-edge'])).toEqual([['edge-1', 'kind-edge']]);
    expect(await contexts(['plan', DIST, '--context', 'kind-edge', '--only', 'edge-1', '--context', 'edge-1=kind-edge'])).toEqual([['edge-1', 'kind-edge']]);
    expect(await contexts(['plan', ONE, '--context', 'kind-host'])).toEqual([['host', 'kind-host']]);
    expect(await contexts(['apply', ONE, '--context', 'kind-host', '--dry-run=client'])).toEqual([['host', 'kind-host']]);
  });

  test('applies to that cluster', async () => {
    // (edge-1's folder sent to branch-7's context is refused before any request: it is branch-7's)
    const fleet = await startFleet();
    try {
      const r = await run(['apply', DIST, '--kubeconfig', fleet.kubeconfig, '--only', 'edge-1', '--context', 'branch-7']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^ksfed: clusters "edge-1" and "branch-7" both resolve to kubeconfig context "branch-7" \(--context edge-1=branch-7, the default context of "branch-7"\)/);
    } finally {
      await fleet.stop();
    }
  });

  test.each([
    [['plan', DIST, '--context', 'x'], /^ksfed: --context x: the folder has 3 clusters \(host, edge-1, branch-7\); a context alone is the context of the run's one cluster\. Fix: write --context CLUSTER=x, or add --only CLUSTER\n$/],
    [['status', DIST, '--only', 'host,edge-1', '--context', 'x'], /^ksfed: --context x: --only names 2 clusters \(host, edge-1\); .* Fix: write --context CLUSTER=x, or add --only CLUSTER\n$/],
    [['apply', ONE, '--context', 'x', '--context', 'y'], /^ksfed: --context x, --context y: a context alone is the context of the run's one cluster, and there can be only one\. Fix: write each as --context CLUSTER=CONTEXT\n$/],
    [['diff', DIST, '--only', 'edge-1', '--context', 'x', '--context', 'edge-1=y'], /^ksfed: --context x and --context edge-1=y both set the context of cluster "edge-1"\. Fix: keep one\n$/],
  ])('%j is ambiguous: exit 2 with the fix', async (args, message) => {
    const r = await run(args as string[]);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toMatch(message as RegExp);
  });
});

/** Runs `ksfed sandbox` with `args` in-process; `whileRunning` gets the kubeconfig file it wrote. */
async function sandbox(args: string[], whileRunning = async (_kubeconfig: string) => undefined as void): Promise<Output & { kubeconfig: string }> {
  const kubeconfig = path.join(tmpdir(), 'sb.kubeconfig');
  let stdout = '';
  let stderr = '';
  const code = await main(['sandbox', ...args, '--kubeconfig-out', kubeconfig], {
    stdout: t => (stdout += t), stderr: t => (stderr += t), isTTY: false, env: {}, untilStopped: () => whileRunning(kubeconfig),
  });
  return { code, stdout, stderr, kubeconfig };
}

describe('ksfed sandbox: its clusters and its KubeSphere host', () => {
  test('from a folder: clusters, contexts and host from federation.json, the host being the cluster that holds the Cluster objects wherever it is listed; an apply joins every member', async () => {
    // GIVEN a federation whose host is hq (context kind-hq), listed last in federation.json
    const dist = synth(app => {
      const host = new Host(app, 'hq', { name: 'hq', context: 'kind-hq' });
      new Member(app, 'edge-1', { host, name: 'edge-1', connection: Connection.direct() });
      new Member(app, 'branch-7', { host, name: 'branch-7', connection: Connection.agent() });
    });
    const file = path.join(dist, 'federation.json');
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
    manifest.clusters.reverse();
    fs.writeFileSync(file, JSON.stringify(manifest));
    // WHEN the sandbox starts from it, and the folder is applied to it
    let applied: Output | undefined;
    const r = await sandbox([dist], async kubeconfig => {
      applied = await run(['apply', dist, '--kubeconfig', kubeconfig]);
    });
    // THEN hq plays the host, under its context; every member joins
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/^ {2}context branch-7 {5}http:\/\/127\.0\.0\.1:\d+\n {2}context edge-1 {7}http:\/\/127\.0\.0\.1:\d+\n {2}context kind-hq {6}http:\/\/127\.0\.0\.1:\d+ {2}\(cluster hq\) {2}\(KubeSphere host\)\n/m);
    expect(r.stdout).toContain(`  ksfed apply ${dist} --kubeconfig ${r.kubeconfig}\n`);
    expect(fs.readFileSync(r.kubeconfig, 'utf8')).toMatch(/^current-context: kind-hq$/m);
    expect(applied!.code).toBe(0);
    expect(applied!.stdout).toMatch(/^branch-7  joined: Cluster branch-7 on hq is AgentAvailable and Ready$/m);
    expect(applied!.stdout).toMatch(/^edge-1 {4}joined: Cluster edge-1 on hq is Ready$/m);
  });

  test('--clusters edge-1,host,branch-7: the cluster named host is the host, not the first; an apply joins every member', async () => {
    let applied: Output | undefined;
    const r = await sandbox(['--clusters', 'edge-1,host,branch-7'], async kubeconfig => {
      applied = await run(['apply', DIST, '--kubeconfig', kubeconfig]);
    });
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/^ {2}context edge-1 {7}http:\/\/127\.0\.0\.1:\d+\n {2}context host {9}http:\/\/127\.0\.0\.1:\d+ {2}\(KubeSphere host\)\n/m);
    expect(applied!.code).toBe(0);
    expect(applied!.stdout).toMatch(/^branch-7  joined: Cluster branch-7 on host is AgentAvailable and Ready$/m);
  });

  test('--host picks it among --clusters', async () => {
    const r = await sandbox(['--clusters', 'eu-1,eu-2', '--host', 'eu-2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}context eu-1 {9}http:\/\/127\.0\.0\.1:\d+\n {2}context eu-2 {9}http:\/\/127\.0\.0\.1:\d+ {2}\(KubeSphere host\)\n/m);
    expect(fs.readFileSync(r.kubeconfig, 'utf8')).toMatch(/^current-context: eu-2$/m);
  });

  test.each([
    [['--clusters', 'edge-1,branch-7'], /^ksfed: --clusters edge-1,branch-7: which cluster plays the KubeSphere host\? Fix: add --host NAME, or start the sandbox from the synthesized folder: ksfed sandbox <dist>\n$/],
    [['--clusters', 'eu-1,eu-2', '--host', 'host'], /^ksfed: --host host: not one of the clusters \(eu-1, eu-2\)\. Fix: /],
    [[DIST, '--clusters', 'host'], /^ksfed: --clusters does not apply with a folder: ksfed sandbox .* takes the clusters and the host from its federation\.json\. Fix: drop --clusters, or the folder\n$/],
    [[DIST, '--host', 'host'], /^ksfed: --host does not apply with a folder/],
    [[DIST, DIST], /^ksfed: ksfed sandbox takes at most one folder/],
    [[brokenManifest(m => m.clusters[1].context = 'host')], /federation\.json: clusters "host" and "edge-1" both use kubeconfig context "host"; the sandbox gives each cluster its own\. Fix: /],
  ])('%j is bad input', async (args, message) => {
    const r = await sandbox(args as string[]);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toMatch(message as RegExp);
  });
});

describe('ksfed sandbox --latency-ms, --fault-rate', () => {
  /** `n` GETs of /version from the host's endpoint: each answer's status (or `reset`) and time. */
  async function probe(kubeconfig: string, n: number): Promise<{ status: number | 'reset'; ms: number }[]> {
    const server = (yaml.load(fs.readFileSync(kubeconfig, 'utf8')) as any).clusters[0].cluster.server;
    const out: { status: number | 'reset'; ms: number }[] = [];
    for (let i = 0; i < n; i++) {
      const started = performance.now();
      try {
        const res = await fetch(`${server}/version`);
        await res.arrayBuffer();
        out.push({ status: res.status, ms: performance.now() - started });
      } catch {
        out.push({ status: 'reset', ms: performance.now() - started });
      }
    }
    return out;
  }

  test('every answer comes --latency-ms after its request; --fault-rate 1 fails every request with a retryable fault', async () => {
    let answers: { status: number | 'reset'; ms: number }[] = [];
    const r = await sandbox(['--clusters', 'host', '--latency-ms', '150', '--fault-rate', '1'], async kc => {
      answers = await probe(kc, 6);
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Faults: every answer 150 ms after its request; 100% of requests fail (429, 500/503, reset)\n');
    expect(answers.every(a => a.ms >= 145)).toBe(true);
    expect(answers.filter(a => ![429, 500, 503, 'reset'].includes(a.status))).toEqual([]);
  });

  test('--fault-rate 0.3 fails about that share; without the flags none fails, at once', async () => {
    let answers: { status: number | 'reset'; ms: number }[] = [];
    await sandbox(['--clusters', 'host', '--fault-rate', '0.3'], async kc => {
      answers = await probe(kc, 200);
    });
    const failed = answers.filter(a => a.status !== 200).length / answers.length;
    expect(failed).toBeGreaterThan(0.2);
    expect(failed).toBeLessThan(0.4);
    const plain = await sandbox(['--clusters', 'host'], async kc => {
      answers = await probe(kc, 20);
    });
    expect(plain.stdout).not.toContain('Faults:');
    expect(answers.filter(a => a.status !== 200)).toEqual([]);
    expect(answers.every(a => a.ms < 145)).toBe(true);
  });
});

describe('ksfed move-member', () => {
  const WS = 'tenant.kubesphere.io/v1alpha1';
  let member: Sandbox;
  let kubeconfig: string;
  beforeEach(async () => {
    member = await Sandbox.start({ clusters: ['new-host', 'edge-1'], establishDelayMs: 5, rolloutDelayMs: 5, kubesphereDelayMs: 5 });
    kubeconfig = path.join(tmpdir('ksfed-cli-move-'), 'kubeconfig');
    fs.writeFileSync(kubeconfig, member.kubeconfigYaml());
    // A member that left its old host: workspace "shop" (propagated there by the old host), its project shop-web,
    // and the new host's workspace "shop-eu".
    const edge = member.cluster('edge-1');
    const create = (apiVersion: string, kind: string, obj: any) =>
      edge.api.create(edge.api.typeOf(apiVersion, kind), undefined, { apiVersion, kind, ...obj }, { fieldManager: 'kubesphere' }).body;
    const shop = create(WS, 'Workspace', { metadata: { name: 'shop', labels: { 'kubefed.io/managed': 'true' } } });
    create(WS, 'Workspace', { metadata: { name: 'shop-eu', labels: { 'kubefed.io/managed': 'true' } } });
    create('v1', 'Namespace', {
      metadata: {
        name: 'shop-web',
        labels: { 'kubesphere.io/workspace': 'shop' },
        ownerReferences: [{ apiVersion: WS, kind: 'Workspace', name: 'shop', uid: shop.metadata.uid }],
      },
    });
  });
  afterEach(() => member.stop());

  const move = (...extra: string[]) => run(['move-member', '--kubeconfig', kubeconfig, '--context', 'edge-1', '--workspace', 'shop-eu', '--from', 'shop', '--old-host-removed', ...extra]);
  const workspaceOf = () => member.cluster('edge-1').get('v1', 'Namespace', 'shop-web').metadata.labels?.['kubesphere.io/workspace'];

  test('--dry-run -o json: the report, exit 0, nothing changed; then the move itself: exit 0, the project in its new workspace', async () => {
    const dry = await move('--dry-run', '-o', 'json');
    expect(dry).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(dry.stdout)).toMatchObject({ outcome: 'would-move', namespaces: [{ name: 'shop-web', from: 'shop', steps: ['unbind', 'bind'] }] });
    expect(workspaceOf()).toBe('shop');

    const moved = await move();
    expect(moved).toMatchObject({ code: 0, stderr: '' });
    expect(moved.stdout).toMatch(/shop-web/);
    expect(workspaceOf()).toBe('shop-eu');
  });

  test('a refused move exits 1 with the report on stdout and changes nothing', async () => {
    const refused = await run(['move-member', '--kubeconfig', kubeconfig, '--context', 'edge-1', '--workspace', 'nope', '--from', 'shop', '--old-host-removed', '-o', 'json']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout).outcome).toBe('refused');
    expect(workspaceOf()).toBe('shop');
  });

  test.each([
    [['--workspace', 'shop-eu', '--from', 'shop', '--old-host-removed'], /needs the member's context, once/],
    [['--context', 'a', '--context', 'b', '--workspace', 'shop-eu', '--from', 'shop'], /needs the member's context, once/],
    [['--context', 'edge-1', '--from', 'shop', '--old-host-removed'], /needs the target workspace. Fix: --workspace NAME/],
    [['dist', '--context', 'edge-1', '--workspace', 'x', '--from', 'shop'], /takes no folder/],
    [['--context', 'edge-1', '--workspace', 'x', '--from', 'shop', '--prune'], /--prune does not apply to ksfed move-member/],
  ])('bad input %j: exit 2, one line', async (args, message) => {
    const out = await run(['move-member', ...args]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(message);
    expect(out.stdout).toBe('');
  });
});

describe('ksfed doctor, and apply\'s preflight', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet();
    expect((await run(['apply', DIST, '--kubeconfig', fleet.kubeconfig, '--wait-timeout', '4s'])).code).toBe(0);
  });
  afterAll(() => fleet.stop());

  test('a clean fleet: exit 0, no error finding; -o json is the report as data', async () => {
    const r = await run(['doctor', DIST, '--kubeconfig', fleet.kubeconfig]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/^doctor: 2 warnings on 3 clusters \(host, edge-1, branch-7\)$/m); // (the sandbox's loopback, token-only kubeconfig)
    const json = await run(['doctor', DIST, '--kubeconfig', fleet.kubeconfig, '-o', 'json']);
    expect(JSON.parse(json.stdout).findings.filter((f: any) => f.severity === 'error')).toEqual([]);
  });

  test('a member on Kubernetes v1.18: doctor exits 1 naming the check; apply refuses before any write (exit 1), --skip-preflight applies', async () => {
    const edge = fleet.sandbox.cluster('edge-1');
    edge.setKubernetesVersion('v1.18.20');
    try {
      const r = await run(['doctor', DIST, '--kubeconfig', fleet.kubeconfig]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/error\s+edge-1\s+kubernetes-version-unsupported/);
      const before = mutations(fleet.sandbox).length;
      const refused = await run(['apply', DIST, '--kubeconfig', fleet.kubeconfig, '--wait-timeout', '4s']);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toMatch(/refused by the preflight/);
      expect(mutations(fleet.sandbox).length).toBe(before);
      const skipped = await run(['apply', DIST, '--kubeconfig', fleet.kubeconfig, '--wait-timeout', '4s', '--skip-preflight']);
      expect(skipped.code).toBe(0);
    } finally {
      edge.setKubernetesVersion('v1.26.15');
    }
  });

  test('the flags: doctor takes --allow-role-change, not the apply-only ones', async () => {
    expect(parseArgs(['apply', 'dist', '--skip-preflight', '--allow-role-change'])).toMatchObject({ skipPreflight: true, allowRoleChange: true });
    expect(parseArgs(['doctor', 'dist', '--allow-role-change'])).toMatchObject({ allowRoleChange: true });
    const r = await run(['doctor', DIST, '--prune']);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toMatch(/--prune does not apply to ksfed doctor/);
  });
});
