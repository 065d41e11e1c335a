// LDAP_SERVER_DIRSYNC_OID (MS-ADTS 3.1.1.3.4.1.3) and LDAP_SERVER_DIRSYNC_EX_OID
// (MS-ADTS 3.1.1.3.4.1.29): a search that returns the objects of one NC replica changed since
// the state a cookie names, with only the attributes that changed. MS-DRSR 5.115
// (ProcessDirSyncSearchRequest) specifies it as a GetNCChanges cycle, and forestd reads it
// through the same change walk as GetNCChanges (src/dsa/changes/changes-since.ts), rendered
// as LDAP entries:
//
//   the cycle   starts at usnHighPropUpdate (S) of the cookie: every change with usnLocal ≤ S
//               has been reported. It walks the `usn` index of the NC — each object once, at
//               its latest uSNChanged, in USN order — from the position the cookie names
//               (usnHighObjUpdate plus, inside a USN, the resume tag), so a page costs what
//               its changes cost, never the size of the NC.
//   an object   is reported when it matches the filter and one of the requested replicated
//               attributes (or forward-link values) has a stamp with usnLocal > S that the
//               cookie's UTD vector does not already cover (MS-DRSR 5.115.11: a cookie from
//               another DC contributes its UTD vector only).
//   a page      ends past MaxBytes (a soft bound: an entry is never split) or the object
//               limit; MoreResults tells the client to come back with the new cookie.
//   parents     come before children in a full sync (S = 0) and with ANCESTORS_FIRST_ORDER:
//               an ancestor that changed later than its child is sent first and skipped at
//               its own place in the walk. The set of objects sent ahead of the resume point
//               is kept per cookie (DirSyncState, per DC), so a cycle of many pages costs what
//               its changes cost; for a cookie this DC no longer remembers (a restart) it is
//               rebuilt by replaying the decisions of the cycle's prefix.
//   parentGUID  only when the object was created, renamed or moved (its `name` changed): the
//               Parent-GUID attribute "holds the objectGuid of an object's parent when
//               replicating an object's creation, rename, or move" (MS-ADA3 parentGUID).
//   DNs         in the extended form when the search carries LDAP_SERVER_EXTENDED_DN_OID
//               (MS-ADTS 3.1.1.3.4.1.5).
import { accessFor } from '../dsa/access/requester.js';
import type { AccessContext } from '../dsa/access/access.js';
import { ControlAccessRight } from '../security/extended-rights.js';
import type { Control, OutgoingAttribute, SearchRequest } from '../ldap/protocol/messages.js';
import { DIRSYNC_OID, DirSyncFlags, dirSyncControl, encodeDirSyncResponse, type DirSyncRequestValue } from '../ldap/controls/dirsync.js';
import { DIRSYNC_EX_OID, dirSyncExControl } from '../ldap/controls/dirsync-ex.js';
import { ControlValueError } from '../ldap/controls/types.js';
import { InsufficientAccessRightsError, ProtocolError } from '../ldap/protocol/result-codes.js';
import type { OperationContext, OperationResult, SearchSink } from '../dsa/api.js';
import type { Directory } from '../dsa/directory.js';
import { AdError, dsid } from '../dsa/errors.js';
import { ReadContext } from '../dsa/object-view.js';
import type { AttrInfo } from '../dsa/schema-binding.js';
import { linkValue } from '../dsa/values.js';
import type { ReadTxn } from '../store/store.js';
import type { AttributeStamp, LinkValue, ObjectRecord, RecordHeader } from '../store/record.js';
import type { StoredValue } from '../schema/syntaxes/syntax.js';
import { DirSyncCookieError, decodeCookie, encodeCookie, filetimeNow, isZero, ncTag, type DirSyncCookie, type UtdCursor } from './cookie.js';
import { matchesFilter } from './filter-lite.js';
import { changesSince } from '../dsa/changes/changes-since.js';
import { ExtendedDn } from '../dsa/search/controls/extended-dn.js';
import { EXTENDED_DN_OID, extendedDnControl } from '../ldap/controls/extended-dn.js';
import { channel } from 'node:diagnostics_channel';

/** `{ session, ex }` once per DirSync request (metrics: who is following changes). */
export const dirSyncChannel = channel('forestd:dirsync:request');

export interface DirSyncOptions {
  /**
   * The smallest MaxBytes honoured. MS-ADTS 3.1.1.3.4.1.3: "The minimum value for MaxBytes is
   * 0x100000. When a lower value is specified, the value is ignored" — the default. Tests lower
   * it to exercise paging on small directories.
   */
  minMaxBytes?: number;
  /** the MaxPageSize policy (MS-ADTS 3.1.1.3.4.6), default 1000: objects per page at most */
  maxPageSize?: number;
  /** this DC's memory of the objects each unfinished cycle sent ahead (one per DC, never shared) */
  state?: DirSyncState;
}

/**
 * Per DC: for the cookie of each recent mid-cycle page, the objects that page and the earlier
 * ones sent ahead of the resume point. Bounded; a forgotten cookie falls back to the replay.
 */
export class DirSyncState {
  private readonly byCookie = new Map<string, Set<string>>();
  /** entries held over all remembered cookies */
  private held = 0;
  constructor(
    readonly maxCookies = 256,
    /** most entries one cookie's set may hold (a larger set is not remembered) */
    readonly maxEntries = 200_000,
    /** most entries held over all cookies: the oldest cookies are forgotten first */
    readonly maxTotalEntries = 1_000_000,
  ) {}

  /** cookies remembered */
  get size(): number {
    return this.byCookie.size;
  }

  /** entries held over all remembered cookies */
  get entries(): number {
    return this.held;
  }

  get(cookie: Buffer): Set<string> | undefined {
    const k = cookie.toString('latin1');
    const s = this.byCookie.get(k);
    if (s) {
      // most recently used last
      this.byCookie.delete(k);
      this.byCookie.set(k, s);
    }
    return s && new Set(s);
  }

  set(cookie: Buffer, ahead: Set<string>): void {
    if (ahead.size > this.maxEntries) return;
    const k = cookie.toString('latin1');
    const had = this.byCookie.get(k);
    if (had) {
      this.held -= had.size;
      this.byCookie.delete(k);
    }
    this.byCookie.set(k, ahead);
    this.held += ahead.size;
    while (this.byCookie.size > this.maxCookies || (this.held > this.maxTotalEntries && this.byCookie.size > 1)) {
      const [oldest, set] = this.byCookie.entries().next().value!;
      this.byCookie.delete(oldest);
      this.held -= set.size;
    }
  }
}

/** MS-ADTS 3.1.1.3.4.1.3: MaxBytes 0 or below the minimum means 0x100000. */
export const DIRSYNC_MIN_MAX_BYTES = 0x100000;
const DEFAULT_MAX_PAGE_SIZE = 1000;
/** ERROR_DS_DRA_ACCESS_DENIED (MS-ERREF 2.2) */
const ERROR_DS_DRA_ACCESS_DENIED = 0x2105;
const ALWAYS_RETURN = 'dirsyncalwaysreturn';

function draAccessDenied(place: string, detail: string): InsufficientAccessRightsError {
  return new InsufficientAccessRightsError(`${ERROR_DS_DRA_ACCESS_DENIED.toString(16).toUpperCase().padStart(8, '0')}: SecErr: ${dsid(place)}, problem 4003 (INSUFF_ACCESS_RIGHTS), data 0\n${detail}`);
}

/**
 * For the search dispatcher: the DirSync control of a search request that must be routed to
 * dirSyncSearch, or undefined when there is none — or when its value is malformed and it is
 * not critical, which MS-ADTS 3.1.1.3.4.1 says to ignore. A malformed critical one is
 * unavailableCriticalExtension; DIRSYNC and DIRSYNC_EX together are protocolError (MS-ADTS
 * 3.1.1.3.4.1, "These two OID values are mutually exclusive").
 */
export function dirSyncControlOf(controls: readonly Control[]): Control | undefined {
  const found = controls.filter((c) => c.type === DIRSYNC_OID || c.type === DIRSYNC_EX_OID);
  if (found.length === 0) return undefined;
  if (new Set(found.map((c) => c.type)).size > 1) throw AdError.protocolError('dirsync.controls', 'LDAP_SERVER_DIRSYNC_OID and LDAP_SERVER_DIRSYNC_EX_OID cannot be used together');
  const c = found[0]!;
  try {
    (c.type === DIRSYNC_EX_OID ? dirSyncExControl : dirSyncControl).decodeRequest(c.value);
    return c;
  } catch (e) {
    if (!(e instanceof ControlValueError)) throw e;
    if (c.critical) throw AdError.unavailableCriticalExtension('dirsync.controls', c.type);
    return undefined;
  }
}

/** Position in the USN walk: (uSNChanged, objectGUID), the order of the `usn` index. */
interface Pos {
  usn: number;
  guid: Buffer;
}
const after = (a: Pos, b: Pos) => a.usn > b.usn || (a.usn === b.usn && Buffer.compare(a.guid, b.guid) > 0);
const key = (g: Buffer) => g.toString('latin1');

interface Built {
  dn: string;
  attrs: OutgoingAttribute[];
  bytes: number;
}

/** What a search selects, after MS-ADTS 3.1.1.3.4.1.3's rules for the attribute list. */
interface Selection {
  /** null: every attribute */
  wanted: Set<number> | null;
  /** DIRSYNC_EX: attributes requested with ";dirSyncAlwaysReturn" */
  always: Set<number>;
}

function selection(dir: Directory, attrs: readonly string[], ex: boolean): Selection {
  const wanted = new Set<number>();
  const always = new Set<number>();
  for (const desc of attrs) {
    const [type, ...options] = desc.split(';');
    // "If the list of requested attributes contains an asterisk (*) plus some attribute, then
    // the asterisk is ignored"; 1.1 (no attributes) selects nothing by itself either
    if (type === '*' || type === '1.1' || type === '+') continue;
    const info = dir.schema.attr(type!);
    if (!info) continue; // AD ignores unknown names in a search's attribute list
    wanted.add(info.id);
    if (ex && options.some((o) => o.toLowerCase() === ALWAYS_RETURN)) always.add(info.id);
  }
  return { wanted: wanted.size === 0 ? null : wanted, always };
}

function toBuffer(v: Uint8Array | string): Buffer | string {
  return typeof v === 'string' ? v : Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** The state of one DirSync request: what counts as changed, and how entries are built. */
class ChangeWalk {
  readonly rc: ReadContext;
  private readonly memo = new Map<string, Built | null>();
  /** LDAP_DIRSYNC_OBJECT_SECURITY: only the objects and attributes the requester may read (MS-ADTS 3.1.1.3.4.1.3) */
  access: AccessContext | undefined;
  /** no cookie state at all: report current values only, never removals */
  readonly fresh: boolean;
  /** whether the request selects a forward link attribute (or every attribute) */
  private readonly wantsLinks: boolean;

  constructor(
    readonly dir: Directory,
    readonly r: ReadTxn,
    readonly nc: Buffer,
    readonly S: number,
    readonly utd: Map<string, number>,
    readonly req: SearchRequest,
    readonly sel: Selection,
    readonly incremental: boolean,
    extendedDn?: number,
  ) {
    this.rc = new ReadContext(dir, r);
    this.fresh = S === 0 && utd.size === 0;
    // a list of attributes without a forward link: no object's link values are read
    this.wantsLinks = sel.wanted === null || [...sel.wanted].some((id) => dir.schema.attrById(id)?.forwardLinkId !== undefined);
    if (extendedDn !== undefined) this.ext = new ExtendedDn(this.rc, extendedDn);
  }
  /** LDAP_SERVER_EXTENDED_DN_OID: the entry's DN and DN values in the extended form */
  private readonly ext: ExtendedDn | undefined;

  /** MS-DRSR 5.115.11 / GetNCChanges: changed since the cookie and not covered by its UTD vector. */
  changed(s: AttributeStamp): boolean {
    if (s.usnLocal <= this.S) return false;
    if (this.utd.size === 0) return true; // a first cycle: no per-attribute lookup
    const seen = this.utd.get(s.uuidOriginating.toString('hex'));
    return seen === undefined || seen < s.usnOriginating;
  }

  private wants(info: AttrInfo): boolean {
    return this.sel.wanted === null || this.sel.wanted.has(info.id);
  }

  private enc(info: AttrInfo, values: readonly StoredValue[]): (Buffer | string)[] {
    const ctx = this.ext ? (this.extCtx ??= this.ext.context(this.rc.ctx)) : this.rc.ctx;
    return values.map((v) => toBuffer(info.syntax.toLdap(v, ctx, { attribute: info.name })));
  }
  private extCtx: ReturnType<ExtendedDn['context']> | undefined;

  /** The entry for `guid` if the request reports it, else null (memoized for the request). */
  build(guid: Buffer, rec?: ObjectRecord): Built | null {
    const k = key(guid);
    if (this.memo.has(k)) return this.memo.get(k)!;
    const b = this.compute(guid, rec);
    this.memo.set(k, b);
    return b;
  }

  private compute(guid: Buffer, rec0?: ObjectRecord): Built | null {
    const rec = rec0 ?? this.r.getObject(guid);
    if (!rec) return null;
    const view = this.rc.view(guid, rec)!;
    if (this.access && !this.access.visible(guid, rec)) return null;
    if (!matchesFilter(this.req.filter, view)) return null;
    const schema = this.dir.schema;
    const attrs: OutgoingAttribute[] = [];
    let changedAny = false;
    let instanceTypeDone = false;
    let nameChanged = false;
    const nameId = schema.attr('name')!.id;
    for (const a of rec.attrs) {
      const info = schema.attrById(a.id);
      // only replicated attributes travel (GetNCChanges); secret ones never (MS-ADTS 3.1.1.1.4,
      // and LDAP_DIRSYNC_PUBLIC_DATA_ONLY asks for exactly that)
      if (!info || info.secret || !a.stamp || !info.replicated || !this.wants(info)) continue;
      if (this.access && !this.access.mayRead(rec, info)) continue;
      const vals = a.values as StoredValue[];
      if (this.changed(a.stamp)) {
        if (a.id === nameId) nameChanged = true;
        if (this.fresh && vals.length === 0) continue;
        // an attribute whose values were all removed comes back with no values
        attrs.push({ type: info.name, values: this.enc(info, vals) });
        changedAny = true;
        if (info.name === 'instanceType') instanceTypeDone = true;
      } else if (this.sel.always.has(info.id) && vals.length > 0) {
        attrs.push({ type: info.name, values: this.enc(info, vals) });
        if (info.name === 'instanceType') instanceTypeDone = true;
      }
    }
    // forward links: value by value, by their LinkValueStamps (MS-ADTS 3.1.1.1.9)
    const byLink = new Map<number, LinkValue[]>();
    if (this.wantsLinks) for (const lv of this.r.links(guid)) {
      let l = byLink.get(lv.linkId);
      if (!l) byLink.set(lv.linkId, (l = []));
      l.push(lv);
    }
    for (const [linkId, lvs] of byLink) {
      const info = schema.attrByLinkId(linkId);
      if (!info || info.secret || !this.wants(info)) continue;
      if (this.access && !this.access.mayRead(rec, info)) continue;
      const present = (lv: LinkValue) => lv.stamp.timeDeleted === 0 && !lv.deactivated;
      const value = (lv: LinkValue) => linkValue(info, lv.target, lv.data);
      const changedVals = lvs.filter((lv) => this.changed(lv.stamp));
      if (changedVals.length === 0 || (this.fresh && !lvs.some(present))) {
        if (this.sel.always.has(info.id) && lvs.some(present)) attrs.push({ type: info.name, values: this.enc(info, lvs.filter(present).map(value)) });
        continue;
      }
      changedAny = true;
      if (this.incremental) {
        // LDAP_DIRSYNC_INCREMENTAL_VALUES: only the changed values of a forward link —
        // removed ones as "attr;range=0-0", added ones as "attr;range=1-1"
        const removed = this.fresh ? [] : changedVals.filter((lv) => !present(lv));
        const added = changedVals.filter(present);
        if (removed.length > 0) attrs.push({ type: `${info.name};range=0-0`, values: this.enc(info, removed.map(value)) });
        if (added.length > 0) attrs.push({ type: `${info.name};range=1-1`, values: this.enc(info, added.map(value)) });
      } else {
        attrs.push({ type: info.name, values: this.enc(info, lvs.filter(present).map(value)) });
      }
    }
    if (!changedAny) return null;
    // "The search results MUST always contain the objectGUID and instanceType attributes"
    // (MS-ADTS 3.1.1.3.4.1.3); MS-DRSR 5.115.5 adds parentGUID
    const head: OutgoingAttribute[] = [{ type: 'objectGUID', values: [Buffer.from(guid)] }];
    if (!instanceTypeDone) {
      const it = schema.attr('instanceType')!;
      const v = view.values(it);
      if (v.length > 0) head.push({ type: 'instanceType', values: this.enc(it, v) });
    }
    // a creation, rename or move changes `name` (whose stamp carries the parent)
    if (rec.parent && (nameChanged || this.nameChanged(rec, nameId))) head.push({ type: 'parentGUID', values: [Buffer.from(rec.parent)] });
    const all = [...head, ...attrs];
    const dn = this.ext ? this.ext.format(guid, view.dn) : view.dn;
    let bytes = Buffer.byteLength(dn) + 16;
    for (const a of all) {
      bytes += a.type.length + 8;
      for (const v of a.values) bytes += (typeof v === 'string' ? Buffer.byteLength(v) : v.length) + 4;
    }
    return { dn, attrs: all, bytes };
  }

  /** Whether `name` changed in this cycle, when the attribute list did not select it. */
  private nameChanged(rec: ObjectRecord, nameId: number): boolean {
    const s = rec.attrs.find((a) => a.id === nameId)?.stamp;
    return s !== undefined && this.changed(s);
  }

  /** The objects this cycle sent ahead of their place before `resume` (see the header). */
  sentAhead(resume: Pos, resumeTagged: boolean): Set<string> {
    const sent = new Set<string>();
    const ahead = new Set<string>();
    const headers = new Map<string, RecordHeader | null>();
    for (const { usn, guid } of this.r.changedSince(this.nc, this.S)) {
      const here = { usn, guid };
      if (usn > resume.usn || (resumeTagged && usn === resume.usn && Buffer.compare(guid.subarray(0, 8), resume.guid) > 0)) break;
      const k = key(guid);
      if (sent.has(k)) continue;
      sent.add(k);
      // only an ancestor changed later than this object can have been sent ahead of its place;
      // found from record headers alone, and only then is anything decoded or built
      const later: Buffer[] = [];
      let p = this.r.getHeader(guid)?.parent ?? null;
      for (let guard = 0; p && guard < 10_000; guard++) {
        const pk = p.toString('latin1');
        let ph = headers.get(pk);
        if (ph === undefined) headers.set(pk, (ph = this.r.getHeader(p) ?? null));
        if (!ph || !ph.nc.equals(this.nc)) break;
        if (!sent.has(key(p)) && after({ usn: ph.usnChanged, guid: p }, here)) later.push(p);
        p = ph.parent;
      }
      if (later.length === 0) continue;
      const rec = this.r.getObject(guid);
      if (!rec || !this.build(guid, rec)) continue;
      for (const a of later.reverse()) {
        const ak = key(a);
        const arec = sent.has(ak) ? undefined : this.r.getObject(a);
        if (arec && this.build(a, arec)) {
          sent.add(ak);
          ahead.add(ak);
        }
      }
    }
    return ahead;
  }
}

/** Whether the NC's USN index holds an entry after `pos`. */
function hasEntryAfter(r: ReadTxn, nc: Buffer, pos: Pos): boolean {
  for (const e of r.changedSince(nc, pos.usn - 1)) if (after({ usn: e.usn, guid: e.guid }, pos)) return true;
  return false;
}

/**
 * A search carrying LDAP_SERVER_DIRSYNC_OID or LDAP_SERVER_DIRSYNC_EX_OID (`control`). Sends
 * the page's entries to `sink` and returns the response control (same OID) with MoreResults
 * and the new cookie.
 */
export async function dirSyncSearch(dir: Directory, req: SearchRequest, ctx: OperationContext, sink: SearchSink, control: Control, opts: DirSyncOptions = {}): Promise<OperationResult> {
  const place = 'dirsync.search';
  const ex = control.type === DIRSYNC_EX_OID;
  if (dirSyncChannel.hasSubscribers) dirSyncChannel.publish({ session: ctx.session.id, ex });
  if (!ctx.session.identity) throw AdError.notAuthenticated(place);
  if (ctx.controls.some((c) => c.type === (ex ? DIRSYNC_OID : DIRSYNC_EX_OID))) {
    throw AdError.protocolError(place, 'LDAP_SERVER_DIRSYNC_OID and LDAP_SERVER_DIRSYNC_EX_OID cannot be used together');
  }
  let value: DirSyncRequestValue;
  try {
    value = (ex ? dirSyncExControl : dirSyncControl).decodeRequest(control.value);
  } catch (e) {
    if (!(e instanceof ControlValueError)) throw e;
    // MS-ADTS 3.1.1.3.4.1: a malformed value of a critical control; a non-critical one is
    // ignored by the dispatcher (dirSyncControlOf) and never reaches this function
    if (control.critical) throw AdError.unavailableCriticalExtension(place, control.type);
    throw AdError.protocolError(place, e.message);
  }
  const flags = value.flags;
  const objectSecurity = (flags & DirSyncFlags.OBJECT_SECURITY) !== 0;

  const r = dir.store.snapshot();
  try {
    // ---- the base: the root of an NC replica (MS-ADTS 3.1.1.3.4.1.3) ----------------------
    const res = dir.tryResolve(r, req.baseObject);
    if (!res.found) throw AdError.noSuchObject(place, res.matched ? dir.dnOf(r, res.matched) : '');
    const ncRec = r.getObject(res.guid)!;
    if (ncRec.parent !== null) {
      // "If the base of the search is not the root of an NC, and the LDAP_DIRSYNC_OBJECT_SECURITY
      // bit … is not set, the server will return the error insufficientAccessRights /
      // ERROR_DS_DRA_ACCESS_DENIED. If [it] is set, … unwillingToPerform."
      if (!objectSecurity) throw draAccessDenied(place, 'the base of a DirSync search must be the root of a naming context');
      throw AdError.unwillingToPerform(place, 'the base of a DirSync search must be the root of a naming context');
    }
    // scope: "If the search scope is not subtree scope, the server will treat the search as if
    // subtree scope was specified."
    const nc = res.guid;

    // ---- access (MS-DRSR 5.115.12 SecurityCheckForChanges) --------------------------------
    // Without LDAP_DIRSYNC_OBJECT_SECURITY the caller needs DS-Replication-Get-Changes on the NC
    // root, checked against the NC head's security descriptor. With the flag, results are
    // limited to the objects and attributes the caller may read.
    const acc = accessFor(dir, r, ctx);
    if (!objectSecurity && acc && !acc.controlAccess(ncRec, ControlAccessRight.DS_REPLICATION_GET_CHANGES)) {
      throw draAccessDenied(place, 'DirSync without LDAP_DIRSYNC_OBJECT_SECURITY needs the DS-Replication-Get-Changes right on the naming context');
    }

    // ---- the cookie (MS-DRSR 5.115.11 GetUsnUtdVectorFromCookie) ---------------------------
    const own = dir.store.dc.invocationId;
    let cookie: DirSyncCookie | undefined;
    if (value.cookie.length > 0) {
      try {
        cookie = decodeCookie(value.cookie);
        if (!isZero(cookie.ncTag) && !cookie.ncTag.equals(ncTag(nc))) {
          throw new DirSyncCookieError('ERR_DIRSYNC_COOKIE_OTHER_NC', `DirSync cookie belongs to another naming context than ${req.baseObject}`);
        }
        // a cookie this DC issued names a USN it has committed (durable, or visible to the read that made it)
        const committed = Math.max(dir.store.highestCommittedUsn, dir.store.committedUsn);
        if (cookie.invocationId.equals(own) && Math.max(cookie.usnHighObjUpdate, cookie.usnHighPropUpdate) > committed) {
          throw new DirSyncCookieError('ERR_DIRSYNC_COOKIE_FUTURE', `DirSync cookie names USN ${Math.max(cookie.usnHighObjUpdate, cookie.usnHighPropUpdate)}, beyond this DC's highest committed USN ${committed}`);
        }
      } catch (e) {
        if (e instanceof DirSyncCookieError) throw new ProtocolError(`${'00002021'}: LdapErr: ${dsid(place)}, comment: ${e.code}: ${e.message}, data 0, v4563`);
        throw e;
      }
    }
    const sameDc = cookie !== undefined && cookie.invocationId.equals(own);
    // the USN vector applies only to the DC that made the cookie; the UTD vector to any DC
    const S = sameDc ? cookie!.usnHighPropUpdate : 0;
    const R = sameDc ? Math.max(cookie!.usnHighObjUpdate, S) : 0;
    const tag = sameDc && !isZero(cookie!.resumeTag) ? cookie!.resumeTag : undefined;
    const utdIn: UtdCursor[] = cookie?.utd ?? [];
    const utd = new Map(utdIn.map((c) => [c.invocationId.toString('hex'), c.usn] as const));

    // ---- limits (MS-DRSR 5.115.4 DirSyncReqToGetChgReq; MS-ADTS 3.1.1.3.4.1.3) --------------
    const floor = opts.minMaxBytes ?? DIRSYNC_MIN_MAX_BYTES;
    const maxBytes = value.maxBytes <= 0 ? DIRSYNC_MIN_MAX_BYTES : Math.max(value.maxBytes, floor);
    const pageSize = opts.maxPageSize ?? DEFAULT_MAX_PAGE_SIZE;
    const maxObjects = Math.max(Math.min(req.sizeLimit > 0 ? req.sizeLimit : pageSize, pageSize), Math.min(100, pageSize));

    const extDn = ctx.controls.find((c) => c.type === EXTENDED_DN_OID);
    let extFlag: number | undefined;
    if (extDn) {
      try {
        extFlag = extendedDnControl.decodeRequest(extDn.value).flag;
      } catch (e) {
        if (!(e instanceof ControlValueError)) throw e;
        if (extDn.critical) throw AdError.protocolError(place, `Error processing control ${EXTENDED_DN_OID}: ${e.message}`);
      }
    }
    const walk = new ChangeWalk(dir, r, nc, S, utd, req, selection(dir, req.attributes, ex), (flags & DirSyncFlags.INCREMENTAL_VALUES) !== 0, extFlag);
    if (objectSecurity) walk.access = acc;
    // parents before children: always in a full sync, and on request (LDAP_DIRSYNC_ANCESTORS_FIRST_ORDER)
    const parentsFirst = S === 0 || (flags & DirSyncFlags.ANCESTORS_FIRST_ORDER) !== 0;
    const resume: Pos | undefined = R > S || tag ? { usn: R, guid: tag ?? Buffer.alloc(8) } : undefined;
    // the objects earlier pages of this cycle sent ahead: remembered for the cookie, else replayed
    const ahead = parentsFirst && resume ? (opts.state?.get(value.cookie) ?? walk.sentAhead(resume, tag !== undefined)) : new Set<string>();

    // ---- the page: the one change walk, rendered as entries ------------------------------
    let bytes = 0;
    let count = 0;
    let last: Pos | undefined;
    let more = false;
    const steps = changesSince(r, nc, tag ? R - 1 : R, utd, {
      ancestorsFirst: parentsFirst,
      attrsFrom: S,
      sentAhead: ahead,
      select: (guid, rec) => walk.build(guid, rec) !== null,
      ...(tag ? { resumeAt: { usn: R, guidPrefix: tag } } : {}),
    });
    try {
      for (let n = steps.next(); !n.done; n = steps.next()) {
        if (ctx.signal.aborted) return {};
        const step = n.value;
        if (step.change) {
          const b = walk.build(step.change.guid, step.change.rec)!;
          await sink.entry(b.dn, b.attrs);
          bytes += b.bytes;
          count++;
          if (step.change.ahead) continue;
        }
        last = { usn: step.position, guid: Buffer.from(step.guid) };
        if (step.change && (bytes >= maxBytes || count >= maxObjects)) {
          more = hasEntryAfter(r, nc, last);
          break;
        }
      }
    } finally {
      steps.return(undefined);
    }
    if (ctx.signal.aborted) return {};

    // ---- the new cookie (MS-DRSR 5.115.10 GetResponseDirSyncControlValue) --------------------
    let out: DirSyncCookie;
    if (more) {
      // mid-cycle: the cycle's start stays, the walk's position moves
      out = { creationTime: filetimeNow(), ncTag: ncTag(nc), usnHighPropUpdate: S, usnHighObjUpdate: last!.usn, resumeTag: Buffer.from(last!.guid.subarray(0, 8)), invocationId: own, utd: utdIn };
    } else {
      const hi = Math.max(S, R, last?.usn ?? 0);
      const cursors = new Map(utdIn.map((c) => [c.invocationId.toString('hex'), c] as const));
      const prev = cursors.get(own.toString('hex'));
      cursors.set(own.toString('hex'), { invocationId: own, usn: Math.max(prev?.usn ?? 0, hi) });
      out = { creationTime: filetimeNow(), ncTag: ncTag(nc), usnHighPropUpdate: hi, usnHighObjUpdate: hi, resumeTag: Buffer.alloc(8), invocationId: own, utd: [...cursors.values()] };
    }
    const outCookie = encodeCookie(out);
    if (more && parentsFirst && opts.state) {
      // keep what was sent ahead of the new resume point, for the next page of this cycle
      const keep = new Set<string>();
      for (const k of ahead) {
        const g = Buffer.from(k, 'latin1');
        const h = r.getHeader(g);
        if (h && after({ usn: h.usnChanged, guid: g }, { usn: last!.usn, guid: last!.guid })) keep.add(k);
      }
      opts.state.set(outCookie, keep);
    }
    const response: Control = { type: control.type, critical: false, value: encodeDirSyncResponse({ moreResults: more, unused: 0, cookie: outCookie }) };
    return { controls: [response] };
  } finally {
    r.done();
  }
}
