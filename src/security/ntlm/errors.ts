// Typed failures of the NTLM acceptor; the caller (the DSA's bind) maps them to AD's errors.

export type NtlmErrorCode =
  /** a message that does not parse (bad signature, type, bounds) */
  | 'ERR_NTLM_MALFORMED'
  /** a message out of order for the acceptor's state */
  | 'ERR_NTLM_STATE'
  /** an NTLMv1 or LM-only response: refused (LmCompatibilityLevel 5) */
  | 'ERR_NTLM_V1_REFUSED'
  /** the NTLMv2 proof does not match the account's key, or the account is unknown */
  | 'ERR_NTLM_BAD_PROOF'
  /** the MIC over the three messages does not match */
  | 'ERR_NTLM_BAD_MIC'
  /** the channel binding hash does not match the TLS channel */
  | 'ERR_NTLM_BAD_BINDINGS'
  /** a signed or sealed message whose checksum or sequence number is wrong */
  | 'ERR_NTLM_BAD_SIGNATURE';

export class NtlmError extends Error {
  constructor(
    readonly code: NtlmErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'NtlmError';
  }
}
