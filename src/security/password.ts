// Passwords as Active Directory keeps them: unicodePwd is write-only and stored as the NT
// hash (MS-NLMP 3.3.1 NTOWFv1 = MD4(UNICODE(password))); it is never returned by a read
// (MS-ADTS 3.1.1.1.4 secret attributes). MS-ADTS 3.1.1.3.1.5.1: a unicodePwd value sent over
// LDAP is the password enclosed in double quotes, encoded as UTF-16LE.
import { timingSafeEqual, randomBytes } from 'node:crypto';
import { md4Utf16le } from './md4.js';

export function ntHash(password: string): Buffer {
  return md4Utf16le(password);
}

export function verifyNtHash(password: string, stored: Uint8Array): boolean {
  if (stored.length !== 16) return false;
  return timingSafeEqual(ntHash(password), stored);
}

/** MS-SAMR 3.1.1.7.2 "maximum password length constraint": at most 256 (UTF-16) characters. */
export const MAX_PASSWORD_CHARS = 256;

export class PasswordValueError extends Error {
  readonly code = 'ERR_PASSWORD_VALUE';
}

/** Decodes an LDAP unicodePwd value: UTF-16LE of "\"password\"". */
export function decodeUnicodePwd(value: Uint8Array): string {
  if (value.length % 2 !== 0 || value.length < 4) throw new PasswordValueError('unicodePwd must be a quoted UTF-16LE string');
  const s = Buffer.from(value).toString('utf16le');
  if (s[0] !== '"' || s[s.length - 1] !== '"') throw new PasswordValueError('unicodePwd must be enclosed in double quotes');
  return s.slice(1, -1);
}

/** A strong random password that meets AD's default complexity rules (upper, lower, digit, symbol). */
export function generatePassword(length = 24): string {
  const sets = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789', '#%+-.=@_'];
  const all = sets.join('');
  const bytes = randomBytes(length * 2);
  const out: string[] = sets.map((s, i) => s[bytes[i]! % s.length]!);
  for (let i = out.length; i < length; i++) out.push(all[bytes[i]! % all.length]!);
  // shuffle so the first four characters are not predictable classes
  for (let i = out.length - 1; i > 0; i--) {
    const j = bytes[length + i]! % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out.join('');
}
