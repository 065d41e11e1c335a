/**
 * BER writer for the LDAP subset of X.690 (RFC 4511 5.1).
 *
 * Writes into one growable Buffer. Constructed elements are opened with
 * `startSequence()` which reserves a single length octet; `endSequence()`
 * back-patches the definite length and, only when the content is 128 bytes
 * or more, shifts the content right in place (one memmove) to make room for
 * the long-form length. No per-element Buffers, no Buffer.concat.
 *
 * Lengths are written in minimal form; integers in minimal two's complement
 * (X.690 8.3.2), BOOLEAN TRUE as 0xff (as DER/CER and Windows do).
 */
import { BerError } from './errors.js';

export class BerWriter {
  private buf: Buffer;
  private pos = 0;
  private readonly stack: number[] = [];

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize > 16 ? initialSize : 16);
  }

  /** Number of bytes written so far. */
  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const nb = Buffer.allocUnsafe(size);
    this.buf.copy(nb, 0, 0, this.pos);
    this.buf = nb;
  }

  /** Appends one raw octet. */
  writeByte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** Appends pre-encoded bytes verbatim (e.g. a cached encoded element). */
  writeRaw(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  /** Writes a definite length in minimal form (X.690 8.1.3.3 / 8.1.3.5). */
  writeLength(len: number): void {
    this.ensure(5);
    const buf = this.buf;
    if (len < 0x80) {
      buf[this.pos++] = len;
    } else if (len <= 0xff) {
      buf[this.pos++] = 0x81;
      buf[this.pos++] = len;
    } else if (len <= 0xffff) {
      buf[this.pos++] = 0x82;
      buf[this.pos++] = len >>> 8;
      buf[this.pos++] = len & 0xff;
    } else if (len <= 0xffffff) {
      buf[this.pos++] = 0x83;
      buf[this.pos++] = len >>> 16;
      buf[this.pos++] = (len >>> 8) & 0xff;
      buf[this.pos++] = len & 0xff;
    } else {
      buf[this.pos++] = 0x84;
      buf.writeUInt32BE(len, this.pos);
      this.pos += 4;
    }
  }

  /** Opens a constructed element (SEQUENCE by default); close with endSequence(). */
  startSequence(tag = 0x30): void {
    this.ensure(2);
    this.buf[this.pos++] = tag;
    this.stack.push(this.pos);
    this.buf[this.pos++] = 0; // placeholder length octet
  }

  /** Closes the innermost constructed element, back-patching its length. */
  endSequence(): void {
    const lenPos = this.stack.pop();
    if (lenPos === undefined) throw new Error('BerWriter.endSequence() without startSequence()');
    const contentStart = lenPos + 1;
    const len = this.pos - contentStart;
    if (len < 0x80) {
      this.buf[lenPos] = len;
      return;
    }
    const n = len <= 0xff ? 1 : len <= 0xffff ? 2 : len <= 0xffffff ? 3 : 4;
    this.ensure(n);
    const buf = this.buf;
    buf.copyWithin(contentStart + n, contentStart, this.pos);
    buf[lenPos] = 0x80 | n;
    for (let i = n; i >= 1; i--) {
      buf[lenPos + i] = len >>> ((n - i) * 8) & 0xff;
    }
    this.pos += n;
  }

  /** Primitive element with raw content bytes. */
  writeOctetString(value: Uint8Array | string, tag = 0x04): void {
    if (typeof value === 'string') {
      this.writeString(value, tag);
      return;
    }
    this.ensure(1);
    this.buf[this.pos++] = tag;
    this.writeLength(value.length);
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  /** Primitive element with UTF-8 content (LDAPString, RFC 4511 4.1.2). */
  writeString(value: string, tag = 0x04): void {
    const n = value.length;
    if (n < 0x80) {
      // Fast path for short ASCII strings (attribute names, OIDs, most DNs):
      // avoids two native calls per string.
      let i = 0;
      while (i < n && value.charCodeAt(i) < 0x80) i++;
      if (i === n) {
        this.ensure(2 + n);
        const buf = this.buf;
        let p = this.pos;
        buf[p++] = tag;
        buf[p++] = n;
        for (let j = 0; j < n; j++) buf[p++] = value.charCodeAt(j);
        this.pos = p;
        return;
      }
    }
    const len = Buffer.byteLength(value, 'utf8');
    this.ensure(1);
    this.buf[this.pos++] = tag;
    this.writeLength(len);
    this.ensure(len);
    if (len > 0) this.buf.write(value, this.pos, len, 'utf8');
    this.pos += len;
  }

  /** BOOLEAN (X.690 8.2); TRUE encoded as 0xff. */
  writeBoolean(value: boolean, tag = 0x01): void {
    this.ensure(3);
    this.buf[this.pos++] = tag;
    this.buf[this.pos++] = 1;
    this.buf[this.pos++] = value ? 0xff : 0x00;
  }

  /** NULL (X.690 8.8). */
  writeNull(tag = 0x05): void {
    this.ensure(2);
    this.buf[this.pos++] = tag;
    this.buf[this.pos++] = 0;
  }

  /** ENUMERATED (X.690 8.4). */
  writeEnumerated(value: number, tag = 0x0a): void {
    this.writeInt(value, tag);
  }

  /** INTEGER (X.690 8.3) in minimal two's complement; at most 8 octets. */
  writeInt(value: number | bigint, tag = 0x02): void {
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) {
        throw new BerError('ERR_BER_INTEGER_RANGE', `cannot encode ${value} as INTEGER`);
      }
      if (value >= -0x80000000 && value <= 0x7fffffff) {
        // the fewest octets whose two's complement holds the value (compared with constants: no Math.pow per INTEGER)
        const n = value >= 0 ? (value < 0x80 ? 1 : value < 0x8000 ? 2 : value < 0x800000 ? 3 : 4) : value >= -0x80 ? 1 : value >= -0x8000 ? 2 : value >= -0x800000 ? 3 : 4;
        this.ensure(2 + n);
        const buf = this.buf;
        buf[this.pos++] = tag;
        buf[this.pos++] = n;
        for (let i = n - 1; i >= 0; i--) buf[this.pos++] = (value >> (8 * i)) & 0xff;
        return;
      }
      value = BigInt(value);
    }
    if (value > 0x7fffffffffffffffn || value < -0x8000000000000000n) {
      throw new BerError('ERR_BER_INTEGER_RANGE', `cannot encode ${value} in 8 octets`);
    }
    let n = 1;
    if (value >= 0n) {
      while (value >= 1n << BigInt(8 * n - 1)) n++;
    } else {
      while (value < -(1n << BigInt(8 * n - 1))) n++;
    }
    const u = BigInt.asUintN(8 * n, value);
    this.ensure(2 + n);
    const buf = this.buf;
    buf[this.pos++] = tag;
    buf[this.pos++] = n;
    for (let i = n - 1; i >= 0; i--) buf[this.pos++] = Number((u >> BigInt(8 * i)) & 0xffn);
  }

  /**
   * Returns the encoded bytes as a view of the internal buffer (no copy).
   * The writer must not be written to afterwards unless reset() is called
   * and the previous result is no longer in use.
   */
  toBuffer(): Buffer {
    if (this.stack.length !== 0) throw new Error(`BerWriter: ${this.stack.length} unterminated sequence(s)`);
    return this.buf.subarray(0, this.pos);
  }

  /** Discards written content, keeping the allocated buffer. */
  reset(): void {
    this.pos = 0;
    // only after an unfinished write: setting an array's length is a runtime call
    if (this.stack.length !== 0) this.stack.length = 0;
  }
}
