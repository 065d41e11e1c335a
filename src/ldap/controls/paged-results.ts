/**
 * Simple Paged Results control, RFC 2696 (MS-ADTS 3.1.1.3.4.1
 * LDAP_PAGED_RESULT_OID_STRING). Same value shape in request and response:
 *   realSearchControlValue ::= SEQUENCE {
 *       size    INTEGER (0..maxInt),  -- request: page size; response: estimate
 *       cookie  OCTET STRING }
 */
import { BerWriter } from '../../ber/writer.js';
import { type ControlCodec, decodeValue } from './types.js';

export const PAGED_RESULTS_OID = '1.2.840.113556.1.4.319';

export interface PagedResultsValue {
  size: number;
  /** Opaque; empty on the first request and on the last response. Aliases the PDU. */
  cookie: Buffer;
}

function decode(value: Buffer | undefined): PagedResultsValue {
  return decodeValue(PAGED_RESULTS_OID, value, (r) => {
    r.enter();
    const size = r.readUInt31();
    const cookie = r.readOctetString();
    r.leave();
    return { size, cookie };
  });
}

function encode(v: PagedResultsValue): Buffer {
  const w = new BerWriter(32 + v.cookie.length);
  w.startSequence();
  w.writeInt(v.size);
  w.writeOctetString(v.cookie);
  w.endSequence();
  return w.toBuffer();
}

export const pagedResultsControl: ControlCodec<PagedResultsValue, PagedResultsValue> = {
  oid: PAGED_RESULTS_OID,
  name: 'LDAP_PAGED_RESULT_OID_STRING',
  decodeRequest: decode,
  encodeRequest: encode,
  decodeResponse: decode,
  encodeResponse: encode,
};
