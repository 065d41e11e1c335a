// The security context built at bind (MS-ADTS 5.1.3; group expansion of MS-ADTS 3.1.1.4.5.19–21).
import test from 'node:test';
import assert from 'node:assert/strict';
import { fixture, addObject, mod, pwd, ctx, USERS } from './dsa-fixture.js';
import { bind } from '../../src/dsa/bind.js';
import { primaryGroupSid, expandGroups } from '../../src/dsa/access/token.js';
import { modifyDN } from '../../src/dsa/modify-dn.js';
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

const PASSWORD = 'T0ken-Passw0rd!';
type Dir = Awaited<ReturnType<typeof fixture>>['d'];

/** An enabled user CN=<name> under CN=Users with PASSWORD. */
async function user(d: Dir, name: string): Promise<void> {
  await addObject(d, `CN=${name},${USERS}`, { objectClass: 'user', sAMAccountName: name, userAccountControl: '512' });
  await mod(d, `CN=${name},${USERS}`, [['replace', 'unicodePwd', [pwd(PASSWORD)]]]);
}

/** The identity a simple bind as <name>@example.com gets. */
async function logonAs(d: Dir, name: string) {
  const r = await bind(d, { type: 'bindRequest', version: 3, name: `${name}@example.com`, authentication: { method: 'simple', password: Buffer.from(PASSWORD) } } as never, ctx());
  return r.identity!;
}

/** An enabled user CN=<name> under CN=Users, member of a new global security group CN=<group>; the group's SID. */
async function userInGroup(d: Dir, name: string, group: string): Promise<string> {
  await user(d, name);
  await addObject(d, `CN=${group},${USERS}`, { objectClass: 'group', sAMAccountName: group, groupType: '-2147483646', member: `CN=${name},${USERS}` });
  return objectSidOf(d, `CN=${group},${USERS}`);
}

function objectSidOf(d: Dir, dn: string): string {
  return sidToString(d.store.reader.getObject(d.resolve(d.store.reader, dn, 'test'))!.attrs.find((a) => a.id === d.schema.attr('objectSid')!.id)!.values[0] as Uint8Array);
}

test('MS-ADTS 3.1.1.1.9: a bind sees a group changed since the last bind (the group facts remembered per uSNChanged)', async () => {
  const { d, close } = await fixture();
  try {
    await user(d, 'tok2');
    await addObject(d, `CN=Flip,${USERS}`, { objectClass: 'group', sAMAccountName: 'Flip', groupType: '-2147483646', member: `CN=tok2,${USERS}` });
    await addObject(d, `CN=Gone,${USERS}`, { objectClass: 'group', sAMAccountName: 'Gone', groupType: '-2147483646', member: `CN=tok2,${USERS}` });
    const logon = () => logonAs(d, 'tok2');
    const sidOf = (dn: string) => objectSidOf(d, dn);
    const flip = sidOf(`CN=Flip,${USERS}`);
    const gone = sidOf(`CN=Gone,${USERS}`);
    const first = (await logon()).token!.groups.map(sidToString);
    assert.ok(first.includes(flip) && first.includes(gone), 'both security groups are in the first token');
    // the same bind again: same groups (served from the remembered facts)
    assert.deepEqual((await logon()).token!.groups.map(sidToString), first);
    // a security group made a distribution group leaves the token at the next bind
    await mod(d, `CN=Flip,${USERS}`, [['replace', 'groupType', ['2']]]);
    const second = (await logon()).token!.groups.map(sidToString);
    assert.ok(!second.includes(flip), 'a distribution group is not in the token');
    assert.ok(second.includes(gone));
    // and back
    await mod(d, `CN=Flip,${USERS}`, [['replace', 'groupType', ['-2147483646']]]);
    assert.ok((await logon()).token!.groups.map(sidToString).includes(flip), 'a security group again');
  } finally {
    await close();
  }
});

test('identityOf: isAdmin follows the token (Domain Admins through a nested group), not for an ordinary member', async () => {
  const { d, close } = await fixture();
  try {
    await user(d, 'adm2');
    await user(d, 'plain2');
    await addObject(d, `CN=Ops2,${USERS}`, { objectClass: 'group', sAMAccountName: 'Ops2', groupType: '-2147483646', member: `CN=adm2,${USERS}` });
    await mod(d, `CN=Domain Admins,${USERS}`, [['add', 'member', [`CN=Ops2,${USERS}`]]]);
    assert.equal((await logonAs(d, 'adm2')).isAdmin, true);
    assert.equal((await logonAs(d, 'plain2')).isAdmin, false);
  } finally {
    await close();
  }
});

test('MS-ADTS 3.1.1.4.5.19: a membership added or removed since the last bind counts at the next bind (walks remembered per committed state)', async () => {
  const { d, close } = await fixture();
  try {
    await user(d, 'tok3');
    await addObject(d, `CN=Top3,${USERS}`, { objectClass: 'group', sAMAccountName: 'Top3', groupType: '-2147483646' });
    await addObject(d, `CN=Mid3,${USERS}`, { objectClass: 'group', sAMAccountName: 'Mid3', groupType: '-2147483646' });
    const groups = async () => (await logonAs(d, 'tok3')).token!.groups.map(sidToString);
    const sidOf = (dn: string) => objectSidOf(d, dn);
    const top = sidOf(`CN=Top3,${USERS}`);
    const mid = sidOf(`CN=Mid3,${USERS}`);
    const before = await groups();
    assert.ok(!before.includes(top) && !before.includes(mid));
    // Domain Users (the primary group) walked once; a group nested under it later still counts
    await mod(d, `CN=Mid3,${USERS}`, [['add', 'member', [`CN=tok3,${USERS}`]]]);
    let now = await groups();
    assert.ok(now.includes(mid) && !now.includes(top), 'the new direct group, nothing above it yet');
    await mod(d, `CN=Top3,${USERS}`, [['add', 'member', [`CN=Mid3,${USERS}`]]]);
    now = await groups();
    assert.ok(now.includes(mid) && now.includes(top), 'the group above the direct group');
    await mod(d, `CN=Top3,${USERS}`, [['add', 'member', [`CN=Domain Users,${USERS}`]]]);
    await mod(d, `CN=Top3,${USERS}`, [['delete', 'member', [`CN=Mid3,${USERS}`]]]);
    now = await groups();
    assert.ok(now.includes(top), 'Top3 now through the primary group');
    await mod(d, `CN=Top3,${USERS}`, [['delete', 'member', [`CN=Domain Users,${USERS}`]]]);
    await mod(d, `CN=Mid3,${USERS}`, [['delete', 'member', [`CN=tok3,${USERS}`]]]);
    now = await groups();
    assert.ok(!now.includes(top) && !now.includes(mid), 'both gone once the memberships are removed');
  } finally {
    await close();
  }
});

test('a remembered walk is re-read when one of its groups went away by a write that took no USN (removeObject, as garbage collection)', async () => {
  const { d, close } = await fixture();
  try {
    const gc = await userInGroup(d, 'tok4', 'Gc4');
    assert.ok((await logonAs(d, 'tok4')).token!.groups.map(sidToString).includes(gc));
    // the account's first logon wrote its lastLogonTimestamp (lockout.ts): the token remembered before that write is stale; the next logon remembers it again
    await logonAs(d, 'tok4');
    const hits = d.tokens.hits;
    assert.ok((await logonAs(d, 'tok4')).token!.groups.map(sidToString).includes(gc));
    assert.equal(d.tokens.hits, hits + 1, 'the token is remembered (token-cache.ts)');
    const g = d.resolve(d.store.reader, `CN=Gc4,${USERS}`, 'test');
    const usnBefore = d.store.snapshot();
    const gen = usnBefore.dcUsn();
    usnBefore.done();
    await d.store.write((w) => w.removeObject(g, w.getObject(g)!));
    const after = d.store.snapshot();
    assert.equal(after.dcUsn(), gen, 'the removal took no USN');
    after.done();
    assert.ok(!(await logonAs(d, 'tok4')).token!.groups.map(sidToString).includes(gc), 'the removed group is not in the token');
    assert.equal(d.tokens.hits, hits + 1, 'the remembered token was not served');
  } finally {
    await close();
  }
});

test('negative control: a removal that took no USN is seen through the naming and principal epochs (held still, the removed group stays in the remembered token and walk)', async () => {
  const { d, close } = await fixture();
  try {
    const gc = await userInGroup(d, 'tok5', 'Gc5');
    assert.ok((await logonAs(d, 'tok5')).token!.groups.map(sidToString).includes(gc));
    // the account's first logon wrote its lastLogonTimestamp (lockout.ts): the token remembered before that write is stale; the next logon remembers it again
    await logonAs(d, 'tok5');
    const hits = d.tokens.hits;
    const g = d.resolve(d.store.reader, `CN=Gc5,${USERS}`, 'test');
    // test only (store.ts): the removal below moves neither the DC tuple's USN nor an epoch
    d.store._bumpNamingEpoch = false;
    d.store._bumpPrincipalEpoch = false;
    try {
      await d.store.write((w) => w.removeObject(g, w.getObject(g)!));
      assert.ok((await logonAs(d, 'tok5')).token!.groups.map(sidToString).includes(gc), 'stale: the epochs are what tell the cache of the removal');
      assert.equal(d.tokens.hits, hits + 1, 'served from the token cache');
      d.tokens.clear();
      assert.ok((await logonAs(d, 'tok5')).token!.groups.map(sidToString).includes(gc), 'stale too: the group walk remembered per principal and naming epoch');
    } finally {
      d.store._bumpNamingEpoch = true;
      d.store._bumpPrincipalEpoch = true;
    }
  } finally {
    await close();
  }
});

test('token cache: a second bind of the same account is served the remembered token, each with its own memo; with FORESTD_TOKEN_CACHE off every bind walks', async () => {
  const { d, close } = await fixture();
  try {
    const g = await userInGroup(d, 'tc1', 'Tc1G');
    // the account's first logon wrote its lastLogonTimestamp (lockout.ts): the token it remembered before that write is stale; the next logon remembers it again
    await logonAs(d, 'tc1');
    const first = await logonAs(d, 'tc1');
    const hits = d.tokens.hits;
    const second = await logonAs(d, 'tc1');
    assert.equal(d.tokens.hits, hits + 1, 'the second bind is a hit');
    assert.deepEqual(second.token!.groups.map(sidToString), first.token!.groups.map(sidToString));
    assert.ok(second.token!.groups.map(sidToString).includes(g));
    assert.equal(second.dn, `CN=tc1,${USERS}`);
    assert.notEqual(second.token!.memo, first.token!.memo, 'access decisions are not shared between binds');
    assert.notEqual(second.token, first.token);
    // negative control: off, the same bind is no hit and still gets the same groups
    d.tokens.enabled = false;
    const off = await logonAs(d, 'tc1');
    assert.equal(d.tokens.hits, hits + 1, 'no hit with the cache off');
    assert.deepEqual(off.token!.groups.map(sidToString), first.token!.groups.map(sidToString));
  } finally {
    await close();
  }
});

test('token cache: never stale — membership added/removed, Domain Admins (isAdmin), rename and move of the account and of its OU, password still checked', async () => {
  const { d, close } = await fixture();
  try {
    await addObject(d, `OU=Tc,DC=example,DC=com`, { objectClass: 'organizationalUnit' });
    await addObject(d, `CN=tc2,OU=Tc,DC=example,DC=com`, { objectClass: 'user', sAMAccountName: 'tc2', userAccountControl: '512' });
    await mod(d, `CN=tc2,OU=Tc,DC=example,DC=com`, [['replace', 'unicodePwd', [pwd(PASSWORD)]]]);
    await addObject(d, `CN=Tc2G,${USERS}`, { objectClass: 'group', sAMAccountName: 'Tc2G', groupType: '-2147483646' });
    const g = objectSidOf(d, `CN=Tc2G,${USERS}`);
    const logon = () => logonAs(d, 'tc2');
    const groups = async () => (await logon()).token!.groups.map(sidToString);
    assert.ok(!(await groups()).includes(g));
    assert.ok(!(await groups()).includes(g), 'remembered');
    const hits = d.tokens.hits;
    await mod(d, `CN=Tc2G,${USERS}`, [['add', 'member', [`CN=tc2,OU=Tc,DC=example,DC=com`]]]);
    assert.ok((await groups()).includes(g), 'the added membership counts at the next bind');
    assert.equal(d.tokens.hits, hits, 'not served from the cache');
    assert.ok((await groups()).includes(g));
    assert.equal(d.tokens.hits, hits + 1, 'remembered again');
    await mod(d, `CN=Tc2G,${USERS}`, [['delete', 'member', [`CN=tc2,OU=Tc,DC=example,DC=com`]]]);
    assert.ok(!(await groups()).includes(g), 'the removed membership is gone at the next bind');
    // an access decision: isAdmin through Domain Admins, then not
    assert.equal((await logon()).isAdmin, false);
    await mod(d, `CN=Domain Admins,${USERS}`, [['add', 'member', [`CN=tc2,OU=Tc,DC=example,DC=com`]]]);
    const adm = await logon();
    assert.equal(adm.isAdmin, true);
    assert.ok(adm.token!.groups.map(sidToString).includes(`${sidToString(d.forest.domainSid)}-512`));
    await mod(d, `CN=Domain Admins,${USERS}`, [['delete', 'member', [`CN=tc2,OU=Tc,DC=example,DC=com`]]]);
    assert.equal((await logon()).isAdmin, false, 'no longer an administrator at the next bind');
    // the DN: the OU renamed (the account's own record unchanged), then the account moved
    assert.equal((await logon()).dn, `CN=tc2,OU=Tc,DC=example,DC=com`);
    await modifyDN(d, { type: 'modifyDNRequest', entry: `OU=Tc,DC=example,DC=com`, newrdn: 'OU=Tc9', deleteoldrdn: true }, ctx());
    assert.equal((await logon()).dn, `CN=tc2,OU=Tc9,DC=example,DC=com`, 'the renamed ancestor is in the DN');
    await modifyDN(d, { type: 'modifyDNRequest', entry: `CN=tc2,OU=Tc9,DC=example,DC=com`, newrdn: 'CN=tc2b', deleteoldrdn: true, newSuperior: USERS }, ctx());
    assert.equal((await logon()).dn, `CN=tc2b,${USERS}`, 'the moved account');
    // a wrong password is refused also when the token is remembered
    await logon();
    await assert.rejects(
      bind(d, { type: 'bindRequest', version: 3, name: 'tc2@example.com', authentication: { method: 'simple', password: Buffer.from('wrong-Passw0rd!') } } as never, ctx()),
      (e: { resultCode?: number }) => e.resultCode === 49,
    );
  } finally {
    await close();
  }
});

/** The principal epoch (store.ts "Principal epoch") and the DC tuple's USN of a fresh snapshot. */
function epochs(d: Dir): { principal: number; usn: number } {
  const r = d.store.snapshot();
  try {
    return { principal: r.principalEpoch(), usn: r.dcUsn() };
  } finally {
    r.done();
  }
}

test('token cache: writes that touch no membership and no group leave the remembered token served (the account\'s own lastLogonTimestamp, another account\'s logon and password, a new user, an OU)', async () => {
  const { d, close } = await fixture();
  try {
    const g = await userInGroup(d, 'tc3', 'Tc3G');
    await user(d, 'tc3other');
    // the first logon writes lastLogonTimestamp (lockout.ts): the account's record changes, not what the token is derived from
    const usn0 = d.store.reader.getObject(d.resolve(d.store.reader, `CN=tc3,${USERS}`, 'test'))!.usnChanged;
    await logonAs(d, 'tc3');
    assert.ok(d.store.reader.getObject(d.resolve(d.store.reader, `CN=tc3,${USERS}`, 'test'))!.usnChanged > usn0, 'the first logon wrote the account');
    const before = epochs(d);
    let hits = d.tokens.hits;
    await logonAs(d, 'tc3');
    assert.equal(d.tokens.hits, hits + 1, "the token remembered at the first logon is served after that logon's own write");
    hits = d.tokens.hits;
    const served = async (why: string) => {
      const id = await logonAs(d, 'tc3');
      assert.ok(id.token!.groups.map(sidToString).includes(g), why);
      assert.equal(d.tokens.hits, hits + 1, `served from the token cache after ${why}`);
      hits = d.tokens.hits;
    };
    await served('nothing written');
    await logonAs(d, 'tc3other'); // its first logon: lastLogonTimestamp written
    hits = d.tokens.hits;
    await served("another account's logon");
    await mod(d, `CN=tc3other,${USERS}`, [['replace', 'unicodePwd', [pwd('An0ther-Passw0rd!')]]]);
    await served("another account's password");
    await user(d, 'tc3new');
    await served('a new user');
    await addObject(d, `OU=Tc3,DC=example,DC=com`, { objectClass: 'organizationalUnit' });
    await served('a new OU');
    await mod(d, `CN=tc3other,${USERS}`, [['replace', 'description', ['changed']]]);
    await served("another account's description");
    const after = epochs(d);
    assert.ok(after.usn > before.usn, 'those writes took USNs (the DC tuple moved)');
    assert.equal(after.principal, before.principal, 'and left the principal epoch');
  } finally {
    await close();
  }
});

test('token cache: a write of a group (its description alone), of a foreignSecurityPrincipal or a membership of another account moves the principal epoch, and the next bind walks again', async () => {
  const { d, close } = await fixture();
  try {
    const g = await userInGroup(d, 'tc4', 'Tc4G');
    await user(d, 'tc4other');
    await logonAs(d, 'tc4');
    await logonAs(d, 'tc4');
    let hits = d.tokens.hits;
    const walked = async (why: string, write: () => Promise<unknown>) => {
      const before = epochs(d).principal;
      await write();
      assert.ok(epochs(d).principal > before, `${why} moves the principal epoch`);
      const id = await logonAs(d, 'tc4');
      assert.ok(id.token!.groups.map(sidToString).includes(g));
      assert.equal(d.tokens.hits, hits, `not served from the cache after ${why}`);
      await logonAs(d, 'tc4');
      assert.equal(d.tokens.hits, hits + 1, `remembered again after ${why}`);
      hits = d.tokens.hits;
    };
    await walked("the group's description", () => mod(d, `CN=Tc4G,${USERS}`, [['replace', 'description', ['a group']]]));
    await walked("a foreignSecurityPrincipal's description (Authenticated Users', through which the logon's well-known SID has groups)", () => mod(d, `CN=S-1-5-11,CN=ForeignSecurityPrincipals,DC=example,DC=com`, [['replace', 'description', ['an FSP']]]));
    await walked("another account's membership", () => mod(d, `CN=Tc4G,${USERS}`, [['add', 'member', [`CN=tc4other,${USERS}`]]]));
  } finally {
    await close();
  }
});

test('negative control: with the principal epoch held still, a membership added since the last bind is not seen (the remembered token and walk are stale)', async () => {
  const { d, close } = await fixture();
  try {
    await user(d, 'tc5');
    await addObject(d, `CN=Tc5G,${USERS}`, { objectClass: 'group', sAMAccountName: 'Tc5G', groupType: '-2147483646' });
    const g = objectSidOf(d, `CN=Tc5G,${USERS}`);
    await logonAs(d, 'tc5');
    assert.ok(!(await logonAs(d, 'tc5')).token!.groups.map(sidToString).includes(g));
    // test only (store.ts): the membership below leaves the principal epoch where it was
    d.store._bumpPrincipalEpoch = false;
    try {
      await mod(d, `CN=Tc5G,${USERS}`, [['add', 'member', [`CN=tc5,${USERS}`]]]);
      const hits = d.tokens.hits;
      assert.ok(!(await logonAs(d, 'tc5')).token!.groups.map(sidToString).includes(g), 'stale: the principal epoch is what tells the cache of the membership');
      assert.equal(d.tokens.hits, hits + 1, 'served from the token cache');
      d.tokens.clear();
      assert.ok(!(await logonAs(d, 'tc5')).token!.groups.map(sidToString).includes(g), 'stale too: the group walk remembered per principal epoch');
    } finally {
      d.store._bumpPrincipalEpoch = true;
    }
    // moved again (any later write of a group or a link), the membership counts
    await mod(d, `CN=Tc5G,${USERS}`, [['replace', 'description', ['moved']]]);
    assert.ok((await logonAs(d, 'tc5')).token!.groups.map(sidToString).includes(g), 'seen once the epoch moves');
  } finally {
    await close();
  }
});

test("token cache: the account's primaryGroupID changed is not served the remembered token (its primary group is the new one at the next bind)", async () => {
  const { d, close } = await fixture();
  try {
    await user(d, 'tc6');
    await addObject(d, `CN=Tc6G,${USERS}`, { objectClass: 'group', sAMAccountName: 'Tc6G', groupType: '-2147483646', member: `CN=tc6,${USERS}` });
    const g = objectSidOf(d, `CN=Tc6G,${USERS}`);
    const rid = g.split('-').pop()!;
    await logonAs(d, 'tc6');
    const hits = d.tokens.hits;
    assert.ok((await logonAs(d, 'tc6')).token!.primaryGroup !== undefined);
    assert.equal(d.tokens.hits, hits + 1, 'remembered');
    assert.ok(!sidToString((await logonAs(d, 'tc6')).token!.primaryGroup!).endsWith(`-${rid}`), 'Domain Users first');
    await mod(d, `CN=tc6,${USERS}`, [['replace', 'primaryGroupID', [rid]]]);
    const h2 = d.tokens.hits;
    const id = await logonAs(d, 'tc6');
    assert.equal(d.tokens.hits, h2, 'not served from the cache');
    assert.equal(sidToString(id.token!.primaryGroup!), g, 'the new primary group');
  } finally {
    await close();
  }
});
