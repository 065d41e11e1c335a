// The repository's root, from source (tsx) or from dist/ (tsc): the nearest package.json above.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function find(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) {
    const up = dirname(d);
    if (up === d) throw new Error('no package.json above test/helpers');
    d = up;
  }
  return d;
}

export const repoRoot = find();
