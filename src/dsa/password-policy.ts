// Password policy on LDAP password writes (MS-SAMR 3.1.1.7.2 "Password Constraints" as AD
// applies them to unicodePwd writes, MS-ADTS 3.1.1.3.1.5): minPwdLength, pwdProperties
// DOMAIN_PASSWORD_COMPLEX, pwdHistoryLength with ntPwdHistory, minPwdAge, read from the domain
// NC head or the account's resultant password settings object. A reset (replace) is held to length and complexity; a change (delete old + add new)
// also to the history and the minimum age. Refusals are AD's: 19 constraintViolation,
// "0000052D: AtrErr: …, problem 1005 (CONSTRAINT_ATT_TYPE), data 0, Att 9005a (unicodePwd)"
// (ERROR_PASSWORD_RESTRICTION).
import type { ReadTxn } from '../store/store.js';
import type { ObjectRecord } from '../store/record.js';
import type { Directory } from './directory.js';
import { AdError } from './errors.js';
import { ntHash } from '../security/password.js';
import { expandGroups } from './access/token.js';

const ERROR_PASSWORD_RESTRICTION = 0x52d;
/** DOMAIN_PASSWORD_COMPLEX, the pwdProperties bit for complexity (MS-SAMR 3.1.1.7.2) */
const DOMAIN_PASSWORD_COMPLEX = 0x1;
const UNICODE_PWD_ATTID = 0x9005a;
const HASH = 16;

export interface PasswordPolicy {
  minPwdLength: number;
  pwdProperties: number;
  pwdHistoryLength: number;
  /** a negative interval in 100 ns units (0: none) */
  minPwdAge: bigint;
}

const num = (v: unknown, d: number) => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : d);
const big = (v: unknown, d: bigint) => (typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : d);

/**
 * The resultant password settings object of an account (MS-ADTS 3.1.1.4.5.36
 * msDS-ResultantPSO): among the msDS-PasswordSettings objects whose msDS-PSOAppliesTo names the
 * account, the one with the lowest msDS-PasswordSettingsPrecedence (ties: the lowest
 * objectGUID); when none names it, the same among those naming its global security groups.
 */
export function resultantPso(dir: Directory, r: ReadTxn, guid: Buffer, rec?: ObjectRecord): Buffer | undefined {
  const applies = dir.schema.attr('msDS-PSOAppliesTo')!;
  const prec = dir.schema.attr('msDS-PasswordSettingsPrecedence')!;
  const best = (sources: Buffer[]): Buffer | undefined => {
    let win: { g: Buffer; p: number } | undefined;
    for (const g of sources) {
      const pso = r.getObject(g);
      if (!pso) continue;
      const p = num(pso.attrs.find((a) => a.id === prec.id)?.values[0], Number.MAX_SAFE_INTEGER);
      if (!win || p < win.p || (p === win.p && Buffer.compare(g, win.g) < 0)) win = { g, p };
    }
    return win?.g;
  };
  const psosOf = (target: Buffer) => [...r.backlinks(target, applies.forwardLinkId!)].map((b) => Buffer.from(b.source));
  const direct = best(psosOf(guid));
  if (direct) return direct;
  const groups = expandGroups(dir, r, guid, rec).globalGroupGuids;
  return best(groups.flatMap(psosOf));
}

/** The policy in force for an account: its resultant PSO's settings, else the domain's. */
export function passwordPolicyFor(dir: Directory, r: ReadTxn, guid: Buffer, rec?: ObjectRecord): PasswordPolicy {
  const pso = resultantPso(dir, r, guid, rec);
  if (!pso) return domainPasswordPolicy(dir, r);
  const o = r.getObject(pso)!;
  const get = (n: string) => o.attrs.find((a) => a.id === dir.schema.attr(n)!.id)?.values[0];
  return {
    minPwdLength: num(get('msDS-MinimumPasswordLength'), 0),
    pwdProperties: get('msDS-PasswordComplexityEnabled') === true ? DOMAIN_PASSWORD_COMPLEX : 0,
    pwdHistoryLength: num(get('msDS-PasswordHistoryLength'), 0),
    minPwdAge: big(get('msDS-MinimumPasswordAge'), 0n),
  };
}

/** A password that never expires, as msDS-UserPasswordExpiryTimeComputed says it (MS-ADTS 3.1.1.4.5.33). */
export const NEVER_EXPIRES = 0x7fffffffffffffffn;
/** maxPwdAge / msDS-MaximumPasswordAge meaning "none" (0x8000000000000000 as a signed interval). */
const NO_MAXIMUM_AGE = -0x8000000000000000n;
/** userAccountControl bits whose passwords never expire (MS-ADTS 3.1.1.4.5.33): SMARTCARD_REQUIRED, DONT_EXPIRE_PASSWD, WORKSTATION_, SERVER_ and INTERDOMAIN_TRUST_ACCOUNT. */
const NEVER_EXPIRING_UAC = 0x40000 | 0x10000 | 0x1000 | 0x2000 | 0x800;

/**
 * When the account's password expires (MS-ADTS 3.1.1.4.5.33 msDS-UserPasswordExpiryTimeComputed),
 * as a FILETIME: NEVER_EXPIRES for the userAccountControl bits that exempt it; 0 when pwdLastSet
 * is absent or 0 (it must be changed now); NEVER_EXPIRES when there is no maximum age; else
 * pwdLastSet plus the maximum age (stored as a negative interval, so pwdLastSet − maxPwdAge). A
 * maximum age of 0 counts as none, as Windows' own "0 days" is stored as 0x8000000000000000 and
 * Samba reads 0 so.
 */
export function passwordExpiryTime(uac: number, pwdLastSet: bigint | undefined, maxPwdAge: () => bigint | undefined): bigint {
  if ((uac >>> 0) & NEVER_EXPIRING_UAC) return NEVER_EXPIRES;
  if (pwdLastSet === undefined || pwdLastSet === 0n) return 0n;
  const age = maxPwdAge();
  if (age === undefined || age === 0n || age === NO_MAXIMUM_AGE) return NEVER_EXPIRES;
  return pwdLastSet - age;
}

/** The domain's policy (the attributes of the domain NC head, MS-SAMR 3.1.1.7.2). */
export function domainPasswordPolicy(dir: Directory, r: ReadTxn): PasswordPolicy {
  const head = r.getObject(dir.forest.domainNC);
  const get = (n: string) => head?.attrs.find((a) => a.id === dir.schema.attr(n)!.id)?.values[0];
  return {
    minPwdLength: num(get('minPwdLength'), 0),
    pwdProperties: num(get('pwdProperties'), 0),
    pwdHistoryLength: num(get('pwdHistoryLength'), 0),
    minPwdAge: big(get('minPwdAge'), 0n),
  };
}

const refuse = (place: string, why: string) => AdError.constraintViolation(place, UNICODE_PWD_ATTID, 'unicodePwd', ERROR_PASSWORD_RESTRICTION, why);

/**
 * "Password must meet complexity requirements" (MS-SAMR 3.1.1.7.2): not containing the account
 * name (when it has three characters or more), and characters of three of the five kinds:
 * upper case, lower case, digits, non-alphanumeric, other Unicode letters.
 */
export function isComplex(password: string, samAccountName: string | undefined): boolean {
  if (samAccountName && samAccountName.length >= 3 && password.toLowerCase().includes(samAccountName.toLowerCase())) return false;
  let kinds = 0;
  if (/\p{Lu}/u.test(password)) kinds++;
  if (/\p{Ll}/u.test(password)) kinds++;
  if (/[0-9]/.test(password)) kinds++;
  if (/[^\p{L}\p{N}]/u.test(password)) kinds++;
  if (/[\p{Lo}\p{Lm}]/u.test(password)) kinds++;
  return kinds >= 3;
}

/** Checks a new password against the policy; `rec` is the account as it is now, `now` a FILETIME. */
export function checkPasswordPolicy(dir: Directory, r: ReadTxn, guid: Buffer, rec: ObjectRecord, password: string, kind: 'reset' | 'change', now: bigint, place: string): void {
  const p = passwordPolicyFor(dir, r, guid, rec);
  const get = (n: string) => rec.attrs.find((a) => a.id === dir.schema.attr(n)!.id)?.values[0];
  if ([...password].length < p.minPwdLength) throw refuse(place, `the password is shorter than minPwdLength (${p.minPwdLength})`);
  if (p.pwdProperties & DOMAIN_PASSWORD_COMPLEX && !isComplex(password, get('sAMAccountName') as string | undefined)) throw refuse(place, 'the password does not meet the complexity requirements');
  if (kind !== 'change') return;
  const last = big(get('pwdLastSet'), 0n);
  if (p.minPwdAge !== 0n && last !== 0n && now - last < -p.minPwdAge) throw refuse(place, 'the password was changed more recently than minPwdAge allows');
  if (p.pwdHistoryLength > 0) {
    const h = ntHash(password);
    const current = get('unicodePwd') as Uint8Array | undefined;
    if (current && Buffer.from(current).equals(h)) throw refuse(place, 'the password is in the password history');
    const hist = get('ntPwdHistory') as Uint8Array | undefined;
    if (hist) {
      const b = Buffer.from(hist);
      for (let i = 0; i + HASH <= b.length && i / HASH < p.pwdHistoryLength; i += HASH) if (b.subarray(i, i + HASH).equals(h)) throw refuse(place, 'the password is in the password history');
    }
  }
}

/** ntPwdHistory after a password set: the new NT hash first, at most pwdHistoryLength hashes (MS-SAMR 3.1.1.7.2). */
export function historyAfter(dir: Directory, r: ReadTxn, guid: Buffer, rec: ObjectRecord | undefined, newHash: Buffer): Buffer {
  const len = passwordPolicyFor(dir, r, guid, rec).pwdHistoryLength;
  const prev = rec?.attrs.find((a) => a.id === dir.schema.attr('ntPwdHistory')!.id)?.values[0] as Uint8Array | undefined;
  const all = Buffer.concat([newHash, prev ? Buffer.from(prev) : Buffer.alloc(0)]);
  return all.subarray(0, Math.max(1, len) * HASH);
}
