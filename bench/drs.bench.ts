// npm run bench:drs — the DRS wire layer on its own: NDR encode and decode of a GetNCChanges
// reply of 10,000 objects (15 attributes each, with their stamps), and the whole round trip
// over the TLS transport on loopback (handshake excluded). Prints figures; asserts nothing.
import { createSelfSignedCertificate } from '../src/ldap/tls.js';
import { decodeDRSGetNCChangesResponse, encodeDRSGetNCChangesResponse, type DRSGetNCChangesResponse } from '../src/drs/stubs.js';
import { DrsServer } from '../src/drs/server.js';
import { DrsClient, DrsTlsListener } from '../src/drs/transport/tls.js';
import { drsKey } from '../src/drs/transport/auth.js';
import { ntHash } from '../src/security/password.js';
import type { REPLENTINFLIST } from '../src/drs/types.js';

const g = (n: number) => Buffer.alloc(16, n);
function reply(n: number): DRSGetNCChangesResponse {
  const objs: REPLENTINFLIST[] = [];
  for (let i = 0; i < n; i++) {
    const attrs = [];
    for (let a = 0; a < 15; a++) attrs.push({ attrTyp: 0x90000 + a, AttrVal: { pAVal: [Buffer.from(`value-${i}-${a}`, 'utf16le')] } });
    objs.push({
      Entinf: { pName: { Guid: g(i & 255), Sid: Buffer.alloc(0), StringName: `CN=user${i},CN=Users,DC=example,DC=com` }, ulFlags: 0, AttrBlock: { pAttr: attrs } },
      fIsNCPrefix: false,
      pParentGuid: g(1),
      pMetaDataExt: { rgMetaData: attrs.map((_, k) => ({ dwVersion: 1, timeChanged: 13_000_000_000, uuidDsaOriginating: g(2), usnOriginating: i * 15 + k })) },
    });
  }
  const usn = { usnHighObjUpdate: 0, usnReserved: 0, usnHighPropUpdate: 0 };
  return { result: 0, pmsgOut: { version: 6, msg: { uuidDsaObjSrc: g(1), uuidInvocIdSrc: g(2), pNC: null, usnvecFrom: usn, usnvecTo: usn, pUpToDateVecSrc: null, PrefixTableSrc: { pPrefixEntry: [] }, ulExtendedRet: 0, pObjects: objs, fMoreData: false, cNumNcSizeObjects: 0, cNumNcSizeValues: 0, rgValues: [], dwDRSError: 0 } } };
}

const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;
const N = 10_000;
const m = reply(N);
let bytes = 0;
for (let round = 0; round < 5; round++) {
  let t = process.hrtime.bigint();
  const b = encodeDRSGetNCChangesResponse(m);
  const enc = ms(t);
  t = process.hrtime.bigint();
  decodeDRSGetNCChangesResponse(b);
  const dec = ms(t);
  bytes = b.length;
  if (round >= 2) console.log(`NDR ${N} objects (${(bytes / 1e6).toFixed(1)} MB): encode ${enc.toFixed(0)} ms (${Math.round(N / (enc / 1000))} objects/s), decode ${dec.toFixed(0)} ms (${Math.round(N / (dec / 1000))} objects/s)`);
}

const material = createSelfSignedCertificate(['localhost'], ['127.0.0.1']);
const keys = new Map([
  ['DC1$', drsKey(ntHash('a'), 'DC1$')],
  ['DC2$', drsKey(ntHash('b'), 'DC2$')],
]);
const listener = new DrsTlsListener({ server: new DrsServer({ IDL_DRSGetNCChanges: () => m }), credentials: { account: 'DC1$', dsaGuid: g(1), key: keys.get('DC1$')!, keyOf: (a) => keys.get(a) }, tls: material });
const { port } = await listener.listen('127.0.0.1', 0);
const c = await DrsClient.connect({ host: '127.0.0.1', port, credentials: { account: 'DC2$', dsaGuid: g(2), key: keys.get('DC2$')!, keyOf: (a) => keys.get(a) } });
const req = { hDrs: Buffer.alloc(20), pmsgIn: { version: 8 as const, msg: { uuidDsaObjDest: g(2), uuidInvocIdSrc: g(1), pNC: { Guid: g(3), Sid: Buffer.alloc(0), StringName: 'DC=example,DC=com' }, usnvecFrom: { usnHighObjUpdate: 0, usnReserved: 0, usnHighPropUpdate: 0 }, pUpToDateVecDest: null, ulFlags: 0x10, cMaxObjects: N, cMaxBytes: 64 << 20, ulExtendedOp: 0, liFsmoInfo: 0n, pPartialAttrSet: null, pPartialAttrSetEx: null, PrefixTableDest: { pPrefixEntry: [] } } } };
for (let round = 0; round < 4; round++) {
  const t = process.hrtime.bigint();
  const r = await c.getNCChanges(req);
  const took = ms(t);
  if (round >= 1) console.log(`GetNCChanges over TLS: ${r.pmsgOut.msg.pObjects.length} objects in ${took.toFixed(0)} ms (${Math.round(N / (took / 1000))} objects/s, ${(bytes / 1e6 / (took / 1000)).toFixed(0)} MB/s)`);
}
await c.close();
await listener.close();
