// NTLM binds (MS-ADTS 5.1.1.1.2 SASL GSS-SPNEGO, 5.1.1.1.3 Sicily): the LDAP legs of the
// NTLMSSP exchange (src/security/ntlm), carried in SPNEGO tokens (RFC 4178, MS-SPNG) or bare in
// the Sicily choices, with the same account rules, lockout and "data" codes as simple binds
// (bind.ts `logon`). The acceptor between two legs lives in the session's bindState.
import type { BindResult, Identity, OperationContext, Session } from './api.js';
import type { Directory } from './directory.js';
import { AdError } from './errors.js';
import { BadProof, findAccount, logon } from './bind.js';
import { fileTimeNow } from './lockout.js';
import { NtlmAcceptor, NtlmError, tlsServerEndPointBindings, type NtlmContext } from '../security/ntlm/index.js';
import { NegState, NTLMSSP_OID, SpnegoError, decodeInitiatorToken, encodeNegTokenResp } from '../security/spnego.js';

export const GSS_SPNEGO = 'GSS-SPNEGO';

/** MS-ADTS 5.1.1.1: sicilyPackageDiscovery [9], sicilyNegotiate [10], sicilyResponse [11] (context-specific, primitive). */
const SICILY_DISCOVERY = 0x89;
const SICILY_NEGOTIATE = 0x8a;
const SICILY_RESPONSE = 0x8b;

export function isSicilyChoice(tag: number): boolean {
  return tag === SICILY_DISCOVERY || tag === SICILY_NEGOTIATE || tag === SICILY_RESPONSE;
}

// SSPI statuses AD puts first in a failed NTLM bind's message
const SEC_E_INVALID_TOKEN = 0x80090308;
const SEC_E_LOGON_DENIED = 0x8009030c;
const SEC_E_BAD_BINDINGS = 0x80090346;

interface NtlmBindState {
  kind: 'spnego' | 'sicily';
  acceptor: NtlmAcceptor;
  /** SPNEGO: the initiator's MechTypeList DER, covered by both mechListMICs */
  mechTypesDer?: Buffer;
  negotiated: boolean;
  /** NTLMSSP was the first of the initiator's mechTypes */
  preferred?: boolean;
}

function stateOf(session: Session, kind: NtlmBindState['kind']): NtlmBindState | undefined {
  const s = session.bindState as NtlmBindState | undefined;
  return s && s.kind === kind ? s : undefined;
}

function newAcceptor(dir: Directory, session: Session): NtlmAcceptor {
  const f = dir.forest;
  const opts: ConstructorParameters<typeof NtlmAcceptor>[0] = {
    names: { netbiosDomain: f.netbios.toUpperCase(), netbiosComputer: f.hostname.toUpperCase(), dnsDomain: f.realm, dnsComputer: f.dnsHostName, dnsTree: f.realm },
    now: () => fileTimeNow(dir),
  };
  // RFC 5929 tls-server-end-point, checked when the client sends MsvAvChannelBindings
  if (session.tlsServerEndPoint) {
    opts.channelBindings = tlsServerEndPointBindings(session.tlsServerEndPoint);
    if (session.channelBindingRequired) opts.requireChannelBindings = true;
  }
  return new NtlmAcceptor(opts);
}

/** A malformed or out-of-order token: AD's SEC_E_INVALID_TOKEN. */
function invalidToken(place: string): Error {
  return AdError.securityContextError(place, SEC_E_INVALID_TOKEN, '57');
}

function ntlmFailure(place: string, e: unknown): Error {
  if (e instanceof NtlmError) {
    switch (e.code) {
      // LmCompatibilityLevel 5: an NTLMv1/LM response fails as a wrong password would
      case 'ERR_NTLM_V1_REFUSED':
        return AdError.securityContextError(place, SEC_E_LOGON_DENIED, '52e');
      case 'ERR_NTLM_BAD_BINDINGS':
        return AdError.securityContextError(place, SEC_E_BAD_BINDINGS, '80090346');
      default:
        return invalidToken(place);
    }
  }
  if (e instanceof SpnegoError) return invalidToken(place);
  return e as Error;
}

/** AUTHENTICATE_MESSAGE: the account it names, verified with `logon` (lockout, 52e/533/701/773/775). */
async function authenticate(dir: Directory, acc: NtlmAcceptor, token: Buffer, place: string): Promise<{ identity: Identity | null; ntlm?: NtlmContext }> {
  let claim;
  try {
    claim = acc.authenticate(token);
  } catch (e) {
    throw ntlmFailure(place, e);
  }
  // MS-NLMP 3.2.5.1.2: anonymous NTLM is an anonymous logon
  if (claim.anonymous) return { identity: null };
  const f = dir.forest;
  // a domain this DC does not know (a client's default workgroup) is looked up as its own, as a
  // DC does for a name from no trusted domain; the NTLMv2 proof still covers the name as sent
  const r = dir.store.snapshot();
  let guid: Buffer | undefined;
  try {
    guid = findAccount(dir, r, claim.user.includes('@') && claim.domain === '' ? claim.user : `${f.netbios}\\${claim.user}`);
  } finally {
    r.done();
  }
  if (!guid) {
    // an unknown account is refused exactly like a wrong password, so names cannot be probed
    throw AdError.securityContextError(place, SEC_E_LOGON_DENIED, '52e');
  }
  try {
    const { identity, proof } = await logon(
      dir,
      guid,
      (stored) => {
        try {
          return acc.verify(stored);
        } catch (e) {
          if (e instanceof NtlmError && e.code === 'ERR_NTLM_BAD_PROOF') throw new BadProof(e.message);
          throw e;
        }
      },
      (data) => AdError.securityContextError(place, SEC_E_LOGON_DENIED, data),
    );
    return { identity, ntlm: proof };
  } catch (e) {
    throw ntlmFailure(place, e);
  }
}

/** SASL GSS-SPNEGO (MS-ADTS 5.1.1.1.2) carrying NTLMSSP, with the mechListMIC of RFC 4178 5 and the security layer of MS-ADTS 5.1.2.1. */
export async function saslSpnegoBind(dir: Directory, credentials: Buffer | undefined, ctx: OperationContext): Promise<BindResult> {
  const place = 'dsa.bind.spnego';
  const session = ctx.session;
  try {
    if (!credentials || credentials.length === 0) throw invalidToken(place);
    const tok = decodeInitiatorToken(credentials);
    if (tok.kind === 'init') {
      session.bindState = undefined;
      // only NTLMSSP is offered (supportedSASLMechanisms lists GSS-SPNEGO for it alone)
      if (!tok.mechTypes.includes(NTLMSSP_OID)) throw AdError.securityContextError(place, SEC_E_INVALID_TOKEN, '0');
      const state: NtlmBindState = { kind: 'spnego', acceptor: newAcceptor(dir, session), mechTypesDer: tok.mechTypesDer, negotiated: false, preferred: tok.mechTypes[0] === NTLMSSP_OID };
      session.bindState = state;
      if (tok.mechTypes[0] === NTLMSSP_OID && tok.mechToken) {
        state.negotiated = true;
        const challenge = state.acceptor.negotiate(tok.mechToken);
        return { identity: null, saslBindInProgress: true, serverSaslCreds: encodeNegTokenResp({ negState: NegState.acceptIncomplete, supportedMech: NTLMSSP_OID, responseToken: challenge }) };
      }
      // the optimistic token is for another mechanism: pick NTLMSSP and ask for its first token;
      // a choice other than the initiator's first needs the MIC exchange (RFC 4178 3.2 (e), 4.2.2 request-mic)
      return { identity: null, saslBindInProgress: true, serverSaslCreds: encodeNegTokenResp({ negState: state.preferred ? NegState.acceptIncomplete : NegState.requestMic, supportedMech: NTLMSSP_OID }) };
    }
    const state = stateOf(session, 'spnego');
    if (!state || !tok.responseToken) throw invalidToken(place);
    if (!state.negotiated) {
      state.negotiated = true;
      const challenge = state.acceptor.negotiate(tok.responseToken);
      return { identity: null, saslBindInProgress: true, serverSaslCreds: encodeNegTokenResp({ negState: NegState.acceptIncomplete, responseToken: challenge }) };
    }
    session.bindState = undefined;
    const { identity, ntlm } = await authenticate(dir, state.acceptor, tok.responseToken, place);
    const resp: Parameters<typeof encodeNegTokenResp>[0] = { negState: NegState.acceptCompleted };
    const sec = ntlm?.security;
    if (sec) {
      // RFC 4178 5: each side's MIC over the initiator's MechTypeList, with the mechanism's GSS_GetMIC
      if (tok.mechListMIC) sec.verify(state.mechTypesDer!, tok.mechListMIC);
      // NTLMSSP was not the initiator's first choice: the MIC is what protects that choice (RFC 4178 5)
      else if (!state.preferred) throw invalidToken(place);
      resp.mechListMIC = sec.sign(state.mechTypesDer!);
      // with an NTLM MIC in the exchange, both ends restart their RC4 handles (not their sequence
      // numbers, which go on from the MICs') once the mechListMICs are done, as Windows and Samba do
      if (ntlm.micPresent) sec.reset(false);
    }
    const result: BindResult = { identity, serverSaslCreds: encodeNegTokenResp(resp) };
    // MS-ADTS 5.1.2.1: no SASL layer on a TLS-protected connection
    if (sec && !session.encrypted) result.securityLayer = sec;
    return result;
  } catch (e) {
    session.bindState = undefined;
    throw ntlmFailure(place, e);
  }
}

/** The Sicily bind (MS-ADTS 5.1.1.1.3) as a Windows DC answers it: package discovery, then NTLM in two legs. */
export async function sicilyBind(dir: Directory, tag: number, value: Buffer, ctx: OperationContext): Promise<BindResult> {
  const place = 'dsa.bind.sicily';
  const session = ctx.session;
  try {
    switch (tag) {
      case SICILY_DISCOVERY:
        session.bindState = undefined;
        // "the serverCreds field contains a list of the authentication packages" — NTLM only
        return { identity: null, sicilyServerCreds: Buffer.from('NTLM', 'latin1') };
      case SICILY_NEGOTIATE: {
        const acceptor = newAcceptor(dir, session);
        session.bindState = undefined;
        const challenge = acceptor.negotiate(value);
        session.bindState = { kind: 'sicily', acceptor, negotiated: true } satisfies NtlmBindState;
        return { identity: null, sicilyServerCreds: challenge };
      }
      default: {
        const state = stateOf(session, 'sicily');
        session.bindState = undefined;
        if (!state) throw invalidToken(place);
        const { identity } = await authenticate(dir, state.acceptor, value, place);
        // no SASL security layer after a Sicily bind: its clients (ldap3, impacket) send plain PDUs
        return { identity };
      }
    }
  } catch (e) {
    session.bindState = undefined;
    throw ntlmFailure(place, e);
  }
}
