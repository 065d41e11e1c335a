/**
 * Server-side sorting, RFC 2891 (MS-ADTS 3.1.1.3.4.1
 * LDAP_SERVER_SORT_OID / LDAP_SERVER_RESP_SORT_OID).
 *   SortKeyList ::= SEQUENCE OF SEQUENCE {
 *       attributeType   AttributeDescription,
 *       orderingRule    [0] MatchingRuleId OPTIONAL,
 *       reverseOrder    [1] BOOLEAN DEFAULT FALSE }
 *   SortResult ::= SEQUENCE {
 *       sortResult  ENUMERATED { success (0), operationsError (1), timeLimitExceeded (3),
 *                    strongAuthRequired (8), adminLimitExceeded (11), noSuchAttribute (16),
 *                    inappropriateMatching (18), insufficientAccessRights (50), busy (51),
 *                    unwillingToPerform (53), other (80) },
 *       attributeType [0] AttributeDescription OPTIONAL }
 */
import { BerWriter } from '../../ber/writer.js';
import { type ControlCodec, decodeValue } from './types.js';

export const SORT_REQUEST_OID = '1.2.840.113556.1.4.473';
export const SORT_RESPONSE_OID = '1.2.840.113556.1.4.474';

export interface SortKey {
  attributeType: string;
  orderingRule?: string;
  reverseOrder: boolean;
}
export type SortRequestValue = SortKey[];

export interface SortResponseValue {
  sortResult: number;
  attributeType?: string;
}

export const sortRequestControl: ControlCodec<SortRequestValue, never> = {
  oid: SORT_REQUEST_OID,
  name: 'LDAP_SERVER_SORT_OID',
  decodeRequest(value) {
    return decodeValue(SORT_REQUEST_OID, value, (r) => {
      const keys: SortKey[] = [];
      r.enter();
      while (!r.atEnd()) {
        r.enter();
        const k: SortKey = { attributeType: r.readString(), reverseOrder: false };
        if (r.peekTag() === 0x80) k.orderingRule = r.readString(0x80);
        if (r.peekTag() === 0x81) k.reverseOrder = r.readBoolean(0x81);
        r.leave();
        keys.push(k);
      }
      r.leave();
      return keys;
    });
  },
  encodeRequest(keys) {
    const w = new BerWriter(64);
    w.startSequence();
    for (const k of keys) {
      w.startSequence();
      w.writeString(k.attributeType);
      if (k.orderingRule !== undefined) w.writeString(k.orderingRule, 0x80);
      if (k.reverseOrder) w.writeBoolean(true, 0x81);
      w.endSequence();
    }
    w.endSequence();
    return w.toBuffer();
  },
};

export const sortResponseControl: ControlCodec<never, SortResponseValue> = {
  oid: SORT_RESPONSE_OID,
  name: 'LDAP_SERVER_RESP_SORT_OID',
  decodeRequest(): never {
    throw new Error('sort response control has no request form');
  },
  encodeRequest(): never {
    throw new Error('sort response control has no request form');
  },
  decodeResponse(value) {
    return decodeValue(SORT_RESPONSE_OID, value, (r) => {
      r.enter();
      const v: SortResponseValue = { sortResult: r.readEnumerated() };
      if (r.peekTag() === 0x80) v.attributeType = r.readString(0x80);
      r.leave();
      return v;
    });
  },
  encodeResponse(v) {
    const w = new BerWriter(64);
    w.startSequence();
    w.writeEnumerated(v.sortResult);
    if (v.attributeType !== undefined) w.writeString(v.attributeType, 0x80);
    w.endSequence();
    return w.toBuffer();
  },
};
