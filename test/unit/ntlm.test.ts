// The NTLM acceptor against MS-NLMP 4.2.4 (NTLMv2 Authentication) test vectors, and
// exchanges with a test initiator: MIC, key exchange, sealing, NTLMv1 refusal, anonymous.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ntowfv2, ntProofStr, sessionBaseKey, sealKey, signKey, NtlmSessionSecurity, encodeAvPairs, NtlmAcceptor, NtlmError, NegotiateFlags as F, AvId, tlsServerEndPointBindings } from '../../src/security/ntlm/index.js';
import { ntHash } from '../../src/security/password.js';
import { rc4, Rc4 } from '../../src/security/rc4.js';
import { authenticateMessage, negotiateMessage, parseChallenge } from '../helpers/ntlm-client.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const u = (s: string) => Buffer.from(s, 'utf16le');

// MS-NLMP 4.2.1 common values
const SERVER_CHALLENGE = hex('01 23 45 67 89 ab cd ef');
const RANDOM_SESSION_KEY = Buffer.alloc(16, 0x55);
// MS-NLMP 4.2.4: the challenge flags 33 82 8a e2
const FLAGS = 0xe28a8233;
// MS-NLMP 4.2.4.1.3 temp: RespType, HiRespType, Z(6), Time 0, ClientChallenge aa×8, Z(4), AV pairs (NetBIOS domain, NetBIOS server), Z(4)
const TEMP = Buffer.concat([hex('0101000000000000'), Buffer.alloc(8), Buffer.alloc(8, 0xaa), Buffer.alloc(4), encodeAvPairs([{ id: AvId.MsvAvNbDomainName, value: u('Domain') }, { id: AvId.MsvAvNbComputerName, value: u('Server') }]), Buffer.alloc(4)]);

test('MS-NLMP 4.2.4.1.1 NTOWFv2 of User/Domain/Password', () => {
  assert.deepEqual(ntowfv2(ntHash('Password'), 'User', 'Domain'), hex('0c 86 8a 40 3b fd 7a 93 a3 00 1e f2 2e f0 2e 3f'));
});

test('MS-NLMP 4.2.4.1.2 session base key and 4.2.4.2.2 NTLMv2 response (NTProofStr)', () => {
  const key = ntowfv2(ntHash('Password'), 'User', 'Domain');
  const proof = ntProofStr(key, SERVER_CHALLENGE, TEMP);
  assert.deepEqual(proof, hex('68 cd 0a b8 51 e5 1c 96 aa bc 92 7b eb ef 6a 1c'));
  assert.deepEqual(sessionBaseKey(key, proof), hex('8d e4 0c ca db c1 4a 82 f1 5c b0 ad 0d e9 5c a3'));
});

test('MS-NLMP 4.2.4.2.3 encrypted session key (RC4 of RandomSessionKey under the key exchange key)', () => {
  const kx = hex('8d e4 0c ca db c1 4a 82 f1 5c b0 ad 0d e9 5c a3');
  assert.deepEqual(rc4(kx, RANDOM_SESSION_KEY), hex('c5 da d2 54 4f c9 79 90 94 ce 1c e9 0b c9 d0 3e'));
  // negative control: a different key gives a different ciphertext
  assert.notDeepEqual(rc4(Buffer.alloc(16, 1), RANDOM_SESSION_KEY), hex('c5 da d2 54 4f c9 79 90 94 ce 1c e9 0b c9 d0 3e'));
});

test('MS-NLMP 4.2.4.4 GSS_WrapEx: SEALKEY, SIGNKEY, sealed data and signature', () => {
  assert.deepEqual(sealKey(FLAGS, RANDOM_SESSION_KEY, 'client'), hex('59 f6 00 97 3c c4 96 0a 25 48 0a 7c 19 6e 4c 58'));
  assert.deepEqual(signKey(RANDOM_SESSION_KEY, 'client'), hex('47 88 dc 86 1b 47 82 f3 5d 43 fd 98 fe 1a 2d 39'));
  const client = new NtlmSessionSecurity(FLAGS, RANDOM_SESSION_KEY, 'client');
  const { sealed, signature } = client.seal(u('Plaintext'));
  assert.deepEqual(sealed, hex('54 e5 01 65 bf 19 36 dc 99 60 20 c1 81 1b 0f 06 fb 5f'));
  assert.deepEqual(signature, hex('01 00 00 00 7f b3 8e c5 c5 5d 49 76 00 00 00 00'));
  // the acceptor side unseals it, and refuses the same bytes once the sequence number has moved on
  const server = new NtlmSessionSecurity(FLAGS, RANDOM_SESSION_KEY, 'server');
  assert.deepEqual(server.unseal(sealed, signature), u('Plaintext'));
  assert.throws(() => server.unseal(sealed, signature), (e: unknown) => e instanceof NtlmError && e.code === 'ERR_NTLM_BAD_SIGNATURE');
});

test('RC4 keeps its stream across calls (one handle per direction)', () => {
  const a = new Rc4(Buffer.from('Key'));
  const whole = rc4(Buffer.from('Key'), Buffer.from('Plaintext'));
  assert.deepEqual(Buffer.concat([a.transform(Buffer.from('Plain')), a.transform(Buffer.from('text'))]), whole);
  // RFC 6229-style check with the classic "Key"/"Plaintext" vector
  assert.deepEqual(whole, hex('bbf316e8d940af0ad3'));
});

const names = { netbiosDomain: 'EXAMPLE', netbiosComputer: 'DC1', dnsDomain: 'example.com', dnsComputer: 'dc1.example.com', dnsTree: 'example.com' };
const acceptor = (o: Partial<ConstructorParameters<typeof NtlmAcceptor>[0]> = {}) => new NtlmAcceptor({ names, now: () => 133_000_000_000_000_000n, ...o });

function exchange(opts: Parameters<typeof authenticateMessage>[2], acc = acceptor()) {
  const neg = negotiateMessage();
  const ch = acc.negotiate(neg);
  const client = authenticateMessage(neg, ch, opts);
  const claim = acc.authenticate(client.message);
  return { acc, ch, client, claim };
}

test('CHALLENGE carries the AV pairs a DC sends and the negotiated flags', () => {
  const acc = acceptor({ serverChallenge: SERVER_CHALLENGE });
  const c = parseChallenge(acc.negotiate(negotiateMessage()));
  assert.deepEqual(c.serverChallenge, SERVER_CHALLENGE);
  assert.equal(c.targetName, 'EXAMPLE');
  assert.deepEqual(c.avPairs.map((p) => p.id), [AvId.MsvAvNbDomainName, AvId.MsvAvNbComputerName, AvId.MsvAvDnsDomainName, AvId.MsvAvDnsComputerName, AvId.MsvAvDnsTreeName, AvId.MsvAvTimestamp]);
  assert.equal(c.avPairs[3]!.value.toString('utf16le'), 'dc1.example.com');
  assert.ok(c.flags & F.EXTENDED_SESSIONSECURITY && c.flags & F.SEAL && c.flags & F.KEY_EXCH && c.flags & F.TARGET_TYPE_DOMAIN);
  assert.equal(c.flags & F.LM_KEY, 0);
});

test('NTLMv2 with MIC and key exchange: verified, same exported key, sealing both ways', () => {
  const { acc, client, claim } = exchange({ user: 'alice', domain: 'EXAMPLE', password: 'S3cret!x', mic: true });
  assert.deepEqual(claim, { anonymous: false, user: 'alice', domain: 'EXAMPLE', workstation: 'WORKSTATION' });
  const ctx = acc.verify(ntHash('S3cret!x'));
  assert.equal(ctx.micPresent, true);
  assert.deepEqual(ctx.exportedSessionKey, client.exportedSessionKey);
  const s = ctx.security!;
  const c = client.security!;
  assert.deepEqual(s.unwrap(c.wrap(Buffer.from('request one'))), Buffer.from('request one'));
  assert.deepEqual(c.unwrap(s.wrap(Buffer.from('response one'))), Buffer.from('response one'));
  // a flipped bit in a sealed token is refused
  const t = c.wrap(Buffer.from('request two'));
  t[t.length - 1]! ^= 0x01;
  assert.throws(() => s.unwrap(t), (e: unknown) => e instanceof NtlmError && e.code === 'ERR_NTLM_BAD_SIGNATURE');
});

test('a wrong password, a missing account and a bad MIC are refused', () => {
  const bad = exchange({ user: 'alice', domain: 'EXAMPLE', password: 'wrong', mic: true });
  assert.throws(() => bad.acc.verify(ntHash('S3cret!x')), (e: unknown) => e instanceof NtlmError && e.code === 'ERR_NTLM_BAD_PROOF');
  const none = exchange({ user: 'nobody', domain: 'EXAMPLE', password: 'x' });
  assert.throws(() => none.acc.verify(undefined), (e: unknown) => e instanceof NtlmError && e.code === 'ERR_NTLM_BAD_PROOF');
  const mic = exchange({ user: 'alice', domain: 'EXAMPLE', password: 'S3cret!x', mic: true, badMic: true });
  assert.throws(() => mic.acc.verify(ntHash('S3cret!x')), (e: unknown) => e instanceof NtlmError && e.code === 'ERR_NTLM_BAD_MIC');
});

test('NTLMv1 is refused; anonymous NTLM is anonymous', () => {
  const acc = acceptor();
  const neg = negotiateMessage();
  const ch = acc.negotiate(neg);
  assert.throws(() => acc.authenticate(authenticateMessage(neg, ch, { user: 'alice', domain: 'EXAMPLE', password: 'x', ntlmv1: true }).message), (e: unknown) => e instanceof NtlmError && e.code === 'ERR_NTLM_V1_REFUSED');
  const anon = exchange({ user: '', domain: '', password: '', anonymous: true });
  assert.equal(anon.claim.anonymous, true);
});

test('channel bindings: a matching hash passes, a different one fails, absence fails only when required', () => {
  const cbt = tlsServerEndPointBindings(Buffer.alloc(32, 7));
  const ok = exchange({ user: 'alice', domain: 'EXAMPLE', password: 'pw', channelBindings: cbt }, acceptor({ channelBindings: cbt }));
  assert.ok(ok.acc.verify(ntHash('pw')));
  const wrong = exchange({ user: 'alice', domain: 'EXAMPLE', password: 'pw', channelBindings: tlsServerEndPointBindings(Buffer.alloc(32, 8)) }, acceptor({ channelBindings: cbt }));
  assert.throws(() => wrong.acc.verify(ntHash('pw')), (e: unknown) => e instanceof NtlmError && e.code === 'ERR_NTLM_BAD_BINDINGS');
  const absent = exchange({ user: 'alice', domain: 'EXAMPLE', password: 'pw' }, acceptor({ channelBindings: cbt }));
  assert.ok(absent.acc.verify(ntHash('pw')));
  const required = exchange({ user: 'alice', domain: 'EXAMPLE', password: 'pw' }, acceptor({ channelBindings: cbt, requireChannelBindings: true }));
  assert.throws(() => required.acc.verify(ntHash('pw')), (e: unknown) => e instanceof NtlmError && e.code === 'ERR_NTLM_BAD_BINDINGS');
});

test('malformed messages raise ERR_NTLM_MALFORMED, never another exception', () => {
  const acc = acceptor();
  assert.throws(() => acc.negotiate(Buffer.from('garbage')), (e: unknown) => e instanceof NtlmError && e.code === 'ERR_NTLM_MALFORMED');
  const acc2 = acceptor();
  const neg = negotiateMessage();
  const ch = acc2.negotiate(neg);
  const m = authenticateMessage(neg, ch, { user: 'a', domain: 'b', password: 'c' }).message;
  m.writeUInt32LE(0xfffff, 24); // NtChallengeResponse offset outside the message
  assert.throws(() => acc2.authenticate(m), (e: unknown) => e instanceof NtlmError && e.code === 'ERR_NTLM_MALFORMED');
});
