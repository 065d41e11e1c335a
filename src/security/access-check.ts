// The access check of MS-DTYP 2.5.3.2 ("Access Check Algorithm Pseudocode"), with object type
// lists as Active Directory uses them (MS-ADTS 5.1.3.3 "Checking Access"). Pure: a compiled
// security descriptor, a token and the access wanted in; the bits granted out.
//
// Object type lists (MS-DTYP 2.5.3.2, OBJECT_TYPE_LIST): AD checks a right on a node of the tree
//   level 0: the object's class (schemaIDGUID of the structural class)
//   level 1: a property set (the attribute's attributeSecurityGUID)
//   level 2: an attribute (its schemaIDGUID)
// A caller passes the path from the root to the node it asks about. An object ACE whose
// ObjectType is on the path applies to that node (an allow on the class or the property set
// reaches the attributes below it; a deny on the property set likewise), an object ACE naming
// another node does not, and an ACE without ObjectType applies everywhere. Results are those of
// AccessCheckByTypeResultList for the asked node: ACEs are taken in order, a bit is decided by
// the first ACE that names it (allow grants, deny refuses), so a Deny ACE on one attribute
// placed before an Allow on its property set wins (MS-ADTS 6.1.3.1 canonical order puts
// explicit denies first).
//
// Also from MS-DTYP 2.5.3.2: ACCESS_SYSTEM_SECURITY only through SeSecurityPrivilege; WRITE_OWNER
// granted by SeTakeOwnershipPrivilege; the owner is granted READ_CONTROL and WRITE_DAC unless
// the DACL holds an OWNER RIGHTS (S-1-3-4) ACE, whose mask then applies to the owner instead;
// PRINCIPAL_SELF (S-1-5-10) in an ACE stands for the object's own SID (PrincipalSelfSubst);
// inherit-only ACEs take no part; a NULL DACL grants everything, an empty DACL nothing.
import { decodeSecurityDescriptor, ACE_TYPE, INHERIT_ONLY_ACE, SE_DACL_PRESENT, type SecurityDescriptor } from './security-descriptor.js';
import { WellKnownSid, sidKey } from './well-known-sids.js';
import type { SecurityToken } from './token.js';

/** Directory-service access rights (MS-ADTS 5.1.3.2, MS-DTYP 2.4.3 ACCESS_MASK). */
export const Right = {
  /** RIGHT_DS_CREATE_CHILD (CC) */
  CREATE_CHILD: 0x00000001,
  /** RIGHT_DS_DELETE_CHILD (DC) */
  DELETE_CHILD: 0x00000002,
  /** RIGHT_DS_LIST_CONTENTS (LC) */
  LIST_CONTENTS: 0x00000004,
  /** RIGHT_DS_WRITE_PROPERTY_EXTENDED (SW): validated writes */
  SELF: 0x00000008,
  /** RIGHT_DS_READ_PROPERTY (RP) */
  READ_PROPERTY: 0x00000010,
  /** RIGHT_DS_WRITE_PROPERTY (WP) */
  WRITE_PROPERTY: 0x00000020,
  /** RIGHT_DS_DELETE_TREE (DT) */
  DELETE_TREE: 0x00000040,
  /** RIGHT_DS_LIST_OBJECT (LO) */
  LIST_OBJECT: 0x00000080,
  /** RIGHT_DS_CONTROL_ACCESS (CR) */
  CONTROL_ACCESS: 0x00000100,
  /** DELETE (SD) */
  DELETE: 0x00010000,
  /** READ_CONTROL (RC) */
  READ_CONTROL: 0x00020000,
  /** WRITE_DAC (WD) */
  WRITE_DAC: 0x00040000,
  /** WRITE_OWNER (WO) */
  WRITE_OWNER: 0x00080000,
  ACCESS_SYSTEM_SECURITY: 0x01000000,
  MAXIMUM_ALLOWED: 0x02000000,
  GENERIC_ALL: 0x10000000,
  GENERIC_EXECUTE: 0x20000000,
  GENERIC_WRITE: 0x40000000,
  GENERIC_READ: 0x80000000,
} as const;

/** Every specific and standard right of a directory object (what GENERIC_ALL maps to). */
export const DS_ALL = 0x000f01ff;

/**
 * The generic mapping of directory objects (MS-ADTS 5.1.3.2 / MS-DTYP 2.4.3): GR = RC|LC|RP|LO,
 * GW = RC|WP|SW, GX = RC|LC, GA = all rights.
 */
export function mapGeneric(mask: number): number {
  let m = mask & 0x0fffffff;
  if (mask & Right.GENERIC_READ) m |= Right.READ_CONTROL | Right.LIST_CONTENTS | Right.READ_PROPERTY | Right.LIST_OBJECT;
  if (mask & Right.GENERIC_WRITE) m |= Right.READ_CONTROL | Right.WRITE_PROPERTY | Right.SELF;
  if (mask & Right.GENERIC_EXECUTE) m |= Right.READ_CONTROL | Right.LIST_CONTENTS;
  if (mask & Right.GENERIC_ALL) m |= DS_ALL;
  return m >>> 0;
}

const enum Kind {
  Allow,
  Deny,
}

interface CompiledAce {
  kind: Kind;
  mask: number;
  sid: string;
  /** lower-case GUID text (object ACEs with ObjectType only) */
  objectType: string | undefined;
  /** PRINCIPAL_SELF */
  self: boolean;
  /** OWNER RIGHTS */
  ownerRights: boolean;
}

/** A security descriptor prepared for checks: its DACL's effective ACEs and the owner. */
export interface CompiledSd {
  readonly sd: SecurityDescriptor;
  readonly owner: string | undefined;
  /** SE_DACL_PRESENT without a DACL: everything granted */
  readonly nullDacl: boolean;
  readonly aces: readonly CompiledAce[];
  readonly hasOwnerRights: boolean;
}

const SELF_KEY = sidKey(WellKnownSid.PRINCIPAL_SELF);
const OWNER_RIGHTS_KEY = sidKey(WellKnownSid.OWNER_RIGHTS);

export function compileSd(sd: SecurityDescriptor): CompiledSd {
  const aces: CompiledAce[] = [];
  let hasOwnerRights = false;
  for (const a of sd.dacl?.aces ?? []) {
    if (a.flags & INHERIT_ONLY_ACE) continue; // MS-DTYP 2.5.3.2: inherit-only ACEs are skipped
    let kind: Kind;
    switch (a.type) {
      case ACE_TYPE.ACCESS_ALLOWED:
      case ACE_TYPE.ACCESS_ALLOWED_OBJECT:
        kind = Kind.Allow;
        break;
      case ACE_TYPE.ACCESS_DENIED:
      case ACE_TYPE.ACCESS_DENIED_OBJECT:
        kind = Kind.Deny;
        break;
      default:
        continue; // callback and other ACE types: not evaluated by the DSA
    }
    const sid = sidKey(a.sid);
    const ownerRights = sid === OWNER_RIGHTS_KEY;
    if (ownerRights) hasOwnerRights = true;
    aces.push({ kind, mask: mapGeneric(a.mask), sid, objectType: a.objectType, self: sid === SELF_KEY, ownerRights });
  }
  return {
    sd,
    owner: sd.owner ? sidKey(sd.owner) : undefined,
    nullDacl: (sd.control & SE_DACL_PRESENT) !== 0 && !sd.dacl,
    aces,
    hasOwnerRights,
  };
}

/** Compiles the binary self-relative form; a descriptor that does not decode grants nothing. */
export function compileSdBinary(bin: Uint8Array): CompiledSd {
  try {
    return compileSd(decodeSecurityDescriptor(bin));
  } catch {
    return { sd: { control: SE_DACL_PRESENT, dacl: { revision: 2, aces: [] } }, owner: undefined, nullDacl: false, aces: [], hasOwnerRights: false };
  }
}

export interface CheckRequest {
  /** the access wanted (generic bits are mapped); MAXIMUM_ALLOWED asks for every right */
  desired: number;
  /** the path of the object type list from the root to the node asked about (lower-case GUIDs); empty for the object as a whole */
  objectTypes?: readonly string[];
  /** the object's own SID (PrincipalSelfSid), for PRINCIPAL_SELF ACEs */
  selfSid?: string;
}

/**
 * MS-DTYP 2.5.3.2 for one node: the subset of the desired rights the SD grants to the token.
 * The request is granted when the result equals `mapGeneric(desired)`.
 */
export function grantedAccess(csd: CompiledSd, token: SecurityToken, req: CheckRequest): number {
  let desired = mapGeneric(req.desired);
  if (req.desired & Right.MAXIMUM_ALLOWED) desired |= DS_ALL | Right.ACCESS_SYSTEM_SECURITY;
  let granted = 0;
  // privileges (MS-DTYP 2.5.3.2 steps on ACCESS_SYSTEM_SECURITY and WRITE_OWNER)
  if (desired & Right.ACCESS_SYSTEM_SECURITY) {
    if (token.privileges.has('SeSecurityPrivilege')) granted |= Right.ACCESS_SYSTEM_SECURITY;
    desired &= ~Right.ACCESS_SYSTEM_SECURITY; // never granted by an ACE
  }
  if (desired & Right.WRITE_OWNER && token.privileges.has('SeTakeOwnershipPrivilege')) granted |= Right.WRITE_OWNER;
  let remaining = desired & ~granted;
  const isOwner = csd.owner !== undefined && token.sids.has(csd.owner);
  // the owner's implicit rights, unless OWNER RIGHTS ACEs say otherwise
  if (isOwner && !csd.hasOwnerRights) {
    granted |= remaining & (Right.READ_CONTROL | Right.WRITE_DAC);
    remaining &= ~(Right.READ_CONTROL | Right.WRITE_DAC);
  }
  if (csd.nullDacl) return (granted | remaining) >>> 0;
  const path = req.objectTypes;
  for (const ace of csd.aces) {
    if (remaining === 0) break;
    const bits = ace.mask & remaining;
    if (bits === 0) continue;
    // does the ACE's trustee belong to the token?
    let applies: boolean;
    if (ace.self) applies = req.selfSid !== undefined && token.sids.has(req.selfSid);
    else if (ace.ownerRights) applies = isOwner;
    else applies = token.sids.has(ace.sid);
    if (!applies) continue;
    // object ACEs reach only their node and what lies below it
    if (ace.objectType !== undefined && !(path && path.includes(ace.objectType))) continue;
    if (ace.kind === Kind.Allow) granted |= bits;
    remaining &= ~bits;
  }
  return granted >>> 0;
}

/** True when every desired right is granted. */
export function accessAllowed(csd: CompiledSd, token: SecurityToken, req: CheckRequest): boolean {
  const want = mapGeneric(req.desired) & ~Right.MAXIMUM_ALLOWED;
  return (grantedAccess(csd, token, req) & want) === want;
}

/**
 * A bounded cache of compiled descriptors keyed by their binary form, so that the many objects
 * sharing one SD (AD stores each distinct SD once) are parsed once. Owned by a Directory.
 */
export class CompiledSdCache {
  /** by a 32-bit hash of the bytes; each bucket checked byte for byte */
  private readonly map = new Map<number, { bin: Buffer; sd: CompiledSd }[]>();
  private size = 0;
  /** the store's SD table hands every reader the same Buffer per SD: found by identity first */
  private readonly byInstance = new WeakMap<Uint8Array, CompiledSd>();
  constructor(private readonly max = 4096) {}

  get(bin: Uint8Array): CompiledSd {
    const known = this.byInstance.get(bin);
    if (known) return known;
    const sd = this.byBytes(bin);
    this.byInstance.set(bin, sd);
    return sd;
  }

  private byBytes(bin: Uint8Array): CompiledSd {
    const b = Buffer.isBuffer(bin) ? bin : Buffer.from(bin.buffer, bin.byteOffset, bin.byteLength);
    const h = hashBytes(b);
    let bucket = this.map.get(h);
    if (bucket) {
      for (const e of bucket) if (e.bin.length === b.length && e.bin.equals(b)) return e.sd;
    } else {
      if (this.size >= this.max) {
        this.map.clear();
        this.size = 0;
      }
      this.map.set(h, (bucket = []));
    }
    const sd = compileSdBinary(b);
    bucket.push({ bin: Buffer.from(b), sd });
    this.size++;
    return sd;
  }
}

/**
 * FNV-1a over a sample of the bytes (about 64 words spread over the value, and the last 32
 * bytes, where owner and group lie): cheap, for the cache's buckets only (a bucket is checked
 * byte for byte).
 */
function hashBytes(b: Buffer): number {
  const len = b.length;
  let h = 0x811c9dc5 ^ len;
  const step = Math.max(4, ((len >>> 6) + 3) & ~3);
  for (let i = 0; i + 4 <= len; i += step) h = Math.imul(h ^ b.readUInt32LE(i), 0x01000193);
  for (let i = Math.max(0, len - 32); i < len; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}
