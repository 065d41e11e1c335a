// Strict replication consistency: a DC whose last successful inbound replication of an NC from
// a source is older than the tombstone lifetime (MS-ADTS 3.1.1.1.15; tombstoneLifetime on the
// Directory Service object, 6.1.1.2.4.1.1) does not replicate in from it any more. Tombstones it
// should have received may already be garbage collected on the source, so the objects they
// deleted would stay alive here (lingering objects) and replicate back out. The cycle is
// refused with ERROR_DS_REPL_LIFETIME_EXCEEDED (8614, 0x21A6), which the cycle's status records
// (cycle-status.ts) and msDS-NCReplInboundNeighbors shows as the last result. A source this DC
// never replicated from successfully (timeLastSuccess 0) is not refused.
import type { ReadTxn } from '../../store/store.js';
import { DsError, DsProblem, LdapCode } from '../model/ds-error.js';
import type { ReplicaContext } from './context.js';
import { readReplicaState } from './state.js';

/** MS-ERREF 2.2: ERROR_DS_REPL_LIFETIME_EXCEEDED */
export const ERROR_DS_REPL_LIFETIME_EXCEEDED = 0x21a6;

const DAY = 86_400;

/**
 * Whether this DC may replicate NC `nc` in from source `srcDsa` now: undefined, or the refusal.
 * `tombstoneLifetimeDays` is the forest's (garbage-collection.ts tombstoneLifetimeDays).
 */
export function replicationLifetimeRefusal(ctx: ReplicaContext, r: ReadTxn, nc: Buffer, srcDsa: Buffer, tombstoneLifetimeDays: number): DsError | undefined {
  const rf = readReplicaState(r, nc).repsFrom.find((x) => x.uuidDsa.equals(srcDsa));
  if (!rf || !rf.timeLastSuccess) return undefined;
  const age = ctx.clock() - rf.timeLastSuccess;
  if (age <= tombstoneLifetimeDays * DAY) return undefined;
  return new DsError(
    ERROR_DS_REPL_LIFETIME_EXCEEDED,
    LdapCode.unwillingToPerform,
    DsProblem.WILL_NOT_PERFORM,
    'drs.strictReplicationConsistency',
    `the last successful replication from this source was ${Math.floor(age / DAY)} days ago, longer than the tombstone lifetime (${tombstoneLifetimeDays} days): replicating in could revive deleted objects (lingering objects); remove the lingering objects and rebuild the replica, or turn strict replication consistency off`,
  );
}
