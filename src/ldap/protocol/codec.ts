/**
 * LDAPMessage BER codec (RFC 4511 4.1.1 - 4.14, ASN.1 in Appendix B).
 *
 * decodeMessage(): one PDU -> LdapMessage. Every failure is a BerError
 * (LdapProtocolError for LDAP-level problems) whose `messageID` is set when
 * the messageID was readable. Decoded Buffers alias the input PDU.
 *
 * encodeMessage(): LdapMessage -> Buffer (one growable buffer, back-patched
 * lengths). writeMessage() appends to a caller-owned BerWriter so several
 * responses can be batched into one socket write.
 */
import { BerReader } from '../../ber/reader.js';
import { BerWriter } from '../../ber/writer.js';
import { BerError } from '../../ber/errors.js';
import { LdapProtocolError } from './errors.js';
import { readFilter, writeFilter } from './filter.js';
import { NOTICE_OF_DISCONNECTION_OID } from './oids.js';
import type {
  Authentication,
  Change,
  Control,
  LdapMessage,
  LdapResult,
  OutgoingAttribute,
  PartialAttribute,
  ProtocolOp,
  ExtendedResponse,
  SearchScope,
  DerefAliases,
  ModifyOperation,
} from './messages.js';

const MAX_INT = 0x7fffffff;

// ------------------------------------------------------------------ decode

/** Decodes exactly one LDAPMessage occupying the whole buffer. */
export function decodeMessage(buf: Buffer): LdapMessage {
  const r = new BerReader(buf);
  const msg = readMessage(r);
  if (r.pos !== buf.length) {
    const e = new BerError('ERR_BER_TRAILING_DATA', `${buf.length - r.pos} bytes after LDAPMessage`, r.pos);
    e.messageID = msg.messageID;
    throw e;
  }
  return msg;
}

/** Reads one LDAPMessage at the reader's position. */
export function readMessage(r: BerReader): LdapMessage {
  r.enter(0x30);
  const messageID = r.readUInt31();
  try {
    const protocolOp = readOp(r);
    const controls: Control[] = [];
    if (r.peekTag() === 0xa0) {
      // controls [0] Controls (RFC 4511 4.1.11)
      r.enter(0xa0);
      while (!r.atEnd()) {
        r.enter(0x30);
        const c: Control = { type: r.readString(), critical: false };
        if (r.peekTag() === 0x01) c.critical = r.readBoolean();
        if (r.peekTag() === 0x04) c.value = r.readOctetString();
        r.leave();
        controls.push(c);
      }
      r.leave();
    }
    r.leave();
    return { messageID, protocolOp, controls };
  } catch (e) {
    if (e instanceof BerError && e.messageID === -1) e.messageID = messageID;
    throw e;
  }
}

function enumIn(r: BerReader, max: number, what: string): number {
  const at = r.pos;
  const v = r.readEnumerated();
  if (v < 0 || v > max) throw new LdapProtocolError('ERR_LDAP_BAD_ENUM', `invalid ${what} ${v}`, at);
  return v;
}

function readResult(r: BerReader): LdapResult {
  // RFC 4511 4.1.9
  const res: LdapResult = {
    resultCode: r.readEnumerated(),
    matchedDN: r.readString(),
    diagnosticMessage: r.readString(),
  };
  if (r.peekTag() === 0xa3) {
    // referral [3] Referral (RFC 4511 4.1.10)
    r.enter(0xa3);
    const uris: string[] = [];
    while (!r.atEnd()) uris.push(r.readString());
    r.leave();
    res.referral = uris;
  }
  return res;
}

function readValues(r: BerReader): Buffer[] {
  r.enter(0x31); // SET OF AttributeValue
  const vals: Buffer[] = [];
  while (!r.atEnd()) vals.push(r.readOctetString());
  r.leave();
  return vals;
}

/** SEQUENCE OF (Partial)Attribute (RFC 4511 4.1.7, 4.1.8). */
function readAttributeList(r: BerReader): PartialAttribute[] {
  r.enter(0x30);
  const attrs: PartialAttribute[] = [];
  while (!r.atEnd()) {
    r.enter(0x30);
    const type = r.readString();
    const values = readValues(r);
    r.leave();
    attrs.push({ type, values });
  }
  r.leave();
  return attrs;
}

function readAuthentication(r: BerReader): Authentication {
  // RFC 4511 4.2 AuthenticationChoice
  const at = r.pos;
  const t = r.readTag();
  if (t === 0x80) return { method: 'simple', password: r.readContentAfterTag() };
  if (t === 0xa3) {
    r.enterAfterTag();
    const a: Authentication = { method: 'sasl', mechanism: r.readString() };
    if (r.peekTag() === 0x04) a.credentials = r.readOctetString();
    r.leave();
    return a;
  }
  if ((t & 0xc0) === 0x80) return { method: 'other', tag: t, value: r.readContentAfterTag() };
  throw new LdapProtocolError('ERR_LDAP_BAD_AUTH_CHOICE', `invalid AuthenticationChoice tag 0x${t.toString(16)}`, at);
}

function readOp(r: BerReader): ProtocolOp {
  const at = r.pos;
  const tag = r.readTag();
  switch (tag) {
    case 0x60: { // BindRequest (4.2)
      r.enterAfterTag();
      const vAt = r.pos;
      const version = r.readInt();
      if (version < 1 || version > 127) throw new BerError('ERR_BER_INTEGER_RANGE', `bind version ${version} outside 1..127`, vAt);
      const name = r.readString();
      const authentication = readAuthentication(r);
      r.leave();
      return { type: 'bindRequest', version, name, authentication };
    }
    case 0x61: { // BindResponse (4.2.2)
      r.enterAfterTag();
      const res = readResult(r);
      const op: ProtocolOp = { type: 'bindResponse', ...res };
      if (r.peekTag() === 0x87) op.serverSaslCreds = r.readOctetString(0x87);
      r.leave();
      return op;
    }
    case 0x42: { // UnbindRequest (4.3) ::= [APPLICATION 2] NULL
      const len = r.readLength();
      if (len !== 0) throw new BerError('ERR_BER_INVALID_NULL', 'UnbindRequest with content', at);
      return { type: 'unbindRequest' };
    }
    case 0x63: { // SearchRequest (4.5.1)
      r.enterAfterTag();
      const baseObject = r.readString();
      const scope = enumIn(r, 3, 'scope') as SearchScope;
      const derefAliases = enumIn(r, 3, 'derefAliases') as DerefAliases;
      const sizeLimit = r.readUInt31();
      const timeLimit = r.readUInt31();
      const typesOnly = r.readBoolean();
      const filter = readFilter(r);
      r.enter(0x30);
      const attributes: string[] = [];
      while (!r.atEnd()) attributes.push(r.readString());
      r.leave();
      r.leave();
      return { type: 'searchRequest', baseObject, scope, derefAliases, sizeLimit, timeLimit, typesOnly, filter, attributes };
    }
    case 0x64: { // SearchResultEntry (4.5.2)
      r.enterAfterTag();
      const objectName = r.readString();
      const attributes = readAttributeList(r);
      r.leave();
      return { type: 'searchResultEntry', objectName, attributes };
    }
    case 0x73: { // SearchResultReference (4.5.3)
      r.enterAfterTag();
      const uris: string[] = [];
      while (!r.atEnd()) uris.push(r.readString());
      r.leave();
      return { type: 'searchResultReference', uris };
    }
    case 0x65:
    case 0x67:
    case 0x69:
    case 0x6b:
    case 0x6d:
    case 0x6f: { // LDAPResult-only responses
      r.enterAfterTag();
      const res = readResult(r);
      r.leave();
      return { type: RESULT_OPS[tag]!, ...res } as ProtocolOp;
    }
    case 0x66: { // ModifyRequest (4.6)
      r.enterAfterTag();
      const object = r.readString();
      r.enter(0x30);
      const changes: Change[] = [];
      while (!r.atEnd()) {
        r.enter(0x30);
        const operation = enumIn(r, 3, 'modify operation') as ModifyOperation;
        r.enter(0x30);
        const type = r.readString();
        const values = readValues(r);
        r.leave();
        r.leave();
        changes.push({ operation, modification: { type, values } });
      }
      r.leave();
      r.leave();
      return { type: 'modifyRequest', object, changes };
    }
    case 0x68: { // AddRequest (4.7)
      r.enterAfterTag();
      const entry = r.readString();
      const attributes = readAttributeList(r);
      r.leave();
      return { type: 'addRequest', entry, attributes };
    }
    case 0x4a: // DelRequest (4.8) ::= [APPLICATION 10] LDAPDN
      return { type: 'delRequest', entry: r.readStringAfterTag() };
    case 0x6c: { // ModifyDNRequest (4.9)
      r.enterAfterTag();
      const entry = r.readString();
      const newrdn = r.readString();
      const deleteoldrdn = r.readBoolean();
      const op: ProtocolOp = { type: 'modifyDNRequest', entry, newrdn, deleteoldrdn };
      if (r.peekTag() === 0x80) op.newSuperior = r.readString(0x80);
      r.leave();
      return op;
    }
    case 0x6e: { // CompareRequest (4.10)
      r.enterAfterTag();
      const entry = r.readString();
      r.enter(0x30);
      const attributeDesc = r.readString();
      const assertionValue = r.readOctetString();
      r.leave();
      r.leave();
      return { type: 'compareRequest', entry, attributeDesc, assertionValue };
    }
    case 0x50: { // AbandonRequest (4.11) ::= [APPLICATION 16] MessageID
      const len = r.readLength();
      const v = r.intContent(len);
      if (v < 0 || v > MAX_INT) throw new BerError('ERR_BER_INTEGER_RANGE', `abandoned messageID ${v} out of range`, at);
      return { type: 'abandonRequest', messageID: v };
    }
    case 0x77: { // ExtendedRequest (4.12)
      r.enterAfterTag();
      const op: ProtocolOp = { type: 'extendedRequest', requestName: r.readString(0x80) };
      if (r.peekTag() === 0x81) op.requestValue = r.readOctetString(0x81);
      r.leave();
      return op;
    }
    case 0x78: { // ExtendedResponse (4.12)
      r.enterAfterTag();
      const op: ExtendedResponse = { type: 'extendedResponse', ...readResult(r) };
      if (r.peekTag() === 0x8a) op.responseName = r.readString(0x8a);
      if (r.peekTag() === 0x8b) op.responseValue = r.readOctetString(0x8b);
      r.leave();
      return op;
    }
    case 0x79: { // IntermediateResponse (4.13)
      r.enterAfterTag();
      const op: ProtocolOp = { type: 'intermediateResponse' };
      if (r.peekTag() === 0x80) op.responseName = r.readString(0x80);
      if (r.peekTag() === 0x81) op.responseValue = r.readOctetString(0x81);
      r.leave();
      return op;
    }
    default:
      throw new LdapProtocolError('ERR_LDAP_UNKNOWN_OPERATION', `unknown protocolOp tag 0x${tag.toString(16)}`, at);
  }
}

const RESULT_OPS: Record<number, 'searchResultDone' | 'modifyResponse' | 'addResponse' | 'delResponse' | 'modifyDNResponse' | 'compareResponse'> = {
  0x65: 'searchResultDone',
  0x67: 'modifyResponse',
  0x69: 'addResponse',
  0x6b: 'delResponse',
  0x6d: 'modifyDNResponse',
  0x6f: 'compareResponse',
};

// ------------------------------------------------------------------ encode

/** Encodes one LDAPMessage. The result is a fresh buffer owned by the caller. */
export function encodeMessage(msg: LdapMessage): Buffer {
  const w = new BerWriter(512);
  writeMessage(w, msg);
  return w.toBuffer();
}

/** Appends one LDAPMessage to `w`. */
export function writeMessage(w: BerWriter, msg: LdapMessage): void {
  w.startSequence(0x30);
  w.writeInt(msg.messageID);
  writeOp(w, msg.protocolOp);
  const controls = msg.controls;
  if (controls !== undefined && controls.length > 0) {
    w.startSequence(0xa0);
    for (let i = 0; i < controls.length; i++) {
      const c = controls[i]!;
      w.startSequence(0x30);
      w.writeString(c.type);
      if (c.critical) w.writeBoolean(true); // DEFAULT FALSE
      if (c.value !== undefined) w.writeOctetString(c.value);
      w.endSequence();
    }
    w.endSequence();
  }
  w.endSequence();
}

function writeResult(w: BerWriter, r: LdapResult): void {
  w.writeEnumerated(r.resultCode);
  w.writeString(r.matchedDN);
  w.writeString(r.diagnosticMessage);
  if (r.referral !== undefined) {
    w.startSequence(0xa3);
    for (const u of r.referral) w.writeString(u);
    w.endSequence();
  }
}

/** The BER of a PartialAttributeList (RFC 4511 4.5.2), for SearchResultEntry.encodedAttributes: a buffer of its own. */
export function encodeAttributeList(w: BerWriter, attrs: ReadonlyArray<OutgoingAttribute>): Buffer {
  w.reset();
  writeAttributes(w, attrs);
  const out = Buffer.from(w.toBuffer());
  w.reset();
  return out;
}

function writeAttributes(w: BerWriter, attrs: ReadonlyArray<OutgoingAttribute>): void {
  w.startSequence(0x30);
  for (let i = 0; i < attrs.length; i++) {
    const a = attrs[i]!;
    w.startSequence(0x30);
    w.writeString(a.type);
    w.startSequence(0x31);
    const vals = a.values;
    for (let j = 0; j < vals.length; j++) w.writeOctetString(vals[j]!);
    w.endSequence();
    w.endSequence();
  }
  w.endSequence();
}

function writeOp(w: BerWriter, op: ProtocolOp): void {
  switch (op.type) {
    case 'bindRequest': {
      w.startSequence(0x60);
      w.writeInt(op.version);
      w.writeString(op.name);
      const a = op.authentication;
      if (a.method === 'simple') {
        w.writeOctetString(a.password, 0x80);
      } else if (a.method === 'sasl') {
        w.startSequence(0xa3);
        w.writeString(a.mechanism);
        if (a.credentials !== undefined) w.writeOctetString(a.credentials);
        w.endSequence();
      } else {
        w.writeOctetString(a.value, a.tag);
      }
      w.endSequence();
      return;
    }
    case 'bindResponse':
      w.startSequence(0x61);
      if (op.sicilyServerCreds !== undefined) {
        // MS-ADTS 5.1.1.1.3 SicilyBindResponse: serverCreds OCTET STRING where matchedDN would be
        w.writeEnumerated(op.resultCode);
        w.writeOctetString(op.sicilyServerCreds);
        w.writeString(op.diagnosticMessage);
      } else writeResult(w, op);
      if (op.serverSaslCreds !== undefined) w.writeOctetString(op.serverSaslCreds, 0x87);
      w.endSequence();
      return;
    case 'unbindRequest':
      w.writeNull(0x42);
      return;
    case 'searchRequest':
      w.startSequence(0x63);
      w.writeString(op.baseObject);
      w.writeEnumerated(op.scope);
      w.writeEnumerated(op.derefAliases);
      w.writeInt(op.sizeLimit);
      w.writeInt(op.timeLimit);
      w.writeBoolean(op.typesOnly);
      writeFilter(w, op.filter);
      w.startSequence(0x30);
      for (const a of op.attributes) w.writeString(a);
      w.endSequence();
      w.endSequence();
      return;
    case 'searchResultEntry':
      w.startSequence(0x64);
      w.writeString(op.objectName);
      if (op.encodedAttributes !== undefined) w.writeRaw(op.encodedAttributes);
      else writeAttributes(w, op.attributes);
      w.endSequence();
      return;
    case 'searchResultReference':
      w.startSequence(0x73);
      for (const u of op.uris) w.writeString(u);
      w.endSequence();
      return;
    case 'searchResultDone':
    case 'modifyResponse':
    case 'addResponse':
    case 'delResponse':
    case 'modifyDNResponse':
    case 'compareResponse':
      w.startSequence(RESULT_TAG[op.type]);
      writeResult(w, op);
      w.endSequence();
      return;
    case 'modifyRequest':
      w.startSequence(0x66);
      w.writeString(op.object);
      w.startSequence(0x30);
      for (const c of op.changes) {
        w.startSequence(0x30);
        w.writeEnumerated(c.operation);
        w.startSequence(0x30);
        w.writeString(c.modification.type);
        w.startSequence(0x31);
        for (const v of c.modification.values) w.writeOctetString(v);
        w.endSequence();
        w.endSequence();
        w.endSequence();
      }
      w.endSequence();
      w.endSequence();
      return;
    case 'addRequest':
      w.startSequence(0x68);
      w.writeString(op.entry);
      writeAttributes(w, op.attributes);
      w.endSequence();
      return;
    case 'delRequest':
      w.writeString(op.entry, 0x4a);
      return;
    case 'modifyDNRequest':
      w.startSequence(0x6c);
      w.writeString(op.entry);
      w.writeString(op.newrdn);
      w.writeBoolean(op.deleteoldrdn);
      if (op.newSuperior !== undefined) w.writeString(op.newSuperior, 0x80);
      w.endSequence();
      return;
    case 'compareRequest':
      w.startSequence(0x6e);
      w.writeString(op.entry);
      w.startSequence(0x30);
      w.writeString(op.attributeDesc);
      w.writeOctetString(op.assertionValue);
      w.endSequence();
      w.endSequence();
      return;
    case 'abandonRequest':
      w.writeInt(op.messageID, 0x50);
      return;
    case 'extendedRequest':
      w.startSequence(0x77);
      w.writeString(op.requestName, 0x80);
      if (op.requestValue !== undefined) w.writeOctetString(op.requestValue, 0x81);
      w.endSequence();
      return;
    case 'extendedResponse':
      w.startSequence(0x78);
      writeResult(w, op);
      if (op.responseName !== undefined) w.writeString(op.responseName, 0x8a);
      if (op.responseValue !== undefined) w.writeOctetString(op.responseValue, 0x8b);
      w.endSequence();
      return;
    case 'intermediateResponse':
      w.startSequence(0x79);
      if (op.responseName !== undefined) w.writeString(op.responseName, 0x80);
      if (op.responseValue !== undefined) w.writeOctetString(op.responseValue, 0x81);
      w.endSequence();
      return;
  }
}

const RESULT_TAG = {
  searchResultDone: 0x65,
  modifyResponse: 0x67,
  addResponse: 0x69,
  delResponse: 0x6b,
  modifyDNResponse: 0x6d,
  compareResponse: 0x6f,
} as const;

/**
 * RFC 4511 4.4.1 Notice of Disconnection: unsolicited ExtendedResponse with
 * messageID 0, responseName 1.3.6.1.4.1.1466.20036 and no responseValue.
 * Typical resultCodes: protocolError (2), unavailable (52), strongerAuthRequired (8).
 */
export function noticeOfDisconnection(resultCode: number, diagnosticMessage = ''): LdapMessage<ExtendedResponse> {
  return {
    messageID: 0,
    protocolOp: {
      type: 'extendedResponse',
      resultCode,
      matchedDN: '',
      diagnosticMessage,
      responseName: NOTICE_OF_DISCONNECTION_OID,
    },
    controls: [],
  };
}
