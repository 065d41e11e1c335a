// RID pools between real DCs (MS-ADTS 6.1.5.3; MS-DRSR 4.1.10.5.12 EXOP_FSMO_REQ_RID_ALLOC):
// DC1 (provisioned, the RID Master, blocks of 10 through FORESTD_RID_BLOCK_SIZE) and DC2
// (`forestd join`, then `forestd serve --repl-port`). DC2 gets its first pool from DC1 on its
// first serve, creates more users than one block holds, asking DC1 for the next block each
// time half of its pool is spent; every objectSid in the domain is unique on both DCs.
// Negative control: DC2 served again with its requests off runs out and refuses the create
// with ERROR_DS_NO_RIDS_ALLOCATED.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Client, type Entry } from 'ldapts';
import { startForestd, runCli, run, type RunningForestd } from '../helpers/forestd.js';
import { tempDir } from '../helpers/tmp.js';
import { deadline, untilReplicated } from '../helpers/replication.js';
import { AD, expectAdError, ldapToolError } from '../helpers/ad-errors.js';
import { needTool } from '../helpers/tools.js';
import { sidToString } from '../../src/schema/syntaxes/index.js';

const PW = 'Adm1n-Passw0rd!';
const BLOCK = 10;
const RID_POOL = 'forestd:rid:pool';
let tmp: ReturnType<typeof tempDir>;
let dc1: RunningForestd;
let dc2: RunningForestd | undefined;
const dc2Data = () => join(tmp.dir, 'DC2');

const lo = (v: bigint) => Number(v & 0xffffffffn);
const hi = (v: bigint) => Number(v >> 32n);

async function client(f: RunningForestd): Promise<Client> {
  const c = new Client({ url: f.url, timeout: 30_000, connectTimeout: 10_000 });
  await c.bind(f.adminUPN, PW);
  return c;
}

async function read(c: Client, dn: string, attrs: string[]): Promise<Entry> {
  const e = (await c.search(dn, { scope: 'base', attributes: attrs })).searchEntries[0];
  assert.ok(e, dn);
  return e;
}
const big = (e: Entry, a: string): bigint | undefined => {
  const v = Array.isArray(e[a]) ? e[a][0] : e[a];
  return v === undefined || v === '' ? undefined : BigInt(String(v));
};

/** DC2's RID Set as DC2 holds it (its own rIDPreviousAllocationPool and rIDNextRID are not replicated). */
async function ridSet(c: Client, f: RunningForestd): Promise<{ alloc?: bigint; prev?: bigint; next?: number }> {
  const e = await read(c, `CN=RID Set,CN=DC2,OU=Domain Controllers,${f.baseDN}`, ['rIDAllocationPool', 'rIDPreviousAllocationPool', 'rIDNextRID']);
  const next = big(e, 'rIDNextRID');
  return { alloc: big(e, 'rIDAllocationPool'), prev: big(e, 'rIDPreviousAllocationPool'), ...(next !== undefined ? { next: Number(next) } : {}) };
}

const available = async (c: Client, f: RunningForestd) => big(await read(c, `CN=RID Manager$,CN=System,${f.baseDN}`, ['rIDAvailablePool']), 'rIDAvailablePool')!;

function addUser(c: Client, f: RunningForestd, name: string): Promise<void> {
  return c.add(`CN=${name},CN=Users,${f.baseDN}`, { objectClass: 'user', sAMAccountName: name });
}

let dc2Env = '';
async function serveDC2(env: Record<string, string> = {}): Promise<RunningForestd> {
  if (dc2 && dc2.alive() && dc2Env === JSON.stringify(env)) return dc2;
  if (dc2?.alive()) await dc2.stop({ keepData: true });
  dc2 = await startForestd({ data: dc2Data(), serveArgs: ['--repl-port', '0'], adminPassword: PW, env });
  dc2Env = JSON.stringify(env);
  return dc2;
}

before(async () => {
  tmp = tempDir('forestd-rid-');
  dc1 = await startForestd({ serveArgs: ['--repl-port', '0'], adminPassword: PW, env: { FORESTD_RID_BLOCK_SIZE: String(BLOCK) } });
  const r = await runCli(['join', '--data', dc2Data(), '--source', dc1.url, '--admin-password', PW, '--hostname', 'DC2'], { timeoutMs: 240_000 });
  assert.equal(r.code, 0, r.stderr + r.stdout);
});
after(async () => {
  await dc2?.stop({ keepData: true });
  await dc1?.stop();
  tmp?.cleanup();
});

test('a joined DC gets RID pools from the RID Master over DRS (RID_ALLOC), asks again at half, and no two DCs issue one SID', { timeout: 400_000 }, async (t) => {
  if (!needTool(t, 'ldapsearch')) return;
  const c1 = await client(dc1);
  const before1 = await available(c1, dc1);
  // the provisioned RID Master's space starts above its own first pool, 1100-1599
  assert.equal(lo(before1), 1600);
  // serve says ready once DC2 has its first pool: RID_ALLOC answered by DC1, applied on DC2
  const f = await serveDC2();
  const c2 = await client(f);
  try {
    const first = await ridSet(c2, f);
    assert.ok(first.alloc !== undefined, 'DC2 has a rIDAllocationPool');
    assert.equal(hi(first.alloc!) - lo(first.alloc!) + 1, BLOCK);
    assert.ok(lo(first.alloc!) >= lo(before1), 'the block came from rIDAvailablePool');
    assert.ok(f.hookCount(RID_POOL, (e) => e.ok === true) >= 1);
    const pools = new Set<bigint>([first.alloc!]);
    // 3 blocks' worth of users on DC2; each time half of the pool in use is spent with no block
    // waiting, DC2 asks DC1: wait for that block's arrival before going on
    const n = 3 * BLOCK;
    for (let i = 0; i < n; i++) {
      await addUser(c2, f, `r2u${i}`);
      const s = await ridSet(c2, f);
      const spent = s.prev !== undefined && s.next !== undefined ? s.next - lo(s.prev) + 1 : 0;
      if (s.alloc === s.prev && spent >= BLOCK / 2) {
        const limit = deadline(60_000, () => `no new RID pool on DC2 after ${i + 1} users\n${f.log().slice(-2000)}`);
        for (;;) {
          const now = await ridSet(c2, f);
          if (now.alloc !== s.alloc) {
            pools.add(now.alloc!);
            break;
          }
          const seen = f.hookCount(RID_POOL);
          await Promise.race([f.hook(RID_POOL, seen + 1), limit]);
        }
      }
    }
    assert.ok(pools.size >= 3, `DC2 received ${pools.size} pools: ${[...pools].map((p) => `${lo(p)}-${hi(p)}`).join(', ')}`);
    // pools never overlap
    const sorted = [...pools].sort((a, b) => lo(a) - lo(b));
    for (let i = 1; i < sorted.length; i++) assert.ok(lo(sorted[i]!) > hi(sorted[i - 1]!), 'disjoint pools');
    // the RID Master moved rIDAvailablePool past every pool it gave
    const after1 = await available(c1, dc1);
    assert.ok(lo(after1) > hi(sorted[sorted.length - 1]!), `rIDAvailablePool ${lo(after1)}.. is past the last pool given`);
    assert.ok(lo(after1) >= lo(before1) + pools.size * BLOCK);
    // users on DC1 too (its own pool, 1100-1599)
    for (let i = 0; i < 5; i++) await addUser(c1, dc1, `r1u${i}`);
    // every user reaches the other DC; all objectSids of the domain are distinct on both
    for (const [dc, c] of [[dc1, c1], [f, c2]] as const) {
      const sids = await untilReplicated(
        dc,
        async () => {
          const res = await run('ldapsearch', ['-LLL', '-o', 'ldif-wrap=no', '-E', 'pr=500/noprompt', '-H', dc.url, '-x', '-D', dc.adminUPN, '-w', PW, '-b', dc.baseDN, '(&(objectSid=*)(|(objectClass=user)(objectClass=group)))', 'objectSid'], undefined, undefined, { timeoutMs: 60_000 });
          assert.equal(res.code, 0, res.stderr);
          const all = [...res.stdout.matchAll(/^objectSid:: (\S+)/gm)].map((m) => m[1]!);
          const users = [...res.stdout.matchAll(/^dn: CN=r[12]u\d+,/gm)].length;
          return users === n + 5 ? all : undefined;
        },
        'every user on both DCs',
      );
      assert.equal(new Set(sids).size, sids.length, `duplicate objectSids on ${dc.url}`);
    }
  } finally {
    await c2.unbind();
    await c1.unbind();
  }
});

test('negative control: DC2 served with its RID requests off runs out of RIDs and refuses the create with ERROR_DS_NO_RIDS_ALLOCATED', { timeout: 300_000 }, async (t) => {
  if (!needTool(t, 'ldapadd')) return;
  await serveDC2();
  const f = await serveDC2({ FORESTD_RID_REQUESTS: 'off' });
  const c2 = await client(f);
  try {
    let err: unknown;
    let made = 0;
    // at most two blocks are left (the one in use and the one waiting)
    for (let i = 0; i < 2 * BLOCK + 1 && !err; i++) {
      try {
        await addUser(c2, f, `neg${i}`);
        made++;
      } catch (e) {
        err = e;
      }
    }
    assert.ok(err, `DC2 created ${made} users without running out`);
    assert.equal((err as { code?: number }).code, AD.NO_RIDS_ALLOCATED.ldap, String(err));
    // and as OpenLDAP's ldapadd reports it: AD's result code, Win32 code and problem
    const r = await run('ldapadd', ['-H', f.url, '-x', '-D', f.adminUPN, '-w', PW], `dn: CN=negx,CN=Users,${f.baseDN}\nobjectClass: user\nsAMAccountName: negx\n`, undefined, { timeoutMs: 30_000 });
    const refusal = ldapToolError(r);
    expectAdError(refusal.code, refusal.diagnostic, AD.NO_RIDS_ALLOCATED);
    assert.equal(f.hookCount(RID_POOL), 0, 'no request was made');
    // objects without a SID are still created
    await c2.add(`CN=box,CN=Users,${f.baseDN}`, { objectClass: 'container' });
  } finally {
    await c2.unbind();
  }
});

test('rootDSE invalidateRidPool on DC2 (ldapmodify, the domain SID): the next create is refused and asks DC1 for a new pool, the one after succeeds from it', { timeout: 300_000 }, async (t) => {
  if (!needTool(t, 'ldapmodify')) return;
  const f = await serveDC2();
  // DC2 starts by asking for a block (the previous test spent its pools; a DC fresh from the
  // join has none): that request is awaited first, so that its pool cannot land after the
  // invalidation below and serve the create that must be refused
  await Promise.race([f.hook(RID_POOL, 1), deadline(60_000, () => `DC2 made no RID request at start\n${f.log().slice(-2000)}`)]);
  // and every request it makes at start is over: a run of requests that ends with RIDs and no block wanted
  // (a second request, asked for while the first ran — by a replication cycle's end — would land after the invalidation)
  await Promise.race([f.hook('forestd:rid:settled', 1, (e) => e['wants'] === false), deadline(60_000, () => `DC2's RID requests did not settle\n${f.log().slice(-2000)}`)]);
  const c2 = await client(f);
  try {
    const before = (await ridSet(c2, f)).alloc!;
    // the domain SID as ldapsearch prints it (base64), in its S-1-5-21-… text form
    const bin = /^objectSid:: (\S+)/m.exec((await run('ldapsearch', ['-LLL', '-H', f.url, '-x', '-D', f.adminUPN, '-w', PW, '-b', f.baseDN, '-s', 'base', 'objectSid'], undefined, undefined, { timeoutMs: 30_000 })).stdout)?.[1];
    assert.ok(bin, 'the domain head has an objectSid');
    const text = sidToString(Buffer.from(bin, 'base64'));
    const seen = f.hookCount(RID_POOL, (e) => e.ok === true);
    const m = await run('ldapmodify', ['-H', f.url, '-x', '-D', f.adminUPN, '-w', PW], `dn:\nchangetype: modify\nadd: invalidateRidPool\ninvalidateRidPool: ${text}\n`, undefined, { timeoutMs: 30_000 });
    assert.equal(m.code, 0, m.stderr);
    // an inbound replication cycle that ends now does not fetch the new pool ahead of that create
    // (rid-set.ts RidPoolSettings.givenUp): only the create asks for it
    const sync = await runCli(['repl', 'sync', '--data', f.dir], { timeoutMs: 120_000 });
    assert.equal(sync.code, 0, sync.stderr + sync.stdout);
    // the pools are given up: the next create is refused (AD's forest recovery procedure says so too) and starts a request
    const r = await run('ldapadd', ['-H', f.url, '-x', '-D', f.adminUPN, '-w', PW], `dn: CN=inv1,CN=Users,${f.baseDN}\nobjectClass: user\nsAMAccountName: inv1\n`, undefined, { timeoutMs: 30_000 });
    const refusal = ldapToolError(r);
    expectAdError(refusal.code, refusal.diagnostic, AD.NO_RIDS_ALLOCATED);
    await Promise.race([f.hook(RID_POOL, seen + 1, (e) => e.ok === true), deadline(60_000, () => `no new pool on DC2\n${f.log().slice(-2000)}`)]);
    const after = (await ridSet(c2, f)).alloc!;
    assert.notEqual(after, before);
    assert.ok(lo(after) > hi(before), 'a new block, above the one given up');
    await addUser(c2, f, 'inv1');
    const e = (await c2.search(`CN=inv1,CN=Users,${f.baseDN}`, { scope: 'base', attributes: ['objectSid'], explicitBufferAttributes: ['objectSid'] })).searchEntries[0]!;
    const sidBuf = (Array.isArray(e.objectSid) ? e.objectSid[0] : e.objectSid) as Buffer;
    assert.equal(sidBuf.readUInt32LE(sidBuf.length - 4), lo(after), 'the first RID of the new pool');
  } finally {
    await c2.unbind();
  }
});
