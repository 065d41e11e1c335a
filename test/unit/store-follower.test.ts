// A follower Store (read workers, src/dsa/workers): the same LMDB environment opened again as a
// reader, in a worker thread. It refuses writes, takes the writer's counters with follow(), and
// its close leaves the writer's USN reserve alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { Store, StoreError, LINK_WORK_REMOVE, indexKey, type Indexer } from '../../src/store/store.js';
import type { ObjectRecord } from '../../src/store/record.js';
import { newGuid } from '../../src/util/guid.js';
import { tempDir } from '../helpers/tmp.js';

function rec(nc: Buffer, name: string, usn: number): ObjectRecord {
  return { parent: null, nc, rdnType: 25, name, usnCreated: usn, usnChanged: usn, whenChanged: 0, attrs: [], ncName: `DC=${name}` };
}

test('a follower refuses writes, and mirrors the counters only when told (follow)', async () => {
  const { dir, cleanup } = tempDir();
  const writer = Store.open(dir, { create: true });
  try {
    const g = newGuid();
    await writer.write((w) => w.putObject(g, rec(g, 'one', w.usn), undefined));
    const follower = Store.open(dir, { follower: true });
    try {
      assert.ok(follower.reader.getObject(g), 'the follower reads what the writer committed before it opened');
      assert.throws(() => follower.writeSync(() => 0), (e: unknown) => e instanceof StoreError && e.code === 'ERR_STORE_READONLY');
      assert.throws(() => void follower.write(() => 0), (e: unknown) => e instanceof StoreError && e.code === 'ERR_STORE_READONLY');
      assert.throws(() => writer.follow(writer.followerState()), (e: unknown) => e instanceof StoreError, 'follow() is for followers only');
      const before = follower.followerState();
      const g2 = newGuid();
      await writer.write((w) => w.putObject(g2, rec(g2, 'two', w.usn), undefined));
      // negative control: without follow() the follower's counters stay where it opened
      assert.deepEqual(follower.followerState(), before);
      follower.follow(writer.followerState());
      assert.deepEqual(follower.followerState(), writer.followerState());
      assert.equal(follower.highestCommittedUsn, writer.highestCommittedUsn);
      assert.ok(follower.reader.getObject(g2), 'after follow() the next read sees the new commit');
    } finally {
      await follower.close();
    }
    const reserve = writer.getMeta<number>('usnReserve');
    await writer.write((w) => w.putObject(newGuid(), rec(newGuid(), 'three', w.usn), undefined));
    assert.equal(writer.getMeta<number>('usnReserve'), reserve, "the follower's close did not touch the reserve");
  } finally {
    await writer.close();
    cleanup();
  }
});

test('a follower in another process takes the counters from the committed state (followCommitted)', async () => {
  const { dir, cleanup } = tempDir();
  const writer = Store.open(dir, { create: true });
  try {
    const g = newGuid();
    await writer.write((w) => w.putObject(g, rec(g, 'one', w.usn), undefined));
    const follower = Store.open(dir, { follower: true });
    try {
      assert.throws(() => writer.followCommitted(), (e: unknown) => e instanceof StoreError, 'followCommitted() is for followers only');
      assert.equal(follower.followCommitted(), writer.committedUsn + 1, 'the next USN of the stored DC tuple');
      const g2 = newGuid();
      await writer.write((w) => {
        w.putObject(g2, rec(g2, 'two', w.usn), undefined);
        w.queueLinkWork(g, LINK_WORK_REMOVE);
      });
      // negative control: without followCommitted() the follower's counters stay where they were
      assert.equal(follower.linkWorkHint, 0);
      const usnBefore = follower.dc.usn;
      assert.equal(follower.followCommitted(), writer.committedUsn + 1);
      assert.ok(follower.dc.usn > usnBefore, 'the next USN moved with the commit');
      assert.equal(follower.linkWorkHint, 1, 'the queued delayed link processing counts');
      assert.ok(follower.reader.getObject(g2), 'the next read sees the new commit');
      // the queue emptied by a commit that takes no USN: counted again while the hint is not 0
      await writer.write((w) => w.finishLinkWork(g));
      follower.followCommitted();
      assert.equal(follower.linkWorkHint, 0);
      // highestCommittedUsn is the writer's (durable), as sent: not what the follower derived from the USN reserve when it opened
      assert.notEqual(follower.highestCommittedUsn, writer.highestCommittedUsn, 'negative control: the reserve-derived value at open');
      follower.followDurable(writer.highestCommittedUsn);
      assert.equal(follower.highestCommittedUsn, writer.highestCommittedUsn);
    } finally {
      await follower.close();
    }
  } finally {
    await writer.close();
    cleanup();
  }
});

test('a follower in a worker thread reads the commits of the writer thread', { timeout: 60_000 }, async () => {
  const { dir, cleanup } = tempDir();
  const writer = Store.open(dir, { create: true });
  const g = newGuid();
  await writer.write((w) => w.putObject(g, rec(g, 'seen', w.usn), undefined));
  const storeUrl = new URL('../../src/store/store.js', import.meta.url).href;
  const src = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.storeUrl).then(({ Store }) => {
      const s = Store.open(workerData.dir, { follower: true });
      parentPort.on('message', async (m) => {
        s.follow(m.state);
        const r = s.reader.getObject(Buffer.from(m.guid));
        // the last reply only once the store is closed: the test terminates this thread on it, and
        // a thread terminated inside lmdb's env close aborts the process (napi_throw, FATAL ERROR)
        if (m.last) await s.close();
        parentPort.postMessage(r ? r.name : null);
        if (m.last) parentPort.close();
      });
      parentPort.postMessage('ready');
    });`;
  const worker = new Worker(src, { eval: true, workerData: { dir, storeUrl } });
  const replies: unknown[] = [];
  const next = () => new Promise<unknown>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  try {
    assert.equal(await next(), 'ready');
    worker.postMessage({ state: writer.followerState(), guid: g });
    replies.push(await next());
    const g2 = newGuid();
    await writer.write((w) => w.putObject(g2, rec(g2, 'later', w.usn), undefined));
    worker.postMessage({ state: writer.followerState(), guid: g2, last: true });
    replies.push(await next());
    assert.deepEqual(replies, ['seen', 'later']);
  } finally {
    await worker.terminate();
    await writer.close();
    cleanup();
  }
});

test("the equality memo (ReadTxn.indexGuids) follows the index epoch stored with the index: another store on the environment sees the writer's changes, an older snapshot its own index", async () => {
  const { dir, cleanup } = tempDir();
  const ATT = 7;
  const indexer: Indexer = (r) => (r.attrs.find((a) => a.id === ATT)?.values ?? []).map((v) => indexKey(ATT, Buffer.from(String(v).toLowerCase())));
  const writer = Store.open(dir, { create: true, indexer });
  const nc = newGuid();
  const add = (g: Buffer, value: string) => writer.write((w) => w.putObject(g, { ...rec(nc, `n${g.toString('hex')}`, w.usn), parent: nc, ncName: undefined, attrs: [{ id: ATT, values: [value] }] }, undefined));
  const key = indexKey(ATT, Buffer.from('shared'));
  const sorted = (gs: readonly Buffer[] | undefined) => (gs ?? []).map((g) => g.toString('hex')).sort();
  try {
    await writer.write((w) => w.putObject(nc, rec(nc, 'nc', w.usn), undefined));
    const [g1, g2, g3] = [newGuid(), newGuid(), newGuid()];
    await add(g1, 'Shared');
    const follower = Store.open(dir, { follower: true, indexer });
    try {
      const first = follower.snapshot();
      assert.deepEqual(sorted(first.indexGuids(key, 100)), sorted([g1]));
      assert.ok(follower._equalMemo.size > 0, 'the answer is kept');
      await add(g2, 'SHARED');
      // a follower sees commits made since its last read once it follows (as a read process does before each search)
      follower.followCommitted();
      const second = follower.snapshot();
      assert.ok(second.indexEpoch() > first.indexEpoch(), "the writer's commit moved the stored epoch");
      assert.deepEqual(sorted(second.indexGuids(key, 100)), sorted([g1, g2]), 'a new snapshot of the other store sees the new object');
      assert.deepEqual(sorted(first.indexGuids(key, 100)), sorted([g1]), 'the older snapshot still answers from its own index');
      assert.equal(first.indexGuids(key, 0), undefined, 'more than the cap: no answer');
      first.done();
      second.done();
      // negative control: a write that does not move the epoch leaves the memo's answer standing, stale
      writer._bumpIndexEpoch = false;
      await add(g3, 'shared');
      writer._bumpIndexEpoch = true;
      follower.followCommitted();
      const third = follower.snapshot();
      assert.deepEqual(sorted(third.indexGuids(key, 100)), sorted([g1, g2]), 'the stale answer without the epoch');
      assert.deepEqual(sorted([...third.indexEqual(key)]), sorted([g1, g2, g3]), 'while the index has g3');
      third.done();
    } finally {
      await follower.close();
    }
  } finally {
    await writer.close();
    cleanup();
  }
});
