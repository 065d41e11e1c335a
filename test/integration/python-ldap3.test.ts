// python-ldap3 (Debian's python3-ldap3) against a real forestd.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { startForestd, run, PYTHON, type RunningForestd } from '../helpers/forestd.js';
import { findPackageRoot } from '../../src/schema/bootstrap.js';

// the script is not compiled: it stays in the source tree, found from the package root
const scriptPath = join(findPackageRoot(), 'test/integration/py/ldap3_client.py');

let f: RunningForestd;
before(async () => {
  f = await startForestd();
});
after(async () => {
  await f?.stop();
});

test('python-ldap3: bind, schema read, add/modify/search/paged search/delete, bad bind', async () => {
  const r = await run(PYTHON, [scriptPath, f.url, f.baseDN, f.adminDN, f.adminPassword]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(out.bound, true);
  assert.equal(out.whoami, `u:${f.netbios}\\Administrator`);
  // 1,499 attributes less the one defunct (msDS-DrsFarmID), which subSchema does not publish
  assert.ok(out.schema_attribute_types >= 1498, `ldap3 parsed ${out.schema_attribute_types} attributeTypes`);
  assert.ok(out.schema_object_classes >= 269);
  // with the DNS application NCs a new Windows domain has
  assert.deepEqual(out.naming_contexts, [`CN=Configuration,${f.baseDN}`, `CN=Schema,CN=Configuration,${f.baseDN}`, `DC=DomainDnsZones,${f.baseDN}`, `DC=ForestDnsZones,${f.baseDN}`, f.baseDN].sort());
  assert.equal(out.add_ou, 0);
  assert.equal(out.add_user, 0);
  assert.equal(out.modify, 0);
  assert.deepEqual(out.modify_missing_value, [16, '00002085'], 'deleting a missing value: noSuchAttribute with AD text');
  assert.equal(out.search.dn, `CN=Bob,OU=Py,${f.baseDN}`);
  assert.equal(out.search.description, 'changed');
  assert.equal(out.search.mail, 'bob@example.com');
  assert.match(out.search.sid, /^S-1-5-21-\d+-\d+-\d+-\d+$/);
  assert.equal(out.search.guid_len, 16);
  // the paged search saw the whole domain NC: what another client (ldapts, paged) lists now, plus
  // the OU and user the script deleted after its search
  const c = new Client({ url: f.url });
  await c.bind(f.adminDN, f.adminPassword);
  const now = await c.search(f.baseDN, { scope: 'sub', filter: '(objectClass=*)', attributes: ['1.1'], paged: { pageSize: 500 } });
  await c.unbind();
  assert.equal(out.paged_result, 0, 'the paged search ended in success');
  assert.equal(out.paged_count, now.searchEntries.length + 2, `paged search saw ${out.paged_count}`);
  assert.equal(out.paged_unique, out.paged_count, 'each entry once');
  assert.equal(out.delete_user, 0);
  assert.equal(out.delete_ou, 0);
  assert.deepEqual(out.bad_bind, [49, true]);
});
