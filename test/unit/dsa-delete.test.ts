// LDAP Delete of the DSA (MS-ADTS 3.1.1.5.5, Recycle Bin off): tombstones, their place and
// contents, link clean-up without stamps, tree delete, and the undelete of 3.1.1.5.3.7.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Directory } from '../../src/dsa/directory.js';
import { del, deleteSettings } from '../../src/dsa/delete.js';
import { modifyDN } from '../../src/dsa/modify-dn.js';
import { TREE_DELETE_OID } from '../../src/ldap/controls/tree-delete.js';
import { SHOW_DELETED_OID } from '../../src/ldap/controls/show-deleted.js';
import { guidToString } from '../../src/util/guid.js';
import type { Control } from '../../src/ldap/protocol/messages.js';
import { CONFIG, DOMAIN, USERS, addObject, attr, control, ctx, fixture, mod, pwd, read, readGuid, rejects, rejectsAd, values } from './dsa-fixture.js';
import { AD } from '../helpers/ad-errors.js';

let d: Directory;
let close: () => Promise<void>;
before(async () => {
  ({ d, close } = await fixture());
  await addObject(d, `CN=Frank,${USERS}`, { objectClass: 'user', sAMAccountName: 'frank', description: 'to be deleted', displayName: 'Frank F' });
  await addObject(d, `CN=Grace,${USERS}`, { objectClass: 'user', sAMAccountName: 'grace' });
  await addObject(d, `CN=Crew,${USERS}`, { objectClass: 'group', sAMAccountName: 'crew' });
  await addObject(d, `CN=Other,${USERS}`, { objectClass: 'group', sAMAccountName: 'other' });
  await mod(d, `CN=Crew,${USERS}`, [['add', 'member', [`CN=Frank,${USERS}`, `CN=Grace,${USERS}`]]]);
  await mod(d, `CN=Other,${USERS}`, [['add', 'member', [`CN=Crew,${USERS}`]]]);
  await mod(d, `CN=Frank,${USERS}`, [['replace', 'unicodePwd', [pwd('Fr4nk-pass')]]]);
  await addObject(d, `OU=T,${DOMAIN}`, { objectClass: 'organizationalUnit' });
  await addObject(d, `OU=U,OU=T,${DOMAIN}`, { objectClass: 'organizationalUnit' });
  await addObject(d, `CN=Hank,OU=U,OU=T,${DOMAIN}`, { objectClass: 'user', sAMAccountName: 'hank' });
  await addObject(d, `CN=Ivy,OU=T,${DOMAIN}`, { objectClass: 'contact' });
});
after(() => close());

const remove = (entry: string, controls: Control[] = []) => del(d, { type: 'delRequest', entry }, ctx(controls));
const DELETED = `CN=Deleted Objects,${DOMAIN}`;
let frankGuid: Buffer;
let crewGuid: Buffer;

test('a deleted object becomes a tombstone in Deleted Objects: mangled RDN, isDeleted, lastKnownParent, stripped attributes with stamps', async () => {
  const users = read(d, USERS);
  const before = read(d, `CN=Frank,${USERS}`);
  frankGuid = before.guid;
  await remove(`CN=Frank,${USERS}`);
  await rejects(remove(`CN=Frank,${USERS}`), 32);
  const rec = readGuid(d, before.guid);
  const usn = rec.usnChanged;
  assert.ok(usn > before.rec.usnChanged);
  const mangled = `Frank\nDEL:${guidToString(before.guid)}`;
  assert.equal(rec.name, mangled);
  assert.ok(rec.parent!.equals(read(d, DELETED).guid));
  assert.equal(d.dnOf(d.store.reader, before.guid), `CN=Frank\\0ADEL:${guidToString(before.guid)},${DELETED}`);
  assert.deepEqual(values(d, rec, 'cn'), [mangled]);
  assert.deepEqual(values(d, rec, 'name'), [mangled]);
  assert.deepEqual(values(d, rec, 'isDeleted'), [true]);
  assert.ok((values(d, rec, 'lastKnownParent')[0] as { guid: Uint8Array }).guid.length === 16);
  assert.ok(Buffer.from((values(d, rec, 'lastKnownParent')[0] as { guid: Uint8Array }).guid).equals(users.guid));
  for (const n of ['isDeleted', 'lastKnownParent', 'cn', 'name']) assert.equal(attr(d, rec, n)!.stamp!.usnOriginating, usn, n);
  // kept: MS-ADTS 3.1.1.5.5.6.1's list; their stamps are untouched
  // AD frees the name of a deleted account: a new one may take it (and then the undelete would collide)
  await addObject(d, `CN=Frank Two,${USERS}`, { objectClass: 'user', sAMAccountName: 'frank' });
  await remove(`CN=Frank Two,${USERS}`);
  for (const n of ['sAMAccountName', 'objectSid', 'userAccountControl', 'objectClass', 'whenCreated', 'instanceType']) {
    assert.deepEqual(attr(d, rec, n), attr(d, before.rec, n), n);
  }
  // stripped: no values, a removal stamp each
  for (const n of ['description', 'displayName', 'objectCategory', 'sAMAccountType', 'unicodePwd', 'pwdLastSet', 'primaryGroupID']) {
    const a = attr(d, rec, n)!;
    assert.deepEqual(a.values, [], n);
    assert.equal(a.stamp!.dwVersion, attr(d, before.rec, n)!.stamp!.dwVersion + 1, n);
    assert.equal(a.stamp!.usnOriginating, usn, n);
  }
});

// Windows does not make the clean-up of the values naming a deleted object part of the
// originating delete: MS-DRSR 5.160 (RecycleObj) "…except for changes required to remove
// linked attribute values, which are simply removed from the directory"; Microsoft's
// Directory Services team ("What happens when a group is deleted", 2008): the link cleaner
// removes the values on each DC, and group membership "looks different per user and per DC"
// while it runs — it is not replicated. So the group that named the deleted user keeps its
// uSNChanged and its LinkValueStamps (issue #13); reads no longer show the value.
test('values naming a deleted object disappear without an originating update: the group keeps its uSNChanged and stamps', async () => {
  const member = d.schema.attr('member')!;
  const crew = read(d, `CN=Crew,${USERS}`);
  const frank = read(d, `CN=Frank\\0ADEL:${guidToString(frankGuid)},${DELETED}`);
  const lv = d.store.reader.getLink(crew.guid, member.forwardLinkId!, frank.guid)!;
  assert.equal(lv.stamp.timeDeleted, 0, 'no removal stamp');
  assert.equal(lv.stamp.dwVersion, 1, 'the value keeps the stamp of its creation');
  assert.ok(lv.stamp.usnOriginating < frank.rec.usnChanged);
  assert.equal(lv.hidden, true);
  assert.ok(crew.rec.usnChanged < frank.rec.usnChanged, 'the group is not changed by the delete');
  assert.equal([...d.store.reader.backlinks(frank.guid)].length, 0);
  assert.deepEqual([...d.store.reader.links(crew.guid)].map((x) => x.target.toString('hex')), [read(d, `CN=Grace,${USERS}`).guid.toString('hex')], 'reads show only the live member');
  // negative control: removing a member by a modify is an originating update of the group
  const grace = read(d, `CN=Grace,${USERS}`);
  await mod(d, `CN=Crew,${USERS}`, [['delete', 'member', [`CN=Grace,${USERS}`]]]);
  const after1 = readGuid(d, crew.guid);
  assert.ok(after1.usnChanged > crew.rec.usnChanged, 'a member removed by a modify changes the group');
  const removed = d.store.reader.getLink(crew.guid, member.forwardLinkId!, grace.guid)!;
  assert.ok(removed.stamp.timeDeleted > 0);
  assert.equal(removed.stamp.usnOriginating, after1.usnChanged);
  await mod(d, `CN=Crew,${USERS}`, [['add', 'member', [`CN=Grace,${USERS}`]]]);
  assert.equal(d.store.reader.getLink(crew.guid, member.forwardLinkId!, grace.guid)!.stamp.timeDeleted, 0);
});

test('a deleted group loses its own member values and the values naming it, none stamped, no other object changed', async () => {
  const member = d.schema.attr('member')!;
  const crew = read(d, `CN=Crew,${USERS}`);
  const grace = read(d, `CN=Grace,${USERS}`);
  const other = read(d, `CN=Other,${USERS}`);
  const ownBefore = d.store.reader.getLink(crew.guid, member.forwardLinkId!, grace.guid)!;
  crewGuid = crew.guid;
  await remove(`CN=Crew,${USERS}`);
  const rec = readGuid(d, crew.guid);
  const own = d.store.reader.getLink(crew.guid, member.forwardLinkId!, grace.guid)!;
  assert.deepEqual(own.stamp, ownBefore.stamp, 'its own values keep their stamps');
  assert.equal(own.hidden, true);
  assert.equal([...d.store.reader.links(crew.guid)].length, 0, 'a tombstone shows no link values');
  assert.equal([...d.store.reader.backlinks(grace.guid)].length, 0, 'grace is no longer a member of anything');
  const naming = d.store.reader.getLink(other.guid, member.forwardLinkId!, crew.guid)!;
  assert.equal(naming.stamp.timeDeleted, 0);
  assert.equal(naming.hidden, true);
  assert.equal([...d.store.reader.links(other.guid)].length, 0);
  assert.equal(readGuid(d, other.guid).usnChanged, other.rec.usnChanged, 'the group naming it is not changed');
  assert.equal(readGuid(d, grace.guid).usnChanged, grace.rec.usnChanged, 'the target of a removed value is not changed');
  assert.ok(rec.usnChanged > crew.rec.usnChanged);
  assert.deepEqual(values(d, rec, 'groupType'), values(d, crew.rec, 'groupType'), 'groupType is kept');
});

test('refusals: non-leaf without tree delete, protected and critical objects, NC heads, the schema NC', async () => {
  await rejects(remove(`OU=T,${DOMAIN}`), 66, /^0000208C: UpdErr: DSID-[0-9A-F]{8}, problem 6003 \(CANT_ON_NON_LEAF\)/);
  await rejects(remove(USERS), 53, /^000020CE: SvcErr: DSID-[0-9A-F]{8}, problem 5003 \(WILL_NOT_PERFORM\).*FLAG_DISALLOW_DELETE/s);
  await rejectsAd(remove(`CN=Guest,${USERS}`), AD.CANT_DELETE); // isCriticalSystemObject
  await rejects(remove(DOMAIN), 53);
  await rejects(remove(`CN=Person,CN=Schema,${CONFIG}`), 53);
  await rejects(remove(`CN=Nobody,${USERS}`), 32);
  await rejects(remove(`CN=Grace,${USERS}`, [control('1.2.3.4', true)]), 12);
});

test('tree delete: the whole subtree in one update, within the named limit', async () => {
  const t = read(d, `OU=T,${DOMAIN}`);
  const u = read(d, `OU=U,OU=T,${DOMAIN}`);
  const hank = read(d, `CN=Hank,OU=U,OU=T,${DOMAIN}`);
  const saved = deleteSettings.treeDeleteMaxObjects;
  deleteSettings.treeDeleteMaxObjects = 3;
  try {
    await rejects(remove(`OU=T,${DOMAIN}`, [control(TREE_DELETE_OID)]), 11, /^00002024: SvcErr: .*ADMIN_LIMIT_EXCEEDED/s);
  } finally {
    deleteSettings.treeDeleteMaxObjects = saved;
  }
  assert.deepEqual(read(d, `CN=Hank,OU=U,OU=T,${DOMAIN}`).rec, hank.rec, 'a refused tree delete leaves nothing behind');
  await remove(`OU=T,${DOMAIN}`, [control(TREE_DELETE_OID)]);
  const usn = readGuid(d, t.guid).usnChanged;
  const deleted = read(d, DELETED).guid;
  for (const g of [t.guid, u.guid, hank.guid]) {
    const r = readGuid(d, g);
    assert.equal(r.usnChanged, usn);
    assert.deepEqual(values(d, r, 'isDeleted'), [true]);
    assert.ok(r.parent!.equals(deleted), 'every tombstone lies in Deleted Objects');
  }
  assert.ok(Buffer.from((values(d, readGuid(d, hank.guid), 'lastKnownParent')[0] as { guid: Uint8Array }).guid).equals(u.guid), 'children remember their own parent');
  assert.equal(d.tryResolve(d.store.reader, `CN=Hank,OU=U,OU=T,${DOMAIN}`).found, false);
});

test('deleted objects: invisible to modify and Modify DN without SHOW_DELETED, refused with it except for an undelete', async () => {
  const grace = read(d, `CN=Grace,${USERS}`);
  await remove(`CN=Grace,${USERS}`);
  const dn = `<GUID=${guidToString(grace.guid)}>`;
  await rejects(mod(d, dn, [['replace', 'description', ['x']]]), 32);
  await rejects(mod(d, dn, [['replace', 'description', ['x']]], [control(SHOW_DELETED_OID)]), 53, /^00002077: /);
  await rejects(modifyDN(d, { type: 'modifyDNRequest', entry: dn, newrdn: 'CN=Grace', deleteoldrdn: true, newSuperior: USERS }, ctx()), 32);
  await rejects(modifyDN(d, { type: 'modifyDNRequest', entry: dn, newrdn: 'CN=Grace', deleteoldrdn: true, newSuperior: USERS }, ctx([control(SHOW_DELETED_OID)])), 53, /^00002129: /);
  // the undelete needs the control too
  await rejects(mod(d, dn, [['delete', 'isDeleted', []], ['replace', 'distinguishedName', [`CN=Grace,${USERS}`]]]), 32);
});

test('undelete (MS-ADTS 3.1.1.5.3.7): back to a live DN; stripped attributes stay gone unless given', async () => {
  const g = read(d, `<GUID=${guidToString(frankGuid)}>`);
  assert.deepEqual(values(d, g.rec, 'sAMAccountName'), ['frank'], 'a tombstone keeps sAMAccountName');
  await addObject(d, `CN=Frank Three,${USERS}`, { objectClass: 'user', sAMAccountName: 'frank' });
  await rejects(mod(d, `<GUID=${guidToString(g.guid)}>`, [['delete', 'isDeleted', []], ['replace', 'distinguishedName', [`CN=Frank,${USERS}`]]], [control(SHOW_DELETED_OID)]), 68);
  await mod(d, `CN=Frank Three,${USERS}`, [['replace', 'sAMAccountName', ['frank3']]]);
  const tomb = g.rec;
  await mod(d, `<GUID=${guidToString(g.guid)}>`, [['delete', 'isDeleted', []], ['replace', 'distinguishedName', [`CN=Frank,${USERS}`]], ['replace', 'description', ['back']]], [control(SHOW_DELETED_OID)]);
  const { guid, rec } = read(d, `CN=Frank,${USERS}`);
  assert.ok(guid.equals(g.guid));
  assert.equal(rec.name, 'Frank');
  assert.deepEqual(values(d, rec, 'isDeleted'), []);
  assert.equal(attr(d, rec, 'isDeleted')!.stamp!.dwVersion, attr(d, tomb, 'isDeleted')!.stamp!.dwVersion + 1);
  assert.equal(attr(d, rec, 'isDeleted')!.stamp!.usnOriginating, rec.usnChanged);
  assert.deepEqual(values(d, rec, 'cn'), ['Frank']);
  assert.deepEqual(values(d, rec, 'description'), ['back']);
  assert.deepEqual(values(d, rec, 'displayName'), [], 'stripped by the delete, not restored');
  assert.equal(values(d, rec, 'objectCategory').length, 1, 'objectCategory comes back from the class');
  assert.deepEqual(values(d, rec, 'sAMAccountType'), [0x30000000]);
  assert.deepEqual(values(d, rec, 'sAMAccountName'), ['frank']);
  // the values that named the tombstone stay removed (MS-ADTS 3.1.1.5.3.7): now by a removal
  // stamp, so that a DC that never saw the object deleted loses them too
  assert.equal(d.store.reader.rawBacklinks(guid).next().done, true, 'no back link comes back');
  assert.equal(d.store.reader.hiddenBacklinks(guid).next().done, true);
  const member = d.schema.attr('member')!;
  const crewLink = d.store.reader.getLink(crewGuid, member.forwardLinkId!, guid)!;
  assert.ok(crewLink.stamp.timeDeleted > 0);
  assert.equal(crewLink.stamp.usnOriginating, rec.usnChanged);
  assert.equal(crewLink.hidden, undefined);
  // a live object is not "undeleted"
  await rejects(mod(d, `CN=Frank,${USERS}`, [['delete', 'isDeleted', []], ['replace', 'distinguishedName', [`CN=Frank2,${USERS}`]]], [control(SHOW_DELETED_OID)]), 53);
});
