// The Recycle Bin's second step (MS-ADTS 3.1.1.1.5.1 object lifetimes, 3.1.1.5.5.1.3,
// 3.1.1.9.1; MS-DRSR 5.160 RecycleObj): a deleted-object becomes a recycled-object once
// msDS-DeletedObjectLifetime (default: tombstoneLifetime) has passed since its deletion.
// A recycled-object keeps only what a tombstone keeps (TOMBSTONE_KEPT, the RDN and
// fPRESERVEONDELETE attributes), has isRecycled TRUE, cannot be undeleted, has no link values
// (they are removed from the directory, not stamped — RecycleObj), and is visible only with
// LDAP_SERVER_SHOW_RECYCLED_OID (search/controls/visibility.ts).
//
// recycleExpired() is the transition; the server calls it periodically (a test calls it with a
// future clock). Garbage collection after the tombstone lifetime is in garbage-collection.ts.
import type { ReadTxn } from '../store/store.js';
import type { ObjectRecord } from '../store/record.js';
import { SearchFlags } from '../schema/types.js';
import type { Directory } from './directory.js';
import { OriginatingUpdate } from './originating-update.js';
import { TOMBSTONE_KEPT, deletedObjectsContainer, firstValue, isDeletedRecord, recycleBinEnabled } from './tombstone.js';

const DAY = 86_400;
/** MS-ADTS 6.1.1.2.4.1.1: the tombstone lifetime when tombstoneLifetime is not set, in days. */
const DEFAULT_TOMBSTONE_LIFETIME = 60;

/** The Directory Service object (MS-ADTS 6.1.1.2.4.1.1), which holds the lifetimes. */
function directoryServiceDn(dir: Directory): string {
  return `CN=Directory Service,CN=Windows NT,CN=Services,${dir.forest.configDN}`;
}

/**
 * The deleted-object lifetime in days (MS-ADTS 3.1.1.1.5.1): msDS-DeletedObjectLifetime of the
 * Directory Service object, else tombstoneLifetime, else 60.
 */
export function deletedObjectLifetimeDays(dir: Directory, r: ReadTxn): number {
  const res = dir.names.resolve(r, directoryServiceDn(dir));
  const rec = res.found ? r.getObject(res.guid) : undefined;
  const days = (n: string) => {
    const v = rec ? firstValue(dir, rec, n) : undefined;
    return v === undefined || v === null ? undefined : Number(v);
  };
  return days('msDS-DeletedObjectLifetime') ?? days('tombstoneLifetime') ?? DEFAULT_TOMBSTONE_LIFETIME;
}

/** When `rec` was deleted (seconds since 1601): the time of its isDeleted stamp. */
function deletionTime(dir: Directory, rec: ObjectRecord): number {
  const id = dir.schema.attr('isDeleted')!.id;
  return rec.attrs.find((a) => a.id === id)?.stamp?.timeChanged ?? rec.whenChanged;
}

/**
 * Turns every deleted-object whose lifetime has passed at `now` (seconds since 1601, the
 * Clock's unit) into a recycled-object, one originating update per object. With the Recycle
 * Bin on, tombstones (deleted while it was off) are recycled-objects too (3.1.1.9.1: "all
 * tombstones are transformed to be recycled-objects"). Does nothing while the Recycle Bin is
 * off. Returns how many objects were recycled.
 */
export async function recycleExpired(dir: Directory, now: number = dir.clock()): Promise<number> {
  const r = dir.store.reader;
  if (!recycleBinEnabled(dir, r)) return 0;
  const lifetime = deletedObjectLifetimeDays(dir, r) * DAY;
  const due: Buffer[] = [];
  for (const nc of r.ncHeads()) {
    const container = deletedObjectsContainer(dir, r, nc);
    if (!container) continue;
    for (const c of r.children(container)) {
      const rec = r.getObject(Buffer.from(c));
      if (!rec || !isDeletedRecord(dir, rec) || firstValue(dir, rec, 'isRecycled') === true) continue;
      const tombstone = firstValue(dir, rec, 'msDS-LastKnownRDN') === undefined;
      if (tombstone || deletionTime(dir, rec) + lifetime <= now) due.push(Buffer.from(c));
    }
  }
  let n = 0;
  for (const guid of due) {
    const done = await dir.store.write((w) => {
      const prev = w.getObject(guid);
      if (!prev || !isDeletedRecord(dir, prev) || firstValue(dir, prev, 'isRecycled') === true) return false;
      recycleObject(dir, new OriginatingUpdate(w, dir.store.dc.invocationId, dir.clock), guid, prev);
      return true;
    });
    if (done) n++;
  }
  return n;
}

/** MS-DRSR 5.160 RecycleObj: deleted-object (or tombstone) → recycled-object, as part of update `u`. */
export function recycleObject(dir: Directory, u: OriginatingUpdate, guid: Buffer, prev: ObjectRecord): void {
  const w = u.txn;
  const schema = dir.schema;
  const rec: ObjectRecord = { ...prev, attrs: prev.attrs.map((a) => ({ ...a })) };
  // MS-ADTS 3.1.1.5.5.1.3: only the RDN, the listed attributes and fPRESERVEONDELETE ones stay
  for (const a of prev.attrs) {
    if (a.values.length === 0 || a.id === prev.rdnType) continue;
    const info = schema.attrById(a.id);
    if (!info) continue;
    if (TOMBSTONE_KEPT.has(info.name.toLowerCase()) || (info.schema.searchFlags & SearchFlags.fPRESERVEONDELETE) !== 0) continue;
    u.setAttribute(rec, info, []);
  }
  u.setAttribute(rec, schema.attr('isRecycled')!, [true]);
  u.touch(rec);
  w.putObject(guid, rec, prev);
  // "changes required to remove linked attribute values … are simply removed from the directory"
  // (RecycleObj): its own values, and every value naming it, active or deactivated
  if (w.linkWorkOf(guid) !== undefined) w.finishLinkWork(guid);
  for (const lv of [...w.rawLinks(guid)]) w.removeLink(lv);
  for (const b of [...w.rawBacklinks(guid), ...w.deactivatedBacklinks(guid)]) {
    const lv = w.getLink(Buffer.from(b.source), b.linkId, guid, Buffer.from(b.data));
    if (lv) w.removeLink(lv);
  }
}
