// One authenticated DRS connection per replication partner, reused by every call to it: change
// notifications (IDL_DRSReplicaSync, MS-DRSR 4.1.23) and replication cycles (IDL_DRSGetNCChanges,
// 4.1.10). A connection is a TLS session, the machine-account handshake of transport/auth.ts and
// an IDL_DRSBind (MS-DRSR 4.1.3); making one costs several round trips and two HMAC proofs, far
// more than a small pull, so each partner keeps one open while it is in use.
//
//  - calls to one partner share its connection (the transport matches answers by call id); at
//    most `maxCalls` are outstanding at once, the rest wait, so the server's per-connection
//    limit (RPC_S_SERVER_TOO_BUSY) is never met;
//  - a connection that fails (closed, timed out, malformed frame) is dropped and the next call
//    makes a new one; a call that finds a reused connection closed under it (the partner
//    restarted, or closed it as idle) is retried once on a fresh connection — both calls are
//    idempotent (a GetNCChanges request carries its own watermark);
//  - idle connections are closed after `idleMs`;
//  - a partner that cannot be reached is not tried again for a backoff (doubling, bounded), so
//    calls to it fail at once instead of each waiting for a connect; other partners have their
//    own links and never wait for it. `alive()` (the partner called us) ends the backoff.
// Nothing here is module-level: each Replicator has its own links.
import { DrsTransportError } from './transport/frame.js';
import type { DrsClient } from './transport/tls.js';

export interface PartnerConnection {
  client: DrsClient;
  hDrs: Buffer;
}

/** Who a link reaches; a change of address or account makes a new connection. */
export interface PartnerAddress {
  dsaGuid: string;
  account: string;
  address: string;
}

export interface PartnerLinksOptions<P extends PartnerAddress> {
  /** connects and binds to a partner */
  connect(p: P): Promise<PartnerConnection>;
  /** an unused connection is closed after this long, ms (default 60 s) */
  idleMs?: number;
  /** calls outstanding at once on one connection (default 4, the listener's default limit) */
  maxCalls?: number;
  /** first backoff after a failed connect, ms (default 250); doubles up to maxBackoffMs (default 30 s) */
  backoffMs?: number;
  maxBackoffMs?: number;
}

/** Errors after which a connection is not used again. */
function connectionBroken(e: unknown): boolean {
  if (e instanceof DrsTransportError) return e.code !== 'ERR_DRS_FAULT';
  // socket errors (ECONNRESET, EPIPE …); an error in the answer (a DRS result, a bad stub) leaves the connection usable
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

interface Link {
  key: string;
  conn: Promise<PartnerConnection> | undefined;
  /** the connection `conn` resolved to, once it did */
  live: PartnerConnection | undefined;
  active: number;
  waiting: (() => void)[];
  idle: NodeJS.Timeout | undefined;
  failures: number;
  retryAt: number;
  lastError: Error | undefined;
}

export class PartnerLinks<P extends PartnerAddress> {
  readonly #o: PartnerLinksOptions<P>;
  readonly #links = new Map<string, Link>();
  #closed = false;

  constructor(o: PartnerLinksOptions<P>) {
    this.#o = o;
  }

  /** Number of partners with an open (or opening) connection. */
  get open(): number {
    let n = 0;
    for (const l of this.#links.values()) if (l.conn) n++;
    return n;
  }

  /** Runs `fn` with the partner's connection (made if needed); see the header for failures. */
  async use<T>(p: P, fn: (c: PartnerConnection) => Promise<T>): Promise<T> {
    if (this.#closed) throw new DrsTransportError('ERR_DRS_CLOSED', 'replication is stopping');
    const link = this.#link(p);
    await this.#acquire(link);
    try {
      for (let attempt = 0; ; attempt++) {
        const fresh = !link.conn;
        const conn = await this.#connection(link, p);
        try {
          return await fn(conn);
        } catch (e) {
          if (!connectionBroken(e)) throw e;
          this.#drop(link, conn);
          const closedUnder = e instanceof DrsTransportError && e.code === 'ERR_DRS_CLOSED';
          if (fresh || attempt > 0 || !closedUnder || this.#closed) throw e;
        }
      }
    } finally {
      this.#release(link);
    }
  }

  /** The partner reached us: it is up, so a backoff against it ends. */
  alive(dsaGuid: string): void {
    const l = this.#links.get(dsaGuid);
    if (l) {
      l.failures = 0;
      l.retryAt = 0;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#links.values()];
    this.#links.clear();
    await Promise.allSettled(
      all.map(async (l) => {
        if (l.idle) clearTimeout(l.idle);
        for (const w of l.waiting.splice(0)) w();
        const c = await l.conn?.catch(() => undefined);
        await c?.client.close();
      }),
    );
  }

  #link(p: P): Link {
    const key = `${p.account}\n${p.address}`;
    let l = this.#links.get(p.dsaGuid);
    if (l && l.key !== key) {
      // the partner moved (new address) or is another account: its old connection goes
      if (l.conn) this.#drop(l, l.live);
      l.key = key;
      l.failures = 0;
      l.retryAt = 0;
    }
    if (!l) {
      l = { key, conn: undefined, live: undefined, active: 0, waiting: [], idle: undefined, failures: 0, retryAt: 0, lastError: undefined };
      this.#links.set(p.dsaGuid, l);
    }
    return l;
  }

  #connection(l: Link, p: P): Promise<PartnerConnection> {
    if (l.conn) return l.conn;
    if (l.retryAt > performance.now() && l.lastError) return Promise.reject(l.lastError);
    const c = this.#o.connect(p);
    l.conn = c;
    c.then(
      (conn) => {
        if (l.conn !== c) return void conn.client.close();
        l.live = conn;
        l.failures = 0;
        l.retryAt = 0;
        // the partner closed it (restart, idle limit): the next call connects again
        conn.client.onClose(() => {
          if (l.conn === c) this.#drop(l, conn);
        });
      },
      (e: Error) => {
        if (l.conn !== c) return;
        l.conn = undefined;
        l.live = undefined;
        l.lastError = e;
        const base = this.#o.backoffMs ?? 250;
        l.retryAt = performance.now() + Math.min(this.#o.maxBackoffMs ?? 30_000, base * 2 ** Math.min(l.failures, 16));
        l.failures++;
      },
    );
    return c;
  }

  #drop(l: Link, conn: PartnerConnection | undefined): void {
    if (conn && l.live !== conn) return;
    l.conn = undefined;
    l.live = undefined;
    void conn?.client.close().catch(() => undefined);
  }

  async #acquire(l: Link): Promise<void> {
    if (l.idle) {
      clearTimeout(l.idle);
      l.idle = undefined;
    }
    if (l.active >= (this.#o.maxCalls ?? 4)) await new Promise<void>((r) => l.waiting.push(r));
    l.active++;
  }

  #release(l: Link): void {
    l.active--;
    const next = l.waiting.shift();
    if (next) return next();
    if (l.active === 0 && l.conn && !this.#closed) {
      l.idle = setTimeout(() => {
        l.idle = undefined;
        if (l.active === 0) this.#drop(l, l.live);
      }, this.#o.idleMs ?? 60_000);
      l.idle.unref();
    }
  }
}
