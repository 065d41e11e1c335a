// The destination side of GetNCChanges (MS-DRSR 4.1.10.6.1 ProcessGetNCChangesReply): one
// reply applied as one store transaction — objects, then link values, then the watermark
// (repsFrom usnvec) and, at the end of a cycle, the up-to-date vector. If anything fails
// (a parent or link target the chunk needs is missing), the whole transaction is abandoned:
// nothing of the chunk is applied and neither the watermark nor the UTD vector moves; the
// caller asks again for the same chunk with DRS_GET_ANC / DRS_GET_TGT.
//
// Rules (each replicated change keeps its originating stamp and gets a local USN; an entry
// whose every stamp loses changes nothing and takes no USN, so replaying a chunk is free):
//  - attributes: the incoming value replaces the local one iff its AttributeStamp is greater
//    (MS-DRSR 5.11; 4.1.10.6.1 "attributesAndStamps");
//  - the stamp on `name` carries the RDN and the parent (a move is a change of name);
//  - link values: by LinkValueStamp (MS-DRSR 5.118), present or tombstoned;
//  - name conflicts: two siblings with one RDN — the one whose `name` stamp is smaller is
//    renamed "RDN\nCNF:<its objectGUID>" by an originating update on this DC;
//  - a live object whose parent is deleted (delete vs add-child), or whose parent chain would
//    loop (concurrent moves), goes to the NC's LostAndFound container with lastKnownParent
//    (MS-ADTS 6.1.1.4.1), by an originating update; a deleted object's live children too;
//  - a deleted object keeps a delete-mangled name in Deleted Objects even when a concurrent
//    rename won the `name` stamp (delete vs rename), by an originating update.
// The originating fix-ups are decided from the replicated state alone, so every DC that
// meets the same conflict makes the same value; stamps then settle which write stays.
import { parseDN } from '../../dn/dn.js';
import type { WriteTxn } from '../../store/store.js';
import type { ObjectRecord } from '../../store/record.js';
import { DsError, DsProblem, DsWin32, LdapCode } from '../model/ds-error.js';
import { deactivateLinks, hideLinks, isDeleted, ObjectState, reactivateLinks, stateOf, unhideLinks } from '../model/lifecycle.js';
import { conflictMangledRdn, deleteMangledRdn, isDeleteMangled, unmangle } from '../model/naming.js';
import { compareAttributeStamps, compareGuids, compareLinkValueStamps, type StampFields } from '../model/stamps.js';
import { UpdatePort } from '../model/update.js';
import type { ReplicaContext } from './context.js';
import { readReplicaState, writeReplicaState, type RepsFromState } from './state.js';
import type { DRS_MSG_GETCHGREPLY_V6, REPLENTINFLIST, REPLVALINF_V3 } from './types.js';

const PLACE = 'drs.processGetNCChangesReply';

export interface ApplyOutcome {
  /** objects whose state changed */
  objects: number;
  /** link values whose state changed */
  values: number;
  /** originating fix-ups made (CNF renames, moves to LostAndFound, re-mangled deletes) */
  fixups: number;
  /** whether the chunk took a USN (false when it changed nothing) */
  tookUsn: boolean;
}

export interface ApplyOptions {
  /**
   * The request asked for DRS_GET_TGT: the source sent every target of this NC it could, so a
   * target still unknown lies in another NC (not replicated yet, or not held here) and the value
   * is kept naming it, as a phantom reference would (MS-ADTS 3.1.1.1.6 references to objects of other NCs).
   */
  getTgt?: boolean;
  /** the reply of an extended operation (RID_ALLOC …): applied, but no watermark or UTD vector moves (MS-DRSR 4.1.10.1.3) */
  extendedOp?: boolean;
  /** the caller has run validateReply on this reply already (pull.ts does, before the transaction) */
  validated?: boolean;
}

/** Applies one reply in `w` (the caller's one transaction for the chunk). Throws DsError to abandon it. */
export function processGetNCChangesReply(ctx: ReplicaContext, w: WriteTxn, reply: DRS_MSG_GETCHGREPLY_V6, opts: ApplyOptions = {}): ApplyOutcome {
  if (!opts.validated) validateReply(reply);
  const port = new UpdatePort(w, ctx.invocationId, ctx.clock);
  const a = new Applier(ctx, w, port, opts.getTgt === true);
  const out: ApplyOutcome = { objects: 0, values: 0, fixups: 0, tookUsn: false };
  for (const e of reply.pObjects) if (a.entry(e)) out.objects++;
  for (const v of reply.rgValues) if (a.value(v)) out.values++;
  out.fixups = a.fixups;
  out.tookUsn = port.changedAnything;
  if (opts.extendedOp) return out;

  // the watermark and, at the end of the cycle, the UTD vector: in this transaction, so they
  // advance with the commit of the chunk and never after a partial one
  const nc = reply.pNC.Guid;
  const st = readReplicaState(w, nc);
  let dirty = false;
  let rf: RepsFromState | undefined = st.repsFrom.find((x) => x.uuidDsa.equals(reply.uuidDsaObjSrc));
  if (!rf) {
    rf = { uuidDsa: Buffer.from(reply.uuidDsaObjSrc), uuidInvocId: Buffer.from(reply.uuidInvocIdSrc), usnvec: { usnHighObjUpdate: 0, usnReserved: 0, usnHighPropUpdate: 0 }, inCycle: false, timeLastSuccess: 0 };
    st.repsFrom.push(rf);
    dirty = true;
  }
  const moved = rf.usnvec.usnHighObjUpdate !== reply.usnvecTo.usnHighObjUpdate || rf.usnvec.usnHighPropUpdate !== reply.usnvecTo.usnHighPropUpdate;
  if (!reply.fMoreData && (moved || out.tookUsn)) {
    rf.timeLastSuccess = ctx.clock();
    dirty = true;
  }
  if (moved) {
    rf.usnvec = { ...reply.usnvecTo };
    dirty = true;
  }
  if (!rf.uuidInvocId.equals(reply.uuidInvocIdSrc)) {
    rf.uuidInvocId = Buffer.from(reply.uuidInvocIdSrc);
    dirty = true;
  }
  if (rf.inCycle !== reply.fMoreData) {
    rf.inCycle = reply.fMoreData;
    dirty = true;
  }
  if (!reply.fMoreData && reply.pUpToDateVecSrc) {
    for (const c of reply.pUpToDateVecSrc.rgCursors) {
      if (c.uuidDsa.equals(ctx.invocationId)) continue;
      const mine = st.utd.find((x) => x.uuidDsa.equals(c.uuidDsa));
      if (!mine) {
        st.utd.push({ uuidDsa: Buffer.from(c.uuidDsa), usnHighPropUpdate: c.usnHighPropUpdate, timeLastSyncSuccess: c.timeLastSyncSuccess });
        dirty = true;
      } else if (c.usnHighPropUpdate > mine.usnHighPropUpdate) {
        mine.usnHighPropUpdate = c.usnHighPropUpdate;
        mine.timeLastSyncSuccess = c.timeLastSyncSuccess;
        dirty = true;
      }
    }
    st.utd.sort((x, y) => Buffer.compare(x.uuidDsa, y.uuidDsa));
  }
  if (dirty) writeReplicaState(w, nc, st);
  return out;
}

const isGuid = (b: unknown): b is Buffer => Buffer.isBuffer(b) && b.length === 16;
const isUsn = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

/**
 * A reply from the network is checked before anything is applied: every entry names a GUID,
 * has one stamp per attribute, a parseable name; every value names GUIDs. A malformed reply is
 * ERROR_DS_DRA_INVALID_PARAMETER / ERROR_DS_DRA_BAD_DN, never an exception of another kind.
 */
export function validateReply(reply: DRS_MSG_GETCHGREPLY_V6): void {
  const bad = (detail: string) => new DsError(DsWin32.ERROR_DS_DRA_INVALID_PARAMETER, LdapCode.operationsError, DsProblem.WILL_NOT_PERFORM, PLACE, detail);
  if (!reply || !isGuid(reply.pNC?.Guid) || !isGuid(reply.uuidDsaObjSrc) || !isGuid(reply.uuidInvocIdSrc)) throw bad('the reply does not name its NC and source');
  if (!isUsn(reply.usnvecTo?.usnHighObjUpdate) || !isUsn(reply.usnvecTo?.usnHighPropUpdate)) throw bad('bad usnvecTo');
  if (!Array.isArray(reply.pObjects) || !Array.isArray(reply.rgValues)) throw bad('bad object or value list');
  for (const e of reply.pObjects) {
    const attrs = e?.Entinf?.AttrBlock?.pAttr;
    const md = e?.pMetaDataExt?.rgMetaData;
    if (!isGuid(e?.Entinf?.pName?.Guid) || typeof e.Entinf.pName.StringName !== 'string') throw bad('an entry without a GUID or name');
    if (!Array.isArray(attrs) || !Array.isArray(md) || attrs.length !== md.length) throw bad('an entry whose stamps do not match its attributes');
    if (e.pParentGuid !== null && !isGuid(e.pParentGuid)) throw bad('bad parent GUID');
    // the decoder hands out one object for a run of equal stamps: each is checked once
    let checked: unknown;
    for (let i = 0; i < attrs.length; i++) {
      const a = attrs[i]!;
      const m = md[i]!;
      if (!Number.isInteger(a?.attrTyp) || !Array.isArray(a.AttrVal?.pAVal)) throw bad('a malformed attribute');
      if (checked !== undefined && m === checked) continue;
      if (!Number.isInteger(m?.dwVersion) || !isUsn(m.timeChanged) || !isGuid(m.uuidDsaOriginating) || !isUsn(m.usnOriginating)) throw bad('a malformed stamp');
      checked = m;
    }
    try {
      parseDN(e.Entinf.pName.StringName);
    } catch {
      throw new DsError(DsWin32.ERROR_DS_DRA_BAD_DN, LdapCode.invalidDNSyntax, DsProblem.NAMING_VIOLATION, PLACE, `bad DN ${JSON.stringify(e.Entinf.pName.StringName)}`);
    }
  }
  for (const v of reply.rgValues) {
    const m = v?.MetaData;
    if (!isGuid(v?.pObject?.Guid) || !isGuid(v.Aval?.target?.Guid) || !Buffer.isBuffer(v.Aval.data) || !Number.isInteger(v.attrTyp)) throw bad('a malformed link value');
    if (!isUsn(m?.timeCreated) || !Number.isInteger(m.MetaData?.dwVersion) || !isUsn(m.MetaData.timeChanged) || !isGuid(m.MetaData.uuidDsaOriginating) || !isUsn(m.MetaData.usnOriginating)) throw bad('a malformed link stamp');
  }
}

type PMD = { dwVersion: number; timeChanged: number; uuidDsaOriginating: Buffer; usnOriginating: number };
const stampOf = (m: PMD): StampFields => ({
  dwVersion: m.dwVersion,
  timeChanged: m.timeChanged,
  uuidOriginating: m.uuidDsaOriginating,
  usnOriginating: m.usnOriginating,
});

class Applier {
  fixups = 0;
  private readonly A;
  /** each NC's Deleted Objects and LostAndFound, once both are found (they are looked up for every placed object) */
  private readonly found = new Map<string, { deletedObjects?: Buffer; lostAndFound?: Buffer }>();
  /**
   * The NC of each parent a new object of this chunk was placed under: the objects of a chunk
   * share a few parents. Nothing in a chunk removes an object or moves one to another NC, so a
   * parent found here stays, in its NC, until the chunk ends.
   */
  private readonly ncOfParent = new Map<string, Buffer>();
  /** whether a parent is deleted, as read in this chunk (forgotten when the object itself is written) */
  private readonly deletedParent = new Map<string, boolean>();

  constructor(
    private readonly ctx: ReplicaContext,
    private readonly w: WriteTxn,
    private readonly port: UpdatePort,
    private readonly getTgt: boolean,
  ) {
    this.A = ctx.schema.lifecycle;
  }

  /** Applies one object; true when its state changed. */
  entry(e: REPLENTINFLIST): boolean {
    const w = this.w;
    const A = this.A;
    const guid = Buffer.from(e.Entinf.pName.Guid);
    const attrs = e.Entinf.AttrBlock.pAttr;
    const prev = w.getObject(guid);
    let rec: ObjectRecord;
    let placed = false;
    if (!prev) {
      const nameAt = attrs.findIndex((x) => x.attrTyp === A.name.id);
      if (nameAt < 0 || typeof attrs[nameAt]!.AttrVal.pAVal[0] !== 'string') throw DsError.internal(PLACE, `object ${guid.toString('hex')} is new here but arrives without its name`);
      let parent: Buffer | null = null;
      let nc: Buffer = guid;
      if (!e.fIsNCPrefix) {
        parent = e.pParentGuid ? Buffer.from(e.pParentGuid) : null;
        const known = parent ? this.ncOfParent.get(parent.toString('latin1')) : undefined;
        if (known) nc = known;
        else {
          const ph = parent ? w.getHeader(parent) : undefined;
          if (!parent || !ph) throw DsError.missingParent(PLACE, `the parent of ${e.Entinf.pName.StringName} is not here (ask again with DRS_GET_ANC)`);
          nc = ph.parent === null ? Buffer.from(parent) : Buffer.from(ph.nc);
          this.ncOfParent.set(parent.toString('latin1'), nc);
        }
      }
      // the first RDN's attribute type: what precedes the first '=' (validateReply has parsed the whole DN)
      const dn = e.Entinf.pName.StringName;
      const eq = dn.indexOf('=');
      const type = eq > 0 ? dn.slice(0, eq).trim() : '';
      const rdnType = type ? this.ctx.schema.idOf(/^oid\./i.test(type) ? type.slice(4) : type) : undefined;
      if (rdnType === undefined) throw DsError.internal(PLACE, `cannot tell the RDN attribute of ${e.Entinf.pName.StringName}`);
      rec = { parent, nc, rdnType, name: String(attrs[nameAt]!.AttrVal.pAVal[0]), usnCreated: this.port.usn, usnChanged: this.port.usn, whenChanged: this.port.time, attrs: [] };
      if (e.fIsNCPrefix) rec.ncName = e.Entinf.pName.StringName;
      // the decoder hands out one metadata object for a run of equal stamps: one StampFields for it
      const md = e.pMetaDataExt.rgMetaData;
      let lastMd: PMD | undefined;
      let stamp: StampFields | undefined;
      for (let i = 0; i < attrs.length; i++) {
        const m = md[i]!;
        if (m !== lastMd) stamp = stampOf((lastMd = m));
        this.port.applyAttribute(rec, attrs[i]!.attrTyp, attrs[i]!.AttrVal.pAVal, stamp!);
      }
      placed = true;
    } else {
      rec = { ...prev, attrs: prev.attrs.map((x) => ({ ...x })) };
      let changed = false;
      attrs.forEach((x, i) => {
        const incoming = stampOf(e.pMetaDataExt.rgMetaData[i]!);
        const local = prev.attrs.find((y) => y.id === x.attrTyp)?.stamp;
        if (compareAttributeStamps(incoming, local) <= 0) return;
        this.port.applyAttribute(rec, x.attrTyp, x.AttrVal.pAVal, incoming);
        changed = true;
        if (x.attrTyp === A.name.id) {
          if (typeof x.AttrVal.pAVal[0] !== 'string') throw DsError.internal(PLACE, 'a name that is not a string');
          rec.name = String(x.AttrVal.pAVal[0]);
          if (!e.fIsNCPrefix && e.pParentGuid) rec.parent = Buffer.from(e.pParentGuid);
          placed = true;
        }
      });
      if (!changed) return false;
      if (placed && rec.parent && !w.hasObject(rec.parent)) throw DsError.missingParent(PLACE, `the new parent of ${e.Entinf.pName.StringName} is not here (ask again with DRS_GET_ANC)`);
      this.port.touch(rec);
    }
    this.settle(guid, rec, prev, placed || isDeleted(rec, A) !== (prev ? isDeleted(prev, A) : false));
    return true;
  }

  /** Fix-ups of a changed object, then its write; `placed` when its name, parent or deletion changed. */
  private settle(guid: Buffer, rec: ObjectRecord, prev: ObjectRecord | undefined, placed: boolean): void {
    const w = this.w;
    const A = this.A;
    if (placed && rec.parent) {
      const deleted = isDeleted(rec, A);
      // the NC's containers only when a fix-up may need them (not for the new live objects of a full sync)
      const deletedObjects = deleted && !isDeleteMangled(rec.name) ? this.containers(rec.nc).deletedObjects : undefined;
      const lostAndFound = !deleted && (this.parentDeleted(rec.parent) || (prev !== undefined && this.wouldLoop(guid, rec.parent))) ? this.containers(rec.nc).lostAndFound : undefined;
      if (deletedObjects) {
        // delete vs rename: the tombstone stays a tombstone in Deleted Objects (MS-ADTS 3.1.1.5.5)
        this.rename(rec, deleteMangledRdn(rec.name, guid));
        rec.parent = deletedObjects;
        this.fixups++;
      } else if (lostAndFound && !rec.parent.equals(lostAndFound)) {
        // MS-ADTS 6.1.1.4.1: an object whose parent is deleted (or lost in a cycle of moves) goes to LostAndFound
        this.port.setAttribute(rec, A.lastKnownParent, [{ guid: Buffer.from(rec.parent) }]);
        this.rename(rec, unmangle(rec.name));
        rec.parent = lostAndFound;
        this.fixups++;
      }
      this.resolveNameConflict(guid, rec);
    }
    w.putObject(guid, rec, prev);
    if (this.deletedParent.size > 0) this.deletedParent.delete(guid.toString('latin1'));
    // MS-ADTS 3.1.1.6.3: a replicated SD change or move is a propagation event on this DC too
    this.ctx.afterApply?.(w, guid, rec, prev, isDeleted(rec, A));
    if (placed && isDeleted(rec, A)) this.rescueChildren(guid, rec);
    this.linkCleanup(guid, rec, prev);
  }

  /**
   * The link values of an object whose deletion state changed here: a tombstone's values and
   * the values naming it are hidden by this DC's own clean-up (MS-DRSR 5.160; lifecycle.ts
   * hideLinks); when a replicated undelete brings it back, the hidden values whose other end
   * is not a tombstone are shown again — those the undeleting DC held come with its removal
   * stamps (lifecycle.ts removeLinksOfUndeletedTombstone), the others were added concurrently
   * and stay, as they do on the DCs that received them after the undelete.
   */
  private linkCleanup(guid: Buffer, rec: ObjectRecord, prev: ObjectRecord | undefined): void {
    const A = this.A;
    const gone = (r: ObjectRecord) => {
      const st = stateOf(r, A);
      return st === ObjectState.Tombstone || st === ObjectState.Recycled;
    };
    if (gone(rec)) {
      if (!prev || !gone(prev)) hideLinks(this.w, guid);
    } else if (prev && gone(prev)) unhideLinks(this.w, guid, A);
    // the Recycle Bin (MS-ADTS 3.1.1.9.1): a deleted-object's values and the values naming it are
    // deactivated here as on the DC that deleted it; a replicated undelete activates them again
    const st = stateOf(rec, A);
    const was = prev ? stateOf(prev, A) : undefined;
    if (st === ObjectState.DeletedObject && was !== ObjectState.DeletedObject) deactivateLinks(this.w, guid);
    else if (st === ObjectState.Existing && was === ObjectState.DeletedObject) reactivateLinks(this.w, guid, A);
  }

  private containers(nc: Buffer): { deletedObjects?: Buffer; lostAndFound?: Buffer } {
    const k = nc.toString('hex');
    const known = this.found.get(k);
    if (known) return known;
    const c = this.ctx.containers(this.w, nc);
    // a container may arrive later in this chunk (a new replica): remembered only once both are here
    if (c.deletedObjects && c.lostAndFound) this.found.set(k, c);
    return c;
  }

  /** Gives `rec` the name `name` by an originating update (name and the RDN attribute stamped). */
  private rename(rec: ObjectRecord, name: string): void {
    const rdn = this.ctx.schema.attr(rec.rdnType);
    if (rdn && rdn.id !== this.A.name.id) this.port.setAttribute(rec, rdn, [name]);
    this.port.setAttribute(rec, this.A.name, [name]);
    rec.name = name;
    this.port.touch(rec);
  }

  private parentDeleted(parent: Buffer): boolean {
    const k = parent.toString('latin1');
    let d = this.deletedParent.get(k);
    if (d === undefined) {
      const p = this.w.getObject(parent);
      this.deletedParent.set(k, (d = !!p && isDeleted(p, this.A)));
    }
    return d;
  }

  /** Whether placing `guid` under `parent` would put it under itself (never for an object new here: nothing lies below it yet, children need their parent present). */
  private wouldLoop(guid: Buffer, parent: Buffer): boolean {
    for (let g: Buffer | null = parent, n = 0; g && n < 1024; n++) {
      if (g.equals(guid)) return true;
      g = this.w.getHeader(g)?.parent ?? null;
    }
    return false;
  }

  /**
   * Name conflict (MS-DRSR 4.1.10.6.1, MS-ADTS 3.1.1.1.4 RDN uniqueness): another child of the
   * same parent has the same RDN. The object whose stamp on `name` is greater keeps the name;
   * the other becomes "RDN\nCNF:<objectGUID>" by an originating update.
   */
  private resolveNameConflict(guid: Buffer, rec: ObjectRecord): void {
    const w = this.w;
    if (!rec.parent) return;
    const holder = w.childByName(rec.parent, rec.name);
    if (!holder || holder.equals(guid)) return;
    const other = w.getObject(holder)!;
    const nameId = this.A.name.id;
    const mine = rec.attrs.find((x) => x.id === nameId)?.stamp;
    const theirs = other.attrs.find((x) => x.id === nameId)?.stamp;
    const cmp = compareAttributeStamps(mine, theirs) || compareGuids(guid, holder);
    this.fixups++;
    if (cmp < 0) {
      this.rename(rec, conflictMangledRdn(rec.name, guid));
      return;
    }
    const loser: ObjectRecord = { ...other, attrs: other.attrs.map((x) => ({ ...x })) };
    this.rename(loser, conflictMangledRdn(other.name, Buffer.from(holder)));
    w.putObject(Buffer.from(holder), loser, other);
  }

  /** A deleted object's live children go to LostAndFound (delete vs add-child, MS-ADTS 6.1.1.4.1). */
  private rescueChildren(guid: Buffer, rec: ObjectRecord): void {
    const w = this.w;
    const { lostAndFound } = this.containers(rec.nc);
    if (!lostAndFound || guid.equals(lostAndFound)) return;
    for (const c of [...w.children(guid)].map((g) => Buffer.from(g))) {
      const prev = w.getObject(c)!;
      if (isDeleted(prev, this.A)) continue;
      const child: ObjectRecord = { ...prev, attrs: prev.attrs.map((x) => ({ ...x })) };
      this.port.setAttribute(child, this.A.lastKnownParent, [{ guid: Buffer.from(guid) }]);
      this.rename(child, unmangle(child.name));
      child.parent = lostAndFound;
      this.fixups++;
      this.resolveNameConflict(c, child);
      w.putObject(c, child, prev);
      this.ctx.afterApply?.(w, c, child, prev, false);
    }
  }

  /** the state of an object here (undefined: not here), memoized for the value phase (entries are all applied by then, and values change no object's state) */
  private readonly stateMemo = new Map<string, ObjectState | null>();
  private stateHere(guid: Buffer): ObjectState | undefined {
    const k = guid.toString('latin1');
    let st = this.stateMemo.get(k);
    if (st === undefined) {
      const rec = this.w.readObject(guid);
      this.stateMemo.set(k, (st = rec ? stateOf(rec, this.A) : null));
    }
    return st ?? undefined;
  }
  /** whether an object is a tombstone or a recycled-object here (lifecycle.ts linkEndGone) */
  private gone(guid: Buffer): boolean {
    const st = this.stateHere(guid);
    return st === ObjectState.Tombstone || st === ObjectState.Recycled;
  }

  /** Applies one link value; true when its state changed. */
  value(v: REPLVALINF_V3): boolean {
    const w = this.w;
    const source = Buffer.from(v.pObject.Guid);
    const target = Buffer.from(v.Aval.target.Guid);
    const info = this.ctx.schema.attr(v.attrTyp);
    if (!info?.forwardLinkId) throw DsError.internal(PLACE, `attribute ${v.attrTyp} is not a forward link`);
    if (!w.hasObject(source)) throw DsError.missingParent(PLACE, `the object holding a link value is not here (ask again with DRS_GET_ANC)`);
    // a value naming an object this DC does not hold: fail the chunk rather than drop the value
    if (!this.getTgt && !w.hasObject(target)) throw DsError.missingTarget(PLACE, `a link value names an object that is not here (ask again with DRS_GET_TGT)`);
    const data = Buffer.from(v.Aval.data);
    const local = w.getLink(source, info.forwardLinkId, target, data);
    const m = v.MetaData;
    const incoming = { timeCreated: m.timeCreated, ...stampOf(m.MetaData) };
    if (compareLinkValueStamps(incoming, local?.stamp) <= 0) return false;
    // MS-DRSR 4.1.10.6.14 ProcessLinkValue: a value held by or naming a tombstone is not applied
    // (it stays absent); kept hidden with its stamp so that every replica holds the same values
    const hidden = v.fIsPresent && (this.gone(source) || this.gone(target));
    // a present value with a deleted-object end (Recycle Bin) is stored deactivated, as the values it held were
    const deactivated = v.fIsPresent && !hidden && (this.stateHere(source) === ObjectState.DeletedObject || this.stateHere(target) === ObjectState.DeletedObject);
    this.port.applyLinkValue({ source, attid: v.attrTyp, linkId: info.forwardLinkId, target, data, hidden, deactivated, ...(v.Aval.extra !== undefined ? { extra: v.Aval.extra } : {}) }, v.fIsPresent, incoming);
    return true;
  }
}
