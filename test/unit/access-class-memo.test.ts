// The access layer's memo of an object's most specific structural class (access.ts classOf):
// kept per schema binding for every operation, so a search does not look its classes up again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { searchFixture, withSearchFlags, type Fixture } from '../helpers/search-fixture.js';
import { AccessContext } from '../../src/dsa/access/access.js';
import { makeToken } from '../../src/security/token.js';
import { sidFromString } from '../../src/schema/syntaxes/index.js';
import { SchemaSnapshot } from '../../src/schema/snapshot.js';

let f: Fixture;
before(async () => {
  f = await searchFixture();
});
after(async () => {
  await f.close();
});

/** Counts the class lookups of the schema snapshot in force (snapshots are frozen: counted on the prototype, for that one). */
function counting(): { calls: number; restore(): void } {
  const snap = f.dir.schema.snapshot;
  const proto = SchemaSnapshot.prototype;
  const orig = proto.classByOid;
  const c = { calls: 0, restore: () => void (proto.classByOid = orig) };
  proto.classByOid = function (this: SchemaSnapshot, oid: string) {
    if (this === snap) c.calls++;
    return orig.call(this, oid);
  };
  return c;
}

test('an object class found by one operation serves the next; a new schema binding looks it up again', () => {
  const token = makeToken(sidFromString('S-1-5-21-1-2-3-1104'), undefined, [], [sidFromString('S-1-1-0')], []);
  const admin = f.dir.resolve(f.dir.store.reader, `CN=Administrator,CN=Users,${f.baseDN}`, 'test');
  const classOf = () => {
    const r = f.dir.store.snapshot();
    try {
      return new AccessContext(f.dir, r, token).classOf(r.readObject(admin)!);
    } finally {
      r.done();
    }
  };
  let c = counting();
  const first = classOf();
  assert.equal(first?.lDAPDisplayName, 'user');
  assert.ok(c.calls > 0);
  c.restore();
  // another operation (its own AccessContext and record): no lookup (the negative control: a memo per operation looks up again)
  c = counting();
  assert.equal(classOf(), first);
  assert.equal(c.calls, 0);
  c.restore();
  // the memo is by the stored objectClass values (their packed bytes): an object of other classes gets its own answer
  const group = f.dir.resolve(f.dir.store.reader, `CN=Domain Users,CN=Users,${f.baseDN}`, 'test');
  const r = f.dir.store.snapshot();
  try {
    const acc = new AccessContext(f.dir, r, token);
    assert.equal(acc.classOf(r.readObject(group)!)?.lDAPDisplayName, 'group');
    assert.equal(acc.classOf(r.readObject(admin)!), first);
    // a record read in full (not lazily) takes the values' memo, with the same answers
    assert.equal(acc.classOf(r.getObject(group)!)?.lDAPDisplayName, 'group');
    assert.equal(acc.classOf(r.getObject(admin)!), first);
  } finally {
    r.done();
  }
  // a schema change swaps the binding: the class comes from the new snapshot
  withSearchFlags(f.dir, ['cn'], 0);
  c = counting();
  const after = classOf();
  assert.ok(c.calls > 0);
  assert.equal(after, f.dir.schema.snapshot.classByOid(after!.governsID));
  assert.equal(after?.lDAPDisplayName, 'user');
  c.restore();
});
