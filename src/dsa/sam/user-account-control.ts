// userAccountControl of user and computer objects (MS-SAMR 3.1.1.8.10 "userAccountControl",
// 3.1.1.8.1 "objectClass" for the values derived from it; MS-SAMR 2.2.1.13 for the bits), as
// AD applies them to LDAP adds and modifies. Where the spec leaves a result code
// "implementation-specific", the codes are the ones Windows returns (recorded by Samba's
// source4/dsdb/tests/python/sam.py, test_userAccountControl, run against Windows).
import { AdError, Win32 } from '../errors.js';
import { Rid, UF, UF_ACCOUNT_TYPE_MASK } from '../principals.js';

const PLACE = 'dsa.sam.userAccountControl';

/** What the rules need to know of the object. */
export interface AccountKind {
  /** objectClass includes computer (or a subclass) */
  computer: boolean;
}

/**
 * MS-SAMR 3.1.1.8.1 / 3.1.1.8.10 on Add: the value a new account gets. Absent, a user gets
 * NORMAL_ACCOUNT|ACCOUNTDISABLE|PASSWD_NOTREQD and a computer
 * WORKSTATION_TRUST_ACCOUNT|ACCOUNTDISABLE|PASSWD_NOTREQD (4130), as Windows does.
 */
export function userAccountControlOnAdd(given: number | undefined, kind: AccountKind, system: boolean): number {
  if (given === undefined) return (kind.computer ? UF.WORKSTATION_TRUST_ACCOUNT : UF.NORMAL_ACCOUNT) | UF.ACCOUNTDISABLE | UF.PASSWD_NOTREQD;
  let uac = given >>> 0;
  if (!system) {
    checkAccountTypeBits(uac, kind, 'add');
  }
  // MS-SAMR 3.1.1.8.10 (2): UF_LOCKOUT and UF_PASSWORD_EXPIRED are never stored
  uac &= ~(UF.LOCKOUT | UF.PASSWORD_EXPIRED);
  // no account type given: a normal account (Windows, for users and computers alike)
  if ((uac & UF_ACCOUNT_TYPE_MASK) === 0) uac |= UF.NORMAL_ACCOUNT;
  checkSingleAccountType(uac);
  return uac | 0;
}

/**
 * MS-SAMR 3.1.1.8.10 on Modify: the value stored for a requested `next`; `before` is the
 * stored value. A value with no account type gets NORMAL_ACCOUNT (a replace with only
 * ACCOUNTDISABLE disables a normal account, as on Windows).
 */
export function userAccountControlOnModify(next: number, _before: number, kind: AccountKind): number {
  let uac = next >>> 0;
  checkAccountTypeBits(uac, kind, 'modify');
  uac &= ~(UF.LOCKOUT | UF.PASSWORD_EXPIRED);
  if ((uac & UF_ACCOUNT_TYPE_MASK) === 0) uac |= UF.NORMAL_ACCOUNT;
  checkSingleAccountType(uac);
  return uac | 0;
}

/** The refusals of account type bits a client may not set. */
function checkAccountTypeBits(uac: number, kind: AccountKind, op: 'add' | 'modify'): void {
  // TEMP_DUPLICATE_ACCOUNT: STATUS_INVALID_PARAMETER, which AD returns as "other" (80) / ERROR_INVALID_PARAMETER
  if (uac & UF.TEMP_DUPLICATE_ACCOUNT) throw AdError.otherWith(PLACE, Win32.ERROR_INVALID_PARAMETER, 'UF_TEMP_DUPLICATE_ACCOUNT cannot be set');
  // INTERDOMAIN_TRUST_ACCOUNT: only the system (LSA trust creation) may set it (STATUS_ACCESS_DENIED)
  if (uac & UF.INTERDOMAIN_TRUST_ACCOUNT) throw AdError.insufficientAccessWith(PLACE, Win32.ERROR_ACCESS_DENIED, 'UF_INTERDOMAIN_TRUST_ACCOUNT is set by the system only');
  if (!kind.computer) {
    // a user object is not a DC account; on Add not a workstation account either
    if (op === 'add' && uac & (UF.SERVER_TRUST_ACCOUNT | UF.WORKSTATION_TRUST_ACCOUNT)) {
      throw AdError.objectClassViolationWith(PLACE, Win32.ERROR_DS_OBJ_CLASS_VIOLATION, 'a user object cannot be created as a machine account (use objectClass computer)');
    }
    if (op === 'modify' && uac & UF.SERVER_TRUST_ACCOUNT) throw AdError.unwillingToPerform(PLACE, 'a user object cannot become a domain controller account');
  }
}

function checkSingleAccountType(uac: number): void {
  const types = uac & UF_ACCOUNT_TYPE_MASK;
  if ((types & (types - 1)) !== 0) throw AdError.unwillingToPerform(PLACE, 'userAccountControl must name exactly one account type', 0x523);
}

/** The account type bits of a value. */
export function accountType(uac: number): number {
  return (uac >>> 0) & UF_ACCOUNT_TYPE_MASK;
}

/** MS-SAMR 3.1.1.8.1: the primaryGroupID an account of this userAccountControl gets. */
export function defaultPrimaryGroupId(uac: number): number {
  const u = uac >>> 0;
  if (u & UF.SERVER_TRUST_ACCOUNT) return Rid.DOMAIN_CONTROLLERS;
  if (u & UF.WORKSTATION_TRUST_ACCOUNT) return u & UF.PARTIAL_SECRETS_ACCOUNT ? Rid.READONLY_DOMAIN_CONTROLLERS : Rid.DOMAIN_COMPUTERS;
  return Rid.DOMAIN_USERS;
}

/**
 * A domain controller's account is a critical system object (it is replicated first, and a
 * delete is refused, MS-ADTS 3.1.1.5.5.3): forestd sets isCriticalSystemObject TRUE whenever
 * UF_SERVER_TRUST_ACCOUNT or UF_PARTIAL_SECRETS_ACCOUNT (an RODC) is set, as Windows does for
 * DC accounts. The spec text found does not name this rule; see the closing note of issue 13.
 */
export function isDomainControllerAccount(uac: number): boolean {
  const u = uac >>> 0;
  return (u & UF.SERVER_TRUST_ACCOUNT) !== 0 || ((u & UF.WORKSTATION_TRUST_ACCOUNT) !== 0 && (u & UF.PARTIAL_SECRETS_ACCOUNT) !== 0);
}
