/**
 * LDAP_SERVER_SHOW_DELETED_OID (1.2.840.113556.1.4.417), MS-ADTS 3.1.1.3.4.1 extended controls.
 * Search/compare also see deleted objects (tombstones).
 * The control has no controlValue (a value sent anyway is ignored).
 */
import { valuelessControl } from './types.js';

export const SHOW_DELETED_OID = '1.2.840.113556.1.4.417';

export const showDeletedControl = valuelessControl(SHOW_DELETED_OID, 'LDAP_SERVER_SHOW_DELETED_OID');
