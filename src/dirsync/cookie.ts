// The DirSync cookie (MS-DRSR 5.115.2.1 "Cookie", built by GetResponseDirSyncControlValue
// 5.115.10 and read by GetUsnUtdVectorFromCookie 5.115.11; MS-ADTS 3.1.1.3.4.1.3). All
// integers little-endian, as Windows writes them:
//
//   offset size
//        0    4  signature            "MSDS" (the pseudocode's ULONG 'SDSM' in memory order)
//        4    4  version              3
//        8    8  creationTime         FILETIME (100 ns units since 1601)
//       16    8  reserved             unused by Windows (0); forestd: NC tag, see below
//       24    4  utdVectorSize        bytes of utdVector (0 when absent)
//       28   24  usnVector            USN_VECTOR (MS-DRSR 5.209): usnHighObjUpdate,
//                                     usnReserved, usnHighPropUpdate (each 64-bit)
//       52   16  uuidSourceDsaInvocationID
//       68    …  utdVector            UPTODATE_VECTOR_V1_EXT (MS-DRSR 5.210): dwVersion = 1,
//                                     dwReserved1, cNumCursors, dwReserved2, then cNumCursors
//                                     UPTODATE_CURSOR_V1 { uuidDsa(16), usnHighPropUpdate(8) }
//
// The minimum length is 17*4 = 68 bytes. How forestd fills the fields:
// - usnHighPropUpdate: the USN every change of the NC up to which the client has seen (the
//   start of the current DirSync cycle); usnHighObjUpdate: how far the USN walk of this cycle
//   has gone (equal to usnHighPropUpdate once the cycle is complete — as GetNCChanges does).
// - usnReserved: mid-cycle only, the first 8 bytes of the objectGUID the walk stopped after
//   (objects of one update share a USN, so a page can end inside a USN); 0 at a cycle's end.
// - reserved: the first 8 bytes of the NC head's objectGUID, so that a cookie of another NC
//   is refused. Windows writes 0 here, and a cookie with 0 is accepted for any NC.
// A cookie made by this DC keeps working after a restart (USNs and invocationId are
// persisted), and another DC holding the NC can honour it through its UTD vector.
import { EPOCH_1601_OFFSET_S } from '../util/time.js';

export const COOKIE_SIGNATURE = Buffer.from('MSDS', 'latin1');
export const COOKIE_VERSION = 3;
/** MS-DRSR 5.115.10: minCookieLength := 17*4 */
export const MIN_COOKIE_LENGTH = 68;
/** offsetof(UPTODATE_VECTOR, V1.rgCursors[0]) */
const UTD_HEADER = 16;
const UTD_CURSOR = 24;

export type DirSyncCookieErrorCode =
  | 'ERR_DIRSYNC_COOKIE_LENGTH'
  | 'ERR_DIRSYNC_COOKIE_SIGNATURE'
  | 'ERR_DIRSYNC_COOKIE_VERSION'
  | 'ERR_DIRSYNC_COOKIE_UTD'
  | 'ERR_DIRSYNC_COOKIE_OTHER_NC'
  | 'ERR_DIRSYNC_COOKIE_FUTURE';

/**
 * A cookie that cannot be honoured. Windows answers protocolError for the malformed ones
 * (MS-DRSR 5.115.11); forestd adds two checks Windows lacks (a cookie of another NC, a cookie
 * of this DC from the future) and refuses those the same way rather than silently skip changes.
 */
export class DirSyncCookieError extends Error {
  constructor(
    readonly code: DirSyncCookieErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DirSyncCookieError';
  }
}

/** One UPTODATE_CURSOR_V1: every change originated by `invocationId` up to `usn` has been seen. */
export interface UtdCursor {
  invocationId: Buffer;
  usn: number;
}

export interface DirSyncCookie {
  /** FILETIME of creation as a bigint (100 ns since 1601) */
  creationTime: bigint;
  /** the reserved field: forestd's NC tag (8 bytes), zero in Windows' cookies */
  ncTag: Buffer;
  /** USN_VECTOR.usnHighObjUpdate */
  usnHighObjUpdate: number;
  /** USN_VECTOR.usnReserved: forestd's mid-cycle resume tag (8 bytes of an objectGUID) */
  resumeTag: Buffer;
  /** USN_VECTOR.usnHighPropUpdate */
  usnHighPropUpdate: number;
  invocationId: Buffer;
  /** the up-to-date vector; empty when the cookie carries none */
  utd: UtdCursor[];
}

export function filetimeNow(): bigint {
  return (BigInt(Date.now()) + BigInt(EPOCH_1601_OFFSET_S) * 1000n) * 10_000n;
}

/** The NC tag kept in the cookie's reserved field. */
export function ncTag(ncGuid: Buffer): Buffer {
  return Buffer.from(ncGuid.subarray(0, 8));
}

const ZERO8 = Buffer.alloc(8);

export function encodeCookie(c: DirSyncCookie): Buffer {
  const utdSize = c.utd.length === 0 ? 0 : UTD_HEADER + UTD_CURSOR * c.utd.length;
  const b = Buffer.alloc(MIN_COOKIE_LENGTH + utdSize);
  COOKIE_SIGNATURE.copy(b, 0);
  b.writeUInt32LE(COOKIE_VERSION, 4);
  b.writeBigUInt64LE(c.creationTime, 8);
  (c.ncTag.length === 8 ? c.ncTag : ZERO8).copy(b, 16);
  b.writeUInt32LE(utdSize, 24);
  b.writeBigInt64LE(BigInt(c.usnHighObjUpdate), 28);
  (c.resumeTag.length === 8 ? c.resumeTag : ZERO8).copy(b, 36);
  b.writeBigInt64LE(BigInt(c.usnHighPropUpdate), 44);
  c.invocationId.copy(b, 52, 0, 16);
  if (utdSize > 0) {
    let o = MIN_COOKIE_LENGTH;
    b.writeUInt32LE(1, o); // dwVersion
    b.writeUInt32LE(0, o + 4);
    b.writeUInt32LE(c.utd.length, o + 8);
    b.writeUInt32LE(0, o + 12);
    o += UTD_HEADER;
    // cursors sorted by uuidDsa, as UPTODATE_VECTOR_V1_EXT requires (MS-DRSR 5.210)
    for (const cur of [...c.utd].sort((x, y) => Buffer.compare(x.invocationId, y.invocationId))) {
      cur.invocationId.copy(b, o, 0, 16);
      b.writeBigInt64LE(BigInt(cur.usn), o + 16);
      o += UTD_CURSOR;
    }
  }
  return b;
}

function usnAt(b: Buffer, at: number, what: string): number {
  const v = b.readBigInt64LE(at);
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new DirSyncCookieError('ERR_DIRSYNC_COOKIE_LENGTH', `DirSync cookie: ${what} ${v} is out of range`);
  return Number(v);
}

/**
 * Decodes a cookie with the checks of MS-DRSR 5.115.11 GetUsnUtdVectorFromCookie: shorter than
 * 68 bytes, a wrong signature or version, or a UTD vector whose size disagrees with its cursor
 * count are errors; a utdVectorSize too small for a vector, or larger than the bytes present,
 * means "no UTD vector" (as Windows does). An empty cookie is not a cookie: callers test for it.
 */
export function decodeCookie(b: Buffer): DirSyncCookie {
  if (b.length < MIN_COOKIE_LENGTH) throw new DirSyncCookieError('ERR_DIRSYNC_COOKIE_LENGTH', `DirSync cookie of ${b.length} bytes is shorter than the ${MIN_COOKIE_LENGTH} bytes of a cookie`);
  if (!b.subarray(0, 4).equals(COOKIE_SIGNATURE)) throw new DirSyncCookieError('ERR_DIRSYNC_COOKIE_SIGNATURE', 'DirSync cookie lacks the MSDS signature (not a cookie from a DC)');
  const version = b.readUInt32LE(4);
  if (version !== COOKIE_VERSION) throw new DirSyncCookieError('ERR_DIRSYNC_COOKIE_VERSION', `DirSync cookie version ${version} is not ${COOKIE_VERSION}`);
  let utdSize = b.readUInt32LE(24);
  // "if utdVectorSize < sizeof(UPTODATE_VECTOR_V1_EXT) or length < min + utdVectorSize then utdVectorSize := 0"
  if (utdSize < UTD_HEADER + UTD_CURSOR || b.length < MIN_COOKIE_LENGTH + utdSize) utdSize = 0;
  const utd: UtdCursor[] = [];
  if (utdSize > 0) {
    const o = MIN_COOKIE_LENGTH;
    const ver = b.readUInt32LE(o);
    const n = b.readUInt32LE(o + 8);
    if (ver !== 1 || UTD_HEADER + n * UTD_CURSOR !== utdSize || b.length !== MIN_COOKIE_LENGTH + utdSize) {
      throw new DirSyncCookieError('ERR_DIRSYNC_COOKIE_UTD', 'DirSync cookie: the up-to-date vector is malformed');
    }
    for (let i = 0; i < n; i++) {
      const at = o + UTD_HEADER + i * UTD_CURSOR;
      utd.push({ invocationId: Buffer.from(b.subarray(at, at + 16)), usn: usnAt(b, at + 16, 'UTD cursor USN') });
    }
  }
  return {
    creationTime: b.readBigUInt64LE(8),
    ncTag: Buffer.from(b.subarray(16, 24)),
    usnHighObjUpdate: usnAt(b, 28, 'usnHighObjUpdate'),
    resumeTag: Buffer.from(b.subarray(36, 44)),
    usnHighPropUpdate: usnAt(b, 44, 'usnHighPropUpdate'),
    invocationId: Buffer.from(b.subarray(52, 68)),
    utd,
  };
}

export function isZero(b: Buffer): boolean {
  for (const x of b) if (x !== 0) return false;
  return true;
}
