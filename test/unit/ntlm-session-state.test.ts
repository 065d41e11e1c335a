// NTLM session security handed to another process (src/dsa/workers/process-pool.ts): a context's
// state exported after some traffic, carried by structured clone (as child_process IPC with
// serialization 'advanced' does), goes on exactly where the original stood, both directions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deserialize, serialize } from 'node:v8';
import { NtlmSessionSecurity, NtlmError, NegotiateFlags as F } from '../../src/security/ntlm/index.js';
import { Rc4 } from '../../src/security/rc4.js';

const KEY = Buffer.alloc(16, 0x55);
// MS-NLMP 4.2.4: the challenge flags 33 82 8a e2 (extended session security, sign, seal, key exchange)
const FLAGS = 0xe28a8233;
const clone = <T>(x: T): T => deserialize(serialize(x)) as T;

test('RC4: a keystream rebuilt from its exported state goes on with the same bytes', () => {
  const a = new Rc4(Buffer.from('Key'));
  a.transform(Buffer.from('first part'));
  const b = Rc4.fromState(clone(a.exportState()));
  assert.deepEqual(b.transform(Buffer.from('the rest')), a.transform(Buffer.from('the rest')));
  // negative control: a fresh keystream under the same key does not
  const fresh = new Rc4(Buffer.from('Key'));
  const a2 = new Rc4(Buffer.from('Key'));
  a2.transform(Buffer.from('first part'));
  assert.notDeepEqual(fresh.transform(Buffer.from('the rest')), a2.transform(Buffer.from('the rest')));
});

for (const [name, flags] of [
  ['seal', FLAGS],
  ['sign only', (FLAGS & ~F.SEAL) >>> 0],
] as const) {
  test(`NTLM ${name}: the server context exported after a MIC exchange serves the connection from there`, () => {
    const client = new NtlmSessionSecurity(flags, KEY, 'client');
    const server = new NtlmSessionSecurity(flags, KEY, 'server');
    // what a bind does before the layer is installed: each side's MIC (sequence numbers move)
    server.verify(Buffer.from('mechTypes'), client.sign(Buffer.from('mechTypes')));
    client.verify(Buffer.from('mechTypes'), server.sign(Buffer.from('mechTypes')));
    const moved = NtlmSessionSecurity.fromState(clone(server.exportState()));
    assert.equal(moved.confidentiality, server.confidentiality);
    assert.equal(moved.integrity, true);
    for (let i = 0; i < 3; i++) {
      const req = Buffer.from(`request ${i}`);
      assert.deepEqual(moved.unwrap(client.wrap(req)), req);
      const resp = Buffer.from(`response ${i}`);
      assert.deepEqual(client.unwrap(moved.wrap(resp)), resp);
    }
    // negative control: a context made anew from the key (sequence numbers and RC4 at 0) does not verify the client's next PDU
    const anew = new NtlmSessionSecurity(flags, KEY, 'server');
    assert.throws(() => anew.unwrap(client.wrap(Buffer.from('next'))), (e: unknown) => e instanceof NtlmError && e.code === 'ERR_NTLM_BAD_SIGNATURE');
  });
}
