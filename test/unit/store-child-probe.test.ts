// A write transaction remembers the last DN-index key it looked up and found free (childEntry /
// childByName), so that putObject of a new object under that very name does not read the DN
// index again (replication's name-conflict check looks the name up just before): the name must
// still be refused when any DN-index write came between (another object took it, one was removed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../../src/store/store.js';
import type { ObjectRecord } from '../../src/store/record.js';
import { newGuid } from '../../src/util/guid.js';
import { withStore } from '../helpers/store.js';

const rec = (parent: Buffer | null, nc: Buffer, name: string, usn: number, ncName?: string): ObjectRecord => ({ parent, nc, rdnType: 3, name, usnCreated: usn, usnChanged: usn, whenChanged: 1, attrs: [], ...(ncName ? { ncName } : {}) });

/** counts the DN-index reads putObject makes (its existence check of a new name) */
function countChildGets(s: Store): { n: number } {
  const db = (s as unknown as { _dbs: { children: { get: (...a: unknown[]) => unknown } } })._dbs.children;
  const orig = db.get;
  const c = { n: 0 };
  db.get = function (this: unknown, ...a: unknown[]) {
    c.n++;
    return orig.apply(this, a);
  };
  return c;
}

test('a name just found free is not looked up again by putObject; any DN-index write in between makes it look again', () =>
  withStore(async (s) => {
    const nc = newGuid();
    await s.write((w) => w.putObject(nc, rec(null, nc, 'probe', w.usn, 'DC=probe,DC=test'), undefined));
    const gets = countChildGets(s);
    await s.write((w) => {
      const u = w.usn;
      // probe, then the put of that name: no second read
      assert.equal(w.childByName(nc, 'x'), undefined);
      w.putObject(newGuid(), rec(nc, nc, 'x', u), undefined);
      assert.equal(gets.n, 0, 'the probe\'s answer served');
      // control: no probe before, the put reads the DN index itself
      w.putObject(newGuid(), rec(nc, nc, 'y', u), undefined);
      assert.equal(gets.n, 1);
      // a probe of another name does not serve a put of this one
      assert.equal(w.childByName(nc, 'q'), undefined);
      w.putObject(newGuid(), rec(nc, nc, 'r', u), undefined);
      assert.equal(gets.n, 2);
      // the probe's name taken by a put in between: the next put of it is refused
      assert.equal(w.childByName(nc, 'z'), undefined);
      w.putObject(newGuid(), rec(nc, nc, 'z', u), undefined);
      assert.throws(() => w.putObject(newGuid(), rec(nc, nc, 'Z', u), undefined), (e: unknown) => (e as { code?: string }).code === 'ERR_STORE_NAME_EXISTS');
    });
    // a removal in between: the remembered key is forgotten and the put reads again
    const g = newGuid();
    await s.write((w) => w.putObject(g, rec(nc, nc, 'gone', w.usn), undefined));
    const before = gets.n;
    await s.write((w) => {
      assert.equal(w.childByName(nc, 'w'), undefined);
      w.removeObject(g, w.getObject(g)!);
      w.putObject(newGuid(), rec(nc, nc, 'w', w.usn), undefined);
    });
    assert.equal(gets.n, before + 1);
    assert.ok(s.reader.childByName(nc, 'w'));
    assert.equal(s.reader.childByName(nc, 'gone'), undefined);
  }));
