// pullNC's chunk sizes (src/drs/replicator.ts): a cycle's first request asks for a few objects
// and each next one (the pipelined request sent when a reply arrives included) for twice as
// many, up to the most; every object arrives.
// Negative control: with the first size equal to the most (what pullNC did before), the first
// reply carries a full chunk.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { provision } from '../../src/dsa/provision/provision.js';
import { Directory } from '../../src/dsa/directory.js';
import { Store } from '../../src/store/store.js';
import { replicaContextOf } from '../../src/dsa/replica-context.js';
import { decodeDRSGetNCChangesRequest, decodeDRSGetNCChangesResponse } from '../../src/drs/stubs.js';
import { DRSUAPI_OPNUM } from '../../src/drs/types.js';
import { pullNC, FIRST_CHUNK_OBJECTS, CHUNK_OBJECTS, type ChunkSizes } from '../../src/drs/replicator.js';
import { tempDir } from '../helpers/tmp.js';
import { memoryDrsClient } from '../helpers/drs-memory.js';

const t1 = tempDir('forestd-chunks-dc1-');
const dirs: ReturnType<typeof tempDir>[] = [t1];
const open: Directory[] = [];
after(async () => {
  for (const d of open) await d.close();
  for (const t of dirs) t.cleanup();
});

/** A new destination pulls DC1's domain NC with `sizes`; the cMaxObjects of each request and the objects of each reply, in order, and the objects the destination holds. */
async function pullDomain(dc1: Directory, sizes?: ChunkSizes) {
  const f = dc1.forest;
  const t = tempDir('forestd-chunks-dst-');
  dirs.push(t);
  const dst = Directory.createForProvisioning(Store.open(t.dir, { create: true }), { ...f, dsaGuid: randomBytes(16) });
  open.push(dst);
  const asked: number[] = [];
  const got: number[] = [];
  const client = memoryDrsClient(dc1, dst, {
    onRequest: (opnum, stub) => {
      if (opnum === DRSUAPI_OPNUM.IDL_DRSGetNCChanges) asked.push(decodeDRSGetNCChangesRequest(stub).pmsgIn.msg.cMaxObjects);
    },
    onReply: (opnum, out) => {
      if (opnum === DRSUAPI_OPNUM.IDL_DRSGetNCChanges) got.push(decodeDRSGetNCChangesResponse(out).pmsgOut.msg.pObjects.length);
    },
  });
  const ctx = replicaContextOf(dst);
  const objects = await pullNC(ctx, dst, client as never, Buffer.alloc(20), { Guid: Buffer.from(f.domainNC), StringName: f.domainDN }, f.dsaGuid, undefined, sizes);
  return { asked, got, objects };
}

test('a cycle asks for a small first chunk, then doubles up to the most; every object arrives', { timeout: 300_000 }, async () => {
  assert.ok(FIRST_CHUNK_OBJECTS < CHUNK_OBJECTS);
  const { directory: dc1 } = await provision({ dataDir: t1.dir, realm: 'example.com', netbios: 'EXAMPLE', adminPassword: 'Passw0rd!' });
  open.push(dc1);
  // small sizes: a provisioned domain NC holds a few dozen objects
  const ramp = await pullDomain(dc1, { first: 4, max: 16 });
  assert.deepEqual(ramp.asked.slice(0, 4), [4, 8, 16, 16], `requests ${ramp.asked}`);
  assert.ok(ramp.asked.every((n) => n <= 16));
  // a reply ends at a USN position, so it may hold a little more than asked; the first is small
  assert.ok(ramp.got[0]! < 16, `first reply ${ramp.got[0]} objects`);

  // negative control: full chunks from the start (the first size is the most)
  const flat = await pullDomain(dc1, { first: 16, max: 16 });
  assert.ok(flat.asked.every((n) => n === 16), `requests ${flat.asked}`);
  assert.ok(flat.got[0]! >= 16, `first reply ${flat.got[0]} objects`);
  assert.ok(flat.asked.length < ramp.asked.length);
  // the same objects either way
  assert.equal(ramp.objects, flat.objects);
  assert.ok(ramp.objects > 16 * 3, `${ramp.objects} objects`);
});
