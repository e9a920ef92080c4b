import * as http_ from 'http';
import { apply, clientFor, configMap, failure, http } from './helpers';
import { Sandbox, SandboxCluster } from '../src';

/** Reads a watch stream until `count` events arrived (or the stream ends). */
function watchEvents(url: string, token: string | undefined, count: number): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const events: any[] = [];
    const req = http_.get(url, { headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      let buf = '';
      res.on('data', (chunk) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
          if (events.length >= count) {
            req.destroy();
            resolve(events);
          }
        }
      });
      res.on('end', () => resolve(events));
    });
    req.on('error', (e) => (events.length >= count ? resolve(events) : reject(e)));
  });
}

describe('ApiServer', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await Sandbox.start({ clusters: ['a', 'b'], kubesphere: false });
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  test('auth: a missing or wrong token is 401 Status; /version and health checks are public to anonymous', async () => {
    const c = sandbox.cluster('a');
    const missing = await fetch(`${c.url}/api/v1/namespaces`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    const wrong = await http(sandbox, 'a', '/api/v1/namespaces', { headers: { authorization: `Bearer ${sandbox.cluster('b').token}` } });
    expect(wrong.status).toBe(401);
    expect((await fetch(`${c.url}/version`)).status).toBe(200);
    expect(await (await fetch(`${c.url}/healthz`)).text()).toBe('ok');
    expect((await http(sandbox, 'a', '/version', { headers: { authorization: 'Bearer expired' } })).status).toBe(401);
  });

  test('client-node with an expired credential gets 401', async () => {
    const stale = clientFor(sandbox, 'a', (yaml) => yaml.replace(sandbox.cluster('a').token, 'expired-token'));
    expect((await failure(stale.read(configMap('x', {})))).code).toBe(401);
  });

  test('anonymous mode accepts requests without credentials, still refuses wrong ones', async () => {
    const anon = await Sandbox.start({ clusters: ['k'], kubesphere: false, anonymous: true });
    try {
      expect((await fetch(`${anon.cluster('k').url}/api/v1/namespaces`)).status).toBe(200);
      expect((await fetch(`${anon.cluster('k').url}/api/v1/namespaces`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    } finally {
      await anon.stop();
    }
  });

  test('paths: cluster-scoped kinds under a namespace, names without a namespace, bad subresources are 404; wrong verbs 405', async () => {
    expect((await http(sandbox, 'a', '/api/v1/namespaces/default/namespaces')).status).toBe(404);
    expect((await http(sandbox, 'a', '/api/v1/configmaps/x')).status).toBe(404);
    expect((await http(sandbox, 'a', '/api/v1/namespaces/default/configmaps/x/scale')).status).toBe(404);
    expect((await http(sandbox, 'a', '/api/v1/namespaces/default/configmaps/x/y/z')).status).toBe(404);
    expect((await http(sandbox, 'a', '/nope')).status).toBe(404);
    expect((await http(sandbox, 'a', '/api/v1/namespaces/default/configmaps', { method: 'PUT', body: '{}' })).status).toBe(405);
    expect((await http(sandbox, 'a', '/api/v1/namespaces/default', { method: 'GET' })).body.metadata.name).toBe('default');
    expect((await http(sandbox, 'a', '/api/v1/namespaces/default/status')).body.status.phase).toBe('Active');
  });

  test('request validation: dryRun and fieldValidation values, content types, malformed bodies', async () => {
    const post = (query: string, body: string, type = 'application/json') =>
      http(sandbox, 'a', `/api/v1/namespaces/default/configmaps${query}`, { method: 'POST', headers: { 'content-type': type }, body });
    expect((await post('?dryRun=Some', JSON.stringify(configMap('v', {})))).status).toBe(400);
    expect((await post('?fieldValidation=Loose', JSON.stringify(configMap('v', {})))).status).toBe(400);
    expect((await post('', '{not json')).status).toBe(400);
    expect((await post('', 'x', 'application/vnd.kubernetes.protobuf')).status).toBe(415);
    expect((await post('', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-yaml}\n', 'application/yaml')).status).toBe(201);
    const mismatch = await post('', JSON.stringify(configMap('v', {}, 'other-ns')));
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.message).toContain('does not match the namespace');
  });

  test('requests are recorded with method, path, query, status, fieldManager, dryRun', async () => {
    const c = sandbox.cluster('b');
    c.clearRequests();
    await apply(clientFor(sandbox, 'b'), configMap('rec', { a: '1' }), 'recorder');
    const patch = c.requests.find((r) => r.method === 'PATCH')!;
    expect(patch).toMatchObject({
      path: '/api/v1/namespaces/default/configmaps/rec',
      status: 201,
      fieldManager: 'recorder',
      dryRun: false,
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: 'recorder', force: 'false' },
    });
    expect(c.requests.find((r) => r.method === 'GET')!.path).toBe('/api/v1');
    expect(patch.body).toBeUndefined();
  });

  test('recordBodies keeps each request body in its record', async () => {
    const rec = await Sandbox.start({ clusters: ['r'], kubesphere: false, recordBodies: true });
    try {
      await apply(clientFor(rec, 'r'), configMap('rec', { a: '1' }), 'recorder');
      const patch = rec.cluster('r').requests.find((r) => r.method === 'PATCH')!;
      expect(JSON.parse(patch.body!)).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'rec' }, data: { a: '1' } });
      expect(rec.cluster('r').requests.find((r) => r.method === 'GET')!.body).toBeUndefined();
    } finally {
      await rec.stop();
    }
  });

  test('watch: initial ADDED events, live events, resuming from a resourceVersion, bookmarks, timeoutSeconds', async () => {
    const c = sandbox.cluster('a');
    await apply(clientFor(sandbox, 'a'), configMap('w1', { a: '1' }, 'default', { watch: 'me' }));
    const initial = await watchEvents(`${c.url}/api/v1/namespaces/default/configmaps?watch=true&labelSelector=watch%3Dme`, c.token, 1);
    expect(initial.map((e) => `${e.type}/${e.object.metadata.name}`)).toEqual(['ADDED/w1']);
    const rv = c.get('v1', 'ConfigMap', 'w1', 'default').metadata.resourceVersion;

    const live = watchEvents(`${c.url}/api/v1/namespaces/default/configmaps?watch=1&fieldSelector=metadata.name%3Dw1&resourceVersion=${rv}`, c.token, 2);
    await new Promise((r) => setTimeout(r, 20));
    await apply(clientFor(sandbox, 'a'), configMap('w1', { a: '2' }, 'default', { watch: 'me' }));
    await apply(clientFor(sandbox, 'a'), configMap('other', {}));
    await clientFor(sandbox, 'a').delete(configMap('w1', {}));
    const events = await live;
    expect(events.map((e) => e.type)).toEqual(['MODIFIED', 'DELETED']);
    expect(events[1].object).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'w1' } });

    const resumed = await watchEvents(`${c.url}/api/v1/namespaces/default/configmaps?watch=true&fieldSelector=metadata.name%3Dw1&resourceVersion=${rv}`, c.token, 2);
    expect(resumed.map((e) => e.type)).toEqual(['MODIFIED', 'DELETED']);

    const bookmark = await watchEvents(`${c.url}/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true&fieldSelector=metadata.name%3Dother`, c.token, 2);
    expect(bookmark[1]).toMatchObject({ type: 'BOOKMARK', object: { metadata: { annotations: { 'k8s.io/initial-events-end': 'true' } } } });

    const now = (await http(sandbox, 'a', '/api/v1/namespaces/kube-public/configmaps')).body.metadata.resourceVersion;
    const timedOut = await watchEvents(`${c.url}/api/v1/namespaces/kube-public/configmaps?watch=true&resourceVersion=${now}&timeoutSeconds=0`, c.token, 99);
    expect(timedOut).toEqual([]);
  });

  test('a watch answers its headers at once, before any event (client-go blocks until it gets them)', async () => {
    const c = sandbox.cluster('a');
    const abort = new AbortController();
    const now = (await http(sandbox, 'a', '/api/v1/namespaces/kube-public/configmaps')).body.metadata.resourceVersion;
    const res = await Promise.race([
      fetch(`${c.url}/api/v1/namespaces/kube-public/configmaps?watch=true&resourceVersion=${now}`, { headers: { authorization: `Bearer ${c.token}` }, signal: abort.signal }),
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000)),
    ]);
    expect(res?.status).toBe(200);
    expect(res?.headers.get('content-type')).toBe('application/json');
    abort.abort();
  });

  test('watch history is bounded: a resourceVersion older than it gets an ERROR event with 410 Expired', async () => {
    const c = new SandboxCluster({ name: 'small', index: 0, establishDelayMs: 1, rolloutDelayMs: 1, faults: {}, historyLimit: 20 });
    await c.start(0);
    try {
      const first = c.get('v1', 'Namespace', 'default').metadata.resourceVersion;
      for (let i = 0; i < 30; i++) c.api.mergePatch(c.api.typeOf('v1', 'Namespace'), undefined, 'default', { metadata: { labels: { i: String(i) } } }, 'churn');
      const events = await watchEvents(`${c.url}/api/v1/namespaces?watch=true&resourceVersion=${first}`, c.token, 1);
      expect(events[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
      expect(events[0].object.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
    } finally {
      await c.stop();
    }
  });
});
