// LDAP Modify DN of the DSA (MS-ADTS 3.1.1.5.4): renames and moves within an NC rewrite one
// object; the refusals carry AD's codes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Directory } from '../../src/dsa/directory.js';
import { modifyDN } from '../../src/dsa/modify-dn.js';
import { CONFIG, DOMAIN, USERS, addObject, attr, ctx, fixture, read, rejects, rejectsAd, values } from './dsa-fixture.js';
import { AD } from '../helpers/ad-errors.js';

// Each test makes the objects it works on (its own names): no test depends on another's renames.
let d: Directory;
let close: () => Promise<void>;
before(async () => {
  ({ d, close } = await fixture());
});
after(() => close());

const mdn = (entry: string, newrdn: string, newSuperior?: string, deleteoldrdn = true) =>
  modifyDN(d, { type: 'modifyDNRequest', entry, newrdn, deleteoldrdn, ...(newSuperior !== undefined ? { newSuperior } : {}) }, ctx());
const ou = (dn: string) => addObject(d, dn, { objectClass: 'organizationalUnit' });
const user = (dn: string, sam: string, extra: Record<string, string> = {}) => addObject(d, dn, { objectClass: 'user', sAMAccountName: sam, ...extra });

test('rename: the RDN attribute and name get new stamps; nothing else does', async () => {
  await user(`CN=Dave,${USERS}`, 'dave', { description: 'd' });
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
  await user(`CN=Case,${USERS}`, 'case');
  await mdn(`CN=Case,${USERS}`, 'CN=case');
  assert.equal(read(d, `CN=case,${USERS}`).rec.name, 'case');
  const usn = read(d, `CN=case,${USERS}`).rec.usnChanged;
  await mdn(`CN=case,${USERS}`, 'CN=case');
  assert.equal(read(d, `CN=case,${USERS}`).rec.usnChanged, usn);
});

test('move of a subtree rewrites one object: children keep uSNChanged, their DNs follow', async () => {
  await ou(`OU=A,${DOMAIN}`);
  await ou(`OU=B,OU=A,${DOMAIN}`);
  await user(`CN=Carol,OU=B,OU=A,${DOMAIN}`, 'carol');
  await ou(`OU=X,${DOMAIN}`);
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
  await user(`CN=Ref,${USERS}`, 'ref');
  await user(`CN=RefUser,${USERS}`, 'refuser'); // a user is no possible superior of a user
  await ou(`OU=R1,${DOMAIN}`);
  await ou(`OU=R2,OU=R1,${DOMAIN}`);
  await rejectsAd(mdn(`CN=Ref,${USERS}`, 'CN=Administrator'), AD.ENTRY_EXISTS);
  await rejects(mdn(`CN=Ref,${USERS}`, 'OU=Ref'), 64, /^00002037: NameErr: DSID-[0-9A-F]{8}, problem 2005 \(NAMING_VIOLATION\)/);
  // under itself: Windows answers namingViolation (issue 13, item 3)
  await rejects(mdn(`OU=R1,${DOMAIN}`, 'OU=R1', `OU=R2,OU=R1,${DOMAIN}`), 64, /^00002037: NameErr: /);
  await rejects(mdn(`OU=R1,${DOMAIN}`, 'OU=R1', `OU=R1,${DOMAIN}`), 64);
  await rejects(mdn(`CN=Ref,${USERS}`, 'CN=Ref', `OU=Nowhere,${DOMAIN}`), 32);
  await rejectsAd(mdn(`CN=Ref,${USERS}`, 'CN=Ref', `CN=RefUser,${USERS}`), AD.ILLEGAL_SUPERIOR);
  await rejects(mdn(`CN=Ref,${USERS}`, 'CN=Ref', CONFIG), 71);
  await rejects(mdn(`CN=Ref,${USERS}`, 'CN=a\nb'), 64);
  await rejects(mdn(`CN=Ref,${USERS}`, 'CN=' + 'x'.repeat(256)), 64);
  // none of them moved anything
  assert.ok(read(d, `CN=Ref,${USERS}`) && read(d, `OU=R2,OU=R1,${DOMAIN}`));
});

test('systemFlags: protected domain objects, config NC opt-in, NC heads, schema moves', async () => {
  await user(`CN=Free,${USERS}`, 'free');
  await ou(`OU=S,${DOMAIN}`);
  await rejects(mdn(USERS, 'CN=People'), 53, /^00002185: SvcErr: /);
  await rejects(mdn(USERS, 'CN=Users', `OU=S,${DOMAIN}`), 53, /^00002185: /);
  await rejects(mdn(DOMAIN, 'DC=other'), 53, /^00002183: /);
  await rejects(mdn(`CN=Windows NT,CN=Services,${CONFIG}`, 'CN=Windows 2000'), 53, /^00002185: .*FLAG_CONFIG_ALLOW_RENAME/s);
  await rejects(mdn(`CN=Person,CN=Schema,${CONFIG}`, 'CN=Person', CONFIG), 71);
  // a plain object under CN=Users moves freely
  await mdn(`CN=Free,${USERS}`, 'CN=Free', `OU=S,${DOMAIN}`);
  assert.ok(read(d, `CN=Free,OU=S,${DOMAIN}`));
});
