/**
 * LDAP_SERVER_SHOW_RECYCLED_OID (1.2.840.113556.1.4.2064), MS-ADTS 3.1.1.3.4.1 extended controls.
 * Search also sees deleted and recycled objects (Recycle Bin).
 * The control has no controlValue (a value sent anyway is ignored).
 */
import { valuelessControl } from './types.js';

export const SHOW_RECYCLED_OID = '1.2.840.113556.1.4.2064';

export const showRecycledControl = valuelessControl(SHOW_RECYCLED_OID, 'LDAP_SERVER_SHOW_RECYCLED_OID');
