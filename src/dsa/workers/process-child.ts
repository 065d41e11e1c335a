// A read process (`forestd serve --workers N --worker-mode process`, process-pool.ts): forked by
// the serving process (the writer), it takes the connections the writer served until their first
// search, socket and state (bind identity, NTLM sign/seal context, unread bytes), and goes on with
// the ordinary LDAP Connection code on them (LdapServer.adopt, Connection.resume) over ProcessService: searches are
// answered here, by a DsaService over a Directory of the same data directory opened as a
// follower Store (its own read transactions, never a write); everything else goes to the writer
// over the IPC channel (binds, writes, compare, extended operations, and the rootDSE, DirSync and
// notification searches), whose results come back as encoded PDUs and results.
//
// Coherence: before each search the read transaction is renewed and the store's counters taken
// from the committed state (Store.followCommitted), and the writer's state (process-wire.ts
// WriterState: schema generation, SD epoch, SD propagation, highestCommittedUsn) applied as it
// last arrived: the writer waits for its acknowledgement before it answers a request after which
// that state moved, so a client that got that answer sees the new state in its next search here.
import { channel, subscribe } from 'node:diagnostics_channel';
import net from 'node:net';
import { cacheOptionsFromEnv } from '../cache-settings.js';
import { Directory } from '../directory.js';
import { DsaService } from '../service.js';
import { LdapServer, type HandedConnection, type SharedAcceptPolicy } from '../../ldap/server.js';
import { stderrLogger } from '../../ldap/logger.js';
import type { AddRequest, BindRequest, CompareRequest, Control, DelRequest, ExtendedRequest, ModifyDNRequest, ModifyRequest, SearchRequest } from '../../ldap/protocol/messages.js';
import { LdapError, UnavailableError } from '../../ldap/protocol/result-codes.js';
import type { BindResult, DirectoryService, ExtendedResult, Identity, OperationContext, OperationResult, SearchSink, Session } from '../api.js';
import { StoreError } from '../../store/store.js';
import { accessState } from '../access/access.js';
import { followSdPropagation, pendingSdPropagation } from '../access/sd-propagator.js';
import { NtlmSessionSecurity } from '../../security/ntlm/session-security.js';
import { Outbox, asBuffer, compact, errorFromWire, identityFromWire, identityToWire, revive, type WireError } from './wire.js';
import { FramedChannel, ID_SPAN, LEASE_SLOTS, USAGE_REPORT_MS, readProcessAnswers, type ChildInit, type FromChild, type OpKind, type OpResultWire, type ProcSession, type ToChild, type WriterState } from './process-wire.js';

/** Published (when someone listens) for each search a read process answers itself: { process, pid, session }. */
export const readProcessChannel = channel('forestd:dsa:read-process');

/** Published (when someone listens) for each simple bind a read process answers itself: { process, pid, session }. */
export const readProcessBindChannel = channel('forestd:dsa:read-process-bind');

/** Published (when someone listens) for each connection a read process accepted: { process, pid, session, admitted } (admitted false: passed to the writer). */
export const sharedAcceptChannel = channel('forestd:ldap:shared-accept');

interface Forwarded {
  sink: SearchSink | undefined;
  resolve: (r: OpResultWire) => void;
  reject: (e: unknown) => void;
  offAbort: () => void;
}

class ProcessService implements DirectoryService, SharedAcceptPolicy {
  readonly dir: Directory;
  private readonly local: DsaService;
  private readonly forwarded = new Map<number, Forwarded>();
  private nextId = 1;
  private state: WriterState;
  private schemaGeneration: number;
  /** the SD epoch of this Directory: moves with the writer's, and when the store's SD propagation queue changes */
  private epoch = 0;
  private writerEpoch: number;
  private sdJobs = '';
  readonly supportedExtensions: readonly string[];
  /** this process's slot, 1.. (the writer's is 0) */
  readonly index: number;
  /** shared accept: the connections it accepted that it may hold open at once (the writer's lease), those open, and whether it reported since the last lease */
  private quota = 0;
  private open = 0;
  private reported = false;
  /** the identity the writer's side of a session has, as last sent or received (undefined: not known) */
  private readonly writerIdentity = new WeakMap<Session, Identity | null>();

  constructor(
    init: ChildInit,
    private readonly out: Outbox<FromChild>,
  ) {
    // the same cache settings as the writer's (the environment is inherited)
    this.dir = Directory.open(init.data, { store: { follower: true }, ...cacheOptionsFromEnv() });
    this.local = new DsaService(this.dir, init.searchLimits ? { searchLimits: init.searchLimits } : {});
    this.supportedExtensions = init.supportedExtensions;
    this.index = init.index;
    this.state = init.state;
    this.schemaGeneration = init.state.schemaGeneration;
    this.writerEpoch = init.state.sdEpoch;
  }

  /** The writer's state arrived (acknowledged by the caller: the next search applies it); an older one than held is ignored. */
  writerState(s: WriterState, seq: number): void {
    if (seq < this.stateSeq) return;
    this.stateSeq = seq;
    // highestCommittedUsn may have come newer with an answer (writerHcu): it never goes back
    this.state = s.highestCommittedUsn >= this.state.highestCommittedUsn ? s : { ...s, highestCommittedUsn: this.state.highestCommittedUsn };
  }
  private stateSeq = 0;

  /** The writer's highestCommittedUsn as it answered a request (between its states). */
  writerHcu(hcu: number): void {
    if (hcu > this.state.highestCommittedUsn) this.state = { ...this.state, highestCommittedUsn: hcu };
  }

  /** The store as committed, and the writer's state as it last arrived. */
  private cohere(): void {
    const store = this.dir.store;
    store.followCommitted();
    const s = this.state;
    store.followDurable(s.highestCommittedUsn);
    if (s.schemaGeneration !== this.schemaGeneration) {
      this.dir.reloadSchema();
      this.schemaGeneration = s.schemaGeneration;
    }
    // an SD propagation queued or advanced by a background batch of the writer shows in the store
    // before its state arrives here: the queue as this snapshot has it counts as pending too
    const jobs = pendingSdPropagation(store.reader);
    const key = jobs.length === 0 ? '' : jobs.map((j) => j.toString('hex')).join();
    const st = accessState(this.dir);
    if (s.sdEpoch !== this.writerEpoch || key !== this.sdJobs) {
      this.writerEpoch = s.sdEpoch;
      this.sdJobs = key;
      this.epoch++;
    }
    st.sdEpoch = this.epoch;
    followSdPropagation(this.dir, s.sdPropagationPending || jobs.length > 0);
  }

  search(req: SearchRequest, ctx: OperationContext, sink: SearchSink): Promise<OperationResult> {
    if (!readProcessAnswers(req.baseObject, req.scope, ctx.controls)) {
      return this.forward('search', req, ctx, sink).then(plain);
    }
    this.cohere();
    if (readProcessChannel.hasSubscribers) readProcessChannel.publish({ process: this.index, pid: process.pid, session: ctx.session.id });
    return this.local.search(req, ctx, sink);
  }

  async bind(req: BindRequest, ctx: OperationContext): Promise<BindResult> {
    if (req.authentication.method === 'simple') {
      // answered here when it reads only: a bind that must write (a wrong password counts toward
      // lockout, a good logon may clear badPwdCount or set lastLogonTimestamp; lockout.ts) meets
      // the follower store's refusal before anything is answered, and the writer runs it again
      this.cohere();
      try {
        const r = await this.local.bind(req, ctx);
        if (readProcessBindChannel.hasSubscribers) readProcessBindChannel.publish({ process: this.index, pid: process.pid, session: ctx.session.id });
        return r;
      } catch (e) {
        if (!(e instanceof StoreError && e.code === 'ERR_STORE_READONLY')) throw e;
      }
    }
    const w = await this.forward('bind', req, ctx, undefined);
    // a layer that cannot travel (none but NTLM's exists): refused, the writer left the session anonymous
    if (w.securityLayer === 'unsupported') throw new UnavailableError('this SASL security layer cannot be served by a read process: use TLS (LDAPS or StartTLS) instead');
    const r: BindResult = { ...plain(w), identity: w.identity ? identityFromWire(w.identity) : null };
    // NTLM sign/seal negotiated in the writer: the connection here wraps and unwraps with its state (installed after this BindResponse)
    if (w.securityLayer) r.securityLayer = NtlmSessionSecurity.fromState(revive(w.securityLayer));
    if (w.serverSaslCreds) r.serverSaslCreds = asBuffer(w.serverSaslCreds);
    if (w.sicilyServerCreds) r.sicilyServerCreds = asBuffer(w.sicilyServerCreds);
    if (w.saslBindInProgress) r.saslBindInProgress = true;
    // the writer's session has this identity now (the connection installs it unless the bind is still in progress)
    this.writerIdentity.set(ctx.session, w.saslBindInProgress ? null : r.identity);
    return r;
  }
  add(req: AddRequest, ctx: OperationContext): Promise<OperationResult> {
    return this.forward('add', req, ctx, undefined).then(plain);
  }
  modify(req: ModifyRequest, ctx: OperationContext): Promise<OperationResult> {
    return this.forward('modify', req, ctx, undefined).then(plain);
  }
  modifyDN(req: ModifyDNRequest, ctx: OperationContext): Promise<OperationResult> {
    return this.forward('modifyDN', req, ctx, undefined).then(plain);
  }
  delete(req: DelRequest, ctx: OperationContext): Promise<OperationResult> {
    return this.forward('delete', req, ctx, undefined).then(plain);
  }
  async compare(req: CompareRequest, ctx: OperationContext): Promise<boolean> {
    return (await this.forward('compare', req, ctx, undefined)).compare === true;
  }
  async extended(req: ExtendedRequest, ctx: OperationContext): Promise<ExtendedResult> {
    const w = await this.forward('extended', req, ctx, undefined);
    const r: ExtendedResult = plain(w);
    if (w.responseName !== undefined) r.responseName = w.responseName;
    if (w.responseValue !== undefined) r.responseValue = asBuffer(w.responseValue);
    return r;
  }

  // ---- shared accept (LdapServer.listenShared) ----

  admit(): boolean {
    if (this.open >= this.quota) return false;
    this.open++;
    if (this.quota - this.open <= LEASE_SLOTS / 2) this.report();
    else this.reportSoon();
    return true;
  }
  opened(conn: HandedConnection): void {
    if (sharedAcceptChannel.hasSubscribers) sharedAcceptChannel.publish({ process: this.index, pid: process.pid, session: conn.id, admitted: true });
  }
  closed(): void {
    this.open--;
    if (this.quota - this.open >= 2 * LEASE_SLOTS) this.report();
    else this.reportSoon();
  }
  /** the count, once per lease: the writer lends more (or takes back what is not used) */
  private report(): void {
    if (this.reported) return;
    this.reported = true;
    // ask: a lease comes back whatever it is (and lets it report again)
    this.sendUsage(true);
  }
  private sendUsage(ask: boolean): void {
    this.sentOpen = this.open;
    this.out.send({ t: 'usage', open: this.open, ...(ask ? { ask: true as const } : {}) });
  }
  /** the count within USAGE_REPORT_MS of a change (one message however many connections came and went) */
  private reportSoon(): void {
    if (this.usageTimer) return;
    this.usageTimer = setTimeout(() => {
      this.usageTimer = undefined;
      if (this.open !== this.sentOpen) this.sendUsage(false);
    }, USAGE_REPORT_MS);
    this.usageTimer.unref();
  }
  private usageTimer: NodeJS.Timeout | undefined;
  private sentOpen = 0;
  toWriter(socket: net.Socket, globalCatalog: boolean): void {
    if (sharedAcceptChannel.hasSubscribers) sharedAcceptChannel.publish({ process: this.index, pid: process.pid, admitted: false });
    if (!process.connected) return void socket.destroy();
    process.send!({ t: 'accepted', globalCatalog } satisfies FromChild, socket, { keepOpen: false }, (err) => {
      if (err) socket.destroy();
    });
  }
  /** The writer's lease: this process may hold `quota` connections it accepted open at once. */
  lease(quota: number): void {
    this.quota = quota;
    this.reported = false;
    this.sentOpen = this.open;
    this.out.send({ t: 'leaseAck', quota, open: this.open });
  }

  sessionClosed(session: Session): void {
    this.local.sessionClosed(session);
    // the writer has a side of the sessions that moved here (ids below this process's) and of those that sent it an operation
    if (session.id < this.index * ID_SPAN || this.writerIdentity.has(session)) this.out.send({ t: 'closed', session: session.id });
  }

  private forward(kind: OpKind, req: unknown, ctx: OperationContext, sink: SearchSink | undefined): Promise<OpResultWire> {
    if (ctx.signal.aborted) return Promise.reject(ctx.signal.reason);
    const id = this.nextId++;
    const s = ctx.session;
    const session: ProcSession = {
      id: s.id,
      encrypted: s.encrypted,
      globalCatalog: s.globalCatalog,
      remoteAddress: s.remoteAddress,
      ...(s.localAddress !== undefined ? { localAddress: s.localAddress } : {}),
      ...(s.saslLayer !== undefined ? { saslLayer: s.saslLayer } : {}),
      ...(s.tlsServerEndPoint ? { tlsServerEndPoint: new Uint8Array(s.tlsServerEndPoint) } : {}),
      ...(s.channelBindingRequired ? { channelBindingRequired: true } : {}),
    };
    // a bind answered here changed the identity: the writer's side of the session takes it with this operation
    const known = this.writerIdentity.get(s);
    if (known === undefined || known !== s.identity) {
      session.identity = s.identity ? identityToWire(s.identity) : null;
      this.writerIdentity.set(s, s.identity);
    }
    return new Promise<OpResultWire>((resolve, reject) => {
      const onAbort = (): void => {
        const r = ctx.signal.reason as Partial<WireError> | undefined;
        this.out.send({ t: 'abort', id, reason: { resultCode: r?.resultCode ?? 118, matchedDN: '', diagnosticMessage: r?.diagnosticMessage ?? 'abandoned' } });
      };
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      this.forwarded.set(id, { sink, resolve, reject, offAbort: () => ctx.signal.removeEventListener('abort', onAbort) });
      this.out.send({ t: 'op', id, kind, messageID: ctx.messageID, req: compact(req), controls: compact(ctx.controls), session });
    });
  }

  /** An answer of the writer to a forwarded request. */
  onAnswer(m: Extract<ToChild, { t: 'chunk' | 'done' }>): void {
    const f = this.forwarded.get(m.id);
    if (!f) return;
    if (m.t === 'chunk') {
      const wait = f.sink?.encoded?.(asBuffer(m.pdus));
      const ack = (): void => this.out.send({ t: 'ack', id: m.id });
      if (wait) void wait.then(ack);
      else ack();
      return;
    }
    this.forwarded.delete(m.id);
    f.offAbort();
    const settle = (): void => {
      if (m.error) f.reject(errorFromWire(m.error));
      else f.resolve(revive(m.result ?? {}));
    };
    // the last entries: written before the result the connection writes on resolve
    const wait = m.pdus ? f.sink?.encoded?.(asBuffer(m.pdus)) : undefined;
    if (wait) void wait.then(settle);
    else settle();
  }

  /** The writer is gone or stopping: what waits on it fails. */
  failAll(): void {
    for (const [id, f] of this.forwarded) {
      this.forwarded.delete(id);
      f.offAbort();
      f.reject(new LdapError(52, 'the server is shutting down'));
    }
  }
}

function plain(w: OpResultWire): OperationResult {
  const r: OperationResult = {};
  if (w.controls) r.controls = w.controls as Control[];
  if (w.diagnosticMessage !== undefined) r.diagnosticMessage = w.diagnosticMessage;
  return r;
}

function main(): void {
  // fd 4: the pipe of the operations, answers and states (process-wire.ts FramedChannel)
  const pipe = new net.Socket({ fd: 4, readable: true, writable: true });
  const out = new Outbox<FromChild>((batch) => channel.send(batch));
  let service: ProcessService | undefined;
  let server: LdapServer | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      service?.failAll();
      await server?.close();
      await service?.dir.close();
      out.flush();
      // stop() runs on 'disconnect' too (the writer went first): disconnecting a channel that
      // is already closed emits an 'error' on process, which would end this exit in a crash
      if (process.connected) process.disconnect?.();
      process.exit(0);
    })());
  process.on('disconnect', () => void stop());
  const onBatch = (batch: ToChild[]): void => {
    for (const m of batch) {
      switch (m.t) {
        case 'init': {
          service = new ProcessService(m, out);
          // its connection ids above index·2^40: unique among the writer's and the other processes'
          server = new LdapServer({ directory: service, listeners: [], adoptOnly: true, idBase: m.index * ID_SPAN, sharedAccept: service, tls: m.tls, policies: m.policies, logger: stderrLogger('info'), enforceChannelBinding: m.enforceChannelBinding });
          void server.listen();
          if (process.env.FORESTD_TEST_HOOKS === '1') testHooks();
          out.send({ t: 'ready' });
          break;
        }
        case 'state':
          service?.writerState(m.state, m.seq);
          if (m.ack) out.send({ t: 'stateAck', seq: m.seq });
          break;
        case 'done':
          service?.writerHcu(m.hcu);
          service?.onAnswer(m);
          break;
        case 'chunk':
          service?.onAnswer(m);
          break;
        case 'stop':
          void stop();
          break;
        case 'lease':
          service?.lease(m.quota);
          break;
        case 'conn':
        case 'listen':
          break;
      }
    }
  };
  const channel = new FramedChannel<ToChild, FromChild>(pipe, onBatch);
  pipe.on('close', () => void stop());
  // the IPC channel: the init, then each connection alone with its socket
  process.on('message', (m: ToChild | ToChild[], handle?: net.Socket | net.Server) => {
    if (Array.isArray(m)) return onBatch(m);
    // shared accept: a plain listener of the writer's, accepted on here too
    if (m.t === 'listen' && handle instanceof net.Server) return void server?.listenShared(handle, m.globalCatalog);
    const socket = handle instanceof net.Socket ? handle : undefined;
    if (m.t === 'conn' && socket) {
      // the state comes with it: the pipe may not have brought it yet
      service?.writerState(m.state, m.seq);
      // served by the writer until a search: it goes on here with its bind identity, security layer and unread bytes
      const mv = m.moved;
      const state = mv && { identity: mv.identity ? identityFromWire(mv.identity) : null, layer: mv.layer ? NtlmSessionSecurity.fromState(revive(mv.layer)) : undefined, unread: asBuffer(mv.unread), framed: asBuffer(mv.framed) };
      server?.adopt(socket, { id: m.id, globalCatalog: m.globalCatalog, source: m.source }, state);
    } else socket?.destroy();
  });
}

/** FORESTD_TEST_HOOKS=1 (serve.ts testHooks): a session's first search answered here, each connection accepted here and each bind answered here, one line on stdout. */
function testHooks(): void {
  for (const name of ['forestd:ldap:shared-accept', 'forestd:dsa:read-process-bind']) subscribe(name, (m) => console.log(`hook ${name} ${JSON.stringify(m)}`));
  const seen = new Set<number>();
  subscribe('forestd:dsa:read-process', (m) => {
    const { session } = m as { session: number };
    if (seen.has(session)) return;
    seen.add(session);
    console.log(`hook forestd:dsa:read-process ${JSON.stringify(m)}`);
  });
}

if (process.send) main();
