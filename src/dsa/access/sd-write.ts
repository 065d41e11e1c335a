// Writes of nTSecurityDescriptor and the propagation of inheritable ACEs (MS-ADTS 6.1.3.2 SD
// flags on write, 6.1.3 "Security Descriptor Requirements", 3.1.1.6.3 "Security Descriptor
// Propagator"; MS-DTYP 2.5.3.4): a write replaces only the parts SD_FLAGS selects; the
// ACEs marked inherited in the value sent are the system's, recomputed from the parent; the
// objects below are re-inherited by the SD propagator (sd-propagator.ts: a small subtree in the
// same transaction, a large one in the background, with reads seeing the effective SDs). A move
// re-inherits the moved object from its new parent at once, and its subtree the same way.
import type { Control, ModifyRequest } from '../../ldap/protocol/messages.js';
import type { WriteTxn } from '../../store/store.js';
import type { ObjectRecord } from '../../store/record.js';
import type { Directory } from '../directory.js';
import { decodeRequestControl } from '../../ldap/controls/index.js';
import { SD_FLAGS_OID, type SDFlagsRequestValue } from '../../ldap/controls/sd-flags.js';
import { decodeSecurityDescriptor, encodeSecurityDescriptor, SecurityDescriptorError, type SecurityDescriptor } from '../../security/security-descriptor.js';
import { mergeSecurityDescriptor } from '../../security/sd-flags.js';
import { reinherit } from '../../security/sd-inheritance.js';
import { AdError } from '../errors.js';
import { classGuidOf, propagateAfterMove, propagateBelow, withEffectiveSd } from './sd-propagator.js';

/** The SD_FLAGS of a request (undefined when the control is absent or its value unusable). */
export function sdFlagsOf(controls: ReadonlyMap<string, Control>): number | undefined {
  const c = controls.get(SD_FLAGS_OID);
  if (!c) return undefined;
  try {
    return (decodeRequestControl(c) as SDFlagsRequestValue | undefined)?.flags;
  } catch {
    return undefined;
  }
}

function sdOf(dir: Directory, rec: ObjectRecord | undefined): SecurityDescriptor | undefined {
  const id = dir.schema.attr('nTSecurityDescriptor')!.id;
  const v = rec?.attrs.find((a) => a.id === id)?.values[0] as Uint8Array | undefined;
  if (!v) return undefined;
  try {
    return decodeSecurityDescriptor(v);
  } catch {
    return undefined;
  }
}

/**
 * The request with its nTSecurityDescriptor value replaced by the descriptor to store: the old
 * one with the selected parts taken from the value (MS-ADTS 6.1.3.2), inherited ACEs
 * recomputed. Returns whether the SD is written (then the subtree is propagated after commit).
 */
export function prepareSdWrite(dir: Directory, w: WriteTxn, rec: ObjectRecord, req: ModifyRequest, sdFlags: number | undefined, place: string): { req: ModifyRequest; sdWritten: boolean } {
  let sdWritten = false;
  const changes = req.changes.map((ch) => {
    const info = dir.schema.attr(ch.modification.type.split(';')[0]!);
    if (!info || info.name !== 'nTSecurityDescriptor' || ch.modification.values.length !== 1) return ch;
    let next: SecurityDescriptor;
    try {
      next = decodeSecurityDescriptor(ch.modification.values[0]!);
    } catch (e) {
      if (e instanceof SecurityDescriptorError) throw AdError.invalidAttributeSyntax(place, info.id, info.name, e.message);
      throw e;
    }
    const old = sdOf(dir, rec) ?? { control: 0x8000 };
    const merged = mergeSecurityDescriptor(old, next, sdFlags);
    // the parent's effective SD: the one it has once a pending propagation above it is done
    const parent = rec.parent ? sdOf(dir, withEffectiveSd(dir, w, w.getObject(rec.parent))) : undefined;
    const final = reinherit(merged, parent, classGuidOf(dir, rec));
    sdWritten = true;
    return { ...ch, modification: { ...ch.modification, values: [encodeSecurityDescriptor(final)] } };
  });
  return { req: sdWritten ? { ...req, changes } : req, sdWritten };
}

/**
 * MS-ADTS 3.1.1.6.3: the SD of `root` changed (its descendants re-inherit) or `root` moved
 * (`includeRoot`: it re-inherits from its new parent now, its descendants follow), through the
 * SD propagator (sd-propagator.ts): a small subtree in this transaction, a large one in the
 * background from a job queued in it.
 */
export function propagateSd(dir: Directory, w: WriteTxn, root: Buffer, includeRoot: boolean): void {
  if (includeRoot) propagateAfterMove(dir, w, root);
  else propagateBelow(dir, w, root);
}
