// Deleting the target of a link value (issue #13): as on Windows, the group that named the deleted
// user loses the value without being changed — its uSNChanged, replPropertyMetaData and
// msDS-ReplValueMetaData stay as they were (MS-DRSR 5.160: link values of a deleted object "are
// simply removed from the directory", not by an originating update; model/lifecycle.ts
// hideLinks). A DirSync client learns of it through the user's own tombstone. Read with
// OpenLDAP's ldapsearch and python3-ldap3's DirSync from a real forestd.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startForestd, run, adminToolArgs, PYTHON, type RunningForestd } from '../helpers/forestd.js';
import { needTool } from '../helpers/tools.js';
import { findPackageRoot } from '../../src/schema/bootstrap.js';

const script = join(findPackageRoot(), 'test/integration/py/dirsync_client.py');
let f: RunningForestd;
before(async () => {
  f = await startForestd();
});
after(async () => {
  await f?.stop();
});

const auth = () => adminToolArgs(f);

async function ldap(tool: 'ldapadd' | 'ldapmodify' | 'ldapdelete', input: string, args: string[] = []): Promise<void> {
  const r = await run(tool, [...auth(), ...args], input, undefined, { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
}

/** One entry's attributes (base DN, scope base) as ldapsearch prints them; base64 values stay encoded. */
async function read(dn: string, ...attrs: string[]): Promise<Map<string, string[]>> {
  const r = await run('ldapsearch', [...auth(), '-LLL', '-o', 'ldif-wrap=no', '-b', dn, '-s', 'base', '(objectClass=*)', ...attrs], undefined, undefined, { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  const m = new Map<string, string[]>();
  for (const line of r.stdout.split('\n')) {
    const x = /^([^:#][^:]*)::? ?(.*)$/.exec(line);
    if (!x) continue;
    const k = x[1]!.toLowerCase();
    m.set(k, [...(m.get(k) ?? []), x[2]!]);
  }
  return m;
}

interface SyncResult {
  entries: { dn: string; attrs: Record<string, string[]> }[];
  cookie: string;
}
async function dirsync(cookie: string): Promise<SyncResult> {
  const r = await run(PYTHON, [script, f.url, f.baseDN, f.adminDN, f.adminPassword, cookie, '1', '0'], undefined, undefined, { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as SyncResult;
}
const plain = (dn: string) => dn.replace(/^(<(GUID|SID)=[^>]*>;)+/i, '');

test('deleting a member leaves the group unchanged (uSNChanged, metadata), drops the value from reads, and DirSync reports the user', { timeout: 300_000 }, async (t) => {
  if (!needTool(t, 'ldapsearch', 'ldapadd', 'ldapmodify', 'ldapdelete', 'python:ldap3')) return;
  const ou = `OU=DelTarget,${f.baseDN}`;
  const group = `CN=Team,${ou}`;
  const gone = `CN=Gone,${ou}`;
  const stays = `CN=Stays,${ou}`;
  const leaves = `CN=Leaves,${ou}`;
  await ldap('ldapadd', [
    `dn: ${ou}\nobjectClass: organizationalUnit\n`,
    ...['Gone', 'Stays', 'Leaves'].map((n) => `dn: CN=${n},${ou}\nobjectClass: user\nsAMAccountName: dt-${n.toLowerCase()}\n`),
    `dn: ${group}\nobjectClass: group\nsAMAccountName: dt-team\nmember: ${gone}\nmember: ${stays}\nmember: ${leaves}\n`,
  ].join('\n'));
  const attrs = ['uSNChanged', 'whenChanged', 'member', 'replPropertyMetaData', 'msDS-ReplValueMetaData'];
  const before = await read(group, ...attrs);
  assert.equal(before.get('member')?.length, 3);
  const first = await dirsync('');

  await ldap('ldapdelete', '', [gone]);
  const after = await read(group, ...attrs);
  assert.deepEqual(after.get('usnchanged'), before.get('usnchanged'), 'uSNChanged of the group does not move');
  assert.deepEqual(after.get('whenchanged'), before.get('whenchanged'));
  assert.deepEqual(after.get('replpropertymetadata'), before.get('replpropertymetadata'), 'no attribute stamp changes');
  assert.deepEqual(after.get('member')?.sort(), [leaves, stays].sort(), 'the deleted user is no member any more');
  const vmd = after.get('msds-replvaluemetadata') ?? [];
  assert.equal(vmd.length, 2, 'no value metadata names the deleted user');
  for (const v of vmd) assert.ok(before.get('msds-replvaluemetadata')!.includes(v), 'the other values keep their stamps');
  // DirSync (MS-DRSR 5.115: a GetNCChanges cycle over uSNChanged): the user's tombstone comes, the group does not
  const sync = await dirsync(first.cookie);
  const dns = sync.entries.map((e) => plain(e.dn));
  assert.ok(dns.some((dn) => /^CN=Gone\\0ADEL:[0-9a-f-]{36},CN=Deleted Objects,/i.test(dn)), dns.join(' | '));
  assert.equal(dns.includes(group), false, 'the group did not change');

  // negative control: removing a member with a modify is a change of the group, and DirSync sends it
  await ldap('ldapmodify', `dn: ${group}\nchangetype: modify\ndelete: member\nmember: ${leaves}\n`);
  const removed = await read(group, ...attrs);
  assert.ok(Number(removed.get('usnchanged')![0]) > Number(before.get('usnchanged')![0]), 'a modify moves uSNChanged');
  assert.deepEqual(removed.get('member'), [stays]);
  const sync2 = await dirsync(sync.cookie);
  const g = sync2.entries.find((e) => plain(e.dn) === group);
  assert.ok(g, 'the group comes back after a modify');
  const range0 = Object.entries(g.attrs).find(([k]) => k.toLowerCase() === 'member;range=0-0')?.[1];
  assert.deepEqual(range0?.map(plain), [leaves], 'the removed value, with incremental values');
});
