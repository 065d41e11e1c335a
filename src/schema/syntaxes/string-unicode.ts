// String(Unicode): attributeSyntax 2.5.5.12, oMSyntax 64 (MS-ADTS 3.1.1.2.2.2). RFC 2252
// 6.10 Directory String: UTF-8.
// Comparison rule UnicodeString (MS-ADTS 3.1.1.2.2.4.13): compared ignoring case; equality,
// ordering and substrings supported.
//
// The fold is foldUnicode (common.ts): NFC, then the locale-independent one-to-one Unicode
// uppercase mapping (toUpperCase, minus the expanding mappings such as ß → SS that Windows'
// upcase table does not have). Keys are the UTF-8 bytes of the folded value, so ordering is
// code point order of the folded values — not a linguistic collation.
import { RULES } from './comparison.js';
import { compareCodePoints, foldUnicode, unicodeKey, matchStringPieces, piecePreparer, requireNonEmpty, utf8, view } from './common.js';
import type { StoredValue, Syntax } from './syntax.js';
import { isUtf8 } from 'node:buffer';

const NAME = 'String(Unicode)';
const prepare = piecePreparer(foldUnicode);

export const stringUnicode: Syntax = {
  name: NAME,
  attributeSyntax: '2.5.5.12',
  oMSyntax: 64,
  ldapSyntaxOid: '1.3.6.1.4.1.1466.115.121.1.15',
  rule: RULES.UnicodeString,
  isReference: false,
  fromLdap(value) {
    requireNonEmpty(value, NAME);
    return utf8(value, NAME);
  },
  toLdap(value) {
    return value as string;
  },
  normalize(value) {
    return unicodeKey(value as string);
  },
  compare(a: StoredValue, b: StoredValue) {
    return compareCodePoints(foldUnicode(a as string), foldUnicode(b as string));
  },
  assertion(value) {
    const b = view(value);
    return isUtf8(b) ? b.toString('utf8') : undefined;
  },
  substrings(value, sub) {
    const p = prepare(sub);
    return p.ok && matchStringPieces(foldUnicode(value as string), p.initial, p.any, p.final);
  },
};
