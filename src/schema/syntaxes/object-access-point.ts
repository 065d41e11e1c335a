// Object(Access-Point): attributeSyntax 2.5.5.14, oMSyntax 127, oMObjectClass
// 1.3.12.2.1011.28.0.702 (MS-ADTS 3.1.1.2.2.2). LDAP representation (3.1.1.2.2.2.2), UTF-8:
//   presentation_address#X500:object_DN
// presentation_address is an Object(Presentation-Address) value (not validated, footnote ***);
// the value is split at the first "#X500:".
// Comparison rule DN-String (MS-ADTS 3.1.1.2.2.4.3): equal when object_DN names the same
// object and presentation_address is equal under the UnicodeString rule; no ordering, no
// substrings.
import { RULES } from './comparison.js';
import { compareBytes, compareCodePoints, foldUnicode, unicodeKey, refKey, resolveRef, utf8 } from './common.js';
import { SyntaxValueError, type AccessPoint, type StoredValue, type Syntax, type SyntaxContext } from './syntax.js';

const NAME = 'Object(Access-Point)';
const SEP = '#X500:';

function parse(value: Uint8Array, ctx: SyntaxContext): AccessPoint {
  const text = utf8(value, NAME);
  const i = text.indexOf(SEP);
  if (i < 0) throw new SyntaxValueError(NAME, 'expected presentation_address#X500:object_DN');
  const ref = resolveRef(text.slice(i + SEP.length), ctx, NAME);
  return { ref, address: text.slice(0, i) };
}

export const objectAccessPoint: Syntax = {
  name: NAME,
  attributeSyntax: '2.5.5.14',
  oMSyntax: 127,
  oMObjectClass: '2b0c0287731c00853e',
  ldapSyntaxOid: '1.3.6.1.4.1.1466.115.121.1.2',
  rule: RULES['DN-String'],
  isReference: true,
  fromLdap: parse,
  toLdap(value, ctx) {
    const v = value as AccessPoint;
    return `${v.address}${SEP}${ctx.dnOf(v.ref)}`;
  },
  normalize(value) {
    const v = value as AccessPoint;
    return Buffer.concat([refKey(v.ref), unicodeKey(v.address)]);
  },
  compare(a: StoredValue, b: StoredValue) {
    const x = a as AccessPoint;
    const y = b as AccessPoint;
    return compareBytes(x.ref.guid, y.ref.guid) || compareCodePoints(foldUnicode(x.address), foldUnicode(y.address));
  },
  assertion(value, ctx) {
    try {
      return parse(value, ctx);
    } catch {
      return undefined;
    }
  },
  reference(value) {
    return (value as AccessPoint).ref;
  },
};
