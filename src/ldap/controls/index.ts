/**
 * Control registry: OID -> codec (RFC 4511 4.1.11 controls; MS-ADTS
 * 3.1.1.3.4.1 for the Active Directory ones). LDAP_SERVER_RANGE_OPTION is
 * not a control (ranged retrieval is an attribute option) and is absent.
 */
import type { Control } from '../protocol/messages.js';
import type { ControlCodec } from './types.js';
import { pagedResultsControl } from './paged-results.js';
import { sortRequestControl, sortResponseControl } from './server-sort.js';
import { vlvRequestControl, vlvResponseControl } from './vlv.js';
import { extendedDnControl } from './extended-dn.js';
import { showDeletedControl } from './show-deleted.js';
import { showRecycledControl } from './show-recycled.js';
import { showDeactivatedLinkControl } from './show-deactivated-link.js';
import { domainScopeControl } from './domain-scope.js';
import { searchOptionsControl } from './search-options.js';
import { sdFlagsControl } from './sd-flags.js';
import { treeDeleteControl } from './tree-delete.js';
import { permissiveModifyControl } from './permissive-modify.js';
import { lazyCommitControl } from './lazy-commit.js';
import { verifyNameControl } from './verify-name.js';
import { asqControl } from './asq.js';
import { dirSyncControl } from './dirsync.js';
import { dirSyncExControl } from './dirsync-ex.js';
import { notificationControl } from './notification.js';

export * from './types.js';
export * from './paged-results.js';
export * from './server-sort.js';
export * from './vlv.js';
export * from './extended-dn.js';
export * from './show-deleted.js';
export * from './show-recycled.js';
export * from './show-deactivated-link.js';
export * from './domain-scope.js';
export * from './search-options.js';
export * from './sd-flags.js';
export * from './tree-delete.js';
export * from './permissive-modify.js';
export * from './lazy-commit.js';
export * from './verify-name.js';
export * from './asq.js';
export * from './dirsync.js';
export * from './dirsync-ex.js';
export * from './notification.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCodec = ControlCodec<any, any>;

const ALL: readonly AnyCodec[] = [
  pagedResultsControl,
  sortRequestControl,
  sortResponseControl,
  vlvRequestControl,
  vlvResponseControl,
  extendedDnControl,
  showDeletedControl,
  showRecycledControl,
  showDeactivatedLinkControl,
  domainScopeControl,
  searchOptionsControl,
  sdFlagsControl,
  treeDeleteControl,
  permissiveModifyControl,
  lazyCommitControl,
  verifyNameControl,
  asqControl,
  dirSyncControl,
  dirSyncExControl,
  notificationControl,
];

/** All known control codecs by OID. */
export const controlRegistry: ReadonlyMap<string, AnyCodec> = new Map(ALL.map((c) => [c.oid, c]));

/** Codec for an OID, or undefined for unrecognised controls. */
export function getControlCodec(oid: string): AnyCodec | undefined {
  return controlRegistry.get(oid);
}

/** OIDs of request controls this codec layer understands (candidates for supportedControl). */
export const knownControlOids: readonly string[] = ALL.map((c) => c.oid);

/**
 * Decodes a request control's value with its registered codec.
 * Returns undefined for unknown OIDs (the server then applies RFC 4511
 * 4.1.11: ignore if not critical, unavailableCriticalExtension if critical).
 * Throws ControlValueError for a malformed value.
 */
export function decodeRequestControl(control: Control): unknown {
  const codec = controlRegistry.get(control.type);
  return codec ? codec.decodeRequest(control.value) : undefined;
}

/** Builds a response Control from a codec and value (criticality FALSE). */
export function responseControl<Res>(codec: ControlCodec<unknown, Res>, value: Res): Control {
  if (!codec.encodeResponse) throw new Error(`control ${codec.oid} has no response value`);
  const v = codec.encodeResponse(value);
  return v === undefined ? { type: codec.oid, critical: false } : { type: codec.oid, critical: false, value: v };
}

/** Builds a request Control from a codec and value. */
export function requestControl<Req>(codec: ControlCodec<Req, unknown>, value: Req, critical = false): Control {
  const v = codec.encodeRequest(value);
  return v === undefined ? { type: codec.oid, critical } : { type: codec.oid, critical, value: v };
}
