// `forestd join` from a DC whose schema was extended (MS-ADTS 3.1.1.2, schema updates): the
// domain NC then holds objects of a class and with an attribute the bundled schema lacks. The
// join replicates the schema NC first where the other NCs need it (MS-DRSR 4.1.10.6): a reply
// that carries an attribute this DC does not know makes the join finish the schema NC, rebuild
// its schema cache from it and pull that NC again. Negative control: with that retry switched
// off (FORESTD_JOIN_SCHEMA_RETRY=off) the join fails with ERROR_DS_DRA_SCHEMA_MISMATCH.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startForestd, runCli, run, type RunningForestd } from '../helpers/forestd.js';
import { tempDir } from '../helpers/tmp.js';

const PW = 'Adm1n-Passw0rd!';
let tmp: ReturnType<typeof tempDir>;
let dc1: RunningForestd;
let dc2: RunningForestd | undefined;

const auth = (f: RunningForestd) => ['-H', f.url, '-x', '-D', f.adminUPN, '-w', PW];

before(async () => {
  tmp = tempDir('forestd-join-schema-');
  dc1 = await startForestd({ serveArgs: ['--repl-port', '0'], adminPassword: PW });
  const S = `CN=Schema,CN=Configuration,${dc1.baseDN}`;
  let r = await run('ldapadd', auth(dc1), `dn: CN=join-Shoe-Size,${S}\nobjectClass: attributeSchema\nattributeID: 1.3.6.1.4.1.99999.17.1\nattributeSyntax: 2.5.5.9\noMSyntax: 2\nisSingleValued: TRUE\n\ndn: CN=join-Walker,${S}\nobjectClass: classSchema\ngovernsID: 1.3.6.1.4.1.99999.17.2\nsubClassOf: top\nobjectClassCategory: 1\npossSuperiors: container\nmayContain: joinShoeSize\n`, undefined, { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  r = await run('ldapmodify', auth(dc1), 'dn:\nchangetype: modify\nadd: schemaUpdateNow\nschemaUpdateNow: 1\n-\n', undefined, { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  r = await run('ldapadd', auth(dc1), `dn: CN=Walker1,CN=Users,${dc1.baseDN}\nobjectClass: joinWalker\njoinShoeSize: 44\n`, undefined, { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await dc2?.stop();
  await dc1?.stop();
  tmp?.cleanup();
});

test('negative control: without the schema retry, the join fails with ERROR_DS_DRA_SCHEMA_MISMATCH (000020E2)', { timeout: 300_000 }, async () => {
  const r = await runCli(['join', '--data', join(tmp.dir, 'no-retry'), '--source', dc1.url, '--admin-password', PW, '--hostname', 'DCX'], { timeoutMs: 240_000, env: { FORESTD_JOIN_SCHEMA_RETRY: 'off' } });
  assert.notEqual(r.code, 0, r.stdout);
  assert.match(r.stderr + r.stdout, /000020E2/i);
});

test('join from an extended schema: the new class and attribute arrive, and DC2 serves them', { timeout: 300_000 }, async () => {
  const data = join(tmp.dir, 'DC2');
  const r = await runCli(['join', '--data', data, '--source', dc1.url, '--admin-password', PW, '--hostname', 'DC2'], { timeoutMs: 240_000 });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  dc2 = await startForestd({ data, serveArgs: ['--repl-port', '0'], adminPassword: PW });
  const s = await run('ldapsearch', ['-LLL', ...auth(dc2), '-b', dc2.baseDN, '(joinShoeSize=44)', 'objectClass', 'joinShoeSize'], undefined, undefined, { timeoutMs: 30_000 });
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, /^dn: CN=Walker1,CN=Users,/m);
  assert.match(s.stdout, /^objectClass: joinWalker$/m);
  assert.match(s.stdout, /^joinShoeSize: 44$/m);
});
