/**
 * LDAP_SERVER_EXTENDED_DN_OID (1.2.840.113556.1.4.529), MS-ADTS 3.1.1.3.4.1.5.
 * The controlValue is either omitted or
 *   ExtendedDNRequestValue ::= SEQUENCE { Flag INTEGER }
 * "If the controlValue field is omitted, the value of Flag is treated as 0"
 * (0: GUID/SID as hex strings; 1: standard string forms).
 */
import { BerWriter } from '../../ber/writer.js';
import { type ControlCodec, decodeValue } from './types.js';

export const EXTENDED_DN_OID = '1.2.840.113556.1.4.529';

export interface ExtendedDnRequestValue {
  flag: number;
}

export const extendedDnControl: ControlCodec<ExtendedDnRequestValue, never> = {
  oid: EXTENDED_DN_OID,
  name: 'LDAP_SERVER_EXTENDED_DN_OID',
  decodeRequest(value) {
    if (value === undefined || value.length === 0) return { flag: 0 };
    return decodeValue(EXTENDED_DN_OID, value, (r) => {
      r.enter();
      const flag = r.readInt();
      r.leave();
      return { flag };
    });
  },
  encodeRequest(v) {
    const w = new BerWriter(16);
    w.startSequence();
    w.writeInt(v.flag);
    w.endSequence();
    return w.toBuffer();
  },
};
