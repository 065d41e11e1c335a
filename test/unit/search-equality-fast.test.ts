// The indexed-equality fast path of a search (candidates.ts CandidatePlan.proven, filter.ts
// withProven, store.ts "Index epoch" and ReadTxn.indexGuids): an equality on an indexed attribute
// takes its candidates from one index key, kept in the store's memo while the value index is
// unchanged, and is not tested again on them. Each test compares the fast path with the general
// one — the same equality under a double NOT, which no index answers, so the search walks the
// scope and evaluates it on every object — on the inputs where they could part: a value in
// another case, an object outside the base, a deleted object with the same value, an attribute
// the requester may not read (MS-ADTS 3.1.1.3.1.3: Undefined), a changed or new value. The
// negative control of the memo turns the index epoch off (Store._bumpIndexEpoch): the memo then
// serves a stale answer, which the search returns.
import test from 'node:test';
import assert from 'node:assert/strict';
import type { Directory } from '../../src/dsa/directory.js';
import type { OperationContext } from '../../src/dsa/api.js';
import type { Control } from '../../src/ldap/protocol/messages.js';
import { sidToString } from '../../src/schema/syntaxes/string-sid.js';
import { del } from '../../src/dsa/delete.js';
import { ReadContext } from '../../src/dsa/object-view.js';
import { compileFilter } from '../../src/dsa/search/filter.js';
import { planCandidates } from '../../src/dsa/search/candidates.js';
import { parseFilter } from '../../src/ldap/protocol/filter-string.js';
import { addObject, as, ctx, fixture, mod, read, values, withAce, DOMAIN, USERS } from './dsa-fixture.js';
import { context, request, run } from '../helpers/search-fixture.js';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';

const SAM = '3e0abfd0-126a-11d0-a060-00aa006c33ed'; // schemaIDGUID of sAMAccountName
const SHOW_DELETED: Control = { type: '1.2.840.113556.1.4.417', critical: true };
const OU = `OU=Fast,${DOMAIN}`;
const OTHER = `OU=Other,${DOMAIN}`;


/** The DNs a search returns, and its candidate plan. */
async function dns(d: Directory, base: string, filter: string, who: OperationContext = context()): Promise<{ dns: string[]; plan: string }> {
  let plan = '';
  const onSearch = (m: unknown) => void (plan = (m as { plan: string }).plan);
  subscribe('forestd:dsa:search', onSearch);
  try {
    const r = await run(d, request(base, filter, { attributes: ['1.1'] }), who);
    return { dns: r.entries.map((e) => e.dn).sort(), plan };
  } finally {
    unsubscribe('forestd:dsa:search', onSearch);
  }
}

/** The fast path's answer, checked against the general path's (the equality under a double NOT: a walk). */
async function same(d: Directory, base: string, eq: string, want: string[], who: OperationContext = context(), why = eq): Promise<void> {
  const fast = await dns(d, base, eq, who);
  const slow = await dns(d, base, `(!(!${eq}))`, who);
  assert.match(fast.plan, /^index /, `${why}: the fast path takes the index`);
  assert.equal(slow.plan, 'walk', `${why}: the general path walks`);
  assert.deepEqual(fast.dns, [...want].sort(), `${why}: the fast path's answer`);
  assert.deepEqual(slow.dns, fast.dns, `${why}: the general path's answer is the same`);
  // once more: now from the store's memo
  assert.deepEqual((await dns(d, base, eq, who)).dns, fast.dns, `${why}: the answer from the memo`);
}

function fastTest(name: string, fn: (d: Directory) => Promise<void>): void {
  test(name, async () => {
    const f = await fixture();
    try {
      await addObject(f.d, OU, { objectClass: 'organizationalUnit' });
      await addObject(f.d, OTHER, { objectClass: 'organizationalUnit' });
      await addObject(f.d, `CN=bob,${OU}`, { objectClass: 'user', sAMAccountName: 'Bob.Fast', sn: 'Builder' });
      await addObject(f.d, `CN=carol,${OTHER}`, { objectClass: 'user', sAMAccountName: 'carol', sn: 'Builder' });
      assert.deepEqual(values(f.d, read(f.d, `CN=carol,${OTHER}`).rec, 'sn'), ['Builder'], 'the fixture: bob and carol share an sn');
      await fn(f.d);
    } finally {
      await f.close();
    }
  });
}

fastTest('a value in another case, an object outside the base: the fast path answers as the general one', async (d) => {
  await same(d, OU, '(sAMAccountName=bob.FAST)', [`CN=bob,${OU}`], context(), 'another case');
  await same(d, OU, '(sAMAccountName=carol)', [], context(), 'outside the base');
  await same(d, DOMAIN, '(sAMAccountName=carol)', [`CN=carol,${OTHER}`], context(), 'inside the base');
  await same(d, OU, '(sn=Builder)', [`CN=bob,${OU}`], context(), 'one of two under the key in the scope');
  await same(d, DOMAIN, '(&(objectClass=user)(sn=builder))', [`CN=bob,${OU}`, `CN=carol,${OTHER}`], context(), 'an AND');
  await same(d, DOMAIN, '(&(sn=Builder)(sAMAccountName=carol))', [`CN=carol,${OTHER}`], context(), 'an AND of two indexed equalities');
  await same(d, DOMAIN, '(&(sn=Builder)(description=none))', [], context(), 'an AND whose other conjunct is false');
});

fastTest('a deleted object with the value is left out, and returned with SHOW_DELETED', async (d) => {
  // a tombstone keeps sAMAccountName (MS-ADTS 3.1.1.5.5.6.1); a new account takes the name again
  await addObject(d, `CN=dave,${OU}`, { objectClass: 'user', sAMAccountName: 'dave' });
  await del(d, { type: 'delRequest', entry: `CN=dave,${OU}` }, ctx());
  await addObject(d, `CN=dave2,${OU}`, { objectClass: 'user', sAMAccountName: 'dave' });
  await same(d, DOMAIN, '(sAMAccountName=dave)', [`CN=dave2,${OU}`], context(), 'the tombstone left out');
  const shown = context([SHOW_DELETED]);
  const fast = (await run(d, request(DOMAIN, '(sAMAccountName=dave)', { attributes: ['1.1'] }), shown)).entries.map((e) => e.dn);
  const slow = (await run(d, request(DOMAIN, '(!(!(sAMAccountName=dave)))', { attributes: ['1.1'] }), shown)).entries.map((e) => e.dn);
  assert.equal(fast.length, 2, `the tombstone with SHOW_DELETED: ${fast.join(' | ')}`);
  assert.deepEqual(fast.sort(), slow.sort());
});

fastTest('an equality on an attribute the requester may not read is Undefined on the fast path too (MS-ADTS 3.1.1.3.1.3)', async (d) => {
  await addObject(d, `CN=alice,${USERS}`, { objectClass: 'user', sAMAccountName: 'alice' });
  const alice = as(d, `CN=alice,${USERS}`);
  const aliceSid = sidToString(values(d, read(d, `CN=alice,${USERS}`).rec, 'objectSid')[0] as Uint8Array);
  await same(d, OU, '(sAMAccountName=bob.fast)', [`CN=bob,${OU}`], alice, 'before the deny ACE');
  await mod(d, `CN=bob,${OU}`, [['replace', 'nTSecurityDescriptor', [withAce(d, `CN=bob,${OU}`, `(OD;;RP;${SAM};;${aliceSid})`)]]]);
  await same(d, OU, '(sAMAccountName=bob.fast)', [], alice, 'alice may not read sAMAccountName');
  await same(d, OU, '(&(objectClass=user)(sAMAccountName=bob.fast))', [], alice, 'nor in an AND');
  // the negative control: the administrator reads it, on both paths
  await same(d, OU, '(sAMAccountName=bob.fast)', [`CN=bob,${OU}`], context(), 'the administrator');
});

fastTest('a changed or new value moves the index epoch; with the epoch off (negative control) the memo answers stale', async (d) => {
  await same(d, DOMAIN, '(sn=Builder)', [`CN=bob,${OU}`, `CN=carol,${OTHER}`]);
  const e0 = d.store.reader.indexEpoch();
  await mod(d, `CN=carol,${OTHER}`, [['replace', 'sn', ['Other']]]);
  assert.ok(d.store.reader.indexEpoch() > e0, 'the modify moved the index epoch');
  await same(d, DOMAIN, '(sn=Builder)', [`CN=bob,${OU}`], context(), 'after carol left the key');
  await addObject(d, `CN=erin,${OU}`, { objectClass: 'user', sAMAccountName: 'erin', sn: 'Builder' });
  await same(d, DOMAIN, '(sn=Builder)', [`CN=bob,${OU}`, `CN=erin,${OU}`], context(), 'after erin joined it');
  // a write that changes no indexed value leaves the epoch (and the memo's answers) alone
  const e1 = d.store.reader.indexEpoch();
  await mod(d, `CN=erin,${OU}`, [['replace', 'info', ['x']]]);
  assert.equal(d.store.reader.indexEpoch(), e1, 'a write of no indexed attribute keeps the epoch');

  d.store._bumpIndexEpoch = false;
  try {
    await addObject(d, `CN=frank,${OU}`, { objectClass: 'user', sAMAccountName: 'frank', sn: 'Builder' });
    await mod(d, `CN=bob,${OU}`, [['replace', 'sn', ['Gone']]]);
    // the memo still holds the answer of the old index: frank missed, bob (no longer Builder) returned
    assert.deepEqual((await dns(d, DOMAIN, '(sn=Builder)')).dns, [`CN=bob,${OU}`, `CN=erin,${OU}`].sort(), 'the stale memo without the epoch');
    assert.deepEqual((await dns(d, DOMAIN, '(!(!(sn=Builder)))')).dns, [`CN=erin,${OU}`, `CN=frank,${OU}`].sort(), 'the general path sees the truth');
  } finally {
    d.store._bumpIndexEpoch = true;
  }
});

test('the plan proves an equality only for its own uncut index key, directly or through AND', async () => {
  const f = await fixture();
  try {
    const d = f.d;
    const r = d.store.snapshot();
    try {
      const rc = new ReadContext(d, r);
      const proven = (filter: string) => planCandidates(compileFilter(parseFilter(filter), rc), rc).proven?.info.name;
      assert.equal(proven('(sAMAccountName=Administrator)'), 'sAMAccountName');
      assert.equal(proven('(&(objectClass=user)(sAMAccountName=Administrator))'), 'sAMAccountName');
      assert.equal(proven('(&(objectClass=user)(&(description=x)(sAMAccountName=Administrator)))'), 'sAMAccountName');
      assert.equal(proven('(|(sAMAccountName=Administrator)(sAMAccountName=Guest))'), undefined, 'an OR proves nothing');
      assert.equal(proven('(&(objectClass=user)(|(sAMAccountName=Administrator)(sAMAccountName=Guest)))'), undefined, 'nor an AND through an OR');
      assert.equal(proven('(sAMAccountName=Admin*)'), undefined, 'a prefix proves nothing');
      assert.equal(proven(`(servicePrincipalName=${'x'.repeat(600)})`), undefined, 'a key cut at MAX_INDEX_VALUE proves nothing');
      assert.equal(proven(`(objectGUID=\\00\\01\\02\\03\\04\\05\\06\\07\\08\\09\\0a\\0b\\0c\\0d\\0e\\0f)`), undefined, 'objectGUID is no index lookup');
      assert.equal(proven('(userAccountControl=512)'), undefined, 'an Integer equality (compared, not normalized) proves nothing');
    } finally {
      r.done();
    }
  } finally {
    await f.close();
  }
});
