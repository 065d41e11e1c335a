// Password policy on LDAP password writes (MS-SAMR 3.1.1.7.2 "Password Constraints" as AD
// applies them to unicodePwd writes, MS-ADTS 3.1.1.3.1.5): minPwdLength, pwdProperties
// DOMAIN_PASSWORD_COMPLEX, pwdHistoryLength with ntPwdHistory, minPwdAge, read from the domain
// NC head. A reset (replace) is held to length and complexity; a change (delete old + add new)
// also to the history and the minimum age. Refusals are AD's: 19 constraintViolation,
// "0000052D: AtrErr: …, problem 1005 (CONSTRAINT_ATT_TYPE), data 0, Att 9005a (unicodePwd)"
// (ERROR_PASSWORD_RESTRICTION).
import type { ReadTxn } from '../store/store.js';
import type { ObjectRecord } from '../store/record.js';
import type { Directory } from './directory.js';
import { AdError } from './errors.js';
import { ntHash } from '../security/password.js';

const ERROR_PASSWORD_RESTRICTION = 0x52d;
/** DOMAIN_PASSWORD_COMPLEX (MS-SAMR 2.2.3.1? pwdProperties) */
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

/** The domain's policy (the attributes of the domain NC head, MS-ADTS 6.1.1.? / MS-SAMR 2.2.4.?). */
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
export function checkPasswordPolicy(dir: Directory, r: ReadTxn, rec: ObjectRecord, password: string, kind: 'reset' | 'change', now: bigint, place: string): void {
  const p = domainPasswordPolicy(dir, r);
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
export function historyAfter(dir: Directory, r: ReadTxn, rec: ObjectRecord | undefined, newHash: Buffer): Buffer {
  const len = domainPasswordPolicy(dir, r).pwdHistoryLength;
  const prev = rec?.attrs.find((a) => a.id === dir.schema.attr('ntPwdHistory')!.id)?.values[0] as Uint8Array | undefined;
  const all = Buffer.concat([newHash, prev ? Buffer.from(prev) : Buffer.alloc(0)]);
  return all.subarray(0, Math.max(1, len) * HASH);
}
