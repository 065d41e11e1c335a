// Properties of every syntax's normalization and comparison (MS-ADTS 3.1.1.2.2.4):
// - round trip: normalize(fromLdap(toLdap(v))) equals normalize(v), also through the store's msgpack;
// - equal keys ⇔ compare() == 0;
// - key byte order (Buffer.compare) agrees with compare() — for ordered rules this is what an
//   index range scan relies on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { normalizeDN } from '../../src/dn/dn.js';
import { guidFromString } from '../../src/util/guid.js';
import { packr } from '../../src/store/record.js';
import { SYNTAXES, syntaxByName, sidFromString, type DSName, type Syntax, type SyntaxContext } from '../../src/schema/syntaxes/index.js';

const GUID_A = guidFromString('11111111-2222-3333-4444-555555555555');
const GUID_B = guidFromString('aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee');
const OBJECTS: [Buffer, string, Buffer?][] = [
  [GUID_A, 'CN=Alice,OU=People,DC=example,DC=com', sidFromString('S-1-5-21-1-2-3-1104')!],
  [GUID_B, 'CN=Bob,OU=People,DC=example,DC=com'],
];
const SCHEMA: [string, string][] = [
  ['cn', '2.5.4.3'],
  ['user', '1.2.840.113556.1.5.9'],
  ['top', '2.5.6.0'],
];

const ctx: SyntaxContext = {
  resolveDN(dn) {
    const m = /^<GUID=([0-9a-f-]{36})>$/i.exec(dn);
    const hit = m ? OBJECTS.find(([g]) => g.equals(guidFromString(m[1]!))) : OBJECTS.find(([, d]) => normalizeDN(d) === normalizeDN(dn));
    if (!hit) throw Object.assign(new Error(`no object ${dn}`), { code: 'noSuchObject' });
    const r: DSName = { guid: hit[0] };
    if (hit[2]) r.sid = hit[2];
    return r;
  },
  dnOf(ref) {
    return OBJECTS.find(([g]) => g.equals(ref.guid))![1];
  },
  oidOf(n) {
    return SCHEMA.find(([d]) => d === n.toLowerCase())?.[1];
  },
  ldapNameOf(oid) {
    return SCHEMA.find(([, o]) => o === oid)?.[0];
  },
};

const enc = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const chars = (cs: string[]) => fc.constantFrom(...cs);
const str = (unit: fc.Arbitrary<string>, minLength = 1, maxLength = 12) => fc.string({ unit, minLength, maxLength });

// Characters that exercise the case folds: case pairs, non-ASCII, expanding mappings, NFC pairs, astral.
const TRICKY = ['a', 'A', 'b', 'B', 'z', 'Z', '_', ' ', 'ß', 'ẞ', 'é', 'É', 'e\u0301', 'İ', 'ı', 'i', 'I', 'Σ', 'σ', 'ς', 'ǅ', 'Ǆ', 'ǆ', 'ﬁ', '\uFF21', '\uFF41', '𐐨', '𐐀', '日', ':', '#'];
const unicodeText = fc.oneof(str(chars(TRICKY)), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }));
const dnSpelling = fc.constantFrom(
  'CN=Alice,OU=People,DC=example,DC=com',
  'cn=alice,ou=people,dc=example,dc=com',
  '<GUID=11111111-2222-3333-4444-555555555555>',
  'CN=Bob,OU=People,DC=example,DC=com',
  'CN=BOB, OU=PEOPLE, DC=EXAMPLE, DC=COM',
  '<GUID=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee>',
);
const p2 = (n: number) => String(n).padStart(2, '0');
const zone = fc.constantFrom('Z', '', '+0000', '+0130', '-0800', '+1400');

function sdArb(): fc.Arbitrary<Uint8Array> {
  return fc.record({ owner: fc.boolean(), group: fc.boolean(), aces: fc.integer({ min: 0, max: 3 }), mask: fc.nat() }).map(({ owner, group, aces, mask }) => {
    const o = sidFromString('S-1-5-32-544')!;
    const g = sidFromString('S-1-5-18')!;
    const ace = Buffer.alloc(8 + g.length);
    ace.writeUInt16LE(ace.length, 2);
    ace.writeUInt32LE(mask, 4);
    g.copy(ace, 8);
    const acl = Buffer.alloc(8 + aces * ace.length);
    acl[0] = 2;
    acl.writeUInt16LE(acl.length, 2);
    acl.writeUInt16LE(aces, 4);
    for (let i = 0; i < aces; i++) ace.copy(acl, 8 + i * ace.length);
    const parts = [owner ? o : Buffer.alloc(0), group ? g : Buffer.alloc(0), acl];
    const hdr = Buffer.alloc(20);
    hdr[0] = 1;
    hdr.writeUInt16LE(0x8004, 2);
    let off = 20;
    if (owner) hdr.writeUInt32LE(off, 4);
    off += parts[0]!.length;
    if (group) hdr.writeUInt32LE(off, 8);
    off += parts[1]!.length;
    hdr.writeUInt32LE(off, 16);
    return new Uint8Array(Buffer.concat([hdr, ...parts]));
  });
}

/** Valid LDAP values for each syntax. */
const INPUTS: Record<string, fc.Arbitrary<Uint8Array>> = {
  Boolean: fc.constantFrom('TRUE', 'FALSE', 'true', 'False').map(enc),
  Integer: fc.integer({ min: -2147483648, max: 4294967295 }).map((n) => enc(String(n))),
  Enumeration: fc.integer({ min: -2147483648, max: 2147483647 }).map((n) => enc(String(n))),
  LargeInteger: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => enc(String(n))),
  'Object(Access-Point)': fc.tuple(unicodeText.filter((s) => !s.includes('#X500:')), dnSpelling).map(([a, d]) => enc(`${a}#X500:${d}`)),
  'Object(DN-String)': fc.tuple(fc.oneof(unicodeText, fc.constant('')), dnSpelling).map(([s, d]) => enc(`S:${Buffer.byteLength(s)}:${s}:${d}`)),
  'Object(OR-Name)': dnSpelling.map(enc),
  'Object(DN-Binary)': fc.tuple(fc.uint8Array({ maxLength: 6 }), fc.boolean(), dnSpelling).map(([b, up, d]) => {
    const h = Buffer.from(b).toString('hex');
    return enc(`B:${h.length}:${up ? h.toUpperCase() : h}:${d}`);
  }),
  'Object(DS-DN)': dnSpelling.map(enc),
  'Object(Presentation-Address)': fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 12 }), unicodeText.map(enc)),
  'Object(Replica-Link)': fc.uint8Array({ minLength: 1, maxLength: 16 }),
  'String(Case)': fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 12 }), unicodeText.map(enc)),
  'String(IA5)': fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 12 }).map(enc),
  'String(NT-Sec-Desc)': sdArb(),
  'String(Numeric)': str(chars([...'0123456789 '])).map(enc),
  'String(Object-Identifier)': fc.oneof(
    fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 39 }), fc.array(fc.nat(), { maxLength: 6 })).map(([a, b, r]) => enc([a, b, ...r].join('.'))),
    fc.constantFrom('cn', 'CN', 'user', 'Top', '2.5.4.3').map(enc),
  ),
  'String(Octet)': fc.uint8Array({ minLength: 1, maxLength: 16 }),
  'String(Printable)': str(chars([..."ABCXYZabcxyz0189 '()+,-./:?=@"])).map(enc),
  'String(Sid)': fc
    .tuple(fc.integer({ min: 0, max: 2 ** 48 - 1 }), fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 15 }))
    .map(([auth, subs]) => new Uint8Array(sidFromString(`S-1-${auth}${subs.map((s) => '-' + s).join('')}`)!)),
  'String(Teletex)': str(fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c))).map(enc),
  'String(Unicode)': unicodeText.map(enc),
  'String(UTC-Time)': fc
    .record({ y: fc.integer({ min: 0, max: 99 }), mo: fc.integer({ min: 1, max: 12 }), d: fc.integer({ min: 1, max: 28 }), h: fc.integer({ min: 0, max: 23 }), mi: fc.integer({ min: 0, max: 59 }), s: fc.option(fc.integer({ min: 0, max: 59 })), z: fc.constantFrom('Z', '', '+0130', '-0800') })
    .map(({ y, mo, d, h, mi, s, z }) => enc(`${p2(y)}${p2(mo)}${p2(d)}${p2(h)}${p2(mi)}${s === null ? '' : p2(s)}${z}`)),
  'String(Generalized-Time)': fc
    .record({ y: fc.integer({ min: 1602, max: 9998 }), mo: fc.integer({ min: 1, max: 12 }), d: fc.integer({ min: 1, max: 28 }), h: fc.integer({ min: 0, max: 23 }), mi: fc.integer({ min: 0, max: 59 }), s: fc.integer({ min: 0, max: 59 }), f: fc.option(fc.stringMatching(/^[.,]\d{1,4}$/)), z: zone })
    .map(({ y, mo, d, h, mi, s, f, z }) => enc(`${y}${p2(mo)}${p2(d)}${p2(h)}${p2(mi)}${p2(s)}${f ?? ''}${z}`)),
};

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);
const RUNS = { numRuns: 300 };

test('every syntax has an input generator', () => {
  assert.deepEqual(Object.keys(INPUTS).sort(), SYNTAXES.map((s) => s.name).sort());
});

for (const s of SYNTAXES) {
  const arb = INPUTS[s.name]!;
  const syn: Syntax = syntaxByName(s.name)!;

  test(`${s.name}: normalize(fromLdap(toLdap(v))) = normalize(v), also after the store's msgpack`, () => {
    fc.assert(
      fc.property(arb, (input) => {
        const v = syn.fromLdap(input, ctx);
        const key = syn.normalize(v);
        const out = syn.toLdap(v, ctx);
        const again = syn.fromLdap(typeof out === 'string' ? enc(out) : out, ctx);
        assert.ok(syn.normalize(again).equals(key), 'toLdap → fromLdap keeps the key');
        const unpacked = packr.unpack(packr.pack(v));
        assert.ok(syn.normalize(unpacked).equals(key), 'msgpack round trip keeps the key');
        const asserted = syn.assertion(input, ctx);
        assert.ok(asserted !== undefined && syn.normalize(asserted).equals(key), 'the assertion form of a valid value equals it');
      }),
      RUNS,
    );
  });

  test(`${s.name}: equal keys ⇔ compare() = 0, and key byte order agrees with compare()${s.rule.lessOrEqual ? ' (ordered rule)' : ''}`, () => {
    fc.assert(
      fc.property(arb, arb, (x, y) => {
        const a = syn.fromLdap(x, ctx);
        const b = syn.fromLdap(y, ctx);
        const ka = syn.normalize(a);
        const kb = syn.normalize(b);
        const c = syn.compare(a, b);
        assert.equal(ka.equals(kb), c === 0);
        assert.equal(sign(Buffer.compare(ka, kb)), sign(c));
        assert.ok(sign(syn.compare(b, a)) === -sign(c), 'antisymmetric'); // === so that 0 and -0 are the same
      }),
      RUNS,
    );
  });
}

test('String(Unicode): case variants and NFD spellings are equal; substrings follow the fold', () => {
  const s = syntaxByName('String(Unicode)')!;
  // characters whose upper/lower mappings are one-to-one (ß, ﬁ, İ are covered in syntaxes.test.ts)
  const caseSafe = str(chars(['a', 'A', 'b', 'B', 'z', 'Z', 'é', 'É', 'Σ', 'σ', 'ς', 'Ǆ', 'ǅ', 'ǆ', '\uFF21', '\uFF41', '𐐨', '𐐀', ' ', '_', '日']));
  fc.assert(
    fc.property(caseSafe, fc.nat(), fc.boolean(), (t, at, upper) => {
      const v = s.fromLdap(enc(t), ctx);
      assert.equal(s.compare(v, s.fromLdap(enc(t.toLowerCase()), ctx)), 0);
      assert.equal(s.compare(v, s.fromLdap(enc(t.toUpperCase()), ctx)), 0);
      assert.equal(s.compare(v, s.fromLdap(enc(t.normalize('NFD')), ctx)), 0, 'NFD and NFC spellings are equal');
      const cps = [...t];
      const cut = at % (cps.length + 1);
      const head = cps.slice(0, cut).join('');
      const tail = cps.slice(cut).join('');
      const flip = (x: string) => (upper ? x.toUpperCase() : x.toLowerCase());
      const q: { initial?: Uint8Array; any: Uint8Array[]; final?: Uint8Array } = { any: [] };
      if (head) q.initial = enc(flip(head));
      if (tail) q.final = enc(flip(tail));
      assert.equal(s.substrings!(v, q), true, 'a case-changed prefix and suffix match');
      assert.equal(s.substrings!(v, { any: [enc(flip(t) + 'q')] }), false, 'a longer piece does not');
    }),
    RUNS,
  );
  fc.assert(
    fc.property(unicodeText, (t) => {
      assert.equal(s.compare(s.fromLdap(enc(t), ctx), s.fromLdap(enc(t.normalize('NFD')), ctx)), 0);
    }),
    RUNS,
  );
});

test('Integer and LargeInteger: key order is numeric order', () => {
  const i = syntaxByName('Integer')!;
  fc.assert(
    fc.property(fc.integer({ min: -2147483648, max: 2147483647 }), fc.integer({ min: -2147483648, max: 2147483647 }), (a, b) => {
      assert.equal(sign(Buffer.compare(i.normalize(a), i.normalize(b))), sign(a - b));
    }),
    RUNS,
  );
  const l = syntaxByName('LargeInteger')!;
  fc.assert(
    fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (a, b) => {
      assert.equal(sign(Buffer.compare(l.normalize(a), l.normalize(b))), a < b ? -1 : a > b ? 1 : 0);
    }),
    RUNS,
  );
});

test('Time: values one second apart order correctly; sub-second differences compare equal', () => {
  const g = syntaxByName('String(Generalized-Time)')!;
  fc.assert(
    fc.property(fc.date({ min: new Date('1601-01-02T00:00:00Z'), max: new Date('9999-12-30T00:00:00Z'), noInvalidDate: true }), (d) => {
      const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
      const gt = iso.replace(/[-:T]/g, '').replace(/\.(\d{3})Z$/, '.$1Z');
      const whole = g.fromLdap(enc(gt), ctx) as number;
      assert.equal(g.compare(whole, g.fromLdap(enc(gt.replace(/\.\d{3}Z$/, 'Z')), ctx)), 0);
      assert.equal(g.compare(whole, whole + 1), -1);
      assert.equal(g.toLdap(whole, ctx), gt.replace(/\.\d{3}Z$/, '.0Z'));
    }),
    RUNS,
  );
});
