import * as https from 'https';
import * as net from 'net';

/** Where and how to reach one real API server. */
export interface Endpoint {
  /** `https://127.0.0.1:PORT` */
  readonly server: string;
  /** PEM of the CA chain that signed the serving certificate. */
  readonly ca: string;
  /** Bearer token. */
  readonly token: string;
}

/** The answer of one request. */
export interface Reply {
  readonly status: number;
  readonly body: string;
}

/** One HTTPS request with the endpoint's token, the server certificate verified against `ca`. */
export function request(endpoint: Endpoint, method: string, path: string, body?: string, contentType = 'application/json'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, endpoint.server);
    const headers: Record<string, string> = { Authorization: `Bearer ${endpoint.token}`, Accept: 'application/json' };
    if (body !== undefined) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    const req = https.request(url, { method, headers, ca: endpoint.ca, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** A request that must succeed (2xx); the error names the method, path, status and the server's message. */
export async function mustRequest(endpoint: Endpoint, method: string, path: string, body?: string, contentType?: string): Promise<any> {
  const reply = await request(endpoint, method, path, body, contentType);
  if (reply.status < 200 || reply.status >= 300) {
    let message = reply.body;
    try {
      message = JSON.parse(reply.body).message ?? reply.body;
    } catch {
      // not JSON: keep the raw body
    }
    throw new Error(`${method} ${endpoint.server}${path}: HTTP ${reply.status}: ${message}`);
  }
  return reply.body ? JSON.parse(reply.body) : undefined;
}

/** `count` distinct free TCP ports on 127.0.0.1 (all held open until every one is chosen). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const s = net.createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
