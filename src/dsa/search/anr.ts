// Ambiguous name resolution (MS-ADTS 3.1.1.3.1.3.4): an (anr=V) item is rewritten into an OR
// over the "ANR attribute set", the attributes whose searchFlags has fANR (0x4, MS-ADTS
// 3.1.1.2.3), before the search runs:
//   1. S = the ANR set without legacyExchangeDN; PLegacy = legacyExchangeDN is in the set.
//   2. V starting with '=' asks for exact matches: (Ai=V') for each Ai in S; otherwise initial
//      substrings (Ai=V'*).
//   3. V' containing a space is also tried as "first last" and "last first":
//      (&(givenName=T1*)(sn=T2*)) and (&(givenName=T2*)(sn=T1*)), T1/T2 split at the first space
//      (exact forms when V started with '=').
//   4. PLegacy adds (legacyExchangeDN=V') (always an equality).
import type { Filter } from '../../ldap/protocol/filter.js';
import type { SchemaBinding } from '../schema-binding.js';
import { SearchFlags } from '../../schema/types.js';

const anrSets = new WeakMap<SchemaBinding, { names: string[]; legacy: boolean }>();

/** The ANR attribute set of a schema (cached per schema binding). */
export function anrAttributes(schema: SchemaBinding): { names: string[]; legacy: boolean } {
  let s = anrSets.get(schema);
  if (!s) {
    const names: string[] = [];
    let legacy = false;
    for (const a of schema.snapshot.attributes) {
      if (a.isDefunct || (a.searchFlags & SearchFlags.fANR) === 0) continue;
      if (a.lDAPDisplayName.toLowerCase() === 'legacyexchangedn') legacy = true;
      else names.push(a.lDAPDisplayName);
    }
    s = { names, legacy };
    anrSets.set(schema, s);
  }
  return s;
}

/** The rewritten filter for (anr=raw), or undefined when the value is empty (the item is Undefined). */
export function rewriteAnr(schema: SchemaBinding, raw: Buffer): Filter | undefined {
  let text = raw.toString('utf8').trim();
  const exact = text.startsWith('=');
  if (exact) text = text.slice(1).trim();
  if (text.length === 0) return undefined;
  const { names, legacy } = anrAttributes(schema);
  const item = (attribute: string, v: string): Filter =>
    exact ? { type: 'equalityMatch', attribute, value: Buffer.from(v, 'utf8') } : { type: 'substrings', attribute, initial: Buffer.from(v, 'utf8'), any: [] };
  const terms: Filter[] = names.map((n) => item(n, text));
  const space = text.indexOf(' ');
  if (space > 0) {
    const t1 = text.slice(0, space).trim();
    const t2 = text.slice(space + 1).trim();
    if (t1 && t2) {
      terms.push({ type: 'and', filters: [item('givenName', t1), item('sn', t2)] });
      terms.push({ type: 'and', filters: [item('givenName', t2), item('sn', t1)] });
    }
  }
  if (legacy) terms.push({ type: 'equalityMatch', attribute: 'legacyExchangeDN', value: Buffer.from(text, 'utf8') });
  return { type: 'or', filters: terms };
}
