// forestd dns-records: the DNS records a DNS administrator must publish so that the DC locator
// finds this DC (MS-ADTS 6.3.2: 6.3.2.3 "SRV Records Registered by DC", 6.3.2.4 "Non-SRV
// Records"), printed as zone-file lines. forestd registers nothing itself (no dynamic update).
// Kerberos and kpasswd records (_kerberos._tcp…, _kpasswd…) are left out: this DC runs no KDC,
// and its locator answers say so (no DS_KDC_FLAG, src/dsa/netlogon.ts).
import { Directory } from '../dsa/directory.js';
import { dcSiteName } from '../dsa/netlogon.js';
import { guidToString } from '../util/guid.js';

export interface LocatorFacts {
  /** DNS name of the forest root domain (DnsForestName) */
  forest: string;
  /** DNS name of the domain (the default NC) */
  domain: string;
  /** this DC's DNS host name */
  host: string;
  site: string;
  /** objectGUID of the domain NC head */
  domainGuid: string;
  /** objectGUID of this DC's nTDSDSA object */
  dsaGuid: string;
  /** IPv4 address of this DC, for the A records */
  address?: string | undefined;
  ldapPort: number;
  gcPort: number;
  /** the DC is a GC server */
  gc: boolean;
  /** the DC holds the PDC FSMO role */
  pdc: boolean;
  /** DNS names of the application NCs this DC hosts (DomainDnsZones.…, ForestDnsZones.…) */
  ndncs: string[];
}

/** dc.dnsRegistrationSettings.DNSRecordTTL default (MS-ADTS 6.3.2.1): 600 seconds. */
export const DNS_RECORD_TTL = 600;

/** The records, one zone-file line each (fully qualified names, trailing dots). */
export function locatorRecords(f: LocatorFacts): string[] {
  const fq = (n: string) => `${n.replace(/\.$/, '')}.`;
  const ttl = DNS_RECORD_TTL;
  const srv = (name: string, port: number) => `${fq(name)}\t${ttl}\tIN\tSRV\t0 100 ${port} ${fq(f.host)}`;
  const out: string[] = [];
  const D = f.domain;
  const Z = f.forest;
  const S = f.site;
  // 6.3.2.3: every DC of domain D in site S
  out.push(srv(`_ldap._tcp.${D}`, f.ldapPort));
  out.push(srv(`_ldap._tcp.${S}._sites.${D}`, f.ldapPort));
  out.push(srv(`_ldap._tcp.dc._msdcs.${D}`, f.ldapPort));
  out.push(srv(`_ldap._tcp.${S}._sites.dc._msdcs.${D}`, f.ldapPort));
  out.push(srv(`_ldap._tcp.${f.domainGuid}.domains._msdcs.${Z}`, f.ldapPort));
  if (f.pdc) out.push(srv(`_ldap._tcp.pdc._msdcs.${D}`, f.ldapPort));
  if (f.gc) {
    out.push(srv(`_ldap._tcp.gc._msdcs.${Z}`, f.gcPort));
    out.push(srv(`_ldap._tcp.${S}._sites.gc._msdcs.${Z}`, f.gcPort));
    out.push(srv(`_gc._tcp.${Z}`, f.gcPort));
    out.push(srv(`_gc._tcp.${S}._sites.${Z}`, f.gcPort));
  }
  // the application NCs the DC hosts: the same _ldap records under the NC's DNS name
  for (const nc of f.ndncs) {
    out.push(srv(`_ldap._tcp.${nc}`, f.ldapPort));
    out.push(srv(`_ldap._tcp.${S}._sites.${nc}`, f.ldapPort));
  }
  // 6.3.2.4: the GUID-based name, and A records for the domain name, gc._msdcs and the host
  out.push(`${fq(`${f.dsaGuid}._msdcs.${Z}`)}\t${ttl}\tIN\tCNAME\t${fq(f.host)}`);
  const a = (name: string) => (f.address ? `${fq(name)}\t${ttl}\tIN\tA\t${f.address}` : `; ${fq(name)}\t${ttl}\tIN\tA\t<this DC's IPv4 address: give --address>`);
  out.push(a(f.host));
  out.push(a(D));
  if (f.gc) out.push(a(`gc._msdcs.${Z}`));
  for (const nc of f.ndncs) out.push(a(nc));
  return out;
}

/** The facts of a provisioned DC. */
export function locatorFacts(dir: Directory, opts: { address?: string | undefined; ldapPort?: number; gcPort?: number }): LocatorFacts {
  const f = dir.forest;
  return {
    forest: f.realm,
    domain: f.realm,
    host: f.dnsHostName,
    site: dcSiteName(dir),
    domainGuid: guidToString(f.domainNC),
    dsaGuid: guidToString(f.dsaGuid),
    address: opts.address,
    ldapPort: opts.ldapPort ?? 389,
    gcPort: opts.gcPort ?? 3268,
    gc: true,
    pdc: true,
    ndncs: [`DomainDnsZones.${f.realm}`, `ForestDnsZones.${f.realm}`].filter((n) => hostsNc(dir, n)),
  };
}

function hostsNc(dir: Directory, dnsName: string): boolean {
  const dn = dnsName.split('.').map((l) => `DC=${l}`).join(',');
  return dir.store.reader.ncHeadByName(dn) !== undefined;
}

export async function dnsRecordsCommand(o: { data: string; address?: string | undefined; ldapPort?: number; gcPort?: number }): Promise<void> {
  const dir = Directory.open(o.data);
  try {
    const facts = locatorFacts(dir, o);
    console.log(`; DC locator records for ${facts.host} (domain ${facts.domain}, site ${facts.site}), MS-ADTS 6.3.2`);
    for (const line of locatorRecords(facts)) console.log(line);
  } finally {
    await dir.close();
  }
}
