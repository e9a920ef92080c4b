import * as fs from 'fs';
import * as path from 'path';
import { KubeConfig } from '@kubernetes/client-node';
import { Connection, Host, JwtSecret, Member } from 'cdk8s-kubesphere-federation';
import * as yaml from 'js-yaml';
import { FAKE_JWT_SECRET, FAST, FakeClient, Fleet, startFleet, synth, tmpdir, withKubeSphere } from './fixtures';
import { quickstart } from '../../../examples/quickstart/main';
import { apply } from '../src/apply';
import { UsageError } from '../src/errors';
import { openSession, planSession } from '../src/session';

jest.setTimeout(30_000);

const dist = synth();
const envDist = synth(app => {
  const host = new Host(app, 'host', { name: 'host', jwtSecret: JwtSecret.fromEnv('KS_JWT_SECRET') });
  new Member(app, 'edge-1', { host, name: 'edge-1', connection: Connection.direct() });
});

/** A kubeconfig with the given contexts, all on one (unused) server: the clients come from a factory. */
function contextsOnly(contexts: string[]): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://198.51.100.9:6443', skipTLSVerify: false }],
    users: [{ name: 'u', token: 'token-for-tests' }],
    contexts: contexts.map(name => ({ name, cluster: 'c', user: 'u' })),
    currentContext: contexts[0],
  });
  return kc;
}

describe('openSession', () => {
  test('--only picks clusters; the host is contacted too for members\' placeholders and joins', async () => {
    const fleet = await startFleet();
    try {
      const s = await openSession(dist, { kubeconfig: fleet.kubeconfig, only: ['branch-7'], ...FAST });
      expect(s.selected.map(c => c.name)).toEqual(['branch-7']);
      expect([...s.contexts.keys()].sort()).toEqual(['branch-7', 'host']);
      expect(s.preflight.get('host')).toEqual({ parent: undefined });
    } finally {
      await fleet.stop();
    }
  });

  test('the host\'s ApplySet parent read is sent, and the event loop turns, before any other cluster\'s client is made', async () => {
    const events: string[] = [];
    const clientFactory = (cluster: string) => {
      events.push(`make ${cluster}`);
      const client = new FakeClient(cluster);
      const get = client.get.bind(client);
      client.get = ref => {
        events.push(`get ${cluster}`);
        // (runs once the event loop has turned: the request has had its chance to go out)
        if (cluster === 'host') setImmediate(() => events.push('turn'));
        return get(ref);
      };
      return client;
    };
    const s = await openSession(dist, { clientFactory }, { contact: true, placeholders: false });
    expect(s.preflight.get('host')).toEqual({ parent: undefined });
    expect(events.slice(0, 3)).toEqual(['make host', 'get host', 'turn']);
    expect(events.filter(e => e.startsWith('make')).length).toBeGreaterThan(1);
  });

  test('the members\' discovery warm-ups go out after the host\'s ApplySet parent write, the host\'s before it', async () => {
    const events: string[] = [];
    const stop = new AbortController();
    const clientFactory = (cluster: string) => {
      // (KubeSphere as apply's preflight reads it: ks-apiserver, and the host's kubesphere-secret)
      const client = withKubeSphere(new FakeClient(cluster));
      const namespaced = client.namespaced.bind(client);
      client.namespaced = (apiVersion, kind) => {
        events.push(`discover ${cluster}`);
        if (cluster !== 'host') stop.abort(); // (what follows does not matter here)
        return namespaced(apiVersion, kind);
      };
      const applied = client.apply.bind(client);
      client.apply = (obj, options) => {
        if (obj.metadata?.name === 'ksfed-applyset') events.push(`parent ${cluster}`);
        return applied(obj, options);
      };
      return client;
    };
    const contexts = ['host', 'edge-1', 'branch-7'];
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://198.51.100.9:6443', skipTLSVerify: false }],
      users: [{ name: 'u', token: 'token-for-tests' }],
      contexts: contexts.map(name => ({ name, cluster: 'c', user: 'u' })),
      currentContext: 'host',
    });
    await apply(dist, { kubeConfig, clientFactory, env: { KS_JWT_SECRET: FAKE_JWT_SECRET }, signal: stop.signal, ...FAST });
    const hostParent = events.indexOf('parent host');
    const members = events.flatMap((e, i) => (e.startsWith('discover ') && e !== 'discover host' ? [i] : []));
    expect(hostParent).toBeGreaterThanOrEqual(0);
    expect(members.length).toBeGreaterThan(0);
    expect(Math.min(...members)).toBeGreaterThan(hostParent);
    expect(events.indexOf('discover host')).toBeLessThan(hostParent);
  });

  test('a cluster whose client cannot be made is recorded by the preflight, and its deferred warm-up does not throw', async () => {
    const clientFactory = (cluster: string) => {
      if (cluster === 'edge-1') throw new Error('no client for edge-1');
      return new FakeClient(cluster);
    };
    const s = await openSession(dist, { clientFactory }, { contact: true, placeholders: false });
    expect(s.preflight.get('edge-1')?.error?.message).toMatch(/no client for edge-1/);
    // (the members' warm-ups run on a later turn of the event loop)
    await new Promise(resolve => setTimeout(resolve, 20));
    s.close();
  });

  test('no deferred warm-up goes out once the session is closed', async () => {
    const discovered: string[] = [];
    const clientFactory = (cluster: string) => {
      // (KubeSphere as apply's preflight reads it: ks-apiserver, and the host's kubesphere-secret)
      const client = withKubeSphere(new FakeClient(cluster));
      const namespaced = client.namespaced.bind(client);
      client.namespaced = (apiVersion, kind) => {
        discovered.push(cluster);
        return namespaced(apiVersion, kind);
      };
      return client;
    };
    const s = await openSession(dist, { clientFactory }, { contact: true, placeholders: false });
    s.close();
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(discovered.filter(c => c !== 'host')).toEqual([]);
  });

  test('a missing environment variable is bad input before anything is contacted', async () => {
    const fleet = await startFleet();
    try {
      const options = { kubeconfig: fleet.kubeconfig, env: {} };
      await expect(openSession(envDist, options, { contact: false, placeholders: true })).rejects.toThrow(/environment variable KS_JWT_SECRET is not set/);
      await expect(openSession(envDist, options)).rejects.toThrow(/placeholder jwt-secret: environment variable KS_JWT_SECRET is not set/);
      expect(fleet.sandbox.clusters.flatMap(c => c.requests)).toEqual([]);
    } finally {
      await fleet.stop();
    }
    const noCluster = { env: {}, clientFactory: () => undefined as any };
    await expect(openSession(envDist, noCluster, { contact: false, placeholders: true })).rejects.toBeInstanceOf(UsageError);
  });

  test('KubeSphere is checked up front where the folders are applied (apply, diff), not for status', async () => {
    const fleet = await startFleet({ sandbox: { withoutKubeSphere: ['branch-7'] } });
    try {
      const options = { kubeconfig: fleet.kubeconfig, ...FAST };
      await expect(openSession(dist, options)).rejects.toThrow(/^cluster "branch-7" \(context branch-7\): KubeSphere is not installed there: /);
      (await openSession(dist, options, { contact: true, placeholders: true, kubesphere: false })).close();
      (await openSession(dist, options, { contact: true, placeholders: false })).close();
    } finally {
      await fleet.stop();
    }
  });

  test('an unreachable cluster is recorded, not fatal', async () => {
    const fleet = await startFleet();
    try {
      fleet.sandbox.cluster('edge-1').setDown(true);
      const s = await openSession(dist, { kubeconfig: fleet.kubeconfig, ...FAST });
      expect(s.preflight.get('edge-1')?.error?.code).toBe(0);
      expect(s.preflight.get('host')?.error).toBeUndefined();
    } finally {
      await fleet.stop();
    }
  });

  test('alongside: called once every first request is out, with the clusters the run talks to; the session waits for it, not for its failure', async () => {
    const clientFactory = (cluster: string) => new FakeClient(cluster);
    const seen: string[] = [];
    let done = false;
    const s = await openSession(dist, { kubeConfig: contextsOnly(['host', 'edge-1', 'branch-7']), clientFactory, only: ['edge-1'], ...FAST }, {
      contact: true,
      placeholders: true,
      alongside: start => {
        seen.push(...start.talkTo, ...[...start.selected].map(n => `selected ${n}`));
        // every cluster's first request (the ApplySet parent read) is out already
        seen.push(`parents read: ${start.talkTo.every(c => (start.client(c) as FakeClient).calls.includes('get Secret ksfed-applyset'))}`);
        return new Promise(r => setTimeout(r, 50)).then(() => {
          done = true;
        });
      },
    });
    expect(seen).toEqual(['host', 'edge-1', 'selected edge-1', 'parents read: true']);
    expect(done).toBe(true);
    s.close();
    const failing = await openSession(dist, { kubeConfig: contextsOnly(['host', 'edge-1', 'branch-7']), clientFactory, ...FAST }, {
      contact: true, placeholders: false, alongside: () => Promise.reject(new Error('not for the session')),
    });
    expect(failing.selected.length).toBe(3);
    failing.close();
  });

  test('credentials of the kubeconfig are registered for redaction', async () => {
    const fleet = await startFleet();
    try {
      const s = await openSession(dist, { kubeconfig: fleet.kubeconfig, ...FAST });
      const token = fleet.sandbox.cluster('edge-1').token;
      expect(s.redactor.redact(`Bearer ${token}`)).toBe('Bearer <redacted:credential>');
      const seen: any[] = [];
      const s2 = await openSession(dist, { kubeconfig: fleet.kubeconfig, ...FAST, output: e => seen.push(e) });
      s2.emit({ type: 'info', cluster: 'host', message: `leak ${token}` });
      expect(seen[0].message).toBe('leak <redacted:credential>');
    } finally {
      await fleet.stop();
    }
  });
});

describe('two clusters that would be one are refused before any request', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet();
  });
  afterAll(() => fleet.stop());
  beforeEach(() => {
    for (const c of fleet.sandbox.clusters) c.requests.length = 0;
  });

  /** The fleet's kubeconfig plus a context `alias` whose cluster entry has the host's server written as `server`. */
  function withAlias(server: (hostUrl: string) => string): string {
    const kc: any = yaml.load(fs.readFileSync(fleet.kubeconfig, 'utf8'));
    kc.clusters.push({ name: 'alias', cluster: { 'server': server(fleet.sandbox.cluster('host').url), 'insecure-skip-tls-verify': true } });
    kc.contexts.push({ name: 'alias', context: { cluster: 'alias', user: 'edge-1-admin' } });
    const file = path.join(tmpdir('ksfed-kc-'), 'alias.kubeconfig');
    fs.writeFileSync(file, yaml.dump(kc));
    return file;
  }

  const requests = () => fleet.sandbox.clusters.flatMap(c => c.requests);

  test('--context edge-1=host: the member\'s folder would go to the host', async () => {
    const run = apply(dist, { kubeconfig: fleet.kubeconfig, contexts: { 'edge-1': 'host' }, ...FAST });
    await expect(run).rejects.toThrow(UsageError);
    await expect(run).rejects.toThrow(
      /^clusters "host" and "edge-1" both resolve to kubeconfig context "host" \(the default context of "host", --context edge-1=host\); ksfed would apply both folders to one cluster\. Fix: pass --context edge-1=<the context of edge-1>$/);
    expect(requests()).toEqual([]);
  });

  test('another context of the same API server, spelt differently (scheme case, trailing slash)', async () => {
    const kubeconfig = withAlias(url => `${url.replace('http://', 'HTTP://')}/`);
    await expect(apply(dist, { kubeconfig, contexts: { 'edge-1': 'alias' }, ...FAST })).rejects.toThrow(
      /^clusters "host" \(context host\) and "edge-1" \(context alias\) both point to the API server http:\/\/127\.0\.0\.1:\d+; ksfed would apply both folders to one cluster\. Fix: pass --context edge-1=<a context of edge-1's own API server>, or correct the kubeconfig$/);
    expect(requests()).toEqual([]);
  });

  test('--only a cluster that shares its server with a cluster outside the run is refused too (one of the two contexts is wrong)', async () => {
    await expect(openSession(dist, { kubeconfig: fleet.kubeconfig, only: ['edge-1'], contexts: { 'branch-7': 'edge-1' }, ...FAST }))
      .rejects.toThrow(/^clusters "edge-1" and "branch-7" both resolve to kubeconfig context "edge-1"/);
    // the host's folder holds edge-1's kubeconfig (from its context): --only host is refused when edge-1 is the host
    await expect(openSession(dist, { kubeconfig: fleet.kubeconfig, only: ['host'], contexts: { 'edge-1': 'host' }, ...FAST }))
      .rejects.toThrow(/^clusters "host" and "edge-1" both resolve to kubeconfig context "host"/);
    expect(requests()).toEqual([]);
  });

  test('two clusters outside the run may share a context: the run neither writes nor reads there', async () => {
    // GIVEN a fourth cluster, mapped to branch-7's context
    const four = synth(app => {
      quickstart(app);
      new Member(app, 'branch-8', { host: app.node.findChild('host') as Host, name: 'branch-8', connection: Connection.agent() });
    });
    // WHEN edge-1 alone is applied (it involves the host, not the agent members)
    const s = await openSession(four, { kubeconfig: fleet.kubeconfig, only: ['edge-1'], contexts: { 'branch-8': 'branch-7' }, ...FAST });
    // THEN
    expect([...s.contexts.keys()].sort()).toEqual(['edge-1', 'host']);
    s.close();
  });
});

describe('planSession', () => {
  test('--only a member: it is selected, and the host is talked to as well (even with no placeholder there)', () => {
    const plan = planSession(dist, { only: ['edge-1'] }, { contact: true, placeholders: false });
    expect([...plan.selectedNames]).toEqual(['edge-1']);
    expect(plan.talkTo.map(c => c.name)).toEqual(['host', 'edge-1']);
    expect(plan.talk).toEqual(new Set(['host', 'edge-1']));
  });

  test('--only the host: no member is talked to', () => {
    const plan = planSession(dist, { only: ['host'] }, { contact: true, placeholders: false });
    expect(plan.talkTo.map(c => c.name)).toEqual(['host']);
    expect(plan.ids).toEqual(new Set());
  });

  test('an unknown cluster in --only or the contexts is a UsageError naming the clusters', () => {
    expect(() => planSession(dist, { only: ['edge-9'] }, { contact: true, placeholders: true })).toThrow(UsageError);
    expect(() => planSession(dist, { only: ['edge-9'] }, { contact: true, placeholders: true })).toThrow(/^unknown cluster "edge-9"; the federation has: host, edge-1, branch-7$/);
    expect(() => planSession(dist, { contexts: { nowhere: 'x' } }, { contact: false, placeholders: false })).toThrow(/unknown cluster "nowhere"/);
  });
});
