// The replication state as the constructed attributes show it over LDAP (MS-ADTS 3.1.1.4.5:
// msDS-ReplAttributeMetaData, msDS-ReplValueMetaData, msDS-NCReplCursors,
// msDS-NCReplInboundNeighbors, msDS-NCReplOutboundNeighbors). Each value is one structure,
// either as XML (the plain attribute: an element named after the DS_REPL_* structure with one
// child per member, as Windows renders them) or, with the ";binary" option, as the
// DS_REPL_*_BLOB structure of ntdsapi.h: fixed members, strings as offsets ("osz…", counted
// from the start of the value; 0 for none) to NUL-terminated UTF-16LE strings after them.
import { guidToString as formatGuid } from '../util/guid.js';

/** MS-ADTS DS_REPL_ATTR_META_DATA_2 (msDS-ReplAttributeMetaData). Times are FILETIMEs (100 ns since 1601). */
export interface DsReplAttrMetaData {
  pszAttributeName: string;
  dwVersion: number;
  ftimeLastOriginatingChange: bigint;
  uuidLastOriginatingDsaInvocationID: Buffer;
  usnOriginatingChange: bigint;
  usnLocalChange: bigint;
  pszLastOriginatingDsaDN: string;
}

/** DS_REPL_VALUE_META_DATA_2 (msDS-ReplValueMetaData). */
export interface DsReplValueMetaData {
  pszAttributeName: string;
  pszObjectDn: string;
  pbData: Buffer;
  ftimeDeleted: bigint;
  ftimeCreated: bigint;
  dwVersion: number;
  ftimeLastOriginatingChange: bigint;
  uuidLastOriginatingDsaInvocationID: Buffer;
  usnOriginatingChange: bigint;
  usnLocalChange: bigint;
  pszLastOriginatingDsaDN: string;
}

/** DS_REPL_CURSOR_3 (msDS-NCReplCursors). */
export interface DsReplCursor3 {
  uuidSourceDsaInvocationID: Buffer;
  usnAttributeFilter: bigint;
  ftimeLastSyncSuccess: bigint;
  pszSourceDsaDN: string;
}

/** DS_REPL_NEIGHBOR (msDS-NCReplInboundNeighbors / msDS-NCReplOutboundNeighbors). */
export interface DsReplNeighbor {
  pszNamingContext: string;
  pszSourceDsaDN: string;
  pszSourceDsaAddress: string;
  pszAsyncIntersiteTransportDN: string;
  dwReplicaFlags: number;
  dwReserved: number;
  uuidNamingContextObjGuid: Buffer;
  uuidSourceDsaObjGuid: Buffer;
  uuidSourceDsaInvocationID: Buffer;
  uuidAsyncIntersiteTransportObjGuid: Buffer;
  usnLastObjChangeSynced: bigint;
  usnAttributeFilter: bigint;
  ftimeLastSyncSuccess: bigint;
  ftimeLastSyncAttempt: bigint;
  dwLastSyncResult: number;
  cNumConsecutiveSyncFailures: number;
}

// ---- XML ----------------------------------------------------------------------------------

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A FILETIME as Windows writes it in these XML values: ISO 8601 UTC to the second. */
export function filetimeXml(ft: bigint): string {
  const ms = Number(ft / 10_000n) - 11_644_473_600_000;
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return '1601-01-01T00:00:00Z';
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

type XmlValue = string | number | bigint | Buffer;
function xml(element: string, members: ([string, XmlValue] | [string, XmlValue, 'guid' | 'time' | 'hex'])[]): string {
  let s = `<${element}>\n`;
  for (const [k, v, kind] of members) {
    let text: string;
    if (kind === 'guid') text = formatGuid(v as Buffer);
    else if (kind === 'time') text = filetimeXml(v as bigint);
    else if (kind === 'hex') text = (v as Buffer).toString('hex');
    else text = esc(String(v));
    s += `\t<${k}>${text}</${k}>\n`;
  }
  return `${s}</${element}>\n`;
}

export function attrMetaDataXml(m: DsReplAttrMetaData): string {
  return xml('DS_REPL_ATTR_META_DATA', [
    ['pszAttributeName', m.pszAttributeName],
    ['dwVersion', m.dwVersion],
    ['ftimeLastOriginatingChange', m.ftimeLastOriginatingChange, 'time'],
    ['uuidLastOriginatingDsaInvocationID', m.uuidLastOriginatingDsaInvocationID, 'guid'],
    ['usnOriginatingChange', m.usnOriginatingChange],
    ['usnLocalChange', m.usnLocalChange],
    ['pszLastOriginatingDsaDN', m.pszLastOriginatingDsaDN],
  ]);
}

export function valueMetaDataXml(m: DsReplValueMetaData): string {
  return xml('DS_REPL_VALUE_META_DATA', [
    ['pszAttributeName', m.pszAttributeName],
    ['pszObjectDn', m.pszObjectDn],
    ['cbData', m.pbData.length],
    ['pbData', m.pbData, 'hex'],
    ['ftimeDeleted', m.ftimeDeleted, 'time'],
    ['ftimeCreated', m.ftimeCreated, 'time'],
    ['dwVersion', m.dwVersion],
    ['ftimeLastOriginatingChange', m.ftimeLastOriginatingChange, 'time'],
    ['uuidLastOriginatingDsaInvocationID', m.uuidLastOriginatingDsaInvocationID, 'guid'],
    ['usnOriginatingChange', m.usnOriginatingChange],
    ['usnLocalChange', m.usnLocalChange],
    ['pszLastOriginatingDsaDN', m.pszLastOriginatingDsaDN],
  ]);
}

export function cursorXml(c: DsReplCursor3): string {
  return xml('DS_REPL_CURSOR', [
    ['uuidSourceDsaInvocationID', c.uuidSourceDsaInvocationID, 'guid'],
    ['usnAttributeFilter', c.usnAttributeFilter],
    ['ftimeLastSyncSuccess', c.ftimeLastSyncSuccess, 'time'],
    ['pszSourceDsaDN', c.pszSourceDsaDN],
  ]);
}

export function neighborXml(n: DsReplNeighbor): string {
  return xml('DS_REPL_NEIGHBOR', [
    ['pszNamingContext', n.pszNamingContext],
    ['pszSourceDsaDN', n.pszSourceDsaDN],
    ['pszSourceDsaAddress', n.pszSourceDsaAddress],
    ['pszAsyncIntersiteTransportDN', n.pszAsyncIntersiteTransportDN],
    ['dwReplicaFlags', n.dwReplicaFlags],
    ['dwReserved', n.dwReserved],
    ['uuidNamingContextObjGuid', n.uuidNamingContextObjGuid, 'guid'],
    ['uuidSourceDsaObjGuid', n.uuidSourceDsaObjGuid, 'guid'],
    ['uuidSourceDsaInvocationID', n.uuidSourceDsaInvocationID, 'guid'],
    ['uuidAsyncIntersiteTransportObjGuid', n.uuidAsyncIntersiteTransportObjGuid, 'guid'],
    ['usnLastObjChangeSynced', n.usnLastObjChangeSynced],
    ['usnAttributeFilter', n.usnAttributeFilter],
    ['ftimeLastSyncSuccess', n.ftimeLastSyncSuccess, 'time'],
    ['ftimeLastSyncAttempt', n.ftimeLastSyncAttempt, 'time'],
    ['dwLastSyncResult', n.dwLastSyncResult],
    ['cNumConsecutiveSyncFailures', n.cNumConsecutiveSyncFailures],
  ]);
}

// ---- ;binary blobs --------------------------------------------------------------------------

/**
 * Lays out a DS_REPL_*_BLOB: `fixed` bytes of members (natural C alignment; the structure is
 * 8-aligned because of its USNs), then each string at an offset written into its osz member.
 */
class BlobBuilder {
  readonly fixed: Buffer;
  #strings: { at: number; s: string }[] = [];
  #extra: { at: number; data: Buffer; lenAt?: number }[] = [];
  constructor(size: number) {
    this.fixed = Buffer.alloc(size);
  }
  u32(o: number, v: number): void {
    this.fixed.writeUInt32LE(v >>> 0, o);
  }
  i64(o: number, v: bigint): void {
    this.fixed.writeBigInt64LE(v, o);
  }
  guid(o: number, g: Buffer): void {
    g.copy(this.fixed, o);
  }
  str(o: number, s: string): void {
    this.#strings.push({ at: o, s });
  }
  data(o: number, d: Buffer): void {
    this.#extra.push({ at: o, data: d });
  }
  finish(): Buffer {
    const parts: Buffer[] = [this.fixed];
    let off = this.fixed.length;
    for (const x of this.#strings) {
      if (x.s === '') continue; // "a value of zero indicates an empty or NULL string"
      const b = Buffer.from(x.s + '\0', 'utf16le');
      this.fixed.writeUInt32LE(off, x.at);
      parts.push(b);
      off += b.length;
    }
    for (const x of this.#extra) {
      if (x.data.length === 0) continue;
      this.fixed.writeUInt32LE(off, x.at);
      parts.push(x.data);
      off += x.data.length;
    }
    return Buffer.concat(parts);
  }
}

/** DS_REPL_ATTR_META_DATA_BLOB: osz@0 dwVersion@4 ftime@8 uuid@16 usnOrig@32 usnLocal@40 oszDsa@48; 56 bytes. */
export function attrMetaDataBlob(m: DsReplAttrMetaData): Buffer {
  const b = new BlobBuilder(56);
  b.str(0, m.pszAttributeName);
  b.u32(4, m.dwVersion);
  b.i64(8, m.ftimeLastOriginatingChange);
  b.guid(16, m.uuidLastOriginatingDsaInvocationID);
  b.i64(32, m.usnOriginatingChange);
  b.i64(40, m.usnLocalChange);
  b.str(48, m.pszLastOriginatingDsaDN);
  return b.finish();
}

/**
 * DS_REPL_VALUE_META_DATA_BLOB: oszAttributeName@0 oszObjectDn@4 cbData@8 obData@12
 * ftimeDeleted@16 ftimeCreated@24 dwVersion@32 ftimeLastOriginatingChange@36 uuid@44
 * usnOriginatingChange@64 usnLocalChange@72 oszLastOriginatingDsaDN@80; 88 bytes.
 */
export function valueMetaDataBlob(m: DsReplValueMetaData): Buffer {
  const b = new BlobBuilder(88);
  b.str(0, m.pszAttributeName);
  b.str(4, m.pszObjectDn);
  b.u32(8, m.pbData.length);
  b.data(12, m.pbData);
  b.i64(16, m.ftimeDeleted);
  b.i64(24, m.ftimeCreated);
  b.u32(32, m.dwVersion);
  b.fixed.writeBigInt64LE(m.ftimeLastOriginatingChange, 36);
  b.guid(44, m.uuidLastOriginatingDsaInvocationID);
  b.i64(64, m.usnOriginatingChange);
  b.i64(72, m.usnLocalChange);
  b.str(80, m.pszLastOriginatingDsaDN);
  return b.finish();
}

/** DS_REPL_CURSOR_BLOB: uuid@0 usnAttributeFilter@16 ftimeLastSyncSuccess@24 oszSourceDsaDN@32; 40 bytes. */
export function cursorBlob(c: DsReplCursor3): Buffer {
  const b = new BlobBuilder(40);
  b.guid(0, c.uuidSourceDsaInvocationID);
  b.i64(16, c.usnAttributeFilter);
  b.i64(24, c.ftimeLastSyncSuccess);
  b.str(32, c.pszSourceDsaDN);
  return b.finish();
}

/**
 * DS_REPL_NEIGHBORW_BLOB: four osz members @0..12, dwReplicaFlags@16, dwReserved@20, four
 * GUIDs @24..88, usnLastObjChangeSynced@88, usnAttributeFilter@96, ftimeLastSyncSuccess@104,
 * ftimeLastSyncAttempt@112, dwLastSyncResult@120, cNumConsecutiveSyncFailures@124; 128 bytes.
 */
export function neighborBlob(n: DsReplNeighbor): Buffer {
  const b = new BlobBuilder(128);
  b.str(0, n.pszNamingContext);
  b.str(4, n.pszSourceDsaDN);
  b.str(8, n.pszSourceDsaAddress);
  b.str(12, n.pszAsyncIntersiteTransportDN);
  b.u32(16, n.dwReplicaFlags);
  b.u32(20, n.dwReserved);
  b.guid(24, n.uuidNamingContextObjGuid);
  b.guid(40, n.uuidSourceDsaObjGuid);
  b.guid(56, n.uuidSourceDsaInvocationID);
  b.guid(72, n.uuidAsyncIntersiteTransportObjGuid);
  b.i64(88, n.usnLastObjChangeSynced);
  b.i64(96, n.usnAttributeFilter);
  b.i64(104, n.ftimeLastSyncSuccess);
  b.i64(112, n.ftimeLastSyncAttempt);
  b.u32(120, n.dwLastSyncResult);
  b.u32(124, n.cNumConsecutiveSyncFailures);
  return b.finish();
}

/** Reads a string member of a DS_REPL_*_BLOB (for tests and tools). */
export function blobString(b: Buffer, oszAt: number): string {
  const off = b.readUInt32LE(oszAt);
  if (off === 0) return '';
  let end = off;
  while (end + 1 < b.length && (b[end] !== 0 || b[end + 1] !== 0)) end += 2;
  return b.toString('utf16le', off, end);
}
