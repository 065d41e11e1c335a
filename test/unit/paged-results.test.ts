// Paged results as Windows serves them (MS-ADTS 3.1.1.3.4.1.1, RFC 2696; the behaviours of
// Samba's vlv.py PagedResultsTestsRW, which ran against Windows): every page re-reads its
// entries, a changed request under a cookie is refused, references come with the first page,
// VLV with paging is refused, MaxResultSetSize bounds the state kept, MaxQueryDuration ends a
// search with timeLimitExceeded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { searchFixture, addEntries, context, request, type Fixture } from '../helpers/search-fixture.js';
import { search, heldPagedSearches, DEFAULT_SEARCH_LIMITS, type SearchLimits } from '../../src/dsa/search/search.js';
import { requestControl, pagedResultsControl, sortRequestControl, vlvRequestControl } from '../../src/ldap/controls/index.js';
import { PAGED_RESULTS_OID } from '../../src/ldap/controls/paged-results.js';
import type { Control, SearchRequest } from '../../src/ldap/protocol/messages.js';
import { LdapError, TimeLimitExceededError } from '../../src/ldap/protocol/result-codes.js';
import type { OperationResult, SearchSink } from '../../src/dsa/api.js';
import { del } from '../../src/dsa/delete.js';
import { mod } from './dsa-fixture.js';
import { SHOW_DELETED_OID } from '../../src/ldap/controls/index.js';

let f: Fixture;
let ou: string;
const N = 60;
const name = (i: number) => `p${String(i).padStart(3, '0')}`;

before(async () => {
  f = await searchFixture();
  ou = `OU=Paged,${f.baseDN}`;
  addEntries(f.dir, [{ dn: ou, attrs: { objectClass: 'organizationalUnit' } }]);
  addEntries(f.dir, Array.from({ length: N }, (_, i) => ({ dn: `CN=${name(i)},${ou}`, attrs: { objectClass: 'user', sAMAccountName: name(i), description: `d${i}` } })));
});
after(async () => f?.close());

interface Page {
  dns: string[];
  descriptions: string[];
  references: string[];
  cookie: Buffer;
  result: OperationResult;
}

async function page(req: SearchRequest, size: number, cookie: Buffer, extra: Control[] = [], session = 5, limits: SearchLimits = DEFAULT_SEARCH_LIMITS): Promise<Page> {
  const out: Page = { dns: [], descriptions: [], references: [], cookie: Buffer.alloc(0), result: {} };
  const sink: SearchSink = {
    entry(dn, attrs) {
      out.dns.push(dn);
      const d = attrs.find((a) => a.type === 'description');
      if (d) out.descriptions.push(String(d.values[0]));
    },
    reference(uris) {
      out.references.push(...uris);
    },
  };
  out.result = await search(f.dir, req, context([...extra, requestControl(pagedResultsControl, { size, cookie })], { sessionId: session }), sink, limits);
  const p = out.result.controls!.find((c) => c.type === PAGED_RESULTS_OID)!;
  out.cookie = Buffer.from(pagedResultsControl.decodeResponse!(p.value).cookie);
  return out;
}
const EMPTY = Buffer.alloc(0);
const code = (n: number) => (e: unknown) => e instanceof LdapError && e.resultCode === n;

for (const sorted of [false, true]) {
  test(`an entry deleted or changed between pages is read as it is now (${sorted ? 'sorted' : 'unsorted'})`, async () => {
    const extra = sorted ? [requestControl(sortRequestControl, [{ attributeType: 'cn', reverseOrder: false }])] : [];
    const prefix = sorted ? 's' : 'u';
    addEntries(f.dir, Array.from({ length: 10 }, (_, i) => ({ dn: `CN=${prefix}${i},${ou}`, attrs: { objectClass: 'user', sAMAccountName: `${prefix}x${i}`, description: 'before', carLicense: prefix } })));
    const req = request(ou, `(carLicense=${prefix})`, { scope: 1, attributes: ['description'] });
    // negative control: untouched, the pages give all ten
    let all: string[] = [];
    for (let p = await page(req, 3, EMPTY, extra); ; p = await page(req, 3, p.cookie, extra)) {
      all.push(...p.dns);
      if (p.cookie.length === 0) break;
    }
    assert.equal(all.length, 10);
    const first = await page(req, 3, EMPTY, extra);
    const rest = all.filter((d) => !first.dns.includes(d));
    // between pages: delete one, change one's description, change another so the filter no longer matches
    await del(f.dir, { type: 'delRequest', entry: rest[1]! }, context());
    await mod(f.dir, rest[2]!, [['replace', 'description', ['after']]]);
    await mod(f.dir, rest[3]!, [['replace', 'carLicense', ['y']]]);
    const next = await page(req, 100, first.cookie, extra);
    assert.equal(next.cookie.length, 0);
    assert.deepEqual(next.dns, rest.filter((_, i) => i !== 1 && i !== 3), 'the deleted entry and the one no longer matching are not served');
    assert.equal(next.descriptions[next.dns.indexOf(rest[2]!)], 'after', 'the changed entry is served as it is now, not stale');
  });
}

test('the walk of an unsorted search goes on where it stopped: an entry added ahead of it is returned, as Windows does', async () => {
  const req = request(ou, '(|(sAMAccountName=w*)(description=walk))', { scope: 1, attributes: ['1.1'] });
  addEntries(f.dir, ['wa', 'wc', 'we'].map((n) => ({ dn: `CN=${n},${ou}`, attrs: { objectClass: 'user', sAMAccountName: n, description: 'walk' } })));
  const p1 = await page(req, 1, EMPTY);
  assert.deepEqual(p1.dns, [`CN=wa,${ou}`]);
  addEntries(f.dir, [{ dn: `CN=wd,${ou}`, attrs: { objectClass: 'user', sAMAccountName: 'wd', description: 'walk' } }]);
  const p2 = await page(req, 100, p1.cookie);
  assert.deepEqual(p2.dns, [`CN=wc,${ou}`, `CN=wd,${ou}`, `CN=we,${ou}`]);
});

test('a continuation must repeat the request: another filter, attribute list or control set → unavailableCriticalExtension', async () => {
  const req = request(ou, '(objectClass=user)', { scope: 1, attributes: ['cn'] });
  const sort = requestControl(sortRequestControl, [{ attributeType: 'cn', reverseOrder: false }], true);
  const showDeleted: Control = { type: SHOW_DELETED_OID, critical: true };
  const changes: [string, SearchRequest, Control[]][] = [
    ['filter', request(ou, '(cn>=a)', { scope: 1, attributes: ['cn'] }), [sort]],
    ['attributes', request(ou, '(objectClass=user)', { scope: 1, attributes: ['cn', 'description'] }), [sort]],
    ['control removed', req, []],
    ['control added', req, [sort, showDeleted]],
    ['criticality', req, [requestControl(sortRequestControl, [{ attributeType: 'cn', reverseOrder: false }], false)]],
    ['sort key', req, [requestControl(sortRequestControl, [{ attributeType: 'description', reverseOrder: false }], true)]],
  ];
  for (const [what, changed, ctl] of changes) {
    const first = await page(req, 5, EMPTY, [sort]);
    await assert.rejects(page(changed, 5, first.cookie, ctl).then(() => { throw new Error(`${what}: not refused`); }), (e: unknown) => {
      assert.ok(e instanceof LdapError, `${what}: ${String(e)}`);
      assert.equal(e.resultCode, 12, what);
      assert.match(e.diagnosticMessage, /^0000202C: /, what); // ERROR_DS_UNAVAILABLE_CRIT_EXTENSION
      return true;
    });
  }
  // the same controls in another order are the same request
  const first = await page(req, 5, EMPTY, [sort, showDeleted]);
  const second = await page(req, 5, first.cookie, [showDeleted, sort]);
  assert.equal(second.dns.length, 5);
  await page(req, 0, second.cookie, [showDeleted, sort]); // abandon it
});

test('continuation references come with the first page only', async () => {
  const req = request(f.baseDN, '(objectClass=container)', { attributes: ['1.1'] });
  const pages: Page[] = [];
  for (let p = await page(req, 1, EMPTY); ; p = await page(req, 1, p.cookie)) {
    pages.push(p);
    if (p.cookie.length === 0) break;
  }
  assert.ok(pages.length > 2);
  assert.ok(pages[0]!.references.some((r) => r.includes(`CN=Configuration,${f.baseDN}`)), pages[0]!.references.join(' '));
  assert.ok(pages.slice(1).every((p) => p.references.length === 0));
});

test('VLV with paged results → unavailableCriticalExtension (as Windows 1709)', async () => {
  const req = request(ou, '(objectClass=user)', { scope: 1, attributes: ['1.1'] });
  const vlv = requestControl(vlvRequestControl, { beforeCount: 0, afterCount: 2, target: { type: 'byOffset', offset: 1, contentCount: 0 } });
  const sort = requestControl(sortRequestControl, [{ attributeType: 'cn', reverseOrder: false }]);
  await assert.rejects(page(req, 10, EMPTY, [vlv, sort]), code(12));
  // negative control: VLV alone is served
  const r = await search(f.dir, req, context([vlv, sort]), { entry() {}, reference() {} });
  assert.ok(r.controls?.length);
});

test('MaxResultSetSize bounds the state of one search: a sorted result beyond it → adminLimitExceeded; index candidates beyond it are walked instead', async () => {
  const req = request(ou, '(objectClass=user)', { scope: 1, attributes: ['1.1'] });
  const sort = requestControl(sortRequestControl, [{ attributeType: 'cn', reverseOrder: false }]);
  const small: SearchLimits = { ...DEFAULT_SEARCH_LIMITS, MaxResultSetSize: 256 };
  await assert.rejects(page(req, 5, EMPTY, [sort], 5, small), (e: LdapError) => e.resultCode === 11 && /^00002024: /.test(e.diagnosticMessage));
  const served = await page(req, 5, EMPTY, [sort]);
  assert.equal(served.dns.length, 5, 'negative control: with the default MaxResultSetSize it is served');
  await page(req, 0, served.cookie, [sort]); // abandon it
  // an indexed filter whose candidates exceed the bound: the same entries, each once, by a walk
  const ireq = request(ou, '(sAMAccountName=p*)', { scope: 1, attributes: ['1.1'] });
  const collect = async (limits: SearchLimits) => {
    const dns: string[] = [];
    for (let p = await page(ireq, 7, EMPTY, [], 6, limits); ; p = await page(ireq, 7, p.cookie, [], 6, limits)) {
      dns.push(...p.dns);
      if (p.cookie.length === 0) break;
    }
    return dns;
  };
  const walked = await collect(small);
  const listed = await collect(DEFAULT_SEARCH_LIMITS);
  assert.equal(walked.length, N);
  assert.equal(new Set(walked).size, N);
  assert.deepEqual([...walked].sort(), [...listed].sort());
  assert.equal(heldPagedSearches(f.dir), 0);
});

test('MaxQueryDuration: a search whose signal the server aborts ends with timeLimitExceeded', async () => {
  const ac = new AbortController();
  ac.abort(new TimeLimitExceededError('the operation exceeded MaxQueryDuration'));
  const req = request(f.baseDN, '(objectClass=*)', { attributes: ['1.1'] });
  await assert.rejects(search(f.dir, req, context([], { signal: ac.signal }), { entry() {}, reference() {} }), code(3));
  // negative control: not aborted, the same search is served
  await search(f.dir, req, context([requestControl(pagedResultsControl, { size: 10, cookie: EMPTY })], { sessionId: 99 }), { entry() {}, reference() {} });
});

test('VLV: the contextID names its search; each request sees the adds and deletes since the last', async () => {
  const { vlvResponseControl, VLV_RESPONSE_OID } = await import('../../src/ldap/controls/vlv.js');
  const sort = requestControl(sortRequestControl, [{ attributeType: 'cn', reverseOrder: false }], true);
  const vlvReq = (contextID?: Buffer) => requestControl(vlvRequestControl, { beforeCount: 0, afterCount: 1, target: { type: 'byOffset', offset: 1, contentCount: 0 }, ...(contextID ? { contextID } : {}) }, true);
  const ask = async (filter: string, contextID?: Buffer) => {
    const dns: string[] = [];
    const r = await search(f.dir, request(ou, filter, { scope: 1, attributes: ['1.1'] }), context([sort, vlvReq(contextID)]), { entry: (dn) => void dns.push(dn), reference() {} });
    const v = vlvResponseControl.decodeResponse!(r.controls!.find((c) => c.type === VLV_RESPONSE_OID)!.value);
    return { dns, count: v.contentCount, contextID: Buffer.from(v.contextID!) };
  };
  const a = await ask('(description=vlv)');
  assert.equal(a.count, 0);
  addEntries(f.dir, ['v1', 'v2'].map((n) => ({ dn: `CN=${n},${ou}`, attrs: { objectClass: 'user', sAMAccountName: n, description: 'vlv' } })));
  const b = await ask('(description=vlv)', a.contextID);
  assert.equal(b.count, 2, 'the add is seen');
  assert.deepEqual(b.dns, [`CN=v1,${ou}`, `CN=v2,${ou}`]);
  assert.ok(b.contextID.equals(a.contextID), 'the same search, the same context');
  await del(f.dir, { type: 'delRequest', entry: `CN=v1,${ou}` }, context());
  const c = await ask('(description=vlv)', b.contextID);
  assert.equal(c.count, 1, 'the delete is seen');
  const other = await ask('(description=other)', b.contextID);
  assert.ok(!other.contextID.equals(a.contextID), 'another search has another context');
});
