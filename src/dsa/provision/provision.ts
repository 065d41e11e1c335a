// forestd provision: a new forest of one domain and this DC (MS-ADTS 6.1 "Special Objects
// and Forest Requirements"). The schema NC receives every attributeSchema and classSchema
// object of the bundled Windows Server v1903 schema; the configuration and domain NCs
// receive the objects of well-known.ts. All of it is one originating update, committed once.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Store } from '../../store/store.js';
import { Directory, type ForestInfo } from '../directory.js';
import { createObject } from '../add.js';
import { wellKnownSddlFor } from './well-known-sds.js';
import { sddlToBinary } from '../../security/sddl.js';
import { OriginatingUpdate } from '../originating-update.js';
import type { AttrInfo } from '../schema-binding.js';
import type { StoredValue, SyntaxContext, DSName } from '../../schema/syntaxes/syntax.js';
import { sidFromString } from '../../schema/syntaxes/index.js';
import { schemaDataDir, findPackageRoot } from '../../schema/bootstrap.js';
import { SCHEMA_CONTAINER_PLACEHOLDER } from '../../schema/types.js';
import { GUID_VALUED } from '../schema-load.js';
import { normalizeDN, parseDN, formatDN } from '../../dn/dn.js';
import { guidFromString, guidToString, newGuid } from '../../util/guid.js';
import { sidWithRid } from '../principals.js';
import { setPassword } from '../add.js';
import { applicationNcObjects, configObjects, domainObjects, MEMBERSHIPS, APPLICATION_NCS, RECYCLE_BIN_FEATURE_GUID, type ProvisionObject, type ProvisionValue } from './well-known.js';
import { toStored } from '../values.js';

export interface ProvisionOptions {
  dataDir: string;
  /** DNS name of the forest root domain, e.g. example.com */
  realm: string;
  /** NetBIOS name of the domain, e.g. EXAMPLE */
  netbios: string;
  adminPassword: string;
  /** this DC's host name (default DC1) */
  hostname?: string;
}

export class ProvisionError extends Error {
  constructor(
    readonly code: 'ERR_PROVISION_REALM' | 'ERR_PROVISION_NETBIOS' | 'ERR_PROVISION_HOSTNAME' | 'ERR_PROVISION_EXISTS' | 'ERR_PROVISION_PASSWORD',
    message: string,
  ) {
    super(message);
    this.name = 'ProvisionError';
  }
}

export interface ProvisionResult {
  directory: Directory;
  forest: ForestInfo;
  objects: number;
  seconds: number;
}

/** Objects that a schema-NC provisioning creates: the attribute and class definitions. */
export function loadSchemaRecords(): { attributes: Record<string, unknown>[]; classes: Record<string, unknown>[] } {
  const dir = schemaDataDir();
  return {
    attributes: JSON.parse(readFileSync(join(dir, 'attributes.json'), 'utf8')) as Record<string, unknown>[],
    classes: JSON.parse(readFileSync(join(dir, 'classes.json'), 'utf8')) as Record<string, unknown>[],
  };
}

function validate(o: ProvisionOptions): void {
  // a DNS name of at least two labels (MS-ADTS 3.1.1.1.5: the domain NC's DN is DC= per label)
  if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/i.test(o.realm)) {
    throw new ProvisionError('ERR_PROVISION_REALM', `realm ${JSON.stringify(o.realm)} is not a DNS domain name of two or more labels`);
  }
  // NetBIOS domain names: 1–15 characters, none of \ / : * ? " < > | and not starting with a period
  if (!/^[^\\/:*?"<>|.\s][^\\/:*?"<>|]{0,14}$/.test(o.netbios)) {
    throw new ProvisionError('ERR_PROVISION_NETBIOS', `NetBIOS name ${JSON.stringify(o.netbios)} must be 1 to 15 characters without \\ / : * ? " < > |`);
  }
  if (o.hostname !== undefined && !/^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/i.test(o.hostname)) {
    throw new ProvisionError('ERR_PROVISION_HOSTNAME', `host name ${JSON.stringify(o.hostname)} must be 1 to 15 letters, digits or hyphens`);
  }
  if (o.adminPassword.length < 7 || [/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(o.adminPassword)).length < 3) {
    throw new ProvisionError('ERR_PROVISION_PASSWORD', 'the administrator password must have at least 7 characters from three of: upper case, lower case, digits, symbols (the default domain password policy)');
  }
}

function newDomainSid(): Buffer {
  // S-1-5-21-x-y-z with three random sub-authorities (MS-DTYP 2.4.2)
  const r = randomBytes(12);
  const a = [r.readUInt32LE(0), r.readUInt32LE(4), r.readUInt32LE(8)].map((n) => (n % 4000000000) + 1000);
  return Buffer.from(sidFromString(`S-1-5-21-${a.join('-')}`));
}

export async function provision(o: ProvisionOptions): Promise<ProvisionResult> {
  validate(o);
  const t0 = performance.now();
  const realm = o.realm.toLowerCase();
  const hostname = (o.hostname ?? 'DC1').toUpperCase();
  const domainDN = realm.split('.').map((l) => `DC=${l}`).join(',');
  const configDN = `CN=Configuration,${domainDN}`;
  const schemaDN = `CN=Schema,${configDN}`;
  const serverDN = `CN=${hostname},CN=Servers,CN=Default-First-Site-Name,CN=Sites,${configDN}`;
  const store = Store.open(o.dataDir, { create: true });
  if (store.reader.ncHeads().length > 0 || store.getMeta('forest')) {
    await store.close();
    throw new ProvisionError('ERR_PROVISION_EXISTS', `${o.dataDir} already holds a forest; provision into an empty directory`);
  }
  const forest: ForestInfo = {
    realm,
    netbios: o.netbios.toUpperCase(),
    rootDomainDN: domainDN,
    domainDN,
    configDN,
    schemaDN,
    domainNC: newGuid(),
    configNC: newGuid(),
    schemaNC: newGuid(),
    domainSid: newDomainSid(),
    serverDN,
    dsaDN: `CN=NTDS Settings,${serverDN}`,
    dnsHostName: `${hostname.toLowerCase()}.${realm}`,
    hostname,
    dsaGuid: store.dc.serverGuid,
    computerGuid: newGuid(),
  };
  const dir = Directory.createForProvisioning(store, forest);
  const version = readVersion();
  const vars: Record<string, string> = {
    domainDN,
    configDN,
    schemaDN,
    serverDN,
    dsaDN: forest.dsaDN,
    computerDN: `CN=${hostname},OU=Domain Controllers,${domainDN}`,
    dnsHostName: forest.dnsHostName,
    hostname,
    realm,
    netbios: forest.netbios,
    version,
    // FILETIME of provisioning (creationTime, krbtgt's pwdLastSet)
    nowFiletime: String(BigInt(dir.clock()) * 10_000_000n),
    // the names of the application NCs' crossRefs: GUIDs, as Windows makes them
    ...Object.fromEntries(APPLICATION_NCS.map(([, ref]) => [ref, guidToString(newGuid())])),
  };
  const bytes: Record<string, Buffer> = {
    domainSidBytes: forest.domainSid,
    builtinSidBytes: Buffer.from(sidFromString('S-1-5-32')),
    invocationIdBytes: store.dc.invocationId,
    recycleBinGuidBytes: guidFromString(RECYCLE_BIN_FEATURE_GUID),
  };
  const fill = (s: string): string => s.replace(/\$\{(\w+)\}/g, (m, k: string) => vars[k] ?? m);
  const value = (v: ProvisionValue): ProvisionValue => {
    if (Buffer.isBuffer(v)) return v;
    const b = /^\$\{(\w+)\}$/.exec(v);
    if (b && bytes[b[1]!]) return bytes[b[1]!]!;
    const rid = /^\$\{rid:(\d+)\}$/.exec(v);
    if (rid) return sidWithRid(forest.domainSid, Number(rid[1]));
    const sid = /^\$\{sid:(S-[0-9-]+)\}$/.exec(v);
    if (sid) return Buffer.from(sidFromString(sid[1]!));
    return fill(v);
  };

  // ---- the plan: every object's DN and objectGUID, so references resolve in any order
  const schema = loadSchemaRecords();
  const planned = new Map<string, Buffer>();
  const plannedDn = new Map<string, string>();
  const plan = (dn: string, guid: Buffer = newGuid()) => {
    planned.set(normalizeDN(dn), guid);
    plannedDn.set(guid.toString('hex'), dn);
    return guid;
  };
  plan(domainDN, forest.domainNC);
  plan(configDN, forest.configNC);
  plan(schemaDN, forest.schemaNC);
  const schemaObjects: ProvisionObject[] = [];
  for (const rec of [...schema.attributes, ...schema.classes]) {
    const attrs: Record<string, ProvisionValue | ProvisionValue[]> = {};
    for (const [k, v] of Object.entries(rec)) {
      if (k === 'cn') continue;
      attrs[k] = Array.isArray(v) ? v.map((x) => schemaValue(k, x)) : schemaValue(k, v);
    }
    schemaObjects.push({ dn: `CN=${escapeRdn(rec.cn as string)},${schemaDN}`, attrs });
  }
  schemaObjects.push({ dn: `CN=Aggregate,${schemaDN}`, attrs: { objectClass: 'subSchema', showInAdvancedViewOnly: 'TRUE', systemFlags: String(0x8000000) } });
  const rest = [...configObjects(), ...domainObjects(), ...applicationNcObjects()].map((x) => ({ dn: fill(x.dn), ...(x.ncHead ? { ncHead: true } : {}), attrs: Object.fromEntries(Object.entries(x.attrs).map(([k, v]) => [k, Array.isArray(v) ? v.map(value) : value(v)])) }));
  for (const x of [...schemaObjects, ...rest]) {
    if (planned.has(normalizeDN(x.dn))) continue;
    plan(x.dn, x.dn === forest.dsaDN ? forest.dsaGuid : x.dn === vars.computerDN ? forest.computerGuid : newGuid());
  }

  const ctx: SyntaxContext = {
    ...dir.syntaxContext(store.reader),
    resolveDN: (dn: string): DSName => {
      const g = planned.get(normalizeDN(dn));
      if (!g) throw new Error(`provisioning refers to ${dn}, which it does not create`);
      return { guid: g };
    },
    dnOf: (ref: DSName) => plannedDn.get(Buffer.from(ref.guid).toString('hex')) ?? '',
  };
  const A = (n: string): AttrInfo => {
    const a = dir.schema.attr(n);
    if (!a) throw new Error(`provisioning uses unknown attribute ${n}`);
    return a;
  };

  let count = 0;
  store.writeSync((w) => {
    // one transaction, but each object its own originating update with its own USN, as if each had been added by a request
    let u = new OriginatingUpdate(w, store.dc.invocationId, dir.clock);
    const next = () => {
      w.advanceUsn();
      u = new OriginatingUpdate(w, store.dc.invocationId, dir.clock);
    };
    const create = (x: { dn: string; attrs: Record<string, ProvisionValue | ProvisionValue[]> }, head?: { ncAbove: boolean }) => {
      next();
      const rdns = parseDN(x.dn);
      const rdn = rdns[0]![0]!;
      const values = new Map<AttrInfo, StoredValue[]>();
      for (const [k, v] of Object.entries(x.attrs)) {
        const info = A(k);
        const list = (Array.isArray(v) ? v : [v]).map((e) => (Buffer.isBuffer(e) ? e : Buffer.from(e, 'utf8')));
        values.set(info, toStored(info, list, ctx, 'provision'));
      }
      // the special objects' own descriptors (Windows' defaults); the rest inherit (MS-DTYP 2.5.3.4)
      const sddl = wellKnownSddlFor(x.dn, { domainDN, configDN, schemaDN });
      if (sddl && !values.has(A('nTSecurityDescriptor'))) values.set(A('nTSecurityDescriptor'), [sddlToBinary(sddl, { domainSid: forest.domainSid })]);
      createObject(
        dir,
        u,
        head
          ? { parent: null, ncName: x.dn, ncAbove: head.ncAbove, rdnType: A(rdn.type), rdnValue: rdn.value, values, guid: planned.get(normalizeDN(x.dn))! }
          : { parent: planned.get(normalizeDN(formatDN(rdns.slice(1))))!, rdnType: A(rdn.type), rdnValue: rdn.value, values, guid: planned.get(normalizeDN(x.dn))! },
        { system: true, place: 'provision', planned: (dn) => planned.get(normalizeDN(dn)) },
      );
      count++;
    };
    // the three NC heads (MS-ADTS 3.1.1.1.5): config and schema lie below NCs this DC holds
    const heads = new Map(rest.map((x) => [normalizeDN(x.dn), x]));
    create(heads.get(normalizeDN(domainDN))!, { ncAbove: false });
    create(heads.get(normalizeDN(configDN))!, { ncAbove: true });
    const schemaInfo = Buffer.concat([Buffer.from([0xff]), Buffer.from([0, 0, 0, 1]), store.dc.invocationId]);
    create({ dn: schemaDN, attrs: { objectClass: 'dMD', objectVersion: '88', schemaInfo, fSMORoleOwner: forest.dsaDN, showInAdvancedViewOnly: 'TRUE' } }, { ncAbove: true });
    for (const x of schemaObjects) create(x);
    // application NC heads, below the domain NC (MS-ADTS 3.1.1.1.5)
    for (const x of rest) if ('ncHead' in x) create(x, { ncAbove: true });
    // parents before children: sort the rest by depth
    const others = rest.filter((x) => !('ncHead' in x) && normalizeDN(x.dn) !== normalizeDN(domainDN) && normalizeDN(x.dn) !== normalizeDN(configDN));
    others.sort((a, b) => parseDN(a.dn).length - parseDN(b.dn).length);
    for (const x of others) create(x);
    // group memberships: forward links with LinkValueStamps
    const member = A('member');
    for (const [group, members] of MEMBERSHIPS) {
      const g = planned.get(normalizeDN(`${group},${domainDN}`))!;
      next();
      const rec = w.getObject(g)!;
      for (const m of members) u.addLinkValue(g, member.id, member.forwardLinkId!, planned.get(normalizeDN(`${m},${domainDN}`))!);
      // a link change is a change of the group: its uSNChanged moves
      const changed = structuredClone(rec);
      u.touch(changed);
      w.putObject(g, changed, rec);
    }
    next();
    setPassword(dir, u, planned.get(normalizeDN(`CN=Administrator,CN=Users,${domainDN}`))!, o.adminPassword);
    w.setMeta('prefixTable', dir.schema.snapshot.prefixTable.toJSON());
    w.setMeta('forest', forest);
  });
  await store.flushed();
  await store.close();
  const directory = Directory.open(o.dataDir);
  return { directory, forest, objects: count, seconds: (performance.now() - t0) / 1000 };

  function schemaValue(k: string, v: unknown): ProvisionValue {
    if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
    if (typeof v === 'number') return String(v);
    if (typeof v !== 'string') throw new Error(`schema data: ${k} has an unexpected value`);
    if (GUID_VALUED.has(k)) return guidFromString(v);
    if (k === 'oMObjectClass') return Buffer.from(v, 'hex');
    return v.split(SCHEMA_CONTAINER_PLACEHOLDER).join(schemaDN);
  }
}

function escapeRdn(v: string): string {
  return formatDN([[{ type: 'CN', value: v }]]).slice(3);
}

function readVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(findPackageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0';
  }
}
