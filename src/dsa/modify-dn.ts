// LDAP Modify DN (MS-ADTS 3.1.1.5.4; RFC 4511 4.9): rename and move within a naming context.
// A DN is derived from `parent` and the RDN, so the operation rewrites one object whatever the
// size of its subtree: its parent, its RDN, and the stamps of its RDN attribute (on a rename)
// and of `name` (a move is replicated as a change of `name`, whose metadata carries the parent).
import { accessFor } from './access/requester.js';
import { checkModifyDN } from './access/checks.js';
import { checkSingleMaster } from './fsmo-roles.js';
import { propagateSd } from './access/sd-write.js';
import { kickSdPropagation, renameNeedsPropagation } from './access/sd-propagator.js';
import type { ModifyDNRequest } from '../ldap/protocol/messages.js';
import { StoreError } from '../store/store.js';
import type { ObjectRecord } from '../store/record.js';
import { SystemFlags, ObjectClassCategory } from '../schema/types.js';
import { parseDN, InvalidDNError } from '../dn/dn.js';
import type { Directory } from './directory.js';
import type { OperationContext, OperationResult } from './api.js';
import { isValidSubnetName } from './site-objects.js';
import { AdError, Win32 } from './errors.js';
import { OriginatingUpdate } from './originating-update.js';
import { checkControls } from './controls.js';
import { SHOW_DELETED_OID } from '../ldap/controls/show-deleted.js';
import { SHOW_RECYCLED_OID } from '../ldap/controls/show-recycled.js';
import { isDeletedRecord, systemFlagsOf } from './tombstone.js';
import { schemaChanged } from './schema-update.js';

const PLACE = 'dsa.modifyDN';
/** MS-ADTS 3.1.1.5.1.2: an RDN has fewer than 256 characters. */
const MAX_RDN = 255;

/** The LDAP Modify DN operation. */
export async function modifyDN(dir: Directory, req: ModifyDNRequest, ctx: OperationContext): Promise<OperationResult> {
  const controls = checkControls(ctx.controls, 'modifyDN');
  const showDeleted = controls.has(SHOW_DELETED_OID) || controls.has(SHOW_RECYCLED_OID);
  const { type: rdnType, value: rdnValue } = parseNewRdn(req.newrdn);
  let schemaTouched = false;
  await dir.store.write((w) => {
    const schema = dir.schema;
    const snap = schema.snapshot;
    const guid = dir.resolve(w, req.entry, PLACE);
    const prev = w.getObject(guid)!;
    // deleted objects move only by an undelete (MS-ADTS 3.1.1.5.4 / 3.1.1.5.3.7 "Undelete Operation")
    if (isDeletedRecord(dir, prev)) {
      if (!showDeleted) throw AdError.noSuchObject(PLACE, prev.parent ? dir.dnOf(w, prev.parent) : '');
      throw AdError.unwillingToPerformWith(PLACE, Win32.ERROR_DS_CANT_MOVE_DELETED_OBJECT, 'a deleted object is moved only by an undelete');
    }
    // MS-ADTS 3.1.1.5.1.8: a schema object is renamed on the Schema Master (fsmo-roles.ts)
    checkSingleMaster(dir, w, { op: 'modifyDN', dn: req.entry, nc: prev.nc, parent: prev.parent, guid }, PLACE);
    // NC heads are renamed by the domain rename procedure, not by Modify DN
    if (prev.parent === null) throw AdError.unwillingToPerformWith(PLACE, Win32.ERROR_DS_MODIFYDN_DISALLOWED_BY_INSTANCE_TYPE, 'the head of a naming context cannot be renamed or moved');

    // the new RDN: the class's rDNAttID (MS-ADTS 3.1.1.3.1.2.1 "Naming Attributes"), naming constraints of 3.1.1.5.1.2
    const rdnInfo = schema.attr(rdnType);
    if (!rdnInfo || rdnInfo.id !== prev.rdnType) throw AdError.namingViolation(PLACE, `the RDN attribute of this object is ${schema.attrById(prev.rdnType)?.name ?? prev.rdnType}`);
    if (rdnValue.length === 0 || [...rdnValue].length > MAX_RDN) throw AdError.namingViolation(PLACE, 'the RDN value must have 1 to 255 characters');
    if (rdnValue.includes('\n')) throw AdError.namingViolation(PLACE, 'the RDN must not contain a line feed');
    if (rdnValue.includes('\0')) throw AdError.invalidDNSyntax(PLACE, 'the RDN must not contain a NUL character');

    // the new parent
    const oldParent = prev.parent;
    let newParent = oldParent;
    let parentRec: ObjectRecord = w.getObject(oldParent)!;
    if (req.newSuperior !== undefined && req.newSuperior !== '') {
      newParent = dir.resolve(w, req.newSuperior, PLACE);
      parentRec = w.getObject(newParent)!;
      if (isDeletedRecord(dir, parentRec)) throw AdError.noSuchObject(PLACE, parentRec.parent ? dir.dnOf(w, parentRec.parent) : '');
    }
    const moved = !newParent.equals(oldParent);
    const renamed = rdnValue !== prev.name;
    if (!moved && !renamed) return;
    // a subnet keeps an address prefix as its name, on rename too (site-objects.ts)
    if (renamed && !isValidSubnetName(rdnValue)) {
      const ocs = (prev.attrs.find((a) => a.id === schema.attr('objectClass')!.id)?.values ?? []) as string[];
      if (ocs.some((o) => snap.classByOid(o)?.lDAPDisplayName === 'subnet')) throw AdError.invalidDNSyntax(PLACE, `${JSON.stringify(rdnValue)} is not a subnet in address/prefix-length form`);
    }
    const acc = accessFor(dir, w, ctx);
    if (acc) checkModifyDN(dir, acc, guid, prev, renamed, moved ? { guid: newParent, rec: parentRec } : undefined, PLACE);

    if (moved) {
      // MS-ADTS 3.1.1.5.4: within the NC only (a cross-NC move is a cross-domain move, not supported)
      if (!parentRec.nc.equals(prev.nc)) throw AdError.affectsMultipleDSAs(PLACE);
      // not under itself
      for (let g: Buffer | null = newParent; g; g = w.getObject(g)?.parent ?? null) {
        // Windows answers namingViolation (issue 13, item 3)
        if (g.equals(guid)) throw AdError.namingViolation(PLACE, 'an object cannot be moved under itself');
      }
      // possSuperiors of the object's structural class (MS-ADTS 3.1.1.5.4 / 3.1.1.5.2.1.2)
      const ocInfo = schema.attr('objectClass')!;
      const oc = (prev.attrs.find((a) => a.id === ocInfo.id)?.values ?? []) as string[];
      const structural = [...oc].reverse().map((o) => snap.classByOid(o)).find((c) => c && c.objectClassCategory !== ObjectClassCategory.Auxiliary);
      if (structural) {
        const poss = [...snap.classInfo(structural)!.possSuperiors].map((x) => x.toLowerCase());
        const parentClasses = ((parentRec.attrs.find((a) => a.id === ocInfo.id)?.values ?? []) as string[]).map((o) => snap.classByOid(o)?.lDAPDisplayName.toLowerCase());
        if (!parentClasses.some((pc) => pc && poss.includes(pc))) throw AdError.illegalSuperior(PLACE, `a ${structural.lDAPDisplayName} cannot be placed under this parent (possSuperiors)`);
      }
    }

    // systemFlags (MS-ADTS 2.2.10, 3.1.1.5.4): protected objects of the domain NC, opt-in renames and moves in the config NC
    const sf = systemFlagsOf(dir, prev);
    const byFlag = (what: string) => AdError.unwillingToPerformWith(PLACE, Win32.ERROR_DS_MODIFYDN_DISALLOWED_BY_FLAG, `a system flag of the object does not allow it to be ${what}`);
    if (prev.nc.equals(dir.forest.schemaNC)) {
      if (moved) throw AdError.unwillingToPerformWith(PLACE, Win32.ERROR_DS_NO_OBJECT_MOVE_IN_SCHEMA_NC, 'objects of the schema naming context cannot be moved');
    } else if (prev.nc.equals(dir.forest.configNC)) {
      if (renamed && !(sf & SystemFlags.FLAG_CONFIG_ALLOW_RENAME)) throw byFlag('renamed (FLAG_CONFIG_ALLOW_RENAME is not set)');
      if (moved && !(sf & SystemFlags.FLAG_CONFIG_ALLOW_MOVE)) {
        if (!(sf & SystemFlags.FLAG_CONFIG_ALLOW_LIMITED_MOVE)) throw byFlag('moved (FLAG_CONFIG_ALLOW_MOVE is not set)');
        // a limited move keeps the grandparent
        const oldGrand = w.getObject(oldParent)!.parent;
        if (!oldGrand || !parentRec.parent || !parentRec.parent.equals(oldGrand)) {
          throw AdError.unwillingToPerformWith(PLACE, Win32.ERROR_DS_MODIFYDN_WRONG_GRANDPARENT, 'a limited move (FLAG_CONFIG_ALLOW_LIMITED_MOVE) keeps the grandparent');
        }
      }
    } else {
      if (renamed && sf & SystemFlags.FLAG_DOMAIN_DISALLOW_RENAME) throw byFlag('renamed (FLAG_DOMAIN_DISALLOW_RENAME)');
      if (moved && sf & SystemFlags.FLAG_DOMAIN_DISALLOW_MOVE) throw byFlag('moved (FLAG_DOMAIN_DISALLOW_MOVE)');
    }

    // one object rewritten: the children follow by derivation (their records are untouched)
    const u = new OriginatingUpdate(w, dir.store.dc.invocationId, dir.clock);
    const rec: ObjectRecord = { ...prev, attrs: prev.attrs.map((a) => ({ ...a })) };
    if (renamed) u.setAttribute(rec, rdnInfo, [rdnValue]);
    u.setAttribute(rec, schema.attr('name')!, [rdnValue]);
    rec.name = rdnValue;
    rec.parent = newParent;
    u.touch(rec);
    try {
      w.putObject(guid, rec, prev);
    } catch (e) {
      if (e instanceof StoreError && e.code === 'ERR_STORE_NAME_EXISTS') throw AdError.entryAlreadyExists(PLACE);
      throw e;
    }
    // a moved subtree inherits from its new parent (MS-ADTS 3.1.1.6.3)
    // (a rename under a pending propagation changes the object's place in the walk's order: the same)
    if (moved || renameNeedsPropagation(dir, w, newParent)) propagateSd(dir, w, guid, true);
    // a rename of a schema object leaves schemaInfo as it is (issue 13, item 4, as Windows);
    // the schema cache is refreshed for the new cn
    if (prev.nc.equals(dir.forest.schemaNC)) schemaTouched = true;
  });
  if (schemaTouched) schemaChanged(dir);
  kickSdPropagation(dir);
  return {};
}

/** The newrdn of the request: exactly one attribute=value (AD's RDNs are single-valued). */
function parseNewRdn(newrdn: string): { type: string; value: string } {
  let rdns;
  try {
    rdns = parseDN(newrdn);
  } catch (e) {
    if (e instanceof InvalidDNError) throw AdError.invalidDNSyntax(PLACE, e.message);
    throw e;
  }
  if (rdns.length !== 1) throw AdError.invalidDNSyntax(PLACE, 'newrdn must be a single RDN');
  if (rdns[0]!.length !== 1) throw AdError.namingViolation(PLACE, 'multi-valued RDNs are not supported');
  return { type: rdns[0]![0]!.type, value: rdns[0]![0]!.value };
}
