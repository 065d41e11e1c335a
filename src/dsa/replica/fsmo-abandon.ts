// EXOP_FSMO_ABANDON_ROLE on the server (MS-DRSR 4.1.10.1.3 "Abandon Role: Performs a chained
// request to the current FSMO role owner to make the server DC the FSMO role owner. This request
// is sent to help avoid entering a state in which no DC considers itself the owner of the role";
// 4.1.10.5.12 ProcessFsmoRoleRequest; 4.1.10.4.3: pNC names the FSMO role object). A DC that
// wants to give a role away (the owner, before it leaves) asks another DC with this operation;
// that DC asks the owner it knows for the role with the ordinary transfer (EXOP_FSMO_REQ_ROLE,
// EXOP_FSMO_RID_REQ_ROLE or EXOP_FSMO_REQ_PDC, fsmo-role.ts), applies the owner's reply, and
// answers with the outcome. The reply carries no objects: the caller changed fSMORoleOwner
// itself when it served the chained request.
import type { RoleContext } from './fsmo-role.js';
import { exopReply, RoleExopErr } from './fsmo-role.js';
import { ExopErr, type DRS_MSG_GETCHGREPLY_V6, type DRS_MSG_GETCHGREQ_V10 } from './types.js';

/** MS-DRSR 4.1.10.2.22 EXOP_REQ code of the abandon operation. */
export const EXOP_FSMO_ABANDON_ROLE = 0x5;

/** What the server's DSA does for the chained request: ask `owner` for the role whose object is `fsmoObj` and apply its reply; the owner's ulExtendedRet. */
export type ChainedRoleRequest = (fsmoObj: Buffer, owner: Buffer) => Promise<number>;

const isGuid = (b: unknown): b is Buffer => Buffer.isBuffer(b) && b.length === 16;

/** Serves EXOP_FSMO_ABANDON_ROLE (MS-DRSR 4.1.10.5.12): the chained transfer of the role to this DC. */
export async function processAbandonRole(ctx: RoleContext, req: DRS_MSG_GETCHGREQ_V10, chained: ChainedRoleRequest | undefined): Promise<DRS_MSG_GETCHGREPLY_V6> {
  const reply = (ret: number) => exopReply(ctx, req, ret);
  const owner = ctx.schema.rid?.fSMORoleOwner;
  if (!owner) return reply(ExopErr.EXOP_ERR_UNKNOWN_OP);
  // "if not ObjExists(fsmoObj) … EXOP_ERR_UPDATE_ERR"; "if msgIn.uuidDsaObjDest = null … EXOP_ERR_UPDATE_ERR"
  if (!isGuid(req?.pNC?.Guid) || !isGuid(req.uuidDsaObjDest) || req.uuidDsaObjDest.equals(Buffer.alloc(16))) return reply(ExopErr.EXOP_ERR_UPDATE_ERR);
  const r = ctx.store.reader;
  const fsmoObj = req.pNC.Guid;
  const cur = r.getObject(fsmoObj)?.attrs.find((a) => a.id === owner.id)?.values[0] as { guid?: Uint8Array } | undefined;
  // only a role object (it holds fSMORoleOwner) names a role
  if (!cur?.guid) return reply(ExopErr.EXOP_ERR_UPDATE_ERR);
  // "clientDsaObj := select one o from ConfigNC() where o!objectGUID = msgIn.uuidDsaObjDest … EXOP_ERR_UNKNOWN_CALLER"
  if (ctx.roles && !ctx.roles.isDsa(r, req.uuidDsaObjDest)) return reply(ExopErr.EXOP_ERR_UNKNOWN_CALLER);
  const ownerDsa = Buffer.from(cur.guid);
  // this DC owns the role already: nothing to chain
  if (ownerDsa.equals(ctx.serverGuid)) return reply(ExopErr.EXOP_ERR_SUCCESS);
  if (ctx.roles && !ctx.roles.isDsa(r, ownerDsa)) return reply(RoleExopErr.EXOP_ERR_FSMO_OWNER_DELETED);
  if (!chained) return reply(RoleExopErr.EXOP_ERR_COULDNT_CONTACT);
  let ret: number;
  try {
    ret = await chained(fsmoObj, ownerDsa);
  } catch {
    ret = RoleExopErr.EXOP_ERR_COULDNT_CONTACT;
  }
  return reply(ret);
}
