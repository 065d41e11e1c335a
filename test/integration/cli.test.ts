// The CLI as README describes it: provisioning without --admin-password generates one, prints it
// once and keeps it in <data>/admin-password with mode 0600; the negative control: with
// --admin-password given, no file is written and nothing is printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/forestd.js';
import { tempDir } from '../helpers/tmp.js';

test('provision: a generated administrator password is printed once and kept 0600; a given one is not', async () => {
  const t = tempDir('forestd-cli-');
  try {
    const gen = await runCli(['provision', '--data', join(t.dir, 'a'), '--realm', 'cli.test', '--netbios', 'CLI']);
    assert.equal(gen.code, 0, gen.stderr);
    const file = join(t.dir, 'a', 'admin-password');
    const password = readFileSync(file, 'utf8').trim();
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(password.length >= 7);
    assert.equal(gen.stdout.split(password).length - 1, 1, 'printed exactly once');
    const given = await runCli(['provision', '--data', join(t.dir, 'b'), '--realm', 'cli.test', '--netbios', 'CLI', '--admin-password', 'Giv3n-Passw0rd!']);
    assert.equal(given.code, 0, given.stderr);
    assert.equal(existsSync(join(t.dir, 'b', 'admin-password')), false);
    assert.doesNotMatch(given.stdout, /Giv3n-Passw0rd!/);
  } finally {
    t.cleanup();
  }
});
