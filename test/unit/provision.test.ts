// A provisioned forest: the three NCs, exactly the schema objects of the bundled data, the
// well-known objects and principals with their RIDs, and schema updates over the DSA.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { provision, ProvisionError } from '../../src/dsa/provision/provision.js';
import { Directory } from '../../src/dsa/directory.js';
import { ReadContext } from '../../src/dsa/object-view.js';
import { add } from '../../src/dsa/add.js';
import { sidToString } from '../../src/schema/syntaxes/index.js';
import { schemaDataDir } from '../../src/schema/bootstrap.js';
import { verifyNtHash } from '../../src/security/password.js';
import { decodeSecurityDescriptor } from '../../src/security/security-descriptor.js';
import type { OperationContext } from '../../src/dsa/api.js';
import { tempDir } from '../helpers/tmp.js';
import { AD, expectAdError } from '../helpers/ad-errors.js';
import { LdapError } from '../../src/ldap/protocol/result-codes.js';

let dir: Directory;
let cleanup: () => void;
let data: string;
const ctx: OperationContext = { session: { id: 1, identity: null, encrypted: true, globalCatalog: false, remoteAddress: 'test' }, controls: [], signal: new AbortController().signal };
const attr = (type: string, ...values: string[]) => ({ type, values: values.map((v) => Buffer.from(v)) });

before(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  data = join(t.dir, 'd');
  dir = (await provision({ dataDir: data, realm: 'example.com', netbios: 'EXAMPLE', adminPassword: 'Passw0rd!' })).directory;
});
after(async () => {
  await dir?.close();
  cleanup?.();
});

test('the schema NC holds exactly the attributeSchema and classSchema objects of the data', () => {
  const attrs = JSON.parse(readFileSync(join(schemaDataDir(), 'attributes.json'), 'utf8')) as { cn: string }[];
  const classes = JSON.parse(readFileSync(join(schemaDataDir(), 'classes.json'), 'utf8')) as { cn: string }[];
  assert.equal(attrs.length, 1499);
  assert.equal(classes.length, 269);
  const r = dir.store.reader;
  const rc = new ReadContext(dir, r);
  let nAttr = 0;
  let nClass = 0;
  const names = new Set<string>();
  for (const g of r.children(dir.forest.schemaNC)) {
    const v = rc.view(g)!;
    const oc = v.objectClassNames();
    if (oc.includes('attributeSchema')) nAttr++;
    else if (oc.includes('classSchema')) nClass++;
    names.add(v.rec.name);
  }
  assert.equal(nAttr, 1499);
  assert.equal(nClass, 269);
  for (const a of [...attrs, ...classes]) assert.ok(names.has(a.cn), `CN=${a.cn} is in the schema NC`);
  assert.ok(names.has('Aggregate'));
  // the schema cache was rebuilt from the NC, not from the bundled files
  assert.equal(dir.schema.snapshot.attributes.length, 1499);
  assert.equal(dir.schema.snapshot.classes.length, 269);
  const head = rc.view(dir.forest.schemaNC)!;
  assert.equal(head.first('objectVersion'), 88);
  const schemaInfo = head.first('schemaInfo') as Buffer;
  assert.equal(schemaInfo.length, 21);
  assert.equal(schemaInfo[0], 0xff);
});

test('NC heads: instanceType, and the DC tuple', () => {
  const rc = new ReadContext(dir, dir.store.reader);
  assert.equal(rc.view(dir.forest.domainNC)!.first('instanceType'), 5); // IT_NC_HEAD | IT_WRITE
  assert.equal(rc.view(dir.forest.configNC)!.first('instanceType'), 13); // | IT_NC_ABOVE
  assert.equal(rc.view(dir.forest.schemaNC)!.first('instanceType'), 13);
  const dsa = rc.view(dir.forest.dsaGuid)!;
  assert.equal(dsa.dn, dir.forest.dsaDN);
  assert.ok(Buffer.from(dsa.first('invocationId') as Uint8Array).equals(dir.store.dc.invocationId), 'invocationId of the nTDSDSA object = dc.invocationId');
  assert.ok(dsa.guid.equals(dir.store.dc.serverGuid), 'serverGuid = objectGUID of nTDSDSA');
});

test('well-known containers, principals with their RIDs, memberships, FSMO owner', () => {
  const r = dir.store.reader;
  const rc = new ReadContext(dir, r);
  const D = dir.forest.domainDN;
  const sidOf = (dn: string) => sidToString(rc.view(dir.resolve(r, dn, 't'))!.first('objectSid') as Uint8Array);
  const domainSid = sidToString(dir.forest.domainSid);
  assert.match(domainSid, /^S-1-5-21-\d+-\d+-\d+$/);
  for (const [dn, rid] of [
    ['CN=Administrator,CN=Users', 500],
    ['CN=Guest,CN=Users', 501],
    ['CN=krbtgt,CN=Users', 502],
    ['CN=Domain Admins,CN=Users', 512],
    ['CN=Domain Users,CN=Users', 513],
    ['CN=Domain Computers,CN=Users', 515],
    ['CN=Domain Controllers,CN=Users', 516],
    ['CN=Schema Admins,CN=Users', 518],
    ['CN=Enterprise Admins,CN=Users', 519],
    ['CN=Read-only Domain Controllers,CN=Users', 521],
  ] as const) {
    assert.equal(sidOf(`${dn},${D}`), `${domainSid}-${rid}`, dn);
  }
  assert.equal(sidOf(`CN=Administrators,CN=Builtin,${D}`), 'S-1-5-32-544');
  for (const c of ['CN=Users', 'CN=Computers', 'OU=Domain Controllers', 'CN=System', 'CN=Deleted Objects', 'CN=LostAndFound', 'CN=Infrastructure', 'CN=ForeignSecurityPrincipals', 'CN=Program Data', 'CN=NTDS Quotas', 'CN=Managed Service Accounts']) {
    assert.ok(dir.tryResolve(r, `${c},${D}`).found, c);
  }
  // <WKGUID=…> resolves through the NC head's wellKnownObjects
  const users = dir.resolve(r, `<WKGUID=a9d1ca15768811d1aded00c04fd8d5cd,${D}>`, 't');
  assert.equal(dir.dnOf(r, users), `CN=Users,${D}`);
  // Administrator is in Domain Admins and Administrators (back links)
  const admin = rc.view(dir.resolve(r, `CN=Administrator,CN=Users,${D}`, 't'))!;
  const memberOf = admin.values(dir.schema.attr('memberOf')!).map((v) => rc.ctx.dnOf(v as never));
  assert.ok(memberOf.includes(`CN=Domain Admins,CN=Users,${D}`));
  assert.ok(memberOf.includes(`CN=Administrators,CN=Builtin,${D}`));
  assert.ok(verifyNtHash('Passw0rd!', admin.first('unicodePwd') as Uint8Array));
  assert.equal(admin.first('sAMAccountType'), 0x30000000);
  // FSMO roles on this DC; the DC's computer account
  assert.equal(rc.ctx.dnOf(rc.view(dir.forest.domainNC)!.first('fSMORoleOwner') as never), dir.forest.dsaDN);
  const dc = rc.view(dir.forest.computerGuid)!;
  assert.equal(dc.first('userAccountControl'), 0x82000);
  assert.equal(dc.first('primaryGroupID'), 516);
  // default security descriptors were stored
  const sd = decodeSecurityDescriptor(admin.first('nTSecurityDescriptor') as Uint8Array);
  assert.ok(sd.dacl && sd.dacl.aces.length > 0);
});

test('provisioning refuses bad input and an existing forest', async () => {
  const t = tempDir();
  try {
    await assert.rejects(provision({ dataDir: join(t.dir, 'a'), realm: 'nodots', netbios: 'X', adminPassword: 'Passw0rd!' }), (e: unknown) => e instanceof ProvisionError && e.code === 'ERR_PROVISION_REALM');
    await assert.rejects(provision({ dataDir: join(t.dir, 'b'), realm: 'a.b', netbios: 'WAY-TOO-LONG-NAME', adminPassword: 'Passw0rd!' }), (e: unknown) => e instanceof ProvisionError && e.code === 'ERR_PROVISION_NETBIOS');
    await assert.rejects(provision({ dataDir: join(t.dir, 'c'), realm: 'a.b', netbios: 'AB', adminPassword: 'short' }), (e: unknown) => e instanceof ProvisionError && e.code === 'ERR_PROVISION_PASSWORD');
    // a directory that already holds a forest: the one this file provisioned (open), and a closed one
    const exists = (e: unknown) => e instanceof ProvisionError && e.code === 'ERR_PROVISION_EXISTS';
    await assert.rejects(provision({ dataDir: data, realm: 'a.b', netbios: 'AB', adminPassword: 'Passw0rd!' }), exists);
    const other = await provision({ dataDir: join(t.dir, 'd'), realm: 'a.b', netbios: 'AB', adminPassword: 'Passw0rd!' });
    await other.directory.close();
    await assert.rejects(provision({ dataDir: join(t.dir, 'd'), realm: 'c.d', netbios: 'CD', adminPassword: 'Passw0rd!' }), exists);
  } finally {
    t.cleanup();
  }
});

test('schema update: a new attribute and class, then an object using them', async () => {
  const S = dir.forest.schemaDN;
  const infoBefore = Buffer.from(new ReadContext(dir, dir.store.reader).view(dir.forest.schemaNC)!.first('schemaInfo') as Uint8Array).readUInt32BE(1);
  await add(dir, { type: 'addRequest', entry: `CN=forestd-Test-Color,${S}`, attributes: [attr('objectClass', 'attributeSchema'), attr('attributeID', '1.3.6.1.4.1.99999.1.1'), attr('attributeSyntax', '2.5.5.12'), attr('oMSyntax', '64'), attr('isSingleValued', 'TRUE')] }, ctx);
  assert.equal(dir.schema.attr('forestdTestColor')?.syntax.name, 'String(Unicode)', 'lDAPDisplayName derived from cn; cache refreshed');
  await add(dir, { type: 'addRequest', entry: `CN=forestd-Test-Widget,${S}`, attributes: [attr('objectClass', 'classSchema'), attr('governsID', '1.3.6.1.4.1.99999.2.1'), attr('subClassOf', 'top'), attr('objectClassCategory', '1'), attr('possSuperiors', 'organizationalUnit', 'container'), attr('mayContain', 'forestdTestColor')] }, ctx);
  const after = Buffer.from(new ReadContext(dir, dir.store.reader).view(dir.forest.schemaNC)!.first('schemaInfo') as Uint8Array).readUInt32BE(1);
  assert.equal(after, infoBefore + 2, 'schemaInfo version rose with each schema update');
  await add(dir, { type: 'addRequest', entry: `CN=w1,CN=Users,${dir.forest.domainDN}`, attributes: [attr('objectClass', 'forestdTestWidget'), attr('forestdTestColor', 'blue')] }, ctx);
  const r = dir.store.reader;
  const w = new ReadContext(dir, r).view(dir.resolve(r, `CN=w1,CN=Users,${dir.forest.domainDN}`, 't'))!;
  assert.deepEqual(w.objectClassNames(), ['top', 'forestdTestWidget']);
  assert.deepEqual(w.values(dir.schema.attr('forestdTestColor')!), ['blue']);
  // the new class's objectCategory defaulted to itself
  assert.equal(new ReadContext(dir, r).ctx.dnOf(w.first('objectCategory') as never), `CN=forestd-Test-Widget,${S}`);
  // survives a restart: the cache is rebuilt from the NC
  await dir.close();
  dir = Directory.open(data);
  assert.ok(dir.schema.attr('forestdTestColor'));
  assert.ok(dir.schema.cls('forestdTestWidget'));
});

test('schema update refusals: duplicate OID, duplicate name, bad syntax pair, unknown mayContain', async () => {
  const S = dir.forest.schemaDN;
  const addAttr = (cn: string, ...extra: ReturnType<typeof attr>[]) => add(dir, { type: 'addRequest', entry: `CN=${cn},${S}`, attributes: [attr('objectClass', 'attributeSchema'), ...extra] }, ctx);
  // each refusal is AD's for a schema rule it breaks (the rows' spec sections), not forestd's wording
  const refused = (_rule: string) => (e: unknown) => {
    assert.ok(e instanceof LdapError, String(e));
    expectAdError(e.resultCode, e.diagnosticMessage, AD.SCHEMA_REFUSED);
    return true;
  };
  await assert.rejects(addAttr('dup-oid', attr('attributeID', '1.2.840.113556.1.4.221'), attr('attributeSyntax', '2.5.5.12'), attr('oMSyntax', '64')), refused('attributeID unique (MS-ADTS 3.1.1.2.5.1)'));
  await assert.rejects(addAttr('dup-name', attr('lDAPDisplayName', 'sAMAccountName'), attr('attributeID', '1.3.6.1.4.1.99999.1.2'), attr('attributeSyntax', '2.5.5.12'), attr('oMSyntax', '64')), refused('lDAPDisplayName unique'));
  await assert.rejects(addAttr('bad-syntax', attr('attributeID', '1.3.6.1.4.1.99999.1.3'), attr('attributeSyntax', '2.5.5.12'), attr('oMSyntax', '2')), refused('attributeSyntax/oMSyntax a valid pair (MS-ADTS 3.1.1.2.2.2)'));
  await assert.rejects(
    add(dir, { type: 'addRequest', entry: `CN=bad-class,${S}`, attributes: [attr('objectClass', 'classSchema'), attr('governsID', '1.3.6.1.4.1.99999.2.2'), attr('subClassOf', 'top'), attr('objectClassCategory', '1'), attr('mayContain', '1.3.6.1.4.1.99999.404')] }, ctx),
    refused('mayContain names attributes'),
  );
  // a linkID asked for with 1.2.840.113556.1.2.50 is generated (even: a forward link)
  await addAttr('forestd-Test-Link', attr('attributeID', '1.3.6.1.4.1.99999.1.4'), attr('attributeSyntax', '2.5.5.1'), attr('oMSyntax', '127'), attr('linkID', '1.2.840.113556.1.2.50'), attr('isSingleValued', 'FALSE'));
  const fwd = dir.schema.attr('forestdTestLink')!;
  assert.ok(fwd.forwardLinkId !== undefined && fwd.forwardLinkId % 2 === 0, `forward linkID ${fwd.forwardLinkId}`);
  await addAttr('forestd-Test-Link-BL', attr('attributeID', '1.3.6.1.4.1.99999.1.5'), attr('attributeSyntax', '2.5.5.1'), attr('oMSyntax', '127'), attr('linkID', 'forestdTestLink'), attr('isSingleValued', 'FALSE'));
  assert.equal(dir.schema.attr('forestdTestLinkBL')!.backLinkOf?.name, 'forestdTestLink');
});
