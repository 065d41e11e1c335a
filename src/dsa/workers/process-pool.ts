// Reads on every core with processes that own their sockets (`forestd serve --workers N
// --worker-mode process`): the serving process is the writer and owns the listeners. Read
// processes accept on its plain listeners too (shared accept: attach/share/lend below), within
// a lease of connection slots the writer lends them and counts as taken (MaxConnections,
// MaxConnectionsPerAddress); beyond it they pass the socket to the writer. The writer
// serves its connections itself (binds, writes, the rootDSE: as with one process) until the
// connection's first search that a read process would answer (classifyForHandOff); once idle
// after it, the connection moves — socket (child.send), bind identity, NTLM sign/seal state and
// unread bytes (connection.ts MovedState) — to the read process with the fewest connections,
// if that makes the two more even (at least two fewer than the writer: target; HandOffPolicy:
// classify, target, send). TLS
// connections never move. A read process (process-child.ts) runs the ordinary LDAP Connection
// code over a follower Directory of the same data directory: it answers searches itself and
// sends everything else here, where the writer's DsaService runs it for a session that mirrors
// the read process's (binds, their multi-leg state and the identity they produce, writes with
// group commit, compare, extended operations, and the searches that stay with the writer:
// rootDSE, DirSync, notification — their results stream back as encoded PDUs).
//
//   writer: listeners ─► accept ─► Connection ─► ProcessPool (this) ─► DsaService
//                                     └─ idle after a search ─► socket + state ─► read process i (fewest connections):
//                                          Connection ─► searches: its own DsaService
//                                                   └─ the rest: IPC ─► here ─► DsaService
//
// Coherence (read-your-writes across connections): a read process renews its read transaction
// before each search (Store.followCommitted). What it cannot read from the store — the schema
// generation, the SD epoch, whether an SD propagation may be pending, highestCommittedUsn — this
// pool sends when it moves (WriterState), and before it answers an operation after which it
// moved (on any connection), it waits until every read process has acknowledged the new state.
// After background writes (propagation, replication) it sends the state without waiting.
import { fork, type ChildProcess } from 'node:child_process';
import { channel } from 'node:diagnostics_channel';
import type net from 'node:net';
import type { AddRequest, BindRequest, CompareRequest, DelRequest, ExtendedRequest, ModifyDNRequest, ModifyRequest, SearchRequest } from '../../ldap/protocol/messages.js';
import { LdapError, UnavailableError } from '../../ldap/protocol/result-codes.js';
import type { LdapPolicies } from '../../ldap/policies.js';
import type { HandedConnection } from '../../ldap/server.js';
import type { MovedState } from '../../ldap/connection.js';
import type { LdapMessage } from '../../ldap/protocol/messages.js';
import type { Logger } from '../../ldap/logger.js';
import type { BindResult, SaslSecurityLayer, DirectoryService, ExtendedResult, Identity, OperationContext, OperationResult, Session } from '../api.js';
import type { DsaService } from '../service.js';
import type { SchemaBinding } from '../schema-binding.js';
import { accessState } from '../access/access.js';
import { sdPropagationMayBePending } from '../access/sd-propagator.js';
import type { SearchLimits } from '../search/search.js';
import { EncodingSink } from './encoding-sink.js';
import { NtlmSessionSecurity } from '../../security/ntlm/session-security.js';
import { Outbox, asBuffer, compact, errorToWire, identityFromWire, identityToWire, revive } from './wire.js';
import { FramedChannel, ID_SPAN, LEASE_SLOTS, classifyForHandOff, type MovedWire, type ChildInit, type FromChild, type OpResultWire, type ProcSession, type ToChild, type WriterState } from './process-wire.js';
import type { Duplex } from 'node:stream';

export interface ProcessPoolOptions {
  data: string;
  /** read processes to start (>= 1); the writer serves a share of the connections too */
  processes: number;
  searchLimits?: SearchLimits | undefined;
  policies: LdapPolicies;
  tls?: { cert: string; key: string } | undefined;
  enforceChannelBinding: 0 | 1 | 2;
  logger: Logger;
  /** read processes accept on the plain listeners themselves (default true; FORESTD_SHARED_ACCEPT=0 turns it off) */
  sharedAccept?: boolean;
}

/** What the pool needs of the writer's LDAP server (LdapServer). */
export interface PoolServer {
  remoteClosed(id: number): void;
  acceptFromPeer(socket: net.Socket, globalCatalog: boolean): void;
  freeSlots(): number;
  sharedListeners(): Array<{ server: net.Server; globalCatalog: boolean }>;
}

/**
 * Slots are lent only while at least this many are free beyond those already lent (under
 * MaxConnections and, for the busiest address, MaxConnectionsPerAddress): near a limit every
 * connection a read process accepts goes to the writer, which counts it exactly.
 */
export const LEASE_FREE_MIN = 8 * LEASE_SLOTS;
/** How often the leases are looked at besides when a read process reports (ms). */
const LEND_INTERVAL_MS = 1000;

interface ChildHandle {
  /** 1.. (0 is the writer) */
  index: number;
  proc: ChildProcess;
  ready: boolean;
  alive: boolean;
  out: Outbox<ToChild>;
  /** the sessions (connections) this process holds, mirrored here */
  sessions: Map<number, ProxySession>;
  /** operations running here for it, by its request id */
  running: Map<number, { controller: AbortController; sink?: EncodingSink }>;
  /** the WriterState sequence number it acknowledged last */
  acked: number;
  /** the pipe of the operations, answers and states (process-wire.ts FramedChannel) */
  channel: FramedChannel<FromChild, ToChild>;
  /** shared accept: the quota last sent (connections it accepted that it may hold open at once) */
  quota: number;
  /** the slots counted as lent to it: a higher quota counts at once, a lower one once acknowledged */
  lent: number;
  /** the connections it accepted and holds open, as it last reported */
  open: number;
  /** the connections the writer moved to it and that are open */
  moved: number;
}

/** The connections a read process holds: those moved to it and those it accepted (as last reported). */
function load(h: ChildHandle): number {
  return h.moved + h.open;
}

/** The writer's side of a read process's connection: what its operations read and keep between requests (bind state, identity). */
class ProxySession implements Session {
  identity: Identity | null = null;
  encrypted: boolean;
  globalCatalog: boolean;
  remoteAddress: string;
  localAddress?: string;
  saslLayer?: 'none' | 'sign' | 'seal';
  tlsServerEndPoint?: Buffer;
  channelBindingRequired?: boolean;
  bindState?: unknown;
  constructor(
    readonly id: number,
    s: ProcSession,
  ) {
    this.encrypted = s.encrypted;
    this.globalCatalog = s.globalCatalog;
    this.remoteAddress = s.remoteAddress;
    this.update(s);
  }
  update(s: ProcSession): void {
    this.encrypted = s.encrypted;
    this.remoteAddress = s.remoteAddress;
    if (s.localAddress !== undefined) this.localAddress = s.localAddress;
    this.saslLayer = s.saslLayer;
    this.tlsServerEndPoint = s.tlsServerEndPoint ? asBuffer(s.tlsServerEndPoint) : undefined;
    this.channelBindingRequired = s.channelBindingRequired;
    // a bind the read process answered itself: its identity comes with the next operation sent here
    if (s.identity !== undefined) this.identity = s.identity ? identityFromWire(s.identity) : null;
  }
}

/** Published (when someone listens) when a connection idle after a search a read process would answer is placed: { process, session, pid? } (process 0: the writer keeps it). */
export const handOffChannel = channel('forestd:dsa:hand-off');

/** Published (when someone listens) when a read process is ready: { process, pid }. */
export const readProcessStartedChannel = channel('forestd:dsa:read-process-started');

/** highestCommittedUsn reaches read processes that get no answers at most this late (ms). */
const HCU_DELAY_MS = 1000;

/** How long stop() waits for a read process to exit before it kills it. */
const STOP_GRACE_MS = 5000;

export class ProcessPool implements DirectoryService {
  private readonly children: ChildHandle[] = [];
  private stopping = false;
  private schema: SchemaBinding;
  private schemaGeneration = 0;
  private sent: WriterState;
  private seq = 0;
  /** the last state sequence number that answers wait for (schema, SD epoch, SD propagation moved) */
  private mustSeq = 0;
  /** resolvers waiting for every read process to acknowledge a sequence number */
  private waiters: Array<{ seq: number; resolve: () => void }> = [];
  private stateScheduled = false;
  private readonly offCommit: () => void;
  /** set by serve once its LdapServer listens (attach): the counts of handed and shared-accepted connections, the listeners */
  private server: PoolServer | undefined;

  private constructor(
    private readonly main: DsaService,
    private readonly opts: ProcessPoolOptions,
  ) {
    this.schema = main.dir.schema;
    accessState(main.dir); // its commit listener (the SD epoch's) runs before ours
    this.sent = this.state();
    // background writes (SD propagation, replication, garbage collection): the state follows, unawaited
    this.offCommit = main.dir.store.onCommit(() => this.scheduleState());
  }

  /** Starts the read processes; resolves once each has opened the store. */
  static async start(main: DsaService, opts: ProcessPoolOptions): Promise<ProcessPool> {
    const pool = new ProcessPool(main, opts);
    try {
      await Promise.all(Array.from({ length: opts.processes }, (_, i) => pool.spawn(i + 1)));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  /** Read processes serving now. */
  get processCount(): number {
    return this.children.filter((c) => c?.alive && c.ready).length;
  }

  /** The pids of the read processes (diagnostics, tests). */
  get pids(): number[] {
    return this.children.filter((c) => c?.alive).map((c) => c.proc.pid!);
  }

  get supportedExtensions(): readonly string[] {
    return this.main.supportedExtensions;
  }

  private spawn(index: number): Promise<void> {
    // fd 4: the pipe of the operations (FramedChannel); the IPC channel carries the sockets
    const proc = fork(new URL('./process-child.js', import.meta.url), [], { serialization: 'advanced', stdio: ['inherit', 'inherit', 'inherit', 'ipc', 'pipe'] });
    const pipe = proc.stdio[4] as Duplex;
    const h: ChildHandle = { index, proc, ready: false, alive: true, out: new Outbox<ToChild>((batch) => this.post(h, batch)), sessions: new Map(), running: new Map(), acked: this.seq, channel: undefined as never, quota: 0, lent: 0, open: 0, moved: 0 };
    this.children[index - 1] = h;
    const init: ChildInit = {
      t: 'init',
      index,
      data: this.opts.data,
      ...(this.opts.searchLimits ? { searchLimits: this.opts.searchLimits } : {}),
      policies: this.opts.policies,
      ...(this.opts.tls ? { tls: this.opts.tls } : {}),
      enforceChannelBinding: this.opts.enforceChannelBinding,
      supportedExtensions: [...this.main.supportedExtensions],
      state: this.sent,
    };
    return new Promise<void>((resolve, reject) => {
      let started = false;
      h.channel = new FramedChannel<FromChild, ToChild>(pipe, (batch) => {
        for (const m of batch) {
          if (m.t === 'ready') {
            h.ready = true;
            // it has the state of its init: the current one follows (and comes with each connection)
            h.acked = 0;
            h.out.send({ t: 'state', seq: this.seq, state: { ...this.sent, highestCommittedUsn: this.main.dir.store.highestCommittedUsn }, ack: true });
            started = true;
            this.share(h);
            this.lend();
            resolve();
            if (readProcessStartedChannel.hasSubscribers) readProcessStartedChannel.publish({ process: index, pid: proc.pid });
          } else this.onMessage(h, m);
        }
      });
      // shared accept: a connection it accepted beyond its lease, for the writer to accept (and count)
      proc.on('message', (m: FromChild, socket?: net.Socket) => {
        if (m?.t !== 'accepted' || !socket) return void socket?.destroy();
        if (this.server && !this.stopping) this.server.acceptFromPeer(socket, m.globalCatalog);
        else socket.destroy();
      });
      proc.on('error', (e) => {
        if (!started) reject(e);
        this.lost(h, e.message);
      });
      proc.on('exit', (code, signal) => {
        if (!started) reject(new Error(`read process ${index} exited before it was ready (${signal ?? code})`));
        this.lost(h, `exited (${signal ?? `code ${code}`})`);
      });
      proc.send([init]);
    });
  }

  // ---- shared accept: read processes accept on the plain listeners too ------------------

  /**
   * The writer's LDAP server listens: read processes accept on its plain listeners as well (each
   * process's accept takes its turn on the one socket), so a connection starts where it is
   * served, and a short one (bind, search, unbind) never moves.
   */
  attach(server: PoolServer): void {
    this.server = server;
    for (const h of this.children) if (h?.alive && h.ready) this.share(h);
    this.lend();
    // the writer's own connections move the free slots too: leases follow them at least this often
    if (this.opts.sharedAccept !== false) (this.lendTimer = setInterval(() => this.lend(), LEND_INTERVAL_MS)).unref();
  }
  private lendTimer: NodeJS.Timeout | undefined;

  private share(h: ChildHandle): void {
    if (!this.server || this.opts.sharedAccept === false || this.stopping) return;
    for (const l of this.server.sharedListeners()) h.proc.send({ t: 'listen', globalCatalog: l.globalCatalog } satisfies ToChild, l.server);
  }

  /** The slots lent to read processes, filled or not: the writer counts them as taken (LdapServer accept). */
  lent(): number {
    let n = 0;
    for (const h of this.children) if (h?.alive) n += h.lent;
    return n;
  }

  /** The connections read processes accepted and hold open, as they last reported. */
  sharedOpen(): number {
    let n = 0;
    for (const h of this.children) if (h?.alive) n += h.open;
    return n;
  }

  /**
   * Sets each read process's quota to its open connections plus LEASE_SLOTS while that leaves
   * LEASE_FREE_MIN slots free beyond those lent, or to its open connections (nothing more to
   * accept: it passes new ones to the writer) when fewer are free. A process that reported
   * (`reported`) gets a lease back in any case. Lent slots count as taken until the process gives
   * them back (MaxConnections), and as if from any one address (MaxConnectionsPerAddress), so
   * the server never holds more than its limits.
   */
  private lend(reported?: ChildHandle): void {
    if (!this.server || this.stopping || this.opts.sharedAccept === false) return;
    let free = this.server.freeSlots() - this.lent();
    for (const h of this.children) {
      if (!h?.alive || !h.ready) continue;
      const left = h.quota - h.open;
      let quota = h.quota;
      if (left <= LEASE_SLOTS / 2 || left >= 2 * LEASE_SLOTS) {
        const want = h.open + LEASE_SLOTS;
        const more = Math.max(0, want - h.lent);
        quota = free - more >= LEASE_FREE_MIN ? want : h.open;
      }
      if (free < LEASE_FREE_MIN) quota = Math.min(quota, h.open);
      if (quota === h.quota && h !== reported) continue;
      if (quota > h.lent) {
        free -= quota - h.lent;
        h.lent = quota;
      }
      h.quota = quota;
      h.out.send({ t: 'lease', quota });
    }
  }

  private post(h: ChildHandle, batch: ToChild[]): void {
    if (h.alive) h.channel.send(batch);
  }

  // ---- connections moving here from the writer (LdapServer HandOffPolicy) ----------------

  /** 'move' after a search a read process answers, 'pin' after a paged or VLV one (process-wire.ts classifyForHandOff). */
  classify(msg: LdapMessage): 'move' | 'pin' | undefined {
    return classifyForHandOff(msg);
  }

  /**
   * Where a connection idle after its search goes: the read process with the fewest connections
   * (`best`), if moving it there makes the two more even. The writer is a slot too: `local` is
   * its open connections, that one included. After a move `best` holds best+1 and the writer
   * local−1; their difference goes from local−best to local−best−2, which is smaller in size only
   * if local−best ≥ 2, so the rule is `best + 1 < local`. When the difference is 1 a move only
   * swaps the sides (a tie): the connection stays, and saves the move's cost. Undefined: the
   * writer keeps it. A security layer other than NTLM's cannot travel.
   *
   * Connections that all search, placed one after another (w = writer + read processes):
   *   c=1: stays (1 vs 0: a move would leave the writer idle and the read process alone with it).
   *   c=2: the first moves (2 vs 0), the second stays (1 vs 1): 1 | 1, for any w ≥ 2.
   *   c=3, w=2: one moves (3 vs 0), then 2 vs 1 stays: 2 | 1. w=3: 1 | 1 | 1. w=4: 1 | 1 | 1 | 0.
   *   c=8, w=2: 4 | 4; w=4: 2 | 2 | 2 | 2.  c=32, w=2: 16 | 16; w=4: 8 each; w=3: 11 | 11 | 10.
   * The old rule (`best < local`) moved the lone connection of c=1 and the third of c=3, w=2
   * (2 vs 1 became 1 vs 2): a move each, for no balance gain.
   */
  target(id: number, local: number, layer: SaslSecurityLayer | undefined): number | undefined {
    let best: ChildHandle | undefined;
    if (!this.stopping && (layer === undefined || layer instanceof NtlmSessionSecurity)) {
      for (const h of this.children) if (h?.alive && h.ready && h.proc.connected && (!best || load(h) < load(best))) best = h;
    }
    const to = best && load(best) + 1 < local ? best : undefined;
    if (handOffChannel.hasSubscribers) handOffChannel.publish({ process: to?.index ?? 0, session: id, ...(to ? { pid: to.proc.pid } : {}) });
    return to?.index;
  }

  /** The connection, its reading stopped and its responses written, goes to read process `target` with its state. */
  send(target: number, socket: net.Socket, conn: HandedConnection, st: MovedState): void {
    const h = this.children[target - 1];
    if (!h?.alive || !h.proc.connected) {
      // gone since it was picked: the connection ends (as it would have with that process)
      socket.destroy();
      this.server?.remoteClosed(conn.id);
      return;
    }
    // the writer's side of the session: the operations the read process sends here run with its identity
    const s = new ProxySession(conn.id, { id: conn.id, encrypted: false, globalCatalog: conn.globalCatalog, remoteAddress: '' });
    s.identity = st.identity;
    if (st.layer) s.saslLayer = st.layer.confidentiality ? 'seal' : 'sign';
    h.sessions.set(conn.id, s);
    h.moved++;
    const moved: MovedWire = {
      identity: st.identity ? identityToWire(st.identity) : null,
      ...(st.layer instanceof NtlmSessionSecurity ? { layer: st.layer.exportState() } : {}),
      unread: new Uint8Array(st.unread),
      framed: new Uint8Array(st.framed),
    };
    h.proc.send({ t: 'conn', id: conn.id, globalCatalog: conn.globalCatalog, source: conn.source, seq: this.seq, state: this.sent, moved } satisfies ToChild, socket, { keepOpen: false }, (err) => {
      if (!err) return;
      // not handed over: the socket is ours to close, the session ends
      socket.destroy();
      if (h.sessions.delete(conn.id)) {
        h.moved--;
        this.server?.remoteClosed(conn.id);
      }
    });
  }

  // ---- the state read processes cannot read from the store ------------------------------

  private state(): WriterState {
    const dir = this.main.dir;
    if (dir.schema !== this.schema) {
      this.schema = dir.schema;
      this.schemaGeneration++;
    }
    return { schemaGeneration: this.schemaGeneration, sdEpoch: accessState(dir).sdEpoch, sdPropagationPending: sdPropagationMayBePending(dir), highestCommittedUsn: dir.store.highestCommittedUsn };
  }

  /**
   * Sends the state if it moved; resolves once every read process serving has it. A move of
   * highestCommittedUsn alone (every write) is not sent at once, nor acknowledged: on this
   * machine a message that wakes another process costs as much CPU as the write's answer (tens of
   * µs), and only the rootDSE (the writer's) and replication metadata show it. It goes with the
   * next answer to a read process, the next state, or after HCU_DELAY_MS at the latest.
   */
  private synced(): Promise<void> | undefined {
    const s = this.state();
    const p = this.sent;
    const moved = s.schemaGeneration !== p.schemaGeneration || s.sdEpoch !== p.sdEpoch || s.sdPropagationPending !== p.sdPropagationPending;
    if (moved) {
      this.broadcast(s, true);
      this.mustSeq = this.seq;
    } else if (s.highestCommittedUsn !== p.highestCommittedUsn && !this.hcuTimer) {
      this.hcuTimer = setTimeout(() => {
        this.hcuTimer = undefined;
        const now = this.state();
        if (now.highestCommittedUsn !== this.sent.highestCommittedUsn) this.broadcast({ ...this.sent, highestCommittedUsn: now.highestCommittedUsn }, false);
      }, HCU_DELAY_MS);
      this.hcuTimer.unref();
    }
    // a state that moved earlier (a background write) may still be on its way: the answer waits for it too
    return this.pendingAcks();
  }
  private hcuTimer: NodeJS.Timeout | undefined;

  private broadcast(s: WriterState, ack: boolean): void {
    this.sent = s;
    const seq = ++this.seq;
    for (const h of this.children) if (h?.alive && h.ready) h.out.send({ t: 'state', seq, state: s, ...(ack ? { ack: true } : {}) });
  }

  /** Resolves once every read process serving acknowledged the last state that must be waited for; undefined: none outstanding. */
  private pendingAcks(): Promise<void> | undefined {
    const seq = this.mustSeq;
    if (this.children.every((h) => !h?.alive || !h.ready || h.acked >= seq)) return undefined;
    return new Promise<void>((resolve) => this.waiters.push({ seq, resolve }));
  }

  private scheduleState(): void {
    if (this.stateScheduled) return;
    this.stateScheduled = true;
    setImmediate(() => {
      this.stateScheduled = false;
      void this.synced();
    });
  }

  private settleWaiters(): void {
    if (this.waiters.length === 0) return;
    const low = Math.min(...this.children.filter((h) => h?.alive && h.ready).map((h) => h.acked));
    const left: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (low >= w.seq) w.resolve();
      else left.push(w);
    }
    this.waiters = left;
  }

  // ---- operations of read processes ------------------------------------------------------

  private onMessage(h: ChildHandle, m: FromChild): void {
    switch (m.t) {
      case 'op':
        void this.runOp(h, m);
        return;
      case 'ack':
        h.running.get(m.id)?.sink?.credit();
        return;
      case 'abort': {
        const r = h.running.get(m.id);
        if (r && !r.controller.signal.aborted) r.controller.abort(new LdapError(m.reason.resultCode, m.reason.diagnosticMessage, m.reason.matchedDN));
        return;
      }
      case 'closed': {
        const s = h.sessions.get(m.session);
        if (!s) return;
        h.sessions.delete(m.session);
        if (m.session < ID_SPAN) h.moved--;
        this.main.sessionClosed(s);
        this.server?.remoteClosed(m.session);
        return;
      }
      case 'stateAck':
        if (m.seq > h.acked) h.acked = m.seq;
        this.settleWaiters();
        return;
      case 'usage':
        h.open = m.open;
        this.lend(m.ask ? h : undefined);
        return;
      case 'leaseAck':
        h.open = m.open;
        // the last quota sent is in force now (a lower one was counted at the old until here); it may hold more than that from before
        if (m.quota === h.quota) h.lent = Math.max(h.quota, h.open);
        return;
      case 'ready':
        return;
    }
  }

  private async runOp(h: ChildHandle, m: Extract<FromChild, { t: 'op' }>): Promise<void> {
    let s = h.sessions.get(m.session.id);
    if (!s) h.sessions.set(m.session.id, (s = new ProxySession(m.session.id, m.session)));
    else s.update(m.session);
    const controller = new AbortController();
    const running: { controller: AbortController; sink?: EncodingSink } = { controller };
    h.running.set(m.id, running);
    const ctx: OperationContext = { session: s, controls: revive(m.controls.slice()), signal: controller.signal, ...(m.messageID !== undefined ? { messageID: m.messageID } : {}) };
    const req = revive(m.req) as never;
    let out: Extract<ToChild, { t: 'done' }>;
    try {
      const result = await this.run(h, m, s, req, ctx, running);
      await this.synced();
      out = { t: 'done', id: m.id, result, hcu: this.main.dir.store.highestCommittedUsn, ...(running.sink ? { pdus: running.sink.take() } : {}) };
    } catch (e) {
      await this.synced();
      out = { t: 'done', id: m.id, error: compact(errorToWire(e)), hcu: this.main.dir.store.highestCommittedUsn, ...(running.sink ? { pdus: running.sink.take() } : {}) };
    } finally {
      h.running.delete(m.id);
    }
    if (h.alive) h.out.send(out);
  }

  private async run(h: ChildHandle, m: Extract<FromChild, { t: 'op' }>, s: ProxySession, req: never, ctx: OperationContext, running: { sink?: EncodingSink }): Promise<OpResultWire> {
    const main = this.main;
    const plain = (r: OperationResult): OpResultWire => compact({ ...(r.controls ? { controls: r.controls } : {}), ...(r.diagnosticMessage !== undefined ? { diagnosticMessage: r.diagnosticMessage } : {}) });
    switch (m.kind) {
      case 'bind': {
        // as the connection does (connection.ts): earlier authentication is dropped, a failed bind leaves the session anonymous
        s.identity = null;
        const r: BindResult = await main.bind(req as BindRequest, ctx);
        if (r.saslBindInProgress !== true) s.identity = r.identity;
        const w: OpResultWire = plain(r);
        w.identity = r.identity ? identityToWire(r.identity) : null;
        if (r.serverSaslCreds !== undefined) w.serverSaslCreds = new Uint8Array(r.serverSaslCreds);
        if (r.sicilyServerCreds !== undefined) w.sicilyServerCreds = new Uint8Array(r.sicilyServerCreds);
        if (r.saslBindInProgress) w.saslBindInProgress = true;
        if (r.securityLayer) {
          // NTLM sign/seal (MS-ADTS 5.1.2.1): the context goes on in the read process, which wraps and
          // unwraps the connection's PDUs from now on (this copy is never used again)
          if (r.securityLayer instanceof NtlmSessionSecurity) w.securityLayer = r.securityLayer.exportState();
          else {
            w.securityLayer = 'unsupported';
            s.identity = null;
          }
        }
        return w;
      }
      case 'search': {
        const sink = new EncodingSink((pdus) => h.out.send({ t: 'chunk', id: m.id, pdus }), m.messageID!, ctx.signal);
        running.sink = sink;
        return plain(await main.search(req as SearchRequest, ctx, sink));
      }
      case 'add':
        return plain(await main.add(req as AddRequest, ctx));
      case 'modify':
        return plain(await main.modify(req as ModifyRequest, ctx));
      case 'modifyDN':
        return plain(await main.modifyDN(req as ModifyDNRequest, ctx));
      case 'delete':
        return plain(await main.delete(req as DelRequest, ctx));
      case 'compare':
        return { compare: await main.compare(req as CompareRequest, ctx) };
      case 'extended': {
        const r: ExtendedResult = await main.extended(req as ExtendedRequest, ctx);
        const w = plain(r);
        if (r.responseName !== undefined) w.responseName = r.responseName;
        if (r.responseValue !== undefined) w.responseValue = new Uint8Array(r.responseValue);
        return w;
      }
    }
  }

  /** A read process is gone: its connections dropped with it; their sessions end here, and another process starts. */
  private lost(h: ChildHandle, why: string): void {
    if (!h.alive) return;
    h.alive = false;
    for (const r of h.running.values()) if (!r.controller.signal.aborted) r.controller.abort(new UnavailableError('the read process is gone'));
    h.running.clear();
    for (const s of h.sessions.values()) {
      this.main.sessionClosed(s);
      this.server?.remoteClosed(s.id);
    }
    h.sessions.clear();
    h.quota = h.lent = h.open = h.moved = 0;
    this.settleWaiters();
    if (this.stopping) return;
    this.opts.logger.error('read process lost, starting another', { process: h.index, pid: h.proc.pid, reason: why });
    this.spawn(h.index).catch((e: unknown) => this.opts.logger.error('read process did not start', { process: h.index, error: e instanceof Error ? e.message : String(e) }));
  }

  /** Stops the read processes (after the writer's LDAP server closed): each disconnects its connections, closes its store and exits. */
  async close(): Promise<void> {
    this.stopping = true;
    this.offCommit();
    if (this.hcuTimer) clearTimeout(this.hcuTimer);
    if (this.lendTimer) clearInterval(this.lendTimer);
    await Promise.all(
      this.children.map(async (h) => {
        if (!h?.alive) return;
        const exited = new Promise<void>((resolve) => (h.proc.exitCode !== null || h.proc.signalCode !== null ? resolve() : h.proc.once('exit', () => resolve())));
        h.out.send({ t: 'stop' });
        h.out.flush();
        const timer = setTimeout(() => h.proc.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
  }

  // ---- the writer's own connections: its DSA, then the state read processes must have ----

  private async after<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } finally {
      await this.synced();
    }
  }

  search(req: SearchRequest, ctx: OperationContext, sink: import('../api.js').SearchSink): Promise<OperationResult> {
    return this.main.search(req, ctx, sink);
  }
  sessionClosed(session: Session): void {
    this.main.sessionClosed(session);
  }
  bind(req: BindRequest, ctx: OperationContext): Promise<BindResult> {
    return this.after(this.main.bind(req, ctx));
  }
  add(req: AddRequest, ctx: OperationContext): Promise<OperationResult> {
    return this.after(this.main.add(req, ctx));
  }
  modify(req: ModifyRequest, ctx: OperationContext): Promise<OperationResult> {
    return this.after(this.main.modify(req, ctx));
  }
  modifyDN(req: ModifyDNRequest, ctx: OperationContext): Promise<OperationResult> {
    return this.after(this.main.modifyDN(req, ctx));
  }
  delete(req: DelRequest, ctx: OperationContext): Promise<OperationResult> {
    return this.after(this.main.delete(req, ctx));
  }
  compare(req: CompareRequest, ctx: OperationContext): Promise<boolean> {
    return this.main.compare(req, ctx);
  }
  extended(req: ExtendedRequest, ctx: OperationContext): Promise<ExtendedResult> {
    return this.after(this.main.extended(req, ctx));
  }
}
