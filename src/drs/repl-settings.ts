// Replication settings a DC reads from its configuration NC:
//  - the change notification delays of an NC (MS-ADTS 3.1.1.5.1.6): the NC's crossRef's
//    msDS-Replication-Notify-First-DSA-Delay and msDS-Replication-Notify-Subsequent-DSA-Delay,
//    in seconds; absent, the Replicator's defaults (forestd's: 20 ms and 5 ms);
//  - the NCs a DC holds a replica of (crossRefs, MS-ADTS 6.1.1.2.1.1).
import type { Directory } from '../dsa/directory.js';
import type { ObjectRecord } from '../store/record.js';
import type { ReadTxn } from '../store/store.js';
import type { DSName } from '../schema/syntaxes/syntax.js';

/** The crossRef objects of the forest (children of CN=Partitions), in snapshot `r`. */
export function crossRefsOf(dir: Directory, r: ReadTxn): ObjectRecord[] {
  const res = dir.names.resolve(r, `CN=Partitions,${dir.forest.configDN}`);
  if (!res.found) return [];
  const out: ObjectRecord[] = [];
  for (const g of r.children(res.guid)) {
    const rec = r.getObject(Buffer.from(g));
    if (rec) out.push(rec);
  }
  return out;
}

/** The crossRef whose nCName is NC `nc` (its objectGUID). */
export function crossRefOf(dir: Directory, r: ReadTxn, nc: Buffer): ObjectRecord | undefined {
  const info = dir.schema.attr('nCName');
  if (!info) return undefined;
  return crossRefsOf(dir, r).find((rec) => {
    const v = rec.attrs.find((a) => a.id === info.id)?.values[0] as DSName | undefined;
    return v?.guid !== undefined && Buffer.from(v.guid).equals(nc);
  });
}

/** MS-ADTS 3.1.1.5.1.6: the NC's own notification delays, in ms (none set: empty). */
export function notifyDelaysOf(dir: Directory, nc: Buffer): { firstDelayMs?: number; subsequentDelayMs?: number } {
  const r = dir.store.reader;
  const cr = crossRefOf(dir, r, nc);
  if (!cr) return {};
  const seconds = (name: string): number | undefined => {
    const info = dir.schema.attr(name);
    const v = info ? cr.attrs.find((a) => a.id === info.id)?.values[0] : undefined;
    const n = typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : undefined;
    return n !== undefined && Number.isFinite(n) && n >= 0 ? n * 1000 : undefined;
  };
  const first = seconds('msDS-Replication-Notify-First-DSA-Delay');
  const subsequent = seconds('msDS-Replication-Notify-Subsequent-DSA-Delay');
  return { ...(first !== undefined ? { firstDelayMs: first } : {}), ...(subsequent !== undefined ? { subsequentDelayMs: subsequent } : {}) };
}
