// Search scope (RFC 4511 4.5.1.2, MS-ADTS 3.1.1.3.1.1): base, singleLevel, wholeSubtree and
// subordinateSubtree walks over the DN index (the store's `children` table), and the test
// whether a candidate taken from an index lies in the scope.
//
// NC heads hang under the null GUID in the DN index, so a walk never leaves the naming context
// it starts in; the NCs held below it are announced as continuation references (MS-ADTS
// 3.1.1.3.1.4, 3.1.1.4.7 "Continuations" / RFC 4511 4.5.3), as AD does (`ldap://<domain>/<NC DN>`).
//
// Walks are synchronous generators over one read snapshot; the search loop (search.ts) yields
// to the event loop every SCAN_CHUNK objects, so a walk over a big NC never holds the event
// loop for long.
import { dcStateSlot } from '../dc-state.js';
import type { ObjectRecord } from '../../store/record.js';
import type { ReadTxn } from '../../store/store.js';
import { SearchScope } from '../../ldap/protocol/messages.js';
import { parseDN, formatDN } from '../../dn/dn.js';
import type { Directory } from '../directory.js';

/** Objects examined between two yields to the event loop. */
export const SCAN_CHUNK = 256;

/** One object met by a walk or taken from a plan. */
export interface Visit {
  guid: Buffer;
  rec: ObjectRecord;
}

/**
 * The objects of the scope in pre-order (base first). `descend(rec)` says whether to walk below
 * an object (deleted objects have no live children: the search does not descend into them unless
 * deleted objects are shown).
 */
export function* walkScope(r: ReadTxn, base: Buffer, baseRec: ObjectRecord, scope: SearchScope, descend: (rec: ObjectRecord) => boolean): Generator<Visit> {
  if (scope !== SearchScope.subordinateSubtree && scope !== SearchScope.singleLevel) yield { guid: base, rec: baseRec };
  if (scope === SearchScope.baseObject) return;
  if (scope === SearchScope.singleLevel) {
    for (const g of r.children(base)) {
      const rec = r.readObject(g);
      if (rec) yield { guid: Buffer.from(g), rec };
    }
    return;
  }
  if (!descend(baseRec)) return;
  // depth-first with one open children cursor per level
  const stack: Iterator<Buffer>[] = [r.children(base)[Symbol.iterator]()];
  while (stack.length > 0) {
    const it = stack[stack.length - 1]!;
    const n = it.next();
    if (n.done) {
      stack.pop();
      continue;
    }
    const guid = Buffer.from(n.value);
    const rec = r.readObject(guid);
    if (!rec) continue;
    yield { guid, rec };
    if (descend(rec)) stack.push(r.children(guid)[Symbol.iterator]());
  }
}

/**
 * Whether two objectGUIDs (16 bytes each; any other length compares by Buffer.equals) are the
 * same, in JS: Buffer.equals is a native call (~80 ns), 16 byte reads are less.
 */
export function sameGuid(a: Buffer, b: Buffer): boolean {
  if (a.length !== 16 || b.length !== 16) return a.equals(b);
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether objects taken from an index lie in the scope; ancestors are decided once per search. */
export class ScopeChecker {
  /** latin1(guid) → lies at or below base; made when a candidate's parent is not the base itself */
  private below: Map<string, boolean> | undefined;

  constructor(
    private readonly r: ReadTxn,
    private readonly base: Buffer,
    private readonly baseRec: ObjectRecord,
    private readonly scope: SearchScope,
  ) {}

  contains(guid: Buffer, rec: ObjectRecord): boolean {
    const isBase = sameGuid(guid, this.base);
    switch (this.scope) {
      case SearchScope.baseObject:
        return isBase;
      case SearchScope.singleLevel:
        return rec.parent !== null && sameGuid(rec.parent, this.base);
      case SearchScope.subordinateSubtree:
        if (isBase) return false;
        break;
    }
    if (isBase) return true;
    if (!sameGuid(rec.nc, this.baseRec.nc)) return false;
    // a child of the base (most candidates of a search of a container) needs no walk
    return rec.parent !== null && (sameGuid(rec.parent, this.base) || this.isBelow(rec.parent));
  }

  private isBelow(guid: Buffer): boolean {
    const below = this.belowMap();
    const path: string[] = [];
    let g: Buffer | null = guid;
    let result = false;
    while (g) {
      const k = g.toString('latin1');
      const known = below.get(k);
      if (known !== undefined) {
        result = known;
        break;
      }
      path.push(k);
      const rec = this.r.getHeader(g);
      g = rec ? rec.parent : null;
    }
    for (const k of path) below.set(k, result);
    if (below.size > 100_000) this.below = undefined;
    return result;
  }

  private belowMap(): Map<string, boolean> {
    if (!this.below) {
      this.below = new Map();
      this.below.set(this.base.toString('latin1'), true);
    }
    return this.below;
  }
}

/**
 * Continuation references for the NCs this DC holds whose heads lie directly below an object in
 * the scope (e.g. CN=Configuration under the domain NC head), as AD returns them from a subtree
 * search (RFC 4511 4.5.3, MS-ADTS 3.1.1.3.1.1): `ldap://<DNS domain>/<NC DN>`.
 */
export function childNcReferences(dir: Directory, r: ReadTxn, base: Buffer, baseRec: ObjectRecord, scope: SearchScope): readonly string[] {
  if (scope === SearchScope.baseObject) return [];
  // the answer depends on where the base and the child NCs' parents are, which only a naming
  // change moves (a rename or move, which moves the snapshot's naming epoch, store.ts "Naming
  // epoch"): kept per (base, scope) for one epoch
  const epoch = r.namingEpoch();
  const box = dir.state(REF_MEMO);
  let m = box.memo;
  if (!m || m.epoch !== epoch) box.memo = m = { epoch, refs: new Map(), hits: m?.hits ?? 0 };
  const k = `${scope}:${base.toString('latin1')}`;
  const known = m.refs.get(k);
  if (known) {
    m.hits++;
    return known;
  }
  const out = childNcReferencesUncached(dir, r, base, baseRec, scope);
  if (m.refs.size >= REF_MEMO_ENTRIES) m.refs.clear();
  m.refs.set(k, Object.freeze(out));
  return out;
}

/** childNcReferences' answers of one naming epoch, per Directory (several DCs per process). */
const REF_MEMO = dcStateSlot('child NC references', (): { memo?: { epoch: number; refs: Map<string, readonly string[]>; hits: number } } => ({}));
const REF_MEMO_ENTRIES = 1024;

/** Answers childNcReferences gave from its memo (tests). */
export function childNcReferenceHits(dir: Directory): number {
  return dir.state(REF_MEMO).memo?.hits ?? 0;
}

function childNcReferencesUncached(dir: Directory, r: ReadTxn, base: Buffer, baseRec: ObjectRecord, scope: SearchScope): string[] {
  const out: string[] = [];
  for (const c of childNcs(dir, r)) {
    if (!c.parentNc.equals(baseRec.nc)) continue;
    // the child NC's parent must be the base (one level) or the base or below it (subtree)
    let inScope = c.parent.equals(base);
    if (!inScope && scope !== SearchScope.singleLevel) {
      for (let g = r.getHeader(c.parent)?.parent ?? null, depth = 0; g && depth < 1024; g = r.getHeader(g)?.parent ?? null, depth++) {
        if (g.equals(base)) {
          inScope = true;
          break;
        }
      }
    }
    if (inScope) out.push(c.ref);
  }
  return out;
}

/**
 * The host of a continuation reference to an NC: the NC's DNS name (its crossRef's dnsRoot) —
 * for an application NC such as DC=DomainDnsZones,DC=example,DC=com, "DomainDnsZones.example.com",
 * as Windows refers to it; the forest's DNS name for the configuration and schema NCs.
 */
function ncDnsName(dir: Directory, ncName: string): string {
  try {
    const rdns = parseDN(ncName);
    if (rdns.every((rdn) => rdn.length === 1 && rdn[0]!.type.toUpperCase() === 'DC')) return rdns.map((rdn) => rdn[0]!.value).join('.');
  } catch {
    /* not a DN: fall back to the forest name */
  }
  return dir.forest.realm;
}

/** NC heads whose parent DN names an object of another NC this DC holds (e.g. CN=Configuration under the domain head). */
interface ChildNc {
  ncName: string;
  /** its continuation reference, `ldap://<DNS name>/<NC DN>` */
  ref: string;
  parent: Buffer;
  parentNc: Buffer;
}
/**
 * Computed once per naming epoch: an NC appears (a replica pulled in), vanishes (a replica
 * removed, IDL_DRSReplicaDel) or moves only with a change that moves it (store.ts "Naming epoch").
 */
const CHILD_NCS = dcStateSlot('child NCs', (): { known?: { epoch: number; list: ChildNc[] } } => ({}));
function childNcs(dir: Directory, r: ReadTxn): ChildNc[] {
  const epoch = r.namingEpoch();
  const box = dir.state(CHILD_NCS);
  const known = box.known;
  if (known && known.epoch === epoch) return known.list;
  const list: ChildNc[] = [];
  for (const head of r.ncHeads()) {
    const rec = r.readObject(head);
    if (!rec?.ncName) continue;
    let parentDN: string;
    try {
      const rdns = parseDN(rec.ncName);
      if (rdns.length < 2) continue;
      parentDN = formatDN(rdns.slice(1));
    } catch {
      continue;
    }
    const res = dir.tryResolve(r, parentDN);
    if (!res.found) continue;
    const prec = r.getHeader(res.guid);
    if (!prec) continue;
    list.push({ ncName: rec.ncName, ref: `ldap://${ncDnsName(dir, rec.ncName)}/${rec.ncName}`, parent: res.guid, parentNc: prec.nc });
  }
  box.known = { epoch, list };
  return list;
}

/** NC heads whose DN equals or lies below `baseDN` (SERVER_SEARCH_FLAG_PHANTOM_ROOT, MS-ADTS 3.1.1.3.4.1.12 LDAP_SERVER_SEARCH_OPTIONS_OID). */
export function ncHeadsUnder(r: ReadTxn, baseDN: string): Buffer[] {
  let base: string[];
  try {
    base = parseDN(baseDN).map((rdn) => formatDN([rdn]).toLowerCase());
  } catch {
    return [];
  }
  const out: Buffer[] = [];
  for (const head of r.ncHeads()) {
    const rec = r.readObject(head);
    if (!rec?.ncName) continue;
    const rdns = parseDN(rec.ncName).map((rdn) => formatDN([rdn]).toLowerCase());
    if (rdns.length < base.length) continue;
    const tail = rdns.slice(rdns.length - base.length);
    if (tail.every((x, i) => x === base[i])) out.push(head);
  }
  // outermost first, so that each NC is searched once
  return out;
}
