import { apply, clientFor, configMap, http } from './helpers';
import { Sandbox } from '../src';
import { FaultInjector } from '../src/faults';

describe('FaultInjector', () => {
  test('deterministic per seed, and independent of which faults are enabled', () => {
    const seq = (o: any) => {
      const f = new FaultInjector(o);
      return Array.from({ length: 50 }, () => f.decide().before);
    };
    expect(seq({ rate429: 0.3, rate5xx: 0.3, seed: 7 })).toEqual(seq({ rate429: 0.3, rate5xx: 0.3, seed: 7 }));
    expect(seq({ rate429: 0.3, rate5xx: 0.3, seed: 7 })).not.toEqual(seq({ rate429: 0.3, rate5xx: 0.3, seed: 8 }));
    const all = seq({ rate429: 0.3, rate5xx: 0.3, rateReset: 0.1, seed: 3 });
    expect(new Set(all)).toEqual(new Set(['none', '429', '500', '503', 'reset']));
    expect(seq({})).toEqual(Array(50).fill('none'));
    const f = new FaultInjector({ latencyMs: 5, retryAfterSeconds: 4, resetAfterCommitRate: 1 });
    expect(f.decide()).toMatchObject({ latencyMs: 5, retryAfterSeconds: 4, resetAfterCommit: true });
    f.set({ seed: 9 });
    expect(f.current).toEqual({ seed: 9 });
  });
});

describe('faults on the wire', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await Sandbox.start({ clusters: ['c'], kubesphere: false });
  });
  afterEach(() => sandbox.cluster('c').setFaults({}));
  afterAll(async () => {
    await sandbox.stop();
  });

  test('429 with Retry-After, also on discovery', async () => {
    sandbox.cluster('c').setFaults({ rate429: 1, retryAfterSeconds: 2 });
    const res = await http(sandbox, 'c', '/api/v1');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'TooManyRequests', details: { retryAfterSeconds: 2 } });
    expect(sandbox.cluster('c').requests.slice(-1)[0]).toMatchObject({ path: '/api/v1', status: 429, fault: '429' });
  });

  test('500/503 and resets, deterministically by seed', async () => {
    sandbox.cluster('c').setFaults({ rate5xx: 1, seed: 1 });
    const codes = [];
    for (let i = 0; i < 6; i++) codes.push((await http(sandbox, 'c', '/version')).status);
    sandbox.cluster('c').setFaults({ rate5xx: 1, seed: 1 });
    const again = [];
    for (let i = 0; i < 6; i++) again.push((await http(sandbox, 'c', '/version')).status);
    expect(again).toEqual(codes);
    expect(new Set(codes)).toEqual(new Set([500, 503]));
    sandbox.cluster('c').setFaults({ rateReset: 1 });
    await expect(http(sandbox, 'c', '/version')).rejects.toThrow();
    expect(sandbox.cluster('c').requests.slice(-1)[0]).toMatchObject({ status: 0, fault: 'reset' });
  });

  test('latency delays answers', async () => {
    sandbox.cluster('c').setFaults({ latencyMs: 120 });
    const t0 = Date.now();
    await http(sandbox, 'c', '/version');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(110);
  });

  test('latency is the time from arrival to answer: the work is done at once and the answer held back', async () => {
    sandbox.cluster('c').setFaults({ latencyMs: 600 });
    const t0 = Date.now();
    const answer = http(sandbox, 'c', '/api/v1/namespaces/default/configmaps', {
      method: 'POST', body: JSON.stringify(configMap('held', { a: '1' })), headers: { 'content-type': 'application/json' },
    });
    // The object is stored well before its answer arrives.
    let storedAt = 0;
    while (!storedAt && Date.now() - t0 < 550) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (sandbox.cluster('c').get('v1', 'ConfigMap', 'held', 'default')) storedAt = Date.now() - t0;
    }
    expect(storedAt).toBeGreaterThan(0);
    expect((await answer).status).toBe(201);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(590);
    // Faults decided before processing wait the whole latency and change nothing.
    sandbox.cluster('c').setFaults({ latencyMs: 300, rate5xx: 1 });
    const t1 = Date.now();
    const failed = await http(sandbox, 'c', '/api/v1/namespaces/default/configmaps', {
      method: 'POST', body: JSON.stringify(configMap('never', {})), headers: { 'content-type': 'application/json' },
    });
    expect([500, 503]).toContain(failed.status);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(290);
    expect(sandbox.cluster('c').get('v1', 'ConfigMap', 'never', 'default')).toBeUndefined();
  });

  test('a cluster taken down while an answer is held back drops the connection; the write it served stays', async () => {
    sandbox.cluster('c').setFaults({ latencyMs: 400 });
    const answer = http(sandbox, 'c', '/api/v1/namespaces/default/configmaps', {
      method: 'POST', body: JSON.stringify(configMap('served-then-down', {})), headers: { 'content-type': 'application/json' },
    });
    const t0 = Date.now();
    while (!sandbox.cluster('c').get('v1', 'ConfigMap', 'served-then-down', 'default') && Date.now() - t0 < 350) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    sandbox.cluster('c').setDown(true);
    try {
      await expect(answer).rejects.toThrow();
      expect(sandbox.cluster('c').get('v1', 'ConfigMap', 'served-then-down', 'default')).toBeDefined();
    } finally {
      sandbox.cluster('c').setDown(false);
    }
  });

  test('reset after commit: the client sees an error, the write happened, and a re-run converges', async () => {
    const client = clientFor(sandbox, 'c');
    sandbox.cluster('c').setFaults({ resetAfterCommitRate: 1 });
    await apply(client, configMap('committed', { a: '1' })).then(() => undefined, () => undefined);
    const reads = await http(sandbox, 'c', '/version');
    expect(reads.status).toBe(200);
    const rec = sandbox.cluster('c').requests.filter((r) => r.path.endsWith('/committed'));
    expect(rec.slice(-1)[0]).toMatchObject({ method: 'PATCH', fault: 'reset-after-commit', status: 0 });
    expect(sandbox.cluster('c').get('v1', 'ConfigMap', 'committed', 'default').data).toEqual({ a: '1' });
    sandbox.cluster('c').setFaults({});
    const rv = sandbox.cluster('c').get('v1', 'ConfigMap', 'committed', 'default').metadata.resourceVersion;
    await apply(client, configMap('committed', { a: '1' }));
    expect(sandbox.cluster('c').get('v1', 'ConfigMap', 'committed', 'default').metadata.resourceVersion).toBe(rv);
  });

  test('a down cluster refuses connections until it is back', async () => {
    const client = clientFor(sandbox, 'c');
    sandbox.cluster('c').setDown(true);
    const err = await client.read(configMap('committed', {})).then(() => undefined, (e) => e);
    expect(String(err?.message ?? err)).toMatch(/ECONNRESET|socket hang up|ECONNREFUSED|other side closed|network/i);
    sandbox.cluster('c').setDown(false);
    expect((await client.read(configMap('committed', {}))).metadata?.name).toBe('committed');
  });
});
