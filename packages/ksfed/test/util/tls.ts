import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** PEM texts of a throw-away certificate authority, a server certificate for 127.0.0.1 and a client certificate. */
export interface TestPki {
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A second authority that signed nothing here: a client trusting only it must refuse the server. */
  readonly otherCa: string;
}

/** Whether openssl is on the PATH (tests that need certificates are skipped, with a message, when it is not). */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Makes a fresh PKI with openssl in a temporary folder (removed before returning). */
export function makeTestPki(): TestPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ksfed-pki-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  try {
    for (const ca of ['ca', 'other']) {
      run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '2', '-subj', `/CN=${ca}-test-ca`);
    }
    fs.writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    fs.writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
    for (const [leaf, subject] of [['server', '/CN=127.0.0.1'], ['client', '/O=system:masters/CN=ksfed-test-admin']]) {
      run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${leaf}.key`, '-out', `${leaf}.csr`, '-subj', subject);
      run('x509', '-req', '-in', `${leaf}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', `${leaf}.crt`, '-extfile', `${leaf}.ext`);
    }
    return {
      ca: read('ca.crt'),
      serverCert: read('server.crt'),
      serverKey: read('server.key'),
      clientCert: read('client.crt'),
      clientKey: read('client.key'),
      otherCa: read('other.crt'),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
