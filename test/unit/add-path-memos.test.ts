// The memos of the add path (issue #14): SchemaBinding.attr() by the name as given and
// SchemaBinding.possSuperiorsOf() per class live on the schema binding, so a schema change (a
// new binding) is seen by the next add; checkRange counts characters without building arrays.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Directory } from '../../src/dsa/directory.js';
import { checkRange } from '../../src/dsa/add.js';
import type { AttrInfo } from '../../src/dsa/schema-binding.js';
import { LdapError } from '../../src/dsa/errors.js';
import { DOMAIN, USERS, addObject, fixture, mod, read, rejects, values } from './dsa-fixture.js';

let d: Directory;
let close: () => Promise<void>;
before(async () => {
  ({ d, close } = await fixture());
});
after(() => close());

const S = `CN=Schema,CN=Configuration,${DOMAIN}`;
const oid = (k: number) => `1.3.6.1.4.1.99999.14.${k}`;

test('SchemaBinding.attr: a name looked up before a schema change is answered from the new schema after it', async () => {
  const old = d.schema;
  const cn = old.attr('cn')!;
  assert.equal(old.attr('cn'), cn, 'the same AttrInfo twice (memo)');
  assert.equal(old.attr('CN'), cn, 'any case');
  assert.equal(old.attr('t14-Memo-Attr'), undefined);
  await addObject(d, `CN=t14-Memo-Attr,${S}`, { objectClass: 'attributeSchema', attributeID: oid(1), attributeSyntax: '2.5.5.12', oMSyntax: '64', isSingleValued: 'TRUE' });
  const name = values(d, read(d, `CN=t14-Memo-Attr,${S}`).rec, 'lDAPDisplayName')[0] as string;
  assert.notEqual(d.schema, old, 'the schema change made a new binding');
  // the new binding answers with its own AttrInfo, never the one memoized by the old binding
  assert.notEqual(d.schema.attr('cn'), cn);
  assert.equal(d.schema.attr('cn'), d.schema.attrById(cn.id));
  assert.equal(d.schema.attr(name)?.schema.attributeID, oid(1));
  assert.equal(d.schema.attr(name.toUpperCase())?.schema.attributeID, oid(1));
  // negative control: the old binding (and its memo) does not know the new attribute
  assert.equal(old.attr(name), undefined);
});

test('possSuperiors: a class given a new possSuperior is created under it at once (MS-ADTS 3.1.1.5.2.1.2)', async () => {
  const cls = `CN=t14-Poss,${S}`;
  await addObject(d, cls, { objectClass: 'classSchema', governsID: oid(2), subClassOf: 'top', objectClassCategory: '1', rDNAttID: 'cn', possSuperiors: 'organizationalUnit' });
  const name = values(d, read(d, cls).rec, 'lDAPDisplayName')[0] as string;
  await addObject(d, `OU=t14poss,${DOMAIN}`, { objectClass: 'organizationalUnit' });
  await addObject(d, `CN=a,OU=t14poss,${DOMAIN}`, { objectClass: name });
  // not under a container: namingViolation / ERROR_DS_ILLEGAL_SUPERIOR (00002099)
  const refused = await rejects(addObject(d, `CN=b,${USERS}`, { objectClass: name }), 64, /possSuperiors/);
  assert.match(refused.diagnosticMessage, /^00002099/);
  await mod(d, cls, [['add', 'possSuperiors', ['container']]]);
  // the memo of the old schema would refuse this one
  await addObject(d, `CN=b,${USERS}`, { objectClass: name });
  assert.ok(read(d, `CN=b,${USERS}`).rec);
});

test('checkRange counts characters (code points): a surrogate pair is one, a lone surrogate one', () => {
  const info = { id: 1, name: 'x', schema: { rangeLower: 1, rangeUpper: 2 } } as unknown as AttrInfo;
  checkRange(info, ['😀😀'], 'test'); // 4 code units, 2 characters
  checkRange(info, ['\ud800a'], 'test'); // a lone high surrogate and a letter
  assert.throws(() => checkRange(info, ['😀😀a'], 'test'), LdapError);
  assert.throws(() => checkRange(info, ['\udc00\ud800a'], 'test'), LdapError);
  assert.throws(() => checkRange(info, [''], 'test'), LdapError);
});
