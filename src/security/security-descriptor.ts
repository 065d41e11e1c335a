// The typed model of a Windows security descriptor and its binary, self-relative form.
//
// MS-DTYP 2.4.6 SECURITY_DESCRIPTOR: a 20-byte header (Revision 1, Sbz1, Control, then the
// 32-bit little-endian offsets of the owner SID, group SID, SACL and DACL; 0 = absent)
// followed by the parts. MS-DTYP 2.4.5 ACL: AclRevision, Sbz1, AclSize, AceCount, Sbz2, then
// the ACEs. MS-DTYP 2.4.4.1 ACE_HEADER: AceType, AceFlags, AceSize. MS-DTYP 2.4.2.2 SID.
//
// Layout written: header, SACL, DACL, owner, group: the order Windows itself uses for the
// self-relative descriptors Active Directory stores and returns (MS-DTYP 2.4.6 allows any
// order; decode accepts any).
import { guidFromString, guidToString } from '../util/guid.js';
import { sidLength, sidProblem } from '../schema/syntaxes/string-sid.js';

export class SecurityDescriptorError extends Error {
  readonly code = 'ERR_SECURITY_DESCRIPTOR';
  constructor(message: string) {
    super(message);
    this.name = 'SecurityDescriptorError';
  }
}

// MS-DTYP 2.4.6 Control bits.
export const SE_OWNER_DEFAULTED = 0x0001; // OD
export const SE_GROUP_DEFAULTED = 0x0002; // GD
export const SE_DACL_PRESENT = 0x0004; // DP
export const SE_DACL_DEFAULTED = 0x0008; // DD
export const SE_SACL_PRESENT = 0x0010; // SP
export const SE_SACL_DEFAULTED = 0x0020; // SD
export const SE_DACL_TRUSTED = 0x0040; // DT
export const SE_SERVER_SECURITY = 0x0080; // SS
export const SE_DACL_AUTO_INHERIT_REQ = 0x0100; // DC
export const SE_SACL_AUTO_INHERIT_REQ = 0x0200; // SC
export const SE_DACL_AUTO_INHERITED = 0x0400; // DI
export const SE_SACL_AUTO_INHERITED = 0x0800; // SI
export const SE_DACL_PROTECTED = 0x1000; // PD
export const SE_SACL_PROTECTED = 0x2000; // PS
export const SE_RM_CONTROL_VALID = 0x4000; // RM
export const SE_SELF_RELATIVE = 0x8000; // SR

/** Control bits that describe the DACL (dropped or replaced together with it). */
export const DACL_CONTROL_BITS = SE_DACL_PRESENT | SE_DACL_DEFAULTED | SE_DACL_AUTO_INHERIT_REQ | SE_DACL_AUTO_INHERITED | SE_DACL_PROTECTED;
/** Control bits that describe the SACL. */
export const SACL_CONTROL_BITS = SE_SACL_PRESENT | SE_SACL_DEFAULTED | SE_SACL_AUTO_INHERIT_REQ | SE_SACL_AUTO_INHERITED | SE_SACL_PROTECTED;

// MS-DTYP 2.4.5 AclRevision.
export const ACL_REVISION = 2;
export const ACL_REVISION_DS = 4;

// MS-DTYP 2.4.4.1 AceType.
export const ACE_TYPE = {
  ACCESS_ALLOWED: 0x00,
  ACCESS_DENIED: 0x01,
  SYSTEM_AUDIT: 0x02,
  SYSTEM_ALARM: 0x03,
  ACCESS_ALLOWED_COMPOUND: 0x04,
  ACCESS_ALLOWED_OBJECT: 0x05,
  ACCESS_DENIED_OBJECT: 0x06,
  SYSTEM_AUDIT_OBJECT: 0x07,
  SYSTEM_ALARM_OBJECT: 0x08,
  ACCESS_ALLOWED_CALLBACK: 0x09,
  ACCESS_DENIED_CALLBACK: 0x0a,
  ACCESS_ALLOWED_CALLBACK_OBJECT: 0x0b,
  ACCESS_DENIED_CALLBACK_OBJECT: 0x0c,
  SYSTEM_AUDIT_CALLBACK: 0x0d,
  SYSTEM_ALARM_CALLBACK: 0x0e,
  SYSTEM_AUDIT_CALLBACK_OBJECT: 0x0f,
  SYSTEM_ALARM_CALLBACK_OBJECT: 0x10,
  SYSTEM_MANDATORY_LABEL: 0x11,
  SYSTEM_RESOURCE_ATTRIBUTE: 0x12,
  SYSTEM_SCOPED_POLICY_ID: 0x13,
  SYSTEM_PROCESS_TRUST_LABEL: 0x14,
  ACCESS_FILTER: 0x15,
} as const;

// MS-DTYP 2.4.4.1 AceFlags.
export const OBJECT_INHERIT_ACE = 0x01;
export const CONTAINER_INHERIT_ACE = 0x02;
export const NO_PROPAGATE_INHERIT_ACE = 0x04;
export const INHERIT_ONLY_ACE = 0x08;
export const INHERITED_ACE = 0x10;
export const CRITICAL_ACE_FLAG = 0x20;
export const SUCCESSFUL_ACCESS_ACE_FLAG = 0x40;
export const TRUST_PROTECTED_FILTER_ACE_FLAG = 0x40;
export const FAILED_ACCESS_ACE_FLAG = 0x80;

// MS-DTYP 2.4.4.3 ACCESS_ALLOWED_OBJECT_ACE Flags.
export const ACE_OBJECT_TYPE_PRESENT = 0x1;
export const ACE_INHERITED_OBJECT_TYPE_PRESENT = 0x2;

const OBJECT_ACE_TYPES: ReadonlySet<number> = new Set([0x05, 0x06, 0x07, 0x08, 0x0b, 0x0c, 0x0f, 0x10]);

/** True for the ACE types whose body carries Flags, ObjectType and InheritedObjectType (MS-DTYP 2.4.4.3 ff.). */
export function isObjectAceType(type: number): boolean {
  return OBJECT_ACE_TYPES.has(type);
}

/** True for the ACE types this module can encode: every MS-DTYP 2.4.4.1 type but the reserved compound ACE (0x04). */
export function isSupportedAceType(type: number): boolean {
  return Number.isInteger(type) && type >= 0 && type <= 0x15 && type !== ACE_TYPE.ACCESS_ALLOWED_COMPOUND;
}

export interface Ace {
  /** AceType (MS-DTYP 2.4.4.1). */
  type: number;
  /** AceFlags (MS-DTYP 2.4.4.1). */
  flags: number;
  /** ACCESS_MASK (MS-DTYP 2.4.3), unsigned 32-bit. */
  mask: number;
  /** Binary SID (MS-DTYP 2.4.2.2). */
  sid: Uint8Array;
  /** Object ACEs only: the ObjectType GUID, lower-case text form. */
  objectType?: string;
  /** Object ACEs only: the InheritedObjectType GUID, lower-case text form. */
  inheritedObjectType?: string;
  /** Bytes after the SID inside AceSize (callback ApplicationData, resource attribute, padding). */
  applicationData?: Uint8Array;
}

export interface Acl {
  /** AclRevision: 2 (ACL_REVISION) or 4 (ACL_REVISION_DS). */
  revision: number;
  aces: Ace[];
}

export interface SecurityDescriptor {
  /**
   * SECURITY_DESCRIPTOR_CONTROL (MS-DTYP 2.4.6). SE_DACL_PRESENT without a dacl means a NULL
   * DACL (SDDL "D:NO_ACCESS_CONTROL"); likewise for the SACL.
   */
  control: number;
  /** Sbz1, meaningful only when SE_RM_CONTROL_VALID is set (the resource manager control bits). */
  resourceManagerControl?: number;
  owner?: Uint8Array;
  group?: Uint8Array;
  sacl?: Acl;
  dacl?: Acl;
}

const HEADER = 20;
const ACL_HEADER = 8;

function fail(message: string): never {
  throw new SecurityDescriptorError(message);
}

function checkSid(sid: Uint8Array, what: string): void {
  const p = sidProblem(sid);
  if (p) fail(`${what}: ${p}`);
  if (sidLength(sid) !== sid.length) fail(`${what}: length ${sid.length} does not match ${sid[1]} sub-authorities`);
}

function aceSize(ace: Ace): number {
  let n = 4 + 4;
  if (isObjectAceType(ace.type)) {
    n += 4;
    if (ace.objectType !== undefined) n += 16;
    if (ace.inheritedObjectType !== undefined) n += 16;
  }
  n += ace.sid.length;
  const app = ace.applicationData?.length ?? 0;
  return n + app + ((4 - (app % 4)) % 4);
}

function aclSize(acl: Acl): number {
  let n = ACL_HEADER;
  for (const a of acl.aces) n += aceSize(a);
  return n;
}

/** The AclRevision written for an ACL: 4 when any object ACE is present, else the model's (2 or 4). */
export function aclRevisionFor(acl: Acl): number {
  if (acl.aces.some((a) => isObjectAceType(a.type))) return ACL_REVISION_DS;
  return acl.revision === ACL_REVISION_DS ? ACL_REVISION_DS : ACL_REVISION;
}

function writeAcl(out: Buffer, off: number, acl: Acl, what: string): number {
  const size = aclSize(acl);
  if (size > 0xffff) fail(`${what} is ${size} bytes (an ACL is at most 65535)`);
  if (acl.aces.length > 0xffff) fail(`${what} has ${acl.aces.length} ACEs (at most 65535)`);
  if (acl.revision !== ACL_REVISION && acl.revision !== ACL_REVISION_DS) fail(`${what} revision ${acl.revision} (must be 2 or 4)`);
  out[off] = aclRevisionFor(acl);
  out[off + 1] = 0;
  out.writeUInt16LE(size, off + 2);
  out.writeUInt16LE(acl.aces.length, off + 4);
  out.writeUInt16LE(0, off + 6);
  let p = off + ACL_HEADER;
  acl.aces.forEach((ace, i) => {
    const w = `${what} ACE ${i}`;
    if (!isSupportedAceType(ace.type)) fail(`${w}: unsupported AceType ${ace.type}`);
    if (!Number.isInteger(ace.flags) || ace.flags < 0 || ace.flags > 0xff) fail(`${w}: AceFlags ${ace.flags} out of range`);
    if (!Number.isInteger(ace.mask) || ace.mask < 0 || ace.mask > 0xffffffff) fail(`${w}: mask ${ace.mask} out of range`);
    checkSid(ace.sid, `${w} SID`);
    const isObj = isObjectAceType(ace.type);
    if (!isObj && (ace.objectType !== undefined || ace.inheritedObjectType !== undefined)) fail(`${w}: object GUIDs on a non-object AceType ${ace.type}`);
    const n = aceSize(ace);
    out[p] = ace.type;
    out[p + 1] = ace.flags;
    out.writeUInt16LE(n, p + 2);
    out.writeUInt32LE(ace.mask >>> 0, p + 4);
    let q = p + 8;
    if (isObj) {
      const flags = (ace.objectType !== undefined ? ACE_OBJECT_TYPE_PRESENT : 0) | (ace.inheritedObjectType !== undefined ? ACE_INHERITED_OBJECT_TYPE_PRESENT : 0);
      out.writeUInt32LE(flags, q);
      q += 4;
      // MS-DTYP 2.4.4.3: a GUID whose Flags bit is clear is left out of the ACE altogether.
      for (const g of [ace.objectType, ace.inheritedObjectType]) {
        if (g === undefined) continue;
        let bytes: Buffer;
        try {
          bytes = guidFromString(g);
        } catch {
          fail(`${w}: ${JSON.stringify(g)} is not a GUID`);
        }
        bytes.copy(out, q);
        q += 16;
      }
    }
    out.set(ace.sid, q);
    q += ace.sid.length;
    if (ace.applicationData) {
      out.set(ace.applicationData, q);
      q += ace.applicationData.length;
    }
    out.fill(0, q, p + n); // padding of ApplicationData to a multiple of 4
    p += n;
  });
  return size;
}

/**
 * Model → binary self-relative SECURITY_DESCRIPTOR (MS-DTYP 2.4.6). SE_SELF_RELATIVE is always
 * set, and SE_DACL_PRESENT / SE_SACL_PRESENT whenever the ACL is there.
 */
export function encodeSecurityDescriptor(sd: SecurityDescriptor): Buffer {
  if (!Number.isInteger(sd.control) || sd.control < 0 || sd.control > 0xffff) fail(`control ${sd.control} out of range`);
  if (sd.owner) checkSid(sd.owner, 'owner SID');
  if (sd.group) checkSid(sd.group, 'group SID');
  const saclLen = sd.sacl ? aclSize(sd.sacl) : 0;
  const daclLen = sd.dacl ? aclSize(sd.dacl) : 0;
  const total = HEADER + saclLen + daclLen + (sd.owner?.length ?? 0) + (sd.group?.length ?? 0);
  const out = Buffer.alloc(total);
  let control = sd.control | SE_SELF_RELATIVE;
  if (sd.dacl) control |= SE_DACL_PRESENT;
  if (sd.sacl) control |= SE_SACL_PRESENT;
  out[0] = 1;
  const rm = sd.resourceManagerControl ?? 0;
  if (!Number.isInteger(rm) || rm < 0 || rm > 0xff) fail(`resource manager control ${rm} out of range`);
  out[1] = rm;
  out.writeUInt16LE(control, 2);
  let p = HEADER;
  if (sd.sacl) {
    out.writeUInt32LE(p, 12);
    p += writeAcl(out, p, sd.sacl, 'SACL');
  }
  if (sd.dacl) {
    out.writeUInt32LE(p, 16);
    p += writeAcl(out, p, sd.dacl, 'DACL');
  }
  if (sd.owner) {
    out.writeUInt32LE(p, 4);
    out.set(sd.owner, p);
    p += sd.owner.length;
  }
  if (sd.group) {
    out.writeUInt32LE(p, 8);
    out.set(sd.group, p);
    p += sd.group.length;
  }
  return out;
}

function readSid(b: Buffer, off: number, limit: number, what: string): Buffer {
  const p = sidProblem(b, off, limit);
  if (p) fail(`${what}: ${p}`);
  const n = sidLength(b, off);
  if (off + n > limit) fail(`${what} extends past the end of its container`);
  return Buffer.from(b.subarray(off, off + n));
}

function readAcl(b: Buffer, off: number, what: string): Acl {
  if (off + ACL_HEADER > b.length) fail(`${what} header at offset ${off} extends past the end`);
  const revision = b[off]!;
  if (revision !== ACL_REVISION && revision !== ACL_REVISION_DS) fail(`${what} revision ${revision} (must be 2 or 4)`);
  const size = b.readUInt16LE(off + 2);
  const count = b.readUInt16LE(off + 4);
  if (size < ACL_HEADER) fail(`${what} AclSize ${size} is smaller than the ACL header`);
  if (off + size > b.length) fail(`${what} AclSize ${size} at offset ${off} extends past the end`);
  const end = off + size;
  const aces: Ace[] = [];
  let p = off + ACL_HEADER;
  for (let i = 0; i < count; i++) {
    const w = `${what} ACE ${i}`;
    if (p + 4 > end) fail(`${w} header extends past AclSize`);
    const type = b[p]!;
    const flags = b[p + 1]!;
    const n = b.readUInt16LE(p + 2);
    if (n < 4 || n % 4 !== 0) fail(`${w} AceSize ${n} (must be a multiple of 4, at least 4)`);
    if (p + n > end) fail(`${w} AceSize ${n} extends past AclSize`);
    if (!isSupportedAceType(type)) fail(`${w} has unsupported AceType ${type}`);
    const aceEnd = p + n;
    if (p + 8 > aceEnd) fail(`${w} too short for its access mask`);
    const ace: Ace = { type, flags, mask: b.readUInt32LE(p + 4), sid: Buffer.alloc(0) };
    let q = p + 8;
    if (isObjectAceType(type)) {
      if (q + 4 > aceEnd) fail(`${w} too short for its object Flags`);
      const of = b.readUInt32LE(q);
      q += 4;
      if (of & ~(ACE_OBJECT_TYPE_PRESENT | ACE_INHERITED_OBJECT_TYPE_PRESENT)) fail(`${w} object Flags 0x${of.toString(16)} has unknown bits`);
      if (of & ACE_OBJECT_TYPE_PRESENT) {
        if (q + 16 > aceEnd) fail(`${w} ObjectType extends past AceSize`);
        ace.objectType = guidToString(b.subarray(q, q + 16));
        q += 16;
      }
      if (of & ACE_INHERITED_OBJECT_TYPE_PRESENT) {
        if (q + 16 > aceEnd) fail(`${w} InheritedObjectType extends past AceSize`);
        ace.inheritedObjectType = guidToString(b.subarray(q, q + 16));
        q += 16;
      }
    }
    ace.sid = readSid(b, q, aceEnd, `${w} SID`);
    q += ace.sid.length;
    if (q < aceEnd) ace.applicationData = Buffer.from(b.subarray(q, aceEnd));
    aces.push(ace);
    p = aceEnd;
  }
  return { revision, aces };
}

/**
 * Binary self-relative SECURITY_DESCRIPTOR → model. Every offset and length is checked; any
 * problem throws SecurityDescriptorError. The control word is returned as stored.
 */
export function decodeSecurityDescriptor(buf: Uint8Array): SecurityDescriptor {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < HEADER) fail(`${b.length} bytes is shorter than the ${HEADER}-byte SECURITY_DESCRIPTOR header`);
  if (b[0] !== 1) fail(`revision ${b[0]} (must be 1)`);
  const control = b.readUInt16LE(2);
  if (!(control & SE_SELF_RELATIVE)) fail('SE_SELF_RELATIVE is not set (only the self-relative form is accepted)');
  const sd: SecurityDescriptor = { control };
  if (b[1] !== 0 || control & SE_RM_CONTROL_VALID) sd.resourceManagerControl = b[1]!;
  const offsets = { owner: b.readUInt32LE(4), group: b.readUInt32LE(8), sacl: b.readUInt32LE(12), dacl: b.readUInt32LE(16) };
  for (const [what, off] of Object.entries(offsets)) {
    if (off !== 0 && (off < HEADER || off >= b.length)) fail(`${what} offset ${off} is outside the ${b.length}-byte buffer`);
  }
  if (offsets.owner) sd.owner = readSid(b, offsets.owner, b.length, 'owner SID');
  if (offsets.group) sd.group = readSid(b, offsets.group, b.length, 'group SID');
  if (offsets.sacl) sd.sacl = readAcl(b, offsets.sacl, 'SACL');
  if (offsets.dacl) sd.dacl = readAcl(b, offsets.dacl, 'DACL');
  return sd;
}
