// A one-line progress bar (done/total, rate, ETA), redrawn at most every 100 ms, on a terminal
// only: when the stream is not a TTY it writes nothing at all.
import type { WriteStream } from 'node:tty';

export class ProgressBar {
  private last = 0;
  private readonly started = Date.now();
  private readonly on: boolean;
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly total: number | undefined,
  ) {
    this.on = stream.isTTY === true;
  }

  update(done: number, failed: number, force = false): void {
    if (!this.on) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const secs = Math.max((now - this.started) / 1000, 0.001);
    const rate = done / secs;
    const cols = (this.stream as WriteStream).columns || 80;
    let line: string;
    const tail = `${Math.round(rate)}/s${failed ? ` ${failed} failed` : ''}`;
    if (this.total) {
      const frac = Math.min(done / this.total, 1);
      const eta = rate > 0 ? (this.total - done) / rate : 0;
      const text = ` ${done}/${this.total} ${(frac * 100).toFixed(0)}% ${tail} ETA ${clock(eta)}`;
      const width = Math.max(10, Math.min(40, cols - text.length - 3));
      const fill = Math.round(frac * width);
      line = `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}]${text}`;
    } else line = `${done} records ${tail}`;
    this.stream.write(`\r${line.slice(0, cols - 1)}\x1b[K`);
    this.drawn = true;
  }

  finish(done: number, failed: number): void {
    if (!this.on) return;
    this.update(done, failed, true);
    if (this.drawn) this.stream.write('\n');
  }
}

function clock(s: number): string {
  const t = Math.round(s);
  const m = Math.floor(t / 60);
  return `${m}:${String(t % 60).padStart(2, '0')}`;
}
