// Modify operations on the rootDSE (MS-ADTS 3.1.1.3.3 "rootDSE Modify Operations"): writing
// one of these attributes asks the DC to do something. Implemented: schemaUpdateNow
// (3.1.1.3.3.13: rebuild the schema cache from the schema NC now), enableOptionalFeature
// (3.1.1.3.3.28, optional features 3.1.1.9; the Recycle Bin is the one feature known) and
// disableOptionalFeature (3.1.1.3.3.27: refused, the Recycle Bin cannot be disabled) and
// runProtectAdminGroupsTask (the AdminSDHolder protection now, 3.1.1.6.1; dsa/admin-sd-holder.ts),
// invalidateRidPool (this DC gives up its RID pools; dsa/rid-set.ts),
// and the FSMO role transfers becomeSchemaMaster, becomeDomainMaster, becomeRidMaster, becomePdc,
// becomePdcWithCheckPoint, becomeInfrastructureMaster (3.1.1.3.3.1–3.1.1.3.3.6; dsa/fsmo-roles.ts).
import { accessFor, requesterToken } from './access/requester.js';
import { sidWithRid } from './principals.js';
import { checkControlAccess } from './access/checks.js';
import { ControlAccessRight } from '../security/extended-rights.js';
import type { ModifyRequest } from '../ldap/protocol/messages.js';
import type { Directory } from './directory.js';
import type { OperationContext, OperationResult } from './api.js';
import { AdError, Win32, dsid } from './errors.js';
import { OperationsError } from '../ldap/protocol/result-codes.js';
import { OriginatingUpdate } from './originating-update.js';
import { touchObject } from './tombstone.js';
import { guidFromString, guidToString } from '../util/guid.js';
import type { ReadTxn } from '../store/store.js';
import { runProtectAdminGroups } from './admin-sd-holder.js';
import { giveUpOwnPools } from './rid-set.js';
import { trySidFromString } from '../schema/syntaxes/index.js';
import { BECOME_OPERATIONS, ROLES, becomeRoleOwner, roleObject, type RoleTransfer } from './fsmo-roles.js';

export interface RootDseModifyOptions {
  /** a role transfer to this DC over the replication transport (serve --repl-port) */
  roleTransfer?: RoleTransfer;
}

export async function modifyRootDse(dir: Directory, req: ModifyRequest, ctx: OperationContext, opts: RootDseModifyOptions = {}): Promise<OperationResult> {
  const place = 'dsa.rootDSE';
  for (const ch of req.changes) {
    const name = ch.modification.type.toLowerCase();
    const role = Object.hasOwn(BECOME_OPERATIONS, name) ? BECOME_OPERATIONS[name] : undefined;
    if (role) {
      // MS-ADTS 3.1.1.3.3.1–3.1.1.3.3.6 (becomeDomainMaster … becomeSchemaMaster): the role's control access right on its role object, then the transfer
      const obj = roleObject(dir, dir.store.reader, role);
      if (obj) requireRight(dir, ctx, obj, ROLES[role].right, place);
      // 3.1.1.3.3.3 becomePdc: "the requester MUST provide the domain's SID, in binary format, as the value"
      if (role === 'pdc' && !ch.modification.values.some((v) => v.equals(Buffer.from(dir.forest.domainSid)))) throw AdError.unwillingToPerformWith(place, Win32.ERROR_INVALID_PARAMETER, `${ch.modification.type} takes the domain's SID (binary) as its value`);
      await becomeRoleOwner(dir, role, opts.roleTransfer, place);
      continue;
    }
    switch (name) {
      case 'schemaupdatenow':
        // MS-ADTS 3.1.1.3.3.13 schemaUpdateNow: the Update-Schema-Cache right on the schema NC head
        requireRight(dir, ctx, dir.forest.schemaNC, ControlAccessRight.UPDATE_SCHEMA_CACHE, place);
        dir.reloadSchema();
        break;
      case 'enableoptionalfeature':
      case 'disableoptionalfeature':
        // MS-ADTS 3.1.1.3.3.28: "The requester MUST have the Manage-Optional-Features control
        // access right on the object representing the scope" (checked on the configuration NC head, the forest scope)
        requireRight(dir, ctx, dir.forest.configNC, ControlAccessRight.MANAGE_OPTIONAL_FEATURES, place);
        if (ch.modification.values.length !== 1) throw AdError.unwillingToPerform(place, `${ch.modification.type} takes one value: <scope DN>:<feature GUID>`);
        await changeOptionalFeature(dir, ch.modification.values[0]!.toString('utf8'), name === 'enableoptionalfeature');
        break;
      case 'runprotectadmingroupstask':
        // MS-ADTS 3.1.1.3.3.26 runProtectAdminGroupsTask: run the AdminSDHolder protection now (3.1.1.6.1); Domain Admins only, as runSamUpgradeTasks (3.1.1.3.3.24)
        requireDomainAdmin(dir, ctx, place);
        await runProtectAdminGroups(dir);
        break;
      case 'invalidateridpool':
        // MS-ADTS 3.1.1.3.3 invalidateRidPool: the value is the domain's SID; this DC gives up its RID pools (src/dsa/rid-set.ts)
        requireDomainAdmin(dir, ctx, place);
        await invalidateRidPool(dir, ch.modification.values, place);
        break;
      default:
        throw AdError.unwillingToPerform(place, `rootDSE operation ${ch.modification.type} is not supported`);
    }
  }
  return {};
}

/** invalidateRidPool with `values`: one value, the domain SID (binary, as ADSI sends objectSid, or S-1-5-21-… text). */
async function invalidateRidPool(dir: Directory, values: Buffer[], place: string): Promise<void> {
  const domain = Buffer.from(dir.forest.domainSid);
  const v = values.length === 1 ? values[0]! : undefined;
  const text = v?.toString('utf8');
  const sid = v && (v.equals(domain) ? domain : text && /^S-1-/i.test(text) ? trySidFromString(text.trim()) : undefined);
  if (!sid || !Buffer.from(sid).equals(domain)) throw AdError.unwillingToPerformWith(place, Win32.ERROR_INVALID_PARAMETER, 'invalidateRidPool takes one value: the SID of this DC\'s domain');
  // the next create asks for the new pool (rid-set.ts RidPoolSettings.givenUp), not the end of a
  // replication cycle before it: set before the write, since a cycle that ends while the write
  // commits and flushes would otherwise see the pools gone and no flag, and fetch a pool
  const was = dir.ridPools.givenUp;
  dir.ridPools.givenUp = true;
  try {
    await dir.store.write((w) => giveUpOwnPools(dir, new OriginatingUpdate(w, dir.store.dc.invocationId, dir.clock)));
  } catch (e) {
    dir.ridPools.givenUp = was;
    throw e;
  }
}


// ---- optional features (MS-ADTS 3.1.1.9) ------------------------------------------------

/** MS-ADTS 2.2.17 optional feature flags (msDS-OptionalFeatureFlags). */
export const OptionalFeatureFlags = { FOREST: 0x1, DOMAIN: 0x2, DISABLABLE: 0x4, SERVER: 0x8 } as const;

/** ERROR_DS_NOT_SUPPORTED (MS-ERREF). */
const ERROR_DS_NOT_SUPPORTED = 0x2040;

const hex8 = (n: number) => (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
/** operationsError / ERROR_INVALID_PARAMETER, the answer 3.1.1.3.3.28 gives for an unknown feature or scope. */
function invalidParameter(place: string, detail: string): OperationsError {
  return new OperationsError(`${hex8(Win32.ERROR_INVALID_PARAMETER)}: SvcErr: ${dsid(place)}, problem 5012 (DIR_ERROR), data 0\n${detail}`);
}

/** The Optional Features container (MS-ADTS 6.1.1.2.4.1.3). */
function optionalFeaturesDn(dir: Directory): string {
  return `CN=Optional Features,CN=Directory Service,CN=Windows NT,CN=Services,${dir.forest.configDN}`;
}

/** The msDS-OptionalFeature object whose msDS-OptionalFeatureGUID is `featureGuid`. */
function findFeature(dir: Directory, r: ReadTxn, featureGuid: Buffer): { guid: Buffer; flags: number; forestLevel: number } | undefined {
  const container = dir.names.resolve(r, optionalFeaturesDn(dir));
  if (!container.found) return undefined;
  const idAttr = dir.schema.attr('msDS-OptionalFeatureGUID')!.id;
  const flagsAttr = dir.schema.attr('msDS-OptionalFeatureFlags')!.id;
  const levelAttr = dir.schema.attr('msDS-RequiredForestBehaviorVersion')!.id;
  for (const child of r.children(container.guid)) {
    const rec = r.getObject(Buffer.from(child));
    const id = rec?.attrs.find((a) => a.id === idAttr)?.values[0] as Uint8Array | undefined;
    if (!rec || !id || !Buffer.from(id).equals(featureGuid)) continue;
    const num = (id: number) => Number(rec.attrs.find((a) => a.id === id)?.values[0] ?? 0);
    return { guid: Buffer.from(child), flags: num(flagsAttr) >>> 0, forestLevel: num(levelAttr) };
  }
  return undefined;
}

/**
 * enableOptionalFeature (MS-ADTS 3.1.1.3.3.28) and disableOptionalFeature (3.1.1.3.3.27).
 * `value` is "<DN of the scope object>:<feature GUID as a GUIDString>". Enabling adds the
 * feature object to msDS-EnabledFeature of the scope object (3.1.1.9: "The list of optional
 * features enabled for a scope is stored in the msDS-EnabledFeature attribute on the object
 * representing the scope") and, for a forest-wide feature, of this DC's nTDSDSA object too
 * (msDS-EnabledFeature is an attribute of nTDSDSA, MS-ADA2 2.179; AD and Samba record the
 * features in force on each DC there), as one originating update.
 */
export async function changeOptionalFeature(dir: Directory, value: string, enable: boolean): Promise<void> {
  const place = enable ? 'dsa.rootDSE.enableOptionalFeature' : 'dsa.rootDSE.disableOptionalFeature';
  const colon = value.lastIndexOf(':');
  if (colon < 0) throw invalidParameter(place, 'the value is <scope DN>:<feature GUID>');
  const scopeDn = value.slice(0, colon);
  let featureGuid: Buffer;
  try {
    featureGuid = guidFromString(value.slice(colon + 1).trim().replace(/^\{|\}$/g, ''));
  } catch {
    throw invalidParameter(place, `${value.slice(colon + 1)} is not a GUID`);
  }
  await dir.store.write((w) => {
    // "If the server does not recognize the GUID as identifying a known feature … operationsError / ERROR_INVALID_PARAMETER"
    const feature = findFeature(dir, w, featureGuid);
    if (!feature) throw invalidParameter(place, `no optional feature ${guidToString(featureGuid)}`);
    // "If the DN does not represent an existing object … operationsError / ERROR_INVALID_PARAMETER"
    const res = dir.tryResolve(w, scopeDn);
    if (!res.found) throw invalidParameter(place, `no object ${scopeDn}`);
    const scope = res.guid;
    const partitions = dir.names.resolve(w, `CN=Partitions,${dir.forest.configDN}`);
    const forestScope = partitions.found && partitions.guid.equals(scope);
    const domainScope = dir.forest.domainNC.equals(scope);
    const serverScope = dir.forest.dsaGuid.equals(scope);
    // "If the DN represents an existing object but the object does not represent a scope" and
    // "If the feature is not marked as being valid for the specified scope": unwillingToPerform / ERROR_DS_NOT_SUPPORTED
    if (!forestScope && !domainScope && !serverScope) throw AdError.unwillingToPerformWith(place, ERROR_DS_NOT_SUPPORTED, `${scopeDn} is not an optional feature scope`);
    const F = OptionalFeatureFlags;
    const valid = (forestScope && feature.flags & F.FOREST) || (domainScope && feature.flags & F.DOMAIN) || (serverScope && feature.flags & F.SERVER);
    if (!valid) throw AdError.unwillingToPerformWith(place, ERROR_DS_NOT_SUPPORTED, 'the feature is not valid for this scope');
    const enabled = dir.schema.attr('msDS-EnabledFeature')!;
    const linkId = enabled.forwardLinkId!;
    const isEnabled = [...w.links(scope, linkId)].some((lv) => lv.stamp.timeDeleted === 0 && lv.target.equals(feature.guid));
    if (!enable) {
      // 3.1.1.3.3.27: a feature without DISABLABLE_OPTIONAL_FEATURE cannot be disabled (the Recycle Bin)
      if (!(feature.flags & F.DISABLABLE)) throw AdError.unwillingToPerformWith(place, ERROR_DS_NOT_SUPPORTED, 'this optional feature cannot be disabled');
      throw AdError.unwillingToPerformWith(place, ERROR_DS_NOT_SUPPORTED, 'disabling optional features is not supported');
    }
    // "If the specified optional feature is already enabled in the specified scope … attributeOrValueExists / ERROR_DS_ATT_VAL_ALREADY_EXISTS"
    if (isEnabled) throw AdError.attributeOrValueExists(place, enabled.id, enabled.name);
    // 3.1.1.9.1: the Recycle Bin needs the forest functional level the feature object names (DS_BEHAVIOR_WIN2008R2)
    if (partitions.found && feature.forestLevel > 0) {
      const level = Number(w.getObject(partitions.guid)?.attrs.find((a) => a.id === dir.schema.attr('msDS-Behavior-Version')!.id)?.values[0] ?? 0);
      if (level < feature.forestLevel) throw AdError.unwillingToPerformWith(place, ERROR_DS_NOT_SUPPORTED, `the feature needs forest functional level ${feature.forestLevel}`);
    }
    const u = new OriginatingUpdate(w, dir.store.dc.invocationId, dir.clock);
    const holders = [scope];
    if (forestScope && !scope.equals(dir.forest.dsaGuid) && w.hasObject(dir.forest.dsaGuid)) holders.push(dir.forest.dsaGuid);
    for (const h of holders) {
      if (u.addLinkValue(h, enabled.id, linkId, feature.guid)) touchObject(u, h);
    }
  });
}

/** A control access right on an NC head, for a rootDSE operation (none for the system's own requests). */
function requireRight(dir: Directory, ctx: OperationContext, nc: Buffer, right: string, place: string): void {
  const r = dir.store.snapshot();
  try {
    const acc = accessFor(dir, r, ctx);
    if (acc) checkControlAccess(acc, r.getObject(nc), right, place);
  } finally {
    r.done();
  }
}

/** The requester is a member of Domain Admins (RID 512) of this domain; the system's own requests pass. */
function requireDomainAdmin(dir: Directory, ctx: OperationContext, place: string): void {
  const r = dir.store.snapshot();
  try {
    const t = requesterToken(dir, r, ctx);
    if (!t) return;
    const da = sidWithRid(dir.forest.domainSid, 512);
    if (!t.groups.some((g) => Buffer.from(g).equals(da))) throw AdError.insufficientAccess(place, 'the requester must be a member of Domain Admins');
  } finally {
    r.done();
  }
}
