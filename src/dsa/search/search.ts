// The LDAP search operation of the DSA (RFC 4511 4.5, MS-ADTS 3.1.1.3 and 3.1.1.4): every
// search except the rootDSE's, after the dispatcher's access checks.
//
// One search is one read snapshot. The request's controls shape it in this order (each step
// one file of controls/, in the spirit of Samba's declared module pipeline):
//
//   1. controls/index.ts    decode; unknown or unserved critical controls (DirSync, notification:
//                           controls/refused.ts) → unavailableCriticalExtension
//   2. controls/paged.ts    a cookie continues a held search from its position, in a new snapshot
//                           (the request must be the first page's, controls included)
//   3. controls/visibility  SHOW_DELETED / SHOW_RECYCLED / SHOW_DEACTIVATED_LINK: which objects and
//                           link values exist for this search (before the filter reads values)
//   4. controls/domain-scope DOMAIN_SCOPE / SEARCH_OPTIONS: continuation references, phantom root
//   5. controls/asq.ts      ASQ replaces the scope walk by the base object's DN values
//   6. filter.ts + candidates.ts + scope.ts: the matching objects, from indexes when the filter
//                           allows, else from a walk of the scope
//   7. controls/sort.ts     collects and orders the matches (RFC 2891); controls/vlv.ts cuts a window
//                           of the sorted list (VLV requires sort)
//   8. controls/paged.ts    cuts pages of the stream (RFC 2696), holding the rest for the cookie
//   9. entry.ts             attribute selection, ranged retrieval, constructed.ts,
//                           controls/extended-dn.ts and controls/sd-flags.ts shape each entry
//
// Limits: sizeLimit (sizeLimitExceeded once that many entries are sent and another matches),
// MaxPageSize (the most entries of a search without paging, and the largest page), timeLimit and
// the operation's AbortSignal (checked every SCAN_CHUNK objects and every entry).
import { dcStateSlot } from '../dc-state.js';
import { accessFor } from '../access/requester.js';
import { channel } from 'node:diagnostics_channel';
import type { Control, SearchRequest } from '../../ldap/protocol/messages.js';
import { SearchScope } from '../../ldap/protocol/messages.js';
import { LdapError } from '../../ldap/protocol/result-codes.js';
import { DEFAULT_LDAP_POLICIES } from '../../ldap/policies.js';
import type { ObjectRecord } from '../../store/record.js';
import type { ReadTxn } from '../../store/store.js';
import type { OperationContext, OperationResult, SearchSink } from '../api.js';
import type { Directory } from '../directory.js';
import { AdError } from '../errors.js';
import { ObjectView, ReadContext } from '../object-view.js';
import { compileFilter, evaluate, withProven, TRUE, type FilterNode } from './filter.js';

const TRUE_NODE = { k: 'const', v: TRUE } as unknown as FilterNode;
import { planCandidates } from './candidates.js';
import { walkScope, ScopeChecker, childNcReferences, ncHeadsUnder, SCAN_CHUNK } from './scope.js';
import { cachedEntryAttributes, entryAttributes, selectionFor, type EntryOptions } from './entry.js';
import type { ConstructedEnv } from './constructed.js';
import { sdPropagationMayBePending } from '../access/sd-propagator.js';
import { decodeSearchControls, SEARCH_CONTROL_OIDS, type SearchControls } from './controls/index.js';
import { visibleFilter } from './controls/visibility.js';
import { ExtendedDn } from './controls/extended-dn.js';
import { PagedStore, pagedResponse, nextAt, copyPosition, positionBytes, type Continuation, type PagedPosition } from './controls/paged.js';
import { PAGED_RESULTS_OID } from '../../ldap/controls/paged-results.js';
import { encodeFilter } from '../../ldap/protocol/filter.js';
import { compileSort, sortRow, sortRows, sortResponse, type SortPlan, type SortRow } from './controls/sort.js';
import { vlvWindow, vlvWithoutSort } from './controls/vlv.js';
import { VLV_REQUEST_OID } from '../../ldap/controls/vlv.js';
import { createHash } from 'node:crypto';
import { asqResponse, asqScopeError, asqTargets } from './controls/asq.js';

/** The request controls a search honours (for the rootDSE's supportedControl). */
export const SEARCH_CONTROLS: readonly string[] = SEARCH_CONTROL_OIDS;

/** The LDAP policies search enforces (MS-ADTS 3.1.1.3.4.6), named as AD names them. */
export interface SearchLimits {
  MaxPageSize: number;
  MaxValRange: number;
  MaxResultSetsPerConn: number;
  /** bytes of paged-search state kept for one search (its position); default 262,144 */
  MaxResultSetSize?: number;
}

export const DEFAULT_SEARCH_LIMITS: Readonly<SearchLimits> = Object.freeze({
  MaxPageSize: DEFAULT_LDAP_POLICIES.MaxPageSize,
  MaxValRange: DEFAULT_LDAP_POLICIES.MaxValRange,
  MaxResultSetsPerConn: DEFAULT_LDAP_POLICIES.MaxResultSetsPerConn,
  MaxResultSetSize: DEFAULT_LDAP_POLICIES.MaxResultSetSize,
});

/**
 * Published once per search run (first page, or the whole search): the candidate plan and how
 * many objects were read and matched. Costs nothing without subscribers.
 */
export const searchChannel = channel('forestd:dsa:search');
export interface SearchDiagnostics {
  plan: string;
  /** objects read from the store and considered (candidates or walked objects) */
  examined: number;
  matched: number;
}

/** The held paged searches of each DC (several DCs may run in one process). */
interface PagedState {
  store: PagedStore<HeldSearch>;
  perConn: number;
}
const PAGED = dcStateSlot('held paged searches', (): PagedState => {
  const holder: PagedState = { store: undefined as unknown as PagedStore<HeldSearch>, perConn: DEFAULT_SEARCH_LIMITS.MaxResultSetsPerConn };
  holder.store = new PagedStore<HeldSearch>(() => holder.perConn);
  return holder;
});
function pagedState(dir: Directory): PagedState {
  return dir.state(PAGED);
}

/** Drops the held paged searches of a connection (the server calls it when the connection closes). */
export function releaseSearchState(sessionId: number, dir: Directory): void {
  pagedState(dir).store.releaseSession(sessionId);
}

/** Held paged searches of a DC (tests, diagnostics). */
export function heldPagedSearches(dir: Directory): number {
  return pagedState(dir).store.size;
}

/** A paged search between two pages: no snapshot, only what names where it goes on. */
interface HeldSearch extends Continuation {
  fingerprint: string;
  position: PagedPosition;
  sent: number;
  sizeLimit: number;
  scope: SearchScope;
  roots: { guid: Buffer; scope: SearchScope }[];
  everyPage: Control[];
}

/**
 * What a continuation must repeat of the first request (MS-ADTS 3.1.1.3.4.1.1, RFC 2696 3:
 * "the client MUST send the same request"): base, scope, filter, attributes and every control
 * but the paged one, in any order. Windows answers a changed request unavailableCriticalExtension
 * (Samba's vlv.py test_paged_changed_expr, _changed_controls, _change_attrs).
 */
function fingerprint(req: SearchRequest, controls: readonly Control[], without: string = PAGED_RESULTS_OID): string {
  const ctl = controls
    .filter((c) => c.type !== without)
    .map((c) => `${c.type}/${c.critical ? 1 : 0}/${c.value ? c.value.toString('hex') : '-'}`)
    .sort();
  let filter: string;
  try {
    filter = encodeFilter(req.filter).toString('hex');
  } catch {
    filter = JSON.stringify(req.filter);
  }
  return JSON.stringify([req.baseObject.toLowerCase(), req.scope, req.derefAliases, req.typesOnly, filter, req.attributes.map((a) => a.toLowerCase()), ctl]);
}

const EMPTY = Buffer.alloc(0);
const EVERY = (): boolean => true;
const NO_REFERENCES: readonly string[] = Object.freeze([]);

/** The position of a sorted result: its rows in order, already matched (no scope check). */
function rowsPosition(rows: readonly SortRow[]): PagedPosition {
  return { kind: 'list', guids: rows.map((x) => x.guid), next: 0, checkScope: false };
}

/** A search under way in one snapshot (one request): its compiled filter and the stream of matching objects. */
class Run {
  /** the next match taken from the stream but not sent yet */
  peeked: ObjectView | undefined;
  sent = 0;
  /** continuation references, sent after the entries (of the first page, when paged) */
  references: readonly string[] = NO_REFERENCES;
  /** response controls every page repeats (sort result, ASQ result) */
  readonly everyPage: Control[] = [];
  roots: { guid: Buffer; scope: SearchScope }[] = [];
  filter: FilterNode = TRUE_NODE;
  /** the filter as the objects of `list` are tested in this snapshot (an equality the index proved is not tested again, candidates.ts CandidatePlan.proven) */
  listFilter: FilterNode = TRUE_NODE;
  visible: (rec: ObjectRecord) => boolean = EVERY;
  descend: (rec: ObjectRecord) => boolean = EVERY;
  inScope: ((guid: Buffer, rec: ObjectRecord) => boolean) | undefined;
  /** the objects the stream examines, when it examines a list (index candidates, ASQ targets) */
  list: Buffer[] | undefined;

  constructor(
    readonly r: ReadTxn,
    readonly rc: ReadContext,
    readonly scope: SearchScope,
    /** sizeLimit of the first request, 0 = none */
    readonly sizeLimit: number,
    public source: Iterator<ObjectView | null>,
  ) {}

  private agg: Buffer | null | undefined;
  /** objectGUID of CN=Aggregate (the subSchema object), looked up once */
  aggregate(): Buffer | undefined {
    if (this.agg === undefined) {
      this.agg = this.rc.dir.subSchemaGuid(this.r) ?? null;
    }
    return this.agg ?? undefined;
  }
}

export async function search(dir: Directory, req: SearchRequest, ctx: OperationContext, sink: SearchSink, limits: SearchLimits = DEFAULT_SEARCH_LIMITS): Promise<OperationResult> {
  const place = 'dsa.search';
  // 1. controls
  const c = decodeSearchControls(ctx.controls);
  const paging = pagedState(dir);
  paging.perConn = limits.MaxResultSetsPerConn;
  if (c.vlv && !c.sort) throw vlvWithoutSort();
  // VLV with paged results: unavailableCriticalExtension, as Windows answers (Samba's vlv.py test_vlv_paged, Windows 1709)
  if (c.vlv && c.paged) throw AdError.unavailableCriticalExtension(place, PAGED_RESULTS_OID);
  const deadline = req.timeLimit > 0 ? Date.now() + req.timeLimit * 1000 : Infinity;
  const guard = new Guard(ctx, deadline);

  // 2. a paged continuation: the same request goes on from its position, in a snapshot of now
  if (c.paged && c.paged.cookie.length > 0) {
    const held = paging.store.take(ctx.session.id, c.paged.cookie);
    if (!held) throw AdError.unwillingToPerform(`${place}.paged`, 'the paged results cookie is not valid (expired, already used, or from another connection)');
    if (c.paged.size === 0) return { controls: [pagedResponse(EMPTY)] }; // RFC 2696 3: size 0 with a cookie abandons the paged search
    if (held.fingerprint !== fingerprint(req, ctx.controls)) throw AdError.unavailableCriticalExtension(`${place}.paged`, PAGED_RESULTS_OID);
    const r = dir.store.snapshot();
    try {
      const rc = new ReadContext(dir, r);
      rc.showDeactivatedLinks = c.visibility.showDeactivatedLinks;
      rc.access = accessFor(dir, r, ctx);
      const visible = visibleFilter(dir.schema, c.visibility);
      const filter = compileFilter(req.filter, rc);
      let inScope: ((guid: Buffer, rec: ObjectRecord) => boolean) | undefined;
      if (held.position.kind === 'list' && held.position.checkScope) {
        const checkers = held.roots.flatMap((x) => {
          const rec = r.readObject(x.guid);
          return rec ? [new ScopeChecker(r, x.guid, rec, x.scope)] : [];
        });
        inScope = (g, rec) => checkers.some((k) => k.contains(g, rec));
      }
      const run = new Run(r, rc, held.scope, held.sizeLimit, EMPTY_SOURCE);
      run.sent = held.sent;
      run.roots = held.roots;
      run.everyPage.push(...held.everyPage);
      return await page(run, held.position, filter, visible, inScope, c.visibility.showDeleted ? () => true : visible, held.fingerprint, req, ctx, c, sink, limits, guard, [...held.everyPage], false);
    } finally {
      r.done();
    }
  }

  const r = dir.store.snapshot();
  const controls: Control[] = [];
  try {
    const run = start(dir, r, req, c, controls, ctx);
    let sorted: SortRow[] | undefined;
    // 7. sort (and VLV)
    if (c.sort) {
      const plan = compileSort(dir.schema, c.sort.keys, c.sort.critical);
      const sr = sortResponse(plan);
      controls.push(sr);
      run.everyPage.push(sr);
      // VLV needs a sorted list: a sort that could not be done fails it (draft-ietf-ldapext-ldapv3-vlv-09 6)
      if (!plan.ok && c.vlv) throw vlvWithoutSort();
      if (plan.ok) {
        const rows = await collectRows(run, plan, guard);
        sortRows(rows, plan.keys);
        if (c.vlv) {
          // the VLV context names its search (base, scope, filter, attributes, sort): the same search gets the same contextID
          const context = createHash('sha256').update(fingerprint(req, ctx.controls, VLV_REQUEST_OID)).digest().subarray(0, 16);
          const w = vlvWindow(c.vlv, rows, plan.keys[0], run.rc.ctx, context);
          controls.push(w.response);
          run.source = rowsSource(run, rows.slice(w.start, w.end));
          await emit(run, req, ctx, c, sink, limits, guard, Infinity, 'hold');
          return { controls };
        }
        run.source = rowsSource(run, rows);
        sorted = rows;
      }
    }
    // 8. paged: the first page, from a position that later pages can go on from
    if (c.paged) {
      const maxBytes = limits.MaxResultSetSize ?? DEFAULT_LDAP_POLICIES.MaxResultSetSize;
      let position: PagedPosition;
      let inScope = run.inScope;
      if (sorted) {
        position = rowsPosition(sorted);
        inScope = undefined; // the sorted result is what was matched: Windows returns an entry moved out of scope in its place
        // MaxResultSetSize (MS-ADTS 3.1.1.3.4.6): the sorted result is the state this search would keep
        if (positionBytes(position) > maxBytes) throw AdError.adminLimitExceeded(`${place}.MaxResultSetSize`, `the sorted result of ${sorted.length} entries is more than MaxResultSetSize (${maxBytes} bytes) keeps`);
      } else if (run.list && 16 * run.list.length <= maxBytes) {
        position = { kind: 'list', guids: run.list, next: 0, checkScope: run.inScope !== undefined };
      } else {
        // a walk keeps one frame per level, whatever the size of the result (index candidates beyond MaxResultSetSize are walked instead)
        position = { kind: 'walk', roots: run.roots, root: 0, started: false, frames: [], descendNext: null };
        inScope = undefined;
      }
      // a list is the plan's candidates (or the sorted matches among them) in this snapshot: the filter as they are tested
      return await page(run, position, position.kind === 'list' ? run.listFilter : run.filter, run.visible, inScope, run.descend, fingerprint(req, ctx.controls), req, ctx, c, sink, limits, guard, controls, true);
    }
    await emit(run, req, ctx, c, sink, limits, guard, limits.MaxPageSize, 'sizeLimitExceeded');
    if (run.references.length > 0) await sendReferences(run, sink);
    return { controls };
  } finally {
    r.done();
  }
}

const EMPTY_SOURCE: Iterator<ObjectView | null> = [][Symbol.iterator]();

/** Steps 3–6: resolves the base, compiles the filter and opens the stream of matches. */
function start(dir: Directory, r: ReadTxn, req: SearchRequest, c: SearchControls, controls: Control[], ctx: OperationContext): Run {
  const place = 'dsa.search';
  const rc = new ReadContext(dir, r);
  rc.showDeactivatedLinks = c.visibility.showDeactivatedLinks;
  rc.access = accessFor(dir, r, ctx);
  const visible = visibleFilter(dir.schema, c.visibility);
  const descend = c.visibility.showDeleted ? EVERY : visible;
  const scope = req.scope;

  // the search roots: the base object, or with PHANTOM_ROOT every NC at or below the base DN
  const roots: { guid: Buffer; rec: ObjectRecord; scope: SearchScope }[] = [];
  const phantom = c.scope.phantomRoot && scope === SearchScope.wholeSubtree;
  if (phantom) {
    const found = req.baseObject.trim() === '' ? undefined : dir.tryResolve(r, req.baseObject);
    if (found?.found) roots.push({ guid: found.guid, rec: r.readObject(found.guid)!, scope });
    for (const head of ncHeadsUnder(r, req.baseObject)) {
      if (roots.some((x) => x.rec.nc.equals(head))) continue;
      roots.push({ guid: head, rec: r.readObject(head)!, scope });
    }
    if (roots.length === 0) throw AdError.noSuchObject(place, '');
  } else {
    const base = dir.resolve(r, req.baseObject, place);
    const baseRec = r.readObject(base)!;
    // a deleted base is not there unless deleted objects are shown (MS-ADTS 3.1.1.3.4.1.14)
    if (!visible(baseRec)) throw AdError.noSuchObject(place, baseRec.parent ? rc.dnOf(baseRec.parent) : '');
    // an object the requester may not see answers as if it did not exist (MS-ADTS 5.1.3.3.6)
    if (rc.access && !rc.access.visible(base, baseRec)) throw AdError.noSuchObject(place, '');
    rc.access?.noteRecord(base, baseRec);
    roots.push({ guid: base, rec: baseRec, scope });
  }

  const filter = compileFilter(req.filter, rc);
  const stats: SearchDiagnostics = { plan: 'walk', examined: 0, matched: 0 };
  /** the objects examined: a walk (or the base), or a list of objectGUIDs read one by one */
  let source: Iterable<{ guid: Buffer; rec: ObjectRecord | undefined }> | undefined;
  let inScope: ((guid: Buffer, rec: ObjectRecord) => boolean) | undefined;
  let list: Buffer[] | undefined;
  let listFilter = filter;

  if (c.asq !== undefined) {
    // 5. ASQ: the objects the base's attribute names, base scope only (MS-ADTS 3.1.1.3.4.1.18)
    if (scope !== SearchScope.baseObject || roots.length !== 1) throw asqScopeError();
    const targets = asqTargets(rc.view(roots[0]!.guid, roots[0]!.rec)!, c.asq);
    list = targets;
    controls.push(asqResponse(0));
    stats.plan = `asq ${c.asq}`;
  } else {
    // 6. candidates from the indexes when the filter allows (never for a base-scope search: one object)
    const plan = scope === SearchScope.baseObject ? { guids: undefined, how: 'base' } : planCandidates(filter, rc);
    stats.plan = plan.how;
    if (plan.guids) {
      if (plan.proven) listFilter = withProven(filter, plan.proven);
      const checkers = roots.map((x) => new ScopeChecker(r, x.guid, x.rec, x.scope));
      const only = checkers.length === 1 ? checkers[0]! : undefined;
      inScope = only ? (g, rec) => only.contains(g, rec) : (g, rec) => checkers.some((k) => k.contains(g, rec));
      list = plan.guids;
    } else if (scope === SearchScope.baseObject) {
      // a base-scope search examines its base alone (what walkScope yields for it)
      source = roots.map((x) => ({ guid: x.guid, rec: x.rec }));
    } else {
      source = (function* () {
        for (const x of roots) yield* walkScope(r, x.guid, x.rec, x.scope, descend);
      })();
    }
  }
  const run = new Run(r, rc, scope, req.sizeLimit, matches(rc, source, list, listFilter, visible, inScope, stats));
  run.everyPage.push(...controls);
  run.roots = roots.map((x) => ({ guid: x.guid, scope: x.scope }));
  run.filter = filter;
  run.listFilter = listFilter;
  run.visible = visible;
  run.descend = descend;
  run.inScope = inScope;
  if (list) run.list = list;
  if (!c.scope.noReferences && !phantom && c.asq === undefined) run.references = childNcReferences(dir, r, roots[0]!.guid, roots[0]!.rec, scope);
  return run;
}

/**
 * The matching objects of `list` (objectGUIDs, read one by one) or else of `source`; `null` every
 * SCAN_CHUNK objects examined (a chance to yield to the event loop).
 */
function* matches(
  rc: ReadContext,
  source: Iterable<{ guid: Buffer; rec: ObjectRecord | undefined }> | undefined,
  list: readonly Buffer[] | undefined,
  filter: FilterNode,
  visible: (rec: ObjectRecord) => boolean,
  inScope: ((guid: Buffer, rec: ObjectRecord) => boolean) | undefined,
  stats: SearchDiagnostics,
): Generator<ObjectView | null> {
  try {
    if (list) {
      for (const guid of list) {
        if (++stats.examined % SCAN_CHUNK === 0) yield null;
        const view = matchOf(rc, guid, rc.r.readObject(guid), filter, visible, inScope);
        if (!view) continue;
        stats.matched++;
        yield view;
      }
      return;
    }
    for (const { guid, rec } of source!) {
      if (++stats.examined % SCAN_CHUNK === 0) yield null;
      const view = matchOf(rc, guid, rec, filter, visible, inScope);
      if (!view) continue;
      stats.matched++;
      yield view;
    }
  } finally {
    if (searchChannel.hasSubscribers) searchChannel.publish(stats);
  }
}

/** The object as a match of the search, or undefined: not there, not visible, out of scope, hidden from the requester, or the filter not TRUE on it. */
function matchOf(
  rc: ReadContext,
  guid: Buffer,
  rec: ObjectRecord | undefined,
  filter: FilterNode,
  visible: (rec: ObjectRecord) => boolean,
  inScope: ((guid: Buffer, rec: ObjectRecord) => boolean) | undefined,
): ObjectView | undefined {
  if (!rec || !visible(rec)) return undefined;
  if (inScope && !inScope(guid, rec)) return undefined;
  if (rc.access && !rc.access.visible(guid, rec)) return undefined;
  const view = new ObjectView(rc, guid, rec);
  return evaluate(filter, view) === TRUE ? view : undefined;
}

/** Re-reads sorted rows from the snapshot, in order. */
function* rowsSource(run: Run, rows: readonly SortRow[]): Generator<ObjectView | null> {
  let n = 0;
  for (const row of rows) {
    if (++n % SCAN_CHUNK === 0) yield null;
    const rec = run.r.readObject(row.guid);
    if (rec) yield new ObjectView(run.rc, row.guid, rec);
  }
}

async function collectRows(run: Run, plan: SortPlan & { ok: true }, guard: Guard): Promise<SortRow[]> {
  const rows: SortRow[] = [];
  for (;;) {
    const n = run.source.next();
    if (n.done) break;
    if (n.value === null) {
      await guard.tick();
      continue;
    }
    rows.push(sortRow(n.value, plan.keys));
  }
  return rows;
}

/**
 * Aborts (abandon, connection closed, MaxQueryDuration) and the request's timeLimit. The
 * operation's signal is read only once it has aborted (`ctx.aborted`): most searches never make one.
 */
class Guard {
  constructor(
    private readonly ctx: OperationContext,
    private readonly deadline: number,
  ) {}

  check(): void {
    const ctx = this.ctx;
    if (ctx.aborted ? ctx.aborted() : ctx.signal.aborted) {
      const reason: unknown = ctx.signal.reason;
      throw reason instanceof LdapError ? reason : new LdapError(118, 'the search was abandoned');
    }
    if (this.deadline !== Infinity && Date.now() > this.deadline) throw AdError.timeLimitExceeded('dsa.search');
  }

  async tick(): Promise<void> {
    this.check();
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.check();
  }
}

function next(run: Run): ObjectView | null | undefined {
  if (run.peeked) {
    const p = run.peeked;
    run.peeked = undefined;
    return p;
  }
  const n = run.source.next();
  return n.done ? undefined : n.value;
}

/**
 * The next match, or undefined at the end; a promise only when the stream asks for a yield to the
 * event loop on the way (`null`): most matches come without one (no promise, no microtask).
 */
function nextMatch(run: Run, guard: Guard): ObjectView | undefined | Promise<ObjectView | undefined> {
  const v = next(run);
  return v === null ? nextMatchAfterYield(run, guard) : v;
}

async function nextMatchAfterYield(run: Run, guard: Guard): Promise<ObjectView | undefined> {
  for (;;) {
    await guard.tick();
    const v = next(run);
    if (v !== null) return v;
  }
}

function entryOptions(run: Run, req: SearchRequest, ctx: OperationContext, c: SearchControls, limits: SearchLimits): { opts: EntryOptions; ext: ExtendedDn | undefined } {
  const rc = run.rc;
  const ext = c.extendedDn !== undefined ? new ExtendedDn(rc, c.extendedDn) : undefined;
  const opts: EntryOptions = {
    typesOnly: req.typesOnly,
    maxValRange: limits.MaxValRange,
    valueCtx: ext ? ext.context(rc.ctx) : rc.ctx,
    plainCtx: rc.ctx,
    sdFlags: c.sdFlags,
    // ACCESS_SYSTEM_SECURITY comes with SeSecurityPrivilege only (MS-DTYP 2.5.3.2)
    mayReadSacl: rc.access ? rc.access.token.privileges.has('SeSecurityPrivilege') : true,
    // the DSA's clock (Directory.clock), as binds and every other time rule read it
    constructed: new ConstructedAt(rc, run.scope === SearchScope.baseObject, rc.dir.clock()),
    aggregate: () => run.aggregate(),
  };
  return { opts, ext };
}

/** The constructed attributes' environment of one search: `now` is the FILETIME of `seconds` (since 1601, taken when the entries start), made when first read. */
class ConstructedAt implements ConstructedEnv {
  private filetime: bigint | undefined;
  constructor(
    readonly rc: ReadContext,
    readonly baseScope: boolean,
    private readonly seconds: number,
  ) {}
  get now(): bigint {
    return (this.filetime ??= BigInt(this.seconds) * 10_000_000n);
  }
}

/**
 * Sends matches until the stream ends or `max` entries were sent by this call. Returns whether
 * the stream has more. The search's sizeLimit counts every entry of the search (all pages).
 */
async function emit(run: Run, req: SearchRequest, ctx: OperationContext, c: SearchControls, sink: SearchSink, limits: SearchLimits, guard: Guard, max: number, overflow: 'hold' | 'sizeLimitExceeded'): Promise<boolean> {
  const dir = run.rc.dir;
  const sel = selectionFor(dir.schema, req.attributes);
  const { opts, ext } = entryOptions(run, req, ctx, c, limits);
  // the encoded-entry cache: not with extended DNs, nor while reads see the SDs a pending propagation will store
  // (the cache's versions are the stored SDs): now, or when this search's access checks were made
  const acc = run.rc.access;
  const cacheable = sink.entryEncoded && !ext && !sdPropagationMayBePending(dir) && !acc?.readsPendingSds;
  const plan = cacheable ? dir.entryCache.planFor(dir.schema, sel, acc?.token, req.typesOnly, limits.MaxValRange) : undefined;
  let sentNow = 0;
  for (;;) {
    let view = nextMatch(run, guard);
    if (view instanceof Promise) view = await view;
    if (!view) return false;
    if (run.sizeLimit > 0 && run.sent >= run.sizeLimit) throw AdError.sizeLimitExceeded('dsa.search.sizeLimit');
    if (sentNow >= max) {
      // without paging, AD returns at most MaxPageSize entries (MS-ADTS 3.1.1.3.4.6)
      if (overflow === 'sizeLimitExceeded') throw AdError.sizeLimitExceeded('dsa.search.MaxPageSize');
      run.peeked = view;
      return true;
    }
    guard.check();
    const dn = view.dn;
    const name = ext ? ext.format(view.guid, dn) : dn;
    const ber = plan ? cachedEntryAttributes(view, sel, opts, plan, dir.entryCache) : undefined;
    const p = ber ? sink.entryEncoded!(name, ber) : sink.entry(name, entryAttributes(view, sel, opts));
    run.sent++;
    sentNow++;
    if (p) await p;
  }
}

async function sendReferences(run: Run, sink: SearchSink): Promise<void> {
  for (const uri of run.references) {
    const p = sink.reference([uri]);
    if (p) await p;
  }
}

/**
 * RFC 2696: one page, from `position` in the run's snapshot. When more remains, the position is
 * held under a new cookie (MS-ADTS 3.1.1.3.4.1.1); continuation references go with the first
 * page, as Windows sends them (Samba's vlv.py test_paged_search_referrals).
 */
async function page(
  run: Run,
  position: PagedPosition,
  filter: FilterNode,
  visible: (rec: ObjectRecord) => boolean,
  inScope: ((guid: Buffer, rec: ObjectRecord) => boolean) | undefined,
  descend: (rec: ObjectRecord) => boolean,
  fp: string,
  req: SearchRequest,
  ctx: OperationContext,
  c: SearchControls,
  sink: SearchSink,
  limits: SearchLimits,
  guard: Guard,
  controls: Control[],
  first: boolean,
): Promise<OperationResult> {
  const mark = { before: copyPosition(position) };
  run.source = positionSource(run, position, filter, visible, inScope, descend, mark);
  run.peeked = undefined;
  const size = Math.min(c.paged!.size || limits.MaxPageSize, limits.MaxPageSize);
  const more = await emit(run, req, ctx, c, sink, limits, guard, size, 'hold');
  if (first) await sendReferences(run, sink);
  if (!more) {
    controls.push(pagedResponse(EMPTY));
    return { controls };
  }
  const held: HeldSearch = { fingerprint: fp, position: mark.before, sent: run.sent, sizeLimit: run.sizeLimit, scope: run.scope, roots: run.roots, everyPage: run.everyPage, release() {} };
  controls.push(pagedResponse(pagedState(run.rc.dir).store.put(ctx.session.id, held)));
  return { controls };
}

/**
 * The matches from a position on, re-read in the run's snapshot; `mark.before` is the position
 * just after the last match taken (where the next page starts when that match is held back).
 */
function* positionSource(
  run: Run,
  pos: PagedPosition,
  filter: FilterNode,
  visible: (rec: ObjectRecord) => boolean,
  inScope: ((guid: Buffer, rec: ObjectRecord) => boolean) | undefined,
  descend: (rec: ObjectRecord) => boolean,
  mark: { before: PagedPosition },
): Generator<ObjectView | null> {
  let n = 0;
  for (;;) {
    const x = nextAt(run.r, pos, descend);
    if (!x) return;
    if (++n % SCAN_CHUNK === 0) yield null;
    const view = matchOf(run.rc, x.guid, x.rec, filter, visible, inScope);
    if (!view) continue;
    yield view;
    mark.before = copyPosition(pos);
  }
}
