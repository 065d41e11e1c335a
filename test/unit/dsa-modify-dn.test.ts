// LDAP Modify DN of the DSA (MS-ADTS 3.1.1.5.4): renames and moves within an NC rewrite one
// object; the refusals carry AD's codes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Directory } from '../../src/dsa/directory.js';
import { modifyDN } from '../../src/dsa/modify-dn.js';
import { CONFIG, DOMAIN, USERS, addObject, attr, ctx, fixture, read, rejects, values } from './dsa-fixture.js';

let d: Directory;
let close: () => Promise<void>;
before(async () => {
  ({ d, close } = await fixture());
  await addObject(d, `OU=A,${DOMAIN}`, { objectClass: 'organizationalUnit' });
  await addObject(d, `OU=B,OU=A,${DOMAIN}`, { objectClass: 'organizationalUnit' });
  await addObject(d, `CN=Carol,OU=B,OU=A,${DOMAIN}`, { objectClass: 'user', sAMAccountName: 'carol' });
  await addObject(d, `OU=X,${DOMAIN}`, { objectClass: 'organizationalUnit' });
  await addObject(d, `CN=Dave,${USERS}`, { objectClass: 'user', sAMAccountName: 'dave', description: 'd' });
  await addObject(d, `CN=Erin,${USERS}`, { objectClass: 'user', sAMAccountName: 'erin' });
});
after(() => close());

const mdn = (entry: string, newrdn: string, newSuperior?: string, deleteoldrdn = true) =>
  modifyDN(d, { type: 'modifyDNRequest', entry, newrdn, deleteoldrdn, ...(newSuperior !== undefined ? { newSuperior } : {}) }, ctx());

test('rename: the RDN attribute and name get new stamps; nothing else does', async () => {
  const before = read(d, `CN=Dave,${USERS}`);
  await mdn(`CN=Dave,${USERS}`, 'CN=David');
  const { guid, rec } = read(d, `CN=David,${USERS}`);
  assert.ok(guid.equals(before.guid));
  assert.equal(rec.name, 'David');
  assert.deepEqual(values(d, rec, 'cn'), ['David']);
  assert.deepEqual(values(d, rec, 'name'), ['David']);
  for (const n of ['cn', 'name']) {
    const st = attr(d, rec, n)!.stamp!;
    assert.equal(st.dwVersion, attr(d, before.rec, n)!.stamp!.dwVersion + 1, n);
    assert.equal(st.usnOriginating, rec.usnChanged, n);
  }
  assert.deepEqual(attr(d, rec, 'description'), attr(d, before.rec, 'description'));
  assert.ok(rec.usnChanged > before.rec.usnChanged);
  await rejects(mdn(`CN=Dave,${USERS}`, 'CN=Dave2'), 32);
  assert.equal(d.dnOf(d.store.reader, guid), `CN=David,${USERS}`);
});

test('a case-only rename is a rename; the same name is a no-op', async () => {
  await mdn(`CN=David,${USERS}`, 'CN=david');
  assert.equal(read(d, `CN=david,${USERS}`).rec.name, 'david');
  const usn = read(d, `CN=david,${USERS}`).rec.usnChanged;
  await mdn(`CN=david,${USERS}`, 'CN=david');
  assert.equal(read(d, `CN=david,${USERS}`).rec.usnChanged, usn);
});

test('move of a subtree rewrites one object: children keep uSNChanged, their DNs follow', async () => {
  const a = read(d, `OU=A,${DOMAIN}`);
  const b = read(d, `OU=B,OU=A,${DOMAIN}`);
  const c = read(d, `CN=Carol,OU=B,OU=A,${DOMAIN}`);
  await mdn(`OU=A,${DOMAIN}`, 'OU=A', `OU=X,${DOMAIN}`);
  const a2 = read(d, `OU=A,OU=X,${DOMAIN}`);
  assert.ok(a2.guid.equals(a.guid));
  assert.ok(a2.rec.usnChanged > a.rec.usnChanged);
  // a move is replicated through name's metadata; the RDN attribute's value did not change
  assert.equal(attr(d, a2.rec, 'name')!.stamp!.dwVersion, attr(d, a.rec, 'name')!.stamp!.dwVersion + 1);
  assert.equal(attr(d, a2.rec, 'name')!.stamp!.usnOriginating, a2.rec.usnChanged);
  assert.deepEqual(attr(d, a2.rec, 'ou'), attr(d, a.rec, 'ou'));
  const b2 = read(d, `OU=B,OU=A,OU=X,${DOMAIN}`);
  const c2 = read(d, `CN=Carol,OU=B,OU=A,OU=X,${DOMAIN}`);
  assert.ok(b2.guid.equals(b.guid) && c2.guid.equals(c.guid));
  assert.deepEqual(b2.rec, b.rec);
  assert.deepEqual(c2.rec, c.rec);
  // move and rename in one
  await mdn(`OU=A,OU=X,${DOMAIN}`, 'OU=A1', DOMAIN);
  assert.ok(read(d, `CN=Carol,OU=B,OU=A1,${DOMAIN}`).guid.equals(c.guid));
});

test('refusals: sibling name, RDN attribute, own subtree, missing parent, possSuperiors, other NC', async () => {
  await rejects(mdn(`CN=Erin,${USERS}`, 'CN=Administrator'), 68, /^00002071: UpdErr: DSID-[0-9A-F]{8}, problem 6005 \(ENTRY_EXISTS\)/);
  await rejects(mdn(`CN=Erin,${USERS}`, 'OU=Erin'), 64, /^00002037: NameErr: DSID-[0-9A-F]{8}, problem 2005 \(NAMING_VIOLATION\)/);
  // under itself: Windows answers namingViolation (issue 13, item 3)
  await rejects(mdn(`OU=A1,${DOMAIN}`, 'OU=A1', `OU=B,OU=A1,${DOMAIN}`), 64, /^00002037: NameErr: /);
  await rejects(mdn(`OU=A1,${DOMAIN}`, 'OU=A1', `OU=A1,${DOMAIN}`), 64);
  await rejects(mdn(`CN=Erin,${USERS}`, 'CN=Erin', `OU=Nowhere,${DOMAIN}`), 32);
  await rejects(mdn(`CN=Erin,${USERS}`, 'CN=Erin', `CN=david,${USERS}`), 64, /possSuperiors/);
  await rejects(mdn(`CN=Erin,${USERS}`, 'CN=Erin', CONFIG), 71);
  await rejects(mdn(`CN=Erin,${USERS}`, 'CN=a\nb'), 64);
  await rejects(mdn(`CN=Erin,${USERS}`, 'CN=' + 'x'.repeat(256)), 64);
});

test('systemFlags: protected domain objects, config NC opt-in, NC heads, schema moves', async () => {
  await rejects(mdn(USERS, 'CN=People'), 53, /^00002185: SvcErr: /);
  await rejects(mdn(USERS, 'CN=Users', `OU=X,${DOMAIN}`), 53, /^00002185: /);
  await rejects(mdn(DOMAIN, 'DC=other'), 53, /^00002183: /);
  await rejects(mdn(`CN=Windows NT,CN=Services,${CONFIG}`, 'CN=Windows 2000'), 53, /^00002185: .*FLAG_CONFIG_ALLOW_RENAME/s);
  await rejects(mdn(`CN=Person,CN=Schema,${CONFIG}`, 'CN=Person', CONFIG), 71);
  // a plain object under CN=Users moves freely
  await mdn(`CN=Erin,${USERS}`, 'CN=Erin', `OU=X,${DOMAIN}`);
  assert.ok(read(d, `CN=Erin,OU=X,${DOMAIN}`));
});
