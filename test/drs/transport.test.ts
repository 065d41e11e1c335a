// The forestd DRS transport: frames over TLS after mutual machine-account authentication,
// dispatching to a DrsServer's injected handlers; bounded messages, clean faults.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { createSelfSignedCertificate } from '../../src/ldap/tls.js';
import { DrsServer, RPC_STATUS, type DrsHandlers } from '../../src/drs/server.js';
import { DrsClient, DrsTlsListener } from '../../src/drs/transport/tls.js';
import { drsKey, type DrsCredentials } from '../../src/drs/transport/auth.js';
import { DrsTransportError, FrameDecoder, FrameType, encodeFrame, type Frame } from '../../src/drs/transport/frame.js';
import { DRS_EXT, DRSUAPI_OPNUM, type DRS_MSG_GETCHGREQ_V8 } from '../../src/drs/types.js';
import { ntHash } from '../../src/security/password.js';

const material = createSelfSignedCertificate(['localhost'], ['127.0.0.1']);

interface Dc {
  account: string;
  dsaGuid: Buffer;
  hash: Buffer;
}
const dc1: Dc = { account: 'DC1$', dsaGuid: randomBytes(16), hash: ntHash('dc1-machine-password') };
const dc2: Dc = { account: 'DC2$', dsaGuid: randomBytes(16), hash: ntHash('dc2-machine-password') };
const known = new Map([dc1, dc2].map((d) => [d.account.toUpperCase(), drsKey(d.hash, d.account)]));

function creds(d: Dc, override?: Partial<DrsCredentials>): DrsCredentials {
  return { account: d.account, dsaGuid: d.dsaGuid, key: drsKey(d.hash, d.account), keyOf: (a) => known.get(a.toUpperCase()), ...override };
}

/** A handler that holds its calls until released (to test concurrency without sleeping). */
let hold: { release: () => void; promise: Promise<void> } | undefined;
const seen: string[] = [];
const handlers: DrsHandlers = {
  async IDL_DRSGetNCChanges(req, ctx) {
    seen.push(ctx.peerAccount);
    if (hold) await hold.promise;
    const m = req.pmsgIn.msg as DRS_MSG_GETCHGREQ_V8;
    if (m.ulExtendedOp === 0xdead) throw Object.assign(new Error('a DsError'), { win32: 8439 });
    return {
      result: 0,
      pmsgOut: {
        version: 6,
        msg: {
          uuidDsaObjSrc: dc1.dsaGuid,
          uuidInvocIdSrc: Buffer.alloc(16, 1),
          pNC: m.pNC,
          usnvecFrom: m.usnvecFrom,
          usnvecTo: { ...m.usnvecFrom, usnHighObjUpdate: m.usnvecFrom.usnHighObjUpdate + 10 },
          pUpToDateVecSrc: null,
          PrefixTableSrc: { pPrefixEntry: [] },
          ulExtendedRet: 0,
          pObjects: [{ Entinf: { pName: m.pNC, ulFlags: 0, AttrBlock: { pAttr: [{ attrTyp: 3, AttrVal: { pAVal: [Buffer.alloc(m.cMaxBytes, 0x61)] } }] } }, fIsNCPrefix: true, pParentGuid: null, pMetaDataExt: null }],
          fMoreData: false,
          cNumNcSizeObjects: 0,
          cNumNcSizeValues: 0,
          rgValues: [],
          dwDRSError: 0,
        },
      },
    };
  },
  IDL_DRSReplicaSync: () => ({ result: 0 }),
};

let listener: DrsTlsListener;
let port: number;
const serverErrors: string[] = [];
before(async () => {
  listener = new DrsTlsListener({
    server: new DrsServer(handlers),
    credentials: creds(dc1),
    tls: material,
    limits: { maxMessageBytes: 1 << 20, maxConcurrentCalls: 2, handshakeTimeoutMs: 2000 },
    onError: (e) => serverErrors.push((e as DrsTransportError).code ?? e.message),
  });
  port = (await listener.listen('127.0.0.1', 0)).port;
});
after(async () => {
  await listener?.close();
});

const connect = (c: DrsCredentials, o: { expectServerAccount?: string; maxMessageBytes?: number } = {}) =>
  DrsClient.connect({ host: '127.0.0.1', port, credentials: c, ...(o.expectServerAccount ? { expectServerAccount: o.expectServerAccount } : {}), limits: o.maxMessageBytes ? { maxMessageBytes: o.maxMessageBytes } : {} });

function request(cMaxBytes = 10, ulExtendedOp = 0) {
  return {
    hDrs: Buffer.alloc(20),
    pmsgIn: {
      version: 8 as const,
      msg: {
        uuidDsaObjDest: dc2.dsaGuid,
        uuidInvocIdSrc: Buffer.alloc(16),
        pNC: { Guid: Buffer.alloc(16, 9), Sid: Buffer.alloc(0), StringName: 'DC=example,DC=com' },
        usnvecFrom: { usnHighObjUpdate: 5, usnReserved: 0, usnHighPropUpdate: 5 },
        pUpToDateVecDest: null,
        ulFlags: 0x10,
        cMaxObjects: 100,
        cMaxBytes,
        ulExtendedOp,
        liFsmoInfo: 0n,
        pPartialAttrSet: null,
        pPartialAttrSetEx: null,
        PrefixTableDest: { pPrefixEntry: [] },
      },
    },
  };
}

test('two DCs authenticate each other and call Bind, GetNCChanges, ReplicaSync over TLS', async () => {
  const c = await connect(creds(dc2), { expectServerAccount: 'DC1$' });
  assert.equal(c.peer.account, 'DC1$');
  assert.ok(c.peer.dsaGuid.equals(dc1.dsaGuid));
  const b = await c.bind({ puuidClientDsa: dc2.dsaGuid, pextClient: { dwFlags: DRS_EXT.DRS_EXT_BASE, SiteObjGuid: Buffer.alloc(16), Pid: 1, dwReplEpoch: 0 } });
  assert.equal(b.result, 0);
  assert.equal(b.phDrs.length, 20);
  assert.ok((b.ppextServer!.dwFlags & DRS_EXT.DRS_EXT_GETCHGREQ_V8) !== 0, 'the server announces GetNCChanges V8');
  const r = await c.getNCChanges({ ...request(), hDrs: b.phDrs });
  assert.equal(r.pmsgOut.version, 6);
  assert.equal(r.pmsgOut.msg.usnvecTo.usnHighObjUpdate, 15);
  assert.equal(r.pmsgOut.msg.pObjects[0]!.Entinf.pName!.StringName, 'DC=example,DC=com');
  assert.equal(seen.at(-1), 'DC2$', 'the handler sees the authenticated peer');
  assert.equal((await c.replicaSync({ hDrs: b.phDrs, pmsgSync: { version: 1, msg: { pNC: { Guid: Buffer.alloc(16), Sid: Buffer.alloc(0), StringName: 'DC=example,DC=com' }, uuidDsaSrc: dc1.dsaGuid, pszDsaSrc: null, ulOptions: 0 } } })).result, 0);
  const u = await c.unbind(b.phDrs);
  assert.ok(u.phDrs.equals(Buffer.alloc(20)));
  await c.close();
});

test('faults: an opnum without a handler, a stub that does not decode, a handler\'s own Win32 status; the connection stays usable', async () => {
  const c = await connect(creds(dc2));
  await assert.rejects(c.updateRefs({ hDrs: Buffer.alloc(20), pmsgUpdRefs: { version: 1, msg: { pNC: { Guid: Buffer.alloc(16), Sid: Buffer.alloc(0), StringName: 'DC=x' }, pszDsaDest: 'x', uuidDsaObjDest: Buffer.alloc(16), ulOptions: 0 } } }), (e: DrsTransportError) => e.code === 'ERR_DRS_FAULT' && e.status === RPC_STATUS.NCA_S_OP_RNG_ERROR);
  await assert.rejects(c.call(77, Buffer.alloc(0)), (e: DrsTransportError) => e.status === RPC_STATUS.NCA_S_OP_RNG_ERROR);
  await assert.rejects(c.call(DRSUAPI_OPNUM.IDL_DRSGetNCChanges, Buffer.from('not an NDR stub')), (e: DrsTransportError) => e.status === RPC_STATUS.RPC_X_BAD_STUB_DATA);
  await assert.rejects(c.getNCChanges(request(10, 0xdead)), (e: DrsTransportError) => e.status === 8439);
  // negative control: the same connection still serves a good call
  assert.equal((await c.getNCChanges(request())).result, 0);
  await c.close();
});

test('authentication: a wrong secret, an unknown account, a server that is not the expected one, a server with a wrong secret are all refused', async () => {
  const before = serverErrors.length;
  await assert.rejects(connect(creds(dc2, { key: drsKey(ntHash('guessed'), 'DC2$') })), (e: DrsTransportError) => e.code === 'ERR_DRS_AUTH' && e.status === RPC_STATUS.ERROR_ACCESS_DENIED);
  await assert.rejects(connect(creds({ account: 'EVIL$', dsaGuid: randomBytes(16), hash: ntHash('x') })), (e: DrsTransportError) => e.code === 'ERR_DRS_AUTH');
  await assert.rejects(connect(creds(dc2), { expectServerAccount: 'DC3$' }), (e: DrsTransportError) => e.code === 'ERR_DRS_AUTH' && /not DC3\$/.test(e.message));
  // the client knows DC1 by another secret than the one the server holds: the server's proof fails
  const otherDc1Key = drsKey(ntHash('old-dc1-password'), 'DC1$');
  await assert.rejects(connect(creds(dc2, { keyOf: (a) => (a === 'DC1$' ? otherDc1Key : known.get(a)) })), (e: DrsTransportError) => e.code === 'ERR_DRS_AUTH' && /did not prove/.test(e.message));
  assert.ok(serverErrors.slice(before).filter((x) => x === 'ERR_DRS_AUTH').length >= 2);
  // negative control: the right secret is accepted
  const ok = await connect(creds(dc2));
  await ok.close();
});

test('limits: a frame over maxMessageBytes ends the connection; too many concurrent calls get RPC_S_SERVER_TOO_BUSY', async () => {
  const c = await connect(creds(dc2));
  await assert.rejects(c.call(DRSUAPI_OPNUM.IDL_DRSGetNCChanges, Buffer.alloc((1 << 20) + 1)), (e: DrsTransportError) => e.code === 'ERR_DRS_CLOSED');
  // the client refuses an oversized reply too
  const small = await connect(creds(dc2), { maxMessageBytes: 4096 });
  await assert.rejects(small.getNCChanges(request(8192)), (e: DrsTransportError) => e.code === 'ERR_DRS_TOO_LARGE');
  const d = await connect(creds(dc2));
  let release!: () => void;
  hold = { promise: new Promise<void>((r) => (release = r)), release: () => release() };
  const calls = [d.getNCChanges(request()), d.getNCChanges(request())];
  await assert.rejects(d.getNCChanges(request()), (e: DrsTransportError) => e.status === RPC_STATUS.RPC_S_SERVER_TOO_BUSY);
  hold.release();
  hold = undefined;
  for (const r of await Promise.all(calls)) assert.equal(r.result, 0);
  await d.close();
});

test('handshake: a peer that sends garbage or nothing is cut off', async () => {
  const raw = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
  await new Promise((r) => raw.once('secureConnect', r));
  raw.write(encodeFrame({ type: FrameType.REQUEST, callId: 1, word: 3, body: Buffer.alloc(8) }));
  const got: Buffer[] = [];
  raw.on('data', (d: Buffer) => got.push(d));
  await new Promise((r) => raw.once('close', r));
  const [f] = new FrameDecoder(1024).push(Buffer.concat(got));
  assert.equal(f!.type, FrameType.FAULT);
  assert.equal(f!.word, RPC_STATUS.ERROR_ACCESS_DENIED, 'a call before authentication is refused');
});

test('frame decoder: frames split at any points come out whole and in order', () => {
  fc.assert(
    fc.property(fc.array(fc.record({ type: fc.constantFrom(FrameType.REQUEST, FrameType.RESPONSE, FrameType.FAULT), callId: fc.nat(), word: fc.nat(), body: fc.uint8Array({ maxLength: 300 }) }), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (frames, cuts) => {
      const stream = Buffer.concat(frames.map((f) => encodeFrame({ ...f, body: Buffer.from(f.body) })));
      const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
      const dec = new FrameDecoder(1024);
      const out: Frame[] = [];
      let prev = 0;
      for (const p of [...points, stream.length]) {
        out.push(...dec.push(stream.subarray(prev, p)));
        prev = p;
      }
      assert.deepEqual(
        out.map((f) => [f.type, f.callId, f.word, f.body.toString('hex')]),
        frames.map((f) => [f.type, f.callId, f.word, Buffer.from(f.body).toString('hex')]),
      );
    }),
    { numRuns: 300, seed: 42 },
  );
  assert.throws(() => new FrameDecoder(10).push(encodeFrame({ type: FrameType.REQUEST, callId: 1, word: 3, body: Buffer.alloc(11) })), (e: DrsTransportError) => e.code === 'ERR_DRS_TOO_LARGE');
  assert.throws(() => new FrameDecoder(10).push(Buffer.alloc(20, 0x41)), (e: DrsTransportError) => e.code === 'ERR_DRS_FRAME');
});

test('a connection that sends a malformed frame is closed; the other connections go on', async () => {
  const other = await connect(creds(dc2));
  const raw = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
  await new Promise((r) => raw.once('secureConnect', r));
  const got: Buffer[] = [];
  raw.on('data', (d: Buffer) => got.push(d)); // read what the server says, so that the stream can end
  raw.write(Buffer.alloc(40, 0x5a)); // not a frame: bad magic
  await new Promise((r) => raw.once('close', r));
  const [f] = new FrameDecoder(1024).push(Buffer.concat(got));
  assert.equal(f!.type, FrameType.FAULT);
  assert.equal(f!.word, RPC_STATUS.RPC_X_BAD_STUB_DATA);
  assert.equal((await other.getNCChanges(request())).result, 0);
  await other.close();
});

test("verifyServerLater: the server's proof is checked afterwards, against the key learned later (a joining DC)", async () => {
  // the joining DC knows no DC's key yet
  const c = await DrsClient.connect({ host: '127.0.0.1', port, credentials: creds(dc2, { keyOf: () => undefined }), expectServerAccount: 'DC1$', verifyServerLater: true });
  try {
    assert.equal(c.verifyServer(drsKey(dc1.hash, dc1.account)), true);
    // negative control: another account's secret does not verify
    assert.equal(c.verifyServer(drsKey(ntHash('not-the-machine-password'), dc1.account)), false);
    assert.equal(c.verifyServer(drsKey(dc2.hash, dc2.account)), false);
  } finally {
    await c.close();
  }
  // without it, an unknown server key refuses the connection as before
  await assert.rejects(DrsClient.connect({ host: '127.0.0.1', port, credentials: creds(dc2, { keyOf: () => undefined }) }), (e: DrsTransportError) => e.code === 'ERR_DRS_AUTH');
});
