import * as crypto from 'crypto';
import { certificateProblem, der, selfSignedCertificate } from '../src/x509';

const NAMES = ['kubefed-admission-webhook', 'kubefed-admission-webhook.kube-federation-system', 'kubefed-admission-webhook.kube-federation-system.svc'];

describe('DER', () => {
  test('lengths, integers, OIDs', () => {
    expect(der.integer(Buffer.from([0x80])).toString('hex')).toBe('02020080');
    expect(der.integer(Buffer.from([0x00, 0x01])).toString('hex')).toBe('020101');
    expect(der.oid('1.2.840.10045.4.3.2').toString('hex')).toBe('06082a8648ce3d040302');
    expect(der.octetString(Buffer.alloc(200)).subarray(0, 3).toString('hex')).toBe('0481c8');
    expect(der.time(new Date('2030-01-02T03:04:05Z')).toString()).toContain('300102030405Z');
    expect(der.time(new Date('2051-01-02T03:04:05Z'))[0]).toBe(0x18);
  });
});

describe('selfSignedCertificate', () => {
  const now = new Date();
  const pair = selfSignedCertificate({ dnsNames: NAMES, validDays: 365, now });
  const cert = new crypto.X509Certificate(pair.certPem);

  test('is a CA that signed itself, for the webhook service names', () => {
    expect(cert.ca).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.subject).toBe(`CN=${NAMES[0]}`);
    for (const n of NAMES) expect(cert.checkHost(n)).toBe(n);
    expect(cert.checkHost('other.svc')).toBeUndefined();
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(cert.checkPrivateKey(crypto.createPrivateKey(pair.keyPem))).toBe(true);
    expect(pair.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  test('is valid for validDays', () => {
    const days = (new Date(cert.validTo).getTime() - now.getTime()) / 86_400_000;
    expect(Math.round(days)).toBe(365);
  });

  test('can be kept while valid and renewed before expiry', () => {
    expect(certificateProblem(pair.certPem, pair.keyPem, NAMES, 30, now)).toBeUndefined();
    expect(certificateProblem(pair.certPem, pair.keyPem, NAMES, 30, new Date(now.getTime() + 340 * 86_400_000))).toMatch(/expires within 30 days/);
    expect(certificateProblem(pair.certPem, pair.keyPem, [...NAMES, 'new.name'], 30, now)).toMatch(/does not cover new.name/);
    const other = selfSignedCertificate({ dnsNames: NAMES, validDays: 1 });
    expect(certificateProblem(pair.certPem, other.keyPem, NAMES, 0, now)).toMatch(/key does not match/);
    expect(certificateProblem('garbage', pair.keyPem, NAMES, 0, now)).toMatch(/does not parse/);
  });

  test('two certificates differ (fresh keys and serials)', () => {
    const again = selfSignedCertificate({ dnsNames: NAMES, validDays: 365, now });
    expect(again.certPem).not.toBe(pair.certPem);
    expect(new crypto.X509Certificate(again.certPem).serialNumber).not.toBe(cert.serialNumber);
  });
});
