// Issue 13, items 1–3: the SAM's rules and AD's answers for LDAP add, modify, modify DN and
// delete, driven directly against a provisioned directory. Each refusal is a data row with the
// LDAP result code, the Win32 code that starts AD's diagnostic message and the problem number,
// the spec section or the Windows-run test that records it, and a negative control: the
// allowed variant of the same request, which succeeds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Directory } from '../../src/dsa/directory.js';
import { add } from '../../src/dsa/add.js';
import { del } from '../../src/dsa/delete.js';
import { modify } from '../../src/dsa/modify.js';
import { modifyDN } from '../../src/dsa/modify-dn.js';
import { sidWithRid, ridOf, generatedSamAccountName } from '../../src/dsa/principals.js';
import { SHOW_DELETED_OID } from '../../src/ldap/controls/show-deleted.js';
import { guidToString } from '../../src/util/guid.js';
import { request, run } from '../helpers/search-fixture.js';
import { pwd } from './dsa-fixture.js';
import { CONFIG, DOMAIN, USERS, addObject, control, ctx, fixture, mod, read, rejects, values, b } from './dsa-fixture.js';

let d: Directory;
let close: () => Promise<void>;
before(async () => {
  ({ d, close } = await fixture());
});
after(() => close());

const COMPUTERS = `CN=Computers,${DOMAIN}`;
let counter = 0;
/** A fresh RDN value per use: rows do not depend on each other. */
const fresh = (p: string) => `${p}${++counter}`;
const user = async (attrs: Record<string, string | string[]> = {}) => {
  const dn = `CN=${fresh('u')},${USERS}`;
  await addObject(d, dn, { objectClass: 'user', ...attrs });
  return dn;
};
const group = async (attrs: Record<string, string | string[]> = {}) => {
  const dn = `CN=${fresh('g')},${USERS}`;
  await addObject(d, dn, { objectClass: 'group', ...attrs });
  return dn;
};
const rid = (dn: string) => ridOf(values(d, read(d, dn).rec, 'objectSid')[0] as Uint8Array);
const first = (dn: string, name: string) => values(d, read(d, dn).rec, name)[0];
const rawAdd = (dn: string, attrs: [string, string[]][]) => add(d, { type: 'addRequest', entry: dn, attributes: attrs.map(([type, v]) => ({ type, values: v.map(b) })) }, ctx());

/** Deletes `dn` and undeletes it to `to` (MS-ADTS 3.1.1.5.3.7). */
const deleteAndUndelete = async (dn: string, to: string) => {
  const { guid } = read(d, dn);
  await del(d, { type: 'delRequest', entry: dn }, ctx());
  await mod(d, `<GUID=${guidToString(guid)}>`, [['delete', 'isDeleted', []], ['replace', 'distinguishedName', [to]]], [control(SHOW_DELETED_OID)]);
  return guid;
};
/** This DC's nTDSDSA object (the owner of every role). */
const dsaDN = () => d.dnOf(d.store.reader, d.forest.dsaGuid);
/** This DC's computer object (serverReference of its server object). */
const dcComputerDN = () => {
  const dsa = dsaDN();
  const server = read(d, dsa.slice(dsa.indexOf(',') + 1)).guid;
  const ref = d.schema.attr('serverReference')!;
  const [link] = [...d.store.reader.links(server, ref.forwardLinkId!)];
  return d.dnOf(d.store.reader, Buffer.from(link!.target));
};
const DS_SERVICE = `CN=Directory Service,CN=Windows NT,CN=Services,${CONFIG}`;

const UF = { ACCOUNTDISABLE: 0x2, LOCKOUT: 0x10, PASSWD_NOTREQD: 0x20, TEMP_DUPLICATE: 0x100, NORMAL: 0x200, INTERDOMAIN: 0x800, WORKSTATION: 0x1000, SERVER: 0x2000, PASSWORD_EXPIRED: 0x800000 };
const GT = { GLOBAL: 0x80000002 | 0, LOCAL: 0x80000004 | 0, UNIVERSAL: 0x80000008 | 0, BUILTIN: 0x80000005 | 0 };

interface Refusal {
  rule: string;
  /** where the behaviour is recorded */
  spec: string;
  run: () => Promise<unknown>;
  code: number;
  /** the 8 hex digits AD's message starts with */
  win32: string;
  problem?: number;
  /** the allowed variant: succeeds */
  control: () => Promise<unknown>;
}

const refusals: Refusal[] = [
  // ---- item 1: userAccountControl (MS-SAMR 3.1.1.8.10) ----
  { rule: 'add: UF_TEMP_DUPLICATE_ACCOUNT', spec: 'MS-SAMR 3.1.1.8.10; sam.py test_userAccountControl (ERR_OTHER)', run: () => user({ userAccountControl: String(UF.TEMP_DUPLICATE) }), code: 80, win32: '00000057', problem: 5003, control: () => user({ userAccountControl: String(UF.NORMAL) }) },
  { rule: 'add: UF_INTERDOMAIN_TRUST_ACCOUNT', spec: 'MS-SAMR 3.1.1.8.10; sam.py (ERR_INSUFFICIENT_ACCESS_RIGHTS)', run: () => user({ userAccountControl: String(UF.INTERDOMAIN) }), code: 50, win32: '00000005', problem: 4003, control: () => user({ userAccountControl: String(UF.NORMAL | UF.PASSWD_NOTREQD) }) },
  { rule: 'add: UF_SERVER_TRUST_ACCOUNT on a user', spec: 'sam.py test_userAccountControl (ERR_OBJECT_CLASS_VIOLATION)', run: () => user({ userAccountControl: String(UF.SERVER) }), code: 65, win32: '00002014', problem: 6002, control: () => addObject(d, `CN=${fresh('c')},${COMPUTERS}`, { objectClass: 'computer', userAccountControl: String(UF.SERVER) }) },
  { rule: 'add: UF_WORKSTATION_TRUST_ACCOUNT on a user', spec: 'issue 13 item 1; sam.py (ERR_OBJECT_CLASS_VIOLATION)', run: () => user({ userAccountControl: String(UF.WORKSTATION) }), code: 65, win32: '00002014', problem: 6002, control: () => addObject(d, `CN=${fresh('c')},${COMPUTERS}`, { objectClass: 'computer', userAccountControl: String(UF.WORKSTATION) }) },
  { rule: 'modify: UF_TEMP_DUPLICATE_ACCOUNT', spec: 'MS-SAMR 3.1.1.8.10; sam.py (ERR_OTHER)', run: async () => mod(d, await user(), [['replace', 'userAccountControl', [String(UF.TEMP_DUPLICATE)]]]), code: 80, win32: '00000057', problem: 5003, control: async () => mod(d, await user(), [['replace', 'userAccountControl', [String(UF.NORMAL | UF.PASSWD_NOTREQD)]]]) },
  { rule: 'modify: UF_INTERDOMAIN_TRUST_ACCOUNT', spec: 'MS-SAMR 3.1.1.8.10; sam.py (ERR_INSUFFICIENT_ACCESS_RIGHTS)', run: async () => mod(d, await user(), [['replace', 'userAccountControl', [String(UF.INTERDOMAIN)]]]), code: 50, win32: '00000005', problem: 4003, control: async () => mod(d, await user(), [['replace', 'userAccountControl', [String(UF.WORKSTATION)]]]) },
  { rule: 'modify: a user becomes a DC account', spec: 'sam.py test_userAccountControl (ERR_UNWILLING_TO_PERFORM)', run: async () => mod(d, await user(), [['replace', 'userAccountControl', [String(UF.SERVER)]]]), code: 53, win32: '00002035', problem: 5003, control: async () => mod(d, await user(), [['replace', 'userAccountControl', [String(UF.WORKSTATION)]]]) },
  // ---- primaryGroupID (MS-SAMR 3.1.1.8.2) ----
  { rule: 'add: primaryGroupID 0', spec: 'MS-SAMR 3.1.1.8.2; sam.py test_users_groups (ERR_UNWILLING_TO_PERFORM)', run: () => user({ primaryGroupID: '0' }), code: 53, win32: '00000529', problem: 5003, control: () => user({ primaryGroupID: '513' }) },
  { rule: 'add: primaryGroupID of a group the account is not in', spec: 'MS-SAMR 3.1.1.8.2; sam.py (ERR_UNWILLING_TO_PERFORM)', run: async () => user({ primaryGroupID: String(rid(await group())) }), code: 53, win32: '00000529', problem: 5003, control: () => user({}) },
  { rule: 'modify: primaryGroupID 0', spec: 'MS-SAMR 3.1.1.8.2; sam.py (ERR_UNWILLING_TO_PERFORM)', run: async () => mod(d, await user(), [['replace', 'primaryGroupID', ['0']]]), code: 53, win32: '00000529', problem: 5003, control: async () => mod(d, await user(), [['replace', 'primaryGroupID', ['513']]]) },
  {
    rule: 'modify: primaryGroupID of a group the account is not a member of',
    spec: 'MS-SAMR 3.1.1.8.2; sam.py (ERR_UNWILLING_TO_PERFORM)',
    run: async () => mod(d, await user(), [['replace', 'primaryGroupID', [String(rid(await group()))]]]),
    code: 53,
    win32: '00000529',
    problem: 5003,
    control: async () => {
      const u = await user();
      const g = await group({ member: u });
      await mod(d, u, [['replace', 'primaryGroupID', [String(rid(g))]]]);
    },
  },
  {
    rule: 'modify: primaryGroupID of a universal group (not GROUP_TYPE_SECURITY_ACCOUNT/_RESOURCE)',
    spec: 'MS-SAMR 3.1.1.8.2',
    run: async () => {
      const u = await user();
      const g = await group({ member: u, groupType: String(GT.UNIVERSAL) });
      await mod(d, u, [['replace', 'primaryGroupID', [String(rid(g))]]]);
    },
    code: 53,
    win32: '00000529',
    problem: 5003,
    control: async () => {
      const u = await user();
      const g = await group({ member: u, groupType: String(GT.LOCAL) });
      await mod(d, u, [['replace', 'primaryGroupID', [String(rid(g))]]]);
    },
  },
  {
    rule: 'delete: a group that is an account\'s primary group',
    spec: 'MS-SAMR 3.1.1.8.2; sam.py (ERR_ENTRY_ALREADY_EXISTS)',
    run: async () => {
      const u = await user();
      const g = await group({ member: u });
      await mod(d, u, [['replace', 'primaryGroupID', [String(rid(g))]]]);
      await del(d, { type: 'delRequest', entry: g }, ctx());
    },
    code: 68,
    win32: '00000528',
    problem: 6005,
    control: async () => del(d, { type: 'delRequest', entry: await group({ member: await user() }) }, ctx()),
  },
  {
    rule: 'modify: the primary group loses the account as member',
    spec: 'MS-SAMR 3.1.1.8.2; sam.py (ERR_UNWILLING_TO_PERFORM)',
    run: async () => {
      const u = await user();
      const g = await group({ member: u });
      await mod(d, u, [['replace', 'primaryGroupID', [String(rid(g))]]]);
      const g2 = await group({ member: u });
      await mod(d, u, [['replace', 'primaryGroupID', [String(rid(g2))]]]); // u back in g, out of g2
      await mod(d, g2, [['delete', 'member', [u]]]);
    },
    code: 53,
    win32: '0000055E',
    problem: 5003,
    control: async () => {
      const u = await user();
      const g = await group({ member: u });
      await mod(d, g, [['delete', 'member', [u]]]);
    },
  },
  {
    rule: 'modify: the primary group gets the account as member',
    spec: 'MS-SAMR 3.1.1.8.2; sam.py (ERR_ENTRY_ALREADY_EXISTS)',
    run: async () => {
      const u = await user();
      const g = await group({ member: u });
      await mod(d, u, [['replace', 'primaryGroupID', [String(rid(g))]]]);
      await mod(d, g, [['add', 'member', [u]]]);
    },
    code: 68,
    win32: '00000528',
    problem: 6005,
    control: async () => mod(d, await group(), [['add', 'member', [await user()]]]),
  },
  // ---- pwdLastSet (MS-SAMR 3.1.1.8.8) ----
  { rule: 'add: pwdLastSet other than 0 / -1', spec: 'MS-SAMR 3.1.1.8.8; sam.py test_pwdLastSet (ERR_OTHER, 00000057)', run: () => user({ pwdLastSet: '1' }), code: 80, win32: '00000057', problem: 5003, control: () => user({ pwdLastSet: '-1' }) },
  { rule: 'modify: pwdLastSet other than 0 / -1', spec: 'MS-SAMR 3.1.1.8.8; sam.py (ERR_OTHER, 00000057)', run: async () => mod(d, await user(), [['replace', 'pwdLastSet', ['132000000000000000']]]), code: 80, win32: '00000057', problem: 5003, control: async () => mod(d, await user(), [['replace', 'pwdLastSet', ['0']]]) },
  // ---- groupType ----
  { rule: 'modify: groupType global → domain local', spec: 'MS-SAMR 3.1.1.8 groupType; sam.py test_groupType (ERR_UNWILLING_TO_PERFORM)', run: async () => mod(d, await group(), [['replace', 'groupType', [String(GT.LOCAL)]]]), code: 53, win32: '00002035', problem: 5003, control: async () => mod(d, await group(), [['replace', 'groupType', [String(GT.UNIVERSAL)]]]) },
  { rule: 'modify: groupType domain local → global', spec: 'sam.py test_groupType (ERR_UNWILLING_TO_PERFORM)', run: async () => mod(d, await group({ groupType: String(GT.LOCAL) }), [['replace', 'groupType', [String(GT.GLOBAL)]]]), code: 53, win32: '00002035', problem: 5003, control: async () => mod(d, await group({ groupType: String(GT.LOCAL) }), [['replace', 'groupType', [String(GT.UNIVERSAL)]]]) },
  { rule: 'modify: groupType to builtin local', spec: 'sam.py test_groupType (ERR_UNWILLING_TO_PERFORM)', run: async () => mod(d, await group({ groupType: String(GT.UNIVERSAL) }), [['replace', 'groupType', [String(GT.BUILTIN)]]]), code: 53, win32: '00002035', problem: 5003, control: async () => mod(d, await group({ groupType: String(GT.UNIVERSAL) }), [['replace', 'groupType', [String(GT.LOCAL)]]]) },
  { rule: 'add: groupType 0', spec: 'sam.py test_groupType (ERR_UNWILLING_TO_PERFORM)', run: () => group({ groupType: '0' }), code: 53, win32: '00002035', problem: 5003, control: () => group({ groupType: String(GT.LOCAL) }) },
  // ---- SAM attributes that cannot lose their values ----
  ...['sAMAccountName', 'userAccountControl', 'primaryGroupID', 'pwdLastSet', 'accountExpires', 'logonCount'].map(
    (a): Refusal => ({ rule: `modify: delete ${a} of a user`, spec: 'sam.py test_sam_attributes "Delete protection tests" (ERR_UNWILLING_TO_PERFORM)', run: async () => mod(d, await user(), [['delete', a, []]]), code: 53, win32: '00002035', problem: 5003, control: async () => mod(d, await user({ comment: 'x' }), [['delete', 'comment', []]]) }),
  ),
  { rule: 'modify: replace groupType with no value', spec: 'sam.py "Delete protection tests" (ERR_UNWILLING_TO_PERFORM)', run: async () => mod(d, await group(), [['replace', 'groupType', []]]), code: 53, win32: '00002035', problem: 5003, control: async () => mod(d, await group({ info: 'x' }), [['replace', 'info', []]]) },
  // ---- description is single-valued on SAM objects ----
  { rule: 'add: two descriptions on a group', spec: 'MS-SAMR 3.1.1.8 (SAM objects); ldap.py test_description_attribute (ERR_ATTRIBUTE_OR_VALUE_EXISTS)', run: () => group({ description: ['a', 'b'] }), code: 20, win32: '00002083', problem: 1006, control: () => addObject(d, `CN=${fresh('k')},${USERS}`, { objectClass: 'contact', description: ['a', 'b'] }) },
  { rule: 'modify: a second description on a user', spec: 'ldap.py test_description_attribute (ERR_ATTRIBUTE_OR_VALUE_EXISTS)', run: async () => mod(d, await user({ description: 'a' }), [['add', 'description', ['b']]]), code: 20, win32: '00002083', problem: 1006, control: async () => mod(d, await user({ description: 'a' }), [['replace', 'description', ['b']]]) },
  // ---- constructed attributes on add ----
  { rule: 'add: primaryGroupToken', spec: 'sam.py test_primary_group_token_constructed (ERR_UNDEFINED_ATTRIBUTE_TYPE)', run: () => group({ primaryGroupToken: '100' }), code: 17, win32: '00000057', control: () => group({}) },
  { rule: 'add: sAMAccountType', spec: 'ldap.py test_all (ERR_UNWILLING_TO_PERFORM)', run: () => addObject(d, `CN=${fresh('c')},${COMPUTERS}`, { objectClass: 'computer', sAMAccountType: '805306368' }), code: 53, win32: '00002035', problem: 5003, control: () => addObject(d, `CN=${fresh('c')},${COMPUTERS}`, { objectClass: 'computer' }) },

  // ---- item 2: attributes given on add (MS-ADTS 3.1.1.5.2.2) ----
  { rule: 'add: cn other than the RDN value', spec: 'ldap.py test_all (ERR_INVALID_DN_SYNTAX)', run: () => addObject(d, `CN=${fresh('c')},${COMPUTERS}`, { objectClass: 'computer', cn: 'somethingElse' }), code: 34, win32: '00002032', problem: 2003, control: () => addObject(d, `CN=CaseOnly${++counter},${COMPUTERS}`, { objectClass: 'computer', cn: `caseonly${counter}` }) },
  { rule: 'add: instanceType 1 (NC head without write)', spec: 'ldap.py test_instanceType (ERR_UNWILLING_TO_PERFORM)', run: () => group({ instanceType: '1' }), code: 53, win32: '00002035', problem: 5003, control: () => group({ instanceType: '4' }) },
  { rule: 'add: instanceType with two values', spec: 'ldap.py test_instanceType (ERR_UNWILLING_TO_PERFORM)', run: () => group({ instanceType: ['0', '1'] }), code: 53, win32: '00002035', problem: 5003, control: () => group({ instanceType: '4' }) },
  { rule: 'add: instanceType not a number', spec: 'issue 13 item 2 (53)', run: () => group({ instanceType: 'abc' }), code: 53, win32: '00002035', problem: 5003, control: () => group({ instanceType: '4' }) },
  { rule: 'add: objectGUID (valid value)', spec: 'ldap.py test_objectGUID (ERR_UNWILLING_TO_PERFORM)', run: () => rawAdd(`CN=${fresh('k')},${USERS}`, [['objectClass', ['contact']], ['objectGUID', ['bd3480c9-58af-4cd8-92df-bc4a18b6e44d']]]), code: 53, win32: '00002035', problem: 5003, control: () => rawAdd(`CN=${fresh('k')},${USERS}`, [['objectClass', ['contact']]]) },
  { rule: 'add: objectGUID (invalid value)', spec: 'issue 13 item 2 (53)', run: () => rawAdd(`CN=${fresh('k')},${USERS}`, [['objectClass', ['contact']], ['objectGUID', ['xyz']]]), code: 53, win32: '00002035', problem: 5003, control: () => rawAdd(`CN=${fresh('k')},${USERS}`, [['objectClass', ['contact']]]) },
  { rule: 'add: isDeleted TRUE', spec: 'MS-ADTS 3.1.1.5.2.2 (only a delete sets it)', run: () => group({ isDeleted: 'TRUE' }), code: 53, win32: '00002035', problem: 5003, control: () => group({ isDeleted: 'FALSE' }) },

  // ---- item 3: result codes as Windows returns them ----
  { rule: 'add: "dn" given as an attribute', spec: 'ldap.py test_distinguished_name (ERR_NO_SUCH_ATTRIBUTE)', run: () => rawAdd(`CN=${fresh('k')},${USERS}`, [['objectClass', ['contact']], ['dn', [`CN=x,${USERS}`]]]), code: 16, win32: '00000057', control: () => rawAdd(`CN=${fresh('k')},${USERS}`, [['objectClass', ['contact']], ['distinguishedName', [`CN=x,${USERS}`]]]) },
  { rule: 'add: an unknown attribute type', spec: 'ldap.py test_invalid_attribute (ERR_NO_SUCH_ATTRIBUTE)', run: () => rawAdd(`CN=${fresh('k')},${USERS}`, [['objectClass', ['contact']], ['thisdoesnotexist', ['x']]]), code: 16, win32: '00000057', control: () => rawAdd(`CN=${fresh('k')},${USERS}`, [['objectClass', ['contact']], ['info', ['x']]]) },
  { rule: 'add: an unknown objectClass', spec: 'issue 13 item 3 (16)', run: () => rawAdd(`CN=${fresh('k')},${USERS}`, [['objectClass', ['noSuchClass']]]), code: 16, win32: '00000057', control: () => rawAdd(`CN=${fresh('k')},${USERS}`, [['objectClass', ['contact']]]) },
  { rule: 'modify: no changes', spec: 'ldap.py test_empty_messages (ERR_UNWILLING_TO_PERFORM)', run: async () => modify(d, { type: 'modifyRequest', object: await user(), changes: [] }, ctx()), code: 53, win32: '00002035', problem: 5003, control: async () => mod(d, await user(), [['replace', 'info', ['x']]]) },
  { rule: 'modify: two values of a single-valued attribute', spec: 'ldap.py test_single_valued_attributes (ERR_ATTRIBUTE_OR_VALUE_EXISTS)', run: async () => mod(d, await group(), [['replace', 'sAMAccountName', ['nam1', 'nam2']]]), code: 20, win32: '00002083', problem: 1006, control: async () => mod(d, await group(), [['replace', 'sAMAccountName', [fresh('nam')]]]) },
  { rule: 'modifyDN: an object moved under itself', spec: 'issue 13 item 3 (64)', run: async () => {
      const ou = `OU=${fresh('o')},${DOMAIN}`;
      await addObject(d, ou, { objectClass: 'organizationalUnit' });
      await addObject(d, `OU=in,${ou}`, { objectClass: 'organizationalUnit' });
      await modifyDN(d, { type: 'modifyDNRequest', entry: ou, newrdn: 'OU=x', deleteoldrdn: true, newSuperior: `OU=in,${ou}` }, ctx());
    }, code: 64, win32: '00002037', problem: 2005, control: async () => {
      const ou = `OU=${fresh('o')},${DOMAIN}`;
      await addObject(d, ou, { objectClass: 'organizationalUnit' });
      await addObject(d, `OU=in,${ou}`, { objectClass: 'organizationalUnit' });
      await modifyDN(d, { type: 'modifyDNRequest', entry: `OU=in,${ou}`, newrdn: 'OU=in', deleteoldrdn: true, newSuperior: DOMAIN }, ctx());
    } },
  { rule: 'modify: delete dBCSPwd', spec: 'issue 13 item 3 (53; passwords.py)', run: async () => mod(d, await user(), [['delete', 'dBCSPwd', []]]), code: 53, win32: '00002035', problem: 5003, control: async () => mod(d, await user(), [['replace', 'info', ['x']]]) },
  { rule: 'modify: replace nTSecurityDescriptor with no value', spec: 'sam.py "Delete protection tests"; MS-ADTS 3.1.1.5.3.1', run: async () => mod(d, await group(), [['replace', 'nTSecurityDescriptor', []]]), code: 53, win32: '00002035', problem: 5003, control: async () => mod(d, await group({ info: 'x' }), [['replace', 'info', []]]) },
  { rule: 'modify: objectClass replace then delete', spec: 'issue 13 item 3 (65)', run: async () => mod(d, await user(), [['replace', 'objectClass', ['top', 'person', 'organizationalPerson', 'user']], ['delete', 'objectClass', ['user']]]), code: 65, win32: '00002014', problem: 6002, control: async () => mod(d, await user(), [['replace', 'objectClass', ['top', 'person', 'organizationalPerson', 'user']]]) },
  { rule: 'modify: objectClass delete then replace', spec: 'issue 13 item 3 (65)', run: async () => mod(d, await user(), [['delete', 'objectClass', ['user']], ['replace', 'objectClass', ['top', 'person', 'organizationalPerson', 'user']]]), code: 65, win32: '00002014', problem: 6002, control: async () => mod(d, await user(), [['replace', 'objectClass', ['user']]]) },
  { rule: 'modify: dSHeuristics with a wrong 10th character', spec: 'MS-ADTS 6.1.1.2.4.1.2 (check characters)', run: () => mod(d, DS_SERVICE, [['replace', 'dSHeuristics', ['0000000000']]]), code: 19, win32: '0000202F', problem: 1005, control: () => mod(d, DS_SERVICE, [['replace', 'dSHeuristics', ['0000000001']]]) },
  { rule: 'modify: dSHeuristics with a wrong 20th character', spec: 'MS-ADTS 6.1.1.2.4.1.2 (check characters)', run: () => mod(d, DS_SERVICE, [['replace', 'dSHeuristics', ['00000000010000000001']]]), code: 19, win32: '0000202F', problem: 1005, control: () => mod(d, DS_SERVICE, [['replace', 'dSHeuristics', ['000000000']]]) },
  { rule: 'add: an LSA secret object', spec: 'MS-LSAD (secrets are LSA objects); issue 13 item 3', run: () => addObject(d, `CN=${fresh('s')} Secret,CN=System,${DOMAIN}`, { objectClass: 'secret' }), code: 53, win32: '00002035', problem: 5003, control: () => addObject(d, `CN=${fresh('s')},CN=System,${DOMAIN}`, { objectClass: 'container' }) },
  // ---- servicePrincipalName unique in the forest ----
  {
    rule: 'add: a servicePrincipalName another object has',
    spec: 'MS-ADTS 5.1.3.2.1 Validated-SPN; ERROR_DS_SPN_VALUE_NOT_UNIQUE_IN_FOREST',
    run: async () => {
      const spn = `HOST/${fresh('h')}`;
      await addObject(d, `CN=${fresh('c')},${COMPUTERS}`, { objectClass: 'computer', servicePrincipalName: spn });
      await addObject(d, `CN=${fresh('c')},${COMPUTERS}`, { objectClass: 'computer', servicePrincipalName: spn.toLowerCase() });
    },
    code: 19,
    win32: '000021C7',
    problem: 1005,
    control: async () => {
      await addObject(d, `CN=${fresh('c')},${COMPUTERS}`, { objectClass: 'computer', servicePrincipalName: `HOST/${fresh('h')}` });
      await addObject(d, `CN=${fresh('c')},${COMPUTERS}`, { objectClass: 'computer', servicePrincipalName: `HOST/${fresh('h')}` });
    },
  },
  {
    rule: 'modify: add a servicePrincipalName another object has',
    spec: 'MS-ADTS 5.1.3.2.1 Validated-SPN; ERROR_DS_SPN_VALUE_NOT_UNIQUE_IN_FOREST',
    run: async () => {
      const spn = `cifs/${fresh('h')}`;
      await user({ servicePrincipalName: spn });
      await mod(d, await user(), [['add', 'servicePrincipalName', [spn]]]);
    },
    code: 19,
    win32: '000021C7',
    problem: 1005,
    control: async () => {
      const u = await user({ servicePrincipalName: `cifs/${fresh('h')}` });
      await mod(d, u, [['add', 'servicePrincipalName', [`cifs/${fresh('h')}`]]]);
    },
  },
  // ---- fSMORoleOwner ----
  { rule: 'modify: fSMORoleOwner naming a non-nTDSDSA object', spec: 'MS-ADTS 3.1.1.1.11; samldb (Windows behaviour)', run: async () => mod(d, `CN=Infrastructure,${DOMAIN}`, [['replace', 'fSMORoleOwner', [await user()]]]), code: 53, win32: '00002035', problem: 5003, control: () => mod(d, `CN=Infrastructure,${DOMAIN}`, [['replace', 'fSMORoleOwner', [dsaDN()]]]) },
  { rule: 'add: fSMORoleOwner naming a non-nTDSDSA object', spec: 'MS-ADTS 3.1.1.1.11; samldb (Windows behaviour)', run: async () => addObject(d, `CN=${fresh('x')},${DOMAIN}`, { objectClass: 'container', fSMORoleOwner: await user() }), code: 53, win32: '00002035', problem: 5003, control: () => addObject(d, `CN=${fresh('x')},${DOMAIN}`, { objectClass: 'container', fSMORoleOwner: dsaDN() }) },
  { rule: 'modify: fSMORoleOwner removed', spec: 'MS-ADTS 3.1.1.1.11; samldb (Windows behaviour)', run: () => mod(d, `CN=Infrastructure,${DOMAIN}`, [['delete', 'fSMORoleOwner', []]]), code: 53, win32: '00002035', problem: 5003, control: () => mod(d, `CN=Infrastructure,${DOMAIN}`, [['replace', 'fSMORoleOwner', [dsaDN()]]]) },
  // ---- protected objects (deletetest.py test_delete_protection, run against Windows) ----
  { rule: 'delete: the schema NC\'s crossRef', spec: 'deletetest.py test_delete_protection (ERR_UNWILLING_TO_PERFORM)', run: () => del(d, { type: 'delRequest', entry: `CN=Enterprise Schema,CN=Partitions,${CONFIG}` }, ctx()), code: 53, win32: '000020CE', problem: 5003, control: async () => { const c = `CN=${fresh('x')},${DOMAIN}`; await addObject(d, c, { objectClass: 'container' }); await del(d, { type: 'delRequest', entry: c }, ctx()); } },
  { rule: 'delete: the configuration NC\'s crossRef', spec: 'deletetest.py test_delete_protection (ERR_NOT_ALLOWED_ON_NON_LEAF)', run: () => del(d, { type: 'delRequest', entry: `CN=Enterprise Configuration,CN=Partitions,${CONFIG}` }, ctx()), code: 66, win32: '0000208C', problem: 6003, control: async () => { const c = `CN=${fresh('x')},${DOMAIN}`; await addObject(d, c, { objectClass: 'container' }); await del(d, { type: 'delRequest', entry: c }, ctx()); } },
  { rule: 'delete: CN=Users (FLAG_DISALLOW_DELETE)', spec: 'deletetest.py test_delete_protection (ERR_UNWILLING_TO_PERFORM)', run: () => del(d, { type: 'delRequest', entry: `CN=Users,${DOMAIN}` }, ctx()), code: 53, win32: '000020CE', problem: 5003, control: async () => del(d, { type: 'delRequest', entry: await user() }, ctx()) },
  { rule: 'delete: the DC\'s computer object (isCriticalSystemObject)', spec: 'MS-ADTS 3.1.1.5.5 (critical system objects)', run: async () => del(d, { type: 'delRequest', entry: dcComputerDN() }, ctx()), code: 53, win32: '000020CE', problem: 5003, control: async () => { const c = `CN=${fresh('c')},${COMPUTERS}`; await addObject(d, c, { objectClass: 'computer' }); await del(d, { type: 'delRequest', entry: c }, ctx()); } },
  {
    rule: 'undelete into another naming context',
    spec: 'MS-ADTS 3.1.1.5.3.7; tombstone_reanimation.py test_undelete_cross_nc (ERR_OPERATIONS_ERROR)',
    run: async () => {
      const c = `CN=${fresh('x')},${DOMAIN}`;
      await addObject(d, c, { objectClass: 'container' });
      await deleteAndUndelete(c, `CN=${fresh('x')},${CONFIG}`);
    },
    code: 1,
    win32: '000020B0',
    problem: 5003,
    control: async () => {
      const c = `CN=${fresh('x')},${DOMAIN}`;
      await addObject(d, c, { objectClass: 'container' });
      await deleteAndUndelete(c, `CN=${fresh('x')},${DOMAIN}`);
    },
  },
];

for (const r of refusals) {
  test(`${r.rule} → ${r.code} / ${r.win32} [${r.spec}]`, async () => {
    const e = await rejects(r.run(), r.code, new RegExp(`^${r.win32}: `));
    if (r.problem !== undefined) assert.match(e.diagnosticMessage, new RegExp(`problem ${r.problem} `));
    await r.control(); // negative control: the allowed variant succeeds
  });
}

// ---- the values the rules give (positive behaviour, each with its contrast) ----

test('MS-SAMR 3.1.1.8.10: a computer added without userAccountControl gets 4130 and Domain Computers; a user 0x222 and Domain Users', async () => {
  const c = `CN=${fresh('c')},${COMPUTERS}`;
  await addObject(d, c, { objectClass: 'computer' });
  assert.equal(first(c, 'userAccountControl'), 4130);
  assert.equal(first(c, 'primaryGroupID'), 515);
  assert.equal(first(c, 'sAMAccountType'), 0x30000001);
  const u = await user();
  assert.equal(first(u, 'userAccountControl'), UF.NORMAL | UF.ACCOUNTDISABLE | UF.PASSWD_NOTREQD);
  assert.equal(first(u, 'primaryGroupID'), 513);
});

test('a principal added without sAMAccountName gets $XXXXXX-XXXXXXXXXXXX (18 upper-case hex digits, distinct per object); one given a sAMAccountName keeps it', async () => {
  const shape = /^\$[0-9A-F]{6}-[0-9A-F]{12}$/;
  const u1 = await user();
  const u2 = await user();
  const g = await group();
  const names = [u1, u2, g].map((dn) => first(dn, 'sAMAccountName') as string);
  for (const n of names) assert.match(n, shape);
  assert.equal(new Set(names).size, 3);
  // the generator alone: every digit position varies (no fixed UUID version or variant digit)
  const drawn = Array.from({ length: 2000 }, generatedSamAccountName);
  for (const n of drawn) assert.match(n, shape);
  assert.equal(new Set(drawn).size, drawn.length);
  for (let i = 1; i < 20; i++) {
    if (i === 7) continue; // the '-'
    assert.ok(new Set(drawn.map((n) => n[i])).size > 8, `digit ${i} varies`);
  }
  // negative control: a given name is kept, not generated
  const named = fresh('sam');
  const u3 = await user({ sAMAccountName: named });
  assert.equal(first(u3, 'sAMAccountName'), named);
  assert.doesNotMatch(named, shape);
});

test('MS-SAMR 3.1.1.8.10 (2): LOCKOUT and PASSWORD_EXPIRED are dropped on add and modify; no account type → NORMAL_ACCOUNT', async () => {
  const u = await user({ userAccountControl: String(UF.NORMAL | UF.PASSWD_NOTREQD | UF.LOCKOUT | UF.PASSWORD_EXPIRED) });
  assert.equal(first(u, 'userAccountControl'), UF.NORMAL | UF.PASSWD_NOTREQD);
  const z = await user({ userAccountControl: '0' });
  assert.equal(first(z, 'userAccountControl'), UF.NORMAL);
  await mod(d, u, [['replace', 'userAccountControl', [String(UF.ACCOUNTDISABLE)]]]);
  assert.equal(first(u, 'userAccountControl'), UF.NORMAL | UF.ACCOUNTDISABLE, 'a replace with only ACCOUNTDISABLE gets NORMAL_ACCOUNT');
  await mod(d, u, [['replace', 'userAccountControl', [String(UF.NORMAL | UF.LOCKOUT | UF.PASSWORD_EXPIRED)]]]);
  assert.equal(first(u, 'userAccountControl'), UF.NORMAL);
  await mod(d, u, [['replace', 'userAccountControl', [String(UF.NORMAL | UF.PASSWD_NOTREQD)]]]);
  assert.equal(first(u, 'userAccountControl'), UF.NORMAL | UF.PASSWD_NOTREQD, 'other bits are kept');
});

test('MS-SAMR 3.1.1.8.1: a new account type brings its primary group; the same type keeps it', async () => {
  const u = await user();
  await mod(d, u, [['replace', 'userAccountControl', [String(UF.WORKSTATION)]]]);
  assert.equal(first(u, 'primaryGroupID'), 515);
  assert.equal(first(u, 'sAMAccountType'), 0x30000001);
  await mod(d, u, [['replace', 'userAccountControl', [String(UF.NORMAL | UF.PASSWD_NOTREQD)]]]);
  assert.equal(first(u, 'primaryGroupID'), 513);
  const g = await group({ member: u });
  await mod(d, u, [['replace', 'primaryGroupID', [String(rid(g))]]]);
  await mod(d, u, [['replace', 'userAccountControl', [String(UF.NORMAL)]]]);
  assert.equal(first(u, 'primaryGroupID'), rid(g), 'same account type: primaryGroupID unchanged');
});

test('a DC account (SERVER_TRUST_ACCOUNT) is a critical system object with Domain Controllers as primary group; a workstation is not', async () => {
  const dc = `CN=${fresh('c')},${COMPUTERS}`;
  await addObject(d, dc, { objectClass: 'computer', userAccountControl: String(UF.SERVER) });
  assert.equal(first(dc, 'isCriticalSystemObject'), true);
  assert.equal(first(dc, 'primaryGroupID'), 516);
  const ws = `CN=${fresh('c')},${COMPUTERS}`;
  await addObject(d, ws, { objectClass: 'computer', userAccountControl: String(UF.WORKSTATION) });
  assert.equal(first(ws, 'isCriticalSystemObject'), undefined);
  await mod(d, ws, [['replace', 'userAccountControl', [String(UF.SERVER)]]]);
  assert.equal(first(ws, 'isCriticalSystemObject'), true);
  assert.equal(first(ws, 'primaryGroupID'), 516);
});

test('MS-SAMR 3.1.1.8.2: after a primaryGroupID change the account is a member of the old primary group and not of the new one', async () => {
  const u = await user();
  const g = await group({ member: u });
  const member = d.schema.attr('member')!;
  const isMember = (grp: string) => {
    const lv = d.store.reader.getLink(read(d, grp).guid, member.forwardLinkId!, read(d, u).guid, Buffer.alloc(0));
    return !!lv && lv.stamp.timeDeleted === 0;
  };
  const domainUsers = `CN=Domain Users,${USERS}`;
  assert.equal(isMember(domainUsers), false);
  const usnBefore = read(d, domainUsers).rec.usnChanged;
  await mod(d, u, [['replace', 'primaryGroupID', [String(rid(g))]]]);
  assert.equal(first(u, 'primaryGroupID'), rid(g));
  assert.equal(isMember(g), false, 'no longer a stored member of the new primary group');
  assert.equal(isMember(domainUsers), true, 'now a stored member of the old primary group');
  assert.ok(read(d, domainUsers).rec.usnChanged > usnBefore, 'the old primary group was written');
  assert.equal(values(d, read(d, u).rec, 'objectSid').length, 1);
  assert.ok(Buffer.from(sidWithRid(d.forest.domainSid, rid(g))).length > 0);
});

test('MS-SAMR 3.1.1.8.8: pwdLastSet -1 stores the current time, 0 stores 0', async () => {
  const u = await user({ pwdLastSet: '-1' });
  const t = first(u, 'pwdLastSet') as bigint;
  assert.ok(BigInt(t) > 0n);
  await mod(d, u, [['replace', 'pwdLastSet', ['0']]]);
  assert.equal(BigInt(first(u, 'pwdLastSet') as bigint), 0n);
  const z = await user({ pwdLastSet: '0' });
  assert.equal(BigInt(first(z, 'pwdLastSet') as bigint), 0n);
});

test('groupType: global → universal → domain local and back, with sAMAccountType following', async () => {
  const g = await group();
  await mod(d, g, [['replace', 'groupType', [String(GT.UNIVERSAL)]]]);
  await mod(d, g, [['replace', 'groupType', [String(GT.LOCAL)]]]);
  assert.equal(first(g, 'sAMAccountType'), 0x20000000);
  await mod(d, g, [['replace', 'groupType', [String(GT.UNIVERSAL)]]]);
  await mod(d, g, [['replace', 'groupType', [String(GT.GLOBAL)]]]);
  assert.equal(first(g, 'sAMAccountType'), 0x10000000);
});

test('MS-ADTS 3.1.1.5.2.2: tolerated attributes on add are ignored — the DSA sets name, distinguishedName, instanceType, whenCreated, uSNCreated', async () => {
  const dn = `CN=Tol${++counter},${USERS}`;
  await rawAdd(dn, [
    ['objectClass', ['contact']],
    ['name', ['somethingElse']],
    ['distinguishedName', [`CN=other,${USERS}`]],
    ['instanceType', ['4']],
    ['isDeleted', ['FALSE']],
    ['whenCreated', ['20000101000000.0Z']],
    ['uSNCreated', ['1']],
    ['uSNChanged', ['1']],
  ]);
  const { rec } = read(d, dn);
  assert.equal(values(d, rec, 'name')[0], `Tol${counter}`);
  assert.equal(values(d, rec, 'instanceType')[0], 4);
  assert.equal(values(d, rec, 'isDeleted').length, 0);
  assert.ok(rec.usnCreated > 1);
  assert.notEqual(values(d, rec, 'whenCreated')[0], 0);
  // a cn that differs only in case is accepted; the DN's value is stored
  const c = `CN=MiXed${counter},${COMPUTERS}`;
  await addObject(d, c, { objectClass: 'computer', cn: `mixed${counter}` });
  assert.equal(first(c, 'cn'), `MiXed${counter}`);
});

test('undelete: a user gets back adminCount and operatorCount 0 and its SAM attributes (tombstone_reanimation.py test_restore_user)', async () => {
  const u = await user();
  await deleteAndUndelete(u, u);
  for (const [n, v] of [['adminCount', 0], ['operatorCount', 0], ['badPwdCount', 0], ['logonCount', 0], ['primaryGroupID', 513]] as const) assert.equal(first(u, n), v, n);
  assert.equal(first(u, 'userAccountControl'), 546);
  // contrast: a container has none of them
  const c = `CN=${fresh('x')},${DOMAIN}`;
  await addObject(d, c, { objectClass: 'container' });
  await deleteAndUndelete(c, c);
  assert.equal(first(c, 'adminCount'), undefined);
});

test('servicePrincipalName follows dNSHostName and sAMAccountName (the SPN parts naming the old host or account)', async () => {
  const c = `CN=Old${++counter},${COMPUTERS}`;
  const n = counter;
  await addObject(d, c, { objectClass: 'computer', sAMAccountName: `old${n}$`, dNSHostName: `old${n}.example.com`, servicePrincipalName: [`HOST/old${n}.example.com`, `HOST/OLD${n}`, `ldap/other${n}.example.com`] });
  await mod(d, c, [['replace', 'dNSHostName', [`new${n}.example.com`]]]);
  const spns = () => (values(d, read(d, c).rec, 'servicePrincipalName') as string[]).slice().sort();
  assert.deepEqual(spns(), [`HOST/OLD${n}`, `HOST/new${n}.example.com`, `ldap/other${n}.example.com`].sort());
  await mod(d, c, [['replace', 'sAMAccountName', [`new${n}$`]]]);
  assert.deepEqual(spns(), [`HOST/new${n}`, `HOST/new${n}.example.com`, `ldap/other${n}.example.com`].sort());
  // contrast: another attribute changes nothing
  await mod(d, c, [['replace', 'description', ['x']]]);
  assert.deepEqual(spns(), [`HOST/new${n}`, `HOST/new${n}.example.com`, `ldap/other${n}.example.com`].sort());
});

test('constructed: msDS-KeyVersionNumber is the dwVersion of unicodePwd (MS-ADTS 3.1.1.4.5.16); msDS-isRODC FALSE on this writable DC (nTDSDSA, server, computer)', async () => {
  const read1 = async (dn: string, a: string) => (await run(d, request(dn, '(objectClass=*)', { scope: 0, attributes: [a] }))).entries[0]!.attrs.get(a.toLowerCase());
  const u = await user();
  assert.equal(await read1(u, 'msDS-KeyVersionNumber'), undefined, 'no password yet: no key version');
  await mod(d, u, [['replace', 'unicodePwd', [pwd('Kvno-Passw0rd1')]]]);
  assert.deepEqual(await read1(u, 'msDS-KeyVersionNumber'), ['1']);
  await mod(d, u, [['replace', 'unicodePwd', [pwd('Kvno-Passw0rd2')]]]);
  assert.deepEqual(await read1(u, 'msDS-KeyVersionNumber'), ['2']);
  const dsa = dsaDN();
  assert.deepEqual(await read1(dsa, 'msDS-isRODC'), ['FALSE']);
  const server = dsa.slice(dsa.indexOf(',') + 1);
  assert.deepEqual(await read1(server, 'msDS-isRODC'), ['FALSE']);
  const ref = d.schema.attr('serverReference')!;
  const [link] = [...d.store.reader.links(read(d, server).guid, ref.forwardLinkId!)];
  const dcComputer = d.dnOf(d.store.reader, Buffer.from(link!.target));
  assert.deepEqual(await read1(dcComputer, 'msDS-isRODC'), ['FALSE']);
  assert.equal(first(dcComputer, 'isCriticalSystemObject'), true, 'the DC account is a critical system object');
  // contrast: not on other objects
  assert.equal(await read1(u, 'msDS-isRODC'), undefined);
});

test('constructed: msDS-isGC (MS-ADTS 3.1.1.4.5.31) follows NTDSDSA_OPT_IS_GC of the nTDSDSA options, read on the nTDSDSA, its server and the DC computer; msDS-SiteName (3.1.1.4.5.29) names their site', async () => {
  const read1 = async (dn: string, a: string) => (await run(d, request(dn, '(objectClass=*)', { scope: 0, attributes: [a] }))).entries[0]!.attrs.get(a.toLowerCase());
  const dsa = dsaDN();
  const server = dsa.slice(dsa.indexOf(',') + 1);
  const ref = d.schema.attr('serverReference')!;
  const [link] = [...d.store.reader.links(read(d, server).guid, ref.forwardLinkId!)];
  const dcComputer = d.dnOf(d.store.reader, Buffer.from(link!.target));
  const options = first(dsa, 'options') as number;
  assert.equal(options & 1, 1, 'the provisioned DC is a GC');
  for (const dn of [dsa, server, dcComputer]) assert.deepEqual(await read1(dn, 'msDS-isGC'), ['TRUE'], dn);
  // the negative control: the GC bit cleared, every one of them says FALSE
  await mod(d, dsa, [['replace', 'options', [String(options & ~1)]]]);
  try {
    for (const dn of [dsa, server, dcComputer]) assert.deepEqual(await read1(dn, 'msDS-isGC'), ['FALSE'], dn);
  } finally {
    await mod(d, dsa, [['replace', 'options', [String(options)]]]);
  }
  // not on other objects
  assert.equal(await read1(USERS, 'msDS-isGC'), undefined);
  // msDS-SiteName (MS-ADTS 3.1.1.4.5.29): the site the server object lies under, on all three; not elsewhere
  const site = /,CN=Servers,CN=([^,]+),CN=Sites,/i.exec(dsa)![1]!;
  for (const dn of [dsa, server, dcComputer]) assert.deepEqual(await read1(dn, 'msDS-SiteName'), [site], dn);
  assert.equal(await read1(USERS, 'msDS-SiteName'), undefined);
});

test('servicePrincipalName uniqueness compares whole values: long SPNs sharing the indexed prefix are distinct', async () => {
  const prefix = `HTTP/${'y'.repeat(600)}`;
  await user({ servicePrincipalName: `${prefix}/1` });
  await user({ servicePrincipalName: `${prefix}/2` });
  // contrast: the same long value is refused
  await rejects(user({ servicePrincipalName: `${prefix}/1` }), 19, /^000021C7: /);
});
