import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  parseFilter,
  printFilter,
  escapeFilterValue,
  encodeFilter,
  decodeFilter,
  MAX_FILTER_DEPTH,
  FilterSyntaxError,
  BerError,
  type Filter,
} from '../../src/ldap/protocol/index.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function plain<T>(v: T): T {
  if (Buffer.isBuffer(v) || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(plain) as T;
  const o: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) o[k] = plain(x);
  return o as T;
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof BerError) return e.code;
    if (e instanceof FilterSyntaxError) return e.code;
    assert.fail(`unexpected error type ${String(e)}`);
  }
  assert.fail('expected an error');
}

test('parse: the brief example and RFC 4515 section 4 examples', () => {
  assert.deepEqual(parseFilter('(&(objectClass=user)(cn=a*b))'), {
    type: 'and',
    filters: [
      { type: 'equalityMatch', attribute: 'objectClass', value: b('user') },
      { type: 'substrings', attribute: 'cn', initial: b('a'), any: [], final: b('b') },
    ],
  });
  assert.deepEqual(parseFilter('(cn=Babs Jensen)'), { type: 'equalityMatch', attribute: 'cn', value: b('Babs Jensen') });
  assert.deepEqual(parseFilter('(!(cn=Tim Howes))'), { type: 'not', filter: { type: 'equalityMatch', attribute: 'cn', value: b('Tim Howes') } });
  assert.deepEqual(parseFilter('(&(objectClass=Person)(|(sn=Jensen)(cn=Babs J*)))'), {
    type: 'and',
    filters: [
      { type: 'equalityMatch', attribute: 'objectClass', value: b('Person') },
      {
        type: 'or',
        filters: [
          { type: 'equalityMatch', attribute: 'sn', value: b('Jensen') },
          { type: 'substrings', attribute: 'cn', initial: b('Babs J'), any: [] },
        ],
      },
    ],
  });
  assert.deepEqual(parseFilter('(o=univ*of*mich*)'), { type: 'substrings', attribute: 'o', initial: b('univ'), any: [b('of'), b('mich')] });
  assert.deepEqual(parseFilter('(seeAlso=)'), { type: 'equalityMatch', attribute: 'seeAlso', value: b('') });
  assert.deepEqual(parseFilter('(cn:caseExactMatch:=Fred Flintstone)'), {
    type: 'extensibleMatch',
    attribute: 'cn',
    matchingRule: 'caseExactMatch',
    value: b('Fred Flintstone'),
    dnAttributes: false,
  });
  assert.deepEqual(parseFilter('(cn:=Betty Rubble)'), { type: 'extensibleMatch', attribute: 'cn', value: b('Betty Rubble'), dnAttributes: false });
  assert.deepEqual(parseFilter('(sn:dn:2.4.6.8.10:=Barney Rubble)'), {
    type: 'extensibleMatch',
    attribute: 'sn',
    matchingRule: '2.4.6.8.10',
    value: b('Barney Rubble'),
    dnAttributes: true,
  });
  assert.deepEqual(parseFilter('(o:dn:=Ace Industry)'), { type: 'extensibleMatch', attribute: 'o', value: b('Ace Industry'), dnAttributes: true });
  assert.deepEqual(parseFilter('(:1.2.3:=Wilma Flintstone)'), { type: 'extensibleMatch', matchingRule: '1.2.3', value: b('Wilma Flintstone'), dnAttributes: false });
  assert.deepEqual(parseFilter('(:DN:2.4.6.8.10:=Dino)'), { type: 'extensibleMatch', matchingRule: '2.4.6.8.10', value: b('Dino'), dnAttributes: true });
  assert.deepEqual(parseFilter('(o=Parens R Us \\28for all your parenthetical needs\\29)').type, 'equalityMatch');
  assert.deepEqual(parseFilter('(o=Parens R Us \\28for all your parenthetical needs\\29)'), {
    type: 'equalityMatch',
    attribute: 'o',
    value: b('Parens R Us (for all your parenthetical needs)'),
  });
  assert.deepEqual(parseFilter('(cn=*\\2A*)'), { type: 'substrings', attribute: 'cn', any: [b('*')] });
  assert.deepEqual(parseFilter('(filename=C:\\5cMyFile)'), { type: 'equalityMatch', attribute: 'filename', value: b('C:\\MyFile') });
  assert.deepEqual(parseFilter('(bin=\\00\\00\\00\\04)'), { type: 'equalityMatch', attribute: 'bin', value: hex('00000004') });
  assert.deepEqual(parseFilter('(sn=Lu\\c4\\8di\\c4\\87)'), { type: 'equalityMatch', attribute: 'sn', value: b('Lučić') });
  assert.deepEqual(parseFilter('(1.3.6.1.4.1.1466.0=\\04\\02\\48\\69)'), { type: 'equalityMatch', attribute: '1.3.6.1.4.1.1466.0', value: hex('04024869') });
});

test('parse: AD bitwise matching rule, present, comparisons, bare item', () => {
  assert.deepEqual(parseFilter('(userAccountControl:1.2.840.113556.1.4.803:=2)'), {
    type: 'extensibleMatch',
    attribute: 'userAccountControl',
    matchingRule: '1.2.840.113556.1.4.803',
    value: b('2'),
    dnAttributes: false,
  });
  assert.deepEqual(parseFilter('(objectClass=*)'), { type: 'present', attribute: 'objectClass' });
  assert.deepEqual(parseFilter('(uSNChanged>=100)'), { type: 'greaterOrEqual', attribute: 'uSNChanged', value: b('100') });
  assert.deepEqual(parseFilter('(uSNChanged<=100)'), { type: 'lessOrEqual', attribute: 'uSNChanged', value: b('100') });
  assert.deepEqual(parseFilter('(cn~=smith)'), { type: 'approxMatch', attribute: 'cn', value: b('smith') });
  assert.deepEqual(parseFilter('cn=x'), { type: 'equalityMatch', attribute: 'cn', value: b('x') });
  assert.deepEqual(parseFilter('(&)'), { type: 'and', filters: [] });
  assert.deepEqual(parseFilter('(cn;lang-en=x)'), { type: 'equalityMatch', attribute: 'cn;lang-en', value: b('x') });
});

test('parse: syntax errors are FilterSyntaxError', () => {
  for (const bad of ['(cn=a', '(cn=a))', '(&(cn=a)', '(cn~a)', '(cn=\\zz)', '(cn=\\2)', '(=a)', '(cn>=a*b)', '(:=x)', '(cn=a(b)', '()', '(cn=**)', '(!(a=b)(c=d))', '(cn:dn:x:y:=z)']) {
    assert.equal(code(() => parseFilter(bad)), 'ERR_FILTER_SYNTAX', bad);
  }
});

test('print: escapes per RFC 4515 and keeps valid UTF-8 readable', () => {
  assert.equal(printFilter(parseFilter('(&(objectClass=user)(cn=a*b))')), '(&(objectClass=user)(cn=a*b))');
  assert.equal(escapeFilterValue(b('a*b(c)\\d')), 'a\\2ab\\28c\\29\\5cd');
  assert.equal(escapeFilterValue(hex('00ff41')), '\\00\\ffA');
  assert.equal(escapeFilterValue('Lučić'), 'Lučić');
  assert.equal(
    printFilter({ type: 'extensibleMatch', attribute: 'sn', matchingRule: '2.4.6.8.10', value: b('x'), dnAttributes: true }),
    '(sn:dn:2.4.6.8.10:=x)',
  );
  assert.equal(printFilter({ type: 'substrings', attribute: 'o', initial: b('univ'), any: [b('of')], final: b('mich') }), '(o=univ*of*mich)');
  assert.throws(() => printFilter({ type: 'unknown', tag: 0x8b, value: b('') }), FilterSyntaxError);
});

test('BER known answers (RFC 4511 4.5.1)', () => {
  assert.deepEqual(encodeFilter(parseFilter('(cn=a)')), hex('a307 0402636e 040161'));
  assert.deepEqual(encodeFilter(parseFilter('(cn=*)')), hex('8702636e'));
  assert.deepEqual(encodeFilter(parseFilter('(cn=a*b*c)')), hex('a40f 0402636e 3009 800161 810162 820163'));
  assert.deepEqual(encodeFilter(parseFilter('(!(cn=*))')), hex('a204 8702636e'));
  assert.deepEqual(
    encodeFilter(parseFilter('(userAccountControl:1.2.840.113556.1.4.803:=2)')),
    Buffer.concat([hex('a92f 8116'), b('1.2.840.113556.1.4.803'), hex('8212'), b('userAccountControl'), hex('830132')]),
  );
  assert.deepEqual(encodeFilter(parseFilter('(o:dn:=x)')), hex('a909 82016f 830178 8401ff'));
});

test('BER malformed filters raise typed errors', () => {
  assert.equal(code(() => decodeFilter(hex('0402636e'))), 'ERR_LDAP_BAD_FILTER');
  assert.equal(code(() => decodeFilter(hex('a40c 0402636e 3006 810161 800162'))), 'ERR_LDAP_BAD_SUBSTRING'); // initial not first
  assert.equal(code(() => decodeFilter(hex('a40c 0402636e 3006 820161 810162'))), 'ERR_LDAP_BAD_SUBSTRING'); // final not last
  assert.equal(code(() => decodeFilter(hex('a406 0402636e 3000'))), 'ERR_LDAP_BAD_SUBSTRING'); // empty
  assert.equal(code(() => decodeFilter(hex('a409 0402636e 3003 830161'))), 'ERR_LDAP_BAD_SUBSTRING');
  assert.equal(code(() => decodeFilter(hex('a305 0402636e 04'))), 'ERR_BER_TRUNCATED');
  assert.equal(code(() => decodeFilter(hex('a903 810161'))), 'ERR_BER_TRUNCATED'); // matchValue missing
  assert.equal(code(() => decodeFilter(hex('8702636e 00'))), 'ERR_BER_TRAILING_DATA');
  assert.equal(code(() => decodeFilter(hex('a208 8702636e 8702636e'))), 'ERR_BER_TRAILING_DATA'); // not with two children
  // unknown context-specific choice is preserved (evaluated as Undefined by the server)
  assert.deepEqual(decodeFilter(hex('8b0178')), { type: 'unknown', tag: 0x8b, value: b('x') });
  assert.deepEqual(encodeFilter(decodeFilter(hex('8b0178'))), hex('8b0178'));
});

test(`nesting is capped at ${MAX_FILTER_DEPTH} in decoder, encoder and parser`, () => {
  const nest = (depth: number): Filter => {
    let f: Filter = { type: 'present', attribute: 'cn' };
    for (let i = 1; i < depth; i++) f = { type: i % 2 ? 'not' : 'and', ...(i % 2 ? { filter: f } : { filters: [f] }) } as Filter;
    return f;
  };
  const ok = nest(MAX_FILTER_DEPTH);
  assert.deepEqual(decodeFilter(encodeFilter(ok)), ok);
  assert.deepEqual(parseFilter(printFilter(ok)), ok);
  const deep = nest(MAX_FILTER_DEPTH + 1);
  assert.equal(code(() => encodeFilter(deep)), 'ERR_LDAP_FILTER_TOO_DEEP');
  assert.equal(code(() => parseFilter('(!'.repeat(MAX_FILTER_DEPTH) + '(cn=*)' + ')'.repeat(MAX_FILTER_DEPTH))), 'ERR_FILTER_SYNTAX');
  // hand-built BER 10000 levels deep: typed error, no stack overflow
  let ber = hex('8702636e');
  for (let i = 0; i < 10000; i++) {
    const n = ber.length;
    const len = n < 128 ? [n] : n < 256 ? [0x81, n] : n < 65536 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
    ber = Buffer.concat([Buffer.from([0xa2, ...len]), ber]);
  }
  assert.equal(code(() => decodeFilter(ber)), 'ERR_LDAP_FILTER_TOO_DEEP');
});

// -------------------------------------------------------------- properties

const attr = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9-]{0,10}(;[a-z]{1,5})?$/);
const oid = fc.array(fc.integer({ min: 0, max: 99999 }), { minLength: 2, maxLength: 8 }).map((a) => a.join('.'));
const value = fc.oneof(
  fc.uint8Array({ maxLength: 16 }).map((a) => Buffer.from(a)),
  fc.string({ unit: 'grapheme', maxLength: 10 }).map((s) => Buffer.from(s, 'utf8')),
);
const nevalue = value.filter((v) => v.length > 0);

const filterArb: fc.Arbitrary<Filter> = fc.letrec<{ f: Filter }>((tie) => ({
  f: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    attr.map((attribute): Filter => ({ type: 'present', attribute })),
    fc
      .tuple(fc.constantFrom('equalityMatch' as const, 'greaterOrEqual' as const, 'lessOrEqual' as const, 'approxMatch' as const), attr, value)
      .map(([type, attribute, v]): Filter => ({ type, attribute, value: v })),
    fc
      .tuple(attr, fc.option(nevalue, { nil: undefined }), fc.array(nevalue, { maxLength: 3 }), fc.option(nevalue, { nil: undefined }))
      .filter(([, i, a, f]) => i !== undefined || f !== undefined || a.length > 0)
      .map(([attribute, initial, any, final]): Filter => {
        const f: Filter = { type: 'substrings', attribute, any };
        if (initial) f.initial = initial;
        if (final) f.final = final;
        return f;
      }),
    fc
      .tuple(fc.option(oid, { nil: undefined }), fc.option(attr, { nil: undefined }), value, fc.boolean())
      .filter(([r, a]) => r !== undefined || a !== undefined)
      .map(([rule, attribute, v, dn]): Filter => {
        const f: Filter = { type: 'extensibleMatch', value: v, dnAttributes: dn };
        if (rule !== undefined) f.matchingRule = rule;
        if (attribute !== undefined) f.attribute = attribute;
        return f;
      }),
    fc.tuple(fc.constantFrom('and' as const, 'or' as const), fc.array(tie('f'), { maxLength: 4 })).map(([type, filters]): Filter => ({ type, filters })),
    tie('f').map((filter): Filter => ({ type: 'not', filter })),
  ),
})).f;

test('BER round-trip of arbitrary filters (property)', () => {
  fc.assert(
    fc.property(filterArb, (f) => {
      const enc = encodeFilter(f);
      const dec = decodeFilter(enc);
      assert.deepEqual(plain(dec), plain(f));
      assert.deepEqual(encodeFilter(dec), enc);
    }),
    { numRuns: 2000 },
  );
});

test('string round-trip: parseFilter(printFilter(f)) equals f (property)', () => {
  fc.assert(
    fc.property(filterArb, (f) => {
      const s = printFilter(f);
      assert.deepEqual(plain(parseFilter(s)), plain(f), s);
    }),
    { numRuns: 2000 },
  );
});

test('parser never throws anything but FilterSyntaxError on junk (property)', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom('(', ')', '&', '|', '!', '=', '*', '~', '<', '>', ':', '\\', 'a', '2', 'd', 'n', '.', ' '), maxLength: 30 }), (s) => {
      try {
        const f = parseFilter(s);
        assert.deepEqual(plain(parseFilter(printFilter(f))), plain(f));
      } catch (e) {
        assert.ok(e instanceof FilterSyntaxError, String(e));
      }
    }),
    { numRuns: 5000 },
  );
});
