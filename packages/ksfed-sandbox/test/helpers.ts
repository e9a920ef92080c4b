import { KubeConfig, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { Sandbox } from '../src';

/** A client-node object API for one sandbox cluster (context = cluster name). */
export function clientFor(sandbox: Sandbox, cluster: string, mutate: (yaml: string) => string = (y) => y): KubernetesObjectApi {
  const kc = new KubeConfig();
  kc.loadFromString(mutate(sandbox.kubeconfigYaml()));
  kc.setCurrentContext(cluster);
  return KubernetesObjectApi.makeApiClient(kc);
}

/** Server-side apply through client-node, as the applier does it. */
export function apply(client: KubernetesObjectApi, obj: any, manager = 'ksfed', force = false, dryRun?: string): Promise<any> {
  return client.patch(obj, undefined, dryRun, manager, force, PatchStrategy.ServerSideApply);
}

/**
 * Server-side apply with the object's JSON as-is. Needed for CRDs: client-node 1.4.0 serializes known kinds through
 * its typed models, which drops wire names it spells differently (`default`, `x-kubernetes-*` in JSON schemas).
 */
export async function applyRaw(sandbox: Sandbox, cluster: string, obj: any, manager = 'ksfed', force = false): Promise<any> {
  const c = sandbox.cluster(cluster);
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  const plural = `${obj.kind.toLowerCase()}s`;
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const scope = obj.metadata.namespace ? `/namespaces/${obj.metadata.namespace}` : '';
  const res = await fetch(`${c.url}${base}${scope}/${plural}/${obj.metadata.name}?fieldManager=${manager}&force=${force}`, {
    method: 'PATCH', headers: { 'authorization': `Bearer ${c.token}`, 'content-type': 'application/apply-patch+yaml' }, body: JSON.stringify(obj),
  });
  const body: any = await res.json();
  if (res.status >= 300) throw Object.assign(new Error(body.message), { code: res.status, body });
  return body;
}

/** The rejection of a client-node call: its HTTP code and the parsed Status body. */
export async function failure(p: Promise<unknown>): Promise<{ code: number; body: any }> {
  try {
    await p;
  } catch (e: any) {
    const body = typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
    return { code: e.code, body };
  }
  throw new Error('expected the call to fail');
}

/** Polls until `fn` returns a truthy value (or throws after `timeoutMs`). */
export async function eventually<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Raw HTTP against a sandbox cluster with its token. */
export async function http(
  sandbox: Sandbox, cluster: string, path: string, init: RequestInit = {},
): Promise<{ status: number; headers: Headers; body: any; text: string }> {
  const c = sandbox.cluster(cluster);
  const headers = new Headers(init.headers);
  if (!headers.has('authorization')) headers.set('authorization', `Bearer ${c.token}`);
  const res = await fetch(c.url + path, { ...init, headers });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** Mutating requests (POST, PUT, PATCH, DELETE) a cluster received. */
export function mutating(sandbox: Sandbox, cluster: string) {
  return sandbox.cluster(cluster).requests.filter((r) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method));
}

/** A ConfigMap manifest. */
export function configMap(name: string, data: Record<string, string>, namespace = 'default', labels?: Record<string, string>): any {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, ...(labels ? { labels } : {}) }, data };
}

/** A Deployment manifest. */
export function deployment(name: string, namespace = 'default', extra: any = {}): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas: extra.replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: extra.image ?? 'nginx:1.25', ...(extra.container ?? {}) }] } },
    },
  };
}

/** A namespaced CRD `widgets.example.com` (v1, status subresource; with `cluster: true`, cluster-scoped `gadgets`). */
export function widgetCrd(opts: { cluster?: boolean; versions?: string[] } = {}): any {
  const plural = opts.cluster ? 'gadgets' : 'widgets';
  const kind = opts.cluster ? 'Gadget' : 'Widget';
  const versions = opts.versions ?? ['v1'];
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.example.com` },
    spec: {
      group: 'example.com',
      scope: opts.cluster ? 'Cluster' : 'Namespaced',
      names: { kind, plural, singular: kind.toLowerCase(), shortNames: [opts.cluster ? 'gd' : 'wg'] },
      versions: versions.map((v, i) => ({
        name: v,
        served: true,
        storage: i === 0,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: {
                  size: { type: 'integer', minimum: 0, default: 1 },
                  color: { type: 'string', enum: ['red', 'blue'] },
                  ports: {
                    'type': 'array',
                    'x-kubernetes-list-type': 'map',
                    'x-kubernetes-list-map-keys': ['name'],
                    'items': { type: 'object', required: ['name'], properties: { name: { type: 'string' }, port: { type: 'integer' } } },
                  },
                  tags: { type: 'array', items: { type: 'string' } },
                },
              },
              status: { type: 'object', properties: { phase: { type: 'string' } } },
            },
          },
        },
      })),
    },
  };
}
