// LDAP_SERVER_DOMAIN_SCOPE_OID (1.2.840.113556.1.4.1339): no continuation references, and
// LDAP_SERVER_SEARCH_OPTIONS_OID (1.2.840.113556.1.4.1340) with SERVER_SEARCH_FLAG_DOMAIN_SCOPE
// (1, the same) and SERVER_SEARCH_FLAG_PHANTOM_ROOT (2: a subtree search covers every NC this DC
// holds below the base DN, which need not name an object) — MS-ADTS 3.1.1.3.4.1.4 and 3.1.1.3.4.1.12.
import { DOMAIN_SCOPE_OID } from '../../../ldap/controls/domain-scope.js';
import { SEARCH_OPTIONS_OID, SearchOptionsFlags, type SearchOptionsRequestValue } from '../../../ldap/controls/search-options.js';

export const SCOPE_OIDS = [DOMAIN_SCOPE_OID, SEARCH_OPTIONS_OID] as const;

export interface ScopeOptions {
  /** send no continuation references */
  noReferences: boolean;
  phantomRoot: boolean;
}

export function scopeOptionsFrom(domainScope: boolean, options: SearchOptionsRequestValue | undefined): ScopeOptions {
  const flags = options?.flags ?? 0;
  const phantomRoot = (flags & SearchOptionsFlags.PHANTOM_ROOT) !== 0;
  return { noReferences: domainScope || (flags & SearchOptionsFlags.DOMAIN_SCOPE) !== 0 || phantomRoot, phantomRoot };
}
