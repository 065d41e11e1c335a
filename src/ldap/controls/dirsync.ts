/**
 * LDAP_SERVER_DIRSYNC_OID (1.2.840.113556.1.4.841), MS-ADTS 3.1.1.3.4.1.3.
 *   DirSyncRequestValue  ::= SEQUENCE { Flags INTEGER, MaxBytes INTEGER, Cookie OCTET STRING }
 *   DirSyncResponseValue ::= SEQUENCE { MoreResults INTEGER, unused INTEGER, CookieServer OCTET STRING }
 * The response control carries the same OID.
 *
 * Flags is a 32-bit word. Windows clients encode it as a signed 32-bit
 * INTEGER, so LDAP_DIRSYNC_INCREMENTAL_VALUES (0x80000000) arrives as
 * -2147483648; a positive 5-octet encoding is accepted too. Decoded flags
 * are always the unsigned value; encoding uses the signed form.
 */
import { BerWriter } from '../../ber/writer.js';
import { type ControlCodec, decodeValue, flagsToSigned, readFlags32 } from './types.js';

export const DIRSYNC_OID = '1.2.840.113556.1.4.841';

export const DirSyncFlags = {
  OBJECT_SECURITY: 0x00000001,
  ANCESTORS_FIRST_ORDER: 0x00000800,
  PUBLIC_DATA_ONLY: 0x00002000,
  INCREMENTAL_VALUES: 0x80000000,
} as const;

export interface DirSyncRequestValue {
  /** Unsigned 32-bit flag word (see DirSyncFlags). */
  flags: number;
  maxBytes: number;
  /** Opaque; empty on the first request. Aliases the PDU. */
  cookie: Buffer;
}

export interface DirSyncResponseValue {
  /** MoreResults INTEGER (non-zero: more changes pending). */
  moreResults: boolean;
  unused: number;
  cookie: Buffer;
}

export function decodeDirSyncRequest(oid: string, value: Buffer | undefined): DirSyncRequestValue {
  return decodeValue(oid, value, (r) => {
    r.enter();
    const flags = readFlags32(r);
    const maxBytes = r.readInt();
    const cookie = r.readOctetString();
    r.leave();
    return { flags, maxBytes, cookie };
  });
}

export function encodeDirSyncRequest(v: DirSyncRequestValue): Buffer {
  const w = new BerWriter(32 + v.cookie.length);
  w.startSequence();
  w.writeInt(flagsToSigned(v.flags));
  w.writeInt(v.maxBytes);
  w.writeOctetString(v.cookie);
  w.endSequence();
  return w.toBuffer();
}

export function decodeDirSyncResponse(oid: string, value: Buffer | undefined): DirSyncResponseValue {
  return decodeValue(oid, value, (r) => {
    r.enter();
    const moreResults = r.readInt() !== 0;
    const unused = r.readInt();
    const cookie = r.readOctetString();
    r.leave();
    return { moreResults, unused, cookie };
  });
}

export function encodeDirSyncResponse(v: DirSyncResponseValue): Buffer {
  const w = new BerWriter(32 + v.cookie.length);
  w.startSequence();
  w.writeInt(v.moreResults ? 1 : 0);
  w.writeInt(v.unused);
  w.writeOctetString(v.cookie);
  w.endSequence();
  return w.toBuffer();
}

export const dirSyncControl: ControlCodec<DirSyncRequestValue, DirSyncResponseValue> = {
  oid: DIRSYNC_OID,
  name: 'LDAP_SERVER_DIRSYNC_OID',
  decodeRequest: (value) => decodeDirSyncRequest(DIRSYNC_OID, value),
  encodeRequest: encodeDirSyncRequest,
  decodeResponse: (value) => decodeDirSyncResponse(DIRSYNC_OID, value),
  encodeResponse: encodeDirSyncResponse,
};
