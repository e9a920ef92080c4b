// ksfed applies the examples and a 10-member fleet to real kube-apiservers (RealFleet, with its stand-ins for
// what a bare API server lacks: see src/real-fleet/README.md), and the result is checked on the servers
// themselves and with kubectl.
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Connection, FederationApp, Host, Member } from 'cdk8s-kubesphere-federation';
import * as yaml from 'js-yaml';
import { KSFED_APPLYSET_ID } from 'ksfed';
import { main } from 'ksfed/lib/cli';
import { RealFleet } from 'ksfed-sandbox/lib/real-fleet';
import { request } from 'ksfed-sandbox/lib/real-fleet/http';
import { multiRegionShop } from '../../examples/multi-region-shop/main';
import { quickstart } from '../../examples/quickstart/main';

jest.setTimeout(600_000);

/** How long each first apply took (printed at the end, for the README and the report). */
const timings: string[] = [];
afterAll(() => {
  // eslint-disable-next-line no-console
  console.log(`ksfed apply on real API servers:\n${timings.join('\n')}`);
});

interface Cli {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the ksfed CLI in this process (its `main`: the same code path as the binary). */
async function ksfed(...argv: string[]): Promise<Cli> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => stdout += t, stderr: (t) => stderr += t, isTTY: false, env: {} });
  return { code, stdout, stderr };
}

function kubectl(kubeconfig: string, context: string, args: string[], env: Record<string, string> = {}): Promise<Cli> {
  return new Promise((resolve) => {
    execFile('kubectl', ['--kubeconfig', kubeconfig, '--context', context, ...args],
      { timeout: 120_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env } },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }));
  });
}

/** The 10-member fleet of benchmarks/apply.ts: 5 direct members, 5 agent members. */
function tenMembers(app: FederationApp): void {
  const host = new Host(app, 'host', { name: 'host', capacity: { nodes: 3 } });
  for (let i = 0; i < 10; i++) {
    new Member(app, `m${i}`, { host, name: `member-${i}`, connection: i % 2 === 0 ? Connection.direct() : Connection.agent() });
  }
}

interface FolderObject {
  readonly cluster: string;
  readonly file: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly manifest: any;
}

/** The objects of every cluster folder, as federation.json lists them, with their manifests. */
function folderObjects(dist: string): FolderObject[] {
  const federation = JSON.parse(fs.readFileSync(path.join(dist, 'federation.json'), 'utf8'));
  return federation.clusters.flatMap((c: any) => c.objects.map((o: any) => ({
    cluster: c.name,
    file: o.file,
    apiVersion: o.apiVersion,
    kind: o.kind,
    namespace: o.namespace,
    name: o.name,
    manifest: yaml.load(fs.readFileSync(path.join(dist, c.folder, o.file), 'utf8')),
  })));
}

/** JSON pointers (per cluster and file) where ksfed fills in a value at apply time. */
function placeholderPointers(dist: string): Map<string, string[]> {
  const federation = JSON.parse(fs.readFileSync(path.join(dist, 'federation.json'), 'utf8'));
  const out = new Map<string, string[]>();
  for (const p of federation.placeholders) {
    for (const o of p.occurrences) {
      const key = `${o.cluster}/${path.basename(o.file)}`;
      out.set(key, [...out.get(key) ?? [], o.pointer]);
    }
  }
  return out;
}

/** The REST path of an object (the kinds of these folders; plural = lower-case kind + s, with the exceptions). */
function restPath(apiVersion: string, kind: string, name: string, namespace?: string): string {
  const irregular: Record<string, string> = { Ingress: 'ingresses', NetworkPolicy: 'networkpolicies', ClusterConfiguration: 'clusterconfigurations' };
  const plural = irregular[kind] ?? `${kind.toLowerCase()}s`;
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return `${base}${namespace ? `/namespaces/${namespace}` : ''}/${plural}/${name}`;
}

type Ref = { cluster: string; apiVersion: string; kind: string; name: string; namespace?: string };

async function live(fleet: RealFleet, o: Ref): Promise<any | undefined> {
  const reply = await request(fleet.endpoint(o.cluster), 'GET', restPath(o.apiVersion, o.kind, o.name, o.namespace));
  if (reply.status === 404) return undefined;
  if (reply.status !== 200) throw new Error(`GET ${o.kind} ${o.namespace ?? ''}/${o.name} on ${o.cluster}: HTTP ${reply.status}: ${reply.body}`);
  return JSON.parse(reply.body);
}

/** The value of a Kubernetes quantity ("1000m", "2Gi", "1"), or undefined when it is not one. */
function quantity(v: unknown): number | undefined {
  const m = typeof v === 'string' ? /^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(v) : undefined;
  if (!m) return undefined;
  const scale: Record<string, number> = { '': 1, 'm': 1e-3, 'k': 1e3, 'M': 1e6, 'G': 1e9, 'T': 1e12, 'Ki': 2 ** 10, 'Mi': 2 ** 20, 'Gi': 2 ** 30, 'Ti': 2 ** 40 };
  return Number(m[1]) * scale[m[2] ?? ''];
}

/** A value the API server does not store (an `omitempty` field set to its zero value). */
function isEmpty(v: unknown): boolean {
  return v === 0 || v === false || v === '' || (Array.isArray(v) && v.length === 0) || (v !== null && typeof v === 'object' && Object.keys(v).length === 0);
}

/**
 * Where `live` differs from what `want` (the folder's manifest) sets: every field the manifest sets must be there
 * with the same value; fields only the server or a controller set (defaults, status, metadata) are ignored, and
 * so is the server's own spelling of a value (it drops empty `omitempty` fields, writes quantities canonically:
 * 1000m as 1, 2048Mi as 2Gi). A Secret's `stringData` is compared with its `data`; values at `skip`
 * (placeholders) only need to be present and filled in.
 */
function differences(want: any, got: any, skip: string[], at = ''): string[] {
  if (skip.includes(at)) {
    return got === undefined || (typeof got === 'string' && got.includes('{{ksfed:')) ? [`${at}: placeholder not filled in`] : [];
  }
  if (got === undefined && isEmpty(want)) return [];
  if (/\/resources\/(limits|requests)\//.test(at) && quantity(want) !== undefined && quantity(want) === quantity(got)) return [];
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length) return [`${at}: ${JSON.stringify(got)} (want ${JSON.stringify(want)})`];
    return want.flatMap((w, i) => differences(w, got[i], skip, `${at}/${i}`));
  }
  if (want !== null && typeof want === 'object') {
    if (got === null || typeof got !== 'object') return [`${at}: ${JSON.stringify(got)} (want an object)`];
    return Object.keys(want).flatMap((k) => differences(want[k], got[k], skip, `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`));
  }
  return want === got ? [] : [`${at}: ${JSON.stringify(got)} (want ${JSON.stringify(want)})`];
}

function asStored(o: FolderObject): { want: any; skip: (p: string) => string } {
  const want = JSON.parse(JSON.stringify(o.manifest));
  // The API server stores a Secret's stringData base64-encoded in data.
  if (o.kind === 'Secret' && want.stringData) {
    want.data = { ...want.data ?? {} };
    for (const [k, v] of Object.entries(want.stringData)) want.data[k] = Buffer.from(String(v)).toString('base64');
    delete want.stringData;
  }
  return { want, skip: (p) => p.replace(/^\/stringData\//, '/data/') };
}

/**
 * One fleet: synthesized by `build`, started with stand-ins, applied by ksfed; then checked. `extra` adds the
 * checks that change the fleet (prune, conflicts, kubectl's ApplySet), run last.
 */
function fleetSuite(title: string, build: (app: FederationApp) => void, extra?: (ctx: () => Ctx) => void): void {
  describe(title, () => {
    const ctx: Partial<Ctx> = {};
    beforeAll(async () => {
      ctx.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ksfed-e2e-apply-'));
      ctx.dist = path.join(ctx.dir, 'dist');
      const app = new FederationApp({ outdir: ctx.dist });
      build(app);
      app.synth();
      ctx.objects = folderObjects(ctx.dist);
      ctx.fleet = await RealFleet.start({ clusters: app.clusterNames, standIns: true });
    });
    afterAll(async () => {
      await ctx.fleet?.stop();
      if (ctx.dir) fs.rmSync(ctx.dir, { recursive: true, force: true });
    });
    const c = () => ctx as Ctx;

    test('ksfed apply --prune exits 0', async () => {
      const started = Date.now();
      const res = await ksfed('apply', c().dist, '--kubeconfig', c().fleet.kubeconfigPath, '--prune');
      timings.push(`  ${title}: ${c().fleet.clusters.length} clusters, ${c().objects.length} objects, first apply ${((Date.now() - started) / 1000).toFixed(1)} s`);
      if (res.code !== 0) {
        throw new Error(`ksfed apply exited ${res.code}\n${res.stdout}\n${res.stderr}\nstand-ins:\n${c().fleet.standIns!.log.slice(-30).join('\n')}`);
      }
      expect(res.code).toBe(0);
    });

    test('every object is on its cluster as the folder says (server-set fields aside)', async () => {
      const pointers = placeholderPointers(c().dist);
      const problems: string[] = [];
      for (const o of c().objects) {
        const got = await live(c().fleet, o);
        if (!got) {
          problems.push(`${o.cluster}: ${o.kind} ${o.namespace ?? ''}/${o.name} is missing`);
          continue;
        }
        const { want, skip } = asStored(o);
        const skipped = (pointers.get(`${o.cluster}/${o.file}`) ?? []).map(skip);
        for (const d of differences(want, got, skipped)) problems.push(`${o.cluster}: ${o.kind} ${o.namespace ?? ''}/${o.name} ${d}`);
      }
      expect(problems).toEqual([]);
    });

    test('a re-apply moves no resourceVersion, and ksfed diff is empty', async () => {
      const versions = async () => Promise.all(c().objects.map(async (o) => `${o.cluster} ${o.kind} ${o.namespace ?? ''}/${o.name} ${(await live(c().fleet, o))?.metadata?.resourceVersion}`));
      const before = await versions();
      const again = await ksfed('apply', c().dist, '--kubeconfig', c().fleet.kubeconfigPath, '--prune', '--output', 'json');
      expect(again.code).toBe(0);
      const report = JSON.parse(again.stdout);
      expect(report.clusters.flatMap((x: any) => x.objects).filter((o: any) => o.result !== 'unchanged')).toEqual([]);
      expect(await versions()).toEqual(before);

      const diff = await ksfed('diff', c().dist, '--kubeconfig', c().fleet.kubeconfigPath, '--output', 'json');
      expect(diff.code).toBe(0);
      const changed = JSON.parse(diff.stdout).clusters.flatMap((x: any) => x.objects).filter((o: any) => o.result !== 'unchanged');
      expect(changed).toEqual([]);
      expect(await versions()).toEqual(before);
    });

    extra?.(c);
  });
}

interface Ctx {
  dir: string;
  dist: string;
  objects: FolderObject[];
  fleet: RealFleet;
}

fleetSuite('quickstart (host, a direct member, an agent member)', quickstart, (c) => {
  test('removing one object from the folder and apply --prune deletes exactly it', async () => {
    const gone = c().objects.find((o) => o.cluster === 'host' && o.kind === 'Service' && o.name === 'kubefed-controller-manager-metrics-service')!;
    const pruned = withoutObject(c().dist, gone);
    const res = await ksfed('apply', pruned, '--kubeconfig', c().fleet.kubeconfigPath, '--prune', '--output', 'json');
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout);
    const deleted = report.clusters.flatMap((x: any) => x.objects).filter((o: any) => o.result === 'pruned');
    expect(deleted.map((o: any) => `${o.cluster} ${o.kind} ${o.namespace}/${o.name}`)).toEqual(['host Service kube-federation-system/kubefed-controller-manager-metrics-service']);
    expect(await live(c().fleet, gone)).toBeUndefined();
    const missing = [];
    for (const o of c().objects) if (o !== gone && !(await live(c().fleet, o))) missing.push(`${o.cluster} ${o.kind} ${o.name}`);
    expect(missing).toEqual([]);
    // back to the whole folder for the checks below
    expect((await ksfed('apply', c().dist, '--kubeconfig', c().fleet.kubeconfigPath, '--prune')).code).toBe(0);
  });

  test('another field manager\'s change to a field ksfed owns is reported as a conflict; --force-conflicts takes it back', async () => {
    const tower = c().objects.find((o) => o.cluster === 'host' && o.kind === 'Service' && o.name === 'tower')!;
    const e = c().fleet.endpoint('host');
    const at = restPath(tower.apiVersion, tower.kind, tower.name, tower.namespace);
    const forced = await request(e, 'PATCH', `${at}?fieldManager=other-team&force=true`,
      JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'tower', namespace: 'kubesphere-system', labels: { app: 'not-tower' } } }), 'application/apply-patch+yaml');
    expect(forced.status).toBe(200);

    const refused = await ksfed('apply', c().dist, '--kubeconfig', c().fleet.kubeconfigPath, '--prune', '--output', 'json');
    expect(refused.code).toBe(1);
    const failed = JSON.parse(refused.stdout).clusters.flatMap((x: any) => x.objects).filter((o: any) => o.result === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ cluster: 'host', kind: 'Service', name: 'tower' });
    expect(failed[0].conflicts).toEqual([expect.objectContaining({ manager: 'other-team', field: expect.stringContaining('labels.app') })]);
    expect(failed[0].message).toMatch(/--force-conflicts/);
    expect((await live(c().fleet, tower)).metadata.labels.app).toBe('not-tower');

    const taken = await ksfed('apply', c().dist, '--kubeconfig', c().fleet.kubeconfigPath, '--prune', '--force-conflicts');
    expect(taken.code).toBe(0);
    const after = await live(c().fleet, tower);
    expect(after.metadata.labels.app).toBe('tower');
    const owner = after.metadata.managedFields.filter((m: any) => JSON.stringify(m.fieldsV1).includes('"f:app"')).map((m: any) => m.manager);
    expect(owner).toEqual(['ksfed']);
  });

  test('kubectl reads every object of every folder, and the ApplySet parent kube-system/ksfed-applyset', async () => {
    const { fleet, dist } = c();
    const federation = JSON.parse(fs.readFileSync(path.join(dist, 'federation.json'), 'utf8'));
    for (const cluster of federation.clusters) {
      const got = await kubectl(fleet.kubeconfigPath, cluster.name, ['get', '-f', path.join(dist, cluster.folder), '--output', 'json']);
      expect(got.stderr).toBe('');
      const items = JSON.parse(got.stdout).items ?? [JSON.parse(got.stdout)];
      expect(items.map((i: any) => `${i.kind} ${i.metadata.name}`).sort())
        .toEqual(cluster.objects.map((o: any) => `${o.kind} ${o.name}`).sort());
    }
    const parent = await kubectl(fleet.kubeconfigPath, 'host', ['get', 'secret', '-n', 'kube-system', 'ksfed-applyset', '--output', 'json']);
    expect(parent.code).toBe(0);
    expect(JSON.parse(parent.stdout).metadata.labels).toEqual({ 'applyset.kubernetes.io/id': KSFED_APPLYSET_ID });
  });

  test('kubectl\'s own ApplySet logic computes our id and finds exactly ksfed\'s objects on the host (server dry run)', async () => {
    const { fleet } = c();
    const e = fleet.endpoint('host');
    const parentAt = '/api/v1/namespaces/kube-system/secrets/ksfed-applyset';
    const setParent = async (metadata: any) => {
      const r = await request(e, 'PATCH', parentAt, JSON.stringify({ metadata }), 'application/merge-patch+json');
      expect(r.status).toBe(200);
    };
    const probe = path.join(c().dir, 'probe.yaml');
    fs.writeFileSync(probe, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kubectl-probe, namespace: kube-system}\ndata: {a: b}\n');
    const args = ['apply', '--server-side', '--prune', '--applyset=secret/ksfed-applyset', '-n', 'kube-system', '--dry-run=server', '-f', probe];
    const env = { KUBECTL_APPLYSET: 'true' };
    const tooling = JSON.parse((await request(e, 'GET', parentAt)).body).metadata.annotations['applyset.kubernetes.io/tooling'];
    // kubectl only handles parents whose tooling is kubectl: hand it over (only that annotation) for the check
    await setParent({ annotations: { 'applyset.kubernetes.io/tooling': 'kubectl/v1.32.4' }, labels: { 'applyset.kubernetes.io/id': 'applyset-wrong-v1' } });
    try {
      const wrong = await kubectl(fleet.kubeconfigPath, 'host', args, env);
      expect(wrong.stderr).toContain(`has incorrect value for label "applyset.kubernetes.io/id" (got: applyset-wrong-v1, want: ${KSFED_APPLYSET_ID})`);
      await setParent({ labels: { 'applyset.kubernetes.io/id': KSFED_APPLYSET_ID } });
      const dry = await kubectl(fleet.kubeconfigPath, 'host', args, env);
      expect(dry.code).toBe(0);
      const wouldPrune = dry.stdout.split('\n').filter((l) => l.endsWith(' pruned (server dry run)')).map((l) => l.replace(/ pruned \(server dry run\)$/, '')).sort();
      const ours = c().objects.filter((o) => o.cluster === 'host').map((o) => `${kubectlName(o)}`).sort();
      expect(wouldPrune).toEqual(ours);
    } finally {
      await setParent({ annotations: { 'applyset.kubernetes.io/tooling': tooling }, labels: { 'applyset.kubernetes.io/id': KSFED_APPLYSET_ID } });
    }
    // nothing was changed by the dry run: a re-apply is a no-op
    const again = await ksfed('apply', c().dist, '--kubeconfig', fleet.kubeconfigPath, '--prune', '--output', 'json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).clusters.flatMap((x: any) => x.objects).filter((o: any) => o.result !== 'unchanged')).toEqual([]);
  });
});

fleetSuite('multi-region-shop (host, two direct members, an agent member; federated and rendered apps)', multiRegionShop);

fleetSuite('10 members (5 direct, 5 agent), as benchmarks/apply.ts builds it', tenMembers);

/** kubectl's name for an object in its output: `<resource>.<group>/<name>` (`<resource>/<name>` for core kinds). */
function kubectlName(o: FolderObject): string {
  const irregular: Record<string, string> = { ClusterConfiguration: 'clusterconfiguration' };
  const group = o.apiVersion.includes('/') ? `.${o.apiVersion.split('/')[0]}` : '';
  return `${irregular[o.kind] ?? o.kind.toLowerCase()}${group}/${o.name}`;
}

/** A copy of `dist` without one object (its file and its entry in federation.json). */
function withoutObject(dist: string, o: FolderObject): string {
  const out = `${dist}-without-${o.name}`;
  fs.cpSync(dist, out, { recursive: true });
  const federation = JSON.parse(fs.readFileSync(path.join(out, 'federation.json'), 'utf8'));
  const cluster = federation.clusters.find((c: any) => c.name === o.cluster);
  cluster.objects = cluster.objects.filter((x: any) => x.file !== o.file);
  fs.writeFileSync(path.join(out, 'federation.json'), JSON.stringify(federation, undefined, 2));
  fs.rmSync(path.join(out, cluster.folder, o.file));
  return out;
}
