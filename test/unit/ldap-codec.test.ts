import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeMessage,
  encodeMessage,
  writeMessage,
  noticeOfDisconnection,
  BerError,
  LdapProtocolError,
  NOTICE_OF_DISCONNECTION_OID,
  START_TLS_OID,
  WHO_AM_I_OID,
  FAST_BIND_OID,
  ResultCode,
  resultCodeName,
  LdapError,
  NoSuchObjectError,
  ReferralError,
  ldapErrorFromCode,
  type LdapMessage,
  type ProtocolOp,
  type Filter,
  type Control,
} from '../../src/ldap/protocol/index.js';
import { BerWriter } from '../../src/ber/writer.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const b = (s: string): Buffer => Buffer.from(s, 'utf8');

/** Hand TLV assembly, independent of BerWriter (short/long definite lengths). */
function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  const len = n < 128 ? [n] : n < 256 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
}
const str = (tag: number, s: string): Buffer => tlv(tag, b(s));
const int = (tag: number, v: number): Buffer => tlv(tag, Buffer.from([v]));

/** fast-check records have a null prototype; rebuild plain objects (Buffers kept). */
export function plain<T>(v: T): T {
  if (Buffer.isBuffer(v) || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(plain) as T;
  const o: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) o[k] = plain(x);
  return o as T;
}

function berCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof BerError, `expected BerError, got ${String(e)}`);
    return e.code;
  }
  assert.fail('expected a BerError');
}

// ------------------------------------------------------------ known answers

test('KAT: simple BindRequest (RFC 4511 4.2)', () => {
  const bytes = hex('3012 020101 600d 020103 0404 636e3d61 8002 7077');
  const msg: LdapMessage = {
    messageID: 1,
    protocolOp: { type: 'bindRequest', version: 3, name: 'cn=a', authentication: { method: 'simple', password: b('pw') } },
    controls: [],
  };
  assert.deepEqual(encodeMessage(msg), bytes);
  assert.deepEqual(decodeMessage(bytes), msg);
});

test('KAT: SASL BindRequest with and without credentials', () => {
  const withCreds = tlv(0x30, int(0x02, 2), tlv(0x60, int(0x02, 3), str(0x04, ''), tlv(0xa3, str(0x04, 'GSS-SPNEGO'), tlv(0x04, hex('6082')))));
  const m = decodeMessage(withCreds);
  assert.deepEqual(m.protocolOp, {
    type: 'bindRequest',
    version: 3,
    name: '',
    authentication: { method: 'sasl', mechanism: 'GSS-SPNEGO', credentials: hex('6082') },
  });
  assert.deepEqual(encodeMessage(m), withCreds);
  const noCreds = tlv(0x30, int(0x02, 2), tlv(0x60, int(0x02, 3), str(0x04, ''), tlv(0xa3, str(0x04, 'EXTERNAL'))));
  assert.deepEqual(decodeMessage(noCreds).protocolOp, {
    type: 'bindRequest',
    version: 3,
    name: '',
    authentication: { method: 'sasl', mechanism: 'EXTERNAL' },
  });
});

test('KAT: unknown AuthenticationChoice (e.g. Sicily [9]) is kept, not fatal', () => {
  const bytes = tlv(0x30, int(0x02, 4), tlv(0x60, int(0x02, 3), str(0x04, ''), tlv(0x89, hex('0102'))));
  const m = decodeMessage(bytes);
  assert.deepEqual(m.protocolOp, { type: 'bindRequest', version: 3, name: '', authentication: { method: 'other', tag: 0x89, value: hex('0102') } });
  assert.deepEqual(encodeMessage(m), bytes);
});

test('KAT: BindResponse, UnbindRequest, DelRequest, AbandonRequest', () => {
  const ok = hex('300c 020101 6107 0a0100 0400 0400');
  assert.deepEqual(decodeMessage(ok).protocolOp, { type: 'bindResponse', resultCode: 0, matchedDN: '', diagnosticMessage: '' });
  assert.deepEqual(
    encodeMessage({ messageID: 1, protocolOp: { type: 'bindResponse', resultCode: 0, matchedDN: '', diagnosticMessage: '' } }),
    ok,
  );
  const sasl = hex('3012 020101 610d 0a010e 0400 0400 8704 a1020a00');
  assert.deepEqual(decodeMessage(sasl).protocolOp, {
    type: 'bindResponse',
    resultCode: 14,
    matchedDN: '',
    diagnosticMessage: '',
    serverSaslCreds: hex('a1020a00'),
  });
  assert.deepEqual(decodeMessage(hex('3005 020103 4200')).protocolOp, { type: 'unbindRequest' });
  assert.deepEqual(encodeMessage({ messageID: 3, protocolOp: { type: 'unbindRequest' } }), hex('3005 020103 4200'));
  assert.deepEqual(encodeMessage({ messageID: 5, protocolOp: { type: 'delRequest', entry: 'dc=x' } }), hex('3009 020105 4a04 64633d78'));
  assert.deepEqual(decodeMessage(hex('3009 020105 4a04 64633d78')).protocolOp, { type: 'delRequest', entry: 'dc=x' });
  assert.deepEqual(encodeMessage({ messageID: 6, protocolOp: { type: 'abandonRequest', messageID: 5 } }), hex('3006 020106 500105'));
  assert.deepEqual(decodeMessage(hex('3006 020106 500105')).protocolOp, { type: 'abandonRequest', messageID: 5 });
});

test('KAT: SearchRequest with all fields, (&(objectClass=user)(cn=a*b)) and controls', () => {
  const filter = tlv(
    0xa0,
    tlv(0xa3, str(0x04, 'objectClass'), str(0x04, 'user')),
    tlv(0xa4, str(0x04, 'cn'), tlv(0x30, str(0x80, 'a'), str(0x82, 'b'))),
  );
  const bytes = tlv(
    0x30,
    int(0x02, 7),
    tlv(
      0x63,
      str(0x04, 'dc=example,dc=com'),
      int(0x0a, 2),
      int(0x0a, 3),
      int(0x02, 100),
      int(0x02, 30),
      hex('010100'),
      filter,
      tlv(0x30, str(0x04, 'cn'), str(0x04, 'objectGUID')),
    ),
    tlv(0xa0, tlv(0x30, str(0x04, '1.2.840.113556.1.4.417'), hex('0101ff')), tlv(0x30, str(0x04, '1.2.840.113556.1.4.319'), tlv(0x04, hex('3005 020164 0400')))),
  );
  const expected: LdapMessage = {
    messageID: 7,
    protocolOp: {
      type: 'searchRequest',
      baseObject: 'dc=example,dc=com',
      scope: 2,
      derefAliases: 3,
      sizeLimit: 100,
      timeLimit: 30,
      typesOnly: false,
      filter: {
        type: 'and',
        filters: [
          { type: 'equalityMatch', attribute: 'objectClass', value: b('user') },
          { type: 'substrings', attribute: 'cn', initial: b('a'), any: [], final: b('b') },
        ],
      },
      attributes: ['cn', 'objectGUID'],
    },
    controls: [
      { type: '1.2.840.113556.1.4.417', critical: true },
      { type: '1.2.840.113556.1.4.319', critical: false, value: hex('3005 020164 0400') },
    ],
  };
  assert.deepEqual(decodeMessage(bytes), expected);
  assert.deepEqual(encodeMessage(expected), bytes);
});

test('KAT: SearchResultEntry accepts string or Buffer values with identical bytes', () => {
  const bytes = tlv(
    0x30,
    int(0x02, 2),
    tlv(0x64, str(0x04, 'cn=a'), tlv(0x30, tlv(0x30, str(0x04, 'cn'), tlv(0x31, str(0x04, 'a'), str(0x04, 'é'))))),
  );
  const asStrings = encodeMessage({
    messageID: 2,
    protocolOp: { type: 'searchResultEntry', objectName: 'cn=a', attributes: [{ type: 'cn', values: ['a', 'é'] }] },
  });
  assert.deepEqual(asStrings, bytes);
  assert.deepEqual(decodeMessage(bytes).protocolOp, {
    type: 'searchResultEntry',
    objectName: 'cn=a',
    attributes: [{ type: 'cn', values: [b('a'), b('é')] }],
  });
});

test('KAT: ModifyDNRequest with newSuperior, ExtendedRequest/Response, Notice of Disconnection', () => {
  const moddn = tlv(0x30, int(0x02, 9), tlv(0x6c, str(0x04, 'cn=a,dc=x'), str(0x04, 'cn=b'), hex('0101ff'), str(0x80, 'ou=y,dc=x')));
  assert.deepEqual(decodeMessage(moddn).protocolOp, {
    type: 'modifyDNRequest',
    entry: 'cn=a,dc=x',
    newrdn: 'cn=b',
    deleteoldrdn: true,
    newSuperior: 'ou=y,dc=x',
  });
  assert.deepEqual(encodeMessage(decodeMessage(moddn)), moddn);

  const startTls = tlv(0x30, int(0x02, 1), tlv(0x77, str(0x80, START_TLS_OID)));
  assert.deepEqual(decodeMessage(startTls).protocolOp, { type: 'extendedRequest', requestName: START_TLS_OID });

  const nod = encodeMessage(noticeOfDisconnection(ResultCode.protocolError, 'bad PDU'));
  assert.deepEqual(nod, tlv(0x30, hex('020100'), tlv(0x78, hex('0a0102'), str(0x04, ''), str(0x04, 'bad PDU'), str(0x8a, NOTICE_OF_DISCONNECTION_OID))));
  assert.equal(WHO_AM_I_OID, '1.3.6.1.4.1.4203.1.11.3');
  assert.equal(FAST_BIND_OID, '1.2.840.113556.1.4.1781');
});

test('KAT: LDAPResult with referral, SearchResultReference, IntermediateResponse', () => {
  const done = tlv(0x30, int(0x02, 3), tlv(0x65, int(0x0a, 10), str(0x04, ''), str(0x04, ''), tlv(0xa3, str(0x04, 'ldap://a/dc=x'))));
  assert.deepEqual(decodeMessage(done).protocolOp, {
    type: 'searchResultDone',
    resultCode: 10,
    matchedDN: '',
    diagnosticMessage: '',
    referral: ['ldap://a/dc=x'],
  });
  assert.deepEqual(encodeMessage(decodeMessage(done)), done);
  const ref = tlv(0x30, int(0x02, 3), tlv(0x73, str(0x04, 'ldap://b/'), str(0x04, 'ldap://c/')));
  assert.deepEqual(decodeMessage(ref).protocolOp, { type: 'searchResultReference', uris: ['ldap://b/', 'ldap://c/'] });
  const inter = tlv(0x30, int(0x02, 3), tlv(0x79, str(0x80, '1.2.3'), tlv(0x81, hex('00ff'))));
  assert.deepEqual(decodeMessage(inter).protocolOp, { type: 'intermediateResponse', responseName: '1.2.3', responseValue: hex('00ff') });
  assert.deepEqual(encodeMessage(decodeMessage(inter)), inter);
});

test('Windows-style 4-octet lengths decode to the same message', () => {
  // 30 84 00000012 ... with every constructed length in 0x84 form
  const bytes = hex('30840000001a 020101 608400000011 020103 04840000000463 6e3d61 8002 7077'.replace(/ /g, ''));
  const m = decodeMessage(bytes);
  assert.deepEqual(m.protocolOp, { type: 'bindRequest', version: 3, name: 'cn=a', authentication: { method: 'simple', password: b('pw') } });
});

test('large entries (>64 KiB) use long-form lengths and round-trip', () => {
  const big = Buffer.alloc(70000, 0x41);
  const msg: LdapMessage = {
    messageID: 99,
    protocolOp: { type: 'searchResultEntry', objectName: 'cn=big', attributes: [{ type: 'jpegPhoto', values: [big, big.subarray(0, 200)] }] },
    controls: [],
  };
  const enc = encodeMessage(msg);
  assert.equal(enc[0], 0x30);
  assert.equal(enc[1], 0x83);
  assert.deepEqual(decodeMessage(enc), msg);
});

test('writeMessage batches several messages into one buffer', () => {
  const w = new BerWriter(16);
  const a: LdapMessage = { messageID: 1, protocolOp: { type: 'delResponse', resultCode: 0, matchedDN: '', diagnosticMessage: '' } };
  const c: LdapMessage = { messageID: 2, protocolOp: { type: 'delRequest', entry: 'x' } };
  writeMessage(w, a);
  writeMessage(w, c);
  assert.deepEqual(w.toBuffer(), Buffer.concat([encodeMessage(a), encodeMessage(c)]));
});

// ------------------------------------------------------------ malformed input

test('malformed PDUs raise typed errors with codes', () => {
  const valid = hex('3012 020101 600d 020103 0404 636e3d61 8002 7077');
  for (let n = 0; n < valid.length; n++) {
    assert.ok(berCode(() => decodeMessage(valid.subarray(0, n))).startsWith('ERR_BER_'), `truncated at ${n}`);
  }
  assert.equal(berCode(() => decodeMessage(Buffer.concat([valid, hex('00')]))), 'ERR_BER_TRAILING_DATA');
  assert.equal(berCode(() => decodeMessage(hex('3105 020101 4200'))), 'ERR_BER_UNEXPECTED_TAG');
  assert.equal(berCode(() => decodeMessage(hex('3005 020101 5100'))), 'ERR_LDAP_UNKNOWN_OPERATION');
  assert.equal(berCode(() => decodeMessage(hex('3005 0201ff 4200'))), 'ERR_BER_INTEGER_RANGE');
  assert.equal(berCode(() => decodeMessage(hex('3009 02058000000000 4200'))), 'ERR_BER_INTEGER_RANGE');
  assert.equal(berCode(() => decodeMessage(hex('3006 020101 420100'))), 'ERR_BER_INVALID_NULL');
  assert.equal(berCode(() => decodeMessage(hex('3080 020101 4200 0000'))), 'ERR_BER_INDEFINITE_LENGTH');
  assert.equal(berCode(() => decodeMessage(hex('3012 020101 600d 020100 0404 636e3d61 8002 7077'))), 'ERR_BER_INTEGER_RANGE');
  assert.equal(
    berCode(() => decodeMessage(tlv(0x30, int(0x02, 1), tlv(0x60, int(0x02, 3), str(0x04, ''), str(0x04, 'x'))))),
    'ERR_LDAP_BAD_AUTH_CHOICE',
  );
  // scope 5 is not in the enumeration
  const badScope = tlv(
    0x30,
    int(0x02, 4),
    tlv(0x63, str(0x04, ''), int(0x0a, 5), int(0x0a, 0), int(0x02, 0), int(0x02, 0), hex('010100'), str(0x87, 'cn'), tlv(0x30)),
  );
  assert.equal(berCode(() => decodeMessage(badScope)), 'ERR_LDAP_BAD_ENUM');
});

test('decode errors carry the messageID once it is known', () => {
  try {
    decodeMessage(hex('3005 02012a 5100'));
    assert.fail('no error');
  } catch (e) {
    assert.ok(e instanceof LdapProtocolError);
    assert.equal(e.messageID, 42);
  }
  try {
    decodeMessage(hex('3003 0201'));
    assert.fail('no error');
  } catch (e) {
    assert.ok(e instanceof BerError);
    assert.equal(e.messageID, -1);
  }
});

test('filter nesting deeper than 100 is rejected inside a SearchRequest', () => {
  const search = (depth: number): Buffer => {
    let f = str(0x87, 'cn');
    for (let i = 1; i < depth; i++) f = tlv(0xa2, f);
    return tlv(0x30, int(0x02, 1), tlv(0x63, str(0x04, ''), int(0x0a, 0), int(0x0a, 0), int(0x02, 0), int(0x02, 0), hex('010100'), f, tlv(0x30)));
  };
  assert.equal(decodeMessage(search(100)).protocolOp.type, 'searchRequest');
  assert.equal(berCode(() => decodeMessage(search(101))), 'ERR_LDAP_FILTER_TOO_DEEP');
});

// ------------------------------------------------------------ result codes / errors

test('result codes and typed LdapError per code', () => {
  assert.equal(ResultCode.success, 0);
  assert.equal(ResultCode.other, 80);
  assert.equal(ResultCode.noSuchObject, 32);
  assert.equal(resultCodeName(49), 'invalidCredentials');
  assert.equal(resultCodeName(999), 'unknown(999)');
  const e = ldapErrorFromCode(32, 'no such entry', 'dc=x');
  assert.ok(e instanceof NoSuchObjectError && e instanceof LdapError && e instanceof Error);
  assert.equal(e.name, 'NoSuchObjectError');
  assert.deepEqual(e.toResult(), { resultCode: 32, matchedDN: 'dc=x', diagnosticMessage: 'no such entry' });
  const r = ldapErrorFromCode(10, '', '', ['ldap://x/']);
  assert.ok(r instanceof ReferralError);
  assert.deepEqual(r.referral, ['ldap://x/']);
  const unknown = ldapErrorFromCode(4096, 'x');
  assert.equal(unknown.constructor, LdapError);
  assert.equal(unknown.resultCode, 4096);
  // every named failure code maps to its own subclass
  const seen = new Set<unknown>();
  for (const [name, code] of Object.entries(ResultCode)) {
    if ([0, 5, 6].includes(code)) continue;
    const err = ldapErrorFromCode(code);
    assert.notEqual(err.constructor, LdapError, name);
    assert.ok(!seen.has(err.constructor), `duplicate class for ${name}`);
    seen.add(err.constructor);
    assert.equal(err.resultCode, code);
  }
});

// ------------------------------------------------------------ properties

const utf8 = fc.string({ unit: 'grapheme', maxLength: 12 });
const buf = fc.uint8Array({ maxLength: 24 }).map((a) => Buffer.from(a));
const nebuf = fc.uint8Array({ minLength: 1, maxLength: 12 }).map((a) => Buffer.from(a));
const u31 = fc.integer({ min: 0, max: 0x7fffffff });
const attr = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9-]{0,10}(;[a-z]{1,5})?$/);
const oid = fc.array(fc.integer({ min: 0, max: 99999 }), { minLength: 2, maxLength: 8 }).map((a) => a.join('.'));

export const filterArb: fc.Arbitrary<Filter> = fc.letrec<{ f: Filter }>((tie) => ({
  f: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ type: fc.constant('present' as const), attribute: attr }),
    fc.record({ type: fc.constantFrom('equalityMatch' as const, 'greaterOrEqual' as const, 'lessOrEqual' as const, 'approxMatch' as const), attribute: attr, value: buf }),
    fc
      .record({ attribute: attr, initial: fc.option(nebuf, { nil: undefined }), any: fc.array(nebuf, { maxLength: 3 }), final: fc.option(nebuf, { nil: undefined }) })
      .filter((s) => s.initial !== undefined || s.final !== undefined || s.any.length > 0)
      .map((s) => {
        const f: Filter = { type: 'substrings', attribute: s.attribute, any: s.any };
        if (s.initial) f.initial = s.initial;
        if (s.final) f.final = s.final;
        return f;
      }),
    fc
      .record({ rule: fc.option(oid, { nil: undefined }), attribute: fc.option(attr, { nil: undefined }), value: buf, dn: fc.boolean() })
      .filter((e) => e.rule !== undefined || e.attribute !== undefined)
      .map((e) => {
        const f: Filter = { type: 'extensibleMatch', value: e.value, dnAttributes: e.dn };
        if (e.rule !== undefined) f.matchingRule = e.rule;
        if (e.attribute !== undefined) f.attribute = e.attribute;
        return f;
      }),
    fc.record({ type: fc.constantFrom('and' as const, 'or' as const), filters: fc.array(tie('f'), { maxLength: 4 }) }),
    fc.record({ type: fc.constant('not' as const), filter: tie('f') }),
  ),
})).f;

const result = { resultCode: fc.integer({ min: 0, max: 123 }), matchedDN: utf8, diagnosticMessage: utf8 };
const withRef = <T extends object>(r: fc.Arbitrary<T>): fc.Arbitrary<T> =>
  fc.tuple(r, fc.option(fc.array(utf8, { minLength: 1, maxLength: 3 }), { nil: undefined })).map(([x, ref]) => (ref ? { ...x, referral: ref } : x));
const opt = <K extends string, V>(key: K, arb: fc.Arbitrary<V>) =>
  fc.option(arb, { nil: undefined }).map((v) => (v === undefined ? {} : ({ [key]: v } as Record<K, V>)));
const resultOp = <T extends string>(type: T) => withRef(fc.record({ type: fc.constant(type), ...result }));
const partialAttr = fc.record({ type: attr, values: fc.array(buf, { maxLength: 4 }) });

export const opArb: fc.Arbitrary<ProtocolOp> = fc.oneof(
  fc.record({
    type: fc.constant('bindRequest' as const),
    version: fc.integer({ min: 1, max: 127 }),
    name: utf8,
    authentication: fc.oneof(
      fc.record({ method: fc.constant('simple' as const), password: buf }),
      fc.tuple(utf8, opt('credentials', buf)).map(([mechanism, c]) => ({ method: 'sasl' as const, mechanism, ...c })),
      fc.record({ method: fc.constant('other' as const), tag: fc.constantFrom(0x89, 0x8a, 0x8b), value: buf }),
    ),
  }),
  fc.tuple(resultOp('bindResponse'), opt('serverSaslCreds', buf)).map(([r, c]) => ({ ...r, ...c })),
  fc.constant({ type: 'unbindRequest' as const }),
  fc.record({
    type: fc.constant('searchRequest' as const),
    baseObject: utf8,
    scope: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const),
    derefAliases: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const),
    sizeLimit: u31,
    timeLimit: u31,
    typesOnly: fc.boolean(),
    filter: filterArb,
    attributes: fc.array(attr, { maxLength: 4 }),
  }),
  fc.record({ type: fc.constant('searchResultEntry' as const), objectName: utf8, attributes: fc.array(partialAttr, { maxLength: 3 }) }),
  fc.record({ type: fc.constant('searchResultReference' as const), uris: fc.array(utf8, { minLength: 1, maxLength: 3 }) }),
  resultOp('searchResultDone'),
  fc.record({
    type: fc.constant('modifyRequest' as const),
    object: utf8,
    changes: fc.array(fc.record({ operation: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const), modification: partialAttr }), { maxLength: 3 }),
  }),
  resultOp('modifyResponse'),
  fc.record({ type: fc.constant('addRequest' as const), entry: utf8, attributes: fc.array(partialAttr, { maxLength: 3 }) }),
  resultOp('addResponse'),
  fc.record({ type: fc.constant('delRequest' as const), entry: utf8 }),
  resultOp('delResponse'),
  fc
    .tuple(fc.record({ type: fc.constant('modifyDNRequest' as const), entry: utf8, newrdn: utf8, deleteoldrdn: fc.boolean() }), opt('newSuperior', utf8))
    .map(([r, s]) => ({ ...r, ...s })),
  resultOp('modifyDNResponse'),
  fc.record({ type: fc.constant('compareRequest' as const), entry: utf8, attributeDesc: attr, assertionValue: buf }),
  resultOp('compareResponse'),
  fc.record({ type: fc.constant('abandonRequest' as const), messageID: u31 }),
  fc.tuple(fc.record({ type: fc.constant('extendedRequest' as const), requestName: oid }), opt('requestValue', buf)).map(([r, v]) => ({ ...r, ...v })),
  fc
    .tuple(resultOp('extendedResponse'), opt('responseName', oid), opt('responseValue', buf))
    .map(([r, n, v]) => ({ ...r, ...n, ...v })),
  fc.tuple(opt('responseName', oid), opt('responseValue', buf)).map(([n, v]) => ({ type: 'intermediateResponse' as const, ...n, ...v })),
) as fc.Arbitrary<ProtocolOp>;

export const controlArb: fc.Arbitrary<Control> = fc
  .tuple(oid, fc.boolean(), opt('value', buf))
  .map(([type, critical, v]) => ({ type, critical, ...v }));

export const messageArb: fc.Arbitrary<LdapMessage> = fc.record({
  messageID: u31,
  protocolOp: opArb,
  controls: fc.array(controlArb, { maxLength: 3 }),
});

test('every message type round-trips (property)', () => {
  const seen = new Set<string>();
  fc.assert(
    fc.property(messageArb, (raw) => {
      const m = plain(raw);
      seen.add(m.protocolOp.type);
      const enc = encodeMessage(m);
      const dec = decodeMessage(enc);
      assert.deepEqual(dec, m);
      assert.deepEqual(encodeMessage(dec), enc);
    }),
    { numRuns: 3000 },
  );
  assert.equal(seen.size, 21, `covered ${[...seen].join(',')}`);
});

test('mutated valid PDUs decode or raise BerError, never anything else', () => {
  fc.assert(
    fc.property(messageArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (m, muts) => {
      const enc = Buffer.from(encodeMessage(m));
      for (const [i, v] of muts) enc[i % enc.length] = v;
      try {
        decodeMessage(enc);
      } catch (e) {
        assert.ok(e instanceof BerError, String(e));
      }
    }),
    { numRuns: 2000 },
  );
});
