/**
 * LdapServer: the listeners of one DC (MS-ADTS 3.1.1.3.1): LDAP (389), LDAPS
 * (636, TLS from the first byte), global catalog (3268) and global catalog
 * over TLS (3269). Each accepted socket becomes a Connection (connection.ts);
 * the DirectoryService gives every operation its meaning.
 *
 *   const server = new LdapServer({
 *     directory,
 *     listeners: [{ port: 389 }, { port: 636, tls: true }, { port: 3268, globalCatalog: true }],
 *     tls: loadOrCreateCertificate(dataDir, ['dc1.example.com'], ['192.0.2.10']),
 *     policies: { MaxConnIdleTime: 300 },
 *   });
 *   const addrs = await server.listen();
 *   ...
 *   await server.close();
 */
import net from 'node:net';
import tls from 'node:tls';
import { encodeMessage, noticeOfDisconnection } from './protocol/codec.js';
import { START_TLS_OID } from './protocol/oids.js';
import { ResultCode } from './protocol/result-codes.js';
import type { DirectoryService } from '../dsa/api.js';
import { Connection, KEEPALIVE_MS, type ConnectionMover, type MovedState } from './connection.js';
import type { LdapMessage } from './protocol/messages.js';
import type { SaslSecurityLayer } from '../dsa/api.js';
import { resolvePolicies, type LdapPolicies } from './policies.js';
import { connectionChannel, defaultLogger, type ConnectionEvent, type Logger } from './logger.js';
import { tlsServerOptions } from './tls.js';
import { ReceiveBudget } from './receive-budget.js';
import { BerWriter } from '../ber/writer.js';

export interface ListenerOptions {
  /** default '0.0.0.0'... use '::' for dual stack; tests use '127.0.0.1' */
  host?: string;
  /** 0 picks an ephemeral port (see LdapServer.addresses) */
  port: number;
  /** TLS from the first byte (LDAPS / GC over TLS); needs `tls` in the server options */
  tls?: boolean;
  /** global-catalog port: sessions get `globalCatalog: true` */
  globalCatalog?: boolean;
  /** a label for logs; default derived from the flags ('ldap', 'ldaps', 'gc', 'gc-tls') */
  name?: string;
}

export interface LdapServerOptions {
  directory: DirectoryService;
  listeners: ListenerOptions[];
  /** certificate and key (PEM) for LDAPS listeners and StartTLS; without it StartTLS answers unavailable */
  tls?: { cert: string | Buffer; key: string | Buffer } | undefined;
  /** overrides of the LDAP policies (policies.ts) */
  policies?: Partial<LdapPolicies> | undefined;
  /** default: stderr, silent under node --test */
  logger?: Logger | undefined;
  /** AD's LdapEnforceChannelBinding for NTLM binds over TLS: 0 never checked, 1 checked when sent (default), 2 required */
  enforceChannelBinding?: 0 | 1 | 2 | undefined;
  /**
   * Read processes (src/dsa/workers/process-pool.ts): a connection of a plain (not TLS) listener
   * is served here until a request the policy classifies 'move' (a search a read process
   * answers); once idle after it, the connection may move, socket and state, to the process the
   * policy names (the server counts it until remoteClosed(id)).
   */
  handOff?: HandOffPolicy | undefined;
  /** a server of a read process: no listeners, its connections come through adopt() and listenShared() */
  adoptOnly?: boolean;
  /** a read process's server: its connection ids start above this (ids stay unique across the processes of one server) */
  idBase?: number;
  /** a read process's server that accepts on the writer's plain listeners itself (listenShared) */
  sharedAccept?: SharedAcceptPolicy | undefined;
}

/**
 * A read process accepting on the writer's listeners (process-pool.ts, shared accept): whether it
 * may serve a connection it accepted, within the slots the writer lent it (MaxConnections and
 * MaxConnectionsPerAddress stay the writer's to count), or must pass the socket to the writer.
 */
export interface SharedAcceptPolicy {
  /** true: a slot of this process's lease is taken and the connection is served here */
  admit(): boolean;
  /** a connection admitted here opened */
  opened(conn: HandedConnection): void;
  /** a connection admitted here closed: its slot is free again */
  closed(): void;
  /** not admitted: the socket goes to the writer, which accepts it as one of its own */
  toWriter(socket: net.Socket, globalCatalog: boolean): void;
}

/** Where and when connections move to other processes (process-pool.ts). */
export interface HandOffPolicy {
  /** 'move': once idle after this request, the connection may move; 'pin': it stays here for good */
  classify(msg: LdapMessage): 'move' | 'pin' | undefined;
  /** the process an idle connection goes to; undefined: it stays. `local`: the connections this process serves, that one included */
  target(id: number, local: number, layer: SaslSecurityLayer | undefined): number | undefined;
  /** hands the socket and the connection's state over (its reading stopped, every response written) */
  send(target: number, socket: net.Socket, conn: HandedConnection, state: MovedState): void;
  /** connection slots lent to read processes (shared accept), filled or not: counted as taken */
  lent?(): number;
  /** connections read processes accepted themselves and hold open, as they last reported (connectionCount) */
  sharedOpen?(): number;
}

/** What a process that takes over a socket needs to know of it. */
export interface HandedConnection {
  /** the connection (session) id, unique across the processes of one server */
  id: number;
  globalCatalog: boolean;
  /** the client's address as the listener counts it (MaxConnectionsPerAddress) */
  source: string;
}

export interface BoundAddress {
  name: string;
  address: string;
  family: string;
  port: number;
  tls: boolean;
  globalCatalog: boolean;
}

export class LdapServerError extends Error {
  readonly code: string;
  constructor(code: 'ERR_LDAP_SERVER_STATE' | 'ERR_LDAP_SERVER_CONFIG', message: string) {
    super(message);
    this.name = 'LdapServerError';
    this.code = code;
  }
}

/** TCP_NODELAY and keep-alive, set on the handle at accept (before the Socket is made) by every listener. */
const SOCKET_OPTIONS = Object.freeze({ noDelay: true, keepAlive: true, keepAliveInitialDelay: KEEPALIVE_MS });

export class LdapServer {
  readonly policies: Readonly<LdapPolicies>;
  private readonly directory: DirectoryService;
  private readonly listenerOptions: ListenerOptions[];
  private readonly logger: Logger;
  private readonly enforceChannelBinding: 0 | 1 | 2;
  private readonly secureContext: tls.SecureContext | undefined;
  private readonly tlsOptions: tls.SecureContextOptions | undefined;
  private readonly servers: Array<{ server: net.Server; opts: ListenerOptions; name: string }> = [];
  private readonly connections = new Set<Connection>();
  /** connections handed to another process (handOff), by id: their source address */
  private readonly remote = new Map<number, string>();
  private readonly mover: ConnectionMover | undefined;
  private readonly adoptOnly: boolean;
  /** open connections by source address (MaxConnectionsPerAddress) */
  private readonly perAddress = new Map<string, number>();
  private readonly handOff: HandOffPolicy | undefined;
  private readonly sharedAccept: SharedAcceptPolicy | undefined;
  /** a read process's: its own connection ids are above this (shared accept), those it adopted below */
  private readonly idBase: number;
  /** partly received PDUs of all connections (MaxReceiveBufferTotal) */
  private readonly receiveBudget: ReceiveBudget;
  /** the encoding scratch of every connection's responses (Connection.write uses it synchronously): not one per connection */
  private readonly scratch = new BerWriter(1024);
  private bound: BoundAddress[] = [];
  private nextId = 1;
  private state: 'new' | 'listening' | 'closing' | 'closed' = 'new';

  constructor(options: LdapServerOptions) {
    this.directory = options.directory;
    this.listenerOptions = options.listeners;
    this.policies = resolvePolicies(options.policies);
    this.receiveBudget = new ReceiveBudget(this.policies.MaxReceiveBufferTotal);
    this.logger = options.logger ?? defaultLogger();
    this.enforceChannelBinding = options.enforceChannelBinding ?? 1;
    if (options.tls) {
      this.tlsOptions = tlsServerOptions(options.tls);
      this.secureContext = tls.createSecureContext(this.tlsOptions);
    }
    const policy = options.handOff;
    this.handOff = policy;
    this.sharedAccept = options.sharedAccept;
    this.idBase = options.idBase ?? 0;
    this.nextId = this.idBase + 1;
    this.mover = policy && {
      classify: (msg) => policy.classify(msg),
      target: (c, layer) => policy.target(c.id, this.connections.size, layer),
      moved: (c, target, socket, state) => {
        // counted as the other process's connection until it reports it closed
        this.connections.delete(c);
        this.remote.set(c.id, c.source);
        this.directory.sessionClosed?.(c.session);
        policy.send(target, socket, { id: c.id, globalCatalog: c.session.globalCatalog, source: c.source }, state);
      },
    };
    this.adoptOnly = options.adoptOnly === true;
    if (options.listeners.length === 0 && !this.adoptOnly) throw new LdapServerError('ERR_LDAP_SERVER_CONFIG', 'no listeners configured');
    for (const l of options.listeners) {
      if (l.tls && !options.tls) {
        throw new LdapServerError('ERR_LDAP_SERVER_CONFIG', `listener on port ${l.port} wants TLS but no certificate is configured`);
      }
    }
  }

  /** Addresses the listeners are bound to (after listen()). */
  get addresses(): readonly BoundAddress[] {
    return this.bound;
  }

  /** Open connections (those handed to other processes included). */
  get connectionCount(): number {
    return this.connections.size + this.remote.size + (this.handOff?.sharedOpen?.() ?? 0);
  }

  /** Bytes of partly received PDUs all connections hold now, and the most ever held (bounded by MaxReceiveBufferTotal). */
  get receiveBuffered(): { bytes: number; peak: number; limit: number } {
    return { bytes: this.receiveBudget.bytes, peak: this.receiveBudget.peak, limit: this.receiveBudget.limit };
  }

  /**
   * Extended operations the server answers: StartTLS (when a certificate is
   * configured) plus the directory's, for the rootDSE's supportedExtension.
   */
  get supportedExtensions(): string[] {
    const ext = [...this.directory.supportedExtensions];
    if (this.secureContext && !ext.includes(START_TLS_OID)) ext.unshift(START_TLS_OID);
    return ext;
  }

  /** Binds every listener; resolves with the bound addresses. Rejects (and unbinds) if any fails. */
  async listen(): Promise<readonly BoundAddress[]> {
    if (this.state !== 'new') throw new LdapServerError('ERR_LDAP_SERVER_STATE', `listen() called on a ${this.state} server`);
    this.state = 'listening';
    if (this.adoptOnly) return this.bound;
    try {
      for (const opts of this.listenerOptions) {
        const name = opts.name ?? (opts.globalCatalog ? (opts.tls ? 'gc-tls' : 'gc') : opts.tls ? 'ldaps' : 'ldap');
        const server = opts.tls
          ? tls.createServer({ ...this.tlsOptions, ...SOCKET_OPTIONS, handshakeTimeout: this.policies.InitRecvTimeout * 1000 })
          : net.createServer(SOCKET_OPTIONS);
        if (opts.tls) {
          server.on('secureConnection', (s: tls.TLSSocket) => this.accept(s, opts, true));
          server.on('tlsClientError', (err: Error) => {
            this.logger.debug('TLS handshake failed', { listener: name, error: err.message });
          });
        } else {
          server.on('connection', (s: net.Socket) => this.accept(s, opts, false));
        }
        server.on('error', (err: Error) => this.logger.error('listener error', { listener: name, error: err }));
        this.servers.push({ server, opts, name });
        await new Promise<void>((resolve, reject) => {
          const onError = (e: Error): void => reject(e);
          server.once('error', onError);
          server.listen({ host: opts.host, port: opts.port }, () => {
            server.off('error', onError);
            resolve();
          });
        });
        const a = server.address() as net.AddressInfo;
        this.bound.push({
          name,
          address: a.address,
          family: a.family,
          port: a.port,
          tls: opts.tls === true,
          globalCatalog: opts.globalCatalog === true,
        });
        this.logger.info('listening', { listener: name, address: a.address, port: a.port });
      }
    } catch (e) {
      await this.close();
      throw e;
    }
    return this.bound;
  }

  /** Logs the errors of a refused socket (a Connection handles its socket's own); one for every socket. */
  private readonly onSocketError = (err: Error): void => this.logger.debug('socket error', { error: err.message });

  /** A socket that is not served (the server stopping, no listener for it): closed, its errors logged. */
  private discard(socket: net.Socket): void {
    socket.on('error', this.onSocketError);
    socket.destroy();
  }

  private accept(socket: net.Socket, opts: ListenerOptions, encrypted: boolean): void {
    if (this.state !== 'listening') return this.discard(socket);
    const id = this.nextId++;
    const source = socket.remoteAddress ?? 'unknown';
    // MS-ADTS 3.1.1.3.4.6 MaxConnections, and forestd's MaxConnectionsPerAddress (one source
    // cannot take every slot): refuse with a busy Notice of Disconnection (RFC 4511 4.4.1).
    // slots lent to read processes (shared accept) are taken: any of them may be a connection from this source
    const leased = this.handOff?.lent?.() ?? 0;
    const refusal =
      this.connections.size + this.remote.size + leased >= this.policies.MaxConnections
        ? 'MaxConnections'
        : (this.perAddress.get(source) ?? 0) + leased >= this.policies.MaxConnectionsPerAddress
          ? 'MaxConnectionsPerAddress'
          : undefined;
    if (refusal) {
      socket.on('error', this.onSocketError);
      if (connectionChannel.hasSubscribers) {
        connectionChannel.publish({
          event: 'refused',
          connectionId: id,
          remoteAddress: source,
          reason: refusal,
        } satisfies ConnectionEvent);
      }
      if (refusal === 'MaxConnectionsPerAddress') this.logger.warn('connection refused', { policy: refusal, address: source, limit: this.policies.MaxConnectionsPerAddress });
      socket.end(encodeMessage(noticeOfDisconnection(ResultCode.busy, `too many connections (${refusal})`)));
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    this.open(socket, id, opts.globalCatalog === true, encrypted, source);
  }

  /** The plain (not TLS) listeners, which read processes may accept on too (shared accept). */
  sharedListeners(): Array<{ server: net.Server; globalCatalog: boolean }> {
    return this.servers.filter((l) => !l.opts.tls).map((l) => ({ server: l.server, globalCatalog: l.opts.globalCatalog === true }));
  }

  /**
   * The connection slots free under MaxConnections and under MaxConnectionsPerAddress for the
   * address that holds the most, lent slots not subtracted (the writer lends slots to read
   * processes from these: a lent slot may be filled from any address).
   */
  freeSlots(): number {
    let most = 0;
    for (const n of this.perAddress.values()) if (n > most) most = n;
    return Math.min(this.policies.MaxConnections - this.connections.size - this.remote.size, this.policies.MaxConnectionsPerAddress - most);
  }

  /** A read process's server: accept on `handle`, a listener of the writer's (it came over IPC). */
  listenShared(handle: net.Server, globalCatalog: boolean): void {
    const name = globalCatalog ? 'gc' : 'ldap';
    // sockets start unread: one passed on to the writer (beyond this process's lease) must not leave bytes read here behind
    const server = net.createServer({ ...SOCKET_OPTIONS, pauseOnConnect: true });
    server.on('connection', (s: net.Socket) => this.acceptShared(s, globalCatalog));
    server.on('error', (err: Error) => this.logger.error('listener error', { listener: name, error: err }));
    server.listen(handle);
    this.servers.push({ server, opts: { port: 0, globalCatalog }, name });
  }

  private acceptShared(socket: net.Socket, globalCatalog: boolean): void {
    const policy = this.sharedAccept;
    if (this.state !== 'listening' || !policy) return this.discard(socket);
    if (!policy.admit()) return policy.toWriter(socket, globalCatalog);
    const id = this.nextId++;
    const source = socket.remoteAddress ?? 'unknown';
    const conn: HandedConnection = { id, globalCatalog, source };
    policy.opened(conn);
    this.open(socket, id, globalCatalog, false, source);
    socket.resume();
  }

  /** The writer: a socket a read process accepted and did not admit (shared accept), accepted here as if by its listener. */
  acceptFromPeer(socket: net.Socket, globalCatalog: boolean): void {
    const opts = this.listenerOptions.find((l) => !l.tls && (l.globalCatalog === true) === globalCatalog);
    if (!opts) return this.discard(socket);
    // TCP_NODELAY and keep-alive came with the descriptor (set at the read process's accept)
    this.accept(socket, opts, false);
    // a socket that came over IPC starts paused (as adopt's do)
    socket.resume();
  }

  /** A read process takes a socket the serving process accepted and served until it moved it here (handOff there), with its state. */
  adopt(socket: net.Socket, conn: HandedConnection, state?: MovedState): void {
    if (this.state !== 'listening') return this.discard(socket);
    const c = this.open(socket, conn.id, conn.globalCatalog, false, conn.source);
    if (state) c.resume(state);
    socket.resume();
  }

  /** A connection handed to another process has closed (or that process is gone). */
  remoteClosed(id: number): void {
    const source = this.remote.get(id);
    if (source === undefined) return;
    this.remote.delete(id);
    this.uncount(source);
  }

  /** A connection from `source` ended (here, or in the process it moved to): MaxConnectionsPerAddress counts one fewer. */
  private uncount(source: string): void {
    const left = (this.perAddress.get(source) ?? 1) - 1;
    if (left > 0) this.perAddress.set(source, left);
    else this.perAddress.delete(source);
  }

  /** Serves a connection from `source`: counted for MaxConnectionsPerAddress until it ends here or, moved, in another process (uncount). */
  private open(socket: net.Socket, id: number, globalCatalog: boolean, encrypted: boolean, source: string): Connection {
    this.perAddress.set(source, (this.perAddress.get(source) ?? 0) + 1);
    const conn = new Connection({
      id,
      socket,
      directory: this.directory,
      policies: this.policies,
      logger: this.logger,
      globalCatalog,
      encrypted,
      secureContext: encrypted ? undefined : this.secureContext,
      enforceChannelBinding: this.enforceChannelBinding,
      receiveBudget: this.receiveBudget,
      socketOptionsSet: true,
      source,
      onClose: this.onConnectionClose,
      mover: this.mover,
      scratch: this.scratch,
    });
    this.connections.add(conn);
    return conn;
  }

  /** One for every connection (no closure per connection). */
  private readonly onConnectionClose = (c: Connection): void => {
    this.connections.delete(c);
    if (this.sharedAccept && c.id > this.idBase) this.sharedAccept.closed();
    this.uncount(c.source);
    this.directory.sessionClosed?.(c.session);
  };

  /**
   * Stops accepting, sends every open connection a Notice of Disconnection
   * (unavailable, RFC 4511 4.4.1), abandons their operations and waits up to
   * ShutdownGracePeriodMs for the sockets to close before destroying them.
   */
  async close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') return;
    this.state = 'closing';
    const stopped = this.servers.map(
      ({ server }) => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve())),
    );
    const conns = [...this.connections];
    for (const c of conns) c.disconnect(ResultCode.unavailable, 'the server is shutting down');
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.policies.ShutdownGracePeriodMs);
    });
    await Promise.race([Promise.all(conns.map((c) => c.closed)), grace]);
    clearTimeout(timer);
    for (const c of this.connections) c.destroy();
    await Promise.all(stopped);
    this.state = 'closed';
    this.logger.info('stopped');
  }
}
