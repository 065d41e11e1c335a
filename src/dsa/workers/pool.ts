// Reads on every core: a DirectoryService that hands searches to read workers (worker.ts) and
// everything else to the DSA of the LDAP thread, the one writer.
//
//   LDAP thread: sockets, TLS/StartTLS, SASL layers, binds, writes (group commit), rootDSE,
//                DirSync, change notification ──► DsaService (the writer's Directory)
//        │ search request + session + identity + coherence (store counters, schema generation, SD epoch)
//        ▼
//   read worker i (`forestd serve --workers N`: N−1 of them; the LDAP thread takes every N-th session's searches itself): Directory over the same LMDB environment
//                (a follower Store: its own read transactions), DsaService.search, entries encoded
//                as PDUs ──► chunks back, acknowledged (backpressure) ──► Connection's batch
//
// A connection's searches always go to the same worker (by session id), so its paged-search
// state lives in one place; the worker is told when the session closes. Each request carries the
// writer's state as the LDAP thread saw it when it dispatched, and the worker renews its read
// transaction first: a client that got a write's response sees that write in its next search.
import { Worker } from 'node:worker_threads';
import { channel } from 'node:diagnostics_channel';
import type { AddRequest, BindRequest, CompareRequest, DelRequest, ExtendedRequest, ModifyDNRequest, ModifyRequest, SearchRequest } from '../../ldap/protocol/messages.js';
import { SearchScope } from '../../ldap/protocol/messages.js';
import { UnavailableError } from '../../ldap/protocol/result-codes.js';
import { NOTIFICATION_OID } from '../../ldap/controls/notification.js';
import { DIRSYNC_OID } from '../../ldap/controls/dirsync.js';
import { DIRSYNC_EX_OID } from '../../ldap/controls/dirsync-ex.js';
import type { BindResult, DirectoryService, ExtendedResult, Identity, OperationContext, OperationResult, SearchSink, Session } from '../api.js';
import type { DsaService } from '../service.js';
import type { SchemaBinding } from '../schema-binding.js';
import { accessState } from '../access/access.js';
import { sdPropagationMayBePending } from '../access/sd-propagator.js';
import type { SearchLimits } from '../search/search.js';
import { MAX_IDENTITIES, Outbox, asBuffer, compact, errorFromWire, revive, tokenToWire, type FromWorker, type ToWorker, type WireError, type WireIdentity } from './wire.js';
import type { WorkerData } from './worker.js';

export interface ReadPoolOptions {
  /** the data directory the writer serves */
  data: string;
  /** read workers to start (>= 1); the LDAP thread serves a share of the sessions' searches too */
  workers: number;
  searchLimits?: SearchLimits;
}

/** Searches that stay on the LDAP thread: the rootDSE (its counters and callbacks are the server's), DirSync and notification (their state and the commit feed are the writer's). */
const MAIN_THREAD_CONTROLS = new Set([DIRSYNC_OID, DIRSYNC_EX_OID, NOTIFICATION_OID]);

/** Published (when someone listens) for each search handed to a read worker: { worker, session, messageID }. */
export const readWorkerChannel = channel('forestd:dsa:read-worker');

interface Pending {
  sink: SearchSink;
  worker: ReadWorkerHandle;
  resolve: (r: OperationResult) => void;
  reject: (e: unknown) => void;
  offAbort: () => void;
}

interface ReadWorkerHandle {
  /** 1.. (0 is the LDAP thread) */
  index: number;
  worker: Worker;
  alive: boolean;
  /** the keys of the identities this worker holds, in the order it took them */
  identities: Set<number>;
  out: Outbox<ToWorker>;
}

export class ReadPool implements DirectoryService {
  private readonly workers: ReadWorkerHandle[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private schema: SchemaBinding;
  private schemaGeneration = 0;
  private readonly identities = new WeakMap<Identity, WireIdentity>();
  private nextIdentity = 1;

  private constructor(private readonly main: DsaService) {
    this.schema = main.dir.schema;
  }

  /** Starts the workers; resolves once each has opened the store. */
  static async start(main: DsaService, opts: ReadPoolOptions): Promise<ReadPool> {
    const pool = new ReadPool(main);
    const wd: WorkerData = { data: opts.data, ...(opts.searchLimits ? { searchLimits: opts.searchLimits } : {}) };
    await Promise.all(
      Array.from({ length: opts.workers }, async (_, i) => {
        const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: wd });
        const h: ReadWorkerHandle = { index: i + 1, worker, alive: false, identities: new Set(), out: new Outbox<ToWorker>((batch) => worker.postMessage(batch)) };
        await new Promise<void>((resolve, reject) => {
          worker.once('error', reject);
          worker.once('message', (m: FromWorker[]) => {
            worker.off('error', reject);
            if (m[0]?.t === 'ready') resolve();
            else reject(new Error(`read worker: unexpected first message ${m[0]?.t ?? '(none)'}`));
          });
        });
        h.alive = true;
        worker.on('message', (batch: FromWorker[]) => {
          for (const m of batch) pool.onMessage(h, m);
        });
        worker.on('error', (e) => pool.lost(h, e));
        worker.on('exit', () => pool.lost(h, new Error('read worker exited')));
        pool.workers[i] = h;
      }),
    ).catch(async (e: unknown) => {
      await pool.close();
      throw e;
    });
    return pool;
  }

  get workerCount(): number {
    return this.workers.filter((w) => w.alive).length;
  }

  get supportedExtensions(): readonly string[] {
    return this.main.supportedExtensions;
  }

  /** Stops the workers (after the LDAP server has closed its connections). */
  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(async (h) => {
        if (!h.alive) return;
        h.alive = false;
        const exited = new Promise<void>((resolve) => h.worker.once('exit', () => resolve()));
        h.out.send({ t: 'stop' });
        h.out.flush();
        const timer = setTimeout(() => void h.worker.terminate(), 5000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  /** The worker of a session's searches; undefined: the LDAP thread's own share (slot 0), or its worker failed. */
  private workerFor(session: Session): ReadWorkerHandle | undefined {
    const slot = session.id % (this.workers.length + 1);
    if (slot === 0) return undefined;
    const h = this.workers[slot - 1]!;
    return h.alive ? h : undefined;
  }

  search(req: SearchRequest, ctx: OperationContext, sink: SearchSink): Promise<OperationResult> {
    const h = this.workerFor(ctx.session);
    if (!h || !sink.encoded || ctx.messageID === undefined || (req.baseObject === '' && req.scope === SearchScope.baseObject) || ctx.controls.some((c) => MAIN_THREAD_CONTROLS.has(c.type))) {
      return this.main.search(req, ctx, sink);
    }
    if (ctx.signal.aborted) return Promise.reject(ctx.signal.reason);
    const id = this.nextId++;
    const s = ctx.session;
    const msg: ToWorker = {
      t: 'search',
      id,
      messageID: ctx.messageID,
      req: compact(req),
      controls: compact(ctx.controls),
      session: { id: s.id, encrypted: s.encrypted, globalCatalog: s.globalCatalog, remoteAddress: s.remoteAddress, ...(s.localAddress !== undefined ? { localAddress: s.localAddress } : {}), ...(s.saslLayer !== undefined ? { saslLayer: s.saslLayer } : {}) },
      identity: s.identity ? this.identityFor(h, s.identity) : null,
      coherence: { store: this.main.dir.store.followerState(), schemaGeneration: this.generation(), sdEpoch: accessState(this.main.dir).sdEpoch, sdPropagationPending: sdPropagationMayBePending(this.main.dir) },
    };
    return new Promise<OperationResult>((resolve, reject) => {
      const onAbort = (): void => {
        const reason: unknown = ctx.signal.reason;
        const r = reason as Partial<WireError> | undefined;
        h.out.send({ t: 'abort', id, reason: { resultCode: r?.resultCode ?? 118, matchedDN: '', diagnosticMessage: r?.diagnosticMessage ?? 'abandoned' } });
      };
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, { sink, worker: h, resolve, reject, offAbort: () => ctx.signal.removeEventListener('abort', onAbort) });
      h.out.send(msg);
      if (readWorkerChannel.hasSubscribers) readWorkerChannel.publish({ worker: h.index, session: s.id, messageID: ctx.messageID });
    });
  }

  /** The schema generation: moves when the writer's Directory swapped its schema since the last request. */
  private generation(): number {
    const now = this.main.dir.schema;
    if (now !== this.schema) {
      this.schema = now;
      this.schemaGeneration++;
    }
    return this.schemaGeneration;
  }

  /** The identity whole the first time worker `h` gets it, afterwards its key (MAX_IDENTITIES). */
  private identityFor(h: ReadWorkerHandle, id: Identity): WireIdentity | { key: number } {
    const w = this.wireIdentity(id);
    if (h.identities.has(w.key)) return { key: w.key };
    h.identities.add(w.key);
    if (h.identities.size > MAX_IDENTITIES) h.identities.delete(h.identities.values().next().value!);
    return w;
  }

  /** The identity as workers get it, made once per Identity object (its token once built). */
  private wireIdentity(id: Identity): WireIdentity {
    let w = this.identities.get(id);
    if (!w || (id.token && !w.token)) {
      w = compact({ key: w?.key ?? this.nextIdentity++, dn: id.dn, guid: id.guid, isAdmin: id.isAdmin, ...(id.sid ? { sid: id.sid } : {}), ...(id.token ? { token: tokenToWire(id.token) } : {}) });
      this.identities.set(id, w);
    }
    return w;
  }

  private onMessage(h: ReadWorkerHandle, m: FromWorker): void {
    if (m.t === 'ready') return;
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.t === 'chunk') {
      const wait = p.sink.encoded!(asBuffer(m.pdus));
      const ack = (): void => void (h.alive && h.out.send({ t: 'ack', id: m.id }));
      if (wait) void wait.then(ack);
      else ack();
      return;
    }
    this.pending.delete(m.id);
    p.offAbort();
    if (m.pdus) {
      // the last entries: written before the SearchResultDone the connection writes on resolve
      const wait = p.sink.encoded!(asBuffer(m.pdus));
      if (wait) return void wait.then(() => this.settle(p, m));
    }
    this.settle(p, m);
  }

  private settle(p: Pending, m: Extract<FromWorker, { t: 'done' }>): void {
    if (m.error) return p.reject(errorFromWire(m.error));
    const r: OperationResult = {};
    if (m.controls) r.controls = revive(m.controls);
    if (m.diagnosticMessage !== undefined) r.diagnosticMessage = m.diagnosticMessage;
    p.resolve(r);
  }

  /** A worker failed: its searches fail as unavailable, later ones run on the LDAP thread. */
  private lost(h: ReadWorkerHandle, e: Error): void {
    if (!h.alive) return;
    h.alive = false;
    for (const [id, p] of this.pending) {
      if (p.worker !== h) continue;
      this.pending.delete(id);
      p.offAbort();
      p.reject(new UnavailableError(`read worker failed: ${e.message}`));
    }
  }

  // ---- everything else: the writer's DSA ------------------------------------------------

  sessionClosed(session: Session): void {
    this.main.sessionClosed(session);
    const h = this.workerFor(session);
    if (h) h.out.send({ t: 'closed', session: session.id });
  }

  bind(req: BindRequest, ctx: OperationContext): Promise<BindResult> {
    return this.main.bind(req, ctx);
  }
  add(req: AddRequest, ctx: OperationContext): Promise<OperationResult> {
    return this.main.add(req, ctx);
  }
  modify(req: ModifyRequest, ctx: OperationContext): Promise<OperationResult> {
    return this.main.modify(req, ctx);
  }
  modifyDN(req: ModifyDNRequest, ctx: OperationContext): Promise<OperationResult> {
    return this.main.modifyDN(req, ctx);
  }
  delete(req: DelRequest, ctx: OperationContext): Promise<OperationResult> {
    return this.main.delete(req, ctx);
  }
  compare(req: CompareRequest, ctx: OperationContext): Promise<boolean> {
    return this.main.compare(req, ctx);
  }
  extended(req: ExtendedRequest, ctx: OperationContext): Promise<ExtendedResult> {
    return this.main.extended(req, ctx);
  }
}
