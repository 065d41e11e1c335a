// The messages between the serving process (the writer, process-pool.ts) and its read processes
// (process-child.ts). The IPC channel of child_process.fork (serialization 'advanced') carries
// the init message and the sockets the writer accepted, each with its own 'conn' message
// (child.send(m, socket)); everything else goes over a pipe of its own (FramedChannel), as v8
// serializations (structured clone: byte arrays arrive as Uint8Arrays or Buffers, made Buffers
// again with revive).
import type { Duplex } from 'node:stream';
import { deserialize, serialize } from 'node:v8';
import type { Control } from '../../ldap/protocol/messages.js';
import type { LdapPolicies } from '../../ldap/policies.js';
import type { SearchLimits } from '../search/search.js';
import type { NtlmSessionSecurityState } from '../../security/ntlm/session-security.js';
import type { WireError, WireIdentity, WireSession } from './wire.js';
import { SearchScope, type LdapMessage } from '../../ldap/protocol/messages.js';
import { NOTIFICATION_OID } from '../../ldap/controls/notification.js';
import { DIRSYNC_OID } from '../../ldap/controls/dirsync.js';
import { DIRSYNC_EX_OID } from '../../ldap/controls/dirsync-ex.js';
import { PAGED_RESULTS_OID } from '../../ldap/controls/paged-results.js';
import { VLV_REQUEST_OID } from '../../ldap/controls/vlv.js';

/** Searches that stay with the writer: the rootDSE (its counters and callbacks), DirSync and notification (their state and the commit feed), as in pool.ts. */
export const WRITER_CONTROLS: ReadonlySet<string> = new Set([DIRSYNC_OID, DIRSYNC_EX_OID, NOTIFICATION_OID]);

/** A search a read process answers itself (the others it sends to the writer). */
export function readProcessAnswers(baseObject: string, scope: SearchScope, controls: readonly Control[]): boolean {
  if (baseObject === '' && scope === SearchScope.baseObject) return false;
  for (const c of controls) if (WRITER_CONTROLS.has(c.type)) return false;
  return true;
}

/**
 * How a request of a connection the writer serves bears on its move to a read process
 * (process-pool.ts, LdapServer HandOffPolicy): 'move' after a search a read process would
 * answer; 'pin' (the connection stays with the writer) after a paged or VLV search, whose state
 * between requests is the writer's DSA's (search.ts keeps it per session); nothing else counts.
 */
export function classifyForHandOff(msg: LdapMessage): 'move' | 'pin' | undefined {
  const op = msg.protocolOp;
  if (op.type !== 'searchRequest') return undefined;
  const controls = msg.controls ?? [];
  for (const c of controls) if (c.type === PAGED_RESULTS_OID || c.type === VLV_REQUEST_OID) return 'pin';
  return readProcessAnswers(op.baseObject, op.scope, controls) ? 'move' : undefined;
}

/** A connection the writer served, as it moves to a read process (connection.ts MovedState). */
export interface MovedWire {
  identity: WireIdentity | null;
  /** the NTLM sign/seal context in effect (NtlmSessionSecurity.exportState) */
  layer?: NtlmSessionSecurityState;
  unread: Uint8Array;
  framed: Uint8Array;
}

/**
 * The writer's state that a read process cannot read from the store, sent whenever it moves.
 * The store's own counters a read process takes from the committed state (Store.followCommitted).
 */
export interface WriterState {
  /** moves when the writer's Directory swapped its schema: the read process reloads it from the store */
  schemaGeneration: number;
  /** the access layer's SD epoch (access.ts AccessState.sdEpoch) */
  sdEpoch: number;
  /** an SD propagation may be pending (sd-propagator.ts sdPropagationMayBePending) */
  sdPropagationPending: boolean;
  /** the writer's highestCommittedUsn (durable) */
  highestCommittedUsn: number;
}

/** The session facts the writer's operations read, as the read process's connection has them now. */
export interface ProcSession extends WireSession {
  tlsServerEndPoint?: Uint8Array;
  channelBindingRequired?: boolean;
  /** the session's identity, when it changed here since the writer last had it (a bind answered by the read process) */
  identity?: WireIdentity | null;
}

/**
 * Shared accept: a read process may hold open at once the connections it accepted plus
 * LEASE_SLOTS (its lease, lent by the writer); it reports its count when fewer than half of those
 * slots are left, or twice as many are (process-pool.ts lend).
 */
export const LEASE_SLOTS = 32;

/** A read process's own connection ids (shared accept) start at index · ID_SPAN; the writer's stay below ID_SPAN. */
export const ID_SPAN = 2 ** 40;

/** A read process's count of the connections it accepted reaches the writer at most this late when it changed (ms; the hand-off's placement reads it). */
export const USAGE_REPORT_MS = 100;

export type OpKind = 'bind' | 'search' | 'add' | 'modify' | 'modifyDN' | 'delete' | 'compare' | 'extended';

export interface ChildInit {
  t: 'init';
  /** 1.. (0 is the writer's own share of the connections) */
  index: number;
  data: string;
  searchLimits?: SearchLimits;
  policies: LdapPolicies;
  tls?: { cert: string; key: string };
  enforceChannelBinding: 0 | 1 | 2;
  supportedExtensions: string[];
  state: WriterState;
}

export type ToChild =
  | ChildInit
  /** with the writer's state as it is now (the pipe and the IPC channel are not ordered with each other) */
  | { t: 'conn'; id: number; globalCatalog: boolean; source: string; seq: number; state: WriterState; moved?: MovedWire }
  /** ack: the writer waits for the acknowledgement before it answers (see process-pool.ts synced) */
  | { t: 'state'; seq: number; state: WriterState; ack?: true }
  | { t: 'chunk'; id: number; pdus: Uint8Array }
  /** hcu: the writer's highestCommittedUsn as it answers */
  | { t: 'done'; id: number; pdus?: Uint8Array | null; result?: OpResultWire; error?: WireError; hcu: number }
  | { t: 'stop' }
  /** shared accept: the read process may hold this many connections it accepted open at once (its lease) */
  | { t: 'lease'; quota: number }
  /** over the IPC channel, with the handle of one of the writer's plain listeners to accept on (shared accept) */
  | { t: 'listen'; globalCatalog: boolean };

/** What an operation the writer ran for a read process answered (api.ts BindResult, ExtendedResult, compare's boolean). */
export interface OpResultWire {
  controls?: Control[];
  diagnosticMessage?: string;
  /** bind: the identity the writer's session has now (null: anonymous) */
  identity?: WireIdentity | null;
  serverSaslCreds?: Uint8Array;
  saslBindInProgress?: boolean;
  sicilyServerCreds?: Uint8Array;
  /** a bind that installs a SASL security layer (NTLM sign/seal): its state, to go on in the read process */
  securityLayer?: NtlmSessionSecurityState | 'unsupported';
  responseName?: string;
  responseValue?: Uint8Array;
  compare?: boolean;
}

export type FromChild =
  | { t: 'ready' }
  | { t: 'op'; id: number; kind: OpKind; messageID: number | undefined; req: unknown; controls: readonly Control[]; session: ProcSession }
  | { t: 'ack'; id: number }
  | { t: 'abort'; id: number; reason: WireError }
  | { t: 'closed'; session: number }
  | { t: 'stateAck'; seq: number }
  /** shared accept: the connections it accepted and holds open, when they neared its quota or fell well below it, else within USAGE_REPORT_MS of a change */
  | { t: 'usage'; open: number; ask?: true }
  /** shared accept: the lease arrived; open as then */
  | { t: 'leaseAck'; quota: number; open: number }
  /** over the IPC channel, with the socket: accepted here beyond the lease, for the writer to accept */
  | { t: 'accepted'; globalCatalog: boolean };

/**
 * The channel of the operations, their answers and the writer's state: a pipe of its own (fd 4
 * of the read process), each batch a 4-byte length and its v8 serialization. Not the IPC
 * channel, which carries the sockets: Node queues every message sent there behind a handle until
 * the other side acknowledges the handle, so answers would wait for the next connection's
 * hand-off round trip.
 */
export class FramedChannel<In, Out> {
  private buf: Buffer | undefined;

  constructor(
    private readonly sock: Duplex,
    onBatch: (batch: In[]) => void,
  ) {
    sock.on('data', (chunk: Buffer) => {
      let b = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
      let at = 0;
      while (b.length - at >= 4) {
        const n = b.readUInt32BE(at);
        if (b.length - at - 4 < n) break;
        const batch = deserialize(b.subarray(at + 4, at + 4 + n)) as In[];
        at += 4 + n;
        onBatch(batch);
      }
      b = b.subarray(at);
      this.buf = b.length > 0 ? Buffer.from(b) : undefined;
    });
    sock.on('error', () => {}); // the process's exit (or the writer's disconnect) is what counts
  }

  send(batch: Out[]): void {
    if (this.sock.destroyed) return;
    const body = serialize(batch);
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32BE(body.length, 0);
    this.sock.write(Buffer.concat([head, body]));
  }
}
