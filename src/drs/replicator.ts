// A serving DC's inbound replication over the forestd DRS transport: the destination's cycle
// (MS-DRSR 4.1.10.4 ReplicateNCRequestMsg, 4.1.10.6 ProcessGetNCChangesReply, in the engine:
// src/dsa/replica/pull.ts) driven against each replication partner, on notification
// (MS-ADTS 3.1.1.5.1.6: a partner's IDL_DRSReplicaSync) and periodically as a safety net; and
// the outbound half, telling the partners after this DC's commits (the engine's ChangeNotifier)
// with IDL_DRSReplicaSync (MS-DRSR 4.1.23).
//
// The partners come from the intra-site topology (kcc.ts, MS-ADTS 6.2.2.2) and the site's
// nTDSConnection objects (kcc-connections.ts), see topologyPartners; and from the store's meta
// database ("repl:partners"): the DC a replica was joined from, and every DC that notified this
// one over an authenticated connection (its machine account is a DC account of the domain,
// transport/auth.ts). Each has its DRS address (host:port) and account. Calls to a partner
// share one connection (partner-links.ts).
import { channel } from 'node:diagnostics_channel';
import { DrsClient, type DrsCaller } from './transport/tls.js';
import { PartnerLinks } from './partner-links.js';
import { intrasiteTopology, type SiteDsa } from './kcc.js';
import { connectionsUnder, writeConnections, type ConnectionObject } from './kcc-connections.js';
import { machineAccountCredentials } from './machine-account.js';
import { callGetNCChanges } from './convert.js';
import { codecOf } from './handlers.js';
import type { Directory } from '../dsa/directory.js';
import { replicaContextOf } from '../dsa/replica-context.js';
import { nextRequest, handleReplyAsync, type PullOptions, type ReplyResult } from '../dsa/replica/pull.js';
import { readReplicaState, writeReplicaState } from '../dsa/replica/state.js';
import { ChangeNotifier, type NotifyInfo } from '../dsa/replica/notify.js';
import { recordCycles, type CycleOutcome } from '../dsa/replica/cycle-status.js';
import { replicationLifetimeRefusal } from '../dsa/replica/strict-consistency.js';
import { originatingPasswordChangeTest, urgentUpdateTest } from '../dsa/replica/urgent.js';
import { dsaEndpoint } from './fsmo-transfer.js';
import { roleObject, roleOwner } from '../dsa/fsmo-roles.js';
import { tombstoneLifetimeDays } from '../dsa/garbage-collection.js';
import { applicationNCsOf, notifyDelaysOf } from './repl-settings.js';
import { registerWithSource, repsToOf, setRepsTo } from './update-refs.js';
import { isDeletedRecord } from '../dsa/tombstone.js';
import type { ReadTxn } from '../store/store.js';
import { pullNCSchemaFirst } from './schema-first.js';
import type { ReplicaContext } from '../dsa/replica/context.js';
import { DRS_GET_TGT, DrsOptions, type DRS_MSG_GETCHGREPLY_V6, type DRS_MSG_GETCHGREQ_V10, type DSNAME } from '../dsa/replica/types.js';
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
/** published after this DC forgot the DCs whose nTDSDSA object is deleted (forgetDepartedDsas): { dsa, dropped, connectionsChanged } */
export const REPL_DEPARTED_CHANNEL = 'forestd:repl:departed';
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

/**
 * The partners of this DC, by nTDSDSA objectGUID: the intra-site topology's (kcc.ts, MS-ADTS
 * 6.2.2.2) and the enabled nTDSConnection objects of the site (kcc-connections.ts: under this
 * DC's nTDSDSA, the DCs it replicates from; naming it in fromServer, the DCs that replicate from
 * it), for the DCs with a published DRS address and a known account; then those of meta
 * `repl:partners` (the join source, DCs that notified this one). `inbound`: pulled from;
 * `outbound`: notified; `kcc`: the sources the topology gives this DC (its connections to write).
 */
export function topologyPartners(dir: Directory): { inbound: ReplPartner[]; outbound: ReplPartner[]; kcc: SiteDsa[] } {
  const known = partnersOf(dir);
  const me = dir.forest.dsaGuid.toString('hex');
  const r = dir.store.snapshot();
  let t: ReturnType<typeof intrasiteTopology>;
  let conns: ConnectionObject[];
  try {
    t = intrasiteTopology(dir, r, ncsOf(dir).map((n) => n.Guid));
    conns = connectionsUnder(dir, r, t.dsas.map((d) => d.dsaGuid)).filter((c) => c.enabled);
  } finally {
    r.done();
  }
  const byGuid = new Map(t.dsas.map((d) => [d.dsaGuid, d]));
  const merge = (kcc: SiteDsa[], more: string[]) => {
    const out = new Map<string, ReplPartner>();
    for (const d of [...kcc, ...more.map((g) => byGuid.get(g)).filter((d): d is SiteDsa => !!d)]) {
      if (d.dsaGuid !== me && d.account && d.address) out.set(d.dsaGuid, { dsaGuid: d.dsaGuid, account: d.account, address: d.address });
    }
    for (const p of known) if (!out.has(p.dsaGuid)) out.set(p.dsaGuid, p);
    return [...out.values()];
  };
  return {
    inbound: merge(t.inbound, conns.filter((c) => c.to === me).map((c) => c.from)),
    outbound: merge(t.outbound, conns.filter((c) => c.from === me).map((c) => c.to)),
    kcc: t.inbound,
  };
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

/** Objects per GetNCChanges reply asked for (cMaxObjects) once a cycle is under way; the source also ends a reply at cMaxBytes. */
export const CHUNK_OBJECTS = 1000;
export const CHUNK_BYTES = 8 * 1024 * 1024;
/**
 * The first request of a cycle asks for this many objects, each next one for twice as many as
 * the one before, up to CHUNK_OBJECTS. The pipeline fills sooner: the source's first reply
 * comes back once it has read and encoded a few objects, not a whole chunk, and this DC applies
 * it while the source reads the next one (at a join, the source read a full chunk of the schema
 * NC and then one of the domain NC before this DC had anything to apply). A cycle of more than
 * this many objects costs three requests more than with full chunks from the start; one of
 * fewer, none.
 */
export const FIRST_CHUNK_OBJECTS = 125;

/** cMaxObjects of a cycle's first request, and the most any request asks for (pullNC's defaults: FIRST_CHUNK_OBJECTS, CHUNK_OBJECTS). */
export interface ChunkSizes {
  first: number;
  max: number;
}
const DEFAULT_CHUNKS: ChunkSizes = { first: FIRST_CHUNK_OBJECTS, max: CHUNK_OBJECTS };

/**
 * One replication cycle of NC `nc` from a connected source: requests until the source has no
 * more data (fMoreData false), each reply applied in one transaction (handleReplyAsync).
 *
 * Pipelined: as soon as a reply with fMoreData arrives, the request for the next chunk (its
 * usnvecFrom the reply's usnvecTo, MS-DRSR 4.1.10.6: what the destination would send once the
 * chunk is applied) goes out, so the source reads and encodes chunk n+1 while this DC applies
 * chunk n; and chunk n+1's write is queued as soon as chunk n's transaction body has run, so
 * this DC applies chunk n+1 while chunk n commits and is flushed. The watermark still moves only
 * with each chunk's commit: chunk n+1's transaction, after chunk n's, checks its usnvecFrom
 * against the watermark stored there (handleReplyAsync, behind) and writes nothing when chunk n
 * was not applied (a retry with DRS_GET_ANC/GET_TGT, a failure); it is then thrown away.
 * Chunks grow from `sizes.first` objects, doubling, to `sizes.max`; a chunk asked for again
 * (DRS_GET_ANC/GET_TGT) keeps its size.
 */
export async function pullNC(
  ctx: ReplicaContext,
  dir: Directory,
  client: DrsCaller,
  hDrs: Buffer,
  nc: DSNAME,
  srcDsa: Buffer,
  progress?: (p: PullProgress) => void,
  sizes: ChunkSizes = DEFAULT_CHUNKS,
  /** queue chunk n+1's write before chunk n's commit (false: after it, as before; the tests' negative control) */
  overlap = true,
): Promise<number> {
  const codec = codecOf(dir);
  const grow = (n: number) => Math.min(sizes.max, 2 * n);
  // DRS_GET_ANC / GET_TGT once a chunk needed them
  let flags: Pick<PullOptions, 'getAnc' | 'getTgt'> = {};
  let size = Math.min(sizes.first, sizes.max);
  let objects = 0;
  let bytes = 0;
  type Reply = Awaited<ReturnType<typeof callGetNCChanges>>;
  let ahead: { req: DRS_MSG_GETCHGREQ_V10; reply: Promise<Reply> } | undefined;
  const discard = () => {
    ahead?.reply.catch(() => undefined);
    ahead = undefined;
  };
  /** a chunk whose write is queued: its outcome, and when its body has started (a write queued after that sees its effects) */
  type Applying = { result: Promise<ReplyResult>; started: Promise<unknown>; bytes: number; size: number };
  const writes = new Set<Promise<unknown>>();
  const queue = (reply: DRS_MSG_GETCHGREPLY_V6, opts: PullOptions, behind: boolean): Applying => {
    let ran!: () => void;
    const started = new Promise<void>((resolve) => (ran = resolve));
    const result = handleReplyAsync(ctx, reply, opts, { behind, started: ran });
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    writes.add(settled);
    void settled.then(() => writes.delete(settled));
    return { result, started: Promise.race([started, settled]), bytes: reply.cNumBytes ?? 0, size: opts.cMaxObjects ?? size };
  };
  const prefetch = (req: DRS_MSG_GETCHGREQ_V10, reply: DRS_MSG_GETCHGREPLY_V6, n: number) => {
    if (reply.fMoreData && reply.dwDRSError === 0 && reply.ulExtendedRet === 0 && Number.isSafeInteger(reply.usnvecTo?.usnHighObjUpdate)) {
      const next: DRS_MSG_GETCHGREQ_V10 = { ...req, uuidInvocIdSrc: reply.uuidInvocIdSrc, usnvecFrom: { ...reply.usnvecTo }, cMaxObjects: grow(n) };
      ahead = { req: next, reply: callGetNCChanges(client, hDrs, next as never, codec) };
      ahead.reply.catch(() => undefined); // a failure surfaces when (if) this reply is awaited
    }
  };
  /** a chunk's outcome: counted when applied; a retry sets the flags and keeps the chunk's size */
  const take = async (a: Applying): Promise<'more' | 'done' | 'retry'> => {
    const r = await a.result;
    if (r.kind === 'retry') {
      flags = { getAnc: r.getAnc, getTgt: r.getTgt };
      size = a.size;
      return 'retry';
    }
    if (r.kind === 'stale') throw new ReplicationError('ERR_REPL_STALE', `${nc.StringName}: the source answered a request this DC did not make`);
    if (r.kind === 'failed') {
      const hex = r.error.toString(16).padStart(8, '0');
      throw new ReplicationError('ERR_REPL_FAILED', `${hex}: replication of ${nc.StringName} failed${r.cause ? ` (${(r.cause as Error).message})` : ''}`, r.error);
    }
    objects += r.outcome.objects;
    bytes += a.bytes;
    progress?.({ nc: nc.StringName, objects, bytes });
    size = grow(a.size);
    // DRS_GET_ANC / GET_TGT for the chunk that needed them only; the prefetched request kept them too
    if (!ahead) flags = {};
    return r.more ? 'more' : 'done';
  };
  let applying: Applying | undefined;
  try {
    for (;;) {
      let cur: Applying;
      if (applying && ahead) {
        // Pipelined: the reply to the request sent ahead (chunk n+1) is queued as soon as chunk
        // n's body has run, so this DC applies it while chunk n commits. Its transaction comes
        // after chunk n's and sees its effects (parents, the watermark); it checks there that
        // its usnvecFrom is the watermark chunk n stored, and writes nothing if chunk n was
        // not applied (MS-DRSR 4.1.10.6: the watermark moves only with a chunk's commit).
        const { req, reply: pending } = ahead;
        ahead = undefined;
        const reply = (await pending) as never as DRS_MSG_GETCHGREPLY_V6;
        await applying.started;
        prefetch(req, reply, req.cMaxObjects);
        // the flags it was asked with (the request ahead kept those of the one before it)
        const getAnc = (req.ulFlags & DrsOptions.DRS_GET_ANC) !== 0;
        const getTgt = (req.ulMoreFlags & DRS_GET_TGT) !== 0;
        cur = queue(reply, { cMaxObjects: req.cMaxObjects, cMaxBytes: CHUNK_BYTES, ...(getAnc ? { getAnc } : {}), ...(getTgt ? { getTgt } : {}) }, true);
        const prev = applying;
        applying = undefined;
        if ((await take(prev)) === 'retry') {
          // chunk n is asked for again: chunk n+1 wrote nothing ('stale'), the request ahead is of no use
          discard();
          await cur.result;
          continue;
        }
      } else {
        const opts: PullOptions = { cMaxObjects: size, cMaxBytes: CHUNK_BYTES, ...flags };
        const st = readReplicaState(dir.store.reader, nc.Guid);
        const rf = st.repsFrom.find((x) => x.uuidDsa.equals(srcDsa));
        const req = nextRequest(ctx, dir.store.reader, nc, srcDsa, rf ? rf.uuidInvocId : Buffer.alloc(16), opts);
        let pending: Promise<Reply>;
        const a = ahead?.req;
        if (a && a.usnvecFrom.usnHighObjUpdate === req.usnvecFrom.usnHighObjUpdate && a.cMaxObjects === req.cMaxObjects && a.ulFlags === req.ulFlags && a.ulMoreFlags === req.ulMoreFlags) pending = ahead!.reply;
        else {
          discard();
          pending = callGetNCChanges(client, hDrs, req as never, codec);
        }
        ahead = undefined;
        const reply = (await pending) as never as DRS_MSG_GETCHGREPLY_V6;
        prefetch(req, reply, size);
        cur = queue(reply, opts, false);
      }
      if (ahead && overlap) {
        applying = cur;
        continue;
      }
      const t = await take(cur);
      if (t === 'retry') continue;
      if (t === 'done') return objects;
    }
  } finally {
    discard();
    // no write of this cycle outlives it
    await Promise.all([...writes]);
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
  /** an unused partner connection is closed after this long, ms (default 60 s) */
  idleMs?: number;
  onError?: (e: Error, partner: ReplPartner) => void;
  /** writing this DC's nTDSConnection objects failed (it is tried again at the next topology read) */
  onKccError?: (e: Error) => void;
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
  /** one connection per partner, shared by notifications, pulls and UpdateRefs (partner-links.ts) */
  readonly links: PartnerLinks<ReplPartner>;
  /** the topology's partners, read again when older than a second (the configuration NC changes by replication) */
  #partners: { at: number; inbound: ReplPartner[]; outbound: ReplPartner[] } | undefined;
  #kccWriting = false;
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
    this.links = new PartnerLinks<ReplPartner>({ connect: (p) => connectPartner(this.#creds, p, this.dir.forest.dsaGuid), ...(opts.idleMs !== undefined ? { idleMs: opts.idleMs } : {}) });
    this.#notifier = new ChangeNotifier(dir.store, {
      firstDelayMs: opts.firstDelayMs ?? 20,
      subsequentDelayMs: opts.subsequentDelayMs ?? 5,
      // MS-ADTS 3.1.1.5.1.6: the DCs in the NC's repsTo (update-refs.ts)
      // MS-ADTS 3.1.1.5.1.6: the DCs in the NC's repsTo (update-refs.ts), and those the topology says replicate from this one
      partners: (nc) => [...new Set([...repsToOf(dir.store.reader, nc).map((t) => t.uuidDsa), ...this.partners().outbound.map((p) => p.dsaGuid)])].map((g) => Buffer.from(g, 'hex')),
      notify: (partner, nc, info) => void this.notify(partner, nc, info),
      delaysOf: (nc) => notifyDelaysOf(dir, nc),
      isUrgent: urgentUpdateTest((n) => dir.schema.attr(n)?.id),
      // MS-SAMS 2.2.1 PASSWORD_UPDATE_MSG: a password changed here reaches the PDC emulator at once (notify.ts)
      isPasswordChange: originatingPasswordChangeTest((n) => dir.schema.attr(n)?.id, dir.store.dc.invocationId),
      pdcOf: (nc) => pdcOf(dir, nc),
    });
    this.rids = new RidPoolClient(dir, this.ctx, this.#creds, opts.onRidError);
  }

  start(): void {
    this.#notifier.start();
    void this.forgetDepartedDsas().catch((e: unknown) => this.opts.onKccError?.(e as Error));
    // the SAM asks for a RID block at half its pool, or when it has none (src/dsa/rid-set.ts)
    // (called inside the create's transaction: what it decided is not committed yet, so no second look)
    if (!this.opts.noRidRequests) this.dir.ridPools.onWantsBlock = () => this.requestRids(false, true);
    this.requestRids();
    this.#timer = setInterval(() => this.pullAll(), this.opts.periodMs ?? 60_000);
    this.#timer.unref();
    // tell the partners where this DC is now and that it may have news (in their repsTo, and by a
    // notification, which makes this DC their partner); and catch up with them
    for (const p of this.partners().inbound) void this.register(p);
    for (const p of this.partners().outbound) for (const nc of ncsOf(this.dir)) void this.notify(Buffer.from(p.dsaGuid, 'hex'), nc.Guid);
    this.pullAll();
  }

  /** This DC's partners now (topologyPartners), cached for a second. */
  partners(): { inbound: ReplPartner[]; outbound: ReplPartner[] } {
    const now = performance.now();
    if (!this.#partners || now - this.#partners.at > 1000) {
      let found: { inbound: ReplPartner[]; outbound: ReplPartner[] };
      try {
        const t = topologyPartners(this.dir);
        found = t;
        this.#writeConnections(t.kcc);
      } catch {
        // the configuration NC cannot be read as expected: the partners this DC knew, until it can
        const known = partnersOf(this.dir);
        found = this.#partners ?? { inbound: known, outbound: known };
      }
      this.#partners = { at: now, inbound: found.inbound, outbound: found.outbound };
    }
    return this.#partners;
  }

  /** The KCC's output: this DC's nTDSConnection objects follow the topology (one write at a time). */
  #writeConnections(sources: SiteDsa[]): void {
    if (this.#kccWriting || this.#stopped) return;
    this.#kccWriting = true;
    void writeConnections(this.dir, sources)
      .then((wrote) => {
        if (wrote) this.#partners = undefined;
      })
      .catch((e: unknown) => this.opts.onKccError?.(e as Error))
      .finally(() => (this.#kccWriting = false));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.dir.ridPools.onWantsBlock = undefined;
    this.#notifier.stop();
    if (this.#timer) clearInterval(this.#timer);
    await Promise.allSettled([...this.#running.values()].map((r) => r.busy));
    await this.links.close();
  }

  pullAll(): void {
    for (const p of this.partners().inbound) void this.schedule(p);
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
    // A full cycle takes every NC, the schema NC first (ncsOf's order). A cycle a notification asked
    // for takes only the NCs it named: a reply that needs a newer schema is answered by replicating
    // the schema NC then (schema-first.ts), so no extra round trip is paid on every notification.
    const ncs = ncsOf(this.dir).filter((nc) => (!only || only.has(nc.Guid.toString('hex'))) && partnerHolds(this.dir, nc, p.dsaGuid));
    const results: NCCycleResult[] = [];
    let failed: Error | undefined;
    try {
      {
        const applied = channel(REPL_APPLIED_CHANNEL);
        for (const nc of ncs) {
          try {
            // MS-ADTS 3.1.1.1.15: strict replication consistency
            const refusal = this.opts.strictReplicationConsistency === false ? undefined : replicationLifetimeRefusal(this.ctx, this.dir.store.reader, nc.Guid, src, tombstoneLifetimeDays(this.dir));
            if (refusal) throw refusal;
            const objects = await this.links.use(p, ({ client, hDrs }) => pullNCSchemaFirst(this.ctx, this.dir, client, hDrs, nc, src));
            results.push({ partner: p, nc, result: 0, objects });
            // news in the configuration NC may be DCs, addresses or connections: the topology is read again (a KCC run)
            if (objects > 0 && nc.Guid.equals(this.dir.forest.configNC)) {
              this.#partners = undefined;
              await this.forgetDepartedDsas();
              this.partners();
            }
            if (applied.hasSubscribers) applied.publish({ nc: nc.StringName, partner: p.account, objects });
          } catch (e) {
            results.push({ partner: p, nc, result: win32Of(e), objects: 0, message: (e as Error).message });
            failed ??= e as Error;
          }
        }
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
    const pools = this.dir.ridPools;
    if (this.#stopped || this.opts.noRidRequests || (!wanted && (pools.givenUp || !ownWantsBlock(this.dir, this.dir.store.reader)))) return;
    if (wanted) pools.givenUp = false;
    void this.rids.request(afterCycle, wanted);
  }

  /**
   * A cycle from each partner named (all when `from` is undefined) started after this call,
   * awaited (`forestd repl sync`, IDL_DRSReplicaSync without DRS_ASYNC_OP); the outcome per
   * partner and NC (only NC `nc` when given).
   */
  async syncNow(from?: ReplPartner[], nc?: Buffer): Promise<NCCycleResult[]> {
    const partners = from ?? this.partners().inbound;
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
      for (const nc of ncsOf(this.dir).filter((x) => partnerHolds(this.dir, x, p.dsaGuid))) {
        const result = await this.links.use(p, ({ client, hDrs }) => registerWithSource(client, hDrs, nc, this.dir.forest.dsaGuid, this.opts.address, remove));
        if (result !== 0) this.opts.onError?.(new ReplicationError('ERR_REPL_UPDATE_REFS', `${result.toString(16).padStart(8, '0')}: IDL_DRSUpdateRefs for ${nc.StringName} was refused`, result), p);
      }
    } catch (e) {
      this.opts.onError?.(e as Error, p);
    }
  }

  /** Stops replicating every NC from partner `p` (removeSource of each): the first failure's Win32 code, or 0. */
  async removePartner(p: ReplPartner, o: { localOnly?: boolean; ignoreErrors?: boolean } = {}): Promise<number> {
    let first = 0;
    for (const nc of ncsOf(this.dir)) {
      const r = await this.removeSource(p, nc.Guid, { localOnly: o.localOnly ?? false, ignoreErrors: o.ignoreErrors ?? false });
      first ||= r;
    }
    return first;
  }

  /**
   * MS-DRSR 4.1.20.2 (IDL_DRSReplicaDel): this DC stops replicating NC `nc` from partner `p`.
   * Unless `localOnly`, the partner first removes this DC from the NC's repsTo (IDL_DRSUpdateRefs
   * DRS_DEL_REF); its failure ends the request unless `ignoreErrors`. Then the NC's repsFrom value
   * of `p` goes, and `p` leaves repl:partners once no NC has a repsFrom value of it. The Win32 result.
   */
  async removeSource(p: ReplPartner, nc: Buffer, o: { localOnly: boolean; ignoreErrors: boolean }): Promise<number> {
    const name = ncsOf(this.dir).find((x) => x.Guid.equals(nc)) ?? { Guid: nc, StringName: this.dir.dnOf(this.dir.store.reader, nc) };
    if (!o.localOnly) {
      let result: number;
      try {
        result = await this.links.use(p, ({ client, hDrs }) => registerWithSource(client, hDrs, name, this.dir.forest.dsaGuid, this.opts.address, true));
      } catch (e) {
        result = win32Of(e, RPC_S_SERVER_UNAVAILABLE);
      }
      if (result !== 0 && !o.ignoreErrors) return result;
    }
    const src = Buffer.from(p.dsaGuid, 'hex');
    await this.dir.store.write((w) => {
      const st = readReplicaState(w, nc);
      writeReplicaState(w, nc, { ...st, repsFrom: st.repsFrom.filter((x) => !x.uuidDsa.equals(src)) });
      const still = ncsOf(this.dir).some((x) => readReplicaState(w, x.Guid).repsFrom.some((r) => r.uuidDsa.equals(src)));
      if (!still) w.setMeta(PARTNERS_META, (w.getMeta<ReplPartner[]>(PARTNERS_META) ?? []).filter((x) => x.dsaGuid !== p.dsaGuid));
    });
    this.#lastCycle.set(p.dsaGuid, (this.#lastCycle.get(p.dsaGuid) ?? []).filter((r) => !r.nc.Guid.equals(nc)));
    this.#partners = undefined;
    return 0;
  }

  /**
   * The DCs that left: the repsTo values (every NC) and repl:partners entries of DCs whose
   * nTDSDSA object is deleted here (a demoted or removed DC) go, so that no notification or pull
   * is tried with them again. A DSA GUID this DC has never seen (a DC joining) is kept. Returns
   * how many entries went.
   */
  async forgetDepartedDsas(): Promise<number> {
    const dir = this.dir;
    const gone = (r: ReadTxn, hex: string) => {
      const rec = r.getObject(Buffer.from(hex, 'hex'));
      return rec !== undefined && isDeletedRecord(dir, rec);
    };
    const plan = (r: ReadTxn) => {
      const refs = ncsOf(dir).map((nc) => ({ nc: nc.Guid, list: repsToOf(r, nc.Guid) }));
      const partners = r.getMeta<ReplPartner[]>(PARTNERS_META) ?? [];
      const n = refs.reduce((k, x) => k + x.list.filter((v) => gone(r, v.uuidDsa)).length, 0) + partners.filter((p) => gone(r, p.dsaGuid)).length;
      return { refs, partners, n };
    };
    if (plan(dir.store.reader).n === 0) return 0;
    let dropped = 0;
    await dir.store.write((w) => {
      const { refs, partners, n } = plan(w);
      dropped = n;
      if (n === 0) return;
      for (const x of refs) if (x.list.some((v) => gone(w, v.uuidDsa))) setRepsTo(w, x.nc, x.list.filter((v) => !gone(w, v.uuidDsa)));
      w.setMeta(PARTNERS_META, partners.filter((p) => !gone(w, p.dsaGuid)));
    });
    if (dropped > 0) {
      this.#partners = undefined;
      // the KCC's run at once: the connections from the DCs that left go (kcc-connections.ts)
      const wrote = await writeConnections(dir, topologyPartners(dir).kcc);
      const ch = channel(REPL_DEPARTED_CHANNEL);
      if (ch.hasSubscribers) ch.publish({ dsa: dir.forest.dsaDN, dropped, connectionsChanged: wrote });
    }
    return dropped;
  }

  /** MS-ADTS 3.1.1.5.1.6: tells partner `partner` that NC `nc` changed here (IDL_DRSReplicaSync, asynchronous). */
  async notify(partner: Buffer, nc: Buffer, info: NotifyInfo = { urgent: false, delayMs: 0 }): Promise<void> {
    const hex = partner.toString('hex');
    // a DC whose nTDSDSA object is deleted is told nothing: its references go instead
    const rec = this.dir.store.reader.getObject(partner);
    if (rec && isDeletedRecord(this.dir, rec)) {
      await this.forgetDepartedDsas().catch((e: unknown) => this.opts.onKccError?.(e as Error));
      return;
    }
    // the address it registered in the NC's repsTo, else the partner's own
    const t = repsToOf(this.dir.store.reader, nc).find((x) => x.uuidDsa === hex);
    const known = this.partners().outbound.find((x) => x.dsaGuid === hex) ?? partnersOf(this.dir).find((x) => x.dsaGuid === hex);
    // a DC that is no partner (the PDC told of a password change, notify.ts): its nTDSDSA object's networkAddress
    const p: ReplPartner | undefined = t && /:\d+$/.test(t.naDsa) ? { dsaGuid: hex, account: t.account, address: t.naDsa } : (known ?? dsaEndpoint(this.dir, this.dir.store.reader, partner));
    // a reference without a DRS address (a DC joined, not serving yet) is told nothing
    if (!p || !/:\d+$/.test(p.address) || this.#stopped) return;
    const told = channel(REPL_NOTIFY_CHANNEL);
    if (told.hasSubscribers) told.publish({ dsa: this.dir.forest.dsaDN, partner: p.account, nc: nc.toString('hex'), urgent: info.urgent, delayMs: info.delayMs });
    try {
      const ulOptions = DRS_ASYNC_OP | DRS_UPDATE_NOTIFICATION | (info.urgent ? DRS_SYNC_URGENT : 0);
      await this.links.use(p, ({ client, hDrs }) => client.replicaSync({ hDrs, pmsgSync: { version: 1, msg: { pNC: { Guid: nc, Sid: Buffer.alloc(0), StringName: '' }, uuidDsaSrc: this.dir.forest.dsaGuid, pszDsaSrc: this.opts.address, ulOptions } } }));
    } catch (e) {
      this.opts.onError?.(e as Error, p);
    }
  }

  /**
   * IDL_DRSReplicaSync from an authenticated DC (MS-DRSR 4.1.23): it has news; its address is
   * remembered (a partner from now on) and a cycle from it is started (DRS_ASYNC_OP: after the answer).
   */
  async onReplicaSync(peerAccount: string, peerDsa: Buffer, address: string | null, nc?: Buffer): Promise<number> {
    const hex = peerDsa.toString('hex');
    const known = this.partners().inbound.find((x) => x.dsaGuid === hex) ?? partnersOf(this.dir).find((x) => x.dsaGuid === hex);
    const p: ReplPartner | undefined = address ? { dsaGuid: hex, account: peerAccount, address } : known;
    if (!p) return 0x00002104; // ERROR_DS_DRA_NO_REPLICA (MS-DRSR 4.1.23.3: no repsFrom for the source)
    if (await addPartner(this.dir, p)) {
      this.#partners = undefined;
      void this.register(p);
    }
    this.links.alive(p.dsaGuid);
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

/**
 * The PDC emulator of domain NC `nc` (the nTDSDSA object the PDC role object's fSMORoleOwner
 * names, MS-ADTS 3.1.1.1.11, 6.1.5) when it is another DC; undefined for this DC, another NC, or no owner.
 */
export function pdcOf(dir: Directory, nc: Buffer): Buffer | undefined {
  if (!nc.equals(dir.forest.domainNC)) return undefined;
  const r = dir.store.reader;
  const obj = roleObject(dir, r, 'pdc');
  const owner = obj ? roleOwner(dir, r, obj) : undefined;
  return owner && !owner.equals(dir.forest.dsaGuid) ? owner : undefined;
}
