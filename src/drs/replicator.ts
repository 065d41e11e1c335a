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
import { nextRequest, handleReplyAsync, type PullOptions } from '../dsa/replica/pull.js';
import { readReplicaState } from '../dsa/replica/state.js';
import { ChangeNotifier } from '../dsa/replica/notify.js';
import type { ReplicaContext } from '../dsa/replica/context.js';
import type { DRS_MSG_GETCHGREPLY_V6, DRS_MSG_GETCHGREQ_V10, DSNAME } from '../dsa/replica/types.js';
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
/** MS-DRSR 4.1.23 DRS_OPTIONS: DRS_ASYNC_OP (the callee syncs after it answered) */
const DRS_ASYNC_OP = 0x1;

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
  return [
    { Guid: Buffer.from(f.schemaNC), StringName: f.schemaDN },
    { Guid: Buffer.from(f.configNC), StringName: f.configDN },
    { Guid: Buffer.from(f.domainNC), StringName: f.domainDN },
  ] as DSNAME[];
}

function splitAddress(a: string): { host: string; port: number } {
  const i = a.lastIndexOf(':');
  return { host: a.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(a.slice(i + 1)) };
}

/** Objects per GetNCChanges reply asked for (cMaxObjects); the source also ends a reply at cMaxBytes. */
export const CHUNK_OBJECTS = 1000;
export const CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * One replication cycle of NC `nc` from a connected source: requests until the source has no
 * more data (fMoreData false), each reply applied in one transaction (handleReplyAsync).
 *
 * Pipelined: as soon as a reply with fMoreData arrives, the request for the next chunk (its
 * usnvecFrom the reply's usnvecTo, MS-DRSR 4.1.10.6: what the destination would send once the
 * chunk is applied) goes out, so the source reads and encodes chunk n+1 while this DC applies
 * chunk n. The watermark still moves only with each chunk's commit: the next reply is applied
 * only after this one committed (handleReplyAsync checks its usnvecFrom against the stored
 * watermark), and is thrown away when this one was not (a retry with DRS_GET_ANC/GET_TGT, a failure).
 */
export async function pullNC(
  ctx: ReplicaContext,
  dir: Directory,
  client: DrsCaller,
  hDrs: Buffer,
  nc: DSNAME,
  srcDsa: Buffer,
  progress?: (p: PullProgress) => void,
): Promise<number> {
  const codec = codecOf(dir);
  const chunk: PullOptions = { cMaxObjects: CHUNK_OBJECTS, cMaxBytes: CHUNK_BYTES };
  let opts: PullOptions = chunk;
  let objects = 0;
  let bytes = 0;
  type Reply = Awaited<ReturnType<typeof callGetNCChanges>>;
  let ahead: { from: number; opts: PullOptions; reply: Promise<Reply> } | undefined;
  const discard = () => {
    ahead?.reply.catch(() => undefined);
    ahead = undefined;
  };
  try {
    for (;;) {
      const st = readReplicaState(dir.store.reader, nc.Guid);
      const rf = st.repsFrom.find((x) => x.uuidDsa.equals(srcDsa));
      const req = nextRequest(ctx, dir.store.reader, nc, srcDsa, rf ? rf.uuidInvocId : Buffer.alloc(16), opts);
      let pending: Promise<Reply>;
      if (ahead && ahead.from === req.usnvecFrom.usnHighObjUpdate && ahead.opts === opts) pending = ahead.reply;
      else {
        discard();
        pending = callGetNCChanges(client, hDrs, req as never, codec);
      }
      ahead = undefined;
      const reply = (await pending) as never as DRS_MSG_GETCHGREPLY_V6;
      if (reply.fMoreData && reply.dwDRSError === 0 && reply.ulExtendedRet === 0 && Number.isSafeInteger(reply.usnvecTo?.usnHighObjUpdate)) {
        const next: DRS_MSG_GETCHGREQ_V10 = { ...req, uuidInvocIdSrc: reply.uuidInvocIdSrc, usnvecFrom: { ...reply.usnvecTo } };
        ahead = { from: next.usnvecFrom.usnHighObjUpdate, opts, reply: callGetNCChanges(client, hDrs, next as never, codec) };
        ahead.reply.catch(() => undefined); // a failure surfaces when (if) this reply is awaited
      }
      const r = await handleReplyAsync(ctx, reply, opts);
      if (r.kind === 'retry') {
        opts = { ...chunk, getAnc: r.getAnc, getTgt: r.getTgt };
        continue;
      }
      if (r.kind === 'stale') throw new ReplicationError('ERR_REPL_STALE', `${nc.StringName}: the source answered a request this DC did not make`);
      if (r.kind === 'failed') {
        const hex = r.error.toString(16).padStart(8, '0');
        throw new ReplicationError('ERR_REPL_FAILED', `${hex}: replication of ${nc.StringName} failed${r.cause ? ` (${(r.cause as Error).message})` : ''}`, r.error);
      }
      objects += r.outcome.objects;
      bytes += reply.cNumBytes ?? 0;
      progress?.({ nc: nc.StringName, objects, bytes });
      // DRS_GET_ANC / GET_TGT for the chunk that needed them only; the prefetched request kept them too
      if (opts !== chunk && !ahead) opts = chunk;
      if (!r.more) return objects;
    }
  } finally {
    discard();
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
  /** a RID pool request that failed (src/drs/rid-manager-client.ts) */
  onRidError?: (e: Error) => void;
  /** never ask the RID Master for RID blocks (FORESTD_RID_REQUESTS=off: the tests' negative control) */
  noRidRequests?: boolean;
}

/** A serving DC's inbound and outbound replication. */
export class Replicator {
  readonly ctx: ReplicaContext;
  readonly #creds: DrsCredentials;
  readonly #notifier: ChangeNotifier;
  /** one connection per partner, shared by notifications and pulls (partner-links.ts) */
  readonly links: PartnerLinks<ReplPartner>;
  /** RID pools from the RID Master (MS-ADTS 6.1.5.3), asked for in the background */
  readonly rids: RidPoolClient;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** the topology's partners, read again when older than a second (the configuration NC changes by replication) */
  #partners: { at: number; inbound: ReplPartner[]; outbound: ReplPartner[] } | undefined;
  #kccWriting = false;
  /** per partner: the cycle running, and the NCs asked for while it ran (null: all of them) */
  readonly #running = new Map<string, { busy: Promise<void>; again: Set<string> | null | undefined }>();

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
      partners: () => this.partners().outbound.map((p) => Buffer.from(p.dsaGuid, 'hex')),
      notify: (partner, nc) => void this.notify(partner, nc),
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
    // tell the partners where this DC is now and that it may have news; and catch up with them
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

  async stop(): Promise<void> {
    this.#stopped = true;
    this.dir.ridPools.onWantsBlock = undefined;
    this.#notifier.stop();
    if (this.#timer) clearInterval(this.#timer);
    await Promise.allSettled([...this.#running.values()].map((r) => r.busy));
    await this.links.close();
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

  pullAll(): void {
    for (const p of this.partners().inbound) void this.schedule(p);
  }

  /**
   * A cycle from partner `p` of the NCs `ncs` (objectGUIDs; every NC when left out); one at a
   * time per partner, and NCs asked for during one are pulled right after it.
   */
  schedule(p: ReplPartner, ncs?: Buffer[]): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    const want = ncs ? new Set(ncs.map((g) => g.toString('hex'))) : null;
    const cur = this.#running.get(p.dsaGuid);
    if (cur) {
      if (cur.again === undefined) cur.again = want;
      else if (cur.again !== null) cur.again = want === null ? null : new Set([...cur.again, ...want]);
      return cur.busy;
    }
    const entry: { busy: Promise<void>; again: Set<string> | null | undefined } = { busy: Promise.resolve(), again: undefined };
    entry.busy = (async () => {
      let todo: Set<string> | null | undefined = want;
      while (todo !== undefined && !this.#stopped) {
        entry.again = undefined;
        try {
          await this.pullFrom(p, todo);
        } catch (e) {
          this.opts.onError?.(e as Error, p);
        }
        todo = entry.again;
      }
      this.#running.delete(p.dsaGuid);
    })();
    this.#running.set(p.dsaGuid, entry);
    return entry.busy;
  }

  /** One cycle of each NC (of `only`, objectGUIDs in hex, when given) from partner `p`, over its shared connection. */
  async pullFrom(p: ReplPartner, only: Set<string> | null = null): Promise<void> {
    const applied = channel(REPL_APPLIED_CHANNEL);
    for (const nc of ncsOf(this.dir)) {
      if (only && !only.has(nc.Guid.toString('hex'))) continue;
      const objects = await this.links.use(p, ({ client, hDrs }) => pullNC(this.ctx, this.dir, client, hDrs, nc, Buffer.from(p.dsaGuid, 'hex')));
      // news in the configuration NC may be DCs, addresses or connections: the topology is read again (a KCC run)
      if (objects > 0 && nc.Guid.equals(this.dir.forest.configNC)) {
        this.#partners = undefined;
        this.partners();
      }
      if (applied.hasSubscribers) applied.publish({ nc: nc.StringName, partner: p.account, objects });
    }
    // a request the RID Master could not answer yet (it did not know this DC) is asked again now
    this.requestRids(true);
  }

  /** Asks the RID Master for a block when this DC wants one, or `wanted` says so (background; failures go to onRidError). */
  requestRids(afterCycle = false, wanted = false): void {
    if (this.#stopped || this.opts.noRidRequests || (!wanted && !ownWantsBlock(this.dir, this.dir.store.reader))) return;
    void this.rids.request(afterCycle, wanted);
  }

  /** MS-ADTS 3.1.1.5.1.6: tells partner `partner` that NC `nc` changed here (IDL_DRSReplicaSync, asynchronous). */
  async notify(partner: Buffer, nc: Buffer): Promise<void> {
    const p = this.partners().outbound.find((x) => x.dsaGuid === partner.toString('hex'));
    if (!p || this.#stopped) return;
    try {
      await this.links.use(p, ({ client, hDrs }) =>
        client.replicaSync({ hDrs, pmsgSync: { version: 1, msg: { pNC: { Guid: nc, Sid: Buffer.alloc(0), StringName: '' }, uuidDsaSrc: this.dir.forest.dsaGuid, pszDsaSrc: this.opts.address, ulOptions: DRS_ASYNC_OP } } }),
      );
    } catch (e) {
      this.opts.onError?.(e as Error, p);
    }
  }

  /**
   * IDL_DRSReplicaSync from an authenticated DC (MS-DRSR 4.1.23): it has news for NC `nc`; its
   * address is remembered (a partner from now on) and a cycle of that NC from it is started
   * (DRS_ASYNC_OP: after the answer). Without `nc`, every NC.
   */
  async onReplicaSync(peerAccount: string, peerDsa: Buffer, address: string | null, nc?: Buffer): Promise<number> {
    const known = this.partners().inbound.find((x) => x.dsaGuid === peerDsa.toString('hex'));
    const p: ReplPartner | undefined = address ? { dsaGuid: peerDsa.toString('hex'), account: peerAccount, address } : known;
    if (!p) return 0x000020f3; // ERROR_DS_DRA_NO_REPLICA (MS-DRSR 4.1.23.3: no repsFrom for the source)
    if (await addPartner(this.dir, p)) this.#partners = undefined;
    this.links.alive(p.dsaGuid);
    const held = nc && ncsOf(this.dir).some((x) => x.Guid.equals(nc));
    void this.schedule(p, held ? [nc] : undefined);
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
