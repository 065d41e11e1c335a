// The client side of RID pools (MS-ADTS 6.1.5.3): a DC that is not the RID Master asks it for
// its next block with IDL_DRSGetNCChanges and EXOP_FSMO_REQ_RID_ALLOC (MS-DRSR 4.1.10.4.3
// PerformExtendedOpRequestMsg: pNC the RID Manager$ object, liFsmoInfo this DC's current
// rIDAllocationPool), over the forestd DRS transport, and applies the reply — RID Manager$ and
// its RID Set — as replicated updates (src/dsa/replica/pull.ts handleReplyAsync). The RID
// Master itself never calls itself: it takes its blocks locally (src/dsa/rid-set.ts).
//
// Requests run in the background, one at a time; one asked for while another runs runs after
// it. A request the RID Master cannot answer yet (EXOP_ERR_UNKNOWN_CALLER: a newly joined DC
// whose nTDSDSA object has not reached it) is asked again after the next completed inbound
// replication cycle (the replicator calls `request` then).
import { channel } from 'node:diagnostics_channel';
import type { Directory } from '../dsa/directory.js';
import type { ReplicaContext } from '../dsa/replica/context.js';
import { ridAllocRequest, handleReplyAsync } from '../dsa/replica/pull.js';
import { ExopErr } from '../dsa/replica/types.js';
import { allocateOwnBlock, isRidMaster, ownRidSet, ownWantsBlock, ridManagerOf, ridMasterOf, RID_POOL_RESTORED_META, serverReferenceOf, settleRestoredPool } from '../dsa/rid-set.js';
import { takeRid } from '../dsa/model/rid-pool.js';
import { OriginatingUpdate } from '../dsa/originating-update.js';
import type { DrsCredentials } from './transport/auth.js';
import { callGetNCChanges } from './convert.js';
import { codecOf } from './handlers.js';
import { connectPartner, partnersOf, type ReplPartner } from './replicator.js';

/** published after each RID pool request: { ok, pool?, error?, master } (pool: the rIDAllocationPool now, as a decimal string) */
export const RID_POOL_CHANNEL = 'forestd:rid:pool';
/**
 * published when a run of requests ends (nothing in flight): { ok, wants } — `wants` false: this
 * DC has RIDs and wants no block, so no request starts again until RIDs are spent or its pools
 * are given up
 */
export const RID_POOL_SETTLED_CHANNEL = 'forestd:rid:settled';

export interface RidRequestOutcome {
  ok: boolean;
  /** EXOP_ERR_* of the RID Master's answer, or a Win32 code, when not ok */
  error?: number;
  /** the failure's text, for the log */
  message?: string;
}

export class RidPoolClient {
  #running: Promise<RidRequestOutcome> | undefined;
  #again = false;
  #waiters: (() => void)[] = [];
  #cycled = false;

  constructor(
    readonly dir: Directory,
    readonly ctx: ReplicaContext,
    readonly creds: DrsCredentials,
    readonly onError?: (e: Error) => void,
  ) {}

  /** Whether this DC can issue a RID now (its RID Set has one left). */
  hasRids(): boolean {
    if (this.dir.store.reader.getMeta(RID_POOL_RESTORED_META) === true) return false;
    const own = ownRidSet(this.dir, this.dir.store.reader);
    return !!own && takeRid(own.state) !== undefined;
  }

  /** Resolves when this DC can issue a RID, or after `ms` (false). */
  untilRids(ms: number): Promise<boolean> {
    if (this.hasRids()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== done);
        resolve(false);
      }, ms);
      timer.unref?.();
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#waiters.push(done);
    });
  }

  /**
   * Asks for the next block when this DC wants one (no RID Set, none waiting and half spent, or
   * none left). `afterCycle`: an inbound replication cycle has just completed (a restored DC
   * gives up its pools only after one). `wanted`: the SAM wants a block (its decision may not
   * be committed yet, so the committed RID Set is not asked again).
   */
  request(afterCycle = false, wanted = false): Promise<RidRequestOutcome> {
    if (afterCycle) this.#cycled = true;
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      let out: RidRequestOutcome = { ok: true };
      let first = wanted;
      do {
        this.#again = false;
        if (!first && !ownWantsBlock(this.dir, this.dir.store.reader) && this.hasRids()) break;
        first = false;
        out = await this.once().catch((e: unknown) => ({ ok: false, message: (e as Error).message }));
        if (!out.ok) this.onError?.(new Error(`RID pool request: ${out.message ?? `EXOP_ERR 0x${(out.error ?? 0).toString(16)}`}`));
      } while (this.#again && out.ok);
      this.#running = undefined;
      const settled = channel(RID_POOL_SETTLED_CHANNEL);
      if (settled.hasSubscribers) settled.publish({ ok: out.ok, wants: ownWantsBlock(this.dir, this.dir.store.reader) || !this.hasRids() });
      if (this.hasRids()) for (const w of this.#waiters.splice(0)) w();
      return out;
    })();
    return this.#running;
  }

  private publish(out: RidRequestOutcome, master: Buffer | undefined): RidRequestOutcome {
    const ch = channel(RID_POOL_CHANNEL);
    if (ch.hasSubscribers) {
      const pool = ownRidSet(this.dir, this.dir.store.reader)?.state.allocationPool;
      ch.publish({ ...out, ...(pool !== undefined ? { pool: pool.toString() } : {}), master: master?.toString('hex') });
    }
    return out;
  }

  private async once(): Promise<RidRequestOutcome> {
    const dir = this.dir;
    const r = dir.store.reader;
    const mgr = ridManagerOf(dir, r);
    const master = ridMasterOf(dir, r);
    if (!mgr || !master) return this.publish({ ok: false, message: 'the domain has no RID Manager$ with a role owner' }, master);
    // restored from a backup (src/dsa/rid-set.ts RID_POOL_RESTORED_META): first hear from a partner what the RID Master gave meanwhile
    if (r.getMeta(RID_POOL_RESTORED_META) === true) {
      if (!this.#cycled && partnersOf(dir).length > 0) return this.publish({ ok: false, message: 'restored: waiting for a first inbound replication cycle before taking a new RID pool' }, master);
      await dir.store.write((w) => settleRestoredPool(dir, new OriginatingUpdate(w, dir.store.dc.invocationId, dir.clock)));
    }
    // the role came here (a transfer replicated in): take the block locally
    if (isRidMaster(dir, r)) {
      const ok = await dir.store.write((w) => allocateOwnBlock(dir, new OriginatingUpdate(w, dir.store.dc.invocationId, dir.clock)));
      return this.publish(ok ? { ok } : { ok, error: ExopErr.EXOP_ERR_RID_ALLOC, message: "the domain's RID space is spent" }, master);
    }
    const partner = this.partnerOf(master);
    if (!partner) return this.publish({ ok: false, message: `the RID Master ${master.toString('hex')} has no DRS address here (networkAddress)` }, master);
    const inv = r.getObject(master)?.attrs.find((a) => a.id === dir.schema.attr('invocationId')!.id)?.values[0] as Uint8Array | undefined;
    const { client, hDrs } = await connectPartner(this.creds, partner, Buffer.from(dir.forest.dsaGuid));
    try {
      const current = ownRidSet(dir, r)?.state.allocationPool;
      const req = ridAllocRequest(this.ctx, { Guid: mgr, StringName: dir.dnOf(r, mgr) }, inv ? Buffer.from(inv) : Buffer.alloc(16), current);
      const reply = await callGetNCChanges(client, hDrs, req as never, codecOf(dir));
      const res = await handleReplyAsync(this.ctx, reply as never, {});
      if (res.kind === 'applied') return this.publish({ ok: true }, master);
      const error = res.kind === 'failed' ? res.error : undefined;
      return this.publish({ ok: false, ...(error !== undefined ? { error } : {}), message: `the RID Master answered ${res.kind}${error !== undefined ? ` 0x${error.toString(16)}` : ''}` }, master);
    } finally {
      await client.close();
    }
  }

  /** The RID Master's DRS endpoint: a known partner, or its nTDSDSA object's networkAddress and its machine account. */
  private partnerOf(master: Buffer): ReplPartner | undefined {
    const known = partnersOf(this.dir).find((p) => p.dsaGuid === master.toString('hex'));
    if (known) return known;
    const dir = this.dir;
    const r = dir.store.reader;
    const address = r.getObject(master)?.attrs.find((a) => a.id === dir.schema.attr('networkAddress')?.id)?.values[0];
    const server = r.getHeader(master)?.parent;
    const computer = server && serverReferenceOf(dir, r, Buffer.from(server));
    const account = computer && r.getObject(computer)?.attrs.find((a) => a.id === dir.schema.attr('sAMAccountName')!.id)?.values[0];
    if (typeof address !== 'string' || typeof account !== 'string') return undefined;
    return { dsaGuid: master.toString('hex'), account, address };
  }
}
