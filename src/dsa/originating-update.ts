// Originating updates and the replication metadata they leave (MS-ADTS 3.1.1.1.9).
//
// Every write the DSA makes to an object goes through an OriginatingUpdate: it takes the
// update's USN from the DC, reads the clock once, and stamps each replicated attribute it
// changes (AttributeStamp) and each forward-link value it creates, re-creates or deletes
// (LinkValueStamp). Attributes whose values are all removed keep their stamp.
import type { WriteTxn } from '../store/store.js';
import type { AttributeStamp, LinkValue, LinkValueStamp, ObjectRecord, StoredAttribute } from '../store/record.js';
import type { Clock } from '../util/time.js';

/** What the metadata rules need to know of an attribute (the schema supplies it). */
export interface AttributeMetaInfo {
  /** ATTRTYP */
  id: number;
  /** false for attributes with FLAG_ATTR_NOT_REPLICATED or constructed ones: no stamp */
  replicated: boolean;
}

export class OriginatingUpdate {
  /** dc.usn at the time of the update: usnOriginating of every stamp it makes */
  readonly usn: number;
  /** the update's time, seconds since 1601 */
  readonly time: number;

  constructor(
    readonly txn: WriteTxn,
    readonly invocationId: Buffer,
    clock: Clock,
  ) {
    this.usn = txn.usn;
    this.time = clock();
  }

  /** MS-ADTS 3.1.1.1.9: the AttributeStamp of an originating update to an attribute whose prior stamp is `prev`. */
  attributeStamp(prev: AttributeStamp | undefined): AttributeStamp {
    return {
      // "If the attribute did not exist on this object before the originating update … dwVersion
      // equals one. Otherwise dwVersion equals o!a.stamp.dwVersion before the update, plus one."
      dwVersion: prev ? prev.dwVersion + 1 : 1,
      timeChanged: this.time,
      uuidOriginating: this.invocationId,
      usnOriginating: this.usn,
      usnLocal: this.usn,
    };
  }

  /**
   * Gives attribute `info` of `rec` the values `values` (an empty array removes them all),
   * stamping it when replicated. Mutates `rec`. The caller has decided the change is real:
   * a write that leaves the values as they were is not an update and must not come here.
   */
  setAttribute(rec: ObjectRecord, info: AttributeMetaInfo, values: unknown[]): void {
    const i = rec.attrs.findIndex((a) => a.id === info.id);
    const prev = i >= 0 ? rec.attrs[i] : undefined;
    if (!info.replicated) {
      if (values.length === 0) {
        if (i >= 0) rec.attrs.splice(i, 1);
      } else if (prev) prev.values = values;
      else rec.attrs.push({ id: info.id, values });
      return;
    }
    const next: StoredAttribute = { id: info.id, values, stamp: this.attributeStamp(prev?.stamp) };
    if (i >= 0) rec.attrs[i] = next;
    else rec.attrs.push(next);
  }

  /** Marks `rec` changed by this update: uSNChanged and whenChanged (MS-ADTS 3.1.1.1.9, 3.1.1.1.3). */
  touch(rec: ObjectRecord): void {
    rec.usnChanged = this.usn;
    rec.whenChanged = this.time;
  }

  /**
   * Creates link value source→target of forward link `linkId` (attribute `attid`), or
   * re-creates it when it exists as a tombstone. Returns false when the value is already present.
   */
  addLinkValue(source: Buffer, attid: number, linkId: number, target: Buffer, data: Buffer = EMPTY, extra?: unknown): boolean {
    const prev = this.txn.getLink(source, linkId, target, data);
    if (prev && prev.stamp.timeDeleted === 0) return false;
    const stamp: LinkValueStamp = prev
      ? // re-creation of a tombstoned value: dwVersion + 1, timeCreated kept, timeDeleted zero
        { ...this.attributeStamp(prev.stamp), timeCreated: prev.stamp.timeCreated, timeDeleted: 0 }
      : { ...this.attributeStamp(undefined), timeCreated: this.time, timeDeleted: 0 };
    const lv: LinkValue = { source, linkId, attid, target, data, stamp };
    if (extra !== undefined) lv.extra = extra;
    this.txn.putLink(lv);
    return true;
  }

  /** Deletes a present link value, leaving it as a tombstoned value. Returns false when there is none. */
  removeLinkValue(source: Buffer, linkId: number, target: Buffer, data: Buffer = EMPTY): boolean {
    const prev = this.txn.getLink(source, linkId, target, data);
    if (!prev || prev.stamp.timeDeleted !== 0) return false;
    prev.stamp = { ...this.attributeStamp(prev.stamp), timeCreated: prev.stamp.timeCreated, timeDeleted: this.time };
    this.txn.putLink(prev);
    return true;
  }
}

const EMPTY = Buffer.alloc(0);

export function presentLinks(values: Iterable<LinkValue>): LinkValue[] {
  const out: LinkValue[] = [];
  for (const v of values) if (v.stamp.timeDeleted === 0) out.push(v);
  return out;
}
