// A read process (src/dsa/workers/process-child.ts) whose writer has gone: the IPC channel and
// the operations pipe close, and the process stops with exit code 0. Its stop() ran on
// 'disconnect' (or the pipe's close) and called process.disconnect() on the channel that was
// already closed, which emits an 'error' on process: the read process died with exit code 1 and
// an ERR_IPC_DISCONNECTED trace on the terminal (seen when SIGTERM reached the writer and its read
// processes together, as a service manager stopping the unit sends it). Which of the two closes
// the read process sees first varies (before the fix it crashed when the channel's came first).
// Negative control: a process that stops as the read process did before the fix (on the
// channel's close, process.disconnect() and exit 0) exits with 1 and the trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { tempDir } from '../helpers/tmp.js';

const CHILD = new URL('../../src/dsa/workers/process-child.js', import.meta.url);

/** forks `module` as the pool does (IPC on fd 3, the operations pipe on fd 4), closes the channel (and the pipe), and waits for the exit */
function orphan(module: URL | string, o: { endPipe: boolean; execArgv?: string[] } = { endPipe: true }): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc: ChildProcess = fork(module, [], { ...(o.execArgv ? { execArgv: o.execArgv } : {}), serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error('the orphaned process did not exit within 30 s'));
    }, 30_000);
    proc.on('exit', (code) => {
      clearTimeout(deadline);
      resolve({ code, stderr });
    });
    proc.once('spawn', () => {
      // the writer gone: its end of the channel and of the pipe closed
      proc.disconnect();
      if (o.endPipe) (proc.stdio[4] as Duplex).end();
      else (proc.stdio[4] as Duplex).resume();
    });
  });
}

test('a read process whose writer has gone exits with 0, without an ERR_IPC_DISCONNECTED trace', { timeout: 60_000 }, async () => {
  const r = await orphan(CHILD);
  assert.doesNotMatch(r.stderr, /ERR_IPC_DISCONNECTED/);
  assert.equal(r.code, 0, r.stderr);
});

test('negative control: process.disconnect() on a closed channel is an error that ends the process with 1', { timeout: 60_000 }, async () => {
  const t = tempDir('forestd-child-exit-');
  try {
    // the stop of the read process before the fix, on the channel's close: disconnect it, exit
    // (CommonJS without the runner's --import: its handler is registered before the event loop
    // first runs, so it sees the close)
    const bare = join(t.dir, 'bare.cjs');
    writeFileSync(bare, "process.on('disconnect', () => { process.disconnect?.(); process.exit(0); });\nconst pipe = new (require('node:net').Socket)({ fd: 4, readable: true, writable: true });\npipe.resume();\n");
    const r = await orphan(bare, { endPipe: false, execArgv: [] });
    assert.match(r.stderr, /ERR_IPC_DISCONNECTED/);
    assert.equal(r.code, 1);
  } finally {
    t.cleanup();
  }
});
