// npm run bench:search-path — the search path in process (no sockets), A/B of the encoded-entry
// cache (src/dsa/search/entry-cache.ts) in one run: BENCH_USERS users as bench:ldap makes them,
// then rounds alternating the cache off (capacity 0) and on, each round BENCH_OPS searches of one
// kind — `search` (sAMAccountName=userN) below the OU, `read` a base read of userN — returning
// cn,sn,givenName,displayName,mail,description as the Administrator, into a sink that encodes the
// entries as the LDAP connection does. Prints the median server CPU µs per operation of each
// (case, cache) over BENCH_ROUNDS rounds, and the load average. Asserts nothing about time.
import { loadavg } from 'node:os';
import { search } from '../src/dsa/search/search.js';
import type { SearchSink } from '../src/dsa/api.js';
import type { SearchRequest } from '../src/ldap/protocol/messages.js';
import { BerWriter } from '../src/ber/writer.js';
import { writeMessage } from '../src/ldap/protocol/codec.js';
import { searchFixture, addEntries, request, context } from '../test/helpers/search-fixture.js';

const USERS = Number(process.env.BENCH_USERS ?? 2000);
const OPS = Number(process.env.BENCH_OPS ?? 4000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ATTRS = ['cn', 'sn', 'givenName', 'displayName', 'mail', 'description'];

const f = await searchFixture();
const dir = f.dir;
const ou = `OU=Bench,${f.baseDN}`;
addEntries(dir, [{ dn: ou, attrs: { objectClass: 'organizationalUnit' } }]);
for (let made = 0; made < USERS; made += 1000) {
  addEntries(
    dir,
    Array.from({ length: Math.min(1000, USERS - made) }, (_, i) => {
      const n = made + i;
      return { dn: `CN=user${n},${ou}`, attrs: { objectClass: 'user', sAMAccountName: `user${n}`, givenName: `Given${n}`, sn: `Surname${n}`, displayName: `Bench User ${n}`, mail: `user${n}@example.com`, description: `bench user number ${n}` } };
    }),
  );
}

const w = new BerWriter(4096);
let entries = 0;
const sink: SearchSink = {
  entry: (objectName, attributes) => {
    entries++;
    writeMessage(w, { messageID: 1, protocolOp: { type: 'searchResultEntry', objectName, attributes } });
  },
  entryEncoded: (objectName, encodedAttributes) => {
    entries++;
    writeMessage(w, { messageID: 1, protocolOp: { type: 'searchResultEntry', objectName, attributes: [], encodedAttributes } });
  },
  reference: () => {},
};
const ctx = context();
// users in an order that visits each once per USERS requests
const order = (i: number) => (i * 7919) % USERS;
const requests = (kind: 'search' | 'read'): SearchRequest[] =>
  Array.from({ length: OPS }, (_, i) => (kind === 'read' ? request(`CN=user${order(i)},${ou}`, '(objectClass=*)', { scope: 0, attributes: ATTRS }) : request(ou, `(sAMAccountName=user${order(i)})`, { scope: 2, attributes: ATTRS })));

async function round(reqs: SearchRequest[], cache: boolean): Promise<number> {
  dir.entryCache.capacity = cache ? Math.max(USERS, 1) * 2 : 0;
  // warm-up: every user once (fills the cache when on)
  for (let i = 0; i < Math.min(USERS, reqs.length); i++) {
    w.reset();
    await search(dir, reqs[i]!, ctx, sink);
  }
  entries = 0;
  const c0 = process.cpuUsage();
  for (const r of reqs) {
    w.reset();
    await search(dir, r, ctx, sink);
  }
  const c = process.cpuUsage(c0);
  if (entries !== reqs.length) throw new Error(`${entries} entries for ${reqs.length} requests`);
  return (c.user + c.system) / reqs.length;
}

const got = new Map<string, number[]>();
for (let k = 0; k < ROUNDS; k++) {
  for (const kind of ['search', 'read'] as const) {
    const reqs = requests(kind);
    for (const cache of k % 2 === 0 ? [false, true] : [true, false]) {
      const us = await round(reqs, cache);
      const key = `${kind} cache ${cache ? 'on ' : 'off'}`;
      got.set(key, [...(got.get(key) ?? []), us]);
    }
  }
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
console.log(`${USERS} users, ${ROUNDS} rounds of ${OPS} operations; cache hits ${dir.entryCache.hits}, misses ${dir.entryCache.misses}`);
for (const kind of ['search', 'read']) {
  const off = median(got.get(`${kind} cache off`)!);
  const on = median(got.get(`${kind} cache on `)!);
  console.log(`${kind.padEnd(6)} CPU µs/op: cache off ${off.toFixed(1)}, on ${on.toFixed(1)} (${(on / off).toFixed(2)}×)  rounds off ${got.get(`${kind} cache off`)!.map((x) => x.toFixed(1)).join(' ')} | on ${got.get(`${kind} cache on `)!.map((x) => x.toFixed(1)).join(' ')}`);
}
console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
await f.close();
