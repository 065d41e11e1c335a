// Object(OR-Name): attributeSyntax 2.5.5.7, oMSyntax 127, oMObjectClass 2.6.6.1.2.5.11.29
// (MS-ADTS 3.1.1.2.2.2). Its LDAP representation is just object_DN, a DN in Object(DS-DN)
// form (3.1.1.2.2.2.4), so it is stored as a DSName like Object(DS-DN).
// Comparison rule DN-Binary (MS-ADTS 3.1.1.2.2.4.4): equal when the object_DN components name
// the same object and the OR_address components are identical — with no OR_address in the
// LDAP form, that is equality of the referenced object.
import { RULES } from './comparison.js';
import { makeDNSyntax } from './object-ds-dn.js';
import type { Syntax } from './syntax.js';

export const objectOrName: Syntax = makeDNSyntax('Object(OR-Name)', '2.5.5.7', '56060102050b1d' /* 0x56 0x06 0x01 0x02 0x05 0x0B 0x1D */, '1.2.840.113556.1.4.1221', RULES['DN-Binary']);
