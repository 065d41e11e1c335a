// NTLM constants: NegotiateFlags (MS-NLMP 2.2.2.5), AV_PAIR ids (2.2.2.1), message types (2.2.1).

export const NTLMSSP_SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');

export const MessageType = { NEGOTIATE: 1, CHALLENGE: 2, AUTHENTICATE: 3 } as const;

/** MS-NLMP 2.2.2.5 NEGOTIATE flags. */
export const NegotiateFlags = {
  UNICODE: 0x00000001,
  OEM: 0x00000002,
  REQUEST_TARGET: 0x00000004,
  SIGN: 0x00000010,
  SEAL: 0x00000020,
  DATAGRAM: 0x00000040,
  LM_KEY: 0x00000080,
  NTLM: 0x00000200,
  ANONYMOUS: 0x00000800,
  OEM_DOMAIN_SUPPLIED: 0x00001000,
  OEM_WORKSTATION_SUPPLIED: 0x00002000,
  ALWAYS_SIGN: 0x00008000,
  TARGET_TYPE_DOMAIN: 0x00010000,
  TARGET_TYPE_SERVER: 0x00020000,
  EXTENDED_SESSIONSECURITY: 0x00080000,
  IDENTIFY: 0x00100000,
  REQUEST_NON_NT_SESSION_KEY: 0x00400000,
  TARGET_INFO: 0x00800000,
  VERSION: 0x02000000,
  NEGOTIATE_128: 0x20000000,
  KEY_EXCH: 0x40000000,
  NEGOTIATE_56: 0x80000000,
} as const;

/** MS-NLMP 2.2.2.1 AV_PAIR AvId values. */
export const AvId = {
  MsvAvEOL: 0,
  MsvAvNbComputerName: 1,
  MsvAvNbDomainName: 2,
  MsvAvDnsComputerName: 3,
  MsvAvDnsDomainName: 4,
  MsvAvDnsTreeName: 5,
  MsvAvFlags: 6,
  MsvAvTimestamp: 7,
  MsvAvSingleHost: 8,
  MsvAvTargetName: 9,
  MsvAvChannelBindings: 10,
} as const;

/** MsvAvFlags bits (MS-NLMP 2.2.2.1). */
export const AvFlags = {
  ACCOUNT_CONSTRAINED: 0x1,
  /** the client provides a MIC in the AUTHENTICATE_MESSAGE */
  MIC_PRESENT: 0x2,
  SPN_UNTRUSTED: 0x4,
} as const;

/** MS-NLMP 2.2.2.10 VERSION as a Windows Server 2019 DC (10.0 build 17763) sends it; NTLMSSP_REVISION_W2K3 = 0x0F. */
export const SERVER_VERSION = Buffer.from([10, 0, 0x63, 0x45, 0, 0, 0, 0x0f]);
