// Convergence of multi-master replication (MS-DRSR 4.1.10): 3–7 DCs with real stores take
// random concurrent writes (deletes with and without the Recycle Bin) while a faulty network drops, duplicates, delays and reorders
// their GetNCChanges messages, cuts partitions, and DCs restart from their stores. After the
// network heals and replication quiesces, every replica must be the same (objects, values,
// AttributeStamps and LinkValueStamps without usnLocal, tombstones), every UTD vector must
// cover every DC's highest USN, one more cycle must send nothing, and the tree must be sound
// (distinct RDNs among live siblings, no live object under a deleted parent, unique SIDs —
// every user's RID comes from a block the RID Master handed out by RID_ALLOC over the same
// faulty network, MS-ADTS 6.1.5.3).
//
// FORESTD_PROPERTY_RUNS sets the number of seeds (default 2000, shared by the two test files
// convergence-1/-2.test.ts so that each stays within the per-test timeout on a busy machine);
// FORESTD_PROPERTY_SEED and FORESTD_PROPERTY_PATH replay one. A failing seed prints fast-check's shrunk command list,
// which is the minimal reproduction; FORESTD_SIM_DEBUG=1 prints each violated property.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { randomInt } from 'node:crypto';
import { tempDir } from '../helpers/tmp.js';
import { checkConverged, createNC, Network, openDCs, simSchema, Writer, type Kind, type SimDC } from './sim.js';

type Cmd =
  | { t: 'add'; dc: number; parent: number; name: number; kind: Kind }
  | { t: 'modify'; dc: number; obj: number; value: number }
  | { t: 'modifyContainer'; dc: number; obj: number; value: number }
  | { t: 'bulk'; dc: number; parent: number; n: number }
  | { t: 'nest'; dc: number; parent: number; name: number }
  | { t: 'rename'; dc: number; obj: number; name: number }
  | { t: 'move'; dc: number; obj: number; parent: number }
  | { t: 'delete'; dc: number; obj: number }
  | { t: 'recycleDelete'; dc: number; obj: number }
  | { t: 'undelete'; dc: number; obj: number; parent: number }
  | { t: 'members'; dc: number; group: number; member: number; n: number; add: boolean }
  | { t: 'sync'; dst: number; src: number }
  | { t: 'deliver'; k: number; n: number }
  | { t: 'drop'; k: number }
  | { t: 'dup'; k: number }
  | { t: 'partition'; mask: number }
  | { t: 'heal' }
  | { t: 'restart'; dc: number }
  | { t: 'rid'; dc: number; to: number }
  | { t: 'tick' };

const NAMES = ['u1', 'u2', 'U1', 'x', 'y'];
const i = (max: number) => fc.nat({ max });
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant('add' as const), dc: i(6), parent: fc.constantFrom(0, 0, 1, 2, 3, 5, 8), name: i(4), kind: fc.constantFrom<Kind>('user', 'user', 'ou', 'group') }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('modify' as const), dc: i(6), obj: i(19), value: i(3) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('modifyContainer' as const), dc: i(6), obj: fc.constantFrom(0, 0, 1, 2, 5), value: i(3) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('nest' as const), dc: i(6), parent: fc.constantFrom(0, 1, 3), name: i(4) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('bulk' as const), dc: i(6), parent: i(9), n: fc.integer({ min: 3, max: 12 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('rename' as const), dc: i(6), obj: i(19), name: i(4) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('move' as const), dc: i(6), obj: i(19), parent: i(9) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('delete' as const), dc: i(6), obj: i(19) }) },
  // a delete with the Recycle Bin on (a deleted-object, its link values deactivated, MS-ADTS 3.1.1.9.1)
  { weight: 1, arbitrary: fc.record({ t: fc.constant('recycleDelete' as const), dc: i(6), obj: i(19) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('undelete' as const), dc: i(6), obj: i(9), parent: i(9) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('members' as const), dc: i(6), group: i(3), member: i(19), n: fc.constantFrom(1, 1, 2, 30), add: fc.boolean() }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('sync' as const), dst: i(6), src: i(6) }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('deliver' as const), k: i(7), n: fc.constantFrom(1, 1, 3, 20) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('drop' as const), k: i(7) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('dup' as const), k: i(7) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('partition' as const), mask: fc.nat({ max: 126 }) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'heal' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('restart' as const), dc: i(6) }) },
  { weight: 2, arbitrary: fc.constant({ t: 'tick' as const }) },
  // mostly to the RID Master (DC0); sometimes to a DC that does not hold the role (EXOP_ERR_FSMO_NOT_OWNER)
  { weight: 3, arbitrary: fc.record({ t: fc.constant('rid' as const), dc: i(6), to: fc.constantFrom(0, 0, 0, 1, 2) }) },
);

const scenario = fc.record({
  dcs: fc.integer({ min: 3, max: 7 }),
  // tiny chunks often: a reply of one object ends mid-cycle after every USN position
  cMaxObjects: fc.constantFrom(0, 1, 2, 3, 7),
  cmds: fc.array(cmd, { minLength: 1, maxLength: 20 }),
});

const TOTAL = Number(process.env.FORESTD_PROPERTY_RUNS ?? 2000);

let root: { dir: string; cleanup: () => void };
let all: SimDC[];
const world = { time: 13_000_000_000 };
let tag = 0;

before(() => {
  simSchema();
  root = tempDir('forestd-repl-sim-');
  all = openDCs(root.dir, 7, world);
});
after(async () => {
  for (const d of all) await d.store.close();
  root.cleanup();
});

async function run(s: { dcs: number; cMaxObjects: number; cmds: Cmd[] }, stats?: Record<string, number>): Promise<string | undefined> {
  const dcs = all.slice(0, s.dcs);
  const nc = createNC(dcs[0]!, ++tag);
  const net = new Network(dcs, nc, s.cMaxObjects);
  // every DC starts with a full replica of the NC, pulled from DC0 (a join)
  for (let d = 1; d < dcs.length; d++) net.fullCycle(d, 0);
  // and a first RID block from the RID Master (DC0), as a joining DC asks for one
  for (let d = 0; d < dcs.length; d++) net.requestRids(d);
  net.drain();
  const dc = (n: number) => dcs[n % dcs.length]!;
  const w = (n: number) => new Writer(dc(n), nc);
  for (const c of s.cmds) {
    switch (c.t) {
      case 'add':
        // a user needs a RID: without one the add is refused and the DC asks the RID Master
        if (!w(c.dc).add(c.parent, NAMES[c.name]!, c.kind) && c.kind === 'user' && w(c.dc).wantsRids()) net.requestRids(c.dc % dcs.length);
        break;
      case 'rid': net.requestRids(c.dc % dcs.length, c.to % dcs.length); break;
      case 'modify': w(c.dc).modify(c.obj, `d${c.value}`); break;
      case 'modifyContainer': w(c.dc).modifyContainer(c.obj, `c${c.value}`); break;
      case 'bulk': w(c.dc).bulkUsers(c.parent, c.n); break;
      case 'nest': w(c.dc).nest(c.parent, NAMES[c.name]!); break;
      case 'rename': w(c.dc).modifyDN(c.obj, NAMES[c.name]!, undefined); break;
      case 'move': w(c.dc).modifyDN(c.obj, undefined, c.parent); break;
      case 'delete': w(c.dc).delete(c.obj); break;
      case 'recycleDelete': w(c.dc).recycleDelete(c.obj); break;
      case 'undelete': w(c.dc).undelete(c.obj, c.parent); break;
      case 'members': w(c.dc).members(c.group, c.member, c.n, c.add); break;
      case 'sync': net.startCycle(c.dst % dcs.length, c.src % dcs.length); break;
      case 'deliver': for (let k = 0; k < c.n; k++) net.deliver(c.k); break;
      case 'drop': net.drop(c.k); break;
      case 'dup': net.duplicate(c.k); break;
      case 'partition': net.cut = new Set(dcs.map((_, k) => k).filter((k) => (c.mask >> k) & 1)); break;
      case 'heal': net.cut.clear(); break;
      case 'restart': await dc(c.dc).restart(); net.stats.restarts++; break;
      case 'tick': world.time++; break;
    }
    // the clock moves on most steps but not all: equal timeChanged values exercise the invocationId tie-break
    if (c.t !== 'tick' && (c.t === 'add' || c.t === 'delete' || c.t === 'recycleDelete')) world.time++;
  }
  net.quiesce();
  if (stats) for (const [k, v] of Object.entries(net.stats)) stats[k] = (stats[k] ?? 0) + v;
  return checkConverged(net);
}

/** Declares the property test: `part` of `parts` (each file runs its share of the seeds). */
export function convergenceTest(part: number, parts: number): void {
const RUNS = Math.ceil(TOTAL / parts);
test(`replicas converge under faults (${RUNS} seeds, part ${part} of ${parts})`, { timeout: 30 * 60_000 }, async () => {
  const stats: Record<string, number> = {};
  const seed = process.env.FORESTD_PROPERTY_SEED;
  const path = process.env.FORESTD_PROPERTY_PATH;
  await fc.assert(
    fc.asyncProperty(scenario, async (s) => {
      let problem: string | undefined;
      try {
        problem = await run(s, stats);
      } catch (e) {
        problem = `the simulation threw: ${(e as Error).stack}`;
      }
      if (problem !== undefined && process.env.FORESTD_SIM_DEBUG) console.error(problem);
      assert.equal(problem, undefined, problem);
    }),
    // each part its own seeds (two processes started in the same millisecond would share fast-check's default);
    // a replayed seed is used as printed
    { numRuns: RUNS, includeErrorInReport: true, seed: seed ? Number(seed) : randomInt(0x7fffffff), ...(path ? { path } : {}), verbose: 1 },
  );
  // the faults happened: without them the property would prove less than it claims
  assert.ok(stats.dropped! > 0 && stats.duplicated! > 0 && stats.stale! > 0 && stats.restarts! > 0, JSON.stringify(stats));
  assert.ok(stats.retries! > 0, `no chunk was ever retried with GET_ANC/GET_TGT: ${JSON.stringify(stats)}`);
  assert.ok(stats.fixups! > 0, `no conflict was ever resolved: ${JSON.stringify(stats)}`);
  assert.ok(stats.ridBlocks! > 0 && stats.ridRefusals! > 0, `RID_ALLOC was not exercised both ways: ${JSON.stringify(stats)}`);
  console.log(`# replication simulator: ${RUNS} seeds, ${JSON.stringify(stats)}`);
});
}
