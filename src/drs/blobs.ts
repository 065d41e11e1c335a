// Replication state kept in (or shown as) attribute values, in the binary forms Windows uses:
// - replPropertyMetaData (MS-ADTS 3.1.1.1.9's AttributeStamps of an object, as
//   PROPERTY_META_DATA_VECTOR: dwVersion 1, dwReserved, cNumProps, dwReserved, then per
//   attribute attrType, dwVersion, timeChanged, uuidDsaOriginating, usnOriginating, usnProperty);
// - repsFrom / repsTo (MS-DRSR 5.170 REPS_FROM; repsTo values have the same layout): dwVersion 1,
//   dwReserved0, then the V1 fields, with the partner's network address as an MTX_ADDR
//   (mtx_namelen, mtx_name) at cbOtherDraOffset, counted from the start of the value.
// Both decode with Samba's drsblobs (replPropertyMetaDataBlob, repsFromToBlob): see
// test/drs/blobs.test.ts.

export class BlobError extends Error {
  readonly code = 'ERR_DRS_BLOB';
  constructor(message: string) {
    super(message);
    this.name = 'BlobError';
  }
}

/** One entry of replPropertyMetaData: an AttributeStamp (PROPERTY_META_DATA_EXT) plus the local USN. */
export interface PropertyMetaData {
  attrType: number;
  dwVersion: number;
  /** DSTIME: seconds since 1601 */
  timeChanged: bigint;
  uuidDsaOriginating: Buffer;
  usnOriginating: bigint;
  /** the local USN at which the attribute was last applied (usnLocalChange) */
  usnProperty: bigint;
}

const PMD_HEADER = 16;
const PMD_ENTRY = 48;

/** replPropertyMetaData's value: entries sorted by attrType, as Windows keeps them. */
export function encodeReplPropertyMetaData(entries: readonly PropertyMetaData[]): Buffer {
  const sorted = [...entries].sort((a, b) => a.attrType - b.attrType);
  const b = Buffer.alloc(PMD_HEADER + PMD_ENTRY * sorted.length);
  b.writeUInt32LE(1, 0);
  b.writeUInt32LE(sorted.length, 8);
  let o = PMD_HEADER;
  for (const e of sorted) {
    b.writeUInt32LE(e.attrType >>> 0, o);
    b.writeUInt32LE(e.dwVersion >>> 0, o + 4);
    b.writeBigInt64LE(e.timeChanged, o + 8);
    e.uuidDsaOriginating.copy(b, o + 16);
    b.writeBigInt64LE(e.usnOriginating, o + 32);
    b.writeBigInt64LE(e.usnProperty, o + 40);
    o += PMD_ENTRY;
  }
  return b;
}

export function decodeReplPropertyMetaData(b: Buffer): PropertyMetaData[] {
  if (b.length < PMD_HEADER) throw new BlobError('replPropertyMetaData shorter than its header');
  if (b.readUInt32LE(0) !== 1) throw new BlobError(`replPropertyMetaData version ${b.readUInt32LE(0)}`);
  const n = b.readUInt32LE(8);
  if (b.length !== PMD_HEADER + PMD_ENTRY * n) throw new BlobError(`replPropertyMetaData of ${b.length} bytes for ${n} entries`);
  const out: PropertyMetaData[] = [];
  for (let i = 0, o = PMD_HEADER; i < n; i++, o += PMD_ENTRY) {
    out.push({
      attrType: b.readUInt32LE(o),
      dwVersion: b.readUInt32LE(o + 4),
      timeChanged: b.readBigInt64LE(o + 8),
      uuidDsaOriginating: Buffer.from(b.subarray(o + 16, o + 32)),
      usnOriginating: b.readBigInt64LE(o + 32),
      usnProperty: b.readBigInt64LE(o + 40),
    });
  }
  return out;
}

/** MS-DRSR 5.172 RepsFrom (and RepsTo), concrete type REPS_FROM version 1 (MS-DRSR 5.170). */
export interface REPS_FROM {
  cConsecutiveFailures: number;
  /** DSTIME, seconds since 1601 */
  timeLastSuccess: bigint;
  timeLastAttempt: bigint;
  ulResultLastAttempt: number;
  ulReplicaFlags: number;
  /** REPLTIMES: 84 bytes, one bit per 15 minutes of the week */
  rtSchedule: Buffer;
  dwReserved1: number;
  usnVec: { usnHighObjUpdate: bigint; usnReserved: bigint; usnHighPropUpdate: bigint };
  uuidDsaObj: Buffer;
  uuidInvocId: Buffer;
  uuidTransportObj: Buffer;
  /** MTX_ADDR's mtx_name: the partner's NetworkAddress (its DNS name, or host:port for forestd) */
  naDsa: string;
}

const REPS_FIXED = 208;

export function encodeRepsFrom(r: REPS_FROM): Buffer {
  const name = Buffer.from(r.naDsa + '\0', 'latin1');
  const cbOtherDra = 4 + name.length;
  const total = REPS_FIXED + cbOtherDra;
  const b = Buffer.alloc(total);
  if (r.rtSchedule.length !== 84) throw new BlobError('rtSchedule is 84 bytes');
  b.writeUInt32LE(1, 0);
  b.writeUInt32LE(total, 8); // cb: the size of the whole value
  b.writeUInt32LE(r.cConsecutiveFailures >>> 0, 12);
  b.writeBigInt64LE(r.timeLastSuccess, 16);
  b.writeBigInt64LE(r.timeLastAttempt, 24);
  b.writeUInt32LE(r.ulResultLastAttempt >>> 0, 32);
  b.writeUInt32LE(REPS_FIXED, 36);
  b.writeUInt32LE(cbOtherDra, 40);
  b.writeUInt32LE(r.ulReplicaFlags >>> 0, 44);
  r.rtSchedule.copy(b, 48);
  b.writeUInt32LE(r.dwReserved1 >>> 0, 132);
  b.writeBigInt64LE(r.usnVec.usnHighObjUpdate, 136);
  b.writeBigInt64LE(r.usnVec.usnReserved, 144);
  b.writeBigInt64LE(r.usnVec.usnHighPropUpdate, 152);
  r.uuidDsaObj.copy(b, 160);
  r.uuidInvocId.copy(b, 176);
  r.uuidTransportObj.copy(b, 192);
  b.writeUInt32LE(name.length, REPS_FIXED);
  name.copy(b, REPS_FIXED + 4);
  return b;
}

export function decodeRepsFrom(b: Buffer): REPS_FROM {
  if (b.length < REPS_FIXED) throw new BlobError('REPS_FROM shorter than its fixed part');
  if (b.readUInt32LE(0) !== 1) throw new BlobError(`REPS_FROM version ${b.readUInt32LE(0)} (only 1 is read)`);
  const off = b.readUInt32LE(36);
  const cb = b.readUInt32LE(40);
  let naDsa = '';
  if (cb > 0) {
    if (off + cb > b.length || cb < 4) throw new BlobError('REPS_FROM MTX_ADDR outside the value');
    const n = b.readUInt32LE(off);
    if (n > cb - 4) throw new BlobError('REPS_FROM mtx_namelen too long');
    naDsa = b.toString('latin1', off + 4, off + 4 + n).replace(/\0+$/, '');
  }
  return {
    cConsecutiveFailures: b.readUInt32LE(12),
    timeLastSuccess: b.readBigInt64LE(16),
    timeLastAttempt: b.readBigInt64LE(24),
    ulResultLastAttempt: b.readUInt32LE(32),
    ulReplicaFlags: b.readUInt32LE(44),
    rtSchedule: Buffer.from(b.subarray(48, 132)),
    dwReserved1: b.readUInt32LE(132),
    usnVec: { usnHighObjUpdate: b.readBigInt64LE(136), usnReserved: b.readBigInt64LE(144), usnHighPropUpdate: b.readBigInt64LE(152) },
    uuidDsaObj: Buffer.from(b.subarray(160, 176)),
    uuidInvocId: Buffer.from(b.subarray(176, 192)),
    uuidTransportObj: Buffer.from(b.subarray(192, 208)),
    naDsa,
  };
}

/** One cursor of replUpToDateVector (MS-DRSR 5.166): an invocationId, its USN, the last successful sync (FILETIME). */
export interface ReplUpToDateCursor {
  uuidDsa: Buffer;
  usnHighPropUpdate: bigint;
  /** FILETIME (100 ns since 1601), as the attribute keeps it */
  timeLastSyncSuccess: bigint;
}

/**
 * replUpToDateVector's value: UPTODATE_VECTOR_V2_EXT laid out without NDR conformance —
 * dwVersion 2, dwReserved1, cNumCursors, dwReserved2, then 32-byte cursors — sorted by
 * uuidDsa, as it sits on the NC head (Samba's replUpToDateVectorBlob reads it).
 */
export function encodeReplUpToDateVector(cursors: readonly ReplUpToDateCursor[]): Buffer {
  const sorted = [...cursors].sort((a, b) => Buffer.compare(a.uuidDsa, b.uuidDsa));
  const b = Buffer.alloc(16 + 32 * sorted.length);
  b.writeUInt32LE(2, 0);
  b.writeUInt32LE(sorted.length, 8);
  sorted.forEach((c, i) => {
    const o = 16 + 32 * i;
    c.uuidDsa.copy(b, o);
    b.writeBigInt64LE(c.usnHighPropUpdate, o + 16);
    b.writeBigInt64LE(c.timeLastSyncSuccess, o + 24);
  });
  return b;
}

export function decodeReplUpToDateVector(b: Buffer): ReplUpToDateCursor[] {
  if (b.length < 16 || b.readUInt32LE(0) !== 2) throw new BlobError('replUpToDateVector: not a version 2 vector');
  const n = b.readUInt32LE(8);
  if (b.length !== 16 + 32 * n) throw new BlobError(`replUpToDateVector of ${b.length} bytes for ${n} cursors`);
  const out: ReplUpToDateCursor[] = [];
  for (let i = 0, o = 16; i < n; i++, o += 32) out.push({ uuidDsa: Buffer.from(b.subarray(o, o + 16)), usnHighPropUpdate: b.readBigInt64LE(o + 16), timeLastSyncSuccess: b.readBigInt64LE(o + 24) });
  return out;
}
