// What a new domain has (MS-ADTS 7.1, compared with a fresh Windows Server 2016 domain): the
// Password Settings Container, the default GPOs and their gPLinks, the domain head's SAM
// attributes, the protected groups' adminCount, DnsAdmins/DnsUpdateProxy, IIS_IUSRS ∋ S-1-5-17,
// the DC's computer object, and the DomainDnsZones/ForestDnsZones application NCs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { provision } from '../../src/dsa/provision/provision.js';
import type { Directory } from '../../src/dsa/directory.js';
import { ReadContext, type ObjectView } from '../../src/dsa/object-view.js';
import { sidToString } from '../../src/schema/syntaxes/index.js';
import { rootDseAttributes } from '../../src/dsa/rootdse.js';
import type { OperationContext } from '../../src/dsa/api.js';
import { addObject, USERS } from './dsa-fixture.js';
import { tempDir } from '../helpers/tmp.js';

const D = 'DC=example,DC=com';
let dir: Directory;
let cleanup: () => void;
let seconds = 0;
before(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  const p = await provision({ dataDir: t.dir, realm: 'example.com', netbios: 'EXAMPLE', adminPassword: 'Passw0rd!' });
  dir = p.directory;
  seconds = p.seconds;
});
after(async () => {
  await dir?.close();
  cleanup?.();
});

function view(dn: string): ObjectView {
  const r = dir.store.reader;
  const g = dir.resolve(r, dn, 'test');
  return new ReadContext(dir, r).view(g)!;
}
const str = (v: ObjectView, a: string) => {
  const x = v.first(a);
  return x === undefined ? undefined : typeof x === 'object' && !(x instanceof Uint8Array) ? x : String(x);
};
const dnOf = (v: ObjectView, a: string) => v.values(dir.schema.attr(a)!).map((x) => dir.schema.attr(a)!.syntax.toLdap(x, v.rc.ctx, { attribute: a }) as string);

test('the domain head: nTMixedDomain, creationTime, oEMInformation, modifiedCountAtLastProm, auditingPolicy, msDS-NcType, gPLink', () => {
  const h = view(D);
  assert.equal(str(h, 'nTMixedDomain'), '0');
  assert.equal(str(h, 'modifiedCountAtLastProm'), '0');
  assert.equal(str(h, 'msDS-NcType'), '0');
  assert.match(String(str(h, 'oEMInformation')), /^Provisioned by forestd /);
  assert.deepEqual(Buffer.from(h.first('auditingPolicy') as Uint8Array), Buffer.from([0, 1]));
  const ct = BigInt(h.first('creationTime') as bigint);
  // test-lint-allow wall-clock: a timestamp (creationTime) against the clock, not a duration
  const now = (BigInt(Date.now()) / 1000n + 11_644_473_600n) * 10_000_000n;
  assert.ok(ct > now - 3600n * 10_000_000n && ct <= now + 10_000_000n, 'creationTime is the provisioning time (FILETIME)');
  assert.deepEqual(dnOf(h, 'gPLink'), [`[LDAP://CN={31B2F340-016D-11D2-945F-00C04FB984F9},CN=Policies,CN=System,${D};0]`]);
  assert.deepEqual(dnOf(view(`OU=Domain Controllers,${D}`), 'gPLink'), [`[LDAP://CN={6AC1786C-016F-11D2-945F-00C04fB984F9},CN=Policies,CN=System,${D};0]`]);
});

test('the Password Settings Container and the two default GPOs with their User and Machine containers', () => {
  const psc = view(`CN=Password Settings Container,CN=System,${D}`);
  assert.ok(psc.objectClassNames().includes('msDS-PasswordSettingsContainer'));
  for (const [guid, name, ext] of [
    ['{31B2F340-016D-11D2-945F-00C04FB984F9}', 'Default Domain Policy', /^\[\{35378EAC-683F-11D2-A89A-00C04FBBCFA2\}\{53D6AB1B-2488-11D1-A28C-00C04FB94F17\}\]\[\{827D319E-/],
    ['{6AC1786C-016F-11D2-945F-00C04fB984F9}', 'Default Domain Controllers Policy', /^\[\{827D319E-6EAC-11D2-A4EA-00C04F79F83A\}\{803E14A0-B4FB-11D0-A0D0-00A0C90F574B\}\]$/],
  ] as const) {
    const g = view(`CN=${guid},CN=Policies,CN=System,${D}`);
    assert.equal(g.structuralClass(), 'groupPolicyContainer');
    assert.equal(g.rec.name, guid, 'the RDN keeps Windows spelling');
    assert.equal(str(g, 'displayName'), name);
    assert.equal(str(g, 'gPCFileSysPath'), `\\\\example.com\\sysvol\\example.com\\Policies\\${guid}`);
    assert.equal(str(g, 'gPCFunctionalityVersion'), '2');
    assert.equal(str(g, 'flags'), '0');
    assert.match(String(str(g, 'gPCMachineExtensionNames')), ext);
    for (const c of ['User', 'Machine']) assert.equal(view(`CN=${c},CN=${guid},CN=Policies,CN=System,${D}`).structuralClass(), 'container');
  }
});

test('principals: Guest in Domain Guests, krbtgt pwdLastSet, adminCount, DnsAdmins/DnsUpdateProxy, IIS_IUSRS ∋ S-1-5-17', async () => {
  assert.equal(str(view(`CN=Guest,${USERS}`), 'primaryGroupID'), '514');
  // negative control: a user added now gets Domain Users (513)
  await addObject(dir, `CN=plain,${USERS}`, { objectClass: 'user', sAMAccountName: 'plain' });
  assert.equal(str(view(`CN=plain,${USERS}`), 'primaryGroupID'), '513');
  assert.equal(view(`CN=plain,${USERS}`).first('adminCount'), undefined);
  assert.ok(BigInt(view(`CN=krbtgt,${USERS}`).first('pwdLastSet') as bigint) > 0n, 'krbtgt has a password set at provisioning');
  for (const rel of ['CN=Administrator,CN=Users', 'CN=krbtgt,CN=Users', 'CN=Administrators,CN=Builtin', 'CN=Account Operators,CN=Builtin', 'CN=Server Operators,CN=Builtin', 'CN=Print Operators,CN=Builtin', 'CN=Backup Operators,CN=Builtin', 'CN=Replicator,CN=Builtin', 'CN=Domain Admins,CN=Users', 'CN=Schema Admins,CN=Users', 'CN=Enterprise Admins,CN=Users', 'CN=Domain Controllers,CN=Users', 'CN=Read-only Domain Controllers,CN=Users', 'CN=Key Admins,CN=Users', 'CN=Enterprise Key Admins,CN=Users']) {
    assert.equal(str(view(`${rel},${D}`), 'adminCount'), '1', `${rel} adminCount`);
  }
  assert.equal(view(`CN=Domain Users,${USERS}`).first('adminCount'), undefined, 'Domain Users is not protected');
  const dnsAdmins = view(`CN=DnsAdmins,${USERS}`);
  assert.equal(str(dnsAdmins, 'groupType'), String(-2147483644), 'domain local security group');
  assert.match(sidToString(dnsAdmins.first('objectSid') as Uint8Array), /-1101$/);
  const proxy = view(`CN=DnsUpdateProxy,${USERS}`);
  assert.equal(str(proxy, 'groupType'), String(-2147483646), 'global security group');
  assert.match(sidToString(proxy.first('objectSid') as Uint8Array), /-1102$/);
  assert.deepEqual(dnOf(view(`CN=IIS_IUSRS,CN=Builtin,${D}`), 'member'), [`CN=S-1-5-17,CN=ForeignSecurityPrincipals,${D}`]);
});

test("the DC's computer object: msDS-SupportedEncryptionTypes and localPolicyFlags", () => {
  const dc = view(`CN=DC1,OU=Domain Controllers,${D}`);
  assert.equal(str(dc, 'msDS-SupportedEncryptionTypes'), '28');
  assert.equal(str(dc, 'localPolicyFlags'), '0');
});

test('DomainDnsZones and ForestDnsZones: NC heads, crossRefs, namingContexts, msDS-hasMasterNCs', () => {
  const ctx: OperationContext = { session: { id: 1, identity: null, encrypted: false, globalCatalog: false, remoteAddress: 'test' }, controls: [], signal: new AbortController().signal };
  const nc = rootDseAttributes(dir, { type: 'searchRequest', baseObject: '', scope: 0, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: { type: 'present', attribute: 'objectClass' }, attributes: ['namingContexts'] }, ctx, { supportedControls: () => [], supportedExtensions: () => [], supportedLdapPolicies: () => [] })!;
  const names = nc.find((a) => a.type === 'namingContexts')!.values.map(String);
  const dsa = view(dir.forest.dsaDN);
  for (const n of ['DomainDnsZones', 'ForestDnsZones']) {
    const dn = `DC=${n},${D}`;
    const head = view(dn);
    assert.equal(head.structuralClass(), 'domainDNS');
    assert.equal(str(head, 'instanceType'), '13', 'IT_NC_HEAD | IT_WRITE | IT_NC_ABOVE');
    for (const c of ['Deleted Objects', 'Infrastructure', 'LostAndFound', 'NTDS Quotas', 'MicrosoftDNS']) assert.ok(view(`CN=${c},${dn}`));
    assert.ok(names.includes(dn), `namingContexts has ${dn}`);
    assert.ok(dnOf(dsa, 'msDS-hasMasterNCs').includes(dn));
    assert.ok(!dnOf(dsa, 'hasMasterNCs').includes(dn), 'hasMasterNCs keeps the domain, configuration and schema NCs only');
    const r = dir.store.reader;
    const rc = new ReadContext(dir, r);
    const parts = dir.resolve(r, `CN=Partitions,${dir.forest.configDN}`, 'test');
    const refs = [...r.children(parts)].map((g) => rc.view(g)!).filter((v) => dnOf(v, 'nCName')[0] === dn);
    assert.equal(refs.length, 1, `one crossRef for ${dn}`);
    assert.match(refs[0]!.rec.name, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(str(refs[0]!, 'dnsRoot'), `${n}.example.com`);
    assert.equal(str(refs[0]!, 'systemFlags'), '5', 'FLAG_CR_NTDS_NC | FLAG_CR_NTDS_NOT_GC_REPLICATED');
    assert.deepEqual(dnOf(refs[0]!, 'msDS-NC-Replica-Locations'), [dir.forest.dsaDN]);
  }
  assert.ok(seconds > 0);
});
