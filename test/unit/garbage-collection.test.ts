// Garbage collection after the tombstone lifetime (MS-ADTS 3.1.1.1.5.1, 3.1.1.1.9).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { provision } from '../../src/dsa/provision/provision.js';
import { add } from '../../src/dsa/add.js';
import { modify } from '../../src/dsa/modify.js';
import { del } from '../../src/dsa/delete.js';
import { collectGarbage, tombstoneLifetimeDays } from '../../src/dsa/garbage-collection.js';
import type { OperationContext } from '../../src/dsa/api.js';
import { tempDir } from '../helpers/tmp.js';

const ctx: OperationContext = { session: { id: 1, identity: null, encrypted: true, globalCatalog: false, remoteAddress: 'test' }, controls: [], signal: new AbortController().signal };
const attr = (type: string, ...values: string[]) => ({ type, values: values.map((v) => Buffer.from(v)) });

test('tombstones and tombstoned link values are removed after tombstoneLifetime, not before', async () => {
  const t = tempDir();
  const { directory: dir } = await provision({ dataDir: join(t.dir, 'd'), realm: 'example.com', netbios: 'EXAMPLE', adminPassword: 'Passw0rd!' });
  try {
    const D = dir.forest.domainDN;
    await add(dir, { type: 'addRequest', entry: `CN=Dave,CN=Users,${D}`, attributes: [attr('objectClass', 'user')] }, ctx);
    await add(dir, { type: 'addRequest', entry: `CN=Eve,CN=Users,${D}`, attributes: [attr('objectClass', 'user')] }, ctx);
    await add(dir, { type: 'addRequest', entry: `CN=G,CN=Users,${D}`, attributes: [attr('objectClass', 'group'), attr('member', `CN=Eve,CN=Users,${D}`)] }, ctx);
    const dave = dir.resolve(dir.store.reader, `CN=Dave,CN=Users,${D}`, 't');
    const eve = dir.resolve(dir.store.reader, `CN=Eve,CN=Users,${D}`, 't');
    const g = dir.resolve(dir.store.reader, `CN=G,CN=Users,${D}`, 't');
    await del(dir, { type: 'delRequest', entry: `CN=Dave,CN=Users,${D}` }, ctx);
    await modify(dir, { type: 'modifyRequest', object: `CN=G,CN=Users,${D}`, changes: [{ operation: 1, modification: attr('member', `CN=Eve,CN=Users,${D}`) }] }, ctx);
    assert.ok(dir.store.reader.hasObject(dave), 'a tombstone exists');
    assert.equal([...dir.store.reader.rawLinks(g)].length, 1, 'the removed member is a tombstoned link value');
    const days = tombstoneLifetimeDays(dir);
    assert.equal(days, 180, 'tombstoneLifetime of the Directory Service object');
    const now = dir.clock();
    assert.deepEqual(await collectGarbage(dir, now + (days - 1) * 86_400), { objects: 0, linkValues: 0 }, 'nothing before the lifetime');
    const r = await collectGarbage(dir, now + (days + 1) * 86_400);
    assert.equal(r.objects, 1);
    assert.equal(r.linkValues, 1);
    assert.equal(dir.store.reader.hasObject(dave), false, 'the tombstone is gone');
    assert.equal([...dir.store.reader.rawLinks(g)].length, 0);
    assert.ok(dir.store.reader.hasObject(eve), 'live objects stay');
  } finally {
    await dir.close();
    t.cleanup();
  }
});
