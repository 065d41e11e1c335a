// npm run bench:ad — the Active Directory workloads of forestd, on a real server over LDAP:
//   - provisioning time (the CLI, `forestd provision`, three times);
//   - bulk LDIF import: an LDIF file of AD users (unicodePwd, userAccountControl 512) sent as
//     pipelined adds over LDAPS (several connections), and a part of it with Debian's ldapadd
//     (one connection, one add at a time, as an administrator would import it);
//   - DirSync (LDAP_SERVER_DIRSYNC_OID) over LDAP: the initial sync of the domain NC and an
//     incremental sync after 100 modifications, at 10k and 100k users;
//   - a large group: 100,000 members added in chunks, memberOf of a member read, the members
//     removed in chunks;
//   - the server's RSS at 10k and 100k users.
// Prints figures (and writes them to a file under the system's temporary directory); asserts
// nothing about time.
//
// Environment: BENCH_SMALL=10000 BENCH_LARGE=100000 (users) BENCH_GROUP=100000 (members; <= LARGE)
// BENCH_CHUNK=5000 (member values per modify) BENCH_LDAPADD=2000 (users imported with ldapadd; 0 = skip)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { BenchClient } from './lib/client.js';
import { requestControl, responseControlValue } from './lib/controls.js';
import { dirSyncControl } from '../src/ldap/controls/dirsync.js';
import { startForestd, benchTempDir, rssMiB, cleanupAll, installTools, FORESTD_CLI, type Forestd } from './lib/servers.js';
import { bulkLoad, adOus, adUser, addOp, describe, Progress } from './lib/load.js';
import type { LdapMessage, ProtocolOp } from '../src/ldap/protocol/messages.js';

const env = process.env;
const SMALL = Number(env.BENCH_SMALL ?? 10_000);
const LARGE = Number(env.BENCH_LARGE ?? 100_000);
const GROUP = Math.min(Number(env.BENCH_GROUP ?? 100_000), LARGE);
const CHUNK = Number(env.BENCH_CHUNK ?? 5000);
const LDAPADD = Number(env.BENCH_LDAPADD ?? 2000);

const started = performance.now();
const out = mkdtempSync(join(tmpdir(), 'forestd-bench-ad-results-'));
const work = benchTempDir('forestd-bench-ad-');
const report: string[] = [];
const say = (s: string) => {
  console.log(s);
  report.push(s);
};
const n = (x: number) => Math.round(x).toLocaleString('en-US');
const ms = (s: number) => `${(s * 1000).toFixed(1)} ms`;

say(`# forestd AD workloads — npm run bench:ad, ${new Date().toISOString()}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}`);
installTools('client'); // ldap-utils: ldapadd

// ---------------------------------------------------------------- provisioning
{
  const runs: number[] = [];
  let cli = '';
  for (let i = 0; i < 3; i++) {
    const d = join(work, `prov${i}`);
    const t0 = performance.now();
    const p = spawnSync(process.execPath, [FORESTD_CLI, 'provision', '--data', d, '--realm', 'example.com', '--netbios', 'EXAMPLE', '--admin-password', 'Adm1n-Passw0rd!'], { encoding: 'utf8' });
    runs.push((performance.now() - t0) / 1000);
    if (p.status !== 0) throw new Error(`forestd provision failed (${p.status}): ${p.stderr}`);
    cli = /in [\d.]+ s/.exec(p.stdout)?.[0] ?? '';
    spawnSync('rm', ['-rf', d]);
  }
  runs.sort((a, b) => a - b);
  say(`provision (forestd provision, whole CLI process): median ${runs[1]!.toFixed(2)} s of 3 (${runs.map((r) => r.toFixed(2)).join(', ')}); the CLI's own figure: ${cli}`);
}

const fd: Forestd = await startForestd({ host: '127.0.0.1' });
const base = fd.baseDN;
const OU = `OU=Bench,${base}`;
const tls = async () => {
  const c = await BenchClient.openTls(fd.host, fd.ldapsPort);
  const rc = await c.bind(fd.adminDN, fd.adminPassword);
  if (rc !== 0) throw new Error(`bind as ${fd.adminDN} over LDAPS -> result ${rc}`);
  return c;
};
const plain = async () => {
  const c = await BenchClient.open(fd.host, fd.port);
  const rc = await c.bind(fd.adminDN, fd.adminPassword);
  if (rc !== 0) throw new Error(`bind as ${fd.adminDN} -> result ${rc}`);
  return c;
};
const ctl = await plain();
const rc = (r: LdapMessage[]) => r.at(-1)!.protocolOp as { resultCode: number; diagnosticMessage: string };
async function must(op: ProtocolOp, c = ctl): Promise<LdapMessage[]> {
  const r = await c.request(op);
  if (rc(r).resultCode !== 0) throw new Error(`${describe(op)} -> result ${rc(r).resultCode} ${rc(r).diagnosticMessage}`);
  return r;
}
const rss = (label: string, objects: string) => say(`RSS ${label}: ${rssMiB(fd.pid).toFixed(0)} MiB (${objects}); store data.mdb ${(statSync(join(fd.data, 'store', 'data.mdb')).size / 1048576).toFixed(0)} MiB`);
rss('after provisioning', '1,868 objects');

// ---------------------------------------------------------------- bulk LDIF import
for (const op of adOus(base)) await must(op);
/** LDIF of AD users, as ldifde/ldapadd would import them (unicodePwd base64). */
function ldif(from: number, to: number): string {
  const parts: string[] = [];
  for (let i = from; i < to; i++) {
    const op = adUser(base, fd.realm, i) as Extract<ProtocolOp, { type: 'addRequest' }>;
    let s = `dn: ${op.entry}\nchangetype: add\n`;
    for (const a of op.attributes) for (const v of a.values) s += /^[\x20-\x7e]*$/.test(v.toString('latin1')) && a.type !== 'unicodePwd' ? `${a.type}: ${v.toString()}\n` : `${a.type}:: ${v.toString('base64')}\n`;
    parts.push(s);
  }
  return parts.join('\n');
}
/** A minimal LDIF reader (records of `attr: value` / `attr:: base64`, no folding) into add requests. */
function* ldifAdds(text: string): Generator<ProtocolOp> {
  for (const rec of text.split(/\n\n+/)) {
    if (!rec.trim()) continue;
    let dn = '';
    const attrs = new Map<string, Buffer[]>();
    for (const line of rec.split('\n')) {
      const m = /^([^:]+)(::?) ?(.*)$/.exec(line);
      if (!m) continue;
      const [, type, sep, raw] = m;
      const v = sep === '::' ? Buffer.from(raw!, 'base64') : Buffer.from(raw!);
      if (type === 'dn') dn = v.toString();
      else if (type !== 'changetype') attrs.set(type!, [...(attrs.get(type!) ?? []), v]);
    }
    yield { type: 'addRequest', entry: dn, attributes: [...attrs].map(([type, values]) => ({ type, values })) };
  }
}
const ldapaddCount = Math.min(LDAPADD, SMALL);
{
  const file = join(work, 'users.ldif');
  const t0 = performance.now();
  writeFileSync(file, ldif(0, SMALL - ldapaddCount));
  const genS = (performance.now() - t0) / 1000;
  const text = readFileSync(file, 'utf8');
  const s = await bulkLoad(ldifAdds(text), { label: 'LDIF import (LDAPS, 4×16)', total: SMALL - ldapaddCount, connections: 4, inFlight: 16, open: tls });
  say(`bulk LDIF import, pipelined adds over LDAPS (4 connections × 16 in flight): ${n(SMALL - ldapaddCount)} users in ${s.toFixed(1)} s = ${n((SMALL - ldapaddCount) / s)} entries/s (LDIF written in ${genS.toFixed(1)} s, ${(text.length / 1048576).toFixed(1)} MiB)`);
  if (ldapaddCount > 0) {
    const f2 = join(work, 'users-ldapadd.ldif');
    writeFileSync(f2, ldif(SMALL - ldapaddCount, SMALL));
    const t1 = performance.now();
    const p = spawnSync('ldapadd', ['-H', fd.ldapsUrl, '-x', '-D', fd.adminDN, '-w', fd.adminPassword, '-f', f2], { encoding: 'utf8', env: { ...process.env, LDAPTLS_REQCERT: 'never' }, maxBuffer: 64 * 1024 * 1024 });
    const s2 = (performance.now() - t1) / 1000;
    if (p.status !== 0) say(`bulk LDIF import with ldapadd: FAILED (exit ${p.status}): ${p.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    else say(`bulk LDIF import with ldapadd (LDAPS, one add at a time): ${n(ldapaddCount)} users in ${s2.toFixed(1)} s = ${n(ldapaddCount / s2)} entries/s`);
  }
}
rss(`at ${n(SMALL)} users`, `${n(SMALL + 1868 + 3)} objects`);

// ---------------------------------------------------------------- DirSync
const searchAll: ProtocolOp = { type: 'searchRequest', baseObject: base, scope: 2, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: { type: 'present', attribute: 'objectClass' }, attributes: [] };
async function dirSyncCycle(cookie: Buffer): Promise<{ entries: number; pages: number; s: number; cookie: Buffer; bytes: number; pageMs: number[] }> {
  let entries = 0;
  let pages = 0;
  let bytes = 0;
  const pageMs: number[] = [];
  const t0 = performance.now();
  for (;;) {
    const p0 = performance.now();
    const r = await ctl.request(searchAll, [requestControl(dirSyncControl, { flags: 0, maxBytes: 0, cookie }, true)]);
    const last = r.at(-1)!;
    if (rc(r).resultCode !== 0) throw new Error(`DirSync search of ${base} (cookie ${cookie.length} bytes) -> result ${rc(r).resultCode} ${rc(r).diagnosticMessage}`);
    for (const m of r) if (m.protocolOp.type === 'searchResultEntry') entries++;
    pages++;
    pageMs.push(performance.now() - p0);
    const v = responseControlValue(dirSyncControl, last.controls ?? []);
    cookie = Buffer.from(v.cookie);
    bytes += r.length;
    if (!v.moreResults) break;
  }
  return { entries, pages, s: (performance.now() - t0) / 1000, cookie, bytes, pageMs };
}
async function dirSync(label: string, users: number): Promise<void> {
  try {
    const init = await dirSyncCycle(Buffer.alloc(0));
    say(`DirSync initial, ${label}: ${n(init.entries)} entries in ${init.s.toFixed(2)} s = ${n(init.entries / init.s)} entries/s (${init.pages} pages; first page ${init.pageMs[0]!.toFixed(0)} ms, middle ${init.pageMs[init.pageMs.length >> 1]!.toFixed(0)} ms, last ${init.pageMs.at(-1)!.toFixed(0)} ms)`);
    // (distinct values each round: replacing a value with itself is no change, and DirSync rightly skips it)
    const mods = Array.from({ length: 100 }, (_, i) => Math.floor((i * users) / 100) + 1);
    for (const i of mods) await must({ type: 'modifyRequest', object: `CN=user${i},${OU}`, changes: [{ operation: 2, modification: { type: 'description', values: [Buffer.from(`dirsync change at ${users} users, ${i}`)] } }] });
    const inc = await dirSyncCycle(init.cookie);
    say(`DirSync incremental, ${label}, after 100 modifications: ${inc.entries} entries in ${ms(inc.s)} (${inc.pages} page${inc.pages > 1 ? 's' : ''})`);
  } catch (e) {
    say(`DirSync, ${label}: NOT MEASURABLE: ${(e as Error).message}`);
  }
}
await dirSync(`${n(SMALL)} users`, SMALL);

// ---------------------------------------------------------------- grow to LARGE
{
  const gen = function* () {
    for (let i = SMALL; i < LARGE; i++) yield adUser(base, fd.realm, i);
  };
  const s = await bulkLoad(gen(), { label: `users to ${n(LARGE)} (LDAPS)`, total: LARGE - SMALL, connections: 4, inFlight: 16, open: tls });
  say(`grow to ${n(LARGE)} users: ${n(LARGE - SMALL)} adds in ${s.toFixed(1)} s = ${n((LARGE - SMALL) / s)} adds/s`);
}
rss(`at ${n(LARGE)} users`, `${n(LARGE + 1868 + 3)} objects`);
await dirSync(`${n(LARGE)} users`, LARGE);

// ---------------------------------------------------------------- large group
{
  const G = `CN=BigGroup,OU=Groups,${base}`;
  await must(addOp(G, { objectClass: ['group'], sAMAccountName: ['BigGroup'] }));
  const member = (i: number) => Buffer.from(`CN=user${i},${OU}`);
  const probeUser = Math.floor(GROUP / 2) + 7;
  const readMemberOf = async (): Promise<{ s: number; count: number }> => {
    const times: number[] = [];
    let count = 0;
    for (let k = 0; k < 5; k++) {
      const t0 = performance.now();
      const r = await must({ type: 'searchRequest', baseObject: `CN=user${probeUser},${OU}`, scope: 0, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: { type: 'present', attribute: 'objectClass' }, attributes: ['memberOf'] });
      times.push((performance.now() - t0) / 1000);
      const e = r.find((m) => m.protocolOp.type === 'searchResultEntry');
      count = e && e.protocolOp.type === 'searchResultEntry' ? (e.protocolOp.attributes.find((a) => a.type.toLowerCase() === 'memberof')?.values.length ?? 0) : 0;
    }
    times.sort((a, b) => a - b);
    return { s: times[2]!, count };
  };
  const chunks = async (op: 0 | 1, label: string): Promise<number> => {
    const bar = new Progress(label, GROUP);
    const t0 = performance.now();
    let worst = 0;
    for (let i = 0; i < GROUP; i += CHUNK) {
      const values = Array.from({ length: Math.min(CHUNK, GROUP - i) }, (_, k) => member(i + k));
      const c0 = performance.now();
      await must({ type: 'modifyRequest', object: G, changes: [{ operation: op, modification: { type: 'member', values } }] });
      worst = Math.max(worst, performance.now() - c0);
      bar.update(i + values.length);
    }
    const s = (performance.now() - t0) / 1000;
    say(`large group: ${op === 0 ? 'add' : 'remove'} ${n(GROUP)} members in chunks of ${n(CHUNK)}: ${s.toFixed(1)} s = ${n(GROUP / s)} values/s (slowest chunk ${(worst / 1000).toFixed(2)} s)`);
    return s;
  };
  try {
    await chunks(0, `group member add`);
    const mo = await readMemberOf();
    say(`large group: memberOf of a member (base read, CN=user${probeUser}): ${ms(mo.s)} median of 5, ${mo.count} value(s)`);
    const t0 = performance.now();
    const r = await must({ type: 'searchRequest', baseObject: G, scope: 0, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: { type: 'present', attribute: 'objectClass' }, attributes: ['member;range=0-*'] });
    const e = r.find((m) => m.protocolOp.type === 'searchResultEntry');
    const got = e && e.protocolOp.type === 'searchResultEntry' ? e.protocolOp.attributes.reduce((a, x) => a + (x.type.toLowerCase().startsWith('member') ? x.values.length : 0), 0) : 0;
    say(`large group: read member;range=0-* of the group: ${n(got)} values in ${ms((performance.now() - t0) / 1000)} (one MaxValRange page)`);
    rss(`with the ${n(GROUP)}-member group`, `${n(LARGE + 1868 + 4)} objects`);
    await chunks(1, `group member remove`);
    const mo2 = await readMemberOf();
    say(`large group: memberOf after the removal: ${ms(mo2.s)}, ${mo2.count} value(s)`);
  } catch (e) {
    say(`large group: FAILED: ${(e as Error).message}`);
  }
}

ctl.unbind();
rss('at the end', 'before stop');
await fd.stop();
say(`wall time ${((performance.now() - started) / 1000).toFixed(0)} s`);
writeFileSync(join(out, 'ad.txt'), report.join('\n') + '\n');
console.log(`results: ${join(out, 'ad.txt')}`);
cleanupAll();
