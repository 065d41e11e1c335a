// The encoded-entry cache (src/dsa/search/entry-cache.ts): a search result entry's attributes are
// served from the BER kept for the object, request and requester while the attributes they were
// built from (and those the access check reads) are stored alike. Each test reads, changes one
// thing the entry depends on, and reads again: a modify, an ACL change on the object, an SD
// change propagated from the parent (which leaves uSNChanged alone), a schema change, another
// requester. The negative control turns the cache off (capacity 0): no hit, the same answers.
import test from 'node:test';
import assert from 'node:assert/strict';
import type { Directory } from '../../src/dsa/directory.js';
import { search } from '../../src/dsa/search/search.js';
import type { OperationContext, SearchSink } from '../../src/dsa/api.js';
import type { OutgoingAttribute } from '../../src/ldap/protocol/messages.js';
import { BerWriter } from '../../src/ber/writer.js';
import { decodeMessage, writeMessage } from '../../src/ldap/protocol/codec.js';
import { sddlToBinary } from '../../src/security/sddl.js';
import { sidToString } from '../../src/schema/syntaxes/string-sid.js';
import { sdPropagationIdle } from '../../src/dsa/access/sd-propagator.js';
import { SearchFlags } from '../../src/schema/types.js';
import { addObject, as, fixture, mod, read, values, withAce, DOMAIN, USERS } from './dsa-fixture.js';
import { context, request, withSearchFlags } from '../helpers/search-fixture.js';
import { selectionFor } from '../../src/dsa/search/entry.js';
import { entryKey } from '../../src/dsa/search/entry-cache.js';
import { makeToken } from '../../src/security/token.js';

const DESCRIPTION = 'bf967950-0de6-11d0-a285-00aa003049e2'; // schemaIDGUID of description
const OU = `OU=Cached,${DOMAIN}`;
const BOB = `CN=bob,${OU}`;
const ATTRS = ['sn', 'givenName', 'description'];

interface Read {
  attrs: Map<string, string[]>;
  /** the entry came through entryEncoded (the cache served or built it) */
  encoded: boolean;
}

function toMap(list: readonly OutgoingAttribute[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const a of list) m.set(a.type.toLowerCase(), a.values.map((v) => (typeof v === 'string' ? v : Buffer.from(v).toString('utf8'))));
  return m;
}

/** A base read of `dn` as `who`, through a sink that takes encoded entries as the LDAP connection does. */
async function look(d: Directory, dn: string, who: OperationContext, attributes = ATTRS): Promise<Read> {
  const got: Read[] = [];
  const sink: SearchSink = {
    entry: (_n, attrs) => void got.push({ attrs: toMap(attrs), encoded: false }),
    entryEncoded: (n, ber) => {
      // the SearchResultEntry as it goes on the wire, decoded again
      const w = new BerWriter();
      writeMessage(w, { messageID: 1, protocolOp: { type: 'searchResultEntry', objectName: n, attributes: [], encodedAttributes: ber } });
      const m = decodeMessage(Buffer.from(w.toBuffer()));
      assert.equal(m.protocolOp.type, 'searchResultEntry');
      got.push({ attrs: toMap(m.protocolOp.type === 'searchResultEntry' ? m.protocolOp.attributes : []), encoded: true });
    },
    reference: () => {},
  };
  await search(d, request(dn, '(objectClass=*)', { scope: 0, attributes }), who, sink);
  assert.equal(got.length, 1, `one entry for ${dn}`);
  return got[0]!;
}


/** A test on a directory holding bob (in OU=Cached) and alice (in CN=Users); alice is the requester. */
function cacheTest(name: string, fn: (d: Directory, alice: OperationContext, aliceSid: string) => Promise<void>): void {
  test(name, async () => {
    const f = await fixture();
    try {
      await addObject(f.d, OU, { objectClass: 'organizationalUnit' });
      await addObject(f.d, BOB, { objectClass: 'user', sAMAccountName: 'bob', sn: 'Builder', givenName: 'Bob', description: 'one' });
      await addObject(f.d, `CN=alice,${USERS}`, { objectClass: 'user', sAMAccountName: 'alice' });
      const aliceSid = sidToString(values(f.d, read(f.d, `CN=alice,${USERS}`).rec, 'objectSid')[0] as Uint8Array);
      assert.match(aliceSid, /^S-1-5-21-/, 'alice is a domain account');
      await fn(f.d, as(f.d, `CN=alice,${USERS}`), aliceSid);
    } finally {
      await f.close();
    }
  });
}

/** Two reads of bob as `who` (the first builds the cached entry, the second is served from it): description there or not. */
async function twice(d: Directory, who: OperationContext, description: boolean, why: string): Promise<void> {
  for (const n of ['first', 'second']) assert.equal((await look(d, BOB, who)).attrs.has('description'), description, `${why} (${n} read)`);
}

cacheTest('a repeated read is served from the cache; capacity 0 (negative control) serves the same entry without it', async (d, alice) => {
  const c = d.entryCache;
  const first = await look(d, BOB, alice);
  assert.deepEqual(first.attrs.get('description'), ['one']);
  assert.ok(first.encoded);
  const h0 = c.hits;
  const second = await look(d, BOB, alice);
  assert.equal(c.hits, h0 + 1, 'the second read is a hit');
  assert.deepEqual(second.attrs, first.attrs);
  // another connection of the same account (a new token with the same SIDs) shares the entry
  await look(d, BOB, as(d, `CN=alice,${USERS}`));
  assert.equal(c.hits, h0 + 2);

  c.capacity = 0;
  const off = await look(d, BOB, alice);
  assert.equal(c.hits, h0 + 2, 'no hit with the cache off');
  assert.ok(!off.encoded, 'the cache off: the entry goes through entry()');
  assert.deepEqual(off.attrs, first.attrs);
  c.capacity = 100;

  // selections the cache never serves: '*', a DN-syntax attribute, a constructed one
  for (const attributes of [['*'], ['sn', 'manager'], ['sn', 'memberOf'], ['sn', 'allowedAttributesEffective']]) {
    const m = c.misses;
    assert.ok(!(await look(d, BOB, alice, attributes)).encoded, `${attributes.join(',')} is not cached`);
    assert.equal(c.misses, m);
  }
});

cacheTest('a modify is seen at once: the stored bytes differ, the cached entry is not served', async (d, alice) => {
  await twice(d, alice, true, 'before the modify');
  const m0 = d.entryCache.misses;
  await mod(d, BOB, [['replace', 'description', ['two']]]);
  const after = await look(d, BOB, alice);
  assert.deepEqual(after.attrs.get('description'), ['two']);
  assert.equal(d.entryCache.misses, m0 + 1);
  // an attribute the selection does not name changes nothing: still a hit
  await mod(d, BOB, [['replace', 'info', ['x']]]);
  const h = d.entryCache.hits;
  assert.deepEqual((await look(d, BOB, alice)).attrs.get('description'), ['two']);
  assert.equal(d.entryCache.hits, h + 1);
});

cacheTest('an ACL change on the object and another requester each get their own answer', async (d, alice, aliceSid) => {
  const admin = context();
  await twice(d, alice, true, 'before: alice reads description');
  // MS-ADTS 3.1.1.4.3: an attribute the requester may not read is left out
  await mod(d, BOB, [['replace', 'nTSecurityDescriptor', [withAce(d, BOB, `(OD;;RP;${DESCRIPTION};;${aliceSid})`)]]]);
  const denied = await look(d, BOB, alice);
  assert.ok(!denied.attrs.has('description'), 'after the deny ACE: alice does not read description');
  assert.deepEqual(denied.attrs.get('sn'), ['Builder']);
  await twice(d, alice, false, 'nor from the cache');
  // the administrator reads the same object version with description
  assert.deepEqual((await look(d, BOB, admin)).attrs.get('description'), ['one']);
  assert.deepEqual((await look(d, BOB, admin)).attrs.get('description'), ['one']);
  assert.ok(!(await look(d, BOB, alice)).attrs.has('description'), 'alice again after the administrator');
});

cacheTest('an SD propagated from the parent (uSNChanged unchanged, MS-ADTS 3.1.1.6.3) is seen', async (d, alice, aliceSid) => {
  // bob's own DACL without the explicit ACEs that would let alice read description whatever is inherited
  await mod(d, BOB, [['replace', 'nTSecurityDescriptor', [sddlToBinary('O:DAG:DAD:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;DA)', { domainSid: d.forest.domainSid })]]]);
  await twice(d, alice, true, 'before: alice reads description (inherited ACEs)');
  const usn = read(d, BOB).rec.usnChanged;
  await mod(d, OU, [['replace', 'nTSecurityDescriptor', [withAce(d, OU, `(OD;CI;RP;${DESCRIPTION};;${aliceSid})`)]]]);
  await sdPropagationIdle(d);
  assert.equal(read(d, BOB).rec.usnChanged, usn, 'the propagation left uSNChanged as it was');
  await twice(d, alice, false, 'the inherited deny ACE applies');
});

// The token's own memo of access decisions (access.ts memoFor) is per schema binding: a
// connection bound before the schema change is refused the newly confidential attribute too.
cacheTest('a schema change is seen by a requester bound before it (the token memo is per schema binding)', async (d, alice) => {
  await twice(d, alice, true, 'before: alice reads description');
  withSearchFlags(d, ['description'], SearchFlags.fCONFIDENTIAL);
  await twice(d, alice, false, 'confidential, same token: alice lacks CONTROL_ACCESS on it');
});

cacheTest('a schema change (description made confidential, MS-ADTS 3.1.1.2.3) is seen', async (d, alice) => {
  await twice(d, alice, true, 'before: alice reads description');
  withSearchFlags(d, ['description'], SearchFlags.fCONFIDENTIAL);
  // a new token (a new bind): the token's own access memo is not the cache under test
  const again = as(d, `CN=alice,${USERS}`);
  await twice(d, again, false, 'confidential: alice lacks CONTROL_ACCESS on it');
  assert.deepEqual((await look(d, BOB, context())).attrs.get('description'), ['one'], 'the administrator still reads it');
});

cacheTest('entries are keyed by a hash of the objectGUID: an object whose GUID hashes alike is not served another object’s entry', async (d) => {
  const c = d.entryCache;
  const sel = selectionFor(d.schema, ATTRS);
  const plan = c.planFor(d.schema, sel, undefined, false, 1500)!;
  assert.ok(plan, 'the selection is cacheable');
  const r = d.store.snapshot();
  try {
    const g1 = read(d, BOB).guid;
    const rec = r.readObject(g1)!;
    // the same 32-bit XOR of the four words: words 0 and 1 flipped alike
    const g2 = Buffer.from(g1);
    g2.writeUInt32LE((g2.readUInt32LE(0) ^ 0x5a5a5a5a) >>> 0, 0);
    g2.writeUInt32LE((g2.readUInt32LE(4) ^ 0x5a5a5a5a) >>> 0, 4);
    assert.equal(entryKey(plan, g2), entryKey(plan, g1), 'one key for both');
    const ber = Buffer.from([0x30, 0x00]);
    c.set(plan, g1, rec.packedVersion(plan.versionIds)!, ber);
    assert.equal(c.get(plan, g1, rec), ber, 'the entry is served for its own object');
    assert.equal(c.get(plan, g2, rec), undefined, 'not for the other (the same record bytes, the same key)');
    // nor under another plan whose number would give the same key
    const other = { ...plan, prefix: `${plan.prefix}x` };
    assert.equal(c.get(other, g1, rec), undefined, 'not for another prefix with the same number');
  } finally {
    r.done();
  }
});

cacheTest('the last plan is served again only for the same selection, requester, typesOnly and MaxValRange', async (d) => {
  const c = d.entryCache;
  const sel = selectionFor(d.schema, ATTRS);
  const other = selectionFor(d.schema, ['sn']);
  const t1 = makeToken(Buffer.from('010100000000000512000000', 'hex'), undefined, [], [], []);
  const t2 = makeToken(Buffer.from('010100000000000513000000', 'hex'), undefined, [], [], []);
  const p = c.planFor(d.schema, sel, t1, false, 1500)!;
  assert.equal(c.planFor(d.schema, sel, t1, false, 1500), p, 'the same inputs: the same plan');
  // negative controls: each input changed makes another plan (another prefix)
  const prefixes = new Set([p.prefix]);
  for (const q of [c.planFor(d.schema, sel, t2, false, 1500), c.planFor(d.schema, sel, undefined, false, 1500), c.planFor(d.schema, sel, t1, true, 1500), c.planFor(d.schema, sel, t1, false, 10), c.planFor(d.schema, other, t1, false, 1500)]) {
    assert.ok(q);
    prefixes.add(q.prefix);
  }
  assert.equal(prefixes.size, 6);
  assert.equal(c.planFor(d.schema, sel, t1, false, 1500)!.prefix, p.prefix, 'back to the first inputs: the first prefix');
  // an emptied cache makes its plans again
  c.clear();
  const after = c.planFor(d.schema, sel, t2, false, 1500)!;
  assert.notEqual(after, p);
});
