// What a read returns (issue 13 item 7), with OpenLDAP's ldapsearch: nTSecurityDescriptor only
// when named, the subSchema entry's dITContentRules only when named, attributeTypes and
// objectClasses and tokenGroups on the global-catalog port too, and no application NC on the GC.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startForestd, run, type RunningForestd } from '../helpers/forestd.js';

let f: RunningForestd;
before(async () => {
  f = await startForestd();
});
after(async () => {
  await f?.stop();
});

const T = { timeout: 60_000 };
async function types(url: string, base: string, scope: string, attrs: string[], filter = '(objectClass=*)'): Promise<{ dns: string[]; types: Set<string>; stdout: string }> {
  const r = await run('ldapsearch', ['-x', '-H', url, '-D', f.adminDN, '-w', f.adminPassword, '-b', base, '-s', scope, '-LLL', '-o', 'ldif-wrap=no', filter, ...attrs]);
  assert.equal(r.code, 0, r.stderr);
  const t = new Set<string>();
  const dns: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^([^:#]+)::? /.exec(line);
    if (!m) continue;
    if (m[1] === 'dn') dns.push(line.replace(/^dn:: ?/, '').replace(/^dn: /, ''));
    else t.add(m[1]!.toLowerCase());
  }
  return { dns, types: t, stdout: r.stdout };
}

test("nTSecurityDescriptor is returned when named, not for '*'", T, async () => {
  const dn = `CN=Administrator,CN=Users,${f.baseDN}`;
  const star = await types(f.url, dn, 'base', ['*']);
  assert.ok(star.types.has('samaccountname'));
  assert.ok(!star.types.has('ntsecuritydescriptor'), "'*' leaves out nTSecurityDescriptor");
  const named = await types(f.url, dn, 'base', ['nTSecurityDescriptor']);
  assert.ok(named.types.has('ntsecuritydescriptor'), 'asked for by name: returned');
  const both = await types(f.url, dn, 'base', ['*', 'nTSecurityDescriptor']);
  assert.ok(both.types.has('ntsecuritydescriptor') && both.types.has('samaccountname'));
});

test('the subSchema entry: dITContentRules only when named; attributeTypes and objectClasses on the GC port too', T, async () => {
  const agg = `CN=Aggregate,CN=Schema,CN=Configuration,${f.baseDN}`;
  const star = await types(f.url, agg, 'base', ['*']);
  assert.ok(star.types.has('attributetypes') && star.types.has('objectclasses'));
  assert.ok(!star.types.has('ditcontentrules'), "'*' leaves out dITContentRules");
  const named = await types(f.url, agg, 'base', ['dITContentRules']);
  assert.ok(named.types.has('ditcontentrules'));
  const gc = await types(f.gcUrl, agg, 'base', ['attributeTypes', 'objectClasses', 'dITContentRules']);
  assert.ok(gc.types.has('attributetypes') && gc.types.has('objectclasses') && gc.types.has('ditcontentrules'), `GC: ${[...gc.types].join(' ')}`);
});

test('the GC port: tokenGroups computed, attributes outside the partial attribute set left out, no application NC', T, async () => {
  const dn = `CN=Administrator,CN=Users,${f.baseDN}`;
  const gc = await types(f.gcUrl, dn, 'base', ['tokenGroups', 'adminCount', 'sAMAccountName']);
  assert.ok(gc.types.has('tokengroups'), `tokenGroups on the GC: ${gc.stdout}`);
  assert.ok(gc.types.has('samaccountname'));
  // negative control: adminCount is not in the partial attribute set, so the GC leaves it out while the LDAP port has it
  assert.ok(!gc.types.has('admincount'));
  assert.ok((await types(f.url, dn, 'base', ['adminCount'])).types.has('admincount'));
  // a GC subtree search covers the domain, configuration and schema NCs, not DomainDnsZones/ForestDnsZones
  const all = await types(f.gcUrl, '', 'sub', ['1.1'], '(objectClass=infrastructureUpdate)');
  assert.ok(all.dns.includes(`CN=Infrastructure,${f.baseDN}`), all.stdout);
  assert.ok(!all.dns.some((d) => /DnsZones/i.test(d)), `no application NC object on the GC: ${all.dns.join('; ')}`);
  const ldap = await types(f.url, `DC=DomainDnsZones,${f.baseDN}`, 'sub', ['1.1'], '(objectClass=infrastructureUpdate)');
  assert.deepEqual(ldap.dns, [`CN=Infrastructure,DC=DomainDnsZones,${f.baseDN}`], 'the LDAP port serves the application NC');
});
