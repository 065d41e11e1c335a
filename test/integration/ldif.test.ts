// forestd ldif export/import against real forestds: the round trip of a 10,000-user domain
// into a fresh forest, the progress bar under a pseudo-terminal (util-linux `script`) and its
// silence otherwise, --continue with a report of each failed record, and whole records.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Attribute } from 'ldapts';
import { startForestd, run, CLI, type RunningForestd } from '../helpers/forestd.js';
import { cli, connArgs, adminEnv, ldapsearch } from '../helpers/admin-cli.js';
import { LdifReader } from '../../src/cli/ldif/format.js';
import { skipUnless } from '../helpers/tools.js';

const N = 10_000;
const T = { timeout: 600_000, ...skipUnless('ldapsearch') };
let a: RunningForestd; // the source domain
let b: RunningForestd; // a fresh forest of the same name
let exported = '';
const PHOTO = Buffer.from([0x00, 0xff, 0x0a, 0x0d, 0x20, 0x3a, 0x80, 0x41]);

before(async () => {
  [a, b] = await Promise.all([startForestd({ adminPassword: 'Passw0rd!x9' }), startForestd({ adminPassword: 'Passw0rd!x9' })]);
  // the source domain, written by another client (ldapts), 32 adds in flight
  const c = new Client({ url: a.url, timeout: 300_000 });
  await c.bind(a.adminDN, a.adminPassword);
  const ou = `OU=Many,${a.baseDN}`;
  await c.add(ou, { objectClass: 'organizationalUnit', description: ' leading space, trailing space ' });
  let next = 0;
  const worker = async () => {
    while (next < N) {
      const i = next++;
      const attrs = [
        new Attribute({ type: 'objectClass', values: ['user'] }),
        new Attribute({ type: 'sAMAccountName', values: [`m${i}`] }),
        new Attribute({ type: 'displayName', values: [`Ünïcødé ${i}`] }),
        new Attribute({ type: 'description', values: [i % 1000 === 0 ? `two\nlines ${i}` : `user number ${i}`] }),
      ];
      if (i % 2500 === 0) attrs.push(new Attribute({ type: 'thumbnailPhoto', values: [PHOTO] }));
      await c.add(`CN=user${String(i).padStart(5, '0')},${ou}`, attrs);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  for (let g = 0; g < 5; g++) {
    const members = Array.from({ length: 100 }, (_, j) => `CN=user${String(g * 100 + j).padStart(5, '0')},${ou}`);
    await c.add(`CN=group${g},${ou}`, { objectClass: 'group', sAMAccountName: `mg${g}`, member: members });
  }
  await c.unbind();
}, { timeout: 600_000 }); // 10,000 adds on a shared 2-core machine

after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

type Objects = Map<string, Record<string, string[]>>;

/** An LDIF file as objects: DN → attribute → sorted values (base64 of the bytes), link records merged. */
function objects(text: string): Objects {
  const r = new LdifReader();
  const m: Objects = new Map();
  for (const rec of [...r.push(text), ...r.end()]) {
    const o = m.get(rec.dn.toLowerCase()) ?? {};
    const parts = rec.kind === 'add' ? rec.attrs : rec.kind === 'modify' ? rec.mods : [];
    for (const x of parts) o[x.type.toLowerCase()] = [...(o[x.type.toLowerCase()] ?? []), ...x.values.map((v) => v.toString('base64'))].sort();
    m.set(rec.dn.toLowerCase(), o);
  }
  return m;
}

test('export of a 10,000-user domain imported into a fresh forest gives the same objects', T, async () => {
  const file = join(a.dir, 'domain.ldif');
  const ex = await cli(['ldif', 'export', '--importable', '--out', file, '--json', ...connArgs(a)], adminEnv(a), 300_000);
  assert.equal(ex.code, 0, ex.stderr);
  const summary = JSON.parse(ex.stdout);
  assert.ok(summary.entries > N, ex.stdout);
  exported = readFileSync(file, 'utf8');
  // RFC 2849: non-ASCII, binary, leading/trailing-space and multi-line values are base64
  assert.match(exported, new RegExp(`^displayName:: ${Buffer.from('Ünïcødé 1').toString('base64')}$`, 'm'));
  assert.match(exported, new RegExp(`^thumbnailPhoto:: ${PHOTO.toString('base64').replace(/\+/g, '\\+')}$`, 'm'));
  assert.match(exported, new RegExp(`^description:: ${Buffer.from(' leading space, trailing space ').toString('base64')}$`, 'm'));
  assert.match(exported, new RegExp(`^description:: ${Buffer.from('two\nlines 1000').toString('base64')}$`, 'm'));
  assert.match(exported, /^description: user number 1$/m);
  // the importable rule: no identity, SAM-assigned, systemOnly or back-link attributes
  assert.doesNotMatch(exported, /^(objectGUID|objectSid|uSNChanged|whenCreated|memberOf|sAMAccountType|nTSecurityDescriptor)::? /m);
  // links come last, as modify records
  assert.match(exported, /changetype: modify\nadd: member\n/);

  const imp = await cli(['ldif', 'import', file, '--continue', '--json', '--connections', '4', ...connArgs(b)], adminEnv(b), 400_000);
  assert.equal(imp.code, 1, imp.stderr); // the objects every new forest has already exist
  const s = JSON.parse(imp.stdout) as { records: number; applied: number; failed: number; failures: { dn: string; resultCode: number; error: string }[] };
  assert.equal(s.records, s.applied + s.failed);
  assert.ok(s.applied >= N + 6, JSON.stringify(s).slice(0, 500));
  // every failure is an object provisioning made (ENTRY_EXISTS 00002071, a member already in the
  // group 00000562, or a system-only class 00002035): none of the imported domain's own objects
  for (const f of s.failures) {
    // the NC head: an LDAP add cannot make one (no parent under the root: 32, 0000208D)
    if (f.dn === a.baseDN) {
      assert.equal(f.resultCode, 32);
      assert.match(f.error, /^0000208D:/);
      continue;
    }
    assert.ok((f.resultCode === 68 && /^0000(2071|0562):/.test(f.error)) || (f.resultCode === 53 && /^00002035:/.test(f.error)), `${f.dn}: ${f.resultCode} ${f.error}`);
    assert.doesNotMatch(f.dn, /OU=Many,/);
  }
  // not a TTY: no progress bar
  assert.doesNotMatch(imp.stdout, /\r|ETA/);

  const back = join(b.dir, 'domain.ldif');
  const ex2 = await cli(['ldif', 'export', '--importable', '--out', back, ...connArgs(b)], adminEnv(b), 300_000);
  assert.equal(ex2.code, 0, ex2.stderr);
  const src = objects(exported);
  const dst = objects(readFileSync(back, 'utf8'));
  assert.deepEqual([...dst.keys()].sort(), [...src.keys()].sort());
  let compared = 0;
  for (const [dn, o] of src) {
    // the domain head is the new forest's own (its creationTime is the moment it was provisioned)
    if (dn === a.baseDN.toLowerCase()) continue;
    assert.deepEqual(dst.get(dn), o, dn);
    compared++;
  }
  assert.ok(compared > N);
  // and through another client: ldapsearch on the new forest
  const users = await ldapsearch(b, `OU=Many,${b.baseDN}`, '(objectClass=user)', ['1.1'], 'one');
  assert.equal(users.length, N);
  const [u] = await ldapsearch(b, `CN=user02500,OU=Many,${b.baseDN}`, '(objectClass=*)', ['displayName', 'thumbnailPhoto']);
  assert.equal(u!.attrs.displayName![0], 'Ünïcødé 2500');
  const [g] = await ldapsearch(b, `CN=group1,OU=Many,${b.baseDN}`, '(objectClass=*)', ['member']);
  assert.equal(g!.attrs.member!.length, 100);
});

function records(prefix: string, base: string, n: number): string {
  let t = `version: 1\n\ndn: OU=${prefix},${base}\nobjectClass: organizationalUnit\n\n`;
  for (let i = 0; i < n; i++) t += `dn: CN=${prefix}${i},OU=${prefix},${base}\nchangetype: add\nobjectClass: user\nsAMAccountName: ${prefix}${i}\n\n`;
  return t;
}

test('the progress bar (rate, ETA) is drawn on a terminal and nothing of it otherwise', { ...T, ...skipUnless('/usr/bin/script') }, async () => {
  const file = join(b.dir, 'tty.ldif');
  writeFileSync(file, records('Tty', b.baseDN, 400));
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const cmd = [process.execPath, ...process.execArgv, CLI, 'ldif', 'import', file, ...connArgs(b)].map(q).join(' ');
  const tty = await run('/usr/bin/script', ['-q', '-e', '-c', cmd, '/dev/null'], undefined, adminEnv(b));
  assert.equal(tty.code, 0, tty.stdout + tty.stderr);
  assert.match(tty.stdout, /\r\[[#.]+\] \d+\/401 \d+% \d+\/s ETA \d+:\d\d/);
  assert.match(tty.stdout, /\[#{10,}\] 401\/401 100%/);
  assert.match(tty.stdout, /imported 401 of 401 records/);
  // the same import, stdout a pipe: the summary only
  const file2 = join(b.dir, 'pipe.ldif');
  writeFileSync(file2, records('Pipe', b.baseDN, 400));
  const piped = await cli(['ldif', 'import', file2, ...connArgs(b)], adminEnv(b));
  assert.equal(piped.code, 0, piped.stderr);
  assert.doesNotMatch(piped.stdout, /\r|ETA|\[#/);
  assert.match(piped.stdout, /^imported 401 of 401 records \(401 add\), 0 failed, in [\d.]+ s \(\d+\/s\)\n$/);
  assert.equal((await ldapsearch(b, `OU=Pipe,${b.baseDN}`, '(objectClass=user)', ['1.1'], 'one')).length, 400);
});

test('every changetype; --continue reports each failed record and why; a failed record changes nothing', T, async () => {
  const base = `OU=Changes,${b.baseDN}`;
  const ldif = `version: 1

# an entry (content record) and adds
dn: ${base}
objectClass: organizationalUnit

dn: CN=c1,${base}
changetype: add
objectClass: user
sAMAccountName: chg1
description: first

dn: CN=c2,${base}
changetype: add
objectClass: user
sAMAccountName: chg2

dn: CN=c1,${base}
changetype: add
objectClass: user
sAMAccountName: chg1b

dn: CN=c1,${base}
changetype: modify
replace: description
description: second
-
add: telephoneNumber
telephoneNumber: 555-0100
-

dn: CN=c2,${base}
changetype: modify
replace: description
description: must not stay
-
add: noSuchAttributeAnywhere
noSuchAttributeAnywhere: x
-

dn: CN=missing,${base}
changetype: delete

dn: CN=c2,${base}
changetype: modrdn
newrdn: CN=c2-renamed
deleteoldrdn: 1

dn: CN=c1,${base}
changetype: delete
`;
  const file = join(b.dir, 'changes.ldif');
  const report = join(b.dir, 'changes-report.ldif');
  writeFileSync(file, ldif);
  const r = await cli(['ldif', 'import', file, '--continue', '--report', report, '--connections', '2', '--json', ...connArgs(b)], adminEnv(b));
  assert.equal(r.code, 1, r.stderr);
  const s = JSON.parse(r.stdout) as { records: number; applied: number; failed: number; byType: Record<string, number>; failures: { index: number; line: number; dn: string; resultCode: number; error: string }[] };
  assert.equal(s.records, 9);
  assert.equal(s.failed, 3);
  assert.deepEqual(s.byType, { add: 3, modify: 1, modrdn: 1, delete: 1 });
  const [dup, badMod, missing] = s.failures;
  assert.equal(dup!.index, 4);
  assert.equal(dup!.resultCode, 68);
  assert.match(dup!.error, /^00002071:/);
  assert.equal(badMod!.index, 6);
  assert.equal(badMod!.resultCode, 17); // undefinedAttributeType, with AD's 00000057 (attribute conversion)
  assert.match(badMod!.error, /^00000057:/);
  assert.equal(missing!.index, 7);
  assert.equal(missing!.resultCode, 32);
  assert.match(missing!.error, /^0000208D:/i);
  // stderr names each, with its line
  assert.match(r.stderr, new RegExp(`record 6 \\(line ${badMod!.line}\\) modify CN=c2,${base}: LDAP 17: 00000057`));
  // the report holds the failed records with the reason
  const rep = readFileSync(report, 'utf8');
  assert.equal((rep.match(/^# record \d+/gm) ?? []).length, 3);
  assert.match(rep, /^# record 6 \(line \d+\): LDAP 17: /m);
  // whole records: the failed modify left c2's description alone (its first modification too)
  const [c2] = await ldapsearch(b, `CN=c2-renamed,${base}`, '(objectClass=*)', ['description']);
  assert.equal(c2!.attrs.description, undefined);
  // the applied ones took: c1 modified then deleted, c2 renamed
  assert.deepEqual(await ldapsearch(b, `CN=c1,${base}`), []);
  assert.deepEqual(await ldapsearch(b, `CN=c2,${base}`), []);
});

test('without --continue the first failed record stops the import', T, async () => {
  const base = `OU=Stop,${b.baseDN}`;
  const ldif = `dn: ${base}\nobjectClass: organizationalUnit\n\ndn: ${base}\nobjectClass: organizationalUnit\n\n` + Array.from({ length: 50 }, (_, i) => `dn: CN=s${i},${base}\nobjectClass: user\nsAMAccountName: stop${i}\n`).join('\n');
  const file = join(b.dir, 'stop.ldif');
  writeFileSync(file, ldif);
  const r = await cli(['ldif', 'import', file, '--connections', '1', '--pipeline', '1', ...connArgs(b)], adminEnv(b));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /record 2 \(line 4\) add OU=Stop,.*LDAP 68: 00002071/);
  assert.match(r.stdout, /stopped at the first failure/);
  assert.equal((await ldapsearch(b, base, '(objectClass=user)', ['1.1'], 'one')).length, 0);
  // a syntax error is a usage error naming the line
  writeFileSync(file, `dn: ${base}\nthis line has no colon\n`);
  const bad = await cli(['ldif', 'import', file, ...connArgs(b)], adminEnv(b));
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /line 2/);
});

test('export: a subtree and a filter select the entries; a missing base is exit 4 with AD 32 / 0000208D and writes nothing', T, async () => {
  const sub = await cli(['ldif', 'export', '--base', `OU=Many,${a.baseDN}`, '--scope', 'one', '--filter', '(|(sAMAccountName=m1)(sAMAccountName=m2))', '--attributes', 'sAMAccountName', ...connArgs(a)], adminEnv(a));
  assert.equal(sub.code, 0, sub.stderr);
  const got = objects(sub.stdout);
  assert.deepEqual([...got.keys()].sort(), [`cn=user00001,ou=many,${a.baseDN.toLowerCase()}`, `cn=user00002,ou=many,${a.baseDN.toLowerCase()}`]);
  const ldap = await ldapsearch(a, `OU=Many,${a.baseDN}`, '(|(sAMAccountName=m1)(sAMAccountName=m2))', ['1.1'], 'one');
  assert.equal(ldap.length, got.size);
  const missing = await cli(['ldif', 'export', '--base', `OU=Nowhere,${a.baseDN}`, ...connArgs(a)], adminEnv(a));
  assert.equal(missing.code, 4);
  assert.match(missing.stderr, /LDAP result 32: 0000208D: .*problem 2001/);
  assert.equal(missing.stdout, '');
  const bad = await cli(['ldif', 'export', '--filter', '(unbalanced', ...connArgs(a)], adminEnv(a));
  assert.equal(bad.code, 2);
});
