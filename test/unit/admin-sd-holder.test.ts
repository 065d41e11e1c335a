// AdminSDHolder and the protection operation (MS-ADTS 3.1.1.6.1) on the state model: the
// provisioned AdminSDHolder descriptor (its NDR decoded by python3-samba and compared with the
// same SDDL), the protected set through nested groups, dwAdminSDExMask, the stamps, and that
// an object leaving the set keeps adminCount.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fixture, addObject, mod, read, attr, values, USERS, CONFIG } from './dsa-fixture.js';
import { runProtectAdminGroups } from '../../src/dsa/admin-sd-holder.js';
import { WELL_KNOWN_SDDL } from '../../src/dsa/provision/well-known-sds.js';
import { binaryToSddl } from '../../src/security/sddl.js';
import { sidToString } from '../../src/schema/syntaxes/string-sid.js';
import { needTool, PYTHON } from '../helpers/tools.js';

const HOLDER = 'CN=AdminSDHolder,CN=System,DC=example,DC=com';
const DACL = (sddl: string) => {
  const d = sddl.indexOf('D:');
  const e = sddl.indexOf('S:', d);
  return sddl.slice(d + 2, e < 0 ? undefined : e);
};

test('AdminSDHolder is provisioned with its protected SD: python3-samba decodes the stored NDR to the same owner, group and DACL as the SDDL', { timeout: 60_000 }, async (t) => {
  if (!needTool(t, PYTHON, 'python:samba')) return;
  const { d, close } = await fixture();
  try {
    const sddl = WELL_KNOWN_SDDL.domain['CN=ADMINSDHOLDER,CN=SYSTEM']!;
    const dom = sidToString(d.forest.domainSid);
    // python3-samba decodes the stored NDR and encodes the SDDL itself: the owner, group and DACL agree
    const py = [
      'import sys',
      'from samba.dcerpc import security',
      'from samba.ndr import ndr_unpack',
      'dom = security.dom_sid(sys.argv[2])',
      'print(ndr_unpack(security.descriptor, bytes.fromhex(sys.argv[3])).as_sddl(dom))',
      'print(security.descriptor.from_sddl(sys.argv[1], dom).as_sddl(dom))',
    ].join('\n');
    const stored = Buffer.from(values(d, read(d, HOLDER).rec, 'nTSecurityDescriptor')[0] as Uint8Array);
    const [got, want] = execFileSync(PYTHON, ['-c', py, sddl, dom, stored.toString('hex')], { encoding: 'utf8', timeout: 30_000 }).trim().split('\n');
    const head = (x: string) => x.slice(0, x.indexOf('D:'));
    assert.equal(head(got!), head(want!), 'owner and group');
    assert.equal(DACL(got!), DACL(want!), 'the DACL, nothing inherited into it');
    assert.match(DACL(got!), /^PAI\(/, 'protected');
    assert.match(binaryToSddl(stored, { domainSid: d.forest.domainSid }), /D:PAI\(/);
  } finally {
    await close();
  }
});

test('MS-ADTS 3.1.1.6.1.2: a member of a group nested in Domain Admins is protected; a member of Account Operators is not when dwAdminSDExMask has 0x1 (3.1.1.6.1.4); leaving the set keeps adminCount', async () => {
  const { d, close } = await fixture();
  try {
    for (const n of ['nested', 'ao', 'plain', 'primary']) await addObject(d, `CN=${n},${USERS}`, { objectClass: 'user', sAMAccountName: n });
    await addObject(d, `CN=Tier0,${USERS}`, { objectClass: 'group', sAMAccountName: 'Tier0' });
    await mod(d, `CN=Tier0,${USERS}`, [['add', 'member', [`CN=nested,${USERS}`]]]);
    await mod(d, `CN=Domain Admins,${USERS}`, [['add', 'member', [`CN=Tier0,${USERS}`]]]);
    // primary: member of Tier0 through primaryGroupID only (Domain Users dropped to the member list)
    await mod(d, `CN=Tier0,${USERS}`, [['add', 'member', [`CN=primary,${USERS}`]]]);
    const tier0Rid = (() => { const s = values(d, read(d, `CN=Tier0,${USERS}`).rec, 'objectSid')[0] as Uint8Array; return Buffer.from(s).readUInt32LE(s.length - 4); })();
    await mod(d, `CN=primary,${USERS}`, [['replace', 'primaryGroupID', [String(tier0Rid)]]]);
    // MS-SAMR: the primary group's membership is implicit, no member value names the user
    const primaryGuid = read(d, `CN=primary,${USERS}`).guid;
    const tier0 = read(d, `CN=Tier0,${USERS}`).guid;
    const memberLink = d.schema.attr('member')!.forwardLinkId!;
    assert.ok(![...d.store.reader.links(tier0, memberLink)].some((lv) => lv.stamp.timeDeleted === 0 && Buffer.from(lv.target).equals(primaryGuid)), 'primary is a member through primaryGroupID only');
    assert.deepEqual(values(d, read(d, `CN=primary,${USERS}`).rec, 'primaryGroupID'), [tier0Rid]);
    await mod(d, 'CN=Account Operators,CN=Builtin,DC=example,DC=com', [['add', 'member', [`CN=ao,${USERS}`]]]);
    // dwAdminSDExMask, the 16th character: 1 excludes Account Operators (the 10th character is the check "1")
    await mod(d, `CN=Directory Service,CN=Windows NT,CN=Services,${CONFIG}`, [['replace', 'dSHeuristics', ['0000000001000001']]]);

    const first = await runProtectAdminGroups(d);
    assert.ok(first.changed > 0);
    const holderDacl = DACL(binaryToSddl(values(d, read(d, HOLDER).rec, 'nTSecurityDescriptor')[0] as Uint8Array));
    const sddlOf = (n: string) => binaryToSddl(values(d, read(d, `CN=${n},${USERS}`).rec, 'nTSecurityDescriptor')[0] as Uint8Array);
    for (const n of ['nested', 'Tier0', 'primary']) {
      const { rec } = read(d, `CN=${n},${USERS}`);
      assert.deepEqual(values(d, rec, 'adminCount'), [1], `${n} adminCount`);
      assert.equal(DACL(sddlOf(n)), holderDacl, `${n} carries AdminSDHolder's DACL`);
      // an originating update: the stamp's originating USN is the object's uSNChanged
      assert.equal(attr(d, rec, 'adminCount')!.stamp!.usnOriginating, rec.usnChanged, `${n}: adminCount stamped`);
      assert.deepEqual(attr(d, rec, 'adminCount')!.stamp!.uuidOriginating, d.store.dc.invocationId);
    }
    for (const n of ['ao', 'plain']) {
      assert.deepEqual(values(d, read(d, `CN=${n},${USERS}`).rec, 'adminCount'), [], `${n} is not protected`);
      assert.notEqual(DACL(sddlOf(n)), holderDacl, `${n} keeps its inherited DACL`);
    }
    // idempotent: nothing left to change
    assert.equal((await runProtectAdminGroups(d)).changed, 0);

    // lifting the exclusion protects the Account Operator on the next run
    await mod(d, `CN=Directory Service,CN=Windows NT,CN=Services,${CONFIG}`, [['replace', 'dSHeuristics', ['0000000001000000']]]);
    await runProtectAdminGroups(d);
    assert.deepEqual(values(d, read(d, `CN=ao,${USERS}`).rec, 'adminCount'), [1]);

    // leaving the protected set: adminCount and the descriptor stay (the operation only adds protection)
    await mod(d, `CN=Tier0,${USERS}`, [['delete', 'member', [`CN=nested,${USERS}`]]]);
    assert.equal((await runProtectAdminGroups(d)).changed, 0);
    assert.deepEqual(values(d, read(d, `CN=nested,${USERS}`).rec, 'adminCount'), [1]);
  } finally {
    await close();
  }
});
