/**
 * LDAP_SERVER_DOMAIN_SCOPE_OID (1.2.840.113556.1.4.1339), MS-ADTS 3.1.1.3.4.1 extended controls.
 * Suppresses continuation references outside the domain NC.
 * The control has no controlValue (a value sent anyway is ignored).
 */
import { valuelessControl } from './types.js';

export const DOMAIN_SCOPE_OID = '1.2.840.113556.1.4.1339';

export const domainScopeControl = valuelessControl(DOMAIN_SCOPE_OID, 'LDAP_SERVER_DOMAIN_SCOPE_OID');
