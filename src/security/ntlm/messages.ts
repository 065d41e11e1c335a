// NTLM messages (MS-NLMP 2.2.1): NEGOTIATE_MESSAGE and AUTHENTICATE_MESSAGE parsed,
// CHALLENGE_MESSAGE built; AV_PAIR lists (2.2.2.1). Every field is bounds-checked: a
// message that lies about its lengths raises NtlmError ERR_NTLM_MALFORMED.
import { AvId, MessageType, NTLMSSP_SIGNATURE, NegotiateFlags } from './constants.js';
import { NtlmError } from './errors.js';

const malformed = (m: string) => new NtlmError('ERR_NTLM_MALFORMED', m);

function checkHeader(buf: Buffer, type: number, minLen: number): void {
  if (buf.length < minLen) throw malformed(`NTLM message of ${buf.length} bytes is too short`);
  if (!buf.subarray(0, 8).equals(NTLMSSP_SIGNATURE)) throw malformed('not an NTLMSSP message');
  const t = buf.readUInt32LE(8);
  if (t !== type) throw malformed(`NTLM message type ${t}, expected ${type}`);
}

/** A Len/MaxLen/Offset field triple (MS-NLMP 2.2.1.1 DomainNameFields etc.). */
function field(buf: Buffer, at: number): Buffer {
  const len = buf.readUInt16LE(at);
  const off = buf.readUInt32LE(at + 4);
  if (len === 0) return Buffer.alloc(0);
  if (off > buf.length || off + len > buf.length) throw malformed(`field at ${at} points outside the message`);
  return buf.subarray(off, off + len);
}

export interface NegotiateMessage {
  flags: number;
  raw: Buffer;
}

/** MS-NLMP 2.2.1.1 NEGOTIATE_MESSAGE. */
export function parseNegotiate(buf: Buffer): NegotiateMessage {
  checkHeader(buf, MessageType.NEGOTIATE, 16);
  return { flags: buf.readUInt32LE(12), raw: buf };
}

export interface AvPair {
  id: number;
  value: Buffer;
}

/** MS-NLMP 2.2.2.1: AV_PAIRs up to MsvAvEOL. */
export function parseAvPairs(buf: Buffer): AvPair[] {
  const out: AvPair[] = [];
  let at = 0;
  for (;;) {
    if (at + 4 > buf.length) throw malformed('AV_PAIR list without MsvAvEOL');
    const id = buf.readUInt16LE(at);
    const len = buf.readUInt16LE(at + 2);
    if (id === AvId.MsvAvEOL) return out;
    if (at + 4 + len > buf.length) throw malformed('AV_PAIR runs past its buffer');
    out.push({ id, value: buf.subarray(at + 4, at + 4 + len) });
    at += 4 + len;
  }
}

export function encodeAvPairs(pairs: AvPair[]): Buffer {
  const parts: Buffer[] = [];
  for (const p of [...pairs, { id: AvId.MsvAvEOL, value: Buffer.alloc(0) }]) {
    const h = Buffer.alloc(4);
    h.writeUInt16LE(p.id, 0);
    h.writeUInt16LE(p.value.length, 2);
    parts.push(h, p.value);
  }
  return Buffer.concat(parts);
}

export interface ChallengeFields {
  flags: number;
  serverChallenge: Buffer;
  /** TargetName (the NetBIOS domain name for a DC, MS-NLMP 3.2.5.1.1) */
  targetName: string;
  targetInfo: AvPair[];
  version: Buffer;
}

/** MS-NLMP 2.2.1.2 CHALLENGE_MESSAGE: the 56-byte header with Version, then TargetName and TargetInfo. */
export function buildChallenge(c: ChallengeFields): Buffer {
  const unicode = (c.flags & NegotiateFlags.UNICODE) !== 0;
  const name = Buffer.from(c.targetName, unicode ? 'utf16le' : 'latin1');
  const info = encodeAvPairs(c.targetInfo);
  const head = Buffer.alloc(56);
  NTLMSSP_SIGNATURE.copy(head, 0);
  head.writeUInt32LE(MessageType.CHALLENGE, 8);
  head.writeUInt16LE(name.length, 12);
  head.writeUInt16LE(name.length, 14);
  head.writeUInt32LE(56, 16);
  head.writeUInt32LE(c.flags >>> 0, 20);
  c.serverChallenge.copy(head, 24);
  head.writeUInt16LE(info.length, 40);
  head.writeUInt16LE(info.length, 42);
  head.writeUInt32LE(56 + name.length, 44);
  c.version.copy(head, 48);
  return Buffer.concat([head, name, info]);
}

export interface AuthenticateMessage {
  lmResponse: Buffer;
  ntResponse: Buffer;
  domain: string;
  user: string;
  workstation: string;
  encryptedRandomSessionKey: Buffer;
  flags: number;
  raw: Buffer;
}

/** MS-NLMP 2.2.1.3 AUTHENTICATE_MESSAGE. Strings are UTF-16LE when NTLMSSP_NEGOTIATE_UNICODE is set, OEM otherwise. */
export function parseAuthenticate(buf: Buffer): AuthenticateMessage {
  checkHeader(buf, MessageType.AUTHENTICATE, 64);
  const flags = buf.readUInt32LE(60);
  const str = (b: Buffer) => (flags & NegotiateFlags.UNICODE ? b.toString('utf16le') : b.toString('latin1'));
  return {
    lmResponse: field(buf, 12),
    ntResponse: field(buf, 20),
    domain: str(field(buf, 28)),
    user: str(field(buf, 36)),
    workstation: str(field(buf, 44)),
    encryptedRandomSessionKey: field(buf, 52),
    flags,
    raw: buf,
  };
}

/** MS-NLMP 2.2.2.7 NTLMv2_CLIENT_CHALLENGE, the part of an NTLMv2_RESPONSE after NTProofStr. */
export interface ClientChallenge {
  timestamp: bigint;
  challengeFromClient: Buffer;
  avPairs: AvPair[];
}

export function parseClientChallenge(temp: Buffer): ClientChallenge {
  if (temp.length < 28) throw malformed('NTLMv2_CLIENT_CHALLENGE too short');
  // RespType and HiRespType are both 1 (MS-NLMP 2.2.2.7)
  if (temp[0] !== 1 || temp[1] !== 1) throw malformed(`NTLMv2_CLIENT_CHALLENGE of type ${temp[0]}.${temp[1]}`);
  return { timestamp: temp.readBigUInt64LE(8), challengeFromClient: temp.subarray(16, 24), avPairs: parseAvPairs(temp.subarray(28)) };
}
