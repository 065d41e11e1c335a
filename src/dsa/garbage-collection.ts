// Garbage collection (MS-ADTS 3.1.1.1.5.1 "Tombstone Lifetime and Deleted-Object Lifetime"):
// a tombstone or recycled-object is removed from the directory for good once tombstoneLifetime
// has passed since it became one, and a tombstoned link value (timeDeleted ≠ 0) once
// tombstoneLifetime has passed since timeDeleted (3.1.1.1.9). Garbage collection is not an
// originating update: nothing is stamped, nothing replicates (each DC collects its own).
import type { Directory } from './directory.js';
import type { ObjectRecord } from '../store/record.js';
import { deletedObjectsContainer, firstValue, isDeletedRecord, recycleBinEnabled } from './tombstone.js';

const DAY = 86_400;
/** MS-ADTS 6.1.1.2.4.1.1: tombstoneLifetime when the Directory Service object has none, in days. */
const DEFAULT_TOMBSTONE_LIFETIME = 60;
/** Objects removed per transaction. */
const BATCH = 500;

export function tombstoneLifetimeDays(dir: Directory): number {
  const r = dir.store.reader;
  const res = dir.names.resolve(r, `CN=Directory Service,CN=Windows NT,CN=Services,${dir.forest.configDN}`);
  const rec = res.found ? r.getObject(res.guid) : undefined;
  const v = rec ? firstValue(dir, rec, 'tombstoneLifetime') : undefined;
  return v === undefined ? DEFAULT_TOMBSTONE_LIFETIME : Number(v);
}

/** When `rec` became a tombstone or recycled-object: the time of the stamp that made it one. */
function endOfLifeTime(dir: Directory, rec: ObjectRecord): number {
  const name = firstValue(dir, rec, 'isRecycled') === true ? 'isRecycled' : 'isDeleted';
  const id = dir.schema.attr(name)!.id;
  return rec.attrs.find((a) => a.id === id)?.stamp?.timeChanged ?? rec.whenChanged;
}

/**
 * Removes, at time `now` (seconds since 1601), every tombstone and recycled-object older than
 * the tombstone lifetime, and every tombstoned link value older than it. Deleted-objects of the
 * Recycle Bin (not yet recycled) are left to recycleExpired. Returns what was removed.
 */
export async function collectGarbage(dir: Directory, now: number = dir.clock()): Promise<{ objects: number; linkValues: number }> {
  const lifetime = tombstoneLifetimeDays(dir) * DAY;
  const r = dir.store.reader;
  const binOn = recycleBinEnabled(dir, r);
  const due: Buffer[] = [];
  for (const nc of r.ncHeads()) {
    const container = deletedObjectsContainer(dir, r, nc);
    if (!container) continue;
    for (const c of r.children(container)) {
      const rec = r.getObject(Buffer.from(c));
      if (!rec || !isDeletedRecord(dir, rec)) continue;
      const recycled = firstValue(dir, rec, 'isRecycled') === true;
      // with the Recycle Bin on, a deleted-object is not garbage until it has been recycled
      if (binOn && !recycled && firstValue(dir, rec, 'msDS-LastKnownRDN') !== undefined) continue;
      if (endOfLifeTime(dir, rec) + lifetime <= now) due.push(Buffer.from(c));
    }
  }
  let objects = 0;
  for (let i = 0; i < due.length; i += BATCH) {
    objects += await dir.store.write((w) => {
      let n = 0;
      for (const guid of due.slice(i, i + BATCH)) {
        const prev = w.getObject(guid);
        if (!prev || !isDeletedRecord(dir, prev) || w.countChildren(guid) > 0) continue;
        for (const lv of [...w.rawLinks(guid)]) w.removeLink(lv);
        // the values of other objects naming it, hidden since it became a tombstone (model/lifecycle.ts hideLinks)
        for (const b of [...w.hiddenBacklinks(guid)]) {
          const lv = w.getLink(Buffer.from(b.source), b.linkId, guid, Buffer.from(b.data));
          if (lv) w.removeLink(lv);
        }
        w.removeObject(guid, prev);
        n++;
      }
      return n;
    });
  }
  // tombstoned link values: scanned per source object that has any (the link table is keyed by source)
  let linkValues = 0;
  const sources = new Set<string>();
  for (const nc of r.ncHeads()) for (const { guid } of r.changedSince(nc, 0)) sources.add(guid.toString('latin1'));
  for (const k of sources) {
    const guid = Buffer.from(k, 'latin1');
    const old = [...r.rawLinks(guid)].filter((lv) => lv.stamp.timeDeleted !== 0 && lv.stamp.timeDeleted + lifetime <= now);
    if (old.length === 0) continue;
    linkValues += await dir.store.write((w) => {
      for (const lv of old) w.removeLink(lv);
      return old.length;
    });
  }
  return { objects, linkValues };
}
