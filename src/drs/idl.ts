// NDR layouts of the MS-DRSR structures (MS-DRSR 7 Appendix A "Full IDL"; the interface's
// pointer_default is unique, so an unattributed embedded pointer is [unique]). Each constant
// is named after the IDL type it lays out; the JavaScript shapes are in types.ts.
import {
  NdrError,
  NdrReader,
  NdrWriter,
  bool32,
  bytesPointee,
  conformantArray,
  conformantPointee,
  fixedBytes,
  guid,
  hyper,
  mapped,
  pointer,
  struct,
  stringPointee,
  u32,
  u64,
  union,
  type NdrType,
  type Switched,
} from './ndr/ndr.js';
import type * as T from './types.js';

// ---- DSNAME (concrete type of MS-DRSR 5.49 DSName) -----------------------------------------------------------------

/** `[size_is(NameLen + 1)] WCHAR StringName[]`: the conformance counts the terminating NUL. */
const StringName: NdrType<string> = {
  align: 2,
  minSize: 2,
  embeddable: true,
  conformance: (v) => Buffer.byteLength(v, 'utf16le') / 2 + 1,
  write(w, v) {
    w.bytes(Buffer.from(v + '\0', 'utf16le'));
  },
  read(r) {
    const n = r.count(r.conformance ?? 0, 'DSNAME NameLen + 1', [0, 10485761], 2);
    r.conformance = undefined;
    if (n === 0) throw new NdrError('ERR_NDR_INVALID', 'DSNAME StringName without its terminating NUL');
    r.align(2);
    const b = r.bytes(n * 2);
    return b.toString('utf16le', 0, (n - 1) * 2);
  },
};

interface DSNAME_wire {
  structLen: number;
  SidLen: number;
  Guid: Buffer;
  Sid: Buffer;
  NameLen: number;
  StringName: string;
}
const DSNAME_w = struct<DSNAME_wire>('DSNAME', {
  structLen: u32,
  SidLen: u32,
  Guid: guid,
  Sid: fixedBytes(28),
  NameLen: u32,
  StringName,
});

/** The fixed part of a DSNAME: structLen, SidLen, Guid, Sid[28], NameLen. */
const DSNAME_FIXED = 4 + 4 + 16 + 28 + 4;

export const DSNAME: NdrType<T.DSNAME> = mapped<DSNAME_wire, T.DSNAME>(
  DSNAME_w,
  (x) => {
    if (x.SidLen > 28) throw new NdrError('ERR_NDR_INVALID', `DSNAME SidLen ${x.SidLen} > 28`);
    if (x.NameLen !== Buffer.byteLength(x.StringName, 'utf16le') / 2) throw new NdrError('ERR_NDR_INVALID', `DSNAME NameLen ${x.NameLen} does not match StringName`);
    return { Guid: x.Guid, Sid: Buffer.from(x.Sid.subarray(0, x.SidLen)), StringName: x.StringName };
  },
  (v) => {
    if (v.Sid.length > 28) throw new NdrError('ERR_NDR_INVALID', `a DSNAME holds a SID of at most 28 bytes, not ${v.Sid.length}`);
    const sid = Buffer.alloc(28);
    v.Sid.copy(sid);
    const nameLen = Buffer.byteLength(v.StringName, 'utf16le') / 2;
    // MS-DRSR DSNAME: structLen is "the length, in bytes, of the entire data structure"
    return { structLen: DSNAME_FIXED + 2 * (nameLen + 1), SidLen: v.Sid.length, Guid: v.Guid, Sid: sid, NameLen: nameLen, StringName: v.StringName };
  },
);

// ---- vectors, cursors, prefix table ----------------------------------------------------------

export const USN_VECTOR = struct<T.USN_VECTOR>('USN_VECTOR', { usnHighObjUpdate: hyper, usnReserved: hyper, usnHighPropUpdate: hyper });

export const UPTODATE_CURSOR_V1 = struct<T.UPTODATE_CURSOR_V1>('UPTODATE_CURSOR_V1', { uuidDsa: guid, usnHighPropUpdate: hyper });
export const UPTODATE_CURSOR_V2 = struct<T.UPTODATE_CURSOR_V2>('UPTODATE_CURSOR_V2', { uuidDsa: guid, usnHighPropUpdate: hyper, timeLastSyncSuccess: hyper });

/** UPTODATE_VECTOR_V1_EXT / V2_EXT: { dwVersion; dwReserved1; [range(0,1048576)] cNumCursors; dwReserved2; rgCursors[cNumCursors] }. */
function utdVector<C>(version: 1 | 2, cursor: NdrType<C>): NdrType<{ rgCursors: C[] }> {
  const name = `UPTODATE_VECTOR_V${version}_EXT`;
  interface W {
    dwVersion: number;
    dwReserved1: number;
    cNumCursors: number;
    dwReserved2: number;
    rgCursors: C[];
  }
  const w = struct<W>(name, { dwVersion: u32, dwReserved1: u32, cNumCursors: u32, dwReserved2: u32, rgCursors: conformantArray(cursor, `${name} cNumCursors`, [0, 1048576]) });
  return mapped<W, { rgCursors: C[] }>(
    w,
    (x) => {
      if (x.dwVersion !== version) throw new NdrError('ERR_NDR_INVALID', `${name} dwVersion ${x.dwVersion}`);
      if (x.cNumCursors !== x.rgCursors.length) throw new NdrError('ERR_NDR_INVALID', `${name} cNumCursors ${x.cNumCursors} but ${x.rgCursors.length} cursors`);
      return { rgCursors: x.rgCursors };
    },
    // the reserved members: "MUST be 0 and ignored" (written 0, not checked on read)
    (v) => ({ dwVersion: version, dwReserved1: 0, cNumCursors: v.rgCursors.length, dwReserved2: 0, rgCursors: v.rgCursors }),
  );
}
export const UPTODATE_VECTOR_V1_EXT: NdrType<T.UPTODATE_VECTOR_V1_EXT> = utdVector(1, UPTODATE_CURSOR_V1);
export const UPTODATE_VECTOR_V2_EXT: NdrType<T.UPTODATE_VECTOR_V2_EXT> = utdVector(2, UPTODATE_CURSOR_V2);

/** A `[range] count; [size_is(count)] X *p` pair as one value: the array (a null pointer when empty). */
function countedPointer<X>(what: string, el: NdrType<X>, range: readonly [number, number]) {
  const p = pointer(conformantPointee(el, what, range));
  return { count: u32, ptr: p };
}

interface OID_t_wire {
  length: number;
  elements: Buffer | null;
}
/** MS-DRSR OID_t: { [range(0,10000)] length; [size_is(length)] BYTE *elements } */
const OID_t = mapped<OID_t_wire, Buffer>(
  struct<OID_t_wire>('OID_t', { length: u32, elements: pointer(bytesPointee('OID_t length', [0, 10000])) }),
  (x) => checkedBytes(x.elements, x.length, 'OID_t length'),
  (v) => ({ length: v.length, elements: v.length ? v : null }),
);

export const PrefixTableEntry = struct<T.PrefixTableEntry>('PrefixTableEntry', { ndx: u32, prefix: OID_t });

interface SPT_wire {
  PrefixCount: number;
  pPrefixEntry: T.PrefixTableEntry[] | null;
}
const spt = countedPointer('SCHEMA_PREFIX_TABLE PrefixCount', PrefixTableEntry, [0, 1048576]);
export const SCHEMA_PREFIX_TABLE = mapped<SPT_wire, T.SCHEMA_PREFIX_TABLE>(
  struct<SPT_wire>('SCHEMA_PREFIX_TABLE', { PrefixCount: spt.count, pPrefixEntry: spt.ptr }),
  (x) => ({ pPrefixEntry: checkedArray(x.pPrefixEntry, x.PrefixCount, 'SCHEMA_PREFIX_TABLE PrefixCount') }),
  (v) => ({ PrefixCount: v.pPrefixEntry.length, pPrefixEntry: v.pPrefixEntry.length ? v.pPrefixEntry : null }),
);

interface PAV_wire {
  dwVersion: number;
  dwReserved1: number;
  cAttrs: number;
  rgPartialAttr: number[];
}
export const PARTIAL_ATTR_VECTOR_V1_EXT = mapped<PAV_wire, T.PARTIAL_ATTR_VECTOR_V1_EXT>(
  struct<PAV_wire>('PARTIAL_ATTR_VECTOR_V1_EXT', { dwVersion: u32, dwReserved1: u32, cAttrs: u32, rgPartialAttr: conformantArray(u32, 'PARTIAL_ATTR_VECTOR_V1_EXT cAttrs', [1, 1048576]) }),
  (x) => {
    if (x.dwVersion !== 1) throw new NdrError('ERR_NDR_INVALID', `PARTIAL_ATTR_VECTOR_V1_EXT dwVersion ${x.dwVersion}`);
    if (x.cAttrs !== x.rgPartialAttr.length) throw new NdrError('ERR_NDR_INVALID', 'PARTIAL_ATTR_VECTOR_V1_EXT cAttrs does not match');
    return { rgPartialAttr: x.rgPartialAttr };
  },
  (v) => ({ dwVersion: 1, dwReserved1: 0, cAttrs: v.rgPartialAttr.length, rgPartialAttr: v.rgPartialAttr }),
);

// ---- ATTRVAL … ENTINF (MS-DRSR 5.16 ATTRVAL and the structures around it) ------------------------------------------------------

function checkedArray<X>(a: X[] | null, n: number, what: string): X[] {
  const got = a ?? [];
  if (got.length !== n) throw new NdrError('ERR_NDR_INVALID', `${what} ${n} but ${got.length} elements`);
  return got;
}
function checkedBytes(b: Buffer | null, n: number, what: string): Buffer {
  const got = b ?? Buffer.alloc(0);
  if (got.length !== n) throw new NdrError('ERR_NDR_INVALID', `${what} ${n} but ${got.length} bytes`);
  return got;
}

interface ATTRVAL_wire {
  valLen: number;
  pVal: Buffer | null;
}
export const ATTRVAL = mapped<ATTRVAL_wire, T.ATTRVAL>(
  struct<ATTRVAL_wire>('ATTRVAL', { valLen: u32, pVal: pointer(bytesPointee('ATTRVAL valLen', [0, 26214400])) }),
  (x) => checkedBytes(x.pVal, x.valLen, 'ATTRVAL valLen'),
  (v) => ({ valLen: v.length, pVal: v.length ? v : null }),
);

interface AVB_wire {
  valCount: number;
  pAVal: T.ATTRVAL[] | null;
}
const avb = countedPointer('ATTRVALBLOCK valCount', ATTRVAL, [0, 10485760]);
export const ATTRVALBLOCK = mapped<AVB_wire, T.ATTRVALBLOCK>(
  struct<AVB_wire>('ATTRVALBLOCK', { valCount: avb.count, pAVal: avb.ptr }),
  (x) => ({ pAVal: checkedArray(x.pAVal, x.valCount, 'ATTRVALBLOCK valCount') }),
  (v) => ({ valCount: v.pAVal.length, pAVal: v.pAVal.length ? v.pAVal : null }),
);

export const ATTR = struct<T.ATTR>('ATTR', { attrTyp: u32, AttrVal: ATTRVALBLOCK });

interface AB_wire {
  attrCount: number;
  pAttr: T.ATTR[] | null;
}
const ab = countedPointer('ATTRBLOCK attrCount', ATTR, [0, 1048576]);
export const ATTRBLOCK = mapped<AB_wire, T.ATTRBLOCK>(
  struct<AB_wire>('ATTRBLOCK', { attrCount: ab.count, pAttr: ab.ptr }),
  (x) => ({ pAttr: checkedArray(x.pAttr, x.attrCount, 'ATTRBLOCK attrCount') }),
  (v) => ({ attrCount: v.pAttr.length, pAttr: v.pAttr.length ? v.pAttr : null }),
);

export const ENTINF = struct<T.ENTINF>('ENTINF', { pName: pointer(DSNAME), ulFlags: u32, AttrBlock: ATTRBLOCK });

// ---- metadata ---------------------------------------------------------------------------------

export const PROPERTY_META_DATA_EXT = struct<T.PROPERTY_META_DATA_EXT>('PROPERTY_META_DATA_EXT', { dwVersion: u32, timeChanged: hyper, uuidDsaOriginating: guid, usnOriginating: hyper });

interface PMDV_wire {
  cNumProps: number;
  rgMetaData: T.PROPERTY_META_DATA_EXT[];
}
export const PROPERTY_META_DATA_EXT_VECTOR = mapped<PMDV_wire, T.PROPERTY_META_DATA_EXT_VECTOR>(
  struct<PMDV_wire>('PROPERTY_META_DATA_EXT_VECTOR', { cNumProps: u32, rgMetaData: conformantArray(PROPERTY_META_DATA_EXT, 'PROPERTY_META_DATA_EXT_VECTOR cNumProps', [0, 1048576]) }),
  (x) => ({ rgMetaData: checkedArray(x.rgMetaData, x.cNumProps, 'PROPERTY_META_DATA_EXT_VECTOR cNumProps') }),
  (v) => ({ cNumProps: v.rgMetaData.length, rgMetaData: v.rgMetaData }),
);

export const VALUE_META_DATA_EXT_V1 = struct<T.VALUE_META_DATA_EXT_V1>('VALUE_META_DATA_EXT_V1', { timeCreated: hyper, MetaData: PROPERTY_META_DATA_EXT });
export const VALUE_META_DATA_EXT_V3 = struct<T.VALUE_META_DATA_EXT_V3>('VALUE_META_DATA_EXT_V3', {
  timeCreated: hyper,
  MetaData: PROPERTY_META_DATA_EXT,
  unused1: u32,
  unused2: u32,
  unused3: u32,
  timeExpired: hyper,
});

export const REPLVALINF_V1 = struct<T.REPLVALINF_V1>('REPLVALINF_V1', { pObject: pointer(DSNAME), attrTyp: u32, Aval: ATTRVAL, fIsPresent: bool32, MetaData: VALUE_META_DATA_EXT_V1 });
export const REPLVALINF_V3 = struct<T.REPLVALINF_V3>('REPLVALINF_V3', { pObject: pointer(DSNAME), attrTyp: u32, Aval: ATTRVAL, fIsPresent: bool32, MetaData: VALUE_META_DATA_EXT_V3 });

// ---- REPLENTINFLIST (MS-DRSR 5.162): a linked list through [unique] pNextEntInf ---------------------

const pParentGuid = pointer(guid);
const pMetaDataExt = pointer(PROPERTY_META_DATA_EXT_VECTOR);

/**
 * The reference layout of `[unique] REPLENTINFLIST *pObjects` through the generic combinators
 * (the tests hold the fast path below to it byte for byte). Entry i's scalars are pNextEntInf, Entinf,
 * fIsNCPrefix, pParentGuid, pMetaDataExt; entry i+1 is the first referent deferred by entry i,
 * so NDR puts every entry's scalars first and the rest of the referents after, last entry first.
 * The explicit-stack deferral in ndr.ts keeps that iterative.
 */
export const pREPLENTINFLIST_GENERIC: NdrType<T.REPLENTINFLIST[]> = {
  align: 4,
  minSize: 4,
  pointers: true,
  write(w, list) {
    const entry = (i: number): void => {
      const e = list[i]!;
      if (i + 1 < list.length) {
        w.referent();
        w.defer(() => entry(i + 1));
      } else w.u32(0);
      ENTINF.write(w, e.Entinf);
      bool32.write(w, e.fIsNCPrefix);
      pParentGuid.write(w, e.pParentGuid);
      pMetaDataExt.write(w, e.pMetaDataExt);
    };
    if (list.length === 0) {
      w.u32(0);
      return;
    }
    w.referent();
    w.defer(() => entry(0));
  },
  read(r) {
    const out: T.REPLENTINFLIST[] = [];
    const entry = (): void => {
      const next = r.u32();
      const e = { Entinf: null as unknown as T.ENTINF, fIsNCPrefix: false, pParentGuid: null as Buffer | null, pMetaDataExt: null as T.PROPERTY_META_DATA_EXT_VECTOR | null };
      out.push(e);
      if (out.length > r.limits.maxCount) throw new NdrError('ERR_NDR_LIMIT', `REPLENTINFLIST longer than ${r.limits.maxCount}`);
      if (next !== 0) r.defer(entry);
      e.Entinf = ENTINF.read(r, (v) => (e.Entinf = v));
      e.fIsNCPrefix = bool32.read(r, () => undefined);
      e.pParentGuid = pParentGuid.read(r, (v) => (e.pParentGuid = v));
      e.pMetaDataExt = pMetaDataExt.read(r, (v) => (e.pMetaDataExt = v));
    };
    if (r.u32() !== 0) r.defer(entry);
    return out;
  },
};

/**
 * `[unique] REPLENTINFLIST *pObjects`, the bulk of every reply, written and read in one pass
 * without per-pointer closures. The layout is the generic one's (pREPLENTINFLIST_GENERIC, which
 * the tests compare it with): entry i's scalars are pNextEntInf, Entinf (pName, ulFlags,
 * AttrBlock.attrCount, AttrBlock.pAttr), fIsNCPrefix, pParentGuid, pMetaDataExt; entry i+1 is the
 * first referent entry i defers, so all the entries' scalars come first, then the rest of each
 * entry's referents, last entry first. Referent IDs are handed out in the same order.
 */
export const pREPLENTINFLIST: NdrType<T.REPLENTINFLIST[]> = {
  align: 4,
  minSize: 4,
  pointers: true,
  write(w, list) {
    writeEntryList(w, list, (e) => writeEntryReferents(w, e));
  },
  read(r, late) {
    if (r.u32() === 0) return [];
    const out: T.REPLENTINFLIST[] = [];
    r.defer(() => {
      const flags: number[] = [];
      for (;;) {
        const next = r.u32();
        const hasName = r.u32() !== 0;
        const ulFlags = r.u32();
        const attrCount = r.count(r.u32(), 'ATTRBLOCK attrCount', [0, 1048576]);
        const hasAttrs = r.u32() !== 0;
        const fIsNCPrefix = r.u32() !== 0;
        const hasParent = r.u32() !== 0;
        const hasMeta = r.u32() !== 0;
        if (hasAttrs !== attrCount > 0) throw new NdrError('ERR_NDR_INVALID', 'ATTRBLOCK attrCount does not match pAttr');
        out.push({ Entinf: { pName: null, ulFlags, AttrBlock: { pAttr: [] } }, fIsNCPrefix, pParentGuid: null, pMetaDataExt: null });
        flags.push((hasName ? 1 : 0) | (hasAttrs ? 2 : 0) | (hasParent ? 4 : 0) | (hasMeta ? 8 : 0), attrCount);
        if (out.length > r.limits.maxCount) throw new NdrError('ERR_NDR_LIMIT', `REPLENTINFLIST longer than ${r.limits.maxCount}`);
        if (next === 0) break;
      }
      for (let i = out.length - 1; i >= 0; i--) readEntryReferents(r, out[i]!, flags[2 * i]!, flags[2 * i + 1]!);
      late(out);
    });
    return out;
  },
};

/** What the scalars of a REPLENTINFLIST entry are made of (the wire's entries and the engine's, reply-stub.ts). */
interface EntryScalars {
  Entinf: { pName: unknown; ulFlags: number; AttrBlock: { pAttr: readonly unknown[] } };
  fIsNCPrefix: boolean;
  pParentGuid: unknown;
  pMetaDataExt: unknown;
}

/** pREPLENTINFLIST's layout: the list's referent, then every entry's scalars, then `referents(entry)` last entry first. */
export function writeEntryList<E extends EntryScalars>(w: NdrWriter, list: readonly E[], referents: (e: E) => void): void {
  if (list.length === 0) {
    w.u32(0);
    return;
  }
  w.referent();
  w.defer(() => {
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      if (i + 1 < list.length) w.referent();
      else w.u32(0);
      const en = e.Entinf;
      if (en.pName) w.referent();
      else w.u32(0);
      w.u32(en.ulFlags);
      const n = en.AttrBlock.pAttr.length;
      w.u32(n);
      if (n) w.referent();
      else w.u32(0);
      w.u32(e.fIsNCPrefix ? 1 : 0);
      if (e.pParentGuid) w.referent();
      else w.u32(0);
      if (e.pMetaDataExt) w.referent();
      else w.u32(0);
    }
    for (let i = list.length - 1; i >= 0; i--) referents(list[i]!);
  });
}

export function writeDsnamePointee(w: NdrWriter, d: T.DSNAME): void {
  const n = d.StringName.length;
  if (d.Sid.length > 28) throw new NdrError('ERR_NDR_INVALID', `a DSNAME holds a SID of at most 28 bytes, not ${d.Sid.length}`);
  w.u32(n + 1);
  w.u32(DSNAME_FIXED + 2 * (n + 1));
  w.u32(d.Sid.length);
  guid.write(w, d.Guid);
  w.bytes(d.Sid);
  w.zeros(28 - d.Sid.length);
  w.u32(n);
  w.utf16z(d.StringName);
}

function readDsnamePointee(r: NdrReader): T.DSNAME {
  const max = r.count(r.u32(), 'DSNAME NameLen + 1', [0, 10485761], 2);
  // structLen, SidLen, Guid, Sid[28], NameLen: 56 bytes, 4-aligned after max_count, read in place
  const b = r.buffer;
  const at = r.region(56);
  const sidLen = b.readUInt32LE(at + 4);
  const nameLen = b.readUInt32LE(at + 52);
  if (sidLen > 28) throw new NdrError('ERR_NDR_INVALID', `DSNAME SidLen ${sidLen} > 28`);
  if (max === 0 || nameLen !== max - 1) throw new NdrError('ERR_NDR_INVALID', `DSNAME NameLen ${nameLen} does not match StringName`);
  const name = r.utf16(nameLen);
  r.u16();
  return { Guid: copyAt(b, at + 8, 16), Sid: copyAt(b, at + 24, sidLen), StringName: name };
}

/** `n` bytes of `b` at `at` in a Buffer of their own. */
function copyAt(b: Buffer, at: number, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  b.copy(out, 0, at, at + n);
  return out;
}

function writeEntryReferents(w: NdrWriter, e: T.REPLENTINFLIST): void {
  const en = e.Entinf;
  if (en.pName) writeDsnamePointee(w, en.pName);
  const attrs = en.AttrBlock.pAttr;
  if (attrs.length) {
    w.u32(attrs.length);
    for (const a of attrs) {
      w.u32(a.attrTyp);
      w.u32(a.AttrVal.pAVal.length);
      if (a.AttrVal.pAVal.length) w.referent();
      else w.u32(0);
    }
    for (const a of attrs) {
      const vals = a.AttrVal.pAVal;
      if (!vals.length) continue;
      w.u32(vals.length);
      for (const v of vals) {
        w.u32(v.length);
        if (v.length) w.referent();
        else w.u32(0);
      }
      for (const v of vals) {
        if (!v.length) continue;
        w.u32(v.length);
        w.bytes(v);
      }
    }
  }
  if (e.pParentGuid) guid.write(w, e.pParentGuid);
  if (e.pMetaDataExt) writeMetaDataExtPointee(w, e.pMetaDataExt.rgMetaData);
}

/** The pointee of pMetaDataExt: PROPERTY_META_DATA_EXT_VECTOR (a conformant structure: max_count first). */
export function writeMetaDataExtPointee(w: NdrWriter, md: readonly T.PROPERTY_META_DATA_EXT[]): void {
  w.u32(md.length);
  w.align(8);
  w.u32(md.length);
  for (const m of md) {
    w.align(8);
    w.u32(m.dwVersion);
    w.hyper(m.timeChanged);
    guid.write(w, m.uuidDsaOriginating);
    w.hyper(m.usnOriginating);
  }
}

/** A LONGLONG at `at` as NdrReader.hyper reads it (a safe integer, else ERR_NDR_RANGE). */
function hyperAt(b: Buffer, at: number): number {
  const lo = b.readUInt32LE(at);
  const hi = b.readInt32LE(at + 4);
  if (hi > 0x1fffff || hi < -0x200000) throw new NdrError('ERR_NDR_RANGE', `hyper at offset ${at} is beyond 2^53`);
  return hi * 0x1_0000_0000 + lo;
}

/** Whether the 16 bytes at `at` are those of `g`. */
function sameGuidAt(b: Buffer, at: number, g: Buffer): boolean {
  for (let i = 0; i < 16; i++) if (b[at + i] !== g[i]) return false;
  return true;
}

function readEntryReferents(r: NdrReader, e: T.REPLENTINFLIST, f: number, attrCount: number): void {
  const en = e.Entinf;
  if (f & 1) en.pName = readDsnamePointee(r);
  if (f & 2) {
    const n = r.count(r.u32(), 'ATTRBLOCK attrCount', [0, 1048576], 12);
    if (n !== attrCount) throw new NdrError('ERR_NDR_INVALID', `ATTRBLOCK attrCount ${attrCount} but ${n} elements`);
    const attrs: T.ATTR[] = new Array(n);
    // the ATTRs (attrTyp, valCount, pAVal: 12 bytes each, 4-aligned after the count) read in place,
    // then each one's values (the referents, in the same order); nothing allocated but the values
    const b = r.buffer;
    const head = r.region(12 * n);
    for (let i = 0, at = head; i < n; i++, at += 12) {
      const c = r.count(b.readUInt32LE(at + 4), 'ATTRVALBLOCK valCount', [0, 10485760]);
      if ((b.readUInt32LE(at + 8) !== 0) !== c > 0) throw new NdrError('ERR_NDR_INVALID', 'ATTRVALBLOCK valCount does not match pAVal');
    }
    for (let i = 0, at = head; i < n; i++, at += 12) {
      const attrTyp = b.readUInt32LE(at);
      const count = b.readUInt32LE(at + 4);
      if (count === 0) {
        attrs[i] = { attrTyp, AttrVal: { pAVal: [] } };
        continue;
      }
      const m = r.count(r.u32(), 'ATTRVALBLOCK valCount', [0, 10485760], 8);
      if (m !== count) throw new NdrError('ERR_NDR_INVALID', `ATTRVALBLOCK valCount ${count} but ${m} elements`);
      const vals: Buffer[] = new Array(m);
      // the ATTRVALs (valLen, pVal: 8 bytes each) in place
      const lens = r.region(8 * m);
      for (let j = 0, q = lens; j < m; j++, q += 8) {
        const len = r.count(b.readUInt32LE(q), 'ATTRVAL valLen', [0, 26214400]);
        if ((b.readUInt32LE(q + 4) !== 0) !== len > 0) throw new NdrError('ERR_NDR_INVALID', 'ATTRVAL valLen does not match pVal');
      }
      for (let j = 0; j < m; j++) {
        const want = b.readUInt32LE(lens + 8 * j);
        if (want === 0) {
          vals[j] = Buffer.alloc(0);
          continue;
        }
        const len = r.count(r.u32(), 'ATTRVAL valLen', [0, 26214400], 1);
        if (len !== want) throw new NdrError('ERR_NDR_INVALID', `ATTRVAL valLen ${want} but ${len} bytes`);
        vals[j] = r.view(len);
      }
      attrs[i] = { attrTyp, AttrVal: { pAVal: vals } };
    }
    en.AttrBlock.pAttr = attrs;
  }
  if (f & 4) {
    r.align(4);
    e.pParentGuid = copyAt(r.buffer, r.region(16), 16);
  }
  if (f & 8) {
    const max = r.count(r.u32(), 'PROPERTY_META_DATA_EXT_VECTOR cNumProps', [0, 1048576], 40);
    r.align(8);
    const n = r.u32();
    if (n !== max) throw new NdrError('ERR_NDR_INVALID', `PROPERTY_META_DATA_EXT_VECTOR cNumProps ${n} but ${max} elements`);
    const md: T.PROPERTY_META_DATA_EXT[] = new Array(n);
    // an object's stamps name a few originating DCs: one copy of each invocationId per entry;
    // and most of its attributes were written by one originating update: a stamp equal to the
    // one before it is that same object (the decoded structures are read, never changed)
    let orig: Buffer | undefined;
    if (n > 0) {
      // the elements are 40 bytes each, 8-aligned: dwVersion, 4 bytes of padding, timeChanged,
      // uuidDsaOriginating, usnOriginating — read in place, the bytes checked once
      r.align(8);
      const b = r.buffer;
      let at = r.region(40 * n);
      let last: T.PROPERTY_META_DATA_EXT | undefined;
      for (let i = 0; i < n; i++, at += 40) {
        const dwVersion = b.readUInt32LE(at);
        const timeChanged = hyperAt(b, at + 8);
        const uuidDsaOriginating = orig && sameGuidAt(b, at + 16, orig) ? orig : (orig = Buffer.from(b.subarray(at + 16, at + 32)));
        const usnOriginating = hyperAt(b, at + 32);
        if (last && last.dwVersion === dwVersion && last.timeChanged === timeChanged && last.uuidDsaOriginating === uuidDsaOriginating && last.usnOriginating === usnOriginating) md[i] = last;
        else md[i] = last = { dwVersion, timeChanged, uuidDsaOriginating, usnOriginating };
      }
    }
    e.pMetaDataExt = { rgMetaData: md };
  }
}

// ---- GetNCChanges request (MS-DRSR 4.1.10.2.6 V8, and V10) ------------------------------------------

const getchgreqV8Fields = {
  uuidDsaObjDest: guid,
  uuidInvocIdSrc: guid,
  pNC: pointer(DSNAME, 'ref') as NdrType<T.DSNAME>,
  usnvecFrom: USN_VECTOR,
  pUpToDateVecDest: pointer(UPTODATE_VECTOR_V1_EXT),
  ulFlags: u32,
  cMaxObjects: u32,
  cMaxBytes: u32,
  ulExtendedOp: u32,
  liFsmoInfo: u64,
  pPartialAttrSet: pointer(PARTIAL_ATTR_VECTOR_V1_EXT),
  pPartialAttrSetEx: pointer(PARTIAL_ATTR_VECTOR_V1_EXT),
  PrefixTableDest: SCHEMA_PREFIX_TABLE,
};
export const DRS_MSG_GETCHGREQ_V8 = struct<T.DRS_MSG_GETCHGREQ_V8>('DRS_MSG_GETCHGREQ_V8', getchgreqV8Fields);
export const DRS_MSG_GETCHGREQ_V10 = struct<T.DRS_MSG_GETCHGREQ_V10>('DRS_MSG_GETCHGREQ_V10', { ...getchgreqV8Fields, ulMoreFlags: u32 });
/** `[switch_is(dwInVersion)] DRS_MSG_GETCHGREQ` (versions 8 and 10) */
export const DRS_MSG_GETCHGREQ = union('DRS_MSG_GETCHGREQ', { 8: DRS_MSG_GETCHGREQ_V8, 10: DRS_MSG_GETCHGREQ_V10 } as Record<number, NdrType<unknown>>) as unknown as NdrType<T.DRS_MSG_GETCHGREQ>;

// ---- GetNCChanges reply (MS-DRSR V6, and 4.1.10.2.14 V9) ------------------------------------------

interface Reply_wire<V> {
  uuidDsaObjSrc: Buffer;
  uuidInvocIdSrc: Buffer;
  pNC: T.DSNAME | null;
  usnvecFrom: T.USN_VECTOR;
  usnvecTo: T.USN_VECTOR;
  pUpToDateVecSrc: T.UPTODATE_VECTOR_V2_EXT | null;
  PrefixTableSrc: T.SCHEMA_PREFIX_TABLE;
  ulExtendedRet: number;
  cNumObjects: number;
  cNumBytes: number;
  pObjects: T.REPLENTINFLIST[];
  fMoreData: boolean;
  cNumNcSizeObjects: number;
  cNumNcSizeValues: number;
  cNumValues: number;
  rgValues: V[] | null;
  dwDRSError: number;
}

/**
 * DRS_MSG_GETCHGREPLY_V6/V9's members in IDL order, with cNumBytes and pObjects laid out by the
 * caller (reply-stub.ts writes the objects of the engine's reply in one pass, and cNumBytes after them).
 */
export function getChgReplyLayout<B, O, V>(name: string, cNumBytes: NdrType<B>, pObjects: NdrType<O>, rg: NdrType<V[] | null>) {
  return struct<Omit<Reply_wire<V>, 'cNumBytes' | 'pObjects'> & { cNumBytes: B; pObjects: O }>(name, {
    uuidDsaObjSrc: guid,
    uuidInvocIdSrc: guid,
    pNC: pointer(DSNAME),
    usnvecFrom: USN_VECTOR,
    usnvecTo: USN_VECTOR,
    pUpToDateVecSrc: pointer(UPTODATE_VECTOR_V2_EXT),
    PrefixTableSrc: SCHEMA_PREFIX_TABLE,
    ulExtendedRet: u32,
    cNumObjects: u32,
    cNumBytes,
    pObjects,
    fMoreData: bool32,
    cNumNcSizeObjects: u32,
    cNumNcSizeValues: u32,
    cNumValues: u32,
    rgValues: rg,
    dwDRSError: u32,
  });
}

function replyType<V, M extends { rgValues: V[]; cNumBytes?: number; pObjects: T.REPLENTINFLIST[] }>(name: string, rg: NdrType<V[] | null>): NdrType<M> {
  const wire: NdrType<Reply_wire<V>> = getChgReplyLayout(name, u32, pREPLENTINFLIST, rg);
  return mapped<Reply_wire<V>, M>(
    wire,
    (x) => {
      const rgValues = checkedArray(x.rgValues, x.cNumValues, `${name} cNumValues`);
      if (x.cNumObjects !== x.pObjects.length) throw new NdrError('ERR_NDR_INVALID', `${name} cNumObjects ${x.cNumObjects} but ${x.pObjects.length} objects`);
      const { cNumObjects: _o, cNumValues: _v, ...rest } = x;
      return { ...rest, rgValues } as unknown as M;
    },
    (m) => {
      const { rgValues, cNumBytes, ...rest } = m as unknown as Reply_wire<V> & { rgValues: V[]; cNumBytes?: number };
      return {
        ...(rest as unknown as Reply_wire<V>),
        cNumObjects: m.pObjects.length,
        // MS-DRSR DRS_MSG_GETCHGREPLY_V6 cNumBytes: "size in bytes of items in or referenced by elements in the pObjects linked list"
        cNumBytes: cNumBytes ?? approximateBytes(m.pObjects),
        cNumValues: rgValues.length,
        rgValues: rgValues.length ? rgValues : null,
      };
    },
  );
}

function approximateBytes(list: T.REPLENTINFLIST[]): number {
  let n = 0;
  for (const e of list) {
    n += 64 + 2 * (e.Entinf.pName?.StringName.length ?? 0);
    for (const a of e.Entinf.AttrBlock.pAttr) {
      n += 16;
      for (const v of a.AttrVal.pAVal) n += 12 + v.length;
    }
    n += 40 * (e.pMetaDataExt?.rgMetaData.length ?? 0);
  }
  return n >>> 0;
}

/** `[size_is(cNumValues)] REPLVALINF_V1* rgValues` through the generic combinators (the reference for the one-pass codec). */
export const pREPLVALINF_V1_GENERIC = pointer(conformantPointee(REPLVALINF_V1, 'DRS_MSG_GETCHGREPLY cNumValues', [0, 1048576]));
export const pREPLVALINF_V3_GENERIC = pointer(conformantPointee(REPLVALINF_V3, 'DRS_MSG_GETCHGREPLY cNumValues', [0, 1048576]));

/**
 * `[size_is(cNumValues)] REPLVALINF_Vn* rgValues` in one pass (a big group is a reply of link
 * values): max_count, every value's scalars (pObject, attrTyp, Aval.valLen, Aval.pVal, fIsPresent,
 * MetaData), then each value's referents in order (its pObject DSNAME, its Aval bytes).
 */
function pREPLVALINF(v3: boolean): NdrType<(T.REPLVALINF_V1 | T.REPLVALINF_V3)[] | null> {
  const what = 'DRS_MSG_GETCHGREPLY cNumValues';
  return {
    align: 4,
    minSize: 4,
    pointers: true,
    write(w, vals) {
      if (!vals) {
        w.u32(0);
        return;
      }
      w.referent();
      w.defer(() => {
        w.u32(vals.length);
        for (const v of vals) {
          w.align(8);
          if (v.pObject) w.referent();
          else w.u32(0);
          w.u32(v.attrTyp);
          w.u32(v.Aval.length);
          if (v.Aval.length) w.referent();
          else w.u32(0);
          w.u32(v.fIsPresent ? 1 : 0);
          const md = v.MetaData;
          w.hyper(md.timeCreated);
          w.u32(md.MetaData.dwVersion);
          w.hyper(md.MetaData.timeChanged);
          guid.write(w, md.MetaData.uuidDsaOriginating);
          w.hyper(md.MetaData.usnOriginating);
          if (v3) {
            const m3 = md as T.VALUE_META_DATA_EXT_V3;
            w.u32(m3.unused1);
            w.u32(m3.unused2);
            w.u32(m3.unused3);
            w.hyper(m3.timeExpired);
          }
        }
        for (const v of vals) {
          if (v.pObject) writeDsnamePointee(w, v.pObject);
          if (v.Aval.length) {
            w.u32(v.Aval.length);
            w.bytes(v.Aval);
          }
        }
      });
    },
    read(r, late) {
      if (r.u32() === 0) return null;
      const out: (T.REPLVALINF_V1 | T.REPLVALINF_V3)[] = [];
      r.defer(() => {
        const n = r.count(r.u32(), what, [0, 1048576], v3 ? 88 : 64);
        const flags: number[] = new Array(n);
        for (let i = 0; i < n; i++) {
          r.align(8);
          const hasObject = r.u32() !== 0;
          const attrTyp = r.u32();
          const valLen = r.count(r.u32(), 'ATTRVAL valLen', [0, 26214400]);
          const hasVal = r.u32() !== 0;
          if (hasVal !== valLen > 0) throw new NdrError('ERR_NDR_INVALID', 'ATTRVAL valLen does not match pVal');
          const fIsPresent = r.u32() !== 0;
          const timeCreated = r.hyper();
          const dwVersion = r.u32();
          const timeChanged = r.hyper();
          const uuidDsaOriginating = guid.read(r, () => undefined);
          const usnOriginating = r.hyper();
          const MetaData: T.VALUE_META_DATA_EXT_V1 | T.VALUE_META_DATA_EXT_V3 = v3
            ? { timeCreated, MetaData: { dwVersion, timeChanged, uuidDsaOriginating, usnOriginating }, unused1: r.u32(), unused2: r.u32(), unused3: r.u32(), timeExpired: r.hyper() }
            : { timeCreated, MetaData: { dwVersion, timeChanged, uuidDsaOriginating, usnOriginating } };
          out.push({ pObject: null, attrTyp, Aval: Buffer.alloc(0), fIsPresent, MetaData } as T.REPLVALINF_V1);
          flags[i] = (hasObject ? 1 : 0) | (hasVal ? 2 : 0) | (valLen * 4);
        }
        for (let i = 0; i < n; i++) {
          const f = flags[i]!;
          const v = out[i]!;
          if (f & 1) v.pObject = readDsnamePointee(r);
          if (f & 2) {
            const len = r.count(r.u32(), 'ATTRVAL valLen', [0, 26214400], 1);
            if (len !== Math.floor(f / 4)) throw new NdrError('ERR_NDR_INVALID', `ATTRVAL valLen ${Math.floor(f / 4)} but ${len} bytes`);
            v.Aval = r.view(len);
          }
        }
        late(out);
      });
      return out;
    },
  };
}
export const pREPLVALINF_V1 = pREPLVALINF(false) as NdrType<T.REPLVALINF_V1[] | null>;
export const pREPLVALINF_V3 = pREPLVALINF(true) as NdrType<T.REPLVALINF_V3[] | null>;

export const DRS_MSG_GETCHGREPLY_V6 = replyType<T.REPLVALINF_V1, T.DRS_MSG_GETCHGREPLY_V6>('DRS_MSG_GETCHGREPLY_V6', pREPLVALINF_V1);
export const DRS_MSG_GETCHGREPLY_V9 = replyType<T.REPLVALINF_V3, T.DRS_MSG_GETCHGREPLY_V9>('DRS_MSG_GETCHGREPLY_V9', pREPLVALINF_V3);
/** `[switch_is(*pdwOutVersion)] DRS_MSG_GETCHGREPLY` (versions 6 and 9) */
export const DRS_MSG_GETCHGREPLY = union('DRS_MSG_GETCHGREPLY', { 6: DRS_MSG_GETCHGREPLY_V6, 9: DRS_MSG_GETCHGREPLY_V9 } as Record<number, NdrType<unknown>>) as unknown as NdrType<T.DRS_MSG_GETCHGREPLY>;

// ---- ReplicaSync, UpdateRefs, ReplicaDel (MS-DRSR 4.1.23, 4.1.26, 4.1.20) -------------------------------------

export const DRS_MSG_REPSYNC_V1 = struct<T.DRS_MSG_REPSYNC_V1>('DRS_MSG_REPSYNC_V1', {
  pNC: pointer(DSNAME, 'ref') as NdrType<T.DSNAME>,
  uuidDsaSrc: guid,
  pszDsaSrc: pointer(stringPointee('ascii', 'pszDsaSrc')),
  ulOptions: u32,
});
export const DRS_MSG_REPSYNC = union('DRS_MSG_REPSYNC', { 1: DRS_MSG_REPSYNC_V1 } as Record<number, NdrType<unknown>>) as unknown as NdrType<Switched<1, T.DRS_MSG_REPSYNC_V1>>;

export const DRS_MSG_UPDREFS_V1 = struct<T.DRS_MSG_UPDREFS_V1>('DRS_MSG_UPDREFS_V1', {
  pNC: pointer(DSNAME, 'ref') as NdrType<T.DSNAME>,
  pszDsaDest: pointer(stringPointee('ascii', 'pszDsaDest'), 'ref') as NdrType<string>,
  uuidDsaObjDest: guid,
  ulOptions: u32,
});
export const DRS_MSG_UPDREFS = union('DRS_MSG_UPDREFS', { 1: DRS_MSG_UPDREFS_V1 } as Record<number, NdrType<unknown>>) as unknown as NdrType<Switched<1, T.DRS_MSG_UPDREFS_V1>>;

/** MS-DRSR 4.1.20.1.1 DRS_MSG_REPDEL_V1: the request of IDL_DRSReplicaDel */
export const DRS_MSG_REPDEL_V1 = struct<T.DRS_MSG_REPDEL_V1>('DRS_MSG_REPDEL_V1', {
  pNC: pointer(DSNAME, 'ref') as NdrType<T.DSNAME>,
  pszDsaSrc: pointer(stringPointee('ascii', 'pszDsaSrc')),
  ulOptions: u32,
});
export const DRS_MSG_REPDEL = union('DRS_MSG_REPDEL', { 1: DRS_MSG_REPDEL_V1 } as Record<number, NdrType<unknown>>) as unknown as NdrType<Switched<1, T.DRS_MSG_REPDEL_V1>>;

// ---- DRS_EXTENSIONS (MS-DRSR 5.39 DRS_EXTENSIONS_INT) and DRS_HANDLE ------------------------------------------

interface EXT_wire {
  cb: number;
  rgb: number[];
}
/** DRS_EXTENSIONS: { [range(1,10000)] DWORD cb; [size_is(cb)] BYTE rgb[] } whose rgb is a DRS_EXTENSIONS_INT without its cb. */
export const DRS_EXTENSIONS: NdrType<T.DRS_EXTENSIONS_INT> = mapped<EXT_wire, T.DRS_EXTENSIONS_INT>(
  struct<EXT_wire>('DRS_EXTENSIONS', { cb: u32, rgb: conformantArray({ align: 1, minSize: 1, write: (w, v: number) => w.u8(v), read: (r) => r.u8() }, 'DRS_EXTENSIONS cb', [1, 10000]) }),
  (x) => {
    if (x.cb !== x.rgb.length) throw new NdrError('ERR_NDR_INVALID', 'DRS_EXTENSIONS cb does not match');
    return parseExtensionsInt(Buffer.from(x.rgb));
  },
  (v) => {
    const b = formatExtensionsInt(v);
    return { cb: b.length, rgb: [...b] };
  },
);

/** MS-DRSR 5.39: the fields after cb, as many as cb covers. */
export function formatExtensionsInt(v: T.DRS_EXTENSIONS_INT): Buffer {
  const long = v.dwFlagsExt !== undefined || v.ConfigObjGUID !== undefined || v.dwExtCaps !== undefined;
  const b = Buffer.alloc(long ? 48 : 28);
  b.writeUInt32LE(v.dwFlags >>> 0, 0);
  v.SiteObjGuid.copy(b, 4);
  b.writeInt32LE(v.Pid | 0, 20);
  b.writeUInt32LE(v.dwReplEpoch >>> 0, 24);
  if (long) {
    b.writeUInt32LE((v.dwFlagsExt ?? 0) >>> 0, 28);
    (v.ConfigObjGUID ?? Buffer.alloc(16)).copy(b, 32);
    // dwExtCaps (cb 52) only when given
    if (v.dwExtCaps !== undefined) {
      const c = Buffer.alloc(4);
      c.writeUInt32LE(v.dwExtCaps >>> 0);
      return Buffer.concat([b, c]);
    }
  }
  return b;
}
export function parseExtensionsInt(b: Buffer): T.DRS_EXTENSIONS_INT {
  const at = (o: number) => (o + 4 <= b.length ? b.readUInt32LE(o) : 0);
  const v: T.DRS_EXTENSIONS_INT = {
    dwFlags: at(0),
    SiteObjGuid: b.length >= 20 ? Buffer.from(b.subarray(4, 20)) : Buffer.alloc(16),
    Pid: b.length >= 24 ? b.readInt32LE(20) : 0,
    dwReplEpoch: at(24),
  };
  if (b.length >= 32) v.dwFlagsExt = at(28);
  if (b.length >= 48) v.ConfigObjGUID = Buffer.from(b.subarray(32, 48));
  if (b.length >= 52) v.dwExtCaps = at(48);
  return v;
}

/** DRS_HANDLE: an RPC context handle, 20 bytes on the wire (attributes u32 + uuid), 4-aligned. */
export const DRS_HANDLE: NdrType<T.DRS_HANDLE> = {
  align: 4,
  minSize: 20,
  write(w, v) {
    if (v.length !== 20) throw new NdrError('ERR_NDR_INVALID', 'a context handle is 20 bytes');
    w.align(4);
    w.bytes(v);
  },
  read(r) {
    r.align(4);
    return r.bytes(20);
  },
};

export { NdrReader, NdrWriter };
