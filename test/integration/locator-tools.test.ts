// Real tools against forestd on port 389 (they insist on it): a forestd of its own on
// 127.0.0.13 (LDAP 389/TCP, CLDAP 389/UDP, LDAPS 636). The DC locator's CLDAP ping as
// samba-common-bin's `net ads info`, adcli's `adcli info` and python3-samba's Net.finddc see
// it; samba-tool over LDAPS with a simple bind (--simple-bind-dn, which needs Debian's
// samba-dsdb-modules for ldb's ildap backend).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startForestd, run, PYTHON, type RunningForestd } from '../helpers/forestd.js';
import { needTool } from '../helpers/tools.js';
import { findPackageRoot } from '../../src/schema/bootstrap.js';

const HOST = '127.0.0.13';
const finddc = join(findPackageRoot(), 'test/integration/py/finddc.py');
const T = { timeout: 90_000 };

let f: RunningForestd;
before(async () => {
  f = await startForestd({ realm: 'forestd.test', netbios: 'FORESTD', host: HOST, ldapPort: 389, ldapsPort: 636 });
});
after(async () => {
  await f?.stop();
});

/** samba-tool over LDAPS with a simple bind. Samba 4.17's TLS client stalls on a TLS 1.3 NewSessionTicket, so it is held to TLS 1.2 (as Windows Server 2016 itself speaks). */
function sambaTool(args: string[]) {
  return run('/usr/bin/samba-tool', [...args, '-H', `ldaps://${HOST}`, `--simple-bind-dn=${f.adminDN}`, `--password=${f.adminPassword}`, '--option=tls verify peer = no_check', '--option=tls priority = NORMAL:-VERS-TLS1.3'], undefined, { HOME: f.dir });
}

test('net ads info prints the domain from the CLDAP ping', T, async (t) => {
  if (!needTool(t, '/usr/bin/net')) return;
  const r = await run('/usr/bin/net', ['ads', 'info', '-S', HOST]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /^LDAP server: 127\.0\.0\.13$/m);
  assert.match(r.stdout, /^LDAP server name: dc1\.forestd\.test$/m);
  assert.match(r.stdout, /^Realm: FORESTD\.TEST$/m);
  assert.match(r.stdout, /^Bind Path: dc=FORESTD,dc=TEST$/m);
  assert.match(r.stdout, /^LDAP port: 389$/m);
});

test('adcli info reads the domain and the DC flags from the CLDAP ping', T, async (t) => {
  if (!needTool(t, '/usr/sbin/adcli')) return;
  const r = await run('/usr/sbin/adcli', ['info', `--domain-controller=${HOST}`, 'forestd.test']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /^domain-name = forestd\.test$/m);
  assert.match(r.stdout, /^domain-short = FORESTD$/m);
  assert.match(r.stdout, /^domain-forest = forestd\.test$/m);
  assert.match(r.stdout, /^domain-controller = dc1\.forestd\.test$/m);
  assert.match(r.stdout, /^domain-controller-site = Default-First-Site-Name$/m);
  const flags = /^domain-controller-flags = (.*)$/m.exec(r.stdout)?.[1]?.split(' ') ?? [];
  for (const want of ['pdc', 'gc', 'ldap', 'ds', 'writable', 'full-secret']) assert.ok(flags.includes(want), `${want} in ${flags.join(' ')}`);
  assert.ok(!flags.includes('kdc'), 'no KDC flag: forestd runs no KDC');
  // negative control: an address where no CLDAP ping is answered (127.0.0.213: nothing listens there)
  const bad = await run('/usr/sbin/adcli', ['info', '--domain-controller=127.0.0.213', 'forestd.test']);
  assert.notEqual(bad.code, 0);
  assert.doesNotMatch(bad.stdout, /domain-controller = /);
});

test('Samba Net.finddc (C NDR of NETLOGON_SAM_LOGON_RESPONSE_EX without the optional fields)', T, async () => {
  const r = await run(PYTHON, [finddc, HOST]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const o = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(o.command, 23);
  assert.equal(o.nt_version, 5, 'V1 | V5EX: no DcSockAddr, no NextClosestSiteName');
  assert.equal(o.pdc_dns_name, 'dc1.forestd.test');
  assert.equal(o.dns_domain, 'forestd.test');
  assert.equal(o.domain_name, 'FORESTD');
  assert.equal(o.server_site, 'Default-First-Site-Name');
});

test('samba-tool domain level show (LDAPS, simple bind)', T, async (t) => {
  if (!needTool(t, '/usr/bin/samba-tool')) return;
  const r = await sambaTool(['domain', 'level', 'show']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /^Domain and forest function level for domain 'DC=forestd,DC=test'$/m);
  // Samba 4.17 knows levels up to 2012 R2; DS_BEHAVIOR_WIN2016 (7) is "higher"
  assert.match(r.stdout, /^Forest function level: \(Windows\) higher than 2012 R2$/m);
  assert.match(r.stdout, /^Domain function level: \(Windows\) higher than 2012 R2$/m);
  assert.match(r.stdout, /^Lowest function level of a DC: \(Windows\) higher than 2012 R2$/m);
});

test('samba-tool gpo listall: the two default GPOs', T, async (t) => {
  if (!needTool(t, '/usr/bin/samba-tool')) return;
  const r = await sambaTool(['gpo', 'listall']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /^GPO {10}: \{31B2F340-016D-11D2-945F-00C04FB984F9\}$/m);
  assert.match(r.stdout, /^display name : Default Domain Policy$/m);
  assert.match(r.stdout, /^GPO {10}: \{6AC1786C-016F-11D2-945F-00C04fB984F9\}$/m);
  assert.match(r.stdout, /^display name : Default Domain Controllers Policy$/m);
  assert.match(r.stdout, /^path {9}: \\\\forestd\.test\\sysvol\\forestd\.test\\Policies\\\{31B2F340-016D-11D2-945F-00C04FB984F9\}$/m);
});

// samba-tool sends `name` (= the RDN value) in the add, which AD accepts (issue 13 item 2)
test('samba-tool user create with --given-name and --surname', T, async (t) => {
  if (!needTool(t, '/usr/bin/samba-tool')) return;
  const r = await sambaTool(['user', 'create', 'alice', 'Al1ce-Passw0rd!', '--given-name=Alice', '--surname=Smith']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /User 'alice' added successfully/);
  const show = await sambaTool(['user', 'show', 'alice']);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /^dn: CN=Alice Smith,CN=Users,DC=forestd,DC=test$/m);
  assert.match(show.stdout, /^givenName: Alice$/m);
  assert.match(show.stdout, /^sn: Smith$/m);
  // negative control: the same name again is refused
  const again = await sambaTool(['user', 'create', 'alice', 'Al1ce-Passw0rd!', '--given-name=Alice', '--surname=Smith']);
  assert.notEqual(again.code, 0);
});
