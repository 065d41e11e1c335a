// primaryGroupID of user and computer objects (MS-SAMR 3.1.1.8.2 "primaryGroupID"): the group
// named must have the account as a member before the update; after it, the account is a
// member of the old primary group and no longer of the new one (membership in the primary
// group is implied by primaryGroupID, never stored in member). Windows answers a group the
// account is not a member of, and a RID that names no group (0), with unwillingToPerform
// (Samba's sam.py, test_users_groups, run against Windows).
import type { ReadTxn } from '../../store/store.js';
import type { ObjectRecord } from '../../store/record.js';
import { indexKey } from '../../store/store.js';
import type { Directory } from '../directory.js';
import type { OriginatingUpdate } from '../originating-update.js';
import { AdError, Win32 } from '../errors.js';
import { GroupType, ridOf, sidWithRid } from '../principals.js';
import { isDeletedRecord, touchObject } from '../tombstone.js';

const PLACE = 'dsa.sam.primaryGroupID';

/** The group of the domain whose objectSid has RID `rid`, or undefined. */
export function groupByRid(dir: Directory, r: ReadTxn, rid: number): Buffer | undefined {
  const sidInfo = dir.schema.attr('objectSid')!;
  const ocInfo = dir.schema.attr('objectClass')!;
  const groupOid = dir.schema.snapshot.classByName('group')?.governsID;
  for (const g of r.indexEqual(indexKey(sidInfo.id, sidInfo.syntax.normalize(sidWithRid(dir.forest.domainSid, rid))))) {
    const rec = r.getObject(g);
    if (!rec || isDeletedRecord(dir, rec)) continue;
    const oc = (rec.attrs.find((a) => a.id === ocInfo.id)?.values ?? []) as string[];
    if (groupOid && oc.includes(groupOid)) return Buffer.from(g);
  }
  return undefined;
}

function isMember(dir: Directory, r: ReadTxn, group: Buffer, account: Buffer): boolean {
  const member = dir.schema.attr('member')!;
  const lv = r.getLink(group, member.forwardLinkId!, account, Buffer.alloc(0));
  return !!lv && lv.stamp.timeDeleted === 0;
}

/** MS-SAMR 3.1.1.8.2 on Add: a new account belongs to no group yet, so only the RID its userAccountControl implies is accepted. */
export function checkPrimaryGroupIdOnAdd(given: number, implied: number): void {
  if (given !== implied) throw AdError.unwillingToPerformWith(PLACE, Win32.ERROR_MEMBER_NOT_IN_GROUP, `primaryGroupID ${given} names a group the new account is not a member of`);
}

/**
 * MS-SAMR 3.1.1.8.2 on Modify: checks the change of `account`'s primaryGroupID from `before`
 * to `after` and returns the member changes it implies, to run with the update.
 */
export function primaryGroupIdChange(dir: Directory, r: ReadTxn, account: Buffer, before: number, after: number): ((u: OriginatingUpdate) => void) | undefined {
  if (before === after) return undefined;
  const next = groupByRid(dir, r, after);
  if (!next) throw AdError.unwillingToPerformWith(PLACE, Win32.ERROR_MEMBER_NOT_IN_GROUP, `primaryGroupID ${after} names no group of the domain`);
  // the new primary group is a security global or domain local group ("GROUP_TYPE_SECURITY_ACCOUNT or _RESOURCE")
  const gtInfo = dir.schema.attr('groupType')!;
  const gt = ((r.getObject(next)!.attrs.find((a) => a.id === gtInfo.id)?.values[0] as number | undefined) ?? 0) >>> 0;
  const okType = (gt & GroupType.GROUP_TYPE_SECURITY_ENABLED) !== 0 && (gt & (GroupType.GROUP_TYPE_ACCOUNT_GROUP | GroupType.GROUP_TYPE_RESOURCE_GROUP)) !== 0;
  if (!okType || !isMember(dir, r, next, account)) {
    throw AdError.unwillingToPerformWith(PLACE, Win32.ERROR_MEMBER_NOT_IN_GROUP, `the account must be a member of the group with RID ${after} before it becomes its primary group`);
  }
  const prevGroup = groupByRid(dir, r, before);
  const member = dir.schema.attr('member')!;
  return (u) => {
    if (u.removeLinkValue(next, member.forwardLinkId!, account)) touchObject(u, next);
    if (prevGroup && u.addLinkValue(prevGroup, member.id, member.forwardLinkId!, account)) touchObject(u, prevGroup);
  };
}

/** The accounts (live objects) whose primaryGroupID is the RID of group `groupSid`. */
export function accountsWithPrimaryGroup(dir: Directory, r: ReadTxn, groupSid: Uint8Array): Buffer[] {
  const pg = dir.schema.attr('primaryGroupID')!;
  const out: Buffer[] = [];
  for (const g of r.indexEqual(indexKey(pg.id, pg.syntax.normalize(ridOf(groupSid))))) {
    const rec = r.getObject(g);
    if (rec && !isDeletedRecord(dir, rec)) out.push(Buffer.from(g));
  }
  return out;
}

/** MS-SAMR 3.1.1.8.2: the member changes of a group whose RID is `groupSid`'s, against the accounts that have it as primary group. */
export function checkMemberChangesOfPrimaryGroup(dir: Directory, r: ReadTxn, groupSid: Uint8Array, added: Buffer[], removed: Buffer[]): void {
  if ((added.length === 0 && removed.length === 0) || !inDomain(dir, groupSid)) return;
  const rid = ridOf(groupSid);
  const pg = dir.schema.attr('primaryGroupID')!;
  const primaryOf = (g: Buffer) => r.getObject(g)?.attrs.find((a) => a.id === pg.id)?.values[0] === rid;
  for (const t of added) if (primaryOf(t)) throw AdError.entryAlreadyExistsWith(PLACE, Win32.ERROR_MEMBER_IN_GROUP, 'the object is already a member: this group is its primary group');
  for (const t of removed) if (primaryOf(t)) throw AdError.unwillingToPerformWith(PLACE, Win32.ERROR_MEMBERS_PRIMARY_GROUP, 'the primary group of an account cannot lose it as a member; change its primaryGroupID first');
}

/** MS-SAMR 3.1.1.8.2: a group that is the primary group of an account is not deleted. */
export function checkDeleteOfPrimaryGroup(dir: Directory, r: ReadTxn, groupSid: Uint8Array | undefined, place: string): void {
  if (!groupSid || !inDomain(dir, groupSid)) return;
  if (accountsWithPrimaryGroup(dir, r, groupSid).length > 0) throw AdError.entryAlreadyExistsWith(place, Win32.ERROR_MEMBER_IN_GROUP, 'the group is the primary group of an account');
}

/** Whether `sid` is the domain SID plus one RID. */
export function inDomain(dir: Directory, sid: Uint8Array): boolean {
  return Buffer.from(sid).equals(sidWithRid(dir.forest.domainSid, ridOf(sid)));
}

/**
 * MS-SAMR 3.1.1.8.2: an account is implicitly a member of its primary group; removing it
 * from that group's member (where it is not stored) is ERROR_MEMBERS_PRIMARY_GROUP, not
 * "not a member". Returns that error when `target`'s primary group is `group`, else undefined.
 */
export function primaryGroupMemberRemoval(dir: Directory, r: ReadTxn, group: ObjectRecord, target: Buffer): Error | undefined {
  const sidInfo = dir.schema.attr('objectSid')!;
  const sid = group.attrs.find((a) => a.id === sidInfo.id)?.values[0] as Uint8Array | undefined;
  if (!sid || !inDomain(dir, sid)) return undefined;
  const pg = dir.schema.attr('primaryGroupID')!;
  if (r.getObject(target)?.attrs.find((a) => a.id === pg.id)?.values[0] !== ridOf(sid)) return undefined;
  return AdError.unwillingToPerformWith(PLACE, Win32.ERROR_MEMBERS_PRIMARY_GROUP, 'the primary group of an account cannot lose it as a member; change its primaryGroupID first');
}
