// IDL_DRSReplicaDel (MS-DRSR 4.1.20, opnum 6) as an administrative request, as `repadmin /delete`
// sends it: "stop replicating NC pNC from the source at NetworkAddress pszDsaSrc". The server
// removes the source's repsFrom value of the NC and, unless DRS_LOCAL_ONLY, asks the source with
// IDL_DRSUpdateRefs DRS_DEL_REF to remove this DC from the NC's repsTo (4.1.20.2). forestd's DRS
// transport admits DC machine accounts only, so the administrative caller is the DC itself
// (`forestd repl remove`, src/cli/repl-remove.ts), as for IDL_DRSReplicaSync (repl-sync.ts).
//
// forestd holds writable replicas only: DRS_NO_SOURCE (expunging a read-only replica) is refused
// as an invalid parameter. A source the intra-site topology still wants comes back at the next
// KCC run (MS-ADTS 6.2: the KCC keeps repsFrom in line with the connections), as on Windows.
import type { Replicator, ReplPartner } from './replicator.js';
import { partnersOf } from './replicator.js';
import { readReplicaState } from '../dsa/replica/state.js';
import { guidToString } from '../util/guid.js';
import type { DRS_MSG_REPDEL_V1 } from './types.js';

/** MS-DRSR 5.41 DRS_OPTIONS of IDL_DRSReplicaDel. */
export const REPDEL = {
  DRS_ASYNC_OP: 0x1,
  DRS_WRIT_REP: 0x10,
  DRS_ASYNC_REP: 0x100,
  /** DRS_IGNORE_ERROR: the source's IDL_DRSUpdateRefs failing does not fail the request (DS_REPDEL_IGNORE_ERRORS) */
  DRS_IGNORE_ERROR: 0x100,
  DRS_LOCAL_ONLY: 0x1000,
  DRS_REF_OK: 0x4000,
  DRS_NO_SOURCE: 0x8000,
} as const;
const ALLOWED = REPDEL.DRS_ASYNC_OP | REPDEL.DRS_WRIT_REP | REPDEL.DRS_IGNORE_ERROR | REPDEL.DRS_LOCAL_ONLY | REPDEL.DRS_REF_OK | REPDEL.DRS_NO_SOURCE;

/** MS-ERREF Win32 codes of 4.1.20.2 (checked against python3-samba's werror). */
export const REPDEL_ERROR = {
  ERROR_DS_DRA_INVALID_PARAMETER: 0x20f5,
  ERROR_DS_DRA_BAD_NC: 0x20f8,
  ERROR_DS_DRA_NO_REPLICA: 0x2104,
} as const;

/** Whether NetworkAddress `na` names partner `p`: its DRS address, or AD's "<DSA GUID>._msdcs.<forest>" name. */
export function addressNames(p: ReplPartner, na: string): boolean {
  const a = na.trim().toLowerCase();
  return a === p.address.toLowerCase() || a.startsWith(`${guidToString(Buffer.from(p.dsaGuid, 'hex')).toLowerCase()}._msdcs.`);
}

/** Serves an administrative IDL_DRSReplicaDel on the DC `replicator` runs: the Win32 result. */
export async function serveReplicaDel(replicator: Replicator, m: DRS_MSG_REPDEL_V1): Promise<number> {
  const dir = replicator.dir;
  const o = m.ulOptions >>> 0;
  // MS-DRSR 4.1.20.2: the NC must be given and held; invalid options are refused
  if (!m.pNC) return REPDEL_ERROR.ERROR_DS_DRA_INVALID_PARAMETER;
  const nc = Buffer.from(m.pNC.Guid);
  const head = dir.store.reader.getHeader(nc);
  if (!head || head.parent !== null) return REPDEL_ERROR.ERROR_DS_DRA_BAD_NC;
  if ((o & ~ALLOWED) !== 0 || (o & REPDEL.DRS_NO_SOURCE) !== 0 || !m.pszDsaSrc) return REPDEL_ERROR.ERROR_DS_DRA_INVALID_PARAMETER;
  // the repsFrom value of the NC whose source has that address
  const known = new Map<string, ReplPartner>();
  for (const p of [...replicator.partners().inbound, ...partnersOf(dir)]) if (!known.has(p.dsaGuid)) known.set(p.dsaGuid, p);
  const rf = readReplicaState(dir.store.reader, nc).repsFrom.map((x) => known.get(x.uuidDsa.toString('hex'))).find((p) => p !== undefined && addressNames(p, m.pszDsaSrc!));
  if (!rf) return REPDEL_ERROR.ERROR_DS_DRA_NO_REPLICA;
  const run = replicator.removeSource(rf, nc, { localOnly: (o & REPDEL.DRS_LOCAL_ONLY) !== 0, ignoreErrors: (o & REPDEL.DRS_IGNORE_ERROR) !== 0 });
  if (o & REPDEL.DRS_ASYNC_OP) {
    void run.catch(() => {});
    return 0;
  }
  return run;
}
