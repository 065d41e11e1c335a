// The access checks of each update (the "Security Considerations" of MS-ADTS 3.1.1.5.2.1 add,
// 3.1.1.5.3.1 modify, 3.1.1.5.4 modify DN, 3.1.1.5.5.4 and 3.1.1.5.5.7.1 delete and tree
// delete, 3.1.1.5.3.7 undelete). Each function throws 50 insufficientAccessRights
// ("00002098: SecErr: DSID-…, problem 4003 (INSUFF_ACCESS_RIGHTS), data 0") or, for an
// object the requester cannot see, 32 noSuchObject ("0000208D"), as AD does.
import type { ModifyRequest } from '../../ldap/protocol/messages.js';
import { ModifyOperation } from '../../ldap/protocol/messages.js';
import type { ObjectRecord } from '../../store/record.js';
import type { ClassSchema } from '../../schema/types.js';
import type { Directory } from '../directory.js';
import type { OperationContext } from '../api.js';
import { AdError } from '../errors.js';
import { Right } from '../../security/access-check.js';
import { ControlAccessRight, ValidatedWrite } from '../../security/extended-rights.js';
import { effectiveSdFlags, OWNER_SECURITY_INFORMATION, GROUP_SECURITY_INFORMATION, DACL_SECURITY_INFORMATION, SACL_SECURITY_INFORMATION } from '../../security/sd-flags.js';
import type { AccessContext } from './access.js';
import { checkValidatedWriteValues } from './validated-writes.js';

/** An object the requester may not see is answered as missing (MS-ADTS 5.1.3.3.6). */
export function mustSee(acc: AccessContext, guid: Buffer, rec: ObjectRecord, place: string): void {
  if (!acc.visible(guid, rec)) throw AdError.noSuchObject(place, '');
}

/** MS-ADTS 3.1.1.5.2.1: RIGHT_DS_CREATE_CHILD on the parent for the new object's class; a SACL given needs SeSecurityPrivilege. */
export function checkAdd(acc: AccessContext, parentGuid: Buffer, parent: ObjectRecord, cls: ClassSchema, givesSacl: boolean, place: string): void {
  mustSee(acc, parentGuid, parent, place);
  if (!acc.mayCreateChild(parent, cls)) throw AdError.insufficientAccess(place);
  if (givesSacl && !acc.token.privileges.has('SeSecurityPrivilege')) throw AdError.insufficientAccess(place);
}

/** The rights a write of nTSecurityDescriptor needs, by the parts SD_FLAGS selects (MS-ADTS 6.1.3.2, MS-DTYP 2.4.6). */
export function sdWriteRights(sdFlags: number | undefined): number {
  const f = effectiveSdFlags(sdFlags);
  let need = 0;
  if (f & (OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION)) need |= Right.WRITE_OWNER;
  if (f & DACL_SECURITY_INFORMATION) need |= Right.WRITE_DAC;
  if (f & SACL_SECURITY_INFORMATION) need |= Right.ACCESS_SYSTEM_SECURITY;
  return need;
}

/**
 * MS-ADTS 3.1.1.5.3.1 (modify): WRITE_PROPERTY on each attribute written, with the AD rules for
 * the attributes that take other rights — unicodePwd: a replace is a reset
 * (User-Force-Change-Password), delete+add a change (User-Change-Password); member: the
 * requester adding or removing itself may use the Self-Membership validated write;
 * servicePrincipalName and dNSHostName: their validated writes; nTSecurityDescriptor: WRITE_DAC /
 * WRITE_OWNER / ACCESS_SYSTEM_SECURITY by the parts SD_FLAGS selects.
 */
export function checkModify(dir: Directory, acc: AccessContext, guid: Buffer, rec: ObjectRecord, req: ModifyRequest, ctx: OperationContext, sdFlags: number | undefined, place: string): void {
  mustSee(acc, guid, rec, place);
  const schema = dir.schema;
  let pwdReplace = false;
  let pwdChange = false;
  for (const ch of req.changes) {
    const type = ch.modification.type.split(';')[0]!;
    const info = schema.attr(type);
    if (!info) continue; // the modify itself refuses unknown attributes
    const lname = info.name.toLowerCase();
    if (lname === 'unicodepwd') {
      if (ch.operation === ModifyOperation.replace) pwdReplace = true;
      else pwdChange = true;
      continue;
    }
    if (lname === 'ntsecuritydescriptor') {
      const need = sdWriteRights(sdFlags);
      if (!acc.has(rec, need)) throw AdError.insufficientAccess(place);
      continue;
    }
    if (acc.mayWrite(rec, info)) continue;
    if (lname === 'member' && (ch.operation === ModifyOperation.add || ch.operation === ModifyOperation.delete) && ch.modification.values.length > 0) {
      const me = ctx.session.identity?.guid;
      const onlySelf = !!me && ch.modification.values.every((v) => {
        const res = dir.tryResolve(acc.r, v.toString('utf8'));
        return res.found && res.guid.equals(me);
      });
      if (onlySelf && acc.validatedWrite(rec, ValidatedWrite.SELF_MEMBERSHIP)) continue;
    }
    // the validated writes allow only values within their rules (validated-writes.ts); a delete needs the right only
    const adds = ch.operation === ModifyOperation.add || ch.operation === ModifyOperation.replace;
    if (lname === 'serviceprincipalname' && acc.validatedWrite(rec, ValidatedWrite.VALIDATED_SPN)) {
      if (adds) checkValidatedWriteValues(dir, acc.r, rec, 'servicePrincipalName', ch.modification.values);
      continue;
    }
    if (lname === 'dnshostname' && acc.validatedWrite(rec, ValidatedWrite.VALIDATED_DNS_HOST_NAME)) {
      if (adds) checkValidatedWriteValues(dir, acc.r, rec, 'dNSHostName', ch.modification.values);
      continue;
    }
    throw AdError.insufficientAccess(place);
  }
  // MS-ADTS 3.1.1.3.1.5: reset needs User-Force-Change-Password, change User-Change-Password
  if (pwdReplace && !acc.controlAccess(rec, ControlAccessRight.USER_FORCE_CHANGE_PASSWORD)) throw AdError.insufficientAccess(place);
  if (pwdChange && !acc.controlAccess(rec, ControlAccessRight.USER_CHANGE_PASSWORD)) throw AdError.insufficientAccess(place);
}

/** MS-ADTS 3.1.1.5.5.4: DELETE on the object or DELETE_CHILD on the parent; a tree delete needs DELETE_TREE on its root (3.1.1.5.5.7.1). */
export function checkDelete(acc: AccessContext, guid: Buffer, rec: ObjectRecord, tree: boolean, place: string): void {
  mustSee(acc, guid, rec, place);
  if (tree) {
    if (!acc.has(rec, Right.DELETE_TREE)) throw AdError.insufficientAccess(place);
    return;
  }
  if (!acc.mayDelete(rec)) throw AdError.insufficientAccess(place);
}

/**
 * MS-ADTS 3.1.1.5.4 (modify DN): a rename needs WRITE_PROPERTY on name and on the RDN attribute;
 * a move also needs DELETE (or DELETE_CHILD on the old parent) and CREATE_CHILD on the new
 * parent for the object's class.
 */
export function checkModifyDN(dir: Directory, acc: AccessContext, guid: Buffer, rec: ObjectRecord, renamed: boolean, newParent: { guid: Buffer; rec: ObjectRecord } | undefined, place: string): void {
  mustSee(acc, guid, rec, place);
  const rdn = dir.schema.attrById(rec.rdnType);
  if (renamed) {
    if (!acc.mayWrite(rec, dir.schema.attr('name')!) || (rdn && !acc.mayWrite(rec, rdn))) throw AdError.insufficientAccess(place);
  }
  if (newParent) {
    mustSee(acc, newParent.guid, newParent.rec, place);
    const cls = acc.classOf(rec);
    if (!acc.mayDelete(rec)) throw AdError.insufficientAccess(place);
    if (!cls || !acc.mayCreateChild(newParent.rec, cls)) throw AdError.insufficientAccess(place);
  }
}

/** MS-ADTS 3.1.1.5.3.7: an undelete needs Reanimate-Tombstones on the NC head (and the modify rights on the object). */
export function checkUndelete(acc: AccessContext, ncHead: ObjectRecord | undefined, place: string): void {
  if (!ncHead || !acc.controlAccess(ncHead, ControlAccessRight.REANIMATE_TOMBSTONES)) throw AdError.insufficientAccess(place);
}

/** A control access right on an object (rootDSE operations, DirSync). */
export function checkControlAccess(acc: AccessContext, rec: ObjectRecord | undefined, right: string, place: string): void {
  if (!rec || !acc.controlAccess(rec, right)) throw AdError.insufficientAccess(place);
}
