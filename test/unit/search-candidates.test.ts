// Candidate selection: a search whose filter an index can answer reads only the objects the
// index names (counted through the search's diagnostics channel), and still returns exactly
// the matching objects of its scope.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { searchFixture, addEntries, addLinks, request, run, type Fixture } from '../helpers/search-fixture.js';
import type { SearchDiagnostics } from '../../src/dsa/search/search.js';
import { escapeFilterValue } from '../../src/ldap/protocol/filter-string.js';
import type { SearchScope } from '../../src/ldap/protocol/messages.js';

let f: Fixture;
let ou: string;
const N = 300;
let users: Buffer[];
let group: Buffer;

before(async () => {
  f = await searchFixture();
  ou = `OU=C,${f.baseDN}`;
  addEntries(f.dir, [{ dn: ou, attrs: { objectClass: 'organizationalUnit' } }]);
  users = addEntries(
    f.dir,
    Array.from({ length: N }, (_, i) => ({
      dn: `CN=u${i},${ou}`,
      attrs: { objectClass: 'user', sAMAccountName: `u${i}`, description: `d${i % 10}`, msSFU30Name: `nis${i}`, servicePrincipalName: `${'x'.repeat(600)}/${i}` },
    })),
  );
  [group] = addEntries(f.dir, [{ dn: `CN=grp,${ou}`, attrs: { objectClass: 'group', sAMAccountName: 'grp' } }]) as [Buffer];
  addLinks(f.dir, 'member', group, users.slice(0, 5));
});
after(async () => f?.close());

/** Runs a search and returns its entries and the diagnostics of its run. */
async function measured(base: string, filter: string, scope: SearchScope = 2): Promise<{ dns: string[]; d: SearchDiagnostics }> {
  let d: SearchDiagnostics | undefined;
  const listener = (m: unknown) => (d = m as SearchDiagnostics);
  subscribe('forestd:dsa:search', listener);
  try {
    const r = await run(f.dir, request(base, filter, { scope, attributes: ['1.1'] }));
    return { dns: r.entries.map((e) => e.dn), d: d! };
  } finally {
    unsubscribe('forestd:dsa:search', listener);
  }
}

test('an indexed equality from the domain root reads only its candidates', async () => {
  const { dns, d } = await measured(f.baseDN, '(sAMAccountName=u17)');
  assert.deepEqual(dns, [`CN=u17,${ou}`]);
  assert.equal(d.examined, 1);
  assert.match(d.plan, /index sAMAccountName/);
});

test('a filter no index answers walks the scope', async () => {
  const { dns, d } = await measured(ou, '(description=d3)');
  assert.equal(dns.length, N / 10);
  assert.equal(d.plan, 'walk');
  assert.ok(d.examined > N, `examined ${d.examined}`);
});

test('AND: the smallest indexed conjunct, the rest evaluated', async () => {
  const { dns, d } = await measured(f.baseDN, '(&(description=d7)(objectClass=user)(sAMAccountName=u17))');
  assert.deepEqual(dns, [`CN=u17,${ou}`]);
  assert.equal(d.examined, 1);
  const none = await measured(f.baseDN, '(&(description=d8)(sAMAccountName=u17))');
  assert.deepEqual(none.dns, []);
  assert.equal(none.d.examined, 1);
});

test('OR: the union when every branch is indexed, a walk otherwise', async () => {
  const { dns, d } = await measured(f.baseDN, '(|(sAMAccountName=u1)(sAMAccountName=u2)(sAMAccountName=u1))');
  assert.deepEqual(dns.sort(), [`CN=u1,${ou}`, `CN=u2,${ou}`]);
  assert.equal(d.examined, 2);
  const walk = await measured(ou, '(|(sAMAccountName=u1)(description=d2))');
  assert.equal(walk.d.plan, 'walk');
  assert.equal(walk.dns.length, 1 + N / 10);
});

test('candidates outside the scope are dropped', async () => {
  const { dns, d } = await measured(ou, '(sAMAccountName=Administrator)');
  assert.deepEqual(dns, []);
  assert.equal(d.examined, 1);
  const one = await measured(ou, '(sAMAccountName=u3)', 1);
  assert.deepEqual(one.dns, [`CN=u3,${ou}`]);
  const base = await measured(`CN=u3,${ou}`, '(sAMAccountName=u3)', 0);
  assert.deepEqual(base.dns, [`CN=u3,${ou}`]);
  const sub = await measured(`CN=u3,${ou}`, '(sAMAccountName=u3)', 3); // subordinateSubtree excludes the base
  assert.deepEqual(sub.dns, []);
});

test('initial substrings and ranges use the index', async () => {
  const pre = await measured(f.baseDN, '(msSFU30Name=nis29*)');
  assert.deepEqual(pre.dns.sort(), [`CN=u29,${ou}`, `CN=u290,${ou}`, `CN=u291,${ou}`, `CN=u292,${ou}`, `CN=u293,${ou}`, `CN=u294,${ou}`, `CN=u295,${ou}`, `CN=u296,${ou}`, `CN=u297,${ou}`, `CN=u298,${ou}`, `CN=u299,${ou}`].sort());
  assert.equal(pre.d.examined, 11);
  assert.match(pre.d.plan, /prefix msSFU30Name/);
  const folded = await measured(f.baseDN, '(sAMAccountName=U29*)'); // String(Unicode): the prefix is folded like the keys
  assert.equal(folded.dns.length, 11);
  assert.equal(folded.d.examined, 11);
  const range = await measured(ou, '(&(msSFU30Name>=nis97)(msSFU30Name<=nis98))');
  assert.deepEqual(range.dns.sort(), [`CN=u97,${ou}`, `CN=u98,${ou}`]);
  assert.match(range.d.plan, /range msSFU30Name/);
  assert.ok(range.d.examined < 20, `examined ${range.d.examined}`);
});

test('objectGUID, link and back-link equality go straight to the objects', async () => {
  const byGuid = await measured(f.baseDN, `(objectGUID=${escapeFilterValue(users[42]!)})`);
  assert.deepEqual(byGuid.dns, [`CN=u42,${ou}`]);
  assert.equal(byGuid.d.examined, 1);
  const members = await measured(f.baseDN, `(memberOf=CN=grp,${ou})`);
  assert.equal(members.dns.length, 5);
  assert.equal(members.d.examined, 5);
  const groups = await measured(f.baseDN, `(member=CN=u2,${ou})`);
  assert.deepEqual(groups.dns, [`CN=grp,${ou}`]);
  assert.equal(groups.d.examined, 1);
  const chain = await measured(f.baseDN, `(memberOf:1.2.840.113556.1.4.1941:=CN=grp,${ou})`);
  assert.equal(chain.dns.length, 5);
  assert.equal(chain.d.examined, 5);
});

test('values longer than the index keeps are verified on the object', async () => {
  // servicePrincipalName values share their first 600 characters: the index keys are cut alike
  const { dns, d } = await measured(f.baseDN, `(servicePrincipalName=${'x'.repeat(600)}/7)`);
  assert.deepEqual(dns, [`CN=u7,${ou}`]);
  assert.equal(d.examined, N); // every cut key collides; each candidate is checked
});

test('an unsatisfiable filter reads nothing', async () => {
  const { dns, d } = await measured(f.baseDN, '(objectClass=noSuchClass)');
  assert.deepEqual(dns, []);
  assert.equal(d.examined, 0);
});
