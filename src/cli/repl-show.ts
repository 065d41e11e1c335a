// forestd repl show: this DC's replication partners and up-to-dateness, in the spirit of
// `repadmin /showrepl` and `repadmin /showutdvec`: per naming context, the inbound neighbors
// (repsFrom: the partner, its address, the last success, the last result, the USNs reached) and
// the UTD vector. It reads the data directory (LMDB readers run beside a serving forestd) and
// shows what msDS-NCReplInboundNeighbors / msDS-NCReplCursors show over LDAP.
import { Directory } from '../dsa/directory.js';
import { ReadContext } from '../dsa/object-view.js';
import { ncCursorsOf, neighborsOf } from '../dsa/search/repl-metadata.js';
import { filetimeXml, type DsReplCursor3, type DsReplNeighbor } from '../drs/repl-info.js';
import { guidToString } from '../util/guid.js';

export interface ReplShowNC {
  nc: string;
  inbound: DsReplNeighbor[];
  outbound: DsReplNeighbor[];
  cursors: DsReplCursor3[];
}
export interface ReplShow {
  dsa: string;
  invocationId: string;
  highestUsn: number;
  ncs: ReplShowNC[];
}

export function replShow(dir: Directory): ReplShow {
  const r = dir.store.snapshot();
  try {
    const rc = new ReadContext(dir, r);
    const ncs: ReplShowNC[] = [];
    for (const g of r.ncHeads()) {
      const v = rc.view(Buffer.from(g));
      if (!v) continue;
      ncs.push({ nc: v.dn, inbound: neighborsOf(v, 'repsFrom'), outbound: neighborsOf(v, 'repsTo'), cursors: ncCursorsOf(v) });
    }
    ncs.sort((a, b) => a.nc.localeCompare(b.nc));
    return { dsa: dir.forest.dsaDN, invocationId: guidToString(dir.store.dc.invocationId), highestUsn: dir.store.highestCommittedUsn, ncs };
  } finally {
    r.done();
  }
}

const when = (ft: bigint) => (ft === 0n ? 'never' : filetimeXml(ft).replace('T', ' ').replace('Z', ' UTC'));

export function formatReplShow(s: ReplShow): string {
  const out: string[] = [];
  out.push(`DSA: ${s.dsa}`, `DSA invocationID: ${s.invocationId}`, `highest committed USN: ${s.highestUsn}`, '', '==== INBOUND NEIGHBORS ======================================', '');
  for (const nc of s.ncs) {
    out.push(nc.nc);
    if (nc.inbound.length === 0) out.push('    (no inbound neighbors)');
    for (const n of nc.inbound) {
      out.push(`    ${n.pszSourceDsaDN || guidToString(n.uuidSourceDsaObjGuid)} via ${n.pszSourceDsaAddress}`);
      out.push(`        DSA object GUID: ${guidToString(n.uuidSourceDsaObjGuid)}`, `        DSA invocationID: ${guidToString(n.uuidSourceDsaInvocationID)}`);
      out.push(`        USNs: ${n.usnLastObjChangeSynced}/OU, ${n.usnAttributeFilter}/PU`);
      const ok = n.dwLastSyncResult === 0;
      out.push(`        Last attempt @ ${when(n.ftimeLastSyncAttempt)} ${ok ? 'was successful.' : `failed, result ${n.dwLastSyncResult} (0x${n.dwLastSyncResult.toString(16)}), ${n.cNumConsecutiveSyncFailures} consecutive failure(s).`}`);
      if (!ok) out.push(`        Last success @ ${when(n.ftimeLastSyncSuccess)}.`);
    }
    out.push('');
  }
  out.push('==== OUTBOUND NEIGHBORS FOR CHANGE NOTIFICATIONS ============', '');
  for (const nc of s.ncs) {
    if (nc.outbound.length === 0) continue;
    out.push(nc.nc);
    for (const n of nc.outbound) out.push(`    ${n.pszSourceDsaDN || guidToString(n.uuidSourceDsaObjGuid)} via ${n.pszSourceDsaAddress}`);
    out.push('');
  }
  out.push('==== UP-TO-DATENESS VECTORS =================================', '');
  for (const nc of s.ncs) {
    out.push(nc.nc);
    for (const c of nc.cursors) out.push(`    ${c.pszSourceDsaDN || guidToString(c.uuidSourceDsaInvocationID)} @ USN ${c.usnAttributeFilter} @ Time ${when(c.ftimeLastSyncSuccess)}`);
    out.push('');
  }
  return out.join('\n');
}

export async function replShowCommand(o: { data: string; json: boolean }): Promise<void> {
  const dir = Directory.open(o.data);
  try {
    const s = replShow(dir);
    if (o.json) console.log(JSON.stringify(s, jsonValue, 2));
    else console.log(formatReplShow(s));
  } finally {
    await dir.close();
  }
}

/** JSON form: bigints as numbers' text, GUIDs (Buffers of 16 bytes, after their toJSON) as GUID strings. */
function jsonValue(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  const b = v as { type?: string; data?: number[] } | null;
  if (b && typeof b === 'object' && b.type === 'Buffer' && Array.isArray(b.data)) return b.data.length === 16 ? guidToString(Buffer.from(b.data)) : Buffer.from(b.data).toString('hex');
  return v;
}
