// node dist/bench/name-cache.bench.js — the DN ↔ GUID name cache (src/dsa/names.ts NameCache)
// A/B in one process: the same base reads, subtree searches and simple binds of random users,
// through the DSA (no sockets), in alternating rounds with the cache on and off
// (`Directory.names.cache.resize`). Prints the process CPU per operation (µs, median of the
// rounds) of each, so the figure holds on a loaded machine better than a wall-clock one.
// Environment: BENCH_USERS=2000 BENCH_ROUNDS=6 BENCH_OPS=2000 (per round and case)
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { provision } from '../src/dsa/provision/provision.js';
import { add } from '../src/dsa/add.js';
import { bind } from '../src/dsa/bind.js';
import { search } from '../src/dsa/search/search.js';
import { parseFilter } from '../src/ldap/protocol/filter-string.js';
import { NAME_CACHE_ENTRIES } from '../src/dsa/names.js';
import type { OperationContext, SearchSink } from '../src/dsa/api.js';
import type { SearchRequest } from '../src/ldap/protocol/messages.js';

const USERS = Number(process.env.BENCH_USERS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const OPS = Number(process.env.BENCH_OPS ?? 2000);
const PASSWORD = 'Bench-pass1!';

const dir = mkdtempSync(join(tmpdir(), 'forestd-bench-namecache-'));
const { directory: d } = await provision({ dataDir: join(dir, 'd'), realm: 'example.com', netbios: 'EXAMPLE', adminPassword: 'Passw0rd!' });
const DOMAIN = d.forest.domainDN;
const ctx = (): OperationContext => ({
  session: { id: 1, identity: { dn: `CN=Administrator,CN=Users,${DOMAIN}`, guid: Buffer.alloc(16), isAdmin: true }, encrypted: true, globalCatalog: false, remoteAddress: 'bench' },
  controls: [],
  signal: new AbortController().signal,
});
const b = (s: string) => Buffer.from(s, 'utf8');
await add(d, { type: 'addRequest', entry: `OU=Bench,${DOMAIN}`, attributes: [{ type: 'objectClass', values: [b('organizationalUnit')] }] }, ctx());
const userDn = (i: number) => `CN=User${i},OU=Bench,${DOMAIN}`;
const pending: Promise<unknown>[] = [];
for (let i = 0; i < USERS; i++) {
  pending.push(
    add(
      d,
      {
        type: 'addRequest',
        entry: userDn(i),
        attributes: [
          { type: 'objectClass', values: [b('user')] },
          { type: 'sAMAccountName', values: [b(`user${i}`)] },
          { type: 'sn', values: [b(`Sn${i}`)] },
          { type: 'userAccountControl', values: [b('512')] },
          { type: 'unicodePwd', values: [Buffer.from(`"${PASSWORD}"`, 'utf16le')] },
        ],
      },
      ctx(),
    ),
  );
  if (pending.length >= 64) await Promise.all(pending.splice(0));
}
await Promise.all(pending);

const sink: SearchSink = { entry() {}, reference() {} };
const req = (base: string, scope: 0 | 2, filter: string): SearchRequest => ({ type: 'searchRequest', baseObject: base, scope, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: parseFilter(filter), attributes: ['cn', 'sn', 'description'] });
let seed = 1;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % USERS;
const cases: Record<string, () => Promise<unknown>> = {
  read: () => search(d, req(userDn(rnd()), 0, '(objectClass=*)'), ctx(), sink),
  search: () => search(d, req(DOMAIN, 2, `(sAMAccountName=user${rnd()})`), ctx(), sink),
  bind: () => bind(d, { type: 'bindRequest', version: 3, name: userDn(rnd()), authentication: { method: 'simple', password: b(PASSWORD) } }, ctx()),
};

const us: Record<string, { on: number[]; off: number[] }> = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const on of round % 2 === 0 ? [true, false] : [false, true]) {
    d.names.cache.resize(on ? NAME_CACHE_ENTRIES : 0);
    for (const [name, op] of Object.entries(cases)) {
      for (let i = 0; i < 200; i++) await op(); // warm-up (fills the cache when on)
      const c0 = process.cpuUsage();
      for (let i = 0; i < OPS; i++) await op();
      const c = process.cpuUsage(c0);
      ((us[name] ??= { on: [], off: [] })[on ? 'on' : 'off']).push((c.user + c.system) / OPS);
    }
  }
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
console.log(`name cache A/B, ${USERS} users, ${ROUNDS} rounds × ${OPS} ops per case; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log('| case | cache off µs/op | cache on µs/op | on/off |');
console.log('|---|---|---|---|');
for (const [name, { on, off }] of Object.entries(us)) console.log(`| ${name} | ${median(off).toFixed(1)} | ${median(on).toFixed(1)} | ${(median(on) / median(off)).toFixed(2)} |`);
console.log(`hits ${d.names.cache.stats.hits}, misses ${d.names.cache.stats.misses}`);
await d.close();
rmSync(dir, { recursive: true, force: true });
