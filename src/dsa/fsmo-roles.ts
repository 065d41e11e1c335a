// The five FSMO roles of a forestd DC (MS-ADTS 3.1.1.1.11, 6.1.5): which object each role is
// (its fSMORoleOwner names the owner's nTDSDSA object), the objects that go with it (MS-DRSR
// 4.1.10.5.16 GetRoleScope), the referral a DC that is not the owner gives for an update only the
// owner may make (MS-ADTS 3.1.1.5.1.8), and the DC side of a transfer to this DC (the rootDSE
// operations becomeSchemaMaster, becomeDomainMaster, becomeRidMaster, becomePdc,
// becomeInfrastructureMaster of 3.1.1.3.3: the control access right, then MS-DRSR 4.1.10.4.3
// PerformExtendedOpRequestMsg to the current owner through the injected RoleTransfer).
import type { ReadTxn } from '../store/store.js';
import type { ObjectRecord } from '../store/record.js';
import type { Directory } from './directory.js';
import { dsid } from './errors.js';
import { isDeletedRecord } from './tombstone.js';
import { ControlAccessRight } from '../security/extended-rights.js';
import { checkControlAccess } from './access/checks.js';
import type { AccessContext } from './access/access.js';
import { ReferralError, UnavailableError, type LdapError } from '../ldap/protocol/result-codes.js';
import { ExopErr } from './replica/types.js';
import { RoleExop, RoleExopErr, type RoleHooks } from './replica/fsmo-role.js';

export type FsmoRole = 'schema' | 'naming' | 'rid' | 'pdc' | 'infrastructure';

export interface RoleFacts {
  /** the control access right a transfer to this DC needs on the role object (MS-ADTS 3.1.1.3.3.1–3.1.1.3.3.6) */
  right: string;
  /** the extended operation of the transfer (MS-DRSR 4.1.10.4.3) */
  exop: number;
}

export const ROLES: Record<FsmoRole, RoleFacts> = {
  // 3.1.1.3.3.6 becomeSchemaMaster: Change-Schema-Master on the root of the schema NC, EXOP_FSMO_REQ_ROLE
  schema: { right: ControlAccessRight.CHANGE_SCHEMA_MASTER, exop: RoleExop.EXOP_FSMO_REQ_ROLE },
  // 3.1.1.3.3.1 becomeDomainMaster: Change-Domain-Master on the Partitions container, EXOP_FSMO_REQ_ROLE
  naming: { right: ControlAccessRight.CHANGE_DOMAIN_MASTER, exop: RoleExop.EXOP_FSMO_REQ_ROLE },
  // 3.1.1.3.3.5 becomeRidMaster: Change-Rid-Master, EXOP_FSMO_RID_REQ_ROLE naming the RID Manager$ object
  rid: { right: ControlAccessRight.CHANGE_RID_MASTER, exop: RoleExop.EXOP_FSMO_RID_REQ_ROLE },
  // 3.1.1.3.3.3 becomePdc: Change-PDC on the root of the domain NC, EXOP_FSMO_REQ_PDC
  pdc: { right: ControlAccessRight.CHANGE_PDC, exop: RoleExop.EXOP_FSMO_REQ_PDC },
  // 3.1.1.3.3.2 becomeInfrastructureMaster: Change-Infrastructure-Master on CN=Infrastructure, EXOP_FSMO_REQ_ROLE
  infrastructure: { right: ControlAccessRight.CHANGE_INFRASTRUCTURE_MASTER, exop: RoleExop.EXOP_FSMO_REQ_ROLE },
};

/** The rootDSE operation (lower case) → the role it asks for. */
export const BECOME_OPERATIONS: Record<string, FsmoRole> = {
  becomeschemamaster: 'schema',
  becomedomainmaster: 'naming',
  becomeridmaster: 'rid',
  becomepdc: 'pdc',
  becomepdcwithcheckpoint: 'pdc',
  becomeinfrastructuremaster: 'infrastructure',
};

const A = (dir: Directory, name: string) => dir.schema.attr(name)!;
const first = (dir: Directory, rec: ObjectRecord | undefined, name: string) => rec?.attrs.find((a) => a.id === A(dir, name).id)?.values[0];

/** The role object of `role` (MS-ADTS 3.1.1.5.1.8 RoleObject; 6.1.5). */
export function roleObject(dir: Directory, r: ReadTxn, role: FsmoRole): Buffer | undefined {
  const f = dir.forest;
  const dn = (d: string) => {
    const res = dir.names.resolve(r, d);
    return res.found ? res.guid : undefined;
  };
  switch (role) {
    case 'schema':
      return Buffer.from(f.schemaNC);
    case 'naming':
      return dn(`CN=Partitions,${f.configDN}`);
    case 'pdc':
      return Buffer.from(f.domainNC);
    case 'infrastructure':
      return dn(`CN=Infrastructure,${f.domainDN}`);
    case 'rid': {
      // the domain NC's rIDManagerReference (MS-DRSR 4.1.10.4.3)
      const ref = first(dir, r.getObject(Buffer.from(f.domainNC)), 'rIDManagerReference') as { guid: Uint8Array } | undefined;
      return ref && r.hasObject(Buffer.from(ref.guid)) ? Buffer.from(ref.guid) : dn(`CN=RID Manager$,CN=System,${f.domainDN}`);
    }
  }
}

/** fSMORoleOwner of a role object: the owner's nTDSDSA objectGUID. */
export function roleOwner(dir: Directory, r: ReadTxn, obj: Buffer): Buffer | undefined {
  const v = first(dir, r.getObject(obj), 'fSMORoleOwner') as { guid: Uint8Array } | undefined;
  return v ? Buffer.from(v.guid) : undefined;
}

/** Whether `guid` is a live nTDSDSA object. */
export function isNtdsDsa(dir: Directory, r: ReadTxn, guid: Buffer): boolean {
  const rec = r.getObject(guid);
  const dsa = dir.schema.snapshot.classByName('nTDSDSA')?.governsID;
  return !!rec && !!dsa && !isDeletedRecord(dir, rec) && ((rec.attrs.find((a) => a.id === A(dir, 'objectClass').id)?.values ?? []) as string[]).includes(dsa);
}

/** The DNS name of the DC whose nTDSDSA object is `dsa`: its server object's dNSHostName (MS-ADTS 6.1.1.2.2.1.2.1.1). */
export function dsaHostName(dir: Directory, r: ReadTxn, dsa: Buffer): string | undefined {
  if (dsa.equals(dir.forest.dsaGuid)) return dir.forest.dnsHostName;
  const parent = r.getHeader(dsa)?.parent;
  const host = parent ? first(dir, r.getObject(parent), 'dNSHostName') : undefined;
  return typeof host === 'string' ? host : undefined;
}

function subtree(r: ReadTxn, root: Buffer): Buffer[] {
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const c of r.children(out[i]!)) out.push(Buffer.from(c));
  return out;
}

/** The DSA's half of a role transfer's owner side: GetRoleScope and the caller check (replica/fsmo-role.ts). */
export function roleHooksOf(dir: Directory): RoleHooks {
  return {
    isDsa: (r, g) => isNtdsDsa(dir, r, g),
    // MS-DRSR 4.1.10.5.16 GetRoleScope (parents before children)
    scope: (r, obj) => {
      const is = (role: FsmoRole) => roleObject(dir, r, role)?.equals(obj) === true;
      if (is('naming')) return [obj, ...[...r.children(obj)].map((c) => Buffer.from(c))];
      if (is('schema')) return subtree(r, obj);
      if (is('infrastructure')) {
        const sys = dir.names.resolve(r, `CN=DomainUpdates,CN=System,${dir.forest.domainDN}`);
        return [obj, ...(sys.found ? subtree(r, sys.guid) : [])];
      }
      if (is('rid')) {
        // and the infrastructureUpdate children of CN=Infrastructure that have a proxiedObjectName
        const infra = roleObject(dir, r, 'infrastructure');
        const cls = dir.schema.snapshot.classByName('infrastructureUpdate')?.governsID;
        const proxied = infra
          ? [...r.children(infra)].map((c) => Buffer.from(c)).filter((c) => {
              const rec = r.getObject(c);
              return !!rec && first(dir, rec, 'proxiedObjectName') !== undefined && ((rec.attrs.find((a) => a.id === A(dir, 'objectClass').id)?.values ?? []) as string[]).includes(cls ?? '');
            })
          : [];
        return [obj, ...proxied];
      }
      return [obj];
    },
  };
}

// ---- the referral of MS-ADTS 3.1.1.5.1.8 ------------------------------------------------

/** Win32 ERROR_DS_REFERRAL (MS-ERREF 2.2), first in AD's "RefErr" text. */
const ERROR_DS_REFERRAL = 0x202b;
/** Win32 ERROR_DS_COULDNT_CONTACT_FSMO: "The requested FSMO operation failed. The current FSMO holder could not be contacted." */
export const ERROR_DS_COULDNT_CONTACT_FSMO = 0x20af;
/** RPC_S_SERVER_UNAVAILABLE, the data of a transfer whose owner did not answer */
export const RPC_S_SERVER_UNAVAILABLE = 1722;

const hex8 = (n: number) => (n >>> 0).toString(16).toUpperCase().padStart(8, '0');

/** An LDAP URL's DN part (RFC 4516 2: the characters a URL cannot carry as they are, percent-encoded). */
function urlDn(dn: string): string {
  return dn.replace(/[ %?#"<>\\^`{|}]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
}

/**
 * The referral to the role owner, as AD words it: referral (10), "0000202B: RefErr: DSID-…,
 * data 0, 1 access points\n\tref 1: '<host>'\n", and the URL ldap://<owner's dNSHostName>/<DN>.
 */
export function roleReferral(dir: Directory, r: ReadTxn, owner: Buffer | undefined, dn: string, place: string): LdapError {
  const host = (owner && dsaHostName(dir, r, owner)) ?? dir.forest.realm;
  return new ReferralError(`${hex8(ERROR_DS_REFERRAL)}: RefErr: ${dsid(place)}, data 0, 1 access points\n\tref 1: '${host}'\n`, '', [`ldap://${host}/${urlDn(dn)}`]);
}

/**
 * What an originating update touches, for MS-ADTS 3.1.1.5.1.8: the object's NC and parent, and
 * for a modify the attributes it writes.
 */
export interface SingleMasterTarget {
  op: 'add' | 'modify' | 'delete' | 'modifyDN';
  /** the DN the request names (the referral carries it) */
  dn: string;
  /** NC of the object (for an add: of its parent) */
  nc: Buffer;
  /** the object's parent (for an add: the parent named) */
  parent: Buffer | null;
  /** the object (absent for an add) */
  guid?: Buffer;
  /** lDAPDisplayNames a modify writes */
  attrs?: readonly string[];
}

/**
 * MS-ADTS 3.1.1.5.1.8: an originating update within a role on a DC that does not own the role
 * is referred to the owner. The updates: any in the schema NC (the Schema Master's role, 6.1.5.1),
 * the creation and deletion of objects in the Partitions container (crossRefs: the Domain Naming
 * Master's, 6.1.5.2). A write of fSMORoleOwner alone on the role object is the seizure
 * (MS-ADCAP 3.4.4.6.2.3.2) and is checked by its control access right instead (3.1.1.5.3.1.2).
 * Not for replicated updates (the apply path never calls this).
 */
export function checkSingleMaster(dir: Directory, r: ReadTxn, t: SingleMasterTarget, place: string): void {
  const self = dir.forest.dsaGuid;
  const refer = (role: FsmoRole) => {
    const obj = roleObject(dir, r, role);
    if (!obj) return;
    const owner = roleOwner(dir, r, obj);
    if (owner?.equals(self)) return;
    // the seizure: fSMORoleOwner, alone, on the role object
    if (t.op === 'modify' && t.guid?.equals(obj) && t.attrs?.length && t.attrs.every((a) => a.toLowerCase() === 'fsmoroleowner')) return;
    throw roleReferral(dir, r, owner, t.dn, place);
  };
  if (t.nc.equals(dir.forest.schemaNC)) refer('schema');
  else if ((t.op === 'add' || t.op === 'delete') && t.parent && t.nc.equals(dir.forest.configNC)) {
    const partitions = roleObject(dir, r, 'naming');
    if (partitions?.equals(t.parent)) refer('naming');
  }
}

/**
 * MS-ADTS 3.1.1.5.3.1.2 "FSMO Changes": a write of fSMORoleOwner on a role object needs, beyond
 * the write right, the control access right of its class (infrastructureUpdate:
 * Change-Infrastructure-Master, dMD: Change-Schema-Master, rIDManager: Change-Rid-Master,
 * crossRefContainer: Change-Domain-Master).
 */
export function checkFsmoChangeRight(dir: Directory, acc: AccessContext, rec: ObjectRecord, place: string): void {
  const snap = dir.schema.snapshot;
  const ocs = (rec.attrs.find((a) => a.id === A(dir, 'objectClass').id)?.values ?? []) as string[];
  const rights: [string, string][] = [
    ['infrastructureUpdate', ControlAccessRight.CHANGE_INFRASTRUCTURE_MASTER],
    ['dMD', ControlAccessRight.CHANGE_SCHEMA_MASTER],
    ['rIDManager', ControlAccessRight.CHANGE_RID_MASTER],
    ['crossRefContainer', ControlAccessRight.CHANGE_DOMAIN_MASTER],
  ];
  for (const [cls, right] of rights) {
    const oid = snap.classByName(cls)?.governsID;
    if (oid && ocs.includes(oid)) checkControlAccess(acc, rec, right, place);
  }
}

// ---- the transfer to this DC ------------------------------------------------------------

/** What the DRS layer does for a transfer (src/drs/fsmo-transfer.ts): ask `owner` for the role, apply the reply. */
export type RoleTransfer = (req: { role: FsmoRole; roleObject: Buffer; roleDn: string; exop: number; owner: Buffer }) => Promise<{ ulExtendedRet: number; win32?: number; detail?: string }>;

/** unavailable (52) / ERROR_DS_COULDNT_CONTACT_FSMO, problem 5002 (UNAVAILABLE), as ntdsutil shows it (Microsoft KB 2001165). */
export function couldntContactFsmo(place: string, data: number, detail = ''): LdapError {
  return new UnavailableError(`${hex8(ERROR_DS_COULDNT_CONTACT_FSMO)}: SvcErr: ${dsid(place)}, problem 5002 (UNAVAILABLE), data ${data >>> 0}${detail ? `\n${detail}` : ''}`);
}

/**
 * Makes this DC the owner of `role` (the rootDSE becomeXxx operations, after their access
 * check): nothing to do when it owns the role; else the owner is asked through `transfer`, and
 * the operation succeeds once the reply, applied, names this DC.
 */
export async function becomeRoleOwner(dir: Directory, role: FsmoRole, transfer: RoleTransfer | undefined, place: string): Promise<void> {
  const r = dir.store.reader;
  const obj = roleObject(dir, r, role);
  if (!obj) throw couldntContactFsmo(place, ExopErr.EXOP_ERR_UPDATE_ERR, `no role object for the ${role} role`);
  const owner = roleOwner(dir, r, obj);
  const self = dir.forest.dsaGuid;
  if (owner?.equals(self)) return;
  // the owner's nTDSDSA object is gone (the KB's "data 8": EXOP_ERR_FSMO_OWNER_DELETED): only a seizure helps
  if (!owner || !isNtdsDsa(dir, r, owner)) throw couldntContactFsmo(place, RoleExopErr.EXOP_ERR_FSMO_OWNER_DELETED, 'the role owner is not a DC of this forest; seize the role');
  if (!transfer) throw couldntContactFsmo(place, RPC_S_SERVER_UNAVAILABLE, 'this DC has no replication transport (forestd serve --repl-port) to reach the role owner');
  const res = await transfer({ role, roleObject: obj, roleDn: dir.dnOf(r, obj), exop: ROLES[role].exop, owner });
  // a concurrent transfer (or replication meanwhile) may have made this DC the owner already
  if (res.ulExtendedRet !== ExopErr.EXOP_ERR_SUCCESS && roleOwner(dir, dir.store.reader, obj)?.equals(self)) return;
  if (res.ulExtendedRet !== ExopErr.EXOP_ERR_SUCCESS) {
    const data = res.ulExtendedRet === RoleExopErr.EXOP_ERR_COULDNT_CONTACT ? (res.win32 ?? RPC_S_SERVER_UNAVAILABLE) : res.ulExtendedRet;
    throw couldntContactFsmo(place, data, `the role owner ${dsaHostName(dir, r, owner) ?? owner.toString('hex')} did not transfer the role (EXOP_ERR ${res.ulExtendedRet})${res.detail ? `: ${res.detail}` : ''}`);
  }
  if (!roleOwner(dir, dir.store.reader, obj)?.equals(self)) throw couldntContactFsmo(place, ExopErr.EXOP_ERR_UPDATE_ERR, 'the reply did not make this DC the role owner');
}
