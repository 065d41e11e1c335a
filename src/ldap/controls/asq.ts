/**
 * LDAP_SERVER_ASQ_OID (1.2.840.113556.1.4.1504), attribute scoped query,
 * MS-ADTS 3.1.1.3.4.1.18.
 *   ASQRequestValue  ::= SEQUENCE { sourceAttribute OCTET STRING }  -- UTF-8 lDAPDisplayName
 *   ASQResponseValue ::= SEQUENCE { searchResult ENUMERATED }
 *       -- success (0), invalidAttributeSyntax (21), unwillingToPerform (53), affectsMultipleDSAs (71)
 */
import { BerWriter } from '../../ber/writer.js';
import { type ControlCodec, decodeValue } from './types.js';

export const ASQ_OID = '1.2.840.113556.1.4.1504';

export interface AsqRequestValue {
  sourceAttribute: string;
}
export interface AsqResponseValue {
  searchResult: number;
}

export const asqControl: ControlCodec<AsqRequestValue, AsqResponseValue> = {
  oid: ASQ_OID,
  name: 'LDAP_SERVER_ASQ_OID',
  decodeRequest(value) {
    return decodeValue(ASQ_OID, value, (r) => {
      r.enter();
      const sourceAttribute = r.readString();
      r.leave();
      return { sourceAttribute };
    });
  },
  encodeRequest(v) {
    const w = new BerWriter(32);
    w.startSequence();
    w.writeString(v.sourceAttribute);
    w.endSequence();
    return w.toBuffer();
  },
  decodeResponse(value) {
    return decodeValue(ASQ_OID, value, (r) => {
      r.enter();
      const searchResult = r.readEnumerated();
      r.leave();
      return { searchResult };
    });
  },
  encodeResponse(v) {
    const w = new BerWriter(16);
    w.startSequence();
    w.writeEnumerated(v.searchResult);
    w.endSequence();
    return w.toBuffer();
  },
};
