// The SAM's rules for LDAP writes to security principals (MS-SAMR 3.1.1.6 "Attribute
// Constraints for Originating Updates", 3.1.1.8 "Attribute handling", 3.1.1.9 triggers),
// which AD applies to LDAP adds and modifies as well as to SAMR calls. One file per rule:
//   user-account-control.ts  MS-SAMR 3.1.1.8.10   primary-group-id.ts  MS-SAMR 3.1.1.8.2
//   pwd-last-set.ts          MS-SAMR 3.1.1.8.8    group-type.ts        groupType scope changes
//   (here) lockoutTime 0 clears badPwdCount, MS-SAMR 3.1.1.8.3
//   protected-attributes.ts  values a SAM object cannot lose
// add.ts calls them through principals.ts (applySecurityPrincipalRules); modify.ts through
// samModifyRules below, with a view of the request's working state; delete.ts through
// samDeleteRules.
import type { ReadTxn } from '../../store/store.js';
import type { ObjectRecord } from '../../store/record.js';
import type { StoredValue } from '../../schema/syntaxes/syntax.js';
import type { Directory } from '../directory.js';
import type { OriginatingUpdate } from '../originating-update.js';
import type { AttrInfo } from '../schema-binding.js';
import { AdError } from '../errors.js';
import { UF, samAccountTypeOfGroup, samAccountTypeOfUser } from '../principals.js';
import { accountType, defaultPrimaryGroupId, isDomainControllerAccount, userAccountControlOnModify } from './user-account-control.js';
import { checkDeleteOfPrimaryGroup, checkMemberChangesOfPrimaryGroup, primaryGroupIdChange } from './primary-group-id.js';
import { pwdLastSetValue } from './pwd-last-set.js';
import { checkGroupTypeChange, groupScope } from './group-type.js';
import { undeletableAttributes } from './protected-attributes.js';
import { checkSpnUniqueness, rewriteSpns } from './service-principal-name.js';
import { checkFsmoRoleOwner } from './fsmo-role-owner.js';

const PLACE = 'dsa.sam';

/** What a modify's SAM rules see of the request: the object, and the attributes as the changes leave them. */
export interface SamModifyView {
  readonly dir: Directory;
  readonly r: ReadTxn;
  readonly guid: Buffer;
  readonly prev: ObjectRecord;
  /** lDAPDisplayNames of the object's classes after the request */
  readonly ocNames: string[];
  /** the attribute's values after the request's changes, and those the request put there; undefined when it did not touch it */
  touched(name: string): { values: StoredValue[]; added: StoredValue[] } | undefined;
  /** the values stored before the request */
  stored(name: string): StoredValue[];
  /** rewrites the values a touched attribute ends with */
  rewrite(name: string, values: StoredValue[]): void;
  /** the link targets the request adds to and removes from a forward link attribute */
  linkChanges(name: string): { added: Buffer[]; removed: Buffer[] };
}

export interface SamModifyResult {
  /** attributes the rules derive (not touched by the request) */
  derived: [AttrInfo, StoredValue[]][];
  /** writes to other objects that go with the update (group memberships) */
  after: ((u: OriginatingUpdate) => void)[];
}

export function samKind(ocNames: string[]): { user: boolean; group: boolean; computer: boolean } {
  return { user: ocNames.includes('user'), group: ocNames.includes('group'), computer: ocNames.includes('computer') };
}

/** Objects the SAM manages: "description" is single-valued on them (AD enforces it, the schema says multi-valued). */
function isSamObject(ocNames: string[]): boolean {
  return ocNames.some((n) => n === 'user' || n === 'group' || n === 'samServer' || n === 'domainDNS' || n === 'builtinDomain');
}

/** MS-SAMR 3.1.1.8 for the single-valued description of SAM objects: Windows answers attributeOrValueExists. */
export function checkSamDescription(dir: Directory, ocNames: string[], values: StoredValue[] | undefined, place: string): void {
  if (values && values.length > 1 && isSamObject(ocNames)) {
    const info = dir.schema.attr('description')!;
    throw AdError.attributeOrValueExists(place, info.id, info.name);
  }
}

/** The SAM rules of one modify (MS-SAMR 3.1.1.6, 3.1.1.8), run before the schema checks of the object. */
export function samModifyRules(v: SamModifyView): SamModifyResult {
  const { dir } = v;
  const A = (n: string) => dir.schema.attr(n)!;
  const out: SamModifyResult = { derived: [], after: [] };
  const kind = samKind(v.ocNames);

  for (const name of undeletableAttributes(kind)) {
    const t = v.touched(name);
    if (t && t.values.length === 0 && v.stored(name).length > 0) throw AdError.unwillingToPerform(PLACE, `${name} cannot be removed from this object`);
  }
  checkSamDescription(dir, v.ocNames, v.touched('description')?.values, PLACE);
  const fsmoT = v.touched('fSMORoleOwner');
  if (fsmoT) checkFsmoRoleOwner(dir, v.r, fsmoT.values, 'modify');

  // servicePrincipalName: follows dNSHostName and sAMAccountName, unique in the forest
  const spnT = v.touched('servicePrincipalName');
  const one = (n: string) => {
    const t = v.touched(n);
    return { from: v.stored(n)[0] as string | undefined, to: t ? (t.values[0] as string | undefined) : undefined };
  };
  const spnsNow = (spnT ? spnT.values : v.stored('servicePrincipalName')) as string[];
  const rewritten = spnsNow.length > 0 && (v.touched('dNSHostName') || v.touched('sAMAccountName')) ? rewriteSpns(spnsNow, one('dNSHostName'), one('sAMAccountName')) : undefined;
  if (rewritten) {
    if (spnT) v.rewrite('servicePrincipalName', rewritten);
    else out.derived.push([A('servicePrincipalName'), rewritten]);
    const before = new Set((v.stored('servicePrincipalName') as string[]).map((x) => x.toLowerCase()));
    checkSpnUniqueness(dir, v.r, v.guid, rewritten.filter((x) => !before.has(x.toLowerCase())));
  } else if (spnT && spnT.added.length > 0) checkSpnUniqueness(dir, v.r, v.guid, spnT.added);

  if (kind.user) {
    const uacT = v.touched('userAccountControl');
    if (uacT && uacT.values.length === 1) {
      const before = ((v.stored('userAccountControl')[0] as number | undefined) ?? 0) >>> 0;
      const requested = (uacT.values[0] as number) >>> 0;
      const next = userAccountControlOnModify(requested, before, { computer: kind.computer });
      v.rewrite('userAccountControl', [next]);
      // MS-SAMR 3.1.1.8.10 (1): UF_LOCKOUT given and lockoutTime nonzero → lockoutTime 0
      const lockout = v.stored('lockoutTime')[0];
      if (requested & UF.LOCKOUT && lockout !== undefined && BigInt(lockout as bigint) !== 0n && !v.touched('lockoutTime')) out.derived.push([A('lockoutTime'), [0n]]);
      out.derived.push([A('sAMAccountType'), [samAccountTypeOfUser(next >>> 0)]]);
      // MS-SAMR 3.1.1.8.1: a new account type brings its primary group; the same type keeps it
      if (accountType(next) !== accountType(before) && !v.touched('primaryGroupID')) out.derived.push([A('primaryGroupID'), [defaultPrimaryGroupId(next)]]);
      if (isDomainControllerAccount(next) && !isDomainControllerAccount(before)) out.derived.push([A('isCriticalSystemObject'), [true]]);
    }
    // MS-SAMR 3.1.1.8.3: "If the lockoutTime attribute value is 0, badPwdCount MUST be updated to
    // the value of 0": lockoutTime written 0 (an administrator's unlock), or made 0 just above
    const ltT = v.touched('lockoutTime');
    const unlocked = ltT ? ltT.values.length === 1 && BigInt(ltT.values[0] as bigint) === 0n : out.derived.some(([a, x]) => a.name === 'lockoutTime' && x[0] === 0n);
    const bad = v.stored('badPwdCount')[0];
    if (unlocked && !v.touched('badPwdCount') && bad !== undefined && Number(bad) !== 0) out.derived.push([A('badPwdCount'), [0]]);
    const pgT = v.touched('primaryGroupID');
    if (pgT && pgT.values.length === 1) {
      const before = v.stored('primaryGroupID')[0] as number | undefined;
      const f = primaryGroupIdChange(dir, v.r, v.guid, before ?? -1, pgT.values[0] as number);
      if (f) out.after.push(f);
    }
    const plsT = v.touched('pwdLastSet');
    if (plsT && plsT.added.length > 0) {
      const now = dir.clock();
      v.rewrite('pwdLastSet', plsT.values.map((x) => (plsT.added.includes(x) ? pwdLastSetValue(x as bigint, now) : x)));
    }
  }

  if (kind.group) {
    const gtT = v.touched('groupType');
    if (gtT && gtT.values.length === 1) {
      const before = ((v.stored('groupType')[0] as number | undefined) ?? 0) >>> 0;
      const after = (gtT.values[0] as number) >>> 0;
      groupScope(after);
      if (after !== before) checkGroupTypeChange(before, after);
      out.derived.push([A('sAMAccountType'), [samAccountTypeOfGroup(after)]]);
    }
    const sid = v.stored('objectSid')[0] as Uint8Array | undefined;
    if (sid) {
      const lc = v.linkChanges('member');
      checkMemberChangesOfPrimaryGroup(dir, v.r, sid, lc.added, lc.removed);
    }
  }
  return out;
}

/** The SAM's refusals of a delete (MS-SAMR 3.1.1.8.2: a primary group stays while accounts name it). */
export function samDeleteRules(dir: Directory, r: ReadTxn, rec: ObjectRecord, place: string): void {
  const ocInfo = dir.schema.attr('objectClass')!;
  const groupOid = dir.schema.snapshot.classByName('group')?.governsID;
  const oc = (rec.attrs.find((a) => a.id === ocInfo.id)?.values ?? []) as string[];
  if (!groupOid || !oc.includes(groupOid)) return;
  const sidInfo = dir.schema.attr('objectSid')!;
  checkDeleteOfPrimaryGroup(dir, r, rec.attrs.find((a) => a.id === sidInfo.id)?.values[0] as Uint8Array | undefined, place);
}
