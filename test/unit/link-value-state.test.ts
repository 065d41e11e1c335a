// linkValueState (src/store/record.ts) reads a packed link value's presence and deactivation
// from its bytes, for the range path: it must agree with the full decode (decodeLinkValue) for
// every stamp, including large times, deleted, deactivated and hidden values, and extras.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeLinkValue, encodeLinkValue, linkValueState, type InvocationTable, type LinkValue } from '../../src/store/record.js';

const inv: InvocationTable = { indexOf: () => 3, byIndex: () => Buffer.alloc(16, 7) };
const g = (b: number) => Buffer.alloc(16, b);
const time = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 0x7f }), fc.integer({ min: 0x80, max: 2 ** 32 }), fc.integer({ min: 2 ** 32, max: 2 ** 40 }), fc.constant(13_380_000_000));
const value = fc.record({
  attid: fc.integer({ min: 0, max: 2 ** 31 }),
  dwVersion: fc.integer({ min: 1, max: 2 ** 31 }),
  timeChanged: time,
  usnOriginating: fc.integer({ min: 1, max: 2 ** 40 }),
  usnLocal: fc.integer({ min: 1, max: 2 ** 40 }),
  timeCreated: time,
  timeDeleted: time,
  deactivated: fc.boolean(),
  hidden: fc.boolean(),
  extra: fc.option(fc.oneof(fc.string(), fc.uint8Array({ maxLength: 28 }).map((u) => Buffer.from(u))), { nil: undefined }),
});

type Drawn = typeof value extends fc.Arbitrary<infer T> ? T : never;

function linkOf(v: Drawn): LinkValue {
  const lv: LinkValue = { source: g(1), linkId: 2, attid: v.attid, target: g(2), data: Buffer.alloc(0), stamp: { dwVersion: v.dwVersion, timeChanged: v.timeChanged, uuidOriginating: g(7), usnOriginating: v.usnOriginating, usnLocal: v.usnLocal, timeCreated: v.timeCreated, timeDeleted: v.timeDeleted } };
  if (v.deactivated) lv.deactivated = true;
  if (v.hidden) lv.hidden = true;
  if (v.extra !== undefined) lv.extra = v.extra;
  return lv;
}

test('linkValueState agrees with the full decode of a link value', () => {
  fc.assert(
    fc.property(value, (v) => {
      const b = encodeLinkValue(linkOf(v), inv);
      const full = decodeLinkValue(g(1), 2, g(2), Buffer.alloc(0), b, inv);
      assert.deepEqual(linkValueState(b), { present: full.stamp.timeDeleted === 0, deactivated: full.deactivated === true, hidden: full.hidden === true });
    }),
  );
});

test('negative control: a tombstoned or deactivated value is not reported present and active', () => {
  const base = { attid: 1, dwVersion: 1, timeChanged: 13_380_000_000, usnOriginating: 5, usnLocal: 5, timeCreated: 13_380_000_000, deactivated: false, hidden: false, extra: undefined };
  assert.deepEqual(linkValueState(encodeLinkValue(linkOf({ ...base, timeDeleted: 0 }), inv)), { present: true, deactivated: false, hidden: false });
  assert.deepEqual(linkValueState(encodeLinkValue(linkOf({ ...base, timeDeleted: 13_380_000_001 }), inv)), { present: false, deactivated: false, hidden: false });
  assert.deepEqual(linkValueState(encodeLinkValue(linkOf({ ...base, timeDeleted: 0, deactivated: true }), inv)), { present: true, deactivated: true, hidden: false });
  assert.deepEqual(linkValueState(encodeLinkValue(linkOf({ ...base, timeDeleted: 0, hidden: true }), inv)), { present: true, deactivated: false, hidden: true });
});
