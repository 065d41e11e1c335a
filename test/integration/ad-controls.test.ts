// Every control forestd claims in the rootDSE's supportedControl, driven by clients nobody here
// wrote: OpenLDAP's ldapsearch/ldapmodify/ldapdelete/ldapmodrdn (generic `oid=::b64` controls
// whose BER values are assembled by hand below) and ldapts. Expectations follow MS-ADTS
// 3.1.1.3.4.1.x, RFC 2696 (paged), RFC 2891 (sort) and draft-ietf-ldapext-ldapv3-vlv-09.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Control, ServerSideSortingRequestControl } from 'ldapts';
import { startForestd, run, type RunningForestd } from '../helpers/forestd.js';

const OID = {
  paged: '1.2.840.113556.1.4.319',
  sort: '1.2.840.113556.1.4.473',
  vlv: '2.16.840.1.113730.3.4.9',
  extendedDn: '1.2.840.113556.1.4.529',
  showDeleted: '1.2.840.113556.1.4.417',
  showRecycled: '1.2.840.113556.1.4.2064',
  showDeactivatedLink: '1.2.840.113556.1.4.2065',
  domainScope: '1.2.840.113556.1.4.1339',
  searchOptions: '1.2.840.113556.1.4.1340',
  sdFlags: '1.2.840.113556.1.4.801',
  treeDelete: '1.2.840.113556.1.4.805',
  permissiveModify: '1.2.840.113556.1.4.1413',
  lazyCommit: '1.2.840.113556.1.4.619',
  verifyName: '1.2.840.113556.1.4.1338',
  asq: '1.2.840.113556.1.4.1504',
  dirSyncEx: '1.2.840.113556.1.4.2090',
} as const;
const SORT_RESPONSE = '1.2.840.113556.1.4.474';
const VLV_RESPONSE = '2.16.840.1.113730.3.4.10';
/** Claimed by the rootDSE, exercised elsewhere: DirSync by dirsync-ldap3.test.ts; notification by notification.test.ts. */
const COVERED_ELSEWHERE = ['1.2.840.113556.1.4.841', '1.2.840.113556.1.4.528'];
const UNKNOWN = '1.2.3.4.5.6.7.8.9';

let f: RunningForestd;
let c: Client;
let ou: string;
const N = 25;
const user = (i: number) => `CN=u${String(i).padStart(2, '0')},${ou}`;

// ---- tiny BER ----------------------------------------------------------------------------------

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, content]);
}
const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const int = (v: number) => tlv(0x02, v < 0x80 ? Buffer.from([v]) : Buffer.from([0x00, v]));
const octets = (s: string | Buffer) => tlv(0x04, typeof s === 'string' ? Buffer.from(s, 'utf8') : s);
const b64 = (b: Buffer) => b.toString('base64');

interface Tlv {
  tag: number;
  value: Buffer;
}
/** The TLVs one after another in `buf`. */
function readTlvs(buf: Buffer): Tlv[] {
  const out: Tlv[] = [];
  let p = 0;
  while (p < buf.length) {
    const tag = buf[p++]!;
    let len = buf[p++]!;
    if (len & 0x80) {
      const k = len & 0x7f;
      len = 0;
      for (let i = 0; i < k; i++) len = len * 256 + buf[p++]!;
    }
    out.push({ tag, value: buf.subarray(p, p + len) });
    p += len;
  }
  return out;
}
/** The elements of the SEQUENCE that is `buf`. */
function seqOf(buf: Buffer): Tlv[] {
  const [s] = readTlvs(buf);
  assert.equal(s?.tag, 0x30, `a SEQUENCE: ${buf.toString('hex')}`);
  return readTlvs(s!.value);
}
function intOf(t: Tlv | undefined): number {
  assert.ok(t && (t.tag === 0x02 || t.tag === 0x0a), 'an INTEGER or ENUMERATED');
  return t.value.readIntBE(0, t.value.length);
}

// ---- running the clients -----------------------------------------------------------------------

const auth = () => ['-x', '-H', f.url, '-D', f.adminDN, '-w', f.adminPassword, '-o', 'ldif_wrap=no'];

interface Entry {
  dn: string;
  attrs: Map<string, Buffer[]>;
}
interface ResponseControl {
  oid: string;
  critical: boolean;
  value: Buffer;
}
interface SearchOut {
  code: number | null;
  stdout: string;
  stderr: string;
  entries: Entry[];
  refs: string[];
  /** one per search result (a paged or VLV run has several) */
  results: { code: number; controls: ResponseControl[] }[];
}

/** Parses ldapsearch's (non -L) output: entries with raw values, references, results with their controls. */
function parseSearch(text: string): Pick<SearchOut, 'entries' | 'refs' | 'results'> {
  const entries: Entry[] = [];
  const refs: string[] = [];
  const results: SearchOut['results'] = [];
  let cur: Entry | undefined;
  let inResult = false;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) {
      cur = undefined;
      inResult = false;
      continue;
    }
    const m = /^([^:]+)(::?) ?(.*)$/.exec(line);
    if (!m) continue;
    const [, name, sep, raw] = m as unknown as [string, string, string, string];
    const value = sep === '::' ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
    if (name === 'dn') {
      cur = { dn: value.toString('utf8'), attrs: new Map() };
      entries.push(cur);
    } else if (name === 'search' && !cur) {
      inResult = true;
      results.push({ code: -1, controls: [] });
    } else if (inResult && name === 'result') {
      results.at(-1)!.code = Number(/^(\d+)/.exec(raw)![1]);
    } else if (inResult && name === 'control') {
      const [oid, crit, v] = raw.split(' ');
      results.at(-1)!.controls.push({ oid: oid!, critical: crit === 'true', value: Buffer.from(v ?? '', 'base64') });
    } else if (name === 'ref' && !cur) {
      refs.push(raw);
    } else if (cur) {
      const k = name.toLowerCase();
      if (!cur.attrs.has(k)) cur.attrs.set(k, []);
      cur.attrs.get(k)!.push(value);
    }
  }
  return { entries, refs, results };
}

async function search(args: string[], input?: string): Promise<SearchOut> {
  const r = await run('ldapsearch', [...auth(), ...args], input);
  return { ...r, ...parseSearch(r.stdout) };
}
const strs = (e: Entry | undefined, a: string): string[] => (e?.attrs.get(a.toLowerCase()) ?? []).map((b) => b.toString('utf8'));
const bin = (e: Entry | undefined, a: string): Buffer => {
  const v = e?.attrs.get(a.toLowerCase())?.[0];
  assert.ok(v, `${a} in ${e?.dn}`);
  return v;
};
const control = (res: { controls: ResponseControl[] } | undefined, oid: string): ResponseControl => {
  const ctl = res?.controls.find((x) => x.oid === oid);
  assert.ok(ctl, `response control ${oid} in ${JSON.stringify(res?.controls.map((x) => x.oid))}`);
  return ctl;
};
/** `-E`/`-e` argument for a control: [!]oid[=::b64value]. */
const ctl = (oid: string, o: { critical?: boolean; value?: Buffer } = {}) => `${o.critical ? '!' : ''}${oid}${o.value ? `=::${b64(o.value)}` : ''}`;
/** ldapmodify's -e takes the value base64 after a single '=' (tools/common.c). */
const gctl = (oid: string, o: { critical?: boolean; value?: Buffer } = {}) => `${o.critical ? '!' : ''}${oid}${o.value ? `=${b64(o.value)}` : ''}`;

/** A control of ldapts with a raw (hand-assembled) value. */
class RawControl extends Control {
  constructor(
    type: string,
    critical: boolean,
    private readonly raw?: Buffer,
  ) {
    super(type, { critical });
  }
  protected override writeControl(writer: Parameters<Control['write']>[0]): void {
    if (this.raw) writer.writeBuffer(this.raw, 0x04);
  }
}

// MS-DTYP 2.3.4.2 GUID string form and 2.4.2.1 SID string form from the binary forms
function guidString(b: Buffer): string {
  const h = (x: Buffer) => x.toString('hex');
  return `${h(Buffer.from(b.subarray(0, 4)).reverse())}-${h(Buffer.from(b.subarray(4, 6)).reverse())}-${h(Buffer.from(b.subarray(6, 8)).reverse())}-${h(b.subarray(8, 10))}-${h(b.subarray(10, 16))}`;
}
function sidString(b: Buffer): string {
  const n = b[1]!;
  const auth = b.readUIntBE(2, 6);
  const subs = Array.from({ length: n }, (_, i) => b.readUInt32LE(8 + 4 * i));
  return `S-${b[0]}-${auth}${subs.map((s) => `-${s}`).join('')}`;
}

async function ldapmodify(ldif: string, ...controls: string[]) {
  return run('ldapmodify', [...auth(), ...controls.flatMap((x) => ['-e', x])], ldif);
}

before(async () => {
  f = await startForestd();
  ou = `OU=Ctl,${f.baseDN}`;
  let ldif = `dn: ${ou}\nobjectClass: organizationalUnit\n\n`;
  for (let i = 0; i < N; i++) ldif += `dn: ${user(i)}\nobjectClass: user\nsAMAccountName: ctl${i}\ndescription: d${String(i).padStart(2, '0')}\n\n`;
  // the members in a scrambled order, so that sorting is not the insertion order
  ldif += `dn: CN=G,${ou}\nobjectClass: group\nsAMAccountName: ctlg\n${Array.from({ length: N }, (_, i) => `member: ${user((i * 7) % N)}\n`).join('')}`;
  const r = await run('ldapadd', auth(), ldif);
  assert.equal(r.code, 0, r.stderr);
  c = new Client({ url: f.url, timeout: 30_000 });
  await c.bind(f.adminDN, f.adminPassword);
});

after(async () => {
  await c?.unbind().catch(() => {});
  await f?.stop();
});

const allUsers = () => Array.from({ length: N }, (_, i) => user(i));

test('rootDSE supportedControl: exactly the controls this file (or a named other one) exercises', async () => {
  const r = await run('ldapsearch', ['-x', '-H', f.url, '-b', '', '-s', 'base', '-LLL', '(objectClass=*)', 'supportedControl']);
  assert.equal(r.code, 0, r.stderr);
  const claimed = [...r.stdout.matchAll(/^supportedControl: (\S+)$/gm)].map((m) => m[1]!);
  const exercised: string[] = Object.values(OID);
  const unexercised = claimed.filter((o) => !exercised.includes(o) && !COVERED_ELSEWHERE.includes(o));
  assert.deepEqual(unexercised, [], 'the rootDSE claims controls nobody tests');
  const unclaimed = exercised.filter((o) => !claimed.includes(o));
  assert.deepEqual(unclaimed, [], 'this file exercises controls the rootDSE does not claim');
  assert.equal(new Set(claimed).size, claimed.length, 'no OID listed twice');
});

test('paged results (RFC 2696): ldapsearch pr=10 gives 3 pages, every entry once; ldapts pages too', async () => {
  const r = await search(['-b', ou, '-s', 'one', '-E', 'pr=10/noprompt', '(objectClass=user)', '1.1']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.results.length, 3, 'three search results, one per page');
  assert.deepEqual(r.results.map((x) => x.code), [0, 0, 0]);
  const cookies = r.results.map((x) => seqOf(control(x, OID.paged).value)[1]!);
  assert.equal(cookies[0]!.tag, 0x04);
  assert.ok(cookies[0]!.value.length > 0 && cookies[1]!.value.length > 0, 'a cookie while more pages remain');
  assert.equal(cookies[2]!.value.length, 0, 'an empty cookie on the last page');
  const dns = r.entries.map((e) => e.dn);
  assert.equal(dns.length, N);
  assert.deepEqual([...new Set(dns)].sort(), allUsers().sort());
  const { searchEntries } = await c.search(ou, { scope: 'one', filter: '(objectClass=user)', attributes: ['cn'], paged: { pageSize: 7 } });
  assert.equal(searchEntries.length, N);
  assert.equal(new Set(searchEntries.map((e) => e.dn)).size, N);
});

test('server-side sort (RFC 2891): ascending, descending, sortResult; an unknown key', async () => {
  const want = Array.from({ length: N }, (_, i) => `d${String(i).padStart(2, '0')}`);
  const up = await search(['-b', ou, '-s', 'one', '-E', '!sss=description', '(objectClass=user)', 'description']);
  assert.equal(up.code, 0, up.stderr);
  assert.deepEqual(up.entries.map((e) => strs(e, 'description')[0]), want);
  const sr = seqOf(control(up.results[0], SORT_RESPONSE).value);
  assert.equal(intOf(sr[0]), 0, 'sortResult success');
  const down = await search(['-b', ou, '-s', 'one', '-E', 'sss=-description', '(objectClass=user)', 'description']);
  assert.equal(down.code, 0, down.stderr);
  assert.deepEqual(down.entries.map((e) => strs(e, 'description')[0]), [...want].reverse());
  assert.equal(intOf(seqOf(control(down.results[0], SORT_RESPONSE).value)[0]), 0);
  // two keys: cn descending within equal sAMAccountType
  const two = await search(['-b', ou, '-s', 'one', '-E', 'sss=sAMAccountType/-cn', '(objectClass=user)', 'cn']);
  assert.deepEqual(two.entries.map((e) => strs(e, 'cn')[0]), want.map((d) => `u${d.slice(1)}`).reverse());
  // a key the server cannot sort on: non-critical → unsorted results and sortResult noSuchAttribute (16)
  const bad = await search(['-b', ou, '-s', 'one', '-E', 'sss=noSuchAttrX', '(objectClass=user)', '1.1']);
  assert.equal(bad.code, 0, bad.stderr);
  assert.equal(bad.entries.length, N);
  const bsr = seqOf(control(bad.results[0], SORT_RESPONSE).value);
  assert.equal(intOf(bsr[0]), 16);
  assert.equal(bsr[1]?.tag, 0x80);
  assert.equal(bsr[1]!.value.toString(), 'noSuchAttrX');
  // critical → unavailableCriticalExtension
  const badCrit = await search(['-b', ou, '-s', 'one', '-E', '!sss=noSuchAttrX', '(objectClass=user)', '1.1']);
  assert.equal(badCrit.code, 12, badCrit.stdout);
  // ldapts' own sort control
  const sort = new ServerSideSortingRequestControl({ critical: true, value: [{ attributeType: 'cn', reverseOrder: true }] });
  const { searchEntries } = await c.search(ou, { scope: 'one', filter: '(objectClass=user)', attributes: ['cn'] }, [sort]);
  assert.deepEqual(searchEntries.map((e) => String(e.cn)), want.map((d) => `u${d.slice(1)}`).reverse());
});

test('VLV with sort: by offset and by value; targetPosition and contentCount; without sort → 60', async () => {
  // ldapsearch asks for the next window on stdin after a successful one; "x" ends it (exit 1)
  const vlv = async (spec: string, sss = 'cn') => {
    const r = await search(['-b', ou, '-s', 'one', '-E', `!sss=${sss}`, '-E', `!vlv=${spec}`, '(objectClass=user)', '1.1'], 'x\n');
    assert.ok(r.results.length >= 1, r.stderr + r.stdout);
    const res = r.results[0]!;
    assert.equal(res.code, 0, r.stdout);
    const v = seqOf(control(res, VLV_RESPONSE).value);
    const dns = r.entries.slice(0, r.entries.length).map((e) => e.dn);
    return { dns, targetPosition: intOf(v[0]), contentCount: intOf(v[1]), result: intOf(v[2]) };
  };
  // before 2, after 3, offset 5 of 25: u02..u07, the target u04 at position 5
  let w = await vlv('2/3/5/25');
  assert.deepEqual(w.dns, [2, 3, 4, 5, 6, 7].map(user));
  assert.deepEqual([w.targetPosition, w.contentCount, w.result], [5, 25, 0]);
  // the first entry, no before
  w = await vlv('0/2/1/25');
  assert.deepEqual(w.dns, [0, 1, 2].map(user));
  assert.deepEqual([w.targetPosition, w.contentCount], [1, 25]);
  // the last entry: the window is cut at the end
  w = await vlv('1/3/25/25');
  assert.deepEqual(w.dns, [23, 24].map(user));
  assert.deepEqual([w.targetPosition, w.contentCount], [25, 25]);
  // contentCount 0 from the client: the offset is taken as the server's own position (draft 5.1)
  w = await vlv('0/0/3/0');
  assert.deepEqual(w.dns, [user(2)]);
  assert.equal(w.targetPosition, 3);
  // greaterThanOrEqual: the first entry whose cn >= "u10"
  w = await vlv('1/1:u10');
  assert.deepEqual(w.dns, [9, 10, 11].map(user));
  assert.deepEqual([w.targetPosition, w.contentCount], [11, 25]);
  // descending sort: the window is of the sorted list
  w = await vlv('0/1/1/25', '-cn');
  assert.deepEqual(w.dns, [24, 23].map(user));
  // without the sort control: sortControlMissing (60) with a VLV response
  const raw = seq(int(0), int(0), tlv(0xa0, Buffer.concat([int(1), int(0)])));
  const r = await search(['-b', ou, '-s', 'one', '-E', ctl(OID.vlv, { critical: true, value: raw }), '(objectClass=user)', '1.1']);
  assert.equal(r.code, 60, r.stdout + r.stderr);
  assert.equal(intOf(seqOf(control(r.results[0], VLV_RESPONSE).value)[2]), 60);
});

test('ranged retrieval: member;range=0-9, then 10-*', async () => {
  const group = `CN=G,${ou}`;
  const a = await search(['-b', group, '-s', 'base', '(objectClass=*)', 'member;range=0-9']);
  assert.equal(a.code, 0, a.stderr);
  const e = a.entries[0]!;
  assert.deepEqual([...e.attrs.keys()], ['member;range=0-9']);
  assert.equal(strs(e, 'member;range=0-9').length, 10);
  const b = await search(['-b', group, '-s', 'base', '(objectClass=*)', 'member;range=10-*']);
  const e2 = b.entries[0]!;
  assert.deepEqual([...e2.attrs.keys()], ['member;range=10-*'], 'the last range is named with * (MS-ADTS 3.1.1.3.1.3.3)');
  const all = [...strs(e, 'member;range=0-9'), ...strs(e2, 'member;range=10-*')];
  assert.deepEqual(all.sort(), allUsers().sort());
});

test('LDAP_SERVER_EXTENDED_DN_OID: <GUID=…>;<SID=…>;dn in objectName and DN-valued attributes, flag 0 hex and 1 string', async () => {
  const group = `CN=G,${ou}`;
  const ids = async (dn: string) => {
    const r = await search(['-b', dn, '-s', 'base', '(objectClass=*)', 'objectGUID', 'objectSid']);
    const e = r.entries[0]!;
    return { guid: bin(e, 'objectGUID'), sid: e.attrs.get('objectsid')?.[0] };
  };
  const g = await ids(group);
  const u3 = await ids(user(3));
  const o = await ids(ou);
  assert.equal(o.sid, undefined, 'an OU has no objectSid');
  for (const [label, value] of [
    ['flag 0', seq(int(0))],
    ['no value (flag 0)', undefined],
  ] as const) {
    const r = await search(['-b', group, '-s', 'base', '-E', ctl(OID.extendedDn, { value }), '(objectClass=*)', 'member', 'cn']);
    assert.equal(r.code, 0, r.stderr);
    const e = r.entries[0]!;
    assert.equal(e.dn, `<GUID=${g.guid.toString('hex')}>;<SID=${g.sid!.toString('hex')}>;${group}`, label);
    const members = strs(e, 'member');
    assert.equal(members.length, N);
    assert.ok(members.includes(`<GUID=${u3.guid.toString('hex')}>;<SID=${u3.sid!.toString('hex')}>;${user(3)}`), `${label}: ${members[0]}`);
    for (const m of members) assert.match(m, /^<GUID=[0-9a-f]{32}>;<SID=[0-9a-f]+>;CN=u\d\d,OU=Ctl,/);
    assert.deepEqual(strs(e, 'cn'), ['G'], 'non-DN attributes are untouched');
  }
  const r1 = await search(['-b', group, '-s', 'base', '-E', ctl(OID.extendedDn, { critical: true, value: seq(int(1)) }), '(objectClass=*)', 'member']);
  assert.equal(r1.code, 0, r1.stderr);
  const e1 = r1.entries[0]!;
  assert.equal(e1.dn, `<GUID=${guidString(g.guid)}>;<SID=${sidString(g.sid!)}>;${group}`);
  assert.ok(strs(e1, 'member').includes(`<GUID=${guidString(u3.guid)}>;<SID=${sidString(u3.sid!)}>;${user(3)}`));
  // an object without objectSid: no SID part
  const ro = await search(['-b', ou, '-s', 'base', '-E', ctl(OID.extendedDn, { value: seq(int(1)) }), '(objectClass=*)', '1.1']);
  assert.deepEqual(ro.entries.map((e) => e.dn), [`<GUID=${guidString(o.guid)}>;${ou}`]);
  // the same through ldapts with a hand-made value
  const { searchEntries } = await c.search(user(3), { scope: 'base', attributes: ['memberOf'] }, [new RawControl(OID.extendedDn, true, seq(int(1)))]);
  assert.equal(searchEntries[0]!.dn, `<GUID=${guidString(u3.guid)}>;<SID=${sidString(u3.sid!)}>;${user(3)}`);
  assert.equal(String(searchEntries[0]!.memberOf), `<GUID=${guidString(g.guid)}>;<SID=${sidString(g.sid!)}>;${group}`);
  // without the control: plain DNs
  const plain = await search(['-b', group, '-s', 'base', '(objectClass=*)', 'member']);
  assert.equal(plain.entries[0]!.dn, group);
  assert.ok(strs(plain.entries[0], 'member').includes(user(3)));
});

test('SHOW_DELETED / SHOW_RECYCLED: a deleted object is seen in CN=Deleted Objects only with them', async () => {
  const dn = `CN=doomed,${ou}`;
  let r0 = await run('ldapadd', auth(), `dn: ${dn}\nobjectClass: user\nsAMAccountName: doomed\n`);
  assert.equal(r0.code, 0, r0.stderr);
  const guid = bin((await search(['-b', dn, '-s', 'base', '(objectClass=*)', 'objectGUID'])).entries[0], 'objectGUID');
  r0 = await run('ldapdelete', [...auth(), dn]);
  assert.equal(r0.code, 0, r0.stderr);
  const deleted = `CN=Deleted Objects,${f.baseDN}`;
  const plain = await search(['-b', f.baseDN, '-E', 'domainScope', '(sAMAccountName=doomed)', 'isDeleted']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(plain.entries.length, 0, 'invisible without the control');
  const plainBase = await search(['-b', deleted, '(sAMAccountName=doomed)', 'isDeleted']);
  assert.equal(plainBase.code, 32, 'CN=Deleted Objects is itself deleted: not there without the control');
  const tomb = `CN=doomed\\0ADEL:${guidString(guid)},${deleted}`;
  for (const oid of [OID.showDeleted, OID.showRecycled]) {
    const r = await search(['-b', deleted, '-E', ctl(oid, { critical: true }), '(sAMAccountName=doomed)', 'isDeleted', 'lastKnownParent', 'objectGUID']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.entries.map((e) => e.dn), [tomb], oid);
    assert.deepEqual(strs(r.entries[0], 'isDeleted'), ['TRUE']);
    assert.deepEqual(strs(r.entries[0], 'lastKnownParent'), [ou]);
    assert.ok(bin(r.entries[0], 'objectGUID').equals(guid), 'the tombstone keeps its objectGUID');
  }
});

// The control's own effect, with the Recycle Bin on, is in recycle-bin.test.ts. Here, with it
// off: a tombstone's link values are removed (MS-ADTS 3.1.1.5.5.1.3), so the control shows nothing more.
test('SHOW_DEACTIVATED_LINK with the Recycle Bin off: a tombstone\'s links are gone, with or without the control', async () => {
  const group = `CN=GD,${ou}`;
  let r = await run('ldapadd', auth(), `dn: CN=victim,${ou}\nobjectClass: user\nsAMAccountName: victim\n\ndn: ${group}\nobjectClass: group\nsAMAccountName: gd\nmember: CN=victim,${ou}\nmember: ${user(1)}\n`);
  assert.equal(r.code, 0, r.stderr);
  r = await run('ldapdelete', [...auth(), `CN=victim,${ou}`]);
  assert.equal(r.code, 0, r.stderr);
  const plain = await search(['-b', group, '-s', 'base', '(objectClass=*)', 'member']);
  assert.deepEqual(strs(plain.entries[0], 'member'), [user(1)], 'a link to a deleted object is not visible without the control');
  const shown = await search(['-b', group, '-s', 'base', '-E', ctl(OID.showDeactivatedLink, { critical: true }), '(objectClass=*)', 'member']);
  assert.equal(shown.code, 0, shown.stderr);
  assert.deepEqual(strs(shown.entries[0], 'member'), [user(1)]);
});

test('DOMAIN_SCOPE and SEARCH_OPTIONS{1}: no continuation references', async () => {
  const plain = await search(['-b', f.baseDN, '(cn=u01)', '1.1']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.deepEqual(plain.entries.map((e) => e.dn), [user(1)]);
  assert.ok(plain.refs.some((x) => /\/CN=Configuration,/i.test(x)), `a reference to the configuration NC: ${plain.stdout}`);
  for (const arg of [ctl(OID.domainScope, { critical: true }), ctl(OID.searchOptions, { critical: true, value: seq(int(1)) })]) {
    const r = await search(['-b', f.baseDN, '-E', arg, '(cn=u01)', '1.1']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.entries.map((e) => e.dn), [user(1)]);
    assert.deepEqual(r.refs, [], arg);
  }
});

test('SEARCH_OPTIONS{2} (phantom root): a subtree search from "" returns objects of every NC', async () => {
  const filter = '(|(cn=u01)(cn=Enterprise Schema)(cn=Person))';
  const r = await search(['-b', '', '-s', 'sub', '-E', ctl(OID.searchOptions, { critical: true, value: seq(int(2)) }), filter, '1.1']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.entries.map((e) => e.dn).sort(), [user(1), `CN=Enterprise Schema,CN=Partitions,CN=Configuration,${f.baseDN}`, `CN=Person,CN=Schema,CN=Configuration,${f.baseDN}`].sort());
  assert.deepEqual(r.refs, []);
  const without = await search(['-b', '', '-s', 'sub', filter, '1.1']);
  assert.equal(without.code, 32, 'without it, a subtree search of "" names no object');
});

test('SD_FLAGS: nTSecurityDescriptor with only the parts asked for', async () => {
  const parse = (sd: Buffer) => ({ revision: sd[0]!, control: sd.readUInt16LE(2), owner: sd.readUInt32LE(4), group: sd.readUInt32LE(8), sacl: sd.readUInt32LE(12), dacl: sd.readUInt32LE(16) });
  const read = async (flags?: number) => {
    const r = await search(['-b', ou, '-s', 'base', ...(flags === undefined ? [] : ['-E', ctl(OID.sdFlags, { critical: true, value: seq(int(flags)) })]), '(objectClass=*)', 'nTSecurityDescriptor']);
    assert.equal(r.code, 0, r.stderr);
    return bin(r.entries[0], 'nTSecurityDescriptor');
  };
  const dacl = await read(4);
  const h = parse(dacl);
  assert.equal(h.revision, 1);
  assert.ok(h.control & 0x8000, 'SE_SELF_RELATIVE');
  assert.ok(h.control & 0x0004, 'SE_DACL_PRESENT');
  assert.equal(h.control & 0x0010, 0, 'no SE_SACL_PRESENT');
  assert.deepEqual([h.owner, h.group, h.sacl], [0, 0, 0], 'no owner, group or SACL');
  assert.ok(h.dacl >= 20 && h.dacl < dacl.length);
  assert.ok([2, 4].includes(dacl[h.dacl]!), 'an ACL revision at the DACL offset');
  assert.ok(dacl.readUInt16LE(h.dacl + 4) > 0, 'the DACL has ACEs');
  const owner = parse(await read(1));
  assert.ok(owner.owner > 0, 'owner only: an owner');
  assert.deepEqual([owner.group, owner.sacl, owner.dacl], [0, 0, 0]);
  assert.equal(owner.control & 0x0004, 0, 'no SE_DACL_PRESENT');
  const full = parse(await read());
  assert.ok(full.owner > 0 && full.group > 0 && full.dacl > 0, 'without the control: owner, group and DACL');
});

test('TREE_DELETE: a non-leaf OU goes with its children; without it, 66', async () => {
  const top = `OU=Tree,${ou}`;
  let r = await run('ldapadd', auth(), `dn: ${top}\nobjectClass: organizationalUnit\n\ndn: OU=Sub,${top}\nobjectClass: organizationalUnit\n\ndn: CN=leafy,OU=Sub,${top}\nobjectClass: user\nsAMAccountName: leafy\n`);
  assert.equal(r.code, 0, r.stderr);
  r = await run('ldapdelete', [...auth(), top]);
  assert.equal(r.code, 66, r.stderr);
  r = await run('ldapdelete', [...auth(), '-e', gctl(OID.treeDelete, { critical: true }), top]);
  assert.equal(r.code, 0, r.stderr);
  for (const dn of [top, `OU=Sub,${top}`, `CN=leafy,OU=Sub,${top}`]) {
    const s = await search(['-b', dn, '-s', 'base', '(objectClass=*)', '1.1']);
    assert.equal(s.code, 32, `${dn} is gone`);
  }
  const tomb = await search(['-b', f.baseDN, '-E', ctl(OID.showDeleted), '-E', 'domainScope', '(sAMAccountName=leafy)', 'isDeleted']);
  assert.deepEqual(strs(tomb.entries[0], 'isDeleted'), ['TRUE'], 'the child became a tombstone');
});

test('PERMISSIVE_MODIFY: adding an existing value / deleting a missing one succeeds with it, 20/16 without', async () => {
  const dn = user(5);
  const add = `dn: ${dn}\nchangetype: modify\nadd: description\ndescription: d05\n`;
  const del = `dn: ${dn}\nchangetype: modify\ndelete: description\ndescription: not-there\n`;
  assert.equal((await ldapmodify(add)).code, 20);
  assert.equal((await ldapmodify(del)).code, 16);
  let r = await ldapmodify(add, gctl(OID.permissiveModify, { critical: true }));
  assert.equal(r.code, 0, r.stderr);
  r = await ldapmodify(del, gctl(OID.permissiveModify, { critical: true }));
  assert.equal(r.code, 0, r.stderr);
  const s = await search(['-b', dn, '-s', 'base', '(objectClass=*)', 'description']);
  assert.deepEqual(strs(s.entries[0], 'description'), ['d05'], 'the value is there once, nothing else changed');
});

// LAZY_COMMIT only permits answering before the flush; forestd always flushes first, so on one
// DC its effect is not observable over LDAP. What is: the critical control is honoured (an
// unknown critical control on the same request is refused and changes nothing).
test('LAZY_COMMIT: accepted on modify, modrdn and delete; the change is there at once; an unknown critical control is not', async () => {
  const lazy = gctl(OID.lazyCommit, { critical: true });
  const refused = await ldapmodify(`dn: ${user(6)}\nchangetype: modify\nreplace: title\ntitle: refused\n`, gctl(UNKNOWN, { critical: true }));
  assert.equal(refused.code, 12, refused.stderr);
  assert.deepEqual(strs((await search(['-b', user(6), '-s', 'base', '(objectClass=*)', 'title'])).entries[0], 'title'), [], 'the refused request changed nothing');
  let r = await ldapmodify(`dn: ${user(6)}\nchangetype: modify\nreplace: title\ntitle: lazy\n`, lazy);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(strs((await search(['-b', user(6), '-s', 'base', '(objectClass=*)', 'title'])).entries[0], 'title'), ['lazy']);
  r = await run('ldapadd', auth(), `dn: CN=lazy1,${ou}\nobjectClass: user\nsAMAccountName: lazy1\n`);
  assert.equal(r.code, 0, r.stderr);
  r = await run('ldapmodrdn', [...auth(), '-e', lazy, '-r', `CN=lazy1,${ou}`, 'CN=lazy2']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await search(['-b', `CN=lazy2,${ou}`, '-s', 'base', '(objectClass=*)', '1.1'])).code, 0);
  r = await run('ldapdelete', [...auth(), '-e', lazy, `CN=lazy2,${ou}`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await search(['-b', `CN=lazy2,${ou}`, '-s', 'base', '(objectClass=*)', '1.1'])).code, 32);
});

test('VERIFY_NAME: accepted on add and modify; a malformed value is refused and changes nothing', async () => {
  const value = seq(int(0), octets(Buffer.from(`dc.${f.realm}`, 'utf16le')));
  const vn = gctl(OID.verifyName, { critical: true, value });
  const dn = `CN=VN,${ou}`;
  let r = await ldapmodify(`dn: ${dn}\nchangetype: add\nobjectClass: group\nsAMAccountName: vn\nmember: ${user(3)}\n`, vn);
  assert.equal(r.code, 0, r.stderr);
  r = await ldapmodify(`dn: ${dn}\nchangetype: modify\nadd: member\nmember: ${user(4)}\n`, vn);
  assert.equal(r.code, 0, r.stderr);
  const s = await search(['-b', dn, '-s', 'base', '(objectClass=*)', 'member']);
  assert.deepEqual(strs(s.entries[0], 'member').sort(), [user(3), user(4)].sort());
  // a DN that does not exist is still refused
  r = await ldapmodify(`dn: ${dn}\nchangetype: modify\nadd: member\nmember: CN=nobody,${ou}\n`, vn);
  assert.equal(r.code, 32, r.stderr);
  // the control is read, not waved through: a ServerName that is not UTF-16 (odd length), critical
  const bad = gctl(OID.verifyName, { critical: true, value: seq(int(0), octets(Buffer.from('abc'))) });
  r = await ldapmodify(`dn: ${dn}\nchangetype: modify\nadd: member\nmember: ${user(5)}\n`, bad);
  assert.equal(r.code, 2, `a malformed critical VERIFY_NAME is a protocolError, as for search controls: ${r.stderr}`);
  assert.deepEqual(strs((await search(['-b', dn, '-s', 'base', '(objectClass=*)', 'member'])).entries[0], 'member').sort(), [user(3), user(4)].sort());
});

test('ASQ: base scope on a group returns its members that match the filter; other scopes 53', async () => {
  const value = seq(octets('member'));
  const r = await search(['-b', `CN=G,${ou}`, '-s', 'base', '-E', ctl(OID.asq, { critical: true, value }), '(description=d1*)', 'description']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.entries.map((e) => e.dn).sort(), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19].map(user).sort());
  // without it, the same base search is about the group itself, which does not match
  const plain = await search(['-b', `CN=G,${ou}`, '-s', 'base', '(description=d1*)', 'description']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.deepEqual(plain.entries, []);
  assert.equal(intOf(seqOf(control(r.results[0], OID.asq).value)[0]), 0, 'ASQ result success');
  const sub = await search(['-b', `CN=G,${ou}`, '-s', 'sub', '-E', ctl(OID.asq, { critical: true, value }), '(description=d1*)', '1.1']);
  assert.equal(sub.code, 53);
  assert.equal(intOf(seqOf(control(sub.results[0], OID.asq).value)[0]), 53);
  // with sort: the members in order
  const sorted = await search(['-b', `CN=G,${ou}`, '-s', 'base', '-E', ctl(OID.asq, { value }), '-E', 'sss=description', '(description=d0*)', '1.1']);
  assert.deepEqual(sorted.entries.map((e) => e.dn), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(user));
});

test('DirSync EX: a first request returns the objects and a cookie', async () => {
  // DirSyncRequestValue ::= SEQUENCE { Flags INTEGER, MaxBytes INTEGER, Cookie OCTET STRING }
  const value = seq(int(0), tlv(0x02, Buffer.from([0x10, 0x00, 0x00])), octets(''));
  const r = await search(['-b', f.baseDN, '-E', ctl(OID.dirSyncEx, { critical: true, value }), '(sAMAccountName=ctl7)', 'description']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.deepEqual(r.entries.map((e) => e.dn), [user(7)]);
  assert.deepEqual(strs(r.entries[0], 'description'), ['d07']);
  const v = seqOf(control(r.results[0], OID.dirSyncEx).value);
  assert.equal(v[2]?.tag, 0x04);
  assert.equal(v[2]!.value.subarray(0, 4).toString('latin1'), 'MSDS', 'a DirSync cookie');
  // without it: the same entry, no DirSync response control
  const plain = await search(['-b', f.baseDN, '(sAMAccountName=ctl7)', 'description']);
  assert.deepEqual(plain.entries.map((e) => e.dn), [user(7)]);
  assert.ok(!plain.results[0]!.controls.some((x) => x.oid === OID.dirSyncEx), 'no DirSync control without the request');
});

test('an unknown control: critical → 12 on search and modify; non-critical ignored', async () => {
  const s = await search(['-b', ou, '-s', 'base', '-E', ctl(UNKNOWN, { critical: true }), '(objectClass=*)', '1.1']);
  assert.equal(s.results[0]?.code, 12, s.stdout);
  assert.equal(s.entries.length, 0);
  const s2 = await search(['-b', ou, '-s', 'base', '-E', ctl(UNKNOWN), '(objectClass=*)', '1.1']);
  assert.equal(s2.code, 0, s2.stderr);
  assert.deepEqual(s2.entries.map((e) => e.dn), [ou]);
  const mod = (v: string) => `dn: ${user(8)}\nchangetype: modify\nreplace: title\ntitle: ${v}\n`;
  let r = await ldapmodify(mod('critical'), gctl(UNKNOWN, { critical: true }));
  assert.equal(r.code, 12, r.stderr);
  r = await ldapmodify(mod('plain'), gctl(UNKNOWN));
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(strs((await search(['-b', user(8), '-s', 'base', '(objectClass=*)', 'title'])).entries[0], 'title'), ['plain'], 'the critical one changed nothing');
  // a control known to search but not to modify, critical: 12 too (RFC 4511 4.1.11 "inappropriate")
  r = await ldapmodify(mod('x'), gctl(OID.asq, { critical: true, value: seq(octets('member')) }));
  assert.equal(r.code, 12, r.stderr);
  // ldapts
  await assert.rejects(c.search(ou, { scope: 'base' }, [new RawControl(UNKNOWN, true)]), (e: Error & { code?: number }) => e.code === 12);
  const { searchEntries } = await c.search(ou, { scope: 'base', attributes: ['1.1'] }, [new RawControl(UNKNOWN, false, seq(int(1)))]);
  assert.equal(searchEntries.length, 1);
});
