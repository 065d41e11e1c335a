// The plug-in point between the DRS wire layer and the replication engine: the handlers a
// DC's DrsServer dispatches to. IDL_DRSBind and IDL_DRSUnbind have defaults in server.ts;
// IDL_DRSGetNCChanges (MS-DRSR 4.1.10) runs the engine's serveGetNCChanges through convert.ts
// (prefix table, DSNAME and syntax mapping), its reply written in one pass (reply-stub.ts). Other opnums answer nca_s_op_rng_error.
import type { Directory } from '../dsa/directory.js';
import type { DrsHandlers } from './server.js';
import { replicaContextOf } from '../dsa/replica-context.js';
import { serveGetNCChanges } from '../dsa/replica/fsmo.js';
import { roleHooksOf } from '../dsa/fsmo-roles.js';
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

export interface HandlerHooks {
  /** IDL_DRSReplicaSync (MS-DRSR 4.1.23) from an authenticated DC: the Win32 result */
  replicaSync?(peerAccount: string, peerDsa: Buffer, address: string | null, nc: Buffer): Promise<number>;
  /** IDL_DRSReplicaSync from this DC itself: an administrative request (`forestd repl sync`, repl-sync.ts) */
  adminReplicaSync?(msg: import('./types.js').DRS_MSG_REPSYNC_V1, peerAccount: string): Promise<number>;
}

export function drsHandlersFor(dir: Directory, hooks: HandlerHooks = {}): DrsHandlers {
  // the owner's side of role transfers needs the DSA's GetRoleScope (src/dsa/fsmo-roles.ts)
  const ctx = Object.assign(replicaContextOf(dir), { roles: roleHooksOf(dir) });
  const h: DrsHandlers = {
    IDL_DRSGetNCChanges: getNCChangesHandler((req) => serveGetNCChanges(ctx, req as never) as never, () => codecOf(dir)),
    // MS-DRSR 4.1.26: a destination adds or removes itself in an NC's repsTo
    IDL_DRSUpdateRefs: async (req, c) => ({ result: await serveUpdateRefs(dir, req.pmsgUpdRefs.msg, { account: c.peerAccount, dsaGuid: Buffer.from(c.peerDsaGuid) }) }),
  };
  const sync = hooks.replicaSync;
  if (sync) {
    h.IDL_DRSReplicaSync = async (req, c) => {
      const m = req.pmsgSync.msg;
      // the DC's own machine account: an administrator of this DC asking it to replicate (MS-DRSR 4.1.23.2)
      if (hooks.adminReplicaSync && Buffer.from(c.peerDsaGuid).equals(dir.forest.dsaGuid)) return { result: await hooks.adminReplicaSync(m, c.peerAccount) };
      // the caller names itself as the source: only its own news are taken (uuidDsaSrc must be the authenticated peer)
      if (!Buffer.from(m.uuidDsaSrc).equals(Buffer.from(c.peerDsaGuid))) return { result: 0x00000005 }; // ERROR_ACCESS_DENIED
      return { result: await sync(c.peerAccount, Buffer.from(c.peerDsaGuid), m.pszDsaSrc, Buffer.from(m.pNC.Guid)) };
    };
  }
  return h;
}
