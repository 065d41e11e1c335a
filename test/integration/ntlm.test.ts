// NTLM over LDAP with clients nobody here wrote: samba-tool and ldbsearch (SASL GSS-SPNEGO with
// signing and sealing, LDAPS over TLS 1.3 and 1.2), ldap3 and impacket (Sicily), ldapdomaindump;
// and with the project's byte-level NTLM client for what real clients will not do (tamper,
// NTLMv1 against GSS-SPNEGO). Errors are checked by result code and AD's codes, never wording.
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startForestd, PYTHON, type RunningForestd } from '../helpers/forestd.js';
import { needTool } from '../helpers/tools.js';
import { findPackageRoot } from '../../src/schema/bootstrap.js';
import { LdapNtlmClient } from '../helpers/ldap-ntlm-client.js';
import { OPENSSL_CONFIG } from '../../src/cli/openssl.js';
import { X509Certificate } from 'node:crypto';
import { tlsServerEndPoint } from '../../src/ldap/tls.js';
import { tlsServerEndPointBindings, NegotiateFlags } from '../../src/security/ntlm/index.js';
import { CLIENT_FLAGS } from '../helpers/ntlm-client.js';

const script = join(findPackageRoot(), 'test/integration/py/ntlm_clients.py');
const work = mkdtempSync(join(tmpdir(), 'forestd-ntlm-'));
// Python's hashlib needs MD4 for NTLM: OpenSSL's legacy provider
const legacyConf = join(work, 'openssl-legacy.cnf');
writeFileSync(legacyConf, 'openssl_conf = init\n[init]\nproviders = prov\n[prov]\ndefault = dflt\nlegacy = leg\n[dflt]\nactivate = 1\n[leg]\nactivate = 1\n');
const PYENV = { OPENSSL_CONF: legacyConf };
const IMPACKET_EXAMPLES = '/usr/share/doc/python3-impacket/examples';

/** A client tool that is missing fails the test under FORESTD_REQUIRE_ALL=1, and skips it otherwise. */
const have = (t: TestContext, tool: string): boolean => needTool(t, tool);

/** Runs a client with a hard time limit (killed after `ms`). */
function run(cmd: string, args: string[], env: Record<string, string> = {}, ms = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, cwd: work });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
const py = async (...args: string[]) => {
  const r = await run(PYTHON, [script, ...args], PYENV);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
};

let f: RunningForestd;
let host: string;
let admin: string;
before(async () => {
  f = await startForestd();
  host = new URL(f.url).hostname;
  admin = `Administrator%${f.adminPassword}`;
});
after(async () => {
  await f?.stop();
  rmSync(work, { recursive: true, force: true });
});

const samba = (args: string[]) => run('samba-tool', [...args, '-H', f.url, '-U', admin]);

test('rootDSE supportedSASLMechanisms lists GSS-SPNEGO, the mechanism that binds', { timeout: 60_000 }, async (t) => {
  if (!have(t, 'ldapsearch')) return;
  const r = await run('ldapsearch', ['-H', f.url, '-x', '-LLL', '-b', '', '-s', 'base', 'supportedSASLMechanisms']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual([...r.stdout.matchAll(/^supportedSASLMechanisms: (.*)$/gm)].map((m) => m[1]), ['GSS-SPNEGO']);
});

test('samba-tool over sealed GSS-SPNEGO: user list, user create (password set over the SASL layer), setpassword', { timeout: 120_000 }, async (t) => {
  if (!have(t, 'samba-tool') || !have(t, 'ldapwhoami')) return;
  let r = await samba(['user', 'list']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.split('\n').includes('Administrator'), r.stdout);
  r = await samba(['user', 'create', 'bob', 'Passw0rd!']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /User 'bob' added successfully/);
  const who = (pw: string) => run('ldapwhoami', ['-H', f.url, '-x', '-D', `bob@${f.realm}`, '-w', pw]);
  r = await who('Passw0rd!');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), `u:${f.netbios}\\bob`);
  r = await samba(['user', 'setpassword', 'bob', '--newpassword=N3w-Passw0rd!']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await who('N3w-Passw0rd!')).code, 0);
  // negative control: the old password no longer binds
  assert.equal((await who('Passw0rd!')).code, 49);
});

test('unicodePwd over a connection without confidentiality: 53 with 0000001F problem 5003; over StartTLS it is set', { timeout: 60_000 }, async (t) => {
  if (!have(t, 'ldapmodify')) return;
  const pw = Buffer.from('"Cl34r-text!"', 'utf16le').toString('base64');
  const ldif = `dn: CN=Administrator,CN=Users,${f.baseDN}\nchangetype: modify\nreplace: unicodePwd\nunicodePwd:: ${pw}\n-\n`;
  const input = join(work, 'pwd.ldif');
  writeFileSync(input, ldif);
  let r = await run('ldapmodify', ['-H', f.url, '-x', '-D', f.adminUPN, '-w', f.adminPassword, '-f', input]);
  assert.equal(r.code, 53, r.stderr);
  assert.match(r.stderr, /0000001F: SvcErr: DSID-[0-9A-F]{8}, problem 5003 \(WILL_NOT_PERFORM\)/);
  // the same write over StartTLS succeeds (then the password is put back)
  r = await run('ldapmodify', ['-H', f.url, '-ZZ', '-x', '-D', f.adminUPN, '-w', f.adminPassword, '-f', input], { LDAPTLS_REQCERT: 'never' });
  assert.equal(r.code, 0, r.stderr);
  writeFileSync(input, ldif.replace(pw, Buffer.from(`"${f.adminPassword}"`, 'utf16le').toString('base64')));
  r = await run('ldapmodify', ['-H', f.url, '-ZZ', '-x', '-D', f.adminUPN, '-w', 'Cl34r-text!', '-f', input], { LDAPTLS_REQCERT: 'never' });
  assert.equal(r.code, 0, r.stderr);
});

test('ldap3 authentication=NTLM binds and searches; a wrong password is 49, 8009030C, data 52e', { timeout: 60_000 }, async (t) => {
  if (!have(t, PYTHON)) return;
  const port = String(f.port);
  const ok = await py('ldap3', host, port, f.netbios, 'Administrator', f.adminPassword, f.baseDN);
  assert.equal(ok.bound, true, JSON.stringify(ok));
  assert.deepEqual(ok.found, ['Administrator']);
  assert.equal(ok.whoami, `u:${f.netbios}\\Administrator`);
  const bad = await py('ldap3', host, port, f.netbios, 'Administrator', 'wrong-password');
  assert.equal(bad.bound, false);
  assert.equal(bad.result, 49);
  assert.match(String(bad.message), /^8009030C: LdapErr: DSID-[0-9A-F]{8}, comment: AcceptSecurityContext error, data 52e,/);
});

test('impacket on port 389: GetADUsers.py -all lists the users; Sicily NTLMv2 binds, NTLMv1 is refused (LmCompatibilityLevel 5)', { timeout: 120_000 }, async (t) => {
  if (!have(t, PYTHON) || !have(t, join(IMPACKET_EXAMPLES, 'GetADUsers.py'))) return;
  // impacket's LDAP client always uses port 389: a forestd of its own on a loopback address of this test's
  const IMPACKET_HOST = '127.0.0.12';
  const g = await startForestd({ host: IMPACKET_HOST, ldapPort: 389 });
  try {
    const r = await run(PYTHON, [join(IMPACKET_EXAMPLES, 'GetADUsers.py'), '-all', `${g.realm}/Administrator:${g.adminPassword}`, '-dc-ip', IMPACKET_HOST], PYENV);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const names = r.stdout.split('\n').map((l) => l.split(/\s+/)[0]);
    for (const n of ['Administrator', 'Guest', 'krbtgt']) assert.ok(names.includes(n), `${n} in:\n${r.stdout}`);
    const v2 = await py('impacket-v2', IMPACKET_HOST, '389', g.netbios, 'Administrator', g.adminPassword, g.baseDN);
    assert.equal(v2.bound, true, JSON.stringify(v2));
    const v1 = await py('impacket-v1', IMPACKET_HOST, '389', g.netbios, 'Administrator', g.adminPassword, g.baseDN);
    assert.equal(v1.bound, false);
    assert.match(String(v1.error), /invalidCredentials/);
    assert.match(String(v1.error), /8009030C: LdapErr: DSID-[0-9A-F]{8}, comment: AcceptSecurityContext error, data 52e/);
  } finally {
    await g.stop();
  }
});

test('NTLMv1 over GSS-SPNEGO is refused as well', { timeout: 30_000 }, async () => {
  const c = await LdapNtlmClient.connect(host, f.port);
  try {
    const r = await c.spnegoBind({ user: 'Administrator', domain: f.netbios, password: f.adminPassword, ntlmv1: true });
    assert.equal(r.resultCode, 49);
    assert.match(r.diagnosticMessage, /^8009030C: .*data 52e/);
  } finally {
    c.close();
  }
});

test('sealed SASL layer: wrapped requests are answered; a tampered sealed PDU closes the connection', { timeout: 30_000 }, async () => {
  const search = { type: 'searchRequest', baseObject: '', scope: 0, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: { type: 'present', attribute: 'objectClass' }, attributes: ['defaultNamingContext'] } as const;
  const c = await LdapNtlmClient.connect(host, f.port);
  try {
    const b = await c.spnegoBind({ user: 'Administrator', domain: f.netbios, password: f.adminPassword });
    assert.equal(b.resultCode, 0, b.diagnosticMessage);
    assert.ok(c.security?.confidentiality);
    c.send(search as never);
    const entry = await c.response();
    assert.equal(entry?.protocolOp.type, 'searchResultEntry');
    assert.equal((await c.response())?.protocolOp.type, 'searchResultDone');
    // the same request with one bit flipped in the sealed buffer: no answer, the connection ends
    c.send(search as never, true);
    assert.equal(await c.nextPdu(), null);
    assert.equal(c.closed, true);
  } finally {
    c.close();
  }
});

test('ldapdomaindump (default NTLM) completes and finds Administrator', { timeout: 120_000 }, async (t) => {
  if (!have(t, 'ldapdomaindump')) return;
  const outDir = join(work, 'ldd');
  const r = await run('ldapdomaindump', ['-u', `${f.netbios}\\Administrator`, '-p', f.adminPassword, '-o', outDir, `${host}:${f.port}`], PYENV);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout + r.stderr, /Bind OK/);
  const users = JSON.parse(readFileSync(join(outDir, 'domain_users.json'), 'utf8')) as Array<{ attributes: { sAMAccountName: string[] } }>;
  assert.ok(users.some((u) => u.attributes.sAMAccountName[0] === 'Administrator'), 'Administrator in domain_users.json');
});

test('ldbsearch over LDAPS completes with TLS 1.3 and with TLS 1.2', { timeout: 60_000 }, async (t) => {
  if (!have(t, 'ldbsearch')) return;
  for (const prio of ['NORMAL:-VERS-ALL:+VERS-TLS1.3', 'NORMAL:-VERS-ALL:+VERS-TLS1.2']) {
    const r = await run('ldbsearch', ['-H', f.ldapsUrl, '--option=tlsverifypeer=no_check', `--option=tls priority=${prio}`, '-U', admin, '-b', `CN=Users,${f.baseDN}`, '-s', 'one', '(sAMAccountName=Administrator)', 'sAMAccountName'], {}, 30_000);
    assert.equal(r.code, 0, `${prio}: ${r.stderr}`);
    assert.match(r.stdout, /^sAMAccountName: Administrator$/m, prio);
  }
});

test('TLS 1.3 sends no session tickets with forestd OpenSSL configuration, and does without it (the cause of the Samba hang)', { timeout: 60_000 }, async (t) => {
  if (!have(t, 'openssl')) return;
  const tickets = async (port: number) => {
    const r = await run('sh', ['-c', `(sleep 1; echo Q) | openssl s_client -connect ${host}:${port} -tls1_3 -msg 2>&1`], {}, 20_000);
    return (r.stdout.match(/NewSessionTicket/g) ?? []).length;
  };
  assert.equal(await tickets(f.ldapsPort), 0);
  // negative control: a Node TLS server without the configuration sends them
  const probe = `const tls=require('tls'),fs=require('fs');const s=tls.createServer({key:fs.readFileSync(${JSON.stringify(join(f.dir, 'tls/key.pem'))}),cert:fs.readFileSync(${JSON.stringify(join(f.dir, 'tls/cert.pem'))})},(x)=>x.on('error',()=>{}));s.listen(0,'127.0.0.1',()=>console.log(s.address().port));`;
  const child = spawn(process.execPath, ['-e', probe], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve) => child.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
    assert.ok((await tickets(port)) > 0);
  } finally {
    child.kill();
  }
  assert.ok(existsSync(OPENSSL_CONFIG));
});

test('lockout: NTLM (ldap3) and simple (ldapwhoami) wrong passwords count alike, 775 for both, computed LOCKOUT bit, unlock by lockoutTime 0', { timeout: 120_000 }, async (t) => {
  if (!have(t, 'samba-tool') || !have(t, 'ldapmodify') || !have(t, PYTHON)) return;
  const modify = async (ldif: string) => {
    const file = join(work, 'm.ldif');
    writeFileSync(file, ldif);
    const r = await run('ldapmodify', ['-H', f.url, '-x', '-D', f.adminUPN, '-w', f.adminPassword, '-f', file]);
    assert.equal(r.code, 0, r.stderr);
  };
  const computed = async () => {
    const r = await run('ldapsearch', ['-H', f.url, '-x', '-LLL', '-D', f.adminUPN, '-w', f.adminPassword, '-b', `CN=lou,CN=Users,${f.baseDN}`, '-s', 'base', 'msDS-User-Account-Control-Computed', 'badPwdCount']);
    return { uacc: Number(/^msDS-User-Account-Control-Computed: (\d+)/m.exec(r.stdout)?.[1]), bad: Number(/^badPwdCount: (\d+)/m.exec(r.stdout)?.[1]) };
  };
  const whoami = (pw: string) => run('ldapwhoami', ['-H', f.url, '-x', '-D', `${f.netbios}\\lou`, '-w', pw]);
  const ntlm = (pw: string) => py('ldap3', host, String(f.port), f.netbios, 'lou', pw, f.baseDN);
  let r = await samba(['user', 'create', 'lou', 'L0u-Passw0rd!']);
  assert.equal(r.code, 0, r.stderr);
  await modify(`dn: ${f.baseDN}\nchangetype: modify\nreplace: lockoutThreshold\nlockoutThreshold: 3\n-\n`);
  try {
    for (const pw of ['bad-1', 'bad-2']) {
      const n = await ntlm(pw);
      assert.equal(n.result, 49);
      assert.match(String(n.message), /^8009030C: .*data 52e,/);
    }
    r = await whoami('bad-3');
    assert.equal(r.code, 49);
    assert.match(r.stderr, /80090308: LdapErr: DSID-[0-9A-F]{8}, comment: AcceptSecurityContext error, data 52e,/);
    assert.deepEqual(await computed(), { uacc: 16, bad: 3 });
    // locked out: the right password is refused by both methods with data 775
    const n = await ntlm('L0u-Passw0rd!');
    assert.equal(n.result, 49);
    assert.match(String(n.message), /^8009030C: .*data 775,/);
    r = await whoami('L0u-Passw0rd!');
    assert.equal(r.code, 49);
    assert.match(r.stderr, /data 775,/);
    await modify(`dn: CN=lou,CN=Users,${f.baseDN}\nchangetype: modify\nreplace: lockoutTime\nlockoutTime: 0\n-\n`);
    assert.equal((await computed()).uacc, 0);
    assert.equal((await ntlm('L0u-Passw0rd!')).bound, true);
    assert.equal((await whoami('L0u-Passw0rd!')).code, 0);
  } finally {
    await modify(`dn: ${f.baseDN}\nchangetype: modify\nreplace: lockoutThreshold\nlockoutThreshold: 0\n-\n`);
  }
});

test('DOMAIN\\name binds after the account is deleted and re-created (samba-tool, ldapwhoami)', { timeout: 120_000 }, async (t) => {
  if (!have(t, 'samba-tool') || !have(t, 'ldapwhoami')) return;
  const whoami = (pw: string) => run('ldapwhoami', ['-H', f.url, '-x', '-D', `${f.netbios}\\rita`, '-w', pw]);
  let r = await samba(['user', 'create', 'rita', 'R1ta-first!']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await whoami('R1ta-first!')).code, 0);
  r = await samba(['user', 'delete', 'rita']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await whoami('R1ta-first!')).code, 49, 'the deleted account no longer binds');
  r = await samba(['user', 'create', 'rita', 'R1ta-second!']);
  assert.equal(r.code, 0, r.stderr);
  r = await whoami('R1ta-second!');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), `u:${f.netbios}\\rita`);
});

test('LDAPS channel binding: the tls-server-end-point hash binds, a different one is 49 with 80090346', { timeout: 30_000 }, async () => {
  const der = new X509Certificate(readFileSync(join(f.dir, 'tls/cert.pem'))).raw;
  const right = tlsServerEndPointBindings(tlsServerEndPoint(der));
  const wrong = tlsServerEndPointBindings(tlsServerEndPoint(Buffer.concat([der, Buffer.from([0])])));
  // none at all binds too at the default LdapEnforceChannelBinding 1 (the control for level 2 below)
  for (const [cbt, code] of [[right, 0], [wrong, 49], [undefined, 0]] as const) {
    const c = await LdapNtlmClient.connect(host, f.ldapsPort, true);
    try {
      const r = await c.spnegoBind({ user: 'Administrator', domain: f.netbios, password: f.adminPassword, ...(cbt ? { channelBindings: cbt } : {}) });
      assert.equal(r.resultCode, code, r.diagnosticMessage);
      if (code !== 0) assert.match(r.diagnosticMessage, /^80090346: LdapErr: DSID-[0-9A-F]{8}, comment: AcceptSecurityContext error, data 80090346,/);
    } finally {
      c.close();
    }
  }
});

test('anonymous NTLM is an anonymous bind: success, then only the rootDSE is readable', { timeout: 30_000 }, async () => {
  const c = await LdapNtlmClient.connect(host, f.port);
  try {
    const r = await c.sicilyBind({ user: '', domain: '', password: '', anonymous: true });
    assert.equal(r.resultCode, 0, r.diagnosticMessage);
    c.send({ type: 'searchRequest', baseObject: f.baseDN, scope: 0, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: { type: 'present', attribute: 'objectClass' }, attributes: [] } as never);
    const done = (await c.response())!.protocolOp as { resultCode: number; diagnosticMessage: string };
    assert.equal(done.resultCode, 1);
    assert.match(done.diagnosticMessage, /^000004DC: LdapErr: /);
    // negative control: the same search after an authenticated NTLM bind succeeds
    assert.equal((await c.sicilyBind({ user: 'Administrator', domain: f.netbios, password: f.adminPassword })).resultCode, 0);
    c.send({ type: 'searchRequest', baseObject: f.baseDN, scope: 0, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: { type: 'present', attribute: 'objectClass' }, attributes: [] } as never);
    assert.equal((await c.response())!.protocolOp.type, 'searchResultEntry');
  } finally {
    c.close();
  }
});

test('secret writes: accepted over a sealed GSS-SPNEGO connection, refused (53, 0000001F) over a signed-only one', { timeout: 30_000 }, async () => {
  const dn = `CN=sealtest,CN=Users,${f.baseDN}`;
  const pw = (s: string) => Buffer.from(`"${s}"`, 'utf16le');
  const connect = async (flags: number) => {
    const c = await LdapNtlmClient.connect(host, f.port);
    const b = await c.spnegoBind({ user: 'Administrator', domain: f.netbios, password: f.adminPassword, flags });
    assert.equal(b.resultCode, 0, b.diagnosticMessage);
    return c;
  };
  const result = async (c: LdapNtlmClient) => (await c.response())!.protocolOp as { resultCode: number; diagnosticMessage: string };
  const sealed = await connect(CLIENT_FLAGS);
  const signed = await connect((CLIENT_FLAGS & ~NegotiateFlags.SEAL) >>> 0);
  try {
    assert.equal(sealed.security?.confidentiality, true);
    assert.equal(signed.security?.confidentiality, false);
    assert.equal(signed.security?.integrity, true);
    sealed.send({ type: 'addRequest', entry: dn, attributes: [{ type: 'objectClass', values: [Buffer.from('user')] }, { type: 'sAMAccountName', values: [Buffer.from('sealtest')] }, { type: 'unicodePwd', values: [pw('S3aled-first!')] }] });
    let r = await result(sealed);
    assert.equal(r.resultCode, 0, r.diagnosticMessage);
    const reset = { type: 'modifyRequest', object: dn, changes: [{ operation: 2, modification: { type: 'unicodePwd', values: [pw('S3aled-second!')] } }] } as const;
    signed.send(reset as never);
    r = await result(signed);
    assert.equal(r.resultCode, 53);
    assert.match(r.diagnosticMessage, /^0000001F: SvcErr: DSID-[0-9A-F]{8}, problem 5003 \(WILL_NOT_PERFORM\)/);
    // the signed connection still works for other requests (integrity is checked both ways)
    signed.send({ type: 'modifyRequest', object: dn, changes: [{ operation: 2, modification: { type: 'description', values: [Buffer.from('signed')] } }] } as never);
    assert.equal((await result(signed)).resultCode, 0);
    sealed.send(reset as never);
    assert.equal((await result(sealed)).resultCode, 0);
  } finally {
    sealed.close();
    signed.close();
  }
});

test('samba-tool with a wrong password: 49 with 8009030C and data 52e, as from a Windows DC', { timeout: 60_000 }, async (t) => {
  if (!have(t, 'samba-tool')) return;
  const r = await run('samba-tool', ['user', 'list', '-H', f.url, '-U', 'Administrator%not-the-password']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr + r.stdout, /LDAP error 49 LDAP_INVALID_CREDENTIALS/);
  assert.match(r.stderr + r.stdout, /8009030C: LdapErr: DSID-[0-9A-F]{8}, comment: AcceptSecurityContext error, data 52e, v4563/);
});

test('--ldap-enforce-channel-binding 2: an NTLM bind over LDAPS without channel bindings is 49 with 80090346; with them it binds', { timeout: 60_000 }, async () => {
  const g = await startForestd({ serveArgs: ['--ldap-enforce-channel-binding', '2'] });
  try {
    const der = new X509Certificate(readFileSync(join(g.dir, 'tls/cert.pem'))).raw;
    const cbt = tlsServerEndPointBindings(tlsServerEndPoint(der));
    for (const [channelBindings, code] of [[undefined, 49], [cbt, 0]] as const) {
      const c = await LdapNtlmClient.connect('127.0.0.1', g.ldapsPort, true);
      try {
        const r = await c.spnegoBind({ user: 'Administrator', domain: g.netbios, password: g.adminPassword, ...(channelBindings ? { channelBindings } : {}) });
        assert.equal(r.resultCode, code, r.diagnosticMessage);
        if (code) assert.match(r.diagnosticMessage, /^80090346: .*data 80090346,/);
      } finally {
        c.close();
      }
    }
    // plain LDAP has no channel to bind to: NTLM binds there as before
    const p = await LdapNtlmClient.connect('127.0.0.1', g.port);
    try {
      assert.equal((await p.sicilyBind({ user: 'Administrator', domain: g.netbios, password: g.adminPassword })).resultCode, 0);
    } finally {
      p.close();
    }
  } finally {
    await g.stop();
  }
});
