// Which updates are urgent (MS-ADTS 3.1.1.5.1.7), read from the object's record after the update:
// an attribute changed by the update has the record's uSNChanged as its stamp's usnLocal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { originatingPasswordChangeTest, urgentUpdateTest } from '../../src/dsa/replica/urgent.js';
import type { ObjectRecord } from '../../src/store/record.js';

const ID = { objectClass: 1, isDeleted: 2, pwdLastSet: 3, userAccountControl: 4, lockoutTime: 5, description: 6 } as const;
const urgent = urgentUpdateTest((n) => ID[n]);
const inv = Buffer.alloc(16, 9);
const stamp = (usnLocal: number) => ({ dwVersion: 1, timeChanged: 1, uuidOriginating: inv, usnOriginating: usnLocal, usnLocal });

/** A record created at USN 10 with `classes`, whose attributes `changed` were set by the update at `usn`. */
function rec(classes: string[], usn: number, changed: [keyof typeof ID, unknown][] = []): ObjectRecord {
  const attrs: ObjectRecord['attrs'] = [{ id: ID.objectClass, values: classes, stamp: stamp(10) }];
  for (const [n, v] of changed) attrs.push({ id: ID[n], values: [v] as never, stamp: stamp(usn) });
  return { parent: Buffer.alloc(16), nc: Buffer.alloc(16), rdnType: 3, name: 'x', usnCreated: 10, usnChanged: usn, whenChanged: 1, attrs };
}
const USER = ['top', 'person', 'organizationalPerson', '1.2.840.113556.1.5.9'];
const CROSSREF = ['top', '1.2.840.113556.1.3.11'];
const NTDSDSA = ['top', '1.2.840.113556.1.5.7000.47'];

test('lockoutTime, pwdLastSet and userAccountControl updates are urgent; other attributes and a new account are not', () => {
  assert.equal(urgent(rec(USER, 20, [['lockoutTime', 133n]])), true);
  assert.equal(urgent(rec(USER, 20, [['pwdLastSet', 0n]])), true);
  assert.equal(urgent(rec(USER, 20, [['userAccountControl', 514]])), true);
  // negative controls
  assert.equal(urgent(rec(USER, 20, [['description', 'x']])), false);
  assert.equal(urgent(rec(USER, 10, [['userAccountControl', 512], ['pwdLastSet', 0n]])), false, 'the creation of an account');
  // lockoutTime set by an earlier update, another attribute now
  const r = rec(USER, 20, [['description', 'x']]);
  r.attrs.push({ id: ID.lockoutTime, values: [133n] as never, stamp: stamp(15) });
  assert.equal(urgent(r), false);
});

test('crossRef creation and deletion, nTDSDSA deletion, schema objects, secrets and the RID Manager are urgent', () => {
  assert.equal(urgent(rec(CROSSREF, 10)), true, 'a new crossRef');
  assert.equal(urgent(rec(CROSSREF, 20, [['isDeleted', true]])), true);
  assert.equal(urgent(rec(CROSSREF, 20, [['description', 'x']])), false, 'a crossRef modified');
  assert.equal(urgent(rec(NTDSDSA, 20, [['isDeleted', true]])), true);
  assert.equal(urgent(rec(NTDSDSA, 20, [['description', 'x']])), false);
  for (const oc of ['1.2.840.113556.1.3.14', '1.2.840.113556.1.3.13', '1.2.840.113556.1.5.28', '1.2.840.113556.1.5.83']) assert.equal(urgent(rec(['top', oc], 20, [['description', 'x']])), true, oc);
  assert.equal(urgent(rec(['top', '1.2.840.113556.1.5.34'], 20, [['description', 'x']])), false, 'a trustedDomain is not in the list');
});

test('an originating password change (MS-SAMS 2.2.1 PASSWORD_UPDATE_MSG): unicodePwd changed by this update with a stamp of this DC; a replicated or an earlier one is not', () => {
  const UNICODE_PWD = 7;
  const mine = originatingPasswordChangeTest((n) => (n === 'unicodePwd' ? UNICODE_PWD : undefined), inv);
  const withPwd = (usn: number, pwdUsn: number, origin: Buffer) => {
    const r = rec(USER, usn, [['pwdLastSet', 1n]]);
    r.attrs.push({ id: UNICODE_PWD, values: [Buffer.alloc(16)] as never, stamp: { ...stamp(pwdUsn), uuidOriginating: origin } });
    return r;
  };
  assert.equal(mine(withPwd(20, 20, inv)), true, 'changed now, here');
  assert.equal(mine(withPwd(10, 10, inv)), true, 'set with the account, here');
  // negative controls
  assert.equal(mine(withPwd(20, 20, Buffer.alloc(16, 8))), false, 'replicated from the DC where it changed');
  assert.equal(mine(withPwd(20, 15, inv)), false, 'changed by an earlier update');
  assert.equal(mine(rec(USER, 20, [['description', 'x']])), false, 'no password');
  assert.equal(originatingPasswordChangeTest(() => undefined, inv)(withPwd(20, 20, inv)), false, 'a schema without unicodePwd');
});
