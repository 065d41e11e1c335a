// RID pools (MS-ADTS 6.1.5.3): blocks from rIDAvailablePool, RIDs from a DC's RID Set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocateBlock, pool, poolHi, poolLo, takeRid, wantsBlock, MAX_RID } from '../../src/dsa/model/rid-pool.js';

test('the RID Master hands out consecutive, disjoint blocks until the space is spent', () => {
  let available = pool(1000, 1009);
  const a = allocateBlock(available, 4)!;
  assert.deepEqual([poolLo(a.block), poolHi(a.block)], [1000, 1003]);
  available = a.available;
  const b = allocateBlock(available, 4)!;
  assert.deepEqual([poolLo(b.block), poolHi(b.block)], [1004, 1007]);
  assert.equal(allocateBlock(b.available, 4), undefined, 'two RIDs left: no block of four');
  assert.equal(poolHi(pool(1, MAX_RID)), MAX_RID);
});

test('a DC issues RIDs from the block in use, then from the block received last; none when both are spent', () => {
  let s = { allocationPool: pool(10, 11) } as Parameters<typeof takeRid>[0];
  assert.equal(wantsBlock(s), false, 'a block received and not yet in use is a block waiting');
  assert.equal(wantsBlock({}), true, 'no block at all: ask');
  const got: number[] = [];
  for (let t = takeRid(s); t; t = takeRid(s)) {
    got.push(t.rid);
    s = t.next;
    if (got.length === 2) s = { ...s, allocationPool: pool(20, 21) }; // the next block arrives
  }
  assert.deepEqual(got, [10, 11, 20, 21]);
  assert.equal(takeRid(s), undefined);
  assert.equal(takeRid({}), undefined, 'no block at all');
  // a block waiting: no request; the block in use half spent and nothing waiting: request
  assert.equal(wantsBlock({ allocationPool: pool(30, 39), previousPool: pool(10, 19), nextRid: 18 }), false);
  assert.equal(wantsBlock({ allocationPool: pool(10, 19), previousPool: pool(10, 19), nextRid: 14 }), true);
  assert.equal(wantsBlock({ allocationPool: pool(10, 19), previousPool: pool(10, 19), nextRid: 12 }), false);
});
