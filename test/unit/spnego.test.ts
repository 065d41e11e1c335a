// SPNEGO DER (RFC 4178), the SASL buffer framing (RFC 4422 3.7), and hostile input to the NTLM
// bind paths: whatever the bytes, a bind answers with an LDAP error, never another exception.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { NTLMSSP_OID, KRB5_OID, NegState, SpnegoError, decodeInitiatorToken, decodeNegTokenResp, encodeNegTokenInit, encodeNegTokenResp, encodeOid, decodeOid } from '../../src/security/spnego.js';
import { SaslReceiver, wrapForSend } from '../../src/ldap/sasl/security-layer.js';
import { NtlmSessionSecurity, NtlmError } from '../../src/security/ntlm/index.js';
import { LdapError } from '../../src/ldap/protocol/result-codes.js';
import { bind } from '../../src/dsa/bind.js';
import { encodeMessage } from '../../src/ldap/protocol/codec.js';
import type { Directory } from '../../src/dsa/directory.js';
import { fixture, ctx } from './dsa-fixture.js';
import { CLIENT_FLAGS, authenticateMessage, negotiateMessage } from '../helpers/ntlm-client.js';

test('OIDs: NTLMSSP 1.3.6.1.4.1.311.2.2.10 is 06 0a 2b 06 01 04 01 82 37 02 02 0a', () => {
  assert.equal(encodeOid(NTLMSSP_OID).toString('hex'), '060a2b06010401823702020a');
  assert.equal(decodeOid(encodeOid(KRB5_OID).subarray(2)), KRB5_OID);
});

test('NegTokenInit: mechTypes, their exact DER, mechToken; NegTokenResp round trip', () => {
  const { token, mechTypesDer } = encodeNegTokenInit([KRB5_OID, NTLMSSP_OID], Buffer.from('tok'));
  const t = decodeInitiatorToken(token);
  assert.equal(t.kind, 'init');
  if (t.kind !== 'init') return;
  assert.deepEqual(t.mechTypes, [KRB5_OID, NTLMSSP_OID]);
  assert.deepEqual(t.mechTypesDer, mechTypesDer);
  assert.equal(mechTypesDer[0], 0x30);
  assert.deepEqual(t.mechToken, Buffer.from('tok'));
  const resp = encodeNegTokenResp({ negState: NegState.acceptIncomplete, supportedMech: NTLMSSP_OID, responseToken: Buffer.from('ch'), mechListMIC: Buffer.alloc(16, 1) });
  assert.deepEqual(decodeNegTokenResp(resp), { kind: 'resp', negState: 1, supportedMech: NTLMSSP_OID, responseToken: Buffer.from('ch'), mechListMIC: Buffer.alloc(16, 1) });
});

test('random bytes never decode into anything but a token or SpnegoError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      try {
        decodeInitiatorToken(Buffer.from(b));
      } catch (e) {
        assert.ok(e instanceof SpnegoError, String(e));
      }
    }),
    { numRuns: 2000 },
  );
});

test('SASL buffers: any chunking of the stream unwraps to the same bytes; a bad buffer throws', () => {
  const key = Buffer.alloc(16, 9);
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 50 }), (msgs, cut) => {
      const client = new NtlmSessionSecurity(CLIENT_FLAGS, key, 'client');
      const server = new NtlmSessionSecurity(CLIENT_FLAGS, key, 'server');
      const wire = Buffer.concat(msgs.map((m) => wrapForSend(client, Buffer.from(m))));
      const rx = new SaslReceiver(server, 1 << 20);
      const got: Buffer[] = [];
      for (let i = 0; i < wire.length; i += cut) got.push(rx.push(wire.subarray(i, i + cut)));
      assert.deepEqual(Buffer.concat(got), Buffer.concat(msgs.map((m) => Buffer.from(m))));
    }),
    { numRuns: 200 },
  );
  const client = new NtlmSessionSecurity(CLIENT_FLAGS, key, 'client');
  const server = new NtlmSessionSecurity(CLIENT_FLAGS, key, 'server');
  const wire = wrapForSend(client, Buffer.from('hello'));
  wire[wire.length - 2]! ^= 0x40;
  assert.throws(() => new SaslReceiver(server, 1 << 20).push(wire), (e: unknown) => e instanceof NtlmError && e.code === 'ERR_NTLM_BAD_SIGNATURE');
  // negative control: the untampered buffer passes
  const ok = new NtlmSessionSecurity(CLIENT_FLAGS, key, 'server');
  assert.deepEqual(new SaslReceiver(ok, 1 << 20).push(wrapForSend(new NtlmSessionSecurity(CLIENT_FLAGS, key, 'client'), Buffer.from('hello'))), Buffer.from('hello'));
});

let d: Directory;
let close: () => Promise<void>;
before(async () => ({ d, close } = await fixture()));
after(() => close());

test('hostile GSS-SPNEGO and Sicily bind payloads give LDAP errors only', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom<'spnego' | number>('spnego', 0x8a, 0x8b), fc.uint8Array({ maxLength: 120 }), fc.boolean(), async (kind, bytes, prefix) => {
      const c = ctx();
      // an AUTHENTICATE leg needs a NEGOTIATE leg before it, so the hostile bytes reach the parser
      if (kind === 0x8b) await bind(d, { type: 'bindRequest', version: 3, name: '', authentication: { method: 'other', tag: 0x8a, value: negotiateMessage() } }, c);
      const value = Buffer.concat([prefix ? Buffer.from('NTLMSSP\0\x03\0\0\0', 'latin1') : Buffer.alloc(0), Buffer.from(bytes)]);
      const auth = kind === 'spnego' ? { method: 'sasl' as const, mechanism: 'GSS-SPNEGO', credentials: value } : { method: 'other' as const, tag: kind as number, value };
      try {
        await bind(d, { type: 'bindRequest', version: 3, name: '', authentication: auth }, c);
      } catch (e) {
        assert.ok(e instanceof LdapError, String(e));
      }
    }),
    { numRuns: 300 },
  );
});

test('GSS-SPNEGO with Kerberos first: NTLMSSP chosen with request-mic, the initiator MIC required, ours verifiable', async () => {
  const run = async (withMic: boolean) => {
    const c = ctx([], false); // not TLS: a sealed layer is installed
    const { token, mechTypesDer } = encodeNegTokenInit([KRB5_OID, NTLMSSP_OID], Buffer.from('optimistic krb5 token'));
    const sasl = (credentials: Buffer) => bind(d, { type: 'bindRequest', version: 3, name: '', authentication: { method: 'sasl', mechanism: 'GSS-SPNEGO', credentials } }, c);
    const r1 = decodeNegTokenResp((await sasl(token)).serverSaslCreds!);
    assert.deepEqual([r1.negState, r1.supportedMech, r1.responseToken], [NegState.requestMic, NTLMSSP_OID, undefined]);
    const neg = negotiateMessage();
    const r2 = decodeNegTokenResp((await sasl(encodeNegTokenResp({ responseToken: neg }))).serverSaslCreds!);
    const client = authenticateMessage(neg, r2.responseToken!, { user: 'Administrator', domain: 'EXAMPLE', password: 'Passw0rd!', mic: true });
    const mic = client.security!.sign(mechTypesDer);
    const r3 = await sasl(encodeNegTokenResp({ responseToken: client.message, ...(withMic ? { mechListMIC: mic } : {}) }));
    client.security!.verify(mechTypesDer, decodeNegTokenResp(r3.serverSaslCreds!).mechListMIC!);
    return r3;
  };
  const ok = await run(true);
  assert.ok(ok.identity);
  assert.ok(ok.securityLayer?.confidentiality);
  await assert.rejects(run(false), (e: unknown) => e instanceof LdapError && e.resultCode === 49 && /^80090308: /.test(e.diagnosticMessage));
});

test('Sicily package discovery answers NTLM, sent where matchedDN would be (MS-ADTS 5.1.1.1.3 SicilyBindResponse)', async () => {
  const r = await bind(d, { type: 'bindRequest', version: 3, name: '', authentication: { method: 'other', tag: 0x89, value: Buffer.alloc(0) } }, ctx());
  assert.deepEqual(r.sicilyServerCreds, Buffer.from('NTLM'));
  assert.equal(r.identity, null);
  // binary serverCreds survive the encoder byte for byte (a CHALLENGE is not UTF-8)
  const creds = Buffer.from([0x4e, 0xff, 0x00, 0x80]);
  const bytes = encodeMessage({ messageID: 7, protocolOp: { type: 'bindResponse', resultCode: 0, matchedDN: '', diagnosticMessage: '', sicilyServerCreds: creds } });
  assert.equal(bytes.toString('hex'), '3010020107610b0a010004044eff00800400');
});
