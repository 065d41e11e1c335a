// SPNEGO (RFC 4178, with Microsoft's use of it in MS-SPNG): the DER of NegTokenInit inside
// the GSS InitialContextToken, and NegTokenResp, decoded and encoded with the project's BER
// codec (every element definite-length and minimal, so the writer's output is DER). Only what
// an acceptor needs: the initiator's mechTypes (their exact DER, which mechListMIC covers),
// its optimistic mechToken and mechListMIC; our negState, supportedMech, responseToken and MIC.
import { BerReader } from '../ber/reader.js';
import { BerWriter } from '../ber/writer.js';
import { BerError } from '../ber/errors.js';

/** 1.3.6.1.5.5.2 (RFC 4178 3) */
export const SPNEGO_OID = '1.3.6.1.5.5.2';
/** NTLMSSP as a GSS mechanism (MS-NLMP 1.9) */
export const NTLMSSP_OID = '1.3.6.1.4.1.311.2.2.10';
export const KRB5_OID = '1.2.840.113554.1.2.2';
export const MS_KRB5_OID = '1.2.840.48018.1.2.2';

/** RFC 4178 4.2.2 negState */
export const NegState = { acceptCompleted: 0, acceptIncomplete: 1, reject: 2, requestMic: 3 } as const;

export class SpnegoError extends Error {
  readonly code = 'ERR_SPNEGO_MALFORMED';
}

export function decodeOid(content: Buffer): string {
  if (content.length === 0) throw new SpnegoError('empty OBJECT IDENTIFIER');
  const arcs: number[] = [];
  let v = 0;
  for (const b of content) {
    v = v * 128 + (b & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER) throw new SpnegoError('OBJECT IDENTIFIER arc too large');
    if (!(b & 0x80)) {
      arcs.push(v);
      v = 0;
    }
  }
  const first = arcs.shift()!;
  const a = first < 40 ? 0 : first < 80 ? 1 : 2;
  return [a, first - 40 * a, ...arcs].join('.');
}

export function encodeOid(oid: string): Buffer {
  const arcs = oid.split('.').map(Number);
  const out: number[] = [];
  const push = (n: number) => {
    const tmp = [n & 0x7f];
    for (n = Math.floor(n / 128); n > 0; n = Math.floor(n / 128)) tmp.unshift((n & 0x7f) | 0x80);
    out.push(...tmp);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return Buffer.from([0x06, out.length, ...out]);
}

export interface NegTokenInit {
  kind: 'init';
  mechTypes: string[];
  /** the DER of the MechTypeList SEQUENCE exactly as received (mechListMIC is computed over it) */
  mechTypesDer: Buffer;
  mechToken?: Buffer;
  mechListMIC?: Buffer;
}

export interface NegTokenResp {
  kind: 'resp';
  negState?: number;
  supportedMech?: string;
  responseToken?: Buffer;
  mechListMIC?: Buffer;
}

/**
 * A token from the initiator: an InitialContextToken [APPLICATION 0] { thisMech SPNEGO,
 * negTokenInit [0] } (RFC 4178 4.2, RFC 2743 3.1), or a bare negTokenResp [1].
 */
export function decodeInitiatorToken(token: Buffer): NegTokenInit | NegTokenResp {
  try {
    const r = new BerReader(token);
    const t = r.peekTag();
    if (t === 0x60) {
      r.enter(0x60);
      const oid = decodeOid(r.readOctetString(0x06));
      if (oid !== SPNEGO_OID) throw new SpnegoError(`InitialContextToken for ${oid}, not SPNEGO`);
      r.enter(0xa0);
      r.enter(0x30);
      const out: NegTokenInit = { kind: 'init', mechTypes: [], mechTypesDer: Buffer.alloc(0) };
      while (!r.atEnd()) {
        const tag = r.readTag();
        r.enterAfterTag();
        if (tag === 0xa0) {
          const der = r.readRaw();
          out.mechTypesDer = Buffer.from(der);
          const m = new BerReader(der);
          m.enter(0x30);
          while (!m.atEnd()) out.mechTypes.push(decodeOid(m.readOctetString(0x06)));
          m.leave();
        } else if (tag === 0xa2) out.mechToken = Buffer.from(r.readOctetString(0x04));
        else if (tag === 0xa3) out.mechListMIC = Buffer.from(r.readOctetString(0x04));
        // [1] reqFlags and anything else: ignored
        r.leave();
      }
      return out;
    }
    if (t === 0xa1) {
      r.enter(0xa1);
      r.enter(0x30);
      const out: NegTokenResp = { kind: 'resp' };
      while (!r.atEnd()) {
        const tag = r.readTag();
        r.enterAfterTag();
        if (tag === 0xa0) out.negState = r.readEnumerated();
        else if (tag === 0xa1) out.supportedMech = decodeOid(r.readOctetString(0x06));
        else if (tag === 0xa2) out.responseToken = Buffer.from(r.readOctetString(0x04));
        else if (tag === 0xa3) out.mechListMIC = Buffer.from(r.readOctetString(0x04));
        r.leave();
      }
      return out;
    }
    throw new SpnegoError(`not an SPNEGO token (tag 0x${t.toString(16)})`);
  } catch (e) {
    if (e instanceof BerError || e instanceof RangeError) throw new SpnegoError(`malformed SPNEGO token: ${e.message}`);
    throw e;
  }
}

/** NegotiationToken negTokenResp [1] (RFC 4178 4.2.2), as the acceptor sends it. */
export function encodeNegTokenResp(t: Omit<NegTokenResp, 'kind'>): Buffer {
  const w = new BerWriter(256);
  w.startSequence(0xa1);
  w.startSequence(0x30);
  if (t.negState !== undefined) {
    w.startSequence(0xa0);
    w.writeEnumerated(t.negState);
    w.endSequence();
  }
  if (t.supportedMech !== undefined) {
    w.startSequence(0xa1);
    w.writeRaw(encodeOid(t.supportedMech));
    w.endSequence();
  }
  if (t.responseToken !== undefined) {
    w.startSequence(0xa2);
    w.writeOctetString(t.responseToken);
    w.endSequence();
  }
  if (t.mechListMIC !== undefined) {
    w.startSequence(0xa3);
    w.writeOctetString(t.mechListMIC);
    w.endSequence();
  }
  w.endSequence();
  w.endSequence();
  return w.toBuffer();
}

/** An initiator's NegTokenInit (for tests and the benchmark's client). */
export function encodeNegTokenInit(mechTypes: string[], mechToken?: Buffer, mechListMIC?: Buffer): { token: Buffer; mechTypesDer: Buffer } {
  const m = new BerWriter(64);
  m.startSequence(0x30);
  for (const o of mechTypes) m.writeRaw(encodeOid(o));
  m.endSequence();
  const mechTypesDer = m.toBuffer();
  const w = new BerWriter(256);
  w.startSequence(0x60);
  w.writeRaw(encodeOid(SPNEGO_OID));
  w.startSequence(0xa0);
  w.startSequence(0x30);
  w.startSequence(0xa0);
  w.writeRaw(mechTypesDer);
  w.endSequence();
  if (mechToken) {
    w.startSequence(0xa2);
    w.writeOctetString(mechToken);
    w.endSequence();
  }
  if (mechListMIC) {
    w.startSequence(0xa3);
    w.writeOctetString(mechListMIC);
    w.endSequence();
  }
  w.endSequence();
  w.endSequence();
  w.endSequence();
  return { token: w.toBuffer(), mechTypesDer };
}

/** Decodes an acceptor's NegTokenResp (tests, bench). */
export function decodeNegTokenResp(token: Buffer): NegTokenResp {
  const t = decodeInitiatorToken(token);
  if (t.kind !== 'resp') throw new SpnegoError('expected negTokenResp');
  return t;
}
