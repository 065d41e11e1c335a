// MD4 message digest (RFC 1320). Needed only for the NT one-way function of MS-NLMP 3.3.1
// (NTOWFv1: MD4 of the UTF-16LE password), which is how Active Directory keeps unicodePwd.
// OpenSSL 3 no longer offers MD4 to Node, so it lives here.
//
// The message is never copied into a padded buffer: each 16-word block is read straight from
// the input (bytes, or the UTF-16 code units of a string for the NT hash, so that a bind does
// not encode the password first), with the padding and length of RFC 1320 3.1–3.2 supplied as
// the words past the end are read.

const rotl = (x: number, n: number) => (x << n) | (x >>> (32 - n));

/** RFC 1320 3.4: one block `x` (16 words) into the state `h` (a, b, c, d). */
function compress(h: Int32Array, x: Int32Array): void {
  let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!;
  // Round 1: F(X,Y,Z) = XY v not(X) Z
  for (let i = 0; i < 16; i += 4) {
    a = rotl((a + ((b & c) | (~b & d)) + x[i]!) | 0, 3);
    d = rotl((d + ((a & b) | (~a & c)) + x[i + 1]!) | 0, 7);
    c = rotl((c + ((d & a) | (~d & b)) + x[i + 2]!) | 0, 11);
    b = rotl((b + ((c & d) | (~c & a)) + x[i + 3]!) | 0, 19);
  }
  // Round 2: G(X,Y,Z) = XY v XZ v YZ, plus 0x5A827999
  for (let i = 0; i < 4; i++) {
    a = rotl((a + ((b & c) | (b & d) | (c & d)) + x[i]! + 0x5a827999) | 0, 3);
    d = rotl((d + ((a & b) | (a & c) | (b & c)) + x[i + 4]! + 0x5a827999) | 0, 5);
    c = rotl((c + ((d & a) | (d & b) | (a & b)) + x[i + 8]! + 0x5a827999) | 0, 9);
    b = rotl((b + ((c & d) | (c & a) | (d & a)) + x[i + 12]! + 0x5a827999) | 0, 13);
  }
  // Round 3: H(X,Y,Z) = X xor Y xor Z, plus 0x6ED9EBA1; words in the order 0, 2, 1, 3
  for (let j = 0; j < 4; j++) {
    const i = j === 1 ? 2 : j === 2 ? 1 : j;
    a = rotl((a + (b ^ c ^ d) + x[i]! + 0x6ed9eba1) | 0, 3);
    d = rotl((d + (a ^ b ^ c) + x[i + 8]! + 0x6ed9eba1) | 0, 9);
    c = rotl((c + (d ^ a ^ b) + x[i + 4]! + 0x6ed9eba1) | 0, 11);
    b = rotl((b + (c ^ d ^ a) + x[i + 12]! + 0x6ed9eba1) | 0, 15);
  }
  h[0] = (h[0]! + a) | 0;
  h[1] = (h[1]! + b) | 0;
  h[2] = (h[2]! + c) | 0;
  h[3] = (h[3]! + d) | 0;
}

/**
 * The digest of a message of `len` bytes whose byte `i` is `byteAt(i)` (for i < len); the
 * padding (RFC 1320 3.1: a single 1 bit, then zeros) and the 64-bit length (3.2, low word
 * first) are supplied here.
 */
function digest(len: number, word: (byteOffset: number, x: Int32Array, i: number) => void): Buffer {
  const h = new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476]); // RFC 1320 3.3
  const x = new Int32Array(16);
  const blocks = Math.floor((len + 8) / 64) + 1;
  const bits = len * 8;
  for (let blk = 0; blk < blocks; blk++) {
    for (let i = 0; i < 16; i++) word(blk * 64 + i * 4, x, i);
    if (blk === blocks - 1) {
      x[14] = bits >>> 0;
      x[15] = Math.floor(bits / 0x100000000) >>> 0;
    }
    compress(h, x);
  }
  const out = Buffer.allocUnsafe(16);
  out.writeInt32LE(h[0]!, 0);
  out.writeInt32LE(h[1]!, 4);
  out.writeInt32LE(h[2]!, 8);
  out.writeInt32LE(h[3]!, 12);
  return out;
}

export function md4(input: Uint8Array): Buffer {
  const len = input.length;
  const byteAt = (o: number) => (o < len ? input[o]! : o === len ? 0x80 : 0);
  return digest(len, (o, x, i) => {
    x[i] = byteAt(o) | (byteAt(o + 1) << 8) | (byteAt(o + 2) << 16) | (byteAt(o + 3) << 24);
  });
}

/**
 * MD4 of the UTF-16LE form of `s` (each UTF-16 code unit as two bytes, low byte first, lone
 * surrogates included, exactly as Buffer.from(s, 'utf16le')): MS-NLMP 3.3.1 NTOWFv1 without
 * the encoded copy. A word is two code units (byte offsets are multiples of 4).
 */
export function md4Utf16le(s: string): Buffer {
  const n = s.length;
  // code unit k of the padded message: the 0x80 byte is the low byte of unit n
  const unitAt = (k: number) => (k < n ? s.charCodeAt(k) : k === n ? 0x80 : 0);
  return digest(2 * n, (o, x, i) => {
    const k = o >>> 1;
    x[i] = unitAt(k) | (unitAt(k + 1) << 16);
  });
}
