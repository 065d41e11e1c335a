// Continuation references of a subtree search (RFC 4511 4.5.3, MS-ADTS 3.1.1.3.1.1) and their
// memo (scope.ts childNcReferences: per base and scope, for one naming epoch).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { searchFixture, addEntries, request, run, context, type Fixture } from '../helpers/search-fixture.js';
import { childNcReferenceHits } from '../../src/dsa/search/scope.js';
import { modifyDN } from '../../src/dsa/modify-dn.js';
import { SearchScope } from '../../src/ldap/protocol/messages.js';
import { OriginatingUpdate } from '../../src/dsa/originating-update.js';
import { createObject } from '../../src/dsa/add.js';
import { toStored } from '../../src/dsa/values.js';

let f: Fixture;
before(async () => {
  f = await searchFixture();
});
after(async () => {
  await f.close();
});

const refs = async (base: string, scope: SearchScope = SearchScope.wholeSubtree) => (await run(f.dir, request(base, '(objectClass=*)', { scope, attributes: ['1.1'], sizeLimit: 0 }))).references.map((x) => x[0]).sort();

test('references of the NCs below the base, the same from the memo and after a rename moves the naming epoch', async () => {
  const below = [`ldap://DomainDnsZones.example.com/DC=DomainDnsZones,${f.baseDN}`, `ldap://ForestDnsZones.example.com/DC=ForestDnsZones,${f.baseDN}`, `ldap://example.com/CN=Configuration,${f.baseDN}`].sort();
  addEntries(f.dir, [{ dn: `OU=Refs,${f.baseDN}`, attrs: { objectClass: 'organizationalUnit' } }]);
  const h0 = childNcReferenceHits(f.dir);
  assert.deepEqual(await refs(f.baseDN), below);
  assert.deepEqual(await refs(`OU=Refs,${f.baseDN}`), []);
  // one level: the child NCs whose parent is the base
  assert.deepEqual(await refs(f.baseDN, SearchScope.singleLevel), below);
  const h1 = childNcReferenceHits(f.dir);
  // the same searches again: answered from the memo (the negative control: the hit count moves)
  assert.deepEqual(await refs(f.baseDN), below);
  assert.deepEqual(await refs(`OU=Refs,${f.baseDN}`), []);
  assert.deepEqual(await refs(f.baseDN, SearchScope.singleLevel), below);
  assert.equal(childNcReferenceHits(f.dir), h1 + 3);
  assert.ok(h1 >= h0);
  // a rename moves the naming epoch: the memo is not used for the next search, whose answer is computed again
  await modifyDN(f.dir, { type: 'modifyDNRequest', entry: `OU=Refs,${f.baseDN}`, newrdn: 'OU=Refs2', deleteoldrdn: true }, context());
  const h2 = childNcReferenceHits(f.dir);
  assert.deepEqual(await refs(`OU=Refs2,${f.baseDN}`), []);
  assert.deepEqual(await refs(f.baseDN), below);
  assert.equal(childNcReferenceHits(f.dir), h2);
  assert.deepEqual(await refs(f.baseDN), below);
  assert.equal(childNcReferenceHits(f.dir), h2 + 1);
});

test('an NC head added while the DC runs (a replica pulled in) is referred to by the next subtree search above it', async () => {
  const before = await refs(f.baseDN);
  assert.ok(!before.some((x) => x.includes('DC=NewZones')));
  // an NC head, as a replica of an application NC brings it: no parent, its DN its ncName
  const dn = `DC=NewZones,${f.baseDN}`;
  f.dir.store.writeSync((w) => {
    const u = new OriginatingUpdate(w, f.dir.store.dc.invocationId, f.dir.clock);
    const sctx = f.dir.syntaxContext(w, 'test');
    const A = (n: string) => f.dir.schema.attr(n)!;
    const values = new Map([[A('objectClass'), toStored(A('objectClass'), [Buffer.from('domainDNS')], sctx, 'test')]]);
    createObject(f.dir, u, { parent: null, ncName: dn, rdnType: A('dc'), rdnValue: 'NewZones', values }, { system: true, place: 'test' });
  });
  assert.deepEqual(await refs(f.baseDN), [...before, `ldap://NewZones.example.com/${dn}`].sort());
  // one level: its parent is the base
  assert.ok((await refs(f.baseDN, SearchScope.singleLevel)).includes(`ldap://NewZones.example.com/${dn}`));
});
