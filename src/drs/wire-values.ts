// Each syntax's DRS wire form: the bytes of an ATTRVAL (MS-DRSR 5.16 ATTRVAL, "the encoding of
// the attribute varies by syntax") for the stored form of src/schema/syntaxes. One table keyed
// by the syntax's name, next to the LDAP forms the syntax modules define:
//
//   Boolean                          ULONG, 0 or 1
//   Integer, Enumeration             LONG, little-endian
//   LargeInteger                     LONGLONG, little-endian
//   String(UTC-Time), (Generalized)  DSTIME: LONGLONG seconds since 1601
//   String(Unicode)                  UTF-16LE, no terminator
//   String(Case/IA5/Printable/Numeric/Teletex)
//                                    the value's octets (as LDAP sends them), no terminator
//   Object(Presentation-Address)     SYNTAX_ADDRESS: dataLen (ULONG, 4 + the string's bytes), the
//                                    string in UTF-16LE
//   String(Octet/Sid/NT-Sec-Desc), Object(Replica-Link)
//                                    the octets
//   String(Object-Identifier)        ATTRTYP (ULONG) of the OID through the prefix table (MS-DRSR 5.16.4)
//   Object(DS-DN), Object(OR-Name)   DSNAME (concrete type of MS-DRSR 5.49 DSName) without NDR: structLen, SidLen, Guid,
//                                    Sid[28], NameLen, StringName (UTF-16LE with its NUL)
//   Object(DN-Binary), Object(DN-String), Object(Access-Point)
//                                    SYNTAX_DISTNAME_BINARY (MS-DRSR 5.193): that DSNAME (structLen
//                                    up to StringName), padding to 4 bytes, dataLen (= 4 + the data's
//                                    length), the data (the binary part; the string's UTF-8 octets)
//
// Checked against Samba's own conversion of the same LDAP values (test/drs/wire-values.test.ts).
import type { AccessPoint, DNBinary, DNString, DSName, StoredValue } from '../schema/syntaxes/syntax.js';
import type { PrefixTable } from '../schema/prefix-table.js';
import { isUtf8 } from 'node:buffer';

export class WireValueError extends Error {
  readonly code = 'ERR_DRS_WIRE_VALUE';
  constructor(
    readonly syntax: string,
    reason: string,
  ) {
    super(`${syntax} ATTRVAL: ${reason}`);
    this.name = 'WireValueError';
  }
}

/** What encoding needs: the prefix table the message will carry (prefixes are added to it) and current DNs. */
export interface ToDrsContext {
  prefixTable: PrefixTable;
  /** the referenced object's current DN (references follow renames) */
  dnOf(ref: DSName): string;
}
/** What decoding needs: the sender's prefix table (ATTRTYP → OID). */
export interface FromDrsContext {
  prefixTable: PrefixTable;
}

/**
 * Where a one-pass encoder (reply-stub.ts) appends ATTRVAL bytes: the value's bytes one after
 * the other, no alignment, little-endian integers as the Buffer.write* methods write them.
 */
export interface ValueSink {
  bytes(b: Uint8Array): void;
  u32(v: number): void;
  i32(v: number): void;
  i64(v: bigint): void;
  utf16(s: string): void;
  utf8(s: string): void;
  zeros(n: number): void;
}

export interface WireForm {
  toDrs(v: StoredValue, ctx: ToDrsContext): Buffer;
  fromDrs(b: Buffer, ctx: FromDrsContext): StoredValue;
  /** toDrs's bytes appended to `out` without a Buffer of their own (the common syntaxes); else the encoder appends toDrs's */
  drsInto?(v: StoredValue, ctx: ToDrsContext, out: ValueSink): void;
  /** fromDrs is a copy of the bytes: a decoder may hand out one copy for equal values (stored values are never changed in place) */
  readonly copiesBytes?: boolean;
}

// ---- DSNAME as an attribute value ----------------------------------------------------------

const DSNAME_FIXED = 56; // structLen, SidLen, Guid(16), Sid(28), NameLen

/** A DSNAME value (laid out without NDR, as in ATTRVAL and REPLVALINF Aval). */
export function encodeDsnameValue(guid: Uint8Array, sid: Uint8Array | undefined, dn: string): Buffer {
  const name = Buffer.from(dn + '\0', 'utf16le');
  const b = Buffer.alloc(DSNAME_FIXED + name.length);
  const sidLen = sid?.length ?? 0;
  if (sidLen > 28) throw new WireValueError('DSNAME', `a SID of ${sidLen} bytes does not fit`);
  b.writeUInt32LE(b.length, 0);
  b.writeUInt32LE(sidLen, 4);
  b.set(guid, 8);
  if (sid) b.set(sid, 24);
  b.writeUInt32LE(name.length / 2 - 1, 52);
  name.copy(b, 56);
  return b;
}

/** encodeDsnameValue's bytes appended to a sink. */
function dsnameInto(out: ValueSink, guid: Uint8Array, sid: Uint8Array | undefined, dn: string): void {
  const sidLen = sid?.length ?? 0;
  if (sidLen > 28) throw new WireValueError('DSNAME', `a SID of ${sidLen} bytes does not fit`);
  out.u32(DSNAME_FIXED + 2 * dn.length + 2);
  out.u32(sidLen);
  out.bytes(guid);
  if (sid) out.bytes(sid);
  out.zeros(28 - sidLen);
  out.u32(dn.length);
  out.utf16(dn);
  out.zeros(2);
}

export interface DecodedDsname {
  guid: Buffer;
  sid: Buffer;
  dn: string;
  /** bytes of the DSNAME (structLen) */
  length: number;
}

export function decodeDsnameValue(b: Buffer, what = 'DSNAME'): DecodedDsname {
  if (b.length < DSNAME_FIXED + 2) throw new WireValueError(what, 'shorter than a DSNAME');
  const structLen = b.readUInt32LE(0);
  const sidLen = b.readUInt32LE(4);
  const nameLen = b.readUInt32LE(52);
  if (sidLen > 28) throw new WireValueError(what, `SidLen ${sidLen}`);
  const end = DSNAME_FIXED + 2 * (nameLen + 1);
  if (end > b.length || structLen < end || structLen > b.length) throw new WireValueError(what, 'NameLen or structLen outside the value');
  return { guid: Buffer.from(b.subarray(8, 24)), sid: Buffer.from(b.subarray(24, 24 + sidLen)), dn: b.toString('utf16le', DSNAME_FIXED, DSNAME_FIXED + 2 * nameLen), length: structLen };
}

function refOf(d: DecodedDsname): DSName {
  const r: DSName = { guid: d.guid, dn: d.dn };
  if (d.sid.length) r.sid = d.sid;
  return r;
}

/** SYNTAX_DISTNAME_BINARY (MS-DRSR 5.193): DSNAME, pad to 4, dataLen, data. */
export function encodeDistnameBinary(ref: DSName, dn: string, data: Buffer): Buffer {
  const name = encodeDsnameValue(ref.guid, ref.sid, dn);
  const pad = (4 - (name.length % 4)) % 4;
  const b = Buffer.alloc(name.length + pad + 4 + data.length);
  name.copy(b, 0);
  b.writeUInt32LE(data.length + 4, name.length + pad);
  data.copy(b, name.length + pad + 4);
  return b;
}

export function decodeDistnameBinary(b: Buffer, what: string): { ref: DSName; data: Buffer } {
  const d = decodeDsnameValue(b, what);
  const at = d.length + ((4 - (d.length % 4)) % 4);
  if (at + 4 > b.length) throw new WireValueError(what, 'no dataLen');
  const dataLen = b.readUInt32LE(at);
  if (dataLen < 4 || at + dataLen !== b.length) throw new WireValueError(what, `dataLen ${dataLen} does not end the value`);
  return { ref: refOf(d), data: Buffer.from(b.subarray(at + 4)) };
}

// ---- the forms ----------------------------------------------------------------------------------

function bytes(v: StoredValue): Buffer {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  throw new WireValueError('octets', `not a string or bytes: ${typeof v}`);
}
function bytesInto(v: StoredValue, out: ValueSink): void {
  if (typeof v === 'string') out.utf8(v);
  else if (v instanceof Uint8Array) out.bytes(v);
  else throw new WireValueError('octets', `not a string or bytes: ${typeof v}`);
}
function need(b: Buffer, n: number, syntax: string): void {
  if (b.length !== n) throw new WireValueError(syntax, `${b.length} bytes, expected ${n}`);
}

const u32Form = (syntax: string): WireForm => ({
  toDrs(v) {
    const b = Buffer.alloc(4);
    b.writeInt32LE(Number(v) | 0);
    return b;
  },
  drsInto: (v, _ctx, out) => out.i32(Number(v) | 0),
  fromDrs(b) {
    need(b, 4, syntax);
    return b.readInt32LE(0);
  },
});

const timeForm = (syntax: string): WireForm => ({
  toDrs(v) {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(BigInt(v as number));
    return b;
  },
  drsInto: (v, _ctx, out) => out.i64(BigInt(v as number)),
  fromDrs(b) {
    need(b, 8, syntax);
    return Number(b.readBigInt64LE(0));
  },
});

/** octets as LDAP sends them; back to a string when they are UTF-8 (the stored form's rule) */
const octetString: WireForm = {
  toDrs: (v) => bytes(v),
  drsInto: (v, _ctx, out) => bytesInto(v, out),
  fromDrs: (b) => (isUtf8(b) ? b.toString('utf8') : Buffer.from(b)),
};
/** ASCII-only syntaxes, always strings in the store */
const asciiString: WireForm = {
  toDrs: (v) => bytes(v),
  drsInto: (v, _ctx, out) => bytesInto(v, out),
  fromDrs: (b) => b.toString('latin1'),
};
const rawBytes: WireForm = {
  toDrs: (v) => bytes(v),
  drsInto: (v, _ctx, out) => bytesInto(v, out),
  fromDrs: (b) => Buffer.from(b),
  copiesBytes: true,
};

const dsdn: WireForm = {
  toDrs(v, ctx) {
    const r = v as DSName;
    return encodeDsnameValue(r.guid, r.sid, ctx.dnOf(r));
  },
  drsInto(v, ctx, out) {
    const r = v as DSName;
    dsnameInto(out, r.guid, r.sid, ctx.dnOf(r));
  },
  fromDrs(b) {
    const d = decodeDsnameValue(b, 'Object(DS-DN)');
    if (d.length !== b.length) throw new WireValueError('Object(DS-DN)', 'bytes after the DSNAME');
    return refOf(d);
  },
};

export const WIRE_FORMS: ReadonlyMap<string, WireForm> = new Map<string, WireForm>([
  [
    'Boolean',
    {
      toDrs(v) {
        const b = Buffer.alloc(4);
        b.writeUInt32LE(v === true ? 1 : 0);
        return b;
      },
      drsInto: (v, _ctx, out) => out.u32(v === true ? 1 : 0),
      fromDrs(b) {
        need(b, 4, 'Boolean');
        return b.readUInt32LE(0) !== 0;
      },
    },
  ],
  ['Integer', u32Form('Integer')],
  ['Enumeration', u32Form('Enumeration')],
  [
    'LargeInteger',
    {
      toDrs(v) {
        const b = Buffer.alloc(8);
        b.writeBigInt64LE(BigInt(v as bigint | number));
        return b;
      },
      drsInto: (v, _ctx, out) => out.i64(BigInt(v as bigint | number)),
      fromDrs(b) {
        need(b, 8, 'LargeInteger');
        return b.readBigInt64LE(0);
      },
    },
  ],
  ['String(UTC-Time)', timeForm('String(UTC-Time)')],
  ['String(Generalized-Time)', timeForm('String(Generalized-Time)')],
  [
    'String(Unicode)',
    {
      toDrs: (v) => Buffer.from(v as string, 'utf16le'),
      drsInto: (v, _ctx, out) => (typeof v === 'string' ? out.utf16(v) : out.bytes(Buffer.from(v as never, 'utf16le'))),
      fromDrs(b) {
        if (b.length % 2) throw new WireValueError('String(Unicode)', 'an odd number of bytes');
        return b.toString('utf16le');
      },
    },
  ],
  ['String(Case)', octetString],
  ['String(Teletex)', asciiString],
  ['String(IA5)', asciiString],
  ['String(Printable)', asciiString],
  ['String(Numeric)', asciiString],
  [
    'Object(Presentation-Address)',
    {
      toDrs(v) {
        const s = Buffer.from(typeof v === 'string' ? v : bytes(v).toString('utf8'), 'utf16le');
        const b = Buffer.alloc(4 + s.length);
        b.writeUInt32LE(b.length);
        s.copy(b, 4);
        return b;
      },
      fromDrs(b) {
        if (b.length < 4 || b.readUInt32LE(0) !== b.length || b.length % 2) throw new WireValueError('Object(Presentation-Address)', 'dataLen does not match');
        return b.toString('utf16le', 4);
      },
    },
  ],
  ['String(Octet)', rawBytes],
  ['String(Sid)', rawBytes],
  ['String(NT-Sec-Desc)', rawBytes],
  ['Object(Replica-Link)', rawBytes],
  [
    'String(Object-Identifier)',
    {
      // MS-DRSR 5.16.4 MakeAttid / OidFromAttid
      toDrs(v, ctx) {
        const b = Buffer.alloc(4);
        b.writeUInt32LE(ctx.prefixTable.makeAttrTyp(v as string));
        return b;
      },
      drsInto: (v, ctx, out) => out.u32(ctx.prefixTable.makeAttrTyp(v as string)),
      fromDrs(b, ctx) {
        need(b, 4, 'String(Object-Identifier)');
        try {
          return ctx.prefixTable.oidFromAttrTyp(b.readUInt32LE(0));
        } catch (e) {
          throw new WireValueError('String(Object-Identifier)', (e as Error).message);
        }
      },
    },
  ],
  ['Object(DS-DN)', dsdn],
  ['Object(OR-Name)', dsdn],
  [
    'Object(DN-Binary)',
    {
      toDrs(v, ctx) {
        const x = v as DNBinary;
        return encodeDistnameBinary(x.ref, ctx.dnOf(x.ref), Buffer.from(x.binary));
      },
      fromDrs(b) {
        const { ref, data } = decodeDistnameBinary(b, 'Object(DN-Binary)');
        return { ref, binary: data } satisfies DNBinary;
      },
    },
  ],
  [
    'Object(DN-String)',
    {
      toDrs(v, ctx) {
        const x = v as DNString;
        return encodeDistnameBinary(x.ref, ctx.dnOf(x.ref), Buffer.from(x.str, 'utf8'));
      },
      fromDrs(b) {
        const { ref, data } = decodeDistnameBinary(b, 'Object(DN-String)');
        return { ref, str: data.toString('utf8') } satisfies DNString;
      },
    },
  ],
  [
    'Object(Access-Point)',
    {
      toDrs(v, ctx) {
        const x = v as AccessPoint;
        return encodeDistnameBinary(x.ref, ctx.dnOf(x.ref), Buffer.from(x.address, 'utf8'));
      },
      fromDrs(b) {
        const { ref, data } = decodeDistnameBinary(b, 'Object(Access-Point)');
        return { ref, address: data.toString('utf8') } satisfies AccessPoint;
      },
    },
  ],
]);

/** The wire form of a syntax (by its MS-ADTS name); every one of the 23 has one. */
export function wireForm(syntaxName: string): WireForm {
  const f = WIRE_FORMS.get(syntaxName);
  if (!f) throw new WireValueError(syntaxName, 'no DRS form');
  return f;
}
