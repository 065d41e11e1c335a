// IDL_DRSGetNCChanges' response stub (MS-DRSR 4.1.10: [out] pdwOutVersion, pmsgOut, the return
// value) written in one pass from the engine's reply: the same bytes as
// encodeDRSGetNCChangesResponse({ pmsgOut: replyToWire(reply, codec), result: 0 }) (convert.ts,
// stubs.ts; test/drs/reply-stub.test.ts holds it to them), without the wire copy of the objects.
// The objects are the bulk of a reply (REPLENTINFLIST, MS-DRSR 5.162); each ATTRVAL (5.16) is
// put straight into a scratch area by its syntax's drsInto (wire-values.ts), its length taken
// from there, and its bytes copied into the stub, so a value costs no Buffer of its own and a
// reply keeps no second tree of its objects alive while it is written.
//
// NDR order as pREPLENTINFLIST (idl.ts) lays it out: every entry's scalars, then each entry's
// referents, last entry first. The prefix table precedes the objects on the wire but
// OID-valued attributes may add prefixes to it (MS-DRSR 5.16.4 MakeAttid), so a first pass
// takes those ATTRTYPs, in the order replyToWire does. cNumBytes (before the objects too) is
// filled in once the objects are written, with idl.ts approximateBytes' sum.
import { NdrWriter, guid, u32, type NdrType } from './ndr/ndr.js';
import { getChgReplyLayout, pREPLVALINF_V1, pREPLVALINF_V3, writeDsnamePointee, writeEntryList, writeMetaDataExtPointee } from './idl.js';
import { replyConversion, replyMessage, requestFromWire, type DrsCodec, type EngineGetChgReplyV6, type EngineGetChgReqV10, type EngineREPLENTINFLIST, type ReplyConversion } from './convert.js';
import { EncodedResponse, type DrsCallContext, type DrsHandlers } from './server.js';
import { WIRE_FORMS, type ValueSink } from './wire-values.js';
import type { StoredValue } from '../schema/syntaxes/syntax.js';

const EMPTY = Buffer.alloc(0);
const OID_FORM = WIRE_FORMS.get('String(Object-Identifier)');

/** The ATTRVAL bytes of one entry, one value after the other (reused from entry to entry). */
class ValueArea implements ValueSink {
  buf = Buffer.allocUnsafe(16 * 1024);
  pos = 0;

  #room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const b = Buffer.allocUnsafe(size);
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
  }
  bytes(v: Uint8Array): void {
    const n = v.length;
    this.#room(n);
    const b = this.buf;
    const p = this.pos;
    if (n <= 32) for (let i = 0; i < n; i++) b[p + i] = v[i]!;
    else b.set(v, p);
    this.pos = p + n;
  }
  u32(v: number): void {
    this.#room(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = v;
    b[p + 1] = v >>> 8;
    b[p + 2] = v >>> 16;
    b[p + 3] = v >>> 24;
    this.pos = p + 4;
  }
  i32(v: number): void {
    this.u32(v | 0);
  }
  i64(v: bigint): void {
    this.#room(8);
    this.buf.writeBigInt64LE(v, this.pos);
    this.pos += 8;
  }
  utf16(s: string): void {
    const n = s.length;
    this.#room(2 * n);
    const b = this.buf;
    const p = this.pos;
    if (n <= 64) {
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        b[p + 2 * i] = c;
        b[p + 2 * i + 1] = c >>> 8;
      }
    } else b.write(s, p, 'utf16le');
    this.pos = p + 2 * n;
  }
  utf8(s: string): void {
    const n = s.length;
    this.#room(n);
    const b = this.buf;
    const p = this.pos;
    let i = 0;
    if (n <= 64) {
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[p + i] = c;
      }
    }
    if (i === n) {
      this.pos = p + n;
      return;
    }
    // not short ASCII: Node's UTF-8 encoder (the one Buffer.from(s, 'utf8') uses)
    const len = Buffer.byteLength(s, 'utf8');
    this.#room(len);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }
  zeros(n: number): void {
    this.#room(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
  }
}

interface Pass {
  conv: ReplyConversion;
  area: ValueArea;
  /** end offsets in `area` of the current entry's values */
  ends: number[];
  /** approximateBytes' sum so far, and where cNumBytes sits in the stub */
  bytes: number;
  cNumBytesAt: number;
}

/** cNumBytes: a placeholder, written when the objects are (its position kept). */
const cNumBytesSlot: NdrType<Pass> = {
  align: 4,
  minSize: 4,
  write(w, p) {
    w.align(4);
    p.cNumBytesAt = w.length;
    w.u32(0);
  },
  read() {
    throw new Error('reply-stub.ts only writes');
  },
};

/** `[unique] REPLENTINFLIST *pObjects` from the engine's entries (pREPLENTINFLIST's layout). */
const engineObjects: NdrType<{ list: EngineREPLENTINFLIST[]; pass: Pass }> = {
  align: 4,
  minSize: 4,
  pointers: true,
  write(w, { list, pass }) {
    writeEntryList(w, list, (e) => writeEntryReferents(w, e, pass));
  },
  read() {
    throw new Error('reply-stub.ts only writes');
  },
};

function writeEntryReferents(w: NdrWriter, e: EngineREPLENTINFLIST, pass: Pass): void {
  const name = e.Entinf.pName;
  writeDsnamePointee(w, { Guid: name.Guid, Sid: name.Sid ?? EMPTY, StringName: name.StringName });
  let bytes = 64 + 2 * name.StringName.length;
  const attrs = e.Entinf.AttrBlock.pAttr;
  if (attrs.length) {
    const { area, ends } = pass;
    const { ctx, formOf } = pass.conv;
    area.pos = 0;
    ends.length = 0;
    for (const a of attrs) {
      const form = formOf(a.attrTyp);
      for (const v of a.AttrVal.pAVal) {
        if (form.drsInto) form.drsInto(v as StoredValue, ctx, area);
        else area.bytes(form.toDrs(v as StoredValue, ctx));
        ends.push(area.pos);
      }
    }
    w.u32(attrs.length);
    for (const a of attrs) {
      const n = a.AttrVal.pAVal.length;
      w.u32(a.attrTyp);
      w.u32(n);
      if (n) w.referent();
      else w.u32(0);
    }
    const buf = area.buf;
    let k = 0;
    for (const a of attrs) {
      const n = a.AttrVal.pAVal.length;
      bytes += 16;
      if (!n) continue;
      w.u32(n);
      for (let j = k; j < k + n; j++) {
        const len = ends[j]! - (j ? ends[j - 1]! : 0);
        w.u32(len);
        if (len) w.referent();
        else w.u32(0);
      }
      for (let j = k; j < k + n; j++) {
        const start = j ? ends[j - 1]! : 0;
        const len = ends[j]! - start;
        bytes += 12 + len;
        if (!len) continue;
        w.u32(len);
        w.bytesFrom(buf, start, ends[j]!);
      }
      k += n;
    }
  }
  if (e.pParentGuid) guid.write(w, e.pParentGuid);
  const md = e.pMetaDataExt.rgMetaData;
  writeMetaDataExtPointee(w, md);
  pass.bytes += bytes + 40 * md.length;
}

const V6 = getChgReplyLayout('DRS_MSG_GETCHGREPLY_V6', cNumBytesSlot, engineObjects, pREPLVALINF_V1);
const V9 = getChgReplyLayout('DRS_MSG_GETCHGREPLY_V9', cNumBytesSlot, engineObjects, pREPLVALINF_V3 as never);

/** The response stub of IDL_DRSGetNCChanges for an engine reply, result 0. */
export function encodeGetNCChangesReplyStub(reply: EngineGetChgReplyV6, codec: DrsCodec): Buffer {
  const conv = replyConversion(codec);
  // MS-DRSR 5.16.4: the OID values' ATTRTYPs, so that the prefix table is complete before the objects
  for (const o of reply.pObjects) {
    for (const a of o.Entinf.AttrBlock.pAttr) {
      if (conv.formOf(a.attrTyp) !== OID_FORM) continue;
      for (const v of a.AttrVal.pAVal) conv.table.makeAttrTyp(v as string);
    }
  }
  const pass: Pass = { conv, area: new ValueArea(), ends: [], bytes: 0, cNumBytesAt: -1 };
  const { version, msg } = replyMessage(reply, conv, { list: reply.pObjects, pass });
  const rgValues = msg.rgValues as unknown[];
  const body = { ...msg, cNumObjects: reply.pObjects.length, cNumBytes: pass, cNumValues: rgValues.length, rgValues: rgValues.length ? rgValues : null };
  const w = new NdrWriter(64 * 1024);
  w.write(u32, version);
  w.top(() => {
    w.u32(version);
    (version === 6 ? V6 : V9).write(w, body as never);
  });
  w.write(u32, 0);
  w.patchU32(pass.cNumBytesAt, pass.bytes >>> 0);
  return w.finish();
}

/** IDL_DRSGetNCChanges served by the engine's source side (a function of the engine's V10 request), its reply written in one pass. */
export function getNCChangesHandler(
  source: (req: EngineGetChgReqV10, ctx: DrsCallContext) => EngineGetChgReplyV6 | Promise<EngineGetChgReplyV6>,
  codec: () => DrsCodec,
): NonNullable<DrsHandlers['IDL_DRSGetNCChanges']> {
  return async (req, ctx) => {
    const reply = await source(requestFromWire(req.pmsgIn), ctx);
    return new EncodedResponse(encodeGetNCChangesReplyStub(reply, codec()));
  };
}
