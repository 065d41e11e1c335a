// Object(DS-DN): attributeSyntax 2.5.5.1, oMSyntax 127, oMObjectClass 1.3.12.2.1011.28.0.714
// (MS-ADTS 3.1.1.2.2.2). LDAP representation: a DN (RFC 2252 6.9, RFC 2253), or on input the
// extended forms of LDAP_SERVER_EXTENDED_DN_OID (footnote **), which ctx.resolveDN handles.
// The stored state is a DSName (MS-ADTS 3.1.1.1.6): the referenced object's objectGUID and
// objectSid, so the value follows renames — toLdap asks ctx.dnOf for the current DN.
// Comparison rule DN (MS-ADTS 3.1.1.2.2.4.5): equal when they name the same object (same
// objectGUID); no ordering, no substrings; TRANSITIVE_EVAL on link attributes.
import { RULES } from './comparison.js';
import { compareBytes, refKey, resolveRef, utf8 } from './common.js';
import type { DSName, StoredValue, Syntax, SyntaxContext } from './syntax.js';

/** An object reference syntax whose whole value is one object_DN (Object(DS-DN), Object(OR-Name)). */
export function makeDNSyntax(
  name: string,
  attributeSyntax: string,
  oMObjectClass: string,
  ldapSyntaxOid: string,
  rule: typeof RULES.DN,
): Syntax {
  const parse = (value: Uint8Array, ctx: SyntaxContext): DSName => resolveRef(utf8(value, name), ctx, name);
  return {
    name,
    attributeSyntax,
    oMSyntax: 127,
    oMObjectClass,
    ldapSyntaxOid,
    rule,
    isReference: true,
    fromLdap: parse,
    toLdap(value, ctx) {
      return ctx.dnOf(value as DSName);
    },
    normalize(value) {
      return refKey(value as DSName);
    },
    compare(a: StoredValue, b: StoredValue) {
      return compareBytes((a as DSName).guid, (b as DSName).guid);
    },
    assertion(value, ctx) {
      try {
        return parse(value, ctx);
      } catch {
        return undefined; // a malformed DN or one naming no object: the filter item is Undefined
      }
    },
    reference(value) {
      return value as DSName;
    },
  };
}

export const objectDsDn: Syntax = makeDNSyntax('Object(DS-DN)', '2.5.5.1', '2b0c0287731c00854a', '1.3.6.1.4.1.1466.115.121.1.12', RULES.DN);
