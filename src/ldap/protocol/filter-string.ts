/**
 * RFC 4515 string representation of search filters: parser and printer.
 * For tests, tools and configuration; the wire format is BER (filter.ts).
 *
 *   filter     = "(" filtercomp ")"
 *   filtercomp = and / or / not / item
 *   item       = simple / present / substring / extensible
 *   extensible = ( attr [":dn"] [":" matchingrule] ":=" assertionvalue )
 *              / ( [":dn"] ":" matchingrule ":=" assertionvalue )
 *   valueencoding: UTF-8, with "\" HEX HEX escapes (RFC 4515 3)
 */
import { FilterSyntaxError } from './errors.js';
import { MAX_FILTER_DEPTH, type Filter, type SubstringsFilter, type ExtensibleFilter } from './filter.js';

// ---------------------------------------------------------------- parser

class Parser {
  pos = 0;
  constructor(readonly s: string) {}

  fail(msg: string, at = this.pos): never {
    throw new FilterSyntaxError(msg, at);
  }

  expect(ch: string): void {
    if (this.s[this.pos] !== ch) this.fail(`expected '${ch}'`);
    this.pos++;
  }

  filter(depth: number): Filter {
    if (depth > MAX_FILTER_DEPTH) this.fail(`filter nested deeper than ${MAX_FILTER_DEPTH}`);
    this.expect('(');
    let f: Filter;
    const c = this.s[this.pos];
    if (c === '&' || c === '|') {
      this.pos++;
      const filters: Filter[] = [];
      while (this.s[this.pos] === '(') filters.push(this.filter(depth + 1));
      f = c === '&' ? { type: 'and', filters } : { type: 'or', filters };
    } else if (c === '!') {
      this.pos++;
      f = { type: 'not', filter: this.filter(depth + 1) };
    } else {
      f = this.item();
    }
    this.expect(')');
    return f;
  }

  /** attributedescription: keystring / numericoid, with ;options (RFC 4512 2.5) */
  attr(): string {
    const start = this.pos;
    const s = this.s;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      const ok =
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x2e || c === 0x3b || c === 0x5f;
      if (!ok) break;
      this.pos++;
    }
    return s.slice(start, this.pos);
  }

  item(): Filter {
    const attrStart = this.pos;
    const attribute = this.attr();
    const s = this.s;
    const c = s[this.pos];
    if (c === ':') return this.extensible(attribute, attrStart);
    if (attribute.length === 0) this.fail('expected attribute description');
    if (c === '~' || c === '>' || c === '<') {
      this.pos++;
      this.expect('=');
      const value = this.value(false).value;
      return { type: c === '~' ? 'approxMatch' : c === '>' ? 'greaterOrEqual' : 'lessOrEqual', attribute, value };
    }
    if (c !== '=') this.fail('expected filter type');
    this.pos++;
    // equality, present or substring
    const parts: Buffer[] = [];
    let stars = 0;
    for (;;) {
      parts.push(this.value(true).value);
      if (s[this.pos] === '*') {
        stars++;
        this.pos++;
        continue;
      }
      break;
    }
    if (stars === 0) return { type: 'equalityMatch', attribute, value: parts[0]! };
    if (stars === 1 && parts[0]!.length === 0 && parts[1]!.length === 0) return { type: 'present', attribute };
    const f: SubstringsFilter = { type: 'substrings', attribute, any: [] };
    const first = parts[0]!;
    const last = parts[parts.length - 1]!;
    if (first.length > 0) f.initial = first;
    for (let i = 1; i < parts.length - 1; i++) if (parts[i]!.length > 0) f.any.push(parts[i]!);
    if (last.length > 0) f.final = last;
    if (f.initial === undefined && f.final === undefined && f.any.length === 0) this.fail('empty substring filter');
    return f;
  }

  extensible(attribute: string, attrStart: number): Filter {
    const s = this.s;
    const f: ExtensibleFilter = { type: 'extensibleMatch', value: Buffer.alloc(0), dnAttributes: false };
    if (attribute.length > 0) f.attribute = attribute;
    // s[pos] === ':'
    let first = true;
    for (;;) {
      this.expect(':');
      if (s[this.pos] === '=') {
        this.pos++;
        break;
      }
      const tokStart = this.pos;
      const tok = this.attr();
      if (tok.length === 0) this.fail('expected "dn" or matching rule');
      if (first && tok.toLowerCase() === 'dn') {
        f.dnAttributes = true;
      } else if (f.matchingRule === undefined) {
        f.matchingRule = tok;
      } else {
        this.fail('unexpected token in extensible filter', tokStart);
      }
      first = false;
    }
    if (f.attribute === undefined && f.matchingRule === undefined) this.fail('extensible filter needs an attribute or a matching rule', attrStart);
    f.value = this.value(false).value;
    return f;
  }

  /**
   * assertionvalue up to an unescaped ')' (or '*' when `allowStar`).
   * Unescaped '(' , ')' , '*' , '\' and NUL are not allowed (RFC 4515 3).
   */
  value(allowStar: boolean): { value: Buffer } {
    const s = this.s;
    const bytes: number[] = [];
    let segStart = this.pos;
    const flush = (end: number): void => {
      if (end > segStart) for (const b of Buffer.from(s.slice(segStart, end), 'utf8')) bytes.push(b);
    };
    while (this.pos < s.length) {
      const c = s[this.pos]!;
      if (c === ')') break;
      if (c === '*') {
        if (allowStar) break;
        this.fail("unescaped '*' in assertion value");
      }
      if (c === '(') this.fail("unescaped '(' in assertion value");
      if (c === '\0') this.fail('NUL in assertion value');
      if (c === '\\') {
        flush(this.pos);
        const h = s.slice(this.pos + 1, this.pos + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(h)) this.fail('invalid escape (expected \\XX)');
        bytes.push(parseInt(h, 16));
        this.pos += 3;
        segStart = this.pos;
        continue;
      }
      this.pos++;
    }
    flush(this.pos);
    return { value: Buffer.from(bytes) };
  }
}

/**
 * Parses an RFC 4515 filter string, e.g. `(&(objectClass=user)(cn=a*b))`.
 * A bare item without parentheses (`cn=foo`) is accepted for convenience.
 * Throws FilterSyntaxError.
 */
export function parseFilter(text: string): Filter {
  let s = text.trim();
  if (!s.startsWith('(')) s = `(${s})`;
  const p = new Parser(s);
  const f = p.filter(1);
  if (p.pos !== s.length) p.fail('trailing characters after filter');
  return f;
}

// ---------------------------------------------------------------- printer

const HEX = '0123456789abcdef';

/** Escapes an assertion value per RFC 4515 3 (UTF-8 kept readable when valid). */
export function escapeFilterValue(value: Buffer | string): string {
  const buf = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  let utf8Ok = false;
  let str = '';
  if (buf.length > 0) {
    str = buf.toString('utf8');
    utf8Ok = Buffer.byteLength(str, 'utf8') === buf.length && Buffer.from(str, 'utf8').equals(buf);
  }
  let out = '';
  if (utf8Ok) {
    for (const ch of str) {
      const cp = ch.codePointAt(0)!;
      if (cp === 0x2a || cp === 0x28 || cp === 0x29 || cp === 0x5c || cp < 0x20 || cp === 0x7f) {
        out += '\\' + HEX[cp >> 4] + HEX[cp & 15];
      } else {
        out += ch;
      }
    }
    return out;
  }
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!;
    if (b >= 0x20 && b < 0x7f && b !== 0x2a && b !== 0x28 && b !== 0x29 && b !== 0x5c) out += String.fromCharCode(b);
    else out += '\\' + HEX[b >> 4] + HEX[b & 15];
  }
  return out;
}

/** Prints a Filter in RFC 4515 form. `parseFilter(printFilter(f))` yields an equal filter. */
export function printFilter(f: Filter): string {
  switch (f.type) {
    case 'and':
      return '(&' + f.filters.map(printFilter).join('') + ')';
    case 'or':
      return '(|' + f.filters.map(printFilter).join('') + ')';
    case 'not':
      return '(!' + printFilter(f.filter) + ')';
    case 'equalityMatch':
      return `(${f.attribute}=${escapeFilterValue(f.value)})`;
    case 'greaterOrEqual':
      return `(${f.attribute}>=${escapeFilterValue(f.value)})`;
    case 'lessOrEqual':
      return `(${f.attribute}<=${escapeFilterValue(f.value)})`;
    case 'approxMatch':
      return `(${f.attribute}~=${escapeFilterValue(f.value)})`;
    case 'present':
      return `(${f.attribute}=*)`;
    case 'substrings': {
      let s = `(${f.attribute}=`;
      if (f.initial !== undefined) s += escapeFilterValue(f.initial);
      s += '*';
      for (const a of f.any) s += escapeFilterValue(a) + '*';
      if (f.final !== undefined) s += escapeFilterValue(f.final);
      return s + ')';
    }
    case 'extensibleMatch': {
      let s = '(' + (f.attribute ?? '');
      if (f.dnAttributes) s += ':dn';
      if (f.matchingRule !== undefined) s += ':' + f.matchingRule;
      return s + ':=' + escapeFilterValue(f.value) + ')';
    }
    case 'unknown':
      throw new FilterSyntaxError(`cannot print unknown filter choice 0x${f.tag.toString(16)}`, 0);
  }
}
