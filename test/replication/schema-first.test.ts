// The schema NC first (MS-DRSR 4.1.10.6), over the DRS wire layer in process: a DC whose schema
// lacks an attribute the source has since added cannot read a reply of the domain NC carrying it
// (negative control: a plain pull fails on the unknown ATTRTYP, and changes nothing);
// pullNCSchemaFirst replicates the schema NC, rebuilds the schema cache and then applies the
// domain NC with the new attribute.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { provision } from '../../src/dsa/provision/provision.js';
import { Directory } from '../../src/dsa/directory.js';
import { add } from '../../src/dsa/add.js';
import { Store } from '../../src/store/store.js';
import { replicaContextOf } from '../../src/dsa/replica-context.js';
import type { OperationContext } from '../../src/dsa/api.js';
import { DrsServer } from '../../src/drs/server.js';
import { drsHandlersFor } from '../../src/drs/handlers.js';
import { pullNC } from '../../src/drs/replicator.js';
import { isSchemaMismatch, pullNCSchemaFirst } from '../../src/drs/schema-first.js';
import { tempDir } from '../helpers/tmp.js';

const t1 = tempDir('forestd-sf-dc1-');
const t2 = tempDir('forestd-sf-dc2-');
const open: Directory[] = [];
after(async () => {
  for (const d of open) await d.close();
  t1.cleanup();
  t2.cleanup();
});

const ctx: OperationContext = {
  session: { id: 1, identity: { dn: 'CN=Administrator', guid: Buffer.alloc(16), isAdmin: true }, encrypted: true, globalCatalog: false, remoteAddress: '127.0.0.1' },
  controls: [],
  signal: new AbortController().signal,
};
const attrs = (o: Record<string, string[]>) => Object.entries(o).map(([type, v]) => ({ type, values: v.map((x) => Buffer.from(x)) }));

test('a domain NC reply with an attribute the destination lacks: the schema NC first, then the NC', { timeout: 300_000 }, async () => {
  const { directory: dc1 } = await provision({ dataDir: t1.dir, realm: 'example.com', netbios: 'EXAMPLE', adminPassword: 'Passw0rd!' });
  open.push(dc1);
  const f = dc1.forest;
  // DC2: a new store, pulled from DC1 through DC1's DrsServer (the stubs a transport carries)
  const store = Store.open(t2.dir, { create: true });
  const dc2 = Directory.createForProvisioning(store, { ...f, dsaGuid: randomBytes(16) });
  open.push(dc2);
  const server = new DrsServer(drsHandlersFor(dc1));
  const client = { call: (opnum: number, stub: Buffer) => server.dispatch(opnum, stub, { peerAccount: 'DC2$', peerDsaGuid: dc2.forest.dsaGuid, transport: 'memory' }), close: async () => {} } as never;
  const hDrs = Buffer.alloc(20);
  const ctx2 = replicaContextOf(dc2);
  const nc = (g: Uint8Array, dn: string) => ({ Guid: Buffer.from(g), StringName: dn });
  for (const x of [nc(f.schemaNC, f.schemaDN), nc(f.configNC, f.configDN), nc(f.domainNC, f.domainDN)]) await pullNC(ctx2, dc2, client, hDrs, x, f.dsaGuid);
  await store.write((w) => w.setMeta('prefixTable', dc2.schema.snapshot.prefixTable.toJSON()));

  // DC1's schema moves on: an attribute under a new OID prefix, a class that may have it, an object using both
  const S = f.schemaDN;
  for (const r of [
    { entry: `CN=sf-Shoe-Size,${S}`, attributes: attrs({ objectClass: ['attributeSchema'], attributeID: ['1.3.6.1.4.1.99998.9.1'], attributeSyntax: ['2.5.5.9'], oMSyntax: ['2'], isSingleValued: ['TRUE'] }) },
    { entry: `CN=sf-Walker,${S}`, attributes: attrs({ objectClass: ['classSchema'], governsID: ['1.3.6.1.4.1.99998.9.2'], subClassOf: ['top'], objectClassCategory: ['1'], possSuperiors: ['container'], mayContain: ['sfShoeSize'] }) },
  ]) {
    await add(dc1, { type: 'addRequest', ...r }, ctx); // throws an LdapError when refused
  }
  dc1.reloadSchema();
  await add(dc1, { type: 'addRequest', entry: `CN=walker,CN=Users,${f.domainDN}`, attributes: attrs({ objectClass: ['sfWalker'], sfShoeSize: ['44'] }) }, ctx);
  const domain = nc(f.domainNC, f.domainDN);

  // negative control: the domain NC alone does not decode, and nothing of it is applied
  const usn = store.dc.usn;
  await assert.rejects(pullNC(ctx2, dc2, client, hDrs, domain, f.dsaGuid), (e) => isSchemaMismatch(e));
  assert.equal(store.dc.usn, usn);
  assert.equal(dc2.schema.attr('sfShoeSize'), undefined);

  // the schema NC first, then the domain NC
  const objects = await pullNCSchemaFirst(ctx2, dc2, client, hDrs, domain, f.dsaGuid);
  assert.ok(objects >= 1, `${objects} objects`);
  const info = dc2.schema.attr('sfShoeSize');
  assert.ok(info, 'the schema cache has the new attribute');
  const walker = dc2.resolve(dc2.store.reader, `CN=walker,CN=Users,${f.domainDN}`, 'test');
  assert.deepEqual(dc2.store.reader.getObject(walker)!.attrs.find((a) => a.id === info.id)?.values, [44]);
});
