// String(Case): attributeSyntax 2.5.5.3, oMSyntax 27 (MS-ADTS 3.1.1.2.2.2). A case-sensitive
// UTF-8 string, but the server does not enforce that it is valid UTF-8 (3.1.1.2.2.2.5).
// Comparison rule CaseString (MS-ADTS 3.1.1.2.2.4.8): compared as octets.
//
// Stored as a string when the bytes are valid UTF-8 and as the bytes themselves otherwise, so
// every value round-trips exactly; either way the key is the value's bytes, and for UTF-8
// strings code point order is byte order.
import { RULES } from './comparison.js';
import { bytesOf, compareBytes, compareCodePoints, matchBytePieces, matchStringPieces, piecePreparer, requireNonEmpty, stringOrBytes, view } from './common.js';
import type { StoredValue, Syntax } from './syntax.js';

const NAME = 'String(Case)';
const prepare = piecePreparer((s) => s);

export const stringCase: Syntax = {
  name: NAME,
  attributeSyntax: '2.5.5.3',
  oMSyntax: 27,
  ldapSyntaxOid: '1.2.840.113556.1.4.1362',
  rule: RULES.CaseString,
  isReference: false,
  fromLdap(value) {
    requireNonEmpty(value, NAME);
    return stringOrBytes(value);
  },
  toLdap(value) {
    return typeof value === 'string' ? value : view(value as Uint8Array);
  },
  normalize(value) {
    return bytesOf(value as string | Uint8Array);
  },
  compare(a: StoredValue, b: StoredValue) {
    if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
    return compareBytes(bytesOf(a as string | Uint8Array), bytesOf(b as string | Uint8Array));
  },
  assertion(value) {
    return stringOrBytes(value);
  },
  substrings(value, sub) {
    if (typeof value === 'string') {
      const p = prepare(sub);
      // with valid UTF-8 on both sides, matching code points is matching bytes
      if (p.ok) return matchStringPieces(value, p.initial, p.any, p.final);
    }
    return matchBytePieces(bytesOf(value as string | Uint8Array), sub);
  },
};
