// The deletion life cycle of an object (MS-ADTS 3.1.1.5.5, 3.1.1.5.3.7, 3.1.1.9.1):
//
//   existing-object ──delete──► tombstone                (Recycle Bin off: attributes stripped)
//   existing-object ──delete──► deleted-object           (Recycle Bin on: attributes kept, links deactivated)
//   tombstone / deleted-object ──undelete──► existing-object
//   deleted-object ──after msDS-DeletedObjectLifetime──► recycled-object   (recycle-bin.ts)
//
// Each transformation rewrites the one object (its `parent` and RDN change: it moves to or
// from the NC's Deleted Objects container) and, for links, the link values that name it. Every
// attribute removal and every link value removal is stamped: replication carries them.
// Garbage collection after the tombstone lifetime (3.1.1.1.5.1) is not here. An object with
// more link values than delayedLinkSettings.inlineMax has them processed after the delete, in
// batches (delayed link processing, MS-ADTS 3.1.1.1.16; delayed-links.ts).
import type { ReadTxn, WriteTxn } from '../store/store.js';
import { StoreError, LINK_WORK_DEACTIVATE, LINK_WORK_REMOVE } from '../store/store.js';
import type { ObjectRecord } from '../store/record.js';
import type { DSName, StoredValue } from '../schema/syntaxes/syntax.js';
import { SearchFlags, SystemFlags, resolveSchemaDn } from '../schema/types.js';
import type { ModifyRequest, Change } from '../ldap/protocol/messages.js';
import { ModifyOperation } from '../ldap/protocol/messages.js';
import type { Directory } from './directory.js';
import type { OperationContext } from './api.js';
import { OriginatingUpdate } from './originating-update.js';
import { AdError, Win32 } from './errors.js';
import { splitNewDN } from './add.js';
import { checkSamAccountName, samAccountTypeOfGroup, samAccountTypeOfUser } from './principals.js';
import { WKGUID } from './provision/well-known.js';
import { defaultPrimaryGroupId } from './sam/user-account-control.js';
import { delayedLinkSettings } from './delayed-links.js';
import { deleteMangledRdn } from './model/naming.js';
import { deactivateLinks, hideLinks, removeLinksOfUndeletedTombstone } from './model/lifecycle.js';

/** MS-ADTS 3.1.1.5.5.6.1: attributes a tombstone keeps (besides the RDN attribute and fPRESERVEONDELETE ones). */
export const TOMBSTONE_KEPT = new Set(
  [
    'nTSecurityDescriptor', 'attributeID', 'attributeSyntax', 'dNReferenceUpdate', 'dNSHostName', 'flatName', 'governsID', 'groupType',
    'instanceType', 'lDAPDisplayName', 'legacyExchangeDN', 'mS-DS-CreatorSID', 'mSMQOwnerID', 'nCName', 'objectClass', 'distinguishedName',
    'objectGUID', 'objectSid', 'oMSyntax', 'proxiedObjectName', 'name', 'replPropertyMetaData', 'sAMAccountName', 'securityIdentifier',
    'sIDHistory', 'subClassOf', 'systemFlags', 'trustPartner', 'trustDirection', 'trustType', 'trustAttributes', 'userAccountControl',
    'uSNChanged', 'uSNCreated', 'whenCreated',
    // set by the delete itself
    'isDeleted', 'isRecycled', 'lastKnownParent', 'msDS-LastKnownRDN',
  ].map((n) => n.toLowerCase()),
);

/** Longest RDN value (MS-ADTS 3.1.1.5.1.2 naming constraints). */
const MAX_RDN = 255;

export function isDeletedRecord(dir: Directory, rec: ObjectRecord): boolean {
  const id = dir.schema.attr('isDeleted')!.id;
  return rec.attrs.find((a) => a.id === id)?.values[0] === true;
}

export function firstValue(dir: Directory, rec: ObjectRecord, name: string): StoredValue | undefined {
  const info = dir.schema.attr(name);
  return info ? (rec.attrs.find((a) => a.id === info.id)?.values[0] as StoredValue | undefined) : undefined;
}

export function systemFlagsOf(dir: Directory, rec: ObjectRecord): number {
  return ((firstValue(dir, rec, 'systemFlags') as number | undefined) ?? 0) >>> 0;
}

// The delete-mangled RDN and its inverse belong to the state model's naming rules (model/naming.ts).
export { deleteMangledRdn } from './model/naming.js';

/** The RDN value without a delete mangling, if it has one. */
export function unmangle(rdn: string): string {
  const i = rdn.indexOf('\nDEL:');
  return i >= 0 ? rdn.slice(0, i) : rdn;
}

/** The NC's Deleted Objects container: the NC head's wellKnownObjects value with GUID_DELETED_OBJECTS_CONTAINER (MS-ADTS 6.1.1.4). */
export function deletedObjectsContainer(dir: Directory, r: ReadTxn, nc: Buffer): Buffer | undefined {
  const head = r.getObject(nc);
  if (!head) return undefined;
  const info = dir.schema.attr('wellKnownObjects')!;
  const values = (head.attrs.find((a) => a.id === info.id)?.values ?? []) as { ref: DSName; binary: Uint8Array }[];
  for (const v of values) {
    if (Buffer.from(v.binary).toString('hex').toUpperCase() === WKGUID.DELETED_OBJECTS && r.hasObject(Buffer.from(v.ref.guid))) return Buffer.from(v.ref.guid);
  }
  return undefined;
}

/**
 * Whether the Recycle Bin optional feature is enabled (MS-ADTS 3.1.1.9.1): the Partitions
 * container of the config NC lists it in msDS-EnabledFeature.
 */
export function recycleBinEnabled(dir: Directory, r: ReadTxn): boolean {
  const res = dir.names.resolve(r, `CN=Partitions,${dir.forest.configDN}`);
  if (!res.found) return false;
  const info = dir.schema.attr('msDS-EnabledFeature');
  if (!info?.forwardLinkId) return false;
  for (const lv of r.links(res.guid, info.forwardLinkId)) if (lv.stamp.timeDeleted === 0) return true;
  return false;
}

/**
 * Turns object `guid` into a tombstone (Recycle Bin off, MS-ADTS 3.1.1.5.5.6.1) or a
 * deleted-object (Recycle Bin on, 3.1.1.5.5.6.2), as part of update `u`. The caller has
 * checked the delete is allowed.
 */
export function deleteObject(dir: Directory, u: OriginatingUpdate, guid: Buffer, deletedObjects: Buffer, recycleBin: boolean): void {
  const w = u.txn;
  const schema = dir.schema;
  const A = (n: string) => schema.attr(n)!;
  const prev = w.getObject(guid)!;
  const rec: ObjectRecord = { ...prev, attrs: prev.attrs.map((a) => ({ ...a })) };
  const sf = systemFlagsOf(dir, prev);

  if (!recycleBin) {
    // strip everything but the kept attributes; each removal is stamped (MS-ADTS 3.1.1.5.5.6.1)
    for (const a of prev.attrs) {
      if (a.values.length === 0 || a.id === prev.rdnType) continue;
      const info = schema.attrById(a.id);
      if (!info) continue;
      if (TOMBSTONE_KEPT.has(info.name.toLowerCase()) || (info.schema.searchFlags & SearchFlags.fPRESERVEONDELETE) !== 0) continue;
      u.setAttribute(rec, info, []);
    }
  } else {
    // a deleted-object keeps its attributes (MS-ADTS 3.1.1.5.5.1.2 deleted-object requirements)
    // except objectCategory and sAMAccountType, which it loses (and an undelete gives back);
    // msDS-LastKnownRDN remembers its name (3.1.1.5.5.6.2)
    for (const n of ['objectCategory', 'sAMAccountType']) {
      const info = A(n);
      if (prev.attrs.some((a) => a.id === info.id && a.values.length > 0)) u.setAttribute(rec, info, []);
    }
    u.setAttribute(rec, A('msDS-LastKnownRDN'), [unmangle(prev.name)]);
  }
  const mangled = deleteMangledRdn(prev.name, guid);
  u.setAttribute(rec, A('isDeleted'), [true]);
  if (prev.parent) u.setAttribute(rec, A('lastKnownParent'), [{ guid: Buffer.from(prev.parent) }]);
  const rdnInfo = schema.attrById(prev.rdnType)!;
  u.setAttribute(rec, rdnInfo, [mangled]);
  u.setAttribute(rec, A('name'), [mangled]);
  rec.name = mangled;
  // FLAG_DISALLOW_MOVE_ON_DELETE: the tombstone stays where it was (MS-ADTS 2.2.10)
  if (!(sf & SystemFlags.FLAG_DISALLOW_MOVE_ON_DELETE)) rec.parent = deletedObjects;
  u.touch(rec);
  w.putObject(guid, rec, prev);

  // links (MS-ADTS 3.1.1.1.6 referential integrity): a tombstone has no link values, and no
  // object keeps a link value naming it; with the Recycle Bin the values are deactivated instead
  // (3.1.1.9.1: "link valued attributes are maintained both to and from deleted-objects").
  // Both are this DC's own clean-up, not part of the originating update: no value is stamped
  // and no source object changes (MS-DRSR 5.160; model/lifecycle.ts hideLinks) — a group that
  // named the deleted object keeps its uSNChanged and its metadata, as on Windows.
  // Many values: queued for delayed link processing (3.1.1.1.16); readers already see them
  // removed/deactivated (Store.links/backlinks consult the queue).
  if (countLinksUpTo(w, guid, delayedLinkSettings.inlineMax + 1) > delayedLinkSettings.inlineMax) {
    w.queueLinkWork(guid, recycleBin ? LINK_WORK_DEACTIVATE : LINK_WORK_REMOVE);
    return;
  }
  if (!recycleBin) {
    hideLinks(w, guid);
    return;
  }
  // the same clean-up as a DC applying the replicated delete does (model/lifecycle.ts)
  deactivateLinks(w, guid);
}

/** How many link values name `guid` or belong to it (forward values and back-link entries), counting at most to `limit`. */
export function countLinksUpTo(r: ReadTxn, guid: Buffer, limit: number): number {
  let n = 0;
  for (const lv of r.rawLinks(guid)) if (lv.stamp.timeDeleted === 0 && ++n >= limit) return n;
  for (const _ of r.rawBacklinks(guid)) if (++n >= limit) return n;
  return n;
}

/** Marks object `guid` changed by `u` (uSNChanged, whenChanged), once per update. */
export function touchObject(u: OriginatingUpdate, guid: Buffer): void {
  const w = u.txn;
  const prev = w.getObject(guid);
  if (!prev || prev.usnChanged === u.usn) return;
  const rec: ObjectRecord = { ...prev, attrs: prev.attrs };
  u.touch(rec);
  w.putObject(guid, rec, prev);
}

// ---- undelete (MS-ADTS 3.1.1.5.3.7) ----------------------------------------------------

/** An undelete is a modify that removes isDeleted and replaces distinguishedName (both, MS-ADTS 3.1.1.5.3.7). */
export function isUndeleteRequest(dir: Directory, req: ModifyRequest): boolean {
  let removesIsDeleted = false;
  let replacesDn = false;
  for (const ch of req.changes) {
    const info = dir.schema.attr(ch.modification.type.split(';')[0]!);
    if (!info) continue;
    if (info.name === 'isDeleted' && ch.operation === ModifyOperation.delete) removesIsDeleted = true;
    if (info.name === 'distinguishedName' && ch.operation === ModifyOperation.replace && ch.modification.values.length === 1) replacesDn = true;
  }
  return removesIsDeleted && replacesDn;
}

/**
 * Undeletes `guid` (a tombstone or deleted-object) to the DN the request names, as part of one
 * originating update in `w`. Attributes a tombstone lost stay lost (the client may give them in
 * the same request). Returns the request's other changes, for the modify to apply.
 */
export function undelete(dir: Directory, w: WriteTxn, guid: Buffer, prev: ObjectRecord, req: ModifyRequest, _ctx: OperationContext): Change[] {
  const place = 'dsa.undelete';
  const schema = dir.schema;
  const snap = schema.snapshot;
  const A = (n: string) => schema.attr(n)!;
  const rest: Change[] = [];
  let newDn = '';
  for (const ch of req.changes) {
    const info = schema.attr(ch.modification.type.split(';')[0]!);
    if (info?.name === 'isDeleted' && ch.operation === ModifyOperation.delete) continue;
    if (info?.name === 'distinguishedName' && ch.operation === ModifyOperation.replace) {
      newDn = ch.modification.values[0]!.toString('utf8');
      continue;
    }
    rest.push(ch);
  }
  // the deleted objects containers themselves are not undeleted
  if (prev.parent === null || deletedObjectsContainer(dir, w, prev.nc)?.equals(guid)) throw AdError.unwillingToPerformWith(place, Win32.ERROR_DS_ILLEGAL_MOD_OPERATION, 'this object cannot be undeleted');
  if (firstValue(dir, prev, 'isRecycled') === true) throw AdError.unwillingToPerformWith(place, Win32.ERROR_DS_ILLEGAL_MOD_OPERATION, 'a recycled object cannot be undeleted');
  const { rdnType, rdnValue, parentDN } = splitNewDN(newDn, place);
  const rdnInfo = schema.attr(rdnType);
  if (!rdnInfo || rdnInfo.id !== prev.rdnType) throw AdError.namingViolation(place, `the RDN attribute of this object is ${schema.attrById(prev.rdnType)?.name}`);
  if (rdnValue.includes('\n') || rdnValue.length > MAX_RDN) throw AdError.namingViolation(place, 'the RDN must not contain a line feed and must have at most 255 characters');
  const parent = dir.resolve(w, parentDN, place);
  const parentRec = w.getObject(parent)!;
  if (isDeletedRecord(dir, parentRec)) throw AdError.noSuchObject(place, '');
  // Windows answers operationsError (Samba's tombstone_reanimation.py test_undelete_cross_nc, run against Windows)
  if (!parentRec.nc.equals(prev.nc)) throw AdError.operationsErrorWith(place, Win32.ERROR_DS_CROSS_NC_DN_RENAME, 'an object is undeleted into its own naming context');
  // possSuperiors of the object's class
  const ocInfo = A('objectClass');
  const oc = (prev.attrs.find((a) => a.id === ocInfo.id)?.values ?? []) as string[];
  const structural = [...oc].reverse().map((o) => snap.classByOid(o)).find((c) => c && c.objectClassCategory !== 3);
  if (structural) {
    const poss = [...snap.classInfo(structural)!.possSuperiors].map((x) => x.toLowerCase());
    const parentClasses = ((parentRec.attrs.find((a) => a.id === ocInfo.id)?.values ?? []) as string[]).map((o) => snap.classByOid(o)?.lDAPDisplayName.toLowerCase());
    if (!parentClasses.some((pc) => pc && poss.includes(pc))) throw AdError.illegalSuperior(place, `a ${structural.lDAPDisplayName} cannot be placed under this parent (possSuperiors)`);
  }

  const u = new OriginatingUpdate(w, dir.store.dc.invocationId, dir.clock);
  const rec: ObjectRecord = { ...prev, attrs: prev.attrs.map((a) => ({ ...a })) };
  const wasRecycleBinDeleted = firstValue(dir, prev, 'msDS-LastKnownRDN') !== undefined;
  u.setAttribute(rec, A('isDeleted'), []);
  if (wasRecycleBinDeleted) u.setAttribute(rec, A('msDS-LastKnownRDN'), []);
  u.setAttribute(rec, rdnInfo, [rdnValue]);
  u.setAttribute(rec, A('name'), [rdnValue]);
  rec.parent = parent;
  rec.name = rdnValue;
  // what a tombstone lost and the object needs back: objectCategory (class default) and sAMAccountType (from the flags)
  const has = (n: string) => rec.attrs.some((a) => a.id === A(n).id && a.values.length > 0);
  if (structural && !has('objectCategory')) {
    const catDn = resolveSchemaDn(structural.defaultObjectCategory, dir.forest.schemaDN);
    const cat = dir.names.resolve(w, catDn);
    if (cat.found) u.setAttribute(rec, A('objectCategory'), [{ guid: cat.guid }]);
  }
  const names = oc.map((o) => snap.classByOid(o)?.lDAPDisplayName);
  const uac = firstValue(dir, rec, 'userAccountControl') as number | undefined;
  const gt = firstValue(dir, rec, 'groupType') as number | undefined;
  // the name may have been taken while the object was deleted (MS-ADTS 3.1.1.5.3.7 constraints)
  const sam = firstValue(dir, rec, 'sAMAccountName') as string | undefined;
  if (sam !== undefined && (names.includes('user') || names.includes('group'))) checkSamAccountName(dir, w, sam, guid, place);
  if (!has('sAMAccountType')) {
    if (names.includes('user') && uac !== undefined) u.setAttribute(rec, A('sAMAccountType'), [samAccountTypeOfUser(uac >>> 0)]);
    else if (names.includes('group') && gt !== undefined) u.setAttribute(rec, A('sAMAccountType'), [samAccountTypeOfGroup(gt >>> 0)]);
  }
  // a user gets back the SAM attributes a tombstone lost (MS-SAMR 3.1.1.8.1: "if no value is
  // present"), and adminCount and operatorCount 0 as Windows restores them (Samba's
  // tombstone_reanimation.py test_restore_user, run against Windows)
  if (names.includes('user')) {
    for (const [n, v] of restoredUserDefaults(uac)) if (!has(n)) u.setAttribute(rec, A(n), [v]);
  }
  u.touch(rec);
  try {
    w.putObject(guid, rec, prev);
  } catch (e) {
    if (e instanceof StoreError && e.code === 'ERR_STORE_NAME_EXISTS') throw AdError.entryAlreadyExists(place);
    throw e;
  }
  reanimateLinks(dir, u, guid, !wasRecycleBinDeleted);
  return rest;
}

/**
 * The links of an undeleted object (MS-ADTS 3.1.1.5.3.7, 3.1.1.9.1): a deleted-object's
 * deactivated values come back to life in both directions — its own forward values whose
 * target is not deleted, and the values of other, not deleted, objects that name it (found
 * through the store's `deactivated` back-link index). A tombstone's values were removed and
 * stay removed: hidden ones (or ones whose clean-up is still queued) are removed by stamps here.
 */
export function reanimateLinks(dir: Directory, u: OriginatingUpdate, guid: Buffer, wasTombstone: boolean): void {
  const w = u.txn;
  const pending = w.linkWorkOf(guid);
  if (pending === LINK_WORK_REMOVE || wasTombstone) {
    // a tombstone's values (hidden, or their clean-up still queued) stay removed: by stamps now,
    // so that every replica loses them (model/lifecycle.ts removeLinksOfUndeletedTombstone)
    removeLinksOfUndeletedTombstone(u, guid);
  }
  // values not yet deactivated by a queued deactivation are active already: drop the queue entry
  if (pending !== undefined) w.finishLinkWork(guid);
  const alive = (g: Buffer) => {
    const rec = w.getObject(g);
    return !!rec && !isDeletedRecord(dir, rec) && w.linkWorkOf(g) === undefined;
  };
  for (const lv of [...w.rawLinks(guid)]) {
    if (lv.deactivated && lv.stamp.timeDeleted === 0 && alive(lv.target)) w.putLink({ ...lv, deactivated: false });
  }
  for (const b of [...w.deactivatedBacklinks(guid)]) {
    const source = Buffer.from(b.source);
    if (!alive(source)) continue;
    const lv = w.getLink(source, b.linkId, guid, Buffer.from(b.data));
    if (lv && lv.deactivated && lv.stamp.timeDeleted === 0) w.putLink({ ...lv, deactivated: false });
  }
}

/** The attributes an undeleted user gets when its tombstone lost them (see undelete). */
function restoredUserDefaults(uac: number | undefined): [string, unknown][] {
  return [
    ['adminCount', 0],
    ['operatorCount', 0],
    ['badPwdCount', 0],
    ['badPasswordTime', 0n],
    ['codePage', 0],
    ['countryCode', 0],
    ['lastLogon', 0n],
    ['lastLogoff', 0n],
    ['logonCount', 0],
    ['pwdLastSet', 0n],
    ['accountExpires', 0x7fffffffffffffffn],
    ['primaryGroupID', defaultPrimaryGroupId(uac ?? 0)],
  ];
}
