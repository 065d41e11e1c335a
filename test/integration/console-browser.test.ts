// The web console (forestd serve --http-port N, at /) in a real headless browser (Debian's
// chromium over the DevTools protocol): the login (a bind through the DSA: a wrong password is
// refused with AD's 49 / 80090308 / data 52e), the forest page, the replication page of this DC
// (one DC: its own state), the directory browser with escaped names, an object with its
// msDS-ReplAttributeMetaData table, and the live view receiving a change as it commits. A
// screenshot of each page is saved under test-artifacts/console/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'ldapts';
import { startForestd, type RunningForestd } from '../helpers/forestd.js';
import { skipUnless } from '../helpers/tools.js';
import { Browser } from '../helpers/cdp.js';

const T = { timeout: 180_000, ...skipUnless('chromium') };
const ARTIFACTS = join(fileURLToPath(new URL('../../', import.meta.url)).replace(/\/dist\/$/, '/'), 'test-artifacts', 'console');
let f: RunningForestd;
let browser: Browser;

before(async () => {
  if (T.skip) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  [f, browser] = await Promise.all([startForestd({ httpPort: 0 }), Browser.launch()]);
});
after(async () => {
  await Promise.all([f?.stop(), browser?.close()]);
});

const text = (sel: string) => `(document.querySelector(${JSON.stringify(sel)})?.textContent ?? null)`;
const rows = (sel: string) => `[...document.querySelectorAll(${JSON.stringify(sel + ' tbody tr')})].map(tr => [...tr.children].map(td => td.textContent))`;

async function login(user: string, password: string): Promise<void> {
  await browser.goto(`${f.httpUrl}/login`);
  await browser.navigating(`(() => { document.getElementById('user').value = ${JSON.stringify(user)}; document.getElementById('password').value = ${JSON.stringify(password)}; document.getElementById('submit').click(); })()`);
}

test('console: login by directory bind, forest, replication, directory, object metadata and live changes in chromium', T, async () => {
  // not logged in: every page sends to the login form
  await browser.goto(`${f.httpUrl}/replication`);
  assert.equal(await browser.eval('location.pathname'), '/login');
  // a wrong password: the DSA's answer (LDAP 49, 80090308, data 52e), and no session
  await login(f.adminUPN, 'not-the-password');
  assert.equal(await browser.eval('location.pathname'), '/login');
  const err = await browser.eval<string>(text('#login-error'));
  assert.match(err, /LDAP result 49/);
  assert.match(err, /80090308/);
  assert.match(err, /data 52e/);
  assert.deepEqual((await browser.cookies()).filter((c) => c.name === 'forestd_console'), []);
  await browser.screenshot(join(ARTIFACTS, 'login-refused.png'));

  await login(f.adminUPN, f.adminPassword);
  assert.equal(await browser.eval('location.href'), `${f.httpUrl}/forest`, 'no credentials in the URL');
  const cookie = (await browser.cookies()).find((c) => c.name === 'forestd_console');
  assert.ok(cookie, 'a session cookie');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(await browser.eval('document.cookie'), '', 'scripts cannot read the session');
  // the forest: its DC, its site, its NCs, the FSMO owners (this DC's nTDSDSA object)
  const dcs = await browser.eval<string[][]>(rows('#dcs'));
  assert.equal(dcs.length, 1);
  assert.equal(dcs[0]![2], 'Default-First-Site-Name');
  const ncs = (await browser.eval<string[][]>(rows('#ncs'))).map((r) => r[0]);
  assert.ok(ncs.includes(f.baseDN), ncs.join(';'));
  assert.ok(ncs.includes(`CN=Configuration,${f.baseDN}`));
  const fsmo = await browser.eval<string[][]>(rows('#fsmo'));
  assert.equal(fsmo.length, 5);
  for (const r of fsmo) assert.match(r[2]!, /^CN=NTDS Settings,CN=[^,]+,CN=Servers,CN=Default-First-Site-Name,CN=Sites,CN=Configuration,/i, r[0]);
  await browser.screenshot(join(ARTIFACTS, 'forest.png'));

  // replication: one DC, so the page shows its own state (invocationId, UTD vector per NC)
  await browser.goto(`${f.httpUrl}/replication`);
  assert.match((await browser.eval<string>(text('#invocation-id'))) ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.ok(await browser.eval<string | null>(text('#single-dc')));
  const cursors = await browser.eval<string[][]>(rows('table.cursors'));
  assert.equal(cursors[0]![1], await browser.eval<string>(text('#invocation-id')));
  // one section per NC repeats the same tables: they carry classes, and every id stays unique (HTML)
  assert.ok(cursors.length >= 3, 'a UTD table per NC');
  const ids = await browser.eval<string[]>('[...document.querySelectorAll("[id]")].map(e => e.id)');
  assert.deepEqual(ids.filter((x, i) => ids.indexOf(x) !== i), [], 'duplicate ids on the replication page');
  await browser.screenshot(join(ARTIFACTS, 'replication.png'));

  // the directory: a name with markup in it is shown as text
  const c = new Client({ url: f.url });
  await c.bind(f.adminDN, f.adminPassword);
  await c.add(`OU=\\<b\\>bold\\</b\\>,${f.baseDN}`, { objectClass: ['top', 'organizationalUnit'] });
  await browser.goto(`${f.httpUrl}/browse?dn=${encodeURIComponent(f.baseDN)}`);
  const children = await browser.eval<string>(text('#children'));
  assert.match(children, /OU=\\?<b\\?>bold\\?<\/b\\?>/);
  assert.equal(await browser.eval('document.querySelectorAll("#children b").length'), 0, 'escaped');
  assert.match(children, /CN=Users/);
  await browser.screenshot(join(ARTIFACTS, 'browse.png'));

  // an object: its attributes and its replication metadata
  await browser.navigating(`document.querySelector('a[href*="CN%3DUsers"]:not([href^="/object"])').click()`);
  await browser.navigating(`[...document.querySelectorAll('#children li')].find(li => li.textContent.startsWith('CN=Administrator')).querySelector('a[href^="/object"]').click()`);
  assert.equal(await browser.eval('new URLSearchParams(location.search).get("dn")'), f.adminDN);
  const attrs = new Map((await browser.eval<string[][]>(rows('#attributes'))).map((r) => [r[0], r[1]]));
  assert.equal(attrs.get('sAMAccountName'), 'Administrator');
  assert.equal(attrs.get('unicodePwd'), undefined, 'never shown');
  const meta = await browser.eval<string[][]>(rows('#metadata'));
  const cn = meta.find((r) => r[0] === 'cn');
  assert.ok(cn, JSON.stringify(meta.slice(0, 3)));
  assert.ok(Number(cn[1]) >= 1, 'version');
  assert.match(cn[2]!, /^CN=NTDS Settings,/, 'originating DC');
  assert.match(cn[3]!, /^\d{4}-\d\d-\d\dT/, 'originating time');
  assert.ok(Number(cn[4]) > 0 && Number(cn[5]) > 0, 'USNs');
  assert.ok(meta.some((r) => r[0] === 'unicodePwd'), 'metadata names attributes whose values are not shown');
  await browser.screenshot(join(ARTIFACTS, 'object.png'));

  // live changes: the page's event stream is open, then a change commits and shows up
  await browser.goto(`${f.httpUrl}/live`);
  await browser.eval(`new Promise(r => { const ok = () => document.body.getAttribute('data-live') === 'open'; if (ok()) return r(true); new MutationObserver(() => ok() && r(true)).observe(document.body, { attributes: true }); })`);
  const seen = browser.eval<boolean>(`new Promise(r => { const ok = () => document.querySelector('#changes tbody').textContent.includes('OU=live-change,'); if (ok()) return r(true); new MutationObserver(() => ok() && r(true)).observe(document.body, { subtree: true, childList: true }); })`);
  await c.add(`OU=live-change,${f.baseDN}`, { objectClass: ['top', 'organizationalUnit'] });
  assert.equal(await seen, true);
  const live = await browser.eval<string[][]>(rows('#changes'));
  assert.ok(live.some((r) => r[2] === 'organizationalUnit' && r[3] === `OU=live-change,${f.baseDN}` && Number(r[0]) > 0), JSON.stringify(live));
  await browser.screenshot(join(ARTIFACTS, 'live.png'));
  await c.unbind();

  // logging out ends the session
  await browser.navigating(`document.querySelector('nav form').submit()`);
  await browser.goto(`${f.httpUrl}/forest`);
  assert.equal(await browser.eval('location.pathname'), '/login');
});
