// The engine's GetNCChanges messages on the wire: a reply from a DC whose prefix table gives
// other ATTRTYPs than the receiver's arrives with the receiver's ATTRTYPs and the same stored
// values; the stub in between is one Samba decodes; and the whole exchange runs over the TLS
// transport with the engine's shapes at both ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBootstrapSchema } from '../../src/schema/bootstrap.js';
import { SchemaSnapshot } from '../../src/schema/snapshot.js';
import { SchemaBinding } from '../../src/dsa/schema-binding.js';
import { DEFAULT_PREFIX_TABLE, PrefixTable, encodeOid } from '../../src/schema/prefix-table.js';
import { callGetNCChanges, replyFromWire, replyToWire, requestFromWire, requestToWire, type DrsCodec, type EngineGetChgReplyV6, type EngineGetChgReqV10 } from '../../src/drs/convert.js';
import { decodeDRSGetNCChangesResponse, encodeDRSGetNCChangesResponse } from '../../src/drs/stubs.js';
import { DrsServer } from '../../src/drs/server.js';
import { getNCChangesHandler } from '../../src/drs/reply-stub.js';
import { DrsClient, DrsTlsListener } from '../../src/drs/transport/tls.js';
import { drsKey } from '../../src/drs/transport/auth.js';
import { createSelfSignedCertificate } from '../../src/ldap/tls.js';
import { ntHash } from '../../src/security/password.js';
import { samba } from './samba.js';

function binding(table: PrefixTable): SchemaBinding {
  const boot = loadBootstrapSchema(table);
  return new SchemaBinding(new SchemaSnapshot(boot.attributes, boot.classes, boot.prefixTable));
}
/** DC A: the default table. DC B: the same prefixes under other indexes, so every ATTRTYP differs. */
const A = binding(new PrefixTable());
const B = binding(new PrefixTable(DEFAULT_PREFIX_TABLE.map(([i, p]) => ({ index: i + 100, prefix: encodeOid(p) }))));
const codecOf = (s: SchemaBinding): DrsCodec => ({ prefixTable: s.snapshot.prefixTable, syntaxOf: (id) => s.attrById(id)?.syntax.name, dnOf: (r) => r.dn ?? '' });

const g = (n: number) => Buffer.alloc(16, n);
const dn = (s: string, n: number) => ({ Guid: g(n), StringName: s });
const id = (s: SchemaBinding, name: string) => s.attr(name)!.id;

function replyFrom(s: SchemaBinding): EngineGetChgReplyV6 {
  const attrs: [string, unknown[]][] = [
    ['objectClass', ['2.5.6.0', '1.2.840.113556.1.5.9']],
    ['cn', ['Alice']],
    ['description', ['é𝄞 and more']],
    ['userAccountControl', [512]],
    ['pwdLastSet', [132000000000000000n]],
    ['whenCreated', [13_220_000_000]],
    ['isDeleted', [false]],
    ['objectSid', [Buffer.from('010500000000000515000000010000000200000003000000e8030000', 'hex')]],
    ['manager', [{ guid: g(5), dn: 'CN=Bob,DC=x,DC=y' }]],
  ];
  return {
    uuidDsaObjSrc: g(1),
    uuidInvocIdSrc: g(2),
    pNC: dn('DC=x,DC=y', 3),
    usnvecFrom: { usnHighObjUpdate: 0, usnReserved: 0, usnHighPropUpdate: 0 },
    usnvecTo: { usnHighObjUpdate: 4100, usnReserved: 0, usnHighPropUpdate: 4100 },
    pUpToDateVecSrc: { dwVersion: 2, dwReserved1: 0, rgCursors: [{ uuidDsa: g(2), usnHighPropUpdate: 4100, timeLastSyncSuccess: 13_300_000_000 }] },
    ulExtendedRet: 0,
    cNumObjects: 1,
    cNumBytes: 0,
    pObjects: [
      {
        Entinf: { pName: { ...dn('CN=Alice,DC=x,DC=y', 4), Sid: Buffer.from('010500000000000515000000010000000200000003000000e8030000', 'hex') }, ulFlags: 0, AttrBlock: { attrCount: attrs.length, pAttr: attrs.map(([n, v]) => ({ attrTyp: id(s, n), AttrVal: { valCount: v.length, pAVal: v } })) } },
        fIsNCPrefix: false,
        pParentGuid: g(3),
        pMetaDataExt: { cNumProps: attrs.length, rgMetaData: attrs.map((_, i) => ({ dwVersion: 1 + i, timeChanged: 13_220_000_000 + i, uuidDsaOriginating: g(2), usnOriginating: 4000 + i })) },
      },
    ],
    fMoreData: false,
    cNumValues: 2,
    rgValues: [
      { pObject: dn('CN=G,DC=x,DC=y', 6), attrTyp: id(s, 'member'), Aval: { target: dn('CN=Alice,DC=x,DC=y', 4), data: Buffer.alloc(0) }, fIsPresent: true, MetaData: { timeCreated: 13_220_000_100, MetaData: { dwVersion: 1, timeChanged: 13_220_000_100, uuidDsaOriginating: g(2), usnOriginating: 4099 }, unused1: 0, unused2: 0, unused3: 0, timeExpired: 0 } },
      { pObject: dn('DC=x,DC=y', 3), attrTyp: id(s, 'msDS-HasInstantiatedNCs'), Aval: { target: dn('CN=Configuration,DC=x,DC=y', 7), data: Buffer.from('00000005', 'hex') }, fIsPresent: false, MetaData: { timeCreated: 1, MetaData: { dwVersion: 2, timeChanged: 2, uuidDsaOriginating: g(2), usnOriginating: 4100 }, unused1: 0, unused2: 0, unused3: 0, timeExpired: 0 } },
    ],
    dwDRSError: 0,
  };
}

test('a reply from a DC with other ATTRTYPs arrives with the receiver\'s ATTRTYPs and the same values; Samba decodes the stub', () => {
  assert.notEqual(id(A, 'description'), id(B, 'description'), 'the two tables give different ATTRTYPs');
  const sent = replyFrom(A);
  const wire = replyToWire(sent, codecOf(A));
  assert.equal(wire.version, 6, 'no expiring link values: V6 with REPLVALINF_V1');
  const stub = encodeDRSGetNCChangesResponse({ pmsgOut: wire, result: 0 });
  const [r] = samba([{ kind: 'out', module: 'drsuapi', type: 'DsGetNCChanges', hex: stub.toString('hex') }]);
  assert.ok(r!.ok, !r!.ok ? r!.error : '');
  const c = (r as { value: { out_ctr: Record<string, any> } }).value.out_ctr;
  assert.equal(c.first_object.object.attribute_ctr.num_attributes, 9);
  assert.equal(c.linked_attributes_count, 2);
  assert.equal(c.linked_attributes[1].value.blob.bytes.slice(-16), '0800000000000005', 'the DN-Binary link value ends with dataLen and the binary');
  const got = replyFromWire(decodeDRSGetNCChangesResponse(stub).pmsgOut, codecOf(B));
  const want = replyFrom(B);
  want.cNumBytes = got.cNumBytes;
  // the stored DSName of a DN value comes back with the DN the source knew it by
  assert.deepEqual(got, want);
  // negative control: read with A's own table, B's ATTRTYPs are wrong
  assert.notDeepEqual(replyFromWire(decodeDRSGetNCChangesResponse(stub).pmsgOut, codecOf(A)).pObjects[0]!.Entinf.AttrBlock.pAttr.map((a) => a.attrTyp), want.pObjects[0]!.Entinf.AttrBlock.pAttr.map((a) => a.attrTyp));
  // an expiring link value needs V9
  const exp = replyFrom(A);
  exp.rgValues[0]!.MetaData.timeExpired = 13_400_000_000;
  assert.equal(replyToWire(exp, codecOf(A)).version, 9);
  assert.equal(replyFromWire(replyToWire(exp, codecOf(A)), codecOf(A)).rgValues[0]!.MetaData.timeExpired, 13_400_000_000);
});

test('equal byte values (the security descriptor of a chunk\'s objects) arrive as one copy, unequal ones each as their own', () => {
  const sent = replyFrom(A);
  const o = sent.pObjects[0]!;
  const sdId = id(A, 'nTSecurityDescriptor');
  const sidId = id(A, 'objectSid');
  const sd = (n: number) => Buffer.alloc(300, n);
  // four objects: SDs a, a, b, a; objectSids all equal
  sent.pObjects = [1, 1, 2, 1].map((n, i) => ({
    ...o,
    Entinf: { ...o.Entinf, pName: dn(`CN=U${i},DC=x,DC=y`, 10 + i), AttrBlock: { attrCount: 2, pAttr: [{ attrTyp: sdId, AttrVal: { valCount: 1, pAVal: [sd(n)] } }, { attrTyp: sidId, AttrVal: { valCount: 1, pAVal: [Buffer.from('0105000000000005150000000100000002000000', 'hex')] } }] } },
    pMetaDataExt: { cNumProps: 2, rgMetaData: o.pMetaDataExt.rgMetaData.slice(0, 2) },
  }));
  sent.cNumObjects = 4;
  const stub = encodeDRSGetNCChangesResponse({ pmsgOut: replyToWire(sent, codecOf(A)), result: 0 });
  const got = replyFromWire(decodeDRSGetNCChangesResponse(stub).pmsgOut, codecOf(A));
  const val = (i: number, j: number) => got.pObjects[i]!.Entinf.AttrBlock.pAttr[j]!.AttrVal.pAVal[0] as Buffer;
  for (let i = 0; i < 4; i++) assert.ok(val(i, 0).equals(sd([1, 1, 2, 1][i]!)));
  assert.equal(val(1, 0), val(0, 0), 'the same bytes as the object before: the same Buffer');
  assert.notEqual(val(2, 0), val(1, 0));
  assert.notEqual(val(3, 0), val(0, 0), 'only the previous value is compared');
  assert.equal(val(3, 1), val(0, 1));
  // the values are copies: nothing points into the stub
  stub.fill(0);
  assert.ok(val(0, 0).equals(sd(1)));
  assert.ok(val(3, 1).equals(Buffer.from('0105000000000005150000000100000002000000', 'hex')));
});

test('the engine\'s GetNCChanges over the TLS transport, engine shapes at both ends', async () => {
  const material = createSelfSignedCertificate(['localhost'], ['127.0.0.1']);
  const h1 = ntHash('one');
  const h2 = ntHash('two');
  const keys = new Map([
    ['DC1$', drsKey(h1, 'DC1$')],
    ['DC2$', drsKey(h2, 'DC2$')],
  ]);
  const seen: EngineGetChgReqV10[] = [];
  const listener = new DrsTlsListener({
    server: new DrsServer({ IDL_DRSGetNCChanges: getNCChangesHandler((req) => (seen.push(req), replyFrom(A)), () => codecOf(A)) }),
    credentials: { account: 'DC1$', dsaGuid: g(1), key: keys.get('DC1$')!, keyOf: (a) => keys.get(a) },
    tls: material,
  });
  const { port } = await listener.listen('127.0.0.1', 0);
  try {
    const c = await DrsClient.connect({ host: '127.0.0.1', port, credentials: { account: 'DC2$', dsaGuid: g(9), key: keys.get('DC2$')!, keyOf: (a) => keys.get(a) }, expectServerAccount: 'DC1$' });
    const b = await c.bind({ puuidClientDsa: g(9), pextClient: null });
    const req: EngineGetChgReqV10 = {
      uuidDsaObjDest: g(9),
      uuidInvocIdSrc: g(2),
      pNC: dn('DC=x,DC=y', 3),
      usnvecFrom: { usnHighObjUpdate: 10, usnReserved: 0, usnHighPropUpdate: 10 },
      pUpToDateVecDest: { dwVersion: 2, dwReserved1: 0, rgCursors: [{ uuidDsa: g(9), usnHighPropUpdate: 77, timeLastSyncSuccess: 0 }] },
      ulFlags: 0x810,
      cMaxObjects: 100,
      cMaxBytes: 1 << 20,
      ulExtendedOp: 0,
      ulMoreFlags: 1,
    };
    const got = await callGetNCChanges(c, b.phDrs, req, codecOf(B));
    assert.deepEqual(seen, [req], 'the source sees the request the destination made');
    assert.equal(got.pObjects[0]!.Entinf.AttrBlock.pAttr.find((a) => a.attrTyp === id(B, 'description'))!.AttrVal.pAVal[0], 'é𝄞 and more');
    assert.equal(got.rgValues.length, 2);
    assert.deepEqual(requestFromWire(requestToWire(req, b.phDrs, codecOf(B)).pmsgIn), req);
    // an extended operation's liFsmoInfo (RID_ALLOC: the current pool) travels too
    const rid = { ...req, ulExtendedOp: 2, liFsmoInfo: (2000n << 32n) | 1600n };
    assert.deepEqual(requestFromWire(requestToWire(rid, b.phDrs, codecOf(B)).pmsgIn), rid);
    await c.close();
  } finally {
    await listener.close();
  }
});
