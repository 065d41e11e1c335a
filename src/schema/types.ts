// Schema object types: attributeSchema and classSchema objects of the schema NC.
// MS-ADTS 3.1.1.2.3 (Attributes), 3.1.1.2.4 (Classes); attribute definitions in MS-ADA1..3,
// class definitions in MS-ADSC.

import type { ATTRTYP } from './prefix-table.js';

/**
 * DN placeholder used in the bundled data for the schema container
 * ("CN=Schema,CN=Configuration,<forest root DN>"), e.g. "CN=Person,<SchemaContainerDN>".
 */
export const SCHEMA_CONTAINER_PLACEHOLDER = '<SchemaContainerDN>';

/** attributeSchema systemFlags bits (MS-ADTS 2.2.10 / 3.1.1.2.3). */
export const SystemFlags = {
  FLAG_ATTR_NOT_REPLICATED: 0x00000001,
  FLAG_ATTR_REQ_PARTIAL_SET_MEMBER: 0x00000002,
  FLAG_ATTR_IS_CONSTRUCTED: 0x00000004,
  FLAG_ATTR_IS_OPERATIONAL: 0x00000008,
  FLAG_SCHEMA_BASE_OBJECT: 0x00000010,
  FLAG_ATTR_IS_RDN: 0x00000020,
  FLAG_DISALLOW_MOVE_ON_DELETE: 0x02000000,
  FLAG_DOMAIN_DISALLOW_MOVE: 0x04000000,
  FLAG_DOMAIN_DISALLOW_RENAME: 0x08000000,
  FLAG_CONFIG_ALLOW_LIMITED_MOVE: 0x10000000,
  FLAG_CONFIG_ALLOW_MOVE: 0x20000000,
  FLAG_CONFIG_ALLOW_RENAME: 0x40000000,
  FLAG_DISALLOW_DELETE: 0x80000000,
} as const;

/** attributeSchema searchFlags bits (MS-ADTS 2.2.9 / 3.1.1.2.3). */
export const SearchFlags = {
  fATTINDEX: 0x00000001,
  fPDNTATTINDEX: 0x00000002,
  fANR: 0x00000004,
  fPRESERVEONDELETE: 0x00000008,
  fCOPY: 0x00000010,
  fTUPLEINDEX: 0x00000020,
  fSUBTREEATTINDEX: 0x00000040,
  fCONFIDENTIAL: 0x00000080,
  fNEVERVALUEAUDIT: 0x00000100,
  fRODCFilteredAttribute: 0x00000200,
  fEXTENDEDLINKTRACKING: 0x00000400,
  fBASEONLY: 0x00000800,
  fPARTITIONSECRET: 0x00001000,
} as const;

/** objectClassCategory values (MS-ADTS 3.1.1.2.4.1). */
export const ObjectClassCategory = {
  Class88: 0,
  Structural: 1,
  Abstract: 2,
  Auxiliary: 3,
} as const;
export type ObjectClassCategory = (typeof ObjectClassCategory)[keyof typeof ObjectClassCategory];

/** The triple identifying an attribute's syntax (MS-ADTS 3.1.1.2.2.2). */
export interface SyntaxTriple {
  /** e.g. "2.5.5.12" */
  readonly attributeSyntax: string;
  /** e.g. 64 */
  readonly oMSyntax: number;
  /** BER contents octets of the oMObjectClass OID, lowercase hex; only for oMSyntax 127. */
  readonly oMObjectClass?: string;
}

/** An attributeSchema object (MS-ADTS 3.1.1.2.3). Field names follow the LDAP attribute names. */
export interface AttributeSchema extends SyntaxTriple {
  readonly lDAPDisplayName: string;
  readonly cn: string;
  /** Dotted OID (attributeID). */
  readonly attributeID: string;
  /** The ATTRTYP of this attribute on this DC (MS-DRSR 5.15 AttrtypFromSchemaObj). */
  readonly attributeId: ATTRTYP;
  readonly isSingleValued: boolean;
  readonly rangeLower?: number;
  readonly rangeUpper?: number;
  /** GUID text form, lowercase. */
  readonly schemaIDGUID: string;
  /** Property set GUID, text form, lowercase. */
  readonly attributeSecurityGUID?: string;
  readonly linkID?: number;
  readonly mAPIID?: number;
  readonly searchFlags: number;
  readonly systemFlags: number;
  readonly systemOnly: boolean;
  readonly isMemberOfPartialAttributeSet: boolean;
  readonly isDefunct: boolean;
  readonly showInAdvancedViewOnly: boolean;
  readonly schemaFlagsEx?: number;
  readonly extendedCharsAllowed?: boolean;
  /** msDS-IntId (MS-ADTS 3.1.1.2.6), if assigned. */
  readonly msDSIntId?: number;
  readonly adminDisplayName?: string;
  readonly adminDescription?: string;
  readonly description?: readonly string[];
  /** Template DN (see SCHEMA_CONTAINER_PLACEHOLDER). */
  readonly objectCategory?: string;
}

/** A classSchema object (MS-ADTS 3.1.1.2.4, 3.1.1.2.4.8). */
export interface ClassSchema {
  readonly lDAPDisplayName: string;
  readonly cn: string;
  /** Dotted OID (governsID). */
  readonly governsID: string;
  /** The ATTRTYP of this class on this DC (MS-DRSR 5.15 AttrtypFromSchemaObj). */
  readonly classId: ATTRTYP;
  readonly schemaIDGUID: string;
  readonly objectClassCategory: ObjectClassCategory;
  /** lDAPDisplayName of the direct superclass ("top" for top itself). */
  readonly subClassOf: string;
  /** lDAPDisplayName of the RDN attribute. */
  readonly rDNAttID: string;
  readonly mustContain: readonly string[];
  readonly systemMustContain: readonly string[];
  readonly mayContain: readonly string[];
  readonly systemMayContain: readonly string[];
  readonly possSuperiors: readonly string[];
  readonly systemPossSuperiors: readonly string[];
  readonly auxiliaryClass: readonly string[];
  readonly systemAuxiliaryClass: readonly string[];
  /** Template DN (see SCHEMA_CONTAINER_PLACEHOLDER), e.g. "CN=Person,<SchemaContainerDN>". */
  readonly defaultObjectCategory: string;
  /** SDDL string. */
  readonly defaultSecurityDescriptor?: string;
  readonly defaultHidingValue: boolean;
  readonly systemOnly: boolean;
  readonly systemFlags: number;
  readonly isDefunct: boolean;
  readonly showInAdvancedViewOnly: boolean;
  readonly schemaFlagsEx?: number;
  /** msDS-IntId (MS-ADTS 3.1.1.2.6), if assigned. */
  readonly msDSIntId?: number;
  readonly adminDisplayName?: string;
  readonly adminDescription?: string;
  readonly description?: readonly string[];
  readonly objectCategory?: string;
}

/** Replace the schema-container placeholder in a template DN with the real schema NC DN. */
export function resolveSchemaDn(template: string, schemaNcDn: string): string {
  return template.split(SCHEMA_CONTAINER_PLACEHOLDER).join(schemaNcDn);
}
