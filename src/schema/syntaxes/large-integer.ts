// LargeInteger: attributeSyntax 2.5.5.16, oMSyntax 65 (MS-ADTS 3.1.1.2.2.2). LDAP
// representation RFC 2252 6.16 (decimal), restricted to 64-bit integers (footnote *).
// Comparison rule Integer (MS-ADTS 3.1.1.2.2.4.2): signed comparison.
// Stored as a bigint; -9223372036854775808 … 9223372036854775807, anything else refused
// (no unsigned spelling here: that would be ambiguous with real 64-bit values).
import { RULES } from './comparison.js';
import { splitDecimal } from './common.js';
import { SyntaxValueError, type StoredValue, type Syntax } from './syntax.js';

const NAME = 'LargeInteger';
const MAX = 9223372036854775807n;
const MIN = -9223372036854775808n;

export function parseInt64(v: Uint8Array): bigint | undefined {
  const d = splitDecimal(v);
  if (d === undefined || d.digits.length > 19) return undefined;
  const n = d.neg ? -BigInt(d.digits) : BigInt(d.digits);
  return n > MAX || n < MIN ? undefined : n;
}

/** msgpack may hand a small value back as a number. */
const big = (v: StoredValue): bigint => (typeof v === 'bigint' ? v : BigInt(v as number));

export const largeInteger: Syntax = {
  name: NAME,
  attributeSyntax: '2.5.5.16',
  oMSyntax: 65,
  ldapSyntaxOid: '1.2.840.113556.1.4.906',
  rule: RULES.Integer,
  isReference: false,
  fromLdap(value) {
    const n = parseInt64(value);
    if (n === undefined) {
      throw new SyntaxValueError(NAME, splitDecimal(value) === undefined ? 'expected a decimal integer (an optional "-" and digits)' : 'out of the 64-bit integer range');
    }
    return n;
  },
  toLdap(value) {
    return big(value).toString();
  },
  normalize(value) {
    // order-preserving: big-endian two's complement with the sign bit flipped
    const b = Buffer.allocUnsafe(8);
    b.writeBigUInt64BE(BigInt.asUintN(64, big(value)) ^ 0x8000000000000000n, 0);
    return b;
  },
  compare(a, b) {
    const x = big(a);
    const y = big(b);
    return x < y ? -1 : x > y ? 1 : 0;
  },
  assertion(value) {
    return parseInt64(value);
  },
};
