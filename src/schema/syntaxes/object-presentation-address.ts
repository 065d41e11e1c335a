// Object(Presentation-Address): attributeSyntax 2.5.5.13, oMSyntax 127, oMObjectClass
// 1.3.12.2.1011.28.0.732 (MS-ADTS 3.1.1.2.2.2). RFC 2252 6.28 Presentation Address, but the
// DC does not check that a value follows RFC 1278 (footnote ***), so any non-empty value is
// taken.
// Comparison rule PresentationAddress (MS-ADTS 3.1.1.2.2.4.6): equal when the same length and
// content; no ordering, no substrings.
//
// Stored as a string when the bytes are valid UTF-8, else as the bytes; the key is the bytes.
import { RULES } from './comparison.js';
import { bytesOf, compareBytes, requireNonEmpty, stringOrBytes, view } from './common.js';
import type { StoredValue, Syntax } from './syntax.js';

const NAME = 'Object(Presentation-Address)';

export const objectPresentationAddress: Syntax = {
  name: NAME,
  attributeSyntax: '2.5.5.13',
  oMSyntax: 127,
  oMObjectClass: '2b0c0287731c00855c',
  ldapSyntaxOid: '1.3.6.1.4.1.1466.115.121.1.43',
  rule: RULES.PresentationAddress,
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
    return compareBytes(bytesOf(a as string | Uint8Array), bytesOf(b as string | Uint8Array));
  },
  assertion(value) {
    return stringOrBytes(value);
  },
};
