// Change notification (MS-ADTS 3.1.1.5.1.6 "Replication notification"): after updates commit
// in an NC replica — originating or replicated — the DC tells the partners that replicate the
// NC from it (repsTo) to pull. The first partner is told after the NC's
// msDS-Replication-Notify-First-DSA-Delay, each next one after
// msDS-Replication-Notify-Subsequent-DSA-Delay; updates that commit while a round is pending
// join it. AD's defaults are 15 s and 3 s; forestd's are tens of milliseconds, so a write
// reaches the other DCs about as fast as the network allows.
//
// The timers are injected (the simulator and the tests drive them; `serve` uses setTimeout),
// and nothing here is module-level: each DC has its own notifier.
import type { Store } from '../../store/store.js';

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
  notify(partner: Buffer, nc: Buffer): void;
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

  /** The NCs of the objects an update changed get a notification round unless one is pending. */
  private committed(changed: Buffer[]): void {
    const r = this.store.reader;
    for (const g of changed) {
      const h = r.getHeader(g);
      if (!h) continue;
      const nc = h.parent === null ? Buffer.from(g) : h.nc;
      const k = nc.toString('hex');
      if (this.pending.has(k)) continue;
      this.pending.set(k, { nc, timer: this.timers.set(this.opts.firstDelayMs ?? 20, () => this.round(k, nc, 0)) });
    }
  }

  private round(k: string, nc: Buffer, i: number): void {
    const partners = this.opts.partners(nc);
    if (i === 0) this.pending.delete(k); // updates from now on start a new round
    if (i >= partners.length) return;
    try {
      this.opts.notify(partners[i]!, nc);
    } catch {
      // a partner that cannot be told pulls at its next periodic cycle
    }
    if (i + 1 < partners.length) this.timers.set(this.opts.subsequentDelayMs ?? 5, () => this.round(k, nc, i + 1));
  }
}
