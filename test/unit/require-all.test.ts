// FORESTD_REQUIRE_ALL=1 turns a missing tool into a failed run: the runner, with ldapsearch
// taken off PATH, fails; with the same PATH plus ldapsearch (the negative control) it passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/repo.js';
import { tempDir } from '../helpers/tmp.js';
import { TOOLS, needTool, onPath } from '../helpers/tools.js';

function which(cmd: string): string {
  for (const d of (process.env.PATH ?? '').split(':')) if (d && onPath(cmd, d)) return join(d, cmd);
  throw new Error(`${cmd} not on PATH`);
}

/** Runs the runner over the tools test with PATH = a directory holding just `tools`. */
function runWith(tools: string[]): { status: number | null; out: string } {
  const t = tempDir('forestd-path-');
  try {
    for (const x of tools) symlinkSync(which(x), join(t.dir, x));
    const r = spawnSync(process.execPath, ['scripts/run-tests.mjs', '--no-lint', 'unit/tools.test.js'], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, PATH: t.dir, FORESTD_REQUIRE_ALL: '1', NODE_TEST_CONTEXT: undefined },
    });
    return { status: r.status, out: r.stdout + r.stderr };
  } finally {
    t.cleanup();
  }
}

test('FORESTD_REQUIRE_ALL=1: removing ldapsearch from PATH fails the run', (t) => {
  const onPathTools = Object.keys(TOOLS).filter((x) => !x.includes('/') && !x.startsWith('python:'));
  if (!needTool(t, ...onPathTools)) return;
  const without = runWith(onPathTools.filter((x) => x !== 'ldapsearch'));
  assert.notEqual(without.status, 0, without.out);
  assert.match(without.out, /ldapsearch is not available \(Debian package ldap-utils\), and FORESTD_REQUIRE_ALL=1 forbids skipping/);
  // the control: the same run with ldapsearch on PATH passes
  const withIt = runWith(onPathTools);
  assert.equal(withIt.status, 0, withIt.out);
});
