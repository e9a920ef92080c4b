import { FAST, FakeClient, startFleet, synth } from './fixtures';
import { Connection, Host, JwtSecret, Member } from '../../src';
import { UsageError } from '../../src/applier/errors';
import { openSession } from '../../src/applier/session';

jest.setTimeout(30_000);

const dist = synth();
const envDist = synth(app => {
  const host = new Host(app, 'host', { name: 'host', jwtSecret: JwtSecret.fromEnv('KS_JWT_SECRET') });
  new Member(app, 'edge-1', { host, name: 'edge-1', connection: Connection.direct() });
});

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
