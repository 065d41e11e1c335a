// Mutual authentication of two DCs on the forestd DRS transport.
//
// The connection is TLS (the DC's certificate, src/ldap/tls.ts); certificates are not what the
// DCs trust. Trust comes from the machine accounts: each DC proves it holds the secret of its
// own machine account (the NT hash of the account's password, MS-NLMP 3.3.1 NTOWFv1, which
// every DC of the domain holds for every DC account by replication). The key is
//   K(account) = HKDF-SHA256(ikm = NT hash, salt = "forestd-drs-v1", info = UPPER(sAMAccountName), 32)
// and the handshake (frames HELLO, CHALLENGE, PROOF, ACCEPT) is:
//   client → HELLO     nonceC(32), client account, client DSA GUID
//   server → CHALLENGE nonceS(32), server account, server DSA GUID, HMAC(K(server), transcript("server"))
//   client → PROOF     HMAC(K(client), transcript("client"))
//   server → ACCEPT    (or FAULT ERROR_ACCESS_DENIED, then close)
// transcript(role) = "forestd-drs-v1 " role ‖ TLS exporter ‖ nonceC ‖ nonceS ‖ both accounts ‖
// both DSA GUIDs (each length-prefixed). The TLS exporter (RFC 5705/8446 keying material,
// label "EXPORTER-forestd-drs-v1") binds the proofs to this TLS session: a machine in the middle
// terminating TLS on both sides sees different exporters and cannot forward a proof.
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

export const EXPORTER_LABEL = 'EXPORTER-forestd-drs-v1';
export const NONCE_BYTES = 32;

/** This DC's identity on the transport and how it finds its partners' keys. */
export interface DrsCredentials {
  /** sAMAccountName of this DC's machine account (e.g. "DC1$") */
  account: string;
  /** objectGUID of this DC's nTDSDSA object */
  dsaGuid: Buffer;
  /** K(account) of this DC (drsKey of its NT hash) */
  key: Buffer;
  /** K of another DC's account, or undefined when it is not a DC this DC knows */
  keyOf(account: string): Buffer | undefined | Promise<Buffer | undefined>;
  /**
   * Whether a peer that proved `account` may act as the DSA `dsaGuid` it announced: 0, or the
   * Win32 code the handshake is refused with (src/drs/peer-identity.ts). Absent: not checked.
   */
  peerDsaRefusal?(account: string, dsaGuid: Buffer): number | Promise<number>;
}

/** K(account) from the machine account's NT hash. */
export function drsKey(ntHash: Uint8Array, account: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ntHash, Buffer.from('forestd-drs-v1'), Buffer.from(account.toUpperCase(), 'utf8'), 32));
}

export interface Hello {
  nonce: Buffer;
  account: string;
  dsaGuid: Buffer;
}
export interface Challenge extends Hello {
  proof: Buffer;
}

function str(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const l = Buffer.alloc(2);
  l.writeUInt16LE(b.length);
  return Buffer.concat([l, b]);
}

export function encodeHello(h: Hello): Buffer {
  return Buffer.concat([h.nonce, str(h.account), h.dsaGuid]);
}
export function encodeChallenge(c: Challenge): Buffer {
  return Buffer.concat([encodeHello(c), c.proof]);
}

class Cursor {
  o = 0;
  constructor(readonly b: Buffer) {}
  take(n: number): Buffer {
    if (this.o + n > this.b.length) throw new Error('truncated handshake message');
    const v = this.b.subarray(this.o, this.o + n);
    this.o += n;
    return Buffer.from(v);
  }
  str(): string {
    const n = this.take(2).readUInt16LE(0);
    if (n > 256) throw new Error('account name too long');
    return this.take(n).toString('utf8');
  }
}

export function decodeHello(b: Buffer): Hello {
  const c = new Cursor(b);
  const h = { nonce: c.take(NONCE_BYTES), account: c.str(), dsaGuid: c.take(16) };
  if (c.o !== b.length) throw new Error('trailing bytes in HELLO');
  return h;
}
export function decodeChallenge(b: Buffer): Challenge {
  const c = new Cursor(b);
  const h = { nonce: c.take(NONCE_BYTES), account: c.str(), dsaGuid: c.take(16), proof: c.take(32) };
  if (c.o !== b.length) throw new Error('trailing bytes in CHALLENGE');
  return h;
}

export function newNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

export function proof(key: Buffer, role: 'client' | 'server', exporter: Buffer, client: Hello, server: Hello): Buffer {
  const h = createHmac('sha256', key);
  h.update(`forestd-drs-v1 ${role}`);
  for (const part of [exporter, client.nonce, server.nonce, str(client.account), str(server.account), client.dsaGuid, server.dsaGuid]) {
    const l = Buffer.alloc(4);
    l.writeUInt32LE(part.length);
    h.update(l);
    h.update(part);
  }
  return h.digest();
}

export function proofMatches(expected: Buffer, got: Buffer): boolean {
  return expected.length === got.length && timingSafeEqual(expected, got);
}
