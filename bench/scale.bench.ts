// npm run bench:scale — forestd at scale, over LDAP: provision, then grow one directory to each
// size of BENCH_SCALE_SIZES (default 10000,100000,1000000 users: #14 compares 1M with 10k; e.g.
// BENCH_SCALE_SIZES=10000 for a quick run) through the LDAP import path (pipelined adds, with a progress bar), with groups of
// 50 members (one per 1,000 users) and one big group of min(size, BENCH_SCALE_BIG=100000)
// members. At each size it reports: import objects/s, store size on disk, server RSS, search
// and base-read ops/s and p99 (the cases of bench:ldap, BENCH_CONC=8 connections,
// BENCH_SECONDS=5 each), the first DirSync of the domain NC (entries/s), an incremental DirSync
// of 100 changes, one range page (member;range=0-1499, median of 11) of the big group, memberOf of one of its
// members, and the restart time; with the server's CPU per imported object and the time elapsed.
// Users get no password (BENCH_SCALE_PASSWORDS=1 sets one, over LDAPS: slower). The server runs
// with BENCH_SCALE_NODE_ARGS (default --max-semi-space-size=64: ~7-12% less CPU per add in A/B
// runs); BENCH_CPU_PROF=1 profiles it (top functions printed; BENCH_CPU_PROF_DIR keeps the
// profiles). Prints figures; asserts nothing about time.
import { statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { startForestd, runCli, type RunningForestd } from '../test/helpers/forestd.js';
import { tempDir } from '../test/helpers/tmp.js';
import { BenchClient } from './lib/client.js';
import { bulkLoad, addOp, adUser } from './lib/load.js';
import { requestControl, responseControlValue } from './lib/controls.js';
import { dirSyncControl } from '../src/ldap/controls/dirsync.js';
import type { ProtocolOp } from '../src/ldap/protocol/messages.js';
import { closedLoop } from './lib/closed-loop.js';
import { topFunctions } from './lib/cpuprofile.js';

const env = process.env;
const SIZES = (env.BENCH_SCALE_SIZES ?? '10000,100000,1000000').split(',').map(Number);
const BIG = Number(env.BENCH_SCALE_BIG ?? 100_000);
const CONC = Number(env.BENCH_CONC ?? 8);
const SECONDS = Number(env.BENCH_SECONDS ?? 5);
const PASSWORDS = env.BENCH_SCALE_PASSWORDS === '1';
// V8 options of the server: a larger young generation lets the many short-lived objects of an add
// die there instead of being promoted (fewer scavenges and mark-compacts per add)
const SERVER_NODE_ARGS = (env.BENCH_SCALE_NODE_ARGS ?? '--max-semi-space-size=64').split(' ').filter(Boolean);
const CPU_PROF = env.BENCH_CPU_PROF === '1';
const started = performance.now();

const t = tempDir('forestd-bench-scale-');
const data = join(t.dir, 'data');
const prov = await runCli(['provision', '--data', data, '--realm', 'example.com', '--netbios', 'EXAMPLE', '--admin-password', 'Adm1n-Passw0rd!'], { timeoutMs: 120_000 });
if (prov.code !== 0) throw new Error(`provision failed: ${prov.stderr}`);
// BENCH_CPU_PROF_DIR: where the server's profiles go (kept; default a temporary directory, removed)
const profDir = env.BENCH_CPU_PROF_DIR ?? join(t.dir, 'cpuprofile');
const nodeArgs = [...SERVER_NODE_ARGS, ...(CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [])];
let f: RunningForestd = await startForestd({ data, nodeArgs });
const base = f.baseDN;
const usersOu = `OU=Bench,${base}`;
const groupsOu = `OU=Groups,${base}`;
const bigDN = `CN=big,${groupsOu}`;

const host = () => new URL(f.url).hostname;
async function client(tls = false): Promise<BenchClient> {
  const c = tls ? await BenchClient.openTls(host(), f.ldapsPort) : await BenchClient.open(host(), f.port);
  const rc = await c.bind(f.adminDN, f.adminPassword);
  if (rc !== 0) throw new Error(`bind failed: ${rc}`);
  return c;
}
const userDN = (n: number) => `CN=user${n},${usersOu}`;
function* userOps(from: number, to: number): Generator<ProtocolOp> {
  for (let n = from; n < to; n++) {
    if (PASSWORDS) yield adUser(base, f.realm, n);
    else yield addOp(userDN(n), { objectClass: ['user'], sAMAccountName: [`user${n}`], userPrincipalName: [`user${n}@${f.realm}`], givenName: [`Given${n}`], sn: [`Surname${n}`], displayName: [`Bench User ${n}`], mail: [`user${n}@${f.realm}`], description: [`bench user number ${n}`] });
  }
}
function* groupOps(from: number, to: number): Generator<ProtocolOp> {
  for (let g = Math.floor(from / 1000); g < Math.floor(to / 1000); g++) {
    yield addOp(`CN=group${g},${groupsOu}`, { objectClass: ['group'], sAMAccountName: [`group${g}`], member: Array.from({ length: 50 }, (_, i) => userDN((g * 1000 + i * 7) % to)) });
  }
}
function* bigGroupOps(from: number, to: number): Generator<ProtocolOp> {
  for (let lo = from; lo < to; lo += 5000) {
    const vals = Array.from({ length: Math.min(5000, to - lo) }, (_, i) => Buffer.from(userDN(lo + i)));
    yield { type: 'modifyRequest', object: bigDN, changes: [{ operation: 0, modification: { type: 'member', values: vals } }] } as ProtocolOp;
  }
}

function diskBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? diskBytes(p) : statSync(p).blocks * 512;
  }
  return n;
}
// VmRSS counts the pages of the memory-mapped store the process has touched (RssFile: page
// cache, shared and reclaimable, bounded by the file's size); RssAnon is the process's own memory
const memMiB = (pid: number) => {
  const st = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(st)?.[1] ?? NaN) / 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
};
/** CPU seconds (user + system, all threads) process `pid` has used so far (/proc/PID/stat utime+stime). */
const cpuSeconds = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // clock ticks (USER_HZ = 100)
};
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function timedLoad(conc: number, make: () => ProtocolOp): Promise<{ ops: number; p99: number }> {
  const clients = await Promise.all(Array.from({ length: conc }, () => client()));
  const r = await closedLoop(clients, SECONDS, async (c) => BenchClient.resultCode(await c.request(make())), 'throw');
  for (const c of clients) c.close();
  return { ops: r.perSecond, p99: r.pct(0.99) };
}

async function dirSync(c: BenchClient, cookie: Buffer): Promise<{ entries: number; s: number; cookie: Buffer }> {
  let entries = 0;
  const t0 = performance.now();
  for (;;) {
    const r = await c.request({ type: 'searchRequest', baseObject: base, scope: 2, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: { type: 'present', attribute: 'objectClass' }, attributes: ['objectClass', 'name', 'description'] } as ProtocolOp, [requestControl(dirSyncControl, { flags: 0, maxBytes: 0, cookie })]);
    entries += r.filter((m) => m.protocolOp.type === 'searchResultEntry').length;
    const done = r.at(-1)!;
    if ((done.protocolOp as { resultCode: number }).resultCode !== 0) throw new Error(`DirSync failed: ${JSON.stringify(done.protocolOp)}`);
    const v = responseControlValue(dirSyncControl, done.controls ?? []);
    cookie = Buffer.from(v.cookie);
    if (!v.moreResults) break;
  }
  return { entries, s: (performance.now() - t0) / 1000, cookie };
}

/** The median time of `n` runs of `op` (the median, so that a descheduled run on a shared machine does not decide it). */
async function timeOne(c: BenchClient, op: () => ProtocolOp, n = 11): Promise<{ ms: number; values: number }> {
  let values = 0;
  await c.request(op()); // one warm-up request, not timed
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await c.request(op());
    times.push(performance.now() - t0);
    const e = r.find((m) => m.protocolOp.type === 'searchResultEntry')?.protocolOp as { attributes: { values: unknown[] }[] } | undefined;
    values = e?.attributes.reduce((a, x) => a + x.values.length, 0) ?? 0;
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(n / 2)]!, values };
}

// ---- the containers and the big group
{
  const c = await client();
  for (const ou of [usersOu, groupsOu]) await c.request(addOp(ou, { objectClass: ['organizationalUnit'] }));
  await c.request(addOp(bigDN, { objectClass: ['group'], sAMAccountName: ['big'] }));
  c.close();
}

let have = 0;
const rows: string[] = [];
for (const size of SIZES) {
  console.log(`== ${fmt(size)} users`);
  const before = have;
  const cpu0 = cpuSeconds(f.pid);
  const sUsers = await bulkLoad(userOps(have, size), { label: `users ${fmt(have)}..${fmt(size)}`, total: size - have, connections: 4, inFlight: 16, open: () => client(PASSWORDS) });
  const nGroups = Math.floor(size / 1000) - Math.floor(have / 1000);
  const sGroups = nGroups > 0 ? await bulkLoad(groupOps(have, size), { label: 'groups of 50', total: nGroups, connections: 2, inFlight: 4, open: () => client() }) : 0;
  const cpu1 = cpuSeconds(f.pid);
  const bigTo = Math.min(size, BIG);
  const bigFrom = Math.min(before, BIG);
  const sBig = bigTo > bigFrom ? await bulkLoad(bigGroupOps(bigFrom, bigTo), { label: `big group ${fmt(bigFrom)}..${fmt(bigTo)}`, total: Math.ceil((bigTo - bigFrom) / 5000), connections: 1, inFlight: 1, open: () => client() }) : 0;
  have = size;
  const imported = size - before + nGroups;
  const importRate = imported / (sUsers + sGroups);
  const importCpuUs = ((cpu1 - cpu0) * 1e6) / imported;
  console.log(`  import: ${fmt(imported)} objects in ${(sUsers + sGroups).toFixed(1)} s = ${fmt(importRate)} objects/s; big group +${fmt(bigTo - bigFrom)} values in ${sBig.toFixed(1)} s`);
  const disk = diskBytes(join(data, 'store')) / 1048576;
  const mem = memMiB(f.pid);
  const rnd = () => Math.floor(Math.random() * size);
  const search = await timedLoad(CONC, () => ({ type: 'searchRequest', baseObject: base, scope: 2, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: { type: 'equalityMatch', attribute: 'sAMAccountName', value: Buffer.from(`user${rnd()}`) }, attributes: ['cn', 'mail'] }) as ProtocolOp);
  const read = await timedLoad(CONC, () => ({ type: 'searchRequest', baseObject: userDN(rnd()), scope: 0, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: { type: 'present', attribute: 'objectClass' }, attributes: ['cn', 'mail', 'description'] }) as ProtocolOp);
  const c = await client();
  const first = await dirSync(c, Buffer.alloc(0));
  for (let i = 0; i < 100; i++) await c.request({ type: 'modifyRequest', object: userDN((i * 7919) % size), changes: [{ operation: 2, modification: { type: 'description', values: [Buffer.from(`changed ${size} ${i}`)] } }] } as ProtocolOp);
  const inc = await dirSync(c, first.cookie);
  const range = await timeOne(c, () => ({ type: 'searchRequest', baseObject: bigDN, scope: 0, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: { type: 'present', attribute: 'objectClass' }, attributes: ['member;range=0-1499'] }) as ProtocolOp);
  const memberOf = await timeOne(c, () => ({ type: 'searchRequest', baseObject: userDN(Math.floor(Math.random() * bigTo)), scope: 0, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: { type: 'present', attribute: 'objectClass' }, attributes: ['memberOf'] }) as ProtocolOp);
  c.close();
  const memAfter = memMiB(f.pid);
  await f.stop();
  const r0 = performance.now();
  f = await startForestd({ data, nodeArgs });
  const restart = (performance.now() - r0) / 1000;
  const line = [
    `${fmt(size)} users`,
    `import ${fmt(importRate)} obj/s (server CPU ${fmt(importCpuUs)} µs/object; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')})`,
    `disk ${disk.toFixed(0)} MiB`,
    `RSS ${mem.rss.toFixed(0)} MiB (${((mem.rss * 1048576) / (size + nGroups)).toFixed(0)} B/object): anon ${mem.anon.toFixed(0)} MiB (${((mem.anon * 1048576) / (size + nGroups)).toFixed(0)} B/object), mapped store ${mem.file.toFixed(0)} MiB; after the reads anon ${memAfter.anon.toFixed(0)} MiB, file ${memAfter.file.toFixed(0)} MiB`,
    `search c=${CONC} ${fmt(search.ops)}/s p99 ${search.p99.toFixed(2)} ms`,
    `base read c=${CONC} ${fmt(read.ops)}/s p99 ${read.p99.toFixed(2)} ms`,
    `first DirSync ${fmt(first.entries)} entries ${fmt(first.entries / first.s)}/s`,
    `incremental DirSync (100 changes) ${inc.entries} entries ${(inc.s * 1000).toFixed(1)} ms`,
    `range page of the ${fmt(bigTo)}-member group ${range.ms.toFixed(1)} ms median (${range.values} values)`,
    `memberOf of a member ${memberOf.ms.toFixed(2)} ms median`,
    `restart ${restart.toFixed(1)} s`,
    `elapsed ${((performance.now() - started) / 60000).toFixed(1)} min`,
  ];
  for (const l of line) console.log(`  ${l}`);
  rows.push(line.join(' | '));
}
await f.stop();
console.log(`\n== bench:scale (${((performance.now() - started) / 60000).toFixed(1)} min)`);
for (const r of rows) console.log(r);
if (CPU_PROF) {
  console.log('\nforestd CPU profile (every phase, every serve run; self time):');
  for (const l of topFunctions(profDir, 40)) console.log(`  ${l}`);
}
t.cleanup();


