// The messages between the LDAP thread (pool.ts) and the read workers (worker.ts): plain data
// that structured clone carries. Buffers arrive as Uint8Arrays and are made Buffers again
// (revive); a security token travels as the SIDs it was made from and is rebuilt with makeToken.
import type { Control, SearchRequest } from '../../ldap/protocol/messages.js';
import { LdapError } from '../../ldap/protocol/result-codes.js';
import type { FollowerState } from '../../store/store.js';
import { makeToken, type Privilege, type SecurityToken } from '../../security/token.js';
import type { Identity } from '../api.js';

/** The session facts a search reads (api.ts Session), without the bind state. */
export interface WireSession {
  id: number;
  encrypted: boolean;
  globalCatalog: boolean;
  remoteAddress: string;
  localAddress?: string;
  saslLayer?: 'none' | 'sign' | 'seal';
}

export interface WireToken {
  user: Uint8Array;
  primaryGroup: Uint8Array | undefined;
  groups: Uint8Array[];
  wellKnown: Uint8Array[];
  privileges: Privilege[];
  anonymous: boolean;
}

export interface WireIdentity {
  /** one number per Identity object of the LDAP thread: the worker keeps the rebuilt identity (and its token's memo) under it */
  key: number;
  dn: string;
  guid: Uint8Array;
  sid?: Uint8Array;
  isAdmin: boolean;
  token?: WireToken;
}

/** What every request carries of the writer's state, so the worker reads what the writer has committed. */
export interface Coherence {
  store: FollowerState;
  /** moves when the LDAP thread swaps its schema (schemaUpdateNow): the worker reloads it from the store */
  schemaGeneration: number;
  /** the access layer's SD epoch (access.ts AccessState.sdEpoch) */
  sdEpoch: number;
  /** an SD propagation may be pending: reads compute effective SDs (sd-propagator.ts sdPropagationMayBePending) */
  sdPropagationPending: boolean;
}

/**
 * Identities a worker keeps, oldest first out. The LDAP thread mirrors each worker's set (same
 * insertions, same evictions, messages in order), so it sends an identity whole only once and
 * its key afterwards.
 */
export const MAX_IDENTITIES = 4096;

export type ToWorker =
  | { t: 'search'; id: number; messageID: number; req: SearchRequest; controls: readonly Control[]; session: WireSession; identity: WireIdentity | { key: number } | null; coherence: Coherence }
  | { t: 'ack'; id: number }
  | { t: 'abort'; id: number; reason: WireError }
  | { t: 'closed'; session: number }
  | { t: 'stop' };

export interface WireError {
  resultCode: number;
  matchedDN: string;
  diagnosticMessage: string;
  referral?: string[];
  controls?: Control[];
  /** not an LdapError: an internal failure, reported as `other` */
  internal?: string;
}

export type FromWorker =
  | { t: 'ready' }
  | { t: 'chunk'; id: number; pdus: Uint8Array }
  | { t: 'done'; id: number; pdus: Uint8Array | null; controls?: Control[]; diagnosticMessage?: string; error?: WireError };

/**
 * Messages to the other thread, posted together once per event-loop turn: a wake-up of the other
 * thread (an eventfd write and a futex) costs as much as a socket write, so the requests of all
 * connections that arrived in one turn, and the answers finished in one turn, cross in one post.
 */
export class Outbox<M> {
  private msgs: M[] = [];
  private transfer: ArrayBuffer[] = [];
  private scheduled = false;

  constructor(private readonly post: (batch: M[], transfer: ArrayBuffer[]) => void) {}

  send(m: M, transfer?: ArrayBuffer): void {
    this.msgs.push(m);
    if (transfer) this.transfer.push(transfer);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  readonly flush = (): void => {
    this.scheduled = false;
    if (this.msgs.length === 0) return;
    const batch = this.msgs;
    const transfer = this.transfer;
    this.msgs = [];
    this.transfer = [];
    this.post(batch, transfer);
  };
}

/** A Uint8Array that crossed threads as the Buffer it was (no copy). */
export function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/**
 * A copy for postMessage in which every byte array has an ArrayBuffer of its own size: structured
 * clone copies a view's whole ArrayBuffer, and a decoded request's values are views into the
 * socket's 64 KiB read buffer (or Node's 8 KiB pool).
 */
export function compact<T>(x: T): T {
  if (x instanceof Uint8Array) return new Uint8Array(x) as T;
  if (Array.isArray(x)) return x.map(compact) as T;
  if (x !== null && typeof x === 'object') {
    const o: Record<string, unknown> = {};
    for (const k in x as Record<string, unknown>) o[k] = compact((x as Record<string, unknown>)[k]);
    return o as T;
  }
  return x;
}

/** Uint8Arrays back to Buffers (without copying), through arrays and plain objects. */
export function revive<T>(x: T): T {
  if (x instanceof Uint8Array) return (Buffer.isBuffer(x) ? x : Buffer.from(x.buffer, x.byteOffset, x.byteLength)) as T;
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) x[i] = revive(x[i]);
    return x;
  }
  if (x !== null && typeof x === 'object' && !(x instanceof Set) && !(x instanceof Map)) {
    const o = x as Record<string, unknown>;
    for (const k in o) o[k] = revive(o[k]);
  }
  return x;
}

export function tokenToWire(t: SecurityToken): WireToken {
  return { user: t.user, primaryGroup: t.primaryGroup, groups: [...t.groups], wellKnown: [...t.wellKnown], privileges: [...t.privileges], anonymous: t.anonymous };
}

/** An identity as another process gets it whole (key 0: binds are few per connection; compact: no undefined fields). */
export function identityToWire(id: Identity): WireIdentity {
  return compact({ key: 0, dn: id.dn, guid: id.guid, isAdmin: id.isAdmin, ...(id.sid ? { sid: id.sid } : {}), ...(id.token ? { token: tokenToWire(id.token) } : {}) });
}

export function identityFromWire(w: WireIdentity): Identity {
  const id: Identity = { dn: w.dn, guid: asBuffer(w.guid), isAdmin: w.isAdmin };
  if (w.sid) id.sid = asBuffer(w.sid);
  if (w.token) {
    const t = w.token;
    id.token = makeToken(asBuffer(t.user), t.primaryGroup ? asBuffer(t.primaryGroup) : undefined, t.groups.map(asBuffer), t.wellKnown.map(asBuffer), t.privileges, t.anonymous);
  }
  return id;
}

export function errorToWire(e: unknown): WireError {
  const controls = (e as { controls?: Control[] } | null)?.controls;
  if (e instanceof LdapError) {
    const w: WireError = { ...e.toResult() };
    if (Array.isArray(controls)) w.controls = controls;
    return w;
  }
  return { resultCode: 80, matchedDN: '', diagnosticMessage: '', internal: e instanceof Error ? (e.stack ?? e.message) : String(e) };
}

/** The worker's failure as the LDAP thread throws it: an LdapError (with its response controls), or an Error for an internal one. */
export function errorFromWire(w: WireError): Error {
  if (w.internal !== undefined) return new Error(`read worker: ${w.internal}`);
  const e = new LdapError(w.resultCode, w.diagnosticMessage, w.matchedDN, w.referral);
  if (w.controls) Object.assign(e, { controls: revive(w.controls) });
  return e;
}
