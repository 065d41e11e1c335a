// DNs of objects, derived and resolved (MS-ADTS 3.1.1.1.4): an object's DN is its RDN
// (rdnType=name) followed by its parent's DN; an NC head's DN is its NC name. Nothing here
// stores a DN, so renaming or moving a subtree rewrites one object.
import { formatDN, formatRDN, normalizeDN, parseDN, type RDN } from '../dn/dn.js';
import type { ReadTxn } from '../store/store.js';

export interface RdnTypes {
  /** lDAPDisplayName of the RDN attribute `attid` (e.g. 3 → "cn") */
  nameOf(attid: number): string;
  /** ATTRTYP of the attribute named by an AVA type (lDAPDisplayName or OID), if the schema knows it */
  idOf(type: string): number | undefined;
}

export type Resolution =
  | { found: true; guid: Buffer }
  /** not found: `matched` is the deepest existing object above the DN (for matchedDN), if any */
  | { found: false; matched?: Buffer; reason: 'no-nc' | 'no-object' | 'multi-valued-rdn' };

/** DnDeriver.cached: DNs over one snapshot, each ancestor derived once. */
export interface DnCache {
  dnOf(guid: Buffer): string;
  /** the DN of an object whose naming fields are at hand (its record: parent, rdnType, name) */
  dnOfNamed(guid: Buffer, naming: { parent: Buffer | null; rdnType: number; name: string }): string;
}

/** Upper bound on ancestors walked when deriving a DN; deeper means a cycle in `parent`. */
const MAX_DEPTH = 1024;

export class DnDeriver {
  constructor(private readonly types: RdnTypes) {}

  /** The RDN sequence of object `guid`, most specific first. */
  rdnsOf(r: ReadTxn, guid: Buffer): RDN[] {
    const rdns: RDN[] = [];
    let g: Buffer | null = guid;
    for (let depth = 0; g; depth++) {
      if (depth > MAX_DEPTH) throw new Error(`object ${guid.toString('hex')}: parent chain too deep or cyclic`);
      const rec = r.getHeader(g);
      if (!rec) throw new Error(`object ${g.toString('hex')} missing while deriving the DN of ${guid.toString('hex')}`);
      if (rec.parent === null) {
        rdns.push(...this.ncRdns(r, g));
        break;
      }
      rdns.push([{ type: displayType(this.types.nameOf(rec.rdnType)), value: rec.name }]);
      g = rec.parent;
    }
    return rdns;
  }

  /** NC names never change (NC heads are not renamed here), so their parsed form is kept. */
  private readonly ncNames = new Map<string, RDN[]>();
  ncRdns(r: ReadTxn, head: Buffer): RDN[] {
    const k = head.toString('latin1');
    let v = this.ncNames.get(k);
    if (!v) this.ncNames.set(k, (v = parseDN(r.getObject(head)!.ncName!)));
    return v;
  }

  dnOf(r: ReadTxn, guid: Buffer): string {
    return formatDN(this.rdnsOf(r, guid));
  }

  /**
   * DN derivation over one snapshot for one synchronous stretch of work (a GetNCChanges reply):
   * every DN derived is kept, so the objects of one container climb their ancestors once.
   * Gives the same strings as dnOf. Not to be kept past the stretch (renames).
   */
  cached(r: ReadTxn): DnCache {
    const memo = new Map<string, string>();
    const named = (guid: Buffer, parent: Buffer | null, rdnType: number, name: string, depth: number): string => {
      if (parent === null) return formatDN(this.ncRdns(r, guid));
      const rdn = formatRDN([{ type: displayType(this.types.nameOf(rdnType)), value: name }]);
      const above = of(parent, depth + 1, guid);
      return above === '' ? rdn : `${rdn},${above}`;
    };
    const of = (g: Buffer, depth: number, below: Buffer): string => {
      const k = g.toString('latin1');
      let dn = memo.get(k);
      if (dn !== undefined) return dn;
      if (depth > MAX_DEPTH) throw new Error(`object ${below.toString('hex')}: parent chain too deep or cyclic`);
      const h = r.getHeader(g);
      if (!h) throw new Error(`object ${g.toString('hex')} missing while deriving the DN of ${below.toString('hex')}`);
      memo.set(k, (dn = named(g, h.parent, h.rdnType, h.name, depth)));
      return dn;
    };
    return {
      dnOf: (guid) => of(guid, 0, guid),
      dnOfNamed: (guid, n) => named(guid, n.parent, n.rdnType, n.name, 0),
    };
  }

  /**
   * Resolves a DN to an object: the longest NC name that is a suffix of the DN finds the NC
   * head, then each further RDN is looked up among the children of the object above it.
   */
  resolve(r: ReadTxn, dn: string | RDN[]): Resolution {
    const rdns = typeof dn === 'string' ? parseDN(dn) : dn;
    const res = this.resolveRdns(r, rdns, true);
    // the store's NC name hints know what this process filed: a miss is checked against the DN index itself
    return res.found ? res : this.resolveRdns(r, rdns, false);
  }

  private resolveRdns(r: ReadTxn, rdns: RDN[], hinted: boolean): Resolution {
    if (rdns.some((x) => x.length !== 1)) return { found: false, reason: 'multi-valued-rdn' };
    let guid: Buffer | undefined;
    // the longest suffix that names an NC head: normalize each RDN once, join suffixes
    const norms = rdns.map((x) => normalizeDN([x]));
    let i = 0;
    let suffix = '';
    const suffixes: string[] = new Array(rdns.length);
    for (let k = rdns.length - 1; k >= 0; k--) suffixes[k] = suffix = suffix === '' ? norms[k]! : `${norms[k]},${suffix}`;
    for (i = 0; i < rdns.length; i++) {
      guid = r.ncHeadByNormalizedName(suffixes[i]!, hinted);
      if (guid) break;
    }
    if (!guid) return { found: false, reason: 'no-nc' };
    for (let j = i - 1; j >= 0; j--) {
      const ava = rdns[j]![0]!;
      const child = r.childEntry(guid, ava.value);
      if (!child || !this.sameType(child.rdnType, ava.type)) return { found: false, matched: guid, reason: 'no-object' };
      guid = child.guid;
    }
    return { found: true, guid };
  }

  private sameType(attid: number, type: string): boolean {
    const id = this.types.idOf(type);
    return id !== undefined && id === attid;
  }
}

/** Attribute types in derived DNs are written as Active Directory writes them: upper case short names (CN, OU, DC). */
function displayType(name: string): string {
  return name.length <= 2 ? name.toUpperCase() : name;
}
