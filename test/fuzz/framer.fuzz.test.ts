import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  MessageFramer,
  decodeMessage,
  encodeMessage,
  BerError,
  LdapProtocolError,
  type LdapMessage,
  type ProtocolOp,
  type Filter,
} from '../../src/ldap/protocol/index.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function plain<T>(v: T): T {
  if (Buffer.isBuffer(v) || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(plain) as T;
  const o: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) o[k] = plain(x);
  return o as T;
}

const s = fc.string({ maxLength: 20 });
const buf = fc.oneof(
  { weight: 5, arbitrary: fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 3000 }).map((n) => Buffer.alloc(n, 0x5a)) },
);
const attr = fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,8}$/);
const filter: fc.Arbitrary<Filter> = fc.letrec<{ f: Filter }>((tie) => ({
  f: fc.oneof(
    { depthSize: 'small' },
    attr.map((attribute): Filter => ({ type: 'present', attribute })),
    fc.tuple(attr, buf).map(([attribute, value]): Filter => ({ type: 'equalityMatch', attribute, value })),
    fc.array(tie('f'), { maxLength: 3 }).map((filters): Filter => ({ type: 'or', filters })),
  ),
})).f;
const op: fc.Arbitrary<ProtocolOp> = fc.oneof(
  fc.record({ type: fc.constant('bindRequest' as const), version: fc.constant(3), name: s, authentication: fc.record({ method: fc.constant('simple' as const), password: buf }) }),
  fc.record({ type: fc.constant('delRequest' as const), entry: s }),
  fc.constant({ type: 'unbindRequest' as const }),
  fc.record({ type: fc.constant('searchResultEntry' as const), objectName: s, attributes: fc.array(fc.record({ type: attr, values: fc.array(buf, { maxLength: 3 }) }), { maxLength: 3 }) }),
  fc.record({ type: fc.constant('searchResultDone' as const), resultCode: fc.integer({ min: 0, max: 80 }), matchedDN: s, diagnosticMessage: s }),
  fc.record({
    type: fc.constant('searchRequest' as const),
    baseObject: s,
    scope: fc.constantFrom(0 as const, 1 as const, 2 as const),
    derefAliases: fc.constant(0 as const),
    sizeLimit: fc.nat(),
    timeLimit: fc.nat(),
    typesOnly: fc.boolean(),
    filter,
    attributes: fc.array(attr, { maxLength: 3 }),
  }),
) as fc.Arbitrary<ProtocolOp>;
const message: fc.Arbitrary<LdapMessage> = fc
  .record({ messageID: fc.integer({ min: 0, max: 0x7fffffff }), protocolOp: op, controls: fc.array(fc.record({ type: fc.constant('1.2.3'), critical: fc.boolean() }), { maxLength: 2 }) })
  .map(plain);

/** Splits `data` at the given (arbitrary) cut points. */
function split(data: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => (data.length ? c % (data.length + 1) : 0)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(data.subarray(prev, p));
    prev = p;
  }
  out.push(data.subarray(prev));
  return out;
}

test('framer yields exactly the sent messages for any chunking (property)', () => {
  fc.assert(
    fc.property(fc.array(message, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 30 }), (msgs, cuts) => {
      const pdus = msgs.map(encodeMessage);
      const stream = Buffer.concat(pdus);
      const framer = new MessageFramer();
      const got: Buffer[] = [];
      for (const chunk of split(stream, cuts)) got.push(...framer.push(chunk));
      assert.equal(framer.bufferedBytes, 0);
      assert.deepEqual(got, pdus);
      assert.deepEqual(got.map(decodeMessage), msgs);
    }),
    { numRuns: 500 },
  );
});

test('byte-at-a-time feeding, including Windows 0x84 lengths', () => {
  const m: LdapMessage = { messageID: 7, protocolOp: { type: 'delRequest', entry: 'cn=x' }, controls: [] };
  const windows = hex('3084 0000000d 020107 4a84 00000004 636e3d78');
  assert.deepEqual(decodeMessage(windows), m);
  const stream = Buffer.concat([windows, encodeMessage(m), windows]);
  const framer = new MessageFramer();
  const msgs: LdapMessage[] = [];
  for (let i = 0; i < stream.length; i++) msgs.push(...framer.pushMessages(stream.subarray(i, i + 1)));
  assert.deepEqual(msgs, [m, m, m]);
});

test('PDUs inside one chunk are zero-copy views of it', () => {
  const a = encodeMessage({ messageID: 1, protocolOp: { type: 'unbindRequest' } });
  const chunk = Buffer.concat([a, a, a.subarray(0, 3)]);
  const framer = new MessageFramer();
  const out = framer.push(chunk);
  assert.equal(out.length, 2);
  for (const p of out) assert.equal(p.buffer, chunk.buffer);
  assert.equal(out[1]!.byteOffset, chunk.byteOffset + a.length);
  assert.equal(framer.bufferedBytes, 3);
  assert.deepEqual(framer.push(a.subarray(3)), [a]);
});

test('MaxReceiveBuffer: oversize PDU rejected from its header alone; failure is sticky', () => {
  const framer = new MessageFramer({ maxPduSize: 1024 });
  assert.equal(framer.maxPduSize, 1024);
  // exactly at the limit is fine: 4-byte header + 1020 content
  const atLimit = Buffer.concat([hex('308203fc'), Buffer.alloc(1020)]);
  assert.equal(framer.push(atLimit.subarray(0, 500)).length, 0);
  assert.equal(framer.push(atLimit.subarray(500)).length, 1);
  let err: unknown;
  try {
    framer.push(hex('308203fd'));
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof LdapProtocolError);
  assert.equal(err.code, 'ERR_LDAP_PDU_TOO_LARGE');
  assert.throws(() => framer.push(hex('3000')), (e: unknown) => e === err);
  framer.reset();
  assert.equal(framer.push(hex('3005 020101 4200')).length, 1);

  // header split across chunks, announcing 256 MiB: no body needed to fail
  const f2 = new MessageFramer({ maxPduSize: 1 << 20 });
  f2.push(hex('3084'));
  assert.throws(() => f2.push(hex('10000000')), (e: unknown) => e instanceof BerError && e.code === 'ERR_LDAP_PDU_TOO_LARGE');
});

test('malformed stream headers raise typed errors', () => {
  const code = (bytes: Buffer): string => {
    try {
      new MessageFramer().push(bytes);
    } catch (e) {
      assert.ok(e instanceof BerError, String(e));
      return e.code;
    }
    return 'none';
  };
  assert.equal(code(hex('0401 61')), 'ERR_LDAP_NOT_A_MESSAGE');
  assert.equal(code(hex('3080 020101 4200 0000')), 'ERR_BER_INDEFINITE_LENGTH');
  assert.equal(code(hex('3085 0000000001')), 'ERR_BER_LENGTH_TOO_LONG');
  assert.equal(code(hex('3005 020101 4200 ff')), 'ERR_LDAP_NOT_A_MESSAGE'); // garbage after a valid PDU
  assert.equal(code(hex('3003 02')), 'none'); // merely incomplete
});

/** Runs fn counting the bytes copied by Buffer.concat and Buffer#copy (the framer's only copies). */
function bytesCopied<T>(fn: () => T): { result: T; bytes: number } {
  const concat = Buffer.concat;
  const copy = Buffer.prototype.copy;
  let bytes = 0;
  Buffer.concat = function (list: readonly Uint8Array[], total?: number) {
    const r = concat.call(Buffer, list, total);
    bytes += r.length;
    return r;
  } as typeof Buffer.concat;
  Buffer.prototype.copy = function (this: Buffer, ...args: Parameters<Buffer['copy']>) {
    const n = copy.apply(this, args);
    bytes += n;
    return n;
  };
  try {
    return { result: fn(), bytes };
  } finally {
    Buffer.concat = concat;
    Buffer.prototype.copy = copy;
  }
}

// Linear work, counted (not timed): a PDU that arrives in pieces is copied once, PDUs that
// arrive whole are not copied at all. Copying the pending bytes on every push (quadratic) would
// copy ~34 GB here.
test('linear work: 2 MiB PDU in 64-byte chunks is copied once, 20k PDUs in one chunk never', () => {
  const big = encodeMessage({
    messageID: 1,
    protocolOp: { type: 'searchResultEntry', objectName: 'cn=x', attributes: [{ type: 'jpegPhoto', values: [Buffer.alloc(2 << 20, 1)] }] },
  });
  const framer = new MessageFramer({ maxPduSize: 4 << 20 });
  const chunks = Math.ceil(big.length / 64);
  const b = bytesCopied(() => {
    let n = 0;
    for (let i = 0; i < big.length; i += 64) n += framer.push(big.subarray(i, i + 64)).length;
    return n;
  });
  assert.equal(b.result, 1);
  // the PDU once, plus the header peeked from the first pieces (at most 16 bytes per push)
  assert.ok(b.bytes <= big.length + 16 * chunks, `copied ${b.bytes} bytes for a ${big.length}-byte PDU in ${chunks} chunks`);
  const small = encodeMessage({ messageID: 5, protocolOp: { type: 'abandonRequest', messageID: 4 } });
  const many = Buffer.concat(Array.from({ length: 20000 }, () => small));
  const m = bytesCopied(() => framer.push(many));
  assert.equal(m.result.length, 20000);
  assert.equal(m.bytes, 0, 'whole PDUs are views of the chunk');
});

function onlyBerErrors(chunks: Buffer[]): void {
  const framer = new MessageFramer({ maxPduSize: 1 << 16 });
  try {
    for (const c of chunks) framer.pushMessages(c);
  } catch (e) {
    assert.ok(e instanceof BerError, `non-typed error: ${String(e)}`);
  }
}

test('random bytes through framer + decoder raise only BerError (fuzz)', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)), { maxLength: 6 }), onlyBerErrors),
    { numRuns: 5000 },
  );
  // random bytes behind a plausible SEQUENCE header, to reach the decoder
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), (body) => {
      const b = Buffer.from(body);
      onlyBerErrors([Buffer.concat([Buffer.from([0x30, b.length < 128 ? b.length : 0x81, ...(b.length < 128 ? [] : [b.length])]), b])]);
    }),
    { numRuns: 5000 },
  );
});

test('mutated valid PDU streams raise only BerError (fuzz)', () => {
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('del' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('ins' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  );
  fc.assert(
    fc.property(fc.array(message, { minLength: 1, maxLength: 3 }), fc.array(mutation, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 5 }), (msgs, muts, cuts) => {
      const bytes = [...Buffer.concat(msgs.map(encodeMessage))];
      for (const m of muts) {
        const at = bytes.length ? m.at % bytes.length : 0;
        if (m.kind === 'set') bytes[at] = m.byte;
        else if (m.kind === 'del') bytes.splice(at, 1);
        else bytes.splice(at, 0, m.byte);
      }
      onlyBerErrors(split(Buffer.from(bytes), cuts));
    }),
    { numRuns: 3000 },
  );
});
