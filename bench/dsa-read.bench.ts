// node dist/bench/dsa-read.bench.js <data dir> — the DSA's part of bench:ldap's search and read
// cases, in process (no socket): opens a loaded data directory (bench/ldap-ab.bench.ts leaves
// one in BENCH_DATA/master/data; pass a copy: the store is opened for writing), binds as the
// Administrator through DsaService.bind (the token a connection gets), then runs BENCH_ROUNDS
// rounds of BENCH_OPS requests of each case through DsaService.search into a sink that encodes
// each entry as the connection does, and prints the median CPU µs per operation
// (process.cpuUsage), the least, and the load average. BENCH_CASES=search,read BENCH_HEAP_PROF=1
// (allocation per operation, below). Asserts nothing about time.
import { loadavg } from 'node:os';
import { Session as Inspector } from 'node:inspector/promises';

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}
import { Directory } from '../src/dsa/directory.js';
import { DsaService } from '../src/dsa/service.js';
import type { OperationContext, SearchSink, Session } from '../src/dsa/api.js';
import type { SearchRequest } from '../src/ldap/protocol/messages.js';
import { BerWriter } from '../src/ber/writer.js';
import { writeMessage } from '../src/ldap/protocol/codec.js';
import { parseFilter } from '../src/ldap/protocol/filter-string.js';

const data = process.argv[2];
if (!data) throw new Error('usage: dsa-read.bench.js <data dir (a copy)>');
const OPS = Number(process.env.BENCH_OPS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CASES = (process.env.BENCH_CASES ?? 'search,read').split(',');
const BASE = 'DC=example,DC=com';
const ATTRS = ['cn', 'sn', 'givenName', 'displayName', 'mail', 'description'];

const dir = Directory.open(data);
const service = new DsaService(dir);
const session: Session = { id: 1, identity: null, encrypted: false, saslLayer: 'none', globalCatalog: false, remoteAddress: '127.0.0.1:1' } as Session;
const NEVER = new AbortController().signal;
const ctx = (): OperationContext => ({ session, controls: [], signal: NEVER, aborted: () => false, messageID: 2 }) as OperationContext;
const bound = await service.bind({ type: 'bindRequest', version: 3, name: `CN=Administrator,CN=Users,${BASE}`, authentication: { method: 'simple', password: Buffer.from('Adm1n-Passw0rd!') } } as never, ctx());
session.identity = bound.identity;

const w = new BerWriter(4096);
let entries = 0;
const sink: SearchSink = {
  entry: (objectName, attributes) => {
    entries++;
    writeMessage(w, { messageID: 2, protocolOp: { type: 'searchResultEntry', objectName, attributes } });
  },
  entryEncoded: (objectName, encodedAttributes) => {
    entries++;
    writeMessage(w, { messageID: 2, protocolOp: { type: 'searchResultEntry', objectName, attributes: [], encodedAttributes } });
  },
  reference: () => {},
};
const n = (i: number) => 1000 + ((i * 7919) % 9000);
const req = (kind: string, i: number): SearchRequest =>
  kind === 'read'
    ? { type: 'searchRequest', baseObject: `CN=user${n(i)},OU=Bench,${BASE}`, scope: 0, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: parseFilter('(objectClass=*)'), attributes: ATTRS }
    : { type: 'searchRequest', baseObject: `OU=Bench,${BASE}`, scope: 2, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: parseFilter(`(sAMAccountName=user${n(i)})`), attributes: ATTRS };

async function round(kind: string): Promise<number> {
  const reqs = Array.from({ length: OPS }, (_, i) => req(kind, i));
  entries = 0;
  const c0 = process.cpuUsage();
  for (const r of reqs) {
    w.reset();
    await service.search(r, ctx(), sink);
  }
  const c = process.cpuUsage(c0);
  if (entries !== reqs.length) throw new Error(`${kind}: ${entries} entries for ${reqs.length} requests`);
  return (c.user + c.system) / reqs.length;
}

const got = new Map<string, number[]>();
for (const kind of CASES) await round(kind); // warm-up
// BENCH_HEAP_PROF=1: the rounds run under V8's sampling heap profiler, collected objects counted
// too, and the functions that allocate most are printed (bytes per operation; the CPU figures
// are not comparable then)
const heap = process.env.BENCH_HEAP_PROF === '1' ? new Inspector() : undefined;
if (heap) {
  heap.connect();
  await heap.post('HeapProfiler.enable');
  await heap.post('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
}
for (let k = 0; k < ROUNDS; k++) for (const kind of CASES) got.set(kind, [...(got.get(kind) ?? []), await round(kind)]);
if (heap) {
  const { profile } = (await heap.post('HeapProfiler.stopSampling')) as { profile: { head: HeapNode } };
  const self = new Map<string, number>();
  let total = 0;
  const walk = (n: HeapNode): void => {
    const k = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/.*\/(dist|node_modules)\//, '')}:${n.callFrame.lineNumber + 1}`;
    total += n.selfSize;
    self.set(k, (self.get(k) ?? 0) + n.selfSize);
    for (const c of n.children) walk(c);
  };
  walk(profile.head);
  console.log(`allocated (sampled) ${(total / (ROUNDS * OPS * CASES.length) / 1024).toFixed(1)} KiB per operation; by function:`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
for (const kind of CASES) console.log(`${kind.padEnd(6)} CPU µs/op median ${median(got.get(kind)!).toFixed(1)} min ${Math.min(...got.get(kind)!).toFixed(1)}  rounds ${got.get(kind)!.map((x) => x.toFixed(1)).join(' ')}`);
console.log(`entry cache hits ${dir.entryCache.hits} misses ${dir.entryCache.misses}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
await dir.close();
