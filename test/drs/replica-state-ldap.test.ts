// The engine's replica state (meta "repl:<NC>", as src/dsa/replica/state.ts keeps it) shown on
// the NC head as Windows shows it: repsFrom (REPS_FROM values Samba's repsFromToBlob reads),
// replUpToDateVector (Samba's replUpToDateVectorBlob), msDS-NCReplCursors and
// msDS-NCReplInboundNeighbors; nothing without a state (negative control).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, ctx } from '../unit/dsa-fixture.js';
import { rootDseAttributes } from '../../src/dsa/rootdse.js';
import type { Directory } from '../../src/dsa/directory.js';
import { ReadContext } from '../../src/dsa/object-view.js';
import { constructedValues } from '../../src/dsa/search/constructed.js';
import { samba } from './samba.js';
import { guidToString } from '../../src/util/guid.js';

let d: Directory;
let close: () => Promise<void>;
before(async () => {
  ({ d, close } = await fixture());
});
after(async () => {
  await close?.();
});

function values(name: string, binary = false) {
  const rc = new ReadContext(d, d.store.snapshot());
  const v = rc.view(d.forest.domainNC)!;
  return constructedValues(name, v, { rc, baseScope: true, now: 0n }, binary) as (Buffer | string)[];
}

const partnerDsa = Buffer.alloc(16, 0x42);
const partnerInv = Buffer.alloc(16, 0x43);

/** The domain NC's replica state as the engine writes it: one partner (idempotent). */
function giveState(): Promise<void> {
  return d.store.write((w) =>
    w.setMeta(`repl:${d.forest.domainNC.toString('hex')}`, {
      utd: [{ uuidDsa: partnerInv, usnHighPropUpdate: 5123, timeLastSyncSuccess: 13_300_000_000 }],
      repsFrom: [{ uuidDsa: partnerDsa, uuidInvocId: partnerInv, usnvec: { usnHighObjUpdate: 5120, usnReserved: 0, usnHighPropUpdate: 5123 }, inCycle: false, timeLastSuccess: 13_300_000_000 }],
    }),
  );
}

test('the engine\'s replica state appears as repsFrom, replUpToDateVector, msDS-NCReplCursors and msDS-NCReplInboundNeighbors', async () => {
  // negative control: no state, nothing to show (but this DC's own cursor)
  await d.store.write((w) => w.setMeta(`repl:${d.forest.domainNC.toString('hex')}`, { utd: [], repsFrom: [] }));
  assert.deepEqual(values('repsFrom'), []);
  assert.deepEqual(values('replUpToDateVector'), []);
  assert.deepEqual(values('msDS-NCReplInboundNeighbors'), []);
  assert.equal(values('msDS-NCReplCursors').length, 1);

  await giveState();
  const [reps] = values('repsFrom') as Buffer[];
  const [utd] = values('replUpToDateVector') as Buffer[];
  const [r1, r2] = samba([
    { kind: 'struct', module: 'drsblobs', type: 'repsFromToBlob', hex: reps!.toString('hex') },
    { kind: 'struct', module: 'drsblobs', type: 'replUpToDateVectorBlob', hex: utd!.toString('hex') },
  ]);
  assert.ok(r1!.ok && r2!.ok, JSON.stringify([r1, r2]));
  assert.equal(r1!.hex, reps!.toString('hex'));
  assert.equal(r2!.hex, utd!.toString('hex'));
  const rf = (r1 as { value: { ctr: Record<string, any> } }).value.ctr;
  assert.equal(rf.highwatermark.tmp_highest_usn, 5120);
  assert.equal(rf.highwatermark.highest_usn, 5123);
  assert.equal(rf.source_dsa_obj_guid, guidToString(partnerDsa));
  assert.equal(rf.other_info.dns_name, `${guidToString(partnerDsa)}._msdcs.example.com`);
  const uv = (r2 as { value: { version: number; ctr: { count: number; cursors: Record<string, any>[] } } }).value;
  assert.equal(uv.version, 2);
  assert.equal(uv.ctr.count, 1);
  assert.equal(uv.ctr.cursors[0]!.source_dsa_invocation_id, guidToString(partnerInv));
  assert.equal(uv.ctr.cursors[0]!.highest_usn, 5123);

  const cursors = values('msDS-NCReplCursors') as string[];
  assert.equal(cursors.length, 2);
  assert.match(cursors[1]!, new RegExp(`<uuidSourceDsaInvocationID>${guidToString(partnerInv)}</uuidSourceDsaInvocationID>\\n\\t<usnAttributeFilter>5123</usnAttributeFilter>`));
  const [n] = values('msDS-NCReplInboundNeighbors') as string[];
  assert.match(n!, /<pszNamingContext>DC=example,DC=com<\/pszNamingContext>/);
  assert.match(n!, /<usnLastObjChangeSynced>5120<\/usnLastObjChangeSynced>\n\t<usnAttributeFilter>5123<\/usnAttributeFilter>/);
  assert.match(n!, /<dwReplicaFlags>112<\/dwReplicaFlags>/);
  const [nb] = values('msDS-NCReplInboundNeighbors', true) as Buffer[];
  assert.equal(nb!.readBigUInt64LE(88), 5120n);
  assert.equal(nb!.readUInt32LE(16), 0x70);
});

test('rootDSE msDS-ReplAllInboundNeighbors lists the neighbors of every NC, only when named', async () => {
  await giveState();
  const req = (attributes: string[]) => ({ type: 'searchRequest', baseObject: '', scope: 0, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: { type: 'present', attribute: 'objectClass' }, attributes }) as never;
  const src = { supportedControls: () => [], supportedExtensions: () => [], supportedLdapPolicies: () => [] };
  const named = rootDseAttributes(d, req(['msDS-ReplAllInboundNeighbors']), ctx(), src)!;
  const a = named.find((x) => x.type === 'msDS-ReplAllInboundNeighbors')!;
  assert.equal(a.values.length, 1, 'the domain NC has one partner');
  assert.match(String(a.values[0]), /^<DS_REPL_NEIGHBOR>\n\t<pszNamingContext>DC=example,DC=com<\/pszNamingContext>/);
  assert.equal(rootDseAttributes(d, req(['*']), ctx(), src)!.some((x) => x.type === 'msDS-ReplAllInboundNeighbors'), false, "not with '*'");
  assert.equal(rootDseAttributes(d, req(['msDS-ReplAllOutboundNeighbors']), ctx(), src)!.some((x) => x.type === 'msDS-ReplAllOutboundNeighbors'), false, 'no repsTo: nothing');
});
