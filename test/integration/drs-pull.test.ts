// A real forestd (serve --repl-port) as the source of a full GetNCChanges cycle of its domain
// NC, pulled over the DRS transport by a destination DC's engine into an empty store.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Attribute, Change, Client } from 'ldapts';
import { startForestd, type RunningForestd } from '../helpers/forestd.js';
import { tempDir } from '../helpers/tmp.js';
import { Store } from '../../src/store/store.js';
import { Directory, type ForestInfo } from '../../src/dsa/directory.js';
import { replicaContextOf } from '../../src/dsa/replica-context.js';
import { nextRequest, handleReply, type PullOptions } from '../../src/dsa/replica/pull.js';
import { DrsClient } from '../../src/drs/transport/tls.js';
import { drsKey } from '../../src/drs/transport/auth.js';
import { callGetNCChanges } from '../../src/drs/convert.js';
import { codecOf } from '../../src/drs/handlers.js';
import { ntHash } from '../../src/security/password.js';

let f: RunningForestd;
let ldap: Client;
let dcAccount: string;
const DC_PW = 'Dc1-Machine-Pa55!';
const PEER_PW = 'Dc9-Machine-Pa55!';
const quoted = (pw: string) => Buffer.from(`"${pw}"`, 'utf16le');

before(async () => {
  f = await startForestd({ serveArgs: ['--repl-port', '0'] });
  ldap = new Client({ url: f.ldapsUrl, tlsOptions: { rejectUnauthorized: false } });
  await ldap.bind(f.adminDN, f.adminPassword);
  const { searchEntries } = await ldap.search(`OU=Domain Controllers,${f.baseDN}`, { filter: '(objectClass=computer)', attributes: ['sAMAccountName'] });
  dcAccount = String(searchEntries[0]!['sAMAccountName']);
  await ldap.modify(String(searchEntries[0]!.dn), new Change({ operation: 'replace', modification: new Attribute({ type: 'unicodePwd', values: [quoted(DC_PW)] }) }));
  await ldap.add(`CN=DC9,OU=Domain Controllers,${f.baseDN}`, { objectClass: ['top', 'person', 'organizationalPerson', 'user', 'computer'], sAMAccountName: 'DC9$', userAccountControl: String(0x2000), unicodePwd: quoted(PEER_PW) as never });
});
after(async () => {
  await ldap?.unbind().catch(() => undefined);
  await f?.stop();
});

test('a destination pulls the schema, configuration and domain NCs of a real forestd over the DRS transport', { timeout: 300_000 }, async () => {
  // the source's facts, read from its store (LMDB readers beside the serving process)
  const src = Store.open(f.dir);
  const forest = src.getMeta<ForestInfo>('forest')!;
  const srcInv = Buffer.from(src.dc.invocationId);
  await src.close();
  const t = tempDir('forestd-pull-');
  const store = Store.open(join(t.dir, 'dst'), { create: true });
  const dst = Directory.createForProvisioning(store, { ...forest, dsaGuid: randomBytes(16) });
  const ctx = replicaContextOf(dst);
  const codec = codecOf(dst);
  const client = await DrsClient.connect({ host: '127.0.0.1', port: Number(new URL(f.listeners['drs']!).port), credentials: { account: 'DC9$', dsaGuid: dst.forest.dsaGuid, key: drsKey(ntHash(PEER_PW), 'DC9$'), keyOf: (a) => (a.toUpperCase() === dcAccount.toUpperCase() ? drsKey(ntHash(DC_PW), a) : undefined) }, expectServerAccount: dcAccount });
  const { phDrs } = await client.bind({ puuidClientDsa: dst.forest.dsaGuid, pextClient: null });
  let objects = 0;
  let replies = 0;
  for (const nc of [
    { Guid: forest.schemaNC, StringName: forest.schemaDN },
    { Guid: forest.configNC, StringName: forest.configDN },
    { Guid: forest.domainNC, StringName: forest.domainDN },
  ]) {
    let opts: PullOptions = { cMaxObjects: 1000 };
    for (;;) {
      const req = nextRequest(ctx, store.reader, nc, forest.dsaGuid, srcInv, opts);
      const reply = await callGetNCChanges(client, phDrs, req, codec);
      replies++;
      const r = handleReply(ctx, reply as never, opts);
      if (r.kind === 'retry') {
        opts = { ...opts, getAnc: r.getAnc, getTgt: r.getTgt };
        continue;
      }
      assert.equal(r.kind, 'applied', `${nc.StringName}: ${JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
      if (r.kind !== 'applied') break;
      objects += r.outcome.objects;
      if (!r.more) break;
    }
  }
  console.log(`pulled ${objects} objects in ${replies} replies`);
  await client.close();
  // the destination holds the source's Administrator, same objectGUID
  const { searchEntries } = await ldap.search(f.adminDN, { scope: 'base', attributes: ['objectGUID'] });
  const adminGuid = searchEntries[0]!['objectGUID'] as Buffer;
  assert.ok(store.reader.hasObject(Buffer.from(adminGuid)), 'Administrator arrived');
  assert.equal(dst.dnOf(store.reader, Buffer.from(adminGuid)), f.adminDN);
  assert.ok(objects > 1800, `${objects} objects`);
  await store.close();
  t.cleanup();
});
