// The SASL security layer on the wire (RFC 4422 3.7, MS-ADTS 5.1.2.1): after a bind that
// negotiated integrity or confidentiality, each direction is a sequence of buffers, each a
// 4-octet big-endian length followed by that many octets of wrapped data (GSS_Wrap output).
// The wrapped payloads, once unwrapped, form the ordinary LDAP byte stream.
import type { SaslSecurityLayer } from '../../dsa/api.js';

export class SaslBufferError extends Error {
  readonly code = 'ERR_SASL_BUFFER';
}

/** Splits received bytes into SASL buffers and unwraps them. */
export class SaslReceiver {
  private pending: Buffer[] = [];
  private pendingLen = 0;

  constructor(
    private readonly layer: SaslSecurityLayer,
    /** the largest buffer accepted (the peer's wrapped PDUs plus signature) */
    private readonly maxBuffer: number,
  ) {}

  /** Feeds bytes; returns the plaintext of every buffer they complete (possibly empty). Throws on a bad buffer. */
  push(chunk: Buffer): Buffer {
    if (chunk.length) {
      this.pending.push(chunk);
      this.pendingLen += chunk.length;
    }
    let all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingLen);
    const out: Buffer[] = [];
    let off = 0;
    while (all.length - off >= 4) {
      const len = all.readUInt32BE(off);
      if (len > this.maxBuffer) throw new SaslBufferError(`SASL buffer of ${len} bytes exceeds ${this.maxBuffer}`);
      if (all.length - off - 4 < len) break;
      out.push(this.layer.unwrap(all.subarray(off + 4, off + 4 + len)));
      off += 4 + len;
    }
    all = all.subarray(off);
    this.pending = all.length ? [all] : [];
    this.pendingLen = all.length;
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  /** The bytes of the incomplete buffer held now (still wrapped; a connection moving to another process takes them along). */
  takeBuffered(): Buffer {
    const b = this.pending.length === 1 ? Buffer.from(this.pending[0]!) : Buffer.concat(this.pending, this.pendingLen);
    this.pending = [];
    this.pendingLen = 0;
    return b;
  }
}

/** Wraps outgoing LDAP bytes into SASL buffers of at most `maxPlain` plaintext bytes each. */
export function wrapForSend(layer: SaslSecurityLayer, data: Buffer, maxPlain = 64 * 1024): Buffer {
  const parts: Buffer[] = [];
  for (let off = 0; off < data.length; off += maxPlain) {
    const w = layer.wrap(data.subarray(off, Math.min(data.length, off + maxPlain)));
    const h = Buffer.allocUnsafe(4);
    h.writeUInt32BE(w.length, 0);
    parts.push(h, w);
  }
  return Buffer.concat(parts);
}
