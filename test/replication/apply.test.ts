// The destination side of GetNCChanges, case by case (MS-DRSR 4.1.10.6.1 ProcessGetNCChangesReply):
// each rule of src/dsa/replica/apply.ts with a scenario that needs it and a control without it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../helpers/tmp.js';
import { checkConverged, createNC, dump, find, Network, openDCs, simSchema, Writer, type SimDC, type SimNC } from './sim.js';
import { getNCChanges } from '../../src/dsa/replica/source.js';
import { handleReply, nextRequest } from '../../src/dsa/replica/pull.js';
import { processGetNCChangesReply } from '../../src/dsa/replica/apply.js';
import { readReplicaState } from '../../src/dsa/replica/state.js';
import { DsWin32 } from '../../src/dsa/model/ds-error.js';
import { guidToString } from '../../src/util/guid.js';

const roots: { cleanup: () => void; dcs: SimDC[] }[] = [];
after(async () => {
  for (const r of roots) {
    for (const d of r.dcs) await d.store.close();
    r.cleanup();
  }
});

function forest(n = 3, cMaxObjects = 0): { dcs: SimDC[]; nc: SimNC; net: Network; world: { time: number } } {
  simSchema();
  const world = { time: 13_100_000_000 };
  const root = tempDir('forestd-repl-apply-');
  const dcs = openDCs(root.dir, n, world);
  roots.push({ cleanup: root.cleanup, dcs });
  const nc = createNC(dcs[0]!, 7);
  const net = new Network(dcs, nc, cMaxObjects);
  for (let d = 1; d < n; d++) net.fullCycle(d, 0);
  world.time++;
  return { dcs, nc, net, world };
}

const request = (dst: SimDC, src: SimDC, nc: SimNC, o: { cMaxObjects?: number; getAnc?: boolean; getTgt?: boolean } = {}) => nextRequest(dst.ctx, dst.store.reader, nc.name, src.store.dc.serverGuid, src.invocationId, o);

test('a replicated update keeps the originating stamp and gets a local usnLocal; replaying the chunk changes nothing and takes no USN', () => {
  const { dcs, nc } = forest();
  const [d0, d1] = dcs as [SimDC, SimDC];
  const b = find(d0, nc, 'B')!.guid;
  assert.ok(new Writer(d0, nc).modifyObj(b, 'hello'));
  const reply = getNCChanges(d0.ctx, d0.store.reader, request(d1, d0, nc));
  const res = handleReply(d1.ctx, reply);
  assert.equal(res.kind, 'applied');
  const S = simSchema();
  const src = d0.store.reader.getObject(b)!.attrs.find((a) => a.id === S.id.description)!.stamp!;
  const dst = d1.store.reader.getObject(b)!.attrs.find((a) => a.id === S.id.description)!.stamp!;
  assert.deepEqual({ ...dst, usnLocal: 0 }, { ...src, usnLocal: 0 }, 'the originating stamp travels unchanged (no dwVersion bump)');
  assert.equal(dst.usnLocal, d1.store.dc.usn - 1, 'usnLocal is the destination USN of the replicated update');
  assert.ok(dst.uuidOriginating.equals(d0.invocationId));

  // the same chunk again, in its own transaction: nothing changes, no USN is taken
  const usn = d1.store.dc.usn;
  const before = dump(d1, nc);
  const again = d1.store.writeSync((w) => processGetNCChangesReply(d1.ctx, w, reply));
  assert.deepEqual(again, { objects: 0, values: 0, fixups: 0, tookUsn: false });
  assert.equal(d1.store.dc.usn, usn);
  assert.equal(dump(d1, nc), before);
  // control: a chunk with something new does take a USN
  assert.ok(new Writer(d0, nc).modifyObj(b, 'again'));
  const fresh = d1.store.writeSync((w) => processGetNCChangesReply(d1.ctx, w, getNCChanges(d0.ctx, d0.store.reader, request(d1, d0, nc))));
  assert.equal(fresh.tookUsn, true);
  assert.equal(d1.store.dc.usn, usn + 1);
});

test('a child that arrives before its parent abandons the whole chunk (no USN, no watermark) and is fetched again with DRS_GET_ANC', () => {
  const { dcs, nc } = forest();
  const [d0, d1] = dcs as [SimDC, SimDC];
  const w0 = new Writer(d0, nc);
  const x = w0.addAt(nc.name.Guid, 'X', 'ou')!;
  const u = w0.addAt(x, 'u', 'user')!;
  assert.ok(w0.modifyObj(x, 'later')); // X now sits after u in d0's USN order
  const usn = d1.store.dc.usn;
  const watermark = JSON.stringify(readReplicaState(d1.store.reader, nc.name.Guid));
  const res = handleReply(d1.ctx, getNCChanges(d0.ctx, d0.store.reader, request(d1, d0, nc)));
  assert.equal(res.kind, 'retry');
  assert.equal(res.kind === 'retry' && res.error.win32, DsWin32.ERROR_DS_DRA_MISSING_PARENT);
  assert.equal(res.kind === 'retry' && res.getAnc, true);
  assert.equal(d1.store.dc.usn, usn, 'the abandoned chunk took no USN');
  assert.equal(JSON.stringify(readReplicaState(d1.store.reader, nc.name.Guid)), watermark, 'usnvecFrom and the UTD vector did not move');
  assert.equal(d1.store.reader.hasObject(u), false);
  // with GET_ANC the source sends X ahead of u
  const anc = getNCChanges(d0.ctx, d0.store.reader, request(d1, d0, nc, { getAnc: true }));
  const order = anc.pObjects.map((e) => e.Entinf.pName.Guid.toString('hex'));
  assert.ok(order.indexOf(x.toString('hex')) < order.indexOf(u.toString('hex')));
  assert.equal(order.filter((g) => g === x.toString('hex')).length, 1, 'X is sent once, not again at its own USN');
  assert.equal(handleReply(d1.ctx, anc, { getAnc: true }).kind, 'applied');
  assert.ok(d1.store.reader.hasObject(u));
});

test('a link value naming an object the destination lacks fails the chunk; DRS_GET_TGT sends the target ahead', () => {
  const { dcs, nc } = forest();
  const [d0, d1] = dcs as [SimDC, SimDC];
  const w0 = new Writer(d0, nc);
  const t = w0.addAt(find(d0, nc, 'A')!.guid, 't', 'user')!;
  const g = find(d0, nc, 'G')!.guid;
  assert.ok(w0.membersOf(g, [t], true));
  assert.ok(w0.modifyObj(t, 'after the link')); // t now sits after G in USN order
  // one object per reply: G's reply carries the value naming t, which d1 does not hold
  const first = getNCChanges(d0.ctx, d0.store.reader, request(d1, d0, nc, { cMaxObjects: 1 }));
  assert.equal(first.pObjects[0]!.Entinf.pName.Guid.toString('hex'), g.toString('hex'));
  const res = handleReply(d1.ctx, first, { cMaxObjects: 1 });
  assert.equal(res.kind, 'retry');
  assert.equal(res.kind === 'retry' && res.error.win32, DsWin32.ERROR_DS_DRA_RECYCLED_TARGET);
  const tgt = getNCChanges(d0.ctx, d0.store.reader, request(d1, d0, nc, { cMaxObjects: 1, getTgt: true }));
  assert.deepEqual(tgt.pObjects.map((e) => e.Entinf.pName.Guid.toString('hex')).sort(), [g.toString('hex'), t.toString('hex')].sort());
  assert.equal(handleReply(d1.ctx, tgt, { cMaxObjects: 1, getTgt: true }).kind, 'applied');
  assert.equal([...d1.store.reader.links(g)].filter((l) => l.stamp.timeDeleted === 0 && l.target.equals(t)).length, 1);
});

test('same name created on two DCs: the object with the smaller stamp on name becomes RDN\\nCNF:<its GUID>, everywhere', () => {
  const { dcs, nc, net, world } = forest();
  const [d0, d1] = dcs as [SimDC, SimDC];
  const a = find(d0, nc, 'A')!.guid;
  const first = new Writer(d0, nc).addAt(a, 'dup', 'user')!;
  world.time++;
  const second = new Writer(d1, nc).addAt(a, 'dup', 'user')!;
  net.quiesce();
  assert.equal(checkConverged(net), undefined);
  for (const d of dcs) {
    // the later create has the greater name stamp and keeps the name
    assert.equal(d.store.reader.getObject(second)!.name, 'dup');
    assert.equal(d.store.reader.getObject(first)!.name, `dup\nCNF:${guidToString(first)}`);
  }
  // control: without the conflict nothing is renamed
  const { dcs: e, nc: nc2, net: net2 } = forest();
  const lone = new Writer(e[0]!, nc2).addAt(find(e[0]!, nc2, 'A')!.guid, 'dup', 'user')!;
  net2.quiesce();
  assert.equal(net2.stats.fixups, 0);
  for (const d of e) assert.equal(d.store.reader.getObject(lone)!.name, 'dup');
});

test('child added under a parent deleted elsewhere: the child ends in LostAndFound with lastKnownParent, on every DC', () => {
  const { dcs, nc, net } = forest();
  const [d0, d1] = dcs as [SimDC, SimDC];
  const b = find(d0, nc, 'B')!.guid;
  assert.ok(new Writer(d0, nc).deleteObj(b));
  const c = new Writer(d1, nc).addAt(b, 'orphan', 'user')!;
  net.quiesce();
  assert.equal(checkConverged(net), undefined);
  const S = simSchema();
  const A = S.replica.lifecycle;
  for (const d of dcs) {
    const rec = d.store.reader.getObject(c)!;
    assert.ok(rec.parent!.equals(find(d, nc, 'LostAndFound')!.guid));
    assert.deepEqual((rec.attrs.find((x) => x.id === A.lastKnownParent.id)!.values[0] as { guid: Buffer }).guid, b);
    assert.equal(rec.attrs.find((x) => x.id === A.isDeleted.id), undefined);
    assert.equal(d.store.reader.getObject(b)!.attrs.find((x) => x.id === A.isDeleted.id)!.values[0], true);
  }
});

test('delete vs rename: the tombstone stays delete-mangled in Deleted Objects whichever name stamp wins', () => {
  const { dcs, nc, net, world } = forest();
  const [d0, d1] = dcs as [SimDC, SimDC];
  const b = find(d0, nc, 'B')!.guid;
  assert.ok(new Writer(d0, nc).deleteObj(b));
  world.time++; // the rename is later: its stamp on name beats the delete's
  assert.ok(new Writer(d1, nc).modifyDNObj(b, 'B2', nc.name.Guid));
  net.quiesce();
  assert.equal(checkConverged(net), undefined);
  for (const d of dcs) {
    const rec = d.store.reader.getObject(b)!;
    assert.match(rec.name, /\nDEL:/);
    assert.ok(rec.parent!.equals(find(d, nc, 'Deleted Objects')!.guid));
  }
});

test('concurrent moves that would make a cycle end with both objects in LostAndFound', () => {
  const { dcs, nc, net, world } = forest();
  const [d0, d1] = dcs as [SimDC, SimDC];
  const w0 = new Writer(d0, nc);
  const p = w0.addAt(nc.name.Guid, 'P', 'ou')!;
  const q = w0.addAt(nc.name.Guid, 'Q', 'ou')!;
  net.quiesce();
  world.time++;
  // d0 moves P under Q while d1 moves Q under P
  assert.ok(new Writer(d0, nc).modifyDNObj(p, undefined, q));
  assert.ok(new Writer(d1, nc).modifyDNObj(q, undefined, p));
  net.quiesce();
  assert.equal(checkConverged(net), undefined);
  const laf = find(d0, nc, 'LostAndFound')!.guid;
  const parents = [p, q].map((g) => d0.store.reader.getObject(g)!.parent!);
  assert.ok(parents.some((x) => x.equals(laf)), 'the cycle is broken through LostAndFound');
});

test('malformed replies and requests from the network end in a DRS error, never an exception, and change nothing', async () => {
  const fc = (await import('fast-check')).default;
  const { dcs, nc } = forest();
  const [d0, d1] = dcs as [SimDC, SimDC];
  const w0 = new Writer(d0, nc);
  const x = w0.addAt(nc.name.Guid, 'F', 'ou')!;
  w0.addAt(x, 'f', 'user');
  w0.membersOf(find(d0, nc, 'G')!.guid, [x], true);
  const good = getNCChanges(d0.ctx, d0.store.reader, request(d1, d0, nc, { getAnc: true }));
  assert.ok(good.pObjects.length >= 2 && good.rgValues.length >= 1);
  const paths = (o: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] => {
    if (o && typeof o === 'object' && !Buffer.isBuffer(o)) for (const [k, v] of Object.entries(o)) paths(v, [...at, Array.isArray(o) ? Number(k) : k], out);
    out.push(at);
    return out;
  };
  const all = paths(good).filter((p) => p.length > 0);
  const junk = [undefined, null, -1, 2 ** 60, 'x', '', Buffer.alloc(3), Buffer.alloc(16, 0xee), [], {}, 'CN=a,,', true];
  await fc.assert(
    fc.asyncProperty(fc.nat(all.length - 1), fc.nat(junk.length - 1), async (pi, ji) => {
      const bad = structuredClone(good) as unknown as Record<string, unknown>;
      // structuredClone turns Buffers into Uint8Arrays: give them back
      const fix = (o: unknown, ref: unknown): unknown => {
        if (Buffer.isBuffer(ref)) return Buffer.from(o as Uint8Array);
        if (ref && typeof ref === 'object') for (const k of Object.keys(ref)) (o as Record<string, unknown>)[k] = fix((o as Record<string, unknown>)[k], (ref as Record<string, unknown>)[k]);
        return o;
      };
      fix(bad, good);
      const p = all[pi]!;
      let o: Record<string | number, unknown> = bad;
      for (const k of p.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
      o[p.at(-1)!] = junk[ji];
      const usn = d1.store.dc.usn;
      const before = dump(d1, nc);
      const res = handleReply(d1.ctx, bad as never, { getAnc: true });
      if (res.kind !== 'applied') {
        assert.equal(d1.store.dc.usn, usn);
        assert.equal(dump(d1, nc), before);
      } else {
        // a corruption the rules tolerate (e.g. a stamp of no consequence): undo by starting over
        return;
      }
    }),
    { numRuns: 300, includeErrorInReport: true },
  );
  // requests too
  const req = request(d1, d0, nc);
  for (const [k, v] of [['pNC', null], ['usnvecFrom', { usnHighObjUpdate: -5 }], ['pUpToDateVecDest', { rgCursors: [{ uuidDsa: 'x' }] }], ['cMaxObjects', -1]] as const) {
    const rep = getNCChanges(d0.ctx, d0.store.reader, { ...req, [k]: v } as never);
    assert.equal(rep.dwDRSError, DsWin32.ERROR_DS_DRA_INVALID_PARAMETER, k);
  }
  // control: the intact request is served
  assert.equal(getNCChanges(d0.ctx, d0.store.reader, req).dwDRSError, 0);
});
