// The destination side of GetNCChanges, case by case (MS-DRSR 4.1.10.6.1 ProcessGetNCChangesReply):
// each rule of src/dsa/replica/apply.ts with a scenario that needs it and a control without it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../helpers/tmp.js';
import { checkConverged, createNC, dump, find, Network, openDCs, simSchema, Writer, type SimDC, type SimNC } from './sim.js';
import { getNCChanges } from '../../src/dsa/replica/source.js';
import { handleReply, nextRequest } from '../../src/dsa/replica/pull.js';
import { processGetNCChangesReply, validateReply } from '../../src/dsa/replica/apply.js';
import { readReplicaState } from '../../src/dsa/replica/state.js';
import { DsWin32 } from '../../src/dsa/model/ds-error.js';
import { guidToString } from '../../src/util/guid.js';
import { reanimate } from '../../src/dsa/model/lifecycle.js';
import { UpdatePort } from '../../src/dsa/model/update.js';

const roots: { cleanup: () => void; dcs: SimDC[] }[] = [];
after(async () => {
  for (const r of roots) {
    for (const d of r.dcs) await d.store.close();
    r.cleanup();
  }
});

function forest(n = 3, cMaxObjects = 0, o: { rids?: boolean } = {}): { dcs: SimDC[]; nc: SimNC; net: Network; world: { time: number } } {
  simSchema();
  const world = { time: 13_100_000_000 };
  const root = tempDir('forestd-repl-apply-');
  const dcs = openDCs(root.dir, n, world);
  roots.push({ cleanup: root.cleanup, dcs });
  const nc = createNC(dcs[0]!, 7);
  const net = new Network(dcs, nc, cMaxObjects);
  for (let d = 1; d < n; d++) net.fullCycle(d, 0);
  if (o.rids !== false) {
    // every DC gets a RID block from the RID Master (DC0), and everyone sees every RID Set
    for (let d = 0; d < n; d++) net.requestRids(d);
    net.quiesce();
  }
  world.time++;
  return { dcs, nc, net, world };
}

const request = (dst: SimDC, src: SimDC, nc: SimNC, o: { cMaxObjects?: number; getAnc?: boolean; getTgt?: boolean } = {}) => nextRequest(dst.ctx, dst.store.reader, nc.name, src.store.dc.serverGuid, src.invocationId, o);

test('a replicated update keeps the originating stamp and gets a local usnLocal; replaying the chunk changes nothing and takes no USN', async () => {
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
  // the asynchronous form (a serving DC's: Store.write) applies the same way
  const { handleReplyAsync } = await import('../../src/dsa/replica/pull.js');
  assert.ok(new Writer(d0, nc).modifyObj(b, 'async'));
  const res2 = await handleReplyAsync(d1.ctx, getNCChanges(d0.ctx, d0.store.reader, request(d1, d0, nc)));
  assert.equal(res2.kind, 'applied');
  assert.deepEqual(d1.store.reader.getObject(b)!.attrs.find((a) => a.id === S.id.description)!.values, ['async']);
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

test('validateReply: a stamp shared by a run of attributes is checked once, and a missing or bad first stamp is still refused', () => {
  const { dcs, nc } = forest();
  const [d0, d1] = dcs as [SimDC, SimDC];
  new Writer(d0, nc).addAt(nc.name.Guid, 'V', 'ou');
  const good = getNCChanges(d0.ctx, d0.store.reader, request(d1, d0, nc, { getAnc: true }));
  const e = good.pObjects.find((o) => o.pMetaDataExt.rgMetaData.length >= 3)!;
  const md = e.pMetaDataExt.rgMetaData;
  // one object for the whole run, as the NDR decoder hands it out
  const shared = { ...md[0]! };
  md.fill(shared);
  assert.doesNotThrow(() => validateReply(good));
  for (const junk of [undefined, null, { ...shared, usnOriginating: -1 }]) {
    const bad = { ...good, pObjects: good.pObjects.map((o) => (o === e ? { ...e, pMetaDataExt: { ...e.pMetaDataExt, rgMetaData: [junk, ...md.slice(1)] } } : o)) };
    assert.throws(() => validateReply(bad as never), (x: unknown) => (x as { win32?: number }).win32 === DsWin32.ERROR_DS_DRA_INVALID_PARAMETER, String(junk));
  }
  // a bad stamp after the shared run
  const later = { ...good, pObjects: good.pObjects.map((o) => (o === e ? { ...e, pMetaDataExt: { ...e.pMetaDataExt, rgMetaData: [...md.slice(0, -1), { ...shared, uuidDsaOriginating: Buffer.alloc(3) }] } } : o)) };
  assert.throws(() => validateReply(later as never), (x: unknown) => (x as { win32?: number }).win32 === DsWin32.ERROR_DS_DRA_INVALID_PARAMETER);
});

test('RID_ALLOC (MS-DRSR 4.1.10.5.12, MS-ADTS 6.1.5.3): disjoint blocks per DC, a repeated request gets the same block, only the RID Master answers', async () => {
  const { ExopErr } = await import('../../src/dsa/replica/types.js');
  const { serveGetNCChanges } = await import('../../src/dsa/replica/fsmo.js');
  const { ridAllocRequest } = await import('../../src/dsa/replica/pull.js');
  const { poolHi, poolLo } = await import('../../src/dsa/model/rid-pool.js');
  const { dcs, nc } = forest(3, 0, { rids: false });
  const [d0, d1, d2] = dcs as [SimDC, SimDC, SimDC];
  const mgr = { Guid: find(d0, nc, 'RID Manager$')!.guid, StringName: '' };
  const ask = (d: SimDC, master: SimDC) => {
    const rep = serveGetNCChanges(master.ctx, ridAllocRequest(d.ctx, mgr, master.invocationId, new Writer(d, nc).ridSet()?.state.allocationPool));
    const res = handleReply(d.ctx, rep);
    return { rep, res, pool: new Writer(d, nc).ridSet()?.state.allocationPool };
  };
  const a = ask(d1, d0);
  assert.equal(a.rep.ulExtendedRet, ExopErr.EXOP_ERR_SUCCESS);
  assert.equal(a.res.kind, 'applied');
  const b = ask(d2, d0);
  assert.ok(a.pool !== undefined && b.pool !== undefined);
  assert.ok(poolHi(a.pool) < poolLo(b.pool) || poolHi(b.pool) < poolLo(a.pool), 'the blocks do not overlap');
  // the same request again (its reply lost, or duplicated): the block already given, not a new one
  const mgrPool = () => d0.store.reader.getObject(mgr.Guid)!.attrs.find((x) => x.id === d0.ctx.schema.rid!.rIDAvailablePool.id)!.values[0];
  const availableBefore = mgrPool();
  const st0 = JSON.stringify(readReplicaState(d1.store.reader, nc.name.Guid));
  const lost = serveGetNCChanges(d0.ctx, ridAllocRequest(d1.ctx, mgr, d0.invocationId, undefined));
  assert.equal(lost.ulExtendedRet, ExopErr.EXOP_ERR_SUCCESS);
  assert.equal(mgrPool(), availableBefore, 'no new block was taken from rIDAvailablePool');
  assert.equal(handleReply(d1.ctx, lost).kind, 'applied');
  assert.equal(new Writer(d1, nc).ridSet()!.state.allocationPool, a.pool);
  assert.equal(JSON.stringify(readReplicaState(d1.store.reader, nc.name.Guid)), st0, 'an extended operation moves no watermark');
  // asking with the block it has: the next block
  const again = ask(d1, d0);
  assert.ok(again.pool !== a.pool && poolLo(again.pool!) > poolHi(b.pool));
  // a DC that does not hold the role refuses
  const wrong = serveGetNCChanges(d1.ctx, ridAllocRequest(d2.ctx, mgr, d1.invocationId, b.pool));
  assert.equal(wrong.ulExtendedRet, ExopErr.EXOP_ERR_FSMO_NOT_OWNER);
  assert.equal(handleReply(d2.ctx, wrong).kind, 'failed');
  // users take RIDs from their DC's block, and SIDs never repeat across DCs
  const sids = new Set<string>();
  for (const d of [d1, d2]) {
    const w = new Writer(d, nc);
    for (let k = 0; k < 4; k++) assert.ok(w.addAt(find(d, nc, 'A')!.guid, `rid${d.index}-${k}`, 'user'), 'a block of 4 RIDs serves 4 users');
    assert.equal(w.addAt(find(d, nc, 'A')!.guid, `rid${d.index}-x`, 'user'), undefined, 'the fifth is refused: no RID left');
  }
  for (const d of [d1, d2]) for (const o of (await import('./sim.js')).objectsOf(d, nc)) {
    const sid = o.rec.attrs.find((x) => x.id === simSchema().id.objectSid)?.values[0] as Buffer | undefined;
    if (sid) {
      assert.ok(!sids.has(Buffer.from(sid).toString('hex')) || o.rec.name.startsWith(`rid${d.index}`));
      sids.add(Buffer.from(sid).toString('hex'));
    }
  }
  assert.equal(sids.size, 8);
});

// Link clean-up of a deletion is each DC's own, unreplicated step (MS-DRSR 5.160 RecycleObj:
// link values "are simply removed from the directory"; model/lifecycle.ts hideLinks), and a
// replicated value with a tombstone end is not applied (MS-DRSR 4.1.10.6.14 ProcessLinkValue).
test('deleting a member: the group keeps its uSNChanged and its value stamps on every DC, and no DC shows the value', () => {
  const { dcs, nc, net, world } = forest();
  const [d0] = dcs as [SimDC, SimDC, SimDC];
  const S = simSchema();
  const w0 = new Writer(d0, nc);
  const u = w0.addAt(find(d0, nc, 'A')!.guid, 'u', 'user')!;
  const keep = w0.addAt(find(d0, nc, 'A')!.guid, 'keep', 'user')!;
  const g = find(d0, nc, 'G')!.guid;
  assert.ok(w0.membersOf(g, [u, keep], true));
  net.quiesce();
  world.time++;
  const before = dcs.map((d) => ({ usn: d.store.reader.getObject(g)!.usnChanged, stamp: d.store.reader.getLink(g, S.memberLinkId, u)!.stamp }));
  assert.ok(w0.deleteObj(u));
  net.quiesce();
  assert.equal(checkConverged(net), undefined);
  dcs.forEach((d, i) => {
    assert.equal(d.store.reader.getObject(g)!.usnChanged, before[i]!.usn, `DC${i}: the group is not changed by the delete of its member`);
    const lv = d.store.reader.getLink(g, S.memberLinkId, u)!;
    assert.deepEqual(lv.stamp, before[i]!.stamp, `DC${i}: the value keeps its stamp`);
    assert.equal(lv.hidden, true);
    assert.deepEqual([...d.store.reader.links(g)].map((x) => x.target.toString('hex')), [keep.toString('hex')]);
  });
  // control: a member removed by a modify is replicated, changing the group on every DC
  assert.ok(w0.membersOf(g, [keep], false));
  net.quiesce();
  dcs.forEach((d, i) => assert.ok(d.store.reader.getObject(g)!.usnChanged > before[i]!.usn, `DC${i}: a removal by a modify changes the group`));
});

test('a member added on one DC to a group deleted on another is not applied anywhere; it is kept hidden with its stamp', () => {
  const { dcs, nc, net } = forest();
  const [d0, d1] = dcs as [SimDC, SimDC, SimDC];
  const S = simSchema();
  const y = new Writer(d1, nc).addAt(find(d1, nc, 'A')!.guid, 'y', 'user')!;
  net.quiesce();
  const g = find(d0, nc, 'G')!.guid;
  assert.ok(new Writer(d0, nc).deleteObj(g));
  assert.ok(new Writer(d1, nc).membersOf(g, [y], true));
  // control: on d1, where the group is still live, the value is there
  assert.equal([...d1.store.reader.links(g)].length, 1);
  assert.equal([...d1.store.reader.backlinks(y)].length, 1);
  net.quiesce();
  assert.equal(checkConverged(net), undefined);
  for (const d of dcs) {
    assert.equal([...d.store.reader.links(g)].length, 0, 'a tombstone shows no value');
    assert.equal([...d.store.reader.backlinks(y)].length, 0, 'y is a member of nothing');
    const lv = d.store.reader.getLink(g, S.memberLinkId, y)!;
    assert.equal(lv.hidden, true);
    assert.ok(lv.stamp.uuidOriginating.equals(d1.invocationId));
  }
});

test('an undeleted tombstone does not get its values back: the undeleting DC removes them by stamps, on every DC', () => {
  const { dcs, nc, net, world } = forest();
  const [d0, d1] = dcs as [SimDC, SimDC, SimDC];
  const S = simSchema();
  const A = S.replica.lifecycle;
  const u = new Writer(d0, nc).addAt(find(d0, nc, 'A')!.guid, 'u', 'user')!;
  const g = find(d0, nc, 'G')!.guid;
  assert.ok(new Writer(d0, nc).membersOf(g, [u], true));
  net.quiesce();
  world.time++;
  assert.ok(new Writer(d0, nc).deleteObj(u));
  world.time++;
  // d0 undeletes u before d1 and d2 ever see it deleted: they still show the value
  d0.store.writeSync((w) => reanimate(new UpdatePort(w, d0.invocationId, d0.ctx.clock), u, A, { parent: find(d0, nc, 'A')!.guid, name: 'u' }, (id) => S.binding.attrById(id)));
  assert.equal([...d1.store.reader.links(g)].length, 1);
  net.quiesce();
  assert.equal(checkConverged(net), undefined);
  for (const d of dcs) {
    const lv = d.store.reader.getLink(g, S.memberLinkId, u)!;
    assert.ok(lv.stamp.timeDeleted > 0, 'removed');
    assert.ok(lv.stamp.uuidOriginating.equals(d0.invocationId), 'by the undeleting DC');
    assert.equal(d.store.reader.getObject(u)!.attrs.find((x) => x.id === A.isDeleted.id)!.values.length, 0);
  }
});
