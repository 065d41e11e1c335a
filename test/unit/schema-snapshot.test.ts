import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadBootstrapSchema, findPackageRoot } from '../../src/schema/bootstrap.js';
import { SchemaSnapshot, SECRET_ATTRIBUTES } from '../../src/schema/snapshot.js';
import { resolveSchemaDn, type AttributeSchema, type ClassSchema } from '../../src/schema/types.js';

const boot = loadBootstrapSchema();
const s = new SchemaSnapshot(boot.attributes, boot.classes, boot.prefixTable);

test('bootstrap data: counts and decoded types', () => {
  assert.equal(s.attributes.length, 1499);
  assert.equal(s.classes.length, 269);
  const ae = s.attributeByName('accountExpires')!;
  assert.equal(ae.schemaIDGUID, 'bf967915-0de6-11d0-a285-00aa003049e2');
  assert.equal(ae.attributeSecurityGUID, '4c164200-20c0-11d0-a768-00aa006e0529');
  assert.equal(ae.oMSyntax, 65);
  assert.equal(ae.isSingleValued, true);
  assert.equal(ae.searchFlags, 16);
  const member = s.attributeByName('member')!;
  assert.equal(member.oMObjectClass, '2b0c0287731c00854a'); // 1.3.12.2.1011.28.0.714 Object(DS-DN)
  assert.equal(s.attributeByName('cn')!.rangeUpper, 64);
  const user = s.classByName('user')!;
  assert.equal(user.schemaIDGUID, 'bf967aba-0de6-11d0-a285-00aa003049e2');
  assert.equal(user.objectClassCategory, 1);
  assert.ok(user.defaultSecurityDescriptor?.startsWith('D:'));
  assert.equal(resolveSchemaDn(user.defaultObjectCategory, 'CN=Schema,CN=Configuration,DC=x,DC=y'), 'CN=Person,CN=Schema,CN=Configuration,DC=x,DC=y');
  // The domainDNS SD in the LDF is folded without leading spaces; it must equal samDomain's.
  assert.equal(s.classByName('domainDNS')!.defaultSecurityDescriptor, s.classByName('samDomain')!.defaultSecurityDescriptor);
  assert.ok(existsSync(join(findPackageRoot(), 'package.json')));
  assert.ok(existsSync(join(findPackageRoot(), 'data', 'schema', 'attributes.json')));
});

test('attribute lookups: name (case-insensitive), OID, ATTRTYP, GUID', () => {
  const cn = s.attributeByName('CN')!;
  assert.equal(cn.lDAPDisplayName, 'cn');
  assert.equal(s.attributeByName('sAMACCOUNTNAME')!.attributeID, '1.2.840.113556.1.4.221');
  assert.equal(s.attributeByOid('2.5.4.3'), cn);
  assert.equal(cn.attributeId, 3);
  assert.equal(s.attributeByAttrTyp(3), cn);
  assert.equal(s.attributeByAttrTyp(0)!.lDAPDisplayName, 'objectClass');
  assert.equal(s.attributeByGuid('BF96793F-0DE6-11D0-A285-00AA003049E2'), cn);
  assert.equal(s.resolveAttribute('2.5.4.3'), cn);
  assert.equal(s.resolveAttribute('OID.2.5.4.3'), cn);
  assert.equal(s.resolveAttribute('Cn'), cn);
  assert.equal(s.attributeByName('noSuchAttribute'), undefined);
  assert.deepEqual(s.syntaxOf(cn), { attributeSyntax: '2.5.5.12', oMSyntax: 64 });
});

test('linkID lookups and forward/back pairing', () => {
  const member = s.attributeByLinkId(2)!;
  const memberOf = s.attributeByLinkId(3)!;
  assert.equal(member.lDAPDisplayName, 'member');
  assert.equal(memberOf.lDAPDisplayName, 'memberOf');
  assert.ok(s.isForwardLink(member) && !s.isBackLink(member));
  assert.ok(s.isBackLink(memberOf));
  assert.equal(s.linkPartner(member), memberOf);
  assert.equal(s.linkPartner(memberOf), member);
  assert.equal(s.linkPartner(s.attributeByName('manager')!)!.lDAPDisplayName, 'directReports');
  for (const a of s.attributes) {
    if (a.linkID === undefined || a.linkID % 2 === 0) continue;
    const fwd = s.linkPartner(a);
    assert.ok(fwd, `back link ${a.lDAPDisplayName} has a forward link`);
    assert.equal(fwd.linkID, a.linkID - 1);
  }
});

test('defunct attributes resolve by OID but not by name (MS-ADTS 3.1.1.2.5.3)', () => {
  const d = s.attributes.find((a) => a.isDefunct)!;
  assert.equal(d.lDAPDisplayName, 'msDS-DrsFarmID');
  assert.equal(s.attributeByName('msDS-DrsFarmID'), undefined);
  assert.equal(s.attributeByName('msds-drsfarmid', { includeDefunct: true }), d);
  assert.equal(s.attributeByOid(d.attributeID), d);
  assert.equal(s.attributeByAttrTyp(d.attributeId), d);
});

test('class lookups and superclass chains', () => {
  const user = s.classByName('USER')!;
  assert.equal(s.classByOid('1.2.840.113556.1.5.9'), user);
  assert.equal(s.classByAttrTyp(user.classId), user);
  assert.equal(user.classId, 0x000a0009);
  assert.equal(s.resolveClass('1.2.840.113556.1.5.9'), user);
  assert.deepEqual(s.classInfo('user')!.chain, ['top', 'person', 'organizationalPerson', 'user']);
  assert.deepEqual(s.classInfo('computer')!.chain, ['top', 'person', 'organizationalPerson', 'user', 'computer']);
  assert.deepEqual(s.classInfo('top')!.chain, ['top']);
  assert.deepEqual(s.classInfo('group')!.chain, ['top', 'group']);
  for (const info of s.allClassInfo()) {
    assert.equal(info.chain[0], 'top');
    assert.equal(info.chain[info.chain.length - 1], info.lDAPDisplayName);
  }
});

test('must/may closure includes inherited and auxiliary attributes', () => {
  const user = s.classInfo('user')!;
  // sAMAccountName comes from the systemAuxiliaryClass securityPrincipal.
  assert.ok(user.auxiliaryClasses.includes('securityPrincipal'));
  assert.ok(user.allowedAttributes.has('sAMAccountName'));
  assert.ok(user.mustContain.has('sAMAccountName'));
  assert.ok(user.mustContain.has('objectSid'));
  for (const a of ['objectClass', 'objectCategory', 'nTSecurityDescriptor', 'instanceType', 'cn']) {
    assert.ok(user.mustContain.has(a), a);
  }
  for (const a of ['userAccountControl', 'givenName', 'sn', 'telephoneNumber', 'description', 'unicodePwd', 'mail', 'uidNumber']) {
    assert.ok(user.mayContain.has(a), a);
  }
  for (const a of user.mustContain) assert.ok(!user.mayContain.has(a));
  assert.ok(s.classInfo('computer')!.allowedAttributes.has('dNSHostName'));
  assert.ok(s.classInfo('computer')!.allowedAttributes.has('sAMAccountName'));
  const g = s.classInfo('group')!;
  assert.ok(g.mustContain.has('groupType'));
  assert.ok(g.mayContain.has('member'));
  const { must, may } = s.attributesForClasses(['top', 'organizationalUnit']);
  assert.ok(must.has('ou'));
  assert.ok(may.has('gPLink'));
});

test('possSuperiors, rDNAttID, default objectCategory', () => {
  const user = s.classInfo('user')!;
  assert.ok(user.possSuperiors.has('organizationalUnit'));
  assert.ok(user.possSuperiors.has('container'));
  assert.ok(user.possSuperiors.has('domainDNS'));
  assert.equal(s.classInfo('organizationalUnit')!.rDNAttID, 'ou');
  assert.equal(s.classInfo('domainDNS')!.rDNAttID, 'dc');
  assert.equal(s.classInfo('user')!.rDNAttID, 'cn');
  assert.equal(s.classInfo('user')!.defaultObjectCategoryRdn, 'CN=Person');
  assert.equal(s.classInfo('computer')!.defaultObjectCategoryRdn, 'CN=Computer');
  assert.equal(s.classInfo('organizationalUnit')!.objectClassCategory, 1);
  assert.equal(s.classInfo('top')!.objectClassCategory, 2);
  assert.equal(s.classInfo('securityPrincipal')!.objectClassCategory, 3);
  assert.ok(s.rdnAttributeIds.has(s.attributeByName('ou')!.attributeId));
  assert.ok(s.rdnAttributeIds.has(3));
});

test('constructed, non-replicated, operational and secret attributes', () => {
  for (const n of ['allowedAttributes', 'tokenGroups', 'msDS-User-Account-Control-Computed', 'canonicalName']) {
    assert.ok(s.isConstructed(n), n);
  }
  assert.ok(!s.isConstructed('cn'));
  for (const n of ['lastLogon', 'badPwdCount', 'logonCount']) assert.ok(s.nonReplicatedAttributes.has(n), n);
  assert.ok(!s.isReplicated('lastLogon'));
  assert.ok(!s.isReplicated('tokenGroups'));
  assert.ok(s.isReplicated('lastLogonTimestamp'));
  assert.ok(s.isOperational('nTSecurityDescriptor'));
  assert.equal(s.secretAttributes.size, SECRET_ATTRIBUTES.length);
  for (const n of ['unicodePwd', 'dBCSPwd', 'ntPwdHistory', 'lmPwdHistory', 'supplementalCredentials', 'trustAuthIncoming']) {
    assert.ok(s.isSecret(n), n);
  }
  assert.ok(!s.isSecret('userPassword'));
});

test('snapshot is immutable', () => {
  assert.ok(Object.isFrozen(s));
  assert.ok(Object.isFrozen(s.attributes));
  assert.ok(Object.isFrozen(s.attributeByName('cn')));
  assert.ok(Object.isFrozen(s.classByName('user')!.systemMayContain));
  assert.ok(s.prefixTable.frozen);
  assert.throws(() => {
    (s.attributeByName('cn') as { isSingleValued: boolean }).isSingleValued = false;
  });
});

// The build time of the full schema is a benchmark: node dist/bench/schema.bench.js

test('strict mode rejects dangling references; lenient mode reports them', () => {
  const b = loadBootstrapSchema();
  const bad: ClassSchema = { ...b.classes.find((c) => c.lDAPDisplayName === 'person')!, lDAPDisplayName: 'xPerson', governsID: '1.2.3.4.5', classId: 0x7ffe0001, schemaIDGUID: '00000000-0000-0000-0000-000000000001', mayContain: ['noSuchAttr'] };
  assert.throws(() => new SchemaSnapshot(b.attributes, [...b.classes, bad]), /noSuchAttr/);
  const b2 = loadBootstrapSchema();
  const bad2: ClassSchema = { ...bad, mayContain: ['noSuchAttr'] };
  const lenient = new SchemaSnapshot(b2.attributes as AttributeSchema[], [...b2.classes, bad2], undefined, { strict: false });
  assert.equal(lenient.problems.length, 1);
  assert.ok(lenient.classInfo('xPerson')!.mustContain.has('cn'));
});
