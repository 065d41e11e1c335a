// An LDAP client over a raw socket that binds with NTLM (SASL GSS-SPNEGO or Sicily) using the
// test initiator (ntlm-client.ts) and, after a GSS-SPNEGO bind with sign/seal, speaks through
// the SASL security layer. For tests that need to tamper with bytes, and for the benchmark.
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { BerReader } from '../../src/ber/reader.js';
import { MessageFramer } from '../../src/ldap/protocol/framer.js';
import { decodeMessage, encodeMessage } from '../../src/ldap/protocol/codec.js';
import type { LdapMessage, ProtocolOp } from '../../src/ldap/protocol/messages.js';
import { NegotiateFlags as F } from '../../src/security/ntlm/constants.js';
import { NTLMSSP_OID, decodeNegTokenResp, encodeNegTokenInit, encodeNegTokenResp } from '../../src/security/spnego.js';
import type { NtlmSessionSecurity } from '../../src/security/ntlm/session-security.js';
import { CLIENT_FLAGS, authenticateMessage, negotiateMessage, type AuthOptions } from './ntlm-client.js';

export interface BindOutcome {
  resultCode: number;
  diagnosticMessage: string;
}

export class LdapNtlmClient {
  private readonly framer = new MessageFramer();
  private inbox: Buffer[] = [];
  private waiters: Array<() => void> = [];
  private saslPending = Buffer.alloc(0);
  private nextId = 1;
  /** the SASL layer installed by the last GSS-SPNEGO bind */
  security: NtlmSessionSecurity | undefined;
  closed = false;

  private constructor(
    readonly socket: net.Socket,
    /** LDAPS: no SASL layer after the bind (MS-ADTS 5.1.2.1) */
    readonly tls = false,
  ) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static async connect(host: string, port: number, useTls = false): Promise<LdapNtlmClient> {
    if (useTls) {
      const s = tls.connect({ host, port, rejectUnauthorized: false });
      await once(s, 'secureConnect');
      return new LdapNtlmClient(s, true);
    }
    const s = net.connect(port, host);
    await once(s, 'connect');
    return new LdapNtlmClient(s);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private onData(d: Buffer): void {
    let plain = d;
    if (this.security) {
      this.saslPending = Buffer.concat([this.saslPending, d]);
      const parts: Buffer[] = [];
      while (this.saslPending.length >= 4) {
        const len = this.saslPending.readUInt32BE(0);
        if (this.saslPending.length < 4 + len) break;
        parts.push(this.security.unwrap(this.saslPending.subarray(4, 4 + len)));
        this.saslPending = this.saslPending.subarray(4 + len);
      }
      plain = Buffer.concat(parts);
    }
    for (const pdu of this.framer.push(plain)) this.inbox.push(Buffer.from(pdu));
    this.wake();
  }

  /** The next PDU from the server (raw), or null once the connection has closed. */
  async nextPdu(): Promise<Buffer | null> {
    while (this.inbox.length === 0) {
      if (this.closed) return null;
      await new Promise<void>((r) => this.waiters.push(r));
    }
    return this.inbox.shift()!;
  }

  /** Sends raw LDAP bytes, wrapped when a layer is on; `tamper` flips a byte of the wrapped buffer. */
  sendRaw(pdu: Buffer, tamper = false): void {
    if (!this.security) {
      this.socket.write(pdu);
      return;
    }
    const w = this.security.wrap(pdu);
    if (tamper) w[w.length - 1]! ^= 0x01;
    const h = Buffer.alloc(4);
    h.writeUInt32BE(w.length);
    this.socket.write(Buffer.concat([h, w]));
  }

  send(op: ProtocolOp, tamper = false): number {
    const id = this.nextId++;
    this.sendRaw(encodeMessage({ messageID: id, protocolOp: op } as LdapMessage), tamper);
    return id;
  }

  async response(): Promise<LdapMessage | null> {
    const p = await this.nextPdu();
    return p ? decodeMessage(p) : null;
  }

  /** SASL GSS-SPNEGO bind with NTLMSSP; installs the security layer when sign/seal were negotiated. */
  async spnegoBind(o: AuthOptions & { flags?: number }): Promise<BindOutcome> {
    const neg = negotiateMessage(o.flags ?? CLIENT_FLAGS);
    const { token, mechTypesDer } = encodeNegTokenInit([NTLMSSP_OID], neg);
    this.send({ type: 'bindRequest', version: 3, name: '', authentication: { method: 'sasl', mechanism: 'GSS-SPNEGO', credentials: token } });
    let r = (await this.response())!.protocolOp as { resultCode: number; diagnosticMessage: string; serverSaslCreds?: Buffer };
    if (r.resultCode !== 14) return r;
    const challenge = decodeNegTokenResp(r.serverSaslCreds!).responseToken!;
    const client = authenticateMessage(neg, challenge, { mic: true, ...o });
    const mic = client.security?.sign(mechTypesDer);
    this.send({ type: 'bindRequest', version: 3, name: '', authentication: { method: 'sasl', mechanism: 'GSS-SPNEGO', credentials: encodeNegTokenResp({ responseToken: client.message, ...(mic ? { mechListMIC: mic } : {}) }) } });
    r = (await this.response())!.protocolOp as typeof r;
    if (r.resultCode === 0 && client.security && !this.tls) {
      const final = decodeNegTokenResp(r.serverSaslCreds!);
      client.security.verify(mechTypesDer, final.mechListMIC!);
      client.security.reset(false);
      this.security = client.security;
    }
    return r;
  }

  /** Sicily NTLM bind (MS-ADTS 5.1.1.1.3): sicilyNegotiate then sicilyResponse; no security layer. */
  async sicilyBind(o: AuthOptions & { flags?: number }): Promise<BindOutcome> {
    const neg = negotiateMessage((o.flags ?? CLIENT_FLAGS) & ~(F.SIGN | F.SEAL | F.KEY_EXCH));
    this.send({ type: 'bindRequest', version: 3, name: 'NTLM', authentication: { method: 'other', tag: 0x8a, value: neg } });
    const pdu = (await this.nextPdu())!;
    // SicilyBindResponse: messageID, [APPLICATION 1] { resultCode, serverCreds OCTET STRING, errorMessage }
    const rd = new BerReader(pdu);
    rd.enter(0x30);
    rd.readInt();
    rd.enter(0x61);
    const code = rd.readEnumerated();
    const creds = Buffer.from(rd.readOctetString());
    if (code !== 0) return { resultCode: code, diagnosticMessage: rd.readString() };
    const client = authenticateMessage(neg, creds, o);
    this.send({ type: 'bindRequest', version: 3, name: 'NTLM', authentication: { method: 'other', tag: 0x8b, value: client.message } });
    return (await this.response())!.protocolOp as BindOutcome;
  }

  close(): void {
    this.socket.destroy();
  }
}
