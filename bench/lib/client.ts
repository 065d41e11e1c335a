// A minimal pipelining LDAP client on forestd's own codec, for load generation only (the
// integration tests use clients nobody here wrote). One socket, many requests in flight.
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { encodeMessage } from '../../src/ldap/protocol/codec.js';
import { MessageFramer } from '../../src/ldap/protocol/framer.js';
import { decodeMessage } from '../../src/ldap/protocol/codec.js';
import type { Control, LdapMessage, ProtocolOp } from '../../src/ldap/protocol/messages.js';

export class BenchClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (m: LdapMessage[]) => void; reject: (e: Error) => void; got: LdapMessage[] }>();
  private readonly framer = new MessageFramer({ maxPduSize: 64 * 1024 * 1024 });

  private constructor(private readonly sock: Socket) {
    sock.setNoDelay(true);
    sock.on('data', (chunk: Buffer) => {
      for (const pdu of this.framer.push(chunk)) {
        const m = decodeMessage(pdu);
        const p = this.pending.get(m.messageID);
        if (!p) continue;
        p.got.push(m);
        const t = m.protocolOp.type;
        if (t !== 'searchResultEntry' && t !== 'searchResultReference' && t !== 'intermediateResponse') {
          this.pending.delete(m.messageID);
          p.resolve(p.got);
        }
      }
    });
    sock.on('error', () => {}); // 'close' follows and fails what is pending
    sock.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('connection closed'));
      this.pending.clear();
    });
  }

  static open(host: string, port: number): Promise<BenchClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port }, () => resolve(new BenchClient(s)));
      s.once('error', reject);
    });
  }

  /** Over TLS (LDAPS), accepting any certificate: for loading passwords into a local test server. */
  static openTls(host: string, port: number): Promise<BenchClient> {
    return new Promise((resolve, reject) => {
      const s = tlsConnect({ host, port, rejectUnauthorized: false }, () => resolve(new BenchClient(s)));
      s.once('error', reject);
    });
  }

  /** Sends one request; resolves with every response message of it (entries, then the result). */
  request(op: ProtocolOp, controls?: Control[]): Promise<LdapMessage[]> {
    const messageID = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(messageID, { resolve, reject, got: [] });
      this.sock.write(encodeMessage(controls ? { messageID, protocolOp: op, controls } : { messageID, protocolOp: op }));
    });
  }

  /** The result code of the last message of a response. */
  static resultCode(msgs: LdapMessage[]): number {
    return (msgs[msgs.length - 1]!.protocolOp as { resultCode: number }).resultCode;
  }

  async bind(dn: string, password: string): Promise<number> {
    return BenchClient.resultCode(await this.request({ type: 'bindRequest', version: 3, name: dn, authentication: { method: 'simple', password: Buffer.from(password) } }));
  }

  close(): void {
    this.sock.end();
  }

  /** Sends an UnbindRequest (which has no response) and closes. */
  unbind(): void {
    this.sock.end(encodeMessage({ messageID: this.nextId++, protocolOp: { type: 'unbindRequest' } }));
  }
}
