// EXOP_FSMO_ABANDON_ROLE (MS-DRSR 4.1.10.1.3, 4.1.10.5.12) on the simulator's DCs: the owner of
// a role (DC0) asks DC1 to take it; DC1 makes the chained request to the owner it knows
// (EXOP_FSMO_RID_REQ_ROLE, served by DC0's ProcessFsmoRoleRequest) and applies the reply, so
// both DCs name DC1. Controls: with no way to reach the owner nothing changes; refusals.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../helpers/tmp.js';
import { createNC, find, Network, openDCs, simSchema, type SimDC, type SimNC } from './sim.js';
import { serveGetNCChanges } from '../../src/dsa/replica/fsmo.js';
import { handleReply } from '../../src/dsa/replica/pull.js';
import { roleRequest, RoleExop, RoleExopErr, type RoleContext } from '../../src/dsa/replica/fsmo-role.js';
import { EXOP_FSMO_ABANDON_ROLE, processAbandonRole, type ChainedRoleRequest } from '../../src/dsa/replica/fsmo-abandon.js';
import { ExopErr } from '../../src/dsa/replica/types.js';

const roots: { cleanup: () => void; dcs: SimDC[] }[] = [];
after(async () => {
  for (const r of roots) {
    for (const d of r.dcs) await d.store.close();
    r.cleanup();
  }
});

function forest(n: number): { dcs: SimDC[]; nc: SimNC } {
  simSchema();
  const world = { time: 13_100_000_000 };
  const root = tempDir('forestd-fsmo-abandon-');
  const dcs = openDCs(root.dir, n, world);
  roots.push({ cleanup: root.cleanup, dcs });
  const nc = createNC(dcs[0]!, 13);
  const net = new Network(dcs, nc, 0);
  for (let d = 1; d < n; d++) net.fullCycle(d, 0);
  world.time++;
  return { dcs, nc };
}

const ownerOf = (d: SimDC, g: Buffer) => {
  const v = d.store.reader.getObject(g)!.attrs.find((a) => a.id === d.ctx.schema.rid!.fSMORoleOwner.id)?.values[0] as { guid: Uint8Array } | undefined;
  return v ? Buffer.from(v.guid).toString('hex') : undefined;
};
const hex = (d: SimDC) => d.store.dc.serverGuid.toString('hex');

/** DC `server`'s chained request to the owner `dcs` names: the ordinary RID Master transfer, its reply applied. */
const chainedVia = (dcs: SimDC[], server: SimDC): ChainedRoleRequest => async (fsmoObj, owner) => {
  const o = dcs.find((d) => d.store.dc.serverGuid.equals(owner))!;
  const rep = serveGetNCChanges(o.ctx, roleRequest(server.ctx, { Guid: fsmoObj, StringName: '' }, RoleExop.EXOP_FSMO_RID_REQ_ROLE));
  if (rep.ulExtendedRet === ExopErr.EXOP_ERR_SUCCESS) assert.equal(handleReply(server.ctx, rep).kind, 'applied');
  return rep.ulExtendedRet;
};

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
