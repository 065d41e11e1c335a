// The owner's half of a FSMO role transfer (MS-DRSR 4.1.10.5.12 ProcessFsmoRoleRequest for
// EXOP_FSMO_RID_REQ_ROLE / EXOP_FSMO_REQ_ROLE): on the simulator's DCs, as the RID_ALLOC test.
// And EXOP_FSMO_ABANDON_ROLE (4.1.10.1.3): the owner (DC0) asks DC1 to take a role; DC1 makes the
// chained request to the owner it knows and applies the reply, so both DCs name DC1.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../helpers/tmp.js';
import { createNC, find, Network, openDCs, simSchema, Writer, type SimDC, type SimNC } from './sim.js';
import { serveGetNCChanges } from '../../src/dsa/replica/fsmo.js';
import { handleReply } from '../../src/dsa/replica/pull.js';
import { readReplicaState } from '../../src/dsa/replica/state.js';
import { roleRequest, RoleExop, RoleExopErr, type RoleContext } from '../../src/dsa/replica/fsmo-role.js';
import { EXOP_FSMO_REQ_RID_ALLOC, ExopErr } from '../../src/dsa/replica/types.js';
import { spawnSync } from 'node:child_process';
import { PYTHON } from '../helpers/forestd.js';
import { skipUnless } from '../helpers/tools.js';
import { EXOP_FSMO_ABANDON_ROLE, processAbandonRole, type ChainedRoleRequest } from '../../src/dsa/replica/fsmo-abandon.js';

const roots: { cleanup: () => void; dcs: SimDC[] }[] = [];
after(async () => {
  for (const r of roots) {
    for (const d of r.dcs) await d.store.close();
    r.cleanup();
  }
});

function forest(n: number): { dcs: SimDC[]; nc: SimNC; net: Network; world: { time: number } } {
  simSchema();
  const world = { time: 13_100_000_000 };
  const root = tempDir('forestd-fsmo-role-');
  const dcs = openDCs(root.dir, n, world);
  roots.push({ cleanup: root.cleanup, dcs });
  const nc = createNC(dcs[0]!, 9);
  const net = new Network(dcs, nc, 0);
  for (let d = 1; d < n; d++) net.fullCycle(d, 0);
  world.time++;
  return { dcs, nc, net, world };
}

const ownerOf = (d: SimDC, g: Buffer) => {
  const id = d.ctx.schema.rid!.fSMORoleOwner.id;
  const v = d.store.reader.getObject(g)!.attrs.find((a) => a.id === id)?.values[0] as { guid: Uint8Array } | undefined;
  return v ? Buffer.from(v.guid).toString('hex') : undefined;
};
const stampOf = (d: SimDC, g: Buffer) => d.store.reader.getObject(g)!.attrs.find((a) => a.id === d.ctx.schema.rid!.fSMORoleOwner.id)!.stamp!;

test('EXOP_FSMO_RID_REQ_ROLE: the owner hands the role over in an originating update; its reply makes the client the owner; the old owner then answers EXOP_ERR_FSMO_NOT_OWNER', () => {
  const { dcs, nc } = forest(3);
  const [d0, d1, d2] = dcs as [SimDC, SimDC, SimDC];
  const mgr = find(d0, nc, 'RID Manager$')!.guid;
  const hex = (d: SimDC) => d.store.dc.serverGuid.toString('hex');
  assert.equal(ownerOf(d1, mgr), hex(d0), 'd1 replicated the RID Manager$ of d0, the owner');
  const name = { Guid: mgr, StringName: '' };

  // a DC that does not own the role refuses (negative control: nothing changes anywhere)
  const wrong = serveGetNCChanges(d2.ctx, roleRequest(d1.ctx, name, RoleExop.EXOP_FSMO_RID_REQ_ROLE));
  assert.equal(wrong.ulExtendedRet, ExopErr.EXOP_ERR_FSMO_NOT_OWNER);
  assert.equal(wrong.cNumObjects, 0);
  assert.equal(handleReply(d1.ctx, wrong).kind, 'failed');
  assert.equal(ownerOf(d1, mgr), hex(d0));
  assert.equal(ownerOf(d2, mgr), hex(d0));

  const before = stampOf(d0, mgr);
  const st1 = JSON.stringify(readReplicaState(d1.store.reader, nc.name.Guid));
  const rep = serveGetNCChanges(d0.ctx, roleRequest(d1.ctx, name, RoleExop.EXOP_FSMO_RID_REQ_ROLE));
  assert.equal(rep.ulExtendedRet, ExopErr.EXOP_ERR_SUCCESS);
  // the owner wrote fSMORoleOwner := the client, as an originating update of its own
  assert.equal(ownerOf(d0, mgr), hex(d1));
  const after = stampOf(d0, mgr);
  assert.equal(after.dwVersion, before.dwVersion + 1);
  assert.ok(after.uuidOriginating.equals(d0.invocationId));
  // the reply carries the role object with only what the client lacks: the new fSMORoleOwner
  assert.equal(rep.cNumObjects, 1);
  assert.ok(rep.pObjects[0]!.Entinf.pName.Guid.equals(mgr));
  assert.deepEqual(rep.pObjects[0]!.Entinf.AttrBlock.pAttr.map((a) => a.attrTyp), [d0.ctx.schema.rid!.fSMORoleOwner.id]);
  // the client applies it as a replicated update: the originating stamp, no watermark moved
  assert.equal(handleReply(d1.ctx, rep).kind, 'applied');
  assert.equal(ownerOf(d1, mgr), hex(d1));
  assert.deepEqual(stampOf(d1, mgr).uuidOriginating, after.uuidOriginating);
  assert.equal(stampOf(d1, mgr).dwVersion, after.dwVersion);
  assert.equal(JSON.stringify(readReplicaState(d1.store.reader, nc.name.Guid)), st1, 'an extended operation moves no watermark');

  // the old owner no longer holds the role: it refuses d2, which asks the new owner instead
  const stale = serveGetNCChanges(d0.ctx, roleRequest(d2.ctx, name, RoleExop.EXOP_FSMO_RID_REQ_ROLE));
  assert.equal(stale.ulExtendedRet, ExopErr.EXOP_ERR_FSMO_NOT_OWNER);
  const next = serveGetNCChanges(d1.ctx, roleRequest(d2.ctx, name, RoleExop.EXOP_FSMO_RID_REQ_ROLE));
  assert.equal(next.ulExtendedRet, ExopErr.EXOP_ERR_SUCCESS);
  assert.equal(handleReply(d2.ctx, next).kind, 'applied');
  assert.equal(ownerOf(d2, mgr), hex(d2));
});

test('ProcessFsmoRoleRequest refusals: an unknown role object or no client (EXOP_ERR_UPDATE_ERR), a caller that is no DSA (EXOP_ERR_UNKNOWN_CALLER)', () => {
  const { dcs, nc } = forest(2);
  const [d0, d1] = dcs as [SimDC, SimDC];
  const mgr = find(d0, nc, 'RID Manager$')!.guid;
  const good = roleRequest(d1.ctx, { Guid: mgr, StringName: '' }, RoleExop.EXOP_FSMO_REQ_ROLE);
  assert.equal(serveGetNCChanges(d0.ctx, { ...good, pNC: { Guid: Buffer.alloc(16, 7), StringName: '' } }).ulExtendedRet, ExopErr.EXOP_ERR_UPDATE_ERR);
  assert.equal(serveGetNCChanges(d0.ctx, { ...good, uuidDsaObjDest: Buffer.alloc(16) }).ulExtendedRet, ExopErr.EXOP_ERR_UPDATE_ERR);
  // an object without fSMORoleOwner is no role object
  assert.equal(serveGetNCChanges(d0.ctx, { ...good, pNC: { Guid: find(d0, nc, 'A')!.guid, StringName: '' } }).ulExtendedRet, ExopErr.EXOP_ERR_UPDATE_ERR);
  // with the DSA's hooks: a caller that is not an nTDSDSA object is refused, and nothing changes
  const strict: RoleContext = Object.assign(Object.create(d0.ctx) as RoleContext, { roles: { isDsa: () => false, scope: (_r: unknown, g: Buffer) => [g] } });
  assert.equal(serveGetNCChanges(strict, good).ulExtendedRet, ExopErr.EXOP_ERR_UNKNOWN_CALLER);
  assert.equal(ownerOf(d0, mgr), d0.store.dc.serverGuid.toString('hex'));
  // negative control: the same request, the caller known, succeeds
  const known: RoleContext = Object.assign(Object.create(d0.ctx) as RoleContext, { roles: { isDsa: () => true, scope: (_r: unknown, g: Buffer) => [g] } });
  assert.equal(serveGetNCChanges(known, good).ulExtendedRet, ExopErr.EXOP_ERR_SUCCESS);
  assert.equal(ownerOf(d0, mgr), d1.store.dc.serverGuid.toString('hex'));
});

const hex = (d: SimDC) => d.store.dc.serverGuid.toString('hex');

test('a role transfer\'s reply carries the link values of the role\'s objects that the client lacks (MS-DRSR 4.1.10.1.3, 4.1.10.5.5 changedLinks), each with its LinkValueStamp', () => {
  const { dcs, nc, net, world } = forest(2);
  const [d0, d1] = dcs as [SimDC, SimDC];
  const S = simSchema();
  const mgr = find(d0, nc, 'RID Manager$')!.guid;
  const g = find(d0, nc, 'G')!.guid;
  const w0 = new Writer(d0, nc);
  const u = w0.addAt(find(d0, nc, 'A')!.guid, 'RU1', 'group')!;
  const v = w0.addAt(find(d0, nc, 'A')!.guid, 'RU2', 'group')!;
  assert.ok(w0.membersOf(g, [v], true));
  net.fullCycle(1, 0);
  world.time++;
  // on the owner only: G gains RU1 (d1 lacks it); G → RU2 reached d1 already
  assert.ok(w0.membersOf(g, [u], true));
  const link = (d: SimDC, t: Buffer) => d.store.reader.getLink(g, S.memberLinkId, t);
  assert.equal(link(d1, u), undefined, 'before the transfer the client lacks G → RU1');
  // a role whose scope holds G (as the Partitions container's crossRefs hold msDS-NC-Replica-Locations)
  const withG = (d: SimDC): RoleContext => Object.assign(Object.create(d.ctx) as RoleContext, { roles: { isDsa: () => true, scope: (_r: unknown, x: Buffer) => [x, g] } });
  const rep = serveGetNCChanges(withG(d0), roleRequest(d1.ctx, { Guid: mgr, StringName: '' }, RoleExop.EXOP_FSMO_RID_REQ_ROLE));
  assert.equal(rep.ulExtendedRet, ExopErr.EXOP_ERR_SUCCESS);
  // the value the client lacks, and only it (G → RU2 is covered by the client's UTD vector)
  assert.equal(rep.cNumValues, 1);
  assert.equal(rep.rgValues.length, 1);
  const val = rep.rgValues[0]!;
  assert.ok(val.pObject.Guid.equals(g));
  assert.ok(Buffer.from(val.Aval.target.Guid).equals(u));
  assert.equal(val.fIsPresent, true);
  const src = link(d0, u)!.stamp;
  assert.equal(val.MetaData.timeCreated, src.timeCreated);
  assert.equal(val.MetaData.MetaData.dwVersion, src.dwVersion);
  // G itself has no attribute the client lacks: no entry for it, only the role object's
  assert.deepEqual(rep.pObjects.map((o) => o.Entinf.pName.Guid.toString('hex')), [mgr.toString('hex')]);
  // the client applies it as a replicated update: the originating LinkValueStamp
  assert.equal(handleReply(d1.ctx, rep).kind, 'applied');
  const got = link(d1, u)!;
  assert.equal(got.stamp.timeDeleted, 0);
  assert.ok(got.stamp.uuidOriginating.equals(src.uuidOriginating));
  assert.equal(got.stamp.usnOriginating, src.usnOriginating);
  assert.equal(got.stamp.timeCreated, src.timeCreated);
  assert.equal(ownerOf(d1, mgr), hex(d1));
});

/** DC `server`'s chained request to the owner `dcs` names: the ordinary RID Master transfer, its reply applied. */
const chainedVia = (dcs: SimDC[], server: SimDC): ChainedRoleRequest => async (fsmoObj, owner) => {
  const o = dcs.find((d) => d.store.dc.serverGuid.equals(owner))!;
  const rep = serveGetNCChanges(o.ctx, roleRequest(server.ctx, { Guid: fsmoObj, StringName: '' }, RoleExop.EXOP_FSMO_RID_REQ_ROLE));
  if (rep.ulExtendedRet === ExopErr.EXOP_ERR_SUCCESS) assert.equal(handleReply(server.ctx, rep).kind, 'applied');
  return rep.ulExtendedRet;
};

test('EXOP_FSMO_ABANDON_ROLE is 5 in python3-samba\'s drsuapi (RID_ALLOC is 2: the two must never be confused)', skipUnless('python:samba'), () => {
  const r = spawnSync(PYTHON, ['-c', 'from samba.dcerpc import drsuapi as d; print(d.DRSUAPI_EXOP_FSMO_ABANDON_ROLE, d.DRSUAPI_EXOP_FSMO_RID_ALLOC)'], { timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr?.toString());
  assert.deepEqual(r.stdout.toString().trim().split(' ').map(Number), [EXOP_FSMO_ABANDON_ROLE, EXOP_FSMO_REQ_RID_ALLOC]);
});

test('EXOP_FSMO_ABANDON_ROLE: the server takes the role from its owner by a chained transfer; both DCs then name the server', async () => {
  const { dcs, nc } = forest(2);
  const [d0, d1] = dcs as [SimDC, SimDC];
  const mgr = find(d0, nc, 'RID Manager$')!.guid;
  // the owner, DC0, asks DC1 to take the RID Master role
  const req = { ...roleRequest(d0.ctx, { Guid: mgr, StringName: '' }, EXOP_FSMO_ABANDON_ROLE) };
  // negative control: DC1 cannot reach the owner, nothing changes
  const lost = await processAbandonRole(d1.ctx, req, undefined);
  assert.equal(lost.ulExtendedRet, RoleExopErr.EXOP_ERR_COULDNT_CONTACT);
  assert.equal(ownerOf(d0, mgr), hex(d0));
  assert.equal(ownerOf(d1, mgr), hex(d0));

  const rep = await processAbandonRole(d1.ctx, req, chainedVia(dcs, d1));
  assert.equal(rep.ulExtendedRet, ExopErr.EXOP_ERR_SUCCESS);
  assert.equal(rep.cNumObjects, 0, 'the reply carries no objects: the old owner made the change itself');
  assert.equal(ownerOf(d1, mgr), hex(d1), 'DC1 applied the owner\'s reply');
  assert.equal(ownerOf(d0, mgr), hex(d1), 'DC0 handed the role over');
  // asked again, DC1 owns it already
  assert.equal((await processAbandonRole(d1.ctx, req, chainedVia(dcs, d1))).ulExtendedRet, ExopErr.EXOP_ERR_SUCCESS);
});

test('EXOP_FSMO_ABANDON_ROLE refusals: no role object or no client (EXOP_ERR_UPDATE_ERR), a caller that is no DSA (EXOP_ERR_UNKNOWN_CALLER)', async () => {
  const { dcs, nc } = forest(2);
  const [d0, d1] = dcs as [SimDC, SimDC];
  const mgr = find(d0, nc, 'RID Manager$')!.guid;
  const good = roleRequest(d0.ctx, { Guid: mgr, StringName: '' }, EXOP_FSMO_ABANDON_ROLE);
  const chained = chainedVia(dcs, d1);
  assert.equal((await processAbandonRole(d1.ctx, { ...good, pNC: { Guid: find(d0, nc, 'A')!.guid, StringName: '' } }, chained)).ulExtendedRet, ExopErr.EXOP_ERR_UPDATE_ERR);
  assert.equal((await processAbandonRole(d1.ctx, { ...good, uuidDsaObjDest: Buffer.alloc(16) }, chained)).ulExtendedRet, ExopErr.EXOP_ERR_UPDATE_ERR);
  const strict: RoleContext = Object.assign(Object.create(d1.ctx) as RoleContext, { roles: { scope: (_r: unknown, g: Buffer) => [g], isDsa: () => false } });
  assert.equal((await processAbandonRole(strict, good, chained)).ulExtendedRet, ExopErr.EXOP_ERR_UNKNOWN_CALLER);
  assert.equal(ownerOf(d0, mgr), hex(d0), 'nothing moved');
});
