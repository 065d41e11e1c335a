// LDAP Modify of the DSA (MS-ADTS 3.1.1.5.3) driven directly against a provisioned directory:
// result codes with AD's error text, and the replication metadata each write leaves.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Directory } from '../../src/dsa/directory.js';
import { PERMISSIVE_MODIFY_OID } from '../../src/ldap/controls/permissive-modify.js';
import { ntHash } from '../../src/security/password.js';
import { DOMAIN, USERS, addObject, attr, control, fixture, mod, pwd, read, readGuid, rejects, rejectsAd, values } from './dsa-fixture.js';
import { AD } from '../helpers/ad-errors.js';

let d: Directory;
let close: () => Promise<void>;
before(async () => {
  ({ d, close } = await fixture());
  await addObject(d, `CN=Alice,${USERS}`, { objectClass: 'user', sAMAccountName: 'alice', description: 'one', displayName: 'Alice A' });
  // description is single-valued on SAM objects (AD; src/dsa/sam/index.ts): the multi-valued tests use a contact
  await addObject(d, CAROL, { objectClass: 'contact', description: ['one', 'two'], displayName: 'Alice A' });
  await addObject(d, `CN=Bob,${USERS}`, { objectClass: 'user', sAMAccountName: 'bob' });
  await addObject(d, `CN=Team,${USERS}`, { objectClass: 'group', sAMAccountName: 'team' });
});
after(() => close());

const ALICE = `CN=Alice,${USERS}`;
const BOB = `CN=Bob,${USERS}`;
const TEAM = `CN=Team,${USERS}`;
const CAROL = `CN=Carol,${USERS}`;

test('replace stamps the attribute once: dwVersion + 1, usnOriginating = the update USN = uSNChanged; other stamps unchanged', async () => {
  const before = read(d, CAROL).rec;
  const dn0 = attr(d, before, 'displayName')!.stamp!;
  const desc0 = attr(d, before, 'description')!.stamp!;
  await mod(d, CAROL, [['replace', 'displayName', ['Alice B']]]);
  const { rec } = read(d, CAROL);
  const st = attr(d, rec, 'displayName')!.stamp!;
  assert.deepEqual(values(d, rec, 'displayName'), ['Alice B']);
  assert.equal(st.dwVersion, dn0.dwVersion + 1);
  assert.equal(st.usnOriginating, rec.usnChanged);
  assert.equal(st.usnLocal, rec.usnChanged);
  assert.ok(rec.usnChanged > before.usnChanged);
  assert.ok(st.uuidOriginating.equals(d.store.dc.invocationId));
  assert.deepEqual(attr(d, rec, 'description')!.stamp, desc0, 'description was not touched');
  assert.equal(rec.usnCreated, before.usnCreated);
});

test('a modify that changes nothing writes nothing (uSNChanged and stamps as they were)', async () => {
  const before = read(d, CAROL).rec;
  await mod(d, CAROL, [['replace', 'displayName', ['Alice B']]]);
  await mod(d, CAROL, [['replace', 'description', ['two', 'one']]]);
  await mod(d, CAROL, [['add', 'description', ['one']]], [control(PERMISSIVE_MODIFY_OID)]);
  await mod(d, CAROL, [['delete', 'comment', []]], [control(PERMISSIVE_MODIFY_OID)]);
  const { rec } = read(d, CAROL);
  assert.equal(rec.usnChanged, before.usnChanged);
  assert.deepEqual(rec.attrs, before.attrs);
});

test('add of a present value: attributeOrValueExists (00002083), unless PERMISSIVE_MODIFY', async () => {
  await rejects(mod(d, CAROL, [['add', 'description', ['one']]]), 20, /^00002083: AtrErr: DSID-[0-9A-F]{8}, #1:\n\t0: 00002083: DSID-[0-9A-F]{8}, problem 1006 \(ATT_OR_VALUE_EXISTS\), data 0, Att d \(description\)/);
  await rejects(mod(d, CAROL, [['add', 'description', ['three', 'three']]]), 20, /ATT_OR_VALUE_EXISTS/);
  await mod(d, CAROL, [['add', 'description', ['one', 'three']]], [control(PERMISSIVE_MODIFY_OID)]);
  assert.deepEqual(values(d, read(d, CAROL).rec, 'description'), ['one', 'two', 'three']);
});

test('delete of a missing value: noSuchAttribute (00002085), unless PERMISSIVE_MODIFY; of a missing attribute: 00002084', async () => {
  await rejects(mod(d, CAROL, [['delete', 'description', ['nine']]]), 16, /^00002085: AtrErr: DSID-[0-9A-F]{8}, #1:\n\t0: 00002085: DSID-[0-9A-F]{8}, problem 1001 \(NO_ATTRIBUTE_OR_VAL\), data 0, Att d \(description\)/);
  await rejects(mod(d, CAROL, [['delete', 'comment', []]]), 16, /^00002084: AtrErr: .*NO_ATTRIBUTE_OR_VAL/s);
  const before = read(d, CAROL).rec;
  await mod(d, CAROL, [['delete', 'description', ['nine', 'three']]], [control(PERMISSIVE_MODIFY_OID)]);
  const { rec } = read(d, CAROL);
  assert.deepEqual(values(d, rec, 'description'), ['one', 'two']);
  assert.equal(attr(d, rec, 'description')!.stamp!.dwVersion, attr(d, before, 'description')!.stamp!.dwVersion + 1);
});

test('replace with no values removes the attribute; the stamp stays and counts the removal', async () => {
  const before = attr(d, read(d, CAROL).rec, 'description')!.stamp!;
  await mod(d, CAROL, [['replace', 'description', []]]);
  const { rec } = read(d, CAROL);
  const a = attr(d, rec, 'description')!;
  assert.deepEqual(a.values, []);
  assert.equal(a.stamp!.dwVersion, before.dwVersion + 1);
  assert.equal(a.stamp!.usnOriginating, rec.usnChanged);
  // removing what is not there with replace is fine and changes nothing
  const usn = rec.usnChanged;
  await mod(d, CAROL, [['replace', 'description', []]]);
  assert.equal(read(d, CAROL).rec.usnChanged, usn);
});

test('changes of one request are all or nothing', async () => {
  const before = read(d, ALICE).rec;
  await rejects(mod(d, ALICE, [['replace', 'displayName', ['Changed']], ['delete', 'comment', ['x']]]), 16);
  assert.deepEqual(read(d, ALICE).rec, before);
});

test('the RDN attribute and name are changed by Modify DN only: notAllowedOnRDN', async () => {
  await rejects(mod(d, ALICE, [['replace', 'cn', ['Alicia']]]), 67, /^00002016: UpdErr: DSID-[0-9A-F]{8}, problem 6004 \(CANT_ON_RDN\)/);
  await rejects(mod(d, ALICE, [['replace', 'name', ['Alicia']]]), 67);
  const usn = read(d, ALICE).rec.usnChanged;
  await mod(d, ALICE, [['replace', 'cn', ['Alice']]]); // the same value: accepted, nothing changes
  assert.equal(read(d, ALICE).rec.usnChanged, usn);
});

test('constructed, back-link and directory-owned attributes are refused', async () => {
  await rejects(mod(d, ALICE, [['replace', 'tokenGroups', ['S-1-5-32-544']]]), 19, /CONSTRAINT_ATT_TYPE/);
  await rejects(mod(d, ALICE, [['add', 'memberOf', [TEAM]]]), 53, /^00002035: SvcErr: DSID-[0-9A-F]{8}, problem 5003 \(WILL_NOT_PERFORM\)/);
  await rejects(mod(d, ALICE, [['replace', 'objectSid', ['S-1-5-21-1-2-3-4']]]), 53);
  await rejects(mod(d, ALICE, [['replace', 'sAMAccountType', ['805306369']]]), 53);
  await rejects(mod(d, ALICE, [['replace', 'whenCreated', ['20200101000000.0Z']]]), 53);
  await rejects(mod(d, ALICE, [['replace', 'isDeleted', ['TRUE']]]), 53);
});

test('single-valued and range constraints', async () => {
  // a second value of a single-valued attribute in a modify: Windows answers attributeOrValueExists (Samba's ldap.py, test_single_valued_attributes)
  await rejects(mod(d, ALICE, [['add', 'displayName', ['Second']]]), 20, /^00002083: AtrErr: .*ATT_OR_VALUE_EXISTS.*displayName/s);
  await rejects(mod(d, ALICE, [['replace', 'displayName', ['x'.repeat(257)]]]), 19, /CONSTRAINT_ATT_TYPE/);
  await rejects(mod(d, ALICE, [['replace', 'displayName', ['a', 'b']]]), 20);
});

test('attributes not allowed by the classes: objectClassViolation', async () => {
  await rejects(mod(d, ALICE, [['replace', 'macAddress', ['00:11:22:33:44:55']]]), 65, /^00002014: UpdErr: DSID-[0-9A-F]{8}, problem 6002 \(OBJ_CLASS_VIOLATION\)/);
});

test('objectClass: auxiliary classes come and go; the structural chain is fixed', async () => {
  await rejects(mod(d, ALICE, [['add', 'objectClass', ['group']]]), 65);
  await rejects(mod(d, ALICE, [['delete', 'objectClass', ['user']]]), 65);
  await rejects(mod(d, ALICE, [['replace', 'objectClass', ['top', 'person']]]), 65);
  await rejects(mod(d, ALICE, [['add', 'objectClass', ['user']]]), 20);
  await mod(d, ALICE, [['add', 'objectClass', ['ieee802Device']], ['add', 'macAddress', ['00:11:22:33:44:55']]]);
  let { rec } = read(d, ALICE);
  const oc = values(d, rec, 'objectClass') as string[];
  assert.equal(d.schema.snapshot.classByOid(oc[oc.length - 1]!)?.lDAPDisplayName, 'ieee802Device');
  assert.equal(attr(d, rec, 'objectClass')!.stamp!.usnOriginating, rec.usnChanged);
  // its attributes must go before the class does
  await rejects(mod(d, ALICE, [['delete', 'objectClass', ['ieee802Device']]]), 65);
  await mod(d, ALICE, [['delete', 'macAddress', []], ['delete', 'objectClass', ['ieee802Device']]]);
  ({ rec } = read(d, ALICE));
  assert.ok(!(values(d, rec, 'objectClass') as string[]).some((o) => d.schema.snapshot.classByOid(o)?.lDAPDisplayName === 'ieee802Device'));
});

test('increment (RFC 4525) of an integer attribute', async () => {
  await mod(d, ALICE, [['replace', 'countryCode', ['5']]]);
  await mod(d, ALICE, [['increment', 'countryCode', ['3']]]);
  assert.deepEqual(values(d, read(d, ALICE).rec, 'countryCode'), [8]);
  await rejects(mod(d, ALICE, [['increment', 'displayName', ['1']]]), 19);
  await rejects(mod(d, ALICE, [['increment', 'uidNumber', ['1']]]), 16);
});

test('sAMAccountName and userPrincipalName stay unique; a new sAMAccountName is found by the index', async () => {
  await rejects(mod(d, ALICE, [['replace', 'sAMAccountName', ['Administrator']]]), 68);
  await rejects(mod(d, ALICE, [['replace', 'sAMAccountName', ['bad/name']]]), 19);
  // Windows refuses removing a SAM object's sAMAccountName with unwillingToPerform (Samba's sam.py "Delete protection tests")
  await rejects(mod(d, ALICE, [['delete', 'sAMAccountName', []]]), 53, /^00002035: SvcErr: /);
  await mod(d, ALICE, [['replace', 'sAMAccountName', ['alice2']]]);
  await mod(d, ALICE, [['replace', 'sAMAccountName', ['alice2']]]); // unchanged: no self-conflict
  await mod(d, BOB, [['replace', 'sAMAccountName', ['alice']]]); // the old name is free again
  await mod(d, ALICE, [['replace', 'userPrincipalName', ['alice@example.com']]]);
  await rejectsAd(mod(d, BOB, [['replace', 'userPrincipalName', ['ALICE@example.com']]]), AD.UPN_NOT_UNIQUE);
  await mod(d, BOB, [['replace', 'sAMAccountName', ['bob']]]);
});

test('userAccountControl keeps sAMAccountType consistent', async () => {
  const type = () => values(d, read(d, BOB).rec, 'sAMAccountType')[0];
  assert.equal(type(), 0x30000000);
  await mod(d, BOB, [['replace', 'userAccountControl', [String(0x1000)]]]);
  assert.equal(type(), 0x30000001);
  const { rec } = read(d, BOB);
  assert.equal(attr(d, rec, 'sAMAccountType')!.stamp!.usnOriginating, rec.usnChanged);
  await mod(d, BOB, [['replace', 'userAccountControl', [String(0x202)]]]);
  assert.equal(type(), 0x30000000);
  // no account type bit: NORMAL_ACCOUNT is added, as Windows does for a replace with only ACCOUNTDISABLE (sam.py test_userAccountControl)
  await mod(d, BOB, [['replace', 'userAccountControl', ['0']]]);
  assert.equal(values(d, read(d, BOB).rec, 'userAccountControl')[0], 0x200);
  await rejects(mod(d, BOB, [['replace', 'userAccountControl', [String(0x1200)]]]), 53);
});

test('groupType keeps sAMAccountType consistent', async () => {
  const type = () => values(d, read(d, TEAM).rec, 'sAMAccountType')[0];
  assert.equal(type(), 0x10000000);
  await mod(d, TEAM, [['replace', 'groupType', [String(0x80000008 | 0)]]]);
  assert.equal(type(), 0x10000000);
  await mod(d, TEAM, [['replace', 'groupType', [String(0x80000004 | 0)]]]);
  assert.equal(type(), 0x20000000);
  await mod(d, TEAM, [['replace', 'groupType', ['4']]]);
  assert.equal(type(), 0x20000001);
  await rejects(mod(d, TEAM, [['replace', 'groupType', [String(0x8000000c | 0)]]]), 53);
  await rejects(mod(d, TEAM, [['replace', 'groupType', [String(0x80000005 | 0)]]]), 53);
  // domain local → global only through universal, as on Windows (sam.py test_groupType)
  await rejects(mod(d, TEAM, [['replace', 'groupType', [String(0x80000002 | 0)]]]), 53);
  await mod(d, TEAM, [['replace', 'groupType', [String(0x80000008 | 0)]]]);
  await mod(d, TEAM, [['replace', 'groupType', [String(0x80000002 | 0)]]]);
  assert.equal(type(), 0x10000000);
});

test('unicodePwd: reset by replace, change by delete+add with the old password, only when encrypted, never in clear', async () => {
  await rejects(mod(d, BOB, [['replace', 'unicodePwd', [pwd('N3w-Secret')]]], [], false), 53);
  await mod(d, BOB, [['replace', 'unicodePwd', [pwd('N3w-Secret')]]]);
  let { rec } = read(d, BOB);
  assert.ok(Buffer.from(values(d, rec, 'unicodePwd')[0] as Uint8Array).equals(ntHash('N3w-Secret')));
  assert.equal(attr(d, rec, 'pwdLastSet')!.stamp!.usnOriginating, rec.usnChanged);
  assert.ok((values(d, rec, 'pwdLastSet')[0] as bigint) > 0n);
  await rejects(mod(d, BOB, [['delete', 'unicodePwd', [pwd('wrong')]], ['add', 'unicodePwd', [pwd('Other-1')]]]), 19, /^00000056: AtrErr: .*CONSTRAINT_ATT_TYPE.*Att 9005a \(unicodePwd\)/s);
  await rejects(mod(d, BOB, [['add', 'unicodePwd', [pwd('Other-1')]]]), 53);
  await mod(d, BOB, [['delete', 'unicodePwd', [pwd('N3w-Secret')]], ['add', 'unicodePwd', [pwd('Other-1')]]]);
  ({ rec } = read(d, BOB));
  assert.ok(Buffer.from(values(d, rec, 'unicodePwd')[0] as Uint8Array).equals(ntHash('Other-1')));
});

test('member: link values with LinkValueStamps; the group gets a new uSNChanged, the member does not', async () => {
  const member = d.schema.attr('member')!;
  const bob = read(d, BOB);
  const g0 = read(d, TEAM).rec;
  await mod(d, TEAM, [['add', 'member', [BOB]]]);
  const team = read(d, TEAM);
  assert.ok(team.rec.usnChanged > g0.usnChanged);
  assert.equal(read(d, BOB).rec.usnChanged, bob.rec.usnChanged, 'the member object is not changed');
  assert.deepEqual(team.rec.attrs, g0.attrs, 'no attribute of the group is stamped: link values carry their own stamps');
  let lv = d.store.reader.getLink(team.guid, member.forwardLinkId!, bob.guid)!;
  assert.equal(lv.stamp.dwVersion, 1);
  assert.equal(lv.stamp.usnOriginating, team.rec.usnChanged);
  assert.equal(lv.stamp.timeDeleted, 0);
  const created = lv.stamp.timeCreated;
  // AD answers member changes with the SAM's errors
  await rejects(mod(d, TEAM, [['add', 'member', [BOB]]]), 68, /^00000562: UpdErr: DSID-[0-9A-F]{8}, problem 6005 \(ENTRY_EXISTS\), data 0/);
  await mod(d, TEAM, [['delete', 'member', [BOB]]]);
  const t2 = read(d, TEAM).rec;
  lv = d.store.reader.getLink(team.guid, member.forwardLinkId!, bob.guid)!;
  assert.equal(lv.stamp.dwVersion, 2);
  assert.ok(lv.stamp.timeDeleted > 0);
  assert.equal(lv.stamp.usnOriginating, t2.usnChanged);
  assert.equal([...d.store.reader.backlinks(bob.guid)].length, 0, 'a removed value is no back link');
  await rejects(mod(d, TEAM, [['delete', 'member', [BOB]]]), 53, /^00000561: SvcErr: DSID-[0-9A-F]{8}, problem 5003 \(WILL_NOT_PERFORM\), data 0/);
  await mod(d, TEAM, [['delete', 'member', [BOB]]], [control(PERMISSIVE_MODIFY_OID)]);
  assert.equal(read(d, TEAM).rec.usnChanged, t2.usnChanged, 'a permissive no-op changes nothing');
  await mod(d, TEAM, [['add', 'member', [BOB, ALICE]]]);
  lv = d.store.reader.getLink(team.guid, member.forwardLinkId!, bob.guid)!;
  assert.equal(lv.stamp.dwVersion, 3, 're-creating a tombstoned value');
  assert.equal(lv.stamp.timeCreated, created);
  assert.equal(lv.stamp.timeDeleted, 0);
  // replace: only the values that change get new stamps
  const alice = read(d, ALICE).guid;
  const aliceStamp = d.store.reader.getLink(team.guid, member.forwardLinkId!, alice)!.stamp;
  await mod(d, TEAM, [['replace', 'member', [ALICE]]]);
  assert.deepEqual(d.store.reader.getLink(team.guid, member.forwardLinkId!, alice)!.stamp, aliceStamp);
  assert.ok(d.store.reader.getLink(team.guid, member.forwardLinkId!, bob.guid)!.stamp.timeDeleted > 0);
  await rejects(mod(d, TEAM, [['add', 'member', [`CN=Nobody,${USERS}`]]]), 32);
});

test('single-valued forward link (manager)', async () => {
  await mod(d, ALICE, [['replace', 'manager', [BOB]]]);
  await rejects(mod(d, ALICE, [['add', 'manager', [`CN=Administrator,${USERS}`]]]), 19, /^00002081: /);
  await rejects(mod(d, ALICE, [['add', 'manager', [BOB]]]), 20);
  await mod(d, ALICE, [['delete', 'manager', []]]);
});

test('uSNChanged orders updates across objects; unknown objects and attributes', async () => {
  await mod(d, ALICE, [['replace', 'info', ['a']]]);
  await mod(d, BOB, [['replace', 'info', ['b']]]);
  assert.ok(read(d, BOB).rec.usnChanged > read(d, ALICE).rec.usnChanged);
  await rejects(mod(d, `CN=Nobody,${USERS}`, [['replace', 'info', ['x']]]), 32, /^0000208D: NameErr: DSID-[0-9A-F]{8}, problem 2001 \(NO_OBJECT\)/);
  await rejects(mod(d, ALICE, [['replace', 'noSuchAttr', ['x']]]), 17);
  await rejects(mod(d, `CN=Aggregate,CN=Schema,CN=Configuration,${DOMAIN}`, [['replace', 'description', ['x']]]), 53);
  assert.ok(readGuid(d, read(d, ALICE).guid));
});
