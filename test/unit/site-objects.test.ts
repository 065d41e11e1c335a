// New objects of the sites tree over LDAP add: systemFlags by class, subnet names checked as
// Windows checks them (invalidDNSyntax otherwise; the good and bad names of Samba's sites.py).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, addObject, read, CONFIG } from './dsa-fixture.js';
import type { Directory } from '../../src/dsa/directory.js';
import { LdapError } from '../../src/ldap/protocol/result-codes.js';
import { isValidSubnetName } from '../../src/dsa/site-objects.js';

let d: Directory;
let close: () => Promise<void>;
before(async () => {
  ({ d, close } = await fixture());
});
after(async () => close?.());

const SITES = `CN=Sites,${CONFIG}`;
const flags = (dn: string) => {
  const { rec } = read(d, dn);
  return rec.attrs.find((a) => a.id === d.schema.attr('systemFlags')!.id)?.values[0];
};

test('systemFlags of new site, serversContainer, server objects; none on a plain container', async () => {
  await addObject(d, `CN=Branch,${SITES}`, { objectClass: 'site' });
  await addObject(d, `CN=Servers,CN=Branch,${SITES}`, { objectClass: 'serversContainer' });
  await addObject(d, `CN=DC9,CN=Servers,CN=Branch,${SITES}`, { objectClass: 'server' });
  assert.equal(flags(`CN=Branch,${SITES}`), 0x02000000, 'FLAG_DISALLOW_MOVE_ON_DELETE');
  assert.equal(flags(`CN=Servers,CN=Branch,${SITES}`), 0x02000000, 'FLAG_DISALLOW_MOVE_ON_DELETE');
  assert.equal(flags(`CN=DC9,CN=Servers,CN=Branch,${SITES}`), 0x52000000, 'FLAG_CONFIG_ALLOW_RENAME | FLAG_CONFIG_ALLOW_LIMITED_MOVE | FLAG_DISALLOW_MOVE_ON_DELETE');
  await addObject(d, `CN=10.99.0.0/16,CN=Subnets,${SITES}`, { objectClass: 'subnet' });
  assert.equal(flags(`CN=10.99.0.0/16,CN=Subnets,${SITES}`), 0x40000000, 'FLAG_CONFIG_ALLOW_RENAME');
  // negative control: another class gets no systemFlags
  await addObject(d, `CN=Plain,CN=Services,${CONFIG}`, { objectClass: 'container' });
  assert.equal(flags(`CN=Plain,CN=Services,${CONFIG}`), undefined);
});

test('subnet names: a valid prefix is created, an invalid one → invalidDNSyntax (34)', async () => {
  await addObject(d, `CN=10.11.12.0/24,CN=Subnets,${SITES}`, { objectClass: 'subnet' });
  await addObject(d, `CN=2001:db8::/32,CN=Subnets,${SITES}`, { objectClass: 'subnet' });
  for (const bad of ['10.11.12.0/14', '1.2.3.4', '255.255.255.0/24', '0.0.0.0/8', '003.1.2.0/24', 'a::b::0/120', '2001:0:c633:63:0:0:1:0/120', '::ffff:10:0/120', 'bob']) {
    await assert.rejects(addObject(d, `CN=${bad},CN=Subnets,${SITES}`, { objectClass: 'subnet' }), (e: LdapError) => {
      assert.equal(e.resultCode, 34, bad);
      assert.match(e.diagnosticMessage, /^[0-9A-F]{8}: /, bad);
      return true;
    });
  }
});

test('the subnet name rules (the lists of Samba sites.py, which Windows passes)', () => {
  const good = ['10.11.12.0/24', '10.11.12.0/23', '110.0.0.0/7', '1.0.0.0/32', '10.11.13.1/32', '1.2.3.4/30', '0.12.13.0/24', 'aaaa:bbbb:cccc:dddd:eeee:ffff:2222:1100/120', 'FFFF:FFFF:FFFF:FFFF:ABCD:EfFF:FFFF:FFeF/128', '9876::abfc/126', '::/48', 'c000::/2', '1::2/127', '8000::/1', '::1000/116', '127.0.0.0/8', '224.0.0.0/4', '::/96', '::1/128', '2001:0:c633:63::1:0/120', '10:0:0:42::/64', '1::4:5:0:0:8/127', '64:ff9b::aaaa:aaaa/127'];
  const bad = ['10.11.12.0/14', '1.0.0.0/0', '10.11.13.1/24', '110.0.0.0/33', '110.0.0.0/-1', '310.0.0.0/24', '1.0.0.0/1e', '1.0.0.0/24.0', '1.0.0.0/1/1', '1.0.0.0', '1.23.0/24', '1.23.0.0/0x10', 'aaaa:bbbb::/31', '1::1/127', 'a:b::/130', '::/129', '128.0.0.0/1', '255.255.255.255/32', '0.0.0.0/0', '00.1.2.0/24', '3.01.2.0/24', '0aaaa:bbbb::/32', '000a:bbbb::/32', '100a:0bbb:0023::/48', '0.0.0.0/8', '::/0', '0:0:0:0:0:0:0:0/8', '::0:4/128', '4f::0/48', 'a::g:0/120', 'a:::5:0/120', '10::42:0:0:0:0/64', '1:0:0:4:5::8/127', 'a::10.0.0.0/120', '::ffff:0:0/96', '::3:0/120', '::2:30/124', 'bob', '10.11.16.0/24\u0000hidden'];
  for (const g of good) assert.ok(isValidSubnetName(g), `good: ${g}`);
  for (const b of bad) assert.ok(!isValidSubnetName(b), `bad: ${b}`);
});

test('renaming a subnet to an invalid prefix → invalidDNSyntax; to a valid one it is renamed', async () => {
  const { modifyDN } = await import('../../src/dsa/modify-dn.js');
  const { ctx } = await import('./dsa-fixture.js');
  await addObject(d, `CN=10.17.0.0/24,CN=Subnets,${SITES}`, { objectClass: 'subnet' });
  const rename = (to: string) => modifyDN(d, { type: 'modifyDNRequest', entry: `CN=10.17.0.0/24,CN=Subnets,${SITES}`, newrdn: `CN=${to}`, deleteoldrdn: true }, ctx());
  await assert.rejects(rename('10.11.12.0/14'), (e: LdapError) => e.resultCode === 34);
  assert.ok(read(d, `CN=10.17.0.0/24,CN=Subnets,${SITES}`), 'still there under its old name');
  // negative control: a valid prefix, and a non-subnet object may take a name that is not one
  await rename('10.17.0.0/23');
  assert.ok(read(d, `CN=10.17.0.0/23,CN=Subnets,${SITES}`));
  await addObject(d, `CN=Other,CN=Users,DC=example,DC=com`, { objectClass: 'container' });
  await modifyDN(d, { type: 'modifyDNRequest', entry: `CN=Other,CN=Users,DC=example,DC=com`, newrdn: 'CN=10.11.12.0/14', deleteoldrdn: true }, ctx());
  assert.ok(read(d, `CN=10.11.12.0/14,CN=Users,DC=example,DC=com`));
});
