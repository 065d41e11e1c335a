/**
 * LDAP_SERVER_DIRSYNC_EX_OID (1.2.840.113556.1.4.2090), MS-ADTS 3.1.1.3.4.1.29:
 * "All ASN.1 structures and the meaning of the fields of those structures
 * are the same" as LDAP_SERVER_DIRSYNC_OID; the difference is server
 * behaviour (attributes requested with ";dirSyncAlwaysReturn").
 */
import type { ControlCodec } from './types.js';
import {
  type DirSyncRequestValue,
  type DirSyncResponseValue,
  decodeDirSyncRequest,
  decodeDirSyncResponse,
  encodeDirSyncRequest,
  encodeDirSyncResponse,
} from './dirsync.js';

export const DIRSYNC_EX_OID = '1.2.840.113556.1.4.2090';

export const dirSyncExControl: ControlCodec<DirSyncRequestValue, DirSyncResponseValue> = {
  oid: DIRSYNC_EX_OID,
  name: 'LDAP_SERVER_DIRSYNC_EX_OID',
  decodeRequest: (value) => decodeDirSyncRequest(DIRSYNC_EX_OID, value),
  encodeRequest: encodeDirSyncRequest,
  decodeResponse: (value) => decodeDirSyncResponse(DIRSYNC_EX_OID, value),
  encodeResponse: encodeDirSyncResponse,
};
