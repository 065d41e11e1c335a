// A minimal NTLMv2 initiator for tests and the benchmark (MS-NLMP 3.1.5): builds NEGOTIATE and
// AUTHENTICATE messages (with MIC, key exchange and channel bindings when asked), so tests can
// drive the acceptor and the LDAP server byte by byte, including malformed and NTLMv1 messages.
import { randomBytes } from 'node:crypto';
import { AvFlags, AvId, NegotiateFlags as F, NTLMSSP_SIGNATURE, SERVER_VERSION } from '../../src/security/ntlm/constants.js';
import { encodeAvPairs, parseAvPairs, type AvPair } from '../../src/security/ntlm/messages.js';
import { hmacMd5, ntProofStr, ntowfv2, sessionBaseKey } from '../../src/security/ntlm/ntlmv2.js';
import { NtlmSessionSecurity } from '../../src/security/ntlm/session-security.js';
import { ntHash } from '../../src/security/password.js';
import { rc4 } from '../../src/security/rc4.js';

export const CLIENT_FLAGS = (F.UNICODE | F.REQUEST_TARGET | F.SIGN | F.SEAL | F.NTLM | F.ALWAYS_SIGN | F.EXTENDED_SESSIONSECURITY | F.TARGET_INFO | F.VERSION | F.NEGOTIATE_128 | F.KEY_EXCH | F.NEGOTIATE_56) >>> 0;

export function negotiateMessage(flags = CLIENT_FLAGS): Buffer {
  const b = Buffer.alloc(40);
  NTLMSSP_SIGNATURE.copy(b, 0);
  b.writeUInt32LE(1, 8);
  b.writeUInt32LE(flags >>> 0, 12);
  b.writeUInt32LE(40, 20);
  b.writeUInt32LE(40, 28);
  SERVER_VERSION.copy(b, 32);
  return b;
}

export interface ParsedChallenge {
  flags: number;
  serverChallenge: Buffer;
  targetInfo: Buffer;
  avPairs: AvPair[];
  targetName: string;
}

export function parseChallenge(b: Buffer): ParsedChallenge {
  const tnLen = b.readUInt16LE(12);
  const tnOff = b.readUInt32LE(16);
  const tiLen = b.readUInt16LE(40);
  const tiOff = b.readUInt32LE(44);
  const targetInfo = b.subarray(tiOff, tiOff + tiLen);
  return { flags: b.readUInt32LE(20), serverChallenge: b.subarray(24, 32), targetInfo, avPairs: parseAvPairs(targetInfo), targetName: b.subarray(tnOff, tnOff + tnLen).toString('utf16le') };
}

export interface AuthOptions {
  user: string;
  domain: string;
  password: string;
  workstation?: string;
  /** include MsvAvFlags MIC_PRESENT and the MIC */
  mic?: boolean;
  /** MsvAvChannelBindings value */
  channelBindings?: Buffer;
  /** send an NTLMv1-shaped 24-byte NT response instead */
  ntlmv1?: boolean;
  /** anonymous: empty user and responses */
  anonymous?: boolean;
  /** corrupt the MIC */
  badMic?: boolean;
}

export interface ClientResult {
  message: Buffer;
  exportedSessionKey: Buffer;
  security?: NtlmSessionSecurity;
}

function fieldsAt(b: Buffer, at: number, len: number, off: number): void {
  b.writeUInt16LE(len, at);
  b.writeUInt16LE(len, at + 2);
  b.writeUInt32LE(off, at + 4);
}

export function authenticateMessage(negotiate: Buffer, challenge: Buffer, o: AuthOptions): ClientResult {
  const ch = parseChallenge(challenge);
  const flags = (ch.flags & CLIENT_FLAGS) >>> 0;
  const u = (s: string) => Buffer.from(s, 'utf16le');
  let lm: Buffer;
  let nt: Buffer;
  let exported: Buffer = Buffer.alloc(16);
  let encKey: Buffer = Buffer.alloc(0);
  if (o.anonymous) {
    lm = Buffer.alloc(1);
    nt = Buffer.alloc(0);
  } else if (o.ntlmv1) {
    lm = randomBytes(24);
    nt = randomBytes(24);
  } else {
    const pairs = ch.avPairs.filter((p) => p.id !== AvId.MsvAvFlags);
    if (o.mic) {
      const f = Buffer.alloc(4);
      f.writeUInt32LE(AvFlags.MIC_PRESENT);
      pairs.push({ id: AvId.MsvAvFlags, value: f });
    }
    if (o.channelBindings) pairs.push({ id: AvId.MsvAvChannelBindings, value: o.channelBindings });
    const ts = ch.avPairs.find((p) => p.id === AvId.MsvAvTimestamp)?.value ?? Buffer.alloc(8);
    const temp = Buffer.concat([Buffer.from([1, 1, 0, 0, 0, 0, 0, 0]), ts, randomBytes(8), Buffer.alloc(4), encodeAvPairs(pairs), Buffer.alloc(4)]);
    const key = ntowfv2(ntHash(o.password), o.user, o.domain);
    const proof = ntProofStr(key, ch.serverChallenge, temp);
    nt = Buffer.concat([proof, temp]);
    lm = Buffer.alloc(24);
    const kx = sessionBaseKey(key, proof);
    if (flags & F.KEY_EXCH) {
      exported = randomBytes(16);
      encKey = rc4(kx, exported);
    } else exported = kx;
  }
  const dom = u(o.domain);
  const usr = u(o.anonymous ? '' : o.user);
  const ws = u(o.workstation ?? 'WORKSTATION');
  const head = 88;
  const payload = Buffer.concat([lm, nt, dom, usr, ws, encKey]);
  const b = Buffer.alloc(head + payload.length);
  NTLMSSP_SIGNATURE.copy(b, 0);
  b.writeUInt32LE(3, 8);
  let off = head;
  for (const [at, part] of [[12, lm], [20, nt], [28, dom], [36, usr], [44, ws], [52, encKey]] as const) {
    fieldsAt(b, at, part.length, off);
    off += part.length;
  }
  b.writeUInt32LE(flags, 60);
  SERVER_VERSION.copy(b, 64);
  payload.copy(b, head);
  if (o.mic && !o.anonymous && !o.ntlmv1) {
    const mic = hmacMd5(exported, negotiate, challenge, b);
    if (o.badMic) mic[0]! ^= 1;
    mic.copy(b, 72);
  }
  const r: ClientResult = { message: b, exportedSessionKey: exported };
  if (!o.anonymous && !o.ntlmv1 && flags & (F.SIGN | F.SEAL)) r.security = new NtlmSessionSecurity(flags, exported, 'client');
  return r;
}
