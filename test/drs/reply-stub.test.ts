// The one-pass GetNCChanges response stub (src/drs/reply-stub.ts) is byte for byte the stub of
// the reference path, replyToWire (convert.ts) then encodeDRSGetNCChangesResponse (stubs.ts):
// for every reply of a provisioned forest's NCs (every syntax the forest stores, link values),
// and for random replies over every syntax (strings across the encoders' short/long paths,
// empty values, OID values that add prefixes, expiring link values: V9); Samba decodes it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { provision } from '../../src/dsa/provision/provision.js';
import type { Directory } from '../../src/dsa/directory.js';
import { replicaContextOf } from '../../src/dsa/replica-context.js';
import { getNCChanges } from '../../src/dsa/replica/source.js';
import type { DRS_MSG_GETCHGREQ_V10 } from '../../src/dsa/replica/types.js';
import { codecOf } from '../../src/drs/handlers.js';
import { replyToWire, type DrsCodec, type EngineGetChgReplyV6 } from '../../src/drs/convert.js';
import { encodeGetNCChangesReplyStub } from '../../src/drs/reply-stub.js';
import { encodeDRSGetNCChangesResponse } from '../../src/drs/stubs.js';
import { loadBootstrapSchema } from '../../src/schema/bootstrap.js';
import { SchemaSnapshot } from '../../src/schema/snapshot.js';
import { SchemaBinding } from '../../src/dsa/schema-binding.js';
import { PrefixTable } from '../../src/schema/prefix-table.js';
import { tempDir } from '../helpers/tmp.js';
import { propertyParams } from '../helpers/property.js';
import { samba } from './samba.js';

const reference = (reply: EngineGetChgReplyV6, codec: DrsCodec) => encodeDRSGetNCChangesResponse({ pmsgOut: replyToWire(reply, codec), result: 0 });

let t: { dir: string; cleanup: () => void };
let dc: Directory;
before(async () => {
  t = tempDir('forestd-reply-stub-');
  ({ directory: dc } = await provision({ dataDir: t.dir, realm: 'example.com', netbios: 'EXAMPLE', adminPassword: 'Passw0rd!' }));
});
after(async () => {
  await dc.close();
  t.cleanup();
});

/** Every reply of a whole cycle of `nc` from an empty vector, `max` objects a reply. */
function cycle(nc: { Guid: Buffer; StringName: string }, max: number): EngineGetChgReplyV6[] {
  const ctx = replicaContextOf(dc);
  const out: EngineGetChgReplyV6[] = [];
  let from = { usnHighObjUpdate: 0, usnReserved: 0, usnHighPropUpdate: 0 };
  for (;;) {
    const req: DRS_MSG_GETCHGREQ_V10 = { uuidDsaObjDest: Buffer.alloc(16, 9), uuidInvocIdSrc: Buffer.alloc(16), pNC: nc, usnvecFrom: from, pUpToDateVecDest: null, ulFlags: 0, cMaxObjects: max, cMaxBytes: 0, ulExtendedOp: 0, ulMoreFlags: 0 };
    const reply = getNCChanges(ctx, dc.store.reader, req);
    out.push(reply);
    if (!reply.fMoreData) return out;
    from = reply.usnvecTo;
  }
}

test('every reply of a provisioned forest: the one-pass stub is the reference stub, and Samba decodes it', () => {
  const f = dc.forest;
  const codec = codecOf(dc);
  let objects = 0;
  let values = 0;
  let first: Buffer | undefined;
  for (const nc of [
    { Guid: f.schemaNC, StringName: f.schemaDN },
    { Guid: f.configNC, StringName: f.configDN },
    { Guid: f.domainNC, StringName: f.domainDN },
  ]) {
    for (const reply of cycle(nc, 150)) {
      const got = encodeGetNCChangesReplyStub(reply, codec);
      assert.ok(got.equals(reference(reply, codec)), `${nc.StringName}: a reply of ${reply.pObjects.length} objects`);
      objects += reply.pObjects.length;
      values += reply.rgValues.length;
      if (nc.Guid === f.domainNC && reply.rgValues.length) first ??= got;
    }
  }
  assert.ok(objects > 1500, `the forest's objects (${objects})`);
  assert.ok(values > 0, 'link values too');
  const [r] = samba([{ kind: 'out', module: 'drsuapi', type: 'DsGetNCChanges', hex: first!.toString('hex') }]);
  assert.ok(r!.ok, !r!.ok ? r!.error : '');
  const ctr = (r as { value: { out_ctr: { object_count: number; linked_attributes_count: number } } }).value.out_ctr;
  assert.ok(ctr.object_count > 0 && ctr.linked_attributes_count > 0);
});

test('negative control: a reply with one value changed gives another stub', () => {
  const f = dc.forest;
  const codec = codecOf(dc);
  const [reply] = cycle({ Guid: f.domainNC, StringName: f.domainDN }, 20);
  const before = encodeGetNCChangesReplyStub(reply!, codec);
  const nameId = dc.schema.attr('name')!.id;
  const a = reply!.pObjects[0]!.Entinf.AttrBlock.pAttr.find((x) => x.attrTyp === nameId)!;
  a.AttrVal.pAVal = [`${a.AttrVal.pAVal[0] as string}x`];
  const changed = encodeGetNCChangesReplyStub(reply!, codec);
  assert.ok(!changed.equals(before));
  assert.ok(changed.equals(reference(reply!, codec)));
});

// ---- random replies over every syntax ------------------------------------------------------

const schema = (() => {
  const boot = loadBootstrapSchema(new PrefixTable());
  return new SchemaBinding(new SchemaSnapshot(boot.attributes, boot.classes, boot.prefixTable));
})();
/** one attribute of each syntax, by the syntax's name */
const bySyntax = new Map<string, number>();
for (const a of schema.snapshot.attributes) {
  const info = schema.attr(a.lDAPDisplayName)!;
  if (!bySyntax.has(info.syntax.name)) bySyntax.set(info.syntax.name, info.id);
}
// the syntaxes no attribute of the bundled schema has, under ATTRTYPs of their own (the codec knows them)
const EXTRA = new Map<number, string>();
for (const syntax of ['String(Case)', 'Object(OR-Name)', 'Object(Access-Point)']) {
  if (bySyntax.has(syntax)) continue;
  const id = 0xffff0000 + EXTRA.size;
  EXTRA.set(id, syntax);
  bySyntax.set(syntax, id);
}
const text = fc.string({ unit: 'binary', maxLength: 90 });
const ascii = fc.string({ maxLength: 90 });
const bytes = fc.uint8Array({ maxLength: 90 }).map((b) => Buffer.from(b));
const guid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b));
const ref = fc.record({ guid, dn: text, sid: fc.option(fc.uint8Array({ minLength: 1, maxLength: 28 }).map((b) => Buffer.from(b)), { nil: undefined }) }).map((r) => (r.sid ? r : { guid: r.guid, dn: r.dn }));
const oid = fc.oneof(fc.constantFrom('2.5.6.0', '1.2.840.113556.1.5.9', '2.5.4.3'), fc.tuple(fc.nat(40), fc.nat(70000)).map(([a, b]) => `1.3.6.1.4.1.${a}.${b}`));
const VALUES: Record<string, fc.Arbitrary<unknown>> = {
  Boolean: fc.boolean(),
  Integer: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  Enumeration: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  LargeInteger: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  'String(UTC-Time)': fc.integer({ min: 0, max: 2 ** 40 }),
  'String(Generalized-Time)': fc.integer({ min: 0, max: 2 ** 40 }),
  'String(Unicode)': text,
  'String(Case)': fc.oneof(text, bytes),
  'String(Teletex)': ascii,
  'String(IA5)': ascii,
  'String(Printable)': ascii,
  'String(Numeric)': ascii,
  'Object(Presentation-Address)': text,
  'String(Octet)': bytes,
  'String(Sid)': bytes,
  'String(NT-Sec-Desc)': bytes,
  'Object(Replica-Link)': bytes,
  'String(Object-Identifier)': oid,
  'Object(DS-DN)': ref,
  'Object(OR-Name)': ref,
  'Object(DN-Binary)': fc.record({ ref, binary: bytes }),
  'Object(DN-String)': fc.record({ ref, str: text }),
  'Object(Access-Point)': fc.record({ ref, address: text }),
};
const attr = fc.constantFrom(...[...bySyntax].filter(([s]) => VALUES[s])).chain(([s, id]) => fc.array(VALUES[s]!, { maxLength: 3 }).map((pAVal) => ({ attrTyp: id, AttrVal: { valCount: pAVal.length, pAVal } })));
const md = fc.record({ dwVersion: fc.nat(), timeChanged: fc.nat(2 ** 40), uuidDsaOriginating: guid, usnOriginating: fc.nat(2 ** 40) });
const entry = fc.record({ name: fc.record({ Guid: guid, StringName: text, Sid: fc.option(bytes.filter((b) => b.length <= 28), { nil: undefined }) }), attrs: fc.array(attr, { maxLength: 12 }), parent: fc.option(guid, { nil: null }), head: fc.boolean() }).chain((e) =>
  fc.array(md, { minLength: e.attrs.length, maxLength: e.attrs.length }).map((rgMetaData) => ({
    Entinf: { pName: e.name.Sid ? e.name : { Guid: e.name.Guid, StringName: e.name.StringName }, ulFlags: 0, AttrBlock: { attrCount: e.attrs.length, pAttr: e.attrs } },
    fIsNCPrefix: e.head,
    pParentGuid: e.parent,
    pMetaDataExt: { cNumProps: rgMetaData.length, rgMetaData },
  })),
);
const member = schema.attr('member')!.id;
const linkValue = fc.record({ source: fc.record({ Guid: guid, StringName: fc.constant('') }), target: fc.record({ Guid: guid, StringName: text }), present: fc.boolean(), created: fc.nat(2 ** 40), md, expires: fc.oneof(fc.constant(0), fc.nat(2 ** 40)) }).map((v) => ({
  pObject: v.source,
  attrTyp: member,
  Aval: { target: v.target, data: Buffer.alloc(0) },
  fIsPresent: v.present,
  MetaData: { timeCreated: v.created, MetaData: v.md, unused1: 0 as const, unused2: 0 as const, unused3: 0 as const, timeExpired: v.expires },
}));
const reply = fc.record({ objects: fc.array(entry, { maxLength: 6 }), values: fc.array(linkValue, { maxLength: 3 }), more: fc.boolean() }).map(
  (x): EngineGetChgReplyV6 => ({
    uuidDsaObjSrc: Buffer.alloc(16, 1),
    uuidInvocIdSrc: Buffer.alloc(16, 2),
    pNC: { Guid: Buffer.alloc(16, 3), StringName: 'DC=x,DC=y' },
    usnvecFrom: { usnHighObjUpdate: 1, usnReserved: 0, usnHighPropUpdate: 1 },
    usnvecTo: { usnHighObjUpdate: 99, usnReserved: 0, usnHighPropUpdate: 99 },
    pUpToDateVecSrc: x.more ? null : { dwVersion: 2, dwReserved1: 0, rgCursors: [{ uuidDsa: Buffer.alloc(16, 2), usnHighPropUpdate: 99, timeLastSyncSuccess: 13_300_000_000 }] },
    ulExtendedRet: 0,
    cNumObjects: x.objects.length,
    cNumBytes: 0,
    pObjects: x.objects,
    fMoreData: x.more,
    cNumValues: x.values.length,
    rgValues: x.values,
    dwDRSError: 0,
  }),
);
const randomCodec = (): DrsCodec => ({ prefixTable: schema.snapshot.prefixTable, syntaxOf: (id) => EXTRA.get(id) ?? schema.attrById(id)?.syntax.name, dnOf: (r) => `${r.dn ?? ''}!` });

test('random replies over every syntax: the one-pass stub is the reference stub', () => {
  assert.equal(bySyntax.size, Object.keys(VALUES).length, 'the schema has an attribute of every syntax');
  let v9 = 0;
  fc.assert(
    fc.property(reply, (r) => {
      const got = encodeGetNCChangesReplyStub(r, randomCodec());
      const want = reference(r, randomCodec());
      if (want.readUInt32LE(0) === 9) v9++;
      assert.ok(got.equals(want), `${got.length} vs ${want.length} bytes`);
    }),
    propertyParams(300),
  );
  assert.ok(v9 > 0, 'expiring link values (V9) were among the cases');
});
