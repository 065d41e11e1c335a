/**
 * LDAPv3 message model (RFC 4511 section 4). Field names follow the RFC's
 * ASN.1 where practical. Octet-string values (credentials, attribute values,
 * assertion values, control values, extended values) are Buffers; decoded
 * Buffers are views that alias the PDU buffer (see src/ber/reader.ts).
 * LDAPString-typed fields (DNs, attribute descriptions, OIDs, URIs,
 * diagnostic messages) are JS strings.
 */
import type { Filter } from './filter.js';

/** RFC 4511 4.1.11 Control. */
export interface Control {
  /** controlType LDAPOID */
  type: string;
  /** criticality BOOLEAN DEFAULT FALSE */
  critical: boolean;
  /** controlValue OCTET STRING OPTIONAL */
  value?: Buffer;
}

/** RFC 4511 4.1.9 LDAPResult. */
export interface LdapResult {
  resultCode: number;
  matchedDN: string;
  diagnosticMessage: string;
  /** referral [3] Referral OPTIONAL (RFC 4511 4.1.10), URIs. */
  referral?: string[];
}

/** RFC 4511 4.1.8 Attribute / 4.1.7 PartialAttribute. */
export interface PartialAttribute {
  type: string;
  values: Buffer[];
}

/** PartialAttribute as accepted by the encoder: values may be strings (UTF-8 encoded on the wire). */
export interface OutgoingAttribute {
  type: string;
  values: ReadonlyArray<Buffer | string>;
}

// ---- AuthenticationChoice (RFC 4511 4.2) ----
export interface SimpleAuthentication {
  method: 'simple';
  /** simple [0] OCTET STRING */
  password: Buffer;
}
export interface SaslAuthentication {
  method: 'sasl';
  /** SaslCredentials.mechanism LDAPString */
  mechanism: string;
  /** SaslCredentials.credentials OCTET STRING OPTIONAL */
  credentials?: Buffer;
}
/**
 * Any other AuthenticationChoice (the RFC's "..." extension point; e.g. the
 * Windows "Sicily" choices [9]/[10]/[11]). Kept raw so the server can answer
 * authMethodNotSupported instead of dropping the connection.
 */
export interface OtherAuthentication {
  method: 'other';
  /** full identifier octet, e.g. 0x89 */
  tag: number;
  /** content octets */
  value: Buffer;
}
export type Authentication = SimpleAuthentication | SaslAuthentication | OtherAuthentication;

export interface BindRequest {
  type: 'bindRequest';
  version: number;
  name: string;
  authentication: Authentication;
}
export interface BindResponse extends LdapResult {
  type: 'bindResponse';
  /** serverSaslCreds [7] OCTET STRING OPTIONAL */
  serverSaslCreds?: Buffer;
  /** MS-ADTS 5.1.1.1.3 SicilyBindResponse: serverCreds (binary) in place of matchedDN */
  sicilyServerCreds?: Buffer;
}
export interface UnbindRequest {
  type: 'unbindRequest';
}

/** RFC 4511 4.5.1.2 scope (3 = subordinateSubtree, draft-sermersheim-ldap-subordinate-scope). */
export const SearchScope = { baseObject: 0, singleLevel: 1, wholeSubtree: 2, subordinateSubtree: 3 } as const;
export type SearchScope = (typeof SearchScope)[keyof typeof SearchScope];
/** RFC 4511 4.5.1.3 derefAliases. */
export const DerefAliases = { neverDerefAliases: 0, derefInSearching: 1, derefFindingBaseObj: 2, derefAlways: 3 } as const;
export type DerefAliases = (typeof DerefAliases)[keyof typeof DerefAliases];

export interface SearchRequest {
  type: 'searchRequest';
  baseObject: string;
  scope: SearchScope;
  derefAliases: DerefAliases;
  sizeLimit: number;
  timeLimit: number;
  typesOnly: boolean;
  filter: Filter;
  attributes: string[];
}
export interface SearchResultEntry {
  type: 'searchResultEntry';
  objectName: string;
  /** Decoded values are Buffers; the encoder also accepts strings. */
  attributes: OutgoingAttribute[];
  /** for the encoder: the PartialAttributeList already encoded (encodeAttributeList), written instead of `attributes` */
  encodedAttributes?: Buffer;
}
export interface SearchResultReference {
  type: 'searchResultReference';
  uris: string[];
}
export interface SearchResultDone extends LdapResult {
  type: 'searchResultDone';
}

/** RFC 4511 4.6 operation (increment: RFC 4525). */
export const ModifyOperation = { add: 0, delete: 1, replace: 2, increment: 3 } as const;
export type ModifyOperation = (typeof ModifyOperation)[keyof typeof ModifyOperation];

export interface Change {
  operation: ModifyOperation;
  modification: PartialAttribute;
}
export interface ModifyRequest {
  type: 'modifyRequest';
  object: string;
  changes: Change[];
}
export interface ModifyResponse extends LdapResult {
  type: 'modifyResponse';
}
export interface AddRequest {
  type: 'addRequest';
  entry: string;
  attributes: PartialAttribute[];
}
export interface AddResponse extends LdapResult {
  type: 'addResponse';
}
export interface DelRequest {
  type: 'delRequest';
  entry: string;
}
export interface DelResponse extends LdapResult {
  type: 'delResponse';
}
export interface ModifyDNRequest {
  type: 'modifyDNRequest';
  entry: string;
  newrdn: string;
  deleteoldrdn: boolean;
  /** newSuperior [0] LDAPDN OPTIONAL */
  newSuperior?: string;
}
export interface ModifyDNResponse extends LdapResult {
  type: 'modifyDNResponse';
}
export interface CompareRequest {
  type: 'compareRequest';
  entry: string;
  attributeDesc: string;
  assertionValue: Buffer;
}
export interface CompareResponse extends LdapResult {
  type: 'compareResponse';
}
export interface AbandonRequest {
  type: 'abandonRequest';
  /** MessageID of the operation to abandon */
  messageID: number;
}
export interface ExtendedRequest {
  type: 'extendedRequest';
  /** requestName [0] LDAPOID */
  requestName: string;
  /** requestValue [1] OCTET STRING OPTIONAL */
  requestValue?: Buffer;
}
export interface ExtendedResponse extends LdapResult {
  type: 'extendedResponse';
  /** responseName [10] LDAPOID OPTIONAL */
  responseName?: string;
  /** responseValue [11] OCTET STRING OPTIONAL */
  responseValue?: Buffer;
}
export interface IntermediateResponse {
  type: 'intermediateResponse';
  /** responseName [0] LDAPOID OPTIONAL */
  responseName?: string;
  /** responseValue [1] OCTET STRING OPTIONAL */
  responseValue?: Buffer;
}

export type ProtocolOp =
  | BindRequest
  | BindResponse
  | UnbindRequest
  | SearchRequest
  | SearchResultEntry
  | SearchResultDone
  | SearchResultReference
  | ModifyRequest
  | ModifyResponse
  | AddRequest
  | AddResponse
  | DelRequest
  | DelResponse
  | ModifyDNRequest
  | ModifyDNResponse
  | CompareRequest
  | CompareResponse
  | AbandonRequest
  | ExtendedRequest
  | ExtendedResponse
  | IntermediateResponse;

export type ProtocolOpType = ProtocolOp['type'];

/** RFC 4511 4.1.1 LDAPMessage. */
export interface LdapMessage<Op extends ProtocolOp = ProtocolOp> {
  /** MessageID INTEGER (0..maxInt) */
  messageID: number;
  protocolOp: Op;
  /** controls [0] Controls OPTIONAL; the decoder always sets an array (possibly empty). */
  controls?: Control[];
}

/** [APPLICATION n] identifier octets of each protocolOp (RFC 4511 4.2-4.14). */
export const OpTag = {
  bindRequest: 0x60,
  bindResponse: 0x61,
  unbindRequest: 0x42,
  searchRequest: 0x63,
  searchResultEntry: 0x64,
  searchResultDone: 0x65,
  modifyRequest: 0x66,
  modifyResponse: 0x67,
  addRequest: 0x68,
  addResponse: 0x69,
  delRequest: 0x4a,
  delResponse: 0x6b,
  modifyDNRequest: 0x6c,
  modifyDNResponse: 0x6d,
  compareRequest: 0x6e,
  compareResponse: 0x6f,
  abandonRequest: 0x50,
  searchResultReference: 0x73,
  extendedRequest: 0x77,
  extendedResponse: 0x78,
  intermediateResponse: 0x79,
} as const satisfies Record<ProtocolOpType, number>;
