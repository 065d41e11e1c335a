/**
 * LDAP policies: the server's resource limits, one named setting each.
 *
 * The AD-defined names follow MS-ADTS 3.1.1.3.4.6 "LDAP Policies" (the
 * lDAPAdminLimits attribute of the Default Query Policy object); the rootDSE
 * lists them in supportedLDAPPolicies (MS-ADTS 3.1.1.3.2.1). Durations are in
 * seconds and sizes in bytes, as in AD; fractions of a second are accepted
 * (tests use them).
 *
 * Which layer enforces what:
 *  - the LDAP server (src/ldap/server.ts, connection.ts): MaxReceiveBuffer,
 *    InitRecvTimeout, MaxConnIdleTime, MaxQueryDuration (the operation's
 *    AbortSignal aborts with a TimeLimitExceededError), MaxConnections and
 *    the forestd-specific per-connection limits below;
 *  - the directory (src/dsa): MaxPageSize, MaxResultSetSize,
 *    MaxResultSetsPerConn, MaxValRange, MaxValRangeTransitive,
 *    MaxNotificationPerConn, MaxTempTableSize, MaxDirSyncDuration,
 *    MaxBatchReturnMessages. They live here so there is one policy object.
 */

export interface LdapPolicies {
  // ---- MS-ADTS 3.1.1.3.4.6 (AD names, AD defaults) ----
  /** Seconds the server waits for the first request on a new connection (AD default 120). */
  InitRecvTimeout: number;
  /** Concurrent connections accepted by the server (all listeners); excess ones get a busy Notice of Disconnection. */
  MaxConnections: number;
  /** Seconds a connection with no outstanding operation may stay silent before it is disconnected (AD default 900). */
  MaxConnIdleTime: number;
  /** Largest request PDU in bytes (AD default 10,485,760); larger ones end the connection with protocolError. */
  MaxReceiveBuffer: number;
  /** Seconds an operation may run before its AbortSignal aborts with timeLimitExceeded (AD default 120). */
  MaxQueryDuration: number;
  /** Largest page (and largest result batch without paging) a search returns (AD default 1000). */
  MaxPageSize: number;
  /** Bytes of paged-search state the server keeps (AD default 262,144). */
  MaxResultSetSize: number;
  /** Paged-search states kept per connection (AD default 10). */
  MaxResultSetsPerConn: number;
  /** Values of one attribute returned without range retrieval (AD default 1500). */
  MaxValRange: number;
  /** Values of one transitive-link attribute returned without range retrieval (AD default 1500). */
  MaxValRangeTransitive: number;
  /** Notification-control searches per connection (AD default 5). */
  MaxNotificationPerConn: number;
  /** Rows of the temporary table a search with a sort or complex filter may build (AD default 10,000). */
  MaxTempTableSize: number;
  /** Seconds a DirSync search may run (AD default 3600). */
  MaxDirSyncDuration: number;
  /** Entries per search response batch (AD default 1000, kept for tools that read it). */
  MaxBatchReturnMessages: number;

  // ---- forestd-specific (not in AD; not listed in supportedLDAPPolicies) ----
  /**
   * Operations one connection may have executing at once (default 64). Further
   * requests wait in the connection's queue, in arrival order.
   */
  MaxActiveOperationsPerConn: number;
  /**
   * Requests one connection may have received but not yet started (default 1024).
   * When the queue is full the server stops reading from that socket (TCP
   * backpressure) until an operation finishes: a flooding client slows itself,
   * never others, and no request is refused.
   */
  MaxPendingOperationsPerConn: number;
  /**
   * Milliseconds close() waits for connections to finish after sending the
   * Notice of Disconnection before destroying them (default 5000).
   */
  ShutdownGracePeriodMs: number;
  /**
   * Bytes of partly received request PDUs all connections together may hold
   * (default 268,435,456: 256 MiB). MaxReceiveBuffer bounds one PDU; this
   * bounds their sum, so many connections each sending a maximal PDU slowly
   * cannot exhaust memory. A connection whose next chunk would exceed the
   * budget is disconnected (adminLimitExceeded) with a log line naming it.
   */
  MaxReceiveBufferTotal: number;
  /**
   * Concurrent connections from one source address (default 1000), so that
   * one client cannot take every MaxConnections slot; excess ones get a busy
   * Notice of Disconnection naming this limit.
   */
  MaxConnectionsPerAddress: number;
}

/** AD defaults (MS-ADTS 3.1.1.3.4.6 and the Default Query Policy of Windows Server 2016+). */
export const DEFAULT_LDAP_POLICIES: Readonly<LdapPolicies> = Object.freeze({
  InitRecvTimeout: 120,
  MaxConnections: 5000,
  MaxConnIdleTime: 900,
  MaxReceiveBuffer: 10_485_760,
  MaxQueryDuration: 120,
  MaxPageSize: 1000,
  MaxResultSetSize: 262_144,
  MaxResultSetsPerConn: 10,
  MaxValRange: 1500,
  MaxValRangeTransitive: 1500,
  MaxNotificationPerConn: 5,
  MaxTempTableSize: 10_000,
  MaxDirSyncDuration: 3600,
  MaxBatchReturnMessages: 1000,
  MaxActiveOperationsPerConn: 64,
  MaxPendingOperationsPerConn: 1024,
  ShutdownGracePeriodMs: 5000,
  MaxReceiveBufferTotal: 268_435_456,
  MaxConnectionsPerAddress: 1000,
});

/** Names AD defines, in the order the rootDSE lists them (supportedLDAPPolicies). */
export const SUPPORTED_LDAP_POLICIES: readonly string[] = Object.freeze([
  'MaxPoolThreads',
  'MaxPercentDirSyncRequests',
  'MaxDatagramRecv',
  'MaxReceiveBuffer',
  'InitRecvTimeout',
  'MaxConnections',
  'MaxConnIdleTime',
  'MaxPageSize',
  'MaxBatchReturnMessages',
  'MaxQueryDuration',
  'MaxDirSyncDuration',
  'MaxTempTableSize',
  'MaxResultSetSize',
  'MinResultSets',
  'MaxResultSetsPerConn',
  'MaxNotificationPerConn',
  'MaxValRange',
  'MaxValRangeTransitive',
  'ThreadMemoryLimit',
  'SystemMemoryLimitPercent',
]);

export class LdapPolicyError extends Error {
  readonly code = 'ERR_LDAP_POLICY';
  constructor(message: string) {
    super(message);
    this.name = 'LdapPolicyError';
  }
}

/**
 * The limits set by an lDAPAdminLimits value list ("Name=Value" strings) of a
 * query policy object (MS-ADTS 3.1.1.3.4.6: the DC's own queryPolicyObject,
 * else CN=Default Query Policy,CN=Query-Policies,CN=Directory Service,
 * CN=Windows NT,CN=Services,CN=Configuration,...). Only names this server
 * enforces are taken; unknown names (MaxPoolThreads, MaxActiveQueries ...) and
 * values that are not positive integers are reported in `ignored`.
 */
export function policiesFromAdminLimits(values: readonly string[]): { policies: Partial<LdapPolicies>; ignored: string[] } {
  const policies: Partial<LdapPolicies> = {};
  const ignored: string[] = [];
  for (const v of values) {
    const eq = v.indexOf('=');
    const name = eq < 0 ? '' : v.slice(0, eq).trim();
    const num = eq < 0 ? NaN : Number(v.slice(eq + 1).trim());
    if (!(name in DEFAULT_LDAP_POLICIES) || !Number.isInteger(num) || num <= 0) {
      ignored.push(v);
      continue;
    }
    (policies as Record<string, number>)[name] = num;
  }
  return { policies, ignored };
}

/** Merges overrides onto the defaults and validates every value (positive, finite numbers). */
export function resolvePolicies(overrides: Partial<LdapPolicies> = {}): Readonly<LdapPolicies> {
  const p: LdapPolicies = { ...DEFAULT_LDAP_POLICIES };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) continue;
    if (!(k in DEFAULT_LDAP_POLICIES)) throw new LdapPolicyError(`unknown LDAP policy ${k}`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new LdapPolicyError(`LDAP policy ${k} must be a positive number, got ${String(v)}`);
    }
    (p as unknown as Record<string, number>)[k] = v;
  }
  return Object.freeze(p);
}
