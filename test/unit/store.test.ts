import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Store, StoreError, STORE_FORMAT, indexKey } from '../../src/store/store.js';
import { DnDeriver } from '../../src/dsa/names.js';
import { OriginatingUpdate } from '../../src/dsa/originating-update.js';
import type { ObjectRecord } from '../../src/store/record.js';
import { newGuid } from '../../src/util/guid.js';
import { systemClock } from '../../src/util/time.js';
import { InvalidDNError } from '../../src/dn/dn.js';
import { tempDir } from '../helpers/tmp.js';
import { withStore } from '../helpers/store.js';

const TYPES: Record<string, number> = { cn: 3, ou: 11, dc: 25 };
const names = new DnDeriver({
  nameOf: (id) => Object.keys(TYPES).find((k) => TYPES[k] === id)!,
  idOf: (t) => TYPES[t.toLowerCase()],
});

function rec(parent: Buffer | null, nc: Buffer, rdnType: number, name: string, usn: number, ncName?: string): ObjectRecord {
  const r: ObjectRecord = { parent, nc, rdnType, name, usnCreated: usn, usnChanged: usn, whenChanged: systemClock(), attrs: [] };
  if (ncName) r.ncName = ncName;
  return r;
}

/** Builds DC=example,DC=com / OU=A / OU=B / CN=leaf and returns their GUIDs. */
async function tree(s: Store) {
  const g = { nc: newGuid(), a: newGuid(), b: newGuid(), leaf: newGuid(), other: newGuid() };
  await s.write((w) => {
    const u = w.usn;
    w.putObject(g.nc, rec(null, g.nc, 25, 'example', u, 'DC=example,DC=com'), undefined);
    w.putObject(g.a, rec(g.nc, g.nc, 11, 'A', u), undefined);
    w.putObject(g.b, rec(g.a, g.nc, 11, 'B', u), undefined);
    w.putObject(g.leaf, rec(g.b, g.nc, 3, 'leaf', u), undefined);
    w.putObject(g.other, rec(g.nc, g.nc, 11, 'Other', u), undefined);
  });
  return g;
}

test('DNs are derived from parent and RDN, and resolve back', async () => {
  await withStore(async (s) => {
    const g = await tree(s);
    assert.equal(names.dnOf(s.reader, g.leaf), 'CN=leaf,OU=B,OU=A,DC=example,DC=com');
    const r = names.resolve(s.reader, 'cn=LEAF, ou=b,OU=a,dc=EXAMPLE,dc=com');
    assert.ok(r.found && r.guid.equals(g.leaf));
    const miss = names.resolve(s.reader, 'CN=nope,OU=B,OU=A,DC=example,DC=com');
    assert.ok(!miss.found && miss.reason === 'no-object' && miss.matched!.equals(g.b));
    const wrongType = names.resolve(s.reader, 'OU=leaf,OU=B,OU=A,DC=example,DC=com');
    assert.equal(wrongType.found, false);
    assert.deepEqual(names.resolve(s.reader, 'DC=other,DC=com'), { found: false, reason: 'no-nc' });
    assert.throws(() => names.resolve(s.reader, 'CN=a,,DC=com'), InvalidDNError);
  });
});

test('renaming and moving a subtree rewrites one object; DNs below follow', async () => {
  await withStore(async (s) => {
    const g = await tree(s);
    // rename OU=A to OU=Renamed
    await s.write((w) => {
      const prev = w.getObject(g.a)!;
      w.putObject(g.a, { ...prev, name: 'Renamed', usnChanged: w.usn }, prev);
    });
    assert.equal(names.dnOf(s.reader, g.leaf), 'CN=leaf,OU=B,OU=Renamed,DC=example,DC=com');
    assert.equal(names.resolve(s.reader, 'CN=leaf,OU=B,OU=A,DC=example,DC=com').found, false);
    // move OU=B (with its child) under OU=Other
    const usnBefore = s.dc.usn;
    await s.write((w) => {
      const prev = w.getObject(g.b)!;
      w.putObject(g.b, { ...prev, parent: g.other, usnChanged: w.usn }, prev);
    });
    assert.equal(names.dnOf(s.reader, g.leaf), 'CN=leaf,OU=B,OU=Other,DC=example,DC=com');
    const leaf = s.reader.getObject(g.leaf)!;
    assert.ok(leaf.usnChanged < usnBefore, 'the moved subtree below the moved object was not rewritten');
    assert.deepEqual([...s.reader.children(g.a)], []);
    assert.equal(s.reader.countChildren(g.other), 1);
  });
});

test('sibling names are unique, compared case-insensitively', async () => {
  await withStore(async (s) => {
    const g = await tree(s);
    for (const n of ['other', 'OTHER', 'oThEr']) {
      await assert.rejects(
        s.write((w) => w.putObject(newGuid(), rec(g.nc, g.nc, 11, n, w.usn), undefined)),
        (e: unknown) => e instanceof StoreError && e.code === 'ERR_STORE_NAME_EXISTS',
      );
    }
    // non-ASCII case folding
    await s.write((w) => w.putObject(newGuid(), rec(g.nc, g.nc, 3, 'Ärger', w.usn), undefined));
    await assert.rejects(s.write((w) => w.putObject(newGuid(), rec(g.nc, g.nc, 3, 'äRGER', w.usn), undefined)), StoreError);
    // a rename onto an existing sibling's name is refused too
    await assert.rejects(
      s.write((w) => {
        const prev = w.getObject(g.a)!;
        w.putObject(g.a, { ...prev, name: 'OTHER' }, prev);
      }),
      StoreError,
    );
    // the same name under another parent is fine
    await s.write((w) => w.putObject(newGuid(), rec(g.a, g.nc, 11, 'Other', w.usn), undefined));
  });
});

test('a failed update leaves nothing behind', async () => {
  await withStore(async (s) => {
    const g = await tree(s);
    const usn = s.dc.usn;
    const x = newGuid();
    await assert.rejects(
      s.write((w) => {
        w.putObject(x, rec(g.nc, g.nc, 3, 'half', w.usn), undefined);
        throw new Error('validation failed after a write');
      }),
      /validation failed/,
    );
    assert.equal(s.reader.getObject(x), undefined);
    assert.equal(s.reader.childByName(g.nc, 'half'), undefined);
    assert.equal(s.dc.usn, usn);
  });
});

test('USNs rise with every update and never go back across restarts', async () => {
  const { dir, cleanup } = tempDir();
  try {
    let s = Store.open(dir, { create: true });
    const nc = newGuid();
    const seen: number[] = [];
    await s.write((w) => {
      seen.push(w.usn);
      w.putObject(nc, rec(null, nc, 25, 'x', w.usn, 'DC=x'), undefined);
    });
    for (let i = 0; i < 20; i++) await s.write((w) => seen.push(w.usn) && w.setMeta('k', i));
    // reads do not consume USNs
    await s.write((w) => w.getObject(nc));
    const inv = s.dc.invocationId;
    await s.close();
    s = Store.open(dir);
    assert.ok(s.dc.invocationId.equals(inv), 'invocationId persists');
    for (let i = 0; i < 5; i++) await s.write((w) => seen.push(w.usn) && w.setMeta('k', i));
    await s.close();
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! > seen[i - 1]!, `usn ${seen[i]} after ${seen[i - 1]}`);
    assert.equal(new Set(seen).size, seen.length);
  } finally {
    cleanup();
  }
});

test('the USN index lists each object once, at its latest change', async () => {
  await withStore(async (s) => {
    const g = await tree(s);
    await s.write((w) => {
      const prev = w.getObject(g.leaf)!;
      w.putObject(g.leaf, { ...prev, usnChanged: w.usn }, prev);
    });
    const all = [...s.reader.changedSince(g.nc, 0)];
    assert.equal(all.length, 5);
    assert.ok(all.at(-1)!.guid.equals(g.leaf));
    const since = [...s.reader.changedSince(g.nc, all[0]!.usn)];
    assert.deepEqual(since.map((x) => x.guid.toString('hex')), [g.leaf.toString('hex')]);
  });
});

test('value indexes follow the indexer', async () => {
  const { dir, cleanup } = tempDir();
  const s = Store.open(dir, { create: true, indexer: (r) => [indexKey(3, Buffer.from(r.name.toUpperCase()))] });
  try {
    const g = await tree(s);
    assert.deepEqual([...s.reader.indexEqual(indexKey(3, Buffer.from('LEAF')))], [g.leaf]);
    await s.write((w) => {
      const prev = w.getObject(g.leaf)!;
      w.putObject(g.leaf, { ...prev, name: 'moved' }, prev);
    });
    assert.deepEqual([...s.reader.indexEqual(indexKey(3, Buffer.from('LEAF')))], []);
    assert.deepEqual([...s.reader.indexEqual(indexKey(3, Buffer.from('MOVED')))], [g.leaf]);
    assert.equal([...s.reader.indexPrefix(3, Buffer.from('O'))].length, 1);
  } finally {
    await s.close();
    cleanup();
  }
});

test('indexEqual: every object under a key (several, in GUID order), none under a key no object has, and a write transaction sees its own keys', async () => {
  const { dir, cleanup } = tempDir();
  const s = Store.open(dir, { create: true, indexer: (r) => [indexKey(3, Buffer.from(r.name.toUpperCase().replace(/[0-9]+$/, '')))] });
  try {
    const g = await tree(s);
    const same = [newGuid(), newGuid(), newGuid()];
    await s.write((w) => same.forEach((x, i) => w.putObject(x, rec(g.nc, g.nc, 3, `twin${i}`, w.usn), undefined)));
    const sorted = [...same].sort(Buffer.compare);
    assert.deepEqual([...s.reader.indexEqual(indexKey(3, Buffer.from('TWIN')))], sorted);
    assert.deepEqual([...s.reader.indexEqual(indexKey(3, Buffer.from('TWI')))], []);
    assert.deepEqual([...s.reader.indexEqual(indexKey(3, Buffer.from('TWINS')))], []);
    const late = newGuid();
    await s.write((w) => {
      assert.deepEqual([...w.indexEqual(indexKey(3, Buffer.from('FRESH')))], []);
      w.putObject(late, rec(g.nc, g.nc, 3, 'fresh', w.usn), undefined);
      assert.deepEqual([...w.indexEqual(indexKey(3, Buffer.from('FRESH')))], [late]);
      assert.equal([...w.indexEqual(indexKey(3, Buffer.from('TWIN')))].length, 3);
    });
    assert.deepEqual([...s.reader.indexEqual(indexKey(3, Buffer.from('FRESH')))], [late]);
  } finally {
    await s.close();
    cleanup();
  }
});

test('forward links keep stamps; back links list present values only', async () => {
  await withStore(async (s) => {
    const g = await tree(s);
    await s.write((w) => {
      const u = new OriginatingUpdate(w, s.dc.invocationId, systemClock);
      assert.equal(u.addLinkValue(g.a, 31, 2, g.leaf), true);
      assert.equal(u.addLinkValue(g.a, 31, 2, g.leaf), false, 'adding a present value again is no change');
      u.addLinkValue(g.a, 31, 2, g.b);
    });
    assert.equal([...s.reader.links(g.a, 2)].length, 2);
    assert.deepEqual([...s.reader.backlinks(g.leaf)].map((b) => b.source), [g.a]);
    await s.write((w) => new OriginatingUpdate(w, s.dc.invocationId, systemClock).removeLinkValue(g.a, 2, g.leaf));
    assert.equal([...s.reader.backlinks(g.leaf)].length, 0);
    assert.equal(s.reader.countBacklinks(g.b, 2), 1);
    assert.equal(s.reader.getLink(g.a, 2, g.leaf)!.stamp.dwVersion, 2);
  });
});

test('bad data directories get clear errors', async () => {
  const { dir, cleanup } = tempDir();
  try {
    assert.throws(() => Store.open(join(dir, 'missing')), (e: unknown) => e instanceof StoreError && e.code === 'ERR_STORE_NOT_FORESTD');
    mkdirSync(join(dir, 'junk', 'store'), { recursive: true });
    writeFileSync(join(dir, 'junk', 'store', 'notes.txt'), 'x');
    assert.throws(() => Store.open(join(dir, 'junk')), (e: unknown) => e instanceof StoreError && e.code === 'ERR_STORE_NOT_FORESTD');
    writeFileSync(join(dir, 'file'), 'x');
    assert.throws(() => Store.open(join(dir, 'file')), StoreError);
    // a store of another format version
    const s = Store.open(join(dir, 'v'), { create: true });
    await s.close();
    const { open } = await import('lmdb');
    const env = open({ path: join(dir, 'v', 'store'), maxDbs: 16 });
    const meta = env.openDB({ name: 'meta', encoding: 'msgpack' });
    await meta.put('format', STORE_FORMAT + 1);
    await env.close();
    assert.throws(() => Store.open(join(dir, 'v')), (e: unknown) => e instanceof StoreError && e.code === 'ERR_STORE_VERSION' && new RegExp(`format ${STORE_FORMAT + 1}`).test(e.message));
  } finally {
    cleanup();
  }
});

test('a second opener (forestd repl show beside serve) never lowers the serving process\'s USN reserve on close', async () => {
  const { dir, cleanup } = tempDir();
  const server = Store.open(dir, { create: true });
  try {
    await server.write((w) => void w.usn);
    const tool = Store.open(dir, {});
    const before = server.getMeta<number>('usnReserve')!;
    // the server goes on: one update takes USNs past half a block, so its reserve is raised
    await server.write((w) => {
      for (let i = 0; i < 6_000; i++) {
        void w.usn;
        w.advanceUsn();
      }
    });
    // the next update comes within half a block of the reserve: a reservation is flushed first
    await server.write((w) => void w.usn);
    const raised = server.getMeta<number>('usnReserve')!;
    assert.ok(raised > before, `the server raised its reserve (${before} → ${raised})`);
    await tool.close();
    // the tool read the old reserve at open; lowering the reserve to it would let a crash of the
    // server hand out again USNs its clients have seen
    assert.equal(server.getMeta<number>('usnReserve'), raised);
  } finally {
    await server.close();
    cleanup();
  }
});

test('ReadTxn.getMeta and ncHeads answer the snapshot\'s own state: an older snapshot does not see a later meta write or NC head', async () => {
  await withStore(async (s) => {
    await tree(s);
    const before = s.snapshot();
    const heads = before.ncHeads().length;
    await s.write((w) => {
      w.setMeta('snapshotProbe', 7);
      w.putObject(newGuid(), rec(null, newGuid(), 25, 'z', w.usn, 'DC=z'), undefined);
    });
    const after = s.snapshot();
    try {
      assert.equal(after.getMeta<number>('snapshotProbe'), 7, 'a new snapshot sees the write');
      assert.equal(after.ncHeads().length, heads + 1, 'a new snapshot sees the new NC head');
      assert.equal(before.getMeta('snapshotProbe'), undefined, 'the older snapshot does not');
      assert.equal(before.ncHeads().length, heads, 'nor its NC head');
    } finally {
      after.done();
      before.done();
    }
  });
});

test('ReadTxn.dcUsn is the snapshot\'s own: an older snapshot keeps its value after a commit, a new one sees the commit', async () => {
  await withStore(async (s) => {
    await tree(s);
    const before = s.snapshot();
    const b0 = before.dcUsn();
    assert.equal(before.dcUsn(), b0, 'the same snapshot, the same value');
    await s.write((w) => w.putObject(newGuid(), rec(null, newGuid(), 25, 'y', w.usn, 'DC=y'), undefined));
    const after = s.snapshot();
    try {
      assert.ok(after.dcUsn() > b0, `a commit that took a USN moves it (${after.dcUsn()} > ${b0})`);
      assert.equal(before.dcUsn(), b0, 'the older snapshot still answers its own state');
      // reads only: no commit, no move
      await s.write((w) => w.getObject(newGuid()));
      const again = s.snapshot();
      assert.equal(again.dcUsn(), after.dcUsn());
      again.done();
    } finally {
      after.done();
      before.done();
    }
  });
});
