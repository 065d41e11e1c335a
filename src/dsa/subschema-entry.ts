// The subSchema object CN=Aggregate (MS-ADTS 3.1.1.3.1.1, RFC 4512 4.2): its attributeTypes,
// objectClasses, dITContentRules, extendedAttributeInfo and extendedClassInfo are not stored;
// they are rendered from the schema cache in force when read.
import type { Directory } from './directory.js';
import { renderSubschema } from '../schema/subschema.js';

const NAMES = ['attributeTypes', 'objectClasses', 'dITContentRules', 'extendedAttributeInfo', 'extendedClassInfo'] as const;
export type SubschemaAttribute = (typeof NAMES)[number];

/** True for the subSchema object of this forest. */
export function isSubschemaObject(dir: Directory, dn: string): boolean {
  return dn.toLowerCase() === `cn=aggregate,${dir.forest.schemaDN}`.toLowerCase();
}

/**
 * The rendered schema attributes of CN=Aggregate that a request asks for: all five for
 * `*` or no list (as AD returns them), else those named.
 */
export function subschemaAttributes(dir: Directory, requested: readonly string[]): { type: string; values: readonly string[] }[] {
  const asked = requested.map((a) => a.toLowerCase());
  const all = asked.length === 0 || asked.includes('*') || asked.includes('+');
  const r = renderSubschema(dir.schema.snapshot, { style: 'ad' });
  const out: { type: string; values: readonly string[] }[] = [];
  for (const n of NAMES) if (all || asked.includes(n.toLowerCase())) out.push({ type: n, values: r[n] });
  return out;
}
