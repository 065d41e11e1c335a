// JoinProgress (src/cli/join-progress.ts), the progress line of `forestd join`, under an injected
// clock: the recent rate of the pull phase, the ETA, a count past the estimated total
// (tombstones, objects sent again), the timer's redraws on a TTY and the plain lines of a log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JoinProgress, type JoinProgressOptions } from '../../src/cli/join-progress.js';

function fixture(o: Partial<JoinProgressOptions> = {}) {
  const clock = { t: 0 };
  const out: string[] = [];
  const p = new JoinProgress({ now: () => clock.t, write: (s) => out.push(s), tty: true, ...o });
  return { clock, out, p };
}

/** `seconds` chunks, one a second, of `perSecond` objects (and as many KB) each */
/** `seconds` seconds of `perSecond` objects (1,000 bytes each) a second; `tick`: the redraw timer fires after each second's chunk */
function feed(f: ReturnType<typeof fixture>, seconds: number, perSecond: number, nc = 'DC=x', tick = false) {
  for (let i = 0; i < seconds; i++) {
    f.clock.t += 1000;
    f.p.update(nc, f.p.objects + perSecond, f.p.bytes + perSecond * 1000);
    if (tick) f.p.tick();
  }
}

test('the rate counts from start(): the LDAP setup before it is not part of it', () => {
  const f = fixture();
  f.clock.t = 60_000; // a minute of LDAP setup
  f.p.start();
  feed(f, 5, 100);
  const r = f.p.rate()!;
  assert.ok(Math.abs(r - 100) < 1e-6, `rate ${r}`);
  assert.match(f.out.at(-1)!, /500 objects, 0\.5 MB, 100 objects\/s/);
  // negative control: started at the beginning of the setup, the rate is the average since then
  const g = fixture();
  g.p.start();
  g.clock.t = 60_000;
  g.p.tick();
  feed(g, 5, 100);
  // (the minute with no objects still weighs half of the rate five seconds, a half-life, later)
  assert.ok(g.p.rate()! < 60, `rate ${g.p.rate()}`);
});

test('the rate is the recent one, and the ETA follows it', () => {
  const f = fixture({ total: 20_000 });
  f.p.start();
  feed(f, 10, 1000);
  feed(f, 30, 100);
  const r = f.p.rate()!;
  // the average over the pulls is 13000 / 40 = 325 objects/s
  assert.ok(r > 100 && r < 150, `rate ${r}`);
  assert.equal(f.p.eta(), Math.ceil(7000 / r));
  assert.match(f.out.at(-1)!, new RegExp(`13000/20000 objects, 13\\.0 MB, ${r.toFixed(0)} objects/s, ETA ${Math.ceil(7000 / r)} s`));
  // negative control: weights that do not fade give the average since start()
  const g = fixture({ total: 20_000, halfLifeMs: 1e15 });
  g.p.start();
  feed(g, 10, 1000);
  feed(g, 30, 100);
  assert.ok(Math.abs(g.p.rate()! - 325) < 0.01, `rate ${g.p.rate()}`);
});

test('a stalled source: the timer redraws the line, with a falling rate and a growing ETA', () => {
  const f = fixture({ total: 10_000 });
  f.p.start();
  feed(f, 5, 100);
  const atChunk = f.out.length;
  const lineAtChunk = f.out.at(-1)!;
  const etaAtChunk = f.p.eta() as number;
  for (let i = 0; i < 10; i++) {
    f.clock.t += 1000;
    f.p.tick();
  }
  assert.equal(f.out.length, atChunk + 10, 'one redraw per tick');
  assert.ok(f.out.slice(atChunk).every((s) => s.startsWith('\r')));
  assert.notEqual(f.out.at(-1), lineAtChunk);
  assert.ok(f.p.rate()! < 30, `rate ${f.p.rate()}`);
  assert.ok((f.p.eta() as number) > etaAtChunk);
  // negative control: without the timer nothing is written while no chunk arrives
  const g = fixture({ total: 10_000 });
  g.p.start();
  feed(g, 5, 100);
  const n = g.out.length;
  g.clock.t += 10_000;
  assert.equal(g.out.length, n);
});

test('a count past the estimated total (tombstones): "finishing", never a missing or negative ETA', () => {
  const f = fixture({ total: 1000 });
  f.p.start();
  feed(f, 5, 100);
  assert.match(f.out.at(-1)!, /500\/1000 objects, .*ETA 5 s/);
  feed(f, 7, 100);
  assert.equal(f.p.eta(), 'finishing');
  assert.match(f.out.at(-1)!, /1200\/1200 objects, 1\.2 MB, 100 objects\/s, finishing/);
  assert.doesNotMatch(f.out.at(-1)!, /ETA/);
  // negative control: without a total there is no ETA nor "finishing", only the count
  const g = fixture();
  g.p.start();
  feed(g, 12, 100);
  assert.equal(g.p.eta(), undefined);
  assert.match(g.out.at(-1)!, /: 1200 objects, 1\.2 MB, 100 objects\/s\x1b\[K$/);
});

test('without a TTY: a plain line every few seconds on the timer, no redraws', () => {
  const f = fixture({ tty: false, plainIntervalMs: 5000 });
  f.p.tick(); // before start(): nothing
  f.p.start();
  feed(f, 12, 100, 'DC=x', true);
  f.p.finish();
  assert.deepEqual(f.out, ['forestd: join: DC=x: 500 objects, 0.5 MB, 100 objects/s\n', 'forestd: join: DC=x: 1000 objects, 1.0 MB, 100 objects/s\n']);
  // negative control: on a TTY the same run redraws on every chunk and tick, and ends the line
  const g = fixture({ tty: true, plainIntervalMs: 5000 });
  g.p.start();
  feed(g, 12, 100, 'DC=x', true);
  g.p.finish();
  assert.equal(g.out.length, 25);
  assert.ok(g.out.slice(0, 24).every((s) => s.startsWith('\r  DC=x: ')));
  assert.equal(g.out.at(-1), '\n');
});
