// The parsed attribute selection of a search (entry.ts selectionFor) is kept per schema binding
// and request list: the same list under the same schema is parsed once, and a schema change
// (a new binding) never sees a selection parsed under the old one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBootstrapSchema } from '../../src/schema/bootstrap.js';
import { SchemaSnapshot } from '../../src/schema/snapshot.js';
import { SchemaBinding } from '../../src/dsa/schema-binding.js';
import { parseSelection, selectionFor, SELECTION_CACHE_SIZE } from '../../src/dsa/search/entry.js';

const boot = loadBootstrapSchema();
// a schema with one more attribute than the bootstrap schema: forestdSelectionTest, a copy of description under another name and OID
const added = () => {
  const d = boot.attributes.find((a) => a.lDAPDisplayName === 'description')!;
  return { ...d, lDAPDisplayName: 'forestdSelectionTest', cn: 'forestd-Selection-Test', attributeID: '1.2.840.113556.1.4.7000.999.1', schemaIDGUID: '6d2a6c1e-2f4e-4b7e-9a4c-1a2b3c4d5e6f' };
};
const binding = (extra = false) => new SchemaBinding(new SchemaSnapshot(extra ? [...boot.attributes, added()] : boot.attributes, boot.classes, boot.prefixTable));
const names = (sel: ReturnType<typeof parseSelection>) => sel.named.map((r) => r.info.name);

test('a request list is parsed once per schema binding, and a new schema parses it again', () => {
  const s1 = binding();
  const a = selectionFor(s1, ['cn', 'mail']);
  assert.equal(selectionFor(s1, ['cn', 'mail']), a, 'the same list under the same schema: the same selection');
  assert.deepEqual(names(a), ['cn', 'mail']);
  assert.deepEqual(a, parseSelection(s1, ['cn', 'mail']), 'what parseSelection gives');
  // a different list, or the same names split differently, is another selection
  assert.notEqual(selectionFor(s1, ['mail', 'cn']), a);
  assert.deepEqual(names(selectionFor(s1, ['cn\u0000mail'])), []);
  // an attribute the schema does not have is not selected
  assert.deepEqual(names(selectionFor(s1, ['cn', 'forestdSelectionTest'])), ['cn']);
  // a schema change (new binding) that adds it: the selection parsed under the old schema is not used
  const s2 = binding(true);
  const b = selectionFor(s2, ['cn', 'forestdSelectionTest']);
  assert.deepEqual(names(b), ['cn', 'forestdSelectionTest']);
  // negative control: the old binding still answers with its own schema
  assert.deepEqual(names(selectionFor(s1, ['cn', 'forestdSelectionTest'])), ['cn']);
});

test('the selections kept per schema binding are bounded', () => {
  const s = binding();
  const first = selectionFor(s, ['cn']);
  for (let i = 0; i < SELECTION_CACHE_SIZE; i++) selectionFor(s, ['cn', `x${i}`]);
  // the first list was dropped with the rest when the bound was reached: parsed again, equal
  const again = selectionFor(s, ['cn']);
  assert.notEqual(again, first);
  assert.deepEqual(again, first);
});

test('the last list served is answered again only for the same list, item by item', () => {
  const s = binding();
  const a = selectionFor(s, ['cn', 'mail']);
  assert.equal(selectionFor(s, ['cn', 'mail']), a, 'repeated: the same selection');
  // negative controls: a longer list, a shorter one, one name changed — each its own selection
  assert.deepEqual(names(selectionFor(s, ['cn', 'mail', 'sn'])), ['cn', 'mail', 'sn']);
  assert.deepEqual(names(selectionFor(s, ['cn'])), ['cn']);
  assert.deepEqual(names(selectionFor(s, ['cn', 'sn'])), ['cn', 'sn']);
  assert.equal(selectionFor(s, ['cn', 'mail']), a, 'the first list again, from the kept selections');
  assert.deepEqual(names(selectionFor(s, ['cn\u0000mail'])), [], 'a name with a NUL: parsed on its own');
  assert.equal(selectionFor(s, ['cn', 'mail']), a);
});
