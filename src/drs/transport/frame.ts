// The forestd DRS transport's framing: every message is a 20-byte header then a body.
//
//   0  u32  magic 0x53524446 ("FDRS" little-endian)
//   4  u8   version (1)
//   5  u8   type (FrameType)
//   6  u16  reserved, 0
//   8  u32  callId (REQUEST/RESPONSE/FAULT: matches a response to its request; 0 in the handshake)
//  12  u32  opnum (REQUEST), status (FAULT), else 0
//  16  u32  body length
//  20  body (REQUEST/RESPONSE: the NDR stub of the call, src/drs/stubs.ts)
//
// All integers little-endian. A frame longer than the receiver's maxMessageBytes is refused
// before its body is buffered.

export const FRAME_MAGIC = 0x53524446;
export const FRAME_VERSION = 1;
export const FRAME_HEADER = 20;

export enum FrameType {
  HELLO = 1,
  CHALLENGE = 2,
  PROOF = 3,
  ACCEPT = 4,
  REQUEST = 16,
  RESPONSE = 17,
  FAULT = 18,
}

export interface Frame {
  type: FrameType;
  callId: number;
  /** opnum for REQUEST, status for FAULT */
  word: number;
  body: Buffer;
}

export type DrsTransportErrorCode =
  | 'ERR_DRS_FRAME'
  | 'ERR_DRS_TOO_LARGE'
  | 'ERR_DRS_AUTH'
  | 'ERR_DRS_CLOSED'
  | 'ERR_DRS_TIMEOUT'
  | 'ERR_DRS_FAULT'
  | 'ERR_DRS_BUSY';

/** A transport failure; `status` is the RPC/Win32 status of a FAULT (0 otherwise). */
export class DrsTransportError extends Error {
  constructor(
    readonly code: DrsTransportErrorCode,
    message: string,
    readonly status = 0,
  ) {
    super(message);
    this.name = 'DrsTransportError';
  }
}

/** The 20-byte header of `f` (its body length included); the body follows it on the wire. */
export function frameHeader(f: Frame): Buffer {
  const h = Buffer.alloc(FRAME_HEADER);
  h.writeUInt32LE(FRAME_MAGIC, 0);
  h.writeUInt8(FRAME_VERSION, 4);
  h.writeUInt8(f.type, 5);
  h.writeUInt32LE(f.callId >>> 0, 8);
  h.writeUInt32LE(f.word >>> 0, 12);
  h.writeUInt32LE(f.body.length, 16);
  return h;
}

export function encodeFrame(f: Frame): Buffer {
  return Buffer.concat([frameHeader(f), f.body]);
}

/**
 * Writes `f` to `s` as its header then its body, without first copying the two into one
 * buffer (a reply stub is megabytes); the socket is corked so the two go out in one write.
 */
export function writeFrame(s: { cork(): void; uncork(): void; write(b: Buffer): boolean }, f: Frame): void {
  s.cork();
  s.write(frameHeader(f));
  if (f.body.length) s.write(f.body);
  s.uncork();
}

/** Incremental frame parser: feed it chunks as they arrive, however the stream splits them. */
export class FrameDecoder {
  #chunks: Buffer[] = [];
  #have = 0;
  #limit: number;

  constructor(maxMessageBytes: number) {
    this.#limit = maxMessageBytes;
  }

  /** Raises the limit (after the handshake, which is held to a small one). */
  setLimit(maxMessageBytes: number): void {
    this.#limit = maxMessageBytes;
  }

  /** Adds bytes; returns the frames now complete. Throws DrsTransportError on a malformed or oversized frame. */
  push(chunk: Buffer): Frame[] {
    this.#chunks.push(chunk);
    this.#have += chunk.length;
    const out: Frame[] = [];
    for (;;) {
      if (this.#have < FRAME_HEADER) break;
      const head = this.#peek(FRAME_HEADER);
      if (head.readUInt32LE(0) !== FRAME_MAGIC) throw new DrsTransportError('ERR_DRS_FRAME', 'not a forestd DRS frame (bad magic)');
      if (head.readUInt8(4) !== FRAME_VERSION) throw new DrsTransportError('ERR_DRS_FRAME', `DRS frame version ${head.readUInt8(4)} is not supported`);
      const type = head.readUInt8(5);
      if (!(type in FrameType)) throw new DrsTransportError('ERR_DRS_FRAME', `unknown DRS frame type ${type}`);
      const len = head.readUInt32LE(16);
      if (len > this.#limit) throw new DrsTransportError('ERR_DRS_TOO_LARGE', `DRS frame of ${len} bytes exceeds the limit of ${this.#limit}`);
      if (this.#have < FRAME_HEADER + len) break;
      const all = this.#take(FRAME_HEADER + len);
      out.push({ type: type as FrameType, callId: all.readUInt32LE(8), word: all.readUInt32LE(12), body: all.subarray(FRAME_HEADER) });
    }
    return out;
  }

  #peek(n: number): Buffer {
    if (this.#chunks[0]!.length >= n) return this.#chunks[0]!;
    const b = Buffer.concat(this.#chunks);
    this.#chunks = [b];
    return b;
  }

  /**
   * The first `n` bytes, in a buffer of their own (a frame's body is kept by its consumer, so it
   * holds no socket chunk), copied once from the chunks they span; the rest stays as it came.
   */
  #take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    let i = 0;
    while (at < n) {
      const c = this.#chunks[i]!;
      const k = Math.min(c.length, n - at);
      c.copy(out, at, 0, k);
      at += k;
      if (k < c.length) {
        this.#chunks[i] = c.subarray(k);
        break;
      }
      i++;
    }
    this.#chunks = i ? this.#chunks.slice(i) : this.#chunks;
    this.#have -= n;
    return out;
  }
}
