// Search filter evaluation (RFC 4511 4.5.1.7, MS-ADTS 3.1.1.3.1.3): each filter choice per
// syntax and its comparison rule (MS-ADTS 3.1.1.2.2.4), Undefined and its propagation, the
// extensible matching rules of MS-ADTS 3.1.1.3.4.4, the objectCategory shortcut and ANR.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { searchFixture, addEntries, addLinks, type Fixture } from '../helpers/search-fixture.js';
import { ReadContext } from '../../src/dsa/object-view.js';
import { compileFilter, evaluate, TRUE, FALSE, UNDEFINED, type Tri } from '../../src/dsa/search/filter.js';
import { parseFilter, escapeFilterValue } from '../../src/ldap/protocol/filter-string.js';
import { sidToString } from '../../src/schema/syntaxes/index.js';

let f: Fixture;
let ou: string;
const g: Record<string, Buffer> = {};

before(async () => {
  f = await searchFixture();
  ou = `OU=F,${f.baseDN}`;
  const [, bob] = addEntries(f.dir, [
    { dn: ou, attrs: { objectClass: 'organizationalUnit' } },
    { dn: `CN=bob,${ou}`, attrs: { objectClass: 'user', sAMAccountName: 'bob', givenName: 'Bob', sn: 'Jones', description: 'second', userAccountControl: '512', lockoutTime: '0', msTSAllowLogon: 'FALSE' } },
  ]);
  g.bob = bob!;
  [g.alice, g.carol] = addEntries(f.dir, [
    {
      dn: `CN=alice,${ou}`,
      attrs: {
        objectClass: 'user',
        sAMAccountName: 'alice',
        givenName: 'Alice',
        sn: 'Smith',
        displayName: 'Alice Smith',
        description: 'The First User',
        userAccountControl: '514',
        lockoutTime: '5000000000',
        preferredDeliveryMethod: '3',
        msSFU30Name: 'alice-nis',
        serialNumber: 'SN 42',
        x121Address: '12345',
        msTSAllowLogon: 'TRUE',
        manager: `CN=bob,${ou}`,
      },
    },
    { dn: `CN=carol,${ou}`, attrs: { objectClass: 'user', sAMAccountName: 'carol', givenName: 'Smith', sn: 'Alice' } },
  ]) as [Buffer, Buffer];
  // G2 ∋ alice, G1 ∋ G2, G3 ∋ G1, G1 ∋ G3 (a cycle)
  [g.G2] = addEntries(f.dir, [{ dn: `CN=G2,${ou}`, attrs: { objectClass: 'group', sAMAccountName: 'G2', member: `CN=alice,${ou}` } }]) as [Buffer];
  [g.G1] = addEntries(f.dir, [{ dn: `CN=G1,${ou}`, attrs: { objectClass: 'group', sAMAccountName: 'G1', member: `CN=G2,${ou}` } }]) as [Buffer];
  [g.G3] = addEntries(f.dir, [{ dn: `CN=G3,${ou}`, attrs: { objectClass: 'group', sAMAccountName: 'G3', member: `CN=G1,${ou}` } }]) as [Buffer];
  addLinks(f.dir, 'member', g.G1!, [g.G3!]);
});
after(async () => f?.close());

function tri(filter: string, who: string): Tri {
  const rc = new ReadContext(f.dir, f.dir.store.reader);
  const node = compileFilter(parseFilter(filter), rc);
  return evaluate(node, rc.view(g[who]!)!);
}

const T = TRUE;
const F = FALSE;
const U = UNDEFINED;

function table(name: string, rows: [string, string, Tri][]): void {
  test(name, () => {
    for (const [filter, who, want] of rows) assert.equal(tri(filter, who), want, `${filter} on ${who}`);
  });
}

table('String(Unicode) (UnicodeString rule): every choice, case-insensitive', [
  ['(description=the first user)', 'alice', T],
  ['(description=THE FIRST USER)', 'alice', T],
  ['(description~=the first user)', 'alice', T], // approxMatch = equalityMatch
  ['(description=the first)', 'alice', F],
  ['(description=*)', 'alice', T],
  ['(description=*)', 'carol', F],
  ['(description=the*)', 'alice', T],
  ['(description=*first*)', 'alice', T],
  ['(description=*USER)', 'alice', T],
  ['(description=the*user*first)', 'alice', F], // pieces in order, no overlap
  ['(description>=t)', 'alice', T],
  ['(description<=t)', 'alice', F],
  ['(description=the first user)', 'carol', F], // absent attribute: FALSE, not Undefined
]);

table('Integer, Enumeration, LargeInteger (Integer rule): equality and ordering, no substrings', [
  ['(userAccountControl=514)', 'alice', T],
  ['(userAccountControl>=513)', 'alice', T],
  ['(userAccountControl<=513)', 'alice', F],
  ['(userAccountControl=5*)', 'alice', U],
  ['(userAccountControl=abc)', 'alice', U], // malformed assertion value
  ['(preferredDeliveryMethod=3)', 'alice', T],
  ['(preferredDeliveryMethod>=4)', 'alice', F],
  ['(lockoutTime=5000000000)', 'alice', T],
  ['(lockoutTime>=4999999999)', 'alice', T],
  ['(lockoutTime<=0)', 'bob', T],
  ['(lockoutTime=99999999999999999999)', 'alice', U], // beyond 64 bits
]);

table('Boolean (Bool rule) and Time (Time rule)', [
  ['(msTSAllowLogon=TRUE)', 'alice', T],
  ['(msTSAllowLogon=true)', 'alice', T],
  ['(msTSAllowLogon=FALSE)', 'alice', F],
  ['(msTSAllowLogon>=TRUE)', 'bob', F], // TRUE > FALSE
  ['(msTSAllowLogon=yes)', 'alice', U],
  ['(msTSAllowLogon=T*)', 'alice', U],
  ['(whenCreated>=20000101000000.0Z)', 'alice', T],
  ['(whenCreated<=20000101000000.0Z)', 'alice', F],
  ['(whenCreated=2*)', 'alice', U],
  ['(whenCreated=yesterday)', 'alice', U],
]);

table('String(Object-Identifier) (OID rule): equality by name or OID only', [
  ['(objectClass=user)', 'alice', T],
  ['(objectClass=USER)', 'alice', T],
  ['(objectClass=1.2.840.113556.1.5.9)', 'alice', T],
  ['(objectClass=person)', 'alice', T],
  ['(objectClass=group)', 'alice', F],
  ['(objectClass=noSuchClass)', 'alice', U],
  ['(objectClass>=user)', 'alice', U],
  ['(objectClass=us*)', 'alice', U],
  ['(objectClass=*)', 'alice', T],
  ['(!(objectClass=*))', 'alice', F],
]);

table('Object(DS-DN) (DN rule): equality by the object named; no ordering or substrings', [
  ['(manager=CN=bob,OU=F,DC=example,DC=com)', 'alice', T],
  ['(manager=cn=BOB,ou=f,dc=EXAMPLE,dc=com)', 'alice', T],
  ['(manager=CN=carol,OU=F,DC=example,DC=com)', 'alice', F],
  ['(manager=CN=nobody,OU=F,DC=example,DC=com)', 'alice', U], // names no object
  ['(manager=not a dn)', 'alice', U],
  ['(manager=CN=b*)', 'alice', U],
  ['(manager>=CN=bob,OU=F,DC=example,DC=com)', 'alice', U],
  ['(manager=*)', 'alice', T],
  ['(manager=*)', 'bob', F],
]);

test('String(Octet), String(Sid), String(NT-Sec-Desc), record attributes', () => {
  const guidHex = escapeFilterValue(g.alice!);
  const rc = new ReadContext(f.dir, f.dir.store.reader);
  const sid = sidToString(rc.view(g.alice!)!.first('objectSid') as Uint8Array);
  const rows: [string, string, Tri][] = [
    [`(objectGUID=${guidHex})`, 'alice', T],
    [`(objectGUID=${guidHex})`, 'bob', F],
    [`(objectGUID=${escapeFilterValue(g.alice!.subarray(0, 4))}*)`, 'alice', T], // Octet supports substrings
    [`(objectSid=${sid})`, 'alice', T],
    [`(objectSid=${sid})`, 'bob', F],
    ['(objectSid=S-1-bogus)', 'alice', U],
    ['(nTSecurityDescriptor=*)', 'alice', T],
    ['(nTSecurityDescriptor=abc)', 'alice', U], // SecDesc: presence only
    ['(uSNChanged>=1)', 'alice', T],
    [`(distinguishedName=CN=alice,${ou})`, 'alice', T],
    [`(distinguishedName=CN=alice,${ou})`, 'bob', F],
  ];
  for (const [filter, who, want] of rows) assert.equal(tri(filter, who), want, `${filter} on ${who}`);
});

table('String(IA5), String(Printable), String(Numeric) (CaseString rule): case-sensitive', [
  ['(msSFU30Name=alice-nis)', 'alice', T],
  ['(msSFU30Name=ALICE-NIS)', 'alice', F],
  ['(msSFU30Name=ali*)', 'alice', T],
  ['(msSFU30Name=ALI*)', 'alice', F],
  ['(msSFU30Name>=alice)', 'alice', T],
  ['(serialNumber=SN 42)', 'alice', T],
  ['(serialNumber=sn 42)', 'alice', F],
  ['(x121Address=12345)', 'alice', T],
  ['(x121Address>=2)', 'alice', F],
]);

table('three-valued logic: unknown and secret attributes are Undefined, and NOT keeps Undefined', [
  ['(fooBar=1)', 'alice', U],
  ['(!(fooBar=1))', 'alice', U],
  ['(|(fooBar=1)(cn=alice))', 'alice', T],
  ['(|(fooBar=1)(cn=bob))', 'alice', U],
  ['(&(fooBar=1)(cn=bob))', 'alice', F],
  ['(&(fooBar=1)(cn=alice))', 'alice', U],
  ['(!(cn=alice))', 'alice', F],
  ['(!(description=zzz))', 'alice', T],
  ['(unicodePwd=*)', 'alice', U],
  ['(!(unicodePwd=*))', 'alice', U],
  ['(canonicalName=*)', 'alice', U], // constructed
  ['(&)', 'alice', T], // RFC 4526
  ['(|)', 'alice', F],
]);

table('LDAP_MATCHING_RULE_BIT_AND / BIT_OR (MS-ADTS 3.1.1.3.4.4)', [
  ['(userAccountControl:1.2.840.113556.1.4.803:=2)', 'alice', T],
  ['(userAccountControl:1.2.840.113556.1.4.803:=2)', 'bob', F],
  ['(userAccountControl:1.2.840.113556.1.4.803:=514)', 'alice', T],
  ['(userAccountControl:1.2.840.113556.1.4.803:=515)', 'alice', F],
  ['(userAccountControl:1.2.840.113556.1.4.804:=3)', 'bob', F],
  ['(userAccountControl:1.2.840.113556.1.4.804:=514)', 'bob', T],
  ['(groupType:1.2.840.113556.1.4.803:=2147483648)', 'G1', T], // unsigned spelling of the sign bit
  ['(groupType:1.2.840.113556.1.4.803:=-2147483648)', 'G1', T],
  ['(lockoutTime:1.2.840.113556.1.4.803:=4294967296)', 'alice', T], // a LargeInteger bit above 32
  ['(lockoutTime:1.2.840.113556.1.4.804:=4294967296)', 'bob', F],
  ['(description:1.2.840.113556.1.4.803:=1)', 'alice', U], // not an Integer rule
  ['(userAccountControl:1.2.3.4:=2)', 'alice', U], // unknown matching rule
  ['(!(userAccountControl:1.2.840.113556.1.4.803:=2))', 'bob', T],
]);

test('LDAP_MATCHING_RULE_TRANSITIVE_EVAL: in chain over nested groups, with a cycle', () => {
  const G = (n: string) => `CN=${n},${ou}`;
  const chainOf = `(memberOf:1.2.840.113556.1.4.1941:=${G('G1')})`;
  assert.equal(tri(chainOf, 'alice'), T); // alice ∈ G2 ∈ G1
  assert.equal(tri(chainOf, 'G2'), T);
  assert.equal(tri(chainOf, 'G3'), T); // G3 ∈ G1
  assert.equal(tri(chainOf, 'G1'), T); // G1 ∈ G3 ∈ G1: the cycle
  assert.equal(tri(chainOf, 'bob'), F);
  assert.equal(tri(`(memberOf=${G('G1')})`, 'alice'), F); // direct only
  assert.equal(tri(`(memberOf=${G('G2')})`, 'alice'), T);
  const members = `(member:1.2.840.113556.1.4.1941:=CN=alice,${ou})`;
  for (const n of ['G1', 'G2', 'G3']) assert.equal(tri(members, n), T, n);
  assert.equal(tri(members, 'bob'), F);
  assert.equal(tri(`(description:1.2.840.113556.1.4.1941:=x)`, 'alice'), U); // not a link attribute
  assert.equal(tri(`(memberOf:1.2.840.113556.1.4.1941:=CN=nobody,${ou})`, 'alice'), U);
});

table('objectCategory=<class name> means the class\'s defaultObjectCategory (MS-ADTS 3.1.1.3.1.3.5)', [
  ['(objectCategory=person)', 'alice', T],
  ['(objectCategory=user)', 'alice', T], // user's defaultObjectCategory is CN=Person
  ['(objectCategory=Person)', 'alice', T],
  ['(objectCategory=group)', 'alice', F],
  ['(objectCategory=group)', 'G1', T],
  ['(objectCategory=noSuchClass)', 'alice', U],
  ['(objectCategory=CN=Person,CN=Schema,CN=Configuration,DC=example,DC=com)', 'alice', T],
]);

table('ANR (MS-ADTS 3.1.1.3.1.3.4): the fANR attributes, first/last splits, exact with "="', [
  ['(anr=Alice)', 'alice', T], // givenName, displayName, name… start with Alice
  ['(anr=Alice)', 'carol', T], // sn
  ['(anr=Alice)', 'bob', F],
  ['(anr=ali)', 'alice', T],
  ['(anr=Alice Smith)', 'alice', T], // givenName Alice, sn Smith
  ['(anr=Alice Smith)', 'carol', T], // "last first": givenName Smith, sn Alice
  ['(anr=Bob Smith)', 'bob', F],
  ['(anr==alice)', 'alice', T], // exact: sAMAccountName=alice
  ['(anr==ali)', 'alice', F],
  ['(anr=)', 'alice', U],
  ['(anr=ali*)', 'alice', T],
]);
