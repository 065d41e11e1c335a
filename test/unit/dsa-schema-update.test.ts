// Issue 13, item 4: schema updates over LDAP as Windows answers them (MS-ADTS 3.1.1.2.5;
// Samba's source4/dsdb/tests/python/ldap_schema.py, run against Windows, records the codes).
// Each refusal is a data row (LDAP result code, Win32 code, problem) with its negative control.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Directory } from '../../src/dsa/directory.js';
import { modifyDN } from '../../src/dsa/modify-dn.js';
import { checkRange } from '../../src/dsa/add.js';
import type { AttrInfo } from '../../src/dsa/schema-binding.js';
import { LdapError } from '../../src/dsa/errors.js';
import { DOMAIN, USERS, addObject, ctx, fixture, mod, read, rejects, values } from './dsa-fixture.js';

let d: Directory;
let close: () => Promise<void>;
before(async () => {
  ({ d, close } = await fixture());
});
after(() => close());

const S = `CN=Schema,CN=Configuration,${DOMAIN}`;
let n = 0;
const fresh = () => ++n;
const oid = (k: number) => `1.3.6.1.4.1.99999.13.${k}`;
/** A new String(Unicode) attribute; returns its DN and lDAPDisplayName. */
async function attribute(extra: Record<string, string | string[]> = {}, cn = `t13-Attr-${fresh()}`): Promise<{ dn: string; name: string }> {
  const dn = `CN=${cn},${S}`;
  await addObject(d, dn, { objectClass: 'attributeSchema', attributeID: oid(fresh()), attributeSyntax: '2.5.5.12', oMSyntax: '64', isSingleValued: 'TRUE', ...extra });
  return { dn, name: values(d, read(d, dn).rec, 'lDAPDisplayName')[0] as string };
}
/** A new DN-valued attribute, for links. */
async function dnAttribute(linkID: string): Promise<{ dn: string; id: string; name: string }> {
  const k = fresh();
  const dn = `CN=t13-Link-${k},${S}`;
  await addObject(d, dn, { objectClass: 'attributeSchema', attributeID: oid(1000 + k), attributeSyntax: '2.5.5.1', oMSyntax: '127', isSingleValued: 'FALSE', linkID });
  return { dn, id: oid(1000 + k), name: values(d, read(d, dn).rec, 'lDAPDisplayName')[0] as string };
}
const schemaInfo = () => Buffer.from(values(d, read(d, S).rec, 'schemaInfo')[0] as Uint8Array).toString('hex');

interface Refusal {
  rule: string;
  spec: string;
  run: () => Promise<unknown>;
  code: number;
  win32: string;
  problem: number;
  control: () => Promise<unknown>;
}

const refusals: Refusal[] = [
  {
    rule: 'add: an attributeSchema whose cn is in use',
    spec: 'ldap_schema.py test_duplicate_cn (ERR_ENTRY_ALREADY_EXISTS)',
    run: async () => {
      const cn = `t13-Dup-${fresh()}`;
      await attribute({}, cn);
      await attribute({}, cn);
    },
    code: 68,
    win32: '00002071',
    problem: 6005,
    control: async () => {
      await attribute();
      await attribute();
    },
  },
  {
    rule: 'modify: lDAPDisplayName made equal to another attribute\'s',
    spec: 'MS-ADTS 3.1.1.2.5.1.1; ldap_schema.py test_duplicate_via_rename_ldapdisplayname (ERR_UNWILLING_TO_PERFORM)',
    run: async () => {
      const a = await attribute();
      const b = await attribute();
      await mod(d, b.dn, [['replace', 'lDAPDisplayName', [a.name]]]);
    },
    code: 53,
    win32: '00002035',
    problem: 5003,
    control: async () => mod(d, (await attribute()).dn, [['replace', 'lDAPDisplayName', [`t13Renamed${fresh()}`]]]),
  },
  {
    rule: 'modify: lDAPDisplayName removed',
    spec: 'ldap_schema.py test_remove_ldapdisplayname (ERR_OBJECT_CLASS_VIOLATION)',
    run: async () => mod(d, (await attribute()).dn, [['replace', 'lDAPDisplayName', []]]),
    code: 65,
    win32: '00002014',
    problem: 6002,
    control: async () => mod(d, (await attribute()).dn, [['replace', 'adminDescription', ['x']]]),
  },
  {
    rule: 'add: a mAPIID in use',
    spec: 'ldap_schema.py test_generated_mAPIID (ERR_UNWILLING_TO_PERFORM)',
    run: async () => {
      const a = await attribute({ mAPIID: '1.2.840.113556.1.2.49' });
      await attribute({ mAPIID: String(values(d, read(d, a.dn).rec, 'mAPIID')[0]) });
    },
    code: 53,
    win32: '00002035',
    problem: 5003,
    control: async () => {
      await attribute({ mAPIID: '1.2.840.113556.1.2.49' });
      await attribute({ mAPIID: '1.2.840.113556.1.2.49' });
    },
  },
  {
    rule: 'add: an attributeSchema with a preset msDS-IntId',
    spec: 'ldap_schema.py test_msDS_IntId_on_attr (ERR_UNWILLING_TO_PERFORM)',
    run: () => attribute({ 'msDS-IntId': '-1993108831' }),
    code: 53,
    win32: '00002035',
    problem: 5003,
    // a classSchema keeps a given msDS-IntId (test_msDS_IntId_on_class)
    control: () => addObject(d, `CN=t13-IntId-Class-${fresh()},${S}`, { objectClass: 'classSchema', governsID: oid(fresh()), subClassOf: 'top', objectClassCategory: '1', possSuperiors: 'container', 'msDS-IntId': String(-1993108830 - n) }),
  },
  {
    rule: 'add: linkID naming a back link (its attributeID)',
    spec: 'MS-ADTS 3.1.1.2.3; ldap_schema.py test_generated_linkID "backlink of backlink" (ERR_UNWILLING_TO_PERFORM)',
    run: async () => {
      const fwd = await dnAttribute('1.2.840.113556.1.2.50');
      const back = await dnAttribute(fwd.id);
      await dnAttribute(back.id);
    },
    code: 53,
    win32: '00002035',
    problem: 5003,
    control: async () => {
      const fwd = await dnAttribute('1.2.840.113556.1.2.50');
      const back = await dnAttribute(fwd.name);
      assert.equal(values(d, read(d, back.dn).rec, 'linkID')[0], (values(d, read(d, fwd.dn).rec, 'linkID')[0] as number) + 1);
    },
  },
  {
    rule: 'add: a classSchema whose defaultObjectCategory names nothing',
    spec: 'MS-ADTS 3.1.1.2.4.8; ldap_schema.py (defaultObjectCategory "CN=_": ERR_CONSTRAINT_VIOLATION)',
    run: () => addObject(d, `CN=t13-Class-${fresh()},${S}`, { objectClass: 'classSchema', governsID: oid(fresh()), subClassOf: 'top', objectClassCategory: '1', possSuperiors: 'container', defaultObjectCategory: `CN=_,${S}` }),
    code: 19,
    win32: '0000202F',
    problem: 1005,
    control: async () => {
      const dn = `CN=t13-Class-${fresh()},${S}`;
      await addObject(d, dn, { objectClass: 'classSchema', governsID: oid(fresh()), subClassOf: 'top', objectClassCategory: '1', possSuperiors: 'container', defaultObjectCategory: dn });
    },
  },
];

for (const r of refusals) {
  test(`${r.rule} → ${r.code} / ${r.win32} [${r.spec}]`, async () => {
    const e = await rejects(r.run(), r.code, new RegExp(`^${r.win32}: `));
    assert.match(e.diagnosticMessage, new RegExp(`problem ${r.problem} `));
    await r.control();
  });
}

test('MS-ADTS 3.1.1.2.4.8: a classSchema may name itself as defaultObjectCategory; absent, it is the class itself too', async () => {
  const dn = `CN=t13-Self-${fresh()},${S}`;
  await addObject(d, dn, { objectClass: 'classSchema', governsID: oid(fresh()), subClassOf: 'top', objectClassCategory: '1', possSuperiors: 'container', defaultObjectCategory: dn });
  const { guid, rec } = read(d, dn);
  assert.ok(Buffer.from((values(d, rec, 'defaultObjectCategory')[0] as { guid: Uint8Array }).guid).equals(guid));
  const dn2 = `CN=t13-Self-${fresh()},${S}`;
  await addObject(d, dn2, { objectClass: 'classSchema', governsID: oid(fresh()), subClassOf: 'top', objectClassCategory: '1', possSuperiors: 'container' });
  const r2 = read(d, dn2);
  assert.ok(Buffer.from((values(d, r2.rec, 'defaultObjectCategory')[0] as { guid: Uint8Array }).guid).equals(r2.guid));
});

test('a subclass of organizationalUnit without rDNAttID is named OU=… (ldap_schema.py test_subClassOf)', async () => {
  const k = fresh();
  const cls = `CN=t13-Org-${k},${S}`;
  await addObject(d, cls, { objectClass: 'classSchema', governsID: oid(k), subClassOf: 'organizationalUnit', objectClassCategory: '1' });
  const name = values(d, read(d, cls).rec, 'lDAPDisplayName')[0] as string;
  assert.equal(values(d, read(d, cls).rec, 'rDNAttID')[0], d.schema.attr('ou')!.schema.attributeID);
  await addObject(d, `OU=t13org${k},${DOMAIN}`, { objectClass: name });
  // contrast: named CN=… it is refused (the RDN attribute is ou)
  await rejects(addObject(d, `CN=t13org${k},${DOMAIN}`, { objectClass: name }), 64);
});

test('schemaInfo: bumped by an add, not by a rename of a schema object', async () => {
  const before = schemaInfo();
  const a = await attribute();
  const afterAdd = schemaInfo();
  assert.notEqual(afterAdd, before, 'an add bumps schemaInfo');
  await modifyDN(d, { type: 'modifyDNRequest', entry: a.dn, newrdn: `CN=t13-Renamed-${fresh()}`, deleteoldrdn: true }, ctx());
  assert.equal(schemaInfo(), afterAdd, 'a rename does not');
});

// The memos of the add path (issue #14) live on the schema binding: a schema change (a new
// binding) is seen by the next add. checkRange counts characters without building arrays.
test('SchemaBinding.attr (memo by the name as given): a name looked up before a schema change is answered from the new schema after it', async () => {
  const memoOid = oid(fresh());
  const old = d.schema;
  const cn = old.attr('cn')!;
  assert.equal(old.attr('cn'), cn, 'the same AttrInfo twice (memo)');
  assert.equal(old.attr('CN'), cn, 'any case');
  assert.equal(old.attr('t14-Memo-Attr'), undefined);
  await addObject(d, `CN=t14-Memo-Attr,${S}`, { objectClass: 'attributeSchema', attributeID: memoOid, attributeSyntax: '2.5.5.12', oMSyntax: '64', isSingleValued: 'TRUE' });
  const name = values(d, read(d, `CN=t14-Memo-Attr,${S}`).rec, 'lDAPDisplayName')[0] as string;
  assert.notEqual(d.schema, old, 'the schema change made a new binding');
  // the new binding answers with its own AttrInfo, never the one memoized by the old binding
  assert.notEqual(d.schema.attr('cn'), cn);
  assert.equal(d.schema.attr('cn'), d.schema.attrById(cn.id));
  assert.equal(d.schema.attr(name)?.schema.attributeID, memoOid);
  assert.equal(d.schema.attr(name.toUpperCase())?.schema.attributeID, memoOid);
  // negative control: the old binding (and its memo) does not know the new attribute
  assert.equal(old.attr(name), undefined);
});

test('SchemaBinding.possSuperiorsOf (memo per class): a class given a new possSuperior is created under it at once (MS-ADTS 3.1.1.5.2.1.2)', async () => {
  const cls = `CN=t14-Poss,${S}`;
  await addObject(d, cls, { objectClass: 'classSchema', governsID: oid(fresh()), subClassOf: 'top', objectClassCategory: '1', rDNAttID: 'cn', possSuperiors: 'organizationalUnit' });
  const name = values(d, read(d, cls).rec, 'lDAPDisplayName')[0] as string;
  await addObject(d, `OU=t14poss,${DOMAIN}`, { objectClass: 'organizationalUnit' });
  await addObject(d, `CN=t14a,OU=t14poss,${DOMAIN}`, { objectClass: name });
  // not under a container: namingViolation / ERROR_DS_ILLEGAL_SUPERIOR (00002099)
  const refused = await rejects(addObject(d, `CN=t14b,${USERS}`, { objectClass: name }), 64, /possSuperiors/);
  assert.match(refused.diagnosticMessage, /^00002099/);
  await mod(d, cls, [['add', 'possSuperiors', ['container']]]);
  // the memo of the old schema would refuse this one
  await addObject(d, `CN=t14b,${USERS}`, { objectClass: name });
  assert.ok(read(d, `CN=t14b,${USERS}`).rec);
});

test('checkRange counts characters (code points): a surrogate pair is one, a lone surrogate one', () => {
  const info = { id: 1, name: 'x', schema: { rangeLower: 1, rangeUpper: 2 } } as unknown as AttrInfo;
  checkRange(info, ['😀😀'], 'test'); // 4 code units, 2 characters
  checkRange(info, ['\ud800a'], 'test'); // a lone high surrogate and a letter
  assert.throws(() => checkRange(info, ['😀😀a'], 'test'), LdapError);
  assert.throws(() => checkRange(info, ['\udc00\ud800a'], 'test'), LdapError);
  assert.throws(() => checkRange(info, [''], 'test'), LdapError);
});
