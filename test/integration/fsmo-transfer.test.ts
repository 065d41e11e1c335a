// FSMO roles across real forestd DCs (DC1 provisioned, DC2 and DC3 joined from it, all serving with
// --repl-port): single-master updates on the DC that is not the role owner are referred to the
// owner (MS-ADTS 3.1.1.5.1.8), `forestd fsmo transfer ROLE` against DC2 moves a role there
// (rootDSE becomeXxx, 3.1.1.3.3; DC2 asks DC1 with EXOP_FSMO_*_ROLE, MS-DRSR 4.1.10.5.12), the
// old owner then refers, a user without the control access right gets 50 / 00002098, and with
// DC1 stopped a transfer fails with AD's 52 / 000020AF while `forestd fsmo seize` takes the role.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startForestd, runCli, run, PYTHON, type RunningForestd } from '../helpers/forestd.js';
import { cli, connArgs, adminEnv, ldapsearch } from '../helpers/admin-cli.js';
import { tempDir } from '../helpers/tmp.js';
import { untilReplicated } from '../helpers/replication.js';
import { needTool, skipUnless } from '../helpers/tools.js';
import { ldapToolError, parseDiagnostic } from '../helpers/ad-errors.js';

const PW = 'Adm1n-Passw0rd!';
const USER_PW = 'Us3r-Passw0rd!x9';
let tmp: ReturnType<typeof tempDir>;
let dc1: RunningForestd | undefined;
let dc2: RunningForestd | undefined;
let dc3: RunningForestd | undefined;

/** MS-ADTS 3.1.1.5.1.8 / 3.1.1.1.11: the referral to the role owner (ERROR_DS_REFERRAL in AD's RefErr text). */
const REFERRAL = { ldap: 10, win32: 0x202b, spec: 'MS-ADTS 3.1.1.5.1.8 updates performed only on FSMOs / ERROR_DS_REFERRAL' };
/** The role owner cannot be contacted: unavailable / ERROR_DS_COULDNT_CONTACT_FSMO, problem 5002 (Microsoft KB 2001165, ntdsutil's transfer). */
const COULDNT_CONTACT = { ldap: 52, win32: 0x20af, problem: 5002, spec: 'MS-ADTS 3.1.1.3.3 becomeXxx with the owner unreachable / ERROR_DS_COULDNT_CONTACT_FSMO' };
/** MS-ADTS 3.1.1.3.3.5: the requester lacks Change-Rid-Master. */
const INSUFF = { ldap: 50, win32: 0x2098, problem: 4003, spec: 'MS-ADTS 3.1.1.3.3.5 becomeRidMaster without Change-Rid-Master / ERROR_DS_INSUFF_ACCESS_RIGHTS' };

before(async () => {
  tmp = tempDir('forestd-fsmo-');
  dc1 = await startForestd({ serveArgs: ['--repl-port', '0'], adminPassword: PW });
  const joined = async (name: string) => {
    const data = join(tmp.dir, name);
    const r = await runCli(['join', '--data', data, '--source', dc1!.url, '--admin-password', PW, '--hostname', name], { timeoutMs: 240_000 });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    return startForestd({ data, serveArgs: ['--repl-port', '0'], adminPassword: PW });
  };
  dc2 = await joined('DC2');
  // DC3 replicates from DC1 only: DC2 is no partner of it
  dc3 = await joined('DC3');
});
after(async () => {
  await dc3?.stop();
  await dc2?.stop();
  await dc1?.stop();
  tmp?.cleanup();
});

const admin = (f: RunningForestd, args: string[], env: Record<string, string> = {}) => cli([...args, ...connArgs(f)], adminEnv(f, env), 120_000);

/** ldapmodify / ldapadd as `dn` with `pw` (Debian's ldap-utils); never chases referrals. */
const ldif = (tool: 'ldapmodify' | 'ldapadd', f: RunningForestd, text: string, dn = f.adminUPN, pw = PW) => run(`/usr/bin/${tool}`, ['-H', f.url, '-x', '-D', dn, '-w', pw], text, undefined, { timeoutMs: 60_000 });

/** The referral URLs ldapmodify prints for a result 10. */
const referrals = (stderr: string) => [...stderr.matchAll(/^\s+(ldap:\/\/\S+)$/gm)].map((m) => m[1]!);

function expectReferral(r: { code: number | null; stderr: string }, toHost: RegExp): void {
  assert.equal(r.code, REFERRAL.ldap, `${REFERRAL.spec}: ${r.stderr}`);
  assert.match(r.stderr, /Referral \(10\)/);
  assert.equal(parseDiagnostic(ldapToolError(r).diagnostic).win32, REFERRAL.win32, r.stderr);
  const urls = referrals(r.stderr);
  assert.ok(urls.length === 1 && toHost.test(urls[0]!), `${REFERRAL.spec}: referral ${JSON.stringify(urls)} in ${r.stderr}`);
}

const ownerOf = async (f: RunningForestd, dn: string) => (await ldapsearch(f, dn, '(objectClass=*)', ['fSMORoleOwner']))[0]!.attrs.fSMORoleOwner![0]!;
const dsaOf = async (f: RunningForestd) => (await ldapsearch(f, '', '(objectClass=*)', ['dsServiceName']))[0]!.attrs.dsServiceName![0]!;

/** MS-DTYP 2.4.2.1: a binary SID as S-1-… */
function sidString(b: Buffer): string {
  const auth = b.readUIntBE(2, 6);
  const subs = Array.from({ length: b[1]! }, (_, i) => b.readUInt32LE(8 + 4 * i));
  return `S-${b[0]}-${auth}${subs.map((x) => `-${x}`).join('')}`;
}

let k = 0;
/** LDIF adding a new attributeSchema object (a schema NC write: the Schema Master's). */
const newAttribute = (f: RunningForestd) => {
  const n = `${process.pid % 1000}${++k}`;
  return `dn: CN=fsmo-Attr-${n},CN=Schema,CN=Configuration,${f.baseDN}\nobjectClass: attributeSchema\nattributeID: 1.3.6.1.4.1.99999.10.4.${n}\nattributeSyntax: 2.5.5.12\noMSyntax: 64\nisSingleValued: TRUE\n`;
};
/** LDIF adding a crossRef in the Partitions container (the Domain Naming Master's). */
const newCrossRef = (f: RunningForestd) => {
  const n = `${process.pid % 1000}${++k}`;
  return `dn: CN=fsmo-Ref-${n},CN=Partitions,CN=Configuration,${f.baseDN}\nobjectClass: crossRef\nnCName: DC=app${n},${f.baseDN}\ndnsRoot: app${n}.${f.realm}\n`;
};

test('single-master updates are referred to the role owner; fsmo transfer moves the schema, RID, naming and infrastructure roles to DC2 (and the PDC role there and back); the old owner then refers; seize works with the owner gone', { timeout: 900_000, ...skipUnless('ldapsearch', 'ldapmodify', 'ldapadd') }, async (t) => {
  if (!needTool(t, PYTHON)) return;
  const a = dc1!;
  const b = dc2!;
  const schemaDN = `CN=Schema,CN=Configuration,${a.baseDN}`;
  const ridDN = `CN=RID Manager$,CN=System,${a.baseDN}`;
  const dsa1 = await dsaOf(a);
  const dsa2 = await dsaOf(b);
  assert.notEqual(dsa1, dsa2);
  assert.equal(await ownerOf(b, schemaDN), dsa1);

  // 1. DC2 is no owner: a schema write and a crossRef add are referred to DC1 (ldap://<DC1's dNSHostName>/<DN>)
  const dc1Host = /^CN=NTDS Settings,CN=([^,]+),/i.exec(dsa1)![1]!.toLowerCase();
  const toDc1 = new RegExp(`^ldap://${dc1Host}\\.${a.realm.replace(/\./g, '\\.')}/CN=fsmo-`, 'i');
  expectReferral(await ldif('ldapadd', b, newAttribute(b)), toDc1);
  expectReferral(await ldif('ldapadd', b, newCrossRef(b)), toDc1);
  // python3-ldap3 sees the same: result 'referral' with the owner's URL
  const py = await run(PYTHON, ['-c', `
import sys, json, ldap3
c = ldap3.Connection(ldap3.Server(sys.argv[1]), user=sys.argv[2], password=sys.argv[3], auto_bind=True, auto_referrals=False)
c.modify(sys.argv[4], {'adminDescription': [(ldap3.MODIFY_REPLACE, ['x'])]})
print(json.dumps({'result': c.result['description'], 'code': c.result['result'], 'referrals': c.result['referrals']}))
`, b.url, b.adminUPN, PW, `CN=Description,${schemaDN}`], undefined, undefined, { timeoutMs: 60_000 });
  assert.equal(py.code, 0, py.stderr);
  const pj = JSON.parse(py.stdout.trim()) as { result: string; code: number; referrals: string[] };
  assert.equal(pj.result, 'referral');
  assert.equal(pj.code, 10);
  assert.match(pj.referrals[0]!, new RegExp(`^ldap://${dc1Host}\\.`, 'i'));
  // negative control: the owner accepts the same writes
  const onOwner = await ldif('ldapadd', a, newAttribute(a));
  assert.equal(onOwner.code, 0, onOwner.stderr);
  const refOnOwner = await ldif('ldapadd', a, newCrossRef(a));
  assert.notEqual(refOnOwner.code, 10, refOnOwner.stderr);

  // 2. transfer the schema and RID roles to DC2 (the CLI against DC2: rootDSE becomeSchemaMaster, becomeRidMaster)
  const partitionsDN = `CN=Partitions,CN=Configuration,${a.baseDN}`;
  const infraDN = `CN=Infrastructure,${a.baseDN}`;
  for (const [role, dn] of [['schema', schemaDN], ['rid', ridDN], ['naming', partitionsDN], ['infrastructure', infraDN]] as const) {
    const tr = await admin(b, ['fsmo', 'transfer', role, '--json']);
    assert.equal(tr.code, 0, tr.stderr + tr.stdout);
    assert.equal(JSON.parse(tr.stdout).owner, dsa2);
    assert.equal(await ownerOf(b, dn), dsa2, `${role} owner on DC2 at once`);
    // DC1 made the change itself (the owner's originating update), and shows it
    await untilReplicated(a, async () => ((await ownerOf(a, dn)) === dsa2 ? true : undefined), `${role} owner DC2 seen on DC1`);
  }
  const show1 = await admin(a, ['fsmo', 'show', '--json']);
  assert.equal(show1.code, 0, show1.stderr);
  const rows = JSON.parse(show1.stdout) as { role: string; owner: string }[];
  assert.deepEqual(Object.fromEntries(rows.map((r) => [r.role, r.owner === dsa2 ? 'DC2' : 'DC1'])), { schema: 'DC2', 'domain naming': 'DC2', PDC: 'DC1', RID: 'DC2', infrastructure: 'DC2' });

  // 2b. DC3 learns that DC2 owns the infrastructure role (from DC1), and takes it from DC2, which is no partner of
  // it: DC2's DRS address (its nTDSDSA's networkAddress) and machine account (serverReference) come from the directory
  const c = dc3!;
  const dsa3 = await dsaOf(c);
  await untilReplicated(c, async () => ((await ownerOf(c, infraDN)) === dsa2 ? true : undefined), 'infrastructure owner DC2 seen on DC3');
  const tr3 = await admin(c, ['fsmo', 'transfer', 'infrastructure', '--json']);
  assert.equal(tr3.code, 0, tr3.stderr + tr3.stdout);
  assert.equal(await ownerOf(c, infraDN), dsa3);
  assert.equal(await ownerOf(b, infraDN), dsa3, 'DC2 wrote the new owner itself');

  // 3. now DC1 refers schema writes to DC2, and DC2 takes them
  const dc2Host = /^CN=NTDS Settings,CN=([^,]+),/i.exec(dsa2)![1]!.toLowerCase();
  expectReferral(await ldif('ldapadd', a, newAttribute(a)), new RegExp(`^ldap://${dc2Host}\\.`, 'i'));
  expectReferral(await ldif('ldapadd', a, newCrossRef(a)), new RegExp(`^ldap://${dc2Host}\\.`, 'i'));
  const onNew = await ldif('ldapadd', b, newAttribute(b));
  assert.equal(onNew.code, 0, onNew.stderr);

  // 4. a user without Change-Rid-Master: 50 / 00002098 on becomeRidMaster; Administrator moves the role back
  const user = `fsmouser${process.pid % 1000}`;
  const added = await admin(a, ['user', 'add', user, '--json'], { FORESTD_NEW_PASSWORD: USER_PW });
  assert.equal(added.code, 0, added.stderr);
  const userDN = JSON.parse(added.stdout).dn as string;
  const denied = await ldif('ldapmodify', a, 'dn:\nchangetype: modify\nadd: becomeRidMaster\nbecomeRidMaster: 1\n-\n', userDN, USER_PW);
  const e = ldapToolError(denied);
  const d = parseDiagnostic(e.diagnostic);
  assert.deepEqual({ ldap: e.code, win32: d.win32, problem: d.problem }, { ldap: INSUFF.ldap, win32: INSUFF.win32, problem: INSUFF.problem }, `${INSUFF.spec}: ${denied.stderr}`);
  assert.equal(await ownerOf(a, ridDN), dsa2, 'the refused transfer moved nothing');
  // MS-ADTS 3.1.1.5.3.1.2: with the write right on RID Manager$ (negative control: adminDescription is written),
  // a write of fSMORoleOwner still needs Change-Rid-Master
  const sidRaw = await run('/usr/bin/ldapsearch', ['-LLL', '-H', a.url, '-x', '-D', a.adminUPN, '-w', PW, '-b', userDN, '-s', 'base', '(objectClass=*)', 'objectSid'], undefined, undefined, { timeoutMs: 30_000 });
  const sid = sidString(Buffer.from(/^objectSid:: (\S+)/m.exec(sidRaw.stdout)![1]!, 'base64'));
  const ace = await admin(a, ['dsacl', 'add', ridDN, '--sddl', `(A;;WP;;;${sid})`]);
  assert.equal(ace.code, 0, ace.stderr);
  const wrote = await ldif('ldapmodify', a, `dn: ${ridDN}\nchangetype: modify\nreplace: adminDescription\nadminDescription: delegated\n-\n`, userDN, USER_PW);
  assert.equal(wrote.code, 0, wrote.stderr);
  const owned = await ldif('ldapmodify', a, `dn: ${ridDN}\nchangetype: modify\nreplace: fSMORoleOwner\nfSMORoleOwner: ${dsa1}\n-\n`, userDN, USER_PW);
  const oe = ldapToolError(owned);
  const od = parseDiagnostic(oe.diagnostic);
  assert.deepEqual({ ldap: oe.code, win32: od.win32, problem: od.problem }, { ldap: INSUFF.ldap, win32: INSUFF.win32, problem: INSUFF.problem }, `MS-ADTS 3.1.1.5.3.1.2: ${owned.stderr}`);
  const back = await ldif('ldapmodify', a, 'dn:\nchangetype: modify\nadd: becomeRidMaster\nbecomeRidMaster: 1\n-\n');
  assert.equal(back.code, 0, back.stderr);
  assert.equal(await ownerOf(a, ridDN), dsa1);
  await untilReplicated(b, async () => ((await ownerOf(b, ridDN)) === dsa1 ? true : undefined), 'RID owner DC1 again seen on DC2');

  // 4b. the PDC role over DRS (rootDSE becomePdc with the domain's SID, EXOP_FSMO_REQ_PDC, MS-ADTS
  // 3.1.1.3.3.3): to DC2 and back to DC1; each owner wrote the new owner itself and the other sees it
  for (const [to, from, dsa, name] of [[b, a, dsa2, 'DC2'], [a, b, dsa1, 'DC1']] as const) {
    const pdc = await admin(to, ['fsmo', 'transfer', 'pdc', '--json']);
    assert.equal(pdc.code, 0, pdc.stderr + pdc.stdout);
    assert.equal(JSON.parse(pdc.stdout).owner, dsa);
    assert.equal(await ownerOf(to, to.baseDN), dsa, `PDC owner ${name} on ${name} at once`);
    await untilReplicated(from, async () => ((await ownerOf(from, from.baseDN)) === dsa ? true : undefined), `PDC owner ${name} seen on the old owner`);
  }

  // 5. DC1 stops for good: a transfer to DC2 cannot reach it (52 / 000020AF), a seizure takes the role
  await a.stop();
  dc1 = undefined;
  const tr = await admin(b, ['fsmo', 'transfer', 'pdc']);
  assert.equal(tr.code, 1, tr.stderr);
  const m = /LDAP result (\d+): ([0-9A-F]{8}): .*problem (\d{4})/.exec(tr.stderr);
  assert.ok(m, tr.stderr);
  assert.deepEqual({ ldap: Number(m[1]), win32: parseInt(m[2]!, 16), problem: Number(m[3]) }, { ldap: COULDNT_CONTACT.ldap, win32: COULDNT_CONTACT.win32, problem: COULDNT_CONTACT.problem }, COULDNT_CONTACT.spec);
  assert.equal(await ownerOf(b, b.baseDN), dsa1, 'negative control: the failed transfer left the PDC role with DC1');
  for (const [role, dn] of [['pdc', b.baseDN], ['rid', ridDN]] as const) {
    const sz = await admin(b, ['fsmo', 'seize', role, '--json']);
    assert.equal(sz.code, 0, sz.stderr + sz.stdout);
    const j = JSON.parse(sz.stdout) as { owner: string; seized: boolean };
    assert.deepEqual({ owner: j.owner, seized: j.seized }, { owner: dsa2, seized: true });
    assert.equal(await ownerOf(b, dn), dsa2);
  }
  // seizing a role DC2 holds already is a transfer that changes nothing
  const again = await admin(b, ['fsmo', 'seize', 'schema', '--json']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal((JSON.parse(again.stdout) as { seized: boolean }).seized, false);
});
