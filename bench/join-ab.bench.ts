// node dist/bench/join-ab.bench.js — the destination of a join, two builds A/B in one process (a
// benchmark: prints figures only). JOIN_AB_BASE (a dist/ directory of another build, e.g. a
// worktree of main with `npx tsc -p .` run in it) and JOIN_AB_NEW (default: this build's dist/)
// are both loaded; JOIN_AB_SRC names a data directory holding a provisioned DC grown with users
// (bench:join's BENCH_JOIN_SRC keeps one). The base build's DRS server answers one pull of the
// schema, configuration and domain NCs into an empty store, and its reply stubs are recorded;
// then JOIN_AB_ROUNDS (default 8) rounds replay those same stubs through each build's pullNC into
// a fresh store, the two builds alternating (the order swapped each round, one warm-up round
// each first), so load drift on a shared machine hits both alike. Printed: process CPU per
// object of each round, the medians and the median of the paired ratios new/base.
import { loadavg } from 'node:os';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('..', import.meta.url));
const BASE = process.env.JOIN_AB_BASE;
const NEW = resolve(process.env.JOIN_AB_NEW ?? here);
const SRC = process.env.JOIN_AB_SRC;
const ROUNDS = Number(process.env.JOIN_AB_ROUNDS ?? 8);
if (!BASE || !SRC) {
  console.error('join-ab: set JOIN_AB_BASE (another build\'s dist/) and JOIN_AB_SRC (a data directory with users, e.g. bench:join\'s BENCH_JOIN_SRC)');
  process.exit(2);
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type Build = { Directory: any; Store: any; replicaContextOf: any; DrsServer: any; drsHandlersFor: any; pullNC: any };
async function build(d: string): Promise<Build> {
  const m = (p: string) => import(join(resolve(d), p));
  return {
    Directory: (await m('src/dsa/directory.js')).Directory,
    Store: (await m('src/store/store.js')).Store,
    replicaContextOf: (await m('src/dsa/replica-context.js')).replicaContextOf,
    DrsServer: (await m('src/drs/server.js')).DrsServer,
    drsHandlersFor: (await m('src/drs/handlers.js')).drsHandlersFor,
    pullNC: (await m('src/drs/replicator.js')).pullNC,
  };
}
const sides: Record<'base' | 'new', Build> = { base: await build(BASE), new: await build(NEW) };
const src = sides.base.Directory.open(SRC);
const f = src.forest;
const server = new sides.base.DrsServer(sides.base.drsHandlersFor(src));
const ncs = [
  { Guid: f.schemaNC, StringName: f.schemaDN },
  { Guid: f.configNC, StringName: f.configDN },
  { Guid: f.domainNC, StringName: f.domainDN },
];
const tmp = mkdtempSync(join(tmpdir(), 'forestd-join-ab-'));
const dsaGuid = randomBytes(16);
let recorded: Buffer[] | undefined;
let objects = 0;

/** One pull of the three NCs into a fresh store by `side`; CPU µs per object. */
async function round(side: 'base' | 'new', name: string): Promise<number> {
  const m = sides[side];
  const dir = join(tmp, `${side}-${name}`);
  const store = m.Store.open(dir, { create: true, ackBeforeFlush: true });
  const dst = m.Directory.createForProvisioning(store, { ...f, dsaGuid });
  const ctx = m.replicaContextOf(dst);
  const rec: Buffer[] = [];
  let at = 0;
  const callCtx = { peerAccount: 'DC9$', peerDsaGuid: dsaGuid, transport: 'mem' };
  const client = {
    call: async (op: number, stub: Buffer) => {
      if (recorded) {
        const out = recorded[at++];
        if (!out) throw new Error('the replay ran out of recorded replies');
        return out;
      }
      const out = (await server.dispatch(op, stub, callCtx)) as Buffer;
      rec.push(out);
      return out;
    },
    close: async () => undefined,
  };
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let total = 0;
  for (const nc of ncs) total += await m.pullNC(ctx, dst, client, Buffer.alloc(20), nc, f.dsaGuid);
  const c = process.cpuUsage(c0);
  walls[side].push(performance.now() - t0);
  await dst.close();
  rmSync(dir, { recursive: true, force: true });
  recorded ??= rec;
  objects = total;
  return (c.user + c.system) / total;
}

/** each counted round's wall time of the pulls, ms (the NCs one after the other: apply and commit on the critical path) */
const walls = { base: [] as number[], new: [] as number[] };
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`load average ${load()}`);
await round('base', 'record');
await round('new', 'warm');
const res = { base: [] as number[], new: [] as number[] };
walls.base.length = walls.new.length = 0; // the recording and warm-up rounds are not counted
for (let i = 0; i < ROUNDS; i++) for (const side of i % 2 ? (['new', 'base'] as const) : (['base', 'new'] as const)) res[side].push(await round(side, String(i)));
const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
const ratios = res.base.map((b, i) => res.new[i]! / b);
console.log(`${objects} objects, ${recorded!.length} replies; CPU µs/object base ${res.base.map((x) => x.toFixed(0)).join(' ')} | new ${res.new.map((x) => x.toFixed(0)).join(' ')}`);
console.log(`wall ms base ${walls.base.map((x) => x.toFixed(0)).join(' ')} | new ${walls.new.map((x) => x.toFixed(0)).join(' ')}; median base ${med(walls.base).toFixed(0)} new ${med(walls.new).toFixed(0)}; median paired ratio new/base ${med(walls.base.map((b, i) => walls.new[i]! / b)).toFixed(3)}`);
console.log(`median base ${med(res.base).toFixed(1)} new ${med(res.new).toFixed(1)} µs/object; median paired ratio new/base ${med(ratios).toFixed(3)}; load ${load()}`);
await src.close();
rmSync(tmp, { recursive: true, force: true });
