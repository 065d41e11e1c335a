import { foldUnicode } from '../util/unicode-fold.js';

// Distinguished names as RFC 4514 strings (LDAP's string representation), parsed into
// RDN sequences. In forestd a DN is never stored: it is derived from `parent` and the RDN
// (MS-ADTS 3.1.1.1.4), so this module only parses what clients send and formats what the
// directory derives.

/** One attribute type and value assertion of an RDN. `value` is unescaped text. */
export interface AVA {
  type: string;
  value: string;
}
/** An RDN. Active Directory uses single-valued RDNs only; multi-valued ones parse but the directory refuses them. */
export type RDN = AVA[];

export class InvalidDNError extends Error {
  readonly code = 'ERR_INVALID_DN';
  constructor(
    readonly dn: string,
    reason: string,
  ) {
    super(`invalid DN ${JSON.stringify(dn.length > 200 ? dn.slice(0, 200) + '…' : dn)}: ${reason}`);
    this.name = 'InvalidDNError';
  }
}

/** Longest DN we accept, in characters; AD's own limit for a DN is far below this. */
export const MAX_DN_LENGTH = 64 * 1024;
/** Most RDNs a DN may have. */
export const MAX_DN_DEPTH = 256;

const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isDigit = (c: number) => c >= 48 && c <= 57;
const isHex = (c: number) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const hexVal = (c: number) => (c <= 57 ? c - 48 : (c | 0x20) - 87);

/**
 * Parses an RFC 4514 DN. Leading/trailing spaces around separators and around '=' are
 * tolerated, as Active Directory tolerates them; ';' is accepted as an RDN separator
 * (RFC 2253 compatibility, which AD also accepts). The empty string is the empty DN
 * (zero RDNs: the rootDSE).
 */
export function parseDN(dn: string): RDN[] {
  if (dn.length > MAX_DN_LENGTH) throw new InvalidDNError(dn, `longer than ${MAX_DN_LENGTH} characters`);
  const rdns: RDN[] = [];
  const n = dn.length;
  let i = 0;
  const skipSpaces = () => {
    while (i < n && dn.charCodeAt(i) === 32) i++;
  };
  skipSpaces();
  if (i === n) return rdns;
  let rdn: RDN = [];
  for (;;) {
    // attributeType = descr / numericoid   (RFC 4514 3, RFC 4512 1.4)
    skipSpaces();
    const tStart = i;
    const c0 = dn.charCodeAt(i);
    if ((c0 === 79 || c0 === 111) && /^oid\.[0-9]/i.test(dn.slice(i, i + 5))) i += 4; // "OID." prefix of RFC 2253
    if (isAlpha(dn.charCodeAt(i))) {
      i++;
      while (i < n) {
        const c = dn.charCodeAt(i);
        if (isAlpha(c) || isDigit(c) || c === 45 /* - */) i++;
        else break;
      }
    } else if (isDigit(dn.charCodeAt(i))) {
      // numericoid, optionally with the "OID." prefix some clients still send
      while (i < n) {
        const c = dn.charCodeAt(i);
        if (isDigit(c) || c === 46 /* . */) i++;
        else break;
      }
      const oid = dn.slice(tStart, i).replace(/^oid\./i, '');
      if (!/^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/.test(oid)) throw new InvalidDNError(dn, `bad attribute type OID ${oid}`);
    } else {
      throw new InvalidDNError(dn, i >= n ? 'missing attribute type' : `unexpected character ${JSON.stringify(dn[i])} at ${i} where an attribute type was expected`);
    }
    let type = dn.slice(tStart, i);
    if (/^oid\./i.test(type)) type = type.slice(4);
    skipSpaces();
    if (dn.charCodeAt(i) !== 61 /* = */) throw new InvalidDNError(dn, `expected '=' after attribute type ${type}`);
    i++;
    skipSpaces();
    // attributeValue = string / hexstring
    let value: string;
    if (dn.charCodeAt(i) === 35 /* # */) {
      i++;
      const hStart = i;
      while (i < n && isHex(dn.charCodeAt(i))) i++;
      const hex = dn.slice(hStart, i);
      if (hex.length === 0 || hex.length % 2 !== 0) throw new InvalidDNError(dn, 'bad #hexstring value');
      value = decodeBerString(Buffer.from(hex, 'hex'));
      skipSpaces();
    } else {
      let out = '';
      let pendingBytes: number[] | null = null;
      let lastNonSpace = 0; // length of `out` up to the last character that must be kept (escaped or non-space)
      const flush = () => {
        if (pendingBytes) {
          const b = Buffer.from(pendingBytes);
          const s = b.toString('utf8');
          if (Buffer.byteLength(s) !== b.length || s.includes('\ufffd')) throw new InvalidDNError(dn, 'escaped bytes are not valid UTF-8');
          out += s;
          lastNonSpace = out.length;
          pendingBytes = null;
        }
      };
      while (i < n) {
        const c = dn.charCodeAt(i);
        if (c === 44 /* , */ || c === 59 /* ; */ || c === 43 /* + */) break;
        if (c === 92 /* \ */) {
          const d = dn.charCodeAt(i + 1);
          if (i + 1 >= n) throw new InvalidDNError(dn, 'DN ends with a lone backslash');
          if (isHex(d)) {
            const e = dn.charCodeAt(i + 2);
            if (!isHex(e)) throw new InvalidDNError(dn, `bad hex escape at ${i}`);
            (pendingBytes ??= []).push(hexVal(d) * 16 + hexVal(e));
            i += 3;
            continue;
          }
          // RFC 4514 3: pair = ESC ( ESC / special / hexpair ); special = escaped / SPACE / SHARP / EQUALS
          if ('"+,;<>\\ #='.indexOf(dn[i + 1]!) < 0) throw new InvalidDNError(dn, `bad escape \\${dn[i + 1]} at ${i}`);
          flush();
          out += dn[i + 1];
          lastNonSpace = out.length;
          i += 2;
          continue;
        }
        if (c === 61 /* = */ || c === 34 /* " */ || c === 60 /* < */ || c === 62 /* > */) {
          // unescaped specials: RFC 4514 requires escaping; AD accepts '=' in values, refuses the rest
          if (c !== 61) throw new InvalidDNError(dn, `unescaped ${dn[i]} at ${i}`);
        }
        if (c === 0) throw new InvalidDNError(dn, 'NUL character in DN');
        flush();
        out += dn[i];
        if (c !== 32) lastNonSpace = out.length;
        i++;
      }
      flush();
      value = out.slice(0, lastNonSpace); // unescaped trailing spaces are not part of the value
    }
    rdn.push({ type, value });
    if (i >= n) {
      rdns.push(rdn);
      break;
    }
    const sep = dn.charCodeAt(i);
    i++;
    if (sep === 43 /* + */) continue;
    rdns.push(rdn);
    if (rdns.length > MAX_DN_DEPTH) throw new InvalidDNError(dn, `more than ${MAX_DN_DEPTH} RDNs`);
    rdn = [];
    skipSpaces();
    if (i >= n) throw new InvalidDNError(dn, 'DN ends with a separator');
  }
  for (const r of rdns) if (r.some((a) => a.value.length === 0)) throw new InvalidDNError(dn, 'empty RDN value');
  return rdns;
}

/** '#'-hexstring values carry a BER encoding; we accept an OCTET STRING or UTF8String/PrintableString/IA5String. */
function decodeBerString(b: Buffer): string {
  if (b.length >= 2 && [0x04, 0x0c, 0x13, 0x16].includes(b[0]!) && b[1]! < 0x80 && b[1] === b.length - 2) {
    return b.subarray(2).toString('utf8');
  }
  return b.toString('latin1');
}

/** The characters escapeRDNValue changes anywhere, and the leading/trailing ones it changes at the ends. */
const NEEDS_ESCAPE = /[,+"\\<>;=\n\r\0]|^[ #]| $/;

/** RFC 4514 2.4 escaping of an attribute value. */
export function escapeRDNValue(v: string): string {
  // most values need no escaping: one test, no copy
  if (!NEEDS_ESCAPE.test(v)) return v;
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const ch = v[i]!;
    const c = v.charCodeAt(i);
    if (ch === ',' || ch === '+' || ch === '"' || ch === '\\' || ch === '<' || ch === '>' || ch === ';' || ch === '=') out += '\\' + ch;
    else if (c === 0) out += '\\00';
    else if ((ch === ' ' && (i === 0 || i === v.length - 1)) || (ch === '#' && i === 0)) out += '\\' + ch;
    else if (c === 0x0a) out += '\\0A';
    else if (c === 0x0d) out += '\\0D';
    else out += ch;
  }
  return out;
}

export function formatRDN(rdn: RDN): string {
  return rdn.map((a) => `${a.type}=${escapeRDNValue(a.value)}`).join('+');
}

export function formatDN(rdns: RDN[]): string {
  return rdns.map(formatRDN).join(',');
}

/**
 * Case fold used for DN comparison where no schema is at hand (the RDN attributes of AD —
 * cn, ou, dc, o, c, l … — are String(Unicode), compared case-insensitively).
 * MS-ADTS 3.1.1.2.2.4: String(Unicode) comparison ignores case.
 */
export function foldValue(v: string): string {
  return foldUnicode(v);
}

/** A canonical text form of a DN for equality: types lower-cased, values folded and re-escaped. */
export function normalizeDN(dn: string | RDN[]): string {
  const rdns = typeof dn === 'string' ? parseDN(dn) : dn;
  return rdns
    .map((r) =>
      r
        .map((a) => `${a.type.toLowerCase()}=${escapeRDNValue(foldValue(a.value))}`)
        .sort()
        .join('+'),
    )
    .join(',');
}

/** True when `child` is `ancestor` or lies below it (both given as normalized RDN arrays or strings). */
export function isDescendantOrSelf(child: string, ancestor: string): boolean {
  const c = normalizeDN(child);
  const a = normalizeDN(ancestor);
  return a === '' || c === a || c.endsWith(',' + a);
}
