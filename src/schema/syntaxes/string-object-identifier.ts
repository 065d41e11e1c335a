// String(Object-Identifier): attributeSyntax 2.5.5.2, oMSyntax 6 (MS-ADTS 3.1.1.2.2.2).
// RFC 2252 6.25 OID. Values are accepted as numericoid or as descr — the lDAPDisplayName of
// the attribute or class the OID identifies (footnote †††) — and stored as the numericoid.
// Returned by the first of the four rules of footnote ††† that applies:
//   1. ";binary" option on the AttributeDescription → the BER encoding of the OID (X.690);
//   2. the value of attributeID (attributeSchema) or governsID (classSchema) → numericoid;
//   3. otherwise, if the OID identifies an attribute or class → its descr (lDAPDisplayName);
//   4. otherwise → numericoid.
// Comparison rule OID (MS-ADTS 3.1.1.2.2.4.10): equality only (the same OID); no ordering, no
// substrings. Keys are the numericoid text.
import { RULES } from './comparison.js';
import { compareCodePoints, requireNonEmpty, view } from './common.js';
import { SyntaxValueError, type StoredValue, type Syntax, type SyntaxContext } from './syntax.js';

const NAME = 'String(Object-Identifier)';
/** RFC 4512 1.4 numericoid: number 1*( DOT number ), no leading zeros. */
export const NUMERICOID = /^(?:0|[1-9]\d*)(?:\.(?:0|[1-9]\d*))+$/;
/** RFC 4512 1.4 descr: ALPHA *( ALPHA / DIGIT / HYPHEN ). */
export const DESCR = /^[A-Za-z][A-Za-z0-9-]*$/;

/** numericoid → full BER TLV (tag 0x06) of an OBJECT IDENTIFIER (X.690 8.19). */
export function oidToBer(oid: string): Buffer {
  if (!NUMERICOID.test(oid)) throw new SyntaxValueError(NAME, `${JSON.stringify(oid)} is not a numericoid`);
  const arcs = oid.split('.').map((a) => BigInt(a));
  const first = arcs[0]!;
  if (first > 2n || (first < 2n && arcs[1]! > 39n)) throw new SyntaxValueError(NAME, `${oid} has invalid first arcs`);
  const content: number[] = [];
  const push = (n: bigint) => {
    const tmp: number[] = [Number(n & 0x7fn)];
    for (n >>= 7n; n > 0n; n >>= 7n) tmp.push(Number(n & 0x7fn) | 0x80);
    content.push(...tmp.reverse());
  };
  push(first * 40n + arcs[1]!);
  for (let i = 2; i < arcs.length; i++) push(arcs[i]!);
  const len = content.length;
  const head = len < 0x80 ? [0x06, len] : len < 0x100 ? [0x06, 0x81, len] : [0x06, 0x82, len >> 8, len & 0xff];
  return Buffer.from([...head, ...content]);
}

/** Content octets of a BER OBJECT IDENTIFIER (e.g. an oMObjectClass value) → numericoid. */
export function oidFromBerContent(b: Uint8Array): string {
  const arcs: bigint[] = [];
  let n = 0n;
  let inArc = false;
  for (let i = 0; i < b.length; i++) {
    n = (n << 7n) | BigInt(b[i]! & 0x7f);
    inArc = (b[i]! & 0x80) !== 0;
    if (!inArc) {
      arcs.push(n);
      n = 0n;
    }
  }
  if (inArc || arcs.length === 0) throw new SyntaxValueError(NAME, 'truncated BER OBJECT IDENTIFIER');
  const f = arcs[0]!;
  const head = f < 40n ? [0n, f] : f < 80n ? [1n, f - 40n] : [2n, f - 80n];
  return [...head, ...arcs.slice(1)].join('.');
}

/** numericoid or descr → numericoid; undefined when malformed or an unknown descr. */
function toOid(value: Uint8Array, ctx: SyntaxContext): string | undefined {
  const s = view(value).toString('latin1');
  if (NUMERICOID.test(s)) return s;
  if (DESCR.test(s)) {
    const oid = ctx.oidOf(s);
    return oid !== undefined && NUMERICOID.test(oid) ? oid : undefined;
  }
  return undefined;
}

export const stringObjectIdentifier: Syntax = {
  name: NAME,
  attributeSyntax: '2.5.5.2',
  oMSyntax: 6,
  ldapSyntaxOid: '1.3.6.1.4.1.1466.115.121.1.38',
  rule: RULES.OID,
  isReference: false,
  fromLdap(value, ctx) {
    requireNonEmpty(value, NAME);
    const oid = toOid(value, ctx);
    if (oid === undefined) {
      const s = view(value).toString('latin1');
      throw new SyntaxValueError(NAME, DESCR.test(s) ? `${JSON.stringify(s)} names no attribute or class` : `${JSON.stringify(s)} is neither a numericoid nor a descr`);
    }
    return oid;
  },
  toLdap(value, ctx, opts) {
    const oid = value as string;
    if (opts?.binary) return oidToBer(oid); // rule 1
    const attr = opts?.attribute?.toLowerCase();
    if (attr === 'attributeid' || attr === 'governsid') return oid; // rule 2
    return ctx.ldapNameOf(oid) ?? oid; // rules 3 and 4
  },
  normalize(value) {
    return Buffer.from(value as string, 'latin1');
  },
  compare(a: StoredValue, b: StoredValue) {
    return compareCodePoints(a as string, b as string);
  },
  assertion(value, ctx) {
    return toOid(value, ctx);
  },
};
