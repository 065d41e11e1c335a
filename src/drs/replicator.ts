// A serving DC's inbound replication over the forestd DRS transport: the destination's cycle
// (MS-DRSR 4.1.10.4 ReplicateNCRequestMsg, 4.1.10.6 ProcessGetNCChangesReply, in the engine:
// src/dsa/replica/pull.ts) driven against each replication partner, on notification
// (MS-ADTS 3.1.1.5.1.6: a partner's IDL_DRSReplicaSync) and periodically as a safety net; and
// the outbound half, telling the partners after this DC's commits (the engine's ChangeNotifier)
// with IDL_DRSReplicaSync (MS-DRSR 4.1.23).
//
// The partners (forestd's stand-in for the KCC's connection objects, MS-ADTS 6.2) are kept in
// the store's meta database ("repl:partners"): the DC a replica was joined from, and every DC
// that notified this one over an authenticated connection (its machine account is a DC account
// of the domain, transport/auth.ts). Each has its DRS address (host:port) and account.
import { channel } from 'node:diagnostics_channel';
import { DrsClient } from './transport/tls.js';
import { machineAccountCredentials } from './machine-account.js';
import { callGetNCChanges } from './convert.js';
import { codecOf } from './handlers.js';
import type { Directory } from '../dsa/directory.js';
import { replicaContextOf } from '../dsa/replica-context.js';
import { nextRequest, handleReplyAsync, type PullOptions } from '../dsa/replica/pull.js';
import { readReplicaState } from '../dsa/replica/state.js';
import { ChangeNotifier, type NotifyInfo } from '../dsa/replica/notify.js';
import { recordCycles, type CycleOutcome } from '../dsa/replica/cycle-status.js';
import { replicationLifetimeRefusal } from '../dsa/replica/strict-consistency.js';
import { urgentUpdateTest } from '../dsa/replica/urgent.js';
import { tombstoneLifetimeDays } from '../dsa/garbage-collection.js';
import { applicationNCsOf, notifyDelaysOf } from './repl-settings.js';
import { registerWithSource, repsToOf } from './update-refs.js';
import { pullNCSchemaFirst } from './schema-first.js';
import type { ReplicaContext } from '../dsa/replica/context.js';
import type { DSNAME } from '../dsa/replica/types.js';
import type { DrsCredentials } from './transport/auth.js';
import { OriginatingUpdate } from '../dsa/originating-update.js';
import type { ObjectRecord } from '../store/record.js';
import { RidPoolClient } from './rid-manager-client.js';
import { ownWantsBlock } from '../dsa/rid-set.js';

export interface ReplPartner {
  /** objectGUID of the partner's nTDSDSA object */
  dsaGuid: string;
  /** sAMAccountName of its machine account */
  account: string;
  /** host:port of its DRS listener */
  address: string;
}

export const PARTNERS_META = 'repl:partners';
/** published after each NC's cycle from a partner applied: { nc, partner, objects } */
export const REPL_APPLIED_CHANNEL = 'forestd:repl:applied';
/** published when this DC tells a partner of news (MS-ADTS 3.1.1.5.1.6/7): { dsa, partner, nc, urgent, delayMs } */
export const REPL_NOTIFY_CHANNEL = 'forestd:repl:notify';
/** MS-DRSR 5.41 DRS_OPTIONS of IDL_DRSReplicaSync: DRS_ASYNC_OP (the callee syncs after it answered), DRS_UPDATE_NOTIFICATION, DRS_SYNC_URGENT */
const DRS_ASYNC_OP = 0x1;
const DRS_UPDATE_NOTIFICATION = 0x2;
const DRS_SYNC_URGENT = 0x80000;
/** MS-ERREF: RPC_S_SERVER_UNAVAILABLE (the partner cannot be reached), ERROR_DS_DRA_INTERNAL_ERROR */
const RPC_S_SERVER_UNAVAILABLE = 0x6ba;
const ERROR_DS_DRA_INTERNAL_ERROR = 0x20fa;

/** The Win32 code a failed cycle reports. */
export function win32Of(e: unknown, fallback = ERROR_DS_DRA_INTERNAL_ERROR): number {
  const w = (e as { win32?: unknown })?.win32 ?? (e as { status?: unknown })?.status;
  return typeof w === 'number' && w !== 0 ? w >>> 0 : fallback;
}

export class ReplicationError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly win32?: number,
  ) {
    super(message);
  }
}

export interface PullProgress {
  nc: string;
  objects: number;
  bytes: number;
}

export function partnersOf(dir: Directory): ReplPartner[] {
  return dir.store.reader.getMeta<ReplPartner[]>(PARTNERS_META) ?? [];
}

export async function addPartner(dir: Directory, p: ReplPartner): Promise<boolean> {
  const cur = partnersOf(dir);
  const old = cur.find((x) => x.dsaGuid === p.dsaGuid);
  if (old && old.address === p.address && old.account === p.account) return false;
  await dir.store.write((w) => w.setMeta(PARTNERS_META, [...cur.filter((x) => x.dsaGuid !== p.dsaGuid), p]));
  return true;
}

export function ncsOf(dir: Directory): DSNAME[] {
  const f = dir.forest;
  // schema first: the objects of the other NCs are checked against it (MS-DRSR 4.1.10.6)
  const ncs = [
    { Guid: Buffer.from(f.schemaNC), StringName: f.schemaDN },
    { Guid: Buffer.from(f.configNC), StringName: f.configDN },
    { Guid: Buffer.from(f.domainNC), StringName: f.domainDN },
  ] as DSNAME[];
  // then the application NCs whose crossRef names this DC in msDS-NC-Replica-Locations
  const me = f.dsaGuid.toString('hex');
  for (const a of applicationNCsOf(dir, dir.store.reader)) if (a.holders.includes(me)) ncs.push(a.nc);
  return ncs;
}

/** Whether partner `dsaHex` holds a replica of NC `nc` (the schema, configuration and domain NCs: every DC of the domain). */
export function partnerHolds(dir: Directory, nc: DSNAME, dsaHex: string): boolean {
  const app = applicationNCsOf(dir, dir.store.reader).find((a) => a.nc.Guid.equals(nc.Guid));
  return !app || app.holders.includes(dsaHex);
}

function splitAddress(a: string): { host: string; port: number } {
  const i = a.lastIndexOf(':');
  return { host: a.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(a.slice(i + 1)) };
}

/**
 * One replication cycle of NC `nc` from a connected source: requests until the source has no
 * more data (fMoreData false), each reply applied in one transaction (handleReplyAsync).
 */
export async function pullNC(
  ctx: ReplicaContext,
  dir: Directory,
  client: DrsClient,
  hDrs: Buffer,
  nc: DSNAME,
  srcDsa: Buffer,
  progress?: (p: PullProgress) => void,
): Promise<number> {
  const codec = codecOf(dir);
  let opts: PullOptions = { cMaxObjects: 1000 };
  let objects = 0;
  let bytes = 0;
  for (;;) {
    const st = readReplicaState(dir.store.reader, nc.Guid);
    const rf = st.repsFrom.find((x) => x.uuidDsa.equals(srcDsa));
    const req = nextRequest(ctx, dir.store.reader, nc, srcDsa, rf ? rf.uuidInvocId : Buffer.alloc(16), opts);
    const reply = await callGetNCChanges(client, hDrs, req as never, codec);
    const r = await handleReplyAsync(ctx, reply as never, opts);
    if (r.kind === 'retry') {
      opts = { ...opts, getAnc: r.getAnc, getTgt: r.getTgt };
      continue;
    }
    if (r.kind === 'stale') throw new ReplicationError('ERR_REPL_STALE', `${nc.StringName}: the source answered a request this DC did not make`);
    if (r.kind === 'failed') {
      const hex = r.error.toString(16).padStart(8, '0');
      throw new ReplicationError('ERR_REPL_FAILED', `${hex}: replication of ${nc.StringName} failed${r.cause ? ` (${(r.cause as Error).message})` : ''}`, r.error);
    }
    objects += r.outcome.objects;
    bytes += (reply as { cNumBytes?: number }).cNumBytes ?? 0;
    progress?.({ nc: nc.StringName, objects, bytes });
    opts = { cMaxObjects: 1000 };
    if (!r.more) return objects;
  }
}

export async function connectPartner(creds: DrsCredentials, p: ReplPartner, selfDsa: Buffer): Promise<{ client: DrsClient; hDrs: Buffer }> {
  const { host, port } = splitAddress(p.address);
  const client = await DrsClient.connect({ host, port, credentials: creds, expectServerAccount: p.account });
  try {
    const { phDrs } = await client.bind({ puuidClientDsa: selfDsa, pextClient: null });
    return { client, hDrs: phDrs };
  } catch (e) {
    await client.close();
    throw e;
  }
}

export interface ReplicatorOptions {
  /** this DC's DRS address (host:port) as its partners reach it */
  address: string;
  /** the periodic pull's period, ms (default 60 s) */
  periodMs?: number;
  /** notification delays, ms (MS-ADTS 3.1.1.5.1.6; forestd's defaults: 20 and 5) */
  firstDelayMs?: number;
  subsequentDelayMs?: number;
  onError?: (e: Error, partner: ReplPartner) => void;
  /**
   * Strict replication consistency (AD's registry value of that name, default on): refuse to
   * replicate in from a source last replicated from longer ago than the tombstone lifetime
   * (strict-consistency.ts, ERROR_DS_REPL_LIFETIME_EXCEEDED).
   */
  strictReplicationConsistency?: boolean;
  /** a RID pool request that failed (src/drs/rid-manager-client.ts) */
  onRidError?: (e: Error) => void;
  /** never ask the RID Master for RID blocks (FORESTD_RID_REQUESTS=off: the tests' negative control) */
  noRidRequests?: boolean;
}

/** The outcome of one NC's cycle from one partner (as `forestd repl sync` reports it). */
export interface NCCycleResult {
  partner: ReplPartner;
  nc: DSNAME;
  /** 0, or the Win32 code of the failure */
  result: number;
  objects: number;
  message?: string;
}

/** A serving DC's inbound and outbound replication. */
export class Replicator {
  readonly ctx: ReplicaContext;
  readonly #creds: DrsCredentials;
  readonly #notifier: ChangeNotifier;
  /** RID pools from the RID Master (MS-ADTS 6.1.5.3), asked for in the background */
  readonly rids: RidPoolClient;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** per partner: the cycle running, and whether another was asked for while it ran */
  readonly #running = new Map<string, { busy: Promise<void>; again: boolean; want: Set<string> | null }>();
  /** per partner: the outcome of its last cycle, per NC */
  readonly #lastCycle = new Map<string, NCCycleResult[]>();

  constructor(
    readonly dir: Directory,
    readonly opts: ReplicatorOptions,
  ) {
    this.ctx = replicaContextOf(dir);
    this.#creds = machineAccountCredentials(dir);
    this.#notifier = new ChangeNotifier(dir.store, {
      firstDelayMs: opts.firstDelayMs ?? 20,
      subsequentDelayMs: opts.subsequentDelayMs ?? 5,
      // MS-ADTS 3.1.1.5.1.6: the DCs in the NC's repsTo (update-refs.ts)
      partners: (nc) => repsToOf(dir.store.reader, nc).map((t) => Buffer.from(t.uuidDsa, 'hex')),
      notify: (partner, nc, info) => void this.notify(partner, nc, info),
      delaysOf: (nc) => notifyDelaysOf(dir, nc),
      isUrgent: urgentUpdateTest((n) => dir.schema.attr(n)?.id),
    });
    this.rids = new RidPoolClient(dir, this.ctx, this.#creds, opts.onRidError);
  }

  start(): void {
    this.#notifier.start();
    // the SAM asks for a RID block at half its pool, or when it has none (src/dsa/rid-set.ts)
    // (called inside the create's transaction: what it decided is not committed yet, so no second look)
    if (!this.opts.noRidRequests) this.dir.ridPools.onWantsBlock = () => this.requestRids(false, true);
    this.requestRids();
    this.#timer = setInterval(() => this.pullAll(), this.opts.periodMs ?? 60_000);
    this.#timer.unref();
    // tell the partners where this DC is now and that it may have news (in their repsTo, and by a
    // notification, which makes this DC their partner); and catch up with them
    for (const p of partnersOf(this.dir)) void this.register(p);
    for (const p of partnersOf(this.dir)) for (const nc of ncsOf(this.dir)) void this.notify(Buffer.from(p.dsaGuid, 'hex'), nc.Guid);
    this.pullAll();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.dir.ridPools.onWantsBlock = undefined;
    this.#notifier.stop();
    if (this.#timer) clearInterval(this.#timer);
    await Promise.allSettled([...this.#running.values()].map((r) => r.busy));
  }

  pullAll(): void {
    for (const p of partnersOf(this.dir)) this.schedule(p);
  }

  /**
   * A cycle from partner `p` of NC `nc` (every NC when undefined; the schema NC always first,
   * MS-DRSR 4.1.10.6); one at a time per partner, a request during one runs another after it
   * (with every NC asked for meanwhile).
   */
  schedule(p: ReplPartner, nc?: Buffer): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    const cur = this.#running.get(p.dsaGuid);
    if (cur) {
      cur.again = true;
      if (!nc) cur.want = null;
      else cur.want?.add(nc.toString('hex'));
      return cur.busy;
    }
    const entry: { busy: Promise<void>; again: boolean; want: Set<string> | null } = { busy: Promise.resolve(), again: false, want: nc ? new Set([nc.toString('hex')]) : null };
    entry.busy = (async () => {
      do {
        entry.again = false;
        const want = entry.want;
        entry.want = new Set();
        try {
          await this.pullFrom(p, want ?? undefined);
        } catch (e) {
          this.opts.onError?.(e as Error, p);
        }
      } while (entry.again && !this.#stopped);
      this.#running.delete(p.dsaGuid);
    })();
    this.#running.set(p.dsaGuid, entry);
    return entry.busy;
  }

  async pullFrom(p: ReplPartner, only?: Set<string>): Promise<void> {
    const src = Buffer.from(p.dsaGuid, 'hex');
    const schemaNC = Buffer.from(this.dir.forest.schemaNC);
    const ncs = ncsOf(this.dir).filter((nc) => (!only || only.has(nc.Guid.toString('hex')) || nc.Guid.equals(schemaNC)) && partnerHolds(this.dir, nc, p.dsaGuid));
    const results: NCCycleResult[] = [];
    let failed: Error | undefined;
    try {
      const { client, hDrs } = await connectPartner(this.#creds, p, this.dir.forest.dsaGuid);
      try {
        const applied = channel(REPL_APPLIED_CHANNEL);
        for (const nc of ncs) {
          try {
            // MS-ADTS 3.1.1.1.15: strict replication consistency
            const refusal = this.opts.strictReplicationConsistency === false ? undefined : replicationLifetimeRefusal(this.ctx, this.dir.store.reader, nc.Guid, src, tombstoneLifetimeDays(this.dir));
            if (refusal) throw refusal;
            const objects = await pullNCSchemaFirst(this.ctx, this.dir, client, hDrs, nc, src);
            results.push({ partner: p, nc, result: 0, objects });
            if (applied.hasSubscribers) applied.publish({ nc: nc.StringName, partner: p.account, objects });
          } catch (e) {
            results.push({ partner: p, nc, result: win32Of(e), objects: 0, message: (e as Error).message });
            failed ??= e as Error;
          }
        }
      } finally {
        await client.close();
      }
    } catch (e) {
      // the partner could not be reached (or the connection broke): every NC not done failed
      for (const nc of ncs) if (!results.some((r) => r.nc.Guid.equals(nc.Guid))) results.push({ partner: p, nc, result: win32Of(e, RPC_S_SERVER_UNAVAILABLE), objects: 0, message: (e as Error).message });
      failed ??= e as Error;
    }
    // the last outcome of each NC (a cycle of some NCs keeps the others' last outcomes)
    const last = (this.#lastCycle.get(p.dsaGuid) ?? []).filter((r) => !results.some((x) => x.nc.Guid.equals(r.nc.Guid)));
    this.#lastCycle.set(p.dsaGuid, [...last, ...results]);
    await recordCycles(this.ctx, src, results.map((r): CycleOutcome => ({ nc: r.nc.Guid, result: r.result, objects: r.objects })));
    if (failed) throw failed;
    // a request the RID Master could not answer yet (it did not know this DC) is asked again now
    this.requestRids(true);
  }

  /** Asks the RID Master for a block when this DC wants one, or `wanted` says so (background; failures go to onRidError). */
  requestRids(afterCycle = false, wanted = false): void {
    if (this.#stopped || this.opts.noRidRequests || (!wanted && !ownWantsBlock(this.dir, this.dir.store.reader))) return;
    void this.rids.request(afterCycle, wanted);
  }

  /**
   * A cycle from each partner named (all when `from` is undefined) started after this call,
   * awaited (`forestd repl sync`, IDL_DRSReplicaSync without DRS_ASYNC_OP); the outcome per
   * partner and NC (only NC `nc` when given).
   */
  async syncNow(from?: ReplPartner[], nc?: Buffer): Promise<NCCycleResult[]> {
    const partners = from ?? partnersOf(this.dir);
    await Promise.all(partners.map((p) => this.schedule(p, nc)));
    return partners.flatMap((p) => (this.#lastCycle.get(p.dsaGuid) ?? []).filter((r) => !nc || r.nc.Guid.equals(nc)));
  }

  /**
   * MS-DRSR 4.1.26: this DC adds itself (with its current address) to each NC's repsTo on
   * partner `p`, or with `remove` deletes itself there; failures are reported, not thrown.
   */
  async register(p: ReplPartner, remove = false): Promise<void> {
    if (this.#stopped) return;
    try {
      const { client, hDrs } = await connectPartner(this.#creds, p, this.dir.forest.dsaGuid);
      try {
        for (const nc of ncsOf(this.dir).filter((x) => partnerHolds(this.dir, x, p.dsaGuid))) {
          const result = await registerWithSource(client, hDrs, nc, this.dir.forest.dsaGuid, this.opts.address, remove);
          if (result !== 0) this.opts.onError?.(new ReplicationError('ERR_REPL_UPDATE_REFS', `${result.toString(16).padStart(8, '0')}: IDL_DRSUpdateRefs for ${nc.StringName} was refused`, result), p);
        }
      } finally {
        await client.close();
      }
    } catch (e) {
      this.opts.onError?.(e as Error, p);
    }
  }

  /** Stops replicating from partner `p`: its reference to this DC goes (DRS_DEL_REF), then the partner. */
  async removePartner(p: ReplPartner): Promise<void> {
    await this.register(p, true);
    await this.dir.store.write((w) => w.setMeta(PARTNERS_META, (w.getMeta<ReplPartner[]>(PARTNERS_META) ?? []).filter((x) => x.dsaGuid !== p.dsaGuid)));
  }

  /** MS-ADTS 3.1.1.5.1.6: tells partner `partner` that NC `nc` changed here (IDL_DRSReplicaSync, asynchronous). */
  async notify(partner: Buffer, nc: Buffer, info: NotifyInfo = { urgent: false, delayMs: 0 }): Promise<void> {
    const hex = partner.toString('hex');
    // the address it registered in the NC's repsTo, else the partner's own
    const t = repsToOf(this.dir.store.reader, nc).find((x) => x.uuidDsa === hex);
    const known = partnersOf(this.dir).find((x) => x.dsaGuid === hex);
    const p: ReplPartner | undefined = t && /:\d+$/.test(t.naDsa) ? { dsaGuid: hex, account: t.account, address: t.naDsa } : known;
    // a reference without a DRS address (a DC joined, not serving yet) is told nothing
    if (!p || !/:\d+$/.test(p.address) || this.#stopped) return;
    const told = channel(REPL_NOTIFY_CHANNEL);
    if (told.hasSubscribers) told.publish({ dsa: this.dir.forest.dsaDN, partner: p.account, nc: nc.toString('hex'), urgent: info.urgent, delayMs: info.delayMs });
    try {
      const { client, hDrs } = await connectPartner(this.#creds, p, this.dir.forest.dsaGuid);
      try {
        const ulOptions = DRS_ASYNC_OP | DRS_UPDATE_NOTIFICATION | (info.urgent ? DRS_SYNC_URGENT : 0);
        await client.replicaSync({ hDrs, pmsgSync: { version: 1, msg: { pNC: { Guid: nc, Sid: Buffer.alloc(0), StringName: '' }, uuidDsaSrc: this.dir.forest.dsaGuid, pszDsaSrc: this.opts.address, ulOptions } } });
      } finally {
        await client.close();
      }
    } catch (e) {
      this.opts.onError?.(e as Error, p);
    }
  }

  /**
   * IDL_DRSReplicaSync from an authenticated DC (MS-DRSR 4.1.23): it has news; its address is
   * remembered (a partner from now on) and a cycle from it is started (DRS_ASYNC_OP: after the answer).
   */
  async onReplicaSync(peerAccount: string, peerDsa: Buffer, address: string | null, nc?: Buffer): Promise<number> {
    const known = partnersOf(this.dir).find((x) => x.dsaGuid === peerDsa.toString('hex'));
    const p: ReplPartner | undefined = address ? { dsaGuid: peerDsa.toString('hex'), account: peerAccount, address } : known;
    if (!p) return 0x00002104; // ERROR_DS_DRA_NO_REPLICA (MS-DRSR 4.1.23.3: no repsFrom for the source)
    if (await addPartner(this.dir, p)) void this.register(p);
    // MS-DRSR 4.1.23.2: a cycle of the NC named (a notification names the NC that changed)
    void this.schedule(p, nc && this.dir.store.reader.getHeader(nc)?.parent === null ? nc : undefined);
    return 0;
  }
}

/**
 * This DC's DRS address on its nTDSDSA object (networkAddress, "host:port"), where `forestd join`
 * finds a source's replication endpoint; an originating update, so it replicates like any other.
 */
export async function publishAddress(dir: Directory, address: string): Promise<void> {
  const info = dir.schema.attr('networkAddress');
  if (!info) return;
  const guid = dir.forest.dsaGuid;
  const cur = dir.store.reader.getObject(guid)?.attrs.find((a) => a.id === info.id)?.values;
  if (cur?.length === 1 && cur[0] === address) return;
  await dir.store.write((w) => {
    const prev = w.getObject(guid);
    if (!prev) return;
    const u = new OriginatingUpdate(w, dir.store.dc.invocationId, dir.clock);
    const rec: ObjectRecord = { ...prev, attrs: prev.attrs.map((a) => ({ ...a })) };
    u.setAttribute(rec, info, [address]);
    u.touch(rec);
    w.putObject(guid, rec, prev);
  });
}
