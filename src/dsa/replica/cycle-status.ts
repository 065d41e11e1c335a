// The outcome of each inbound replication cycle of an NC from a source, kept beside the source's
// repsFrom watermark (MS-DRSR 5.170 REPS_FROM: timeLastSuccess, timeLastAttempt,
// ulResultLastAttempt, cConsecutiveFailures), so that msDS-NCReplInboundNeighbors and
// `forestd repl show` tell the last attempt, its Win32 result and the failures in a row, as
// repadmin /showrepl does. The watermark itself moves only in the chunk's own transaction
// (apply.ts); this records, after a cycle, only what the cycle came to — including a cycle that
// changed nothing, whose success still counts for the tombstone lifetime check
// (strict-consistency.ts).
import type { ReplicaContext } from './context.js';
import { readReplicaState, writeReplicaState, type RepsFromState } from './state.js';

export interface CycleOutcome {
  /** the NC's objectGUID */
  nc: Buffer;
  /** 0, or the Win32 code the cycle failed with */
  result: number;
  /** objects the cycle applied */
  objects: number;
}

/** Records the outcomes of one cycle from source `srcDsa` (its nTDSDSA objectGUID), in one transaction. */
export async function recordCycles(ctx: ReplicaContext, srcDsa: Buffer, outcomes: CycleOutcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  const now = ctx.clock();
  await ctx.store.write((w) => {
    for (const o of outcomes) {
      const st = readReplicaState(w, o.nc);
      let rf: RepsFromState | undefined = st.repsFrom.find((x) => x.uuidDsa.equals(srcDsa));
      if (!rf) {
        // a source never replicated from: a watermark at 0 under a null invocationId is what a missing one means
        rf = { uuidDsa: Buffer.from(srcDsa), uuidInvocId: Buffer.alloc(16), usnvec: { usnHighObjUpdate: 0, usnReserved: 0, usnHighPropUpdate: 0 }, inCycle: false, timeLastSuccess: 0 };
        st.repsFrom.push(rf);
      }
      rf.timeLastAttempt = now;
      rf.ulResultLastAttempt = o.result >>> 0;
      rf.objectsLastCycle = o.objects;
      if (o.result === 0) {
        rf.timeLastSuccess = now;
        rf.cConsecutiveFailures = 0;
      } else rf.cConsecutiveFailures = (rf.cConsecutiveFailures ?? 0) + 1;
      writeReplicaState(w, o.nc, st);
    }
  });
}
