// npm run bench:repl — replication between three real forestd processes on loopback (a
// benchmark, not a test: prints figures, asserts nothing about time). For each domain size of
// BENCH_REPL_SIZES (default 10000,100000: the two sizes the replication issue asks about;
// BENCH_REPL_SIZES=10000 for a quick run), a fresh forest:
//   - DC1 provisioned and grown to the size over LDAP (pipelined adds of users);
//   - `forestd join` of DC2 and DC3: wall time of the process, and the join's own figures
//     (objects, bytes, seconds, objects/s);
//   - p50/p99/max from a write's acknowledgement (LDAP add answered) on one DC to its
//     visibility over LDAP (a base search that finds it) on each of the other two, writes
//     rotating over the three DCs (notification-driven pulls, MS-ADTS 3.1.1.5.1.6), per path too.
// BENCH_REPL_WRITES (default 100) writes per size; BENCH_REPL_OBJECTS is the old name of a
// single size. A summary table comes last, with the load average at the start and the end.
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { Client } from 'ldapts';
import { startForestd, runCli, type RunningForestd } from '../test/helpers/forestd.js';
import { tempDir } from '../test/helpers/tmp.js';
import { BenchClient } from './lib/client.js';
import { bulkLoad, addOp } from './lib/load.js';

const env = process.env;
const SIZES = (env.BENCH_REPL_SIZES ?? env.BENCH_REPL_OBJECTS ?? '10000,100000').split(',').map(Number);
const WRITES = Number(env.BENCH_REPL_WRITES ?? 100);
const PW = 'Adm1n-Passw0rd!';
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;
const ms = (x: number) => `${x.toFixed(1)} ms`;

interface JoinFigures {
  wallS: number;
  objects: number;
  mb: number;
  s: number;
}
interface SizeResult {
  size: number;
  domainObjects: number;
  joins: JoinFigures[];
  lat: number[];
}
const results: SizeResult[] = [];
const loadStart = load();

const connect = async (f: RunningForestd) => {
  const c = new Client({ url: f.url, timeout: 60_000 });
  await c.bind(f.adminUPN, PW);
  return c;
};
const visible = async (c: Client, dn: string) => {
  try {
    return (await c.search(dn, { scope: 'base', attributes: ['1.1'] })).searchEntries.length === 1;
  } catch {
    return false;
  }
};
const waitVisible = async (c: Client, dn: string, deadline = 120_000) => {
  const end = performance.now() + deadline;
  while (!(await visible(c, dn))) if (performance.now() > end) throw new Error(`${dn} not visible within ${deadline} ms`);
  return performance.now();
};

async function runSize(size: number): Promise<SizeResult> {
  const t = tempDir('forestd-bench-repl-');
  const dcs: RunningForestd[] = [];
  try {
    const dc1 = await startForestd({ serveArgs: ['--repl-port', '0'], adminPassword: PW });
    dcs.push(dc1);
    const c1 = await connect(dc1);
    const count = async (c: Client, base: string) => (await c.search(base, { filter: '(objectClass=*)', attributes: ['1.1'], paged: { pageSize: 1000 } })).searchEntries.length;
    const ou = `OU=Bench,${dc1.baseDN}`;
    await c1.add(ou, { objectClass: 'organizationalUnit' });
    const toAdd = Math.max(0, size - (await count(c1, dc1.baseDN)));
    const host = new URL(dc1.url).hostname;
    const open = async () => {
      const c = await BenchClient.open(host, dc1.port);
      const rc = await c.bind(dc1.adminDN, PW);
      if (rc !== 0) throw new Error(`bind failed: ${rc}`);
      return c;
    };
    function* users(): Generator<ReturnType<typeof addOp>> {
      for (let i = 0; i < toAdd; i++) yield addOp(`CN=b${i},${ou}`, { objectClass: ['user'], sAMAccountName: [`b${i}`], description: [`bench user ${i}`], givenName: [`Given${i}`], sn: [`Surname${i}`] });
    }
    const seedS = toAdd > 0 ? await bulkLoad(users(), { label: `DC1 users`, total: toAdd, connections: 4, inFlight: 16, open }) : 0;
    const domainObjects = await count(c1, dc1.baseDN);
    console.log(`[${size}] DC1: ${domainObjects} objects in the domain NC (${toAdd} added over LDAP in ${seedS.toFixed(1)} s)`);

    const joins: JoinFigures[] = [];
    const joinOne = async (name: string) => {
      const data = join(t.dir, name);
      const s = performance.now();
      const r = await runCli(['join', '--data', data, '--source', dc1.url, '--admin-password', PW, '--hostname', name], { timeoutMs: 1_800_000, env: { FORESTD_JOIN_PHASES: '1' } });
      if (r.code !== 0) throw new Error(`join ${name}: ${r.stderr}${r.stdout}`);
      const wallS = (performance.now() - s) / 1000;
      const m = /: (\d+) objects, ([\d.]+) MB in ([\d.]+) s/.exec(r.stdout);
      const jf = { wallS, objects: Number(m?.[1] ?? 0), mb: Number(m?.[2] ?? 0), s: Number(m?.[3] ?? 0) };
      joins.push(jf);
      console.log(`[${size}] join ${name}: ${wallS.toFixed(2)} s wall (the process, LDAP and all); ${jf.objects} objects, ${jf.mb} MB in ${jf.s} s, ${(jf.objects / jf.s).toFixed(0)} objects/s`);
      // where the join's wall time goes (FORESTD_JOIN_PHASES=1, join.ts)
      const phases = /join phases \(ms\): (.*)/.exec(r.stderr)?.[1];
      if (phases) console.log(`[${size}] join ${name} phases (ms): ${phases}`);
      const f = await startForestd({ data, serveArgs: ['--repl-port', '0'], adminPassword: PW });
      dcs.push(f);
      return f;
    };
    const dc2 = await joinOne('DC2');
    const dc3 = await joinOne('DC3');
    const clients = [c1, await connect(dc2), await connect(dc3)];
    const names = ['DC1', 'DC2', 'DC3'];

    // every DC knows the others before the latency runs: DC3's computer on DC2, and one write
    // from each DC seen on both others (the partners found, the connections open)
    await waitVisible(clients[1]!, `CN=DC3,OU=Domain Controllers,${dc1.baseDN}`);
    for (let from = 0; from < 3; from++) {
      const dn = `CN=warm${from},${ou}`;
      await clients[from]!.add(dn, { objectClass: 'user', sAMAccountName: `warm${from}` });
      for (let k = 0; k < 3; k++) if (k !== from) await waitVisible(clients[k]!, dn);
    }

    const lat: number[] = [];
    const perPath = new Map<string, number[]>();
    for (let i = 0; i < WRITES; i++) {
      const from = i % 3;
      const dn = `CN=lat${i},${ou}`;
      await clients[from]!.add(dn, { objectClass: 'user', sAMAccountName: `lat${i}` });
      const acked = performance.now();
      await Promise.all(
        [0, 1, 2]
          .filter((k) => k !== from)
          .map(async (k) => {
            const x = (await waitVisible(clients[k]!, dn)) - acked;
            lat.push(x);
            const key = `${names[from]}→${names[k]}`;
            perPath.set(key, [...(perPath.get(key) ?? []), x]);
          }),
      );
    }
    console.log(`[${size}] write acknowledged on one DC → visible over LDAP on another: ${lat.length} samples, p50 ${ms(pct(lat, 50))}, p99 ${ms(pct(lat, 99))}, max ${ms(Math.max(...lat))}`);
    for (const [k, xs] of [...perPath].sort()) console.log(`  ${k}: p50 ${ms(pct(xs, 50))}, p99 ${ms(pct(xs, 99))}`);
    for (const c of clients) await c.unbind().catch(() => undefined);
    return { size, domainObjects, joins, lat };
  } finally {
    for (const f of dcs.reverse()) await f.stop();
    t.cleanup();
  }
}

for (const size of SIZES) results.push(await runSize(size));

console.log(`\nbench:repl summary (load average at start ${loadStart}, at end ${load()})`);
console.log('| domain objects | join (the join\'s own time, DC2 / DC3) | objects/s | MB | join wall | ack → visible p50 / p99 / max |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  const j = r.joins;
  console.log(`| ${r.domainObjects} | ${j.map((x) => `${x.s.toFixed(2)} s`).join(' / ')} | ${j.map((x) => (x.objects / x.s).toFixed(0)).join(' / ')} | ${j[0]?.mb ?? 0} | ${j.map((x) => `${x.wallS.toFixed(2)} s`).join(' / ')} | ${ms(pct(r.lat, 50))} / ${ms(pct(r.lat, 99))} / ${ms(Math.max(...r.lat))} |`);
}
