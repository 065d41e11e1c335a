// LDAP_SERVER_SD_FLAGS_OID (1.2.840.113556.1.4.801) semantics, MS-ADTS 3.1.1.3.4.1.11 and
// 6.1.3.2: the Flags integer selects the parts of nTSecurityDescriptor a search returns or a
// modify replaces: OWNER_SECURITY_INFORMATION 0x1, GROUP_SECURITY_INFORMATION 0x2,
// DACL_SECURITY_INFORMATION 0x4, SACL_SECURITY_INFORMATION 0x8; other bits are ignored.
// Without the control (or with Flags 0) the value 15, all four parts, is used (MS-ADTS
// 6.1.3.2).
//
// Reading the SACL needs ACCESS_SYSTEM_SECURITY (the access check is the caller's; it passes
// `mayReadSacl`). When the SACL is among the requested parts and the requester may not read
// it, Active Directory withholds the whole attribute rather than returning the other parts:
// this is why clients send the control with 0x7. readSecurityDescriptorParts returns
// undefined in that case.
import {
  DACL_CONTROL_BITS,
  SACL_CONTROL_BITS,
  SE_GROUP_DEFAULTED,
  SE_OWNER_DEFAULTED,
  decodeSecurityDescriptor,
  encodeSecurityDescriptor,
  type SecurityDescriptor,
} from './security-descriptor.js';

export const LDAP_SERVER_SD_FLAGS_OID = '1.2.840.113556.1.4.801';
export const OWNER_SECURITY_INFORMATION = 0x1;
export const GROUP_SECURITY_INFORMATION = 0x2;
export const DACL_SECURITY_INFORMATION = 0x4;
export const SACL_SECURITY_INFORMATION = 0x8;
export const ALL_SECURITY_INFORMATION = 0xf;

/** The effective part selection: the control's Flags masked to the four bits; absent or 0 means all four. */
export function effectiveSdFlags(flags: number | undefined): number {
  const f = (flags ?? 0) & ALL_SECURITY_INFORMATION;
  return f === 0 ? ALL_SECURITY_INFORMATION : f;
}

/**
 * The model restricted to the selected parts: unselected owner/group/ACLs are removed together
 * with the control bits that describe them (defaulted, present, protected, auto-inherit).
 */
export function selectSecurityDescriptorParts(sd: SecurityDescriptor, flags: number | undefined): SecurityDescriptor {
  const f = effectiveSdFlags(flags);
  let control = sd.control;
  const out: SecurityDescriptor = { control };
  if (sd.resourceManagerControl !== undefined) out.resourceManagerControl = sd.resourceManagerControl;
  if (f & OWNER_SECURITY_INFORMATION) {
    if (sd.owner) out.owner = sd.owner;
  } else control &= ~SE_OWNER_DEFAULTED;
  if (f & GROUP_SECURITY_INFORMATION) {
    if (sd.group) out.group = sd.group;
  } else control &= ~SE_GROUP_DEFAULTED;
  if (f & DACL_SECURITY_INFORMATION) {
    if (sd.dacl) out.dacl = sd.dacl;
  } else control &= ~DACL_CONTROL_BITS;
  if (f & SACL_SECURITY_INFORMATION) {
    if (sd.sacl) out.sacl = sd.sacl;
  } else control &= ~SACL_CONTROL_BITS;
  out.control = control;
  return out;
}

/**
 * For a read of nTSecurityDescriptor: the stored binary SD reduced to the parts the SD flags
 * select (flags undefined = control absent). Returns undefined when the SACL is requested and
 * the requester may not read it: the attribute is then not returned at all.
 */
export function readSecurityDescriptorParts(stored: Uint8Array, flags: number | undefined, mayReadSacl: boolean): Buffer | undefined {
  const f = effectiveSdFlags(flags);
  if (f & SACL_SECURITY_INFORMATION && !mayReadSacl) return undefined;
  return encodeSecurityDescriptor(selectSecurityDescriptorParts(decodeSecurityDescriptor(stored), f));
}

/**
 * For a write of nTSecurityDescriptor (MS-ADTS 6.1.3.2): the old SD with only the parts the
 * flags select taken from the new one; the other parts of the new value are ignored. A
 * selected DACL or SACL is taken as the new value has it (with its control bits, so a new SD
 * without it removes it, or makes it NULL if its present bit is set); a selected owner or group
 * that the new value lacks keeps the old one, since a stored descriptor keeps its owner and
 * group. Bits outside the four parts (SE_DACL_TRUSTED, SE_SERVER_SECURITY, RM control) stay
 * as they were.
 */
export function mergeSecurityDescriptor(old: SecurityDescriptor, next: SecurityDescriptor, flags: number | undefined): SecurityDescriptor {
  const f = effectiveSdFlags(flags);
  const out: SecurityDescriptor = { ...old };
  let control = old.control;
  const take = (bits: number): void => {
    control = (control & ~bits) | (next.control & bits);
  };
  if (f & OWNER_SECURITY_INFORMATION && next.owner) {
    out.owner = next.owner;
    take(SE_OWNER_DEFAULTED);
  }
  if (f & GROUP_SECURITY_INFORMATION && next.group) {
    out.group = next.group;
    take(SE_GROUP_DEFAULTED);
  }
  if (f & DACL_SECURITY_INFORMATION) {
    if (next.dacl) out.dacl = next.dacl;
    else delete out.dacl;
    take(DACL_CONTROL_BITS);
  }
  if (f & SACL_SECURITY_INFORMATION) {
    if (next.sacl) out.sacl = next.sacl;
    else delete out.sacl;
    take(SACL_CONTROL_BITS);
  }
  out.control = control;
  return out;
}

/** mergeSecurityDescriptor on binary values; returns the new binary SD to store. */
export function mergeSecurityDescriptorBinary(old: Uint8Array, next: Uint8Array, flags: number | undefined): Buffer {
  return encodeSecurityDescriptor(mergeSecurityDescriptor(decodeSecurityDescriptor(old), decodeSecurityDescriptor(next), flags));
}
