// DirSyncState (src/dirsync/dirsync.ts) holds the sent-ahead sets of recent DirSync cookies
// within a bound on the entries of all cookies together (maxTotalEntries): the oldest cookies
// are forgotten first (their cycles fall back to the replay). Negative control: under a
// larger bound the same cookies are all kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DirSyncState } from '../../src/dirsync/index.js';

const set = (tag: string, n: number) => new Set(Array.from({ length: n }, (_, i) => `${tag}${i}`));
const cookie = (n: number) => Buffer.from([n]);

test('the entries held over all cookies stay within maxTotalEntries, oldest forgotten first', () => {
  const s = new DirSyncState(256, 100, 10);
  for (let i = 0; i < 3; i++) s.set(cookie(i), set(`c${i}-`, 4));
  assert.ok(s.entries <= 10, `holds ${s.entries}`);
  assert.equal(s.get(cookie(0)), undefined);
  assert.equal(s.get(cookie(2))?.size, 4);
  // setting a remembered cookie again replaces its set, not adds to the count
  s.set(cookie(2), set('again-', 2));
  assert.equal(s.entries, 6);
});

test('negative control: under a larger total bound every cookie is kept', () => {
  const s = new DirSyncState(256, 100, 1000);
  for (let i = 0; i < 3; i++) s.set(cookie(i), set(`c${i}-`, 4));
  assert.equal(s.entries, 12);
  assert.equal(s.get(cookie(0))?.size, 4);
});
