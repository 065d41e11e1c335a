/**
 * LDAP result codes (RFC 4511 4.1.9 and Appendix A) plus the extra codes
 * Active Directory and common extensions return, and the typed LdapError
 * hierarchy thrown by the directory layer and turned into LDAPResults by
 * the server. Deliberately import-free.
 */

export const ResultCode = {
  success: 0,
  operationsError: 1,
  protocolError: 2,
  timeLimitExceeded: 3,
  sizeLimitExceeded: 4,
  compareFalse: 5,
  compareTrue: 6,
  authMethodNotSupported: 7,
  strongerAuthRequired: 8,
  /** LDAPv2 partialResults; AD still returns it to v2 clients for referrals. */
  partialResults: 9,
  referral: 10,
  adminLimitExceeded: 11,
  unavailableCriticalExtension: 12,
  confidentialityRequired: 13,
  saslBindInProgress: 14,
  noSuchAttribute: 16,
  undefinedAttributeType: 17,
  inappropriateMatching: 18,
  constraintViolation: 19,
  attributeOrValueExists: 20,
  invalidAttributeSyntax: 21,
  noSuchObject: 32,
  aliasProblem: 33,
  invalidDNSyntax: 34,
  aliasDereferencingProblem: 36,
  inappropriateAuthentication: 48,
  invalidCredentials: 49,
  insufficientAccessRights: 50,
  busy: 51,
  unavailable: 52,
  unwillingToPerform: 53,
  loopDetect: 54,
  /** draft-ietf-ldapext-ldapv3-vlv: VLV without a sort control. */
  sortControlMissing: 60,
  /** draft-ietf-ldapext-ldapv3-vlv: offset out of range. */
  offsetRangeError: 61,
  namingViolation: 64,
  objectClassViolation: 65,
  notAllowedOnNonLeaf: 66,
  notAllowedOnRDN: 67,
  entryAlreadyExists: 68,
  objectClassModsProhibited: 69,
  /** Windows LDAP_RESULTS_TOO_LARGE. */
  resultsTooLarge: 70,
  affectsMultipleDSAs: 71,
  /** draft-ietf-ldapext-ldapv3-vlv: virtualListViewError. */
  virtualListViewError: 76,
  other: 80,
  /** RFC 3909 cancel operation. */
  canceled: 118,
  noSuchOperation: 119,
  tooLate: 120,
  cannotCancel: 121,
  /** RFC 4528 assertion control. */
  assertionFailed: 122,
  /** RFC 4370 proxied authorization. */
  authorizationDenied: 123,
} as const;

export type ResultCodeName = keyof typeof ResultCode;
export type ResultCode = (typeof ResultCode)[ResultCodeName];

const NAMES: Record<number, ResultCodeName> = {};
for (const k of Object.keys(ResultCode) as ResultCodeName[]) NAMES[ResultCode[k]] = k;

/** Symbolic name of a result code, or `unknown(<n>)`. */
export function resultCodeName(code: number): string {
  return NAMES[code] ?? `unknown(${code})`;
}

/** True for codes that do not denote failure (RFC 4511 Appendix A.1). */
export function isNonErrorResultCode(code: number): boolean {
  return code === 0 || code === 5 || code === 6 || code === 10 || code === 14;
}

/**
 * An LDAP operation failure. Thrown by the directory layer; the server maps
 * it to the LDAPResult of the response (RFC 4511 4.1.9).
 */
export class LdapError extends Error {
  readonly resultCode: number;
  readonly matchedDN: string;
  readonly diagnosticMessage: string;
  /** Referral URIs (RFC 4511 4.1.10), only meaningful with resultCode referral. */
  readonly referral: string[] | undefined;

  constructor(resultCode: number, diagnosticMessage = '', matchedDN = '', referral?: string[]) {
    super(diagnosticMessage || resultCodeName(resultCode));
    this.name = new.target.name;
    this.resultCode = resultCode;
    this.diagnosticMessage = diagnosticMessage;
    this.matchedDN = matchedDN;
    this.referral = referral;
  }

  /** The LDAPResult fields for a response. */
  toResult(): { resultCode: number; matchedDN: string; diagnosticMessage: string; referral?: string[] } {
    const r: { resultCode: number; matchedDN: string; diagnosticMessage: string; referral?: string[] } = {
      resultCode: this.resultCode,
      matchedDN: this.matchedDN,
      diagnosticMessage: this.diagnosticMessage,
    };
    if (this.referral) r.referral = this.referral;
    return r;
  }
}

type Ctor = new (diagnosticMessage?: string, matchedDN?: string) => LdapError;

// One typed error per failure code.
export class OperationsError extends LdapError { constructor(m = '', dn = '') { super(1, m, dn); } }
export class ProtocolError extends LdapError { constructor(m = '', dn = '') { super(2, m, dn); } }
export class TimeLimitExceededError extends LdapError { constructor(m = '', dn = '') { super(3, m, dn); } }
export class SizeLimitExceededError extends LdapError { constructor(m = '', dn = '') { super(4, m, dn); } }
export class AuthMethodNotSupportedError extends LdapError { constructor(m = '', dn = '') { super(7, m, dn); } }
export class StrongerAuthRequiredError extends LdapError { constructor(m = '', dn = '') { super(8, m, dn); } }
export class PartialResultsError extends LdapError { constructor(m = '', dn = '') { super(9, m, dn); } }
export class ReferralError extends LdapError { constructor(m = '', dn = '', referral?: string[]) { super(10, m, dn, referral); } }
export class AdminLimitExceededError extends LdapError { constructor(m = '', dn = '') { super(11, m, dn); } }
export class UnavailableCriticalExtensionError extends LdapError { constructor(m = '', dn = '') { super(12, m, dn); } }
export class ConfidentialityRequiredError extends LdapError { constructor(m = '', dn = '') { super(13, m, dn); } }
export class SaslBindInProgressError extends LdapError { constructor(m = '', dn = '') { super(14, m, dn); } }
export class NoSuchAttributeError extends LdapError { constructor(m = '', dn = '') { super(16, m, dn); } }
export class UndefinedAttributeTypeError extends LdapError { constructor(m = '', dn = '') { super(17, m, dn); } }
export class InappropriateMatchingError extends LdapError { constructor(m = '', dn = '') { super(18, m, dn); } }
export class ConstraintViolationError extends LdapError { constructor(m = '', dn = '') { super(19, m, dn); } }
export class AttributeOrValueExistsError extends LdapError { constructor(m = '', dn = '') { super(20, m, dn); } }
export class InvalidAttributeSyntaxError extends LdapError { constructor(m = '', dn = '') { super(21, m, dn); } }
export class NoSuchObjectError extends LdapError { constructor(m = '', dn = '') { super(32, m, dn); } }
export class AliasProblemError extends LdapError { constructor(m = '', dn = '') { super(33, m, dn); } }
export class InvalidDNSyntaxError extends LdapError { constructor(m = '', dn = '') { super(34, m, dn); } }
export class AliasDereferencingProblemError extends LdapError { constructor(m = '', dn = '') { super(36, m, dn); } }
export class InappropriateAuthenticationError extends LdapError { constructor(m = '', dn = '') { super(48, m, dn); } }
export class InvalidCredentialsError extends LdapError { constructor(m = '', dn = '') { super(49, m, dn); } }
export class InsufficientAccessRightsError extends LdapError { constructor(m = '', dn = '') { super(50, m, dn); } }
export class BusyError extends LdapError { constructor(m = '', dn = '') { super(51, m, dn); } }
export class UnavailableError extends LdapError { constructor(m = '', dn = '') { super(52, m, dn); } }
export class UnwillingToPerformError extends LdapError { constructor(m = '', dn = '') { super(53, m, dn); } }
export class LoopDetectError extends LdapError { constructor(m = '', dn = '') { super(54, m, dn); } }
export class SortControlMissingError extends LdapError { constructor(m = '', dn = '') { super(60, m, dn); } }
export class OffsetRangeError extends LdapError { constructor(m = '', dn = '') { super(61, m, dn); } }
export class NamingViolationError extends LdapError { constructor(m = '', dn = '') { super(64, m, dn); } }
export class ObjectClassViolationError extends LdapError { constructor(m = '', dn = '') { super(65, m, dn); } }
export class NotAllowedOnNonLeafError extends LdapError { constructor(m = '', dn = '') { super(66, m, dn); } }
export class NotAllowedOnRDNError extends LdapError { constructor(m = '', dn = '') { super(67, m, dn); } }
export class EntryAlreadyExistsError extends LdapError { constructor(m = '', dn = '') { super(68, m, dn); } }
export class ObjectClassModsProhibitedError extends LdapError { constructor(m = '', dn = '') { super(69, m, dn); } }
export class ResultsTooLargeError extends LdapError { constructor(m = '', dn = '') { super(70, m, dn); } }
export class AffectsMultipleDSAsError extends LdapError { constructor(m = '', dn = '') { super(71, m, dn); } }
export class VirtualListViewError extends LdapError { constructor(m = '', dn = '') { super(76, m, dn); } }
export class OtherError extends LdapError { constructor(m = '', dn = '') { super(80, m, dn); } }
export class CanceledError extends LdapError { constructor(m = '', dn = '') { super(118, m, dn); } }
export class NoSuchOperationError extends LdapError { constructor(m = '', dn = '') { super(119, m, dn); } }
export class TooLateError extends LdapError { constructor(m = '', dn = '') { super(120, m, dn); } }
export class CannotCancelError extends LdapError { constructor(m = '', dn = '') { super(121, m, dn); } }
export class AssertionFailedError extends LdapError { constructor(m = '', dn = '') { super(122, m, dn); } }
export class AuthorizationDeniedError extends LdapError { constructor(m = '', dn = '') { super(123, m, dn); } }

const BY_CODE: Record<number, Ctor> = {
  1: OperationsError, 2: ProtocolError, 3: TimeLimitExceededError, 4: SizeLimitExceededError,
  7: AuthMethodNotSupportedError, 8: StrongerAuthRequiredError, 9: PartialResultsError, 10: ReferralError,
  11: AdminLimitExceededError, 12: UnavailableCriticalExtensionError, 13: ConfidentialityRequiredError,
  14: SaslBindInProgressError, 16: NoSuchAttributeError, 17: UndefinedAttributeTypeError,
  18: InappropriateMatchingError, 19: ConstraintViolationError, 20: AttributeOrValueExistsError,
  21: InvalidAttributeSyntaxError, 32: NoSuchObjectError, 33: AliasProblemError, 34: InvalidDNSyntaxError,
  36: AliasDereferencingProblemError, 48: InappropriateAuthenticationError, 49: InvalidCredentialsError,
  50: InsufficientAccessRightsError, 51: BusyError, 52: UnavailableError, 53: UnwillingToPerformError,
  54: LoopDetectError, 60: SortControlMissingError, 61: OffsetRangeError, 64: NamingViolationError,
  65: ObjectClassViolationError, 66: NotAllowedOnNonLeafError, 67: NotAllowedOnRDNError,
  68: EntryAlreadyExistsError, 69: ObjectClassModsProhibitedError, 70: ResultsTooLargeError,
  71: AffectsMultipleDSAsError, 76: VirtualListViewError, 80: OtherError, 118: CanceledError,
  119: NoSuchOperationError, 120: TooLateError, 121: CannotCancelError, 122: AssertionFailedError,
  123: AuthorizationDeniedError,
};

/**
 * Creates the typed error for a result code (generic LdapError for codes
 * without a dedicated class, e.g. success/compareTrue or unknown codes).
 */
export function ldapErrorFromCode(resultCode: number, diagnosticMessage = '', matchedDN = '', referral?: string[]): LdapError {
  if (resultCode === ResultCode.referral) return new ReferralError(diagnosticMessage, matchedDN, referral);
  const C = BY_CODE[resultCode];
  return C ? new C(diagnosticMessage, matchedDN) : new LdapError(resultCode, diagnosticMessage, matchedDN, referral);
}
