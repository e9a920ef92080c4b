import * as fs from 'fs';
import * as path from 'path';
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { Connection, Host, JwtSecret, Member } from 'cdk8s-kubesphere-federation';
import { FAST, FAKE_JWT_SECRET, Fleet, startFleet, synth, tmpdir } from './fixtures';
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
const FAST_CLI = { ...FAST, timeoutMs: undefined, retry: { ...FAST.retry, maxAttempts: 3 } };

describe('argument parsing', () => {
  test('flags, repeatable and comma lists, --flag=value', () => {
    const p = parseArgs(['apply', 'dist', '--context', 'edge-1=kind-edge', '--context=host=kind-host', '--only', 'a,b', '--only', 'c', '--dry-run', '--prune', '--force-conflicts', '--concurrency', '8', '--timeout', '5m', '--output=json']);
    expect(p).toMatchObject({ command: 'apply', positional: ['dist'], contexts: { 'edge-1': 'kind-edge', 'host': 'kind-host' }, only: ['a', 'b', 'c'], dryRun: true, prune: true, forceConflicts: true, concurrency: 8, timeoutMs: 300_000, output: 'json' });
    expect(p).toMatchObject({ pruneNonEmptyNamespaces: false, pruneRemovedClusters: false });
  });

  test('the prune flags', () => {
    const p = parseArgs(['apply', 'dist', '--prune', '--prune-nonempty-namespaces', '--prune-removed-clusters', '--context', 'gone=old-ctx']);
    expect(p).toMatchObject({ prune: true, pruneNonEmptyNamespaces: true, pruneRemovedClusters: true, contexts: { gone: 'old-ctx' } });
  });

  test.each([
    [['apply', 'd', '--bogus'], /unknown option --bogus/],
    [['apply', 'd', '--context', 'nope'], /write it as CLUSTER=CONTEXT/],
    [['apply', 'd', '--concurrency', '0'], /--concurrency 0/],
    [['apply', 'd', '--timeout', 'soon'], /not a duration/],
    [['apply', 'd', '--output', 'yaml'], /use text or json/],
    [['apply', 'd', '--only'], /--only needs a value/],
    [['apply', 'd', '--prune=yes'], /takes no value/],
    [['apply', 'd', '--prune-removed-clusters=yes'], /--prune-removed-clusters takes no value/],
  ])('%j is bad input', async (args, message) => {
    const r = await run(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stderr.split('\n').filter(l => l)).toHaveLength(1);
  });

  test('help and version', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('ksfed apply  <dist>');
    expect(help.stdout).toContain('--force-conflicts');
    expect(help.stdout).toContain('  --prune-nonempty-namespaces with --prune: delete such Namespaces too, with everything in them (reported)\n');
    expect(help.stdout).toContain('  --prune-removed-clusters    with --prune: prune ksfed\'s objects on clusters removed from the program (their\n');
    expect((await run(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+/);
    expect((await run(['help'])).code).toBe(0);
    for (const command of ['apply', 'diff', 'status', 'plan', 'sandbox']) {
      const sub = await run([command, '--help']);
      expect([command, sub.code, sub.stderr]).toEqual([command, 0, '']);
      expect(sub.stdout).toContain('ksfed apply  <dist>');
    }
    const bogus = await run(['explode', '--help']);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/unknown command "explode"/);
    const unknown = await run(['explode']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "explode"/);
  });
});

test.each([[[]], [['--only', 'edge-1']]])('%j: no command is bad input: the usage on stderr, exit 2', async args => {
  const r = await run(args);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^ksfed: apply a synthesized KubeSphere federation/);
  expect(r.stderr).toContain('Usage:\n  ksfed apply  <dist> [options]');
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
  ])('%j', async (args, message) => {
    const r = await run(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
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
    for (const args of [
      ['diff', dist, ...kc], ['apply', dist, ...kc, '--dry-run'], ['apply', dist, ...kc, '--prune'], ['apply', dist, ...kc, '--output', 'json'],
      ['diff', dist, ...kc, '--output', 'json'], ['status', dist, ...kc], ['status', dist, ...kc, '--output', 'json'], ['plan', dist, '--output', 'json'],
    ]) {
      const r = await run(args, env);
      outputs.push(r.stdout, r.stderr);
      expect({ args: args[0], code: r.code }).toEqual({ args: args[0], code: 0 });
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
      ['diff', dist, ...kc], ['diff', dist, ...kc, '--output', 'json'],
      ['apply', dist, ...kc, '--dry-run'], ['apply', dist, ...kc, '--dry-run', '--output', 'json'],
      ['apply', dist, ...kc], ['apply', dist, ...kc, '--output', 'json'],
      ['status', dist, ...kc], ['status', dist, ...kc, '--output', 'json'], ['plan', dist], ['plan', dist, '--output', 'json'],
    ]) {
      const r = await run(args, { KS_JWT_SECRET: after });
      results[args.filter(a => a !== dist && !kc.includes(a)).join(' ')] = r;
      outputs.push(r.stdout, r.stderr);
    }
    // THEN the change is told (where, not what), ...
    expect(results.diff.code).toBe(0);
    expect(results.diff.stdout).toMatch(/^ {2}~ ClusterConfiguration kubesphere-system\/ks-installer\n {6}\/spec\/authentication\/jwtSecret$/m);
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
    expect((await run(['--help'])).stdout).toContain('ksfed sandbox --real [--kubefed] [--clusters ...] [--kubeconfig-out F]');
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
