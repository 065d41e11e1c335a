// The interface every attribute syntax module implements (MS-ADTS 3.1.1.2.2 "Syntaxes").
//
// A syntax is identified by the triple attributeSyntax + oMSyntax (+ oMObjectClass for
// oMSyntax 127) of an attributeSchema object (MS-ADTS 3.1.1.2.2.2; see index.ts). Each
// module converts between the LDAP representation (MS-ADTS 3.1.1.2.2.2 and its
// subsections) and the stored form kept in the object record, and implements the
// comparison rule the syntax maps to (MS-ADTS 3.1.1.2.2.4, table in comparison.ts).
//
// Stored forms are what src/store/record.ts packs with MessagePack, so they are built from
// plain objects, strings, numbers, bigints, booleans and Uint8Arrays only (no classes, no
// undefined-valued keys).
import type { ComparisonRule } from './comparison.js';

/**
 * A reference to an object: MS-ADTS 3.1.1.1.6 "The state kept with an attribute to represent
 * an object reference is a DSName" (MS-DRSR 5.50). Equality of references is by objectGUID.
 */
export interface DSName {
  /** objectGUID of the referenced object, 16 bytes in the MS-DTYP 2.3.4 (little-endian) form */
  guid: Uint8Array;
  /** objectSid of the referenced object, binary MS-DTYP 2.4.2.2 form, when it has one */
  sid?: Uint8Array;
  /**
   * The DN the reference had when it was written. Informational only: readers use
   * SyntaxContext.dnOf, so a reference follows renames (MS-ADTS 3.1.1.1.6).
   */
  dn?: string;
}

/** Object(DN-Binary) (MS-ADTS 3.1.1.2.2.2.3): B:char_count:binary_value:object_DN. */
export interface DNBinary {
  ref: DSName;
  binary: Uint8Array;
}

/** Object(DN-String) (MS-ADTS 3.1.1.2.2.2.1): S:byte_count:string_value:object_DN. */
export interface DNString {
  ref: DSName;
  str: string;
}

/** Object(Access-Point) (MS-ADTS 3.1.1.2.2.2.2): presentation_address#X500:object_DN. */
export interface AccessPoint {
  ref: DSName;
  address: string;
}

/**
 * The stored form of one attribute value. Which member a syntax uses:
 * - boolean: Boolean
 * - number: Integer, Enumeration (int32); String(UTC-Time), String(Generalized-Time)
 *   (whole seconds since 1601-01-01 UTC, as src/util/time.ts)
 * - bigint: LargeInteger (int64; a number is also accepted on input, msgpack may give one back)
 * - string: String(Unicode), String(Teletex), String(IA5), String(Printable), String(Numeric),
 *   String(Object-Identifier) (numericoid), and String(Case) / Object(Presentation-Address)
 *   when their bytes are valid UTF-8
 * - Uint8Array: String(Octet), Object(Replica-Link), String(Sid), String(NT-Sec-Desc), and
 *   String(Case) / Object(Presentation-Address) when their bytes are not valid UTF-8
 * - DSName: Object(DS-DN), Object(OR-Name)
 * - DNBinary, DNString, AccessPoint: the syntaxes of the same names
 */
export type StoredValue = string | number | bigint | boolean | Uint8Array | DSName | DNBinary | DNString | AccessPoint;

/** What a syntax needs from the directory and the schema. */
export interface SyntaxContext {
  /**
   * LDAP DN text (also the <GUID=…>, <SID=…> extended forms) → the referenced object. The
   * directory throws an LdapError (noSuchObject) when there is none (MS-ADTS 3.1.1.1.6).
   */
  resolveDN(dn: string): DSName;
  /** The referenced object's *current* DN (references follow renames, MS-ADTS 3.1.1.1.6). */
  dnOf(ref: DSName): string;
  /** Schema: lDAPDisplayName (case-insensitive) or OID → OID, for String(Object-Identifier). */
  oidOf(nameOrOid: string): string | undefined;
  /** Schema: OID → lDAPDisplayName of the attribute or class it names. */
  ldapNameOf(oid: string): string | undefined;
}

/** How a value is being returned; only String(Object-Identifier) looks at it (MS-ADTS 3.1.1.2.2.2 †††). */
export interface ToLdapOptions {
  /** lDAPDisplayName of the attribute being returned (rule 2: attributeID / governsID give numericoid) */
  attribute?: string;
  /** the AttributeDescription carried the ";binary" option (rule 1: BER-encoded OID) */
  binary?: boolean;
}

/** A substrings filter assertion (RFC 4511 4.5.1.7.4), pieces as sent. */
export interface SubstringAssertion {
  initial?: Uint8Array;
  any: Uint8Array[];
  final?: Uint8Array;
}

export interface Syntax {
  /** The name as the spec's table writes it, e.g. 'String(Unicode)'. */
  readonly name: string;
  readonly attributeSyntax: string;
  readonly oMSyntax: number;
  /** oMObjectClass as lower-case hex of its BER content octets (oMSyntax 127 only). */
  readonly oMObjectClass?: string;
  /** The LDAP syntax OID Active Directory publishes in subSchema attributeTypes. */
  readonly ldapSyntaxOid: string;
  /** The comparison rule (MS-ADTS 3.1.1.2.2.4), which says which filter choices apply. */
  readonly rule: ComparisonRule;
  /** One of the five object reference syntaxes (MS-ADTS 3.1.1.2.2.3). */
  readonly isReference: boolean;

  /**
   * Validates an LDAP value and converts it to the stored form. Throws SyntaxValueError
   * (code 'ERR_INVALID_ATTRIBUTE_SYNTAX') on a malformed value; for reference syntaxes the
   * directory's LdapError from ctx.resolveDN passes through when no object is named.
   */
  fromLdap(value: Uint8Array, ctx: SyntaxContext): StoredValue;
  /** The LDAP representation of a stored value (a string is sent UTF-8 encoded). */
  toLdap(value: StoredValue, ctx: SyntaxContext, opts?: ToLdapOptions): Uint8Array | string;
  /**
   * The equality/index key: equal keys ⇔ equalityMatch is true. Where the rule has an
   * ordering, Buffer.compare of keys is that ordering, so an index can range-scan.
   */
  normalize(value: StoredValue): Buffer;
  /**
   * Total order consistent with normalize (sign of Buffer.compare of the keys). It is the
   * rule's ordering where the rule has one; elsewhere it only serves sorting/deduplication
   * and filters must not offer lessOrEqual/greaterOrEqual (see comparison.ts).
   */
  compare(a: StoredValue, b: StoredValue): number;
  /**
   * A filter's assertion value → comparable stored form; undefined means the filter item is
   * Undefined (malformed value, a DN naming no object, an unknown OID name). Never throws.
   */
  assertion(value: Uint8Array, ctx: SyntaxContext): StoredValue | undefined;
  /** Substrings match, only where the rule supports substrings (MS-ADTS 3.1.1.2.2.4). */
  substrings?(value: StoredValue, sub: SubstringAssertion): boolean;
  /** For reference syntaxes: the object_DN portion (referential integrity applies to it only, 3.1.1.2.2.3). */
  reference?(value: StoredValue): DSName;
}

/** A value that does not conform to its attribute's syntax; the LDAP layer answers invalidAttributeSyntax (21). */
export class SyntaxValueError extends Error {
  readonly code = 'ERR_INVALID_ATTRIBUTE_SYNTAX';
  constructor(
    readonly syntax: string,
    reason: string,
  ) {
    super(`invalid ${syntax} value: ${reason}`);
    this.name = 'SyntaxValueError';
  }
}
