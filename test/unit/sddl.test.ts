import { test } from 'node:test';
import { join } from 'node:path';
import { schemaDataDir } from '../../src/schema/bootstrap.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { sidFromString } from '../../src/schema/syntaxes/string-sid.js';
import { guidToString } from '../../src/util/guid.js';
import {
  SecurityDescriptorError,
  decodeSecurityDescriptor,
  encodeSecurityDescriptor,
  isObjectAceType,
  type Ace,
  type Acl,
  type SecurityDescriptor,
} from '../../src/security/security-descriptor.js';
import { SddlError, binaryToSddl, formatSddl, parseSddl, sddlToBinary, sidForAlias, SDDL_SID_ALIASES } from '../../src/security/sddl.js';
import { effectiveSdFlags, mergeSecurityDescriptor, mergeSecurityDescriptorBinary, readSecurityDescriptorParts, selectSecurityDescriptorParts } from '../../src/security/sd-flags.js';

const DOMAIN = 'S-1-5-21-1-2-3';
const ctx = { domainSid: sidFromString(DOMAIN) };
const forestCtx = { domainSid: sidFromString('S-1-5-21-10-20-30'), rootDomainSid: sidFromString('S-1-5-21-7-8-9') };

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+|\|/g, ''), 'hex');

function isSdError(e: unknown): boolean {
  return e instanceof SecurityDescriptorError && e.code === 'ERR_SECURITY_DESCRIPTOR';
}
function isSddlError(e: unknown): boolean {
  return e instanceof SddlError && e.code === 'ERR_SDDL';
}

// ---------------------------------------------------------------------------------------------
// Schema defaultSecurityDescriptor values

test('every defaultSecurityDescriptor in data/schema/classes.json round-trips', () => {
  const classes = JSON.parse(readFileSync(join(schemaDataDir(), 'classes.json'), 'utf8')) as Record<string, unknown>[];
  assert.equal(classes.length, 269);
  let n = 0;
  for (const c of classes) {
    const s = c['defaultSecurityDescriptor'];
    if (s === undefined) continue;
    assert.equal(typeof s, 'string');
    const name = String(c['lDAPDisplayName']);
    const sd = parseSddl(s as string, ctx);
    const bin = encodeSecurityDescriptor(sd);
    assert.deepEqual(decodeSecurityDescriptor(bin), sd, name);
    const again = formatSddl(sd, ctx);
    assert.deepEqual(sddlToBinary(again, ctx), bin, name);
    assert.equal(binaryToSddl(bin, ctx), again, name);
    assert.equal(formatSddl(parseSddl(again, ctx), ctx), again, name);
    // Default SDs carry no owner/group: AD fills them when the object is added.
    if (!(s as string).startsWith('O:')) assert.equal(sd.owner, undefined, name);
    n++;
  }
  assert.equal(n, 264);
});

test('the domainDNS default SD: object ACEs, inherit flags, SACL, literal SIDs', () => {
  const classes = JSON.parse(readFileSync(join(schemaDataDir(), 'classes.json'), 'utf8')) as Record<string, unknown>[];
  const dd = classes.find((c) => c['lDAPDisplayName'] === 'domainDNS')!['defaultSecurityDescriptor'] as string;
  const sd = parseSddl(dd, ctx);
  assert.equal(sd.dacl!.revision, 4);
  assert.equal(sd.sacl!.revision, 4);
  const first = sd.dacl!.aces[0]!;
  assert.equal(first.type, 0x05);
  assert.equal(first.mask, 0x100);
  assert.equal(first.objectType, '1131f6aa-9c07-11d1-f79f-00c04fc2dcd2');
  assert.equal(first.inheritedObjectType, undefined);
  assert.deepEqual(first.sid, sidFromString('S-1-5-21-3516728528-1120570704-3572002616-498'));
  const ciio = sd.dacl!.aces.find((a) => a.flags === 0x0a && a.inheritedObjectType === '4828cc14-1437-45bc-9b07-ad6f015e5f28')!;
  assert.ok(ciio);
  assert.deepEqual(ciio.sid, sidFromString('S-1-5-32-554')); // RU
  const ou = sd.sacl!.aces.at(-1)!;
  assert.equal(ou.type, 0x07);
  assert.equal(ou.flags, 0x42); // CI | SA
  assert.equal(ou.objectType, 'f30e3bbf-9ff0-11d1-b603-0000f80367c1');
  assert.equal(ou.inheritedObjectType, 'bf967aa5-0de6-11d0-a285-00aa003049e2');
});

// ---------------------------------------------------------------------------------------------
// Known answers, assembled by hand from MS-DTYP 2.4.2.2 (SID), 2.4.4.2 / 2.4.4.3 (ACEs),
// 2.4.5 (ACL) and 2.4.6 (SECURITY_DESCRIPTOR), laid out header, SACL, DACL, owner, group.

test('known answer: O:BAG:SYD:(A;;GA;;;SY)', () => {
  const expected = hex(`
    01 00 04 80 | 30 00 00 00 | 40 00 00 00 | 00 00 00 00 | 14 00 00 00
    02 00 1c 00 01 00 00 00
      00 00 14 00 | 00 00 00 10 | 01 01 00 00 00 00 00 05 12 00 00 00
    01 02 00 00 00 00 00 05 20 00 00 00 20 02 00 00
    01 01 00 00 00 00 00 05 12 00 00 00`);
  assert.deepEqual(sddlToBinary('O:BAG:SYD:(A;;GA;;;SY)', ctx), expected);
  assert.equal(binaryToSddl(expected), 'O:BAG:SYD:(A;;GA;;;SY)');
  const sd = decodeSecurityDescriptor(expected);
  assert.equal(sd.control, 0x8004);
  assert.deepEqual(sd.dacl, { revision: 2, aces: [{ type: 0, flags: 0, mask: 0x10000000, sid: sidFromString('S-1-5-18') }] });
});

test('known answer: domain-relative aliases and an object ACE', () => {
  const sddl = 'O:DAG:DUD:(OA;CI;RPWP;bf967a7f-0de6-11d0-a285-00aa003049e2;;DA)';
  const expected = hex(`
    01 00 04 80 | 54 00 00 00 | 70 00 00 00 | 00 00 00 00 | 14 00 00 00
    04 00 40 00 01 00 00 00
      05 02 38 00 | 30 00 00 00 | 01 00 00 00
      7f 7a 96 bf e6 0d d0 11 a2 85 00 aa 00 30 49 e2
      01 05 00 00 00 00 00 05 15 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 00 02 00 00
    01 05 00 00 00 00 00 05 15 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 00 02 00 00
    01 05 00 00 00 00 00 05 15 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 01 02 00 00`);
  assert.deepEqual(sddlToBinary(sddl, ctx), expected);
  assert.equal(binaryToSddl(expected, ctx), sddl);
  // Without the domain context the SIDs are written out.
  assert.equal(binaryToSddl(expected), `O:${DOMAIN}-512G:${DOMAIN}-513D:(OA;CI;RPWP;bf967a7f-0de6-11d0-a285-00aa003049e2;;${DOMAIN}-512)`);
});

test('known answer: SACL and DACL with control flags', () => {
  const sddl = 'D:PAI(A;;RC;;;WD)S:(AU;SAFA;WD;;;AU)';
  const expected = hex(`
    01 00 14 94 | 00 00 00 00 | 00 00 00 00 | 14 00 00 00 | 30 00 00 00
    02 00 1c 00 01 00 00 00
      02 c0 14 00 | 00 00 04 00 | 01 01 00 00 00 00 00 05 0b 00 00 00
    02 00 1c 00 01 00 00 00
      00 00 14 00 | 00 00 02 00 | 01 01 00 00 00 00 00 01 00 00 00 00`);
  assert.deepEqual(sddlToBinary(sddl, ctx), expected);
  assert.equal(binaryToSddl(expected), sddl);
});

test('empty, absent and NULL ACLs', () => {
  assert.deepEqual(sddlToBinary('', ctx), hex('01 00 00 80' + '00'.repeat(16)));
  const emptyDacl = sddlToBinary('D:', ctx);
  assert.deepEqual(emptyDacl, hex('01 00 04 80 00000000 00000000 00000000 14000000 02 00 08 00 00 00 00 00'));
  assert.equal(binaryToSddl(emptyDacl), 'D:');
  const nullDacl = sddlToBinary('D:NO_ACCESS_CONTROL', ctx);
  assert.deepEqual(nullDacl, hex('01 00 04 80' + '00'.repeat(16)));
  assert.equal(binaryToSddl(nullDacl), 'D:NO_ACCESS_CONTROL');
  assert.equal(binaryToSddl(sddlToBinary('D:S:', ctx)), 'D:S:');
  assert.equal(binaryToSddl(sddlToBinary('S:PARAINO_ACCESS_CONTROL', ctx)), 'S:PARAINO_ACCESS_CONTROL');
});

test('rights: aliases, numbers and the hex fallback', () => {
  const mask = (r: string, type = 'A'): number => parseSddl(`D:(${type};;${r};;;WD)`).dacl!.aces[0]!.mask;
  assert.equal(mask('RPWPCRCCDCLCLORCWOWDSDDTSW'), 0x000f01ff);
  assert.equal(mask('GAGRGWGX'), 0xf0000000);
  assert.equal(mask('LOLO'), 0x80); // duplicates, as in some schema defaults
  assert.equal(mask('0x1F01FF'), 0x1f01ff);
  assert.equal(mask('FA'), 0x1f01ff);
  assert.equal(mask('KR'), 0x20019);
  assert.equal(mask('010'), 8);
  assert.equal(mask('16'), 16);
  assert.equal(mask(''), 0);
  assert.equal(mask('NWNR', 'ML'), 3);
  assert.equal(formatSddl(parseSddl('D:(A;;FA;;;WD)')), 'D:(A;;0x1f01ff;;;WD)'); // SYNCHRONIZE has no alias
  assert.equal(formatSddl(parseSddl('D:(A;;0xF01FF;;;WD)')), 'D:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;WD)');
  assert.equal(formatSddl(parseSddl('S:(ML;;NWNR;;;LW)')), 'S:(ML;;NWNR;;;LW)');
});

test('SID aliases: the MS-DTYP 2.5.1.1 table, fixed and domain-relative', () => {
  const s = (a: string, c?: typeof forestCtx): string => formatSddl(parseSddl(`O:${a}`, c)).slice(2);
  assert.equal(s('SY'), 'SY');
  assert.deepEqual(sidForAlias('RU'), sidFromString('S-1-5-32-554'));
  assert.deepEqual(sidForAlias('RD'), sidFromString('S-1-5-32-555'));
  assert.deepEqual(sidForAlias('ED'), sidFromString('S-1-5-9'));
  assert.deepEqual(sidForAlias('PS'), sidFromString('S-1-5-10'));
  assert.deepEqual(sidForAlias('DA', forestCtx), sidFromString('S-1-5-21-10-20-30-512'));
  assert.deepEqual(sidForAlias('EA', forestCtx), sidFromString('S-1-5-21-7-8-9-519'));
  assert.deepEqual(sidForAlias('SA', forestCtx), sidFromString('S-1-5-21-7-8-9-518'));
  assert.deepEqual(sidForAlias('RO', forestCtx), sidFromString('S-1-5-21-7-8-9-498'));
  assert.deepEqual(sidForAlias('EA', ctx), sidFromString(`${DOMAIN}-519`)); // root defaults to the domain
  // Every alias maps back to itself (no two aliases share a SID).
  for (const a of SDDL_SID_ALIASES) {
    assert.equal(formatSddl(parseSddl(`O:${a}`, forestCtx), forestCtx), `O:${a}`, a);
  }
  // A root-relative SID of the wrong domain is written out.
  assert.equal(formatSddl({ control: 0x8000, owner: sidFromString('S-1-5-21-10-20-30-519') }, forestCtx), 'O:S-1-5-21-10-20-30-519');
});

// ---------------------------------------------------------------------------------------------
// Malformed input

test('malformed SDDL gives SddlError', () => {
  const bad = [
    'X:BA',
    'O:',
    'O:ZZ',
    'O:BAO:SY',
    'D:(A;;GA;;;SY',
    'D:(A;;GA;;SY)',
    'D:(Q;;GA;;;SY)',
    'D:(A;XX;GA;;;SY)',
    'D:(A;C;GA;;;SY)',
    'D:(A;;QQ;;;SY)',
    'D:(A;;0x123456789;;;SY)',
    'D:(A;;99999999999;;;SY)',
    'D:(A;;GA;bf967a7f-0de6-11d0-a285-00aa003049e2;;SY)',
    'D:(OA;;GA;not-a-guid;;SY)',
    'D:(A;;GA;;;)',
    'D:(A;;GA;;;S-1-5-99999999999)',
    'D:(A;;GA;;;S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16)',
    'D:NO_ACCESS_CONTROL(A;;GA;;;SY)',
    'D:(XA;;FA;;;WD;(Member_of {SID(BA)}))',
    'D:(A;;GA;;;SY)junk',
    'O:DA', // domain-relative alias without a domain SID
  ];
  for (const s of bad) assert.throws(() => parseSddl(s), isSddlError, s);
  // The owner SID string stops at the next component tag even when it looks like hex.
  assert.deepEqual(parseSddl('O:S-1-5-32-544D:').owner, sidFromString('S-1-5-32-544'));
});

test('malformed binary gives SecurityDescriptorError', () => {
  const good = sddlToBinary('O:BAG:SYD:(OA;;CR;1131f6aa-9c07-11d1-f79f-00c04fc2dcd2;;AU)S:(AU;SA;WD;;;WD)', ctx);
  decodeSecurityDescriptor(good);
  // Every truncation fails cleanly.
  for (let n = 0; n < good.length; n++) assert.throws(() => decodeSecurityDescriptor(good.subarray(0, n)), isSdError, `truncated to ${n}`);
  const mutate = (f: (b: Buffer) => void): Buffer => {
    const b = Buffer.from(good);
    f(b);
    return b;
  };
  const sacl = good.readUInt32LE(12);
  const dacl = good.readUInt32LE(16);
  const cases: [string, Buffer][] = [
    ['bad SD revision', mutate((b) => (b[0] = 2))],
    ['not self-relative', mutate((b) => b.writeUInt16LE(b.readUInt16LE(2) & 0x7fff, 2))],
    ['owner offset past end', mutate((b) => b.writeUInt32LE(good.length, 4))],
    ['group offset inside header', mutate((b) => b.writeUInt32LE(8, 8))],
    ['DACL offset huge', mutate((b) => b.writeUInt32LE(0xffffffff, 16))],
    ['owner SID revision', mutate((b) => (b[b.readUInt32LE(4)] = 2))],
    ['group SID sub-authority count', mutate((b) => (b[b.readUInt32LE(8) + 1] = 15))],
    ['ACL revision 3', mutate((b) => (b[dacl] = 3))],
    ['AclSize past end', mutate((b) => b.writeUInt16LE(0xfff0, dacl + 2))],
    ['AclSize below header', mutate((b) => b.writeUInt16LE(4, sacl + 2))],
    ['AceCount too large', mutate((b) => b.writeUInt16LE(2, sacl + 4))],
    ['AceSize not a multiple of 4', mutate((b) => b.writeUInt16LE(b.readUInt16LE(dacl + 10) - 2, dacl + 10))],
    ['AceSize past AclSize', mutate((b) => b.writeUInt16LE(b.readUInt16LE(dacl + 10) + 4, dacl + 10))],
    ['AceSize too small for the SID', mutate((b) => b.writeUInt16LE(8, sacl + 10))],
    ['ACE SID revision', mutate((b) => (b[sacl + 16] = 9))],
    ['compound ACE type', mutate((b) => (b[sacl + 8] = 4))],
    ['unknown ACE type', mutate((b) => (b[sacl + 8] = 0x40))],
    ['object Flags unknown bits', mutate((b) => b.writeUInt32LE(0x5, dacl + 16))],
    ['object Flags claim a missing GUID', mutate((b) => b.writeUInt32LE(0x3, dacl + 16))],
  ];
  for (const [what, b] of cases) assert.throws(() => decodeSecurityDescriptor(b), isSdError, what);
});

test('encode rejects invalid models', () => {
  const sy = sidFromString('S-1-5-18');
  const sd = (ace: Partial<Ace>, acl: Partial<Acl> = {}): SecurityDescriptor => ({
    control: 0x8004,
    dacl: { revision: 2, ...acl, aces: [{ type: 0, flags: 0, mask: 0, sid: sy, ...ace }] },
  });
  assert.throws(() => encodeSecurityDescriptor(sd({ type: 4 })), isSdError);
  assert.throws(() => encodeSecurityDescriptor(sd({ mask: -1 })), isSdError);
  assert.throws(() => encodeSecurityDescriptor(sd({ flags: 256 })), isSdError);
  assert.throws(() => encodeSecurityDescriptor(sd({ sid: Buffer.from([1, 2, 0, 0]) })), isSdError);
  assert.throws(() => encodeSecurityDescriptor(sd({ objectType: 'bf967a7f-0de6-11d0-a285-00aa003049e2' })), isSdError);
  assert.throws(() => encodeSecurityDescriptor(sd({ type: 5, objectType: 'nope' })), isSdError);
  assert.throws(() => encodeSecurityDescriptor(sd({}, { revision: 3 })), isSdError);
  assert.throws(() => encodeSecurityDescriptor({ control: 0x10000 }), isSdError);
  assert.throws(() => formatSddl(sd({ type: 9, applicationData: Buffer.from('artx') })), isSddlError);
});

test('object ACEs get ACL_REVISION_DS; application data is padded and kept', () => {
  const sy = sidFromString('S-1-5-18');
  const b = encodeSecurityDescriptor({ control: 0, dacl: { revision: 2, aces: [{ type: 5, flags: 0, mask: 0x100, sid: sy, inheritedObjectType: 'bf967aba-0de6-11d0-a285-00aa003049e2' }] } });
  assert.equal(b[20], 4);
  assert.equal(b.readUInt16LE(2), 0x8004);
  const cb = encodeSecurityDescriptor({ control: 0, dacl: { revision: 2, aces: [{ type: 9, flags: 0, mask: 1, sid: sy, applicationData: Buffer.from('artx\x01') }] } });
  const ace = decodeSecurityDescriptor(cb).dacl!.aces[0]!;
  assert.deepEqual(ace.applicationData, Buffer.from('artx\x01\0\0\0'));
  assert.equal(cb.readUInt16LE(30), 4 + 4 + 12 + 8); // AceSize of the first ACE (SD header 20 + ACL header 8 + 2)
});

// ---------------------------------------------------------------------------------------------
// LDAP_SERVER_SD_FLAGS_OID

const FULL = 'O:BAG:SYD:PAI(A;;GA;;;SY)S:AI(AU;SA;WD;;;WD)';

test('SD flags: default and read selection', () => {
  assert.equal(effectiveSdFlags(undefined), 15);
  assert.equal(effectiveSdFlags(0), 15);
  assert.equal(effectiveSdFlags(0x14), 4);
  const stored = sddlToBinary(FULL, ctx);
  // No control (= 15) or an explicit SACL request without the right: the attribute is withheld.
  assert.equal(readSecurityDescriptorParts(stored, undefined, false), undefined);
  assert.equal(readSecurityDescriptorParts(stored, 8, false), undefined);
  assert.deepEqual(readSecurityDescriptorParts(stored, undefined, true), stored);
  assert.equal(binaryToSddl(readSecurityDescriptorParts(stored, 7, false)!), 'O:BAG:SYD:PAI(A;;GA;;;SY)');
  assert.equal(binaryToSddl(readSecurityDescriptorParts(stored, 4, false)!), 'D:PAI(A;;GA;;;SY)');
  assert.equal(binaryToSddl(readSecurityDescriptorParts(stored, 1, false)!), 'O:BA');
  assert.equal(binaryToSddl(readSecurityDescriptorParts(stored, 8, true)!), 'S:AI(AU;SA;WD;;;WD)');
  const dOnly = readSecurityDescriptorParts(stored, 4, false)!;
  assert.equal(dOnly.readUInt16LE(2), 0x8000 | 0x0004 | 0x1000 | 0x0400);
  assert.equal(dOnly.readUInt32LE(4), 0);
  assert.equal(dOnly.readUInt32LE(12), 0);
  assert.deepEqual(selectSecurityDescriptorParts(parseSddl(FULL, ctx), 2), { control: 0x8000, group: sidFromString('S-1-5-18') });
});

test('SD flags: merge on write replaces only the flagged parts', () => {
  const old = parseSddl(FULL, ctx);
  const next = parseSddl('O:DAD:(A;;RC;;;AU)', ctx);
  const m = (f: number | undefined): string => formatSddl(mergeSecurityDescriptor(old, next, f), ctx);
  assert.equal(m(4), 'O:BAG:SYD:(A;;RC;;;AU)S:AI(AU;SA;WD;;;WD)');
  assert.equal(m(1), 'O:DAG:SYD:PAI(A;;GA;;;SY)S:AI(AU;SA;WD;;;WD)');
  assert.equal(m(2), FULL); // new value has no group: the old one stays
  assert.equal(m(8), 'O:BAG:SYD:PAI(A;;GA;;;SY)'); // new value has no SACL: removed
  assert.equal(m(undefined), 'O:DAG:SYD:(A;;RC;;;AU)');
  assert.equal(m(0x10 | 4), m(4)); // unknown bits ignored
  const bin = mergeSecurityDescriptorBinary(sddlToBinary(FULL, ctx), sddlToBinary('D:NO_ACCESS_CONTROL', ctx), 4);
  assert.equal(binaryToSddl(bin), 'O:BAG:SYD:NO_ACCESS_CONTROLS:AI(AU;SA;WD;;;WD)');
});

// ---------------------------------------------------------------------------------------------
// Properties

const WELL_KNOWN = ['S-1-5-18', 'S-1-5-11', 'S-1-5-32-544', 'S-1-1-0', 'S-1-3-0', 'S-1-5-10', 'S-1-5-9', `${DOMAIN}-512`, `${DOMAIN}-519`, `${DOMAIN}-498`, 'S-1-5-21-9-9-9-1104'].map(sidFromString);

const sidArb: fc.Arbitrary<Buffer> = fc.oneof(
  fc.constantFrom(...WELL_KNOWN),
  fc.record({ auth: fc.integer({ min: 0, max: 2 ** 48 - 1 }), subs: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 15 }) }).map(({ auth, subs }) => {
    const b = Buffer.alloc(8 + 4 * subs.length);
    b[0] = 1;
    b[1] = subs.length;
    b.writeUIntBE(auth, 2, 6);
    subs.forEach((s, i) => b.writeUInt32LE(s, 8 + 4 * i));
    return b;
  }),
);
const guidArb = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => guidToString(b));
const maskArb = fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(0x10000000, 0xf01ff, 0x20094, 0x100, 0x30));

function aceArb(types: number[], withAppData: boolean): fc.Arbitrary<Ace> {
  return fc
    .record({
      type: fc.constantFrom(...types),
      flags: fc.integer({ min: 0, max: 0xff }),
      mask: maskArb,
      sid: sidArb,
      objectType: fc.option(guidArb, { nil: undefined }),
      inheritedObjectType: fc.option(guidArb, { nil: undefined }),
      applicationData: withAppData ? fc.option(fc.integer({ min: 1, max: 8 }).chain((n) => fc.uint8Array({ minLength: 4 * n, maxLength: 4 * n })), { nil: undefined }) : fc.constant(undefined),
    })
    .map((r) => {
      const ace: Ace = { type: r.type, flags: r.flags, mask: r.mask, sid: r.sid };
      if (isObjectAceType(r.type)) {
        if (r.objectType !== undefined) ace.objectType = r.objectType;
        if (r.inheritedObjectType !== undefined) ace.inheritedObjectType = r.inheritedObjectType;
      }
      if (r.applicationData) ace.applicationData = Buffer.from(r.applicationData);
      return ace;
    });
}

function sdArb(types: number[], withAppData: boolean, controlBits: number[]): fc.Arbitrary<SecurityDescriptor> {
  const aclArb = fc.option(
    fc.record({ aces: fc.array(aceArb(types, withAppData), { maxLength: 6 }), ds: fc.boolean() }).map(({ aces, ds }): Acl => ({
      revision: aces.some((a) => isObjectAceType(a.type)) || (ds && withAppData) ? 4 : 2,
      aces,
    })),
    { nil: undefined },
  );
  return fc
    .record({
      owner: fc.option(sidArb, { nil: undefined }),
      group: fc.option(sidArb, { nil: undefined }),
      dacl: aclArb,
      sacl: aclArb,
      nullDacl: fc.boolean(),
      nullSacl: fc.boolean(),
      bits: fc.subarray(controlBits),
    })
    .map((r) => {
      let control = 0x8000;
      const daclPresent = r.dacl !== undefined || r.nullDacl;
      const saclPresent = r.sacl !== undefined || r.nullSacl;
      for (const b of r.bits) {
        const daclBit = (b & 0x1508) !== 0; // DD, DC, DI, PD
        const saclBit = (b & 0x2a20) !== 0; // SD, SC, SI, PS
        if ((daclBit && !daclPresent) || (saclBit && !saclPresent)) continue;
        control |= b;
      }
      if (daclPresent) control |= 0x4;
      if (saclPresent) control |= 0x10;
      const sd: SecurityDescriptor = { control };
      if (r.owner) sd.owner = r.owner;
      if (r.group) sd.group = r.group;
      if (r.sacl) sd.sacl = r.sacl;
      if (r.dacl) sd.dacl = r.dacl;
      return sd;
    });
}

const ALL_TYPES = Array.from({ length: 0x16 }, (_, i) => i).filter((t) => t !== 4);
const SDDL_TYPES = [0x00, 0x01, 0x02, 0x03, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0d, 0x11, 0x12, 0x13, 0x14, 0x15];
const ALL_CONTROL = [0x1, 0x2, 0x8, 0x20, 0x40, 0x80, 0x100, 0x200, 0x400, 0x800, 0x1000, 0x2000];
const SDDL_CONTROL = [0x100, 0x200, 0x400, 0x800, 0x1000, 0x2000];

test('property: encode/decode round-trips any model', () => {
  fc.assert(
    fc.property(sdArb(ALL_TYPES, true, ALL_CONTROL), (sd) => {
      const bin = encodeSecurityDescriptor(sd);
      assert.deepEqual(decodeSecurityDescriptor(bin), sd);
      assert.deepEqual(encodeSecurityDescriptor(decodeSecurityDescriptor(bin)), bin);
    }),
    { numRuns: 500 },
  );
});

test('property: formatSddl/parseSddl round-trips any SDDL-expressible model', () => {
  fc.assert(
    fc.property(sdArb(SDDL_TYPES, false, SDDL_CONTROL), (sd) => {
      const text = formatSddl(sd, ctx);
      assert.deepEqual(parseSddl(text, ctx), sd, text);
      assert.equal(binaryToSddl(encodeSecurityDescriptor(sd), ctx), text);
    }),
    { numRuns: 500 },
  );
});

test('property: decode of corrupted bytes fails only with SecurityDescriptorError', () => {
  fc.assert(
    fc.property(
      sdArb(ALL_TYPES, true, ALL_CONTROL),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      (sd, flips) => {
        const b = encodeSecurityDescriptor(sd);
        for (const [i, v] of flips) b[i % b.length] = v;
        try {
          decodeSecurityDescriptor(b);
        } catch (e) {
          assert.ok(isSdError(e), String(e));
        }
      },
    ),
    { numRuns: 500 },
  );
});
