// replPropertyMetaData and repsFrom/repsTo values against Samba's drsblobs (python3-samba).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeReplPropertyMetaData, decodeRepsFrom, encodeReplPropertyMetaData, encodeRepsFrom, BlobError, type PropertyMetaData, type REPS_FROM } from '../../src/drs/blobs.js';
import { attrMetaDataBlob, blobString, valueMetaDataBlob, attrMetaDataXml } from '../../src/drs/repl-info.js';
import { samba, type SambaCase } from './samba.js';

const guid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((u) => Buffer.from(u));
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const usn = fc.bigInt({ min: 0n, max: 2n ** 62n });
const dstime = fc.bigInt({ min: 0n, max: 1_000_000_000_000n });

test('replPropertyMetaData: Samba decodes forestd\'s vectors to the same stamps and packs the same bytes', () => {
  const arb = fc.array(fc.record({ attrType: u32, dwVersion: u32, timeChanged: dstime, uuidDsaOriginating: guid, usnOriginating: usn, usnProperty: usn }), { maxLength: 30 });
  const samples = fc.sample(arb, { numRuns: 60, seed: 7 }).map((a) => a.map((e) => ({ ...e })) as PropertyMetaData[]);
  const blobs = samples.map(encodeReplPropertyMetaData);
  const res = samba(blobs.map((b): SambaCase => ({ kind: 'struct', module: 'drsblobs', type: 'replPropertyMetaDataBlob', hex: b.toString('hex') })));
  res.forEach((r, i) => {
    assert.ok(r.ok, !r.ok ? r.error : '');
    assert.equal(r.hex, blobs[i]!.toString('hex'));
    const v = (r as { value: { version: number; ctr: { count: number; array: Record<string, unknown>[] } } }).value;
    assert.equal(v.version, 1);
    const sorted = [...samples[i]!].sort((a, b) => a.attrType - b.attrType);
    assert.equal(v.ctr.count, sorted.length);
    v.ctr.array.forEach((e, j) => {
      const w = sorted[j]!;
      assert.equal(e['attid'], w.attrType);
      assert.equal(e['version'], w.dwVersion);
      // Samba shows the DSTIME (seconds) as an NTTIME
      assert.equal(BigInt(e['originating_change_time'] as number), w.timeChanged * 10_000_000n);
      assert.equal(BigInt(e['originating_usn'] as number), w.usnOriginating);
      assert.equal(BigInt(e['local_usn'] as number), w.usnProperty);
    });
    assert.deepEqual(decodeReplPropertyMetaData(blobs[i]!), sorted);
  });
  assert.throws(() => decodeReplPropertyMetaData(Buffer.alloc(10)), BlobError);
});

test('repsFrom: Samba decodes forestd\'s REPS_FROM values and packs the same bytes; Samba\'s decode in forestd', () => {
  const arb: fc.Arbitrary<REPS_FROM> = fc.record({
    cConsecutiveFailures: u32,
    timeLastSuccess: dstime,
    timeLastAttempt: dstime,
    ulResultLastAttempt: u32,
    ulReplicaFlags: u32,
    rtSchedule: fc.uint8Array({ minLength: 84, maxLength: 84 }).map((u) => Buffer.from(u)),
    dwReserved1: fc.constant(0),
    usnVec: fc.record({ usnHighObjUpdate: usn, usnReserved: usn, usnHighPropUpdate: usn }),
    uuidDsaObj: guid,
    uuidInvocId: guid,
    uuidTransportObj: guid,
    naDsa: fc.stringMatching(/^[a-z0-9.-]{1,40}$/),
  });
  const samples = fc.sample(arb, { numRuns: 40, seed: 9 }).map((x) => ({ ...x, usnVec: { ...x.usnVec } }));
  const blobs = samples.map(encodeRepsFrom);
  const build = `
r = drsblobs.repsFromTo1()
o = drsblobs.repsFromTo1OtherInfo()
o.dns_name = "4a5b0c8e-0000-4000-8000-00000000000a._msdcs.example.com"
r.other_info = o
r.replica_flags = 0x70
r.consecutive_sync_failures = 2
r.last_success = 13000000000 * 10000000
r.highwatermark.tmp_highest_usn = 42
r.highwatermark.highest_usn = 43
r.source_dsa_obj_guid = misc.GUID("11111111-2222-3333-4444-555555555555")
b = drsblobs.repsFromToBlob()
b.version = 1
b.ctr = r
result = ndr_pack(b)
`;
  const res = samba([...blobs.map((b): SambaCase => ({ kind: 'struct', module: 'drsblobs', type: 'repsFromToBlob', hex: b.toString('hex') })), { op: 'build', code: build }]);
  blobs.forEach((b, i) => {
    const r = res[i]!;
    assert.ok(r.ok, !r.ok ? r.error : '');
    assert.equal(r.hex, b.toString('hex'));
    const v = (r as { value: { ctr: Record<string, any> } }).value.ctr;
    assert.equal(v.other_info.dns_name, samples[i]!.naDsa);
    assert.equal(v.replica_flags, samples[i]!.ulReplicaFlags);
    assert.equal(BigInt(v.highwatermark.highest_usn), samples[i]!.usnVec.usnHighPropUpdate);
    assert.deepEqual(decodeRepsFrom(b), samples[i]);
  });
  const built = res[res.length - 1]!;
  assert.ok(built.ok);
  const d = decodeRepsFrom(Buffer.from(built.hex, 'hex'));
  assert.equal(d.naDsa, '4a5b0c8e-0000-4000-8000-00000000000a._msdcs.example.com');
  assert.equal(d.ulReplicaFlags, 0x70);
  assert.equal(d.cConsecutiveFailures, 2);
  assert.equal(d.timeLastSuccess, 13_000_000_000n);
  assert.equal(d.usnVec.usnHighObjUpdate, 42n);
  assert.equal(d.usnVec.usnHighPropUpdate, 43n);
  assert.equal(d.uuidDsaObj.toString('hex'), '11111111222233334444555555555555');
  assert.throws(() => decodeRepsFrom(Buffer.alloc(20)), BlobError);
});

test('DS_REPL_ATTR_META_DATA_BLOB and DS_REPL_VALUE_META_DATA_BLOB: members at the ntdsapi.h offsets, strings after them', () => {
  const inv = Buffer.alloc(16, 0xab);
  const a = attrMetaDataBlob({ pszAttributeName: 'description', dwVersion: 3, ftimeLastOriginatingChange: 130_000_000_010_000_000n, uuidLastOriginatingDsaInvocationID: inv, usnOriginatingChange: 4100n, usnLocalChange: 4200n, pszLastOriginatingDsaDN: 'CN=NTDS Settings,CN=DC1' });
  assert.equal(a.readUInt32LE(4), 3);
  assert.equal(a.readBigUInt64LE(8), 130_000_000_010_000_000n);
  assert.ok(a.subarray(16, 32).equals(inv));
  assert.equal(a.readBigUInt64LE(32), 4100n);
  assert.equal(a.readBigUInt64LE(40), 4200n);
  assert.equal(a.readUInt32LE(0), 56, 'the first string follows the 56-byte structure');
  assert.equal(blobString(a, 0), 'description');
  assert.equal(blobString(a, 48), 'CN=NTDS Settings,CN=DC1');
  const v = valueMetaDataBlob({ pszAttributeName: 'member', pszObjectDn: 'CN=u', pbData: Buffer.alloc(0), ftimeDeleted: 0n, ftimeCreated: 5n, dwVersion: 2, ftimeLastOriginatingChange: 6n, uuidLastOriginatingDsaInvocationID: inv, usnOriginatingChange: 7n, usnLocalChange: 8n, pszLastOriginatingDsaDN: '' });
  assert.equal(v.readUInt32LE(8), 0, 'cbData');
  assert.equal(v.readUInt32LE(12), 0, 'obData: no data');
  assert.equal(v.readBigUInt64LE(24), 5n);
  assert.equal(v.readUInt32LE(32), 2);
  assert.equal(v.readBigUInt64LE(36), 6n);
  assert.ok(v.subarray(44, 60).equals(inv));
  assert.equal(v.readBigUInt64LE(64), 7n);
  assert.equal(v.readBigUInt64LE(72), 8n);
  assert.equal(v.readUInt32LE(80), 0, 'no originating DSA DN: offset 0');
  assert.equal(blobString(v, 4), 'CN=u');
  assert.match(attrMetaDataXml({ pszAttributeName: 'cn', dwVersion: 1, ftimeLastOriginatingChange: 132_000_000_000_000_000n, uuidLastOriginatingDsaInvocationID: inv, usnOriginatingChange: 1n, usnLocalChange: 1n, pszLastOriginatingDsaDN: 'CN=a&b' }), /^<DS_REPL_ATTR_META_DATA>\n\t<pszAttributeName>cn<\/pszAttributeName>\n\t<dwVersion>1<\/dwVersion>\n\t<ftimeLastOriginatingChange>2019-04-17T\d\d:\d\d:\d\dZ<\/ftimeLastOriginatingChange>\n\t<uuidLastOriginatingDsaInvocationID>abababab-abab-abab-abab-abababababab<\/uuidLastOriginatingDsaInvocationID>\n[\s\S]*<pszLastOriginatingDsaDN>CN=a&amp;b<\/pszLastOriginatingDsaDN>\n<\/DS_REPL_ATTR_META_DATA>\n$/);
});
