// pullNC's overlap (src/drs/replicator.ts): chunk n+1's write is queued behind chunk n's before
// chunk n has committed, and sees its effects; a chunk asked for again with DRS_GET_ANC (a child
// met before its parent) leaves the chunk queued behind it without effect, and every object arrives.
// Negative control: with the overlap off, no write is queued before the one before it resolved.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { provision } from '../../src/dsa/provision/provision.js';
import { Directory } from '../../src/dsa/directory.js';
import { add } from '../../src/dsa/add.js';
import { modify } from '../../src/dsa/modify.js';
import { Store } from '../../src/store/store.js';
import { replicaContextOf } from '../../src/dsa/replica-context.js';
import type { OperationContext } from '../../src/dsa/api.js';
import { decodeDRSGetNCChangesRequest } from '../../src/drs/stubs.js';
import { DRSUAPI_OPNUM } from '../../src/drs/types.js';
import { DrsOptions } from '../../src/dsa/replica/types.js';
import { readReplicaState } from '../../src/dsa/replica/state.js';
import { pullNC } from '../../src/drs/replicator.js';
import { tempDir } from '../helpers/tmp.js';
import { memoryDrsClient } from '../helpers/drs-memory.js';

const t1 = tempDir('forestd-overlap-dc1-');
const dirs: ReturnType<typeof tempDir>[] = [t1];
const open: Directory[] = [];
after(async () => {
  for (const d of open) await d.close();
  for (const t of dirs) t.cleanup();
});

const opctx: OperationContext = {
  session: { id: 1, identity: { dn: 'CN=Administrator', guid: Buffer.alloc(16), isAdmin: true }, encrypted: true, globalCatalog: false, remoteAddress: '127.0.0.1' },
  controls: [],
  signal: new AbortController().signal,
};
const attrs = (o: Record<string, string[]>) => Object.entries(o).map(([type, v]) => ({ type, values: v.map((x) => Buffer.from(x)) }));

/** A new destination pulls DC1's domain NC; the order of its store writes' queueing and resolution, its requests' GET_ANC bits, and what it holds. */
async function pullDomain(dc1: Directory, overlap: boolean) {
  const f = dc1.forest;
  const t = tempDir('forestd-overlap-dst-');
  dirs.push(t);
  const dst = Directory.createForProvisioning(Store.open(t.dir, { create: true }), { ...f, dsaGuid: randomBytes(16) });
  open.push(dst);
  const anc: boolean[] = [];
  const client = memoryDrsClient(dc1, dst, {
    onRequest: (opnum, stub) => {
      if (opnum === DRSUAPI_OPNUM.IDL_DRSGetNCChanges) anc.push((decodeDRSGetNCChangesRequest(stub).pmsgIn.msg.ulFlags & DrsOptions.DRS_GET_ANC) !== 0);
    },
  });
  // the order in which the cycle's writes (handleReplyAsync's) are queued and resolve; other
  // writes (one the store deferred behind its USN reservation before this began) are not counted
  const events: string[] = [];
  const store = dst.store;
  const write = store.write.bind(store);
  let k = 0;
  store.write = ((body: never) => {
    if (!new Error().stack?.includes('handleReplyAsync')) return write(body);
    const i = k++;
    events.push(`q${i}`);
    const p = write(body);
    void p.then(
      () => events.push(`r${i}`),
      () => events.push(`r${i}`),
    );
    return p;
  }) as typeof store.write;
  const ctx = replicaContextOf(dst);
  const nc = { Guid: Buffer.from(f.domainNC), StringName: f.domainDN };
  const objects = await pullNC(ctx, dst, client as never, Buffer.alloc(20), nc, f.dsaGuid, undefined, { first: 4, max: 8 }, overlap);
  // a write queued while the one before it had not resolved
  const overlapped = events.some((e, j) => e.startsWith('q') && j > 0 && Number(e.slice(1)) > 0 && events.indexOf(`r${Number(e.slice(1)) - 1}`) > j);
  const rf = readReplicaState(store.reader, f.domainNC).repsFrom[0]!;
  return { objects, overlapped, anc, rf, dst };
}

test('chunk n+1 is applied behind chunk n before its commit; a GET_ANC retry leaves it without effect', { timeout: 300_000 }, async () => {
  const { directory: dc1 } = await provision({ dataDir: t1.dir, realm: 'example.com', netbios: 'EXAMPLE', adminPassword: 'Passw0rd!' });
  open.push(dc1);
  const D = dc1.forest.domainDN;
  // a child whose parent changed after it: in USN order the child comes first (without GET_ANC)
  await add(dc1, { type: 'addRequest', entry: `OU=late,${D}`, attributes: attrs({ objectClass: ['organizationalUnit'] }) }, opctx); // throws when refused
  await add(dc1, { type: 'addRequest', entry: `CN=kid,OU=late,${D}`, attributes: attrs({ objectClass: ['container'] }) }, opctx); // throws when refused
  await modify(dc1, { type: 'modifyRequest', object: `OU=late,${D}`, changes: [{ operation: 2, modification: { type: 'description', values: [Buffer.from('moved on')] } }] }, opctx); // throws when refused
  // more chunks after it
  for (let i = 0; i < 24; i++) await add(dc1, { type: 'addRequest', entry: `CN=tail${i},CN=Users,${D}`, attributes: attrs({ objectClass: ['container'] }) }, opctx); // throws when refused

  const on = await pullDomain(dc1, true);
  assert.ok(on.overlapped, 'a chunk was queued before the one before it committed');
  // the child was met before its parent: the cycle asked again with DRS_GET_ANC
  assert.ok(on.anc.some((x) => x), `GET_ANC ${on.anc}`);
  for (const dn of [`CN=kid,OU=late,${D}`, `OU=late,${D}`, `CN=tail23,CN=Users,${D}`]) assert.ok(on.dst.tryResolve(on.dst.store.reader, dn).found, dn);

  // negative control: the overlap off
  const off = await pullDomain(dc1, false);
  assert.equal(off.overlapped, false);
  assert.ok(off.anc.some((x) => x), `GET_ANC ${off.anc}`);
  // the same objects and the same watermark either way
  assert.equal(on.objects, off.objects);
  assert.deepEqual(on.rf.usnvec, off.rf.usnvec);
  assert.equal(on.rf.inCycle, false);
});
