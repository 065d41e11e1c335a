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
import { ChangeNotifier } from '../dsa/replica/notify.js';
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
  /** RID pools from the RID Master (MS-ADTS 6.1.5.3), asked for in the background */
  readonly rids: RidPoolClient;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** per partner: the cycle running, and whether another was asked for while it ran */
  readonly #running = new Map<string, { busy: Promise<void>; again: boolean }>();

  constructor(
    readonly dir: Directory,
    readonly opts: ReplicatorOptions,
  ) {
    this.ctx = replicaContextOf(dir);
    this.#creds = machineAccountCredentials(dir);
    this.#notifier = new ChangeNotifier(dir.store, {
      firstDelayMs: opts.firstDelayMs ?? 20,
      subsequentDelayMs: opts.subsequentDelayMs ?? 5,
      partners: () => partnersOf(dir).map((p) => Buffer.from(p.dsaGuid, 'hex')),
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

  /** A cycle of every NC from partner `p`; one at a time per partner, a request during one runs another after it. */
  schedule(p: ReplPartner): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    const cur = this.#running.get(p.dsaGuid);
    if (cur) {
      cur.again = true;
      return cur.busy;
    }
    const entry = { busy: Promise.resolve(), again: false };
    entry.busy = (async () => {
      do {
        entry.again = false;
        try {
          await this.pullFrom(p);
        } catch (e) {
          this.opts.onError?.(e as Error, p);
        }
      } while (entry.again && !this.#stopped);
      this.#running.delete(p.dsaGuid);
    })();
    this.#running.set(p.dsaGuid, entry);
    return entry.busy;
  }

  async pullFrom(p: ReplPartner): Promise<void> {
    const { client, hDrs } = await connectPartner(this.#creds, p, this.dir.forest.dsaGuid);
    try {
      const applied = channel(REPL_APPLIED_CHANNEL);
      for (const nc of ncsOf(this.dir)) {
        const objects = await pullNC(this.ctx, this.dir, client, hDrs, nc, Buffer.from(p.dsaGuid, 'hex'));
        if (applied.hasSubscribers) applied.publish({ nc: nc.StringName, partner: p.account, objects });
      }
    } finally {
      await client.close();
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
    const p = partnersOf(this.dir).find((x) => x.dsaGuid === partner.toString('hex'));
    if (!p || this.#stopped) return;
    try {
      const { client, hDrs } = await connectPartner(this.#creds, p, this.dir.forest.dsaGuid);
      try {
        await client.replicaSync({ hDrs, pmsgSync: { version: 1, msg: { pNC: { Guid: nc, Sid: Buffer.alloc(0), StringName: '' }, uuidDsaSrc: this.dir.forest.dsaGuid, pszDsaSrc: this.opts.address, ulOptions: DRS_ASYNC_OP } } });
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
  async onReplicaSync(peerAccount: string, peerDsa: Buffer, address: string | null): Promise<number> {
    const known = partnersOf(this.dir).find((x) => x.dsaGuid === peerDsa.toString('hex'));
    const p: ReplPartner | undefined = address ? { dsaGuid: peerDsa.toString('hex'), account: peerAccount, address } : known;
    if (!p) return 0x000020f3; // ERROR_DS_DRA_NO_REPLICA (MS-DRSR 4.1.23.3: no repsFrom for the source)
    await addPartner(this.dir, p);
    void this.schedule(p);
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
