#!/usr/bin/env node
// Runs every compiled test file under dist/test with node's own test runner, after the test
// lint (scripts/lint-tests.mjs, the rules in test/README.md).
// Usage: node scripts/run-tests.mjs [--no-lint] [subdir-or-filter ...]
// Environment:
//   FORESTD_TEST_TIMEOUT_MS  timeout of each test and, as node 20 applies it, of each test file
//                            (default 600000): a hung client fails the run instead of hanging CI
//   FORESTD_REQUIRE_ALL=1    a missing external tool fails instead of skipping (.ci/run sets it)
//   FORESTD_PROPERTY_RUNS    runs per property (default: each property's own count, fixed seed)
//   FORESTD_PROPERTY_SEED    another fixed seed for every property
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

// --test-timeout came with node 20.11; older runners would ignore the timeout silently.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 11)) {
  console.error(`run-tests: node ${process.versions.node} is too old; the runner needs >= 20.11 (--test-timeout)`);
  process.exit(1);
}

const args = process.argv.slice(2);
const lint = !args.includes('--no-lint');
const filters = args.filter((a) => a !== '--no-lint');
if (lint) {
  // FORESTD_LINT_ROOT: lint another tree (the runner's own test uses it)
  const l = spawnSync(process.execPath, ['scripts/lint-tests.mjs', '--root', process.env.FORESTD_LINT_ROOT ?? '.'], { stdio: 'inherit' });
  if (l.status !== 0) process.exit(l.status ?? 1);
}

const root = 'dist/test';
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
})(root);
const chosen = filters.length ? files.filter((f) => filters.some((x) => f.includes(x))) : files;
if (chosen.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
const timeout = Number(process.env.FORESTD_TEST_TIMEOUT_MS ?? 600_000);
// fixed fast-check seeds for every property (test/helpers/property-setup.ts)
const setup = new URL('../dist/test/helpers/property-setup.js', import.meta.url).href;
const r = spawnSync(process.execPath, ['--enable-source-maps', `--import=${setup}`, '--test', '--test-concurrency=2', `--test-timeout=${timeout}`, ...chosen], { stdio: 'inherit' });
process.exit(r.status ?? 1);
