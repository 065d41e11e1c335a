// MD4 message digest (RFC 1320). Needed only for the NT one-way function of MS-NLMP 3.3.1
// (NTOWFv1: MD4 of the UTF-16LE password), which is how Active Directory keeps unicodePwd.
// OpenSSL 3 no longer offers MD4 to Node, so it lives here.

const rotl = (x: number, n: number) => (x << n) | (x >>> (32 - n));

export function md4(input: Uint8Array): Buffer {
  const len = input.length;
  const padLen = (len % 64 < 56 ? 56 : 120) - (len % 64);
  const msg = Buffer.alloc(len + padLen + 8);
  msg.set(input, 0);
  msg[len] = 0x80; // RFC 1320 3.1: append a single 1 bit, then zeros
  const bits = len * 8; // RFC 1320 3.2: append the 64-bit length, low word first
  msg.writeUInt32LE(bits >>> 0, len + padLen);
  msg.writeUInt32LE(Math.floor(bits / 0x100000000) >>> 0, len + padLen + 4);

  let a = 0x67452301, b = 0xefcdab89, c = 0x98badcfe, d = 0x10325476; // RFC 1320 3.3
  const x = new Int32Array(16);
  for (let off = 0; off < msg.length; off += 64) {
    for (let i = 0; i < 16; i++) x[i] = msg.readInt32LE(off + 4 * i);
    const aa = a, bb = b, cc = c, dd = d;
    // Round 1: F(X,Y,Z) = XY v not(X) Z
    const r1 = (p: number, q: number, r: number, s: number, k: number, sh: number) => rotl((p + ((q & r) | (~q & s)) + x[k]!) | 0, sh);
    for (let i = 0; i < 16; i += 4) {
      a = r1(a, b, c, d, i, 3);
      d = r1(d, a, b, c, i + 1, 7);
      c = r1(c, d, a, b, i + 2, 11);
      b = r1(b, c, d, a, i + 3, 19);
    }
    // Round 2: G(X,Y,Z) = XY v XZ v YZ, plus 0x5A827999
    const r2 = (p: number, q: number, r: number, s: number, k: number, sh: number) => rotl((p + ((q & r) | (q & s) | (r & s)) + x[k]! + 0x5a827999) | 0, sh);
    for (let i = 0; i < 4; i++) {
      a = r2(a, b, c, d, i, 3);
      d = r2(d, a, b, c, i + 4, 5);
      c = r2(c, d, a, b, i + 8, 9);
      b = r2(b, c, d, a, i + 12, 13);
    }
    // Round 3: H(X,Y,Z) = X xor Y xor Z, plus 0x6ED9EBA1
    const r3 = (p: number, q: number, r: number, s: number, k: number, sh: number) => rotl((p + (q ^ r ^ s) + x[k]! + 0x6ed9eba1) | 0, sh);
    for (const i of [0, 2, 1, 3]) {
      a = r3(a, b, c, d, i, 3);
      d = r3(d, a, b, c, i + 8, 9);
      c = r3(c, d, a, b, i + 4, 11);
      b = r3(b, c, d, a, i + 12, 15);
    }
    a = (a + aa) | 0;
    b = (b + bb) | 0;
    c = (c + cc) | 0;
    d = (d + dd) | 0;
  }
  const out = Buffer.alloc(16);
  out.writeInt32LE(a, 0);
  out.writeInt32LE(b, 4);
  out.writeInt32LE(c, 8);
  out.writeInt32LE(d, 12);
  return out;
}
