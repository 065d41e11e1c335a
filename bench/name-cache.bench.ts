// node dist/bench/name-cache.bench.js — the DN ↔ GUID name cache (src/dsa/names.ts NameCache)
// A/B in one process: the same base reads, subtree searches and simple binds of random users,
// through the DSA (no sockets), in short alternating stretches with the cache on and off.
// Prints the process CPU per operation (µs) of each, so the figure holds on a loaded machine
// better than a wall-clock one.
// Environment: BENCH_USERS=2000 BENCH_ROUNDS=40 BENCH_OPS=250 (stretches per case and setting, ops per stretch)
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { provision } from '../src/dsa/provision/provision.js';
import { add } from '../src/dsa/add.js';
import { bind } from '../src/dsa/bind.js';
import { search } from '../src/dsa/search/search.js';
import { parseFilter } from '../src/ldap/protocol/filter-string.js';
import { NameCache } from '../src/dsa/names.js';
import type { OperationContext, SearchSink } from '../src/dsa/api.js';
import type { SearchRequest } from '../src/ldap/protocol/messages.js';

const USERS = Number(process.env.BENCH_USERS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const OPS = Number(process.env.BENCH_OPS ?? 250);
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

// the cache on and off in short alternating stretches (so that the machine's load drifts over
// both alike): the on cache stays warm while the off one (limit 0) stands in for it
const on = d.names.cache;
const off = new NameCache(0);
const names = d.names as unknown as { cache: NameCache };
const us: Record<string, { on: number; off: number; n: number }> = {};
for (const [name, op] of Object.entries(cases)) {
  for (let i = 0; i < USERS; i++) await op(); // warm-up: fills the cache
  const t = (us[name] = { on: 0, off: 0, n: 0 });
  for (let round = 0; round < ROUNDS; round++) {
    for (const which of round % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
      names.cache = which === 'on' ? on : off;
      const c0 = process.cpuUsage();
      for (let i = 0; i < OPS; i++) await op();
      const c = process.cpuUsage(c0);
      t[which] += c.user + c.system;
    }
    t.n += OPS;
  }
  names.cache = on;
}
console.log(`name cache A/B, ${USERS} users, ${ROUNDS} alternating stretches of ${OPS} ops per case and setting; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log('| case | cache off µs/op | cache on µs/op | on/off |');
console.log('|---|---|---|---|');
for (const [name, t] of Object.entries(us)) console.log(`| ${name} | ${(t.off / t.n).toFixed(1)} | ${(t.on / t.n).toFixed(1)} | ${(t.on / t.off).toFixed(2)} |`);
console.log(`hits ${on.stats.hits}, misses ${on.stats.misses}`);
await d.close();
rmSync(dir, { recursive: true, force: true });
