// The stored form of an object, of its attributes' replication metadata and of link values.
// The store never interprets attribute values: they arrive already in the stored form of
// their syntax (src/schema/syntaxes) and are packed with MessagePack.
import { Packr } from 'msgpackr';

/**
 * AttributeStamp (MS-ADTS 3.1.1.1.9, MS-DRSR 5.11) plus the local USN at which the
 * attribute was last applied on this DC (usnLocal, the DS_REPL_ATTR_META_DATA usnLocalChange).
 * uuidOriginating is kept as an index into the DC's invocation table (see store.ts) so a
 * stamp costs a few bytes instead of sixteen.
 */
export interface AttributeStamp {
  dwVersion: number;
  /** seconds since 1601-01-01 UTC */
  timeChanged: number;
  uuidOriginating: Buffer;
  usnOriginating: number;
  usnLocal: number;
}

/** LinkValueStamp (MS-ADTS 3.1.1.1.9, MS-DRSR 5.117): an AttributeStamp plus timeCreated and timeDeleted. */
export interface LinkValueStamp extends AttributeStamp {
  timeCreated: number;
  /** 0 while the value is present; otherwise the value is a tombstoned link value */
  timeDeleted: number;
}

/** One attribute of an object: its values (stored form) and, for replicated attributes, its stamp. */
export interface StoredAttribute {
  /** ATTRTYP of the attribute (MS-DRSR 5.14), mapped through the DC's prefix table */
  id: number;
  values: unknown[];
  /** present on every replicated attribute that has ever had a value, even after all values are removed */
  stamp?: AttributeStamp;
}

/**
 * An object of the state model (MS-ADTS 3.1.1.1.3). Its objectGUID is the record's key. Its
 * DN is never stored: it is derived from `parent` and the RDN (name, rdnType).
 */
export interface ObjectRecord {
  /** the abstract `parent` attribute: objectGUID of the parent; null for an NC head (its DN is ncName) */
  parent: Buffer | null;
  /** objectGUID of the head of the NC replica the object lies in (itself for an NC head) */
  nc: Buffer;
  /** rdnType: ATTRTYP of the RDN attribute */
  rdnType: number;
  /** the RDN value; the `name` attribute and the RDN attribute equal it (MS-ADTS 3.1.1.1.4) */
  name: string;
  /** for NC heads only: the DN of the NC, since its superiors are not objects of this NC */
  ncName?: string;
  /** the local USN at which the object was created (uSNCreated), not replicated */
  usnCreated: number;
  /** the local USN of the last change applied to the object (uSNChanged), not replicated */
  usnChanged: number;
  /** whenChanged, seconds since 1601, not replicated */
  whenChanged: number;
  attrs: StoredAttribute[];
}

/** A forward-link value (MS-ADTS 3.1.1.1.6, 3.1.1.1.9). Key: source, linkID, target, binary part. */
export interface LinkValue {
  source: Buffer;
  /** linkID of the forward link attribute (even) */
  linkId: number;
  /** ATTRTYP of the forward link attribute */
  attid: number;
  target: Buffer;
  /** the binary/string part of an Object(DN-Binary) or Object(DN-String) value, else empty */
  data: Buffer;
  /** the stored extra of the value (e.g. the string part's text, a target SID); opaque to the store */
  extra?: unknown;
  stamp: LinkValueStamp;
  /** true while the value is deactivated because its source or target is a deleted-object (Recycle Bin) */
  deactivated?: boolean;
  /**
   * true while a present value is absent because its source or target is a tombstone (Recycle
   * Bin off): this DC's own link clean-up, never replicated and never stamped (MS-DRSR 5.160,
   * MS-ADTS 3.1.1.5.5.6.1; see src/dsa/model/lifecycle.ts hideLinks)
   */
  hidden?: boolean;
}

// ---- encoding -------------------------------------------------------------------------

export const packr = new Packr({ useRecords: false, int64AsType: 'bigint', mapsAsObjects: true, variableMapSize: true });

type PackedStamp = [number, number, number, number, number];

export interface InvocationTable {
  indexOf(invocationId: Buffer): number;
  byIndex(i: number): Buffer;
  /**
   * The security descriptor table (as AD's SD table): the attribute whose single value is
   * kept once per distinct value in the store's `sds` database and referenced from records
   * by a 16-byte key. Absent: values are kept in the record.
   */
  readonly sdAttid?: number | undefined;
  sdRef?(sd: Uint8Array): Buffer;
  sdGet?(key: Buffer): Buffer;
}

function packStamp(s: AttributeStamp, inv: InvocationTable): PackedStamp {
  return [s.dwVersion, s.timeChanged, inv.indexOf(s.uuidOriginating), s.usnOriginating, s.usnLocal];
}
function unpackStamp(p: PackedStamp, inv: InvocationTable): AttributeStamp {
  return { dwVersion: p[0], timeChanged: p[1], uuidOriginating: inv.byIndex(p[2]), usnOriginating: p[3], usnLocal: p[4] };
}

/**
 * Record layout (format 2): a fixed naming header, then the MessagePack body.
 *
 *   u8   format (2)
 *   u8   flags: bit 0 = has parent, bit 1 = has ncName
 *   16   parent objectGUID (zeros when none)
 *   16   nc objectGUID
 *   u32  rdnType
 *   u64  uSNChanged
 *   u16  byte length of name, then name (UTF-8)
 *   msgpack [usnCreated, whenChanged, attrs, ncName]
 *
 * DN derivation and resolution read only the header (readHeader), never the attributes.
 */
const RECORD_FORMAT = 2;
const HEADER_FIXED = 2 + 16 + 16 + 4 + 8 + 2;
/** offset of the name length; the name follows it */
const NAME_AT = 46;

/** The naming part of an object record: enough to derive and resolve DNs. */
export interface RecordHeader {
  parent: Buffer | null;
  nc: Buffer;
  rdnType: number;
  name: string;
  usnChanged: number;
  hasNcName: boolean;
}

/**
 * The record of `r` (layout above). The MessagePack body is written by BodyWriter, which lays
 * out exactly what msgpackr's packr.pack of the same array does (encodeObjectReference, which
 * the tests hold it to byte for byte), without msgpackr's per-value dispatch: a record is
 * written for every object a replica applies.
 */
export function encodeObject(r: ObjectRecord, inv: InvocationTable): Buffer {
  const nameLen = Buffer.byteLength(r.name, 'utf8');
  if (nameLen > 0xffff) throw new Error('object name too long for the record header');
  const w = new BodyWriter(NAME_AT + 2 + nameLen + 64 + 48 * r.attrs.length);
  const out = w.b;
  writeHeader(out, r, nameLen);
  w.p = NAME_AT + 2 + nameLen;
  // msgpack [usnCreated, whenChanged, attrs, ncName]
  w.b[w.p++] = 0x94;
  w.number(r.usnCreated);
  w.number(r.whenChanged);
  w.arrayHead(r.attrs.length);
  // attributes that share one stamp object (a new object's, createObject; a replicated one's) share its packed form
  let last: AttributeStamp | undefined;
  let lastAt = 0;
  let lastEnd = 0;
  for (const a of r.attrs) {
    // [id, values, stamp?] or, for a security descriptor kept in the SD table, [id, [key], stamp | null, 1]
    const sd = a.id === inv.sdAttid && inv.sdRef && a.values.length === 1 && a.values[0] instanceof Uint8Array;
    w.room(16);
    w.b[w.p++] = sd ? 0x94 : a.stamp ? 0x93 : 0x92;
    w.number(a.id);
    if (sd) {
      w.room(1);
      w.b[w.p++] = 0x91;
      w.value(inv.sdRef!(a.values[0] as Uint8Array));
    } else w.array(a.values);
    if (a.stamp) {
      if (a.stamp === last) w.again(lastAt, lastEnd);
      else {
        last = a.stamp;
        lastAt = w.p;
        w.array(packStamp(a.stamp, inv));
        lastEnd = w.p;
      }
    } else if (sd) {
      w.room(1);
      w.b[w.p++] = 0xc0;
    }
    if (sd) {
      w.room(1);
      w.b[w.p++] = 1;
    }
  }
  w.value(r.ncName ?? null);
  return w.b.subarray(0, w.p);
}

function writeHeader(out: Buffer, r: ObjectRecord, nameLen: number): void {
  out[0] = RECORD_FORMAT;
  out[1] = (r.parent ? 1 : 0) | (r.ncName !== undefined ? 2 : 0);
  if (r.parent) out.set(r.parent, 2);
  else out.fill(0, 2, 18);
  out.set(r.nc, 18);
  out.writeUInt32BE(r.rdnType >>> 0, 34);
  out.writeBigUInt64BE(BigInt(r.usnChanged), 38);
  out.writeUInt16BE(nameLen, NAME_AT);
  out.write(r.name, NAME_AT + 2, 'utf8');
}

/** encodeObject through msgpackr: the reference BodyWriter is held to (tests). */
export function encodeObjectReference(r: ObjectRecord, inv: InvocationTable): Buffer {
  let last: AttributeStamp | undefined;
  let lastPacked: PackedStamp | undefined;
  const packed = (s: AttributeStamp): PackedStamp => (s === last ? lastPacked! : (lastPacked = packStamp((last = s), inv)));
  const attrs = r.attrs.map((a) => {
    if (a.id === inv.sdAttid && inv.sdRef && a.values.length === 1 && a.values[0] instanceof Uint8Array) return [a.id, [inv.sdRef(a.values[0])], a.stamp ? packed(a.stamp) : null, 1];
    return a.stamp ? [a.id, a.values, packed(a.stamp)] : [a.id, a.values];
  });
  const body = packr.pack([r.usnCreated, r.whenChanged, attrs, r.ncName ?? null]);
  const nameLen = Buffer.byteLength(r.name, 'utf8');
  if (nameLen > 0xffff) throw new Error('object name too long for the record header');
  const out = Buffer.allocUnsafe(HEADER_FIXED + nameLen + body.length);
  writeHeader(out, r, nameLen);
  body.copy(out, NAME_AT + 2 + nameLen);
  return out;
}

/**
 * MessagePack as packr (useRecords false, variableMapSize, int64AsType bigint) writes it, for
 * the values records hold: numbers, strings, booleans, null, arrays, byte arrays, plain objects
 * (references: DSName, DN-Binary …) and 64-bit bigints; anything else is packed by packr
 * itself and copied (a value's MessagePack does not depend on what surrounds it).
 */
/**
 * A MessagePack length or unsigned value `n` (n >= 0x100 where there is no 8-bit form) after the
 * tag of its size, tags `t8`/`t16`/`t32` (`t8` < 0: the form has no 8-bit size, arrays); returns
 * the offset after it.
 */
function sizedHead(b: Buffer, p: number, n: number, t8: number, t16: number, t32: number): number {
  if (t8 >= 0 && n < 0x100) {
    b[p++] = t8;
    b[p++] = n;
  } else if (n < 0x10000) {
    b[p++] = t16;
    b[p++] = n >> 8;
    b[p++] = n & 0xff;
  } else {
    b[p++] = t32;
    b.writeUInt32BE(n, p);
    p += 4;
  }
  return p;
}

class BodyWriter {
  b: Buffer;
  p = 0;
  constructor(size: number) {
    this.b = Buffer.allocUnsafe(size);
  }
  room(n: number): void {
    if (this.p + n <= this.b.length) return;
    const next = Buffer.allocUnsafe(Math.max(2 * this.b.length, this.p + n + 256));
    this.b.copy(next, 0, 0, this.p);
    this.b = next;
  }
  /** the bytes written at [at, end) once more */
  again(at: number, end: number): void {
    this.room(end - at);
    this.b.copyWithin(this.p, at, end);
    this.p += end - at;
  }
  arrayHead(n: number): void {
    this.room(5);
    const b = this.b;
    if (n < 0x10) b[this.p++] = 0x90 | n;
    else this.p = sizedHead(b, this.p, n, -1, 0xdc, 0xdd);
  }
  array(a: readonly unknown[]): void {
    this.arrayHead(a.length);
    for (let i = 0; i < a.length; i++) this.value(a[i]);
  }
  number(v: number): void {
    this.room(9);
    const b = this.b;
    if (v >>> 0 === v) {
      if (v < 0x80) b[this.p++] = v;
      else this.p = sizedHead(b, this.p, v, 0xcc, 0xcd, 0xce);
    } else if (v >> 0 === v) {
      if (v >= -0x20) b[this.p++] = 0x100 + v;
      else if (v >= -0x80) {
        b[this.p++] = 0xd0;
        b[this.p++] = v + 0x100;
      } else if (v >= -0x8000) {
        b[this.p++] = 0xd1;
        b.writeInt16BE(v, this.p);
        this.p += 2;
      } else {
        b[this.p++] = 0xd2;
        b.writeInt32BE(v, this.p);
        this.p += 4;
      }
    } else {
      b[this.p++] = 0xcb;
      b.writeDoubleBE(v, this.p);
      this.p += 8;
    }
  }
  string(v: string): void {
    const n = v.length;
    const head = n < 0x20 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5;
    // at most 3 bytes per code unit, and a head up to 4 bytes longer than guessed
    this.room(head + 3 * n + 4);
    const b = this.b;
    const at = this.p + head;
    let len: number;
    if (n < 0x40) {
      // msgpackr's own loop for short strings (a lone surrogate is written as its 3-byte form)
      let q = at;
      for (let i = 0; i < n; i++) {
        let c1 = v.charCodeAt(i);
        let c2: number;
        if (c1 < 0x80) b[q++] = c1;
        else if (c1 < 0x800) {
          b[q++] = (c1 >> 6) | 0xc0;
          b[q++] = (c1 & 0x3f) | 0x80;
        } else if ((c1 & 0xfc00) === 0xd800 && ((c2 = v.charCodeAt(i + 1)) & 0xfc00) === 0xdc00) {
          c1 = 0x10000 + ((c1 & 0x03ff) << 10) + (c2 & 0x03ff);
          i++;
          b[q++] = (c1 >> 18) | 0xf0;
          b[q++] = ((c1 >> 12) & 0x3f) | 0x80;
          b[q++] = ((c1 >> 6) & 0x3f) | 0x80;
          b[q++] = (c1 & 0x3f) | 0x80;
        } else {
          b[q++] = (c1 >> 12) | 0xe0;
          b[q++] = ((c1 >> 6) & 0x3f) | 0x80;
          b[q++] = (c1 & 0x3f) | 0x80;
        }
      }
      len = q - at;
    } else len = b.write(v, at, 'utf8');
    // the head as msgpackr sizes it by the bytes written, the bytes moved when it guessed another size
    const need = len < 0x20 ? 1 : len < 0x100 ? 2 : len < 0x10000 ? 3 : 5;
    if (need !== head) b.copyWithin(this.p + need, at, at + len);
    const p = need === 1 ? ((b[this.p] = 0xa0 | len), this.p + 1) : sizedHead(b, this.p, len, 0xd9, 0xda, 0xdb);
    this.p = p + len;
  }
  bytes(v: Uint8Array): void {
    const n = v.byteLength;
    this.room(5 + n);
    const b = this.b;
    this.p = sizedHead(b, this.p, n, 0xc4, 0xc5, 0xc6);
    b.set(v, this.p);
    this.p += n;
  }
  value(v: unknown): void {
    switch (typeof v) {
      case 'number':
        return this.number(v);
      case 'string':
        return this.string(v);
      case 'boolean':
        this.room(1);
        this.b[this.p++] = v ? 0xc3 : 0xc2;
        return;
      case 'bigint':
        if (v < 0x8000000000000000n && v >= -0x8000000000000000n) {
          this.room(9);
          this.b[this.p++] = 0xd3;
          this.b.writeBigInt64BE(v, this.p);
          this.p += 8;
          return;
        }
        break;
      case 'object':
        if (v === null) {
          this.room(1);
          this.b[this.p++] = 0xc0;
          return;
        }
        if (v.constructor === Array) return this.array(v as unknown[]);
        if (v instanceof Uint8Array) return this.bytes(v);
        if (v.constructor === Object) {
          const keys = Object.keys(v);
          if (keys.length < 0x10) {
            this.room(1);
            this.b[this.p++] = 0x80 | keys.length;
            for (const k of keys) {
              this.string(k);
              this.value((v as Record<string, unknown>)[k]);
            }
            return;
          }
        }
        break;
    }
    const packed = packr.pack(v);
    this.room(packed.length);
    packed.copy(this.b, this.p);
    this.p += packed.length;
  }
}

/** The header of record `b`; `owned`: b is the caller's own copy, so the GUIDs are views of it, not copies. */
export function readHeader(b: Buffer, owned = false): RecordHeader {
  if (b[0] !== RECORD_FORMAT) throw new Error(`unknown object record format ${String(b[0])}`);
  const nameLen = b.readUInt16BE(NAME_AT);
  return {
    parent: b[1]! & 1 ? (owned ? b.subarray(2, 18) : Buffer.from(b.subarray(2, 18))) : null,
    nc: owned ? b.subarray(18, 34) : Buffer.from(b.subarray(18, 34)),
    rdnType: b.readUInt32BE(34),
    name: b.toString('utf8', NAME_AT + 2, NAME_AT + 2 + nameLen),
    usnChanged: Number(b.readBigUInt64BE(38)),
    hasNcName: (b[1]! & 2) !== 0,
  };
}

export function decodeObject(b: Buffer, inv: InvocationTable): ObjectRecord {
  const h = readHeader(b);
  const a = packr.unpack(b.subarray(NAME_AT + 2 + b.readUInt16BE(NAME_AT))) as unknown[];
  // most attributes of an object were written by one update: a packed stamp equal to the one
  // before it decodes to that same object (stamps are never changed in place, see update.ts)
  let lastPacked: PackedStamp | undefined;
  let lastStamp: AttributeStamp | undefined;
  const attrs = (a[2] as [number, unknown[], (PackedStamp | null)?, 1?][]).map(([id, v, s, ref]) => {
    const values = ref === 1 ? [inv.sdGet!(v[0] as Buffer)] : v;
    if (!s) return { id, values };
    const l = lastPacked;
    if (!l || l[0] !== s[0] || l[1] !== s[1] || l[2] !== s[2] || l[3] !== s[3] || l[4] !== s[4]) lastStamp = unpackStamp((lastPacked = s), inv);
    return { id, values, stamp: lastStamp! };
  });
  const rec: ObjectRecord = {
    parent: h.parent,
    nc: h.nc,
    rdnType: h.rdnType,
    name: h.name,
    usnCreated: a[0] as number,
    usnChanged: h.usnChanged,
    whenChanged: a[1] as number,
    attrs,
  };
  if (a[3] != null) rec.ncName = a[3] as string;
  return rec;
}

export function encodeLinkValue(l: LinkValue, inv: InvocationTable): Buffer {
  const s = l.stamp;
  return packr.pack([l.attid, s.dwVersion, s.timeChanged, inv.indexOf(s.uuidOriginating), s.usnOriginating, s.usnLocal, s.timeCreated, s.timeDeleted, (l.deactivated ? 1 : 0) | (l.hidden && s.timeDeleted === 0 ? 2 : 0), l.extra ?? null]);
}

export function decodeLinkValue(source: Buffer, linkId: number, target: Buffer, data: Buffer, b: Buffer, inv: InvocationTable): LinkValue {
  const a = packr.unpack(b) as number[];
  const lv: LinkValue = {
    source,
    linkId,
    attid: a[0]!,
    target,
    data,
    stamp: {
      dwVersion: a[1]!,
      timeChanged: a[2]!,
      uuidOriginating: inv.byIndex(a[3]!),
      usnOriginating: a[4]!,
      usnLocal: a[5]!,
      timeCreated: a[6]!,
      timeDeleted: a[7]!,
    },
  };
  if (a[8]! & 1) lv.deactivated = true;
  if (a[8]! & 2) lv.hidden = true;
  if (a[9] != null) lv.extra = a[9];
  return lv;
}

/** The attribute with ATTRTYP `id`, if the object has it in the state model (values or stamp). */
export function getAttr(r: ObjectRecord, id: number): StoredAttribute | undefined {
  if (r instanceof LazyObjectRecord) return r.attr(id);
  for (const a of r.attrs) if (a.id === id) return a;
  return undefined;
}

/** The values of attribute `id` of a record (undefined when it has none); of a lazy record without decoding the stamp. */
export function attrValues(r: ObjectRecord, id: number): unknown[] | undefined {
  if (r instanceof LazyObjectRecord) return r.valuesOf(id);
  for (const a of r.attrs) if (a.id === id) return a.values;
  return undefined;
}

// ---- light reads for the range path (a page of a huge group reads one header and one link
// row per value; these skip the copies and the MessagePack decode the full forms make) ------

/** The naming part of a record as DN derivation needs it: the parent's GUID as a latin1 string (a memo key; null for an NC head). */
export interface RecordNaming {
  parentKey: string | null;
  rdnType: number;
  name: string;
}

export function readNaming(b: Buffer): RecordNaming {
  if (b[0] !== RECORD_FORMAT) throw new Error(`unknown object record format ${String(b[0])}`);
  const nameLen = b.readUInt16BE(NAME_AT);
  return {
    parentKey: b[1]! & 1 ? b.toString('latin1', 2, 18) : null,
    rdnType: b.readUInt32BE(34),
    name: b.toString('utf8', NAME_AT + 2, NAME_AT + 2 + nameLen),
  };
}

/** Bytes after a MessagePack integer/float/nil head byte, or -1 for any other type. */
function scalarSize(h: number): number {
  if (h <= 0x7f || h >= 0xe0 || h === 0xc0 || h === 0xc2 || h === 0xc3) return 0;
  switch (h) {
    case 0xcc:
    case 0xd0:
      return 1;
    case 0xcd:
    case 0xd1:
      return 2;
    case 0xce:
    case 0xd2:
    case 0xca:
      return 4;
    case 0xcf:
    case 0xd3:
    case 0xcb:
      return 8;
  }
  return -1;
}

/**
 * Whether the packed link value `b` (encodeLinkValue) is present (timeDeleted 0), deactivated
 * and hidden, read from the bytes without decoding the value (falls back to the full decode for
 * any layout it does not expect).
 */
export function linkValueState(b: Buffer): { present: boolean; deactivated: boolean; hidden: boolean } {
  // [attid, dwVersion, timeChanged, inv, usnOriginating, usnLocal, timeCreated, timeDeleted, flags (1 deactivated, 2 hidden), extra]
  if (b[0] === 0x9a) {
    let p = 1;
    for (let i = 0; i < 7 && p >= 0; i++) {
      const s = scalarSize(b[p]!);
      p = s < 0 ? -1 : p + 1 + s;
    }
    if (p > 0 && p + 1 < b.length) {
      const td = b[p]!;
      const s = scalarSize(td);
      const q = p + 1 + s;
      const d = b[q];
      if (s >= 0 && d !== undefined && d <= 3) {
        // zero is 0x00 as msgpackr writes it; an integer or float head with all-zero bytes is zero too
        let zero = td === 0 || s > 0;
        for (let i = p + 1; zero && td !== 0 && i < q; i++) zero = b[i] === 0;
        return { present: zero, deactivated: (d & 1) !== 0, hidden: (d & 2) !== 0 };
      }
    }
  }
  const a = packr.unpack(b) as unknown[];
  const flags = Number(a[8] ?? 0);
  return { present: a[7] === 0, deactivated: (flags & 1) !== 0, hidden: (flags & 2) !== 0 };
}

// ---- lazy reads for the search path: the header and an attribute directory, values decoded
// when asked for ---------------------------------------------------------------------------

/**
 * What a MessagePack head byte says of its value's size: > 0 the whole value's bytes (head
 * included: scalars, fixstr, fixext); otherwise one of the SKIP_ kinds below, whose size is read
 * from the bytes after the head (or which holds items: arrays, maps).
 */
const SKIP_UNKNOWN = 0;
const SKIP_FIXARRAY = -1;
const SKIP_FIXMAP = -2;
const SKIP_LEN8 = -3; // bin 8, str 8
const SKIP_LEN16 = -4;
const SKIP_LEN32 = -5;
const SKIP_EXT8 = -6;
const SKIP_EXT16 = -7;
const SKIP_EXT32 = -8;
const SKIP_ARRAY16 = -9;
const SKIP_ARRAY32 = -10;
const SKIP_MAP16 = -11;
const SKIP_MAP32 = -12;
const SKIP_TABLE: Int8Array = (() => {
  const t = new Int8Array(256); // SKIP_UNKNOWN
  for (let h = 0; h <= 0x7f; h++) t[h] = 1; // positive fixint
  for (let h = 0xe0; h <= 0xff; h++) t[h] = 1; // negative fixint
  for (let h = 0x80; h <= 0x8f; h++) t[h] = SKIP_FIXMAP;
  for (let h = 0x90; h <= 0x9f; h++) t[h] = SKIP_FIXARRAY;
  for (let h = 0xa0; h <= 0xbf; h++) t[h] = 1 + (h & 0x1f); // fixstr
  t[0xc0] = t[0xc2] = t[0xc3] = 1; // nil, false, true
  t[0xc4] = t[0xd9] = SKIP_LEN8;
  t[0xc5] = t[0xda] = SKIP_LEN16;
  t[0xc6] = t[0xdb] = SKIP_LEN32;
  t[0xc7] = SKIP_EXT8;
  t[0xc8] = SKIP_EXT16;
  t[0xc9] = SKIP_EXT32;
  t[0xca] = 5; // float 32
  t[0xcb] = 9; // float 64
  t[0xcc] = t[0xd0] = 2; // (u)int 8
  t[0xcd] = t[0xd1] = 3;
  t[0xce] = t[0xd2] = 5;
  t[0xcf] = t[0xd3] = 9;
  t[0xd4] = 3; // fixext 1/2/4/8/16: type, data
  t[0xd5] = 4;
  t[0xd6] = 6;
  t[0xd7] = 10;
  t[0xd8] = 18;
  t[0xdc] = SKIP_ARRAY16;
  t[0xdd] = SKIP_ARRAY32;
  t[0xde] = SKIP_MAP16;
  t[0xdf] = SKIP_MAP32;
  return t;
})();

/**
 * Bytes of the MessagePack value at `p` (its head included), or -1 for a layout this does not
 * read. One loop over the value's items (a count of those still to skip), no recursion: the
 * lazy record scans every attribute of a record with it.
 */
function skipValue(b: Buffer, p: number): number {
  const n = b.length;
  for (let need = 1; need > 0; need--) {
    if (p >= n) return -1;
    const h = b[p]!;
    const k = SKIP_TABLE[h]!;
    if (k > 0) {
      p += k;
      continue;
    }
    switch (k) {
      case SKIP_FIXARRAY:
        need += h & 0x0f;
        p += 1;
        break;
      case SKIP_FIXMAP:
        need += 2 * (h & 0x0f);
        p += 1;
        break;
      case SKIP_LEN8:
        p += 2 + b[p + 1]!;
        break;
      case SKIP_LEN16:
        p += 3 + b.readUInt16BE(p + 1);
        break;
      case SKIP_LEN32:
        p += 5 + b.readUInt32BE(p + 1);
        break;
      case SKIP_EXT8: // ext 8/16/32: length, type, data
        p += 3 + b[p + 1]!;
        break;
      case SKIP_EXT16:
        p += 4 + b.readUInt16BE(p + 1);
        break;
      case SKIP_EXT32:
        p += 6 + b.readUInt32BE(p + 1);
        break;
      case SKIP_ARRAY16:
        need += b.readUInt16BE(p + 1);
        p += 3;
        break;
      case SKIP_ARRAY32:
        need += b.readUInt32BE(p + 1);
        p += 5;
        break;
      case SKIP_MAP16:
        need += 2 * b.readUInt16BE(p + 1);
        p += 3;
        break;
      case SKIP_MAP32:
        need += 2 * b.readUInt32BE(p + 1);
        p += 5;
        break;
      default:
        return -1;
    }
  }
  return p;
}

/** [count, offset of the first item] of the MessagePack array at `p`, or undefined when it is not an array. */
function arrayAt(b: Buffer, p: number): [number, number] | undefined {
  const h = b[p]!;
  if (h >= 0x90 && h <= 0x9f) return [h & 0x0f, p + 1];
  if (h === 0xdc) return [b.readUInt16BE(p + 1), p + 3];
  if (h === 0xdd) return [b.readUInt32BE(p + 1), p + 5];
  return undefined;
}

/** The element count of the array at `p`, or -1 when no array starts there. */
function arrayCount(b: Buffer, p: number): number {
  const h = b[p]!;
  if (h >= 0x90 && h <= 0x9f) return h & 0x0f;
  if (h === 0xdc) return b.readUInt16BE(p + 1);
  if (h === 0xdd) return b.readUInt32BE(p + 1);
  return -1;
}

/** The size of the array header at `p` (fixarray, array 16, array 32), or 0 when no array starts there. */
function arrayHeaderSize(b: Buffer, p: number): number {
  const h = b[p]!;
  if (h >= 0x90 && h <= 0x9f) return 1;
  if (h === 0xdc) return 3;
  if (h === 0xdd) return 5;
  return 0;
}

/** The unsigned integer at `p` (an attid), or -1 when it is not one. */
function uintAt(b: Buffer, p: number): number {
  const h = b[p]!;
  if (h <= 0x7f) return h;
  if (h === 0xcc) return b[p + 1]!;
  if (h === 0xcd) return b.readUInt16BE(p + 1);
  if (h === 0xce) return b.readUInt32BE(p + 1);
  return -1;
}

/** The number packed at b[p..end): the common integer and float forms read in place, any other by msgpackr. */
function numberAt(b: Buffer, p: number, end: number): number {
  const h = b[p]!;
  if (h === 0xcb) return b.readDoubleBE(p + 1);
  const u = uintAt(b, p);
  return u >= 0 ? u : (packr.unpack(b.subarray(p, end)) as number);
}

type PackedAttr = [number, unknown[], (PackedStamp | null)?, 1?];

/**
 * The packed attribute at b[p..end) read in place when every value is a string, a byte string,
 * a boolean, nil or a number msgpackr reads as a number (what most attributes hold); undefined
 * for any other form (maps, 64-bit integers, extensions), which msgpackr then reads.
 */
function packedAttrAt(b: Buffer, p: number, end: number): PackedAttr | undefined {
  const v = packedValuesAt(b, p, end);
  if (!v) return undefined;
  const { topN, id, values } = v;
  p = v.next;
  if (topN === 2) return [id, values];
  let stamp: PackedStamp | null = null;
  if (b[p] !== 0xc0) {
    if (arrayCount(b, p) !== 5) return undefined;
    let q = p + arrayHeaderSize(b, p);
    const f: number[] = [];
    for (let i = 0; i < 5; i++) {
      const n = scalarAt(b, q);
      if (n === undefined) return undefined;
      f.push(n);
      q = skipValue(b, q);
    }
    stamp = f as PackedStamp;
    p = q;
  } else p++;
  if (topN === 3) return [id, values, stamp];
  if (b[p] !== 0x01) return undefined;
  return [id, values, stamp, 1];
}

/**
 * The values of the packed attribute at b[p..end) and whether they are a reference to the SD
 * table (its 4th element), the stamp skipped, not read; undefined for a form packedAttrAt does
 * not read either.
 */
function packedValuesOnlyAt(b: Buffer, p: number, end: number): { values: unknown[]; ref: boolean } | undefined {
  const v = packedValuesAt(b, p, end);
  if (!v) return undefined;
  if (v.topN < 4) return { values: v.values, ref: false };
  const q = skipValue(b, v.next);
  if (q < 0 || q >= end || b[q] !== 0x01) return undefined;
  return { values: v.values, ref: true };
}

/** The element count, attid and values of the packed attribute at b[p..end), and where its stamp starts. */
function packedValuesAt(b: Buffer, p: number, end: number): { topN: number; id: number; values: unknown[]; next: number } | undefined {
  // array headers read in place (no tuple from arrayAt: this runs for every attribute a search reads)
  const topN = arrayCount(b, p);
  if (topN < 2 || topN > 4) return undefined;
  p += arrayHeaderSize(b, p);
  const id = uintAt(b, p);
  if (id < 0) return undefined;
  p = skipValue(b, p);
  const listN = arrayCount(b, p);
  if (listN < 0) return undefined;
  p += arrayHeaderSize(b, p);
  const values: unknown[] = new Array(listN);
  for (let i = 0; i < listN; i++) {
    const h = b[p]!;
    let s: number;
    let e: number;
    if (h >= 0xa0 && h <= 0xbf) {
      s = p + 1;
      e = s + (h & 0x1f);
      values[i] = b.toString('utf8', s, e);
    } else if (h === 0xd9 || h === 0xda || h === 0xdb) {
      s = p + (h === 0xd9 ? 2 : h === 0xda ? 3 : 5);
      e = s + (h === 0xd9 ? b[p + 1]! : h === 0xda ? b.readUInt16BE(p + 1) : b.readUInt32BE(p + 1));
      values[i] = b.toString('utf8', s, e);
    } else if (h === 0xc4 || h === 0xc5 || h === 0xc6) {
      s = p + (h === 0xc4 ? 2 : h === 0xc5 ? 3 : 5);
      e = s + (h === 0xc4 ? b[p + 1]! : h === 0xc5 ? b.readUInt16BE(p + 1) : b.readUInt32BE(p + 1));
      values[i] = b.subarray(s, e); // msgpackr too gives a view of the record's bytes
    } else if (h === 0xc2 || h === 0xc3) {
      values[i] = h === 0xc3;
      e = p + 1;
    } else if (h === 0xc0) {
      values[i] = null;
      e = p + 1;
    } else {
      const n = scalarAt(b, p);
      if (n === undefined) return undefined;
      values[i] = n;
      e = skipValue(b, p);
    }
    p = e;
  }
  if (p > end) return undefined;
  return { topN, id, values, next: p };
}

/** A number as msgpackr reads it (no 64-bit integers: those it may read as bigint), else undefined. */
function scalarAt(b: Buffer, p: number): number | undefined {
  const h = b[p]!;
  if (h <= 0x7f) return h;
  if (h >= 0xe0) return h - 0x100;
  switch (h) {
    case 0xcc:
      return b[p + 1]!;
    case 0xcd:
      return b.readUInt16BE(p + 1);
    case 0xce:
      return b.readUInt32BE(p + 1);
    case 0xd0:
      return b.readInt8(p + 1);
    case 0xd1:
      return b.readInt16BE(p + 1);
    case 0xd2:
      return b.readInt32BE(p + 1);
    case 0xcb:
      return b.readDoubleBE(p + 1);
  }
  return undefined;
}

function storedAttr(pa: PackedAttr, inv: InvocationTable): StoredAttribute {
  const [id, v, s, ref] = pa;
  const values = ref === 1 ? [inv.sdGet!(v[0] as Buffer)] : v;
  return s ? { id, values, stamp: unpackStamp(s, inv) } : { id, values };
}

/** packedVersion's length of an attribute the record does not have. */
const ABSENT = 0xffffffff;

/**
 * An object record read for a search: the naming header and a directory of its attributes
 * (attid and byte range of each), read from the bytes without building them; an attribute's
 * values (and its stamp) are decoded when `attr` asks for it, every attribute at the first read
 * of `attrs`. For reading only: it is a class instance, so `structuredClone` and object spread
 * do not copy `attrs` (writers read records with `ReadTxn.getObject`).
 */
export class LazyObjectRecord implements ObjectRecord {
  readonly parent: Buffer | null;
  readonly nc: Buffer;
  readonly rdnType: number;
  readonly name: string;
  readonly usnChanged: number;
  usnCreated = 0;
  whenChanged = 0;
  ncName?: string;
  /** attid, start, end of each attribute's packed [id, values, stamp?, ref?] */
  private readonly dir: number[];
  private all: StoredAttribute[] | undefined;
  private got: (StoredAttribute | undefined)[] | undefined;

  constructor(
    private readonly b: Buffer,
    private readonly inv: InvocationTable,
    h: RecordHeader,
    body: number,
  ) {
    this.parent = h.parent;
    this.nc = h.nc;
    this.rdnType = h.rdnType;
    this.name = h.name;
    this.usnChanged = h.usnChanged;
    const top = arrayAt(b, body);
    let dir: number[] | undefined;
    let p = -1;
    if (top && top[0] === 4) {
      const u = top[1];
      const w = skipValue(b, u);
      const at = w < 0 ? -1 : skipValue(b, w);
      const list = at < 0 ? undefined : arrayAt(b, at);
      if (list) {
        // sized once (a user's 40 attributes would otherwise grow it four times)
        dir = new Array<number>(3 * list[0]);
        p = list[1];
        for (let i = 0, n = 0; i < list[0] && p >= 0; i++) {
          const hs = arrayHeaderSize(b, p); // not arrayAt: no tuple per attribute
          const id = hs > 0 ? uintAt(b, p + hs) : -1;
          const end = id < 0 ? -1 : skipValue(b, p);
          if (end < 0) p = -1;
          else {
            dir[n++] = id;
            dir[n++] = p;
            dir[n++] = end;
            p = end;
          }
        }
        if (p >= 0) {
          this.usnCreated = numberAt(b, u, w);
          this.whenChanged = numberAt(b, w, at);
          if (b[p] !== 0xc0) this.ncName = packr.unpack(b.subarray(p, skipValue(b, p))) as string;
        }
      }
    }
    if (!dir || p < 0) {
      // a layout the scan does not read: the full decode
      const full = decodeObject(b, inv);
      this.usnCreated = full.usnCreated;
      this.whenChanged = full.whenChanged;
      if (full.ncName !== undefined) this.ncName = full.ncName;
      this.all = full.attrs;
      dir = [];
    }
    this.dir = dir;
  }

  /** Every attribute, decoded once. */
  get attrs(): StoredAttribute[] {
    if (!this.all) {
      const out: StoredAttribute[] = [];
      for (let i = 0; i < this.dir.length; i += 3) out.push(this.decodeAt(i));
      this.all = out;
    }
    return this.all;
  }

  /** The attribute with ATTRTYP `id` (values and stamp), decoding it alone. */
  attr(id: number): StoredAttribute | undefined {
    if (this.all) {
      for (const a of this.all) if (a.id === id) return a;
      return undefined;
    }
    const i = this.dirIndex(id);
    return i < 0 ? undefined : this.decodeAt(i);
  }

  /**
   * The values of attribute `id` (undefined when the record has none), without its stamp: what
   * filters, access checks and entries read (getAttr decodes the stamp too). Decoded once; the
   * same array as attr(id).values when that was decoded first.
   */
  valuesOf(id: number): unknown[] | undefined {
    if (this.all) {
      for (const a of this.all) if (a.id === id) return a.values;
      return undefined;
    }
    const i = this.dirIndex(id);
    if (i < 0) return undefined;
    const k = i / 3;
    const a = this.got?.[k];
    if (a) return a.values;
    const vals = (this.vals ??= []);
    let v = vals[k];
    if (!v) {
      const s = this.dir[i + 1]!;
      const e = this.dir[i + 2]!;
      const only = packedValuesOnlyAt(this.b, s, e);
      if (!only) return this.decodeAt(i).values;
      vals[k] = v = only.ref ? [this.inv.sdGet!(only.values[0] as Buffer)] : only.values;
    }
    return v;
  }
  private vals: (unknown[] | undefined)[] | undefined;

  /**
   * A key of attribute `id`'s values: the latin1 string of their packed bytes (the stamp left
   * out), nothing decoded. Records whose values are stored alike have the same key, and a key
   * names one list of values (the bytes decode to it). '' when the record has no such attribute;
   * undefined for a record read by the full decode or a layout packedAttrAt does not read.
   */
  valuesKey(id: number): string | undefined {
    if (this.all) return undefined;
    const i = this.dirIndex(id);
    if (i < 0) return '';
    const s = this.dir[i + 1]!;
    const e = this.dir[i + 2]!;
    const topN = arrayCount(this.b, s);
    if (topN < 2 || topN > 4) return undefined;
    const at = skipValue(this.b, s + arrayHeaderSize(this.b, s)); // past the attid
    const end = at < 0 ? -1 : skipValue(this.b, at);
    if (end < 0 || end > e) return undefined;
    return this.b.toString('latin1', at, end);
  }

  /** The attids of the record's attributes, in stored order (nothing decoded). */
  attrIds(): number[] {
    if (this.all) return this.all.map((a) => a.id);
    const out: number[] = [];
    for (let i = 0; i < this.dir.length; i += 3) out.push(this.dir[i]!);
    return out;
  }

  /**
   * The packed bytes of the attributes `ids` (values and stamps, as stored), each as a u32 length
   * (0xffffffff: absent) and its bytes, in one buffer: equal for two records exactly when those
   * attributes are stored alike. Undefined for a record read by the full decode (no directory).
   */
  packedVersion(ids: readonly number[]): Buffer | undefined {
    if (this.all) return undefined;
    const d = this.dir;
    let total = 0;
    for (const id of ids) {
      const i = this.dirIndex(id);
      total += 4 + (i < 0 ? 0 : d[i + 2]! - d[i + 1]!);
    }
    const out = Buffer.allocUnsafe(total);
    let p = 0;
    for (const id of ids) {
      const i = this.dirIndex(id);
      if (i < 0) {
        p = out.writeUInt32BE(ABSENT, p);
        continue;
      }
      const s = d[i + 1]!;
      const e = d[i + 2]!;
      p = out.writeUInt32BE(e - s, p);
      p += this.b.copy(out, p, s, e);
    }
    return out;
  }

  /** Whether `v` is this record's packedVersion(ids), compared in place (nothing copied). */
  packedVersionIs(ids: readonly number[], v: Buffer): boolean {
    if (this.all) return false;
    const d = this.dir;
    let p = 0;
    for (const id of ids) {
      if (p + 4 > v.length) return false;
      const len = v.readUInt32BE(p);
      p += 4;
      const i = this.dirIndex(id);
      if (i < 0) {
        if (len !== ABSENT) return false;
        continue;
      }
      const s = d[i + 1]!;
      const e = d[i + 2]!;
      if (len !== e - s || p + len > v.length || !sameBytes(this.b, s, v, p, len)) return false;
      p += len;
    }
    return p === v.length;
  }

  /** The position of attribute `id` in the directory, or -1. */
  private dirIndex(id: number): number {
    const d = this.dir;
    for (let i = 0; i < d.length; i += 3) if (d[i] === id) return i;
    return -1;
  }

  private decodeAt(i: number): StoredAttribute {
    const got = (this.got ??= []);
    const k = i / 3;
    let a = got[k];
    if (!a) {
      const s = this.dir[i + 1]!;
      const e = this.dir[i + 2]!;
      got[k] = a = storedAttr(packedAttrAt(this.b, s, e) ?? (packr.unpack(this.b.subarray(s, e)) as PackedAttr), this.inv);
      // values read before by valuesOf stay the ones callers hold
      const v = this.vals?.[k];
      if (v) a.values = v;
    }
    return a;
  }
}

/** Whether a[as..as+n) equals b[bs..bs+n): runs of up to 40 bytes byte by byte (no native call: 20 bytes 40 ns against 88 ns), longer ones by Buffer.compare. */
function sameBytes(a: Buffer, as: number, b: Buffer, bs: number, n: number): boolean {
  if (n > 40) return a.compare(b, bs, bs + n, as, as + n) === 0;
  for (let i = 0; i < n; i++) if (a[as + i] !== b[bs + i]) return false;
  return true;
}

/** An object record for reading (LazyObjectRecord): the header now, attributes when asked for. `b` must be the caller's own copy (it is kept). */
export function readObject(b: Buffer, inv: InvocationTable): LazyObjectRecord {
  const h = readHeader(b, true);
  return new LazyObjectRecord(b, inv, h, NAME_AT + 2 + b.readUInt16BE(NAME_AT));
}
