// AdminSDHolder and the protection of administrative accounts (MS-ADTS 3.1.1.6.1 "Protected
// Objects"): the members, directly or transitively, of the protected groups (3.1.1.6.1.2),
// less those dSHeuristics' dwAdminSDExMask excludes (3.1.1.6.1.4), get adminCount 1 and the
// DACL of CN=AdminSDHolder,CN=System,<domain>, marked protected so nothing inherits into it
// (MS-DTYP 2.4.6 SE_DACL_PROTECTED). Each object changed is one originating update
// (MS-ADTS 3.1.1.1.9), so the result replicates. An object that leaves the protected set keeps
// adminCount and its descriptor: the operation only ever adds protection (as Windows does; the
// spec's protection operation only names objects in the set). Run on the PDC emulator only, at
// serve start, hourly, and on demand by the rootDSE operation runProtectAdminGroupsTask
// (MS-ADTS 3.1.1.3.3); on another DC the task does nothing.
import type { Directory } from './directory.js';
import { indexKey, type WriteTxn } from '../store/store.js';
import type { ObjectRecord } from '../store/record.js';
import { OriginatingUpdate } from './originating-update.js';
import { propagateSd } from './access/sd-write.js';
import { accessState } from './access/access.js';
import { decodeSecurityDescriptor, encodeSecurityDescriptor, SE_DACL_PRESENT, type SecurityDescriptor } from '../security/security-descriptor.js';
import { sidToString } from '../schema/syntaxes/string-sid.js';
import { GroupType } from './principals.js';

/** MS-DTYP 2.4.6 */
const SE_DACL_AUTO_INHERITED = 0x0400;
const SE_DACL_PROTECTED = 0x1000;

/** Builtin RIDs (DOMAIN_ALIAS_RID_*) of the protected builtin groups (MS-ADTS 3.1.1.6.1.2), with their dwAdminSDExMask bit (MS-ADTS 3.1.1.6.1.4). */
const PROTECTED_ALIASES: readonly [rid: number, exclusionBit: number][] = [
  [544, 0], // DOMAIN_ALIAS_RID_ADMINS
  [548, 0x1], // DOMAIN_ALIAS_RID_ACCOUNT_OPS
  [549, 0x2], // DOMAIN_ALIAS_RID_SYSTEM_OPS
  [550, 0x4], // DOMAIN_ALIAS_RID_PRINT_OPS
  [551, 0x8], // DOMAIN_ALIAS_RID_BACKUP_OPS
  [552, 0], // DOMAIN_ALIAS_RID_REPLICATOR
];
/** Account domain groups whose members are protected: DOMAIN_GROUP_RID_ADMINS, _SCHEMA_ADMINS, _ENTERPRISE_ADMINS (MS-ADTS 3.1.1.6.1.2). */
const PROTECTED_GROUPS = [512, 518, 519];
/** Principals protected by themselves: DOMAIN_USER_RID_ADMIN, DOMAIN_USER_RID_KRBTGT, DOMAIN_GROUP_RID_CONTROLLERS, DOMAIN_GROUP_RID_READONLY_CONTROLLERS (MS-ADTS 3.1.1.6.1.2). */
const PROTECTED_PRINCIPALS = [500, 502, 516, 521];

export interface ProtectionResult {
  /** objects in the protected set */
  protected: number;
  /** objects whose adminCount or descriptor this run changed */
  changed: number;
}

/** dwAdminSDExMask, the 16th character of dSHeuristics as a hex digit (MS-ADTS 3.1.1.6.1.4); 0 when absent or not a hex digit. */
function adminSdExMask(dir: Directory, w: WriteTxn): number {
  const res = dir.tryResolve(w, `CN=Directory Service,CN=Windows NT,CN=Services,${dir.forest.configDN}`);
  if (!res.found) return 0;
  const v = w.getObject(res.guid)?.attrs.find((a) => a.id === dir.schema.attr('dSHeuristics')!.id)?.values[0];
  const c = typeof v === 'string' ? v.charAt(15) : '';
  return /^[0-9a-f]$/i.test(c) ? parseInt(c, 16) : 0;
}

function sdOf(dir: Directory, rec: ObjectRecord | undefined): SecurityDescriptor | undefined {
  const v = rec?.attrs.find((a) => a.id === dir.schema.attr('nTSecurityDescriptor')!.id)?.values[0] as Uint8Array | undefined;
  if (!v) return undefined;
  try {
    return decodeSecurityDescriptor(v);
  } catch {
    return undefined;
  }
}

/**
 * This DC is the PDC emulator: the domain NC head's fSMORoleOwner names its nTDSDSA object
 * (MS-ADTS 3.1.1.1.11). The protection runs on the PDC emulator only, as on Windows; the other
 * DCs receive its results by replication.
 */
function holdsPdcRole(dir: Directory, w: WriteTxn): boolean {
  const v = w.getObject(dir.forest.domainNC)?.attrs.find((a) => a.id === dir.schema.attr('fSMORoleOwner')!.id)?.values[0] as { guid?: Uint8Array } | undefined;
  return !!v?.guid && Buffer.from(v.guid).equals(dir.forest.dsaGuid);
}

/** The DN of the AdminSDHolder object of the domain (MS-ADTS 3.1.1.6.1). */
export function adminSdHolderDn(dir: Directory): string {
  return `CN=AdminSDHolder,CN=System,${dir.forest.domainDN}`;
}

/**
 * The protected set S of the domain (MS-ADTS 3.1.1.6.1.2) as object GUIDs: users and
 * security-enabled groups of the domain reached down the member links of the protected groups,
 * the protected groups themselves, and the four protected principals; members reached only
 * through an excluded group (dwAdminSDExMask) are left out unless reached another way.
 */
export function protectedObjects(dir: Directory, w: WriteTxn): Buffer[] {
  const mask = adminSdExMask(dir, w);
  const A = (n: string) => dir.schema.attr(n)!;
  const memberLink = A('member').forwardLinkId!;
  const sidId = A('objectSid').id;
  const gtId = A('groupType').id;
  const delId = A('isDeleted').id;
  const ocId = A('objectClass').id;
  const pg = A('primaryGroupID');
  const userOid = dir.schema.snapshot.classByName('user')?.governsID;
  const groupOid = dir.schema.snapshot.classByName('group')?.governsID;
  const domainSid = sidToString(dir.forest.domainSid);
  const bySid = (sid: string): Buffer | undefined => {
    const r = dir.tryResolve(w, `<SID=${sid}>`);
    return r.found ? r.guid : undefined;
  };
  const out = new Map<string, Buffer>();
  // "(o!objectClass = group AND groupType & GROUP_TYPE_SECURITY_ENABLED ≠ 0) OR (o!objectClass = user)", "AND (o!objectSid = d!objectSid + RID)"
  const eligible = (rec: ObjectRecord): boolean => {
    if (rec.attrs.find((a) => a.id === delId)?.values[0] === true) return false;
    const sid = rec.attrs.find((a) => a.id === sidId)?.values[0] as Uint8Array | undefined;
    if (!sid || !sidToString(sid).startsWith(`${domainSid}-`)) return false;
    const oc = (rec.attrs.find((a) => a.id === ocId)?.values ?? []) as string[];
    if (userOid && oc.includes(userOid)) return true;
    const gt = rec.attrs.find((a) => a.id === gtId)?.values[0];
    return !!groupOid && oc.includes(groupOid) && typeof gt === 'number' && (gt & GroupType.GROUP_TYPE_SECURITY_ENABLED) !== 0;
  };
  const add = (g: Buffer) => {
    const rec = w.getObject(g);
    if (rec && eligible(rec)) out.set(g.toString('hex'), g);
  };
  const roots: Buffer[] = [];
  for (const [rid, bit] of PROTECTED_ALIASES) {
    if (bit & mask) continue;
    const g = bySid(`S-1-5-32-${rid}`);
    if (g) roots.push(g);
  }
  for (const rid of PROTECTED_GROUPS) {
    const g = bySid(`${domainSid}-${rid}`);
    if (g) roots.push(g);
  }
  // "a member, directly or transitively": down the member links, cycles end at the visited set
  const seen = new Set<string>();
  const stack = [...roots];
  for (const g of roots) add(g); // the groups are in their own closure (Windows stamps them too)
  while (stack.length > 0) {
    const g = stack.pop()!;
    const k = g.toString('hex');
    if (seen.has(k)) continue;
    seen.add(k);
    for (const lv of w.links(g, memberLink)) {
      if (lv.stamp.timeDeleted !== 0) continue;
      const t = Buffer.from(lv.target);
      add(t);
      stack.push(t);
    }
    // the group's primary members (primaryGroupID = its RID, MS-ADTS 3.1.1.4.5.19's membership through the primary group)
    const gsid = w.getObject(g)?.attrs.find((a) => a.id === sidId)?.values[0] as Uint8Array | undefined;
    if (gsid && gsid.length >= 12 && sidToString(gsid).startsWith(`${domainSid}-`)) {
      const rid = Buffer.from(gsid).readUInt32LE(gsid.length - 4);
      for (const m of w.indexEqual(indexKey(pg.id, pg.syntax.normalize(rid)))) {
        const t = Buffer.from(m);
        add(t);
        stack.push(t);
      }
    }
  }
  for (const rid of PROTECTED_PRINCIPALS) {
    const g = bySid(`${domainSid}-${rid}`);
    if (g) add(g);
  }
  return [...out.values()];
}

/**
 * The protection operation (MS-ADTS 3.1.1.6.1): every object of the protected set gets
 * adminCount 1 and AdminSDHolder's DACL as a protected DACL (owner, group and SACL stay),
 * each changed object as its own originating update; the subtree below an object whose
 * descriptor changed is re-inherited in the same transaction (3.1.1.6.3).
 */
export async function runProtectAdminGroups(dir: Directory): Promise<ProtectionResult> {
  return dir.store.write((w) => {
    if (!holdsPdcRole(dir, w)) return { protected: 0, changed: 0 };
    const holder = dir.tryResolve(w, adminSdHolderDn(dir));
    if (!holder.found) return { protected: 0, changed: 0 };
    const holderSd = sdOf(dir, w.getObject(holder.guid));
    if (!holderSd?.dacl) return { protected: 0, changed: 0 };
    const set = protectedObjects(dir, w);
    const adminCount = dir.schema.attr('adminCount')!;
    const sdInfo = dir.schema.attr('nTSecurityDescriptor')!;
    let changed = 0;
    for (const g of set) {
      const prev = w.getObject(g);
      if (!prev) continue;
      const cur = sdOf(dir, prev) ?? { control: 0x8000 };
      const next: SecurityDescriptor = {
        ...cur,
        control: (cur.control & ~SE_DACL_AUTO_INHERITED) | SE_DACL_PRESENT | SE_DACL_PROTECTED | (holderSd.control & SE_DACL_AUTO_INHERITED),
        dacl: holderSd.dacl,
      };
      const bin = encodeSecurityDescriptor(next);
      const oldBin = prev.attrs.find((a) => a.id === sdInfo.id)?.values[0] as Uint8Array | undefined;
      const sdChanged = !oldBin || !Buffer.from(oldBin).equals(bin);
      const countChanged = Number(prev.attrs.find((a) => a.id === adminCount.id)?.values[0] ?? 0) !== 1;
      if (!sdChanged && !countChanged) continue;
      w.advanceUsn();
      const u = new OriginatingUpdate(w, dir.store.dc.invocationId, dir.clock);
      const rec: ObjectRecord = { ...prev, attrs: prev.attrs.map((a) => ({ ...a })) };
      if (countChanged) u.setAttribute(rec, adminCount, [1]);
      if (sdChanged) u.setAttribute(rec, sdInfo, [bin]);
      u.touch(rec);
      w.putObject(g, rec, prev);
      if (sdChanged) {
        accessState(dir).sdChangedLocally();
        propagateSd(dir, w, g, false);
      }
      changed++;
    }
    return { protected: set.length, changed };
  });
}
