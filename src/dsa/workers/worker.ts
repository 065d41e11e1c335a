// A read worker (node:worker_threads): its own Directory over the store of the serving process,
// opened as a follower (same LMDB environment, its own read transactions, never a write), and
// a DsaService that answers the searches the LDAP thread hands it (pool.ts). Entries are encoded
// here, as whole SearchResultEntry PDUs under the request's messageID, so the LDAP thread only
// copies bytes to the socket.
import { cacheOptionsFromEnv } from '../cache-settings.js';
import { parentPort, workerData } from 'node:worker_threads';
import { Directory } from '../directory.js';
import { DsaService } from '../service.js';
import type { Control } from '../../ldap/protocol/messages.js';
import { EncodingSink } from './encoding-sink.js';
import { LdapError } from '../../ldap/protocol/result-codes.js';
import type { Identity, OperationContext, Session } from '../api.js';
import { accessState } from '../access/access.js';
import { followSdPropagation } from '../access/sd-propagator.js';
import type { SearchLimits } from '../search/search.js';
import { MAX_IDENTITIES, Outbox, compact, errorToWire, identityFromWire, revive, type Coherence, type FromWorker, type ToWorker, type WireSession } from './wire.js';

export interface WorkerData {
  data: string;
  searchLimits?: SearchLimits;
}

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
    const sink = new EncodingSink((pdus) => this.out.send({ t: 'chunk', id: m.id, pdus }, pdus.buffer as ArrayBuffer), m.messageID, controller.signal);
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

if (parentPort) {
  const port = parentPort;
  const w = new ReadWorker(port, workerData as WorkerData);
  port.on('message', (batch: ToWorker[]) => {
    for (const m of batch) w.onMessage(m);
  });
  port.postMessage([{ t: 'ready' }] satisfies FromWorker[]);
}
