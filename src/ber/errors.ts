/**
 * Typed errors of the BER layer (X.690 basic encoding rules, restricted to
 * the subset LDAP uses: RFC 4511 5.1).
 *
 * Every decode failure raised by src/ber and src/ldap/protocol is a
 * `BerError` (or a subclass), carrying a stable machine-readable `code`.
 * The server turns any BerError escaping the framer/decoder into a
 * protocolError Notice of Disconnection (RFC 4511 4.4.1).
 */
export type BerErrorCode =
  | 'ERR_BER_TRUNCATED' // element runs past the end of its container / buffer
  | 'ERR_BER_INDEFINITE_LENGTH' // 0x80 length octet; RFC 4511 5.1 forbids it
  | 'ERR_BER_LENGTH_TOO_LONG' // more than 4 length octets, or reserved 0xff
  | 'ERR_BER_LENGTH_OVERFLOW' // declared length exceeds the enclosing data
  | 'ERR_BER_HIGH_TAG' // multi-octet (high-tag-number) identifier, never used by LDAP
  | 'ERR_BER_UNEXPECTED_TAG' // a different tag than the grammar requires
  | 'ERR_BER_INVALID_INTEGER' // zero-length INTEGER/ENUMERATED
  | 'ERR_BER_INTEGER_TOO_LONG' // more than 8 content octets where a number is expected
  | 'ERR_BER_INTEGER_RANGE' // value outside the range representable / allowed
  | 'ERR_BER_INVALID_BOOLEAN' // BOOLEAN whose length is not 1
  | 'ERR_BER_INVALID_NULL' // NULL with content
  | 'ERR_BER_TRAILING_DATA' // bytes after the outermost element
  | 'ERR_BER_NESTING_TOO_DEEP'; // constructed elements nested beyond the reader limit

export class BerError extends Error {
  /** Stable error code; BER-level codes start with ERR_BER_, LDAP-level ones with ERR_LDAP_. */
  readonly code: string;
  /** Byte offset in the input where the problem was detected (if known). */
  readonly offset: number;
  /**
   * messageID of the LDAPMessage being decoded, when it was read before the
   * failure (set by the LDAP decoder), else -1.
   */
  messageID = -1;

  constructor(code: string, message: string, offset = -1) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.offset = offset;
  }
}

/** Type guard usable across module boundaries. */
export function isBerError(e: unknown): e is BerError {
  return e instanceof BerError;
}
