// groupType of group objects (MS-SAMR 3.1.1.8, the groupType rules; the bits are MS-ADTS 2.2.12):
// the scope of a group changes global ↔ universal ↔ domain local, never global ↔ domain local
// directly, and never to or from a builtin local group; security and distribution may change
// at each step. Windows refuses the others with unwillingToPerform (Samba's sam.py,
// test_groupType, run against Windows). forestd does not yet check the memberships that
// Windows also checks on a scope change (e.g. a universal group with universal members
// becoming global).
import { AdError } from '../errors.js';
import { GroupType, GROUP_TYPE_SCOPE_MASK } from '../principals.js';

const PLACE = 'dsa.sam.groupType';

/** The scope bits of a groupType value; exactly one must be set. */
export function groupScope(gt: number): number {
  const scope = (gt >>> 0) & GROUP_TYPE_SCOPE_MASK;
  if (scope === 0 || (scope & (scope - 1)) !== 0) throw AdError.unwillingToPerform(PLACE, `groupType 0x${(gt >>> 0).toString(16)} must name exactly one group scope`, 0x531);
  return scope;
}

/** Checks a change of groupType from `before` to `after` (a modify). */
export function checkGroupTypeChange(before: number, after: number): void {
  const b = before >>> 0;
  const a = after >>> 0;
  const to = groupScope(a);
  if ((a ^ b) & GroupType.GROUP_TYPE_BUILTIN_LOCAL_GROUP || a & GroupType.GROUP_TYPE_BUILTIN_LOCAL_GROUP) {
    if (a !== b) throw AdError.unwillingToPerform(PLACE, "the builtin-local bit of groupType is the system's", 0x531);
  }
  const from = b & GROUP_TYPE_SCOPE_MASK;
  const G = GroupType.GROUP_TYPE_ACCOUNT_GROUP;
  const L = GroupType.GROUP_TYPE_RESOURCE_GROUP;
  if ((from === G && to === L) || (from === L && to === G)) {
    throw AdError.unwillingToPerform(PLACE, 'a global group becomes a domain local group (and back) only through a universal group');
  }
}
