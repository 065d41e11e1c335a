// String(Teletex): attributeSyntax 2.5.5.4, oMSyntax 20 (MS-ADTS 3.1.1.2.2.2). A UTF-8
// string restricted to characters 0x20–0x7E inclusive (3.1.1.2.2.2.8).
// Comparison rule NoCaseString (MS-ADTS 3.1.1.2.2.4.12): compared ignoring case. With the
// character set limited to printable ASCII, the fold is a–z → A–Z; keys are the folded
// bytes, so ordering is byte order of the upper-cased values (characters [ \ ] ^ _ ` sort
// before letters).
import { RULES } from './comparison.js';
import { compareCodePoints, foldAscii, matchStringPieces, piecePreparer, requireNonEmpty, unicodeKey, view } from './common.js';
import { SyntaxValueError, type StoredValue, type Syntax } from './syntax.js';

const NAME = 'String(Teletex)';
const prepare = piecePreparer(foldAscii);

function check(v: Uint8Array): string | undefined {
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c < 0x20 || c > 0x7e) return `character 0x${c.toString(16).padStart(2, '0')} at ${i} is outside 0x20-0x7E`;
  }
  return undefined;
}

export const stringTeletex: Syntax = {
  name: NAME,
  attributeSyntax: '2.5.5.4',
  oMSyntax: 20,
  ldapSyntaxOid: '1.2.840.113556.1.4.905',
  rule: RULES.NoCaseString,
  isReference: false,
  fromLdap(value) {
    requireNonEmpty(value, NAME);
    const why = check(value);
    if (why) throw new SyntaxValueError(NAME, why);
    return view(value).toString('latin1');
  },
  toLdap(value) {
    return value as string;
  },
  normalize(value) {
    return unicodeKey(value as string); // ASCII: exactly the a–z → A–Z fold, in bytes
  },
  compare(a: StoredValue, b: StoredValue) {
    return compareCodePoints(foldAscii(a as string), foldAscii(b as string));
  },
  assertion(value) {
    return check(value) ? undefined : view(value).toString('latin1');
  },
  substrings(value, sub) {
    const p = prepare(sub);
    return p.ok && matchStringPieces(foldAscii(value as string), p.initial, p.any, p.final);
  },
};
