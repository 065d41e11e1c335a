// Access checks on directory objects (MS-ADTS 5.1.3.3 "Checking Access"): the object's
// nTSecurityDescriptor against the requester's token, through the pure MS-DTYP 2.5.3.2 check
// (src/security/access-check.ts), with the object type lists AD builds:
//   object rights (LC, LO, DT, SD, RC, WD, WO):        [class]
//   attribute rights (RP, WP):                          [class, property set, attribute]
//   create/delete child (CC, DC) for a class:           [class of the child]
//   control access rights (CR) and validated writes:    [class, right]
// One AccessContext serves one operation (one snapshot); results that depend only on the SD,
// the class and whether the requester is the object itself are memoized on the token, so the
// thousands of objects sharing one SD cost one check per attribute per connection.
import { dcStateSlot } from '../dc-state.js';
import type { ReadTxn } from '../../store/store.js';
import { attrValues, LazyObjectRecord, type ObjectRecord } from '../../store/record.js';
import type { Directory } from '../directory.js';
import type { AttrInfo } from '../schema-binding.js';
import type { ClassSchema } from '../../schema/types.js';
import { ObjectClassCategory, SearchFlags } from '../../schema/types.js';
import { grantedAccess, Right, type CompiledSd, CompiledSdCache } from '../../security/access-check.js';
import type { SecurityToken } from '../../security/token.js';
import { sidKey } from '../../security/well-known-sids.js';
import { AdError } from '../errors.js';
import { listObjectMode } from './heuristics.js';
import { EffectiveSds, sdPropagationMayBePending } from './sd-propagator.js';

/** The attribute ids and object type paths the checks use, once per schema binding. */
interface SchemaFacts {
  sdId: number;
  ocId: number;
  sidId: number;
  /** attribute → [property set, attribute] (MS-ADTS 5.1.3.2, 3.1.1.2.3.3) */
  paths: WeakMap<AttrInfo, string[]>;
  /** objectClass values (joined) → the most specific structural class: the schema's answer, kept for every operation */
  classes: Map<string, ClassSchema | undefined>;
  /** the same by the packed objectClass values of a lazily read record (LazyObjectRecord.valuesKey) */
  classesByPacked: Map<string, ClassSchema | undefined>;
}

/** The key of a token's memo under which its access decisions are kept (AccessContext.memoFor). */
const DECISIONS = Symbol('access decisions');
/** The key of a token's memo under which its LIST_CONTENTS decisions are kept, by latin1(parent GUID) (AccessContext.visible). */
const LIST_CONTENTS = Symbol('list contents');
type ListContentsMemo = Map<string, { usn: number; epoch: number; lc: boolean }>;
/**
 * The most entries either memo of one token holds (distinct SDs of DECISIONS, parents of
 * LIST_CONTENTS): a token lives as long as its session, so a session that walks a directory of
 * many SDs or containers must not grow it without end; the memo starts again empty when full.
 */
export const TOKEN_MEMO_CAP = 4096;

/** Per-Directory state of the access layer (the compiled-SD cache). */
export class AccessState {
  readonly sds = new CompiledSdCache();
  private facts: { binding: Directory['schema']; facts: SchemaFacts } | undefined;

  schemaFacts(dir: Directory): SchemaFacts {
    if (this.facts?.binding !== dir.schema) {
      const A = (n: string) => dir.schema.attr(n)!.id;
      this.facts = { binding: dir.schema, facts: { sdId: A('nTSecurityDescriptor'), ocId: A('objectClass'), sidId: A('objectSid'), paths: new WeakMap(), classes: new Map(), classesByPacked: new Map() } };
    }
    return this.facts.facts;
  }
  /** moves whenever an SD changes without an originating update (propagation): cached decisions keyed by uSNChanged are dropped */
  sdEpoch = 0;
  /** a propagation is in a transaction not yet committed: the epoch moves again at its commit */
  epochPending = false;

  /** An SD changed without an originating update: now, and again when the transaction commits (readers of older snapshots may have cached meanwhile). */
  sdChangedLocally(): void {
    this.sdEpoch++;
    this.epochPending = true;
  }
}

const ACCESS = dcStateSlot('access state', (dir): AccessState => {
  const st = new AccessState();
  dir.store.onCommit(() => {
    if (st.epochPending) {
      st.epochPending = false;
      st.sdEpoch++;
    }
  });
  return st;
});
/** The access state of a Directory (one per Directory instance, several DCs per process). */
export function accessState(dir: Directory): AccessState {
  return dir.state(ACCESS);
}

interface Memo {
  /** attid → granted RP (and CR for confidential attributes) */
  read: Map<number, boolean>;
  /** attid → granted WP */
  write: Map<number, boolean>;
}

/** What the checks derive from one record, once per record object. */
interface RecFacts {
  sd: CompiledSd | undefined;
  cls: ClassSchema | undefined;
  self: string | undefined;
  memo: Memo | undefined;
}

export class AccessContext {
  private readonly sdId: number;
  private readonly ocId: number;
  private readonly sidId: number;
  private readonly state: AccessState;
  private readonly paths: WeakMap<AttrInfo, string[]>;
  private readonly classMemo: Map<string, ClassSchema | undefined>;
  private readonly packedClassMemo: Map<string, ClassSchema | undefined>;
  /** the schema binding classMemo belongs to (the one in force when this context was made) */
  private readonly binding: Directory['schema'];
  private readonly visibleMemo = new Map<string, boolean>();
  /** the record whose facts were derived last, and its facts (most operations check one or two records: no WeakMap made for them) */
  private lastRec: ObjectRecord | undefined;
  private lastFacts: RecFacts | undefined;
  /** the facts of the other records, made when a second record is checked */
  private facts: WeakMap<ObjectRecord, RecFacts> | undefined;
  /** dSHeuristics fDoListObject (MS-ADTS 6.1.1.2.4.1.2): list-object mode */
  private readonly listObject: boolean;
  /** while an SD propagation is pending: the SDs objects under it will have (MS-ADTS 3.1.1.6.3, sd-propagator.ts) */
  private readonly effective: EffectiveSds | undefined;

  constructor(
    readonly dir: Directory,
    readonly r: ReadTxn,
    readonly token: SecurityToken,
  ) {
    this.state = accessState(dir);
    const f = this.state.schemaFacts(dir);
    this.sdId = f.sdId;
    this.ocId = f.ocId;
    this.sidId = f.sidId;
    this.paths = f.paths;
    this.classMemo = f.classes;
    this.packedClassMemo = f.classesByPacked;
    this.binding = dir.schema;
    this.listObject = listObjectMode(dir);
    this.effective = sdPropagationMayBePending(dir) ? new EffectiveSds(dir, r) : undefined;
  }

  /** The checks read the SDs a pending propagation will store (made while one may be pending), not the stored ones. */
  get readsPendingSds(): boolean {
    return this.effective !== undefined;
  }

  private factsOf(rec: ObjectRecord): RecFacts {
    if (rec === this.lastRec) return this.lastFacts!;
    let f = this.facts?.get(rec);
    if (!f) {
      const v = this.effective ? this.effective.of(rec) : (attrValues(rec, this.sdId)?.[0] as Uint8Array | undefined);
      const s = attrValues(rec, this.sidId)?.[0] as Uint8Array | undefined;
      // sidKey's form (latin1 of the SID's bytes), without a view made first when the value is a Buffer
      const self = s ? (Buffer.isBuffer(s) ? s.toString('latin1') : sidKey(s)) : undefined;
      f = { sd: v ? this.state.sds.get(v) : undefined, cls: this.classOfUncached(rec), self, memo: undefined };
    }
    if (this.lastRec !== undefined) (this.facts ??= new WeakMap()).set(this.lastRec, this.lastFacts!);
    this.lastRec = rec;
    this.lastFacts = f;
    return f;
  }

  /** The compiled SD of a record; undefined when it has none (then only SYSTEM has access). */
  sdOf(rec: ObjectRecord): CompiledSd | undefined {
    return this.factsOf(rec).sd;
  }

  /** The most specific structural class of a record. */
  classOf(rec: ObjectRecord): ClassSchema | undefined {
    return this.factsOf(rec).cls;
  }

  private classOfUncached(rec: ObjectRecord): ClassSchema | undefined {
    // a lazily read record: by the packed values, none decoded on a hit
    const packed = rec instanceof LazyObjectRecord ? rec.valuesKey(this.ocId) : undefined;
    if (packed !== undefined) {
      if (this.packedClassMemo.has(packed)) return this.packedClassMemo.get(packed);
      const cls = this.classOfValues(rec);
      if (this.packedClassMemo.size >= 4096) this.packedClassMemo.clear();
      this.packedClassMemo.set(packed, cls);
      return cls;
    }
    return this.classOfValues(rec);
  }

  private classOfValues(rec: ObjectRecord): ClassSchema | undefined {
    const oc = (attrValues(rec, this.ocId) ?? []) as string[];
    const k = oc.join(',');
    if (this.classMemo.has(k)) return this.classMemo.get(k);
    const snap = this.binding.snapshot;
    let out: ClassSchema | undefined;
    for (let i = oc.length - 1; i >= 0; i--) {
      const c = snap.classByOid(oc[i]!);
      if (c && c.objectClassCategory !== ObjectClassCategory.Auxiliary) {
        out = c;
        break;
      }
    }
    if (this.classMemo.size >= 4096) this.classMemo.clear();
    this.classMemo.set(k, out);
    return out;
  }

  private selfKey(rec: ObjectRecord): string | undefined {
    return this.factsOf(rec).self;
  }

  /** The rights of `desired` the requester has on the object, for the node `extra` below its class (MS-ADTS 5.1.3.3.1–3.3.3). */
  granted(rec: ObjectRecord, desired: number, extra: readonly string[] = []): number {
    const sd = this.sdOf(rec);
    if (!sd) return 0;
    const cls = this.classOf(rec);
    const objectTypes = cls ? [cls.schemaIDGUID.toLowerCase(), ...extra] : extra;
    const selfSid = this.selfKey(rec);
    return grantedAccess(sd, this.token, selfSid === undefined ? { desired, objectTypes } : { desired, objectTypes, selfSid });
  }

  has(rec: ObjectRecord, desired: number, extra: readonly string[] = []): boolean {
    return (this.granted(rec, desired, extra) & desired) === desired;
  }

  /** The object type path of an attribute: its property set, then itself (MS-ADTS 5.1.3.2, 3.1.1.2.3.3). */
  attributePath(info: AttrInfo): string[] {
    let p = this.paths.get(info);
    if (!p) {
      const ps = info.schema.attributeSecurityGUID;
      const id = info.schema.schemaIDGUID.toLowerCase();
      this.paths.set(info, (p = ps ? [ps.toLowerCase(), id] : [id]));
    }
    return p;
  }

  private memo(sd: CompiledSd, rec: ObjectRecord): Memo {
    const f = this.factsOf(rec);
    if (f.memo) return f.memo;
    f.memo = this.memoFor(sd, rec);
    return f.memo;
  }

  private memoFor(sd: CompiledSd, rec: ObjectRecord): Memo {
    const cls = this.classOf(rec)?.schemaIDGUID ?? '';
    const self = this.selfKey(rec);
    const isSelf = self !== undefined && this.token.sids.has(self);
    // the decisions also depend on the schema (an attribute's property set, its searchFlags
    // fCONFIDENTIAL, MS-ADTS 3.1.1.2.3): a token's memo holds one schema binding's at a time
    let bySd = this.token.memo.get(DECISIONS) as { schema: unknown; bySd: Map<CompiledSd, Map<string, Memo>> } | undefined;
    if (!bySd || bySd.schema !== this.dir.schema) this.token.memo.set(DECISIONS, (bySd = { schema: this.dir.schema, bySd: new Map() }));
    let byClass = bySd.bySd.get(sd);
    if (!byClass) {
      if (bySd.bySd.size >= TOKEN_MEMO_CAP) bySd.bySd.clear();
      bySd.bySd.set(sd, (byClass = new Map()));
    }
    const k = isSelf ? `${cls}!` : cls;
    let m = byClass.get(k);
    if (!m) byClass.set(k, (m = { read: new Map(), write: new Map() }));
    return m;
  }

  /**
   * May the requester read this attribute of the object (MS-ADTS 3.1.1.4.3)? RP on the
   * attribute; confidential attributes (searchFlags fCONFIDENTIAL) also need CONTROL_ACCESS on
   * it (MS-ADTS 3.1.1.2.3); nTSecurityDescriptor needs READ_CONTROL instead (MS-ADTS 3.1.1.4.3).
   */
  mayRead(rec: ObjectRecord, info: AttrInfo): boolean {
    const sd = this.sdOf(rec);
    if (!sd) return false;
    const m = this.memo(sd, rec);
    let ok = m.read.get(info.id);
    if (ok === undefined) {
      if (info.id === this.sdId) ok = this.has(rec, Right.READ_CONTROL);
      else {
        const want = Right.READ_PROPERTY | ((info.schema.searchFlags & SearchFlags.fCONFIDENTIAL) !== 0 ? Right.CONTROL_ACCESS : 0);
        ok = this.has(rec, want, this.attributePath(info));
      }
      m.read.set(info.id, ok);
    }
    return ok;
  }

  mayWrite(rec: ObjectRecord, info: AttrInfo): boolean {
    const sd = this.sdOf(rec);
    if (!sd) return false;
    const m = this.memo(sd, rec);
    let ok = m.write.get(info.id);
    if (ok === undefined) m.write.set(info.id, (ok = this.has(rec, Right.WRITE_PROPERTY, this.attributePath(info))));
    return ok;
  }

  controlAccess(rec: ObjectRecord, rightsGuid: string): boolean {
    return this.has(rec, Right.CONTROL_ACCESS, [rightsGuid]);
  }

  validatedWrite(rec: ObjectRecord, rightsGuid: string): boolean {
    return this.has(rec, Right.SELF, [rightsGuid]);
  }

  /** CC on the parent for the child's class (MS-ADTS 3.1.1.5.2.1 security considerations). */
  mayCreateChild(parent: ObjectRecord, child: ClassSchema): boolean {
    const sd = this.sdOf(parent);
    if (!sd) return false;
    const selfSid = this.selfKey(parent);
    const objectTypes = [child.schemaIDGUID.toLowerCase()];
    const req = selfSid === undefined ? { desired: Right.CREATE_CHILD, objectTypes } : { desired: Right.CREATE_CHILD, objectTypes, selfSid };
    return (grantedAccess(sd, this.token, req) & Right.CREATE_CHILD) !== 0;
  }

  mayDeleteChild(parent: ObjectRecord, child: ClassSchema | undefined): boolean {
    const sd = this.sdOf(parent);
    if (!sd) return false;
    const objectTypes = child ? [child.schemaIDGUID.toLowerCase()] : [];
    return (grantedAccess(sd, this.token, { desired: Right.DELETE_CHILD, objectTypes }) & Right.DELETE_CHILD) !== 0;
  }

  /**
   * LIST_CONTENTS on a parent as decided for this token before, while the parent has not
   * changed since (its header's uSNChanged, read without decoding the record) and no SD was
   * propagated: a search of many small requests does not decode the parent every time.
   */
  private listContentsMemo(parent: Buffer, pk: string): boolean | undefined {
    const m = (this.token.memo.get(LIST_CONTENTS) as ListContentsMemo | undefined)?.get(pk);
    if (!m || m.epoch !== this.state.sdEpoch) return undefined;
    const known = this.noted;
    if ((known !== undefined && known.key === pk ? known.usn : this.r.usnChangedOf(parent)) !== m.usn) return undefined;
    this.visibleMemo.set(pk, m.lc);
    return m.lc;
  }

  /** an object whose record this operation read in this context's snapshot (noteRecord): its uSNChanged need not be read again */
  private noted: { key: string; usn: number } | undefined;

  /**
   * `rec` is `guid`'s record in this context's snapshot (a search's base): when it is the parent
   * of objects checked for visibility, its uSNChanged is taken from it, not read again.
   */
  noteRecord(guid: Buffer, rec: ObjectRecord): void {
    this.noted = { key: guid.toString('latin1'), usn: rec.usnChanged };
  }

  /** DELETE on the object, or DELETE_CHILD on its parent for its class (MS-ADTS 3.1.1.5.5.4 security considerations). */
  mayDelete(rec: ObjectRecord): boolean {
    if (this.has(rec, Right.DELETE)) return true;
    const parent = rec.parent ? this.r.getObject(rec.parent) : undefined;
    return !!parent && this.mayDeleteChild(parent, this.classOf(rec));
  }

  /**
   * Object visibility (MS-ADTS 5.1.3.3.6 "Checking Object Visibility"): an NC head is visible; an
   * object is visible when the requester has LIST_CONTENTS on its parent, or, in list-object
   * mode (dSHeuristics fDoListObject), LIST_OBJECT on the object and a visible parent.
   */
  visible(guid: Buffer, rec: ObjectRecord): boolean {
    if (!rec.parent) return true;
    const pk = rec.parent.toString('latin1');
    let lc = this.visibleMemo.get(pk);
    if (lc === undefined) lc = this.listContentsMemo(rec.parent, pk);
    const parent = lc === undefined || this.listObject ? this.r.readObject(rec.parent) : undefined;
    if (lc === undefined) {
      lc = !!parent && this.has(parent, Right.LIST_CONTENTS);
      this.visibleMemo.set(pk, lc);
      const usn = parent ? parent.usnChanged : undefined;
      if (usn !== undefined) {
        let byParent = this.token.memo.get(LIST_CONTENTS) as ListContentsMemo | undefined;
        if (!byParent) this.token.memo.set(LIST_CONTENTS, (byParent = new Map()));
        else if (byParent.size >= TOKEN_MEMO_CAP && !byParent.has(pk)) byParent.clear();
        byParent.set(pk, { usn, epoch: this.state.sdEpoch, lc });
      }
    }
    if (lc) return true;
    if (!this.listObject || !parent) return false;
    return this.has(rec, Right.LIST_OBJECT) && this.visible(rec.parent, parent);
  }
}

/** The refusal AD gives: 50 insufficientAccessRights, "00002098: SecErr: DSID-…, problem 4003 (INSUFF_ACCESS_RIGHTS), data 0". */
export function denied(place: string, detail = ''): never {
  throw AdError.insufficientAccess(place, detail);
}
