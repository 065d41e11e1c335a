// The Recycle Bin (MS-ADTS 3.1.1.9.1): enableOptionalFeature (3.1.1.3.3.28), deleted-objects
// with deactivated links (3.1.1.5.5, 3.1.1.1.6), undelete restoring memberships both ways
// (3.1.1.5.3.7), recycling after msDS-DeletedObjectLifetime (3.1.1.1.5.1), and delayed link
// processing of a group with 100,000 members (3.1.1.1.16). Prints timings; never asserts on time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Directory } from '../../src/dsa/directory.js';
import { DsaService } from '../../src/dsa/service.js';
import { ModifyOperation, type Control } from '../../src/ldap/protocol/messages.js';
import { SHOW_DELETED_OID } from '../../src/ldap/controls/show-deleted.js';
import { SHOW_RECYCLED_OID } from '../../src/ldap/controls/show-recycled.js';
import { SHOW_DEACTIVATED_LINK_OID } from '../../src/ldap/controls/show-deactivated-link.js';
import { ReadContext } from '../../src/dsa/object-view.js';
import { recycleExpired } from '../../src/dsa/recycle-bin.js';
import { delayedLinksIdle, delayedLinkSettings } from '../../src/dsa/delayed-links.js';
import { OriginatingUpdate } from '../../src/dsa/originating-update.js';
import { recycleBinEnabled } from '../../src/dsa/tombstone.js';
import { RECYCLE_BIN_FEATURE_GUID } from '../../src/dsa/provision/well-known.js';
import { createObject } from '../../src/dsa/add.js';
import { guidToString } from '../../src/util/guid.js';
import { context, request, run } from '../helpers/search-fixture.js';
import { CONFIG, DOMAIN, USERS, addObject, b, control, fixture, mod, read, readGuid, rejects, values } from './dsa-fixture.js';

let d: Directory;
let svc: DsaService;
let close: () => Promise<void>;
const PARTITIONS = `CN=Partitions,${CONFIG}`;
const DELETED = `CN=Deleted Objects,${DOMAIN}`;
const FEATURE = `CN=Recycle Bin Feature,CN=Optional Features,CN=Directory Service,CN=Windows NT,CN=Services,${CONFIG}`;

// No test depends on another: each makes its own people (names tagged per test) and turns the
// Recycle Bin on if it is not (the enabling itself is tested on a forest of its own).
before(async () => {
  ({ d, close } = await fixture());
  svc = new DsaService(d);
});
after(() => close());

/** Rita<t> and Sam<t>, both in G1<t> and G2<t>; Sam<t> is Rita<t>'s manager. */
async function people(t: string): Promise<void> {
  await addObject(d, `CN=Rita${t},${USERS}`, { objectClass: 'user', sAMAccountName: `rita${t}`, description: 'kept', displayName: 'Rita R' });
  await addObject(d, `CN=Sam${t},${USERS}`, { objectClass: 'user', sAMAccountName: `sam${t}` });
  for (const g of ['G1', 'G2']) {
    await addObject(d, `CN=${g}${t},${USERS}`, { objectClass: 'group', sAMAccountName: `${g.toLowerCase()}${t}` });
    await mod(d, `CN=${g}${t},${USERS}`, [['add', 'member', [`CN=Rita${t},${USERS}`, `CN=Sam${t},${USERS}`]]]);
  }
  await mod(d, `CN=Rita${t},${USERS}`, [['add', 'manager', [`CN=Sam${t},${USERS}`]]]);
}

async function ensureRecycleBin(): Promise<void> {
  if (!recycleBinEnabled(d, d.store.reader)) await rootDse(`${PARTITIONS}:${RECYCLE_BIN_FEATURE_GUID}`);
}

const rootDseOn = (on: DsaService, value: string, admin = true, attr = 'enableOptionalFeature') =>
  on.modify({ type: 'modifyRequest', object: '', changes: [{ operation: ModifyOperation.add, modification: { type: attr, values: [b(value)] } }] }, context([], { admin }));
const rootDse = (value: string, admin = true, attr = 'enableOptionalFeature') => rootDseOn(svc, value, admin, attr);
const remove = (dn: string) => svc.delete({ type: 'delRequest', entry: dn }, context());

/** Values of `attr` on `guid` as DNs, as a search would read them. */
function linked(guid: Buffer, attr: string, showDeactivated = false): string[] {
  return linkedIn(d, guid, attr, showDeactivated);
}
function linkedIn(dir: Directory, guid: Buffer, attr: string, showDeactivated = false): string[] {
  const rc = new ReadContext(dir, dir.store.reader);
  rc.showDeactivatedLinks = showDeactivated;
  const v = rc.view(guid)!;
  return (v.values(d.schema.attr(attr)!) as { guid: Uint8Array }[]).map((x) => rc.dnOf(Buffer.from(x.guid)));
}

test('enableOptionalFeature: admins only, adds the feature to msDS-EnabledFeature of Partitions and the nTDSDSA, once, and cannot be disabled', async () => {
  const own = await fixture(); // a forest where the Recycle Bin is surely off
  const d = own.d;
  const svc = new DsaService(d);
  const rootDse = (value: string, admin = true, attr = 'enableOptionalFeature') => rootDseOn(svc, value, admin, attr);
  const linked = (guid: Buffer, attr: string) => linkedIn(d, guid, attr);
  try {
  const value = `${PARTITIONS}:${RECYCLE_BIN_FEATURE_GUID}`;
  assert.equal(recycleBinEnabled(d, d.store.reader), false);
  await rejects(rootDse(value, false), 50);
  await rejects(rootDse(`${PARTITIONS}:00000000-0000-0000-0000-000000000001`), 1); // unknown feature: operationsError
  await rejects(rootDse(`CN=Nowhere,${CONFIG}:${RECYCLE_BIN_FEATURE_GUID}`), 1); // no such scope object
  await rejects(rootDse(`${USERS}:${RECYCLE_BIN_FEATURE_GUID}`), 53); // not a scope
  await rejects(rootDse(`${DOMAIN}:${RECYCLE_BIN_FEATURE_GUID}`), 53); // a domain scope: the Recycle Bin is forest-wide
  const before = read(d, PARTITIONS).rec.usnChanged;
  await rootDse(value);
  assert.equal(recycleBinEnabled(d, d.store.reader), true);
  const feature = read(d, FEATURE).guid;
  const p = read(d, PARTITIONS);
  assert.ok(p.rec.usnChanged > before, 'an originating update of the Partitions container');
  const lv = [...d.store.reader.links(p.guid, d.schema.attr('msDS-EnabledFeature')!.forwardLinkId!)];
  assert.equal(lv.length, 1);
  assert.ok(lv[0]!.target.equals(feature));
  assert.equal(lv[0]!.stamp.usnOriginating, p.rec.usnChanged);
  assert.deepEqual(linked(d.forest.dsaGuid, 'msDS-EnabledFeature'), [FEATURE]);
  assert.deepEqual(linked(feature, 'msDS-EnabledFeatureBL').sort(), [PARTITIONS, d.forest.dsaDN].sort());
  await rejects(rootDse(value), 20); // attributeOrValueExists
  await rejects(rootDse(value, true, 'disableOptionalFeature'), 53);
  } finally {
    await own.close();
  }
});

test('a delete with the Recycle Bin on makes a deleted-object: attributes kept, links deactivated both ways', async () => {
  await ensureRecycleBin();
  await people('D');
  const rita = read(d, `CN=RitaD,${USERS}`);
  const g1 = read(d, `CN=G1D,${USERS}`).guid;
  const g2 = read(d, `CN=G2D,${USERS}`).guid;
  const sam = read(d, `CN=SamD,${USERS}`).guid;
  assert.deepEqual(linked(rita.guid, 'memberOf').sort(), [`CN=G1D,${USERS}`, `CN=G2D,${USERS}`]);
  await remove(`CN=RitaD,${USERS}`);
  const mangled = `RitaD\nDEL:${guidToString(rita.guid)}`;
  const rec = readGuid(d, rita.guid);
  assert.equal(rec.name, mangled);
  assert.ok(rec.parent!.equals(read(d, DELETED).guid));
  assert.deepEqual(values(d, rec, 'isDeleted'), [true]);
  assert.deepEqual(values(d, rec, 'msDS-LastKnownRDN'), ['RitaD']);
  assert.ok(Buffer.from((values(d, rec, 'lastKnownParent')[0] as { guid: Uint8Array }).guid).equals(read(d, USERS).guid));
  // kept (a tombstone would lose description, displayName) — objectCategory and sAMAccountType go (3.1.1.5.5.1.2)
  assert.deepEqual(values(d, rec, 'description'), ['kept']);
  assert.deepEqual(values(d, rec, 'displayName'), ['Rita R']);
  assert.deepEqual(values(d, rec, 'objectCategory'), []);
  assert.deepEqual(values(d, rec, 'sAMAccountType'), []);
  // invisible without SHOW_DELETED, visible with it
  const search = (controls: Control[]) => run(d, request(DOMAIN, '(sAMAccountName=ritaD)'), context(controls));
  assert.equal((await search([])).entries.length, 0);
  assert.equal((await search([control(SHOW_DELETED_OID)])).entries.length, 1);
  await rejects(mod(d, `CN=RitaD,${USERS}`, [['replace', 'description', ['x']]]), 32);
  // links: deactivated, not removed
  assert.deepEqual(linked(rita.guid, 'memberOf'), []);
  assert.deepEqual(linked(g1, 'member'), [`CN=SamD,${USERS}`]);
  assert.deepEqual(linked(g2, 'member'), [`CN=SamD,${USERS}`]);
  assert.deepEqual(linked(rita.guid, 'manager'), []);
  assert.deepEqual(linked(sam, 'directReports'), []);
  const ritaDn = d.dnOf(d.store.reader, rita.guid);
  assert.deepEqual(linked(g1, 'member', true).sort(), [ritaDn, `CN=SamD,${USERS}`].sort());
  assert.deepEqual(linked(rita.guid, 'manager', true), [`CN=SamD,${USERS}`]);
  const member = d.schema.attr('member')!.forwardLinkId!;
  const lv = d.store.reader.getLink(g1, member, rita.guid)!;
  assert.equal(lv.deactivated, true);
  assert.equal(lv.stamp.timeDeleted, 0);
  assert.equal([...d.store.reader.deactivatedBacklinks(rita.guid, member)].length, 2);
  // a search by member does not find the groups through the deleted member
  assert.equal((await run(d, request(DOMAIN, `(member=${ritaDn.replace(/\\/g, '\\5c')})`))).entries.length, 0);
  const shown = await run(d, request(DOMAIN, '(cn=G1D)', { attributes: ['member'] }), context([control(SHOW_DEACTIVATED_LINK_OID)]));
  assert.equal(shown.entries[0]!.attrs.get('member')!.length, 2);
});

test('undelete with the Recycle Bin on restores the DN, the attributes and the memberships both ways', async () => {
  await ensureRecycleBin();
  await people('U');
  const ritaGuid = read(d, `CN=RitaU,${USERS}`).guid;
  await remove(`CN=RitaU,${USERS}`);
  const deletedDn = d.dnOf(d.store.reader, ritaGuid);
  assert.match(deletedDn, /^CN=RitaU\\0ADEL:/, 'deleted first');
  await mod(d, deletedDn, [['delete', 'isDeleted', []], ['replace', 'distinguishedName', [`CN=RitaU,${USERS}`]]], [control(SHOW_DELETED_OID)]);
  const rita = read(d, `CN=RitaU,${USERS}`);
  assert.ok(rita.guid.equals(ritaGuid));
  assert.deepEqual(values(d, rita.rec, 'isDeleted'), []);
  assert.deepEqual(values(d, rita.rec, 'msDS-LastKnownRDN'), []);
  assert.deepEqual(values(d, rita.rec, 'description'), ['kept']);
  assert.equal(values(d, rita.rec, 'objectCategory').length, 1);
  assert.equal(values(d, rita.rec, 'sAMAccountType').length, 1);
  assert.deepEqual(linked(ritaGuid, 'memberOf').sort(), [`CN=G1U,${USERS}`, `CN=G2U,${USERS}`]);
  assert.deepEqual(linked(read(d, `CN=G1U,${USERS}`).guid, 'member').sort(), [`CN=RitaU,${USERS}`, `CN=SamU,${USERS}`]);
  assert.deepEqual(linked(ritaGuid, 'manager'), [`CN=SamU,${USERS}`]);
  assert.deepEqual(linked(read(d, `CN=SamU,${USERS}`).guid, 'directReports'), [`CN=RitaU,${USERS}`]);
  assert.equal([...d.store.reader.deactivatedBacklinks(ritaGuid)].length, 0);
});

test('a deleted-object becomes a recycled-object after msDS-DeletedObjectLifetime: stripped, isRecycled, links gone, visible only with SHOW_RECYCLED', async () => {
  await ensureRecycleBin();
  await people('R');
  await remove(`CN=SamR,${USERS}`);
  // every deleted-object not yet recycled expires with it (other tests may have left some)
  const expiring = [...d.store.reader.children(read(d, DELETED).guid)].filter((g) => values(d, readGuid(d, Buffer.from(g)), 'isRecycled').length === 0).length;
  const sam = d.store.reader;
  const samGuid = [...sam.children(read(d, DELETED).guid)].map((g) => Buffer.from(g)).find((g) => readGuid(d, g).name.startsWith('SamR\n'))!;
  assert.equal(await recycleExpired(d), 0, 'not yet');
  assert.equal(await recycleExpired(d, d.clock() + 179 * 86_400), 0, 'tombstoneLifetime is 180 days');
  assert.equal(await recycleExpired(d, d.clock() + 181 * 86_400), expiring);
  const rec = readGuid(d, samGuid);
  assert.deepEqual(values(d, rec, 'isRecycled'), [true]);
  assert.deepEqual(values(d, rec, 'isDeleted'), [true]);
  assert.deepEqual(values(d, rec, 'sAMAccountName'), ['samR']);
  assert.deepEqual(values(d, rec, 'msDS-LastKnownRDN'), ['SamR']);
  assert.deepEqual(values(d, rec, 'pwdLastSet'), []);
  assert.equal([...d.store.reader.rawLinks(samGuid)].length, 0);
  assert.equal([...d.store.reader.deactivatedBacklinks(samGuid)].length, 0);
  assert.equal(d.store.reader.getLink(read(d, `CN=G1R,${USERS}`).guid, d.schema.attr('member')!.forwardLinkId!, samGuid), undefined);
  const search = (controls: Control[]) => run(d, request(DOMAIN, '(sAMAccountName=samR)'), context(controls));
  assert.equal((await search([control(SHOW_DELETED_OID)])).entries.length, 0);
  assert.equal((await search([control(SHOW_RECYCLED_OID)])).entries.length, 1);
  // a recycled object cannot be undeleted
  await rejects(mod(d, d.dnOf(d.store.reader, samGuid), [['delete', 'isDeleted', []], ['replace', 'distinguishedName', [`CN=SamR,${USERS}`]]], [control(SHOW_RECYCLED_OID)]), 53);
});

// Timings of the same steps: bench/ad.bench.ts (npm run bench:ad).
test('a group of 100,000 members: modify in chunks, delete with delayed link processing in batches', async () => {
  await ensureRecycleBin();
  const N = 100_000;
  const CHUNK = 5_000;
  await addObject(d, `OU=Big,${DOMAIN}`, { objectClass: 'organizationalUnit' });
  const ou = read(d, `OU=Big,${DOMAIN}`).guid;
  // bulk-create the members: one store.write per 5,000 objects
  const names: string[] = [];
  const guids: Buffer[] = [];
  const cn = d.schema.attr('cn')!;
  const oc = d.schema.attr('objectClass')!;
  for (let i = 0; i < N; i += CHUNK) {
    await d.store.write((w) => {
      for (let j = i; j < Math.min(N, i + CHUNK); j++) {
        names.push(`CN=m${j},OU=Big,${DOMAIN}`);
        const u = new OriginatingUpdate(w, d.store.dc.invocationId, d.clock);
        guids.push(createObject(d, u, { parent: ou, rdnType: cn, rdnValue: `m${j}`, values: new Map([[oc, ['contact']]]) }, { system: false, place: 'test' }));
        w.advanceUsn();
      }
    });
  }
  await addObject(d, `CN=Big,${USERS}`, { objectClass: 'group', sAMAccountName: 'big' });
  const group = read(d, `CN=Big,${USERS}`).guid;
  for (let i = 0; i < N; i += CHUNK) await mod(d, `CN=Big,${USERS}`, [['add', 'member', names.slice(i, i + CHUNK)]]);
  for (let i = 0; i < N; i += CHUNK) await mod(d, `CN=Big,${USERS}`, [['delete', 'member', names.slice(i, i + CHUNK)]]);
  assert.equal(linked(group, 'member').length, 0);
  // put them back fast: OriginatingUpdate.addLinkValue, one write per 5,000
  const member = d.schema.attr('member')!;
  for (let i = 0; i < N; i += CHUNK) {
    await d.store.write((w) => {
      const u = new OriginatingUpdate(w, d.store.dc.invocationId, d.clock);
      for (const g of guids.slice(i, i + CHUNK)) u.addLinkValue(group, member.id, member.forwardLinkId!, g);
    });
  }
  assert.deepEqual(linked(guids[4242]!, 'memberOf'), [`CN=Big,${USERS}`]);

  let writes = 0;
  const onWrite = () => void writes++;
  subscribe('forestd:store:write', onWrite);
  try {
    await remove(`CN=Big,${USERS}`);
    // right after the delete: no member has it in memberOf, though the batches have not run
    assert.ok(d.store.reader.linkWorkOf(group) !== undefined, 'the links are queued');
    assert.deepEqual(linked(guids[0]!, 'memberOf'), []);
    assert.deepEqual(linked(guids[N - 1]!, 'memberOf'), []);
    assert.deepEqual(linked(group, 'member'), []);
    assert.equal(linked(group, 'member', true).length, N, 'deactivated, shown with SHOW_DEACTIVATED_LINK');
    assert.equal((await run(d, request(DOMAIN, `(memberOf=CN=Big,${USERS})`))).entries.length, 0);
    await delayedLinksIdle(d);
  } finally {
    unsubscribe('forestd:store:write', onWrite);
  }
  assert.ok(writes >= N / delayedLinkSettings.batchSize, `processed in batches (${writes} writes)`);
  assert.equal(d.store.reader.linkWorkOf(group), undefined);
  assert.equal(d.store.linkWorkHint, 0);
  for (const g of [guids[0]!, guids[50_000]!, guids[N - 1]!]) {
    assert.deepEqual(linked(g, 'memberOf'), []);
    assert.equal([...d.store.reader.rawBacklinks(g)].length, 0);
  }
  assert.equal([...d.store.reader.deactivatedBacklinks(guids[7]!)].length, 1);
  // undelete brings the 100,000 memberships back (in the undelete's own transaction)
  await mod(d, d.dnOf(d.store.reader, group), [['delete', 'isDeleted', []], ['replace', 'distinguishedName', [`CN=Big,${USERS}`]]], [control(SHOW_DELETED_OID)]);
  assert.deepEqual(linked(guids[N - 1]!, 'memberOf'), [`CN=Big,${USERS}`]);
  assert.equal(linked(group, 'member').length, N);
});
