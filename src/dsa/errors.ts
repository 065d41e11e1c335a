// Errors the Active Directory way: an LDAP result code plus AD's extended error text in the
// diagnosticMessage — "<win32 error, 8 hex digits>: <category>: DSID-<id>, problem <n> (<NAME>),
// data <n>[, best match of: '<dn>']" — and matchedDN where the result code carries one
// (MS-ADTS 3.1.1.3.1.9 "Error Message Strings"). Clients written for Windows parse the leading
// win32 code and the "data" field (e.g. 52e, 775 for binds), so those are exact; DSIDs name a
// place in forestd's source, as they do in Windows'.
import {
  AttributeOrValueExistsError,
  ConstraintViolationError,
  EntryAlreadyExistsError,
  InsufficientAccessRightsError,
  InvalidAttributeSyntaxError,
  InvalidCredentialsError,
  InvalidDNSyntaxError,
  LdapError,
  NamingViolationError,
  NoSuchAttributeError,
  NoSuchObjectError,
  NotAllowedOnNonLeafError,
  NotAllowedOnRDNError,
  ObjectClassViolationError,
  OperationsError,
  UndefinedAttributeTypeError,
  UnwillingToPerformError,
  ProtocolError,
  InappropriateMatchingError,
  UnavailableCriticalExtensionError,
  ConfidentialityRequiredError,
  ObjectClassModsProhibitedError,
  AffectsMultipleDSAsError,
  AdminLimitExceededError,
  SizeLimitExceededError,
  TimeLimitExceededError,
  InappropriateAuthenticationError,
  AuthMethodNotSupportedError,
  StrongerAuthRequiredError,
  ldapErrorFromCode,
  OtherError,
} from '../ldap/protocol/result-codes.js';
import { DsError } from './model/ds-error.js';

/**
 * Win32 error codes AD puts first in its messages (MS-ERREF 2.2). The 8224–8250 block mirrors
 * the LDAP result codes; the rest are the update-specific codes AD reports instead.
 */
export const Win32 = {
  ERROR_ACCESS_DENIED: 0x5,
  ERROR_INVALID_PARAMETER: 0x57,
  ERROR_MEMBER_IN_GROUP: 0x528,
  ERROR_MEMBER_NOT_IN_GROUP: 0x529,
  ERROR_MEMBERS_PRIMARY_GROUP: 0x55e,
  ERROR_NOT_AUTHENTICATED: 0x4dc, // "a successful bind must be completed"
  ERROR_DS_NO_ATTRIBUTE_OR_VALUE: 0x200a,
  ERROR_DS_INVALID_ATTRIBUTE_SYNTAX: 0x200b,
  ERROR_DS_ATTRIBUTE_TYPE_UNDEFINED: 0x200c,
  ERROR_DS_ATTRIBUTE_OR_VALUE_EXISTS: 0x200d,
  ERROR_DS_OBJ_CLASS_VIOLATION: 0x2014,
  ERROR_DS_CANT_ON_NON_LEAF: 0x2015,
  ERROR_DS_CANT_ON_RDN: 0x2016,
  ERROR_DS_CANT_MOD_OBJ_CLASS: 0x2017,
  ERROR_DS_OPERATIONS_ERROR: 0x2020,
  ERROR_DS_PROTOCOL_ERROR: 0x2021,
  ERROR_DS_TIMELIMIT_EXCEEDED: 0x2022,
  ERROR_DS_SIZELIMIT_EXCEEDED: 0x2023,
  ERROR_DS_ADMIN_LIMIT_EXCEEDED: 0x2024,
  ERROR_DS_AUTH_METHOD_NOT_SUPPORTED: 0x2027,
  ERROR_DS_STRONG_AUTH_REQUIRED: 0x2028,
  ERROR_DS_INAPPROPRIATE_AUTH: 0x2029,
  ERROR_DS_UNAVAILABLE_CRIT_EXTENSION: 0x202c,
  ERROR_DS_CONFIDENTIALITY_REQUIRED: 0x202d,
  ERROR_DS_INAPPROPRIATE_MATCHING: 0x202e,
  ERROR_DS_CONSTRAINT_VIOLATION: 0x202f,
  ERROR_DS_INVALID_DN_SYNTAX: 0x2032,
  ERROR_DS_UNWILLING_TO_PERFORM: 0x2035,
  /** MS-ERREF 2.2: "The directory service was unable to allocate a relative identifier" (a DC without RIDs, MS-ADTS 6.1.5.3) */
  ERROR_DS_NO_RIDS_ALLOCATED: 0x2010,
  /** MS-ERREF 2.2: "The directory service has exhausted the pool of relative identifiers" (the domain's RID space) */
  ERROR_DS_NO_MORE_RIDS: 0x2011,
  ERROR_DS_NAMING_VIOLATION: 0x2037,
  ERROR_DS_AFFECTS_MULTIPLE_DSAS: 0x2039,
  ERROR_DS_OBJ_STRING_NAME_EXISTS: 0x2071,
  ERROR_DS_CANT_ADD_ATT_VALUES: 0x2080,
  ERROR_DS_SINGLE_VALUE_CONSTRAINT: 0x2081,
  ERROR_DS_RANGE_CONSTRAINT: 0x2082,
  ERROR_DS_CANT_REM_MISSING_ATT: 0x2084,
  ERROR_DS_CANT_REM_MISSING_ATT_VAL: 0x2085,
  ERROR_DS_ILLEGAL_MOD_OPERATION: 0x2077,
  ERROR_DS_CHILDREN_EXIST: 0x208c,
  ERROR_DS_CANT_MOD_SYSTEM_ONLY: 0x20b1,
  ERROR_DS_CANT_DELETE: 0x20ce,
  ERROR_DS_CANT_MOVE_DELETED_OBJECT: 0x2129,
  ERROR_DS_CROSS_NC_DN_RENAME: 0x20b0,
  ERROR_DS_NO_OBJECT_MOVE_IN_SCHEMA_NC: 0x2184,
  ERROR_DS_MODIFYDN_DISALLOWED_BY_FLAG: 0x2185,
  ERROR_DS_MODIFYDN_DISALLOWED_BY_INSTANCE_TYPE: 0x2183,
  ERROR_DS_MODIFYDN_WRONG_GRANDPARENT: 0x2186,
  ERROR_INVALID_PASSWORD: 0x56,
  ERROR_MEMBER_NOT_IN_ALIAS: 0x561,
  ERROR_MEMBER_IN_ALIAS: 0x562,
  ERROR_DS_ATT_VAL_ALREADY_EXISTS: 0x2083,
  ERROR_DS_OBJ_NOT_FOUND: 0x208d,
  ERROR_DS_INSUFF_ACCESS_RIGHTS: 0x2098,
  ERROR_DS_ILLEGAL_SUPERIOR: 0x2099, // MS-ERREF 2.2: "the parent is not on the list of possible superiors"
  ERROR_DS_UPN_VALUE_NOT_UNIQUE_IN_FOREST: 0x21c8, // MS-ADTS 3.1.1.5.1.3
  SEC_E_INVALID_TOKEN: 0x80090308,
} as const;

/** The "problem" codes of AD's extended errors (the X.500 problem numbers), with their names. */
export const Problem = {
  NO_ATTRIBUTE_OR_VAL: [1001, 'NO_ATTRIBUTE_OR_VAL'],
  INVALID_ATT_SYNTAX: [1002, 'INVALID_ATT_SYNTAX'],
  UNDEFINED_ATT_TYPE: [1003, 'UNDEFINED_ATT_TYPE'],
  WRONG_MATCH_OPER: [1004, 'WRONG_MATCH_OPER'],
  CONSTRAINT_ATT_TYPE: [1005, 'CONSTRAINT_ATT_TYPE'],
  ATT_OR_VALUE_EXISTS: [1006, 'ATT_OR_VALUE_EXISTS'],
  NO_OBJECT: [2001, 'NO_OBJECT'],
  BAD_ATT_SYNTAX: [2003, 'BAD_ATT_SYNTAX'],
  NAMING_VIOLATION: [2005, 'NAMING_VIOLATION'],
  INSUFF_ACCESS_RIGHTS: [4003, 'INSUFF_ACCESS_RIGHTS'],
  BUSY: [5001, 'BUSY'],
  WILL_NOT_PERFORM: [5003, 'WILL_NOT_PERFORM'],
  ADMIN_LIMIT_EXCEEDED: [5008, 'ADMIN_LIMIT_EXCEEDED'],
  UNAVAIL_EXTENSION: [5010, 'UNAVAIL_EXTENSION'],
  OBJ_CLASS_VIOLATION: [6002, 'OBJ_CLASS_VIOLATION'],
  CANT_ON_NON_LEAF: [6003, 'CANT_ON_NON_LEAF'],
  CANT_ON_RDN: [6004, 'CANT_ON_RDN'],
  ENTRY_EXISTS: [6005, 'ENTRY_EXISTS'],
  AFFECTS_MULT_DSAS: [6006, 'AFFECTS_MULT_DSAS'],
  CANT_MOD_OBJ_CLASS: [6007, 'CANT_MOD_OBJ_CLASS'],
} as const satisfies Record<string, readonly [number, string]>;

const hex8 = (n: number) => (n >>> 0).toString(16).toUpperCase().padStart(8, '0');

/** DSIDs identify where in forestd an error was raised: "DSID-" + 8 hex digits, like AD's. */
export function dsid(place: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < place.length; i++) h = Math.imul(h ^ place.charCodeAt(i), 0x01000193);
  return 'DSID-' + hex8(h);
}

type Category = 'NameErr' | 'UpdErr' | 'AtrErr' | 'SvcErr' | 'SecErr' | 'LdapErr' | 'RefErr';

function text(win32: number, category: Category, place: string, problem: readonly [number, string], data = 0, tail = ''): string {
  return `${hex8(win32)}: ${category}: ${dsid(place)}, problem ${problem[0]} (${problem[1]}), data ${(data >>> 0).toString(16)}${tail}`;
}

function attrText(win32: number, place: string, problem: readonly [number, string], attid: number, attName: string, data = 0): string {
  // AD: "00002085: AtrErr: DSID-…, #1:\n\t0: 00002085: DSID-…, problem 1001 (NO_ATTRIBUTE_OR_VAL), data 0, Att d (description)\n"
  const d = dsid(place);
  return `${hex8(win32)}: AtrErr: ${d}, #1:\n\t0: ${hex8(win32)}: ${d}, problem ${problem[0]} (${problem[1]}), data ${(data >>> 0).toString(16)}, Att ${(attid >>> 0).toString(16)} (${attName})\n`;
}

/** Factories for the refusals the DSA makes; each names the rule it enforces in `place`. */
export const AdError = {
  noSuchObject(place: string, bestMatch: string): LdapError {
    return new NoSuchObjectError(text(Win32.ERROR_DS_OBJ_NOT_FOUND, 'NameErr', place, Problem.NO_OBJECT, 0, `, best match of:\n\t'${bestMatch}'\n`), bestMatch);
  },
  invalidDNSyntax(place: string, detail: string): LdapError {
    return new InvalidDNSyntaxError(text(Win32.ERROR_DS_INVALID_DN_SYNTAX, 'NameErr', place, Problem.BAD_ATT_SYNTAX, 0, `, best match of:\n\t''\n`) + (detail ? `\n${detail}` : ''));
  },
  namingViolation(place: string, detail = ''): LdapError {
    return new NamingViolationError(text(Win32.ERROR_DS_NAMING_VIOLATION, 'NameErr', place, Problem.NAMING_VIOLATION, 0, detail ? `\n${detail}` : ''));
  },
  /** The parent's class is not among the object's possSuperiors (MS-ADTS 3.1.1.5.2.2, 3.1.1.5.4.2): namingViolation / ERROR_DS_ILLEGAL_SUPERIOR. */
  illegalSuperior(place: string, detail = ''): LdapError {
    return new NamingViolationError(text(Win32.ERROR_DS_ILLEGAL_SUPERIOR, 'NameErr', place, Problem.NAMING_VIOLATION, 0, detail ? `\n${detail}` : ''));
  },
  entryAlreadyExists(place: string): LdapError {
    return new EntryAlreadyExistsError(text(Win32.ERROR_DS_OBJ_STRING_NAME_EXISTS, 'UpdErr', place, Problem.ENTRY_EXISTS));
  },
  objectClassViolation(place: string, detail = ''): LdapError {
    return new ObjectClassViolationError(text(Win32.ERROR_DS_OBJ_CLASS_VIOLATION, 'UpdErr', place, Problem.OBJ_CLASS_VIOLATION, 0, detail ? `\n${detail}` : ''));
  },
  objectClassModsProhibited(place: string): LdapError {
    return new ObjectClassModsProhibitedError(text(Win32.ERROR_DS_CANT_MOD_OBJ_CLASS, 'UpdErr', place, Problem.CANT_MOD_OBJ_CLASS));
  },
  notAllowedOnNonLeaf(place: string): LdapError {
    return new NotAllowedOnNonLeafError(text(Win32.ERROR_DS_CANT_ON_NON_LEAF, 'UpdErr', place, Problem.CANT_ON_NON_LEAF));
  },
  notAllowedOnRDN(place: string): LdapError {
    return new NotAllowedOnRDNError(text(Win32.ERROR_DS_CANT_ON_RDN, 'UpdErr', place, Problem.CANT_ON_RDN));
  },
  affectsMultipleDSAs(place: string): LdapError {
    return new AffectsMultipleDSAsError(text(Win32.ERROR_DS_AFFECTS_MULTIPLE_DSAS, 'UpdErr', place, Problem.AFFECTS_MULT_DSAS));
  },
  noSuchAttribute(place: string, attid: number, name: string, win32: number = Win32.ERROR_DS_CANT_REM_MISSING_ATT_VAL): LdapError {
    return new NoSuchAttributeError(attrText(win32, place, Problem.NO_ATTRIBUTE_OR_VAL, attid, name));
  },
  /** AD's answer to adding a member a group already has: "00000562: UpdErr: …, problem 6005 (ENTRY_EXISTS)". */
  alreadyMember(place: string): LdapError {
    return new EntryAlreadyExistsError(text(Win32.ERROR_MEMBER_IN_ALIAS, 'UpdErr', place, Problem.ENTRY_EXISTS));
  },
  /** AD's answer to removing a member a group does not have: "00000561: SvcErr: …, problem 5003 (WILL_NOT_PERFORM)". */
  notMember(place: string): LdapError {
    return new UnwillingToPerformError(text(Win32.ERROR_MEMBER_NOT_IN_ALIAS, 'SvcErr', place, Problem.WILL_NOT_PERFORM));
  },
  /** unwillingToPerform with a specific win32 code first (e.g. ERROR_DS_MODIFYDN_DISALLOWED_BY_FLAG, ERROR_DS_CANT_DELETE). */
  unwillingToPerformWith(place: string, win32: number, detail = ''): LdapError {
    return new UnwillingToPerformError(text(win32, 'SvcErr', place, Problem.WILL_NOT_PERFORM, 0, detail ? `\n${detail}` : ''));
  },
  /** notAllowedOnNonLeaf (ERROR_DS_CHILDREN_EXIST): a delete of an object with children, without the tree delete control. */
  childrenExist(place: string): LdapError {
    return new NotAllowedOnNonLeafError(text(Win32.ERROR_DS_CHILDREN_EXIST, 'UpdErr', place, Problem.CANT_ON_NON_LEAF));
  },
  attributeOrValueExists(place: string, attid: number, name: string): LdapError {
    return new AttributeOrValueExistsError(attrText(Win32.ERROR_DS_ATT_VAL_ALREADY_EXISTS, place, Problem.ATT_OR_VALUE_EXISTS, attid, name));
  },
  invalidAttributeSyntax(place: string, attid: number, name: string, detail = ''): LdapError {
    return new InvalidAttributeSyntaxError(attrText(Win32.ERROR_DS_INVALID_ATTRIBUTE_SYNTAX, place, Problem.INVALID_ATT_SYNTAX, attid, name) + (detail ? detail + '\n' : ''));
  },
  constraintViolation(place: string, attid: number, name: string, win32: number = Win32.ERROR_DS_CONSTRAINT_VIOLATION, detail = ''): LdapError {
    return new ConstraintViolationError(attrText(win32, place, Problem.CONSTRAINT_ATT_TYPE, attid, name) + (detail ? detail + '\n' : ''));
  },
  /** AD refuses a name it does not know with LdapErr 00000057 "Error in attribute conversion operation". */
  undefinedAttributeType(place: string, name: string): LdapError {
    return new UndefinedAttributeTypeError(`${hex8(Win32.ERROR_INVALID_PARAMETER)}: LdapErr: ${dsid(place)}, comment: Error in attribute conversion operation, data 0, v4563\nunknown attribute ${JSON.stringify(name)}`);
  },
  /**
   * AD refuses an attribute type it does not know in an Add with noSuchAttribute (16) and the
   * same "Error in attribute conversion operation" text as undefinedAttributeType.
   */
  noSuchAttributeOnAdd(place: string, name: string): LdapError {
    return new NoSuchAttributeError(`${hex8(Win32.ERROR_INVALID_PARAMETER)}: LdapErr: ${dsid(place)}, comment: Error in attribute conversion operation, data 0, v4563\nunknown attribute or value ${JSON.stringify(name)}`);
  },
  /** operationsError (1) with a specific win32 code first (e.g. an undelete into another NC, as Windows answers it). */
  operationsErrorWith(place: string, win32: number, detail = ''): LdapError {
    return new OperationsError(text(win32, 'SvcErr', place, Problem.WILL_NOT_PERFORM, 0, detail ? `\n${detail}` : ''));
  },
  /** "other" (80) with a SAM status mapped to a Win32 code first, e.g. ERROR_INVALID_PARAMETER (MS-SAMR 3.1.1.6). */
  otherWith(place: string, win32: number, detail = ''): LdapError {
    return new OtherError(text(win32, 'SvcErr', place, Problem.WILL_NOT_PERFORM, 0, detail ? `\n${detail}` : ''));
  },
  /** insufficientAccessRights with a specific win32 code first (e.g. ERROR_ACCESS_DENIED for a SAM access check). */
  insufficientAccessWith(place: string, win32: number, detail = ''): LdapError {
    return new InsufficientAccessRightsError(text(win32, 'SecErr', place, Problem.INSUFF_ACCESS_RIGHTS, 0, detail ? `\n${detail}` : ''));
  },
  /** entryAlreadyExists with a specific win32 code first (e.g. ERROR_MEMBER_IN_GROUP). */
  entryAlreadyExistsWith(place: string, win32: number, detail = ''): LdapError {
    return new EntryAlreadyExistsError(text(win32, 'UpdErr', place, Problem.ENTRY_EXISTS, 0, detail ? `\n${detail}` : ''));
  },
  /** objectClassViolation with a specific win32 code first. */
  objectClassViolationWith(place: string, win32: number, detail = ''): LdapError {
    return new ObjectClassViolationError(text(win32, 'UpdErr', place, Problem.OBJ_CLASS_VIOLATION, 0, detail ? `\n${detail}` : ''));
  },
  inappropriateMatching(place: string, detail: string): LdapError {
    return new InappropriateMatchingError(text(Win32.ERROR_DS_INAPPROPRIATE_MATCHING, 'LdapErr', place, Problem.WRONG_MATCH_OPER, 0, `\n${detail}`));
  },
  unwillingToPerform(place: string, detail = '', data = 0): LdapError {
    return new UnwillingToPerformError(text(Win32.ERROR_DS_UNWILLING_TO_PERFORM, 'SvcErr', place, Problem.WILL_NOT_PERFORM, data, detail ? `\n${detail}` : ''));
  },
  insufficientAccess(place: string, detail = ''): LdapError {
    return new InsufficientAccessRightsError(text(Win32.ERROR_DS_INSUFF_ACCESS_RIGHTS, 'SecErr', place, Problem.INSUFF_ACCESS_RIGHTS, 0, detail ? `\n${detail}` : ''));
  },
  /** What AD answers an anonymous client that tries anything beyond the rootDSE. */
  notAuthenticated(place: string): LdapError {
    return new OperationsError(`${hex8(Win32.ERROR_NOT_AUTHENTICATED)}: LdapErr: ${dsid(place)}, comment: In order to perform this operation a successful bind must be completed on the connection., data 0, v4563`);
  },
  /** Bind failures: AD's "data" tells why (52e bad password, 525 no such user, 533 disabled, 775 locked, 532 expired). */
  invalidCredentials(place: string, data: '52e' | '525' | '530' | '531' | '532' | '533' | '701' | '773' | '775'): LdapError {
    return new InvalidCredentialsError(`${hex8(Win32.SEC_E_INVALID_TOKEN)}: LdapErr: ${dsid(place)}, comment: AcceptSecurityContext error, data ${data}, v4563`);
  },
  /**
   * A failed NTLM/SPNEGO bind as AD reports it: the SSPI status of AcceptSecurityContext first
   * (8009030C SEC_E_LOGON_DENIED, 80090346 SEC_E_BAD_BINDINGS, 80090308 SEC_E_INVALID_TOKEN), then the
   * same "data" codes as simple binds (52e, 775, 533, …).
   */
  securityContextError(place: string, sspiStatus: number, data: string): LdapError {
    return new InvalidCredentialsError(`${hex8(sspiStatus)}: LdapErr: ${dsid(place)}, comment: AcceptSecurityContext error, data ${data}, v4563`);
  },
  unavailableCriticalExtension(place: string, oid: string): LdapError {
    return new UnavailableCriticalExtensionError(text(Win32.ERROR_DS_UNAVAILABLE_CRIT_EXTENSION, 'SvcErr', place, Problem.UNAVAIL_EXTENSION, 0, `\ncritical control ${oid} is not supported for this operation`));
  },
  confidentialityRequired(place: string, detail: string): LdapError {
    return new ConfidentialityRequiredError(`${hex8(Win32.ERROR_DS_CONFIDENTIALITY_REQUIRED)}: SvcErr: ${dsid(place)}, problem 5001 (BUSY), data 0\n${detail}`);
  },
  protocolError(place: string, detail: string): LdapError {
    return new ProtocolError(`${hex8(Win32.ERROR_DS_PROTOCOL_ERROR)}: LdapErr: ${dsid(place)}, comment: ${detail}, data 0, v4563`);
  },
  adminLimitExceeded(place: string, detail: string): LdapError {
    return new AdminLimitExceededError(text(Win32.ERROR_DS_ADMIN_LIMIT_EXCEEDED, 'SvcErr', place, Problem.ADMIN_LIMIT_EXCEEDED, 0, `\n${detail}`));
  },
  sizeLimitExceeded(place: string): LdapError {
    return new SizeLimitExceededError(`${hex8(Win32.ERROR_DS_SIZELIMIT_EXCEEDED)}: LdapErr: ${dsid(place)}, comment: Size limit exceeded, data 0, v4563`);
  },
  timeLimitExceeded(place: string): LdapError {
    return new TimeLimitExceededError(`${hex8(Win32.ERROR_DS_TIMELIMIT_EXCEEDED)}: LdapErr: ${dsid(place)}, comment: Time limit exceeded, data 0, v4563`);
  },
  inappropriateAuthentication(place: string, detail: string): LdapError {
    return new InappropriateAuthenticationError(`${hex8(Win32.ERROR_DS_INAPPROPRIATE_AUTH)}: LdapErr: ${dsid(place)}, comment: ${detail}, data 0, v4563`);
  },
  authMethodNotSupported(place: string, detail: string): LdapError {
    return new AuthMethodNotSupportedError(`${hex8(Win32.ERROR_DS_AUTH_METHOD_NOT_SUPPORTED)}: LdapErr: ${dsid(place)}, comment: ${detail}, data 0, v4563`);
  },
  strongerAuthRequired(place: string, detail: string): LdapError {
    return new StrongerAuthRequiredError(`${hex8(Win32.ERROR_DS_STRONG_AUTH_REQUIRED)}: LdapErr: ${dsid(place)}, comment: ${detail}, data 0, v4563`);
  },
};

/**
 * Renders the state model's DsError (model/ds-error.ts) as AD renders a refusal over LDAP:
 * the result code, and "<win32>: <category>: DSID-…, problem <n> (<NAME>), data <n>".
 */
export function renderDsError(e: DsError): LdapError {
  const category: Category = e.problem[0] === 2001 || e.problem[0] === 2005 ? 'NameErr' : e.problem[0] === 6005 ? 'UpdErr' : 'SvcErr';
  return ldapErrorFromCode(e.ldapCode, text(e.win32, category, e.place, e.problem, e.data, e.message ? `\n${e.message}` : ''));
}

export { LdapError, DsError };
