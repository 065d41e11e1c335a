// Read processes that own their connections (`forestd serve --workers N --worker-mode process`,
// src/dsa/workers/process-pool.ts, process-child.ts), over real sockets with ldapts and raw LDAP:
// the writer serves every connection until its first search a read process would answer, then
// moves it (socket, identity, NTLM layer, unread bytes) to the read process with the fewest
// connections, or keeps it (hook forestd:dsa:hand-off); connections that only bind stay. A read process
// answers searches itself (hook forestd:dsa:read-process; negative control: --worker-mode
// thread, where no search reaches a read process) and sends the rest to the writer: a write
// answered on one connection is seen by the next search of another, binds give the identity the
// access checks use there, DirSync and notification run through it, a schema change reaches it,
// and a read process that dies is replaced while new connections are served.
// The hand-off is what this file tests: its servers run with shared accept off
// (FORESTD_SHARED_ACCEPT=0: every connection starts in the writer); connections that read
// processes accept themselves are tested in shared-accept.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Client, Change, Attribute } from 'ldapts';
import { startForestd, type RunningForestd } from '../helpers/forestd.js';
import { encodeMessage, decodeMessage } from '../../src/ldap/protocol/codec.js';
import { MessageFramer } from '../../src/ldap/protocol/framer.js';
import { SearchScope, type Control as LdapControl, type LdapMessage } from '../../src/ldap/protocol/messages.js';
import { parseFilter } from '../../src/ldap/protocol/filter-string.js';
import { NOTIFICATION_OID } from '../../src/ldap/controls/notification.js';
import { DIRSYNC_OID, encodeDirSyncRequest, decodeDirSyncResponse } from '../../src/ldap/controls/dirsync.js';
import { sddlToBinary, sidToSddl } from '../../src/security/sddl.js';
import { LdapNtlmClient } from '../helpers/ldap-ntlm-client.js';

const T = { timeout: 180_000 };
/** every connection starts in the writer (no shared accept): the hand-off places it */
const HAND_OFF_ONLY = { FORESTD_SHARED_ACCEPT: '0' };
/** the writer and two read processes */
const PROCS = 3;
const PW = 'Str0ng-Passw0rd!';
let f: RunningForestd;
let threads: RunningForestd;
before(async () => {
  [f, threads] = await Promise.all([startForestd({ serveArgs: ['--workers', String(PROCS), '--worker-mode', 'process'], env: HAND_OFF_ONLY }), startForestd({ serveArgs: ['--workers', String(PROCS), '--worker-mode', 'thread'] })]);
});
after(async () => {
  await Promise.all([f?.stop(), threads?.stop()]);
});

const replace = (type: string, values: string[]) => new Change({ operation: 'replace', modification: new Attribute({ type, values }) });

/** `n` connections opened one after another (round-robin: each process gets one of every PROCS), bound as `dn` (none: anonymous). */
async function clients(s: RunningForestd, n: number, dn?: string, pw?: string): Promise<Client[]> {
  const cs: Client[] = [];
  for (let i = 0; i < n; i++) {
    const c = new Client({ url: s.url, timeout: 60_000 });
    if (dn) await c.bind(dn, pw!);
    else await c.search('', { scope: 'base', attributes: ['currentTime'] }); // connects (the rootDSE is the writer's)
    cs.push(c);
  }
  return cs;
}
const unbindAll = (cs: Client[]) => Promise.all(cs.map((c) => c.unbind().catch(() => {})));
/** The read processes that answered a search of ours, by their slot (1..). */
const served = (s: RunningForestd) => new Set(Array.from({ length: PROCS }, (_, i) => i).filter((i) => s.hookCount('forestd:dsa:read-process', (ev) => ev['process'] === i) > 0));

test('searches run in the read processes, and each sees the writes another connection got answered before it', T, async () => {
  for (const s of [f, threads]) {
    const cs = await clients(s, 2 * PROCS, s.adminDN, s.adminPassword);
    try {
      const ou = `OU=RYW,${s.baseDN}`;
      await cs[0]!.add(ou, { objectClass: 'organizationalUnit' });
      const dn = `CN=u0,${ou}`;
      await cs[1]!.add(dn, { objectClass: 'user', sAMAccountName: 'ryw-u0' });
      for (let round = 0; round < 2; round++) {
        for (const [i, c] of cs.entries()) {
          const value = `round ${round} by ${i}`;
          await c.modify(dn, replace('description', [value]));
          // read back at once on the next connection: another process
          const reader = cs[(i + 1) % cs.length]!;
          const byIndex = await reader.search(s.baseDN, { scope: 'sub', filter: `(&(sAMAccountName=ryw-u0)(description=${value}))`, attributes: ['description'] });
          assert.equal(byIndex.searchEntries.length, 1, `the search after the write finds it (${value})`);
          const base = await reader.search(dn, { scope: 'base', attributes: ['description'] });
          assert.equal(base.searchEntries[0]!.description, value);
        }
      }
      // a delete answered is gone for the next search elsewhere
      await cs[2]!.del(dn);
      for (const c of cs) assert.equal((await c.search(ou, { scope: 'sub', filter: '(sAMAccountName=ryw-u0)' })).searchEntries.length, 0);
      if (s === f) assert.deepEqual([...served(s)].sort(), [1, 2], 'both read processes answered searches');
      else assert.equal(s.hookCount('forestd:dsa:read-process'), 0, 'negative control: with --worker-mode thread no search is answered by a read process');
    } finally {
      await unbindAll(cs);
    }
  }
});

test('a paged search goes on in the process that holds its connection, with every page', T, async () => {
  const cs = await clients(f, PROCS, f.adminDN, f.adminPassword);
  const placed = f.hookCount('forestd:dsa:hand-off');
  try {
    const ou = `OU=Paged,${f.baseDN}`;
    await cs[0]!.add(ou, { objectClass: 'organizationalUnit' });
    for (let i = 0; i < 12; i++) await cs[i % PROCS]!.add(`CN=p${i},${ou}`, { objectClass: 'user', sAMAccountName: `paged-p${i}` });
    for (const c of cs) {
      const names: string[] = [];
      let pages = 0;
      for await (const page of c.searchPaginated(ou, { scope: 'one', filter: '(objectClass=user)', attributes: ['sAMAccountName'], paged: { pageSize: 5 } })) {
        pages++;
        for (const e of page.searchEntries) names.push(String(e.sAMAccountName));
      }
      assert.equal(pages, 3);
      assert.deepEqual(names.sort(), Array.from({ length: 12 }, (_, i) => `paged-p${i}`).sort());
    }
    // the pages' state is the writer's: a connection that searched paged first stays there
    assert.equal(f.hookCount('forestd:dsa:hand-off'), placed, 'no connection of a paged search was placed');
  } finally {
    await unbindAll(cs);
  }
});

test('global catalog connections are handed over too: forest-wide from the root, partial attribute set only, read-only', T, async () => {
  const before = f.hookCount('forestd:dsa:read-process');
  const cs: Client[] = [];
  try {
    for (let i = 0; i < PROCS; i++) {
      const c = new Client({ url: f.gcUrl, timeout: 60_000 });
      await c.bind(f.adminDN, f.adminPassword);
      cs.push(c);
    }
    // twice: the writer answers a connection's first search, the process it then moves to the second
    for (let round = 0; round < 2; round++) {
      for (const c of cs) {
        const r = await c.search('', { scope: 'sub', filter: '(sAMAccountName=Administrator)', attributes: ['sAMAccountName', 'adminCount'] });
        assert.equal(r.searchEntries.length, 1);
        assert.equal(r.searchEntries[0]!.sAMAccountName, 'Administrator', 'in the partial attribute set');
        assert.deepEqual([r.searchEntries[0]!.adminCount ?? []].flat(), [], 'adminCount is not in the partial attribute set');
        // the global catalog is read-only (the writer answers for the read process's GC session)
        await assert.rejects(c.modify(f.adminDN, replace('description', ['via gc'])), (e: unknown) => (e as { code?: number }).code === 53);
      }
    }
    assert.ok(f.hookCount('forestd:dsa:read-process') > before, 'read processes answered GC searches');
  } finally {
    await unbindAll(cs);
  }
});

test('in a read process, anonymous is refused beyond the rootDSE and a user does not see what its security descriptor hides', T, async () => {
  const [admin] = await clients(f, 1, f.adminDN, f.adminPassword);
  const tls = new Client({ url: f.ldapsUrl, timeout: 60_000, tlsOptions: { rejectUnauthorized: false } });
  const hidden = `OU=Hidden,${f.baseDN}`;
  const alice = `CN=alice,CN=Users,${f.baseDN}`;
  try {
    await tls.bind(f.adminDN, f.adminPassword);
    await tls.add(alice, [
      new Attribute({ type: 'objectClass', values: ['user'] }),
      new Attribute({ type: 'sAMAccountName', values: ['alice'] }),
      new Attribute({ type: 'userAccountControl', values: ['512'] }),
      new Attribute({ type: 'unicodePwd', values: [Buffer.from(`"${PW}"`, 'utf16le')] }),
    ]);
    // protected DACL: BUILTIN\Administrators only (MS-DTYP 2.4.6: SE_DACL_PROTECTED, no inherited ACEs)
    await admin!.add(hidden, [new Attribute({ type: 'objectClass', values: ['organizationalUnit'] }), new Attribute({ type: 'nTSecurityDescriptor', values: [sddlToBinary('O:BAG:BAD:P(A;;GA;;;BA)')] })]);
    await admin!.add(`CN=secret,${hidden}`, { objectClass: 'user', sAMAccountName: 'hidden-secret' });
    const before = f.hookCount('forestd:dsa:read-process');
    const anon = await clients(f, PROCS);
    const users = await clients(f, PROCS, alice, PW);
    const admins = await clients(f, PROCS, f.adminDN, f.adminPassword);
    try {
      for (const c of anon) {
        await assert.rejects(c.search(f.baseDN, { scope: 'base', attributes: ['name'] }), (e: unknown) => {
          assert.equal((e as { code?: number }).code, 1);
          assert.match((e as Error).message, /^000004DC: /);
          return true;
        });
      }
      for (const c of users) {
        assert.equal((await c.search(f.baseDN, { scope: 'sub', filter: '(sAMAccountName=hidden-secret)' })).searchEntries.length, 0, 'alice does not see the hidden user');
        assert.equal((await c.search(f.baseDN, { scope: 'sub', filter: '(sAMAccountName=alice)', attributes: ['sAMAccountName'] })).searchEntries.length, 1, 'alice sees herself');
        const who = await c.exop('1.3.6.1.4.1.4203.1.11.3');
        assert.match(String(who.value), /^u:EXAMPLE\\alice$/i, 'the writer knows the connection as alice');
      }
      for (const c of admins) assert.equal((await c.search(f.baseDN, { scope: 'sub', filter: '(sAMAccountName=hidden-secret)' })).searchEntries.length, 1, 'negative control: the administrator sees it');
      assert.ok(f.hookCount('forestd:dsa:read-process') > before, 'read processes answered these searches');
      assert.deepEqual([...served(f)].sort(), [1, 2]);
    } finally {
      await unbindAll([...anon, ...users, ...admins]);
    }
  } finally {
    await unbindAll([admin!, tls]);
  }
});

test('an SD change that re-inherits below (no uSNChanged there) is seen by the next search in every read process', T, async () => {
  const [admin] = await clients(f, 1, f.adminDN, f.adminPassword);
  const alice = `CN=alice,CN=Users,${f.baseDN}`; // made by the access test above
  const top = `OU=Inherit,${f.baseDN}`;
  try {
    const sid = (await admin!.search(alice, { scope: 'base', attributes: ['objectSid'], explicitBufferAttributes: ['objectSid'] })).searchEntries[0]!.objectSid as Buffer;
    const aliceSid = sidToSddl(sid);
    // an inherit-only deny of LIST_CHILDREN for alice (MS-DTYP 2.4.4.1 ACCESS_DENIED_ACE; CONTAINER_INHERIT, INHERIT_ONLY):
    // she lists the top, not OU=Sub, whose DACL holds inherited ACEs only
    const sd = (deny: boolean) => sddlToBinary(`O:BAG:BAD:${deny ? `(D;CIIO;LC;;;${aliceSid})` : ''}(A;CI;GA;;;BA)(A;CI;GR;;;AU)`);
    const node = (oc: string, sdv: Buffer) => [new Attribute({ type: 'objectClass', values: [oc] }), new Attribute({ type: 'nTSecurityDescriptor', values: [sdv] })];
    await admin!.add(top, node('organizationalUnit', sd(true)));
    await admin!.add(`OU=Sub,${top}`, node('organizationalUnit', sddlToBinary('O:BAG:BAD:')));
    await admin!.add(`CN=deep,OU=Sub,${top}`, { objectClass: 'user', sAMAccountName: 'inherit-deep' });
    const users = await clients(f, PROCS, alice, PW);
    try {
      const find = (c: Client) => c.search(top, { scope: 'sub', filter: '(sAMAccountName=inherit-deep)' }).then((r) => r.searchEntries.length);
      for (const c of users) {
        assert.equal(await find(c), 0, 'OU=Sub not listed for alice (the decision remembered per parent)');
        assert.equal((await c.search(top, { scope: 'one', filter: '(ou=Sub)' })).searchEntries.length, 1, 'OU=Sub itself is listed');
      }
      // the top's SD changes; OU=Sub's is re-inherited by the propagator (MS-ADTS 3.1.1.6.3), its uSNChanged stays
      await admin!.modify(top, new Change({ operation: 'replace', modification: new Attribute({ type: 'nTSecurityDescriptor', values: [sd(false)] }) }));
      for (const c of users) assert.equal(await find(c), 1, 'the next search in each process sees the re-inherited SD');
    } finally {
      await unbindAll(users);
    }
  } finally {
    await unbindAll([admin!]);
  }
});

test('NTLM sign/seal negotiated by the writer goes on in the read process: sealed searches and a secret write, a tampered PDU ends it', T, async () => {
  const search = { type: 'searchRequest', baseObject: `CN=Users,${f.baseDN}`, scope: 1, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: { type: 'equalityMatch', attribute: 'sAMAccountName', value: Buffer.from('Administrator') }, attributes: ['sAMAccountName'] } as const;
  const before = f.hookCount('forestd:dsa:read-process');
  const cs: LdapNtlmClient[] = [];
  try {
    for (let i = 0; i < PROCS; i++) cs.push(await LdapNtlmClient.connect('127.0.0.1', f.port));
    for (const [i, c] of cs.entries()) {
      const b = await c.spnegoBind({ user: 'Administrator', domain: f.netbios, password: f.adminPassword });
      assert.equal(b.resultCode, 0, b.diagnosticMessage);
      assert.ok(c.security?.confidentiality, 'sealed');
      for (let k = 0; k < 2; k++) {
        c.send(search as never);
        const entry = await c.response();
        assert.equal(entry?.protocolOp.type, 'searchResultEntry');
        assert.equal((await c.response())?.protocolOp.type, 'searchResultDone');
      }
      // a secret write needs confidentiality (MS-ADTS 3.1.1.3.1.5.1): the writer sees the read process's layer
      c.send({ type: 'addRequest', entry: `CN=sealed${i},CN=Users,${f.baseDN}`, attributes: [{ type: 'objectClass', values: [Buffer.from('user')] }, { type: 'sAMAccountName', values: [Buffer.from(`sealed${i}`)] }, { type: 'unicodePwd', values: [Buffer.from(`"${PW}"`, 'utf16le')] }] } as never);
      const added = (await c.response())!.protocolOp as { resultCode: number; diagnosticMessage: string };
      assert.equal(added.resultCode, 0, added.diagnosticMessage);
    }
    assert.ok(f.hookCount('forestd:dsa:read-process') > before, 'read processes answered sealed searches');
    for (const c of cs) {
      // one bit flipped in the sealed buffer: no answer, the connection ends
      c.send(search as never, true);
      assert.equal(await c.nextPdu(), null);
      assert.equal(c.closed, true);
    }
  } finally {
    for (const c of cs) c.close();
  }
});

test('a schema change (an attribute added) is known to the read processes at their next search', T, async () => {
  const cs = await clients(f, PROCS, f.adminDN, f.adminPassword);
  try {
    const schemaDN = `CN=Schema,CN=Configuration,${f.baseDN}`;
    const name = 'forestdProcTestAttr';
    // an attribute the schema does not know is Undefined in a filter, and so is its negation (RFC 4511 4.5.1.7)
    const absent = { scope: 'base' as const, filter: `(!(${name}=*))` };
    for (const c of cs) assert.equal((await c.search(f.baseDN, absent)).searchEntries.length, 0, 'negative control: unknown before the change');
    await cs[0]!.add(`CN=${name},${schemaDN}`, { objectClass: 'attributeSchema', lDAPDisplayName: name, attributeID: '1.3.6.1.4.1.99999.14.3.1', attributeSyntax: '2.5.5.12', oMSyntax: '64', isSingleValued: 'TRUE' });
    for (const c of cs) assert.equal((await c.search(f.baseDN, absent)).searchEntries.length, 1, 'the process answering knows the new attribute');
  } finally {
    await unbindAll(cs);
  }
});

/** A raw LDAP connection (ldapts cannot keep a search open): messages as they arrive. */
class Raw {
  readonly messages: LdapMessage[] = [];
  private readonly framer = new MessageFramer({ maxPduSize: 1 << 20 });
  private waiters: Array<() => void> = [];
  private constructor(private readonly sock: net.Socket) {
    sock.on('data', (d) => {
      for (const pdu of this.framer.push(d)) this.messages.push(decodeMessage(pdu));
      for (const w of this.waiters.splice(0)) w();
    });
  }
  static open(s: RunningForestd): Promise<Raw> {
    return new Promise((resolve, reject) => {
      const sock = net.connect(s.port, '127.0.0.1', () => resolve(new Raw(sock)));
      sock.once('error', reject);
    });
  }
  send(m: LdapMessage): void {
    this.sock.write(encodeMessage(m));
  }
  /** Bytes as they are, in one write. */
  write(b: Buffer): void {
    this.sock.write(b);
  }
  /** Resolves with the first message (from the start) that matches. */
  async until(pred: (m: LdapMessage) => boolean): Promise<LdapMessage> {
    for (;;) {
      const m = this.messages.find(pred);
      if (m) return m;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }
  close(): void {
    this.sock.destroy();
  }
  async bind(s: RunningForestd, messageID: number): Promise<void> {
    this.send({ messageID, protocolOp: { type: 'bindRequest', version: 3, name: s.adminDN, authentication: { method: 'simple', password: Buffer.from(s.adminPassword) } } });
    const b = await this.until((m) => m.messageID === messageID);
    assert.equal((b.protocolOp as { resultCode: number }).resultCode, 0);
  }
  search(messageID: number, baseObject: string, filter: string, controls: LdapControl[], attributes = ['description']): void {
    this.send({ messageID, protocolOp: { type: 'searchRequest', baseObject, scope: SearchScope.wholeSubtree, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: parseFilter(filter), attributes }, controls });
  }
  entries(messageID: number): string[] {
    return this.messages.filter((m) => m.messageID === messageID && m.protocolOp.type === 'searchResultEntry').map((m) => (m.protocolOp as { objectName: string }).objectName);
  }
  private nextDirSyncId = 1000;
  /**
   * DirSync pages from `cookie` until no more results, below the domain NC head of `s`: the DNs
   * (lower case) and the last cookie. An object is reported when one of the requested attributes
   * (sAMAccountName, description) changed since the cookie.
   */
  async dirSyncCycle(s: RunningForestd, filter: string, cookie: Buffer): Promise<{ dns: string[]; cookie: Buffer }> {
    const dns: string[] = [];
    for (;;) {
      const mid = this.nextDirSyncId++;
      this.search(mid, s.baseDN, filter, [{ type: DIRSYNC_OID, critical: true, value: encodeDirSyncRequest({ flags: 0, maxBytes: 1 << 20, cookie }) }], ['sAMAccountName', 'description']);
      const done = await this.until((m) => m.messageID === mid && m.protocolOp.type === 'searchResultDone');
      assert.equal((done.protocolOp as { resultCode: number }).resultCode, 0);
      dns.push(...this.entries(mid).map((d) => d.toLowerCase()));
      const resp = decodeDirSyncResponse(DIRSYNC_OID, done.controls!.find((c) => c.type === DIRSYNC_OID)!.value);
      cookie = resp.cookie;
      if (!resp.moreResults) return { dns, cookie };
    }
  }
}

test('DirSync through every process: the writer answers it, and its cookie goes on from there', T, async () => {
  const [admin] = await clients(f, 1, f.adminDN, f.adminPassword);
  const ou = `OU=Synced,${f.baseDN}`;
  await admin!.add(ou, { objectClass: 'organizationalUnit' });
  await admin!.add(`CN=d1,${ou}`, { objectClass: 'user', sAMAccountName: 'dsync-d1' });
  const raws: Raw[] = [];
  const cycle = (r: Raw, cookie: Buffer) => r.dirSyncCycle(f, '(sAMAccountName=dsync-d1)', cookie);
  try {
    for (let i = 0; i < PROCS; i++) raws.push(await Raw.open(f));
    const cookies: Buffer[] = [];
    for (const r of raws) {
      await r.bind(f, 1);
      const first = await cycle(r, Buffer.alloc(0));
      assert.deepEqual(first.dns, [`cn=d1,${ou}`.toLowerCase()]);
      // from the cookie: nothing until a change
      const again = await cycle(r, first.cookie);
      assert.deepEqual(again.dns, [], 'nothing changed since the cookie');
      cookies.push(again.cookie);
    }
    await admin!.modify(`CN=d1,${ou}`, replace('description', ['changed after the cookies']));
    for (const [i, r] of raws.entries()) assert.deepEqual((await cycle(r, cookies[i]!)).dns, [`cn=d1,${ou}`.toLowerCase()], 'the change after the cookie');
  } finally {
    for (const r of raws) r.close();
    await unbindAll([admin!]);
  }
});

test('notification through every process: each open search gets the change another client commits, abandon ends it', T, async () => {
  const [writer] = await clients(f, 1, f.adminDN, f.adminPassword);
  const ou = `OU=Watched,${f.baseDN}`;
  await writer!.add(ou, { objectClass: 'organizationalUnit' });
  await writer!.add(`CN=w1,${ou}`, { objectClass: 'user', sAMAccountName: 'watched-w1' });
  const subscribed = f.hookCount('forestd:dirsync:notify', (e) => e['event'] === 'subscribe');
  const raws: Raw[] = [];
  try {
    for (let i = 0; i < PROCS; i++) raws.push(await Raw.open(f));
    for (const r of raws) {
      await r.bind(f, 1);
      r.search(2, ou, '(objectClass=*)', [{ type: NOTIFICATION_OID, critical: true }]);
    }
    for (let n = 1; n <= PROCS; n++) await f.hook('forestd:dirsync:notify', subscribed + n, (e) => e['event'] === 'subscribe');
    await writer!.modify(`CN=w1,${ou}`, replace('description', ['seen by every listener']));
    for (const r of raws) {
      const e = await r.until((m) => m.messageID === 2 && m.protocolOp.type === 'searchResultEntry');
      assert.match((e.protocolOp as { objectName: string }).objectName, /^CN=w1,OU=Watched,/i);
    }
    // abandon (RFC 4511 4.11): the writer ends the search (its listener goes)
    const gone = f.hookCount('forestd:dirsync:notify', (e) => e['event'] === 'unsubscribe');
    for (const [i, r] of raws.entries()) r.send({ messageID: 10 + i, protocolOp: { type: 'abandonRequest', messageID: 2 } });
    for (let n = 1; n <= PROCS; n++) await f.hook('forestd:dirsync:notify', gone + n, (e) => e['event'] === 'unsubscribe');
  } finally {
    for (const r of raws) r.close();
    await unbindAll([writer!]);
  }
});

test('a connection moved to a read process: its DirSync and notification searches go to the writer and on, as on a connection the writer holds', T, async () => {
  const [admin] = await clients(f, 1, f.adminDN, f.adminPassword);
  const ou = `OU=MovedSync,${f.baseDN}`;
  await admin!.add(ou, { objectClass: 'organizationalUnit' });
  await admin!.add(`CN=m1,${ou}`, { objectClass: 'user', sAMAccountName: 'moved-m1' });
  // bound connections held open: the writer's load, so that the connection below moves
  const held = await ballast(f, 2 * PROCS);
  const r = await Raw.open(f);
  try {
    const before = placedAt(f);
    await r.bind(f, 1);
    r.search(2, ou, '(objectClass=*)', []);
    await r.until((m) => m.messageID === 2 && m.protocolOp.type === 'searchResultDone');
    const ev = await f.hook('forestd:dsa:hand-off', before + 1);
    assert.ok(Number(ev['process']) > 0, `moved to a read process (${JSON.stringify(ev)})`);
    // the control: a plain search of it now runs in that read process
    const rp = f.hookCount('forestd:dsa:read-process', (e) => e['session'] === ev['session']);
    r.search(3, ou, '(objectClass=*)', []);
    await r.until((m) => m.messageID === 3 && m.protocolOp.type === 'searchResultDone');
    await f.hook('forestd:dsa:read-process', rp + 1, (e) => e['session'] === ev['session']);

    // DirSync (the writer answers it, process-child.ts forward): a full cycle, nothing from its cookie, then the change
    const cycle = (cookie: Buffer) => r.dirSyncCycle(f, '(sAMAccountName=moved-m1)', cookie);
    const first = await cycle(Buffer.alloc(0));
    assert.deepEqual(first.dns, [`cn=m1,${ou}`.toLowerCase()]);
    const again = await cycle(first.cookie);
    assert.deepEqual(again.dns, [], 'nothing changed since the cookie');
    await admin!.modify(`CN=m1,${ou}`, replace('description', ['changed after the cookie']));
    assert.deepEqual((await cycle(again.cookie)).dns, [`cn=m1,${ou}`.toLowerCase()], 'the change after the cookie');

    // notification: the writer's listener sends the change through the read process; abandon ends it there
    const subscribed = f.hookCount('forestd:dirsync:notify', (e) => e['event'] === 'subscribe');
    r.search(50, ou, '(objectClass=*)', [{ type: NOTIFICATION_OID, critical: true }]);
    await f.hook('forestd:dirsync:notify', subscribed + 1, (e) => e['event'] === 'subscribe');
    await admin!.modify(`CN=m1,${ou}`, replace('description', ['seen by the moved listener']));
    const e = await r.until((m) => m.messageID === 50 && m.protocolOp.type === 'searchResultEntry');
    assert.match((e.protocolOp as { objectName: string }).objectName, /^CN=m1,OU=MovedSync,/i);
    const gone = f.hookCount('forestd:dirsync:notify', (x) => x['event'] === 'unsubscribe');
    r.send({ messageID: 51, protocolOp: { type: 'abandonRequest', messageID: 50 } });
    await f.hook('forestd:dirsync:notify', gone + 1, (x) => x['event'] === 'unsubscribe');
    // and it is still the read process's connection (a move back to the writer would be a hand-off to process 0): a plain search goes on
    r.search(52, ou, '(objectClass=*)', []);
    const done = await r.until((m) => m.messageID === 52 && m.protocolOp.type === 'searchResultDone');
    assert.equal((done.protocolOp as { resultCode: number }).resultCode, 0);
    assert.equal(placedAt(f), before + 1, 'the connection moved once and stayed');
  } finally {
    r.close();
    await unbindAll([admin!, ...held]);
  }
});

/** Bound connections that only bind: the writer keeps them (its load, so that the next connection that searches moves). */
async function ballast(s: RunningForestd, n: number): Promise<Client[]> {
  const cs: Client[] = [];
  for (let i = 0; i < n; i++) {
    const c = new Client({ url: s.url, timeout: 60_000 });
    await c.bind(s.adminDN, s.adminPassword);
    cs.push(c);
  }
  return cs;
}
const moved = (s: RunningForestd) => s.hookCount('forestd:dsa:hand-off', (e) => Number(e['process']) > 0);
const placedAt = (s: RunningForestd) => s.hookCount('forestd:dsa:hand-off');

test('a connection that only binds stays with the writer; its first search moves it, and its next search runs in a read process', T, async () => {
  const before = placedAt(f);
  const movedBefore = moved(f);
  const rp = f.hookCount('forestd:dsa:read-process');
  // as ldclt's bind case: a new connection each, bind, unbind
  for (let i = 0; i < 2 * PROCS; i++) {
    const c = new Client({ url: f.url, timeout: 60_000 });
    await c.bind(f.adminDN, f.adminPassword);
    await c.unbind();
  }
  // and bound connections held open: the writer's load
  const held = await ballast(f, 2 * PROCS);
  try {
    // negative control: a connection that searches moves after its first search (answered by the writer)
    const [c] = await clients(f, 1, f.adminDN, f.adminPassword);
    try {
      assert.equal((await c!.search(f.baseDN, { scope: 'base', attributes: ['name'] })).searchEntries.length, 1);
      const ev = await f.hook('forestd:dsa:hand-off', before + 1);
      assert.ok(Number(ev['process']) > 0, `moved to a read process (${JSON.stringify(ev)})`);
      assert.equal(f.hookCount('forestd:dsa:read-process'), rp, 'the first search was the writer\'s');
      assert.equal((await c!.search(f.baseDN, { scope: 'base', attributes: ['name'] })).searchEntries.length, 1);
      const first = await f.hook('forestd:dsa:read-process', rp + 1);
      assert.equal(first['session'], ev['session'], 'the next search ran in the read process it moved to');
      assert.equal(first['process'], ev['process']);
      // binds placed nothing: the one connection placed (and moved) is the one that searched
      assert.equal(placedAt(f), before + 1, 'no connection that only bound was placed or handed off');
      assert.equal(moved(f), movedBefore + 1);
    } finally {
      await unbindAll([c!]);
    }
  } finally {
    await unbindAll(held);
  }
});

test('with --workers 2 a lone connection stays with the writer (a move would not even the load); of two connections, one moves', T, async () => {
  const s = await startForestd({ serveArgs: ['--workers', '2', '--worker-mode', 'process'], env: HAND_OFF_ONLY });
  try {
    await s.hook('forestd:dsa:read-process-started', 1);
    const search = async (c: Client) => assert.equal((await c.search(s.baseDN, { scope: 'base', attributes: ['name'] })).searchEntries.length, 1);
    const [one] = await clients(s, 1, s.adminDN, s.adminPassword);
    try {
      // the writer holds 1, the read process 0: after a move 0 and 1, no more even (ProcessPool.target)
      for (let k = 0; k < 3; k++) await search(one!);
      const kept = await s.hook('forestd:dsa:hand-off', 1);
      assert.equal(kept['process'], 0, `the writer keeps the lone connection (${JSON.stringify(kept)})`);
      assert.equal(moved(s), 0, 'the lone connection was not handed off');
      assert.equal(s.hookCount('forestd:dsa:read-process'), 0, 'no search of the lone connection was answered by the read process');
      // negative control: a second connection; after its search the writer holds 2, the read process 0, and it moves
      const [two] = await clients(s, 1, s.adminDN, s.adminPassword);
      try {
        await search(two!);
        const ev = await s.hook('forestd:dsa:hand-off', 1, (e) => e['session'] !== kept['session']);
        assert.equal(ev['process'], 1, `of two connections, one moves to the read process (${JSON.stringify(ev)})`);
        await search(two!);
        const there = await s.hook('forestd:dsa:read-process', 1);
        assert.equal(there['session'], ev['session'], 'its next search was answered by the read process');
        // 1 and 1 now: the first connection still stays
        await search(one!);
        assert.equal(moved(s), 1, 'only the second connection was handed off');
        assert.equal(s.hookCount('forestd:dsa:read-process', (e) => e['session'] === kept['session']), 0, 'the first connection is still served by the writer');
      } finally {
        await unbindAll([two!]);
      }
    } finally {
      await unbindAll([one!]);
    }
  } finally {
    await s.stop();
  }
});

/** The processes whose parent is `pid` and whose command line names `script` (read processes: process-child.js). */
function childProcesses(pid: number, script: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces and parentheses, the last ')' ends it
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(script)) found.push(Number(name));
    } catch {
      /* exited meanwhile */
    }
  }
  return found;
}

test('serve without worker options runs one process per core: availableParallelism() − 1 read processes, which serve one of two connections (accepted there, or moved there); --workers 1 starts none', T, async () => {
  // os.availableParallelism() of this machine is serve's too (main.ts workerCount); on one core: no read process
  const expected = Math.min(availableParallelism(), 256) - 1;
  const [byDefault, single] = await Promise.all([startForestd({ cliWorkerDefaults: true }), startForestd({ serveArgs: ['--workers', '1'] })]);
  try {
    for (const [s, n] of [[byDefault, expected], [single, 0]] as const) {
      const what = s === byDefault ? 'no worker options' : 'negative control: --workers 1';
      // the pool starts every read process before serve listens: their start hooks come before 'ready'
      assert.equal(s.hookCount('forestd:dsa:read-process-started'), n, `${what}: read processes started`);
      assert.equal(childProcesses(s.pid, 'process-child.js').length, n, `${what}: read processes running under serve (${s.pid})`);
      const [first] = await clients(s, 1, s.adminDN, s.adminPassword);
      const cs = [first!];
      try {
        assert.equal((await first!.search(s.baseDN, { scope: 'base', attributes: ['name'] })).searchEntries.length, 1);
        const [second] = await clients(s, 1, s.adminDN, s.adminPassword);
        cs.push(second!);
        for (let k = 0; k < 2; k++) assert.equal((await second!.search(s.baseDN, { scope: 'base', attributes: ['name'] })).searchEntries.length, 1);
        if (n > 0) {
          // by default a read process accepts connections too (shared accept); two that the writer
          // accepted are evened out by a move (hand-off): either way a search runs in a read process
          const there = await s.hook('forestd:dsa:read-process', 1);
          assert.ok(Number(there['process']) > 0, `${what}: a search answered by a read process`);
        } else {
          assert.equal(s.hookCount('forestd:dsa:hand-off'), 0, `${what}: no connection placed`);
          assert.equal(s.hookCount('forestd:dsa:read-process'), 0, `${what}: no search answered by a read process`);
        }
      } finally {
        await unbindAll(cs);
      }
    }
  } finally {
    await Promise.all([byDefault.stop(), single.stop()]);
  }
});

test('a connection moved mid-life keeps its bind identity and loses no pipelined request, nor the half of one it had read', T, async () => {
  const held = await ballast(f, 2 * PROCS);
  const raws: Raw[] = [];
  const filter = '(sAMAccountName=Administrator)';
  const search = (messageID: number): LdapMessage => ({ messageID, protocolOp: { type: 'searchRequest', baseObject: f.baseDN, scope: SearchScope.wholeSubtree, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: parseFilter(filter), attributes: ['sAMAccountName'] } });
  /** the result of request `id` (not its entries or references) */
  const doneOf = (id: number) => (m: LdapMessage) => m.messageID === id && m.protocolOp.type !== 'searchResultEntry' && m.protocolOp.type !== 'searchResultReference';
  const code = (r: Raw, id: number) => r.messages.find(doneOf(id))!.protocolOp as { resultCode: number; diagnosticMessage: string };
  try {
    for (const asAdmin of [true, false]) {
      const r = await Raw.open(f);
      raws.push(r);
      const before = placedAt(f);
      const rp = f.hookCount('forestd:dsa:read-process');
      const bind: LdapMessage = { messageID: 1, protocolOp: { type: 'bindRequest', version: 3, name: asAdmin ? f.adminDN : '', authentication: { method: 'simple', password: Buffer.from(asAdmin ? f.adminPassword : '') } } };
      const fourth = encodeMessage(search(4));
      const half = fourth.length >> 1;
      // one write: the bind, two searches (the first moves the connection) and half of a third
      r.write(Buffer.concat([encodeMessage(bind), encodeMessage(search(2)), encodeMessage(search(3)), fourth.subarray(0, half)]));
      for (const id of [1, 2, 3]) await r.until(doneOf(id));
      const ev = await f.hook('forestd:dsa:hand-off', before + 1);
      assert.ok(Number(ev['process']) > 0, `moved to a read process (${JSON.stringify(ev)})`);
      assert.equal(f.hookCount('forestd:dsa:read-process'), rp, 'the writer answered the pipelined searches');
      r.write(fourth.subarray(half));
      await r.until(doneOf(4));
      const there = await f.hook('forestd:dsa:read-process', rp + 1);
      assert.equal(there['session'], ev['session'], 'the completed request ran in the read process');
      assert.equal(code(r, 1).resultCode, 0);
      for (const id of [2, 3, 4]) {
        if (asAdmin) {
          assert.equal(code(r, id).resultCode, 0, code(r, id).diagnosticMessage);
          assert.equal(r.entries(id).length, 1, `search ${id} as the administrator`);
        } else {
          // negative control: anonymous is refused beyond the rootDSE, before and after the move
          assert.equal(code(r, id).resultCode, 1);
          assert.match(code(r, id).diagnosticMessage, /^000004DC: /);
        }
      }
      // the operations the read process sends to the writer run with the identity too
      r.send({ messageID: 5, protocolOp: { type: 'extendedRequest', requestName: '1.3.6.1.4.1.4203.1.11.3' } });
      const who = (await r.until(doneOf(5))).protocolOp as { resultCode: number; responseValue?: Buffer };
      assert.equal(who.resultCode, 0);
      if (asAdmin) assert.match(String(who.responseValue ?? ''), /^u:[^\\]+\\Administrator$/i, 'the writer knows the moved connection as the administrator');
      else assert.equal(String(who.responseValue ?? ''), '', 'anonymous');
      r.send({ messageID: 6, protocolOp: { type: 'modifyRequest', object: f.adminDN, changes: [{ operation: 2, modification: { type: 'description', values: [Buffer.from('moved')] } }] } } as never);
      const mod = (await r.until(doneOf(6))).protocolOp as { resultCode: number };
      if (asAdmin) assert.equal(mod.resultCode, 0, 'a write as the administrator');
      else assert.notEqual(mod.resultCode, 0, 'anonymous may not write');
    }
  } finally {
    for (const r of raws) r.close();
    await unbindAll(held);
  }
});

test('NTLM seal across the move: sealed requests pipelined with the one that moves the connection, and half a sealed buffer, go on in the read process', T, async () => {
  const held = await ballast(f, 2 * PROCS);
  const c = await LdapNtlmClient.connect('127.0.0.1', f.port);
  try {
    const b = await c.spnegoBind({ user: 'Administrator', domain: f.netbios, password: f.adminPassword });
    assert.equal(b.resultCode, 0, b.diagnosticMessage);
    const sec = c.security!;
    assert.ok(sec.confidentiality, 'sealed');
    const wrapped = (messageID: number): Buffer => {
      const w = sec.wrap(encodeMessage({ messageID, protocolOp: { type: 'searchRequest', baseObject: `CN=Users,${f.baseDN}`, scope: SearchScope.singleLevel, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: parseFilter('(sAMAccountName=Administrator)'), attributes: ['sAMAccountName'] } }));
      const h = Buffer.alloc(4);
      h.writeUInt32BE(w.length);
      return Buffer.concat([h, w]);
    };
    const before = placedAt(f);
    const rp = f.hookCount('forestd:dsa:read-process');
    // wrapped in order: each buffer's sequence number is the next (MS-NLMP 3.4.4)
    const [first, second, third] = [wrapped(10), wrapped(11), wrapped(12)];
    const half = third.length >> 1;
    c.socket.write(Buffer.concat([first, second, third.subarray(0, half)]));
    const results = new Map<number, string[]>();
    const take = async (n: number) => {
      while ([...results.values()].filter((t) => t.includes('searchResultDone')).length < n) {
        const m = await c.response();
        assert.ok(m, 'the connection is open');
        results.set(m.messageID, [...(results.get(m.messageID) ?? []), m.protocolOp.type]);
      }
    };
    await take(2);
    const ev = await f.hook('forestd:dsa:hand-off', before + 1);
    assert.ok(Number(ev['process']) > 0, `moved to a read process (${JSON.stringify(ev)})`);
    c.socket.write(third.subarray(half));
    await take(3);
    for (const id of [10, 11, 12]) assert.deepEqual(results.get(id), ['searchResultEntry', 'searchResultDone'], `search ${id}`);
    const there = await f.hook('forestd:dsa:read-process', rp + 1);
    assert.equal(there['session'], ev['session'], 'the sealed buffer completed after the move was unsealed in the read process');
  } finally {
    c.close();
    await unbindAll(held);
  }
});

test('a read process that dies: its connections drop, the writer logs it and starts another, new connections are served', T, async () => {
  const started = f.hookCount('forestd:dsa:read-process-started');
  const pids = new Map<number, number>();
  for (let n = 1; n <= started; n++) {
    const ev = await f.hook('forestd:dsa:read-process-started', n);
    pids.set(Number(ev['process']), Number(ev['pid']));
  }
  assert.equal(started, PROCS - 1, 'one start hook per read process');
  // connections move to a read process after their first search, where the load puts them
  // (hook forestd:dsa:hand-off, process 0: the writer keeps it): open them until one read
  // process holds exactly one, the victim
  const cs: Client[] = [];
  const placed: number[] = [];
  let victimSlot = 0;
  for (let i = 0; i < 4 * PROCS && victimSlot === 0; i++) {
    const [c] = await clients(f, 1, f.adminDN, f.adminPassword);
    cs.push(c!);
    const n = f.hookCount('forestd:dsa:hand-off');
    assert.equal((await c!.search(f.baseDN, { scope: 'base', attributes: ['name'] })).searchEntries.length, 1);
    placed.push(Number((await f.hook('forestd:dsa:hand-off', n + 1))['process']));
    victimSlot = [...pids.keys()].find((k) => placed.filter((p) => p === k).length === 1 && placed.length >= PROCS) ?? 0;
  }
  assert.notEqual(victimSlot, 0, `a read process holds one of the connections (${placed.join(',')})`);
  const victim = pids.get(victimSlot)!;
  try {
    process.kill(victim, 'SIGKILL');
    await f.hook('forestd:dsa:read-process-started', started + 1);
    const results = await Promise.allSettled(cs.map((c) => c.search(f.baseDN, { scope: 'base', attributes: ['name'] })));
    assert.equal(results.filter((r) => r.status === 'rejected').length, 1, "the killed process's connection dropped, the others go on");
    assert.match(f.log(), /read process lost, starting another/);
    const fresh = await clients(f, 2 * PROCS, f.adminDN, f.adminPassword);
    try {
      for (const c of fresh) assert.equal((await c.search(f.baseDN, { scope: 'base', attributes: ['name'] })).searchEntries.length, 1);
    } finally {
      await unbindAll(fresh);
    }
  } finally {
    await unbindAll(cs);
  }
});

test('the writer stopping stops its read processes', T, async () => {
  const s = await startForestd({ serveArgs: ['--workers', '2', '--worker-mode', 'process'], env: HAND_OFF_ONLY });
  const pid = Number((await s.hook('forestd:dsa:read-process-started', 1))['pid']);
  assert.doesNotThrow(() => process.kill(pid, 0), 'the read process runs');
  // served first: a SIGTERM right at 'ready' can find serve without its handler yet (seen with
  // --worker-mode thread too), and the default action would leave the read process orphaned
  const cs = await clients(s, 2, s.adminDN, s.adminPassword);
  for (const c of cs) assert.equal((await c.search(s.baseDN, { scope: 'base' })).searchEntries.length, 1);
  await unbindAll(cs);
  await s.stop();
  let state = 'gone';
  try {
    state = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    /* gone */
  }
  assert.throws(() => process.kill(pid, 0), /ESRCH/, `gone with the writer (${state})`);
});
