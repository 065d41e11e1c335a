// RID pools (MS-ADTS 6.1.5.3 "RID Master"; MS-SAMR 3.1.1.9.1 objectSid of new principals):
// the RID Master hands out disjoint blocks of RIDs from rIDAvailablePool on the RID Manager$
// object; each DC keeps its own in its RID Set: rIDAllocationPool (the block the RID Master
// gave it last, replicated), rIDPreviousAllocationPool (the block in use) and rIDNextRID (the
// last RID issued) — the last two are not replicated, they are the DC's own bookkeeping.
// A pool is a LargeInteger: low 32 bits the first RID, high 32 bits the last.
//
// Pure functions over those values; the RID_ALLOC extended operation (src/dsa/replica/fsmo.ts)
// and the SAM's SID assignment call them.

/** MS-ADTS 6.1.5.3: RIDs per block (the RID Master's default). */
export const RID_BLOCK_SIZE = 500;
/** The highest RID (MS-ADTS 6.1.5.3: 2^30 − 1 without the "unlocked" 31st bit). */
export const MAX_RID = 0x3fffffff;

export const pool = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
export const poolLo = (p: bigint): number => Number(BigInt.asUintN(64, p) & 0xffffffffn);
export const poolHi = (p: bigint): number => Number(BigInt.asUintN(64, p) >> 32n);

/** The RID Master's allocation: the next block from rIDAvailablePool, or undefined when the domain has run out. */
export function allocateBlock(available: bigint, size = RID_BLOCK_SIZE): { block: bigint; available: bigint } | undefined {
  const lo = poolLo(available);
  const hi = poolHi(available);
  if (size < 1 || lo > hi || hi - lo + 1 < size) return undefined;
  return { block: pool(lo, lo + size - 1), available: pool(lo + size, hi) };
}

/** A DC's RID Set, as its attributes hold it. */
export interface RidSetState {
  /** rIDAllocationPool: the block last received from the RID Master */
  allocationPool?: bigint;
  /** rIDPreviousAllocationPool: the block RIDs are issued from */
  previousPool?: bigint;
  /** rIDNextRID: the last RID issued from previousPool */
  nextRid?: number;
}

/**
 * The next RID of this DC, and its RID Set afterwards; undefined when it has none left (the
 * caller refuses the create with ERROR_DS_NO_RIDS_ALLOCATED and asks the RID Master).
 * When the block in use is spent, the block received last takes over.
 */
export function takeRid(s: RidSetState): { rid: number; next: RidSetState } | undefined {
  let prev = s.previousPool;
  let last = s.nextRid ?? 0;
  const spent = prev === undefined || last >= poolHi(prev);
  if (spent) {
    if (s.allocationPool === undefined || s.allocationPool === prev) return undefined;
    prev = s.allocationPool;
    last = poolLo(prev) - 1;
  }
  const rid = Math.max(last + 1, poolLo(prev!));
  if (rid > poolHi(prev!)) return undefined;
  return { rid, next: { ...s, previousPool: prev, nextRid: rid } };
}

/**
 * Whether the DC should ask for its next block now (MS-ADTS 6.1.5.3: a DC asks before it runs
 * out — when no block is waiting and half of the block in use is spent).
 */
export function wantsBlock(s: RidSetState): boolean {
  if (s.allocationPool === undefined) return true;
  if (s.allocationPool !== s.previousPool) return false; // a block is waiting
  if (s.previousPool === undefined) return false;
  const lo = poolLo(s.previousPool);
  const hi = poolHi(s.previousPool);
  return (s.nextRid ?? lo - 1) - lo + 1 >= (hi - lo + 1) / 2;
}

/**
 * The rIDNextRID to store when RID `s.nextRid` is issued and the stored value is below it: up to
 * `reserve` RIDs at once (the DC then issues the next ones without writing its RID Set; after a
 * crash or restart it goes on above the stored value, so the RIDs reserved and not issued are
 * skipped, never issued twice — MS-ADTS 6.1.5.3 asks only that a RID is never reused). The
 * value stays below the point where wantsBlock would turn true before the RID issued does, so
 * the stored RID Set tells the same "half spent" that the RIDs issued do.
 */
export function reservedNextRid(s: RidSetState, reserve: number): number {
  const last = s.nextRid!;
  const lo = poolLo(s.previousPool!);
  const hi = poolHi(s.previousPool!);
  let mark = Math.min(hi, last + Math.max(1, reserve) - 1);
  if (!wantsBlock(s) && s.allocationPool === s.previousPool) mark = Math.min(mark, lo - 1 + Math.ceil((hi - lo + 1) / 2) - 1);
  return Math.max(mark, last);
}

/**
 * rIDAvailablePool with its low end raised to `floor` (no lower RID may start a block): a RID
 * Master never hands out RIDs of a pool it knows was given already, e.g. after the role was
 * seized from a master whose last rIDAvailablePool had not replicated (MS-ADTS 6.1.5.3).
 */
export function availableFrom(available: bigint, floor: number): bigint {
  return poolLo(available) >= floor ? available : pool(floor, poolHi(available));
}
