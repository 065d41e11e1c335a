// fSMORoleOwner (MS-ADTS 3.1.1.1.11 FSMO roles): the value names the nTDSDSA object of the DC
// that owns the role. A write that removes it, or names anything but an nTDSDSA object, is
// refused with unwillingToPerform, as Windows does (recorded by Samba's samldb, which
// mirrors it: an Add without a usable value gets constraintViolation).
import type { ReadTxn } from '../../store/store.js';
import type { DSName, StoredValue } from '../../schema/syntaxes/syntax.js';
import type { Directory } from '../directory.js';
import { AdError } from '../errors.js';

const PLACE = 'dsa.sam.fSMORoleOwner';

function isDsa(dir: Directory, r: ReadTxn, v: StoredValue): boolean {
  const ref = v as DSName;
  if (!ref || !ref.guid) return false;
  const rec = r.getObject(Buffer.from(ref.guid));
  const ocInfo = dir.schema.attr('objectClass')!;
  const dsa = dir.schema.snapshot.classByName('nTDSDSA')?.governsID;
  return !!rec && !!dsa && ((rec.attrs.find((a) => a.id === ocInfo.id)?.values ?? []) as string[]).includes(dsa);
}

/** Checks the fSMORoleOwner values a request leaves (`values`), on add or modify. */
export function checkFsmoRoleOwner(dir: Directory, r: ReadTxn, values: readonly StoredValue[], op: 'add' | 'modify'): void {
  const info = dir.schema.attr('fSMORoleOwner')!;
  if (values.length === 0) {
    if (op === 'add') throw AdError.constraintViolation(PLACE, info.id, info.name, undefined, 'fSMORoleOwner must name the nTDSDSA object of the role owner');
    throw AdError.unwillingToPerform(PLACE, 'fSMORoleOwner cannot be removed');
  }
  for (const v of values) if (!isDsa(dir, r, v)) throw AdError.unwillingToPerform(PLACE, 'fSMORoleOwner must name an nTDSDSA object');
}
