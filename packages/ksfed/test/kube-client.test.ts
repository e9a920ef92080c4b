import * as http from 'http';
import * as https from 'https';
import { KubeConfig } from '@kubernetes/client-node';
import { BUILTIN_KINDS } from 'cdk8s-kubesphere-federation/lib/contract/kinds';
import * as yaml from 'js-yaml';
import { Sandbox } from 'ksfed-sandbox';
import { KubeApiError, UsageError } from '../src/errors';
import { BUILT_IN_RESOURCES, ClientNodeKubeClient, toKubeApiError, withContext } from '../src/kube-client';
import { Limiter } from '../src/limiter';
import { hasOpenssl, makeTestPki, TestPki } from './util/tls';

jest.setTimeout(30_000);

describe('toKubeApiError', () => {
  test('an API Status: code, reason, message, causes, Retry-After', () => {
    const e = toKubeApiError({
      code: 409,
      body: JSON.stringify({ kind: 'Status', reason: 'Conflict', message: 'Apply failed with 1 conflict', details: { causes: [{ reason: 'FieldManagerConflict', field: '.data.a', message: 'conflict with "x"' }] } }),
      headers: {},
    }) as KubeApiError;
    expect(e).toBeInstanceOf(KubeApiError);
    expect([e.code, e.reason, e.message, e.causes[0].field]).toEqual([409, 'Conflict', 'Apply failed with 1 conflict', '.data.a']);
    const throttled = toKubeApiError({ code: 429, body: { reason: 'TooManyRequests', message: 'slow' }, headers: { 'retry-after': '2' } }) as KubeApiError;
    expect(throttled.retryAfterSeconds).toBe(2);
    expect((toKubeApiError({ code: 503, body: 'upstream down', headers: {} }) as KubeApiError).message).toBe('upstream down');
  });

  test('a kind the server does not serve (yet)', () => {
    const discovery = Object.assign(new Error('Failed to fetch resource metadata for example.com/v1/Widget: HTTP-Code: 404'), { code: 404, body: '', headers: {} });
    expect((toKubeApiError(discovery) as KubeApiError).notServed).toBe(true);
    expect((toKubeApiError(new Error('Unrecognized API version and kind: example.com/v1 Widget')) as KubeApiError).notServed).toBe(true);
    const discovery503 = Object.assign(new Error('Failed to fetch resource metadata for x: HTTP-Code: 503'), { code: 503, body: '', headers: {} });
    expect((toKubeApiError(discovery503) as KubeApiError).code).toBe(503);
  });

  test('a 404 for a path the server does not serve is NotServed; a 404 for a missing object or namespace is not', () => {
    const status = (message: string, details: object) => ({ code: 404, body: JSON.stringify({ kind: 'Status', reason: 'NotFound', message, details }), headers: {} });
    const path = toKubeApiError(status('the server could not find the requested resource', {}), 'example.com/v1/Widget') as KubeApiError;
    expect([path.code, path.notServed, path.message]).toEqual([404, true, 'the server does not serve example.com/v1/Widget (yet): the server could not find the requested resource']);
    const object = toKubeApiError(status('widgets.example.com "w" not found', { name: 'w', group: 'example.com', kind: 'widgets' }), 'example.com/v1/Widget') as KubeApiError;
    expect([object.reason, object.notServed]).toEqual(['NotFound', false]);
    const namespace = toKubeApiError(status('namespaces "shop" not found', { name: 'shop', kind: 'namespaces' })) as KubeApiError;
    expect(namespace.notServed).toBe(false);
  });

  test('network errors and timeouts', () => {
    const reset = toKubeApiError(Object.assign(new Error('request to http://x failed, reason: socket hang up'), { code: 'ECONNRESET', type: 'system' })) as KubeApiError;
    expect([reset.code, reset.reason, reset.message]).toEqual([0, 'ECONNRESET', 'connection reset (socket hang up)']);
    expect((toKubeApiError(Object.assign(new Error('The operation was aborted.'), { name: 'AbortError', type: 'aborted' })) as KubeApiError).reason).toBe('RequestTimeout');
    expect((toKubeApiError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })) as KubeApiError).message).toMatch(/connection refused/);
  });

  test('a plain-HTTP server without skip-TLS-verify is a kubeconfig problem', () => {
    expect(toKubeApiError(new Error('HTTP protocol is not allowed when skipTLSVerify is not set or false'))).toBeInstanceOf(UsageError);
  });
});

describe('ClientNodeKubeClient against a sandbox', () => {
  let sandbox: Sandbox;
  let kc: KubeConfig;
  const client = (extra: object = {}) => new ClientNodeKubeClient({
    cluster: 'c', kubeConfig: kc, context: 'c', retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 5 }, requestTimeoutMs: 2_000, ...extra,
  });
  const cm = (name: string, data: any) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels: { app: 'x' } }, data });

  beforeAll(async () => {
    sandbox = await Sandbox.start({ clusters: ['c'], kubesphere: false });
    kc = new KubeConfig();
    kc.loadFromString(sandbox.kubeconfigYaml());
  });
  afterAll(() => sandbox.stop());
  beforeEach(() => sandbox.cluster('c').setFaults({}));

  test('server-side apply as ksfed: 201 created, then 200', async () => {
    const c = client();
    expect((await c.apply(cm('a', { k: '1' }))).created).toBe(true);
    const second = await c.apply(cm('a', { k: '2' }));
    expect(second.created).toBe(false);
    expect(second.object.data).toEqual({ k: '2' });
    const patch = sandbox.cluster('c').requests.filter(r => r.method === 'PATCH').pop()!;
    expect(patch).toMatchObject({ fieldManager: 'ksfed', contentType: 'application/apply-patch+yaml', dryRun: false });
    expect(patch.query.force).toBe('false');
    await c.apply(cm('a', { k: '3' }), { dryRun: true, force: true });
    const dry = sandbox.cluster('c').requests.filter(r => r.method === 'PATCH').pop()!;
    expect([dry.dryRun, dry.query.force]).toEqual([true, 'true']);
    expect(sandbox.cluster('c').get('v1', 'ConfigMap', 'a', 'default').data).toEqual({ k: '2' });
  });

  test('serverVersion: the server\'s /version', async () => {
    sandbox.cluster('c').setKubernetesVersion('v1.25.4');
    try {
      expect(await client().serverVersion()).toMatchObject({ major: '1', minor: '25', gitVersion: 'v1.25.4' });
    } finally {
      sandbox.cluster('c').setKubernetesVersion('v1.26.15');
    }
  });

  test('get, list by label, namespaced, delete', async () => {
    const c = client();
    await c.apply(cm('b', { k: '1' }));
    expect(await c.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'missing' })).toBeUndefined();
    expect((await c.list('v1', 'ConfigMap', { namespace: 'default', labelSelector: 'app=x' })).map(i => [i.kind, i.metadata.name]).sort()).toEqual([['ConfigMap', 'a'], ['ConfigMap', 'b']]);
    expect(await c.namespaced('v1', 'ConfigMap')).toBe(true);
    expect(await c.namespaced('v1', 'Namespace')).toBe(false);
    expect(await c.namespaced('example.com/v1', 'Widget')).toBeUndefined();
    expect(await c.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'b' })).toBe(true);
    expect(await c.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'b' })).toBe(false);
  });

  test('mergePatch: removes a label (null) and changes data, with the given field manager; a dry run keeps the object; a missing object is a 404', async () => {
    const c = client();
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'm' };
    await c.apply({ ...cm('m', { k: '1' }), metadata: { ...cm('m', {}).metadata, labels: { app: 'merge', team: 'a' } } });
    const dry = await c.mergePatch(ref, { metadata: { labels: { team: null } } }, { fieldManager: 'ksfed-test', dryRun: true });
    expect(dry.metadata.labels).toEqual({ app: 'merge' });
    expect(sandbox.cluster('c').get('v1', 'ConfigMap', 'm', 'default').metadata.labels).toEqual({ app: 'merge', team: 'a' });
    const after = await c.mergePatch(ref, { metadata: { labels: { team: null } }, data: { k: '2' } }, { fieldManager: 'ksfed-test' });
    expect([after.metadata.labels, after.data]).toEqual([{ app: 'merge' }, { k: '2' }]);
    const sent = sandbox.cluster('c').requests.filter(r => r.method === 'PATCH').pop()!;
    expect(sent).toMatchObject({ fieldManager: 'ksfed-test', contentType: 'application/merge-patch+json', dryRun: false });
    await expect(c.mergePatch({ ...ref, name: 'missing' }, { data: {} }, { fieldManager: 'ksfed-test' })).rejects.toMatchObject({ code: 404 });
  });

  test('built-in kinds need no discovery request; other kinds are looked up once', async () => {
    // GIVEN a fresh client
    const c = client();
    sandbox.cluster('c').clearRequests();
    // WHEN objects of built-in kinds are applied, read and listed
    await c.apply(cm('builtin', { k: '1' }));
    await c.apply({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'r', namespace: 'default' }, rules: [] });
    await c.get({ apiVersion: 'v1', kind: 'Secret', namespace: 'default', name: 'none' });
    await c.list('apps/v1', 'Deployment', { namespace: 'default' });
    // THEN no discovery document was fetched
    const discovery = () => sandbox.cluster('c').requests.filter(r => r.method === 'GET' && /^\/(api\/v1|apis\/[^/]+\/[^/]+)$/.test(r.path)).map(r => r.path);
    expect(discovery()).toEqual([]);
    // WHEN a kind missing from the table is used (CronJob: batch/v1 serves it from Kubernetes 1.21 on), the server's
    // list replaces the entry (one request)
    await c.list('batch/v1', 'CronJob', { namespace: 'default' });
    await c.list('batch/v1', 'Job', { namespace: 'default' });
    expect(discovery()).toEqual(['/apis/batch/v1']);
  });

  test('namespacedKinds: every namespaced, listable kind the server serves, in each group\'s preferred version; a failing group rejects', async () => {
    const kinds = (await client().namespacedKinds()).map(k => `${k.apiVersion} ${k.kind}`);
    expect(kinds).toEqual(expect.arrayContaining(['v1 ConfigMap', 'v1 Secret', 'v1 ServiceAccount', 'apps/v1 Deployment', 'rbac.authorization.k8s.io/v1 Role']));
    // cluster-scoped kinds and subresources are not listed
    expect(kinds.filter(k => /\b(Namespace|ClusterRole|CustomResourceDefinition)$/.test(k) || k.includes('/status'))).toEqual([]);
    expect(new Set(kinds).size).toBe(kinds.length);
    const paths = sandbox.cluster('c').requests.filter(r => r.method === 'GET' && /^\/apis?(\/|$)/.test(r.path)).map(r => r.path);
    expect(paths).toEqual(expect.arrayContaining(['/apis', '/api/v1', '/apis/apps/v1']));

    sandbox.cluster('c').setFaults({ rate5xx: 1, seed: 3 });
    await expect(client().namespacedKinds()).rejects.toThrow(KubeApiError);
  });

  test('BUILT_IN_RESOURCES: the kinds of the table of kinds every Kubernetes from 1.19 on serves, and no other', () => {
    const seeded = Object.entries(BUILT_IN_RESOURCES).flatMap(([gv, resources]) => resources.map(([kind, plural, namespaced]) => `${gv} ${kind} ${plural} ${namespaced}`));
    const expected = BUILTIN_KINDS.filter(k => k.servedSince <= 19).map(k => `${k.group ? `${k.group}/` : ''}${k.version} ${k.kind} ${k.plural} ${k.namespaced}`);
    expect(seeded.sort()).toEqual(expected.sort());
    expect(seeded).toEqual(expect.arrayContaining(['v1 Namespace namespaces false', 'apps/v1 Deployment deployments true', 'networking.k8s.io/v1 Ingress ingresses true']));
    for (const later of ['batch/v1 CronJob', 'autoscaling/v2 HorizontalPodAutoscaler', 'policy/v1 PodDisruptionBudget']) expect(seeded.some(s => s.startsWith(later))).toBe(false);
  });

  test('BUILT_IN_RESOURCES says what the API server\'s discovery says', async () => {
    for (const [groupVersion, resources] of Object.entries(BUILT_IN_RESOURCES)) {
      const res = await fetch(`${sandbox.cluster('c').url}/${groupVersion === 'v1' ? 'api' : 'apis'}/${groupVersion}`, { headers: { Authorization: `Bearer ${sandbox.cluster('c').token}` } });
      expect([groupVersion, res.status]).toEqual([groupVersion, 200]);
      const served: any[] = (await res.json() as any).resources;
      for (const [kind, name, namespaced] of resources) {
        expect(served.find(r => r.kind === kind && !r.name.includes('/'))).toMatchObject({ name, namespaced });
      }
    }
  });

  test('an Established CRD\'s kinds need no discovery request once learned', async () => {
    // GIVEN a CRD serving v1 and v2 (v3 not served), established
    const c = client();
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gadgets.example.com' },
      spec: {
        group: 'example.com',
        names: { kind: 'Gadget', plural: 'gadgets', singular: 'gadget', listKind: 'GadgetList' },
        scope: 'Cluster',
        versions: ['v1', 'v2', 'v3'].map((name, i) => ({ name, served: i < 2, storage: i === 0, schema: { openAPIV3Schema: { 'type': 'object', 'x-kubernetes-preserve-unknown-fields': true } } })),
      },
    };
    await c.apply(crd);
    await new Promise(resolve => setTimeout(resolve, 200));
    sandbox.cluster('c').clearRequests();
    // WHEN
    c.learnKinds(crd);
    await c.apply({ apiVersion: 'example.com/v2', kind: 'Gadget', metadata: { name: 'g' } });
    // THEN the apply went straight to the cluster-scoped URL
    expect(sandbox.cluster('c').requests.map(r => `${r.method} ${r.path}`)).toEqual(['PATCH /apis/example.com/v2/gadgets/g']);
    expect(await c.namespaced('example.com/v1', 'Gadget')).toBe(false);
    // a version the CRD does not serve is not learned: it is looked up (and not served)
    await expect(c.apply({ apiVersion: 'example.com/v3', kind: 'Gadget', metadata: { name: 'g' } })).rejects.toMatchObject({ reason: 'NotServed' });
    // a CRD without names or versions teaches nothing
    expect(() => c.learnKinds({ spec: { group: 'example.com' } })).not.toThrow();
  });

  test('a kind served a moment after its CRD says Established: its apply is NotServed until then; served() asks discovery again each time', async () => {
    // GIVEN a sandbox whose CRDs are served 300 ms after they say Established
    const lagging = await Sandbox.start({ clusters: ['l'], kubesphere: false, establishDelayMs: 1, crdServeLagMs: 300 });
    try {
      const config = new KubeConfig();
      config.loadFromString(lagging.kubeconfigYaml());
      const c = new ClientNodeKubeClient({ cluster: 'l', kubeConfig: config, context: 'l', retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } });
      const crd = {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'sprockets.example.com' },
        spec: {
          group: 'example.com',
          names: { kind: 'Sprocket', plural: 'sprockets' },
          scope: 'Namespaced',
          versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { 'type': 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
        },
      };
      await c.apply(crd);
      const established = async () => (await c.get({ apiVersion: crd.apiVersion, kind: crd.kind, name: crd.metadata.name }))?.status?.conditions
        ?.some((x: any) => x.type === 'Established' && x.status === 'True');
      while (!await established()) await new Promise(resolve => setTimeout(resolve, 5));
      expect(lagging.cluster('l').scheduler.pending('serve/sprockets.example.com')).toBe(true); // (what follows runs inside the lag)
      // WHEN its kinds are learned from the Established CRD and a custom resource is applied at once
      c.learnKinds(crd);
      const sprocket = { apiVersion: 'example.com/v1', kind: 'Sprocket', metadata: { name: 's', namespace: 'default' } };
      // THEN the 404 is NotServed (retried while waiting), not a failure; discovery does not list the kind yet
      await expect(c.apply(sprocket)).rejects.toMatchObject({ code: 404, reason: 'NotServed', message: expect.stringMatching(/^the server does not serve example.com\/v1\/Sprocket \(yet\)/) });
      expect(await c.served('example.com/v1', 'Sprocket')).toBe(false);
      // and once served, discovery says so (a new request: the earlier answer is not reused) and the apply goes through
      const lookups = () => lagging.cluster('l').requests.filter(r => r.method === 'GET' && r.path === '/apis/example.com/v1').length;
      const before = lookups();
      await new Promise(resolve => setTimeout(resolve, 350));
      expect(await c.served('example.com/v1', 'Sprocket')).toBe(true);
      expect(lookups()).toBe(before + 1);
      expect((await c.apply(sprocket)).created).toBe(true);
      // calls made while one discovery request is out share the next one
      const all = await Promise.all([1, 2, 3, 4].map(() => c.served('example.com/v1', 'Sprocket')));
      expect(all).toEqual([true, true, true, true]);
      expect(lookups()).toBe(before + 2);
      c.close();
    } finally {
      await lagging.stop();
    }
  });

  test('watch: every matching object first, then each change as it happens, outside the limiters; abort ends it', async () => {
    const c = client({ clusterLimiter: new Limiter(1) });
    await c.apply(cm('w1', { k: '1' }));
    await c.apply({ ...cm('other', { k: '1' }), metadata: { name: 'other', namespace: 'default', labels: { app: 'y' } } });
    const events: string[] = [];
    const stop = new AbortController();
    const watching = c.watch('v1', 'ConfigMap', { labelSelector: 'app=x' }, e => {
      events.push(`${e.type} ${e.object.kind} ${e.object.metadata.name} ${e.object.data?.k}`);
    }, stop.signal);
    const until = async (what: string) => {
      for (let i = 0; i < 200 && !events.includes(what); i++) await new Promise(r => setTimeout(r, 10));
      expect(events).toContain(what);
    };
    await until('ADDED ConfigMap w1 1');
    // (the watch holds no slot of the cluster's limiter: applies still go out)
    await c.apply(cm('w1', { k: '2' }));
    await until('MODIFIED ConfigMap w1 2');
    await c.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'w1' });
    await until('DELETED ConfigMap w1 2');
    stop.abort();
    await expect(watching).resolves.toBeUndefined();
    expect(events.filter(e => e.includes('other'))).toEqual([]);
    const watch = sandbox.cluster('c').requests.filter(r => r.query.watch === 'true');
    expect(watch.map(r => [r.method, r.path, r.query.labelSelector])).toEqual([['GET', '/api/v1/configmaps', 'app=x']]);
    c.close();
  });

  test('watch of a kind that is not served rejects NotServed', async () => {
    const never = new AbortController();
    await expect(client().watch('example.com/v1', 'Widget', {}, () => undefined, never.signal)).rejects.toMatchObject({ reason: 'NotServed' });
  });

  test('a kind that is not served is NotServed', async () => {
    await expect(client().get({ apiVersion: 'example.com/v1', kind: 'Widget', name: 'w' })).rejects.toMatchObject({ reason: 'NotServed' });
    await expect(client().apply({ apiVersion: 'v1', kind: 'Gizmo', metadata: { name: 'g' } })).rejects.toMatchObject({ reason: 'NotServed' });
  });

  test('objects are sent in their wire form as given: a CRD keeps x-kubernetes-preserve-unknown-fields', async () => {
    const crd: any = yaml.load(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: widgets.example.com }
spec:
  group: example.com
  names: { kind: Widget, plural: widgets, singular: widget, listKind: WidgetList }
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: { type: object, x-kubernetes-preserve-unknown-fields: true }
`);
    await client().apply(crd);
    const stored = sandbox.cluster('c').get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com');
    expect(stored.spec.versions[0].schema.openAPIV3Schema.properties.spec['x-kubernetes-preserve-unknown-fields']).toBe(true);
  });

  test('retries 429/5xx and resets, then gives up with the last error', async () => {
    sandbox.cluster('c').setFaults({ rate5xx: 1, seed: 3 });
    const retries: number[] = [];
    await expect(client({ onRetry: (_e: unknown, n: number) => retries.push(n) }).get({ apiVersion: 'v1', kind: 'Namespace', name: 'default' })).rejects.toMatchObject({ code: expect.any(Number) });
    expect(retries).toEqual([1, 2]);
    sandbox.cluster('c').setFaults({ rate429: 0.3, retryAfterSeconds: 0, rateReset: 0.1, seed: 7 });
    const c = client({ retry: { maxAttempts: 10, baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 2 } });
    for (let i = 0; i < 10; i++) expect((await c.get({ apiVersion: 'v1', kind: 'Namespace', name: 'default' })).metadata.name).toBe('default');
  });

  test('a hung request times out and is retried', async () => {
    sandbox.cluster('c').setFaults({ latencyMs: 400 });
    const retries: string[] = [];
    await expect(client({ requestTimeoutMs: 50, onRetry: (e: KubeApiError) => retries.push(e.reason) }).get({ apiVersion: 'v1', kind: 'Namespace', name: 'default' }))
      .rejects.toMatchObject({ reason: 'RequestTimeout' });
    expect(retries).toEqual(['RequestTimeout', 'RequestTimeout']);
  });

  test('requests share one kept-alive connection; close frees it', async () => {
    // GIVEN sequential requests (client-node alone makes a new agent, so a new connection, for each)
    const c = client();
    for (let i = 0; i < 5; i++) await c.get({ apiVersion: 'v1', kind: 'Namespace', name: 'default' });
    // THEN one agent holds one idle socket for the next request
    const agent: any = (c as any).agent.agent;
    expect(agent.keepAlive).toBe(true);
    const idle: any[] = Object.values(agent.freeSockets).flat();
    expect(idle).toHaveLength(1);
    // WHEN closed, THEN the socket is destroyed and a later request still works (on a new connection)
    c.close();
    expect(idle[0].destroyed).toBe(true);
    expect((await c.get({ apiVersion: 'v1', kind: 'Namespace', name: 'default' })).metadata.name).toBe('default');
    c.close();
  });

  test('requests go out with Node\'s own HTTP client: the body with its length, User-Agent ksfed, no compression asked', async () => {
    // GIVEN a server that records what it receives and answers like an API server
    const seen: { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => body += c.toString('utf8'));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        res.writeHead(201, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ ...JSON.parse(body), metadata: { ...JSON.parse(body).metadata, resourceVersion: '1' } }));
      });
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    try {
      const recorder = new KubeConfig();
      recorder.loadFromOptions({
        clusters: [{ name: 'r', server: `http://127.0.0.1:${(server.address() as any).port}`, skipTLSVerify: true }],
        users: [{ name: 'u', token: 'recorder-token' }],
        contexts: [{ name: 'r', cluster: 'r', user: 'u' }],
        currentContext: 'r',
      });
      const c = new ClientNodeKubeClient({ cluster: 'r', kubeConfig: recorder, context: 'r', retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } });
      // WHEN
      const answer = await c.apply(cm('greeting', { greeting: 'grüß dich' }));
      c.close();
      // THEN
      expect(answer).toMatchObject({ created: true, object: { data: { greeting: 'grüß dich' } } });
      const [req] = seen;
      expect([req.method, req.url]).toEqual(['PATCH', '/api/v1/namespaces/default/configmaps/greeting?fieldManager=ksfed&force=false']);
      expect(Number(req.headers['content-length'])).toBe(Buffer.byteLength(req.body));
      expect(JSON.parse(req.body).data).toEqual({ greeting: 'grüß dich' });
      expect([req.headers['user-agent'], req.headers.authorization, req.headers['content-type'], req.headers['accept-encoding']])
        .toEqual(['ksfed', 'Bearer recorder-token', 'application/apply-patch+yaml', undefined]);
    } finally {
      server.close();
    }
  });

  test('limiters bound requests in flight', async () => {
    sandbox.cluster('c').setFaults({ latencyMs: 40 });
    const limiter = new Limiter(2);
    let peak = 0;
    const spy = new Limiter(100);
    const c = client({ clusterLimiter: limiter, globalLimiter: spy });
    const timer = setInterval(() => {
      peak = Math.max(peak, limiter.inFlight);
    }, 5);
    const started = Date.now();
    await Promise.all(Array.from({ length: 6 }, () => c.get({ apiVersion: 'v1', kind: 'Namespace', name: 'default' })));
    clearInterval(timer);
    expect(peak).toBeLessThanOrEqual(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3 * 40 - 5);
  });

  test('a context that is not in the kubeconfig', () => {
    expect(() => withContext(kc, 'nope')).toThrow(UsageError);
  });
});

const tlsSuite = hasOpenssl() ? describe : describe.skip;
if (!hasOpenssl()) {
  // eslint-disable-next-line no-console
  console.warn('openssl is not installed: skipping the tests of ClientNodeKubeClient over HTTPS');
}

tlsSuite('ClientNodeKubeClient over HTTPS with a client certificate', () => {
  let pki: TestPki;
  let server: https.Server;
  let port: number;
  const clients: string[] = [];
  let handshakes = 0;

  beforeAll(async () => {
    pki = makeTestPki();
    // An API server stand-in that, like kube-apiserver, only talks to clients with a certificate from its CA.
    server = https.createServer({ key: pki.serverKey, cert: pki.serverCert, ca: pki.ca, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      clients.push((req.socket as any).getPeerCertificate().subject.CN);
      let body = '';
      req.on('data', (c: Buffer) => body += c.toString('utf8'));
      req.on('end', () => {
        res.writeHead(req.method === 'PATCH' ? 201 : 200, { 'Content-Type': 'application/json' });
        res.end(req.method === 'PATCH'
          ? JSON.stringify({ ...JSON.parse(body), metadata: { ...JSON.parse(body).metadata, resourceVersion: '1' } })
          : JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', resourceVersion: '1' } }));
      });
    });
    server.on('secureConnection', () => handshakes++);
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as any).port;
  });
  afterAll(() => server?.close());

  const kubeConfig = (ca: string) => {
    const kc = new KubeConfig();
    const b64 = (pem: string) => Buffer.from(pem).toString('base64');
    kc.loadFromOptions({
      clusters: [{ name: 'tls', server: `https://127.0.0.1:${port}`, caData: b64(ca), skipTLSVerify: false }],
      users: [{ name: 'admin', certData: b64(pki.clientCert), keyData: b64(pki.clientKey) }],
      contexts: [{ name: 'tls', cluster: 'tls', user: 'admin' }],
      currentContext: 'tls',
    });
    return kc;
  };

  test('trusts the kubeconfig\'s CA, presents its client certificate, and does one handshake for many requests', async () => {
    // GIVEN a client from a kubeconfig with the server's CA and a client certificate
    const c = new ClientNodeKubeClient({ cluster: 'tls', kubeConfig: kubeConfig(pki.ca), context: 'tls' });
    const before = handshakes;
    // WHEN it applies an object and reads three times
    const applied = await c.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'over-tls', namespace: 'default' }, data: { a: '1' } });
    for (let i = 0; i < 3; i++) expect((await c.get({ apiVersion: 'v1', kind: 'Namespace', name: 'default' })).metadata.name).toBe('default');
    c.close();
    // THEN the server saw the client certificate on every request, over one TLS connection
    expect(applied).toMatchObject({ created: true, object: { data: { a: '1' } } });
    expect(clients.slice(-4)).toEqual(Array(4).fill('ksfed-test-admin'));
    expect(handshakes - before).toBe(1);
  });

  test('a server certificate from another authority: one clear error naming the fix, not retried', async () => {
    // GIVEN a kubeconfig that trusts a CA which did not sign the server's certificate
    const retries: unknown[] = [];
    const c = new ClientNodeKubeClient({ cluster: 'tls', kubeConfig: kubeConfig(pki.otherCa), context: 'tls', onRetry: e => retries.push(e) });
    // WHEN / THEN
    await expect(c.get({ apiVersion: 'v1', kind: 'Namespace', name: 'default' }))
      .rejects.toThrow(/certificate is not signed by an authority the kubeconfig trusts .*Fix: set the cluster's certificate-authority/);
    expect(retries).toEqual([]);
    c.close();
  });
});
