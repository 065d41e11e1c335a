/**
 * The LDAP server layer (src/ldap/server.ts, connection.ts) against real
 * clients: ldapts (npm), OpenLDAP's ldapsearch, and raw sockets for what no
 * well-behaved client sends. The DirectoryService is an in-test fake: this
 * file checks sockets, framing, sequencing, TLS, limits — not directory semantics.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { execFile } from 'node:child_process';
import diagnosticsChannel from 'node:diagnostics_channel';
import { EventEmitter, once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { tempDir } from '../helpers/tmp.js';
import { needTool } from '../helpers/tools.js';
import { Client, InvalidCredentialsError, NoSuchObjectError as ClientNoSuchObject } from 'ldapts';
import { LdapServer, type ListenerOptions } from '../../src/ldap/server.js';
import { createSelfSignedCertificate } from '../../src/ldap/tls.js';
import { silentLogger } from '../../src/ldap/logger.js';
import type { LdapPolicies } from '../../src/ldap/policies.js';
import {
  CanceledError,
  InvalidCredentialsError as ServerInvalidCredentials,
  NoSuchObjectError,
  ResultCode,
} from '../../src/ldap/protocol/result-codes.js';
import { MessageFramer } from '../../src/ldap/protocol/framer.js';
import { decodeMessage, encodeMessage } from '../../src/ldap/protocol/codec.js';
import { NOTICE_OF_DISCONNECTION_OID, START_TLS_OID, WHO_AM_I_OID } from '../../src/ldap/protocol/oids.js';
import type { LdapMessage, ProtocolOp, SearchRequest } from '../../src/ldap/protocol/messages.js';
import type { BindResult, DirectoryService, ExtendedResult, OperationContext, OperationResult, SearchSink } from '../../src/dsa/api.js';

const HOST = '127.0.0.1';
const ADMIN_DN = 'cn=admin,dc=example,dc=com';
const PASSWORD = 'secret';

// ------------------------------------------------------------------ the fake directory

/** Simulated directory latency (the fake's work); no outcome below depends on how long it takes. */
const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    // test-lint-allow sleep: simulated directory latency in the fake, not a wait of the test
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    }, { once: true });
  });

/**
 * Search bases it understands:
 *   ''            (base scope) a rootDSE-like entry
 *   echo=K        one entry cn=K after a random 0-20 ms delay
 *   n=N           N entries cn=I,n=N in order, each with a 500-byte value
 *   sleep=MS      finishes after MS ms (rejects with the abort reason)
 *   wait          sleeps until aborted
 *   gate          waits until the test calls release() (or the signal aborts)
 *   whoami        one entry describing the session
 *   boom          throws a plain Error
 *   missing       throws NoSuchObjectError with a matchedDN
 */
class FakeDirectory implements DirectoryService {
  readonly supportedExtensions = [WHO_AM_I_OID];
  readonly aborts: unknown[] = [];
  emitted = new Map<string, number>();
  order: string[] = [];
  concurrent = 0;
  maxConcurrent = 0;
  /** 'start' (base) when a search begins, 'abort' (reason) when one ends aborted */
  readonly events = new EventEmitter();
  private gates: Array<() => void> = [];
  /** searches started, by base */
  started = new Map<string, number>();

  /** Lets the oldest waiting 'gate' search finish. */
  release(): void {
    this.gates.shift()?.();
  }

  /** Resolves once `n` searches of `base` have started (counting from the fake's creation). */
  startedCount(base: string, n: number): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if ((this.started.get(base) ?? 0) >= n) {
          this.events.off('start', check);
          resolve();
        }
      };
      this.events.on('start', check);
      check();
    });
  }

  async bind(req: Parameters<DirectoryService['bind']>[0], ctx: OperationContext): Promise<BindResult> {
    this.order.push(`bind:${req.name}`);
    if (req.name === '' ) return { identity: null };
    if (req.authentication.method !== 'simple') throw new ServerInvalidCredentials('simple binds only');
    if (req.name === 'cn=slow') {
      await sleep(100, ctx.signal);
      return { identity: null };
    }
    if (req.name !== ADMIN_DN || req.authentication.password.toString() !== PASSWORD) {
      throw new ServerInvalidCredentials('80090308: LdapErr: DSID-0C090447, comment: AcceptSecurityContext error, data 52e, v3839');
    }
    return { identity: { dn: ADMIN_DN, guid: Buffer.alloc(16, 1), isAdmin: true } };
  }

  async search(req: SearchRequest, ctx: OperationContext, sink: SearchSink): Promise<OperationResult> {
    const base = req.baseObject;
    this.order.push(`search:${base}`);
    this.started.set(base, (this.started.get(base) ?? 0) + 1);
    this.events.emit('start', base);
    try {
      if (base === '') {
        await sink.entry('', [
          { type: 'objectClass', values: ['top'] },
          { type: 'namingContexts', values: ['dc=example,dc=com'] },
          { type: 'supportedLDAPVersion', values: ['3'] },
        ]);
        return {};
      }
      const [key, val] = base.split('=') as [string, string | undefined];
      switch (key) {
        case 'echo':
          await sleep(Math.floor(Math.random() * 20), ctx.signal);
          await sink.entry(`cn=${val}`, [{ type: 'cn', values: [val ?? ''] }]);
          return { diagnosticMessage: `echo ${val}` };
        case 'n': {
          const n = Number(val);
          const filler = 'x'.repeat(500);
          for (let i = 0; i < n; i++) {
            if (ctx.signal.aborted) throw ctx.signal.reason;
            const p = sink.entry(`cn=${i},${base}`, [{ type: 'i', values: [String(i)] }, { type: 'filler', values: [filler] }]);
            this.emitted.set(base, i + 1);
            if (p) await p;
          }
          return {};
        }
        case 'sleep':
          this.concurrent++;
          this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
          try {
            await sleep(Number(val), ctx.signal);
          } finally {
            this.concurrent--;
          }
          return {};
        case 'wait':
          await sleep(3_600_000, ctx.signal);
          return {};
        case 'gate':
          this.concurrent++;
          this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
          this.events.emit('concurrent', this.concurrent);
          try {
            await new Promise<void>((resolve, reject) => {
              this.gates.push(resolve);
              ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
            });
          } finally {
            this.concurrent--;
          }
          return {};
        case 'whoami':
          await sink.entry('cn=whoami', [
            { type: 'encrypted', values: [String(ctx.session.encrypted)] },
            { type: 'globalCatalog', values: [String(ctx.session.globalCatalog)] },
            { type: 'localAddress', values: [ctx.session.localAddress ?? 'none'] },
            { type: 'identity', values: [ctx.session.identity?.dn ?? 'anonymous'] },
            { type: 'controls', values: ctx.controls.map((c) => c.type) },
          ]);
          return {};
        case 'badentry':
          // a directory bug: a value the encoder cannot write
          await sink.entry('cn=ok', [{ type: 'cn', values: ['ok'] }]);
          await sink.entry('cn=bad', [{ type: 'cn', values: [null as unknown as string] }]);
          return {};
        case 'badcontrols':
          return { controls: [{ type: '1.2.3', critical: false, value: 42 as unknown as Buffer }] };
        case 'boom':
          throw new Error('kaboom: a bug in the directory');
        case 'missing':
          throw new NoSuchObjectError('0000208D: NameErr: DSID-03100241, problem 2001 (NO_OBJECT)', 'dc=example,dc=com');
        default:
          return {};
      }
    } catch (e) {
      if (ctx.signal.aborted) {
        this.aborts.push(ctx.signal.reason);
        this.events.emit('abort', ctx.signal.reason);
      }
      throw e;
    }
  }

  async add(): Promise<OperationResult> { return {}; }
  async modify(): Promise<OperationResult> { return {}; }
  async modifyDN(): Promise<OperationResult> { return {}; }
  async delete(): Promise<OperationResult> { return {}; }
  async compare(req: Parameters<DirectoryService['compare']>[0]): Promise<boolean> {
    return req.assertionValue.toString() === 'yes';
  }
  async extended(req: Parameters<DirectoryService['extended']>[0], ctx: OperationContext): Promise<ExtendedResult> {
    assert.equal(req.requestName, WHO_AM_I_OID);
    const dn = ctx.session.identity?.dn;
    return { responseValue: Buffer.from(dn ? `dn:${dn}` : '') };
  }
}

// ------------------------------------------------------------------ a raw client

class RawClient {
  readonly socket: net.Socket;
  readonly messages: LdapMessage[] = [];
  readonly closed: Promise<void>;
  private readonly framer = new MessageFramer({ maxPduSize: 1 << 30 });
  private waiters: Array<() => void> = [];

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      for (const pdu of this.framer.push(chunk)) this.messages.push(decodeMessage(Buffer.from(pdu)));
      this.wake();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.on('close', () => { this.wake(); resolve(); }));
  }

  static connect(port: number, localAddress?: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: HOST, port, ...(localAddress ? { localAddress } : {}) }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  send(...msgs: LdapMessage[]): void {
    this.socket.write(Buffer.concat(msgs.map((m) => encodeMessage(m))));
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Waits until a received message satisfies `pred`; fails if the socket closes first (or after a 30 s safety deadline). */
  async waitFor(pred: (m: LdapMessage) => boolean, what: string, ms = 30_000): Promise<LdapMessage> {
    const got = (): string => JSON.stringify(this.messages.map((x) => [x.messageID, x.protocolOp.type]));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${got()}`)), ms);
    });
    try {
      for (;;) {
        const m = this.messages.find(pred);
        if (m) return m;
        if (this.socket.destroyed) throw new Error(`connection closed while waiting for ${what}; got ${got()}`);
        await Promise.race([new Promise<void>((resolve) => this.waiters.push(resolve)), deadline]);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  async notice(): Promise<LdapMessage> {
    return this.waitFor(
      (m) => m.messageID === 0 && m.protocolOp.type === 'extendedResponse' && m.protocolOp.responseName === NOTICE_OF_DISCONNECTION_OID,
      'notice of disconnection',
    );
  }
}

function searchMsg(messageID: number, baseObject: string): LdapMessage {
  return {
    messageID,
    protocolOp: {
      type: 'searchRequest',
      baseObject,
      scope: 0,
      derefAliases: 0,
      sizeLimit: 0,
      timeLimit: 0,
      typesOnly: false,
      filter: { type: 'present', attribute: 'objectClass' },
      attributes: [],
    } as ProtocolOp,
    controls: [],
  };
}

const isDone = (id: number) => (m: LdapMessage): boolean => m.messageID === id && m.protocolOp.type === 'searchResultDone';
const resultCode = (m: LdapMessage): number => (m.protocolOp as { resultCode: number }).resultCode;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, reject) => { t = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms); }),
  ]);
}

async function startServer(
  directory: DirectoryService,
  policies: Partial<LdapPolicies> = {},
  withTls = false,
): Promise<{ server: LdapServer; port: number; ldapsPort: number; gcPort: number; gcTlsPort: number }> {
  const listeners: ListenerOptions[] = [{ host: HOST, port: 0 }];
  if (withTls) {
    listeners.push(
      { host: HOST, port: 0, tls: true },
      { host: HOST, port: 0, globalCatalog: true },
      { host: HOST, port: 0, tls: true, globalCatalog: true },
    );
  }
  const server = new LdapServer({
    directory,
    listeners,
    tls: withTls ? material : undefined,
    policies,
    logger: silentLogger,
  });
  const addrs = await server.listen();
  const find = (t: boolean, gc: boolean): number => addrs.find((a) => a.tls === t && a.globalCatalog === gc)?.port ?? -1;
  return { server, port: find(false, false), ldapsPort: find(true, false), gcPort: find(false, true), gcTlsPort: find(true, true) };
}

// libldap checks the name it canonicalised 'localhost' to (often the machine's host name)
const material = createSelfSignedCertificate([...new Set(['localhost', hostname()])], ['127.0.0.1']);

// ------------------------------------------------------------------ tests

describe('LdapServer', () => {
  const dir = new FakeDirectory();
  let server: LdapServer;
  let port: number;
  let ldapsPort: number;
  let gcPort: number;
  let gcTlsPort: number;
  const clients: Client[] = [];
  const client = (url?: string, tlsOptions?: tls.ConnectionOptions): Client => {
    const c = new Client({ url: url ?? `ldap://${HOST}:${port}`, tlsOptions, timeout: 30_000 });
    clients.push(c);
    return c;
  };

  before(async () => {
    ({ server, port, ldapsPort, gcPort, gcTlsPort } = await startServer(dir, {}, true));
  });
  after(async () => {
    for (const c of clients) await c.unbind().catch(() => {});
    await server.close();
  });

  it('binds listeners on ephemeral ports and reports them', () => {
    const ports = server.addresses.map((a) => a.port);
    assert.equal(ports.length, 4);
    assert.equal(new Set(ports).size, 4);
    assert.ok(ports.every((p) => p > 0));
    assert.deepEqual(server.supportedExtensions, [START_TLS_OID, WHO_AM_I_OID]);
  });

  it('simple bind: accepts the right password, maps LdapError to the result', async () => {
    const c = client();
    await assert.rejects(c.bind(ADMIN_DN, 'wrong'), (e: unknown) => {
      assert.ok(e instanceof InvalidCredentialsError);
      assert.match((e as Error).message, /data 52e/);
      return true;
    });
    await c.bind(ADMIN_DN, PASSWORD);
    const r = await c.search('whoami=1', { scope: 'base' });
    assert.equal(r.searchEntries[0]!['identity'], ADMIN_DN);
    const who = await c.exop(WHO_AM_I_OID);
    assert.equal(who.value, `dn:${ADMIN_DN}`);
  });

  it('answers pipelined searches on one connection under their own messageIDs', async () => {
    const c = client();
    // ldapts opens one socket per call made before it is connected: connect first
    await c.search('echo=warm-up', { scope: 'base' });
    const opened = server.connectionCount;
    const ks = Array.from({ length: 100 }, (_, i) => i);
    const results = await Promise.all(ks.map((k) => c.search(`echo=${k}`, { scope: 'base' })));
    results.forEach((r, k) => {
      assert.equal(r.searchEntries.length, 1);
      assert.equal(r.searchEntries[0]!.dn, `cn=${k}`);
    });
    // entries of one search stay in order while others interleave
    const [big] = await Promise.all([
      c.search('n=300', { scope: 'base' }),
      ...ks.slice(0, 20).map((k) => c.search(`echo=${k}`, { scope: 'base' })),
    ]);
    assert.deepEqual(big.searchEntries.map((e) => e['i']), Array.from({ length: 300 }, (_, i) => String(i)));
    assert.equal(server.connectionCount, opened, 'all on one connection');
  });

  it('turns directory errors into results and keeps the connection', async () => {
    const c = client();
    await assert.rejects(c.search('missing', { scope: 'base' }), (e: unknown) => {
      assert.ok(e instanceof ClientNoSuchObject);
      return true;
    });
    await assert.rejects(c.search('boom', { scope: 'base' }), (e: unknown) => {
      assert.equal((e as { code: number }).code, ResultCode.other);
      assert.doesNotMatch((e as Error).message, /kaboom/); // internals are not leaked
      return true;
    });
    for (const base of ['badentry', 'badcontrols']) {
      await assert.rejects(c.search(base, { scope: 'base' }), (e: unknown) => (e as { code: number }).code === ResultCode.other);
    }
    assert.equal(await c.compare('cn=x', 'cn', 'yes'), true);
    assert.equal(await c.compare('cn=x', 'cn', 'no'), false);
    // RFC 4511 4.12: an unknown extended operation gets protocolError
    await assert.rejects(c.exop('1.2.3.4'), (e: unknown) => (e as { code: number }).code === ResultCode.protocolError);
    const r = await c.search('whoami=1', { scope: 'base' });
    assert.equal(r.searchEntries.length, 1);
  });

  it('raw: matchedDN and diagnosticMessage of an LdapError reach the wire', async () => {
    const raw = await RawClient.connect(port);
    raw.send(searchMsg(7, 'missing'));
    const done = await raw.waitFor(isDone(7), 'searchResultDone 7');
    assert.deepEqual(
      { ...(done.protocolOp as object) },
      { type: 'searchResultDone', resultCode: 32, matchedDN: 'dc=example,dc=com', diagnosticMessage: '0000208D: NameErr: DSID-03100241, problem 2001 (NO_OBJECT)' },
    );
    raw.socket.destroy();
  });

  it('abandon stops an operation and suppresses its response', async () => {
    const raw = await RawClient.connect(port);
    const started = dir.startedCount('wait', (dir.started.get('wait') ?? 0) + 1);
    raw.send(searchMsg(2, 'wait'));
    await started; // running, not queued: the abandon must abort its signal
    const aborted = once(dir.events, 'abort');
    raw.send({ messageID: 3, protocolOp: { type: 'abandonRequest', messageID: 2 }, controls: [] });
    // abandon of an unknown ID is discarded silently (RFC 4511 4.11)
    raw.send({ messageID: 4, protocolOp: { type: 'abandonRequest', messageID: 999 }, controls: [] });
    raw.send(searchMsg(5, 'echo=5'));
    await raw.waitFor(isDone(5), 'search 5');
    // the abandoned search's signal aborted with CanceledError
    const [reason] = await withTimeout(aborted, 30_000, 'abort');
    assert.ok(reason instanceof CanceledError);
    raw.send(searchMsg(6, 'echo=6'));
    await raw.waitFor(isDone(6), 'search 6');
    assert.equal(raw.messages.filter((m) => m.messageID === 2).length, 0);
    assert.equal(raw.messages.filter((m) => m.messageID === 3 || m.messageID === 4).length, 0);
    raw.socket.destroy();
  });

  it('bind waits for outstanding operations, later requests wait for the bind (RFC 4511 4.2.1)', async () => {
    const raw = await RawClient.connect(port);
    dir.order.length = 0;
    raw.send(
      searchMsg(1, 'sleep=150'),
      { messageID: 2, protocolOp: { type: 'bindRequest', version: 3, name: 'cn=slow', authentication: { method: 'simple', password: Buffer.alloc(0) } }, controls: [] },
      searchMsg(3, 'echo=3'),
    );
    await raw.waitFor(isDone(3), 'search 3');
    const ids = raw.messages.map((m) => m.messageID).filter((id) => id !== 0);
    const firstOf = (id: number): number => ids.indexOf(id);
    assert.ok(firstOf(1) < firstOf(2) && firstOf(2) < firstOf(3), `response order ${ids.join(',')}`);
    assert.deepEqual(dir.order.filter((o) => !o.startsWith('search:echo') || o === 'search:echo=3'), ['search:sleep=150', 'bind:cn=slow', 'search:echo=3']);
    raw.socket.destroy();
  });

  it('StartTLS upgrades the connection, then refuses a second StartTLS with operationsError', async () => {
    const c = client();
    const before = await c.search('whoami=1', { scope: 'base' });
    assert.equal(before.searchEntries[0]!['encrypted'], 'false');
    assert.equal(before.searchEntries[0]!['localAddress'], HOST, 'the address the client connected to (asked of the socket when first wanted)');
    await c.startTLS({ ca: [material.cert], servername: 'localhost' });
    await c.bind(ADMIN_DN, PASSWORD);
    const r = await c.search('whoami=1', { scope: 'base' });
    assert.equal(r.searchEntries[0]!['encrypted'], 'true');
    assert.equal(r.searchEntries[0]!['identity'], ADMIN_DN);
    assert.equal(r.searchEntries[0]!['localAddress'], HOST);
    const big = await c.search('n=2000', { scope: 'base' });
    assert.equal(big.searchEntries.length, 2000);
    await assert.rejects(c.startTLS({ ca: [material.cert] }), (e: unknown) => (e as { code: number }).code === ResultCode.operationsError);
    // still usable
    assert.equal((await c.search('echo=1', { scope: 'base' })).searchEntries.length, 1);
  });

  it('raw: StartTLS with an operation outstanding gets operationsError', async () => {
    const raw = await RawClient.connect(port);
    raw.send(searchMsg(1, 'sleep=200'), { messageID: 2, protocolOp: { type: 'extendedRequest', requestName: START_TLS_OID }, controls: [] });
    const resp = await raw.waitFor((m) => m.messageID === 2, 'StartTLS response');
    assert.equal(resultCode(resp), ResultCode.operationsError);
    await raw.waitFor(isDone(1), 'search 1');
    raw.socket.destroy();
  });

  it('LDAPS and the global catalog ports', async () => {
    const s = client(`ldaps://${HOST}:${ldapsPort}`, { ca: [material.cert], servername: 'localhost' });
    const r = await s.search('whoami=1', { scope: 'base' });
    assert.deepEqual([r.searchEntries[0]!['encrypted'], r.searchEntries[0]!['globalCatalog'], r.searchEntries[0]!['localAddress']], ['true', 'false', HOST]);
    const gc = client(`ldap://${HOST}:${gcPort}`);
    const g = await gc.search('whoami=1', { scope: 'base' });
    assert.deepEqual([g.searchEntries[0]!['encrypted'], g.searchEntries[0]!['globalCatalog']], ['false', 'true']);
    const gcs = client(`ldaps://${HOST}:${gcTlsPort}`, { ca: [material.cert], servername: 'localhost' });
    const gs = await gcs.search('whoami=1', { scope: 'base' });
    assert.deepEqual([gs.searchEntries[0]!['encrypted'], gs.searchEntries[0]!['globalCatalog']], ['true', 'true']);
  });

  it('passes request controls through to the directory', async () => {
    const raw = await RawClient.connect(port);
    raw.send({ ...searchMsg(1, 'whoami=1'), controls: [{ type: '1.2.840.113556.1.4.417', critical: true }] });
    const entry = await raw.waitFor((m) => m.messageID === 1 && m.protocolOp.type === 'searchResultEntry', 'entry');
    const attrs = (entry.protocolOp as { attributes: Array<{ type: string; values: Buffer[] }> }).attributes;
    assert.deepEqual(attrs.find((a) => a.type === 'controls')!.values.map(String), ['1.2.840.113556.1.4.417']);
    raw.socket.destroy();
  });

  it('garbage bytes end that connection only, with a protocolError notice', async () => {
    const good = client();
    await good.search('echo=1', { scope: 'base' });
    const raw = await RawClient.connect(port);
    raw.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const n = await raw.notice();
    assert.equal(resultCode(n), ResultCode.protocolError);
    await withTimeout(raw.closed, 30_000, 'close after garbage');
    // a well-framed PDU whose body does not decode (messageID 5, no protocolOp): RFC 4511 4.1.1
    const raw2 = await RawClient.connect(port);
    raw2.socket.write(Buffer.from([0x30, 0x05, 0x02, 0x01, 0x05, 0x04, 0x00]));
    assert.equal(resultCode(await raw2.notice()), ResultCode.protocolError);
    await withTimeout(raw2.closed, 30_000, 'close after bad PDU');
    // a response PDU from the client is not a request
    const raw3 = await RawClient.connect(port);
    raw3.send({ messageID: 9, protocolOp: { type: 'delResponse', resultCode: 0, matchedDN: '', diagnosticMessage: '' }, controls: [] });
    assert.equal(resultCode(await raw3.notice()), ResultCode.protocolError);
    await withTimeout(raw3.closed, 30_000, 'close after response PDU');
    // random bytes, many connections
    for (let i = 0; i < 20; i++) {
      const r = await RawClient.connect(port);
      const junk = Buffer.from(Array.from({ length: 200 }, () => Math.floor(Math.random() * 256)));
      junk[0] = 0x31; // never a valid LDAPMessage start
      r.socket.write(junk);
      await withTimeout(r.closed, 30_000, 'close after random bytes');
    }
    assert.equal((await good.search('echo=2', { scope: 'base' })).searchEntries.length, 1);
  });

  it('a client that does not read does not delay others', async () => {
    // The server says when a connection's socket is full (forestd:ldap:backpressure); the
    // stalled search's end is an operation event. Others must finish while it is held.
    const full: number[] = [];
    const finished: Array<{ connectionId: number; messageID: number; op: string }> = [];
    let sawFull: () => void = () => {};
    const filled = new Promise<void>((r) => (sawFull = r));
    const onFull = (m: unknown): void => {
      full.push((m as { connectionId: number }).connectionId);
      sawFull();
    };
    const onOp = (m: unknown): void => void finished.push(m as never);
    diagnosticsChannel.subscribe('forestd:ldap:backpressure', onFull);
    diagnosticsChannel.subscribe('forestd:ldap:operation', onOp);
    const stalled = await RawClient.connect(port);
    stalled.socket.pause(); // reads nothing: its socket buffers fill and the server must wait for 'drain'
    stalled.socket.removeAllListeners('data');
    let stalledId = -1;
    try {
      stalled.send(searchMsg(1, 'n=50000'));
      await filled;
      stalledId = full[0]!;
      const other = client();
      for (let i = 0; i < 5; i++) {
        const r = await other.search(`echo=${i}`, { scope: 'base' });
        assert.equal(r.searchEntries.length, 1);
      }
    } finally {
      diagnosticsChannel.unsubscribe('forestd:ldap:backpressure', onFull);
      diagnosticsChannel.unsubscribe('forestd:ldap:operation', onOp);
    }
    // … while the stalled search had not finished: held by backpressure, not buffered whole in memory
    assert.ok(!finished.some((e) => e.connectionId === stalledId && e.messageID === 1), 'the stalled search was still running');
    assert.ok(finished.filter((e) => e.connectionId !== stalledId && e.op === 'searchRequest').length >= 5);
    assert.ok((dir.emitted.get('n=50000') ?? 0) < 50000, `emitted ${dir.emitted.get('n=50000')}`);
    // once it reads again, it gets every entry in order
    const framer = new MessageFramer({ maxPduSize: 1 << 30 });
    let entries = 0;
    let lastI = -1;
    let inOrder = true;
    const done = new Promise<number>((resolve) => {
      stalled.socket.on('data', (chunk: Buffer) => {
        for (const pdu of framer.push(chunk)) {
          const m = decodeMessage(pdu);
          if (m.protocolOp.type === 'searchResultEntry') {
            entries++;
            const i = Number(String((m.protocolOp.attributes[0]!.values[0])));
            if (i !== lastI + 1) inOrder = false;
            lastI = i;
          } else if (m.protocolOp.type === 'searchResultDone') resolve(m.protocolOp.resultCode);
        }
      });
      stalled.socket.resume();
    });
    assert.equal(await withTimeout(done, 60_000, 'stalled search completion'), 0);
    assert.equal(entries, 50000);
    assert.ok(inOrder);
    stalled.socket.destroy();
  });

  it('publishes diagnostics_channel events', async () => {
    const ops: Array<{ op: string; messageID: number; resultCode: number }> = [];
    const conns: Array<{ event: string; connectionId: number }> = [];
    const onOp = (m: unknown): void => { ops.push(m as never); };
    const onConn = (m: unknown): void => { conns.push(m as never); };
    diagnosticsChannel.subscribe('forestd:ldap:operation', onOp);
    diagnosticsChannel.subscribe('forestd:ldap:connection', onConn);
    try {
      const raw = await RawClient.connect(port);
      raw.send(searchMsg(11, 'missing'));
      await raw.waitFor(isDone(11), 'search 11');
      const serverClosed = new Promise<void>((resolve) => {
        const onClose = (m: unknown): void => {
          const ev = m as { event: string; connectionId: number };
          if (ev.event === 'close' && conns.some((c) => c.event === 'open' && c.connectionId === ev.connectionId)) {
            diagnosticsChannel.unsubscribe('forestd:ldap:connection', onClose);
            resolve();
          }
        };
        diagnosticsChannel.subscribe('forestd:ldap:connection', onClose);
      });
      raw.send({ messageID: 12, protocolOp: { type: 'unbindRequest' }, controls: [] });
      await withTimeout(raw.closed, 30_000, 'close after unbind');
      await withTimeout(serverClosed, 30_000, 'the server\'s close event');
    } finally {
      diagnosticsChannel.unsubscribe('forestd:ldap:operation', onOp);
      diagnosticsChannel.unsubscribe('forestd:ldap:connection', onConn);
    }
    const ev = ops.find((o) => o.messageID === 11);
    assert.ok(ev);
    assert.equal(ev.op, 'searchRequest');
    assert.equal(ev.resultCode, 32);
    const opened = conns.filter((c) => c.event === 'open');
    assert.equal(opened.length, 1);
    assert.deepEqual(conns.filter((c) => c.connectionId === opened[0]!.connectionId).map((c) => c.event), ['open', 'close']);
  });

  it('ldapsearch (OpenLDAP) reads the root DSE: plain, StartTLS (-ZZ) and LDAPS', async (t) => {
    const tmp = tempDir();
    try {
      const caFile = join(tmp.dir, 'ca.pem');
      writeFileSync(caFile, material.cert);
      const run = (args: string[]) =>
        new Promise<{ code: number; stdout: string; stderr: string; missing: boolean }>((resolve) => {
          execFile('ldapsearch', ['-x', ...args, '-b', '', '-s', 'base'], {
            timeout: 30_000,
            env: { ...process.env, LDAPTLS_CACERT: caFile, LDAPTLS_REQCERT: 'demand', LDAPCONF: '/dev/null', LDAPRC: '/dev/null' },
          }, (err, stdout, stderr) => {
            const code = (err as NodeJS.ErrnoException | null)?.code;
            resolve({ code: err ? (typeof code === 'number' ? code : 1) : 0, stdout, stderr, missing: code === 'ENOENT' });
          });
        });
      if (!needTool(t, 'ldapsearch')) return;
      const plain = await run(['-H', `ldap://${HOST}:${port}`]);
      assert.equal(plain.code, 0, plain.stderr);
      assert.match(plain.stdout, /namingContexts: dc=example,dc=com/);
      const startTls = await run(['-ZZ', '-H', `ldap://localhost:${port}`]);
      assert.equal(startTls.code, 0, startTls.stderr);
      assert.match(startTls.stdout, /namingContexts: dc=example,dc=com/);
      const ldaps = await run(['-H', `ldaps://localhost:${ldapsPort}`]);
      assert.equal(ldaps.code, 0, ldaps.stderr);
      assert.match(ldaps.stdout, /namingContexts: dc=example,dc=com/);
    } finally {
      tmp.cleanup();
    }
  });

  it('limits concurrency per connection to MaxActiveOperationsPerConn and queues the rest', async () => {
    const d = new FakeDirectory();
    const { server: s, port: p } = await startServer(d, { MaxActiveOperationsPerConn: 3 });
    try {
      const raw = await RawClient.connect(p);
      // 12 'gate' searches hold until released, so nothing finishes by itself: the server may
      // never have more than 3 running, and reaches 3 whenever 3 or more remain.
      raw.send(...Array.from({ length: 12 }, (_, i) => searchMsg(i + 1, 'gate')));
      const atLeast = (n: number): Promise<void> =>
        new Promise((resolve) => {
          const check = (): void => {
            if (d.concurrent >= n) {
              d.events.off('concurrent', check);
              resolve();
            }
          };
          d.events.on('concurrent', check);
          check();
        });
      for (let done = 0; done < 12; done++) {
        await atLeast(Math.min(3, 12 - done));
        assert.ok(d.concurrent <= 3, `${d.concurrent} running`);
        d.release();
        assert.equal(resultCode(await raw.waitFor(isDone(done + 1), `search ${done + 1}`)), 0);
      }
      assert.equal(d.maxConcurrent, 3);
      raw.socket.destroy();
    } finally {
      await s.close();
    }
  });
});

describe('LdapServer limits', () => {
  it('MaxReceiveBuffer: an oversized PDU gets a notice of disconnection, others keep working', async () => {
    const { server, port } = await startServer(new FakeDirectory(), { MaxReceiveBuffer: 4096 });
    try {
      const good = new Client({ url: `ldap://${HOST}:${port}` });
      await good.search('echo=1', { scope: 'base' });
      const raw = await RawClient.connect(port);
      // an AddRequest of ~10 kB
      raw.send({
        messageID: 1,
        protocolOp: { type: 'addRequest', entry: 'cn=big', attributes: [{ type: 'description', values: [Buffer.alloc(10_000, 0x61)] }] },
        controls: [],
      });
      const n = await raw.notice();
      assert.equal(resultCode(n), ResultCode.protocolError);
      await withTimeout(raw.closed, 30_000, 'close after oversized PDU');
      assert.equal(raw.messages.filter((m) => m.messageID === 1).length, 0);
      assert.equal((await good.search('echo=2', { scope: 'base' })).searchEntries.length, 1);
      await good.unbind();
    } finally {
      await server.close();
    }
  });

  it('MaxConnIdleTime closes an idle connection with a notice; a busy one stays', async () => {
    const { server, port } = await startServer(new FakeDirectory(), { MaxConnIdleTime: 0.3, InitRecvTimeout: 0.3 });
    try {
      const idle = await RawClient.connect(port);
      idle.send(searchMsg(1, 'echo=1'));
      await idle.waitFor(isDone(1), 'search 1');
      const n = await idle.notice();
      assert.equal(resultCode(n), ResultCode.adminLimitExceeded);
      await withTimeout(idle.closed, 30_000, 'idle close');
      // never sending anything: InitRecvTimeout
      const silent = await RawClient.connect(port);
      await silent.notice();
      await withTimeout(silent.closed, 30_000, 'init recv close');
      // an operation in progress is not idleness
      const busy = await RawClient.connect(port);
      busy.send(searchMsg(1, 'sleep=700'));
      await busy.waitFor(isDone(1), 'long search');
      assert.equal(resultCode(busy.messages.find(isDone(1))!), 0);
      busy.socket.destroy();
    } finally {
      await server.close();
    }
  });

  it('MaxQueryDuration aborts the operation signal with timeLimitExceeded', async () => {
    const dir = new FakeDirectory();
    const { server, port } = await startServer(dir, { MaxQueryDuration: 0.2 });
    try {
      const raw = await RawClient.connect(port);
      raw.send(searchMsg(1, 'wait'));
      const done = await raw.waitFor(isDone(1), 'timed-out search');
      assert.equal(resultCode(done), ResultCode.timeLimitExceeded);
      raw.socket.destroy();
    } finally {
      await server.close();
    }
  });

  it('MaxConnections refuses excess connections with a busy notice', async () => {
    const { server, port } = await startServer(new FakeDirectory(), { MaxConnections: 2 });
    const closes = new EventEmitter();
    const onConn = (m: unknown): void => void ((m as { event: string }).event === 'close' && closes.emit('close', m));
    diagnosticsChannel.subscribe('forestd:ldap:connection', onConn);
    try {
      const a = await RawClient.connect(port);
      const b = await RawClient.connect(port);
      a.send(searchMsg(1, 'echo=1'));
      b.send(searchMsg(1, 'echo=1'));
      await a.waitFor(isDone(1), 'a');
      await b.waitFor(isDone(1), 'b');
      const c = await RawClient.connect(port);
      assert.equal(resultCode(await c.notice()), ResultCode.busy);
      await withTimeout(c.closed, 30_000, 'refused close');
      const serverSide = once(closes, 'close');
      a.socket.destroy();
      await withTimeout(a.closed, 30_000, 'a closed');
      await withTimeout(serverSide, 30_000, 'the server closed a'); // the slot is free once the server saw it
      assert.equal(server.connectionCount, 1);
      const d = await RawClient.connect(port);
      d.send(searchMsg(1, 'echo=1'));
      await d.waitFor(isDone(1), 'd after a slot freed');
      b.socket.destroy();
      d.socket.destroy();
    } finally {
      diagnosticsChannel.unsubscribe('forestd:ldap:connection', onConn);
      await server.close();
    }
  });

  it('close() sends unavailable notices, abandons operations and ends every connection', async () => {
    const dir = new FakeDirectory();
    const { server, port } = await startServer(dir);
    const raws = await Promise.all(Array.from({ length: 50 }, () => RawClient.connect(port)));
    const waiting = dir.startedCount('wait', 25);
    raws.forEach((r, i) => r.send(searchMsg(1, i % 2 ? 'wait' : 'echo=1')));
    await Promise.all(raws.filter((_, i) => i % 2 === 0).map((r) => r.waitFor(isDone(1), 'echo')));
    await waiting; // all 25 'wait' searches are running: close() must abort each
    const lib = new Client({ url: `ldap://${HOST}:${port}` });
    await lib.bind(ADMIN_DN, PASSWORD);
    await withTimeout(server.close(), 30_000, 'server.close()');
    for (const r of raws) {
      assert.equal(resultCode(await r.notice()), ResultCode.unavailable);
      await withTimeout(r.closed, 30_000, 'client close');
    }
    assert.equal(server.connectionCount, 0);
    assert.equal(dir.aborts.length, 25);
    await assert.rejects(RawClient.connect(port));
    await lib.unbind().catch(() => {});
  });
});

describe('LdapServer denial-of-service limits', () => {
  /** Bytes the server has read per connection (bytes channel), and which connection a client port is. */
  function serverSideBytes(): { bytesOf(localPort: number): number; until(pred: () => boolean): Promise<void>; stop(): void } {
    const idByPort = new Map<number, number>();
    const bytes = new Map<number, number>();
    const ev = new EventEmitter();
    const onConn = (m: unknown): void => {
      const e = m as { event: string; connectionId: number; remoteAddress: string };
      if (e.event === 'open') idByPort.set(Number(e.remoteAddress.split(':').pop()), e.connectionId);
      ev.emit('tick');
    };
    const onBytes = (m: unknown): void => {
      const e = m as { connectionId: number; direction: string; bytes: number };
      if (e.direction === 'in') bytes.set(e.connectionId, (bytes.get(e.connectionId) ?? 0) + e.bytes);
      ev.emit('tick');
    };
    diagnosticsChannel.subscribe('forestd:ldap:connection', onConn);
    diagnosticsChannel.subscribe('forestd:ldap:bytes', onBytes);
    return {
      bytesOf: (port) => bytes.get(idByPort.get(port) ?? -1) ?? 0,
      async until(pred) {
        while (!pred()) await withTimeout(once(ev, 'tick'), 30_000, 'server-side bytes');
      },
      stop() {
        diagnosticsChannel.unsubscribe('forestd:ldap:connection', onConn);
        diagnosticsChannel.unsubscribe('forestd:ldap:bytes', onBytes);
      },
    };
  }

  /** The first `size` bytes of a PDU announcing 5 MB (below MaxReceiveBuffer): the server must hold them. */
  const partialPdu = (size: number): Buffer => {
    const b = Buffer.alloc(size, 0x04);
    b[0] = 0x30;
    b[1] = 0x84;
    b.writeUInt32BE(5_000_000, 2);
    return b;
  };

  async function holdPartials(budget: number | undefined): Promise<{ served: number; refused: number; peak: number; limit: number }> {
    const { server, port } = await startServer(new FakeDirectory(), budget === undefined ? {} : { MaxReceiveBufferTotal: budget });
    const watch = serverSideBytes();
    const raws: RawClient[] = [];
    try {
      let refused = 0;
      for (let i = 0; i < 8; i++) {
        const raw = await RawClient.connect(port);
        raws.push(raw);
        raw.socket.write(partialPdu(1_000_000));
        const local = raw.socket.localPort!;
        // either the server holds all of it, or it refused with a notice
        const notice = raw.notice().then((n) => n, () => undefined);
        const held = watch.until(() => watch.bytesOf(local) === 1_000_000 && server.receiveBuffered.bytes >= (i + 1 - refused) * 1_000_000);
        const first = await Promise.race([notice.then((n) => ({ n })), held.then(() => ({ n: undefined }))]);
        if (first.n) {
          assert.equal(resultCode(first.n), ResultCode.adminLimitExceeded);
          await withTimeout(raw.closed, 30_000, 'refused close');
          refused++;
        }
        assert.ok(server.receiveBuffered.bytes <= server.receiveBuffered.limit);
      }
      // an ordinary request on a new connection is still answered
      const ok = await RawClient.connect(port);
      ok.send(searchMsg(1, 'echo=1'));
      await ok.waitFor(isDone(1), 'search beside the partial PDUs');
      ok.socket.destroy();
      return { served: 8 - refused, refused, peak: server.receiveBuffered.peak, limit: server.receiveBuffered.limit };
    } finally {
      watch.stop();
      for (const r of raws) r.socket.destroy();
      await server.close();
    }
  }

  it('MaxReceiveBufferTotal bounds partly received PDUs server-wide (negative control: the default budget holds them all)', async () => {
    const bounded = await holdPartials(4_000_000);
    assert.equal(bounded.served, 4);
    assert.equal(bounded.refused, 4);
    assert.ok(bounded.peak <= 4_000_000, `peak ${bounded.peak}`);
    const unbounded = await holdPartials(undefined);
    assert.equal(unbounded.refused, 0);
    assert.equal(unbounded.peak, 8_000_000);
  });

  it('the receive budget is given back when a PDU completes or its connection closes', async () => {
    const { server, port } = await startServer(new FakeDirectory(), { MaxReceiveBufferTotal: 1_500_000 });
    const watch = serverSideBytes();
    try {
      for (let i = 0; i < 3; i++) {
        const raw = await RawClient.connect(port);
        raw.socket.write(partialPdu(1_000_000));
        const local = raw.socket.localPort!;
        await watch.until(() => watch.bytesOf(local) === 1_000_000);
        assert.equal(server.receiveBuffered.bytes, 1_000_000);
        raw.socket.destroy();
        await withTimeout(raw.closed, 30_000, 'close');
        await watch.until(() => server.receiveBuffered.bytes === 0);
      }
      // a large complete request, sent in pieces, is counted while partial and released when complete
      const raw = await RawClient.connect(port);
      const search = encodeMessage(searchMsg(1, 'echo=' + 'x'.repeat(1_200_000)));
      raw.socket.write(search.subarray(0, 1_000_000));
      await watch.until(() => watch.bytesOf(raw.socket.localPort!) === 1_000_000);
      assert.equal(server.receiveBuffered.bytes, 1_000_000);
      raw.socket.write(search.subarray(1_000_000));
      await raw.waitFor(isDone(1), 'the large search');
      assert.equal(server.receiveBuffered.bytes, 0);
      raw.socket.destroy();
    } finally {
      watch.stop();
      await server.close();
    }
  });

  it('MaxConnectionsPerAddress refuses the N+1th connection of one address while another address is served', async () => {
    for (const limit of [2, 3]) {
      const { server, port } = await startServer(new FakeDirectory(), { MaxConnectionsPerAddress: limit });
      const refusals: string[] = [];
      const onConn = (m: unknown): void => {
        const e = m as { event: string; reason?: string };
        if (e.event === 'refused') refusals.push(e.reason ?? '');
      };
      diagnosticsChannel.subscribe('forestd:ldap:connection', onConn);
      const raws: RawClient[] = [];
      try {
        for (let i = 0; i < 2; i++) {
          const r = await RawClient.connect(port, '127.0.0.1');
          raws.push(r);
          r.send(searchMsg(1, 'echo=1'));
          await r.waitFor(isDone(1), `connection ${i}`);
        }
        const third = await RawClient.connect(port, '127.0.0.1');
        raws.push(third);
        const other = await RawClient.connect(port, '127.0.0.2');
        raws.push(other);
        other.send(searchMsg(1, 'echo=1'));
        await other.waitFor(isDone(1), 'the other address');
        if (limit === 2) {
          assert.equal(resultCode(await third.notice()), ResultCode.busy);
          await withTimeout(third.closed, 30_000, 'refused close');
          assert.deepEqual(refusals, ['MaxConnectionsPerAddress']);
        } else {
          // negative control: a larger limit serves the third connection
          third.send(searchMsg(1, 'echo=1'));
          await third.waitFor(isDone(1), 'third under a larger limit');
          assert.deepEqual(refusals, []);
        }
      } finally {
        diagnosticsChannel.unsubscribe('forestd:ldap:connection', onConn);
        for (const r of raws) r.socket.destroy();
        await server.close();
      }
    }
  });

  it('MaxConnIdleTime counts from the last complete request: dribbled bytes do not keep a connection open', async () => {
    for (const idle of [0.3, 60]) {
      const { server, port } = await startServer(new FakeDirectory(), { MaxConnIdleTime: idle });
      const raw = await RawClient.connect(port);
      let timer: NodeJS.Timeout | undefined;
      try {
        raw.send(searchMsg(1, 'echo=1'));
        await raw.waitFor(isDone(1), 'first search');
        // a second request, one byte every 20 ms: it completes only after about a second
        const pdu = encodeMessage(searchMsg(2, 'echo=' + 'y'.repeat(40)));
        let sent = 0;
        // test-lint-allow sleep: the client's dribble (one byte per tick) is the input under test; the test waits on the notice, not on time
        timer = setInterval(() => {
          if (sent < pdu.length && !raw.socket.destroyed) raw.socket.write(pdu.subarray(sent, ++sent));
        }, 20);
        if (idle < 1) {
          const n = await raw.notice();
          assert.equal(resultCode(n), ResultCode.adminLimitExceeded);
          await withTimeout(raw.closed, 30_000, 'idle close');
          assert.ok(sent < pdu.length, 'closed before the dribbled request completed');
          assert.equal(raw.messages.filter(isDone(2)).length, 0);
        } else {
          // negative control: with a larger limit the dribbled request completes and is answered
          assert.equal(resultCode(await raw.waitFor(isDone(2), 'dribbled search')), 0);
        }
      } finally {
        clearInterval(timer);
        raw.socket.destroy();
        await server.close();
      }
    }
  });
});
