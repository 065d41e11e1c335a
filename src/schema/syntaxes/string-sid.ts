// String(Sid): attributeSyntax 2.5.5.17, oMSyntax 4 (MS-ADTS 3.1.1.2.2.2). A SID in the
// binary form of MS-DTYP 2.4.2.2 (multi-byte fields little-endian except the 6-byte
// IdentifierAuthority, which is big-endian), otherwise encoded as String(Octet)
// (MS-ADTS 3.1.1.2.2.2.7).
// Comparison rule Sid (MS-ADTS 3.1.1.2.2.4.11): equality, ordering and substrings; compared
// byte-wise like Octet.
//
// Writes take the binary form only (the spec's representation). Filter assertion values may
// also use the string form "S-1-5-21-…" (MS-DTYP 2.4.2.1), which Active Directory accepts in
// search filters on SID attributes.
import { RULES } from './comparison.js';
import { copyBytes, view } from './common.js';
import { makeBytesSyntax } from './string-octet.js';
import { SyntaxValueError, type Syntax } from './syntax.js';

const NAME = 'String(Sid)';
export const SID_MAX_SUB_AUTHORITIES = 15;

/** Why the bytes are not a valid MS-DTYP 2.4.2.2 SID, or undefined when they are. */
export function sidProblem(b: Uint8Array, offset = 0, limit = b.length): string | undefined {
  if (limit - offset < 8) return 'shorter than the 8-byte SID header';
  if (b[offset] !== 1) return `revision ${b[offset]} (must be 1)`;
  const n = b[offset + 1]!;
  if (n > SID_MAX_SUB_AUTHORITIES) return `${n} sub-authorities (at most ${SID_MAX_SUB_AUTHORITIES})`;
  return undefined;
}

/** Length in bytes of the SID at offset (8 + 4 × SubAuthorityCount); call after sidProblem. */
export function sidLength(b: Uint8Array, offset = 0): number {
  return 8 + 4 * b[offset + 1]!;
}

/** Validates a whole buffer as one SID; returns the reason it is not, or undefined. */
export function validateSid(b: Uint8Array): string | undefined {
  const p = sidProblem(b);
  if (p) return p;
  const len = sidLength(b);
  if (len !== b.length) return `length ${b.length} does not match ${b[1]} sub-authorities (${len} bytes)`;
  return undefined;
}

/** Binary SID → "S-1-…" (MS-DTYP 2.4.2.1); the authority in hex when it does not fit 32 bits. */
export function sidToString(sid: Uint8Array): string {
  const why = validateSid(sid);
  if (why) throw new SyntaxValueError(NAME, why);
  const b = view(sid);
  const hi = b.readUInt16BE(2);
  const lo = b.readUInt32BE(4);
  let s = 'S-1-' + (hi === 0 ? String(lo) : '0x' + b.toString('hex', 2, 8).toUpperCase());
  for (let i = 0, n = b[1]!; i < n; i++) s += '-' + b.readUInt32LE(8 + 4 * i);
  return s;
}

const SID_TEXT = /^[Ss]-1-(0[xX][0-9A-Fa-f]{12}|\d{1,15})((?:-\d{1,10}){0,15})$/;

/** "S-1-…" → binary SID (MS-DTYP 2.4.2.1); throws SyntaxValueError when malformed or out of range. */
export function sidFromString(text: string): Buffer {
  const b = trySidFromString(text);
  if (b === undefined) throw new SyntaxValueError(NAME, `${JSON.stringify(text.length > 100 ? text.slice(0, 100) + '…' : text)} is not a SID string S-1-<authority>-<sub-authority>… (at most 15 sub-authorities)`);
  return b;
}

/** "S-1-…" → binary SID; undefined when malformed or out of range. */
export function trySidFromString(text: string): Buffer | undefined {
  const m = SID_TEXT.exec(text);
  if (!m) return undefined;
  const subs = m[2] ? m[2].slice(1).split('-') : [];
  const b = Buffer.alloc(8 + 4 * subs.length);
  b[0] = 1;
  b[1] = subs.length;
  const auth = m[1]!;
  if (auth.length === 14 && (auth[1] === 'x' || auth[1] === 'X')) {
    b.write(auth.slice(2), 2, 'hex');
  } else {
    const n = Number(auth);
    if (n > 0xffffffffffff) return undefined;
    b.writeUIntBE(n, 2, 6);
  }
  for (let i = 0; i < subs.length; i++) {
    const n = Number(subs[i]);
    if (n > 0xffffffff) return undefined;
    b.writeUInt32LE(n, 8 + 4 * i);
  }
  return b;
}

export const stringSid: Syntax = makeBytesSyntax({
  name: NAME,
  attributeSyntax: '2.5.5.17',
  oMSyntax: 4,
  ldapSyntaxOid: '1.3.6.1.4.1.1466.115.121.1.40',
  rule: RULES.Sid,
  problem: validateSid,
  // a filter may give the S-1-… text form; writes must be binary
  assertion(value) {
    if (value.length > 2 && (value[0] === 0x53 || value[0] === 0x73) && value[1] === 0x2d) {
      return trySidFromString(view(value).toString('latin1'));
    }
    return validateSid(value) ? undefined : copyBytes(value);
  },
  substrings: true,
});
