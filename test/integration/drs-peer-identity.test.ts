// The DSA a DRS peer speaks as is bound to the machine account it proved (src/drs/peer-identity.ts):
// DC1 provisioned, DC2 joined from it and served until DC1 holds DC2's nTDSDSA object; then
// DC2's machine account (its password reset through ldapts so the test can prove it) calls
// DC1's DRS listener. Announcing DC1's nTDSDSA GUID, or a GUID that is no nTDSDSA, is refused in
// the handshake with ERROR_DS_DRA_ACCESS_DENIED; with its own GUID it is admitted (the negative
// control), and then IDL_DRSUpdateRefs and IDL_DRSGetNCChanges refuse to act for DC1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Attribute, Change, Client } from 'ldapts';
import { startForestd, runCli, PYTHON, type RunningForestd } from '../helpers/forestd.js';
import { tempDir } from '../helpers/tmp.js';
import { deadline } from '../helpers/replication.js';
import { skipUnless } from '../helpers/tools.js';
import { DrsClient } from '../../src/drs/transport/tls.js';
import { drsKey } from '../../src/drs/transport/auth.js';
import { DrsTransportError } from '../../src/drs/transport/frame.js';
import { registerWithSource } from '../../src/drs/update-refs.js';
import { encodeDRSGetNCChangesRequest } from '../../src/drs/stubs.js';
import { DRSUAPI_OPNUM } from '../../src/drs/types.js';
import { ntHash } from '../../src/security/password.js';

const PW = 'Adm1n-Passw0rd!';
const DC2_PW = 'Dc2-Machine-Pa55!';
let tmp: ReturnType<typeof tempDir>;
let dc1: RunningForestd;
let ldap: Client;
let dc1Dsa: Buffer, dc2Dsa: Buffer;
let drsPort: number;
let accessDenied: number;

const guidOf = async (dn: string) => Buffer.from((await ldap.search(dn, { scope: 'base', attributes: ['objectGUID'], explicitBufferAttributes: ['objectGUID'] })).searchEntries[0]!['objectGUID'] as Buffer);

const T = (ms: number) => ({ timeout: ms, ...skipUnless('python:samba') });

before(async () => {
  if (skipUnless('python:samba').skip) return;
  // the Win32 code, from python3-samba's werror table (nobody here wrote it)
  const py = spawnSync(PYTHON, ['-c', 'from samba import werror; print(werror.WERR_DS_DRA_ACCESS_DENIED)'], { timeout: 30_000 });
  assert.equal(py.status, 0, py.stderr?.toString());
  accessDenied = Number(py.stdout.toString().trim());
  assert.equal(accessDenied, 8453);
  tmp = tempDir('forestd-peerid-');
  dc1 = await startForestd({ serveArgs: ['--repl-port', '0'], adminPassword: PW });
  drsPort = Number(new URL(dc1.listeners['drs']!).port);
  const data = join(tmp.dir, 'DC2');
  const j = await runCli(['join', '--data', data, '--source', dc1.url, '--admin-password', PW, '--hostname', 'DC2'], { timeoutMs: 240_000 });
  assert.equal(j.code, 0, j.stderr + j.stdout);
  const dc2 = await startForestd({ data, serveArgs: ['--repl-port', '0'], adminPassword: PW });
  // DC2 tells DC1 of its news at start; DC1's cycle from it brings DC2's nTDSDSA object
  await Promise.race([dc1.hook('forestd:repl:applied', 1, (e) => e.partner === 'DC2$' && /^CN=Configuration,/i.test(String(e.nc))), deadline(120_000, () => `DC1 did not replicate from DC2\n${dc1.log().slice(-2000)}`)]);
  await dc2.stop({ keepData: true });
  ldap = new Client({ url: dc1.ldapsUrl, tlsOptions: { rejectUnauthorized: false } });
  await ldap.bind(dc1.adminDN, PW);
  const configDN = `CN=Configuration,${dc1.baseDN}`;
  const servers = `CN=Servers,CN=Default-First-Site-Name,CN=Sites,${configDN}`;
  const { searchEntries } = await ldap.search(servers, { filter: '(objectClass=nTDSDSA)', attributes: ['objectGUID'], explicitBufferAttributes: ['objectGUID'] });
  assert.equal(searchEntries.length, 2, JSON.stringify(searchEntries.map((e) => e.dn)));
  dc2Dsa = await guidOf(`CN=NTDS Settings,CN=DC2,${servers}`);
  dc1Dsa = Buffer.from(searchEntries.find((e) => !Buffer.from(e['objectGUID'] as Buffer).equals(dc2Dsa))!['objectGUID'] as Buffer);
  // a password the test knows for DC2's machine account (DC2 is stopped)
  await ldap.modify(`CN=DC2,OU=Domain Controllers,${dc1.baseDN}`, new Change({ operation: 'replace', modification: new Attribute({ type: 'unicodePwd', values: [Buffer.from(`"${DC2_PW}"`, 'utf16le')] }) }));
});
after(async () => {
  await ldap?.unbind().catch(() => undefined);
  await dc1?.stop();
  tmp?.cleanup();
});

/** DC2's machine account announcing `dsaGuid` (DC1's own proof is not checked: the test has no DC1 key). */
const connectAs = (dsaGuid: Buffer) =>
  DrsClient.connect({ host: '127.0.0.1', port: drsPort, credentials: { account: 'DC2$', dsaGuid, key: drsKey(ntHash(DC2_PW), 'DC2$'), keyOf: () => undefined }, verifyServerLater: true });

async function refusal(p: Promise<unknown>): Promise<number> {
  try {
    const c = await p;
    await (c as DrsClient).close();
    return 0;
  } catch (e) {
    assert.ok(e instanceof DrsTransportError, String(e));
    return e.status;
  }
}

test('a DC account announcing another DC\'s nTDSDSA GUID, or a GUID that is not its own, is refused in the DRS handshake', T(60_000), async () => {
  assert.equal(await refusal(connectAs(dc1Dsa)), accessDenied, "DC2$ as DC1's DSA");
  assert.equal(await refusal(connectAs(randomBytes(16))), accessDenied, 'DC2$ (which has an nTDSDSA) as a DSA DC1 does not know');
  // the negative control: its own nTDSDSA
  assert.equal(await refusal(connectAs(dc2Dsa)), 0);
});

test('the bound peer cannot act for another DSA: IDL_DRSUpdateRefs and IDL_DRSGetNCChanges naming DC1 are refused', T(60_000), async () => {
  const c = await connectAs(dc2Dsa);
  try {
    const { phDrs } = await c.bind({ puuidClientDsa: dc2Dsa, pextClient: null });
    const nc = { Guid: await guidOf(dc1.baseDN), StringName: dc1.baseDN };
    // DC1's reference in its own repsTo may not be added or deleted by DC2; DC2's own may
    assert.equal(await registerWithSource(c, phDrs, nc, dc1Dsa, '127.0.0.1:1', true), accessDenied);
    assert.equal(await registerWithSource(c, phDrs, nc, dc2Dsa, '127.0.0.1:1'), 0);
    const getChanges = (dest: Buffer) =>
      c.call(
        DRSUAPI_OPNUM.IDL_DRSGetNCChanges,
        encodeDRSGetNCChangesRequest({
          hDrs: phDrs,
          pmsgIn: {
            version: 8,
            msg: {
              uuidDsaObjDest: dest,
              uuidInvocIdSrc: Buffer.alloc(16),
              pNC: { Guid: nc.Guid, Sid: Buffer.alloc(0), StringName: nc.StringName },
              usnvecFrom: { usnHighObjUpdate: 0, usnReserved: 0, usnHighPropUpdate: 0 },
              pUpToDateVecDest: null,
              ulFlags: 0x10 | 0x20,
              cMaxObjects: 1,
              cMaxBytes: 1 << 20,
              ulExtendedOp: 0,
              liFsmoInfo: 0n,
              pPartialAttrSet: null,
              pPartialAttrSetEx: null,
              PrefixTableDest: { pPrefixEntry: [] },
            },
          },
        }),
      );
    await assert.rejects(getChanges(dc1Dsa), (e: unknown) => (e as DrsTransportError).status === accessDenied);
    // the negative control: as itself, a reply
    assert.ok((await getChanges(dc2Dsa)).length > 0);
  } finally {
    await c.close();
  }
});
