// The nTSecurityDescriptor of a new object (MS-ADTS 3.1.1.5.2.1 security considerations, 6.1.3 "Security Descriptor
// Requirements" and MS-DTYP 2.5.3.4 CreateSecurityDescriptor): the descriptor the request gives,
// else the class's defaultSecurityDescriptor, as the creator descriptor; the parent's inheritable
// ACEs; owner and group defaults of MS-ADTS 6.1.3.5: Domain Admins when the creator is a member
// of Domain Admins, Enterprise Admins or BUILTIN\Administrators, the creator itself otherwise;
// group: Domain Admins for administrators, the creator's primary group otherwise.
import type { ObjectRecord } from '../../store/record.js';
import type { ClassSchema } from '../../schema/types.js';
import type { Directory } from '../directory.js';
import { decodeSecurityDescriptor, encodeSecurityDescriptor, type SecurityDescriptor } from '../../security/security-descriptor.js';
import { parseSddl } from '../../security/sddl.js';
import { createSecurityDescriptor } from '../../security/sd-inheritance.js';
import type { SecurityToken } from '../../security/token.js';
import { WellKnownSid } from '../../security/well-known-sids.js';
import { Rid, sidWithRid } from '../principals.js';

const classDefaults = new WeakMap<ClassSchema, SecurityDescriptor | null>();

/** The class's defaultSecurityDescriptor as a model (cached per class object; the schema snapshot is per Directory). */
export function classDefaultSd(dir: Directory, cls: ClassSchema): SecurityDescriptor | undefined {
  let sd = classDefaults.get(cls);
  if (sd === undefined) {
    sd = null;
    if (cls.defaultSecurityDescriptor !== undefined) {
      try {
        sd = parseSddl(cls.defaultSecurityDescriptor, { domainSid: dir.forest.domainSid });
      } catch {
        sd = null;
      }
    }
    classDefaults.set(cls, sd);
  }
  return sd ?? undefined;
}

function isAdministrator(dir: Directory, token: SecurityToken): boolean {
  const da = sidWithRid(dir.forest.domainSid, Rid.DOMAIN_ADMINS);
  const ea = sidWithRid(dir.forest.domainSid, Rid.ENTERPRISE_ADMINS);
  return [da, ea, WellKnownSid.BUILTIN_ADMINISTRATORS].some((s) => token.sids.has(s.toString('latin1')));
}

/** The binary SD to store on a new object. `creator` is the requester's token (absent for the system's own objects). */
export function newObjectSecurityDescriptor(dir: Directory, parent: ObjectRecord | undefined, cls: ClassSchema, given: Uint8Array | undefined, creator: SecurityToken | undefined): Buffer {
  const sdInfo = dir.schema.attr('nTSecurityDescriptor')!;
  const parentBin = parent?.attrs.find((a) => a.id === sdInfo.id)?.values[0] as Uint8Array | undefined;
  // the same parent SD (one shared Buffer per SD from the store's SD table), class and defaults
  // give the same result: computed once
  if (given || !parentBin) return compute(dir, parentBin, cls, given, creator);
  const owner = creator && !isAdministrator(dir, creator) ? `${creator.user.toString('hex')}/${(creator.primaryGroup ?? creator.user).toString('hex')}` : 'DA';
  let byParent = results.get(parentBin);
  if (!byParent) results.set(parentBin, (byParent = new Map()));
  const k = `${cls.schemaIDGUID}|${owner}`;
  let out = byParent.get(k);
  if (!out) {
    out = compute(dir, parentBin, cls, undefined, creator);
    byParent.set(k, out);
  }
  return out;
}

const results = new WeakMap<Uint8Array, Map<string, Buffer>>();

function compute(dir: Directory, parentBin: Uint8Array | undefined, cls: ClassSchema, given: Uint8Array | undefined, creator: SecurityToken | undefined): Buffer {
  let parentSd: SecurityDescriptor | undefined;
  try {
    parentSd = parentBin ? decodeSecurityDescriptor(parentBin) : undefined;
  } catch {
    parentSd = undefined;
  }
  const creatorSd = given ? decodeSecurityDescriptor(given) : classDefaultSd(dir, cls);
  const da = sidWithRid(dir.forest.domainSid, Rid.DOMAIN_ADMINS);
  let owner: Uint8Array = da;
  let group: Uint8Array = da;
  if (creator && !isAdministrator(dir, creator)) {
    owner = creator.user;
    group = creator.primaryGroup ?? creator.user;
  }
  const sd = createSecurityDescriptor({ parent: parentSd, creator: creatorSd, defaultOwner: owner, defaultGroup: group, objectType: cls.schemaIDGUID.toLowerCase() });
  return encodeSecurityDescriptor(sd);
}
