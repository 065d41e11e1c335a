// The source side of GetNCChanges (MS-DRSR 4.1.10.5 "Server Behavior of the
// IDL_DRSGetNCChanges Method"): one reply of a replication cycle, read from the one change
// walk (src/dsa/changes/changes-since.ts).
//
//  - the walk starts after the higher of usnvecFrom.usnHighObjUpdate and the destination's
//    up-to-date cursor for this DC (everything this DC holds at a local USN the cursor covers
//    has reached the destination already);
//  - each object carries only the attributes changed since then whose stamps the destination's
//    UTD vector does not cover (propagation dampening), link values with their LinkValueStamps;
//  - DRS_GET_ANC puts changed ancestors first; DRS_GET_TGT (ulMoreFlags) link targets;
//  - cMaxObjects / cMaxBytes end a reply at a USN position (never inside one), with fMoreData;
//  - usnvecTo is the position reached; the last reply of the cycle carries this DC's UTD vector
//    with its own cursor at the highest USN of the NC it walked.
import type { ReadTxn } from '../../store/store.js';
import type { LinkValue } from '../../store/record.js';
import type { DnCache } from '../names.js';
import { changesSince, utdLookup, type ObjectChange } from '../changes/changes-since.js';
import { DsWin32 } from '../model/ds-error.js';
import type { ReplicaContext } from './context.js';
import { readReplicaState } from './state.js';
import {
  DRS_GET_TGT,
  DrsOptions,
  type DRS_MSG_GETCHGREPLY_V6,
  type DRS_MSG_GETCHGREQ_V10,
  type REPLENTINFLIST,
  type REPLVALINF_V3,
  type UPTODATE_VECTOR_V2_EXT,
} from './types.js';

/** Rough size of a stored value on the wire, for cMaxBytes. */
function valueBytes(v: unknown): number {
  if (typeof v === 'string') return 2 * v.length + 8;
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return v.length + 8;
  if (v && typeof v === 'object') return 64;
  return 12;
}

const usnOk = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;

/** MS-DRSR 4.1.10.5: a request that does not hold together is ERROR_DS_DRA_INVALID_PARAMETER. */
function requestProblem(req: DRS_MSG_GETCHGREQ_V10): boolean {
  if (!req || !req.pNC || typeof req.pNC.StringName !== 'string' || !Buffer.isBuffer(req.pNC.Guid)) return true;
  if (!usnOk(req.usnvecFrom?.usnHighObjUpdate) || !usnOk(req.usnvecFrom?.usnHighPropUpdate)) return true;
  if (!Number.isInteger(req.ulFlags) || !Number.isInteger(req.ulMoreFlags) || !usnOk(req.cMaxObjects) || !usnOk(req.cMaxBytes)) return true;
  const cursors = req.pUpToDateVecDest?.rgCursors;
  if (req.pUpToDateVecDest && (!Array.isArray(cursors) || cursors.some((c) => !Buffer.isBuffer(c?.uuidDsa) || c.uuidDsa.length !== 16 || !usnOk(c.usnHighPropUpdate)))) return true;
  return false;
}

export function getNCChanges(ctx: ReplicaContext, r: ReadTxn, req: DRS_MSG_GETCHGREQ_V10): DRS_MSG_GETCHGREPLY_V6 {
  if (requestProblem(req)) {
    const zero = { usnHighObjUpdate: 0, usnReserved: 0, usnHighPropUpdate: 0 };
    return { uuidDsaObjSrc: ctx.serverGuid, uuidInvocIdSrc: ctx.invocationId, pNC: { Guid: Buffer.alloc(16), StringName: '' }, usnvecFrom: zero, usnvecTo: zero, pUpToDateVecSrc: null, ulExtendedRet: 0, cNumObjects: 0, cNumBytes: 0, pObjects: [], fMoreData: false, cNumValues: 0, rgValues: [], dwDRSError: DsWin32.ERROR_DS_DRA_INVALID_PARAMETER };
  }
  let nc: Buffer | undefined;
  try {
    nc = (req.pNC.StringName ? r.ncHeadByName(req.pNC.StringName) : undefined) ?? (Buffer.isBuffer(req.pNC.Guid) && req.pNC.Guid.length === 16 && r.getHeader(req.pNC.Guid)?.parent === null ? req.pNC.Guid : undefined);
  } catch {
    nc = undefined; // an unparseable NC name names no NC here
  }
  const base: DRS_MSG_GETCHGREPLY_V6 = {
    uuidDsaObjSrc: ctx.serverGuid,
    uuidInvocIdSrc: ctx.invocationId,
    pNC: nc ? { Guid: nc, StringName: req.pNC.StringName } : req.pNC,
    usnvecFrom: req.usnvecFrom,
    usnvecTo: req.usnvecFrom,
    pUpToDateVecSrc: null,
    ulExtendedRet: 0,
    cNumObjects: 0,
    cNumBytes: 0,
    pObjects: [],
    fMoreData: false,
    cNumValues: 0,
    rgValues: [],
    dwDRSError: 0,
  };
  if (!nc) return { ...base, dwDRSError: DsWin32.ERROR_DS_CANT_FIND_EXPECTED_NC };
  const utd = utdLookup(req.pUpToDateVecDest?.rgCursors);
  const own = utd.get(ctx.invocationId.toString('hex'));
  // usnHighObjUpdate: where the walk resumes; usnHighPropUpdate: the attribute floor of the cycle
  const usnFrom = Math.max(req.usnvecFrom.usnHighObjUpdate, own ?? 0);
  const propFrom = Math.max(Math.min(req.usnvecFrom.usnHighPropUpdate, req.usnvecFrom.usnHighObjUpdate), own ?? 0);
  const walk = changesSince(r, nc, usnFrom, utd, {
    attrsFrom: propFrom,
    ancestorsFirst: (req.ulFlags & DrsOptions.DRS_GET_ANC) !== 0,
    targetsFirst: (req.ulMoreFlags & DRS_GET_TGT) !== 0,
  });
  const maxObjects = req.cMaxObjects > 0 ? req.cMaxObjects : Infinity;
  const maxBytes = req.cMaxBytes > 0 ? req.cMaxBytes : Infinity;
  const objects: REPLENTINFLIST[] = [];
  // the objects of a container share their parent's DN: each ancestor's is derived once per reply
  const dns = ctx.names.cached(r);
  const values: REPLVALINF_V3[] = [];
  let bytes = 0;
  let position = usnFrom;
  let more = false;
  let full = false;
  // a reply ends at a USN position, never inside one: the objects of one update share a USN
  for (let step = walk.next(); !step.done; step = walk.next()) {
    const { change } = step.value;
    if (full && step.value.position !== position) {
      more = true;
      break;
    }
    if (change) {
      objects.push(entryOf(ctx, r, change, dns));
      bytes += entryBytes(change);
      for (const lv of change.links) values.push(valueOf(lv));
    }
    if (change?.ahead) continue;
    position = step.value.position;
    if (objects.length >= maxObjects || bytes >= maxBytes) full = true;
  }
  void walk.return(undefined);
  const reply: DRS_MSG_GETCHGREPLY_V6 = {
    ...base,
    // MS-DRSR 4.1.10.5: inside a cycle only the object watermark moves; the last reply moves both
    usnvecTo: { usnHighObjUpdate: position, usnReserved: 0, usnHighPropUpdate: more ? propFrom : position },
    cNumObjects: objects.length,
    cNumBytes: bytes,
    pObjects: objects,
    fMoreData: more,
    cNumValues: values.length,
    rgValues: values,
  };
  if (!more) reply.pUpToDateVecSrc = sourceUtd(ctx, r, nc, position);
  return reply;
}

/**
 * The UTD vector this DC sends in the last reply of a cycle: its own cursors for the NC and
 * one for itself at the highest USN of the NC (MS-DRSR 4.1.10.5: "pUpToDateVecSrc").
 */
function sourceUtd(ctx: ReplicaContext, r: ReadTxn, nc: Buffer, walkedTo: number): UPTODATE_VECTOR_V2_EXT {
  const state = readReplicaState(r, nc);
  let top = walkedTo;
  for (const s of r.changedSince(nc, walkedTo)) top = Math.max(top, s.usn);
  const now = ctx.clock();
  const cursors = state.utd.filter((c) => !c.uuidDsa.equals(ctx.invocationId));
  cursors.push({ uuidDsa: ctx.invocationId, usnHighPropUpdate: top, timeLastSyncSuccess: now });
  cursors.sort((a, b) => Buffer.compare(a.uuidDsa, b.uuidDsa));
  return { dwVersion: 2, dwReserved1: 0, rgCursors: cursors };
}

export function entryOf(ctx: ReplicaContext, r: ReadTxn, c: ObjectChange, dns?: DnCache): REPLENTINFLIST {
  const sidAttr = ctx.schema.objectSid;
  const sid = sidAttr === undefined ? undefined : (c.rec.attrs.find((a) => a.id === sidAttr)?.values[0] as Buffer | undefined);
  const n = c.attrs.length;
  const pAttr: REPLENTINFLIST['Entinf']['AttrBlock']['pAttr'] = new Array(n);
  const rgMetaData: REPLENTINFLIST['pMetaDataExt']['rgMetaData'] = new Array(n);
  // attributes that share one stored stamp object (decodeObject, update.ts) share one metadata
  // entry too: the entries are read, never changed, by the NDR encoder and the in-memory transports' receivers
  let lastStamp: unknown;
  let lastMd: REPLENTINFLIST['pMetaDataExt']['rgMetaData'][number] | undefined;
  for (let i = 0; i < n; i++) {
    const a = c.attrs[i]!;
    const s = a.stamp!;
    pAttr[i] = { attrTyp: a.id, AttrVal: { valCount: a.values.length, pAVal: a.values } };
    if (s !== lastStamp) lastMd = { dwVersion: s.dwVersion, timeChanged: s.timeChanged, uuidDsaOriginating: s.uuidOriginating, usnOriginating: s.usnOriginating };
    lastStamp = s;
    rgMetaData[i] = lastMd!;
  }
  return {
    Entinf: {
      pName: { Guid: c.guid, ...(sid ? { Sid: Buffer.from(sid) } : {}), StringName: dns ? dns.dnOfNamed(c.guid, c.rec) : ctx.names.dnOf(r, c.guid) },
      ulFlags: 0,
      AttrBlock: { attrCount: n, pAttr },
    },
    fIsNCPrefix: c.rec.parent === null,
    pParentGuid: c.rec.parent,
    pMetaDataExt: { cNumProps: n, rgMetaData },
  };
}

function entryBytes(c: ObjectChange): number {
  let n = 64;
  for (const a of c.attrs) {
    n += 32;
    for (const v of a.values) n += valueBytes(v);
  }
  return n + c.links.length * 80;
}

export function valueOf(lv: LinkValue): REPLVALINF_V3 {
  const s = lv.stamp;
  return {
    pObject: { Guid: lv.source, StringName: '' },
    attrTyp: lv.attid,
    Aval: { target: { Guid: lv.target, StringName: '' }, data: lv.data, ...(lv.extra !== undefined ? { extra: lv.extra } : {}) },
    fIsPresent: s.timeDeleted === 0,
    MetaData: {
      timeCreated: s.timeCreated,
      MetaData: { dwVersion: s.dwVersion, timeChanged: s.timeChanged, uuidDsaOriginating: s.uuidOriginating, usnOriginating: s.usnOriginating },
      unused1: 0,
      unused2: 0,
      unused3: 0,
      timeExpired: 0,
    },
  };
}
