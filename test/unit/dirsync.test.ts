// DirSync (MS-ADTS 3.1.1.3.4.1.3, MS-DRSR 5.115), DIRSYNC_EX (3.1.1.3.4.1.29) and change
// notification (3.1.1.3.4.1.9) against a provisioned directory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { provision } from '../../src/dsa/provision/provision.js';
import { Directory } from '../../src/dsa/directory.js';
import { add } from '../../src/dsa/add.js';
import { del as dsaDelete } from '../../src/dsa/delete.js';
import { propertyParams } from '../helpers/property.js';
import { OriginatingUpdate } from '../../src/dsa/originating-update.js';
import { ReadContext } from '../../src/dsa/object-view.js';
import type { OperationContext, SearchSink } from '../../src/dsa/api.js';
import type { Control, OutgoingAttribute, SearchRequest } from '../../src/ldap/protocol/messages.js';
import { DIRSYNC_OID, DirSyncFlags, decodeDirSyncResponse, encodeDirSyncRequest } from '../../src/ldap/controls/dirsync.js';
import { DIRSYNC_EX_OID } from '../../src/ldap/controls/dirsync-ex.js';
import { NOTIFICATION_OID } from '../../src/ldap/controls/notification.js';
import { LdapError } from '../../src/ldap/protocol/result-codes.js';
import { dirSyncSearch, dirSyncControlOf, notificationSearch } from '../../src/dirsync/index.js';
import { decodeCookie, encodeCookie, DirSyncCookieError, MIN_COOKIE_LENGTH } from '../../src/dirsync/cookie.js';
import { guidToString } from '../../src/util/guid.js';
import { tempDir } from '../helpers/tmp.js';

// ---- fixture --------------------------------------------------------------------------------

let dir: Directory;
let dataDir: string;
let cleanup: () => void;
let D: string; // domain NC DN
let seq = 0;

before(async () => {
  const t = tempDir('forestd-dirsync-');
  cleanup = t.cleanup;
  dataDir = t.dir;
  ({ directory: dir } = await provision({ dataDir: t.dir, realm: 'example.com', netbios: 'EXAMPLE', adminPassword: 'Passw0rd!' }));
  D = dir.forest.domainDN;
});
after(async () => {
  await dir.close();
  cleanup();
});

function ctxOf(controls: Control[] = [], opts: { admin?: boolean; session?: number; signal?: AbortSignal } = {}): OperationContext {
  return {
    session: { id: opts.session ?? 1, identity: { dn: `CN=Administrator,CN=Users,${D}`, guid: Buffer.alloc(16), isAdmin: opts.admin ?? true }, encrypted: true, globalCatalog: false, remoteAddress: '127.0.0.1' },
    controls,
    signal: opts.signal ?? new AbortController().signal,
  };
}

const present = (attribute = 'objectClass') => ({ type: 'present' as const, attribute });
function searchReq(base: string, attributes: string[] = [], filter: SearchRequest['filter'] = present()): SearchRequest {
  return { type: 'searchRequest', baseObject: base, scope: 2, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter, attributes };
}

interface Entry {
  dn: string;
  attrs: Map<string, string[]>; // type (as sent) → values as hex/utf8 strings
  raw: OutgoingAttribute[];
}
const str = (v: Buffer | string) => (typeof v === 'string' ? v : v.toString('latin1'));
function collect(): { sink: SearchSink; entries: Entry[] } {
  const entries: Entry[] = [];
  return {
    entries,
    sink: {
      entry(dn, attrs) {
        entries.push({ dn, raw: attrs, attrs: new Map(attrs.map((a) => [a.type.toLowerCase(), a.values.map(str)])) });
      },
      reference() {},
    },
  };
}

interface Page {
  entries: Entry[];
  more: boolean;
  cookie: Buffer;
}
async function dirsync(cookie: Buffer, o: { flags?: number; maxBytes?: number; attrs?: string[]; filter?: SearchRequest['filter']; base?: string; admin?: boolean; oid?: string; critical?: boolean } = {}): Promise<Page> {
  const control: Control = { type: o.oid ?? DIRSYNC_OID, critical: o.critical ?? true, value: encodeDirSyncRequest({ flags: o.flags ?? 0, maxBytes: o.maxBytes ?? 0, cookie }) };
  const { sink, entries } = collect();
  const res = await dirSyncSearch(dir, searchReq(o.base ?? D, o.attrs ?? [], o.filter), ctxOf([control], { admin: o.admin ?? true }), sink, control, { minMaxBytes: 1 });
  const rc = res.controls?.find((c) => c.type === (o.oid ?? DIRSYNC_OID));
  assert.ok(rc, 'response control');
  assert.equal(rc.critical, false);
  const v = decodeDirSyncResponse(rc.type, rc.value);
  assert.equal(v.unused, 0);
  return { entries, more: v.moreResults, cookie: Buffer.from(v.cookie) };
}
/** Runs a whole cycle (all pages); returns the entries of every page. */
async function cycle(cookie: Buffer, o: Parameters<typeof dirsync>[1] = {}): Promise<{ entries: Entry[]; cookie: Buffer; pages: number }> {
  const all: Entry[] = [];
  let c = cookie;
  for (let pages = 1; ; pages++) {
    const p = await dirsync(c, o);
    all.push(...p.entries);
    c = p.cookie;
    if (!p.more) return { entries: all, cookie: c, pages };
    assert.ok(pages < 10_000, 'cycle does not end');
  }
}

// ---- changes: add() for creation, originating updates for the rest ---------------------------

const A = (n: string) => dir.schema.attr(n)!;
const guidOf = (dn: string) => dir.resolve(dir.store.reader, dn, 'test');

async function addObject(dn: string, attrs: Record<string, string | string[]>): Promise<Buffer> {
  await add(dir, { type: 'addRequest', entry: dn, attributes: Object.entries(attrs).map(([type, v]) => ({ type, values: (Array.isArray(v) ? v : [v]).map((x) => Buffer.from(x)) })) }, ctxOf());
  return guidOf(dn);
}
const addOU = (name: string, parent = D) => addObject(`OU=${name},${parent}`, { objectClass: 'organizationalUnit' });
const addContact = (name: string, parent: string, extra: Record<string, string | string[]> = {}) => addObject(`CN=${name},${parent}`, { objectClass: 'contact', ...extra });
const addGroup = (name: string, parent: string) => addObject(`CN=${name},${parent}`, { objectClass: 'group', sAMAccountName: `g${++seq}${name}`.slice(0, 20) });

function update(guid: Buffer, body: (u: OriginatingUpdate, rec: import('../../src/store/record.js').ObjectRecord) => void): Promise<void> {
  return dir.store.write((w) => {
    const u = new OriginatingUpdate(w, dir.store.dc.invocationId, dir.clock);
    const prev = w.getObject(guid)!;
    const rec = structuredClone(prev);
    body(u, rec);
    u.touch(rec);
    w.putObject(guid, rec, prev);
  });
}
const setAttr = (guid: Buffer, name: string, values: unknown[]) => update(guid, (u, rec) => u.setAttribute(rec, A(name), values));
const addMember = (group: Buffer, member: Buffer) => update(group, (u) => void u.addLinkValue(group, A('member').id, A('member').forwardLinkId!, member));
const removeMember = (group: Buffer, member: Buffer) => update(group, (u) => void u.removeLinkValue(group, A('member').forwardLinkId!, member));
/** Rename and/or move: the RDN, name and parent change; name is stamped (MS-ADTS 3.1.1.1.4). */
const rename = (guid: Buffer, newName: string, newParent?: Buffer) =>
  update(guid, (u, rec) => {
    rec.name = newName;
    if (newParent) rec.parent = newParent;
    u.setAttribute(rec, A('name'), [newName]);
    u.setAttribute(rec, dir.schema.attrById(rec.rdnType)!, [newName]);
  });
/** Deletion through the DSA's own delete (MS-ADTS 3.1.1.5.5: the tombstone is its work, not the test's). */
const del = async (guid: Buffer): Promise<void> => {
  await dsaDelete(dir, { type: 'delRequest', entry: dir.dnOf(dir.store.reader, guid) }, ctxOf());
};

const hexGuid = (g: Buffer) => g.toString('latin1');
const entryGuid = (e: Entry) => e.attrs.get('objectguid')![0]!;

// ---- the cookie --------------------------------------------------------------------------

test('cookie: MS-DRSR 5.115.2.1 layout round-trips, with and without a UTD vector', () => {
  const inv = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const base = { creationTime: 133_000_000_000_000_000n, ncTag: Buffer.from('0102030405060708', 'hex'), usnHighObjUpdate: 4321, resumeTag: Buffer.alloc(8), usnHighPropUpdate: 4321, invocationId: inv };
  const noUtd = encodeCookie({ ...base, utd: [] });
  assert.equal(noUtd.length, MIN_COOKIE_LENGTH);
  assert.equal(noUtd.subarray(0, 4).toString('latin1'), 'MSDS');
  assert.equal(noUtd.readUInt32LE(4), 3);
  assert.equal(noUtd.readUInt32LE(24), 0);
  assert.equal(noUtd.readBigInt64LE(28), 4321n);
  assert.equal(noUtd.readBigInt64LE(44), 4321n);
  assert.deepEqual(noUtd.subarray(52, 68), inv);
  assert.equal(noUtd.toString('base64').slice(0, 11), 'TVNEUwMAAAA'); // what AD's cookies start with
  const other = Buffer.alloc(16, 0x77);
  const withUtd = encodeCookie({ ...base, utd: [{ invocationId: other, usn: 99 }, { invocationId: inv, usn: 4321 }] });
  assert.equal(withUtd.length, 68 + 16 + 2 * 24);
  assert.equal(withUtd.readUInt32LE(24), 16 + 2 * 24);
  assert.equal(withUtd.readUInt32LE(68), 1);
  assert.equal(withUtd.readUInt32LE(76), 2);
  const d = decodeCookie(withUtd);
  assert.equal(d.usnHighObjUpdate, 4321);
  assert.equal(d.usnHighPropUpdate, 4321);
  assert.deepEqual(d.invocationId, inv);
  assert.deepEqual(d.ncTag, base.ncTag);
  assert.deepEqual(
    d.utd.map((c) => [c.invocationId.toString('hex'), c.usn]),
    [
      [inv.toString('hex'), 4321],
      [other.toString('hex'), 99],
    ],
  );
  fc.assert(
    fc.property(fc.nat(2 ** 40), fc.nat(2 ** 40), fc.array(fc.tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.nat(2 ** 40)), { maxLength: 5 }), (a, b, cur) => {
      const utd = [...new Map(cur.map(([g, u]) => [Buffer.from(g).toString('hex'), { invocationId: Buffer.from(g), usn: u }])).values()];
      const c = decodeCookie(encodeCookie({ ...base, usnHighObjUpdate: a, usnHighPropUpdate: b, utd }));
      assert.equal(c.usnHighObjUpdate, a);
      assert.equal(c.usnHighPropUpdate, b);
      assert.equal(c.utd.length, utd.length);
    }),
  );
});

test('cookie: corrupt cookies are refused with typed errors (MS-DRSR 5.115.11)', () => {
  const good = encodeCookie({ creationTime: 1n, ncTag: Buffer.alloc(8), usnHighObjUpdate: 5, resumeTag: Buffer.alloc(8), usnHighPropUpdate: 5, invocationId: Buffer.alloc(16, 1), utd: [{ invocationId: Buffer.alloc(16, 1), usn: 5 }] });
  const code = (b: Buffer) => {
    try {
      decodeCookie(b);
      return 'ok';
    } catch (e) {
      assert.ok(e instanceof DirSyncCookieError);
      return e.code;
    }
  };
  assert.equal(code(good), 'ok');
  assert.equal(code(good.subarray(0, 67)), 'ERR_DIRSYNC_COOKIE_LENGTH');
  assert.equal(code(Buffer.from('garbage')), 'ERR_DIRSYNC_COOKIE_LENGTH');
  const sig = Buffer.from(good);
  sig.write('SDSM', 0, 'latin1');
  assert.equal(code(sig), 'ERR_DIRSYNC_COOKIE_SIGNATURE');
  const ver = Buffer.from(good);
  ver.writeUInt32LE(2, 4);
  assert.equal(code(ver), 'ERR_DIRSYNC_COOKIE_VERSION');
  const utdVer = Buffer.from(good);
  utdVer.writeUInt32LE(2, 68);
  assert.equal(code(utdVer), 'ERR_DIRSYNC_COOKIE_UTD');
  const utdCount = Buffer.from(good);
  utdCount.writeUInt32LE(3, 76);
  assert.equal(code(utdCount), 'ERR_DIRSYNC_COOKIE_UTD');
  // trailing bytes after the vector
  assert.equal(code(Buffer.concat([good, Buffer.alloc(4)])), 'ERR_DIRSYNC_COOKIE_UTD');
  // a utdVectorSize larger than the cookie means "no vector", as Windows reads it
  const big = Buffer.from(good.subarray(0, 68));
  big.writeUInt32LE(1000, 24);
  assert.equal(code(big), 'ok');
  assert.equal(decodeCookie(big).utd.length, 0);
});

// ---- the search --------------------------------------------------------------------------

/** Every object of the domain NC, from the store. */
function ncObjects(nc = dir.forest.domainNC): Buffer[] {
  const out: Buffer[] = [];
  for (const { guid } of dir.store.reader.changedSince(nc, 0)) out.push(Buffer.from(guid));
  return out;
}

test('initial sync: every object of the NC once, parents before children, objectGUID/instanceType/parentGUID', async () => {
  const { entries, cookie, pages } = await cycle(Buffer.alloc(0));
  assert.equal(pages, 1);
  const all = ncObjects();
  assert.equal(entries.length, all.length);
  const seen = new Set<string>();
  for (const e of entries) {
    const g = entryGuid(e);
    assert.ok(!seen.has(g), `duplicate ${e.dn}`);
    seen.add(g);
    assert.ok(e.attrs.has('instancetype'));
    const rec = dir.store.reader.getObject(Buffer.from(g, 'latin1'))!;
    if (rec.parent) {
      assert.equal(e.attrs.get('parentguid')![0], hexGuid(rec.parent));
      if (rec.parent && all.some((x) => x.equals(rec.parent!))) assert.ok(seen.has(hexGuid(rec.parent)), `${e.dn} came before its parent`);
    }
    // secret attributes never travel
    for (const t of e.attrs.keys()) assert.ok(!dir.schema.attr(t.split(';')[0]!)?.secret, `secret ${t} returned`);
  }
  const c = decodeCookie(cookie);
  assert.deepEqual(c.invocationId, dir.store.dc.invocationId);
  assert.equal(c.usnHighPropUpdate, c.usnHighObjUpdate);
  assert.ok(c.utd.some((u) => u.invocationId.equals(dir.store.dc.invocationId)));
  // nothing changed: the next search returns nothing
  const again = await cycle(cookie);
  assert.equal(again.entries.length, 0);
});

test('incremental sync: exactly the changed objects with exactly the changed attributes', async () => {
  const ou = await addOU('Inc');
  const ouDN = `OU=Inc,${D}`;
  const c1 = await addContact('Alice', ouDN, { description: 'first', telephoneNumber: '123' });
  const c2 = await addContact('Bob', ouDN);
  const g = await addGroup('Staff', ouDN);
  const { cookie: start } = await cycle(Buffer.alloc(0));

  // modify one attribute
  await setAttr(c1, 'description', ['second']);
  let r = await cycle(start);
  assert.deepEqual(r.entries.map(entryGuid), [hexGuid(c1)]);
  // parentGUID only with a creation, rename or move (MS-ADA3 Parent-GUID; issue #13)
  assert.deepEqual([...r.entries[0]!.attrs.keys()].sort(), ['description', 'instancetype', 'objectguid']);
  assert.deepEqual(r.entries[0]!.attrs.get('description'), ['second']);
  let cookie = r.cookie;

  // remove all values: the attribute comes back with no values
  await setAttr(c1, 'telephoneNumber', []);
  r = await cycle(cookie);
  assert.deepEqual(r.entries[0]!.attrs.get('telephonenumber'), []);
  cookie = r.cookie;

  // a no-op (a write that changes no attribute) is not reported
  await update(c2, () => {});
  r = await cycle(cookie);
  assert.equal(r.entries.length, 0);
  cookie = r.cookie;

  // rename + move: new DN, new parent
  const ou2 = await addOU('Inc2');
  await rename(c2, 'Robert', ou2);
  r = await cycle(cookie);
  const robert = r.entries.find((e) => entryGuid(e) === hexGuid(c2))!;
  assert.equal(robert.dn, `CN=Robert,OU=Inc2,${D}`);
  assert.equal(robert.attrs.get('parentguid')![0], hexGuid(ou2));
  assert.deepEqual(robert.attrs.get('name'), ['Robert']);
  assert.ok(!robert.attrs.has('description'));
  cookie = r.cookie;

  // member changes without INCREMENTAL_VALUES: the whole value set
  await addMember(g, c1);
  await addMember(g, c2);
  r = await cycle(cookie);
  assert.deepEqual(r.entries.map(entryGuid), [hexGuid(g)]);
  assert.deepEqual(r.entries[0]!.attrs.get('member')!.sort(), [`CN=Alice,${ouDN}`, `CN=Robert,OU=Inc2,${D}`]);
  const beforeRemove = cookie;
  cookie = r.cookie;
  await removeMember(g, c1);
  r = await cycle(cookie);
  assert.deepEqual(r.entries[0]!.attrs.get('member'), [`CN=Robert,OU=Inc2,${D}`]);

  // with INCREMENTAL_VALUES: removed as member;range=0-0, added as member;range=1-1
  r = await cycle(beforeRemove, { flags: DirSyncFlags.INCREMENTAL_VALUES });
  const ge = r.entries.find((e) => entryGuid(e) === hexGuid(g))!;
  assert.deepEqual(ge.attrs.get('member;range=1-1'), [`CN=Robert,OU=Inc2,${D}`]);
  assert.deepEqual(ge.attrs.get('member;range=0-0'), [`CN=Alice,${ouDN}`]);
  assert.ok(!ge.attrs.has('member'));
  cookie = r.cookie;

  // delete: isDeleted TRUE, DN in Deleted Objects
  await del(c1);
  r = await cycle(cookie);
  const dead = r.entries.find((e) => entryGuid(e) === hexGuid(c1))!;
  assert.ok(dead, 'deleted object reported');
  assert.deepEqual(dead.attrs.get('isdeleted'), ['TRUE']);
  assert.match(dead.dn, new RegExp(`,CN=Deleted Objects,${D}$`));
  void ou;
});

test('attribute list: only objects whose requested attributes changed; DIRSYNC_EX ;dirSyncAlwaysReturn', async () => {
  const ouDN = `OU=Sel,${D}`;
  await addOU('Sel');
  const a = await addContact('Carol', ouDN, { description: 'd', telephoneNumber: '1' });
  const { cookie } = await cycle(Buffer.alloc(0), { attrs: ['description'] });
  await setAttr(a, 'telephoneNumber', ['2']);
  let r = await cycle(cookie, { attrs: ['description'] });
  assert.equal(r.entries.length, 0, 'a change to an attribute not requested does not report the object');
  r = await cycle(cookie, { attrs: ['*', 'telephoneNumber'] });
  assert.deepEqual([...r.entries[0]!.attrs.keys()].sort(), ['instancetype', 'objectguid', 'telephonenumber']);
  // DIRSYNC_EX returns unchanged attributes asked for with ;dirSyncAlwaysReturn
  r = await cycle(cookie, { oid: DIRSYNC_EX_OID, attrs: ['telephoneNumber', 'description;dirSyncAlwaysReturn'] });
  assert.deepEqual(r.entries[0]!.attrs.get('description'), ['d']);
  assert.deepEqual(r.entries[0]!.attrs.get('telephonenumber'), ['2']);
  // … but the plain control does not
  r = await cycle(cookie, { attrs: ['telephoneNumber', 'description;dirSyncAlwaysReturn'] });
  assert.ok(!r.entries[0]!.attrs.has('description'));
});

test('attribute list with a forward link: its values travel when it is listed beside other attributes, and a list without one reads no link values', async () => {
  const ouDN = `OU=SelLinks,${D}`;
  await addOU('SelLinks');
  const g = await addGroup('Team', ouDN);
  const m = await addContact('Dora', ouDN);
  const { cookie } = await cycle(Buffer.alloc(0), { attrs: ['description', 'member'] });
  await addMember(g, m);
  let r = await cycle(cookie, { attrs: ['description', 'member'] });
  assert.deepEqual(r.entries.map(entryGuid), [hexGuid(g)]);
  assert.deepEqual(r.entries[0]!.attrs.get('member'), [`CN=Dora,${ouDN}`]);
  // negative control: without member in the list the same change reports nothing
  r = await cycle(cookie, { attrs: ['description', 'name'] });
  assert.equal(r.entries.length, 0);
  // and a list without a link attribute never reads link values (the store's links() is not called)
  const proto = Object.getPrototypeOf(dir.store.reader) as { links: (...a: unknown[]) => unknown };
  const orig = proto.links;
  let calls = 0;
  proto.links = function (this: unknown, ...a: unknown[]) {
    calls++;
    return orig.apply(this, a);
  };
  try {
    await cycle(Buffer.alloc(0), { attrs: ['description', 'name'] });
    assert.equal(calls, 0, 'no link values read for a list without a link attribute');
    await cycle(Buffer.alloc(0), { attrs: ['description', 'member'] });
    assert.ok(calls > 0, 'with member in the list they are');
  } finally {
    proto.links = orig;
  }
});

test('filter: equality, AND/OR/NOT over the object', async () => {
  const ouDN = `OU=Flt,${D}`;
  await addOU('Flt');
  await addContact('Dan', ouDN, { description: 'x' });
  await addContact('Eve', ouDN, { description: 'y' });
  const eq = (attribute: string, v: string) => ({ type: 'equalityMatch' as const, attribute, value: Buffer.from(v) });
  let r = await cycle(Buffer.alloc(0), { filter: { type: 'and', filters: [eq('objectClass', 'contact'), eq('description', 'x')] } });
  assert.deepEqual(r.entries.map((e) => e.dn), [`CN=Dan,${ouDN}`]);
  r = await cycle(Buffer.alloc(0), { filter: { type: 'and', filters: [eq('objectClass', 'contact'), { type: 'not', filter: eq('description', 'x') }] } });
  assert.ok(r.entries.some((e) => e.dn === `CN=Eve,${ouDN}`) && !r.entries.some((e) => e.dn === `CN=Dan,${ouDN}`));
  r = await cycle(Buffer.alloc(0), { filter: { type: 'or', filters: [eq('cn', 'Dan'), eq('cn', 'Eve')] } });
  assert.equal(r.entries.length, 2);
});

test('errors: base, rights, controls and cookies as AD answers them', async () => {
  const codeOf = async (p: Promise<unknown>) => {
    try {
      await p;
      return 0;
    } catch (e) {
      assert.ok(e instanceof LdapError, String(e));
      return e.resultCode;
    }
  };
  // base not an NC root: insufficientAccessRights without OBJECT_SECURITY, unwillingToPerform with it
  assert.equal(await codeOf(dirsync(Buffer.alloc(0), { base: `CN=Users,${D}` })), 50);
  assert.equal(await codeOf(dirsync(Buffer.alloc(0), { base: `CN=Users,${D}`, flags: DirSyncFlags.OBJECT_SECURITY })), 53);
  assert.equal(await codeOf(dirsync(Buffer.alloc(0), { base: `CN=Nope,${D}` })), 32);
  // no DS-Replication-Get-Changes: refused without OBJECT_SECURITY, allowed with it
  assert.equal(await codeOf(dirsync(Buffer.alloc(0), { admin: false })), 50);
  assert.equal(await codeOf(dirsync(Buffer.alloc(0), { admin: false, flags: DirSyncFlags.OBJECT_SECURITY })), 0);
  // corrupt cookie: protocolError, never a silent full resync
  assert.equal(await codeOf(dirsync(Buffer.from('not a cookie at all'))), 2);
  const { cookie } = await cycle(Buffer.alloc(0));
  const flipped = Buffer.from(cookie);
  flipped.writeUInt32LE(7, 4);
  assert.equal(await codeOf(dirsync(flipped)), 2);
  // a cookie of another NC
  assert.equal(await codeOf(dirsync(cookie, { base: dir.forest.configDN })), 2);
  // a cookie from the future (this DC's invocationId, a USN not yet reached)
  const c = decodeCookie(cookie);
  const future = encodeCookie({ ...c, usnHighObjUpdate: c.usnHighObjUpdate + 1000, usnHighPropUpdate: c.usnHighPropUpdate + 1000 });
  assert.equal(await codeOf(dirsync(future)), 2);
  // a Windows-style cookie (reserved = 0) is accepted for any NC
  assert.equal(await codeOf(dirsync(encodeCookie({ ...c, ncTag: Buffer.alloc(8) }), { base: dir.forest.configDN })), 0);
  // controls: DIRSYNC + DIRSYNC_EX together is protocolError; a bad value is unavailableCriticalExtension
  // when critical and ignored otherwise (MS-ADTS 3.1.1.3.4.1)
  const ok = { type: DIRSYNC_OID, critical: true, value: encodeDirSyncRequest({ flags: 0, maxBytes: 0, cookie: Buffer.alloc(0) }) };
  assert.throws(() => dirSyncControlOf([ok, { ...ok, type: DIRSYNC_EX_OID }]), (e: LdapError) => e.resultCode === 2);
  assert.throws(() => dirSyncControlOf([{ ...ok, value: Buffer.from([1, 2, 3]) }]), (e: LdapError) => e.resultCode === 12);
  assert.equal(dirSyncControlOf([{ ...ok, critical: false, value: Buffer.from([1, 2, 3]) }]), undefined);
  assert.equal(dirSyncControlOf([ok]), ok);
});

test('a cookie survives a restart and another DC honours it through its UTD vector', async () => {
  const ouDN = `OU=Utd,${D}`;
  await addOU('Utd');
  const x = await addContact('Frank', ouDN);
  const { cookie } = await cycle(Buffer.alloc(0));
  await setAttr(x, 'description', ['changed']);
  // the same cookie as another DC would see it: another invocationId in the header (so the USN
  // vector is ignored, MS-DRSR 5.115.11) but the UTD vector names this DC's changes it has seen
  const c = decodeCookie(cookie);
  const foreign = encodeCookie({ ...c, invocationId: Buffer.alloc(16, 0xab), usnHighObjUpdate: 1, usnHighPropUpdate: 1 });
  const r = await cycle(foreign);
  assert.deepEqual(r.entries.map(entryGuid), [hexGuid(x)], 'only the change after the UTD cursor');
  assert.deepEqual([...r.entries[0]!.attrs.keys()].sort(), ['description', 'instancetype', 'objectguid']);
});

test('MaxBytes: below the 0x100000 minimum it is raised to it (MS-ADTS 3.1.1.3.4.1.3)', async () => {
  const control: Control = { type: DIRSYNC_OID, critical: true, value: encodeDirSyncRequest({ flags: 0, maxBytes: 10, cookie: Buffer.alloc(0) }) };
  const { sink, entries } = collect();
  const res = await dirSyncSearch(dir, searchReq(D), ctxOf([control]), sink, control);
  assert.equal(entries.length, ncObjects().length);
  assert.equal(decodeDirSyncResponse(DIRSYNC_OID, res.controls![0]!.value).moreResults, false);
});

// ---- paging: a replayed DirSync stream equals a full read ------------------------------------

type Mirror = Map<string, { dn: string; attrs: Map<string, Set<string>> }>;
/** DN values name objects whose DN may change later without the referring object changing:
 * a mirror keeps them by objectGUID, as DirSync consumers do (with the extended DN control). */
function byGuid(type: string, vals: string[]): string[] {
  if (dir.schema.attr(type)?.syntax.name !== 'Object(DS-DN)') return vals;
  return vals.map((v) => {
    const res = dir.tryResolve(dir.store.reader, v);
    return res.found ? hexGuid(res.guid) : `?${v}`;
  });
}
function replay(mirror: Mirror, entries0: Entry[]): void {
  const entries = entries0.map((e) => ({ ...e, attrs: new Map([...e.attrs].map(([t, v]) => [t, byGuid(t.split(';')[0]!, v)])) }));
  for (const e of entries) {
    const g = entryGuid(e);
    let m = mirror.get(g);
    if (!m) mirror.set(g, (m = { dn: e.dn, attrs: new Map() }));
    m.dn = e.dn;
    for (const [t, vals] of e.attrs) {
      if (t === 'objectguid' || t === 'parentguid') continue;
      const base = t.split(';')[0]!;
      if (t.endsWith(';range=1-1')) {
        const s = m.attrs.get(base) ?? new Set();
        for (const v of vals) s.add(v);
        m.attrs.set(base, s);
      } else if (t.endsWith(';range=0-0')) {
        const s = m.attrs.get(base);
        for (const v of vals) s?.delete(v);
        if (s && s.size === 0) m.attrs.delete(base);
      } else if (vals.length === 0) m.attrs.delete(base);
      else m.attrs.set(base, new Set(vals));
    }
  }
}
function assertSameMirror(got: Mirror, want: Mirror): void {
  assert.equal(got.size, want.size, 'object count');
  for (const [g, w] of want) {
    const m = got.get(g);
    assert.ok(m, `missing ${w.dn}`);
    assert.equal(m.dn, w.dn);
    const norm = (x: Map<string, Set<string>>) => Object.fromEntries([...x].map(([k, v]) => [k, [...v].sort()]).sort());
    assert.deepEqual(norm(m.attrs), norm(w.attrs), w.dn);
  }
}
function assertCycleShape(entries: Entry[], parentsFirst: boolean): void {
  const seen = new Map<string, number>();
  entries.forEach((e, i) => {
    const g = entryGuid(e);
    assert.ok(!seen.has(g), `duplicated in one cycle: ${e.dn}`);
    seen.set(g, i);
  });
  if (!parentsFirst) return;
  entries.forEach((e, i) => {
    const p = e.attrs.get('parentguid')?.[0];
    if (p !== undefined && seen.has(p)) assert.ok(seen.get(p)! < i, `${e.dn} before its parent`);
  });
}

test('paging: the initial state in small pages equals it in one page, parents first', async () => {
  await addOU('P0');
  const first = await cycle(Buffer.alloc(0), { maxBytes: 700 });
  assert.ok(first.pages > 3, `paged (${first.pages} pages)`);
  assertCycleShape(first.entries, true);
  const paged: Mirror = new Map();
  replay(paged, first.entries);
  const whole: Mirror = new Map();
  replay(whole, (await cycle(Buffer.alloc(0))).entries);
  assertSameMirror(paged, whole);
  // every object of the NC, under the DN the directory derives (not through DirSync's encoder)
  const all = ncObjects();
  assert.deepEqual([...paged.keys()].sort(), all.map(hexGuid).sort());
  for (const g of all) assert.equal(paged.get(hexGuid(g))!.dn, dir.dnOf(dir.store.reader, g));
});

/** What the test did, kept by the test: the oracle for the DirSync stream (no shared encoder). */
interface ModelObject {
  guid: Buffer;
  kind: 'contact' | 'group';
  name: string;
  ou: number;
  desc: string | null;
  members: Set<string>;
  deleted: boolean;
}

test('paging: random changes and random page sizes lose and duplicate nothing (model-based, fast-check)', async () => {
  const op = fc.oneof(
    fc.record({ t: fc.constant('contact' as const), ou: fc.nat(1) }),
    fc.record({ t: fc.constant('group' as const), ou: fc.nat(1) }),
    fc.record({ t: fc.constant('desc' as const), i: fc.nat(), v: fc.option(fc.stringMatching(/^[a-z]{1,6}$/)) }),
    fc.record({ t: fc.constant('member' as const), i: fc.nat(), j: fc.nat(), add: fc.boolean() }),
    fc.record({ t: fc.constant('rename' as const), i: fc.nat(), ou: fc.option(fc.nat(1)) }),
    fc.record({ t: fc.constant('del' as const), i: fc.nat() }),
    fc.record({ t: fc.constant('ou' as const), ou: fc.nat(1), v: fc.stringMatching(/^[a-z]{1,6}$/) }),
  );
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 8 }), fc.integer({ min: 1, max: 2500 }), fc.boolean(), fc.boolean(), async (ops, maxBytes, iv, afo) => {
      // Fresh state per run: two new OUs, a cookie taken now (a full sync), an empty mirror and
      // model. Nothing is carried from an earlier run, so a failing case replays and shrinks.
      const k = ++run;
      const ouNames = [`Pa${k}`, `Pb${k}`];
      const ous = [await addOU(ouNames[0]!), await addOU(ouNames[1]!)];
      const ouDesc: (string | null)[] = [null, null];
      const { cookie } = await cycle(Buffer.alloc(0));
      const model: ModelObject[] = [];
      let n = 0;
      const live = () => model.filter((x) => !x.deleted);
      const pick = (i: number, kind?: 'group') => {
        const c = live().filter((x) => !kind || x.kind === kind);
        return c.length ? c[i % c.length] : undefined;
      };
      for (const o of ops) {
        switch (o.t) {
          case 'contact':
          case 'group': {
            const name = `${o.t}${k}x${++n}`;
            const parentDN = `OU=${ouNames[o.ou]},${D}`;
            const guid = o.t === 'contact' ? await addContact(name, parentDN) : await addGroup(name, parentDN);
            model.push({ guid, kind: o.t, name, ou: o.ou, desc: null, members: new Set(), deleted: false });
            break;
          }
          case 'desc': {
            const x = pick(o.i);
            if (!x) break;
            await setAttr(x.guid, 'description', o.v === null ? [] : [o.v]);
            x.desc = o.v;
            break;
          }
          case 'member': {
            const g = pick(o.i, 'group');
            const m = pick(o.j);
            if (!g || !m || g === m) break;
            const has = g.members.has(hexGuid(m.guid));
            if (o.add && !has) {
              await addMember(g.guid, m.guid);
              g.members.add(hexGuid(m.guid));
            }
            if (!o.add && has) {
              await removeMember(g.guid, m.guid);
              g.members.delete(hexGuid(m.guid));
            }
            break;
          }
          case 'rename': {
            const x = pick(o.i);
            if (!x) break;
            x.name = `r${k}x${++n}`;
            if (o.ou !== null) x.ou = o.ou;
            await rename(x.guid, x.name, o.ou === null ? undefined : ous[o.ou]);
            break;
          }
          case 'del': {
            const x = pick(o.i);
            if (!x) break;
            // member values naming it are removed first, by the groups' own updates
            for (const g of live().filter((y) => y.kind === 'group' && y.members.has(hexGuid(x.guid)))) {
              await removeMember(g.guid, x.guid);
              g.members.delete(hexGuid(x.guid));
            }
            await del(x.guid);
            x.deleted = true;
            break;
          }
          case 'ou':
            // a parent changed after its children: ancestors-first must pull it forward
            await setAttr(ous[o.ou]!, 'description', [o.v]);
            ouDesc[o.ou] = o.v;
            break;
        }
      }
      const flags = (iv ? DirSyncFlags.INCREMENTAL_VALUES : 0) | (afo ? DirSyncFlags.ANCESTORS_FIRST_ORDER : 0);
      const c = await cycle(cookie, { maxBytes, flags });
      assertCycleShape(c.entries, afo);
      const mirror: Mirror = new Map();
      replay(mirror, c.entries);
      // exactly the objects this run changed: its new objects and the OUs it modified
      const want = new Set([...model.map((x) => hexGuid(x.guid)), ...ous.filter((_, i) => ouDesc[i] !== null).map(hexGuid)]);
      assert.deepEqual([...mirror.keys()].sort(), [...want].sort(), 'the objects reported');
      for (const [i, g] of ous.entries()) {
        if (ouDesc[i] !== null) assert.deepEqual([...mirror.get(hexGuid(g))!.attrs.get('description')!], [ouDesc[i]]);
      }
      for (const x of model) {
        const m = mirror.get(hexGuid(x.guid))!;
        if (x.deleted) {
          assert.ok(m.dn.toLowerCase().startsWith(`cn=${x.name}\\0adel:${guidToString(x.guid)},cn=deleted objects,`.toLowerCase()), m.dn);
          assert.deepEqual([...(m.attrs.get('isdeleted') ?? [])], ['TRUE']);
          continue;
        }
        assert.equal(m.dn, `CN=${x.name},OU=${ouNames[x.ou]},${D}`);
        assert.deepEqual([...(m.attrs.get('name') ?? [])], [x.name]);
        assert.deepEqual(m.attrs.has('description') ? [...m.attrs.get('description')!] : null, x.desc === null ? null : [x.desc], `${m.dn} description`);
        if (x.kind === 'group') assert.deepEqual([...(m.attrs.get('member') ?? [])].sort(), [...x.members].sort(), `${m.dn} member`);
      }
    }),
    propertyParams(40),
  );
});

test('parentGUID travels with a creation, a rename or a move, not with other changes (MS-ADA3 Parent-GUID)', async () => {
  const ou = await addOU('PG');
  const ou2 = await addOU('PG2');
  const c = await addContact('Pat', `OU=PG,${D}`);
  let { cookie } = await cycle(Buffer.alloc(0));
  const keys = async () => {
    const r = await cycle(cookie);
    cookie = r.cookie;
    const e = r.entries.find((x) => entryGuid(x) === hexGuid(c))!;
    return e.attrs;
  };
  await setAttr(c, 'description', ['x']);
  assert.equal((await keys()).has('parentguid'), false, 'a modify does not resend parentGUID');
  await rename(c, 'Pat2');
  let a = await keys();
  assert.equal(a.get('parentguid')![0], hexGuid(ou), 'a rename sends it');
  assert.equal(a.has('cn'), true, 'the RDN attribute travels when it changed');
  await setAttr(c, 'description', ['y']);
  a = await keys();
  assert.equal(a.has('cn'), false, 'and only then');
  assert.equal(a.has('name'), false);
  await rename(c, 'Pat2', ou2);
  assert.equal((await keys()).get('parentguid')![0], hexGuid(ou2), 'a move sends the new parent');
});

test('DirSync honours LDAP_SERVER_EXTENDED_DN_OID: entry DNs and DN values in the extended form', async () => {
  const { EXTENDED_DN_OID } = await import('../../src/ldap/controls/extended-dn.js');
  const g = await addGroup('ExtG', D);
  const m = await addContact('ExtM', D);
  const { cookie } = await cycle(Buffer.alloc(0));
  await addMember(g, m);
  const run = async (controls: Control[]) => {
    const control: Control = { type: DIRSYNC_OID, critical: true, value: encodeDirSyncRequest({ flags: 0, maxBytes: 0, cookie }) };
    const { sink, entries } = collect();
    await dirSyncSearch(dir, searchReq(D, ['member']), ctxOf([control, ...controls]), sink, control, { minMaxBytes: 1 });
    return entries.find((e) => entryGuid(e) === hexGuid(g))!;
  };
  // flag 1 (SEQUENCE { INTEGER 1 }): GUIDs in their string form
  const ext = await run([{ type: EXTENDED_DN_OID, critical: false, value: Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]) }]);
  assert.ok(ext.dn.startsWith(`<GUID=${guidToString(g)}>;`), ext.dn);
  assert.ok(ext.attrs.get('member')![0]!.startsWith(`<GUID=${guidToString(m)}>;`), ext.attrs.get('member')![0]);
  // negative control: without the control, plain DNs
  const plain = await run([]);
  assert.ok(plain.dn.startsWith('CN=ExtG,'), plain.dn);
  assert.ok(plain.attrs.get('member')![0]!.startsWith('CN=ExtM,'));
});

test('DirSync over the configuration NC returns its head when the head changed', async () => {
  const cfg = dir.forest.configNC;
  const { cookie } = await cycle(Buffer.alloc(0), { base: dir.forest.configDN });
  await setAttr(cfg, 'description', ['config head changed']);
  const r = await cycle(cookie, { base: dir.forest.configDN });
  const head = r.entries.find((e) => entryGuid(e) === hexGuid(cfg));
  assert.ok(head, `the head is returned (got ${r.entries.map((e) => e.dn).join('; ')})`);
  assert.equal(head.dn.toLowerCase(), dir.forest.configDN.toLowerCase());
  assert.deepEqual(head.attrs.get('description'), ['config head changed']);
  // and not when it did not change
  const again = await cycle(r.cookie, { base: dir.forest.configDN });
  assert.equal(again.entries.length, 0);
});

test('a cycle of many pages keeps what earlier pages sent ahead (DirSyncState) and gives what the replay gives', async () => {
  const { DirSyncState } = await import('../../src/dirsync/index.js');
  // parents that change after their children, so that ancestors are sent ahead of their place
  const p = await addOU('AheadP');
  const kids: Buffer[] = [];
  for (let k = 0; k < 6; k++) kids.push(await addContact(`k${k}`, `OU=AheadP,${D}`));
  await setAttr(p, 'description', ['parent changed last']);
  const pages = async (state: InstanceType<typeof DirSyncState> | undefined) => {
    const seen: string[] = [];
    let cookie = Buffer.alloc(0);
    for (let n = 0; n < 10_000; n++) {
      const control: Control = { type: DIRSYNC_OID, critical: true, value: encodeDirSyncRequest({ flags: DirSyncFlags.ANCESTORS_FIRST_ORDER, maxBytes: 1, cookie }) };
      const { sink, entries } = collect();
      const res = await dirSyncSearch(dir, searchReq(D), ctxOf([control]), sink, control, { minMaxBytes: 1, maxPageSize: 1, ...(state ? { state } : {}) });
      seen.push(...entries.map(entryGuid));
      const v = decodeDirSyncResponse(DIRSYNC_OID, res.controls![0]!.value);
      cookie = Buffer.from(v.cookie);
      if (!v.moreResults) break;
    }
    return seen;
  };
  const state = new DirSyncState();
  const withState = await pages(state);
  const replayed = await pages(undefined);
  assert.deepEqual(withState, replayed);
  assert.ok(state.size > 0, 'mid-cycle pages left their sent-ahead sets with the state');
  assert.equal(new Set(withState).size, withState.length, 'no object twice in a cycle');
  assert.ok(withState.indexOf(hexGuid(p)) < withState.indexOf(hexGuid(kids[0]!)), 'the parent comes first');
});

// ---- change notification ---------------------------------------------------------------------

function notifyReq(base: string, scope: 0 | 1 | 2 = 2, filter: SearchRequest['filter'] = present(), attributes: string[] = ['description', 'name']): SearchRequest {
  return { ...searchReq(base, attributes, filter), scope };
}
const NOTIFY: Control = { type: NOTIFICATION_OID, critical: true };

/** A sink whose entries can be awaited: next(n) resolves once n entries have arrived. */
function waitableSink(): { sink: SearchSink; got: { dn: string; attrs: OutgoingAttribute[] }[]; next: (n: number) => Promise<void> } {
  const got: { dn: string; attrs: OutgoingAttribute[] }[] = [];
  let waiters: Array<{ n: number; resolve: () => void }> = [];
  return {
    got,
    sink: {
      entry(dn, attrs) {
        got.push({ dn, attrs });
        const ready = waiters.filter((w) => got.length >= w.n);
        waiters = waiters.filter((w) => got.length < w.n);
        for (const w of ready) w.resolve();
      },
      reference() {},
    },
    next: (n) => (got.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }))),
  };
}

// How fast a notification arrives is a benchmark (npm run bench:dirsync), never an assertion.
// Here: each change arrives on its own (no later write is needed to push it out), once, in
// commit order; a change out of scope never arrives — shown by a later in-scope change arriving
// alone (deliveries keep commit order), not by waiting for a time.
test('notification: each committed change in scope is delivered on its own, once; changes out of scope never', async () => {
  const ouDN = `OU=Notify,${D}`;
  await addOU('Notify');
  const target = await addContact('Watched', ouDN);
  const ac = new AbortController();
  const { sink, got, next } = waitableSink();
  const running = notificationSearch(dir, notifyReq(ouDN), ctxOf([NOTIFY], { session: 10, signal: ac.signal }), sink, NOTIFY);
  for (let i = 0; i < 20; i++) {
    const n = got.length;
    await setAttr(target, 'description', [`v${i}`]);
    await next(n + 1);
    assert.equal(got.length, n + 1, `change ${i} delivered once`);
    assert.equal(got[n]!.dn, `CN=Watched,${ouDN}`);
    assert.deepEqual(got[n]!.attrs.find((a) => a.type === 'description')?.values, [`v${i}`]);
  }
  // a change outside the scope, then one inside: only the second arrives
  const n = got.length;
  await setAttr(guidOf(`CN=Users,${D}`), 'description', ['elsewhere']);
  await setAttr(target, 'description', ['after']);
  await next(n + 1);
  assert.deepEqual(got.slice(n).map((e) => e.attrs.find((a) => a.type === 'description')?.values), [['after']]);
  assert.equal(got[n]!.dn, `CN=Watched,${ouDN}`);
  ac.abort();
  assert.deepEqual(await running, {});
});

test('notification: a client that never reads does not stall writers; it is dropped when its queue overflows', async () => {
  const ouDN = `OU=Slow,${D}`;
  await addOU('Slow');
  const target = await addContact('Busy', ouDN);
  const others = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((i) => addContact(`Other${i}`, ouDN)));
  const ac = new AbortController();
  const never: SearchSink = { entry: () => new Promise<void>(() => {}), reference() {} };
  const running = notificationSearch(dir, notifyReq(ouDN), ctxOf([NOTIFY], { session: 11, signal: ac.signal }), never, NOTIFY, { queueLimit: 4 });
  const outcome = running.then(
    () => 'resolved',
    (e: LdapError) => e.resultCode,
  );
  // 30 writes complete while the client reads nothing (its sink never resolves): each await
  // returns, so no writer waited on the reader
  let written = 0;
  for (let i = 0; i < 30; i++) {
    await setAttr(i % 2 ? target : others[i % others.length]!, 'description', [`w${i}`]);
    written++;
  }
  assert.equal(written, 30);
  assert.equal(await outcome, 11, 'dropped with adminLimitExceeded');
  ac.abort();
});

test('notification: AD restrictions — filter (objectClass=*), MaxNotificationPerConn = 5, base scope', async () => {
  const codeOf = async (p: Promise<unknown>) => p.then(() => 0, (e: LdapError) => e.resultCode);
  const eq = { type: 'equalityMatch' as const, attribute: 'cn', value: Buffer.from('x') };
  assert.equal(await codeOf(notificationSearch(dir, notifyReq(D, 2, eq), ctxOf([NOTIFY], { session: 20 }), collect().sink, NOTIFY)), 53);
  const ac = new AbortController();
  const open = [1, 2, 3, 4, 5].map(() => notificationSearch(dir, notifyReq(D), ctxOf([NOTIFY], { session: 21, signal: ac.signal }), collect().sink, NOTIFY));
  assert.equal(await codeOf(notificationSearch(dir, notifyReq(D), ctxOf([NOTIFY], { session: 21, signal: ac.signal }), collect().sink, NOTIFY)), 11);
  // another connection is not affected
  const ac2 = new AbortController();
  const other = notificationSearch(dir, notifyReq(D), ctxOf([NOTIFY], { session: 22, signal: ac2.signal }), collect().sink, NOTIFY);
  ac.abort();
  ac2.abort();
  await Promise.all([...open, other]);
  // base scope: only the base object
  const ouDN = `OU=BaseScope,${D}`;
  const ou = await addOU('BaseScope');
  const child = await addContact('Kid', ouDN);
  const ac3 = new AbortController();
  const { sink, got, next } = waitableSink();
  const running = notificationSearch(dir, notifyReq(ouDN, 0), ctxOf([NOTIFY], { session: 23, signal: ac3.signal }), sink, NOTIFY);
  await setAttr(child, 'description', ['no']);
  await setAttr(ou, 'description', ['yes']);
  await next(1); // the base's change; the child's, committed first, would have come before it
  assert.deepEqual(got.map((e) => e.dn), [ouDN]);
  ac3.abort();
  await running;
});

test('a cookie survives a restart of the DC', async () => {
  const ouDN = `OU=Restart,${D}`;
  await addOU('Restart');
  const x = await addContact('Gina', ouDN);
  const { cookie } = await cycle(Buffer.alloc(0));
  await dir.close();
  dir = Directory.open(dataDir);
  assert.equal((await cycle(cookie)).entries.length, 0);
  await setAttr(x, 'description', ['after restart']);
  const r = await cycle(cookie);
  assert.deepEqual(r.entries.map(entryGuid), [hexGuid(x)]);
});
