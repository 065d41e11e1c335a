// The MS-DTYP 2.5.3.2 access check with object type lists, on a table of cases (SDDL in, a
// token, the node asked about, the rights expected). Each row names the rule it exercises.
import test from 'node:test';
import assert from 'node:assert/strict';
import { parseSddl, sddlToBinary } from '../../src/security/sddl.js';
import { compileSd, grantedAccess, mapGeneric, Right, CompiledSdCache } from '../../src/security/access-check.js';
import { makeToken } from '../../src/security/token.js';
import { sidFromString } from '../../src/schema/syntaxes/string-sid.js';
import { sidKey } from '../../src/security/well-known-sids.js';

const DOM = 'S-1-5-21-1-2-3';
const ctx = { domainSid: Buffer.from(sidFromString(DOM)) };
const sid = (s: string) => Buffer.from(sidFromString(s));
const ALICE = `${DOM}-1105`;
const BOB = `${DOM}-1106`;
const USER_CLASS = 'bf967aba-0de6-11d0-a285-00aa003049e2';
const PERSONAL = '77b5b886-944a-11d1-aebd-0000f80367c1'; // Personal-Information property set
const TELEPHONE = 'bf967a49-0de6-11d0-a285-00aa003049e2'; // telephoneNumber, in Personal-Information
const STREET = 'bf967a3a-0de6-11d0-a285-00aa003049e2'; // street, also in Personal-Information
const FORCE = '00299570-246d-11d0-a768-00aa006e0529';

const alice = makeToken(sid(ALICE), sid(`${DOM}-513`), [sid(`${DOM}-513`)], [sid('S-1-1-0'), sid('S-1-5-11')], []);
const admin = makeToken(sid(`${DOM}-500`), sid(`${DOM}-513`), [sid(`${DOM}-512`), sid('S-1-5-32-544')], [sid('S-1-1-0'), sid('S-1-5-11')], ['SeSecurityPrivilege', 'SeTakeOwnershipPrivilege']);

interface Row {
  rule: string;
  sddl: string;
  token: 'alice' | 'admin';
  want: number;
  path?: string[];
  self?: string;
  expect: number;
}

const ROWS: Row[] = [
  { rule: 'MS-DTYP 2.5.3.2: an allow ACE for a SID of the token grants its bits', sddl: 'O:DAG:DAD:(A;;RPLC;;;AU)', token: 'alice', want: Right.READ_PROPERTY, expect: Right.READ_PROPERTY },
  { rule: 'MS-DTYP 2.5.3.2: only the bits asked for are granted', sddl: 'O:DAG:DAD:(A;;RPLC;;;AU)', token: 'alice', want: Right.READ_PROPERTY | Right.WRITE_PROPERTY, expect: Right.READ_PROPERTY },
  { rule: 'MS-DTYP 2.5.3.2: an ACE for a SID not in the token has no effect', sddl: 'O:DAG:DAD:(A;;GA;;;DA)', token: 'alice', want: Right.WRITE_PROPERTY, expect: 0 },
  { rule: 'MS-DTYP 2.5.3.2: a deny ACE before an allow wins', sddl: 'O:DAG:DAD:(D;;WP;;;AU)(A;;RPWP;;;AU)', token: 'alice', want: Right.WRITE_PROPERTY, expect: 0 },
  { rule: 'MS-DTYP 2.5.3.2: an allow before a deny has already decided the bit', sddl: 'O:DAG:DAD:(A;;WP;;;AU)(D;;WP;;;AU)', token: 'alice', want: Right.WRITE_PROPERTY, expect: Right.WRITE_PROPERTY },
  { rule: 'MS-DTYP 2.5.3.2: an empty DACL grants nothing', sddl: 'O:DAG:DAD:', token: 'admin', want: Right.READ_PROPERTY, expect: 0 },
  { rule: 'MS-DTYP 2.5.3.2: a NULL DACL grants everything', sddl: 'O:DAG:DAD:NO_ACCESS_CONTROL', token: 'alice', want: Right.WRITE_PROPERTY | Right.DELETE, expect: Right.WRITE_PROPERTY | Right.DELETE },
  { rule: 'MS-DTYP 2.5.3.2: inherit-only ACEs take no part', sddl: 'O:DAG:DAD:(A;CIIO;WP;;;AU)', token: 'alice', want: Right.WRITE_PROPERTY, expect: 0 },
  { rule: 'MS-DTYP 2.5.3.2: the owner gets READ_CONTROL and WRITE_DAC', sddl: `O:${ALICE}G:DAD:`, token: 'alice', want: Right.READ_CONTROL | Right.WRITE_DAC | Right.WRITE_PROPERTY, expect: Right.READ_CONTROL | Right.WRITE_DAC },
  { rule: 'MS-DTYP 2.5.3.2: an OWNER RIGHTS ACE replaces the owner implicit rights', sddl: `O:${ALICE}G:DAD:(A;;RC;;;OW)`, token: 'alice', want: Right.READ_CONTROL | Right.WRITE_DAC, expect: Right.READ_CONTROL },
  { rule: 'MS-DTYP 2.5.3.2: ACCESS_SYSTEM_SECURITY only through SeSecurityPrivilege (ACEs cannot grant it)', sddl: 'O:DAG:DAD:(A;;0x01000000;;;AU)', token: 'alice', want: Right.ACCESS_SYSTEM_SECURITY, expect: 0 },
  { rule: 'MS-DTYP 2.5.3.2: SeSecurityPrivilege grants ACCESS_SYSTEM_SECURITY', sddl: 'O:DAG:DAD:', token: 'admin', want: Right.ACCESS_SYSTEM_SECURITY, expect: Right.ACCESS_SYSTEM_SECURITY },
  { rule: 'MS-DTYP 2.5.3.2: SeTakeOwnershipPrivilege grants WRITE_OWNER', sddl: 'O:DAG:DAD:', token: 'admin', want: Right.WRITE_OWNER, expect: Right.WRITE_OWNER },
  { rule: 'MS-DTYP 2.4.3 / MS-ADTS 5.1.3.2: GENERIC_ALL maps to every DS right', sddl: 'O:DAG:DAD:(A;;GA;;;DA)', token: 'admin', want: 0x000f01ff, expect: 0x000f01ff },
  { rule: 'MS-DTYP 2.4.3: GENERIC_READ = RC|LC|RP|LO', sddl: 'O:DAG:DAD:(A;;GR;;;AU)', token: 'alice', want: 0x000f01ff, expect: Right.READ_CONTROL | Right.LIST_CONTENTS | Right.READ_PROPERTY | Right.LIST_OBJECT },
  { rule: 'MS-DTYP 2.5.3.2 object ACE: an allow on the property set reaches its attribute', sddl: `O:DAG:DAD:(OA;;WP;${PERSONAL};;AU)`, token: 'alice', want: Right.WRITE_PROPERTY, path: [USER_CLASS, PERSONAL, TELEPHONE], expect: Right.WRITE_PROPERTY },
  { rule: 'MS-DTYP 2.5.3.2 object ACE: an allow on one attribute does not reach another', sddl: `O:DAG:DAD:(OA;;WP;${TELEPHONE};;AU)`, token: 'alice', want: Right.WRITE_PROPERTY, path: [USER_CLASS, PERSONAL, STREET], expect: 0 },
  { rule: 'MS-DTYP 2.5.3.2 object ACE: a deny on one attribute beats an allow on its property set', sddl: `O:DAG:DAD:(OD;;WP;${TELEPHONE};;AU)(OA;;WP;${PERSONAL};;AU)`, token: 'alice', want: Right.WRITE_PROPERTY, path: [USER_CLASS, PERSONAL, TELEPHONE], expect: 0 },
  { rule: 'MS-DTYP 2.5.3.2 object ACE: that deny leaves the other attributes of the set allowed', sddl: `O:DAG:DAD:(OD;;WP;${TELEPHONE};;AU)(OA;;WP;${PERSONAL};;AU)`, token: 'alice', want: Right.WRITE_PROPERTY, path: [USER_CLASS, PERSONAL, STREET], expect: Right.WRITE_PROPERTY },
  { rule: 'MS-DTYP 2.5.3.2 object ACE: an allow on the class (level 0) reaches every attribute', sddl: `O:DAG:DAD:(OA;;RP;${USER_CLASS};;AU)`, token: 'alice', want: Right.READ_PROPERTY, path: [USER_CLASS, PERSONAL, STREET], expect: Right.READ_PROPERTY },
  { rule: 'MS-DTYP 2.5.3.2: an object ACE is ignored when no object type list is given', sddl: `O:DAG:DAD:(OA;;RP;${PERSONAL};;AU)`, token: 'alice', want: Right.READ_PROPERTY, expect: 0 },
  { rule: 'MS-ADTS 5.1.3.2.1: a control access right needs CR on its rightsGuid', sddl: `O:DAG:DAD:(OA;;CR;${FORCE};;AU)`, token: 'alice', want: Right.CONTROL_ACCESS, path: [USER_CLASS, FORCE], expect: Right.CONTROL_ACCESS },
  { rule: 'MS-ADTS 5.1.3.2.1: CR for one right does not grant another', sddl: `O:DAG:DAD:(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;AU)`, token: 'alice', want: Right.CONTROL_ACCESS, path: [USER_CLASS, FORCE], expect: 0 },
  { rule: 'MS-ADTS 5.1.3.2.1: CR without ObjectType grants every control access right', sddl: 'O:DAG:DAD:(A;;CR;;;AU)', token: 'alice', want: Right.CONTROL_ACCESS, path: [USER_CLASS, FORCE], expect: Right.CONTROL_ACCESS },
  { rule: 'MS-DTYP 2.5.3.2 PrincipalSelfSubst: PRINCIPAL_SELF matches on the requester own object', sddl: 'O:DAG:DAD:(A;;WP;;;PS)', token: 'alice', want: Right.WRITE_PROPERTY, self: ALICE, expect: Right.WRITE_PROPERTY },
  { rule: 'MS-DTYP 2.5.3.2 PrincipalSelfSubst: PRINCIPAL_SELF does not match on another object', sddl: 'O:DAG:DAD:(A;;WP;;;PS)', token: 'alice', want: Right.WRITE_PROPERTY, self: BOB, expect: 0 },
  { rule: 'MS-DTYP 2.5.3.2: CREATOR OWNER in an effective ACE matches nobody at check time', sddl: 'O:DAG:DAD:(A;;WP;;;CO)', token: 'alice', want: Right.WRITE_PROPERTY, expect: 0 },
  { rule: 'MS-ADTS 5.1.3.2: a deny of DELETE does not take away DELETE_CHILD', sddl: 'O:DAG:DAD:(D;;SD;;;AU)(A;;SDDC;;;AU)', token: 'alice', want: Right.DELETE | Right.DELETE_CHILD, expect: Right.DELETE_CHILD },
];

for (const row of ROWS) {
  test(row.rule, () => {
    const csd = compileSd(parseSddl(row.sddl, ctx));
    const token = row.token === 'alice' ? alice : admin;
    const req = { desired: row.want, ...(row.path ? { objectTypes: row.path } : {}), ...(row.self ? { selfSid: sidKey(sid(row.self)) } : {}) };
    assert.equal(grantedAccess(csd, token, req) >>> 0, row.expect >>> 0);
  });
}

test('MS-DTYP 2.4.3: mapGeneric leaves specific rights as they are', () => {
  assert.equal(mapGeneric(Right.READ_PROPERTY | Right.WRITE_PROPERTY), Right.READ_PROPERTY | Right.WRITE_PROPERTY);
});

test('CompiledSdCache: one compiled SD per distinct binary SD', () => {
  const c = new CompiledSdCache(2);
  const a = sddlToBinary('O:DAG:DAD:(A;;RP;;;AU)', ctx);
  assert.equal(c.get(a), c.get(Buffer.from(a)));
  const b = sddlToBinary('O:DAG:DAD:(A;;WP;;;AU)', ctx);
  assert.notEqual(c.get(a), c.get(b));
});
