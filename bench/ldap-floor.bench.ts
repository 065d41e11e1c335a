// node dist/bench/ldap-floor.bench.js <port> — the floor under bench:ldap: what Node itself costs
// to serve ldclt, with no directory behind it. A plain TCP server frames LDAPMessages (RFC 4511
// 4.1.1; BER definite lengths, X.690 8.1.3) and answers with canned bytes: a BindRequest with
// BindResponse success, a SearchRequest with one SearchResultEntry (the DN and one attribute) and
// SearchResultDone, an UnbindRequest by closing; anything else is ignored. Only the messageID is
// copied from the request. Prints "listening <port>" once it serves, then runs until killed.
// Used by bench/bind-ab.bench.ts (BIND_AB_SCRIPTS=floor=dist/bench/ldap-floor.bench.js) and to
// compare with bench/ldap-stub.bench.ts (forestd's LDAP layer over a stub DSA) under ldclt.
// Asserts nothing.
import { createServer, type Socket } from 'node:net';

const port = Number(process.argv[2] ?? 3903);

/** BER length octets (X.690 8.1.3.3 short form, 8.1.3.5 long form) */
function len(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v >>>= 8) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}
const tlv = (tag: number, body: number[]): number[] => [tag, ...len(body.length), ...body];
const str = (tag: number, s: string): number[] => tlv(tag, [...Buffer.from(s, 'utf8')]);
const result = [0x0a, 1, 0, ...str(0x04, ''), ...str(0x04, '')]; // LDAPResult: success, no DN, no message
const entry = tlv(0x64, [...str(0x04, 'CN=user1,OU=Bench,DC=example,DC=com'), ...tlv(0x30, tlv(0x30, [...str(0x04, 'cn'), ...tlv(0x31, str(0x04, 'user1'))]))]);

/** one LDAPMessage with the request's messageID bytes (the INTEGER's TLV as it came) */
const message = (id: Buffer, op: number[]): Buffer => {
  const body = Buffer.concat([id, Buffer.from(op)]);
  return Buffer.concat([Buffer.from([0x30, ...len(body.length)]), body]);
};
const bindResponse = tlv(0x61, result);
const searchDone = tlv(0x65, result);

/** header length and content length of the TLV at off, or undefined while incomplete */
function header(b: Buffer, off: number): { h: number; n: number } | undefined {
  if (b.length < off + 2) return undefined;
  const l = b[off + 1]!;
  if (l < 0x80) return { h: 2, n: l };
  const k = l & 0x7f;
  if (b.length < off + 2 + k) return undefined;
  let n = 0;
  for (let i = 0; i < k; i++) n = n * 256 + b[off + 2 + i]!;
  return { h: 2 + k, n };
}

function serve(socket: Socket): void {
  let pending: Buffer = Buffer.alloc(0);
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    const out: Buffer[] = [];
    let off = 0;
    for (;;) {
      const m = header(pending, off);
      if (!m || pending.length < off + m.h + m.n) break;
      const idAt = off + m.h;
      const idLen = 2 + pending[idAt + 1]!; // messageID: INTEGER of at most 4 octets (RFC 4511 4.1.1.1)
      const id = pending.subarray(idAt, idAt + idLen);
      const op = pending[idAt + idLen]!;
      if (op === 0x60) out.push(message(id, bindResponse));
      else if (op === 0x63) out.push(message(id, entry), message(id, searchDone));
      else if (op === 0x42) {
        socket.end();
        return;
      }
      off += m.h + m.n;
    }
    pending = pending.subarray(off);
    if (out.length) socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
  });
}

const server = createServer(serve);
server.listen(port, '127.0.0.1', () => console.log(`listening ${port}`));
