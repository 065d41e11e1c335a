// The value index of an attribute indexed after objects hold it (searchFlags fATTINDEX set by a
// schema update; src/dsa/index-catalog.ts): it is built over the objects written before the flag,
// and the planner answers from it only once that build has committed. Negative control: the
// index holds no key of those objects before the build, so a planner that trusted the schema
// alone would have missed them; the search walks instead and finds them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { searchFixture, addEntries, request, runWithPlan, withSearchFlags, type Fixture } from '../helpers/search-fixture.js';
import { SearchFlags } from '../../src/schema/types.js';
import { indexKey } from '../../src/store/store.js';

let f: Fixture;
before(async () => {
  f = await searchFixture();
});
after(async () => {
  await f?.close();
});

const setIndexed = (name: string, on: boolean) => withSearchFlags(f.dir, [name], on ? SearchFlags.fATTINDEX : 0, on ? 0 : SearchFlags.fATTINDEX);

async function find(filter: string): Promise<{ dns: string[]; plan: string }> {
  const r = await runWithPlan(f.dir, request(f.baseDN, filter, { attributes: ['cn'] }));
  return { dns: r.entries.map((e) => e.dn).sort(), plan: r.plan };
}

const keyOf = (name: string, value: string) => {
  const a = f.dir.schema.attr(name)!;
  return indexKey(a.id, a.syntax.normalize(value as never));
};
const indexed = (name: string, value: string) => [...f.dir.store.reader.indexEqual(keyOf(name, value))].length;

test('fATTINDEX set after objects exist: built over them, used only once built, dropped when cleared', async () => {
  await f.dir.valueIndexesReady;
  const ou = `OU=vi,${f.baseDN}`;
  addEntries(f.dir, [{ dn: ou, attrs: { objectClass: 'organizationalUnit' } }]);
  addEntries(f.dir, [0, 1, 2].map((i) => ({ dn: `CN=v${i},${ou}`, attrs: { objectClass: 'user', sAMAccountName: `vi${i}`, division: i < 2 ? 'Sales' : 'Ops' } })));
  const expected = [`CN=v0,${ou}`, `CN=v1,${ou}`];
  const walk = await find('(division=sales)');
  assert.equal(walk.plan, 'walk');
  assert.deepEqual(walk.dns, expected);

  setIndexed('division', true);
  // the flag is in force, the build not committed yet: no key of the older objects, so the planner walks
  assert.equal(indexed('division', 'Sales'), 0, 'negative control: the indexer alone never indexed the objects written before the flag');
  const during = await find('(division=sales)');
  assert.equal(during.plan, 'walk');
  assert.deepEqual(during.dns, expected);

  await f.dir.valueIndexesReady;
  assert.equal(indexed('division', 'Sales'), 2);
  const built = await find('(division=sales)');
  assert.equal(built.plan, 'index division');
  assert.deepEqual(built.dns, expected);
  // objects written after the build are indexed by the indexer as before
  addEntries(f.dir, [{ dn: `CN=v3,${ou}`, attrs: { objectClass: 'user', sAMAccountName: 'vi3', division: 'Sales' } }]);
  assert.deepEqual((await find('(division=sales)')).dns, [...expected, `CN=v3,${ou}`].sort());

  setIndexed('division', false);
  await f.dir.valueIndexesReady;
  assert.equal(indexed('division', 'Sales'), 0, 'keys dropped with the flag');
  const after = await find('(division=sales)');
  assert.equal(after.plan, 'walk');
  assert.equal(after.dns.length, 3);
});
