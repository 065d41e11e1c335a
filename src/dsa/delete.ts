// LDAP Delete (MS-ADTS 3.1.1.5.5): the object becomes a tombstone (Recycle Bin off, the
// default) or a deleted-object (Recycle Bin on) in its NC's Deleted Objects container; see
// tombstone.ts for the transformation; an object with many link values has them processed
// after the delete returns (delayed-links.ts, MS-ADTS 3.1.1.1.16). A leaf only, unless the tree delete control asks for
// the whole subtree (deleted children first). One request is one originating update.
import { accessFor } from './access/requester.js';
import { checkDelete } from './access/checks.js';
import { checkSingleMaster } from './fsmo-roles.js';
import type { DelRequest } from '../ldap/protocol/messages.js';
import type { ObjectRecord } from '../store/record.js';
import type { WriteTxn } from '../store/store.js';
import { SystemFlags } from '../schema/types.js';
import type { Directory } from './directory.js';
import type { OperationContext, OperationResult } from './api.js';
import { AdError, Win32 } from './errors.js';
import { OriginatingUpdate } from './originating-update.js';
import { checkControls } from './controls.js';
import { TREE_DELETE_OID } from '../ldap/controls/tree-delete.js';
import { resumeDelayedLinks } from './delayed-links.js';
import { samDeleteRules } from './sam/index.js';
import { deletedObjectsContainer, deleteObject, firstValue, isDeletedRecord, recycleBinEnabled, systemFlagsOf } from './tombstone.js';

export { isUndeleteRequest, undelete } from './tombstone.js';

/**
 * The most objects one tree delete removes. A subtree is deleted in one transaction (one
 * originating update); past this size the request is refused with adminLimitExceeded, and the
 * client deletes the subtree in parts (AD itself deletes big trees in several transactions and
 * answers ERROR_DS_TREE_DELETE_NOT_FINISHED to be called again; forestd does not do that yet).
 */
export const deleteSettings = { treeDeleteMaxObjects: 10_000 };

/** ERROR_DS_CANT_TREE_DELETE_CRITICAL_OBJ (MS-ERREF). */
const ERROR_DS_CANT_TREE_DELETE_CRITICAL_OBJ = 0x2170;

/** The LDAP Delete operation. */
export async function del(dir: Directory, req: DelRequest, ctx: OperationContext): Promise<OperationResult> {
  const place = 'dsa.delete';
  const controls = checkControls(ctx.controls, 'delete');
  const tree = controls.has(TREE_DELETE_OID);
  await dir.store.write((w) => {
    const guid = dir.resolve(w, req.entry, place);
    const rec = w.getObject(guid)!;
    // a deleted object is gone as far as a delete is concerned (constraints of MS-ADTS 3.1.1.5.5 "Delete Operation")
    if (isDeletedRecord(dir, rec)) throw AdError.noSuchObject(place, rec.parent ? dir.dnOf(w, rec.parent) : '');
    // MS-ADTS 3.1.1.5.1.8: crossRefs are deleted on the Domain Naming Master (fsmo-roles.ts)
    checkSingleMaster(dir, w, { op: 'delete', dn: req.entry, nc: rec.nc, parent: rec.parent, guid }, place);
    const acc = accessFor(dir, w, ctx);
    if (acc) checkDelete(acc, guid, rec, tree && w.countChildren(guid) > 0, place);
    checkDeletable(dir, guid, rec, place, false);
    samDeleteRules(dir, w, rec, place);
    const victims: Buffer[] = [];
    if (w.countChildren(guid) > 0) {
      // MS-ADTS 3.1.1.5.5.7 "Tree-delete Operation": a non-leaf needs LDAP_SERVER_TREE_DELETE_OID
      if (!tree) throw AdError.childrenExist(place);
      collectSubtree(dir, w, guid, victims, place);
    } else victims.push(guid);
    const deletedObjects = deletedObjectsContainer(dir, w, rec.nc);
    if (!deletedObjects) throw AdError.unwillingToPerformWith(place, Win32.ERROR_DS_CANT_DELETE, 'objects of this naming context cannot be deleted');
    const recycleBin = recycleBinEnabled(dir, w);
    const u = new OriginatingUpdate(w, dir.store.dc.invocationId, dir.clock);
    for (const g of victims) deleteObject(dir, u, g, deletedObjects, recycleBin);
  });
  // link values queued for delayed processing (MS-ADTS 3.1.1.1.16): handled in the background
  if (dir.store.linkWorkHint > 0) void resumeDelayedLinks(dir).catch(() => {});
  return {};
}

/**
 * The refusals of MS-ADTS 3.1.1.5.5 "Delete Operation" (its constraints): NC heads, FLAG_DISALLOW_DELETE, critical
 * system objects, the schema NC (schema objects are made defunct, never deleted, 3.1.1.2.5).
 */
function checkDeletable(dir: Directory, guid: Buffer, rec: ObjectRecord, place: string, inTree: boolean): void {
  if (rec.parent === null) throw AdError.unwillingToPerformWith(place, Win32.ERROR_DS_CANT_DELETE, 'the head of a naming context is not deleted with an LDAP delete');
  if (rec.nc.equals(dir.forest.schemaNC)) throw AdError.unwillingToPerformWith(place, Win32.ERROR_DS_CANT_DELETE, 'schema objects are not deleted; make them defunct (isDefunct TRUE)');
  if (systemFlagsOf(dir, rec) & SystemFlags.FLAG_DISALLOW_DELETE) throw AdError.unwillingToPerformWith(place, Win32.ERROR_DS_CANT_DELETE, 'the object is protected from deletion (systemFlags FLAG_DISALLOW_DELETE)');
  if (firstValue(dir, rec, 'isCriticalSystemObject') === true) {
    throw AdError.unwillingToPerformWith(place, inTree ? ERROR_DS_CANT_TREE_DELETE_CRITICAL_OBJ : Win32.ERROR_DS_CANT_DELETE, 'the object is a critical system object (isCriticalSystemObject)');
  }
  if (dir.forest.dsaGuid.equals(guid)) throw AdError.unwillingToPerformWith(place, Win32.ERROR_DS_CANT_DELETE, "this DC's nTDSDSA object is not deleted over LDAP");
  // the crossRefs of the forest's own NCs (Samba's deletetest.py test_delete_protection, run
  // against Windows): the schema NC's is refused with unwillingToPerform, the configuration
  // and domain NCs' with notAllowedOnNonLeaf (the NC they name still exists)
  const nc = firstValue(dir, rec, 'nCName') as { guid?: Uint8Array } | undefined;
  if (nc?.guid && isCrossRef(dir, rec)) {
    const g = Buffer.from(nc.guid);
    if (g.equals(dir.forest.schemaNC)) throw AdError.unwillingToPerformWith(place, Win32.ERROR_DS_CANT_DELETE, 'the crossRef of the schema naming context is not deleted');
    if (g.equals(dir.forest.configNC) || g.equals(dir.forest.domainNC)) throw AdError.childrenExist(place);
  }
}

function isCrossRef(dir: Directory, rec: ObjectRecord): boolean {
  const oid = dir.schema.snapshot.classByName('crossRef')?.governsID;
  const ocInfo = dir.schema.attr('objectClass')!;
  return !!oid && ((rec.attrs.find((a) => a.id === ocInfo.id)?.values ?? []) as string[]).includes(oid);
}

/** The subtree under `root`, children before their parents, checked and capped at deleteSettings.treeDeleteMaxObjects. */
function collectSubtree(dir: Directory, w: WriteTxn, root: Buffer, out: Buffer[], place: string): void {
  // iterative post-order walk: a deep tree must not overflow the stack
  const stack: { guid: Buffer; expanded: boolean }[] = [{ guid: root, expanded: false }];
  let seen = 0;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.expanded) {
      stack.pop();
      out.push(top.guid);
      continue;
    }
    top.expanded = true;
    if (++seen > deleteSettings.treeDeleteMaxObjects) {
      throw AdError.adminLimitExceeded(place, `a tree delete removes at most ${deleteSettings.treeDeleteMaxObjects} objects in one request; delete the subtree in parts`);
    }
    const rec = w.getObject(top.guid)!;
    if (!top.guid.equals(root)) {
      if (isDeletedRecord(dir, rec)) {
        // already deleted (FLAG_DISALLOW_MOVE_ON_DELETE tombstones stay in place): nothing to do
        top.expanded = true;
        stack.pop();
        continue;
      }
      checkDeletable(dir, top.guid, rec, place, true);
    }
    for (const c of w.children(top.guid)) stack.push({ guid: Buffer.from(c), expanded: false });
  }
}
