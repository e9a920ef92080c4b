import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { EgressProxy, egressSelectorConfiguration, LocalPod, route } from '../../src/real-fleet/egress-proxy';

const webhookService = {
  metadata: { name: 'kubefed-admission-webhook', namespace: 'kube-federation-system' },
  spec: { clusterIP: '10.96.0.20', selector: { 'kubefed-admission-webhook': 'true' }, ports: [{ port: 443, protocol: 'TCP', targetPort: 8443 }] },
};
const pod = (port: number, labels = { 'kubefed-admission-webhook': 'true' }): LocalPod => ({
  namespace: 'kube-federation-system', labels, ports: { 8443: port, https: port },
});

describe('route: kube-proxy\'s choice for ClusterIP:port', () => {
  test('the Service with that ClusterIP and port, its targetPort (number or name), a local pod its selector matches', () => {
    expect(route([webhookService], [pod(40001)], '10.96.0.20', 443)).toEqual({ port: 40001 });
    const named = { ...webhookService, spec: { ...webhookService.spec, ports: [{ port: 443, targetPort: 'https' }] } };
    expect(route([named], [pod(40002)], '10.96.0.20', 443)).toEqual({ port: 40002 });
  });

  test('refusals name the reason: no such ClusterIP, no such port, no matching pod, pod in another namespace', () => {
    expect(route([webhookService], [pod(1)], '10.96.0.21', 443)).toEqual({ refused: 'no Service has ClusterIP 10.96.0.21' });
    expect(route([webhookService], [pod(1)], '10.96.0.20', 80)).toEqual({ refused: 'Service kube-federation-system/kubefed-admission-webhook has no TCP port 80' });
    const none = 'no endpoints for Service kube-federation-system/kubefed-admission-webhook port 443 (nothing local serves its target port 8443)';
    expect(route([webhookService], [pod(1, { 'kubefed-admission-webhook': 'false' })], '10.96.0.20', 443)).toEqual({ refused: none });
    expect(route([webhookService], [{ ...pod(1), namespace: 'default' }], '10.96.0.20', 443)).toEqual({ refused: none });
    expect(route([{ ...webhookService, spec: { ...webhookService.spec, selector: undefined } }], [pod(1)], '10.96.0.20', 443))
      .toEqual({ refused: 'Service kube-federation-system/kubefed-admission-webhook has no selector' });
  });
});

describe('EgressProxy: HTTP CONNECT on a Unix socket, as kube-apiserver dials its cluster egress', () => {
  let dir: string;
  let proxy: EgressProxy;
  let echo: net.Server;
  let echoPort: number;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ksfed-egress-'));
    echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', () => resolve()));
    echoPort = (echo.address() as net.AddressInfo).port;
    proxy = await EgressProxy.start(path.join(dir, 'egress.sock'), () => [webhookService]);
  });
  afterAll(async () => {
    await proxy.stop();
    await new Promise<void>((resolve) => echo.close(() => resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** What kube-apiserver's HTTPConnect dialer does: CONNECT, read the status line, then speak through the tunnel. */
  function connect(target: string, payload?: string): Promise<{ status: string; echoed: string }> {
    return new Promise((resolve, reject) => {
      const s = net.connect(proxy.socketPath);
      let got = '';
      s.on('data', (d) => {
        got += d.toString('latin1');
        const end = got.indexOf('\r\n\r\n');
        if (end < 0) return;
        const status = got.slice(0, got.indexOf('\r\n'));
        const rest = got.slice(end + 4);
        if (payload === undefined || !status.includes(' 200 ')) {
          s.destroy();
          resolve({ status, echoed: '' });
        } else if (rest.length === 0) {
          s.write(payload);
        } else if (rest === payload) {
          s.destroy();
          resolve({ status, echoed: rest });
        }
      });
      s.on('error', reject);
      s.write(`CONNECT ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    });
  }

  test('a CONNECT to the Service\'s ClusterIP:port is piped to the local pod', async () => {
    const remove = proxy.addPod(pod(echoPort));
    try {
      expect(await connect('10.96.0.20:443', 'hello through the tunnel')).toEqual({ status: 'HTTP/1.1 200 Connection established', echoed: 'hello through the tunnel' });
      expect(proxy.log).toContain(`10.96.0.20:443: port ${echoPort}`);
    } finally {
      remove();
    }
  });

  test('without a pod (removed), the status line carries the reason; other targets too', async () => {
    expect((await connect('10.96.0.20:443')).status)
      .toBe('HTTP/1.1 503 no endpoints for Service kube-federation-system/kubefed-admission-webhook port 443 (nothing local serves its target port 8443)');
    expect((await connect('10.96.9.9:443')).status).toBe('HTTP/1.1 503 no Service has ClusterIP 10.96.9.9');
    expect((await connect('example.com:443')).status).toBe('HTTP/1.1 405 only CONNECT to ip:port');
  });

  test('a pod whose process is gone: 502 with the connection error', async () => {
    const free = net.createServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', () => resolve()));
    const port = (free.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => free.close(() => resolve()));
    const remove = proxy.addPod(pod(port));
    try {
      expect((await connect('10.96.0.20:443')).status).toMatch(new RegExp(`^HTTP/1.1 502 10\\.96\\.0\\.20:443 -> 127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`));
    } finally {
      remove();
    }
  });
});

test('egressSelectorConfiguration: the cluster egress over HTTPConnect on the Unix socket (apiserver.k8s.io/v1beta1)', () => {
  expect(egressSelectorConfiguration('/tmp/x/egress.sock')).toEqual({
    apiVersion: 'apiserver.k8s.io/v1beta1',
    kind: 'EgressSelectorConfiguration',
    egressSelections: [{ name: 'cluster', connection: { proxyProtocol: 'HTTPConnect', transport: { uds: { udsName: '/tmp/x/egress.sock' } } } }],
  });
});
