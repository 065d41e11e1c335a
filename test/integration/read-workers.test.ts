// Reads on every core with threads (`forestd serve --workers N --worker-mode thread`,
// src/dsa/workers; the default mode, process, is worker-processes.test.ts's): searches of a
// connection run in a read worker over the same store, with ldapts as the client. A write answered on one
// connection is seen by the next search of another (read-your-writes across threads), paged
// searches go on in the worker that holds their state, errors keep AD's codes, and a schema
// change reaches the workers. Negative control: with --workers 1 no search leaves the LDAP thread.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Change, Attribute, InvalidDNSyntaxError, NoSuchObjectError } from 'ldapts';
import { startForestd, run, type RunningForestd } from '../helpers/forestd.js';
import { needTool } from '../helpers/tools.js';
import { AD, expectAdError } from '../helpers/ad-errors.js';

const T = { timeout: 120_000 };
const WORKERS = 3;
let f: RunningForestd;
let single: RunningForestd;
before(async () => {
  [f, single] = await Promise.all([startForestd({ serveArgs: ['--workers', String(WORKERS), '--worker-mode', 'thread'] }), startForestd({ serveArgs: ['--workers', '1'] })]);
});
after(async () => {
  await Promise.all([f?.stop(), single?.stop()]);
});

async function clients(s: RunningForestd, n: number): Promise<Client[]> {
  const cs = Array.from({ length: n }, () => new Client({ url: s.url, timeout: 60_000 }));
  for (const c of cs) await c.bind(s.adminDN, s.adminPassword);
  return cs;
}

const ou = (s: RunningForestd, name: string) => `OU=${name},${s.baseDN}`;

async function addUsers(s: RunningForestd, c: Client, name: string, n: number): Promise<void> {
  await c.add(ou(s, name), { objectClass: 'organizationalUnit' });
  for (let i = 0; i < n; i++) await c.add(`CN=u${i},${ou(s, name)}`, { objectClass: 'user', sAMAccountName: `${name}-u${i}` });
}

test('searches of several connections run in the read workers, and each sees the writes answered before it', T, async () => {
  for (const [s, workers] of [[f, WORKERS], [single, 1]] as const) {
    const cs = await clients(s, 2 * WORKERS);
    try {
      await addUsers(s, cs[0]!, 'RYW', 1);
      const dn = `CN=u0,${ou(s, 'RYW')}`;
      for (let round = 0; round < 3; round++) {
        for (const [i, c] of cs.entries()) {
          const value = `round ${round} by ${i}`;
          // written on connection i, read back at once on connection i+1 (another thread when workers > 1)
          await c.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'description', values: [value] }) }));
          const reader = cs[(i + 1) % cs.length]!;
          const byIndex = await reader.search(s.baseDN, { scope: 'sub', filter: `(&(sAMAccountName=RYW-u0)(description=${value}))`, attributes: ['description'] });
          assert.equal(byIndex.searchEntries.length, 1, `${workers} workers: the search after the write finds it (${value})`);
          const base = await reader.search(dn, { scope: 'base', attributes: ['description'] });
          assert.equal(base.searchEntries[0]!.description, value);
        }
      }
      const served = new Set(Array.from({ length: WORKERS }, (_, w) => w).filter((w) => s.hookCount('forestd:dsa:read-worker', (ev) => ev.worker === w) > 0));
      if (workers > 1) assert.deepEqual([...served].sort(), [1, 2], 'both read workers served searches');
      else assert.equal(s.hookCount('forestd:dsa:read-worker'), 0, 'negative control: --workers 1 keeps every search on the LDAP thread');
    } finally {
      await Promise.all(cs.map((c) => c.unbind()));
    }
  }
});

test('a paged search goes on in the worker that holds it; size limits and errors keep their codes', T, async (t) => {
  if (!needTool(t, 'ldapsearch')) return;
  const cs = await clients(f, WORKERS);
  try {
    await addUsers(f, cs[0]!, 'Paged', 12);
    for (const c of cs) {
      const names: string[] = [];
      let pages = 0;
      for await (const page of c.searchPaginated(ou(f, 'Paged'), { scope: 'one', filter: '(objectClass=user)', attributes: ['sAMAccountName'], paged: { pageSize: 5 } })) {
        pages++;
        for (const e of page.searchEntries) names.push(String(e.sAMAccountName));
      }
      assert.equal(pages, 3);
      assert.deepEqual(names.sort(), Array.from({ length: 12 }, (_, i) => `Paged-u${i}`).sort());
      await assert.rejects(c.search(`CN=nobody,${ou(f, 'Paged')}`, { scope: 'base' }), (e: unknown) => {
        assert.ok(e instanceof NoSuchObjectError);
        expectAdError(32, e.message, AD.NO_SUCH_OBJECT);
        return true;
      });
      await assert.rejects(c.search('not a DN', { scope: 'base' }), InvalidDNSyntaxError);
    }
    // sizeLimitExceeded (RFC 4511 4.5.1.5) after two entries, from whichever thread answers each ldapsearch
    for (let i = 0; i < WORKERS; i++) {
      const r = await run('ldapsearch', ['-x', '-H', f.url, '-D', f.adminDN, '-w', f.adminPassword, '-z', '2', '-LLL', '-b', ou(f, 'Paged'), '-s', 'one', '(objectClass=user)', 'cn']);
      assert.equal(r.code, 4, r.stderr);
      assert.equal(r.stdout.match(/^dn: /gm)?.length, 2);
    }
    assert.ok(f.hookCount('forestd:dsa:read-worker') > 0);
  } finally {
    await Promise.all(cs.map((c) => c.unbind()));
  }
});

test('a schema change (schemaUpdateNow) reaches the read workers', T, async () => {
  const cs = await clients(f, WORKERS);
  try {
    const schemaDN = `CN=Schema,CN=Configuration,${f.baseDN}`;
    const name = 'forestdWorkerTestAttr';
    // an attribute the schema does not know is Undefined in a filter, and so is its negation (RFC 4511 4.5.1.7)
    const absent = { scope: 'base' as const, filter: `(!(${name}=*))` };
    for (const c of cs) assert.equal((await c.search(f.baseDN, absent)).searchEntries.length, 0, 'negative control: unknown before the change');
    await cs[0]!.add(`CN=${name},${schemaDN}`, {
      objectClass: 'attributeSchema',
      lDAPDisplayName: name,
      attributeID: '1.3.6.1.4.1.99999.14.2.1',
      attributeSyntax: '2.5.5.12',
      oMSyntax: '64',
      isSingleValued: 'TRUE',
    });
    await cs[0]!.modify('', new Change({ operation: 'replace', modification: new Attribute({ type: 'schemaUpdateNow', values: ['1'] }) }));
    for (const c of cs) {
      const r = await c.search(`CN=${name},${schemaDN}`, { scope: 'base', filter: '(objectClass=attributeSchema)', attributes: [name, 'lDAPDisplayName'] });
      assert.equal(r.searchEntries[0]!.lDAPDisplayName, name);
      // known now, to every thread that answers: absent is FALSE, its negation TRUE
      assert.equal((await c.search(f.baseDN, absent)).searchEntries.length, 1, 'the thread answering knows the new attribute after schemaUpdateNow');
    }
  } finally {
    await Promise.all(cs.map((c) => c.unbind()));
  }
});

test("a change of dSHeuristics (anonymous operations) is seen by every thread's next search", T, async () => {
  const admin = (await clients(f, 1))[0]!;
  const anon = Array.from({ length: WORKERS }, () => new Client({ url: f.url, timeout: 60_000 }));
  const ds = `CN=Directory Service,CN=Windows NT,CN=Services,CN=Configuration,${f.baseDN}`;
  const heuristics = (v: string[]) => admin.modify(ds, new Change({ operation: 'replace', modification: new Attribute({ type: 'dSHeuristics', values: v }) }));
  try {
    // negative control: by default an anonymous search beyond the rootDSE is refused (MS-ADTS 6.1.1.2.4.1.2 fLDAPBlockAnonOps)
    for (const c of anon) {
      await assert.rejects(c.search(f.baseDN, { scope: 'base', attributes: ['name'] }), (e: unknown) => {
        assert.equal((e as { code?: number }).code, 1);
        assert.match((e as Error).message, /^000004DC: /);
        return true;
      });
    }
    await heuristics(['0000002']);
    for (const c of anon) assert.equal((await c.search(f.baseDN, { scope: 'base', attributes: ['name'] })).searchEntries.length, 1, 'anonymous operations are on in the thread that answers');
    await heuristics([]);
    for (const c of anon) await assert.rejects(c.search(f.baseDN, { scope: 'base' }), (e: unknown) => (e as { code?: number }).code === 1);
  } finally {
    await Promise.all([...anon, admin].map((c) => c.unbind()));
  }
});
