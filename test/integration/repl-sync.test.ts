// `forestd repl sync` and urgent replication between two real forestd processes: DC1
// provisioned, DC2 joined from it, both serving with --repl-port. Change notification is
// delayed by an hour on every NC (each crossRef's msDS-Replication-Notify-First-DSA-Delay and
// -Subsequent-DSA-Delay, MS-ADTS 3.1.1.5.1.6) and the periodic pull is an hour apart, so a
// write reaches the other DC only when something asks for it: `forestd repl sync` (IDL_DRSReplicaSync,
// MS-DRSR 4.1.23), or an urgent update (MS-ADTS 3.1.1.5.1.7: an account lockout), which skips
// the delays. The notifications a DC sends are observed through its test hook
// (`forestd:repl:notify`: partner, urgent, delay), never through wall time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startForestd, runCli, run, type RunningForestd } from '../helpers/forestd.js';
import { tempDir } from '../helpers/tmp.js';
import { deadline, untilReplicated } from '../helpers/replication.js';
import { skipUnless } from '../helpers/tools.js';

const PW = 'Adm1n-Passw0rd!';
const NOTIFY = 'forestd:repl:notify';
const T = (ms: number) => ({ timeout: ms, ...skipUnless('ldapsearch', 'ldapmodify', 'ldapadd', 'ldapwhoami') });
let tmp: ReturnType<typeof tempDir>;
let dc1: RunningForestd, dc2: RunningForestd;
let configDN: string;

async function ldapsearch(f: RunningForestd, base: string, filter: string, attrs: string[] = ['1.1'], scope = 'sub'): Promise<string> {
  const r = await run('ldapsearch', ['-LLL', '-o', 'ldif-wrap=no', '-H', f.url, '-x', '-D', f.adminUPN, '-w', PW, '-s', scope, '-b', base, filter, ...attrs], undefined, undefined, { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

async function ldapmodify(f: RunningForestd, ldif: string): Promise<void> {
  // StartTLS: unicodePwd needs an encrypted connection
  const r = await run('ldapmodify', ['-H', f.url, '-ZZ', '-x', '-D', f.adminUPN, '-w', PW], ldif, { LDAPTLS_REQCERT: 'never' }, { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
}

const has = async (f: RunningForestd, filter: string) => /^dn: /m.test(await ldapsearch(f, f.baseDN, filter));

async function sync(f: RunningForestd, args: string[]): Promise<{ code: number | null; rows: { nc: string; partner: string; result: number; resultHex: string; objects: number }[]; stderr: string }> {
  const r = await runCli(['repl', 'sync', '--data', f.dir, '--json', ...args], { timeoutMs: 120_000 });
  return { code: r.code, rows: r.stdout.trim() ? JSON.parse(r.stdout) : [], stderr: r.stderr };
}

before(async () => {
  // the periodic safety pull out of the way: only notifications and repl sync move data
  process.env.FORESTD_REPL_PERIOD_MS = String(3_600_000);
  tmp = tempDir('forestd-replsync-');
  dc1 = await startForestd({ serveArgs: ['--repl-port', '0'], adminPassword: PW });
  configDN = `CN=Configuration,${dc1.baseDN}`;
  // every NC's notification an hour after the change (a setting DC2 receives with the configuration NC)
  const crossRefs = [...(await ldapsearch(dc1, `CN=Partitions,${configDN}`, '(objectClass=crossRef)', ['1.1'], 'one')).matchAll(/^dn: (.+)$/gm)].map((m) => m[1]!);
  assert.ok(crossRefs.length >= 3, crossRefs.join('\n'));
  for (const dn of crossRefs) await ldapmodify(dc1, `dn: ${dn}\nchangetype: modify\nreplace: msDS-Replication-Notify-First-DSA-Delay\nmsDS-Replication-Notify-First-DSA-Delay: 3600\n-\nreplace: msDS-Replication-Notify-Subsequent-DSA-Delay\nmsDS-Replication-Notify-Subsequent-DSA-Delay: 3600\n-\n`);
  const data = join(tmp.dir, 'DC2');
  const j = await runCli(['join', '--data', data, '--source', dc1.url, '--admin-password', PW, '--hostname', 'DC2'], { timeoutMs: 240_000 });
  assert.equal(j.code, 0, j.stderr + j.stdout);
  dc2 = await startForestd({ data, serveArgs: ['--repl-port', '0'], adminPassword: PW });
  // DC2's first cycle from DC1 (at start) is over: the domain NC comes last
  await Promise.race([dc2.hook('forestd:repl:applied', 1, (e) => String(e.nc).toLowerCase() === dc2.baseDN.toLowerCase()), deadline(120_000, () => `DC2 did not replicate at start\n${dc2.log().slice(-2000)}`)]);
  // DC2's first RID pool from the RID Master (DC1): its update of RID Manager$ is urgent (MS-ADTS
  // 3.1.1.5.1.7) and replicates the domain NC to DC2 at once; settled here, so that the tests'
  // negative controls see only what they do
  await Promise.race([dc2.hook('forestd:rid:pool', 1, (e) => e.ok === true), deadline(120_000, () => `DC2 got no RID pool\n${dc2.log().slice(-2000)}`)]);
  const settle = await runCli(['repl', 'sync', '--data', dc2.dir], { timeoutMs: 120_000 });
  assert.equal(settle.code, 0, settle.stderr);
});
after(async () => {
  await dc2?.stop();
  await dc1?.stop();
  tmp?.cleanup();
});

test('repl sync: a write on DC1 is on DC2 when repl sync returns; without it (notification delayed), or with a sync of another NC, it is not', T(300_000), async () => {
  const add = await run('ldapadd', ['-H', dc1.url, '-x', '-D', dc1.adminUPN, '-w', PW], `dn: CN=Synced,CN=Users,${dc1.baseDN}\nobjectClass: user\nsAMAccountName: synced1\n`, undefined, { timeoutMs: 30_000 });
  assert.equal(add.code, 0, add.stderr);
  assert.ok(await has(dc1, '(sAMAccountName=synced1)'));
  // negative control: DC1 told nobody (an hour's delay), and DC2 does not have it
  assert.equal(dc1.hookCount(NOTIFY, (e) => e.partner === 'DC2$' && e.urgent === false), 0);
  assert.equal(await has(dc2, '(sAMAccountName=synced1)'), false);
  // a cycle of the configuration NC only: still not there
  const cfg = await sync(dc2, ['--nc', configDN]);
  assert.equal(cfg.code, 0, cfg.stderr);
  assert.deepEqual(cfg.rows.map((r) => [r.nc.toLowerCase(), r.result]), [[configDN.toLowerCase(), 0]]);
  assert.equal(await has(dc2, '(sAMAccountName=synced1)'), false);
  // the domain NC from DC1 (named by its server name): there as soon as the command returns
  const dom = await sync(dc2, ['--nc', dc2.baseDN, '--from', 'DC1']);
  assert.equal(dom.code, 0, dom.stderr);
  assert.equal(dom.rows.length, 1);
  assert.equal(dom.rows[0]!.result, 0);
  assert.ok(dom.rows[0]!.objects >= 1, JSON.stringify(dom.rows));
  assert.equal(await has(dc2, '(sAMAccountName=synced1)'), true);
  // every NC from every partner, as a table: nothing left to apply
  const all = await runCli(['repl', 'sync', '--data', dc2.dir], { timeoutMs: 120_000 });
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /^NC +partner +result +objects$/m);
  // schema, configuration, domain, DomainDnsZones, ForestDnsZones
  assert.equal([...all.stdout.matchAll(/ ok +\d+$/gm)].length, 5, all.stdout);
});

test('repsTo: DC2 registers in DC1\'s repsTo with its DRS address (IDL_DRSUpdateRefs), shown on the NC head and by repl show', T(180_000), async () => {
  const address = dc2.listeners['drs']!.replace(/^drs:\/\//, '');
  const domainHex = (await ldapsearch(dc1, dc1.baseDN, '(objectClass=*)', ['objectGUID'], 'base')).match(/^objectGUID:: (\S+)/m)![1]!;
  const nc = Buffer.from(domainHex, 'base64').toString('hex');
  // serve registered DC2's address (join registered it under its GUID-based name)
  await Promise.race([dc1.hook('forestd:repl:update-refs', 1, (e) => e.naDsa === address && e.nc === nc && e.result === 0), deadline(90_000, () => `DC2 did not register with DC1\n${dc1.log().slice(-2000)}`)]);
  const head = await ldapsearch(dc1, dc1.baseDN, '(objectClass=*)', ['msDS-NCReplOutboundNeighbors'], 'base');
  // the XML values have newlines: LDIF gives them in base64
  const out = [...head.matchAll(/^msDS-NCReplOutboundNeighbors:(:?) (.*)$/gm)].map((m) => (m[1] ? Buffer.from(m[2]!, 'base64').toString('utf8') : m[2]!));
  assert.equal(out.length, 1, head);
  assert.match(out[0]!, new RegExp(`<pszSourceDsaAddress>${address.replace(/\./g, '\\.')}</pszSourceDsaAddress>`));
  assert.match(out[0]!, /<pszSourceDsaDN>CN=NTDS Settings,CN=DC2,/i);
  const show = await runCli(['repl', 'show', '--data', dc1.dir, '--json'], { timeoutMs: 60_000 });
  const s = JSON.parse(show.stdout) as { ncs: { nc: string; outbound: { pszSourceDsaAddress: string }[] }[] };
  assert.deepEqual(s.ncs.find((x) => x.nc.toLowerCase() === dc1.baseDN.toLowerCase())!.outbound.map((n) => n.pszSourceDsaAddress), [address]);
  // negative control: DC2's own repsTo names DC1, not DC2
  const own = await ldapsearch(dc2, dc2.baseDN, '(objectClass=*)', ['msDS-NCReplOutboundNeighbors'], 'base');
  assert.doesNotMatch(own, new RegExp(address.replace(/\./g, '\\.')));
});

test('schema first: an attribute and a class new on DC1, and an object using them, reach DC2 by a repl sync of the domain NC; DC2 reads them without schemaUpdateNow', T(300_000), async () => {
  const S = `CN=Schema,${configDN}`;
  const add = (ldif: string) => run('ldapadd', ['-H', dc1.url, '-x', '-D', dc1.adminUPN, '-w', PW], ldif, undefined, { timeoutMs: 30_000 });
  let r = await add(`dn: CN=repl-Shoe-Size,${S}\nobjectClass: attributeSchema\nattributeID: 1.3.6.1.4.1.99999.8.1\nattributeSyntax: 2.5.5.9\noMSyntax: 2\nisSingleValued: TRUE\n\ndn: CN=repl-Walker,${S}\nobjectClass: classSchema\ngovernsID: 1.3.6.1.4.1.99999.8.2\nsubClassOf: top\nobjectClassCategory: 1\npossSuperiors: container\nmayContain: replShoeSize\n`);
  assert.equal(r.code, 0, r.stderr);
  r = await run('ldapmodify', ['-H', dc1.url, '-x', '-D', dc1.adminUPN, '-w', PW], `dn:\nchangetype: modify\nadd: schemaUpdateNow\nschemaUpdateNow: 1\n-\n`, undefined, { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  r = await add(`dn: CN=walker1,CN=Users,${dc1.baseDN}\nobjectClass: replWalker\nreplShoeSize: 44\n`);
  assert.equal(r.code, 0, r.stderr);
  // negative control: the object is not on DC2 yet (the domain NC's notification waits an hour)
  assert.equal(await has(dc2, '(cn=walker1)'), false);
  const dom = await sync(dc2, ['--nc', dc2.baseDN, '--from', 'DC1']);
  assert.equal(dom.code, 0, dom.stderr);
  // DC2 knows the attribute (its subschema lists it) and filters and returns it
  const agg = await ldapsearch(dc2, `CN=Aggregate,${S}`, '(objectClass=*)', ['attributeTypes', 'objectClasses'], 'base');
  assert.match(agg, /NAME 'replShoeSize'/);
  assert.match(agg, /NAME 'replWalker'/);
  const out = await ldapsearch(dc2, dc2.baseDN, '(replShoeSize>=40)', ['replShoeSize', 'objectClass']);
  assert.match(out, /^dn: CN=walker1,CN=Users,/m);
  assert.match(out, /^replShoeSize: 44$/m);
  assert.match(out, /^objectClass: replWalker$/m);
});

test('application NCs: DC2 joined with DomainDnsZones and ForestDnsZones, is in their replica locations, and they replicate both ways', T(300_000), async () => {
  const dns = `DC=DomainDnsZones,${dc1.baseDN}`;
  for (const nc of [dns, `DC=ForestDnsZones,${dc1.baseDN}`]) assert.match(await ldapsearch(dc2, nc, '(objectClass=*)', ['1.1'], 'base'), /^dn: DC=\w+DnsZones,/m, nc);
  const cr = await ldapsearch(dc2, `CN=Partitions,${configDN}`, `(nCName=${dns})`, ['msDS-NC-Replica-Locations'], 'one');
  assert.match(cr, /^msDS-NC-Replica-Locations: CN=NTDS Settings,CN=DC2,/im);
  assert.match(cr, /^msDS-NC-Replica-Locations: CN=NTDS Settings,CN=DC1,/im);
  // DC1 → DC2
  const add = (f: RunningForestd, cn: string) => run('ldapadd', ['-H', f.url, '-x', '-D', f.adminUPN, '-w', PW], `dn: CN=${cn},${dns}\nobjectClass: container\n`, undefined, { timeoutMs: 30_000 });
  const here = async (f: RunningForestd, cn: string) => /^dn: /m.test(await ldapsearch(f, dns, `(cn=${cn})`, ['1.1'], 'one'));
  assert.equal((await add(dc1, 'from-dc1')).code, 0);
  assert.equal(await here(dc2, 'from-dc1'), false, 'not before the sync (negative control)');
  const s2 = await sync(dc2, ['--nc', dns]);
  assert.equal(s2.code, 0, s2.stderr);
  assert.deepEqual(s2.rows.map((r) => [r.partner, r.result]), [['DC1', 0]]);
  assert.equal(await here(dc2, 'from-dc1'), true);
  // DC2 → DC1: DC1 learns from DC2's configuration NC that DC2 holds it, then pulls it from DC2
  assert.equal((await sync(dc1, ['--nc', configDN, '--from', 'DC2'])).code, 0);
  assert.equal((await add(dc2, 'from-dc2')).code, 0);
  assert.equal(await here(dc1, 'from-dc2'), false, 'not before the sync (negative control)');
  const s1 = await sync(dc1, ['--nc', dns, '--from', 'DC2']);
  assert.equal(s1.code, 0, s1.stderr);
  assert.deepEqual(s1.rows.map((r) => [r.partner, r.result]), [['DC2', 0]]);
  assert.equal(await here(dc1, 'from-dc2'), true);
});

test('repl sync: exit 4 for an NC or a partner the DC does not have, 2 without --data, 3 when the DC does not serve', T(180_000), async () => {
  const nc = await sync(dc2, ['--nc', 'DC=nowhere,DC=test']);
  assert.equal(nc.code, 4, nc.stderr);
  const from = await sync(dc2, ['--from', 'DC9']);
  assert.equal(from.code, 4, from.stderr);
  const noData = await runCli(['repl', 'sync'], { timeoutMs: 60_000 });
  assert.equal(noData.code, 2, noData.stderr);
  // a provisioned directory nobody serves: no DRS listener to ask
  const idle = join(tmp.dir, 'idle');
  const p = await runCli(['provision', '--data', idle, '--realm', 'idle.test', '--netbios', 'IDLE', '--admin-password', PW], { timeoutMs: 120_000 });
  assert.equal(p.code, 0, p.stderr);
  const r = await runCli(['repl', 'sync', '--data', idle], { timeoutMs: 60_000 });
  assert.equal(r.code, 3, r.stderr);
  // negative control: the served DC answers 0
  assert.equal((await sync(dc2, ['--from', 'DC1'])).code, 0);
});

test('urgent replication: a lockout on DC1 is sent to DC2 at once (urgent, no delay); an ordinary change waits for the notification delay', T(300_000), async () => {
  const user = `CN=Locky,CN=Users,${dc1.baseDN}`;
  await ldapmodify(dc1, `dn: ${user}\nchangetype: add\nobjectClass: user\nsAMAccountName: locky\nunicodePwd:: ${Buffer.from('"L0cky-Passw0rd!"', 'utf16le').toString('base64')}\nuserAccountControl: 512\n`);
  await ldapmodify(dc1, `dn: ${dc1.baseDN}\nchangetype: modify\nreplace: lockoutThreshold\nlockoutThreshold: 2\n-\n`);
  // DC2 holds the user and the policy (a sync), then an ordinary change on DC1
  assert.equal((await sync(dc2, ['--nc', dc2.baseDN])).code, 0);
  await ldapmodify(dc1, `dn: ${user}\nchangetype: modify\nreplace: description\ndescription: ordinary\n-\n`);
  // negative control: ordinary changes are not sent (the hour's delay)
  assert.equal(dc1.hookCount(NOTIFY, (e) => e.partner === 'DC2$' && e.urgent === false), 0);
  const urgent = (e: Record<string, unknown>) => e.partner === 'DC2$' && e.urgent === true;
  const before = dc1.hookCount(NOTIFY, urgent);
  const applied = dc2.hookCount('forestd:repl:applied');
  for (const pw of ['wrong-1', 'wrong-2']) {
    const r = await run('ldapwhoami', ['-H', dc1.url, '-x', '-D', `${dc1.netbios}\\locky`, '-w', pw], undefined, undefined, { timeoutMs: 30_000 });
    assert.equal(r.code, 49, r.stderr);
  }
  // the lockout: DC1 tells DC2 urgently, without delay
  const told = await Promise.race([dc1.hook(NOTIFY, before + 1, urgent), deadline(90_000, () => `DC1 sent no urgent notification to DC2\n${dc1.log().slice(-2000)}`)]);
  assert.equal(told.urgent, true);
  assert.equal(told.delayMs, 0);
  // and DC2 pulls it: lockoutTime set there, the ordinary change came along
  const out = await untilReplicated(dc2, async () => {
    const o = await ldapsearch(dc2, user, '(objectClass=*)', ['lockoutTime', 'description'], 'base');
    return /^lockoutTime: [1-9]/m.test(o) ? o : undefined;
  }, 'the lockout on DC2');
  assert.match(out, /^description: ordinary$/m);
  // it came by a replication cycle of DC2's (the hook line is printed after the cycle's commit,
  // which a reader may see first: wait for it rather than count)
  const cycle = await Promise.race([dc2.hook('forestd:repl:applied', applied + 1), deadline(90_000, () => `DC2 applied no cycle\n${dc2.log().slice(-2000)}`)]);
  assert.ok(cycle);
});
