// The NTLMv2 computations (MS-NLMP 3.3.2) and the key derivations of session security
// (3.4.5.1 KXKEY, 3.4.5.2 SIGNKEY, 3.4.5.3 SEALKEY), from the stored NT hash (NTOWFv1, 3.3.1).
import { createHash, createHmac } from 'node:crypto';
import { NegotiateFlags } from './constants.js';
import { rc4 } from '../rc4.js';

export const hmacMd5 = (key: Uint8Array, ...data: Uint8Array[]): Buffer => {
  const h = createHmac('md5', key);
  for (const d of data) h.update(d);
  return h.digest();
};
export const md5 = (...data: Uint8Array[]): Buffer => {
  const h = createHash('md5');
  for (const d of data) h.update(d);
  return h.digest();
};

/** MS-NLMP 3.3.2 NTOWFv2(Passwd, User, UserDom) = HMAC_MD5(MD4(UNICODE(Passwd)), UNICODE(ConcatenationOf(Uppercase(User), UserDom))), from the NT hash. */
export function ntowfv2(ntHash: Uint8Array, user: string, userDom: string): Buffer {
  return hmacMd5(ntHash, Buffer.from(user.toUpperCase() + userDom, 'utf16le'));
}

/** MS-NLMP 3.3.2: NTProofStr = HMAC_MD5(ResponseKeyNT, ConcatenationOf(CHALLENGE_MESSAGE.ServerChallenge, temp)). */
export function ntProofStr(responseKeyNT: Uint8Array, serverChallenge: Uint8Array, temp: Uint8Array): Buffer {
  return hmacMd5(responseKeyNT, serverChallenge, temp);
}

/** MS-NLMP 3.3.2: SessionBaseKey = HMAC_MD5(ResponseKeyNT, NTProofStr); for NTLMv2 KeyExchangeKey = SessionBaseKey (3.4.5.1). */
export function sessionBaseKey(responseKeyNT: Uint8Array, proof: Uint8Array): Buffer {
  return hmacMd5(responseKeyNT, proof);
}

/** MS-NLMP 3.1.5.1.2 / 3.2.5.1.2: with NTLMSSP_NEGOTIATE_KEY_EXCH the exported key is RC4K(KeyExchangeKey, EncryptedRandomSessionKey). */
export function exportedSessionKey(flags: number, keyExchangeKey: Buffer, encryptedRandomSessionKey: Buffer): Buffer {
  if (flags & NegotiateFlags.KEY_EXCH && encryptedRandomSessionKey.length === 16) return rc4(keyExchangeKey, encryptedRandomSessionKey);
  return keyExchangeKey;
}

const CLIENT_SIGN = Buffer.from('session key to client-to-server signing key magic constant\0', 'latin1');
const SERVER_SIGN = Buffer.from('session key to server-to-client signing key magic constant\0', 'latin1');
const CLIENT_SEAL = Buffer.from('session key to client-to-server sealing key magic constant\0', 'latin1');
const SERVER_SEAL = Buffer.from('session key to server-to-client sealing key magic constant\0', 'latin1');

/** MS-NLMP 3.4.5.2 SIGNKEY (extended session security). */
export function signKey(exported: Buffer, mode: 'client' | 'server'): Buffer {
  return md5(exported, mode === 'client' ? CLIENT_SIGN : SERVER_SIGN);
}

/** MS-NLMP 3.4.5.3 SEALKEY (extended session security): 128-, 56- or 40-bit key, then MD5 with the magic constant. */
export function sealKey(flags: number, exported: Buffer, mode: 'client' | 'server'): Buffer {
  const k = flags & NegotiateFlags.NEGOTIATE_128 ? exported : flags & NegotiateFlags.NEGOTIATE_56 ? exported.subarray(0, 7) : exported.subarray(0, 5);
  return md5(k, mode === 'client' ? CLIENT_SEAL : SERVER_SEAL);
}
