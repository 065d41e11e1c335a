// servicePrincipalName (MS-ADTS 5.1.3.2.1 Validated-SPN; Kerberos SPNs "class/host[:port][/name]"):
//   - a value is unique in the forest: a value another live object has is refused with
//     constraintViolation and ERROR_DS_SPN_VALUE_NOT_UNIQUE_IN_FOREST (Windows Server 2012 R2
//     and later);
//   - when dNSHostName or sAMAccountName of an account changes, its SPNs follow: each "/"-part
//     after the service class equal (case-insensitively) to the old dNSHostName, or to the old
//     sAMAccountName without its trailing "$", becomes the new one; values that become equal
//     are kept once. SPN changes in the same request are applied first (Windows behaviour,
//     recorded by Samba's samldb, which mirrors it).
import type { ReadTxn } from '../../store/store.js';
import { indexKey } from '../../store/store.js';
import type { StoredValue } from '../../schema/syntaxes/syntax.js';
import type { Directory } from '../directory.js';
import { AdError } from '../errors.js';
import { isDeletedRecord } from '../tombstone.js';

const PLACE = 'dsa.sam.servicePrincipalName';
/** ERROR_DS_SPN_VALUE_NOT_UNIQUE_IN_FOREST (MS-ERREF 2.2). */
export const ERROR_DS_SPN_VALUE_NOT_UNIQUE_IN_FOREST = 0x21c7;

/** Refuses values of `spns` that another live object (not `self`) holds. */
export function checkSpnUniqueness(dir: Directory, r: ReadTxn, self: Buffer | undefined, spns: readonly StoredValue[]): void {
  const info = dir.schema.attr('servicePrincipalName')!;
  for (const v of spns) {
    for (const g of r.indexEqual(indexKey(info.id, info.syntax.normalize(v)))) {
      if (self && g.equals(self)) continue;
      const rec = r.getObject(g);
      // the index keeps a prefix of long values: the object's own values decide
      const held = rec?.attrs.find((a) => a.id === info.id)?.values ?? [];
      if (rec && !isDeletedRecord(dir, rec) && held.some((x) => info.syntax.compare(x as StoredValue, v) === 0)) {
        throw AdError.constraintViolation(PLACE, info.id, info.name, ERROR_DS_SPN_VALUE_NOT_UNIQUE_IN_FOREST, `servicePrincipalName ${String(v)} is in use by another object of the forest`);
      }
    }
  }
}

const fold = (s: string) => s.toLowerCase();
const noDollar = (s: string | undefined) => (s !== undefined && s.endsWith('$') ? s.slice(0, -1) : s);

/**
 * The SPNs after a rename of the account: `host` and `sam` give the old and new dNSHostName
 * and sAMAccountName (undefined when unchanged or unknown). Returns undefined when nothing changes.
 */
export function rewriteSpns(spns: readonly string[], host: { from?: string; to?: string }, sam: { from?: string; to?: string }): string[] | undefined {
  const hFrom = host.from !== undefined && host.to !== undefined && fold(host.from) !== fold(host.to) ? fold(host.from) : undefined;
  const sFromRaw = noDollar(sam.from);
  const sTo = noDollar(sam.to);
  const sFrom = sFromRaw !== undefined && sTo !== undefined && fold(sFromRaw) !== fold(sTo) ? fold(sFromRaw) : undefined;
  if (hFrom === undefined && sFrom === undefined) return undefined;
  const out: string[] = [];
  const seen = new Set<string>();
  let changed = false;
  for (const spn of spns) {
    const [cls, ...rest] = spn.split('/');
    const parts = rest.map((p) => {
      if (hFrom !== undefined && fold(p) === hFrom) return host.to!;
      if (sFrom !== undefined && fold(p) === sFrom) return sTo!;
      return p;
    });
    const next = [cls, ...parts].join('/');
    if (next !== spn) changed = true;
    if (seen.has(fold(next))) {
      changed = true;
      continue;
    }
    seen.add(fold(next));
    out.push(next);
  }
  return changed ? out : undefined;
}
