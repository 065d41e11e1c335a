// forestd backup / forestd restore on one DC: an online backup of a serving forestd while writes
// go on (manifest, checksum), a restore that brings the backup's state back under a new
// invocationId (the old one retired, a UTD cursor for it at the backup's USN) with the USN
// counter continuing above, and the refusal of damaged, old and foreign backups. The
// convergence of a restored DC with its partner needs the replication engine (see the report
// of issue 15).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { Client } from 'ldapts';
import { startForestd, runCli, run, type RunningForestd } from '../helpers/forestd.js';
import { skipUnless } from '../helpers/tools.js';
import { open } from 'lmdb';
import { guidToString } from '../../src/util/guid.js';

const T = { timeout: 240_000, ...skipUnless('ldapsearch') };
let a: RunningForestd;
let b: RunningForestd;
let scratch: string;
/** data directories served again after a restore, removed at the end */
const keep: string[] = [];

before(async () => {
  [a, b] = await Promise.all([startForestd(), startForestd({ realm: 'other.test', netbios: 'OTHER' })]);
  scratch = mkdtempSync(join(tmpdir(), 'forestd-backup-'));
});
after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  for (const d of keep) rmSync(d, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

async function connect(f: RunningForestd): Promise<Client> {
  const c = new Client({ url: f.url });
  await c.bind(f.adminDN, f.adminPassword);
  return c;
}

async function addOu(c: Client, f: RunningForestd, name: string): Promise<void> {
  await c.add(`OU=${name},${f.baseDN}`, { objectClass: ['top', 'organizationalUnit'], ou: name });
}

/** ldapsearch of one attribute of one object (base scope); '' when the object does not exist (32) */
async function ldapValue(f: RunningForestd, base: string, attr: string): Promise<{ code: number | null; value: string }> {
  const r = await run('/usr/bin/ldapsearch', ['-LLL', '-o', 'ldif-wrap=no', '-H', f.url, '-x', '-D', f.adminDN, '-w', f.adminPassword, '-s', 'base', '-b', base, attr]);
  const m = new RegExp(`^${attr}(::?) (.*)$`, 'mi').exec(r.stdout);
  return { code: r.code, value: m ? (m[1] === '::' ? Buffer.from(m[2]!, 'base64').toString('hex') : m[2]!) : '' };
}

function manifestOf(file: string): { manifest: Record<string, unknown> & { highestUsn: number; size: number; checksum: string; time: string; dc: Record<string, string>; forest: Record<string, string> }; dataStart: number; bytes: Buffer } {
  const bytes = readFileSync(file);
  assert.equal(bytes.subarray(0, 15).toString('latin1'), 'FORESTD-BACKUP\n');
  const len = bytes.readUInt32BE(15);
  return { manifest: JSON.parse(bytes.subarray(19, 19 + len).toString('utf8')), dataStart: 19 + len, bytes };
}

/** the backup with its manifest rewritten by `edit` (the data and its checksum unchanged) */
function withManifest(file: string, out: string, edit: (m: Record<string, unknown>) => void): string {
  const { manifest, dataStart, bytes } = manifestOf(file);
  edit(manifest);
  const m = Buffer.from(JSON.stringify(manifest));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(m.length);
  writeFileSync(out, Buffer.concat([bytes.subarray(0, 15), len, m, bytes.subarray(dataStart)]));
  return out;
}

test('backup of a serving DC while writes go on; restore brings its state back under a new invocationId, the old one retired, USNs above', T, async () => {
  const c = await connect(a);
  await addOu(c, a, 'before-backup');
  const usnBefore = Number((await ldapValue(a, '', 'highestCommittedUSN')).value);
  const serverTimeBefore = generalizedTime((await ldapValue(a, '', 'currentTime')).value);
  // a writer that keeps adding while the backup runs
  let writing = true;
  let written = 0;
  let writerError: unknown;
  const writer = (async () => {
    while (writing) {
      try {
        await addOu(c, a, `during-${written}`);
        written++;
      } catch (e) {
        writerError = e;
        return;
      }
    }
  })();
  const file = join(scratch, 'a.bak');
  const writtenAtStart = written;
  const r = await runCli(['backup', '--data', a.dir, '--out', file, '--json'], { timeoutMs: 120_000 });
  const writtenDuringBackup = written - writtenAtStart;
  writing = false;
  await writer;
  assert.equal(writerError, undefined, 'writes go on while the backup runs');
  assert.equal(r.code, 0, r.stderr);
  assert.ok(writtenDuringBackup > 0, 'the server committed writes while the backup ran');
  const printed = JSON.parse(r.stdout) as { highestUsn: number; dc: { invocationId: string } };
  const { manifest, dataStart, bytes } = manifestOf(file);
  assert.equal(manifest.formatVersion, 1);
  assert.equal(manifest.forest.realm, 'example.com');
  assert.equal(manifest.dc.dsaDN, (await ldapValue(a, '', 'dsServiceName')).value);
  assert.equal(manifest.highestUsn, printed.highestUsn);
  assert.ok(manifest.highestUsn >= usnBefore, `the backup holds USN ${usnBefore} (has ${manifest.highestUsn})`);
  assert.equal(manifest.size, bytes.length - dataStart);
  assert.equal(manifest.checksum, `sha256:${createHash('sha256').update(bytes.subarray(dataStart)).digest('hex')}`);
  assert.ok(Date.parse(manifest.time) >= serverTimeBefore - 1000, `the manifest says when: ${manifest.time}, the server's clock said ${new Date(serverTimeBefore).toISOString()} before`);
  const oldInv = (await ldapValue(a, manifest.dc.dsaDN, 'invocationId')).value;
  assert.equal(guidHex(manifest.dc.invocationId), oldInv);

  // lost by the restore: written after the backup
  await addOu(c, a, 'after-backup');
  assert.equal((await ldapValue(a, `OU=after-backup,${a.baseDN}`, 'ou')).code, 0);
  const usnAtStop = Number((await ldapValue(a, '', 'highestCommittedUSN')).value);
  await c.unbind();
  await a.stop({ keepData: true });

  const rr = await runCli(['restore', '--from', file, '--data', a.dir, '--json'], { timeoutMs: 120_000 });
  assert.equal(rr.code, 0, rr.stderr);
  const res = JSON.parse(rr.stdout) as { oldInvocationId: string; newInvocationId: string; nextUsn: number };
  assert.equal(res.oldInvocationId, manifest.dc.invocationId);
  assert.notEqual(res.newInvocationId, res.oldInvocationId);
  assert.ok(res.nextUsn > usnAtStop, `the USN continues above the replaced store's ${usnAtStop} (next ${res.nextUsn})`);

  keep.push(dirname(a.dir));
  a = await startForestd({ data: a.dir });
  assert.equal((await ldapValue(a, `OU=before-backup,${a.baseDN}`, 'ou')).value, 'before-backup');
  assert.equal((await ldapValue(a, `OU=after-backup,${a.baseDN}`, 'ou')).code, 32, 'what came after the backup is gone');
  // the nTDSDSA object carries the new invocationId
  assert.equal((await ldapValue(a, manifest.dc.dsaDN, 'invocationId')).value, guidHex(res.newInvocationId));
  const c2 = await connect(a);
  await addOu(c2, a, 'after-restore');
  await c2.unbind();
  const created = Number((await ldapValue(a, `OU=after-restore,${a.baseDN}`, 'uSNCreated')).value);
  assert.ok(created >= res.nextUsn && created > usnAtStop, `a new write takes a USN above the old ones (${created})`);
  // the UTD vector holds the retired invocationId at the backup's USN: partners send the rest
  const show = await runCli(['repl', 'show', '--data', a.dir, '--json']);
  assert.equal(show.code, 0, show.stderr);
  const rs = JSON.parse(show.stdout) as { invocationId: string; ncs: { nc: string; cursors: { uuidSourceDsaInvocationID: string; usnAttributeFilter: string | number }[] }[] };
  assert.equal(rs.invocationId, res.newInvocationId);
  const domain = rs.ncs.find((n) => n.nc.toLowerCase() === a.baseDN.toLowerCase())!;
  const cur = domain.cursors.find((x) => x.uuidSourceDsaInvocationID.replace(/[{}]/g, '').toLowerCase() === res.oldInvocationId.toLowerCase());
  assert.ok(cur, `a cursor for the retired invocationId: ${JSON.stringify(domain.cursors)}`);
  assert.equal(Number(cur.usnAttributeFilter), manifest.highestUsn);
  // the retired list (read beside the serving process, read-only, as LMDB allows)
  const env = open({ path: join(a.dir, 'store'), readOnly: true, maxDbs: 16 });
  try {
    const meta = env.openDB({ name: 'meta', encoding: 'msgpack', keyEncoding: 'ordered-binary' });
    const retired = (meta.get('retired') as { invocationId: Uint8Array; usn: number }[] | undefined) ?? [];
    assert.deepEqual(retired.map((x) => [guidToString(x.invocationId), x.usn]), [[res.oldInvocationId, manifest.highestUsn]]);
  } finally {
    await env.close();
  }
});

test('restore refuses a damaged backup, one older than the tombstone lifetime, one of another DC, and a data directory being served; a good one restores into an empty directory', T, async () => {
  const file = join(scratch, 'b.bak');
  const r = await runCli(['backup', '--data', b.dir, '--out', file], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  const { manifest, bytes } = manifestOf(file);
  const refused = async (from: string, data: string, code: string) => {
    const x = await runCli(['restore', '--from', from, '--data', data], { timeoutMs: 120_000 });
    assert.equal(x.code, 1, `${code}: ${x.stdout}${x.stderr}`);
    assert.match(x.stderr, new RegExp(`\\[${code}\\]`));
  };
  // damaged: one byte of the data flipped; cut short; not a backup at all
  const flipped = Buffer.from(bytes);
  flipped[flipped.length - 100]! ^= 0xff;
  writeFileSync(join(scratch, 'flipped.bak'), flipped);
  await refused(join(scratch, 'flipped.bak'), join(scratch, 'r1'), 'ERR_BACKUP_CORRUPT');
  writeFileSync(join(scratch, 'short.bak'), bytes.subarray(0, bytes.length - 4096));
  await refused(join(scratch, 'short.bak'), join(scratch, 'r1'), 'ERR_BACKUP_CORRUPT');
  writeFileSync(join(scratch, 'text.bak'), 'dn: cn=x\n');
  await refused(join(scratch, 'text.bak'), join(scratch, 'r1'), 'ERR_BACKUP_CORRUPT');
  // older than the tombstone lifetime (the manifest's own, 180 days in a v1903 forest or 60 by default)
  const ttl = manifest.tombstoneLifetimeDays as number;
  const old = withManifest(file, join(scratch, 'old.bak'), (m) => (m.time = new Date(Date.parse(manifest.time) - (ttl + 1) * 86_400_000).toISOString()));
  await refused(old, join(scratch, 'r2'), 'ERR_BACKUP_TOO_OLD');
  // another format version
  const v2 = withManifest(file, join(scratch, 'v2.bak'), (m) => (m.formatVersion = 2));
  await refused(v2, join(scratch, 'r2'), 'ERR_BACKUP_VERSION');
  // into the data directory of a serving DC (its own): refused, the DC serves on
  await refused(file, b.dir, 'ERR_BACKUP_TARGET');
  assert.ok(b.alive());
  assert.equal((await ldapValue(b, '', 'defaultNamingContext')).value, b.baseDN);
  // of another DC of another forest: a's data directory is left alone
  await refused(file, a.dir, 'ERR_BACKUP_FOREIGN');
  assert.ok(a.alive());
  assert.equal((await ldapValue(a, '', 'defaultNamingContext')).value, a.baseDN);
  // negative control: a backup younger than the tombstone lifetime restores into an empty directory
  const young = withManifest(file, join(scratch, 'young.bak'), (m) => (m.time = new Date(Date.parse(manifest.time) - (ttl - 1) * 86_400_000).toISOString()));
  const ok = await runCli(['restore', '--from', young, '--data', join(scratch, 'r3'), '--json'], { timeoutMs: 120_000 });
  assert.equal(ok.code, 0, ok.stderr);
  const restored = await startForestd({ data: join(scratch, 'r3'), adminPassword: b.adminPassword, realm: 'other.test', netbios: 'OTHER' });
  try {
    assert.equal((await ldapValue(restored, '', 'defaultNamingContext')).value, b.baseDN);
    assert.equal(Number((await ldapValue(restored, '', 'highestCommittedUSN')).value) >= manifest.highestUsn, true);
  } finally {
    await restored.stop();
  }
});

/** the hex of a GUID's 16 bytes (MS-DTYP order) from its string form */
function guidHex(s: string): string {
  const h = s.replace(/[{}-]/g, '');
  const le = (x: string) => x.match(/../g)!.reverse().join('');
  return (le(h.slice(0, 8)) + le(h.slice(8, 12)) + le(h.slice(12, 16)) + h.slice(16)).toLowerCase();
}

/** a GeneralizedTime (YYYYMMDDHHMMSS.0Z, as the rootDSE's currentTime) in ms since 1970 */
function generalizedTime(v: string): number {
  const m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)/.exec(v);
  assert.ok(m, `a GeneralizedTime: ${v}`);
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}
