// node dist/bench/ldap-ab.bench.js — two forestd builds A/B under the same ldclt load, alternated
// in one run (the machine is shared: only a same-run comparison means anything).
//
// Provisions a forest and loads BENCH_USERS users as bench:ldap does (once: the loaded data is
// kept in BENCH_DATA and reused by later runs), copies it for each build, serves both copies at
// once (`forestd serve` of each build's dist/src/cli/main.js), then for BENCH_ROUNDS rounds runs
// every case (search, read, add: the bench:ldap cases) at every concurrency against A then B (B then
// A in odd rounds), and prints per (case, conc, build) the median server CPU µs per operation
// (utime+stime of the serving process over the ldclt run / operations of the run) and ops/s,
// with the load average. Asserts nothing about time.
//
// Environment: BENCH_A (main.js of the baseline build, required) BENCH_B (default: this build)
// BENCH_DATA=/tmp/forestd-ab-data BENCH_USERS=10000 BENCH_ROUNDS=3 BENCH_CASES=search,read (also add)
// BENCH_CONC=8 BENCH_SAMPLE=2 BENCH_SAMPLES=2 (measured samples after one warm-up sample)
// BENCH_ATTRS=cn,sn,givenName,displayName,mail,description BENCH_PROF=A|B (that build runs under --cpu-prof)
// BENCH_SERVE_ARGS='--workers 2 --worker-mode process' (more `serve` options for both builds; the CPU
// counted is then the serving process's and its read processes'); BENCH_SERVE_ARGS_A: A's instead
// (e.g. BENCH_SERVE_ARGS_A='' with BENCH_A = BENCH_B: one build, w=1 against process mode)
// BENCH_PIN=S/C: both servers run on taskset CPU list S and ldclt on C (e.g. 0/0 or 0/1). On this
// 2-vCPU VM, c=1 is bimodal unpinned: client and server on one vCPU or on two (each request then
// wakes a halted vCPU), measured 27.7k vs 7.5k searches/s for forestd and 90k vs 11.8k for
// bench/ldap-floor — the scheduler's placement, not the build; pin to compare builds at c=1.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, cpSync, writeFileSync, mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPENSSL_CONFIG_ARG } from '../src/cli/openssl.js';
import { BenchClient } from './lib/client.js';
import { installTools, cpuSeconds, treePids } from './lib/servers.js';
import { bulkLoad, adOus, adUsers, adGroups, USER_PASSWORD, type DataSet } from './lib/load.js';
import { ldcltArgs, runLdclt, type CaseName, type Target } from './lib/ldclt.js';
import { topFunctions } from './lib/cpuprofile.js';

const env = process.env;
const A = env.BENCH_A;
if (!A) throw new Error('BENCH_A: the main.js of the baseline build (e.g. /work/base/dist/src/cli/main.js)');
const B = env.BENCH_B ?? fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const DATA_DIR = resolve(env.BENCH_DATA ?? join(tmpdir(), 'forestd-ab-data'));
const USERS = Number(env.BENCH_USERS ?? 10_000);
const ROUNDS = Number(env.BENCH_ROUNDS ?? 3);
const CASES = (env.BENCH_CASES ?? 'search,read').split(',') as CaseName[];
const CONC = (env.BENCH_CONC ?? '8').split(',').map(Number);
const SAMPLE = Number(env.BENCH_SAMPLE ?? 2);
const SAMPLES = Number(env.BENCH_SAMPLES ?? 2);
const ATTRS = env.BENCH_ATTRS ?? 'cn,sn,givenName,displayName,mail,description';
const PROF = env.BENCH_PROF;
const SERVE_ARGS = (env.BENCH_SERVE_ARGS ?? '').split(' ').filter(Boolean);
const PIN = env.BENCH_PIN ? env.BENCH_PIN.split('/') : undefined;
if (PIN && (PIN.length !== 2 || !PIN[0] || !PIN[1])) throw new Error(`BENCH_PIN=${env.BENCH_PIN}: expected SERVER_CPUS/CLIENT_CPUS, e.g. 0/0`);
const SERVE_ARGS_A = env.BENCH_SERVE_ARGS_A === undefined ? SERVE_ARGS : env.BENCH_SERVE_ARGS_A.split(' ').filter(Boolean);
const HOST = '127.0.0.1';
const REALM = 'example.com';
const BASE_DN = 'DC=example,DC=com';
const ADMIN_DN = `CN=Administrator,CN=Users,${BASE_DN}`;
const ADMIN_PW = 'Adm1n-Passw0rd!';
const DATA: DataSet = { users: USERS, groups: 200, groupSize: 50 };

const ldclt = installTools();
/** the serving process's CPU seconds and its read processes' (BENCH_SERVE_ARGS --worker-mode process) */
const treeCpu = (pid: number): number => treePids(pid).reduce((t, p) => t + cpuSeconds(p), 0);
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

interface Served {
  child: ChildProcess;
  port: number;
  ldapsPort: number;
}

async function serve(cli: string, data: string, nodeArgs: string[] = [], serveArgs: string[] = SERVE_ARGS): Promise<Served> {
  const argv = [OPENSSL_CONFIG_ARG, ...nodeArgs, cli, 'serve', '--data', data, '--host', HOST, '--ldap-port', '0', '--ldaps-port', '0', '--gc-port', '0', '--gcs-port', '0', ...serveArgs];
  // taskset execs node in the same process: its pid is the serving process's
  const child = PIN
    ? spawn('taskset', ['-c', PIN[0]!, process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], cwd: join(data, '..') })
    : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: join(data, '..') });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err = (err + d).slice(-20_000)));
  const urls = await new Promise<Record<string, string>>((res, rej) => {
    child.stdout!.on('data', (d) => {
      out += d;
      if (/^ready$/m.test(out)) {
        const m: Record<string, string> = {};
        for (const [, kind, url] of out.matchAll(/^listening (\S+) (\S+)$/gm)) m[kind!] = url!;
        res(m);
      }
    });
    child.on('exit', (code) => rej(new Error(`forestd (${cli}) exited with ${code}:\n${out}\n${err}`)));
  });
  return { child, port: Number(new URL(urls['ldap']!).port), ldapsPort: Number(new URL(urls['ldaps']!).port) };
}

async function stop(s: Served): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await exited;
}

// ---------------------------------------------------------------- the data, once
const master = join(DATA_DIR, 'master', 'data');
if (!existsSync(join(DATA_DIR, 'loaded'))) {
  rmSync(DATA_DIR, { recursive: true, force: true });
  mkdirSync(join(DATA_DIR, 'master'), { recursive: true });
  const p = spawnSync(process.execPath, [B, 'provision', '--data', master, '--realm', REALM, '--netbios', 'EXAMPLE', '--admin-password', ADMIN_PW], { encoding: 'utf8' });
  if (p.status !== 0) throw new Error(`provision failed: ${p.stderr}${p.stdout}`);
  const s = await serve(B, master);
  const open = async () => {
    const c = await BenchClient.openTls(HOST, s.ldapsPort);
    if ((await c.bind(ADMIN_DN, ADMIN_PW)) !== 0) throw new Error('admin bind failed');
    return c;
  };
  await bulkLoad(adOus(BASE_DN), { label: 'OUs', total: 3, connections: 1, inFlight: 1, open });
  await bulkLoad(adUsers(BASE_DN, REALM, DATA), { label: 'users', total: USERS, connections: 4, inFlight: 16, open });
  await bulkLoad(adGroups(BASE_DN, DATA), { label: 'groups', total: DATA.groups, connections: 4, inFlight: 4, open });
  await stop(s);
  writeFileSync(join(DATA_DIR, 'loaded'), `${USERS}\n`);
}
const copyOf = (name: string) => {
  const d = join(DATA_DIR, name, 'data');
  rmSync(join(DATA_DIR, name), { recursive: true, force: true });
  mkdirSync(join(DATA_DIR, name), { recursive: true });
  cpSync(master, d, { recursive: true });
  return d;
};
const profDir = mkdtempSync(join(tmpdir(), 'forestd-ab-prof-'));
const builds = [
  { name: 'A', cli: A, s: await serve(A, copyOf('a'), PROF === 'A' ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [], SERVE_ARGS_A) },
  { name: 'B', cli: B, s: await serve(B, copyOf('b'), PROF === 'B' ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []) },
];

const target = (port: number): Target => ({
  name: 'forestd',
  url: `ldap://${HOST}:${port}`,
  host: HOST,
  port,
  pids: () => [],
  bindDN: ADMIN_DN,
  bindPW: ADMIN_PW,
  searchBase: `OU=Bench,${BASE_DN}`,
  filterAttr: 'sAMAccountName',
  userRdn: 'CN=user{N}',
  userBase: `OU=Bench,${BASE_DN}`,
  userBind: `CN=user{N},OU=Bench,${BASE_DN}`,
  userPW: USER_PASSWORD,
  addBase: `OU=Adds,${BASE_DN}`,
  addTemplate: 'objectClass: user\ndescription: added by ldclt [RNDN(0;999999;6)]\n',
  addAttrs: { objectClass: ['user'], description: ['added by the probe'] },
  low: 1000,
  high: 9999,
});

const logDir = mkdtempSync(join(tmpdir(), 'forestd-ab-logs-'));
// the add case's object template (bench:ldap's forestd one: a user under OU=Adds)
const templateFile = join(logDir, 'add.tmpl');
writeFileSync(templateFile, target(0).addTemplate);
// the add case names its entries cn=<tag>NNNNNN from 0 in every ldclt run: each run against a
// build's copy gets its own tag (build, round or warm-up, concurrency), so no add collides
const tagOf = (build: string, round: number | 'w', conc: number) => `ab${build.toLowerCase()}${round}c${conc}n`;
const results = new Map<string, { us: number[]; ops: number[] }>();
console.log(`A ${A}\nB ${B}\n${ROUNDS} rounds × ${CASES.join(',')} × c=${CONC.join(',')}, ${SAMPLES}×${SAMPLE} s (+1 warm-up sample) per run`);
// a warm-up run of each case against each build (JIT, caches), not measured
for (const cs of CASES) {
  for (const b of builds) {
    const args = ldcltArgs(target(b.s.port), cs, CONC[0]!, { samples: 1, sampleS: SAMPLE, attrs: ATTRS, tag: tagOf(b.name, 'w', CONC[0]!), templateFile });
    await runLdclt(ldclt, args, join(logDir, `warmup-${cs}-${b.name}.log`), 60, PIN?.[1]);
  }
}
for (let r = 0; r < ROUNDS; r++) {
  for (const cs of CASES) {
    for (const conc of CONC) {
      const order = r % 2 === 0 ? builds : [...builds].reverse();
      for (const b of order) {
        const t = target(b.s.port);
        const args = ldcltArgs(t, cs, conc, { samples: SAMPLES, sampleS: SAMPLE, attrs: ATTRS, tag: tagOf(b.name, r, conc), templateFile });
        const cpu0 = treeCpu(b.s.child.pid!);
        const res = await runLdclt(ldclt, args, join(logDir, `${cs}-c${conc}-${b.name}-${r}.log`), 60, PIN?.[1]);
        const cpu = treeCpu(b.s.child.pid!) - cpu0;
        if (res.errors || !res.total) throw new Error(`${b.name} ${cs} c=${conc}: ${res.errors} errors, ${res.total} ops: ${res.errorLines.join('; ')} (${res.exit})`);
        const us = (cpu * 1e6) / res.total;
        const k = `${cs} c=${conc} ${b.name}`;
        const e = results.get(k) ?? { us: [], ops: [] };
        e.us.push(us);
        e.ops.push(res.opsPerSec);
        results.set(k, e);
        console.log(`  round ${r} ${k}: ${us.toFixed(1)} µs/op, ${Math.round(res.opsPerSec)} ops/s  (load ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
      }
    }
  }
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
console.log(`\nmedians over ${ROUNDS} rounds (load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}):`);
for (const cs of CASES) {
  for (const conc of CONC) {
    const a = results.get(`${cs} c=${conc} A`)!;
    const b = results.get(`${cs} c=${conc} B`)!;
    console.log(`  ${cs.padEnd(6)} c=${String(conc).padEnd(2)}  A ${median(a.us).toFixed(1)} µs/op ${Math.round(median(a.ops))} ops/s   B ${median(b.us).toFixed(1)} µs/op ${Math.round(median(b.ops))} ops/s   B/A CPU ${(median(b.us) / median(a.us)).toFixed(3)}`);
  }
}
for (const b of builds) await stop(b.s);
if (PROF) {
  console.log(`\nCPU profile of ${PROF} (self time):`);
  for (const l of topFunctions(profDir, 40)) console.log(`  ${l}`);
}
