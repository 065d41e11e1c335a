// LDAP_SERVER_NOTIFICATION_OID (MS-ADTS 3.1.1.3.4.1.9): a search that stays open and sends
// the object (its requested attributes, changed or not) each time an object in its scope is
// modified, under the original messageID, until the client abandons it.
//
// Restrictions as AD has them: the filter must be (objectClass=*) (else unwillingToPerform);
// base, one-level and subtree scopes; at most MaxNotificationPerConn (MS-ADTS 3.1.1.3.4.6,
// default 5) notification searches per connection (adminLimitExceeded beyond).
//
// Writers never wait for notification clients: the store calls Store.onCommit listeners after
// the commit; the hub only files the changed objectGUIDs into each subscription's bounded queue
// (a GUID already queued is not queued twice — the entry is read when it is sent, so it shows
// the latest state). Each subscription sends from its queue at the pace its client reads; a
// client that falls more than `queueLimit` objects behind is dropped with adminLimitExceeded.
import { dcStateSlot } from '../dsa/dc-state.js';
import type { OutgoingAttribute, SearchRequest, Control } from '../ldap/protocol/messages.js';
import { SearchScope } from '../ldap/protocol/messages.js';
import type { OperationContext, OperationResult, SearchSink } from '../dsa/api.js';
import type { Directory } from '../dsa/directory.js';
import { AdError, LdapError } from '../dsa/errors.js';
import { ReadContext, type ObjectView } from '../dsa/object-view.js';
import type { AttrInfo } from '../dsa/schema-binding.js';
import type { Store } from '../store/store.js';
import type { StoredValue } from '../schema/syntaxes/syntax.js';
import { channel } from 'node:diagnostics_channel';

/** `{ event: 'subscribe' | 'unsubscribe', session }` as a notification search starts or stops listening. */
export const notifyChannel = channel('forestd:dirsync:notify');

/** MS-ADTS 3.1.1.3.4.6 MaxNotificationPerConn default */
export const MAX_NOTIFICATION_PER_CONN = 5;
/** objects a notification client may fall behind before it is dropped */
export const DEFAULT_NOTIFICATION_QUEUE_LIMIT = 10_000;

export interface NotificationOptions {
  queueLimit?: number;
  maxPerConnection?: number;
}

interface Subscription {
  readonly session: number;
  readonly base: Buffer;
  readonly scope: number;
  readonly queue: Buffer[];
  readonly queued: Set<string>;
  readonly limit: number;
  wake: (() => void) | undefined;
  fail(e: LdapError): void;
}

/** One per store: the commit listener and the live subscriptions. */
class NotificationHub {
  readonly subs = new Set<Subscription>();
  readonly perSession = new Map<number, number>();
  private unlisten: (() => void) | undefined;

  constructor(private readonly store: Store) {}

  add(s: Subscription): void {
    this.subs.add(s);
    this.perSession.set(s.session, (this.perSession.get(s.session) ?? 0) + 1);
    this.unlisten ??= this.store.onCommit((changed) => this.dispatch(changed));
  }

  remove(s: Subscription): void {
    if (!this.subs.delete(s)) return;
    const n = (this.perSession.get(s.session) ?? 1) - 1;
    if (n <= 0) this.perSession.delete(s.session);
    else this.perSession.set(s.session, n);
    if (this.subs.size === 0 && this.unlisten) {
      this.unlisten();
      this.unlisten = undefined;
    }
  }

  /** Runs in the writer's commit callback: file GUIDs, never wait. */
  private dispatch(changed: Buffer[]): void {
    const r = this.store.reader;
    for (const guid of changed) {
      const rec = r.getObject(guid);
      if (!rec) continue; // removed for good
      // the object, its parent and its ancestors decide which scopes it lies in
      const parent = rec.parent;
      let chain: Set<string> | undefined;
      for (const s of this.subs) {
        let inScope: boolean;
        if (s.scope === SearchScope.baseObject) inScope = s.base.equals(guid);
        else if (s.scope === SearchScope.singleLevel) inScope = parent !== null && s.base.equals(parent);
        else {
          chain ??= ancestry(this.store, guid);
          inScope = chain.has(s.base.toString('latin1'));
        }
        if (!inScope) continue;
        const k = guid.toString('latin1');
        if (s.queued.has(k)) continue;
        if (s.queue.length >= s.limit) {
          s.fail(AdError.adminLimitExceeded('dirsync.notify.queue', `the client has not read ${s.limit} pending change notifications; notification search dropped`));
          continue;
        }
        s.queue.push(Buffer.from(guid));
        s.queued.add(k);
        const w = s.wake;
        s.wake = undefined;
        w?.();
      }
    }
  }
}

function ancestry(store: Store, guid: Buffer): Set<string> {
  const out = new Set<string>([guid.toString('latin1')]);
  const r = store.reader;
  let p = r.getObject(guid)?.parent ?? null;
  for (let guard = 0; p && guard < 10_000; guard++) {
    out.add(p.toString('latin1'));
    p = r.getObject(p)?.parent ?? null;
  }
  return out;
}

/** The DC's notification searches (dc-state.ts: per Directory, so per store). */
const HUB = dcStateSlot('notification hub', (dir) => new NotificationHub(dir.store));

/** The attributes a notification (or any plain read) returns for `view`. */
export function readAttributes(view: ObjectView, requested: readonly string[]): OutgoingAttribute[] {
  const schema = view.rc.dir.schema;
  const names = requested.filter((a) => a !== '1.1');
  const all = names.length === 0 || names.includes('*');
  const infos: AttrInfo[] = [];
  const seen = new Set<number>();
  const push = (i: AttrInfo | undefined) => {
    if (i && !i.secret && !seen.has(i.id)) {
      seen.add(i.id);
      infos.push(i);
    }
  };
  if (all) for (const i of view.presentAttributes()) push(i);
  for (const n of names) if (n !== '*' && n !== '+') push(schema.attr(n.split(';')[0]!));
  const out: OutgoingAttribute[] = [];
  for (const info of infos) {
    if (info.constructed && info.name !== 'distinguishedName') continue;
    const vals = view.values(info) as StoredValue[];
    if (vals.length === 0) continue;
    out.push({
      type: info.name,
      values: vals.map((v) => {
        const x = info.syntax.toLdap(v, view.rc.ctx, { attribute: info.name });
        return typeof x === 'string' ? x : Buffer.from(x.buffer, x.byteOffset, x.byteLength);
      }),
    });
  }
  return out;
}

function isObjectClassPresent(req: SearchRequest): boolean {
  return req.filter.type === 'present' && req.filter.attribute.toLowerCase() === 'objectclass';
}

/**
 * A search carrying LDAP_SERVER_NOTIFICATION_OID: validates it, then sends an entry for each
 * committed change in scope until ctx.signal aborts (abandon, connection closed), when it
 * resolves with no controls (an abandoned operation gets no response anyway). Rejects with
 * adminLimitExceeded when the client falls `queueLimit` objects behind.
 */
export async function notificationSearch(dir: Directory, req: SearchRequest, ctx: OperationContext, sink: SearchSink, control: Control, opts: NotificationOptions = {}): Promise<OperationResult> {
  const place = 'dirsync.notify';
  void control; // valueless control (a value sent anyway is ignored)
  if (!ctx.session.identity) throw AdError.notAuthenticated(place);
  // MS-ADTS 3.1.1.3.4.1.9: "The only filter permitted in the search request is (objectclass=*)"
  if (!isObjectClassPresent(req)) throw AdError.unwillingToPerform(place, 'a change notification search needs the filter (objectClass=*)');
  if (req.scope !== SearchScope.baseObject && req.scope !== SearchScope.singleLevel && req.scope !== SearchScope.wholeSubtree) {
    throw AdError.unwillingToPerform(place, 'a change notification search needs base, one-level or subtree scope');
  }
  const store = dir.store;
  const res = dir.tryResolve(store.reader, req.baseObject);
  if (!res.found) throw AdError.noSuchObject(place, res.matched ? dir.dnOf(store.reader, res.matched) : '');
  const hub = dir.state(HUB);
  const max = opts.maxPerConnection ?? MAX_NOTIFICATION_PER_CONN;
  if ((hub.perSession.get(ctx.session.id) ?? 0) >= max) {
    throw AdError.adminLimitExceeded(place, `at most ${max} notification searches per connection (MaxNotificationPerConn)`);
  }
  if (ctx.signal.aborted) return {};

  return new Promise<OperationResult>((resolve, reject) => {
    let done = false;
    const sub: Subscription = {
      session: ctx.session.id,
      base: Buffer.from(res.guid),
      scope: req.scope,
      queue: [],
      queued: new Set(),
      limit: opts.queueLimit ?? DEFAULT_NOTIFICATION_QUEUE_LIMIT,
      wake: undefined,
      fail: (e) => finish(() => reject(e)),
    };
    const onAbort = () => finish(() => resolve({}));
    function finish(how: () => void) {
      if (done) return;
      done = true;
      hub.remove(sub);
      if (notifyChannel.hasSubscribers) notifyChannel.publish({ event: 'unsubscribe', session: ctx.session.id });
      ctx.signal.removeEventListener('abort', onAbort);
      sub.wake?.();
      how();
    }
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    hub.add(sub);
    if (notifyChannel.hasSubscribers) notifyChannel.publish({ event: 'subscribe', session: ctx.session.id });

    // the sender: one entry at a time, at the client's pace
    void (async () => {
      while (!done) {
        const guid = sub.queue.shift();
        if (!guid) {
          await new Promise<void>((w) => (sub.wake = w));
          continue;
        }
        sub.queued.delete(guid.toString('latin1'));
        const rc = new ReadContext(dir, store.reader);
        const view = rc.view(guid);
        if (!view) continue;
        let dn: string;
        let attrs: OutgoingAttribute[];
        try {
          dn = view.dn;
          attrs = readAttributes(view, req.attributes);
        } catch {
          continue; // the object went away while being read
        }
        try {
          await sink.entry(dn, attrs);
        } catch (e) {
          finish(() => reject(e instanceof LdapError ? e : AdError.unwillingToPerform(place, `notification could not be sent: ${(e as Error).message}`)));
        }
      }
    })();
  });
}
