// Naming rules of the state model that need no LDAP: the mangled RDNs of deleted objects and
// of name-conflict losers (MS-ADTS 3.1.1.5.5 "delete-mangled RDN", MS-ADTS 3.1.1.1.4 and
// MS-DRSR 4.1.10.6 name conflicts: "RDN\nCNF:<objectGUID>"), and possSuperiors.
import { guidToString } from '../../util/guid.js';

/** Longest RDN value (MS-ADTS 3.1.1.5.1.2 naming constraints). */
export const MAX_RDN = 255;

function mangled(rdn: string, tag: 'DEL' | 'CNF', guid: Uint8Array): string {
  const suffix = `\n${tag}:${guidToString(guid)}`;
  const original = unmangle(rdn);
  return [...original].slice(0, MAX_RDN - suffix.length).join('') + suffix;
}

/**
 * The delete-mangled RDN: the RDN value, a line feed (0x0A), "DEL:" and the objectGUID in its
 * dashed string form; the original value is cut so that the whole stays within MAX_RDN.
 */
export function deleteMangledRdn(rdn: string, guid: Uint8Array): string {
  return mangled(rdn, 'DEL', guid);
}

/** The conflict-mangled RDN given to the loser of a name conflict: "RDN\nCNF:<guid>". */
export function conflictMangledRdn(rdn: string, guid: Uint8Array): string {
  return mangled(rdn, 'CNF', guid);
}

/** The RDN value without a DEL: or CNF: mangling. */
export function unmangle(rdn: string): string {
  const i = rdn.search(/\n(DEL|CNF):/);
  return i >= 0 ? rdn.slice(0, i) : rdn;
}

export function isDeleteMangled(rdn: string): boolean {
  return rdn.includes('\nDEL:');
}

/**
 * possSuperiors (MS-ADTS 3.1.1.5.2.1.2 / 3.1.1.5.4.1): whether an object of a class whose
 * possible superiors are `possSuperiors` may be placed under an object whose objectClass
 * values (with their superclasses) are `parentClasses`. Names compare case-insensitively.
 */
export function possSuperiorAllows(possSuperiors: Iterable<string>, parentClasses: Iterable<string | undefined>): boolean {
  const poss = new Set([...possSuperiors].map((x) => x.toLowerCase()));
  for (const c of parentClasses) if (c && poss.has(c.toLowerCase())) return true;
  return false;
}
