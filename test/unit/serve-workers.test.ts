// `forestd serve` worker options (src/cli/main.ts workerCount, workerMode): unset, one process per
// core (os.availableParallelism(), at most 256; one core: 1, no read process) in process mode
// (issue #14); given, as given. Negative controls: counts outside 1..256 and unknown modes are
// usage errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { workerCount, workerMode, UsageError } from '../../src/cli/main.js';

test('unset: one worker per core, capped at 256, in process mode; given values win', () => {
  for (const [cores, want] of [[1, 1], [2, 2], [8, 8], [256, 256], [300, 256]] as const) {
    assert.equal(workerCount(undefined, cores), want, `${cores} cores`);
    assert.equal(workerCount('', cores), want, `${cores} cores, FORESTD_WORKERS=''`);
  }
  assert.equal(workerCount('1', 8), 1, '--workers 1 on 8 cores: one process');
  assert.equal(workerCount('4', 2), 4);
  assert.equal(workerMode(undefined), 'process');
  assert.equal(workerMode(''), 'process');
  assert.equal(workerMode('thread'), 'thread');
  assert.equal(workerMode('process'), 'process');
});

test('negative control: counts outside 1..256 and unknown modes are usage errors', () => {
  for (const v of ['0', '257', '1.5', 'two', '-1']) assert.throws(() => workerCount(v, 2), UsageError, v);
  assert.throws(() => workerMode('threads'), UsageError);
});
