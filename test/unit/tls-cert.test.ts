/**
 * The hand-built self-signed certificate (src/ldap/tls.ts): parsed and checked
 * by node:crypto's X509Certificate and, when present, by `openssl x509`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  createSelfSignedCertificate,
  ipToBytes,
  loadOrCreateCertificate,
  tlsServerOptions,
  TlsMaterialError,
} from '../../src/ldap/tls.js';
import { tempDir } from '../helpers/tmp.js';
import { needTool } from '../helpers/tools.js';

const HOSTS = ['dc1.corp.example.com', 'corp.example.com', 'localhost'];
const IPS = ['127.0.0.1', '192.0.2.10', '::1', '2001:db8::10'];

test('self-signed certificate: names, validity, extensions, signature', () => {
  const { cert, key } = createSelfSignedCertificate(HOSTS, IPS);
  const x = new crypto.X509Certificate(cert);
  for (const h of HOSTS) assert.equal(x.checkHost(h), h);
  for (const ip of IPS) assert.equal(x.checkIP(ip), ip);
  assert.equal(x.checkHost('other.example.com'), undefined);
  assert.equal(x.checkIP('192.0.2.11'), undefined);
  assert.ok(x.verify(x.publicKey), 'self-signature verifies');
  assert.ok(x.checkPrivateKey(crypto.createPrivateKey(key)));
  assert.equal(x.publicKey.asymmetricKeyType, 'ec');
  assert.equal(x.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.equal(x.ca, false);
  assert.equal(x.subject, x.issuer);
  assert.match(x.subject, /CN=dc1\.corp\.example\.com/);
  assert.deepEqual(x.keyUsage, ['1.3.6.1.5.5.7.3.1']); // node reports extKeyUsage here
  const from = new Date(x.validFrom).getTime();
  const to = new Date(x.validTo).getTime();
  // test-lint-allow wall-clock: a validity date against the clock (notBefore is not in the future), not a duration
  assert.ok(from <= Date.now());
  const years = (to - from) / (365.25 * 24 * 3600_000);
  assert.ok(years > 4.99 && years < 5.01, `validity ${years} years`);
  assert.equal(x.serialNumber.length % 2, 0);
  // two certificates never share a serial number
  assert.notEqual(new crypto.X509Certificate(createSelfSignedCertificate(HOSTS, IPS).cert).serialNumber, x.serialNumber);
});

test('validity past 2049 uses GeneralizedTime', () => {
  const { cert } = createSelfSignedCertificate(['a.example'], [], { notBefore: new Date('2047-06-01T00:00:00Z') });
  const x = new crypto.X509Certificate(cert);
  assert.equal(new Date(x.validTo).toISOString(), '2052-06-01T00:00:00.000Z');
});

test('openssl parses the certificate', (t) => {
  if (!needTool(t, 'openssl')) return;
  const { cert } = createSelfSignedCertificate(HOSTS, IPS);
  const text = execFileSync('openssl', ['x509', '-noout', '-text'], { input: cert, encoding: 'utf8', timeout: 30_000 });
  assert.match(text, /Version: 3/);
  assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
  assert.match(text, /NIST CURVE: P-256|prime256v1/);
  assert.match(text, /Basic Constraints: critical\s+CA:FALSE/);
  assert.match(text, /Key Usage: critical\s+Digital Signature/);
  assert.match(text, /TLS Web Server Authentication/);
  assert.match(text, /DNS:dc1\.corp\.example\.com, DNS:corp\.example\.com, DNS:localhost, IP Address:127\.0\.0\.1, IP Address:192\.0\.2\.10, IP Address:0:0:0:0:0:0:0:1, IP Address:2001:DB8:0:0:0:0:0:10/);
  const tmp = tempDir();
  try {
    const f = path.join(tmp.dir, 'c.pem');
    fs.writeFileSync(f, cert);
    const out = execFileSync('openssl', ['verify', '-CAfile', f, f], { encoding: 'utf8', timeout: 30_000 });
    assert.match(out, /OK/);
  } finally {
    tmp.cleanup();
  }
});

test('ipToBytes', () => {
  assert.deepEqual([...ipToBytes('10.1.2.3')], [10, 1, 2, 3]);
  assert.equal(ipToBytes('::1').toString('hex'), '00000000000000000000000000000001');
  assert.equal(ipToBytes('2001:db8::10').toString('hex'), '20010db8000000000000000000000010');
  assert.equal(ipToBytes('fe80::1:2:3:4').toString('hex'), 'fe800000000000000001000200030004');
  assert.equal(ipToBytes('::ffff:192.0.2.1').toString('hex'), '00000000000000000000ffffc0000201');
  assert.equal(ipToBytes('1:2:3:4:5:6:7:8').toString('hex'), '00010002000300040005000600070008');
  assert.throws(() => ipToBytes('dc1'), TlsMaterialError);
});

test('loadOrCreateCertificate creates once (key mode 0600), then loads', () => {
  const tmp = tempDir();
  try {
    const a = loadOrCreateCertificate(tmp.dir, ['dc1.example.com'], ['127.0.0.1']);
    assert.equal(a.created, true);
    assert.equal(a.certPath, path.join(tmp.dir, 'tls', 'cert.pem'));
    assert.equal(fs.statSync(a.keyPath).mode & 0o777, 0o600);
    const b = loadOrCreateCertificate(tmp.dir, ['ignored.example.com'], []);
    assert.equal(b.created, false);
    assert.equal(b.cert, a.cert);
    assert.equal(b.key, a.key);
    assert.equal(tlsServerOptions(b).minVersion, 'TLSv1.2');
    // a key that does not match the certificate is refused
    const other = createSelfSignedCertificate(['x.example'], []);
    fs.writeFileSync(a.keyPath, other.key);
    assert.throws(() => loadOrCreateCertificate(tmp.dir, [], []), TlsMaterialError);
    // one file without the other is refused rather than silently replaced
    fs.rmSync(a.keyPath);
    assert.throws(() => loadOrCreateCertificate(tmp.dir, ['dc1.example.com'], []), TlsMaterialError);
  } finally {
    tmp.cleanup();
  }
});
