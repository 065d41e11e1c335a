// DirSync (MS-ADTS 3.1.1.3.4.1.3), DIRSYNC_EX (3.1.1.3.4.1.29) and change notification
// (3.1.1.3.4.1.9). The search dispatcher routes a search carrying one of these controls here.
export { dirSyncSearch, dirSyncControlOf, DIRSYNC_MIN_MAX_BYTES, DirSyncState, type DirSyncOptions } from './dirsync.js';
export { notificationSearch, MAX_NOTIFICATION_PER_CONN, DEFAULT_NOTIFICATION_QUEUE_LIMIT, type NotificationOptions } from './notify.js';
export { encodeCookie, decodeCookie, DirSyncCookieError, type DirSyncCookie, type DirSyncCookieErrorCode, type UtdCursor } from './cookie.js';
export { evaluateFilter, matchesFilter } from './filter-lite.js';

import { dirSyncSearch } from './dirsync.js';
/** The DIRSYNC_EX variant is dirSyncSearch itself: it tells the two apart by the control's OID. */
export const dirSyncExSearch = dirSyncSearch;
