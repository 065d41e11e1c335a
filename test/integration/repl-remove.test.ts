// Partner removal between two real forestd processes (DC1 provisioned, DC2 joined from it, both
// serving with --repl-port; notifications and the periodic pull an hour apart, so nothing runs
// unasked). `forestd repl remove` on DC2 (IDL_DRSReplicaDel, MS-DRSR 4.1.20) drops DC2's repsFrom
// value of one NC from DC1 and DC1's repsTo value of DC2 for that NC (IDL_DRSUpdateRefs
// DRS_DEL_REF), and only that NC's. Then DC2 is removed for good (stopped, its nTDSDSA object
// deleted on DC1 with ldapdelete): DC1 forgets its references to DC2, sends it no notification,
// and its KCC deletes the generated nTDSConnection from DC2 (MS-ADTS 6.2.2.4).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startForestd, runCli, run, type RunningForestd } from '../helpers/forestd.js';
import { tempDir } from '../helpers/tmp.js';
import { deadline } from '../helpers/replication.js';
import { skipUnless } from '../helpers/tools.js';

const PW = 'Adm1n-Passw0rd!';
const NOTIFY = 'forestd:repl:notify';
const DEPARTED = 'forestd:repl:departed';
const T = (ms: number) => ({ timeout: ms, ...skipUnless('ldapsearch', 'ldapmodify', 'ldapdelete') });
let tmp: ReturnType<typeof tempDir>;
let dc1: RunningForestd, dc2: RunningForestd | undefined;
let configDN: string;
let serversDN: string;

async function ldapsearch(f: RunningForestd, base: string, filter: string, attrs: string[] = ['1.1'], scope = 'sub'): Promise<string> {
  const r = await run('ldapsearch', ['-LLL', '-o', 'ldif-wrap=no', '-H', f.url, '-x', '-D', f.adminUPN, '-w', PW, '-s', scope, '-b', base, filter, ...attrs], undefined, undefined, { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}
/** The NC head's msDS-NCReplOutboundNeighbors / -InboundNeighbors (the DS_REPL_NEIGHBORW XML of repsTo / repsFrom). */
const neighbors = async (f: RunningForestd, nc: string, which: 'Outbound' | 'Inbound') =>
  [...(await ldapsearch(f, nc, '(objectClass=*)', [`msDS-NCRepl${which}Neighbors`], 'base')).matchAll(/^msDS-NCRepl\w+Neighbors(::?) (.*)$/gm)].map((m) => (m[1] === '::' ? Buffer.from(m[2]!, 'base64').toString('utf8') : m[2]!)).join('\n');
const dsaDN = (host: string) => `CN=NTDS Settings,CN=${host},${serversDN}`;

async function remove(f: RunningForestd, args: string[]): Promise<{ code: number | null; row: { nc: string; partner: string; result: number; resultHex: string } | undefined; stderr: string }> {
  const r = await runCli(['repl', 'remove', '--data', f.dir, '--json', ...args], { timeoutMs: 120_000 });
  return { code: r.code, row: r.stdout.trim() ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
}

before(async () => {
  if (skipUnless('ldapsearch', 'ldapmodify', 'ldapdelete').skip) return;
  process.env.FORESTD_REPL_PERIOD_MS = String(3_600_000);
  tmp = tempDir('forestd-replremove-');
  dc1 = await startForestd({ serveArgs: ['--repl-port', '0'], adminPassword: PW });
  configDN = `CN=Configuration,${dc1.baseDN}`;
  serversDN = `CN=Servers,CN=Default-First-Site-Name,CN=Sites,${configDN}`;
  // every NC's notification an hour after the change (MS-ADTS 3.1.1.5.1.6), so only what the test asks for runs
  const crossRefs = [...(await ldapsearch(dc1, `CN=Partitions,${configDN}`, '(objectClass=crossRef)', ['1.1'], 'one')).matchAll(/^dn: (.+)$/gm)].map((m) => m[1]!);
  for (const dn of crossRefs) {
    const r = await run('ldapmodify', ['-H', dc1.url, '-x', '-D', dc1.adminUPN, '-w', PW], `dn: ${dn}\nchangetype: modify\nreplace: msDS-Replication-Notify-First-DSA-Delay\nmsDS-Replication-Notify-First-DSA-Delay: 3600\n-\nreplace: msDS-Replication-Notify-Subsequent-DSA-Delay\nmsDS-Replication-Notify-Subsequent-DSA-Delay: 3600\n-\n`, undefined, { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
  }
  const data = join(tmp.dir, 'DC2');
  const j = await runCli(['join', '--data', data, '--source', dc1.url, '--admin-password', PW, '--hostname', 'DC2'], { timeoutMs: 240_000 });
  assert.equal(j.code, 0, j.stderr + j.stdout);
  dc2 = await startForestd({ data, serveArgs: ['--repl-port', '0'], adminPassword: PW });
  // DC2's first cycle from DC1 (the domain NC comes last), and DC1's from DC2 (DC2's nTDSDSA and connections)
  await Promise.race([dc2.hook('forestd:repl:applied', 1, (e) => String(e.nc).toLowerCase() === dc2!.baseDN.toLowerCase()), deadline(120_000, () => `DC2 did not replicate at start\n${dc2!.log().slice(-2000)}`)]);
  await Promise.race([dc1.hook('forestd:repl:applied', 1, (e) => e.partner === 'DC2$' && String(e.nc).toLowerCase() === configDN.toLowerCase()), deadline(120_000, () => `DC1 did not replicate from DC2\n${dc1.log().slice(-2000)}`)]);
  await Promise.race([dc2.hook('forestd:rid:pool', 1, (e) => e.ok === true), deadline(120_000, () => `DC2 got no RID pool\n${dc2!.log().slice(-2000)}`)]);
});
after(async () => {
  await dc2?.stop();
  await dc1?.stop();
  tmp?.cleanup();
});

test('repl remove: DC2 stops replicating the domain NC from DC1; both ends drop that NC\'s reference, the configuration NC keeps its own', T(300_000), async () => {
  // before (the negative control): DC1 notifies DC2 of both NCs, DC2 replicates both from DC1
  assert.match(await neighbors(dc1, dc1.baseDN, 'Outbound'), /CN=DC2,/);
  assert.match(await neighbors(dc1, configDN, 'Outbound'), /CN=DC2,/);
  assert.match(await neighbors(dc2!, dc1.baseDN, 'Inbound'), /CN=NTDS Settings,CN=/);
  const inbound = await neighbors(dc2!, dc1.baseDN, 'Inbound');
  const dc1Host = /CN=NTDS Settings,CN=([^,]+),/.exec(inbound)![1]!;
  // usage and lookup errors: exit 2 and 4
  assert.equal((await remove(dc2!, ['--nc', dc1.baseDN])).code, 2);
  assert.equal((await remove(dc2!, ['--nc', 'DC=nowhere,DC=test', '--from', dc1Host])).code, 4);
  assert.equal((await remove(dc2!, ['--nc', dc1.baseDN, '--from', 'NOSUCHDC'])).code, 4);
  const r = await remove(dc2!, ['--nc', dc1.baseDN, '--from', dc1Host]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.row!.result, 0);
  assert.equal(r.row!.nc.toLowerCase(), dc1.baseDN.toLowerCase());
  // after: the domain NC's references are gone on both DCs; the configuration NC's are not
  assert.doesNotMatch(await neighbors(dc1, dc1.baseDN, 'Outbound'), /CN=DC2,/);
  assert.doesNotMatch(await neighbors(dc2!, dc1.baseDN, 'Inbound'), new RegExp(`CN=${dc1Host},`));
  assert.match(await neighbors(dc1, configDN, 'Outbound'), /CN=DC2,/);
  assert.match(await neighbors(dc2!, configDN, 'Inbound'), new RegExp(`CN=${dc1Host},`));
  // nothing left to remove for that NC
  assert.equal((await remove(dc2!, ['--nc', dc1.baseDN, '--from', dc1Host])).code, 4);
});

test('a DC whose nTDSDSA object is deleted: its partner forgets its references, does not notify it, and deletes the connection from it', T(300_000), async () => {
  // the connections under DC1's nTDSDSA object and the DCs they replicate from
  const conns = async () =>
    (await ldapsearch(dc1, serversDN, '(objectClass=nTDSConnection)', ['fromServer']))
      .split(/\n\n+/)
      .filter((e) => /^dn: /m.test(e) && !/^dn: [^\n]*CN=DC2,/im.test(e))
      .map((e) => /^fromServer: (.+)$/im.exec(e)?.[1] ?? '');
  // before (the negative control): DC1's KCC replicates from DC2 over a generated connection
  assert.ok((await conns()).some((f) => /CN=DC2,/i.test(f)), 'a connection from DC2 under DC1');
  assert.match(await neighbors(dc1, configDN, 'Outbound'), /CN=DC2,/);
  await dc2!.stop({ keepData: false });
  dc2 = undefined;
  const told = dc1.hookCount(NOTIFY, (e) => e.partner === 'DC2$');
  const departed = dc1.hookCount(DEPARTED);
  // the administrator removes DC2 (its nTDSDSA object and the connections under it): an urgent update (MS-ADTS 3.1.1.5.1.7)
  const del = await run('ldapdelete', ['-r', '-H', dc1.url, '-x', '-D', dc1.adminUPN, '-w', PW, dsaDN('DC2')], undefined, undefined, { timeoutMs: 30_000 });
  assert.equal(del.code, 0, del.stderr);
  const ev = await Promise.race([dc1.hook(DEPARTED, departed + 1), deadline(120_000, () => `DC1 did not forget DC2\n${dc1.log().slice(-2000)}`)]);
  assert.ok(Number(ev.dropped) >= 1, JSON.stringify(ev));
  assert.equal(dc1.hookCount(NOTIFY, (e) => e.partner === 'DC2$'), told, 'DC1 told the departed DC nothing');
  assert.doesNotMatch(await neighbors(dc1, configDN, 'Outbound'), /CN=DC2,/);
  assert.deepEqual((await conns()).filter((f) => /DC2/i.test(f)), [], 'the generated connection from DC2 is deleted, not disabled');
});
