// Refusals of an LDAP Modify decided from the request alone, before the object is read
// (MS-ADTS 3.1.1.5.3 "Modify Operation"). What Windows answers was recorded by Samba's
// source4/dsdb/tests/python/ldap.py run against Windows (test_empty_messages,
// test_objectclasses) and passwords.py (dBCSPwd):
//   - a modify with no changes: unwillingToPerform (53);
//   - objectClass replaced and deleted in one request, in either order: objectClassViolation (65);
//   - any write of dBCSPwd (the LM hash, never set over LDAP): unwillingToPerform (53);
//   - dSHeuristics values with wrong check characters (ds-heuristics.ts).
import type { ModifyRequest } from '../ldap/protocol/messages.js';
import { ModifyOperation } from '../ldap/protocol/messages.js';
import type { Directory } from './directory.js';
import { AdError } from './errors.js';
import { parseAttributeDescription } from './values.js';
import { checkDsHeuristics } from './ds-heuristics.js';

export function checkModifyRequest(dir: Directory, req: ModifyRequest, place: string): void {
  if (req.changes.length === 0) throw AdError.unwillingToPerform(place, 'a modify request needs at least one change');
  let ocReplace = false;
  let ocDelete = false;
  for (const ch of req.changes) {
    const info = dir.schema.attr(parseAttributeDescription(ch.modification.type).type);
    const lname = info?.name.toLowerCase();
    if (lname === 'objectclass') {
      if (ch.operation === ModifyOperation.replace) ocReplace = true;
      if (ch.operation === ModifyOperation.delete) ocDelete = true;
    }
    if (lname === 'dbcspwd') throw AdError.unwillingToPerform(place, 'dBCSPwd is not written over LDAP');
    if (lname === 'dsheuristics' && ch.operation !== ModifyOperation.delete) checkDsHeuristics(dir, ch.modification.values, place);
  }
  if (ocReplace && ocDelete) throw AdError.objectClassViolation(place, 'objectClass cannot be replaced and deleted in one request');
}
