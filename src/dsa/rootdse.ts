// The rootDSE (MS-ADTS 3.1.1.3.2): the one entry anonymous clients may read. Every attribute
// here is backed by the state model; supportedControl lists only controls that work.
import type { OutgoingAttribute, SearchRequest } from '../ldap/protocol/messages.js';
import type { Directory } from './directory.js';
import type { OperationContext } from './api.js';
import { toGeneralizedTime } from '../util/time.js';
import { requesterToken } from './access/requester.js';
import { anonymousToken } from '../security/token.js';
import { netlogonResponse, parseLdapPing, type PingPeer } from './netlogon.js';
import { replAllNeighbors } from './search/repl-metadata.js';

/** LDAP capabilities (MS-ADTS 3.1.1.3.4.3). */
export const Capabilities = {
  LDAP_CAP_ACTIVE_DIRECTORY_OID: '1.2.840.113556.1.4.800',
  LDAP_CAP_ACTIVE_DIRECTORY_V51_OID: '1.2.840.113556.1.4.1670',
  LDAP_CAP_ACTIVE_DIRECTORY_V60_OID: '1.2.840.113556.1.4.1935',
  LDAP_CAP_ACTIVE_DIRECTORY_V61_R2_OID: '1.2.840.113556.1.4.2080',
  LDAP_CAP_ACTIVE_DIRECTORY_W8_OID: '1.2.840.113556.1.4.2237',
} as const;

/** DS_BEHAVIOR_WIN2016 (MS-ADTS 6.1.4.2–6.1.4.4). */
export const FUNCTIONAL_LEVEL = 7;

export interface RootDseSources {
  supportedControls: () => string[];
  supportedExtensions: () => string[];
  supportedLdapPolicies: () => string[];
}

/** Attributes returned only when asked for by name (MS-ADTS 3.1.1.3.2: "operational" rootDSE attributes). */
const ON_REQUEST = new Set(['supportedextension', 'validfsmos', 'dsschemaattrcount', 'dsschemaclasscount', 'dsschemaprefixcount', 'approximatehighestinternalobjectid', 'netlogon', 'tokengroups', 'spnregistrationresult', 'usingssl', 'msds-replallinboundneighbors', 'msds-replalloutboundneighbors']);

/**
 * The rootDSE entry's attributes for a request, or undefined when there is no entry to return:
 * an LDAP ping (netlogon asked for, MS-ADTS 6.3.3) that is invalid or names no NC of this DC
 * gets no entry (6.3.3.3).
 */
export function rootDseAttributes(dir: Directory, req: SearchRequest, ctx: OperationContext, src: RootDseSources, peer?: PingPeer): OutgoingAttribute[] | undefined {
  const f = dir.forest;
  const askedNetlogon = req.attributes.some((a) => a.toLowerCase() === 'netlogon');
  let netlogon: Buffer | undefined;
  if (askedNetlogon) {
    const ping = parseLdapPing(req.filter);
    if (!ping) return undefined;
    netlogon = netlogonResponse(dir, dir.store.reader, ping, peer ?? { client: ctx.session.remoteAddress, server: ctx.session.localAddress });
    if (!netlogon) return undefined;
  }
  const all: [string, (string | Buffer)[]][] = [
    ['configurationNamingContext', [f.configDN]],
    ['currentTime', [toGeneralizedTime(dir.clock())]],
    ['defaultNamingContext', [f.domainDN]],
    ['dnsHostName', [f.dnsHostName]],
    ['domainControllerFunctionality', [String(FUNCTIONAL_LEVEL)]],
    ['domainFunctionality', [String(FUNCTIONAL_LEVEL)]],
    ['dsServiceName', [f.dsaDN]],
    ['forestFunctionality', [String(FUNCTIONAL_LEVEL)]],
    // MS-ADTS 3.1.1.3.2 highestCommittedUSN: from durable state only (Store.highestCommittedUsn)
    ['highestCommittedUSN', [String(dir.store.highestCommittedUsn)]],
    ['isGlobalCatalogReady', ['TRUE']],
    ['isSynchronized', ['TRUE']],
    ['ldapServiceName', [`${f.realm}:${f.hostname.toLowerCase()}$@${f.realm.toUpperCase()}`]],
    ['namingContexts', namingContexts(dir)],
    ['rootDomainNamingContext', [f.rootDomainDN]],
    ['schemaNamingContext', [f.schemaDN]],
    ['serverName', [f.serverDN]],
    ['subschemaSubentry', [`CN=Aggregate,${f.schemaDN}`]],
    ['supportedCapabilities', Object.values(Capabilities)],
    ['supportedControl', src.supportedControls()],
    ['supportedLDAPPolicies', src.supportedLdapPolicies()],
    ['supportedLDAPVersion', ['3', '2']],
    // MS-ADTS 3.1.1.3.2.24 supportedSASLMechanisms: exactly what binds (GSS-SPNEGO carrying NTLMSSP; no Kerberos yet)
    ['supportedSASLMechanisms', ['GSS-SPNEGO']],
    ['supportedExtension', src.supportedExtensions()],
    ['validFSMOs', [f.dsaDN]],
    ['dsSchemaAttrCount', [String(dir.schema.snapshot.attributes.length)]],
    ['dsSchemaClassCount', [String(dir.schema.snapshot.classes.length)]],
    ['usingSSL', [ctx.session.encrypted ? 'TRUE' : 'FALSE']],
    // MS-ADTS 3.1.1.3.2.41 tokenGroups: the SIDs of the requester's token other than its own (the groups and well-known SIDs)
    ['tokenGroups', wants(req, 'tokengroups') ? rootDseTokenGroups(dir, ctx) : []],
    // MS-ADTS 3.1.1.3.2.14: the LDAP ping's answer (6.3.3)
    ['netlogon', netlogon ? [netlogon] : []],
    // the replication neighbors of every NC replica (src/dsa/search/repl-metadata.ts), computed only when named
    ['msDS-ReplAllInboundNeighbors', named(req, 'msds-replallinboundneighbors') ? replAllNeighbors(dir, 'repsFrom') : []],
    ['msDS-ReplAllOutboundNeighbors', named(req, 'msds-replalloutboundneighbors') ? replAllNeighbors(dir, 'repsTo') : []],
  ];
  const asked = req.attributes.map((a) => a.toLowerCase());
  const allUser = asked.length === 0 || asked.includes('*');
  const none = asked.length === 1 && asked[0] === '1.1';
  const out: OutgoingAttribute[] = [];
  for (const [name, values] of all) {
    const n = name.toLowerCase();
    const want = !none && (asked.includes(n) || (allUser && !ON_REQUEST.has(n)) || asked.includes('+'));
    if (!want || values.length === 0) continue;
    out.push({ type: name, values: req.typesOnly ? [] : values });
  }
  return out;
}

function wants(req: SearchRequest, name: string): boolean {
  return req.attributes.some((a) => a.toLowerCase() === name || a === '+');
}

function rootDseTokenGroups(dir: Directory, ctx: OperationContext): Buffer[] {
  const r = dir.store.snapshot();
  try {
    const t = requesterToken(dir, r, ctx) ?? anonymousToken();
    return [...t.groups, ...t.wellKnown].map((s) => Buffer.from(s));
  } finally {
    r.done();
  }
}

function named(req: SearchRequest, lower: string): boolean {
  return req.attributes.some((a) => a.toLowerCase() === lower);
}

/** The NCs this DC holds (MS-ADTS 3.1.1.3.2.1 namingContexts): domain, configuration, schema, then the application NCs. */
export function namingContexts(dir: Directory): string[] {
  const f = dir.forest;
  const out = [f.domainDN, f.configDN, f.schemaDN];
  const r = dir.store.reader;
  const known = new Set(out.map((n) => n.toLowerCase()));
  for (const g of r.ncHeads()) {
    const name = r.getObject(g)?.ncName;
    if (name && !known.has(name.toLowerCase())) out.push(name);
  }
  return out;
}
