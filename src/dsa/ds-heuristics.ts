// dSHeuristics (MS-ADTS 6.1.1.2.4.1.2, on CN=Directory Service,CN=Windows NT,CN=Services,
// CN=Configuration): a value of 10 characters or more carries check characters — the 10th is
// "1", the 20th "2", …, the (10·n)th the last digit of n — so that a value shifted by a
// missing or extra character is caught. A value whose check characters are wrong is refused
// with constraintViolation (ERROR_DS_CONSTRAINT_VIOLATION). Shorter values have no check
// characters.
import type { Directory } from './directory.js';
import { AdError } from './errors.js';

export function checkDsHeuristics(dir: Directory, values: readonly Uint8Array[], place: string): void {
  const info = dir.schema.attr('dSHeuristics')!;
  for (const raw of values) {
    const v = Buffer.from(raw).toString('utf8');
    for (let n = 1; n * 10 <= v.length; n++) {
      if (v[n * 10 - 1] !== String(n % 10)) {
        throw AdError.constraintViolation(place, info.id, info.name, undefined, `dSHeuristics: character ${n * 10} must be "${n % 10}" (the check characters of MS-ADTS 6.1.1.2.4.1.2)`);
      }
    }
  }
}
