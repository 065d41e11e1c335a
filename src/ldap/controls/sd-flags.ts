/**
 * LDAP_SERVER_SD_FLAGS_OID (1.2.840.113556.1.4.801), MS-ADTS 3.1.1.3.4.1.11.
 *   SDFlagsRequestValue ::= SEQUENCE { Flags INTEGER }
 * Flags are a 32-bit word; decoded as unsigned, encoded as signed 32-bit.
 */
import { type ControlCodec, flagsControl } from './types.js';

export const SD_FLAGS_OID = '1.2.840.113556.1.4.801';

/** Security descriptor parts (MS-ADTS 3.1.1.3.4.1.11; default 0xF when the control is absent, 6.1.3.2). */
export const SdFlags = { OWNER: 0x1, GROUP: 0x2, DACL: 0x4, SACL: 0x8 } as const;

export interface SDFlagsRequestValue {
  flags: number;
}

export const sdFlagsControl: ControlCodec<SDFlagsRequestValue, never> = flagsControl(SD_FLAGS_OID, 'LDAP_SERVER_SD_FLAGS_OID');
