// Authorization over LDAP with real clients: a matrix of cases as data rows, each citing the
// rule it checks and the result code and Win32 code AD answers. python-ldap3 (with
// python3-samba for security descriptors) runs the rows in order against one forestd; a few
// rows run through ldap-utils. The principals: Administrator; alice and bob, ordinary users;
// dan, a delegated admin of OU=Sales (create/delete users and reset passwords there only);
// anonymous. Rows that differ only in who asks are each other's negative controls.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startForestd, run, PYTHON, type RunningForestd } from '../helpers/forestd.js';
import { findPackageRoot } from '../../src/schema/bootstrap.js';
import { needTool } from '../helpers/tools.js';
import { AD } from '../helpers/ad-errors.js';

const script = join(findPackageRoot(), 'test/integration/py/authz_client.py');

const USER = 'bf967aba-0de6-11d0-a285-00aa003049e2';
const GROUP = 'bf967a9c-0de6-11d0-a285-00aa003049e2';
const DESCRIPTION = 'bf967950-0de6-11d0-a285-00aa003049e2';
const TELEPHONE = 'bf967a49-0de6-11d0-a285-00aa003049e2';
const PERSONAL_INFORMATION = '77b5b886-944a-11d1-aebd-0000f80367c1';
const ROAMING = '6617e4ac-a2f1-43ab-b60c-11fbd1facf05'; // msPKIRoamingTimeStamp, fCONFIDENTIAL
const FORCE_CHANGE = '00299570-246d-11d0-a768-00aa006e0529';
const GET_CHANGES = '1131f6aa-9c07-11d1-f79f-00c04fc2dcd2';
const SELF_MEMBERSHIP = 'bf9679c0-0de6-11d0-a285-00aa003049e2';
const SPN_ATTR = 'f3a64788-5306-11d1-a9c5-0000f80367c1'; // schemaIDGUID of servicePrincipalName (also Validated-SPN's rightsGuid)
const PW = 'Str0ng-Passw0rd!';

type Step = Record<string, unknown> & { id: string; op: string };
/** A row: a step and what AD answers. `count`: entries a search returns; `has`/`lacks`: attributes of its first entry. */
interface Row {
  step: Step;
  spec: string;
  code: number;
  win32?: string;
  count?: number;
  has?: string[];
  lacks?: string[];
  /** a value the first entry's attribute must (or, with !, must not) hold */
  value?: [string, string, boolean?];
}

const users = (name: string, parent = 'CN=Users,{base}', extra: Record<string, unknown> = {}): Step => ({
  id: `setup-${name}`,
  op: 'add',
  as: 'admin',
  dn: `CN=${name},${parent}`,
  attrs: { objectClass: 'user', sAMAccountName: name, userAccountControl: '512', unicodePwd: { pwd: PW }, ...extra },
});

const SETUP: Step[] = [
  // the rows change passwords right after setting them: no minimum age until the policy rows
  { id: 'setup-minpwdage-0', op: 'modify', as: 'admin', dn: '{base}', changes: [['replace', 'minPwdAge', ['0']]] },
  { id: 'setup-ou-sales', op: 'add', as: 'admin', dn: 'OU=Sales,{base}', attrs: { objectClass: 'organizationalUnit' } },
  { id: 'setup-ou-eng', op: 'add', as: 'admin', dn: 'OU=Eng,{base}', attrs: { objectClass: 'organizationalUnit' } },
  { id: 'setup-ou-hidden', op: 'add', as: 'admin', dn: 'OU=Hidden,{base}', attrs: { objectClass: 'organizationalUnit' } },
  users('alice'),
  users('bob'),
  users('dan'),
  users('carol', 'OU=Sales,{base}'),
  users('erin', 'OU=Eng,{base}'),
  users('hid', 'OU=Hidden,{base}'),
  users('ursula'),
  users('psouser'),
  { id: 'setup-group-selfjoin', op: 'add', as: 'admin', dn: 'CN=SelfJoin,CN=Users,{base}', attrs: { objectClass: 'group', sAMAccountName: 'SelfJoin' } },
  { id: 'setup-group-g2', op: 'add', as: 'admin', dn: 'CN=G2,CN=Users,{base}', attrs: { objectClass: 'group', sAMAccountName: 'G2' } },
  // computers that sign in as themselves (the validated writes of MS-ADTS 3.1.1.5.3.1.1 need PRINCIPAL_SELF)
  ...['ws1', 'ws2'].map((n): Step => ({ id: `setup-${n}`, op: 'add', as: 'admin', dn: `CN=${n},CN=Computers,{base}`, attrs: { objectClass: 'computer', sAMAccountName: `${n}$`, userAccountControl: '4096', unicodePwd: { pwd: PW }, dNSHostName: `${n}.example.com` } })),
  { id: 'login-ws1', op: 'login', name: 'ws1', user: 'EXAMPLE\\ws1$', password: PW },
  { id: 'login-alice', op: 'login', name: 'alice', user: 'alice@example.com', password: PW },
  { id: 'login-bob', op: 'login', name: 'bob', user: 'bob@example.com', password: PW },
  { id: 'login-dan', op: 'login', name: 'dan', user: 'EXAMPLE\\dan', password: PW },
  // delegation on OU=Sales (MS-ADTS 5.1.3.2): dan may create and delete users and reset their passwords
  { id: 'setup-ace-dan-ccdc', op: 'addace', dn: 'OU=Sales,{base}', ace: `(OA;CI;CCDC;${USER};;{sid:dan})` },
  { id: 'setup-ace-dan-reset', op: 'addace', dn: 'OU=Sales,{base}', ace: `(OA;CIIO;CR;${FORCE_CHANGE};${USER};{sid:dan})` },
  // SelfJoin: anyone authenticated may add or remove itself (Self-Membership)
  { id: 'setup-ace-selfjoin', op: 'addace', dn: 'CN=SelfJoin,CN=Users,{base}', ace: `(OA;;SW;${SELF_MEMBERSHIP};;AU)` },
  // bob: alice may read everything but confidential attributes (RP without CR)
  { id: 'setup-ace-bob-rp', op: 'addace', dn: 'CN=bob,CN=Users,{base}', ace: '(A;;RP;;;{sid:alice})' },
  { id: 'setup-bob-roaming', op: 'modify', as: 'admin', dn: 'CN=bob,CN=Users,{base}', changes: [['replace', 'msPKIRoamingTimeStamp', ['0102030405060708']]] },
  // bob: allow alice Personal-Information writes, deny telephoneNumber before it
  { id: 'setup-ace-bob-allow-pi', op: 'addace', dn: 'CN=bob,CN=Users,{base}', ace: `(OA;;WP;${PERSONAL_INFORMATION};;{sid:alice})` },
  { id: 'setup-ace-bob-deny-tel', op: 'addace', dn: 'CN=bob,CN=Users,{base}', ace: `(OD;;WP;${TELEPHONE};;{sid:alice})` },
  // OU=Hidden: no LIST_CONTENTS for ordinary users, LIST_OBJECT on its child
  { id: 'setup-hidden-sd', op: 'modify', as: 'admin', sdflags: 4, dn: 'OU=Hidden,{base}', changes: [['replace', 'nTSecurityDescriptor', [{ sddl: 'D:P(A;;GA;;;DA)(A;;GA;;;EA)(A;;GA;;;SY)(A;;RPLO;;;AU)' }]]] },
  { id: 'setup-hid-sd', op: 'modify', as: 'admin', sdflags: 4, dn: 'CN=hid,OU=Hidden,{base}', changes: [['replace', 'nTSecurityDescriptor', [{ sddl: 'D:P(A;;GA;;;DA)(A;;GA;;;EA)(A;;GA;;;SY)(A;;RPLO;;;AU)' }]]] },
];

const R = (spec: string, code: number, win32: string | undefined, step: Step, more: Partial<Row> = {}): Row => ({ spec, code, ...(win32 ? { win32 } : {}), step, ...more });
const INSUFF = '00002098';
const NO_OBJ = '0000208D';
const ANON = '000004DC';

const ROWS: Row[] = [
  // --- reads: visibility and attributes (MS-ADTS 3.1.1.4.3, 5.1.3.3.6) ---
  R('MS-ADTS 5.1.3.3.6: users are listed to an ordinary user (LC on CN=Users)', 0, undefined, { id: 'r-list-users', op: 'search', as: 'alice', base: 'CN=Users,{base}', scope: 'one', filter: '(sAMAccountName=bob)' }, { count: 1 }),
  R('MS-ADTS 5.1.3.3.6: without LIST_CONTENTS on OU=Hidden its child is not listed', 0, undefined, { id: 'r-hidden-one', op: 'search', as: 'alice', base: 'OU=Hidden,{base}', scope: 'one' }, { count: 0 }),
  R('MS-ADTS 5.1.3.3.6: …and as a base it answers as if it did not exist', 32, NO_OBJ, { id: 'r-hidden-base', op: 'search', as: 'alice', base: 'CN=hid,OU=Hidden,{base}' }),
  R('MS-ADTS 5.1.3.3.6: the administrator lists it', 0, undefined, { id: 'r-hidden-admin', op: 'search', as: 'admin', base: 'OU=Hidden,{base}', scope: 'one' }, { count: 1 }),
  R('MS-ADTS 3.1.1.5.3.1: a modify of an invisible object is noSuchObject', 32, NO_OBJ, { id: 'w-hidden-modify', op: 'modify', as: 'alice', dn: 'CN=hid,OU=Hidden,{base}', changes: [['replace', 'description', ['x']]] }),
  R('MS-ADTS 3.1.1.4.3: attributes readable by the SD are returned (Public-Information to AU)', 0, undefined, { id: 'r-alice-reads-admin', op: 'search', as: 'alice', base: 'CN=Administrator,CN=Users,{base}', attrs: ['sAMAccountName', 'description'] }, { count: 1, has: ['sAMAccountName'] }),
  R('MS-ADTS 3.1.1.2.3 fCONFIDENTIAL: RP without CONTROL_ACCESS does not return a confidential attribute', 0, undefined, { id: 'r-conf-alice', op: 'search', as: 'alice', base: 'CN=bob,CN=Users,{base}', attrs: ['msPKIRoamingTimeStamp', 'description'] }, { count: 1, lacks: ['msPKIRoamingTimeStamp'] }),
  R('MS-ADTS 3.1.1.2.3 fCONFIDENTIAL: the administrator (CR by GA) reads it', 0, undefined, { id: 'r-conf-admin', op: 'search', as: 'admin', base: 'CN=bob,CN=Users,{base}', attrs: ['msPKIRoamingTimeStamp'] }, { count: 1, has: ['msPKIRoamingTimeStamp'] }),
  R('MS-ADTS 3.1.1.3.1.3 / 3.1.1.4.3: a filter on an unreadable attribute matches nothing', 0, undefined, { id: 'r-filter-unreadable', op: 'search', as: 'alice', base: 'CN=Users,{base}', scope: 'one', filter: '(msPKIRoamingTimeStamp=*)' }, { count: 0 }),
  R('RFC 4511 4.5.1.7: NOT of Undefined is Undefined: the negated filter matches nothing either', 0, undefined, { id: 'r-filter-not-unreadable', op: 'search', as: 'alice', base: 'CN=bob,CN=Users,{base}', filter: '(!(msPKIRoamingTimeStamp=*))' }, { count: 0 }),
  R('MS-ADTS 3.1.1.4.3: the same filter as the administrator matches bob', 0, undefined, { id: 'r-filter-admin', op: 'search', as: 'admin', base: 'CN=Users,{base}', scope: 'one', filter: '(msPKIRoamingTimeStamp=*)' }, { count: 1 }),
  R('MS-ADTS 3.1.1.4.3: compare of an unreadable (confidential) attribute is refused', 50, INSUFF, { id: 'c-conf-alice', op: 'compare', as: 'alice', dn: 'CN=bob,CN=Users,{base}', attr: 'msPKIRoamingTimeStamp', value: '0102030405060708' }),
  R('MS-ADTS 3.1.1.4.3: compare by the administrator', 6, undefined, { id: 'c-admin', op: 'compare', as: 'admin', dn: 'CN=bob,CN=Users,{base}', attr: 'msPKIRoamingTimeStamp', value: '0102030405060708' }),
  R('MS-ADTS 6.1.3.2: without SD_FLAGS the SACL is asked for: an ordinary user gets no nTSecurityDescriptor', 0, undefined, { id: 'r-sd-nosacl', op: 'search', as: 'alice', base: 'CN=alice,CN=Users,{base}', attrs: ['nTSecurityDescriptor'] }, { count: 1, lacks: ['nTSecurityDescriptor'] }),
  R('MS-ADTS 6.1.3.2: with SD_FLAGS 7 (no SACL) READ_CONTROL suffices', 0, undefined, { id: 'r-sd-7', op: 'search', as: 'alice', base: 'CN=alice,CN=Users,{base}', attrs: ['nTSecurityDescriptor'], sdflags: 7 }, { count: 1, has: ['nTSecurityDescriptor'] }),
  R('MS-ADTS 6.1.3.2: the administrator (SeSecurityPrivilege) reads the whole SD', 0, undefined, { id: 'r-sd-admin', op: 'search', as: 'admin', base: 'CN=alice,CN=Users,{base}', attrs: ['nTSecurityDescriptor'] }, { count: 1, has: ['nTSecurityDescriptor'] }),
  // --- tokens (MS-ADTS 3.1.1.4.5.19–21, rootDSE tokenGroups) ---
  R('MS-ADTS 3.1.1.3.2: rootDSE tokenGroups of alice hold Domain Users (the primary group)', 0, undefined, { id: 't-rootdse-alice', op: 'search', as: 'alice', base: '', attrs: ['tokenGroups'] }, { count: 1, value: ['tokenGroups', '{sid:Domain Users}'] }),
  R('MS-ADTS 3.1.1.3.2: …and Authenticated Users', 0, undefined, { id: 't-rootdse-alice-au', op: 'search', as: 'alice', base: '', attrs: ['tokenGroups'] }, { count: 1, value: ['tokenGroups', 'S-1-5-11'] }),
  R('MS-ADTS 3.1.1.3.2: …but not Domain Admins', 0, undefined, { id: 't-rootdse-alice-noda', op: 'search', as: 'alice', base: '', attrs: ['tokenGroups'] }, { count: 1, value: ['tokenGroups', '{sid:Domain Admins}', false] }),
  R('MS-ADTS 3.1.1.4.5.19: tokenGroups of Administrator hold Domain Admins and BUILTIN\\Administrators', 0, undefined, { id: 't-admin-obj', op: 'search', as: 'admin', base: 'CN=Administrator,CN=Users,{base}', attrs: ['tokenGroups'] }, { count: 1, value: ['tokenGroups', 'S-1-5-32-544'] }),
  R('MS-ADTS 3.1.1.4.5.20: tokenGroupsGlobalAndUniversal leaves out builtin local groups', 0, undefined, { id: 't-admin-gu', op: 'search', as: 'admin', base: 'CN=Administrator,CN=Users,{base}', attrs: ['tokenGroupsGlobalAndUniversal'] }, { count: 1, value: ['tokenGroupsGlobalAndUniversal', 'S-1-5-32-544', false] }),
  R('MS-ADTS 3.1.1.4.5.21: tokenGroupsNoGCAcceptable', 0, undefined, { id: 't-admin-nogc', op: 'search', as: 'admin', base: 'CN=Administrator,CN=Users,{base}', attrs: ['tokenGroupsNoGCAcceptable'] }, { count: 1, value: ['tokenGroupsNoGCAcceptable', '{sid:Domain Admins}'] }),
  // --- passwords (MS-ADTS 3.1.1.3.1.5, 5.1.3.2.1) ---
  R('MS-ADTS 5.1.3.2.1: an ordinary user cannot reset another password (User-Force-Change-Password)', 50, INSUFF, { id: 'p-alice-reset-bob', op: 'modify', as: 'alice', dn: 'CN=bob,CN=Users,{base}', changes: [['replace', 'unicodePwd', [{ pwd: 'Other-Passw0rd1' }]]] }),
  R('MS-ADTS 5.1.3.2.1: …nor the Administrator password', 50, INSUFF, { id: 'p-alice-reset-admin', op: 'modify', as: 'alice', dn: 'CN=Administrator,CN=Users,{base}', changes: [['replace', 'unicodePwd', [{ pwd: 'Other-Passw0rd1' }]]] }),
  R('MS-ADTS 5.1.3.2.1: the administrator resets it', 0, undefined, { id: 'p-admin-reset-bob', op: 'modify', as: 'admin', dn: 'CN=bob,CN=Users,{base}', changes: [['replace', 'unicodePwd', [{ pwd: PW }]]] }),
  R('MS-ADTS 3.1.1.3.1.5: a change (delete old, add new) of her own password with the right old one (User-Change-Password)', 0, undefined, { id: 'p-alice-change', op: 'modify', as: 'alice', dn: 'CN=alice,CN=Users,{base}', changes: [['delete', 'unicodePwd', [{ pwd: PW }]], ['add', 'unicodePwd', [{ pwd: 'Wonder-N3w-Passw0rd' }]]] }),
  R('MS-ADTS 3.1.1.3.1.5: a change with a wrong old password', 19, '00000056', { id: 'p-alice-change-wrong', op: 'modify', as: 'alice', dn: 'CN=alice,CN=Users,{base}', changes: [['delete', 'unicodePwd', [{ pwd: 'Not-Her-Passw0rd' }]], ['add', 'unicodePwd', [{ pwd: 'Wonder-N3w-Passw0rd2' }]]] }),
  R('MS-ADTS 5.1.3.2.1: User-Change-Password is Everyone\'s on a user: a change of bob\'s with his old password', 0, undefined, { id: 'p-alice-change-bob', op: 'modify', as: 'alice', dn: 'CN=bob,CN=Users,{base}', changes: [['delete', 'unicodePwd', [{ pwd: PW }]], ['add', 'unicodePwd', [{ pwd: PW + 'x' }]]] }),
  // --- delegated OU admin ---
  R('MS-ADTS 3.1.1.5.2.1: the delegate creates a user in OU=Sales (CC for user)', 0, undefined, { id: 'd-add-sales', op: 'add', as: 'dan', dn: 'CN=newbie,OU=Sales,{base}', attrs: { objectClass: 'user', sAMAccountName: 'newbie' } }),
  R('MS-ADTS 3.1.1.5.2.1: …not a group (CC is for user only)', 50, INSUFF, { id: 'd-add-group-sales', op: 'add', as: 'dan', dn: 'CN=newgroup,OU=Sales,{base}', attrs: { objectClass: 'group', sAMAccountName: 'newgroup' } }),
  R('MS-ADTS 3.1.1.5.2.1: …and not in CN=Users', 50, INSUFF, { id: 'd-add-users', op: 'add', as: 'dan', dn: 'CN=newbie2,CN=Users,{base}', attrs: { objectClass: 'user', sAMAccountName: 'newbie2' } }),
  R('MS-ADTS 3.1.1.5.2.1: an ordinary user creates nothing in CN=Users', 50, INSUFF, { id: 'u-add-users', op: 'add', as: 'alice', dn: 'CN=newbie3,CN=Users,{base}', attrs: { objectClass: 'user', sAMAccountName: 'newbie3' } }),
  R('MS-ADTS 5.1.3.2.1: the delegate resets a password in OU=Sales (inherited CIIO CR)', 0, undefined, { id: 'd-reset-carol', op: 'modify', as: 'dan', dn: 'CN=carol,OU=Sales,{base}', changes: [['replace', 'unicodePwd', [{ pwd: 'Sunny-N3w-Passw0rd' }]]] }),
  R('MS-ADTS 5.1.3.2.1: …not outside it', 50, INSUFF, { id: 'd-reset-bob', op: 'modify', as: 'dan', dn: 'CN=bob,CN=Users,{base}', changes: [['replace', 'unicodePwd', [{ pwd: 'Bob-N3w-Passw0rd' }]]] }),
  R('MS-ADTS 3.1.1.4.5 allowedChildClassesEffective: the delegate may create user in OU=Sales', 0, undefined, { id: 'd-acce', op: 'search', as: 'dan', base: 'OU=Sales,{base}', attrs: ['allowedChildClassesEffective'] }, { count: 1, value: ['allowedChildClassesEffective', 'user'] }),
  R('MS-ADTS 3.1.1.4.5 allowedChildClassesEffective: …not group', 0, undefined, { id: 'd-acce-group', op: 'search', as: 'dan', base: 'OU=Sales,{base}', attrs: ['allowedChildClassesEffective'] }, { count: 1, value: ['allowedChildClassesEffective', 'group', false] }),
  R('MS-ADTS 3.1.1.5.5.4: the delegate deletes the user he made (DC for user on the parent)', 0, undefined, { id: 'd-del-newbie', op: 'delete', as: 'dan', dn: 'CN=newbie,OU=Sales,{base}' }),
  R('MS-ADTS 3.1.1.5.5.4: an ordinary user deletes nobody', 50, INSUFF, { id: 'u-del-bob', op: 'delete', as: 'alice', dn: 'CN=bob,CN=Users,{base}' }),
  // --- attribute writes (MS-ADTS 3.1.1.5.3.1) ---
  R('MS-ADTS 3.1.1.5.3.1: WP on Personal-Information through PRINCIPAL_SELF: her own telephoneNumber', 0, undefined, { id: 'w-alice-own-tel', op: 'modify', as: 'alice', dn: 'CN=alice,CN=Users,{base}', changes: [['replace', 'telephoneNumber', ['555-1']]] }),
  R('MS-ADTS 3.1.1.5.3.1: no WP on Public-Information: not her own description', 50, INSUFF, { id: 'w-alice-own-desc', op: 'modify', as: 'alice', dn: 'CN=alice,CN=Users,{base}', changes: [['replace', 'description', ['mine']]] }),
  R('MS-DTYP 2.5.3.2: a Deny ACE on telephoneNumber beats the Allow on Personal-Information', 50, INSUFF, { id: 'w-alice-bob-tel', op: 'modify', as: 'alice', dn: 'CN=bob,CN=Users,{base}', changes: [['replace', 'telephoneNumber', ['555-2']]] }),
  R('MS-DTYP 2.5.3.2: …while another attribute of the set is allowed (streetAddress)', 0, undefined, { id: 'w-alice-bob-street', op: 'modify', as: 'alice', dn: 'CN=bob,CN=Users,{base}', changes: [['replace', 'streetAddress', ['1 Main St']]] }),
  R('MS-ADTS 3.1.1.5.3.1: another user\'s description', 50, INSUFF, { id: 'w-alice-bob-desc', op: 'modify', as: 'alice', dn: 'CN=bob,CN=Users,{base}', changes: [['replace', 'description', ['x']]] }),
  R('MS-ADTS 3.1.1.5.3.1: the domain policy (minPwdLength) is not an ordinary user\'s to lower', 50, INSUFF, { id: 'w-alice-minpwd', op: 'modify', as: 'alice', dn: '{base}', changes: [['replace', 'minPwdLength', ['0']]] }),
  R('MS-ADTS 3.1.1.4.5.7 allowedAttributesEffective: alice may write her telephoneNumber', 0, undefined, { id: 'e-aae-tel', op: 'search', as: 'alice', base: 'CN=alice,CN=Users,{base}', attrs: ['allowedAttributesEffective'] }, { count: 1, value: ['allowedAttributesEffective', 'telephoneNumber'] }),
  R('MS-ADTS 3.1.1.4.5.7 allowedAttributesEffective: …not her description', 0, undefined, { id: 'e-aae-desc', op: 'search', as: 'alice', base: 'CN=alice,CN=Users,{base}', attrs: ['allowedAttributesEffective'] }, { count: 1, value: ['allowedAttributesEffective', 'description', false] }),
  R('MS-ADTS 3.1.1.4.5 sDRightsEffective: nothing for alice on bob', 0, undefined, { id: 'e-sdre-alice', op: 'search', as: 'alice', base: 'CN=bob,CN=Users,{base}', attrs: ['sDRightsEffective'] }, { count: 1, value: ['sDRightsEffective', '0'] }),
  R('MS-ADTS 3.1.1.4.5 sDRightsEffective: owner, group, DACL and SACL for the administrator', 0, undefined, { id: 'e-sdre-admin', op: 'search', as: 'admin', base: 'CN=bob,CN=Users,{base}', attrs: ['sDRightsEffective'] }, { count: 1, value: ['sDRightsEffective', '15'] }),
  // --- membership (MS-ADTS 5.1.3.2.2 Self-Membership) ---
  R('MS-ADTS 5.1.3.2.2: an ordinary user does not add itself to Domain Admins', 50, INSUFF, { id: 'm-alice-da', op: 'modify', as: 'alice', dn: 'CN=Domain Admins,CN=Users,{base}', changes: [['add', 'member', ['CN=alice,CN=Users,{base}']]] }),
  R('MS-ADTS 5.1.3.2.2: Self-Membership lets her add herself to SelfJoin', 0, undefined, { id: 'm-alice-self', op: 'modify', as: 'alice', dn: 'CN=SelfJoin,CN=Users,{base}', changes: [['add', 'member', ['CN=alice,CN=Users,{base}']]] }),
  R('MS-ADTS 5.1.3.2.2: …but not bob', 50, INSUFF, { id: 'm-alice-bob', op: 'modify', as: 'alice', dn: 'CN=SelfJoin,CN=Users,{base}', changes: [['add', 'member', ['CN=bob,CN=Users,{base}']]] }),
  R('MS-ADTS 5.1.3.2.2: …and she may remove herself', 0, undefined, { id: 'm-alice-leave', op: 'modify', as: 'alice', dn: 'CN=SelfJoin,CN=Users,{base}', changes: [['delete', 'member', ['CN=alice,CN=Users,{base}']]] }),
  R('MS-ADTS 3.1.1.5.3.1: the administrator writes member (WP)', 0, undefined, { id: 'm-admin-bob', op: 'modify', as: 'admin', dn: 'CN=SelfJoin,CN=Users,{base}', changes: [['add', 'member', ['CN=bob,CN=Users,{base}']]] }),
  { spec: 'MS-ADTS 3.1.1.4.5.19: a new membership is in the token from the next bind', code: 0, step: { id: 'm-admin-alice-g2', op: 'modify', as: 'admin', dn: 'CN=G2,CN=Users,{base}', changes: [['add', 'member', ['CN=alice,CN=Users,{base}']]] } },
  R('MS-ADTS 3.1.1.4.5.19: …after a rebind alice\'s rootDSE tokenGroups hold G2', 0, undefined, { id: 't-rootdse-alice-g2', op: 'search', as: 'alice2', base: '', attrs: ['tokenGroups'] }, { count: 1, value: ['tokenGroups', '{sid:G2}'] }),
  // --- SD writes (MS-ADTS 6.1.3.2) ---
  R('MS-ADTS 3.1.1.5.3.1: an ordinary user does not replace the domain head SD (WRITE_DAC)', 50, INSUFF, { id: 's-alice-domain-sd', op: 'modify', as: 'alice', sdflags: 4, dn: '{base}', changes: [['replace', 'nTSecurityDescriptor', [{ sddl: 'D:(A;;GA;;;WD)' }]]] }),
  R('MS-ADTS 6.1.3.2: the administrator gives bob\'s SD an owner (SD_FLAGS 1: OWNER only)', 0, undefined, { id: 's-admin-owner', op: 'modify', as: 'admin', sdflags: 1, dn: 'CN=bob,CN=Users,{base}', changes: [['replace', 'nTSecurityDescriptor', [{ sddl: 'O:{sid:alice}G:DUD:(A;;GA;;;WD)' }]]] }),
  R('MS-ADTS 6.1.3.2: the owner changed, the DACL did not (Everyone was not given GA)', 0, undefined, { id: 's-owner-read', op: 'search', as: 'admin', base: 'CN=bob,CN=Users,{base}', attrs: ['nTSecurityDescriptor'], sdflags: 5 }, { count: 1, value: ['nTSecurityDescriptor', 'O:{sid:alice}'] }),
  R('MS-DTYP 2.5.3.2: the owner (implicit WRITE_DAC) writes the DACL', 0, undefined, { id: 's-alice-owner-dacl', op: 'modify', as: 'alice', sdflags: 4, dn: 'CN=bob,CN=Users,{base}', changes: [['replace', 'nTSecurityDescriptor', [{ sddl: 'D:(A;;GA;;;DA)(A;;GA;;;SY)(A;;RPLCLORC;;;AU)(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)' }]]] }),
  R('MS-DTYP 2.5.3.2: …but not the owner (WRITE_OWNER)', 50, INSUFF, { id: 's-alice-owner-owner', op: 'modify', as: 'alice', sdflags: 1, dn: 'CN=bob,CN=Users,{base}', changes: [['replace', 'nTSecurityDescriptor', [{ sddl: 'O:{sid:bob}' }]]] }),
  R('MS-DTYP 2.5.3.2: …nor the SACL (ACCESS_SYSTEM_SECURITY)', 50, INSUFF, { id: 's-alice-owner-sacl', op: 'modify', as: 'alice', sdflags: 8, dn: 'CN=bob,CN=Users,{base}', changes: [['replace', 'nTSecurityDescriptor', [{ sddl: 'S:(AU;SA;WP;;;WD)' }]]] }),
  R('MS-DTYP 2.5.3.2: the administrator writes the SACL (SeSecurityPrivilege)', 0, undefined, { id: 's-admin-sacl', op: 'modify', as: 'admin', sdflags: 8, dn: 'CN=bob,CN=Users,{base}', changes: [['replace', 'nTSecurityDescriptor', [{ sddl: 'S:(AU;SA;WP;;;WD)' }]]] }),
  R('MS-ADTS 6.1.3.2: a DACL-only write kept the owner', 0, undefined, { id: 's-owner-kept', op: 'search', as: 'admin', base: 'CN=bob,CN=Users,{base}', attrs: ['nTSecurityDescriptor'], sdflags: 1 }, { count: 1, value: ['nTSecurityDescriptor', 'O:{sid:alice}'] }),
  // --- inheritance (MS-DTYP 2.5.3.4, MS-ADTS 3.1.1.6.3) ---
  R('MS-ADTS 3.1.1.5.3.1: before the ACE alice cannot write erin\'s description (control)', 50, INSUFF, { id: 'i-before', op: 'modify', as: 'alice', dn: 'CN=erin,OU=Eng,{base}', changes: [['replace', 'description', ['a']]] }),
  { spec: 'MS-ADTS 3.1.1.6.3: an inheritable ACE on OU=Eng', code: 0, step: { id: 'i-ace', op: 'addace', dn: 'OU=Eng,{base}', ace: `(OA;CIIO;WP;${DESCRIPTION};${USER};{sid:alice})` } },
  R('MS-ADTS 3.1.1.6.3: the ACE reaches an existing child', 0, undefined, { id: 'i-existing', op: 'modify', as: 'alice', dn: 'CN=erin,OU=Eng,{base}', changes: [['replace', 'description', ['b']]] }),
  { spec: 'MS-DTYP 2.5.3.4: a new child of OU=Eng', code: 0, step: users('fred', 'OU=Eng,{base}') },
  R('MS-DTYP 2.5.3.4: the ACE reaches a new child', 0, undefined, { id: 'i-new', op: 'modify', as: 'alice', dn: 'CN=fred,OU=Eng,{base}', changes: [['replace', 'description', ['c']]] }),
  { spec: 'MS-ADTS 3.1.1.5.4: the administrator moves dan into OU=Eng', code: 0, step: { id: 'i-move-in', op: 'modrdn', as: 'admin', dn: 'CN=dan,CN=Users,{base}', rdn: 'CN=dan', superior: 'OU=Eng,{base}' } },
  R('MS-ADTS 3.1.1.6.3: the ACE reaches an object moved in', 0, undefined, { id: 'i-moved-in', op: 'modify', as: 'alice', dn: 'CN=dan,OU=Eng,{base}', changes: [['replace', 'description', ['d']]] }),
  R('MS-DTYP 2.5.3.4: object-type-specific: the ACE is for users, not groups', 0, undefined, { id: 'i-group-in-eng', op: 'add', as: 'admin', dn: 'CN=EngGroup,OU=Eng,{base}', attrs: { objectClass: 'group', sAMAccountName: 'EngGroup' } }),
  R('MS-DTYP 2.5.3.4: …so alice cannot write the group\'s description', 50, INSUFF, { id: 'i-group-desc', op: 'modify', as: 'alice', dn: 'CN=EngGroup,OU=Eng,{base}', changes: [['replace', 'description', ['e']]] }),
  { spec: 'MS-ADTS 3.1.1.5.4: the administrator moves erin out', code: 0, step: { id: 'i-move-out', op: 'modrdn', as: 'admin', dn: 'CN=erin,OU=Eng,{base}', rdn: 'CN=erin', superior: 'CN=Users,{base}' } },
  R('MS-ADTS 3.1.1.6.3: an object moved out loses the ACE', 50, INSUFF, { id: 'i-moved-out', op: 'modify', as: 'alice', dn: 'CN=erin,CN=Users,{base}', changes: [['replace', 'description', ['f']]] }),
  // --- rename / move (MS-ADTS 3.1.1.5.4) ---
  R('MS-ADTS 3.1.1.5.4: an ordinary user does not rename another user', 50, INSUFF, { id: 'n-alice-rename', op: 'modrdn', as: 'alice', dn: 'CN=bob,CN=Users,{base}', rdn: 'CN=bobby' }),
  R('MS-ADTS 3.1.1.5.4: …nor move one', 50, INSUFF, { id: 'n-alice-move', op: 'modrdn', as: 'alice', dn: 'CN=erin,CN=Users,{base}', rdn: 'CN=erin', superior: 'OU=Sales,{base}' }),
  R('MS-ADTS 3.1.1.5.4: the administrator renames', 0, undefined, { id: 'n-admin-rename', op: 'modrdn', as: 'admin', dn: 'CN=erin,CN=Users,{base}', rdn: 'CN=erin2' }),
  // --- schema (MS-ADTS 3.1.1.2.5: Schema Admins) ---
  R('MS-ADTS 3.1.1.5.2.1: an ordinary user does not extend the schema (CC on the schema NC is Schema Admins\')', 50, INSUFF, { id: 'x-alice-schema', op: 'add', as: 'alice', dn: 'CN=authz-test-attr,CN=Schema,CN=Configuration,{base}', attrs: { objectClass: 'attributeSchema', lDAPDisplayName: 'authzTestAttr', attributeID: '1.2.840.113556.1.8000.2554.999.1', attributeSyntax: '2.5.5.12', oMSyntax: '64', isSingleValued: 'TRUE' } }),
  R('MS-ADTS 3.1.1.5.2.1: the administrator (Schema Admins) does', 0, undefined, { id: 'x-admin-schema', op: 'add', as: 'admin', dn: 'CN=authz-test-attr,CN=Schema,CN=Configuration,{base}', attrs: { objectClass: 'attributeSchema', lDAPDisplayName: 'authzTestAttr', attributeID: '1.2.840.113556.1.8000.2554.999.1', attributeSyntax: '2.5.5.12', oMSyntax: '64', isSingleValued: 'TRUE' } }),
  // --- DirSync (MS-ADTS 3.1.1.3.4.1.3, MS-DRSR 5.115.12) ---
  R('MS-DRSR 5.115.12: DirSync without DS-Replication-Get-Changes', 50, '00002105', { id: 'y-alice-dirsync', op: 'search', as: 'alice', base: '{base}', scope: 'sub', dirsync: true }),
  R('MS-DRSR 5.115.12: the administrator has the right (BA on the domain head)', 0, undefined, { id: 'y-admin-dirsync', op: 'search', as: 'admin', base: '{base}', scope: 'sub', dirsync: true, filter: '(sAMAccountName=alice)' }, { count: 1 }),
  R('MS-ADTS 3.1.1.3.4.1.3: with LDAP_DIRSYNC_OBJECT_SECURITY no right is needed, and only what she may read comes back', 0, undefined, { id: 'y-alice-dirsync-os', op: 'search', as: 'alice', base: '{base}', scope: 'sub', dirsync: true, object_security: true, filter: '(sAMAccountName=bob)', attrs: ['sAMAccountName', 'msPKIRoamingTimeStamp'] }, { count: 1, has: ['sAMAccountName'], lacks: ['msPKIRoamingTimeStamp'] }),
  R('MS-ADTS 3.1.1.3.4.1.3: the same for the administrator returns the confidential attribute', 0, undefined, { id: 'y-admin-dirsync-os', op: 'search', as: 'admin', base: '{base}', scope: 'sub', dirsync: true, object_security: true, filter: '(sAMAccountName=bob)', attrs: ['sAMAccountName', 'msPKIRoamingTimeStamp'] }, { count: 1, has: ['sAMAccountName', 'msPKIRoamingTimeStamp'] }),
  { spec: 'MS-ADTS 5.1.3.2.1: grant alice DS-Replication-Get-Changes on the domain head', code: 0, step: { id: 'y-grant', op: 'addace', dn: '{base}', ace: `(OA;;CR;${GET_CHANGES};;{sid:alice})` } },
  R('MS-DRSR 5.115.12: with the right alice runs DirSync', 0, undefined, { id: 'y-alice-dirsync-ok', op: 'search', as: 'alice', base: '{base}', scope: 'sub', dirsync: true, filter: '(sAMAccountName=alice)' }, { count: 1 }),
  // --- anonymous (MS-ADTS 6.1.1.2.4.1.2 dSHeuristics) ---
  R('MS-ADTS 3.1.1.3.2: anonymous reads the rootDSE', 0, undefined, { id: 'a-rootdse', op: 'search', as: 'anonymous', base: '', attrs: ['defaultNamingContext'] }, { count: 1 }),
  R('MS-ADTS 6.1.1.2.4.1.2: anonymous searches nothing else by default', 1, ANON, { id: 'a-search', op: 'search', as: 'anonymous', base: '{base}' }),
  R('MS-ADTS 6.1.1.2.4.1.2: …nor writes', 1, ANON, { id: 'a-modify', op: 'modify', as: 'anonymous', dn: '{base}', changes: [['replace', 'description', ['x']]] }),
  { spec: 'MS-ADTS 6.1.1.2.4.1.2: dSHeuristics fLDAPBlockAnonOps = 2 and fDoListObject = 1', code: 0, step: { id: 'a-heuristics', op: 'modify', as: 'admin', dn: 'CN=Directory Service,CN=Windows NT,CN=Services,CN=Configuration,{base}', changes: [['replace', 'dSHeuristics', ['0010002']]] } },
  R('MS-ADTS 6.1.1.2.4.1.2: anonymous operations on, then by the SDs: the domain head (an NC head, always visible) comes back without the attributes ANONYMOUS LOGON may not read', 0, undefined, { id: 'a-search-on', op: 'search', as: 'anonymous', base: '{base}', attrs: ['objectClass', 'name'] }, { count: 1, lacks: ['objectClass', 'name'] }),
  R('MS-ADTS 6.1.1.2.4.1.2: …and a write by ANONYMOUS LOGON is refused by the SD', 50, INSUFF, { id: 'a-modify-on', op: 'modify', as: 'anonymous', dn: '{base}', changes: [['replace', 'description', ['x']]] }),
  R('MS-ADTS 5.1.3.3.6 list-object mode: LIST_OBJECT on hid and a visible parent make it visible', 0, undefined, { id: 'r-hidden-lo', op: 'search', as: 'alice', base: 'CN=hid,OU=Hidden,{base}' }, { count: 1 }),
  // --- password policy (MS-SAMR 3.1.1.7.2 as AD applies it to unicodePwd writes) ---
  R('MS-SAMR 3.1.1.7.2: a reset shorter than minPwdLength (7)', 19, '0000052D', { id: 'pp-short', op: 'modify', as: 'admin', dn: 'CN=bob,CN=Users,{base}', changes: [['replace', 'unicodePwd', [{ pwd: 'Ab1!' }]]] }),
  R('MS-SAMR 3.1.1.7.2: the empty password', 19, '0000052D', { id: 'pp-empty', op: 'modify', as: 'admin', dn: 'CN=bob,CN=Users,{base}', changes: [['replace', 'unicodePwd', [{ pwd: '' }]]] }),
  R('MS-SAMR 3.1.1.7.2: complexity: one kind of character', 19, '0000052D', { id: 'pp-simple', op: 'modify', as: 'admin', dn: 'CN=bob,CN=Users,{base}', changes: [['replace', 'unicodePwd', [{ pwd: 'alllowercaseletters' }]]] }),
  R('MS-SAMR 3.1.1.7.2: complexity: the account name inside', 19, '0000052D', { id: 'pp-name', op: 'modify', as: 'admin', dn: 'CN=bob,CN=Users,{base}', changes: [['replace', 'unicodePwd', [{ pwd: 'Xbob-Passw0rd!' }]]] }),
  R('MS-SAMR 3.1.1.7.2: a long, complex password passes', 0, undefined, { id: 'pp-ok', op: 'modify', as: 'admin', dn: 'CN=bob,CN=Users,{base}', changes: [['replace', 'unicodePwd', [{ pwd: 'Zeta-Passw0rd9' }]]] }),
  R('MS-SAMR 3.1.1.7.2: a change to the current password is in the history', 19, '0000052D', { id: 'pp-reuse', op: 'modify', as: 'bob2', dn: 'CN=bob,CN=Users,{base}', changes: [['delete', 'unicodePwd', [{ pwd: 'Zeta-Passw0rd9' }]], ['add', 'unicodePwd', [{ pwd: 'Zeta-Passw0rd9' }]]] }),
  R('MS-SAMR 3.1.1.7.2: a change to a new password', 0, undefined, { id: 'pp-change', op: 'modify', as: 'bob2', dn: 'CN=bob,CN=Users,{base}', changes: [['delete', 'unicodePwd', [{ pwd: 'Zeta-Passw0rd9' }]], ['add', 'unicodePwd', [{ pwd: 'Yotta-Passw0rd8' }]]] }),
  R('MS-SAMR 3.1.1.7.2: a change back to an earlier password (ntPwdHistory)', 19, '0000052D', { id: 'pp-history', op: 'modify', as: 'bob2', dn: 'CN=bob,CN=Users,{base}', changes: [['delete', 'unicodePwd', [{ pwd: 'Yotta-Passw0rd8' }]], ['add', 'unicodePwd', [{ pwd: 'Zeta-Passw0rd9' }]]] }),
  { spec: 'MS-SAMR 3.1.1.7.2: minPwdAge back to one day', code: 0, step: { id: 'pp-minage-set', op: 'modify', as: 'admin', dn: '{base}', changes: [['replace', 'minPwdAge', ['-864000000000']]] } },
  R('MS-SAMR 3.1.1.7.2: a change within minPwdAge', 19, '0000052D', { id: 'pp-minage', op: 'modify', as: 'bob2', dn: 'CN=bob,CN=Users,{base}', changes: [['delete', 'unicodePwd', [{ pwd: 'Yotta-Passw0rd8' }]], ['add', 'unicodePwd', [{ pwd: 'Exa-Passw0rd77' }]]] }),
  R('MS-SAMR 3.1.1.7.2: a reset is not held to minPwdAge', 0, undefined, { id: 'pp-minage-reset', op: 'modify', as: 'admin', dn: 'CN=bob,CN=Users,{base}', changes: [['replace', 'unicodePwd', [{ pwd: 'Exa-Passw0rd77' }]]] }),
  R('MS-SAMR 3.1.1.8.8 pwdLastSet: 0 (must change at next logon)', 0, undefined, { id: 'pp-pls-0', op: 'modify', as: 'admin', dn: 'CN=bob,CN=Users,{base}', changes: [['replace', 'pwdLastSet', ['0']]] }),
  R('MS-SAMR 3.1.1.8.8 pwdLastSet: -1 (now)', 0, undefined, { id: 'pp-pls-1', op: 'modify', as: 'admin', dn: 'CN=bob,CN=Users,{base}', changes: [['replace', 'pwdLastSet', ['-1']]] }),
  R('MS-SAMR 3.1.1.8.8 pwdLastSet: any other value is refused', 80, '00000057', { id: 'pp-pls-5', op: 'modify', as: 'admin', dn: 'CN=bob,CN=Users,{base}', changes: [['replace', 'pwdLastSet', ['5']]] }),
  // --- fine-grained password policy (MS-ADTS 3.1.1.4.5.36 msDS-ResultantPSO) ---
  R('MS-ADTS 3.1.1.4.5.36: the administrator creates a PSO for psouser (minimum length 20)', 0, undefined, { id: 'pso-add', op: 'add', as: 'admin', dn: 'CN=PSO1,CN=Password Settings Container,CN=System,{base}', attrs: { objectClass: 'msDS-PasswordSettings', 'msDS-PasswordSettingsPrecedence': '1', 'msDS-PasswordReversibleEncryptionEnabled': 'FALSE', 'msDS-PasswordHistoryLength': '0', 'msDS-PasswordComplexityEnabled': 'TRUE', 'msDS-MinimumPasswordLength': '20', 'msDS-MinimumPasswordAge': '0', 'msDS-MaximumPasswordAge': '-36288000000000', 'msDS-LockoutThreshold': '0', 'msDS-LockoutObservationWindow': '-18000000000', 'msDS-LockoutDuration': '-18000000000', 'msDS-PSOAppliesTo': 'CN=psouser,CN=Users,{base}' } }),
  R('MS-ADTS 3.1.1.4.5.36: msDS-ResultantPSO names it', 0, undefined, { id: 'pso-resultant', op: 'search', as: 'admin', base: 'CN=psouser,CN=Users,{base}', attrs: ['msDS-ResultantPSO'] }, { count: 1, value: ['msDS-ResultantPSO', 'CN=PSO1,CN=Password Settings Container'] }),
  R('MS-ADTS 3.1.1.4.5.36: …and no other user has one', 0, undefined, { id: 'pso-resultant-bob', op: 'search', as: 'admin', base: 'CN=bob,CN=Users,{base}', attrs: ['msDS-ResultantPSO'] }, { count: 1, lacks: ['msDS-ResultantPSO'] }),
  R('MS-SAMR 3.1.1.7.2 with the PSO: 13 characters are too short for psouser', 19, '0000052D', { id: 'pso-short', op: 'modify', as: 'admin', dn: 'CN=psouser,CN=Users,{base}', changes: [['replace', 'unicodePwd', [{ pwd: 'Long-Enough-1' }]]] }),
  R('MS-SAMR 3.1.1.7.2: the same password is long enough under the domain policy (bob)', 0, undefined, { id: 'pso-control', op: 'modify', as: 'admin', dn: 'CN=bob,CN=Users,{base}', changes: [['replace', 'unicodePwd', [{ pwd: 'Long-Enough-1' }]]] }),
  R('MS-SAMR 3.1.1.7.2 with the PSO: 24 characters pass', 0, undefined, { id: 'pso-ok', op: 'modify', as: 'admin', dn: 'CN=psouser,CN=Users,{base}', changes: [['replace', 'unicodePwd', [{ pwd: 'A-Much-Longer-Passw0rd-1' }]]] }),
  // --- validated writes' value constraints (MS-ADTS 3.1.1.5.3.1.1.4 servicePrincipalName; Validated-DNS-Host-Name) ---
  R('MS-ADTS 3.1.1.5.3.1.1.4: a computer adds an SPN for its own dNSHostName through Validated-SPN', 0, undefined, { id: 'vw-spn-dns', op: 'modify', as: 'ws1', dn: 'CN=ws1,CN=Computers,{base}', changes: [['add', 'servicePrincipalName', ['HOST/ws1.example.com']]] }),
  R('MS-ADTS 3.1.1.5.3.1.1.4: …for its sAMAccountName without "$", with a port', 0, undefined, { id: 'vw-spn-sam', op: 'modify', as: 'ws1', dn: 'CN=ws1,CN=Computers,{base}', changes: [['add', 'servicePrincipalName', ['MSSQLSvc/ws1:1433']]] }),
  R('MS-ADTS 3.1.1.5.3.1.1.4: an SPN for another host is refused', AD.VALIDATED_WRITE_VALUE.ldap, '0000202F', { id: 'vw-spn-other', op: 'modify', as: 'ws1', dn: 'CN=ws1,CN=Computers,{base}', changes: [['add', 'servicePrincipalName', ['HOST/other.example.com']]] }),
  R('MS-ADTS 3.1.1.5.3.1.1.4: an ":instancename" component is refused', AD.VALIDATED_WRITE_VALUE.ldap, '0000202F', { id: 'vw-spn-instance', op: 'modify', as: 'ws1', dn: 'CN=ws1,CN=Computers,{base}', changes: [['add', 'servicePrincipalName', ['MSSQLSvc/ws1.example.com:inst']]] }),
  R('MS-ADTS 3.1.1.5.3.1.1.4: a three-part SPN on a computer that is no DC is refused', AD.VALIDATED_WRITE_VALUE.ldap, '0000202F', { id: 'vw-spn-three', op: 'modify', as: 'ws1', dn: 'CN=ws1,CN=Computers,{base}', changes: [['add', 'servicePrincipalName', ['ldap/ws1.example.com/example.com']]] }),
  R('MS-ADTS 5.1.3.2.1: Validated-SPN is PRINCIPAL_SELF\'s: another computer\'s SPN is refused by the SD', 50, INSUFF, { id: 'vw-spn-ws2', op: 'modify', as: 'ws1', dn: 'CN=ws2,CN=Computers,{base}', changes: [['add', 'servicePrincipalName', ['HOST/ws2.example.com']]] }),
  R('MS-ADTS 3.1.1.5.3.1.1.4: a delete of a value needs the right only', 0, undefined, { id: 'vw-spn-delete', op: 'modify', as: 'ws1', dn: 'CN=ws1,CN=Computers,{base}', changes: [['delete', 'servicePrincipalName', ['MSSQLSvc/ws1:1433']]] }),
  R('MS-ADTS 5.1.3.2.1 Validated-DNS-Host-Name: a dNSHostName in another domain is refused', AD.VALIDATED_WRITE_VALUE.ldap, '0000202F', { id: 'vw-dns-other', op: 'modify', as: 'ws1', dn: 'CN=ws1,CN=Computers,{base}', changes: [['replace', 'dNSHostName', ['ws1.other.test']]] }),
  R('MS-ADTS 5.1.3.2.1 Validated-DNS-Host-Name: …and one not named after the computer', AD.VALIDATED_WRITE_VALUE.ldap, '0000202F', { id: 'vw-dns-name', op: 'modify', as: 'ws1', dn: 'CN=ws1,CN=Computers,{base}', changes: [['replace', 'dNSHostName', ['ws9.example.com']]] }),
  { spec: 'MS-ADTS 6.1.1.1.4 msDS-AllowedDNSSuffixes: the administrator allows corp.test', code: 0, step: { id: 'vw-suffix-set', op: 'modify', as: 'admin', dn: '{base}', changes: [['replace', 'msDS-AllowedDNSSuffixes', ['corp.test']]] } },
  R('MS-ADTS 5.1.3.2.1 Validated-DNS-Host-Name: a name under an allowed suffix passes', 0, undefined, { id: 'vw-dns-suffix', op: 'modify', as: 'ws1', dn: 'CN=ws1,CN=Computers,{base}', changes: [['replace', 'dNSHostName', ['ws1.corp.test']]] }),
  // negative control: WRITE_PROPERTY bypasses the validated write's constraints (as in AD)
  { spec: 'MS-ADTS 5.1.3.2: the administrator grants ws1 WRITE_PROPERTY on its servicePrincipalName', code: 0, step: { id: 'vw-grant-wp', op: 'addace', dn: 'CN=ws1,CN=Computers,{base}', ace: `(OA;;WP;${SPN_ATTR};;{sid:ws1$})` } },
  R('MS-ADTS 3.1.1.5.3.1: with WRITE_PROPERTY the SPN for another host is accepted', 0, undefined, { id: 'vw-spn-other-wp', op: 'modify', as: 'ws1', dn: 'CN=ws1,CN=Computers,{base}', changes: [['add', 'servicePrincipalName', ['HOST/other.example.com']]] }),
  // --- tree delete (MS-ADTS 3.1.1.5.5.7.1) ---
  R('MS-ADTS 3.1.1.5.5.7.1: an ordinary user does not tree-delete OU=Eng (DELETE_TREE)', 50, INSUFF, { id: 'z-alice-tree', op: 'delete', as: 'alice', dn: 'OU=Eng,{base}', tree: true }),
  R('MS-ADTS 3.1.1.5.5.7.1: the administrator does', 0, undefined, { id: 'z-admin-tree', op: 'delete', as: 'admin', dn: 'OU=Eng,{base}', tree: true }),
];

let f: RunningForestd;
let results: Record<string, { code: number; win32: string; entries: { dn: string; attrs: Record<string, string[]> }[] }> = {};
let sids: Record<string, string> = {};
let failure = '';

before(async () => {
  f = await startForestd();
  const steps: Step[] = [
    { id: 'login-admin', op: 'login', name: 'admin', user: f.adminDN, password: f.adminPassword },
    ...SETUP,
    ...ROWS.flatMap((r) => {
      if (r.step.id === 't-rootdse-alice-g2') return [{ id: 'login-alice2', op: 'login', name: 'alice2', user: 'alice@example.com', password: 'Wonder-N3w-Passw0rd' }, r.step];
      if (r.step.id === 'pp-reuse') return [{ id: 'login-bob2', op: 'login', name: 'bob2', user: 'bob@example.com', password: 'Zeta-Passw0rd9' }, r.step];
      return [r.step];
    }),
    // the SIDs the rows name, for the assertions
    ...['alice', 'bob', 'Domain Users', 'Domain Admins', 'G2'].map((n) => ({ id: `sid-${n}`, op: 'search', as: 'admin', base: '{base}', scope: 'sub', filter: `(sAMAccountName=${n})`, attrs: ['objectSid'] })),
  ];
  const r = await run(PYTHON, [script, f.ldapsUrl, f.url, f.baseDN], JSON.stringify(steps));
  if (r.code !== 0) failure = r.stderr + r.stdout;
  else {
    results = JSON.parse(r.stdout.trim().split('\n').pop()!);
    for (const n of ['alice', 'bob', 'Domain Users', 'Domain Admins', 'G2']) sids[n] = results[`sid-${n}`]?.entries[0]?.attrs['objectSid']?.[0] ?? '';
  }
});
after(async () => {
  await f?.stop();
});

const fillSids = (s: string) => s.replace(/\{sid:([^}]+)\}/g, (_, n: string) => sids[n] ?? n);

test('the matrix has at least 60 rows, each citing the spec', () => {
  assert.ok(ROWS.length >= 60, `${ROWS.length} rows`);
  for (const r of ROWS) assert.match(r.spec, /^(MS-ADTS|MS-DTYP|MS-DRSR|MS-SAMR|RFC) \d/);
});

test('setup (python-ldap3 as Administrator over LDAPS)', (t) => {
  if (!needTool(t, PYTHON, 'python:ldap3', 'python:samba')) return;
  assert.equal(failure, '');
  for (const s of SETUP) if (s.op !== 'login') assert.equal(results[s.id]?.code, 0, `${s.id}: ${JSON.stringify(results[s.id])}`);
});

for (const row of ROWS) {
  test(`${row.step.id}: ${row.spec}`, () => {
    assert.equal(failure, '');
    const got = results[row.step.id];
    assert.ok(got, 'the step ran');
    assert.equal(got.code, row.code, `result code (${JSON.stringify(got).slice(0, 300)})`);
    if (row.win32) assert.equal(got.win32.toUpperCase(), row.win32.toUpperCase());
    if (row.count !== undefined) assert.equal(got.entries.length, row.count, 'entries');
    const first = got.entries[0]?.attrs ?? {};
    const names = Object.keys(first).map((k) => k.toLowerCase());
    for (const a of row.has ?? []) assert.ok(names.includes(a.toLowerCase()), `${a} returned`);
    for (const a of row.lacks ?? []) assert.ok(!names.includes(a.toLowerCase()), `${a} not returned`);
    if (row.value) {
      const [attr, want, present = true] = row.value;
      const key = Object.keys(first).find((k) => k.toLowerCase() === attr.toLowerCase());
      const vals = key ? first[key]! : [];
      const w = fillSids(want);
      const hit = vals.some((v) => v === w || v.startsWith(w) || v.toLowerCase() === w.toLowerCase());
      assert.equal(hit, present, `${attr} ${present ? 'holds' : 'lacks'} ${w}: ${JSON.stringify(vals).slice(0, 300)}`);
    }
  });
}

// ldap-utils rows: the same rules through OpenLDAP's clients
test('ldap-utils: an ordinary user cannot lower minPwdLength (50 00002098); the administrator can write it', { timeout: 60_000 }, async (t) => {
  if (!needTool(t, 'ldapmodify', 'ldapsearch')) return;
  assert.equal(failure, '');
  const ldif = `dn: ${f.baseDN}\nchangetype: modify\nreplace: minPwdLength\nminPwdLength: 7\n`;
  const env = { LDAPTLS_REQCERT: 'never' };
  const u = await run('ldapmodify', ['-x', '-H', f.ldapsUrl, '-D', 'ursula@example.com', '-w', PW], ldif, env);
  assert.equal(u.code, 50, u.stderr + u.stdout);
  assert.match(u.stderr + u.stdout, /00002098: SecErr: DSID-[0-9A-F]{8}, problem 4003 \(INSUFF_ACCESS_RIGHTS\), data 0/);
  const a = await run('ldapmodify', ['-x', '-H', f.ldapsUrl, '-D', f.adminDN, '-w', f.adminPassword], ldif, env);
  assert.equal(a.code, 0, a.stderr + a.stdout);
});

test('ldap-utils: ldapsearch as an ordinary user sees no confidential attribute and no entry for a filter on it', { timeout: 60_000 }, async (t) => {
  if (!needTool(t, 'ldapmodify', 'ldapsearch')) return;
  assert.equal(failure, '');
  const env = { LDAPTLS_REQCERT: 'never' };
  const q = (who: string, pw: string) => run('ldapsearch', ['-LLL', '-x', '-H', f.ldapsUrl, '-D', who, '-w', pw, '-b', `CN=Users,${f.baseDN}`, '-s', 'one', '(msPKIRoamingTimeStamp=*)', 'sAMAccountName'], undefined, env);
  const u = await q('alice@example.com', 'Wonder-N3w-Passw0rd');
  assert.equal(u.code, 0, u.stderr);
  assert.doesNotMatch(u.stdout, /sAMAccountName: bob/);
  const a = await q(f.adminDN, f.adminPassword);
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stdout, /sAMAccountName: bob/);
});

test('ldap-utils: the rootDSE operation schemaUpdateNow needs Update-Schema-Cache (MS-ADTS 3.1.1.3.3.14): 50 for an ordinary user, done for the administrator', { timeout: 60_000 }, async (t) => {
  if (!needTool(t, 'ldapmodify', 'ldapsearch')) return;
  assert.equal(failure, '');
  const ldif = 'dn:\nchangetype: modify\nadd: schemaUpdateNow\nschemaUpdateNow: 1\n';
  const env = { LDAPTLS_REQCERT: 'never' };
  const u = await run('ldapmodify', ['-x', '-H', f.ldapsUrl, '-D', 'ursula@example.com', '-w', PW], ldif, env);
  assert.equal(u.code, 50, u.stderr + u.stdout);
  assert.match(u.stderr + u.stdout, /00002098: SecErr: DSID-[0-9A-F]{8}, problem 4003 \(INSUFF_ACCESS_RIGHTS\), data 0/);
  const a = await run('ldapmodify', ['-x', '-H', f.ldapsUrl, '-D', f.adminDN, '-w', f.adminPassword], ldif, env);
  assert.equal(a.code, 0, a.stderr + a.stdout);
});
