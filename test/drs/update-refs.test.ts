// IDL_DRSUpdateRefs (MS-DRSR 4.1.26, 5.201) as the DRS layer serves it: request stubs through
// DrsServer.dispatch (NDR, the same path the TLS transport takes), the NC's repsTo kept by the
// DC, and that repsTo rendered on the NC head (repsTo, msDS-NCReplOutboundNeighbors).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { provision } from '../../src/dsa/provision/provision.js';
import type { Directory } from '../../src/dsa/directory.js';
import { DrsServer, type DrsCallContext } from '../../src/drs/server.js';
import { drsHandlersFor } from '../../src/drs/handlers.js';
import { decodeResultResponse, encodeDRSUpdateRefsRequest } from '../../src/drs/stubs.js';
import { DRSUAPI_OPNUM } from '../../src/drs/types.js';
import { repsToOf } from '../../src/drs/update-refs.js';
import { ReadContext } from '../../src/dsa/object-view.js';
import { neighborsOf } from '../../src/dsa/search/repl-metadata.js';
import { tempDir } from '../helpers/tmp.js';

const t = tempDir('forestd-updrefs-');
let dir: Directory | undefined;
after(async () => {
  await dir?.close();
  t.cleanup();
});

/** MS-DRSR 5.41 */
const ADD = 0x4;
const DEL = 0x8;
const WRIT = 0x10;
const CHECK = 0x2;

test('IDL_DRSUpdateRefs adds, replaces and deletes a DC in an NC\'s repsTo, with MS-DRSR\'s errors', { timeout: 120_000 }, async () => {
  ({ directory: dir } = await provision({ dataDir: t.dir, realm: 'example.com', netbios: 'EXAMPLE', adminPassword: 'Passw0rd!' }));
  const d = dir!;
  const server = new DrsServer(drsHandlersFor(d));
  const dc2 = randomBytes(16);
  const peer: DrsCallContext = { peerAccount: 'DC2$', peerDsaGuid: dc2, transport: 'tls' };
  const nc = { Guid: Buffer.from(d.forest.domainNC), Sid: Buffer.alloc(0), StringName: d.forest.domainDN };
  const call = async (ulOptions: number, o: { who?: DrsCallContext; dest?: Buffer; address?: string; ncGuid?: Buffer } = {}) => {
    const stub = encodeDRSUpdateRefsRequest({ hDrs: Buffer.alloc(20), pmsgUpdRefs: { version: 1, msg: { pNC: { ...nc, Guid: o.ncGuid ?? nc.Guid }, pszDsaDest: o.address ?? '127.0.0.1:5001', uuidDsaObjDest: o.dest ?? dc2, ulOptions } } });
    return decodeResultResponse(await server.dispatch(DRSUAPI_OPNUM.IDL_DRSUpdateRefs, stub, o.who ?? peer)).result;
  };
  const refs = () => repsToOf(d.store.reader, nc.Guid);
  assert.deepEqual(refs(), [], 'a provisioned DC has no repsTo');
  assert.equal(await call(ADD | WRIT), 0);
  assert.deepEqual(refs().map((r) => [r.uuidDsa, r.naDsa, r.account, r.options]), [[dc2.toString('hex'), '127.0.0.1:5001', 'DC2$', WRIT]]);
  // MS-DRSR 5.201: adding it again is ERROR_DS_DRA_REF_ALREADY_EXISTS, unless DRS_GETCHG_CHECK
  assert.equal(await call(ADD), 0x2100);
  assert.equal(await call(ADD | CHECK), 0);
  // a new address: delete and add in one call
  assert.equal(await call(ADD | DEL | WRIT, { address: '127.0.0.1:5002' }), 0);
  assert.deepEqual(refs().map((r) => r.naDsa), ['127.0.0.1:5002']);
  // the NC head shows it: repsTo and msDS-NCReplOutboundNeighbors
  const r = d.store.snapshot();
  try {
    const v = new ReadContext(d, r).view(nc.Guid)!;
    const out = neighborsOf(v, 'repsTo');
    assert.deepEqual(out.map((n) => [n.uuidSourceDsaObjGuid.toString('hex'), n.pszSourceDsaAddress, n.dwReplicaFlags]), [[dc2.toString('hex'), '127.0.0.1:5002', WRIT]]);
  } finally {
    r.done();
  }
  // refusals: another DC's reference (ERROR_DS_DRA_ACCESS_DENIED), no add/delete or a null GUID
  // (ERROR_DS_DRA_INVALID_PARAMETER), an NC this DC does not hold (ERROR_DS_DRA_BAD_NC)
  assert.equal(await call(DEL, { who: { ...peer, peerDsaGuid: randomBytes(16) } }), 0x2105);
  assert.equal(await call(WRIT), 0x20f5);
  assert.equal(await call(ADD, { dest: Buffer.alloc(16) }), 0x20f5);
  assert.equal(await call(ADD, { ncGuid: randomBytes(16) }), 0x20f8);
  assert.equal(refs().length, 1, 'refused calls change nothing');
  // the delete, then ERROR_DS_DRA_REF_NOT_FOUND
  assert.equal(await call(DEL), 0);
  assert.deepEqual(refs(), []);
  assert.equal(await call(DEL), 0x2101);
  assert.equal(await call(DEL | CHECK), 0);
});
