// Three real forestd processes on loopback: DC1 provisioned, DC2 and DC3 joined from it with
// `forestd join`, all three serving with --repl-port. A user added on DC3 over LDAP is found with
// ldapsearch on DC1 and DC2 (notification-driven pulls, MS-ADTS 3.1.1.5.1.6); a DirSync cookie
// of DC1 continues on DC2 (python3-ldap3); `forestd repl show` lists the partners.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startForestd, runCli, run, PYTHON, type RunningForestd } from '../helpers/forestd.js';
import { tempDir } from '../helpers/tmp.js';
import { untilReplicated } from '../helpers/replication.js';
import { findPackageRoot } from '../../src/schema/bootstrap.js';

const dirsyncScript = join(findPackageRoot(), 'test/integration/py/dirsync_client.py');
const PW = 'Adm1n-Passw0rd!';
const dcs: RunningForestd[] = [];
let tmp: ReturnType<typeof tempDir>;
let dc1: RunningForestd, dc2: RunningForestd, dc3: RunningForestd;

async function join_(name: string): Promise<RunningForestd> {
  const data = join(tmp.dir, name);
  const r = await runCli(['join', '--data', data, '--source', dc1.url, '--admin-password', PW, '--hostname', name], { timeoutMs: 240_000 });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const f = await startForestd({ data, serveArgs: ['--repl-port', '0'], adminPassword: PW });
  dcs.push(f);
  return f;
}

async function ldapsearch(f: RunningForestd, filter: string, attrs: string[] = ['1.1']): Promise<string> {
  const r = await run('ldapsearch', ['-LLL', '-H', f.url, '-x', '-D', f.adminUPN, '-w', PW, '-b', f.baseDN, filter, ...attrs], undefined, undefined, { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}


/** Searches with ldapsearch until `filter` matches on `f`. */
function waitFor(f: RunningForestd, filter: string): Promise<string> {
  return untilReplicated(f, async () => {
    const out = await ldapsearch(f, filter, ['objectSid', 'objectGUID']);
    return /^dn: /m.test(out) ? out : undefined;
  }, filter);
}

async function dirsync(f: RunningForestd, cookie: string): Promise<{ entries: { dn: string }[]; cookie: string }> {
  const r = await run(PYTHON, [dirsyncScript, f.url, f.baseDN, f.adminDN, PW, cookie, '0', '0'], undefined, undefined, { timeoutMs: 200_000 });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { entries: { dn: string }[]; cookie: string };
}

before(async () => {
  tmp = tempDir('forestd-join-');
  dc1 = await startForestd({ serveArgs: ['--repl-port', '0'], adminPassword: PW });
  dcs.push(dc1);
  dc2 = await join_('DC2');
  dc3 = await join_('DC3');
});
after(async () => {
  for (const f of dcs.reverse()) await f.stop();
  tmp?.cleanup();
});

test('a user added on DC3 is found on DC1 and DC2; a DirSync cookie of DC1 continues on DC2', { timeout: 300_000 }, async () => {
  // DirSync on DC1 from nothing: the whole domain NC
  const full = await dirsync(dc1, '');
  assert.ok(full.entries.length > 50, `${full.entries.length} entries`);
  // negative control: nobody has the user yet
  for (const f of [dc1, dc2, dc3]) assert.doesNotMatch(await ldapsearch(f, '(sAMAccountName=carol3)'), /^dn: /m);
  const add = await run('ldapadd', ['-H', dc3.url, '-x', '-D', dc3.adminUPN, '-w', PW], `dn: CN=Carol,CN=Users,${dc3.baseDN}\nobjectClass: user\nsAMAccountName: carol3\ndescription: from DC3\n`, undefined, { timeoutMs: 30_000 });
  assert.equal(add.code, 0, add.stderr);
  const on3 = await ldapsearch(dc3, '(sAMAccountName=carol3)', ['objectGUID']);
  const on1 = await waitFor(dc1, '(sAMAccountName=carol3)');
  const on2 = await waitFor(dc2, '(sAMAccountName=carol3)');
  // the same object (objectGUID) everywhere
  const guid = (s: string) => /^objectGUID:: (\S+)/m.exec(s)?.[1];
  assert.ok(guid(on3));
  assert.equal(guid(on1), guid(on3));
  assert.equal(guid(on2), guid(on3));
  // RIDs: DC3 hands out RIDs of its own block, which no object DC1 made has: the SID is unique
  // on DC1 (negative control: with the provisioned DC's counter, the first RID would be a
  // RID DC1 gave already, to the computer account of DC2)
  const add1 = await run('ldapadd', ['-H', dc1.url, '-x', '-D', dc1.adminUPN, '-w', PW], `dn: CN=Dave,CN=Users,${dc1.baseDN}\nobjectClass: user\nsAMAccountName: dave1\n`, undefined, { timeoutMs: 30_000 });
  assert.equal(add1.code, 0, add1.stderr);
  const sidOf = (out: string) => Buffer.from(/^objectSid:: (\S+)/m.exec(out)![1]!, 'base64');
  const escaped = (b: Buffer) => [...b].map((x) => `\\${x.toString(16).padStart(2, '0')}`).join('');
  for (const who of [on1, await ldapsearch(dc1, '(sAMAccountName=dave1)', ['objectSid'])]) {
    const same = await ldapsearch(dc1, `(objectSid=${escaped(sidOf(who))})`);
    assert.equal([...same.matchAll(/^dn: /gm)].length, 1, same);
  }
  // the cookie DC1 gave continues on DC2: the new user, not the whole NC again
  const more = await dirsync(dc2, full.cookie);
  assert.ok(more.entries.some((e) => /CN=Carol,CN=Users/i.test(e.dn)), JSON.stringify(more.entries.map((e) => e.dn)));
  assert.ok(more.entries.length < full.entries.length / 2, `${more.entries.length} entries after the cookie, ${full.entries.length} in the full sync`);
});

test('forestd repl show lists the partners', { timeout: 120_000 }, async () => {
  // DC1 pulls from DC2 and DC3 once each has told it about itself (serve notifies at start)
  await waitFor(dc1, '(sAMAccountName=DC3$)');
  let partners: string[] = [];
  await untilReplicated(dc1, async () => {
    const r = await runCli(['repl', 'show', '--data', dc1.dir, '--json'], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { ncs: { nc: string; inbound: { pszSourceDsaDN: string }[] }[] };
    const domain = s.ncs.find((n) => n.nc.toLowerCase() === dc1.baseDN.toLowerCase());
    partners = (domain?.inbound ?? []).map((n) => n.pszSourceDsaDN);
    return partners.some((p) => /CN=DC2,/i.test(p)) && partners.some((p) => /CN=DC3,/i.test(p)) ? true : undefined;
  }, "DC1's partners DC2 and DC3 in repl show");
  // DC2 and DC3 replicate directly (the intra-site ring, MS-ADTS 6.2.2.2: with three DCs every
  // DC has both others), not through DC1 where both joined: DC2 pulls from DC3 once DC3's
  // nTDSDSA object (with its DRS address) has reached it
  await waitFor(dc2, '(sAMAccountName=DC3$)');
  const p2 = await untilReplicated(dc2, async () => {
    const r2 = await runCli(['repl', 'show', '--data', dc2.dir, '--json'], { timeoutMs: 60_000 });
    assert.equal(r2.code, 0, r2.stderr);
    const s2 = JSON.parse(r2.stdout) as { partners: { dsaDN: string; inbound: boolean; outbound: boolean }[]; ncs: { nc: string; inbound: { pszSourceDsaDN: string }[] }[] };
    const inbound = s2.ncs.find((n) => n.nc.toLowerCase() === dc1.baseDN.toLowerCase())?.inbound.map((n) => n.pszSourceDsaDN) ?? [];
    const dc3Partner = s2.partners.find((p) => /CN=DC3,/i.test(p.dsaDN));
    return inbound.some((p) => /CN=DC3,/i.test(p)) && dc3Partner?.inbound && dc3Partner.outbound ? inbound : undefined;
  }, 'DC2 replicating from DC3 directly');
  assert.ok(p2.some((p) => /CN=DC1,/i.test(p)), JSON.stringify(p2));
  // the KCC's output in the configuration NC (MS-ADTS 6.1.1.2.2.1.2.1.2): under each DC's nTDSDSA
  // an nTDSConnection from each of the two others (each DC writes its own; they replicate), and
  // none from the DC itself
  const conns = await untilReplicated(dc2, async () => {
    const r = await run('ldapsearch', ['-LLL', '-o', 'ldif-wrap=no', '-H', dc2.url, '-x', '-D', dc2.adminUPN, '-w', PW, '-b', `CN=Sites,CN=Configuration,${dc1.baseDN}`, '(objectClass=nTDSConnection)', 'fromServer', 'enabledConnection'], undefined, undefined, { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    const found = r.stdout.split(/\n\n+/).filter((e) => /^dn: /m.test(e)).map((e) => ({ to: /^dn: CN=[^,]+,CN=NTDS Settings,CN=([^,]+),/im.exec(e)?.[1], from: /^fromServer: CN=NTDS Settings,CN=([^,]+),/im.exec(e)?.[1], enabled: /^enabledConnection: TRUE$/m.test(e) }));
    return found.length >= 6 ? found : undefined;
  }, 'six nTDSConnection objects on DC2');
  for (const dc of ['DC1', 'DC2', 'DC3']) {
    assert.deepEqual(conns.filter((c) => c.to === dc && c.enabled).map((c) => c.from).sort(), ['DC1', 'DC2', 'DC3'].filter((x) => x !== dc), JSON.stringify(conns));
  }
});
