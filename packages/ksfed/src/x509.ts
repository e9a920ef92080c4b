/* eslint-disable no-bitwise */ // DER encoding is bit twiddling.
import * as crypto from 'crypto';

/**
 * A minimal DER writer and a self-signed serving-certificate generator (ECDSA P-256, SHA-256), for the KubeFed
 * admission webhook. The certificate is its own CA (basicConstraints CA:TRUE), so `ca.crt` is the certificate.
 */

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** A DER tag-length-value. */
export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content]);
}

export const der = {
  sequence: (...items: Buffer[]) => tlv(0x30, Buffer.concat(items)),
  set: (...items: Buffer[]) => tlv(0x31, Buffer.concat(items)),
  /** A non-negative INTEGER from big-endian bytes. */
  integer: (bytes: Buffer) => {
    let b = bytes;
    while (b.length > 1 && b[0] === 0 && (b[1] & 0x80) === 0) b = b.subarray(1);
    if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
    return tlv(0x02, b);
  },
  boolean: (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0x00])),
  oid: (dotted: string) => {
    const arcs = dotted.split('.').map(Number);
    const out: number[] = [arcs[0] * 40 + arcs[1]];
    for (const arc of arcs.slice(2)) {
      const chunk: number[] = [arc & 0x7f];
      for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
      out.push(...chunk);
    }
    return tlv(0x06, Buffer.from(out));
  },
  utf8: (s: string) => tlv(0x0c, Buffer.from(s, 'utf8')),
  octetString: (b: Buffer) => tlv(0x04, b),
  /** A BIT STRING with `unused` trailing bits in the last byte. */
  bitString: (b: Buffer, unused = 0) => tlv(0x03, Buffer.concat([Buffer.from([unused]), b])),
  /** UTCTime before 2050, GeneralizedTime from 2050 on (RFC 5280 4.1.2.5). */
  time: (d: Date) => {
    const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
    return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
  },
  /** `[n] EXPLICIT`. */
  explicit: (n: number, content: Buffer) => tlv(0xa0 + n, content),
  /** `[n] IMPLICIT` primitive (e.g. a dNSName in subjectAltName). */
  implicitPrimitive: (n: number, content: Buffer) => tlv(0x80 + n, content),
};

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
};

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return der.sequence(der.oid(oid), ...(critical ? [der.boolean(true)] : []), der.octetString(value));
}

/** A generated certificate and key, PEM-encoded. */
export interface ServingCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

/** Options of `selfSignedCertificate`. */
export interface CertificateOptions {
  /** DNS names (subjectAltName); the first is also the common name. */
  readonly dnsNames: string[];
  readonly validDays: number;
  /** Defaults to now. */
  readonly now?: Date;
}

/** A self-signed ECDSA P-256 serving certificate that is its own CA. */
export function selfSignedCertificate(options: CertificateOptions): ServingCertificate {
  if (options.dnsNames.length === 0) throw new Error('a serving certificate needs at least one DNS name');
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const now = options.now ?? new Date();
  const notBefore = new Date(now.getTime() - 5 * 60_000);
  const notAfter = new Date(now.getTime() + options.validDays * 86_400_000);
  const serial = crypto.randomBytes(16);
  serial[0] &= 0x7f;
  const name = der.sequence(der.set(der.sequence(der.oid(OID.commonName), der.utf8(options.dnsNames[0]))));
  const algorithm = der.sequence(der.oid(OID.ecdsaWithSha256));
  // The subject public key BIT STRING is the last element of the SPKI sequence; its key id is its SHA-1.
  const publicKeyBits = spki.subarray(spki.length - 65);
  const keyId = crypto.createHash('sha1').update(publicKeyBits).digest();
  const extensions = der.sequence(
    extension(OID.basicConstraints, true, der.sequence(der.boolean(true))),
    // digitalSignature (bit 0) and keyCertSign (bit 5): 0b10000100, 2 unused bits.
    extension(OID.keyUsage, true, der.bitString(Buffer.from([0x84]), 2)),
    extension(OID.extKeyUsage, false, der.sequence(der.oid(OID.serverAuth))),
    extension(OID.subjectAltName, false, der.sequence(...options.dnsNames.map(n => der.implicitPrimitive(2, Buffer.from(n, 'ascii'))))),
    extension(OID.subjectKeyIdentifier, false, der.octetString(keyId)),
  );
  const tbs = der.sequence(
    der.explicit(0, der.integer(Buffer.from([2]))),
    der.integer(serial),
    algorithm,
    name,
    der.sequence(der.time(notBefore), der.time(notAfter)),
    name,
    spki,
    der.explicit(3, extensions),
  );
  const signature = crypto.sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  const cert = der.sequence(tbs, algorithm, der.bitString(signature));
  return {
    certPem: toPem('CERTIFICATE', cert),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

function toPem(label: string, body: Buffer): string {
  const b64 = body.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/**
 * Whether an existing certificate/key pair can be kept: both parse, the key matches, every DNS name is covered,
 * it is already valid and stays valid for more than `renewBeforeDays`. Returns the reason when it cannot.
 */
export function certificateProblem(
  certPem: string,
  keyPem: string,
  dnsNames: string[],
  renewBeforeDays: number,
  now = new Date(),
): string | undefined {
  let cert: crypto.X509Certificate;
  try {
    cert = new crypto.X509Certificate(certPem);
  } catch {
    return 'the certificate does not parse';
  }
  try {
    if (!cert.checkPrivateKey(crypto.createPrivateKey(keyPem))) return 'the key does not match the certificate';
  } catch {
    return 'the key does not parse';
  }
  for (const n of dnsNames) {
    if (cert.checkHost(n, { subject: 'never' }) === undefined) return `the certificate does not cover ${n}`;
  }
  if (new Date(cert.validFrom).getTime() > now.getTime()) return 'the certificate is not valid yet';
  const left = new Date(cert.validTo).getTime() - now.getTime();
  if (left <= renewBeforeDays * 86_400_000) return `the certificate expires within ${renewBeforeDays} days`;
  return undefined;
}
