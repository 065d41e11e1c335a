/**
 * TLS material for LDAPS (636/3269) and StartTLS (RFC 4511 4.14, RFC 4513 3).
 *
 * loadOrCreateCertificate() uses `<dir>/tls/cert.pem` + `key.pem` when both
 * exist; otherwise it creates a self-signed ECDSA P-256 certificate with no
 * dependency beyond node:crypto and the project's BER writer: the X.509 v3
 * TBSCertificate (RFC 5280 4.1) is DER-encoded by hand — every element we
 * write has a definite minimal length and no SET needs sorting, so the
 * BerWriter's output is DER — and signed with ecdsa-with-SHA256 (RFC 5758 3.2).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { BerWriter } from '../ber/writer.js';
import { BerReader } from '../ber/reader.js';

export interface TlsMaterial {
  /** PEM certificate (chain) */
  cert: string;
  /** PEM private key (PKCS #8) */
  key: string;
  certPath: string;
  keyPath: string;
  /** true when this call generated the pair */
  created: boolean;
}

export class TlsMaterialError extends Error {
  readonly code = 'ERR_LDAP_TLS_MATERIAL';
  constructor(message: string) {
    super(message);
    this.name = 'TlsMaterialError';
  }
}

const CERT_VALIDITY_YEARS = 5;

// Object identifiers
const OID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2'; // RFC 5758 3.2
const OID_COMMON_NAME = '2.5.4.3';
const OID_ORGANIZATION = '2.5.4.10';
const OID_SUBJECT_KEY_ID = '2.5.29.14'; // RFC 5280 4.2.1.2
const OID_KEY_USAGE = '2.5.29.15'; // RFC 5280 4.2.1.3
const OID_SUBJECT_ALT_NAME = '2.5.29.17'; // RFC 5280 4.2.1.6
const OID_BASIC_CONSTRAINTS = '2.5.29.19'; // RFC 5280 4.2.1.9
const OID_EXT_KEY_USAGE = '2.5.29.37'; // RFC 5280 4.2.1.12
const OID_KP_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

/**
 * Returns the certificate and key under `<dir>/tls/`, creating a self-signed
 * pair for `hostnames` (subjectAltName dNSName) and `ips` (iPAddress) when
 * neither file exists. The key is written with mode 0600.
 */
export function loadOrCreateCertificate(dir: string, hostnames: string[], ips: string[]): TlsMaterial {
  const tlsDir = path.join(dir, 'tls');
  const certPath = path.join(tlsDir, 'cert.pem');
  const keyPath = path.join(tlsDir, 'key.pem');
  const haveCert = fs.existsSync(certPath);
  const haveKey = fs.existsSync(keyPath);
  if (haveCert && haveKey) {
    const cert = fs.readFileSync(certPath, 'utf8');
    const key = fs.readFileSync(keyPath, 'utf8');
    let x509: crypto.X509Certificate;
    try {
      x509 = new crypto.X509Certificate(cert);
    } catch (e) {
      throw new TlsMaterialError(`${certPath} is not a PEM certificate: ${(e as Error).message}`);
    }
    if (!x509.checkPrivateKey(crypto.createPrivateKey(key))) {
      throw new TlsMaterialError(`${keyPath} does not match ${certPath}`);
    }
    return { cert, key, certPath, keyPath, created: false };
  }
  if (haveCert !== haveKey) {
    throw new TlsMaterialError(`${haveCert ? keyPath : certPath} is missing (both cert.pem and key.pem are needed)`);
  }
  const { cert, key } = createSelfSignedCertificate(hostnames, ips);
  fs.mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(keyPath, key, { mode: 0o600, flag: 'wx' });
  fs.chmodSync(keyPath, 0o600); // in case the umask widened it
  fs.writeFileSync(certPath, cert, { mode: 0o644, flag: 'wx' });
  return { cert, key, certPath, keyPath, created: true };
}

export interface SelfSignedOptions {
  /** default: now - 1 hour (tolerates clock skew) */
  notBefore?: Date;
  /** default: 5 years after notBefore */
  validityYears?: number;
}

/** Creates a self-signed ECDSA P-256 server certificate; returns PEM cert and PKCS #8 PEM key. */
export function createSelfSignedCertificate(
  hostnames: string[],
  ips: string[],
  options: SelfSignedOptions = {},
): { cert: string; key: string } {
  if (hostnames.length === 0 && ips.length === 0) {
    throw new TlsMaterialError('a certificate needs at least one host name or IP address');
  }
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const notBefore = options.notBefore ?? new Date(Date.now() - 3600_000);
  const notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + (options.validityYears ?? CERT_VALIDITY_YEARS));
  const cn = hostnames[0] ?? ips[0]!;

  // RFC 5280 4.1.2 TBSCertificate
  const w = new BerWriter(1024);
  w.startSequence();
  w.startSequence(0xa0); // version [0] EXPLICIT
  w.writeInt(2); // v3
  w.endSequence();
  writeSerialNumber(w, crypto.randomBytes(16));
  writeAlgorithm(w, OID_ECDSA_WITH_SHA256);
  writeName(w, cn); // issuer = subject (self-signed)
  w.startSequence(); // validity
  writeTime(w, notBefore);
  writeTime(w, notAfter);
  w.endSequence();
  writeName(w, cn);
  w.writeRaw(spki); // SubjectPublicKeyInfo, already DER
  w.startSequence(0xa3); // extensions [3] EXPLICIT
  w.startSequence();
  writeExtension(w, OID_BASIC_CONSTRAINTS, true, (x) => {
    x.startSequence(); // cA DEFAULT FALSE: empty SEQUENCE
    x.endSequence();
  });
  writeExtension(w, OID_KEY_USAGE, true, (x) => {
    // BIT STRING, digitalSignature (bit 0): 7 unused bits, 0x80
    x.writeOctetString(Buffer.from([0x07, 0x80]), 0x03);
  });
  writeExtension(w, OID_EXT_KEY_USAGE, false, (x) => {
    x.startSequence();
    writeOid(x, OID_KP_SERVER_AUTH);
    x.endSequence();
  });
  writeExtension(w, OID_SUBJECT_ALT_NAME, false, (x) => {
    x.startSequence(); // GeneralNames
    for (const h of hostnames) x.writeOctetString(Buffer.from(h, 'ascii'), 0x82); // dNSName [2] IA5String
    for (const ip of ips) x.writeOctetString(ipToBytes(ip), 0x87); // iPAddress [7] OCTET STRING
    x.endSequence();
  });
  writeExtension(w, OID_SUBJECT_KEY_ID, false, (x) => {
    // RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value
    x.writeOctetString(crypto.createHash('sha1').update(ecPublicKeyBits(spki)).digest());
  });
  w.endSequence();
  w.endSequence();
  w.endSequence();
  const tbs = Buffer.from(w.toBuffer());

  // ECDSA-Sig-Value DER (SEQUENCE { r, s }), the form X.509 carries (RFC 5758 3.2)
  const signature = crypto.sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });

  // RFC 5280 4.1.1 Certificate
  const c = new BerWriter(tbs.length + 128);
  c.startSequence();
  c.writeRaw(tbs);
  writeAlgorithm(c, OID_ECDSA_WITH_SHA256);
  c.writeOctetString(Buffer.concat([Buffer.from([0]), signature]), 0x03); // BIT STRING, 0 unused bits
  c.endSequence();
  const der = c.toBuffer();
  return {
    cert: toPem('CERTIFICATE', der),
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}

/**
 * Options for the LDAPS listeners and the StartTLS upgrade: TLS 1.2 or later
 * (MS-ADTS 3.1.1.3.1.7 allows negotiation; forestd refuses SSL 3 / TLS 1.0 / 1.1).
 */
export function tlsServerOptions(material: { cert: string | Buffer; key: string | Buffer }): tls.SecureContextOptions {
  return { cert: material.cert, key: material.key, minVersion: 'TLSv1.2' };
}

/** A SecureContext for tls.TLSSocket / tls.createServer built from tlsServerOptions(). */
export function createServerSecureContext(material: { cert: string | Buffer; key: string | Buffer }): tls.SecureContext {
  return tls.createSecureContext(tlsServerOptions(material));
}

// ------------------------------------------------------------------ DER helpers

/** OBJECT IDENTIFIER (X.690 8.19): first two arcs as 40*a+b, each arc base-128. */
function writeOid(w: BerWriter, oid: string): void {
  const arcs = oid.split('.').map((a) => {
    if (!/^\d+$/.test(a)) throw new TlsMaterialError(`bad OID ${oid}`);
    return BigInt(a);
  });
  if (arcs.length < 2) throw new TlsMaterialError(`bad OID ${oid}`);
  const bytes: number[] = [];
  const push = (v: bigint): void => {
    const tmp: number[] = [Number(v & 0x7fn)];
    v >>= 7n;
    while (v > 0n) {
      tmp.unshift(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    bytes.push(...tmp);
  };
  push(arcs[0]! * 40n + arcs[1]!);
  for (let i = 2; i < arcs.length; i++) push(arcs[i]!);
  w.writeOctetString(Buffer.from(bytes), 0x06);
}

/** CertificateSerialNumber: positive INTEGER of at most 20 octets (RFC 5280 4.1.2.2). */
function writeSerialNumber(w: BerWriter, random: Buffer): void {
  const b = Buffer.from(random);
  b[0] = b[0]! & 0x7f; // positive
  if (b[0] === 0) b[0] = 0x01; // minimal encoding: no leading zero octet
  w.writeOctetString(b, 0x02);
}

/** AlgorithmIdentifier with absent parameters (ECDSA, RFC 5758 3.2). */
function writeAlgorithm(w: BerWriter, oid: string): void {
  w.startSequence();
  writeOid(w, oid);
  w.endSequence();
}

/** Name: RDNSequence of O=forestd, CN=<cn> (RFC 5280 4.1.2.4), UTF8String values. */
function writeName(w: BerWriter, cn: string): void {
  w.startSequence();
  for (const [oid, value] of [
    [OID_ORGANIZATION, 'forestd'],
    [OID_COMMON_NAME, cn.length <= 64 ? cn : cn.slice(0, 64)],
  ] as const) {
    w.startSequence(0x31);
    w.startSequence();
    writeOid(w, oid);
    w.writeString(value, 0x0c);
    w.endSequence();
    w.endSequence();
  }
  w.endSequence();
}

/** UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5). */
function writeTime(w: BerWriter, d: Date): void {
  const p = (n: number, l = 2): string => String(n).padStart(l, '0');
  const y = d.getUTCFullYear();
  const rest = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  if (y < 2050) w.writeString(`${p(y % 100)}${rest}`, 0x17);
  else w.writeString(`${p(y, 4)}${rest}`, 0x18);
}

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING (DER) } */
function writeExtension(w: BerWriter, oid: string, critical: boolean, value: (x: BerWriter) => void): void {
  const x = new BerWriter(128);
  value(x);
  w.startSequence();
  writeOid(w, oid);
  if (critical) w.writeBoolean(true); // DER: DEFAULT FALSE is omitted
  w.writeOctetString(x.toBuffer());
  w.endSequence();
}

/** The subjectPublicKey bits of a DER SubjectPublicKeyInfo (uncompressed EC point). */
function ecPublicKeyBits(spki: Buffer): Buffer {
  // SEQUENCE { AlgorithmIdentifier, BIT STRING }: the BIT STRING is the last element;
  // for P-256 the point is 65 octets, preceded by the unused-bits octet.
  return spki.subarray(spki.length - 65);
}

/** IPv4 (4 octets) or IPv6 (16 octets) for a subjectAltName iPAddress. */
export function ipToBytes(ip: string): Buffer {
  const v = net.isIP(ip);
  if (v === 4) return Buffer.from(ip.split('.').map((x) => Number(x)));
  if (v !== 6) throw new TlsMaterialError(`not an IP address: ${ip}`);
  let s = ip.replace(/%.*$/, ''); // drop a zone index
  // an embedded IPv4 tail (::ffff:1.2.3.4)
  const m = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (m) {
    const b = m[1]!.split('.').map(Number);
    s = s.slice(0, m.index) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function toPem(label: string, der: Buffer): string {
  const b64 = der.toString('base64');
  let body = '';
  for (let i = 0; i < b64.length; i += 64) body += b64.slice(i, i + 64) + '\n';
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

/**
 * RFC 5929 4.1 tls-server-end-point: the hash of the server certificate (DER) with the hash of
 * its signature algorithm, SHA-256 when that is MD5 or SHA-1 (or not recognized).
 */
export function tlsServerEndPoint(certDer: Buffer): Buffer {
  let alg = 'sha256';
  try {
    // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm AlgorithmIdentifier, signature }
    const r = new BerReader(certDer);
    r.enter(0x30);
    r.skip();
    r.enter(0x30);
    const oid = r.readOctetString(0x06).toString('hex');
    alg = SIGNATURE_HASH[oid] ?? 'sha256';
  } catch {
    /* not DER we can read: SHA-256 */
  }
  return crypto.createHash(alg).update(certDer).digest();
}

/** signatureAlgorithm OIDs (content hex) whose hash is not SHA-256 and is kept (RFC 5929 4.1). */
const SIGNATURE_HASH: Record<string, string> = {
  '2a864886f70d01010c': 'sha384', // sha384WithRSAEncryption 1.2.840.113549.1.1.12
  '2a864886f70d01010d': 'sha512', // sha512WithRSAEncryption 1.2.840.113549.1.1.13
  '2a8648ce3d040303': 'sha384', // ecdsa-with-SHA384 1.2.840.10045.4.3.3
  '2a8648ce3d040304': 'sha512', // ecdsa-with-SHA512 1.2.840.10045.4.3.4
};
