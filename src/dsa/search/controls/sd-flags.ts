// LDAP_SERVER_SD_FLAGS_OID (1.2.840.113556.1.4.801), MS-ADTS 3.1.1.3.4.1.11: selects the parts
// of nTSecurityDescriptor a search returns. The selection itself is src/security/sd-flags.ts
// (readSecurityDescriptorParts), applied in entry.ts; without the control all four parts are
// asked for, so an SD is withheld from requesters who may not read its SACL (as AD does).
import { SD_FLAGS_OID, type SDFlagsRequestValue } from '../../../ldap/controls/sd-flags.js';

export const SD_FLAGS_OIDS = [SD_FLAGS_OID] as const;

export function sdFlagsFrom(v: SDFlagsRequestValue | undefined): number | undefined {
  return v?.flags;
}
