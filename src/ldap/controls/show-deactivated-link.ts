/**
 * LDAP_SERVER_SHOW_DEACTIVATED_LINK_OID (1.2.840.113556.1.4.2065), MS-ADTS 3.1.1.3.4.1 extended controls.
 * Search returns link values that refer to deleted objects.
 * The control has no controlValue (a value sent anyway is ignored).
 */
import { valuelessControl } from './types.js';

export const SHOW_DEACTIVATED_LINK_OID = '1.2.840.113556.1.4.2065';

export const showDeactivatedLinkControl = valuelessControl(SHOW_DEACTIVATED_LINK_OID, 'LDAP_SERVER_SHOW_DEACTIVATED_LINK_OID');
