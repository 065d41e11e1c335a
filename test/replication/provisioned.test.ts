// A provisioned forest replicated by the engine: a new DC's empty store pulls the schema,
// configuration and domain NCs of a provisioned DC through GetNCChanges (in process, small
// chunks), opens as a Directory, and then follows incremental changes made by the LDAP
// operations; a DirSync cookie issued by the first DC continues on the second through its
// UTD vector (MS-DRSR 5.115.11).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { provision } from '../../src/dsa/provision/provision.js';
import { Directory } from '../../src/dsa/directory.js';
import { add } from '../../src/dsa/add.js';
import { modify } from '../../src/dsa/modify.js';
import { modifyDN } from '../../src/dsa/modify-dn.js';
import { binaryToSddl, sddlToBinary } from '../../src/security/sddl.js';
import { sdPropagationIdle } from '../../src/dsa/access/sd-propagator.js';
import { Store } from '../../src/store/store.js';
import type { ReplicaContext } from '../../src/dsa/replica/context.js';
import { replicaContextOf } from '../../src/dsa/replica-context.js';
import { getNCChanges } from '../../src/dsa/replica/source.js';
import { handleReply, nextRequest, type PullOptions } from '../../src/dsa/replica/pull.js';
import { dirSyncSearch } from '../../src/dirsync/index.js';
import { DIRSYNC_OID, decodeDirSyncResponse, encodeDirSyncRequest } from '../../src/ldap/controls/dirsync.js';
import type { Control, SearchRequest } from '../../src/ldap/protocol/messages.js';
import type { OperationContext } from '../../src/dsa/api.js';
import { ModifyOperation } from '../../src/ldap/protocol/messages.js';
import { tempDir } from '../helpers/tmp.js';

let t1: { dir: string; cleanup: () => void };
let t2: { dir: string; cleanup: () => void };
let dc1: Directory;
let dc2: Directory;

function ctx(controls: Control[] = []): OperationContext {
  return {
    session: { id: 1, identity: { dn: 'CN=Administrator', guid: Buffer.alloc(16), isAdmin: true }, encrypted: true, globalCatalog: false, remoteAddress: '127.0.0.1' },
    controls,
    signal: new AbortController().signal,
  };
}

/** One whole cycle dst ← src over a perfect in-process transport, retrying with GET_ANC/GET_TGT as asked. */
function pull(dst: ReplicaContext, src: ReplicaContext, ncName: string, cMaxObjects: number): { objects: number; values: number; chunks: number } {
  const nc = src.store.reader.ncHeadByName(ncName)!;
  let opts: PullOptions = { cMaxObjects };
  let objects = 0;
  let values = 0;
  let chunks = 0;
  for (let guard = 0; guard < 100_000; guard++) {
    const req = nextRequest(dst, dst.store.reader, { Guid: nc, StringName: ncName }, src.serverGuid, src.invocationId, opts);
    const rep = getNCChanges(src, src.store.reader, req);
    const res = handleReply(dst, rep, opts);
    if (res.kind === 'retry') {
      opts = { ...opts, getAnc: res.getAnc, getTgt: res.getTgt };
      continue;
    }
    assert.equal(res.kind, 'applied', JSON.stringify(res));
    if (res.kind !== 'applied') break;
    chunks++;
    objects += res.outcome.objects;
    values += res.outcome.values;
    if (!res.more) return { objects, values, chunks };
  }
  throw new Error('the cycle does not end');
}

before(async () => {
  t1 = tempDir('forestd-repl-dc1-');
  t2 = tempDir('forestd-repl-dc2-');
  ({ directory: dc1 } = await provision({ dataDir: t1.dir, realm: 'example.com', netbios: 'EXAMPLE', adminPassword: 'Passw0rd!' }));
  // the new DC: an empty store with the forest's schema as its indexer, filled by replication
  const store = Store.open(t2.dir, { create: true });
  store.setIndexer(dc1.schema.indexer);
  const src = replicaContextOf(dc1);
  const dst: ReplicaContext = { ...src, store, invocationId: store.dc.invocationId, serverGuid: store.dc.serverGuid, containers: src.containers };
  Object.defineProperty(dst, 'schema', { get: () => src.schema });
  const f = dc1.forest;
  // the schema NC first, then configuration and domain (MS-DRSR 4.1.10: a destination needs the schema to read the rest)
  for (const ncName of [f.schemaDN, f.configDN, f.domainDN]) pull(dst, src, ncName, 97);
  store.writeSync((w) => {
    w.setMeta('prefixTable', dc1.schema.snapshot.prefixTable.toJSON());
    w.setMeta('forest', { ...f, dsaGuid: store.dc.serverGuid });
  });
  await store.close();
  dc2 = Directory.open(t2.dir);
});
after(async () => {
  await dc1?.close();
  await dc2?.close();
  t1?.cleanup();
  t2?.cleanup();
});

const C2 = () => ({ ...replicaContextOf(dc2), serverGuid: dc2.store.dc.serverGuid });

const big = (_k: string, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v);

/** Every object of an NC as text (replicated values and stamps without usnLocal), for comparing replicas. */
function dumpNC(d: Directory, nc: Buffer): string {
  const out: string[] = [];
  const r = d.store.reader;
  const guids = [...r.changedSince(nc, 0)].map((e) => Buffer.from(e.guid)).sort(Buffer.compare);
  for (const g of guids) {
    const rec = r.getObject(g)!;
    out.push(`${g.toString('hex')} ${rec.parent?.toString('hex')} ${JSON.stringify(rec.name)} ${rec.rdnType}`);
    // non-replicated attributes (no stamp) are each DC's own
    for (const a of [...rec.attrs].filter((x) => x.stamp).sort((x, y) => x.id - y.id)) out.push(` ${a.id} ${JSON.stringify(a.values, big)} ${a.stamp ? `${a.stamp.dwVersion} ${a.stamp.timeChanged} ${a.stamp.uuidOriginating.toString('hex')} ${a.stamp.usnOriginating}` : ''}`);
    for (const lv of r.rawLinks(g)) out.push(` link ${lv.linkId} ${lv.target.toString('hex')} ${lv.stamp.timeDeleted} ${lv.stamp.dwVersion} ${lv.stamp.uuidOriginating.toString('hex')}`);
  }
  return out.join('\n');
}

test('a new DC pulled the three NCs of a provisioned forest: same objects, values and stamps; it opens and resolves names', () => {
  const f = dc1.forest;
  for (const nc of [f.schemaNC, f.configNC, f.domainNC]) {
    const a = dumpNC(dc2, nc).split('\n');
    const b = dumpNC(dc1, nc).split('\n');
    const i = a.findIndex((l, k) => l !== b[k]);
    assert.equal(i, -1, i < 0 ? '' : `first difference at line ${i}:\n DC2: ${a[i]?.slice(0, 400)}\n DC1: ${b[i]?.slice(0, 400)}`);
    assert.equal(a.length, b.length);
  }
  const admin = dc2.resolve(dc2.store.reader, `CN=Administrator,CN=Users,${f.domainDN}`, 'test');
  assert.ok(admin.equals(dc1.resolve(dc1.store.reader, `CN=Administrator,CN=Users,${f.domainDN}`, 'test')));
  assert.ok(dc2.schema.attr('member'), 'the replicated schema NC loads as the schema');
});

test('changes made over the LDAP operations on DC1 reach DC2 in one cycle, and a DirSync cookie of DC1 continues on DC2', async () => {
  const f = dc1.forest;
  const D = f.domainDN;
  const dirsync = async (d: Directory, cookie: Buffer) => {
    const control: Control = { type: DIRSYNC_OID, critical: true, value: encodeDirSyncRequest({ flags: 0, maxBytes: 0, cookie }) };
    const dns: string[] = [];
    const req: SearchRequest = { type: 'searchRequest', baseObject: D, scope: 2, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: { type: 'present', attribute: 'objectClass' }, attributes: [] };
    const res = await dirSyncSearch(d, req, ctx([control]), { entry: (dn) => void dns.push(dn), reference() {} }, control);
    return { dns, cookie: Buffer.from(decodeDirSyncResponse(DIRSYNC_OID, res.controls![0]!.value).cookie) };
  };
  const { cookie } = await dirsync(dc1, Buffer.alloc(0));
  const attrs = (o: Record<string, string[]>) => Object.entries(o).map(([type, v]) => ({ type, values: v.map((x) => Buffer.from(x)) }));
  await add(dc1, { type: 'addRequest', entry: `CN=Repl User,CN=Users,${D}`, attributes: attrs({ objectClass: ['user'], sAMAccountName: ['repluser'] }) }, ctx());
  await modify(dc1, { type: 'modifyRequest', object: `CN=Domain Admins,CN=Users,${D}`, changes: [{ operation: ModifyOperation.add, modification: { type: 'member', values: [Buffer.from(`CN=Repl User,CN=Users,${D}`)] } }] }, ctx());
  const got = pull(C2(), replicaContextOf(dc1), D, 0);
  assert.equal(got.objects, 1, 'the new user');
  assert.equal(got.values, 1, 'the member value');
  const u = dc2.resolve(dc2.store.reader, `CN=Repl User,CN=Users,${D}`, 'test');
  const g = dc2.resolve(dc2.store.reader, `CN=Domain Admins,CN=Users,${D}`, 'test');
  assert.ok([...dc2.store.reader.links(g)].some((l) => l.target.equals(u) && l.stamp.timeDeleted === 0));
  assert.equal(dumpNC(dc2, f.domainNC), dumpNC(dc1, f.domainNC));
  // the cookie of DC1, presented to DC2: DC2 knows DC1's changes through the UTD vector and returns exactly them
  const onDc2 = await dirsync(dc2, cookie);
  assert.deepEqual(onDc2.dns.map((x) => x.split(',')[0]).sort(), ['CN=Domain Admins', 'CN=Repl User']);
  // and nothing twice: DC2's own cookie, asked again, is empty
  assert.deepEqual((await dirsync(dc2, onDc2.cookie)).dns, []);
  // negative control: without a cookie DC2 returns the whole NC
  const full = (await dirsync(dc2, Buffer.alloc(0))).dns;
  assert.ok(full.length > 50, `${full.length} entries: ${full.slice(0, 5).join(" ; ")}`);
});

test('MS-ADTS 3.1.1.6.3, 6.1.3.3: a replicated move and a replicated SD change re-inherit the subtree on the destination DC (its own propagation; without it the moved children stay stale)', async () => {
  const D = dc1.forest.domainDN;
  const attrs = (o: Record<string, string[]>) => Object.entries(o).map(([type, v]) => ({ type, values: v.map((x) => Buffer.from(x)) }));
  const mk = (dn: string, oc: string) => add(dc1, { type: 'addRequest', entry: dn, attributes: attrs({ objectClass: [oc] }) }, ctx());
  const sddlCtx = { domainSid: dc1.forest.domainSid };
  const sdOf = (d: Directory, dn: string) => {
    const r = d.store.reader;
    const rec = r.getObject(d.resolve(r, dn, 'test'))!;
    return binaryToSddl(rec.attrs.find((a) => a.id === d.schema.attr('nTSecurityDescriptor')!.id)!.values[0] as Uint8Array, sddlCtx);
  };
  const withAce = (dn: string, ace: string) => {
    const sddl = sdOf(dc1, dn);
    const i = sddl.indexOf('(', sddl.indexOf('D:'));
    return modify(dc1, { type: 'modifyRequest', object: dn, changes: [{ operation: ModifyOperation.replace, modification: { type: 'nTSecurityDescriptor', values: [sddlToBinary(`${sddl.slice(0, i)}${ace}${sddl.slice(i)}`, sddlCtx)] } }] }, ctx());
  };
  const ACE1 = '(A;CI;LC;;;S-1-5-21-1-2-3-4001)';
  const ACE2 = '(A;CI;LC;;;S-1-5-21-1-2-3-4002)';
  for (const ou of ['PropSrc', 'PropTarget']) await mk(`OU=${ou},${D}`, 'organizationalUnit');
  for (const x of ['X1', 'X2']) {
    await mk(`OU=${x},OU=PropSrc,${D}`, 'organizationalUnit');
    await mk(`CN=c-${x},OU=${x},OU=PropSrc,${D}`, 'container');
  }
  await withAce(`OU=PropTarget,${D}`, ACE1);
  pull(C2(), replicaContextOf(dc1), D, 0);
  const inherited = (sddl: string, ace: string) => sddl.includes(ace.replace('(A;CI;', '(A;CIID;'));
  const move = (x: string) => modifyDN(dc1, { type: 'modifyDNRequest', entry: `OU=${x},OU=PropSrc,${D}`, newrdn: `OU=${x}`, deleteoldrdn: true, newSuperior: `OU=PropTarget,${D}` }, ctx());

  // negative control: a destination without its own propagation (no afterApply) keeps what arrives
  await move('X1');
  assert.ok(inherited(sdOf(dc1, `CN=c-X1,OU=X1,OU=PropTarget,${D}`), ACE1), 'DC1 re-inherited the moved subtree');
  const { afterApply: _none, ...withoutPropagation } = C2();
  pull(withoutPropagation, replicaContextOf(dc1), D, 0);
  assert.ok(!inherited(sdOf(dc2, `CN=c-X1,OU=X1,OU=PropTarget,${D}`), ACE1), 'the propagation is not replicated: DC2 left alone is stale');

  await move('X2');
  pull(C2(), replicaContextOf(dc1), D, 0);
  await sdPropagationIdle(dc2);
  assert.ok(inherited(sdOf(dc2, `OU=X2,OU=PropTarget,${D}`), ACE1), 'the moved object');
  assert.ok(inherited(sdOf(dc2, `CN=c-X2,OU=X2,OU=PropTarget,${D}`), ACE1), 'its child, by the propagation DC2 runs itself');

  // a replicated SD change propagates on DC2 as well (and heals the stale subtree of the control)
  await withAce(`OU=PropTarget,${D}`, ACE2);
  pull(C2(), replicaContextOf(dc1), D, 0);
  await sdPropagationIdle(dc2);
  for (const x of ['X1', 'X2']) {
    const got = sdOf(dc2, `CN=c-${x},OU=${x},OU=PropTarget,${D}`);
    assert.ok(inherited(got, ACE1) && inherited(got, ACE2), `c-${x} on DC2: ${got}`);
    assert.equal(got, sdOf(dc1, `CN=c-${x},OU=${x},OU=PropTarget,${D}`), 'the same SD on both DCs');
  }
});
