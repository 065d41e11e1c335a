// Writes of nTSecurityDescriptor and the propagation of inheritable ACEs (MS-ADTS 6.1.3.2 SD
// flags on write, 6.1.3 "Security Descriptor Requirements", 3.1.1.6.3 "Security Descriptor
// Propagator"; MS-DTYP 2.5.3.4): a write replaces only the parts SD_FLAGS selects; the
// ACEs marked inherited in the value sent are the system's, recomputed from the parent; and
// every object below gets its inherited ACEs recomputed in the same transaction, so reads never
// see a half-propagated subtree and nothing is left to resume after a restart. A move
// re-inherits the moved subtree from its new parent the same way.
import type { Control, ModifyRequest } from '../../ldap/protocol/messages.js';
import type { WriteTxn } from '../../store/store.js';
import type { ObjectRecord } from '../../store/record.js';
import type { Directory } from '../directory.js';
import { decodeRequestControl } from '../../ldap/controls/index.js';
import { SD_FLAGS_OID, type SDFlagsRequestValue } from '../../ldap/controls/sd-flags.js';
import { decodeSecurityDescriptor, encodeSecurityDescriptor, SecurityDescriptorError, type SecurityDescriptor } from '../../security/security-descriptor.js';
import { mergeSecurityDescriptor } from '../../security/sd-flags.js';
import { reinherit } from '../../security/sd-inheritance.js';
import { ObjectClassCategory } from '../../schema/types.js';
import { AdError } from '../errors.js';
import { accessState } from './access.js';

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

/** schemaIDGUID of a record's structural class, lower case. */
function classGuidOf(dir: Directory, rec: ObjectRecord): string | undefined {
  const snap = dir.schema.snapshot;
  const oc = (rec.attrs.find((a) => a.id === dir.schema.attr('objectClass')!.id)?.values ?? []) as string[];
  for (let i = oc.length - 1; i >= 0; i--) {
    const c = snap.classByOid(oc[i]!);
    if (c && c.objectClassCategory !== ObjectClassCategory.Auxiliary) return c.schemaIDGUID.toLowerCase();
  }
  return undefined;
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
    const parent = rec.parent ? sdOf(dir, w.getObject(rec.parent)) : undefined;
    const final = reinherit(merged, parent, classGuidOf(dir, rec));
    sdWritten = true;
    return { ...ch, modification: { ...ch.modification, values: [encodeSecurityDescriptor(final)] } };
  });
  return { req: sdWritten ? { ...req, changes } : req, sdWritten };
}

/**
 * MS-ADTS 3.1.1.6.3: recomputes the inherited ACEs of everything below `root` (and of `root`
 * itself when `includeRoot`, after a move). Local writes: not originating updates, no USN, as
 * each DC's propagator does its own.
 */
export function propagateSd(dir: Directory, w: WriteTxn, root: Buffer, includeRoot: boolean): number {
  const sdId = dir.schema.attr('nTSecurityDescriptor')!.id;
  accessState(dir).sdChangedLocally(); // decisions cached by uSNChanged no longer hold
  let n = 0;
  const stack: Buffer[] = includeRoot ? [root] : [...w.children(root)].map((c) => Buffer.from(c));
  while (stack.length > 0) {
    const g = stack.pop()!;
    const rec = w.getObject(g);
    if (!rec) continue;
    const cur = sdOf(dir, rec);
    if (cur) {
      const parent = rec.parent ? sdOf(dir, w.getObject(rec.parent)) : undefined;
      const bin = encodeSecurityDescriptor(reinherit(cur, parent, classGuidOf(dir, rec)));
      const old = rec.attrs.find((a) => a.id === sdId)!.values[0] as Uint8Array;
      if (!Buffer.from(old).equals(bin)) {
        const next: ObjectRecord = { ...rec, attrs: rec.attrs.map((a) => (a.id === sdId ? { ...a, values: [bin] } : a)) };
        w.putObject(g, next, rec);
        n++;
      }
    }
    for (const c of w.children(g)) stack.push(Buffer.from(c));
  }
  return n;
}
