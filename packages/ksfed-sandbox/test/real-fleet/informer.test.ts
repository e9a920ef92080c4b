import * as https from 'https';
import { AddressInfo } from 'net';
import { selfSignedCertificate } from 'ksfed/lib/x509';
import { Informer, InformerEvent } from '../../src/real-fleet/informer';

const obj = (name: string, rv: string) => ({ metadata: { name, namespace: 'ns', resourceVersion: rv } });

describe('Informer: list, then watch from the list\'s resourceVersion', () => {
  test('a kind not served yet is listed again; watch events update the cache; a 410 lists again and emits the difference', async () => {
    const cert = selfSignedCertificate({ dnsNames: ['localhost'], validDays: 1 });
    const seen: string[] = [];
    let lists = 0;
    const server = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
      const url = new URL(req.url!, 'https://localhost');
      seen.push(`${req.headers.authorization} ${url.searchParams.has('watch') ? `watch from ${url.searchParams.get('resourceVersion')}` : 'list'}`);
      if (!url.searchParams.has('watch')) {
        lists++;
        if (lists === 1) {
          res.writeHead(404).end('{}');
        } else if (lists === 2) {
          res.writeHead(200).end(JSON.stringify({ metadata: { resourceVersion: '5' }, items: [obj('a', '1'), obj('b', '2')] }));
        } else {
          res.writeHead(200).end(JSON.stringify({ metadata: { resourceVersion: '9' }, items: [obj('a', '6'), obj('c', '7'), obj('d', '9')] }));
        }
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      if (url.searchParams.get('resourceVersion') === '5') {
        const line = (type: string, o: any) => `${JSON.stringify({ type, object: o })}\n`;
        // one event split over two chunks, a bookmark, then "too old"
        const first = line('MODIFIED', obj('a', '6'));
        res.write(first.slice(0, 10));
        res.write(first.slice(10) + line('ADDED', obj('c', '7')) + line('BOOKMARK', { metadata: { resourceVersion: '7' } }));
        res.write(line('DELETED', obj('b', '8')));
        res.end(line('ERROR', { kind: 'Status', code: 410, reason: 'Expired' }));
      }
      // from 9 on: an open watch with nothing to say
    });
    await new Promise<void>((resolve) => server.listen(0, 'localhost', () => resolve()));
    const endpoint = { server: `https://localhost:${(server.address() as AddressInfo).port}`, ca: cert.certPem, token: 't0ken' };
    const events: string[] = [];
    const informer = new Informer(endpoint, '/api/v1/things', (type: InformerEvent, o: any) => events.push(`${type} ${o.metadata.name}@${o.metadata.resourceVersion}`));
    try {
      informer.start();
      await informer.synced;
      const deadline = Date.now() + 10_000;
      while (!events.includes('ADDED d@9') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(events).toEqual(['ADDED a@1', 'ADDED b@2', 'MODIFIED a@6', 'ADDED c@7', 'DELETED b@8', 'ADDED d@9']);
      expect(informer.list().map((o) => o.metadata.name).sort()).toEqual(['a', 'c', 'd']);
      expect(informer.get('ns', 'a').metadata.resourceVersion).toBe('6');
      expect(informer.get('ns', 'b')).toBeUndefined();
      expect(seen).toEqual(['Bearer t0ken list', 'Bearer t0ken list', 'Bearer t0ken watch from 5', 'Bearer t0ken list', 'Bearer t0ken watch from 9']);
    } finally {
      informer.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
