// OID <-> ATTRTYP mapping through a prefix table.
// MS-DRSR 5.16.4 "ATTRTYP-to-OID Conversion"; MS-DRSR 5.14 ATTRTYP; MS-DRSR 5.154
// PrefixTableEntry / 5.180 SCHEMA_PREFIX_TABLE; MS-ADTS 3.1.1.2.6 ATTRTYP.
//
// An OID's binary form is the contents octets of its BER encoding (ITU-T X.690 8.19).
// Its *prefix* is that binary form minus the last byte (last arc < 128) or minus the
// last two bytes (last arc >= 128). An ATTRTYP is prefixIndex << 16 | lowerWord where
// lowerWord = lastArc mod 16384, plus 0x8000 if lastArc >= 16384 (for such arcs the
// higher-order septets of the last arc stay in the prefix).

/** A 32-bit unsigned ATTRTYP (MS-DRSR 5.14). */
export type ATTRTYP = number;

export interface PrefixTableEntry {
  /** prefixIndex, 0..0xFFFF (the upper word of ATTRTYPs that use this prefix). */
  readonly index: number;
  /** The binary OID prefix (BER contents octets). */
  readonly prefix: Uint8Array;
}

/** JSON form of one entry: prefix as lowercase hex. */
export interface PrefixTableEntryJSON {
  index: number;
  prefix: string;
}

/** Upper bound for prefixIndex (MS-DRSR 5.16.4: prefixIndex in [0 .. 0x0000ffff]). */
export const MAX_PREFIX_INDEX = 0xffff;

/** ATTRTYP range that maps through the prefix table (MS-ADTS 3.1.1.2.6). */
export const PREFIX_TABLE_ATTRTYP_MAX = 0x7fffffff;

// ---------------------------------------------------------------------------
// BER OID encoding (contents octets only)

function parseOid(oid: string): number[] {
  if (!/^\d+(\.\d+)+$/.test(oid)) throw new Error(`invalid OID: ${oid}`);
  const arcs = oid.split('.').map((s) => {
    if (s.length > 1 && s.startsWith('0')) throw new Error(`invalid OID (leading zero): ${oid}`);
    const n = Number(s);
    if (!Number.isSafeInteger(n)) throw new Error(`OID arc too large: ${oid}`);
    return n;
  });
  const [a0, a1] = arcs as [number, number];
  if (a0 > 2 || (a0 < 2 && a1 > 39)) throw new Error(`invalid OID root arcs: ${oid}`);
  return arcs;
}

function pushBase128(out: number[], n: number): void {
  const septets: number[] = [];
  do {
    septets.push(n % 128);
    n = Math.floor(n / 128);
  } while (n > 0);
  for (let i = septets.length - 1; i >= 0; i--) out.push(septets[i]! | (i > 0 ? 0x80 : 0));
}

/** Contents octets of the BER encoding of a dotted-decimal OID (X.690 8.19). */
export function encodeOid(oid: string): Uint8Array {
  const arcs = parseOid(oid);
  const out: number[] = [];
  pushBase128(out, arcs[0]! * 40 + arcs[1]!);
  for (let i = 2; i < arcs.length; i++) pushBase128(out, arcs[i]!);
  return Uint8Array.from(out);
}

/** Inverse of encodeOid. Throws on truncated or non-minimal encodings. */
export function decodeOid(bytes: Uint8Array): string {
  if (bytes.length === 0) throw new Error('empty OID encoding');
  const values: number[] = [];
  let v = 0;
  let inArc = false;
  for (const b of bytes) {
    if (!inArc && b === 0x80) throw new Error('non-minimal OID encoding');
    v = v * 128 + (b & 0x7f);
    if (!Number.isSafeInteger(v)) throw new Error('OID arc too large');
    if (b & 0x80) {
      inArc = true;
    } else {
      values.push(v);
      v = 0;
      inArc = false;
    }
  }
  if (inArc) throw new Error('truncated OID encoding');
  const first = values[0]!;
  const a0 = first < 40 ? 0 : first < 80 ? 1 : 2;
  const arcs = [a0, first - a0 * 40, ...values.slice(1)];
  return arcs.join('.');
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

function fromHex(s: string): Uint8Array {
  if (!/^([0-9a-fA-F]{2})*$/.test(s)) throw new Error(`invalid hex: ${s}`);
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

/** Split an OID into [binary prefix, lowerWord] per MS-DRSR 5.16.4 (MakeAttid). */
export function splitOid(oid: string): { prefix: Uint8Array; lowerWord: number } {
  const arcs = parseOid(oid);
  if (arcs.length < 3) throw new Error(`OID too short for a prefix table: ${oid}`);
  const last = arcs[arcs.length - 1]!;
  const bin = encodeOid(oid);
  const cut = last < 128 ? 1 : 2;
  const prefix = bin.slice(0, bin.length - cut);
  let lowerWord = last % 16384;
  if (last >= 16384) lowerWord += 0x8000;
  return { prefix, lowerWord };
}

// ---------------------------------------------------------------------------
// Default tables

/**
 * The prefix table of MS-DRSR 5.16.4 procedure NewPrefixTable: the entries every
 * DC starts from (prefixIndex, OID prefix).
 */
export const SPEC_NEW_PREFIX_TABLE: readonly (readonly [number, string])[] = [
  [0, '2.5.4'],
  [1, '2.5.6'],
  [2, '1.2.840.113556.1.2'],
  [3, '1.2.840.113556.1.3'],
  [4, '2.16.840.1.101.2.2.1'],
  [5, '2.16.840.1.101.2.2.3'],
  [6, '2.16.840.1.101.2.1.5'],
  [7, '2.16.840.1.101.2.1.4'],
  [8, '2.5.5'],
  [9, '1.2.840.113556.1.4'],
  [10, '1.2.840.113556.1.5'],
  [19, '0.9.2342.19200300.100'],
  [20, '2.16.840.1.113730.3'],
  [21, '0.9.2342.19200300.100.1'],
  [22, '2.16.840.1.113730.3.1'],
  [23, '1.2.840.113556.1.5.7000'],
  [24, '2.5.21'],
  [25, '2.5.18'],
  [26, '2.5.20'],
];

/**
 * The full default prefix map of a freshly installed Windows DC (prefixMap on the
 * schema container): the 19 MS-DRSR 5.16.4 entries plus indices 11..18 and 27..38
 * that Windows preloads. Using it keeps our ATTRTYPs for these prefixes equal to
 * Windows' ATTRTYPs (e.g. 1.2.840.113556.1.4.260.x -> 0x000Bxxxx).
 */
export const DEFAULT_PREFIX_TABLE: readonly (readonly [number, string])[] = [
  ...SPEC_NEW_PREFIX_TABLE.slice(0, 11),
  [11, '1.2.840.113556.1.4.260'],
  [12, '1.2.840.113556.1.5.56'],
  [13, '1.2.840.113556.1.4.262'],
  [14, '1.2.840.113556.1.5.57'],
  [15, '1.2.840.113556.1.4.263'],
  [16, '1.2.840.113556.1.5.58'],
  [17, '1.2.840.113556.1.5.73'],
  [18, '1.2.840.113556.1.4.305'],
  ...SPEC_NEW_PREFIX_TABLE.slice(11),
  [27, '1.3.6.1.4.1.1466.101.119'],
  [28, '2.16.840.1.113730.3.2'],
  [29, '1.3.6.1.4.1.250.1'],
  [30, '1.2.840.113549.1.9'],
  [31, '0.9.2342.19200300.100.4'],
  [32, '1.2.840.113556.1.6.23'],
  [33, '1.2.840.113556.1.6.18.1'],
  [34, '1.2.840.113556.1.6.18.2'],
  [35, '1.2.840.113556.1.6.13.3'],
  [36, '1.2.840.113556.1.6.13.4'],
  [37, '1.3.6.1.1.1.1'],
  [38, '1.3.6.1.1.1.2'],
];

// ---------------------------------------------------------------------------

/**
 * A prefix table (MS-DRSR 5.16.4 type PrefixTable). Mutable through makeAttrTyp /
 * addPrefix unless frozen; SchemaSnapshot holds a frozen copy.
 */
export class PrefixTable {
  #byIndex = new Map<number, Uint8Array>();
  #byPrefix = new Map<string, number>(); // hex(prefix) -> index
  #order: number[] = [];
  #frozen = false;
  // memos of the OID ↔ ATTRTYP mappings found (entries are only ever added, so a mapping once
  // found stays true); bounded, since OID-valued attributes can carry any OID
  #oidOf = new Map<ATTRTYP, string>();
  #attrTypOf = new Map<string, ATTRTYP>();

  /** @param entries initial entries; defaults to DEFAULT_PREFIX_TABLE. */
  constructor(entries?: Iterable<PrefixTableEntry>) {
    if (entries === undefined) {
      for (const [index, oidPrefix] of DEFAULT_PREFIX_TABLE) this.#insert(index, encodeOid(oidPrefix));
    } else {
      for (const e of entries) this.#insert(e.index, e.prefix);
    }
  }

  /** A table holding exactly the MS-DRSR 5.16.4 NewPrefixTable entries. */
  static newSpecTable(): PrefixTable {
    return new PrefixTable(SPEC_NEW_PREFIX_TABLE.map(([index, p]) => ({ index, prefix: encodeOid(p) })));
  }

  #insert(index: number, prefix: Uint8Array): void {
    if (!Number.isInteger(index) || index < 0 || index > MAX_PREFIX_INDEX) {
      throw new Error(`prefix index out of range: ${index}`);
    }
    const key = hex(prefix);
    // MS-DRSR 5.16.4: each prefixString and each prefixIndex occurs at most once.
    if (this.#byIndex.has(index)) throw new Error(`duplicate prefix index ${index}`);
    if (this.#byPrefix.has(key)) throw new Error(`duplicate prefix ${key}`);
    this.#byIndex.set(index, Uint8Array.from(prefix));
    this.#byPrefix.set(key, index);
    this.#order.push(index);
  }

  get size(): number {
    return this.#order.length;
  }

  get frozen(): boolean {
    return this.#frozen;
  }

  /** Make this table immutable; returns this. */
  freeze(): this {
    this.#frozen = true;
    return this;
  }

  /** Mutable deep copy. */
  clone(): PrefixTable {
    const c = new PrefixTable(this.entries());
    // a frozen table's entries stay those of the copy, so its OID → ATTRTYP mappings hold there too
    if (this.#frozen) c.#base = this;
    return c;
  }
  /** the frozen table this one was cloned from (its mappings, memoized there, serve every clone) */
  #base: PrefixTable | undefined;

  /** Entries in insertion order. */
  entries(): PrefixTableEntry[] {
    return this.#order.map((index) => ({ index, prefix: Uint8Array.from(this.#byIndex.get(index)!) }));
  }

  /** Index of a binary prefix, if present. */
  indexOfPrefix(prefix: Uint8Array): number | undefined {
    return this.#byPrefix.get(hex(prefix));
  }

  /** Binary prefix of an index, if present. */
  prefixOfIndex(index: number): Uint8Array | undefined {
    const p = this.#byIndex.get(index);
    return p ? Uint8Array.from(p) : undefined;
  }

  /**
   * Add a prefix with a new index (one past the highest index in use, or the
   * lowest free index if that overflows); returns its index. Existing prefixes
   * return their index unchanged.
   */
  addPrefix(prefix: Uint8Array): number {
    const existing = this.indexOfPrefix(prefix);
    if (existing !== undefined) return existing;
    if (this.#frozen) throw new Error('prefix table is frozen');
    let index = this.#order.length ? Math.max(...this.#order) + 1 : 0;
    if (index > MAX_PREFIX_INDEX) {
      index = 0;
      while (this.#byIndex.has(index)) index++;
      if (index > MAX_PREFIX_INDEX) throw new Error('prefix table full');
    }
    this.#insert(index, prefix);
    return index;
  }

  /**
   * MS-DRSR 5.16.4 MakeAttid: ATTRTYP of an OID, adding the OID's prefix to the
   * table if it is not there yet (throws if the table is frozen and it is not).
   */
  makeAttrTyp(oid: string): ATTRTYP {
    const known = this.#attrTypOf.get(oid) ?? this.#base?.attrTypFromOid(oid);
    if (known !== undefined) return known;
    const { prefix, lowerWord } = splitOid(oid);
    const index = this.addPrefix(prefix);
    return this.#remember(oid, ((index << 16) | lowerWord) >>> 0);
  }

  /** ATTRTYP of an OID without modifying the table; undefined if its prefix is absent. */
  attrTypFromOid(oid: string): ATTRTYP | undefined {
    const known = this.#attrTypOf.get(oid);
    if (known !== undefined) return known;
    const { prefix, lowerWord } = splitOid(oid);
    const index = this.indexOfPrefix(prefix);
    return index === undefined ? undefined : this.#remember(oid, ((index << 16) | lowerWord) >>> 0);
  }

  #remember(oid: string, a: ATTRTYP): ATTRTYP {
    if (this.#attrTypOf.size >= 16_384) this.#attrTypOf.clear();
    this.#attrTypOf.set(oid, a);
    return a;
  }

  /** MS-DRSR 5.16.4 OidFromAttid. Throws if the upper word has no prefix in the table. */
  oidFromAttrTyp(attrtyp: ATTRTYP): string {
    if (!Number.isInteger(attrtyp) || attrtyp < 0 || attrtyp > PREFIX_TABLE_ATTRTYP_MAX) {
      throw new Error(`ATTRTYP 0x${attrtyp.toString(16)} is not in the prefix-table range`);
    }
    const known = this.#oidOf.get(attrtyp);
    if (known !== undefined) return known;
    const upper = attrtyp >>> 16;
    let lower = attrtyp & 0xffff;
    const prefix = this.#byIndex.get(upper);
    if (!prefix) throw new Error(`no prefix with index ${upper} for ATTRTYP 0x${attrtyp.toString(16)}`);
    const tail: number[] = [];
    if (lower < 128) {
      tail.push(lower);
    } else {
      if (lower >= 0x8000) lower -= 0x8000;
      tail.push(((lower >> 7) % 128) + 128, lower % 128);
    }
    const bin = new Uint8Array(prefix.length + tail.length);
    bin.set(prefix, 0);
    bin.set(tail, prefix.length);
    const oid = decodeOid(bin);
    // each direction is remembered on its own: an OID's ATTRTYP and an ATTRTYP's OID need not round-trip
    if (this.#oidOf.size >= 16_384) this.#oidOf.clear();
    this.#oidOf.set(attrtyp, oid);
    return oid;
  }

  /** JSON form: entries in order, prefixes as hex. */
  toJSON(): PrefixTableEntryJSON[] {
    return this.#order.map((index) => ({ index, prefix: hex(this.#byIndex.get(index)!) }));
  }

  static fromJSON(json: readonly PrefixTableEntryJSON[]): PrefixTable {
    if (!Array.isArray(json)) throw new Error('prefix table JSON must be an array');
    return new PrefixTable(json.map((e) => ({ index: e.index, prefix: fromHex(e.prefix) })));
  }

  /**
   * Binary form: u32le count, then per entry u32le index, u32le length, prefix bytes
   * (the shape of SCHEMA_PREFIX_TABLE, MS-DRSR 5.180, without NDR).
   */
  toBytes(): Uint8Array {
    let len = 4;
    for (const i of this.#order) len += 8 + this.#byIndex.get(i)!.length;
    const out = Buffer.alloc(len);
    let o = out.writeUInt32LE(this.#order.length, 0);
    for (const i of this.#order) {
      const p = this.#byIndex.get(i)!;
      o = out.writeUInt32LE(i, o);
      o = out.writeUInt32LE(p.length, o);
      out.set(p, o);
      o += p.length;
    }
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }

  static fromBytes(bytes: Uint8Array): PrefixTable {
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const need = (o: number, n: number): void => {
      if (o + n > b.length) throw new Error('truncated prefix table');
    };
    need(0, 4);
    const count = b.readUInt32LE(0);
    let o = 4;
    const entries: PrefixTableEntry[] = [];
    for (let k = 0; k < count; k++) {
      need(o, 8);
      const index = b.readUInt32LE(o);
      const n = b.readUInt32LE(o + 4);
      o += 8;
      need(o, n);
      entries.push({ index, prefix: Uint8Array.from(b.subarray(o, o + n)) });
      o += n;
    }
    if (o !== b.length) throw new Error('trailing bytes after prefix table');
    return new PrefixTable(entries);
  }
}

/** MS-DRSR 5.16.4 MakeAttid(t, o). */
export function makeAttrTyp(table: PrefixTable, oid: string): ATTRTYP {
  return table.makeAttrTyp(oid);
}

/** MS-DRSR 5.16.4 OidFromAttid(t, attr). */
export function oidFromAttrTyp(table: PrefixTable, attrtyp: ATTRTYP): string {
  return table.oidFromAttrTyp(attrtyp);
}
