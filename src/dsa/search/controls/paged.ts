// Simple paged results, RFC 2696 (LDAP_PAGED_RESULT_OID_STRING 1.2.840.113556.1.4.319).
// The cookie is opaque bytes naming a server-side continuation of the search: the open read
// snapshot, the compiled filter and the position in the candidate stream (see search.ts), so
// each page costs only its own entries and every entry is returned exactly once.
//
// Continuations are kept per connection (Session.id) in a bounded store: at most
// MaxResultSetsPerConn per connection (the oldest is dropped), at most MAX_PAGED_STATES in all,
// each dropped after PAGED_IDLE_MS without a page. A cookie is good for one page: each page
// answers with a fresh one. A request with size 0 and a cookie abandons the search (RFC 2696 3).
import { randomBytes } from 'node:crypto';
import { PAGED_RESULTS_OID, pagedResultsControl } from '../../../ldap/controls/paged-results.js';
import { responseControl } from '../../../ldap/controls/index.js';
import type { Control } from '../../../ldap/protocol/messages.js';

export const PAGED_OIDS = [PAGED_RESULTS_OID] as const;

/** Continuations kept in all. */
export const MAX_PAGED_STATES = 4096;
/** Milliseconds a continuation is kept without a page being asked for. */
export const PAGED_IDLE_MS = 10 * 60 * 1000;

export interface Continuation {
  /** ends the continuation (releases its read snapshot) */
  release(): void;
}

interface Held<T> {
  session: number;
  state: T;
  lastUsed: number;
}

export class PagedStore<T extends Continuation> {
  private readonly held = new Map<string, Held<T>>();

  constructor(
    private readonly perSession: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Keeps `state` and returns the cookie naming it. */
  put(session: number, state: T): Buffer {
    this.sweep();
    const mine = [...this.held.entries()].filter(([, h]) => h.session === session);
    // MaxResultSetsPerConn: the connection's oldest continuation makes room
    mine.sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (let i = 0; i <= mine.length - this.perSession(); i++) this.drop(mine[i]![0]);
    if (this.held.size >= MAX_PAGED_STATES) {
      const oldest = [...this.held.entries()].sort((a, b) => a[1].lastUsed - b[1].lastUsed)[0];
      if (oldest) this.drop(oldest[0]);
    }
    const cookie = randomBytes(12);
    this.held.set(cookie.toString('hex'), { session, state, lastUsed: this.now() });
    return cookie;
  }

  /** Takes the continuation a cookie names (it is no longer held), if the connection owns it. */
  take(session: number, cookie: Buffer): T | undefined {
    this.sweep();
    const k = cookie.toString('hex');
    const h = this.held.get(k);
    if (!h || h.session !== session) return undefined;
    this.held.delete(k);
    return h.state;
  }

  /** Drops every continuation of a connection (call when it closes). */
  releaseSession(session: number): void {
    for (const [k, h] of [...this.held]) if (h.session === session) this.drop(k);
  }

  get size(): number {
    return this.held.size;
  }

  private drop(k: string): void {
    const h = this.held.get(k);
    if (!h) return;
    this.held.delete(k);
    h.state.release();
  }

  private sweep(): void {
    const limit = this.now() - PAGED_IDLE_MS;
    for (const [k, h] of [...this.held]) if (h.lastUsed < limit) this.drop(k);
  }
}

/** The response control: size is the estimate (0: unknown, as AD answers), cookie empty on the last page. */
export function pagedResponse(cookie: Buffer): Control {
  return responseControl(pagedResultsControl, { size: 0, cookie });
}

// ---- the position of a held paged search (MS-ADTS 3.1.1.3.4.1.1) -------------------------
//
// No read snapshot is held between pages: each page opens its own and goes on from a position
// that names objects, not a snapshot, so an entry deleted or changed between pages is read as
// it is now (deleted: skipped; changed: returned as it is; no longer matching the filter:
// skipped), as Windows does (Samba's vlv.py PagedResultsTestsRW). What is kept per search is
// small: a walk keeps one (parent, last child key) frame per level; a list of objects (index
// candidates, ASQ targets, the sorted result) keeps 16 bytes per object not yet returned,
// bounded by MaxResultSetSize.

import type { ObjectRecord } from '../../../store/record.js';
import type { ReadTxn } from '../../../store/store.js';
import { SearchScope } from '../../../ldap/protocol/messages.js';

/** A list of objects in the order they are returned. `checkScope`: index candidates are checked against the scope on every page. */
export interface ListPosition {
  kind: 'list';
  guids: Buffer[];
  next: number;
  checkScope: boolean;
}

interface WalkFrame {
  parent: Buffer;
  after: Buffer | null;
}

/** A pre-order walk of the search roots, stopped between two objects. */
export interface WalkPosition {
  kind: 'walk';
  roots: { guid: Buffer; scope: SearchScope }[];
  root: number;
  started: boolean;
  frames: WalkFrame[];
  /** the last object returned: its children come next */
  descendNext: Buffer | null;
}

export type PagedPosition = ListPosition | WalkPosition;

export function copyPosition(p: PagedPosition): PagedPosition {
  return p.kind === 'list' ? { ...p } : { ...p, roots: p.roots, frames: p.frames.map((f) => ({ ...f })) };
}

/** Bytes a position keeps (for MaxResultSetSize). */
export function positionBytes(p: PagedPosition): number {
  return p.kind === 'list' ? 16 * (p.guids.length - p.next) + 64 : 64 + 48 * p.frames.length + 32 * p.roots.length;
}

/**
 * The next object at the position in snapshot `r` (advancing it), or undefined at the end.
 * `descend(rec)`: whether a walk goes below an object.
 */
export function nextAt(r: ReadTxn, p: PagedPosition, descend: (rec: ObjectRecord) => boolean): { guid: Buffer; rec: ObjectRecord | undefined } | undefined {
  if (p.kind === 'list') {
    if (p.next >= p.guids.length) return undefined;
    const guid = p.guids[p.next++]!;
    return { guid, rec: r.readObject(guid) };
  }
  for (;;) {
    const root = p.roots[p.root];
    if (!root) return undefined;
    if (!p.started) {
      p.started = true;
      p.frames = [];
      p.descendNext = null;
      const rec = r.readObject(root.guid);
      if (!rec) {
        p.root++;
        p.started = false;
        continue;
      }
      if (root.scope === SearchScope.singleLevel) p.frames.push({ parent: root.guid, after: null });
      else if (root.scope !== SearchScope.baseObject && descend(rec)) p.frames.push({ parent: root.guid, after: null });
      if (root.scope === SearchScope.baseObject || root.scope === SearchScope.wholeSubtree) return { guid: root.guid, rec };
      continue;
    }
    if (p.descendNext) {
      p.frames.push({ parent: p.descendNext, after: null });
      p.descendNext = null;
    }
    const top = p.frames[p.frames.length - 1];
    if (!top) {
      p.root++;
      p.started = false;
      continue;
    }
    const c = r.childAfter(top.parent, top.after);
    if (!c) {
      p.frames.pop();
      continue;
    }
    top.after = c.key;
    const rec = r.readObject(c.guid);
    if (!rec) continue;
    if (root.scope !== SearchScope.singleLevel && descend(rec)) p.descendNext = c.guid;
    return { guid: c.guid, rec };
  }
}
