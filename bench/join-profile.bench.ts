// node dist/bench/join-profile.bench.js — a join's pull in one process, for profiling: a
// provisioned DC grown to BENCH_JOIN_USERS users (default 10000; kept in BENCH_JOIN_SRC between
// runs when set), then an empty destination pulls its schema, configuration and domain NCs
// through the real DRS layer (DrsServer dispatch, NDR stubs, convert.ts) with pullNC, the
// join's cycle, without the TLS socket. BENCH_JOIN_PROFILE=dir writes a V8 CPU profile of the
// pulls there and prints the top functions by self time. BENCH_JOIN_REPLAY=1: the rounds after
// the first replay the first round's reply stubs (same requests, same order), so they measure
// and profile the destination alone (NDR decode, convert.ts, apply, store). A benchmark: prints figures only.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { Session } from 'node:inspector/promises';
import { provision } from '../src/dsa/provision/provision.js';
import { Directory } from '../src/dsa/directory.js';
import { add } from '../src/dsa/add.js';
import { Store } from '../src/store/store.js';
import { replicaContextOf } from '../src/dsa/replica-context.js';
import { DrsServer } from '../src/drs/server.js';
import { drsHandlersFor } from '../src/drs/handlers.js';
import { pullNC } from '../src/drs/replicator.js';
import { tempDir } from '../test/helpers/tmp.js';
import { topFunctions } from './lib/cpuprofile.js';
import type { OperationContext } from '../src/dsa/api.js';

const USERS = Number(process.env.BENCH_JOIN_USERS ?? 10000);
const PROFILE = process.env.BENCH_JOIN_PROFILE;
const REPLAY = process.env.BENCH_JOIN_REPLAY === '1';
const ROUNDS = Number(process.env.BENCH_JOIN_ROUNDS ?? (REPLAY ? 4 : 1));
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const opCtx = (): OperationContext => ({
  session: { id: 1, identity: { dn: 'CN=Administrator', guid: Buffer.alloc(16), isAdmin: true }, encrypted: true, globalCatalog: false, remoteAddress: '127.0.0.1' },
  controls: [],
  signal: new AbortController().signal,
});

const keep = process.env.BENCH_JOIN_SRC;
const t = tempDir('forestd-join-prof-');
const srcDir = keep ?? join(t.dir, 'src');
let dc1: Directory;
if (keep && existsSync(join(keep, 'store'))) dc1 = Directory.open(keep);
else {
  mkdirSync(srcDir, { recursive: true });
  ({ directory: dc1 } = await provision({ dataDir: srcDir, realm: 'example.com', netbios: 'EXAMPLE', adminPassword: 'Passw0rd!' }));
  const D = dc1.forest.domainDN;
  const attrs = (o: Record<string, string[]>) => Object.entries(o).map(([type, v]) => ({ type, values: v.map((x) => Buffer.from(x)) }));
  await add(dc1, { type: 'addRequest', entry: `OU=Bench,${D}`, attributes: attrs({ objectClass: ['organizationalUnit'] }) }, opCtx());
  const s = performance.now();
  for (let i = 0; i < USERS; i++) {
    const r = await add(dc1, { type: 'addRequest', entry: `CN=b${i},OU=Bench,${D}`, attributes: attrs({ objectClass: ['user'], sAMAccountName: [`b${i}`], description: [`bench user ${i}`], givenName: [`Given${i}`], sn: [`Surname${i}`] }) }, opCtx());
    if ((r as { resultCode?: number }).resultCode) throw new Error(`add b${i}: ${JSON.stringify(r)}`);
  }
  console.log(`seeded ${USERS} users in ${((performance.now() - s) / 1000).toFixed(1)} s`);
}
const server = new DrsServer(drsHandlersFor(dc1));
const callCtx = { peerAccount: 'DC9$', peerDsaGuid: randomBytes(16), transport: 'mem' };
// time in the source's half (the call's dispatch: decode the request, read, encode the reply)
// (CPU time, less sensitive than wall time to a loaded machine; the dispatch runs to its end without waiting)
let sourceMs = 0;
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
// the replies of the first round, in the order they were asked for (BENCH_JOIN_REPLAY)
const recorded: Buffer[] = [];
let replaying: number | undefined;
const client = {
  call: async (opnum: number, stub: Buffer) => {
    if (replaying !== undefined) {
      const out = recorded[replaying++];
      if (!out) throw new Error('the replay ran out of recorded replies');
      return out;
    }
    const s = cpuMs();
    const out = await server.dispatch(opnum, stub, callCtx);
    sourceMs += cpuMs() - s;
    if (REPLAY) recorded.push(out);
    return out;
  },
  close: async () => undefined,
};
const f = dc1.forest;
const ncs = [
  { Guid: f.schemaNC, StringName: f.schemaDN },
  { Guid: f.configNC, StringName: f.configDN },
  { Guid: f.domainNC, StringName: f.domainDN },
];

const session = new Session();
if (PROFILE) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
}
console.log(`load average ${load()}`);
for (let round = 0; round < ROUNDS; round++) {
  // as forestd join opens it (each chunk acknowledged at its commit)
  const store = Store.open(join(t.dir, `dst${round}`), { create: true, ackBeforeFlush: true });
  const dst = Directory.createForProvisioning(store, { ...f, dsaGuid: randomBytes(16) });
  const ctx = replicaContextOf(dst);
  if (PROFILE && round === ROUNDS - 1) await session.post('Profiler.start');
  const line: string[] = [];
  let total = 0;
  sourceMs = 0;
  if (REPLAY && round > 0) replaying = 0;
  const s0 = performance.now();
  const c0 = cpuMs();
  for (const nc of ncs) {
    const s = performance.now();
    const n = await pullNC(ctx, dst, client, Buffer.alloc(20), nc, f.dsaGuid);
    total += n;
    line.push(`${nc.StringName.split(',')[0]} ${n} in ${((performance.now() - s) / 1000).toFixed(2)} s`);
  }
  const all = (performance.now() - s0) / 1000;
  const cpu = (cpuMs() - c0) / 1000;
  console.log(`round ${round}${replaying !== undefined ? ' (replayed: destination only)' : ''}: ${total} objects in ${all.toFixed(2)} s (${(total / all).toFixed(0)} objects/s), CPU ${cpu.toFixed(2)} s: source ${(sourceMs / 1000).toFixed(2)} s, destination ${(cpu - sourceMs / 1000).toFixed(2)} s; ${line.join('; ')}; load ${load()}`);
  if (PROFILE && round === ROUNDS - 1) {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(PROFILE, { recursive: true });
    writeFileSync(join(PROFILE, 'join.cpuprofile'), JSON.stringify(profile));
    for (const l of topFunctions(PROFILE, 40)) console.log(l);
  }
  await dst.close();
}
await dc1.close();
if (!keep) t.cleanup();
