// The test lint (scripts/lint-tests.mjs) rejects each kind of violation in a sample and passes
// legitimate code (safety deadlines, regex .test(), strings that look like code) untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/repo.js';
import { tempDir } from '../helpers/tmp.js';

const LINT = join(repoRoot, 'scripts', 'lint-tests.mjs');

function lint(files: Record<string, string>): { status: number | null; problems: string[] } {
  const t = tempDir('forestd-lint-');
  try {
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(t.dir, 'test', name, '..'), { recursive: true });
      writeFileSync(join(t.dir, 'test', name), text);
    }
    const r = spawnSync(process.execPath, [LINT, '--root', t.dir], { encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, problems: r.stderr.split('\n').filter((l) => /^test\//.test(l)) };
  } finally {
    t.cleanup();
  }
}

// Each line marked `// BAD <rule>` must be reported with that rule, and nothing else.
const BAD = `import { test, it, describe } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises'; // BAD sleep
test('time', () => {
  const t0 = Date.now(); // BAD wall-clock
  assert.ok(performance.now() - t0 < 50); // BAD wall-clock
});
test('sleeps', async () => {
  await new Promise((r) => setTimeout(r, 20)); // BAD sleep
  await new Promise<void>((resolve) => setTimeout(() => resolve(), 20)); // BAD sleep
  await new Promise((r) => setImmediate(r)); // BAD sleep
  const poll = setInterval(() => check(), 5); // BAD sleep
  clearInterval(poll);
  await sleep(10);
  assert.ok(true);
});
test.skip('no reason', () => { assert.ok(true); }); // BAD skip
it.only('only', () => { assert.ok(true); }); // BAD skip
describe.skip('group', () => {}); // BAD skip
test('tool', (t) => {
  t.skip('ldapsearch missing'); // BAD skip
  assert.ok(true);
});
test('opts', { skip: process.platform === 'win32' }, () => { assert.ok(true); }); // BAD skip
test('nothing checked', async () => { // BAD no-assert
  const x = 1 + 1;
  void x;
});
it('nothing either', () => {}); // BAD no-assert
function check(): void {}
`;

const GOOD = `import { test, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { expectCode } from './helper.js';
// setTimeout(r, 5) in a comment, Date.now() too, test.skip('x'), t.skip()
/* a block comment: performance.now() setTimeout(resolve, 1) */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error('no answer within ' + ms + ' ms')), ms); }),
  ]);
}
function sameSet(a: string[], b: string[]): void {
  assert.deepEqual([...a].sort(), [...b].sort());
}
const twice = (x: string) => sameSet([x], [x]);
test('deadlines, kills and regexes are fine', async () => {
  const child = spawn('true');
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  await withTimeout(new Promise((r) => child.on('exit', r)), 60_000);
  clearTimeout(killer);
  const out = 'Date.now() setTimeout(r, 1) test.skip( it(';
  assert.ok(/setTimeout\\(r, 1\\)/.test(out) && /['"(]/.test('(x'));
  const tpl = \`value \${out.length > 3 ? 'a' : 'b'} Date.now()\`;
  assert.match(tpl, /value/);
});
test('a reason is a string', { skip: 'needs a second DC (issue 12)' }, () => { assert.ok(true); });
test('not skipped', { skip: false }, () => { assert.ok(true); });
test('asserts through a helper of this file', () => twice('x'));
it('asserts through an imported helper', async () => { await expectCode(Promise.resolve(1), 0); });
test('fast-check', () => { fc.assert(fc.property(fc.nat(), (n) => n >= 0)); });
test('subtests', async (t) => {
  await t.test('inner', () => { assert.equal(1, 1); });
});
test('an exception with a reason', async () => {
  // test-lint-allow sleep: simulated directory latency in a fake; no outcome depends on it
  await new Promise((r) => setTimeout(r, 1));
  assert.ok(true);
});
declare const fc: any;
`;

const HELPER = `import assert from 'node:assert/strict';
export async function expectCode(p: Promise<unknown>, code: number): Promise<void> {
  assert.equal(await p.then(() => 0), code);
}
`;

test('the lint reports every sample violation, with its rule and line', () => {
  const r = lint({ 'unit/bad.test.ts': BAD });
  assert.equal(r.status, 1);
  const want = BAD.split('\n').flatMap((l, i) => {
    const m = /\/\/ BAD ([\w-]+)/.exec(l);
    return m ? [`test/unit/bad.test.ts:${i + 1}: [${m[1]}]`] : [];
  });
  const got = r.problems.map((p) => /^(\S+:\d+: \[[\w-]+\])/.exec(p)![1]!);
  assert.deepEqual([...new Set(got)].sort(), [...new Set(want)].sort(), r.problems.join('\n'));
});

test('the lint passes legitimate code (no false positives)', () => {
  const r = lint({ 'unit/good.test.ts': GOOD, 'unit/helper.ts': HELPER });
  assert.deepEqual(r.problems, []);
  assert.equal(r.status, 0);
});

test('an exception needs a reason', () => {
  const r = lint({ 'unit/x.test.ts': "import { test } from 'node:test';\nimport assert from 'node:assert';\ntest('x', async () => {\n  // test-lint-allow sleep:\n  await new Promise((r) => setTimeout(r, 1));\n  assert.ok(true);\n});\n" });
  assert.equal(r.status, 1);
  assert.match(r.problems.join('\n'), /test\/unit\/x\.test\.ts:5: \[sleep\] test-lint-allow sleep needs a reason/);
});

test('the real tree is clean', () => {
  const r = spawnSync(process.execPath, [LINT, '--root', repoRoot], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
});

test('npm test runs the lint first: a violation stops the run before any test; a clean tree runs them', () => {
  const runWith = (files: Record<string, string>) => {
    const t = tempDir('forestd-lint-run-');
    try {
      for (const [name, text] of Object.entries(files)) {
        mkdirSync(join(t.dir, 'test', name, '..'), { recursive: true });
        writeFileSync(join(t.dir, 'test', name), text);
      }
      return spawnSync(process.execPath, ['scripts/run-tests.mjs', 'unit/tools.test.js'], {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, FORESTD_LINT_ROOT: t.dir, NODE_TEST_CONTEXT: undefined },
      });
    } finally {
      t.cleanup();
    }
  };
  const bad = runWith({ 'unit/x.test.ts': "import { test } from 'node:test';\ntest('sleepy', async () => { await new Promise((r) => setTimeout(r, 5)); });\n" });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /test\/unit\/x\.test\.ts:2: \[sleep\]/);
  assert.match(bad.stderr, /test\/unit\/x\.test\.ts:2: \[no-assert\]/);
  assert.doesNotMatch(bad.stdout, /# tests/, 'no test ran');
  const clean = runWith({ 'unit/y.test.ts': "import { test } from 'node:test';\nimport assert from 'node:assert';\ntest('fine', () => { assert.ok(true); });\n" });
  assert.equal(clean.status, 0, clean.stderr);
  assert.match(clean.stdout, /# pass \d+/);
});
