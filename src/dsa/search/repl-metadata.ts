// Replication metadata over LDAP, as Windows shows it:
// - replPropertyMetaData (not constructed in the schema, but never stored here: the stamps live
//   with each attribute in the record, MS-ADTS 3.1.1.1.9) rendered as the binary
//   PROPERTY_META_DATA_VECTOR (src/drs/blobs.ts);
// - MS-ADTS 3.1.1.4.5 constructed attributes msDS-ReplAttributeMetaData (one
//   DS_REPL_ATTR_META_DATA per stamped attribute), msDS-ReplValueMetaData (one
//   DS_REPL_VALUE_META_DATA per link value, present or not, with its LinkValueStamp),
//   msDS-NCReplCursors (the NC replica's up-to-dateness vector, this DC's cursor included),
//   msDS-NCReplInboundNeighbors / msDS-NCReplOutboundNeighbors (repsFrom / repsTo of the NC head),
//   and repsFrom / replUpToDateVector of an NC head from the engine's replica state,
//   each as XML or, with ";binary", as the DS_REPL_*_BLOB (src/drs/repl-info.ts).
import type { StoredValue } from '../../schema/syntaxes/syntax.js';
import { ReadContext, type ObjectView } from '../object-view.js';
import type { Directory } from '../directory.js';
import { indexKey } from '../../store/store.js';
import { encodeReplPropertyMetaData, decodeRepsFrom, encodeRepsFrom, encodeReplUpToDateVector, decodeReplUpToDateVector, type PropertyMetaData, type REPS_FROM, type ReplUpToDateCursor } from '../../drs/blobs.js';
import { guidToString } from '../../util/guid.js';
import {
  attrMetaDataBlob,
  attrMetaDataXml,
  cursorBlob,
  cursorXml,
  neighborBlob,
  neighborXml,
  valueMetaDataBlob,
  valueMetaDataXml,
  type DsReplAttrMetaData,
  type DsReplCursor3,
  type DsReplNeighbor,
} from '../../drs/repl-info.js';

/** What a metadata attribute needs besides the object: the ";binary" option. */
export interface ReplMetadataEnv {
  binary: boolean;
}

type Constructor = (v: ObjectView, env: ReplMetadataEnv) => StoredValue[];

/** seconds since 1601 → FILETIME */
const ft = (s: number): bigint => BigInt(s) * 10_000_000n;

/** The DN of the nTDSDSA object whose invocationId is `inv` ('' when this DC knows none). */
function dsaDnOfInvocation(rc: ReadContext, inv: Buffer): string {
  const dir = rc.dir;
  if (inv.equals(dir.store.dc.invocationId)) return dir.forest.dsaDN;
  const info = dir.schema.attr('invocationId');
  if (!info) return '';
  for (const g of rc.r.indexEqual(indexKey(info.id, info.syntax.normalize(inv)))) {
    const guid = Buffer.from(g);
    if (rc.r.hasObject(guid)) return rc.dnOf(guid);
  }
  return '';
}

function dsaDnOfGuid(rc: ReadContext, guid: Buffer): string {
  return rc.r.hasObject(guid) ? rc.dnOf(guid) : '';
}

/** MS-ADTS 3.1.1.1.9: the stamped attributes of the object, as replPropertyMetaData entries. */
export function propertyMetaData(v: ObjectView): PropertyMetaData[] {
  const out: PropertyMetaData[] = [];
  for (const a of v.rec.attrs) {
    const s = a.stamp;
    if (!s) continue;
    out.push({ attrType: a.id, dwVersion: s.dwVersion, timeChanged: BigInt(s.timeChanged), uuidDsaOriginating: s.uuidOriginating, usnOriginating: BigInt(s.usnOriginating), usnProperty: BigInt(s.usnLocal) });
  }
  return out.sort((a, b) => a.attrType - b.attrType);
}

function attributeMetaData(v: ObjectView, env: ReplMetadataEnv): StoredValue[] {
  const schema = v.rc.dir.schema;
  const out: StoredValue[] = [];
  for (const e of propertyMetaData(v)) {
    const m: DsReplAttrMetaData = {
      pszAttributeName: schema.attrById(e.attrType)?.name ?? String(e.attrType),
      dwVersion: e.dwVersion,
      ftimeLastOriginatingChange: e.timeChanged * 10_000_000n,
      uuidLastOriginatingDsaInvocationID: e.uuidDsaOriginating,
      usnOriginatingChange: e.usnOriginating,
      usnLocalChange: e.usnProperty,
      pszLastOriginatingDsaDN: dsaDnOfInvocation(v.rc, e.uuidDsaOriginating),
    };
    out.push(env.binary ? attrMetaDataBlob(m) : attrMetaDataXml(m));
  }
  return out;
}

function valueMetaData(v: ObjectView, env: ReplMetadataEnv): StoredValue[] {
  const rc = v.rc;
  const schema = rc.dir.schema;
  const out: StoredValue[] = [];
  for (const lv of rc.r.links(v.guid)) {
    const s = lv.stamp;
    const m = {
      pszAttributeName: schema.attrByLinkId(lv.linkId)?.name ?? String(lv.attid),
      pszObjectDn: rc.r.hasObject(lv.target) ? rc.dnOf(lv.target) : '',
      pbData: lv.data,
      ftimeDeleted: s.timeDeleted ? ft(s.timeDeleted) : 0n,
      ftimeCreated: ft(s.timeCreated),
      dwVersion: s.dwVersion,
      ftimeLastOriginatingChange: ft(s.timeChanged),
      uuidLastOriginatingDsaInvocationID: s.uuidOriginating,
      usnOriginatingChange: BigInt(s.usnOriginating),
      usnLocalChange: BigInt(s.usnLocal),
      pszLastOriginatingDsaDN: dsaDnOfInvocation(rc, s.uuidOriginating),
    };
    out.push(env.binary ? valueMetaDataBlob(m) : valueMetaDataXml(m));
  }
  return out;
}

/**
 * The replication state of an NC replica as the engine keeps it (src/dsa/replica/state.ts: meta
 * key "repl:<NC objectGUID hex>", the UTD vector and one repsFrom watermark per source), read
 * structurally so that this module does not depend on the engine.
 */
interface ReplicaStateView {
  utd: { uuidDsa: Uint8Array; usnHighPropUpdate: number; timeLastSyncSuccess: number }[];
  repsFrom: { uuidDsa: Uint8Array; uuidInvocId: Uint8Array; usnvec: { usnHighObjUpdate: number; usnReserved: number; usnHighPropUpdate: number }; timeLastSuccess: number; timeLastAttempt?: number; ulResultLastAttempt?: number; cConsecutiveFailures?: number }[];
}
function replicaState(v: ObjectView): ReplicaStateView {
  const s = v.rc.r.getMeta<ReplicaStateView>(`repl:${v.guid.toString('hex')}`);
  return { utd: Array.isArray(s?.utd) ? s.utd : [], repsFrom: Array.isArray(s?.repsFrom) ? s.repsFrom : [] };
}

const buf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** REPLTIMES of a repsFrom this DC made: replicate every 15 minutes of the week (one bit per quarter hour). */
const SCHEDULE_ALWAYS = Buffer.alloc(84, 0xff);
// MS-DRSR DRS_OPTIONS of an inbound replica: DRS_WRIT_REP | DRS_INIT_SYNC | DRS_PER_SYNC
const REPS_FROM_FLAGS = 0x10 | 0x20 | 0x40;

/** repsFrom of an NC head: the stored values, else the engine's state as REPS_FROM values (MS-DRSR 5.170). */
function repsFromValues(v: ObjectView): Buffer[] {
  if (v.rec.parent !== null) return [];
  const info = v.rc.dir.schema.attr('repsFrom');
  const stored = info ? v.values(info).filter((x): x is Uint8Array => x instanceof Uint8Array) : [];
  if (stored.length) return stored.map(buf);
  const forestDns = v.rc.dir.forest.realm;
  return replicaState(v).repsFrom.map((r) =>
    encodeRepsFrom({
      // the last cycle's outcome (src/dsa/replica/cycle-status.ts), when one was recorded
      cConsecutiveFailures: r.cConsecutiveFailures ?? 0,
      timeLastSuccess: BigInt(r.timeLastSuccess),
      timeLastAttempt: BigInt(r.timeLastAttempt ?? r.timeLastSuccess),
      ulResultLastAttempt: r.ulResultLastAttempt ?? 0,
      ulReplicaFlags: REPS_FROM_FLAGS,
      rtSchedule: SCHEDULE_ALWAYS,
      dwReserved1: 0,
      usnVec: { usnHighObjUpdate: BigInt(r.usnvec.usnHighObjUpdate), usnReserved: BigInt(r.usnvec.usnReserved), usnHighPropUpdate: BigInt(r.usnvec.usnHighPropUpdate) },
      uuidDsaObj: buf(r.uuidDsa),
      uuidInvocId: buf(r.uuidInvocId),
      uuidTransportObj: Buffer.alloc(16),
      // a DC's NetworkAddress: <DSA objectGUID>._msdcs.<forest root DNS name>
      naDsa: `${guidToString(r.uuidDsa)}._msdcs.${forestDns}`,
    }),
  );
}

/**
 * repsTo of an NC head (MS-DRSR 5.172): the stored values, else the DCs that registered with
 * IDL_DRSUpdateRefs (src/drs/update-refs.ts: meta "repsTo:<NC objectGUID hex>", read structurally).
 */
function repsToValues(v: ObjectView): Buffer[] {
  if (v.rec.parent !== null) return [];
  const info = v.rc.dir.schema.attr('repsTo');
  const stored = info ? v.values(info).filter((x): x is Uint8Array => x instanceof Uint8Array) : [];
  if (stored.length) return stored.map(buf);
  const refs = v.rc.r.getMeta<{ uuidDsa: string; naDsa: string; options: number; timeAdded: number }[]>(`repsTo:${v.guid.toString('hex')}`);
  if (!Array.isArray(refs)) return [];
  return refs.map((t) =>
    encodeRepsFrom({
      cConsecutiveFailures: 0,
      timeLastSuccess: BigInt(t.timeAdded ?? 0),
      timeLastAttempt: 0n,
      ulResultLastAttempt: 0,
      ulReplicaFlags: t.options ?? 0,
      rtSchedule: SCHEDULE_ALWAYS,
      dwReserved1: 0,
      usnVec: { usnHighObjUpdate: 0n, usnReserved: 0n, usnHighPropUpdate: 0n },
      uuidDsaObj: Buffer.from(String(t.uuidDsa), 'hex'),
      uuidInvocId: Buffer.alloc(16),
      uuidTransportObj: Buffer.alloc(16),
      naDsa: String(t.naDsa),
    }),
  );
}

/** The UTD vector of an NC head (MS-DRSR 5.166 replUpToDateVector): the stored value, else the engine's state. */
function utdCursors(v: ObjectView): ReplUpToDateCursor[] {
  const info = v.rc.dir.schema.attr('replUpToDateVector');
  const stored = info ? v.values(info)[0] : undefined;
  if (stored instanceof Uint8Array) {
    try {
      return decodeReplUpToDateVector(buf(stored));
    } catch {
      return [];
    }
  }
  return replicaState(v).utd.map((c) => ({ uuidDsa: buf(c.uuidDsa), usnHighPropUpdate: BigInt(c.usnHighPropUpdate), timeLastSyncSuccess: ft(c.timeLastSyncSuccess) }));
}

function replUpToDateVector(v: ObjectView): StoredValue[] {
  if (v.rec.parent !== null) return [];
  const c = utdCursors(v);
  return c.length ? [encodeReplUpToDateVector(c)] : [];
}

/** msDS-NCReplCursors: the UTD vector with this DC's own cursor at its highest USN first. */
function ncReplCursors(v: ObjectView, env: ReplMetadataEnv): StoredValue[] {
  return ncCursorsOf(v).map((c) => (env.binary ? cursorBlob(c) : cursorXml(c)));
}

/** The cursors of an NC head (none for other objects), this DC's first. */
export function ncCursorsOf(v: ObjectView): DsReplCursor3[] {
  if (v.rec.parent !== null) return [];
  const rc = v.rc;
  const dc = rc.dir.store.dc;
  const cursors: DsReplCursor3[] = [
    { uuidSourceDsaInvocationID: dc.invocationId, usnAttributeFilter: BigInt(rc.dir.store.highestCommittedUsn), ftimeLastSyncSuccess: 0n, pszSourceDsaDN: rc.dir.forest.dsaDN },
  ];
  for (const c of utdCursors(v)) {
    if (c.uuidDsa.equals(dc.invocationId)) continue;
    cursors.push({ uuidSourceDsaInvocationID: c.uuidDsa, usnAttributeFilter: c.usnHighPropUpdate, ftimeLastSyncSuccess: c.timeLastSyncSuccess, pszSourceDsaDN: dsaDnOfInvocation(rc, c.uuidDsa) });
  }
  return cursors;
}

function neighbors(attr: 'repsFrom' | 'repsTo'): Constructor {
  return (v, env) => neighborsOf(v, attr).map((n) => (env.binary ? neighborBlob(n) : neighborXml(n)));
}

/** The inbound (repsFrom) or outbound (repsTo) neighbors of an NC head (none for other objects). */
export function neighborsOf(v: ObjectView, attr: 'repsFrom' | 'repsTo'): DsReplNeighbor[] {
  {
    if (v.rec.parent !== null) return [];
    let raws: Buffer[];
    if (attr === 'repsFrom') raws = repsFromValues(v);
    else raws = repsToValues(v);
    const out: DsReplNeighbor[] = [];
    for (const raw of raws) {
      let r: REPS_FROM;
      try {
        r = decodeRepsFrom(raw);
      } catch {
        continue; // a value this DC cannot read is not shown
      }
      const n: DsReplNeighbor = {
        pszNamingContext: v.dn,
        pszSourceDsaDN: dsaDnOfGuid(v.rc, r.uuidDsaObj),
        pszSourceDsaAddress: r.naDsa,
        pszAsyncIntersiteTransportDN: '',
        dwReplicaFlags: r.ulReplicaFlags,
        dwReserved: 0,
        uuidNamingContextObjGuid: v.guid,
        uuidSourceDsaObjGuid: r.uuidDsaObj,
        uuidSourceDsaInvocationID: r.uuidInvocId,
        uuidAsyncIntersiteTransportObjGuid: r.uuidTransportObj,
        usnLastObjChangeSynced: r.usnVec.usnHighObjUpdate,
        usnAttributeFilter: r.usnVec.usnHighPropUpdate,
        ftimeLastSyncSuccess: r.timeLastSuccess * 10_000_000n,
        ftimeLastSyncAttempt: r.timeLastAttempt * 10_000_000n,
        dwLastSyncResult: r.ulResultLastAttempt,
        cNumConsecutiveSyncFailures: r.cConsecutiveFailures,
      };
      out.push(n);
    }
    return out;
  }
}

/** By lower-case lDAPDisplayName; registered in constructed.ts. */
export const REPL_METADATA: ReadonlyMap<string, Constructor> = new Map<string, Constructor>([
  ['replpropertymetadata', (v) => [encodeReplPropertyMetaData(propertyMetaData(v))]],
  ['msds-replattributemetadata', attributeMetaData],
  ['msds-replvaluemetadata', valueMetaData],
  ['msds-ncreplcursors', ncReplCursors],
  // not constructed in the schema, kept by the engine in its replica state (stored values win)
  ['repsfrom', (v) => repsFromValues(v)],
  ['repsto', (v) => repsToValues(v)],
  ['repluptodatevector', replUpToDateVector],
  ['msds-ncreplinboundneighbors', neighbors('repsFrom')],
  ['msds-ncreploutboundneighbors', neighbors('repsTo')],
]);

/**
 * rootDSE msDS-ReplAllInboundNeighbors / msDS-ReplAllOutboundNeighbors: the neighbors of every
 * NC replica this DC holds, as DS_REPL_NEIGHBOR XML (MS-ADTS 3.1.1.3.2 rootDSE attributes).
 */
export function replAllNeighbors(dir: Directory, attr: 'repsFrom' | 'repsTo'): string[] {
  const r = dir.store.snapshot();
  try {
    const rc = new ReadContext(dir, r);
    const out: string[] = [];
    for (const g of r.ncHeads()) {
      const v = rc.view(Buffer.from(g));
      if (v) for (const n of neighborsOf(v, attr)) out.push(neighborXml(n));
    }
    return out;
  } finally {
    r.done();
  }
}
