/**
 * LDAP-level decode errors. They extend BerError so the server can treat
 * every codec failure uniformly (protocolError Notice of Disconnection,
 * RFC 4511 4.4.1 / 4.1.1), while `code` tells them apart.
 */
import { BerError } from '../../ber/errors.js';

export type LdapProtocolErrorCode =
  | 'ERR_LDAP_PDU_TOO_LARGE' // framer: PDU above MaxReceiveBuffer
  | 'ERR_LDAP_NOT_A_MESSAGE' // framer/decoder: PDU is not a SEQUENCE
  | 'ERR_LDAP_UNKNOWN_OPERATION' // protocolOp tag not in RFC 4511 4.2-4.14
  | 'ERR_LDAP_BAD_ENUM' // ENUMERATED value outside the RFC's enumeration
  | 'ERR_LDAP_BAD_AUTH_CHOICE' // malformed AuthenticationChoice
  | 'ERR_LDAP_BAD_FILTER' // structurally invalid Filter
  | 'ERR_LDAP_FILTER_TOO_DEEP' // Filter nesting above MAX_FILTER_DEPTH
  | 'ERR_LDAP_BAD_SUBSTRING' // substrings with misplaced initial/final or none
  | 'ERR_LDAP_CONTROL_VALUE'; // control value does not decode (see controls/)

export class LdapProtocolError extends BerError {
  constructor(code: LdapProtocolErrorCode, message: string, offset = -1) {
    super(code, message, offset);
  }
}

/** Syntax error in an RFC 4515 filter string (tools/tests; not wire input). */
export class FilterSyntaxError extends Error {
  readonly code = 'ERR_FILTER_SYNTAX';
  /** Character index in the filter string. */
  readonly position: number;
  constructor(message: string, position: number) {
    super(`${message} at position ${position}`);
    this.name = 'FilterSyntaxError';
    this.position = position;
  }
}
