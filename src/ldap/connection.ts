/**
 * One LDAP session over one socket (RFC 4511 section 5; MS-ADTS 3.1.1.3).
 *
 * Bytes go through a MessageFramer, each decoded request is dispatched to the
 * DirectoryService, and responses are encoded with the codec's BerWriter into
 * a per-connection batch that is flushed once per event-loop turn (or every
 * FLUSH_BYTES), so a 50,000-entry search costs a handful of socket writes.
 *
 * Sequencing rules implemented here:
 *  - Requests run concurrently, each answered under its own messageID
 *    (RFC 4511 4.1.1.1); at most MaxActiveOperationsPerConn at a time, the
 *    rest wait in arrival order.
 *  - Bind (RFC 4511 4.2.1): "Before processing a BindRequest, all uncompleted
 *    operations MUST either complete or be abandoned"; we wait for them to
 *    complete (each is bounded by MaxQueryDuration). "Servers SHOULD NOT
 *    process or respond to requests received while processing a BindRequest":
 *    they are queued until the BindResponse is sent.
 *  - Abandon (4.11): aborts the operation's AbortSignal and suppresses every
 *    further response for it; unknown IDs and Bind/StartTLS are ignored.
 *  - Unbind (4.3, 5.3): outstanding operations are abandoned, the socket closed.
 *  - StartTLS (4.14, RFC 4513 3.1.1): operationsError while TLS is already
 *    established, a multi-stage SASL bind is in progress or other requests are
 *    outstanding; unavailable when no certificate is configured; otherwise
 *    success, then the same TCP connection is upgraded with tls.TLSSocket.
 *  - Malformed PDUs (4.1.1): "the server SHOULD return the Notice of
 *    Disconnection ... with the resultCode set to protocolError, and MUST
 *    immediately terminate the LDAP session" — also when the messageID could
 *    be decoded, and for PDUs carrying a response protocolOp, messageID 0, or
 *    a messageID already in use (4.1.1.1).
 */
import type net from 'node:net';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import { BerWriter } from '../ber/writer.js';
import { BerError } from '../ber/errors.js';
import { MessageFramer } from './protocol/framer.js';
import type { ReceiveBudget } from './receive-budget.js';
import { decodeMessage, noticeOfDisconnection, writeMessage } from './protocol/codec.js';
import { START_TLS_OID } from './protocol/oids.js';
import {
  CanceledError,
  LdapError,
  OperationsError,
  ProtocolError,
  ResultCode,
  TimeLimitExceededError,
  UnavailableError,
} from './protocol/result-codes.js';
import type {
  Control,
  ExtendedRequest,
  LdapMessage,
  LdapResult,
  OutgoingAttribute,
  ProtocolOp,
} from './protocol/messages.js';
import type { BindResult, DirectoryService, Identity, OperationContext, SaslSecurityLayer, SearchSink, Session } from '../dsa/api.js';
import { SaslReceiver, wrapForSend } from './sasl/security-layer.js';
import { tlsServerEndPoint } from './tls.js';
import type { LdapPolicies } from './policies.js';
import {
  backpressureChannel,
  bytesChannel,
  connectionChannel,
  errorChannel,
  operationChannel,
  type BytesEvent,
  type ConnectionEvent,
  type ErrorEvent,
  type Logger,
  type OperationEvent,
} from './logger.js';

/** Flush the response batch once it reaches this many bytes. */
const FLUSH_BYTES = 64 * 1024;
const OUT_INITIAL = 16 * 1024;
/** A batch up to this size is copied out of the batch writer, which is then reused. */
const SMALL_BATCH = 4 * 1024;
/** The batch writer's first size (from Node's 8 KiB buffer pool, which a 2 KiB writer and a 1 KiB scratch per connection emptied every few connections). */
const FIRST_BATCH = 256;

const NO_ATTRIBUTES = Object.freeze([]) as unknown as OutgoingAttribute[];

/** protocolOp types a client may send (RFC 4511 4.2 - 4.12), and the response each gets. */
const RESPONSE_TYPE = {
  bindRequest: 'bindResponse',
  searchRequest: 'searchResultDone',
  modifyRequest: 'modifyResponse',
  addRequest: 'addResponse',
  delRequest: 'delResponse',
  modifyDNRequest: 'modifyDNResponse',
  compareRequest: 'compareResponse',
  extendedRequest: 'extendedResponse',
} as const;
type RequestType = keyof typeof RESPONSE_TYPE;

export class LdapSession implements Session {
  identity: Identity | null = null;
  encrypted: boolean;
  saslLayer: 'none' | 'sign' | 'seal' = 'none';
  tlsServerEndPoint: Buffer | undefined;
  channelBindingRequired = false;
  bindState: unknown;
  readonly globalCatalog: boolean;
  readonly remoteAddress: string;
  /** the socket the local address is asked of when first wanted (a getsockname most sessions never need) */
  private readonly socket: net.Socket | undefined;
  private local: string | undefined | null = null;
  constructor(readonly id: number, remoteAddress: string, encrypted: boolean, globalCatalog: boolean, socket?: net.Socket) {
    this.remoteAddress = remoteAddress;
    this.encrypted = encrypted;
    this.globalCatalog = globalCatalog;
    this.socket = socket;
  }

  /** The address the client connected to (the rootDSE's netlogon ping answers with it). */
  get localAddress(): string | undefined {
    if (this.local === null) this.local = this.socket?.localAddress || undefined;
    return this.local;
  }
}

interface Operation {
  readonly messageID: number;
  readonly type: RequestType;
  /** made when the operation's signal is first asked for or it is aborted: most operations never need one */
  controller: AbortController | undefined;
  readonly started: number;
  /** Bind or StartTLS: runs alone and cannot be abandoned (RFC 4511 4.11) */
  readonly exclusive: boolean;
  /** MaxQueryDuration: armed when the operation first asks for its signal or polls aborted() (Connection.watch) */
  timer: NodeJS.Timeout | undefined;
  /** watch() ran: the timer is armed, or the time limit was already over then */
  watched: boolean;
  /** its response is written (or suppressed): a late look at its signal arms no timer */
  finished: boolean;
  /** abandoned, or its connection is closing: send nothing more for it */
  silenced: boolean;
}

export interface ConnectionOptions {
  id: number;
  socket: net.Socket;
  directory: DirectoryService;
  policies: Readonly<LdapPolicies>;
  logger: Logger;
  /** the listener is a global-catalog port */
  globalCatalog: boolean;
  /** TLS from the first byte (LDAPS) */
  encrypted: boolean;
  /** for StartTLS; absent: StartTLS answers unavailable */
  secureContext?: tls.SecureContext | undefined;
  onClose?: (c: Connection) => void;
  /** AD's LdapEnforceChannelBinding (server.ts); default 1 */
  enforceChannelBinding?: 0 | 1 | 2;
  /** the server-wide bound on partly received PDUs (MaxReceiveBufferTotal); none: unbounded */
  receiveBudget?: ReceiveBudget | undefined;
  /** the client's address as the listener counts it; default the socket's remoteAddress */
  source?: string;
  /** the listener already set TCP_NODELAY and keep-alive (KEEPALIVE_MS) on the socket */
  socketOptionsSet?: boolean;
  /** the connection may move to another process after some requests (server.ts HandOffPolicy) */
  mover?: ConnectionMover | undefined;
  /**
   * a writer every response is encoded into before it joins the batch, shared by the server's
   * connections (write() uses it synchronously and leaves it empty); default one of its own
   */
  scratch?: BerWriter | undefined;
}

/**
 * What a connection takes along when it moves to another process (server.ts, read processes:
 * src/dsa/workers/process-pool.ts), where Connection.resume goes on with it.
 */
export interface MovedState {
  /** the bind identity (RFC 4511 4.2: it lasts until the next bind) */
  identity: Identity | null;
  /** the SASL security layer in effect (MS-ADTS 5.1.2.1: NTLM sign/seal), its sequence numbers as they are now */
  layer: SaslSecurityLayer | undefined;
  /** bytes read from the socket not yet through the security layer (without one: not yet framed) */
  unread: Buffer;
  /** the plaintext of an incomplete PDU (the MaxReceiveBuffer and MaxReceiveBufferTotal budgets count it again there) */
  framed: Buffer;
}

/** How a connection may move to another process once it is idle after a request that asks for it (server.ts). */
export interface ConnectionMover {
  /** 'move': once idle after this request, the connection may move; 'pin': it stays in this process for good (state kept here between requests) */
  classify(msg: LdapMessage): 'move' | 'pin' | undefined;
  /** the process the idle connection goes to; undefined: it stays (asked again after its next 'move' request) */
  target(c: Connection, layer: SaslSecurityLayer | undefined): number | undefined;
  /** the socket, reading stopped and every response written, is the other process's from now on */
  moved(c: Connection, target: number, socket: net.Socket, state: MovedState): void;
}

/** Connection.moveStage */
const MOVE_NONE = 0;
const MOVE_ARMED = 1;
const MOVE_PINNED = 2;
const MOVE_MOVING = 3;

/** TCP keep-alive probes start after this long without traffic. */
export const KEEPALIVE_MS = 60_000;

type State = 'open' | 'upgrading' | 'moving' | 'closing' | 'closed';

export class Connection {
  readonly id: number;
  /** the client's address as the listener counts it (MaxConnectionsPerAddress) */
  readonly source: string;
  readonly session: LdapSession;
  private socket: net.Socket;
  private readonly directory: DirectoryService;
  private readonly policies: Readonly<LdapPolicies>;
  private readonly logger: Logger;
  private readonly secureContext: tls.SecureContext | undefined;
  private readonly onCloseCb: ((c: Connection) => void) | undefined;
  private readonly framer: MessageFramer;
  private readonly receiveBudget: ReceiveBudget | undefined;
  /** bytes of the framer's partial PDU counted in receiveBudget */
  private budgetHeld = 0;

  private state: State = 'open';
  /** executing operations by messageID */
  private readonly running = new Map<number, Operation>();
  /** received, not yet started (arrival order) */
  private queue: LdapMessage[] = [];
  /** messageIDs queued or running (RFC 4511 4.1.1.1: unique among requests in progress) */
  private readonly inUse = new Set<number>();
  /** a Bind or StartTLS is executing: nothing else starts (RFC 4511 4.2.1, 4.14.1) */
  private exclusive = false;
  /** the last BindResponse was saslBindInProgress (RFC 4513 3.1.1) */
  private saslInProgress = false;
  private gotFirstRequest = false;
  /** the SASL security layer (MS-ADTS 5.1.2.1) installed by the last bind that negotiated one */
  private layer: SaslSecurityLayer | undefined;
  private readonly enforceChannelBinding: 0 | 1 | 2;
  private saslReceiver: SaslReceiver | undefined;
  private readonly mover: ConnectionMover | undefined;
  /** MOVE_*: whether a request asked for a move to another process, and how far it got */
  private moveStage = MOVE_NONE;

  // small at first: a connection that only binds sends a BindResponse (14 bytes); one that
  // searches grows it by doubling and keeps it (flush), so the first batch costs a few copies
  private out = new BerWriter(FIRST_BATCH);
  private readonly scratch: BerWriter;
  private flushScheduled = false;
  private needDrain = false;
  private drainWaiters: Array<() => void> = [];
  /** a synchronous flush happened since the last time a search was made to yield */
  private flushedSinceYield = false;
  private reading = true;

  /**
   * InitRecvTimeout, then MaxConnIdleTime (MS-ADTS 3.1.1.3.4.6). Armed once at the start; a
   * request or a finished operation only notes the time (activeAt), and onIdle re-arms for what
   * is left of MaxConnIdleTime when it fires early: no timer is made, moved or cleared per request.
   */
  private idleTimer: NodeJS.Timeout;
  /** performance.now() of the last complete request or finished operation (MaxConnIdleTime counts from it) */
  private activeAt = 0;
  private destroyTimer: NodeJS.Timeout | undefined;
  /** made when someone waits for the close (server.close()): most connections are never waited for */
  private closedPromise: Promise<void> | undefined;
  private resolveClosed: (() => void) | undefined;

  constructor(opts: ConnectionOptions) {
    this.id = opts.id;
    this.source = opts.source ?? opts.socket.remoteAddress ?? 'unknown';
    this.socket = opts.socket;
    this.directory = opts.directory;
    this.policies = opts.policies;
    this.logger = opts.logger;
    this.scratch = opts.scratch ?? new BerWriter(1024);
    this.secureContext = opts.secureContext;
    this.onCloseCb = opts.onClose;
    this.framer = new MessageFramer({ maxPduSize: opts.policies.MaxReceiveBuffer });
    this.receiveBudget = opts.receiveBudget;
    const remote = formatAddress(opts.socket.remoteAddress, opts.socket.remotePort);
    this.session = new LdapSession(opts.id, remote, opts.encrypted, opts.globalCatalog, opts.socket);
    this.enforceChannelBinding = opts.enforceChannelBinding ?? 1;
    if (opts.encrypted) this.channelBindingFor(opts.socket);
    this.mover = opts.encrypted ? undefined : opts.mover;

    // MS-ADTS 3.1.1.3.4.6 InitRecvTimeout until the first request, then MaxConnIdleTime.
    this.idleTimer = setTimeout(this.onIdle, opts.policies.InitRecvTimeout * 1000);
    this.idleTimer.unref();

    // the listeners set TCP_NODELAY and keep-alive on the handle at accept (server.ts listen)
    if (!opts.socketOptionsSet) {
      this.socket.setNoDelay(true);
      this.socket.setKeepAlive(true, KEEPALIVE_MS);
    }
    this.attach(this.socket);

    if (connectionChannel.hasSubscribers) {
      connectionChannel.publish({
        event: 'open',
        connectionId: this.id,
        remoteAddress: remote,
        localPort: opts.socket.localPort,
        globalCatalog: opts.globalCatalog,
        encrypted: opts.encrypted,
      } satisfies ConnectionEvent);
    }
  }

  /** Resolves once the socket has closed. */
  get closed(): Promise<void> {
    if (!this.closedPromise) {
      if (this.state === 'closed') this.closedPromise = Promise.resolve();
      else this.closedPromise = new Promise((r) => (this.resolveClosed = r));
    }
    return this.closedPromise;
  }

  /** Operations executing or waiting on this connection. */
  get outstanding(): number {
    return this.running.size + this.queue.length;
  }

  /**
   * Sends a Notice of Disconnection (RFC 4511 4.4.1) and closes: outstanding
   * operations are abandoned (5.3), the socket is ended and destroyed if it
   * has not closed within ShutdownGracePeriodMs.
   */
  disconnect(resultCode: number, diagnosticMessage: string): void {
    this.terminate(noticeOfDisconnection(resultCode, diagnosticMessage), diagnosticMessage);
  }

  /** Destroys the socket at once (after a failed graceful close). */
  destroy(): void {
    this.socket.destroy();
  }

  // ------------------------------------------------------------------ socket plumbing

  private attach(s: net.Socket): void {
    s.on('data', this.onData);
    s.on('drain', this.onDrain);
    s.on('error', this.onError);
    s.on('close', this.onSocketClose);
  }

  private detach(s: net.Socket): void {
    s.off('data', this.onData);
    s.off('drain', this.onDrain);
    s.off('close', this.onSocketClose);
    // keep onError: an 'error' without a listener would crash the process
  }

  /** Reading is on unless the queue is full, the client is not reading our responses, or TLS is being set up. */
  private updateReading(): void {
    if (this.state !== 'open') return; // closing drains and discards; upgrading is paused by startTls()
    const want =
      !this.needDrain &&
      this.queue.length < this.policies.MaxPendingOperationsPerConn;
    if (want === this.reading) return;
    this.reading = want;
    if (want) this.socket.resume();
    else this.socket.pause();
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.state !== 'open') return;
    if (bytesChannel.hasSubscribers) bytesChannel.publish({ connectionId: this.id, direction: 'in', bytes: chunk.length } satisfies BytesEvent);
    // MS-ADTS 3.1.1.3.4.6 MaxConnIdleTime counts from the last complete request (receive()),
    // so bytes dribbled without ever completing a PDU do not keep a connection alive.
    if (this.saslReceiver) {
      try {
        chunk = this.saslReceiver.push(chunk);
      } catch (e) {
        this.securityLayerFailure(e);
        return;
      }
    }
    this.ingest(chunk);
  };

  /** Frames plaintext bytes, decodes and queues each complete request, and starts what may start. */
  private ingest(chunk: Buffer): void {
    let pdus: Buffer[];
    try {
      pdus = this.framer.push(chunk);
    } catch (e) {
      this.protocolFailure(e);
      return;
    }
    if (this.receiveBudget && !this.accountBuffered()) return;
    for (let i = 0; i < pdus.length; i++) {
      if (this.state !== 'open') return; // Unbind, StartTLS switch-over, or failure
      let msg: LdapMessage;
      try {
        msg = decodeMessage(pdus[i]!);
      } catch (e) {
        this.protocolFailure(e);
        return;
      }
      this.receive(msg);
    }
    this.pump();
  }

  /**
   * Brings this connection's share of the server-wide receive budget to what the framer
   * holds; false (connection disconnected) when the budget cannot grow that much.
   */
  private accountBuffered(): boolean {
    const budget = this.receiveBudget!;
    const now = this.framer.bufferedBytes;
    if (now <= this.budgetHeld) {
      budget.release(this.budgetHeld - now);
      this.budgetHeld = now;
      return true;
    }
    if (budget.take(now - this.budgetHeld)) {
      this.budgetHeld = now;
      return true;
    }
    this.logger.warn('connection closed: partly received requests of all connections would exceed MaxReceiveBufferTotal', {
      connection: this.id,
      remote: this.session.remoteAddress,
      policy: 'MaxReceiveBufferTotal',
      limit: budget.limit,
      buffered: now,
    });
    this.releaseBudget();
    this.disconnect(ResultCode.adminLimitExceeded, 'partly received requests exceed the server-wide receive buffer (MaxReceiveBufferTotal)');
    return false;
  }

  private releaseBudget(): void {
    if (this.budgetHeld > 0) this.receiveBudget?.release(this.budgetHeld);
    this.budgetHeld = 0;
    this.framer.reset();
  }

  private readonly onDrain = (): void => {
    this.needDrain = false;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
    this.updateReading();
  };

  private readonly onError = (err: Error): void => {
    // ECONNRESET and friends: the peer went away. 'close' follows.
    this.logger.debug('socket error', { connection: this.id, error: err.message });
    if (errorChannel.hasSubscribers) {
      errorChannel.publish({ connectionId: this.id, kind: 'socket', error: err } satisfies ErrorEvent);
    }
  };

  private readonly onSocketClose = (): void => {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.idleTimer);
    this.releaseBudget();
    if (this.destroyTimer) clearTimeout(this.destroyTimer);
    // the reason (an Error, with its stack) is built only when there is an operation to abandon
    if (this.running.size > 0 || this.queue.length > 0) this.abandonAll(new UnavailableError('connection closed'));
    this.releaseDrainWaiters();
    if (connectionChannel.hasSubscribers) {
      connectionChannel.publish({
        event: 'close',
        connectionId: this.id,
        remoteAddress: this.session.remoteAddress,
      } satisfies ConnectionEvent);
    }
    this.onCloseCb?.(this);
    this.resolveClosed?.();
  };

  private readonly onIdle = (): void => {
    if (this.state !== 'open') return;
    if (this.running.size > 0 || this.queue.length > 0) {
      // Not idle: an operation is in progress (it has its own MaxQueryDuration).
      this.idleTimer.refresh();
      return;
    }
    if (this.gotFirstRequest) {
      // MaxConnIdleTime counts from the last request or finished operation: not over yet, the
      // timer is armed again for what is left of it
      const left = this.activeAt + this.policies.MaxConnIdleTime * 1000 - performance.now();
      if (left > 1) {
        this.idleTimer = setTimeout(this.onIdle, left);
        this.idleTimer.unref();
        return;
      }
    }
    const policy = this.gotFirstRequest ? 'MaxConnIdleTime' : 'InitRecvTimeout';
    this.logger.debug('idle connection closed', { connection: this.id, policy });
    this.disconnect(ResultCode.adminLimitExceeded, `connection idle for longer than ${policy}`);
  };

  // ------------------------------------------------------------------ request intake

  private receive(msg: LdapMessage): void {
    const op = msg.protocolOp;
    // a complete request (MaxConnIdleTime, MS-ADTS 3.1.1.3.4.6)
    this.activeAt = performance.now();
    if (!this.gotFirstRequest) {
      this.gotFirstRequest = true;
      // the InitRecvTimeout timer stays unless it would fire after MaxConnIdleTime is over
      // (onIdle then arms it again for what is left)
      if (this.policies.MaxConnIdleTime < this.policies.InitRecvTimeout) {
        clearTimeout(this.idleTimer);
        this.idleTimer = setTimeout(this.onIdle, this.policies.MaxConnIdleTime * 1000);
        this.idleTimer.unref();
      }
    }
    // RFC 4511 4.1.1.1: messageID 0 is reserved for unsolicited notifications.
    if (msg.messageID === 0) {
      this.protocolFailure(new ProtocolError('messageID 0 is reserved for unsolicited notifications'));
      return;
    }
    switch (op.type) {
      case 'abandonRequest':
        // RFC 4511 4.11; controls are ignored. Handled at once, even during a
        // Bind: it has no response and can only shorten the Bind's wait.
        this.abandon(op.messageID);
        return;
      case 'unbindRequest':
        // RFC 4511 4.3 / 5.3; controls are ignored.
        this.terminate(null, 'unbind');
        return;
      default:
        break;
    }
    if (!(op.type in RESPONSE_TYPE)) {
      // RFC 4511 4.1.1: "the tag of the protocolOp is not recognized as a request".
      this.protocolFailure(new ProtocolError(`${op.type} is not a request`));
      return;
    }
    if (this.inUse.has(msg.messageID)) {
      // RFC 4511 4.1.1.1: the messageID MUST differ from any other request in progress.
      this.protocolFailure(new ProtocolError(`messageID ${msg.messageID} is already in use`));
      return;
    }
    if (this.mover && this.moveStage < MOVE_PINNED) {
      const c = this.mover.classify(msg);
      if (c === 'move') this.moveStage = MOVE_ARMED;
      else if (c === 'pin') this.moveStage = MOVE_PINNED;
    }
    this.inUse.add(msg.messageID);
    this.queue.push(msg);
    if (this.queue.length >= this.policies.MaxPendingOperationsPerConn) this.updateReading();
  }

  private abandon(target: number): void {
    const running = this.running.get(target);
    if (running) {
      // Bind and StartTLS cannot be abandoned (RFC 4511 4.11).
      if (running.exclusive || running.silenced) return;
      running.silenced = true;
      abortOperation(running, new CanceledError('abandoned'));
      return;
    }
    const i = this.queue.findIndex((m) => m.messageID === target);
    if (i < 0) return; // unknown or finished: discard (4.11)
    const t = this.queue[i]!.protocolOp;
    if (t.type === 'bindRequest' || (t.type === 'extendedRequest' && t.requestName === START_TLS_OID)) return;
    this.queue.splice(i, 1);
    this.inUse.delete(target);
    this.updateReading();
  }

  /** Starts queued requests as the sequencing rules allow. */
  private pump(): void {
    while (this.state === 'open' && !this.exclusive && this.queue.length > 0) {
      const msg = this.queue[0]!;
      const p = msg.protocolOp;
      const isBind = p.type === 'bindRequest';
      const isStartTls = p.type === 'extendedRequest' && p.requestName === START_TLS_OID;
      if (isBind && this.running.size > 0) break; // RFC 4511 4.2.1: wait for uncompleted operations
      if (!isBind && !isStartTls && this.running.size >= this.policies.MaxActiveOperationsPerConn) break;
      this.queue.shift();
      this.start(msg, isBind || isStartTls);
    }
    this.updateReading();
  }

  // ------------------------------------------------------------------ execution

  private start(msg: LdapMessage, exclusive: boolean): void {
    const type = msg.protocolOp.type as RequestType;
    const op: Operation = {
      messageID: msg.messageID,
      type,
      controller: undefined,
      started: performance.now(),
      exclusive,
      timer: undefined,
      watched: false,
      finished: false,
      silenced: false,
    };
    if (exclusive) this.exclusive = true;
    this.running.set(msg.messageID, op);
    // MS-ADTS 3.1.1.3.4.6 MaxQueryDuration: the directory turns the abort into timeLimitExceeded.
    // Only an operation that looks at its signal can see the abort: the timer is armed then
    // (watch), with what is left of the time since the operation started.
    const ctx = new LdapOperationContext(this.session, msg.controls ?? [], msg.messageID, this, op);
    void this.execute(msg, op, ctx, exclusive);
  }

  private async execute(msg: LdapMessage, op: Operation, ctx: OperationContext, exclusive: boolean): Promise<void> {
    let resultCode = -1;
    try {
      let response: { op: ProtocolOp; controls?: Control[] | undefined } | null;
      try {
        response = await this.dispatch(msg, op, ctx);
      } catch (e) {
        // an error may carry response controls (e.g. the VLV or ASQ response control of a failed search)
        const controls = (e as { controls?: Control[] } | null)?.controls;
        response = { op: this.errorResponse(op, e), ...(Array.isArray(controls) ? { controls } : {}) };
      }
      if (response !== null && !op.silenced && this.state !== 'closed') {
        resultCode = (response.op as LdapResult).resultCode;
        this.write({ messageID: op.messageID, protocolOp: response.op, controls: response.controls });
      }
    } catch (e) {
      // Only an encoding failure of the response can land here (e.g. response
      // controls the directory built wrongly): answer `other` instead.
      this.internalError(op, e);
      if (!op.silenced && this.state !== 'closed') {
        resultCode = ResultCode.other;
        this.write({
          messageID: op.messageID,
          protocolOp: { type: RESPONSE_TYPE[op.type], resultCode, matchedDN: '', diagnosticMessage: 'internal server error' } as ProtocolOp,
        });
      }
    } finally {
      op.finished = true;
      if (op.timer !== undefined) clearTimeout(op.timer);
      this.running.delete(op.messageID);
      this.inUse.delete(op.messageID);
      if (exclusive) this.exclusive = false;
      if (this.state === 'open') this.activeAt = performance.now();
      if (operationChannel.hasSubscribers) {
        operationChannel.publish({
          connectionId: this.id,
          messageID: op.messageID,
          op: op.type,
          durationMs: performance.now() - op.started,
          resultCode,
          abandoned: op.silenced,
        } satisfies OperationEvent);
      }
      this.pump();
      if (this.moveStage === MOVE_ARMED) this.maybeMove();
    }
  }

  // ------------------------------------------------------------------ moving to another process

  /**
   * Armed by a request the mover wants elsewhere (answered here), the connection moves once it
   * is idle: nothing running or queued, no multi-stage SASL bind in progress, no TLS (a TLS
   * session cannot travel), every response the client may wait for written.
   */
  private maybeMove(): void {
    if (this.running.size > 0 || this.queue.length > 0 || this.exclusive) return;
    if (this.state !== 'open' || this.saslInProgress || this.session.encrypted || this.needDrain) return;
    this.moveStage = MOVE_NONE;
    const target = this.mover!.target(this, this.layer);
    if (target === undefined) return;
    this.moveStage = MOVE_MOVING;
    void this.move(target);
  }

  private async move(target: number): Promise<void> {
    this.state = 'moving';
    const s = this.socket;
    s.off('data', this.onData);
    stopReading(s);
    this.flush(); // wraps with the security layer: its send sequence number moves before it is exported
    // the handle is closed here once the other process has it: a write still queued would be lost
    if (s.writableLength > 0 && !(await written(s, MOVE_WRITE_WAIT_MS))) {
      // a client that does not read its responses: it stays here (a later search may move it)
      if (this.state !== 'moving' || s.destroyed) return;
      this.state = 'open';
      this.moveStage = MOVE_NONE;
      s.on('data', this.onData);
      this.reading = true;
      this.updateReading();
      if (this.reading) s.resume();
      this.activeAt = performance.now();
      this.idleTimer.refresh();
      return;
    }
    if (this.state !== 'moving' || s.destroyed) return; // closed or disconnected meanwhile
    // bytes the stream took from the socket before reading stopped (none unless it was paused)
    const chunks: Buffer[] = [];
    if (s.readableLength > 0) {
      for (let c = s.read() as Buffer | null; c !== null; c = s.read() as Buffer | null) chunks.push(c);
      stopReading(s); // read() may have started reading again
    }
    const wrapped = this.saslReceiver?.takeBuffered();
    if (wrapped && wrapped.length > 0) chunks.unshift(wrapped);
    const framed = this.framer.takeBuffered();
    if (this.budgetHeld > 0) this.receiveBudget?.release(this.budgetHeld);
    this.budgetHeld = 0;
    clearTimeout(this.idleTimer);
    this.detach(s);
    this.state = 'closed';
    this.mover!.moved(this, target, s, { identity: this.session.identity, layer: this.layer, unread: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), framed });
    this.resolveClosed?.();
  }

  /** Goes on with a connection another process moved here (server.ts adopt), before its socket reads. */
  resume(state: MovedState): void {
    this.session.identity = state.identity;
    this.gotFirstRequest = true;
    this.activeAt = performance.now();
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(this.onIdle, this.policies.MaxConnIdleTime * 1000);
    this.idleTimer.unref();
    if (state.layer) this.installLayer(state.layer);
    if (state.framed.length > 0) this.ingest(state.framed);
    if (state.unread.length > 0 && this.state === 'open') this.onData(state.unread);
  }

  /** The operation's AbortSignal, its MaxQueryDuration watched from now on (LdapOperationContext.signal). */
  signal(op: Operation): AbortSignal {
    if (!op.watched) this.watch(op);
    return signalOf(op);
  }

  /**
   * Arms the operation's MaxQueryDuration timer (MS-ADTS 3.1.1.3.4.6) for what is left of it
   * since the operation started; aborts it at once when that is nothing.
   */
  /**
   * Whether the operation has aborted, polled by a running operation (LdapOperationContext.aborted):
   * its MaxQueryDuration is checked against the clock, no timer armed (the timer is for an
   * operation that waits, which asks for its signal: watch).
   */
  pollAborted(op: Operation): boolean {
    if (op.controller !== undefined) return op.controller.signal.aborted;
    if (!op.finished && performance.now() - op.started >= this.policies.MaxQueryDuration * 1000) {
      onTimeLimit(op);
      return true;
    }
    return false;
  }

  watch(op: Operation): void {
    op.watched = true;
    if (op.finished) return;
    const left = op.started + this.policies.MaxQueryDuration * 1000 - performance.now();
    if (left <= 0) {
      abortOperation(op, new TimeLimitExceededError('the operation exceeded MaxQueryDuration'));
      return;
    }
    op.timer = setTimeout(onTimeLimit, left, op);
    op.timer.unref();
  }

  /** Runs one request; returns its response, or null when already answered (StartTLS). */
  private async dispatch(
    msg: LdapMessage,
    op: Operation,
    ctx: OperationContext,
  ): Promise<{ op: ProtocolOp; controls?: Control[] | undefined } | null> {
    const req = msg.protocolOp;
    const d = this.directory;
    switch (req.type) {
      case 'bindRequest': {
        // RFC 4511 4.2.1 / RFC 4513 4: authentication from earlier binds is
        // ignored from now on, and a failed Bind leaves the session anonymous.
        this.session.identity = null;
        this.saslInProgress = false;
        let r: BindResult;
        try {
          r = await d.bind(req, ctx);
        } catch (e) {
          if (e instanceof LdapError && e.resultCode === ResultCode.saslBindInProgress) this.saslInProgress = true;
          throw e;
        }
        const inProgress = r.saslBindInProgress === true;
        this.saslInProgress = inProgress;
        if (!inProgress) this.session.identity = r.identity;
        const resp: ProtocolOp = {
          type: 'bindResponse',
          resultCode: inProgress ? ResultCode.saslBindInProgress : ResultCode.success,
          matchedDN: '',
          diagnosticMessage: r.diagnosticMessage ?? '',
        };
        if (r.serverSaslCreds !== undefined) resp.serverSaslCreds = r.serverSaslCreds;
        if (r.sicilyServerCreds !== undefined) resp.sicilyServerCreds = r.sicilyServerCreds;
        if (r.securityLayer && !inProgress) {
          // RFC 4422 3.7: the layer takes effect after the BindResponse that completes the exchange
          this.write({ messageID: op.messageID, protocolOp: resp, controls: r.controls });
          this.flush();
          this.installLayer(r.securityLayer);
          return null;
        }
        return { op: resp, controls: r.controls };
      }
      case 'searchRequest': {
        const r = await d.search(req, ctx, this.sinkFor(op));
        return { op: success('searchResultDone', r.diagnosticMessage), controls: r.controls };
      }
      case 'modifyRequest': {
        const r = await d.modify(req, ctx);
        return { op: success('modifyResponse', r.diagnosticMessage), controls: r.controls };
      }
      case 'addRequest': {
        const r = await d.add(req, ctx);
        return { op: success('addResponse', r.diagnosticMessage), controls: r.controls };
      }
      case 'delRequest': {
        const r = await d.delete(req, ctx);
        return { op: success('delResponse', r.diagnosticMessage), controls: r.controls };
      }
      case 'modifyDNRequest': {
        const r = await d.modifyDN(req, ctx);
        return { op: success('modifyDNResponse', r.diagnosticMessage), controls: r.controls };
      }
      case 'compareRequest': {
        const matched = await d.compare(req, ctx);
        return {
          op: {
            type: 'compareResponse',
            resultCode: matched ? ResultCode.compareTrue : ResultCode.compareFalse,
            matchedDN: '',
            diagnosticMessage: '',
          },
        };
      }
      case 'extendedRequest': {
        if (req.requestName === START_TLS_OID) return this.startTls(op);
        // RFC 4511 4.12: "If the server does not recognize the request name, it
        // MUST return only the response fields from LDAPResult, containing the
        // protocolError result code."
        if (!d.supportedExtensions.includes(req.requestName)) {
          throw new ProtocolError(`unsupported extended operation ${req.requestName}`);
        }
        const r = await d.extended(req as ExtendedRequest, ctx);
        const resp: ProtocolOp = { type: 'extendedResponse', resultCode: 0, matchedDN: '', diagnosticMessage: r.diagnosticMessage ?? '' };
        if (r.responseName !== undefined) resp.responseName = r.responseName;
        if (r.responseValue !== undefined) resp.responseValue = r.responseValue;
        return { op: resp, controls: r.controls };
      }
      default:
        throw new ProtocolError(`${req.type} is not a request`);
    }
  }

  /** The LDAPResult for a failure (RFC 4511 4.1.9). */
  private errorResponse(op: Operation, e: unknown): ProtocolOp {
    let result: LdapResult;
    // an operation that failed otherwise after its MaxQueryDuration: reported as the timer would
    // have aborted it (its signal aborted now if its time is over)
    if (!op.watched && !(e instanceof LdapError)) this.watch(op);
    const reason: unknown = op.controller?.signal.aborted ? op.controller.signal.reason : undefined;
    if (e instanceof LdapError) {
      result = e.toResult();
    } else if (reason instanceof LdapError) {
      // The directory rejected with an AbortError: report why the signal aborted.
      result = reason.toResult();
    } else if (e instanceof BerError) {
      // e.g. a control value that does not decode: the request is malformed (RFC 4511 4.1.11).
      result = { resultCode: ResultCode.protocolError, matchedDN: '', diagnosticMessage: e.message };
    } else {
      this.internalError(op, e);
      result = { resultCode: ResultCode.other, matchedDN: '', diagnosticMessage: 'internal server error' };
    }
    return { type: RESPONSE_TYPE[op.type], ...result } as ProtocolOp;
  }

  private internalError(op: Operation, e: unknown): void {
    this.logger.error('operation failed', { connection: this.id, messageID: op.messageID, op: op.type, error: e });
    if (errorChannel.hasSubscribers) {
      errorChannel.publish({ connectionId: this.id, kind: 'internal', error: e, messageID: op.messageID } satisfies ErrorEvent);
    }
  }

  // ------------------------------------------------------------------ search results and backpressure

  private sinkFor(op: Operation): SearchSink {
    return {
      entry: (objectName: string, attributes: OutgoingAttribute[], controls?: Control[]) => {
        if (op.silenced || this.state === 'closed') return undefined;
        this.write({
          messageID: op.messageID,
          protocolOp: { type: 'searchResultEntry', objectName, attributes },
          controls,
        });
        return this.backpressure(op);
      },
      entryEncoded: (objectName: string, attributes: Buffer) => {
        if (op.silenced || this.state === 'closed') return undefined;
        this.write({ messageID: op.messageID, protocolOp: { type: 'searchResultEntry', objectName, attributes: NO_ATTRIBUTES, encodedAttributes: attributes } });
        return this.backpressure(op);
      },
      reference: (uris: string[]) => {
        if (op.silenced || this.state === 'closed') return undefined;
        this.write({ messageID: op.messageID, protocolOp: { type: 'searchResultReference', uris } });
        return this.backpressure(op);
      },
      encoded: (pdus: Buffer) => {
        if (op.silenced || this.state === 'closed') return undefined;
        this.writeEncoded(pdus);
        return this.backpressure(op);
      },
    };
  }

  /**
   * undefined when the producer may go on; a promise when it must wait: for
   * 'drain' when the client reads slower than we write, or for one event-loop
   * turn after every FLUSH_BYTES so that one large search never monopolises
   * the shared event loop. The promise also settles when the operation is
   * aborted or the connection closes, so a stalled client cannot pin it.
   */
  private backpressure(op: Operation): Promise<void> | undefined {
    if (this.needDrain) {
      return new Promise<void>((resolve) => {
        const signal = this.signal(op);
        if (signal.aborted) return resolve();
        const done = (): void => {
          signal.removeEventListener('abort', done);
          resolve();
        };
        signal.addEventListener('abort', done, { once: true });
        this.drainWaiters.push(done);
      });
    }
    if (this.flushedSinceYield) {
      this.flushedSinceYield = false;
      return new Promise<void>((resolve) => setImmediate(resolve));
    }
    return undefined;
  }

  private releaseDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * Appends one response to the outgoing batch. The message is encoded into a
   * reusable scratch writer first, so a value the encoder rejects (a bug in
   * the directory) throws to the caller without corrupting the batch.
   */
  private write(msg: LdapMessage): void {
    if (this.state === 'closed') return;
    const scratch = this.scratch;
    scratch.reset();
    try {
      writeMessage(scratch, msg);
      // The writer does not type-check values: a non-Buffer/non-string value
      // (e.g. a number) leaves its position NaN instead of throwing.
      if (!(scratch.length > 0) || !Number.isInteger(scratch.length)) {
        throw new TypeError(`${msg.protocolOp.type} for messageID ${msg.messageID} did not encode (a value of the wrong type?)`);
      }
      this.out.writeRaw(scratch.toBuffer());
    } finally {
      scratch.reset();
    }
    this.scheduleFlush();
  }

  /** Appends PDUs encoded elsewhere (a read worker) to the outgoing batch. */
  private writeEncoded(pdus: Buffer): void {
    if (this.state === 'closed') return;
    this.out.writeRaw(pdus);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.out.length >= FLUSH_BYTES) {
      this.flush();
      this.flushedSinceYield = true;
    } else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.out.length === 0) return;
    let data = this.out.toBuffer();
    if (data.length <= SMALL_BATCH) {
      // a small batch is copied out (from Node's buffer pool) and the writer kept
      data = Buffer.from(data);
      this.out.reset();
    } else {
      this.out = new BerWriter(OUT_INITIAL);
    }
    if (this.state === 'closed' || this.socket.destroyed) return;
    if (this.layer) data = wrapForSend(this.layer, data);
    if (bytesChannel.hasSubscribers) bytesChannel.publish({ connectionId: this.id, direction: 'out', bytes: data.length } satisfies BytesEvent);
    if (!this.socket.write(data)) {
      this.needDrain = true;
      this.updateReading();
      if (backpressureChannel.hasSubscribers) {
        backpressureChannel.publish({ connectionId: this.id, bufferedBytes: this.socket.writableLength });
      }
    }
  };

  // ------------------------------------------------------------------ StartTLS (RFC 4511 4.14, RFC 4513 3)

  private async startTls(op: Operation): Promise<null> {
    // RFC 4511 4.14.2: "if the TLS subsystem is not presently available, the
    // server may indicate this by returning with the resultCode set to unavailable".
    if (!this.secureContext) throw new UnavailableError('TLS is not configured on this server');
    // RFC 4513 3.1.1: StartTLS is not allowed when TLS is established, during a
    // multi-stage SASL bind, or with outstanding responses; "a (detected)
    // violation of any of these requirements results in a return of the
    // operationsError resultCode".
    if (this.session.encrypted) throw new OperationsError('TLS is already established on this connection');
    if (this.saslInProgress) throw new OperationsError('a SASL bind is in progress');
    if (this.layer) throw new OperationsError('a SASL security layer is in effect on this connection');
    if (this.running.size > 1 || this.queue.length > 0) {
      throw new OperationsError('StartTLS with outstanding operations');
    }
    // Stop reading cleartext before the response leaves: the next bytes from
    // the client are its TLS ClientHello, which the TLSSocket must get.
    this.state = 'upgrading';
    this.socket.pause();
    this.socket.off('data', this.onData);
    this.write({
      messageID: op.messageID,
      // RFC 4511 4.14.2: responseName is the StartTLS OID, responseValue absent.
      protocolOp: { type: 'extendedResponse', resultCode: 0, matchedDN: '', diagnosticMessage: '', responseName: START_TLS_OID },
    });
    this.flush();
    const raw = this.socket;
    await new Promise<void>((resolve) => {
      if (raw.writableLength === 0) resolve();
      else raw.write(Buffer.alloc(0), () => resolve());
    });
    if (this.state !== 'upgrading') return null; // closed meanwhile
    this.detach(raw);
    const secure = new tls.TLSSocket(raw, { isServer: true, secureContext: this.secureContext, requestCert: false });
    this.socket = secure;
    this.needDrain = false;
    this.releaseBudget(); // drops (and uncounts) any buffered bytes
    secure.on('error', this.onError);
    secure.on('close', this.onSocketClose);
    raw.on('close', () => secure.destroy());
    const handshake = setTimeout(() => secure.destroy(), this.policies.InitRecvTimeout * 1000);
    handshake.unref();
    const ok = await new Promise<boolean>((resolve) => {
      secure.once('secure', () => resolve(true));
      secure.once('close', () => resolve(false));
    });
    clearTimeout(handshake);
    if (!ok || this.state !== 'upgrading') return null;
    this.session.encrypted = true;
    this.channelBindingFor(secure);
    this.state = 'open';
    this.reading = true;
    secure.on('data', this.onData);
    secure.on('drain', this.onDrain);
    if (connectionChannel.hasSubscribers) {
      connectionChannel.publish({
        event: 'tls',
        connectionId: this.id,
        remoteAddress: this.session.remoteAddress,
        encrypted: true,
      } satisfies ConnectionEvent);
    }
    return null;
  }

  // ------------------------------------------------------------------ SASL security layer (MS-ADTS 5.1.2.1)

  /** RFC 5929 channel binding data of a TLS session, as LdapEnforceChannelBinding asks. */
  private channelBindingFor(s: net.Socket): void {
    if (this.enforceChannelBinding === 0) return;
    this.session.tlsServerEndPoint = endPointOf(s);
    this.session.channelBindingRequired = this.enforceChannelBinding === 2;
  }

  private installLayer(layer: SaslSecurityLayer): void {
    this.layer = layer;
    // a wrapped buffer is one or more PDUs plus the mechanism's overhead
    this.saslReceiver = new SaslReceiver(layer, this.policies.MaxReceiveBuffer + 1024);
    this.session.saslLayer = layer.confidentiality ? 'seal' : 'sign';
  }

  /** A buffer whose signature or sequence number is wrong: the session ends at once, without a word. */
  private securityLayerFailure(e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    this.logger.debug('SASL security layer failure, disconnecting', { connection: this.id, error: message });
    if (errorChannel.hasSubscribers) errorChannel.publish({ connectionId: this.id, kind: 'protocol', error: e } satisfies ErrorEvent);
    this.saslReceiver = undefined;
    this.terminate(null, 'SASL security layer failure');
    this.socket.destroy();
  }

  // ------------------------------------------------------------------ termination

  /** RFC 4511 4.1.1: protocolError Notice of Disconnection, then terminate. */
  private protocolFailure(e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    this.logger.debug('protocol error, disconnecting', { connection: this.id, error: message });
    if (errorChannel.hasSubscribers) {
      const ev: ErrorEvent = { connectionId: this.id, kind: 'protocol', error: e };
      if (e instanceof BerError && e.messageID >= 0) ev.messageID = e.messageID;
      errorChannel.publish(ev);
    }
    this.disconnect(ResultCode.protocolError, message);
  }

  private abandonAll(reason: LdapError): void {
    for (const op of this.running.values()) {
      op.silenced = true;
      abortOperation(op, reason);
    }
    for (const m of this.queue) this.inUse.delete(m.messageID);
    this.queue = [];
  }

  /**
   * Ends the session (RFC 4511 5.3): outstanding operations are abandoned and
   * get no response; the notice (if any) is the last PDU sent.
   */
  private terminate(notice: LdapMessage | null, reason: string): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.state = 'closing';
    this.socket.off('data', this.onData);
    this.releaseBudget();
    if (this.running.size > 0 || this.queue.length > 0) this.abandonAll(new UnavailableError(`connection closing: ${reason}`));
    this.releaseDrainWaiters();
    if (notice) writeMessage(this.out, notice);
    this.flush();
    this.socket.end();
    // Keep reading (and discarding) so that the peer's FIN is seen and the
    // socket closes as soon as the peer is done; the timer bounds the rest.
    this.socket.resume();
    this.destroyTimer = setTimeout(() => this.socket.destroy(), this.policies.ShutdownGracePeriodMs);
    this.destroyTimer.unref();
  }
}

/** How long a connection about to move waits for its last responses to be written before it stays after all. */
const MOVE_WRITE_WAIT_MS = 1000;

/** Resolves true once every write queued on `s` has gone to the kernel, false after `ms` or if the socket failed first. */
function written(s: net.Socket, ms: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    timer.unref();
    s.write(Buffer.alloc(0), (err) => {
      clearTimeout(timer);
      resolve(!err);
    });
  });
}

/**
 * Stops the socket's handle reading: pause() alone leaves libuv reading into the stream's buffer,
 * and bytes read after the handle has gone to another process would be lost (Node has no public
 * call for this; net.Socket's own pause does the same for sockets made with onread).
 */
function stopReading(s: net.Socket): void {
  s.pause();
  const h = (s as unknown as { _handle?: { reading?: boolean; readStop?: () => number } | null })._handle;
  if (h?.reading && h.readStop) {
    h.reading = false;
    h.readStop();
  }
}

/** MaxQueryDuration is over (Connection.watch). */
function onTimeLimit(op: Operation): void {
  abortOperation(op, new TimeLimitExceededError('the operation exceeded MaxQueryDuration'));
}

/** The operation's AbortSignal (its controller made on first use). */
/**
 * The OperationContext of one LDAP operation. MS-ADTS 3.1.1.3.4.6 MaxQueryDuration: the
 * directory turns the abort into timeLimitExceeded; only an operation that looks at its signal
 * or polls aborted() can see the abort: the timer is armed when it asks for its signal
 * (Connection.watch), with what is left of the time since the operation started; a poll reads
 * the clock (Connection.pollAborted). A class, not a literal with a getter: an accessor defined
 * on each operation's object made it a dictionary-mode object (slow to read) and two closures.
 */
class LdapOperationContext implements OperationContext {
  constructor(
    readonly session: Session,
    readonly controls: readonly Control[],
    readonly messageID: number,
    private readonly conn: Connection,
    private readonly op: Operation,
  ) {}

  get signal(): AbortSignal {
    return this.conn.signal(this.op);
  }

  /** an aborted operation always has its controller (abortOperation makes it) */
  aborted(): boolean {
    return this.conn.pollAborted(this.op);
  }
}

function signalOf(op: Operation): AbortSignal {
  return (op.controller ??= new AbortController()).signal;
}

/** Aborts the operation with `reason` unless it is aborted already. */
function abortOperation(op: Operation, reason: unknown): void {
  const c = (op.controller ??= new AbortController());
  if (!c.signal.aborted) c.abort(reason);
}

function success(
  type: 'searchResultDone' | 'modifyResponse' | 'addResponse' | 'delResponse' | 'modifyDNResponse',
  diagnosticMessage: string | undefined,
): ProtocolOp {
  return { type, resultCode: ResultCode.success, matchedDN: '', diagnosticMessage: diagnosticMessage ?? '' };
}

/** RFC 5929 tls-server-end-point of the certificate this end presents on `s`. */
function endPointOf(s: net.Socket): Buffer | undefined {
  const cert = (s as tls.TLSSocket).getCertificate?.();
  return cert && 'raw' in cert && cert.raw ? tlsServerEndPoint(cert.raw) : undefined;
}

function formatAddress(address: string | undefined, port: number | undefined): string {
  if (!address) return 'unknown';
  return address.includes(':') ? `[${address}]:${port ?? 0}` : `${address}:${port ?? 0}`;
}
