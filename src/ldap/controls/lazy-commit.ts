/**
 * LDAP_SERVER_LAZY_COMMIT_OID (1.2.840.113556.1.4.619), MS-ADTS 3.1.1.3.4.1 extended controls.
 * Server may return before the update is flushed to disk.
 * The control has no controlValue (a value sent anyway is ignored).
 */
import { valuelessControl } from './types.js';

export const LAZY_COMMIT_OID = '1.2.840.113556.1.4.619';

export const lazyCommitControl = valuelessControl(LAZY_COMMIT_OID, 'LDAP_SERVER_LAZY_COMMIT_OID');
