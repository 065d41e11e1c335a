/**
 * LDAP_SERVER_SEARCH_OPTIONS_OID (1.2.840.113556.1.4.1340), MS-ADTS 3.1.1.3.4.1.
 *   SearchOptionsRequestValue ::= SEQUENCE { Flags INTEGER }
 * Flags are a 32-bit word; decoded as unsigned, encoded as signed 32-bit.
 */
import { type ControlCodec, flagsControl } from './types.js';

export const SEARCH_OPTIONS_OID = '1.2.840.113556.1.4.1340';

/** SERVER_SEARCH_FLAG_DOMAIN_SCOPE (1), SERVER_SEARCH_FLAG_PHANTOM_ROOT (2). */
export const SearchOptionsFlags = { DOMAIN_SCOPE: 0x1, PHANTOM_ROOT: 0x2 } as const;

export interface SearchOptionsRequestValue {
  flags: number;
}

export const searchOptionsControl: ControlCodec<SearchOptionsRequestValue, never> = flagsControl(SEARCH_OPTIONS_OID, 'LDAP_SERVER_SEARCH_OPTIONS_OID');
