/**
 * LDAP_SERVER_TREE_DELETE_OID (1.2.840.113556.1.4.805), MS-ADTS 3.1.1.3.4.1 extended controls.
 * Delete request removes the whole subtree.
 * The control has no controlValue (a value sent anyway is ignored).
 */
import { valuelessControl } from './types.js';

export const TREE_DELETE_OID = '1.2.840.113556.1.4.805';

export const treeDeleteControl = valuelessControl(TREE_DELETE_OID, 'LDAP_SERVER_TREE_DELETE_OID');
