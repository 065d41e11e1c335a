// Forest facts apart from this DC's facts. The forest's facts are the same on every DC of the
// forest (realm, NC names and GUIDs, domain SID); a DC's facts belong to one DC (its nTDSDSA
// object's GUID = serverGuid, invocationId, dsaDN, host name; its RID pool is the RID Set object, src/dsa/rid-set.ts). Nothing here is
// module-level state: each Directory (one per DC) holds its own, so several DCs live in one
// process (tests, the replication simulator).

/** The same on every DC of the forest. */
export interface ForestFacts {
  realm: string;
  netbios: string;
  rootDomainDN: string;
  domainDN: string;
  configDN: string;
  schemaDN: string;
  domainNC: Buffer;
  configNC: Buffer;
  schemaNC: Buffer;
  domainSid: Buffer;
}

/** One DC's own facts (MS-ADTS 3.1.1.1.9 the DC tuple; 6.1.1.2.2 the nTDSDSA object). */
export interface DcFacts {
  /** objectGUID of this DC's nTDSDSA object (dc.serverGuid) */
  serverGuid: Buffer;
  /** dc.invocationId: the uuidOriginating of this DC's stamps */
  invocationId: Buffer;
  dsaDN: string;
  serverDN: string;
  dnsHostName: string;
  hostname: string;
  computerGuid: Buffer;
}

/** What provisioning records (ForestInfo in src/dsa/directory.ts) has both kinds of facts in one record. */
export interface ProvisionedFacts extends ForestFacts {
  /** DN of this DC's server object and its nTDSDSA object (dsServiceName) */
  serverDN: string;
  dsaDN: string;
  dnsHostName: string;
  hostname: string;
  /** objectGUID of this DC's nTDSDSA object: dc.serverGuid (MS-ADTS 3.1.1.1.9) */
  dsaGuid: Buffer;
  computerGuid: Buffer;
}

/** Splits the provisioning record into the forest's facts and this DC's facts. */
export function splitFacts(info: ProvisionedFacts, invocationId: Buffer): { forest: ForestFacts; dc: DcFacts } {
  const { realm, netbios, rootDomainDN, domainDN, configDN, schemaDN, domainNC, configNC, schemaNC, domainSid } = info;
  return {
    forest: { realm, netbios, rootDomainDN, domainDN, configDN, schemaDN, domainNC, configNC, schemaNC, domainSid },
    dc: {
      serverGuid: info.dsaGuid,
      invocationId,
      dsaDN: info.dsaDN,
      serverDN: info.serverDN,
      dnsHostName: info.dnsHostName,
      hostname: info.hostname,
      computerGuid: info.computerGuid,
    },
  };
}
