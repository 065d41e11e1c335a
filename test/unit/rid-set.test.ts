// RIDs from the DC's RID Set (MS-ADTS 6.1.5.3, MS-SAMR 3.1.1.9.1, src/dsa/rid-set.ts): the
// provisioned DC's first pool, the switch to the next pool when one is spent, the RID Master's
// local refill, the request at half the pool on another DC, and the create refused with
// ERROR_DS_NO_RIDS_ALLOCATED when no RID is left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Directory } from '../../src/dsa/directory.js';
import { OriginatingUpdate } from '../../src/dsa/originating-update.js';
import { allocateBlock, pool, poolHi, poolLo, MAX_RID } from '../../src/dsa/model/rid-pool.js';
import { ownRidSet, ridManagerOf, ownWantsBlock } from '../../src/dsa/rid-set.js';
import { ridOf } from '../../src/dsa/principals.js';
import type { ObjectRecord } from '../../src/store/record.js';
import { AD } from '../helpers/ad-errors.js';
import { USERS, addObject, fixture, read, rejectsAd, values } from './dsa-fixture.js';

const ridOfUser = (d: Directory, name: string) => ridOf(values(d, read(d, `CN=${name},${USERS}`).rec, 'objectSid')[0] as Uint8Array);
const available = (d: Directory) => d.store.reader.getObject(ridManagerOf(d, d.store.reader)!)!.attrs.find((a) => a.id === d.schema.attr('rIDAvailablePool')!.id)!.values[0] as bigint;

/** Writes attributes of a stored object directly (the test's stand-in for a state reached by many creates, or a replicated reply). */
async function poke(d: Directory, guid: Buffer, set: Record<string, unknown>): Promise<void> {
  await d.store.write((w) => {
    const u = new OriginatingUpdate(w, d.store.dc.invocationId, d.clock);
    const prev = w.getObject(guid)!;
    const rec: ObjectRecord = { ...prev, attrs: prev.attrs.map((a) => ({ ...a })) };
    for (const [n, v] of Object.entries(set)) u.setAttribute(rec, d.schema.attr(n)!, [v]);
    u.touch(rec);
    w.putObject(guid, rec, prev);
  });
}

test('the provisioned DC has a RID Set: 1100-1599, the well-known RIDs below, the rest of the RID space on RID Manager$', async () => {
  const { d, close } = await fixture();
  try {
    const comp = read(d, `CN=DC1,OU=Domain Controllers,${d.forest.domainDN}`);
    const own = ownRidSet(d, d.store.reader)!;
    assert.ok(own, 'the computer object names its RID Set');
    assert.ok(Buffer.from((values(d, comp.rec, 'rIDSetReferences')[0] as { guid: Uint8Array }).guid).equals(own.guid));
    assert.deepEqual(own.state, { allocationPool: pool(1100, 1599), previousPool: pool(1100, 1599), nextRid: 1102 });
    assert.equal(available(d), pool(1600, MAX_RID));
    // rIDPreviousAllocationPool and rIDNextRID are the DC's own: no stamp, not replicated
    const set = d.store.reader.getObject(own.guid)!;
    for (const n of ['rIDPreviousAllocationPool', 'rIDNextRID']) assert.equal(set.attrs.find((a) => a.id === d.schema.attr(n)!.id)!.stamp, undefined, n);
    assert.ok(set.attrs.find((a) => a.id === d.schema.attr('rIDAllocationPool')!.id)!.stamp, 'rIDAllocationPool replicates');
    await addObject(d, `CN=u1,${USERS}`, { objectClass: 'user', sAMAccountName: 'u1' });
    await addObject(d, `CN=g1,${USERS}`, { objectClass: 'group', sAMAccountName: 'g1' });
    assert.equal(ridOfUser(d, 'u1'), 1103);
    assert.equal(ridOfUser(d, 'g1'), 1104);
    assert.equal(ownRidSet(d, d.store.reader)!.state.nextRid, 1104);
    // the RID Set's uSNChanged stays: issuing a RID is no replicated change
    assert.equal(d.store.reader.getObject(own.guid)!.usnChanged, set.usnChanged);
  } finally {
    await close();
  }
});

test('the RID Master refills its own RID Set from rIDAvailablePool when half the pool is spent, and moves to the new pool when the old is spent', async () => {
  const { d, close } = await fixture();
  try {
    d.ridPools.blockSize = 10;
    const own = ownRidSet(d, d.store.reader)!;
    await poke(d, own.guid, { rIDNextRID: 1597 });
    await addObject(d, `CN=a,${USERS}`, { objectClass: 'user', sAMAccountName: 'a' });
    assert.equal(ridOfUser(d, 'a'), 1598);
    // past half: the next block is already in rIDAllocationPool, taken locally (no DRS call)
    let s = ownRidSet(d, d.store.reader)!.state;
    assert.equal(s.allocationPool, pool(1600, 1609));
    assert.equal(s.previousPool, pool(1100, 1599));
    assert.equal(available(d), pool(1610, MAX_RID));
    await addObject(d, `CN=b,${USERS}`, { objectClass: 'user', sAMAccountName: 'b' });
    await addObject(d, `CN=c,${USERS}`, { objectClass: 'user', sAMAccountName: 'c' });
    assert.equal(ridOfUser(d, 'b'), 1599);
    assert.equal(ridOfUser(d, 'c'), 1600, 'the spent pool gives way to rIDAllocationPool');
    s = ownRidSet(d, d.store.reader)!.state;
    assert.equal(s.previousPool, pool(1600, 1609));
    // a failed create gives nothing back and takes nothing: the RID Set is as it was
    await assert.rejects(addObject(d, `CN=c2,${USERS}`, { objectClass: 'user', sAMAccountName: 'c' }));
    assert.equal(ownRidSet(d, d.store.reader)!.state.nextRid, 1600);
  } finally {
    await close();
  }
});

test('a DC that is not the RID Master asks for a block at half its pool, and without RIDs refuses the create with ERROR_DS_NO_RIDS_ALLOCATED', async () => {
  const { d, close } = await fixture();
  try {
    const r = d.store.reader;
    // another DC holds the role now
    await poke(d, ridManagerOf(d, r)!, { fSMORoleOwner: { guid: Buffer.alloc(16, 7) } });
    let asked = 0;
    d.ridPools.onWantsBlock = () => void asked++;
    const own = ownRidSet(d, r)!;
    // below half: no request
    await poke(d, own.guid, { rIDNextRID: 1347 });
    await addObject(d, `CN=h1,${USERS}`, { objectClass: 'user', sAMAccountName: 'h1' });
    assert.equal(ridOfUser(d, 'h1'), 1348);
    assert.equal(asked, 0, '249 of 500 spent: not yet');
    assert.equal(ownWantsBlock(d, d.store.reader), false);
    await addObject(d, `CN=h2,${USERS}`, { objectClass: 'user', sAMAccountName: 'h2' });
    assert.equal(asked, 1, 'half spent: the DC asks the RID Master');
    assert.equal(ownWantsBlock(d, d.store.reader), true);
    assert.equal(available(d), pool(1600, MAX_RID), 'only the RID Master takes from rIDAvailablePool');
    // the last RID, then none
    await poke(d, own.guid, { rIDNextRID: 1598 });
    await addObject(d, `CN=last,${USERS}`, { objectClass: 'user', sAMAccountName: 'last' });
    assert.equal(ridOfUser(d, 'last'), 1599);
    const before = asked;
    await rejectsAd(addObject(d, `CN=none,${USERS}`, { objectClass: 'user', sAMAccountName: 'none' }), AD.NO_RIDS_ALLOCATED);
    assert.ok(asked > before, 'the refused create starts a request');
    assert.equal(d.tryResolve(d.store.reader, `CN=none,${USERS}`).found, false);
    // objects without a SID still go in
    await addObject(d, `CN=box,${USERS}`, { objectClass: 'container' });
    // the RID Master's answer arrives (a replicated rIDAllocationPool): creates go on from it
    await poke(d, own.guid, { rIDAllocationPool: pool(5000, 5499) });
    await addObject(d, `CN=again,${USERS}`, { objectClass: 'user', sAMAccountName: 'again' });
    assert.equal(ridOfUser(d, 'again'), 5000);
    const s = ownRidSet(d, d.store.reader)!.state;
    assert.equal(poolLo(s.previousPool!), 5000);
    assert.equal(poolHi(s.previousPool!), 5499);
  } finally {
    await close();
  }
});

test('a RID Master never gives RIDs of a pool a RID Set it holds names, even when rIDAvailablePool lags behind (a seized role)', async () => {
  const { d, close } = await fixture();
  try {
    const { ridPoolFloor } = await import('../../src/dsa/rid-set.js');
    assert.equal(ridPoolFloor(d, d.store.reader), 1600, 'above DC1 own pool 1100-1599');
    d.ridPools.blockSize = 10;
    const own = ownRidSet(d, d.store.reader)!;
    // the old master gave 1600-2099 (its RID Set update arrived), its rIDAvailablePool update did not
    await poke(d, own.guid, { rIDAllocationPool: pool(1600, 2099), rIDPreviousAllocationPool: pool(1600, 2099), rIDNextRID: 2098 });
    assert.equal(available(d), pool(1600, MAX_RID));
    // negative control: rIDAvailablePool alone would hand out 1600-1609 again
    assert.equal(allocateBlock(available(d), 10)!.block, pool(1600, 1609));
    await addObject(d, `CN=s1,${USERS}`, { objectClass: 'user', sAMAccountName: 's1' });
    assert.equal(ridOfUser(d, 's1'), 2099);
    // the local refill starts above 2099, not at rIDAvailablePool's stale 1600
    assert.equal(ownRidSet(d, d.store.reader)!.state.allocationPool, pool(2100, 2109));
    assert.equal(available(d), pool(2110, MAX_RID));
  } finally {
    await close();
  }
});

test('a restored DC issues no RID of its backup-time pool: with partners it waits for them, alone it gives the pool up and takes a new one', async () => {
  const { d, close } = await fixture();
  try {
    const { RID_POOL_RESTORED_META } = await import('../../src/dsa/rid-set.js');
    // negative control: not restored, the next RID of the pool
    await addObject(d, `CN=n0,${USERS}`, { objectClass: 'user', sAMAccountName: 'n0' });
    assert.equal(ridOfUser(d, 'n0'), 1103);
    let asked = 0;
    d.ridPools.onWantsBlock = () => void asked++;
    // restored, with a replication partner: nothing until the replicator has heard from it
    await d.store.write((w) => {
      w.setMeta(RID_POOL_RESTORED_META, true);
      w.setMeta('repl:partners', [{ dsaGuid: '00'.repeat(16), account: 'DC2$', address: '127.0.0.1:1' }]);
    });
    assert.equal(ownWantsBlock(d, d.store.reader), true);
    await rejectsAd(addObject(d, `CN=n1,${USERS}`, { objectClass: 'user', sAMAccountName: 'n1' }), AD.NO_RIDS_ALLOCATED);
    assert.ok(asked > 0, 'the refused create asks for a pool');
    // alone (no partner): the backup-time pools are given up at once and the RID Master takes a new block
    await d.store.write((w) => w.setMeta('repl:partners', []));
    await addObject(d, `CN=n2,${USERS}`, { objectClass: 'user', sAMAccountName: 'n2' });
    assert.equal(ridOfUser(d, 'n2'), 1600, 'not 1104: RIDs of the restored pool may have been issued after the backup');
    assert.equal(d.store.reader.getMeta(RID_POOL_RESTORED_META), false);
  } finally {
    await close();
  }
});

test('rootDSE invalidateRidPool (MS-ADTS 3.1.1.3.3) with the domain SID gives up the DC pools: the next principal takes a RID of a new pool', async () => {
  const { d, close } = await fixture();
  try {
    const { modifyRootDse } = await import('../../src/dsa/rootdse-modify.js');
    const { sidToString } = await import('../../src/schema/syntaxes/index.js');
    const { ModifyOperation } = await import('../../src/ldap/protocol/messages.js');
    const { ctx } = await import('./dsa-fixture.js');
    const op = (v: Buffer) => modifyRootDse(d, { type: 'modifyRequest', object: '', changes: [{ operation: ModifyOperation.add, modification: { type: 'invalidateRidPool', values: [v] } }] }, ctx());
    await addObject(d, `CN=i0,${USERS}`, { objectClass: 'user', sAMAccountName: 'i0' });
    assert.equal(ridOfUser(d, 'i0'), 1103, 'negative control: the pool in use');
    // another domain's SID: refused, nothing given up
    await rejectsAd(op(Buffer.from('S-1-5-21-1-2-3')), { ldap: 53, win32: 0x57, problem: 5003, spec: 'MS-ADTS 3.1.1.3.3 invalidateRidPool: a value that is not the domain SID / ERROR_INVALID_PARAMETER' });
    await addObject(d, `CN=i1,${USERS}`, { objectClass: 'user', sAMAccountName: 'i1' });
    assert.equal(ridOfUser(d, 'i1'), 1104);
    await op(Buffer.from(sidToString(d.forest.domainSid)));
    await addObject(d, `CN=i2,${USERS}`, { objectClass: 'user', sAMAccountName: 'i2' });
    assert.equal(ridOfUser(d, 'i2'), 1600, 'the RID Master took a new block for itself');
    // the binary SID (what ADSI sends) works too
    await op(Buffer.from(d.forest.domainSid));
    await addObject(d, `CN=i3,${USERS}`, { objectClass: 'user', sAMAccountName: 'i3' });
    assert.equal(ridOfUser(d, 'i3'), 2100);
  } finally {
    await close();
  }
});

test('rIDNextRID is written once per reservation of RIDs: the creates within it leave the RID Set as stored, and a restarted DC goes on above the stored value (no RID issued twice)', async () => {
  const { d, close } = await fixture();
  try {
    const { readRidSet } = await import('../../src/dsa/rid-set.js');
    d.ridPools.reserve = 5;
    const own = ownRidSet(d, d.store.reader)!;
    const stored = () => readRidSet(d, d.store.reader, own.guid).nextRid;
    await addObject(d, `CN=v0,${USERS}`, { objectClass: 'user', sAMAccountName: 'v0' });
    assert.equal(ridOfUser(d, 'v0'), 1103);
    assert.equal(stored(), 1107, 'the write reserves 1103-1107');
    const before = d.store.reader.getObject(own.guid)!;
    for (let i = 1; i <= 4; i++) await addObject(d, `CN=v${i},${USERS}`, { objectClass: 'user', sAMAccountName: `v${i}` });
    assert.equal(ridOfUser(d, 'v4'), 1107);
    assert.deepEqual(d.store.reader.getObject(own.guid), before, 'four creates within the reservation: the RID Set record is unchanged');
    assert.equal(ownRidSet(d, d.store.reader)!.state.nextRid, 1107, 'ownRidSet reports the last RID issued');
    await addObject(d, `CN=v5,${USERS}`, { objectClass: 'user', sAMAccountName: 'v5' });
    assert.equal(ridOfUser(d, 'v5'), 1108);
    assert.equal(stored(), 1112, 'past the reservation: the next one is written in the create');
    // a restart (or a crash) loses what was issued within the reservation: the DC goes on above it
    d.ridPools.issued = d.ridPools.pendingIssue = undefined;
    await addObject(d, `CN=v6,${USERS}`, { objectClass: 'user', sAMAccountName: 'v6' });
    assert.equal(ridOfUser(d, 'v6'), 1113, '1109-1112 are skipped, never issued twice');
    assert.equal(stored(), 1117);
    // negative control: a reservation of 1 writes rIDNextRID on every create, as the last RID issued
    d.ridPools.reserve = 1;
    d.ridPools.issued = d.ridPools.pendingIssue = undefined;
    for (const [n, rid] of [['v7', 1118], ['v8', 1119]] as const) {
      await addObject(d, `CN=${n},${USERS}`, { objectClass: 'user', sAMAccountName: n });
      assert.equal(ridOfUser(d, n), rid);
      assert.equal(stored(), rid);
    }
  } finally {
    await close();
  }
});

test('a reservation of RIDs stops below half of the pool, so the stored RID Set says "half spent" exactly when the RIDs issued do', async () => {
  const { d, close } = await fixture();
  try {
    const { readRidSet } = await import('../../src/dsa/rid-set.js');
    await poke(d, ridManagerOf(d, d.store.reader)!, { fSMORoleOwner: { guid: Buffer.alloc(16, 7) } });
    let asked = 0;
    d.ridPools.onWantsBlock = () => void asked++;
    d.ridPools.reserve = 100;
    const own = ownRidSet(d, d.store.reader)!;
    await poke(d, own.guid, { rIDNextRID: 1300 });
    await addObject(d, `CN=w0,${USERS}`, { objectClass: 'user', sAMAccountName: 'w0' });
    assert.equal(ridOfUser(d, 'w0'), 1301);
    assert.equal(readRidSet(d, d.store.reader, own.guid).nextRid, 1348, 'reserved up to 1348, not 1400: 1349 is half of 1100-1599');
    assert.equal(ownWantsBlock(d, d.store.reader), false);
    assert.equal(asked, 0);
    await poke(d, own.guid, { rIDNextRID: 1346 });
    await addObject(d, `CN=w1,${USERS}`, { objectClass: 'user', sAMAccountName: 'w1' });
    assert.equal(ridOfUser(d, 'w1'), 1347);
    assert.equal(readRidSet(d, d.store.reader, own.guid).nextRid, 1348);
    await addObject(d, `CN=w2,${USERS}`, { objectClass: 'user', sAMAccountName: 'w2' });
    assert.equal(ridOfUser(d, 'w2'), 1348, 'within the reservation');
    assert.equal(asked, 0, '249 of 500 spent: not yet');
    await addObject(d, `CN=w3,${USERS}`, { objectClass: 'user', sAMAccountName: 'w3' });
    assert.equal(ridOfUser(d, 'w3'), 1349);
    assert.equal(asked, 1, 'half spent: the DC asks');
    assert.equal(readRidSet(d, d.store.reader, own.guid).nextRid, 1448, 'past half the reservation is whole');
  } finally {
    await close();
  }
});
