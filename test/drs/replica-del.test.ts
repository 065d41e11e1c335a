// IDL_DRSReplicaDel (MS-DRSR 4.1.20): its request stub against python3-samba's NDR
// (drsuapi.DsReplicaDel, DsReplicaDelRequest1), and the handler a serving DC runs for its own
// administrator (replica-del.ts) through DrsServer.dispatch: the NC's repsFrom value goes, the
// partner leaves repl:partners with its last NC, and MS-DRSR's refusals.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { provision } from '../../src/dsa/provision/provision.js';
import type { Directory } from '../../src/dsa/directory.js';
import { DrsServer, type DrsCallContext } from '../../src/drs/server.js';
import { drsHandlersFor } from '../../src/drs/handlers.js';
import { decodeDRSReplicaDelRequest, decodeResultResponse, encodeDRSReplicaDelRequest } from '../../src/drs/stubs.js';
import { DRSUAPI_OPNUM } from '../../src/drs/types.js';
import { REPDEL, serveReplicaDel } from '../../src/drs/replica-del.js';
import { PARTNERS_META, Replicator, partnersOf, type ReplPartner } from '../../src/drs/replicator.js';
import { ensureMachinePassword } from '../../src/drs/machine-account.js';
import { readReplicaState, writeReplicaState } from '../../src/dsa/replica/state.js';
import { skipUnless } from '../helpers/tools.js';
import { tempDir } from '../helpers/tmp.js';
import { samba } from './samba.js';
import { guidToString } from '../../src/util/guid.js';

const t = tempDir('forestd-repdel-');
let dir: Directory | undefined;
let rep: Replicator | undefined;
after(async () => {
  await rep?.stop();
  await dir?.close();
  t.cleanup();
});

test('IDL_DRSReplicaDel request stubs: Samba decodes them as DsReplicaDelRequest1 and packs the same bytes', skipUnless('python:samba'), () => {
  const nc = { Guid: Buffer.alloc(16, 3), Sid: Buffer.alloc(0), StringName: 'DC=example,DC=com' };
  const cases = [
    encodeDRSReplicaDelRequest({ hDrs: Buffer.alloc(20, 6), pmsgDel: { version: 1, msg: { pNC: nc, pszDsaSrc: '127.0.0.1:5001', ulOptions: REPDEL.DRS_WRIT_REP | REPDEL.DRS_LOCAL_ONLY } } }),
    encodeDRSReplicaDelRequest({ hDrs: Buffer.alloc(20, 7), pmsgDel: { version: 1, msg: { pNC: nc, pszDsaSrc: null, ulOptions: 0 } } }),
  ];
  const res = samba(cases.map((b) => ({ kind: 'in' as const, module: 'drsuapi' as const, type: 'DsReplicaDel', hex: b.toString('hex') })));
  res.forEach((r, i) => {
    assert.ok(r.ok, `case ${i}: ${!r.ok ? r.error : ''}`);
    assert.equal(r.hex, cases[i]!.toString('hex'), `case ${i}`);
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const v = (res[0] as { value: Record<string, any> }).value;
  assert.equal(v.in_level, 1);
  assert.equal(v.in_req.source_dsa_address, '127.0.0.1:5001');
  assert.equal(v.in_req.naming_context.dn, 'DC=example,DC=com');
  assert.equal(v.in_req.options, 0x1010);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  assert.equal((res[1] as { value: Record<string, any> }).value.in_req.source_dsa_address, null);
  assert.deepEqual(decodeDRSReplicaDelRequest(cases[0]!).pmsgDel.msg, { pNC: nc, pszDsaSrc: '127.0.0.1:5001', ulOptions: 0x1010 });
});

test('IDL_DRSReplicaDel removes one NC\'s repsFrom value of a source; refuses other callers, bad parameters, unknown NCs and sources', { timeout: 120_000 }, async () => {
  ({ directory: dir } = await provision({ dataDir: t.dir, realm: 'example.com', netbios: 'EXAMPLE', adminPassword: 'Passw0rd!' }));
  const d = dir!;
  await ensureMachinePassword(d);
  rep = new Replicator(d, { address: '127.0.0.1:1' });
  const server = new DrsServer(drsHandlersFor(d, { adminReplicaDel: (m) => serveReplicaDel(rep!, m) }));
  // a partner on a port nothing listens on, with repsFrom values in the domain and configuration NCs
  const dc2: ReplPartner = { dsaGuid: randomBytes(16).toString('hex'), account: 'DC2$', address: '127.0.0.1:9' };
  const src = Buffer.from(dc2.dsaGuid, 'hex');
  const domain = { Guid: Buffer.from(d.forest.domainNC), Sid: Buffer.alloc(0), StringName: d.forest.domainDN };
  const config = { Guid: Buffer.from(d.forest.configNC), Sid: Buffer.alloc(0), StringName: d.forest.configDN };
  await d.store.write((w) => {
    w.setMeta(PARTNERS_META, [dc2]);
    for (const nc of [domain, config]) writeReplicaState(w, nc.Guid, { utd: [], repsFrom: [{ uuidDsa: src, uuidInvocId: randomBytes(16), usnvec: { usnHighObjUpdate: 10, usnReserved: 0, usnHighPropUpdate: 10 }, inCycle: false, timeLastSuccess: 1 }] });
  });
  const self: DrsCallContext = { peerAccount: 'DC1$', peerDsaGuid: Buffer.from(d.forest.dsaGuid), transport: 'tls' };
  const call = async (nc: typeof domain, pszDsaSrc: string | null, ulOptions: number, who = self) =>
    decodeResultResponse(await server.dispatch(DRSUAPI_OPNUM.IDL_DRSReplicaDel, encodeDRSReplicaDelRequest({ hDrs: Buffer.alloc(20), pmsgDel: { version: 1, msg: { pNC: nc, pszDsaSrc, ulOptions } } }), who)).result;
  const has = (nc: typeof domain) => readReplicaState(d.store.reader, nc.Guid).repsFrom.some((x) => x.uuidDsa.equals(src));
  const W = REPDEL.DRS_WRIT_REP;

  // refusals (MS-DRSR 4.1.20.2): another DC (ERROR_DS_DRA_ACCESS_DENIED), no source or
  // DRS_NO_SOURCE (ERROR_DS_DRA_INVALID_PARAMETER), an NC not held (ERROR_DS_DRA_BAD_NC), a
  // source without a repsFrom value (ERROR_DS_DRA_NO_REPLICA)
  assert.equal(await call(domain, dc2.address, W, { ...self, peerDsaGuid: src }), 0x2105);
  assert.equal(await call(domain, null, W), 0x20f5);
  assert.equal(await call(domain, dc2.address, W | REPDEL.DRS_NO_SOURCE), 0x20f5);
  assert.equal(await call({ ...domain, Guid: randomBytes(16) }, dc2.address, W), 0x20f8);
  assert.equal(await call(domain, '127.0.0.1:7', W), 0x2104);
  // the partner cannot be told (nothing listens): refused, nothing removed (the negative control)
  assert.equal(await call(domain, dc2.address, W), 0x6ba, 'RPC_S_SERVER_UNAVAILABLE');
  assert.ok(has(domain));
  // told or not (DRS_IGNORE_ERROR): the domain NC's value goes, the configuration NC's stays
  assert.equal(await call(domain, dc2.address, W | REPDEL.DRS_IGNORE_ERROR), 0);
  assert.equal(has(domain), false);
  assert.equal(has(config), true);
  assert.deepEqual(partnersOf(d).map((p) => p.dsaGuid), [dc2.dsaGuid], 'still a partner for the configuration NC');
  assert.equal(await call(domain, dc2.address, W | REPDEL.DRS_LOCAL_ONLY), 0x2104, 'gone already');
  // by AD's GUID-based name, without asking the partner: its last NC, so it is no partner any more
  assert.equal(await call(config, `${guidToString(src)}._msdcs.example.com`, W | REPDEL.DRS_LOCAL_ONLY), 0);
  assert.equal(has(config), false);
  assert.deepEqual(partnersOf(d), []);
});
