// The DC's metrics, fed by the diagnostics_channel events the layers publish (they cost nothing
// while nobody subscribes), and by a few readings taken at each scrape (USN, store size).
//
// The channels are process-wide: one MetricsCollector counts every LDAP server of the process,
// which for `forestd serve` (one DC per process) is the DC.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../store/store.js';
import { CollectedGauge, Counter, Gauge, Histogram, Registry } from './registry.js';
import type { ConnectionEvent, OperationEvent, BytesEvent } from '../ldap/logger.js';
import type { SearchDiagnostics } from '../dsa/search/search.js';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** 'searchRequest' → 'search', 'extendedReq' → 'extended' */
function opName(t: string): string {
  return t.replace(/Request$|Req$/, '');
}

/** One inbound replication partner of one NC, as repsFrom says (MS-DRSR 5.172 REPS_FROM; DS_REPL_NEIGHBORW). */
export interface ReplPartnerSample {
  nc: string;
  /** the partner's nTDSDSA DN */
  partner: string;
  /** FILETIMEs (100 ns since 1601); 0 for never */
  lastSuccess: bigint;
  lastAttempt: bigint;
  /** Win32 error of the last attempt, 0 for success */
  lastResult: number;
  consecutiveFailures: number;
  /** the partner's USN this DC has replicated up to */
  usnSynced: bigint;
}

export interface CollectorOptions {
  store?: Store;
  /** the inbound replication partners, read at each scrape */
  replication?: () => ReplPartnerSample[];
}

/** A FILETIME as Unix seconds (0 stays 0: never). */
const unixSeconds = (ft: bigint) => (ft === 0n ? 0 : Number(ft / 10_000n - 11_644_473_600_000n) / 1000);

export class MetricsCollector {
  readonly registry = new Registry();
  private readonly subs: [string, (m: unknown) => void][] = [];
  private readonly dirSyncSessions = new Set<number>();

  readonly operations: Counter;
  readonly latency: Histogram;
  readonly connections: Gauge;
  readonly connectionsTotal: Counter;
  readonly bytes: Counter;
  readonly searches: Counter;
  readonly examined: Counter;
  readonly notifications: Gauge;
  readonly dirSyncRequests: Counter;
  readonly dirSyncClients: Gauge;
  readonly storeWrites: Histogram;
  readonly errors: Counter;

  constructor(o: CollectorOptions = {}) {
    const r = this.registry;
    const store = o.store;
    this.operations = r.register(new Counter('forestd_ldap_operations_total', 'LDAP operations finished, by operation and LDAP result code (-1: no response sent: abandoned or connection gone).', ['op', 'result_code']));
    this.latency = r.register(new Histogram('forestd_ldap_operation_duration_seconds', 'Time from an LDAP request being read to its response being queued, by operation.', ['op'], LATENCY_BUCKETS));
    this.connections = r.register(new Gauge('forestd_ldap_connections', 'LDAP connections open now.'));
    this.connectionsTotal = r.register(new Counter('forestd_ldap_connections_total', 'LDAP connections accepted (event open) or refused (MaxConnections).', ['event']));
    this.bytes = r.register(new Counter('forestd_ldap_bytes_total', 'Bytes read from and written to LDAP sockets (after TLS).', ['direction']));
    this.errors = r.register(new Counter('forestd_ldap_errors_total', 'Connection-level errors by kind (protocol, internal, socket).', ['kind']));
    this.searches = r.register(new Counter('forestd_searches_total', 'Directory searches by the candidate plan used: the index (or "walk" for a scan of the scope, "base" for a base read).', ['plan']));
    this.examined = r.register(new Counter('forestd_search_objects_examined_total', 'Objects read from the store and considered by searches.'));
    this.notifications = r.register(new Gauge('forestd_notification_subscribers', 'Live LDAP_SERVER_NOTIFICATION_OID searches (change notification subscriptions).'));
    this.dirSyncRequests = r.register(new Counter('forestd_dirsync_requests_total', 'DirSync (LDAP_SERVER_DIRSYNC_OID / _EX_OID) search requests.', ['control']));
    this.dirSyncClients = r.register(new Gauge('forestd_dirsync_subscribers', 'Open connections that have issued a DirSync request (clients following changes).'));
    this.storeWrites = r.register(new Histogram('forestd_store_write_duration_seconds', 'Time of one originating update\'s store transaction, to the flush.', [], LATENCY_BUCKETS));
    if (store) {
      r.register(new Gauge('forestd_usn', 'The highest USN of an update durable on this DC (the rootDSE\'s highestCommittedUSN, MS-ADTS 3.1.1.3.2).', [], () => store.highestCommittedUsn));
      r.register(new Gauge('forestd_store_size_bytes', 'Size of the LMDB data file (data.mdb).', [], () => {
        try {
          return statSync(join(store.path, 'data.mdb')).size;
        } catch {
          return 0;
        }
      }));
    }
    if (o.replication) {
      const read = o.replication;
      // one read of the partners per scrape, shared by the families below
      let cache: { at: number; rows: ReplPartnerSample[] } | undefined;
      const rows = () => {
        const now = performance.now();
        if (!cache || now - cache.at > 1000) cache = { at: now, rows: read() };
        return cache.rows;
      };
      const fam = (name: string, help: string, f: (s: ReplPartnerSample) => number) =>
        r.register(new CollectedGauge(name, help, ['nc', 'partner'], () => rows().map((s) => [{ nc: s.nc, partner: s.partner }, f(s)] as [Record<string, string>, number])));
      fam('forestd_repl_last_success_timestamp_seconds', 'When inbound replication from the partner last succeeded (Unix time; 0: never).', (s) => unixSeconds(s.lastSuccess));
      fam('forestd_repl_last_attempt_timestamp_seconds', 'When inbound replication from the partner was last attempted (Unix time; 0: never).', (s) => unixSeconds(s.lastAttempt));
      fam('forestd_repl_last_result', 'The Win32 error of the last inbound replication attempt from the partner (0: success).', (s) => s.lastResult);
      fam('forestd_repl_consecutive_failures', 'Inbound replication attempts from the partner that failed in a row.', (s) => s.consecutiveFailures);
      fam('forestd_repl_usn_synced', "The partner's USN up to which this DC has replicated the NC.", (s) => Number(s.usnSynced));
      fam('forestd_repl_lag_seconds', 'Seconds since inbound replication from the partner last succeeded (-1: never).', (s) => (s.lastSuccess === 0n ? -1 : Math.max(0, Date.now() / 1000 - unixSeconds(s.lastSuccess))));
    }
    r.register(new Gauge('forestd_process_resident_memory_bytes', 'Resident set size of the process.', [], () => process.memoryUsage.rss()));

    this.on('forestd:ldap:operation', (m) => {
      const e = m as OperationEvent;
      const op = opName(e.op);
      this.operations.inc({ op, result_code: String(e.resultCode) });
      this.latency.observe(e.durationMs / 1000, { op });
    });
    this.on('forestd:ldap:connection', (m) => {
      const e = m as ConnectionEvent;
      if (e.event === 'open') {
        this.connections.add(1);
        this.connectionsTotal.inc({ event: 'open' });
      } else if (e.event === 'close') {
        this.connections.add(-1);
        if (this.dirSyncSessions.delete(e.connectionId)) this.dirSyncClients.set(this.dirSyncSessions.size);
      } else if (e.event === 'refused') this.connectionsTotal.inc({ event: 'refused' });
    });
    this.on('forestd:ldap:bytes', (m) => {
      const e = m as BytesEvent;
      this.bytes.inc({ direction: e.direction }, e.bytes);
    });
    this.on('forestd:ldap:error', (m) => this.errors.inc({ kind: (m as { kind: string }).kind }));
    this.on('forestd:dsa:search', (m) => {
      const e = m as SearchDiagnostics;
      this.searches.inc({ plan: e.plan });
      this.examined.inc({}, e.examined);
    });
    this.on('forestd:dirsync:notify', (m) => {
      const e = m as { event: string; session: number };
      this.notifications.add(e.event === 'subscribe' ? 1 : -1);
    });
    this.on('forestd:dirsync:request', (m) => {
      const e = m as { session: number; ex: boolean };
      this.dirSyncRequests.inc({ control: e.ex ? 'dirsync_ex' : 'dirsync' });
      this.dirSyncSessions.add(e.session);
      this.dirSyncClients.set(this.dirSyncSessions.size);
    });
    this.on('forestd:store:write', (m) => this.storeWrites.observe((m as { ms: number }).ms / 1000));
  }

  private on(name: string, fn: (m: unknown) => void): void {
    subscribe(name, fn);
    this.subs.push([name, fn]);
  }

  render(): string {
    return this.registry.render();
  }

  /** Stops listening (the events cost nothing again). */
  close(): void {
    for (const [name, fn] of this.subs) unsubscribe(name, fn);
    this.subs.length = 0;
  }
}
