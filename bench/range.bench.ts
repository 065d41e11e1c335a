// npm run bench:range — one page of ranged retrieval (MS-ADTS 3.1.1.3.1.3.3: member;range=0-1499)
// of a group of BENCH_MEMBERS members, in process (no sockets): the median of BENCH_ROUNDS reads,
// as the Administrator, and the load average. Asserts nothing about time.
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { provision } from '../src/dsa/provision/provision.js';
import { createObject } from '../src/dsa/add.js';
import { search } from '../src/dsa/search/search.js';
import { OriginatingUpdate } from '../src/dsa/originating-update.js';
import type { OperationContext, SearchSink } from '../src/dsa/api.js';
import type { SearchRequest } from '../src/ldap/protocol/messages.js';
import { tempDir } from '../test/helpers/tmp.js';

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 20000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 51);
const t = tempDir('forestd-bench-range-');
const { directory: dir } = await provision({ dataDir: join(t.dir, 'd'), realm: 'example.com', netbios: 'EXAMPLE', adminPassword: 'Passw0rd!' });
const D = dir.forest.domainDN;
const A = (n: string) => dir.schema.attr(n)!;
const users = dir.resolve(dir.store.reader, `CN=Users,${D}`, 'bench');
const member = A('member');
let group: Buffer | undefined;
for (let made = 0; made < MEMBERS; ) {
  await dir.store.write((w) => {
    const u = new OriginatingUpdate(w, dir.store.dc.invocationId, dir.clock);
    group ??= createObject(dir, u, { parent: users, rdnType: A('cn'), rdnValue: 'big', values: new Map([[A('objectClass'), ['1.2.840.113556.1.5.8']], [A('sAMAccountName'), ['big']]]) as never }, { system: false, place: 'bench' });
    for (let i = 0; i < 2000 && made < MEMBERS; i++, made++) {
      const g = createObject(dir, u, { parent: users, rdnType: A('cn'), rdnValue: `member${made}`, values: new Map([[A('objectClass'), ['1.2.840.113556.1.5.15']]]) as never }, { system: false, place: 'bench' });
      u.addLinkValue(group, member.id, member.forwardLinkId!, g, Buffer.alloc(0));
    }
  });
}
const admin = dir.resolve(dir.store.reader, `CN=Administrator,CN=Users,${D}`, 'bench');
const ctx: OperationContext = { session: { id: 1, identity: { dn: `CN=Administrator,CN=Users,${D}`, guid: admin, isAdmin: true }, encrypted: true, globalCatalog: false, remoteAddress: 'bench' }, controls: [], signal: new AbortController().signal };
const req: SearchRequest = { type: 'searchRequest', baseObject: `CN=big,CN=Users,${D}`, scope: 0, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: { type: 'present', attribute: 'objectClass' }, attributes: ['member;range=0-1499'] };
let values = 0;
const sink: SearchSink = { entry: (_dn, attrs) => void (values = attrs.reduce((a, x) => a + x.values.length, 0)), reference: () => {} };
const times: number[] = [];
const cpu0 = process.cpuUsage();
for (let i = 0; i < ROUNDS; i++) {
  const t0 = performance.now();
  await search(dir, req, ctx, sink);
  times.push(performance.now() - t0);
}
const cpu = process.cpuUsage(cpu0);
times.sort((a, b) => a - b);
console.log(`range page of a ${MEMBERS}-member group: ${values} values, median ${times[Math.floor(ROUNDS / 2)]!.toFixed(2)} ms, best ${times[0]!.toFixed(2)} ms (${ROUNDS} reads), CPU ${((cpu.user + cpu.system) / 1000 / ROUNDS).toFixed(2)} ms per read; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
await dir.close();
t.cleanup();
