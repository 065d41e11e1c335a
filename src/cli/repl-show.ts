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
import { topologyPartners } from '../drs/replicator.js';
import { siteDsas } from '../drs/kcc.js';

export interface ReplShowNC {
  nc: string;
  inbound: DsReplNeighbor[];
  outbound: DsReplNeighbor[];
  cursors: DsReplCursor3[];
}
/** A replication partner of this DC (src/drs/replicator.ts topologyPartners: the intra-site topology's, MS-ADTS 6.2.2.2, and the join source / DCs that notified). */
export interface ReplShowPartner {
  dsaGuid: string;
  dsaDN: string;
  address: string;
  account: string;
  /** this DC pulls from it */
  inbound: boolean;
  /** this DC notifies it */
  outbound: boolean;
}
export interface ReplShow {
  dsa: string;
  partners: ReplShowPartner[];
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
    const t = topologyPartners(dir);
    const dns = new Map(siteDsas(dir, r).map((d) => [d.dsaGuid, d.dsaDN]));
    const partners = new Map<string, ReplShowPartner>();
    for (const [list, dirn] of [
      [t.inbound, 'inbound'],
      [t.outbound, 'outbound'],
    ] as const) {
      for (const p of list) {
        const e = partners.get(p.dsaGuid) ?? { dsaGuid: guidToString(Buffer.from(p.dsaGuid, 'hex')), dsaDN: dns.get(p.dsaGuid) ?? '', address: p.address, account: p.account, inbound: false, outbound: false };
        e[dirn] = true;
        partners.set(p.dsaGuid, e);
      }
    }
    return { dsa: dir.forest.dsaDN, partners: [...partners.values()].sort((a, b) => a.dsaDN.localeCompare(b.dsaDN)), invocationId: guidToString(dir.store.dc.invocationId), highestUsn: dir.store.highestCommittedUsn, ncs };
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
  out.push('==== REPLICATION PARTNERS (intra-site topology) ==============', '');
  if (s.partners.length === 0) out.push('    (no partners)');
  for (const p of s.partners) out.push(`    ${p.dsaDN || p.dsaGuid} (${p.account}) via ${p.address}: ${[p.inbound ? 'pulls from it' : '', p.outbound ? 'notifies it' : ''].filter(Boolean).join(', ')}`);
  out.push('');
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
