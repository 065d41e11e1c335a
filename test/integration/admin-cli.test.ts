// forestd's admin commands (user, group, computer, ou, dsacl, domain policy, fsmo) against a
// real forestd, each result checked with Debian's ldapsearch / ldapwhoami.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startForestd, run, CLI, type RunningForestd } from '../helpers/forestd.js';
import { cli, connArgs, adminEnv, ldapsearch } from '../helpers/admin-cli.js';
import { skipUnless } from '../helpers/tools.js';

let f: RunningForestd;
const T = { timeout: 120_000, ...skipUnless('ldapsearch', 'ldapwhoami', 'ldapmodify') };
const USER_PW = 'Us3r-Passw0rd!x9';
let n = 0;
const unique = (p: string) => `${p}${process.pid % 1000}${++n}`;

before(async () => {
  f = await startForestd({ adminPassword: 'Passw0rd!x9' });
});
after(async () => {
  await f?.stop();
});

const admin = (args: string[], env: Record<string, string> = {}) => cli([...args, ...connArgs(f)], adminEnv(f, env));

async function whoami(dn: string, pw: string): Promise<number | null> {
  return (await run('/usr/bin/ldapwhoami', ['-H', f.url, '-x', '-D', dn, '-w', pw])).code;
}

test('user add with a password makes an enabled account that binds; --json parses', T, async () => {
  const name = unique('alice');
  const r = await admin(['user', 'add', name, '--given-name', 'Alice', '--surname', 'Liddell', '--json'], { FORESTD_NEW_PASSWORD: USER_PW });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.dn, `CN=${name},CN=Users,${f.baseDN}`);
  assert.equal(j.enabled, true);
  const [e] = await ldapsearch(f, j.dn, '(objectClass=user)', ['sAMAccountName', 'givenName', 'sn', 'userAccountControl', 'userPrincipalName']);
  assert.equal(e!.attrs.sAMAccountName![0], name);
  assert.equal(e!.attrs.givenName![0], 'Alice');
  assert.equal(e!.attrs.sn![0], 'Liddell');
  assert.equal(Number(e!.attrs.userAccountControl![0]) & 2, 0);
  assert.equal(e!.attrs.userPrincipalName![0], `${name}@${f.realm}`);
  assert.equal(await whoami(j.dn, USER_PW), 0);
  assert.equal(await whoami(j.dn, 'wrong-Passw0rd!'), 49); // negative control: the password is what binds
});

test('user add --no-password makes a disabled account; add again is refused with AD 68 / 00002071', T, async () => {
  const name = unique('bob');
  const r = await admin(['user', 'add', name, '--no-password']);
  assert.equal(r.code, 0, r.stderr);
  const [e] = await ldapsearch(f, `CN=${name},CN=Users,${f.baseDN}`, '(objectClass=*)', ['userAccountControl']);
  assert.equal(Number(e!.attrs.userAccountControl![0]) & 2, 2);
  const again = await admin(['user', 'add', name, '--no-password']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /LDAP result 68/);
  assert.match(again.stderr, /00002071/);
});

test('user list (table and --json) and show', T, async () => {
  const name = unique('carol');
  assert.equal((await admin(['user', 'add', name, '--no-password'])).code, 0);
  const table = await admin(['user', 'list']);
  assert.equal(table.code, 0, table.stderr);
  const lines = table.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^name\s+enabled\s+locked\s+lastLogon\s+dn$/);
  assert.match(lines[1]!, /^-+ +-+/);
  const row = lines.find((l) => l.startsWith(name + ' '));
  assert.ok(row, table.stdout);
  // aligned: every row's dn column starts where the header's does
  assert.equal(row!.indexOf('CN='), lines[0]!.indexOf('dn'));
  const json = JSON.parse((await admin(['user', 'list', '--json'])).stdout) as { name: string; enabled: boolean; dn: string }[];
  const ldap = await ldapsearch(f, f.baseDN, '(&(objectCategory=person)(objectClass=user))', ['sAMAccountName'], 'sub');
  assert.deepEqual(json.map((u) => u.name).sort(), ldap.map((e) => e.attrs.sAMAccountName![0]!).sort());
  assert.equal(json.find((u) => u.name === name)!.enabled, false);
  const show = JSON.parse((await admin(['user', 'show', name, '--json'])).stdout);
  assert.equal(show.dn, `CN=${name},CN=Users,${f.baseDN}`);
  assert.deepEqual(show.attributes.sAMAccountName, [name]);
  const missing = await admin(['user', 'show', unique('nobody')]);
  assert.equal(missing.code, 4);
});

test('user disable / enable / unlock change userAccountControl and lockoutTime', T, async () => {
  const name = unique('dave');
  assert.equal((await admin(['user', 'add', name], { FORESTD_NEW_PASSWORD: USER_PW })).code, 0);
  const dn = `CN=${name},CN=Users,${f.baseDN}`;
  const uac = async () => Number((await ldapsearch(f, dn, '(objectClass=*)', ['userAccountControl']))[0]!.attrs.userAccountControl![0]);
  assert.equal((await admin(['user', 'disable', name])).code, 0);
  assert.equal((await uac()) & 2, 2);
  assert.equal(await whoami(dn, USER_PW), 49); // disabled: data 533
  assert.equal((await admin(['user', 'enable', dn])).code, 0);
  assert.equal((await uac()) & 2, 0);
  assert.equal(await whoami(dn, USER_PW), 0);
  const un = await admin(['user', 'unlock', name, '--json']);
  assert.equal(un.code, 0, un.stderr);
  assert.equal(JSON.parse(un.stdout).locked, false);
  const [e] = await ldapsearch(f, dn, '(objectClass=*)', ['lockoutTime']);
  assert.equal(e!.attrs.lockoutTime?.[0] ?? '0', '0');
});

test('user set-password resets over StartTLS and over ldaps://; plain LDAP is refused by the server (53 / 0000001F)', T, async () => {
  const name = unique('erin');
  assert.equal((await admin(['user', 'add', name, '--no-password'])).code, 0);
  const dn = `CN=${name},CN=Users,${f.baseDN}`;
  const pwFile = join(f.dir, `${name}.pw`);
  writeFileSync(pwFile, 'N3w-Passw0rd!x9\n');
  const r = await admin(['user', 'set-password', name, '--new-password-file', pwFile]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await admin(['user', 'enable', name])).code, 0);
  assert.equal(await whoami(dn, 'N3w-Passw0rd!x9'), 0);
  const viaLdaps = await cli(['user', 'set-password', name, ...connArgs(f, f.ldapsUrl)], adminEnv(f, { FORESTD_NEW_PASSWORD: 'Th1rd-Passw0rd!x9' }));
  assert.equal(viaLdaps.code, 0, viaLdaps.stderr);
  assert.equal(await whoami(dn, 'Th1rd-Passw0rd!x9'), 0);
  assert.equal(await whoami(dn, 'N3w-Passw0rd!x9'), 49);
  // the server's rule the command works with: unicodePwd over plain LDAP is refused
  const ldif = `dn: ${dn}\nchangetype: modify\nreplace: unicodePwd\nunicodePwd:: ${Buffer.from('"Plain-Passw0rd!x9"', 'utf16le').toString('base64')}\n-\n`;
  const plain = await run('/usr/bin/ldapmodify', ['-H', f.url, '-x', '-D', f.adminDN, '-w', f.adminPassword], ldif);
  assert.equal(plain.code, 53);
  assert.match(plain.stderr, /0000001F/);
  // without a trusted certificate the command stops before sending anything, and says how to fix it
  const untrusted = await cli(['user', 'set-password', name, '--url', f.url, '--bind-dn', f.adminUPN], adminEnv(f, { FORESTD_NEW_PASSWORD: 'Fourth-Passw0rd!x9' }));
  assert.equal(untrusted.code, 3);
  assert.match(untrusted.stderr, /--ca/);
  assert.equal(await whoami(dn, 'Th1rd-Passw0rd!x9'), 0);
});

test('user delete removes the object', T, async () => {
  const name = unique('frank');
  assert.equal((await admin(['user', 'add', name, '--no-password'])).code, 0);
  assert.equal((await admin(['user', 'delete', name])).code, 0);
  assert.deepEqual(await ldapsearch(f, f.baseDN, `(sAMAccountName=${name})`, ['1.1'], 'sub'), []);
  const again = await admin(['user', 'delete', name]);
  assert.equal(again.code, 4);
});

test('the bind password: --password-file, FORESTD_PASSWORD; a wrong one is exit 3 with AD 49 / data 52e', T, async () => {
  const pwFile = join(f.dir, 'admin.pw');
  writeFileSync(pwFile, f.adminPassword + '\n');
  const viaFile = await cli(['fsmo', 'show', '--json', ...connArgs(f), '--password-file', pwFile], { FORESTD_PASSWORD: '' });
  assert.equal(viaFile.code, 0, viaFile.stderr);
  const wrong = await cli(['fsmo', 'show', ...connArgs(f)], { FORESTD_PASSWORD: 'Wr0ng-Passw0rd!' });
  assert.equal(wrong.code, 3);
  assert.match(wrong.stderr, /80090308.*data 52e/);
  // no password anywhere and no terminal: a usage error that names the ways to give one
  const none = await cli(['fsmo', 'show', ...connArgs(f)], { FORESTD_PASSWORD: '' });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /--password-file/);
  assert.match(none.stderr, /FORESTD_PASSWORD/);
});

test('group add / add-member / members / remove-member', T, async () => {
  const g = unique('Staff');
  const u1 = unique('gina');
  const u2 = unique('hal');
  for (const u of [u1, u2]) assert.equal((await admin(['user', 'add', u, '--no-password'])).code, 0);
  const add = await admin(['group', 'add', g, '--scope', 'universal', '--json']);
  assert.equal(add.code, 0, add.stderr);
  const gdn = JSON.parse(add.stdout).dn;
  const [ge] = await ldapsearch(f, gdn, '(objectClass=group)', ['groupType', 'sAMAccountName']);
  assert.equal(Number(ge!.attrs.groupType![0]) >>> 0, 0x80000008);
  assert.equal((await admin(['group', 'add-member', g, u1, u2])).code, 0);
  const members = async () => ((await ldapsearch(f, gdn, '(objectClass=*)', ['member']))[0]!.attrs.member ?? []).sort();
  assert.deepEqual(await members(), [`CN=${u1},CN=Users,${f.baseDN}`, `CN=${u2},CN=Users,${f.baseDN}`].sort());
  const list = JSON.parse((await admin(['group', 'members', g, '--json'])).stdout) as { name: string }[];
  assert.deepEqual(list.map((m) => m.name).sort(), [u1, u2].sort());
  assert.equal((await admin(['group', 'remove-member', g, u1])).code, 0);
  assert.deepEqual(await members(), [`CN=${u2},CN=Users,${f.baseDN}`]);
  // removing a member that is not one: AD's 53 with ERROR_MEMBER_NOT_IN_ALIAS (00000561), as AD answers, problem 5003
  const notMember = await admin(['group', 'remove-member', g, u1]);
  assert.equal(notMember.code, 1);
  assert.match(notMember.stderr, /LDAP result 53: 00000561: .*problem 5003/);
  // and adding one twice: 68 with ERROR_MEMBER_IN_ALIAS (00000562)
  const twice = await admin(['group', 'add-member', g, u2]);
  assert.equal(twice.code, 1);
  assert.match(twice.stderr, /LDAP result 68: 00000562: .*problem 6005/);
});

test('computer add / list', T, async () => {
  const c = `WS${process.pid % 1000}${++n}`;
  const r = await admin(['computer', 'add', c, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const dn = JSON.parse(r.stdout).dn;
  const [e] = await ldapsearch(f, dn, '(objectClass=computer)', ['sAMAccountName', 'userAccountControl', 'dNSHostName']);
  assert.equal(e!.attrs.sAMAccountName![0], `${c.toUpperCase()}$`);
  assert.equal(Number(e!.attrs.userAccountControl![0]) & 0x1000, 0x1000);
  assert.equal(e!.attrs.dNSHostName![0], `${c.toLowerCase()}.${f.realm}`);
  const list = JSON.parse((await admin(['computer', 'list', '--json'])).stdout) as { name: string }[];
  assert.ok(list.some((x) => x.name === `${c.toUpperCase()}$`));
  assert.ok(list.some((x) => x.name === 'DC1$' || /\$$/.test(x.name)));
  const bad = await admin(['computer', 'add', 'not a netbios name!']);
  assert.equal(bad.code, 2);
});

test('ou add / list, and objects created in it', T, async () => {
  const ou = unique('Dept');
  const r = await admin(['ou', 'add', ou, '--description', 'a department']);
  assert.equal(r.code, 0, r.stderr);
  const dn = `OU=${ou},${f.baseDN}`;
  const [e] = await ldapsearch(f, dn, '(objectClass=organizationalUnit)', ['description']);
  assert.equal(e!.attrs.description![0], 'a department');
  const sub = await admin(['ou', 'add', 'Team', '--parent', dn]);
  assert.equal(sub.code, 0, sub.stderr);
  const u = unique('ivy');
  assert.equal((await admin(['user', 'add', u, '--ou', dn, '--no-password'])).code, 0);
  assert.equal((await ldapsearch(f, `CN=${u},${dn}`, '(objectClass=user)', ['1.1'])).length, 1);
  const list = JSON.parse((await admin(['ou', 'list', '--json'])).stdout) as { dn: string }[];
  assert.ok(list.some((x) => x.dn === dn));
  assert.ok(list.some((x) => x.dn === `OU=Team,${dn}`));
  const ldap = await ldapsearch(f, f.baseDN, '(objectClass=organizationalUnit)', ['1.1'], 'sub');
  assert.equal(list.length, ldap.length);
});

test('dsacl show lists readable ACEs; dsacl add puts an SDDL ACE into the DACL', T, async () => {
  const ou = unique('Acl');
  assert.equal((await admin(['ou', 'add', ou])).code, 0);
  const dn = `OU=${ou},${f.baseDN}`;
  const show = await admin(['dsacl', 'show', dn, '--json']);
  assert.equal(show.code, 0, show.stderr);
  const before = JSON.parse(show.stdout) as { sddl: string; aces: { type: string; trustee: string; rights: string; sddl: string }[] };
  assert.ok(before.aces.length > 0);
  assert.ok(before.aces.some((a) => a.type === 'Allow' && /Domain Admins/.test(a.trustee) && a.rights === 'FullControl'));
  const ace = '(OA;CI;RPWP;bf967a86-0de6-11d0-a285-00aa003049e2;;AU)';
  assert.ok(!before.sddl.includes(ace)); // negative control
  const add = await admin(['dsacl', 'add', dn, '--sddl', ace]);
  assert.equal(add.code, 0, add.stderr);
  // the DACL as Windows' tools would read it: the SD through ldapsearch with the SD_FLAGS control
  const r = await run('/usr/bin/ldapsearch', ['-H', f.url, '-x', '-D', f.adminDN, '-w', f.adminPassword, '-LLL', '-o', 'ldif-wrap=no', '-E', '1.2.840.113556.1.4.801=::MAMCAQQ=', '-s', 'base', '-b', dn, 'nTSecurityDescriptor']);
  assert.equal(r.code, 0, r.stderr);
  const { binaryToSddl } = await import('../../src/security/sddl.js');
  const sd = Buffer.from(/nTSecurityDescriptor:: (\S+)/.exec(r.stdout)![1]!, 'base64');
  assert.ok(binaryToSddl(sd).includes('(OA;CI;RPWP;bf967a86-0de6-11d0-a285-00aa003049e2;;AU)'), binaryToSddl(sd));
  const after2 = JSON.parse((await admin(['dsacl', 'show', dn, '--json'])).stdout) as { aces: { objectType: string; trustee: string; rights: string; appliesTo: string }[] };
  const mine = after2.aces.find((a) => a.objectType === 'computer' && /AU/.test(a.trustee));
  assert.ok(mine, JSON.stringify(after2.aces));
  assert.equal(mine!.rights, 'ReadProperty, WriteProperty');
  const bad = await admin(['dsacl', 'add', dn, '--sddl', '(Q;;;']);
  assert.equal(bad.code, 2);
});

test('domain policy show / set: the lockout and password attributes of the domain head', T, async () => {
  const show = JSON.parse((await admin(['domain', 'policy', 'show', '--json'])).stdout);
  assert.equal(show.dn, f.baseDN);
  const set = await admin(['domain', 'policy', 'set', '--lockout-threshold', '7', '--lockout-duration', '45m', '--min-length', '9', '--json']);
  assert.equal(set.code, 0, set.stderr);
  const j = JSON.parse(set.stdout);
  assert.equal(j.lockoutThreshold, 7);
  assert.equal(j.lockoutDuration, '45m');
  const [e] = await ldapsearch(f, f.baseDN, '(objectClass=*)', ['lockoutThreshold', 'lockoutDuration', 'minPwdLength']);
  assert.equal(e!.attrs.lockoutThreshold![0], '7');
  assert.equal(e!.attrs.lockoutDuration![0], String(-45n * 60n * 10_000_000n));
  assert.equal(e!.attrs.minPwdLength![0], '9');
  // put them back (other tests bind with wrong passwords)
  assert.equal((await admin(['domain', 'policy', 'set', '--lockout-threshold', '0', '--min-length', String(show.minPasswordLength)])).code, 0);
  const bad = await admin(['domain', 'policy', 'set', '--lockout-duration', 'soon']);
  assert.equal(bad.code, 2);
});

test('fsmo show names the holder of each of the five roles; transfer to the DC that holds a role changes nothing; bad usage is exit 2', T, async () => {
  const r = await admin(['fsmo', 'show', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const roles = JSON.parse(r.stdout) as { role: string; owner: string; object: string }[];
  assert.deepEqual(roles.map((x) => x.role), ['schema', 'domain naming', 'PDC', 'RID', 'infrastructure']);
  for (const x of roles) {
    const [e] = await ldapsearch(f, x.object, '(objectClass=*)', ['fSMORoleOwner']);
    assert.equal(x.owner, e!.attrs.fSMORoleOwner![0]);
    assert.match(x.owner, /^CN=NTDS Settings,CN=/);
  }
  // this DC owns every role: becomePdc succeeds and the owner stays (MS-ADTS 3.1.1.3.3.3); two-DC transfers: fsmo-transfer.test.ts
  const t = await admin(['fsmo', 'transfer', 'pdc', '--json']);
  assert.equal(t.code, 0, t.stderr);
  assert.equal(JSON.parse(t.stdout).owner, roles.find((x) => x.role === 'PDC')!.owner);
  assert.equal((await admin(['fsmo', 'transfer', 'pdc', 'DC2'])).code, 2);
  assert.equal((await admin(['fsmo', 'seize', 'emperor'])).code, 2);
});

test('bad usage is exit 2 and an unreachable DC exit 3', T, async () => {
  assert.equal((await admin(['user', 'frobnicate', 'x'])).code, 2);
  assert.equal((await cli(['user', 'list'], adminEnv(f))).code, 2); // no --url
  const gone = await cli(['user', 'list', '--url', 'ldap://127.0.0.1:1', '--bind-dn', f.adminUPN], adminEnv(f));
  assert.equal(gone.code, 3);
  assert.match(gone.stderr, /ECONNREFUSED/);
});

test('with no --password-file and no FORESTD_PASSWORD the password is asked for on the terminal', { ...T, ...skipUnless('/usr/bin/script') }, async () => {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const cmd = [process.execPath, ...process.execArgv, CLI, 'fsmo', 'show', '--json', ...connArgs(f)].map(q).join(' ');
  // script(1) runs the command on a pseudo-terminal and types its own stdin into it
  const r = await run('/usr/bin/script', ['-q', '-e', '-c', cmd, '/dev/null'], `${f.adminPassword}\r`, { FORESTD_PASSWORD: '' });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /password: /);
  const json = r.stdout.slice(r.stdout.indexOf('['));
  assert.equal((JSON.parse(json.replace(/\r\n/g, '\n')) as unknown[]).length, 5);
  // negative control: a wrong answer at the prompt is a failed bind
  const wrong = await run('/usr/bin/script', ['-q', '-e', '-c', cmd, '/dev/null'], 'Wr0ng-Passw0rd!\r', { FORESTD_PASSWORD: '' });
  assert.equal(wrong.code, 3);
});
