// String(Octet): attributeSyntax 2.5.5.10, oMSyntax 4 (MS-ADTS 3.1.1.2.2.2). LDAP
// representation RFC 2252 6.2 (Binary): the value's bytes as they are.
// Comparison rule Octet (MS-ADTS 3.1.1.2.2.4.7): equal when the same length and contents;
// ordered byte-wise, a proper prefix sorting first — exactly Buffer.compare.
import { RULES } from './comparison.js';
import { compareBytes, copyBytes, matchBytePieces, requireNonEmpty, view } from './common.js';
import { SyntaxValueError, type StoredValue, type Syntax, type SubstringAssertion } from './syntax.js';
import type { ComparisonRule } from './comparison.js';

/** What differs between the syntaxes whose stored form is their bytes (Octet, Sid, NT-Sec-Desc, Replica-Link). */
export interface BytesSyntaxSpec {
  name: string;
  attributeSyntax: string;
  oMSyntax: number;
  ldapSyntaxOid: string;
  oMObjectClass?: string;
  rule: ComparisonRule;
  /** why a value is malformed, or undefined when it is well formed (default: empty values only) */
  problem?: (value: Uint8Array) => string | undefined;
  /** a filter assertion value to its stored form (default: the bytes when well formed) */
  assertion?: (value: Uint8Array) => StoredValue | undefined;
  /** the rule supports substrings over the bytes */
  substrings: boolean;
}

/** A syntax whose stored, LDAP and normalized forms are all the value's bytes, ordered byte-wise. */
export function makeBytesSyntax(spec: BytesSyntaxSpec): Syntax {
  const problem = spec.problem ?? ((v: Uint8Array) => (v.length === 0 ? 'empty value' : undefined));
  const s: Syntax = {
    name: spec.name,
    attributeSyntax: spec.attributeSyntax,
    oMSyntax: spec.oMSyntax,
    ldapSyntaxOid: spec.ldapSyntaxOid,
    rule: spec.rule,
    isReference: false,
    fromLdap(value) {
      if (!spec.problem) requireNonEmpty(value, spec.name);
      const why = problem(value);
      if (why) throw new SyntaxValueError(spec.name, why);
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
    assertion: spec.assertion ?? ((value) => (spec.problem && problem(value) ? undefined : copyBytes(value))),
    ...(spec.substrings ? { substrings: (value: StoredValue, sub: SubstringAssertion) => matchBytePieces(view(value as Uint8Array), sub) } : {}),
  };
  return spec.oMObjectClass === undefined ? s : { ...s, oMObjectClass: spec.oMObjectClass };
}

export function makeOctetSyntax(name: string, attributeSyntax: string, oMSyntax: number, ldapSyntaxOid: string, oMObjectClass?: string): Syntax {
  return makeBytesSyntax({ name, attributeSyntax, oMSyntax, ldapSyntaxOid, rule: RULES.Octet, substrings: true, ...(oMObjectClass !== undefined ? { oMObjectClass } : {}) });
}

export const stringOctet: Syntax = makeOctetSyntax('String(Octet)', '2.5.5.10', 4, '1.3.6.1.4.1.1466.115.121.1.40');
