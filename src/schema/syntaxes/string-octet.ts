// String(Octet): attributeSyntax 2.5.5.10, oMSyntax 4 (MS-ADTS 3.1.1.2.2.2). LDAP
// representation RFC 2252 6.2 (Binary): the value's bytes as they are.
// Comparison rule Octet (MS-ADTS 3.1.1.2.2.4.7): equal when the same length and contents;
// ordered byte-wise, a proper prefix sorting first — exactly Buffer.compare.
import { RULES } from './comparison.js';
import { compareBytes, copyBytes, matchBytePieces, requireNonEmpty, view } from './common.js';
import type { StoredValue, Syntax } from './syntax.js';

export function makeOctetSyntax(name: string, attributeSyntax: string, oMSyntax: number, ldapSyntaxOid: string, oMObjectClass?: string): Syntax {
  const s: Syntax = {
    name,
    attributeSyntax,
    oMSyntax,
    ldapSyntaxOid,
    rule: RULES.Octet,
    isReference: false,
    fromLdap(value) {
      requireNonEmpty(value, name);
      return copyBytes(value);
    },
    toLdap(value) {
      return view(value as Uint8Array);
    },
    normalize(value) {
      return view(value as Uint8Array);
    },
    compare(a: StoredValue, b: StoredValue) {
      return compareBytes(a as Uint8Array, b as Uint8Array);
    },
    assertion(value) {
      return copyBytes(value);
    },
    substrings(value, sub) {
      return matchBytePieces(view(value as Uint8Array), sub);
    },
  };
  return oMObjectClass === undefined ? s : { ...s, oMObjectClass };
}

export const stringOctet: Syntax = makeOctetSyntax('String(Octet)', '2.5.5.10', 4, '1.3.6.1.4.1.1466.115.121.1.40');
