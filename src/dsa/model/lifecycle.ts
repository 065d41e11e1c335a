// The deletion life cycle of an object (MS-ADTS 3.1.1.5.5, 3.1.1.5.3.7, 3.1.1.9.1) as one
// state function and the transformations between states, without LDAP: callers are the LDAP
// Delete/undelete adapters (src/dsa/tombstone.ts keeps the AD-specific attribute lists) and
// the replication engine's fix-ups (src/dsa/replica/apply.ts).
//
//   existing-object ──delete──► tombstone                (Recycle Bin off: attributes stripped)
//   existing-object ──delete──► deleted-object           (Recycle Bin on: attributes kept)
//   tombstone / deleted-object ──reanimate──► existing-object
//   deleted-object ──after msDS-DeletedObjectLifetime──► recycled-object
import { LazyObjectRecord, type LinkValue, type ObjectRecord } from '../../store/record.js';
import type { ReadTxn, WriteTxn } from '../../store/store.js';
import { deleteMangledRdn } from './naming.js';
import type { AttributeMetaInfo, UpdatePort } from './update.js';

export const enum ObjectState {
  Existing = 'existing-object',
  DeletedObject = 'deleted-object',
  Tombstone = 'tombstone',
  Recycled = 'recycled-object',
}

/** The attributes the life cycle reads and writes. */
export interface LifecycleAttributes {
  isDeleted: AttributeMetaInfo;
  isRecycled: AttributeMetaInfo;
  name: AttributeMetaInfo;
  lastKnownParent: AttributeMetaInfo;
  /** msDS-LastKnownRDN: present only on deleted-objects (Recycle Bin) */
  lastKnownRdn: AttributeMetaInfo;
}

/** The first value of attribute `id`: a lazily read record (ReadTxn.readObject) decodes that attribute alone. */
const first = (rec: ObjectRecord, id: number) => (rec instanceof LazyObjectRecord ? rec.valuesOf(id)?.[0] : rec.attrs.find((a) => a.id === id)?.values[0]);

/** MS-ADTS 3.1.1.5.5.1: the state of an object, from isDeleted, isRecycled and msDS-LastKnownRDN. */
export function stateOf(rec: ObjectRecord, A: LifecycleAttributes): ObjectState {
  if (first(rec, A.isDeleted.id) !== true) return ObjectState.Existing;
  if (first(rec, A.isRecycled.id) === true) return ObjectState.Recycled;
  return first(rec, A.lastKnownRdn.id) !== undefined ? ObjectState.DeletedObject : ObjectState.Tombstone;
}

export function isDeleted(rec: ObjectRecord, A: LifecycleAttributes): boolean {
  return first(rec, A.isDeleted.id) === true;
}

export interface DeleteOptions {
  /** the NC's Deleted Objects container (MS-ADTS 6.1.1.4.2); undefined keeps the object in place (FLAG_DISALLOW_MOVE_ON_DELETE) */
  deletedObjects: Buffer | undefined;
  /** attributes a tombstone keeps (MS-ADTS 3.1.1.5.5.6.1); the RDN attribute always stays */
  keeps(id: number): boolean;
  /** the metadata facts of attribute `id` */
  info(id: number): AttributeMetaInfo | undefined;
}

/**
 * Turns `guid` into a tombstone (MS-ADTS 3.1.1.5.5.6.1) as part of update `u`: every attribute
 * but the kept ones removed (each removal stamped), isDeleted TRUE, lastKnownParent, the
 * delete-mangled RDN, moved to Deleted Objects; its link values and the values naming it
 * hidden by this DC's own clean-up (hideLinks: no stamp, their sources untouched). Returns the tombstone.
 */
export function tombstone(u: UpdatePort, guid: Buffer, A: LifecycleAttributes, opts: DeleteOptions): ObjectRecord {
  const w = u.txn;
  const prev = w.getObject(guid)!;
  const rec: ObjectRecord = { ...prev, attrs: prev.attrs.map((a) => ({ ...a })) };
  for (const a of prev.attrs) {
    if (a.values.length === 0 || a.id === prev.rdnType || a.id === A.name.id || opts.keeps(a.id)) continue;
    const info = opts.info(a.id);
    if (info) u.setAttribute(rec, info, []);
  }
  const mangled = deleteMangledRdn(prev.name, guid);
  u.setAttribute(rec, A.isDeleted, [true]);
  if (prev.parent) u.setAttribute(rec, A.lastKnownParent, [{ guid: Buffer.from(prev.parent) }]);
  const rdnInfo = opts.info(prev.rdnType);
  if (rdnInfo) u.setAttribute(rec, rdnInfo, [mangled]);
  u.setAttribute(rec, A.name, [mangled]);
  rec.name = mangled;
  if (opts.deletedObjects) rec.parent = opts.deletedObjects;
  u.touch(rec);
  w.putObject(guid, rec, prev);
  // MS-ADTS 3.1.1.1.6: a tombstone has no link values and no value names it
  hideLinks(w, guid);
  return rec;
}

/**
 * The link clean-up of a tombstone on this DC (Recycle Bin off): every present value that
 * `guid` holds or that names it becomes absent, as a local step that changes no stamp and
 * touches no source object. MS-DRSR 5.160 (RecycleObj): changes "required to remove linked
 * attribute values … are simply removed from the directory", not made as an originating
 * update; each DC does it when it turns the object into a tombstone, by an originating delete
 * or by applying the replicated one (replica/apply.ts), and a replicated value that names a
 * tombstone is not applied (MS-DRSR 4.1.10.6.14 ProcessLinkValue) — it is kept hidden. The
 * values stay stored with their stamps, hidden (LinkValue.hidden, the store's `hidden` index),
 * so every replica holds the same values and stamps; readers (Store.links/backlinks) never
 * see them. Garbage collection of the tombstone removes them; an undelete removes them by
 * stamps (removeLinksOfUndeletedTombstone).
 */
export function hideLinks(w: WriteTxn, guid: Buffer): number {
  let n = 0;
  for (const lv of [...w.rawLinks(guid)]) {
    if (lv.stamp.timeDeleted !== 0 || lv.hidden) continue;
    w.putLink({ ...lv, hidden: true, deactivated: false });
    n++;
  }
  for (const b of [...w.rawBacklinks(guid), ...w.deactivatedBacklinks(guid)]) {
    const lv = w.getLink(Buffer.from(b.source), b.linkId, guid, Buffer.from(b.data));
    if (!lv || lv.stamp.timeDeleted !== 0 || lv.hidden) continue;
    w.putLink({ ...lv, hidden: true, deactivated: false });
    n++;
  }
  return n;
}

/** Shows again the hidden values `guid` holds or that name it whose ends are both no tombstone (a replicated undelete). */
export function unhideLinks(w: WriteTxn, guid: Buffer, A: LifecycleAttributes): number {
  let n = 0;
  const show = (lv: LinkValue | undefined, other: Buffer) => {
    if (!lv || !lv.hidden || linkEndGone(w, [other], A)) return;
    w.putLink({ ...lv, hidden: false });
    n++;
  };
  for (const lv of [...w.rawLinks(guid)]) show(lv, lv.target);
  for (const b of [...w.hiddenBacklinks(guid)]) show(w.getLink(Buffer.from(b.source), b.linkId, guid, Buffer.from(b.data)), Buffer.from(b.source));
  return n;
}

/**
 * The Recycle Bin's link clean-up of a deleted-object on this DC (MS-ADTS 3.1.1.9.1: "link
 * valued attributes are maintained both to and from deleted-objects"; 3.1.1.5.5.6.2): every
 * present value that `guid` holds or that names it is deactivated, as a local step that changes
 * no stamp and touches no source object — done by the originating delete (src/dsa/tombstone.ts)
 * and, the same way, by each DC applying the replicated delete (replica/apply.ts; MS-DRSR
 * 4.1.10.6 applies the deletion as the originating DC did), so replicas agree. Returns how many.
 */
export function deactivateLinks(w: WriteTxn, guid: Buffer): number {
  let n = 0;
  const off = (lv: LinkValue | undefined) => {
    if (!lv || lv.stamp.timeDeleted !== 0 || lv.hidden || lv.deactivated) return;
    w.putLink({ ...lv, deactivated: true });
    n++;
  };
  for (const lv of [...w.rawLinks(guid)]) off(lv);
  for (const b of [...w.rawBacklinks(guid)]) off(w.getLink(Buffer.from(b.source), b.linkId, guid, Buffer.from(b.data)));
  return n;
}

/**
 * A replicated undelete of a deleted-object: its deactivated values, and the deactivated values
 * naming it, whose other end is an existing object are active again (as the originating
 * undelete does, src/dsa/tombstone.ts reanimateLinks). Returns how many.
 */
export function reactivateLinks(w: WriteTxn, guid: Buffer, A: LifecycleAttributes): number {
  let n = 0;
  const on = (lv: LinkValue | undefined, other: Buffer) => {
    if (!lv || !lv.deactivated || lv.hidden || lv.stamp.timeDeleted !== 0) return;
    const o = w.getObject(other);
    if (!o || isDeleted(o, A)) return;
    w.putLink({ ...lv, deactivated: false });
    n++;
  };
  for (const lv of [...w.rawLinks(guid)]) on(lv, lv.target);
  for (const b of [...w.deactivatedBacklinks(guid)]) on(w.getLink(Buffer.from(b.source), b.linkId, guid, Buffer.from(b.data)), Buffer.from(b.source));
  return n;
}

/** Whether one of these ends is a deleted-object (Recycle Bin): a present value between them is deactivated. */
export function linkEndDeactivating(r: ReadTxn, ends: Buffer[], A: LifecycleAttributes): boolean {
  for (const g of ends) {
    const rec = r.readObject(g);
    if (rec && stateOf(rec, A) === ObjectState.DeletedObject) return true;
  }
  return false;
}

/** Whether a value with these ends is hidden on this DC: one of them is a tombstone or a recycled-object. */
export function linkEndGone(r: ReadTxn, ends: Buffer[], A: LifecycleAttributes): boolean {
  for (const g of ends) {
    const rec = r.readObject(g);
    if (!rec) continue;
    const st = stateOf(rec, A);
    if (st === ObjectState.Tombstone || st === ObjectState.Recycled) return true;
  }
  return false;
}

/**
 * The values of an undeleted tombstone: its values and the values naming it were removed when
 * it became a tombstone and stay removed (MS-ADTS 3.1.1.5.3.7: a tombstone's link values are
 * not restored). Each present value that `guid` holds or that names it (hidden here) is
 * removed by the undelete `u` (stamped, its source touched), so that the DCs still holding it
 * (visible, because they never saw the object deleted, or hidden) lose it too. Returns how
 * many it removed.
 */
export function removeLinksOfUndeletedTombstone(u: UpdatePort, guid: Buffer): number {
  const w = u.txn;
  let n = 0;
  const drop = (lv: LinkValue | undefined) => {
    if (!lv || lv.stamp.timeDeleted !== 0) return;
    if (lv.hidden) w.putLink({ ...lv, hidden: false });
    if (u.removeLinkValue(lv.source, lv.linkId, lv.target, lv.data)) n++;
  };
  for (const lv of [...w.rawLinks(guid)]) drop(lv);
  for (const b of [...w.rawBacklinks(guid), ...w.hiddenBacklinks(guid), ...w.deactivatedBacklinks(guid)]) drop(w.getLink(Buffer.from(b.source), b.linkId, guid, Buffer.from(b.data)));
  return n;
}

/**
 * Reanimates a tombstone or deleted-object (MS-ADTS 3.1.1.5.3.7) to `name` under `parent` as
 * part of update `u`: isDeleted (and msDS-LastKnownRDN) removed, the RDN and name set. The
 * caller has checked the new place (possSuperiors, name free, parent not deleted).
 */
export function reanimate(u: UpdatePort, guid: Buffer, A: LifecycleAttributes, to: { parent: Buffer; name: string }, info: (id: number) => AttributeMetaInfo | undefined): ObjectRecord {
  const w = u.txn;
  const prev = w.getObject(guid)!;
  const wasTombstone = stateOf(prev, A) === ObjectState.Tombstone;
  const rec: ObjectRecord = { ...prev, attrs: prev.attrs.map((a) => ({ ...a })) };
  u.setAttribute(rec, A.isDeleted, []);
  if (first(prev, A.lastKnownRdn.id) !== undefined) u.setAttribute(rec, A.lastKnownRdn, []);
  const rdnInfo = info(prev.rdnType);
  if (rdnInfo) u.setAttribute(rec, rdnInfo, [to.name]);
  u.setAttribute(rec, A.name, [to.name]);
  rec.name = to.name;
  rec.parent = to.parent;
  u.touch(rec);
  w.putObject(guid, rec, prev);
  if (wasTombstone) removeLinksOfUndeletedTombstone(u, guid);
  return rec;
}
