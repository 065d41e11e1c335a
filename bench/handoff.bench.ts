// node dist/bench/handoff.bench.js — what a connection costs forestd's serving process tree with
// and without read processes (`serve --workers N --worker-mode process`, src/dsa/workers/
// process-pool.ts), where each plain-LDAP connection the writer accepts is handed, socket and
// all, to another process. Two loads, each on fresh connections from `conc` loops:
//   connect:    connect, one anonymous base search of the domain head (refused, 000004DC, by the
//               process that holds the socket), unbind — the hand-off plus the cheapest answer;
//   bind:       connect, simple bind (the writer checks the password: a forwarded request), unbind.
// The settings alternate A/B/A/B… (ROUNDS times, serve restarted on the same data), and the
// server CPU (the serving process and all its descendants, /proc) per connection is printed
// per round with the medians, beside the machine's load average.
//
// Environment: HANDOFF_CONNS=3000 (connections per round and load) HANDOFF_CONC=8 HANDOFF_ROUNDS=3
// HANDOFF_MODES=1,2:process
import { loadavg, cpus } from 'node:os';
import { BenchClient } from './lib/client.js';
import { startForestd, cpuByPid, cpuDelta, treePids } from './lib/servers.js';

const env = process.env;
const CONNS = Number(env.HANDOFF_CONNS ?? 3000);
const CONC = Number(env.HANDOFF_CONC ?? 8);
const ROUNDS = Number(env.HANDOFF_ROUNDS ?? 3);
const MODES = (env.HANDOFF_MODES ?? '1,2:process').split(',').map((x) => {
  const [w, m] = x.split(':');
  return { workers: Number(w), mode: m || 'thread', label: x };
});

const fd = await startForestd({ host: '127.0.0.1' });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function load(kind: 'connect' | 'bind'): Promise<{ cpuUsPerConn: number; connPerS: number }> {
  let left = CONNS;
  const before = cpuByPid(treePids(fd.pid));
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONC }, async () => {
      while (left-- > 0) {
        const c = await BenchClient.open(fd.host, fd.port);
        const r =
          kind === 'bind'
            ? await c.request({ type: 'bindRequest', version: 3, name: fd.adminDN, authentication: { method: 'simple', password: Buffer.from(fd.adminPassword) } })
            : await c.request({ type: 'searchRequest', baseObject: fd.baseDN, scope: 0, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: { type: 'present', attribute: 'objectClass' }, attributes: ['1.1'] });
        const code = (r[r.length - 1]!.protocolOp as { resultCode: number }).resultCode;
        // anonymous: operationsError 000004DC (the search), success (the bind)
        if (code !== (kind === 'bind' ? 0 : 1)) throw new Error(`${kind}: result ${code}`);
        c.unbind();
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuDelta(before, cpuByPid(treePids(fd.pid)));
  return { cpuUsPerConn: (1e6 * cpu) / CONNS, connPerS: CONNS / wall };
}

const results = new Map<string, { connect: number[]; bind: number[]; connectRate: number[]; bindRate: number[] }>();
console.log(`== hand-off: ${CONNS} connections × ${ROUNDS} rounds per setting, concurrency ${CONC}, ${cpus().length} cores`);
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? MODES : [...MODES].reverse();
  for (const m of order) {
    env.FORESTD_WORKERS = String(m.workers);
    env.FORESTD_WORKER_MODE = m.mode;
    await fd.restart([]);
    await load('connect'); // warm-up
    const a = await load('connect');
    const b = await load('bind');
    const r = results.get(m.label) ?? { connect: [], bind: [], connectRate: [], bindRate: [] };
    r.connect.push(a.cpuUsPerConn);
    r.bind.push(b.cpuUsPerConn);
    r.connectRate.push(a.connPerS);
    r.bindRate.push(b.connPerS);
    results.set(m.label, r);
    console.log(`  round ${round + 1} ${m.label.padEnd(10)} connect+search+unbind ${a.cpuUsPerConn.toFixed(0)} µs/conn (${a.connPerS.toFixed(0)}/s)  connect+bind+unbind ${b.cpuUsPerConn.toFixed(0)} µs/conn (${b.connPerS.toFixed(0)}/s)  load ${loadavg()[0]!.toFixed(2)}`);
  }
}
console.log('== medians (server CPU per connection: the serving process and its read processes)');
for (const [label, r] of results) {
  console.log(`  ${label.padEnd(10)} connect+search+unbind ${median(r.connect).toFixed(0)} µs/conn (${median(r.connectRate).toFixed(0)}/s)  connect+bind+unbind ${median(r.bind).toFixed(0)} µs/conn (${median(r.bindRate).toFixed(0)}/s)`);
}
console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
await fd.stop();
