// The one change walk of an NC replica: changesSince(nc, usnFrom, utd, {ancestorsFirst, attrs}).
// GetNCChanges' source side (MS-DRSR 4.1.10.5: "GetChangesInScope" in USN order, propagation
// dampening with the destination's up-to-date vector, DRS_GET_ANC) and DirSync (MS-DRSR 5.115
// defines DirSync as a GetNCChanges cycle) both read the NC through it.
//
// Cost: linear in what it walks. The `usn` index lists each object once at its uSNChanged;
// an ancestor sent ahead of its child (ancestorsFirst) is remembered in `sentAhead` and
// skipped when the walk reaches its own position, and the climb to find unsent ancestors stops
// at the first ancestor that is unchanged since usnFrom, already walked, or already sent — so
// every object is climbed through at most once per walk.
import type { ReadTxn } from '../../store/store.js';
import type { AttributeStamp, LinkValue, ObjectRecord, StoredAttribute } from '../../store/record.js';

/** The destination's up-to-date vector as a lookup: invocationId (hex) → usnHighPropUpdate. */
export type UtdLookup = ReadonlyMap<string, number>;

export function utdLookup(cursors: Iterable<{ uuidDsa: Buffer; usnHighPropUpdate: number }> | undefined): UtdLookup {
  const m = new Map<string, number>();
  if (cursors) for (const c of cursors) m.set(c.uuidDsa.toString('hex'), c.usnHighPropUpdate);
  return m;
}

export interface ChangeWalkOptions {
  /** DRS_GET_ANC: every object comes after its changed ancestors */
  ancestorsFirst?: boolean;
  /** DRS_GET_TGT: the targets of the link values sent come ahead of them, when changed since usnFrom */
  targetsFirst?: boolean;
  /** only these attributes (a partial attribute set, DirSync's attribute list); default all */
  attrs?: (attid: number) => boolean;
  /** forward link values too (default true) */
  links?: boolean;
  /**
   * The attribute floor, when lower than the walk's start: within a replication cycle the
   * walk resumes after the last object sent (usnvecFrom.usnHighObjUpdate) but attributes are
   * filtered from the cycle's start (usnHighPropUpdate) — an object met later in the cycle
   * may hold changes made before the last chunk's position.
   */
  attrsFrom?: number;
  /**
   * The caller decides what an object reports (DirSync: its filter and attribute list); the
   * walk then only orders and yields, with empty attrs/links. Ancestors and targets are sent
   * ahead only when selected.
   */
  select?: (guid: Buffer, rec: ObjectRecord) => boolean;
  /** resume inside the USN `usn` (usnFrom must be usn − 1): entries whose GUID starts with at most `guidPrefix` were walked */
  resumeAt?: { usn: number; guidPrefix: Buffer };
  /** objects an earlier page of the same cycle sent ahead of their place (latin1 GUID keys); the walk adds to it */
  sentAhead?: Set<string>;
}

/** One changed object as the walk yields it. */
export interface ObjectChange {
  guid: Buffer;
  rec: ObjectRecord;
  /** the attributes changed since usnFrom and not covered by the UTD vector, with their stamps */
  attrs: StoredAttribute[];
  /** the link values (forward, source = this object) changed since usnFrom and not covered */
  links: LinkValue[];
  /** true when sent ahead of its own place in USN order (an ancestor or a link target) */
  ahead: boolean;
}

/** A step of the walk: the USN index position reached and, when there is one, a change to send. */
export interface WalkStep {
  /** uSNChanged of the index entry the walk is at; a reply's usnvecTo.usnHighObjUpdate */
  position: number;
  /** objectGUID of that index entry */
  guid: Buffer;
  change?: ObjectChange;
}

/** MS-DRSR 4.1.10.5 propagation dampening: the destination already has a stamp its UTD vector covers. */
export function coveredBy(utd: UtdLookup, s: AttributeStamp): boolean {
  const c = utd.get(s.uuidOriginating.toString('hex'));
  return c !== undefined && s.usnOriginating <= c;
}

/**
 * coveredBy for one walk: the stamps of a store share one Buffer per invocationId (the
 * invocation table's), so the UTD cursor of each is looked up once by identity, not by a hex
 * key per attribute; an empty vector covers nothing (a join's first cycle).
 */
function coverageOf(utd: UtdLookup): (s: AttributeStamp) => boolean {
  if (utd.size === 0) return () => false;
  const byId = new Map<Buffer, number>();
  return (s) => {
    let c = byId.get(s.uuidOriginating);
    if (c === undefined) byId.set(s.uuidOriginating, (c = utd.get(s.uuidOriginating.toString('hex')) ?? -1));
    return s.usnOriginating <= c;
  };
}

/**
 * Walks the objects of `nc` changed after `usnFrom`, in USN order (ancestors and targets
 * ahead when asked), each with only what the destination lacks. The caller stops whenever it
 * likes (cMaxObjects, cMaxBytes); the last position it consumed is its watermark.
 */
export function* changesSince(r: ReadTxn, nc: Buffer, usnFrom: number, utd: UtdLookup, opts: ChangeWalkOptions = {}): Generator<WalkStep> {
  const sentAhead = opts.sentAhead ?? new Set<string>();
  const wantLinks = opts.links !== false;
  const attrsFrom = Math.min(opts.attrsFrom ?? usnFrom, usnFrom);
  const covered = coverageOf(utd);
  const changeOf = (guid: Buffer, rec: ObjectRecord, ahead: boolean): ObjectChange | undefined => {
    if (opts.select) return opts.select(guid, rec) ? { guid, rec, attrs: [], links: [], ahead } : undefined;
    const attrs: StoredAttribute[] = [];
    for (const a of rec.attrs) {
      const s = a.stamp;
      if (!s || s.usnLocal <= attrsFrom || covered(s)) continue;
      if (opts.attrs && !opts.attrs(a.id)) continue;
      attrs.push(a);
    }
    const links: LinkValue[] = [];
    if (wantLinks) {
      for (const lv of r.rawLinks(guid)) {
        const s = lv.stamp;
        if (s.usnLocal <= attrsFrom || covered(s)) continue;
        if (opts.attrs && !opts.attrs(lv.attid)) continue;
        links.push(lv);
      }
    }
    if (attrs.length === 0 && links.length === 0) return undefined;
    return { guid, rec, attrs, links, ahead };
  };

  // the walk's place: USN index entries are (uSNChanged, objectGUID) in order
  let curUsn = 0;
  let curGuid: Buffer = Buffer.alloc(16);
  /** whether the walk has passed the index entry of an object whose uSNChanged is `usn` */
  const walked = (usn: number, g: Buffer) => usn < curUsn || (usn === curUsn && Buffer.compare(g, curGuid) < 0);

  /** The chain of `guid`'s ancestors still to send (nearest last), per the climbing rule above. */
  const unsentAncestors = (rec: ObjectRecord): Buffer[] => {
    const chain: Buffer[] = [];
    let g = rec.parent;
    while (g) {
      const k = g.toString('latin1');
      if (sentAhead.has(k)) break;
      const h = r.getHeader(g);
      if (!h || !h.nc.equals(nc)) break;
      // unchanged since usnFrom (the destination has it), or walked already at its own position
      if (h.usnChanged <= usnFrom || walked(h.usnChanged, g)) break;
      chain.push(g);
      g = h.parent;
    }
    return chain.reverse();
  };

  function* ahead(guid: Buffer): Generator<ObjectChange> {
    const k = guid.toString('latin1');
    if (sentAhead.has(k) || guid.equals(curGuid)) return;
    const rec = r.getObject(guid);
    if (!rec || !rec.nc.equals(nc) || rec.usnChanged <= usnFrom || walked(rec.usnChanged, guid)) return;
    if (opts.ancestorsFirst) for (const a of unsentAncestors(rec)) yield* ahead(a);
    sentAhead.add(k);
    const c = changeOf(guid, rec, true);
    if (c) yield c;
  }

  for (const step of r.changedSince(nc, usnFrom)) {
    const usn = step.usn;
    const guid = Buffer.from(step.guid);
    curUsn = usn;
    curGuid = guid;
    const ra = opts.resumeAt;
    if (ra && usn === ra.usn && Buffer.compare(guid.subarray(0, ra.guidPrefix.length), ra.guidPrefix) <= 0) {
      yield { position: usn, guid };
      continue;
    }
    if (sentAhead.size > 0 && sentAhead.has(guid.toString('latin1'))) {
      yield { position: usn, guid };
      continue;
    }
    const rec = r.getObject(guid);
    if (!rec) {
      yield { position: usn, guid };
      continue;
    }
    const c = changeOf(guid, rec, false);
    // ancestors go ahead of an object that is sent (MS-DRSR 4.1.10.5 DRS_GET_ANC)
    if (c && opts.ancestorsFirst) {
      for (const a of unsentAncestors(rec)) for (const x of ahead(a)) yield { position: usn, guid, change: x };
    }
    if (c && opts.targetsFirst) {
      for (const lv of c.links) for (const t of ahead(lv.target)) yield { position: usn, guid, change: t };
    }
    yield c ? { position: usn, guid, change: c } : { position: usn, guid };
  }
}
