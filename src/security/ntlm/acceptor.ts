// The NTLM server side (MS-NLMP 3.2): NEGOTIATE → CHALLENGE → AUTHENTICATE, verified as NTLMv2
// only (3.3.2), like a DC with LmCompatibilityLevel 5: NTLMv1 and LM responses are refused.
// The acceptor knows nothing of accounts: after `authenticate()` names the user, the caller
// finds the account and hands its NT hash to `verify()`. One acceptor per authentication
// (it keeps the NEGOTIATE and CHALLENGE messages for the MIC). Reused by any NTLM transport
// (LDAP SASL GSS-SPNEGO, LDAP Sicily, later DCE/RPC).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { AvFlags, AvId, NegotiateFlags as F, SERVER_VERSION } from './constants.js';
import { NtlmError } from './errors.js';
import { buildChallenge, parseAuthenticate, parseClientChallenge, parseNegotiate, type AuthenticateMessage, type AvPair } from './messages.js';
import { exportedSessionKey, hmacMd5, md5, ntProofStr, ntowfv2, sessionBaseKey } from './ntlmv2.js';
import { NtlmSessionSecurity } from './session-security.js';

export interface NtlmServerNames {
  /** NetBIOS domain name (MsvAvNbDomainName, and the CHALLENGE's TargetName) */
  netbiosDomain: string;
  netbiosComputer: string;
  dnsDomain: string;
  dnsComputer: string;
  dnsTree: string;
}

export interface NtlmAcceptorOptions {
  names: NtlmServerNames;
  /** FILETIME now (100 ns since 1601) for MsvAvTimestamp */
  now: () => bigint;
  /** the 8-byte ServerChallenge; random by default (tests pass the spec's) */
  serverChallenge?: Buffer;
  /**
   * The channel binding hash the client must send in MsvAvChannelBindings when this
   * connection is TLS (MD5 of gss_channel_bindings_struct, RFC 5929 tls-server-end-point).
   */
  channelBindings?: Buffer;
  /** refuse a client that sends no channel binding hash (LdapEnforceChannelBinding = 2) */
  requireChannelBindings?: boolean;
}

/** What the AUTHENTICATE_MESSAGE claims, before the proof is checked. */
export interface NtlmClaim {
  /** MS-NLMP 3.2.5.1.2: an empty user with empty NT and LM (or Z(1)) responses is anonymous */
  anonymous: boolean;
  user: string;
  domain: string;
  workstation: string;
}

export interface NtlmContext {
  /** the negotiated flags (CHALLENGE ∩ AUTHENTICATE) */
  flags: number;
  exportedSessionKey: Buffer;
  /** the AUTHENTICATE_MESSAGE carried a MIC (MsvAvFlags 0x2) */
  micPresent: boolean;
  /** signing and/or sealing keys when NTLMSSP_NEGOTIATE_SIGN or _SEAL was negotiated */
  security?: NtlmSessionSecurity;
}

/** Flags a DC answers with, from what the client asked (MS-NLMP 3.2.5.1.1). */
export function challengeFlags(client: number): number {
  let f = F.NTLM | F.TARGET_INFO | F.TARGET_TYPE_DOMAIN | F.VERSION;
  f |= client & F.UNICODE ? F.UNICODE : F.OEM;
  for (const x of [F.REQUEST_TARGET, F.SIGN, F.SEAL, F.ALWAYS_SIGN, F.NEGOTIATE_128, F.NEGOTIATE_56, F.KEY_EXCH, F.IDENTIFY]) f |= client & x;
  // extended session security wins over LM_KEY (MS-NLMP 2.2.2.5 flag D/P); LM_KEY is never offered
  if (client & F.EXTENDED_SESSIONSECURITY) f |= F.EXTENDED_SESSIONSECURITY;
  return f >>> 0;
}

export class NtlmAcceptor {
  private negotiateRaw: Buffer | undefined;
  private challengeRaw: Buffer | undefined;
  private challengeFlagsSent = 0;
  private serverChallenge: Buffer;
  private auth: AuthenticateMessage | undefined;

  constructor(private readonly opts: NtlmAcceptorOptions) {
    this.serverChallenge = opts.serverChallenge ?? randomBytes(8);
  }

  /** NEGOTIATE_MESSAGE in, CHALLENGE_MESSAGE out (MS-NLMP 3.2.5.1.1). */
  negotiate(token: Buffer): Buffer {
    if (this.negotiateRaw) throw new NtlmError('ERR_NTLM_STATE', 'NEGOTIATE_MESSAGE received twice');
    const neg = parseNegotiate(token);
    this.negotiateRaw = Buffer.from(token);
    const flags = challengeFlags(neg.flags);
    const n = this.opts.names;
    const u = (s: string) => Buffer.from(s, 'utf16le');
    const ts = Buffer.alloc(8);
    ts.writeBigUInt64LE(this.opts.now());
    // the AV pairs a Windows DC sends, in its order
    const info: AvPair[] = [
      { id: AvId.MsvAvNbDomainName, value: u(n.netbiosDomain) },
      { id: AvId.MsvAvNbComputerName, value: u(n.netbiosComputer) },
      { id: AvId.MsvAvDnsDomainName, value: u(n.dnsDomain) },
      { id: AvId.MsvAvDnsComputerName, value: u(n.dnsComputer) },
      { id: AvId.MsvAvDnsTreeName, value: u(n.dnsTree) },
      { id: AvId.MsvAvTimestamp, value: ts },
    ];
    this.challengeFlagsSent = flags;
    this.challengeRaw = buildChallenge({ flags, serverChallenge: this.serverChallenge, targetName: n.netbiosDomain, targetInfo: info, version: SERVER_VERSION });
    return this.challengeRaw;
  }

  /** AUTHENTICATE_MESSAGE in: who the client says it is. NTLMv1 and LM responses are refused here. */
  authenticate(token: Buffer): NtlmClaim {
    if (!this.challengeRaw) throw new NtlmError('ERR_NTLM_STATE', 'AUTHENTICATE_MESSAGE before NEGOTIATE_MESSAGE');
    if (this.auth) throw new NtlmError('ERR_NTLM_STATE', 'AUTHENTICATE_MESSAGE received twice');
    const a = parseAuthenticate(token);
    this.auth = a;
    const claim: NtlmClaim = { anonymous: false, user: a.user, domain: a.domain, workstation: a.workstation };
    if (a.user === '' && a.ntResponse.length === 0 && (a.lmResponse.length === 0 || (a.lmResponse.length === 1 && a.lmResponse[0] === 0))) {
      claim.anonymous = true;
      return claim;
    }
    // MS-NLMP 3.3.1: a 24-byte NtChallengeResponse is NTLMv1 (or NTLM2 session response); none at all is LM only
    if (a.ntResponse.length <= 24) throw new NtlmError('ERR_NTLM_V1_REFUSED', 'NTLMv1 and LM authentication are refused; use NTLMv2');
    if (a.ntResponse.length < 16 + 28) throw new NtlmError('ERR_NTLM_MALFORMED', 'NTLMv2_RESPONSE too short');
    return claim;
  }

  /**
   * Checks the NTLMv2 proof against the account's NT hash (MS-NLMP 3.3.2), then the MIC
   * (3.2.5.1.2) and the channel binding hash; returns the session's keys. `ntHash` undefined
   * (no such account, no password) fails exactly like a wrong password.
   */
  verify(ntHash: Uint8Array | undefined): NtlmContext {
    const a = this.auth;
    if (!a || !this.challengeRaw || !this.negotiateRaw) throw new NtlmError('ERR_NTLM_STATE', 'verify() before AUTHENTICATE_MESSAGE');
    const proof = a.ntResponse.subarray(0, 16);
    const temp = a.ntResponse.subarray(16);
    const cc = parseClientChallenge(temp);
    if (!ntHash || ntHash.length !== 16) throw new NtlmError('ERR_NTLM_BAD_PROOF', 'no such account or no password');
    const key = ntowfv2(ntHash, a.user, a.domain);
    const expected = ntProofStr(key, this.serverChallenge, temp);
    if (!timingSafeEqual(expected, proof)) throw new NtlmError('ERR_NTLM_BAD_PROOF', 'the NTLMv2 response does not match the password');
    const flags = (this.challengeFlagsSent & a.flags) >>> 0;
    const kxkey = sessionBaseKey(key, proof);
    const exported = exportedSessionKey(flags, kxkey, a.encryptedRandomSessionKey);
    const avFlags = cc.avPairs.find((p) => p.id === AvId.MsvAvFlags)?.value;
    const micPresent = avFlags !== undefined && avFlags.length >= 4 && (avFlags.readUInt32LE(0) & AvFlags.MIC_PRESENT) !== 0;
    if (micPresent) {
      // MS-NLMP 2.2.1.3: the MIC follows the 8-byte Version at offset 64
      if (a.raw.length < 88) throw new NtlmError('ERR_NTLM_MALFORMED', 'AUTHENTICATE_MESSAGE too short for its MIC');
      const mic = a.raw.subarray(72, 88);
      const zeroed = Buffer.from(a.raw);
      zeroed.fill(0, 72, 88);
      const want = hmacMd5(exported, this.negotiateRaw, this.challengeRaw, zeroed);
      if (!timingSafeEqual(want, mic)) throw new NtlmError('ERR_NTLM_BAD_MIC', 'the MIC does not match the NTLM messages');
    }
    this.checkChannelBindings(cc.avPairs);
    const ctx: NtlmContext = { flags, exportedSessionKey: exported, micPresent };
    if (flags & (F.SIGN | F.SEAL) && flags & F.EXTENDED_SESSIONSECURITY) ctx.security = new NtlmSessionSecurity(flags, exported, 'server');
    return ctx;
  }

  private checkChannelBindings(pairs: AvPair[]): void {
    const want = this.opts.channelBindings;
    if (!want) return;
    const got = pairs.find((p) => p.id === AvId.MsvAvChannelBindings)?.value;
    const absent = !got || got.every((b) => b === 0);
    if (absent) {
      if (this.opts.requireChannelBindings) throw new NtlmError('ERR_NTLM_BAD_BINDINGS', 'channel binding is required on this connection');
      return;
    }
    if (got.length !== 16 || !timingSafeEqual(got, want)) throw new NtlmError('ERR_NTLM_BAD_BINDINGS', 'the channel binding hash does not match this TLS channel');
  }
}

/**
 * The channel binding hash of RFC 5929 tls-server-end-point for NTLM's MsvAvChannelBindings
 * (MS-NLMP 2.2.2.1): MD5 of a gss_channel_bindings_struct (RFC 2744 3.11) whose addresses are
 * empty and whose application data is "tls-server-end-point:" ‖ H(certificate).
 */
export function tlsServerEndPointBindings(certificateHash: Buffer): Buffer {
  const app = Buffer.concat([Buffer.from('tls-server-end-point:', 'latin1'), certificateHash]);
  const s = Buffer.alloc(20 + app.length);
  // initiator_addrtype, initiator_address.length, acceptor_addrtype, acceptor_address.length: all 0
  s.writeUInt32LE(app.length, 16);
  app.copy(s, 20);
  return md5(s);
}
