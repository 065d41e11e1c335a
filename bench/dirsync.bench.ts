// npm run bench:dirsync — DirSync on its own (in process, no sockets): the initial sync of a
// domain with 10,000 and 100,000 users (entries/s), and an incremental sync of 100 changes in
// the 100,000-object NC. Prints figures; asserts nothing about time.
import { join } from 'node:path';
import { provision } from '../src/dsa/provision/provision.js';
import { createObject } from '../src/dsa/add.js';
import { modify } from '../src/dsa/modify.js';
import { OriginatingUpdate } from '../src/dsa/originating-update.js';
import { dirSyncSearch, DirSyncState } from '../src/dirsync/index.js';
import { dirSyncControl } from '../src/ldap/controls/dirsync.js';
import { requestControl, responseControlValue } from './lib/controls.js';
import type { OperationContext } from '../src/dsa/api.js';
import type { SearchRequest } from '../src/ldap/protocol/messages.js';
import { tempDir } from '../test/helpers/tmp.js';

const t = tempDir('forestd-bench-dirsync-');
const { directory: dir } = await provision({ dataDir: join(t.dir, 'd'), realm: 'example.com', netbios: 'EXAMPLE', adminPassword: 'Passw0rd!' });
const admin = dir.resolve(dir.store.reader, `CN=Administrator,CN=Users,${dir.forest.domainDN}`, 'bench');
const ctx: OperationContext = { session: { id: 1, identity: { dn: `CN=Administrator,CN=Users,${dir.forest.domainDN}`, guid: admin, isAdmin: true }, encrypted: true, globalCatalog: false, remoteAddress: 'bench' }, controls: [], signal: new AbortController().signal };
const users = dir.resolve(dir.store.reader, `CN=Users,${dir.forest.domainDN}`, 'bench');
const A = (n: string) => dir.schema.attr(n)!;
const req: SearchRequest = { type: 'searchRequest', baseObject: dir.forest.domainDN, scope: 2, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: { type: 'present', attribute: 'objectClass' }, attributes: (process.env.BENCH_DIRSYNC_ATTRS ?? '').split(',').filter(Boolean) };

let made = 0;
async function grow(to: number) {
  while (made < to) {
    await dir.store.write((w) => {
      for (let i = 0; i < 1000 && made < to; i++, made++) {
        w.advanceUsn();
        const u = new OriginatingUpdate(w, dir.store.dc.invocationId, dir.clock);
        const values = new Map<ReturnType<typeof A>, unknown[]>([
          [A('objectClass'), ['1.2.840.113556.1.5.9']],
          [A('sAMAccountName'), [`bench${made}`]],
          [A('description'), [`bench user ${made}`]],
          [A('mail'), [`bench${made}@example.com`]],
        ]);
        createObject(dir, u, { parent: users, rdnType: A('cn'), rdnValue: `bench${made}`, values: values as never }, { system: false, place: 'bench' });
      }
    });
  }
}

/** One full DirSync cycle; returns entries, bytes sent (approx.), seconds and the cookie. */
async function cycle(cookie: Buffer, state?: DirSyncState): Promise<{ entries: number; s: number; cookie: Buffer; pages: number }> {
  let entries = 0;
  let pages = 0;
  const t0 = performance.now();
  for (;;) {
    const control = requestControl(dirSyncControl, { flags: 0, maxBytes: 0, cookie });
    const res = await dirSyncSearch(dir, req, ctx, { entry: () => void entries++, reference: () => {} }, control, state ? { state } : {});
    pages++;
    const v = responseControlValue(dirSyncControl, res.controls!);
    cookie = Buffer.from(v.cookie);
    if (!v.moreResults) break;
  }
  return { entries, s: (performance.now() - t0) / 1000, cookie, pages };
}

// BENCH_DIRSYNC_SIZES=20000 (users); BENCH_DIRSYNC_ATTRS=objectClass,name,description (bench:scale's request; default: all)
for (const size of (process.env.BENCH_DIRSYNC_SIZES ?? '10000,100000').split(',').map(Number)) {
  await grow(size);
  // as the server runs it: the DC's DirSyncState remembers what each page sent ahead
  const r = await cycle(Buffer.alloc(0), new DirSyncState());
  console.log(`initial DirSync, ${size.toLocaleString('en-US')} users: ${r.entries.toLocaleString('en-US')} entries in ${r.s.toFixed(2)} s = ${Math.round(r.entries / r.s).toLocaleString('en-US')} entries/s (${r.pages} pages)`);
  // a cookie the DC does not remember (another process, a restart): the sent-ahead set is replayed per page
  // BENCH_DIRSYNC_COLD=0: skip this one (to profile the warm cycle alone)
  if (process.env.BENCH_DIRSYNC_COLD !== '0') {
  const cold = await cycle(Buffer.alloc(0));
  console.log(`initial DirSync without the DC's DirSyncState (replayed per page), ${size.toLocaleString('en-US')} users: ${cold.entries.toLocaleString('en-US')} entries in ${cold.s.toFixed(2)} s (${cold.pages} pages)`);
  }
  if (size === 100_000) {
    for (let i = 0; i < 100; i++) {
      await modify(dir, { type: 'modifyRequest', object: `CN=bench${i * 997},CN=Users,${dir.forest.domainDN}`, changes: [{ operation: 2, modification: { type: 'description', values: [Buffer.from(`changed ${i}`)] } }] }, ctx);
    }
    const inc = await cycle(r.cookie);
    console.log(`incremental DirSync, 100 changes in a ${size.toLocaleString('en-US')}-object NC: ${inc.entries} entries in ${(inc.s * 1000).toFixed(1)} ms`);
  }
}
console.log(`rss ${Math.round(process.memoryUsage().rss / 1048576)} MiB`);
await dir.close();
t.cleanup();
