// IDL_DRSUpdateRefs (MS-DRSR 4.1.26, its core 5.201 UpdateRefs) and the repsTo it keeps: the
// DCs that replicate an NC from this one and want to be told of its changes (MS-ADTS
// 3.1.1.5.1.6: the notifier tells the DCs in the NC's repsTo). A destination registers itself
// with each source it pulls an NC from — at join and whenever it adds or re-addresses a
// partner (DRS_ADD_REF | DRS_DEL_REF: replace the value) — and removes itself with
// DRS_DEL_REF when it stops replicating from the source.
//
// repsTo is kept in the store's meta database, per NC ("repsTo:<ncGUID hex>"), beside the
// engine's repsFrom state; the NC head's repsTo and msDS-NCReplOutboundNeighbors render it
// (src/dsa/search/repl-metadata.ts). forestd's rule on top of the spec's: a DC may add or
// delete only its own reference (uuidDsaObjDest is the authenticated caller's DSA GUID).
import { channel } from 'node:diagnostics_channel';
import type { Directory } from '../dsa/directory.js';
import type { ReadTxn, WriteTxn } from '../store/store.js';
import type { DRS_MSG_UPDREFS_V1 } from './types.js';
import type { DrsClient } from './transport/tls.js';

/** MS-DRSR 5.41 DRS_OPTIONS of IDL_DRSUpdateRefs. */
export const UPDREFS = {
  DRS_ASYNC_OP: 0x1,
  DRS_GETCHG_CHECK: 0x2,
  DRS_ADD_REF: 0x4,
  DRS_DEL_REF: 0x8,
  DRS_WRIT_REP: 0x10,
} as const;

/** MS-ERREF codes of 4.1.26.2 / 5.201 (checked against python3-samba's werror). */
export const UPDREFS_ERROR = {
  ERROR_DS_DRA_INVALID_PARAMETER: 0x20f5,
  ERROR_DS_DRA_BAD_NC: 0x20f8,
  ERROR_DS_DRA_REF_ALREADY_EXISTS: 0x2100,
  ERROR_DS_DRA_REF_NOT_FOUND: 0x2101,
  ERROR_DS_DRA_ACCESS_DENIED: 0x2105,
} as const;

/** One repsTo value (MS-DRSR 5.172 RepsTo, the members forestd keeps). */
export interface RepsToEntry {
  /** the destination's nTDSDSA objectGUID, hex */
  uuidDsa: string;
  /** its NetworkAddress (forestd: host:port of its DRS listener) */
  naDsa: string;
  /** the machine account that registered it (for the notifier's authenticated connection) */
  account: string;
  /** ulOptions ∩ {DRS_WRIT_REP} */
  options: number;
  /** seconds since 1601 */
  timeAdded: number;
}

const key = (nc: Buffer) => `repsTo:${nc.toString('hex')}`;
/** published after each IDL_DRSUpdateRefs served: { dsa, nc, dest, naDsa, options, result } */
export const UPDATE_REFS_CHANNEL = 'forestd:repl:update-refs';

export function repsToOf(r: ReadTxn, nc: Buffer): RepsToEntry[] {
  const v = r.getMeta<RepsToEntry[]>(key(nc));
  return Array.isArray(v) ? v : [];
}

/** Replaces NC `nc`'s repsTo (in write transaction `w`). */
export function setRepsTo(w: WriteTxn, nc: Buffer, list: RepsToEntry[]): void {
  w.setMeta(key(nc), list);
}

/** Serves IDL_DRSUpdateRefs from the DC `peer` (authenticated by the transport): the Win32 result. */
export async function serveUpdateRefs(dir: Directory, m: DRS_MSG_UPDREFS_V1, peer: { account: string; dsaGuid: Buffer }): Promise<number> {
  const o = m.ulOptions >>> 0;
  const dest = Buffer.from(m.uuidDsaObjDest ?? Buffer.alloc(16));
  // MS-DRSR 4.1.26.2: the NC, the destination's address and GUID, and an add or a delete
  if (!m.pNC || !m.pszDsaDest || dest.equals(Buffer.alloc(16)) || (o & (UPDREFS.DRS_ADD_REF | UPDREFS.DRS_DEL_REF)) === 0) return UPDREFS_ERROR.ERROR_DS_DRA_INVALID_PARAMETER;
  const nc = Buffer.from(m.pNC.Guid);
  const head = dir.store.reader.getHeader(nc);
  if (!head || head.parent !== null) return UPDREFS_ERROR.ERROR_DS_DRA_BAD_NC;
  if (!dest.equals(Buffer.from(peer.dsaGuid))) return UPDREFS_ERROR.ERROR_DS_DRA_ACCESS_DENIED;
  const check = (o & UPDREFS.DRS_GETCHG_CHECK) !== 0;
  const na = m.pszDsaDest;
  const same = (v: RepsToEntry) => v.naDsa.toLowerCase() === na.toLowerCase() || v.uuidDsa === dest.toString('hex');
  const result = await dir.store.write((w) => {
    let list = repsToOf(w, nc);
    let err = 0;
    // MS-DRSR 5.201: the delete first; with both, the add's result is the answer
    if (o & UPDREFS.DRS_DEL_REF) {
      const before = list.length;
      list = list.filter((v) => !same(v));
      err = list.length === before ? UPDREFS_ERROR.ERROR_DS_DRA_REF_NOT_FOUND : 0;
    }
    if (o & UPDREFS.DRS_ADD_REF) {
      if (list.some(same)) err = UPDREFS_ERROR.ERROR_DS_DRA_REF_ALREADY_EXISTS;
      else {
        list.push({ uuidDsa: dest.toString('hex'), naDsa: na, account: peer.account, options: o & UPDREFS.DRS_WRIT_REP, timeAdded: dir.clock() });
        err = 0;
      }
    }
    w.setMeta(key(nc), list);
    // DRS_GETCHG_CHECK: "already there" and "not there" count as done
    if (check && (err === UPDREFS_ERROR.ERROR_DS_DRA_REF_ALREADY_EXISTS || err === UPDREFS_ERROR.ERROR_DS_DRA_REF_NOT_FOUND)) return 0;
    return err;
  });
  const ch = channel(UPDATE_REFS_CHANNEL);
  if (ch.hasSubscribers) ch.publish({ dsa: dir.forest.dsaDN, nc: nc.toString('hex'), dest: dest.toString('hex'), naDsa: na, options: o, result });
  return result;
}

/**
 * This DC (`self`, its DRS address `address`) adds itself to (or, with `remove`, deletes itself
 * from) NC `nc`'s repsTo on the source `client` is bound to (handle `hDrs`): the Win32 result.
 */
export async function registerWithSource(client: DrsClient, hDrs: Buffer, nc: { Guid: Buffer; StringName: string }, self: Buffer, address: string, remove = false): Promise<number> {
  const ulOptions = (remove ? UPDREFS.DRS_DEL_REF : UPDREFS.DRS_ADD_REF | UPDREFS.DRS_DEL_REF) | UPDREFS.DRS_WRIT_REP | UPDREFS.DRS_GETCHG_CHECK;
  const { result } = await client.updateRefs({ hDrs, pmsgUpdRefs: { version: 1, msg: { pNC: { Guid: nc.Guid, Sid: Buffer.alloc(0), StringName: nc.StringName }, pszDsaDest: address, uuidDsaObjDest: self, ulOptions } } });
  return result >>> 0;
}
