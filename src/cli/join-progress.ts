// The progress of `forestd join`'s pulls (objects, bytes, objects/s, ETA), apart from the join
// itself so that it runs under an injected clock in tests (test/unit/join-progress.test.ts).
//
// - The rate is the pull phase's recent one: an exponentially weighted rate whose weights halve
//   every `halfLifeMs`, fed by each chunk and by each timer tick (a tick adds an interval with no
//   objects, so a source that stalls shows a falling rate, not the last chunk's one). The LDAP
//   setup before `start()` is not part of it.
// - `total` is an estimate (the objects the source holds, tombstones included when it said so):
//   the count of pulled objects can pass it (objects the source deleted or added meanwhile,
//   objects sent again after a schema refresh or a GET_ANC retry). Past it the line says
//   "finishing" instead of an ETA, never a negative or missing one.
// - On a TTY the line is redrawn in place (\r) on every chunk and every tick; elsewhere (a log)
//   a plain line is written at most every `plainIntervalMs`, on the tick.

export interface JoinProgressOptions {
  /** milliseconds, monotonic (performance.now in the CLI) */
  now: () => number;
  write: (s: string) => void;
  tty: boolean;
  /** the objects the source holds, if counted (0/undefined: unknown) */
  total?: number;
  halfLifeMs?: number;
  plainIntervalMs?: number;
}

export class JoinProgress {
  private readonly now: () => number;
  private readonly write: (s: string) => void;
  readonly tty: boolean;
  private readonly tauMs: number;
  private readonly plainIntervalMs: number;
  total: number;
  objects = 0;
  bytes = 0;
  nc = '';
  private tLast: number | undefined;
  private objectsAtLast = 0;
  private weightedRate = 0;
  /** how much of the rate's weight rests on observed time (0 at start: no rate yet) */
  private weight = 0;
  private tPlain: number | undefined;
  private drawn = false;

  constructor(o: JoinProgressOptions) {
    this.now = o.now;
    this.write = o.write;
    this.tty = o.tty;
    this.total = o.total ?? 0;
    this.tauMs = (o.halfLifeMs ?? 5000) / Math.LN2;
    this.plainIntervalMs = o.plainIntervalMs ?? 5000;
  }

  /** The pull phase begins: the rate counts from here. */
  start(): void {
    this.tLast = this.now();
    this.objectsAtLast = this.objects;
    this.tPlain = this.tLast;
  }

  /** The totals so far (of all NCs), after a chunk of `nc`. */
  update(nc: string, objects: number, bytes: number): void {
    this.nc = nc;
    this.objects = objects;
    this.bytes = bytes;
    this.advance();
    if (this.tty) this.draw();
  }

  /** The timer: keeps the rate and ETA current while no chunk arrives. */
  tick(): void {
    if (this.tLast === undefined) return; // before start(): nothing to show yet
    this.advance();
    if (this.tty) {
      this.draw();
      return;
    }
    const t = this.now();
    if (this.tPlain === undefined || t - this.tPlain >= this.plainIntervalMs) {
      this.tPlain = t;
      this.write(`forestd: join: ${this.line()}\n`);
    }
  }

  /** The end of the pulls: a TTY's line is ended. */
  finish(): void {
    if (this.tty && this.drawn) this.write('\n');
    this.drawn = false;
  }

  /** objects/s: the recent rate (undefined before any time has passed in the pull phase) */
  rate(): number | undefined {
    this.advance();
    return this.weight > 0 ? this.weightedRate / this.weight : undefined;
  }

  /** seconds left, 'finishing' once the count has reached the estimate, undefined if unknown */
  eta(): number | 'finishing' | undefined {
    if (!(this.total > 0)) return undefined;
    if (this.objects >= this.total) return 'finishing';
    const r = this.rate();
    if (r === undefined || r <= 0) return undefined;
    return Math.ceil((this.total - this.objects) / r);
  }

  line(): string {
    const r = this.rate();
    const eta = this.eta();
    const count = this.total > 0 ? `${this.objects}/${Math.max(this.total, this.objects)}` : `${this.objects}`;
    const parts = [`${count} objects`, `${(this.bytes / 1e6).toFixed(1)} MB`];
    if (r !== undefined) parts.push(`${r.toFixed(0)} objects/s`);
    if (eta === 'finishing') parts.push('finishing');
    else if (eta !== undefined) parts.push(`ETA ${eta} s`);
    return `${this.nc ? `${this.nc}: ` : ''}${parts.join(', ')}`;
  }

  /** Folds the interval since the last sample (its objects over its duration) into the rate. */
  private advance(): void {
    if (this.tLast === undefined) return;
    const t = this.now();
    const dt = t - this.tLast;
    if (dt <= 0) return;
    const inst = ((this.objects - this.objectsAtLast) * 1000) / dt;
    // continuous-time EWMA over the partition of time into sample intervals
    const a = 1 - Math.exp(-dt / this.tauMs);
    this.weightedRate = this.weightedRate * (1 - a) + inst * a;
    this.weight = this.weight * (1 - a) + a;
    this.tLast = t;
    this.objectsAtLast = this.objects;
  }

  private draw(): void {
    this.drawn = true;
    // \x1b[K: erases what a longer previous line left
    this.write(`\r  ${this.line()}\x1b[K`);
  }
}
