/**
 * MessageFramer: splits a TCP byte stream into LDAPMessage PDUs (RFC 4511
 * 5.1: each LDAPMessage is one BER element, SEQUENCE, definite length).
 *
 * - Chunks may split a PDU at any byte and may contain many PDUs.
 * - PDUs entirely inside one chunk are returned as zero-copy `subarray`
 *   views of that chunk; a PDU spanning chunks is assembled with exactly one
 *   copy (Buffer.concat of the pending pieces, once the full length is known).
 *   Every input byte is copied at most twice, so the cost is O(n).
 * - `maxPduSize` enforces AD's MaxReceiveBuffer: as soon as the header of a
 *   PDU announces a larger size, push() throws LdapProtocolError
 *   ERR_LDAP_PDU_TOO_LARGE (before buffering the body).
 * - Malformed headers (non-SEQUENCE, high tag, indefinite/over-long length)
 *   raise BerError/LdapProtocolError. After any error the framer stays
 *   failed; the server sends a protocolError Notice of Disconnection and
 *   closes the connection.
 */
import { BerError } from '../../ber/errors.js';
import { peekElementLength } from '../../ber/reader.js';
import { LdapProtocolError } from './errors.js';
import { decodeMessage } from './codec.js';
import type { LdapMessage } from './messages.js';

/** AD default MaxReceiveBuffer (10 MiB). */
export const DEFAULT_MAX_PDU_SIZE = 10 * 1024 * 1024;

/** Longest possible LDAPMessage header: tag + 0x84 + 4 length octets. */
const MAX_HEADER = 6;

export interface MessageFramerOptions {
  /** Maximum size of one PDU in bytes (header included). Default 10 MiB. */
  maxPduSize?: number;
}

export class MessageFramer {
  readonly maxPduSize: number;
  private pending: Buffer[] = [];
  private pendingLen = 0;
  /** Total size of the PDU at the head of `pending`, or -1 while unknown. */
  private need = -1;
  private failure: BerError | undefined;

  constructor(options: MessageFramerOptions = {}) {
    this.maxPduSize = options.maxPduSize ?? DEFAULT_MAX_PDU_SIZE;
  }

  /** Bytes buffered that do not yet form a complete PDU. */
  get bufferedBytes(): number {
    return this.pendingLen;
  }

  /**
   * Feeds a chunk; returns the complete PDUs it finished, in order (possibly
   * none). Returned Buffers may alias `chunk`.
   */
  push(chunk: Buffer): Buffer[] {
    if (this.failure) throw this.failure;
    const out: Buffer[] = [];
    try {
      if (chunk.length === 0) return out;
      if (this.pendingLen === 0) {
        this.scan(chunk, out);
        return out;
      }
      this.pending.push(chunk);
      this.pendingLen += chunk.length;
      if (this.need < 0) this.need = this.headerFromPending();
      if (this.need >= 0 && this.pendingLen >= this.need) {
        const joined = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingLen);
        this.pending = [];
        this.pendingLen = 0;
        this.need = -1;
        this.scan(joined, out);
      }
      return out;
    } catch (e) {
      if (e instanceof BerError) this.failure = e;
      throw e;
    }
  }

  /** Like push(), but decodes each PDU (see decodeMessage for errors). */
  pushMessages(chunk: Buffer): LdapMessage[] {
    const pdus = this.push(chunk);
    const msgs: LdapMessage[] = new Array(pdus.length);
    for (let i = 0; i < pdus.length; i++) msgs[i] = decodeMessage(pdus[i]!);
    return msgs;
  }

  /** The bytes of the incomplete PDU buffered now (a connection moving to another process takes them along); the framer is then empty. */
  takeBuffered(): Buffer {
    const b = this.pending.length === 1 ? Buffer.from(this.pending[0]!) : Buffer.concat(this.pending, this.pendingLen);
    this.pending = [];
    this.pendingLen = 0;
    this.need = -1;
    return b;
  }

  /** Drops buffered bytes and clears a failure (e.g. after StartTLS switch-over). */
  reset(): void {
    this.pending = [];
    this.pendingLen = 0;
    this.need = -1;
    this.failure = undefined;
  }

  /** Extracts complete PDUs from `buf`; keeps the incomplete tail pending. */
  private scan(buf: Buffer, out: Buffer[]): void {
    let off = 0;
    const end = buf.length;
    while (off < end) {
      const total = this.checkHeader(buf, off, end);
      if (total < 0 || off + total > end) {
        // Incomplete: keep the tail as a view (copied once when completed).
        this.pending.push(off === 0 ? buf : buf.subarray(off));
        this.pendingLen = end - off;
        this.need = total;
        return;
      }
      out.push(buf.subarray(off, off + total));
      off += total;
    }
  }

  /** Size of the PDU at buf[off], -1 if the header is incomplete; validates it. */
  private checkHeader(buf: Buffer, off: number, end: number): number {
    if (buf[off] !== 0x30) {
      throw new LdapProtocolError('ERR_LDAP_NOT_A_MESSAGE', `PDU does not start with SEQUENCE (0x${buf[off]!.toString(16)})`, off);
    }
    const total = peekElementLength(buf, off, end);
    if (total > this.maxPduSize) {
      throw new LdapProtocolError('ERR_LDAP_PDU_TOO_LARGE', `PDU of ${total} bytes exceeds the ${this.maxPduSize}-byte limit`, off);
    }
    return total;
  }

  /** Parses the header from the (small) start of the pending pieces. */
  private headerFromPending(): number {
    const head = Buffer.allocUnsafe(Math.min(MAX_HEADER, this.pendingLen));
    let n = 0;
    for (let i = 0; i < this.pending.length && n < head.length; i++) {
      n += this.pending[i]!.copy(head, n, 0, Math.min(this.pending[i]!.length, head.length - n));
    }
    return this.checkHeader(head, 0, head.length);
  }
}
