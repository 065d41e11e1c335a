/**
 * Bounds-checked BER reader for the LDAP subset of X.690 (RFC 4511 5.1):
 *  - definite lengths only (indefinite form rejected),
 *  - single-octet identifiers only (high-tag-number form rejected),
 *  - at most 4 length octets (LDAP PDUs never approach 2^32 bytes),
 *  - INTEGER/ENUMERATED values read as numbers are at most 8 octets.
 *
 * The reader walks one Buffer in place: no sub-readers, no per-element
 * allocations. Constructed elements are entered with `enter()`, which
 * narrows the current limit, and left with `leave()`, which restores it.
 *
 * Aliasing: `readOctetString()`/`readRaw()` return `subarray` views into the
 * input buffer. They stay valid as long as the caller does not mutate or
 * reuse that buffer (socket chunks are never reused by Node, so holding on
 * to views of a PDU is safe; copy with `Buffer.from(view)` if the value must
 * outlive a mutable buffer).
 */
import { BerError } from './errors.js';

export { BerError } from './errors.js';

/** Universal tags used by LDAP (X.690 8.x; RFC 4511 5.1). */
export const Tag = {
  Boolean: 0x01,
  Integer: 0x02,
  OctetString: 0x04,
  Null: 0x05,
  Enumerated: 0x0a,
  Sequence: 0x30,
  Set: 0x31,
} as const;

/** Default maximum constructed nesting depth accepted by a reader. */
export const DEFAULT_MAX_DEPTH = 256;

const MAX_INT32 = 0x7fffffff;

export class BerReader {
  /** The underlying buffer (never copied). */
  readonly buf: Buffer;
  /** Current read offset (absolute index into `buf`). */
  pos: number;
  /** End (exclusive) of the innermost entered element. */
  limit: number;
  private readonly stack: number[] = [];
  private readonly maxDepth: number;

  constructor(buf: Buffer, start = 0, end = buf.length, maxDepth = DEFAULT_MAX_DEPTH) {
    if (start < 0 || end > buf.length || start > end) {
      throw new RangeError('BerReader: invalid range');
    }
    this.buf = buf;
    this.pos = start;
    this.limit = end;
    this.maxDepth = maxDepth;
  }

  /** Current nesting depth (number of entered, not yet left, elements). */
  get depth(): number {
    return this.stack.length;
  }

  /** True when the innermost element has been fully consumed. */
  atEnd(): boolean {
    return this.pos >= this.limit;
  }

  /** Bytes left in the innermost element. */
  get remaining(): number {
    return this.limit - this.pos;
  }

  /** Tag of the next element, or -1 at the end of the current element. */
  peekTag(): number {
    return this.pos < this.limit ? this.buf[this.pos]! : -1;
  }

  /** Reads an identifier octet. Rejects the high-tag-number form (X.690 8.1.2.4). */
  readTag(): number {
    if (this.pos >= this.limit) throw this.err('ERR_BER_TRUNCATED', 'unexpected end of data reading tag');
    const t = this.buf[this.pos]!;
    if ((t & 0x1f) === 0x1f) throw this.err('ERR_BER_HIGH_TAG', `high-tag-number form not supported (0x${t.toString(16)})`);
    this.pos++;
    return t;
  }

  /**
   * Reads a definite length (X.690 8.1.3) and checks that the content fits in
   * the current element. Returns the content length; `pos` is left at the
   * first content octet.
   */
  readLength(): number {
    const buf = this.buf;
    if (this.pos >= this.limit) throw this.err('ERR_BER_TRUNCATED', 'unexpected end of data reading length');
    const b = buf[this.pos++]!;
    let len: number;
    if (b < 0x80) {
      len = b;
    } else if (b === 0x80) {
      // X.690 8.1.3.6; RFC 4511 5.1: "Only the definite form of length encoding is used."
      throw this.err('ERR_BER_INDEFINITE_LENGTH', 'indefinite length form not allowed in LDAP', this.pos - 1);
    } else {
      const n = b & 0x7f;
      if (n > 4) throw this.err('ERR_BER_LENGTH_TOO_LONG', `length uses ${n} octets (max 4)`, this.pos - 1);
      if (this.limit - this.pos < n) throw this.err('ERR_BER_TRUNCATED', 'unexpected end of data in long-form length');
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + buf[this.pos++]!;
    }
    if (len > this.limit - this.pos) {
      throw this.err('ERR_BER_LENGTH_OVERFLOW', `length ${len} exceeds the ${this.limit - this.pos} bytes available`);
    }
    return len;
  }

  /** Reads tag + length, requiring `tag`. Returns the content length. */
  readHeader(tag: number): number {
    const start = this.pos;
    const t = this.readTag();
    if (t !== tag) {
      this.pos = start;
      throw this.err('ERR_BER_UNEXPECTED_TAG', `expected tag 0x${tag.toString(16)}, got 0x${t.toString(16)}`);
    }
    return this.readLength();
  }

  /** Enters a constructed element with the given tag (SEQUENCE by default). */
  enter(tag: number = Tag.Sequence): void {
    const len = this.readHeader(tag);
    this.pushLimit(this.pos + len);
  }

  /**
   * Enters a constructed element whose tag was already consumed by `readTag()`
   * (used by CHOICE decoders that dispatch on the tag).
   */
  enterAfterTag(): void {
    const len = this.readLength();
    this.pushLimit(this.pos + len);
  }

  private pushLimit(end: number): void {
    if (this.stack.length >= this.maxDepth) {
      throw this.err('ERR_BER_NESTING_TOO_DEEP', `nesting deeper than ${this.maxDepth}`);
    }
    this.stack.push(this.limit);
    this.limit = end;
  }

  /**
   * Leaves the innermost element, skipping any unread trailing components
   * (RFC 4511 4: the module is EXTENSIBILITY IMPLIED, so unknown trailing
   * elements of a SEQUENCE are ignored).
   */
  leave(): void {
    const outer = this.stack.pop();
    if (outer === undefined) throw new Error('BerReader.leave() without enter()');
    this.pos = this.limit;
    this.limit = outer;
  }

  /** Leaves the innermost element, requiring it to be fully consumed. */
  leaveStrict(): void {
    if (this.pos !== this.limit) throw this.err('ERR_BER_TRAILING_DATA', `${this.limit - this.pos} unexpected bytes at end of element`);
    this.leave();
  }

  /** Skips one element of any tag. */
  skip(): void {
    this.readTag();
    const len = this.readLength();
    this.pos += len;
  }

  /** Returns a view of one whole TLV (any tag). Aliases the input buffer. */
  readRaw(): Buffer {
    const start = this.pos;
    this.skip();
    return this.buf.subarray(start, this.pos);
  }

  /** Content of a primitive element with the given tag, as a view (aliases the input). */
  readOctetString(tag: number = Tag.OctetString): Buffer {
    const len = this.readHeader(tag);
    const s = this.pos;
    this.pos = s + len;
    return this.buf.subarray(s, s + len);
  }

  /** Content of the element whose tag was already consumed, as a view. */
  readContentAfterTag(): Buffer {
    const len = this.readLength();
    const s = this.pos;
    this.pos = s + len;
    return this.buf.subarray(s, s + len);
  }

  /** Content of a primitive element decoded as UTF-8 (RFC 4511 4.1.2 LDAPString). */
  readString(tag: number = Tag.OctetString): string {
    const len = this.readHeader(tag);
    const s = this.pos;
    this.pos = s + len;
    return len === 0 ? '' : this.buf.toString('utf8', s, s + len);
  }

  /** UTF-8 content of the element whose tag was already consumed. */
  readStringAfterTag(): string {
    const len = this.readLength();
    const s = this.pos;
    this.pos = s + len;
    return len === 0 ? '' : this.buf.toString('utf8', s, s + len);
  }

  /** BOOLEAN (X.690 8.2): one content octet, zero = FALSE, anything else = TRUE. */
  readBoolean(tag: number = Tag.Boolean): boolean {
    const len = this.readHeader(tag);
    if (len !== 1) throw this.err('ERR_BER_INVALID_BOOLEAN', `BOOLEAN of length ${len}`);
    return this.buf[this.pos++] !== 0;
  }

  /** NULL (X.690 8.8): no content. */
  readNull(tag: number = Tag.Null): void {
    const len = this.readHeader(tag);
    if (len !== 0) throw this.err('ERR_BER_INVALID_NULL', `NULL of length ${len}`);
  }

  /**
   * INTEGER (X.690 8.3) as a JS number. At most 8 content octets; the value
   * must be a safe integer.
   */
  readInt(tag: number = Tag.Integer): number {
    const len = this.readHeader(tag);
    return this.intContent(len);
  }

  /** ENUMERATED (X.690 8.4). */
  readEnumerated(tag: number = Tag.Enumerated): number {
    return this.readInt(tag);
  }

  /** INTEGER constrained to (0..maxInt), maxInt = 2^31-1 (RFC 4511 4.1.1). */
  readUInt31(tag: number = Tag.Integer): number {
    const v = this.readInt(tag);
    if (v < 0 || v > MAX_INT32) throw this.err('ERR_BER_INTEGER_RANGE', `integer ${v} outside 0..2147483647`);
    return v;
  }

  /** INTEGER as a bigint (at most 8 content octets). */
  readBigInt(tag: number = Tag.Integer): bigint {
    const len = this.readHeader(tag);
    if (len === 0) throw this.err('ERR_BER_INVALID_INTEGER', 'zero-length INTEGER');
    if (len > 8) throw this.err('ERR_BER_INTEGER_TOO_LONG', `INTEGER of ${len} octets (max 8)`);
    const buf = this.buf;
    let v = BigInt(buf[this.pos]! >= 0x80 ? buf[this.pos]! - 256 : buf[this.pos]!);
    for (let i = 1; i < len; i++) v = (v << 8n) | BigInt(buf[this.pos + i]!);
    this.pos += len;
    return v;
  }

  /** Integer content of `len` octets at pos (tag/length already consumed). */
  intContent(len: number): number {
    if (len === 0) throw this.err('ERR_BER_INVALID_INTEGER', 'zero-length INTEGER');
    if (len > 8) throw this.err('ERR_BER_INTEGER_TOO_LONG', `INTEGER of ${len} octets (max 8)`);
    const buf = this.buf;
    let p = this.pos;
    const first = buf[p++]!;
    let v = first >= 0x80 ? first - 256 : first;
    if (len <= 6) {
      // at most 48 bits: exact in double arithmetic
      for (let i = 1; i < len; i++) v = v * 256 + buf[p++]!;
      this.pos = p;
      return v;
    }
    let big = BigInt(v);
    for (let i = 1; i < len; i++) big = (big << 8n) | BigInt(buf[p++]!);
    this.pos = p;
    if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw this.err('ERR_BER_INTEGER_RANGE', `INTEGER ${big} is not a safe JS integer`);
    }
    return Number(big);
  }

  /** Creates a BerError at the current offset (for use by higher-level decoders). */
  err(code: string, message: string, offset = this.pos): BerError {
    return new BerError(code, message, offset);
  }
}

/**
 * Inspects the header of the BER element starting at `buf[start]`, looking
 * no further than `end`. Returns the total element size (header + content),
 * or -1 if the header itself is incomplete. Throws BerError for malformed
 * headers (high tag, indefinite or over-long length).
 */
export function peekElementLength(buf: Buffer, start: number, end: number): number {
  if (start >= end) return -1;
  const t = buf[start]!;
  if ((t & 0x1f) === 0x1f) throw new BerError('ERR_BER_HIGH_TAG', `high-tag-number form not supported (0x${t.toString(16)})`, start);
  if (start + 1 >= end) return -1;
  const b = buf[start + 1]!;
  if (b < 0x80) return 2 + b;
  if (b === 0x80) throw new BerError('ERR_BER_INDEFINITE_LENGTH', 'indefinite length form not allowed in LDAP', start + 1);
  const n = b & 0x7f;
  if (n > 4) throw new BerError('ERR_BER_LENGTH_TOO_LONG', `length uses ${n} octets (max 4)`, start + 1);
  if (start + 2 + n > end) return -1;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + buf[start + 2 + i]!;
  return 2 + n + len;
}
