/**
 * Common shape of a control codec: the OID plus value encoders/decoders
 * for the request control (client -> server) and, where the control has
 * one, the response control (server -> client). RFC 4511 4.1.11: the
 * controlValue is an OCTET STRING whose content is control-specific.
 *
 * Decoders take the raw controlValue (undefined when absent) and throw
 * ControlValueError (a BerError, code ERR_LDAP_CONTROL_VALUE) when it is
 * malformed. Encoders return undefined for "no controlValue".
 */
import { BerError } from '../../ber/errors.js';
import { BerReader } from '../../ber/reader.js';
import { BerWriter } from '../../ber/writer.js';
import { LdapProtocolError } from '../protocol/errors.js';

export interface ControlCodec<Req = unknown, Res = unknown> {
  readonly oid: string;
  /** Human-readable name (the MS-ADTS / RFC name). */
  readonly name: string;
  decodeRequest(value: Buffer | undefined): Req;
  encodeRequest(req: Req): Buffer | undefined;
  /** Present only for controls that define a response value. */
  decodeResponse?(value: Buffer | undefined): Res;
  encodeResponse?(res: Res): Buffer | undefined;
}

/** A control value that could not be decoded. The server answers protocolError
 *  (or unavailableCriticalExtension) for the operation instead of disconnecting. */
export class ControlValueError extends LdapProtocolError {
  readonly oid: string;
  override readonly cause: unknown;
  constructor(oid: string, message: string, cause?: unknown) {
    super('ERR_LDAP_CONTROL_VALUE', `control ${oid}: ${message}`);
    this.oid = oid;
    this.cause = cause;
  }
}

/**
 * Runs `fn` on a reader over a required control value and wraps every
 * BerError into ControlValueError. The value must be fully consumed by a
 * single outer element (trailing bytes are rejected).
 */
export function decodeValue<T>(oid: string, value: Buffer | undefined, fn: (r: BerReader) => T): T {
  if (value === undefined) throw new ControlValueError(oid, 'missing controlValue');
  try {
    const r = new BerReader(value);
    const v = fn(r);
    if (!r.atEnd()) throw new BerError('ERR_BER_TRAILING_DATA', 'trailing bytes in control value', r.pos);
    return v;
  } catch (e) {
    if (e instanceof ControlValueError) throw e;
    if (e instanceof BerError) throw new ControlValueError(oid, `${e.code}: ${e.message}`, e);
    throw e;
  }
}

/** INTEGER read as an unsigned 32-bit flag word: accepts a negative (signed
 *  32-bit, as Windows clients send 0x80000000) or a positive encoding. */
export function readFlags32(r: BerReader): number {
  const at = r.pos;
  const v = r.readInt();
  if (v < -0x80000000 || v > 0xffffffff) throw new BerError('ERR_BER_INTEGER_RANGE', `flags ${v} not a 32-bit value`, at);
  return v >>> 0;
}

/** Flag words are encoded as signed 32-bit INTEGERs, like Windows clients do. */
export function flagsToSigned(flags: number): number {
  return flags | 0;
}

/** A control without a controlValue (RFC 4511 4.1.11 "controlValue ... absent").
 *  A value sent anyway is ignored. */
export type NoValue = Record<string, never>;

export function valuelessControl(oid: string, name: string): ControlCodec<NoValue, never> {
  return {
    oid,
    name,
    decodeRequest: () => ({}),
    encodeRequest: () => undefined,
  };
}

/** A control whose request value is SEQUENCE { flags INTEGER } (SD_FLAGS, SEARCH_OPTIONS): flags decoded unsigned, encoded signed 32-bit. */
export interface FlagsRequestValue {
  flags: number;
}
export function flagsControl(oid: string, name: string): ControlCodec<FlagsRequestValue, never> {
  return {
    oid,
    name,
    decodeRequest(value) {
      return decodeValue(oid, value, (r) => {
        r.enter();
        const flags = readFlags32(r);
        r.leave();
        return { flags };
      });
    },
    encodeRequest(v) {
      const w = new BerWriter(16);
      w.startSequence();
      w.writeInt(flagsToSigned(v.flags));
      w.endSequence();
      return w.toBuffer();
    },
  };
}
