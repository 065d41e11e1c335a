// The value-index keys of an object (SchemaBinding.indexer, the store's indexer): the keys of
// scalar values are remembered per binding and attribute (most objects of a replica share their
// objectClass, userAccountControl, primaryGroupID … values), and are always the bytes
// indexKey(attid, normalize(value)) gives, whatever the memo holds; a new binding (a schema
// change) starts afresh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBootstrapSchema } from '../../src/schema/bootstrap.js';
import { SchemaSnapshot } from '../../src/schema/snapshot.js';
import { SchemaBinding } from '../../src/dsa/schema-binding.js';
import { indexKey } from '../../src/store/store.js';
import type { ObjectRecord } from '../../src/store/record.js';
import { newGuid } from '../../src/util/guid.js';

const boot = loadBootstrapSchema();
const binding = () => new SchemaBinding(new SchemaSnapshot(boot.attributes, boot.classes, boot.prefixTable));

function user(s: SchemaBinding, i: number): ObjectRecord {
  const id = (n: string) => s.attr(n)!.id;
  const attrs: [string, unknown[]][] = [
    ['objectClass', ['2.5.6.0', '2.5.6.6', '2.5.6.7', '1.2.840.113556.1.5.9']],
    ['sAMAccountName', [`u${i}`]],
    ['cn', [`U ${i}`]],
    ['description', [`not indexed ${i}`]],
    ['userAccountControl', [i % 3 === 0 ? 514 : 512]],
    ['primaryGroupID', [513]],
    ['objectCategory', [{ guid: Buffer.alloc(16, 7), dn: 'CN=Person,CN=Schema,CN=Configuration,DC=x' }]],
  ];
  return { parent: newGuid(), nc: newGuid(), rdnType: id('cn'), name: `U ${i}`, usnCreated: 1, usnChanged: 1, whenChanged: 1, attrs: attrs.map(([n, values]) => ({ id: id(n), values })) };
}

/** the keys as the indexer's definition gives them: every value of every indexed attribute */
function expected(s: SchemaBinding, rec: ObjectRecord): string[] {
  const out: string[] = [];
  for (const a of rec.attrs) {
    const info = s.attrById(a.id)!;
    if (!s.isIndexed(a.id)) continue;
    for (const v of a.values) out.push(indexKey(a.id, info.syntax.normalize(v as never)).toString('hex'));
  }
  return out;
}

test('index keys: the same bytes as indexKey(normalize(value)) for 500 objects, past the memo bound of unique values', () => {
  const s = binding();
  for (let i = 0; i < 500; i++) {
    const rec = user(s, i);
    const keys = s.indexer(rec);
    assert.deepEqual(keys.map((k) => k.toString('hex')), expected(s, rec), `object ${i}`);
    // objectClass ×4, sAMAccountName, cn, userAccountControl, primaryGroupID, objectCategory (not description)
    if (i === 0) assert.equal(keys.length, 9);
  }
  // after them: the shared values still hit (the same Buffer), the unique ones are computed (their memo gave up)
  const oc = s.attr('objectClass')!.id;
  const sam = s.attr('sAMAccountName')!.id;
  const at = (keys: Buffer[], attid: number) => keys.filter((k) => k.readUInt32BE(0) === attid)[0]!;
  const [x, y] = [s.indexer(user(s, 3)), s.indexer(user(s, 3))];
  assert.equal(at(x, oc), at(y, oc));
  assert.notEqual(at(x, sam), at(y, sam));
  assert.ok(at(x, sam).equals(at(y, sam)));
});

test('index keys of scalar values are remembered per binding; a new binding and non-scalar values compute their own', () => {
  const s = binding();
  const a = s.indexer(user(s, 1));
  const b = s.indexer(user(s, 4));
  const oc = s.attr('objectClass')!.id;
  const at = (keys: Buffer[], attid: number) => keys.filter((k) => k.readUInt32BE(0) === attid);
  // the memo's hit: the same Buffer for the same scalar value (objectClass, userAccountControl 512, primaryGroupID 513)
  at(a, oc).forEach((k, i) => assert.equal(at(b, oc)[i], k));
  assert.equal(at(b, s.attr('primaryGroupID')!.id)[0], at(a, s.attr('primaryGroupID')!.id)[0]);
  // a DN value (objectCategory) is not a scalar: its key is computed each time, with the same bytes
  const cat = s.attr('objectCategory')!.id;
  assert.notEqual(at(b, cat)[0], at(a, cat)[0]);
  assert.ok(at(b, cat)[0]!.equals(at(a, cat)[0]!));
  // control: another binding (a schema change) does not hand out the first one's keys
  const s2 = binding();
  const c = s2.indexer(user(s2, 1));
  at(c, oc).forEach((k, i) => {
    assert.notEqual(k, at(a, oc)[i]);
    assert.ok(k.equals(at(a, oc)[i]!));
  });
});
