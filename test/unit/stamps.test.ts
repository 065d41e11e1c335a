// MS-DRSR 5.11 AttributeStamp and 5.118 LinkValueStamp comparisons (src/dsa/model/stamps.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareAttributeStamps, compareGuids, compareLinkValueStamps, compareVersions, nextVersion } from '../../src/dsa/model/stamps.js';

const g = (first: number) => {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(first, 0);
  return b;
};
const st = (dwVersion: number, timeChanged: number, uuid = g(1), usnOriginating = 1) => ({ dwVersion, timeChanged, uuidOriginating: uuid, usnOriginating });

test('MS-DRSR 5.11 CompareVersions: serial-number order with the 32-bit wrap', () => {
  const rows: [number, number, number][] = [
    [1, 1, 0],
    [2, 1, 1],
    [1, 2, -1],
    // after 0xFFFFFFFF comes 0: the wrapped version is the newer one
    [0, 0xffffffff, 1],
    [0xffffffff, 0, -1],
    [5, 0xfffffff0, 1],
    // the antipode (distance 2^31): the numerically larger wins, as the spec's branches say
    [0x80000000, 0, 1],
    [0, 0x80000000, -1],
    [0x7fffffff, 0xffffffff, -1],
    [0xffffffff, 0x7fffffff, 1],
  ];
  for (const [x, y, want] of rows) assert.equal(compareVersions(x, y), want, `CompareVersions(${x.toString(16)}, ${y.toString(16)})`);
});

test('MS-DRSR 5.11: dwVersion wraps to 0 after 0xFFFFFFFF; a first stamp has version 1', () => {
  assert.equal(nextVersion(undefined), 1);
  assert.equal(nextVersion(1), 2);
  assert.equal(nextVersion(0xfffffffe), 0xffffffff);
  assert.equal(nextVersion(0xffffffff), 0);
  // and the wrapped version still compares as the newer one
  assert.ok(compareAttributeStamps(st(nextVersion(0xffffffff), 0), st(0xffffffff, 99)) > 0);
});

test('MS-DRSR 5.11 AttributeStamp order: version, then timeChanged, then uuidOriginating; usnOriginating takes no part', () => {
  assert.ok(compareAttributeStamps(st(2, 1), st(1, 9)) > 0);
  assert.ok(compareAttributeStamps(st(1, 2), st(1, 1)) > 0);
  assert.ok(compareAttributeStamps(st(1, 1, g(2)), st(1, 1, g(1))) > 0);
  assert.equal(compareAttributeStamps(st(1, 1, g(1), 5), st(1, 1, g(1), 9)), 0);
  // a stamp beats no stamp
  assert.ok(compareAttributeStamps(st(1, 1), undefined) > 0);
  assert.ok(compareAttributeStamps(undefined, st(1, 1)) < 0);
  // GUIDs compare as GUIDs: Data1 is little-endian, so byte 3 outweighs byte 0
  const hi = Buffer.alloc(16);
  hi[3] = 1;
  const lo = Buffer.alloc(16);
  lo[0] = 0xff;
  assert.ok(compareGuids(hi, lo) > 0);
});

test('MS-DRSR 5.118 LinkValueStamp order: timeCreated first, then version, time, uuid', () => {
  const l = (timeCreated: number, v: number, t: number, u = g(1)) => ({ ...st(v, t, u), timeCreated });
  assert.ok(compareLinkValueStamps(l(2, 1, 1), l(1, 9, 9)) > 0, 'a value created later wins whatever its version');
  assert.ok(compareLinkValueStamps(l(1, 2, 1), l(1, 1, 9)) > 0);
  assert.ok(compareLinkValueStamps(l(1, 1, 2), l(1, 1, 1)) > 0);
  assert.ok(compareLinkValueStamps(l(1, 1, 1, g(3)), l(1, 1, 1, g(2))) > 0);
  assert.ok(compareLinkValueStamps(l(1, 1, 1), undefined) > 0);
  // negative control: the AttributeStamp order, which ignores timeCreated, decides the other way
  assert.ok(compareAttributeStamps(l(2, 1, 1), l(1, 9, 9)) < 0);
});

test('stamp comparison is a total order over distinct stamps (antisymmetric, transitive)', () => {
  const stamp = fc.record({
    dwVersion: fc.integer({ min: 0, max: 6 }),
    timeChanged: fc.integer({ min: 0, max: 3 }),
    uuidOriginating: fc.integer({ min: 0, max: 3 }).map(g),
    usnOriginating: fc.constant(1),
  });
  fc.assert(
    fc.property(stamp, stamp, stamp, (a, b, c) => {
      assert.ok(Math.sign(compareAttributeStamps(a, b)) === -Math.sign(compareAttributeStamps(b, a)));
      if (compareAttributeStamps(a, b) > 0 && compareAttributeStamps(b, c) > 0) assert.ok(compareAttributeStamps(a, c) > 0);
    }),
    { numRuns: 500 },
  );
});
