// A read worker (node:worker_threads): its own Directory over the store of the serving process,
// opened as a follower (same LMDB environment, its own read transactions, never a write), and
// a DsaService that answers the searches the LDAP thread hands it (pool.ts). Entries are encoded
// here, as whole SearchResultEntry PDUs under the request's messageID, so the LDAP thread only
// copies bytes to the socket.
import { cacheOptionsFromEnv } from '../cache-settings.js';
import { parentPort, workerData } from 'node:worker_threads';
import { Directory } from '../directory.js';
import { DsaService } from '../service.js';
import type { Control, OutgoingAttribute } from '../../ldap/protocol/messages.js';
import { BerWriter } from '../../ber/writer.js';
import { writeMessage } from '../../ldap/protocol/codec.js';
import { LdapError } from '../../ldap/protocol/result-codes.js';
import type { Identity, OperationContext, SearchSink, Session } from '../api.js';
import { accessState } from '../access/access.js';
import { followSdPropagation } from '../access/sd-propagator.js';
import type { SearchLimits } from '../search/search.js';
import { MAX_IDENTITIES, Outbox, compact, errorToWire, identityFromWire, revive, type Coherence, type FromWorker, type ToWorker, type WireSession } from './wire.js';

export interface WorkerData {
  data: string;
  searchLimits?: SearchLimits;
}

/** Post a chunk once the batch reaches this many bytes; at most CREDITS chunks unacknowledged (backpressure). */
const CHUNK_BYTES = 32 * 1024;
const CREDITS = 2;

class ReadWorker {
  private readonly dir: Directory;
  private readonly service: DsaService;
  private schemaGeneration = 0;
  private readonly identities = new Map<number, Identity>();
  private readonly sessions = new Map<number, Session>();
  private readonly running = new Map<number, { controller: AbortController; sink: EncodingSink }>();
  private readonly out: Outbox<FromWorker>;

  constructor(
    private readonly port: NonNullable<typeof parentPort>,
    wd: WorkerData,
  ) {
    this.out = new Outbox<FromWorker>((batch, transfer) => port.postMessage(batch, transfer));
    // the same cache settings as the LDAP thread's (a worker inherits the environment)
    this.dir = Directory.open(wd.data, { store: { follower: true }, ...cacheOptionsFromEnv() });
    this.service = new DsaService(this.dir, wd.searchLimits ? { searchLimits: wd.searchLimits } : {});
  }

  onMessage(m: ToWorker): void {
    switch (m.t) {
      case 'search':
        void this.search(m);
        return;
      case 'ack':
        this.running.get(m.id)?.sink.credit();
        return;
      case 'abort': {
        const r = this.running.get(m.id);
        if (r && !r.controller.signal.aborted) r.controller.abort(new LdapError(m.reason.resultCode, m.reason.diagnosticMessage, m.reason.matchedDN));
        return;
      }
      case 'closed':
        this.sessions.delete(m.session);
        this.service.sessionClosed({ id: m.session } as Session);
        return;
      case 'stop':
        for (const r of this.running.values()) r.controller.abort(new LdapError(52, 'the server is shutting down'));
        void this.dir.close().finally(() => this.port.close());
        return;
    }
  }

  /** The writer's state as the request saw it: committed data, counters, schema, SD epoch. */
  private cohere(c: Coherence): void {
    this.dir.store.follow(c.store);
    if (c.schemaGeneration !== this.schemaGeneration) {
      this.dir.reloadSchema();
      this.schemaGeneration = c.schemaGeneration;
    }
    const st = accessState(this.dir);
    if (st.sdEpoch !== c.sdEpoch) st.sdEpoch = c.sdEpoch;
    followSdPropagation(this.dir, c.sdPropagationPending);
  }

  private session(w: WireSession, identity: Identity | null): Session {
    let s = this.sessions.get(w.id);
    if (!s) {
      s = { ...w, identity: null };
      this.sessions.set(w.id, s);
    }
    (s as { encrypted: boolean }).encrypted = w.encrypted;
    (s as { saslLayer?: string }).saslLayer = w.saslLayer;
    s.identity = identity;
    return s;
  }

  private identity(m: Extract<ToWorker, { t: 'search' }>): Identity | null {
    const w = m.identity;
    if (!w) return null;
    if (!('dn' in w)) {
      const known = this.identities.get(w.key);
      if (!known) throw new Error(`identity ${w.key} is not known to this worker`);
      return known;
    }
    // sent whole: new to this worker (the LDAP thread mirrors this set, see MAX_IDENTITIES)
    const id = identityFromWire(w);
    this.identities.set(w.key, id);
    if (this.identities.size > MAX_IDENTITIES) this.identities.delete(this.identities.keys().next().value!);
    return id;
  }

  private async search(m: Extract<ToWorker, { t: 'search' }>): Promise<void> {
    const controller = new AbortController();
    const sink = new EncodingSink(this.out, m.id, m.messageID, controller.signal);
    this.running.set(m.id, { controller, sink });
    let out: FromWorker;
    try {
      // the identity first: it must be taken even when the request fails, to stay in step with the LDAP thread's mirror
      const identity = this.identity(m);
      this.cohere(m.coherence);
      const ctx: OperationContext = { session: this.session(m.session, identity), controls: revive(m.controls as Control[]), signal: controller.signal, messageID: m.messageID };
      const r = await this.service.search(revive(m.req), ctx, sink);
      out = { t: 'done', id: m.id, pdus: sink.take() };
      if (r.controls) out.controls = compact(r.controls);
      if (r.diagnosticMessage !== undefined) out.diagnosticMessage = r.diagnosticMessage;
    } catch (e) {
      out = { t: 'done', id: m.id, pdus: sink.take(), error: compact(errorToWire(e)) };
    } finally {
      this.running.delete(m.id);
    }
    this.out.send(out, out.pdus ? (out.pdus.buffer as ArrayBuffer) : undefined);
  }
}

/** Encodes entries into a batch, posted in chunks; waits for the LDAP thread's acks when CREDITS chunks are in flight. */
class EncodingSink implements SearchSink {
  private readonly w = new BerWriter(CHUNK_BYTES + 4096);
  private credits = CREDITS;
  private waiting: (() => void) | undefined;
  private scheduled = false;

  constructor(
    private readonly out: Outbox<FromWorker>,
    private readonly id: number,
    private readonly messageID: number,
    private readonly signal: AbortSignal,
  ) {}

  entry(objectName: string, attributes: OutgoingAttribute[], controls?: Control[]): void | Promise<void> {
    writeMessage(this.w, { messageID: this.messageID, protocolOp: { type: 'searchResultEntry', objectName, attributes }, controls });
    return this.after();
  }

  entryEncoded(objectName: string, attributes: Buffer): void | Promise<void> {
    writeMessage(this.w, { messageID: this.messageID, protocolOp: { type: 'searchResultEntry', objectName, attributes: [], encodedAttributes: attributes } });
    return this.after();
  }

  reference(uris: string[]): void | Promise<void> {
    writeMessage(this.w, { messageID: this.messageID, protocolOp: { type: 'searchResultReference', uris } });
    return this.after();
  }

  /** The batch so far, in a buffer of its own (transferable); null when empty. */
  take(): Uint8Array | null {
    if (this.w.length === 0) return null;
    const out = new Uint8Array(this.w.length);
    out.set(this.w.toBuffer());
    this.w.reset();
    return out;
  }

  credit(): void {
    this.credits++;
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }

  private post(): void {
    const pdus = this.take();
    if (!pdus) return;
    this.credits--;
    this.out.send({ t: 'chunk', id: this.id, pdus }, pdus.buffer as ArrayBuffer);
  }

  private after(): void | Promise<void> {
    if (this.w.length >= CHUNK_BYTES) this.post();
    else if (!this.scheduled) {
      // a search that yields (SCAN_CHUNK) sends what it has found so far at its next turn
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        if (this.credits > 0) this.post();
      });
    }
    if (this.credits > 0 || this.signal.aborted) return undefined;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.signal.removeEventListener('abort', done);
        resolve();
      };
      this.waiting = done;
      this.signal.addEventListener('abort', done, { once: true });
    });
  }
}

if (parentPort) {
  const port = parentPort;
  const w = new ReadWorker(port, workerData as WorkerData);
  port.on('message', (batch: ToWorker[]) => {
    for (const m of batch) w.onMessage(m);
  });
  port.postMessage([{ t: 'ready' }] satisfies FromWorker[]);
}
