/**
 * CLDAP: LDAP over UDP (RFC 1798 as AD uses it: MS-ADTS 6.3.3, the LDAP ping over UDP port 389). Each datagram carries one LDAPMessage with a SearchRequest; the
 * answer is one datagram holding the SearchResultEntry (if any) followed by the
 * SearchResultDone, as AD sends it. Only anonymous rootDSE reads make sense here (there is no
 * bind over UDP): the request goes to the DirectoryService like any anonymous search, so the
 * LDAP ping gives the same answer over TCP and UDP.
 *
 *   const cldap = new CldapServer({ directory, host: '127.0.0.1', port: 389 });
 *   await cldap.listen();  …  await cldap.close();
 */
import dgram from 'node:dgram';
import { BerWriter } from '../ber/writer.js';
import { decodeMessage, writeMessage } from './protocol/codec.js';
import type { LdapMessage, OutgoingAttribute, SearchRequest } from './protocol/messages.js';
import { LdapError, ResultCode } from './protocol/result-codes.js';
import type { DirectoryService, Session } from '../dsa/api.js';
import { defaultLogger, type Logger } from './logger.js';

export interface CldapServerOptions {
  directory: DirectoryService;
  host?: string;
  port: number;
  logger?: Logger;
  /** MaxDatagramRecv (MS-ADTS 3.1.1.3.4.6, AD default 4096): larger datagrams are dropped */
  maxDatagramRecv?: number;
  /** MaxQueryDuration in seconds for one request */
  maxQueryDuration?: number;
}

export class CldapServer {
  private socket: dgram.Socket | undefined;
  private readonly logger: Logger;
  private pending = new Set<Promise<void>>();

  constructor(private readonly opts: CldapServerOptions) {
    this.logger = opts.logger ?? defaultLogger();
  }

  /** Binds the UDP socket; resolves with the bound address and port. */
  async listen(): Promise<{ address: string; port: number; family: string }> {
    const host = this.opts.host ?? '0.0.0.0';
    const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    this.socket = sock;
    sock.on('message', (msg, rinfo) => {
      const p = this.handle(msg, rinfo).catch((e: unknown) => this.logger.debug('cldap request failed', { error: e instanceof Error ? e.message : String(e) }));
      this.pending.add(p);
      void p.finally(() => this.pending.delete(p));
    });
    sock.on('error', (e) => this.logger.error('cldap socket error', { error: e }));
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind({ address: host, port: this.opts.port }, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    const a = sock.address();
    this.logger.info('listening', { listener: 'cldap', address: a.address, port: a.port });
    return { address: a.address, port: a.port, family: a.family };
  }

  private async handle(buf: Buffer, rinfo: dgram.RemoteInfo): Promise<void> {
    if (buf.length > (this.opts.maxDatagramRecv ?? 4096)) return;
    let msg: LdapMessage;
    try {
      msg = decodeMessage(buf);
    } catch {
      return; // not an LDAPMessage: no answer (there is no session to tell)
    }
    if (msg.protocolOp.type !== 'searchRequest') return;
    const req: SearchRequest = msg.protocolOp;
    const local = this.socket?.address();
    const session: Session = {
      id: 0,
      identity: null,
      encrypted: false,
      globalCatalog: false,
      remoteAddress: `${rinfo.address}:${rinfo.port}`,
      ...(local ? { localAddress: local.address } : {}),
    };
    const entries: { objectName: string; attributes: OutgoingAttribute[] }[] = [];
    let code: number = ResultCode.success;
    let diagnostic = '';
    let matched = '';
    const signal = AbortSignal.timeout((this.opts.maxQueryDuration ?? 120) * 1000);
    try {
      await this.opts.directory.search(req, { session, controls: msg.controls ?? [], signal }, {
        entry: (objectName, attributes) => {
          entries.push({ objectName, attributes });
        },
        reference: () => {},
      });
    } catch (e) {
      if (e instanceof LdapError) {
        code = e.resultCode;
        diagnostic = e.diagnosticMessage;
        matched = e.matchedDN;
      } else {
        code = ResultCode.other;
        diagnostic = 'internal error';
        this.logger.error('cldap search failed', { error: e });
      }
    }
    const w = new BerWriter(512);
    for (const e of entries) writeMessage(w, { messageID: msg.messageID, protocolOp: { type: 'searchResultEntry', objectName: e.objectName, attributes: e.attributes } });
    writeMessage(w, { messageID: msg.messageID, protocolOp: { type: 'searchResultDone', resultCode: code, matchedDN: matched, diagnosticMessage: diagnostic } });
    const out = w.toBuffer();
    await new Promise<void>((resolve) => this.socket?.send(out, rinfo.port, rinfo.address, () => resolve()) ?? resolve());
  }

  async close(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    await Promise.allSettled([...this.pending]);
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
