/**
 * Search filter AST and BER codec (RFC 4511 4.5.1, 4.5.1.7).
 * Assertion values are Buffers (AssertionValue ::= OCTET STRING); attribute
 * descriptions and matching-rule ids are strings (LDAPString).
 */
import { BerReader } from '../../ber/reader.js';
import { BerWriter } from '../../ber/writer.js';
import { BerError } from '../../ber/errors.js';
import { LdapProtocolError } from './errors.js';

/** Maximum nesting of and/or/not accepted by the decoder, encoder and parser. */
export const MAX_FILTER_DEPTH = 100;

export interface AndFilter { type: 'and'; filters: Filter[] }
export interface OrFilter { type: 'or'; filters: Filter[] }
export interface NotFilter { type: 'not'; filter: Filter }
export interface EqualityFilter { type: 'equalityMatch'; attribute: string; value: Buffer }
export interface GreaterOrEqualFilter { type: 'greaterOrEqual'; attribute: string; value: Buffer }
export interface LessOrEqualFilter { type: 'lessOrEqual'; attribute: string; value: Buffer }
export interface ApproxFilter { type: 'approxMatch'; attribute: string; value: Buffer }
export interface PresentFilter { type: 'present'; attribute: string }
export interface SubstringsFilter {
  type: 'substrings';
  attribute: string;
  initial?: Buffer;
  any: Buffer[];
  final?: Buffer;
}
export interface ExtensibleFilter {
  type: 'extensibleMatch';
  /** matchingRule [1] MatchingRuleId OPTIONAL */
  matchingRule?: string;
  /** type [2] AttributeDescription OPTIONAL */
  attribute?: string;
  /** matchValue [3] AssertionValue */
  value: Buffer;
  /** dnAttributes [4] BOOLEAN DEFAULT FALSE */
  dnAttributes: boolean;
}
/**
 * A context-tagged Filter choice this codec does not know (the RFC's "..."
 * extension marker). RFC 4511 4.5.1.7: servers evaluate it as Undefined.
 */
export interface UnknownFilter { type: 'unknown'; tag: number; value: Buffer }

export type Filter =
  | AndFilter
  | OrFilter
  | NotFilter
  | EqualityFilter
  | GreaterOrEqualFilter
  | LessOrEqualFilter
  | ApproxFilter
  | PresentFilter
  | SubstringsFilter
  | ExtensibleFilter
  | UnknownFilter;

export type AvaFilter = EqualityFilter | GreaterOrEqualFilter | LessOrEqualFilter | ApproxFilter;

/** Identifier octets of the Filter CHOICE alternatives (RFC 4511 4.5.1). */
export const FilterTag = {
  and: 0xa0,
  or: 0xa1,
  not: 0xa2,
  equalityMatch: 0xa3,
  substrings: 0xa4,
  greaterOrEqual: 0xa5,
  lessOrEqual: 0xa6,
  present: 0x87,
  approxMatch: 0xa8,
  extensibleMatch: 0xa9,
} as const;

const AVA_TYPE: Record<number, AvaFilter['type']> = {
  0xa3: 'equalityMatch',
  0xa5: 'greaterOrEqual',
  0xa6: 'lessOrEqual',
  0xa8: 'approxMatch',
};

/** Reads one Filter from the reader. `depth` is the nesting level of this filter (1 = top). */
export function readFilter(r: BerReader, depth = 1): Filter {
  if (depth > MAX_FILTER_DEPTH) {
    throw new LdapProtocolError('ERR_LDAP_FILTER_TOO_DEEP', `filter nested deeper than ${MAX_FILTER_DEPTH}`, r.pos);
  }
  const start = r.pos;
  const tag = r.readTag();
  switch (tag) {
    case 0xa0: // and [0] SET OF Filter
    case 0xa1: { // or [1] SET OF Filter
      r.enterAfterTag();
      // RFC 4526 absolute true/false: empty and/or accepted.
      const filters: Filter[] = [];
      while (!r.atEnd()) filters.push(readFilter(r, depth + 1));
      r.leave();
      return tag === 0xa0 ? { type: 'and', filters } : { type: 'or', filters };
    }
    case 0xa2: { // not [2] Filter
      r.enterAfterTag();
      const filter = readFilter(r, depth + 1);
      r.leaveStrict();
      return { type: 'not', filter };
    }
    case 0xa3:
    case 0xa5:
    case 0xa6:
    case 0xa8: { // AttributeValueAssertion (RFC 4511 4.1.6)
      r.enterAfterTag();
      const attribute = r.readString();
      const value = r.readOctetString();
      r.leave();
      return { type: AVA_TYPE[tag]!, attribute, value } as AvaFilter;
    }
    case 0xa4: { // substrings [4] SubstringFilter
      r.enterAfterTag();
      const attribute = r.readString();
      r.enter(0x30);
      let initial: Buffer | undefined;
      let final: Buffer | undefined;
      const any: Buffer[] = [];
      let n = 0;
      while (!r.atEnd()) {
        if (final !== undefined) throw new LdapProtocolError('ERR_LDAP_BAD_SUBSTRING', 'substring after final', r.pos);
        const t = r.readTag();
        const v = r.readContentAfterTag();
        if (t === 0x80) {
          // initial: at most once, and first (RFC 4511 4.5.1.7.2)
          if (n !== 0) throw new LdapProtocolError('ERR_LDAP_BAD_SUBSTRING', 'initial substring not first', r.pos);
          initial = v;
        } else if (t === 0x81) {
          any.push(v);
        } else if (t === 0x82) {
          final = v;
        } else {
          throw new LdapProtocolError('ERR_LDAP_BAD_SUBSTRING', `bad substring choice 0x${t.toString(16)}`, r.pos);
        }
        n++;
      }
      if (n === 0) throw new LdapProtocolError('ERR_LDAP_BAD_SUBSTRING', 'empty substrings', r.pos);
      r.leave();
      r.leave();
      const f: SubstringsFilter = { type: 'substrings', attribute, any };
      if (initial !== undefined) f.initial = initial;
      if (final !== undefined) f.final = final;
      return f;
    }
    case 0x87: // present [7] AttributeDescription
      return { type: 'present', attribute: r.readStringAfterTag() };
    case 0xa9: { // extensibleMatch [9] MatchingRuleAssertion (RFC 4511 4.5.1.7.7)
      r.enterAfterTag();
      const f: ExtensibleFilter = { type: 'extensibleMatch', value: EMPTY, dnAttributes: false };
      if (r.peekTag() === 0x81) f.matchingRule = r.readString(0x81);
      if (r.peekTag() === 0x82) f.attribute = r.readString(0x82);
      f.value = r.readOctetString(0x83);
      if (r.peekTag() === 0x84) f.dnAttributes = r.readBoolean(0x84);
      r.leave();
      return f;
    }
    default:
      if ((tag & 0xc0) === 0x80) {
        // Unknown context-specific choice: keep it (evaluates to Undefined).
        return { type: 'unknown', tag, value: r.readContentAfterTag() };
      }
      throw new LdapProtocolError('ERR_LDAP_BAD_FILTER', `invalid filter tag 0x${tag.toString(16)}`, start);
  }
}

const EMPTY = Buffer.alloc(0);

/** Writes one Filter. */
export function writeFilter(w: BerWriter, f: Filter, depth = 1): void {
  if (depth > MAX_FILTER_DEPTH) {
    throw new LdapProtocolError('ERR_LDAP_FILTER_TOO_DEEP', `filter nested deeper than ${MAX_FILTER_DEPTH}`);
  }
  switch (f.type) {
    case 'and':
    case 'or':
      w.startSequence(f.type === 'and' ? 0xa0 : 0xa1);
      for (let i = 0; i < f.filters.length; i++) writeFilter(w, f.filters[i]!, depth + 1);
      w.endSequence();
      return;
    case 'not':
      w.startSequence(0xa2);
      writeFilter(w, f.filter, depth + 1);
      w.endSequence();
      return;
    case 'equalityMatch':
    case 'greaterOrEqual':
    case 'lessOrEqual':
    case 'approxMatch':
      w.startSequence(FilterTag[f.type]);
      w.writeString(f.attribute);
      w.writeOctetString(f.value);
      w.endSequence();
      return;
    case 'substrings':
      w.startSequence(0xa4);
      w.writeString(f.attribute);
      w.startSequence(0x30);
      if (f.initial !== undefined) w.writeOctetString(f.initial, 0x80);
      for (let i = 0; i < f.any.length; i++) w.writeOctetString(f.any[i]!, 0x81);
      if (f.final !== undefined) w.writeOctetString(f.final, 0x82);
      w.endSequence();
      w.endSequence();
      return;
    case 'present':
      w.writeString(f.attribute, 0x87);
      return;
    case 'extensibleMatch':
      w.startSequence(0xa9);
      if (f.matchingRule !== undefined) w.writeString(f.matchingRule, 0x81);
      if (f.attribute !== undefined) w.writeString(f.attribute, 0x82);
      w.writeOctetString(f.value, 0x83);
      if (f.dnAttributes) w.writeBoolean(true, 0x84); // DEFAULT FALSE: omitted when false
      w.endSequence();
      return;
    case 'unknown':
      w.writeOctetString(f.value, f.tag);
      return;
  }
}

/** Decodes a standalone BER-encoded Filter (the whole buffer must be one filter). */
export function decodeFilter(buf: Buffer): Filter {
  const r = new BerReader(buf);
  const f = readFilter(r);
  if (!r.atEnd()) throw new BerError('ERR_BER_TRAILING_DATA', 'trailing bytes after filter', r.pos);
  return f;
}

/** Encodes a Filter to BER. */
export function encodeFilter(f: Filter): Buffer {
  const w = new BerWriter(128);
  writeFilter(w, f);
  return w.toBuffer();
}
