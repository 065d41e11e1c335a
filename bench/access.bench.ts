// npm run bench:access — what the access checks (MS-ADTS 5.1.3.3; src/dsa/access) cost reads,
// in process (no sockets, so the checks are a larger share than over LDAP): a base read and an
// indexed subtree search of random users, at 1 and 16 concurrent requesters, each run three ways
// interleaved round by round — "off" (the system's own identity: the DSA makes no checks), as the
// Administrator and as an ordinary user (both checked). Prints ops/s and CPU µs per operation
// (process.cpuUsage), the best of BENCH_ROUNDS rounds, the ratio to "off", and the load average.
// Asserts nothing about time.
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { provision } from '../src/dsa/provision/provision.js';
import { createObject } from '../src/dsa/add.js';
import { search } from '../src/dsa/search/search.js';
import { OriginatingUpdate } from '../src/dsa/originating-update.js';
import type { Identity, OperationContext, SearchSink } from '../src/dsa/api.js';
import type { SearchRequest } from '../src/ldap/protocol/messages.js';
import { tempDir } from '../test/helpers/tmp.js';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';

const USERS = Number(process.env.BENCH_USERS ?? 3000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONC = (process.env.BENCH_CONC ?? '1,16').split(',').map(Number);

const t = tempDir('forestd-bench-access-');
const { directory: dir } = await provision({ dataDir: join(t.dir, 'd'), realm: 'example.com', netbios: 'EXAMPLE', adminPassword: 'Passw0rd!' });
const D = dir.forest.domainDN;
const A = (n: string) => dir.schema.attr(n)!;
const users = dir.resolve(dir.store.reader, `CN=Users,${D}`, 'bench');
await dir.store.write((w) => {
  for (let i = 0; i <= USERS; i++) {
    w.advanceUsn();
    const u = new OriginatingUpdate(w, dir.store.dc.invocationId, dir.clock);
    const name = i === USERS ? 'reader' : `bench${i}`;
    const values = new Map<ReturnType<typeof A>, unknown[]>([
      [A('objectClass'), ['1.2.840.113556.1.5.9']],
      [A('sAMAccountName'), [name]],
      [A('description'), [`bench user ${i}`]],
      [A('mail'), [`${name}@example.com`]],
    ]);
    createObject(dir, u, { parent: users, rdnType: A('cn'), rdnValue: name, values: values as never }, { system: false, place: 'bench' });
  }
});
const idOf = (cn: string, isAdmin: boolean): Identity => ({ dn: `CN=${cn},CN=Users,${D}`, guid: dir.resolve(dir.store.reader, `CN=${cn},CN=Users,${D}`, 'bench'), isAdmin });
// BENCH_MODES=user: only some modes (with node --cpu-prof, to profile the checks)
const modes: [string, Identity | null][] = (
  [
    ['off', null],
    ['admin', idOf('Administrator', true)],
    ['user', idOf('reader', false)],
  ] as [string, Identity | null][]
).filter(([m]) => !process.env.BENCH_MODES || process.env.BENCH_MODES.split(',').includes(m));
const rnd = () => Math.floor(Math.random() * USERS);
const base = { type: 'searchRequest', derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false } as const;
const cases: [string, () => SearchRequest][] = [
  ['base read', () => ({ ...base, baseObject: `CN=bench${rnd()},CN=Users,${D}`, scope: 0, filter: { type: 'present', attribute: 'objectClass' }, attributes: ['cn', 'mail', 'description'] })],
  ['search (sAMAccountName=…)', () => ({ ...base, baseObject: D, scope: 2, filter: { type: 'equalityMatch', attribute: 'sAMAccountName', value: Buffer.from(`bench${rnd()}`) }, attributes: ['cn', 'mail'] })],
];

// BENCH_CASES=base: only the cases whose name contains one of the words
const onlyCases = process.env.BENCH_CASES?.split(',');
if (onlyCases) cases.splice(0, cases.length, ...cases.filter(([n]) => onlyCases.some((o) => n.includes(o))));

async function runOne(identity: Identity | null, make: () => SearchRequest, conc: number): Promise<{ ops: number; cpuUs: number; entries: number }> {
  let ops = 0;
  let entries = 0;
  const sink: SearchSink = { entry: () => void entries++, reference: () => {} };
  const cpu0 = process.cpuUsage();
  const end = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: conc }, async (_, k) => {
      // one session per requester, as connections have: the token is built once per session
      const ctx: OperationContext = { session: { id: 100 + k, identity: identity ? { ...identity } : null, encrypted: true, globalCatalog: false, remoteAddress: 'bench' }, controls: [], signal: new AbortController().signal };
      while (performance.now() < end) {
        await search(dir, make(), ctx, sink);
        ops++;
      }
    }),
  );
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { ops: ops / s, cpuUs: (cpu.user + cpu.system) / ops, entries: entries / ops };
}

// BENCH_CPU_PROF=<file>: a V8 CPU profile of the measured rounds only (not the load), written to <file>
const profFile = process.env.BENCH_CPU_PROF;
const prof = profFile ? new Session() : undefined;
if (prof) {
  prof.connect();
  await prof.post('Profiler.enable');
  await prof.post('Profiler.start');
}
const best = new Map<string, { ops: number; cpuUs: number; entries: number }>();
for (let round = 0; round < ROUNDS; round++) {
  // interleaved: every mode once per round, in a rotating order
  const order = modes.map((_, i) => modes[(i + round) % modes.length]!);
  for (const [cname, make] of cases) {
    for (const conc of CONC) {
      for (const [mname, id] of order) {
        const r = await runOne(id, make, conc);
        const k = `${cname}|${conc}|${mname}`;
        const b = best.get(k);
        if (!b || r.ops > b.ops) best.set(k, { ...r, cpuUs: b ? Math.min(b.cpuUs, r.cpuUs) : r.cpuUs });
        else b.cpuUs = Math.min(b.cpuUs, r.cpuUs);
      }
    }
  }
}
if (prof) {
  const { profile } = await prof.post('Profiler.stop');
  writeFileSync(profFile!, JSON.stringify(profile));
  prof.disconnect();
}
console.log(`${USERS} users, ${SECONDS} s per run, best of ${ROUNDS} interleaved rounds; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log(`${'case'.padEnd(28)} ${'conc'.padStart(4)} ${'mode'.padEnd(6)} ${'ops/s'.padStart(8)} ${'CPU µs/op'.padStart(10)} ${'vs off'.padStart(8)} ${'CPU vs off'.padStart(10)} entries/op`);
for (const [cname] of cases) {
  for (const conc of CONC) {
    const off = best.get(`${cname}|${conc}|off`) ?? best.get(`${cname}|${conc}|${modes[0]![0]}`)!;
    for (const [mname] of modes) {
      const r = best.get(`${cname}|${conc}|${mname}`)!;
      const pct = (a: number, b: number) => `${a >= b ? '+' : ''}${(((a - b) / b) * 100).toFixed(1)}%`;
      console.log(`${cname.padEnd(28)} ${String(conc).padStart(4)} ${mname.padEnd(6)} ${Math.round(r.ops).toString().padStart(8)} ${r.cpuUs.toFixed(1).padStart(10)} ${pct(r.ops, off.ops).padStart(8)} ${pct(r.cpuUs, off.cpuUs).padStart(10)} ${r.entries.toFixed(2)}`);
    }
  }
}
await dir.close();
t.cleanup();
