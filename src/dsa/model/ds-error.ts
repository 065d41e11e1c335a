// One error type for the state model (DsError): what AD reports for a refused update — the
// Win32 code, the X.500 problem and its data, the LDAP result code, and a DSID naming the
// place — without rendering it. The LDAP front end renders it as an LDAPResult with AD's
// extended error text (src/dsa/errors.ts renderDsError, MS-ADTS 3.1.1.3.1.9); the DRS side
// returns `win32` as the method's error (MS-DRSR 4.1.10.5, ERROR_DS_DRA_*).

/** LDAP result codes the model names (RFC 4511 4.1.9); numbers, so the model needs no LDAP code. */
export const LdapCode = {
  operationsError: 1,
  noSuchAttribute: 16,
  attributeOrValueExists: 20,
  noSuchObject: 32,
  invalidDNSyntax: 34,
  insufficientAccessRights: 50,
  busy: 51,
  unwillingToPerform: 53,
  namingViolation: 64,
  objectClassViolation: 65,
  notAllowedOnNonLeaf: 66,
  entryAlreadyExists: 68,
  affectsMultipleDSAs: 71,
  other: 80,
} as const;

/** X.500 problem codes of AD's extended errors, with their names. */
export type ProblemCode = readonly [number, string];
export const DsProblem = {
  NO_OBJECT: [2001, 'NO_OBJECT'],
  NAMING_VIOLATION: [2005, 'NAMING_VIOLATION'],
  BUSY: [5001, 'BUSY'],
  WILL_NOT_PERFORM: [5003, 'WILL_NOT_PERFORM'],
  ENTRY_EXISTS: [6005, 'ENTRY_EXISTS'],
} as const satisfies Record<string, ProblemCode>;

/** Win32 codes of replication (MS-ERREF 2.2, the ERROR_DS_DRA_* block) and of the model's refusals (test/drs/win32-codes.test.ts holds them to python3-samba's werror table). */
export const DsWin32 = {
  ERROR_DS_OBJ_NOT_FOUND: 0x208d,
  ERROR_DS_OBJ_STRING_NAME_EXISTS: 0x2071,
  ERROR_DS_UNWILLING_TO_PERFORM: 0x2035,
  ERROR_DS_DRA_GENERIC: 0x20f4,
  ERROR_DS_DRA_INVALID_PARAMETER: 0x20f5,
  ERROR_DS_DRA_BAD_DN: 0x20f7,
  ERROR_DS_DRA_BAD_NC: 0x20f8,
  ERROR_DS_DRA_INTERNAL_ERROR: 0x20fa,
  ERROR_DS_DRA_MISSING_PARENT: 0x210c,
  ERROR_DS_DRA_SCHEMA_MISMATCH: 0x20e2,
  ERROR_DS_DRA_OBJ_NC_MISMATCH: 0x2161,
  ERROR_DS_CANT_FIND_EXPECTED_NC: 0x20e4,
  /** a link value names a target the destination does not hold (ask again with DRS_GET_TGT) */
  ERROR_DS_DRA_RECYCLED_TARGET: 0x21bf,
  ERROR_DS_DRA_MISSING_KRBTGT_SECRET: 0x2172,
} as const;

export class DsError extends Error {
  constructor(
    /** Win32 error code (MS-ERREF 2.2) */
    readonly win32: number,
    /** LDAP result code the LDAP front end answers with */
    readonly ldapCode: number,
    /** X.500 problem and its name */
    readonly problem: ProblemCode,
    /** where in forestd the rule was enforced; the DSID is derived from it */
    readonly place: string,
    detail = '',
    /** the "data" field of AD's text */
    readonly data = 0,
  ) {
    super(detail || `${place}: ${problem[1]}`);
    this.name = 'DsError';
  }

  /** "DSID-" + 8 hex digits, stable per place (the same hash errors.ts uses). */
  get dsid(): string {
    let h = 0x811c9dc5;
    for (let i = 0; i < this.place.length; i++) h = Math.imul(h ^ this.place.charCodeAt(i), 0x01000193);
    return 'DSID-' + (h >>> 0).toString(16).toUpperCase().padStart(8, '0');
  }

  static missingParent(place: string, detail: string): DsError {
    return new DsError(DsWin32.ERROR_DS_DRA_MISSING_PARENT, LdapCode.noSuchObject, DsProblem.NO_OBJECT, place, detail);
  }
  static missingTarget(place: string, detail: string): DsError {
    return new DsError(DsWin32.ERROR_DS_DRA_RECYCLED_TARGET, LdapCode.noSuchObject, DsProblem.NO_OBJECT, place, detail);
  }
  static badNC(place: string, detail: string): DsError {
    return new DsError(DsWin32.ERROR_DS_CANT_FIND_EXPECTED_NC, LdapCode.noSuchObject, DsProblem.NO_OBJECT, place, detail);
  }
  static noSuchObject(place: string, detail = ''): DsError {
    return new DsError(DsWin32.ERROR_DS_OBJ_NOT_FOUND, LdapCode.noSuchObject, DsProblem.NO_OBJECT, place, detail);
  }
  static entryAlreadyExists(place: string, detail = ''): DsError {
    return new DsError(DsWin32.ERROR_DS_OBJ_STRING_NAME_EXISTS, LdapCode.entryAlreadyExists, DsProblem.ENTRY_EXISTS, place, detail);
  }
  static unwilling(place: string, detail = ''): DsError {
    return new DsError(DsWin32.ERROR_DS_UNWILLING_TO_PERFORM, LdapCode.unwillingToPerform, DsProblem.WILL_NOT_PERFORM, place, detail);
  }
  static internal(place: string, detail: string): DsError {
    return new DsError(DsWin32.ERROR_DS_DRA_INTERNAL_ERROR, LdapCode.operationsError, DsProblem.WILL_NOT_PERFORM, place, detail);
  }
}
