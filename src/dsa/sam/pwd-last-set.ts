// pwdLastSet (MS-SAMR 3.1.1.8.8 "pwdLastSet", the section MS-ADA3 2.175 points to):
// a client writes only 0 (the password must be changed at next logon) or -1 (the password
// was just set: the DC stores the current time). Any other value is STATUS_INVALID_PARAMETER,
// which Windows returns as "other" (80) with ERROR_INVALID_PARAMETER (00000057) first
// (Samba's sam.py, test_pwdLastSet, run against Windows).
import { AdError, Win32 } from '../errors.js';

const PLACE = 'dsa.sam.pwdLastSet';

/** The FILETIME (100 ns units since 1601) of `seconds` since 1601. */
export function filetime(seconds: number): bigint {
  return BigInt(seconds) * 10_000_000n;
}

/** The stored value of a client-written pwdLastSet `v`, at update time `now` (seconds since 1601). */
export function pwdLastSetValue(v: bigint | number, now: number): bigint {
  const n = BigInt(v);
  if (n === 0n) return 0n;
  if (n === -1n) return filetime(now);
  throw AdError.otherWith(PLACE, Win32.ERROR_INVALID_PARAMETER, 'pwdLastSet accepts only 0 and -1');
}
