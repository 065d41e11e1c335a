// AdminSDHolder / SDProp (MS-ADTS 3.1.1.6.1) over LDAP with real clients: python-ldap3 sets up
// an OU with a delegated password admin (dan) and an inheritable ACE, puts one of the OU's
// users into Domain Admins, ldapmodify triggers runProtectAdminGroupsTask on the rootDSE as
// Administrator, and python-ldap3 checks the outcome. The OU's other user, in no protected
// group, is the negative control of every check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startForestd, run, PYTHON } from '../helpers/forestd.js';
import { findPackageRoot } from '../../src/schema/bootstrap.js';
import { needTool } from '../helpers/tools.js';

const script = join(findPackageRoot(), 'test/integration/py/authz_client.py');
const USER = 'bf967aba-0de6-11d0-a285-00aa003049e2';
const FORCE_CHANGE = '00299570-246d-11d0-a768-00aa006e0529';
const DESCRIPTION = 'bf967950-0de6-11d0-a285-00aa003049e2';
const PW = 'Str0ng-Passw0rd!';
type Result = Record<string, { code: number; win32: string; entries: { dn: string; attrs: Record<string, string[]> }[] }>;

const user = (name: string) => ({ id: `add-${name}`, op: 'add', as: 'admin', dn: `CN=${name},OU=Ops,{base}`, attrs: { objectClass: 'user', sAMAccountName: name, userAccountControl: '512', unicodePwd: { pwd: PW } } });

test('SDProp: a new Domain Admin gets adminCount 1 and AdminSDHolder\'s protected DACL; the OU\'s inheritable ACEs and delegated reset-password stop reaching it (50 00002098); a plain user keeps them', { timeout: 120_000 }, async (t) => {
  if (!needTool(t, PYTHON, 'python:ldap3', 'python:samba', 'ldapmodify')) return;
  const f = await startForestd();
  try {
    const py = async (steps: object[]): Promise<Result> => {
      const r = await run(PYTHON, [script, f.ldapsUrl, f.url, f.baseDN], JSON.stringify([{ id: 'login-admin', op: 'login', name: 'admin', user: f.adminDN, password: f.adminPassword }, ...steps]));
      assert.equal(r.code, 0, r.stderr + r.stdout);
      return JSON.parse(r.stdout.trim().split('\n').pop()!) as Result;
    };
    const setup = await py([
      { id: 'minpwdage', op: 'modify', as: 'admin', dn: '{base}', changes: [['replace', 'minPwdAge', ['0']]] },
      { id: 'ou', op: 'add', as: 'admin', dn: 'OU=Ops,{base}', attrs: { objectClass: 'organizationalUnit' } },
      { id: 'add-dan', op: 'add', as: 'admin', dn: 'CN=dan,CN=Users,{base}', attrs: { objectClass: 'user', sAMAccountName: 'dan', userAccountControl: '512', unicodePwd: { pwd: PW } } },
      user('boss'),
      user('plain'),
      { id: 'da', op: 'modify', as: 'admin', dn: 'CN=Domain Admins,CN=Users,{base}', changes: [['add', 'member', ['CN=boss,OU=Ops,{base}']]] },
      { id: 'ace-reset', op: 'addace', dn: 'OU=Ops,{base}', ace: `(OA;CIIO;CR;${FORCE_CHANGE};${USER};{sid:dan})` },
      { id: 'ace-desc', op: 'addace', dn: 'OU=Ops,{base}', ace: `(OA;CIIO;WP;${DESCRIPTION};${USER};{sid:dan})` },
    ]);
    for (const [k, v] of Object.entries(setup)) assert.equal(v.code, 0, `${k}: ${JSON.stringify(v)}`);

    const read = (id: string, name: string) => ({ id, op: 'search', as: 'admin', base: `CN=${name},OU=Ops,{base}`, attrs: ['adminCount', 'nTSecurityDescriptor'] });
    const before = await py([read('boss', 'boss')]);
    // before the task: boss inherits the OU's ACEs like any user there
    assert.equal(before.boss!.entries[0]!.attrs['adminCount'], undefined);
    assert.match(before.boss!.entries[0]!.attrs['nTSecurityDescriptor']![0]!, new RegExp(FORCE_CHANGE, 'i'));

    // MS-ADTS 3.1.1.3.3 runProtectAdminGroupsTask, through OpenLDAP's ldapmodify as Administrator
    const ldif = 'dn:\nchangetype: modify\nadd: runProtectAdminGroupsTask\nrunProtectAdminGroupsTask: 1\n';
    const env = { LDAPTLS_REQCERT: 'never' };
    const m = await run('ldapmodify', ['-x', '-H', f.ldapsUrl, '-D', f.adminDN, '-w', f.adminPassword], ldif, env);
    assert.equal(m.code, 0, m.stderr + m.stdout);

    const out = await py([
      read('boss', 'boss'),
      read('plain', 'plain'),
      { id: 'holder', op: 'search', as: 'admin', base: 'CN=AdminSDHolder,CN=System,{base}', attrs: ['nTSecurityDescriptor'] },
      { id: 'login-dan', op: 'login', name: 'dan', user: 'dan@example.com', password: PW },
      { id: 'reset-boss', op: 'modify', as: 'dan', dn: 'CN=boss,OU=Ops,{base}', changes: [['replace', 'unicodePwd', [{ pwd: 'Other-Passw0rd1' }]]] },
      { id: 'reset-plain', op: 'modify', as: 'dan', dn: 'CN=plain,OU=Ops,{base}', changes: [['replace', 'unicodePwd', [{ pwd: 'Other-Passw0rd1' }]]] },
    ]);
    const boss = out.boss!.entries[0]!.attrs;
    const plain = out.plain!.entries[0]!.attrs;
    assert.deepEqual(boss['adminCount'], ['1']);
    assert.equal(plain['adminCount'], undefined, 'not protected: no adminCount');
    const dacl = (sddl: string) => {
      const d = sddl.indexOf('D:');
      const e = sddl.indexOf('S:', d);
      return sddl.slice(d + 2, e < 0 ? undefined : e);
    };
    const holder = out.holder!.entries[0]!.attrs['nTSecurityDescriptor']![0]!;
    assert.match(dacl(holder), /^PAI?\(/, 'AdminSDHolder has a protected DACL');
    assert.equal(dacl(boss['nTSecurityDescriptor']![0]!), dacl(holder), "the Domain Admin carries AdminSDHolder's DACL");
    assert.doesNotMatch(boss['nTSecurityDescriptor']![0]!, new RegExp(FORCE_CHANGE, 'i'), "the OU's inheritable ACE does not reach it");
    assert.match(plain['nTSecurityDescriptor']![0]!, new RegExp(`\\(OA;[A-Z]*ID;CR;${FORCE_CHANGE};`, 'i'), 'the plain user keeps the inherited ACE');
    // MS-ADTS 5.1.3.2.1 / 3.1.1.6.1: the delegated admin can no longer reset the Domain Admin's password
    assert.equal(out['reset-boss']!.code, 50, JSON.stringify(out['reset-boss']));
    assert.equal(out['reset-boss']!.win32.toUpperCase(), '00002098');
    assert.equal(out['reset-plain']!.code, 0, JSON.stringify(out['reset-plain']));

    // a second run changes nothing: adminCount stays 1
    const again = await run('ldapmodify', ['-x', '-H', f.ldapsUrl, '-D', f.adminDN, '-w', f.adminPassword], ldif, env);
    assert.equal(again.code, 0, again.stderr);
    // an ordinary user may not run the task: 50 00002098
    const byDan = await run('ldapmodify', ['-x', '-H', f.ldapsUrl, '-D', 'dan@example.com', '-w', PW], ldif, env);
    assert.equal(byDan.code, 50, byDan.stderr + byDan.stdout);
    assert.match(byDan.stderr + byDan.stdout, /00002098: SecErr: DSID-[0-9A-F]{8}, problem 4003 \(INSUFF_ACCESS_RIGHTS\), data 0/);
  } finally {
    await f.stop();
  }
});
