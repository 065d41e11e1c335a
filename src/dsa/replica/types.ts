// The replication messages as JS structures shaped like MS-DRSR's (field names as in the
// IDL of MS-DRSR Appendix A), so that the NDR codec of src/drs/ can carry them without
// reshaping. Two liberties, both mechanical for the codec: linked lists (REPLENTINFLIST.
// pNextEntInf) are arrays, and attribute values (ATTRVAL) are kept in the stored form of
// their syntax; the codec turns them into ATTRVAL bytes per MS-DRSR 5.16 with the prefix
// table (src/schema/prefix-table.ts). ATTRTYPs are this forest's, via that prefix table.
// GUIDs are 16-byte MS-DTYP buffers; times are seconds since 1601 (DSTIME, MS-DRSR 5.49).

/** MS-DRSR 5.49 DSNAME (the parts replication reads). */
export interface DSNAME {
  Guid: Buffer;
  Sid?: Buffer;
  StringName: string;
}

/** MS-DRSR 5.215 USN_VECTOR. */
export interface USN_VECTOR {
  usnHighObjUpdate: number;
  usnReserved: number;
  usnHighPropUpdate: number;
}

/** MS-DRSR 5.208 UPTODATE_CURSOR_V2. */
export interface UPTODATE_CURSOR_V2 {
  uuidDsa: Buffer;
  usnHighPropUpdate: number;
  timeLastSyncSuccess: number;
}

/** MS-DRSR 5.211 UPTODATE_VECTOR_V2_EXT (cursors sorted by uuidDsa). */
export interface UPTODATE_VECTOR_V2_EXT {
  dwVersion: 2;
  dwReserved1: 0;
  rgCursors: UPTODATE_CURSOR_V2[];
}

/** MS-DRSR 5.161 PROPERTY_META_DATA_EXT: an AttributeStamp on the wire. */
export interface PROPERTY_META_DATA_EXT {
  dwVersion: number;
  timeChanged: number;
  uuidDsaOriginating: Buffer;
  usnOriginating: number;
}

/** MS-DRSR 5.9 ATTR with its ATTRVALBLOCK (values in stored form, see above). */
export interface ATTR {
  attrTyp: number;
  AttrVal: { valCount: number; pAVal: unknown[] };
}

/** MS-DRSR 5.54 ENTINF. */
export interface ENTINF {
  pName: DSNAME;
  ulFlags: number;
  AttrBlock: { attrCount: number; pAttr: ATTR[] };
}

/** MS-DRSR 5.162 REPLENTINFLIST (one element; pMetaDataExt.rgMetaData[i] is the stamp of AttrBlock.pAttr[i]). */
export interface REPLENTINFLIST {
  Entinf: ENTINF;
  fIsNCPrefix: boolean;
  pParentGuid: Buffer | null;
  pMetaDataExt: { cNumProps: number; rgMetaData: PROPERTY_META_DATA_EXT[] };
}

/** MS-DRSR 5.216 VALUE_META_DATA_EXT_V3 (the unused fields and timeExpired are 0). */
export interface VALUE_META_DATA_EXT_V3 {
  timeCreated: number;
  MetaData: PROPERTY_META_DATA_EXT;
  unused1: 0;
  unused2: 0;
  unused3: 0;
  timeExpired: number;
}

/** The value of a link (DSNAME of the target; for DN-Binary / DN-String the binary part as well). */
export interface LinkAval {
  target: DSNAME;
  /** the binary part of an Object(DN-Binary) value, empty otherwise (the store's `data`) */
  data: Buffer;
  /** the stored extra of the value (e.g. a DN-String's text); opaque */
  extra?: unknown;
}

/** MS-DRSR 5.169 REPLVALINF_V3. */
export interface REPLVALINF_V3 {
  pObject: DSNAME;
  attrTyp: number;
  Aval: LinkAval;
  fIsPresent: boolean;
  MetaData: VALUE_META_DATA_EXT_V3;
}

/** DRS_OPTIONS bits the engine honours (MS-DRSR 5.41). */
export const DrsOptions = {
  DRS_WRIT_REP: 0x10,
  DRS_INIT_SYNC: 0x20,
  DRS_GET_ANC: 0x800,
  DRS_FULL_SYNC_NOW: 0x8000,
} as const;

/** MS-DRSR 4.1.10.2.5 DRS_MSG_GETCHGREQ_V10 (the fields the engine uses). */
export interface DRS_MSG_GETCHGREQ_V10 {
  uuidDsaObjDest: Buffer;
  uuidInvocIdSrc: Buffer;
  pNC: DSNAME;
  usnvecFrom: USN_VECTOR;
  pUpToDateVecDest: UPTODATE_VECTOR_V2_EXT | null;
  ulFlags: number;
  cMaxObjects: number;
  cMaxBytes: number;
  ulExtendedOp: number;
  /** extended operations: for EXOP_FSMO_REQ_RID_ALLOC the client's current rIDAllocationPool (MS-DRSR 4.1.10.4.3) */
  liFsmoInfo?: bigint;
  ulMoreFlags: number;
}

/** MS-DRSR 4.1.10.2.22 EXOP_REQ codes (those the engine serves). */
export const EXOP_FSMO_REQ_RID_ALLOC = 0x2;
/** MS-DRSR 4.1.10.2.21 EXOP_ERR codes. */
export const ExopErr = {
  EXOP_ERR_SUCCESS: 0x1,
  EXOP_ERR_UNKNOWN_OP: 0x2,
  EXOP_ERR_FSMO_NOT_OWNER: 0x3,
  EXOP_ERR_UPDATE_ERR: 0x4,
  EXOP_ERR_UNKNOWN_CALLER: 0x6,
  EXOP_ERR_RID_ALLOC: 0x7,
  EXOP_ERR_PARAM_ERR: 0x10,
} as const;

/** MS-DRSR 4.1.10.2.16 ulMoreFlags of V10. */
export const DRS_GET_TGT = 0x1;

/** MS-DRSR 4.1.10.2.11 DRS_MSG_GETCHGREPLY_V6, with REPLVALINF_V3 values (as V9 carries them). */
export interface DRS_MSG_GETCHGREPLY_V6 {
  uuidDsaObjSrc: Buffer;
  uuidInvocIdSrc: Buffer;
  pNC: DSNAME;
  usnvecFrom: USN_VECTOR;
  usnvecTo: USN_VECTOR;
  /** only in the last reply of a cycle (fMoreData false) */
  pUpToDateVecSrc: UPTODATE_VECTOR_V2_EXT | null;
  ulExtendedRet: number;
  cNumObjects: number;
  cNumBytes: number;
  pObjects: REPLENTINFLIST[];
  fMoreData: boolean;
  cNumValues: number;
  rgValues: REPLVALINF_V3[];
  dwDRSError: number;
}

export const ZERO_USN_VECTOR: USN_VECTOR = Object.freeze({ usnHighObjUpdate: 0, usnReserved: 0, usnHighPropUpdate: 0 });
