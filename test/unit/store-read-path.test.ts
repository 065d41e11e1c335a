// The store's read path for searches: records read lazily (ReadTxn.readObject, record.ts
// LazyObjectRecord) give exactly what the full decode gives, and the NC name hints of DN
// resolution never hide an NC head.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../../src/store/store.js';
import { attrValues, getAttr, LazyObjectRecord, type ObjectRecord } from '../../src/store/record.js';
import { DnDeriver } from '../../src/dsa/names.js';
import { newGuid } from '../../src/util/guid.js';
import { withStore } from '../helpers/store.js';

const TYPES: Record<string, number> = { cn: 3, ou: 11, dc: 25 };
const names = new DnDeriver({
  nameOf: (id) => Object.keys(TYPES).find((k) => TYPES[k] === id)!,
  idOf: (t) => TYPES[t.toLowerCase()],
});

function head(guid: Buffer, ncName: string, usn: number): ObjectRecord {
  return { parent: null, nc: guid, rdnType: 25, name: ncName.split(',')[0]!.slice(3), ncName, usnCreated: usn, usnChanged: usn, whenChanged: 13_300_000_000, attrs: [] };
}

/** An NC head and a leaf under it whose attributes take many MessagePack forms: strings (short and long), binary, big integers, floats, booleans, maps, empty lists, and a security descriptor, kept once in the SD table and referenced from the record (attribute 250). */
async function sampleRecord(s: Store): Promise<{ nc: Buffer; g: Buffer; attrs: { id: number; values: unknown[]; stamp?: unknown }[] }> {
  const nc = newGuid();
  const g = newGuid();
  const inv = s.dc.invocationId;
  const stamp = (v: number) => ({ dwVersion: v, timeChanged: 13_300_000_000 + v, uuidOriginating: inv, usnOriginating: 7 + v, usnLocal: 9 + v });
  const attrs = [
    { id: 0, values: ['1.2.840.113556.1.5.9', 'x'.repeat(300)], stamp: stamp(1) },
    { id: 3, values: ['leaf'], stamp: stamp(2) },
    { id: 0x90000 + 14, values: [Buffer.alloc(70_000, 7)], stamp: stamp(3) },
    { id: 0xffff_fff0, values: [2n ** 62n, -5, 1.5, 2 ** 40], stamp: stamp(4) },
    { id: 200, values: [true, false, null] },
    { id: 201, values: [{ ref: { guid: Buffer.alloc(16, 1) }, binary: Buffer.from([1, 2]) }] },
    { id: 202, values: [], stamp: stamp(5) },
    { id: 250, values: [Buffer.from('010004800000000000000000000000001400000002000800000000', 'hex')], stamp: stamp(6) },
  ];
  s.setSecurityDescriptorAttribute(250);
  await s.write((w) => {
    w.putObject(nc, head(nc, 'DC=example,DC=com', w.usn), undefined);
    w.putObject(g, { parent: nc, nc, rdnType: 3, name: 'leaf', usnCreated: w.usn, usnChanged: w.usn, whenChanged: 13_300_000_001, attrs }, undefined);
  });
  return { nc, g, attrs };
}

test('a lazily read record gives the values, stamps and fields of the full decode, attribute by attribute', async () => {
  await withStore(async (s) => {
    const { nc, g } = await sampleRecord(s);
    for (const guid of [g, nc]) {
      const full = s.reader.getObject(guid)!;
      const lazy = s.reader.readObject(guid)!;
      assert.ok(lazy instanceof LazyObjectRecord);
      for (const k of ['parent', 'nc', 'rdnType', 'name', 'ncName', 'usnCreated', 'usnChanged', 'whenChanged'] as const) assert.deepEqual(lazy[k], full[k], k);
      for (const a of full.attrs) assert.deepEqual(getAttr(lazy, a.id), a);
      assert.deepEqual(lazy.attrIds(), full.attrs.map((a) => a.id));
      // negative control: an attribute the record does not have
      assert.equal(getAttr(lazy, 999), undefined);
      assert.equal(getAttr(full, 999), undefined);
      // the questions above were answered from the attribute directory, not by a full decode
      assert.equal((lazy as unknown as { all?: unknown }).all, undefined);
      assert.deepEqual(lazy.attrs, full.attrs);
    }
    assert.deepEqual(getAttr(s.reader.readObject(g)!, 0xffff_fff0)!.values, [2n ** 62n, -5, 1.5, 2 ** 40]);
  });
});

test('the values of a lazily read record without their stamps (valuesOf, attrValues) are those of the full decode, before and after getAttr', async () => {
  await withStore(async (s) => {
    // the record of the test above: values of many MessagePack forms, an SD in the SD table (attribute 250)
    const { g, attrs } = await sampleRecord(s);
    const full = s.reader.getObject(g)!;
    // values first (the stamp skipped), then the whole attribute: the same values, the same array
    const lazy = s.reader.readObject(g)!;
    for (const a of full.attrs) {
      const v = lazy.valuesOf(a.id);
      assert.deepEqual(v, a.values, `values of ${a.id}`);
      assert.deepEqual(attrValues(lazy, a.id), a.values);
      const whole = getAttr(lazy, a.id)!;
      assert.deepEqual(whole, a, `attribute ${a.id} after its values`);
      assert.equal(whole.values, v, 'getAttr keeps the array valuesOf gave');
    }
    // the SD comes from the SD table either way: the same bytes
    assert.deepEqual(Buffer.from(lazy.valuesOf(250)![0] as Uint8Array), attrs.find((a) => a.id === 250)!.values[0]);
    // the whole attribute first, then its values
    const lazy2 = s.reader.readObject(g)!;
    for (const a of full.attrs) {
      const whole = getAttr(lazy2, a.id)!;
      assert.equal(lazy2.valuesOf(a.id), whole.values);
    }
    // valuesKey: the packed values alone, the same for the same values whatever the stamp, '' when absent
    assert.equal(lazy.valuesKey(0), lazy2.valuesKey(0));
    assert.notEqual(lazy.valuesKey(0), lazy.valuesKey(200));
    assert.equal(lazy.valuesKey(999), '');
    const other = newGuid();
    await s.write((w) => {
      const stamp = { dwVersion: 9, timeChanged: 13_300_000_009, uuidOriginating: s.dc.invocationId, usnOriginating: 99, usnLocal: 99 };
      w.putObject(other, { parent: null, nc: other, rdnType: 25, name: 'other', ncName: 'DC=other', usnCreated: w.usn, usnChanged: w.usn, whenChanged: 13_300_000_002, attrs: [{ id: 0, values: attrs[0]!.values, stamp }, { id: 200, values: [true] }] }, undefined);
    });
    const o = s.reader.readObject(other)!;
    assert.equal(o.valuesKey(0), lazy.valuesKey(0), 'the same values under another stamp: the same key');
    assert.notEqual(o.valuesKey(200), lazy.valuesKey(200), 'other values: another key');
    // negative control: an attribute the record does not have, on either kind of record
    assert.equal(lazy.valuesOf(999), undefined);
    assert.equal(attrValues(full, 999), undefined);
    assert.deepEqual(attrValues(full, 0), attrs[0]!.values);
    assert.deepEqual(lazy.attrs, full.attrs);
  });
});

test('DN resolution finds an NC head filed by another writer of the store, which the hints of this one do not know', async () => {
  await withStore(async (s, dir) => {
    const nc = newGuid();
    await s.write((w) => w.putObject(nc, head(nc, 'DC=example,DC=com', w.usn), undefined));
    // filed by this store: known to its hints
    assert.ok(s.reader.ncHeadByNormalizedName('dc=example,dc=com', true)?.equals(nc));
    // another writer of the same store (as another process would be) files a new NC head
    const other = Store.open(dir);
    const nc2 = newGuid();
    const child = newGuid();
    try {
      await other.write((w) => {
        w.putObject(nc2, head(nc2, 'DC=other,DC=net', w.usn), undefined);
        w.putObject(child, { parent: nc2, nc: nc2, rdnType: 3, name: 'x', usnCreated: w.usn, usnChanged: w.usn, whenChanged: 1, attrs: [] }, undefined);
      });
    } finally {
      await other.close();
    }
    // the hinted question misses it (the hints are this store's), the unhinted one finds it
    assert.equal(s.reader.ncHeadByNormalizedName('dc=other,dc=net', true), undefined);
    assert.ok(s.reader.ncHeadByNormalizedName('dc=other,dc=net')?.equals(nc2));
    // and resolution, which asks hinted first, still finds the object
    const r = names.resolve(s.reader, 'CN=x,DC=other,DC=net');
    assert.ok(r.found && r.guid.equals(child));
    const miss = names.resolve(s.reader, 'CN=y,DC=other,DC=net');
    assert.ok(!miss.found && miss.matched?.equals(nc2));
  });
});

test("a snapshot's DC tuple USN is read once and stays its own: a later commit leaves it, a new snapshot and Store.reader see the new one", async () => {
  await withStore(async (s) => {
    const nc = newGuid();
    await s.write((w) => w.putObject(nc, head(nc, 'DC=example,DC=com', w.usn), undefined));
    const a = s.snapshot();
    try {
      const before = a.dcUsn();
      assert.equal(a.dcUsn(), before);
      const g = newGuid();
      await s.write((w) => w.putObject(g, { parent: nc, nc, rdnType: 3, name: 'x', usnCreated: w.usn, usnChanged: w.usn, whenChanged: 13_300_000_001, attrs: [] }, undefined));
      assert.equal(a.dcUsn(), before, 'the snapshot keeps its own');
      const b = s.snapshot();
      assert.ok(b.dcUsn() > before, 'a new snapshot sees the commit');
      b.done();
      assert.ok(s.reader.dcUsn() > before, 'a view without a snapshot of its own reads it each time');
    } finally {
      a.done();
    }
  });
});

test('getObjectShared: the full decode, frozen, one object per stored version; a write (committed, or seen inside its own transaction) gives the new version, an aborted one leaves the old', async () => {
  await withStore(async (s) => {
    const { g } = await sampleRecord(s);
    const full = s.reader.getObject(g)!;
    const shared = s.reader.getObjectShared(g)!;
    assert.deepEqual(shared, full);
    assert.ok(Object.isFrozen(shared) && Object.isFrozen(shared.attrs) && shared.attrs.every((a) => Object.isFrozen(a) && Object.isFrozen(a.values)));
    assert.throws(() => (shared.attrs as unknown[]).push({}), TypeError);
    // the same stored bytes: the same object, also from another view (a snapshot)
    assert.equal(s.reader.getObjectShared(g), shared);
    const snap = s.snapshot();
    assert.equal(snap.getObjectShared(g), shared);
    // a new version: a new record, inside the writing transaction and after its commit
    let inside: unknown;
    await s.write((w) => {
      const prev = w.getObject(g)!;
      w.putObject(g, { ...prev, name: 'leaf2', usnChanged: w.usn, attrs: [...prev.attrs, { id: 203, values: ['new'] }] }, prev);
      inside = w.getObjectShared(g);
    });
    const after = s.reader.getObjectShared(g)!;
    assert.notEqual(after, shared);
    assert.equal(after.name, 'leaf2');
    assert.deepEqual(inside, after);
    assert.deepEqual(after, s.reader.getObject(g));
    // the older snapshot still reads its own version
    assert.equal(snap.getObjectShared(g)!.name, 'leaf');
    snap.done();
    // an aborted write: what it read inside is not what is stored afterwards
    await assert.rejects(
      s.write((w) => {
        const prev = w.getObject(g)!;
        w.putObject(g, { ...prev, name: 'leaf3', usnChanged: w.usn }, prev);
        assert.equal(w.getObjectShared(g)!.name, 'leaf3');
        throw new Error('abort after the write');
      }),
      /abort after the write/,
    );
    assert.equal(s.reader.getObjectShared(g)!.name, 'leaf2');
    assert.equal(s.reader.getObjectShared(newGuid()), undefined);
  });
});
