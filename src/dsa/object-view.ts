// One object as the DSA reads it: its stored attributes, the attributes kept in the record
// (objectGUID, uSNChanged, …), its forward-link values from the link table and its back
// links, all as stored values of their syntaxes. Filters and entry output both read objects
// through an ObjectView, so both see the same values.
import type { AccessContext } from './access/access.js';
import type { ReadTxn } from '../store/store.js';
import { attrValues, type ObjectRecord, type RecordNaming } from '../store/record.js';
import type { StoredValue, SyntaxContext, DSName } from '../schema/syntaxes/syntax.js';
import type { AttrInfo } from './schema-binding.js';
import type { Directory } from './directory.js';
import { linkValue } from './values.js';
import { EffectiveSds, sdPropagationMayBePending } from './access/sd-propagator.js';

/** Read state of one operation: one snapshot, a memo of derived DNs, one syntax context. */
export class ReadContext {
  readonly ctx: SyntaxContext;
  private readonly dnMemo = new Map<string, string>();
  /** show link values whose source or target is deleted (LDAP_SERVER_SHOW_DEACTIVATED_LINK_OID) */
  showDeactivatedLinks = false;
  /** the requester's access checks (MS-ADTS 3.1.1.4.3); undefined for the system's own reads */
  access: AccessContext | undefined;

  constructor(
    readonly dir: Directory,
    readonly r: ReadTxn,
  ) {
    this.ctx = dir.syntaxContext(r, undefined, (ref: DSName) => this.dnIfPresent(ref.guid) ?? dir.dnOfRef(r, ref));
  }

  /** The DN of `guid`, derived once per operation (parents are shared by many entries). */
  dnOf(guid: Buffer): string {
    const dn = this.dnIfPresent(guid);
    if (dn === undefined) throw new Error(`no object ${guid.toString('hex')}`);
    return dn;
  }

  /** As dnOf, undefined when this snapshot has no object `guid` (one record read, header only). */
  private dnIfPresent(g: Uint8Array): string | undefined {
    const guid = Buffer.isBuffer(g) ? g : Buffer.from(g.buffer, g.byteOffset, g.byteLength);
    return this.dnByKey(guid.toString('latin1'), guid);
  }

  /** The DN of an object whose record is at hand: its own header is not read again. */
  dnOfRecord(guid: Buffer, rec: ObjectRecord): string {
    const k = guid.toString('latin1');
    const dn = this.dnMemo.get(k);
    if (dn !== undefined) return dn;
    const parentKey = rec.parent ? rec.parent.toString('latin1') : null;
    const out = this.dnByKey(k, guid, { parentKey, rdnType: rec.rdnType, name: rec.name });
    if (out === undefined) throw new Error(`no object ${guid.toString('hex')}`);
    return out;
  }

  /** The DN of `guid` (latin1 key `k`) through this operation's memo and the DC's name cache (names.ts). */
  private dnByKey(k: string, guid: Buffer, naming?: RecordNaming): string | undefined {
    return this.dir.names.dnByKey(this.r, k, guid, naming, this.dnMemo);
  }

  private effective: EffectiveSds | undefined;
  /** While an SD propagation is pending: the SD the object will have (MS-ADTS 3.1.1.6.3, sd-propagator.ts); else undefined. */
  effectiveSd(rec: ObjectRecord): Uint8Array | undefined {
    if (!sdPropagationMayBePending(this.dir)) return undefined;
    return (this.effective ??= new EffectiveSds(this.dir, this.r)).of(rec);
  }

  view(guid: Buffer, rec?: ObjectRecord): ObjectView | undefined {
    const re = rec ?? this.r.getObject(guid);
    return re ? new ObjectView(this, guid, re) : undefined;
  }
}

export class ObjectView {
  constructor(
    readonly rc: ReadContext,
    readonly guid: Buffer,
    readonly rec: ObjectRecord,
  ) {}

  get dn(): string {
    return this.rc.dnOfRecord(this.guid, this.rec);
  }

  /** Stored values of `info` on this object ([] when absent). Constructed attributes are not here: see constructed.ts. */
  values(info: AttrInfo): StoredValue[] {
    const rec = this.rec;
    switch (info.name) {
      case 'objectGUID':
        return [this.guid];
      case 'uSNChanged':
        return [BigInt(rec.usnChanged)];
      case 'uSNCreated':
        return [BigInt(rec.usnCreated)];
      case 'whenChanged':
        return [rec.whenChanged];
      case 'distinguishedName':
        return [{ guid: this.guid }];
      case 'nTSecurityDescriptor': {
        // reads see the SD a pending propagation will store
        const eff = this.rc.effectiveSd(rec);
        if (eff) return [eff];
        break;
      }
    }
    if (info.forwardLinkId !== undefined) return [...this.presentLinkValues(info)];
    if (info.backLinkOf) {
      const out: StoredValue[] = [];
      for (const b of this.rc.r.backlinks(this.guid, info.backLinkOf.forwardLinkId)) out.push({ guid: Buffer.from(b.source) });
      return out;
    }
    return (attrValues(rec, info.id) ?? []) as StoredValue[];
  }

  /**
   * The values of `info` at positions low..high (in the order values() gives them), whether
   * there are values after high, and whether the attribute has any value at all. Link and
   * back-link values past high+1 are never read: a range of a huge group costs its page, not
   * the group (MS-ADTS 3.1.1.3.1.3.3 range retrieval).
   */
  valuesWindow(info: AttrInfo, low: number, high: number): { values: StoredValue[]; more: boolean; any: boolean } {
    let it: Iterable<StoredValue> | undefined;
    if (info.forwardLinkId !== undefined) it = this.presentLinkValues(info);
    else if (info.backLinkOf) it = this.backLinkValues(info);
    if (!it) {
      const all = this.values(info);
      return { values: low < all.length ? all.slice(low, high + 1) : [], more: high + 1 < all.length, any: all.length > 0 };
    }
    const values: StoredValue[] = [];
    let i = 0;
    let more = false;
    for (const v of it) {
      if (i > high) {
        more = true;
        break;
      }
      if (i >= low) values.push(v);
      i++;
    }
    return { values, more, any: i > 0 };
  }

  private *presentLinkValues(info: AttrInfo): Generator<StoredValue> {
    for (const lv of this.rc.r.presentLinkTargets(this.guid, info.forwardLinkId!, this.rc.showDeactivatedLinks)) yield linkValue(info, lv.target, lv.data);
  }

  private *backLinkValues(info: AttrInfo): Generator<StoredValue> {
    for (const b of this.rc.r.backlinks(this.guid, info.backLinkOf!.forwardLinkId)) yield { guid: Buffer.from(b.source) };
  }

  /** Stored attributes with values, for '*' (links and back links included, record attributes included). */
  *presentAttributes(): Generator<AttrInfo> {
    const schema = this.rc.dir.schema;
    for (const n of ['objectGUID', 'uSNChanged', 'uSNCreated', 'whenChanged', 'distinguishedName']) yield schema.attr(n)!;
    for (const a of this.rec.attrs) {
      if (a.values.length === 0) continue;
      const info = schema.attrById(a.id);
      if (info) yield info;
    }
    const seen = new Set<number>();
    for (const lv of this.rc.r.links(this.guid)) {
      if (seen.has(lv.linkId) || lv.stamp.timeDeleted !== 0 || (lv.deactivated && !this.rc.showDeactivatedLinks)) continue;
      seen.add(lv.linkId);
      const info = schema.attrByLinkId(lv.linkId);
      if (info) yield info;
    }
    const backSeen = new Set<number>();
    for (const b of this.rc.r.backlinks(this.guid)) {
      if (backSeen.has(b.linkId)) continue;
      backSeen.add(b.linkId);
      const info = schema.attrByLinkId(b.linkId + 1);
      if (info) yield info;
    }
  }

  /** The objectClass values as lDAPDisplayNames, top first. */
  objectClassNames(): string[] {
    const schema = this.rc.dir.schema;
    const oc = schema.attr('objectClass')!;
    return (this.values(oc) as string[]).map((oid) => schema.snapshot.classByOid(oid)?.lDAPDisplayName ?? oid);
  }

  /** The most specific structural class (the last objectClass value that is not auxiliary). */
  structuralClass(): string {
    const names = this.objectClassNames();
    const snap = this.rc.dir.schema.snapshot;
    for (let i = names.length - 1; i >= 0; i--) {
      const c = snap.classByName(names[i]!);
      if (c && c.objectClassCategory !== 3) return c.lDAPDisplayName;
    }
    return names[names.length - 1] ?? 'top';
  }

  first(name: string): StoredValue | undefined {
    const info = this.rc.dir.schema.attr(name);
    return info ? this.values(info)[0] : undefined;
  }

  isDeleted(): boolean {
    return this.first('isDeleted') === true;
  }
}
