// Kills a writer process with SIGKILL in the middle of its write loop, reopens the store and
// checks that every acknowledged update is there and that no update is half there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Store } from '../../src/store/store.js';
import { getAttr } from '../../src/store/record.js';
import { tempDir } from '../helpers/tmp.js';

const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const writer = fileURLToPath(new URL(`../helpers/crash-writer${ext}`, import.meta.url));

function runAndKill(dir: string, killAfterAcks: number, firstNumber: number): Promise<{ acked: number[]; usns: number[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, writer, dir, String(firstNumber)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acked: number[] = [];
    const usns: number[] = [];
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('ack ')) {
          const [, n, usn] = line.split(' ');
          acked.push(Number(n));
          usns.push(Number(usn));
        }
        if (acked.length === killAfterAcks) child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve({ acked, usns }) : reject(new Error(`writer exited with ${code}`))));
  });
}

test('SIGKILL during a write loop loses no acknowledged update and leaves none half-written', { timeout: 120_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    let allAcked: number[] = [];
    let maxAckedUsn = 0;
    for (const [r, round] of [150, 400, 90].entries()) {
      const run = await runAndKill(dir, round + Math.floor(Math.random() * 50), r * 1_000_000);
      allAcked = allAcked.concat(run.acked);
      maxAckedUsn = Math.max(maxAckedUsn, ...run.usns);
      const s = Store.open(dir);
      try {
        const nc = Buffer.alloc(16, 0xaa);
        const present = new Map<number, number>();
        for (const g of s.reader.children(nc)) {
          const rec = s.reader.getObject(g);
          assert.ok(rec, 'every DN-index entry names a stored object');
          const n = g.readUInt32BE(0);
          assert.deepEqual(getAttr(rec, 13)!.values, [`pair ${n}`, 'x'.repeat(2000)], 'values whole');
          present.set(n, (present.get(n) ?? 0) + 1);
        }
        for (const n of allAcked) assert.equal(present.get(n), 2, `acknowledged update ${n} is there`);
        for (const [n, count] of present) assert.equal(count, 2, `update ${n} is all there or not at all`);
        // the USN index agrees with the objects
        const inUsn = [...s.reader.changedSince(nc, 0)].filter((x) => !x.guid.equals(nc));
        assert.equal(inUsn.length, [...present.values()].reduce((a, b) => a + b, 0));
        // USNs never go back across a SIGKILL: the next update's USN is above every acknowledged
        // one and above every USN the store holds (updates committed but not yet acknowledged)
        const highestStored = Math.max(...inUsn.map((x) => x.usn));
        assert.ok(highestStored >= maxAckedUsn, `stored ${highestStored} < acknowledged ${maxAckedUsn}`);
        let next = 0;
        await s.write((w) => {
          next = w.usn;
          w.setMeta('after-crash', r);
        });
        assert.ok(next > highestStored, `USN ${next} after a crash, the store already holds ${highestStored}`);
        maxAckedUsn = Math.max(maxAckedUsn, next);
      } finally {
        await s.close();
      }
    }
    assert.ok(allAcked.length > 600);
  } finally {
    cleanup();
  }
});
