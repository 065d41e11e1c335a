// IDL_DRSReplicaSync as an administrative request (MS-DRSR 4.1.23.2, as `repadmin /replicate`
// and `/syncall` send it): "replicate NC pNC from source uuidDsaSrc (or pszDsaSrc with
// DRS_SYNC_BYNAME, or every source with DRS_SYNC_ALL) now". forestd's DRS transport admits DC
// machine accounts only, so the administrative caller is the DC itself: `forestd repl sync`
// reads the DC's data directory, authenticates with its machine account and calls its own DRS
// listener. Without DRS_ASYNC_OP the call returns when the cycles have ended, with the first
// failure's Win32 code (0 when every cycle succeeded); each cycle's outcome is in the NC's
// repsFrom state (cycle-status.ts), where the caller reads it.
import type { Replicator, ReplPartner } from './replicator.js';
import { partnersOf } from './replicator.js';
import type { DRS_MSG_REPSYNC_V1 } from './types.js';

/** MS-DRSR 5.41 DRS_OPTIONS of IDL_DRSReplicaSync. */
export const REPSYNC = {
  DRS_ASYNC_OP: 0x1,
  DRS_SYNC_ALL: 0x8,
  DRS_SYNC_BYNAME: 0x4000,
} as const;

/** MS-ERREF Win32 codes of 4.1.23.2 (checked against python3-samba's werror). */
export const REPSYNC_ERROR = {
  ERROR_DS_DRA_INVALID_PARAMETER: 0x20f5,
  ERROR_DS_DRA_BAD_NC: 0x20f8,
  ERROR_DS_DRA_NO_REPLICA: 0x2104,
  ERROR_DS_DRA_ACCESS_DENIED: 0x2105,
} as const;

const NULL_GUID = Buffer.alloc(16);

/** The partners a request names (MS-DRSR 4.1.23.2), or its Win32 refusal. */
export function repSyncSources(partners: ReplPartner[], m: DRS_MSG_REPSYNC_V1): ReplPartner[] | number {
  const byName = (m.ulOptions & REPSYNC.DRS_SYNC_BYNAME) !== 0;
  if (m.ulOptions & REPSYNC.DRS_SYNC_ALL) return partners;
  const uuid = Buffer.from(m.uuidDsaSrc ?? NULL_GUID);
  if ((byName && !m.pszDsaSrc) || (!byName && uuid.equals(NULL_GUID))) return REPSYNC_ERROR.ERROR_DS_DRA_INVALID_PARAMETER;
  const p = byName ? partners.find((x) => x.address.toLowerCase() === m.pszDsaSrc!.toLowerCase()) : partners.find((x) => x.dsaGuid === uuid.toString('hex'));
  // no repsFrom for that source in the NC
  return p ? [p] : REPSYNC_ERROR.ERROR_DS_DRA_NO_REPLICA;
}

/** Serves an administrative IDL_DRSReplicaSync on the DC `replicator` runs: the Win32 result. */
export async function serveAdminReplicaSync(replicator: Replicator, m: DRS_MSG_REPSYNC_V1, peerAccount: string): Promise<number> {
  const dir = replicator.dir;
  // the caller announced this DC's DSA GUID: it must also hold this DC's machine account
  const own = dir.store.reader.getObject(dir.forest.computerGuid);
  const account = own?.attrs.find((a) => a.id === dir.schema.attr('sAMAccountName')?.id)?.values[0];
  if (typeof account !== 'string' || account.toUpperCase() !== peerAccount.toUpperCase()) return REPSYNC_ERROR.ERROR_DS_DRA_ACCESS_DENIED;
  const nc = Buffer.from(m.pNC.Guid);
  const head = dir.store.reader.getHeader(nc);
  if (!head || head.parent !== null) return REPSYNC_ERROR.ERROR_DS_DRA_BAD_NC;
  const sources = repSyncSources(partnersOf(dir), m);
  if (typeof sources === 'number') return sources;
  const run = replicator.syncNow(sources, nc);
  if (m.ulOptions & REPSYNC.DRS_ASYNC_OP) {
    void run.catch(() => {});
    return 0;
  }
  const results = await run;
  // an NC this DC does not replicate from those sources
  if (results.length === 0) return REPSYNC_ERROR.ERROR_DS_DRA_NO_REPLICA;
  return results.find((r) => r.result !== 0)?.result ?? 0;
}
