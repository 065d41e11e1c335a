/**
 * Virtual List View, draft-ietf-ldapext-ldapv3-vlv-09 (MS-ADTS 3.1.1.3.4.1
 * LDAP_CONTROL_VLVREQUEST / LDAP_CONTROL_VLVRESPONSE).
 *   VirtualListViewRequest ::= SEQUENCE {
 *       beforeCount  INTEGER (0..maxInt),
 *       afterCount   INTEGER (0..maxInt),
 *       target CHOICE {
 *           byOffset [0] SEQUENCE { offset INTEGER (1..maxInt), contentCount INTEGER (0..maxInt) },
 *           greaterThanOrEqual [1] AssertionValue },
 *       contextID OCTET STRING OPTIONAL }
 *   VirtualListViewResponse ::= SEQUENCE {
 *       targetPosition INTEGER (0..maxInt),
 *       contentCount   INTEGER (0..maxInt),
 *       virtualListViewResult ENUMERATED { success (0), operationsError (1), protocolError (2),
 *            unwillingToPerform (53), insufficientAccessRights (50), timeLimitExceeded (3),
 *            adminLimitExceeded (11), innapropriateMatching (18), sortControlMissing (60),
 *            offsetRangeError (61), other (80) },
 *       contextID OCTET STRING OPTIONAL }
 */
import { BerError } from '../../ber/errors.js';
import { BerWriter } from '../../ber/writer.js';
import { type ControlCodec, decodeValue } from './types.js';

export const VLV_REQUEST_OID = '2.16.840.1.113730.3.4.9';
export const VLV_RESPONSE_OID = '2.16.840.1.113730.3.4.10';

export type VlvTarget =
  | { type: 'byOffset'; offset: number; contentCount: number }
  | { type: 'greaterOrEqual'; value: Buffer };

export interface VlvRequestValue {
  beforeCount: number;
  afterCount: number;
  target: VlvTarget;
  contextID?: Buffer;
}

export interface VlvResponseValue {
  targetPosition: number;
  contentCount: number;
  result: number;
  contextID?: Buffer;
}

export const vlvRequestControl: ControlCodec<VlvRequestValue, never> = {
  oid: VLV_REQUEST_OID,
  name: 'LDAP_CONTROL_VLVREQUEST',
  decodeRequest(value) {
    return decodeValue(VLV_REQUEST_OID, value, (r) => {
      r.enter();
      const beforeCount = r.readUInt31();
      const afterCount = r.readUInt31();
      let target: VlvTarget;
      const t = r.peekTag();
      if (t === 0xa0) {
        r.enter(0xa0);
        const offset = r.readUInt31();
        const contentCount = r.readUInt31();
        r.leave();
        target = { type: 'byOffset', offset, contentCount };
      } else if (t === 0x81) {
        target = { type: 'greaterOrEqual', value: r.readOctetString(0x81) };
      } else {
        throw new BerError('ERR_BER_UNEXPECTED_TAG', `invalid VLV target tag 0x${t.toString(16)}`, r.pos);
      }
      const v: VlvRequestValue = { beforeCount, afterCount, target };
      if (r.peekTag() === 0x04) v.contextID = r.readOctetString();
      r.leave();
      return v;
    });
  },
  encodeRequest(v) {
    const w = new BerWriter(64);
    w.startSequence();
    w.writeInt(v.beforeCount);
    w.writeInt(v.afterCount);
    if (v.target.type === 'byOffset') {
      w.startSequence(0xa0);
      w.writeInt(v.target.offset);
      w.writeInt(v.target.contentCount);
      w.endSequence();
    } else {
      w.writeOctetString(v.target.value, 0x81);
    }
    if (v.contextID !== undefined) w.writeOctetString(v.contextID);
    w.endSequence();
    return w.toBuffer();
  },
};

export const vlvResponseControl: ControlCodec<never, VlvResponseValue> = {
  oid: VLV_RESPONSE_OID,
  name: 'LDAP_CONTROL_VLVRESPONSE',
  decodeRequest(): never {
    throw new Error('VLV response control has no request form');
  },
  encodeRequest(): never {
    throw new Error('VLV response control has no request form');
  },
  decodeResponse(value) {
    return decodeValue(VLV_RESPONSE_OID, value, (r) => {
      r.enter();
      const v: VlvResponseValue = {
        targetPosition: r.readUInt31(),
        contentCount: r.readUInt31(),
        result: r.readEnumerated(),
      };
      if (r.peekTag() === 0x04) v.contextID = r.readOctetString();
      r.leave();
      return v;
    });
  },
  encodeResponse(v) {
    const w = new BerWriter(64);
    w.startSequence();
    w.writeInt(v.targetPosition);
    w.writeInt(v.contentCount);
    w.writeEnumerated(v.result);
    if (v.contextID !== undefined) w.writeOctetString(v.contextID);
    w.endSequence();
    return w.toBuffer();
  },
};
