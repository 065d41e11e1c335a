// The 23 attribute syntaxes of MS-ADTS 3.1.1.2.2.2, looked up by the triple that identifies
// a syntax: attributeSyntax, oMSyntax and, for oMSyntax 127 (object syntaxes), oMObjectClass.
// The set is fixed ("not extensible by schema modifications") and the table's combinations
// are exhaustive, so any other combination is refused — schema updates use syntaxFor to
// refuse a bad attributeSyntax/oMSyntax/oMObjectClass.
import type { Syntax } from './syntax.js';
import { boolean } from './boolean.js';
import { enumeration } from './enumeration.js';
import { integer } from './integer.js';
import { largeInteger } from './large-integer.js';
import { objectAccessPoint } from './object-access-point.js';
import { objectDnString } from './object-dn-string.js';
import { objectOrName } from './object-or-name.js';
import { objectDnBinary } from './object-dn-binary.js';
import { objectDsDn } from './object-ds-dn.js';
import { objectPresentationAddress } from './object-presentation-address.js';
import { objectReplicaLink } from './object-replica-link.js';
import { stringCase } from './string-case.js';
import { stringIa5 } from './string-ia5.js';
import { stringNtSecDesc } from './string-nt-sec-desc.js';
import { stringNumeric } from './string-numeric.js';
import { stringObjectIdentifier } from './string-object-identifier.js';
import { stringOctet } from './string-octet.js';
import { stringPrintable } from './string-printable.js';
import { stringSid } from './string-sid.js';
import { stringTeletex } from './string-teletex.js';
import { stringUnicode } from './string-unicode.js';
import { stringUtcTime } from './string-utc-time.js';
import { stringGeneralizedTime } from './string-generalized-time.js';

export * from './syntax.js';
export * from './comparison.js';
export { foldUnicode, unicodeKey } from './common.js';
export { sidToString, sidFromString, trySidFromString, validateSid } from './string-sid.js';
export { securityDescriptorProblem } from './string-nt-sec-desc.js';
export { oidToBer, oidFromBerContent } from './string-object-identifier.js';

/** All 23 syntaxes, in the order of the MS-ADTS 3.1.1.2.2.2 table. */
export const SYNTAXES: readonly Syntax[] = Object.freeze([
  boolean,
  enumeration,
  integer,
  largeInteger,
  objectAccessPoint,
  objectDnString,
  objectOrName,
  objectDnBinary,
  objectDsDn,
  objectPresentationAddress,
  objectReplicaLink,
  stringCase,
  stringIa5,
  stringNtSecDesc,
  stringNumeric,
  stringObjectIdentifier,
  stringOctet,
  stringPrintable,
  stringSid,
  stringTeletex,
  stringUnicode,
  stringUtcTime,
  stringGeneralizedTime,
]);

export {
  boolean,
  enumeration,
  integer,
  largeInteger,
  objectAccessPoint,
  objectDnString,
  objectOrName,
  objectDnBinary,
  objectDsDn,
  objectPresentationAddress,
  objectReplicaLink,
  stringCase,
  stringIa5,
  stringNtSecDesc,
  stringNumeric,
  stringObjectIdentifier,
  stringOctet,
  stringPrintable,
  stringSid,
  stringTeletex,
  stringUnicode,
  stringUtcTime,
  stringGeneralizedTime,
};

/** A combination that is not one of the 23 syntaxes. */
export class InvalidSyntaxError extends Error {
  readonly code = 'ERR_INVALID_SYNTAX';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSyntaxError';
  }
}

const byName = new Map(SYNTAXES.map((s) => [s.name, s]));
const byPair = new Map<string, Syntax[]>();
for (const s of SYNTAXES) {
  const k = `${s.attributeSyntax}/${s.oMSyntax}`;
  const list = byPair.get(k) ?? [];
  list.push(s);
  byPair.set(k, list);
}

/** The syntax with this name as the spec writes it ('String(Unicode)'). */
export function syntaxByName(name: string): Syntax | undefined {
  return byName.get(name);
}

function hexOf(o: string | Uint8Array): string {
  if (typeof o !== 'string') return Buffer.from(o).toString('hex');
  const h = o.replace(/0x|[\s:]/gi, '').toLowerCase();
  if (!/^(?:[0-9a-f]{2})*$/.test(h)) throw new InvalidSyntaxError(`oMObjectClass ${JSON.stringify(o)} is not hexadecimal`);
  return h;
}

/**
 * The syntax identified by attributeSyntax + oMSyntax (+ oMObjectClass) (MS-ADTS 3.1.1.2.2.2).
 * oMObjectClass is the BER content octets of the class OID, as hex (spaces, colons and 0x
 * prefixes are ignored) or bytes. It is required for oMSyntax 127 only where the pair alone is
 * ambiguous (2.5.5.7 and 2.5.5.14), checked when given for 127, and refused for other oMSyntax.
 * Throws InvalidSyntaxError (code 'ERR_INVALID_SYNTAX') for any other combination.
 */
export function syntaxFor(attributeSyntax: string, oMSyntax: number, oMObjectClass?: string | Uint8Array): Syntax {
  const list = byPair.get(`${attributeSyntax}/${oMSyntax}`);
  if (!list) {
    const known = SYNTAXES.filter((s) => s.attributeSyntax === attributeSyntax).map((s) => s.oMSyntax);
    throw new InvalidSyntaxError(
      known.length
        ? `oMSyntax ${oMSyntax} does not go with attributeSyntax ${attributeSyntax} (allowed: ${[...new Set(known)].join(', ')})`
        : `attributeSyntax ${attributeSyntax} is not one of the Active Directory syntaxes 2.5.5.1-2.5.5.17`,
    );
  }
  const given = oMObjectClass === undefined || (typeof oMObjectClass !== 'string' && oMObjectClass.length === 0) || oMObjectClass === '' ? undefined : hexOf(oMObjectClass);
  if (oMSyntax !== 127) {
    if (given !== undefined) throw new InvalidSyntaxError(`oMObjectClass is only used with oMSyntax 127, not with ${attributeSyntax}/${oMSyntax}`);
    return list[0]!;
  }
  if (given === undefined) {
    if (list.length === 1) return list[0]!;
    throw new InvalidSyntaxError(`attributeSyntax ${attributeSyntax} with oMSyntax 127 needs an oMObjectClass (one of ${list.map((s) => `${s.oMObjectClass} for ${s.name}`).join(', ')})`);
  }
  const s = list.find((x) => x.oMObjectClass === given);
  if (!s) throw new InvalidSyntaxError(`oMObjectClass ${given} does not go with attributeSyntax ${attributeSyntax} / oMSyntax 127 (expected ${list.map((x) => x.oMObjectClass).join(' or ')})`);
  return s;
}
