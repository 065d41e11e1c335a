// Security descriptors of new objects (MS-DTYP 2.5.3.4 "Algorithm for Creating a Security
// Descriptor": CreateSecurityDescriptor, ComputeACL, ComputeInheritedACLfromParent,
// ContainsInheritableACEs) as Active Directory applies it (MS-ADTS 6.1.3 "Security Descriptor
// Requirements", 6.1.3.5 defaulting rules): every directory object counts as a container; the
// creator's descriptor is the one given in the request, else the class's
// defaultSecurityDescriptor; the object type list is the object's structural class.
import {
  ACE_TYPE,
  CONTAINER_INHERIT_ACE,
  INHERITED_ACE,
  INHERIT_ONLY_ACE,
  NO_PROPAGATE_INHERIT_ACE,
  OBJECT_INHERIT_ACE,
  SE_DACL_AUTO_INHERITED,
  SE_DACL_PRESENT,
  SE_DACL_PROTECTED,
  SE_SACL_AUTO_INHERITED,
  SE_SACL_PRESENT,
  SE_SACL_PROTECTED,
  SE_SELF_RELATIVE,
  isObjectAceType,
  type Ace,
  type Acl,
  type SecurityDescriptor,
} from './security-descriptor.js';
import { mapGeneric } from './access-check.js';
import { WellKnownSid } from './well-known-sids.js';

const INHERIT_FLAGS = OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE | NO_PROPAGATE_INHERIT_ACE | INHERIT_ONLY_ACE;

export interface CreateSdInput {
  /** the parent's descriptor (none for an NC head with no parent in this DSA) */
  parent?: SecurityDescriptor | undefined;
  /** the creator's descriptor: the one the request gives, else the class default (MS-ADTS 6.1.3.5) */
  creator?: SecurityDescriptor | undefined;
  /** the default owner and group when the creator descriptor has none (MS-ADTS 6.1.3.5) */
  defaultOwner: Uint8Array;
  defaultGroup: Uint8Array;
  /** schemaIDGUID of the object's structural class (lower case): ACEs with this InheritedObjectType take effect */
  objectType?: string;
  /** directory objects are containers (MS-ADTS 6.1.3): kept as a parameter for the table of cases */
  isContainer?: boolean;
}

const sameSid = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

function copyAce(a: Ace): Ace {
  const out: Ace = { type: a.type, flags: a.flags, mask: a.mask, sid: a.sid };
  if (a.objectType !== undefined) out.objectType = a.objectType;
  if (a.inheritedObjectType !== undefined) out.inheritedObjectType = a.inheritedObjectType;
  if (a.applicationData) out.applicationData = a.applicationData;
  return out;
}

/**
 * CREATOR OWNER / CREATOR GROUP on an ACE that takes effect on this object: one effective ACE
 * for the owner (group), inheritance flags cleared, generic rights mapped; and, when the ACE is
 * still inheritable, the original as inherit-only for the objects below (MS-DTYP 2.5.3.4.2).
 */
function substituteCreator(ace: Ace, owner: Uint8Array, group: Uint8Array, out: Ace[]): void {
  const isCO = sameSid(ace.sid, WellKnownSid.CREATOR_OWNER);
  const isCG = sameSid(ace.sid, WellKnownSid.CREATOR_GROUP);
  const effective = (ace.flags & INHERIT_ONLY_ACE) === 0;
  if (!isCO && !isCG) {
    out.push(ace);
    return;
  }
  if (effective) {
    const e = copyAce(ace);
    e.sid = isCO ? owner : group;
    e.flags &= ~INHERIT_FLAGS;
    e.mask = mapGeneric(e.mask);
    out.push(e);
  }
  if (ace.flags & (CONTAINER_INHERIT_ACE | OBJECT_INHERIT_ACE) && !(ace.flags & NO_PROPAGATE_INHERIT_ACE)) {
    const io = copyAce(ace);
    io.flags |= INHERIT_ONLY_ACE;
    out.push(io);
  }
}

/** MS-DTYP 2.5.3.4.2 ComputeInheritedACLfromParent. */
export function computeInheritedAcl(parent: Acl | undefined, isContainer: boolean, objectType: string | undefined, owner: Uint8Array, group: Uint8Array): Ace[] {
  const out: Ace[] = [];
  for (const ace of parent?.aces ?? []) {
    const ci = (ace.flags & CONTAINER_INHERIT_ACE) !== 0;
    const oi = (ace.flags & OBJECT_INHERIT_ACE) !== 0;
    if (!ci && !oi) continue;
    const n = copyAce(ace);
    n.flags = (n.flags | INHERITED_ACE) & ~INHERIT_ONLY_ACE;
    if (oi && !ci && isContainer) {
      // object-inherit only, on a container: kept inherit-only for the objects below (unless NP ends it)
      if (ace.flags & NO_PROPAGATE_INHERIT_ACE) continue;
      n.flags |= INHERIT_ONLY_ACE;
    } else if (ci && !oi && !isContainer) continue;
    else if (ace.flags & NO_PROPAGATE_INHERIT_ACE) n.flags &= ~INHERIT_FLAGS;
    // an object ACE meant for another class is kept for the objects below, without effect here
    if (isObjectAceType(ace.type) && ace.inheritedObjectType !== undefined && ace.inheritedObjectType !== objectType) {
      if (n.flags & (CONTAINER_INHERIT_ACE | OBJECT_INHERIT_ACE)) n.flags |= INHERIT_ONLY_ACE;
      else continue;
    }
    substituteCreator(n, owner, group, out);
  }
  return out;
}

/** The explicit ACEs the creator's ACL gives the new object (inherited ones dropped, creator SIDs substituted). */
function explicitAces(creator: Acl | undefined, owner: Uint8Array, group: Uint8Array): Ace[] {
  const out: Ace[] = [];
  for (const ace of creator?.aces ?? []) {
    if (ace.flags & INHERITED_ACE) continue;
    substituteCreator(copyAce(ace), owner, group, out);
  }
  return out;
}

/** MS-DTYP 2.5.3.4.1 CreateSecurityDescriptor for a directory object (auto-inherit, DACL and SACL). */
export function createSecurityDescriptor(input: CreateSdInput): SecurityDescriptor {
  const isContainer = input.isContainer ?? true;
  const creator = input.creator;
  const owner = creator?.owner ?? input.defaultOwner;
  const group = creator?.group ?? input.defaultGroup;
  let control = SE_SELF_RELATIVE;
  const sd: SecurityDescriptor = { control, owner, group };

  const one = (which: 'dacl' | 'sacl', protectedBit: number, autoBit: number, presentBit: number): void => {
    const creatorAcl = creator?.[which];
    const isProtected = ((creator?.control ?? 0) & protectedBit) !== 0;
    const explicit = explicitAces(creatorAcl, owner, group);
    const inherited = isProtected ? [] : computeInheritedAcl(input.parent?.[which], isContainer, input.objectType, owner, group);
    if (!creatorAcl && inherited.length === 0 && !(which === 'dacl')) return;
    const aces = [...explicit, ...inherited];
    sd[which] = { revision: aces.some((a) => isObjectAceType(a.type)) ? 4 : 2, aces };
    control |= presentBit | autoBit | (isProtected ? protectedBit : 0);
  };
  one('dacl', SE_DACL_PROTECTED, SE_DACL_AUTO_INHERITED, SE_DACL_PRESENT);
  one('sacl', SE_SACL_PROTECTED, SE_SACL_AUTO_INHERITED, SE_SACL_PRESENT);
  sd.control = control;
  return sd;
}

/**
 * Re-inheritance of an existing object after its parent's SD changed or it moved (MS-ADTS
 * 3.1.1.6.3 the SD propagator): its explicit ACEs stay, the inherited ones are computed anew.
 */
export function reinherit(current: SecurityDescriptor, parent: SecurityDescriptor | undefined, objectType: string | undefined): SecurityDescriptor {
  const owner = current.owner ?? WellKnownSid.LOCAL_SYSTEM;
  const group = current.group ?? WellKnownSid.LOCAL_SYSTEM;
  const out: SecurityDescriptor = { ...current };
  for (const [which, pbit, abit] of [
    ['dacl', SE_DACL_PROTECTED, SE_DACL_AUTO_INHERITED],
    ['sacl', SE_SACL_PROTECTED, SE_SACL_AUTO_INHERITED],
  ] as const) {
    const acl = current[which];
    if (current.control & pbit) continue;
    const explicit = (acl?.aces ?? []).filter((a) => !(a.flags & INHERITED_ACE));
    const inherited = computeInheritedAcl(parent?.[which], true, objectType, owner, group);
    if (!acl && inherited.length === 0) continue;
    const aces = [...explicit, ...inherited];
    out[which] = { revision: aces.some((a) => isObjectAceType(a.type)) ? 4 : 2, aces };
    out.control |= abit | (which === 'dacl' ? SE_DACL_PRESENT : SE_SACL_PRESENT);
  }
  return out;
}

void ACE_TYPE;
