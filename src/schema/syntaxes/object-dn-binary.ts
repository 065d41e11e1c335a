// Object(DN-Binary): attributeSyntax 2.5.5.7, oMSyntax 127, oMObjectClass
// 1.2.840.113556.1.1.1.11 (MS-ADTS 3.1.1.2.2.2). LDAP representation (3.1.1.2.2.2.3):
//   B:char_count:binary_value:object_DN
// char_count is the decimal number of hex digits in binary_value, always even; each byte is
// two hex digits, most significant nibble first. Referential integrity applies to object_DN
// only (3.1.1.2.2.3).
// Comparison rule DN-Binary (MS-ADTS 3.1.1.2.2.4.4): equal when object_DN names the same object
// and binary_value is identical in length and content; no ordering, no substrings.
//
// Input: the 'B' literal is upper case; hex digits in either case. Output: upper-case hex, as AD
// writes wellKnownObjects.
import { RULES } from './comparison.js';
import { compareBytes, copyBytes, refKey, resolveRef, utf8, view } from './common.js';
import { SyntaxValueError, type DNBinary, type StoredValue, type Syntax, type SyntaxContext } from './syntax.js';

const NAME = 'Object(DN-Binary)';
const HEX = /^[0-9A-Fa-f]*$/;
const COUNT = /^\d{1,9}$/;

function parse(value: Uint8Array, ctx: SyntaxContext): DNBinary {
  const text = utf8(value, NAME);
  if (!text.startsWith('B:')) throw new SyntaxValueError(NAME, 'expected B:char_count:binary_value:object_DN');
  const c = text.indexOf(':', 2);
  if (c < 0) throw new SyntaxValueError(NAME, 'missing ":" after char_count');
  const countText = text.slice(2, c);
  if (!COUNT.test(countText)) throw new SyntaxValueError(NAME, `char_count ${JSON.stringify(countText)} is not a decimal number`);
  const count = Number(countText);
  if (count % 2 !== 0) throw new SyntaxValueError(NAME, `char_count ${count} is odd (each byte takes two hex digits)`);
  const start = c + 1;
  const end = start + count;
  if (end >= text.length || text.charCodeAt(end) !== 0x3a /* : */) {
    throw new SyntaxValueError(NAME, `char_count ${count} does not match the length of binary_value`);
  }
  const hex = text.slice(start, end);
  if (!HEX.test(hex)) throw new SyntaxValueError(NAME, 'binary_value is not hexadecimal');
  const ref = resolveRef(text.slice(end + 1), ctx, NAME);
  return { ref, binary: Buffer.from(hex, 'hex') };
}

export const objectDnBinary: Syntax = {
  name: NAME,
  attributeSyntax: '2.5.5.7',
  oMSyntax: 127,
  oMObjectClass: '2a864886f7140101010b',
  ldapSyntaxOid: '1.2.840.113556.1.4.903',
  rule: RULES['DN-Binary'],
  isReference: true,
  fromLdap: parse,
  toLdap(value, ctx) {
    const v = value as DNBinary;
    const hex = view(v.binary).toString('hex').toUpperCase();
    return `B:${hex.length}:${hex}:${ctx.dnOf(v.ref)}`;
  },
  normalize(value) {
    // objectGUID (fixed 16 bytes) ‖ binary_value: equal keys ⇔ same object and identical binary
    const v = value as DNBinary;
    return Buffer.concat([refKey(v.ref), view(v.binary)]);
  },
  compare(a: StoredValue, b: StoredValue) {
    const x = a as DNBinary;
    const y = b as DNBinary;
    return compareBytes(x.ref.guid, y.ref.guid) || compareBytes(x.binary, y.binary);
  },
  assertion(value, ctx) {
    try {
      return parse(value, ctx);
    } catch {
      return undefined;
    }
  },
  reference(value) {
    return (value as DNBinary).ref;
  },
};

/** A DNBinary from parts (for the directory, e.g. wellKnownObjects). */
export function dnBinary(ref: DNBinary['ref'], binary: Uint8Array): DNBinary {
  return { ref, binary: copyBytes(binary) };
}
