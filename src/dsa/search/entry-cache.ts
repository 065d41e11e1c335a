// The encoded-entry cache: the BER of a search result entry's PartialAttributeList (RFC 4511
// 4.5.2), kept per object, request and requester, and served again while what it was built from
// is stored alike (in the spirit of OpenLDAP back-mdb's entry cache). One per Directory.
//
// What an entry's attributes depend on, and how each is part of the key or the version:
//   - the selection (attributes named, ";binary", ";range="), typesOnly, MaxValRange: the key
//     (a selection is parsed once per schema binding, entry.ts selectionFor);
//   - the requester's token (its SIDs, privileges): the key, through a key per distinct token;
//   - the schema (attribute syntaxes, OID names, searchFlags, property sets): the cache is emptied
//     whenever the Directory's schema binding changes (schema reload, MS-ADTS 3.1.1.3.3);
//   - the stored values and the access decision on each attribute (MS-ADTS 3.1.1.4.3: the
//     object's nTSecurityDescriptor, its class, its objectSid for the self SID): the version,
//     the packed bytes of the selected attributes and of nTSecurityDescriptor (a content hash
//     of the SD, store.ts sdRef), objectClass and objectSid, compared on every hit. Any write of
//     them — an originating update, a replicated one, an SD propagation — changes the bytes.
// Never cached (the selection or the search is then served the ordinary way): '*' and '+'
// selections, link and back-link attributes (memberOf changes without its object's record),
// constructed attributes, the attributes kept in the record (objectGUID, uSNChanged, …,
// distinguishedName), nTSecurityDescriptor, syntaxes that name other objects (Object(DS-DN) and
// the other Object(…) syntaxes: their values follow renames), searches with the extended-DN
// control, the subSchema entry, and every search while an SD propagation may be pending (reads
// then see the SDs the propagation will store, sd-propagator.ts).
import type { SchemaBinding } from '../schema-binding.js';
import type { SecurityToken } from '../../security/token.js';
import type { Selection } from './entry.js';
import type { LazyObjectRecord } from '../../store/record.js';
import { RECORD_ATTRIBUTES } from '../directory.js';
import { isSupportedConstructed } from './constructed.js';
import { BerWriter } from '../../ber/writer.js';
import { sameGuid } from './scope.js';

/** Entries kept by default (FORESTD_ENTRY_CACHE_SIZE, DirectoryOptions.entryCacheSize); 0 = no cache. */
export const DEFAULT_ENTRY_CACHE_SIZE = 20_000;

interface Entry {
  /** what the entry is: its plan's prefix and the object (the numeric key is only a hash of them) */
  prefix: string;
  guid: Buffer;
  /** the packed bytes the entry was built from (LazyObjectRecord.packedVersion) */
  version: Buffer;
  ber: Buffer;
}

/** What a cacheable selection reads: its id in the keys, and the attributes of the version. */
export interface CachePlan {
  readonly prefix: string;
  /** a small number for the prefix (the high part of the entries' keys) */
  readonly id: number;
  readonly versionIds: readonly number[];
}

/**
 * The key of an entry: the plan's number and a 32-bit hash of the objectGUID, as one number (no
 * string built and hashed per entry). Two entries may share a key: an entry is served only for its
 * own prefix and objectGUID, and a set replaces whatever had the key.
 */
export function entryKey(plan: CachePlan, guid: Buffer): number {
  const h = (guid.readUInt32LE(0) ^ guid.readUInt32LE(4) ^ guid.readUInt32LE(8) ^ guid.readUInt32LE(12)) >>> 0;
  return plan.id * 0x1_0000_0000 + h;
}
/** plan numbers stay below this (keys exact as doubles); past it they start again (entries are checked by prefix) */
const PLAN_IDS = 0x10_0000;

export class EncodedEntryCache {
  /** hits and misses since the cache was made (tests, diagnostics) */
  hits = 0;
  misses = 0;
  private capacityNow: number;
  private readonly entries = new Map<number, Entry>();
  /** plan prefix → its number */
  private readonly planIds = new Map<string, number>();
  private binding: SchemaBinding | undefined;
  private selections = new WeakMap<Selection, { id: number; ids: number[] } | null>();
  private nextSelection = 0;
  /** token → its key (sids and privileges); tokens of one account made at different binds share it */
  private tokenKeys = new WeakMap<SecurityToken, string>();
  private readonly tokenIds = new Map<string, number>();
  private nextToken = 0;
  /** the writer misses are encoded with (synchronously: one per Directory serves every search) */
  readonly writer = new BerWriter(1024);

  constructor(capacity: number = DEFAULT_ENTRY_CACHE_SIZE) {
    this.capacityNow = Math.max(0, capacity);
  }

  /** The most entries kept; setting it empties the cache (0 turns it off). */
  get capacity(): number {
    return this.capacityNow;
  }
  set capacity(n: number) {
    this.capacityNow = Math.max(0, n);
    this.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.last = undefined;
    this.entries.clear();
    this.planIds.clear();
    this.tokenIds.clear();
    this.tokenKeys = new WeakMap();
    this.selections = new WeakMap();
  }

  /**
   * The plan for one search: undefined when the cache is off or the selection has an attribute
   * it never caches. `schema` is the binding the search reads with (a new one empties the cache).
   */
  planFor(schema: SchemaBinding, sel: Selection, token: SecurityToken | undefined, typesOnly: boolean, maxValRange: number): CachePlan | undefined {
    if (this.capacityNow === 0) return undefined;
    if (this.binding !== schema) {
      this.clear();
      this.binding = schema;
    }
    // a connection repeats its request: the last plan when it was made for the same inputs (cleared with the cache)
    const last = this.last;
    if (last !== undefined && last.sel === sel && last.token === token && last.typesOnly === typesOnly && last.maxValRange === maxValRange) return last.plan;
    let s = this.selections.get(sel);
    if (s === undefined) {
      s = cacheableIds(schema, sel);
      if (s) s.id = this.nextSelection++;
      this.selections.set(sel, s);
    }
    if (!s) return undefined;
    const prefix = `${s.id}:${this.tokenId(token)}:${typesOnly ? 1 : 0}:${maxValRange}:`;
    let id = this.planIds.get(prefix);
    if (id === undefined) {
      if (this.planIds.size >= PLAN_IDS) this.planIds.clear();
      this.planIds.set(prefix, (id = this.planIds.size));
    }
    const plan = { prefix, id, versionIds: s.ids };
    this.last = { sel, token, typesOnly, maxValRange, plan };
    return plan;
  }
  private last: { sel: Selection; token: SecurityToken | undefined; typesOnly: boolean; maxValRange: number; plan: CachePlan } | undefined;

  /** The entry's BER when `rec`'s attributes `ids` are stored as when it was built; undefined otherwise (a miss). */
  get(plan: CachePlan, guid: Buffer, rec: LazyObjectRecord): Buffer | undefined {
    const e = this.entries.get(entryKey(plan, guid));
    if (e && e.prefix === plan.prefix && sameGuid(e.guid, guid) && rec.packedVersionIs(plan.versionIds, e.version)) {
      this.hits++;
      return e.ber;
    }
    this.misses++;
    return undefined;
  }

  set(plan: CachePlan, guid: Buffer, version: Buffer, ber: Buffer): void {
    if (this.capacityNow === 0) return;
    const key = entryKey(plan, guid);
    if (!this.entries.delete(key) && this.entries.size >= this.capacityNow) {
      // the oldest entry made room for (insertion order)
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { prefix: plan.prefix, guid: Buffer.from(guid), version, ber });
  }

  private tokenId(token: SecurityToken | undefined): number {
    if (!token) return -1; // the system's own reads: no access checks
    let k = this.tokenKeys.get(token);
    if (k === undefined) {
      k = `${[...token.sids].sort().join(',')}|${[...token.privileges].sort().join(',')}|${token.anonymous ? 1 : 0}|${token.user.toString('hex')}`;
      this.tokenKeys.set(token, k);
    }
    let id = this.tokenIds.get(k);
    if (id === undefined) {
      if (this.tokenIds.size >= this.capacityNow) this.clear(); // many distinct requesters: start again
      this.tokenIds.set(k, (id = this.nextToken++));
    }
    return id;
  }
}

/**
 * The attribute ids of a cacheable selection's version: the named attributes, then those the
 * access check reads (nTSecurityDescriptor, objectClass, objectSid); null when it is not cacheable.
 */
function cacheableIds(schema: SchemaBinding, sel: Selection): { id: number; ids: number[] } | null {
  if (sel.allUser || sel.operational || sel.named.length === 0) return null;
  const ids: number[] = [];
  for (const req of sel.named) {
    const info = req.info;
    if (info.constructed || isSupportedConstructed(info.name)) return null;
    if (info.forwardLinkId !== undefined || info.backLinkOf) return null;
    if ((RECORD_ATTRIBUTES as readonly string[]).includes(info.name) || info.name === 'nTSecurityDescriptor') return null;
    if (info.syntax.name.startsWith('Object(')) return null;
    ids.push(info.id);
  }
  for (const n of ['nTSecurityDescriptor', 'objectClass', 'objectSid']) {
    const info = schema.attr(n);
    if (!info) return null;
    ids.push(info.id);
  }
  return { id: 0, ids };
}
