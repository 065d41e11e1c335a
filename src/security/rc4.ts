// RC4 (the stream cipher MS-NLMP 6 "Cryptographic Operations Reference" calls RC4K/RC4Init/RC4):
// NTLM's session security seals messages and encrypts signature checksums with it, and key
// exchange (NTLMSSP_NEGOTIATE_KEY_EXCH) carries the exported session key under it. OpenSSL 3
// moved RC4 to its legacy provider, which Node does not load, so it lives here (like md4.ts).

export interface Rc4State {
  s: Uint8Array;
  i: number;
  j: number;
}

/** One RC4 keystream: `transform` continues where the previous call stopped (MS-NLMP 3.4: the handle keeps its state across messages). */
export class Rc4 {
  private readonly s = new Uint8Array(256);
  private i = 0;
  private j = 0;

  constructor(key: Uint8Array) {
    if (key.length === 0 || key.length > 256) throw new RangeError('RC4 key must be 1..256 bytes');
    const s = this.s;
    for (let k = 0; k < 256; k++) s[k] = k;
    let j = 0;
    for (let k = 0; k < 256; k++) {
      j = (j + s[k]! + key[k % key.length]!) & 0xff;
      const t = s[k]!;
      s[k] = s[j]!;
      s[j] = t;
    }
  }

  /** The keystream's position (S-box and indexes), to go on in another process (src/dsa/workers/process-pool.ts). */
  exportState(): Rc4State {
    return { s: new Uint8Array(this.s), i: this.i, j: this.j };
  }

  /** A keystream that goes on where an exported one stood. */
  static fromState(st: Rc4State): Rc4 {
    if (st.s.length !== 256) throw new RangeError('RC4 state must hold a 256-byte S-box');
    const r = Object.create(Rc4.prototype) as Rc4;
    Object.assign(r, { s: new Uint8Array(st.s), i: st.i & 0xff, j: st.j & 0xff });
    return r;
  }

  /** XORs `data` with the next data.length keystream bytes into a new Buffer. */
  transform(data: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(data.length);
    const s = this.s;
    let i = this.i;
    let j = this.j;
    for (let k = 0; k < data.length; k++) {
      i = (i + 1) & 0xff;
      const si = s[i]!;
      j = (j + si) & 0xff;
      const sj = s[j]!;
      s[i] = sj;
      s[j] = si;
      out[k] = data[k]! ^ s[(si + sj) & 0xff]!;
    }
    this.i = i;
    this.j = j;
    return out;
  }
}

/** RC4K(key, data) of MS-NLMP 6: a fresh keystream for one message. */
export function rc4(key: Uint8Array, data: Uint8Array): Buffer {
  return new Rc4(key).transform(data);
}
