// npm run bench:repl — replication between three real forestd processes on loopback (a
// benchmark, not a test: prints figures, asserts nothing about time):
//   - join time of a domain of about 10,000 objects, and the pull's throughput (objects/s)
//   - p50/p99 from a write's acknowledgement (LDAP add answered) on one DC to its visibility over
//     LDAP on each of the other two (notification-driven pulls, MS-ADTS 3.1.1.5.1.6)
// BENCH_REPL_OBJECTS (default 10000) and BENCH_REPL_WRITES (default 100) scale it.
import { join } from 'node:path';
import { Client } from 'ldapts';
import { startForestd, runCli, type RunningForestd } from '../test/helpers/forestd.js';
import { tempDir } from '../test/helpers/tmp.js';

const OBJECTS = Number(process.env.BENCH_REPL_OBJECTS ?? 10_000);
const WRITES = Number(process.env.BENCH_REPL_WRITES ?? 100);
const PW = 'Adm1n-Passw0rd!';
const t = tempDir('forestd-bench-repl-');
const dcs: RunningForestd[] = [];

const connect = async (f: RunningForestd) => {
  const c = new Client({ url: f.url, timeout: 60_000 });
  await c.bind(f.adminUPN, PW);
  return c;
};
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

try {
  const dc1 = await startForestd({ serveArgs: ['--repl-port', '0'], adminPassword: PW });
  dcs.push(dc1);
  const c1 = await connect(dc1);
  const count = async (c: Client, base: string) => (await c.search(base, { filter: '(objectClass=*)', attributes: ['1.1'], paged: { pageSize: 1000 } })).searchEntries.length;
  const ou = `OU=Bench,${dc1.baseDN}`;
  await c1.add(ou, { objectClass: 'organizationalUnit' });
  const have = await count(c1, dc1.baseDN);
  let next = 0;
  const toAdd = Math.max(0, OBJECTS - have);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < toAdd) {
        const i = next++;
        await c1.add(`CN=b${i},${ou}`, { objectClass: 'user', sAMAccountName: `b${i}`, description: `bench user ${i}` });
      }
    }),
  );
  const domainObjects = await count(c1, dc1.baseDN);
  console.log(`DC1: ${domainObjects} objects in the domain NC (${toAdd} added over LDAP in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);

  const joinOne = async (name: string) => {
    const data = join(t.dir, name);
    const s = performance.now();
    const r = await runCli(['join', '--data', data, '--source', dc1.url, '--admin-password', PW, '--hostname', name], { timeoutMs: 1_200_000 });
    if (r.code !== 0) throw new Error(`join ${name}: ${r.stderr}${r.stdout}`);
    const ms = performance.now() - s;
    const m = /: (\d+) objects, ([\d.]+) MB in ([\d.]+) s/.exec(r.stdout);
    console.log(`join ${name}: ${(ms / 1000).toFixed(2)} s wall (the process, LDAP and all); ${m ? `${m[1]} objects, ${m[2]} MB, ${(Number(m[1]) / Number(m[3])).toFixed(0)} objects/s` : r.stdout.trim()}`);
    const f = await startForestd({ data, serveArgs: ['--repl-port', '0'], adminPassword: PW });
    dcs.push(f);
    return f;
  };
  const dc2 = await joinOne('DC2');
  const dc3 = await joinOne('DC3');
  const clients = [c1, await connect(dc2), await connect(dc3)];
  const names = ['DC1', 'DC2', 'DC3'];

  // each DC has caught up with the others' joins before the latency runs (DC3's objects on DC2)
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
  await waitVisible(clients[1]!, `CN=DC3,OU=Domain Controllers,${dc1.baseDN}`);

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
          const ms = (await waitVisible(clients[k]!, dn)) - acked;
          lat.push(ms);
          const key = `${names[from]}→${names[k]}`;
          perPath.set(key, [...(perPath.get(key) ?? []), ms]);
        }),
    );
  }
  console.log(`write acknowledged on one DC → visible over LDAP on another: ${lat.length} samples, p50 ${pct(lat, 50).toFixed(1)} ms, p99 ${pct(lat, 99).toFixed(1)} ms, max ${Math.max(...lat).toFixed(1)} ms`);
  for (const [k, xs] of perPath) console.log(`  ${k}: p50 ${pct(xs, 50).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms`);
  for (const c of clients) await c.unbind().catch(() => undefined);
} finally {
  for (const f of dcs.reverse()) await f.stop();
  t.cleanup();
}
