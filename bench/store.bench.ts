// npm run bench:store — the LMDB store on its own: bulk insert of 100,000 user-like objects,
// single-object updates with many in flight (group commit), and lookups by GUID and by DN.
// Prints figures; asserts nothing about time.
import { Store, indexKey } from '../src/store/store.js';
import { DnDeriver } from '../src/dsa/names.js';
import { OriginatingUpdate } from '../src/dsa/originating-update.js';
import type { ObjectRecord } from '../src/store/record.js';
import { newGuid } from '../src/util/guid.js';
import { systemClock } from '../src/util/time.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const N = Number(process.env.BENCH_OBJECTS ?? 100_000);
const TYPES: Record<string, number> = { cn: 3, ou: 11, dc: 25 };
const names = new DnDeriver({ nameOf: (id) => Object.keys(TYPES).find((k) => TYPES[k] === id)!, idOf: (t) => TYPES[t.toLowerCase()] });
const SAM = 0x90000 + 221; // stand-in ATTRTYPs for user-like attributes
const OC = 0;
const dir = mkdtempSync(join(tmpdir(), 'forestd-bench-'));
const store = Store.open(dir, {
  create: true,
  indexer: (r) => {
    const keys: Buffer[] = [];
    for (const a of r.attrs) if (a.id === SAM || a.id === OC) for (const v of a.values) keys.push(indexKey(a.id, Buffer.from(String(v).toUpperCase())));
    return keys;
  },
});
const clock = systemClock;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function userRecord(parent: Buffer, nc: Buffer, i: number, u: OriginatingUpdate): ObjectRecord {
  const rec: ObjectRecord = { parent, nc, rdnType: 3, name: `user${i}`, usnCreated: u.usn, usnChanged: u.usn, whenChanged: u.time, attrs: [] };
  const set = (id: number, values: unknown[]) => u.setAttribute(rec, { id, replicated: true }, values);
  set(OC, ['top', 'person', 'organizationalPerson', 'user']);
  set(3, [`user${i}`]);
  set(SAM, [`user${i}`]);
  set(0x90000 + 656, [`user${i}@example.com`]); // userPrincipalName
  set(0x90000 + 146, [Buffer.concat([Buffer.from('010500000000000515000000', 'hex'), Buffer.alloc(16, i & 0xff)])]); // objectSid
  set(13, [`Benchmark user number ${i}`]);
  set(0x90000 + 8, [512]); // userAccountControl
  set(0x90000 + 2, ['Bench']); // givenName-ish
  set(4, ['User']); // sn
  set(0x90000 + 3, [`user${i}@example.com`]); // mail
  return rec;
}

const nc = newGuid();
const ou = newGuid();
await store.write((w) => {
  const u = new OriginatingUpdate(w, store.dc.invocationId, clock);
  w.putObject(nc, { parent: null, nc, rdnType: 25, name: 'example', ncName: 'DC=example,DC=com', usnCreated: u.usn, usnChanged: u.usn, whenChanged: u.time, attrs: [] }, undefined);
  w.putObject(ou, { parent: nc, nc, rdnType: 3, name: 'Users', usnCreated: u.usn, usnChanged: u.usn, whenChanged: u.time, attrs: [] }, undefined);
});

// 1. bulk insert: 1,000 objects per transaction
const guids: Buffer[] = [];
let t0 = performance.now();
const BATCH = 1000;
for (let i = 0; i < N; i += BATCH) {
  await store.write((w) => {
    for (let j = i; j < Math.min(N, i + BATCH); j++) {
      const u = new OriginatingUpdate(w, store.dc.invocationId, clock);
      const g = newGuid();
      guids.push(g);
      w.putObject(g, userRecord(ou, nc, j, u), undefined);
    }
  });
}
const bulkS = (performance.now() - t0) / 1000;
console.log(`bulk insert      ${fmt(N / bulkS)} objects/s  (${N} objects, ${BATCH} per transaction, ${bulkS.toFixed(2)} s)`);

// 2. originating updates one object each, 64 in flight (group commit), durable on resolve
const M = Math.min(5000, N);
t0 = performance.now();
let next = 0;
const worker = async () => {
  while (next < M) {
    const g = guids[next++]!;
    await store.write((w) => {
      const prev = w.getObject(g)!;
      const rec = structuredClone(prev);
      const u = new OriginatingUpdate(w, store.dc.invocationId, clock);
      u.setAttribute(rec, { id: 13, replicated: true }, [`changed ${next}`]);
      u.touch(rec);
      w.putObject(g, rec, prev);
    });
  }
};
await Promise.all(Array.from({ length: 64 }, worker));
const updS = (performance.now() - t0) / 1000;
console.log(`single updates   ${fmt(M / updS)} updates/s (64 in flight, each its own durable update)`);

// 3. lookups
const rnd = () => guids[(Math.random() * guids.length) | 0]!;
const L = 200_000;
t0 = performance.now();
for (let i = 0; i < L; i++) store.reader.getObject(rnd());
const byGuid = L / ((performance.now() - t0) / 1000);
console.log(`lookup by GUID   ${fmt(byGuid)} lookups/s (read + decode the record)`);
const dns = Array.from({ length: 1000 }, (_, i) => `CN=user${(i * 97) % N},CN=Users,DC=example,DC=com`);
t0 = performance.now();
for (let i = 0; i < L; i++) {
  const r = names.resolve(store.reader, dns[i % dns.length]!);
  if (!r.found) throw new Error('lookup failed');
}
const byDn = L / ((performance.now() - t0) / 1000);
console.log(`lookup by DN     ${fmt(byDn)} lookups/s (parse, walk the DN index)`);
t0 = performance.now();
for (let i = 0; i < L; i++) names.dnOf(store.reader, rnd());
console.log(`derive DN        ${fmt(L / ((performance.now() - t0) / 1000))} DNs/s`);
t0 = performance.now();
for (let i = 0; i < L; i++) {
  const k = indexKey(SAM, Buffer.from(`USER${(i * 7919) % N}`));
  for (const _ of store.reader.indexEqual(k)) void _;
}
console.log(`index equality   ${fmt(L / ((performance.now() - t0) / 1000))} lookups/s (sAMAccountName)`);
console.log(`rss              ${fmt(process.memoryUsage().rss / 1024 / 1024)} MiB`);
await store.close();
rmSync(dir, { recursive: true, force: true });
