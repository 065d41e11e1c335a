// test/CLAIMS.md names, for every claim, the tests that prove it: each named file exists, and
// every row names at least one test file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/repo.js';

const text = readFileSync(join(repoRoot, 'test', 'CLAIMS.md'), 'utf8');
const rows = text.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| claim') && !l.startsWith('| ---'));

test('CLAIMS.md: every row names test files, and each exists', () => {
  assert.ok(rows.length >= 20, `${rows.length} claims`);
  const missing: string[] = [];
  for (const row of rows) {
    const cells = row.split(' | ');
    const proof = cells[2] ?? '';
    const files = [...proof.matchAll(/`(test\/[^`]+\.ts)`/g)].map((m) => m[1]!);
    assert.ok(files.length > 0, `no test file for: ${cells[0]}`);
    for (const f of files) if (!existsSync(join(repoRoot, f))) missing.push(`${f} (${cells[0]!.slice(2, 60)})`);
  }
  assert.deepEqual(missing, []);
});
