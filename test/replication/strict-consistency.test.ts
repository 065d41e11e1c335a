// Strict replication consistency (MS-ADTS 3.1.1.1.15): a DC refuses to replicate an NC in from a
// source whose last successful cycle is older than the tombstone lifetime, with
// ERROR_DS_REPL_LIFETIME_EXCEEDED (8614, 0x21A6); the refusal is the cycle's recorded result,
// shown by `forestd repl show` as msDS-NCReplInboundNeighbors shows it. The DC's clock is the
// test's (Directory's clock), so no time passes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { provision } from '../../src/dsa/provision/provision.js';
import { Directory } from '../../src/dsa/directory.js';
import { replicaContextOf } from '../../src/dsa/replica-context.js';
import { recordCycles } from '../../src/dsa/replica/cycle-status.js';
import { readReplicaState } from '../../src/dsa/replica/state.js';
import { ERROR_DS_REPL_LIFETIME_EXCEEDED, replicationLifetimeRefusal } from '../../src/dsa/replica/strict-consistency.js';
import { tombstoneLifetimeDays } from '../../src/dsa/garbage-collection.js';
import { guidToString } from '../../src/util/guid.js';
import { tempDir } from '../helpers/tmp.js';
import { runCli } from '../helpers/forestd.js';

const DAY = 86_400;
const t = tempDir('forestd-strict-');
after(() => t.cleanup());

test('a source last replicated from longer ago than the tombstone lifetime is refused with 8614; repl show shows the result', { timeout: 180_000 }, async () => {
  const { directory } = await provision({ dataDir: t.dir, realm: 'example.com', netbios: 'EXAMPLE', adminPassword: 'Passw0rd!' });
  await directory.close();
  let now = 13_400_000_000;
  const dir = Directory.open(t.dir, { clock: () => now });
  const ctx = replicaContextOf(dir);
  const nc = Buffer.from(dir.forest.domainNC);
  const src = randomBytes(16);
  const lifetime = tombstoneLifetimeDays(dir);
  assert.equal(lifetime, 180, 'the provisioned Directory Service object says 180 days');
  const refusal = () => replicationLifetimeRefusal(ctx, dir.store.reader, nc, src, lifetime);
  // never replicated from: not refused
  assert.equal(refusal(), undefined);
  await recordCycles(ctx, src, [{ nc, result: 0, objects: 7 }]);
  const t0 = now;
  // negative control: just within the lifetime
  now = t0 + lifetime * DAY;
  assert.equal(refusal(), undefined);
  now = t0 + lifetime * DAY + 1;
  const e = refusal();
  assert.ok(e);
  assert.equal(e.win32, ERROR_DS_REPL_LIFETIME_EXCEEDED);
  assert.equal(e.win32, 8614);
  assert.equal(e.ldapCode, 53);
  await recordCycles(ctx, src, [{ nc, result: e.win32, objects: 0 }]);
  const rf = readReplicaState(dir.store.reader, nc).repsFrom.find((x) => x.uuidDsa.equals(src))!;
  assert.deepEqual([rf.ulResultLastAttempt, rf.cConsecutiveFailures, rf.timeLastSuccess, rf.timeLastAttempt], [8614, 1, t0, now]);
  // a failed cycle does not renew the last success: still refused later
  now += DAY;
  assert.equal(refusal()?.win32, 8614);
  await dir.close();

  const r = await runCli(['repl', 'show', '--data', t.dir, '--json'], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { ncs: { nc: string; inbound: { uuidSourceDsaObjGuid: string; dwLastSyncResult: number; cNumConsecutiveSyncFailures: number }[] }[] };
  const n = s.ncs.find((x) => x.nc.toLowerCase() === 'dc=example,dc=com')!.inbound.find((x) => x.uuidSourceDsaObjGuid === guidToString(src));
  assert.ok(n, r.stdout);
  assert.equal(n.dwLastSyncResult, 8614);
  assert.equal(n.cNumConsecutiveSyncFailures, 1);
  const text = await runCli(['repl', 'show', '--data', t.dir], { timeoutMs: 120_000 });
  assert.match(text.stdout, /failed, result 8614 \(0x21a6\), 1 consecutive failure/);
});
