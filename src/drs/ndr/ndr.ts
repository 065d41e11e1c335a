// NDR (DCE 1.1: Remote Procedure Call, chapter 14 "Transfer Syntax NDR"; MS-RPCE for Microsoft's use of it),
// the NDR20 transfer syntax, little-endian, as MS-DRSR's IDL (MS-DRSR 7 Appendix A) needs it:
// primitives aligned to their size, structures aligned to their most aligned member,
// conformant arrays with the conformance hoisted to the front of the enclosing structure,
// conformant varying strings, unique/full pointers whose referents are deferred (embedded
// pointers: after the structure that holds them, depth first, in member order), and
// non-encapsulated unions with their discriminant.
//
// The deferral is done with an explicit stack, not recursion, so a REPLENTINFLIST of a
// hundred thousand entries (a linked list through pNextEntInf) needs no deep call stack.
//
// A type is an NdrType<T>: `write` puts the type's scalars at the current position and
// registers its pointees with `w.defer`; `read` is the inverse, and a pointer member's value
// arrives later through the `late` callback (the pointee is read when its turn comes).
// No module-level mutable state: writers and readers carry everything.

export type NdrErrorCode = 'ERR_NDR_TRUNCATED' | 'ERR_NDR_INVALID' | 'ERR_NDR_RANGE' | 'ERR_NDR_LIMIT' | 'ERR_NDR_TRAILING';

/** A stub that does not decode (or a value that cannot be encoded); `code` is stable. */
export class NdrError extends Error {
  constructor(
    readonly code: NdrErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'NdrError';
  }
}

type Thunk = () => void;

/** How big a decoded stub may get before the reader refuses it. */
export interface NdrReaderLimits {
  /** upper bound on any single array or string count (besides the IDL's own [range]) */
  maxCount: number;
}

const DEFAULT_LIMITS: NdrReaderLimits = { maxCount: 16 * 1024 * 1024 };

export class NdrWriter {
  // bytes are stored one by one (a Uint8Array store truncates to the low 8 bits, as the
  // Buffer.write* methods do after their range checks): cheaper than the methods for the few
  // bytes of each scalar. Alignment padding is zeroed explicitly (the buffer is not zero-filled).
  #buf: Buffer;
  #pos = 0;
  #ptrCount = 0;
  #pending: Thunk[] | null = null;

  constructor(initial = 1024) {
    this.#buf = Buffer.allocUnsafe(initial);
  }

  get length(): number {
    return this.#pos;
  }

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#pos + n) size *= 2;
    const b = Buffer.allocUnsafe(size);
    this.#buf.copy(b, 0, 0, this.#pos);
    this.#buf = b;
  }
  /** Pads to a multiple of `n` (a power of two) and makes room for `size` bytes after the padding; the new position. */
  #at(n: number, size: number): number {
    const from = this.#pos;
    const p = (from + n - 1) & -n;
    if (p + size > this.#buf.length) this.#room(p - from + size);
    const b = this.#buf;
    for (let i = from; i < p; i++) b[i] = 0;
    return p;
  }

  align(n: number): void {
    this.#pos = this.#at(n, 0);
  }
  u8(v: number): void {
    this.#room(1);
    this.#buf[this.#pos++] = v;
  }
  u16(v: number): void {
    const p = this.#at(2, 2);
    const b = this.#buf;
    b[p] = v;
    b[p + 1] = v >>> 8;
    this.#pos = p + 2;
  }
  u32(v: number): void {
    const p = this.#at(4, 4);
    const b = this.#buf;
    b[p] = v;
    b[p + 1] = v >>> 8;
    b[p + 2] = v >>> 16;
    b[p + 3] = v >>> 24;
    this.#pos = p + 4;
  }
  i32(v: number): void {
    this.u32(v | 0);
  }
  /** hyper: 64 bits, 8-aligned; a negative value is written as its two's complement */
  u64(v: bigint): void {
    const p = this.#at(8, 8);
    this.#buf.writeBigUInt64LE(BigInt.asUintN(64, v), p);
    this.#pos = p + 8;
  }
  /** A signed hyper holding a safe integer (USN, DSTIME): written without a BigInt. */
  hyper(v: number): void {
    if (!Number.isSafeInteger(v)) throw new NdrError('ERR_NDR_INVALID', `${v} is not a safe integer for a hyper`);
    const hi = Math.floor(v / 0x1_0000_0000);
    const lo = v - hi * 0x1_0000_0000;
    const p = this.#at(8, 8);
    const b = this.#buf;
    b[p] = lo;
    b[p + 1] = lo >>> 8;
    b[p + 2] = lo >>> 16;
    b[p + 3] = lo >>> 24;
    b[p + 4] = hi;
    b[p + 5] = hi >> 8;
    b[p + 6] = hi >> 16;
    b[p + 7] = hi >> 24;
    this.#pos = p + 8;
  }
  bytes(b: Uint8Array): void {
    const n = b.length;
    this.#room(n);
    const d = this.#buf;
    const p = this.#pos;
    // TypedArray.set costs more than a loop for the short values most ATTRVALs are
    if (n <= 32) for (let i = 0; i < n; i++) d[p + i] = b[i]!;
    else d.set(b, p);
    this.#pos = p + n;
  }
  /** The bytes `src[start..end)`, without a view of them. */
  bytesFrom(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.#room(n);
    const d = this.#buf;
    const p = this.#pos;
    if (n <= 32) for (let i = 0; i < n; i++) d[p + i] = src[start + i]!;
    else d.set(src.subarray(start, end), p);
    this.#pos = p + n;
  }
  /** Overwrites the u32 at `at` (a position written before: a count known only later). */
  patchU32(at: number, v: number): void {
    if (at < 0 || at + 4 > this.#pos) throw new NdrError('ERR_NDR_INVALID', `no u32 written at ${at}`);
    this.#buf.writeUInt32LE(v >>> 0, at);
  }
  zeros(n: number): void {
    this.#room(n);
    this.#buf.fill(0, this.#pos, this.#pos + n);
    this.#pos += n;
  }
  /** UTF-16LE code units of `s`, then a NUL unit (no alignment: the caller aligns to 2). */
  utf16z(s: string): void {
    const n = 2 * s.length + 2;
    this.#room(n);
    const b = this.#buf;
    const p = this.#pos;
    if (s.length <= 64) {
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        b[p + 2 * i] = c;
        b[p + 2 * i + 1] = c >>> 8;
      }
    } else b.write(s, p, 'utf16le');
    b[p + n - 2] = 0;
    b[p + n - 1] = 0;
    this.#pos = p + n;
  }
  /**
   * A referent ID for a non-null embedded pointer. Any non-zero value is valid on the wire;
   * these are the values Windows and Samba send (0x00020000 + 4n for unique and full pointers,
   * a fixed marker for [ref] ones), so that stubs compare byte for byte with theirs.
   */
  referent(kind: 'unique' | 'ptr' | 'ref' = 'unique'): void {
    if (kind === 'ref') this.u32(0xaef1aef1);
    else this.u32(0x00020000 + 4 * this.#ptrCount++);
  }
  /** Registers the writing of a pointee, in NDR order (see the header comment). */
  defer(t: Thunk): void {
    if (!this.#pending) throw new Error('NdrWriter.defer outside top()');
    this.#pending.push(t);
  }
  /** Writes one top-level item (a parameter, or a whole blob): its scalars, then every pointee. */
  top(t: Thunk): void {
    runDeferred(t, (p) => (this.#pending = p));
  }
  /** Convenience: one top-level value of a type. */
  write<T>(type: NdrType<T>, v: T): this {
    this.top(() => type.write(this, v));
    return this;
  }
  finish(): Buffer {
    return Buffer.from(this.#buf.subarray(0, this.#pos));
  }
}

/** The NDR deferral order without recursion: a stack of lists of pointees still to write or read. */
function runDeferred(t: Thunk, setPending: (p: Thunk[] | null) => void): void {
  const lists: Thunk[][] = [];
  const idx: number[] = [];
  let p: Thunk[] = [];
  setPending(p);
  try {
    t();
    lists.push(p);
    idx.push(0);
    while (lists.length > 0) {
      const top = lists.length - 1;
      const list = lists[top]!;
      if (idx[top]! >= list.length) {
        lists.pop();
        idx.pop();
        continue;
      }
      const next = list[idx[top]!++]!;
      p = [];
      setPending(p);
      next();
      lists.push(p);
      idx.push(0);
    }
  } finally {
    setPending(null);
  }
}

export class NdrReader {
  readonly #b: Buffer;
  #pos: number;
  readonly #end: number;
  #pending: Thunk[] | null = null;
  readonly limits: NdrReaderLimits;
  /** conformance hoisted by the enclosing conformant structure, consumed by its conformant array */
  conformance: number | undefined;

  constructor(b: Uint8Array, limits: Partial<NdrReaderLimits> = {}) {
    this.#b = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    this.#pos = 0;
    this.#end = this.#b.length;
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  get offset(): number {
    return this.#pos;
  }
  get remaining(): number {
    return this.#end - this.#pos;
  }

  #need(n: number): void {
    if (this.#pos + n > this.#end) throw new NdrError('ERR_NDR_TRUNCATED', `NDR stub truncated at offset ${this.#pos} (need ${n} more bytes)`);
  }
  align(n: number): void {
    const pad = (n - (this.#pos % n)) % n;
    this.#need(pad);
    this.#pos += pad;
  }
  u8(): number {
    this.#need(1);
    return this.#b.readUInt8(this.#pos++);
  }
  u16(): number {
    this.align(2);
    this.#need(2);
    const v = this.#b.readUInt16LE(this.#pos);
    this.#pos += 2;
    return v;
  }
  u32(): number {
    this.align(4);
    this.#need(4);
    const v = this.#b.readUInt32LE(this.#pos);
    this.#pos += 4;
    return v;
  }
  i32(): number {
    this.align(4);
    this.#need(4);
    const v = this.#b.readInt32LE(this.#pos);
    this.#pos += 4;
    return v;
  }
  u64(): bigint {
    this.align(8);
    this.#need(8);
    const v = this.#b.readBigUInt64LE(this.#pos);
    this.#pos += 8;
    return v;
  }
  /** A signed hyper as a number; beyond ±2^53 it is refused (USNs and DSTIMEs never get there). */
  hyper(): number {
    this.align(8);
    this.#need(8);
    const lo = this.#b.readUInt32LE(this.#pos);
    const hi = this.#b.readInt32LE(this.#pos + 4);
    this.#pos += 8;
    if (hi > 0x1fffff || hi < -0x200000) throw new NdrError('ERR_NDR_RANGE', `hyper at offset ${this.#pos - 8} is beyond 2^53`);
    return hi * 0x1_0000_0000 + lo;
  }
  i64(): bigint {
    this.align(8);
    this.#need(8);
    const v = this.#b.readBigInt64LE(this.#pos);
    this.#pos += 8;
    return v;
  }
  bytes(n: number): Buffer {
    this.#need(n);
    const v = Buffer.from(this.#b.subarray(this.#pos, this.#pos + n));
    this.#pos += n;
    return v;
  }
  /** Like bytes() without the copy: a view into the stub (for values the caller copies or consumes). */
  view(n: number): Buffer {
    this.#need(n);
    const v = this.#b.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return v;
  }
  /**
   * Skips `n` bytes after checking they are there, and returns where they start in `buffer`:
   * a one-pass decoder reads a fixed-size run of scalars in place (no view, no bound check each).
   */
  region(n: number): number {
    this.#need(n);
    const at = this.#pos;
    this.#pos += n;
    return at;
  }
  /** The stub being read (see region). */
  get buffer(): Buffer {
    return this.#b;
  }
  /** `n` UTF-16LE code units as a string. */
  utf16(n: number): string {
    this.#need(2 * n);
    const v = this.#b.toString('utf16le', this.#pos, this.#pos + 2 * n);
    this.#pos += 2 * n;
    return v;
  }
  /** A count read from the stub: checked against the IDL's [range] and the reader's limits, and against the bytes left. */
  count(v: number, what: string, range?: readonly [number, number], minElementSize = 0): number {
    if (range && (v < range[0] || v > range[1])) throw new NdrError('ERR_NDR_RANGE', `${what} ${v} outside [range(${range[0]},${range[1]})]`);
    if (v > this.limits.maxCount) throw new NdrError('ERR_NDR_LIMIT', `${what} ${v} exceeds the limit ${this.limits.maxCount}`);
    if (minElementSize > 0 && v * minElementSize > this.remaining) throw new NdrError('ERR_NDR_TRUNCATED', `${what} ${v} cannot fit in the ${this.remaining} bytes left`);
    return v;
  }
  defer(t: Thunk): void {
    if (!this.#pending) throw new Error('NdrReader.defer outside top()');
    this.#pending.push(t);
  }
  top(t: Thunk): void {
    runDeferred(t, (p) => (this.#pending = p));
  }
  /** Convenience: one top-level value of a type. */
  read<T>(type: NdrType<T>): T {
    let out!: T;
    this.top(() => {
      out = type.read(this, (v) => (out = v));
    });
    return out;
  }
  /** Refuses bytes left over after the last parameter (NDR20 allows no trailer but alignment padding). */
  end(): void {
    if (this.#pos !== this.#end) throw new NdrError('ERR_NDR_TRAILING', `${this.#end - this.#pos} bytes after the end of the stub`);
  }
}

// ---- types ------------------------------------------------------------------------------

export interface NdrType<T> {
  /** the type holds pointers, so part of a decoded value arrives after the scalars */
  readonly pointers?: boolean;
  /** a conformant array, the one conformant thing a structure may end with */
  readonly embeddable?: boolean;
  /** alignment of the type's scalars (1, 2, 4 or 8) */
  readonly align: number;
  /** for a conformant structure or array: the conformance (max_count) hoisted in front of it */
  readonly conformance?: (v: T) => number;
  /** minimum number of bytes one value takes (for the reader's plausibility check of counts) */
  readonly minSize: number;
  write(w: NdrWriter, v: T): void;
  /** `late` is called when a pointer's referent is read after the scalars (pointer types only). */
  read(r: NdrReader, late: (v: T) => void): T;
}

export const u8: NdrType<number> = { align: 1, minSize: 1, write: (w, v) => w.u8(v), read: (r) => r.u8() };
export const u16: NdrType<number> = { align: 2, minSize: 2, write: (w, v) => w.u16(v), read: (r) => r.u16() };
export const u32: NdrType<number> = { align: 4, minSize: 4, write: (w, v) => w.u32(v), read: (r) => r.u32() };
export const i32: NdrType<number> = { align: 4, minSize: 4, write: (w, v) => w.i32(v), read: (r) => r.i32() };
/** unsigned hyper (ULARGE_INTEGER, ULONGLONG) */
export const u64: NdrType<bigint> = { align: 8, minSize: 8, write: (w, v) => w.u64(v), read: (r) => r.u64() };
/** signed hyper (LONGLONG: USN, DSTIME) */
export const i64: NdrType<bigint> = { align: 8, minSize: 8, write: (w, v) => w.u64(v), read: (r) => r.i64() };
/** LONGLONG holding a safe integer (USN, DSTIME), as a number */
export const hyper: NdrType<number> = { align: 8, minSize: 8, write: (w, v) => w.hyper(v), read: (r) => r.hyper() };
/** BOOL (MS-DTYP 2.2.3): a 32-bit integer, non-zero is TRUE */
export const bool32: NdrType<boolean> = { align: 4, minSize: 4, write: (w, v) => w.u32(v ? 1 : 0), read: (r) => r.u32() !== 0 };

/** GUID (MS-DTYP 2.3.4.2): {Data1 u32, Data2 u16, Data3 u16, Data4 u8[8]} — 16 bytes in the little-endian form, 4-aligned. */
export const guid: NdrType<Buffer> = {
  align: 4,
  minSize: 16,
  write(w, v) {
    if (v.length !== 16) throw new NdrError('ERR_NDR_INVALID', `a GUID is 16 bytes, not ${v.length}`);
    w.align(4);
    w.bytes(v);
  },
  read(r) {
    r.align(4);
    return r.bytes(16);
  },
};

/** A fixed-size array of bytes (e.g. NT4SID's char Data[28], REPLTIMES' rgTimes[84]). */
export function fixedBytes(n: number): NdrType<Buffer> {
  return {
    align: 1,
    minSize: n,
    write(w, v) {
      if (v.length !== n) throw new NdrError('ERR_NDR_INVALID', `expected ${n} bytes, not ${v.length}`);
      w.bytes(v);
    },
    read: (r) => r.bytes(n),
  };
}

/**
 * Maps a wire type to a friendlier value type (e.g. counts derived from arrays). When the wire
 * type holds pointers, their referents are only read later, so the conversion is deferred
 * too: it is queued after the referents, and the deferral order guarantees they are complete
 * when it runs; the value then arrives through `late` like a pointer's.
 */
export function mapped<W, T>(t: NdrType<W>, to: (w: W) => T, from: (v: T) => W): NdrType<T> {
  const out: NdrType<T> = {
    align: t.align,
    minSize: t.minSize,
    ...(t.pointers ? { pointers: true } : {}),
    ...(t.conformance ? { conformance: (v: T) => t.conformance!(from(v)) } : {}),
    ...(t.embeddable ? { embeddable: true } : {}),
    write: (w, v) => t.write(w, from(v)),
    read(r, late) {
      if (!t.pointers) return to(t.read(r, () => undefined));
      let wire!: W;
      wire = t.read(r, (v) => (wire = v));
      let result = undefined as unknown as T;
      r.defer(() => {
        result = to(wire);
        late(result);
      });
      return result;
    },
  };
  return out;
}

type Fields<T> = { [K in keyof T]: NdrType<T[K]> };

/**
 * A structure: members in IDL order. When the last member is conformant (a conformant array,
 * or a structure ending in one), the structure is conformant and its max_count comes first
 * (DCE NDR, conformant structures), before the structure's own alignment.
 */
export function struct<T extends object>(name: string, fields: Fields<T>): NdrType<T> {
  const entries = Object.entries(fields) as [keyof T & string, NdrType<unknown>][];
  entries.forEach(([k, t], i) => {
    if (t.conformance && i !== entries.length - 1) throw new Error(`${name}.${k}: only the last member of a structure may be conformant`);
    // an embedded conformant *structure* would need its conformance hoisted twice; MS-DRSR's IDL never embeds one
    if (t.conformance && !(t as { embeddable?: boolean }).embeddable) throw new Error(`${name}.${k}: a conformant structure cannot be embedded`);
  });
  const last = entries[entries.length - 1];
  const confType = last && last[1].conformance ? last : undefined;
  const align = Math.max(1, ...entries.map(([, t]) => t.align), confType ? 4 : 1);
  const minSize = entries.reduce((s, [, t]) => s + t.minSize, confType ? 4 : 0);
  const type: NdrType<T> = {
    align,
    minSize,
    ...(entries.some(([, t]) => t.pointers) ? { pointers: true } : {}),
    write(w, v) {
      if (confType) w.u32(confType[1].conformance!((v as Record<string, unknown>)[confType[0]]));
      w.align(align);
      for (const [k, t] of entries) t.write(w, (v as Record<string, unknown>)[k]);
    },
    read(r) {
      let conf: number | undefined;
      if (confType) conf = r.u32();
      r.align(align);
      const o = {} as Record<string, unknown>;
      for (const [k, t] of entries) {
        if (t === confType?.[1]) r.conformance = conf;
        o[k] = t.read(r, (v) => (o[k] = v));
      }
      return o as T;
    },
  };
  if (confType) (type as { conformance?: (v: T) => number }).conformance = (v) => confType[1].conformance!((v as Record<string, unknown>)[confType[0]]);
  return type;
}

/**
 * A conformant array member `[size_is(x)] T a[]` (last member of a structure): the elements;
 * the conformance is the array's length, hoisted by `struct`. `sizeIs` checks the member
 * the IDL names against the array's length on read (it is given the decoded max_count).
 */
export function conformantArray<T>(el: NdrType<T>, what: string, range?: readonly [number, number]): NdrType<T[]> {
  return {
    align: el.align,
    minSize: 0,
    embeddable: true,
    ...(el.pointers ? { pointers: true } : {}),
    conformance: (v) => v.length,
    write(w, v) {
      for (const x of v) el.write(w, x);
    },
    read(r) {
      const n = r.count(r.conformance ?? 0, what, range, el.minSize);
      r.conformance = undefined;
      return readElements(r, el, n);
    },
  };
}

function readElements<T>(r: NdrReader, el: NdrType<T>, n: number): T[] {
  const out: T[] = new Array<T>(n);
  for (let i = 0; i < n; i++) out[i] = el.read(r, (v) => (out[i] = v));
  return out;
}

/** The pointee of `[size_is(n)] T *p`: max_count, then the elements. */
export function conformantPointee<T>(el: NdrType<T>, what: string, range?: readonly [number, number]): NdrType<T[]> {
  return {
    align: Math.max(4, el.align),
    minSize: 4,
    ...(el.pointers ? { pointers: true } : {}),
    write(w, v) {
      w.u32(v.length);
      for (const x of v) el.write(w, x);
    },
    read(r) {
      const n = r.count(r.u32(), what, range, el.minSize);
      return readElements(r, el, n);
    },
  };
}

/** The pointee of `[size_is(n)] BYTE *p`: max_count, then the bytes (fast path). */
export function bytesPointee(what: string, range?: readonly [number, number]): NdrType<Buffer> {
  return {
    align: 4,
    minSize: 4,
    write(w, v) {
      w.u32(v.length);
      w.bytes(v);
    },
    read(r) {
      const n = r.count(r.u32(), what, range, 1);
      return r.bytes(n);
    },
  };
}

/**
 * An embedded pointer. `kind` 'unique' and 'ptr' (full pointers; this codec never aliases
 * referents, so they are written alike) may be null; 'ref' may not. Every embedded pointer has
 * a referent ID on the wire; its referent is deferred.
 */
export function pointer<T>(to: NdrType<T>, kind: 'unique' | 'ptr' | 'ref' = 'unique'): NdrType<T | null> {
  return {
    align: 4,
    minSize: 4,
    pointers: true,
    write(w, v) {
      if (v === null || v === undefined) {
        if (kind === 'ref') throw new NdrError('ERR_NDR_INVALID', 'a [ref] pointer cannot be null');
        w.u32(0);
        return;
      }
      w.referent(kind);
      w.defer(() => to.write(w, v));
    },
    read(r, late) {
      const id = r.u32();
      if (id === 0) {
        if (kind === 'ref') throw new NdrError('ERR_NDR_INVALID', 'null [ref] pointer');
        return null;
      }
      r.defer(() => late(to.read(r, late)));
      return null;
    },
  };
}

/** A top-level [ref] parameter: no referent ID, the pointee is inline (DCE NDR, top-level reference pointers). */
export function refParam<T>(to: NdrType<T>): NdrType<T> {
  return to;
}

/**
 * A conformant varying string (`[string] char*` / `[string] wchar_t*` pointee):
 * max_count, offset (0), actual_count, then the characters and their terminating NUL.
 */
export function stringPointee(charset: 'utf16' | 'ascii', what: string): NdrType<string> {
  const unit = charset === 'utf16' ? 2 : 1;
  return {
    align: 4,
    minSize: 12,
    write(w, v) {
      const body = charset === 'utf16' ? Buffer.from(v + '\0', 'utf16le') : Buffer.from(v + '\0', 'latin1');
      const n = body.length / unit;
      w.u32(n);
      w.u32(0);
      w.u32(n);
      w.bytes(body);
    },
    read(r) {
      const max = r.count(r.u32(), `${what} max_count`);
      const offset = r.u32();
      const actual = r.count(r.u32(), `${what} actual_count`, undefined, unit);
      if (offset !== 0 || actual > max) throw new NdrError('ERR_NDR_INVALID', `${what}: bad varying string (offset ${offset}, actual ${actual}, max ${max})`);
      const b = r.bytes(actual * unit);
      let s = charset === 'utf16' ? b.toString('utf16le') : b.toString('latin1');
      if (s.endsWith('\0')) s = s.slice(0, -1);
      else throw new NdrError('ERR_NDR_INVALID', `${what}: string without its terminating NUL`);
      return s;
    },
  };
}

/**
 * A non-encapsulated union `[switch_is(d)] union { [case(n)] T arm; … }` as NDR20 carries it:
 * the discriminant (u32) then the selected arm. The value is { version, msg }.
 */
export interface Switched<V extends number, M> {
  version: V;
  msg: M;
}
export function union<M>(what: string, arms: Readonly<Record<number, NdrType<M>>>): NdrType<Switched<number, M>> {
  const align = Math.max(4, ...Object.values(arms).map((t) => t.align));
  return {
    align,
    minSize: 4,
    ...(Object.values(arms).some((t) => t.pointers) ? { pointers: true } : {}),
    write(w, v) {
      const arm = arms[v.version];
      if (!arm) throw new NdrError('ERR_NDR_INVALID', `${what}: no arm for version ${v.version}`);
      w.u32(v.version);
      arm.write(w, v.msg);
    },
    read(r, late) {
      const version = r.u32();
      const arm = arms[version];
      if (!arm) throw new NdrError('ERR_NDR_INVALID', `${what}: unsupported version ${version}`);
      const out: Switched<number, M> = { version, msg: undefined as unknown as M };
      out.msg = arm.read(r, (m) => {
        out.msg = m;
        late(out);
      });
      return out;
    },
  };
}
