// Object(DN-String): attributeSyntax 2.5.5.14, oMSyntax 127, oMObjectClass
// 1.2.840.113556.1.1.1.12 (MS-ADTS 3.1.1.2.2.2). LDAP representation (3.1.1.2.2.2.1), UTF-8:
//   S:byte_count:string_value:object_DN
// byte_count is the decimal number of *bytes* of string_value in UTF-8 (MS-ADTS says bytes and
// notes that a character can take several; MS-DRSR 5.16.2.2 and the ADSchema pages say
// "characters" — identical for ASCII; we follow MS-ADTS, on input and output).
// Comparison rule DN-String (MS-ADTS 3.1.1.2.2.4.3): equal when object_DN names the same
// object and string_value is equal under the UnicodeString rule (case-insensitive); no
// ordering, no substrings.
import { RULES } from './comparison.js';
import { compareBytes, compareCodePoints, foldUnicode, unicodeKey, refKey, resolveRef, utf8, view } from './common.js';
import { SyntaxValueError, type DNString, type StoredValue, type Syntax, type SyntaxContext } from './syntax.js';

const NAME = 'Object(DN-String)';

function parse(value: Uint8Array, ctx: SyntaxContext): DNString {
  const b = view(value);
  if (b.length < 2 || b[0] !== 0x53 /* S */ || b[1] !== 0x3a) throw new SyntaxValueError(NAME, 'expected S:byte_count:string_value:object_DN');
  let i = 2;
  let count = 0;
  while (i < b.length && b[i]! >= 0x30 && b[i]! <= 0x39 && i < 11) count = count * 10 + (b[i++]! - 0x30);
  if (i === 2 || b[i] !== 0x3a) throw new SyntaxValueError(NAME, 'byte_count is not a decimal number followed by ":"');
  const start = i + 1;
  const end = start + count;
  if (end >= b.length || b[end] !== 0x3a) throw new SyntaxValueError(NAME, `byte_count ${count} does not match the length of string_value`);
  const str = utf8(b.subarray(start, end), NAME);
  const ref = resolveRef(utf8(b.subarray(end + 1), NAME), ctx, NAME);
  return { ref, str };
}

export const objectDnString: Syntax = {
  name: NAME,
  attributeSyntax: '2.5.5.14',
  oMSyntax: 127,
  oMObjectClass: '2a864886f7140101010c',
  ldapSyntaxOid: '1.2.840.113556.1.4.904',
  rule: RULES['DN-String'],
  isReference: true,
  fromLdap: parse,
  toLdap(value, ctx) {
    const v = value as DNString;
    return `S:${Buffer.byteLength(v.str, 'utf8')}:${v.str}:${ctx.dnOf(v.ref)}`;
  },
  normalize(value) {
    // objectGUID (fixed 16 bytes) ‖ folded string_value
    const v = value as DNString;
    return Buffer.concat([refKey(v.ref), unicodeKey(v.str)]);
  },
  compare(a: StoredValue, b: StoredValue) {
    const x = a as DNString;
    const y = b as DNString;
    return compareBytes(x.ref.guid, y.ref.guid) || compareCodePoints(foldUnicode(x.str), foldUnicode(y.str));
  },
  assertion(value, ctx) {
    try {
      return parse(value, ctx);
    } catch {
      return undefined;
    }
  },
  reference(value) {
    return (value as DNString).ref;
  },
};
