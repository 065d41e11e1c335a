/**
 * LDAP_SERVER_NOTIFICATION_OID (1.2.840.113556.1.4.528), MS-ADTS 3.1.1.3.4.1 extended controls.
 * Long-running search that returns entries as they change.
 * The control has no controlValue (a value sent anyway is ignored).
 */
import { valuelessControl } from './types.js';

export const NOTIFICATION_OID = '1.2.840.113556.1.4.528';

export const notificationControl = valuelessControl(NOTIFICATION_OID, 'LDAP_SERVER_NOTIFICATION_OID');
