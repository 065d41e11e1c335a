// The plug-in point between the DRS wire layer and the replication engine: the handlers a
// DC's DrsServer dispatches to. IDL_DRSBind and IDL_DRSUnbind have defaults in server.ts;
// IDL_DRSGetNCChanges (MS-DRSR 4.1.10) runs the engine's serveGetNCChanges through convert.ts
// (prefix table, DSNAME and syntax mapping), its reply written in one pass (reply-stub.ts). Other opnums answer nca_s_op_rng_error.
import type { Directory } from '../dsa/directory.js';
import { DrsFault, type DrsHandlers } from './server.js';
import { ERROR_DS_DRA_ACCESS_DENIED } from './peer-identity.js';
import { replicaContextOf } from '../dsa/replica-context.js';
import { serveGetNCChanges } from '../dsa/replica/fsmo.js';
import { roleHooksOf, roleObject, ROLES, type FsmoRole } from '../dsa/fsmo-roles.js';
import { EXOP_FSMO_ABANDON_ROLE, processAbandonRole, type ChainedRoleRequest } from '../dsa/replica/fsmo-abandon.js';
import { ExopErr } from '../dsa/replica/types.js';
import { roleTransferFor } from './fsmo-transfer.js';
import type { DrsCodec } from './convert.js';
import { getNCChangesHandler } from './reply-stub.js';
import { serveUpdateRefs } from './update-refs.js';

export function codecOf(dir: Directory): DrsCodec {
  return {
    prefixTable: dir.schema.snapshot.prefixTable,
    syntaxOf: (id) => dir.schema.attrById(id)?.syntax.name,
    dnOf: (ref) => {
      const g = Buffer.from(ref.guid);
      return dir.store.reader.hasObject(g) ? dir.dnOf(dir.store.reader, g) : (ref.dn ?? '');
    },
  };
}

/**
 * IDL_DRSGetNCChanges for the bound peer only (peer-identity.ts): a request naming another DSA
 * as its destination (uuidDsaObjDest, which RID_ALLOC and the role transfers act for) is
 * refused with ERROR_DS_DRA_ACCESS_DENIED.
 */
function boundDestination(h: NonNullable<DrsHandlers['IDL_DRSGetNCChanges']>): NonNullable<DrsHandlers['IDL_DRSGetNCChanges']> {
  return (req, c) => {
    if (!Buffer.from(req.pmsgIn.msg.uuidDsaObjDest).equals(Buffer.from(c.peerDsaGuid))) throw new DrsFault(ERROR_DS_DRA_ACCESS_DENIED, 'uuidDsaObjDest is not the DSA the caller authenticated as');
    return h(req, c);
  };
}

/** EXOP_FSMO_ABANDON_ROLE's chained request (replica/fsmo-abandon.ts): this DC asks the owner for the role, as becomeXxx does (fsmo-transfer.ts). */
function chainedRoleRequest(dir: Directory): ChainedRoleRequest {
  return async (fsmoObj, owner) => {
    const r = dir.store.reader;
    const role = (Object.keys(ROLES) as FsmoRole[]).find((x) => roleObject(dir, r, x)?.equals(fsmoObj));
    if (!role) return ExopErr.EXOP_ERR_UPDATE_ERR;
    const res = await roleTransferFor(dir)({ role, roleObject: fsmoObj, roleDn: dir.dnOf(r, fsmoObj), exop: ROLES[role].exop, owner });
    return res.ulExtendedRet;
  };
}

export interface HandlerHooks {
  /** IDL_DRSReplicaSync (MS-DRSR 4.1.23) from an authenticated DC: the Win32 result */
  replicaSync?(peerAccount: string, peerDsa: Buffer, address: string | null, nc: Buffer): Promise<number>;
  /** IDL_DRSReplicaSync from this DC itself: an administrative request (`forestd repl sync`, repl-sync.ts) */
  adminReplicaSync?(msg: import('./types.js').DRS_MSG_REPSYNC_V1, peerAccount: string): Promise<number>;
  /** IDL_DRSReplicaDel (MS-DRSR 4.1.20) from this DC itself: `forestd repl remove` (replica-del.ts) */
  adminReplicaDel?(msg: import('./types.js').DRS_MSG_REPDEL_V1): Promise<number>;
}

export function drsHandlersFor(dir: Directory, hooks: HandlerHooks = {}): DrsHandlers {
  // the owner's side of role transfers needs the DSA's GetRoleScope (src/dsa/fsmo-roles.ts)
  const ctx = Object.assign(replicaContextOf(dir), { roles: roleHooksOf(dir) });
  const h: DrsHandlers = {
    IDL_DRSGetNCChanges: boundDestination(
      getNCChangesHandler((req) => (req.ulExtendedOp === EXOP_FSMO_ABANDON_ROLE ? processAbandonRole(ctx, req as never, chainedRoleRequest(dir)) : serveGetNCChanges(ctx, req as never)) as never, () => codecOf(dir)),
    ),
    // MS-DRSR 4.1.26: a destination adds or removes itself in an NC's repsTo
    IDL_DRSUpdateRefs: async (req, c) => ({ result: await serveUpdateRefs(dir, req.pmsgUpdRefs.msg, { account: c.peerAccount, dsaGuid: Buffer.from(c.peerDsaGuid) }) }),
  };
  const del = hooks.adminReplicaDel;
  // MS-DRSR 4.1.20.2: only an administrator of this DC (its own machine account, the bound identity) manages its topology
  if (del) h.IDL_DRSReplicaDel = async (req, c) => ({ result: Buffer.from(c.peerDsaGuid).equals(dir.forest.dsaGuid) ? await del(req.pmsgDel.msg) : ERROR_DS_DRA_ACCESS_DENIED });
  const sync = hooks.replicaSync;
  if (sync) {
    h.IDL_DRSReplicaSync = async (req, c) => {
      const m = req.pmsgSync.msg;
      // the DC's own machine account: an administrator of this DC asking it to replicate (MS-DRSR 4.1.23.2)
      if (hooks.adminReplicaSync && Buffer.from(c.peerDsaGuid).equals(dir.forest.dsaGuid)) return { result: await hooks.adminReplicaSync(m, c.peerAccount) };
      // the caller names itself as the source: only its own news are taken (uuidDsaSrc must be the authenticated peer)
      if (!Buffer.from(m.uuidDsaSrc).equals(Buffer.from(c.peerDsaGuid))) return { result: ERROR_DS_DRA_ACCESS_DENIED };
      return { result: await sync(c.peerAccount, Buffer.from(c.peerDsaGuid), m.pszDsaSrc, Buffer.from(m.pNC.Guid)) };
    };
  }
  return h;
}
