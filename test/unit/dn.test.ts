import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseDN, formatDN, normalizeDN, escapeRDNValue, InvalidDNError, MAX_DN_DEPTH } from '../../src/dn/dn.js';

test('RFC 4514 examples parse', () => {
  assert.deepEqual(parseDN('UID=jsmith,DC=example,DC=net'), [[{ type: 'UID', value: 'jsmith' }], [{ type: 'DC', value: 'example' }], [{ type: 'DC', value: 'net' }]]);
  assert.deepEqual(parseDN('OU=Sales+CN=J.  Smith,DC=example,DC=net')[0], [
    { type: 'OU', value: 'Sales' },
    { type: 'CN', value: 'J.  Smith' },
  ]);
  assert.equal(parseDN('CN=James \\"Jim\\" Smith\\, III,DC=example,DC=net')[0]![0]!.value, 'James "Jim" Smith, III');
  assert.equal(parseDN('CN=Before\\0dAfter,DC=example,DC=net')[0]![0]!.value, 'Before\rAfter');
  assert.equal(parseDN('1.3.6.1.4.1.1466.0=#04024869,DC=example,DC=com')[0]![0]!.value, 'Hi');
  assert.equal(parseDN('CN=Lu\\C4\\8Di\\C4\\87')[0]![0]!.value, 'Lučić');
});

test('spaces around separators are tolerated, escaped edge spaces kept', () => {
  assert.deepEqual(parseDN(' CN = a b , DC=x ; DC=y '), [[{ type: 'CN', value: 'a b' }], [{ type: 'DC', value: 'x' }], [{ type: 'DC', value: 'y' }]]);
  assert.equal(parseDN('CN=\\ lead and trail\\ ,DC=x')[0]![0]!.value, ' lead and trail ');
  assert.deepEqual(parseDN(''), []);
  assert.equal(parseDN('oid.2.5.4.3=x')[0]![0]!.type, '2.5.4.3');
});

test('malformed DNs are refused with InvalidDNError', () => {
  for (const bad of ['CN', 'CN=', '=x', 'CN=a,', 'CN=a,,DC=b', 'CN=a\\', 'CN=a\\zz', 'CN=a<b', '1.=x', '01.2=x', 'CN=a\\ff\\fe', 'C N=x', ',']) {
    assert.throws(() => parseDN(bad), (e: unknown) => e instanceof InvalidDNError && e.code === 'ERR_INVALID_DN', bad);
  }
  assert.throws(() => parseDN(Array.from({ length: MAX_DN_DEPTH + 2 }, () => 'CN=a').join(',')), InvalidDNError);
});

test('escaping: every special is escaped and round-trips', () => {
  assert.equal(escapeRDNValue('#a,b+c"d\\e<f>g;h=i '), '\\#a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h\\=i\\ ');
  assert.equal(formatDN([[{ type: 'CN', value: ' x ' }], [{ type: 'DC', value: 'y' }]]), 'CN=\\ x\\ ,DC=y');
});

test('property: format then parse gives back the RDNs', () => {
  const value = fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' }).filter((s) => !s.includes('\0'));
  const type = fc.constantFrom('CN', 'OU', 'DC', 'msDS-x', '2.5.4.3');
  fc.assert(
    fc.property(fc.array(fc.tuple(type, value), { minLength: 1, maxLength: 6 }), (pairs) => {
      const rdns = pairs.map(([t, v]) => [{ type: t, value: v }]);
      assert.deepEqual(parseDN(formatDN(rdns)), rdns);
    }),
    { numRuns: 500 },
  );
});

test('normalizeDN: case-insensitive, escaping-insensitive, idempotent', () => {
  assert.equal(normalizeDN('cn=Foo\\2cBar,DC=Example'), normalizeDN('CN=foo\\,bar, dc=EXAMPLE'));
  assert.notEqual(normalizeDN('CN=a,DC=x'), normalizeDN('CN=b,DC=x'));
  fc.assert(
    fc.property(fc.array(fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !s.includes('\0')), { minLength: 1, maxLength: 4 }), (vals) => {
      const n = normalizeDN(formatDN(vals.map((v) => [{ type: 'CN', value: v }])));
      assert.equal(normalizeDN(n), n);
    }),
  );
});
