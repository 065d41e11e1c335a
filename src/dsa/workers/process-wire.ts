// The messages between the serving process (the writer, process-pool.ts) and its read processes
// (process-child.ts), over the IPC channel of child_process.fork with serialization 'advanced'
// (structured clone: byte arrays arrive as Uint8Arrays and are made Buffers again with revive).
// A socket the writer accepted travels with its own 'conn' message (child.send(m, socket)).
import type { Control } from '../../ldap/protocol/messages.js';
import type { LdapPolicies } from '../../ldap/policies.js';
import type { SearchLimits } from '../search/search.js';
import type { NtlmSessionSecurityState } from '../../security/ntlm/session-security.js';
import type { WireError, WireIdentity, WireSession } from './wire.js';

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
}

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
  | { t: 'conn'; id: number; globalCatalog: boolean; source: string }
  | { t: 'state'; seq: number; state: WriterState }
  | { t: 'chunk'; id: number; pdus: Uint8Array }
  | { t: 'done'; id: number; pdus?: Uint8Array | null; result?: OpResultWire; error?: WireError }
  | { t: 'stop' };

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
  | { t: 'stateAck'; seq: number };
