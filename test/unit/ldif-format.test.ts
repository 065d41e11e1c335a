// RFC 2849 reading and writing (src/cli/ldif/format.ts), with the RFC's own examples' shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LdifReader, LdifSyntaxError, entryText, isSafeString, valueLine, modifyText } from '../../src/cli/ldif/format.js';

const parse = (t: string) => {
  const r = new LdifReader();
  return [...r.push(t), ...r.end()];
};

test('SAFE-STRING: what may be written plain, and what must be base64', () => {
  assert.equal(isSafeString(Buffer.from('Babs Jensen')), true);
  for (const v of [' lead', ':colon', '<angle', 'trail ', 'new\nline', 'cr\r', 'nul\0', 'Ünï']) assert.equal(isSafeString(Buffer.from(v)), false, v);
  assert.equal(valueLine('cn', Buffer.from('Ünï')), `cn:: ${Buffer.from('Ünï').toString('base64')}`);
  assert.equal(valueLine('description', Buffer.alloc(0)), 'description:');
});

test('long lines fold at 76 columns and unfold back', () => {
  const long = 'x'.repeat(300);
  const t = entryText('CN=a,DC=x', [{ type: 'description', values: [Buffer.from(long)] }]);
  for (const l of t.split('\n')) assert.ok(l.length <= 76, l);
  const [r] = parse(t);
  assert.equal(r!.kind, 'add');
  assert.equal((r as { attrs: { values: Buffer[] }[] }).attrs[0]!.values[0]!.toString(), long);
});

test('the RFC 2849 forms: version, comments, folded dn, base64, changetypes, controls', () => {
  const recs = parse(`version: 1
# a comment
#  continued
dn: cn=Barbara Jensen, ou=Product Development, dc=airius, 
 dc=com
objectclass: top
objectclass: person
cn:: QmFyYmFyYSBKZW5zZW4=
description: folded
  with a space

dn: cn=x,dc=com
control: 1.2.840.113556.1.4.805 true
changetype: delete

dn: cn=y,dc=com
changetype: modrdn
newrdn: cn=z
deleteoldrdn: 1
newsuperior: ou=new,dc=com

dn: cn=z,dc=com
changetype: modify
add: mail
mail: a@b
mail: c@d
-
delete: description
-
replace: telephoneNumber
telephoneNumber: 1
-
`);
  assert.equal(recs.length, 4);
  const [add, del, mod, modify] = recs as any[];
  assert.equal(add.dn, 'cn=Barbara Jensen, ou=Product Development, dc=airius, dc=com');
  assert.deepEqual(add.attrs.map((a: any) => [a.type, a.values.map(String)]), [['objectclass', ['top', 'person']], ['cn', ['Barbara Jensen']], ['description', ['folded with a space']]]);
  assert.equal(del.kind, 'delete');
  assert.deepEqual(del.controls, [{ oid: '1.2.840.113556.1.4.805', critical: true, value: undefined }]);
  assert.deepEqual([mod.kind, mod.newRdn, mod.deleteOldRdn, mod.newSuperior], ['modrdn', 'cn=z', true, 'ou=new,dc=com']);
  assert.deepEqual(modify.mods.map((m: any) => [m.op, m.type, m.values.map(String)]), [['add', 'mail', ['a@b', 'c@d']], ['delete', 'description', []], ['replace', 'telephoneNumber', ['1']]]);
  assert.equal(add.line, 4);
  assert.equal(modify.index, 4);
});

test('records split across chunks parse the same', () => {
  const t = modifyText('CN=a,DC=x', [{ op: 'replace', type: 'description', values: [Buffer.from('é'.repeat(50))] }]) + entryText('CN=b,DC=x', [{ type: 'cn', values: [Buffer.from('b')] }]);
  const whole = parse(t);
  const r = new LdifReader();
  const parts = [];
  for (let i = 0; i < t.length; i += 7) parts.push(...r.push(t.slice(i, i + 7)));
  parts.push(...r.end());
  assert.deepEqual(parts, whole);
});

test('syntax errors name the line', () => {
  assert.throws(() => parse('dn: cn=a\nno colon here\n'), (e: unknown) => e instanceof LdifSyntaxError && e.line === 2);
  assert.throws(() => parse('cn: a\n'), (e: unknown) => e instanceof LdifSyntaxError && e.line === 1);
  assert.throws(() => parse('dn: cn=a\nchangetype: frob\n'), LdifSyntaxError);
  assert.throws(() => parse('dn: cn=a\nchangetype: modrdn\nnewrdn: cn=b\n'), LdifSyntaxError);
  assert.throws(() => parse('version: 2\n\ndn: cn=a\ncn: a\n'), LdifSyntaxError);
  assert.throws(() => parse(' continued\n'), LdifSyntaxError);
});

test('any bytes round-trip through an entry', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { minLength: 1, maxLength: 4 }), (vals) => {
      const values = vals.map((v) => Buffer.from(v));
      const [r] = parse(entryText('CN=a,DC=x', [{ type: 'jpegPhoto', values }]));
      assert.deepEqual((r as any).attrs[0].values, values);
    }),
  );
});
