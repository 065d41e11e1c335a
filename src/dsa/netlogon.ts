// The LDAP ping (MS-ADTS 6.3.3): a rootDSE search whose filter is a one-level AND of
// equalityMatch tests on DnsDomain, Host, DnsHostName, User, AAC, DomainSid, DomainGuid and
// NtVer, asking for the rootDSE attribute netlogon (3.1.1.3.2.14). The answer is one of the
// NETLOGON_SAM_LOGON_RESPONSE structures of 6.3.1.7–6.3.1.9, chosen by NtVer (6.3.1.1), with
// the DS_FLAG bits (6.3.1.2) this DC really has. The same function answers over TCP and over
// CLDAP (src/ldap/cldap.ts).
import type { Filter } from '../ldap/protocol/filter.js';
import type { ReadTxn } from '../store/store.js';
import { indexKey } from '../store/store.js';
import type { Directory } from './directory.js';
import { ReadContext } from './object-view.js';

/** NETLOGON_NT_VERSION options bits (MS-ADTS 6.3.1.1). */
export const NtVersion = {
  V1: 0x00000001,
  V5: 0x00000002,
  V5EX: 0x00000004,
  V5EP: 0x00000008, // NETLOGON_NT_VERSION_5EX_WITH_IP
  VCS: 0x00000010, // NETLOGON_NT_VERSION_WITH_CLOSEST_SITE
  VNT4: 0x01000000, // NETLOGON_NT_VERSION_AVOID_NT4EMUL
  VPDC: 0x10000000,
  VIP: 0x20000000,
  VL: 0x40000000, // NETLOGON_NT_VERSION_LOCAL
  VGC: 0x80000000,
} as const;

/** DS_FLAG options bits (MS-ADTS 6.3.1.2). */
export const DsFlag = {
  PDC: 0x00000001,
  GC: 0x00000004,
  LDAP: 0x00000008,
  DS: 0x00000010,
  KDC: 0x00000020,
  TIMESERV: 0x00000040,
  CLOSEST: 0x00000080,
  WRITABLE: 0x00000100,
  GOOD_TIMESERV: 0x00000200,
  NDNC: 0x00000400,
  SELECT_SECRET_DOMAIN_6: 0x00000800,
  FULL_SECRET_DOMAIN_6: 0x00001000,
  WS: 0x00002000,
  DS_8: 0x00004000,
  DS_9: 0x00008000,
  DS_10: 0x00010000,
  DNS_CONTROLLER: 0x20000000,
  DNS_DOMAIN: 0x40000000,
  DNS_FOREST: 0x80000000,
} as const;

/** Operation codes of the responses (MS-ADTS 6.3.1.3). */
export const NetlogonOpcode = {
  LOGON_SAM_LOGON_RESPONSE: 19,
  LOGON_SAM_USER_UNKNOWN: 21,
  LOGON_SAM_LOGON_RESPONSE_EX: 23,
  LOGON_SAM_USER_UNKNOWN_EX: 25,
} as const;

/** The elements of an LDAP ping filter (MS-ADTS 6.3.3). */
export interface LdapPing {
  dnsDomain?: string;
  host?: string;
  dnsHostName?: string;
  user?: string;
  aac?: number;
  domainSid?: Buffer;
  domainGuid?: Buffer;
  ntVer: number;
}

/** Where the ping came from and arrived: IPv4 addresses as text (IPv4-mapped IPv6 accepted). */
export interface PingPeer {
  client?: string | undefined;
  server?: string | undefined;
}

const ELEMENTS = new Map(['DnsDomain', 'Host', 'DnsHostName', 'User', 'AAC', 'DomainSid', 'DomainGuid', 'NtVer'].map((n) => [n.toLowerCase(), n]));

/**
 * The ping's elements, or undefined when the filter is not a valid ping (MS-ADTS 6.3.3.1: an
 * element given twice, a DomainGuid that is not 16 bytes; a filter that is not a one-level AND
 * of equality tests). Unrecognized equality tests are ignored, as 6.3.3.1 says. An invalid
 * ping is answered with no entry (6.3.3.3).
 */
export function parseLdapPing(filter: Filter): LdapPing | undefined {
  const terms = filter.type === 'and' ? filter.filters : [filter];
  const seen = new Set<string>();
  const ping: LdapPing = { ntVer: 0 };
  for (const t of terms) {
    if (t.type !== 'equalityMatch') return undefined;
    const name = ELEMENTS.get(t.attribute.toLowerCase());
    if (!name) continue;
    if (seen.has(name)) return undefined;
    seen.add(name);
    const v = t.value;
    switch (name) {
      case 'DnsDomain':
        ping.dnsDomain = v.toString('utf8');
        break;
      case 'Host':
        ping.host = v.toString('utf8');
        break;
      case 'DnsHostName':
        ping.dnsHostName = v.toString('utf8');
        break;
      case 'User':
        ping.user = v.toString('utf8');
        break;
      case 'AAC':
        if (v.length > 4) return undefined; // longer than a DWORD
        ping.aac = uint32le(v);
        break;
      case 'NtVer':
        if (v.length > 4) return undefined;
        ping.ntVer = uint32le(v);
        break;
      case 'DomainSid':
        ping.domainSid = v;
        break;
      case 'DomainGuid':
        if (v.length !== 16) return undefined;
        ping.domainGuid = v;
        break;
    }
  }
  return ping;
}

function uint32le(v: Buffer): number {
  const b = Buffer.alloc(4);
  v.copy(b, 0, 0, 4);
  return b.readUInt32LE(0);
}

/** userAccountControl bits for the USER_ACCOUNT (ACB) bits AAC carries (MS-SAMR 2.2.1.12, 3.1.5.14.2). */
const ACB_TO_UF: [number, number][] = [
  [0x00000001, 0x00000002], // ACB_DISABLED → UF_ACCOUNTDISABLE
  [0x00000002, 0x00000008], // ACB_HOMDIRREQ → UF_HOMEDIR_REQUIRED
  [0x00000004, 0x00000020], // ACB_PWNOTREQ → UF_PASSWD_NOTREQD
  [0x00000008, 0x00000100], // ACB_TEMPDUP → UF_TEMP_DUPLICATE_ACCOUNT
  [0x00000010, 0x00000200], // ACB_NORMAL → UF_NORMAL_ACCOUNT
  [0x00000040, 0x00000800], // ACB_DOMTRUST → UF_INTERDOMAIN_TRUST_ACCOUNT
  [0x00000080, 0x00001000], // ACB_WSTRUST → UF_WORKSTATION_TRUST_ACCOUNT
  [0x00000100, 0x00002000], // ACB_SVRTRUST → UF_SERVER_TRUST_ACCOUNT
  [0x00000200, 0x00010000], // ACB_PWNOEXP → UF_DONT_EXPIRE_PASSWD
];

function ufOfAcb(aac: number): number {
  let uf = 0;
  for (const [acb, f] of ACB_TO_UF) if (aac & acb) uf |= f;
  return uf;
}

/** Whether the ping's User names an account of the domain whose userAccountControl has a bit of AAC (6.3.3.2). */
function userKnown(dir: Directory, r: ReadTxn, user: string, aac: number | undefined): boolean {
  const sam = dir.schema.attr('sAMAccountName')!;
  const want = ufOfAcb(aac ?? 0);
  if (want === 0) return false;
  const rc = new ReadContext(dir, r);
  for (const g of r.indexEqual(indexKey(sam.id, sam.syntax.normalize(user)))) {
    const view = rc.view(g);
    const uac = view?.first('userAccountControl');
    if (typeof uac === 'number' && (uac & want) !== 0) return true;
  }
  return false;
}

/** The site of a client address from the subnet objects under CN=Subnets,CN=Sites (MS-ADTS 6.1.1.2.2.1.2, longest prefix wins). */
export function siteOfAddress(dir: Directory, r: ReadTxn, address: string | undefined): string | undefined {
  const ip = ipv4(address);
  if (ip === undefined) return undefined;
  const rc = new ReadContext(dir, r);
  const subnets = dir.tryResolve(r, `CN=Subnets,CN=Sites,${dir.forest.configDN}`);
  if (!subnets.found) return undefined;
  let best: { len: number; site: string } | undefined;
  for (const child of r.children(subnets.guid)) {
    const view = rc.view(child);
    if (!view) continue;
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(view.rec.name);
    const net = m ? ipv4(m[1]) : undefined;
    if (!m || net === undefined) continue;
    const len = Number(m[2]);
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    if (((ip & mask) >>> 0) !== ((net & mask) >>> 0)) continue;
    const siteRef = view.first('siteObject') as { guid?: Uint8Array } | undefined;
    if (!siteRef?.guid || (best && best.len >= len)) continue;
    const siteGuid = Buffer.from(siteRef.guid);
    const site = r.hasObject(siteGuid) ? r.getHeader(siteGuid)?.name : undefined;
    if (site) best = { len, site };
  }
  return best?.site;
}

function ipv4(address: string | undefined): number | undefined {
  if (!address) return undefined;
  const a = address.replace(/^\[?::ffff:/i, '').replace(/\]?(:\d+)?$/, '');
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** The DS_FLAG bits of this DC (MS-ADTS 6.3.1.2), closest when the client is in the DC's site. */
export function dcFlags(closest: boolean): number {
  // PDC: this DC holds every FSMO role of its one-DC forest; GC: it serves the GC ports (options
  // NTDSDSA_OPT_IS_GC); LDAP and DS: it is an LDAP server and a DC; WRITABLE, FULL_SECRET_DOMAIN_6:
  // not an RODC; DS_8/DS_9/DS_10: domainControllerFunctionality is DS_BEHAVIOR_WIN2016 (6.1.4.2).
  // Not set: KDC (no Kerberos service), TIMESERV/GOOD_TIMESERV (no W32Time), WS (no AD Web
  // Services), NDNC (the ping named the domain NC).
  let f = DsFlag.PDC | DsFlag.GC | DsFlag.LDAP | DsFlag.DS | DsFlag.WRITABLE | DsFlag.FULL_SECRET_DOMAIN_6 | DsFlag.DS_8 | DsFlag.DS_9 | DsFlag.DS_10;
  f |= DsFlag.DNS_CONTROLLER | DsFlag.DNS_DOMAIN | DsFlag.DNS_FOREST;
  if (closest) f |= DsFlag.CLOSEST;
  return f >>> 0;
}

/** The site this DC's server object is in (CN=<site>,CN=Sites,… above serverDN). */
export function dcSiteName(dir: Directory): string {
  return /CN=Servers,CN=([^,]+),CN=Sites,/i.exec(dir.forest.serverDN)?.[1] ?? 'Default-First-Site-Name';
}

/**
 * The netlogon attribute value for a ping (MS-ADTS 6.3.3.2), or undefined when the DC does
 * not answer it (6.3.3.3: no NC with that DNS name or GUID, an empty DnsDomain).
 */
export function netlogonResponse(dir: Directory, r: ReadTxn, ping: LdapPing, peer: PingPeer = {}): Buffer | undefined {
  const f = dir.forest;
  // reqGuidNC / reqDnsNC: this DC hosts one domain NC; a GUID or DNS name naming anything else is no answer
  const guidOk = ping.domainGuid === undefined ? undefined : ping.domainGuid.equals(f.domainNC);
  const dnsOk = ping.dnsDomain === undefined ? undefined : ping.dnsDomain !== '' && ping.dnsDomain.replace(/\.$/, '').toLowerCase() === f.realm;
  if (guidOk === false && dnsOk !== true) return undefined;
  if (dnsOk === false && guidOk !== true) return undefined;
  if (ping.domainSid !== undefined && !ping.domainSid.equals(f.domainSid) && guidOk !== true && dnsOk !== true) return undefined;

  const known = ping.user !== undefined && ping.user !== '' ? userKnown(dir, r, ping.user, ping.aac) : undefined;
  const user = ping.user ?? '';
  const serverSite = dcSiteName(dir);
  const clientSite = siteOfAddress(dir, r, peer.client) ?? '';
  const flags = dcFlags(clientSite !== '' && clientSite.toLowerCase() === serverSite.toLowerCase());

  if (ping.ntVer & (NtVersion.V5EX | NtVersion.V5EP)) {
    // NETLOGON_SAM_LOGON_RESPONSE_EX (6.3.1.9)
    const w = new NetlogonWriter();
    w.u16(known === false ? NetlogonOpcode.LOGON_SAM_USER_UNKNOWN_EX : NetlogonOpcode.LOGON_SAM_LOGON_RESPONSE_EX);
    w.u16(0); // Sbz
    w.u32(flags);
    w.bytes(f.domainNC);
    w.dnsName(f.realm); // DnsForestName: the forest root domain
    w.dnsName(f.realm); // DnsDomainName
    w.dnsName(f.dnsHostName);
    w.dnsName(f.netbios);
    w.dnsName(f.hostname);
    w.dnsName(user);
    w.dnsName(serverSite);
    w.dnsName(clientSite);
    let ntVersion = NtVersion.V1 | NtVersion.V5EX;
    if (ping.ntVer & NtVersion.V5EP) {
      // DcSockAddrSize and DcSockAddr: a SOCKADDR_IN of the address the ping reached (port 0)
      const ip = ipv4(peer.server) ?? 0;
      const sa = Buffer.alloc(16);
      sa.writeUInt16LE(2, 0); // AF_INET
      sa.writeUInt16BE(0, 2);
      sa.writeUInt32BE(ip, 4);
      w.u8(16);
      w.bytes(sa);
      ntVersion |= NtVersion.V5EP;
    }
    if (ping.ntVer & NtVersion.VCS) {
      w.dnsName(''); // NextClosestSiteName: one site, none next
      ntVersion |= NtVersion.VCS;
    }
    w.u32(ntVersion);
    w.u16(0xffff); // LmNtToken
    w.u16(0xffff); // Lm20Token
    return w.done();
  }
  if (ping.ntVer & NtVersion.V5) {
    // NETLOGON_SAM_LOGON_RESPONSE (6.3.1.8)
    const w = new NetlogonWriter();
    w.u16(known === false ? NetlogonOpcode.LOGON_SAM_USER_UNKNOWN : NetlogonOpcode.LOGON_SAM_LOGON_RESPONSE);
    w.utf16z(`\\\\${f.hostname}`);
    w.utf16z(user);
    w.utf16z(f.netbios);
    w.bytes(f.domainNC);
    w.bytes(Buffer.alloc(16)); // NullGuid
    w.dnsName(f.realm);
    w.dnsName(f.realm);
    w.dnsName(f.dnsHostName);
    w.u32be(ipv4(peer.server) ?? 0); // DcIpAddress
    w.u32(flags);
    w.u32(NtVersion.V1 | NtVersion.V5);
    w.u16(0xffff);
    w.u16(0xffff);
    return w.done();
  }
  // NETLOGON_SAM_LOGON_RESPONSE_NT40 (6.3.1.7)
  const w = new NetlogonWriter();
  w.u16(known === false ? NetlogonOpcode.LOGON_SAM_USER_UNKNOWN : NetlogonOpcode.LOGON_SAM_LOGON_RESPONSE);
  w.utf16z(`\\\\${f.hostname}`);
  w.utf16z(user);
  w.utf16z(f.netbios);
  w.u32(NtVersion.V1);
  w.u16(0xffff);
  w.u16(0xffff);
  return w.done();
}

/** Little-endian fields and RFC 1035 4.1.4 compressed names (pointers into this structure). */
class NetlogonWriter {
  private readonly parts: Buffer[] = [];
  private length = 0;
  /** suffix (lower case, labels joined by '.') → offset where it was written */
  private readonly names = new Map<string, number>();

  private push(b: Buffer): void {
    this.parts.push(b);
    this.length += b.length;
  }

  u8(n: number): void {
    this.push(Buffer.from([n & 0xff]));
  }

  u16(n: number): void {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(n, 0);
    this.push(b);
  }

  u32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0, 0);
    this.push(b);
  }

  u32be(n: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0, 0);
    this.push(b);
  }

  bytes(b: Uint8Array): void {
    this.push(Buffer.from(b));
  }

  utf16z(s: string): void {
    this.push(Buffer.from(`${s}\0`, 'utf16le'));
  }

  /** A name as DNS labels, the longest suffix already written replaced by a pointer. */
  dnsName(name: string): void {
    const labels = name === '' ? [] : name.split('.');
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).join('.').toLowerCase();
      const at = this.names.get(suffix);
      if (at !== undefined && at < 0x3fff) {
        const p = Buffer.alloc(2);
        p.writeUInt16BE(0xc000 | at, 0);
        this.push(p);
        return;
      }
      if (this.length < 0x3fff) this.names.set(suffix, this.length);
      const l = Buffer.from(labels[i]!, 'utf8').subarray(0, 63);
      this.push(Buffer.concat([Buffer.from([l.length]), l]));
    }
    this.push(Buffer.from([0]));
  }

  done(): Buffer {
    return Buffer.concat(this.parts, this.length);
  }
}
