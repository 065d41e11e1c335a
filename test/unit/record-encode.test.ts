// The object record's MessagePack body (record.ts encodeObject, BodyWriter) is byte for byte what
// msgpackr's packr.pack of the same array writes (encodeObjectReference), for every kind of value
// a record holds and the edges of each MessagePack form; and it decodes to the record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeObject, encodeObject, encodeObjectReference, type AttributeStamp, type InvocationTable, type ObjectRecord } from '../../src/store/record.js';
import { propertyParams } from '../helpers/property.js';

const SD = 131353;
/** an invocation table and SD table in memory, as the store keeps them */
function tables(): InvocationTable & { sds: Map<string, Buffer> } {
  const inv: Buffer[] = [];
  const sds = new Map<string, Buffer>();
  return {
    sds,
    sdAttid: SD,
    indexOf(g) {
      let i = inv.findIndex((x) => x.equals(g));
      if (i < 0) i = inv.push(Buffer.from(g)) - 1;
      return i;
    },
    byIndex: (i) => inv[i]!,
    sdRef(sd) {
      const k = Buffer.alloc(16);
      Buffer.from(sd).copy(k, 0, 0, Math.min(16, sd.length));
      k[15] = sd.length & 0xff;
      sds.set(k.toString('hex'), Buffer.from(sd));
      return k;
    },
    sdGet: (k) => sds.get(k.toString('hex'))!,
  };
}

// numbers at each form's edges, strings of each head size (ASCII, 2-, 3-, 4-byte UTF-8, lone surrogates), bytes of each head size
const edges = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0xffffffff, 0x100000000, 2 ** 53 - 1, -1, -0x20, -0x21, -0x80, -0x81, -0x8000, -0x8001, -(2 ** 31), -(2 ** 31) - 1, 0.5, -0, NaN, Infinity, 13_440_668_869];
const number = fc.oneof(fc.constantFrom(...edges), fc.integer(), fc.double(), fc.nat({ max: 2 ** 40 }));
const unit = fc.constantFrom('a', 'é', '€', '😀', '\ud800', '\udc00', '\0');
const text = fc.oneof(
  fc.string({ maxLength: 70 }),
  fc.array(unit, { maxLength: 300 }).map((a) => a.join('')),
  fc.constantFrom(31, 32, 63, 64, 255, 256, 65535, 65536, 70000).chain((n) => fc.constantFrom('x'.repeat(n), 'é'.repeat(n), '€'.repeat(Math.ceil(n / 3)))),
);
const bytes = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.constantFrom(255, 256, 65535, 65536).map((n) => new Uint8Array(n).fill(7)));
const scalar = fc.oneof(number, text, fc.boolean(), fc.constant(null), fc.constant(undefined), bytes.map((b) => Buffer.from(b)), bytes, fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n }), fc.date({ noInvalidDate: true }));
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 8 }), tie('v'), { maxKeys: 18 }), fc.constant({ guid: Buffer.alloc(16, 1), dn: 'CN=x', sid: Buffer.alloc(12, 2) })),
})).v;
const guid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b));
const stamp: fc.Arbitrary<AttributeStamp> = fc.record({ dwVersion: fc.nat(), timeChanged: fc.nat({ max: 2 ** 40 }), uuidOriginating: fc.constantFrom(Buffer.alloc(16, 3), Buffer.alloc(16, 4)), usnOriginating: fc.nat({ max: 2 ** 40 }), usnLocal: fc.nat() });
const record: fc.Arbitrary<ObjectRecord> = fc
  .record({
    parent: fc.option(guid, { nil: null }),
    nc: guid,
    rdnType: fc.nat(),
    name: text.filter((s) => Buffer.byteLength(s) <= 0xffff),
    ncName: fc.option(text, { nil: undefined }),
    usnCreated: number,
    usnChanged: fc.nat(),
    whenChanged: number,
    shared: stamp,
    attrs: fc.array(fc.record({ id: fc.oneof(fc.nat(), fc.constant(SD)), values: fc.array(value, { maxLength: 3 }), stamp: fc.option(fc.oneof(stamp, fc.constant('shared' as const)), { nil: undefined }) }), { maxLength: 20 }),
  })
  .map(({ shared, ncName, attrs, ...r }) => {
    const rec: ObjectRecord = { ...r, attrs: attrs.map((a) => (a.stamp === undefined ? { id: a.id, values: a.values } : { id: a.id, values: a.values, stamp: a.stamp === 'shared' ? shared : a.stamp })) };
    if (ncName !== undefined) rec.ncName = ncName;
    return rec;
  });

test('encodeObject writes what packr.pack of the record body writes, byte for byte', () => {
  fc.assert(
    fc.property(record, (r) => {
      const a = tables();
      const b = tables();
      // a value MessagePack cannot hold (a bigint beyond 64 bits) is refused by both
      const run = (f: () => Buffer) => {
        try {
          return f().toString('hex');
        } catch (e) {
          return `throws ${(e as Error).name}`;
        }
      };
      assert.equal(run(() => encodeObject(r, a)), run(() => encodeObjectReference(r, b)));
    }),
    propertyParams(1000),
  );
});

/** A user-like record under the same parent and NC, named b5, made at USN 77 and changed at `usnChanged`. */
function userRecord(usnChanged: number, attrs: ObjectRecord['attrs']): ObjectRecord {
  return { parent: Buffer.alloc(16, 1), nc: Buffer.alloc(16, 2), rdnType: 3, name: 'b5', usnCreated: 77, usnChanged, whenChanged: 13_440_668_870, attrs };
}

test('a record of the common forms (a replicated user) decodes to itself, its shared stamp packed once per run', () => {
  const inv = tables();
  const s: AttributeStamp = { dwVersion: 1, timeChanged: 13_440_668_869, uuidOriginating: Buffer.alloc(16, 9), usnOriginating: 4100, usnLocal: 77 };
  const r = userRecord(77, [
    { id: 0, values: ['2.5.6.0', '2.5.6.6', '2.5.6.7', '1.2.840.113556.1.5.9'], stamp: s },
    { id: 590045, values: ['b5'], stamp: s },
    { id: 590606, values: [{ guid: Buffer.alloc(16, 5), dn: 'CN=Person,CN=Schema,CN=Configuration,DC=example,DC=com' }], stamp: s },
    { id: SD, values: [Buffer.alloc(2200, 6)], stamp: s },
    { id: 589983, values: [9223372036854775807n], stamp: { ...s, usnOriginating: 4101 } },
    { id: 589970, values: [Buffer.alloc(28, 8)], stamp: s },
  ]);
  const enc = encodeObject(r, inv);
  assert.equal(enc.toString('hex'), encodeObjectReference(r, tables()).toString('hex'));
  const back = decodeObject(enc, inv);
  assert.deepEqual(back.attrs.map((a) => a.values), r.attrs.map((a) => a.values));
  assert.deepEqual(back.attrs.map((a) => ({ ...a.stamp })), r.attrs.map((a) => ({ ...a.stamp })));
  assert.equal(inv.sds.size, 1, 'the SD went to the SD table');
});

test('equal stamps of neighbouring attributes decode to one shared stamp; a different stamp between them does not', () => {
  const inv = tables();
  const s: AttributeStamp = { dwVersion: 1, timeChanged: 13_440_668_869, uuidOriginating: Buffer.alloc(16, 9), usnOriginating: 4100, usnLocal: 77 };
  // each field differing once, so that every one of the five packed numbers is compared
  const others: AttributeStamp[] = [
    { ...s, dwVersion: 2 },
    { ...s, timeChanged: 13_440_668_870 },
    { ...s, uuidOriginating: Buffer.alloc(16, 8) },
    { ...s, usnOriginating: 4101 },
    { ...s, usnLocal: 78 },
  ];
  for (const o of others) {
    // equal values in distinct objects: the encoder's identity dedupe is not what makes them shared
    const r = userRecord(78, [
      { id: 1, values: ['a'], stamp: { ...s } },
      { id: 2, values: ['b'], stamp: { ...s } },
      { id: 3, values: ['c'], stamp: o },
      { id: 4, values: ['d'] },
      { id: 5, values: ['e'], stamp: { ...o } },
      { id: 6, values: ['f'], stamp: { ...s } },
    ]);
    const back = decodeObject(encodeObject(r, inv), inv);
    const st = back.attrs.map((a) => a.stamp);
    assert.equal(st[0], st[1], 'a run of equal stamps is one object');
    assert.notEqual(st[1], st[2], 'a different stamp is an object of its own');
    assert.equal(st[3], undefined);
    assert.equal(st[2], st[4], 'an attribute without a stamp does not end the run');
    assert.notEqual(st[4], st[5]);
    assert.deepEqual(st.map((x) => (x ? { ...x } : x)), r.attrs.map((a) => (a.stamp ? { ...a.stamp } : undefined)));
  }
});
