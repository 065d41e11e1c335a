// Paged results over the wire (python3-ldap3): the second page re-reads its entries, and a cookie
// used with another filter is refused with Windows' code (MS-ADTS 3.1.1.3.4.1.1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startForestd, run, PYTHON, type RunningForestd } from '../helpers/forestd.js';
import { findPackageRoot } from '../../src/schema/bootstrap.js';

const script = join(findPackageRoot(), 'test/integration/py/paged_reread.py');
let f: RunningForestd;
before(async () => {
  f = await startForestd();
});
after(async () => {
  await f?.stop();
});

test('python-ldap3 paged search: a deleted entry is not served, a changed one is served fresh; another filter under the cookie → 12', { timeout: 60_000 }, async () => {
  const r = await run(PYTHON, [script, f.url, f.baseDN, f.adminDN, f.adminPassword]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const o = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(o.first.length, 3);
  const second = Object.keys(o.second);
  assert.equal(second.length, 6, 'seven left, one deleted');
  assert.ok(!second.includes(o.deleted));
  assert.equal(o.second[o.modified], 'after');
  assert.equal(o.last_cookie, 0);
  for (const dn of second) if (dn !== o.modified) assert.equal(o.second[dn], 'before', 'the negative control: unchanged entries as they were');
  assert.deepEqual(o.changed_filter, [12, '0000202C']);
});
