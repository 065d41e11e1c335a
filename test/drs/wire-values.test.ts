// Each syntax's DRS wire form against Samba's own LDAP → DRS conversion (python3-samba's dsdb
// syntax code with its bundled AD schema): for the same LDAP value, forestd's ATTRVAL bytes
// equal Samba's, the ATTRTYP of the attribute equals Samba's (the prefix table of MS-DRSR
// 5.16.4), and forestd decodes Samba's bytes back to the stored value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBootstrapSchema } from '../../src/schema/bootstrap.js';
import { SchemaSnapshot } from '../../src/schema/snapshot.js';
import { SchemaBinding } from '../../src/dsa/schema-binding.js';
import { PrefixTable } from '../../src/schema/prefix-table.js';
import { WIRE_FORMS, WireValueError, decodeDsnameValue, wireForm, type ToDrsContext } from '../../src/drs/wire-values.js';
import { SYNTAXES, type DSName, type StoredValue, type SyntaxContext } from '../../src/schema/syntaxes/index.js';
import { encodeRepsFrom } from '../../src/drs/blobs.js';
import { samba } from './samba.js';

const boot = loadBootstrapSchema();
const schema = new SchemaBinding(new SchemaSnapshot(boot.attributes, boot.classes, boot.prefixTable));
const GUID = '11111111-2222-3333-4444-555555555555';
const guidBytes = Buffer.from('11111111222233334444555555555555', 'hex');
const sid = Buffer.from('010500000000000515000000010000000200000003000000e8030000', 'hex');
const DN = 'CN=x,DC=x,DC=y';
const ref: DSName = { guid: guidBytes, dn: DN };
const refSid: DSName = { guid: guidBytes, sid, dn: DN };

const ldapCtx: SyntaxContext = {
  resolveDN: () => ref,
  dnOf: (r) => r.dn ?? DN,
  oidOf: (n) => (/^\d+(\.\d+)+$/.test(n) ? n : schema.attr(n)?.schema.attributeID),
  ldapNameOf: () => undefined,
};

/** [attribute, LDAP value as Samba gets it, forestd's stored value (undefined: syntax.fromLdap of the LDAP value)] */
const CASES: [string, Buffer | string, StoredValue?][] = [
  ['isDeleted', 'TRUE'],
  ['isDeleted', 'FALSE'],
  ['userAccountControl', '512'],
  ['systemFlags', '-1946157056'],
  ['objectClassCategory', '1'],
  ['pwdLastSet', '132000000000000000'],
  ['maxPwdAge', '-37108517437440'],
  ['meetingStartTime', '200101120000Z'],
  ['dSCorePropagationData', '20200101000000.0Z'],
  ['description', 'abc'],
  ['displayName', 'é𝄞 x'],
  ['legacyExchangeDN', '/o=Org/ou=Site'],
  ['destinationIndicator', 'ABC 12'],
  ['gecos', 'Gecos text'],
  ['x121Address', '12345'],
  ['presentationAddress', 'TSEL+PSEL'],
  ['attributeSecurityGUID', Buffer.from('00112233445566778899aabbccddeeff', 'hex')],
  ['objectSid', sid],
  ['nTSecurityDescriptor', Buffer.from('0100048014000000200000000000000000000000010100000000000100000000010100000000000100000000', 'hex')],
  ['attributeID', '1.2.840.113556.1.4.1'],
  ['governsID', '1.2.840.113556.1.5.9'],
  ['attributeSyntax', '2.5.5.12'],
  ['manager', `<GUID=${GUID}>;<SID=S-1-5-21-1-2-3-1000>;${DN}`, refSid],
  ['manager', `<GUID=${GUID}>;${DN}`, ref],
  ['msDS-HasInstantiatedNCs', `B:8:00000005:<GUID=${GUID}>;${DN}`, { ref, binary: Buffer.from('00000005', 'hex') }],
  ['msDS-RevealedList', `S:3:abc:<GUID=${GUID}>;${DN}`, { ref, str: 'abc' }],
];

test('wire values equal Samba\'s conversion of the same LDAP values, and decode back', () => {
  const repsFrom = encodeRepsFrom({
    cConsecutiveFailures: 0,
    timeLastSuccess: 1n,
    timeLastAttempt: 1n,
    ulResultLastAttempt: 0,
    ulReplicaFlags: 0x70,
    rtSchedule: Buffer.alloc(84, 0x11),
    dwReserved1: 0,
    usnVec: { usnHighObjUpdate: 5n, usnReserved: 0n, usnHighPropUpdate: 5n },
    uuidDsaObj: guidBytes,
    uuidInvocId: guidBytes,
    uuidTransportObj: Buffer.alloc(16),
    naDsa: 'dc1.x.y',
  });
  const cases: [string, Buffer | string, StoredValue?][] = [...CASES, ['repsFrom', repsFrom]];
  const res = samba(cases.map(([attr, v]) => ({ op: 'drsattr', attr, values: [Buffer.from(v).toString('hex')] }) as never));
  const covered = new Set<string>();
  cases.forEach(([attr, ldap, given], i) => {
    const r = res[i]!;
    assert.ok(r.ok, `${attr}: ${!r.ok ? r.error : ''}`);
    const sv = (r as { value: { attid: number; values: string[] } }).value;
    const info = schema.attr(attr)!;
    assert.equal(info.id, sv.attid, `${attr}: forestd's ATTRTYP 0x${info.id.toString(16)} is Samba's 0x${sv.attid.toString(16)}`);
    const stored = given ?? info.syntax.fromLdap(Buffer.from(ldap), ldapCtx);
    const ctx: ToDrsContext = { prefixTable: boot.prefixTable.clone(), dnOf: (x) => x.dn ?? DN };
    const form = wireForm(info.syntax.name);
    const mine = form.toDrs(stored, ctx);
    assert.equal(mine.toString('hex'), sv.values[0], `${attr} (${info.syntax.name}) = ${JSON.stringify(String(ldap))}`);
    const back = form.fromDrs(Buffer.from(sv.values[0]!, 'hex'), { prefixTable: ctx.prefixTable });
    assert.deepEqual(back, normalize(stored), `${attr}: Samba's bytes decode to the stored value`);
    covered.add(info.syntax.name);
  });
  // the syntaxes the v1903 schema has no attribute of (String(Case), Object(OR-Name), Object(Access-Point)) are in the next test
  assert.equal(covered.size, SYNTAXES.length - 3, [...covered].join(', '));
});

function normalize(v: StoredValue): StoredValue {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (typeof v === 'object' && 'guid' in v) return { ...v, guid: Buffer.from(v.guid), ...(v.sid ? { sid: Buffer.from(v.sid) } : {}) };
  if (typeof v === 'object' && 'binary' in v) return { ref: normalize(v.ref) as DSName, binary: Buffer.from(v.binary) };
  if (typeof v === 'object' && 'ref' in v) return { ...v, ref: normalize(v.ref) as DSName };
  return v;
}

test('every syntax has a wire form; the three without a schema attribute round-trip; bad values are WireValueErrors', () => {
  for (const s of SYNTAXES) assert.ok(WIRE_FORMS.has(s.name), s.name);
  const ctx = { prefixTable: new PrefixTable(), dnOf: (x: DSName) => x.dn ?? DN };
  assert.deepEqual(wireForm('String(Case)').fromDrs(wireForm('String(Case)').toDrs('Case Sensitive', ctx), ctx), 'Case Sensitive');
  assert.deepEqual(wireForm('Object(OR-Name)').fromDrs(wireForm('Object(OR-Name)').toDrs(ref, ctx), ctx), { guid: guidBytes, dn: DN });
  assert.deepEqual(wireForm('Object(Access-Point)').fromDrs(wireForm('Object(Access-Point)').toDrs({ ref, address: 'a#X500' }, ctx), ctx), { ref: { guid: guidBytes, dn: DN }, address: 'a#X500' });
  // an OID with a prefix the table lacks gets one (MS-DRSR 5.16.4 MakeAttid) and decodes through the same table
  const t = ctx.prefixTable.size;
  const b = wireForm('String(Object-Identifier)').toDrs('1.3.6.1.4.1.99999.7.200', ctx);
  assert.equal(ctx.prefixTable.size, t + 1);
  assert.equal(wireForm('String(Object-Identifier)').fromDrs(b, ctx), '1.3.6.1.4.1.99999.7.200');
  assert.throws(() => wireForm('String(Object-Identifier)').fromDrs(Buffer.from('0000ff7f', 'hex'), { prefixTable: new PrefixTable() }), WireValueError);
  assert.throws(() => wireForm('Integer').fromDrs(Buffer.alloc(3), ctx), WireValueError);
  assert.throws(() => wireForm('Object(DS-DN)').fromDrs(Buffer.alloc(40), ctx), WireValueError);
  assert.throws(() => decodeDsnameValue(Buffer.concat([Buffer.from('5600000000000000', 'hex'), Buffer.alloc(44), Buffer.from('ffffff00', 'hex'), Buffer.alloc(4)])), WireValueError);
  assert.throws(() => wireForm('Object(DN-Binary)').fromDrs(wireForm('Object(DS-DN)').toDrs(ref, ctx), ctx), WireValueError, 'a DSNAME without dataLen');
});
