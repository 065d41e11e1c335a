// Search controls and limits over a big directory: paged results (RFC 2696), server-side sort
// (RFC 2891), VLV (draft-ietf-ldapext-ldapv3-vlv-09), ranged retrieval (MS-ADTS 3.1.1.3.1.3.3),
// extended DNs (MS-ADTS 3.1.1.3.4.1.5), visibility, references, ASQ, SD flags, constructed
// attributes, size limits and abandon.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { searchFixture, addEntries, addLinks, request, run, context, type Fixture } from '../helpers/search-fixture.js';
import { search, heldPagedSearches, releaseSearchState } from '../../src/dsa/search/search.js';
import { requestControl, pagedResultsControl, sortRequestControl, vlvRequestControl, extendedDnControl, asqControl, sdFlagsControl, searchOptionsControl } from '../../src/ldap/controls/index.js';
import { PAGED_RESULTS_OID } from '../../src/ldap/controls/paged-results.js';
import { SORT_RESPONSE_OID, sortResponseControl } from '../../src/ldap/controls/server-sort.js';
import { VLV_RESPONSE_OID, vlvResponseControl, type VlvRequestValue } from '../../src/ldap/controls/vlv.js';
import { SHOW_DELETED_OID } from '../../src/ldap/controls/show-deleted.js';
import { DOMAIN_SCOPE_OID } from '../../src/ldap/controls/domain-scope.js';
import { DIRSYNC_OID } from '../../src/ldap/controls/dirsync.js';
import { OriginatingUpdate } from '../../src/dsa/originating-update.js';
import { del } from '../../src/dsa/delete.js';
import { LdapError } from '../../src/ldap/protocol/result-codes.js';
import type { Control, SearchRequest } from '../../src/ldap/protocol/messages.js';
import type { OperationContext, OperationResult } from '../../src/dsa/api.js';
import { guidToString } from '../../src/util/guid.js';
import { ReadContext } from '../../src/dsa/object-view.js';
import { sidToString } from '../../src/schema/syntaxes/index.js';

let f: Fixture;
let ou: string;
const N = 10_000;
let users: Buffer[];
let big: Buffer;
const name = (i: number) => `user${String(i).padStart(5, '0')}`;
const enc = (i: number) => (i * 7919) % N; // a permutation of 0..N-1

before(async () => {
  f = await searchFixture();
  ou = `OU=Many,${f.baseDN}`;
  addEntries(f.dir, [{ dn: ou, attrs: { objectClass: 'organizationalUnit' } }]);
  users = addEntries(
    f.dir,
    Array.from({ length: N }, (_, i) => ({
      dn: `CN=${name(i)},${ou}`,
      attrs: { objectClass: 'user', sAMAccountName: name(i), description: `user number ${i}`, 'msDS-SupportedEncryptionTypes': String(enc(i)) },
    })),
  );
  [big] = addEntries(f.dir, [{ dn: `CN=Big,${f.baseDN}`, attrs: { objectClass: 'group', sAMAccountName: 'big' } }]) as [Buffer];
  addLinks(f.dir, 'member', big, users.slice(0, 5000));
});
after(async () => f?.close());

const ctl = (c: Control[] = [], sessionId = 1) => context(c, { sessionId });
const resp = (r: OperationResult, oid: string) => r.controls?.find((c) => c.type === oid);

async function pagedAll(req: SearchRequest, pageSize: number, extra: Control[] = [], sessionId = 7): Promise<{ dns: string[]; pages: number; last: OperationResult }> {
  const dns: string[] = [];
  let cookie = Buffer.alloc(0);
  let pages = 0;
  for (;;) {
    const r = await run(f.dir, req, ctl([...extra, requestControl(pagedResultsControl, { size: pageSize, cookie })], sessionId));
    pages++;
    assert.ok(r.entries.length <= Math.min(pageSize, 1000), `page of ${r.entries.length}`);
    for (const e of r.entries) dns.push(e.dn);
    const p = pagedResultsControl.decodeResponse!(resp(r.result, PAGED_RESULTS_OID)!.value);
    if (p.cookie.length === 0) return { dns, pages, last: r.result };
    cookie = Buffer.from(p.cookie);
  }
}

test('paged results: 10,000 entries with page sizes from 1 to 1,000 (and over) each come exactly once', async () => {
  for (const size of [1, 7, 333, 1000, 5000]) {
    const { dns, pages } = await pagedAll(request(ou, '(objectClass=user)', { scope: 1, attributes: ['1.1'] }), size);
    assert.equal(dns.length, N, `page size ${size}`);
    assert.equal(new Set(dns).size, N, `page size ${size}`);
    assert.equal(pages, Math.ceil(N / Math.min(size, 1000)));
  }
  assert.equal(heldPagedSearches(f.dir), 0);
});

test('paged results: abandon with size 0, cookies belong to their connection, state is released', async () => {
  const req = request(ou, '(objectClass=user)', { scope: 1, attributes: ['1.1'] });
  const first = await run(f.dir, req, ctl([requestControl(pagedResultsControl, { size: 10, cookie: Buffer.alloc(0) })], 21));
  const cookie = Buffer.from(pagedResultsControl.decodeResponse!(resp(first.result, PAGED_RESULTS_OID)!.value).cookie);
  assert.equal(heldPagedSearches(f.dir), 1);
  await assert.rejects(run(f.dir, req, ctl([requestControl(pagedResultsControl, { size: 10, cookie })], 22)), (e: LdapError) => e.resultCode === 53);
  const stop = await run(f.dir, req, ctl([requestControl(pagedResultsControl, { size: 0, cookie })], 21));
  assert.equal(stop.entries.length, 0);
  assert.equal(heldPagedSearches(f.dir), 0);
  await assert.rejects(run(f.dir, req, ctl([requestControl(pagedResultsControl, { size: 10, cookie })], 21)), (e: LdapError) => e.resultCode === 53);
  // a closing connection drops what it holds
  await run(f.dir, req, ctl([requestControl(pagedResultsControl, { size: 10, cookie: Buffer.alloc(0) })], 23));
  assert.equal(heldPagedSearches(f.dir), 1);
  releaseSearchState(23, f.dir);
  assert.equal(heldPagedSearches(f.dir), 0);
});

const sortBy = (attributeType: string, reverseOrder = false, critical = true) => requestControl(sortRequestControl, [{ attributeType, reverseOrder }], critical);

test('server-side sort by cn and by an integer, ascending and descending, with paging', async () => {
  const req = request(ou, '(description=user number 1*)', { scope: 1, attributes: ['cn', 'msDS-SupportedEncryptionTypes'] });
  const expect = Array.from({ length: N }, (_, i) => i).filter((i) => String(i).startsWith('1'));
  for (const [attr, key] of [
    ['cn', (i: number) => name(i)],
    ['msDS-SupportedEncryptionTypes', (i: number) => enc(i)],
  ] as const) {
    for (const reverse of [false, true]) {
      const { dns, last } = await pagedAll(req, 400, [sortBy(attr, reverse)]);
      const want = [...expect].sort((a, b) => {
        const x = key(a);
        const y = key(b);
        return (x < y ? -1 : x > y ? 1 : 0) * (reverse ? -1 : 1);
      });
      assert.deepEqual(dns, want.map((i) => `CN=${name(i)},${ou}`), `${attr} reverse=${reverse}`);
      assert.equal(sortResponseControl.decodeResponse!(resp(last, SORT_RESPONSE_OID)!.value).sortResult, 0);
    }
  }
});

test('sort: an attribute without ordering is refused when critical, reported when not', async () => {
  const req = request(ou, '(sAMAccountName=user0000*)', { scope: 1, attributes: ['1.1'] });
  await assert.rejects(run(f.dir, req, ctl([sortBy('manager')])), (e: LdapError) => e.resultCode === 12);
  const r = await run(f.dir, req, ctl([sortBy('manager', false, false)]));
  assert.equal(r.entries.length, 10);
  const s = sortResponseControl.decodeResponse!(resp(r.result, SORT_RESPONSE_OID)!.value);
  assert.equal(s.sortResult, 18); // inappropriateMatching
  const u = await run(f.dir, req, ctl([sortBy('noSuchAttribute', false, false)]));
  assert.equal(sortResponseControl.decodeResponse!(resp(u.result, SORT_RESPONSE_OID)!.value).sortResult, 16);
});

async function vlv(v: VlvRequestValue, reverse = false) {
  const r = await run(f.dir, request(ou, '(objectClass=user)', { scope: 1, attributes: ['1.1'] }), ctl([sortBy('cn', reverse), requestControl(vlvRequestControl, v)]));
  const res = vlvResponseControl.decodeResponse!(resp(r.result, VLV_RESPONSE_OID)!.value);
  return { names: r.entries.map((e) => /^CN=([^,]+)/.exec(e.dn)![1]!), res };
}

test('VLV: windows by offset and by value over the sorted list', async () => {
  let w = await vlv({ beforeCount: 0, afterCount: 9, target: { type: 'byOffset', offset: 1, contentCount: 0 } });
  assert.deepEqual(w.names, Array.from({ length: 10 }, (_, i) => name(i)));
  assert.deepEqual([w.res.targetPosition, w.res.contentCount, w.res.result], [1, N, 0]);
  w = await vlv({ beforeCount: 2, afterCount: 2, target: { type: 'byOffset', offset: 5000, contentCount: N } });
  assert.deepEqual(w.names, [4997, 4998, 4999, 5000, 5001].map(name));
  assert.equal(w.res.targetPosition, 5000);
  // the client's estimate of the size scales the offset: the middle of 100 is the middle of 10,000
  w = await vlv({ beforeCount: 0, afterCount: 0, target: { type: 'byOffset', offset: 51, contentCount: 101 } });
  assert.deepEqual(w.names, [name(5000)]);
  w = await vlv({ beforeCount: 3, afterCount: 3, target: { type: 'byOffset', offset: N, contentCount: N } });
  assert.deepEqual(w.names, [9996, 9997, 9998, 9999].map(name));
  w = await vlv({ beforeCount: 1, afterCount: 1, target: { type: 'greaterOrEqual', value: Buffer.from('user04242x') } });
  assert.deepEqual(w.names, [4242, 4243, 4244].map(name));
  assert.equal(w.res.targetPosition, 4244);
  w = await vlv({ beforeCount: 0, afterCount: 2, target: { type: 'greaterOrEqual', value: Buffer.from('user00100') } }, true);
  assert.deepEqual(w.names, [100, 99, 98].map(name));
  await assert.rejects(
    run(f.dir, request(ou, '(objectClass=user)', { scope: 1 }), ctl([requestControl(vlvRequestControl, { beforeCount: 0, afterCount: 1, target: { type: 'byOffset', offset: 1, contentCount: 0 } })])),
    (e: LdapError) => e.resultCode === 60,
  );
});

test('ranged retrieval: a 5,000-member group in chunks of 1,500, every member once', async () => {
  const got: string[] = [];
  let low = 0;
  const types: string[] = [];
  for (let round = 0; round < 10; round++) {
    const r = await run(f.dir, request(`CN=Big,${f.baseDN}`, '(objectClass=*)', { scope: 0, attributes: [`member;range=${low}-*`] }));
    const a = r.entries[0]!.raw.find((x) => x.type.toLowerCase().startsWith('member;range='))!;
    types.push(a.type);
    for (const v of a.values) got.push(String(v));
    const m = /range=(\d+)-(\*|\d+)$/.exec(a.type)!;
    if (m[2] === '*') break;
    low = Number(m[2]) + 1;
  }
  assert.deepEqual(types, ['member;range=0-1499', 'member;range=1500-2999', 'member;range=3000-4499', 'member;range=4500-*']);
  assert.equal(got.length, 5000);
  assert.equal(new Set(got).size, 5000);
  // without a range option the values are cut at MaxValRange the same way; an explicit window is honoured
  const plain = await run(f.dir, request(`CN=Big,${f.baseDN}`, '(objectClass=*)', { scope: 0, attributes: ['member'] }));
  assert.equal(plain.entries[0]!.raw[0]!.type, 'member;range=0-1499');
  const win = await run(f.dir, request(`CN=Big,${f.baseDN}`, '(objectClass=*)', { scope: 0, attributes: ['member;range=10-19'] }));
  assert.equal(win.entries[0]!.raw[0]!.type, 'member;range=10-19');
  assert.equal(win.entries[0]!.raw[0]!.values.length, 10);
});

test('extended DNs: objectName and DN values as <GUID=…>;<SID=…>;dn, hex or string forms', async () => {
  const rc = new ReadContext(f.dir, f.dir.store.reader);
  const sid = rc.view(users[3]!)!.first('objectSid') as Uint8Array;
  for (const flag of [0, 1]) {
    const r = await run(f.dir, request(`CN=${name(3)},${ou}`, '(objectClass=*)', { scope: 0, attributes: ['memberOf', 'distinguishedName'] }), ctl([requestControl(extendedDnControl, { flag })]));
    const g = flag === 1 ? guidToString(users[3]!) : users[3]!.toString('hex');
    const s = flag === 1 ? sidToString(sid) : Buffer.from(sid).toString('hex');
    assert.equal(r.entries[0]!.dn, `<GUID=${g}>;<SID=${s}>;CN=${name(3)},${ou}`);
    assert.equal(r.entries[0]!.attrs.get('distinguishedname')![0], `<GUID=${g}>;<SID=${s}>;CN=${name(3)},${ou}`);
    assert.match(r.entries[0]!.attrs.get('memberof')![0]!, new RegExp(`^<GUID=[^>]+>;<SID=[^>]+>;CN=Big,${f.baseDN}$`));
  }
  // objects without objectSid have no SID part
  const o = await run(f.dir, request(ou, '(objectClass=*)', { scope: 0, attributes: ['1.1'] }), ctl([requestControl(extendedDnControl, { flag: 1 })]));
  assert.match(o.entries[0]!.dn, /^<GUID=[0-9a-f-]{36}>;OU=Many,/);
});

test('size limits: sizeLimit, and MaxPageSize for a search without paging', async () => {
  const req = (sizeLimit: number) => request(ou, '(objectClass=user)', { scope: 1, sizeLimit, attributes: ['1.1'] });
  let n = 0;
  await assert.rejects(
    run(f.dir, req(5), ctl(), (k) => void (n = k)),
    (e: LdapError) => e.resultCode === 4,
  );
  assert.equal(n, 5);
  const exact = await run(f.dir, request(ou, '(sAMAccountName=user0000*)', { scope: 1, sizeLimit: 10, attributes: ['1.1'] }));
  assert.equal(exact.entries.length, 10);
  n = 0;
  await assert.rejects(
    run(f.dir, req(0), ctl(), (k) => void (n = k)),
    (e: LdapError) => e.resultCode === 4,
  );
  assert.equal(n, 1000);
  // with paging the sizeLimit counts across pages
  await assert.rejects(pagedAll(req(25), 10), (e: LdapError) => e.resultCode === 4);
});

test('abandon: aborting the signal stops the search', async () => {
  const ac = new AbortController();
  let n = 0;
  const p = run(f.dir, request(ou, '(objectClass=user)', { scope: 1, attributes: ['1.1'] }), context([requestControl(pagedResultsControl, { size: 1000, cookie: Buffer.alloc(0) })], { signal: ac.signal }), (k) => {
    n = k;
    if (k === 10) ac.abort();
  });
  await assert.rejects(p);
  assert.equal(n, 10);
  // aborted while walking (no entries match): stops at the next chunk
  const ac2 = new AbortController();
  const q = search(f.dir, request(f.baseDN, '(description=nothing at all)', { attributes: ['1.1'] }), context([], { signal: ac2.signal }), { entry() {}, reference() {} });
  ac2.abort();
  await assert.rejects(q);
  assert.equal(heldPagedSearches(f.dir), 0);
});

/** A context whose AbortSignal is made when first asked for, as the LDAP connection's (src/ldap/connection.ts). */
function lazyContext(controls: Control[]): { ctx: OperationContext; made: () => boolean; abort: () => void } {
  let controller: AbortController | undefined;
  const ctx: OperationContext = {
    session: context().session,
    controls,
    get signal() {
      return (controller ??= new AbortController()).signal;
    },
    aborted: () => controller !== undefined && controller.signal.aborted,
  };
  return { ctx, made: () => controller !== undefined, abort: () => (controller ??= new AbortController()).abort() };
}

test('abandon: a context whose signal is made on first use (the LDAP connection\'s) is seen through ctx.aborted, in a copy of the context too', async () => {
  // a search that is not abandoned never makes the signal
  const plain = lazyContext([]);
  assert.equal((await run(f.dir, request(`CN=${name(1)},${ou}`, '(objectClass=*)', { scope: 0, attributes: ['1.1'] }), plain.ctx)).entries.length, 1);
  assert.equal(plain.made(), false, 'no AbortController made for a search that runs to its end');
  for (const copy of [false, true]) {
    const l = lazyContext([requestControl(pagedResultsControl, { size: 1000, cookie: Buffer.alloc(0) })]);
    // the service copies the context for the global catalog and anonymous requests ({ ...ctx, controls })
    const ctx = copy ? { ...l.ctx } : l.ctx;
    let n = 0;
    const p = run(f.dir, request(ou, '(objectClass=user)', { scope: 1, attributes: ['1.1'] }), ctx, (k) => {
      n = k;
      if (k === 10) l.abort();
    });
    await assert.rejects(p, (e: LdapError) => e.resultCode === 118);
    assert.equal(n, 10, copy ? 'the copy' : 'the context itself');
  }
  assert.equal(heldPagedSearches(f.dir), 0);
});

test('controls: unknown critical ones and DirSync refused, non-critical ones ignored', async () => {
  const req = request(`CN=${name(1)},${ou}`, '(objectClass=*)', { scope: 0, attributes: ['1.1'] });
  await assert.rejects(run(f.dir, req, ctl([{ type: '1.2.3.4.5', critical: true }])), (e: LdapError) => e.resultCode === 12);
  await assert.rejects(run(f.dir, req, ctl([{ type: DIRSYNC_OID, critical: true, value: Buffer.from([0x30, 0x00]) }])), (e: LdapError) => e.resultCode === 12);
  assert.equal((await run(f.dir, req, ctl([{ type: '1.2.3.4.5', critical: false }]))).entries.length, 1);
});

test('deleted objects are seen only with SHOW_DELETED; references and DOMAIN_SCOPE', async () => {
  const [gone] = addEntries(f.dir, [{ dn: `CN=gone,${ou}`, attrs: { objectClass: 'user', sAMAccountName: 'gone' } }]) as [Buffer];
  // deleted through the DSA (MS-ADTS 3.1.1.5.5): a tombstone in CN=Deleted Objects, not a flag set by hand
  await del(f.dir, { type: 'delRequest', entry: `CN=gone,${ou}` }, context());
  assert.equal((await run(f.dir, request(f.baseDN, '(sAMAccountName=gone)'))).entries.length, 0);
  const shown = await run(f.dir, request(f.baseDN, '(sAMAccountName=gone)', { attributes: ['objectGUID'] }), ctl([{ type: SHOW_DELETED_OID, critical: true }]));
  assert.equal(shown.entries.length, 1);
  assert.match(shown.entries[0]!.dn, new RegExp(`^CN=gone\\\\0ADEL:${guidToString(gone)},CN=Deleted Objects,`, 'i'));
  await assert.rejects(run(f.dir, request(`CN=gone,${ou}`, '(objectClass=*)', { scope: 0 })), (e: LdapError) => e.resultCode === 32);
  // a subtree search from the domain NC head refers to the NCs held below it: configuration and the
  // application NCs, each by its DNS name (as Windows answers)
  const r = await run(f.dir, request(f.baseDN, '(sAMAccountName=Administrator)', { attributes: ['1.1'] }));
  assert.deepEqual(r.references.map((x) => x[0]).sort(), [`ldap://DomainDnsZones.example.com/DC=DomainDnsZones,${f.baseDN}`, `ldap://ForestDnsZones.example.com/DC=ForestDnsZones,${f.baseDN}`, `ldap://example.com/CN=Configuration,${f.baseDN}`].sort());
  const d = await run(f.dir, request(f.baseDN, '(sAMAccountName=Administrator)', { attributes: ['1.1'] }), ctl([{ type: DOMAIN_SCOPE_OID, critical: true }]));
  assert.deepEqual(d.references, []);
  // PHANTOM_ROOT: every NC below the base DN, no references
  const p = await run(f.dir, request(f.baseDN, '(cn=Aggregate)', { attributes: ['1.1'] }), ctl([requestControl(searchOptionsControl, { flags: 2 })]));
  assert.deepEqual(p.entries.map((e) => e.dn), [`CN=Aggregate,CN=Schema,CN=Configuration,${f.baseDN}`]);
  assert.deepEqual(p.references, []);
});

test('ASQ: the objects a DN attribute of the base names, filtered', async () => {
  const r = await run(f.dir, request(`CN=Big,${f.baseDN}`, '(sAMAccountName=user0001*)', { scope: 0, attributes: ['sAMAccountName'] }), ctl([requestControl(asqControl, { sourceAttribute: 'member' })]));
  assert.equal(r.entries.length, 10);
  assert.equal(asqControl.decodeResponse!(r.result.controls![0]!.value).searchResult, 0);
  await assert.rejects(run(f.dir, request(`CN=Big,${f.baseDN}`, '(objectClass=*)', { scope: 2 }), ctl([requestControl(asqControl, { sourceAttribute: 'member' })])), (e: LdapError) => e.resultCode === 53);
});

test('attribute selection, secret attributes, SD flags and constructed attributes', async () => {
  const admin = `CN=Administrator,CN=Users,${f.baseDN}`;
  const one = async (attributes: string[], controls: Control[] = [], isAdmin = true) =>
    (await run(f.dir, request(admin, '(objectClass=*)', { scope: 0, attributes }), context(controls, { admin: isAdmin }))).entries[0]!;
  const all = await one([]);
  assert.ok(all.attrs.has('samaccountname') && all.attrs.has('memberof') && all.attrs.has('objectguid'));
  assert.ok(!all.attrs.has('unicodepwd') && !all.attrs.has('canonicalname'));
  assert.ok(!(await one(['unicodePwd'])).attrs.has('unicodepwd'));
  assert.deepEqual([...(await one(['1.1'])).attrs.keys()], []);
  assert.deepEqual([...(await one(['SAMACCOUNTNAME', '1.2.840.113556.1.4.221', 'noSuchThing'])).attrs.keys()], ['samaccountname']);
  const typesOnly = (await run(f.dir, request(admin, '(objectClass=*)', { scope: 0, attributes: ['cn'], typesOnly: true }))).entries[0]!;
  assert.deepEqual(typesOnly.raw, [{ type: 'cn', values: [] }]);
  // SD flags: a requester who may not read SACLs gets the descriptor only without the SACL
  assert.ok((await one(['nTSecurityDescriptor'])).attrs.has('ntsecuritydescriptor'));
  assert.ok(!(await one(['nTSecurityDescriptor'], [], false)).attrs.has('ntsecuritydescriptor'));
  assert.ok((await one(['nTSecurityDescriptor'], [requestControl(sdFlagsControl, { flags: 7 })], false)).attrs.has('ntsecuritydescriptor'));
  const c = await one(['canonicalName', 'createTimeStamp', 'modifyTimeStamp', 'parentGUID', 'tokenGroups', 'structuralObjectClass', 'subSchemaSubEntry', 'msDS-User-Account-Control-Computed', 'fromEntry', 'allowedAttributes']);
  assert.deepEqual(c.attrs.get('canonicalname'), ['example.com/Users/Administrator']);
  assert.match(c.attrs.get('createtimestamp')![0]!, /^\d{14}\.0Z$/);
  assert.equal(c.raw.find((a) => a.type === 'parentGUID')!.values[0]!.length, 16);
  assert.ok(c.raw.find((a) => a.type === 'tokenGroups')!.values.length >= 3); // Domain Admins, Domain Users, Administrators, …
  assert.deepEqual(c.attrs.get('structuralobjectclass'), ['top', 'person', 'organizationalPerson', 'user']);
  assert.deepEqual(c.attrs.get('subschemasubentry'), [`CN=Aggregate,CN=Schema,CN=Configuration,${f.baseDN}`]);
  assert.deepEqual(c.attrs.get('msds-user-account-control-computed'), ['0']);
  assert.deepEqual(c.attrs.get('fromentry'), ['TRUE']);
  assert.ok(c.attrs.get('allowedattributes')!.includes('sAMAccountName'));
  // tokenGroups only with base scope (MS-ADTS 3.1.1.4.5.19)
  const sub = await run(f.dir, request(`CN=Users,${f.baseDN}`, '(sAMAccountName=Administrator)', { attributes: ['tokenGroups'] }));
  assert.ok(!sub.entries[0]!.attrs.has('tokengroups'));
  const o = (await run(f.dir, request(ou, '(objectClass=*)', { scope: 0, attributes: ['msDS-Approx-Immed-Subordinates', 'allowedChildClasses', 'canonicalName'] }))).entries[0]!;
  // the children the store holds under the OU now (other tests may add or delete some there)
  const children = [...f.dir.store.reader.children(f.dir.resolve(f.dir.store.reader, ou, 'test'))].length;
  assert.ok(children >= N);
  assert.deepEqual(o.attrs.get('msds-approx-immed-subordinates'), [String(children)]);
  assert.ok(o.attrs.get('allowedchildclasses')!.includes('user'));
  assert.deepEqual(o.attrs.get('canonicalname'), ['example.com/Many']);
  const g = (await run(f.dir, request(`CN=Domain Admins,CN=Users,${f.baseDN}`, '(objectClass=*)', { scope: 0, attributes: ['primaryGroupToken'] }))).entries[0]!;
  assert.deepEqual(g.attrs.get('primarygrouptoken'), ['512']);
  const head = (await run(f.dir, request(f.baseDN, '(objectClass=*)', { scope: 0, attributes: ['canonicalName'] }))).entries[0]!;
  assert.deepEqual(head.attrs.get('canonicalname'), ['example.com/']);
  // the subSchema entry's schema attributes are rendered from the schema in force
  const agg = (await run(f.dir, request(`CN=Aggregate,CN=Schema,CN=Configuration,${f.baseDN}`, '(objectClass=*)', { scope: 0, attributes: ['objectClasses'] }))).entries[0]!;
  assert.ok(agg.attrs.get('objectclasses')!.length >= 269);
  assert.ok(!agg.attrs.has('attributetypes'));
});

test('paged results: a held search reads its own snapshot while the directory changes', async () => {
  const req = request(ou, '(objectClass=user)', { scope: 1, attributes: ['1.1'] });
  const dns: string[] = [];
  let cookie = Buffer.alloc(0);
  for (let page = 0; ; page++) {
    const r = await run(f.dir, req, ctl([requestControl(pagedResultsControl, { size: 700, cookie })], 31));
    for (const e of r.entries) dns.push(e.dn);
    if (page < 3) addEntries(f.dir, Array.from({ length: 40 }, (_, i) => ({ dn: `CN=late${page}-${i},${ou}`, attrs: { objectClass: 'user', sAMAccountName: `late${page}-${i}` } })));
    const p = pagedResultsControl.decodeResponse!(resp(r.result, PAGED_RESULTS_OID)!.value);
    if (p.cookie.length === 0) break;
    cookie = Buffer.from(p.cookie);
  }
  assert.equal(dns.length, N + 0); // the objects of the first page's snapshot, each once ('gone' is deleted)
  assert.equal(new Set(dns).size, dns.length);
});
