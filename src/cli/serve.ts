// forestd serve: opens a provisioned data directory and serves it over LDAP, LDAPS and the
// global-catalog ports until SIGINT/SIGTERM.
import { cacheOptionsFromEnv } from '../dsa/cache-settings.js';
import { runProtectAdminGroups } from '../dsa/admin-sd-holder.js';
import { Directory } from '../dsa/directory.js';
import { DsaService } from '../dsa/service.js';
import { LdapServer, type ListenerOptions } from '../ldap/server.js';
import { CldapServer } from '../ldap/cldap.js';
import { loadOrCreateCertificate } from '../ldap/tls.js';
import { SUPPORTED_LDAP_POLICIES, policiesFromAdminLimits, resolvePolicies, type LdapPolicies } from '../ldap/policies.js';
import { stderrLogger } from '../ldap/logger.js';
import { hasOpenSslConfig, reexecWithOpenSslConfig } from './openssl.js';
import { resumeDelayedLinks, delayedLinksIdle } from '../dsa/delayed-links.js';
import { resumeSdPropagation, stopSdPropagation } from '../dsa/access/sd-propagator.js';
import { recycleExpired } from '../dsa/recycle-bin.js';
import { collectGarbage } from '../dsa/garbage-collection.js';
import type { DrsTlsListener } from '../drs/transport/tls.js';
import { subscribe } from 'node:diagnostics_channel';

export interface ServeSettings {
  data: string;
  host: string;
  ldapPort: number;
  ldapsPort: number;
  gcPort: number;
  gcsPort: number;
  /** the DRS replication listener's port (forestd's TLS transport); none when undefined */
  replPort?: number;
  /** CLDAP (UDP) port for the LDAP ping (MS-ADTS 6.3.3); AD answers on 389, the LDAP port's number */
  cldapPort: number;
  /** AD's LdapEnforceChannelBinding: 0 never check, 1 check when the client sends one, 2 require it (on TLS) */
  enforceChannelBinding?: 0 | 1 | 2;
  /** acknowledge writes at commit, before their flush to disk (benchmarks only: StoreOptions.ackBeforeFlush) */
  ackBeforeFlush?: boolean;
  /** HTTP port for /metrics and /healthz (src/metrics); off when undefined */
  httpPort?: number;
  /** processes or threads serving searches: the serving process (LDAP thread) and workers − 1 read processes or workers (src/dsa/workers); 1 (when unset) = it alone. The CLI's default: one per core (main.ts workerCount) */
  workers?: number;
  /** how the workers serve: threads behind the LDAP thread (when unset), or read processes that own their connections (src/dsa/workers/process-pool.ts; the CLI's default) */
  workerMode?: 'thread' | 'process';
}

export async function serveCommand(s: ServeSettings): Promise<void> {
  // OpenSSL settings for TLS clients that hang on TLS 1.3 session tickets (src/cli/openssl.ts)
  if (!hasOpenSslConfig()) return reexecWithOpenSslConfig();
  // the RID Master's block size (MS-ADTS 6.1.5.3: 500, AD's "RID Block Size"); tests use fewer
  const ridBlock = process.env.FORESTD_RID_BLOCK_SIZE;
  if (ridBlock !== undefined && !/^[1-9]\d{0,8}$/.test(ridBlock)) throw Object.assign(new Error(`FORESTD_RID_BLOCK_SIZE must be a positive integer, not ${JSON.stringify(ridBlock)}`), { code: 'ERR_USAGE' });
  // the name, encoded-entry and token caches' sizes (src/dsa/cache-settings.ts)
  const dir = Directory.open(s.data, { store: { ackBeforeFlush: s.ackBeforeFlush === true }, ...cacheOptionsFromEnv() });
  if (ridBlock !== undefined) dir.ridPools.blockSize = Number(ridBlock);
  // RIDs one write of rIDNextRID reserves (src/dsa/rid-set.ts RID_RESERVE); tests set 1 for a control
  const ridReserve = process.env.FORESTD_RID_RESERVE;
  if (ridReserve !== undefined && /^[1-9]\d{0,8}$/.test(ridReserve)) dir.ridPools.reserve = Number(ridReserve);
  const f = dir.forest;
  // <data>/forestd.pid while serving: `forestd restore` refuses a data directory in use
  const { markServing } = await import('./backup/serving.js');
  const unmark = markServing(s.data);
  const tls = loadOrCreateCertificate(s.data, [f.dnsHostName, f.hostname.toLowerCase(), 'localhost'], [s.host].filter((h) => /^[\d.]+$|:/.test(h)));
  let server: LdapServer | undefined;
  // metrics listen before the LDAP listeners open, so that every connection is counted
  const metrics = s.httpPort === undefined ? undefined : await metricsFor(dir);
  let stopping = false;
  const policies = resolvePolicies(queryPolicy(dir));
  // rootDSE becomeXxx (MS-ADTS 3.1.1.3.3) asks the role owner over DRS: only with a replication transport
  const roleTransfer = s.replPort === undefined ? undefined : (await import('../drs/fsmo-transfer.js')).roleTransferFor(dir);
  const service = new DsaService(dir, {
    roleTransfer,
    searchLimits: { MaxPageSize: policies.MaxPageSize, MaxValRange: policies.MaxValRange, MaxResultSetsPerConn: policies.MaxResultSetsPerConn, MaxResultSetSize: policies.MaxResultSetSize },
    ldapPolicies: () => [...SUPPORTED_LDAP_POLICIES],
    supportedExtensions: () => server?.supportedExtensions ?? [...service.supportedExtensions],
  });
  const listeners: ListenerOptions[] = [
    { host: s.host, port: s.ldapPort, name: 'ldap' },
    { host: s.host, port: s.ldapsPort, tls: true, name: 'ldaps' },
    { host: s.host, port: s.gcPort, globalCatalog: true, name: 'gc' },
    { host: s.host, port: s.gcsPort, tls: true, globalCatalog: true, name: 'gc-tls' },
  ];
  // the AdminSDHolder protection (MS-ADTS 3.1.1.6.1) once before the first client, so no client sees it half done
  const protectAdminGroups = () => runProtectAdminGroups(dir).catch((e: unknown) => console.error('forestd: AdminSDHolder protection failed:', e));
  await protectAdminGroups();
  // reads on every core: searches go to read workers over the same store (src/dsa/workers/pool.ts)
  const workers = s.workers ?? 1;
  if (process.env.FORESTD_TEST_HOOKS === '1') testHooks();
  // or read processes that own their connections (src/dsa/workers/process-pool.ts)
  const procs =
    workers > 1 && s.workerMode === 'process'
      ? await (await import('../dsa/workers/process-pool.js')).ProcessPool.start(service, { data: s.data, processes: workers - 1, searchLimits: service.searchLimits, policies, tls: { cert: String(tls.cert), key: String(tls.key) }, enforceChannelBinding: s.enforceChannelBinding ?? 1, logger: stderrLogger('info'), sharedAccept: process.env.FORESTD_SHARED_ACCEPT !== '0' })
      : undefined;
  const pool = workers > 1 && !procs ? await (await import('../dsa/workers/pool.js')).ReadPool.start(service, { data: s.data, workers: workers - 1, searchLimits: service.searchLimits }) : undefined;
  const ldapServer = new LdapServer({ directory: procs ?? pool ?? service, listeners, tls: { cert: tls.cert, key: tls.key }, policies, logger: stderrLogger('info'), enforceChannelBinding: s.enforceChannelBinding, ...(procs ? { handOff: procs } : {}) });
  server = ldapServer;
  const bound = await server.listen();
  // read processes accept on the plain listeners too, within the connection slots lent to them
  procs?.attach(ldapServer);
  const cldap = new CldapServer({ directory: service, host: s.host, port: s.cldapPort, maxQueryDuration: policies.MaxQueryDuration, logger: stderrLogger('info') });
  let cldapBound: { address: string; port: number };
  try {
    cldapBound = await cldap.listen();
  } catch (e) {
    await server.close();
    throw e;
  }
  const drs = s.replPort === undefined ? undefined : await startDrs(dir, s.host, s.replPort, tls);
  // background work of the DSA: link batches left by a delete before a restart (MS-ADTS 3.1.1.1.16),
  // and deleted-objects whose lifetime ended becoming recycled-objects (3.1.1.1.5.1), hourly
  void resumeDelayedLinks(dir).catch((e: unknown) => console.error('forestd: delayed link processing failed:', e));
  // and an SD propagation a restart interrupted (MS-ADTS 3.1.1.6.3), from where it stopped
  void resumeSdPropagation(dir).catch((e: unknown) => console.error('forestd: security descriptor propagation failed:', e));
  const recycler = setInterval(
    () =>
      void recycleExpired(dir)
        .then(() => collectGarbage(dir))
        .catch((e: unknown) => console.error('forestd: recycling or garbage collection failed:', e)),
    3600_000,
  );
  recycler.unref();
  // SDProp's AdminSDHolder protection (MS-ADTS 3.1.1.6.1): hourly (the first run is before listening)
  setInterval(() => void protectAdminGroups(), 3600_000).unref();
  let http: import('../metrics/http.js').MetricsHttpServer | undefined;
  if (metrics) {
    const { MetricsHttpServer } = await import('../metrics/http.js');
    const started = Date.now();
    const { WebConsole } = await import('../console/console.js');
    http = new MetricsHttpServer({ host: s.host, port: s.httpPort!, metrics, console: new WebConsole({ dir, service }), health: () => ({ ok: !stopping, dnsHostName: f.dnsHostName, usn: dir.store.highestCommittedUsn, uptimeSeconds: Math.round((Date.now() - started) / 1000) }) });
    const a = await http.listen();
    console.log(`listening http http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`);
  }
  for (const b of bound) {
    const host = b.family === 'IPv6' ? `[${b.address}]` : b.address;
    console.log(`listening ${b.name} ${b.tls ? 'ldaps' : 'ldap'}://${host}:${b.port}`);
  }
  if (drs) console.log(`listening drs drs://${drs.address.includes(':') ? `[${drs.address}]` : drs.address}:${drs.port}`);
  console.log(`listening cldap udp://${cldapBound.address}:${cldapBound.port}`);
  const ldap = bound.find((b) => b.name === 'ldap')!;
  console.log(`forestd: serving ${f.realm} (${f.domainDN}) as ${f.dnsHostName}`);
  console.log(`  workers: ${procs ? `${workers} processes (this one, the writer, and ${procs.processCount} read process${procs.processCount === 1 ? '' : 'es'})` : pool ? `${workers} threads (the LDAP thread and ${workers - 1} read workers)` : '1 (this process alone)'}; --workers N to change`);
  console.log(`  try: ldapsearch -H ldap://${ldap.address}:${ldap.port} -x -D 'Administrator@${f.realm}' -w "$(cat ${s.data}/admin-password)" -b '${f.domainDN}' '(objectClass=user)' sAMAccountName`);
  if (tls.created) console.log(`  TLS: made a self-signed certificate in ${tls.certPath}`);
  console.log('ready');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // started by reexecWithOpenSslConfig: stop with the launching process
    if (process.channel) {
      process.once('disconnect', stop);
      process.channel.unref();
    }
  });
  stopping = true;
  clearInterval(recycler);
  await drs?.replicator.stop();
  await drs?.listener.close();
  await http?.close();
  metrics?.close();
  await cldap.close();
  await server.close();
  await pool?.close();
  await procs?.close();
  await delayedLinksIdle(dir);
  await stopSdPropagation(dir); // the queue stays: the next start resumes it
  await dir.close();
  unmark();
}

/**
 * The LDAP limits of the Default Query Policy object's lDAPAdminLimits (MS-ADTS 3.1.1.3.4.6),
 * read once at start: a change takes effect at the next start. Names serve does not enforce
 * are ignored.
 */
function queryPolicy(dir: Directory): Partial<LdapPolicies> {
  const r = dir.store.snapshot();
  try {
    const dn = `CN=Default Query Policy,CN=Query-Policies,CN=Directory Service,CN=Windows NT,CN=Services,${dir.forest.configDN}`;
    const res = dir.tryResolve(r, dn);
    if (!res.found) return {};
    const info = dir.schema.attr('lDAPAdminLimits')!;
    const values = (r.getObject(res.guid)?.attrs.find((a) => a.id === info.id)?.values ?? []).map((v) => (typeof v === 'string' ? v : Buffer.from(v as Uint8Array).toString('utf8')));
    // names serve does not enforce (MaxPoolThreads, MaxDatagramRecv, MaxActiveQueries of the
    // provisioned object) are left alone, silently: they are AD's and harmless
    return policiesFromAdminLimits(values).policies;
  } finally {
    r.done();
  }
}

/**
 * The DRS listener (src/drs): IDL_DRSBind, IDL_DRSGetNCChanges, … as NDR stubs over TLS, the
 * peers authenticated by their machine accounts (src/drs/transport/auth.ts).
 */
async function startDrs(dir: Directory, host: string, port: number, material: { cert: string | Buffer; key: string | Buffer }): Promise<{ listener: DrsTlsListener; address: string; port: number; replicator: import('../drs/replicator.js').Replicator }> {
  const [{ DrsServer }, { DrsTlsListener }, { drsHandlersFor }, { ensureMachinePassword, machineAccountCredentials }, { Replicator, publishAddress }] = await Promise.all([
    import('../drs/server.js'),
    import('../drs/transport/tls.js'),
    import('../drs/handlers.js'),
    import('../drs/machine-account.js'),
    import('../drs/replicator.js'),
  ]);
  await ensureMachinePassword(dir);
  let replicator: import('../drs/replicator.js').Replicator | undefined;
  const listener = new DrsTlsListener({
    server: new DrsServer(
      drsHandlersFor(dir, {
        replicaSync: (acct, dsa, addr, nc) => (replicator ? replicator.onReplicaSync(acct, dsa, addr, nc) : Promise.resolve(0x00002104)),
        adminReplicaSync: async (m, acct) => (replicator ? (await import('../drs/repl-sync.js')).serveAdminReplicaSync(replicator, m, acct) : 0x00002104),
        adminReplicaDel: async (m) => (replicator ? (await import('../drs/replica-del.js')).serveReplicaDel(replicator, m) : 0x00002104),
      }),
    ),
    credentials: machineAccountCredentials(dir),
    tls: material,
    onError: (e, peer) => console.error(`forestd: drs connection from ${peer}: ${e.message}`),
  });
  const a = await listener.listen(host, port);
  // the address the partners reach: the listening one, or this DC's DNS name when it listens on all addresses
  const reach = a.address === '0.0.0.0' || a.address === '::' ? dir.forest.dnsHostName : a.address;
  const address = `${reach.includes(':') ? `[${reach}]` : reach}:${a.port}`;
  await publishAddress(dir, address);
  replicator = new Replicator(dir, {
    address,
    ...(process.env.FORESTD_REPL_PERIOD_MS ? { periodMs: Number(process.env.FORESTD_REPL_PERIOD_MS) } : {}),
    // MS-ADTS 3.1.1.5.1.6 first and subsequent notification delays, ms: "FIRST,SUBSEQUENT"
    ...notifyDelays(process.env.FORESTD_REPL_NOTIFY_MS),
    // AD's "Strict Replication Consistency" registry value: 0 turns the tombstone lifetime check off
    ...(process.env.FORESTD_STRICT_REPLICATION_CONSISTENCY === '0' ? { strictReplicationConsistency: false } : {}),
    onError: (e, p) => console.error(`forestd: replication with ${p.account} (${p.address}): ${e.message}`),
    onKccError: (e) => console.error(`forestd: kcc: ${e.message}`),
    onRidError: (e) => console.error(`forestd: ${e.message}`),
    noRidRequests: process.env.FORESTD_RID_REQUESTS === 'off',
  });
  replicator.start();
  // a DC without RIDs (just joined: its first pool comes once the RID Master knows its nTDSDSA
  // object) waits a while for its first block before it says it is ready
  if (!replicator.rids.hasRids() && process.env.FORESTD_RID_REQUESTS !== 'off' && !(await replicator.rids.untilRids(30_000))) console.error('forestd: no RID pool from the RID Master yet: creating security principals fails until one arrives');
  return { listener, address: a.address, port: a.port, replicator };
}

function notifyDelays(v: string | undefined): { firstDelayMs?: number; subsequentDelayMs?: number } {
  const [first, next] = (v ?? '').split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
  return { ...(Number.isFinite(first) && first! >= 0 ? { firstDelayMs: first } : {}), ...(Number.isFinite(next) && next! >= 0 ? { subsequentDelayMs: next } : {}) };
}

/**
 * FORESTD_TEST_HOOKS=1: events the integration tests wait on (instead of sleeping), one line on
 * stdout each: `hook <channel> <json>`.
 */
function testHooks(): void {
  for (const name of ['forestd:dsa:read-process-started', 'forestd:dirsync:notify', 'forestd:ldap:backpressure', 'forestd:repl:applied', 'forestd:repl:notify', 'forestd:repl:update-refs', 'forestd:repl:departed', 'forestd:rid:pool', 'forestd:rid:settled']) {
    subscribe(name, (m) => console.log(`hook ${name} ${JSON.stringify(m)}`));
  }
  // a session's first search in a read worker (not every search: benchmarks run with the hooks on)
  const seen = new Set<string>();
  // where a connection goes after a search a read process would answer (process 0: the writer keeps it), once per session and process
  subscribe('forestd:dsa:hand-off', (m) => {
    const { process: p, session } = m as { process: number; session: number };
    const key = `hand-off ${p}/${session}`;
    if (seen.has(key)) return;
    seen.add(key);
    console.log(`hook forestd:dsa:hand-off ${JSON.stringify(m)}`);
  });
  subscribe('forestd:dsa:read-worker', (m) => {
    const { worker, session } = m as { worker: number; session: number };
    const key = `${worker}/${session}`;
    if (seen.has(key)) return;
    seen.add(key);
    console.log(`hook forestd:dsa:read-worker ${JSON.stringify(m)}`);
  });
}

/** The metrics of this DC: the store's readings and its inbound replication partners (repsFrom). */
async function metricsFor(dir: Directory): Promise<import('../metrics/collector.js').MetricsCollector> {
  const { MetricsCollector } = await import('../metrics/collector.js');
  const { replShow } = await import('./repl-show.js');
  return new MetricsCollector({
    store: dir.store,
    replication: () =>
      replShow(dir).ncs.flatMap((nc) =>
        nc.inbound.map((n) => ({ nc: nc.nc, partner: n.pszSourceDsaDN, lastSuccess: n.ftimeLastSyncSuccess, lastAttempt: n.ftimeLastSyncAttempt, lastResult: n.dwLastSyncResult, consecutiveFailures: n.cNumConsecutiveSyncFailures, usnSynced: n.usnLastObjChangeSynced })),
      ),
  });
}
