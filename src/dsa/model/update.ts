// The update port of the state model (MS-ADTS 3.1.1.1.9): every change to an object goes
// through one UpdatePort, inside one store transaction (WriteTxn).
//
//  - An originating update stamps each replicated attribute it sets (AttributeStamp) and each
//    link value it creates, re-creates or deletes (LinkValueStamp): version + 1 (with the
//    wrap of MS-DRSR 5.11), this DC's invocationId, the update's USN and time.
//  - A replicated update takes the incoming stamp as it is (never bumps dwVersion) and only
//    gives it a local usnLocal (MS-DRSR 4.1.10.6.1: the originating stamp is kept).
//  - A link value change always touches its source object (uSNChanged, whenChanged), once
//    per update, whatever the caller does: the touch runs when the update body returns.
//  - The update's USN is taken on first use, so an update (e.g. a replayed chunk) that
//    changes nothing consumes none.
import type { WriteTxn } from '../../store/store.js';
import type { AttributeStamp, LinkValue, LinkValueStamp, ObjectRecord, StoredAttribute } from '../../store/record.js';
import type { Clock } from '../../util/time.js';
import { nextVersion, type LinkStampFields, type StampFields } from './stamps.js';

/** What the metadata rules need to know of an attribute (the schema supplies it). */
export interface AttributeMetaInfo {
  /** ATTRTYP */
  id: number;
  /** false for attributes with FLAG_ATTR_NOT_REPLICATED or constructed ones: no stamp */
  replicated: boolean;
}

const EMPTY = Buffer.alloc(0);

export class UpdatePort {
  /** the update's time, seconds since 1601 */
  readonly time: number;
  private usnTaken: number | undefined;
  private readonly linkSources = new Map<string, Buffer>();

  constructor(
    readonly txn: WriteTxn,
    readonly invocationId: Buffer,
    clock: Clock,
  ) {
    this.time = clock();
    txn.beforeFinish(() => this.touchLinkSources());
  }

  /** dc.usn of this update: the usnOriginating of every stamp it makes and the usnLocal of every change it applies */
  get usn(): number {
    return (this.usnTaken ??= this.txn.usn);
  }

  /**
   * A stamp's originating invocationId, copied out of the message it came in once per DC: the
   * stamps of a chunk name a few DCs, and share their Buffers as decoded records do.
   */
  private originating(uuid: Buffer): Buffer {
    // the decoder shares one Buffer among an entry's stamps of one DC: the last one asked for recurs
    if (uuid === this.lastAsked) return this.lastGiven!;
    let c = this.uuids?.find((u) => u.equals(uuid));
    if (!c) {
      c = Buffer.from(uuid);
      if (!this.uuids) this.uuids = [c];
      else if (this.uuids.length < 32) this.uuids.push(c);
    }
    this.lastAsked = uuid;
    this.lastGiven = c;
    return c;
  }
  // made with its first Buffer: an empty array literal starts with small-integer elements, and its
  // change of elements kind at the first push made the optimized apply path (this inlined)
  // deoptimize, once per elements-kind check, early in every join
  private uuids: Buffer[] | undefined;
  private lastAsked: Buffer | undefined;
  private lastGiven: Buffer | undefined;

  /** Whether the update has changed anything so far (it has taken a USN). */
  get changedAnything(): boolean {
    return this.usnTaken !== undefined;
  }

  // ---- originating updates ------------------------------------------------------------

  /** MS-ADTS 3.1.1.1.9: the AttributeStamp of an originating update to an attribute whose prior stamp is `prev`. */
  attributeStamp(prev: AttributeStamp | undefined): AttributeStamp {
    return {
      // "If the attribute did not exist on this object before the originating update … dwVersion
      // equals one. Otherwise dwVersion equals o!a.stamp.dwVersion before the update, plus one" (with the 5.11 wrap)
      dwVersion: nextVersion(prev?.dwVersion),
      timeChanged: this.time,
      uuidOriginating: this.invocationId,
      usnOriginating: this.usn,
      usnLocal: this.usn,
    };
  }

  /**
   * Gives attribute `info` of `rec` the values `values` (an empty array removes them all),
   * stamping it when replicated. Mutates `rec`. The caller has decided the change is real.
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

  /** Marks stored object `guid` changed by this update, once per update. */
  touchObject(guid: Buffer): void {
    const h = this.txn.getHeader(guid);
    if (!h || h.usnChanged === this.usn) return;
    const prev = this.txn.getObject(guid)!;
    const rec: ObjectRecord = { ...prev, attrs: prev.attrs };
    this.touch(rec);
    this.txn.putObject(guid, rec, prev);
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
    this.linkChanged(source);
    return true;
  }

  /** Deletes a present link value, leaving it as a tombstoned value. Returns false when there is none. */
  removeLinkValue(source: Buffer, linkId: number, target: Buffer, data: Buffer = EMPTY): boolean {
    const prev = this.txn.getLink(source, linkId, target, data);
    if (!prev || prev.stamp.timeDeleted !== 0) return false;
    prev.stamp = { ...this.attributeStamp(prev.stamp), timeCreated: prev.stamp.timeCreated, timeDeleted: this.time };
    this.txn.putLink(prev);
    this.linkChanged(source);
    return true;
  }

  // ---- replicated updates (MS-DRSR 4.1.10.6.1) ----------------------------------------

  /** Gives attribute `id` of `rec` the replicated values with the originating stamp `stamp` (usnLocal is this update's). */
  applyAttribute(rec: ObjectRecord, id: number, values: unknown[], stamp: StampFields): void {
    const next: StoredAttribute = { id, values, stamp: this.appliedStamp(stamp) };
    const attrs = rec.attrs;
    let i = 0;
    while (i < attrs.length && attrs[i]!.id !== id) i++;
    if (i < attrs.length) attrs[i] = next;
    else attrs.push(next);
  }

  /**
   * The stored stamp of a replicated change: the incoming one with this update's usnLocal. The
   * attributes of one originating update arrive with equal stamps, so equal stamps share one
   * object (stamps are never changed in place; encodeObject packs a shared stamp once).
   */
  private appliedStamp(s: StampFields): AttributeStamp {
    const uuidOriginating = this.originating(s.uuidOriginating);
    const usnLocal = this.usn;
    const last = this.lastApplied;
    if (last && last.dwVersion === s.dwVersion && last.timeChanged === s.timeChanged && last.usnOriginating === s.usnOriginating && last.uuidOriginating === uuidOriginating && last.usnLocal === usnLocal) return last;
    return (this.lastApplied = { dwVersion: s.dwVersion, timeChanged: s.timeChanged, uuidOriginating, usnOriginating: s.usnOriginating, usnLocal });
  }
  private lastApplied: AttributeStamp | undefined;

  /**
   * Writes a replicated link value with its originating LinkValueStamp (MS-DRSR 5.118): present
   * when `present`, else a tombstoned value whose timeDeleted is the stamp's timeChanged.
   * `v.hidden`: a present value one of whose ends is a tombstone here (lifecycle.ts hideLinks).
   */
  applyLinkValue(v: { source: Buffer; attid: number; linkId: number; target: Buffer; data: Buffer; extra?: unknown; hidden?: boolean; deactivated?: boolean }, present: boolean, stamp: LinkStampFields): void {
    const lv: LinkValue = {
      source: v.source,
      linkId: v.linkId,
      attid: v.attid,
      target: v.target,
      data: v.data,
      stamp: {
        dwVersion: stamp.dwVersion,
        timeChanged: stamp.timeChanged,
        uuidOriginating: this.originating(stamp.uuidOriginating),
        usnOriginating: stamp.usnOriginating,
        usnLocal: this.usn,
        timeCreated: stamp.timeCreated,
        timeDeleted: present ? 0 : stamp.timeChanged,
      },
    };
    if (v.extra !== undefined) lv.extra = v.extra;
    if (present && v.hidden) lv.hidden = true;
    else if (present && v.deactivated) lv.deactivated = true;
    this.txn.putLink(lv);
    this.linkChanged(v.source);
  }

  // ---- link sources -------------------------------------------------------------------

  private linkChanged(source: Buffer): void {
    const k = source.toString('latin1');
    if (!this.linkSources.has(k)) this.linkSources.set(k, Buffer.from(source));
  }

  /** Runs when the update's body returns: every source of a changed link value carries this update's USN. */
  private touchLinkSources(): void {
    for (const s of this.linkSources.values()) this.touchObject(s);
    this.linkSources.clear();
  }
}
