import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DEFAULT_PREFIX_TABLE,
  PrefixTable,
  SPEC_NEW_PREFIX_TABLE,
  decodeOid,
  encodeOid,
  makeAttrTyp,
  oidFromAttrTyp,
  splitOid,
} from '../../src/schema/prefix-table.js';
import { loadBootstrapSchema } from '../../src/schema/bootstrap.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('BER OID encoding (X.690 8.19) of known prefixes', () => {
  assert.equal(hex(encodeOid('2.5.4')), '5504');
  assert.equal(hex(encodeOid('1.2.840.113556.1.2')), '2a864886f7140102');
  assert.equal(hex(encodeOid('2.16.840.1.101.2.2.1')), '6086480165020201');
  assert.equal(hex(encodeOid('0.9.2342.19200300.100')), '0992268993f22c64');
  assert.equal(hex(encodeOid('1.2.840.113556.1.5.7000')), '2a864886f7140105b658');
  assert.equal(hex(encodeOid('1.3.6.1.4.1.1466.101.119')), '2b060104018b3a6577');
  assert.equal(decodeOid(Uint8Array.from(Buffer.from('2a864886f71401048204', 'hex'))), '1.2.840.113556.1.4.260');
});

test('MS-DRSR 5.16.4 NewPrefixTable entries are in the default table with the same indices', () => {
  assert.equal(SPEC_NEW_PREFIX_TABLE.length, 19);
  assert.equal(DEFAULT_PREFIX_TABLE.length, 39);
  const def = new Map(DEFAULT_PREFIX_TABLE.map(([i, p]) => [i, p]));
  for (const [i, p] of SPEC_NEW_PREFIX_TABLE) assert.equal(def.get(i), p, `index ${i}`);
  // Default indices are exactly 0..38.
  assert.deepEqual([...def.keys()].sort((a, b) => a - b), [...Array(39).keys()]);
  const t = new PrefixTable();
  assert.equal(t.size, 39);
  assert.equal(hex(t.prefixOfIndex(0)!), '5504');
  assert.equal(hex(t.prefixOfIndex(1)!), '5506');
  assert.equal(hex(t.prefixOfIndex(2)!), '2a864886f7140102');
  assert.equal(hex(t.prefixOfIndex(23)!), '2a864886f7140105b658');
  assert.equal(PrefixTable.newSpecTable().size, 19);
});

test('known ATTRTYPs', () => {
  const t = new PrefixTable();
  assert.equal(makeAttrTyp(t, '2.5.4.0'), 0x00000000); // objectClass
  assert.equal(makeAttrTyp(t, '2.5.4.3'), 0x00000003); // cn
  assert.equal(makeAttrTyp(t, '2.5.4.42'), 0x0000002a); // givenName
  assert.equal(makeAttrTyp(t, '1.2.840.113556.1.2.1'), 0x00020001);
  assert.equal(makeAttrTyp(t, '1.2.840.113556.1.2.281'), 0x00020119);
  assert.equal(makeAttrTyp(t, '1.2.840.113556.1.4.125'), 0x0009007d);
  assert.equal(makeAttrTyp(t, '1.2.840.113556.1.4.146'), 0x00090092); // objectSid
  assert.equal(makeAttrTyp(t, '1.2.840.113556.1.4.609'), 0x00090261); // sIDHistory
  assert.equal(makeAttrTyp(t, '1.2.840.113556.1.4.1782'), 0x000906f6); // msDS-KeyVersionNumber
  assert.equal(makeAttrTyp(t, '1.2.840.113556.1.5.9'), 0x000a0009); // user class
  assert.equal(makeAttrTyp(t, '2.5.6.6'), 0x00010006); // person class
  assert.equal(t.size, 39, 'no prefix added');
  assert.equal(oidFromAttrTyp(t, 0x00090261), '1.2.840.113556.1.4.609');
  assert.equal(oidFromAttrTyp(t, 3), '2.5.4.3');
});

test('new prefixes get new indices; large last arcs use the 0x8000 flag', () => {
  const t = PrefixTable.newSpecTable();
  const a1 = t.makeAttrTyp('1.2.250.1');
  assert.equal(a1 & 0xffff, 0x0001);
  assert.equal(a1 >>> 16, 27, 'one past the highest index in use');
  const a2 = t.makeAttrTyp('1.2.250.16386');
  assert.equal(a2 & 0xffff, 0x8002);
  const a3 = t.makeAttrTyp('1.2.250.2097154');
  assert.equal(a3 & 0xffff, 0x8002);
  assert.notEqual(a2 >>> 16, a3 >>> 16);
  assert.equal(t.makeAttrTyp('1.2.250.1'), a1, 'stable');
  assert.equal(t.oidFromAttrTyp(a1), '1.2.250.1');
  assert.equal(t.oidFromAttrTyp(a2), '1.2.250.16386');
  assert.equal(t.oidFromAttrTyp(a3), '1.2.250.2097154');
  assert.equal(t.attrTypFromOid('1.2.251.1'), undefined);
  const frozen = t.clone().freeze();
  assert.throws(() => frozen.makeAttrTyp('1.2.251.1'), /frozen/);
  assert.equal(frozen.makeAttrTyp('1.2.250.1'), a1);
  assert.throws(() => t.oidFromAttrTyp(0x7fff0001), /no prefix/);
  assert.throws(() => t.oidFromAttrTyp(0x80000001), /range/);
});

test('splitOid: prefix excludes one byte for arcs < 128, two otherwise', () => {
  assert.equal(hex(splitOid('2.5.4.3').prefix), '5504');
  assert.equal(hex(splitOid('1.2.840.113556.1.4.609').prefix), '2a864886f7140104');
  assert.equal(splitOid('1.2.840.113556.1.4.609').lowerWord, 609);
});

test('round trip of every OID in the bootstrap schema; ATTRTYPs unique', () => {
  const { attributes, classes, prefixTable } = loadBootstrapSchema(new PrefixTable());
  assert.equal(attributes.length + classes.length, 1768);
  const seen = new Map<number, string>();
  for (const [oid, id] of [
    ...attributes.map((a) => [a.attributeID, a.attributeId] as const),
    ...classes.map((c) => [c.governsID, c.classId] as const),
  ]) {
    assert.equal(prefixTable.oidFromAttrTyp(id), oid);
    assert.equal(prefixTable.attrTypFromOid(oid), id);
    assert.ok(!seen.has(id), `ATTRTYP 0x${id.toString(16)} of ${oid} also used by ${seen.get(id)}`);
    seen.set(id, oid);
  }
  assert.equal(prefixTable.size, 39, 'the v1903 schema needs no prefixes beyond the defaults');
  // Also through the spec-only table (new prefixes get appended).
  const spec = PrefixTable.newSpecTable();
  for (const a of attributes) assert.equal(spec.oidFromAttrTyp(spec.makeAttrTyp(a.attributeID)), a.attributeID);
  assert.ok(spec.size > 19);
});

test('serialization: JSON and bytes', () => {
  const t = PrefixTable.newSpecTable();
  t.makeAttrTyp('1.2.250.16386');
  t.makeAttrTyp('1.3.6.1.4.1.311.99.7');
  const j = JSON.parse(JSON.stringify(t));
  const t2 = PrefixTable.fromJSON(j);
  assert.deepEqual(t2.toJSON(), t.toJSON());
  const t3 = PrefixTable.fromBytes(t.toBytes());
  assert.deepEqual(t3.toJSON(), t.toJSON());
  assert.equal(t3.oidFromAttrTyp(t.makeAttrTyp('1.3.6.1.4.1.311.99.7')), '1.3.6.1.4.1.311.99.7');
  assert.throws(() => PrefixTable.fromBytes(t.toBytes().subarray(0, 10)), /truncated/);
  assert.throws(() => PrefixTable.fromJSON([{ index: 1, prefix: '5504' }, { index: 1, prefix: '5505' }]), /duplicate/);
});

const arbOid = fc
  .tuple(
    fc.constantFrom(0, 1, 2),
    fc.integer({ min: 0, max: 39 }),
    fc.array(fc.integer({ min: 0, max: 2 ** 31 }), { minLength: 1, maxLength: 8 }),
  )
  .map(([a, b, rest]) => [a, b, ...rest].join('.'));

test('property: BER encode/decode and MakeAttid/OidFromAttid round-trip', () => {
  fc.assert(
    fc.property(fc.array(arbOid, { minLength: 1, maxLength: 20 }), (oids) => {
      const t = new PrefixTable();
      const ids = oids.map((o) => t.makeAttrTyp(o));
      oids.forEach((o, i) => {
        assert.equal(decodeOid(encodeOid(o)), o);
        assert.equal(t.oidFromAttrTyp(ids[i]!), o);
      });
      const back = PrefixTable.fromBytes(t.toBytes());
      oids.forEach((o, i) => assert.equal(back.oidFromAttrTyp(ids[i]!), o));
    }),
    { numRuns: 300 },
  );
});
