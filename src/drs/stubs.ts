// The NDR stubs of the drsuapi methods forestd serves (MS-DRSR 4.1.3 IDL_DRSBind, 4.1.25
// IDL_DRSUnbind, 4.1.23 IDL_DRSReplicaSync, 4.1.10 IDL_DRSGetNCChanges, 4.1.26
// IDL_DRSUpdateRefs, 4.1.20 IDL_DRSReplicaDel): the [in] parameters as a request stub and the [out] parameters plus the
// return value as a response stub, each parameter a top-level NDR item in IDL order. These
// bytes are what a DCE/RPC request/response PDU carries as its stub data, so the same stubs
// can travel over the forestd transport (transport/) or, later, DCE/RPC.
import { NdrError, NdrReader, NdrWriter, guid, pointer, u32, type NdrType } from './ndr/ndr.js';
import { DRS_EXTENSIONS, DRS_HANDLE, DRS_MSG_GETCHGREPLY, DRS_MSG_GETCHGREQ, DRS_MSG_REPDEL, DRS_MSG_REPSYNC, DRS_MSG_UPDREFS } from './idl.js';
import type * as T from './types.js';

export interface DRSBindRequest {
  puuidClientDsa: Buffer | null;
  pextClient: T.DRS_EXTENSIONS_INT | null;
}
export interface DRSBindResponse {
  ppextServer: T.DRS_EXTENSIONS_INT | null;
  phDrs: T.DRS_HANDLE;
  result: number;
}
export interface DRSUnbindRequest {
  phDrs: T.DRS_HANDLE;
}
export interface DRSUnbindResponse {
  phDrs: T.DRS_HANDLE;
  result: number;
}
export interface DRSGetNCChangesRequest {
  hDrs: T.DRS_HANDLE;
  pmsgIn: T.DRS_MSG_GETCHGREQ;
}
export interface DRSGetNCChangesResponse {
  pmsgOut: T.DRS_MSG_GETCHGREPLY;
  result: number;
}
export interface DRSReplicaSyncRequest {
  hDrs: T.DRS_HANDLE;
  pmsgSync: { version: 1; msg: T.DRS_MSG_REPSYNC_V1 };
}
export interface DRSUpdateRefsRequest {
  hDrs: T.DRS_HANDLE;
  pmsgUpdRefs: { version: 1; msg: T.DRS_MSG_UPDREFS_V1 };
}
export interface DRSReplicaDelRequest {
  hDrs: T.DRS_HANDLE;
  pmsgDel: { version: 1; msg: T.DRS_MSG_REPDEL_V1 };
}
/** Methods whose only [out] is the return value. */
export interface DRSResultResponse {
  result: number;
}

/** Writes parameters, each a top-level item. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function stub(params: [NdrType<any>, unknown][]): Buffer {
  const w = new NdrWriter();
  for (const [t, v] of params) w.write(t, v);
  return w.finish();
}

const uniqueGuid = pointer(guid);
const uniqueExt = pointer(DRS_EXTENSIONS);

export function encodeDRSBindRequest(m: DRSBindRequest): Buffer {
  return stub([
    [uniqueGuid, m.puuidClientDsa],
    [uniqueExt, m.pextClient],
  ]);
}
export function decodeDRSBindRequest(b: Uint8Array): DRSBindRequest {
  const r = new NdrReader(b);
  const m: DRSBindRequest = { puuidClientDsa: r.read(uniqueGuid), pextClient: r.read(uniqueExt) };
  r.end();
  return m;
}
export function encodeDRSBindResponse(m: DRSBindResponse): Buffer {
  return stub([
    [uniqueExt, m.ppextServer],
    [DRS_HANDLE, m.phDrs],
    [u32, m.result],
  ]);
}
export function decodeDRSBindResponse(b: Uint8Array): DRSBindResponse {
  const r = new NdrReader(b);
  const m: DRSBindResponse = { ppextServer: r.read(uniqueExt), phDrs: r.read(DRS_HANDLE), result: r.read(u32) };
  r.end();
  return m;
}

export function encodeDRSUnbindRequest(m: DRSUnbindRequest): Buffer {
  return stub([[DRS_HANDLE, m.phDrs]]);
}
export function decodeDRSUnbindRequest(b: Uint8Array): DRSUnbindRequest {
  const r = new NdrReader(b);
  const m = { phDrs: r.read(DRS_HANDLE) };
  r.end();
  return m;
}
export function encodeDRSUnbindResponse(m: DRSUnbindResponse): Buffer {
  return stub([
    [DRS_HANDLE, m.phDrs],
    [u32, m.result],
  ]);
}
export function decodeDRSUnbindResponse(b: Uint8Array): DRSUnbindResponse {
  const r = new NdrReader(b);
  const m = { phDrs: r.read(DRS_HANDLE), result: r.read(u32) };
  r.end();
  return m;
}

/** [in, ref] DRS_HANDLE hDrs, [in] DWORD dwInVersion, [in, ref, switch_is(dwInVersion)] DRS_MSG_GETCHGREQ *pmsgIn */
export function encodeDRSGetNCChangesRequest(m: DRSGetNCChangesRequest): Buffer {
  return stub([
    [DRS_HANDLE, m.hDrs],
    [u32, m.pmsgIn.version],
    [DRS_MSG_GETCHGREQ, m.pmsgIn],
  ]);
}
export function decodeDRSGetNCChangesRequest(b: Uint8Array, limits?: { maxCount: number }): DRSGetNCChangesRequest {
  const r = new NdrReader(b, limits);
  const hDrs = r.read(DRS_HANDLE);
  const dwInVersion = r.read(u32);
  const pmsgIn = r.read(DRS_MSG_GETCHGREQ);
  r.end();
  if (pmsgIn.version !== dwInVersion) throw new NdrError('ERR_NDR_INVALID', `dwInVersion ${dwInVersion} but the union holds version ${pmsgIn.version}`);
  return { hDrs, pmsgIn };
}
/** [out, ref] DWORD *pdwOutVersion, [out, ref, switch_is(*pdwOutVersion)] DRS_MSG_GETCHGREPLY *pmsgOut, ULONG return */
export function encodeDRSGetNCChangesResponse(m: DRSGetNCChangesResponse): Buffer {
  return stub([
    [u32, m.pmsgOut.version],
    [DRS_MSG_GETCHGREPLY, m.pmsgOut],
    [u32, m.result],
  ]);
}
export function decodeDRSGetNCChangesResponse(b: Uint8Array, limits?: { maxCount: number }): DRSGetNCChangesResponse {
  const r = new NdrReader(b, limits);
  const v = r.read(u32);
  const pmsgOut = r.read(DRS_MSG_GETCHGREPLY);
  const result = r.read(u32);
  r.end();
  if (pmsgOut.version !== v) throw new NdrError('ERR_NDR_INVALID', `pdwOutVersion ${v} but the union holds version ${pmsgOut.version}`);
  return { pmsgOut, result };
}

/** [in, ref] DRS_HANDLE hDrs, [in] DWORD dwVersion, [in, ref, switch_is(dwVersion)] DRS_MSG_REPSYNC *pmsgSync */
export function encodeDRSReplicaSyncRequest(m: DRSReplicaSyncRequest): Buffer {
  return stub([
    [DRS_HANDLE, m.hDrs],
    [u32, m.pmsgSync.version],
    [DRS_MSG_REPSYNC, m.pmsgSync],
  ]);
}
export function decodeDRSReplicaSyncRequest(b: Uint8Array): DRSReplicaSyncRequest {
  const r = new NdrReader(b);
  const hDrs = r.read(DRS_HANDLE);
  r.read(u32);
  const pmsgSync = r.read(DRS_MSG_REPSYNC);
  r.end();
  return { hDrs, pmsgSync };
}

/** [in, ref] DRS_HANDLE hDrs, [in] DWORD dwVersion, [in, ref, switch_is(dwVersion)] DRS_MSG_UPDREFS *pmsgUpdRefs */
export function encodeDRSUpdateRefsRequest(m: DRSUpdateRefsRequest): Buffer {
  return stub([
    [DRS_HANDLE, m.hDrs],
    [u32, m.pmsgUpdRefs.version],
    [DRS_MSG_UPDREFS, m.pmsgUpdRefs],
  ]);
}
export function decodeDRSUpdateRefsRequest(b: Uint8Array): DRSUpdateRefsRequest {
  const r = new NdrReader(b);
  const hDrs = r.read(DRS_HANDLE);
  r.read(u32);
  const pmsgUpdRefs = r.read(DRS_MSG_UPDREFS);
  r.end();
  return { hDrs, pmsgUpdRefs };
}

/** [in, ref] DRS_HANDLE hDrs, [in] DWORD dwVersion, [in, ref, switch_is(dwVersion)] DRS_MSG_REPDEL *pmsgDel */
export function encodeDRSReplicaDelRequest(m: DRSReplicaDelRequest): Buffer {
  return stub([
    [DRS_HANDLE, m.hDrs],
    [u32, m.pmsgDel.version],
    [DRS_MSG_REPDEL, m.pmsgDel],
  ]);
}
export function decodeDRSReplicaDelRequest(b: Uint8Array): DRSReplicaDelRequest {
  const r = new NdrReader(b);
  const hDrs = r.read(DRS_HANDLE);
  r.read(u32);
  const pmsgDel = r.read(DRS_MSG_REPDEL);
  r.end();
  return { hDrs, pmsgDel };
}

export function encodeResultResponse(m: DRSResultResponse): Buffer {
  return stub([[u32, m.result]]);
}
export function decodeResultResponse(b: Uint8Array): DRSResultResponse {
  const r = new NdrReader(b);
  const m = { result: r.read(u32) };
  r.end();
  return m;
}
