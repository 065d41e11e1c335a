// The subSchema object CN=Aggregate (MS-ADTS 3.1.1.3.1.1, RFC 4512 4.2): its attributeTypes,
// objectClasses, dITContentRules, extendedAttributeInfo and extendedClassInfo are not stored;
// they are rendered from the schema cache in force when read.
import type { Directory } from './directory.js';
import { renderSubschema } from '../schema/subschema.js';

export const SUBSCHEMA_RENDERED = ['attributeTypes', 'objectClasses', 'dITContentRules', 'extendedAttributeInfo', 'extendedClassInfo'] as const;
const NAMES = SUBSCHEMA_RENDERED;
export type SubschemaAttribute = (typeof NAMES)[number];

/** True for the subSchema object of this forest. */
export function isSubschemaObject(dir: Directory, dn: string): boolean {
  return dn.toLowerCase() === `cn=aggregate,${dir.forest.schemaDN}`.toLowerCase();
}

/** Rendered only when asked for by name, not for `*`, as Windows answers (observed behaviour reported in issue 13; no spec text found). */
const ON_REQUEST = new Set(['ditcontentrules']);

/**
 * The rendered schema attributes of CN=Aggregate that a request asks for: for `*` or no list
 * all but dITContentRules (AD returns those only when named), else those named.
 */
export function subschemaAttributes(dir: Directory, requested: readonly string[]): { type: string; values: readonly string[] }[] {
  const asked = requested.map((a) => a.toLowerCase());
  const all = asked.length === 0 || asked.includes('*') || asked.includes('+');
  const r = renderSubschema(dir.schema.snapshot, { style: 'ad' });
  const out: { type: string; values: readonly string[] }[] = [];
  for (const n of NAMES) if (asked.includes(n.toLowerCase()) || (all && !ON_REQUEST.has(n.toLowerCase()))) out.push({ type: n, values: r[n] });
  return out;
}
