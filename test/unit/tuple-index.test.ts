// The tuple index (searchFlags fTUPLEINDEX, src/dsa/tuple-index.ts): medial and final
// substring filters on a flagged attribute are answered from it, and the results equal the
// unindexed evaluation — the same filter on a twin attribute (info) holding the same values,
// which every search walks. Values mix ASCII with case-folding letters (é/É, ς/Σ) and strings
// shorter than a tuple; objects are then modified and deleted, so the index is checked after
// maintenance too. Negative control: before the flag is set the same filter walks the scope.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { searchFixture, addEntries, request, runWithPlan, withSearchFlags, context, type Fixture } from '../helpers/search-fixture.js';
import { propertyParams } from '../helpers/property.js';
import { SearchFlags } from '../../src/schema/types.js';
import { modify } from '../../src/dsa/modify.js';
import { del } from '../../src/dsa/delete.js';

let f: Fixture;

before(async () => {
  f = await searchFixture();
});
after(async () => {
  await f?.close();
});

const flagTuple = (names: string[]) => withSearchFlags(f.dir, names, SearchFlags.fTUPLEINDEX);

async function dns(base: string, filter: string): Promise<{ dns: string[]; plan: string }> {
  const r = await runWithPlan(f.dir, request(base, filter, { attributes: ['cn'] }));
  return { dns: r.entries.map((e) => e.dn).sort(), plan: r.plan };
}

const alphabet = fc.constantFrom('a', 'b', 'A', 'B', 'é', 'É', 'ς', 'Σ', ' ', 'ab');
const str = (min: number, max: number) => fc.array(alphabet, { minLength: min, maxLength: max }).map((a) => a.join(''));
const piece = str(1, 4).filter((s) => s.trim() === s && s.length > 0);

let ouSeq = 0;
async function population(values: string[]): Promise<string> {
  const ou = `OU=t${ouSeq++},${f.baseDN}`;
  addEntries(f.dir, [{ dn: ou, attrs: { objectClass: 'organizationalUnit' } }]);
  const vs = values.map((v) => v.trim() || 'x');
  addEntries(f.dir, vs.map((v, i) => ({ dn: `CN=u${i},${ou}`, attrs: { objectClass: 'user', sAMAccountName: `t${ouSeq}u${i}`, description: v, displayName: v, info: v } })));
  return ou;
}

test('negative control: without fTUPLEINDEX a medial substring filter walks the scope', async () => {
  const ou = await population(['abab', 'bab', 'xyz']);
  const r = await dns(ou, '(description=*bab*)');
  assert.equal(r.plan, 'walk');
  assert.equal(r.dns.length, 2);
});

test('medial and final substrings from the tuple index equal the unindexed evaluation, also after modify and delete', async () => {
  flagTuple(['description', 'displayName']);
  await f.dir.tupleIndexesReady;
  assert.ok(f.dir.store.builtTupleIndexes.has(f.dir.schema.attr('description')!.id));
  // objects written before the flag (the negative control's) are in the built index
  assert.equal((await dns(f.baseDN, '(description=*bab*)')).plan, 'tuple description');
  let usedTuple = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(str(1, 8), { minLength: 1, maxLength: 12 }), fc.array(piece, { minLength: 1, maxLength: 2 }), piece, fc.boolean(), fc.array(str(1, 8), { maxLength: 3 }), async (values, any, final, withFinal, changes) => {
      const ou = await population(values);
      const tail = `*${any.join('*')}*${withFinal ? final : ''}`;
      const check = async (): Promise<void> => {
        for (const attr of ['description', 'displayName']) {
          const got = await dns(ou, `(${attr}=${tail})`);
          if (got.plan.startsWith('tuple') && got.dns.length > 0) usedTuple++;
          const want = await dns(ou, `(info=${tail})`);
          assert.equal(want.plan, 'walk');
          assert.deepEqual(got.dns.map((d) => d.split(',')[0]), want.dns.map((d) => d.split(',')[0]), `${attr}=${tail}`);
        }
      };
      await check();
      // maintenance: change some values (all three attributes alike), delete one object
      for (let i = 0; i < changes.length; i++) {
        const v = `q${changes[i]!}`.trim();
        const dn = `CN=u${i % values.length},${ou}`;
        await modify(f.dir, { type: 'modifyRequest', object: dn, changes: ['description', 'displayName', 'info'].map((type) => ({ operation: 2, modification: { type, values: [Buffer.from(v)] } })) }, context());
      }
      if (values.length > 1) await del(f.dir, { type: 'delRequest', entry: `CN=u0,${ou}` }, context());
      await check();
    }),
    propertyParams(40),
  );
  assert.ok(usedTuple > 0, 'the tuple index found objects for some of the filters');
});
