// GUIDs per MS-DTYP 2.3.4: the text form is Data1-Data2-Data3-Data4; the 16-byte wire and
// storage form (what LDAP returns for objectGUID) stores Data1, Data2 and Data3 little-endian.
import { randomUUID } from 'node:crypto';

export const NULL_GUID: Buffer = Buffer.alloc(16);

export class InvalidGuidError extends Error {
  readonly code = 'ERR_INVALID_GUID';
  constructor(text: string) {
    super(`invalid GUID ${JSON.stringify(text)}`);
  }
}

const GUID_RE = /^\{?([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\}?$/i;

/** Text form ("6b29fc40-ca47-1067-b31d-00dd010662da") to the 16-byte MS-DTYP form. */
export function guidFromString(text: string): Buffer {
  const m = GUID_RE.exec(text);
  if (!m) throw new InvalidGuidError(text);
  return packGuid(m[1]!, m[2]!, m[3]!, m[4]! + m[5]!);
}

/** The 16-byte form of the text form's hex fields: Data1, Data2 and Data3 little-endian (MS-DTYP 2.3.4.2), Data4 as written. */
function packGuid(d1: string, d2: string, d3: string, d4: string): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(parseInt(d1, 16), 0);
  b.writeUInt16LE(parseInt(d2, 16), 4);
  b.writeUInt16LE(parseInt(d3, 16), 6);
  b.write(d4, 8, 'hex');
  return b;
}

/** The 16-byte MS-DTYP form to the lower-case text form. */
export function guidToString(b: Uint8Array): string {
  if (b.length !== 16) throw new InvalidGuidError(Buffer.from(b).toString('hex'));
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const h = buf.toString('hex');
  const d1 = buf.readUInt32LE(0).toString(16).padStart(8, '0');
  const d2 = buf.readUInt16LE(4).toString(16).padStart(4, '0');
  const d3 = buf.readUInt16LE(6).toString(16).padStart(4, '0');
  return `${d1}-${d2}-${d3}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A new random (version 4) GUID in the 16-byte form. */
export function newGuid(): Buffer {
  // randomUUID's text is well formed: its fields are taken by position, without the pattern match
  const t = randomUUID();
  return packGuid(t.slice(0, 8), t.slice(9, 13), t.slice(14, 18), t.slice(19, 23) + t.slice(24));
}

export function isNullGuid(b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (b[i] !== 0) return false;
  return true;
}
