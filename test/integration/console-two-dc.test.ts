// The web console of a two-DC forest in a real headless browser (Debian's chromium over the
// DevTools protocol): DC1 provisioned and serving with --http-port and --repl-port, DC2 joined
// from it with `forestd join` and serving with --repl-port. A user added on DC2 replicates to
// DC1 (waited for on DC1's forestd:repl:applied test hook, no sleeps); DC1's replication page
// lists DC2 as an inbound partner of the domain NC with its last success and no error, and the
// user's page on DC1 shows msDS-ReplAttributeMetaData naming DC2's nTDSDSA as the originating
// DC. Screenshots of each page are saved under test-artifacts/console/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startForestd, runCli, run, type RunningForestd } from '../helpers/forestd.js';
import { skipUnless } from '../helpers/tools.js';
import { tempDir } from '../helpers/tmp.js';
import { untilReplicated } from '../helpers/replication.js';
import { Browser } from '../helpers/cdp.js';

const T = { timeout: 300_000, ...skipUnless('chromium') };
const ARTIFACTS = join(fileURLToPath(new URL('../../', import.meta.url)).replace(/\/dist\/$/, '/'), 'test-artifacts', 'console');
const PW = 'Adm1n-Passw0rd!';
let tmp: ReturnType<typeof tempDir>;
let dc1: RunningForestd | undefined;
let dc2: RunningForestd | undefined;
let browser: Browser | undefined;

before(async () => {
  if (T.skip) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  tmp = tempDir('forestd-console2-');
  [dc1, browser] = await Promise.all([startForestd({ httpPort: 0, serveArgs: ['--repl-port', '0'], adminPassword: PW }), Browser.launch()]);
  const data = join(tmp.dir, 'DC2');
  const r = await runCli(['join', '--data', data, '--source', dc1.url, '--admin-password', PW, '--hostname', 'DC2'], { timeoutMs: 240_000 });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  dc2 = await startForestd({ data, serveArgs: ['--repl-port', '0'], adminPassword: PW });
});
after(async () => {
  await Promise.all([dc2?.stop(), browser?.close()]);
  await dc1?.stop();
  tmp?.cleanup();
});


const rowsIn = (scope: string, sel: string) => `[...(${scope})?.querySelectorAll(${JSON.stringify(sel + ' tbody tr')}) ?? []].map(tr => [...tr.children].map(td => td.textContent))`;
const ncSection = (nc: string) => `[...document.querySelectorAll('section.nc')].find(s => s.dataset.nc.toLowerCase() === ${JSON.stringify(nc.toLowerCase())})`;

test('console of a two-DC forest: DC2 as a partner on the replication page, an object from DC2 with DC2 as its originating DC', T, async () => {
  const f1 = dc1!, f2 = dc2!, b = browser!;
  // a user added on DC2, not yet on DC1 (negative control)
  const userDN = `CN=Erin,CN=Users,${f2.baseDN}`;
  const has = async (f: RunningForestd) => {
    const r = await run('ldapsearch', ['-LLL', '-H', f.url, '-x', '-D', f.adminUPN, '-w', PW, '-b', f.baseDN, '(sAMAccountName=erin2)', '1.1'], undefined, undefined, { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    return /^dn: /m.test(r.stdout);
  };
  assert.equal(await has(f1), false);
  const add = await run('ldapadd', ['-H', f2.url, '-x', '-D', f2.adminUPN, '-w', PW], `dn: ${userDN}\nobjectClass: user\nsAMAccountName: erin2\ndescription: added on DC2\n`, undefined, { timeoutMs: 30_000 });
  assert.equal(add.code, 0, add.stderr);

  // DC2's nTDSDSA and invocationId, as DC2 itself reports them
  const dsa2 = await run('ldapsearch', ['-LLL', '-H', f2.url, '-x', '-D', f2.adminUPN, '-w', PW, '-s', 'base', '-b', '', '(objectClass=*)', 'dsServiceName'], undefined, undefined, { timeoutMs: 30_000 });
  const dsa2DN = /^dsServiceName: (.+)$/m.exec(dsa2.stdout.replace(/\n /g, ''))?.[1];
  assert.ok(dsa2DN && /^CN=NTDS Settings,CN=DC2,/i.test(dsa2DN), dsa2.stdout);

  // log in to DC1's console
  await b.goto(`${f1.httpUrl}/login`);
  await b.navigating(`(() => { document.getElementById('user').value = ${JSON.stringify(f1.adminUPN)}; document.getElementById('password').value = ${JSON.stringify(PW)}; document.getElementById('submit').click(); })()`);
  assert.equal(await b.eval('location.pathname'), '/forest');
  await b.screenshot(join(ARTIFACTS, 'two-dc-forest.png'));

  // the replication page: waits (on DC1's applied replication cycles) until DC2 is an inbound
  // partner of the domain NC that has succeeded
  type Row = string[];
  const inbound = await untilReplicated(f1, async () => {
    await b.goto(`${f1.httpUrl}/replication`);
    const r = await b.eval<Row[]>(rowsIn(ncSection(f1.baseDN), 'table.inbound'));
    const p = r.find((x) => /^CN=NTDS Settings,CN=DC2,/i.test(x[0] ?? ''));
    return p && p[2] !== 'never' ? p : undefined;
  }, 'DC2 as an inbound partner with a last success on the console');
  assert.equal(inbound[0]!.toLowerCase(), dsa2DN.toLowerCase());
  assert.match(inbound[2]!, /^\d{4}-\d\d-\d\dT/, 'last success');
  assert.equal(inbound[4], '0 (success)', 'no error');
  assert.equal(inbound[5], '0', 'no consecutive failures');
  assert.equal(await b.eval('document.getElementById("single-dc")'), null, 'not the one-DC note');
  // DC1's up-to-dateness vector of the domain NC has DC2's invocationId (as DC2's nTDSDSA has it)
  const inv = await run('ldapsearch', ['-LLL', '-H', f2.url, '-x', '-D', f2.adminUPN, '-w', PW, '-s', 'base', '-b', dsa2DN, '(objectClass=*)', 'invocationId'], undefined, undefined, { timeoutMs: 30_000 });
  const invBytes = Buffer.from(/^invocationId:: (\S+)/m.exec(inv.stdout)?.[1] ?? '', 'base64');
  assert.equal(invBytes.length, 16, inv.stdout);
  const hex = (i: number, n: number, le: boolean) => { const x = invBytes.subarray(i, i + n); return Buffer.from(le ? [...x].reverse() : x).toString('hex'); };
  const inv2 = `${hex(0, 4, true)}-${hex(4, 2, true)}-${hex(6, 2, true)}-${hex(8, 2, false)}-${hex(10, 6, false)}`;
  const cursors = await b.eval<Row[]>(rowsIn(ncSection(f1.baseDN), 'table.cursors'));
  const c2 = cursors.find((r) => r[1] === inv2);
  assert.ok(c2, `${inv2} in ${JSON.stringify(cursors)}`);
  assert.equal(c2[0]!.toLowerCase(), dsa2DN.toLowerCase());
  assert.ok(Number(c2[2]) > 0, 'USN');
  await b.screenshot(join(ARTIFACTS, 'two-dc-replication.png'));

  // the user added on DC2, on DC1's console: its metadata names DC2 as the originating DC
  await untilReplicated(f1, async () => ((await has(f1)) ? true : undefined), 'the user from DC2 on DC1');
  await b.goto(`${f1.httpUrl}/object?dn=${encodeURIComponent(userDN)}`);
  const attrs = new Map((await b.eval<Row[]>(rowsIn('document', '#attributes'))).map((r) => [r[0], r[1]]));
  assert.equal(attrs.get('description'), 'added on DC2');
  const meta = await b.eval<Row[]>(rowsIn('document', '#metadata'));
  for (const a of ['description', 'sAMAccountName', 'cn']) {
    const m = meta.find((r) => r[0] === a);
    assert.ok(m, `${a} in ${JSON.stringify(meta.map((r) => r[0]))}`);
    assert.equal(m[2]!.toLowerCase(), dsa2DN.toLowerCase(), `${a}: originating DC`);
    assert.equal(m[1], '1', `${a}: version`);
  }
  // negative control: an object DC1 made names DC1, not DC2
  await b.goto(`${f1.httpUrl}/object?dn=${encodeURIComponent(f1.adminDN)}`);
  const adminCn = (await b.eval<Row[]>(rowsIn('document', '#metadata'))).find((r) => r[0] === 'cn');
  assert.ok(adminCn);
  assert.doesNotMatch(adminCn[2]!, /CN=DC2,/i);
  await b.goto(`${f1.httpUrl}/object?dn=${encodeURIComponent(userDN)}`);
  await b.screenshot(join(ARTIFACTS, 'two-dc-object.png'));
});
