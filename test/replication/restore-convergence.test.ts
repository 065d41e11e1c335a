// Backup and restore in a two-DC forest (MS-ADTS 3.1.1.1.9): DC0 and DC1 replicate, DC1 is
// backed up, both write more (DC1's post-backup writes reach DC0), DC1 is restored from the
// backup under a new invocationId (src/cli/backup/restore.ts reidentifyStore), both write
// again, and after replication both converge with no change lost and nothing applied twice.
// The negative control restores DC1 keeping its old invocationId (the "USN rollback"): its
// new writes reuse (invocationId, USN) pairs DC0 already holds; the replicas never converge.
//
// On the replication simulator (sim.ts: DCs in one process, real stores). The backup is the
// online copy `forestd backup` makes (Store.backup); the restore is the store half of
// `forestd restore` (reidentifyStore).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.js';
import { checkConverged, createNC, find, Network, openDCs, Writer } from './sim.js';
import { Store, type DcTuple } from '../../src/store/store.js';
import { readReplicaState } from '../../src/dsa/replica/state.js';
import { reidentifyStore } from '../../src/cli/backup/restore.js';

async function scenario(newInvocationId: boolean): Promise<{ converged: string | undefined; missing: string[]; dc0HasBoth: boolean }> {
  const { dir, cleanup } = tempDir('forestd-restore-');
  try {
    const world = { time: 1 };
    const dcs = openDCs(dir, 2, world);
    const [dc0, dc1] = [dcs[0]!, dcs[1]!];
    const nc = createNC(dc0, 7);
    const net = new Network(dcs, nc, 50);
    const w0 = new Writer(dc0, nc);
    const w1 = new Writer(dc1, nc);
    // DC1 joins: a full replica of the NC pulled from DC0
    net.fullCycle(1, 0);
    assert.ok(w0.add(0, 'before-0', 'ou') && w1.add(0, 'before-1', 'ou'));
    net.quiesce();

    // the backup of DC1 (the online copy of forestd backup), and its highest USN as stored
    const bak = join(dir, 'backup');
    mkdirSync(join(bak, 'store'), { recursive: true });
    await Store.backup(dc1.dir, join(bak, 'store'));
    const copy = Store.open(bak);
    const highestUsn = copy.getMeta<DcTuple>('dc')!.usn - 1;
    await copy.close();

    // after the backup: DC1 writes and DC0 replicates it; DC0 writes too
    world.time++;
    assert.ok(w1.add(0, 'lost-1', 'ou') && w1.modifyContainer(0, 'by-dc1-after-backup'));
    net.fullCycle(0, 1);
    assert.ok(find(dc0, nc, 'lost-1'), 'DC0 holds what DC1 wrote after the backup');
    assert.ok(w0.add(0, 'after-0', 'ou'));

    // DC1 is restored from the backup
    const replacedUsn = dc1.store.dc.usn;
    const oldInv = Buffer.from(dc1.invocationId);
    await dc1.store.close();
    rmSync(join(dc1.dir, 'store'), { recursive: true, force: true });
    cpSync(join(bak, 'store'), join(dc1.dir, 'store'), { recursive: true });
    rmSync(join(dc1.dir, 'store', 'lock.mdb'), { force: true });
    if (newInvocationId) {
      const s = Store.open(dc1.dir, { noSync: true, mapSize: 512 * 1024 * 1024 });
      await reidentifyStore(s, highestUsn, replacedUsn, new Date(world.time));
      await s.close();
    }
    await dc1.restart();
    assert.equal(find(dc1, nc, 'lost-1'), undefined, 'the restored DC lacks what came after its backup');
    assert.equal(!dc1.invocationId.equals(oldInv), newInvocationId);

    // both write again, then replicate to quiescence
    world.time++;
    assert.ok(w1.add(0, 'after-restore-1', 'ou') && w1.add(0, 'after-restore-1b', 'ou'));
    assert.ok(w0.add(0, 'after-restore-0', 'ou'));
    let converged: string | undefined;
    try {
      net.quiesce();
      converged = checkConverged(net);
    } catch (e) {
      converged = (e as Error).message;
    }
    const names = ['before-0', 'before-1', 'lost-1', 'after-0', 'after-restore-1', 'after-restore-1b', 'after-restore-0'];
    const missing = dcs.flatMap((d) => names.filter((n) => !find(d, nc, n)).map((n) => `DC${d.index}:${n}`));
    const utd0 = readReplicaState(dc0.store.reader, nc.name.Guid).utd;
    const dc0HasBoth = utd0.some((c) => c.uuidDsa.equals(oldInv)) && utd0.some((c) => c.uuidDsa.equals(dc1.invocationId));
    for (const d of dcs) await d.store.close();
    return { converged, missing, dc0HasBoth };
  } finally {
    cleanup();
  }
}

test('a DC restored under a new invocationId converges with its partner: nothing lost, nothing applied twice', { timeout: 120_000 }, async () => {
  const r = await scenario(true);
  assert.equal(r.converged, undefined);
  assert.deepEqual(r.missing, []);
  assert.ok(r.dc0HasBoth, "DC0's UTD vector has DC1's retired and new invocationIds");
});

test('negative control: restored keeping its old invocationId, the DC reuses (invocationId, USN) pairs: the replicas do not converge and changes are lost', { timeout: 120_000 }, async () => {
  const r = await scenario(false);
  assert.notEqual(r.converged, undefined, 'the replicas do not converge');
  assert.ok(r.missing.length > 0, `changes are lost: ${JSON.stringify(r)}`);
});
