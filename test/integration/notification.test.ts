// LDAP_SERVER_NOTIFICATION_OID with OpenLDAP's ldapsearch as the listening client: a change
// made by another client arrives on the open search; a slow listener does not hold up writers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Client, Change, Attribute } from 'ldapts';
import { startForestd, type RunningForestd } from '../helpers/forestd.js';

let f: RunningForestd;
before(async () => {
  f = await startForestd();
});
after(async () => {
  await f?.stop();
});

test('notification search: ldapsearch receives the changes another client commits', { timeout: 60_000 }, async () => {
  const c = new Client({ url: f.url });
  await c.bind(f.adminDN, f.adminPassword);
  const ou = `OU=Watched,${f.baseDN}`;
  await c.add(ou, { objectClass: 'organizationalUnit' });
  await c.add(`CN=w1,${ou}`, { objectClass: 'user', sAMAccountName: 'w1' });
  const ls = spawn('ldapsearch', ['-x', '-H', f.url, '-D', f.adminDN, '-w', f.adminPassword, '-b', ou, '-s', 'sub', '-LLL', '-E', '!1.2.840.113556.1.4.528', '(objectClass=*)', 'description'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  ls.stdout.on('data', (d) => (out += d));
  try {
    // give the search time to register, then change the object from another connection
    await new Promise((r) => setTimeout(r, 500));
    await c.modify(`CN=w1,${ou}`, new Change({ operation: 'replace', modification: new Attribute({ type: 'description', values: ['seen by the listener'] }) }));
    const deadline = Date.now() + 10_000;
    while (!/description: seen by the listener/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.match(out, /dn: CN=w1,OU=Watched,/);
    assert.match(out, /description: seen by the listener/);
    // writers keep completing while the listener is open
    for (let i = 0; i < 20; i++) await c.modify(`CN=w1,${ou}`, new Change({ operation: 'replace', modification: new Attribute({ type: 'description', values: [`v${i}`] }) }));
    const until = Date.now() + 10_000;
    while (!/description: v19/.test(out) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.match(out, /description: v19/);
    // a non-(objectClass=*) filter is refused as AD refuses it
    const bad = spawn('ldapsearch', ['-x', '-H', f.url, '-D', f.adminDN, '-w', f.adminPassword, '-b', ou, '-LLL', '-E', '!1.2.840.113556.1.4.528', '(cn=w1)'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const code = await new Promise<number | null>((r) => bad.on('exit', r));
    assert.equal(code, 53);
  } finally {
    ls.kill();
    await c.unbind();
  }
});
