// The CaseString comparison rule (MS-ADTS 3.1.1.2.2.4.8), shared by String(Case),
// String(IA5), String(Numeric) and String(Printable): case-sensitive, compared as the
// value's octets (equal when identical; ordered byte-wise as the Octet rule, 3.1.1.2.2.4.7);
// equality, ordering and substrings are supported.
import { RULES } from './comparison.js';
import { compareCodePoints, matchStringPieces, piecePreparer, requireNonEmpty, view } from './common.js';
import { SyntaxValueError, type StoredValue, type Syntax } from './syntax.js';

const prepare = piecePreparer((s) => s);

/**
 * A CaseString syntax over a 7-bit character set given as a 128-entry table (1 = allowed).
 * Values are ASCII, kept as strings; their keys are their bytes.
 */
export function makeAsciiCaseSyntax(
  name: string,
  attributeSyntax: string,
  oMSyntax: number,
  ldapSyntaxOid: string,
  allowed: Uint8Array,
  describe: string,
): Syntax {
  const check = (v: Uint8Array): string | undefined => {
    for (let i = 0; i < v.length; i++) {
      const c = v[i]!;
      if (c >= 0x80 || allowed[c] === 0) return `character 0x${c.toString(16).padStart(2, '0')} at ${i} is not allowed (${describe})`;
    }
    return undefined;
  };
  return {
    name,
    attributeSyntax,
    oMSyntax,
    ldapSyntaxOid,
    rule: RULES.CaseString,
    isReference: false,
    fromLdap(value) {
      requireNonEmpty(value, name);
      const why = check(value);
      if (why) throw new SyntaxValueError(name, why);
      return view(value).toString('latin1');
    },
    toLdap(value) {
      return value as string;
    },
    normalize(value) {
      return Buffer.from(value as string, 'latin1');
    },
    compare(a: StoredValue, b: StoredValue) {
      return compareCodePoints(a as string, b as string);
    },
    assertion(value) {
      return check(value) ? undefined : view(value).toString('latin1');
    },
    substrings(value, sub) {
      const p = prepare(sub);
      return p.ok && matchStringPieces(value as string, p.initial, p.any, p.final);
    },
  };
}

/** A 128-entry character table from ranges and single characters. */
export function charTable(spec: (string | [number, number])[]): Uint8Array {
  const t = new Uint8Array(128);
  for (const s of spec) {
    if (typeof s === 'string') for (let i = 0; i < s.length; i++) t[s.charCodeAt(i)] = 1;
    else for (let c = s[0]; c <= s[1]; c++) t[c] = 1;
  }
  return t;
}
