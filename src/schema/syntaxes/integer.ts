// Integer: attributeSyntax 2.5.5.9, oMSyntax 2 (MS-ADTS 3.1.1.2.2.2). LDAP representation
// RFC 2252 6.16 (decimal), restricted to 32-bit integers (footnote *).
// Comparison rule Integer (MS-ADTS 3.1.1.2.2.4.2): signed comparison.
//
// Range: -2147483648 … 2147483647, and also 2147483648 … 4294967295, taken as the unsigned
// spelling of the same 32 bits and stored as the negative value (so groupType=2147483650 and
// groupType=-2147483646 are the same value, as in Active Directory, where clients commonly
// write flag words such as 0x80000000 unsigned). Values are returned signed. Anything outside
// is refused.
import { RULES } from './comparison.js';
import { splitDecimal } from './common.js';
import { SyntaxValueError, type StoredValue, type Syntax } from './syntax.js';

/** Parses a 32-bit Integer/Enumeration value; undefined when malformed or out of range. */
export function parseInt32(v: Uint8Array): number | undefined {
  // same grammar as splitDecimal (common.ts), without allocating: runs on every filter value
  const len = v.length;
  const neg = len > 0 && v[0] === 0x2d;
  let i = neg ? 1 : 0;
  if (i === len) return undefined;
  let n = 0;
  let significant = 0;
  for (; i < len; i++) {
    const c = v[i]! - 0x30;
    if (c < 0 || c > 9) return undefined;
    if (n !== 0 || c !== 0) significant++;
    n = n * 10 + c;
  }
  if (significant > 10) return undefined;
  if (neg) {
    if (n > 2147483648) return undefined;
    return n === 0 ? 0 : -n;
  }
  if (n > 4294967295) return undefined;
  if (n > 2147483647) n -= 4294967296;
  return n;
}

/** Order-preserving 4-byte key: big-endian with the sign bit flipped. */
export function int32Key(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE((n ^ 0x80000000) >>> 0, 0);
  return b;
}

export function makeInt32Syntax(name: string, oMSyntax: number): Syntax {
  return {
    name,
    attributeSyntax: '2.5.5.9',
    oMSyntax,
    ldapSyntaxOid: '1.3.6.1.4.1.1466.115.121.1.27',
    rule: RULES.Integer,
    isReference: false,
    fromLdap(value) {
      const n = parseInt32(value);
      if (n === undefined) {
        const d = splitDecimal(value);
        throw new SyntaxValueError(name, d === undefined ? 'expected a decimal integer (an optional "-" and digits)' : 'out of the 32-bit integer range');
      }
      return n;
    },
    toLdap(value) {
      return String(value);
    },
    normalize(value) {
      return int32Key(value as number);
    },
    compare(a: StoredValue, b: StoredValue) {
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    },
    assertion(value) {
      return parseInt32(value);
    },
  };
}

export const integer: Syntax = makeInt32Syntax('Integer', 2);
