// The forestd backup file: one file holding a manifest and a compacted copy of the DC's LMDB
// environment (data.mdb), taken in one read transaction of a running or stopped DC.
//
//   "FORESTD-BACKUP\n" (15 bytes) ‖ u32 BE manifest length ‖ manifest (UTF-8 JSON) ‖ data.mdb
//
// The manifest names the forest and DC it was taken from, the DC's highest committed USN and
// invocationId at the moment of the copy, the time, the tombstone lifetime then in force and a
// SHA-256 of the data.mdb bytes; restore refuses a file whose checksum, format or origin does
// not match (src/cli/backup/restore.ts).
import { createHash } from 'node:crypto';

export const BACKUP_MAGIC = Buffer.from('FORESTD-BACKUP\n', 'latin1');
/** Version of this file format; a backup of another version is refused. */
export const BACKUP_FORMAT_VERSION = 1;

export interface BackupManifest {
  formatVersion: number;
  /** the store format of the copy (src/store/store.ts STORE_FORMAT) */
  storeFormat: number;
  forest: { realm: string; rootDomainDN: string; domainSid: string };
  dc: { dsaDN: string; dnsHostName: string; serverGuid: string; invocationId: string };
  /** the highest USN committed in the copy (dc.usn − 1) */
  highestUsn: number;
  /** when the copy was taken, ISO 8601 */
  time: string;
  /** tombstoneLifetime (days) in force in the copy: a backup older than this is refused */
  tombstoneLifetimeDays: number;
  /** the data directory's settings file (forestd.json), for a restore into an empty directory */
  settings?: unknown;
  size: number;
  checksum: string;
}

export type BackupErrorCode = 'ERR_BACKUP_CORRUPT' | 'ERR_BACKUP_VERSION' | 'ERR_BACKUP_TOO_OLD' | 'ERR_BACKUP_FOREIGN' | 'ERR_BACKUP_TARGET';

export class BackupError extends Error {
  constructor(
    readonly code: BackupErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function checksumOf(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function encodeBackup(manifest: BackupManifest, data: Buffer): Buffer {
  const m = Buffer.from(JSON.stringify(manifest), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(m.length);
  return Buffer.concat([BACKUP_MAGIC, len, m, data]);
}

/** Splits and checks a backup file: magic, manifest, format version, size and checksum. */
export function decodeBackup(file: Buffer): { manifest: BackupManifest; data: Buffer } {
  if (file.length < BACKUP_MAGIC.length + 4 || !file.subarray(0, BACKUP_MAGIC.length).equals(BACKUP_MAGIC)) throw new BackupError('ERR_BACKUP_CORRUPT', 'not a forestd backup file');
  const mlen = file.readUInt32BE(BACKUP_MAGIC.length);
  const start = BACKUP_MAGIC.length + 4;
  if (start + mlen > file.length) throw new BackupError('ERR_BACKUP_CORRUPT', 'the backup file is truncated (manifest)');
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(file.subarray(start, start + mlen).toString('utf8')) as BackupManifest;
  } catch {
    throw new BackupError('ERR_BACKUP_CORRUPT', 'the backup manifest is not JSON');
  }
  if (typeof manifest !== 'object' || manifest === null) throw new BackupError('ERR_BACKUP_CORRUPT', 'the backup manifest is not an object');
  if (manifest.formatVersion !== BACKUP_FORMAT_VERSION) throw new BackupError('ERR_BACKUP_VERSION', `the backup is of format ${String(manifest.formatVersion)}; this forestd reads format ${BACKUP_FORMAT_VERSION}`);
  const data = file.subarray(start + mlen);
  if (data.length !== manifest.size) throw new BackupError('ERR_BACKUP_CORRUPT', `the backup holds ${data.length} bytes of data, its manifest says ${manifest.size}`);
  if (checksumOf(data) !== manifest.checksum) throw new BackupError('ERR_BACKUP_CORRUPT', 'the backup data does not match its checksum');
  return { manifest, data };
}
