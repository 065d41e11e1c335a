// node dist/bench/join-profile.bench.js — a join's pull in one process, for profiling: a
// provisioned DC grown to BENCH_JOIN_USERS users (default 10000; kept in BENCH_JOIN_SRC between
// runs when set), then an empty destination pulls its schema, configuration and domain NCs
// through the real DRS layer (DrsServer dispatch, NDR stubs, convert.ts) with pullNC, the
// join's cycle, without the TLS socket. BENCH_JOIN_PROFILE=dir writes a V8 CPU profile of the
// pulls there and prints the top functions by self time. BENCH_JOIN_REPLAY=1: the rounds after
// the first replay the first round's reply stubs (same requests, same order), so they measure
// and profile the destination alone (NDR decode, convert.ts, apply, store). A benchmark: prints figures only.
// BENCH_JOIN_SOURCE_REPLAY=N (default 5) then replays the first round's GetNCChanges request
// stubs N times against the source alone (decode the request, walk, convert, NDR-encode the
// reply; the stubs do not depend on the destination's state) and prints the source's CPU per
// object; with BENCH_JOIN_PROFILE_SIDE=source the profile covers that replay only.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver } from 'node:perf_hooks';
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
const SOURCE_REPLAYS = Number(process.env.BENCH_JOIN_SOURCE_REPLAY ?? 5);
const PROFILE_SOURCE = process.env.BENCH_JOIN_PROFILE_SIDE === 'source';
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
/** the first round's GetNCChanges request stubs and the DSA that asked (BENCH_JOIN_SOURCE_REPLAY) */
const requests: { opnum: number; stub: Buffer }[] = [];
let requestsPeer: typeof callCtx.peerDsaGuid | undefined;
const client = {
  call: async (opnum: number, stub: Buffer) => {
    if (replaying !== undefined) {
      const out = recorded[replaying++];
      if (!out) throw new Error('the replay ran out of recorded replies');
      return out;
    }
    if (requestsPeer === callCtx.peerDsaGuid) requests.push({ opnum, stub });
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
let firstTotal = 0;
for (let round = 0; round < ROUNDS; round++) {
  // as forestd join opens it (each chunk acknowledged at its commit)
  const store = Store.open(join(t.dir, `dst${round}`), { create: true, ackBeforeFlush: true });
  const dsaGuid = randomBytes(16);
  const dst = Directory.createForProvisioning(store, { ...f, dsaGuid });
  // the source serves the DSA the caller authenticated as (uuidDsaObjDest, peer-identity.ts)
  callCtx.peerDsaGuid = dsaGuid;
  requestsPeer ??= dsaGuid;
  const ctx = replicaContextOf(dst);
  const profileJoin = PROFILE && !PROFILE_SOURCE && round === ROUNDS - 1;
  if (profileJoin) await session.post('Profiler.start');
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
  if (profileJoin) await stopProfile('join');
  await dst.close();
  if (round === 0) firstTotal = total;
}

// the source alone: the same request stubs again, each reply encoded and dropped
if (SOURCE_REPLAYS > 0 && requests.length) {
  callCtx.peerDsaGuid = requestsPeer!;
  if (PROFILE && PROFILE_SOURCE) await session.post('Profiler.start');
  let bytes = 0;
  const each: number[] = [];
  // the garbage collector's pauses during the replay (wall time, main thread)
  let gcMs = 0;
  const gc = new PerformanceObserver((l) => {
    for (const e of l.getEntries()) gcMs += e.duration;
  });
  gc.observe({ entryTypes: ['gc'] });
  for (let i = 0; i < SOURCE_REPLAYS; i++) {
    const c0 = cpuMs();
    bytes = 0;
    for (const { opnum, stub } of requests) bytes += (await server.dispatch(opnum, stub, callCtx)).length;
    each.push(cpuMs() - c0);
  }
  await new Promise((r) => setTimeout(r, 50)); // the observer's entries arrive in a later task
  gc.disconnect();
  const us = (ms: number) => ((1000 * ms) / firstTotal).toFixed(1);
  const median = [...each].sort((a, b) => a - b)[each.length >> 1]!;
  console.log(`source replay: ${SOURCE_REPLAYS} x ${requests.length} calls, ${firstTotal} objects, ${(bytes / 1e6).toFixed(1)} MB of replies each: CPU per object ${each.map(us).join(' ')} µs (median ${us(median)}, best ${us(Math.min(...each))}), GC pauses ${us(gcMs / SOURCE_REPLAYS)} µs per object (wall time, inflated on a loaded machine); load ${load()}`);
  if (PROFILE && PROFILE_SOURCE) await stopProfile('source');
}

async function stopProfile(name: string): Promise<void> {
  const { profile } = await session.post('Profiler.stop');
  mkdirSync(PROFILE!, { recursive: true });
  writeFileSync(join(PROFILE!, `${name}.cpuprofile`), JSON.stringify(profile));
  for (const l of topFunctions(PROFILE!, 40)) console.log(l);
}
await dc1.close();
if (!keep) t.cleanup();
