// Shared accept (src/dsa/workers/process-pool.ts lend, process-child.ts, ldap/server.ts
// listenShared): with `forestd serve --workers N --worker-mode process` the read processes accept
// on the writer's plain listeners too, so a connection starts where it is served. Over real
// sockets with ldapts and raw LDAP:
//   - a read process accepts connections (hook forestd:ldap:shared-accept) and answers their
//     simple binds itself (hook forestd:dsa:read-process-bind); negative control: with
//     FORESTD_SHARED_ACCEPT=0 no connection is accepted there;
//   - the identity of a bind answered there is the one the writer's operations for that
//     connection run with (a write as the administrator succeeds, as a user it is refused for
//     the user's rights, not as anonymous);
//   - a bind that must write (a wrong password, counted toward lockout) is run by the writer,
//     once: badPwdCount counts every wrong password exactly once;
//   - MaxConnectionsPerAddress stays exact: with few slots the writer lends none, a read process
//     passes what it accepts to the writer (admitted false), and the connection past the limit
//     gets the busy Notice of Disconnection.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Client, Change, Attribute } from 'ldapts';
import { startForestd, type RunningForestd } from '../helpers/forestd.js';
import { encodeMessage, decodeMessage } from '../../src/ldap/protocol/codec.js';
import { MessageFramer } from '../../src/ldap/protocol/framer.js';
import { ResultCode } from '../../src/ldap/protocol/result-codes.js';
import { SearchScope } from '../../src/ldap/protocol/messages.js';
import { parseFilter } from '../../src/ldap/protocol/filter-string.js';

const T = { timeout: 180_000 };
const PW = 'Str0ng-Passw0rd!';
let f: RunningForestd;
let off: RunningForestd;
let bob: string;
before(async () => {
  [f, off] = await Promise.all([startForestd({ serveArgs: ['--workers', '2', '--worker-mode', 'process'] }), startForestd({ serveArgs: ['--workers', '2', '--worker-mode', 'process'], env: { FORESTD_SHARED_ACCEPT: '0' } })]);
  bob = `CN=bob,CN=Users,${f.baseDN}`;
  const tls = new Client({ url: f.ldapsUrl, timeout: 60_000, tlsOptions: { rejectUnauthorized: false } });
  try {
    await tls.bind(f.adminDN, f.adminPassword);
    await addUser(tls, bob, 'bob');
    // bob's first logon writes lastLogonTimestamp (lockout.ts): done here, his binds below only read
    const first = new Client({ url: f.url, timeout: 60_000 });
    await first.bind(bob, PW);
    await first.unbind();
  } finally {
    await tls.unbind();
  }
});
after(async () => {
  await Promise.all([f?.stop(), off?.stop()]);
});

/** A normal, enabled user with password PW (over `tls`, an LDAPS connection bound as the administrator). */
function addUser(tls: Client, dn: string, sam: string): Promise<void> {
  return tls.add(dn, [
    new Attribute({ type: 'objectClass', values: ['user'] }),
    new Attribute({ type: 'sAMAccountName', values: [sam] }),
    new Attribute({ type: 'userAccountControl', values: ['512'] }),
    new Attribute({ type: 'unicodePwd', values: [Buffer.from(`"${PW}"`, 'utf16le')] }),
  ]);
}

const admitted = (s: RunningForestd) => s.hookCount('forestd:ldap:shared-accept', (e) => e['admitted'] === true);
const unbindAll = (cs: Client[]) => Promise.all(cs.map((c) => c.unbind().catch(() => {})));

/** Opens connections bound as `dn`, one after another, until a read process has accepted `want` more of them (at most `most`). */
async function boundUntilShared(s: RunningForestd, dn: string, pw: string, want: number, most = 200): Promise<Client[]> {
  const start = admitted(s);
  const cs: Client[] = [];
  for (let i = 0; i < most && admitted(s) < start + want; i++) {
    const c = new Client({ url: s.url, timeout: 60_000 });
    await c.bind(dn, pw);
    cs.push(c);
  }
  // the accept hook of the last one may still be on its way: wait for the count, not a moment
  await s.hook('forestd:ldap:shared-accept', start + want, (e) => e['admitted'] === true);
  return cs;
}

test('a read process accepts connections and answers their simple binds; their writes run as the identity bound there', T, async () => {
  const binds = f.hookCount('forestd:dsa:read-process-bind');
  const admins = await boundUntilShared(f, f.adminDN, f.adminPassword, 2);
  const users = await boundUntilShared(f, bob, PW, 2);
  try {
    // a bind of a connection accepted there was answered there (the same session)
    const ev = await f.hook('forestd:dsa:read-process-bind', binds + 1);
    assert.ok(Number(ev['process']) > 0);
    assert.equal(f.hookCount('forestd:ldap:shared-accept', (e) => e['session'] === ev['session'] && e['admitted'] === true), 1, 'the bind answered by the read process that accepted its connection');
    // every bind on a connection accepted there (two as the administrator, two as bob) was answered there
    await f.hook('forestd:dsa:read-process-bind', binds + 4);
    // every connection writes; those of the read process go to the writer with the identity bound there
    const ou = `OU=SharedAccept,${f.baseDN}`;
    await admins[0]!.add(ou, { objectClass: 'organizationalUnit' });
    for (const [i, c] of admins.entries()) {
      await c.modify(ou, new Change({ operation: 'replace', modification: new Attribute({ type: 'description', values: [`admin connection ${i}`] }) }));
      const who = await c.exop('1.3.6.1.4.1.4203.1.11.3');
      assert.match(String(who.value), /^u:EXAMPLE\\Administrator$/i, `admin connection ${i}: the writer knows it as the administrator`);
    }
    for (const [i, c] of users.entries()) {
      // a user may not write the OU: refused for bob's rights (50), not as anonymous (operationsError 000004DC)
      await assert.rejects(c.modify(ou, new Change({ operation: 'replace', modification: new Attribute({ type: 'description', values: [`user connection ${i}`] }) })), (e: unknown) => {
        assert.equal((e as { code?: number }).code, ResultCode.insufficientAccessRights, `user connection ${i}`);
        assert.match((e as Error).message, /^00002098: /);
        return true;
      });
      const who = await c.exop('1.3.6.1.4.1.4203.1.11.3');
      assert.match(String(who.value), /^u:EXAMPLE\\bob$/i, `user connection ${i}: the writer knows it as bob`);
    }
    await admins[0]!.del(ou);
  } finally {
    await unbindAll([...admins, ...users]);
  }
});

test('negative control: with FORESTD_SHARED_ACCEPT=0 every connection starts in the writer', T, async () => {
  const cs: Client[] = [];
  try {
    for (let i = 0; i < 20; i++) {
      const c = new Client({ url: off.url, timeout: 60_000 });
      await c.bind(off.adminDN, off.adminPassword);
      cs.push(c);
    }
    // the writer answers its rootDSE after all those binds: their accept hooks, had there been any, came before
    await new Client({ url: off.url, timeout: 60_000 }).search('', { scope: 'base', attributes: ['currentTime'] });
    assert.equal(off.hookCount('forestd:ldap:shared-accept'), 0);
    assert.equal(off.hookCount('forestd:dsa:read-process-bind'), 0);
  } finally {
    await unbindAll(cs);
  }
});

test('a wrong password on a connection a read process accepted is counted once, by the writer (badPwdCount)', T, async () => {
  const admin = new Client({ url: f.url, timeout: 60_000 });
  await admin.bind(f.adminDN, f.adminPassword);
  const carol = `CN=carol,CN=Users,${f.baseDN}`;
  const tls = new Client({ url: f.ldapsUrl, timeout: 60_000, tlsOptions: { rejectUnauthorized: false } });
  const threshold = (await admin.search(f.baseDN, { scope: 'base', attributes: ['lockoutThreshold'] })).searchEntries[0]!['lockoutThreshold'];
  try {
    await tls.bind(f.adminDN, f.adminPassword);
    await addUser(tls, carol, 'carol');
    // a threshold above the wrong binds below: each counts (with 0, badPwdCount stays 1)
    await admin.modify(f.baseDN, new Change({ operation: 'replace', modification: new Attribute({ type: 'lockoutThreshold', values: ['1000'] }) }));
    const start = admitted(f);
    let wrong = 0;
    for (; wrong < 200 && (wrong < 8 || admitted(f) < start + 3); wrong++) {
      const c = new Client({ url: f.url, timeout: 60_000 });
      await assert.rejects(c.bind(carol, 'Wr0ng-Passw0rd!'), (e: unknown) => {
        assert.equal((e as { code?: number }).code, ResultCode.invalidCredentials);
        assert.match((e as Error).message, /data 52e,/);
        return true;
      });
      await c.unbind().catch(() => {});
    }
    await f.hook('forestd:ldap:shared-accept', start + 3, (e) => e['admitted'] === true);
    const got = (await admin.search(carol, { scope: 'base', attributes: ['badPwdCount'] })).searchEntries[0]!;
    assert.equal(Number(got['badPwdCount']), wrong, `${wrong} wrong passwords, some on connections read processes accepted`);
    // and the right one still binds (there: a good logon that clears badPwdCount writes, so the writer runs it)
    const c = new Client({ url: f.url, timeout: 60_000 });
    await c.bind(carol, PW);
    await c.unbind();
    assert.equal(Number((await admin.search(carol, { scope: 'base', attributes: ['badPwdCount'] })).searchEntries[0]!['badPwdCount']), 0);
  } finally {
    await admin.modify(f.baseDN, new Change({ operation: 'replace', modification: new Attribute({ type: 'lockoutThreshold', values: [String(threshold ?? '0')] }) })).catch(() => {});
    await unbindAll([admin, tls]);
  }
});

/** Opens a raw connection and reads the rootDSE: true, or the result code of the Notice of Disconnection it got instead (the socket stays open). */
function rootDseOrNotice(url: string, opened: net.Socket[]): Promise<true | number> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(u.port), u.hostname);
    const framer = new MessageFramer();
    s.on('error', reject);
    s.on('connect', () => {
      s.write(encodeMessage({ messageID: 1, protocolOp: { type: 'searchRequest', baseObject: '', scope: SearchScope.baseObject, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: parseFilter('(objectClass=*)'), attributes: ['currentTime'] } }));
    });
    s.on('data', (d: Buffer) => {
      for (const pdu of framer.push(d)) {
        const m = decodeMessage(pdu);
        if (m.messageID === 0 && m.protocolOp.type === 'extendedResponse') return resolve(m.protocolOp.resultCode);
        if (m.protocolOp.type === 'searchResultDone') return resolve(true);
      }
    });
    opened.push(s);
  });
}

test('MaxConnectionsPerAddress stays exact: with few slots nothing is lent, a read process passes what it accepts to the writer, and the connection past the limit is refused busy', T, async () => {
  // fewer than LEASE_FREE_MIN slots (process-pool.ts): the writer lends none
  const LIMIT = 40;
  const c = new Client({ url: f.url, timeout: 60_000 });
  await c.bind(f.adminDN, f.adminPassword);
  const policy = `CN=Default Query Policy,CN=Query-Policies,CN=Directory Service,CN=Windows NT,CN=Services,CN=Configuration,${f.baseDN}`;
  const limit = new Attribute({ type: 'lDAPAdminLimits', values: [`MaxConnectionsPerAddress=${LIMIT}`] });
  await c.modify(policy, new Change({ operation: 'add', modification: limit }));
  await c.unbind();
  const opened: net.Socket[] = [];
  const data = f.dir;
  await f.stop({ keepData: true });
  f = await startForestd({ data, serveArgs: ['--workers', '2', '--worker-mode', 'process'] });
  try {
    // connections kept open, one after another: the limit's worth served, wherever accepted
    for (let i = 0; i < LIMIT; i++) assert.equal(await rootDseOrNotice(f.url, opened), true, `connection ${i + 1} of ${LIMIT}`);
    assert.equal(await rootDseOrNotice(f.url, opened), ResultCode.busy, 'the one past the limit');
    // the read process accepted some of them and passed each to the writer, which counted them
    await f.hook('forestd:ldap:shared-accept', 1, (e) => e['admitted'] === false);
    assert.equal(admitted(f), 0, 'no connection admitted by a read process: no slot was lent');
  } finally {
    for (const s of opened) s.destroy();
    const a = new Client({ url: f.url, timeout: 60_000 });
    await a.bind(f.adminDN, f.adminPassword).catch(() => {});
    await a.modify(policy, new Change({ operation: 'delete', modification: limit })).catch(() => {});
    await a.unbind().catch(() => {});
  }
});
