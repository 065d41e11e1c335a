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
