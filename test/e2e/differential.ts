// The differential harness: sends the same HTTP requests to the sandbox and to a real kube-apiserver, and compares
// status codes and bodies after removing what is legitimately server-specific (see `normalize`).
import * as http from 'http';
import * as https from 'https';
import { URL } from 'url';

/** One request of the corpus, as it goes on the wire. */
export interface Step {
  /** Stable id; the known-limits table names steps by it. */
  readonly id: string;
  /** Which cluster of the pair (default: the first). */
  readonly cluster?: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path with query string. */
  readonly path: string;
  readonly contentType?: string;
  /** A JSON value (serialized) or raw text. */
  readonly body?: unknown;
  /**
   * Before sending: poll each target with this GET until `until` holds (for controller work that takes its own
   * time on each side: a CRD becoming Established, a namespace going away). Not compared.
   */
  readonly waitFor?: { readonly path: string; readonly until: (r: Answer) => boolean; readonly timeoutMs?: number };
}

/** What a target answered. */
export interface Answer {
  readonly status: number;
  readonly body: any;
  /** `Warning` header texts (the quoted part). */
  readonly warnings: string[];
}

/** Something that answers HTTP requests like a kube-apiserver. */
export interface Target {
  readonly name: string;
  send(cluster: string, method: string, path: string, contentType?: string, body?: string): Promise<Answer>;
  close(): void;
}

/** Where one cluster is: base URL, bearer token, and for https the CA (PEM) that signed its serving certificate. */
export interface Endpoint {
  readonly url: string;
  readonly token: string;
  readonly ca?: string;
}

/** A target over plain HTTP(S) with a bearer token per cluster. */
export function target(name: string, endpoints: Record<string, Endpoint>): Target {
  const agents = new Map<string, http.Agent>();
  const agentFor = (cluster: string, e: Endpoint) => {
    if (!agents.has(cluster)) {
      agents.set(cluster, e.url.startsWith('https:') ? new https.Agent({ keepAlive: true, ca: e.ca }) : new http.Agent({ keepAlive: true }));
    }
    return agents.get(cluster)!;
  };
  return {
    name,
    send: (cluster, method, path, contentType, body) => {
      const e = endpoints[cluster];
      if (!e) throw new Error(`${name}: no cluster ${cluster}`);
      const url = new URL(e.url + path);
      const lib = url.protocol === 'https:' ? https : http;
      return new Promise<Answer>((resolve, reject) => {
        const headers: http.OutgoingHttpHeaders = { authorization: `Bearer ${e.token}`, accept: 'application/json' };
        if (contentType) headers['content-type'] = contentType;
        // (explicit length: Node sends a DELETE body without framing otherwise, which corrupts the connection)
        if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
        const req = lib.request(url, { method, headers, agent: agentFor(cluster, e) }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: any = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // not JSON: kept as text
            }
            const raw = res.headers.warning;
            const warnings = (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw])
              .flatMap((w) => splitWarnings(w));
            resolve({ status: res.statusCode ?? 0, body: parsed, warnings });
          });
          res.on('error', reject);
        });
        req.on('error', reject);
        req.setTimeout(30_000, () => req.destroy(new Error(`${name}: ${method} ${path} timed out`)));
        if (body !== undefined) req.write(body);
        req.end();
      });
    },
    close: () => {
      for (const a of agents.values()) a.destroy();
    },
  };
}

/** `299 - "text"` entries of a Warning header (several may share one header line, comma-separated). */
function splitWarnings(header: string): string[] {
  const out: string[] = [];
  const re = /\d{3}\s+\S+\s+"((?:[^"\\]|\\.)*)"/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(header)) !== null) out.push(JSON.parse(`"${m[1]}"`));
  return out;
}

/** One field where the two answers disagree (after normalization). */
export interface Difference {
  readonly step: string;
  /** `status` for the HTTP code, `warnings`, or a path into the body like `body.spec.ports[0].protocol`. */
  readonly path: string;
  readonly real: unknown;
  readonly sandbox: unknown;
}

/** The time-valued fields of conditions and similar records. */
const TIME_FIELDS = new Set(['lastTransitionTime', 'lastUpdateTime', 'lastProbeTime', 'lastHeartbeatTime']);

/**
 * Tracks resourceVersions per object and target, so that answers compare by how the resourceVersion moved
 * (`new`, `changed`, `same`) instead of by value.
 */
export class VersionTracker {
  private readonly seen = new Map<string, string>();

  /** `new`, `changed` or `same` for this object's resourceVersion on this target's cluster since the last answer. */
  public movement(targetName: string, cluster: string, obj: any): string {
    const key = `${targetName}/${cluster}/${obj.apiVersion}/${obj.kind}/${obj.metadata?.namespace ?? ''}/${obj.metadata?.name}`;
    const rv = String(obj.metadata?.resourceVersion);
    const before = this.seen.get(key);
    this.seen.set(key, rv);
    return before === undefined ? 'new' : before === rv ? 'same' : 'changed';
  }
}

/**
 * An answer without what is legitimately server-specific:
 * - identity and clock values: `uid`, `creationTimestamp`, `deletionTimestamp`, `managedFields[].time`, condition
 *   times, a Status' `details.uid` are replaced by `<set>` (their presence is still compared), uids quoted in
 *   messages by `<uid>`;
 * - resourceVersion values (etcd's revision counter on one side, a per-cluster counter on the other): an object's
 *   becomes how it moved (`new`/`changed`/`same`, see VersionTracker), a list's is `<set>`, `continue` tokens too;
 * - allocated addresses and ports: a Service's `clusterIP(s)`, `nodePort`s and `healthCheckNodePort` (random from
 *   the service ranges on a real server, sequential in the sandbox) become `<allocated>`;
 * - the order of an APIResourceList's resources: the real server lists a group's custom resources in no fixed order
 *   (it changed between two runs of this suite), so they are compared sorted by name.
 */
export function normalize(answer: Answer, targetName: string, cluster: string, versions: VersionTracker): any {
  // (items of a built-in list carry no kind: they get the list's, so that the rules by kind apply to them)
  const raw = answer.body;
  const itemKind = typeof raw?.kind === 'string' && raw.kind.endsWith('List') && Array.isArray(raw.items) ? raw.kind.slice(0, -4) : undefined;
  const body = normalizeValue(itemKind ? { ...raw, items: raw.items.map((i: any) => ({ kind: itemKind, ...i })) } : raw, []);
  if (itemKind) for (const [i, item] of (body.items as any[]).entries()) if (raw.items[i]?.kind === undefined) delete item.kind;
  if (body?.kind === 'APIResourceList' && Array.isArray(body.resources)) {
    body.resources.sort((a: any, b: any) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    if (body.metadata?.resourceVersion !== undefined && body.kind && !String(body.kind).endsWith('List') && body.kind !== 'Status') {
      body.metadata.resourceVersion = versions.movement(targetName, cluster, answer.body);
    }
    if (Array.isArray(body.items)) {
      for (const item of body.items) if (item?.metadata?.resourceVersion !== undefined) item.metadata.resourceVersion = '<set>';
    }
  }
  return { status: answer.status, warnings: [...answer.warnings].sort(), body };
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

function normalizeValue(value: any, path: string[]): any {
  if (Array.isArray(value)) return value.map((v) => normalizeValue(v, path));
  // (uids inside messages too: `... does not match the UID in record (<uid>)`)
  if (typeof value === 'string') return value.replace(UUID, (u) => (/^[0-]+$/.test(u) ? u : '<uid>'));
  if (value === null || typeof value !== 'object') return value;
  const out: any = {};
  for (const [k, v] of Object.entries(value)) out[k] = normalizeValue(v, [...path, k]);
  const parent = path[path.length - 1];
  if (parent === 'metadata') {
    for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp']) if (out[k] !== undefined) out[k] = '<set>';
    if (Array.isArray(out.managedFields)) out.managedFields = out.managedFields.map((m: any) => ({ ...m, time: m.time === undefined ? undefined : '<set>' }));
    if (out.continue) out.continue = '<set>';
    if (path.length === 1 && out.resourceVersion !== undefined && value.name === undefined) out.resourceVersion = '<set>';
  }
  if (parent === 'details' && out.uid !== undefined) out.uid = '<set>';
  for (const k of Object.keys(out)) if (TIME_FIELDS.has(k)) out[k] = '<set>';
  if (out.kind === 'Service' && out.spec) {
    const spec = out.spec;
    if (spec.clusterIP !== undefined && spec.clusterIP !== 'None') spec.clusterIP = '<allocated>';
    if (Array.isArray(spec.clusterIPs)) spec.clusterIPs = spec.clusterIPs.map((ip: string) => (ip === 'None' ? ip : '<allocated>'));
    if (spec.healthCheckNodePort !== undefined) spec.healthCheckNodePort = '<allocated>';
    if (Array.isArray(spec.ports)) for (const p of spec.ports) if (p?.nodePort !== undefined) p.nodePort = '<allocated>';
  }
  return out;
}

/** Field-level differences between two normalized answers. */
export function compare(step: string, real: any, sandbox: any): Difference[] {
  const out: Difference[] = [];
  const walk = (a: any, b: any, path: string) => {
    if (JSON.stringify(a) === JSON.stringify(b)) return;
    const isObj = (x: any) => x !== null && typeof x === 'object' && !Array.isArray(x);
    if (isObj(a) && isObj(b)) {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[k], b[k], path ? `${path}.${k}` : k);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length && path !== 'warnings') {
      a.forEach((x, i) => walk(x, b[i], `${path}[${i}]`));
      return;
    }
    if (sortedJson(a) === sortedJson(b)) return;
    out.push({ step, path, real: a, sandbox: b });
  };
  walk(real, sandbox, '');
  return out;
}

/** JSON with object keys sorted (key order is not part of the API). */
export function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${sortedJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/** Polls a GET until `until` holds; rejects after the timeout with the last answer. */
export async function waitUntil(t: Target, cluster: string, path: string, until: (r: Answer) => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await t.send(cluster, 'GET', path);
    if (until(r)) return;
    if (Date.now() > deadline) throw new Error(`${t.name}/${cluster}: GET ${path} did not reach the expected state in ${timeoutMs} ms (last: ${r.status} ${JSON.stringify(r.body).slice(0, 300)})`);
    await new Promise((r_) => setTimeout(r_, 100));
  }
}

/** The result of one step on both targets. */
export interface StepResult {
  readonly step: Step;
  readonly real: any;
  readonly sandbox: any;
  readonly differences: Difference[];
}

/** Runs the steps in order on both targets (each step on both before the next) and compares each answer. */
export async function runSteps(
  steps: Step[], real: Target, sandbox: Target, defaultCluster: string, versions: VersionTracker,
): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const step of steps) {
    const cluster = step.cluster ?? defaultCluster;
    const body = step.body === undefined ? undefined : typeof step.body === 'string' ? step.body : JSON.stringify(step.body);
    const contentType = step.contentType ?? (body === undefined ? undefined : 'application/json');
    const answers: any[] = [];
    for (const t of [real, sandbox]) {
      if (step.waitFor) await waitUntil(t, cluster, step.waitFor.path, step.waitFor.until, step.waitFor.timeoutMs);
      answers.push(normalize(await t.send(cluster, step.method, step.path, contentType, body), t.name, cluster, versions));
    }
    results.push({ step, real: answers[0], sandbox: answers[1], differences: compare(step.id, answers[0], answers[1]) });
  }
  return results;
}

/** A difference the suite expects: the sandbox's documented known limit, with the real behaviour and the reason. */
export interface KnownLimit {
  /** Step ids it covers (a regular expression over the id). */
  readonly step: RegExp;
  /** Difference paths it covers (a regular expression over the path). */
  readonly path: RegExp;
  /** What the real server does, and why the sandbox does not. */
  readonly reason: string;
}

/** Splits differences into expected (by the first known limit that covers them) and unexpected; lists unused limits. */
export function classify(differences: Difference[], known: KnownLimit[]): {
  expected: Map<KnownLimit, Difference[]>; unexpected: Difference[]; unused: KnownLimit[];
} {
  const expected = new Map<KnownLimit, Difference[]>();
  const unexpected: Difference[] = [];
  for (const d of differences) {
    const k = known.find((x) => x.step.test(d.step) && x.path.test(d.path));
    if (!k) unexpected.push(d);
    else expected.set(k, [...(expected.get(k) ?? []), d]);
  }
  return { expected, unexpected, unused: known.filter((k) => !expected.has(k)) };
}

/** One line per difference, for failure messages and logs (values cut at `maxLength` characters). */
export function describe(d: Difference, maxLength = 400): string {
  const show = (v: unknown) => (v === undefined ? '(absent)' : JSON.stringify(v)?.slice(0, maxLength));
  return `${d.step} ${d.path}: real ${show(d.real)} / sandbox ${show(d.sandbox)}`;
}
