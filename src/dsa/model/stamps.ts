// Stamp comparison (MS-DRSR 5.11 AttributeStamp, 5.118 LinkValueStamp; MS-DRSR 4.1.10.3.5
// AttributeStampCompare). Pure functions over the stamp fields; no store, no LDAP.
//
// The stored stamps (src/store/record.ts) also carry usnLocal, which is this DC's own
// bookkeeping and never takes part in a comparison.

/** The replicated part of an AttributeStamp (MS-DRSR 5.11): what PROPERTY_META_DATA_EXT carries. */
export interface StampFields {
  dwVersion: number;
  /** seconds since 1601-01-01 UTC */
  timeChanged: number;
  uuidOriginating: Buffer;
  usnOriginating: number;
}

/** The replicated part of a LinkValueStamp (MS-DRSR 5.118). */
export interface LinkStampFields extends StampFields {
  timeCreated: number;
}

/**
 * MS-DRSR 5.11 "dwVersion … On each subsequent originating update, if the current value of
 * dwVersion is less than 0xFFFFFFFF, then increment it by 1; otherwise set it to 0."
 */
export function nextVersion(v: number | undefined): number {
  if (v === undefined) return 1;
  return v >>> 0 >= 0xffffffff ? 0 : (v >>> 0) + 1;
}

/**
 * MS-DRSR 5.11 CompareVersions: serial-number comparison of two 32-bit versions. The
 * procedure in the spec reduces to the sign of (x − y) as a signed 32-bit integer; at the
 * antipode (distance exactly 2^31) the numerically larger version is the greater.
 */
export function compareVersions(x: number, y: number): number {
  const a = x >>> 0;
  const b = y >>> 0;
  if (a === b) return 0;
  const d = (a - b) | 0;
  if (d === -0x80000000) return a > b ? 1 : -1;
  return d > 0 ? 1 : -1;
}

/**
 * Order of two invocation IDs for the last tie-break of 5.11 / 5.118 ("x.uuidOriginating >
 * y.uuidOriginating"). GUIDs are compared as GUIDs (MS-DTYP 2.3.4: Data1, Data2, Data3 as
 * little-endian integers, then Data4 byte by byte), which is also how Samba orders them.
 */
export function compareGuids(a: Uint8Array, b: Uint8Array): number {
  const d1 = Buffer.from(a.buffer, a.byteOffset, 16).readUInt32LE(0) - Buffer.from(b.buffer, b.byteOffset, 16).readUInt32LE(0);
  if (d1 !== 0) return d1 > 0 ? 1 : -1;
  for (const off of [4, 6]) {
    const x = a[off]! | (a[off + 1]! << 8);
    const y = b[off]! | (b[off + 1]! << 8);
    if (x !== y) return x > y ? 1 : -1;
  }
  for (let i = 8; i < 16; i++) if (a[i] !== b[i]) return a[i]! > b[i]! ? 1 : -1;
  return 0;
}

/**
 * MS-DRSR 5.11 AttributeStamp comparison: x > y when x is not null and y is null, or by
 * dwVersion (CompareVersions), then timeChanged, then uuidOriginating. usnOriginating takes
 * no part. Returns > 0, 0 or < 0.
 */
export function compareAttributeStamps(x: StampFields | undefined, y: StampFields | undefined): number {
  if (!x || !y) return x ? 1 : y ? -1 : 0;
  const v = compareVersions(x.dwVersion, y.dwVersion);
  if (v !== 0) return v;
  if (x.timeChanged !== y.timeChanged) return x.timeChanged > y.timeChanged ? 1 : -1;
  return compareGuids(x.uuidOriginating, y.uuidOriginating);
}

/**
 * MS-DRSR 5.118 LinkValueStamp comparison: timeCreated first (a value re-created after its
 * garbage collection is newer whatever its version), then the version as a signed 32-bit
 * difference, then timeChanged, then uuidOriginating.
 */
export function compareLinkValueStamps(x: LinkStampFields | undefined, y: LinkStampFields | undefined): number {
  if (!x || !y) return x ? 1 : y ? -1 : 0;
  if (x.timeCreated !== y.timeCreated) return x.timeCreated > y.timeCreated ? 1 : -1;
  const d = ((x.dwVersion >>> 0) - (y.dwVersion >>> 0)) | 0;
  if (d !== 0) return d > 0 ? 1 : -1;
  if (x.timeChanged !== y.timeChanged) return x.timeChanged > y.timeChanged ? 1 : -1;
  return compareGuids(x.uuidOriginating, y.uuidOriginating);
}

/** Whether two stamps are the same originating write (all replicated fields equal). */
export function sameStamp(x: StampFields, y: StampFields): boolean {
  return x.dwVersion === y.dwVersion && x.timeChanged === y.timeChanged && x.usnOriginating === y.usnOriginating && Buffer.compare(x.uuidOriginating, y.uuidOriginating) === 0;
}
