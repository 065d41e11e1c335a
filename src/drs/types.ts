// The MS-DRSR structures as JavaScript values, named as MS-DRSR names them (MS-DRSR 7
// Appendix A "Full IDL" and the sections cited at each type). The NDR layouts are in idl.ts.
//
// Conventions (also in DRS-TYPES.md):
// - GUID/UUID: a 16-byte Buffer in the MS-DTYP 2.3.4.2 little-endian form (the store's form);
//   all zeros means "no GUID".
// - USN and DSTIME (LONGLONG): number (safe integers; a stub with a larger one is refused);
//   ULARGE_INTEGER (liFsmoInfo): bigint. DSTIME is seconds since 1601-01-01 UTC
//   , the unit the store keeps in AttributeStamp.timeChanged.
// - A count member that only says how long the array after it is (cNumProps, attrCount,
//   valCount, cNumCursors, PrefixCount, cNumValues, cb, cAttrs) is not kept: the encoder
//   derives it from the array. A [size_is] pointer to an empty array is sent as a null pointer.
// - REPLENTINFLIST is a linked list through pNextEntInf on the wire; here it is an array.

/** MS-DRSR DSNAME (the concrete type of 5.49 DSName). structLen, SidLen and NameLen are derived. */
export interface DSNAME {
  Guid: Buffer;
  /** the binary SID (MS-DTYP 2.4.2.2), at most 28 bytes; empty when the DSNAME names no SID */
  Sid: Buffer;
  StringName: string;
}

/** MS-DRSR USN_VECTOR */
export interface USN_VECTOR {
  usnHighObjUpdate: number;
  usnReserved: number;
  usnHighPropUpdate: number;
}

/** MS-DRSR 5.202 UPTODATE_CURSOR_V1 */
export interface UPTODATE_CURSOR_V1 {
  uuidDsa: Buffer;
  usnHighPropUpdate: number;
}
/** MS-DRSR UPTODATE_CURSOR_V2 */
export interface UPTODATE_CURSOR_V2 extends UPTODATE_CURSOR_V1 {
  timeLastSyncSuccess: number;
}
/** UPTODATE_VECTOR_V1_EXT (dwVersion 1; dwReserved1 and dwReserved2 are written 0 and ignored) */
export interface UPTODATE_VECTOR_V1_EXT {
  rgCursors: UPTODATE_CURSOR_V1[];
}
/** UPTODATE_VECTOR_V2_EXT (dwVersion 2; the reserved members as in V1) */
export interface UPTODATE_VECTOR_V2_EXT {
  rgCursors: UPTODATE_CURSOR_V2[];
}

/** MS-DRSR PrefixTableEntry; prefix is OID_t's elements (BER contents octets of the prefix) */
export interface PrefixTableEntry {
  ndx: number;
  prefix: Buffer;
}
/** MS-DRSR SCHEMA_PREFIX_TABLE */
export interface SCHEMA_PREFIX_TABLE {
  pPrefixEntry: PrefixTableEntry[];
}

/** PARTIAL_ATTR_VECTOR_V1_EXT (dwVersion 1; dwReserved1 written 0 and ignored) */
export interface PARTIAL_ATTR_VECTOR_V1_EXT {
  rgPartialAttr: number[];
}

/** MS-DRSR 5.16 ATTRVAL: pVal (valLen derived) */
export type ATTRVAL = Buffer;
/** MS-DRSR ATTRVALBLOCK */
export interface ATTRVALBLOCK {
  pAVal: ATTRVAL[];
}
/** MS-DRSR ATTR */
export interface ATTR {
  attrTyp: number;
  AttrVal: ATTRVALBLOCK;
}
/** MS-DRSR ATTRBLOCK */
export interface ATTRBLOCK {
  pAttr: ATTR[];
}
/** MS-DRSR ENTINF */
export interface ENTINF {
  pName: DSNAME | null;
  ulFlags: number;
  AttrBlock: ATTRBLOCK;
}

/** MS-DRSR PROPERTY_META_DATA_EXT */
export interface PROPERTY_META_DATA_EXT {
  dwVersion: number;
  timeChanged: number;
  uuidDsaOriginating: Buffer;
  usnOriginating: number;
}
/** MS-DRSR PROPERTY_META_DATA_EXT_VECTOR */
export interface PROPERTY_META_DATA_EXT_VECTOR {
  rgMetaData: PROPERTY_META_DATA_EXT[];
}

/** MS-DRSR 5.162 REPLENTINFLIST (one entry; pNextEntInf is the array order) */
export interface REPLENTINFLIST {
  Entinf: ENTINF;
  fIsNCPrefix: boolean;
  pParentGuid: Buffer | null;
  pMetaDataExt: PROPERTY_META_DATA_EXT_VECTOR | null;
}

/** MS-DRSR VALUE_META_DATA_EXT_V1 */
export interface VALUE_META_DATA_EXT_V1 {
  timeCreated: number;
  MetaData: PROPERTY_META_DATA_EXT;
}
/** MS-DRSR VALUE_META_DATA_EXT_V3 */
export interface VALUE_META_DATA_EXT_V3 extends VALUE_META_DATA_EXT_V1 {
  unused1: number;
  unused2: number;
  unused3: number;
  timeExpired: number;
}
/** MS-DRSR REPLVALINF_V1 */
export interface REPLVALINF_V1 {
  pObject: DSNAME | null;
  attrTyp: number;
  Aval: ATTRVAL;
  fIsPresent: boolean;
  MetaData: VALUE_META_DATA_EXT_V1;
}
/** MS-DRSR REPLVALINF_V3 */
export interface REPLVALINF_V3 {
  pObject: DSNAME | null;
  attrTyp: number;
  Aval: ATTRVAL;
  fIsPresent: boolean;
  MetaData: VALUE_META_DATA_EXT_V3;
}

/** MS-DRSR 4.1.10.2.6 DRS_MSG_GETCHGREQ_V8 */
export interface DRS_MSG_GETCHGREQ_V8 {
  uuidDsaObjDest: Buffer;
  uuidInvocIdSrc: Buffer;
  pNC: DSNAME;
  usnvecFrom: USN_VECTOR;
  pUpToDateVecDest: UPTODATE_VECTOR_V1_EXT | null;
  ulFlags: number;
  cMaxObjects: number;
  cMaxBytes: number;
  ulExtendedOp: number;
  liFsmoInfo: bigint;
  pPartialAttrSet: PARTIAL_ATTR_VECTOR_V1_EXT | null;
  pPartialAttrSetEx: PARTIAL_ATTR_VECTOR_V1_EXT | null;
  PrefixTableDest: SCHEMA_PREFIX_TABLE;
}
/** MS-DRSR DRS_MSG_GETCHGREQ_V10: V8 and ulMoreFlags */
export interface DRS_MSG_GETCHGREQ_V10 extends DRS_MSG_GETCHGREQ_V8 {
  ulMoreFlags: number;
}
export type DRS_MSG_GETCHGREQ = { version: 8; msg: DRS_MSG_GETCHGREQ_V8 } | { version: 10; msg: DRS_MSG_GETCHGREQ_V10 };

/** MS-DRSR DRS_MSG_GETCHGREPLY_V6 (cNumObjects and cNumValues derived) */
export interface DRS_MSG_GETCHGREPLY_V6 {
  uuidDsaObjSrc: Buffer;
  uuidInvocIdSrc: Buffer;
  pNC: DSNAME | null;
  usnvecFrom: USN_VECTOR;
  usnvecTo: USN_VECTOR;
  pUpToDateVecSrc: UPTODATE_VECTOR_V2_EXT | null;
  PrefixTableSrc: SCHEMA_PREFIX_TABLE;
  ulExtendedRet: number;
  /** the approximate size of the reply; computed by the encoder when undefined */
  cNumBytes?: number;
  pObjects: REPLENTINFLIST[];
  fMoreData: boolean;
  cNumNcSizeObjects: number;
  cNumNcSizeValues: number;
  rgValues: REPLVALINF_V1[];
  dwDRSError: number;
}
/** MS-DRSR 4.1.10.2.14 DRS_MSG_GETCHGREPLY_V9: V6 with REPLVALINF_V3 link values */
export interface DRS_MSG_GETCHGREPLY_V9 extends Omit<DRS_MSG_GETCHGREPLY_V6, 'rgValues'> {
  rgValues: REPLVALINF_V3[];
}
export type DRS_MSG_GETCHGREPLY = { version: 6; msg: DRS_MSG_GETCHGREPLY_V6 } | { version: 9; msg: DRS_MSG_GETCHGREPLY_V9 };

/** MS-DRSR DRS_MSG_REPSYNC_V1 (the request of 4.1.23 IDL_DRSReplicaSync) */
export interface DRS_MSG_REPSYNC_V1 {
  pNC: DSNAME;
  uuidDsaSrc: Buffer;
  pszDsaSrc: string | null;
  ulOptions: number;
}
/** MS-DRSR DRS_MSG_UPDREFS_V1 (the request of 4.1.26 IDL_DRSUpdateRefs) */
export interface DRS_MSG_UPDREFS_V1 {
  pNC: DSNAME;
  pszDsaDest: string;
  uuidDsaObjDest: Buffer;
  ulOptions: number;
}

/** MS-DRSR 4.1.20.1.1 DRS_MSG_REPDEL_V1 (the request of 4.1.20 IDL_DRSReplicaDel) */
export interface DRS_MSG_REPDEL_V1 {
  pNC: DSNAME;
  /** the NetworkAddress of the source whose repsFrom value goes */
  pszDsaSrc: string | null;
  ulOptions: number;
}

/** MS-DRSR 5.39 DRS_EXTENSIONS_INT; `cb` derived. Fields past dwReplEpoch are optional (cb 24, 28, 48, 52). */
export interface DRS_EXTENSIONS_INT {
  dwFlags: number;
  SiteObjGuid: Buffer;
  Pid: number;
  dwReplEpoch: number;
  dwFlagsExt?: number;
  ConfigObjGUID?: Buffer;
  dwExtCaps?: number;
}

/** DRS_HANDLE: an RPC context handle (20 bytes: attributes u32 + uuid). */
export type DRS_HANDLE = Buffer;

// ---- constants ----------------------------------------------------------------------------

/** MS-DRSR 4.1.10.2.22 EXOP_REQ codes (ulExtendedOp) */
export const EXOP = {
  EXOP_FSMO_REQ_ROLE: 0x1,
  EXOP_FSMO_REQ_RID_ALLOC: 0x2,
  EXOP_FSMO_RID_REQ_ROLE: 0x3,
  EXOP_FSMO_REQ_PDC: 0x4,
  EXOP_FSMO_ABANDON_ROLE: 0x5,
  EXOP_REPL_OBJ: 0x6,
  EXOP_REPL_SECRETS: 0x7,
} as const;

/** MS-DRSR 4.1.10.2.21 EXOP_ERR codes (ulExtendedRet) */
export const EXOP_ERR = {
  EXOP_ERR_SUCCESS: 0x1,
  EXOP_ERR_UNKNOWN_OP: 0x2,
  EXOP_ERR_FSMO_NOT_OWNER: 0x3,
  EXOP_ERR_UPDATE_ERR: 0x4,
  EXOP_ERR_EXCEPTION: 0x5,
  EXOP_ERR_UNKNOWN_CALLER: 0x6,
  EXOP_ERR_RID_ALLOC: 0x7,
  EXOP_ERR_FSMO_OWNER_DELETED: 0x8,
  EXOP_ERR_FSMO_PENDING_OP: 0x9,
  EXOP_ERR_MISMATCH: 0xa,
  EXOP_ERR_COULDNT_CONTACT: 0xb,
  EXOP_ERR_FSMO_REFUSING_ROLES: 0xc,
  EXOP_ERR_DIR_ERROR: 0xd,
  EXOP_ERR_FSMO_MISSING_SETTINGS: 0xe,
  EXOP_ERR_ACCESS_DENIED: 0xf,
  EXOP_ERR_PARAM_ERR: 0x10,
} as const;

/** MS-DRSR DRS_OPTIONS (ulFlags, ulOptions, ulReplicaFlags); values as Samba's drsuapi has them too */
export const DRS_OPTIONS = {
  DRS_ASYNC_OP: 0x00000001,
  DRS_GETCHG_CHECK: 0x00000002,
  DRS_UPDATE_NOTIFICATION: 0x00000002,
  DRS_ADD_REF: 0x00000004,
  DRS_SYNC_ALL: 0x00000008,
  DRS_DEL_REF: 0x00000008,
  DRS_WRIT_REP: 0x00000010,
  DRS_INIT_SYNC: 0x00000020,
  DRS_PER_SYNC: 0x00000040,
  DRS_MAIL_REP: 0x00000080,
  DRS_ASYNC_REP: 0x00000100,
  DRS_IGNORE_ERROR: 0x00000100,
  DRS_TWOWAY_SYNC: 0x00000200,
  DRS_CRITICAL_ONLY: 0x00000400,
  DRS_GET_ANC: 0x00000800,
  DRS_GET_NC_SIZE: 0x00001000,
  DRS_LOCAL_ONLY: 0x00001000,
  DRS_NONGC_RO_REP: 0x00002000,
  DRS_SYNC_BYNAME: 0x00004000,
  DRS_REF_OK: 0x00004000,
  DRS_FULL_SYNC_NOW: 0x00008000,
  DRS_NO_SOURCE: 0x00008000,
  DRS_FULL_SYNC_IN_PROGRESS: 0x00010000,
  DRS_FULL_SYNC_PACKET: 0x00020000,
  DRS_SYNC_REQUEUE: 0x00040000,
  DRS_SYNC_URGENT: 0x00080000,
  DRS_REF_GCSPN: 0x00100000,
  DRS_NO_DISCARD: 0x00100000,
  DRS_NEVER_SYNCED: 0x00200000,
  DRS_SPECIAL_SECRET_PROCESSING: 0x00400000,
  DRS_INIT_SYNC_NOW: 0x00800000,
  DRS_PREEMPTED: 0x01000000,
  DRS_SYNC_FORCED: 0x02000000,
  DRS_DISABLE_AUTO_SYNC: 0x04000000,
  DRS_DISABLE_PERIODIC_SYNC: 0x08000000,
  DRS_USE_COMPRESSION: 0x10000000,
  DRS_NEVER_NOTIFY: 0x20000000,
  DRS_SYNC_PAS: 0x40000000,
  DRS_GET_ALL_GROUP_MEMBERSHIP: 0x80000000,
} as const;

/** DRS_MORE_GETCHGREQ_OPTIONS (ulMoreFlags of DRS_MSG_GETCHGREQ_V10) */
export const DRS_MORE = {
  DRS_GET_TGT: 0x00000001,
} as const;

/** DRS_EXTENSIONS_INT dwFlags (MS-DRSR 5.39): the capabilities a DC announces in IDL_DRSBind. */
export const DRS_EXT = {
  DRS_EXT_BASE: 0x00000001,
  DRS_EXT_ASYNCREPL: 0x00000002,
  DRS_EXT_REMOVEAPI: 0x00000004,
  DRS_EXT_MOVEREQ_V2: 0x00000008,
  DRS_EXT_GETCHG_DEFLATE: 0x00000010,
  DRS_EXT_DCINFO_V1: 0x00000020,
  DRS_EXT_RESTORE_USN_OPTIMIZATION: 0x00000040,
  DRS_EXT_ADDENTRY: 0x00000080,
  DRS_EXT_KCC_EXECUTE: 0x00000100,
  DRS_EXT_ADDENTRY_V2: 0x00000200,
  DRS_EXT_LINKED_VALUE_REPLICATION: 0x00000400,
  DRS_EXT_DCINFO_V2: 0x00000800,
  DRS_EXT_INSTANCE_TYPE_NOT_REQ_ON_MOD: 0x00001000,
  DRS_EXT_CRYPTO_BIND: 0x00002000,
  DRS_EXT_GET_REPL_INFO: 0x00004000,
  DRS_EXT_STRONG_ENCRYPTION: 0x00008000,
  DRS_EXT_DCINFO_VFFFFFFFF: 0x00010000,
  DRS_EXT_TRANSITIVE_MEMBERSHIP: 0x00020000,
  DRS_EXT_ADD_SID_HISTORY: 0x00040000,
  DRS_EXT_POST_BETA3: 0x00080000,
  DRS_EXT_GETCHGREQ_V5: 0x00100000,
  DRS_EXT_GETMEMBERSHIPS2: 0x00200000,
  DRS_EXT_GETCHGREQ_V6: 0x00400000,
  DRS_EXT_NONDOMAIN_NCS: 0x00800000,
  DRS_EXT_GETCHGREQ_V8: 0x01000000,
  DRS_EXT_GETCHGREPLY_V5: 0x02000000,
  DRS_EXT_GETCHGREPLY_V6: 0x04000000,
  DRS_EXT_GETCHGREQ_V10: 0x20000000,
} as const;

/** MS-DRSR ENTINF ulFlags */
export const ENTINF_FLAGS = {
  ENTINF_FROM_MASTER: 0x00000001,
  ENTINF_DYNAMIC_OBJECT: 0x00000002,
  ENTINF_REMOTE_MODIFY: 0x00010000,
} as const;

/** The drsuapi interface's opnums (MS-DRSR 4.1). */
export const DRSUAPI_OPNUM = {
  IDL_DRSBind: 0,
  IDL_DRSUnbind: 1,
  IDL_DRSReplicaSync: 2,
  IDL_DRSGetNCChanges: 3,
  IDL_DRSUpdateRefs: 4,
  IDL_DRSReplicaDel: 6,
} as const;
export type DrsuapiOpnum = (typeof DRSUAPI_OPNUM)[keyof typeof DRSUAPI_OPNUM];

/** A GUID of sixteen zero bytes: "no GUID" in DSNAME and elsewhere. */
export const NULL_GUID: Buffer = Buffer.alloc(16);
