// Security principals in the domain NC (MS-ADTS 3.1.1.5.2.4 and the SAM rules of 3.1.1.6):
// objectSid = domain SID + a RID never used before, sAMAccountName unique in the domain,
// sAMAccountType derived from the class and groupType/userAccountControl, and the
// defaults Windows gives a new user, computer or group.
import type { StoredValue } from '../schema/syntaxes/syntax.js';
import { sidToString } from '../schema/syntaxes/index.js';
import { indexKey, type ReadTxn } from '../store/store.js';
import type { OriginatingUpdate } from './originating-update.js';
import type { AttrInfo } from './schema-binding.js';
import type { Directory } from './directory.js';
import type { CreateOptions } from './add.js';
import { AdError, Win32 } from './errors.js';
import { randomUUID } from 'node:crypto';
import { defaultPrimaryGroupId, isDomainControllerAccount, userAccountControlOnAdd } from './sam/user-account-control.js';
import { checkPrimaryGroupIdOnAdd } from './sam/primary-group-id.js';
import { pwdLastSetValue } from './sam/pwd-last-set.js';
import { groupScope } from './sam/group-type.js';
import { checkSamDescription } from './sam/index.js';
import { checkSpnUniqueness } from './sam/service-principal-name.js';
import { takeRidForCreate } from './rid-set.js';

/** groupType bits (MS-ADTS 2.2.12). */
export const GroupType = {
  GROUP_TYPE_BUILTIN_LOCAL_GROUP: 0x00000001,
  GROUP_TYPE_ACCOUNT_GROUP: 0x00000002,
  GROUP_TYPE_RESOURCE_GROUP: 0x00000004,
  GROUP_TYPE_UNIVERSAL_GROUP: 0x00000008,
  GROUP_TYPE_APP_BASIC_GROUP: 0x00000010,
  GROUP_TYPE_APP_QUERY_GROUP: 0x00000020,
  GROUP_TYPE_SECURITY_ENABLED: 0x80000000,
} as const;

/** userAccountControl bits (MS-ADTS 2.2.16). */
export const UF = {
  SCRIPT: 0x1,
  ACCOUNTDISABLE: 0x2,
  HOMEDIR_REQUIRED: 0x8,
  LOCKOUT: 0x10,
  PASSWD_NOTREQD: 0x20,
  PASSWD_CANT_CHANGE: 0x40,
  ENCRYPTED_TEXT_PASSWORD_ALLOWED: 0x80,
  TEMP_DUPLICATE_ACCOUNT: 0x100,
  NORMAL_ACCOUNT: 0x200,
  INTERDOMAIN_TRUST_ACCOUNT: 0x800,
  WORKSTATION_TRUST_ACCOUNT: 0x1000,
  SERVER_TRUST_ACCOUNT: 0x2000,
  DONT_EXPIRE_PASSWD: 0x10000,
  MNS_LOGON_ACCOUNT: 0x20000,
  SMARTCARD_REQUIRED: 0x40000,
  TRUSTED_FOR_DELEGATION: 0x80000,
  NOT_DELEGATED: 0x100000,
  USE_DES_KEY_ONLY: 0x200000,
  DONT_REQUIRE_PREAUTH: 0x400000,
  PASSWORD_EXPIRED: 0x800000,
  TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION: 0x1000000,
  NO_AUTH_DATA_REQUIRED: 0x2000000,
  PARTIAL_SECRETS_ACCOUNT: 0x4000000,
} as const;

/** sAMAccountType values (MS-ADA3 2.223 "Attribute sAMAccountType"; MS-SAMR 2.2.1.9 ACCOUNT_TYPE). */
export const SamAccountType = {
  SAM_DOMAIN_OBJECT: 0x0,
  SAM_GROUP_OBJECT: 0x10000000,
  SAM_NON_SECURITY_GROUP_OBJECT: 0x10000001,
  SAM_ALIAS_OBJECT: 0x20000000,
  SAM_NON_SECURITY_ALIAS_OBJECT: 0x20000001,
  SAM_USER_OBJECT: 0x30000000,
  SAM_MACHINE_ACCOUNT: 0x30000001,
  SAM_TRUST_ACCOUNT: 0x30000002,
  SAM_APP_BASIC_GROUP: 0x40000000,
  SAM_APP_QUERY_GROUP: 0x40000001,
} as const;

/** Well-known domain RIDs (MS-ADTS 2.2.15). */
export const Rid = {
  ADMINISTRATOR: 500,
  GUEST: 501,
  KRBTGT: 502,
  DOMAIN_ADMINS: 512,
  DOMAIN_USERS: 513,
  DOMAIN_GUESTS: 514,
  DOMAIN_COMPUTERS: 515,
  DOMAIN_CONTROLLERS: 516,
  CERT_PUBLISHERS: 517,
  SCHEMA_ADMINS: 518,
  ENTERPRISE_ADMINS: 519,
  GROUP_POLICY_CREATOR_OWNERS: 520,
  READONLY_DOMAIN_CONTROLLERS: 521,
  CLONEABLE_CONTROLLERS: 522,
  PROTECTED_USERS: 525,
  KEY_ADMINS: 526,
  ENTERPRISE_KEY_ADMINS: 527,
  RAS_AND_IAS_SERVERS: 553,
  ALLOWED_RODC_PASSWORD_REPLICATION_GROUP: 571,
  DENIED_RODC_PASSWORD_REPLICATION_GROUP: 572,
  ENTERPRISE_READONLY_DOMAIN_CONTROLLERS: 498,
  DNS_ADMINS_FIRST_FREE: 1101,
} as const;

export function sidWithRid(domainSid: Uint8Array, rid: number): Buffer {
  const d = Buffer.from(domainSid);
  const out = Buffer.alloc(d.length + 4);
  d.copy(out);
  out[1] = d[1]! + 1; // SubAuthorityCount
  out.writeUInt32LE(rid >>> 0, d.length);
  return out;
}

export function ridOf(sid: Uint8Array): number {
  const b = Buffer.from(sid);
  return b.readUInt32LE(b.length - 4);
}

/** Hands out the next RID of this DC's RID Set (src/dsa/rid-set.ts); RIDs are never reused (MS-ADTS 3.1.1.5.2.4). */
export function allocateRid(dir: Directory, u: OriginatingUpdate): number {
  return takeRidForCreate(dir, u);
}

function isSecurityPrincipal(dir: Directory, ocNames: string[]): boolean {
  const snap = dir.schema.snapshot;
  for (const n of ocNames) {
    const ci = snap.classInfo(n);
    if (ci && (ci.auxiliaryClasses.includes('securityPrincipal') || n === 'securityPrincipal')) return true;
  }
  return false;
}

/**
 * The sAMAccountName AD gives a principal added without one: $XXXXXX-XXXXXXXXXXXX, 18 random
 * upper-case hex digits. They are taken from a v4 UUID's random digits (the first 6 and the last
 * 12, none of its version or variant digits: 72 random bits, as randomBytes(9) gave): randomUUID
 * draws from a buffered entropy pool, randomBytes calls into OpenSSL on every create.
 */
export function generatedSamAccountName(): string {
  const t = randomUUID();
  return `$${t.slice(0, 6)}-${t.slice(24, 36)}`.toUpperCase();
}

/**
 * Applies the security-principal rules to the values of a new object (mutates `values`).
 * `opts.system` lets provisioning give well-known objects their fixed SIDs.
 */
export function applySecurityPrincipalRules(dir: Directory, u: OriginatingUpdate, values: Map<AttrInfo, StoredValue[]>, ocNames: string[], opts: CreateOptions, _guid: Buffer): void {
  if (!isSecurityPrincipal(dir, ocNames)) return;
  const A = (n: string) => dir.schema.attr(n)!;
  const place = opts.place;
  const isGroup = ocNames.includes('group');
  const isComputer = ocNames.includes('computer');
  const isUser = ocNames.includes('user');
  if (!isGroup && !isUser) return; // foreignSecurityPrincipal etc. keep what they are given

  // objectSid: domain SID + new RID, unless the system gave one (well-known principals)
  if (!values.has(A('objectSid'))) values.set(A('objectSid'), [sidWithRid(dir.forest.domainSid, allocateRid(dir, u))]);

  // sAMAccountName: generated when absent ($XXXXXX-XXXXXXXXXXXX, as AD does); unique in the domain
  if (!values.has(A('sAMAccountName'))) values.set(A('sAMAccountName'), [generatedSamAccountName()]);
  checkSamAccountName(dir, u.txn, values.get(A('sAMAccountName'))![0] as string, undefined, place);
  const upn = values.get(A('userPrincipalName'))?.[0];
  if (upn !== undefined) checkUserPrincipalName(dir, u.txn, upn as string, undefined, place);

  checkSamDescription(dir, ocNames, values.get(A('description')), place);
  const spns = values.get(A('servicePrincipalName'));
  if (spns && !opts.system) checkSpnUniqueness(dir, u.txn, undefined, spns);
  if (isGroup) {
    // groupType defaults to a global security group (MS-ADTS 3.1.1.5.2.4, MS-SAMR 3.1.1.8)
    if (!values.has(A('groupType'))) values.set(A('groupType'), [(GroupType.GROUP_TYPE_ACCOUNT_GROUP | GroupType.GROUP_TYPE_SECURITY_ENABLED) | 0]);
    const gt = (values.get(A('groupType'))![0] as number) >>> 0;
    if (gt & GroupType.GROUP_TYPE_BUILTIN_LOCAL_GROUP && !opts.system) throw AdError.unwillingToPerform(place, 'builtin local groups are created by the system only', 0x531);
    groupScope(gt);
    values.set(A('sAMAccountType'), [samAccountTypeOfGroup(gt)]);
    return;
  }
  // users and computers: userAccountControl (MS-SAMR 3.1.1.8.10), then what follows from it (3.1.1.8.1)
  const givenUac = values.get(A('userAccountControl'))?.[0] as number | undefined;
  const uac = userAccountControlOnAdd(givenUac, { computer: isComputer }, opts.system);
  values.set(A('userAccountControl'), [uac]);
  values.set(A('sAMAccountType'), [samAccountTypeOfUser(uac >>> 0)]);
  const impliedGroup = defaultPrimaryGroupId(uac);
  const givenGroup = values.get(A('primaryGroupID'))?.[0] as number | undefined;
  if (givenGroup === undefined) values.set(A('primaryGroupID'), [impliedGroup]);
  else if (!opts.system) checkPrimaryGroupIdOnAdd(givenGroup, impliedGroup);
  // MS-SAMR 3.1.1.8.8: a client gives pwdLastSet 0 or -1 (now)
  const pls = values.get(A('pwdLastSet'))?.[0];
  if (pls !== undefined && !opts.system) values.set(A('pwdLastSet'), [pwdLastSetValue(pls as bigint, u.time)]);
  if (isDomainControllerAccount(uac) && !values.has(A('isCriticalSystemObject'))) values.set(A('isCriticalSystemObject'), [true]);
  for (const [n, v] of [
    ['pwdLastSet', 0n],
    ['accountExpires', 0x7fffffffffffffffn],
    ['badPwdCount', 0],
    ['badPasswordTime', 0n],
    ['lastLogon', 0n],
    ['lastLogoff', 0n],
    ['logonCount', 0],
    ['codePage', 0],
    ['countryCode', 0],
  ] as const) {
    if (!values.has(A(n))) values.set(A(n), [v]);
  }
}

/**
 * sAMAccountName rules shared by add and modify (MS-ADTS 3.1.1.5.2.4, 3.1.1.5.3 "Modify Operation"): the
 * characters AD refuses, and uniqueness in the domain; `self` is the object being modified.
 */
export function checkSamAccountName(dir: Directory, r: ReadTxn, sam: string, self: Buffer | undefined, place: string): void {
  const samInfo = dir.schema.attr('sAMAccountName')!;
  if (/["/\\[\]:;|=,+*?<>@]/.test(sam) || sam.length > 256) {
    throw AdError.constraintViolation(place, samInfo.id, 'sAMAccountName', undefined, `sAMAccountName ${JSON.stringify(sam)} has a character AD does not allow`);
  }
  for (const g of r.indexEqual(indexKey(samInfo.id, samInfo.syntax.normalize(sam)))) {
    if ((!self || !g.equals(self)) && !isDeletedObject(dir, r, g)) throw AdError.entryAlreadyExists(place + '.sAMAccountName');
  }
}

/** userPrincipalName is unique in the forest (MS-ADTS 3.1.1.5.2.4 / 3.1.1.5.1.3 "Uniqueness Constraints", ERROR_DS_UPN_VALUE_NOT_UNIQUE_IN_FOREST). */
export function checkUserPrincipalName(dir: Directory, r: ReadTxn, upn: string, self: Buffer | undefined, place: string): void {
  const upnInfo = dir.schema.attr('userPrincipalName')!;
  for (const g of r.indexEqual(indexKey(upnInfo.id, upnInfo.syntax.normalize(upn)))) {
    if ((!self || !g.equals(self)) && !isDeletedObject(dir, r, g)) throw AdError.constraintViolation(place + '.userPrincipalName', upnInfo.id, 'userPrincipalName', Win32.ERROR_DS_UPN_VALUE_NOT_UNIQUE_IN_FOREST, `userPrincipalName ${upn} is in use`); // MS-ADTS 3.1.1.5.1.3
  }
}

/** Tombstones keep sAMAccountName (MS-ADTS 3.1.1.5.5.6.1) but do not hold it: a live object may take it. */
function isDeletedObject(dir: Directory, r: ReadTxn, guid: Buffer): boolean {
  const id = dir.schema.attr('isDeleted')!.id;
  return r.getObject(guid)?.attrs.find((a) => a.id === id)?.values[0] === true;
}

/** The account type bits of userAccountControl (exactly one must be set). */
export const UF_ACCOUNT_TYPE_MASK = UF.NORMAL_ACCOUNT | UF.INTERDOMAIN_TRUST_ACCOUNT | UF.WORKSTATION_TRUST_ACCOUNT | UF.SERVER_TRUST_ACCOUNT | UF.TEMP_DUPLICATE_ACCOUNT;

/** The group scope bits of groupType (exactly one must be set). */
export const GROUP_TYPE_SCOPE_MASK = GroupType.GROUP_TYPE_ACCOUNT_GROUP | GroupType.GROUP_TYPE_RESOURCE_GROUP | GroupType.GROUP_TYPE_UNIVERSAL_GROUP | GroupType.GROUP_TYPE_APP_BASIC_GROUP | GroupType.GROUP_TYPE_APP_QUERY_GROUP;

export function samAccountTypeOfGroup(gt: number): number {
  const sec = (gt & GroupType.GROUP_TYPE_SECURITY_ENABLED) !== 0;
  if (gt & (GroupType.GROUP_TYPE_BUILTIN_LOCAL_GROUP | GroupType.GROUP_TYPE_RESOURCE_GROUP)) return sec ? SamAccountType.SAM_ALIAS_OBJECT : SamAccountType.SAM_NON_SECURITY_ALIAS_OBJECT;
  if (gt & GroupType.GROUP_TYPE_APP_BASIC_GROUP) return SamAccountType.SAM_APP_BASIC_GROUP;
  if (gt & GroupType.GROUP_TYPE_APP_QUERY_GROUP) return SamAccountType.SAM_APP_QUERY_GROUP;
  return sec ? SamAccountType.SAM_GROUP_OBJECT : SamAccountType.SAM_NON_SECURITY_GROUP_OBJECT;
}

export function samAccountTypeOfUser(uac: number): number {
  if (uac & (UF.WORKSTATION_TRUST_ACCOUNT | UF.SERVER_TRUST_ACCOUNT)) return SamAccountType.SAM_MACHINE_ACCOUNT;
  if (uac & UF.INTERDOMAIN_TRUST_ACCOUNT) return SamAccountType.SAM_TRUST_ACCOUNT;
  return SamAccountType.SAM_USER_OBJECT;
}

export function describeSid(sid: Uint8Array): string {
  return sidToString(sid);
}
