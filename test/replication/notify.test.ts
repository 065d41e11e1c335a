// Change notification (MS-ADTS 3.1.1.5.1.6): first partner after the first delay, the others
// one subsequent delay apart; commits during the wait join the round. Timers are driven by
// the test (a virtual clock), never by sleeping.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ChangeNotifier, type Timers } from '../../src/dsa/replica/notify.js';
import { tempDir } from '../helpers/tmp.js';
import { createNC, find, openDCs, Writer, type SimDC } from './sim.js';

class VirtualTimers implements Timers {
  now = 0;
  private queue: { at: number; fn: () => void; id: number }[] = [];
  private seq = 0;
  set(ms: number, fn: () => void) {
    const id = ++this.seq;
    this.queue.push({ at: this.now + ms, fn, id });
    return id;
  }
  clear(h: unknown) {
    this.queue = this.queue.filter((t) => t.id !== h);
  }
  /** Runs every timer due up to now + ms, in time order. */
  advance(ms: number) {
    const end = this.now + ms;
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at || a.id - b.id);
      const t = this.queue[0];
      if (!t || t.at > end) break;
      this.queue.shift();
      this.now = t.at;
      t.fn();
    }
    this.now = end;
  }
}

const dcs: SimDC[] = [];
const root = tempDir('forestd-notify-');
after(async () => {
  for (const d of dcs) await d.store.close();
  root.cleanup();
});

test('after a commit, repsTo partners are told: the first after the first delay, the next one subsequent delay apart', () => {
  const world = { time: 13_200_000_000 };
  dcs.push(...openDCs(root.dir, 1, world));
  const dc = dcs[0]!;
  const nc = createNC(dc, 1);
  const timers = new VirtualTimers();
  const told: [number, string][] = [];
  const p1 = Buffer.alloc(16, 1);
  const p2 = Buffer.alloc(16, 2);
  const n = new ChangeNotifier(dc.store, { firstDelayMs: 20, subsequentDelayMs: 5, timers, partners: () => [p1, p2], notify: (p, x) => void told.push([timers.now, `${p[0]}:${x.equals(nc.name.Guid)}`]) });
  n.start();
  timers.advance(100);
  assert.deepEqual(told, [], 'no commit, no notification (negative control)');
  const w = new Writer(dc, nc);
  const b = find(dc, nc, 'B')!.guid;
  w.modifyObj(b, 'one');
  timers.advance(10);
  w.modifyObj(b, 'two'); // joins the pending round
  timers.advance(100);
  assert.deepEqual(told, [
    [120, '1:true'],
    [125, '2:true'],
  ]);
  // a later commit starts a new round
  w.modifyObj(b, 'three');
  timers.advance(30);
  assert.equal(told.length, 4);
  n.stop();
  w.modifyObj(b, 'four');
  timers.advance(100);
  assert.equal(told.length, 4, 'a stopped notifier tells nobody');
});

test('an urgent update (MS-ADTS 3.1.1.5.1.7) tells every partner at once and takes the pending round with it; an NC may have its own delays', () => {
  const world = { time: 13_200_000_000 };
  const [dc] = openDCs(root.dir, 1, world);
  dcs.push(dc!);
  const nc = createNC(dc!, 2);
  const timers = new VirtualTimers();
  const told: [number, number, boolean, number][] = [];
  const p1 = Buffer.alloc(16, 1);
  const p2 = Buffer.alloc(16, 2);
  const n = new ChangeNotifier(dc!.store, {
    firstDelayMs: 20,
    subsequentDelayMs: 5,
    timers,
    partners: () => [p1, p2],
    // the NC's crossRef says one hour
    delaysOf: () => ({ firstDelayMs: 3_600_000, subsequentDelayMs: 3_600_000 }),
    // "A" stands for an urgent kind of update (a lockout, a schema object, …)
    isUrgent: (rec) => rec.name === 'A',
    notify: (p, _x, info) => void told.push([timers.now, p[0]!, info.urgent, info.delayMs]),
  });
  n.start();
  const w = new Writer(dc!, nc);
  w.modifyObj(find(dc!, nc, 'B')!.guid, 'ordinary');
  timers.advance(60_000);
  assert.deepEqual(told, [], 'an ordinary change waits for the NC\'s first delay (negative control)');
  w.modifyObj(find(dc!, nc, 'A')!.guid, 'urgent');
  assert.deepEqual(told, [
    [60_000, 1, true, 0],
    [60_000, 2, true, 0],
  ]);
  // the pending round went with the urgent one: nothing more an hour later
  timers.advance(4_000_000);
  assert.equal(told.length, 2);
  // a later ordinary change: the NC's delays
  w.modifyObj(find(dc!, nc, 'B')!.guid, 'later');
  timers.advance(3_600_000 * 2);
  assert.deepEqual(told.slice(2), [
    [60_000 + 4_000_000 + 3_600_000, 1, false, 3_600_000],
    [60_000 + 4_000_000 + 7_200_000, 2, false, 3_600_000],
  ]);
  n.stop();
});

test('an originating password change on a DC that is not the PDC emulator is told to the PDC at once, a partner or not (MS-SAMS 2.2.1 PASSWORD_UPDATE_MSG); other updates, and the PDC itself, tell it nothing more', () => {
  const world = { time: 13_200_000_000 };
  const [dc] = openDCs(root.dir, 1, world);
  dcs.push(dc!);
  const nc = createNC(dc!, 3);
  const timers = new VirtualTimers();
  const told: [number, number, boolean][] = [];
  const p1 = Buffer.alloc(16, 1);
  const pdc = Buffer.alloc(16, 9);
  let pdcHere: Buffer | undefined = pdc;
  const n = new ChangeNotifier(dc!.store, {
    firstDelayMs: 20,
    subsequentDelayMs: 5,
    timers,
    partners: () => [p1],
    // "A" stands for an urgent password change (pwdLastSet of an existing account), "B" for a
    // password set with the account's creation (not urgent), "G" for an urgent update of another kind
    isUrgent: (rec) => rec.name === 'A' || rec.name === 'G',
    isPasswordChange: (rec) => rec.name === 'A' || rec.name === 'B',
    pdcOf: (x) => (x.equals(nc.name.Guid) ? pdcHere : undefined),
    notify: (p, _x, info) => void told.push([timers.now, p[0]!, info.urgent]),
  });
  n.start();
  const w = new Writer(dc!, nc);
  // negative control: an urgent update that is no password change goes to the partners only
  w.modifyObj(find(dc!, nc, 'G')!.guid, 'urgent, no password');
  assert.deepEqual(told, [[0, 1, true]]);
  // the urgent password change: the partner and the PDC, at once
  w.modifyObj(find(dc!, nc, 'A')!.guid, 'password');
  assert.deepEqual(told.slice(1), [
    [0, 1, true],
    [0, 9, true],
  ]);
  // a password that is not urgent replication: the PDC now, the partner after the first delay
  w.modifyObj(find(dc!, nc, 'B')!.guid, 'password with the account');
  assert.deepEqual(told.slice(3), [[0, 9, true]]);
  timers.advance(20);
  assert.deepEqual(told.slice(4), [[20, 1, false]]);
  // on the PDC itself (pdcOf: undefined) a password change tells the partners only
  pdcHere = undefined;
  w.modifyObj(find(dc!, nc, 'A')!.guid, 'password on the PDC');
  assert.deepEqual(told.slice(5), [[20, 1, true]]);
  // a PDC that is a partner already is told once
  pdcHere = p1;
  w.modifyObj(find(dc!, nc, 'A')!.guid, 'password, the PDC a partner');
  assert.deepEqual(told.slice(6), [[20, 1, true]]);
  n.stop();
});
