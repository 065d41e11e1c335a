// npm run bench:ldap — forestd against OpenLDAP's slapd, same machine, same run, same load.
//
// Installs its tools (bench/ldap/install-tools.sh: ldclt from Debian's 389-ds-base package,
// Debian's slapd without a system instance), then:
//   - OpenLDAP: its own slapd.conf in a temporary directory (back-mdb, durable writes, equality
//     indexes on objectClass, uid/cn, member, mail), 10,000 inetOrgPerson users and 200
//     groupOfNames of 50 members loaded with slapadd, served on 127.0.0.21;
//   - forestd: `forestd provision`, `forestd serve` on 127.0.0.1, then the same 10,000 users as AD
//     users (objectClass user, sAMAccountName, userPrincipalName, unicodePwd, userAccountControl
//     512) and 200 groups of 50 members, added over LDAPS (pipelined, several connections);
// and runs ldclt against both, interleaved case by case (A/B, then B/A): indexed equality
// subtree search below the NC head, base-object read, simple bind of random users (a new
// connection each), modify of a random user, add of user objects; at concurrency 1, 8 and 32.
// Then a latency probe (bench/lib/latprobe.ts) for p50/p99. Server CPU per operation comes from
// /proc/<pid>/stat. Prints a table with the ratio forestd/OpenLDAP per case and writes it, with
// the raw ldclt logs, to a directory under the system's temporary directory (printed at the end).
//
// Environment: BENCH_DURATION=6 (s measured per run) BENCH_SAMPLE=2 (ldclt sample, s; one more
// sample is run first as warm-up and dropped) BENCH_CONC=1,8,32 BENCH_CASES=search,read,bind,modify,add
// BENCH_LAT_SECS=2 (probe per case and concurrency; 0 = no probe) BENCH_USERS=10000 (numbers
// 1000..9999 are used by the cases: keep >= 10000) BENCH_ATTRS=cn,sn,givenName,displayName,mail,description
// (returned by search/read; empty = all user attributes) BENCH_BIND=dn|upn (forestd user binds)
// BENCH_CPU_PROF=1 (forestd runs with --cpu-prof; the profile's top functions are printed)
// BENCH_WARM=1 (before the runs, each server reads every user the cases pick once, with the cases'
// attribute list, so that both are measured warm — OpenLDAP's page cache and entry cache, forestd's
// caches — rather than in a first case that warms them; with the bind case, every user also binds
// once, as in a domain in use (forestd's first logon of an account writes lastLogonTimestamp);
// 0 = no warm pass, the cold figures)
// FORESTD_WORKERS=N (forestd serves searches in N processes or threads, `serve --workers N`; default one per core; the environment reaches serve)
// FORESTD_WORKER_MODE=thread|process (`serve --worker-mode`: read threads, or read processes that own their connections)
// BENCH_FORESTD_MODES=1,2:process (forestd under several worker settings in the same run, WORKERS[:MODE] each,
// serve restarted on the same data between them; default: serve's own, FORESTD_WORKERS (one per core) and FORESTD_WORKER_MODE (process))
// forestd's CPU is that of the serving process and all its descendants (read processes).
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { workerCount, workerMode } from '../src/cli/main.js';
import { BenchClient } from './lib/client.js';
import { startForestd, startSlapd, installTools, ssha, cpuByPid, cpuDelta, treePids, machineTicks, busyPct, waitQuiet, cleanupAll, benchTempDir } from './lib/servers.js';
import { bulkLoad, adOus, adUsers, adGroups, openldapLdif, logonPass as bindEveryUser, USER_PASSWORD, type DataSet } from './lib/load.js';
import { CASES, fill, ldcltArgs, runLdclt, type CaseName, type Target, type LdcltResult } from './lib/ldclt.js';
import { probe, caseOp, checkResponse, type ProbeResult } from './lib/latprobe.js';
import { topFunctions } from './lib/cpuprofile.js';

const env = process.env;
const DURATION = Number(env.BENCH_DURATION ?? 6);
const SAMPLE = Number(env.BENCH_SAMPLE ?? 2);
const SAMPLES = Math.max(1, Math.round(DURATION / SAMPLE));
const CONC = (env.BENCH_CONC ?? '1,8,32').split(',').map(Number);
const RUN_CASES = (env.BENCH_CASES ?? CASES.join(',')).split(',') as CaseName[];
const LAT_SECS = Number(env.BENCH_LAT_SECS ?? 2);
const DATA: DataSet = { users: Number(env.BENCH_USERS ?? 10_000), groups: 200, groupSize: 50 };
const ATTRS = env.BENCH_ATTRS ?? 'cn,sn,givenName,displayName,mail,description';
const BIND = env.BENCH_BIND ?? 'dn';
const CPU_PROF = env.BENCH_CPU_PROF === '1';
/** forestd's worker settings to compare in this run (`serve --workers N --worker-mode M`) */
interface Mode {
  workers: number;
  mode: 'thread' | 'process';
}
// unset: what `forestd serve` does by default (cli/main.ts workerCount, workerMode): one worker per core, read processes
const MODES: Mode[] = (env.BENCH_FORESTD_MODES ?? `${workerCount(env.FORESTD_WORKERS)}:${workerMode(env.FORESTD_WORKER_MODE)}`).split(',').map((x) => {
  const [w, m] = x.split(':');
  const mode = m || 'process';
  if (!/^[1-9]\d*$/.test(w ?? '') || (mode !== 'thread' && mode !== 'process')) throw new Error(`BENCH_FORESTD_MODES: ${JSON.stringify(x)} is not WORKERS[:thread|process]`);
  return { workers: Number(w), mode };
});
const modeLabel = (m: Mode) => (m.workers === 1 ? 'w=1' : `w=${m.workers} ${m.mode}`);
if (new Set(MODES.map(modeLabel)).size !== MODES.length) throw new Error(`BENCH_FORESTD_MODES names a setting twice: ${env.BENCH_FORESTD_MODES}`);
const LOW = 1000;
const HIGH = 9999;
if (DATA.users <= HIGH) throw new Error(`BENCH_USERS must be > ${HIGH}: the cases pick users ${LOW}..${HIGH}`);

const started = performance.now();
const out = mkdtempSync(join(tmpdir(), 'forestd-bench-ldap-results-'));
mkdirSync(join(out, 'raw'));
const work = benchTempDir('forestd-bench-ldap-');
const lines: string[] = [];
const log = (s = '') => {
  console.log(s);
  lines.push(s);
};

console.log('== tools');
const ldclt = installTools();

// ---------------------------------------------------------------- OpenLDAP
console.log('== OpenLDAP (slapd, back-mdb, durable) on 127.0.0.21');
const suffix = 'dc=example,dc=com';
const slapd = await startSlapd({
  host: '127.0.0.21',
  suffix,
  rootDN: `cn=admin,${suffix}`,
  rootPW: 'BenchAdmin1',
  ldif: openldapLdif(suffix, 'example.com', DATA, ssha),
  indexes: ['objectClass eq', 'uid,cn eq', 'member eq', 'mail eq'],
});
console.log(`  slapadd: ${DATA.users} users + ${DATA.groups} groups in ${slapd.loadSeconds.toFixed(1)} s; serving ${slapd.url} (pid ${slapd.pid})`);

// ---------------------------------------------------------------- forestd
console.log('== forestd on 127.0.0.1');
// serve takes its worker settings from the environment (restarted for each mode in MODES)
let current = MODES[0]!;
env.FORESTD_WORKERS = String(current.workers);
env.FORESTD_WORKER_MODE = current.mode;
const fd = await startForestd({ host: '127.0.0.1' });
console.log(`  provision: ${fd.provisionSeconds.toFixed(2)} s; serving ${fd.url} (pid ${fd.pid})`);
const adminTls = async () => {
  const c = await BenchClient.openTls(fd.host, fd.ldapsPort);
  const rc = await c.bind(fd.adminDN, fd.adminPassword);
  if (rc !== 0) throw new Error(`forestd: bind as ${fd.adminDN} over LDAPS -> result ${rc}`);
  return c;
};
await bulkLoad(adOus(fd.baseDN), { label: 'forestd OUs', total: 3, connections: 1, inFlight: 1, open: adminTls });
const uS = await bulkLoad(adUsers(fd.baseDN, fd.realm, DATA), { label: 'forestd users (LDAPS)', total: DATA.users, connections: 4, inFlight: 16, open: adminTls });
const gS = await bulkLoad(adGroups(fd.baseDN, DATA), { label: `forestd groups of ${DATA.groupSize}`, total: DATA.groups, connections: 4, inFlight: 4, open: adminTls });
const serveArgs = CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', join(out, 'cpuprofile')] : [];
if (CPU_PROF) {
  // profile the cases only: serve again, on the loaded data, under the profiler
  await fd.restart(serveArgs);
  console.log(`  restarted under --cpu-prof: ${fd.url} (pid ${fd.pid})`);
}
/** forestd serving with mode m (restarted on the same data when another one serves). */
async function useMode(m: Mode): Promise<void> {
  if (m.workers === current.workers && m.mode === current.mode) return;
  env.FORESTD_WORKERS = String(m.workers);
  env.FORESTD_WORKER_MODE = m.mode;
  await fd.restart(serveArgs);
  current = m;
  console.log(`  forestd serving with ${modeLabel(m)}: ${fd.url} (pid ${fd.pid})`);
  // a restart empties the caches the warm pass filled
  if (WARM) await warmPass(forestds.find((t) => t.mode === m)!, warmConnections(m));
}
const loadLine = `forestd load over LDAPS: ${DATA.users} users in ${uS.toFixed(1)} s (${Math.round(DATA.users / uS)} adds/s), ${DATA.groups} groups of ${DATA.groupSize} in ${gS.toFixed(1)} s; OpenLDAP slapadd ${slapd.loadSeconds.toFixed(1)} s`;

// ---------------------------------------------------------------- targets
const forestdTarget = (m: Mode): Target & { mode: Mode } => ({
  name: MODES.length === 1 ? 'forestd' : `forestd[${modeLabel(m)}]`,
  mode: m,
  // serve's address changes with each restart
  get url() {
    return fd.url;
  },
  host: fd.host,
  get port() {
    return fd.port;
  },
  pids: () => treePids(fd.pid),
  bindDN: fd.adminDN,
  bindPW: fd.adminPassword,
  searchBase: `OU=Bench,${fd.baseDN}`,
  filterAttr: 'sAMAccountName',
  userRdn: 'CN=user{N}',
  userBase: `OU=Bench,${fd.baseDN}`,
  userBind: BIND === 'upn' ? `user{N}@${fd.realm}` : `CN=user{N},OU=Bench,${fd.baseDN}`,
  userPW: USER_PASSWORD,
  addBase: `OU=Adds,${fd.baseDN}`,
  addTemplate: 'objectClass: user\ndescription: added by ldclt [RNDN(0;999999;6)]\n',
  addAttrs: { objectClass: ['user'], description: ['added by the probe'] },
  low: LOW,
  high: HIGH,
});
const forestds = MODES.map(forestdTarget);
const openldap: Target = {
  name: 'OpenLDAP',
  url: slapd.url,
  host: slapd.host,
  port: slapd.port,
  pids: () => [slapd.pid],
  bindDN: slapd.rootDN,
  bindPW: slapd.rootPW,
  searchBase: `ou=bench,${suffix}`,
  filterAttr: 'uid',
  userRdn: 'uid=user{N}',
  userBase: `ou=bench,${suffix}`,
  userBind: `uid=user{N},ou=bench,${suffix}`,
  userPW: USER_PASSWORD,
  addBase: `ou=adds,${suffix}`,
  addTemplate: 'objectclass: inetOrgPerson\nsn: bench add [RNDN(0;99999;5)]\ndescription: added by ldclt [RNDN(0;999999;6)]\n',
  addAttrs: { objectClass: ['inetOrgPerson'], sn: ['bench add'], description: ['added by the probe'] },
  low: LOW,
  high: HIGH,
};
const targets: Target[] = [...forestds, openldap];
const modeOf = (t: Target): Mode | undefined => (t as { mode?: Mode }).mode;
const templateFile = (t: Target) => join(work, `add-${t.name}.tmpl`);
for (const t of targets) writeFileSync(templateFile(t), t.addTemplate);

// ---------------------------------------------------------------- preflight: every case once, by hand
/** target/case -> why the case cannot run (the request and its result) */
const broken = new Map<string, string>();
const attrList = ATTRS ? ATTRS.split(',') : [];
for (const t of targets) {
  const c = await BenchClient.open(t.host, t.port).catch((e: Error) => {
    throw new Error(`${t.name}: cannot connect to ${t.url}: ${e.message}`);
  });
  const rc = await c.bind(t.bindDN, t.bindPW);
  if (rc !== 0) throw new Error(`${t.name}: bind as ${t.bindDN} -> result ${rc}`);
  for (const cs of RUN_CASES) {
    const edge: Target[] = [{ ...t, high: t.low }, { ...t, low: t.high }]; // the ends of the key range
    let seq = 0;
    for (const e of edge) {
      const op = caseOp(e, cs, attrList, () => `pf${t.name.toLowerCase().slice(0, 2)}${seq++}`);
      let err: string | undefined;
      if (cs === 'bind') {
        const b = await BenchClient.open(t.host, t.port);
        err = checkResponse(cs, op, await b.request(op));
        b.unbind();
      } else {
        err = checkResponse(cs, op, await c.request(op));
        if (!err && cs === 'add' && op.type === 'addRequest') await c.request({ type: 'delRequest', entry: op.entry });
      }
      if (err) {
        broken.set(`${t.name}/${cs}`, err);
        console.log(`  preflight ${t.name} ${cs}: ${err}`);
        break;
      }
    }
  }
  c.unbind();
}

// ---------------------------------------------------------------- warm pass: both servers read every user once
const WARM = env.BENCH_WARM !== '0' && (RUN_CASES.includes('search') || RUN_CASES.includes('read') || RUN_CASES.includes('bind'));
/**
 * Reads every user the cases pick once, with the cases' attribute list, over `connections`
 * connections one after the other (forestd's read processes each keep their own caches). The
 * connections are all open and bound first: in process mode a connection moves after its first
 * search to the read process with the fewest connections when that evens the load (at least two
 * fewer than the writer: ProcessPool.target), so with all of them open the first goes to one read
 * process, the next to another, the last stays with the writer: one pass per process.
 */
/**
 * Connections of the warm pass: one per process with read threads or the hand-off alone; with
 * shared accept (process mode) the kernel picks the process of each connection, so twice as
 * many, for each process to get one (the writer evens out what it accepted by moving it).
 */
function warmConnections(m: Mode): number {
  return m.mode === 'process' && m.workers > 1 ? 2 * m.workers : m.workers;
}

async function warmPass(t: Target, connections: number): Promise<void> {
  if (RUN_CASES.includes('search') || RUN_CASES.includes('read')) await readPass(t, connections);
  if (RUN_CASES.includes('bind')) await logonPass(t);
}

async function readPass(t: Target, connections: number): Promise<void> {
  const s = performance.now();
  const open: BenchClient[] = [];
  for (let k = 0; k < connections; k++) {
    const c = await BenchClient.open(t.host, t.port);
    const rc = await c.bind(t.bindDN, t.bindPW);
    if (rc !== 0) throw new Error(`${t.name}: bind as ${t.bindDN} -> result ${rc}`);
    open.push(c);
  }
  for (const c of open) {
    const WINDOW = 32;
    for (let n = LOW; n <= HIGH; n += WINDOW) {
      const batch: Promise<unknown>[] = [];
      for (let i = n; i < Math.min(n + WINDOW, HIGH + 1); i++) {
        const op = caseOp({ ...t, low: i, high: i }, 'read', attrList, () => 'warm');
        batch.push(c.request(op).then((r) => {
          const err = checkResponse('read', op, r);
          if (err) throw new Error(`${t.name}: warm pass: ${err}`);
        }));
      }
      await Promise.all(batch);
    }
    c.unbind();
  }
  console.log(`  warm pass ${t.name}: ${HIGH - LOW + 1} users read ${connections > 1 ? `on ${connections} connections ` : ''}in ${((performance.now() - s) / 1000).toFixed(1)} s`);
}

/** Every user binds once, as in a domain in use (lib/load.ts logonPass). */
async function logonPass(t: Target): Promise<void> {
  const s = await bindEveryUser(t.host, t.port, (n) => fill(t.userBind, n), LOW, HIGH, t.userPW);
  console.log(`  logon pass ${t.name}: ${HIGH - LOW + 1} users bound once in ${s.toFixed(1)} s`);
}
if (WARM) for (const t of targets) await warmPass(t, t.name.startsWith('forestd') ? warmConnections(current) : 1);

// ---------------------------------------------------------------- the runs
interface Row {
  target: string;
  cs: CaseName;
  conc: number;
  r?: LdcltResult;
  lat?: ProbeResult;
  srvCpuS: number;
  machineBusy: number;
  bgBusy: number;
  error?: string;
}
const rows: Row[] = [];
const plannedRuns = RUN_CASES.length * CONC.length * targets.length;
console.log(`== ${plannedRuns} ldclt runs of ${SAMPLES}×${SAMPLE} s (+${SAMPLE} s warm-up), ${cpus().length} cores; ${loadLine}`);
let k = 0;
for (const cs of RUN_CASES) {
  for (const conc of CONC) {
    const order = k++ % 2 === 0 ? targets : [...targets].reverse();
    for (const t of order) {
      const why = broken.get(`${t.name}/${cs}`);
      if (why) {
        rows.push({ target: t.name, cs, conc, srvCpuS: 0, machineBusy: 0, bgBusy: 0, error: why });
        continue;
      }
      const tm = modeOf(t);
      if (tm) await useMode(tm);
      const bgBusy = await waitQuiet(20, 4);
      const tag = `lb${t.name.slice(0, 1).toLowerCase()}${conc}c${Date.now() % 100000}`;
      const args = ldcltArgs(t, cs, conc, { samples: SAMPLES, sampleS: SAMPLE, attrs: ATTRS, tag, templateFile: templateFile(t) });
      const cpu0 = cpuByPid(t.pids());
      const m0 = machineTicks();
      const r = await runLdclt(ldclt, args, join(out, 'raw', `${cs}-c${conc}-${t.name}.log`), (SAMPLES + 1) * SAMPLE + 60);
      const srvCpuS = cpuDelta(cpu0, cpuByPid(t.pids()));
      const row: Row = { target: t.name, cs, conc, r, srvCpuS, machineBusy: busyPct(m0, machineTicks()), bgBusy };
      if (r.errors || !r.samples) row.error = `${r.errors} errors, exit ${r.exit}${r.errorLines.length ? `: ${r.errorLines.join(' | ')}` : ''}`;
      rows.push(row);
      const line = `RESULT target=${t.name} case=${cs} conc=${conc} ops_s=${r.opsPerSec.toFixed(1)} samples=${r.samples} total=${r.total} errors=${r.errors} srv_cpu_us_op=${r.total ? ((1e6 * srvCpuS) / r.total).toFixed(1) : 'NaN'} srv_cpu_pct=${((100 * srvCpuS) / r.wallS).toFixed(0)} ldclt_cpu_pct=${((100 * r.ldcltCpuS) / r.wallS).toFixed(0)} machine_busy_pct=${row.machineBusy.toFixed(0)} bg_busy_pct=${bgBusy.toFixed(0)} wall_s=${r.wallS.toFixed(1)}`;
      lines.push(line);
      console.log(`  ${cs.padEnd(6)} c=${String(conc).padEnd(2)} ${t.name.padEnd(8)} ${r.opsPerSec.toFixed(0).padStart(6)} ops/s  srv ${r.total ? ((1e6 * srvCpuS) / r.total).toFixed(0) : '-'} µs/op  srv CPU ${((100 * srvCpuS) / r.wallS).toFixed(0)}%  ldclt ${((100 * r.ldcltCpuS) / r.wallS).toFixed(0)}%${row.error ? `  ERROR ${row.error}` : ''}`);
      if (!fd.alive()) throw new Error(`forestd exited during ${cs} c=${conc}:\n${fd.log().slice(-3000)}`);
    }
  }
  if (LAT_SECS > 0) {
    for (const conc of CONC) {
      for (const t of targets) {
        const row = rows.find((x) => x.target === t.name && x.cs === cs && x.conc === conc);
        if (!row || broken.has(`${t.name}/${cs}`)) continue;
        const tm = modeOf(t);
        if (tm) await useMode(tm);
        await waitQuiet(20, 3);
        row.lat = await probe(t, cs, conc, LAT_SECS, attrList, `lp${t.name.slice(0, 1).toLowerCase()}${conc}x${Date.now() % 100000}`);
        const l = row.lat;
        lines.push(`LAT target=${t.name} case=${cs} conc=${conc} ops=${l.ops} ops_s=${l.opsPerSec.toFixed(1)} mean_ms=${l.meanMs.toFixed(3)} p50_ms=${l.p50Ms.toFixed(3)} p99_ms=${l.p99Ms.toFixed(3)} errors=${l.errors}${l.firstError ? ` first_error="${l.firstError}"` : ''}`);
        if (l.firstError) console.log(`  probe ${t.name} ${cs} c=${conc}: ${l.errors} errors, first: ${l.firstError}`);
      }
    }
  }
}

// ---------------------------------------------------------------- the table
const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '-');
const f2 = (x: number) => (Number.isFinite(x) ? (x < 10 ? x.toFixed(2) : x.toFixed(1)) : '-');
const cell = (row: Row | undefined) => {
  if (!row) return { ops: '-', mean: '-', lat: '-', cpu: '-', opsN: NaN, cpuN: NaN };
  if (row.error && (!row.r || !row.r.samples)) return { ops: `ERROR: ${row.error}`, mean: '-', lat: '-', cpu: '-', opsN: NaN, cpuN: NaN };
  const r = row.r!;
  const cpuN = r.total ? (1e6 * row.srvCpuS) / r.total : NaN;
  return {
    ops: `${f0(r.opsPerSec)}${row.error ? ` (ERRORS: ${row.error})` : ''}`,
    mean: f2((1000 * row.conc) / r.opsPerSec),
    lat: row.lat ? `${f2(row.lat.p50Ms)} / ${f2(row.lat.p99Ms)}${row.lat.errors ? ` (${row.lat.errors} err)` : ''}` : '-',
    cpu: f0(cpuN),
    opsN: r.opsPerSec,
    cpuN,
  };
};
log('');
log(`# forestd vs OpenLDAP — npm run bench:ldap, ${new Date().toISOString()}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}`);
log(`# ${loadLine}`);
log(`# forestd serves with ${MODES.map((m) => (m.workers === 1 ? '1 thread (workers 1)' : `workers ${m.workers}, mode ${m.mode} (${m.mode === 'process' ? `the serving process and ${m.workers - 1} read processes` : `the LDAP thread and ${m.workers - 1} read threads`})`)).join('; ')}; load average at the table: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
log(`# ldclt ${SAMPLES}×${SAMPLE} s per run after ${SAMPLE} s warm-up${WARM ? `, both servers warmed first by one ${[RUN_CASES.includes('search') || RUN_CASES.includes('read') ? 'read' : '', RUN_CASES.includes('bind') ? 'bind' : ''].filter(Boolean).join(' and one ')} of every user` : ', no warm pass (BENCH_WARM=0)'}; users ${LOW}..${HIGH} at random; search/read return ${ATTRS || 'all user attributes'}; forestd binds by ${BIND === 'upn' ? 'UPN' : 'DN'}`);
log('');
log('| case | conc | forestd ops/s | OpenLDAP ops/s | ratio f/O | forestd mean ms | OpenLDAP mean ms | forestd p50/p99 ms | OpenLDAP p50/p99 ms | forestd CPU µs/op | OpenLDAP CPU µs/op | CPU/op f/O |');
log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const cs of RUN_CASES) {
  for (const conc of CONC) {
    const b = cell(rows.find((x) => x.target === 'OpenLDAP' && x.cs === cs && x.conc === conc));
    for (const f of forestds) {
      const a = cell(rows.find((x) => x.target === f.name && x.cs === cs && x.conc === conc));
      const ratio = Number.isFinite(a.opsN / b.opsN) ? (a.opsN / b.opsN).toFixed(2) : '-';
      const cpuRatio = Number.isFinite(a.cpuN / b.cpuN) ? (a.cpuN / b.cpuN).toFixed(1) : '-';
      log(`| ${cs}${forestds.length > 1 ? ` ${modeLabel(f.mode)}` : ''} | ${conc} | ${a.ops} | ${b.ops} | ${ratio} | ${a.mean} | ${b.mean} | ${a.lat} | ${b.lat} | ${a.cpu} | ${b.cpu} | ${cpuRatio} |`);
    }
  }
}
log('');
log('ops/s: ldclt throughput (closed loop, one synchronous connection per thread; bind = new connection + bind + unbind each).');
log('mean ms = conc / ops/s (Little). p50/p99: the latency probe (Node, synchronous connections; includes client cost).');
log('CPU µs/op: server CPU (utime+stime, all threads; forestd: the serving process and its read processes) over the ldclt run / operations of the run. On 2 cores ldclt competes with the server (see ldclt_cpu_pct in results.txt).');

await fd.stop();
await slapd.stop();
if (CPU_PROF) {
  log('');
  log('forestd CPU profile (the cases, load excluded; self time):');
  for (const l of topFunctions(join(out, 'cpuprofile'), 25)) log(`  ${l}`);
}
log('');
log(`wall time ${((performance.now() - started) / 1000).toFixed(0)} s`);
writeFileSync(join(out, 'results.txt'), lines.filter((l) => /^(RESULT|LAT) /.test(l)).join('\n') + '\n');
writeFileSync(join(out, 'table.md'), lines.filter((l) => !/^(RESULT|LAT) /.test(l)).join('\n') + '\n');
console.log(`results: ${join(out, 'table.md')}  ${join(out, 'results.txt')}  raw ldclt logs: ${join(out, 'raw')}`);
cleanupAll();
