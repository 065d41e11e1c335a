// The security context built at bind (MS-ADTS 5.1.3; group expansion of MS-ADTS 3.1.1.4.5.19–21).
import test from 'node:test';
import assert from 'node:assert/strict';
import { fixture, addObject, mod, pwd, ctx, USERS } from './dsa-fixture.js';
import { bind } from '../../src/dsa/bind.js';
import { primaryGroupSid, expandGroups } from '../../src/dsa/access/token.js';
import { sidFromString, sidToString } from '../../src/schema/syntaxes/string-sid.js';

test('MS-DTYP 2.4.2.2: the primary group SID has one sub-authority less than the account SID before the RID is added', () => {
  const s = primaryGroupSid(Buffer.from(sidFromString('S-1-5-21-1-2-3-1105')), 513);
  assert.equal(sidToString(s), 'S-1-5-21-1-2-3-513');
  assert.equal(s[1], 5, 'SubAuthorityCount');
  assert.equal(s.length, 8 + 4 * 5);
});

test('MS-ADTS 3.1.1.4.5.19: the token holds the primary group, nested and domain local security groups, the well-known SIDs; not distribution groups', async () => {
  const { d, close } = await fixture();
  try {
    await addObject(d, `CN=tok,${USERS}`, { objectClass: 'user', sAMAccountName: 'tok', userAccountControl: '512' });
    await mod(d, `CN=tok,${USERS}`, [['replace', 'unicodePwd', [pwd('T0ken-Passw0rd!')]]]);
    await addObject(d, `CN=GG,${USERS}`, { objectClass: 'group', sAMAccountName: 'GG', groupType: '-2147483646', member: `CN=tok,${USERS}` });
    await addObject(d, `CN=Outer,${USERS}`, { objectClass: 'group', sAMAccountName: 'Outer', groupType: '-2147483640', member: `CN=GG,${USERS}` });
    await addObject(d, `CN=DL,${USERS}`, { objectClass: 'group', sAMAccountName: 'DL', groupType: '-2147483644', member: `CN=tok,${USERS}` });
    await addObject(d, `CN=Dist,${USERS}`, { objectClass: 'group', sAMAccountName: 'Dist', groupType: '2', member: `CN=tok,${USERS}` });
    const c = ctx();
    const r = await bind(d, { type: 'bindRequest', version: 3, name: 'tok@example.com', authentication: { method: 'simple', password: Buffer.from('T0ken-Passw0rd!') } } as never, c);
    const t = r.identity!.token!;
    const sidOf = (dn: string) => sidToString(d.store.reader.getObject(d.resolve(d.store.reader, dn, 'test'))!.attrs.find((a) => a.id === d.schema.attr('objectSid')!.id)!.values[0] as Uint8Array);
    const groups = t.groups.map(sidToString);
    const dom = sidToString(d.forest.domainSid);
    assert.equal(sidToString(t.primaryGroup!), `${dom}-513`);
    for (const g of [`${dom}-513`, sidOf(`CN=GG,${USERS}`), sidOf(`CN=Outer,${USERS}`), sidOf(`CN=DL,${USERS}`), 'S-1-5-32-545', 'S-1-5-32-554']) assert.ok(groups.includes(g), `token has ${g}`);
    assert.ok(!groups.includes(sidOf(`CN=Dist,${USERS}`)), 'a distribution group is not in the token');
    assert.deepEqual(t.wellKnown.map(sidToString), ['S-1-1-0', 'S-1-5-11', 'S-1-5-2', 'S-1-5-15']);
    assert.equal(t.privileges.size, 0, 'no privileges for an ordinary user');
    // tokenGroupsGlobalAndUniversal leaves out domain local and builtin local groups
    const g = d.resolve(d.store.reader, `CN=tok,${USERS}`, 'test');
    const e = expandGroups(d, d.store.reader, g);
    const gu = e.globalAndUniversal.map(sidToString);
    assert.ok(gu.includes(sidOf(`CN=Outer,${USERS}`)) && !gu.includes(sidOf(`CN=DL,${USERS}`)));
    // the administrator gets the privileges of BUILTIN\Administrators
    const a = await bind(d, { type: 'bindRequest', version: 3, name: 'Administrator@example.com', authentication: { method: 'simple', password: Buffer.from('Passw0rd!') } } as never, ctx());
    assert.ok(a.identity!.token!.privileges.has('SeSecurityPrivilege'));
  } finally {
    await close();
  }
});
