import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BerReader, BerError, peekElementLength } from '../../src/ber/reader.js';
import { BerWriter } from '../../src/ber/writer.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function berCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof BerError, `expected BerError, got ${String(e)}`);
    return e.code;
  }
  assert.fail('expected a BerError');
}

function encInt(v: number | bigint): string {
  const w = new BerWriter();
  w.writeInt(v);
  return w.toBuffer().toString('hex');
}

test('INTEGER known encodings (X.690 8.3, minimal two\'s complement)', () => {
  assert.equal(encInt(0), '020100');
  assert.equal(encInt(127), '02017f');
  assert.equal(encInt(128), '02020080');
  assert.equal(encInt(256), '02020100');
  assert.equal(encInt(-1), '0201ff');
  assert.equal(encInt(-128), '020180');
  assert.equal(encInt(-129), '0202ff7f');
  assert.equal(encInt(0x7fffffff), '02047fffffff');
  assert.equal(encInt(-0x80000000), '020480000000');
  assert.equal(encInt(0x80000000), '02050080000000');
  assert.equal(encInt(Number.MAX_SAFE_INTEGER), '02071fffffffffffff');
  assert.equal(encInt(-(2n ** 63n)), '02088000000000000000');
  assert.equal(encInt(2n ** 63n - 1n), '02087fffffffffffffff');
  assert.throws(() => encInt(2n ** 63n), BerError);
  assert.throws(() => encInt(1.5), BerError);
});

test('INTEGER decode of known encodings, including negative and non-minimal', () => {
  assert.equal(new BerReader(hex('020480000000')).readInt(), -2147483648);
  assert.equal(new BerReader(hex('02050080000000')).readInt(), 2147483648);
  assert.equal(new BerReader(hex('0203000001')).readInt(), 1); // non-minimal but valid BER
  assert.equal(new BerReader(hex('02088000000000000000')).readBigInt(), -(2n ** 63n));
  assert.equal(berCode(() => new BerReader(hex('02088000000000000000')).readInt()), 'ERR_BER_INTEGER_RANGE');
  assert.equal(berCode(() => new BerReader(hex('0209000000000000000001')).readInt()), 'ERR_BER_INTEGER_TOO_LONG');
  assert.equal(berCode(() => new BerReader(hex('0200')).readInt()), 'ERR_BER_INVALID_INTEGER');
  assert.equal(berCode(() => new BerReader(hex('0201ff')).readUInt31()), 'ERR_BER_INTEGER_RANGE');
  assert.equal(new BerReader(hex('0a0102')).readEnumerated(), 2);
});

test('INTEGER round-trips for every safe integer and 64-bit bigint', () => {
  fc.assert(
    fc.property(fc.maxSafeInteger(), (v) => {
      const w = new BerWriter(16);
      w.writeInt(v);
      const r = new BerReader(w.toBuffer());
      assert.equal(r.readInt(), v);
      assert.ok(r.atEnd());
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => {
      const w = new BerWriter(16);
      w.writeInt(v);
      assert.equal(new BerReader(w.toBuffer()).readBigInt(), v);
    }),
  );
});

test('length forms at the boundaries (X.690 8.1.3)', () => {
  for (const [n, prefix] of [
    [0, '0400'],
    [127, '047f'],
    [128, '048180'],
    [255, '0481ff'],
    [256, '04820100'],
    [65535, '0482ffff'],
    [65536, '0483010000'],
    [0x1000000, '048401000000'],
  ] as const) {
    const w = new BerWriter(4);
    w.writeOctetString(Buffer.alloc(n, 0x61));
    const b = w.toBuffer();
    assert.equal(b.subarray(0, prefix.length / 2).toString('hex'), prefix, `len ${n}`);
    assert.equal(b.length, prefix.length / 2 + n);
    assert.equal(new BerReader(b).readOctetString().length, n);
  }
});

test('back-patched SEQUENCE lengths equal direct encodings', () => {
  const w = new BerWriter(8);
  w.startSequence();
  w.writeOctetString(Buffer.alloc(200, 1));
  w.startSequence(0xa0);
  w.writeBoolean(true);
  w.endSequence();
  w.endSequence();
  const b = w.toBuffer();
  // 30 81 d0 | 04 81 c8 <200 bytes> | a0 03 01 01 ff
  assert.equal(b.subarray(0, 6).toString('hex'), '3081d00481c8');
  assert.equal(b.subarray(206).toString('hex'), 'a0030101ff');
  assert.equal(b.length, 3 + 208);
  assert.throws(() => {
    const u = new BerWriter();
    u.startSequence();
    u.toBuffer();
  });
});

test('nested sequences and strings round-trip (property)', () => {
  type Tree = string | Tree[];
  const tree: fc.Arbitrary<Tree> = fc.letrec<{ t: Tree }>((tie) => ({
    t: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.string({ unit: 'binary', maxLength: 300 }), fc.array(tie('t'), { maxLength: 5 })),
  })).t;
  const write = (w: BerWriter, t: Tree): void => {
    if (typeof t === 'string') return w.writeString(t);
    w.startSequence();
    for (const c of t) write(w, c);
    w.endSequence();
  };
  const read = (r: BerReader): Tree => {
    if (r.peekTag() === 0x04) return r.readString();
    r.enter();
    const out: Tree[] = [];
    while (!r.atEnd()) out.push(read(r));
    r.leaveStrict();
    return out;
  };
  fc.assert(
    fc.property(tree, (t) => {
      const w = new BerWriter(8);
      write(w, t);
      const buf = w.toBuffer();
      const r = new BerReader(buf);
      assert.deepEqual(read(r), t);
      assert.equal(r.pos, buf.length);
      assert.equal(peekElementLength(buf, 0, buf.length), buf.length);
    }),
    { numRuns: 300 },
  );
});

test('non-minimal long-form lengths (as Windows clients send) are accepted', () => {
  const r = new BerReader(hex('308400000005 040361626300'));
  r.enter();
  assert.equal(r.readString(), 'abc');
  assert.ok(r.atEnd());
});

test('BOOLEAN and NULL', () => {
  assert.equal(new BerReader(hex('0101ff')).readBoolean(), true);
  assert.equal(new BerReader(hex('010101')).readBoolean(), true);
  assert.equal(new BerReader(hex('010100')).readBoolean(), false);
  assert.equal(berCode(() => new BerReader(hex('01020000')).readBoolean()), 'ERR_BER_INVALID_BOOLEAN');
  new BerReader(hex('0500')).readNull();
  assert.equal(berCode(() => new BerReader(hex('050100')).readNull()), 'ERR_BER_INVALID_NULL');
  const w = new BerWriter();
  w.writeBoolean(true);
  w.writeBoolean(false);
  w.writeNull(0x42);
  assert.equal(w.toBuffer().toString('hex'), '0101ff0101004200');
});

test('malformed headers raise typed errors', () => {
  assert.equal(berCode(() => new BerReader(hex('3080 0000')).enter()), 'ERR_BER_INDEFINITE_LENGTH');
  assert.equal(berCode(() => new BerReader(hex('30850000000001')).enter()), 'ERR_BER_LENGTH_TOO_LONG');
  assert.equal(berCode(() => new BerReader(hex('30ff')).enter()), 'ERR_BER_LENGTH_TOO_LONG');
  assert.equal(berCode(() => new BerReader(hex('3005 0201')).enter()), 'ERR_BER_LENGTH_OVERFLOW');
  assert.equal(berCode(() => new BerReader(hex('3084ffffffff')).enter()), 'ERR_BER_LENGTH_OVERFLOW');
  assert.equal(berCode(() => new BerReader(hex('3f0100')).readTag()), 'ERR_BER_HIGH_TAG');
  assert.equal(berCode(() => new BerReader(hex('')).readTag()), 'ERR_BER_TRUNCATED');
  assert.equal(berCode(() => new BerReader(hex('30')).enter()), 'ERR_BER_TRUNCATED');
  assert.equal(berCode(() => new BerReader(hex('3082 01')).enter()), 'ERR_BER_TRUNCATED');
  assert.equal(berCode(() => new BerReader(hex('0401 61')).readInt()), 'ERR_BER_UNEXPECTED_TAG');
  // a child may not run past its parent even if the buffer is longer
  assert.equal(
    berCode(() => {
      const r = new BerReader(hex('3003 0403616263'));
      r.enter();
      r.readString();
    }),
    'ERR_BER_LENGTH_OVERFLOW',
  );
  const r = new BerReader(hex('3006 020101 020102'));
  r.enter();
  r.readInt();
  assert.equal(berCode(() => r.leaveStrict()), 'ERR_BER_TRAILING_DATA');
});

test('reader nesting limit', () => {
  let b = Buffer.alloc(0);
  for (let i = 0; i < 20; i++) b = Buffer.concat([Buffer.from([0x30, b.length]), b]);
  const r = new BerReader(b, 0, b.length, 10);
  assert.equal(
    berCode(() => {
      for (;;) r.enter();
    }),
    'ERR_BER_NESTING_TOO_DEEP',
  );
});

test('peekElementLength handles partial headers', () => {
  assert.equal(peekElementLength(hex('30'), 0, 1), -1);
  assert.equal(peekElementLength(hex('3082'), 0, 2), -1);
  assert.equal(peekElementLength(hex('308201'), 0, 3), -1);
  assert.equal(peekElementLength(hex('30820100'), 0, 4), 4 + 256);
  assert.equal(peekElementLength(hex('3005'), 0, 2), 7);
  assert.equal(berCode(() => peekElementLength(hex('3080'), 0, 2)), 'ERR_BER_INDEFINITE_LENGTH');
  assert.equal(berCode(() => peekElementLength(hex('3f'), 0, 1)), 'ERR_BER_HIGH_TAG');
});

test('readers return views into the input (no copies)', () => {
  const buf = hex('0403616263');
  const v = new BerReader(buf).readOctetString();
  assert.equal(v.buffer, buf.buffer);
  assert.equal(v.byteOffset, buf.byteOffset + 2);
});

test('random bytes never raise anything but BerError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const r = new BerReader(Buffer.from(bytes));
      try {
        while (!r.atEnd()) {
          const t = r.peekTag();
          if (t & 0x20) r.enter(t);
          else if (t === 0x02) r.readInt();
          else r.skip();
        }
      } catch (e) {
        assert.ok(e instanceof BerError, String(e));
      }
    }),
    { numRuns: 3000 },
  );
});
