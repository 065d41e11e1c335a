// npm run bench:ldap-load — load on a real forestd over LDAP: indexed equality search, base
// read, modify and simple bind (on the same connection, and a new connection each as ldclt's
// bind case), with 1 and 16 connections. BENCH_CPU_PROF=1 profiles the server. Prints ops/s, latency percentiles and server
// CPU per operation; asserts nothing about time. Figures vary with the machine: compare the
// ratios within one run.
import { readFileSync } from 'node:fs';
import { startForestd } from '../test/helpers/forestd.js';
import { BenchClient } from './lib/client.js';
import type { ProtocolOp } from '../src/ldap/protocol/messages.js';
import { closedLoop } from './lib/closed-loop.js';
import { adUser, adLayout, addOp, USER_PASSWORD } from './lib/load.js';
import { topFunctions } from './lib/cpuprofile.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const USERS = Number(process.env.BENCH_USERS ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = (process.env.BENCH_CONC ?? '1,16').split(',').map(Number);

// BENCH_SERVE_ARGS: more `forestd serve` options, e.g. "--ack-before-flush" to see what durable acknowledgement costs
// BENCH_CPU_PROF=1: the server runs under --cpu-prof; the top functions by self time are printed at the end
const PROF_DIR = process.env.BENCH_CPU_PROF === '1' ? mkdtempSync(join(tmpdir(), 'forestd-ldap-load-prof-')) : undefined;
const f = await startForestd({ serveArgs: (process.env.BENCH_SERVE_ARGS ?? '').split(' ').filter(Boolean), ...(PROF_DIR ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', PROF_DIR] } : {}) });
const url = new URL(f.url);
const host = url.hostname;
const port = Number(url.port);
const ou = `OU=Bench,${f.baseDN}`;

async function client(): Promise<BenchClient> {
  const c = await BenchClient.open(host, port);
  const rc = await c.bind(f.adminDN, f.adminPassword);
  if (rc !== 0) throw new Error(`bind failed: ${rc}`);
  return c;
}

// ---- load data
{
  const c = await client();
  const add = (dn: string, attrs: Record<string, string[]>) =>
    c.request({ type: 'addRequest', entry: dn, attributes: Object.entries(attrs).map(([type, values]) => ({ type, values: values.map((v) => Buffer.from(v)) })) });
  await add(ou, { objectClass: ['organizationalUnit'] });
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < USERS) {
      const i = next++;
      const r = await add(`CN=user${i},${ou}`, { objectClass: ['user'], sAMAccountName: [`user${i}`], givenName: ['Bench'], sn: [`User${i}`], mail: [`user${i}@${f.realm}`], description: [`bench user ${i}`] });
      if (BenchClient.resultCode(r) !== 0) throw new Error(`add user${i}: ${JSON.stringify(r.at(-1))}`);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  const s = (performance.now() - t0) / 1000;
  console.log(`load: ${USERS} users added over LDAP in ${s.toFixed(1)} s (${Math.round(USERS / s)} adds/s, 32 in flight on one connection)`);
  c.close();
}

// ---- bind users: BIND_USERS enabled users with a password (set over LDAPS), each in one group, as bench:ldap's
const BIND_USERS = 200;
{
  const c = await BenchClient.openTls(host, f.ldapsPort);
  if ((await c.bind(f.adminDN, f.adminPassword)) !== 0) throw new Error('bind over LDAPS failed');
  const L = adLayout(f.baseDN, f.realm);
  for (const op of [addOp(L.users.replace('OU=Bench', 'OU=BindUsers'), { objectClass: ['organizationalUnit'] }), addOp(L.groups, { objectClass: ['organizationalUnit'] })]) {
    const r = await c.request(op);
    if (BenchClient.resultCode(r) !== 0) throw new Error(`add: ${JSON.stringify(r.at(-1))}`);
  }
  await Promise.all(
    Array.from({ length: BIND_USERS }, async (_, n) => {
      const r = await c.request(adUser(f.baseDN, f.realm, n, `OU=BindUsers,${f.baseDN}`, 'binder'));
      if (BenchClient.resultCode(r) !== 0) throw new Error(`add binder${n}: ${JSON.stringify(r.at(-1))}`);
    }),
  );
  for (let g = 0; g < BIND_USERS / 50; g++) {
    const members = Array.from({ length: 50 }, (_, i) => `CN=binder${g * 50 + i},OU=BindUsers,${f.baseDN}`);
    const r = await c.request(addOp(`CN=bgroup${g},${L.groups}`, { objectClass: ['group'], sAMAccountName: [`bgroup${g}`], member: members }));
    if (BenchClient.resultCode(r) !== 0) throw new Error(`add bgroup${g}: ${JSON.stringify(r.at(-1))}`);
  }
  c.close();
}
const binderDN = () => `CN=binder${Math.floor(Math.random() * BIND_USERS)},OU=BindUsers,${f.baseDN}`;

const rnd = () => Math.floor(Math.random() * USERS);
const cases: [string, () => ProtocolOp][] = [
  ['search (sAMAccountName=…) subtree', () => ({ type: 'searchRequest', baseObject: ou, scope: 2, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: { type: 'equalityMatch', attribute: 'sAMAccountName', value: Buffer.from(`user${rnd()}`) }, attributes: ['cn', 'mail'] }) as ProtocolOp],
  ['base read', () => ({ type: 'searchRequest', baseObject: `CN=user${rnd()},${ou}`, scope: 0, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: { type: 'present', attribute: 'objectClass' }, attributes: ['cn', 'mail', 'description'] }) as ProtocolOp],
  ['modify (replace description)', () => ({ type: 'modifyRequest', object: `CN=user${rnd()},${ou}`, changes: [{ operation: 2, modification: { type: 'description', values: [Buffer.from(`changed ${Math.random()}`)] } }] }) as ProtocolOp],
];

function serverCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(stat[11]) + Number(stat[12])) / 100; // utime + stime, clock ticks of 1/100 s
}
function serverRssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
const pid = f.pid;

console.log(`\n${'case'.padEnd(36)} ${'conns'.padStart(5)} ${'ops/s'.padStart(9)} ${'mean ms'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'srv CPU µs/op'.padStart(14)}`);
// the bind cases (after the others): on the client's own connection, and as ldclt does (a new connection, bind, unbind)
const bindCases: [string, (c: BenchClient) => Promise<number>][] = [
  ['simple bind (same connection)', (c) => c.bind(binderDN(), USER_PASSWORD)],
  [
    'simple bind (new connection each)',
    async () => {
      const b = await BenchClient.open(host, port);
      const rc = await b.bind(binderDN(), USER_PASSWORD);
      b.unbind();
      return rc;
    },
  ],
];
const only = process.env.BENCH_CASES; // e.g. "search" to run only the cases whose name contains it
const allCases: [string, (c: BenchClient) => Promise<number>][] = [...cases.map(([n, make]): [string, (c: BenchClient) => Promise<number>] => [n, async (c) => BenchClient.resultCode(await c.request(make()))]), ...bindCases];
for (const [name, once] of allCases.filter(([n]) => !only || only.split(',').some((o) => n.includes(o)))) {
  for (const conc of CONCURRENCY) {
    const clients = await Promise.all(Array.from({ length: conc }, client));
    const cpu0 = serverCpuSeconds(pid);
    const r = await closedLoop(clients, SECONDS, once, 'count');
    const cpu = serverCpuSeconds(pid) - cpu0;
    console.log(`${name.padEnd(36)} ${String(conc).padStart(5)} ${Math.round(r.perSecond).toString().padStart(9)} ${r.mean.toFixed(2).padStart(8)} ${r.pct(0.5).toFixed(2).padStart(7)} ${r.pct(0.99).toFixed(2).padStart(7)} ${Math.round((cpu / r.count) * 1e6).toString().padStart(14)}${r.errors ? `  (${r.errors} errors)` : ''}`);
    for (const c of clients) c.close();
  }
}
console.log(`\nserver RSS ${serverRssMiB(pid).toFixed(0)} MiB with ${USERS} users`);
await f.stop();
if (PROF_DIR) console.log(['', 'server CPU profile, top functions by self time:', ...topFunctions(PROF_DIR, 30)].join('\n'));
