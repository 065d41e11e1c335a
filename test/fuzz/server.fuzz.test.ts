// Random and mutated BER thrown at a real forestd for a bounded time: the process never
// crashes or hangs, and another client keeps being served throughout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import fc from 'fast-check';
import { Client } from 'ldapts';
import { startForestd, type RunningForestd } from '../helpers/forestd.js';
import { encodeMessage } from '../../src/ldap/protocol/codec.js';
import { parseFilter } from '../../src/ldap/protocol/filter-string.js';
import type { LdapMessage } from '../../src/ldap/protocol/messages.js';

let f: RunningForestd;
before(async () => {
  f = await startForestd();
});
after(async () => {
  await f?.stop();
});

/** Valid requests to mutate: a bind first (so later PDUs reach the directory), then real operations. */
function seeds(): Buffer[] {
  const base = f.baseDN;
  const msgs: LdapMessage[] = [
    { messageID: 1, protocolOp: { type: 'bindRequest', version: 3, name: f.adminDN, authentication: { method: 'simple', password: Buffer.from(f.adminPassword) } } },
    { messageID: 2, protocolOp: { type: 'searchRequest', baseObject: base, scope: 2, derefAliases: 0, sizeLimit: 10, timeLimit: 5, typesOnly: false, filter: parseFilter('(&(objectClass=user)(|(sAMAccountName=adm*)(memberOf:1.2.840.113556.1.4.1941:=CN=Domain Admins,CN=Users,' + base + ')))'), attributes: ['cn', 'memberOf', 'member;range=0-5'] } },
    { messageID: 3, protocolOp: { type: 'addRequest', entry: `CN=fz,CN=Users,${base}`, attributes: [{ type: 'objectClass', values: [Buffer.from('user')] }, { type: 'description', values: [Buffer.from('x')] }] } },
    { messageID: 4, protocolOp: { type: 'modifyRequest', object: `CN=fz,CN=Users,${base}`, changes: [{ operation: 2, modification: { type: 'description', values: [Buffer.from('y')] } }] } },
    { messageID: 5, protocolOp: { type: 'modifyDNRequest', entry: `CN=fz,CN=Users,${base}`, newrdn: 'CN=fz2', deleteoldrdn: true } },
    { messageID: 6, protocolOp: { type: 'compareRequest', entry: f.adminDN, attributeDesc: 'sAMAccountName', assertionValue: Buffer.from('Administrator') } },
    { messageID: 7, protocolOp: { type: 'delRequest', entry: `CN=fz2,CN=Users,${base}` } },
    { messageID: 8, protocolOp: { type: 'searchRequest', baseObject: '', scope: 0, derefAliases: 0, sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: parseFilter('(objectClass=*)'), attributes: [] } },
  ];
  return msgs.map((m) => encodeMessage(m));
}

/** Sends bytes on a fresh connection; resolves when the server closes it or after a short wait. */
function throwAt(bytes: Buffer[]): Promise<void> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port: f.port });
    const done = () => {
      clearTimeout(t);
      s.destroy();
      resolve();
    };
    const t = setTimeout(done, 300);
    s.on('error', done);
    s.on('close', done);
    s.on('data', () => {});
    s.on('connect', () => {
      for (const b of bytes) s.write(b);
    });
  });
}

test('random and mutated PDUs never crash or stall forestd', { timeout: 120_000 }, async () => {
  const monitor = new Client({ url: f.url, timeout: 10_000 });
  await monitor.bind(f.adminDN, f.adminPassword);
  const s = seeds();
  let monitorOk = 0;
  let stop = false;
  const watch = (async () => {
    while (!stop) {
      const r = await monitor.search(f.baseDN, { scope: 'base', attributes: ['name'] });
      assert.equal(r.searchEntries.length, 1);
      monitorOk++;
      await new Promise((x) => setTimeout(x, 50));
    }
  })();
  const deadline = Date.now() + 15_000; // bounded: the run stops itself
  const mutation = fc.record({
    pdus: fc.array(fc.nat(s.length - 1), { minLength: 1, maxLength: 6 }),
    flips: fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 8 }),
    cut: fc.option(fc.nat(), { nil: undefined }),
    junk: fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
  });
  await fc.assert(
    fc.asyncProperty(mutation, async (m) => {
      if (Date.now() > deadline) return;
      const bytes = [s[0]!, ...m.pdus.map((i) => Buffer.from(s[i]!))];
      const last = bytes[bytes.length - 1]!;
      for (const [pos, val] of m.flips) last[pos % last.length] = val; // mutate the last PDU
      if (m.cut !== undefined) bytes[bytes.length - 1] = last.subarray(0, m.cut % (last.length + 1));
      if (m.junk) bytes.push(Buffer.from(m.junk));
      await throwAt(bytes);
      assert.equal(f.alive(), true, `forestd died:\n${f.log()}`);
    }),
    { numRuns: 400, interruptAfterTimeLimit: 20_000 },
  );
  stop = true;
  await watch;
  await monitor.unbind();
  assert.ok(monitorOk > 10, `the monitor client was served ${monitorOk} times during the run`);
  assert.equal(f.alive(), true);
  assert.match(f.log(), /listening/, 'the server log is being captured (so the next check can fail)');
  assert.doesNotMatch(f.log(), /internal server error|unhandled|TypeError|RangeError/i, 'no exception escaped into the log');
});
