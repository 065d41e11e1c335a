import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  controlRegistry,
  getControlCodec,
  decodeRequestControl,
  requestControl,
  responseControl,
  knownControlOids,
  ControlValueError,
  pagedResultsControl,
  PAGED_RESULTS_OID,
  sortRequestControl,
  sortResponseControl,
  vlvRequestControl,
  vlvResponseControl,
  extendedDnControl,
  sdFlagsControl,
  searchOptionsControl,
  verifyNameControl,
  asqControl,
  dirSyncControl,
  dirSyncExControl,
  DirSyncFlags,
  DIRSYNC_OID,
  DIRSYNC_EX_OID,
  showDeletedControl,
  type ControlCodec,
} from '../../src/ldap/controls/index.js';
import { BerError, decodeMessage, encodeMessage } from '../../src/ldap/protocol/index.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function plain<T>(v: T): T {
  if (Buffer.isBuffer(v) || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(plain) as T;
  const o: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) o[k] = plain(x);
  return o as T;
}

function valueError(fn: () => unknown, oid: string): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ControlValueError, `expected ControlValueError, got ${String(e)}`);
    assert.ok(e instanceof BerError);
    assert.equal(e.code, 'ERR_LDAP_CONTROL_VALUE');
    assert.equal(e.oid, oid);
    return;
  }
  assert.fail('expected ControlValueError');
}

test('registry has every control of the brief with its OID', () => {
  const expected: Record<string, string> = {
    '1.2.840.113556.1.4.319': 'LDAP_PAGED_RESULT_OID_STRING',
    '1.2.840.113556.1.4.473': 'LDAP_SERVER_SORT_OID',
    '1.2.840.113556.1.4.474': 'LDAP_SERVER_RESP_SORT_OID',
    '2.16.840.1.113730.3.4.9': 'LDAP_CONTROL_VLVREQUEST',
    '2.16.840.1.113730.3.4.10': 'LDAP_CONTROL_VLVRESPONSE',
    '1.2.840.113556.1.4.529': 'LDAP_SERVER_EXTENDED_DN_OID',
    '1.2.840.113556.1.4.417': 'LDAP_SERVER_SHOW_DELETED_OID',
    '1.2.840.113556.1.4.2064': 'LDAP_SERVER_SHOW_RECYCLED_OID',
    '1.2.840.113556.1.4.2065': 'LDAP_SERVER_SHOW_DEACTIVATED_LINK_OID',
    '1.2.840.113556.1.4.1339': 'LDAP_SERVER_DOMAIN_SCOPE_OID',
    '1.2.840.113556.1.4.1340': 'LDAP_SERVER_SEARCH_OPTIONS_OID',
    '1.2.840.113556.1.4.801': 'LDAP_SERVER_SD_FLAGS_OID',
    '1.2.840.113556.1.4.805': 'LDAP_SERVER_TREE_DELETE_OID',
    '1.2.840.113556.1.4.1413': 'LDAP_SERVER_PERMISSIVE_MODIFY_OID',
    '1.2.840.113556.1.4.619': 'LDAP_SERVER_LAZY_COMMIT_OID',
    '1.2.840.113556.1.4.1338': 'LDAP_SERVER_VERIFY_NAME_OID',
    '1.2.840.113556.1.4.1504': 'LDAP_SERVER_ASQ_OID',
    '1.2.840.113556.1.4.841': 'LDAP_SERVER_DIRSYNC_OID',
    '1.2.840.113556.1.4.2090': 'LDAP_SERVER_DIRSYNC_EX_OID',
    '1.2.840.113556.1.4.528': 'LDAP_SERVER_NOTIFICATION_OID',
  };
  assert.equal(controlRegistry.size, Object.keys(expected).length);
  for (const [oid, name] of Object.entries(expected)) {
    assert.equal(getControlCodec(oid)?.name, name, oid);
    assert.equal(getControlCodec(oid)?.oid, oid);
  }
  assert.deepEqual([...knownControlOids].sort(), Object.keys(expected).sort());
  assert.equal(getControlCodec('1.2.840.113556.1.4.802'), undefined); // range option is not a control
});

test('paged results (RFC 2696): known bytes and round-trip', () => {
  const v = hex('3008 020203e8 0402abcd');
  assert.deepEqual(pagedResultsControl.decodeRequest(v), { size: 1000, cookie: hex('abcd') });
  assert.deepEqual(pagedResultsControl.encodeRequest({ size: 1000, cookie: hex('abcd') }), v);
  assert.deepEqual(pagedResultsControl.encodeResponse!({ size: 0, cookie: Buffer.alloc(0) }), hex('3005 020100 0400'));
  valueError(() => pagedResultsControl.decodeRequest(undefined), PAGED_RESULTS_OID);
  valueError(() => pagedResultsControl.decodeRequest(hex('3003 020100')), PAGED_RESULTS_OID);
  valueError(() => pagedResultsControl.decodeRequest(hex('3005 0201ff 0400')), PAGED_RESULTS_OID); // negative size
  valueError(() => pagedResultsControl.decodeRequest(hex('3005 020100 0400 00')), PAGED_RESULTS_OID); // trailing
});

test('server-side sort (RFC 2891) request/response', () => {
  // hand-built: key1 {cn, reverse}, key2 {ou, orderingRule "exMtr"}
  const fixed = hex('3017 3007 0402636e 8101ff 300c 04026f75 80066578 4d747261'.replace(/ /g, ''));
  assert.deepEqual(sortRequestControl.decodeRequest(fixed), [
    { attributeType: 'cn', reverseOrder: true },
    { attributeType: 'ou', orderingRule: 'exMtra', reverseOrder: false },
  ]);
  assert.deepEqual(sortRequestControl.encodeRequest(sortRequestControl.decodeRequest(fixed)), fixed);
  const res = hex('3007 0a0110 800263 6e'.replace(/ /g, ''));
  assert.deepEqual(sortResponseControl.decodeResponse!(res), { sortResult: 16, attributeType: 'cn' });
  assert.deepEqual(sortResponseControl.encodeResponse!({ sortResult: 0 }), hex('3003 0a0100'));
});

test('VLV request byOffset / greaterOrEqual and response with contextID', () => {
  const byOffset = hex('3012 020100 020109 a006 020101 020100 0402 0a0b');
  assert.deepEqual(vlvRequestControl.decodeRequest(byOffset), {
    beforeCount: 0,
    afterCount: 9,
    target: { type: 'byOffset', offset: 1, contentCount: 0 },
    contextID: hex('0a0b'),
  });
  assert.deepEqual(vlvRequestControl.encodeRequest(vlvRequestControl.decodeRequest(byOffset)), byOffset);
  const ge = hex('3009 020102 020103 810141');
  assert.deepEqual(vlvRequestControl.decodeRequest(ge), { beforeCount: 2, afterCount: 3, target: { type: 'greaterOrEqual', value: Buffer.from('A') } });
  valueError(() => vlvRequestControl.decodeRequest(hex('3009 020102 020103 820141')), '2.16.840.1.113730.3.4.9');
  const res = hex('300d 020105 020164 0a0100 0402 0a0b');
  assert.deepEqual(vlvResponseControl.decodeResponse!(res), { targetPosition: 5, contentCount: 100, result: 0, contextID: hex('0a0b') });
  assert.deepEqual(vlvResponseControl.encodeResponse!(vlvResponseControl.decodeResponse!(res)), res);
});

test('extended DN: value optional, flag 0 by default (MS-ADTS 3.1.1.3.4.1.5)', () => {
  assert.deepEqual(extendedDnControl.decodeRequest(undefined), { flag: 0 });
  assert.deepEqual(extendedDnControl.decodeRequest(hex('3003 020101')), { flag: 1 });
  assert.deepEqual(extendedDnControl.encodeRequest({ flag: 1 }), hex('3003 020101'));
  valueError(() => extendedDnControl.decodeRequest(hex('3003 040101')), '1.2.840.113556.1.4.529');
});

test('SD flags and search options carry a 32-bit flag word', () => {
  assert.deepEqual(sdFlagsControl.decodeRequest(hex('3003 020107')), { flags: 7 });
  assert.deepEqual(sdFlagsControl.encodeRequest({ flags: 4 }), hex('3003 020104'));
  assert.deepEqual(searchOptionsControl.decodeRequest(hex('3003 020102')), { flags: 2 });
  valueError(() => sdFlagsControl.decodeRequest(hex('3000')), '1.2.840.113556.1.4.801');
  valueError(() => searchOptionsControl.decodeRequest(undefined), '1.2.840.113556.1.4.1340');
});

test('DirSync: Flags accepted signed (Windows) or unsigned; encodes signed', () => {
  const windows = hex('300d 020480000801 0203100000 0400');
  const v = dirSyncControl.decodeRequest(windows);
  assert.equal(v.flags, (DirSyncFlags.INCREMENTAL_VALUES | DirSyncFlags.ANCESTORS_FIRST_ORDER | DirSyncFlags.OBJECT_SECURITY) >>> 0);
  assert.equal(v.flags, 0x80000801);
  assert.equal(v.maxBytes, 0x100000);
  assert.equal(v.cookie.length, 0);
  const unsignedForm = hex('300e 02050080000801 0203100000 0400');
  assert.deepEqual(dirSyncControl.decodeRequest(hex('300f 02050080000801 020400100000 0400')), v); // non-minimal INTEGER
  assert.deepEqual(dirSyncControl.decodeRequest(unsignedForm), v);
  assert.deepEqual(dirSyncControl.encodeRequest(v), windows);
  valueError(() => dirSyncControl.decodeRequest(hex('3010 0206010000000000 020100 0400')), DIRSYNC_OID); // > 32 bits
  const resp = { moreResults: true, unused: 0, cookie: hex('4d534453') };
  const enc = dirSyncControl.encodeResponse!(resp);
  assert.deepEqual(enc, hex('300c 020101 020100 04044d534453'));
  assert.deepEqual(dirSyncControl.decodeResponse!(enc), resp);
  // DirSync EX shares the ASN.1 (MS-ADTS 3.1.1.3.4.1.29)
  assert.deepEqual(dirSyncExControl.decodeRequest(windows), v);
  valueError(() => dirSyncExControl.decodeRequest(hex('3000')), DIRSYNC_EX_OID);
});

test('verify name: flags + UTF-16LE server name', () => {
  const name = Buffer.from('dc1.example.com', 'utf16le');
  const value = Buffer.concat([hex('3023 020100 041e'), name]);
  assert.deepEqual(verifyNameControl.decodeRequest(value), { flags: 0, serverName: 'dc1.example.com' });
  assert.deepEqual(verifyNameControl.encodeRequest({ flags: 0, serverName: 'dc1.example.com' }), value);
  const withNul = Buffer.concat([hex('3025 020100 0420'), name, hex('0000')]);
  assert.equal(verifyNameControl.decodeRequest(withNul).serverName, 'dc1.example.com');
  valueError(() => verifyNameControl.decodeRequest(hex('3006 020100 040161')), '1.2.840.113556.1.4.1338');
});

test('ASQ request and response (MS-ADTS 3.1.1.3.4.1.18)', () => {
  assert.deepEqual(asqControl.decodeRequest(hex('3008 04066d656d626572')), { sourceAttribute: 'member' });
  assert.deepEqual(asqControl.encodeRequest({ sourceAttribute: 'member' }), hex('3008 04066d656d626572'));
  assert.deepEqual(asqControl.decodeResponse!(hex('3003 0a0115')), { searchResult: 21 });
  assert.deepEqual(asqControl.encodeResponse!({ searchResult: 53 }), hex('3003 0a0135'));
});

test('valueless controls encode no value and ignore a sent one', () => {
  for (const oid of ['1.2.840.113556.1.4.417', '1.2.840.113556.1.4.2064', '1.2.840.113556.1.4.2065', '1.2.840.113556.1.4.1339', '1.2.840.113556.1.4.805', '1.2.840.113556.1.4.1413', '1.2.840.113556.1.4.619', '1.2.840.113556.1.4.528']) {
    const c = getControlCodec(oid)!;
    assert.equal(c.encodeRequest({}), undefined, oid);
    assert.deepEqual(c.decodeRequest(undefined), {});
    assert.deepEqual(c.decodeRequest(hex('0500')), {});
  }
  assert.deepEqual(requestControl(showDeletedControl, {}, true), { type: '1.2.840.113556.1.4.417', critical: true });
});

test('controls travel inside LDAPMessage and decode through the registry', () => {
  const controls = [
    requestControl(pagedResultsControl, { size: 500, cookie: Buffer.alloc(0) }, true),
    requestControl(dirSyncControl, { flags: 0x80000000, maxBytes: 1 << 20, cookie: hex('01') }, true),
    { type: '1.2.3.4.5', critical: false, value: hex('ff') },
  ];
  const m = decodeMessage(
    encodeMessage({
      messageID: 3,
      protocolOp: { type: 'searchRequest', baseObject: '', scope: 0, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: { type: 'present', attribute: 'objectClass' }, attributes: [] },
      controls,
    }),
  );
  assert.deepEqual(decodeRequestControl(m.controls![0]!), { size: 500, cookie: Buffer.alloc(0) });
  assert.deepEqual(decodeRequestControl(m.controls![1]!), { flags: 0x80000000, maxBytes: 1 << 20, cookie: hex('01') });
  assert.equal(decodeRequestControl(m.controls![2]!), undefined);
  const rc = responseControl(pagedResultsControl, { size: 0, cookie: hex('aa') });
  assert.deepEqual(rc, { type: PAGED_RESULTS_OID, critical: false, value: hex('3006 020100 0401aa') });
});

// ------------------------------------------------------------ properties

const u31 = fc.integer({ min: 0, max: 0x7fffffff });
const buf = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a));
const attr = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9-]{0,12}$/);
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const optional = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

function roundTrip<Req, Res>(codec: ControlCodec<Req, Res>, req: fc.Arbitrary<Req> | null, res: fc.Arbitrary<Res> | null): void {
  if (req) {
    fc.assert(
      fc.property(req, (raw) => {
        const v = plain(raw);
        const enc = codec.encodeRequest(v);
        assert.deepEqual(plain(codec.decodeRequest(enc)), v);
      }),
      { numRuns: 300 },
    );
  }
  if (res) {
    fc.assert(
      fc.property(res, (raw) => {
        const v = plain(raw);
        const enc = codec.encodeResponse!(v);
        assert.deepEqual(plain(codec.decodeResponse!(enc)), v);
      }),
      { numRuns: 300 },
    );
  }
}

const strip = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

test('every valued control round-trips (property)', () => {
  const paged = fc.record({ size: u31, cookie: buf });
  roundTrip(pagedResultsControl, paged, paged);
  roundTrip(
    sortRequestControl,
    fc.array(fc.record({ attributeType: attr, orderingRule: optional(attr), reverseOrder: fc.boolean() }).map(strip), { maxLength: 4 }),
    null,
  );
  roundTrip(sortResponseControl, null, fc.record({ sortResult: fc.constantFrom(0, 1, 3, 8, 11, 16, 18, 50, 51, 53, 80), attributeType: optional(attr) }).map(strip));
  roundTrip(
    vlvRequestControl,
    fc
      .record({
        beforeCount: u31,
        afterCount: u31,
        target: fc.oneof(
          fc.record({ type: fc.constant('byOffset' as const), offset: u31, contentCount: u31 }),
          fc.record({ type: fc.constant('greaterOrEqual' as const), value: buf }),
        ),
        contextID: optional(buf),
      })
      .map(strip),
    null,
  );
  roundTrip(vlvResponseControl, null, fc.record({ targetPosition: u31, contentCount: u31, result: fc.constantFrom(0, 1, 2, 3, 11, 18, 50, 53, 60, 61, 80), contextID: optional(buf) }).map(strip));
  roundTrip(extendedDnControl, fc.record({ flag: fc.constantFrom(0, 1) }), null);
  roundTrip(sdFlagsControl, fc.record({ flags: u32 }), null);
  roundTrip(searchOptionsControl, fc.record({ flags: u32 }), null);
  roundTrip(verifyNameControl, fc.record({ flags: u32, serverName: fc.string({ maxLength: 30 }).filter((s) => !s.endsWith('\0')) }), null);
  roundTrip(asqControl, fc.record({ sourceAttribute: attr }), fc.record({ searchResult: fc.constantFrom(0, 21, 53, 71) }));
  const ds = fc.record({ flags: u32, maxBytes: u31, cookie: buf });
  const dsr = fc.record({ moreResults: fc.boolean(), unused: u31, cookie: buf });
  roundTrip(dirSyncControl, ds, dsr);
  roundTrip(dirSyncExControl, ds, dsr);
});

test('garbage control values only raise ControlValueError (property)', () => {
  const codecs = [...controlRegistry.values()];
  fc.assert(
    fc.property(fc.constantFrom(...codecs), fc.uint8Array({ maxLength: 24 }), (codec, bytes) => {
      for (const fn of [codec.decodeRequest, codec.decodeResponse]) {
        if (!fn) continue;
        if (codec.oid === '1.2.840.113556.1.4.474' && fn === codec.decodeRequest) continue;
        if (codec.oid === '2.16.840.1.113730.3.4.10' && fn === codec.decodeRequest) continue;
        try {
          fn.call(codec, Buffer.from(bytes));
        } catch (e) {
          assert.ok(e instanceof ControlValueError, `${codec.name}: ${String(e)}`);
        }
      }
    }),
    { numRuns: 3000 },
  );
});
