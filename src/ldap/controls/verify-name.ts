/**
 * LDAP_SERVER_VERIFY_NAME_OID (1.2.840.113556.1.4.1338), MS-ADTS 3.1.1.3.4.1.
 *   VerifyNameRequestValue ::= SEQUENCE {
 *       Flags       INTEGER,
 *       ServerName  OCTET STRING }   -- UTF-16LE ("Unicode") DNS name of the GC to verify with
 * Used with add/modify: which server verifies the existence of DN-valued attribute values.
 */
import { BerError } from '../../ber/errors.js';
import { BerWriter } from '../../ber/writer.js';
import { type ControlCodec, decodeValue, flagsToSigned, readFlags32 } from './types.js';

export const VERIFY_NAME_OID = '1.2.840.113556.1.4.1338';

export interface VerifyNameRequestValue {
  flags: number;
  /** Decoded from UTF-16LE; a trailing NUL, if sent, is removed. */
  serverName: string;
}

export const verifyNameControl: ControlCodec<VerifyNameRequestValue, never> = {
  oid: VERIFY_NAME_OID,
  name: 'LDAP_SERVER_VERIFY_NAME_OID',
  decodeRequest(value) {
    return decodeValue(VERIFY_NAME_OID, value, (r) => {
      r.enter();
      const flags = readFlags32(r);
      const at = r.pos;
      const raw = r.readOctetString();
      if (raw.length % 2 !== 0) throw new BerError('ERR_BER_UNEXPECTED_TAG', 'ServerName is not UTF-16 (odd length)', at);
      let serverName = raw.toString('utf16le');
      if (serverName.endsWith('\0')) serverName = serverName.slice(0, -1);
      r.leave();
      return { flags, serverName };
    });
  },
  encodeRequest(v) {
    const w = new BerWriter(32 + v.serverName.length * 2);
    w.startSequence();
    w.writeInt(flagsToSigned(v.flags));
    w.writeOctetString(Buffer.from(v.serverName, 'utf16le'));
    w.endSequence();
    return w.toBuffer();
  },
};
