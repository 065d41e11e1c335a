// Denial-of-service limits of a real forestd (src/ldap/policies.ts): a bind with a huge password
// is refused as AD refuses it, without hashing it (MS-SAMR 3.1.1.7.2 maximum password length),
// and serve takes its limits from the Default Query Policy object's lDAPAdminLimits
// (MS-ADTS 3.1.1.3.4.6). The server-layer limits themselves are in server.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { Client, Change, Attribute, InvalidCredentialsError } from 'ldapts';
import { run, startForestd, type RunningForestd } from '../helpers/forestd.js';
import { needTool } from '../helpers/tools.js';
import { ldapToolError, parseDiagnostic } from '../helpers/ad-errors.js';
import { MessageFramer } from '../../src/ldap/protocol/framer.js';
import { decodeMessage, encodeMessage } from '../../src/ldap/protocol/codec.js';
import { NOTICE_OF_DISCONNECTION_OID } from '../../src/ldap/protocol/oids.js';
import { ResultCode } from '../../src/ldap/protocol/result-codes.js';
import type { LdapMessage } from '../../src/ldap/protocol/messages.js';

const T = { timeout: 180_000 };
let f: RunningForestd;
/** the temporary directory of the first start (a restart serves its data, so stop() leaves it) */
let root: string | undefined;

before(async () => {
  f = await startForestd();
  root = dirname(f.dir);
});
after(async () => {
  await f?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

async function bindError(dn: string, password: string): Promise<InvalidCredentialsError | undefined> {
  const c = new Client({ url: f.url, timeout: 60_000 });
  try {
    await c.bind(dn, password);
    return undefined;
  } catch (e) {
    if (e instanceof InvalidCredentialsError) return e;
    throw e;
  } finally {
    await c.unbind().catch(() => {});
  }
}

test('a bind with a 2 MB password is refused with 49 / 80090308 data 52e; the right password binds (negative control)', T, async () => {
  const huge = await bindError(f.adminDN, 'x'.repeat(2_000_000));
  assert.ok(huge, 'the huge password was accepted');
  assert.equal(huge.code, 49);
  assert.match(huge.message, /^80090308: .*data 52e/);
  // just over the limit (257 characters), starting with the right password: refused too
  const over = await bindError(f.adminDN, f.adminPassword + 'x'.repeat(257 - f.adminPassword.length));
  assert.equal(over?.code, 49);
  assert.equal(await bindError(f.adminDN, f.adminPassword), undefined);
});

test('ldapmodify: a unicodePwd over 256 characters is refused with 19 / 0000052D problem 1005; 256 characters are accepted (negative control)', T, async (t) => {
  if (!needTool(t, 'ldapmodify')) return;
  const c = new Client({ url: f.url, timeout: 60_000 });
  await c.bind(f.adminDN, f.adminPassword);
  const dn = `CN=longpwd,CN=Users,${f.baseDN}`;
  await c.add(dn, { objectClass: 'user', sAMAccountName: 'longpwd' });
  await c.unbind();
  const set = (pwd: string) =>
    run('ldapmodify', ['-x', '-H', f.ldapsUrl, '-D', f.adminDN, '-w', f.adminPassword], `dn: ${dn}\nchangetype: modify\nreplace: unicodePwd\nunicodePwd:: ${Buffer.from(`"${pwd}"`, 'utf16le').toString('base64')}\n-\n`, { LDAPTLS_REQCERT: 'never' }, { timeoutMs: 60_000 });
  const long = await set('Aa1!'.repeat(75)); // 300 characters
  const e = ldapToolError(long);
  assert.equal(e.code, 19, long.stderr);
  assert.equal(parseDiagnostic(e.diagnostic).win32, 0x52d, long.stderr);
  // AD's AtrErr text continues on the next line: "\t0: 0000052D: DSID-…, problem 1005 (CONSTRAINT_ATT_TYPE), data 0, Att 9005a (unicodePwd)"
  assert.match(long.stderr, /problem 1005 \(CONSTRAINT_ATT_TYPE\), data 0, Att 9005a/);
  const max = await set('Aa1!'.repeat(64)); // 256 characters
  assert.equal(max.code, 0, max.stderr + max.stdout);
  // the 256-character password is the account's: it binds once the account is enabled
  const admin = new Client({ url: f.url, timeout: 60_000 });
  await admin.bind(f.adminDN, f.adminPassword);
  await admin.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'userAccountControl', values: ['512'] }) }));
  await admin.unbind();
  assert.equal(await bindError(dn, 'Aa1!'.repeat(64)), undefined);
});

/** Opens a raw connection and reports whether the server answers a rootDSE read (true) or sends a notice (its result code). */
function rootDseOrNotice(url: string): Promise<true | number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: hostname, port: Number(port) });
    const framer = new MessageFramer({ maxPduSize: 1 << 24 });
    const timer = setTimeout(() => reject(new Error('no answer')), 60_000);
    s.on('error', () => {});
    s.on('connect', () => {
      const req: LdapMessage = {
        messageID: 1,
        protocolOp: { type: 'searchRequest', baseObject: '', scope: 0, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: { type: 'present', attribute: 'objectClass' }, attributes: ['dnsHostName'] },
        controls: [],
      } as LdapMessage;
      s.write(encodeMessage(req));
    });
    s.on('data', (chunk: Buffer) => {
      for (const pdu of framer.push(chunk)) {
        const m = decodeMessage(Buffer.from(pdu));
        const op = m.protocolOp as { type: string; responseName?: string; resultCode?: number };
        if (m.messageID === 0 && op.responseName === NOTICE_OF_DISCONNECTION_OID) {
          clearTimeout(timer);
          resolve(op.resultCode!);
        } else if (op.type === 'searchResultDone') {
          clearTimeout(timer);
          resolve(true);
        }
      }
    });
    // the connections are kept open until the test ends (each holds a slot)
    opened.push(s);
  });
}
const opened: net.Socket[] = [];

test('serve reads its limits from the Default Query Policy (MaxConnectionsPerAddress=2 refuses a third connection after a restart)', T, async () => {
  const c = new Client({ url: f.url, timeout: 60_000 });
  await c.bind(f.adminDN, f.adminPassword);
  const configDN = `CN=Configuration,${f.baseDN}`;
  const policy = `CN=Default Query Policy,CN=Query-Policies,CN=Directory Service,CN=Windows NT,CN=Services,${configDN}`;
  await c.modify(policy, new Change({ operation: 'add', modification: new Attribute({ type: 'lDAPAdminLimits', values: ['MaxConnectionsPerAddress=2'] }) }));
  await c.unbind();
  try {
    // negative control: the running server read the policy at start, before the change
    assert.deepEqual(await Promise.all([rootDseOrNotice(f.url), rootDseOrNotice(f.url), rootDseOrNotice(f.url)]), [true, true, true]);
    for (const s of opened.splice(0)) s.destroy();
    const data = f.dir;
    await f.stop({ keepData: true });
    f = await startForestd({ data });
    assert.equal(await rootDseOrNotice(f.url), true);
    assert.equal(await rootDseOrNotice(f.url), true);
    assert.equal(await rootDseOrNotice(f.url), ResultCode.busy);
  } finally {
    for (const s of opened.splice(0)) s.destroy();
  }
});
