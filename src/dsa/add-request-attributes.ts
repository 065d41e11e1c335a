// The attributes of an LDAP Add request, screened as AD screens them before the object is
// built (MS-ADTS 3.1.1.5.2.2 "Constraints": the attributes a requester may not specify, and
// those AD tolerates and sets itself). What Windows answers, where the spec leaves it open,
// was recorded by Samba's source4/dsdb/tests/python/ldap.py (test_invalid_attribute,
// test_instanceType, test_distinguished_name, test_rdn_name, test_objectGUID, test_all) and
// sam.py (test_primary_group_token_constructed) run against Windows:
//   - an attribute type the schema does not know (and the "dn" shortcut): noSuchAttribute (16);
//   - an unknown objectClass value: the same;
//   - a constructed attribute (primaryGroupToken): undefinedAttributeType (17);
//   - objectGUID: unwillingToPerform (53), valid value or not;
//   - instanceType: tolerated with the value the DSA sets (IT_WRITE), else unwillingToPerform;
//   - isDeleted FALSE, name, distinguishedName, whenCreated, whenChanged, uSNCreated,
//     uSNChanged: tolerated and ignored — the DSA sets them;
//   - sAMAccountType: unwillingToPerform (the SAM derives it, MS-SAMR 3.1.1.8.1);
//   - an object of class secret (an LSA secret, MS-LSAD): unwillingToPerform;
//   - dSHeuristics with wrong check characters: ds-heuristics.ts.
// The RDN attribute given with a value other than the DN's is add.ts's (invalidDNSyntax, 34).
import type { PartialAttribute } from '../ldap/protocol/messages.js';
import type { Directory } from './directory.js';
import { AdError } from './errors.js';
import { parseAttributeDescription } from './values.js';
import { InstanceType } from './add.js';
import { checkDsHeuristics } from './ds-heuristics.js';

/** Given on Add, ignored: the DSA sets them (MS-ADTS 3.1.1.5.2.2, 3.1.1.1.9). */
const TOLERATED = new Set(['name', 'distinguishedname', 'whencreated', 'whenchanged', 'usncreated', 'usnchanged']);

/** The request's attributes without the tolerated ones; throws AD's error for the refused ones. */
export function screenAddAttributes(dir: Directory, attributes: readonly PartialAttribute[], place: string): PartialAttribute[] {
  const schema = dir.schema;
  const out: PartialAttribute[] = [];
  for (const a of attributes) {
    const { type } = parseAttributeDescription(a.type);
    const info = schema.attr(type);
    if (!info) throw AdError.noSuchAttributeOnAdd(place, type);
    const lname = info.name.toLowerCase();
    if (TOLERATED.has(lname)) continue;
    // the values as text only for the attributes screened by value (not every value of every add)
    const text = lname === 'isdeleted' || lname === 'instancetype' || lname === 'objectclass' ? a.values.map((v) => Buffer.from(v).toString('utf8')) : [];
    if (lname === 'isdeleted') {
      if (text.length === 1 && text[0] === 'FALSE') continue;
      throw AdError.unwillingToPerform(place, 'isDeleted is set by a delete');
    }
    if (lname === 'instancetype') {
      // an Add over LDAP creates an ordinary writable object: instanceType IT_WRITE (MS-ADTS 3.1.1.5.2.2)
      if (text.length === 1 && /^\d+$/.test(text[0]!) && Number(text[0]) === InstanceType.IT_WRITE) continue;
      throw AdError.unwillingToPerform(place, `instanceType ${JSON.stringify(text)} is not the value of a new object (${InstanceType.IT_WRITE})`);
    }
    if (lname === 'objectguid') throw AdError.unwillingToPerform(place, 'objectGUID is assigned by the directory');
    if (lname === 'samaccounttype') throw AdError.unwillingToPerform(place, 'sAMAccountType is derived by the directory');
    if (info.constructed && lname !== 'unicodepwd') throw AdError.undefinedAttributeType(place, type);
    if (lname === 'objectclass') {
      for (const v of text) {
        const c = schema.snapshot.resolveClass(v) ?? schema.snapshot.classByOid(v);
        if (!c) throw AdError.noSuchAttributeOnAdd(place, `objectClass: ${v}`);
        // LSA secrets are created through the LSA (MS-LSAD), never by an LDAP add
        if (c.lDAPDisplayName === 'secret') throw AdError.unwillingToPerform(place, 'secret objects are created through the LSA, not over LDAP');
      }
    }
    if (lname === 'dsheuristics') checkDsHeuristics(dir, a.values, place);
    out.push(a);
  }
  return out;
}
