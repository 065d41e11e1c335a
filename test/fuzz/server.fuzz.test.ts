// Random and mutated BER thrown at a real forestd, a fixed number of runs (fixed seed; more with
// FORESTD_PROPERTY_RUNS): the process never crashes or hangs, another client is served after
// every run, and the server logs no error of any kind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import fc from 'fast-check';
import { Client } from 'ldapts';
import { startForestd, type RunningForestd } from '../helpers/forestd.js';
import { propertyParams } from '../helpers/property.js';
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

/**
 * Sends bytes on a fresh connection, then half-closes it; resolves when the connection has closed.
 * No timer decides the outcome: a connection that does not close within 30 s fails the run.
 */
function throwAt(bytes: Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: f.port });
    const deadline = setTimeout(() => {
      s.destroy();
      reject(new Error('the connection did not close within 30 s'));
    }, 30_000);
    s.on('error', () => {}); // a reset by the server is an outcome, not a failure; 'close' follows
    s.on('close', () => {
      clearTimeout(deadline);
      resolve();
    });
    s.on('data', () => {});
    s.on('connect', () => {
      for (const b of bytes) s.write(b);
      s.end();
    });
  });
}

test('random and mutated PDUs never crash or stall forestd', async () => {
  const monitor = new Client({ url: f.url, timeout: 30_000 });
  await monitor.bind(f.adminDN, f.adminPassword);
  const s = seeds();
  const mutation = fc.record({
    pdus: fc.array(fc.nat(s.length - 1), { minLength: 1, maxLength: 6 }),
    flips: fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 8 }),
    cut: fc.option(fc.nat(), { nil: undefined }),
    junk: fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
  });
  const params = propertyParams(400);
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(mutation, async (m) => {
      runs++;
      const bytes = [s[0]!, ...m.pdus.map((i) => Buffer.from(s[i]!))];
      const last = bytes[bytes.length - 1]!;
      for (const [pos, val] of m.flips) last[pos % last.length] = val; // mutate the last PDU
      if (m.cut !== undefined) bytes[bytes.length - 1] = last.subarray(0, m.cut % (last.length + 1));
      if (m.junk) bytes.push(Buffer.from(m.junk));
      await throwAt(bytes);
      assert.equal(f.alive(), true, `forestd died:\n${f.log()}`);
      // not wedged: another client is served after every run
      const r = await monitor.search(f.baseDN, { scope: 'base', attributes: ['name'] });
      assert.equal(r.searchEntries.length, 1);
    }),
    params,
  );
  assert.equal(runs, params.numRuns, 'every run was a real run');
  await monitor.unbind();
  assert.equal(f.alive(), true);
  assert.match(f.log(), /listening/, 'the server log is being captured (so the next check can fail)');
  // Nothing but info/debug records: an internal error of any class ("operation failed … error=…"),
  // a warning, a stack trace or an unhandled rejection is a line of another shape.
  const odd = f.log().split('\n').filter((l) => l !== '' && !/^\S+Z (info|debug) ldap: /.test(l));
  assert.deepEqual(odd, [], 'no error, warning or exception in the server log');
});
