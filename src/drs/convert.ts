// The replication engine's messages (src/dsa/replica/types.ts: MS-DRSR-shaped, values in the
// stored form of their syntax, this DC's ATTRTYPs, numbers for USNs) ↔ the wire structures
// of types.ts (ATTRVAL bytes, the sender's ATTRTYPs with its prefix table, bigints). The
// engine's shapes are its own types (Engine* below, imported as types only), so this layer loads
// no engine code and the engine does not import NDR.
//
// ATTRTYPs on the wire are relative to the prefix table the message carries (MS-DRSR 5.16.4;
// PrefixTableSrc of a reply, PrefixTableDest of a request): a sender sends its own table and
// its own ATTRTYPs; a receiver maps each ATTRTYP through the sender's table to an OID and
// through its own table back to an ATTRTYP. ATTRTYPs above 0x7FFFFFFF (msDS-IntId) are not
// prefix-mapped.
import { PrefixTable } from '../schema/prefix-table.js';
import type { DSName, StoredValue } from '../schema/syntaxes/syntax.js';
import { decodeDistnameBinary, decodeDsnameValue, encodeDistnameBinary, encodeDsnameValue, wireForm, WireValueError } from './wire-values.js';
import type * as W from './types.js';
import type * as E from '../dsa/replica/types.js';
import { DRSUAPI_OPNUM } from './types.js';
import type { DrsCallContext, DrsHandlers } from './server.js';
import type { DrsCaller } from './transport/tls.js';
import { decodeDRSGetNCChangesResponse, encodeDRSGetNCChangesRequest } from './stubs.js';

// ---- the engine's shapes (src/dsa/replica/types.ts) ---------------------------------------------
// Imported as types only: no engine code is loaded by this layer, and the engine imports no NDR.

export type EngineDSNAME = E.DSNAME;
export type EngineUSN_VECTOR = E.USN_VECTOR;
export type EngineCursor = E.UPTODATE_CURSOR_V2;
export type EngineUTD = E.UPTODATE_VECTOR_V2_EXT;
export type EnginePMD = E.PROPERTY_META_DATA_EXT;
export type EngineATTR = E.ATTR;
export type EngineREPLENTINFLIST = E.REPLENTINFLIST;
export type EngineLinkAval = E.LinkAval;
export type EngineREPLVALINF_V3 = E.REPLVALINF_V3;
export type EngineGetChgReqV10 = E.DRS_MSG_GETCHGREQ_V10;
export type EngineGetChgReplyV6 = E.DRS_MSG_GETCHGREPLY_V6;

/** What conversion needs of this DC. */
export interface DrsCodec {
  /** this DC's prefix table (its ATTRTYPs are computed with it); not modified */
  prefixTable: PrefixTable;
  /** the syntax (MS-ADTS name) of the attribute with this DC's ATTRTYP `id`; undefined: unknown attribute */
  syntaxOf(id: number): string | undefined;
  /** the current DN of a referenced object (references follow renames); the stored DN when the object is unknown */
  dnOf(ref: DSName): string;
}

// USNs and DSTIMEs are numbers on both sides (the NDR layer refuses hypers beyond 2^53)
const big = (n: number): number => n;
const num = (n: number): number => n;

function dsnameToWire(d: EngineDSNAME): W.DSNAME {
  return { Guid: d.Guid, Sid: d.Sid ?? Buffer.alloc(0), StringName: d.StringName };
}
function dsnameFromWire(d: W.DSNAME): EngineDSNAME {
  const out: EngineDSNAME = { Guid: d.Guid, StringName: d.StringName };
  if (d.Sid.length) out.Sid = d.Sid;
  return out;
}
const usnToWire = (u: EngineUSN_VECTOR): W.USN_VECTOR => ({ usnHighObjUpdate: big(u.usnHighObjUpdate), usnReserved: big(u.usnReserved), usnHighPropUpdate: big(u.usnHighPropUpdate) });
const usnFromWire = (u: W.USN_VECTOR): EngineUSN_VECTOR => ({ usnHighObjUpdate: num(u.usnHighObjUpdate), usnReserved: num(u.usnReserved), usnHighPropUpdate: num(u.usnHighPropUpdate) });
const pmdToWire = (m: EnginePMD): W.PROPERTY_META_DATA_EXT => ({ dwVersion: m.dwVersion, timeChanged: big(m.timeChanged), uuidDsaOriginating: m.uuidDsaOriginating, usnOriginating: big(m.usnOriginating) });
const pmdFromWire = (m: W.PROPERTY_META_DATA_EXT): EnginePMD => ({ dwVersion: m.dwVersion, timeChanged: num(m.timeChanged), uuidDsaOriginating: m.uuidDsaOriginating, usnOriginating: num(m.usnOriginating) });

/** A prefix table may end with the schema signature (a 21-byte prefix starting 0xFF), which maps no OID. */
function isSchemaSignature(e: W.PrefixTableEntry): boolean {
  return e.prefix.length === 21 && e.prefix[0] === 0xff;
}
export function prefixTableToWire(t: PrefixTable): W.SCHEMA_PREFIX_TABLE {
  return { pPrefixEntry: t.entries().map((e) => ({ ndx: e.index, prefix: Buffer.from(e.prefix) })) };
}
export function prefixTableFromWire(t: W.SCHEMA_PREFIX_TABLE): PrefixTable {
  return new PrefixTable(t.pPrefixEntry.filter((e) => !isSchemaSignature(e)).map((e) => ({ index: e.ndx, prefix: e.prefix })));
}

/** The sender's ATTRTYP → this DC's (MS-DRSR 5.16.4 OidFromAttid, then MakeAttid without adding). */
function mapAttrTyp(a: number, from: PrefixTable, to: PrefixTable): number {
  if (a > 0x7fffffff) return a;
  const oid = from.oidFromAttrTyp(a);
  const local = to.attrTypFromOid(oid);
  if (local === undefined) throw new WireValueError('ATTRTYP', `0x${a.toString(16)} (${oid}) is not in this DC's prefix table`);
  return local;
}

// ---- requests ---------------------------------------------------------------------------------

/** An engine V10 request on the wire; the UTD vector goes as V1 cursors (DRS_MSG_GETCHGREQ_V10's pUpToDateVecDest is an UPTODATE_VECTOR_V1_EXT). */
export function requestToWire(req: EngineGetChgReqV10, hDrs: W.DRS_HANDLE, codec: DrsCodec): { hDrs: W.DRS_HANDLE; pmsgIn: W.DRS_MSG_GETCHGREQ } {
  return {
    hDrs,
    pmsgIn: {
      version: 10,
      msg: {
        uuidDsaObjDest: req.uuidDsaObjDest,
        uuidInvocIdSrc: req.uuidInvocIdSrc,
        pNC: dsnameToWire(req.pNC),
        usnvecFrom: usnToWire(req.usnvecFrom),
        pUpToDateVecDest: req.pUpToDateVecDest ? { rgCursors: req.pUpToDateVecDest.rgCursors.map((c) => ({ uuidDsa: c.uuidDsa, usnHighPropUpdate: big(c.usnHighPropUpdate) })) } : null,
        ulFlags: req.ulFlags,
        cMaxObjects: req.cMaxObjects,
        cMaxBytes: req.cMaxBytes,
        ulExtendedOp: req.ulExtendedOp,
        liFsmoInfo: req.liFsmoInfo ?? 0n,
        pPartialAttrSet: null,
        pPartialAttrSetEx: null,
        PrefixTableDest: prefixTableToWire(codec.prefixTable),
        ulMoreFlags: req.ulMoreFlags,
      },
    },
  };
}

/** A wire request (V8 or V10) for the engine. */
export function requestFromWire(m: W.DRS_MSG_GETCHGREQ): EngineGetChgReqV10 {
  const q = m.msg;
  return {
    uuidDsaObjDest: q.uuidDsaObjDest,
    uuidInvocIdSrc: q.uuidInvocIdSrc,
    pNC: dsnameFromWire(q.pNC),
    usnvecFrom: usnFromWire(q.usnvecFrom),
    pUpToDateVecDest: q.pUpToDateVecDest ? { dwVersion: 2, dwReserved1: 0, rgCursors: q.pUpToDateVecDest.rgCursors.map((c) => ({ uuidDsa: c.uuidDsa, usnHighPropUpdate: num(c.usnHighPropUpdate), timeLastSyncSuccess: 0 })) } : null,
    ulFlags: q.ulFlags,
    cMaxObjects: q.cMaxObjects,
    cMaxBytes: q.cMaxBytes,
    ulExtendedOp: q.ulExtendedOp,
    ...(q.liFsmoInfo !== 0n ? { liFsmoInfo: q.liFsmoInfo } : {}),
    ulMoreFlags: m.version === 10 ? m.msg.ulMoreFlags : 0,
  };
}

// ---- replies ----------------------------------------------------------------------------------

function linkAvalToWire(syntax: string, a: EngineLinkAval, dnOf: DrsCodec['dnOf']): Buffer {
  const ref: DSName = { guid: a.target.Guid, dn: a.target.StringName, ...(a.target.Sid ? { sid: a.target.Sid } : {}) };
  if (syntax === 'Object(DN-Binary)' || syntax === 'Object(DN-String)') return encodeDistnameBinary(ref, dnOf(ref), a.data);
  return encodeDsnameValue(ref.guid, ref.sid, dnOf(ref));
}
function linkAvalFromWire(syntax: string, b: Buffer): EngineLinkAval {
  if (syntax === 'Object(DN-Binary)' || syntax === 'Object(DN-String)') {
    const { ref, data } = decodeDistnameBinary(b, syntax);
    return { target: { Guid: Buffer.from(ref.guid), StringName: ref.dn ?? '', ...(ref.sid ? { Sid: Buffer.from(ref.sid) } : {}) }, data };
  }
  const d = decodeDsnameValue(b, syntax);
  return { target: { Guid: d.guid, StringName: d.dn, ...(d.sid.length ? { Sid: d.sid } : {}) }, data: Buffer.alloc(0) };
}

function syntaxOrThrow(codec: DrsCodec, id: number): string {
  const s = codec.syntaxOf(id);
  if (!s) throw new WireValueError('ATTR', `attribute 0x${id.toString(16)} is not in this DC's schema`);
  return s;
}

/**
 * An engine reply on the wire, as DRS_MSG_GETCHGREPLY_V6 (link values as
 * REPLVALINF_V1) when no link value has an expiry time, else V9 (MS-DRSR 4.1.10.2.14: REPLVALINF_V3).
 */
export function replyToWire(reply: EngineGetChgReplyV6, codec: DrsCodec): W.DRS_MSG_GETCHGREPLY {
  const conv = replyConversion(codec);
  const { ctx, formOf } = conv;
  const pObjects: W.REPLENTINFLIST[] = reply.pObjects.map((o) => ({
    Entinf: {
      pName: dsnameToWire(o.Entinf.pName),
      ulFlags: o.Entinf.ulFlags,
      AttrBlock: {
        pAttr: o.Entinf.AttrBlock.pAttr.map((a) => {
          const form = formOf(a.attrTyp);
          return { attrTyp: a.attrTyp, AttrVal: { pAVal: a.AttrVal.pAVal.map((v) => form.toDrs(v as StoredValue, ctx)) } };
        }),
      },
    },
    fIsNCPrefix: o.fIsNCPrefix,
    pParentGuid: o.pParentGuid,
    pMetaDataExt: { rgMetaData: o.pMetaDataExt.rgMetaData.map(pmdToWire) },
  }));
  return replyMessage(reply, conv, pObjects) as W.DRS_MSG_GETCHGREPLY;
}

/** What converting one reply takes: the prefix table it carries (OID values add to it), DNs and wire forms, each found once. */
export interface ReplyConversion {
  table: PrefixTable;
  ctx: { prefixTable: PrefixTable; dnOf(ref: DSName): string };
  formOf(id: number): ReturnType<typeof wireForm>;
  codec: DrsCodec;
}

export function replyConversion(codec: DrsCodec): ReplyConversion {
  const table = codec.prefixTable.clone();
  // the reply is converted in one synchronous stretch: each referenced object's DN is derived once
  const dns = new Map<string, string>();
  const dnOf = (ref: DSName): string => {
    // a reference to an object this DC lacks keeps its stored DN: that is part of the key
    const g = ref.guid;
    const k = `${Buffer.isBuffer(g) ? g.toString('latin1') : Buffer.from(g.buffer, g.byteOffset, g.byteLength).toString('latin1')}\0${ref.dn ?? ''}`;
    let dn = dns.get(k);
    if (dn === undefined) dns.set(k, (dn = codec.dnOf(ref)));
    return dn;
  };
  const forms = new Map<number, ReturnType<typeof wireForm>>();
  const formOf = (id: number) => {
    let f = forms.get(id);
    if (!f) forms.set(id, (f = wireForm(syntaxOrThrow(codec, id))));
    return f;
  };
  return { table, ctx: { prefixTable: table, dnOf }, formOf, codec };
}

/**
 * The wire message around the objects (already converted, or written by the caller): link values,
 * vectors and the prefix table as the conversion left it. V6 (link values as REPLVALINF_V1) when
 * no link value has an expiry time, else V9 (MS-DRSR 4.1.10.2.14: REPLVALINF_V3).
 */
export function replyMessage<O>(reply: EngineGetChgReplyV6, conv: ReplyConversion, pObjects: O): { version: 6 | 9; msg: Omit<W.DRS_MSG_GETCHGREPLY_V6, 'pObjects'> & { pObjects: O } } {
  const values = reply.rgValues.map((v) => ({
    pObject: dsnameToWire(v.pObject),
    attrTyp: v.attrTyp,
    Aval: linkAvalToWire(syntaxOrThrow(conv.codec, v.attrTyp), v.Aval, conv.ctx.dnOf),
    fIsPresent: v.fIsPresent,
    timeCreated: big(v.MetaData.timeCreated),
    MetaData: pmdToWire(v.MetaData.MetaData),
    timeExpired: big(v.MetaData.timeExpired),
  }));
  const common = {
    uuidDsaObjSrc: reply.uuidDsaObjSrc,
    uuidInvocIdSrc: reply.uuidInvocIdSrc,
    pNC: dsnameToWire(reply.pNC),
    usnvecFrom: usnToWire(reply.usnvecFrom),
    usnvecTo: usnToWire(reply.usnvecTo),
    pUpToDateVecSrc: reply.pUpToDateVecSrc ? { rgCursors: reply.pUpToDateVecSrc.rgCursors.map((c) => ({ uuidDsa: c.uuidDsa, usnHighPropUpdate: big(c.usnHighPropUpdate), timeLastSyncSuccess: big(c.timeLastSyncSuccess) })) } : null,
    // OID-valued attributes may have added prefixes: the table goes out as the values left it
    PrefixTableSrc: prefixTableToWire(conv.table),
    ulExtendedRet: reply.ulExtendedRet,
    pObjects,
    fMoreData: reply.fMoreData,
    cNumNcSizeObjects: 0,
    cNumNcSizeValues: 0,
    dwDRSError: reply.dwDRSError,
  };
  if (values.every((v) => v.timeExpired === 0)) {
    return { version: 6, msg: { ...common, rgValues: values.map((v) => ({ pObject: v.pObject, attrTyp: v.attrTyp, Aval: v.Aval, fIsPresent: v.fIsPresent, MetaData: { timeCreated: v.timeCreated, MetaData: v.MetaData } })) } };
  }
  return {
    version: 9,
    msg: {
      ...common,
      rgValues: values.map((v) => ({ pObject: v.pObject, attrTyp: v.attrTyp, Aval: v.Aval, fIsPresent: v.fIsPresent, MetaData: { timeCreated: v.timeCreated, MetaData: v.MetaData, unused1: 0, unused2: 0, unused3: 0, timeExpired: v.timeExpired } })),
    } as never,
  };
}

/**
 * A wire reply for the engine: ATTRTYPs mapped to this DC's, values to their stored forms.
 * The message is consumed: its attribute blocks become the engine's, converted in place (a
 * chunk holds tens of thousands of them: no second copy of each).
 */
export function replyFromWire(m: W.DRS_MSG_GETCHGREPLY, codec: DrsCodec): EngineGetChgReplyV6 {
  const r = m.msg;
  const src = prefixTableFromWire(r.PrefixTableSrc.pPrefixEntry.length ? r.PrefixTableSrc : prefixTableToWire(codec.prefixTable));
  const local = codec.prefixTable;
  // the sender's ATTRTYPs and their forms, once per reply (the same few dozen attributes recur)
  // and, for the forms that copy bytes, the last value: the objects of a chunk mostly hold the
  // same security descriptor (some kilobytes), one copy of it serves them all
  const attrs = new Map<number, { id: number; form: ReturnType<typeof wireForm>; last?: { bytes: Buffer; value: StoredValue } }>();
  const attrOf = (a: number) => {
    let m = attrs.get(a);
    if (!m) {
      const id = mapAttrTyp(a, src, local);
      attrs.set(a, (m = { id, form: wireForm(syntaxOrThrow(codec, id)) }));
    }
    return m;
  };
  const fromCtx = { prefixTable: src };
  const pObjects: EngineREPLENTINFLIST[] = r.pObjects.map((o) => {
    const pAttr = o.Entinf.AttrBlock.pAttr as unknown as EngineATTR[];
    for (const a of pAttr) {
      const m = attrOf(a.attrTyp);
      const form = m.form;
      const vals = a.AttrVal.pAVal;
      if (form.copiesBytes) {
        for (let i = 0; i < vals.length; i++) {
          const b = vals[i] as W.ATTRVAL;
          const last = m.last;
          if (last && last.bytes.equals(b)) vals[i] = last.value;
          else m.last = { bytes: b, value: (vals[i] = form.fromDrs(b, fromCtx)) };
        }
      } else for (let i = 0; i < vals.length; i++) vals[i] = form.fromDrs(vals[i] as W.ATTRVAL, fromCtx);
      a.attrTyp = m.id;
      a.AttrVal.valCount = vals.length;
    }
    // the wire's PROPERTY_META_DATA_EXT is the engine's (numbers and a GUID): taken as decoded
    const md: EnginePMD[] = o.pMetaDataExt?.rgMetaData ?? [];
    if (!o.Entinf.pName) throw new WireValueError('REPLENTINFLIST', 'an object without its DSNAME');
    return {
      Entinf: { pName: dsnameFromWire(o.Entinf.pName), ulFlags: o.Entinf.ulFlags, AttrBlock: { attrCount: pAttr.length, pAttr } },
      fIsNCPrefix: o.fIsNCPrefix,
      pParentGuid: o.pParentGuid,
      pMetaDataExt: { cNumProps: md.length, rgMetaData: md },
    };
  });
  const rgValues: EngineREPLVALINF_V3[] = (r.rgValues as (W.REPLVALINF_V1 | W.REPLVALINF_V3)[]).map((v) => {
    const id = mapAttrTyp(v.attrTyp, src, local);
    if (!v.pObject) throw new WireValueError('REPLVALINF', 'a link value without its source object');
    const timeExpired = 'timeExpired' in v.MetaData ? num(v.MetaData.timeExpired) : 0;
    return {
      pObject: dsnameFromWire(v.pObject),
      attrTyp: id,
      Aval: linkAvalFromWire(syntaxOrThrow(codec, id), v.Aval),
      fIsPresent: v.fIsPresent,
      MetaData: { timeCreated: num(v.MetaData.timeCreated), MetaData: pmdFromWire(v.MetaData.MetaData), unused1: 0, unused2: 0, unused3: 0, timeExpired },
    };
  });
  if (!r.pNC) throw new WireValueError('DRS_MSG_GETCHGREPLY', 'no pNC');
  return {
    uuidDsaObjSrc: r.uuidDsaObjSrc,
    uuidInvocIdSrc: r.uuidInvocIdSrc,
    pNC: dsnameFromWire(r.pNC),
    usnvecFrom: usnFromWire(r.usnvecFrom),
    usnvecTo: usnFromWire(r.usnvecTo),
    pUpToDateVecSrc: r.pUpToDateVecSrc ? { dwVersion: 2, dwReserved1: 0, rgCursors: r.pUpToDateVecSrc.rgCursors.map((c) => ({ uuidDsa: c.uuidDsa, usnHighPropUpdate: num(c.usnHighPropUpdate), timeLastSyncSuccess: num(c.timeLastSyncSuccess) })) } : null,
    ulExtendedRet: r.ulExtendedRet,
    cNumObjects: pObjects.length,
    cNumBytes: r.cNumBytes ?? 0,
    pObjects,
    fMoreData: r.fMoreData,
    cNumValues: rgValues.length,
    rgValues,
    dwDRSError: r.dwDRSError,
  };
}

// ---- the engine on the transport ----------------------------------------------------------------

/** The destination's call: an engine request over a DrsCaller (the TLS client, later DCE/RPC), the engine's reply back. */
export async function callGetNCChanges(client: DrsCaller, hDrs: W.DRS_HANDLE, req: EngineGetChgReqV10, codec: DrsCodec): Promise<EngineGetChgReplyV6> {
  const stub = await client.call(DRSUAPI_OPNUM.IDL_DRSGetNCChanges, encodeDRSGetNCChangesRequest(requestToWire(req, hDrs, codec)));
  const res = decodeDRSGetNCChangesResponse(stub);
  if (res.result !== 0) throw new WireValueError('IDL_DRSGetNCChanges', `the source answered 0x${res.result.toString(16).padStart(8, '0')}`);
  return replyFromWire(res.pmsgOut, codec);
}
