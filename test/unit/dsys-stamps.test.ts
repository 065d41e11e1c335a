// Replays MS-ADTS 3.1.1.1.9's own example (the "DSYS" group: description and member, five
// originating updates) and asserts the exact stamps the spec shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../../src/store/store.js';
import { OriginatingUpdate } from '../../src/dsa/originating-update.js';
import { getAttr, type ObjectRecord } from '../../src/store/record.js';
import { newGuid } from '../../src/util/guid.js';
import { tempDir } from '../helpers/tmp.js';

const DESCRIPTION = 13; // ATTRTYP of description (2.5.4.13)
const MEMBER = 31; // ATTRTYP of member (2.5.4.31)
const MEMBER_LINK_ID = 2;

test('MS-ADTS 3.1.1.1.9 DSYS example: AttributeStamps and LinkValueStamps', async () => {
  const { dir, cleanup } = tempDir();
  const store = Store.open(dir, { create: true });
  try {
    // "This DC's invocationId is 103, and its usn is 501 at the time of the originating update."
    const inv103 = Buffer.alloc(16);
    inv103.writeUInt32LE(103, 0);
    store.dc.invocationId = inv103;
    store.dc.usn = 501;
    let now = 0x2fa9a74ea;
    const clock = () => now;

    const nc = newGuid();
    const dsys = newGuid();
    const peter = newGuid();
    await store.write((w) => {
      const u = new OriginatingUpdate(w, store.dc.invocationId, clock);
      const head: ObjectRecord = { parent: null, nc, rdnType: 25, name: 'microsoft', ncName: 'DC=microsoft,DC=com', usnCreated: u.usn, usnChanged: u.usn, whenChanged: u.time, attrs: [] };
      w.putObject(nc, head, undefined);
      const group: ObjectRecord = { parent: nc, nc, rdnType: 3, name: 'DSYS', usnCreated: u.usn, usnChanged: u.usn, whenChanged: u.time, attrs: [] };
      w.putObject(dsys, group, undefined);
      w.putObject(peter, { ...group, name: 'Peter Houston', attrs: [] }, undefined);
    });
    store.dc.usn = 501; // the example starts from usn 501 after the objects exist

    const modify = (body: (u: OriginatingUpdate, rec: ObjectRecord) => void) =>
      store.write((w) => {
        const u = new OriginatingUpdate(w, store.dc.invocationId, clock);
        const prev = w.getObject(dsys)!;
        const rec = structuredClone(prev);
        body(u, rec);
        u.touch(rec);
        w.putObject(dsys, rec, prev);
      });
    const desc = () => getAttr(store.reader.getObject(dsys)!, DESCRIPTION)!;
    const link = () => store.reader.getLink(dsys, MEMBER_LINK_ID, peter)!;
    const stamp = (s: { dwVersion: number; timeChanged: number; uuidOriginating: Buffer; usnOriginating: number }) => [s.dwVersion, s.timeChanged, s.uuidOriginating.readUInt32LE(0), s.usnOriginating];
    const lstamp = (s: { dwVersion: number; timeChanged: number; uuidOriginating: Buffer; usnOriginating: number; timeCreated: number; timeDeleted: number }) => [...stamp(s), s.timeCreated, s.timeDeleted];

    // 1. An LDAP Modify adds a value for description.
    await modify((u, rec) => u.setAttribute(rec, { id: DESCRIPTION, replicated: true }, ['QWERTY']));
    assert.deepEqual(stamp(desc().stamp!), [1, 0x2fa9a74ea, 103, 501]);
    assert.deepEqual(desc().values, ['QWERTY']);

    // 2. One second later, a Modify adds a value for member.
    now++;
    await modify((u) => assert.ok(u.addLinkValue(dsys, MEMBER, MEMBER_LINK_ID, peter)));
    assert.deepEqual(lstamp(link().stamp), [1, 0x2fa9a74eb, 103, 502, 0x2fa9a74eb, 0]);
    assert.deepEqual(stamp(desc().stamp!), [1, 0x2fa9a74ea, 103, 501], 'description untouched');

    // 3. A Modify removes the values of both description and member.
    now++;
    await modify((u, rec) => {
      u.setAttribute(rec, { id: DESCRIPTION, replicated: true }, []);
      assert.ok(u.removeLinkValue(dsys, MEMBER_LINK_ID, peter));
    });
    assert.deepEqual(stamp(desc().stamp!), [2, 0x2fa9a74ec, 103, 503]);
    assert.deepEqual(desc().values, [], 'the attribute keeps its stamp with no values');
    assert.deepEqual(lstamp(link().stamp), [2, 0x2fa9a74ec, 103, 503, 0x2fa9a74eb, 0x2fa9a74ec]);
    assert.equal([...store.reader.backlinks(peter)].length, 0, 'a tombstoned link value is no back link');

    // 4. A Modify sets member back; the stamp is not what it had before.
    now++;
    await modify((u) => assert.ok(u.addLinkValue(dsys, MEMBER, MEMBER_LINK_ID, peter)));
    assert.deepEqual(lstamp(link().stamp), [3, 0x2fa9a74ed, 103, 504, 0x2fa9a74eb, 0]);
    assert.equal([...store.reader.backlinks(peter)].length, 1);

    // 5. A Modify sets description to a new value.
    now++;
    await modify((u, rec) => u.setAttribute(rec, { id: DESCRIPTION, replicated: true }, ['SHRDLU']));
    assert.deepEqual(stamp(desc().stamp!), [3, 0x2fa9a74ee, 103, 505]);
    assert.deepEqual(lstamp(link().stamp), [3, 0x2fa9a74ed, 103, 504, 0x2fa9a74eb, 0]);

    // uSNChanged follows the last update, and the DC's usn has moved past it
    assert.equal(store.reader.getObject(dsys)!.usnChanged, 505);
    assert.equal(store.dc.usn, 506);
  } finally {
    await store.close();
    cleanup();
  }
});
