// The Recycle Bin over LDAP with ldapts: enable it through the rootDSE, delete a user who is in
// a group, find it only with SHOW_DELETED, reanimate it, and see its membership come back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Change, Attribute, Control } from 'ldapts';
import { startForestd, type RunningForestd } from '../helpers/forestd.js';

let f: RunningForestd;
let c: Client;
before(async () => {
  f = await startForestd();
  c = new Client({ url: f.url });
  await c.bind(f.adminDN, f.adminPassword);
});
after(async () => {
  await c?.unbind().catch(() => {});
  await f?.stop();
});

const SHOW_DELETED = () => new Control('1.2.840.113556.1.4.417', { critical: true });
const SHOW_DEACTIVATED_LINK = () => new Control('1.2.840.113556.1.4.2065', { critical: true });
const RECYCLE_BIN = '766ddcd8-acd0-445e-f3b9-a7f9b6744f2a';

/** Enables the Recycle Bin unless it is on (each test stands alone, in any order). */
async function ensureRecycleBin(): Promise<void> {
  const partitions = `CN=Partitions,CN=Configuration,${f.baseDN}`;
  const { searchEntries } = await c.search(partitions, { scope: 'base', attributes: ['msDS-EnabledFeature'] });
  if ([].concat(searchEntries[0]!['msDS-EnabledFeature'] as never).length > 0) return;
  await c.modify('', new Change({ operation: 'add', modification: new Attribute({ type: 'enableOptionalFeature', values: [`${partitions}:${RECYCLE_BIN}`] }) }));
}

test('Recycle Bin: enable, delete, find with SHOW_DELETED, reanimate with memberships', async () => {
  const partitions = `CN=Partitions,CN=Configuration,${f.baseDN}`;
  await ensureRecycleBin();
  // enabling twice is refused
  await assert.rejects(c.modify('', new Change({ operation: 'add', modification: new Attribute({ type: 'enableOptionalFeature', values: [`${partitions}:766ddcd8-acd0-445e-f3b9-a7f9b6744f2a`] }) })), (e: Error & { code?: number }) => e.code === 20);
  const { searchEntries: feat } = await c.search(partitions, { scope: 'base', attributes: ['msDS-EnabledFeature'] });
  assert.match(String(feat[0]!['msDS-EnabledFeature']), /^CN=Recycle Bin Feature,/);

  const user = `CN=Carol,CN=Users,${f.baseDN}`;
  const group = `CN=Carol's Team,CN=Users,${f.baseDN}`;
  await c.add(user, { objectClass: 'user', sAMAccountName: 'carol', description: 'kept while deleted' });
  await c.add(group, { objectClass: 'group', sAMAccountName: 'carols-team', member: user });
  await c.del(user);

  // gone for ordinary searches, and from the group's member
  await assert.rejects(c.search(user, { scope: 'base' }), (e: Error & { code?: number }) => e.code === 32);
  const g1 = (await c.search(group, { scope: 'base', attributes: ['member'] })).searchEntries[0]!;
  assert.deepEqual([].concat(g1.member as never), []);
  // visible with SHOW_DELETED, in Deleted Objects, attributes kept
  const del = await c.search(`CN=Deleted Objects,${f.baseDN}`, { scope: 'one', filter: '(sAMAccountName=carol)', attributes: ['isDeleted', 'description', 'lastKnownParent', 'msDS-LastKnownRDN'] }, SHOW_DELETED());
  const d = del.searchEntries[0]!;
  assert.ok(d, 'the deleted-object is found with SHOW_DELETED');
  assert.match(d.dn, /^CN=Carol\\0ADEL:[0-9a-f-]{36},CN=Deleted Objects,/i);
  assert.equal(String(d.isDeleted), 'TRUE');
  assert.equal(String(d.description), 'kept while deleted', 'a deleted-object keeps its attributes (Recycle Bin on)');
  assert.equal(String(d.lastKnownParent).toLowerCase(), `CN=Users,${f.baseDN}`.toLowerCase());
  assert.equal(String(d['msDS-LastKnownRDN']), 'Carol');

  // reanimation (MS-ADTS 3.1.1.5.3.7): remove isDeleted, set distinguishedName, with SHOW_DELETED
  await c.modify(d.dn, [new Change({ operation: 'delete', modification: new Attribute({ type: 'isDeleted' }) }), new Change({ operation: 'replace', modification: new Attribute({ type: 'distinguishedName', values: [user] }) })], SHOW_DELETED());
  const back = (await c.search(user, { scope: 'base', attributes: ['memberOf', 'description', 'sAMAccountName'] })).searchEntries[0]!;
  assert.equal(String(back.memberOf), group, 'the group membership came back');
  assert.equal(String(back.description), 'kept while deleted');
  const g2 = (await c.search(group, { scope: 'base', attributes: ['member'] })).searchEntries[0]!;
  assert.equal(String(g2.member), user);
});

// MS-ADTS 3.1.1.3.4.1.22 LDAP_SERVER_SHOW_DEACTIVATED_LINK_OID; with the Recycle Bin on, a
// deleted object's link values are deactivated, not removed (3.1.1.1.16): the control shows them.
test('SHOW_DEACTIVATED_LINK (Recycle Bin on): a link to a deleted-object is hidden without the control, shown with it', async () => {
  await ensureRecycleBin();
  const gone = `CN=Dora,CN=Users,${f.baseDN}`;
  const kept = `CN=Ed,CN=Users,${f.baseDN}`;
  const group = `CN=Dora's Team,CN=Users,${f.baseDN}`;
  await c.add(gone, { objectClass: 'user', sAMAccountName: 'dora' });
  await c.add(kept, { objectClass: 'user', sAMAccountName: 'ed' });
  await c.add(group, { objectClass: 'group', sAMAccountName: 'doras-team', member: [gone, kept] });
  await c.del(gone);
  const members = async (controls: Control[]) =>
    ([] as string[]).concat((await c.search(group, { scope: 'base', attributes: ['member'] }, controls)).searchEntries[0]!.member as never).map((v) => v.toLowerCase());
  // without the control: only the live member
  assert.deepEqual(await members([]), [kept.toLowerCase()]);
  // with it: the deactivated value too, naming the deleted-object where it now is
  const shown = await members([SHOW_DEACTIVATED_LINK()]);
  assert.equal(shown.length, 2, shown.join(' | '));
  assert.ok(shown.includes(kept.toLowerCase()));
  assert.ok(shown.some((v) => /^cn=dora\\0adel:[0-9a-f-]{36},cn=deleted objects,/.test(v)), shown.join(' | '));
});
