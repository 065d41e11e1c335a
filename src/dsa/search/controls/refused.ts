// Search controls forestd knows but does not serve yet: DirSync (MS-ADTS 3.1.1.3.4.1.3), its
// extended form, and change notification (3.1.1.3.4.1.9) belong to src/dirsync/. Marked
// critical they fail the search with unavailableCriticalExtension; otherwise they are ignored
// like any unknown control (RFC 4511 4.1.11).
import { DIRSYNC_OID } from '../../../ldap/controls/dirsync.js';
import { DIRSYNC_EX_OID } from '../../../ldap/controls/dirsync-ex.js';
import { NOTIFICATION_OID } from '../../../ldap/controls/notification.js';

export const REFUSED_OIDS: ReadonlySet<string> = new Set([DIRSYNC_OID, DIRSYNC_EX_OID, NOTIFICATION_OID]);
