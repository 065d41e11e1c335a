// The directory's embedded, transactional store on LMDB (npm `lmdb`).
//
// On-disk layout: one LMDB environment (data.mdb + lock.mdb in the data directory) with
// these named databases. GUIDs are the 16-byte MS-DTYP form; integers are big-endian so that
// byte order is numeric order.
//
//   meta       utf8 name                          → msgpack value
//                "format"   store format number (STORE_FORMAT)
//                "dc"       { serverGuid, invocationId, usn }  the DC tuple of MS-ADTS 3.1.1.1.9
//                "inv"      [invocationId, …]  the invocation table: stamps keep an index into it
//                "retired"  [{ invocationId, usn, time }]  invocationIds given up at a restore
//                "ncs"      [ncHeadGuid, …]    NC replicas held by this DC
//                "usnReserve" number: USNs below it may have been handed out (see "USNs" below)
//                "namingEpoch" number: moves (in the same write transaction) with every change of an
//                  object's naming fields: parent, RDN value, rdnType, NC name, or its removal (see
//                  "Naming epoch" below); absent = 0
//                "indexEpoch" number: moves (in the same write transaction) with every change of the
//                  value index `index` (see "Index epoch" below); absent = 0
//                "principalEpoch" number: moves (in the same write transaction) with every write of
//                  a link value and of a record the principal classifier marks (see "Principal
//                  epoch" below); absent = 0
//                other keys are owned by upper layers (prefix table, settings), see setMeta()
//   objects    objectGUID(16)                     → packed ObjectRecord (record.ts)
//   children   parentGUID(16) ‖ utf8(fold(name)) → childGUID(16) ‖ rdnType(u32)
//                the DN index: resolves DNs one RDN at a time and makes sibling names unique;
//                NC heads hang under the NULL GUID keyed by their folded NC name. Renaming or
//                moving a subtree rewrites one key.
//   usn        ncGUID(16) ‖ uSNChanged(u64) ‖ objectGUID(16) → (empty)
//                each object once, at its latest uSNChanged (objects of one update share a USN):
//                replication and DirSync walk it
//   index      attid(u32) ‖ normalized value       → objectGUID(16), duplicates sorted
//                value indexes; keys come from the upper layer's indexer (schema-aware),
//                values longer than MAX_INDEX_VALUE are cut and verified by the reader
//   tuples     attid(u32) ‖ UTF-16BE of 3 code units of the folded value → objectGUID(16), dups sorted
//                the tuple index (searchFlags fTUPLEINDEX) for medial and final substrings: every
//                3-unit window of each value; keys come from the upper layer's tuple indexer.
//                meta "tupleIndexes" lists the attids whose tuple keys are complete (built)
//   links      sourceGUID(16) ‖ linkID(u32) ‖ targetGUID(16) ‖ data → packed LinkValue
//                forward-link values with their LinkValueStamps, tombstoned values included
//   backlinks  targetGUID(16) ‖ linkID(u32) ‖ sourceGUID(16) ‖ data → (empty)
//                present values only (not tombstoned, not deactivated)
//   deactivated targetGUID(16) ‖ linkID(u32) ‖ sourceGUID(16) ‖ data → (empty)
//                the same key for values that are present but deactivated (Recycle Bin,
//                MS-ADTS 3.1.1.1.6): an undelete finds the values naming the object here.
//                Kept by putLink/removeLink: a value is in at most one of backlinks/deactivated.
//   linkwork   objectGUID(16) → mode(u8): 1 = remove, 2 = deactivate
//                delayed link processing (MS-ADTS 3.1.1.1.16): objects whose link values
//                (forward, and those naming them) are still to be removed/deactivated in
//                batches after the delete. While an object is queued, links() and
//                backlinks() already show its values as removed/deactivated; rawLinks() and
//                rawBacklinks() show the stored state (for the processor).
//
// One originating update is one call of write(): a single LMDB write transaction, committed
// and flushed before the returned promise resolves (MS-ADTS 3.1.1.1.9). Writes from many
// clients are batched into one LMDB commit (group commit); each write() body runs in its own
// nested transaction so that a body that throws leaves nothing behind. Readers use MVCC
// snapshots and never block the writer.
//
// Durable acknowledgement. lmdb-js (overlappingSync) resolves a transaction's promise when
// its commit is visible, and syncs it to disk afterwards, overlapping the next batch. write()
// resolves only after that sync: it chains the commit promise to env.flushed, the flush of the
// latest batch queued, which is ours or a later one (batches are flushed in order). Callers
// (the DSA, and through it the LDAP response) thus never acknowledge an update that a power
// loss could take back. The "forestd:store:durable" channel reports each such point.
//
// USNs. highestCommittedUsn moves only when a write has been flushed, so what the rootDSE
// shows never goes backwards. Objects become visible to readers at commit, before the flush,
// so a client may see a uSNChanged that a power loss takes back; to keep such a USN from being
// handed out again, USNs are taken only below meta "usnReserve", raised in blocks of
// USN_RESERVE_BLOCK by a write that is flushed before any USN beyond the old reserve is used.
// Opening a store starts dc.usn at the reserve: after a crash the USNs between the last
// durable update and the reserve are skipped (gaps are allowed, MS-ADTS 3.1.1.1.9 only asks
// that dc.usn increases); a clean close() lowers the reserve to dc.usn so that none are lost.
// A reservation is started when the queued updates come within half a block of the reserve;
// only one update taking more USNs than that while it is being flushed (a huge batch) can go
// past it: the reserve is then raised in that update itself ("forestd:store:usn-overrun").
//
// Naming epoch. putObject and removeObject, the only writers of `objects`, compare the naming
// fields of the old record with the new (parent, name, rdnType, ncName) and on any change
// (rename, move, delete's DEL: mangling, undelete, a replicated rename or CNF rename, removal
// by garbage collection) store a new meta "namingEpoch" in the same transaction, once per
// write() body. A snapshot whose epoch equals another's has the same DN ↔ GUID mapping for
// every object both hold (adding objects does not move it: a new object's names were no one's
// before; adding an NC head does, since the NC heads below an object are derived from the
// naming). DN caches (src/dsa/names.ts NameCache) tag what they keep with it. A new epoch is
// above both the stored one and every epoch this process has handed out (Store.epochTop), so an
// epoch of an aborted transaction is never seen again with other names.
//
// Index epoch. Every write of the value index `index` (putObject and removeObject through the
// indexer, rebuildValueIndexes) stores a new meta "indexEpoch" in the same transaction, once per
// write() body, chosen as the naming epoch is (above the stored one and every one this process
// handed out). Two snapshots with the same index epoch have the same value index, so the
// objects under one key read in one of them are those of the other: ReadTxn.indexGuids keeps
// the answers of small equality lookups per Store (no cursor: lmdb-js opens one per range
// read), tagged with the epoch they were read at, and serves them to snapshots of that epoch.
//
// Principal epoch. What a bind derives from the directory — a security context's groups
// (MS-ADTS 3.1.1.4.5.19, src/dsa/access/token.ts) — depends on link values (member and its back
// links) and on the records of a few classes of objects (groups and foreignSecurityPrincipals:
// their groupType, objectSid, sIDHistory, isDeleted), beyond the account's own record. Every
// write of the link tables (putLink, removeLink, queueLinkWork: a deleted object's values count
// as gone from that update on) and every putObject/removeObject of a record the upper layer's
// principal classifier marks (the old record or the new) stores a new meta "principalEpoch" in
// the same transaction, once per write() body, chosen as the naming epoch is. Two snapshots
// with the same principal epoch and naming epoch have the same memberships and the same group
// records, whatever else was written between them (a logon's lastLogonTimestamp, an account's
// password, new users): the token cache and the group walk's memo tag what they keep with it,
// so such writes no longer empty them (they did when tagged with the DC tuple's USN).
import { hash } from 'node:crypto';
import { open, type Database, type RootDatabase } from 'lmdb';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { channel } from 'node:diagnostics_channel';
import { foldValue, normalizeDN } from '../dn/dn.js';
import { NULL_GUID, newGuid, isNullGuid } from '../util/guid.js';
import {
  decodeLinkValue,
  decodeObject,
  readHeader,
  type RecordHeader,
  encodeLinkValue,
  encodeObject,
  packr,
  type InvocationTable,
  type LinkValue,
  type ObjectRecord,
  linkValueState,
  readNaming,
  type RecordNaming,
  readObject,
  type LazyObjectRecord,
} from './record.js';

/** Version of the on-disk format; a data directory of another version is refused. */
export const STORE_FORMAT = 4;
/** Longest normalized value kept whole in an index key (LMDB keys are limited to 1978 bytes here). */
export const MAX_INDEX_VALUE = 480;
/** Most objects of one equality lookup kept in the store's memo (ReadTxn.indexGuids), and most lookups kept. */
export const EQUAL_MEMO_GUIDS = 8;
export const EQUAL_MEMO_ENTRIES = 16_384;

export type StoreErrorCode =
  | 'ERR_STORE_VERSION'
  | 'ERR_STORE_NOT_FORESTD'
  | 'ERR_STORE_READONLY'
  | 'ERR_STORE_NAME_EXISTS'
  | 'ERR_STORE_NO_SUCH_OBJECT'
  | 'ERR_STORE_CORRUPT'
  | 'ERR_STORE_KEY_TOO_LONG';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/** Maps an object to the index keys (attid(u32) ‖ normalized value) it must be found under. */
export type Indexer = (rec: ObjectRecord) => Buffer[];
/** Maps an object to its tuple-index keys (attid(u32) ‖ one tuple), each once. */
export type TupleIndexer = (rec: ObjectRecord) => Buffer[];
/** Whether a record is one a security context is derived from besides the account's own (see "Principal epoch" above). */
export type PrincipalClassifier = (rec: ObjectRecord) => boolean;

export interface StoreOptions {
  /** the schema-aware indexer; without one only the DN and USN indexes are kept */
  indexer?: Indexer;
  /** create the store when the directory holds none */
  create?: boolean;
  /** LMDB map size in bytes (address space; the file grows as needed) */
  mapSize?: number;
  /** commits are not flushed to disk (tests and the replication simulator only: a crash loses them) */
  noSync?: boolean;
  /**
   * Resolve write() at commit, before the flush to disk (benchmarks, to show what durable
   * acknowledgement costs: a power loss can take back acknowledged updates; and `forestd join`,
   * whose store is of no use until the join has ended with one flush of everything).
   */
  ackBeforeFlush?: boolean;
  /**
   * A follower: a reader in another thread of the process that owns the store (a read worker,
   * src/dsa/workers). It never writes (write() and writeSync() throw, close() leaves the USN
   * reserve alone) and takes the writer's counters with follow().
   */
  follower?: boolean;
}

/** What a follower mirrors of the writer's state (Store.followerState / Store.follow). */
export interface FollowerState {
  usn: number;
  highestCommittedUsn: number;
  linkWorkHint: number;
}

/** How many USNs one reservation (meta "usnReserve") covers. */
export const USN_RESERVE_BLOCK = 10_000;

export interface DcTuple {
  serverGuid: Buffer;
  invocationId: Buffer;
  usn: number;
}

const writeChannel = channel('forestd:store:write');
/** Published when a write() is durable, just before its promise resolves: { usn } (the highest USN it took, or 0). */
const durableChannel = channel('forestd:store:durable');
/**
 * Published when a write() has committed (its changes are visible to readers) and before its
 * flush: { usn } (the highest USN it took, or 0). Tests use it to read the DC's USNs in the
 * window where dc.usn is ahead of what is durable.
 */
const committedChannel = channel('forestd:store:committed');
/** Published when an update took USNs beyond the durable reservation (see "USNs" above): { usn, reserve } */
const overrunChannel = channel('forestd:store:usn-overrun');

const u32 = (n: number) => {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
};
const u64 = (n: number) => {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(BigInt(n), 0);
  return b;
};
/** Smallest key greater than every key starting with `prefix`. */
function prefixEnd(prefix: Buffer): Buffer {
  const e = Buffer.from(prefix);
  for (let i = e.length - 1; i >= 0; i--) {
    if (e[i]! < 0xff) {
      e[i]!++;
      return e.subarray(0, i + 1);
    }
  }
  return Buffer.alloc(prefix.length + 1, 0xff);
}

/** The name an object is filed under in the DN index: its RDN value, or for an NC head its normalized NC name. */
export function indexName(rec: Pick<ObjectRecord, 'parent' | 'name' | 'ncName'>): string {
  return rec.parent === null ? normalizeDN(rec.ncName!) : rec.name;
}

/** The first 16 bytes of `v` (a GUID) in a Buffer of their own. */
function copyGuid(v: Buffer): Buffer {
  const g = Buffer.allocUnsafe(16);
  v.copy(g, 0, 0, 16);
  return g;
}

export function childKey(parent: Buffer | null, name: string): Buffer {
  const folded = foldValue(name);
  const k = Buffer.allocUnsafe(16 + Buffer.byteLength(folded, 'utf8'));
  k.set(parent ?? NULL_GUID, 0);
  k.write(folded, 16, 'utf8');
  if (k.length > 1978) throw new StoreError('ERR_STORE_KEY_TOO_LONG', `name too long for the DN index (${k.length} bytes)`);
  return k;
}

/** An index key: attid ‖ normalized value (cut at MAX_INDEX_VALUE; readers verify cut keys). */
export function indexKey(attid: number, normalized: Buffer): Buffer {
  const n = normalized.length > MAX_INDEX_VALUE ? MAX_INDEX_VALUE : normalized.length;
  const k = Buffer.allocUnsafe(4 + n);
  k.writeUInt32BE(attid >>> 0, 0);
  k.set(n === normalized.length ? normalized : normalized.subarray(0, n), 4);
  return k;
}

export class Store implements InvocationTable {
  readonly path: string;
  private readonly env: RootDatabase;
  private readonly meta: Database<unknown, string>;
  private readonly objects: Database<Buffer, Buffer>;
  private readonly children: Database<Buffer, Buffer>;
  private readonly usnIdx: Database<Buffer, Buffer>;
  private readonly index: Database<Buffer, Buffer>;
  private readonly links: Database<Buffer, Buffer>;
  private readonly backlinks: Database<Buffer, Buffer>;
  private readonly deactivated: Database<Buffer, Buffer>;
  private readonly hiddenLinks: Database<Buffer, Buffer>;
  private readonly linkWork: Database<Buffer, Buffer>;
  /**
   * How many objects may be in `linkwork` (raised when queued, lowered after the commit that
   * removes them): when 0, readers skip the per-value checks of delayed link processing.
   */
  linkWorkHint = 0;
  private indexer: Indexer | undefined;
  private tupleIndexer: TupleIndexer | undefined;
  private readonly tuples: Database<Buffer, Buffer>;
  /** attids whose tuple index is complete (meta "tupleIndexes"); readers use no other */
  private tupleBuilt = new Set<number>();
  /**
   * attids whose value index is complete (meta "valueIndexes"); undefined in a store written
   * before the catalog existed, whose value indexes are taken as built (the indexer kept them
   * from provisioning on)
   */
  private valueBuilt: Set<number> | undefined;
  private invocations: Buffer[] = [];
  private invIndex = new Map<string, number>();
  private invDirty = false;
  /** the DC tuple; dc.usn is the next USN to hand out */
  readonly dc: DcTuple;
  private closed = false;
  private readonly ackBeforeFlush: boolean;
  private readonly follower: boolean;
  /** USNs below this are covered by a flushed meta "usnReserve" */
  private reserveDurable: number;
  private reserving: Promise<void> | undefined;
  /** write() bodies queued and not yet run (each takes at least one USN, usually one) */
  private queuedBodies = 0;
  private _highestCommittedUsn: number;
  /** listeners of onCommit() */
  private readonly commitListeners = new Set<(changed: Buffer[]) => void>();

  private constructor(path: string, opts: StoreOptions) {
    this.path = path;
    this.indexer = opts.indexer;
    this.env = open({ path, maxDbs: 16, mapSize: opts.mapSize ?? 64 * 1024 ** 3, encoding: 'binary', keyEncoding: 'binary', ...(opts.noSync ? { noSync: true } : {}) });
    const bin = { keyEncoding: 'binary' as const, encoding: 'binary' as const };
    this.meta = this.env.openDB<unknown, string>({ name: 'meta', encoding: 'msgpack', keyEncoding: 'ordered-binary' });
    this.objects = this.env.openDB<Buffer, Buffer>({ name: 'objects', ...bin });
    this.children = this.env.openDB<Buffer, Buffer>({ name: 'children', ...bin });
    this.usnIdx = this.env.openDB<Buffer, Buffer>({ name: 'usn', ...bin });
    this.index = this.env.openDB<Buffer, Buffer>({ name: 'index', ...bin, dupSort: true });
    this.links = this.env.openDB<Buffer, Buffer>({ name: 'links', ...bin });
    this.backlinks = this.env.openDB<Buffer, Buffer>({ name: 'backlinks', ...bin });
    this.deactivated = this.env.openDB<Buffer, Buffer>({ name: 'deactivated', ...bin });
    this.hiddenLinks = this.env.openDB<Buffer, Buffer>({ name: 'hidden', ...bin });
    this.linkWork = this.env.openDB<Buffer, Buffer>({ name: 'linkwork', ...bin });
    this.sds = this.env.openDB<Buffer, Buffer>({ name: 'sds', ...bin });
    this.tuples = this.env.openDB<Buffer, Buffer>({ name: 'tuples', ...bin, dupSort: true });
    this.tupleBuilt = new Set((this.meta.get('tupleIndexes') as number[] | undefined) ?? []);
    const valueCat = this.meta.get('valueIndexes') as number[] | undefined;
    this.valueBuilt = valueCat ? new Set(valueCat) : undefined;
    this.linkWorkHint = this.linkWork.getKeysCount();
    const format = this.meta.get('format');
    if (format === undefined) {
      if (!opts.create) {
        this.env.close();
        throw new StoreError('ERR_STORE_NOT_FORESTD', `${path} holds no forestd store (run 'forestd provision' first)`);
      }
      const dc: DcTuple = { serverGuid: newGuid(), invocationId: newGuid(), usn: 1 };
      this.meta.transactionSync(() => {
        this.meta.putSync('format', STORE_FORMAT);
        this.meta.putSync('dc', dc);
        this.meta.putSync('inv', [dc.invocationId]);
        this.meta.putSync('ncs', []);
      });
    } else if (format !== STORE_FORMAT) {
      this.env.close();
      throw new StoreError('ERR_STORE_VERSION', `${path} holds a forestd store of format ${String(format)}; this forestd reads format ${STORE_FORMAT}`);
    }
    const dc = this.meta.get('dc') as DcTuple | undefined;
    const inv = this.meta.get('inv') as Buffer[] | undefined;
    if (!dc || !inv || !Buffer.isBuffer(dc.invocationId) || isNullGuid(dc.invocationId)) {
      this.env.close();
      throw new StoreError('ERR_STORE_CORRUPT', `${path}: the DC state is missing or damaged`);
    }
    const reserve = this.meta.get('usnReserve') as number | undefined;
    // after a crash USNs up to the reserve may have been seen by clients: never hand them out again
    if (typeof reserve === 'number' && reserve > dc.usn) dc.usn = reserve;
    this.reserveDurable = dc.usn;
    this._highestCommittedUsn = dc.usn - 1;
    this.ackBeforeFlush = opts.ackBeforeFlush === true;
    this.follower = opts.follower === true;
    this.dc = dc;
    this.invocations = inv;
    inv.forEach((g, i) => this.invIndex.set(g.toString('hex'), i));
    this._ncNameMayExist(''); // the NC names before any write of this process
  }

  /**
   * Opens the store in `dir`. A directory that holds files but no store, or a store of
   * another format, is refused with a StoreError.
   */
  static open(dir: string, opts: StoreOptions = {}): Store {
    if (!existsSync(dir)) {
      if (!opts.create) throw new StoreError('ERR_STORE_NOT_FORESTD', `${dir} does not exist (run 'forestd provision' first)`);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
    if (!statSync(dir).isDirectory()) throw new StoreError('ERR_STORE_NOT_FORESTD', `${dir} is not a directory`);
    const path = join(dir, 'store');
    if (!existsSync(path)) {
      if (!opts.create) throw new StoreError('ERR_STORE_NOT_FORESTD', `${dir} holds no forestd store (run 'forestd provision' first)`);
      mkdirSync(path, { mode: 0o700 });
    } else if (!opts.create && !readdirSync(path).includes('data.mdb')) {
      throw new StoreError('ERR_STORE_NOT_FORESTD', `${dir} holds no forestd store (run 'forestd provision' first)`);
    }
    return new Store(path, opts);
  }

  setIndexer(indexer: Indexer): void {
    this.indexer = indexer;
    this.dbs = undefined;
  }

  /** The tuple indexer (fTUPLEINDEX attributes): putObject/removeObject keep `tuples` with it. */
  setTupleIndexer(indexer: TupleIndexer): void {
    this.tupleIndexer = indexer;
    this.dbs = undefined;
  }

  /** The principal classifier: putObject/removeObject of a record it marks move the principal epoch (see "Principal epoch" above). */
  setPrincipalClassifier(classifier: PrincipalClassifier): void {
    this.principal = classifier;
    this.dbs = undefined;
  }
  private principal: PrincipalClassifier | undefined;

  /** Attids whose tuple index is complete, so a reader may answer substrings from it. */
  get builtTupleIndexes(): ReadonlySet<number> {
    return this.tupleBuilt;
  }

  /** Attids whose value index is complete, so a reader may answer from it; undefined: no catalog yet (all built). */
  get builtValueIndexes(): ReadonlySet<number> | undefined {
    return this.valueBuilt;
  }

  // ---- the SD table -------------------------------------------------------------------
  /** attid of nTSecurityDescriptor, whose values live once per distinct value in `sds` */
  sdAttid: number | undefined;
  private readonly sds: Database<Buffer, Buffer>;
  /** key (latin1) → the one shared Buffer of that SD; readers must not modify it */
  private readonly sdCache = new Map<string, Buffer>();
  /** @internal the DC tuple's stored bytes last decoded by ReadTxn.dcUsn, and its USN */
  _lastDc: { raw: Buffer; usn: number } | undefined;

  /** Keeps security descriptors once per distinct value (as AD's SD table does). */
  setSecurityDescriptorAttribute(attid: number): void {
    this.sdAttid = attid;
  }

  /** The key of `sd` in the SD table, adding it there (inside the current write transaction) when new. */
  sdRef(sd: Uint8Array): Buffer {
    // objects made in a row mostly get the same SD (inherited from one parent): its hash is kept
    const last = this.lastSd;
    const key = last && last.sd.length === sd.length && last.sd.equals(sd) ? last.key : hash('sha256', sd, 'buffer').subarray(0, 16);
    // the table never loses an SD: one seen (or put) in this write transaction is there until it ends
    if (key === last?.key && last.txn === this._writeSerial) return key;
    // doesExist: the stored SD is not copied out (get() would allocate it)
    if (!this.sds.doesExist(key)) this.sds.putSync(key, Buffer.from(sd));
    this.lastSd = { sd: key === last?.key ? last.sd : Buffer.from(sd), key, txn: this._writeSerial };
    return key;
  }
  private lastSd: { sd: Buffer; key: Buffer; txn: number } | undefined;
  /** @internal moves with each write transaction (WriteTxn's constructor) */
  _writeSerial = 0;

  /** The SD of a key; the same Buffer for every record that holds it. */
  sdGet(key: Buffer): Buffer {
    const k = key.toString('latin1');
    let v = this.sdCache.get(k);
    if (!v) {
      const got = this.sds.get(key);
      if (!got) throw new StoreError('ERR_STORE_CORRUPT', `security descriptor ${key.toString('hex')} is missing from the SD table`);
      v = Buffer.from(got);
      if (this.sdCache.size >= 65536) this.sdCache.clear();
      this.sdCache.set(k, v);
    }
    return v;
  }

  // ---- InvocationTable ----------------------------------------------------------------
  indexOf(invocationId: Buffer): number {
    // the stamps of one object (of one chunk) mostly name one invocationId: no hex key for it
    const last = this.lastInv;
    if (last && last.guid.equals(invocationId)) return last.i;
    const i = this.indexOfNew(invocationId);
    this.lastInv = { guid: Buffer.from(invocationId), i };
    return i;
  }
  private lastInv: { guid: Buffer; i: number } | undefined;
  private indexOfNew(invocationId: Buffer): number {
    const k = invocationId.toString('hex');
    let i = this.invIndex.get(k);
    if (i === undefined) {
      i = this.invocations.length;
      this.invocations.push(Buffer.from(invocationId));
      this.invIndex.set(k, i);
      this.invDirty = true;
    }
    return i;
  }
  byIndex(i: number): Buffer {
    // a follower learns of invocationIds the writer added since it opened from the stored table
    if (this.follower && i >= this.invocations.length) this.reloadInvocations();
    const g = this.invocations[i];
    if (!g) throw new StoreError('ERR_STORE_CORRUPT', `stamp names invocation #${i}, which the invocation table lacks`);
    return g;
  }

  private reloadInvocations(): void {
    const inv = this.meta.get('inv') as Buffer[] | undefined;
    if (!inv) return;
    this.invocations = inv;
    this.invIndex.clear();
    inv.forEach((g, i) => this.invIndex.set(g.toString('hex'), i));
  }

  // ---- followers (read workers) ---------------------------------------------------------

  /** The writer's counters a follower mirrors (sent with each request to a read worker). */
  followerState(): FollowerState {
    return { usn: this.dc.usn, highestCommittedUsn: this._highestCommittedUsn, linkWorkHint: this.linkWorkHint };
  }

  /**
   * A follower takes the writer's counters and drops its cached read transaction, so that the
   * next read sees every commit the writer made before it sent `s` (read-your-writes across threads).
   */
  follow(s: FollowerState): void {
    if (!this.follower) throw new StoreError('ERR_STORE_CORRUPT', 'follow() on a store that is not a follower');
    this.dc.usn = s.usn;
    this._highestCommittedUsn = s.highestCommittedUsn;
    this.linkWorkHint = s.linkWorkHint;
    (this.env as unknown as { resetReadTxn(): void }).resetReadTxn();
  }

  /**
   * A follower in another process (a read process, src/dsa/workers/process-child.ts), which no
   * request brings the writer's counters: drops its cached read transaction, so that the next
   * read sees every commit made so far, and takes the counters from that committed state — the
   * next USN from the DC tuple, the delayed-link hint from the `linkwork` table (counted again
   * when the DC tuple moved, or while it is not 0). highestCommittedUsn (durable, not merely
   * committed) is the writer's: the caller sets it with followDurable(). Returns the DC tuple's USN.
   * (Renewing only when the environment's last txn id moved does not pay with lmdb-js 3.5: its
   * env.info() builds an object of 5+ properties, ~2 µs, more than this renewal; and that id is the
   * newest meta page's, which a commit writes before the lock-file id readers renew at.)
   */
  followCommitted(): number {
    if (!this.follower) throw new StoreError('ERR_STORE_CORRUPT', 'followCommitted() on a store that is not a follower');
    (this.env as unknown as { resetReadTxn(): void }).resetReadTxn();
    const usn = this.reader.dcUsn();
    if (usn !== this.dc.usn || this.linkWorkHint > 0) this.linkWorkHint = this.linkWork.getKeysCount();
    this.dc.usn = usn;
    return usn;
  }

  /**
   * A follower in another process takes the writer's highestCommittedUsn, as the writer last sent
   * it (the writer's never goes backwards, and its messages arrive in order; what a follower
   * derives when it opens, from the USN reserve, is not the writer's).
   */
  followDurable(highestCommittedUsn: number): void {
    if (!this.follower) throw new StoreError('ERR_STORE_CORRUPT', 'followDurable() on a store that is not a follower');
    this._highestCommittedUsn = highestCommittedUsn;
  }

  // ---- reads --------------------------------------------------------------------------

  /** A read snapshot for work that spans event-loop turns; call done() when finished. */
  snapshot(): ReadTxn {
    const txn = this.env.useReadTransaction();
    return new ReadTxn(this, { transaction: txn }, () => txn.done());
  }

  /** A read view on the current state (consistent within one synchronous stretch of code). */
  get reader(): ReadTxn {
    return (this._reader ??= new ReadTxn(this, undefined, () => {}));
  }
  private _reader: ReadTxn | undefined;

  // ---- writes -------------------------------------------------------------------------

  /**
   * Runs `body` as one originating update: one write transaction, committed and flushed to
   * disk before the promise resolves. If `body` throws, none of its writes happen and the
   * promise rejects with what it threw.
   */
  write<T>(body: (w: WriteTxn) => T): Promise<T> {
    this.assertOpen();
    this.assertWriter();
    // keep a durable reservation ahead of the USNs the queued bodies will take
    const ahead = this.dc.usn + this.queuedBodies + 1;
    if (ahead >= this.reserveDurable - USN_RESERVE_BLOCK / 2) {
      const r = this.reserve();
      if (ahead >= this.reserveDurable) return r.then(() => this.write(body));
    }
    const started = writeChannel.hasSubscribers ? performance.now() : 0;
    let changed: Buffer[] = [];
    let linkWorkDone = 0;
    let usnTop = 0;
    let tupleCat: Set<number> | undefined;
    let valueCat: Set<number> | undefined;
    this.queuedBodies++;
    const committed = this.env.transaction(() => {
      this.queuedBodies--;
      return this.env.childTransaction(() => {
        const w = new WriteTxn(this);
        const r = this.inWrite(() => {
          const r = body(w);
          w.finish();
          return r;
        });
        // A body that took more USNs than the margin (a huge batch) went past the durable
        // reserve: raise it in this transaction (a power loss before the flush could then hand
        // these USNs out again) and say so.
        if (w.tookUsn && this.dc.usn > this.reserveDurable) this.overrun();
        changed = w.changed;
        linkWorkDone = w.linkWorkDone;
        tupleCat = w.tupleCatalog;
        valueCat = w.valueCatalog;
        if (w.tookUsn) usnTop = this.dc.usn - 1;
        return r;
      });
    }) as Promise<T>;
    if (committedChannel.hasSubscribers) void committed.then(() => committedChannel.publish({ usn: usnTop }), () => {});
    const p = this.ackBeforeFlush ? committed : committed.then((r) => this.afterFlush(r));
    void p.then(() => {
      if (tupleCat) this.tupleBuilt = tupleCat;
      if (valueCat) this.valueBuilt = valueCat;
      if (linkWorkDone > 0) this.linkWorkHint = Math.max(0, this.linkWorkHint - linkWorkDone);
      if (usnTop > this._highestCommittedUsn) this._highestCommittedUsn = usnTop;
      if (durableChannel.hasSubscribers) durableChannel.publish({ usn: usnTop });
    }, () => {});
    if (writeChannel.hasSubscribers) void p.then(() => writeChannel.publish({ ms: performance.now() - started }), () => {});
    if (this.commitListeners.size > 0) void p.then(() => this.fireCommit(changed), () => {});
    return p;
  }

  /** Resolves to `r` once the latest batch queued (which holds the caller's commit, or comes after it) is on disk. */
  private afterFlush<T>(r: T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      (this.env.flushed as unknown as PromiseLike<unknown>).then(() => resolve(r), reject);
    });
  }

  private overrun(): void {
    const target = this.dc.usn + USN_RESERVE_BLOCK;
    this.meta.putSync('usnReserve', target);
    if (overrunChannel.hasSubscribers) overrunChannel.publish({ usn: this.dc.usn - 1, reserve: this.reserveDurable });
    this.reserveDurable = target;
  }

  /** Raises meta "usnReserve" by a block and resolves once that is on disk. */
  private reserve(): Promise<void> {
    return (this.reserving ??= (async () => {
      try {
        const target = this.dc.usn + this.queuedBodies + USN_RESERVE_BLOCK;
        await this.env.transaction(() => this.meta.putSync('usnReserve', target));
        await this.afterFlush(undefined);
        if (target > this.reserveDurable) this.reserveDurable = target;
      } finally {
        this.reserving = undefined;
      }
    })());
  }

  /**
   * The highest USN of an update that is durable on disk (the rootDSE's highestCommittedUSN,
   * MS-ADTS 3.1.1.3.2): never goes backwards, also not across a crash.
   */
  get highestCommittedUsn(): number {
    return this._highestCommittedUsn;
  }

  /**
   * The highest USN of an update committed to the store (visible to readers, perhaps not yet
   * flushed): the DC tuple of the last commit. Unlike dc.usn − 1 it never counts an update still
   * running, and after a crash it is what the store holds, not the USN reserve.
   */
  get committedUsn(): number {
    const dc = this.meta.get('dc') as DcTuple | undefined;
    return (dc?.usn ?? 1) - 1;
  }

  /**
   * Calls `listener` after each write() (and writeSync()) has committed, with the objectGUIDs
   * that putObject/removeObject touched in that update (empty updates are not reported).
   * Listeners run after the commit, must be quick, and cannot fail the write. Returns the
   * function that removes the listener. (Change notification, src/dirsync/notify.ts.)
   */
  onCommit(listener: (changed: Buffer[]) => void): () => void {
    this.commitListeners.add(listener);
    return () => void this.commitListeners.delete(listener);
  }

  private fireCommit(changed: Buffer[]): void {
    if (changed.length === 0) return;
    for (const l of [...this.commitListeners]) {
      try {
        l(changed);
      } catch {
        // a listener's failure is its own; the update has committed
      }
    }
  }

  /** Like write(), but synchronous: for provisioning and tools, never on a connection's path. */
  writeSync<T>(body: (w: WriteTxn) => T): T {
    this.assertOpen();
    this.assertWriter();
    let changed: Buffer[] = [];
    let linkWorkDone = 0;
    let usnTop = 0;
    const r = this.env.transactionSync(() => {
      const w = new WriteTxn(this);
      const r = this.inWrite(() => {
        const r = body(w);
        w.finish();
        return r;
      });
      changed = w.changed;
      linkWorkDone = w.linkWorkDone;
      if (w.tookUsn) usnTop = this.dc.usn - 1;
      // provisioning and tools: no client sees these USNs before the sync commit returns
      if (w.tookUsn && this.dc.usn > this.reserveDurable) this.overrun();
      return r;
    });
    if (usnTop > this._highestCommittedUsn) this._highestCommittedUsn = usnTop;
    if (linkWorkDone > 0) this.linkWorkHint = Math.max(0, this.linkWorkHint - linkWorkDone);
    if (this.commitListeners.size > 0) this.fireCommit(changed);
    return r;
  }

  /**
   * Runs a write() body. While one runs, lmdb-js answers reads without a snapshot of their own
   * (Store.reader) from the write transaction, whose state may not commit: `_writing` says so
   * (ReadTxn.committedView).
   */
  private inWrite<T>(fn: () => T): T {
    this._writing++;
    try {
      return fn();
    } finally {
      this._writing--;
    }
  }
  /** @internal write() bodies running now (0 or 1: bodies run one at a time) */
  _writing = 0;

  /** Resolves once everything committed so far is durable. */
  flushed(): Promise<void> {
    return this.env.flushed as unknown as Promise<void>;
  }

  getMeta<T>(key: string): T | undefined {
    return this.meta.get(key) as T | undefined;
  }

  /**
   * A consistent copy of the store of the data directory `dataDir` at `target` (a new, empty
   * directory), compacted: LMDB's mdb_env_copy2 with MDB_CP_COMPACT runs in one read
   * transaction, so it sees one committed state while a serving forestd goes on writing. The
   * environment is opened read-only, not as a Store: a Store's close() would lower the USN
   * reserve of the serving process (see "USNs" above). For `forestd backup`.
   */
  static async backup(dataDir: string, target: string): Promise<void> {
    const path = join(dataDir, 'store');
    if (!existsSync(join(path, 'data.mdb'))) throw new StoreError('ERR_STORE_NOT_FORESTD', `${dataDir} holds no forestd store`);
    const env = open({ path, readOnly: true, maxDbs: 16, encoding: 'binary', keyEncoding: 'binary' });
    try {
      await env.backup(target, true);
    } finally {
      await env.close();
    }
  }

  /**
   * Restore from backup (MS-ADTS 3.1.1.1.9): the DC continues under a new invocationId, so that
   * no (invocationId, USN) pair it handed out after the backup is handed out again. The old
   * invocationId stays in the invocation table (stamps name it) and goes to the retired list
   * (meta "retired", as AD's retiredReplDSASignatures on the nTDSDSA object).
   */
  retireInvocation(newInvocationId: Buffer, retired: { invocationId: Buffer; usn: number; time: number }): void {
    this.assertOpen();
    this.indexOf(newInvocationId);
    this.dc.invocationId = Buffer.from(newInvocationId);
    this.meta.transactionSync(() => {
      this.meta.putSync('inv', this.invocations);
      this.invDirty = false;
      this.meta.putSync('dc', this.dc);
      const prev = (this.meta.get('retired') as unknown[] | undefined) ?? [];
      this.meta.putSync('retired', [...prev, retired]);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.follower) return void (await this.env.close());
    try {
      await this.reserving;
    } catch {
      // the reservation's failure was reported to the write that needed it
    }
    try {
      await this.afterFlush(undefined);
      // every USN this process handed out is below dc.usn: the next open may start there. Only a
      // reserve this process set (or read at open) is lowered: a tool that opened the store beside
      // a serving process (forestd repl show, dns-records) must never lower the server's reserve,
      // which may cover USNs clients of the server have already seen.
      await this.env.transaction(() => {
        const stored = (this.meta.get('usnReserve') as number | undefined) ?? 0;
        if (stored === this.reserveDurable && stored > this.dc.usn) this.meta.putSync('usnReserve', this.dc.usn);
      });
    } catch {
      // keeping the higher reserve is safe: the next open skips to it
    }
    await this.env.close();
  }

  private assertWriter() {
    if (this.follower) throw new StoreError('ERR_STORE_READONLY', 'a follower store (read worker) does not write');
  }

  private assertOpen() {
    if (this.closed) throw new StoreError('ERR_STORE_CORRUPT', 'store is closed');
  }

  // internal access for the transaction classes
  /** @internal the databases (one object, not one per read: readers reach them on every get) */ get _dbs() {
    return (this.dbs ??= { meta: this.meta, objects: this.objects, children: this.children, usn: this.usnIdx, index: this.index, links: this.links, backlinks: this.backlinks, deactivated: this.deactivated, hidden: this.hiddenLinks, linkWork: this.linkWork, indexer: this.indexer, tuples: this.tuples, tupleIndexer: this.tupleIndexer, principal: this.principal });
  }
  private dbs: { meta: Database<unknown, string>; objects: Database<Buffer, Buffer>; children: Database<Buffer, Buffer>; usn: Database<Buffer, Buffer>; index: Database<Buffer, Buffer>; links: Database<Buffer, Buffer>; backlinks: Database<Buffer, Buffer>; deactivated: Database<Buffer, Buffer>; hidden: Database<Buffer, Buffer>; linkWork: Database<Buffer, Buffer>; indexer: Indexer | undefined; tuples: Database<Buffer, Buffer>; tupleIndexer: TupleIndexer | undefined; principal: PrincipalClassifier | undefined } | undefined;
  /**
   * @internal Whether an NC head may be filed under the folded name `folded` (DN index key
   * under the null GUID). The writer keeps the names of every NC head filed (read at open, added
   * by putObject before its commit), so a name outside the set is in no snapshot of this
   * process's writes; a follower (whose writer is another thread) answers true.
   */
  _ncNameMayExist(folded: string): boolean {
    if (this.follower) return true;
    if (!this.ncNames) {
      const names = new Set<string>();
      for (const key of this.children.getKeys({ start: NULL_GUID, end: prefixEnd(NULL_GUID) } as never) as Iterable<Buffer>) names.add(key.toString('utf8', 16));
      this.ncNames = names;
    }
    return this.ncNames.has(folded);
  }
  /** @internal an NC head is filed under `name` (putObject, inside the write transaction) */
  _ncNameFiled(name: string): void {
    this.ncNames?.add(foldValue(name));
  }
  private ncNames: Set<string> | undefined;

  /** @internal the highest naming epoch this process has handed out (see "Naming epoch" above) */
  _epochTop = 0;
  /**
   * Set to false only by the naming-cache test, to show that its stale-name checks fail without
   * the epoch (the negative control of test/unit/name-cache.test.ts); never in production.
   */
  _bumpNamingEpoch = true;

  /** @internal the highest index epoch this process has handed out (see "Index epoch" above) */
  _indexEpochTop = 0;
  /** Set to false only by the index-epoch test (its negative control); never in production. */
  _bumpIndexEpoch = true;

  /** @internal the highest principal epoch this process has handed out (see "Principal epoch" above) */
  _principalEpochTop = 0;
  /** Set to false only by the token-cache test (its negative control); never in production. */
  _bumpPrincipalEpoch = true;
  /** @internal ReadTxn.getObjectShared's records: latin1(objectGUID) → the packed bytes and the frozen record decoded from them */
  readonly _sharedRecords = new Map<string, { raw: Buffer; rec: Readonly<ObjectRecord> }>();
  /** @internal ReadTxn.indexGuids' answers: latin1(index key) → the epoch they were read at and the objects */
  readonly _equalMemo = new Map<string, { epoch: number; guids: readonly Buffer[] }>();

  /** @internal */ _persistInvocations() {
    if (this.invDirty) {
      this.meta.put('inv', this.invocations);
      this.invDirty = false;
    }
  }
}

type ReadOpts = { transaction: ReturnType<RootDatabase['useReadTransaction']> } | undefined;

/** Reads on one snapshot. */
export class ReadTxn {
  constructor(
    protected readonly store: Store,
    protected readonly opts: ReadOpts,
    private readonly release: () => void,
  ) {}

  done(): void {
    this.release();
  }

  /** The naming epoch of this snapshot (meta "namingEpoch", see "Naming epoch" above). */
  namingEpoch(): number {
    return this.epochOf('namingEpoch');
  }

  /**
   * The epoch meta `key` of this view, read once per snapshot; a view without a snapshot of its
   * own (Store.reader, a WriteTxn) reads it each time.
   */
  private epochOf(key: 'namingEpoch' | 'indexEpoch' | 'principalEpoch'): number {
    const e = this.epochs[key];
    if (e !== undefined) return e;
    const v = this.metaCounter(key);
    if (this.opts) this.epochs[key] = v;
    return v;
  }
  private readonly epochs: { namingEpoch?: number; indexEpoch?: number; principalEpoch?: number } = {};

  /** A meta counter of this view (absent = 0): the stored MessagePack unsigned integer read in place (most are fixints); any other form decoded. */
  private metaCounter(key: string): number {
    const meta = this.store._dbs.meta as unknown as { getBinaryFast(k: string, o?: unknown): Buffer | undefined; get(k: string, o?: unknown): unknown };
    const b = meta.getBinaryFast(key, this.opts);
    if (!b) return 0;
    const h = b[0]!;
    if (h < 0x80) return h;
    if (h === 0xcc) return b[1]!;
    if (h === 0xcd) return b.readUInt16BE(1);
    if (h === 0xce) return b.readUInt32BE(1);
    return (meta.get(key, this.opts) as number | undefined) ?? 0;
  }

  /** The index epoch of this snapshot (meta "indexEpoch", see "Index epoch" above), read once per snapshot. */
  indexEpoch(): number {
    return this.epochOf('indexEpoch');
  }

  /** The principal epoch of this snapshot (meta "principalEpoch", see "Principal epoch" above), read once per snapshot. */
  principalEpoch(): number {
    return this.epochOf('principalEpoch');
  }

  /**
   * Whether DN caches may keep what is derived in this view: a snapshot always; a view without
   * one (Store.reader) only while no write() body runs (lmdb-js then reads the write transaction,
   * whose state may not commit); a WriteTxn never.
   */
  get committedView(): boolean {
    return this.opts !== undefined || this.store._writing === 0;
  }

  getObject(guid: Buffer): ObjectRecord | undefined {
    const b = this.store._dbs.objects.get(guid, this.opts as never);
    return b ? decodeObject(b, this.store) : undefined;
  }

  /**
   * The record for reading only (searches): its header now, each attribute when `getAttr` asks
   * for it (record.ts LazyObjectRecord). Never clone or spread it; writers use getObject.
   */
  readObject(guid: Buffer): LazyObjectRecord | undefined {
    // copied out of lmdb's reused buffer into Node's buffer pool (a record under 4 KiB shares an
    // 8 KiB slab), not into an ArrayBuffer of its own as get() does (a malloc and a finalizer
    // each): 2.5 -> 1.8 µs per 1 KiB user record. What outlives the operation is copied out of
    // the record by whoever keeps it (readHeader, group-walk, the SD cache), so no slab is kept
    const db = this.store._dbs.objects as unknown as { getBinaryFast(k: Buffer, o?: unknown): Buffer | undefined; lastSize: number };
    const fast = db.getBinaryFast(guid, this.opts);
    if (!fast) return undefined;
    const size = db.lastSize;
    const b = Buffer.allocUnsafe(size);
    // not fast.copy(): lmdb gives the reused buffer the value's length, its view stays whole
    b.set(fast.subarray(0, size));
    return readObject(b, this.store);
  }

  /**
   * The record of `guid` for reading only, decoded once per stored version and shared by every
   * caller: the decoded record is kept per Store (`_sharedRecords`, a few entries) with the packed
   * bytes it came from, and served while the bytes stored under `guid` in this view are those
   * (a record's SD-table key and invocation indexes name the same SD and invocationId for good,
   * so equal bytes decode to an equal record). Frozen, its arrays and plain objects (Buffers cannot
   * be): never modify it; writers use getObject. The parent of each LDAP add reads it (add.ts).
   */
  getObjectShared(guid: Buffer): Readonly<ObjectRecord> | undefined {
    const db = this.store._dbs.objects as unknown as { getBinaryFast(k: Buffer, o?: unknown): Buffer | undefined; lastSize: number };
    const fast = db.getBinaryFast(guid, this.opts);
    if (!fast) return undefined;
    const size = db.lastSize;
    const k = guid.toString('latin1');
    const memo = this.store._sharedRecords;
    const known = memo.get(k);
    if (known && known.raw.length === size && known.raw.compare(fast, 0, size) === 0) return known.rec;
    const raw = Buffer.allocUnsafe(size);
    raw.set(fast.subarray(0, size));
    const rec = freezeRecord(decodeObject(raw, this.store));
    if (memo.size >= SHARED_RECORDS) memo.clear();
    memo.set(k, { raw, rec });
    return rec;
  }

  hasObject(guid: Buffer): boolean {
    // getBinaryFast: no copy of the record (the buffer is reused by the next read)
    return (this.store._dbs.objects.getBinaryFast as (k: Buffer, o?: unknown) => Buffer | undefined).call(this.store._dbs.objects, guid, this.opts) !== undefined;
  }

  /** The child of `parent` whose name folds to the same key as `name`. */
  childByName(parent: Buffer, name: string): Buffer | undefined {
    return this.childEntry(parent, name)?.guid;
  }

  /** The child of `parent` named `name` and its rdnType, from the DN index alone. */
  childEntry(parent: Buffer, name: string): { guid: Buffer; rdnType: number } | undefined {
    const key = childKey(parent, name);
    const v = this.childValueFast(key);
    if (!v) this.childMissed(key);
    return v ? { guid: copyGuid(v), rdnType: v.readUInt32BE(16) } : undefined;
  }
  /** A DN-index key just read and found free (WriteTxn remembers the last one). */
  protected childMissed(_key: Buffer): void {}

  /** A `children` value without copying it out of the map (valid until the next read). */
  private childValueFast(key: Buffer): Buffer | undefined {
    return (this.store._dbs.children.getBinaryFast as (k: Buffer, o?: unknown) => Buffer | undefined).call(this.store._dbs.children, key, this.opts);
  }

  /** parent, nc, rdnType and name of an object, without decoding its attributes. */
  getHeader(guid: Buffer): RecordHeader | undefined {
    // readHeader copies what it keeps, so the record need not be copied out of the map first
    const b = (this.store._dbs.objects.getBinaryFast as (k: Buffer, o?: unknown) => Buffer | undefined).call(this.store._dbs.objects, guid, this.opts);
    return b ? readHeader(b) : undefined;
  }

  /** The naming part of an object (parent as a latin1 key, rdnType, name) with no copy of the record: DN derivation. */
  getNaming(guid: Buffer): RecordNaming | undefined {
    const b = (this.store._dbs.objects.getBinaryFast as (k: Buffer, o?: unknown) => Buffer | undefined).call(this.store._dbs.objects, guid, this.opts);
    return b ? readNaming(b) : undefined;
  }

  /** uSNChanged of an object from its record header alone (nothing copied or decoded). */
  usnChangedOf(guid: Buffer): number | undefined {
    const b = (this.store._dbs.objects.getBinaryFast as (k: Buffer, o?: unknown) => Buffer | undefined).call(this.store._dbs.objects, guid, this.opts);
    return b ? Number(b.readBigUInt64BE(38)) : undefined;
  }

  /** The head of the NC replica named `ncName`, if this DC holds it. */
  ncHeadByName(ncName: string): Buffer | undefined {
    return this.ncHeadByNormalizedName(normalizeDN(ncName));
  }

  /**
   * As ncHeadByName, for a name already normalized with normalizeDN. `hinted`: a name no NC
   * head was filed under since this store opened is answered without a read (DN resolution asks
   * for every suffix of a DN); a caller that found nothing asks again unhinted, since another
   * process writing the same store files NC heads this one does not see.
   */
  ncHeadByNormalizedName(normalized: string, hinted = false): Buffer | undefined {
    const folded = foldValue(normalized);
    if (hinted && !this.store._ncNameMayExist(folded)) return undefined;
    const k = Buffer.from(folded, 'utf8');
    if (k.length + 16 > 1978) throw new StoreError('ERR_STORE_KEY_TOO_LONG', `name too long for the DN index (${k.length + 16} bytes)`);
    const v = this.childValueFast(Buffer.concat([NULL_GUID, k]));
    return v ? copyGuid(v) : undefined;
  }

  /**
   * The first child of `parent` whose DN-index key comes after `after` (a key this method
   * returned before; null: the first child), with its key — a walk can stop and go on from
   * there in a later snapshot (paged searches, src/dsa/search/controls/paged.ts).
   */
  childAfter(parent: Buffer, after: Buffer | null): { key: Buffer; guid: Buffer } | undefined {
    const start = after ? Buffer.concat([after, Buffer.from([0])]) : parent;
    for (const { key, value } of this.store._dbs.children.getRange({ start, end: prefixEnd(parent), limit: 1, ...this.opts } as never) as Iterable<{ key: Buffer; value: Buffer }>) {
      return { key: Buffer.from(key), guid: Buffer.from(value.subarray(0, 16)) };
    }
    return undefined;
  }

  /** GUIDs of the children of `parent`, in folded-name order. */
  *children(parent: Buffer): Generator<Buffer> {
    for (const { value } of this.store._dbs.children.getRange({ start: parent, end: prefixEnd(parent), ...this.opts } as never) as Iterable<{ value: Buffer }>) yield value.subarray(0, 16);
  }

  countChildren(parent: Buffer): number {
    return this.store._dbs.children.getKeysCount({ start: parent, end: prefixEnd(parent), ...this.opts } as never);
  }

  /** Objects of `nc` in uSNChanged order with uSNChanged > afterUsn. */
  *changedSince(nc: Buffer, afterUsn: number): Generator<{ usn: number; guid: Buffer }> {
    const start = Buffer.concat([nc, u64(afterUsn + 1)]);
    for (const key of this.store._dbs.usn.getKeys({ start, end: prefixEnd(nc), ...this.opts } as never) as Iterable<Buffer>) {
      yield { usn: Number(key.readBigUInt64BE(16)), guid: key.subarray(24, 40) };
    }
  }

  /** Objects indexed under exactly this key (attid ‖ normalized value); cut keys need verifying by the caller. */
  *indexEqual(key: Buffer): Generator<Buffer> {
    // a key no object is under (a uniqueness check's usual answer: sAMAccountName, UPN on every
    // add) is answered by one lookup without a copy; getValues would open and position a cursor
    const index = this.store._dbs.index as unknown as { getBinaryFast(k: Buffer, o?: unknown): Buffer | undefined };
    if (index.getBinaryFast(key, this.opts) === undefined) return;
    for (const v of this.store._dbs.index.getValues(key, this.opts as never) as Iterable<Buffer>) yield v;
  }

  /**
   * The objects under exactly this key, as indexEqual lists them, or undefined when there are more
   * than `cap`. A snapshot takes the answer from the store's memo when it was read at this
   * snapshot's index epoch (then no cursor is opened), and leaves answers of at most
   * EQUAL_MEMO_GUIDS objects there (not over the answer of a later epoch); other views (Store.reader, a WriteTxn) always read the index.
   * Shared: neither the array nor its GUIDs may be modified.
   */
  indexGuids(key: Buffer, cap: number): readonly Buffer[] | undefined {
    const memo = this.opts ? this.store._equalMemo : undefined;
    const k = memo ? key.toString('latin1') : '';
    const epoch = memo ? this.indexEpoch() : 0;
    const known = memo?.get(k);
    if (known && known.epoch === epoch) return known.guids.length > cap ? undefined : known.guids;
    const out: Buffer[] = [];
    for (const g of this.indexEqual(key)) {
      out.push(Buffer.from(g));
      if (out.length > cap && out.length > EQUAL_MEMO_GUIDS) return undefined;
    }
    // an older snapshot's answer does not replace a newer one (epochs only grow as commits go on)
    if (memo && out.length <= EQUAL_MEMO_GUIDS && (!known || epoch > known.epoch)) {
      if (memo.size >= EQUAL_MEMO_ENTRIES) memo.clear();
      memo.set(k, { epoch, guids: out });
    }
    return out.length > cap ? undefined : out;
  }

  /** Entries with start ≤ key < end, in key order. */
  *indexRange(start: Buffer, end: Buffer): Generator<{ key: Buffer; guid: Buffer }> {
    for (const { key, value } of this.store._dbs.index.getRange({ start, end, ...this.opts } as never) as Iterable<{ key: Buffer; value: Buffer }>) yield { key, guid: value };
  }

  /** Objects under one tuple-index key (attid ‖ tuple); only meaningful for an attid in builtTupleIndexes. */
  *tupleGuids(key: Buffer): Generator<Buffer> {
    for (const v of this.store._dbs.tuples.getValues(key, this.opts as never) as Iterable<Buffer>) yield v;
  }

  /** All keys of an attribute's index whose value starts with `prefix` (for substrings initial). */
  indexPrefix(attid: number, prefix: Buffer = Buffer.alloc(0)) {
    const start = Buffer.concat([u32(attid), prefix]);
    return this.indexRange(start, prefixEnd(start));
  }

  /**
   * Forward-link values of `source` (for one linkID when given), tombstoned ones included;
   * values hidden because an end is a tombstone (LinkValue.hidden) are left out.
   * Values whose source or target awaits delayed link processing (see `linkwork`) are shown
   * as that processing will leave them: present values are left out (mode remove) or flagged
   * deactivated (mode deactivate).
   */
  *links(source: Buffer, linkId?: number): Generator<LinkValue> {
    if (this.store.linkWorkHint === 0) {
      for (const lv of this.rawLinks(source, linkId)) if (!lv.hidden) yield lv;
      return;
    }
    const sourceMode = this.linkWorkOf(source);
    for (const lv of this.rawLinks(source, linkId)) {
      if (lv.hidden) continue;
      if (lv.stamp.timeDeleted !== 0 || lv.deactivated) {
        yield lv;
        continue;
      }
      const mode = sourceMode ?? this.linkWorkOf(lv.target);
      if (mode === LINK_WORK_REMOVE) continue;
      if (mode === LINK_WORK_DEACTIVATE) lv.deactivated = true;
      yield lv;
    }
  }

  /**
   * Targets (and binary parts) of the present forward-link values of `source` for `linkId`, in
   * key order, as links() shows them (hidden ones never), deactivated ones only when `withDeactivated`: the range
   * path (a page of a huge group), which reads each row's state from its bytes without decoding
   * the stamp.
   */
  *presentLinkTargets(source: Buffer, linkId: number, withDeactivated: boolean): Generator<{ target: Buffer; data: Buffer }> {
    if (this.store.linkWorkHint !== 0) {
      for (const lv of this.links(source, linkId)) if (lv.stamp.timeDeleted === 0 && (withDeactivated || !lv.deactivated)) yield { target: lv.target, data: lv.data };
      return;
    }
    const start = Buffer.concat([source, u32(linkId)]);
    for (const { key, value } of this.store._dbs.links.getRange({ start, end: prefixEnd(start), ...this.opts } as never) as Iterable<{ key: Buffer; value: Buffer }>) {
      const st = linkValueState(value);
      if (st.present && !st.hidden && (withDeactivated || !st.deactivated)) yield { target: key.subarray(20, 36), data: key.length === 36 ? EMPTY : key.subarray(36) };
    }
  }

  /** The stored forward-link values of `source`, whatever delayed link processing is pending. */
  *rawLinks(source: Buffer, linkId?: number): Generator<LinkValue> {
    const start = linkId === undefined ? source : Buffer.concat([source, u32(linkId)]);
    for (const { key, value } of this.store._dbs.links.getRange({ start, end: prefixEnd(start), ...this.opts } as never) as Iterable<{ key: Buffer; value: Buffer }>) {
      yield decodeLinkValue(key.subarray(0, 16), key.readUInt32BE(16), key.subarray(20, 36), key.subarray(36), value, this.store);
    }
  }

  getLink(source: Buffer, linkId: number, target: Buffer, data: Buffer = EMPTY): LinkValue | undefined {
    const v = this.store._dbs.links.get(linkKey(source, linkId, target, data), this.opts as never);
    return v ? decodeLinkValue(source, linkId, target, data, v, this.store) : undefined;
  }

  /**
   * Sources linking to `target` (through forward link `linkId` when given) with present,
   * active values. Entries whose source or target awaits delayed link processing are left out.
   */
  *backlinks(target: Buffer, linkId?: number): Generator<{ linkId: number; source: Buffer; data: Buffer }> {
    if (this.store.linkWorkHint === 0) {
      yield* this.rawBacklinks(target, linkId);
      return;
    }
    if (this.linkWorkOf(target) !== undefined) return;
    for (const b of this.rawBacklinks(target, linkId)) if (this.linkWorkOf(b.source) === undefined) yield b;
  }

  /** The stored back-link entries of `target`, whatever delayed link processing is pending. */
  *rawBacklinks(target: Buffer, linkId?: number): Generator<{ linkId: number; source: Buffer; data: Buffer }> {
    yield* this.linkKeys(this.store._dbs.backlinks, target, linkId);
  }

  /** Sources whose present value naming `target` is hidden because one end is a tombstone (LinkValue.hidden). */
  *hiddenBacklinks(target: Buffer, linkId?: number): Generator<{ linkId: number; source: Buffer; data: Buffer }> {
    yield* this.linkKeys(this.store._dbs.hidden, target, linkId);
  }

  /** Sources whose present value of `linkId` (any when not given) naming `target` is deactivated (Recycle Bin). */
  *deactivatedBacklinks(target: Buffer, linkId?: number): Generator<{ linkId: number; source: Buffer; data: Buffer }> {
    yield* this.linkKeys(this.store._dbs.deactivated, target, linkId);
  }

  private *linkKeys(db: Database<Buffer, Buffer>, target: Buffer, linkId?: number): Generator<{ linkId: number; source: Buffer; data: Buffer }> {
    const start = linkId === undefined ? target : Buffer.concat([target, u32(linkId)]);
    for (const key of db.getKeys({ start, end: prefixEnd(start), ...this.opts } as never) as Iterable<Buffer>) {
      yield { linkId: key.readUInt32BE(16), source: key.subarray(20, 36), data: key.subarray(36) };
    }
  }

  countBacklinks(target: Buffer, linkId: number): number {
    if (this.store.linkWorkHint > 0) {
      let n = 0;
      for (const _ of this.backlinks(target, linkId)) n++;
      return n;
    }
    const start = Buffer.concat([target, u32(linkId)]);
    return this.store._dbs.backlinks.getKeysCount({ start, end: prefixEnd(start), ...this.opts } as never);
  }

  /** The pending delayed link processing of `guid` (LINK_WORK_REMOVE / LINK_WORK_DEACTIVATE), if any. */
  linkWorkOf(guid: Buffer): number | undefined {
    if (this.store.linkWorkHint === 0) return undefined;
    const v = this.store._dbs.linkWork.get(guid, this.opts as never);
    return v ? v[0] : undefined;
  }

  /** Objects with delayed link processing pending, in GUID order. */
  *pendingLinkWork(): Generator<{ guid: Buffer; mode: number }> {
    for (const { key, value } of this.store._dbs.linkWork.getRange(this.opts as never) as Iterable<{ key: Buffer; value: Buffer }>) yield { guid: Buffer.from(key), mode: value[0]! };
  }

  /** Heads of the NC replicas this DC holds. */
  ncHeads(): Buffer[] {
    return (this.store._dbs.meta.get('ncs', this.opts as never) as Buffer[] | undefined) ?? [];
  }

  /** A meta value as this view's snapshot holds it (a snapshot taken before a write does not see it). */
  getMeta<T>(key: string): T | undefined {
    return this.store._dbs.meta.get(key, this.opts as never) as T | undefined;
  }

  /** The USN of the DC tuple in this snapshot: every commit that takes or advances a USN moves it. */
  dcUsn(): number {
    // a snapshot's DC tuple cannot change: read once (a view without a snapshot of its own reads it each time)
    if (this.dcUsnMemo !== undefined) return this.dcUsnMemo;
    const usn = this.readDcUsn();
    if (this.opts) this.dcUsnMemo = usn;
    return usn;
  }
  private dcUsnMemo: number | undefined;

  private readDcUsn(): number {
    // the stored bytes compared in place with the last ones decoded: most snapshots share them
    const meta = this.store._dbs.meta as unknown as { getBinaryFast(k: string, o?: unknown): Buffer | undefined; lastSize: number };
    const fast = meta.getBinaryFast('dc', this.opts);
    if (!fast) return 0;
    const size = meta.lastSize;
    const last = this.store._lastDc;
    if (last && last.raw.length === size && last.raw.compare(fast, 0, size) === 0) return last.usn;
    const raw = Buffer.from(fast.buffer, fast.byteOffset, size);
    const copy = Buffer.allocUnsafe(size);
    raw.copy(copy);
    const usn = (this.store._dbs.meta.get('dc', this.opts as never) as DcTuple | undefined)?.usn ?? 0;
    this.store._lastDc = { raw: copy, usn };
    return usn;
  }
}

const EMPTY = Buffer.alloc(0);
/** Records ReadTxn.getObjectShared keeps per Store (parents of adds: a few containers at a time). */
const SHARED_RECORDS = 64;
/** Freezes a decoded record's objects and arrays (its Buffers stay as they are: a typed array cannot be frozen). */
function freezeRecord(rec: ObjectRecord): Readonly<ObjectRecord> {
  for (const a of rec.attrs) {
    Object.freeze(a.values);
    if (a.stamp) Object.freeze(a.stamp);
    Object.freeze(a);
  }
  Object.freeze(rec.attrs);
  return Object.freeze(rec);
}
/** Modes of delayed link processing (`linkwork`): the values are removed (tombstone) or deactivated (Recycle Bin). */
export const LINK_WORK_REMOVE = 1;
export const LINK_WORK_DEACTIVATE = 2;
function childValue(guid: Buffer, rdnType: number): Buffer {
  const v = Buffer.allocUnsafe(20);
  guid.copy(v, 0);
  v.writeUInt32BE(rdnType >>> 0, 16);
  return v;
}
/** Moves `guid` from the keys of `oldKeys` to those of `newKeys` in a dupsort index; whether any key was put or removed. */
function diffKeys(db: Database<Buffer, Buffer>, oldKeys: Buffer[], newKeys: Buffer[], guid: Buffer): boolean {
  if (oldKeys.length === 0) {
    // a new object (the bulk of a full sync): every key is new; putting a (key, guid) pair twice is a no-op in a dupSort database
    for (const k of newKeys) db.putSync(k, guid);
    return newKeys.length > 0;
  }
  const oldSet = new Map(oldKeys.map((k) => [k.toString('latin1'), k]));
  const newSet = new Map(newKeys.map((k) => [k.toString('latin1'), k]));
  let changed = false;
  for (const [s, k] of oldSet) if (!newSet.has(s)) db.removeSync(k, guid), (changed = true);
  for (const [s, k] of newSet) if (!oldSet.has(s)) db.putSync(k, guid), (changed = true);
  return changed;
}

/** A `usn` key: ncGUID ‖ uSNChanged (u64) ‖ objectGUID. */
function usnKey(nc: Buffer, usn: number, guid: Buffer): Buffer {
  if (nc.length !== 16 || guid.length !== 16) return Buffer.concat([nc, u64(usn), guid]);
  const k = Buffer.allocUnsafe(40);
  k.set(nc, 0);
  k.writeBigUInt64BE(BigInt(usn), 16);
  k.set(guid, 24);
  return k;
}

function linkKey(source: Buffer, linkId: number, target: Buffer, data: Buffer): Buffer {
  return Buffer.concat([source, u32(linkId), target, data]);
}

/** Writes of one originating (or replicated) update. Reads see the transaction's own writes. */
export class WriteTxn extends ReadTxn {
  private usnUsed = false;
  private readonly touched = new Map<string, Buffer>();
  /** objectGUIDs that putObject/removeObject touched in this update (for Store.onCommit) */
  get changed(): Buffer[] {
    return [...this.touched.values()];
  }
  /**
   * A value that is new each time putObject/removeObject writes `guid` in this update
   * (undefined while it has not): a record read in this update is still current while its mark is.
   */
  writeMark(guid: Buffer): unknown {
    return this.touched.get(guid.toString('latin1'));
  }
  constructor(store: Store) {
    super(store, undefined, () => {});
    store._writeSerial++;
  }

  override get committedView(): boolean {
    return false;
  }

  /**
   * The last DN-index key childEntry found free in this transaction, until the next write of the
   * DN index (putObject and removeObject, its only writers, forget it): putObject does not look a
   * new object's name up again when the caller has just done so (replication's name-conflict check).
   */
  private lastChildMiss: Buffer | undefined;
  protected override childMissed(key: Buffer): void {
    this.lastChildMiss = key;
  }

  /** Moves the naming epoch once per update when the naming fields of an object change (see "Naming epoch" above). */
  private namingChanged(): void {
    if (this.epochMoved || !this.store._bumpNamingEpoch) return;
    this.epochMoved = true;
    this.store._epochTop = this.storeEpoch('namingEpoch', this.store._epochTop);
  }
  private epochMoved = false;

  /** Moves the index epoch once per update when the value index changes (see "Index epoch" above). */
  private indexChanged(): void {
    if (this.indexEpochMoved || !this.store._bumpIndexEpoch) return;
    this.indexEpochMoved = true;
    this.store._indexEpochTop = this.storeEpoch('indexEpoch', this.store._indexEpochTop);
  }
  private indexEpochMoved = false;

  /** Moves the principal epoch once per update when a link value or a record the classifier marks is written (see "Principal epoch" above). */
  private principalChanged(): void {
    if (this.principalEpochMoved || !this.store._bumpPrincipalEpoch) return;
    this.principalEpochMoved = true;
    this.store._principalEpochTop = this.storeEpoch('principalEpoch', this.store._principalEpochTop);
  }
  private principalEpochMoved = false;

  /** Stores a new epoch under meta `key`, above the stored one and `top` (the highest this process handed out); returns it. */
  private storeEpoch(key: 'namingEpoch' | 'indexEpoch' | 'principalEpoch', top: number): number {
    const meta = this.store._dbs.meta;
    const next = Math.max((meta.get(key) as number | undefined) ?? 0, top) + 1;
    meta.putSync(key, next);
    return next;
  }

  /**
   * The USN of this update: every originating update takes dc.usn and then raises it
   * (MS-ADTS 3.1.1.1.9: "When all updates associated with an originating update request are
   * complete, the variable dc.usn is increased by at least one"). All stamps of one update
   * share it.
   */
  get usn(): number {
    this.usnUsed = true;
    return this.store.dc.usn;
  }

  /**
   * Ends one originating update and starts the next inside the same transaction: later
   * stamps get a higher USN. Provisioning uses it so that every object it creates has its
   * own uSNCreated, as if each had been added by its own request.
   */
  advanceUsn(): void {
    if (this.usnUsed) {
      this.store.dc.usn++;
      this.usnUsed = false;
      this.usnAdvanced = true;
    }
  }
  private usnAdvanced = false;

  /**
   * Writes `rec` under `guid`, keeping the DN, USN and value indexes in step with `prev`
   * (the record as read in this transaction, or undefined for a new object).
   */
  putObject(guid: Buffer, rec: ObjectRecord, prev: ObjectRecord | undefined): void {
    const d = this.store._dbs;
    const newName = indexName(rec);
    const newChild = childKey(rec.parent, newName);
    // a name this transaction has just looked up and found free, with no DN-index write since
    const free = this.lastChildMiss !== undefined && this.lastChildMiss.equals(newChild);
    this.lastChildMiss = undefined;
    if (prev) {
      if (prev.name !== rec.name || prev.rdnType !== rec.rdnType || (prev.ncName ?? null) !== (rec.ncName ?? null) || (prev.parent === null ? rec.parent !== null : rec.parent === null || !prev.parent.equals(rec.parent))) this.namingChanged();
      const oldChild = childKey(prev.parent, indexName(prev));
      if (!oldChild.equals(newChild)) {
        if (rec.parent === null) this.store._ncNameFiled(newName);
        const holder = d.children.get(newChild);
        if (holder && !holder.subarray(0, 16).equals(guid)) throw new StoreError('ERR_STORE_NAME_EXISTS', `an object named ${JSON.stringify(newName)} exists under that parent`);
        d.children.removeSync(oldChild);
        d.children.putSync(newChild, childValue(guid, rec.rdnType));
      }
      else if (prev.rdnType !== rec.rdnType) d.children.putSync(newChild, childValue(guid, rec.rdnType));
      if (prev.usnChanged !== rec.usnChanged) d.usn.removeSync(Buffer.concat([prev.nc, u64(prev.usnChanged), guid]));
    } else {
      if (!free && d.children.get(newChild)) throw new StoreError('ERR_STORE_NAME_EXISTS', `an object named ${JSON.stringify(newName)} exists under that parent`);
      d.children.putSync(newChild, childValue(guid, rec.rdnType));
      if (rec.parent === null) {
        this.store._ncNameFiled(newName);
        // a new NC head changes what is derived from the naming of others: which NC heads lie
        // below an object (the continuation references of a subtree search, scope.ts)
        this.namingChanged();
        const ncs = (d.meta.get('ncs') as Buffer[] | undefined) ?? [];
        if (!ncs.some((g) => g.equals(guid))) d.meta.putSync('ncs', [...ncs, guid]);
      }
    }
    d.usn.putSync(usnKey(rec.nc, rec.usnChanged, guid), EMPTY);
    if (d.indexer && diffKeys(d.index, prev ? d.indexer(prev) : [], d.indexer(rec), guid)) this.indexChanged();
    if (d.tupleIndexer) diffKeys(d.tuples, prev ? d.tupleIndexer(prev) : [], d.tupleIndexer(rec), guid);
    if (d.principal && !this.principalEpochMoved && (d.principal(rec) || (prev !== undefined && d.principal(prev)))) this.principalChanged();
    d.objects.putSync(guid, encodeObject(rec, this.store));
    this.touched.set(guid.toString('latin1'), Buffer.from(guid));
  }

  /** Removes an object for good (garbage collection of a tombstone, MS-ADTS 3.1.1.1.5.1). */
  removeObject(guid: Buffer, prev: ObjectRecord): void {
    const d = this.store._dbs;
    this.lastChildMiss = undefined;
    this.namingChanged();
    d.children.removeSync(childKey(prev.parent, indexName(prev)));
    d.usn.removeSync(Buffer.concat([prev.nc, u64(prev.usnChanged), guid]));
    if (d.indexer) {
      const keys = d.indexer(prev);
      for (const k of keys) d.index.removeSync(k, guid);
      if (keys.length > 0) this.indexChanged();
    }
    if (d.tupleIndexer) diffKeys(d.tuples, d.tupleIndexer(prev), [], guid);
    if (d.principal && !this.principalEpochMoved && d.principal(prev)) this.principalChanged();
    d.objects.removeSync(guid);
    this.touched.set(guid.toString('latin1'), Buffer.from(guid));
  }

  /**
   * Builds the tuple index of `attids` over every object (keys from the tuple indexer, which
   * must already index them) and drops the tuple keys of `drop`; the catalog (meta
   * "tupleIndexes") becomes `built` when this update commits.
   */
  rebuildTupleIndexes(attids: readonly number[], drop: readonly number[], built: readonly number[]): void {
    const d = this.store._dbs;
    this.rebuildIndex(d.tuples, d.tupleIndexer, attids, drop);
    d.meta.putSync('tupleIndexes', [...built]);
    this.tupleCatalog = new Set(built);
  }
  /** @internal the catalog a rebuild in this update leaves */
  tupleCatalog: Set<number> | undefined;

  /**
   * The same for the value index (searchFlags fATTINDEX set or cleared after objects exist):
   * keys from the indexer, which must already index `attids`; the catalog is meta "valueIndexes".
   */
  rebuildValueIndexes(attids: readonly number[], drop: readonly number[], built: readonly number[]): void {
    const d = this.store._dbs;
    this.rebuildIndex(d.index, d.indexer, attids, drop);
    this.indexChanged();
    d.meta.putSync('valueIndexes', [...built]);
    this.valueCatalog = new Set(built);
  }
  /** @internal the value-index catalog a rebuild in this update leaves */
  valueCatalog: Set<number> | undefined;

  /** Drops the keys of `drop` from an index keyed attid ‖ …, and adds those of `attids` over every object. */
  private rebuildIndex(db: Database<Buffer, Buffer>, indexer: ((rec: ObjectRecord) => Buffer[]) | undefined, attids: readonly number[], drop: readonly number[]): void {
    for (const id of drop) {
      const start = u32(id);
      for (const key of [...(db.getKeys({ start, end: prefixEnd(start) } as never) as Iterable<Buffer>)]) db.removeSync(key);
    }
    if (attids.length > 0 && indexer) {
      const want = new Set(attids);
      for (const { key, value } of this.store._dbs.objects.getRange({} as never) as Iterable<{ key: Buffer; value: Buffer }>) {
        const guid = Buffer.from(key);
        for (const k of indexer(decodeObject(value, this.store))) if (want.has(k.readUInt32BE(0))) db.putSync(k, guid);
      }
    }
  }

  /** Writes a forward-link value (new, changed or tombstoned) and its back-link entry. */
  putLink(lv: LinkValue): void {
    const d = this.store._dbs;
    this.principalChanged();
    d.links.putSync(linkKey(lv.source, lv.linkId, lv.target, lv.data), encodeLinkValue(lv, this.store));
    const bk = Buffer.concat([lv.target, u32(lv.linkId), lv.source, lv.data]);
    // the back-link index lists present values only: tombstoned and deactivated values are not
    // back links; present deactivated values are kept under the same key in `deactivated`
    // values hidden because an end is a tombstone are no back links either; they are kept
    // under the same key in `hidden`, where an undelete or garbage collection finds them
    const present = lv.stamp.timeDeleted === 0;
    const hidden = present && lv.hidden === true;
    if (present && !lv.deactivated && !hidden) d.backlinks.putSync(bk, EMPTY);
    else d.backlinks.removeSync(bk);
    if (present && lv.deactivated && !hidden) d.deactivated.putSync(bk, EMPTY);
    else d.deactivated.removeSync(bk);
    if (hidden) d.hidden.putSync(bk, EMPTY);
    else d.hidden.removeSync(bk);
  }

  /** Removes a link value for good (garbage collection). */
  removeLink(lv: LinkValue): void {
    const d = this.store._dbs;
    this.principalChanged();
    d.links.removeSync(linkKey(lv.source, lv.linkId, lv.target, lv.data));
    const bk = Buffer.concat([lv.target, u32(lv.linkId), lv.source, lv.data]);
    d.backlinks.removeSync(bk);
    d.deactivated.removeSync(bk);
    d.hidden.removeSync(bk);
  }

  /** Queues delayed link processing of `guid` (`linkwork`); readers see its values as processed from this update on. */
  queueLinkWork(guid: Buffer, mode: typeof LINK_WORK_REMOVE | typeof LINK_WORK_DEACTIVATE): void {
    this.principalChanged();
    this.store._dbs.linkWork.putSync(guid, Buffer.from([mode]));
    this.store.linkWorkHint++;
  }

  /** Ends the delayed link processing of `guid`. */
  finishLinkWork(guid: Buffer): void {
    if (this.store._dbs.linkWork.get(guid) === undefined) return;
    this.store._dbs.linkWork.removeSync(guid);
    this.linkWorkDone++;
  }
  /** @internal how many linkwork entries this update removed */
  linkWorkDone = 0;

  setMeta(key: string, value: unknown): void {
    if (key === 'format' || key === 'dc' || key === 'inv' || key === 'ncs' || key === 'usnReserve' || key === 'retired' || key === 'namingEpoch' || key === 'indexEpoch' || key === 'principalEpoch') throw new Error(`meta key ${key} belongs to the store`);
    this.store._dbs.meta.putSync(key, value);
  }

  private finishers: (() => void)[] = [];
  /**
   * Runs `fn` when the update's body has returned, before the DC tuple is persisted (the
   * update port uses it to touch the source objects of changed link values, MS-ADTS 3.1.1.1.9).
   */
  beforeFinish(fn: () => void): void {
    this.finishers.push(fn);
  }

  /** @internal the update took at least one USN */
  get tookUsn(): boolean {
    return this.usnUsed || this.usnAdvanced;
  }

  /** @internal called when the body returns: persists the DC tuple if the USN was taken. */
  finish(): void {
    for (let i = 0; i < this.finishers.length; i++) this.finishers[i]!();
    if (this.usnUsed) this.store.dc.usn++;
    if (this.usnUsed || this.usnAdvanced) this.store._dbs.meta.putSync('dc', this.store.dc);
    this.store._persistInvocations();
  }
}

export { packr };
