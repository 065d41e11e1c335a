// The CN=Aggregate subSchema object's constructed attributes (MS-ADTS 3.1.1.2.1,
// 3.1.1.3.1.1.1 subSchema; RFC 4512 4.1 value formats): attributeTypes,
// objectClasses, dITContentRules, extendedAttributeInfo, extendedClassInfo.

import type { SchemaSnapshot } from './snapshot.js';
import { ObjectClassCategory, SearchFlags, SystemFlags, type AttributeSchema, type ClassSchema, type SyntaxTriple } from './types.js';

const RFC = '1.3.6.1.4.1.1466.115.121.1.';

// oMObjectClass values (BER contents octets, hex) distinguishing the object syntaxes
// of MS-ADTS 3.1.1.2.2.2 (DN-Binary 1.2.840.113556.1.1.1.11 and DN-String
// 1.2.840.113556.1.1.1.12 are the remaining cases of 2.5.5.7 / 2.5.5.14).
const OMOC_OR_NAME = '56060102050b1d'; // 2.6.6.1.2.5.11.29
const OMOC_ACCESS_POINT = '2b0c0287731c00853e'; // 1.3.12.2.1011.28.0.702

/**
 * The LDAP syntax OID that AD publishes for an attribute syntax triple
 * (MS-ADTS 3.1.1.2.2.2; RFC 2252 / RFC 4517 syntax OIDs; Microsoft-specific OIDs
 * 1.2.840.113556.1.4.903-907, .1221, .1362). Undefined for unknown triples.
 */
export function ldapSyntaxOid(t: SyntaxTriple): string | undefined {
  const omoc = t.oMObjectClass?.toLowerCase();
  switch (t.attributeSyntax) {
    case '2.5.5.1':
      return RFC + '12'; // Object(DS-DN): DN
    case '2.5.5.2':
      return RFC + '38'; // String(Object-Identifier): OID
    case '2.5.5.3':
      return '1.2.840.113556.1.4.1362'; // String(Case): CaseExactString
    case '2.5.5.4':
      return '1.2.840.113556.1.4.905'; // String(Teletex): CaseIgnoreString
    case '2.5.5.5':
      return t.oMSyntax === 19 ? RFC + '44' : RFC + '26'; // Printable / IA5
    case '2.5.5.6':
      return RFC + '36'; // String(Numeric)
    case '2.5.5.7':
      return omoc === OMOC_OR_NAME ? '1.2.840.113556.1.4.1221' : '1.2.840.113556.1.4.903'; // OR-Name / DN-Binary
    case '2.5.5.8':
      return RFC + '7'; // Boolean
    case '2.5.5.9':
      return RFC + '27'; // Integer / Enumeration
    case '2.5.5.10':
      return RFC + '40'; // String(Octet), Object(Replica-Link)
    case '2.5.5.11':
      return t.oMSyntax === 23 ? RFC + '53' : RFC + '24'; // UTC-Time / Generalized-Time
    case '2.5.5.12':
      return RFC + '15'; // String(Unicode): Directory String
    case '2.5.5.13':
      return RFC + '43'; // Object(Presentation-Address)
    case '2.5.5.14':
      return omoc === OMOC_ACCESS_POINT ? RFC + '2' : '1.2.840.113556.1.4.904'; // Access-Point / DN-String
    case '2.5.5.15':
      return '1.2.840.113556.1.4.907'; // String(NT-Sec-Desc)
    case '2.5.5.16':
      return '1.2.840.113556.1.4.906'; // LargeInteger
    case '2.5.5.17':
      return RFC + '40'; // String(Sid)
    default:
      return undefined;
  }
}

export interface SubschemaOptions {
  /**
   * 'ad' (default): Active Directory's style — SYNTAX value in quotes and lists as
   * "(a $ b )". 'rfc': strict RFC 4512 — unquoted SYNTAX, lists as "( a $ b )".
   * Both are accepted by OpenLDAP's schema parser (quoted SYNTAX needs
   * LDAP_SCHEMA_ALLOW_QUOTED).
   */
  style?: 'ad' | 'rfc';
}

function qdescr(name: string): string {
  // RFC 4512 qdescr; lDAPDisplayNames are keystrings ([A-Za-z][A-Za-z0-9-]*).
  return `'${name}'`;
}

function oidList(names: readonly string[], style: 'ad' | 'rfc'): string {
  return style === 'ad' ? `(${names.join(' $ ')} )` : `( ${names.join(' $ ')} )`;
}

/** GUID text -> hex of its MS-DTYP byte form (Data1..3 little-endian), uppercase. */
export function guidToByteHex(guid: string): string {
  const h = guid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(h)) throw new Error(`invalid GUID ${guid}`);
  const sw = (s: string): string => s.match(/../g)!.reverse().join('');
  return (sw(h.slice(0, 8)) + sw(h.slice(8, 12)) + sw(h.slice(12, 16)) + h.slice(16)).toUpperCase();
}

/** One attributeTypes value (RFC 4512 AttributeTypeDescription). */
export function renderAttributeType(a: AttributeSchema, opts: SubschemaOptions = {}): string {
  const style = opts.style ?? 'ad';
  const syn = ldapSyntaxOid(a) ?? RFC + '40';
  const parts = [`( ${a.attributeID} NAME ${qdescr(a.lDAPDisplayName)}`];
  parts.push(style === 'ad' ? `SYNTAX '${syn}'` : `SYNTAX ${syn}`);
  if (a.isSingleValued) parts.push('SINGLE-VALUE');
  if (a.systemOnly || a.systemFlags & SystemFlags.FLAG_ATTR_IS_CONSTRUCTED) parts.push('NO-USER-MODIFICATION');
  parts.push(')');
  return parts.join(' ');
}

function kindKeyword(c: ClassSchema): string | undefined {
  switch (c.objectClassCategory) {
    case ObjectClassCategory.Structural:
      return 'STRUCTURAL';
    case ObjectClassCategory.Abstract:
      return 'ABSTRACT';
    case ObjectClassCategory.Auxiliary:
      return 'AUXILIARY';
    default:
      return undefined; // 88 class: no RFC 4512 kind
  }
}

/**
 * One objectClasses value (RFC 4512 ObjectClassDescription). MUST/MAY list the
 * class's own (system)mustContain/(system)mayContain; inherited ones come via SUP and
 * auxiliary ones via dITContentRules.
 */
export function renderObjectClass(c: ClassSchema, opts: SubschemaOptions = {}): string {
  const style = opts.style ?? 'ad';
  const parts = [`( ${c.governsID} NAME ${qdescr(c.lDAPDisplayName)}`];
  if (c.subClassOf.toLowerCase() !== c.lDAPDisplayName.toLowerCase()) parts.push(`SUP ${c.subClassOf}`);
  const kind = kindKeyword(c);
  if (kind) parts.push(kind);
  const must = dedupe([...c.mustContain, ...c.systemMustContain]);
  const may = dedupe([...c.mayContain, ...c.systemMayContain]).filter((x) => !must.includes(x));
  if (must.length) parts.push(`MUST ${oidList(must, style)}`);
  if (may.length) parts.push(`MAY ${oidList(may, style)}`);
  parts.push(')');
  return parts.join(' ');
}

function dedupe(xs: string[]): string[] {
  return [...new Set(xs)];
}

/**
 * One dITContentRules value (RFC 4512 DITContentRuleDescription) for a structural
 * or 88 class that has auxiliary classes (its own or inherited); undefined otherwise.
 * MUST/MAY are the attributes the auxiliary classes add.
 */
export function renderDitContentRule(s: SchemaSnapshot, c: ClassSchema, opts: SubschemaOptions = {}): string | undefined {
  const style = opts.style ?? 'ad';
  if (c.objectClassCategory !== ObjectClassCategory.Structural && c.objectClassCategory !== ObjectClassCategory.Class88) {
    return undefined;
  }
  const info = s.classInfo(c);
  if (!info || info.auxiliaryClasses.length === 0) return undefined;
  // Attributes from the superclass chain alone.
  const own = new Set<string>();
  for (const n of info.chain) {
    const k = s.classByName(n, { includeDefunct: true });
    if (!k) continue;
    for (const x of [...k.mustContain, ...k.systemMustContain, ...k.mayContain, ...k.systemMayContain]) {
      own.add(s.attributeByName(x, { includeDefunct: true })?.lDAPDisplayName ?? x);
    }
  }
  const must = new Set<string>();
  const may = new Set<string>();
  for (const auxName of info.auxiliaryClasses) {
    const ai = s.classInfo(auxName);
    if (!ai) continue;
    for (const x of ai.mustContain) if (!own.has(x)) must.add(x);
    for (const x of ai.mayContain) if (!own.has(x)) may.add(x);
  }
  for (const x of must) may.delete(x);
  const parts = [`( ${c.governsID} NAME ${qdescr(c.lDAPDisplayName)}`, `AUX ${oidList(info.auxiliaryClasses, style)}`];
  if (must.size) parts.push(`MUST ${oidList([...must], style)}`);
  if (may.size) parts.push(`MAY ${oidList([...may], style)}`);
  parts.push(')');
  return parts.join(' ');
}

/**
 * One extendedAttributeInfo value: "( oid NAME 'x' [RANGE-LOWER 'n'] [RANGE-UPPER 'n']
 * PROPERTY-GUID 'hex' PROPERTY-SET-GUID 'hex' [INDEXED] [SYSTEM-ONLY] )"; GUIDs are the
 * hex of the GUID's byte form, PROPERTY-SET-GUID all zeros when attributeSecurityGUID
 * is absent.
 */
export function renderExtendedAttributeInfo(a: AttributeSchema): string {
  const parts = [`( ${a.attributeID} NAME ${qdescr(a.lDAPDisplayName)}`];
  if (a.rangeLower !== undefined) parts.push(`RANGE-LOWER '${a.rangeLower}'`);
  if (a.rangeUpper !== undefined) parts.push(`RANGE-UPPER '${a.rangeUpper}'`);
  parts.push(`PROPERTY-GUID '${guidToByteHex(a.schemaIDGUID)}'`);
  parts.push(`PROPERTY-SET-GUID '${a.attributeSecurityGUID ? guidToByteHex(a.attributeSecurityGUID) : '0'.repeat(32)}'`);
  if (a.searchFlags & SearchFlags.fATTINDEX) parts.push('INDEXED');
  if (a.systemOnly) parts.push('SYSTEM-ONLY');
  parts.push(')');
  return parts.join(' ');
}

/** One extendedClassInfo value: "( oid NAME 'x' CLASS-GUID 'hex' )". */
export function renderExtendedClassInfo(c: ClassSchema): string {
  return `( ${c.governsID} NAME ${qdescr(c.lDAPDisplayName)} CLASS-GUID '${guidToByteHex(c.schemaIDGUID)}' )`;
}

export interface RenderedSubschema {
  readonly attributeTypes: readonly string[];
  readonly objectClasses: readonly string[];
  readonly dITContentRules: readonly string[];
  readonly extendedAttributeInfo: readonly string[];
  readonly extendedClassInfo: readonly string[];
}

const cache = new WeakMap<SchemaSnapshot, Map<string, RenderedSubschema>>();

/**
 * All five rendered attributes for a snapshot (cached per snapshot and style).
 * Defunct attributes and classes are omitted (MS-ADTS 3.1.1.2.5.3).
 */
export function renderSubschema(s: SchemaSnapshot, opts: SubschemaOptions = {}): RenderedSubschema {
  const style = opts.style ?? 'ad';
  let perStyle = cache.get(s);
  if (!perStyle) cache.set(s, (perStyle = new Map()));
  const hit = perStyle.get(style);
  if (hit) return hit;
  const attrs = s.attributes.filter((a) => !a.isDefunct);
  const classes = s.classes.filter((c) => !c.isDefunct);
  const out: RenderedSubschema = Object.freeze({
    attributeTypes: Object.freeze(attrs.map((a) => renderAttributeType(a, { style }))),
    objectClasses: Object.freeze(classes.map((c) => renderObjectClass(c, { style }))),
    dITContentRules: Object.freeze(
      classes.map((c) => renderDitContentRule(s, c, { style })).filter((x): x is string => x !== undefined),
    ),
    extendedAttributeInfo: Object.freeze(attrs.map(renderExtendedAttributeInfo)),
    extendedClassInfo: Object.freeze(classes.map(renderExtendedClassInfo)),
  });
  perStyle.set(style, out);
  return out;
}

/**
 * The CN=Aggregate entry (MS-ADTS 3.1.1.2.1): its stored attributes plus the five
 * constructed ones. Timestamps (modifyTimeStamp, whenChanged, ...) and security
 * descriptor are left to the caller.
 */
export function subschemaEntry(
  s: SchemaSnapshot,
  schemaNcDn: string,
  opts: SubschemaOptions = {},
): { dn: string; attributes: Record<string, readonly string[]> } {
  const r = renderSubschema(s, opts);
  const dn = `CN=Aggregate,${schemaNcDn}`;
  return {
    dn,
    attributes: {
      objectClass: ['top', 'subSchema'],
      cn: ['Aggregate'],
      name: ['Aggregate'],
      distinguishedName: [dn],
      objectCategory: [`CN=SubSchema,${schemaNcDn}`],
      showInAdvancedViewOnly: ['TRUE'],
      attributeTypes: r.attributeTypes,
      objectClasses: r.objectClasses,
      dITContentRules: r.dITContentRules,
      extendedAttributeInfo: r.extendedAttributeInfo,
      extendedClassInfo: r.extendedClassInfo,
    },
  };
}

/** DN of the subSchema object for a schema NC (the value of subschemaSubentry). */
export function subschemaDn(schemaNcDn: string): string {
  return `CN=Aggregate,${schemaNcDn}`;
}
