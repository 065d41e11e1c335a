// DrsServer: the drsuapi methods forestd serves, independent of any transport. A transport
// (transport/tls.ts today; DCE/RPC later, see ARCHITECTURE.md) authenticates the peer, then
// hands each call's opnum and NDR stub to `dispatch`, and sends back the response stub or a
// fault status. The replication engine injects the handlers; this layer decodes the request
// stub (MS-DRSR's IDL), calls the handler with the structures, and encodes its answer.
import { randomBytes } from 'node:crypto';
import { channel } from 'node:diagnostics_channel';
import { NdrError } from './ndr/ndr.js';
import {
  decodeDRSBindRequest,
  decodeDRSGetNCChangesRequest,
  decodeDRSReplicaSyncRequest,
  decodeDRSUnbindRequest,
  decodeDRSUpdateRefsRequest,
  decodeDRSReplicaDelRequest,
  encodeDRSBindResponse,
  encodeDRSGetNCChangesResponse,
  encodeDRSUnbindResponse,
  encodeResultResponse,
  type DRSBindRequest,
  type DRSBindResponse,
  type DRSGetNCChangesRequest,
  type DRSGetNCChangesResponse,
  type DRSReplicaSyncRequest,
  type DRSResultResponse,
  type DRSUnbindRequest,
  type DRSUnbindResponse,
  type DRSUpdateRefsRequest,
  type DRSReplicaDelRequest,
} from './stubs.js';
import { DRSUAPI_OPNUM, DRS_EXT, type DRS_EXTENSIONS_INT } from './types.js';

/** RPC fault statuses (MS-RPCE fault PDU statuses; MS-ERREF Win32 codes). */
export const RPC_STATUS = {
  /** nca_s_op_rng_error: the opnum is not served */
  NCA_S_OP_RNG_ERROR: 0x1c010002,
  /** RPC_X_BAD_STUB_DATA: the stub does not decode */
  RPC_X_BAD_STUB_DATA: 0x000006f7,
  /** ERROR_ACCESS_DENIED */
  ERROR_ACCESS_DENIED: 0x00000005,
  /** RPC_S_SERVER_TOO_BUSY */
  RPC_S_SERVER_TOO_BUSY: 0x000006bb,
  /** ERROR_DS_DRA_INTERNAL_ERROR: a handler failed without a status of its own */
  ERROR_DS_DRA_INTERNAL_ERROR: 0x00002095,
} as const;

/** Who is calling: established by the transport's authentication. */
export interface DrsCallContext {
  /** sAMAccountName of the peer DC's machine account */
  peerAccount: string;
  /** objectGUID of the peer's nTDSDSA object, as it announced it */
  peerDsaGuid: Buffer;
  /** 'tls' for the forestd transport */
  transport: string;
}

type Handler<Q, A> = (req: Q, ctx: DrsCallContext) => A | Promise<A>;

/** A response stub a handler wrote itself (reply-stub.ts: a GetNCChanges reply in one pass from the engine's structures), sent as it is. */
export class EncodedResponse {
  constructor(readonly stub: Buffer) {}
}

/** What the engine provides; a method left out answers nca_s_op_rng_error, except Bind/Unbind (defaults below). */
export interface DrsHandlers {
  IDL_DRSBind?: Handler<DRSBindRequest, DRSBindResponse>;
  IDL_DRSUnbind?: Handler<DRSUnbindRequest, DRSUnbindResponse>;
  IDL_DRSGetNCChanges?: Handler<DRSGetNCChangesRequest, DRSGetNCChangesResponse | EncodedResponse>;
  IDL_DRSUpdateRefs?: Handler<DRSUpdateRefsRequest, DRSResultResponse>;
  IDL_DRSReplicaSync?: Handler<DRSReplicaSyncRequest, DRSResultResponse>;
  IDL_DRSReplicaDel?: Handler<DRSReplicaDelRequest, DRSResultResponse>;
}

/** A call that ends in an RPC fault with `status` (the transport sends it as a FAULT). */
export class DrsFault extends Error {
  readonly code = 'ERR_DRS_FAULT';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'DrsFault';
  }
}

export interface DrsServerOptions {
  /** the extensions IDL_DRSBind announces (MS-DRSR 5.39) when the engine gives no Bind handler */
  extensions?: DRS_EXTENSIONS_INT;
  /** limit on any array count in a decoded request */
  maxCount?: number;
}

const callChannel = channel('forestd:drs:call');

/** The capabilities forestd's DRS layer encodes: GetNCChanges request V8 (and V10), reply V6, linked value replication. */
export const FORESTD_DRS_EXTENSIONS: DRS_EXTENSIONS_INT = {
  dwFlags: DRS_EXT.DRS_EXT_BASE | DRS_EXT.DRS_EXT_RESTORE_USN_OPTIMIZATION | DRS_EXT.DRS_EXT_INSTANCE_TYPE_NOT_REQ_ON_MOD | DRS_EXT.DRS_EXT_LINKED_VALUE_REPLICATION | DRS_EXT.DRS_EXT_STRONG_ENCRYPTION | DRS_EXT.DRS_EXT_GETCHGREQ_V8 | DRS_EXT.DRS_EXT_GETCHGREQ_V10 | DRS_EXT.DRS_EXT_GETCHGREPLY_V6 | DRS_EXT.DRS_EXT_NONDOMAIN_NCS,
  SiteObjGuid: Buffer.alloc(16),
  Pid: 0,
  dwReplEpoch: 0,
};

export class DrsServer {
  readonly #h: DrsHandlers;
  readonly #opts: DrsServerOptions;

  constructor(handlers: DrsHandlers, opts: DrsServerOptions = {}) {
    this.#h = handlers;
    this.#opts = opts;
  }

  /** Serves one call: the response stub, or a DrsFault. Never throws anything else. */
  async dispatch(opnum: number, stub: Buffer, ctx: DrsCallContext): Promise<Buffer> {
    const started = callChannel.hasSubscribers ? process.hrtime.bigint() : 0n;
    try {
      const out = await this.#dispatch(opnum, stub, ctx);
      if (callChannel.hasSubscribers) callChannel.publish({ opnum, peer: ctx.peerAccount, status: 0, bytesIn: stub.length, bytesOut: out.length, ns: process.hrtime.bigint() - started });
      return out;
    } catch (e) {
      const f = toFault(e);
      if (callChannel.hasSubscribers) callChannel.publish({ opnum, peer: ctx.peerAccount, status: f.status, bytesIn: stub.length, bytesOut: 0, ns: process.hrtime.bigint() - started });
      throw f;
    }
  }

  async #dispatch(opnum: number, stub: Buffer, ctx: DrsCallContext): Promise<Buffer> {
    const h = this.#h;
    const lim = this.#opts.maxCount ? { maxCount: this.#opts.maxCount } : undefined;
    switch (opnum) {
      case DRSUAPI_OPNUM.IDL_DRSBind: {
        const req = decodeDRSBindRequest(stub);
        // MS-DRSR 5.39 Pid: the process identifier of the server, for information only
        const res = h.IDL_DRSBind ? await h.IDL_DRSBind(req, ctx) : { ppextServer: this.#opts.extensions ?? { ...FORESTD_DRS_EXTENSIONS, Pid: process.pid }, phDrs: newHandle(), result: 0 };
        return encodeDRSBindResponse(res);
      }
      case DRSUAPI_OPNUM.IDL_DRSUnbind: {
        const req = decodeDRSUnbindRequest(stub);
        // MS-DRSR 4.1.25: the handle comes back zeroed
        const res = h.IDL_DRSUnbind ? await h.IDL_DRSUnbind(req, ctx) : { phDrs: Buffer.alloc(20), result: 0 };
        return encodeDRSUnbindResponse(res);
      }
      case DRSUAPI_OPNUM.IDL_DRSGetNCChanges:
      {
        if (!h.IDL_DRSGetNCChanges) break;
        const res = await h.IDL_DRSGetNCChanges(decodeDRSGetNCChangesRequest(stub, lim), ctx);
        return res instanceof EncodedResponse ? res.stub : encodeDRSGetNCChangesResponse(res);
      }
      case DRSUAPI_OPNUM.IDL_DRSUpdateRefs:
        if (!h.IDL_DRSUpdateRefs) break;
        return encodeResultResponse(await h.IDL_DRSUpdateRefs(decodeDRSUpdateRefsRequest(stub), ctx));
      case DRSUAPI_OPNUM.IDL_DRSReplicaSync:
        if (!h.IDL_DRSReplicaSync) break;
        return encodeResultResponse(await h.IDL_DRSReplicaSync(decodeDRSReplicaSyncRequest(stub), ctx));
      case DRSUAPI_OPNUM.IDL_DRSReplicaDel:
        if (!h.IDL_DRSReplicaDel) break;
        return encodeResultResponse(await h.IDL_DRSReplicaDel(decodeDRSReplicaDelRequest(stub), ctx));
    }
    throw new DrsFault(RPC_STATUS.NCA_S_OP_RNG_ERROR, `opnum ${opnum} is not served`);
  }
}

function toFault(e: unknown): DrsFault {
  if (e instanceof DrsFault) return e;
  if (e instanceof NdrError) return new DrsFault(RPC_STATUS.RPC_X_BAD_STUB_DATA, e.message);
  // a DsError (the model's error) or anything else carrying a Win32 code
  const win32 = (e as { win32?: unknown })?.win32;
  if (typeof win32 === 'number' && win32 !== 0) return new DrsFault(win32 >>> 0, (e as Error).message ?? String(e));
  return new DrsFault(RPC_STATUS.ERROR_DS_DRA_INTERNAL_ERROR, e instanceof Error ? e.message : String(e));
}

/** A fresh context handle: attributes 0, a random UUID. */
export function newHandle(): Buffer {
  return Buffer.concat([Buffer.alloc(4), randomBytes(16)]);
}
