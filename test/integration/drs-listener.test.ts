// `forestd serve --repl-port`: a real forestd serves the DRS transport; a client holding a DC
// machine account's secret (an account made over LDAP, as join would) authenticates and calls
// IDL_DRSBind. Accounts that are not DCs, or hold a wrong secret, are refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Attribute, Change, Client } from 'ldapts';
import { runCli, startForestd, type RunningForestd } from '../helpers/forestd.js';
import { DrsClient } from '../../src/drs/transport/tls.js';
import { drsKey, type DrsCredentials } from '../../src/drs/transport/auth.js';
import { DrsTransportError } from '../../src/drs/transport/frame.js';
import { RPC_STATUS } from '../../src/drs/server.js';
import { DRS_EXT } from '../../src/drs/types.js';
import { ntHash } from '../../src/security/password.js';

let f: RunningForestd;
let ldap: Client;
let dcAccount: string;
let drsPort: number;
const DC_PW = 'Dc1-Machine-Pa55!';
const PEER_PW = 'Dc9-Machine-Pa55!';
// not containing the account name: AD's complexity rule (MS-SAMR 3.1.1.7.2) refuses that
const USER_PW = 'Plain9-Pa55word!';

const quoted = (pw: string) => Buffer.from(`"${pw}"`, 'utf16le');

before(async () => {
  f = await startForestd({ serveArgs: ['--repl-port', '0'] });
  drsPort = Number(new URL(f.listeners['drs']!).port);
  ldap = new Client({ url: f.ldapsUrl, tlsOptions: { rejectUnauthorized: false } });
  await ldap.bind(f.adminDN, f.adminPassword);
  const { searchEntries } = await ldap.search(`OU=Domain Controllers,${f.baseDN}`, { filter: '(objectClass=computer)', attributes: ['sAMAccountName'] });
  dcAccount = String(searchEntries[0]!['sAMAccountName']);
  // this DC's machine password, reset to one the test knows (serve gave it a random one)
  await ldap.modify(String(searchEntries[0]!.dn), new Change({ operation: 'replace', modification: new Attribute({ type: 'unicodePwd', values: [quoted(DC_PW)] }) }));
  // another DC's account (what join makes on the source) and a plain user
  await ldap.add(`CN=DC9,OU=Domain Controllers,${f.baseDN}`, { objectClass: ['top', 'person', 'organizationalPerson', 'user', 'computer'], sAMAccountName: 'DC9$', userAccountControl: String(0x2000), unicodePwd: quoted(PEER_PW) as never });
  await ldap.add(`CN=user9,CN=Users,${f.baseDN}`, { objectClass: ['top', 'person', 'organizationalPerson', 'user'], sAMAccountName: 'user9', unicodePwd: quoted(USER_PW) as never, userAccountControl: '512' });
});
after(async () => {
  await ldap?.unbind().catch(() => undefined);
  await f?.stop();
});

function peer(account: string, pw: string): DrsCredentials {
  return { account, dsaGuid: Buffer.alloc(16, 9), key: drsKey(ntHash(pw), account), keyOf: (a) => (a.toUpperCase() === dcAccount.toUpperCase() ? drsKey(ntHash(DC_PW), a) : undefined) };
}

test('serve --repl-port: a DC account authenticates both ways and IDL_DRSBind answers', { timeout: 60_000 }, async () => {
  assert.match(f.listeners['drs']!, /^drs:\/\/127\.0\.0\.1:\d+$/);
  const c = await DrsClient.connect({ host: '127.0.0.1', port: drsPort, credentials: peer('DC9$', PEER_PW), expectServerAccount: dcAccount });
  assert.equal(c.peer.account.toUpperCase(), dcAccount.toUpperCase());
  const b = await c.bind({ puuidClientDsa: Buffer.alloc(16, 9), pextClient: { dwFlags: DRS_EXT.DRS_EXT_BASE, SiteObjGuid: Buffer.alloc(16), Pid: process.pid, dwReplEpoch: 0 } });
  assert.equal(b.result, 0);
  assert.ok((b.ppextServer!.dwFlags & DRS_EXT.DRS_EXT_GETCHGREPLY_V6) !== 0);
  // an opnum the DC does not serve is a clean RPC fault, and the connection goes on
  await assert.rejects(c.call(12, Buffer.alloc(0)), (e: DrsTransportError) => e.code === 'ERR_DRS_FAULT' && e.status === RPC_STATUS.NCA_S_OP_RNG_ERROR);
  assert.equal((await c.unbind(b.phDrs)).result, 0);
  await c.close();
  assert.ok(f.alive());
});

test('serve --repl-port: a wrong secret and a non-DC account are refused with ERROR_ACCESS_DENIED', { timeout: 60_000 }, async () => {
  await assert.rejects(DrsClient.connect({ host: '127.0.0.1', port: drsPort, credentials: peer('DC9$', 'not-the-password') }), (e: DrsTransportError) => e.code === 'ERR_DRS_AUTH' && e.status === RPC_STATUS.ERROR_ACCESS_DENIED);
  await assert.rejects(DrsClient.connect({ host: '127.0.0.1', port: drsPort, credentials: peer('user9', USER_PW) }), (e: DrsTransportError) => e.code === 'ERR_DRS_AUTH' && e.status === RPC_STATUS.ERROR_ACCESS_DENIED);
  // the server proves its own account: a client that knows another secret for it refuses to go on
  await assert.rejects(DrsClient.connect({ host: '127.0.0.1', port: drsPort, credentials: { ...peer('DC9$', PEER_PW), keyOf: (a) => drsKey(ntHash('stale'), a) } }), (e: DrsTransportError) => e.code === 'ERR_DRS_AUTH' && /did not prove/.test(e.message));
  assert.match(f.log(), /drs connection from 127\.0\.0\.1:\d+: DRS peer user9 did not prove its machine account/);
});

test('forestd repl show reads the data directory of a serving DC', { timeout: 60_000 }, async () => {
  const r = await runCli(['repl', 'show', '--data', f.dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.includes(`\n${f.baseDN}\n    (no inbound neighbors)\n`), r.stdout);
  assert.ok(f.alive());
});
