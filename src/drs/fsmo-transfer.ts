// A FSMO role transfer to this DC over the forestd DRS transport (MS-DRSR 4.1.10.4.3
// PerformExtendedOpRequestMsg): the current owner — found from the role object's fSMORoleOwner,
// its nTDSDSA object's networkAddress (published by `forestd serve --repl-port`, replicated) and
// its server object's machine account — is asked with IDL_DRSGetNCChanges ulExtendedOp
// EXOP_FSMO_REQ_ROLE / EXOP_FSMO_RID_REQ_ROLE / EXOP_FSMO_REQ_PDC, and its reply (the role's
// objects with the new fSMORoleOwner, 4.1.10.5.12) is applied as replicated updates in one
// transaction (ProcessGetNCChangesReply, as for any extended operation: no watermark moves).
import type { Directory } from '../dsa/directory.js';
import { replicaContextOf } from '../dsa/replica-context.js';
import { handleReplyAsync } from '../dsa/replica/pull.js';
import { RoleExopErr, roleRequest } from '../dsa/replica/fsmo-role.js';
import { ExopErr } from '../dsa/replica/types.js';
import { RPC_S_SERVER_UNAVAILABLE, type RoleTransfer } from '../dsa/fsmo-roles.js';
import { callGetNCChanges } from './convert.js';
import { codecOf } from './handlers.js';
import { machineAccountCredentials } from './machine-account.js';
import { connectPartner, partnersOf, type ReplPartner } from './replicator.js';
import type { ReadTxn } from '../store/store.js';

/** Where the DC whose nTDSDSA object is `dsa` serves DRS, and as which machine account. */
export function dsaEndpoint(dir: Directory, r: ReadTxn, dsa: Buffer): ReplPartner | undefined {
  const known = partnersOf(dir).find((p) => p.dsaGuid === dsa.toString('hex'));
  if (known) return known;
  const val = (g: Buffer | null | undefined, name: string) => {
    const info = dir.schema.attr(name);
    return g && info ? r.getObject(g)?.attrs.find((a) => a.id === info.id)?.values[0] : undefined;
  };
  const address = val(dsa, 'networkAddress');
  // the nTDSDSA object's parent is the DC's server object; its serverReference (a forward link) the computer account
  const server = r.getHeader(dsa)?.parent;
  const refLink = dir.schema.attr('serverReference')?.forwardLinkId;
  const computer = server && refLink !== undefined ? [...r.links(server, refLink)].find((lv) => lv.stamp.timeDeleted === 0)?.target : undefined;
  const account = computer ? val(Buffer.from(computer), 'sAMAccountName') : undefined;
  if (typeof address !== 'string' || typeof account !== 'string') return undefined;
  return { dsaGuid: dsa.toString('hex'), account, address };
}

/** The RoleTransfer of a serving DC (src/dsa/fsmo-roles.ts becomeRoleOwner calls it). */
export function roleTransferFor(dir: Directory): RoleTransfer {
  const ctx = replicaContextOf(dir);
  return async ({ roleObject, roleDn, exop, owner }) => {
    const couldnt = (win32: number, detail: string) => ({ ulExtendedRet: RoleExopErr.EXOP_ERR_COULDNT_CONTACT, win32, detail });
    const p = dsaEndpoint(dir, dir.store.reader, owner);
    if (!p) return couldnt(RPC_S_SERVER_UNAVAILABLE, 'the role owner has no DRS address (networkAddress) or machine account here yet');
    let conn: Awaited<ReturnType<typeof connectPartner>>;
    try {
      conn = await connectPartner(machineAccountCredentials(dir), p, dir.forest.dsaGuid);
    } catch (e) {
      return couldnt(RPC_S_SERVER_UNAVAILABLE, `${p.account} at ${p.address}: ${(e as Error).message}`);
    }
    try {
      const req = roleRequest(ctx, { Guid: roleObject, StringName: roleDn }, exop);
      const reply = await callGetNCChanges(conn.client, conn.hDrs, req as never, codecOf(dir));
      if (reply.dwDRSError !== 0) return couldnt(reply.dwDRSError, `${p.account} answered ${reply.dwDRSError.toString(16).padStart(8, '0')}`);
      if (reply.ulExtendedRet !== ExopErr.EXOP_ERR_SUCCESS) return { ulExtendedRet: reply.ulExtendedRet };
      const applied = await handleReplyAsync(ctx, reply as never);
      return applied.kind === 'applied' ? { ulExtendedRet: ExopErr.EXOP_ERR_SUCCESS } : { ulExtendedRet: ExopErr.EXOP_ERR_UPDATE_ERR };
    } catch (e) {
      return couldnt(RPC_S_SERVER_UNAVAILABLE, `${p.account} at ${p.address}: ${(e as Error).message}`);
    } finally {
      await conn.client.close();
    }
  };
}
