// The state model, the change walk and the replication engine know nothing of LDAP
// (ARCHITECTURE.md "The state model"): no module they import, directly or through others,
// lies in src/ldap. The LDAP operations are adapters over them, never the other way round.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** The repository root: the nearest directory above this file holding package.json (works from test/ and dist/test/). */
const ROOT = (() => {
  let d = import.meta.dirname;
  while (!existsSync(join(d, 'package.json'))) d = dirname(d);
  return d;
})();
const SRC = join(ROOT, 'src');
const LAYERS = ['dsa/model', 'dsa/changes', 'dsa/replica'];

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)) out.push(m[1]!);
  for (const m of text.matchAll(/import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out.map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
}

/** Every source file reachable from `file` by relative imports, with the chain that reaches it. */
function closure(start: string[]): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const queue: [string, string[]][] = start.map((f) => [f, [relative(SRC, f)]]);
  while (queue.length) {
    const [f, chain] = queue.pop()!;
    if (seen.has(f) || !existsSync(f)) continue;
    seen.set(f, chain);
    for (const g of importsOf(f)) queue.push([g, [...chain, relative(SRC, g)]]);
  }
  return seen;
}

test('src/dsa/model, src/dsa/changes and src/dsa/replica import nothing from src/ldap, even indirectly', () => {
  const files = LAYERS.flatMap((l) => readdirSync(join(SRC, l)).filter((n) => n.endsWith('.ts')).map((n) => join(SRC, l, n)));
  assert.ok(files.length >= 10, `the model layers hold ${files.length} files`);
  const reach = closure(files);
  const bad = [...reach].filter(([f]) => relative(SRC, f).startsWith('ldap/'));
  assert.deepEqual(bad.map(([, chain]) => chain.join(' → ')), []);
});

test('negative control: the boundary check sees LDAP imports where they are (src/dsa/modify.ts)', () => {
  const reach = closure([join(SRC, 'dsa', 'modify.ts')]);
  assert.ok([...reach.keys()].some((f) => relative(SRC, f).startsWith('ldap/')));
});
