// A DC's RID Set and the RID Master's side of RID pools, on the Directory (MS-ADTS 6.1.5.3
// "RID Master"; MS-SAMR 3.1.1.9.1 objectSid of a new security principal):
//
//  - The domain NC head's rIDManagerReference names the RID Manager$ object: its fSMORoleOwner
//    is the RID Master's nTDSDSA object, its rIDAvailablePool the RIDs no DC has been given yet.
//  - Each DC's computer object names its RID Set (rIDSetReferences, a child "CN=RID Set"):
//    rIDAllocationPool (replicated: the block the RID Master gave it last), and the DC's own,
//    unreplicated rIDPreviousAllocationPool (the block in use) and rIDNextRID (the last RID
//    issued). The pure rules are model/rid-pool.ts.
//  - The SAM takes each new principal's RID from this DC's RID Set in the create's own
//    transaction (takeRidForCreate). The stored rIDNextRID may run ahead of the last RID issued
//    (a reservation, model/rid-pool.ts reservedNextRid): the RID Set is written once per
//    reservation instead of once per create; the RIDs issued within it are kept on
//    Directory.ridPools.issued, and ownRidSet reports them. When the block in use is half spent, or spent with none
//    waiting, the RID Master allocates the next block locally in the same transaction; any
//    other DC asks the RID Master in the background (dir.ridPools.onWantsBlock, wired by the
//    replicator to src/drs/rid-manager-client.ts: EXOP_FSMO_REQ_RID_ALLOC). With no RID left
//    the create fails with ERROR_DS_NO_RIDS_ALLOCATED.
//  - The RID Master's answer to another DC's RID_ALLOC (src/dsa/replica/fsmo.ts) finds or makes
//    that DC's RID Set with ridSetOfDsa.
import type { Directory } from './directory.js';
import type { ReadTxn } from '../store/store.js';
import { getAttr, type ObjectRecord } from '../store/record.js';
import type { UpdatePort } from './model/update.js';
import { allocateBlock, availableFrom, poolHi, reservedNextRid, RID_BLOCK_SIZE, takeRid, wantsBlock, type RidSetState } from './model/rid-pool.js';
import { indexKey } from '../store/store.js';
import { AdError, Win32 } from './errors.js';
import { toStored } from './values.js';
// add.ts -> principals.ts -> here -> add.ts: createObject is only called, never read at load
import { createObject } from './add.js';
import type { OriginatingUpdate } from './originating-update.js';

/** Per-DC settings and hooks of RID pools (Directory.ridPools); nothing module-level. */
export interface RidPoolSettings {
  /** RIDs per block this DC hands out while it is the RID Master (MS-ADTS 6.1.5.3: 500; tests set fewer) */
  blockSize?: number;
  /** told when this DC (not the RID Master) should ask the RID Master for its next block */
  onWantsBlock?: () => void;
  /** objects found before (checked to exist at each use): RID Manager$ and this DC's RID Set */
  known?: { manager?: Buffer; ownSet?: Buffer };
  /** RIDs reserved by one write of rIDNextRID (default RID_RESERVE; 1: a write per RID issued) */
  reserve?: number;
  /** the last RID issued within the stored reservation (committed updates), see takeRidForCreate */
  issued?: RidIssue;
  /** the same for the write transaction in progress (its body may still fail) */
  pendingIssue?: { txn: unknown; issue: RidIssue };
  /**
   * The pools were given up by invalidateRidPool: no request in the background (at start, after a
   * replication cycle) until a create wants RIDs. AD's forest recovery: the next create fails and
   * makes the DC ask the RID Master for a new pool.
   */
  givenUp?: boolean;
}

/** RIDs one write of rIDNextRID reserves (the stored value runs ahead of the last RID issued by at most this). */
export const RID_RESERVE = 100;

/** The RIDs issued from a reservation: valid while the stored RID Set still says `previousPool` and `mark`. */
export interface RidIssue {
  set: Buffer;
  previousPool: bigint;
  /** rIDNextRID as stored (the reservation's top) */
  mark: number;
  /** the last RID issued */
  last: number;
}

const first = (rec: ObjectRecord | undefined, id: number | undefined): unknown => (rec && id !== undefined ? getAttr(rec, id)?.values[0] : undefined);
const guidOf = (v: unknown): Buffer | undefined => (v && typeof v === 'object' && 'guid' in v ? Buffer.from((v as { guid: Uint8Array }).guid) : undefined);
const big = (v: unknown): bigint | undefined => (typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : undefined);

/** The RID Manager$ object of this DC's domain (the domain NC head's rIDManagerReference). */
export function ridManagerOf(dir: Directory, r: ReadTxn): Buffer | undefined {
  const known = dir.ridPools.known?.manager;
  if (known && r.hasObject(known)) return known;
  const g = guidOf(first(r.getObject(Buffer.from(dir.forest.domainNC)), dir.schema.attr('rIDManagerReference')?.id));
  if (!g || !r.hasObject(g)) return undefined;
  dir.ridPools.known = { ...dir.ridPools.known, manager: g };
  return g;
}

/** The nTDSDSA objectGUID of the RID Master (fSMORoleOwner of RID Manager$). */
export function ridMasterOf(dir: Directory, r: ReadTxn): Buffer | undefined {
  const m = ridManagerOf(dir, r);
  return m && guidOf(first(r.getObject(m), dir.schema.attr('fSMORoleOwner')?.id));
}

export function isRidMaster(dir: Directory, r: ReadTxn): boolean {
  return ridMasterOf(dir, r)?.equals(Buffer.from(dir.forest.dsaGuid)) === true;
}

/** The computer object a server object names (serverReference, a forward link). */
export function serverReferenceOf(dir: Directory, r: ReadTxn, server: Buffer): Buffer | undefined {
  const info = dir.schema.attr('serverReference');
  if (!info?.forwardLinkId) return undefined;
  for (const lv of r.links(server, info.forwardLinkId)) if (lv.stamp.timeDeleted === 0 && !lv.deactivated && r.hasObject(lv.target)) return Buffer.from(lv.target);
  return undefined;
}

/**
 * The lowest RID a new block may start at: above every pool a RID Set of this replica names
 * (rIDAllocationPool, replicated, and this DC's own rIDPreviousAllocationPool). rIDAvailablePool
 * is normally past them all; after a seizure of the role (the old master's last update of it
 * lost) it may not be, and this keeps the new RID Master from giving those RIDs again.
 */
export function ridPoolFloor(dir: Directory, r: ReadTxn): number {
  const oc = dir.schema.attr('objectClass')!;
  const cls = dir.schema.snapshot.classInfo('rIDSet');
  if (!cls) return 0;
  let top = 0;
  const A = (n: string) => dir.schema.attr(n)?.id;
  for (const g of r.indexEqual(indexKey(oc.id, oc.syntax.normalize(cls.schema.governsID)))) {
    const rec = r.getObject(Buffer.from(g));
    for (const id of [A('rIDAllocationPool'), A('rIDPreviousAllocationPool')]) {
      const p = big(first(rec, id));
      if (p) top = Math.max(top, poolHi(p) + 1);
    }
  }
  return top;
}

/** The RID Set a computer object names (rIDSetReferences), if it exists here. */
export function ridSetOfComputer(dir: Directory, r: ReadTxn, computer: Buffer): Buffer | undefined {
  const info = dir.schema.attr('rIDSetReferences');
  const values = (info && r.getObject(computer)?.attrs.find((a) => a.id === info.id)?.values) ?? [];
  for (const v of values) {
    const g = guidOf(v);
    if (g && r.hasObject(g)) return g;
  }
  // the RID Set arrived before the computer object's rIDSetReferences did: its well-known name
  const child = r.childByName(computer, 'RID Set');
  return child ? Buffer.from(child) : undefined;
}

/** The pool state a RID Set holds (0 and absent alike: no pool). */
export function readRidSet(dir: Directory, r: ReadTxn, set: Buffer): RidSetState {
  // three attributes of the record, read without decoding the rest (every create reads them)
  const rec = r.readObject(set);
  const A = (n: string) => dir.schema.attr(n)?.id;
  const s: RidSetState = {};
  const alloc = big(first(rec, A('rIDAllocationPool')));
  const prev = big(first(rec, A('rIDPreviousAllocationPool')));
  const next = first(rec, A('rIDNextRID'));
  if (alloc) s.allocationPool = alloc;
  if (prev) s.previousPool = prev;
  if (typeof next === 'number' && next > 0) s.nextRid = next;
  return s;
}

/** This DC's RID Set and its state as stored (rIDNextRID: the top of the reservation). */
function storedOwnRidSet(dir: Directory, r: ReadTxn): { guid: Buffer; state: RidSetState } | undefined {
  const known = dir.ridPools.known?.ownSet;
  const g = known && r.hasObject(known) ? known : ridSetOfComputer(dir, r, Buffer.from(dir.forest.computerGuid));
  if (!g) return undefined;
  if (g !== known) dir.ridPools.known = { ...dir.ridPools.known, ownSet: g };
  return { guid: g, state: readRidSet(dir, r, g) };
}

/** The RIDs issued within the stored reservation, if what the RID Set holds is still that reservation (anything else wrote it: none). */
function issuedWithin(dir: Directory, r: ReadTxn, own: { guid: Buffer; state: RidSetState }): RidIssue | undefined {
  const p = dir.ridPools.pendingIssue;
  const i = p && p.txn === r ? p.issue : dir.ridPools.issued;
  return i && i.set.equals(own.guid) && i.previousPool === own.state.previousPool && i.mark === own.state.nextRid ? i : undefined;
}

/** The stored RID Set `own` with rIDNextRID the last RID issued within its reservation. */
function withIssued(dir: Directory, r: ReadTxn, own: { guid: Buffer; state: RidSetState }): { guid: Buffer; state: RidSetState } {
  const i = issuedWithin(dir, r, own);
  return i ? { guid: own.guid, state: { ...own.state, nextRid: i.last } } : own;
}

/** This DC's RID Set and its state, when it has one (rIDNextRID: the last RID issued). */
export function ownRidSet(dir: Directory, r: ReadTxn): { guid: Buffer; state: RidSetState } | undefined {
  const own = storedOwnRidSet(dir, r);
  return own && withIssued(dir, r, own);
}

/**
 * Meta key set by `forestd restore`: the RID Set is the backup's, so RIDs issued after the
 * backup would be issued again. Until an inbound replication cycle has brought back what the
 * RID Master gave meanwhile, the DC issues none; then every pool it knows is given up
 * (settleRestoredPool) and it takes a fresh one (AD invalidates a restored DC's RID pool too).
 */
export const RID_POOL_RESTORED_META = 'rid:restored';

/** Whether this DC should ask the RID Master for a block now (no RID Set yet, its pool restored, or model/rid-pool.ts wantsBlock). */
export function ownWantsBlock(dir: Directory, r: ReadTxn): boolean {
  const s = ownRidSet(dir, r);
  return !s || r.getMeta(RID_POOL_RESTORED_META) === true || wantsBlock(s.state);
}

/** Gives up every pool of this DC's RID Set (its own rIDPreviousAllocationPool := rIDAllocationPool, spent) and clears the restore mark. */
export function settleRestoredPool(dir: Directory, u: UpdatePort): void {
  giveUpOwnPools(dir, u);
  u.txn.setMeta(RID_POOL_RESTORED_META, false);
}

/**
 * Gives up this DC's pools, the one in use and the one waiting (its own unreplicated
 * rIDPreviousAllocationPool := rIDAllocationPool, rIDNextRID its last RID): the next create
 * finds no RID, and a new pool is taken — the rootDSE's invalidateRidPool (MS-ADTS 3.1.1.3.3;
 * AD's forest recovery uses it so that a restored DC issues no RID given out after its backup).
 */
export function giveUpOwnPools(dir: Directory, u: UpdatePort): void {
  dir.ridPools.issued = dir.ridPools.pendingIssue = undefined;
  const own = ownRidSet(dir, u.txn);
  if (own?.state.allocationPool !== undefined) {
    const alloc = own.state.allocationPool;
    const A = (n: string) => dir.schema.attr(n)!;
    edit(u, own.guid, (rec) => {
      u.setAttribute(rec, A('rIDPreviousAllocationPool'), [alloc]);
      u.setAttribute(rec, A('rIDNextRID'), [poolHi(alloc)]);
    }, false);
  }
}

function edit(u: UpdatePort, guid: Buffer, change: (rec: ObjectRecord) => void, touch = true): void {
  const prev = u.txn.getObject(guid)!;
  const rec: ObjectRecord = { ...prev, attrs: prev.attrs.map((a) => ({ ...a })) };
  change(rec);
  if (touch) u.touch(rec);
  u.txn.putObject(guid, rec, prev);
}

/**
 * The RID Set of the DC whose nTDSDSA objectGUID is `dsa`: found through its server object's
 * serverReference and the computer object's rIDSetReferences, or made by update `u` (a child
 * "CN=RID Set" of the computer object, its pools empty, and rIDSetReferences naming it).
 * `made` lists the objects the update changed beside the RID Set. Undefined for a DC this
 * replica does not know (MS-DRSR 4.1.10.5.12: EXOP_ERR_UNKNOWN_CALLER).
 */
export function ridSetOfDsa(dir: Directory, u: UpdatePort, dsa: Buffer, made: Buffer[] = []): Buffer | undefined {
  const w = u.txn;
  const dsaHead = w.getHeader(dsa);
  if (!dsaHead || !dsaHead.parent) return undefined;
  const computer = serverReferenceOf(dir, w, Buffer.from(dsaHead.parent));
  if (!computer) return undefined;
  const have = ridSetOfComputer(dir, w, computer);
  if (have) return have;
  const A = (n: string) => dir.schema.attr(n)!;
  const sctx = dir.syntaxContext(w, 'rid.set');
  const v = (n: string, s: string) => [A(n), toStored(A(n), [Buffer.from(s, 'utf8')], sctx, 'rid.set')] as const;
  const values = new Map([v('objectClass', 'rIDSet'), v('rIDAllocationPool', '0'), v('rIDPreviousAllocationPool', '0'), v('rIDNextRID', '0'), v('rIDUsedPool', '0')]);
  const guid = createObject(dir, u as OriginatingUpdate, { parent: computer, rdnType: A('cn'), rdnValue: 'RID Set', values } as never, { system: true, place: 'rid.set' });
  const refs = A('rIDSetReferences');
  edit(u, computer, (rec) => u.setAttribute(rec, refs, [...(rec.attrs.find((a) => a.id === refs.id)?.values ?? []), { guid }]));
  made.push(computer);
  return guid;
}

/**
 * The RID Master's own allocation (no DRS call to itself): the next block from rIDAvailablePool
 * into this DC's RID Set's rIDAllocationPool, one originating update of both objects.
 * False when the domain's RID space is spent.
 */
export function allocateOwnBlock(dir: Directory, u: UpdatePort): boolean {
  const w = u.txn;
  const mgr = ridManagerOf(dir, w);
  if (!mgr) return false;
  const set = ridSetOfDsa(dir, u, Buffer.from(dir.forest.dsaGuid));
  if (!set) return false;
  const A = (n: string) => dir.schema.attr(n)!;
  const available = big(first(w.getObject(mgr), A('rIDAvailablePool').id));
  const next = available === undefined ? undefined : allocateBlock(availableFrom(available, ridPoolFloor(dir, w)), dir.ridPools.blockSize ?? RID_BLOCK_SIZE);
  if (!next) return false;
  edit(u, mgr, (rec) => u.setAttribute(rec, A('rIDAvailablePool'), [next.available]));
  edit(u, set, (rec) => u.setAttribute(rec, A('rIDAllocationPool'), [next.block]));
  return true;
}

/**
 * The RID of a new security principal (MS-SAMR 3.1.1.9.1), from this DC's RID Set, in the
 * create's transaction: rIDPreviousAllocationPool and rIDNextRID move (unreplicated, so the
 * RID Set's uSNChanged does not), the RID Master refills locally, another DC asks for its
 * next block at half. No RID left: unwillingToPerform, ERROR_DS_NO_RIDS_ALLOCATED, and a
 * request for a block is started.
 */
export function takeRidForCreate(dir: Directory, u: OriginatingUpdate): number {
  const w = u.txn;
  // read only when needed (a refill, a refusal, half a pool): not on every create
  let masterKnown: boolean | undefined;
  const isMaster = () => (masterKnown ??= isRidMaster(dir, w));
  // restored from a backup: with no partner to hear from, nothing was given meanwhile
  // (read once: only settleRestoredPool changes it)
  let restored = w.getMeta(RID_POOL_RESTORED_META) === true;
  if (restored && !(w.getMeta<unknown[]>('repl:partners')?.length)) {
    settleRestoredPool(dir, u);
    restored = w.getMeta(RID_POOL_RESTORED_META) === true;
  }
  if (restored) {
    dir.ridPools.onWantsBlock?.();
    throw AdError.unwillingToPerformWith('sam.rid', Win32.ERROR_DS_NO_RIDS_ALLOCATED, 'this DC was restored: it takes a new RID pool after its first inbound replication');
  }
  let own = storedOwnRidSet(dir, w);
  let t = own && takeRid(withIssued(dir, w, own).state);
  if (!t && isMaster() && allocateOwnBlock(dir, u)) {
    own = storedOwnRidSet(dir, w);
    t = own && takeRid(withIssued(dir, w, own).state);
  }
  if (!own || !t) {
    const master = isMaster();
    if (!master) dir.ridPools.onWantsBlock?.();
    throw AdError.unwillingToPerformWith('sam.rid', master ? Win32.ERROR_DS_NO_MORE_RIDS : Win32.ERROR_DS_NO_RIDS_ALLOCATED, 'this DC has no RID left; it has asked the RID Master for a new pool');
  }
  const A = (n: string) => dir.schema.attr(n)!;
  const next = t.next;
  // rIDNextRID is written only when the RID is past the stored reservation (or the pool changed),
  // in this create's transaction: a RID above what the RID Set holds is never committed, so a
  // crash never issues one twice (MS-ADTS 6.1.5.3)
  let mark = own.state.nextRid ?? 0;
  if (next.previousPool !== own.state.previousPool || t.rid > mark) {
    mark = reservedNextRid(next, dir.ridPools.reserve ?? RID_RESERVE);
    edit(u, own.guid, (rec) => {
      u.setAttribute(rec, A('rIDPreviousAllocationPool'), [next.previousPool!]);
      u.setAttribute(rec, A('rIDNextRID'), [mark]);
    }, false);
  }
  const issue: RidIssue = { set: own.guid, previousPool: next.previousPool!, mark, last: t.rid };
  // the RIDs issued count once the body has returned (a create that fails takes none)
  if (dir.ridPools.pendingIssue?.txn !== w) w.beforeFinish(() => {
    if (dir.ridPools.pendingIssue?.txn === w) dir.ridPools.issued = dir.ridPools.pendingIssue.issue;
  });
  dir.ridPools.pendingIssue = { txn: w, issue };
  if (wantsBlock(next)) {
    if (isMaster()) allocateOwnBlock(dir, u);
    else dir.ridPools.onWantsBlock?.();
  }
  return t.rid;
}
