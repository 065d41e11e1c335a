// Issue 13 (items 1-4) over the wire: the SAM rules and AD's result codes seen by a real
// client, python-ldap3 (Debian python3-ldap3), against a real forestd. Each refusal has its
// allowed variant next to it. The full table is test/unit/dsa-sam.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startForestd, run, PYTHON, type RunningForestd } from '../helpers/forestd.js';
import { findPackageRoot } from '../../src/schema/bootstrap.js';

const scriptPath = join(findPackageRoot(), 'test/integration/py/sam_rules_client.py');

let f: RunningForestd;
before(async () => {
  f = await startForestd();
});
after(async () => {
  await f?.stop();
});

test('python-ldap3: SAM rules and Windows result codes (MS-SAMR 3.1.1.8, MS-ADTS 3.1.1.5.2.2)', { timeout: 120_000 }, async () => {
  const r = await run(PYTHON, [scriptPath, f.url, f.baseDN, f.adminDN, f.adminPassword]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  // MS-SAMR 3.1.1.8.10: userAccountControl
  assert.deepEqual(out.computer_no_uac, [0, '', '4130', '515']);
  assert.deepEqual(out.uac_temp_duplicate, [80, '00000057']);
  assert.deepEqual(out.uac_lockout_dropped, [0, '', String(0x220)]);
  // MS-SAMR 3.1.1.8.2: primaryGroupID
  assert.deepEqual(out.primary_group_0, [53, '00000529']);
  assert.deepEqual(out.primary_group_513, [0, '']);
  // MS-SAMR 3.1.1.8.8: pwdLastSet
  assert.deepEqual(out.pwdlastset_5, [80, '00000057']);
  assert.deepEqual(out.pwdlastset_0, [0, '']);
  // undeletable SAM attributes
  assert.deepEqual(out.delete_samaccountname, [53, '00002035']);
  // groupType scope changes
  assert.deepEqual(out.global_to_local, [53, '00002035']);
  assert.deepEqual(out.global_to_universal, [0, '']);
  // description single-valued on SAM objects only
  assert.deepEqual(out.group_two_descriptions, [20, '00002083']);
  assert.deepEqual(out.contact_two_descriptions, [0, '']);
  // constructed attribute on add
  assert.deepEqual(out.primary_group_token, [17, '00000057']);
  // item 2: the RDN attribute, tolerated attributes
  assert.deepEqual(out.cn_not_rdn, [34, '00002032']);
  assert.deepEqual(out.cn_rdn_case, [0, '']);
  assert.deepEqual(out.tolerated_attributes, [0, '', 'pyk3']);
  // item 3: result codes
  assert.deepEqual(out.unknown_attribute, [16, '00000057']);
  assert.deepEqual(out.single_valued_two, [20, '00002083']);
  assert.deepEqual(out.single_valued_one, [0, '']);
  // item 4: schema updates
  assert.deepEqual(out.schema_add, [0, '']);
  assert.deepEqual(out.schema_duplicate_cn, [68, '00002071']);
  assert.deepEqual(out.schema_preset_intid, [53, '00002035']);
});
