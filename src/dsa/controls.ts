// Which request controls each operation honours (MS-ADTS 3.1.1.3.4.1), and the RFC 4511
// 4.1.11 rule for the rest: an unrecognized or inappropriate control marked critical fails
// the operation with unavailableCriticalExtension; a non-critical one is ignored. A malformed
// value of an honoured control is a protocolError when critical and ignored otherwise, as for
// search (src/dsa/search/controls/index.ts).
// Search controls are listed by src/dsa/search/; this table covers the other operations.
import type { Control } from '../ldap/protocol/messages.js';
import { AdError } from './errors.js';
import { decodeRequestControl, ControlValueError } from '../ldap/controls/index.js';
import { LAZY_COMMIT_OID } from '../ldap/controls/lazy-commit.js';
import { PERMISSIVE_MODIFY_OID } from '../ldap/controls/permissive-modify.js';
import { TREE_DELETE_OID } from '../ldap/controls/tree-delete.js';
import { SHOW_DELETED_OID } from '../ldap/controls/show-deleted.js';
import { SHOW_RECYCLED_OID } from '../ldap/controls/show-recycled.js';
import { SD_FLAGS_OID } from '../ldap/controls/sd-flags.js';
import { VERIFY_NAME_OID } from '../ldap/controls/verify-name.js';
import { DOMAIN_SCOPE_OID } from '../ldap/controls/domain-scope.js';

export type UpdateOperation = 'add' | 'modify' | 'modifyDN' | 'delete' | 'compare' | 'bind' | 'extended';

const BY_OPERATION: Record<UpdateOperation, ReadonlySet<string>> = {
  // LAZY_COMMIT: forestd always commits before answering (MS-ADTS 3.1.1.1.9), which the control permits
  add: new Set([LAZY_COMMIT_OID, VERIFY_NAME_OID]),
  modify: new Set([LAZY_COMMIT_OID, PERMISSIVE_MODIFY_OID, SD_FLAGS_OID, VERIFY_NAME_OID, SHOW_DELETED_OID, SHOW_RECYCLED_OID]),
  modifyDN: new Set([LAZY_COMMIT_OID, SHOW_DELETED_OID, SHOW_RECYCLED_OID]),
  delete: new Set([LAZY_COMMIT_OID, TREE_DELETE_OID, SHOW_DELETED_OID, SHOW_RECYCLED_OID, DOMAIN_SCOPE_OID]),
  compare: new Set([SHOW_DELETED_OID, SHOW_RECYCLED_OID]),
  bind: new Set([]),
  extended: new Set([]),
};

/** Checks the request controls of `op`; returns those it honours by OID. */
export function checkControls(controls: readonly Control[], op: UpdateOperation): Map<string, Control> {
  const ok = BY_OPERATION[op];
  const out = new Map<string, Control>();
  for (const c of controls) {
    if (!ok.has(c.type)) {
      if (c.critical) throw AdError.unavailableCriticalExtension(`dsa.controls.${op}`, c.type);
      continue;
    }
    try {
      decodeRequestControl(c);
    } catch (e) {
      if (!(e instanceof ControlValueError)) throw e;
      if (c.critical) throw AdError.protocolError(`dsa.controls.${op}`, `Error processing control ${c.type}: ${e.message}`);
      continue;
    }
    out.set(c.type, c);
  }
  return out;
}

/** Every control some operation honours (for the rootDSE's supportedControl, with the search ones). */
export function updateControlOids(): string[] {
  const all = new Set<string>();
  for (const s of Object.values(BY_OPERATION)) for (const o of s) all.add(o);
  return [...all];
}
