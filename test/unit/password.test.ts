import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { md4, md4Utf16le } from '../../src/security/md4.js';
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

test('md4Utf16le (the NT hash without the encoded copy) equals MD4 of Buffer.from(s, "utf16le"): every length across the block and padding boundaries, lone surrogates, non-BMP characters', () => {
  let seed = 12345;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  const units = [0x41, 0x7a, 0xe4, 0x20ac, 0xd83d, 0xde00, 0xffff, 0x0000, 0x80, 0xff];
  for (let n = 0; n <= 140; n++) {
    const s = String.fromCharCode(...Array.from({ length: n }, () => units[rnd(units.length)]!));
    assert.equal(md4Utf16le(s).toString('hex'), md4(Buffer.from(s, 'utf16le')).toString('hex'), `length ${n}`);
  }
  assert.equal(md4Utf16le('😀 Pässwörd').toString('hex'), md4(Buffer.from('😀 Pässwörd', 'utf16le')).toString('hex'));
  // and md4 itself at every byte length 0..200 (across the 56/64-byte padding boundaries of
  // RFC 1320 3.1): the digests of the earlier implementation (checked against RFC 1320 A.5), as one SHA-256
  const bytes = Buffer.from(Array.from({ length: 200 }, (_, i) => (i * 37 + 11) & 0xff));
  const all: string[] = [];
  for (let n = 0; n <= 200; n++) all.push(md4(bytes.subarray(0, n)).toString('hex'));
  assert.equal(createHash('sha256').update(all.join(',')).digest('hex'), '9a851d42ace1ffaf719f11275a838e97ffbbc4363ed2a8ef987ef3c65a8a5c9e');
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
