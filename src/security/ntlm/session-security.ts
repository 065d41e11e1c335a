// NTLM session security for connection-oriented use (MS-NLMP 3.4): message integrity (3.4.2,
// MAC of 3.4.4.2 with extended session security) and confidentiality (3.4.3, SEAL), with one
// sequence number and one RC4 handle per direction. Only extended session security is
// implemented: forestd's acceptor negotiates sign/seal only together with it.
import { timingSafeEqual } from 'node:crypto';
import { NegotiateFlags } from './constants.js';
import { NtlmError } from './errors.js';
import { Rc4, type Rc4State } from '../rc4.js';
import { hmacMd5, sealKey, signKey } from './ntlmv2.js';

/** NTLMSSP_MESSAGE_SIGNATURE (MS-NLMP 2.2.2.9.1): Version(4) = 1, Checksum(8), SeqNum(4). */
export const SIGNATURE_SIZE = 16;

interface Direction {
  signKey: Buffer;
  sealKey: Buffer;
  handle: Rc4;
  seq: number;
}

/** A context's keys, RC4 positions and sequence numbers, to go on in another process (exportState / fromState). */
export interface NtlmSessionSecurityState {
  flags: number;
  out: { signKey: Uint8Array; sealKey: Uint8Array; rc4: Rc4State; seq: number };
  in: { signKey: Uint8Array; sealKey: Uint8Array; rc4: Rc4State; seq: number };
}

export class NtlmSessionSecurity {
  private readonly out: Direction;
  private readonly in: Direction;
  private readonly keyExch: boolean;
  /** NTLMSSP_NEGOTIATE_SEAL was negotiated: wrap() encrypts */
  readonly confidentiality: boolean;
  /** NTLMSSP_NEGOTIATE_SIGN (or SEAL) was negotiated */
  readonly integrity: boolean;

  constructor(
    readonly flags: number,
    exportedSessionKey: Buffer,
    /** the side this end plays: an acceptor sends with the server-to-client keys */
    role: 'server' | 'client' = 'server',
  ) {
    if (!(flags & NegotiateFlags.EXTENDED_SESSIONSECURITY)) throw new NtlmError('ERR_NTLM_STATE', 'session security needs NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY');
    const mk = (m: 'client' | 'server'): Direction => {
      const sk = sealKey(flags, exportedSessionKey, m);
      return { signKey: signKey(exportedSessionKey, m), sealKey: sk, handle: new Rc4(sk), seq: 0 };
    };
    const peer = role === 'server' ? 'client' : 'server';
    this.out = mk(role);
    this.in = mk(peer);
    this.keyExch = (flags & NegotiateFlags.KEY_EXCH) !== 0;
    this.confidentiality = (flags & NegotiateFlags.SEAL) !== 0;
    this.integrity = this.confidentiality || (flags & NegotiateFlags.SIGN) !== 0;
  }

  /**
   * Restarts the RC4 handles from the sealing keys, and the sequence numbers at 0 when
   * `sequenceNumbers`: what Windows and Samba do once SPNEGO's mechListMIC has been exchanged
   * over an NTLM context whose AUTHENTICATE_MESSAGE carried a MIC.
   */
  reset(sequenceNumbers: boolean): void {
    for (const d of [this.out, this.in]) {
      d.handle = new Rc4(d.sealKey);
      if (sequenceNumbers) d.seq = 0;
    }
  }

  /**
   * The context as it stands (both directions' keys, RC4 handles and sequence numbers): a read
   * process (src/dsa/workers) goes on with the layer a bind in the serving process negotiated.
   */
  exportState(): NtlmSessionSecurityState {
    const dir = (d: Direction) => ({ signKey: new Uint8Array(d.signKey), sealKey: new Uint8Array(d.sealKey), rc4: d.handle.exportState(), seq: d.seq });
    return { flags: this.flags, out: dir(this.out), in: dir(this.in) };
  }

  /** A context that goes on where an exported one stood (the same messages verify and unseal in the same order). */
  static fromState(st: NtlmSessionSecurityState): NtlmSessionSecurity {
    const dir = (d: NtlmSessionSecurityState['out']): Direction => ({ signKey: Buffer.from(d.signKey), sealKey: Buffer.from(d.sealKey), handle: Rc4.fromState(d.rc4), seq: d.seq >>> 0 });
    const flags = st.flags;
    const c = Object.create(NtlmSessionSecurity.prototype) as NtlmSessionSecurity;
    Object.assign(c, {
      flags,
      out: dir(st.out),
      in: dir(st.in),
      keyExch: (flags & NegotiateFlags.KEY_EXCH) !== 0,
      confidentiality: (flags & NegotiateFlags.SEAL) !== 0,
      integrity: (flags & NegotiateFlags.SEAL) !== 0 || (flags & NegotiateFlags.SIGN) !== 0,
    });
    return c;
  }

  /** MS-NLMP 3.4.4.2 MAC with extended session security; consumes `d.seq`. */
  private mac(d: Direction, message: Uint8Array): Buffer {
    const seq = Buffer.alloc(4);
    seq.writeUInt32LE(d.seq >>> 0, 0);
    let checksum = hmacMd5(d.signKey, seq, message).subarray(0, 8);
    if (this.keyExch) checksum = d.handle.transform(checksum);
    const sig = Buffer.alloc(SIGNATURE_SIZE);
    sig.writeUInt32LE(1, 0);
    checksum.copy(sig, 4);
    seq.copy(sig, 12);
    d.seq = (d.seq + 1) >>> 0;
    return sig;
  }

  /** GSS_GetMIC (MS-NLMP 3.4.2 SIGN): the signature of a message this end sends. */
  sign(message: Uint8Array): Buffer {
    return this.mac(this.out, message);
  }

  /** GSS_VerifyMIC: checks a signature the peer made; a wrong checksum or sequence number throws (3.4.4). */
  verify(message: Uint8Array, signature: Uint8Array): void {
    const d = this.in;
    if (signature.length !== SIGNATURE_SIZE) throw new NtlmError('ERR_NTLM_BAD_SIGNATURE', 'NTLM signature must be 16 bytes');
    const expected = this.mac(d, message);
    if (!timingSafeEqual(expected, signature)) {
      d.seq = (d.seq - 1) >>> 0; // "SeqNum is not incremented" on error (MS-NLMP 3.4.4)
      throw new NtlmError('ERR_NTLM_BAD_SIGNATURE', 'NTLM message signature or sequence number does not match');
    }
  }

  /** GSS_WrapEx (MS-NLMP 3.4.3 SEAL): RC4 of the message, then the MAC of the plaintext with the same handle. */
  seal(message: Uint8Array): { sealed: Buffer; signature: Buffer } {
    const sealed = this.out.handle.transform(message);
    return { sealed, signature: this.mac(this.out, message) };
  }

  /** GSS_UnwrapEx: decrypts and checks. */
  unseal(sealed: Uint8Array, signature: Uint8Array): Buffer {
    const plain = this.in.handle.transform(sealed);
    this.verify(plain, signature);
    return plain;
  }

  /** A token as GSS_Wrap carries it over LDAP's SASL layer (MS-ADTS 5.1.2.1): the signature, then the sealed (or plain) message. */
  wrap(message: Uint8Array): Buffer {
    if (this.confidentiality) {
      const { sealed, signature } = this.seal(message);
      return Buffer.concat([signature, sealed]);
    }
    return Buffer.concat([this.sign(message), message]);
  }

  unwrap(token: Uint8Array): Buffer {
    if (token.length < SIGNATURE_SIZE) throw new NtlmError('ERR_NTLM_BAD_SIGNATURE', 'wrapped NTLM token shorter than its signature');
    const sig = token.subarray(0, SIGNATURE_SIZE);
    const body = token.subarray(SIGNATURE_SIZE);
    if (this.confidentiality) return this.unseal(body, sig);
    this.verify(body, sig);
    return Buffer.from(body);
  }
}
