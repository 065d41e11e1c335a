// DNs of objects, derived and resolved (MS-ADTS 3.1.1.1.4): an object's DN is its RDN
// (rdnType=name) followed by its parent's DN; an NC head's DN is its NC name. No record stores
// a DN, so renaming or moving a subtree rewrites one object; the name cache (NameCache) keeps
// derived DNs and resolutions across operations, tagged with the store's naming epoch.
import { escapeRDNValue, formatDN, normalizeDN, parseDN, type RDN } from '../dn/dn.js';
import type { ReadTxn } from '../store/store.js';
import type { RecordNaming } from '../store/record.js';

export interface RdnTypes {
  /** lDAPDisplayName of the RDN attribute `attid` (e.g. 3 → "cn") */
  nameOf(attid: number): string;
  /** ATTRTYP of the attribute named by an AVA type (lDAPDisplayName or OID), if the schema knows it */
  idOf(type: string): number | undefined;
  /** the schema in force (an object that changes when the schema is swapped): name-cache entries are kept per schema */
  tag?(): unknown;
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

/** Entries the name cache keeps in each of its maps by default (DirectoryOptions.nameCacheEntries, FORESTD_NAME_CACHE_ENTRIES). */
export const NAME_CACHE_ENTRIES = 50_000;

/**
 * A bounded map in two generations: entries go to the young one; a hit in the old one moves
 * there too; when the young one is full it becomes the old one and the old one is dropped. So
 * what was used since the last turn survives it (a clock with one bit), at one Map get per hit.
 */
class Generations<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  constructor(private half: number) {}
  get(k: string): V | undefined {
    const v = this.young.get(k);
    if (v !== undefined) return v;
    const o = this.old.get(k);
    if (o !== undefined) this.set(k, o);
    return o;
  }
  set(k: string, v: V): void {
    if (this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(k, v);
  }
  clear(): void {
    this.young = new Map();
    this.old = new Map();
  }
  get size(): number {
    return this.young.size + this.old.size;
  }
}

/** How a read may use the name cache: not at all (0), read it (1), or read it and keep what it derives (2). */
export type NameCacheUse = 0 | 1 | 2;
const NONE = 0;
const READ = 1;
const KEEP = 2;

/**
 * DNs and GUIDs of objects across operations, for one DC (Directory.names.cache): the DN
 * (as a client wrote it, or normalized) → objectGUID of DN resolution, and objectGUID → derived
 * DN. Positive entries only. What invalidates it: the store's naming epoch (store.ts "Naming
 * epoch"), which every rename, move, delete, undelete, replicated rename and removal moves in
 * the transaction that makes it, and a schema swap (DNs spell RDN attributes by lDAPDisplayName,
 * resolution checks AVA types against the schema). The cache holds entries of one epoch: a
 * snapshot of that epoch reads and fills it, a snapshot of a newer one empties it and starts
 * over, an older snapshot (a long paged search begun before a rename) neither reads nor fills
 * it, and a write transaction (whose state may not commit) only reads it, while its epoch is
 * still the cache's. Bounded: `limit` entries per map (0: off).
 */
export class NameCache {
  private epoch = -1;
  private tag: unknown;
  // set by resize (the constructor's too)
  private limit!: number;
  private byText!: Generations<Buffer>;
  private byNorm!: Generations<Buffer>;
  private byGuid!: Generations<string>;
  /** lookups answered from the cache, and those that were not (tests, metrics) */
  readonly stats = { hits: 0, misses: 0 };

  constructor(limit: number) {
    this.resize(limit);
  }

  /** Sets the bound (entries per map; 0 turns the cache off) and empties the cache. */
  resize(limit: number): void {
    this.limit = limit;
    const half = Math.max(1, Math.ceil(limit / 2));
    this.byText = new Generations(half);
    this.byNorm = new Generations(half);
    this.byGuid = new Generations(half);
    this.epoch = -1;
  }

  get size(): number {
    return this.byText.size + this.byNorm.size + this.byGuid.size;
  }

  /** @internal how `r` may use the cache under the schema `tag` (see the class comment) */
  access(r: ReadTxn, tag: unknown): NameCacheUse {
    if (this.limit === 0) return NONE;
    const e = r.namingEpoch();
    const committed = r.committedView;
    if (e === this.epoch && tag === this.tag) return committed ? KEEP : READ;
    if (!committed || (e < this.epoch && tag === this.tag)) return NONE;
    // a newer epoch, or another schema: everything kept was derived under other names
    this.byText.clear();
    this.byNorm.clear();
    this.byGuid.clear();
    this.epoch = e;
    this.tag = tag;
    return KEEP;
  }

  /** @internal */ guidOfText(dn: string): Buffer | undefined {
    return this.count(this.byText.get(dn));
  }
  /** @internal */ guidOfNormalized(dn: string): Buffer | undefined {
    return this.count(this.byNorm.get(dn));
  }
  /** @internal */ dnOf(key: string): string | undefined {
    return this.count(this.byGuid.get(key));
  }
  /** @internal */ keepText(dn: string, guid: Buffer): void {
    this.byText.set(dn, guid);
  }
  /** @internal */ keepNormalized(dn: string, guid: Buffer): void {
    this.byNorm.set(dn, guid);
  }
  /** @internal */ keepDn(key: string, dn: string): void {
    this.byGuid.set(key, dn);
  }

  private count<V>(v: V | undefined): V | undefined {
    if (v === undefined) this.stats.misses++;
    else this.stats.hits++;
    return v;
  }
}

export interface DnDeriverOptions {
  /** entries per map of the name cache (NAME_CACHE_ENTRIES when not given; 0: no cache) */
  cacheEntries?: number;
}

export class DnDeriver {
  /** DN resolutions and derivations shared by every operation of the DC (see NameCache) */
  readonly cache: NameCache;

  constructor(
    private readonly types: RdnTypes,
    opts: DnDeriverOptions = {},
  ) {
    this.cache = new NameCache(opts.cacheEntries ?? NAME_CACHE_ENTRIES);
  }

  /** NC names never change (NC heads are not renamed here), so their parsed and formatted forms are kept. */
  private readonly ncNames = new Map<string, { rdns: RDN[]; dn: string }>();
  ncRdns(r: ReadTxn, head: Buffer): RDN[] {
    return this.ncName(r, head.toString('latin1'), head).rdns;
  }
  private ncName(r: ReadTxn, k: string, head: Buffer): { rdns: RDN[]; dn: string } {
    let v = this.ncNames.get(k);
    if (!v) {
      const rdns = parseDN(r.getObject(head)!.ncName!);
      this.ncNames.set(k, (v = { rdns, dn: formatDN(rdns) }));
    }
    return v;
  }

  dnOf(r: ReadTxn, guid: Buffer): string {
    const dn = this.dnByKey(r, guid.toString('latin1'), guid);
    if (dn === undefined) throw new Error(`object ${guid.toString('hex')} missing while deriving its DN`);
    return dn;
  }

  /**
   * The DN of object `guid` (`key`: its latin1 form) in snapshot `r`, undefined when `r` has no
   * such object. `naming`: the object's naming fields when its record is at hand (not read
   * again); `memo`: DNs derived by this operation, read and filled (kept while the name cache
   * cannot be, e.g. for a snapshot older than it). An object's DN is its RDN (rdnType=name)
   * followed by its parent's DN; an NC head's is its NC name (MS-ADTS 3.1.1.1.4).
   */
  dnByKey(r: ReadTxn, key: string, guid: Buffer, naming?: RecordNaming, memo?: Map<string, string>): string | undefined {
    const tag = this.types.tag?.();
    if (tag !== this.prefixTag) {
      this.prefixes.clear();
      this.prefixTag = tag;
    }
    return this.derive(r, this.cache.access(r, tag), key, guid, naming, memo, 0, guid);
  }

  private derive(r: ReadTxn, use: NameCacheUse, k: string, guid: Buffer, naming: RecordNaming | undefined, memo: Map<string, string> | undefined, depth: number, below: Buffer): string | undefined {
    let dn = memo?.get(k);
    if (dn !== undefined) return dn;
    if (use !== NONE) {
      dn = this.cache.dnOf(k);
      if (dn !== undefined) {
        memo?.set(k, dn);
        return dn;
      }
    }
    const h = naming ?? r.getNaming(guid);
    if (!h) return undefined;
    if (h.parentKey === null) dn = this.ncName(r, k, guid).dn;
    else {
      if (depth > MAX_DEPTH) throw new Error(`object ${below.toString('hex')}: parent chain too deep or cyclic`);
      const pk = h.parentKey;
      const parent = Buffer.from(pk, 'latin1');
      const above = this.derive(r, use, pk, parent, undefined, memo, depth + 1, below);
      if (above === undefined) throw new Error(`object ${parent.toString('hex')} missing while deriving the DN of ${below.toString('hex')}`);
      const rdn = `${this.rdnPrefix(h.rdnType)}${escapeRDNValue(h.name)}`;
      dn = above === '' ? rdn : `${rdn},${above}`;
    }
    if (memo) {
      if (memo.size > 50_000) memo.clear();
      memo.set(k, dn);
    }
    if (use === KEEP) this.cache.keepDn(k, dn);
    return dn;
  }

  /** "CN=" for rdnType cn: attribute types in derived DNs are written as AD writes them, short names upper-cased (CN, OU, DC). */
  private rdnPrefix(rdnType: number): string {
    let p = this.prefixes.get(rdnType);
    if (p === undefined) {
      const name = this.types.nameOf(rdnType);
      p = `${name.length <= 2 ? name.toUpperCase() : name}=`;
      this.prefixes.set(rdnType, p);
    }
    return p;
  }
  private readonly prefixes = new Map<number, string>();
  private prefixTag: unknown;

  /**
   * DN derivation over one snapshot for one synchronous stretch of work (a GetNCChanges reply):
   * every DN derived is kept, so the objects of one container climb their ancestors once.
   * Gives the same strings as dnOf. Not to be kept past the stretch (renames).
   */
  cached(r: ReadTxn): DnCache {
    const memo = new Map<string, string>();
    return {
      dnOf: (guid) => {
        const dn = this.dnByKey(r, guid.toString('latin1'), guid, undefined, memo);
        if (dn === undefined) throw new Error(`object ${guid.toString('hex')} missing while deriving its DN`);
        return dn;
      },
      dnOfNamed: (guid, n) => this.dnByKey(r, guid.toString('latin1'), guid, { parentKey: n.parent ? n.parent.toString('latin1') : null, rdnType: n.rdnType, name: n.name }, memo)!,
    };
  }

  /**
   * Resolves a DN to an object: the longest NC name that is a suffix of the DN finds the NC
   * head, then each further RDN is looked up among the children of the object above it. A DN
   * (as written, or any suffix normalized) resolved before under the snapshot's naming epoch is
   * answered from the name cache. The GUID returned may be the cache's: callers must not modify it.
   */
  resolve(r: ReadTxn, dn: string | RDN[]): Resolution {
    const use = this.cache.access(r, this.types.tag?.());
    const text = typeof dn === 'string' ? dn : undefined;
    if (text !== undefined && use !== NONE) {
      const guid = this.cache.guidOfText(text);
      if (guid) return { found: true, guid };
    }
    const rdns = typeof dn === 'string' ? parseDN(dn) : dn;
    let res = this.resolveRdns(r, rdns, true, use);
    // the store's NC name hints know what this process filed: a miss is checked against the DN index itself
    if (!res.found) res = this.resolveRdns(r, rdns, false, use);
    if (res.found && text !== undefined && use === KEEP) this.cache.keepText(text, res.guid);
    return res;
  }

  private resolveRdns(r: ReadTxn, rdns: RDN[], hinted: boolean, use: NameCacheUse): Resolution {
    if (rdns.some((x) => x.length !== 1)) return { found: false, reason: 'multi-valued-rdn' };
    let guid: Buffer | undefined;
    // the longest suffix that is cached or names an NC head: normalize each RDN once, join suffixes
    const norms = rdns.map((x) => normalizeDN([x]));
    let i = 0;
    let suffix = '';
    const suffixes: string[] = new Array(rdns.length);
    for (let k = rdns.length - 1; k >= 0; k--) suffixes[k] = suffix = suffix === '' ? norms[k]! : `${norms[k]},${suffix}`;
    let known = false;
    for (i = 0; i < rdns.length; i++) {
      if (use !== NONE && (guid = this.cache.guidOfNormalized(suffixes[i]!))) {
        known = true;
        break;
      }
      guid = r.ncHeadByNormalizedName(suffixes[i]!, hinted);
      if (guid) break;
    }
    if (!guid) return { found: false, reason: 'no-nc' };
    if (use === KEEP && !known) this.cache.keepNormalized(suffixes[i]!, guid);
    for (let j = i - 1; j >= 0; j--) {
      const ava = rdns[j]![0]!;
      const child = r.childEntry(guid, ava.value);
      if (!child || !this.sameType(child.rdnType, ava.type)) return { found: false, matched: guid, reason: 'no-object' };
      guid = child.guid;
      if (use === KEEP) this.cache.keepNormalized(suffixes[j]!, guid);
    }
    return { found: true, guid };
  }

  private sameType(attid: number, type: string): boolean {
    const id = this.types.idOf(type);
    return id !== undefined && id === attid;
  }
}
