// The forestd DRS transport: opnum + NDR stub in frames (frame.ts) over TLS, after the
// mutual machine-account authentication of auth.ts. DrsTlsListener serves a DrsServer;
// DrsClient is the calling side. Every limit is a named option with its own error.
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { DrsServer, DrsFault, RPC_STATUS, type DrsCallContext } from '../server.js';
import { DrsTransportError, FrameDecoder, FrameType, encodeFrame, writeFrame, type Frame } from './frame.js';
import { EXPORTER_LABEL, decodeChallenge, decodeHello, encodeChallenge, encodeHello, newNonce, proof, proofMatches, type DrsCredentials, type Hello } from './auth.js';
import {
  decodeDRSBindResponse,
  decodeDRSGetNCChangesResponse,
  decodeDRSUnbindResponse,
  decodeResultResponse,
  encodeDRSBindRequest,
  encodeDRSGetNCChangesRequest,
  encodeDRSReplicaSyncRequest,
  encodeDRSUnbindRequest,
  encodeDRSUpdateRefsRequest,
  encodeDRSReplicaDelRequest,
  type DRSBindRequest,
  type DRSBindResponse,
  type DRSGetNCChangesRequest,
  type DRSGetNCChangesResponse,
  type DRSReplicaSyncRequest,
  type DRSResultResponse,
  type DRSUnbindResponse,
  type DRSUpdateRefsRequest,
  type DRSReplicaDelRequest,
} from '../stubs.js';
import { DRSUAPI_OPNUM } from '../types.js';

export interface DrsTransportLimits {
  /** largest frame body accepted after the handshake (a GetNCChanges reply is bounded by cMaxBytes; default 64 MiB) */
  maxMessageBytes: number;
  /** largest handshake frame (default 4 KiB) */
  maxHandshakeBytes: number;
  /** time allowed for the handshake, ms (default 10 s) */
  handshakeTimeoutMs: number;
  /** calls one connection may have outstanding on the server (default 4); more are refused RPC_S_SERVER_TOO_BUSY */
  maxConcurrentCalls: number;
  /** an authenticated connection with no traffic for this long is closed, ms (default 5 min; the partner reconnects) */
  idleTimeoutMs: number;
}

export const DEFAULT_LIMITS: DrsTransportLimits = {
  maxMessageBytes: 64 * 1024 * 1024,
  maxHandshakeBytes: 4096,
  handshakeTimeoutMs: 10_000,
  maxConcurrentCalls: 4,
  idleTimeoutMs: 300_000,
};

export interface DrsTlsListenerOptions {
  server: DrsServer;
  credentials: DrsCredentials;
  tls: { cert: string | Buffer; key: string | Buffer };
  limits?: Partial<DrsTransportLimits>;
  /** a connection failed (bad handshake, malformed frame); for logs */
  onError?: (e: Error, peer: string) => void;
}

function exporterOf(s: tls.TLSSocket): Buffer {
  return s.exportKeyingMaterial(32, EXPORTER_LABEL, Buffer.alloc(0));
}

function faultFrame(callId: number, status: number): Frame {
  return { type: FrameType.FAULT, callId, word: status, body: Buffer.alloc(0) };
}

function fault(callId: number, status: number): Buffer {
  return encodeFrame(faultFrame(callId, status));
}

export class DrsTlsListener {
  readonly #o: DrsTlsListenerOptions;
  readonly #limits: DrsTransportLimits;
  readonly #srv: tls.Server;
  readonly #sockets = new Set<tls.TLSSocket>();

  constructor(o: DrsTlsListenerOptions) {
    this.#o = o;
    this.#limits = { ...DEFAULT_LIMITS, ...o.limits };
    this.#srv = tls.createServer({ cert: o.tls.cert, key: o.tls.key, minVersion: 'TLSv1.2' }, (s) => this.#serve(s));
    this.#srv.on('tlsClientError', (e, s) => {
      o.onError?.(e, `${s.remoteAddress}:${s.remotePort}`);
    });
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#srv.once('error', reject);
      this.#srv.listen(port, host, () => {
        this.#srv.off('error', reject);
        resolve(this.#srv.address() as AddressInfo);
      });
    });
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => this.#srv.close(() => r()));
  }

  #serve(s: tls.TLSSocket): void {
    this.#sockets.add(s);
    const peer = `${s.remoteAddress}:${s.remotePort}`;
    const lim = this.#limits;
    const creds = this.#o.credentials;
    const dec = new FrameDecoder(lim.maxHandshakeBytes);
    let state: 'hello' | 'proof' | 'ready' = 'hello';
    let client: Hello | undefined;
    let server: Hello | undefined;
    let clientKey: Buffer | undefined;
    let ctx: DrsCallContext | undefined;
    let inFlight = 0;
    let queue = Promise.resolve();
    const fail = (e: Error, status: number = RPC_STATUS.ERROR_ACCESS_DENIED) => {
      this.#o.onError?.(e, peer);
      if (!s.destroyed) s.end(fault(0, status));
      s.destroy();
    };
    const timer = setTimeout(() => fail(new DrsTransportError('ERR_DRS_TIMEOUT', 'DRS handshake timed out')), lim.handshakeTimeoutMs);
    timer.unref();
    s.on('close', () => {
      clearTimeout(timer);
      this.#sockets.delete(s);
    });
    s.on('error', () => undefined);
    const onFrame = async (f: Frame): Promise<void> => {
      if (state === 'hello') {
        if (f.type !== FrameType.HELLO) throw new DrsTransportError('ERR_DRS_AUTH', 'expected HELLO');
        client = decodeHello(f.body);
        clientKey = await creds.keyOf(client.account);
        server = { nonce: newNonce(), account: creds.account, dsaGuid: creds.dsaGuid };
        const p = proof(creds.key, 'server', exporterOf(s), client, server);
        s.write(encodeFrame({ type: FrameType.CHALLENGE, callId: 0, word: 0, body: encodeChallenge({ ...server, proof: p }) }));
        state = 'proof';
        return;
      }
      if (state === 'proof') {
        if (f.type !== FrameType.PROOF) throw new DrsTransportError('ERR_DRS_AUTH', 'expected PROOF');
        // an unknown account is refused like a wrong proof: same answer, no hint
        const want = clientKey ? proof(clientKey, 'client', exporterOf(s), client!, server!) : undefined;
        if (!want || !proofMatches(want, f.body)) throw new DrsTransportError('ERR_DRS_AUTH', `DRS peer ${client!.account} did not prove its machine account`);
        // the DSA GUID it announced is bound to the account it proved; every call acts for that DSA
        const refusal = creds.peerDsaRefusal ? await creds.peerDsaRefusal(client!.account, client!.dsaGuid) : 0;
        if (refusal !== 0) throw new DrsTransportError('ERR_DRS_AUTH', `DRS peer ${client!.account} may not act as the DSA it announced`, refusal);
        ctx = { peerAccount: client!.account, peerDsaGuid: client!.dsaGuid, transport: 'tls' };
        clearTimeout(timer);
        dec.setLimit(lim.maxMessageBytes);
        state = 'ready';
        // idle connections are bounded: a partner keeps one open while it replicates, not forever
        s.setTimeout(lim.idleTimeoutMs, () => {
          if (inFlight === 0) s.destroy();
        });
        s.write(encodeFrame({ type: FrameType.ACCEPT, callId: 0, word: 0, body: Buffer.alloc(0) }));
        return;
      }
      if (f.type !== FrameType.REQUEST) throw new DrsTransportError('ERR_DRS_FRAME', `unexpected DRS frame type ${f.type}`);
      if (inFlight >= lim.maxConcurrentCalls) {
        s.write(fault(f.callId, RPC_STATUS.RPC_S_SERVER_TOO_BUSY));
        return;
      }
      inFlight++;
      void this.#o.server
        .dispatch(f.word, f.body, ctx!)
        .then(
          (out): Frame => ({ type: FrameType.RESPONSE, callId: f.callId, word: 0, body: out }),
          (e: unknown) => faultFrame(f.callId, e instanceof DrsFault ? e.status : RPC_STATUS.ERROR_DS_DRA_INTERNAL_ERROR),
        )
        .then((frame) => {
          inFlight--;
          if (!s.destroyed) writeFrame(s, frame);
        });
    };
    s.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = dec.push(chunk);
      } catch (e) {
        fail(e as Error, RPC_STATUS.RPC_X_BAD_STUB_DATA);
        return;
      }
      // handshake frames are handled in order; requests are dispatched concurrently from there
      for (const f of frames) queue = queue.then(() => onFrame(f)).catch((e: unknown) => fail(e instanceof Error ? e : new Error(String(e)), e instanceof DrsTransportError && e.status !== 0 ? e.status : undefined));
    });
  }
}

export interface DrsClientOptions {
  host: string;
  port: number;
  credentials: DrsCredentials;
  /** the partner's machine account this client expects (refused if the server is another account) */
  expectServerAccount?: string;
  limits?: Partial<DrsTransportLimits>;
  /** per-call timeout, ms (default 120 s) */
  callTimeoutMs?: number;
  /**
   * The server's proof is checked later, with DrsClient.verifyServer, once its key is known (a
   * DC joining: it learns its source's machine-account secret by replicating the domain NC, and
   * throws away what it pulled when the proof does not match).
   */
  verifyServerLater?: boolean;
}

/** The calling side: what a DCE/RPC client would implement too (see ARCHITECTURE.md). */
export interface DrsCaller {
  call(opnum: number, stub: Buffer): Promise<Buffer>;
  close(): Promise<void>;
}

export class DrsClient implements DrsCaller {
  readonly #s: tls.TLSSocket;
  readonly #pending = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  #nextCall = 1;
  #closed: Error | undefined;
  readonly #timeoutMs: number;
  /** the authenticated partner */
  readonly peer: { account: string; dsaGuid: Buffer };
  /** with verifyServerLater: checks the server's proof against its key */
  #verify: ((key: Buffer) => boolean) | undefined;

  private constructor(s: tls.TLSSocket, peer: { account: string; dsaGuid: Buffer }, dec: FrameDecoder, timeoutMs: number) {
    this.#s = s;
    this.peer = peer;
    this.#timeoutMs = timeoutMs;
    s.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = dec.push(chunk);
      } catch (e) {
        this.#fail(e as Error);
        return;
      }
      for (const f of frames) {
        const p = this.#pending.get(f.callId);
        if (!p) continue;
        this.#pending.delete(f.callId);
        clearTimeout(p.timer);
        if (f.type === FrameType.RESPONSE) p.resolve(f.body);
        else if (f.type === FrameType.FAULT) p.reject(new DrsTransportError('ERR_DRS_FAULT', `DRS call failed with status 0x${f.word.toString(16).padStart(8, '0')}`, f.word));
        else p.reject(new DrsTransportError('ERR_DRS_FRAME', `unexpected frame type ${f.type}`));
      }
    });
    s.on('close', () => this.#fail(new DrsTransportError('ERR_DRS_CLOSED', 'DRS connection closed')));
    s.on('error', (e) => this.#fail(e));
  }

  #fail(e: Error): void {
    if (!this.#closed) this.#closed = e;
    for (const [, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(this.#closed);
    }
    this.#pending.clear();
    this.#s.destroy();
  }

  /** Connects, runs the mutual authentication, and returns a client ready for calls. */
  static connect(o: DrsClientOptions): Promise<DrsClient> {
    const lim = { ...DEFAULT_LIMITS, ...o.limits };
    return new Promise((resolve, reject) => {
      const s = tls.connect({ host: o.host, port: o.port, rejectUnauthorized: false, minVersion: 'TLSv1.2' });
      const dec = new FrameDecoder(lim.maxHandshakeBytes);
      const hello: Hello = { nonce: newNonce(), account: o.credentials.account, dsaGuid: o.credentials.dsaGuid };
      let step: 'challenge' | 'accept' = 'challenge';
      let peer: Hello | undefined;
      let check: ((key: Buffer) => boolean) | undefined;
      const timer = setTimeout(() => done(new DrsTransportError('ERR_DRS_TIMEOUT', 'DRS handshake timed out')), lim.handshakeTimeoutMs);
      const done = (e?: Error, c?: DrsClient) => {
        clearTimeout(timer);
        s.off('data', onData);
        if (e) {
          s.destroy();
          reject(e);
        } else resolve(c!);
      };
      let chain = Promise.resolve();
      const onData = (chunk: Buffer) => {
        let frames: Frame[];
        try {
          frames = dec.push(chunk);
        } catch (e) {
          done(e as Error);
          return;
        }
        for (const f of frames) chain = chain.then(() => handle(f)).catch((e: unknown) => done(e as Error));
      };
      const handle = async (f: Frame): Promise<void> => {
        if (f.type === FrameType.FAULT) throw new DrsTransportError('ERR_DRS_AUTH', `DRS server refused the handshake (status 0x${f.word.toString(16).padStart(8, '0')})`, f.word);
        if (step === 'challenge') {
          if (f.type !== FrameType.CHALLENGE) throw new DrsTransportError('ERR_DRS_AUTH', 'expected CHALLENGE');
          const c = decodeChallenge(f.body);
          if (o.expectServerAccount && c.account.toUpperCase() !== o.expectServerAccount.toUpperCase()) throw new DrsTransportError('ERR_DRS_AUTH', `DRS server is ${c.account}, not ${o.expectServerAccount}`);
          const exporter = exporterOf(s);
          if (o.verifyServerLater) check = (key) => proofMatches(proof(key, 'server', exporter, hello, c), c.proof);
          const key = o.verifyServerLater ? undefined : await o.credentials.keyOf(c.account);
          if (!o.verifyServerLater && (!key || !proofMatches(proof(key, 'server', exporter, hello, c), c.proof))) throw new DrsTransportError('ERR_DRS_AUTH', `DRS server ${c.account} did not prove its machine account`);
          peer = c;
          s.write(encodeFrame({ type: FrameType.PROOF, callId: 0, word: 0, body: proof(o.credentials.key, 'client', exporter, hello, c) }));
          step = 'accept';
          return;
        }
        if (f.type !== FrameType.ACCEPT) throw new DrsTransportError('ERR_DRS_AUTH', 'expected ACCEPT');
        dec.setLimit(lim.maxMessageBytes);
        const client = new DrsClient(s, { account: peer!.account, dsaGuid: peer!.dsaGuid }, dec, o.callTimeoutMs ?? 120_000);
        client.#verify = check;
        done(undefined, client);
      };
      s.on('data', onData);
      s.once('secureConnect', () => s.write(encodeFrame({ type: FrameType.HELLO, callId: 0, word: 0, body: encodeHello(hello) })));
      s.once('error', (e) => done(e));
      s.once('close', () => done(new DrsTransportError('ERR_DRS_CLOSED', 'DRS connection closed during the handshake')));
    });
  }

  /** Whether the connection is closed (by either side, or after a failure). */
  get closed(): boolean {
    return this.#closed !== undefined || this.#s.destroyed;
  }

  /** Calls `fn` once when the connection closes. */
  onClose(fn: () => void): void {
    if (this.closed) queueMicrotask(fn);
    else this.#s.once('close', fn);
  }

  /** verifyServerLater: whether the server proved `key` (K of its machine account) in the handshake; true when checked at connect */
  verifyServer(key: Buffer): boolean {
    return this.#verify ? this.#verify(key) : true;
  }

  call(opnum: number, stub: Buffer): Promise<Buffer> {
    if (this.#closed) return Promise.reject(this.#closed);
    const callId = this.#nextCall++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(callId);
        reject(new DrsTransportError('ERR_DRS_TIMEOUT', `DRS call ${opnum} timed out`));
      }, this.#timeoutMs);
      this.#pending.set(callId, { resolve, reject, timer });
      this.#s.write(encodeFrame({ type: FrameType.REQUEST, callId, word: opnum, body: stub }));
    });
  }

  async close(): Promise<void> {
    if (this.#s.destroyed) return;
    await new Promise<void>((r) => {
      this.#s.once('close', () => r());
      this.#s.end();
    });
  }

  // typed methods (MS-DRSR 4.1.3, 4.1.25, 4.1.10, 4.1.23, 4.1.26)
  async bind(req: DRSBindRequest): Promise<DRSBindResponse> {
    return decodeDRSBindResponse(await this.call(DRSUAPI_OPNUM.IDL_DRSBind, encodeDRSBindRequest(req)));
  }
  async unbind(phDrs: Buffer): Promise<DRSUnbindResponse> {
    return decodeDRSUnbindResponse(await this.call(DRSUAPI_OPNUM.IDL_DRSUnbind, encodeDRSUnbindRequest({ phDrs })));
  }
  async getNCChanges(req: DRSGetNCChangesRequest): Promise<DRSGetNCChangesResponse> {
    return decodeDRSGetNCChangesResponse(await this.call(DRSUAPI_OPNUM.IDL_DRSGetNCChanges, encodeDRSGetNCChangesRequest(req)));
  }
  async replicaSync(req: DRSReplicaSyncRequest): Promise<DRSResultResponse> {
    return decodeResultResponse(await this.call(DRSUAPI_OPNUM.IDL_DRSReplicaSync, encodeDRSReplicaSyncRequest(req)));
  }
  async updateRefs(req: DRSUpdateRefsRequest): Promise<DRSResultResponse> {
    return decodeResultResponse(await this.call(DRSUAPI_OPNUM.IDL_DRSUpdateRefs, encodeDRSUpdateRefsRequest(req)));
  }
  async replicaDel(req: DRSReplicaDelRequest): Promise<DRSResultResponse> {
    return decodeResultResponse(await this.call(DRSUAPI_OPNUM.IDL_DRSReplicaDel, encodeDRSReplicaDelRequest(req)));
  }
}
