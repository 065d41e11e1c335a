// Ambiguous name resolution (MS-ADTS 3.1.1.3.1.3.4) is answered from indexes: every attribute
// of the ANR set (searchFlags fANR) is indexed in the v1903 schema, so the rewritten OR of
// initial substrings (and the "first last" / "last first" conjunctions) plans as a union of
// prefix ranges, never a walk; the answer equals the evaluation of the same filter without
// the index plan (the candidates are then the whole scope). Negative control: adding one
// branch on an unindexed attribute makes the OR walk.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { searchFixture, addEntries, request, runWithPlan, type Fixture } from '../helpers/search-fixture.js';

let f: Fixture;
let ou = '';

before(async () => {
  f = await searchFixture();
  ou = `OU=Anr,${f.baseDN}`;
  addEntries(f.dir, [{ dn: ou, attrs: { objectClass: 'organizationalUnit' } }]);
  const people = [
    ['jsmith', 'John', 'Smith'],
    ['asmithers', 'Anna', 'Smithers'],
    ['bjones', 'Bob', 'Jones'],
    ['smiley', 'Carl', 'Miles'],
    ['djohn', 'Dora', 'Johnson'],
  ];
  addEntries(f.dir, people.map(([sam, given, sn]) => ({ dn: `CN=${given} ${sn},${ou}`, attrs: { objectClass: 'user', sAMAccountName: sam!, givenName: given!, sn: sn!, displayName: `${given} ${sn}`, info: `${given} ${sn}` } })));
});
after(async () => {
  await f?.close();
});

async function names(filter: string): Promise<{ cns: string[]; plan: string }> {
  const r = await runWithPlan(f.dir, request(ou, filter, { attributes: ['cn'] }));
  return { cns: r.entries.map((e) => e.attrs.get('cn')![0]!).sort(), plan: r.plan };
}

for (const [value, expected] of [
  ['smi', ['Anna Smithers', 'Carl Miles', 'John Smith']],
  ['john', ['Dora Johnson', 'John Smith']],
  ['=jsmith', ['John Smith']],
  ['john smi', ['John Smith']],
  ['smith john', ['John Smith']],
  ['zzz', []],
] as const) {
  test(`(anr=${value}) is answered from indexes`, async () => {
    const r = await names(`(anr=${value})`);
    assert.notEqual(r.plan, 'walk');
    assert.match(r.plan, /prefix|index/);
    assert.deepEqual(r.cns, [...expected]);
    // the same filter with a branch that cannot use an index walks the scope and gives the same answer
    const walked = await names(`(|(anr=${value})(info=\\00nothing*))`);
    assert.equal(walked.plan, 'walk');
    assert.deepEqual(walked.cns, [...expected]);
  });
}
