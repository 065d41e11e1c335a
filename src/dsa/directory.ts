// The directory service agent's state: the store, the forest's facts, the schema in force,
// and the naming machinery every operation shares. Operations live in their own modules
// (add.ts, modify.ts, search.ts, …) and receive a Directory.
import type { DcStateSlot } from './dc-state.js';
import { reconcileTupleIndexes, reconcileValueIndexes } from './index-catalog.js';
import { Store, type ReadTxn, type StoreOptions } from '../store/store.js';
import type { ObjectRecord } from '../store/record.js';
import { DnDeriver, type Resolution } from './names.js';
import { SchemaBinding } from './schema-binding.js';
import { SchemaSnapshot } from '../schema/snapshot.js';
import { loadBootstrapSchema } from '../schema/bootstrap.js';
import { PrefixTable } from '../schema/prefix-table.js';
import type { DSName, SyntaxContext } from '../schema/syntaxes/syntax.js';
import { trySidFromString } from '../schema/syntaxes/index.js';
import { InvalidDNError, formatDN, type RDN } from '../dn/dn.js';
import { guidFromString, guidToString } from '../util/guid.js';
import { systemClock, type Clock } from '../util/time.js';
import { AdError } from './errors.js';
import { bootstrapSchemaBinding, schemaFromStore } from './schema-load.js';
import type { RidPoolSettings } from './rid-set.js';
import { EncodedEntryCache, DEFAULT_ENTRY_CACHE_SIZE } from './search/entry-cache.js';
import { TokenCache } from './access/token-cache.js';
import { principalRecord } from './access/group-walk.js';
import { splitFacts, type DcFacts, type ForestFacts, type ProvisionedFacts } from './model/forest.js';

/** The forest and this DC, as provisioning left them (meta key "forest"): both kinds of facts in one record. */
export type ForestInfo = ProvisionedFacts;

export interface DirectoryOptions {
  clock?: Clock;
  /** options for the store Directory.open opens */
  store?: Pick<StoreOptions, 'ackBeforeFlush' | 'follower'>;
  /** entries per map of the DN ↔ GUID name cache (names.ts NameCache; default NAME_CACHE_ENTRIES, 0: off) */
  nameCacheEntries?: number;
  /** entries of the encoded-entry cache (search/entry-cache.ts); default DEFAULT_ENTRY_CACHE_SIZE, 0 = off */
  entryCacheSize?: number;
  /** whether binds remember accounts' tokens (access/token-cache.ts); default true */
  tokenCache?: boolean;
}

/** Attributes that are always present on an object but kept in the record, not in attrs. */
export const RECORD_ATTRIBUTES = ['objectGUID', 'uSNCreated', 'uSNChanged', 'whenChanged', 'distinguishedName'] as const;

export class Directory {
  schema: SchemaBinding;
  readonly names: DnDeriver;
  readonly clock: Clock;
  /** RID pools of this DC (src/dsa/rid-set.ts): the RID Master's block size, the hook that asks for a block */
  readonly ridPools: RidPoolSettings = {};
  /** search result attributes already encoded, by object, request and requester (search/entry-cache.ts) */
  readonly entryCache: EncodedEntryCache;
  /** the security context of the accounts bound lately (bind.ts identityOf; token-cache.ts says when an entry is served) */
  readonly tokens: TokenCache;
  /** the modules' per-DC state (dc-state.ts), by slot */
  private readonly states = new Map<DcStateSlot<unknown>, unknown>();

  /** This DC's state of `slot` (dc-state.ts), made at first use. */
  state<T>(slot: DcStateSlot<T>): T {
    const known = this.states.get(slot);
    if (known !== undefined || this.states.has(slot)) return known as T;
    const v = slot.make(this);
    this.states.set(slot, v);
    return v;
  }

  private constructor(
    readonly store: Store,
    readonly forest: ForestInfo,
    schema: SchemaBinding,
    opts: DirectoryOptions,
    boot?: SchemaBinding,
  ) {
    this.schema = schema;
    this.boot = boot;
    this.clock = opts.clock ?? systemClock;
    this.entryCache = new EncodedEntryCache(opts.entryCacheSize ?? DEFAULT_ENTRY_CACHE_SIZE);
    this.tokens = new TokenCache(opts.tokenCache ?? true);
    this.names = new DnDeriver(
      {
        nameOf: (id) => this.schema.attrById(id)?.name ?? `${id}`,
        idOf: (t) => this.schema.attr(t)?.id,
        tag: () => this.schema,
      },
      opts.nameCacheEntries === undefined ? {} : { cacheEntries: opts.nameCacheEntries },
    );
    store.setIndexer((rec) => this.schema.indexer(rec));
    store.setTupleIndexer((rec) => this.schema.tupleIndexer(rec));
    // the records a bind's group walk reads move the principal epoch (the token cache's tag)
    store.setPrincipalClassifier((rec) => principalRecord(this, rec));
    // a failed build leaves the attribute without a built tuple index: its searches walk (correct, slower)
    this.tupleIndexes = reconcileTupleIndexes(this).catch(() => {});
    // a failed build leaves the attribute's value index unbuilt: its searches walk (index-catalog.ts)
    this.valueIndexes = reconcileValueIndexes(this).catch(() => {});
    // each distinct nTSecurityDescriptor stored once (AD's SD table)
    store.setSecurityDescriptorAttribute(schema.attr('nTSecurityDescriptor')!.id);
  }

  /** Opens a provisioned data directory. */
  static open(dataDir: string, opts: DirectoryOptions = {}): Directory {
    const store = Store.open(dataDir, opts.store);
    try {
      const forest = store.getMeta<ForestInfo>('forest');
      if (!forest) throw Object.assign(new Error(`${dataDir}: provisioning did not finish (no forest record); provision again into an empty directory`), { code: 'ERR_NOT_PROVISIONED' });
      const prefix = PrefixTable.fromJSON(store.getMeta('prefixTable') as never);
      const boot = bootstrapSchemaBinding();
      const snapshot = schemaFromStore(store, forest, prefix, boot);
      return new Directory(store, forest, new SchemaBinding(snapshot), opts, boot);
    } catch (e) {
      void store.close();
      throw e;
    }
  }

  /** A new directory over a new store, for provisioning: the schema is the bootstrap schema. */
  static createForProvisioning(store: Store, forest: ForestInfo, opts: DirectoryOptions = {}): Directory {
    const boot = loadBootstrapSchema(new PrefixTable());
    const snapshot = new SchemaSnapshot(boot.attributes, boot.classes, boot.prefixTable);
    return new Directory(store, forest, new SchemaBinding(snapshot), opts);
  }

  /** The bundled schema's binding, which decodes schema objects (schema-load.ts); built on first use. */
  get bootSchema(): SchemaBinding {
    return (this.boot ??= bootstrapSchemaBinding());
  }
  private boot: SchemaBinding | undefined;

  /**
   * Rebuilds the schema cache from the schema NC with the stored prefix table and swaps it in
   * (the schema cache update of schemaUpdateNow, MS-ADTS 3.1.1.3.3; after a replicated schema
   * cycle; in a read worker whose writer's schema moved).
   */
  reloadSchema(): void {
    // a join's store has no stored prefix table until it ends: the one in force then
    const stored = this.store.getMeta('prefixTable');
    const prefix = PrefixTable.fromJSON((stored ?? this.schema.snapshot.prefixTable.toJSON()) as never);
    this.setSchema(schemaFromStore(this.store, this.forest, prefix, this.bootSchema));
  }

  /** Swaps in a new schema (after a schema update or schemaUpdateNow). */
  setSchema(snapshot: SchemaSnapshot): void {
    this.schema = new SchemaBinding(snapshot);
    this.tupleIndexes = reconcileTupleIndexes(this).catch(() => {});
    this.valueIndexes = reconcileValueIndexes(this).catch(() => {});
  }

  /** Settles when the value indexes the schema asks for are built (index-catalog.ts); never rejects. */
  get valueIndexesReady(): Promise<void> {
    return this.valueIndexes;
  }
  private valueIndexes: Promise<void>;

  /** Settles when the tuple indexes the schema asks for are built (index-catalog.ts); never rejects. */
  get tupleIndexesReady(): Promise<void> {
    return this.tupleIndexes;
  }
  private tupleIndexes: Promise<void>;

  close(): Promise<void> {
    return this.store.close();
  }

  /** The forest's facts apart from this DC's own (model/forest.ts). */
  get facts(): { forest: ForestFacts; dc: DcFacts } {
    return splitFacts(this.forest, this.store.dc.invocationId);
  }

  // ---- naming ---------------------------------------------------------------------------

  dnOf(r: ReadTxn, guid: Buffer): string {
    return this.names.dnOf(r, guid);
  }

  /**
   * Resolves a DN as a client sends it: an RFC 4514 DN, or one of AD's extended forms
   * <GUID=…>, <SID=…>, <WKGUID=guid,dn> (MS-ADTS 3.1.1.3.1.2.4 "Alternative Forms of DNs").
   * Returns undefined-free: throws noSuchObject (with the best match) or invalidDNSyntax.
   */
  resolve(r: ReadTxn, dn: string, place: string): Buffer {
    const res = this.tryResolve(r, dn);
    if (res.found) return res.guid;
    throw AdError.noSuchObject(place, res.matched ? this.dnOf(r, res.matched) : '');
  }

  /**
   * objectGUID of the subschema entry CN=Aggregate under the schema NC (MS-ADTS 3.1.1.3.1.4),
   * which every search needs: resolved once by name, then only checked to still exist.
   */
  subSchemaGuid(r: ReadTxn): Buffer | undefined {
    const memo = this.subSchemaMemo;
    if (memo && r.hasObject(memo)) return memo;
    const res = this.tryResolve(r, `CN=Aggregate,${this.forest.schemaDN}`);
    this.subSchemaMemo = res.found ? res.guid : undefined;
    return this.subSchemaMemo;
  }
  private subSchemaMemo: Buffer | undefined;

  tryResolve(r: ReadTxn, dn: string): Resolution {
    const t = dn.trim();
    if (t.startsWith('<')) return this.resolveExtended(r, t);
    // the DN as written is the name cache's key: one it resolved before is not parsed again
    try {
      return this.names.resolve(r, t);
    } catch (e) {
      if (e instanceof InvalidDNError) throw AdError.invalidDNSyntax('dsa.resolve', e.message);
      throw e;
    }
  }

  private resolveExtended(r: ReadTxn, dn: string): Resolution {
    // <GUID=…>, <SID=…>, <WKGUID=…,dn>; several may be joined by ';' (the extended DN output form) — use the first
    const m = /^<(GUID|SID|WKGUID)=([^>]*)>(?:;.*)?$/i.exec(dn);
    if (!m) throw AdError.invalidDNSyntax('dsa.resolveExtended', `unrecognized extended DN form ${JSON.stringify(dn)}`);
    const kind = m[1]!.toUpperCase();
    const val = m[2]!;
    if (kind === 'GUID') {
      let g: Buffer;
      try {
        g = /^[0-9a-f]{32}$/i.test(val) ? Buffer.from(val, 'hex') : guidFromString(val);
      } catch {
        throw AdError.invalidDNSyntax('dsa.resolveGuid', `bad GUID in ${JSON.stringify(dn)}`);
      }
      return r.hasObject(g) ? { found: true, guid: g } : { found: false, reason: 'no-object' };
    }
    if (kind === 'SID') {
      let sid: Buffer;
      try {
        const parsed = /^S-/i.test(val) ? trySidFromString(val) : Buffer.from(val, 'hex');
        if (!parsed) throw new Error('bad SID');
        sid = Buffer.from(parsed);
      } catch {
        throw AdError.invalidDNSyntax('dsa.resolveSid', `bad SID in ${JSON.stringify(dn)}`);
      }
      const info = this.schema.attr('objectSid')!;
      const key = info.syntax.normalize(sid);
      for (const g of r.indexEqual(Buffer.concat([u32(info.id), key]))) return { found: true, guid: g };
      return { found: false, reason: 'no-object' };
    }
    // WKGUID: <WKGUID=guid,container-dn> — the object named by the container's wellKnownObjects value with that GUID (MS-ADTS 3.1.1.1.6)
    const comma = val.indexOf(',');
    if (comma < 0) throw AdError.invalidDNSyntax('dsa.resolveWkguid', `bad WKGUID form ${JSON.stringify(dn)}`);
    const wk = val.slice(0, comma).toLowerCase().replace(/-/g, '');
    const container = this.tryResolve(r, val.slice(comma + 1));
    if (!container.found) return container;
    const rec = r.getObject(container.guid)!;
    for (const name of ['wellKnownObjects', 'otherWellKnownObjects']) {
      const info = this.schema.attr(name)!;
      const values = (rec.attrs.find((a) => a.id === info.id)?.values ?? []) as { ref: DSName; binary: Uint8Array }[];
      for (const v of values) {
        if (Buffer.from(v.binary).toString('hex') === wk && r.hasObject(Buffer.from(v.ref.guid))) return { found: true, guid: Buffer.from(v.ref.guid) };
      }
    }
    return { found: false, matched: container.guid, reason: 'no-object' };
  }

  /** The syntax context for values read or written in `r`; `dnOf` in place of dnOfRef (an operation's own DN memo, object-view.ts ReadContext). */
  syntaxContext(r: ReadTxn, place = 'dsa.value', dnOf?: (ref: DSName) => string): SyntaxContext {
    return {
      resolveDN: (dn: string): DSName => {
        const guid = this.resolve(r, dn, place);
        const rec = r.getObject(guid)!;
        const sidAttr = this.schema.attr('objectSid')!;
        const sid = rec.attrs.find((a) => a.id === sidAttr.id)?.values[0] as Uint8Array | undefined;
        return sid ? { guid, sid } : { guid };
      },
      dnOf: dnOf ?? ((ref: DSName): string => this.dnOfRef(r, ref)),
      oidOf: (nameOrOid: string) => {
        const s = this.schema.snapshot;
        const a = s.resolveAttribute(nameOrOid);
        if (a) return a.attributeID;
        const c = s.resolveClass(nameOrOid);
        if (c) return c.governsID;
        return /^\d+(\.\d+)+$/.test(nameOrOid) ? nameOrOid : undefined;
      },
      ldapNameOf: (oid: string) => {
        const s = this.schema.snapshot;
        return s.attributeByOid(oid)?.lDAPDisplayName ?? s.classByOid(oid)?.lDAPDisplayName;
      },
    };
  }

  /** The DN of the object `ref` names in `r`; when `r` has none, the DN the reference carries, or its `<GUID=…>` form. */
  dnOfRef(r: ReadTxn, ref: DSName): string {
    const g = Buffer.from(ref.guid);
    if (r.hasObject(g)) return this.dnOf(r, g);
    return ref.dn ?? `<GUID=${guidToString(g)}>`;
  }

  /** The NC an object named by `guid` lies in, as the NC head's GUID. */
  ncOf(rec: ObjectRecord): Buffer {
    return rec.nc;
  }

  formatDN(rdns: RDN[]): string {
    return formatDN(rdns);
  }
}

const u32 = (n: number) => {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
};
