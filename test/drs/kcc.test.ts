// The intra-site topology of MS-ADTS 6.2.2.2 (src/drs/kcc.ts): a bidirectional ring of the
// replicas sorted by nTDSDSA objectGUID, with shortcuts up to n+2 inbound edges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { intrasiteEdgesPerReplica, intrasiteGraph } from '../../src/drs/kcc.js';

const guids = (n: number) => Array.from({ length: n }, () => randomBytes(16).toString('hex'));

/** Longest shortest path (edges followed from source to destination). */
function diameter(g: Map<string, Set<string>>): number {
  let worst = 0;
  for (const start of g.keys()) {
    const dist = new Map([[start, 0]]);
    const queue = [start];
    while (queue.length) {
      const v = queue.shift()!;
      // edges go from a source to the DCs that replicate from it
      for (const [dst, srcs] of g) if (srcs.has(v) && !dist.has(dst)) {
        dist.set(dst, dist.get(v)! + 1);
        queue.push(dst);
      }
    }
    assert.equal(dist.size, g.size, 'every replica reaches every other');
    worst = Math.max(worst, ...dist.values());
  }
  return worst;
}

test('n+2 edges per replica: 2 up to 7 replicas, 3 up to 15, 4 up to 27 (|R| ≤ 2n² + 6n + 7)', () => {
  assert.deepEqual([1, 2, 7, 8, 15, 16, 27, 28].map(intrasiteEdgesPerReplica), [2, 2, 2, 3, 3, 4, 4, 5]);
});

test('three DCs: every DC replicates from both others (the ring is a full mesh)', () => {
  const R = guids(3);
  const g = intrasiteGraph(R);
  for (const d of R) assert.deepEqual([...g.get(d)!].sort(), R.filter((x) => x !== d).sort());
  // negative control: two DCs replicate with each other only, one DC with nobody
  const two = guids(2);
  assert.deepEqual([...intrasiteGraph(two).get(two[0]!)!], [two[1]]);
  assert.equal(intrasiteGraph(guids(1)).values().next().value!.size, 0);
});

test('the ring follows the objectGUID order (as 16 bytes), whatever order the DCs are listed in', () => {
  const R = guids(6);
  const sorted = [...R].sort((a, b) => Buffer.compare(Buffer.from(a, 'hex'), Buffer.from(b, 'hex')));
  const g = intrasiteGraph(R);
  assert.deepEqual(intrasiteGraph([...R].reverse()), g, 'the same graph from any order');
  for (let i = 0; i < 6; i++) {
    assert.deepEqual([...g.get(sorted[i]!)!].sort(), [sorted[(i + 1) % 6]!, sorted[(i + 5) % 6]!].sort());
  }
});

test('up to 7 DCs nobody is more than 3 hops away; more DCs get shortcuts up to n+2 inbound edges, the same on every DC', () => {
  for (let n = 2; n <= 7; n++) assert.ok(diameter(intrasiteGraph(guids(n))) <= 3, `${n} DCs`);
  for (const n of [8, 12, 15, 20, 40]) {
    const R = guids(n);
    const g = intrasiteGraph(R);
    const want = intrasiteEdgesPerReplica(n);
    for (const d of R) assert.equal(g.get(d)!.size, want, `${n} DCs: inbound edges of each`);
    assert.deepEqual(intrasiteGraph([...R].reverse()), g, 'deterministic: every DC computes the same shortcuts');
    diameter(g); // connected
  }
});
