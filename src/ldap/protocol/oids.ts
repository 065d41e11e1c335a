/** Extended operation OIDs (RFC 4511 4.12 ExtendedRequest.requestName). */

/** RFC 4511 4.14.1 StartTLS. */
export const START_TLS_OID = '1.3.6.1.4.1.1466.20037';
/** RFC 4532 "Who am I?". */
export const WHO_AM_I_OID = '1.3.6.1.4.1.4203.1.11.3';
/** MS-ADTS 3.1.1.3.4.2.3 LDAP_SERVER_FAST_BIND_OID (an extended operation). */
export const FAST_BIND_OID = '1.2.840.113556.1.4.1781';
/** RFC 4511 4.4.1 Notice of Disconnection (unsolicited ExtendedResponse, messageID 0). */
export const NOTICE_OF_DISCONNECTION_OID = '1.3.6.1.4.1.1466.20036';
/** RFC 3062 password modify (not used by AD; listed for tools). */
export const PASSWORD_MODIFY_OID = '1.3.6.1.4.1.4203.1.11.1';

export const ExtendedOperationOid = {
  startTLS: START_TLS_OID,
  whoAmI: WHO_AM_I_OID,
  fastBind: FAST_BIND_OID,
  noticeOfDisconnection: NOTICE_OF_DISCONNECTION_OID,
} as const;
