import { test } from 'node:test';
import assert from 'node:assert/strict';
import { md4 } from '../../src/security/md4.js';
import { ntHash, verifyNtHash, decodeUnicodePwd, generatePassword, PasswordValueError } from '../../src/security/password.js';

test('MD4 test suite of RFC 1320 A.5', () => {
  const v: [string, string][] = [
    ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
    ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
    ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
    ['message digest', 'd9130a8164549fe818874806e1c7014b'],
    ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
    ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', 'e33b4ddc9c38f2199c3e7b164fcc0536'],
  ];
  for (const [m, h] of v) assert.equal(md4(Buffer.from(m)).toString('hex'), h, m);
});

test('NT hash (MS-NLMP NTOWFv1) of known passwords', () => {
  assert.equal(ntHash('password').toString('hex'), '8846f7eaee8fb117ad06bdd830b7586c');
  assert.equal(ntHash('').toString('hex'), '31d6cfe0d16ae931b73c59d7e0c089c0');
  assert.ok(verifyNtHash('Pässwörd1!', ntHash('Pässwörd1!')));
  assert.ok(!verifyNtHash('Password', ntHash('password')));
  assert.ok(!verifyNtHash('x', Buffer.alloc(3)));
});

test('unicodePwd values are quoted UTF-16LE', () => {
  assert.equal(decodeUnicodePwd(Buffer.from('"Secret1!"', 'utf16le')), 'Secret1!');
  assert.throws(() => decodeUnicodePwd(Buffer.from('Secret1!', 'utf16le')), PasswordValueError);
  assert.throws(() => decodeUnicodePwd(Buffer.from('"Secret1!"', 'utf8')), PasswordValueError);
});

test('generated passwords are long and mix all four classes', () => {
  for (let i = 0; i < 50; i++) {
    const p = generatePassword();
    assert.equal(p.length, 24);
    for (const re of [/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/]) assert.match(p, re);
  }
});
