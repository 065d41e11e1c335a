// The 23 attribute syntaxes of MS-ADTS 3.1.1.2.2 and their comparison rules (3.1.1.2.2.4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeDN } from '../../src/dn/dn.js';
import { guidFromString } from '../../src/util/guid.js';
import {
  SYNTAXES,
  RULES,
  supports,
  syntaxFor,
  syntaxByName,
  InvalidSyntaxError,
  SyntaxValueError,
  sidToString,
  sidFromString,
  trySidFromString,
  oidToBer,
  oidFromBerContent,
  foldUnicode,
  type DSName,
  type DNBinary,
  type DNString,
  type AccessPoint,
  type StoredValue,
  type Syntax,
  type SyntaxContext,
  type SubstringAssertion,
} from '../../src/schema/syntaxes/index.js';

// ---- a small fake directory ------------------------------------------------------------

class NoSuchObject extends Error {
  readonly code = 'noSuchObject';
}

const GUID_A = guidFromString('11111111-2222-3333-4444-555555555555');
const GUID_B = guidFromString('aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee');
const SID_A = sidFromString('S-1-5-21-1-2-3-1104');

function fakeContext(): SyntaxContext & { rename(guid: Uint8Array, dn: string): void } {
  const dnByGuid = new Map<string, string>([
    [GUID_A.toString('hex'), 'CN=Alice,OU=People,DC=example,DC=com'],
    [GUID_B.toString('hex'), 'CN=Bob,OU=People,DC=example,DC=com'],
  ]);
  const sidByGuid = new Map<string, Buffer>([[GUID_A.toString('hex'), SID_A]]);
  const schema = new Map<string, string>([
    ['cn', '2.5.4.3'],
    ['user', '1.2.840.113556.1.5.9'],
    ['top', '2.5.6.0'],
    ['attributeid', '1.2.840.113556.1.2.30'],
  ]);
  const names = new Map<string, string>([
    ['2.5.4.3', 'cn'],
    ['1.2.840.113556.1.5.9', 'user'],
    ['2.5.6.0', 'top'],
    ['1.2.840.113556.1.2.30', 'attributeID'],
  ]);
  const dsname = (g: string): DSName => {
    const r: DSName = { guid: Buffer.from(g, 'hex') };
    const sid = sidByGuid.get(g);
    if (sid) r.sid = sid;
    return r;
  };
  return {
    resolveDN(dn) {
      const m = /^<GUID=([0-9a-f-]{36})>$/i.exec(dn);
      if (m) {
        const g = guidFromString(m[1]!).toString('hex');
        if (dnByGuid.has(g)) return dsname(g);
        throw new NoSuchObject(dn);
      }
      const n = normalizeDN(dn);
      for (const [g, d] of dnByGuid) if (normalizeDN(d) === n) return dsname(g);
      throw new NoSuchObject(dn);
    },
    dnOf(ref) {
      return dnByGuid.get(Buffer.from(ref.guid).toString('hex')) ?? `CN=Deleted\\0ADEL:${Buffer.from(ref.guid).toString('hex')}`;
    },
    oidOf(nameOrOid) {
      return schema.get(nameOrOid.toLowerCase());
    },
    ldapNameOf(oid) {
      return names.get(oid);
    },
    rename(guid, dn) {
      dnByGuid.set(Buffer.from(guid).toString('hex'), dn);
    },
  };
}

const ctx = fakeContext();
const u8 = (s: string | number[]): Uint8Array => (typeof s === 'string' ? new TextEncoder().encode(s) : Uint8Array.from(s));
const text = (v: Uint8Array | string): string => (typeof v === 'string' ? v : Buffer.from(v).toString('latin1'));
const S = (name: string): Syntax => {
  const s = syntaxByName(name);
  assert.ok(s, name);
  return s;
};
const isSyntaxError = (e: unknown) => e instanceof SyntaxValueError && e.code === 'ERR_INVALID_ATTRIBUTE_SYNTAX' && e.message.length > 20;
const sub = (initial: string | undefined, any: string[], final?: string): SubstringAssertion => {
  const s: SubstringAssertion = { any: any.map((a) => u8(a)) };
  if (initial !== undefined) s.initial = u8(initial);
  if (final !== undefined) s.final = u8(final);
  return s;
};
const eq = (s: Syntax, a: StoredValue, b: StoredValue) => s.normalize(a).equals(s.normalize(b));

// A minimal valid self-relative security descriptor: owner S-1-5-32-544, group S-1-5-18, DACL with one ACE.
function makeSD(): Buffer {
  const owner = sidFromString('S-1-5-32-544')!;
  const group = sidFromString('S-1-5-18')!;
  const ace = Buffer.alloc(8 + group.length);
  ace[0] = 0; // ACCESS_ALLOWED_ACE_TYPE
  ace.writeUInt16LE(ace.length, 2);
  ace.writeUInt32LE(0x000f01ff, 4);
  group.copy(ace, 8);
  const acl = Buffer.alloc(8 + ace.length);
  acl[0] = 2;
  acl.writeUInt16LE(acl.length, 2);
  acl.writeUInt16LE(1, 4);
  ace.copy(acl, 8);
  const sd = Buffer.alloc(20 + owner.length + group.length + acl.length);
  sd[0] = 1;
  sd.writeUInt16LE(0x8000 | 0x0004, 2);
  sd.writeUInt32LE(20, 4);
  sd.writeUInt32LE(20 + owner.length, 8);
  sd.writeUInt32LE(0, 12);
  sd.writeUInt32LE(20 + owner.length + group.length, 16);
  owner.copy(sd, 20);
  group.copy(sd, 20 + owner.length);
  acl.copy(sd, 20 + owner.length + group.length);
  return sd;
}
const SD = makeSD();

// ---- the table ---------------------------------------------------------------------------

test('exactly the 23 syntaxes of the MS-ADTS 3.1.1.2.2.2 table, each with the rule of 3.1.1.2.2.4', () => {
  const expected: [string, string, number, string | undefined, string][] = [
    ['Boolean', '2.5.5.8', 1, undefined, 'Bool'],
    ['Enumeration', '2.5.5.9', 10, undefined, 'Integer'],
    ['Integer', '2.5.5.9', 2, undefined, 'Integer'],
    ['LargeInteger', '2.5.5.16', 65, undefined, 'Integer'],
    ['Object(Access-Point)', '2.5.5.14', 127, '1.3.12.2.1011.28.0.702', 'DN-String'],
    ['Object(DN-String)', '2.5.5.14', 127, '1.2.840.113556.1.1.1.12', 'DN-String'],
    ['Object(OR-Name)', '2.5.5.7', 127, '2.6.6.1.2.5.11.29', 'DN-Binary'],
    ['Object(DN-Binary)', '2.5.5.7', 127, '1.2.840.113556.1.1.1.11', 'DN-Binary'],
    ['Object(DS-DN)', '2.5.5.1', 127, '1.3.12.2.1011.28.0.714', 'DN'],
    ['Object(Presentation-Address)', '2.5.5.13', 127, '1.3.12.2.1011.28.0.732', 'PresentationAddress'],
    ['Object(Replica-Link)', '2.5.5.10', 127, '1.2.840.113556.1.1.1.6', 'Octet'],
    ['String(Case)', '2.5.5.3', 27, undefined, 'CaseString'],
    ['String(IA5)', '2.5.5.5', 22, undefined, 'CaseString'],
    ['String(NT-Sec-Desc)', '2.5.5.15', 66, undefined, 'SecDesc'],
    ['String(Numeric)', '2.5.5.6', 18, undefined, 'CaseString'],
    ['String(Object-Identifier)', '2.5.5.2', 6, undefined, 'OID'],
    ['String(Octet)', '2.5.5.10', 4, undefined, 'Octet'],
    ['String(Printable)', '2.5.5.5', 19, undefined, 'CaseString'],
    ['String(Sid)', '2.5.5.17', 4, undefined, 'Sid'],
    ['String(Teletex)', '2.5.5.4', 20, undefined, 'NoCaseString'],
    ['String(Unicode)', '2.5.5.12', 64, undefined, 'UnicodeString'],
    ['String(UTC-Time)', '2.5.5.11', 23, undefined, 'Time'],
    ['String(Generalized-Time)', '2.5.5.11', 24, undefined, 'Time'],
  ];
  assert.equal(SYNTAXES.length, 23);
  assert.deepEqual(
    SYNTAXES.map((s) => s.name),
    expected.map((e) => e[0]),
  );
  for (const [name, as, om, cls, rule] of expected) {
    const s = S(name);
    assert.equal(s.attributeSyntax, as, name);
    assert.equal(s.oMSyntax, om, name);
    assert.equal(s.rule.name, rule, name);
    assert.equal(s.oMObjectClass === undefined ? undefined : oidFromBerContent(Buffer.from(s.oMObjectClass, 'hex')), cls, name);
    assert.equal(syntaxFor(as, om, s.oMObjectClass), s, name);
    assert.equal(s.isReference, ['Object(Access-Point)', 'Object(DN-String)', 'Object(OR-Name)', 'Object(DN-Binary)', 'Object(DS-DN)'].includes(name), name);
    assert.equal(typeof s.substrings === 'function', s.rule.substrings, `${name}: substrings exactly where the rule has them`);
  }
});

test('syntaxFor refuses combinations outside the table with a clear error', () => {
  const bad: [string, number, string?][] = [
    ['2.5.5.12', 4],
    ['2.5.5.9', 65],
    ['2.5.5.0', 1],
    ['2.5.5.18', 4],
    ['1.2.3', 64],
    ['2.5.5.7', 127, '2a864886f7140101010c'], // DN-String class with DN-Binary's attributeSyntax
    ['2.5.5.1', 127, '2b0c0287731c00853e'],
    ['2.5.5.12', 64, '2b0c0287731c00854a'], // oMObjectClass on a non-object syntax
    ['2.5.5.7', 127], // ambiguous without oMObjectClass
    ['2.5.5.14', 127],
    ['2.5.5.1', 127, 'zz'],
  ];
  for (const [a, o, c] of bad) {
    assert.throws(() => syntaxFor(a, o, c), (e: unknown) => e instanceof InvalidSyntaxError && e.code === 'ERR_INVALID_SYNTAX' && e.message.length > 20, `${a}/${o}/${c}`);
  }
  // unambiguous object syntaxes do not need oMObjectClass; hex spelling is flexible; bytes work
  assert.equal(syntaxFor('2.5.5.1', 127).name, 'Object(DS-DN)');
  assert.equal(syntaxFor('2.5.5.13', 127).name, 'Object(Presentation-Address)');
  assert.equal(syntaxFor('2.5.5.10', 127).name, 'Object(Replica-Link)');
  assert.equal(syntaxFor('2.5.5.7', 127, '0x2A 0x86 0x48 0x86 0xF7 0x14 0x01 0x01 0x01 0x0B').name, 'Object(DN-Binary)');
  assert.equal(syntaxFor('2.5.5.14', 127, Buffer.from('2b0c0287731c00853e', 'hex')).name, 'Object(Access-Point)');
  assert.equal(syntaxFor('2.5.5.10', 4).name, 'String(Octet)');
  assert.equal(syntaxFor('2.5.5.17', 4).name, 'String(Sid)');
});

test('comparison rule table of 3.1.1.2.2.4: filter choices per rule', () => {
  const row = (r: keyof typeof RULES) => {
    const x = RULES[r];
    return [x.present, x.equalityMatch, x.approxMatch, x.lessOrEqual, x.greaterOrEqual, x.substrings, x.bitAnd, x.bitOr, x.transitiveEval].map((b) => (b ? 'X' : '-')).join('');
  };
  assert.equal(row('Bool'), 'XXXXX----');
  assert.equal(row('Integer'), 'XXXXX-XX-');
  assert.equal(row('DN-String'), 'XXX-----X');
  assert.equal(row('DN-Binary'), 'XXX-----X');
  assert.equal(row('DN'), 'XXX-----X');
  assert.equal(row('PresentationAddress'), 'XXX------');
  assert.equal(row('Octet'), 'XXXXXX---');
  assert.equal(row('CaseString'), 'XXXXXX---');
  assert.equal(row('SecDesc'), 'X--------');
  assert.equal(row('OID'), 'XXX------');
  assert.equal(row('Sid'), 'XXXXXX---');
  assert.equal(row('NoCaseString'), 'XXXXXX---');
  assert.equal(row('UnicodeString'), 'XXXXXX---');
  assert.equal(row('Time'), 'XXXXX----');
  for (const r of Object.values(RULES)) assert.equal(r.approxMatch, r.equalityMatch, `${r.name}: approxMatch = equalityMatch`);
  assert.equal(supports(RULES.DN, 'transitiveEval', false), false, 'TRANSITIVE_EVAL only on link attributes');
  assert.equal(supports(RULES.DN, 'transitiveEval', true), true);
  assert.equal(supports(RULES.Integer, 'bitAnd'), true);
  assert.equal(supports(RULES.SecDesc, 'equalityMatch'), false);
});

// ---- valid and invalid inputs, round trips ------------------------------------------------

interface Case {
  syntax: string;
  valid: [input: string | number[], output?: string | number[]][];
  invalid: (string | number[])[];
}

const CASES: Case[] = [
  {
    syntax: 'Boolean',
    valid: [['TRUE'], ['FALSE'], ['true', 'TRUE'], ['False', 'FALSE']],
    invalid: ['', 'T', 'yes', '1', '0', ' TRUE', 'TRUE ', 'TRUEX', 'FALS'],
  },
  {
    syntax: 'Integer',
    valid: [['0'], ['42'], ['-1'], ['2147483647'], ['-2147483648'], ['007', '7'], ['-0', '0'], ['2147483648', '-2147483648'], ['4294967295', '-1'], ['2147483650', '-2147483646']],
    invalid: ['', '-', '+1', '1e5', '0x10', ' 1', '1 ', '1.0', '4294967296', '-2147483649', '99999999999', '١٢'],
  },
  {
    syntax: 'Enumeration',
    valid: [['1'], ['-5']],
    invalid: ['one', '+1', '4294967296'],
  },
  {
    syntax: 'LargeInteger',
    valid: [['0'], ['-1'], ['9223372036854775807'], ['-9223372036854775808'], ['-0', '0'], ['00012', '12'], ['132537600000000000']],
    invalid: ['', '1e5', '+1', '9223372036854775808', '-9223372036854775809', '12345678901234567890', '1.5', '0x1', '-', ' 5'],
  },
  {
    syntax: 'String(Octet)',
    valid: [[[0, 1, 2, 255]], [[0]]],
    invalid: [[]],
  },
  {
    syntax: 'Object(Replica-Link)',
    valid: [[[1, 0, 0, 0, 9]]],
    invalid: [[]],
  },
  {
    syntax: 'String(Unicode)',
    valid: [['Hello'], ['Łódź ß 日本'], ['  spaced  ']],
    invalid: ['', [0xc3, 0x28], [0xff], [0xed, 0xa0, 0x80]],
  },
  {
    syntax: 'String(Case)',
    valid: [['CaseSensitive'], ['ünïcode'], [[0xff, 0xfe, 0x41]]],
    invalid: [''],
  },
  {
    syntax: 'String(IA5)',
    valid: [['user@example.com'], ['tab\there'], ['"quoted"']],
    invalid: ['', 'é', [0x80]],
  },
  {
    syntax: 'String(Numeric)',
    valid: [['0123 456'], [' ']],
    invalid: ['', '12a', '+1', '1-2', '1.5'],
  },
  {
    syntax: 'String(Printable)',
    // Windows stores any printable ASCII in a String(Printable) attribute (issue 13, item 4)
    valid: [["Ab09 '()+,-./:?="], ['user@example'], ['say "hi"'], ['a|b}c!'], ['a;b_c*d']],
    invalid: ['', 'é', 'a\tb', [0x7f]],
  },
  {
    syntax: 'String(Teletex)',
    valid: [['Any printable ASCII ~!"#$%&'], [' ']],
    invalid: ['', 'tab\t', 'é', [0x7f], [0x1f]],
  },
  {
    syntax: 'String(Generalized-Time)',
    valid: [
      ['20010928060000.0Z'],
      ['20010928060000Z', '20010928060000.0Z'],
      ['20010928060000.999Z', '20010928060000.0Z'],
      ['20010928060000,5Z', '20010928060000.0Z'],
      ['20010928060000.0+0200', '20010928040000.0Z'],
      ['20010928060000-0130', '20010928073000.0Z'],
      ['200109280600Z', '20010928060000.0Z'],
      ['2001092806Z', '20010928060000.0Z'],
      ['2001092806.5Z', '20010928063000.0Z'],
      ['20010928060000', '20010928060000.0Z'],
      // forms Windows accepts (issue 13, item 3): an empty fraction before Z, a two-digit year
      ['20010928060000.Z', '20010928060000.0Z'],
      ['010928060000Z', '20010928060000.0Z'],
      ['990928060000Z', '19990928060000.0Z'],
      ['20000229235959.0Z'],
      ['16010101000000.0Z'],
      ['99991231235959.0Z'],
    ],
    invalid: ['', '2001', '20011328060000Z', '20010230060000Z', '19000229000000Z', '20010928240000Z', '20010928066000Z', '20010928060060Z', '20010928060000Q', '20010928060000Z ', '20010928060000+2400', '16001231235959Z', 'abcd0928060000Z'],
  },
  {
    syntax: 'String(UTC-Time)',
    valid: [
      ['010928060000Z'],
      ['0109280600Z', '010928060000Z'],
      ['990101000000Z'],
      ['490101000000Z'],
      ['010928060000+0200', '010928040000Z'],
      ['010928060000', '010928060000Z'],
    ],
    invalid: ['', '20010928060000Z', '010928060000.0Z', '01092806Z', '011328060000Z', '010928060000+02', 'ZZ'],
  },
  {
    syntax: 'String(Object-Identifier)',
    valid: [['2.5.4.3', 'cn'], ['cn'], ['CN', 'cn'], ['1.2.840.113556.1.5.9', 'user'], ['1.2.3.4.5'], ['2.999.1']],
    invalid: ['', 'nosuchattribute', '1', '1.', '.1', '1..2', '01.2', '1.02', 'c n', '-cn', '1.2a', 'OID.1.2'],
  },
  {
    syntax: 'Object(Presentation-Address)',
    valid: [['anything goes, RFC 1278 is not checked'], [[0xff, 0x00]]],
    invalid: [''],
  },
];

for (const c of CASES) {
  test(`${c.syntax}: valid values round-trip, invalid ones are refused`, () => {
    const s = S(c.syntax);
    for (const [input, output] of c.valid) {
      const v = s.fromLdap(u8(input), ctx);
      const out = s.toLdap(v, ctx);
      const want = output ?? input;
      if (typeof want === 'string') assert.equal(typeof out === 'string' ? out : Buffer.from(out).toString('utf8'), want, `${c.syntax} ${JSON.stringify(input)}`);
      else assert.deepEqual([...Buffer.from(out as Uint8Array)], want, `${c.syntax} ${JSON.stringify(input)}`);
      // toLdap output parses back to an equal value
      const again = s.fromLdap(typeof out === 'string' ? u8(out) : out, ctx);
      assert.ok(eq(s, v, again), `${c.syntax}: round trip of ${JSON.stringify(input)}`);
      assert.equal(s.compare(v, again), 0);
      // a valid value is also a valid assertion, equal to the stored one
      const a = s.assertion(u8(input), ctx);
      assert.ok(a !== undefined && eq(s, a, v), `${c.syntax}: assertion ${JSON.stringify(input)}`);
    }
    for (const bad of c.invalid) {
      assert.throws(() => s.fromLdap(u8(bad), ctx), isSyntaxError, `${c.syntax} must refuse ${JSON.stringify(bad)}`);
      if ((typeof bad === 'string' ? bad.length : bad.length) > 0) assert.equal(s.assertion(u8(bad), ctx), undefined, `${c.syntax}: assertion ${JSON.stringify(bad)} is Undefined`);
    }
  });
}

// ---- ordering and equality per rule ----------------------------------------------------

/** Values in strictly increasing order under the rule; checks compare() and key order agree. */
function assertAscending(s: Syntax, inputs: (string | number[])[]) {
  const vals = inputs.map((i) => s.fromLdap(u8(i), ctx));
  for (let i = 0; i + 1 < vals.length; i++) {
    const msg = `${s.name}: ${JSON.stringify(inputs[i])} < ${JSON.stringify(inputs[i + 1])}`;
    assert.equal(s.compare(vals[i]!, vals[i + 1]!), -1, msg);
    assert.equal(s.compare(vals[i + 1]!, vals[i]!), 1, msg);
    assert.equal(Buffer.compare(s.normalize(vals[i]!), s.normalize(vals[i + 1]!)), -1, msg + ' (keys)');
  }
}
function assertEqual(s: Syntax, a: string | number[], b: string | number[], equal: boolean) {
  const x = s.fromLdap(u8(a), ctx);
  const y = s.fromLdap(u8(b), ctx);
  assert.equal(eq(s, x, y), equal, `${s.name}: ${JSON.stringify(a)} ${equal ? '=' : '≠'} ${JSON.stringify(b)}`);
  assert.equal(s.compare(x, y) === 0, equal);
}

test('Bool: true is greater than false (3.1.1.2.2.4.1)', () => {
  assertAscending(S('Boolean'), ['FALSE', 'TRUE']);
  assertEqual(S('Boolean'), 'true', 'TRUE', true);
});

test('Integer rule: signed comparison, keys range-scan (3.1.1.2.2.4.2)', () => {
  assertAscending(S('Integer'), ['-2147483648', '-65536', '-1', '0', '1', '255', '256', '2147483647']);
  assertAscending(S('Enumeration'), ['-3', '0', '10']);
  assertAscending(S('LargeInteger'), ['-9223372036854775808', '-4294967296', '-1', '0', '1', '4294967296', '9223372036854775807']);
  assertEqual(S('Integer'), '2147483648', '-2147483648', true);
  // LargeInteger accepts a number back from msgpack
  assert.equal(S('LargeInteger').compare(5 as unknown as bigint, 5n), 0);
  assert.ok(S('LargeInteger').normalize(5).equals(S('LargeInteger').normalize(5n)));
  assert.equal(typeof S('LargeInteger').fromLdap(u8('5'), ctx), 'bigint');
  assert.equal(typeof S('Integer').fromLdap(u8('5'), ctx), 'number');
});

test('Octet rule: byte-wise, a proper prefix first (3.1.1.2.2.4.7)', () => {
  const s = S('String(Octet)');
  assertAscending(s, [[0x00], [0x00, 0x00], [0x00, 0x01], [0x01], [0x7f, 0xff, 0xff], [0x80], [0xff], [0xff, 0x00]]);
  assertEqual(s, [1, 2], [1, 2], true);
  assertEqual(s, [1, 2], [1, 2, 0], false);
  assert.equal(s.substrings!(s.fromLdap(u8([1, 2, 3, 4, 5]), ctx), { initial: u8([1, 2]), any: [u8([3])], final: u8([5]) }), true);
  assert.equal(s.substrings!(s.fromLdap(u8([1, 2, 3]), ctx), { initial: u8([1, 2]), any: [], final: u8([2, 3]) }), false, 'initial and final may not overlap');
  assertAscending(S('Object(Replica-Link)'), [[1], [1, 0], [2]]);
});

test('String(Unicode): case-insensitive including non-ASCII, NFC, code point order, substrings', () => {
  const s = S('String(Unicode)');
  assertEqual(s, 'Hello World', 'hELLO wORLD', true);
  assertEqual(s, 'Ärger', 'äRGER', true);
  assertEqual(s, 'ΣΊΣΥΦΟΣ', 'σίσυφος', true);
  assertEqual(s, 'Ǆ', 'ǆ', true);
  assertEqual(s, 'café', 'cafe\u0301', true); // precomposed vs decomposed
  assertEqual(s, 'ıi', 'II', true); // dotless ı and i both fold to I (locale-independent, not Turkish)
  assertEqual(s, 'Straße', 'STRASSE', false); // ß is not expanded to SS (one-to-one fold)
  assertEqual(s, 'Straße', 'STRAßE', true);
  assertEqual(s, 'a b', 'a  b', false);
  assertEqual(s, 'abc', 'abd', false);
  assert.equal(foldUnicode('straße'), 'STRAßE');
  assertAscending(s, ['a', 'B', 'ba', 'c', 'é', '日本', '\u{1F600}']);
  assertAscending(s, ['\uFF21', '\u{10400}']); // U+FF21 < U+10400 in code point (and UTF-8) order, unlike UTF-16
  const v = s.fromLdap(u8('Łódź Fabryczna'), ctx);
  assert.equal(s.substrings!(v, sub('łÓ', ['Ź F'], 'NA')), true);
  assert.equal(s.substrings!(v, sub(undefined, ['fabr'])), true);
  assert.equal(s.substrings!(v, sub('Fab', [])), false);
  assert.equal(s.substrings!(v, sub(undefined, ['fabryczna', 'ł'])), false, 'any pieces must come in order');
  assert.equal(s.substrings!(v, { any: [u8([0xff])] }), false);
  // the prepared pieces are cached per assertion and give the same answer again
  const q = sub('ŁÓ', []);
  assert.equal(s.substrings!(v, q), true);
  assert.equal(s.substrings!(s.fromLdap(u8('xyz'), ctx), q), false);
  assert.equal(s.assertion(u8(''), ctx), '', 'an empty assertion value is a value (matching nothing stored)');
});

test('String(Case) and the CaseString rule: case-sensitive, octet order, substrings', () => {
  const s = S('String(Case)');
  assertEqual(s, 'Abc', 'abc', false);
  assertEqual(s, 'Abc', 'Abc', true);
  assertAscending(s, ['ABC', 'Abc', 'a', 'ab', 'é', [0xff]]);
  const v = s.fromLdap(u8('FooBarBaz'), ctx);
  assert.equal(s.substrings!(v, sub('Foo', ['Bar'], 'Baz')), true);
  assert.equal(s.substrings!(v, sub('foo', [])), false);
  const raw = s.fromLdap(u8([0x41, 0xff, 0x42]), ctx);
  assert.ok(raw instanceof Uint8Array, 'invalid UTF-8 is kept as bytes');
  assert.equal(s.substrings!(raw, { initial: u8([0x41, 0xff]), any: [] }), true);
  assert.equal(s.substrings!(raw, { any: [], final: u8('B') }), true);
  for (const name of ['String(IA5)', 'String(Printable)', 'String(Numeric)']) {
    assert.equal(S(name).rule, RULES.CaseString);
  }
  assertEqual(S('String(IA5)'), 'Mail@X', 'mail@x', false);
  assertAscending(S('String(IA5)'), ['A', 'Z', 'a', 'z']);
  assertAscending(S('String(Numeric)'), [' 1', '1', '1 ', '12', '2']);
  assertEqual(S('String(Numeric)'), '12 34', '1234', false);
  assert.equal(S('String(Printable)').substrings!(S('String(Printable)').fromLdap(u8('Road 12'), ctx), sub('Road', [], '12')), true);
});

test('String(Teletex) and NoCaseString: ASCII case-insensitive, ordering on the folded value', () => {
  const s = S('String(Teletex)');
  assertEqual(s, 'Hello', 'hELLO', true);
  assertEqual(s, 'Hello', 'Hallo', false);
  assertAscending(s, ['abc', 'ABD', 'b', 'Z', '_']); // '_' (0x5F) sorts after 'Z' (0x5A)
  const v = s.fromLdap(u8('Teletex Terminal'), ctx);
  assert.equal(s.substrings!(v, sub('TELETEX', ['term'], 'AL')), true);
  assert.equal(s.substrings!(v, sub('x', [])), false);
  assert.equal(s.toLdap(v, ctx), 'Teletex Terminal', 'the value keeps its case');
});

test('Time rule: one-second granularity, fractions dropped, offsets applied, AD output forms', () => {
  const g = S('String(Generalized-Time)');
  assertEqual(g, '20010928060000.1Z', '20010928060000.9Z', true);
  assertEqual(g, '20010928060000Z', '20010928080000+0200', true);
  assertEqual(g, '20010928060000Z', '20010928060001Z', false);
  assertAscending(g, ['16010101000000.0Z', '19700101000000Z', '20010928060000.9Z', '20010928060001Z', '99991231235959Z']);
  const t = g.fromLdap(u8('19700101000000Z'), ctx);
  assert.equal(t, 11644473600, 'seconds since 1601');
  assert.equal(g.fromLdap(u8('16010101000000Z'), ctx), 0);
  const u = S('String(UTC-Time)');
  assert.equal(u.fromLdap(u8('700101000000Z'), ctx), 11644473600);
  assert.equal(u.toLdap(u.fromLdap(u8('491231235959Z'), ctx), ctx), '491231235959Z');
  assertAscending(u, ['500101000000Z', '991231235959Z', '000101000000Z', '491231235959Z']); // 1950 … 2049
  assert.equal(g.toLdap(u.fromLdap(u8('010928060000Z'), ctx), ctx), '20010928060000.0Z');
});

test('String(Sid): MS-DTYP structure checked, string helpers, string form in assertions, ordering and substrings', () => {
  const s = S('String(Sid)');
  const bin = sidFromString('S-1-5-21-3623811015-3361044348-30300820-1013')!;
  assert.equal(bin.length, 8 + 4 * 5);
  assert.equal(sidToString(bin), 'S-1-5-21-3623811015-3361044348-30300820-1013');
  assert.equal(sidToString(sidFromString('S-1-0x123456789ABC-7')!), 'S-1-0x123456789ABC-7');
  assert.equal(sidToString(sidFromString('s-1-1-0')!), 'S-1-1-0');
  assert.deepEqual([...sidFromString('S-1-5-18')!], [1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]);
  for (const bad of ['S-2-5-18', 'S-1', 'S-1-5-', 'S-1-5-x', 'S-1-5-4294967296', 'S-1-281474976710656-1', `S-1-5${'-1'.repeat(16)}`, 'X-1-5-18']) {
    assert.equal(trySidFromString(bad), undefined, bad);
    assert.throws(() => sidFromString(bad), isSyntaxError, bad);
  }
  const v = s.fromLdap(bin, ctx);
  assert.ok(Buffer.from(s.toLdap(v, ctx) as Uint8Array).equals(bin));
  // invalid binary SIDs
  const badRev = Buffer.from(bin);
  badRev[0] = 2;
  const tooMany = Buffer.alloc(8 + 4 * 16);
  tooMany[0] = 1;
  tooMany[1] = 16;
  const short = bin.subarray(0, bin.length - 1);
  const long = Buffer.concat([bin, Buffer.from([0])]);
  for (const bad of [badRev, tooMany, short, long, Buffer.alloc(0), Buffer.from([1, 0, 0, 0])]) {
    assert.throws(() => s.fromLdap(bad, ctx), isSyntaxError, bad.toString('hex'));
    assert.equal(s.assertion(bad, ctx), undefined);
  }
  // assertions: binary or string form
  assert.ok(eq(s, s.assertion(u8('S-1-5-21-3623811015-3361044348-30300820-1013'), ctx)!, v));
  assert.equal(s.assertion(u8('S-1-5-21-x'), ctx), undefined);
  assert.throws(() => s.fromLdap(u8('S-1-5-18'), ctx), isSyntaxError, 'writes take the binary form');
  // ordering byte-wise, substrings on the binary
  assertAscending(s, [[1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0], [1, 1, 0, 0, 0, 0, 0, 5, 19, 0, 0, 0], [1, 2, 0, 0, 0, 0, 0, 5, 1, 0, 0, 0, 1, 0, 0, 0]]);
  assert.equal(s.substrings!(v, { initial: bin.subarray(0, 12), any: [] }), true);
  assert.equal(s.substrings!(v, { initial: u8([1, 4]), any: [] }), false);
});

test('String(NT-Sec-Desc): self-relative header, offsets, SIDs and ACLs are checked; only "present" in filters', () => {
  const s = S('String(NT-Sec-Desc)');
  const v = s.fromLdap(SD, ctx);
  assert.ok(Buffer.from(s.toLdap(v, ctx) as Uint8Array).equals(SD));
  const mutate = (f: (b: Buffer) => void) => {
    const b = Buffer.from(SD);
    f(b);
    return b;
  };
  const bad: [string, Buffer][] = [
    ['short', SD.subarray(0, 19)],
    ['revision 2', mutate((b) => (b[0] = 2))],
    ['absolute form', mutate((b) => b.writeUInt16LE(0x0004, 2))],
    ['owner offset past the end', mutate((b) => b.writeUInt32LE(SD.length, 4))],
    ['owner offset inside the header', mutate((b) => b.writeUInt32LE(4, 4))],
    ['group SID bad revision', mutate((b) => (b[b.readUInt32LE(8)] = 9))],
    ['DACL size past the end', mutate((b) => b.writeUInt16LE(0xff00, b.readUInt32LE(16) + 2))],
    ['DACL revision', mutate((b) => (b[b.readUInt32LE(16)] = 7))],
    ['ACE size 0', mutate((b) => b.writeUInt16LE(0, b.readUInt32LE(16) + 8 + 2))],
    ['ACE count too high', mutate((b) => b.writeUInt16LE(2, b.readUInt32LE(16) + 4))],
    ['truncated', SD.subarray(0, SD.length - 4)],
  ];
  for (const [why, b] of bad) assert.throws(() => s.fromLdap(b, ctx), isSyntaxError, why);
  // a header-only descriptor (no owner, group, SACL or DACL) is valid
  assert.doesNotThrow(() => s.fromLdap(mutate((b) => b.fill(0, 4, 20)).subarray(0, 20), ctx));
  assert.equal(s.rule.equalityMatch, false);
  assert.equal(s.substrings, undefined);
});

test('String(Object-Identifier): numericoid or descr in, the four rules out', () => {
  const s = S('String(Object-Identifier)');
  const cn = s.fromLdap(u8('CN'), ctx);
  assert.equal(cn, '2.5.4.3', 'stored as the numericoid');
  assert.equal(s.toLdap(cn, ctx), 'cn', 'rule 3: names an attribute → descr');
  assert.equal(s.toLdap(s.fromLdap(u8('1.2.3.4'), ctx), ctx), '1.2.3.4', 'rule 4: names nothing → numericoid');
  assert.equal(s.toLdap(cn, ctx, { attribute: 'attributeID' }), '2.5.4.3', 'rule 2: attributeID → numericoid');
  assert.equal(s.toLdap(cn, ctx, { attribute: 'governsId' }), '2.5.4.3', 'rule 2: governsID → numericoid');
  assert.deepEqual([...(s.toLdap(cn, ctx, { binary: true, attribute: 'attributeID' }) as Uint8Array)], [0x06, 0x03, 0x55, 0x04, 0x03], 'rule 1: ;binary → BER');
  assert.equal(oidToBer('1.2.840.113556.1.1.1.11').toString('hex'), '060a2a864886f7140101010b');
  assert.equal(oidFromBerContent(Buffer.from('2a864886f7140101010b', 'hex')), '1.2.840.113556.1.1.1.11');
  assert.equal(oidFromBerContent(oidToBer('2.25.329800735698586629295641978511506172918').subarray(2)), '2.25.329800735698586629295641978511506172918');
  assertEqual(s, 'cn', '2.5.4.3', true);
  assertEqual(s, 'user', 'top', false);
  assert.equal(s.assertion(u8('nosuch'), ctx), undefined, 'an unknown descr in a filter is Undefined');
  assert.equal(s.assertion(u8('Top'), ctx), '2.5.6.0');
  assert.equal(s.rule.lessOrEqual, false);
  assert.equal(s.substrings, undefined);
});

// ---- object references ---------------------------------------------------------------

test('Object(DS-DN): keeps a DSName, follows renames, equality by object, Undefined for unknown DNs', () => {
  const s = S('Object(DS-DN)');
  const local = fakeContext();
  const v = s.fromLdap(u8('cn=alice, ou=people, dc=example, dc=com'), local) as DSName;
  assert.ok(Buffer.from(v.guid).equals(GUID_A));
  assert.ok(v.sid && Buffer.from(v.sid).equals(SID_A), 'the SID of the target is kept (3.1.1.1.6)');
  assert.equal(s.toLdap(v, local), 'CN=Alice,OU=People,DC=example,DC=com');
  local.rename(GUID_A, 'CN=Alice Smith,OU=Staff,DC=example,DC=com');
  assert.equal(s.toLdap(v, local), 'CN=Alice Smith,OU=Staff,DC=example,DC=com', 'the reference follows the rename');
  // equality: same object whatever the spelling, including the <GUID=…> form
  const byGuid = s.assertion(u8('<GUID=11111111-2222-3333-4444-555555555555>'), local)!;
  assert.ok(eq(s, v, byGuid));
  assert.ok(eq(s, v, s.assertion(u8('CN=ALICE SMITH,OU=STAFF,DC=EXAMPLE,DC=COM'), local)!));
  assert.ok(!eq(s, v, s.fromLdap(u8('CN=Bob,OU=People,DC=example,DC=com'), local)));
  // a DN naming no object: the write fails with the directory's error, the filter item is Undefined
  assert.throws(() => s.fromLdap(u8('CN=Nobody,DC=example,DC=com'), local), NoSuchObject);
  assert.equal(s.assertion(u8('CN=Nobody,DC=example,DC=com'), local), undefined);
  // a malformed DN is a syntax error
  for (const bad of ['CN=a,,DC=b', 'not a dn', '', 'CN=a<b', [0xff]]) {
    assert.throws(() => s.fromLdap(u8(bad), local), isSyntaxError, JSON.stringify(bad));
    assert.equal(s.assertion(u8(bad), local), undefined);
  }
  assert.equal(s.reference!(v), v);
  assert.equal(s.rule.name, 'DN');
  assert.equal(s.substrings, undefined);
});

test('Object(OR-Name): an object_DN compared by the DN-Binary rule', () => {
  const s = S('Object(OR-Name)');
  const v = s.fromLdap(u8('CN=Bob,OU=People,DC=example,DC=com'), ctx) as DSName;
  assert.ok(Buffer.from(v.guid).equals(GUID_B));
  assert.equal(s.toLdap(v, ctx), 'CN=Bob,OU=People,DC=example,DC=com');
  assert.ok(eq(s, v, s.assertion(u8('cn=bob,ou=people,dc=example,dc=com'), ctx)!));
});

test('Object(DN-Binary): B:count:hex:dn with count checks; equality needs same object and identical bytes', () => {
  const s = S('Object(DN-Binary)');
  const v = s.fromLdap(u8('B:8:a9d1ca15:CN=Alice,OU=People,DC=example,DC=com'), ctx) as DNBinary;
  assert.deepEqual([...v.binary], [0xa9, 0xd1, 0xca, 0x15]);
  assert.ok(Buffer.from(v.ref.guid).equals(GUID_A));
  assert.equal(s.toLdap(v, ctx), 'B:8:A9D1CA15:CN=Alice,OU=People,DC=example,DC=com', 'hex is returned upper case');
  const empty = s.fromLdap(u8('B:0::CN=Bob,OU=People,DC=example,DC=com'), ctx) as DNBinary;
  assert.equal(empty.binary.length, 0);
  assert.equal(s.toLdap(empty, ctx), 'B:0::CN=Bob,OU=People,DC=example,DC=com');
  // a DN containing ':' is fine, the count delimits the binary part
  assert.throws(() => s.fromLdap(u8('B:2:ab:CN=x:y,DC=nowhere'), ctx), NoSuchObject);
  for (const bad of [
    'B:7:a9d1ca1:CN=Alice,OU=People,DC=example,DC=com', // odd count
    'B:6:a9d1ca15:CN=Alice,OU=People,DC=example,DC=com', // count shorter than the hex
    'B:10:a9d1ca15:CN=Alice,OU=People,DC=example,DC=com', // count longer than the hex
    'B:4:zz11:CN=Alice,OU=People,DC=example,DC=com', // not hex
    'B:x:ab:CN=Alice,OU=People,DC=example,DC=com',
    'B::ab:CN=Alice,OU=People,DC=example,DC=com',
    'B:-2:ab:CN=Alice,OU=People,DC=example,DC=com',
    'S:2:ab:CN=Alice,OU=People,DC=example,DC=com',
    'b:2:ab:CN=Alice,OU=People,DC=example,DC=com',
    'B:2:ab',
    'B:2:ab:',
    'B:2:ab:not a dn',
    'CN=Alice,OU=People,DC=example,DC=com',
  ]) {
    assert.throws(() => s.fromLdap(u8(bad), ctx), isSyntaxError, bad);
    assert.equal(s.assertion(u8(bad), ctx), undefined, bad);
  }
  const same = s.assertion(u8('B:8:A9D1CA15:<GUID=11111111-2222-3333-4444-555555555555>'), ctx)!;
  assert.ok(eq(s, v, same), 'hex case does not matter; same object by GUID');
  assert.ok(!eq(s, v, s.fromLdap(u8('B:8:A9D1CA16:CN=Alice,OU=People,DC=example,DC=com'), ctx)));
  assert.ok(!eq(s, v, s.fromLdap(u8('B:10:A9D1CA1500:CN=Alice,OU=People,DC=example,DC=com'), ctx)), 'identical in length too');
  assert.ok(!eq(s, v, s.fromLdap(u8('B:8:A9D1CA15:CN=Bob,OU=People,DC=example,DC=com'), ctx)));
  assert.equal(s.reference!(v), v.ref);
});

test('Object(DN-String): S:count:string:dn, count in UTF-8 bytes; string compared case-insensitively', () => {
  const s = S('Object(DN-String)');
  const v = s.fromLdap(u8('S:5:Hello:CN=Alice,OU=People,DC=example,DC=com'), ctx) as DNString;
  assert.equal(v.str, 'Hello');
  assert.equal(s.toLdap(v, ctx), 'S:5:Hello:CN=Alice,OU=People,DC=example,DC=com');
  const multi = s.fromLdap(u8('S:7:Łódź:CN=Bob,OU=People,DC=example,DC=com'), ctx) as DNString; // Ł ó ź take two bytes each
  assert.equal(multi.str, 'Łódź');
  assert.equal(s.toLdap(multi, ctx), 'S:7:Łódź:CN=Bob,OU=People,DC=example,DC=com');
  const colon = s.fromLdap(u8('S:3:a:b:CN=Bob,OU=People,DC=example,DC=com'), ctx) as DNString;
  assert.equal(colon.str, 'a:b', 'the count delimits a string containing ":"');
  assert.equal(s.toLdap(colon, ctx), 'S:3:a:b:CN=Bob,OU=People,DC=example,DC=com');
  assert.equal((s.fromLdap(u8('S:0::CN=Bob,OU=People,DC=example,DC=com'), ctx) as DNString).str, '');
  for (const bad of [
    'S:4:Łódź:CN=Bob,OU=People,DC=example,DC=com', // 4 = characters, not bytes
    'S:4:Hello:CN=Alice,OU=People,DC=example,DC=com',
    'S:6:Hello:CN=Alice,OU=People,DC=example,DC=com',
    'S::Hello:CN=Alice,OU=People,DC=example,DC=com',
    'S:x:Hello:CN=Alice,OU=People,DC=example,DC=com',
    'B:5:Hello:CN=Alice,OU=People,DC=example,DC=com',
    'S:5:Hello:',
    'S:5:Hello',
  ]) {
    assert.throws(() => s.fromLdap(u8(bad), ctx), isSyntaxError, bad);
    assert.equal(s.assertion(u8(bad), ctx), undefined, bad);
  }
  assert.ok(eq(s, v, s.assertion(u8('S:5:hELLO:cn=alice,ou=people,dc=example,dc=com'), ctx)!), 'UnicodeString rule on string_value');
  assert.ok(!eq(s, v, s.fromLdap(u8('S:5:Hallo:CN=Alice,OU=People,DC=example,DC=com'), ctx)));
  assert.ok(!eq(s, v, s.fromLdap(u8('S:5:Hello:CN=Bob,OU=People,DC=example,DC=com'), ctx)));
});

test('Object(Access-Point): address#X500:dn; address compared case-insensitively, dn by object', () => {
  const s = S('Object(Access-Point)');
  const v = s.fromLdap(u8('"3"/NS+a433#X500:CN=Alice,OU=People,DC=example,DC=com'), ctx) as AccessPoint;
  assert.equal(v.address, '"3"/NS+a433');
  assert.equal(s.toLdap(v, ctx), '"3"/NS+a433#X500:CN=Alice,OU=People,DC=example,DC=com');
  assert.ok(eq(s, v, s.assertion(u8('"3"/ns+A433#X500:<GUID=11111111-2222-3333-4444-555555555555>'), ctx)!));
  assert.ok(!eq(s, v, s.fromLdap(u8('"3"/NS+a434#X500:CN=Alice,OU=People,DC=example,DC=com'), ctx)));
  assert.ok(!eq(s, v, s.fromLdap(u8('"3"/NS+a433#X500:CN=Bob,OU=People,DC=example,DC=com'), ctx)));
  for (const bad of ['no separator', 'addr#X500:', 'addr#X500:bad dn', 'addr#x500:CN=Alice,OU=People,DC=example,DC=com']) {
    assert.throws(() => s.fromLdap(u8(bad), ctx), isSyntaxError, bad);
  }
});

test('Object(Presentation-Address): same length and content, no ordering in filters', () => {
  const s = S('Object(Presentation-Address)');
  assertEqual(s, 'Abc', 'abc', false);
  assertEqual(s, 'Abc', 'Abc', true);
  assert.equal(s.rule.lessOrEqual, false);
  assert.equal(s.substrings, undefined);
});

test('malformed assertion values never throw: every syntax answers undefined', () => {
  const junk = [u8([0xff, 0xfe, 0x00]), u8('<GUID=zzz>'), u8('B:1:'), u8('S:99999999999:'), u8('-'), u8('\u0000')];
  for (const s of SYNTAXES) {
    for (const j of junk) {
      let r: StoredValue | undefined;
      assert.doesNotThrow(() => (r = s.assertion(j, ctx)), s.name);
      // where a syntax accepts arbitrary bytes (Octet, Case, Presentation-Address, IA5…) the value is a real value
      if (r !== undefined) assert.doesNotThrow(() => s.normalize(r!), s.name);
    }
  }
});

test('stored values are plain data: no undefined keys, byte arrays not aliasing the request', () => {
  const input = u8('B:4:abcd:CN=Alice,OU=People,DC=example,DC=com');
  const v = S('Object(DN-Binary)').fromLdap(input, ctx) as DNBinary;
  for (const [k, x] of Object.entries(v.ref)) assert.notEqual(x, undefined, k);
  const octIn = u8([1, 2, 3]);
  const oct = S('String(Octet)').fromLdap(octIn, ctx) as Uint8Array;
  octIn[0] = 9;
  assert.equal(oct[0], 1, 'the stored value is a copy');
  const bob = S('Object(DS-DN)').fromLdap(u8('CN=Bob,OU=People,DC=example,DC=com'), ctx) as DSName;
  assert.equal('sid' in bob, false, 'no SID key when the target has no objectSid');
});
