// OpenLDAP's command-line clients (Debian ldap-utils) against a real forestd.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startForestd, run, adminToolArgs, type RunningForestd } from '../helpers/forestd.js';
import { AD, expectAdError, ldapToolError } from '../helpers/ad-errors.js';
import { tempDir } from '../helpers/tmp.js';
import { createSelfSignedCertificate } from '../../src/ldap/tls.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

let f: RunningForestd;
before(async () => {
  f = await startForestd();
});
after(async () => {
  await f?.stop();
});

const auth = () => adminToolArgs(f);

/** Parses ldapsearch -LLL output into entries of attribute → values (base64 values decoded). */
function parseLdif(text: string): Record<string, string[]>[] {
  const entries: Record<string, string[]>[] = [];
  const unfolded = text.replace(/\n /g, '');
  for (const block of unfolded.split(/\n\n+/)) {
    const e: Record<string, string[]> = {};
    for (const line of block.split('\n')) {
      const m = /^([^:]+)(::?) ?(.*)$/.exec(line);
      if (!m || line.startsWith('#')) continue;
      const v = m[2] === '::' ? Buffer.from(m[3]!, 'base64').toString('utf8') : m[3]!;
      (e[m[1]!.toLowerCase()] ??= []).push(v);
    }
    if (Object.keys(e).length) entries.push(e);
  }
  return entries;
}

test('anonymous: the rootDSE is readable', async () => {
  const r = await run('ldapsearch', ['-x', '-H', f.url, '-b', '', '-s', 'base', '-LLL', '(objectClass=*)']);
  assert.equal(r.code, 0, r.stderr);
  const [e] = parseLdif(r.stdout);
  assert.deepEqual(e!.defaultnamingcontext, [f.baseDN]);
  // MS-ADTS 7.1.1.2.1: the DNS application partitions are NCs of a new forest too
  assert.deepEqual(e!.namingcontexts!.sort(), [f.baseDN, `CN=Configuration,${f.baseDN}`, `CN=Schema,CN=Configuration,${f.baseDN}`, `DC=DomainDnsZones,${f.baseDN}`, `DC=ForestDnsZones,${f.baseDN}`].sort());
  assert.ok(e!.supportedcapabilities!.includes('1.2.840.113556.1.4.800'), 'claims LDAP_CAP_ACTIVE_DIRECTORY_OID');
  assert.deepEqual(e!.supportedldapversion!.sort(), ['2', '3']);
  assert.match(e!.currenttime![0]!, /^\d{14}\.0Z$/);
  assert.ok(Number(e!.highestcommittedusn![0]) > 1000);
  assert.ok(e!.supportedcontrol!.includes('1.2.840.113556.1.4.319'), 'paged results listed');
});

test('anonymous: anything beyond the rootDSE is refused the AD way', async () => {
  const r = await run('ldapsearch', ['-x', '-H', f.url, '-b', f.baseDN, '-LLL', '(objectClass=*)']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr + r.stdout, /Operations error \(1\)/);
  assert.match(r.stderr + r.stdout, /000004DC: LdapErr: DSID-[0-9A-F]{8}, comment: In order to perform this operation a successful bind must be completed/);
});

test('bind: good password by DN, UPN and DOMAIN\\name; bad password gets 52e', async () => {
  for (const who of [f.adminDN, f.adminUPN, `${f.netbios}\\Administrator`]) {
    const r = await run('ldapwhoami', ['-x', '-H', f.url, '-D', who, '-w', f.adminPassword]);
    assert.equal(r.code, 0, `${who}: ${r.stderr}`);
    assert.equal(r.stdout.trim(), `u:${f.netbios}\\Administrator`);
  }
  const bad = await run('ldapwhoami', ['-x', '-H', f.url, '-D', f.adminDN, '-w', 'wrong']);
  assert.equal(bad.code, 49);
  assert.match(bad.stderr, /80090308: LdapErr: DSID-[0-9A-F]{8}, comment: AcceptSecurityContext error, data 52e/);
  const nobody = await run('ldapwhoami', ['-x', '-H', f.url, '-D', `nobody@${f.realm}`, '-w', 'x']);
  assert.equal(nobody.code, 49, 'an unknown account fails like a bad password');
  // Guest is disabled: data 533 once it has a password… it has none, so 52e
  const guest = await run('ldapwhoami', ['-x', '-H', f.url, '-D', `Guest@${f.realm}`, '-w', 'x']);
  assert.equal(guest.code, 49);
});

test('search: the provisioned domain, by indexed equality, with attribute selection', async () => {
  const r = await run('ldapsearch', [...auth(), '-b', f.baseDN, '-LLL', '(sAMAccountName=Domain Admins)', 'objectSid', 'member', 'groupType', 'sAMAccountType', 'objectClass']);
  assert.equal(r.code, 0, r.stderr);
  const [e] = parseLdif(r.stdout);
  assert.ok(e, r.stdout);
  assert.equal(e!.dn![0], `CN=Domain Admins,CN=Users,${f.baseDN}`);
  assert.deepEqual(e!.member, [f.adminDN]);
  assert.deepEqual(e!.grouptype, ['-2147483646']);
  assert.deepEqual(e!.samaccounttype, ['268435456']);
  assert.deepEqual(e!.objectclass, ['top', 'group']);
  const admin = parseLdif((await run('ldapsearch', [...auth(), '-b', f.adminDN, '-s', 'base', '-LLL', '(objectClass=*)', 'memberOf', 'unicodePwd', 'objectCategory'])).stdout)[0]!;
  assert.ok(admin.memberof!.includes(`CN=Domain Admins,CN=Users,${f.baseDN}`));
  assert.ok(admin.memberof!.includes(`CN=Administrators,CN=Builtin,${f.baseDN}`));
  assert.equal(admin.unicodepwd, undefined, 'passwords are never returned');
  assert.deepEqual(admin.objectcategory, [`CN=Person,CN=Schema,CN=Configuration,${f.baseDN}`]);
});

test('add, modify, compare, modrdn, delete with ldap-utils', async () => {
  const ou = `OU=LdapUtils,${f.baseDN}`;
  let r = await run('ldapadd', auth(), `dn: ${ou}\nobjectClass: organizationalUnit\n\ndn: CN=Alice,${ou}\nobjectClass: user\nsAMAccountName: alice\ngivenName: Alice\ndescription: first\n`);
  assert.equal(r.code, 0, r.stderr);
  r = await run('ldapmodify', auth(), `dn: CN=Alice,${ou}\nchangetype: modify\nreplace: description\ndescription: second\n-\nadd: mail\nmail: alice@example.com\n`);
  assert.equal(r.code, 0, r.stderr);
  r = await run('ldapcompare', [...auth(), `CN=Alice,${ou}`, 'description:second']);
  assert.equal(r.code, 6, `compareTrue: ${r.stdout}${r.stderr}`);
  r = await run('ldapcompare', [...auth(), `CN=Alice,${ou}`, 'description:first']);
  assert.equal(r.code, 5, 'compareFalse');
  r = await run('ldapmodrdn', [...auth(), '-r', `CN=Alice,${ou}`, 'CN=Alice Smith']);
  assert.equal(r.code, 0, r.stderr);
  const e = parseLdif((await run('ldapsearch', [...auth(), '-b', ou, '-LLL', '(sAMAccountName=alice)', 'cn', 'name', 'description', 'mail'])).stdout)[0]!;
  assert.equal(e.dn![0], `CN=Alice Smith,${ou}`);
  assert.deepEqual(e.cn, ['Alice Smith']);
  assert.deepEqual(e.name, ['Alice Smith']);
  assert.deepEqual(e.description, ['second']);
  // deleting a non-leaf is refused; the leaf first, then the OU
  r = await run('ldapdelete', [...auth(), ou]);
  assert.equal(r.code, 66, `notAllowedOnNonLeaf: ${r.stderr}`);
  r = await run('ldapdelete', [...auth(), `CN=Alice Smith,${ou}`, ou]);
  assert.equal(r.code, 0, r.stderr);
  r = await run('ldapsearch', [...auth(), '-b', ou, '-s', 'base', '-LLL', '(objectClass=*)']);
  assert.equal(r.code, 32, 'noSuchObject after delete');
  assert.match(r.stderr + r.stdout, /0000208D: NameErr: DSID-[0-9A-F]{8}, problem 2001 \(NO_OBJECT\)/);
});

test('errors carry AD extended text: duplicate add, bad attribute, missing parent', async () => {
  let r = await run('ldapadd', auth(), `dn: CN=Users,${f.baseDN}\nobjectClass: container\n`);
  assert.equal(r.code, 68);
  assert.match(r.stderr, /00002071: UpdErr: DSID-[0-9A-F]{8}, problem 6005 \(ENTRY_EXISTS\)/);
  r = await run('ldapadd', auth(), `dn: CN=X,CN=Users,${f.baseDN}\nobjectClass: container\nnoSuchAttributeAnywhere: 1\n`);
  // an unknown attribute type in an add: Windows answers noSuchAttribute (issue 13 item 3; Samba's ldap.py test_invalid_attribute)
  assert.equal(r.code, 16, r.stderr);
  assert.match(r.stderr, /00000057: LdapErr: DSID-[0-9A-F]{8}, comment: Error in attribute conversion operation/);
  r = await run('ldapadd', auth(), `dn: CN=X,CN=Nope,${f.baseDN}\nobjectClass: container\n`);
  assert.equal(r.code, 32, r.stderr);
  assert.match(r.stderr, /matched DN: CN=Users|matched DN: DC=/i);
});

test('the subSchema entry parses with OpenLDAP', async () => {
  const r = await run('ldapsearch', [...auth(), '-b', `CN=Aggregate,CN=Schema,CN=Configuration,${f.baseDN}`, '-s', 'base', '-LLL', '(objectClass=*)', 'attributeTypes', 'objectClasses', 'dITContentRules']);
  assert.equal(r.code, 0, r.stderr);
  const e = parseLdif(r.stdout)[0]!;
  assert.ok(e.attributetypes!.length >= 1498, `attributeTypes: ${e.attributetypes?.length}`);
  assert.ok(e.objectclasses!.length >= 269);
  assert.ok(e.attributetypes!.some((v) => /NAME 'sAMAccountName'/.test(v)));
});

test('MS-ADTS 3.1.1.4.5.18 msDS-Auxiliary-Classes with ldap-utils: an auxiliary class attached with ldapmodify is listed; none before', async () => {
  const dn = `CN=AuxUser,CN=Users,${f.baseDN}`;
  let r = await run('ldapadd', auth(), `dn: ${dn}\nobjectClass: user\nsAMAccountName: auxuser\n`);
  assert.equal(r.code, 0, r.stderr);
  const aux = async () => parseLdif((await run('ldapsearch', [...auth(), '-b', dn, '-s', 'base', '-LLL', '(objectClass=*)', 'msDS-Auxiliary-Classes', 'sAMAccountName'])).stdout)[0]!;
  const before = await aux();
  assert.deepEqual(before.samaccountname, ['auxuser']);
  assert.equal(before['msds-auxiliary-classes'], undefined);
  r = await run('ldapmodify', auth(), `dn: ${dn}\nchangetype: modify\nadd: objectClass\nobjectClass: ipHost\n-\n`);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual((await aux())['msds-auxiliary-classes'], ['ipHost']);
});

test('MS-ADTS 3.1.1.4.5.21 possibleInferiors with ldapsearch: the classSchema object of organizationalUnit lists user, group, organizationalUnit; a user object has none', async () => {
  const S = `CN=Schema,CN=Configuration,${f.baseDN}`;
  const r = await run('ldapsearch', [...auth(), '-b', S, '-s', 'one', '-LLL', '(lDAPDisplayName=organizationalUnit)', 'possibleInferiors']);
  assert.equal(r.code, 0, r.stderr);
  const e = parseLdif(r.stdout)[0]!;
  for (const c of ['user', 'group', 'organizationalUnit', 'computer']) assert.ok(e.possibleinferiors?.includes(c), `${c} in ${e.possibleinferiors}`);
  // nTDSDSA names server among its systemPossSuperiors, but it is systemOnly
  const server = parseLdif((await run('ldapsearch', [...auth(), '-b', S, '-s', 'one', '-LLL', '(|(lDAPDisplayName=server)(lDAPDisplayName=nTDSDSA))', 'lDAPDisplayName', 'possibleInferiors', 'systemPossSuperiors', 'systemOnly'])).stdout);
  const dsa = server.find((x) => x.ldapdisplayname?.[0] === 'nTDSDSA')!;
  assert.ok(dsa.systemposssuperiors!.includes('server') && dsa.systemonly?.[0] === 'TRUE');
  assert.ok(!server.find((x) => x.ldapdisplayname?.[0] === 'server')!.possibleinferiors?.includes('nTDSDSA'), 'a systemOnly class is no possible inferior');
  const u = parseLdif((await run('ldapsearch', [...auth(), '-b', f.adminDN, '-s', 'base', '-LLL', '(objectClass=*)', 'possibleInferiors', 'sAMAccountName'])).stdout)[0]!;
  assert.deepEqual(u.samaccountname, ['Administrator']);
  assert.equal(u.possibleinferiors, undefined, 'only classSchema objects have it');
});

test('global catalog port: forest-wide subtree from the root, partial attribute set only, read-only', async () => {
  const gc = ['-x', '-H', f.gcUrl, '-D', f.adminDN, '-w', f.adminPassword];
  const r = await run('ldapsearch', [...gc, '-b', '', '-LLL', '(|(sAMAccountName=Administrator)(cn=Enterprise Schema))', 'sAMAccountName', 'adminCount', 'pwdLastSet', 'cn']);
  assert.equal(r.code, 0, r.stderr);
  const entries = parseLdif(r.stdout);
  const dns = entries.map((e) => e.dn![0]!);
  assert.ok(dns.includes(f.adminDN), 'an object of the domain NC');
  assert.ok(dns.some((d) => /^CN=Enterprise Schema,CN=Partitions,CN=Configuration,/i.test(d)), 'an object of the configuration NC');
  const admin = entries.find((e) => e.dn![0] === f.adminDN)!;
  assert.deepEqual(admin.samaccountname, ['Administrator'], 'in the partial attribute set');
  assert.equal(admin.admincount, undefined, 'adminCount is not in the partial attribute set');
  assert.equal(admin.pwdlastset, undefined);
  // the same attributes on the LDAP port
  const full = parseLdif((await run('ldapsearch', [...auth(), '-b', f.adminDN, '-s', 'base', '-LLL', '(objectClass=*)', 'adminCount'])).stdout)[0]!;
  assert.deepEqual(full.admincount, ['1']);
  const w = await run('ldapmodify', gc, `dn: ${f.adminDN}\nchangetype: modify\nreplace: description\ndescription: via gc\n`);
  assert.equal(w.code, 53, 'the global catalog is read-only');
});

test('schema update over LDAP: a new attribute and class, schemaUpdateNow, an object using them; refusals', async () => {
  const S = `CN=Schema,CN=Configuration,${f.baseDN}`;
  let r = await run('ldapadd', auth(), `dn: CN=ldap-Utils-Shoe-Size,${S}\nobjectClass: attributeSchema\nattributeID: 1.3.6.1.4.1.99999.7.1\nattributeSyntax: 2.5.5.9\noMSyntax: 2\nisSingleValued: TRUE\n\ndn: CN=ldap-Utils-Walker,${S}\nobjectClass: classSchema\ngovernsID: 1.3.6.1.4.1.99999.7.2\nsubClassOf: top\nobjectClassCategory: 1\npossSuperiors: container\nmayContain: ldapUtilsShoeSize\n`);
  assert.equal(r.code, 0, r.stderr);
  r = await run('ldapmodify', auth(), `dn:\nchangetype: modify\nadd: schemaUpdateNow\nschemaUpdateNow: 1\n-\n`);
  assert.equal(r.code, 0, r.stderr);
  r = await run('ldapadd', auth(), `dn: CN=walker1,CN=Users,${f.baseDN}\nobjectClass: ldapUtilsWalker\nldapUtilsShoeSize: 44\n`);
  assert.equal(r.code, 0, r.stderr);
  const e = parseLdif((await run('ldapsearch', [...auth(), '-b', `CN=Users,${f.baseDN}`, '-LLL', '(ldapUtilsShoeSize>=40)', 'ldapUtilsShoeSize', 'objectClass'])).stdout)[0]!;
  assert.deepEqual(e.ldaputilsshoesize, ['44']);
  assert.deepEqual(e.objectclass, ['top', 'ldapUtilsWalker']);
  // a duplicate OID and a bad syntax pair: unwillingToPerform with AD's text
  r = await run('ldapadd', auth(), `dn: CN=dup-oid,${S}\nobjectClass: attributeSchema\nattributeID: 1.3.6.1.4.1.99999.7.1\nattributeSyntax: 2.5.5.12\noMSyntax: 64\nisSingleValued: TRUE\n`);
  let refusal = ldapToolError(r);
  expectAdError(refusal.code, refusal.diagnostic, AD.SCHEMA_REFUSED); // attributeID in use
  r = await run('ldapadd', auth(), `dn: CN=bad-syntax,${S}\nobjectClass: attributeSchema\nattributeID: 1.3.6.1.4.1.99999.7.3\nattributeSyntax: 2.5.5.12\noMSyntax: 2\nisSingleValued: TRUE\n`);
  refusal = ldapToolError(r);
  expectAdError(refusal.code, refusal.diagnostic, AD.SCHEMA_REFUSED); // attributeSyntax/oMSyntax not a pair
  // neither was added (the refusals are real, whatever their text)
  for (const cn of ['dup-oid', 'bad-syntax']) assert.equal((await run('ldapsearch', [...auth(), '-b', `CN=${cn},${S}`, '-s', 'base', '-LLL', '1.1'])).code, 32);
  // the subSchema entry lists the new attribute
  const agg = parseLdif((await run('ldapsearch', [...auth(), '-b', `CN=Aggregate,${S}`, '-s', 'base', '-LLL', '(objectClass=*)', 'attributeTypes'])).stdout)[0]!;
  assert.ok(agg.attributetypes!.some((v) => /NAME 'ldapUtilsShoeSize'/.test(v)));
});

// TLS against a real forestd (the server tests use a fake directory): the certificate forestd
// made at first start verifies (LDAPTLS_REQCERT=demand, its IP in the SAN), StartTLS (-ZZ),
// LDAPS and the global catalog over TLS all carry a bind and a search; the controls: another CA
// is refused, and the same root search on the non-GC port is noSuchObject.
test('TLS (real forestd): StartTLS, LDAPS and the GC over TLS with certificate checks', async () => {
  const tls = { LDAPTLS_CACERT: f.certPath, LDAPTLS_REQCERT: 'demand', LDAPCONF: '/dev/null', LDAPRC: '/dev/null' };
  const port = (u: string) => new URL(u).port;
  const bind = ['-x', '-D', f.adminDN, '-w', f.adminPassword];
  const base = ['-b', f.baseDN, '-s', 'base', '-LLL', 'dn'];
  let r = await run('ldapsearch', ['-ZZ', '-H', `ldap://127.0.0.1:${f.port}`, ...bind, ...base], undefined, tls);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), `dn: ${f.baseDN}`);
  r = await run('ldapsearch', ['-H', `ldaps://127.0.0.1:${f.ldapsPort}`, ...bind, ...base], undefined, tls);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), `dn: ${f.baseDN}`);
  // the GC over TLS: a subtree search from the root reaches the domain and configuration NCs
  const fromRoot = (url: string, filter: string) => run('ldapsearch', ['-H', url, ...bind, '-b', '', '-s', 'sub', '-LLL', filter, 'dn'], undefined, tls);
  r = await fromRoot(`ldaps://127.0.0.1:${port(f.gcsUrl)}`, '(sAMAccountName=krbtgt)');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), `dn: CN=krbtgt,CN=Users,${f.baseDN}`);
  r = await fromRoot(`ldaps://127.0.0.1:${port(f.gcsUrl)}`, '(objectClass=crossRefContainer)');
  assert.equal(r.stdout.trim(), `dn: CN=Partitions,CN=Configuration,${f.baseDN}`);
  // control: the same search on the LDAPS (non-GC) port finds no object at the root
  r = await fromRoot(`ldaps://127.0.0.1:${f.ldapsPort}`, '(sAMAccountName=krbtgt)');
  expectAdError(r.code ?? -1, /Additional information: (.*)$/m.exec(r.stderr)?.[1] ?? r.stderr, { ldap: 32, win32: 0x208d, problem: 2001, spec: 'MS-ADTS 3.1.1.3.1.1 (a base that is no object) / ERROR_DS_OBJ_NOT_FOUND' });
  // control: a CA that did not sign forestd's certificate is refused before any LDAP
  const other = tempDir();
  try {
    const otherCa = join(other.dir, 'other.pem');
    writeFileSync(otherCa, createSelfSignedCertificate(['localhost'], ['127.0.0.1']).cert);
    r = await run('ldapsearch', ['-H', `ldaps://127.0.0.1:${f.ldapsPort}`, ...bind, ...base], undefined, { ...tls, LDAPTLS_CACERT: otherCa });
    assert.equal(r.code, 255, r.stderr);
    assert.match(r.stderr, /Can't contact LDAP server \(-1\)/);
  } finally {
    other.cleanup();
  }
});
