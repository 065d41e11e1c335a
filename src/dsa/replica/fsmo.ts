// Extended operations of GetNCChanges on the server (MS-DRSR 4.1.10.5.12
// ProcessFsmoRoleRequest): RID_ALLOC (EXOP_FSMO_REQ_RID_ALLOC) on the RID Master. The RID
// Master checks that it owns the role (fSMORoleOwner of the RID Manager$ object names its
// nTDSDSA object, else EXOP_ERR_FSMO_NOT_OWNER — the client asks the owner instead), takes the
// next block from rIDAvailablePool and writes it to the client's RID Set (rIDAllocationPool),
// both in one originating update, and answers with the two objects, which the client applies
// as any replicated update. The reply moves no watermark: an extended operation is not part of
// a replication cycle (MS-DRSR 4.1.10.1.3).
//
// A request that reports a rIDAllocationPool older than the one its RID Set holds (its reply
// was lost, or the request duplicated) gets the block already given, not a new one: retries
// never waste blocks, and never hand out one twice.
import { allocateBlock, availableFrom, RID_BLOCK_SIZE } from '../model/rid-pool.js';
import { UpdatePort } from '../model/update.js';
import type { ObjectRecord } from '../../store/record.js';
import type { ReplicaContext } from './context.js';
import { entryOf, getNCChanges } from './source.js';
import { exopReply, isRoleRequest, processRoleRequest } from './fsmo-role.js';
import { EXOP_FSMO_REQ_RID_ALLOC, ExopErr, type DRS_MSG_GETCHGREPLY_V6, type DRS_MSG_GETCHGREQ_V10 } from './types.js';

/** Serves a GetNCChanges request: extended operations here, replication cycles from a read of the store. */
export function serveGetNCChanges(ctx: ReplicaContext, req: DRS_MSG_GETCHGREQ_V10): DRS_MSG_GETCHGREPLY_V6 {
  if (!req || req.ulExtendedOp === 0 || req.ulExtendedOp === undefined) return getNCChanges(ctx, ctx.store.reader, req);
  // role transfers (EXOP_FSMO_REQ_ROLE, EXOP_FSMO_RID_REQ_ROLE, EXOP_FSMO_REQ_PDC): fsmo-role.ts
  if (isRoleRequest(req.ulExtendedOp)) return processRoleRequest(ctx, req);
  return processFsmoRoleRequest(ctx, req);
}

export function processFsmoRoleRequest(ctx: ReplicaContext, req: DRS_MSG_GETCHGREQ_V10): DRS_MSG_GETCHGREPLY_V6 {
  const reply = (ulExtendedRet: number, objects: DRS_MSG_GETCHGREPLY_V6['pObjects'] = []): DRS_MSG_GETCHGREPLY_V6 => exopReply(ctx, req, ulExtendedRet, objects);
  if (req.ulExtendedOp !== EXOP_FSMO_REQ_RID_ALLOC) return reply(ExopErr.EXOP_ERR_UNKNOWN_OP);
  const R = ctx.schema.rid;
  if (!R || !ctx.rid || !Buffer.isBuffer(req.pNC?.Guid) || !Buffer.isBuffer(req.uuidDsaObjDest)) return reply(ExopErr.EXOP_ERR_PARAM_ERR);
  const manager = req.pNC.Guid;
  const first = (rec: ObjectRecord, id: number) => rec.attrs.find((a) => a.id === id)?.values[0];
  const r0 = ctx.store.reader;
  const mgr = r0.getObject(manager);
  if (!mgr || first(mgr, R.rIDAvailablePool.id) === undefined) return reply(ExopErr.EXOP_ERR_UPDATE_ERR);
  const owner = first(mgr, R.fSMORoleOwner.id) as { guid: Uint8Array } | undefined;
  if (!owner || !Buffer.from(owner.guid).equals(ctx.serverGuid)) return reply(ExopErr.EXOP_ERR_FSMO_NOT_OWNER);
  let outcome: number = ExopErr.EXOP_ERR_SUCCESS;
  let ridSet: Buffer | undefined;
  const made: Buffer[] = [];
  ctx.store.writeSync((w) => {
    const u = new UpdatePort(w, ctx.invocationId, ctx.clock);
    ridSet = ctx.rid!.ridSetOf(u, req.uuidDsaObjDest, manager, made);
    if (!ridSet) {
      outcome = ExopErr.EXOP_ERR_UNKNOWN_CALLER;
      return;
    }
    const setRec = w.getObject(ridSet)!;
    const given = first(setRec, R.rIDAllocationPool.id) as bigint | undefined;
    // the client has not seen the block it was given: give it again
    if (given !== undefined && BigInt(req.liFsmoInfo ?? 0n) !== given) return;
    const prevMgr = w.getObject(manager)!;
    const available = BigInt(first(prevMgr, R.rIDAvailablePool.id) as bigint);
    const next = allocateBlock(ctx.rid!.floor ? availableFrom(available, ctx.rid!.floor(w)) : available, ctx.rid!.blockSize ?? RID_BLOCK_SIZE);
    if (!next) {
      outcome = ExopErr.EXOP_ERR_RID_ALLOC;
      return;
    }
    const m: ObjectRecord = { ...prevMgr, attrs: prevMgr.attrs.map((a) => ({ ...a })) };
    u.setAttribute(m, R.rIDAvailablePool, [next.available]);
    u.touch(m);
    w.putObject(manager, m, prevMgr);
    const s: ObjectRecord = { ...setRec, attrs: setRec.attrs.map((a) => ({ ...a })) };
    u.setAttribute(s, R.rIDAllocationPool, [next.block]);
    u.touch(s);
    w.putObject(ridSet, s, setRec);
  });
  if (outcome !== ExopErr.EXOP_ERR_SUCCESS || !ridSet) return reply(outcome);
  // the RID Manager$ and the client's RID Set, with every replicated attribute and its stamp
  // (and, when the RID Set is new, the computer object whose rIDSetReferences names it)
  const r = ctx.store.reader;
  const whole = (g: Buffer) => {
    const rec = r.getObject(g)!;
    return entryOf(ctx, r, { guid: g, rec, attrs: rec.attrs.filter((a) => a.stamp), links: [], ahead: false });
  };
  return reply(ExopErr.EXOP_ERR_SUCCESS, [...made.map(whole), whole(manager), whole(ridSet)]);
}
