// Builds the security context of a principal from the directory (MS-ADTS 5.1.3; the group
// expansion of MS-ADTS 3.1.1.4.5.19–21 tokenGroups, tokenGroupsGlobalAndUniversal,
// tokenGroupsNoGCAcceptable): the primary group, every security-enabled group reached over
// member links (global, universal, domain local, builtin local), sIDHistory of the principal and
// of those groups, the well-known SIDs of a network logon, and the privileges that
// BUILTIN\Administrators hold on a domain controller (MS-ADTS 5.1.3.1; the default User Rights
// Assignment of the Default Domain Controllers Policy).
import { indexKey, WriteTxn, type ReadTxn } from '../../store/store.js';
import type { ObjectRecord } from '../../store/record.js';
import type { Directory } from '../directory.js';
import { GroupType, sidWithRid } from '../principals.js';
import { makeToken, AUTHENTICATED_NETWORK_SIDS, type Privilege, type SecurityToken } from '../../security/token.js';
import { WellKnownSid, sidKey } from '../../security/well-known-sids.js';

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

/** What the group walk reads of one group: whether it is deleted, its groupType, objectSid and sIDHistory. */
interface GroupFacts {
  /** uSNChanged of the record version these facts were read from */
  usn: number;
  deleted: boolean;
  groupType: unknown;
  sid: Uint8Array | undefined;
  sidHistory: readonly Uint8Array[];
}

/** Most group versions the walk remembers per directory (all are forgotten when it is full). */
const GROUP_FACTS_MAX = 100_000;

/**
 * The group facts of each directory, by objectGUID. Every update of a record, originating or
 * replicated, gives it a new uSNChanged (MS-ADTS 3.1.1.1.9), which the record header carries, so
 * facts read at the header's uSNChanged are the record's facts: a bind reads a group's header,
 * not its whole record. Only committed versions are remembered (never a write transaction's).
 */
const groupFactsMemo = new WeakMap<Directory, Map<string, GroupFacts>>();

function groupFacts(dir: Directory, r: ReadTxn, g: Buffer, key: string): GroupFacts | undefined {
  const h = r.getHeader(g);
  if (!h) return undefined;
  let memo = groupFactsMemo.get(dir);
  const hit = memo?.get(key);
  if (hit && hit.usn === h.usnChanged) return hit;
  const rec = r.getObject(g);
  if (!rec) return undefined;
  const s = dir.schema;
  const get = (id: number) => rec.attrs.find((a) => a.id === id)?.values;
  const sid = get(s.attr('objectSid')!.id)?.[0] as Uint8Array | undefined;
  const facts: GroupFacts = {
    usn: h.usnChanged,
    deleted: get(s.attr('isDeleted')!.id)?.[0] === true,
    groupType: get(s.attr('groupType')!.id)?.[0],
    sid: sid && Buffer.from(sid),
    sidHistory: ((get(s.attr('sIDHistory')!.id) ?? []) as Uint8Array[]).map((h) => Buffer.from(h)),
  };
  if (!(r instanceof WriteTxn)) {
    if (!memo) groupFactsMemo.set(dir, (memo = new Map()));
    if (memo.size >= GROUP_FACTS_MAX) memo.clear();
    memo.set(key, facts);
  }
  return facts;
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
  const schema = dir.schema;
  const member = schema.attr('member')!;
  const sidInfo = schema.attr('objectSid')!;
  const histInfo = schema.attr('sIDHistory')!;
  const pgInfo = schema.attr('primaryGroupID')!;
  const out: GroupExpansion = { all: [], globalAndUniversal: [], sidHistory: [], globalGroupGuids: [] };
  const seenSid = new Set<string>();
  const seen = new Set<string>([guid.toString('latin1')]);
  const queue: Buffer[] = [guid];
  const self = rec ?? r.getObject(guid);
  if (!self) return out;
  const get = (rc: ObjectRecord, id: number) => rc.attrs.find((a) => a.id === id)?.values;
  for (const h of (get(self, histInfo.id) ?? []) as Uint8Array[]) out.sidHistory.push(Buffer.from(h));

  const addGroup = (g: Buffer, grec: GroupFacts): boolean => {
    if (grec.deleted) return false;
    const gt = grec.groupType;
    const sid = grec.sid;
    if (typeof gt !== 'number' || (gt & GroupType.GROUP_TYPE_SECURITY_ENABLED) === 0 || !sid) return true;
    const k = sidKey(sid);
    if (!seenSid.has(k)) {
      seenSid.add(k);
      const s = Buffer.from(sid);
      out.all.push(s);
      if ((gt & (GroupType.GROUP_TYPE_RESOURCE_GROUP | GroupType.GROUP_TYPE_BUILTIN_LOCAL_GROUP)) === 0) out.globalAndUniversal.push(s);
      if (gt & GroupType.GROUP_TYPE_ACCOUNT_GROUP) out.globalGroupGuids.push(Buffer.from(g));
      for (const h of grec.sidHistory) out.sidHistory.push(Buffer.from(h));
    }
    return true;
  };
  const visit = (g: Buffer) => {
    const k = g.toString('latin1');
    if (seen.has(k)) return;
    seen.add(k);
    const grec = groupFacts(dir, r, g, k);
    if (!grec) return;
    if (addGroup(g, grec)) queue.push(Buffer.from(g));
  };
  // the primary group (MS-ADTS 3.1.1.4.5.19 "plus the primary group")
  const pg = get(self, pgInfo.id)?.[0];
  const ownSid = get(self, sidInfo.id)?.[0] as Uint8Array | undefined;
  if (typeof pg === 'number' && ownSid) {
    const pgSid = primaryGroupSid(ownSid, pg);
    for (const g of r.indexEqual(indexKey(sidInfo.id, sidInfo.syntax.normalize(pgSid)))) {
      visit(Buffer.from(g));
      break;
    }
  }
  // the well-known SIDs of the logon are members through their foreignSecurityPrincipal objects
  // (e.g. Authenticated Users in Pre-Windows 2000 Compatible Access and in BUILTIN\Users)
  for (const wk of wellKnown) {
    for (const g of r.indexEqual(indexKey(sidInfo.id, sidInfo.syntax.normalize(wk)))) {
      const k = Buffer.from(g).toString('latin1');
      if (!seen.has(k)) {
        seen.add(k);
        queue.push(Buffer.from(g));
      }
    }
  }
  while (queue.length > 0) {
    const g = queue.shift()!;
    for (const b of r.backlinks(g, member.forwardLinkId!)) visit(Buffer.from(b.source));
  }
  return out;
}

/** The privileges granted to BUILTIN\Administrators on a DC (MS-ADTS 5.1.3.1). */
const ADMIN_PRIVILEGES: readonly Privilege[] = ['SeSecurityPrivilege', 'SeRestorePrivilege', 'SeTakeOwnershipPrivilege', 'SeBackupPrivilege'];

/** The token of the principal `guid`, recomputed at every bind (so membership changes count from the next bind). */
export function buildToken(dir: Directory, r: ReadTxn, guid: Buffer): SecurityToken {
  const rec = r.getObject(guid);
  const sidInfo = dir.schema.attr('objectSid')!;
  const pgInfo = dir.schema.attr('primaryGroupID')!;
  const ownSid = rec?.attrs.find((a) => a.id === sidInfo.id)?.values[0] as Uint8Array | undefined;
  if (!rec || !ownSid) return makeToken(WellKnownSid.ANONYMOUS, undefined, [], AUTHENTICATED_NETWORK_SIDS, []);
  void sidKey;
  const g = expandGroups(dir, r, guid, rec, AUTHENTICATED_NETWORK_SIDS);
  const pg = rec.attrs.find((a) => a.id === pgInfo.id)?.values[0];
  const primary = typeof pg === 'number' ? primaryGroupSid(ownSid, pg) : undefined;
  const groups = [...g.all, ...g.sidHistory];
  const isAdmin = groups.some((s) => s.equals(WellKnownSid.BUILTIN_ADMINISTRATORS));
  return makeToken(Buffer.from(ownSid), primary, groups, AUTHENTICATED_NETWORK_SIDS, isAdmin ? ADMIN_PRIVILEGES : []);
}
