// LDAP_SERVER_NOTIFICATION_OID with OpenLDAP's ldapsearch as the listening client: a change
// made by another client arrives on the open search; a listener that reads nothing does not hold
// up writers. Registration and backpressure are waited on through forestd's test hooks
// (FORESTD_TEST_HOOKS, src/cli/serve.ts), never on time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import type { Readable } from 'node:stream';
import { Client, Change, Attribute } from 'ldapts';
import { startForestd, type RunningForestd } from '../helpers/forestd.js';
import { needTool } from '../helpers/tools.js';
import { encodeMessage } from '../../src/ldap/protocol/codec.js';
import { MessageFramer } from '../../src/ldap/protocol/framer.js';
import { decodeMessage } from '../../src/ldap/protocol/codec.js';
import { NOTIFICATION_OID } from '../../src/ldap/controls/notification.js';

let f: RunningForestd;
before(async () => {
  f = await startForestd();
});
after(async () => {
  await f?.stop();
});

/** Resolves once the text a stream has produced matches `re` (rejects if it ends first). */
function until(stream: Readable, re: RegExp, text: { out: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (re.test(text.out)) {
        stream.off('data', check);
        stream.off('end', ended);
        resolve();
      }
    };
    const ended = (): void => reject(new Error(`stream ended before ${re}: ${text.out}`));
    stream.on('data', check);
    stream.on('end', ended);
    check();
  });
}

const replace = (type: string, values: string[]) => new Change({ operation: 'replace', modification: new Attribute({ type, values }) });

test('notification search: ldapsearch receives the changes another client commits', async (t) => {
  if (!needTool(t, 'ldapsearch')) return;
  const c = new Client({ url: f.url });
  await c.bind(f.adminDN, f.adminPassword);
  const ou = `OU=Watched,${f.baseDN}`;
  await c.add(ou, { objectClass: 'organizationalUnit' });
  await c.add(`CN=w1,${ou}`, { objectClass: 'user', sAMAccountName: 'w1' });
  const registered = f.hook('forestd:dirsync:notify', 1, (e) => e['event'] === 'subscribe');
  const ls = spawn('ldapsearch', ['-x', '-H', f.url, '-D', f.adminDN, '-w', f.adminPassword, '-b', ou, '-s', 'sub', '-LLL', '-E', '!1.2.840.113556.1.4.528', '(objectClass=*)', 'description'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const text = { out: '' };
  ls.stdout.on('data', (d) => (text.out += d));
  try {
    await registered; // the search is listening: a change from now on must arrive
    await c.modify(`CN=w1,${ou}`, replace('description', ['seen by the listener']));
    await until(ls.stdout, /description: seen by the listener/, text);
    assert.match(text.out, /dn: CN=w1,OU=Watched,/);
    // writers keep completing while the listener is open, and it sees the last change
    for (let i = 0; i < 20; i++) await c.modify(`CN=w1,${ou}`, replace('description', [`v${i}`]));
    await until(ls.stdout, /description: v19/, text);
    assert.match(text.out, /description: v19/);
    // a non-(objectClass=*) filter is refused as AD refuses it
    const bad = spawn('ldapsearch', ['-x', '-H', f.url, '-D', f.adminDN, '-w', f.adminPassword, '-b', ou, '-LLL', '-E', '!1.2.840.113556.1.4.528', '(cn=w1)'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const code = await new Promise<number | null>((r) => bad.on('exit', r));
    assert.equal(code, 53);
  } finally {
    ls.kill();
    await c.unbind();
  }
});

test('a listener that reads nothing does not hold up writers (real forestd)', async () => {
  const c = new Client({ url: f.url });
  await c.bind(f.adminDN, f.adminPassword);
  const ou = `OU=Stalled,${f.baseDN}`;
  const dn = `CN=big,${ou}`;
  await c.add(ou, { objectClass: 'organizationalUnit' });
  await c.add(dn, { objectClass: 'user', sAMAccountName: 'stalledbig' });
  const isSubscribe = (e: Record<string, unknown>) => e['event'] === 'subscribe';
  const subscribed = f.hook('forestd:dirsync:notify', f.hookCount('forestd:dirsync:notify', isSubscribe) + 1, isSubscribe);
  const before = f.hookCount('forestd:ldap:backpressure');
  // the listener: a raw socket that binds, asks for notifications, then stops reading
  const s = net.connect({ host: '127.0.0.1', port: f.port });
  await new Promise<void>((r) => s.once('connect', r));
  const framer = new MessageFramer({ maxPduSize: 1 << 30 });
  const received: ReturnType<typeof decodeMessage>[] = [];
  const bound = new Promise<void>((resolve) => {
    s.on('data', (chunk: Buffer) => {
      for (const pdu of framer.push(chunk)) received.push(decodeMessage(Buffer.from(pdu)));
      if (received.some((m) => m.messageID === 1)) resolve();
    });
  });
  s.write(encodeMessage({ messageID: 1, protocolOp: { type: 'bindRequest', version: 3, name: f.adminDN, authentication: { method: 'simple', password: Buffer.from(f.adminPassword) } } }));
  await bound;
  s.write(encodeMessage({
    messageID: 2,
    protocolOp: { type: 'searchRequest', baseObject: ou, scope: 2, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: { type: 'present', attribute: 'objectClass' }, attributes: ['url'] },
    controls: [{ type: NOTIFICATION_OID, critical: true }],
  }));
  const session = (await subscribed)['session'];
  s.pause(); // reads nothing from now on
  try {
    // ~100 kB per notification: write until forestd reports that connection's socket full
    const full = f.hook('forestd:ldap:backpressure', before + 1);
    let sawFull = false;
    void full.then(() => (sawFull = true));
    let writes = 0;
    const big = (i: number) => Array.from({ length: 50 }, (_, k) => `https://example.com/${i}/${k}/${'x'.repeat(1900)}`);
    while (!sawFull) {
      assert.ok(writes < 2000, 'the listener never filled its socket');
      await c.modify(dn, replace('url', big(writes++)));
    }
    // the listener is stalled; writers are not: these all complete
    for (let i = 0; i < 50; i++) await c.modify(dn, replace('description', [`after ${i}`]));
    const r = await c.search(dn, { scope: 'base', attributes: ['description'] });
    assert.deepEqual(r.searchEntries[0]!['description'], 'after 49');
    // and the listener was still registered all along (never dropped for being slow)
    assert.equal(f.hookCount('forestd:dirsync:notify', (e) => e['event'] === 'unsubscribe' && e['session'] === session), 0);
  } finally {
    s.destroy();
    await c.unbind();
  }
});
