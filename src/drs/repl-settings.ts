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
  return crossRefEntries(dir, r).map((e) => e.rec);
}

function crossRefEntries(dir: Directory, r: ReadTxn): { guid: Buffer; rec: ObjectRecord }[] {
  const res = dir.names.resolve(r, `CN=Partitions,${dir.forest.configDN}`);
  if (!res.found) return [];
  const out: { guid: Buffer; rec: ObjectRecord }[] = [];
  for (const g of r.children(res.guid)) {
    const rec = r.getObject(Buffer.from(g));
    if (rec && !rec.attrs.some((a) => a.id === dir.schema.attr('isDeleted')?.id && a.values[0] === true)) out.push({ guid: Buffer.from(g), rec });
  }
  return out;
}

/** MS-ADTS 2.2.11 crossRef systemFlags: FLAG_CR_NTDS_NC, FLAG_CR_NTDS_DOMAIN */
const FLAG_CR_NTDS_NC = 0x1;
const FLAG_CR_NTDS_DOMAIN = 0x2;

export interface ApplicationNC {
  nc: { Guid: Buffer; StringName: string };
  /** the crossRef's objectGUID */
  crossRef: Buffer;
  /** the nTDSDSA objectGUIDs (hex) of the DCs holding a replica: msDS-NC-Replica-Locations (MS-ADTS 6.1.1.2.1.1.6) */
  holders: string[];
}

/** The application NCs of the forest (crossRefs of NTDS NCs that are not domains, nor the schema or configuration NC). */
export function applicationNCsOf(dir: Directory, r: ReadTxn): ApplicationNC[] {
  const A = (n: string) => dir.schema.attr(n);
  const nCName = A('nCName');
  const flags = A('systemFlags');
  const locations = A('msDS-NC-Replica-Locations');
  if (!nCName || !flags || !locations?.forwardLinkId) return [];
  const f = dir.forest;
  const out: ApplicationNC[] = [];
  for (const { guid, rec } of crossRefEntries(dir, r)) {
    const ref = rec.attrs.find((a) => a.id === nCName.id)?.values[0] as DSName | undefined;
    const sf = Number(rec.attrs.find((a) => a.id === flags.id)?.values[0] ?? 0);
    if (!ref?.guid || (sf & FLAG_CR_NTDS_NC) === 0 || (sf & FLAG_CR_NTDS_DOMAIN) !== 0) continue;
    const g = Buffer.from(ref.guid);
    if (g.equals(Buffer.alloc(16)) || g.equals(Buffer.from(f.schemaNC)) || g.equals(Buffer.from(f.configNC)) || g.equals(Buffer.from(f.domainNC))) continue;
    const holders = [...r.links(guid, locations.forwardLinkId)].filter((l) => l.stamp.timeDeleted === 0).map((l) => Buffer.from(l.target).toString('hex'));
    out.push({ nc: { Guid: g, StringName: r.hasObject(g) ? dir.dnOf(r, g) : (ref.dn ?? '') }, crossRef: guid, holders });
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
