// Builds the security context of a principal from the directory (MS-ADTS 5.1.3; the group
// expansion of MS-ADTS 3.1.1.4.5.19–21 tokenGroups, tokenGroupsGlobalAndUniversal,
// tokenGroupsNoGCAcceptable): the primary group, every security-enabled group reached over
// member links (global, universal, domain local, builtin local), sIDHistory of the principal and
// of those groups, the well-known SIDs of a network logon, and the privileges that
// BUILTIN\Administrators hold on a domain controller (MS-ADTS 5.1.3.1; the default User Rights
// Assignment of the Default Domain Controllers Policy).
import type { ReadTxn } from '../../store/store.js';
import { GroupWalk, type Reached } from './group-walk.js';
import { getAttr, type ObjectRecord } from '../../store/record.js';
import type { Directory } from '../directory.js';
import { GroupType, sidWithRid } from '../principals.js';
import { makeToken, AUTHENTICATED_NETWORK_SIDS, type Privilege, type SecurityToken } from '../../security/token.js';
import { WellKnownSid } from '../../security/well-known-sids.js';

/** What the group walk found, by kind (for the three constructed tokenGroups attributes). */
export interface GroupExpansion {
  /** every group: the primary group first, then in walk order */
  all: Buffer[];
  /** global and universal groups only (no domain local, no builtin local) — tokenGroupsGlobalAndUniversal */
  globalAndUniversal: Buffer[];
  /** sIDHistory values of the principal and of its groups */
  sidHistory: Buffer[];
  /** objectGUIDs of the global security groups (fine-grained password policies apply through them, MS-ADTS 3.1.1.4.5.36) */
  globalGroupGuids: Buffer[];
}

/** The primary group's SID: the domain part of the account's objectSid with primaryGroupID as RID. */
export function primaryGroupSid(ownSid: Uint8Array, primaryGroupId: number): Buffer {
  const s = Buffer.from(ownSid);
  const domain = Buffer.from(s.subarray(0, s.length - 4));
  domain[1] = domain[1]! - 1; // one sub-authority (the RID) less
  return sidWithRid(domain, primaryGroupId);
}

/**
 * The transitive groups of the object `guid` (MS-ADTS 3.1.1.4.5.19): up through back links of
 * member, from the object and from its primary group; cycles end at the visited set; deleted
 * groups and distribution groups do not count.
 */
export function expandGroups(dir: Directory, r: ReadTxn, guid: Buffer, rec?: ObjectRecord, wellKnown: readonly Buffer[] = []): GroupExpansion {
  const out = walkGroups(dir, r, guid, rec, wellKnown);
  // SID buffers are shared with the walk memo: the caller gets its own copies
  out.all = out.all.map((s) => Buffer.from(s));
  out.globalAndUniversal = out.globalAndUniversal.map((s) => Buffer.from(s));
  out.sidHistory = out.sidHistory.map((s) => Buffer.from(s));
  out.globalGroupGuids = out.globalGroupGuids.map((s) => Buffer.from(s));
  return out;
}

/** expandGroups without the copies: the buffers are the walk memo's (not to be modified or handed out). */
function walkGroups(dir: Directory, r: ReadTxn, guid: Buffer, rec: ObjectRecord | undefined, wellKnown: readonly Buffer[]): GroupExpansion {
  const schema = dir.schema;
  const sidInfo = schema.attr('objectSid')!;
  const histInfo = schema.attr('sIDHistory')!;
  const pgInfo = schema.attr('primaryGroupID')!;
  const out: GroupExpansion = { all: [], globalAndUniversal: [], sidHistory: [], globalGroupGuids: [] };
  const seenSid = new Set<string>();
  const key = guid.toString('latin1');
  const seen = new Set<string>([key]);
  const self = rec ?? r.readObject(guid);
  if (!self) return out;
  const walk = new GroupWalk(dir, r);
  const get = (rc: ObjectRecord, id: number) => getAttr(rc, id)?.values;
  for (const h of (get(self, histInfo.id) ?? []) as Uint8Array[]) out.sidHistory.push(Buffer.from(h));

  // a live group reached: its SID counts when it is a security group (a distribution group is
  // walked through, not counted)
  const take = (g: Reached): void => {
    if (seen.has(g.key)) return;
    seen.add(g.key);
    const { groupType: gt, sid, sidKey: k } = g.facts;
    if (typeof gt !== 'number' || (gt & GroupType.GROUP_TYPE_SECURITY_ENABLED) === 0 || !sid || k === undefined) return;
    if (seenSid.has(k)) return;
    seenSid.add(k);
    out.all.push(sid);
    if ((gt & (GroupType.GROUP_TYPE_RESOURCE_GROUP | GroupType.GROUP_TYPE_BUILTIN_LOCAL_GROUP)) === 0) out.globalAndUniversal.push(sid);
    if (gt & GroupType.GROUP_TYPE_ACCOUNT_GROUP) out.globalGroupGuids.push(g.guid);
    for (const h of g.facts.sidHistory) out.sidHistory.push(h);
  };
  const takeAbove = (x: Buffer, k: string) => {
    for (const g of walk.groupsAbove(x, k)) take(g);
  };
  // the primary group (MS-ADTS 3.1.1.4.5.19 "plus the primary group") and the groups above it
  const pg = get(self, pgInfo.id)?.[0];
  const ownSid = get(self, sidInfo.id)?.[0] as Uint8Array | undefined;
  if (typeof pg === 'number' && ownSid) {
    const g = walk.objectsWithSid(primaryGroupSid(ownSid, pg))[0];
    const k = g?.toString('latin1');
    const facts = g && walk.facts(g, k);
    if (g && k && facts && !facts.deleted && !seen.has(k)) {
      take({ guid: g, key: k, facts });
      takeAbove(g, k);
    }
  }
  // the object's own groups, and the groups above each (walked once per committed state for all accounts)
  for (const g of walk.groupsOf(guid, key)) {
    if (seen.has(g.key)) continue;
    take(g);
    takeAbove(g.guid, g.key);
  }
  // the well-known SIDs of the logon are members through their foreignSecurityPrincipal objects
  // (e.g. Authenticated Users in Pre-Windows 2000 Compatible Access and in BUILTIN\Users)
  for (const wk of wellKnown) {
    for (const g of walk.objectsWithSid(wk)) {
      const k = g.toString('latin1');
      if (seen.has(k)) continue;
      seen.add(k);
      takeAbove(g, k);
    }
  }
  return out;
}

/** The privileges granted to BUILTIN\Administrators on a DC (MS-ADTS 5.1.3.1). */
const ADMIN_PRIVILEGES: readonly Privilege[] = ['SeSecurityPrivilege', 'SeRestorePrivilege', 'SeTakeOwnershipPrivilege', 'SeBackupPrivilege'];

/** The token of the principal `guid`, built from the state of `r` (a bind remembers it: token-cache.ts, so membership changes count from the next bind). */
export function buildToken(dir: Directory, r: ReadTxn, guid: Buffer, record?: ObjectRecord): SecurityToken {
  const rec = record ?? r.readObject(guid);
  const sidInfo = dir.schema.attr('objectSid')!;
  const pgInfo = dir.schema.attr('primaryGroupID')!;
  const ownSid = (rec && getAttr(rec, sidInfo.id)?.values[0]) as Uint8Array | undefined;
  if (!rec || !ownSid) return makeToken(WellKnownSid.ANONYMOUS, undefined, [], AUTHENTICATED_NETWORK_SIDS, []);
  // the token gets its own copies of the SIDs it holds (the walk's are its memo's); the lists it does not hold are not copied
  const g = walkGroups(dir, r, guid, rec, AUTHENTICATED_NETWORK_SIDS);
  const pg = getAttr(rec, pgInfo.id)?.values[0];
  const primary = typeof pg === 'number' ? primaryGroupSid(ownSid, pg) : undefined;
  const groups: Buffer[] = [];
  for (const s of g.all) groups.push(Buffer.from(s));
  for (const s of g.sidHistory) groups.push(Buffer.from(s));
  const isAdmin = groups.some((s) => s.equals(WellKnownSid.BUILTIN_ADMINISTRATORS));
  return makeToken(Buffer.from(ownSid), primary, groups, AUTHENTICATED_NETWORK_SIDS, isAdmin ? ADMIN_PRIVILEGES : []);
}
