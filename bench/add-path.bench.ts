// npm run bench:add-path — the LDAP add path in process (no sockets, no BER): provision, then
// BENCH_USERS users (the attributes bench:scale gives) through the DSA's add operation with
// BENCH_CONC requests in flight (so group commit batches them), as the Administrator. Prints
// adds/s and process CPU µs per add, and the load average; with node --cpu-prof, a profile of
// the adds alone. Asserts nothing about time.
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { provision } from '../src/dsa/provision/provision.js';
import { add } from '../src/dsa/add.js';
import type { OperationContext } from '../src/dsa/api.js';
import type { AddRequest } from '../src/ldap/protocol/messages.js';
import { tempDir } from '../test/helpers/tmp.js';

const USERS = Number(process.env.BENCH_USERS ?? 20000);
const CONC = Number(process.env.BENCH_CONC ?? 64);

const t = tempDir('forestd-bench-add-');
const { directory: dir } = await provision({ dataDir: join(t.dir, 'd'), realm: 'example.com', netbios: 'EXAMPLE', adminPassword: 'Passw0rd!' });
const D = dir.forest.domainDN;
// BENCH_RID_RESERVE=1: rIDNextRID written on every create (src/dsa/rid-set.ts), for an A/B
if (process.env.BENCH_RID_RESERVE) dir.ridPools.reserve = Number(process.env.BENCH_RID_RESERVE);
const realm = 'example.com';
const adminDN = `CN=Administrator,CN=Users,${D}`;
const ctx: OperationContext = { session: { id: 1, identity: { dn: adminDN, guid: dir.resolve(dir.store.reader, adminDN, 'bench'), isAdmin: true }, encrypted: true, globalCatalog: false, remoteAddress: 'bench' }, controls: [], signal: new AbortController().signal };
const attrs = (o: Record<string, string[]>) => Object.entries(o).map(([type, vals]) => ({ type, values: vals.map((v) => Buffer.from(v)) }));
await add(dir, { type: 'addRequest', entry: `OU=Bench,${D}`, attributes: attrs({ objectClass: ['organizationalUnit'] }) } as AddRequest, ctx);
const req = (n: number): AddRequest =>
  ({ type: 'addRequest', entry: `CN=user${n},OU=Bench,${D}`, attributes: attrs({ objectClass: ['user'], sAMAccountName: [`user${n}`], userPrincipalName: [`user${n}@${realm}`], givenName: [`Given${n}`], sn: [`Surname${n}`], displayName: [`Bench User ${n}`], mail: [`user${n}@${realm}`], description: [`bench user number ${n}`] }) }) as AddRequest;

let next = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await Promise.all(
  Array.from({ length: CONC }, async () => {
    while (next < USERS) await add(dir, req(next++), ctx);
  }),
);
const s = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
console.log(`${USERS} adds (RID reserve ${dir.ridPools.reserve ?? 'default'}), ${CONC} in flight: ${Math.round(USERS / s)} adds/s, CPU ${Math.round((cpu.user + cpu.system) / USERS)} µs/add (user ${Math.round(cpu.user / USERS)}, sys ${Math.round(cpu.system / USERS)}); load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
await dir.close();
t.cleanup();
