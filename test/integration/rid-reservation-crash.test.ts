// RIDs across a crash (MS-ADTS 6.1.5.3: a RID is never issued twice; src/dsa/rid-set.ts), on a
// real forestd driven by ldapts: rIDNextRID is written once per reservation of RIDs, ahead of the
// last RID issued. Killed with SIGKILL while users are being added and restarted, the DC's
// stored rIDNextRID covers every objectSid on disk, the next user gets the RID after it, and no
// RID is held by two users. Negative control: with FORESTD_RID_RESERVE=1 rIDNextRID is the last
// RID issued, with the default it runs ahead of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'ldapts';
import { provisionedData, startForestd, type RunningForestd } from '../helpers/forestd.js';

const provisioned = () => provisionedData('forestd-rid-crash-');

async function bound(f: RunningForestd): Promise<Client> {
  const c = new Client({ url: f.url, timeout: 60_000 });
  await c.bind(f.adminDN, f.adminPassword);
  return c;
}

/** The last 32 bits of an objectSid: its RID. */
const ridOfSid = (sid: Buffer) => sid.readUInt32LE(sid.length - 4);

async function ridOf(c: Client, dn: string): Promise<number> {
  const e = (await c.search(dn, { scope: 'base', attributes: ['objectSid'], explicitBufferAttributes: ['objectSid'] })).searchEntries[0]!;
  return ridOfSid((Array.isArray(e['objectSid']) ? e['objectSid'][0] : e['objectSid']) as Buffer);
}

/** rIDNextRID of DC1's RID Set as stored (what a restarted DC goes on from). */
async function storedNextRid(c: Client, f: RunningForestd): Promise<number> {
  const e = (await c.search(`CN=RID Set,CN=DC1,OU=Domain Controllers,${f.baseDN}`, { scope: 'base', attributes: ['rIDNextRID'] })).searchEntries[0]!;
  return Number(e['rIDNextRID']);
}

/** Every user's RID under CN=Users. */
async function userRids(c: Client, f: RunningForestd): Promise<number[]> {
  const r = await c.search(`CN=Users,${f.baseDN}`, { scope: 'one', filter: '(objectClass=user)', attributes: ['objectSid'], explicitBufferAttributes: ['objectSid'], sizeLimit: 0, paged: { pageSize: 500 } });
  return r.searchEntries.map((e) => ridOfSid((Array.isArray(e['objectSid']) ? e['objectSid'][0] : e['objectSid']) as Buffer));
}

const addUser = (c: Client, f: RunningForestd, name: string) => c.add(`CN=${name},CN=Users,${f.baseDN}`, { objectClass: 'user', sAMAccountName: name });

test('rIDNextRID runs ahead of the last RID issued by a reservation; FORESTD_RID_RESERVE=1 writes it per RID (negative control)', { timeout: 120_000 }, async () => {
  for (const [env, ahead] of [[{}, true], [{ FORESTD_RID_RESERVE: '1' }, false]] as const) {
    const { data, cleanup } = await provisioned();
    const f = await startForestd({ data, env });
    const c = await bound(f);
    try {
      await addUser(c, f, 'first');
      const rid = await ridOf(c, `CN=first,CN=Users,${f.baseDN}`);
      const stored = await storedNextRid(c, f);
      if (ahead) assert.ok(stored > rid, `with the reservation rIDNextRID ${stored} is ahead of the RID issued ${rid}`);
      else assert.equal(stored, rid, 'with a reservation of 1 rIDNextRID is the last RID issued');
    } finally {
      await c.unbind();
      await f.stop();
      cleanup();
    }
  }
});

test('SIGKILL while users are added: the stored rIDNextRID covers every objectSid on disk, the restarted DC goes on after it, no RID is issued twice', { timeout: 300_000 }, async () => {
  const { data, cleanup } = await provisioned();
  try {
    let acked = 0;
    for (let round = 0; round < 3; round++) {
      const f = await startForestd({ data });
      const reader = await bound(f);
      // after the crash: what is on disk
      const rids = await userRids(reader, f);
      assert.ok(rids.length >= acked, `round ${round}: the ${acked} users acknowledged are there (${rids.length})`);
      assert.equal(new Set(rids).size, rids.length, `round ${round}: no RID is held by two users`);
      const stored = await storedNextRid(reader, f);
      const top = Math.max(...rids);
      assert.ok(stored >= top, `round ${round}: rIDNextRID ${stored} covers the highest RID on disk ${top}`);
      // the next user's RID comes after the stored value: RIDs reserved and not issued before the crash are skipped
      await addUser(reader, f, `probe${round}`);
      acked++;
      const probe = await ridOf(reader, `CN=probe${round},CN=Users,${f.baseDN}`);
      if (round > 0) assert.equal(probe, stored + 1, `round ${round}: the first RID after the restart follows rIDNextRID`);
      let stop = false;
      let onAck = () => {};
      const writers = Array.from({ length: 6 }, async (_, k) => {
        const c = await bound(f);
        for (let i = 0; !stop; i++) {
          try {
            await addUser(c, f, `r${round}k${k}i${i}`);
          } catch {
            return; // the server died under us
          }
          acked++;
          onAck();
        }
      });
      // kill at a point of the reservation that differs from round to round
      const target = acked + 120 + Math.floor(Math.random() * 100);
      await new Promise<void>((resolve) => (onAck = () => acked >= target && resolve()));
      process.kill(f.pid, 'SIGKILL');
      stop = true;
      await Promise.all(writers);
      await f.stop();
      reader.unbind().catch(() => {});
    }
    // after the last crash, once more
    const f = await startForestd({ data });
    const c = await bound(f);
    try {
      const rids = await userRids(c, f);
      assert.ok(rids.length >= acked);
      assert.equal(new Set(rids).size, rids.length, 'no RID is held by two users');
      assert.ok((await storedNextRid(c, f)) >= Math.max(...rids));
    } finally {
      await c.unbind();
      await f.stop();
    }
  } finally {
    cleanup();
  }
});
