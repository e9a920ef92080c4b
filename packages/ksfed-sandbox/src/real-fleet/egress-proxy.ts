// kube-proxy's part for the API server's own calls into the cluster network (admission webhooks behind a Service):
// an HTTP CONNECT proxy on a Unix socket that kube-apiserver dials through its `cluster` egress selection. See
// src/real-fleet/README.md ("KubeFed's admission webhook").
import * as fs from 'fs';
import * as net from 'net';

/**
 * A process on 127.0.0.1 standing in for the pod(s) of a workload: a Service whose selector matches `labels` in
 * `namespace` reaches it, its container ports mapped to local ports.
 */
export interface LocalPod {
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** Container port (number, or its name) to the local port that serves it. */
  readonly ports: Record<string, number>;
}

/** Where a CONNECT goes: the local port, or why there is none. */
export type Route = { readonly port: number } | { readonly refused: string };

/**
 * Where `ip:port` leads, as kube-proxy would route it: the Service with that ClusterIP and port, its targetPort,
 * a local pod its selector matches. `services` are the cluster's Service objects.
 */
export function route(services: Iterable<any>, pods: Iterable<LocalPod>, ip: string, port: number): Route {
  for (const svc of services) {
    if (svc?.spec?.clusterIP !== ip) continue;
    const svcPort = (svc.spec.ports ?? []).find((p: any) => p.port === port && (p.protocol ?? 'TCP') === 'TCP');
    const name = `${svc.metadata.namespace}/${svc.metadata.name}`;
    if (!svcPort) return { refused: `Service ${name} has no TCP port ${port}` };
    const selector: Record<string, string> = svc.spec.selector ?? {};
    if (Object.keys(selector).length === 0) return { refused: `Service ${name} has no selector` };
    const target = String(svcPort.targetPort ?? svcPort.port);
    for (const pod of pods) {
      if (pod.namespace !== svc.metadata.namespace) continue;
      if (!Object.entries(selector).every(([k, v]) => pod.labels[k] === v)) continue;
      const local = pod.ports[target];
      if (local !== undefined) return { port: local };
    }
    return { refused: `no endpoints for Service ${name} port ${port} (nothing local serves its target port ${target})` };
  }
  return { refused: `no Service has ClusterIP ${ip}` };
}

/**
 * An HTTP CONNECT proxy on a Unix socket (kube-apiserver's `HTTPConnect` over `uds`): `CONNECT ip:port` is routed
 * by `route` over the Services `services()` returns and the local pods registered with `addPod`, then piped.
 * Anything else gets an error status line naming the reason (kube-apiserver puts it in the webhook's error).
 */
export class EgressProxy {
  /** Starts listening on `socketPath` (an old socket file there is removed). */
  public static async start(socketPath: string, services: () => Iterable<any>): Promise<EgressProxy> {
    fs.rmSync(socketPath, { force: true });
    const proxy = new EgressProxy(socketPath, services);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(socketPath, () => resolve());
    });
    return proxy;
  }

  /** Every CONNECT seen: target and outcome (`port N` or the refusal). */
  public readonly log: string[] = [];
  private readonly server: net.Server;
  private readonly pods = new Set<LocalPod>();
  private readonly sockets = new Set<net.Socket>();

  private constructor(public readonly socketPath: string, private readonly services: () => Iterable<any>) {
    this.server = net.createServer((client) => this.accept(client));
  }

  /** Makes a local pod reachable; returns the function that removes it again. */
  public addPod(pod: LocalPod): () => void {
    this.pods.add(pod);
    return () => this.pods.delete(pod);
  }

  /** Stops listening and closes every tunnel. */
  public async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    fs.rmSync(this.socketPath, { force: true });
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => s.destroy());
  }

  private accept(client: net.Socket): void {
    this.track(client);
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 8192) client.destroy();
        return;
      }
      client.off('data', onData);
      const rest = head.subarray(end + 4);
      const m = /^CONNECT (\d{1,3}(?:\.\d{1,3}){3}):(\d+) HTTP\/1\.[01]\r\n/.exec(head.toString('latin1'));
      if (!m) {
        this.log.push(`${head.toString('latin1').split('\r\n')[0]}: refused (not a CONNECT to an IPv4 address)`);
        client.end('HTTP/1.1 405 only CONNECT to ip:port\r\n\r\n');
        return;
      }
      const target = `${m[1]}:${m[2]}`;
      const r = route(this.services(), this.pods, m[1], Number(m[2]));
      if ('refused' in r) {
        this.log.push(`${target}: ${r.refused}`);
        client.end(`HTTP/1.1 503 ${r.refused}\r\n\r\n`);
        return;
      }
      this.log.push(`${target}: port ${r.port}`);
      const upstream = net.connect(r.port, '127.0.0.1');
      this.track(upstream);
      upstream.once('connect', () => {
        client.write('HTTP/1.1 200 Connection established\r\n\r\n');
        if (rest.length > 0) upstream.write(rest);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      upstream.once('error', (e) => {
        if (!client.destroyed && client.bytesWritten === 0) client.end(`HTTP/1.1 502 ${target} -> 127.0.0.1:${r.port}: ${e.message}\r\n\r\n`);
        else client.destroy();
      });
      upstream.once('close', () => client.destroy());
      client.once('close', () => upstream.destroy());
    };
    client.on('data', onData);
  }
}

/** kube-apiserver's EgressSelectorConfiguration: the `cluster` egress over HTTP CONNECT on `socketPath`. */
export function egressSelectorConfiguration(socketPath: string): any {
  return {
    apiVersion: 'apiserver.k8s.io/v1beta1',
    kind: 'EgressSelectorConfiguration',
    egressSelections: [{ name: 'cluster', connection: { proxyProtocol: 'HTTPConnect', transport: { uds: { udsName: socketPath } } } }],
  };
}
