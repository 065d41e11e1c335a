// Ranged retrieval (MS-ADTS 3.1.1.3.1.3.3) reads only the requested slice of a link attribute:
// the link values read for one page of a 6,000-member group are the page and one more, not
// the group. Negative control: a search that must look at every value (a filter on member)
// reads them all through the same counter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { searchFixture, addEntries, addLinks, request, run, type Fixture } from '../helpers/search-fixture.js';
import { ReadTxn } from '../../src/store/store.js';

let f: Fixture;
const N = 6000;
let users: Buffer[];
let read = 0;

before(async () => {
  f = await searchFixture();
  const ou = `OU=Range,${f.baseDN}`;
  addEntries(f.dir, [{ dn: ou, attrs: { objectClass: 'organizationalUnit' } }]);
  users = addEntries(f.dir, Array.from({ length: N }, (_, i) => ({ dn: `CN=m${i},${ou}`, attrs: { objectClass: 'user', sAMAccountName: `m${i}` } })));
  const [g] = addEntries(f.dir, [{ dn: `CN=Huge,${f.baseDN}`, attrs: { objectClass: 'group', sAMAccountName: 'huge' } }]) as [Buffer];
  addLinks(f.dir, 'member', g, users);
  // count the link values the DSA reads
  const raw = ReadTxn.prototype.rawLinks;
  ReadTxn.prototype.rawLinks = function* (this: ReadTxn, source: Buffer, linkId?: number) {
    for (const lv of raw.call(this, source, linkId)) {
      read++;
      yield lv;
    }
  };
  // the range path reads present values through presentLinkTargets (each row once)
  const present = ReadTxn.prototype.presentLinkTargets;
  ReadTxn.prototype.presentLinkTargets = function* (this: ReadTxn, source: Buffer, linkId: number, withDeactivated: boolean) {
    for (const v of present.call(this, source, linkId, withDeactivated)) {
      read++;
      yield v;
    }
  };
});
after(async () => f?.close());

test('a range page of a huge group reads that page of link values (and one more), not the group', async () => {
  read = 0;
  const r = await run(f.dir, request(`CN=Huge,${f.baseDN}`, '(objectClass=*)', { scope: 0, attributes: ['member;range=0-*'] }));
  const a = r.entries[0]!.raw.find((x) => x.type.startsWith('member;'))!;
  assert.equal(a.type, 'member;range=0-1499');
  assert.equal(a.values.length, 1500);
  assert.ok(read >= 1500 && read <= 1501, `read ${read} link values for a page of 1,500`);

  read = 0;
  const mid = await run(f.dir, request(`CN=Huge,${f.baseDN}`, '(objectClass=*)', { scope: 0, attributes: ['member;range=3000-3009'] }));
  assert.equal(mid.entries[0]!.raw[0]!.type, 'member;range=3000-3009');
  assert.equal(mid.entries[0]!.raw[0]!.values.length, 10);
  assert.ok(read <= 3011, `read ${read} link values up to position 3,010`);

  read = 0;
  const last = await run(f.dir, request(`CN=Huge,${f.baseDN}`, '(objectClass=*)', { scope: 0, attributes: ['member;range=5990-*'] }));
  assert.equal(last.entries[0]!.raw[0]!.type, 'member;range=5990-*');
  assert.equal(last.entries[0]!.raw[0]!.values.length, 10);

  const beyond = await run(f.dir, request(`CN=Huge,${f.baseDN}`, '(objectClass=*)', { scope: 0, attributes: ['member;range=7000-*'] }));
  assert.equal(beyond.entries[0]!.raw[0]!.type, 'member;range=7000-*');
  assert.equal(beyond.entries[0]!.raw[0]!.values.length, 0);
});

test('negative control: a filter on member reads every value', async () => {
  read = 0;
  const r = await run(f.dir, request(`CN=Huge,${f.baseDN}`, `(member=CN=m${N - 1},OU=Range,${f.baseDN})`, { scope: 0, attributes: ['cn'] }));
  assert.equal(r.entries.length, 1);
  assert.ok(read >= N, `read ${read} link values for the filter`);
});
