// One DRS connection per partner, reused (src/drs/partner-links.ts), over the real TLS
// transport: calls share one handshake; a partner that restarts is reconnected to; a dead
// partner fails fast and does not hold up another; the per-connection call limit is respected.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSelfSignedCertificate } from '../../src/ldap/tls.js';
import { DrsServer, RPC_STATUS, type DrsHandlers } from '../../src/drs/server.js';
import { DrsClient, DrsTlsListener } from '../../src/drs/transport/tls.js';
import { drsKey, type DrsCredentials } from '../../src/drs/transport/auth.js';
import { DrsTransportError } from '../../src/drs/transport/frame.js';
import { PartnerLinks, type PartnerAddress } from '../../src/drs/partner-links.js';
import { ntHash } from '../../src/security/password.js';

const material = createSelfSignedCertificate(['localhost'], ['127.0.0.1']);
const dcs = ['DC1$', 'DC2$'].map((account) => ({ account, dsaGuid: randomBytes(16), hash: ntHash(`${account}-pw`) }));
const keys = new Map(dcs.map((d) => [d.account, drsKey(d.hash, d.account)]));

/** A listener for DC1 that counts the handshakes it answers (keyOf runs once per handshake). */
class Dc1 {
  handshakes = 0;
  held: (() => void)[] = [];
  hold = false;
  waiting: ((n: number) => void) | undefined;
  listener!: DrsTlsListener;
  port = 0;
  async start(port = 0, maxConcurrentCalls = 2): Promise<this> {
    const handlers: DrsHandlers = {
      IDL_DRSReplicaSync: async () => {
        if (this.hold) {
          await new Promise<void>((r) => {
            this.held.push(r);
            this.waiting?.(this.held.length);
          });
        }
        return { result: 0 };
      },
    };
    const d = dcs[0]!;
    const creds: DrsCredentials = {
      account: d.account,
      dsaGuid: d.dsaGuid,
      key: keys.get(d.account)!,
      keyOf: (a) => {
        this.handshakes++;
        return keys.get(a.toUpperCase());
      },
    };
    this.listener = new DrsTlsListener({ server: new DrsServer(handlers), credentials: creds, tls: material, limits: { maxConcurrentCalls } });
    this.port = (await this.listener.listen('127.0.0.1', port)).port;
    return this;
  }
  /** resolves when `n` calls are held in the handler */
  heldCount(n: number): Promise<void> {
    if (this.held.length >= n) return Promise.resolve();
    return new Promise((r) => (this.waiting = (k) => k >= n && r()));
  }
  release(): void {
    this.hold = false;
    for (const r of this.held.splice(0)) r();
  }
}

const dc2 = dcs[1]!;
const clientCreds: DrsCredentials = { account: dc2.account, dsaGuid: dc2.dsaGuid, key: keys.get(dc2.account)!, keyOf: (a) => keys.get(a.toUpperCase()) };
let connects = 0;
const links = (o: { maxCalls?: number; backoffMs?: number } = {}) =>
  new PartnerLinks<PartnerAddress>({
    ...o,
    connect: async (p) => {
      connects++;
      const i = p.address.lastIndexOf(':');
      const client = await DrsClient.connect({ host: p.address.slice(0, i), port: Number(p.address.slice(i + 1)), credentials: clientCreds, expectServerAccount: p.account });
      const { phDrs } = await client.bind({ puuidClientDsa: dc2.dsaGuid, pextClient: null });
      return { client, hDrs: phDrs };
    },
  });
const partner = (port: number): PartnerAddress => ({ dsaGuid: dcs[0]!.dsaGuid.toString('hex'), account: 'DC1$', address: `127.0.0.1:${port}` });
const sync = (l: PartnerLinks<PartnerAddress>, p: PartnerAddress) =>
  l.use(p, async ({ client, hDrs }) => (await client.replicaSync({ hDrs, pmsgSync: { version: 1, msg: { pNC: { Guid: Buffer.alloc(16), Sid: Buffer.alloc(0), StringName: '' }, uuidDsaSrc: dc2.dsaGuid, pszDsaSrc: null, ulOptions: 1 } } })).result);

const open: (PartnerLinks<PartnerAddress> | DrsTlsListener)[] = [];
after(async () => {
  for (const x of open) await x.close();
});

test('calls to one partner share one authenticated connection; without the links each call makes its own', async () => {
  const dc1 = await new Dc1().start();
  open.push(dc1.listener);
  const l = links();
  open.push(l);
  const p = partner(dc1.port);
  for (let i = 0; i < 10; i++) assert.equal(await sync(l, p), 0);
  assert.deepEqual(await Promise.all(Array.from({ length: 8 }, () => sync(l, p))), Array(8).fill(0));
  assert.equal(dc1.handshakes, 1, 'one handshake for 18 calls');
  assert.equal(l.open, 1);
  // negative control: a fresh set of links per call (what the replicator did before) handshakes every time
  for (let i = 0; i < 3; i++) {
    const once = links();
    await sync(once, p);
    await once.close();
  }
  assert.equal(dc1.handshakes, 4);
});

test('a partner that restarts (its listener closed the connection) is connected to again at the next call', async () => {
  const dc1 = await new Dc1().start();
  const l = links();
  open.push(l);
  const p = partner(dc1.port);
  assert.equal(await sync(l, p), 0);
  const port = dc1.port;
  await dc1.listener.close();
  const again = await new Dc1().start(port);
  open.push(again.listener);
  assert.equal(await sync(l, p), 0);
  assert.equal(again.handshakes, 1);
});

test('a dead partner fails fast during its backoff and does not hold up another partner; alive() ends the backoff', async () => {
  const dead = await new Dc1().start();
  const deadPort = dead.port;
  await dead.listener.close();
  const dc1 = await new Dc1().start();
  open.push(dc1.listener);
  const l = links({ backoffMs: 60_000 });
  open.push(l);
  const gone: PartnerAddress = { ...partner(deadPort), dsaGuid: randomBytes(16).toString('hex') };
  const before = connects;
  await assert.rejects(sync(l, gone), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
  assert.equal(connects, before + 1);
  // during the backoff: the same error at once, no new connect
  await assert.rejects(sync(l, gone), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
  assert.equal(connects, before + 1);
  // another partner is served meanwhile
  assert.equal(await sync(l, partner(dc1.port)), 0);
  // the partner called us: it is tried again
  l.alive(gone.dsaGuid);
  await assert.rejects(sync(l, gone));
  assert.equal(connects, before + 3);
});

test('calls beyond maxCalls wait for a free slot instead of meeting RPC_S_SERVER_TOO_BUSY', async () => {
  const dc1 = await new Dc1().start(0, 2);
  open.push(dc1.listener);
  const p = partner(dc1.port);
  const start = async (maxCalls: number) => {
    const l = links({ maxCalls });
    open.push(l);
    await sync(l, p); // connected
    dc1.hold = true;
    return Array.from({ length: 5 }, () => sync(l, p).then((r) => ({ ok: r }) as const, (e: unknown) => ({ err: e }) as const));
  };
  // two calls reach the handler and wait there; the other three wait here for a slot
  const queued = await start(2);
  await dc1.heldCount(2);
  dc1.release();
  const limited = await Promise.all(queued);
  assert.ok(limited.every((x) => 'ok' in x && x.ok === 0), JSON.stringify(limited));
  // negative control: five calls at once on one connection, two allowed by the server: the three
  // beyond the limit are refused while the first two are held
  const all = await start(5);
  await dc1.heldCount(2);
  const unlimited = [...(await Promise.all(all.slice(2)))];
  dc1.release();
  unlimited.push(...(await Promise.all(all.slice(0, 2))));
  const busy = unlimited.filter((x) => 'err' in x && x.err instanceof DrsTransportError && x.err.status === RPC_STATUS.RPC_S_SERVER_TOO_BUSY);
  assert.ok(busy.length > 0, JSON.stringify(unlimited));
});
