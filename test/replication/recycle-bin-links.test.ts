// The Recycle Bin's link deactivation on a REPLICATED delete (MS-ADTS 3.1.1.9.1, 3.1.1.5.5.6.2;
// MS-DRSR 4.1.10.6 applies a deletion as the deleting DC made it): with the Recycle Bin on, a
// deleted-object keeps its link values and the values naming it, deactivated. The deleting DC
// deactivates them as a local step (src/dsa/tombstone.ts); each DC applying the replicated delete
// must do the same (src/dsa/replica/apply.ts), a value added concurrently elsewhere arrives
// deactivated, and a replicated undelete activates them again. The simulator's dump (sim.ts)
// holds every DC's deactivated flags to be equal.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../helpers/tmp.js';
import { checkConverged, createNC, dump, find, Network, openDCs, simSchema, Writer, type SimDC, type SimNC } from './sim.js';
import { UpdatePort } from '../../src/dsa/model/update.js';
import { reactivateLinks, reanimate } from '../../src/dsa/model/lifecycle.js';

const roots: { cleanup: () => void; dcs: SimDC[] }[] = [];
after(async () => {
  for (const r of roots) {
    for (const d of r.dcs) await d.store.close();
    r.cleanup();
  }
});

function forest(): { dcs: [SimDC, SimDC]; nc: SimNC; net: Network; world: { time: number } } {
  simSchema();
  const world = { time: 13_100_000_000 };
  const root = tempDir('forestd-repl-rbin-');
  const dcs = openDCs(root.dir, 2, world);
  roots.push({ cleanup: root.cleanup, dcs });
  const nc = createNC(dcs[0]!, 11);
  const net = new Network(dcs, nc, 0);
  net.fullCycle(1, 0);
  world.time++;
  return { dcs: dcs as [SimDC, SimDC], nc, net, world };
}

const recycleBinDelete = (dc: SimDC, nc: SimNC, guid: Buffer) => assert.ok(new Writer(dc, nc).recycleDeleteObj(guid));
const link = (dc: SimDC, group: Buffer, member: Buffer) => dc.store.reader.getLink(group, simSchema().memberLinkId, member);
const backlinked = (dc: SimDC, member: Buffer) => [...dc.store.reader.backlinks(member)].length;

test('a replicated Recycle Bin delete deactivates the values of and to the deleted-object, as the deleting DC did; a replicated undelete activates them again', () => {
  const { dcs, nc, net } = forest();
  const [d0, d1] = dcs;
  const g = find(d0, nc, 'G')!.guid;
  const u = new Writer(d0, nc).addAt(find(d0, nc, 'A')!.guid, 'U1', 'group')!;
  assert.ok(new Writer(d0, nc).membersOf(g, [u], true));
  net.fullCycle(1, 0);
  assert.equal(link(d1, g, u)?.deactivated ?? false, false);
  assert.equal(backlinked(d1, u), 1);

  recycleBinDelete(d0, nc, u);
  assert.equal(link(d0, g, u)?.deactivated, true, 'the deleting DC deactivated G → U1');
  // before DC1 applies the delete (the negative control) its value is active
  assert.equal(link(d1, g, u)?.deactivated ?? false, false);
  net.fullCycle(1, 0);
  assert.equal(link(d1, g, u)?.deactivated, true, 'DC1 deactivated G → U1 when it applied the delete');
  assert.equal(link(d1, g, u)?.stamp.timeDeleted, 0, 'still present (deactivated, not removed)');
  assert.equal(backlinked(d1, u), 0, 'no back link while deactivated');
  assert.equal(dump(d1, nc), dump(d0, nc));

  // the undelete (MS-ADTS 3.1.1.5.3.7) on DC0 brings them back, on DC1 by replication
  const S = simSchema();
  d0.store.writeSync((w) => {
    const port = new UpdatePort(w, d0.invocationId, d0.ctx.clock);
    reanimate(port, u, S.replica.lifecycle, { parent: find(d0, nc, 'A')!.guid, name: 'U1' }, (id) => S.binding.attrById(id));
    reactivateLinks(w, u, S.replica.lifecycle);
  });
  assert.equal(link(d0, g, u)?.deactivated ?? false, false);
  net.fullCycle(1, 0);
  assert.equal(link(d1, g, u)?.deactivated ?? false, false, 'DC1 activated G → U1 with the undelete');
  assert.equal(backlinked(d1, u), 1);
  assert.equal(dump(d1, nc), dump(d0, nc));
});

test('a value added on one DC while the other deletes its target with the Recycle Bin on arrives deactivated; the replicas converge', () => {
  const { dcs, nc, net, world } = forest();
  const [d0, d1] = dcs;
  const g = find(d0, nc, 'G')!.guid;
  const u = new Writer(d0, nc).addAt(find(d0, nc, 'B')!.guid, 'U2', 'group')!;
  net.fullCycle(1, 0);
  world.time++;
  // concurrently: DC1 adds G → U2, DC0 deletes U2 (a deleted-object)
  assert.ok(new Writer(d1, nc).membersOf(g, [u], true));
  recycleBinDelete(d0, nc, u);
  net.fullCycle(0, 1);
  net.fullCycle(1, 0);
  net.quiesce();
  for (const d of dcs) {
    const lv = link(d, g, u);
    assert.equal(lv?.stamp.timeDeleted, 0, `DC${d.index}: the value is present`);
    assert.equal(lv?.deactivated, true, `DC${d.index}: the value naming the deleted-object is deactivated`);
    assert.equal(backlinked(d, u), 0);
  }
  assert.equal(checkConverged(net), undefined);
});

// A DC that replicates the NC in only after the delete (a new replica, from an empty USN vector)
// is sent the group's value naming the deleted object with its LinkValueStamp (the deleting DC
// kept it, hidden or deactivated, without a new stamp: MS-DRSR 5.160 RecycleObj removes link values
// "simply … from the directory", not by an originating update). It must end with what the deleting
// DC holds: the value hidden (Recycle Bin off: MS-DRSR 4.1.10.6.14, a value naming a tombstone is
// not applied) or deactivated (on: MS-ADTS 3.1.1.5.5.6.2), the same stamps — whether the value comes
// before the deletion (chunk by chunk, cMaxObjects 1) or after it (the group changed after the
// delete, so it comes later in USN order).
for (const recycleBin of [false, true]) {
  for (const groupAfter of [false, true]) {
    test(`a DC that replicates in after a delete (Recycle Bin ${recycleBin ? 'on' : 'off'}, the group ${groupAfter ? 'changed after' : 'unchanged since'} the delete) holds the value naming the deleted object as the deleting DC does`, () => {
      simSchema();
      const world = { time: 13_100_000_000 };
      const root = tempDir('forestd-repl-rbin-late-');
      const dcs = openDCs(root.dir, 3, world) as [SimDC, SimDC, SimDC];
      roots.push({ cleanup: root.cleanup, dcs });
      const [d0, d1, d2] = dcs;
      const nc = createNC(d0, 12);
      const net = new Network(dcs, nc, 1);
      const g = find(d0, nc, 'G')!.guid;
      const u = new Writer(d0, nc).addAt(find(d0, nc, 'A')!.guid, 'U3', 'group')!;
      const other = new Writer(d0, nc).addAt(find(d0, nc, 'A')!.guid, 'U4', 'group')!;
      assert.ok(new Writer(d0, nc).membersOf(g, [u], true));
      net.fullCycle(1, 0);
      world.time++;
      const before = link(d0, g, u)!.stamp;
      if (recycleBin) recycleBinDelete(d0, nc, u);
      else assert.ok(new Writer(d0, nc).deleteObj(u));
      // the deleting DC changed no stamp of G → U3
      assert.deepEqual(link(d0, g, u)!.stamp, before);
      assert.equal(recycleBin ? link(d0, g, u)!.deactivated : link(d0, g, u)!.hidden, true);
      if (groupAfter) assert.ok(new Writer(d0, nc).membersOf(g, [other], true));
      // DC2 pulls the whole NC from DC0, one object per reply; DC1 (which had G → U3 visible) catches up
      assert.equal(link(d2, g, u), undefined, 'DC2 has no replica yet');
      net.fullCycle(2, 0);
      net.fullCycle(1, 0);
      for (const d of [d1, d2]) {
        const lv = link(d, g, u);
        assert.ok(lv, `DC${d.index} holds G → U3`);
        assert.equal(lv.stamp.timeDeleted, 0, `DC${d.index}: not removed by a stamp`);
        assert.equal(lv.hidden ?? false, !recycleBin, `DC${d.index}: hidden iff U3 is a tombstone`);
        assert.equal(lv.deactivated ?? false, recycleBin, `DC${d.index}: deactivated iff U3 is a deleted-object`);
        assert.equal(backlinked(d, u), 0, `DC${d.index}: no visible back link`);
        assert.equal(dump(d, nc), dump(d0, nc), `DC${d.index} holds what DC0 holds`);
      }
      net.quiesce();
      assert.equal(checkConverged(net), undefined);
    });
  }
}
