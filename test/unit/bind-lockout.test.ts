// Bind-time lockout (MS-SAMR 3.1.5.14.6) for simple and NTLM (Sicily) binds through the DSA,
// the stamps its writes leave, unlock by lockoutTime 0, the observation window; and
// DOMAIN\name binds after an account was deleted and re-created.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, addObject, mod, read, attr, values, rejects, ctx, pwd, USERS, DOMAIN } from './dsa-fixture.js';
import type { Directory } from '../../src/dsa/directory.js';
import { bind } from '../../src/dsa/bind.js';
import { lockoutPolicy } from '../../src/dsa/lockout.js';
import { del } from '../../src/dsa/delete.js';
import type { OperationContext } from '../../src/dsa/api.js';
import { authenticateMessage, negotiateMessage } from '../helpers/ntlm-client.js';
import { request, run } from '../helpers/search-fixture.js';

let d: Directory;
let close: () => Promise<void>;
let now = 0;
before(async () => {
  ({ d, close } = await fixture());
  now = d.clock();
  // a controllable clock for the observation window (the Directory reads it through `clock`)
  Object.defineProperty(d, 'clock', { value: () => now });
});
after(() => close());

const simple = (name: string, password: string, c: OperationContext = ctx()) => bind(d, { type: 'bindRequest', version: 3, name, authentication: { method: 'simple', password: Buffer.from(password) } }, c);

async function ntlm(user: string, password: string) {
  const c = ctx();
  const neg = negotiateMessage();
  const r1 = await bind(d, { type: 'bindRequest', version: 3, name: 'NTLM', authentication: { method: 'other', tag: 0x8a, value: neg } }, c);
  const auth = authenticateMessage(neg, r1.sicilyServerCreds!, { user, domain: 'EXAMPLE', password });
  return bind(d, { type: 'bindRequest', version: 3, name: 'NTLM', authentication: { method: 'other', tag: 0x8b, value: auth.message } }, c);
}

async function user(name: string, password: string): Promise<string> {
  const dn = `CN=${name},${USERS}`;
  await addObject(d, dn, { objectClass: 'user', sAMAccountName: name.toLowerCase() });
  await mod(d, dn, [['replace', 'unicodePwd', [pwd(password)]], ['replace', 'userAccountControl', ['512']]]);
  return dn;
}
const threshold = (n: number) => mod(d, DOMAIN, [['replace', 'lockoutThreshold', [String(n)]]]);
const BAD = /^(80090308|8009030C): LdapErr: DSID-[0-9A-F]{8}, comment: AcceptSecurityContext error, data 52e,/;
const LOCKED = /^(80090308|8009030C): LdapErr: DSID-[0-9A-F]{8}, comment: AcceptSecurityContext error, data 775,/;

test('no lockout with lockoutThreshold 0 (the default): five wrong passwords, then the right one binds', async () => {
  await threshold(0);
  const dn = await user('Dave', 'D4ve-pass!');
  for (let i = 0; i < 5; i++) await rejects(simple(dn, 'wrong'), 49, BAD);
  assert.ok((await simple(dn, 'D4ve-pass!')).identity);
  assert.deepEqual(values(d, read(d, dn).rec, 'badPwdCount'), [0], 'a good logon clears the count');
});

test('threshold 3: simple and NTLM wrong passwords count together, then 775 for both; stamped writes; unlock by lockoutTime 0', async () => {
  await threshold(3);
  const dn = await user('Carol', 'C4rol-pass!');
  const usn0 = read(d, dn).rec.usnChanged;
  await rejects(simple(dn, 'wrong-1'), 49, BAD);
  await rejects(ntlm('carol', 'wrong-2'), 49, /^8009030C: .*data 52e,/);
  assert.deepEqual(values(d, read(d, dn).rec, 'badPwdCount'), [2]);
  await rejects(simple('EXAMPLE\\carol', 'wrong-3'), 49, BAD);
  // locked: the right password is refused too, over both methods
  await rejects(simple(dn, 'C4rol-pass!'), 49, LOCKED);
  await rejects(ntlm('carol', 'C4rol-pass!'), 49, /^8009030C: .*data 775,/);
  const { rec } = read(d, dn);
  assert.deepEqual(values(d, rec, 'badPwdCount'), [3]);
  const lt = attr(d, rec, 'lockoutTime')!;
  assert.equal(lt.values[0], BigInt(now) * 10_000_000n);
  assert.deepEqual(values(d, rec, 'badPasswordTime'), [BigInt(now) * 10_000_000n]);
  // lockoutTime is replicated: stamped by the update that set it (MS-ADTS 3.1.1.1.9); badPwdCount is not replicated
  assert.ok(rec.usnChanged > usn0);
  assert.equal(lt.stamp!.usnOriginating, rec.usnChanged);
  assert.ok(lt.stamp!.uuidOriginating.equals(d.store.dc.invocationId));
  assert.equal(attr(d, rec, 'badPwdCount')!.stamp, undefined);
  // an administrator unlocks by writing lockoutTime 0; badPwdCount goes to 0 with it (MS-SAMR 3.1.1.8.3), before any logon
  await mod(d, dn, [['replace', 'lockoutTime', ['0']]]);
  assert.deepEqual(values(d, read(d, dn).rec, 'badPwdCount'), [0], 'lockoutTime 0 clears badPwdCount');
  assert.ok((await simple(dn, 'C4rol-pass!')).identity);
  assert.ok((await ntlm('carol', 'C4rol-pass!')).identity);
  assert.deepEqual(values(d, read(d, dn).rec, 'badPwdCount'), [0]);
});

test('the lockout ends after lockoutDuration; the count restarts after lockOutObservationWindow', async () => {
  await threshold(3);
  const dn = await user('Ivan', 'Iv4n-pass!');
  await rejects(simple(dn, 'x'), 49, BAD);
  await rejects(simple(dn, 'x'), 49, BAD);
  now += 31 * 60; // past the 30-minute window
  await rejects(simple(dn, 'x'), 49, BAD);
  assert.deepEqual(values(d, read(d, dn).rec, 'badPwdCount'), [1], 'restarted at one');
  await rejects(simple(dn, 'x'), 49, BAD);
  await rejects(simple(dn, 'x'), 49, BAD);
  await rejects(simple(dn, 'Iv4n-pass!'), 49, LOCKED);
  now += 31 * 60; // past the 30-minute lockoutDuration
  assert.ok((await simple(dn, 'Iv4n-pass!')).identity);
  assert.deepEqual(values(d, read(d, dn).rec, 'lockoutTime'), [0n]);
  await threshold(0);
});

test('DOMAIN\\name binds follow the directory after the account is deleted and re-created', async () => {
  const dn = await user('Erin', 'Er1n-first!');
  assert.ok((await simple('EXAMPLE\\erin', 'Er1n-first!')).identity);
  const first = read(d, dn).guid;
  await del(d, { type: 'delRequest', entry: dn }, ctx());
  await user('Erin', 'Er1n-second!');
  const second = read(d, dn).guid;
  assert.ok(!first.equals(second));
  // the tombstone still carries sAMAccountName erin (so an index lookup sees two objects)
  const sam = d.schema.attr('sAMAccountName')!;
  const tomb = d.store.reader.getObject(first)!;
  assert.deepEqual(tomb.attrs.find((a) => a.id === sam.id)?.values, ['erin']);
  const r = await simple('EXAMPLE\\erin', 'Er1n-second!');
  assert.ok(r.identity?.guid.equals(second));
  assert.ok((await ntlm('erin', 'Er1n-second!')).identity?.guid.equals(second));
  await rejects(simple('EXAMPLE\\erin', 'Er1n-first!'), 49, BAD);
});

test('NTLM binds report the simple-bind data codes: 533 disabled, 773 must change password, 701 expired; 52e before any of them', async () => {
  const dn = await user('Kim', 'K1m-pass!');
  assert.ok((await ntlm('kim', 'K1m-pass!')).identity, 'control: binds while enabled');
  await mod(d, dn, [['replace', 'userAccountControl', ['514']]]);
  await rejects(ntlm('kim', 'K1m-pass!'), 49, /^8009030C: .*data 533,/);
  await rejects(ntlm('kim', 'wrong'), 49, /^8009030C: .*data 52e,/);
  await rejects(simple(dn, 'K1m-pass!'), 49, /^80090308: .*data 533,/);
  await mod(d, dn, [['replace', 'userAccountControl', ['512']], ['replace', 'pwdLastSet', ['0']]]);
  await rejects(ntlm('kim', 'K1m-pass!'), 49, /^8009030C: .*data 773,/);
  await mod(d, dn, [['replace', 'pwdLastSet', ['-1']], ['replace', 'accountExpires', ['1']]]);
  await rejects(ntlm('kim', 'K1m-pass!'), 49, /^8009030C: .*data 701,/);
});

test('the lockout policy follows the domain head: a threshold written between binds counts at the next bind (its memo is checked again once a USN was taken)', async () => {
  await threshold(0);
  const dn = await user('Lou', 'L0u-pass!');
  assert.ok((await simple(dn, 'L0u-pass!')).identity, 'the policy (threshold 0) read and remembered');
  await threshold(1);
  await rejects(simple(dn, 'wrong'), 49, BAD);
  // threshold 1: locked at the first wrong password
  await rejects(simple(dn, 'L0u-pass!'), 49, LOCKED);
  await mod(d, dn, [['replace', 'lockoutTime', ['0']]]);
  await threshold(0);
  assert.ok((await simple(dn, 'L0u-pass!')).identity);
});

test('negative control: while the DC tuple USN stays, a snapshot gets the remembered policy without the head being read (a test-only write that takes no USN is not seen; a write transaction reads the head)', async () => {
  await threshold(0);
  const head = d.forest.domainNC;
  const s1 = d.store.snapshot();
  assert.equal(lockoutPolicy(d, s1).threshold, 0);
  const gen = s1.dcUsn();
  s1.done();
  const id = d.schema.attr('lockoutThreshold')!.id;
  // not an originating update: the head's record rewritten with another uSNChanged and threshold 4, no USN taken.
  // The uSNChanged is one from the past (USNs only grow: no later update of the head can be given it again; prev + 1
  // would be the very USN the next update takes when the head was the last object changed)
  await d.store.write((w) => {
    const prev = w.getObject(head)!;
    w.putObject(head, { ...prev, usnChanged: prev.usnChanged - 1, attrs: prev.attrs.map((a) => (a.id === id ? { ...a, values: [4] } : a)) }, prev);
  });
  const s2 = d.store.snapshot();
  try {
    assert.equal(s2.dcUsn(), gen, 'no USN was taken');
    assert.equal(lockoutPolicy(d, s2).threshold, 0, 'the memo answered: the head was not read');
  } finally {
    s2.done();
  }
  assert.equal(await d.store.write((w) => lockoutPolicy(d, w).threshold), 4, 'a write transaction checks the head itself');
  await threshold(0);
  const s3 = d.store.snapshot();
  assert.equal(lockoutPolicy(d, s3).threshold, 0, 'after an originating update of the head');
  s3.done();
});

test('lastLogonTimestamp (MS-ADA1 2.352): set by the first logon, kept while within msDS-LogonTimeSyncInterval less up to 5 days, set again after it; 0 turns it off', async () => {
  const dn = await user('Liam', 'L1am-pass!');
  // the clock moves a year below: a password that never expires (DONT_EXPIRE_PASSWD), or the domain's 42 days would end it (532)
  await mod(d, dn, [['replace', 'userAccountControl', [String(0x200 | 0x10000)]]]);
  const stamp = () => values(d, read(d, dn).rec, 'lastLogonTimestamp');
  const ft = (s: number) => BigInt(s) * 10_000_000n;
  assert.deepEqual(stamp(), [], 'no logon yet');
  assert.deepEqual(values(d, read(d, DOMAIN).rec, 'msDS-LogonTimeSyncInterval'), [], 'the domain has no interval of its own: 14 days');
  const t0 = now;
  assert.ok((await simple(dn, 'L1am-pass!')).identity);
  const first = read(d, dn);
  assert.deepEqual(values(d, first.rec, 'lastLogonTimestamp'), [ft(t0)], 'the first good logon sets it');
  // replicated, unlike lastLogon: stamped by an originating update of this DC
  const a = attr(d, first.rec, 'lastLogonTimestamp')!;
  assert.equal(a.stamp!.usnOriginating, first.rec.usnChanged);
  assert.ok(a.stamp!.uuidOriginating.equals(d.store.dc.invocationId));
  // within 9 days (14 less at most 5): every logon, over both methods, leaves it and the object alone
  now = t0 + 9 * 86_400 - 60;
  for (let i = 0; i < 5; i++) assert.ok((await simple(dn, 'L1am-pass!')).identity);
  assert.ok((await ntlm('liam', 'L1am-pass!')).identity);
  assert.deepEqual(stamp(), [ft(t0)]);
  assert.equal(read(d, dn).rec.usnChanged, first.rec.usnChanged, 'no write while it is recent');
  // older than 14 days: the next logon (NTLM this time) sets it to now
  now = t0 + 14 * 86_400 + 60;
  assert.ok((await ntlm('liam', 'L1am-pass!')).identity);
  assert.deepEqual(stamp(), [ft(now)]);
  // a wrong password is no logon
  const t1 = now;
  now = t1 + 30 * 86_400;
  await rejects(simple(dn, 'wrong'), 49, BAD);
  assert.deepEqual(stamp(), [ft(t1)]);
  // msDS-LogonTimeSyncInterval 1 (day, no random part below 5 days): due after a day
  await mod(d, DOMAIN, [['replace', 'msDS-LogonTimeSyncInterval', ['1']]]);
  now = t1 + 30 * 86_400 + 1;
  assert.ok((await simple(dn, 'L1am-pass!')).identity);
  const t2 = now;
  assert.deepEqual(stamp(), [ft(t2)]);
  now = t2 + 86_400 - 1;
  assert.ok((await simple(dn, 'L1am-pass!')).identity);
  assert.deepEqual(stamp(), [ft(t2)]);
  now = t2 + 86_400 + 1;
  assert.ok((await simple(dn, 'L1am-pass!')).identity);
  assert.deepEqual(stamp(), [ft(now)]);
  // 0: never updated (the negative control of the rule above)
  await mod(d, DOMAIN, [['replace', 'msDS-LogonTimeSyncInterval', ['0']]]);
  const t3 = now;
  now = t3 + 365 * 86_400;
  assert.ok((await simple(dn, 'L1am-pass!')).identity);
  assert.deepEqual(stamp(), [ft(t3)]);
  await mod(d, DOMAIN, [['delete', 'msDS-LogonTimeSyncInterval', []]]);
});

test('password expiry (MS-ADTS 3.1.1.4.5.33): msDS-UserPasswordExpiryTimeComputed is pwdLastSet plus the maximum age in force; past it a bind is 532 and msDS-User-Account-Control-Computed has PASSWORD_EXPIRED', async () => {
  const DAY = 864_000_000_000n;
  const EXPIRED = /^(80090308|8009030C): LdapErr: DSID-[0-9A-F]{8}, comment: AcceptSecurityContext error, data 532,/;
  const NEVER = '9223372036854775807';
  const dn = await user('Exp', 'Exp1r3s-pass!');
  const computed = async () => {
    const got = await run(d, request(dn, '(objectClass=*)', { scope: 0, attributes: ['msDS-UserPasswordExpiryTimeComputed', 'msDS-User-Account-Control-Computed'] }));
    const a = got.entries[0]!.attrs;
    const get = (n: string) => [...a.entries()].find(([k]) => k.toLowerCase() === n.toLowerCase())?.[1]?.[0];
    return { expiry: get('msDS-UserPasswordExpiryTimeComputed'), uac: Number(get('msDS-User-Account-Control-Computed')) };
  };
  const pls = values(d, read(d, dn).rec, 'pwdLastSet')[0] as bigint;
  assert.ok(pls > 0n);
  const t0 = now;
  try {
    // the negative control first: no maximum age (maxPwdAge 0x8000000000000000) — never expires, binds a year on
    await mod(d, DOMAIN, [['replace', 'maxPwdAge', ['-9223372036854775808']]]);
    assert.equal((await computed()).expiry, NEVER);
    now = t0 + 365 * 86_400;
    assert.ok((await simple(dn, 'Exp1r3s-pass!')).identity);
    now = t0;
    // 10 days: the expiry is pwdLastSet + 10 days; within it binds; after it 532 over both methods, PASSWORD_EXPIRED computed
    await mod(d, DOMAIN, [['replace', 'maxPwdAge', [String(-10n * DAY)]]]);
    const c1 = await computed();
    assert.equal(c1.expiry, String(pls + 10n * DAY));
    assert.equal(c1.uac & 0x800000, 0);
    now = t0 + 9 * 86_400;
    assert.ok((await simple(dn, 'Exp1r3s-pass!')).identity);
    now = t0 + 11 * 86_400;
    await rejects(simple(dn, 'Exp1r3s-pass!'), 49, EXPIRED);
    await rejects(ntlm('exp', 'Exp1r3s-pass!'), 49, /^8009030C: .*data 532,/);
    assert.equal((await computed()).uac & 0x800000, 0x800000, 'msDS-User-Account-Control-Computed: UF_PASSWORD_EXPIRED');
    // a wrong password is still 52e (the password is checked first)
    await rejects(simple(dn, 'wrong'), 49, BAD);
    // DONT_EXPIRE_PASSWD: never
    await mod(d, dn, [['replace', 'userAccountControl', [String(0x200 | 0x10000)]]]);
    assert.equal((await computed()).expiry, NEVER);
    assert.ok((await simple(dn, 'Exp1r3s-pass!')).identity);
    await mod(d, dn, [['replace', 'userAccountControl', ['512']]]);
    await rejects(simple(dn, 'Exp1r3s-pass!'), 49, EXPIRED);
    // a PSO that applies to the account sets its own maximum age (MS-SAMR 3.1.1.5 Effective-MaximumPasswordAge): 30 days
    const pso = `CN=ExpPSO,CN=Password Settings Container,CN=System,${DOMAIN}`;
    await addObject(d, pso, { objectClass: 'msDS-PasswordSettings', 'msDS-PasswordSettingsPrecedence': '1', 'msDS-PasswordReversibleEncryptionEnabled': 'FALSE', 'msDS-PasswordHistoryLength': '0', 'msDS-PasswordComplexityEnabled': 'FALSE', 'msDS-MinimumPasswordLength': '0', 'msDS-MinimumPasswordAge': '0', 'msDS-MaximumPasswordAge': String(-30n * DAY), 'msDS-LockoutThreshold': '0', 'msDS-LockoutObservationWindow': '-18000000000', 'msDS-LockoutDuration': '-18000000000', 'msDS-PSOAppliesTo': dn });
    assert.equal((await computed()).expiry, String(pls + 30n * DAY));
    assert.ok((await simple(dn, 'Exp1r3s-pass!')).identity, 'the PSO\'s 30 days, not the domain\'s 10');
    await del(d, { type: 'delRequest', entry: pso }, ctx());
    await rejects(simple(dn, 'Exp1r3s-pass!'), 49, EXPIRED);
  } finally {
    now = t0;
    await mod(d, DOMAIN, [['replace', 'maxPwdAge', ['-9223372036854775808']]]);
  }
});

/** msDS-User-Account-Control-Computed of `dn` (MS-ADTS 3.1.1.4.5.17). */
async function uacComputed(dn: string): Promise<number> {
  const got = await run(d, request(dn, '(objectClass=*)', { scope: 0, attributes: ['msDS-User-Account-Control-Computed'] }));
  return Number([...got.entries[0]!.attrs.entries()].find(([k]) => k.toLowerCase() === 'msds-user-account-control-computed')?.[1]?.[0]);
}
const UF_LOCKOUT = 0x10;

test('MS-SAMR 3.1.1.5 Effective-Lockout*: a PSO that applies to the account locks it at its msDS-LockoutThreshold and frees it after its msDS-LockoutDuration, the domain having no lockout; negative control: an account without the PSO never locks', async () => {
  await threshold(0);
  const a = await user('PsoLock', 'PsoL0ck-pass!');
  const b = await user('NoPsoLock', 'NoPs0L0ck-pass!');
  const pso = `CN=LockPSO,CN=Password Settings Container,CN=System,${DOMAIN}`;
  // 2 wrong passwords lock for 10 minutes (observation window 30 minutes)
  await addObject(d, pso, { objectClass: 'msDS-PasswordSettings', 'msDS-PasswordSettingsPrecedence': '1', 'msDS-PasswordReversibleEncryptionEnabled': 'FALSE', 'msDS-PasswordHistoryLength': '0', 'msDS-PasswordComplexityEnabled': 'FALSE', 'msDS-MinimumPasswordLength': '0', 'msDS-MinimumPasswordAge': '0', 'msDS-MaximumPasswordAge': '-9223372036854775808', 'msDS-LockoutThreshold': '2', 'msDS-LockoutObservationWindow': '-18000000000', 'msDS-LockoutDuration': '-6000000000', 'msDS-PSOAppliesTo': a });
  const t0 = now;
  try {
    await rejects(simple(a, 'wrong-1'), 49, BAD);
    await rejects(simple(a, 'wrong-2'), 49, BAD);
    await rejects(simple(a, 'PsoL0ck-pass!'), 49, LOCKED);
    await rejects(ntlm('psolock', 'PsoL0ck-pass!'), 49, /^8009030C: .*data 775,/);
    assert.equal((await uacComputed(a)) & UF_LOCKOUT, UF_LOCKOUT, 'msDS-User-Account-Control-Computed: UF_LOCKOUT');
    // the domain's policy for the other account: no lockout
    for (let i = 0; i < 4; i++) await rejects(simple(b, 'wrong'), 49, BAD);
    assert.ok((await simple(b, 'NoPs0L0ck-pass!')).identity, 'no PSO: the domain threshold 0 never locks');
    assert.equal((await uacComputed(b)) & UF_LOCKOUT, 0);
    // the PSO's 10 minutes, not the domain's 30
    now = t0 + 9 * 60;
    await rejects(simple(a, 'PsoL0ck-pass!'), 49, LOCKED);
    now = t0 + 11 * 60;
    assert.equal((await uacComputed(a)) & UF_LOCKOUT, 0, 'the lockout is over');
    assert.ok((await simple(a, 'PsoL0ck-pass!')).identity);
    // the PSO gone, the account is under the domain's policy (no lockout) again
    await del(d, { type: 'delRequest', entry: pso }, ctx());
    for (let i = 0; i < 3; i++) await rejects(simple(a, 'wrong'), 49, BAD);
    assert.ok((await simple(a, 'PsoL0ck-pass!')).identity);
  } finally {
    now = t0;
  }
});

test('MS-ADTS 3.1.1.4.5.17: with lockoutDuration 0 a locked account stays locked (UF_LOCKOUT, 775) until lockoutTime 0, however long; a computer account is never shown UF_LOCKOUT', async () => {
  await threshold(2);
  await mod(d, DOMAIN, [['replace', 'lockoutDuration', ['0']]]);
  const t0 = now;
  try {
    const dn = await user('Forever', 'F0rever-pass!');
    await rejects(simple(dn, 'wrong-1'), 49, BAD);
    await rejects(simple(dn, 'wrong-2'), 49, BAD);
    now = t0 + 365 * 86_400;
    await rejects(simple(dn, 'F0rever-pass!'), 49, LOCKED);
    assert.equal((await uacComputed(dn)) & UF_LOCKOUT, UF_LOCKOUT, 'locked a year on');
    await mod(d, dn, [['replace', 'lockoutTime', ['0']]]);
    assert.equal((await uacComputed(dn)) & UF_LOCKOUT, 0, 'unlocked by the administrator');
    assert.ok((await simple(dn, 'F0rever-pass!')).identity);
    // a workstation trust account with a lockoutTime: LO is for user accounts only
    const pc = `CN=LockPC,${USERS}`;
    await addObject(d, pc, { objectClass: 'computer', sAMAccountName: 'lockpc$', userAccountControl: '4096' });
    await mod(d, pc, [['replace', 'lockoutTime', [String(BigInt(now) * 10_000_000n)]]]);
    assert.equal((await uacComputed(pc)) & UF_LOCKOUT, 0);
    await mod(d, dn, [['replace', 'lockoutTime', [String(BigInt(now) * 10_000_000n)]]]);
    assert.equal((await uacComputed(dn)) & UF_LOCKOUT, UF_LOCKOUT, 'the same lockoutTime on a user account is a lockout');
  } finally {
    now = t0;
    await mod(d, DOMAIN, [['replace', 'lockoutDuration', ['-18000000000']]]);
    await threshold(0);
  }
});
