// Change notification (MS-ADTS 3.1.1.5.1.6 "Replication notification"): after updates commit
// in an NC replica — originating or replicated — the DC tells the partners that replicate the
// NC from it (repsTo) to pull. The first partner is told after the NC's
// msDS-Replication-Notify-First-DSA-Delay, each next one after
// msDS-Replication-Notify-Subsequent-DSA-Delay; updates that commit while a round is pending
// join it. AD's defaults are 15 s and 3 s; forestd's are tens of milliseconds, so a write
// reaches the other DCs about as fast as the network allows.
//
// Urgent updates (MS-ADTS 3.1.1.5.1.7, urgent.ts) skip the delays: every partner is told at
// once, and a round pending for the NC is replaced by this one. An originating password change
// on a DC that is not the PDC emulator is told to the PDC at once too, partner or not (MS-SAMS
// 2.2.1 PASSWORD_UPDATE_MSG, 3.3.5.2: password changes reach the PDC outside normal replication).
//
// The timers are injected (the simulator and the tests drive them; `serve` uses setTimeout),
// and nothing here is module-level: each DC has its own notifier.
import type { Store } from '../../store/store.js';
import type { ObjectRecord } from '../../store/record.js';

/** How a partner is told: urgently (no delay) or after `delayMs`. */
export interface NotifyInfo {
  urgent: boolean;
  delayMs: number;
}

export interface Timers {
  set(ms: number, fn: () => void): unknown;
  clear(handle: unknown): void;
}

export const realTimers: Timers = {
  set: (ms, fn) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface NotifierOptions {
  /** msDS-Replication-Notify-First-DSA-Delay, in milliseconds (default 20) */
  firstDelayMs?: number;
  /** msDS-Replication-Notify-Subsequent-DSA-Delay, in milliseconds (default 5) */
  subsequentDelayMs?: number;
  /** the partners to notify for an NC (its repsTo), in order */
  partners(nc: Buffer): Buffer[];
  /** tells one partner that the NC changed (e.g. IDL_DRSReplicaSync over the DRS transport) */
  notify(partner: Buffer, nc: Buffer, info: NotifyInfo): void;
  /** the NC's own delays (its crossRef's msDS-Replication-Notify-*-DSA-Delay), when it has them */
  delaysOf?(nc: Buffer): { firstDelayMs?: number; subsequentDelayMs?: number };
  /** whether the update that last changed `rec` is urgent (urgent.ts); none is when absent */
  isUrgent?(rec: ObjectRecord): boolean;
  /** whether the update that last changed `rec` is a password change that originated on this DC (urgent.ts originatingPasswordChangeTest) */
  isPasswordChange?(rec: ObjectRecord): boolean;
  /** the nTDSDSA objectGUID of the PDC emulator of the domain NC `nc` when it is another DC; undefined otherwise (this DC, not a domain NC, unknown) */
  pdcOf?(nc: Buffer): Buffer | undefined;
  timers?: Timers;
}

export class ChangeNotifier {
  private readonly pending = new Map<string, { nc: Buffer; timer: unknown }>();
  private unsubscribe: (() => void) | undefined;
  private readonly timers: Timers;

  constructor(
    private readonly store: Store,
    private readonly opts: NotifierOptions,
  ) {
    this.timers = opts.timers ?? realTimers;
  }

  /** Starts listening to the store's commits. */
  start(): void {
    this.unsubscribe ??= this.store.onCommit((changed) => this.committed(changed));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const p of this.pending.values()) this.timers.clear(p.timer);
    this.pending.clear();
  }

  /** The NCs of the objects an update changed get a notification round unless one is pending; an urgent update's NC one now. */
  private committed(changed: Buffer[]): void {
    const r = this.store.reader;
    const ncs = new Map<string, { nc: Buffer; urgent: boolean; password: boolean }>();
    for (const g of changed) {
      const h = r.getHeader(g);
      if (!h) continue;
      const nc = h.parent === null ? Buffer.from(g) : h.nc;
      const k = nc.toString('hex');
      const e = ncs.get(k) ?? { nc, urgent: false, password: false };
      const wantsPassword = !e.password && this.opts.isPasswordChange !== undefined;
      if ((!e.urgent && this.opts.isUrgent) || wantsPassword) {
        const rec = r.getObject(g);
        if (rec && !e.urgent && this.opts.isUrgent) e.urgent = this.opts.isUrgent(rec);
        if (rec && wantsPassword) e.password = this.opts.isPasswordChange!(rec);
      }
      ncs.set(k, e);
    }
    for (const [k, { nc, urgent, password }] of ncs) {
      const pending = this.pending.get(k);
      // MS-SAMS 2.2.1 PASSWORD_UPDATE_MSG: an originating password change goes to the PDC at once, a partner or not
      const pdc = password ? this.opts.pdcOf?.(nc) : undefined;
      if (urgent) {
        // MS-ADTS 3.1.1.5.1.7: every partner now; the pending round's news go with it
        if (pending) this.timers.clear(pending.timer);
        this.pending.delete(k);
        const partners = this.opts.partners(nc);
        for (const p of partners) this.tell(p, nc, { urgent: true, delayMs: 0 });
        if (pdc && !partners.some((p) => p.equals(pdc))) this.tell(pdc, nc, { urgent: true, delayMs: 0 });
        continue;
      }
      // a password change that is not urgent replication (one made with the account's creation):
      // the PDC now, the partners with the ordinary round
      if (pdc) this.tell(pdc, nc, { urgent: true, delayMs: 0 });
      if (pending) continue;
      const first = this.delays(nc).first;
      this.pending.set(k, { nc, timer: this.timers.set(first, () => this.round(k, nc, 0)) });
    }
  }

  private delays(nc: Buffer): { first: number; subsequent: number } {
    const own = this.opts.delaysOf?.(nc) ?? {};
    return { first: own.firstDelayMs ?? this.opts.firstDelayMs ?? 20, subsequent: own.subsequentDelayMs ?? this.opts.subsequentDelayMs ?? 5 };
  }

  private tell(partner: Buffer, nc: Buffer, info: NotifyInfo): void {
    try {
      this.opts.notify(partner, nc, info);
    } catch {
      // a partner that cannot be told pulls at its next periodic cycle
    }
  }

  private round(k: string, nc: Buffer, i: number): void {
    const partners = this.opts.partners(nc);
    if (i === 0) this.pending.delete(k); // updates from now on start a new round
    if (i >= partners.length) return;
    const d = this.delays(nc);
    this.tell(partners[i]!, nc, { urgent: false, delayMs: i === 0 ? d.first : d.subsequent });
    if (i + 1 < partners.length) this.timers.set(d.subsequent, () => this.round(k, nc, i + 1));
  }
}
