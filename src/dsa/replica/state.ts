// The replication state of an NC replica, kept in the store's meta database with the NC's
// data (meta key "repl:<ncGUID hex>"), so that a restarted DC resumes where its last committed
// chunk left it: the up-to-date vector (MS-DRSR 5.166 replUpToDateVector) and, per source DC,
// the repsFrom watermark (MS-DRSR 5.170 REPS_FROM: usnvec, the source's invocationId).
// It is written in the transaction of the chunk it follows, so it advances only with a commit.
import type { ReadTxn, WriteTxn } from '../../store/store.js';
import type { UPTODATE_CURSOR_V2, USN_VECTOR } from './types.js';

export interface RepsFromState {
  /** objectGUID of the source's nTDSDSA object */
  uuidDsa: Buffer;
  uuidInvocId: Buffer;
  usnvec: USN_VECTOR;
  /** a cycle in progress (fMoreData seen): the UTD vector is merged at its end only */
  inCycle: boolean;
  timeLastSuccess: number;
  /** the outcome of the last cycle (cycle-status.ts; absent before the first recorded one): MS-DRSR 5.170 timeLastAttempt, ulResultLastAttempt, cConsecutiveFailures */
  timeLastAttempt?: number;
  ulResultLastAttempt?: number;
  cConsecutiveFailures?: number;
  /** objects the last cycle applied (forestd's, for `forestd repl sync`) */
  objectsLastCycle?: number;
}

export interface ReplicaState {
  utd: UPTODATE_CURSOR_V2[];
  repsFrom: RepsFromState[];
}

const key = (nc: Buffer) => `repl:${nc.toString('hex')}`;

export function readReplicaState(r: ReadTxn, nc: Buffer): ReplicaState {
  const s = r.getMeta<ReplicaState>(key(nc));
  return s ? { utd: s.utd.map((c) => ({ ...c, uuidDsa: Buffer.from(c.uuidDsa) })), repsFrom: s.repsFrom.map((x) => ({ ...x, uuidDsa: Buffer.from(x.uuidDsa), uuidInvocId: Buffer.from(x.uuidInvocId), usnvec: { ...x.usnvec } })) } : { utd: [], repsFrom: [] };
}

export function writeReplicaState(w: WriteTxn, nc: Buffer, s: ReplicaState): void {
  w.setMeta(key(nc), s);
}
