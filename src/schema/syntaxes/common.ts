// Helpers shared by the syntax modules: byte/string views, the case folds, substring
// matching, decimal integers and object references.
import { isUtf8 } from 'node:buffer';
import { parseDN, InvalidDNError } from '../../dn/dn.js';
import { SyntaxValueError, type DSName, type SubstringAssertion, type SyntaxContext } from './syntax.js';

// ---- bytes ---------------------------------------------------------------------------

/** A Buffer view of a Uint8Array (no copy). */
export function view(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** A private copy, so a stored value never aliases a request buffer. */
export function copyBytes(u: Uint8Array): Buffer {
  return Buffer.from(u);
}

export function requireNonEmpty(v: Uint8Array, syntax: string): void {
  if (v.length === 0) throw new SyntaxValueError(syntax, 'empty value');
}

/** UTF-8 bytes → string; throws SyntaxValueError when the bytes are not valid UTF-8. */
export function utf8(v: Uint8Array, syntax: string): string {
  const b = view(v);
  if (!isUtf8(b)) throw new SyntaxValueError(syntax, 'not valid UTF-8');
  return b.toString('utf8');
}

/** The string when the bytes are valid UTF-8, else a private copy of the bytes. */
export function stringOrBytes(v: Uint8Array): string | Buffer {
  const b = view(v);
  return isUtf8(b) ? b.toString('utf8') : copyBytes(b);
}

/** Bytes of a string-or-bytes stored value (UTF-8 for a string). */
export function bytesOf(v: string | Uint8Array): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : view(v);
}

/** Byte-wise order of MS-ADTS 3.1.1.2.2.4.7 (shorter prefix sorts first): exactly Buffer.compare. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

export const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);

/**
 * Compares two strings in Unicode code point order, which is the byte order of their UTF-8
 * encodings (so it agrees with keys made by Buffer.from(s, 'utf8')). JS `<` compares UTF-16
 * code units, which puts U+E000..U+FFFF after the surrogate pairs; that is corrected here.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x < y ? -1 : 1;
    }
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

// ---- case folds ----------------------------------------------------------------------

const NON_ASCII = /[^\x00-\x7f]/;

export { foldUnicode } from '../../util/unicode-fold.js';
import { foldUnicode } from '../../util/unicode-fold.js';

/**
 * The String(Unicode) key: UTF-8 of foldUnicode(s). ASCII strings are folded straight into
 * the buffer (this runs for every index key and filter comparison).
 */
export function unicodeKey(s: string): Buffer {
  const n = s.length;
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return Buffer.from(foldUnicode(s), 'utf8');
    b[i] = c >= 0x61 && c <= 0x7a ? c - 0x20 : c;
  }
  return b;
}

/** ASCII-only case fold (a–z → A–Z), for String(Teletex) (NoCaseString, MS-ADTS 3.1.1.2.2.4.12). */
export function foldAscii(s: string): string {
  return s.toUpperCase(); // values are restricted to 0x20–0x7E, where this is exactly a–z → A–Z
}

// ---- substrings ----------------------------------------------------------------------

/** RFC 4511 4.5.1.7.4 substrings over strings: initial, then each any in order, then final, without overlap. */
export function matchStringPieces(h: string, initial: string | undefined, any: readonly string[], final: string | undefined): boolean {
  let pos = 0;
  let end = h.length;
  if (initial !== undefined) {
    if (!h.startsWith(initial)) return false;
    pos = initial.length;
  }
  if (final !== undefined) {
    if (final.length > end - pos || !h.endsWith(final)) return false;
    end -= final.length;
  }
  for (const a of any) {
    const i = h.indexOf(a, pos);
    if (i < 0 || i + a.length > end) return false;
    pos = i + a.length;
  }
  return true;
}

/** The same over bytes. */
export function matchBytePieces(h: Buffer, sub: SubstringAssertion): boolean {
  let pos = 0;
  let end = h.length;
  const { initial, any, final } = sub;
  if (initial !== undefined) {
    if (initial.length > end || h.compare(initial, 0, initial.length, 0, initial.length) !== 0) return false;
    pos = initial.length;
  }
  if (final !== undefined) {
    if (final.length > end - pos || h.compare(final, 0, final.length, end - final.length, end) !== 0) return false;
    end -= final.length;
  }
  for (const a of any) {
    const i = h.indexOf(a, pos);
    if (i < 0 || i + a.length > end) return false;
    pos = i + a.length;
  }
  return true;
}

/** Substring pieces converted once per assertion (cached on the assertion object). */
export interface PreparedPieces {
  ok: boolean; // false when a piece could not be converted (never matches)
  initial?: string;
  any: string[];
  final?: string;
}

/** Makes a per-rule cache: pieces are decoded as UTF-8 and folded once, not once per candidate entry. */
export function piecePreparer(fold: (s: string) => string): (sub: SubstringAssertion) => PreparedPieces {
  const cache = new WeakMap<SubstringAssertion, PreparedPieces>();
  const conv = (u: Uint8Array): string | undefined => {
    const b = view(u);
    return isUtf8(b) ? fold(b.toString('utf8')) : undefined;
  };
  return (sub) => {
    let p = cache.get(sub);
    if (p) return p;
    const initial = sub.initial && conv(sub.initial);
    const final = sub.final && conv(sub.final);
    const any: string[] = [];
    let ok = (sub.initial === undefined || initial !== undefined) && (sub.final === undefined || final !== undefined);
    for (const a of sub.any) {
      const s = conv(a);
      if (s === undefined) ok = false;
      else any.push(s);
    }
    p = { ok, any };
    if (initial !== undefined) p.initial = initial;
    if (final !== undefined) p.final = final;
    cache.set(sub, p);
    return p;
  };
}

// ---- integers ------------------------------------------------------------------------

/**
 * Parses the decimal INTEGER of RFC 2252 6.16: an optional '-' and one or more ASCII digits.
 * Refused: empty, '+', spaces, exponents, hex, anything else. Leading zeros and "-0" are
 * accepted (as Windows' own decimal parsing does) and canonicalized away.
 * Returns the digits without leading zeros (at least "0") and the sign, or undefined.
 */
export function splitDecimal(v: Uint8Array): { neg: boolean; digits: string } | undefined {
  const n = v.length;
  if (n === 0) return undefined;
  let i = 0;
  const neg = v[0] === 0x2d;
  if (neg) i = 1;
  if (i === n) return undefined;
  for (let j = i; j < n; j++) {
    const c = v[j]!;
    if (c < 0x30 || c > 0x39) return undefined;
  }
  while (i < n - 1 && v[i] === 0x30) i++;
  return { neg, digits: view(v).toString('latin1', i, n) };
}

// ---- object references ---------------------------------------------------------------

/**
 * object_DN → DSName (MS-ADTS 3.1.1.1.6). Plain DN text is checked with the DN parser first
 * (SyntaxValueError when malformed); the <GUID=…>/<SID=…> extended forms go to the
 * directory as they are. ctx.resolveDN throws when no object is named.
 */
export function resolveRef(text: string, ctx: SyntaxContext, syntax: string): DSName {
  if (text.length === 0) throw new SyntaxValueError(syntax, 'empty object_DN');
  if (text.charCodeAt(0) !== 0x3c /* < */) {
    try {
      parseDN(text);
    } catch (e) {
      if (e instanceof InvalidDNError) throw new SyntaxValueError(syntax, e.message);
      throw e;
    }
  }
  return copyDSName(ctx.resolveDN(text), syntax);
}

/** A msgpack-clean copy of a DSName (no undefined keys, own byte arrays). */
export function copyDSName(r: DSName, syntax: string): DSName {
  if (!(r.guid instanceof Uint8Array) || r.guid.length !== 16) throw new SyntaxValueError(syntax, 'the referenced object has no 16-byte objectGUID');
  const out: DSName = { guid: copyBytes(r.guid) };
  if (r.sid !== undefined && r.sid.length > 0) out.sid = copyBytes(r.sid);
  if (r.dn !== undefined) out.dn = r.dn;
  return out;
}

/** DN comparison rule (MS-ADTS 3.1.1.2.2.4.5): references are equal when they name the same object, i.e. by objectGUID. */
export function refKey(r: DSName): Buffer {
  return view(r.guid);
}
