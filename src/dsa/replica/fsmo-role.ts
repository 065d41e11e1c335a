// FSMO role transfer, the owner's half (MS-DRSR 4.1.10.5.12 ProcessFsmoRoleRequest for
// EXOP_FSMO_REQ_ROLE, EXOP_FSMO_RID_REQ_ROLE and EXOP_FSMO_REQ_PDC): the DC that wants a role
// asks the DC it believes owns it with a GetNCChanges request whose pNC names the role object
// (4.1.10.4.3 PerformExtendedOpRequestMsg: the role object; for the RID Master the RID Manager$
// object; for the PDC the domain NC head). The owner
//  - answers EXOP_ERR_UPDATE_ERR when the role object is unknown or the request names no client,
//    EXOP_ERR_UNKNOWN_CALLER when uuidDsaObjDest is not an nTDSDSA object it holds,
//    EXOP_ERR_FSMO_NOT_OWNER when fSMORoleOwner does not name its own nTDSDSA object;
//  - else writes fSMORoleOwner := the client's nTDSDSA object as an originating update, and
//    answers with the objects of the role (GetRoleScope, 4.1.10.5.16) carrying what the client's
//    UTD vector does not cover — at least the new fSMORoleOwner — and the link values those
//    objects hold that it lacks (4.1.10.1.3 "adds all changed objects and link values in the FSMO
//    role to the response"; 4.1.10.5.5 GetChangesInScope gives changedObjs and changedLinks),
//    which the client applies as replicated updates. As for RID_ALLOC, the reply moves no
//    watermark (4.1.10.1.3).
import type { ReadTxn } from '../../store/store.js';
import type { LinkValue, ObjectRecord, StoredAttribute } from '../../store/record.js';
import { coveredBy, utdLookup, type ObjectChange, type UtdLookup } from '../changes/changes-since.js';
import { UpdatePort } from '../model/update.js';
import type { ReplicaContext } from './context.js';
import { entryOf, valueOf } from './source.js';
import { nextRequest } from './pull.js';
import { DrsOptions, ExopErr, ZERO_USN_VECTOR, type DRS_MSG_GETCHGREPLY_V6, type DRS_MSG_GETCHGREQ_V10, type DSNAME, type REPLENTINFLIST, type REPLVALINF_V3 } from './types.js';

/** MS-DRSR 4.1.10.2.22 EXOP_REQ codes of the role transfers. */
export const RoleExop = {
  EXOP_FSMO_REQ_ROLE: 0x1,
  EXOP_FSMO_RID_REQ_ROLE: 0x3,
  EXOP_FSMO_REQ_PDC: 0x4,
} as const;

/** MS-DRSR 4.1.10.2.21 EXOP_ERR codes a role transfer adds to ExopErr (types.ts). */
export const RoleExopErr = {
  /** the role owner's nTDSDSA object is deleted (or unknown) */
  EXOP_ERR_FSMO_OWNER_DELETED: 0x8,
  /** the role owner could not be contacted */
  EXOP_ERR_COULDNT_CONTACT: 0xb,
} as const;

export function isRoleRequest(op: number | undefined): boolean {
  return op === RoleExop.EXOP_FSMO_REQ_ROLE || op === RoleExop.EXOP_FSMO_RID_REQ_ROLE || op === RoleExop.EXOP_FSMO_REQ_PDC;
}

/** What the owner needs of its DC beyond the engine's context (the DSA supplies it, src/dsa/fsmo-roles.ts). */
export interface RoleHooks {
  /** GetRoleScope (MS-DRSR 4.1.10.5.16): the objects of the role whose role object is `fsmoObj`, parents before children */
  scope(r: ReadTxn, fsmoObj: Buffer): Buffer[];
  /** whether `guid` is an nTDSDSA object of the configuration NC */
  isDsa(r: ReadTxn, guid: Buffer): boolean;
}

/** A replica context that knows its DC's roles (absent: the scope is the role object alone, any caller is known). */
export type RoleContext = ReplicaContext & { roles?: RoleHooks };

/** The reply of an extended operation: its result, the objects it sends, no watermark moved (MS-DRSR 4.1.10.1.3). */
export function exopReply(ctx: ReplicaContext, req: DRS_MSG_GETCHGREQ_V10, ulExtendedRet: number, objects: REPLENTINFLIST[] = [], values: REPLVALINF_V3[] = []): DRS_MSG_GETCHGREPLY_V6 {
  const zero = { usnHighObjUpdate: 0, usnReserved: 0, usnHighPropUpdate: 0 };
  return {
    uuidDsaObjSrc: ctx.serverGuid,
    uuidInvocIdSrc: ctx.invocationId,
    pNC: req?.pNC ?? { Guid: Buffer.alloc(16), StringName: '' },
    usnvecFrom: req?.usnvecFrom ?? zero,
    usnvecTo: req?.usnvecFrom ?? zero,
    pUpToDateVecSrc: null,
    ulExtendedRet,
    cNumObjects: objects.length,
    cNumBytes: 0,
    pObjects: objects,
    fMoreData: false,
    cNumValues: values.length,
    rgValues: values,
    dwDRSError: 0,
  };
}

const isGuid = (b: unknown): b is Buffer => Buffer.isBuffer(b) && b.length === 16;

/** MS-DRSR 4.1.10.5.12 ProcessFsmoRoleRequest, for the three role-transfer operations. */
export function processRoleRequest(ctx: RoleContext, req: DRS_MSG_GETCHGREQ_V10): DRS_MSG_GETCHGREPLY_V6 {
  const owner = ctx.schema.rid?.fSMORoleOwner;
  if (!owner) return exopReply(ctx, req, ExopErr.EXOP_ERR_UNKNOWN_OP);
  // "if not ObjExists(fsmoObj) … EXOP_ERR_UPDATE_ERR"; "if msgIn.uuidDsaObjDest = null … EXOP_ERR_UPDATE_ERR"
  if (!isGuid(req?.pNC?.Guid) || !isGuid(req.uuidDsaObjDest) || req.uuidDsaObjDest.equals(Buffer.alloc(16))) return exopReply(ctx, req, ExopErr.EXOP_ERR_UPDATE_ERR);
  const fsmoObj = req.pNC.Guid;
  const dest = req.uuidDsaObjDest;
  const r0 = ctx.store.reader;
  const obj = r0.getObject(fsmoObj);
  const ownerOf = (rec: ObjectRecord | undefined) => rec?.attrs.find((a) => a.id === owner.id)?.values[0] as { guid: Uint8Array } | undefined;
  if (!obj || !ownerOf(obj)) return exopReply(ctx, req, ExopErr.EXOP_ERR_UPDATE_ERR);
  // "clientDsaObj := select one o from ConfigNC() where o!objectGUID = msgIn.uuidDsaObjDest … EXOP_ERR_UNKNOWN_CALLER"
  if (ctx.roles && !ctx.roles.isDsa(r0, dest)) return exopReply(ctx, req, ExopErr.EXOP_ERR_UNKNOWN_CALLER);
  let outcome: number = ExopErr.EXOP_ERR_SUCCESS;
  ctx.store.writeSync((w) => {
    const prev = w.getObject(fsmoObj);
    const cur = ownerOf(prev);
    // "if fsmoObj!fSMORoleOwner ≠ DSAObj() then msgOut.ulExtendedRet := EXOP_ERR_FSMO_NOT_OWNER"
    if (!prev || !cur || !Buffer.from(cur.guid).equals(ctx.serverGuid)) {
      outcome = ExopErr.EXOP_ERR_FSMO_NOT_OWNER;
      return;
    }
    // "fsmoObj!fSMORoleOwner := clientDsaObj", an originating update on this DC
    const u = new UpdatePort(w, ctx.invocationId, ctx.clock);
    const rec: ObjectRecord = { ...prev, attrs: prev.attrs.map((a) => ({ ...a })) };
    u.setAttribute(rec, owner, [{ guid: Buffer.from(dest) }]);
    u.touch(rec);
    w.putObject(fsmoObj, rec, prev);
  });
  if (outcome !== ExopErr.EXOP_ERR_SUCCESS) return exopReply(ctx, req, outcome);
  // "scope := GetRoleScope(fsmoObj)": every object of the role with what the client lacks, and
  // the link values of the role's objects it lacks (GetChangesInScope's changedLinks: e.g. a
  // crossRef's msDS-NC-Replica-Locations in the Domain Naming Master's scope)
  const r = ctx.store.reader;
  const utd = utdLookup(req.pUpToDateVecDest?.rgCursors);
  const objects: REPLENTINFLIST[] = [];
  const values: REPLVALINF_V3[] = [];
  const scope = ctx.roles ? ctx.roles.scope(r, fsmoObj) : [fsmoObj];
  for (const g of scope) {
    const c = uncovered(r, g, utd);
    if (!c) continue;
    if (c.attrs.length > 0) objects.push(entryOf(ctx, r, c));
    for (const lv of c.links) values.push(valueOf(lv));
  }
  return exopReply(ctx, req, ExopErr.EXOP_ERR_SUCCESS, objects, values);
}

/**
 * The attributes of object `g` and the forward link values it holds whose stamps the client's
 * UTD vector does not cover (MS-DRSR 4.1.10.5.5 GetChangesInScope; present and removed values
 * alike, each with its LinkValueStamp). The values come after every object of the reply, so a
 * value whose holder the client lacks finds it applied (4.1.10.6.1: objects, then values).
 */
function uncovered(r: ReadTxn, g: Buffer, utd: UtdLookup): ObjectChange | undefined {
  const rec = r.getObject(g);
  if (!rec) return undefined;
  const attrs: StoredAttribute[] = rec.attrs.filter((a) => a.stamp && !coveredBy(utd, a.stamp));
  const links: LinkValue[] = [];
  for (const lv of r.rawLinks(g)) if (!coveredBy(utd, lv.stamp)) links.push(lv);
  if (attrs.length === 0 && links.length === 0) return undefined;
  return { guid: g, rec, attrs, links, ahead: false };
}

/**
 * The client's request (MS-DRSR 4.1.10.4.3 PerformExtendedOpRequestMsg): pNC the role object
 * (the RID Manager$ object for EXOP_FSMO_RID_REQ_ROLE, the domain NC head for EXOP_FSMO_REQ_PDC),
 * with this DC's UTD vector of the role object's NC, so that the owner sends only what it lacks.
 */
export function roleRequest(ctx: ReplicaContext, roleObject: DSNAME, exop: number, srcInvocationId: Buffer = Buffer.alloc(16)): DRS_MSG_GETCHGREQ_V10 {
  const r = ctx.store.reader;
  const nc = r.getHeader(roleObject.Guid)?.nc ?? roleObject.Guid;
  // the destination's UTD vector as a replication cycle of the NC sends it (with its own cursor)
  const cycle = nextRequest(ctx, r, { Guid: nc, StringName: '' }, Buffer.alloc(16), srcInvocationId);
  return {
    ...cycle,
    pNC: roleObject,
    usnvecFrom: { ...ZERO_USN_VECTOR },
    // 4.1.10.5.12: DRS_WRIT_REP, which a Windows Server 2003 owner requires
    ulFlags: DrsOptions.DRS_WRIT_REP,
    cMaxObjects: 0,
    cMaxBytes: 0,
    ulExtendedOp: exop,
    ulMoreFlags: 0,
  };
}
