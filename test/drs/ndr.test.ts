// The MS-DRSR NDR stubs against Samba's NDR (python3-samba): structures of many shapes,
// generated with fast-check, encoded by forestd, decoded and packed again by Samba; forestd
// decodes Samba's bytes back to the same values, and re-encodes them to Samba's bytes exactly.
// And the other direction: stubs built and packed by Samba decode in forestd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeDRSBindRequest,
  decodeDRSBindResponse,
  decodeDRSGetNCChangesRequest,
  decodeDRSGetNCChangesResponse,
  decodeDRSReplicaSyncRequest,
  decodeDRSUpdateRefsRequest,
  encodeDRSBindRequest,
  encodeDRSBindResponse,
  encodeDRSGetNCChangesRequest,
  encodeDRSGetNCChangesResponse,
  encodeDRSReplicaSyncRequest,
  encodeDRSUpdateRefsRequest,
  type DRSGetNCChangesRequest,
  type DRSGetNCChangesResponse,
} from '../../src/drs/stubs.js';
import { NdrError, NdrReader, NdrWriter, conformantPointee, pointer, stringPointee, struct, u32 as ndrU32 } from '../../src/drs/ndr/ndr.js';
import { DRS_HANDLE, pREPLENTINFLIST, pREPLENTINFLIST_GENERIC, pREPLVALINF_V1, pREPLVALINF_V1_GENERIC, pREPLVALINF_V3, pREPLVALINF_V3_GENERIC } from '../../src/drs/idl.js';
import type * as T from '../../src/drs/types.js';
import { samba, type SambaCase } from './samba.js';

/** fast-check records have null prototypes: rebuild them as plain objects for deepEqual */
function plain<V>(v: V): V {
  if (Array.isArray(v)) return v.map(plain) as V;
  if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = plain(x);
    return o as V;
  }
  return v;
}

const SEED = Number(process.env.FORESTD_NDR_SEED ?? 20261201);
const RUNS = Number(process.env.FORESTD_NDR_RUNS ?? 120);

const guid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((u) => Buffer.from(u));
const u32 = fc.integer({ min: 0, max: 0xffffffff });
/** USNs: the NDR layer carries hypers as safe integers (numbers) */
const i64 = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
/** DSTIME (seconds since 1601): Samba keeps it as NTTIME_1sec, so beyond 1e12 s its oracle overflows */
const dstime = fc.integer({ min: 0, max: 1_000_000_000_000 });
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((u) => Buffer.from(u));
/** a valid binary SID (MS-DTYP 2.4.2.2) that fits DSNAME's 28 bytes, or none */
const sid = fc.oneof(
  fc.constant(Buffer.alloc(0)),
  fc.tuple(fc.integer({ min: 0, max: 5 }), fc.uint8Array({ minLength: 6, maxLength: 6 }), fc.array(u32, { minLength: 5, maxLength: 5 })).map(([n, auth, subs]) => {
    const b = Buffer.alloc(8 + 4 * n);
    b[0] = 1;
    b[1] = n;
    b.set(auth, 2);
    for (let i = 0; i < n; i++) b.writeUInt32LE(subs[i]!, 8 + 4 * i);
    return b;
  }),
);
/** DN text: any Unicode without NUL (lone surrogates excluded: they have no UTF-8 form for Samba's Python strings) */
const dnText = fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => s.replace(/\0/g, ''));
const dsname: fc.Arbitrary<T.DSNAME> = fc.record({ Guid: guid, Sid: sid, StringName: dnText });
const usnVector: fc.Arbitrary<T.USN_VECTOR> = fc.record({ usnHighObjUpdate: i64, usnReserved: i64, usnHighPropUpdate: i64 });
const prefixTable: fc.Arbitrary<T.SCHEMA_PREFIX_TABLE> = fc.record({ pPrefixEntry: fc.array(fc.record({ ndx: u32, prefix: bytes(12) }), { maxLength: 5 }) });
const pmd: fc.Arbitrary<T.PROPERTY_META_DATA_EXT> = fc.record({ dwVersion: u32, timeChanged: dstime, uuidDsaOriginating: guid, usnOriginating: i64 });
const entry: fc.Arbitrary<T.REPLENTINFLIST> = fc.record({
  Entinf: fc.record({
    pName: fc.option(dsname, { nil: null }),
    ulFlags: u32,
    AttrBlock: fc.record({ pAttr: fc.array(fc.record({ attrTyp: u32, AttrVal: fc.record({ pAVal: fc.array(bytes(24), { maxLength: 3 }) }) }), { maxLength: 4 }) }),
  }),
  fIsNCPrefix: fc.boolean(),
  pParentGuid: fc.option(guid, { nil: null }),
  pMetaDataExt: fc.option(fc.record({ rgMetaData: fc.array(pmd, { maxLength: 4 }) }), { nil: null }),
});
const valinf: fc.Arbitrary<T.REPLVALINF_V1> = fc.record({
  pObject: fc.option(dsname, { nil: null }),
  attrTyp: u32,
  Aval: bytes(40),
  fIsPresent: fc.boolean(),
  MetaData: fc.record({ timeCreated: dstime, MetaData: pmd }),
});
const reply: fc.Arbitrary<DRSGetNCChangesResponse> = fc.record({
  result: u32,
  pmsgOut: fc.record({
    version: fc.constant(6 as const),
    msg: fc.record({
      uuidDsaObjSrc: guid,
      uuidInvocIdSrc: guid,
      pNC: fc.option(dsname, { nil: null }),
      usnvecFrom: usnVector,
      usnvecTo: usnVector,
      pUpToDateVecSrc: fc.option(fc.record({ rgCursors: fc.array(fc.record({ uuidDsa: guid, usnHighPropUpdate: i64, timeLastSyncSuccess: i64 }), { maxLength: 4 }) }), { nil: null }),
      PrefixTableSrc: prefixTable,
      ulExtendedRet: u32,
      pObjects: fc.array(entry, { maxLength: 6 }),
      fMoreData: fc.boolean(),
      cNumNcSizeObjects: u32,
      cNumNcSizeValues: u32,
      rgValues: fc.array(valinf, { maxLength: 4 }),
      dwDRSError: u32,
    }),
  }),
});
const pav = fc.option(fc.record({ rgPartialAttr: fc.array(u32, { minLength: 1, maxLength: 6 }) }), { nil: null });
const request: fc.Arbitrary<DRSGetNCChangesRequest> = fc.record({
  hDrs: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((u) => Buffer.from(u)),
  pmsgIn: fc.oneof(
    ...([8, 10] as const).map((version) =>
      fc.record({
        version: fc.constant(version),
        msg: fc.record({
          uuidDsaObjDest: guid,
          uuidInvocIdSrc: guid,
          pNC: dsname,
          usnvecFrom: usnVector,
          pUpToDateVecDest: fc.option(fc.record({ rgCursors: fc.array(fc.record({ uuidDsa: guid, usnHighPropUpdate: i64 }), { maxLength: 4 }) }), { nil: null }),
          ulFlags: u32,
          cMaxObjects: u32,
          cMaxBytes: u32,
          ulExtendedOp: u32,
          liFsmoInfo: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
          pPartialAttrSet: pav,
          pPartialAttrSetEx: pav,
          PrefixTableDest: prefixTable,
          ...(version === 10 ? { ulMoreFlags: u32 } : {}),
        }),
      }),
    ),
  ) as fc.Arbitrary<T.DRS_MSG_GETCHGREQ>,
});

test('GetNCChanges replies (V6) of many shapes: Samba decodes them and packs the same bytes; forestd decodes Samba\'s bytes to the same values', () => {
  const values = fc.sample(reply, { numRuns: RUNS, seed: SEED }).map(plain);
  const encoded = values.map((v) => encodeDRSGetNCChangesResponse(v));
  const res = samba(encoded.map((b): SambaCase => ({ kind: 'out', module: 'drsuapi', type: 'DsGetNCChanges', hex: b.toString('hex') })));
  let objects = 0;
  res.forEach((r, i) => {
    assert.ok(r.ok, `case ${i} (seed ${SEED}): Samba refused the stub: ${!r.ok ? r.error : ''}`);
    const back = decodeDRSGetNCChangesResponse(Buffer.from(r.hex, 'hex'));
    // cNumBytes is the one member each side computes itself (an approximate size)
    const v = values[i]!;
    const want = { ...v, pmsgOut: { ...v.pmsgOut, msg: { ...v.pmsgOut.msg, cNumBytes: back.pmsgOut.msg.cNumBytes! } } };
    assert.deepEqual(back, want, `case ${i} (seed ${SEED})`);
    assert.equal(encodeDRSGetNCChangesResponse(back).toString('hex'), r.hex, `case ${i}: forestd re-encodes Samba's bytes exactly`);
    objects += values[i]!.pmsgOut.msg.pObjects.length;
  });
  assert.ok(objects > RUNS, `the sample holds ${objects} objects`);
});

test('GetNCChanges replies: Samba reads the members where MS-DRSR puts them', () => {
  const g = (n: number) => Buffer.alloc(16, n);
  const b = encodeDRSGetNCChangesResponse({
    result: 0,
    pmsgOut: {
      version: 6,
      msg: {
        uuidDsaObjSrc: g(1),
        uuidInvocIdSrc: g(2),
        pNC: { Guid: g(3), Sid: Buffer.from('010400000000000515000000010000000200000003000000', 'hex'), StringName: 'DC=example,DC=com' },
        usnvecFrom: { usnHighObjUpdate: 10, usnReserved: 0, usnHighPropUpdate: 11 },
        usnvecTo: { usnHighObjUpdate: 20, usnReserved: 0, usnHighPropUpdate: 21 },
        pUpToDateVecSrc: { rgCursors: [{ uuidDsa: g(2), usnHighPropUpdate: 21, timeLastSyncSuccess: 13_000_000_000 }] },
        PrefixTableSrc: { pPrefixEntry: [{ ndx: 9, prefix: Buffer.from('2a864886f7140104', 'hex') }] },
        ulExtendedRet: 1,
        pObjects: [
          {
            Entinf: { pName: { Guid: g(4), Sid: Buffer.alloc(0), StringName: 'CN=u,DC=example,DC=com' }, ulFlags: 0, AttrBlock: { pAttr: [{ attrTyp: 0x90092, AttrVal: { pAVal: [Buffer.from('7500', 'hex')] } }] } },
            fIsNCPrefix: false,
            pParentGuid: g(3),
            pMetaDataExt: { rgMetaData: [{ dwVersion: 3, timeChanged: 13_000_000_001, uuidDsaOriginating: g(2), usnOriginating: 15 }] },
          },
        ],
        fMoreData: true,
        cNumNcSizeObjects: 0,
        cNumNcSizeValues: 0,
        rgValues: [],
        dwDRSError: 0,
      },
    },
  });
  const [r] = samba([{ kind: 'out', module: 'drsuapi', type: 'DsGetNCChanges', hex: b.toString('hex') }]);
  assert.ok(r!.ok, !r!.ok ? r!.error : '');
  const v = (r as { value: Record<string, any> }).value;
  assert.equal(v.out_level_out, 6);
  const c = v.out_ctr;
  assert.equal(c.source_dsa_guid, '01010101-0101-0101-0101-010101010101');
  assert.equal(c.naming_context.dn, 'DC=example,DC=com');
  assert.equal(c.naming_context.sid, 'S-1-5-21-1-2-3');
  assert.equal(c.old_highwatermark.tmp_highest_usn, 10);
  assert.equal(c.old_highwatermark.highest_usn, 11);
  assert.equal(c.new_highwatermark.tmp_highest_usn, 20);
  assert.equal(c.uptodateness_vector.version, 2);
  assert.equal(c.uptodateness_vector.cursors[0].highest_usn, 21);
  assert.deepEqual(c.mapping_ctr.mappings[0].oid.binary_oid, [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x14, 0x01, 0x04]);
  assert.equal(c.extended_ret, 1);
  assert.equal(c.object_count, 1);
  assert.equal(c.more_data, 1);
  assert.equal(c.first_object.object.identifier.dn, 'CN=u,DC=example,DC=com');
  assert.equal(c.first_object.object.attribute_ctr.attributes[0].attid, 0x90092);
  assert.equal(c.first_object.parent_object_guid, '03030303-0303-0303-0303-030303030303');
  assert.equal(c.first_object.meta_data_ctr.meta_data[0].version, 3);
  assert.equal(c.first_object.meta_data_ctr.meta_data[0].originating_usn, 15);
  assert.equal(c.first_object.next_object, null);
});

test('GetNCChanges requests (V8, V10) of many shapes: Samba packs the same bytes, forestd decodes them back', () => {
  const values = fc.sample(request, { numRuns: RUNS, seed: SEED + 1 }).map(plain);
  const encoded = values.map((v) => encodeDRSGetNCChangesRequest(v));
  const res = samba(encoded.map((b): SambaCase => ({ kind: 'in', module: 'drsuapi', type: 'DsGetNCChanges', hex: b.toString('hex') })));
  const versions = new Set<number>();
  res.forEach((r, i) => {
    assert.ok(r.ok, `case ${i} (seed ${SEED + 1}): ${!r.ok ? r.error : ''}`);
    assert.equal(r.hex, encoded[i]!.toString('hex'), `case ${i}: Samba's bytes equal forestd's`);
    assert.deepEqual(decodeDRSGetNCChangesRequest(Buffer.from(r.hex, 'hex')), values[i]);
    versions.add(values[i]!.pmsgIn.version);
  });
  assert.deepEqual([...versions].sort(), [10, 8]);
});

test('Samba packs, forestd decodes: a V10 request and a V6 reply built by Samba', () => {
  const req = `
f = drsuapi.DsGetNCChanges()
f.in_bind_handle = misc.policy_handle()
f.in_bind_handle.uuid = misc.GUID("11111111-2222-3333-4444-555555555555")
f.in_level = 10
r = drsuapi.DsGetNCChangesRequest10()
r.destination_dsa_guid = misc.GUID("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
r.source_dsa_invocation_id = misc.GUID("00000000-0000-0000-0000-000000000000")
nc = drsuapi.DsReplicaObjectIdentifier()
nc.dn = "DC=samba,DC=example"
r.naming_context = nc
r.highwatermark = drsuapi.DsReplicaHighWaterMark()
r.highwatermark.tmp_highest_usn = 77
r.highwatermark.highest_usn = 78
r.replica_flags = drsuapi.DRSUAPI_DRS_WRIT_REP | drsuapi.DRSUAPI_DRS_GET_ANC
r.max_object_count = 133
r.max_ndr_size = 1336811
r.extended_op = 2  # EXOP_FSMO_REQ_RID_ALLOC
r.fsmo_info = 500
r.more_flags = drsuapi.DRSUAPI_DRS_GET_TGT
f.in_req = r
result = f.__ndr_pack_in__()
`;
  const rep = `
f = drsuapi.DsGetNCChanges()
f.out_level_out = 6
c = drsuapi.DsGetNCChangesCtr6()
c.source_dsa_guid = misc.GUID("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
items = []
for i in range(3):
    o = drsuapi.DsReplicaObjectListItemEx()
    o.object = drsuapi.DsReplicaObject()
    o.object.identifier = drsuapi.DsReplicaObjectIdentifier()
    o.object.identifier.dn = "CN=o%d,DC=samba,DC=example" % i
    a = drsuapi.DsReplicaAttribute()
    a.attid = 0x90001 + i
    v = drsuapi.DsAttributeValue()
    v.blob = b"value-%d" % i
    a.value_ctr = drsuapi.DsAttributeValueCtr()
    a.value_ctr.values = [v]
    a.value_ctr.num_values = 1
    o.object.attribute_ctr = drsuapi.DsReplicaAttributeCtr()
    o.object.attribute_ctr.attributes = [a]
    o.object.attribute_ctr.num_attributes = 1
    items.append(o)
items[0].next_object = items[1]
items[1].next_object = items[2]
c.first_object = items[0]
c.object_count = 3
c.more_data = 1
f.out_ctr = c
f.result = 0
result = f.__ndr_pack_out__()
`;
  const [a, b] = samba([
    { op: 'build', code: req },
    { op: 'build', code: rep },
  ]);
  assert.ok(a!.ok && b!.ok, JSON.stringify([a, b]));
  const q = decodeDRSGetNCChangesRequest(Buffer.from(a!.hex, 'hex'));
  assert.equal(q.pmsgIn.version, 10);
  const m = q.pmsgIn.msg as T.DRS_MSG_GETCHGREQ_V10;
  assert.equal(m.pNC.StringName, 'DC=samba,DC=example');
  assert.equal(m.usnvecFrom.usnHighObjUpdate, 77);
  assert.equal(m.usnvecFrom.usnHighPropUpdate, 78);
  assert.equal(m.ulFlags, 0x10 | 0x800, 'DRS_WRIT_REP | DRS_GET_ANC');
  assert.equal(m.ulExtendedOp, 2, 'EXOP_FSMO_REQ_RID_ALLOC');
  assert.equal(m.liFsmoInfo, 500n);
  assert.equal(m.ulMoreFlags, 1, 'DRS_GET_TGT');
  assert.equal(m.cMaxObjects, 133);
  const p = decodeDRSGetNCChangesResponse(Buffer.from(b!.hex, 'hex'));
  assert.equal(p.pmsgOut.version, 6);
  assert.deepEqual(
    p.pmsgOut.msg.pObjects.map((o) => [o.Entinf.pName!.StringName, o.Entinf.AttrBlock.pAttr[0]!.attrTyp, o.Entinf.AttrBlock.pAttr[0]!.AttrVal.pAVal[0]!.toString()]),
    [0, 1, 2].map((i) => [`CN=o${i},DC=samba,DC=example`, 0x90001 + i, `value-${i}`]),
  );
  assert.equal(p.pmsgOut.msg.fMoreData, true);
});

test('IDL_DRSBind, IDL_DRSReplicaSync and IDL_DRSUpdateRefs stubs: Samba packs the same bytes', () => {
  const g = (n: number) => Buffer.alloc(16, n);
  const ext = { dwFlags: 0x1fffffff, SiteObjGuid: g(9), Pid: 4242, dwReplEpoch: 3 };
  const bindIn = encodeDRSBindRequest({ puuidClientDsa: g(1), pextClient: ext });
  const bindOut = encodeDRSBindResponse({ ppextServer: { ...ext, dwFlagsExt: 0x10, ConfigObjGUID: g(7) }, phDrs: Buffer.alloc(20, 5), result: 0 });
  const sync = encodeDRSReplicaSyncRequest({ hDrs: Buffer.alloc(20, 6), pmsgSync: { version: 1, msg: { pNC: { Guid: g(3), Sid: Buffer.alloc(0), StringName: 'DC=x,DC=y' }, uuidDsaSrc: g(4), pszDsaSrc: 'dc2.x.y', ulOptions: 0x11 } } });
  const upd = encodeDRSUpdateRefsRequest({ hDrs: Buffer.alloc(20, 6), pmsgUpdRefs: { version: 1, msg: { pNC: { Guid: g(3), Sid: Buffer.alloc(0), StringName: 'DC=x,DC=y' }, pszDsaDest: 'guid._msdcs.x.y', uuidDsaObjDest: g(8), ulOptions: 0x4 } } });
  const res = samba([
    { kind: 'in', module: 'drsuapi', type: 'DsBind', hex: bindIn.toString('hex') },
    { kind: 'out', module: 'drsuapi', type: 'DsBind', hex: bindOut.toString('hex') },
    { kind: 'in', module: 'drsuapi', type: 'DsReplicaSync', hex: sync.toString('hex') },
    { kind: 'in', module: 'drsuapi', type: 'DsReplicaUpdateRefs', hex: upd.toString('hex') },
  ]);
  const want = [bindIn, bindOut, sync, upd];
  res.forEach((r, i) => {
    assert.ok(r.ok, `case ${i}: ${!r.ok ? r.error : ''}`);
    assert.equal(r.hex, want[i]!.toString('hex'), `case ${i}`);
  });
  const v = (res[2] as { value: Record<string, any> }).value;
  assert.equal(v.in_req.source_dsa_dns, 'dc2.x.y');
  assert.equal(v.in_req.naming_context.dn, 'DC=x,DC=y');
  assert.deepEqual(decodeDRSBindRequest(bindIn).pextClient, ext);
  assert.deepEqual(decodeDRSBindResponse(bindOut).ppextServer, { ...ext, dwFlagsExt: 0x10, ConfigObjGUID: g(7) });
  assert.equal(decodeDRSReplicaSyncRequest(sync).pmsgSync.msg.pszDsaSrc, 'dc2.x.y');
  assert.equal(decodeDRSUpdateRefsRequest(upd).pmsgUpdRefs.msg.pszDsaDest, 'guid._msdcs.x.y');
});

test('bad stubs: every truncation and random corruption is an NdrError, never another exception', () => {
  const [v] = fc.sample(reply.filter((x) => x.pmsgOut.msg.pObjects.length > 2), { numRuns: 1, seed: SEED + 2 });
  const b = encodeDRSGetNCChangesResponse(v!);
  let truncated = 0;
  for (let n = 0; n < b.length; n++) {
    assert.throws(
      () => decodeDRSGetNCChangesResponse(b.subarray(0, n)),
      (e: unknown) => e instanceof NdrError && /^ERR_NDR_/.test(e.code),
      `prefix of ${n} bytes`,
    );
    truncated++;
  }
  assert.equal(truncated, b.length);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: b.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, byte) => {
      const c = Buffer.from(b);
      c[at] = byte;
      try {
        decodeDRSGetNCChangesResponse(c);
      } catch (e) {
        return e instanceof NdrError;
      }
      return true;
    }),
    { seed: SEED, numRuns: 2000 },
  );
  // a count far beyond the bytes left is refused before anything is allocated
  const huge = Buffer.from(b);
  assert.throws(() => decodeDRSGetNCChangesResponse(Buffer.concat([huge.subarray(0, 8), Buffer.from([0xff, 0xff, 0xff, 0x7f])])), NdrError);
});

test('REPLENTINFLIST: the one-pass codec lays out and reads exactly what the generic combinators do', () => {
  const lists = fc.sample(fc.array(entry, { maxLength: 12 }), { numRuns: 200, seed: SEED + 3 }).map(plain);
  for (const l of lists) {
    const fast = new NdrWriter().write(pREPLENTINFLIST, l).finish();
    const generic = new NdrWriter().write(pREPLENTINFLIST_GENERIC, l).finish();
    assert.equal(fast.toString('hex'), generic.toString('hex'));
    assert.deepEqual(new NdrReader(fast).read(pREPLENTINFLIST), new NdrReader(generic).read(pREPLENTINFLIST_GENERIC));
    assert.deepEqual(new NdrReader(fast).read(pREPLENTINFLIST), l);
  }
});

test('REPLENTINFLIST: the stamps of an entry read in place share one Buffer per run of one originating DC, and keep every field', () => {
  const a = Buffer.alloc(16, 0xa1);
  const b = Buffer.alloc(16, 0xb2);
  const md = [a, a, b, Buffer.from(a)].map((g, i) => ({ dwVersion: i + 1, timeChanged: 13_000_000_000 + i, uuidDsaOriginating: g, usnOriginating: 2 ** 40 + i }));
  const l: T.REPLENTINFLIST[] = [{ Entinf: { pName: null, ulFlags: 0, AttrBlock: { pAttr: [] } }, fIsNCPrefix: false, pParentGuid: null, pMetaDataExt: { rgMetaData: md } }];
  const got = new NdrReader(new NdrWriter().write(pREPLENTINFLIST, l).finish()).read(pREPLENTINFLIST)[0]!.pMetaDataExt!.rgMetaData;
  assert.deepEqual(got, md);
  assert.equal(got[1]!.uuidDsaOriginating, got[0]!.uuidDsaOriginating, 'the same DC as the stamp before: the same Buffer');
  assert.notEqual(got[2]!.uuidDsaOriginating, got[1]!.uuidDsaOriginating);
  assert.notEqual(got[3]!.uuidDsaOriginating, got[0]!.uuidDsaOriginating, 'only the previous stamp\'s Buffer is reused');
  // equal stamps in a row (the attributes of one originating update) are one object
  const runs = [md[0]!, { ...md[0]! }, { ...md[0]!, uuidDsaOriginating: Buffer.from(a) }, md[2]!, { ...md[2]!, usnOriginating: 1 }];
  const got2 = new NdrReader(new NdrWriter().write(pREPLENTINFLIST, [{ ...l[0]!, pMetaDataExt: { rgMetaData: runs } }]).finish()).read(pREPLENTINFLIST)[0]!.pMetaDataExt!.rgMetaData;
  assert.deepEqual(got2, runs);
  assert.equal(got2[1], got2[0]);
  assert.equal(got2[2], got2[0]);
  assert.notEqual(got2[3], got2[2]);
  assert.notEqual(got2[4], got2[3], 'one field apart: another object');
  // a hyper beyond 2^53 in a stamp is refused as the generic reader refuses it
  const mark = 0x1234_5678_9abc;
  const stub = new NdrWriter().write(pREPLENTINFLIST_GENERIC, [{ ...l[0]!, pMetaDataExt: { rgMetaData: [{ ...md[0]!, usnOriginating: mark }] } }]).finish();
  const at = stub.indexOf(Buffer.from([0xbc, 0x9a, 0x78, 0x56, 0x34, 0x12, 0, 0]));
  assert.ok(at > 0);
  stub.writeUInt32LE(0x0040_0000, at + 4); // 2^54 and more
  assert.throws(() => new NdrReader(stub).read(pREPLENTINFLIST), (e: unknown) => e instanceof NdrError && e.code === 'ERR_NDR_RANGE');
  assert.throws(() => new NdrReader(stub).read(pREPLENTINFLIST_GENERIC), (e: unknown) => e instanceof NdrError && e.code === 'ERR_NDR_RANGE');
});

test('ndrdump (samba-testsuite) parses and validates forestd\'s stubs: a GetNCChanges request and reply', () => {
  const [rq] = fc.sample(request, { numRuns: 1, seed: SEED + 4 });
  const [rp] = fc.sample(reply.filter((x) => x.pmsgOut.msg.pObjects.length > 1), { numRuns: 1, seed: SEED + 5 });
  const dir = mkdtempSync(join(tmpdir(), 'forestd-ndrdump-'));
  try {
    for (const [inout, stub] of [
      ['in', encodeDRSGetNCChangesRequest(plain(rq!))],
      ['out', encodeDRSGetNCChangesResponse(plain(rp!))],
    ] as const) {
      const file = join(dir, `${inout}.bin`);
      writeFileSync(file, stub);
      const r = spawnSync('ndrdump', ['drsuapi', 'drsuapi_DsGetNCChanges', inout, file, '--validate'], { timeout: 60_000 });
      const out = r.stdout.toString() + r.stderr.toString();
      assert.equal(r.status, 0, out);
      assert.match(out, /dump OK/, out.slice(-2000));
      assert.doesNotMatch(out, /Parse of|validate.*fail/i);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('request stubs from the network: any corruption of a Bind, GetNCChanges, ReplicaSync or UpdateRefs request is an NdrError', () => {
  const g = (n: number) => Buffer.alloc(16, n);
  const [rq] = fc.sample(request, { numRuns: 1, seed: SEED + 6 });
  const dsn = { Guid: g(3), Sid: Buffer.alloc(0), StringName: 'DC=x,DC=y' };
  const stubs: [Buffer, (b: Buffer) => unknown][] = [
    [encodeDRSGetNCChangesRequest(plain(rq!)), (b) => decodeDRSGetNCChangesRequest(b)],
    [encodeDRSBindRequest({ puuidClientDsa: g(1), pextClient: { dwFlags: 1, SiteObjGuid: g(2), Pid: 3, dwReplEpoch: 4 } }), decodeDRSBindRequest],
    [encodeDRSReplicaSyncRequest({ hDrs: Buffer.alloc(20), pmsgSync: { version: 1, msg: { pNC: dsn, uuidDsaSrc: g(4), pszDsaSrc: 'dc', ulOptions: 1 } } }), decodeDRSReplicaSyncRequest],
    [encodeDRSUpdateRefsRequest({ hDrs: Buffer.alloc(20), pmsgUpdRefs: { version: 1, msg: { pNC: dsn, pszDsaDest: 'x', uuidDsaObjDest: g(5), ulOptions: 4 } } }), decodeDRSUpdateRefsRequest],
  ];
  for (const [stub, decode] of stubs) {
    decode(stub);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: stub.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat({ max: stub.length }), (flips, cut) => {
        const c = Buffer.from(stub.subarray(0, Math.max(cut, 1)));
        for (const [at, byte] of flips) if (at < c.length) c[at] = byte;
        try {
          decode(c);
        } catch (e) {
          return e instanceof NdrError;
        }
        return true;
      }),
      { seed: SEED, numRuns: 1500 },
    );
  }
});

test('a hyper beyond 2^53 (a USN no DC reaches) is refused, not rounded', () => {
  const [v] = fc.sample(reply, { numRuns: 1, seed: SEED + 7 });
  const b = encodeDRSGetNCChangesResponse(plain(v!));
  // usnvecFrom.usnHighObjUpdate sits after the out version, the union discriminant and two GUIDs and pNC
  const c = Buffer.from(b);
  c.writeUInt32LE(0x00400000, 48 + 4);
  assert.throws(() => decodeDRSGetNCChangesResponse(c), (e: NdrError) => e.code === 'ERR_NDR_RANGE');
});

test('REPLVALINF_V1/V3 arrays: the one-pass codec lays out and reads exactly what the generic combinators do', () => {
  const v3 = valinf.chain((v) => fc.record({ unused1: u32, unused2: u32, unused3: u32, timeExpired: dstime }).map((x) => ({ ...v, MetaData: { ...v.MetaData, ...x } })));
  for (const [arb, fast, generic] of [
    [valinf, pREPLVALINF_V1, pREPLVALINF_V1_GENERIC],
    [v3, pREPLVALINF_V3, pREPLVALINF_V3_GENERIC],
  ] as const) {
    for (const l of fc.sample(fc.option(fc.array(arb as fc.Arbitrary<T.REPLVALINF_V3>, { maxLength: 10 }), { nil: null }), { numRuns: 150, seed: SEED + 8 }).map(plain)) {
      const a = new NdrWriter().write(fast as never, l).finish();
      const b = new NdrWriter().write(generic as never, l).finish();
      assert.equal(a.toString('hex'), b.toString('hex'));
      assert.deepEqual(new NdrReader(a).read(fast as never), new NdrReader(b).read(generic as never));
      assert.deepEqual(new NdrReader(a).read(fast as never), l);
    }
  }
});

test('[string] wchar_t* pointees (conformant varying UTF-16) as Samba lays them out (IDL_DRSCrackNames request, DRS_MSG_CRACKREQ_V1)', () => {
  interface CrackReqV1 {
    CodePage: number;
    LocaleId: number;
    dwFlags: number;
    formatOffered: number;
    formatDesired: number;
    cNames: number;
    rpNames: (string | null)[] | null;
  }
  // DRS_MSG_CRACKREQ_V1: ... [range(1,10000)] DWORD cNames; [string, size_is(cNames)] WCHAR** rpNames;
  const V1 = struct<CrackReqV1>('DRS_MSG_CRACKREQ_V1', {
    CodePage: ndrU32,
    LocaleId: ndrU32,
    dwFlags: ndrU32,
    formatOffered: ndrU32,
    formatDesired: ndrU32,
    cNames: ndrU32,
    rpNames: pointer(conformantPointee(pointer(stringPointee('utf16', 'rpNames[]')), 'cNames', [1, 10000])),
  });
  const names = ['CN=x,DC=y', 'é𝄞 ünïcödé', 'EXAMPLE\\Administrator', ''];
  const w = new NdrWriter();
  w.write(DRS_HANDLE, Buffer.alloc(20, 3));
  w.write(ndrU32, 1);
  w.write(ndrU32, 1);
  w.write(V1, { CodePage: 1252, LocaleId: 0x409, dwFlags: 0, formatOffered: 1, formatDesired: 2, cNames: names.length, rpNames: names });
  const stub = w.finish();
  const [r] = samba([{ kind: 'in', module: 'drsuapi', type: 'DsCrackNames', hex: stub.toString('hex') }]);
  assert.ok(r!.ok, !r!.ok ? r!.error : '');
  assert.equal(r!.hex, stub.toString('hex'), "Samba packs the same bytes");
  const v = (r as { value: { in_req: { count: number; names: { str: string }[] } } }).value.in_req;
  assert.deepEqual(v.names.map((n) => n.str), names);
  const rd = new NdrReader(Buffer.from(r!.hex, 'hex'));
  rd.read(DRS_HANDLE);
  rd.read(ndrU32);
  rd.read(ndrU32);
  assert.deepEqual(rd.read(V1).rpNames, names);
  rd.end();
});
