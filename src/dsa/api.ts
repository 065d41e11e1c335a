// The contract between the LDAP server (src/ldap) and the directory service agent (src/dsa).
// The server owns sockets, framing, TLS, message IDs, abandon, limits and backpressure; the
// DSA owns the meaning of each operation. Failures cross this line as LdapError (with AD's
// extended error text), never as other exceptions.
import type {
  AddRequest,
  BindRequest,
  CompareRequest,
  Control,
  DelRequest,
  ExtendedRequest,
  ModifyDNRequest,
  ModifyRequest,
  OutgoingAttribute,
  SearchRequest,
} from '../ldap/protocol/messages.js';
import type { SecurityToken } from '../security/token.js';

/** Who a connection is bound as. */
export interface Identity {
  /** the DN of the security principal (its current DN at bind time) */
  dn: string;
  /** objectGUID of the principal */
  guid: Buffer;
  /** objectSid of the principal */
  sid?: Buffer;
  /** member (directly or through nesting) of Administrators, Domain Admins or Enterprise Admins */
  isAdmin: boolean;
  /** the security context built at bind (MS-ADTS 5.1.3); built on first use when absent */
  token?: SecurityToken;
}

/** Per-connection state the DSA may read. */
export interface Session {
  readonly id: number;
  /** null while anonymous */
  identity: Identity | null;
  /** TLS is in effect (LDAPS, or StartTLS completed): confidentiality for password writes */
  readonly encrypted: boolean;
  /** the listener is a global-catalog port (read-only partial view of every NC) */
  readonly globalCatalog: boolean;
  readonly remoteAddress: string;
  /** the SASL security layer in effect (MS-ADTS 5.1.2.1): 'seal' gives confidentiality like TLS does */
  readonly saslLayer?: 'none' | 'sign' | 'seal';
  /** RFC 5929 tls-server-end-point hash of this server's certificate, when the connection is TLS (for channel binding) */
  readonly tlsServerEndPoint?: Buffer | undefined;
  /** NTLM binds on this TLS connection must carry channel bindings (LdapEnforceChannelBinding 2) */
  readonly channelBindingRequired?: boolean;
  /** the DSA's state between the requests of a multi-request bind (SASL GSS-SPNEGO, Sicily NTLM) */
  bindState?: unknown;
  /** the address the client reached (for the LDAP ping's DcSockAddr, MS-ADTS 6.3.1.9) */
  readonly localAddress?: string;
}

/**
 * A SASL security layer installed by a bind (MS-ADTS 5.1.2.1, RFC 4422 3.7): every PDU after
 * the BindResponse crosses it, both ways, as a 4-byte length and the wrapped buffer.
 */
export interface SaslSecurityLayer {
  readonly integrity: boolean;
  readonly confidentiality: boolean;
  wrap(pdu: Uint8Array): Buffer;
  /** throws on a bad signature or sequence number: the connection is then dropped */
  unwrap(token: Uint8Array): Buffer;
}

export interface OperationContext {
  readonly session: Session;
  /** request controls as received (the DSA decodes those it supports and refuses unknown critical ones) */
  readonly controls: readonly Control[];
  /** aborted when the operation is abandoned, its connection closes or its time limit passes */
  readonly signal: AbortSignal;
  /**
   * Whether `signal` has aborted, for a context whose signal is made on first use (the LDAP
   * connection's): asking makes no signal. Absent: read `signal.aborted`.
   */
  aborted?(): boolean;
  /** the request's messageID, for a DSA that encodes responses itself (read workers, src/dsa/workers) */
  readonly messageID?: number;
}

/**
 * The context of the same operation with another session or other controls. Not a spread
 * (`{ ...ctx }`): the LDAP connection's context keeps `signal` and `aborted` on its prototype,
 * which a spread leaves out; the copy inherits them (and reads them for the operation).
 */
export function contextWith(ctx: OperationContext, over: { readonly session?: Session; readonly controls?: readonly Control[] }): OperationContext {
  const own: PropertyDescriptorMap = {};
  if (over.session) own.session = { value: over.session, enumerable: true };
  if (over.controls) own.controls = { value: over.controls, enumerable: true };
  return Object.create(ctx, own) as OperationContext;
}

export interface OperationResult {
  /** response controls (e.g. paged results cookie, sort result) */
  controls?: Control[];
  /** for a successful result with extra words (rare) */
  diagnosticMessage?: string;
}

/** Where search results go. `entry` returns a promise when the client is slow to read: await it (backpressure). */
export interface SearchSink {
  entry(objectName: string, attributes: OutgoingAttribute[], controls?: Control[]): void | Promise<void>;
  reference(uris: string[]): void | Promise<void>;
  /**
   * As entry, the attributes given as the BER of their PartialAttributeList (RFC 4511 4.5.2)
   * from the encoded-entry cache (search/entry-cache.ts); a sink without it gets every entry
   * through entry.
   */
  entryEncoded?(objectName: string, attributes: Buffer): void | Promise<void>;
  /**
   * SearchResultEntry/Reference PDUs already encoded under the operation's messageID (one or
   * more LDAPMessages back to back), as a read worker sends them; a promise: wait (backpressure).
   */
  encoded?(pdus: Buffer): void | Promise<void>;
}

export interface BindResult extends OperationResult {
  identity: Identity | null;
  /** RFC 4511 4.2.2 serverSaslCreds */
  serverSaslCreds?: Buffer;
  /** a multi-stage SASL bind goes on: resultCode saslBindInProgress */
  saslBindInProgress?: boolean;
  /** installed once this (successful) BindResponse has been sent */
  securityLayer?: SaslSecurityLayer;
  /** MS-ADTS 5.1.1.1.3 SicilyBindResponse serverCreds, sent where matchedDN would be */
  sicilyServerCreds?: Buffer;
}

export interface ExtendedResult extends OperationResult {
  responseName?: string;
  responseValue?: Buffer;
}

export interface DirectoryService {
  bind(req: BindRequest, ctx: OperationContext): Promise<BindResult>;
  search(req: SearchRequest, ctx: OperationContext, sink: SearchSink): Promise<OperationResult>;
  add(req: AddRequest, ctx: OperationContext): Promise<OperationResult>;
  modify(req: ModifyRequest, ctx: OperationContext): Promise<OperationResult>;
  modifyDN(req: ModifyDNRequest, ctx: OperationContext): Promise<OperationResult>;
  delete(req: DelRequest, ctx: OperationContext): Promise<OperationResult>;
  /** resolves true for compareTrue, false for compareFalse */
  compare(req: CompareRequest, ctx: OperationContext): Promise<boolean>;
  /** extended operations other than StartTLS (which the server handles itself) */
  extended(req: ExtendedRequest, ctx: OperationContext): Promise<ExtendedResult>;
  /** a connection closed: release what the directory keeps for its session (e.g. paged searches) */
  sessionClosed?(session: Session): void;
  /** OIDs of the extended operations `extended` handles, for the rootDSE's supportedExtension */
  readonly supportedExtensions: readonly string[];
}
