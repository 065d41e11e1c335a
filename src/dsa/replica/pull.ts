// The destination's half of a replication cycle (MS-DRSR 4.1.10.4 ReplicateNCRequestMsg and
// 4.1.10.6.1): the next request to a source from the persisted repsFrom watermark and this
// DC's UTD vector, and the handling of its reply — applied in one store transaction; a chunk
// that needs a missing parent or link target is abandoned whole and asked for again with
// DRS_GET_ANC / DRS_GET_TGT. The transport (TLS between forestd DCs, an in-memory faulty
// one in the simulator, DCE/RPC later) only carries the two messages.
import type { ReadTxn, WriteTxn } from '../../store/store.js';
import { DsError, DsWin32 } from '../model/ds-error.js';
import { processGetNCChangesReply, validateReply, type ApplyOutcome } from './apply.js';
import type { ReplicaContext } from './context.js';
import { readReplicaState } from './state.js';
import { DRS_GET_TGT, DrsOptions, EXOP_FSMO_REQ_RID_ALLOC, ExopErr, ZERO_USN_VECTOR, type DRS_MSG_GETCHGREPLY_V6, type DRS_MSG_GETCHGREQ_V10, type DSNAME } from './types.js';

export interface PullOptions {
  cMaxObjects?: number;
  cMaxBytes?: number;
  getAnc?: boolean;
  getTgt?: boolean;
}

/** The next GetNCChanges request of this DC to source `srcDsa` (its nTDSDSA objectGUID) for NC `nc`. */
export function nextRequest(ctx: ReplicaContext, r: ReadTxn, nc: DSNAME, srcDsa: Buffer, srcInvocationId: Buffer, opts: PullOptions = {}): DRS_MSG_GETCHGREQ_V10 {
  const st = readReplicaState(r, nc.Guid);
  const rf = st.repsFrom.find((x) => x.uuidDsa.equals(srcDsa));
  // MS-DRSR 4.1.10.4: the destination's UTD vector, with a cursor for itself (it holds all its own updates)
  const cursors = st.utd.filter((c) => !c.uuidDsa.equals(ctx.invocationId));
  // its own cursor: committed and durable updates only (MS-ADTS 3.1.1.1.9 dc.usn − 1 may count
  // an update still running, or not yet on disk)
  cursors.push({ uuidDsa: ctx.invocationId, usnHighPropUpdate: Math.min(ctx.store.highestCommittedUsn, ctx.store.committedUsn), timeLastSyncSuccess: ctx.clock() });
  cursors.sort((a, b) => Buffer.compare(a.uuidDsa, b.uuidDsa));
  return {
    uuidDsaObjDest: ctx.serverGuid,
    uuidInvocIdSrc: srcInvocationId,
    pNC: nc,
    usnvecFrom: rf && rf.uuidInvocId.equals(srcInvocationId) ? { ...rf.usnvec } : { ...ZERO_USN_VECTOR },
    pUpToDateVecDest: { dwVersion: 2, dwReserved1: 0, rgCursors: cursors },
    ulFlags: DrsOptions.DRS_WRIT_REP | DrsOptions.DRS_INIT_SYNC | (opts.getAnc ? DrsOptions.DRS_GET_ANC : 0),
    cMaxObjects: opts.cMaxObjects ?? 0,
    cMaxBytes: opts.cMaxBytes ?? 0,
    ulExtendedOp: 0,
    ulMoreFlags: opts.getTgt ? DRS_GET_TGT : 0,
  };
}

export type ReplyResult =
  | { kind: 'applied'; outcome: ApplyOutcome; more: boolean }
  /** a reply to a request this DC no longer waits for (duplicate, late): ignored */
  | { kind: 'stale' }
  /** the chunk was abandoned; ask again with these flags */
  | { kind: 'retry'; getAnc: boolean; getTgt: boolean; error: DsError }
  | { kind: 'failed'; error: number; cause?: unknown };

/**
 * The request for a new RID block (MS-DRSR 4.1.10.4.3 PerformExtendedOpRequestMsg with
 * EXOP_FSMO_REQ_RID_ALLOC): pNC is the RID Manager$ object, liFsmoInfo this DC's current
 * rIDAllocationPool.
 */
export function ridAllocRequest(ctx: ReplicaContext, ridManager: DSNAME, srcInvocationId: Buffer, currentPool: bigint | undefined): DRS_MSG_GETCHGREQ_V10 {
  return {
    uuidDsaObjDest: ctx.serverGuid,
    uuidInvocIdSrc: srcInvocationId,
    pNC: ridManager,
    usnvecFrom: { ...ZERO_USN_VECTOR },
    pUpToDateVecDest: null,
    ulFlags: DrsOptions.DRS_WRIT_REP,
    cMaxObjects: 0,
    cMaxBytes: 0,
    ulExtendedOp: EXOP_FSMO_REQ_RID_ALLOC,
    liFsmoInfo: currentPool ?? 0n,
    ulMoreFlags: 0,
  };
}

/**
 * Whether `reply` answers the request this DC would make from the watermark in `r` (MS-DRSR
 * 4.1.10.6: its usnvecFrom is the stored repsFrom usnvec of its source, or zero for a source
 * whose invocationId changed or that is new).
 */
function answersWatermark(r: ReadTxn, reply: DRS_MSG_GETCHGREPLY_V6): boolean {
  const st = readReplicaState(r, reply.pNC.Guid);
  const rf = st.repsFrom.find((x) => x.uuidDsa.equals(reply.uuidDsaObjSrc));
  const from = rf && rf.uuidInvocId.equals(reply.uuidInvocIdSrc) ? rf.usnvec.usnHighObjUpdate : 0;
  return reply.usnvecFrom.usnHighObjUpdate === from;
}

/**
 * What the reply asks for before its transaction: a result now, or the transaction to run and
 * how to read its failure. The body checks the watermark again in its own transaction and
 * returns null, writing nothing, when the reply does not follow it (a chunk queued behind one
 * that failed, or a replay). With `behind`, the reply is queued behind the write of the chunk
 * before it, not yet committed: only the body's check can tell.
 */
function prepare(ctx: ReplicaContext, reply: DRS_MSG_GETCHGREPLY_V6, asked: PullOptions, behind = false): ReplyResult | { body: (w: WriteTxn) => ApplyOutcome | null; more: boolean; ext: boolean } {
  if (reply.dwDRSError !== 0) return { kind: 'failed', error: reply.dwDRSError };
  try {
    validateReply(reply);
    if (!Number.isSafeInteger(reply.usnvecFrom?.usnHighObjUpdate)) throw new Error('bad usnvecFrom');
  } catch (e) {
    return { kind: 'failed', error: e instanceof DsError ? e.win32 : DsWin32.ERROR_DS_DRA_INVALID_PARAMETER };
  }
  // an extended operation's reply: its objects are applied, without touching repsFrom or the UTD vector
  if (reply.ulExtendedRet !== 0) {
    if (reply.ulExtendedRet !== ExopErr.EXOP_ERR_SUCCESS) return { kind: 'failed', error: reply.ulExtendedRet };
    return { body: (w) => processGetNCChangesReply(ctx, w, reply, { extendedOp: true, getTgt: true, validated: true }), more: false, ext: true };
  }
  if (!behind && !answersWatermark(ctx.store.reader, reply)) return { kind: 'stale' };
  return { body: (w) => (answersWatermark(w, reply) ? processGetNCChangesReply(ctx, w, reply, { getTgt: !!asked.getTgt, validated: true }) : null), more: reply.fMoreData, ext: false };
}

function failure(e: unknown, asked: PullOptions, ext: boolean): ReplyResult {
  if (!ext && e instanceof DsError && e.win32 === DsWin32.ERROR_DS_DRA_MISSING_PARENT && !asked.getAnc) return { kind: 'retry', getAnc: true, getTgt: !!asked.getTgt, error: e };
  if (!ext && e instanceof DsError && e.win32 === DsWin32.ERROR_DS_DRA_RECYCLED_TARGET && !asked.getTgt) return { kind: 'retry', getAnc: !!asked.getAnc, getTgt: true, error: e };
  if (e instanceof DsError) return { kind: 'failed', error: e.win32 };
  // anything else the reply made the store refuse (a name the DN index cannot take, …): the
  // chunk is abandoned like any other failure and the cycle reports it
  return { kind: 'failed', error: DsWin32.ERROR_DS_DRA_INTERNAL_ERROR, cause: e };
}

/** Handles a reply: one synchronous store transaction for the whole chunk. */
export function handleReply(ctx: ReplicaContext, reply: DRS_MSG_GETCHGREPLY_V6, asked: PullOptions = {}): ReplyResult {
  const p = prepare(ctx, reply, asked);
  if ('kind' in p) return p;
  try {
    const outcome = ctx.store.writeSync(p.body);
    return outcome ? { kind: 'applied', outcome, more: p.more } : { kind: 'stale' };
  } catch (e) {
    return failure(e, asked, p.ext);
  }
}

/** How handleReplyAsync queues its transaction. */
export interface QueueOptions {
  /** the reply follows a chunk whose write is queued and not committed yet (prepare) */
  behind?: boolean;
  /** called when the transaction's body starts: a write queued after that runs after it */
  started?: () => void;
}

/**
 * As handleReply, in one asynchronous store transaction (Store.write: group commit, flushed
 * before it resolves). With `behind`, the reply follows a chunk whose write was queued and has
 * not committed yet: its transaction, queued after that one, sees its effects (parents, the
 * watermark), and its outcome is 'stale' with nothing written if that chunk was not applied.
 */
export async function handleReplyAsync(ctx: ReplicaContext, reply: DRS_MSG_GETCHGREPLY_V6, asked: PullOptions = {}, queue: QueueOptions = {}): Promise<ReplyResult> {
  const p = prepare(ctx, reply, asked, queue.behind);
  if ('kind' in p) return p;
  try {
    const body = p.body;
    const started = queue.started;
    const outcome = await ctx.store.write(started ? (w) => (started(), body(w)) : body);
    return outcome ? { kind: 'applied', outcome, more: p.more } : { kind: 'stale' };
  } catch (e) {
    return failure(e, asked, p.ext);
  }
}
