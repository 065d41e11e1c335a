// ldapts (npm) against a real forestd: the big cases — 10,000 entries paged (page by page) and
// sorted, ranged retrieval of a 5,000-member group — and TLS (LDAPS, StartTLS). VLV is tested
// with OpenLDAP's ldapsearch in ad-controls.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Change, Attribute, ServerSideSortingRequestControl } from 'ldapts';
import { startForestd, type RunningForestd } from '../helpers/forestd.js';

let f: RunningForestd;
let c: Client;
const N = 10_000;
let ou: string;

before(async () => {
  f = await startForestd();
  c = new Client({ url: f.url, timeout: 120_000 });
  await c.bind(f.adminDN, f.adminPassword);
  ou = `OU=Many,${f.baseDN}`;
  await c.add(ou, { objectClass: 'organizationalUnit' });
  // 10,000 users, 32 adds in flight on one connection (pipelined)
  let next = 0;
  const worker = async () => {
    while (next < N) {
      const i = next++;
      await c.add(`CN=user${String(i).padStart(5, '0')},${ou}`, { objectClass: 'user', sAMAccountName: `user${i}`, employeeID: String((i * 7919) % N), description: `user number ${i}` });
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
});

after(async () => {
  await c?.unbind().catch(() => {});
  await f?.stop();
});

test('paged search over 10,000 entries: 20 pages of 500, each entry exactly once', async () => {
  const seen = new Set<string>();
  const sizes: number[] = [];
  // one result per page the server sent (RFC 2696), counted as they arrive
  for await (const page of c.searchPaginated(ou, { scope: 'one', filter: '(objectClass=user)', attributes: ['sAMAccountName'], paged: { pageSize: 500 } })) {
    sizes.push(page.searchEntries.length);
    for (const e of page.searchEntries) seen.add(e.dn);
  }
  assert.deepEqual(sizes, Array.from({ length: N / 500 }, () => 500));
  assert.equal(seen.size, N);
});

test('a search past MaxPageSize without paging is cut at 1,000 with sizeLimitExceeded… or paged', async () => {
  // AD returns at most MaxPageSize entries to a search without the paged control
  await assert.rejects(c.search(ou, { scope: 'one', filter: '(objectClass=user)', attributes: ['1.1'] }), (e: Error & { code?: number }) => e.code === 4);
});

test('server-side sort (RFC 2891): by an integer-valued string, descending', async () => {
  const sort = new ServerSideSortingRequestControl({ critical: true, value: [{ attributeType: 'employeeID', reverseOrder: true }] });
  const { searchEntries } = await c.search(ou, { scope: 'one', filter: '(description=user number 1*)', attributes: ['employeeID'], paged: { pageSize: 1000 } }, [sort]);
  const ids = searchEntries.map((e) => String(e.employeeID));
  assert.ok(ids.length > 1000);
  const sorted = [...ids].sort().reverse();
  assert.deepEqual(ids, sorted);
});

test('ranged retrieval of a 5,000-member group', async () => {
  const group = `CN=Big,${ou}`;
  await c.add(group, { objectClass: 'group', sAMAccountName: 'big' });
  const members = Array.from({ length: 5000 }, (_, i) => `CN=user${String(i).padStart(5, '0')},${ou}`);
  for (let i = 0; i < members.length; i += 1000) {
    await c.modify(group, new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: members.slice(i, i + 1000) }) }));
  }
  const got = new Set<string>();
  let low = 0;
  for (let round = 0; round < 10; round++) {
    const { searchEntries } = await c.search(group, { scope: 'base', attributes: [`member;range=${low}-*`] });
    const e = searchEntries[0]!;
    const key = Object.keys(e).find((k) => k.toLowerCase().startsWith('member;range='))!;
    assert.ok(key, `a member;range= attribute in ${Object.keys(e).join(',')}`);
    const vals = ([] as string[]).concat(e[key] as string | string[]);
    for (const v of vals) got.add(v.toLowerCase());
    const m = /range=(\d+)-(\*|\d+)/i.exec(key)!;
    if (m[2] === '*') break;
    low = Number(m[2]) + 1;
  }
  assert.equal(got.size, 5000);
  // memberOf on a member
  const { searchEntries } = await c.search(members[42]!, { scope: 'base', attributes: ['memberOf'] });
  assert.equal(String(searchEntries[0]!.memberOf).toLowerCase(), group.toLowerCase());
});

test('LDAPS and StartTLS carry a bind and a search', async () => {
  const tlsClient = new Client({ url: f.ldapsUrl, tlsOptions: { rejectUnauthorized: false } });
  await tlsClient.bind(f.adminDN, f.adminPassword);
  const r1 = await tlsClient.search(f.baseDN, { scope: 'base', attributes: ['objectGUID'] });
  assert.equal(r1.searchEntries.length, 1);
  await tlsClient.unbind();
  const st = new Client({ url: f.url });
  await st.startTLS({ rejectUnauthorized: false });
  await st.bind(f.adminDN, f.adminPassword);
  const r2 = await st.search(f.baseDN, { scope: 'base', attributes: ['name'] });
  assert.equal(String(r2.searchEntries[0]!.name), f.realm.split('.')[0]);
  await st.unbind();
});

test('unicodePwd: refused in clear text, set over TLS, then usable for bind', async () => {
  const dn = `CN=user00001,${ou}`;
  const pwd = (p: string) => Buffer.from(`"${p}"`, 'utf16le');
  await assert.rejects(
    c.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'unicodePwd', values: [pwd('Secr3t-Pass!')] }) })),
    (e: Error & { code?: number }) => e.code === 53,
  );
  const st = new Client({ url: f.ldapsUrl, tlsOptions: { rejectUnauthorized: false } });
  await st.bind(f.adminDN, f.adminPassword);
  await st.modify(dn, [
    new Change({ operation: 'replace', modification: new Attribute({ type: 'unicodePwd', values: [pwd('Secr3t-Pass!')] }) }),
    new Change({ operation: 'replace', modification: new Attribute({ type: 'userAccountControl', values: ['512'] }) }),
  ]);
  await st.unbind();
  const u = new Client({ url: f.url });
  await u.bind(`user1@${f.realm}`, 'Secr3t-Pass!');
  const { searchEntries } = await u.search(dn, { scope: 'base', attributes: ['unicodePwd', 'pwdLastSet'] });
  // ldapts fills a requested attribute that is absent with []
  assert.deepEqual(searchEntries[0]!.unicodePwd ?? [], []);
  assert.notEqual(String(searchEntries[0]!.pwdLastSet), '0');
  await u.unbind();
});

