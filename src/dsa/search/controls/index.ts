// The request controls of a search, decoded once (MS-ADTS 3.1.1.3.4.1; RFC 4511 4.1.11 for the
// rest: an unknown or unserved control marked critical fails the search with
// unavailableCriticalExtension, a non-critical one is ignored). A malformed control value is a
// protocolError. Each control's behaviour lives in its own file in this folder; search.ts says
// in which order they apply.
import type { Control } from '../../../ldap/protocol/messages.js';
import { decodeRequestControl, ControlValueError } from '../../../ldap/controls/index.js';
import type { PagedResultsValue } from '../../../ldap/controls/paged-results.js';
import { PAGED_RESULTS_OID } from '../../../ldap/controls/paged-results.js';
import { SORT_REQUEST_OID, type SortKey } from '../../../ldap/controls/server-sort.js';
import { VLV_REQUEST_OID, type VlvRequestValue } from '../../../ldap/controls/vlv.js';
import { EXTENDED_DN_OID, type ExtendedDnRequestValue } from '../../../ldap/controls/extended-dn.js';
import { DOMAIN_SCOPE_OID } from '../../../ldap/controls/domain-scope.js';
import { SEARCH_OPTIONS_OID, type SearchOptionsRequestValue } from '../../../ldap/controls/search-options.js';
import { SD_FLAGS_OID, type SDFlagsRequestValue } from '../../../ldap/controls/sd-flags.js';
import { ASQ_OID, type AsqRequestValue } from '../../../ldap/controls/asq.js';
import { AdError } from '../../errors.js';
import { VISIBILITY_OIDS, visibilityFrom, type Visibility } from './visibility.js';
import { SCOPE_OIDS, scopeOptionsFrom, type ScopeOptions } from './domain-scope.js';
import { SD_FLAGS_OIDS, sdFlagsFrom } from './sd-flags.js';
import { EXTENDED_DN_OIDS } from './extended-dn.js';
import { PAGED_OIDS } from './paged.js';
import { SORT_OIDS } from './sort.js';
import { VLV_OIDS } from './vlv.js';
import { ASQ_OIDS } from './asq.js';
import { REFUSED_OIDS } from './refused.js';

/** Every control a search honours. */
export const SEARCH_CONTROL_OIDS: readonly string[] = [
  ...VISIBILITY_OIDS,
  ...SCOPE_OIDS,
  ...ASQ_OIDS,
  ...SORT_OIDS,
  ...VLV_OIDS,
  ...PAGED_OIDS,
  ...EXTENDED_DN_OIDS,
  ...SD_FLAGS_OIDS,
];
const HONOURED = new Set(SEARCH_CONTROL_OIDS);

export interface SearchControls {
  visibility: Visibility;
  scope: ScopeOptions;
  paged?: PagedResultsValue;
  sort?: { keys: SortKey[]; critical: boolean };
  vlv?: VlvRequestValue;
  /** LDAP_SERVER_EXTENDED_DN_OID Flag */
  extendedDn?: number;
  sdFlags?: number;
  asq?: string;
}

export function decodeSearchControls(controls: readonly Control[]): SearchControls {
  return controls.length === 0 ? NO_CONTROLS : decode(controls);
}

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (v && typeof v === 'object') deepFreeze(v as object);
  return Object.freeze(o);
}

/** A search without controls (most): one frozen answer. */
const NO_CONTROLS: SearchControls = deepFreeze(decode([]));

function decode(controls: readonly Control[]): SearchControls {
  const got = new Map<string, { control: Control; value: unknown }>();
  for (const c of controls) {
    if (!HONOURED.has(c.type) || REFUSED_OIDS.has(c.type)) {
      if (c.critical) throw AdError.unavailableCriticalExtension('dsa.search.controls', c.type);
      continue;
    }
    let value: unknown;
    try {
      value = decodeRequestControl(c);
    } catch (e) {
      if (e instanceof ControlValueError) {
        if (c.critical) throw AdError.protocolError('dsa.search.controls', `Error processing control ${c.type}: ${e.message}`);
        continue; // a broken value of a control the client does not insist on: ignored
      }
      throw e;
    }
    got.set(c.type, { control: c, value });
  }
  const v = <T>(oid: string): T | undefined => got.get(oid)?.value as T | undefined;
  const out: SearchControls = {
    visibility: visibilityFrom(new Set(got.keys())),
    scope: scopeOptionsFrom(got.has(DOMAIN_SCOPE_OID), v<SearchOptionsRequestValue>(SEARCH_OPTIONS_OID)),
  };
  const paged = v<PagedResultsValue>(PAGED_RESULTS_OID);
  if (paged) out.paged = paged;
  const sort = got.get(SORT_REQUEST_OID);
  if (sort) out.sort = { keys: sort.value as SortKey[], critical: sort.control.critical };
  const vlv = v<VlvRequestValue>(VLV_REQUEST_OID);
  if (vlv) out.vlv = vlv;
  const ext = v<ExtendedDnRequestValue>(EXTENDED_DN_OID);
  if (ext) out.extendedDn = ext.flag;
  const sd = sdFlagsFrom(v<SDFlagsRequestValue>(SD_FLAGS_OID));
  if (sd !== undefined) out.sdFlags = sd;
  const asq = v<AsqRequestValue>(ASQ_OID);
  if (asq) out.asq = asq.sourceAttribute;
  return out;
}
