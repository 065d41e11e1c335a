// Password complexity (MS-SAMR 3.1.1.7.2) on a table of cases.
import test from 'node:test';
import assert from 'node:assert/strict';
import { isComplex } from '../../src/dsa/password-policy.js';

const ROWS: [string, string | undefined, boolean, string][] = [
  ['Passw0rd!', 'bob', true, 'upper, lower, digit, symbol'],
  ['password', 'bob', false, 'one kind'],
  ['Password', 'bob', false, 'two kinds'],
  ['Password1', 'bob', true, 'three kinds'],
  ['xBob-Passw0rd', 'bob', false, 'contains the account name (case-insensitive)'],
  ['Al-Passw0rd', 'al', true, 'account names under three characters are not looked for'],
  ['пароль-1', undefined, true, 'Unicode lower case, symbol and digit count'],
  ['', undefined, false, 'empty'],
];

for (const [pw, sam, want, why] of ROWS) {
  test(`MS-SAMR 3.1.1.7.2 complexity: ${JSON.stringify(pw)} → ${want} (${why})`, () => {
    assert.equal(isComplex(pw, sam), want);
  });
}
