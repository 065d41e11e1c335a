/**
 * LDAP_SERVER_PERMISSIVE_MODIFY_OID (1.2.840.113556.1.4.1413), MS-ADTS 3.1.1.3.4.1 extended controls.
 * Adding an existing value / deleting a missing value succeeds silently.
 * The control has no controlValue (a value sent anyway is ignored).
 */
import { valuelessControl } from './types.js';

export const PERMISSIVE_MODIFY_OID = '1.2.840.113556.1.4.1413';

export const permissiveModifyControl = valuelessControl(PERMISSIVE_MODIFY_OID, 'LDAP_SERVER_PERMISSIVE_MODIFY_OID');
